#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

/*
 * A strict reader for the lines audit_line() writes: key=value pairs
 * separated by one space, values bare or double-quoted with \" \\ and \xNN
 * escapes. If a value could forge a field or a line, or a line were cut
 * inside a quoted value, parsing would fail or show the wrong keys.
 */
#define T_FIELDS_MAX 32

struct t_field {
	char key[32];
	char val[LOGFMT_LINE_MAX];
	size_t val_len;
};

struct t_line {
	struct t_field f[T_FIELDS_MAX];
	size_t n;
};

static int t_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The byte written as two lower-case hex digits at p, or -1. */
static int t_hex2(const char *p)
{
	int hi = t_hex(p[0]), lo = hi < 0 ? -1 : t_hex(p[1]);

	return lo < 0 ? -1 : hi << 4 | lo;
}

/* Parse len bytes of s; 0 on success. */
static int t_parse(const char *s, size_t len, struct t_line *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		struct t_field *f;
		size_t k = 0;

		if (out->n == T_FIELDS_MAX)
			return -1;
		f = &out->f[out->n++];
		if (out->n > 1) {
			if (s[i] != ' ')
				return -1;
			i++;
		}
		while (i < len && s[i] != '=') {
			if (s[i] < 'a' || s[i] > 'z') {
				if (s[i] != '_')
					return -1;
			}
			if (k + 1 >= sizeof(f->key))
				return -1;
			f->key[k++] = s[i++];
		}
		if (i == len || k == 0)
			return -1;
		i++;
		if (i < len && s[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return -1;  /* unterminated quote */
				if (s[i] == '"')
					break;
				if (s[i] == '\\') {
					if (i + 1 >= len)
						return -1;
					if (s[i + 1] == '"' || s[i + 1] == '\\') {
						f->val[f->val_len++] = s[++i];
					} else if (s[i + 1] == 'x' && i + 3 < len &&
						   t_hex2(s + i + 2) >= 0) {
						f->val[f->val_len++] = (char)t_hex2(s + i + 2);
						i += 3;
					} else {
						return -1;
					}
					continue;
				}
				if ((unsigned char)s[i] < 0x20)
					return -1;
				f->val[f->val_len++] = s[i];
			}
			i++;
		} else {
			while (i < len && s[i] != ' ') {
				if ((unsigned char)s[i] <= 0x20 || s[i] == '"' || s[i] == '=')
					return -1;
				f->val[f->val_len++] = s[i++];
			}
		}
		f->val[f->val_len] = '\0';
	}
	return 0;
}

static const char *t_get(const struct t_line *l, const char *key)
{
	const char *found = NULL;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->f[i].key, key) != 0)
			continue;
		if (found != NULL)
			fail_msg("key %s appears twice", key);
		found = l->f[i].val;
	}
	return found;
}

static void t_line_of(const struct audit_record *r, struct t_line *out)
{
	struct logfmt l;

	assert_int_equal(audit_line(&l, r), 0);
	assert_true(l.len < LOGFMT_LINE_MAX);
	assert_null(memchr(l.buf, '\n', l.len));
	if (t_parse(l.buf, l.len, out) != 0)
		fail_msg("unparseable line: %.*s", (int)l.len, l.buf);
}

static struct audit_record t_record(void)
{
	struct audit_record r;

	memset(&r, 0, sizeof(r));
	r.request_id = "0123456789abcdef0123456789abcdef";
	r.team_id = "T0001";
	r.enterprise_id = "E0001";
	r.user_id = "U0001";
	r.user_name = "alice";
	r.channel_id = "C0001";
	r.channel_name = "ops";
	r.query = "i-0abc 10.0.0.1 account:production";
	r.targets = 12;
	r.accounts = 3;
	r.matches = 2;
	r.failures = 1;
	r.duration_ms = 842;
	r.delivery = AUDIT_DELIVERY_DEFERRED;
	r.outcome = AUDIT_OUTCOME_PARTIAL;
	return r;
}

