/*
 * test_json.c - the one bounded JSON reader (util/json.h): a table of
 * documents and what each reading mode must answer, then the limits
 * (size, depth, bad arguments) as loops, and aws_json_read's rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/json.h"
#include "util/json.h"

/* Both modes under small caps, so the limits are cheap to reach. */
#define S_MAX_BYTES 64
#define S_MAX_DEPTH 3

static const struct si_json_opts s_strict = {
	.what = "doc", .max_bytes = S_MAX_BYTES, .max_depth = S_MAX_DEPTH,
	.flags = SI_JSON_STRICT | SI_JSON_UTF8,
};
static const struct si_json_opts s_lenient = {
	.what = "doc", .max_bytes = S_MAX_BYTES, .max_depth = S_MAX_DEPTH, .flags = 0,
};

/* A literal with its length, NUL bytes included. */
#define B(lit) lit, sizeof(lit) - 1

struct row {
	const char *name;
	const char *s;
	size_t len;
	const char *strict;   /* expected message in strict mode; NULL: read */
	const char *lenient;  /* the same in lenient mode */
};

/* Every refusal is SI_ERR_INVALID; the message names the reason. */
static const struct row s_rows[] = {
	{ "empty object", B("{}"), NULL, NULL },
	{ "whitespace around", B(" \t\r\n{\"a\":1} \t\r\n"), NULL, NULL },
	{ "at the depth cap", B("{\"a\":[[]]}"), NULL, NULL },
	{ "past the depth cap", B("{\"a\":[[[]]]}"), "doc is not JSON (nesting too deep)",
	  "doc is not JSON (nesting too deep)" },
	{ "nothing", B(""), "doc is not JSON (continue)", "doc is not JSON (continue)" },
	{ "blanks only", B("  \n"), "doc is not JSON", "doc is not JSON" },
	{ "truncated", B("{\"a\":"), "doc is not JSON", "doc is not JSON" },
	{ "not JSON", B("<html>"), "doc is not JSON", "doc is not JSON" },
	{ "trailing word", B("{} x"), "doc has trailing data", "doc has trailing data" },
	{ "trailing VT", B("{}\v"), "doc has trailing data", "doc has trailing data" },
	{ "two documents", B("{}{}"), "doc has trailing data", "doc has trailing data" },
	{ "second document", B("{}\n\"x\""), "doc has trailing data", "doc has trailing data" },
	{ "NUL after", B("{}\0"), "doc has trailing data", "doc has trailing data" },
	{ "NUL after blanks", B("{} \0 "), "doc has trailing data", "doc has trailing data" },
	{ "NUL before", B("\0{}"), "doc is not JSON", "doc is not JSON" },
	{ "NUL between tokens", B("{\0\"a\":1}"), "doc is not JSON", "doc is not JSON" },
	{ "NUL in a string", B("{\"a\":\"b\0c\"}"), "doc is not JSON", "doc is not JSON" },
	{ "array", B("[1]"), "doc is not a JSON object", "doc is not a JSON object" },
	{ "number", B("42 "), "doc is not a JSON object", "doc is not a JSON object" },
	{ "string", B("\"x\""), "doc is not a JSON object", "doc is not a JSON object" },
	{ "null", B("null "), "doc is not a JSON object", "doc is not a JSON object" },
	{ "null then data", B("null x"), "doc has trailing data", "doc has trailing data" },
	{ "UTF-8", B("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"), NULL, NULL },
	{ "bad UTF-8", B("{\"a\":\"\xc3\x28\"}"), "doc is not JSON (invalid utf-8 string)",
	  NULL },
	{ "stray byte", B("{\"a\":\"\xff\"}"), "doc is not JSON (invalid utf-8 string)", NULL },
	{ "cut sequence", B("{\"a\":\"\xe2\x82\"}"), "doc is not JSON (invalid utf-8 string)",
	  NULL },
	{ "trailing comma", B("{\"a\":1,}"), "doc is not JSON (unexpected character)", NULL },
};

/* s[0..len) in a buffer of exactly len bytes, so that a read past len is
 * seen by valgrind and ASan. */
static struct json_object *s_read(const char *s, size_t len, const struct si_json_opts *o,
				  struct si_err *err)
{
	char *copy = malloc(len ? len : 1);
	struct json_object *root;

	assert_non_null(copy);
	memcpy(copy, s, len);
	root = si_json_read(copy, len, o, err);
	free(copy);
	return root;
}

