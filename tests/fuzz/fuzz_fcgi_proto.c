/*
 * fuzz_fcgi_proto.c - the FastCGI request parser (fcgi/proto.c) on
 * arbitrary bytes, fed in the chunk sizes the first input byte picks (the
 * door feeds whatever read() returned).
 *
 * Besides memory safety, checks the contracts: feed never consumes more
 * than it was given, a finished request's params are NUL-terminated
 * strings inside its decoded block, the body never exceeds body_max, and
 * nothing is kept beyond FCGI_PARAMS_MAX of parameters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/proto.h"

/* Small, so STDIN over the limit is reached too. */
#define FUZZ_BODY_MAX 4096

static void s_check_done(const struct fcgi_req *r)
{
	if (r->raw_len > FCGI_PARAMS_MAX || r->body_len > FUZZ_BODY_MAX)
		abort();
	for (size_t i = 0; i < r->n_params; i++) {
		if (fcgi_req_param(r, r->params[i].name) == NULL)
			abort();
		(void)strlen(r->params[i].value);
	}
	if (r->body != NULL && r->body[r->body_len] != '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_req r;
	struct si_err err;
	unsigned char *held;
	size_t have = 0, chunk, pos = 1;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	held = malloc(size);
	if (held == NULL)
		return 0;
	fcgi_req_init(&r, FUZZ_BODY_MAX);
	while (pos < size && r.stage != FCGI_STAGE_DONE) {
		size_t n = size - pos < chunk ? size - pos : chunk, used;

		memcpy(held + have, data + pos, n);
		have += n;
		pos += n;
		if (fcgi_req_feed(&r, held, have, &used, &err) != 0)
			break;
		if (used > have)
			abort();
		memmove(held, held + used, have - used);
		have -= used;
	}
	if (r.stage == FCGI_STAGE_DONE)
		s_check_done(&r);
	fcgi_req_clear(&r);
	free(held);
	return 0;
}
