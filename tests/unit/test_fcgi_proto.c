/*
 * test_fcgi_proto.c - the FastCGI request parser (fcgi/proto.c): what nginx
 * sends parses, fed whole or a byte at a time; every hostile or broken
 * record is refused, never crashes or allocates what it announces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fcgi/proto.h"

#define BODY_MAX 65536

struct rec_buf {
	unsigned char b[200000];
	size_t n;
};

static void s_rec(struct rec_buf *o, int type, unsigned int id, const void *c, size_t len,
		  size_t pad)
{
	unsigned char *p = o->b + o->n;

	p[0] = 1;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)(id >> 8);
	p[3] = (unsigned char)id;
	p[4] = (unsigned char)(len >> 8);
	p[5] = (unsigned char)len;
	p[6] = (unsigned char)pad;
	p[7] = 0;
	if (len > 0)
		memcpy(p + 8, c, len);
	memset(p + 8 + len, 0, pad);
	o->n += 8 + len + pad;
}

static void s_begin(struct rec_buf *o, unsigned int id)
{
	static const unsigned char body[8] = {0, 1, 0, 0, 0, 0, 0, 0};

	s_rec(o, FCGI_BEGIN_REQUEST, id, body, 8, 0);
}

/* name-value pair with the short or long length forms as needed */
static size_t s_pair(unsigned char *p, const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v), n = 0;
	size_t lens[2] = {kl, vl};

	for (int i = 0; i < 2; i++) {
		if (lens[i] < 128) {
			p[n++] = (unsigned char)lens[i];
		} else {
			p[n++] = (unsigned char)(0x80 | (lens[i] >> 24));
			p[n++] = (unsigned char)(lens[i] >> 16);
			p[n++] = (unsigned char)(lens[i] >> 8);
			p[n++] = (unsigned char)lens[i];
		}
	}
	memcpy(p + n, k, kl);
	memcpy(p + n + kl, v, vl);
	return n + kl + vl;
}

/* A request as nginx sends it: BEGIN, one PARAMS record, empty PARAMS,
 * STDIN (padded), empty STDIN. */
static void s_nginx_request(struct rec_buf *o, const char *body)
{
	unsigned char params[4096];
	char longv[300];
	size_t n = 0;

	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	n += s_pair(params + n, "REQUEST_METHOD", "POST");
	n += s_pair(params + n, "DOCUMENT_URI", "/slack/infra-search");
	n += s_pair(params + n, "HTTP_X_LONG", longv);
	n += s_pair(params + n, "EMPTY", "");
	s_begin(o, 1);
	s_rec(o, FCGI_PARAMS, 1, params, n, 3);
	s_rec(o, FCGI_PARAMS, 1, NULL, 0, 0);
	s_rec(o, FCGI_STDIN, 1, body, strlen(body), 5);
	s_rec(o, FCGI_STDIN, 1, NULL, 0, 0);
}

static void s_check_parsed(const struct fcgi_req *r, const char *body)
{
	assert_int_equal(r->stage, FCGI_STAGE_DONE);
	assert_int_equal(r->request_id, 1);
	assert_string_equal(fcgi_req_param(r, "REQUEST_METHOD"), "POST");
	assert_string_equal(fcgi_req_param(r, "DOCUMENT_URI"), "/slack/infra-search");
	assert_int_equal(strlen(fcgi_req_param(r, "HTTP_X_LONG")), 299);
	assert_string_equal(fcgi_req_param(r, "EMPTY"), "");
	assert_null(fcgi_req_param(r, "MISSING"));
	assert_int_equal(r->body_len, strlen(body));
	assert_memory_equal(r->body, body, strlen(body));
	assert_int_equal(r->body_over, 0);
}

