/*
 * test_slack_sig.c - Slack request signature verification against Slack's
 * documented example ($SI_TESTDATA/slack/signing/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "slack/sig.h"

/* The example vector, loaded once per test by the group setup. */
struct vec {
	char *secret;
	char *timestamp;
	char *signature;
	unsigned char *body;
	size_t body_len;
	long long now;
};

static char *s_path(const char *rel)
{
	const char *root = getenv("SI_TESTDATA");
	char *p;
	int n;

	if (root == NULL || root[0] == '\0')
		fail_msg("SI_TESTDATA is not set");
	n = snprintf(NULL, 0, "%s/%s", root, rel);
	assert_true(n > 0);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(snprintf(p, (size_t)n + 1, "%s/%s", root, rel), n);
	return p;
}

/* Read a file's exact bytes (no newline stripping). */
static unsigned char *s_read(const char *rel, size_t *len)
{
	char *path = s_path(rel);
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long sz;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = malloc((size_t)sz + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)sz, f), (size_t)sz);
	data[sz] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)sz;
	return data;
}

static char *s_json_str(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	assert_true(json_object_is_type(v, json_type_string));
	return strdup(json_object_get_string(v));
}

static int s_setup(void **state)
{
	struct vec *v = calloc(1, sizeof(*v));
	char *path = s_path("slack/signing/vector.json");
	json_object *root = json_object_from_file(path), *o, *hdrs;
	size_t expect_len;

	assert_non_null(v);
	if (root == NULL)
		fail_msg("cannot parse %s", path);
	v->secret = s_json_str(root, "signing_secret");
	v->timestamp = s_json_str(root, "timestamp");
	v->signature = s_json_str(root, "signature");
	assert_true(json_object_object_get_ex(root, "clock_now_used_by_sdk_test", &o));
	v->now = json_object_get_int64(o);
	assert_true(json_object_object_get_ex(root, "body_length_bytes", &o));
	expect_len = (size_t)json_object_get_int64(o);
	/* The header block must agree with the top-level fields. */
	assert_true(json_object_object_get_ex(root, "headers", &hdrs));
	assert_true(json_object_object_get_ex(hdrs, "X-Slack-Signature", &o));
	assert_string_equal(json_object_get_string(o), v->signature);
	assert_true(json_object_object_get_ex(hdrs, "X-Slack-Request-Timestamp", &o));
	assert_string_equal(json_object_get_string(o), v->timestamp);
	json_object_put(root);
	free(path);
	v->body = s_read("slack/signing/body.txt", &v->body_len);
	assert_int_equal(v->body_len, expect_len);
	*state = v;
	return 0;
}

static int s_teardown(void **state)
{
	struct vec *v = *state;

	free(v->secret);
	free(v->timestamp);
	free(v->signature);
	free(v->body);
	free(v);
	return 0;
}

static enum slack_sig_status s_verify(const struct vec *v, const char *ts,
				      const char *sig, long long now)
{
	return slack_sig_verify(v->secret, ts, sig, v->body, v->body_len, (time_t)now);
}

static void test_example_accepted(void **state)
{
	struct vec *v = *state;

	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now), SLACK_SIG_OK);
}

static void test_compute_reproduces_example(void **state)
{
	struct vec *v = *state;
	char out[SLACK_SIG_HEADER_LEN + 1];
	struct si_err err;

	assert_int_equal(slack_sig_compute(v->secret, v->timestamp, v->body,
					   v->body_len, out, &err), 0);
	assert_int_equal(strlen(out), SLACK_SIG_HEADER_LEN);
	assert_string_equal(out, v->signature);
}

