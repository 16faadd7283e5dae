/*
 * test_iso8601.c - the one ISO 8601 parser, as data: each row is an input,
 * the form it is parsed as, and the expected epoch second (or a rejection).
 * Expected values come from `date -u -d ... +%s`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/iso8601.h"

enum form { EXT, UTC, BASIC };

#define BAD (-1LL)

struct row {
	enum form form;
	const char *in;
	long long want; /* BAD: must be rejected */
};

static const struct row s_rows[] = {
	/* what each former parser needed */
	{ EXT, "1970-01-01T00:00:00Z", 0 },
	{ EXT, "2011-07-15T23:28:33.359Z", 1310772513 },      /* EC2 LaunchTime */
	{ EXT, "2024-02-29T12:00:00+02:00", 1709200800 },     /* offset east */
	{ EXT, "2024-02-29T08:00:00-02:00", 1709200800 },     /* offset west */
	{ EXT, "2024-02-29T10:00:00-00:00", 1709200800 },
	{ EXT, "2024-01-02T03:04:05.000Z", 1704164645 },
	{ EXT, "2011-07-15t23:28:33z", 1310772513 },          /* RFC 3339 5.6 */
	{ EXT, "2011-07-15T23:28:33.123456789Z", 1310772513 },
	{ UTC, "2019-04-23T17:36:42Z", 1556041002 },          /* IMDS Expiration */
	{ UTC, "1970-01-01T00:00:00.123Z", 0 },
	{ UTC, "2024-02-29T00:00:00+00:00", 1709164800 },
	{ UTC, "2015-08-30T12:36:00Z", 1440938160 },
	{ BASIC, "20150830T123600Z", 1440938160 },            /* X-Amz-Date */
	/* leap years */
	{ EXT, "2000-02-29T12:34:56Z", 951827696 },           /* 400-year rule */
	{ EXT, "1900-02-29T00:00:00Z", BAD },                 /* also before 1970 */
	{ EXT, "2100-02-29T00:00:00Z", BAD },                 /* 100-year rule */
	{ EXT, "2023-02-29T00:00:00Z", BAD },
	{ EXT, "2024-02-30T00:00:00Z", BAD },
	{ EXT, "2024-04-31T00:00:00Z", BAD },
	{ EXT, "2024-12-32T00:00:00Z", BAD },
	{ EXT, "2024-00-10T00:00:00Z", BAD },
	{ EXT, "2024-13-10T00:00:00Z", BAD },
	{ EXT, "2024-01-00T00:00:00Z", BAD },
	{ BASIC, "20230229T000000Z", BAD },
	/* hours, minutes, seconds, leap seconds */
	{ EXT, "2011-07-15T24:00:00Z", BAD },
	{ EXT, "2011-07-15T23:60:00Z", BAD },
	{ EXT, "2011-07-15T23:59:61Z", BAD },
	{ EXT, "2016-12-31T23:59:60Z", 1483228800 },          /* a real leap second */
	{ EXT, "2015-06-30T23:59:60Z", 1435708800 },
	{ EXT, "2017-01-01T01:59:60+02:00", 1483228800 },     /* same one, east */
	{ EXT, "2011-07-15T23:28:60Z", BAD },                 /* not 23:59 */
	{ EXT, "2011-07-15T23:59:60Z", BAD },                 /* not a month's end */
	{ EXT, "2016-12-31T23:59:60+01:00", BAD },            /* 22:59:60 UTC */
	{ BASIC, "20161231T235960Z", 1483228800 },
	/* fraction */
	{ EXT, "2011-07-15T23:28:33.Z", BAD },
	{ EXT, "2011-07-15T23:28:33.1234567890Z", BAD },
	{ EXT, "2011-07-15T23:28:33.12a4Z", BAD },
	{ EXT, "2011-07-15T23:28:33,5Z", BAD },
	{ BASIC, "20150830T123600.5Z", BAD },
	/* zones */
	{ EXT, "2011-07-15T23:28:33", BAD },
	{ EXT, "2011-07-15T23:28:33+0200", BAD },
	{ EXT, "2011-07-15T23:28:33+02", BAD },
	{ EXT, "2011-07-15T23:28:33+24:00", BAD },
	{ EXT, "2011-07-15T23:28:33+02:60", BAD },
	{ EXT, "2011-07-15T23:28:33+0a:00", BAD },
	{ EXT, "2011-07-15T23:28:33Zjunk", BAD },
	{ EXT, "2011-07-15T23:28:33ZZ", BAD },
	{ EXT, "2011-07-15T23:28:33+02:00x", BAD },
	{ UTC, "2019-04-23T17:36:42+02:00", BAD },
	{ UTC, "2019-04-23T17:36:42-00:00", BAD },
	{ UTC, "2019-04-23T17:36:42", BAD },
	{ BASIC, "20150830T123600z", BAD },
	{ BASIC, "20150830t123600Z", BAD },
	/* layout, digits, truncation */
	{ EXT, "", BAD },
	{ EXT, "2011-07-15", BAD },
	{ EXT, "2011-07-15T23:28:3", BAD },
	{ EXT, "2011-07-15 23:28:33Z", BAD },
	{ EXT, "2011-7-15T23:28:33Z", BAD },
	{ EXT, "+011-07-15T23:28:33Z", BAD },
	{ EXT, "-011-07-15T23:28:33Z", BAD },
	{ EXT, "2015-08-3xT12:36:00Z", BAD },
	{ EXT, "2015-08-30T12:3 :00Z", BAD },
	{ EXT, "2015/08/30T12:36:00Z", BAD },
	{ BASIC, "", BAD },
	{ BASIC, "20150830T123600", BAD },
	{ BASIC, "20150830T123600ZZ", BAD },
	{ BASIC, "2015083OT123600Z", BAD },
	{ BASIC, "2015-08-30T12:36:00Z", BAD },
	/* year range */
	{ EXT, "1969-12-31T23:59:59Z", BAD },
	{ EXT, "1970-01-01T00:00:00+01:00", BAD },            /* -3600 */
	{ EXT, "1970-01-01T00:00:00-01:00", 3600 },
	{ EXT, "0000-01-01T00:00:00Z", BAD },
	{ EXT, "9999-12-31T23:59:59Z", 253402300799LL },
	{ EXT, "9999-12-31T23:59:59-01:00", BAD },            /* into year 10000 */
};

