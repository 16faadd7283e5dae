/*
 * fuzz_fcgi_proto.c - the FastCGI request parser (fcgi/proto.c) on
 * arbitrary bytes, fed in the chunk sizes the first input byte picks (the
 * door feeds whatever read() returned).
 *
 * Besides memory safety, checks the contracts: feed never consumes more
 * than it was given, a finished request's params are NUL-terminated
 * strings inside its decoded block, the body never exceeds body_max, and
 * nothing is kept beyond FCGI_PARAMS_MAX of parameters. As on a kept
 * connection (FCGI_KEEP_CONN), the bytes after a finished request are fed
 * to the same parser after fcgi_req_reset, up to FUZZ_REQUESTS requests;
 * each finished request's answer built as iovecs (fcgi_out_build, its
 * params as head and body as body) must be byte for byte what
 * fcgi_encode_response makes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/proto.h"

/* Small, so STDIN over the limit is reached too. */
#define FUZZ_BODY_MAX 4096
/* Requests parsed one after another on one "connection". */
#define FUZZ_REQUESTS 8

/* The iovec answer equals the copied one. */
static void s_check_out(const struct fcgi_req *r)
{
	static struct fcgi_out o;
	const char *head = r->raw_params != NULL ? (const char *)r->raw_params : "";
	const char *body = r->body != NULL ? r->body : "";
	size_t hl = r->raw_len, bl = r->body_len, len, at = 0;
	unsigned char *flat, *want;
	char *data = malloc(hl + bl + 1);

	if (data == NULL)
		return;
	memcpy(data, head, hl);
	memcpy(data + hl, body, bl);
	want = fcgi_encode_response(r->request_id, data, hl + bl, &len);
	flat = malloc(len + 1);
	if (want == NULL || flat == NULL || fcgi_out_build(&o, r->request_id, head, hl, body, bl))
		abort();
	for (int i = 0; i < o.n; i++) {
		if (at + o.iov[i].iov_len > len)
			abort();
		memcpy(flat + at, o.iov[i].iov_base, o.iov[i].iov_len);
		at += o.iov[i].iov_len;
	}
	if (at != len || o.total != len || memcmp(flat, want, len) != 0)
		abort();
	free(flat);
	free(want);
	free(data);
}

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
	for (int k = 0; k < FUZZ_REQUESTS; k++) {
		int failed = 0;

		/* What the last read brought past the request is fed first. */
		while ((pos < size || have > 0) && r.stage != FCGI_STAGE_DONE) {
			size_t n = size - pos < chunk ? size - pos : chunk, used;

			memcpy(held + have, data + pos, n);
			have += n;
			pos += n;
			if (fcgi_req_feed(&r, held, have, &used, &err) != 0) {
				failed = 1;
				break;
			}
			if (used > have)
				abort();
			memmove(held, held + used, have - used);
			have -= used;
			if (n == 0 && used == 0)
				break;           /* an incomplete record and no more bytes */
		}
		if (failed || r.stage != FCGI_STAGE_DONE)
			break;
		s_check_done(&r);
		s_check_out(&r);
		fcgi_req_reset(&r, FUZZ_BODY_MAX);
	}
	fcgi_req_clear(&r);
	free(held);
	return 0;
}