static void test_line_holds_every_field(void **state)
{
	struct audit_record r = t_record();
	struct t_line l;

	(void)state;
	t_line_of(&r, &l);
	assert_string_equal(l.f[0].key, "time");
	assert_string_equal(t_get(&l, "level"), "info");
	assert_string_equal(t_get(&l, "event"), "audit");
	assert_string_equal(t_get(&l, "request_id"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(t_get(&l, "team_id"), "T0001");
	assert_string_equal(t_get(&l, "enterprise_id"), "E0001");
	assert_string_equal(t_get(&l, "user_id"), "U0001");
	assert_string_equal(t_get(&l, "user_name"), "alice");
	assert_string_equal(t_get(&l, "channel_id"), "C0001");
	assert_string_equal(t_get(&l, "channel_name"), "ops");
	assert_string_equal(t_get(&l, "query"), "i-0abc 10.0.0.1 account:production");
	assert_string_equal(t_get(&l, "targets"), "12");
	assert_string_equal(t_get(&l, "accounts"), "3");
	assert_string_equal(t_get(&l, "matches"), "2");
	assert_string_equal(t_get(&l, "failures"), "1");
	assert_string_equal(t_get(&l, "duration_ms"), "842");
	assert_string_equal(t_get(&l, "delivery"), "deferred");
	assert_string_equal(t_get(&l, "outcome"), "partial");
	assert_null(t_get(&l, "reason"));
	assert_null(t_get(&l, "query_truncated"));
	/* Nothing else: there is no place for a secret to appear. */
	assert_int_equal(l.n, 18);
}

static void test_query_is_last_and_order_fixed(void **state)
{
	struct audit_record r = t_record();
	static const char *const order[] = {
		"time", "level", "event", "request_id", "team_id", "enterprise_id", "user_id",
		"channel_id", "targets", "accounts", "matches", "failures",
		"duration_ms", "delivery", "outcome", "reason", "user_name",
		"channel_name", "query",
	};
	struct t_line l;

	(void)state;
	r.reason = "channel not allowed";
	r.outcome = AUDIT_OUTCOME_REFUSED;
	r.delivery = AUDIT_DELIVERY_NONE;
	t_line_of(&r, &l);
	assert_int_equal(l.n, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.f[i].key, order[i]);
	assert_string_equal(t_get(&l, "reason"), "channel not allowed");
	assert_string_equal(t_get(&l, "outcome"), "refused");
	assert_string_equal(t_get(&l, "delivery"), "none");
}

static void test_absent_strings_are_left_out(void **state)
{
	struct audit_record r;
	struct t_line l;

	(void)state;
	memset(&r, 0, sizeof(r));
	t_line_of(&r, &l);
	assert_null(t_get(&l, "team_id"));
	assert_null(t_get(&l, "enterprise_id"));
	assert_null(t_get(&l, "user_name"));
	assert_null(t_get(&l, "query"));
	assert_string_equal(t_get(&l, "targets"), "0");
	assert_string_equal(t_get(&l, "delivery"), "none");
	assert_string_equal(t_get(&l, "outcome"), "ok");
	/* An empty query is kept, quoted, so "" and absent differ. */
	r.query = "";
	t_line_of(&r, &l);
	assert_string_equal(t_get(&l, "query"), "");
}

static void test_injection_stays_in_its_value(void **state)
{
	static const char *const evil[] = {
		"x\" user_id=UEVIL outcome=ok",
		"a\nlevel=error event=audit user_id=UEVIL",
		"a\r\n\ttime=0 \\\" user_id=UEVIL \\",
		"\"\"\"===   \\\\\\",
		"\x1b[31mred\x1b[0m \x7f del",
		"user_id=UEVIL",
	};
	struct audit_record r = t_record();
	struct t_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		r.query = evil[i];
		r.user_name = evil[i];
		r.channel_name = evil[i];
		t_line_of(&r, &l);
		assert_string_equal(t_get(&l, "user_id"), "U0001");
		assert_string_equal(t_get(&l, "outcome"), "partial");
		assert_string_equal(t_get(&l, "level"), "info");
		/* The value decodes back to exactly what was given. */
		assert_string_equal(t_get(&l, "query"), evil[i]);
		assert_string_equal(t_get(&l, "user_name"), evil[i]);
		assert_string_equal(t_get(&l, "channel_name"), evil[i]);
		assert_int_equal(l.n, 18);
	}
}

static void test_long_query_cut_with_marker(void **state)
{
	struct audit_record r = t_record();
	char *q = malloc(10001);
	struct t_line l;
	const char *v;

	(void)state;
	assert_non_null(q);
	memset(q, 'a', 10000);
	q[10000] = '\0';
	r.query = q;
	t_line_of(&r, &l);
	v = t_get(&l, "query");
	assert_non_null(v);
	assert_int_equal(strlen(v), AUDIT_QUERY_MAX + 3);
	assert_memory_equal(v + AUDIT_QUERY_MAX, "...", 3);
	assert_int_equal(strspn(v, "a"), AUDIT_QUERY_MAX);
	assert_string_equal(t_get(&l, "query_truncated"), "true");
	assert_string_equal(l.f[l.n - 1].key, "query_truncated");
	/* Exactly at the limit: not cut. */
	q[AUDIT_QUERY_MAX] = '\0';
	t_line_of(&r, &l);
	assert_int_equal(strlen(t_get(&l, "query")), AUDIT_QUERY_MAX);
	assert_null(t_get(&l, "query_truncated"));
	free(q);
}

/* 1 if s is well-formed UTF-8 (enough for a cut check: no split or
 * dangling sequences). */
static int t_utf8_ok(const unsigned char *s)
{
	while (*s != '\0') {
		size_t n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 : (*s & 0xf0) == 0xe0 ? 2 :
			   (*s & 0xf8) == 0xf0 ? 3 : 99;

		if (n == 99)
			return 0;
		s++;
		for (size_t i = 0; i < n; i++, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void test_cut_never_splits_utf8(void **state)
{
	/* é is 2 bytes, € 3, 😀 4: each prefix length shifts where the
	 * 512-byte cut lands inside a character. */
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	struct audit_record r = t_record();
	char q[2048];
	struct t_line l;

	(void)state;
	for (size_t c = 0; c < 3; c++) {
		for (size_t lead = 0; lead < 4; lead++) {
			size_t pos = 0, w = strlen(chars[c]);
			const char *v;

			memset(q, 'a', lead);
			pos = lead;
			while (pos + w < sizeof(q) - 1) {
				memcpy(q + pos, chars[c], w);
				pos += w;
			}
			q[pos] = '\0';
			r.query = q;
			t_line_of(&r, &l);
			v = t_get(&l, "query");
			assert_non_null(v);
			assert_true(t_utf8_ok((const unsigned char *)v));
			assert_true(strlen(v) <= AUDIT_QUERY_MAX + 3);
			/* Only as much removed as needed: less than one char. */
			assert_true(strlen(v) + w > AUDIT_QUERY_MAX + 3);
			assert_memory_equal(v, q, strlen(v) - 3);
			assert_string_equal(t_get(&l, "query_truncated"), "true");
		}
	}
}

static void test_worst_case_line_stays_whole(void **state)
{
	struct audit_record r;
	char junk[4096];
	char rid[AUDIT_REQID_MAX + 1];
	struct t_line l;
	struct logfmt lf;
	static const char *const keys[] = {
		"request_id", "team_id", "enterprise_id", "user_id", "channel_id", "targets",
		"accounts", "matches", "failures", "duration_ms", "delivery",
		"outcome", "user_name", "channel_name", "query", "query_truncated",
	};

	(void)state;
	/* Control bytes escape to 4 bytes each: the most a value can cost.
	 * 0x1f, the highest of them, catches a width table cut short. */
	memset(junk, 0x1f, sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.team_id = r.enterprise_id = r.user_id = r.channel_id = junk;
	r.user_name = r.channel_name = r.query = junk;
	memset(rid, 'f', AUDIT_REQID_MAX);
	rid[AUDIT_REQID_MAX] = '\0';
	r.request_id = rid;
	r.targets = r.accounts = r.matches = r.failures = (size_t)-1;
	r.duration_ms = -9223372036854775807LL - 1;
	r.delivery = AUDIT_DELIVERY_ERROR;
	r.outcome = AUDIT_OUTCOME_TIMEOUT;
	assert_int_equal(audit_line(&lf, &r), 0);
	/* Kept short of logfmt's own cut, which would drop a closing quote. */
	assert_true(lf.len + 5 < LOGFMT_LINE_MAX);
	t_line_of(&r, &l);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (t_get(&l, keys[i]) == NULL)
			fail_msg("missing %s", keys[i]);
	assert_int_equal(strlen(t_get(&l, "team_id")), AUDIT_ID_MAX + 3);
	assert_int_equal(strlen(t_get(&l, "user_name")), AUDIT_NAME_MAX + 3);
	/* The query still says something. */
	assert_true(strlen(t_get(&l, "query")) > 32);
	assert_string_equal(t_get(&l, "targets"), "9223372036854775807");
	assert_string_equal(t_get(&l, "duration_ms"), "-9223372036854775808");
}

/* The request id is for joining the audit line to the request line: it
 * goes in whole or not at all, and only as the worker makes one. */
static void test_request_id_whole_token_or_absent(void **state)
{
	struct audit_record r = t_record();
	struct audit_who who = { .request_id = "1234-0-7", .team_id = "T1" };
	char longid[AUDIT_REQID_MAX + 2];
	static const char *const bad[] = {
		"", "a b", "x\"y=1", "id\nlevel=error", "\xc3\xa9t\xc3\xa9",
	};
	struct t_line l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.request_id = bad[i];
		t_line_of(&r, &l);
		assert_null(t_get(&l, "request_id"));
		assert_string_equal(t_get(&l, "team_id"), "T0001");
	}
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	r.request_id = longid;
	t_line_of(&r, &l);
	assert_null(t_get(&l, "request_id"));
	longid[AUDIT_REQID_MAX] = '\0';
	t_line_of(&r, &l);
	assert_string_equal(t_get(&l, "request_id"), longid);
	/* audit_record_init carries it from who. */
	audit_record_init(&r, &who, "q");
	t_line_of(&r, &l);
	assert_string_equal(t_get(&l, "request_id"), "1234-0-7");
	assert_string_equal(l.f[3].key, "request_id");
}

static struct search_failure t_failure(void)
{
	struct search_failure f;

	memset(&f, 0, sizeof(f));
	f.account_alias = "production";
	f.region = "eu-west-2";
	f.code = "UnauthorizedOperation";
	f.message = "You are not authorized to perform this operation.";
	snprintf(f.account_id, sizeof(f.account_id), "111111111111");
	snprintf(f.service, sizeof(f.service), "ec2");
	snprintf(f.action, sizeof(f.action), "DescribeInstances");
	snprintf(f.aws_request_id, sizeof(f.aws_request_id),
		 "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
	return f;
}

/* Why every key is asserted in order: the line is for an operator's grep
 * and for log pipelines that pick fields by name, so its layout is the
 * interface (audit.h). */
static void test_failure_line_names_the_call(void **state)
{
	struct search_failure f = t_failure();
	static const char *const order[] = {
		"time", "level", "msg", "request_id", "account", "account_id", "region",
		"service", "action", "code", "aws_request_id", "message",
	};
	struct logfmt lf;
	struct t_line l;

	(void)state;
	assert_int_equal(audit_failure_line(&lf, "4242-0-7", &f), 0);
	assert_int_equal(t_parse(lf.buf, lf.len, &l), 0);
	assert_int_equal(l.n, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.f[i].key, order[i]);
	assert_string_equal(t_get(&l, "level"), "warn");
	assert_string_equal(t_get(&l, "msg"), "target failed");
	assert_string_equal(t_get(&l, "request_id"), "4242-0-7");
	assert_string_equal(t_get(&l, "account"), "production");
	assert_string_equal(t_get(&l, "account_id"), "111111111111");
	assert_string_equal(t_get(&l, "region"), "eu-west-2");
	assert_string_equal(t_get(&l, "service"), "ec2");
	assert_string_equal(t_get(&l, "action"), "DescribeInstances");
	assert_string_equal(t_get(&l, "code"), "UnauthorizedOperation");
	assert_string_equal(t_get(&l, "aws_request_id"), "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
	assert_string_equal(t_get(&l, "message"), f.message);

	/* What is not known is left out: a deadline has no AWS answer, and
	 * TooManyMatches no call; a NULL message too. */
	f.aws_request_id[0] = f.service[0] = f.action[0] = '\0';
	f.message = NULL;
	assert_int_equal(audit_failure_line(&lf, NULL, &f), 0);
	assert_int_equal(t_parse(lf.buf, lf.len, &l), 0);
	assert_null(t_get(&l, "aws_request_id"));
	assert_null(t_get(&l, "service"));
	assert_null(t_get(&l, "action"));
	assert_null(t_get(&l, "message"));
	assert_null(t_get(&l, "request_id"));
	assert_string_equal(t_get(&l, "code"), "UnauthorizedOperation");
	assert_int_equal(audit_failure_line(NULL, NULL, &f), -1);
	assert_int_equal(audit_failure_line(&lf, NULL, NULL), -1);
}

/* A hostile message stays in its value and is cut; the line stays whole. */
static void test_failure_line_bounded(void **state)
{
	struct search_failure f = t_failure();
	char msg[4096];
	struct logfmt lf;
	struct t_line l;
	const char *v;

	(void)state;
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memcpy(msg, "a\nlevel=error \" code=Forged", 27);
	f.message = msg;
	assert_int_equal(audit_failure_line(&lf, "r1", &f), 0);
	assert_true(lf.len + 5 < LOGFMT_LINE_MAX);
	assert_null(memchr(lf.buf, '\n', lf.len));
	assert_int_equal(t_parse(lf.buf, lf.len, &l), 0);
	assert_string_equal(t_get(&l, "code"), "UnauthorizedOperation");
	assert_string_equal(t_get(&l, "level"), "warn");
	v = t_get(&l, "message");
	assert_int_equal(strlen(v), AUDIT_FAILURE_MESSAGE_MAX + 3);
	assert_memory_equal(v, msg, 27);
}

/* One line per failed target up to AUDIT_FAILURES_MAX, then one line
 * counting the rest. */
static void test_failures_emit_bounded(void **state)
{
	struct search_failure fs[AUDIT_FAILURES_MAX + 7];
	struct search_result r;
	char buf[LOGFMT_LINE_MAX];
	size_t lines = 0, warn = 0;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		fs[i] = t_failure();
	memset(&r, 0, sizeof(r));
	r.failures = fs;
	r.n_failures = 3;
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(audit_failures_emit("rid-1", &r, f), 3);
	r.n_failures = sizeof(fs) / sizeof(fs[0]);
	assert_int_equal(audit_failures_emit("rid-2", &r, f), AUDIT_FAILURES_MAX + 1);
	rewind(f);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lines++;
		warn += strstr(buf, "level=warn msg=\"target failed\" request_id=rid-") != NULL;
	}
	assert_int_equal(lines, 3 + AUDIT_FAILURES_MAX + 1);
	assert_int_equal(warn, 3 + AUDIT_FAILURES_MAX);
	assert_non_null(strstr(buf, "msg=\"target failures not logged\" request_id=rid-2 "
			       "not_logged=7 failures=57"));
	fclose(f);
	r.n_failures = 0;
	assert_int_equal(audit_failures_emit("x", &r, stderr), 0);
	assert_int_equal(audit_failures_emit("x", NULL, stderr), 0);
	assert_int_equal(audit_failures_emit("x", &r, NULL), 0);
}

static void test_emit_writes_one_line(void **state)
{
	struct audit_record r = t_record();
	FILE *f = tmpfile();
	char buf[LOGFMT_LINE_MAX + 16];
	size_t n;
	struct t_line l;

	(void)state;
	assert_non_null(f);
	r.query = "two\nlines\rhere";
	audit_emit(&r, f);
	audit_emit(NULL, f);
	audit_emit(&r, NULL);
	rewind(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1));
	assert_int_equal(t_parse(buf, n - 1, &l), 0);
	assert_string_equal(t_get(&l, "query"), "two\nlines\rhere");
}

static void test_null_arguments(void **state)
{
	struct logfmt l;
	struct audit_record r = t_record();

	(void)state;
	assert_int_equal(audit_line(NULL, &r), -1);
	assert_int_equal(audit_line(&l, NULL), -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(audit_delivery_name(AUDIT_DELIVERY_NONE), "none");
	assert_string_equal(audit_delivery_name(AUDIT_DELIVERY_INLINE), "inline");
	assert_string_equal(audit_delivery_name(AUDIT_DELIVERY_DEFERRED), "deferred");
	assert_string_equal(audit_delivery_name(AUDIT_DELIVERY_ERROR), "error");
	assert_string_equal(audit_delivery_name((enum audit_delivery)99), "unknown");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_OK), "ok");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_NOT_FOUND), "not_found");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_PARTIAL), "partial");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_FAILED), "failed");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_TIMEOUT), "timeout");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_REFUSED), "refused");
	assert_string_equal(audit_outcome_name(AUDIT_OUTCOME_INVALID), "invalid");
	assert_string_equal(audit_outcome_name((enum audit_outcome)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_holds_every_field),
		cmocka_unit_test(test_query_is_last_and_order_fixed),
		cmocka_unit_test(test_absent_strings_are_left_out),
		cmocka_unit_test(test_injection_stays_in_its_value),
		cmocka_unit_test(test_long_query_cut_with_marker),
		cmocka_unit_test(test_cut_never_splits_utf8),
		cmocka_unit_test(test_worst_case_line_stays_whole),
		cmocka_unit_test(test_request_id_whole_token_or_absent),
		cmocka_unit_test(test_failure_line_names_the_call),
		cmocka_unit_test(test_failure_line_bounded),
		cmocka_unit_test(test_failures_emit_bounded),
		cmocka_unit_test(test_emit_writes_one_line),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
