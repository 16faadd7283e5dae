/*
 * test_strutil.c - the shared string helpers, as tables of inputs and the
 * answers the helpers must give.
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
#include <strings.h>

#include "util/strutil.h"

static void test_prefix_macros(void **state)
{
	const char *env = "AWS_STS_REGIONAL_ENDPOINTS=regional";

	(void)state;
	assert_int_equal(SI_LITLEN("AWS_STS_REGIONAL_ENDPOINTS="), 27);
	assert_int_equal(SI_LITLEN(""), 0);
	assert_true(SI_HAS_PREFIX(env, "AWS_STS_REGIONAL_ENDPOINTS="));
	assert_false(SI_HAS_PREFIX(env, "aws_sts"));
	assert_true(SI_HAS_PREFIX(env, ""));
	assert_false(SI_HAS_PREFIX("AWS", "AWS_"));
	assert_true(SI_HAS_PREFIX_CI("HTTPS://x", "https://"));
	assert_false(SI_HAS_PREFIX_CI("http://x", "https://"));
	assert_string_equal(SI_AFTER_PREFIX(env, "AWS_STS_REGIONAL_ENDPOINTS="), "regional");
	assert_null(SI_AFTER_PREFIX(env, "AWS_REGION="));
}

struct prefix_row {
	const char *s, *prefix;
	int want;
};

static const struct prefix_row s_prefix_rows[] = {
	{ "cn-north-1", "cn-", 1 }, { "cn", "cn-", 0 },   { "", "", 1 },
	{ "abc", "", 1 },           { "", "a", 0 },       { "Cn-north-1", "cn-", 0 },
	{ NULL, "a", 0 },           { "a", NULL, 0 },
};

static void test_str_has_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_prefix_rows) / sizeof(s_prefix_rows[0]); i++) {
		const struct prefix_row *r = &s_prefix_rows[i];

		if (si_str_has_prefix(r->s, r->prefix) != r->want)
			fail_msg("row %zu: want %d", i, r->want);
	}
}

static void test_hexval_and_encode(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 };
	char out[2 * sizeof(bytes) + 1];

	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = -1;

		if (c >= '0' && c <= '9')
			want = c - '0';
		else if (c >= 'a' && c <= 'f')
			want = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			want = c - 'A' + 10;
		if (si_hexval(c) != want)
			fail_msg("si_hexval(%d) = %d, want %d", c, si_hexval(c), want);
	}
	assert_int_equal(si_hexval(-1), -1);
	si_hex_encode(bytes, sizeof(bytes), out);
	assert_string_equal(out, "000fa5ff10");
	si_hex_encode(bytes, 0, out);
	assert_string_equal(out, "");
}

struct digits_row {
	const char *s;
	size_t n;
	int rc, want;
};

static const struct digits_row s_digit_rows[] = {
	{ "2024", 4, 0, 2024 },     { "0007", 4, 0, 7 },    { "12x", 2, 0, 12 },
	{ "999999999", 9, 0, 999999999 },
	{ "1234567890", 10, -1, 0 }, /* more than 9 digits could overflow an int */
	{ "12x", 3, -1, 0 },        { " 12", 3, -1, 0 },    { "+12", 3, -1, 0 },
	{ "-12", 3, -1, 0 },        { "", 0, -1, 0 },       { "1\0" "2", 3, -1, 0 },
};

static void test_parse_digits(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_digit_rows) / sizeof(s_digit_rows[0]); i++) {
		const struct digits_row *r = &s_digit_rows[i];
		int v = -77;

		if (si_parse_digits(r->s, r->n, &v) != r->rc)
			fail_msg("row %zu \"%s\": rc != %d", i, r->s, r->rc);
		if (r->rc == 0 && v != r->want)
			fail_msg("row %zu: %d, want %d", i, v, r->want);
		if (r->rc != 0 && v != -77)
			fail_msg("row %zu: wrote *out on failure", i);
	}
	assert_int_equal(si_parse_digits(NULL, 2, &(int){ 0 }), -1);
}

struct long_row {
	const char *s;
	long lo, hi;
	int rc;
	long want;
};

static const struct long_row s_long_rows[] = {
	{ "0", 0, 10, 0, 0 },
	{ "10", 0, 10, 0, 10 },
	{ "11", 0, 10, -1, 0 },           /* above hi */
	{ "-1", 0, 10, -1, 0 },           /* '-' only when lo < 0 */
	{ "-0", 0, 10, -1, 0 },
	{ "-5", -10, 10, 0, -5 },
	{ "-11", -10, 10, -1, 0 },        /* below lo */
	{ "007", 0, 10, 0, 7 },
	{ "", 0, 10, -1, 0 },
	{ "-", -10, 10, -1, 0 },
	{ "--1", -10, 10, -1, 0 },
	{ "-+1", -10, 10, -1, 0 },
	{ "+1", 0, 10, -1, 0 },
	{ " 1", 0, 10, -1, 0 },           /* no leading space */
	{ "1 ", 0, 10, -1, 0 },           /* no trailing bytes */
	{ "1x", 0, 10, -1, 0 },
	{ "0x10", 0, 100, -1, 0 },        /* decimal only */
	{ "1e3", 0, 10000, -1, 0 },
	{ "9223372036854775807", 0, LONG_MAX, 0, LONG_MAX },
	{ "99999999999999999999999", 0, LONG_MAX, -1, 0 },  /* overflow */
	{ "-99999999999999999999999", LONG_MIN, 0, -1, 0 }, /* underflow */
	{ "5", 10, 0, -1, 0 },            /* empty range */
};