static int s_parse(enum form f, const char *s, size_t len, time_t *t, struct si_err *err)
{
	switch (f) {
	case EXT:
		return si_iso8601_parse(s, len, t, err);
	case UTC:
		return si_iso8601_parse_utc(s, len, t, err);
	case BASIC:
		return si_iso8601_parse_basic(s, len, t, err);
	}
	return -1;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_rows) / sizeof(s_rows[0]); i++) {
		const struct row *r = &s_rows[i];
		struct si_err err = { 0 };
		time_t t = 12345;
		int rc = s_parse(r->form, r->in, strlen(r->in), &t, &err);

		if (r->want == BAD) {
			if (rc != -1)
				fail_msg("row %zu \"%s\": accepted as %lld", i, r->in,
					 (long long)t);
			if (t != 12345)
				fail_msg("row %zu \"%s\": wrote *out on failure", i, r->in);
			if (err.code != SI_ERR_INVALID || err.msg[0] == '\0')
				fail_msg("row %zu \"%s\": no error recorded", i, r->in);
			continue;
		}
		if (rc != 0)
			fail_msg("row %zu \"%s\": rejected: %s", i, r->in, err.msg);
		if ((long long)t != r->want)
			fail_msg("row %zu \"%s\": %lld, want %lld", i, r->in, (long long)t,
				 r->want);
	}
}

/* The parser reads s[0..len) only: a valid time followed by more bytes
 * parses when len stops at its end, and a valid prefix does not parse when
 * len cuts it. */
static void test_bounded_by_len(void **state)
{
	static const char s[] = "2015-08-30T12:36:00Zjunk";
	static const char b[] = "20150830T123600Zjunk";
	time_t t = 0;

	(void)state;
	assert_int_equal(si_iso8601_parse(s, 20, &t, NULL), 0);
	assert_int_equal((long long)t, 1440938160LL);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(si_iso8601_parse(s, n, &t, NULL), -1);
	assert_int_equal(si_iso8601_parse_basic(b, 16, &t, NULL), 0);
	assert_int_equal((long long)t, 1440938160LL);
	assert_int_equal(si_iso8601_parse_basic(b, 15, &t, NULL), -1);
	assert_int_equal(si_iso8601_parse("2015-08-30T12:36:00\0Z", 21, &t, NULL), -1);
	assert_int_equal(si_iso8601_parse(NULL, 20, &t, NULL), -1);
	assert_int_equal(si_iso8601_parse_basic(NULL, 16, &t, NULL), -1);
}

struct fmt_row {
	long long t;
	const char *want; /* NULL: must be refused */
};

static const struct fmt_row s_fmt_rows[] = {
	{ 0, "19700101T000000Z" },
	{ 1440938160, "20150830T123600Z" },
	{ 951782400, "20000229T000000Z" },
	{ 1483228799, "20161231T235959Z" },
	{ 2147483648LL, "20380119T031408Z" },
	{ 253402300799LL, "99991231T235959Z" },
	{ -1, NULL },
	{ 253402300800LL, NULL },
};

static void test_format_basic(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_fmt_rows) / sizeof(s_fmt_rows[0]); i++) {
		const struct fmt_row *r = &s_fmt_rows[i];
		char out[SI_ISO8601_BASIC_LEN];
		struct si_err err = { 0 };
		time_t back = 0;

		if ((long long)(time_t)r->t != r->t)
			continue; /* 32-bit time_t */
		if (r->want == NULL) {
			if (si_iso8601_format_basic((time_t)r->t, out, &err) != -1)
				fail_msg("row %zu: %lld formatted", i, r->t);
			continue;
		}
		if (si_iso8601_format_basic((time_t)r->t, out, &err) != 0)
			fail_msg("row %zu: %s", i, err.msg);
		assert_string_equal(out, r->want);
		/* and back again */
		assert_int_equal(si_iso8601_parse_basic(out, strlen(out), &back, &err), 0);
		assert_true((long long)back == r->t);
	}
}

/* Every day from 1970 to 2400 formats and parses back to itself: the
 * calendar arithmetic agrees with itself across leap-year rules. */
static void test_round_trip_days(void **state)
{
	(void)state;
	for (long long day = 0; day < 157000; day++) {
		long long t = day * 86400 + 43199;
		char out[SI_ISO8601_BASIC_LEN];
		time_t back = 0;

		if ((long long)(time_t)t != t)
			break;
		assert_int_equal(si_iso8601_format_basic((time_t)t, out, NULL), 0);
		assert_int_equal(si_iso8601_parse_basic(out, strlen(out), &back, NULL), 0);
		if ((long long)back != t)
			fail_msg("day %lld: %s parsed as %lld", day, out, (long long)back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounded_by_len),
		cmocka_unit_test(test_format_basic),
		cmocka_unit_test(test_round_trip_days),
	};
	return cmocka_run_group_tests_name("iso8601", tests, NULL, NULL);
}
