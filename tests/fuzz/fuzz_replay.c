/*
 * fuzz_replay.c - replay_check() on arbitrary X-Slack-Signature values.
 *
 * Besides memory safety, checks the contract: only "v0=" + 64 lower-case
 * hex is accepted; an accepted value is new the first time, a duplicate
 * the second, a retry when so marked, and new again after the window.
 * The cache is tiny so eviction paths run too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/replay.h"
#include "util/strutil.h"

static int s_well_formed(const char *s)
{
	if (!SI_HAS_PREFIX(s, "v0=") || strlen(s) != 67)
		return 0;
	for (size_t i = 3; i < 67; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_cache *c = replay_cache_new(2, 300, NULL);
	char *hdr = malloc(size + 1);
	enum replay_status first;

	if (c == NULL || hdr == NULL)
		abort();
	memcpy(hdr, data, size);
	hdr[size] = '\0';
	first = replay_check(c, hdr, size > 0 && data[0] & 1, 1000);
	if (!s_well_formed(hdr)) {
		if (first != REPLAY_INVALID)
			abort();
		goto out;
	}
	if (first != REPLAY_NEW ||
	    replay_check(c, hdr, 0, 1300) != REPLAY_DUPLICATE ||
	    replay_check(c, hdr, 1, 700) != REPLAY_RETRY ||
	    replay_check(c, hdr, 0, 1301) != REPLAY_NEW)
		abort();
	/* Fill the 4-slot table with other live entries: the next check
	 * must evict rather than fail. */
	for (int i = 0; i < 8; i++) {
		enum replay_status st;

		hdr[3 + i % 64] = hdr[3 + i % 64] == 'f' ? '0' : 'f';
		st = replay_check(c, hdr, 0, 1302);
		if (st == REPLAY_INVALID || st == REPLAY_RETRY)
			abort();
	}
out:
	free(hdr);
	replay_cache_free(c);
	return 0;
}