static void test_parse_long(void **state)
{
	char buf[32];
	long v;

	(void)state;
	for (size_t i = 0; i < sizeof(s_long_rows) / sizeof(s_long_rows[0]); i++) {
		const struct long_row *r = &s_long_rows[i];

		/* the LONG_MAX row is for 64-bit longs */
		if (r->hi == LONG_MAX && r->want == LONG_MAX && LONG_MAX != 9223372036854775807L)
			continue;
		v = -77;
		if (si_parse_long(r->s, r->lo, r->hi, &v) != r->rc)
			fail_msg("row %zu \"%s\": rc != %d", i, r->s, r->rc);
		if (r->rc == 0 && v != r->want)
			fail_msg("row %zu \"%s\": %ld, want %ld", i, r->s, v, r->want);
		if (r->rc != 0 && v != -77)
			fail_msg("row %zu \"%s\": wrote *out on failure", i, r->s);
	}
	/* the extremes of long, whatever its width */
	assert_true(snprintf(buf, sizeof(buf), "%ld", LONG_MIN) < (int)sizeof(buf));
	assert_int_equal(si_parse_long(buf, LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MIN);
	assert_int_equal(si_parse_long(NULL, 0, 1, &v), -1);
}

static void test_ascii(void **state)
{
	char s[] = "HeLLo-World_123\xc3\x89";

	(void)state;
	si_ascii_lower(s);
	assert_string_equal(s, "hello-world_123\xc3\x89"); /* bytes >= 0x80 untouched */
	si_ascii_lower(NULL);
	for (int c = -1; c < 256; c++) {
		int want = c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
			   c == '\r';

		if (si_ascii_space(c) != want)
			fail_msg("si_ascii_space(%d) != %d", c, want);
	}
}

static void test_strndup(void **state)
{
	char *d;

	(void)state;
	d = si_strndup("abcdef", 3);
	assert_string_equal(d, "abc");
	free(d);
	d = si_strndup("ab", 10); /* stops at the NUL */
	assert_string_equal(d, "ab");
	free(d);
	d = si_strndup("abc", 0);
	assert_string_equal(d, "");
	free(d);
	assert_null(si_strndup(NULL, 3));
}

/* An optional string: NULL stays NULL, anything else (even "") is a fresh
 * copy the caller owns. */
static void test_strdup_opt(void **state)
{
	static const char long_text[] = "a string longer than any small buffer, "
					 "copied whole: no length limit applies";
	char *d;

	(void)state;
	assert_null(si_strdup_opt(NULL));
	d = si_strdup_opt("");
	assert_non_null(d);
	assert_string_equal(d, "");
	free(d);
	d = si_strdup_opt(long_text);
	assert_non_null(d);
	assert_ptr_not_equal(d, long_text);
	assert_string_equal(d, long_text);
	free(d);
}

/* NULL orders as "", never crashes a sort over optional fields. */
static void test_strcmp0(void **state)
{
	(void)state;
	assert_int_equal(si_strcmp0(NULL, NULL), 0);
	assert_int_equal(si_strcmp0(NULL, ""), 0);
	assert_true(si_strcmp0(NULL, "a") < 0);
	assert_true(si_strcmp0("b", "a") > 0);
}

/* An empty list restricts nothing; otherwise case-insensitive membership,
 * NULL entries and a NULL string never matching. */
static void test_in_list_ci(void **state)
{
	const char *const list[] = { "Production", NULL, "eu-west-2" };

	(void)state;
	assert_true(si_in_list_ci("anything", NULL, 0));
	assert_true(si_in_list_ci("production", list, 3));
	assert_true(si_in_list_ci("EU-WEST-2", list, 3));
	assert_false(si_in_list_ci("staging", list, 3));
	assert_false(si_in_list_ci(NULL, list, 3));
	assert_false(si_in_list_ci("eu-west-2", list, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_macros),
		cmocka_unit_test(test_str_has_prefix),
		cmocka_unit_test(test_hexval_and_encode),
		cmocka_unit_test(test_parse_digits),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_strndup),
		cmocka_unit_test(test_strdup_opt),
		cmocka_unit_test(test_strcmp0),
		cmocka_unit_test(test_in_list_ci),
	};
	return cmocka_run_group_tests_name("strutil", tests, NULL, NULL);
}