static void test_every_body_bit_flip_rejected(void **state)
{
	struct vec *v = *state;
	size_t i;
	int bit;

	for (i = 0; i < v->body_len; i++) {
		for (bit = 0; bit < 8; bit++) {
			v->body[i] ^= (unsigned char)(1u << bit);
			if (s_verify(v, v->timestamp, v->signature, v->now) != SLACK_SIG_BAD)
				fail_msg("body flip at %zu bit %d accepted", i, bit);
			v->body[i] ^= (unsigned char)(1u << bit);
		}
	}
	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now), SLACK_SIG_OK);
}

static void test_body_length_change_rejected(void **state)
{
	struct vec *v = *state;
	unsigned char *longer = malloc(v->body_len + 1);

	assert_non_null(longer);
	memcpy(longer, v->body, v->body_len);
	longer[v->body_len] = '&';
	assert_int_equal(slack_sig_verify(v->secret, v->timestamp, v->signature,
					  v->body, v->body_len - 1, (time_t)v->now),
			 SLACK_SIG_BAD);
	assert_int_equal(slack_sig_verify(v->secret, v->timestamp, v->signature,
					  longer, v->body_len + 1, (time_t)v->now),
			 SLACK_SIG_BAD);
	assert_int_equal(slack_sig_verify(v->secret, v->timestamp, v->signature,
					  NULL, 0, (time_t)v->now),
			 SLACK_SIG_BAD);
	free(longer);
}

/* Each digit replaced by every other digit, with the clock moved to the
 * new timestamp so the window check passes: only the MAC can catch it. */
static void test_every_timestamp_digit_change_rejected(void **state)
{
	struct vec *v = *state;
	char ts[SLACK_SIG_TS_MAX_DIGITS + 1];
	size_t i, n = strlen(v->timestamp);
	char d;
	char *end;

	assert_true(n < sizeof(ts));
	for (i = 0; i < n; i++) {
		for (d = '0'; d <= '9'; d++) {
			memcpy(ts, v->timestamp, n + 1);
			if (ts[i] == d)
				continue;
			ts[i] = d;
			if (s_verify(v, ts, v->signature, strtoll(ts, &end, 10)) != SLACK_SIG_BAD)
				fail_msg("timestamp %s accepted", ts);
		}
	}
}

static void test_every_timestamp_bit_flip_rejected(void **state)
{
	struct vec *v = *state;
	char ts[SLACK_SIG_TS_MAX_DIGITS + 1];
	size_t i, n = strlen(v->timestamp);
	int bit;

	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(ts, v->timestamp, n + 1);
			ts[i] ^= (char)(1 << bit);
			if (s_verify(v, ts, v->signature, v->now) == SLACK_SIG_OK)
				fail_msg("timestamp flip at %zu bit %d accepted", i, bit);
		}
	}
}

static void test_every_signature_char_change_rejected(void **state)
{
	struct vec *v = *state;
	char sig[SLACK_SIG_HEADER_LEN + 1];
	static const char hex[] = "0123456789abcdef";
	size_t i, h;
	int bit;
	enum slack_sig_status st;

	assert_int_equal(strlen(v->signature), SLACK_SIG_HEADER_LEN);
	for (i = 0; i < SLACK_SIG_HEADER_LEN; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(sig, v->signature, sizeof(sig));
			sig[i] ^= (char)(1 << bit);
			st = s_verify(v, v->timestamp, sig, v->now);
			if (st == SLACK_SIG_OK)
				fail_msg("signature flip at %zu bit %d accepted", i, bit);
		}
	}
	/* Well-formed substitutions must reach the MAC comparison and fail. */
	for (i = 3; i < SLACK_SIG_HEADER_LEN; i++) {
		for (h = 0; h < 16; h++) {
			memcpy(sig, v->signature, sizeof(sig));
			if (sig[i] == hex[h])
				continue;
			sig[i] = hex[h];
			if (s_verify(v, v->timestamp, sig, v->now) != SLACK_SIG_BAD)
				fail_msg("signature %s not rejected as bad", sig);
		}
	}
}