static void test_nginx_request_whole(void **state)
{
	static struct rec_buf o;
	struct fcgi_req r;
	struct si_err err;
	size_t used;

	(void)state;
	o.n = 0;
	s_nginx_request(&o, "text=i-0123&team_id=T1");
	fcgi_req_init(&r, BODY_MAX);
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), 0);
	assert_int_equal(used, o.n);
	s_check_parsed(&r, "text=i-0123&team_id=T1");
	fcgi_req_clear(&r);
}

/* The door feeds whatever read() returned: one byte at a time must give
 * the same request (records are only consumed whole). */
static void test_nginx_request_byte_by_byte(void **state)
{
	static struct rec_buf o;
	unsigned char held[70000];
	size_t have = 0;
	struct fcgi_req r;
	struct si_err err;

	(void)state;
	o.n = 0;
	s_nginx_request(&o, "a=b");
	fcgi_req_init(&r, BODY_MAX);
	for (size_t i = 0; i < o.n && r.stage != FCGI_STAGE_DONE; i++) {
		size_t used;

		held[have++] = o.b[i];
		assert_int_equal(fcgi_req_feed(&r, held, have, &used, &err), 0);
		memmove(held, held + used, have - used);
		have -= used;
	}
	s_check_parsed(&r, "a=b");
	fcgi_req_clear(&r);
}

/* The record from issue 11 that aborts libfcgi: both lengths 0x3fffffff,
 * 4 bytes of data. Refused as lengths past what was sent. */
static void test_hostile_lengths_refused(void **state)
{
	static const unsigned char pair[] = {0xbf, 0xff, 0xff, 0xff, 0xbf, 0xff, 0xff, 0xff,
					     'A', 'A', 'A', 'A'};
	static struct rec_buf o;
	struct fcgi_req r;
	struct si_err err;
	size_t used;

	(void)state;
	o.n = 0;
	/* As the issue sends it: no terminating empty PARAMS record. */
	s_begin(&o, 1);
	s_rec(&o, FCGI_PARAMS, 1, pair, sizeof(pair), 0);
	fcgi_req_init(&r, BODY_MAX);
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), -1);
	assert_non_null(strstr(err.msg, "past the"));
	fcgi_req_clear(&r);
	/* Lengths within the limit but past the stream's end, terminated. */
	o.n = 0;
	s_begin(&o, 1);
	s_rec(&o, FCGI_PARAMS, 1, "\x80\x00\x01\x00\x05" "abc", 8, 0);
	s_rec(&o, FCGI_PARAMS, 1, NULL, 0, 0);
	fcgi_req_init(&r, BODY_MAX);
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), -1);
	assert_non_null(strstr(err.msg, "past the"));
	fcgi_req_clear(&r);
}

/* Broken inputs, each refused with -1 (table: habit 9). */
struct bad_case {
	const char *name;
	void (*build)(struct rec_buf *o);
};

static void b_version(struct rec_buf *o)
{
	s_begin(o, 1);
	o->b[0] = 2;
}

static void b_params_first(struct rec_buf *o)
{
	s_rec(o, FCGI_PARAMS, 1, "\x01\x01" "ab", 4, 0);
}

static void b_id_zero(struct rec_buf *o)
{
	s_begin(o, 0);
}

static void b_authorizer(struct rec_buf *o)
{
	static const unsigned char body[8] = {0, 2, 0, 0, 0, 0, 0, 0};

	s_rec(o, FCGI_BEGIN_REQUEST, 1, body, 8, 0);
}

static void b_second_id(struct rec_buf *o)
{
	s_begin(o, 1);
	s_rec(o, FCGI_PARAMS, 2, NULL, 0, 0);
}

static void b_truncated_len(struct rec_buf *o)
{
	s_begin(o, 1);
	s_rec(o, FCGI_PARAMS, 1, "\x80\x00", 2, 0);
	s_rec(o, FCGI_PARAMS, 1, NULL, 0, 0);
}

