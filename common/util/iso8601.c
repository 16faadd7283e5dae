/*
 * iso8601.c - the one parser (and formatter) for the UTC timestamps AWS
 * sends and signs.
 *
 * Dates are converted with pure arithmetic (H. Hinnant's days_from_civil and
 * civil_from_days, proleptic Gregorian calendar), never with timegm/mktime:
 * timegm normalises "February 30" into March 2 instead of failing, depends
 * on the C library's TZ state, and returns -1 both for an error and for
 * 1969-12-31T23:59:59. Every field is range-checked before any arithmetic,
 * so a peer cannot make us compute a time it did not write.
 */
#include "util/iso8601.h"

#include <stdint.h>
#include <stdio.h>

#include "util/strutil.h"

/* Years accepted: AWS writes nothing before the epoch, and four digits end
 * at 9999. Keeping to [1970, 9999] also keeps every intermediate value far
 * from int64_t overflow and lets a formatted time always be 4-digit. */
#define S_YEAR_MIN 1970
#define S_YEAR_MAX 9999

/* Fractions longer than nanoseconds are not a time anyone measured; the
 * three callers this replaced all stopped at 9 digits. */
#define S_FRACTION_MAX 9

#define S_SECS_PER_DAY 86400
/* 9999-12-31T23:59:59Z, the last second the 4-digit year can write. */
#define S_T_MAX 253402300799LL

/* "YYYY-MM-DDTHH:MM:SS" and "YYYYMMDDTHHMMSSZ". */
#define S_EXT_DATETIME_LEN 19
#define S_BASIC_LEN (SI_ISO8601_BASIC_LEN - 1)

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t s_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: the civil date of z days since 1970-01-01 (z >= 0 here). */
static void s_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int s_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return dm[m - 1] + (m == 2 && s_is_leap(y));
}

/* The broken-down fields of one timestamp, before the zone is applied. */
struct s_fields {
	int y, mo, d, h, mi, sec;
};

/* Check the ranges of f (year, month, day for that month and year, hour,
 * minute, second 0-60) and return its seconds since the epoch as written,
 * with a second 60 counted as the next second (POSIX time has no leap
 * seconds). */
static int s_fields_to_time(const struct s_fields *f, int64_t *out, struct si_err *err)
{
	if (f->y < S_YEAR_MIN || f->y > S_YEAR_MAX)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 year outside %d-%d",
				  S_YEAR_MIN, S_YEAR_MAX);
	if (f->mo < 1 || f->mo > 12 || f->d < 1 || f->d > s_days_in_month(f->y, f->mo))
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 date out of range");
	if (f->h > 23 || f->mi > 59 || f->sec > 60)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time out of range");
	*out = s_days_from_civil(f->y, f->mo, f->d) * S_SECS_PER_DAY + f->h * 3600 +
	       f->mi * 60 + f->sec;
	return 0;
}

/* A leap second is inserted as 23:59:60 UTC on the last day of a month
 * (ITU-R TF.460-6 2.2; RFC 3339 5.7 asks the reader to check). t is the
 * UTC time with second 60 counted as the next second, so a real leap
 * second lands exactly on a midnight that starts a month. */
static int s_leap_second_ok(int64_t t)
{
	int y, m, d;

	if (t % S_SECS_PER_DAY != 0)
		return 0;
	s_civil_from_days(t / S_SECS_PER_DAY, &y, &m, &d);
	return d == 1;
}

/* Apply the zone offset and the final checks shared by both forms. */
static int s_finish(const struct s_fields *f, int64_t off, time_t *out, struct si_err *err)
{
	int64_t t = 0;

	if (s_fields_to_time(f, &t, err) != 0)
		return -1;
	t -= off;
	if (f->sec == 60 && !s_leap_second_ok(t))
		return si_err_set(err, SI_ERR_INVALID,
				  "ISO 8601 second 60 outside a leap second");
	if (t < 0 || t > S_T_MAX)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time before 1970 or after 9999");
	if ((int64_t)(time_t)t != t)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time does not fit time_t");
	*out = (time_t)t;
	return 0;
}

/* Parse the zone designator at s[0..len): Z, z or (+|-)HH:MM, and nothing
 * after it. Sets *off to the offset east of UTC in seconds. RFC 3339's
 * "-00:00" (UTC, local offset unknown) is accepted as UTC. */
static int s_parse_zone(const char *s, size_t len, int utc_only, int64_t *off,
			struct si_err *err)
{
	int oh, om;