static void s_check_row(const struct row *r, const struct si_json_opts *o, const char *want,
			const char *mode)
{
	struct si_err err = { 0 };
	struct json_object *root = s_read(r->s, r->len, o, &err);

	if (want == NULL && root == NULL)
		fail_msg("%s (%s): refused: %s", r->name, mode, err.msg);
	if (want != NULL && root != NULL)
		fail_msg("%s (%s): read, want \"%s\"", r->name, mode, want);
	if (want != NULL && (err.code != SI_ERR_INVALID || strstr(err.msg, want) != err.msg))
		fail_msg("%s (%s): code %d \"%s\", want \"%s\"", r->name, mode, (int)err.code,
			 err.msg, want);
	if (root != NULL)
		assert_true(json_object_is_type(root, json_type_object));
	json_object_put(root);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_rows) / sizeof(s_rows[0]); i++) {
		s_check_row(&s_rows[i], &s_strict, s_rows[i].strict, "strict");
		s_check_row(&s_rows[i], &s_lenient, s_rows[i].lenient, "lenient");
	}
}

/* Only len bytes count: the buffer may go on (an HTTP buffer does). */
static void test_length_bounds_the_read(void **state)
{
	struct si_err err = { 0 };
	struct json_object *root;

	(void)state;
	root = si_json_read("{}garbage", 2, &s_strict, &err);
	assert_non_null(root);
	json_object_put(root);
	assert_null(si_json_read("{\"a\":1}", 5, &s_strict, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "doc is not JSON"));
}

/* An escaped NUL is JSON and is kept; the string's length tells it from
 * strlen(), which is what callers that keep strings compare. */
static void test_escaped_nul_kept(void **state)
{
	struct si_err err = { 0 };
	struct json_object *root, *v = NULL;

	(void)state;
	root = si_json_read(B("{\"a\":\"b\\u0000c\"}"), &s_strict, &err);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "a", &v));
	assert_int_equal(json_object_get_string_len(v), 3);
	assert_int_equal(strlen(json_object_get_string(v)), 1);
	json_object_put(root);
}

/* max_bytes: the cap itself is read, one more byte is not, and it is
 * refused before json-c sees a byte. */