static void b_value_past_end(struct rec_buf *o)
{
	s_begin(o, 1);
	s_rec(o, FCGI_PARAMS, 1, "\x01\x05" "ab", 4, 0);
	s_rec(o, FCGI_PARAMS, 1, NULL, 0, 0);
}

static void b_params_too_big(struct rec_buf *o)
{
	static unsigned char junk[60000];

	s_begin(o, 1);
	s_rec(o, FCGI_PARAMS, 1, junk, sizeof(junk), 0);
	s_rec(o, FCGI_PARAMS, 1, junk, sizeof(junk), 0);
}

static void b_stdin_before_params_end(struct rec_buf *o)
{
	s_begin(o, 1);
	s_rec(o, FCGI_STDIN, 1, "x", 1, 0);
}

static void b_abort(struct rec_buf *o)
{
	s_begin(o, 1);
	s_rec(o, FCGI_ABORT_REQUEST, 1, NULL, 0, 0);
}

static void b_management(struct rec_buf *o)
{
	s_rec(o, 9, 0, "\x0e\x00" "FCGI_MAX_CONNS", 16, 0);
}

static const struct bad_case s_bad[] = {
	{"version 2", b_version},
	{"PARAMS before BEGIN", b_params_first},
	{"request id 0", b_id_zero},
	{"role AUTHORIZER", b_authorizer},
	{"a second request id", b_second_id},
	{"truncated 4-byte length", b_truncated_len},
	{"value longer than the stream", b_value_past_end},
	{"params over FCGI_PARAMS_MAX", b_params_too_big},
	{"STDIN before PARAMS ended", b_stdin_before_params_end},
	{"ABORT_REQUEST", b_abort},
	{"GET_VALUES management record", b_management},
};

static void test_broken_inputs_refused(void **state)
{
	static struct rec_buf o;

	(void)state;
	for (size_t i = 0; i < sizeof(s_bad) / sizeof(s_bad[0]); i++) {
		struct fcgi_req r;
		struct si_err err;
		size_t used;
		int rc;

		o.n = 0;
		s_bad[i].build(&o);
		fcgi_req_init(&r, BODY_MAX);
		rc = fcgi_req_feed(&r, o.b, o.n, &used, &err);
		if (rc != -1)
			fail_msg("%s: accepted", s_bad[i].name);
		fcgi_req_clear(&r);
	}
}

/* STDIN past body_max is not kept: the request completes with body_over
 * (the app then answers from CONTENT_LENGTH). */
static void test_body_over_max(void **state)
{
	static struct rec_buf o;
	static char big[20000];
	struct fcgi_req r;
	struct si_err err;
	size_t used;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	o.n = 0;
	s_begin(&o, 7);
	s_rec(&o, FCGI_PARAMS, 7, NULL, 0, 0);
	s_rec(&o, FCGI_STDIN, 7, big, strlen(big), 0);
	fcgi_req_init(&r, 1024);
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), 0);
	assert_int_equal(r.stage, FCGI_STAGE_DONE);
	assert_int_equal(r.body_over, 1);
	assert_int_equal(r.body_len, 0);
	fcgi_req_clear(&r);
}

/* The answer: STDOUT records of at most 65535 bytes, the empty STDOUT,
 * END_REQUEST with the request's id. */
static void test_encode_response(void **state)
{
	static char data[70000];
	size_t len;
	unsigned char *out;

	(void)state;
	memset(data, 'z', sizeof(data));
	out = fcgi_encode_response(258, data, sizeof(data), &len);
	assert_non_null(out);
	assert_int_equal(len, sizeof(data) + 8 * 4 + 8);
	assert_int_equal(out[1], FCGI_STDOUT);
	assert_int_equal(out[2], 1);
	assert_int_equal(out[3], 2);
	assert_int_equal(out[4] << 8 | out[5], 65535);
	assert_int_equal(out[8 + 65535 + 1], FCGI_STDOUT);
	assert_int_equal(out[len - 16 - 8 + 1], FCGI_STDOUT);
	assert_int_equal(out[len - 16 + 1], FCGI_END_REQUEST);
	assert_int_equal(out[len - 16 + 5], 8);
	free(out);
}

