/*
 * fuzz_slack_sig.c - slack_sig_verify() on arbitrary headers and bodies.
 *
 * Input layout: timestamp header, '\n', signature header, '\n', body (a
 * missing '\n' leaves the later parts empty). Headers are cut at a NUL as a
 * C string would be. The secret and clock are fixed, so the fuzzer cannot
 * forge a signature; to exercise the accepting path too, each input is
 * also re-signed with slack_sig_compute() and must then verify exactly
 * when its timestamp is well-formed and fresh, and stop verifying when the
 * body changes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/sig.h"

#define S_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define S_NOW ((time_t)1531420618)

static char *s_take_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left;
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += nl ? n + 1 : n;
	*left -= nl ? n + 1 : n;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *ts = s_take_line(&p, &left);
	char *sig = s_take_line(&p, &left);
	char good[SLACK_SIG_HEADER_LEN + 1];
	enum slack_sig_status st;
	uint8_t *copy;

	st = slack_sig_verify(S_SECRET, ts, sig, p, left, S_NOW);
	if (st > SLACK_SIG_NO_SECRET || slack_sig_reason(st) == NULL)
		abort();
	if (ts[0] != '\0' && slack_sig_compute(S_SECRET, ts, p, left, good, NULL) == 0) {
		st = slack_sig_verify(S_SECRET, ts, good, p, left, S_NOW);
		if (st != SLACK_SIG_OK && st != SLACK_SIG_BAD_TIMESTAMP && st != SLACK_SIG_STALE)
			abort();
		if (st == SLACK_SIG_OK && left > 0) {
			copy = malloc(left);
			if (copy == NULL)
				abort();
			memcpy(copy, p, left);
			copy[left - 1] ^= 1;
			if (slack_sig_verify(S_SECRET, ts, good, copy, left, S_NOW) !=
			    SLACK_SIG_BAD)
				abort();
			free(copy);
		}
	}
	free(ts);
	free(sig);
	return 0;
}
