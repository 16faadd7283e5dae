/*
 * iso8601.h - the one parser for the UTC timestamps AWS sends and signs.
 *
 * AWS writes times in three places this service reads: credential expiry
 * (IMDS, container endpoints, credential_process: "2026-11-24T12:00:00Z"),
 * XML fields such as LaunchTime and STS Expiration ("...T12:00:00.000Z",
 * sometimes an offset "+00:00"), and SigV4's X-Amz-Date in basic format
 * ("20150830T123600Z"). One parser, one set of range rules.
 */
#ifndef SI_UTIL_ISO8601_H
#define SI_UTIL_ISO8601_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* Length of the basic form "YYYYMMDDTHHMMSSZ" plus its NUL. */
#define SI_ISO8601_BASIC_LEN 17

/* Parse the extended form YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
 * in s[0..len) into seconds since the epoch (fraction dropped, offset
 * applied). Fields are range-checked (month 1-12, day valid for the month,
 * hour 0-23, minute 0-59, second 0-60). The year must be 1970-9999 and the
 * result not before the epoch. Second 60 is accepted only where a leap
 * second can be, 23:59:60 UTC on the last day of a month, and counts as
 * the next midnight. The fraction is 1-9 digits; 'T' and 'Z' may be lower
 * case (RFC 3339). Bytes past len are never read; s need not end in a NUL.
 * Returns 0, or -1 with err set. */
int si_iso8601_parse(const char *s, size_t len, time_t *out, struct si_err *err);

/* As si_iso8601_parse, but the zone must be UTC: Z (or z) or "+00:00".
 * For callers that treat any other offset as a peer they do not
 * understand (credential expiry, SigV4 test timestamps). */
int si_iso8601_parse_utc(const char *s, size_t len, time_t *out, struct si_err *err);

/* Parse exactly the basic form YYYYMMDDTHHMMSSZ (len must be 16; upper-case
 * T and Z only, as X-Amz-Date is written), same range rules. */
int si_iso8601_parse_basic(const char *s, size_t len, time_t *out, struct si_err *err);

/* Format t as YYYYMMDDTHHMMSSZ into out (pure arithmetic, no gmtime).
 * Returns 0, or -1 with err set when t is outside 1970-9999. */
int si_iso8601_format_basic(time_t t, char out[SI_ISO8601_BASIC_LEN], struct si_err *err);

#endif