/* A kept connection: fcgi_req_reset between requests gives the second
 * request exactly as a fresh parser would, after a small request (buffers
 * kept) and after one with a body over FCGI_REUSE_MAX (that buffer
 * freed, the others kept). */
static void test_reset_for_next_request(void **state)
{
	static struct rec_buf o;
	static char big[20000];
	struct fcgi_req r;
	struct si_err err;
	size_t used;
	void *params_buf;

	(void)state;
	memset(big, 'b', sizeof(big) - 1);
	fcgi_req_init(&r, BODY_MAX);
	o.n = 0;
	s_nginx_request(&o, "first=1");
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), 0);
	s_check_parsed(&r, "first=1");
	params_buf = r.params;
	fcgi_req_reset(&r, BODY_MAX);
	assert_int_equal(r.stage, FCGI_STAGE_BEGIN);
	assert_int_equal(r.n_params, 0);
	assert_int_equal(r.body_len, 0);
	assert_null(fcgi_req_param(&r, "REQUEST_METHOD"));
	assert_ptr_equal(r.params, params_buf);         /* kept: small */
	assert_true(r.body == NULL || r.body[0] == '\0');
	o.n = 0;
	s_nginx_request(&o, big);
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), 0);
	assert_int_equal(used, o.n);
	s_check_parsed(&r, big);
	fcgi_req_reset(&r, BODY_MAX);
	assert_null(r.body);                             /* freed: large */
	assert_int_equal(r.body_cap, 0);
	o.n = 0;
	s_nginx_request(&o, "third=3");
	assert_int_equal(fcgi_req_feed(&r, o.b, o.n, &used, &err), 0);
	s_check_parsed(&r, "third=3");
	fcgi_req_clear(&r);
}

/* fcgi_out_build's iovecs carry exactly fcgi_encode_response's bytes, for
 * data in one record, across record boundaries, with the head/body split
 * inside a record and on a boundary, and an empty body. */
static void test_out_matches_encode(void **state)
{
	static char data[3 * 65535 + 100];
	static unsigned char flat[sizeof(data) + 64];
	static struct fcgi_out out;
	const size_t sizes[][2] = {
		{60, 0}, {60, 300}, {65535, 0}, {65535, 1}, {100, 65535}, {65534, 2},
		{300, 3 * 65535 + 100 - 300 - 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t hl = sizes[k][0], bl = sizes[k][1], len, at = 0;
		unsigned char *want = fcgi_encode_response(513, data, hl + bl, &len);

		assert_non_null(want);
		assert_int_equal(fcgi_out_build(&out, 513, data, hl, data + hl, bl), 0);
		for (int i = 0; i < out.n; i++) {
			assert_true(out.iov[i].iov_len > 0);
			memcpy(flat + at, out.iov[i].iov_base, out.iov[i].iov_len);
			at += out.iov[i].iov_len;
		}
		assert_int_equal(at, len);
		assert_int_equal(out.total, len);
		assert_memory_equal(flat, want, len);
		free(want);
	}
	/* More than FCGI_OUT_RECORDS_MAX records: refused, not cut. */
	assert_int_equal(fcgi_out_build(&out, 1, data, 10,
					data, (size_t)FCGI_OUT_RECORDS_MAX * 65535), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx_request_whole),
		cmocka_unit_test(test_nginx_request_byte_by_byte),
		cmocka_unit_test(test_hostile_lengths_refused),
		cmocka_unit_test(test_broken_inputs_refused),
		cmocka_unit_test(test_body_over_max),
		cmocka_unit_test(test_encode_response),
		cmocka_unit_test(test_reset_for_next_request),
		cmocka_unit_test(test_out_matches_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
