/*
 * test_form.c - application/x-www-form-urlencoded parsing edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "slack/form.h"

static void s_parse_ok(const char *body, struct form *f)
{
	struct si_err err;

	si_err_clear(&err);
	if (form_parse(body, strlen(body), f, &err) != 0)
		fail_msg("parse of '%s' failed: %s", body, err.msg);
	assert_int_equal(err.code, SI_OK);
}

/* Parse must fail with code, leave f zeroed, and mention needle. */
static void s_parse_fail(const char *body, size_t len, enum si_err_code code,
			 const char *needle)
{
	struct form f;
	struct si_err err;

	memset(&f, 0xa5, sizeof(f));
	si_err_clear(&err);
	if (form_parse(body, len, &f, &err) != -1)
		fail_msg("parse of '%.*s' unexpectedly succeeded", (int)len, body);
	assert_int_equal(err.code, code);
	assert_null(f.pairs);
	assert_int_equal(f.n_pairs, 0);
	if (needle != NULL && strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	form_free(&f);
}

static void test_simple_pairs(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("a=1&b=two", &f);
	assert_int_equal(form_count(&f), 2);
	assert_string_equal(form_pair_at(&f, 0)->key, "a");
	assert_string_equal(form_pair_at(&f, 0)->value, "1");
	assert_string_equal(form_pair_at(&f, 1)->key, "b");
	assert_string_equal(form_pair_at(&f, 1)->value, "two");
	assert_int_equal(form_pair_at(&f, 1)->value_len, 3);
	assert_null(form_pair_at(&f, 2));
	assert_string_equal(form_get(&f, "b"), "two");
	assert_null(form_get(&f, "c"));
	assert_null(form_get(&f, "A"));
	form_free(&f);
}

static void test_plus_is_space(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("text=Org+Name++x&a+b=c", &f);
	assert_string_equal(form_get(&f, "text"), "Org Name  x");
	assert_string_equal(form_get(&f, "a b"), "c");
	form_free(&f);
}

static void test_percent_decoding_either_case(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("c=%2Fhello&d=%2fhello&e=%e2%82%AC&p=%2B&s=%20", &f);
	assert_string_equal(form_get(&f, "c"), "/hello");
	assert_string_equal(form_get(&f, "d"), "/hello");
	assert_string_equal(form_get(&f, "e"), "\xe2\x82\xac");
	assert_string_equal(form_get(&f, "p"), "+");
	assert_string_equal(form_get(&f, "s"), " ");
	form_free(&f);
}

static void test_encoded_separators_do_not_split(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("k%3Dx=v%26w%3Dz&n=a=b", &f);
	assert_int_equal(form_count(&f), 2);
	assert_string_equal(form_pair_at(&f, 0)->key, "k=x");
	assert_string_equal(form_pair_at(&f, 0)->value, "v&w=z");
	/* Only the first '=' separates; later ones belong to the value. */
	assert_string_equal(form_get(&f, "n"), "a=b");
	form_free(&f);
}

static void test_repeated_keys_kept_in_order(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("x=1&y=2&x=3&x=", &f);
	assert_int_equal(form_count(&f), 4);
	assert_string_equal(form_get(&f, "x"), "1");
	assert_int_equal(form_count_key(&f, "x"), 3);
	assert_int_equal(form_count_key(&f, "y"), 1);
	assert_int_equal(form_count_key(&f, "z"), 0);
	assert_string_equal(form_pair_at(&f, 2)->value, "3");
	assert_string_equal(form_pair_at(&f, 3)->value, "");
	form_free(&f);
}

static void test_empty_values(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("text=&b=", &f);
	assert_int_equal(form_count(&f), 2);
	assert_non_null(form_get(&f, "text"));
	assert_string_equal(form_get(&f, "text"), "");
	assert_int_equal(form_pair_at(&f, 0)->value_len, 0);
	form_free(&f);
}

static void test_key_without_equals(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("flag&a=1&other", &f);
	assert_int_equal(form_count(&f), 3);
	assert_string_equal(form_get(&f, "flag"), "");
	assert_string_equal(form_get(&f, "other"), "");
	assert_string_equal(form_get(&f, "a"), "1");
	form_free(&f);
}

static void test_empty_key(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("=v&=", &f);
	assert_int_equal(form_count(&f), 2);
	assert_string_equal(form_get(&f, ""), "v");
	form_free(&f);
}

static void test_empty_pairs_skipped(void **state)
{
	struct form f;

	(void)state;
	s_parse_ok("&a=1&&b=2&", &f);
	assert_int_equal(form_count(&f), 2);
	assert_string_equal(form_pair_at(&f, 0)->key, "a");
	assert_string_equal(form_pair_at(&f, 1)->key, "b");
	form_free(&f);
	s_parse_ok("&&&", &f);
	assert_int_equal(form_count(&f), 0);
	assert_null(form_get(&f, "a"));
	form_free(&f);
}

static void test_empty_body(void **state)
{
	struct form f;
	struct si_err err;

	(void)state;
	assert_int_equal(form_parse("", 0, &f, &err), 0);
	assert_int_equal(form_count(&f), 0);
	form_free(&f);
	assert_int_equal(form_parse(NULL, 0, &f, &err), 0);
	assert_int_equal(form_count(&f), 0);
	form_free(&f);
	s_parse_fail(NULL, 3, SI_ERR_INVALID, NULL);
}

static void test_length_not_nul_termination(void **state)
{
	static const char body[] = "a=1&b=2345";
	struct form f;
	struct si_err err;

	(void)state;
	/* Only the first 8 bytes count: "a=1&b=23". */
	assert_int_equal(form_parse(body, 8, &f, &err), 0);
	assert_string_equal(form_get(&f, "b"), "23");
	form_free(&f);
}

static void test_invalid_escapes_rejected(void **state)
{
	static const char *const bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "a=%%41", "%=1",
		"k%=1", "a=1&b=%", "a=% 41", "a=%+4",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		s_parse_fail(bad[i], strlen(bad[i]), SI_ERR_INVALID, "invalid percent-escape");
}

static void test_invalid_escape_offset_in_message(void **state)
{
	(void)state;
	/* '%' is byte 6 of the body. */
	s_parse_fail("a=1&b=%zz", 9, SI_ERR_INVALID, "invalid percent-escape at offset 6");
	/* Escape cut short by the length, even though the buffer goes on. */
	s_parse_fail("a=%41", 4, SI_ERR_INVALID, "offset 2");
}

static void test_nul_bytes_rejected(void **state)
{
	static const char raw[] = { 'a', '=', 'x', '\0', 'y' };

	(void)state;
	s_parse_fail("a=%00", 5, SI_ERR_INVALID, "NUL byte at offset 2");
	s_parse_fail("a%00b=1", 7, SI_ERR_INVALID, "NUL byte");
	s_parse_fail(raw, sizeof(raw), SI_ERR_INVALID, "NUL byte at offset 3");
}

static void test_pair_limit(void **state)
{
	char body[FORM_MAX_PAIRS * 8 + 16];
	size_t used = 0, i;
	struct form f;
	int n;

	(void)state;
	for (i = 0; i < FORM_MAX_PAIRS; i++) {
		n = snprintf(body + used, sizeof(body) - used, "%sk%zu=v", i ? "&" : "", i);
		assert_true(n > 0 && (size_t)n < sizeof(body) - used);
		used += (size_t)n;
	}
	/* Empty pairs do not count toward the limit. */
	assert_true(used + 3 < sizeof(body));
	memcpy(body + used, "&&&", 4);
	s_parse_ok(body, &f);
	assert_int_equal(form_count(&f), FORM_MAX_PAIRS);
	assert_string_equal(form_pair_at(&f, FORM_MAX_PAIRS - 1)->key, "k63");
	form_free(&f);
	memcpy(body + used, "&x", 3);
	s_parse_fail(body, strlen(body), SI_ERR_LIMIT, "more than 64 fields");
}

static void test_key_length_limit(void **state)
{
	char body[3 * (FORM_MAX_KEY_LEN + 1) + 8];
	struct form f;
	size_t i;

	(void)state;
	memset(body, 'k', FORM_MAX_KEY_LEN);
	memcpy(body + FORM_MAX_KEY_LEN, "=1", 3);
	s_parse_ok(body, &f);
	assert_int_equal(form_pair_at(&f, 0)->key_len, FORM_MAX_KEY_LEN);
	form_free(&f);
	memset(body, 'k', FORM_MAX_KEY_LEN + 1);
	memcpy(body + FORM_MAX_KEY_LEN + 1, "=1", 3);
	s_parse_fail(body, strlen(body), SI_ERR_LIMIT, "longer than 128");
	/* Without '=', and the limit applies to the decoded key. */
	body[FORM_MAX_KEY_LEN + 1] = '\0';
	s_parse_fail(body, strlen(body), SI_ERR_LIMIT, NULL);
	for (i = 0; i < FORM_MAX_KEY_LEN; i++)
		memcpy(body + 3 * i, "%6B", 3);
	memcpy(body + 3 * FORM_MAX_KEY_LEN, "=1", 3);
	s_parse_ok(body, &f);
	assert_int_equal(form_pair_at(&f, 0)->key_len, FORM_MAX_KEY_LEN);
	form_free(&f);
}

static void test_values_are_not_length_limited(void **state)
{
	size_t vlen = 100000;
	char *body = malloc(vlen + 3);
	struct form f;
	struct si_err err;

	(void)state;
	assert_non_null(body);
	memcpy(body, "t=", 2);
	memset(body + 2, 'v', vlen);
	assert_int_equal(form_parse(body, vlen + 2, &f, &err), 0);
	assert_int_equal(form_pair_at(&f, 0)->value_len, vlen);
	form_free(&f);
	free(body);
}

static void test_free_is_safe(void **state)
{
	struct form f = { NULL, 0 };

	(void)state;
	form_free(NULL);
	form_free(&f);
	form_free(&f);
}

static void test_urldecode_direct(void **state)
{
	char *out = (char *)1;
	size_t n = 99;
	struct si_err err;

	(void)state;
	assert_int_equal(form_urldecode("a+b%2Bc%7e", 10, &out, &n, &err), 0);
	assert_string_equal(out, "a b+c~");
	assert_int_equal(n, 6);
	free(out);
	assert_int_equal(form_urldecode("", 0, &out, &n, &err), 0);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
	free(out);
	assert_int_equal(form_urldecode("ab%", 3, &out, &n, &err), -1);
	assert_null(out);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_string_equal(err.msg, "invalid percent-escape at offset 2");
	assert_int_equal(form_urldecode("%00", 3, &out, &n, NULL), -1);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_pairs),
		cmocka_unit_test(test_plus_is_space),
		cmocka_unit_test(test_percent_decoding_either_case),
		cmocka_unit_test(test_encoded_separators_do_not_split),
		cmocka_unit_test(test_repeated_keys_kept_in_order),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_key_without_equals),
		cmocka_unit_test(test_empty_key),
		cmocka_unit_test(test_empty_pairs_skipped),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_length_not_nul_termination),
		cmocka_unit_test(test_invalid_escapes_rejected),
		cmocka_unit_test(test_invalid_escape_offset_in_message),
		cmocka_unit_test(test_nul_bytes_rejected),
		cmocka_unit_test(test_pair_limit),
		cmocka_unit_test(test_key_length_limit),
		cmocka_unit_test(test_values_are_not_length_limited),
		cmocka_unit_test(test_free_is_safe),
		cmocka_unit_test(test_urldecode_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