static void test_wrong_secret_rejected(void **state)
{
	struct vec *v = *state;

	assert_int_equal(slack_sig_verify("not-the-secret", v->timestamp, v->signature,
					  v->body, v->body_len, (time_t)v->now),
			 SLACK_SIG_BAD);
}

static void test_window_edges(void **state)
{
	struct vec *v = *state;

	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now + 300), SLACK_SIG_OK);
	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now - 300), SLACK_SIG_OK);
	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now + 301), SLACK_SIG_STALE);
	assert_int_equal(s_verify(v, v->timestamp, v->signature, v->now - 301), SLACK_SIG_STALE);
	assert_int_equal(SLACK_SIG_MAX_SKEW, 300);
}

static void test_extreme_clocks_stale_not_overflow(void **state)
{
	struct vec *v = *state;

	assert_int_equal(s_verify(v, v->timestamp, v->signature, 0), SLACK_SIG_STALE);
	assert_int_equal(s_verify(v, v->timestamp, v->signature, INT64_MAX), SLACK_SIG_STALE);
	assert_int_equal(s_verify(v, v->timestamp, v->signature, INT64_MIN), SLACK_SIG_STALE);
	assert_int_equal(s_verify(v, "999999999999", v->signature, INT64_MIN), SLACK_SIG_STALE);
}

static void test_missing_headers(void **state)
{
	struct vec *v = *state;

	assert_int_equal(s_verify(v, NULL, v->signature, v->now), SLACK_SIG_MISSING);
	assert_int_equal(s_verify(v, "", v->signature, v->now), SLACK_SIG_MISSING);
	assert_int_equal(s_verify(v, v->timestamp, NULL, v->now), SLACK_SIG_MISSING);
	assert_int_equal(s_verify(v, v->timestamp, "", v->now), SLACK_SIG_MISSING);
	assert_int_equal(s_verify(v, NULL, NULL, v->now), SLACK_SIG_MISSING);
	assert_string_equal(slack_sig_reason(SLACK_SIG_MISSING), "missing signature");
}

static void test_missing_secret_fails_closed(void **state)
{
	struct vec *v = *state;

	assert_int_equal(slack_sig_verify(NULL, v->timestamp, v->signature, v->body,
					  v->body_len, (time_t)v->now), SLACK_SIG_NO_SECRET);
	assert_int_equal(slack_sig_verify("", v->timestamp, v->signature, v->body,
					  v->body_len, (time_t)v->now), SLACK_SIG_NO_SECRET);
}

static void test_duplicate_headers_rejected(void **state)
{
	struct vec *v = *state;
	char buf[2 * SLACK_SIG_HEADER_LEN + 8];

	assert_true(snprintf(buf, sizeof(buf), "%s, %s", v->signature, v->signature) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "%s,%s", v->signature, v->signature) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "%s, %s", v->timestamp, v->timestamp) > 0);
	assert_int_equal(s_verify(v, buf, v->signature, v->now), SLACK_SIG_BAD_TIMESTAMP);
}

static void test_garbled_timestamps(void **state)
{
	struct vec *v = *state;
	static const char *const bad[] = {
		"+1531420618", "-1531420618", " 1531420618", "1531420618 ",
		"1531420618\n", "1531420618.0", "0x5b47d8ca", "1e9", "abc",
		"1234567890123", "99999999999999999999999999",
		"153142061\xd9\xa8", /* Arabic-Indic digit eight */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (s_verify(v, bad[i], v->signature, v->now) != SLACK_SIG_BAD_TIMESTAMP)
			fail_msg("timestamp '%s' not rejected as bad", bad[i]);
	}
	assert_string_equal(slack_sig_reason(SLACK_SIG_BAD_TIMESTAMP), "bad timestamp");
}