static void test_size_cap(void **state)
{
	char buf[S_MAX_BYTES + 1];
	struct si_err err = { 0 };
	struct json_object *root;

	(void)state;
	memset(buf, ' ', sizeof(buf));
	buf[0] = '{';
	buf[1] = '}';
	root = s_read(buf, S_MAX_BYTES, &s_strict, &err);
	assert_non_null(root);
	json_object_put(root);
	assert_null(s_read(buf, S_MAX_BYTES + 1, &s_strict, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_string_equal(err.msg, "doc of 65 bytes (at most 64)");
	assert_null(s_read(buf, S_MAX_BYTES + 1, &s_lenient, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
}

/* No cap, or one above INT_MAX, is json-c's own: INT_MAX. The length is
 * checked before a byte is read, so a short buffer with a huge len is
 * safe here. */
static void test_size_cap_int_max(void **state)
{
	const struct si_json_opts none = { .what = "doc", .max_depth = 2 };
	const struct si_json_opts huge = { .what = "doc", .max_bytes = SIZE_MAX, .max_depth = 2 };
	char want[96];
	struct si_err err = { 0 };

	(void)state;
	assert_true(snprintf(want, sizeof(want), "doc of %zu bytes (at most %d)",
			     (size_t)INT_MAX + 1, INT_MAX) < (int)sizeof(want));
	assert_null(si_json_read("{}", (size_t)INT_MAX + 1, &none, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_string_equal(err.msg, want);
	assert_null(si_json_read("{}", (size_t)INT_MAX + 1, &huge, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_string_equal(err.msg, want);
}

/* {"a": [ ... [1] ... ]} with its value d levels deep (json-c's count:
 * the object is level 1, {"a":1} is 2 deep), or {} for d = 1. Caller frees. */
static char *s_nested(int d)
{
	size_t n = d > 2 ? (size_t)d - 2 : 0;
	size_t cap = 16 + 2 * n, k = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	if (d == 1) {
		assert_true(snprintf(s, cap, "{}") == 2);
		return s;
	}
	k += (size_t)snprintf(s, cap, "{\"a\":");
	for (size_t i = 0; i < n; i++)
		s[k++] = '[';
	s[k++] = '1';
	for (size_t i = 0; i < n; i++)
		s[k++] = ']';
	s[k++] = '}';
	s[k] = '\0';
	return s;
}

/* max_depth m reads a document m deep and refuses one m + 1 deep, in both
 * modes; a very deep one is refused without json-c recursing into it. */
static void test_depth_cap(void **state)
{
	const struct si_json_opts big = { .what = "doc", .max_depth = 8 };
	struct si_err err = { 0 };

	(void)state;
	for (int m = 1; m <= 6; m++) {
		struct si_json_opts o = { .what = "doc", .max_depth = m };
		char *ok = s_nested(m), *deep = s_nested(m + 1);
		struct json_object *root;

		for (int strict = 0; strict < 2; strict++) {
			o.flags = strict ? SI_JSON_STRICT | SI_JSON_UTF8 : 0;
			root = si_json_read(ok, strlen(ok), &o, &err);
			if (root == NULL)
				fail_msg("depth %d refused at cap %d: %s", m, m, err.msg);
			json_object_put(root);
			assert_null(si_json_read(deep, strlen(deep), &o, &err));
			assert_int_equal(err.code, SI_ERR_INVALID);
			assert_string_equal(err.msg, "doc is not JSON (nesting too deep)");
		}
		free(ok);
		free(deep);
	}
	{
		char *s = s_nested(100000);

		assert_null(si_json_read(s, strlen(s), &big, &err));
		assert_string_equal(err.msg, "doc is not JSON (nesting too deep)");
		free(s);
	}
}

/* Caller mistakes are refused, never passed on: a depth below 1 (json-c
 * 0.16 crashes on 0), a NULL body with bytes. A NULL body of 0 bytes is an
 * empty document; a NULL what is "JSON document"; a NULL err is allowed. */
static void test_arguments(void **state)
{
	const struct si_json_opts zero = { .what = "doc", .max_depth = 0 };
	const struct si_json_opts neg = { .what = "doc", .max_depth = -1 };
	const struct si_json_opts anon = { .max_depth = 2 };
	struct si_err err = { 0 };

	(void)state;
	assert_null(si_json_read(B("{}"), &zero, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_string_equal(err.msg, "doc: nesting cap 0 is below 1");
	assert_null(si_json_read(B("{}"), &neg, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(si_json_read(NULL, 5, &s_strict, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_string_equal(err.msg, "doc: NULL body");
	assert_null(si_json_read(NULL, 0, &s_strict, &err));
	assert_string_equal(err.msg, "doc is not JSON (continue)");
	assert_null(si_json_read(B("[]"), &anon, &err));
	assert_string_equal(err.msg, "JSON document is not a JSON object");
	assert_null(si_json_read(B("x"), &s_strict, NULL));
	assert_null(si_json_read(B("{}"), &zero, NULL));
}

/* aws_json_read is the reader under AWS's rules, as before the move:
 * "answer" in messages, json-c's lenient mode, no UTF-8 check, no cap of
 * its own below json-c's. */
static void test_aws_rules(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		const char *msg;  /* NULL: read */
	} rows[] = {
		{ B("{\"a\":1}"), NULL },
		{ B("{\"a\":\"\xc3\x28\"}"), NULL },
		{ B("{\"a\":1,}"), NULL },
		{ B("{\"a\":1"), "answer is not JSON (continue)" },
		{ B("{} x"), "answer has trailing data" },
		{ B("[]"), "answer is not a JSON object" },
		{ B("{\"a\":{\"b\":1}}"), "answer is not JSON (nesting too deep)" },
	};
	struct si_err err = { 0 };
	struct json_object *root;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		root = aws_json_read(rows[i].s, rows[i].len, 2, &err);
		if (rows[i].msg == NULL && root == NULL)
			fail_msg("row %zu refused: %s", i, err.msg);
		if (rows[i].msg != NULL && (root != NULL || strcmp(err.msg, rows[i].msg) != 0))
			fail_msg("row %zu: \"%s\", want \"%s\"", i, root ? "read" : err.msg,
				 rows[i].msg);
		json_object_put(root);
	}
	assert_null(aws_json_read("{}", (size_t)INT_MAX + 1, 2, &err));
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_null(aws_json_read(NULL, 3, 2, &err));
	assert_string_equal(err.msg, "answer: NULL body");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_length_bounds_the_read),
		cmocka_unit_test(test_escaped_nul_kept),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_size_cap_int_max),
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_aws_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