	if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return 0;
	}
	if (len == 0)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time without zone");
	if (len != SI_LITLEN("+HH:MM") || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
	    si_parse_digits(s + 1, 2, &oh) != 0 || si_parse_digits(s + 4, 2, &om) != 0)
		return si_err_set(err, SI_ERR_INVALID, "bad ISO 8601 zone");
	if (oh > 23 || om > 59)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 zone out of range");
	/* AWS always writes UTC; some callers treat any other zone as a peer
	 * they do not understand. "+00:00" is UTC spelt out. */
	if (utc_only && !(s[0] == '+' && oh == 0 && om == 0))
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time not in UTC");
	*off = (int64_t)(oh * 60 + om) * 60 * (s[0] == '-' ? -1 : 1);
	return 0;
}

/* The extended form, shared by si_iso8601_parse and si_iso8601_parse_utc.
 * Assumes nothing about s past len: the bytes need not be NUL-terminated,
 * and an embedded NUL fails as a non-digit or a bad separator. The fixed
 * part is 19 bytes; then an optional fraction of 1-9 digits (dropped: the
 * callers keep whole seconds) and the zone. 'T' and 'Z' may be lower case,
 * as RFC 3339 5.6 allows. */
static int s_parse_ext(const char *s, size_t len, int utc_only, time_t *out,
		       struct si_err *err)
{
	struct s_fields f;
	int64_t off = 0;
	size_t i;

	if (s == NULL || len < S_EXT_DATETIME_LEN)
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time too short");
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return si_err_set(err, SI_ERR_INVALID, "ISO 8601 time is not YYYY-MM-DDTHH:MM:SS");
	if (si_parse_digits(s, 4, &f.y) != 0 || si_parse_digits(s + 5, 2, &f.mo) != 0 ||
	    si_parse_digits(s + 8, 2, &f.d) != 0 || si_parse_digits(s + 11, 2, &f.h) != 0 ||
	    si_parse_digits(s + 14, 2, &f.mi) != 0 || si_parse_digits(s + 17, 2, &f.sec) != 0)
		return si_err_set(err, SI_ERR_INVALID, "non-digit in ISO 8601 time");
	i = S_EXT_DATETIME_LEN;
	if (i < len && s[i] == '.') {
		size_t start = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i - start > S_FRACTION_MAX)
			return si_err_set(err, SI_ERR_INVALID, "bad ISO 8601 fraction");
	}
	if (s_parse_zone(s + i, len - i, utc_only, &off, err) != 0)
		return -1;
	return s_finish(&f, off, out, err);
}

int si_iso8601_parse(const char *s, size_t len, time_t *out, struct si_err *err)
{
	return s_parse_ext(s, len, 0, out, err);
}

int si_iso8601_parse_utc(const char *s, size_t len, time_t *out, struct si_err *err)
{
	return s_parse_ext(s, len, 1, out, err);
}

int si_iso8601_parse_basic(const char *s, size_t len, time_t *out, struct si_err *err)
{
	struct s_fields f;

	/* X-Amz-Date is compared as a string by AWS, so only the exact
	 * upper-case form it writes is accepted. */
	if (s == NULL || len != S_BASIC_LEN || s[8] != 'T' || s[15] != 'Z')
		return si_err_set(err, SI_ERR_INVALID, "time is not YYYYMMDDTHHMMSSZ");
	if (si_parse_digits(s, 4, &f.y) != 0 || si_parse_digits(s + 4, 2, &f.mo) != 0 ||
	    si_parse_digits(s + 6, 2, &f.d) != 0 || si_parse_digits(s + 9, 2, &f.h) != 0 ||
	    si_parse_digits(s + 11, 2, &f.mi) != 0 || si_parse_digits(s + 13, 2, &f.sec) != 0)
		return si_err_set(err, SI_ERR_INVALID, "non-digit in ISO 8601 time");
	return s_finish(&f, 0, out, err);
}

int si_iso8601_format_basic(time_t t, char out[SI_ISO8601_BASIC_LEN], struct si_err *err)
{
	int64_t v = (int64_t)t, secs;
	int y, m, d;
	int n;

	if (v < 0 || v > S_T_MAX)
		return si_err_set(err, SI_ERR_INVALID,
				  "time outside 1970-9999 cannot be formatted");
	s_civil_from_days(v / S_SECS_PER_DAY, &y, &m, &d);
	secs = v % S_SECS_PER_DAY;
	n = snprintf(out, SI_ISO8601_BASIC_LEN, "%04d%02d%02dT%02d%02d%02dZ", y, m, d,
		     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (n != S_BASIC_LEN)
		return si_err_set(err, SI_ERR_INTERNAL, "time formatting failed");
	return 0;
}