static void test_garbled_signatures(void **state)
{
	struct vec *v = *state;
	char buf[SLACK_SIG_HEADER_LEN + 8];
	size_t i;

	/* Upper-case hex: documented as malformed, not normalised. */
	memcpy(buf, v->signature, SLACK_SIG_HEADER_LEN + 1);
	for (i = 3; i < SLACK_SIG_HEADER_LEN; i++) {
		if (buf[i] >= 'a' && buf[i] <= 'f')
			buf[i] = (char)(buf[i] - 'a' + 'A');
	}
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	/* Wrong version, wrong separator. */
	assert_true(snprintf(buf, sizeof(buf), "v1=%s", v->signature + 3) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "V0=%s", v->signature + 3) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "v0:%s", v->signature + 3) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	/* No prefix at all. */
	assert_int_equal(s_verify(v, v->timestamp, v->signature + 3, v->now), SLACK_SIG_MALFORMED);
	/* One hex digit short, one too many, trailing space. */
	memcpy(buf, v->signature, SLACK_SIG_HEADER_LEN - 1);
	buf[SLACK_SIG_HEADER_LEN - 1] = '\0';
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "%s0", v->signature) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_true(snprintf(buf, sizeof(buf), "%s ", v->signature) > 0);
	assert_int_equal(s_verify(v, v->timestamp, buf, v->now), SLACK_SIG_MALFORMED);
	assert_int_equal(s_verify(v, v->timestamp, "v0=", v->now), SLACK_SIG_MALFORMED);
	assert_string_equal(slack_sig_reason(SLACK_SIG_MALFORMED), "malformed signature");
}

static void test_reasons(void **state)
{
	(void)state;
	assert_string_equal(slack_sig_reason(SLACK_SIG_OK), "ok");
	assert_string_equal(slack_sig_reason(SLACK_SIG_STALE), "stale timestamp");
	assert_string_equal(slack_sig_reason(SLACK_SIG_BAD), "bad signature");
	assert_string_equal(slack_sig_reason(SLACK_SIG_NO_SECRET), "no signing secret configured");
	assert_string_equal(slack_sig_reason((enum slack_sig_status)99),
			    "unknown signature status");
}

static void test_compute_rejects_bad_arguments_without_leaking_secret(void **state)
{
	struct vec *v = *state;
	char out[SLACK_SIG_HEADER_LEN + 1];
	struct si_err err;

	si_err_clear(&err);
	assert_int_equal(slack_sig_compute(v->secret, NULL, "", 0, out, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(strstr(err.msg, v->secret));
	assert_int_equal(slack_sig_compute(v->secret, "", "", 0, out, &err), -1);
	assert_int_equal(slack_sig_compute("", v->timestamp, "", 0, out, &err), -1);
	assert_int_equal(slack_sig_compute(v->secret, v->timestamp, NULL, 5, out, &err), -1);
	assert_null(strstr(err.msg, v->secret));
	/* An empty body is legitimate (Slack's ssl_check pings are short). */
	assert_int_equal(slack_sig_compute(v->secret, v->timestamp, NULL, 0, out, NULL), 0);
	assert_int_equal(slack_sig_verify(v->secret, v->timestamp, out, NULL, 0,
					  (time_t)v->now), SLACK_SIG_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_accepted),
		cmocka_unit_test(test_compute_reproduces_example),
		cmocka_unit_test(test_every_body_bit_flip_rejected),
		cmocka_unit_test(test_body_length_change_rejected),
		cmocka_unit_test(test_every_timestamp_digit_change_rejected),
		cmocka_unit_test(test_every_timestamp_bit_flip_rejected),
		cmocka_unit_test(test_every_signature_char_change_rejected),
		cmocka_unit_test(test_wrong_secret_rejected),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_extreme_clocks_stale_not_overflow),
		cmocka_unit_test(test_missing_headers),
		cmocka_unit_test(test_missing_secret_fails_closed),
		cmocka_unit_test(test_duplicate_headers_rejected),
		cmocka_unit_test(test_garbled_timestamps),
		cmocka_unit_test(test_garbled_signatures),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_compute_rejects_bad_arguments_without_leaking_secret),
	};

	return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
