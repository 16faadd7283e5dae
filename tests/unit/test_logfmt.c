#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/logfmt.h"

static void test_plain_values_unquoted(void **state)
{
	struct logfmt l;

	(void)state;
	logfmt_begin(&l, "info");
	logfmt_str(&l, "route", "infra-search");
	logfmt_int(&l, "status", 200);
	l.buf[l.len] = '\0';
	assert_non_null(strstr(l.buf, " level=info route=infra-search status=200"));
	assert_memory_equal(l.buf, "time=", 5);
}

static void test_spaces_and_quotes_are_quoted(void **state)
{
	struct logfmt l;

	(void)state;
	logfmt_begin(&l, "info");
	logfmt_str(&l, "msg", "a \"b\" c");
	l.buf[l.len] = '\0';
	assert_non_null(strstr(l.buf, "msg=\"a \\\"b\\\" c\""));
}

static void test_newline_cannot_forge_a_line(void **state)
{
	struct logfmt l;

	(void)state;
	logfmt_begin(&l, "info");
	logfmt_str(&l, "user", "bob\nlevel=error fake=1");
	l.buf[l.len] = '\0';
	assert_null(strchr(l.buf, '\n'));
	assert_non_null(strstr(l.buf, "\\x0a"));
}

static void test_null_value_skipped_and_empty_quoted(void **state)
{
	struct logfmt l;

	(void)state;
	logfmt_begin(&l, "info");
	logfmt_str(&l, "absent", NULL);
	logfmt_str(&l, "empty", "");
	l.buf[l.len] = '\0';
	assert_null(strstr(l.buf, "absent"));
	assert_non_null(strstr(l.buf, "empty=\"\""));
}

static void test_long_values_bounded(void **state)
{
	struct logfmt l;
	char big[LOGFMT_LINE_MAX * 2];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	logfmt_begin(&l, "info");
	logfmt_str(&l, "big", big);
	logfmt_str(&l, "more", big);
	assert_true(l.len < LOGFMT_LINE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_values_unquoted),
		cmocka_unit_test(test_spaces_and_quotes_are_quoted),
		cmocka_unit_test(test_newline_cannot_forge_a_line),
		cmocka_unit_test(test_null_value_skipped_and_empty_quoted),
		cmocka_unit_test(test_long_values_bounded),
	};
	return cmocka_run_group_tests_name("logfmt", tests, NULL, NULL);
}
