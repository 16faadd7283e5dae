/*
 * slack_sig.h - verify that a request really comes from Slack.
 *
 * Implements Slack's "Verifying requests from Slack" scheme (signing
 * version v0): the basestring "v0:{X-Slack-Request-Timestamp}:{raw body}"
 * is signed with HMAC-SHA256 keyed with the app's signing secret, and the
 * lower-case hex digest is sent as "X-Slack-Signature: v0=<64 hex>".
 *
 * This module knows nothing of HTTP or FastCGI: the caller hands in the two
 * header values (NULL when absent), the raw body bytes exactly as received
 * (before any form decoding) and its own clock.
 *
 * Header format decisions (stricter than "anything that compares equal"):
 * - The timestamp must be 1..SLACK_SIG_TS_MAX_DIGITS ASCII digits and
 *   nothing else: no sign, no spaces, no comma (a proxy joining two headers
 *   with ", " produces a malformed value, never an accepted one).
 * - The signature must be exactly "v0=" followed by 64 LOWER-CASE hex
 *   digits. Slack sends lower case and its own SDKs compare the string
 *   literally, so upper-case hex is rejected as malformed rather than
 *   silently normalised.
 *
 * The signing secret never appears in any status, reason or error message.
 */
#ifndef SI_SLACK_SIG_H
#define SI_SLACK_SIG_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* "v0=" + 64 hex digits of a SHA-256 HMAC. */
#define SLACK_SIG_HEADER_LEN 67

/* Slack's documented replay window: requests whose timestamp is more than
 * five minutes from our clock, in either direction, are refused. */
#define SLACK_SIG_MAX_SKEW 300

/* Unix seconds have 10 digits until the year 2286; 12 digits leave ample
 * room while keeping every accepted value far from integer overflow. */
#define SLACK_SIG_TS_MAX_DIGITS 12

enum slack_sig_status {
	SLACK_SIG_OK = 0,
	SLACK_SIG_MISSING,       /* a header is absent or empty */
	SLACK_SIG_MALFORMED,     /* signature header is not "v0=" + 64 hex */
	SLACK_SIG_BAD_TIMESTAMP, /* timestamp header is not a plain integer */
	SLACK_SIG_STALE,         /* |now - timestamp| > SLACK_SIG_MAX_SKEW */
	SLACK_SIG_BAD,           /* MAC mismatch */
	SLACK_SIG_NO_SECRET      /* our configuration has no signing secret */
};

/*
 * Check one request. secret is the signing secret (NUL-terminated; never
 * logged). timestamp_hdr and signature_hdr are the header values or NULL.
 * body may be NULL when body_len is 0. now is the caller's clock in Unix
 * seconds. The secret is checked first, then the request in the order of
 * the enum, so the first problem found is reported; the MAC is computed
 * only for well-formed, fresh requests and compared in constant time
 * (CRYPTO_memcmp).
 */
enum slack_sig_status slack_sig_verify(const char *secret,
				       const char *timestamp_hdr,
				       const char *signature_hdr,
				       const void *body, size_t body_len,
				       time_t now);

/* A short static description of a status, safe to log and to show:
 * "ok", "missing signature", "malformed signature", "bad timestamp",
 * "stale timestamp", "bad signature", "no signing secret configured". */
const char *slack_sig_reason(enum slack_sig_status status);

/*
 * Compute the X-Slack-Signature value ("v0=" + 64 lower-case hex) for
 * timestamp and body into out (NUL-terminated). Used by tests, the command
 * line tool and the demo client to sign requests. The timestamp is used
 * verbatim (not validated). Returns 0, or -1 with err filled
 * (SI_ERR_INVALID for NULL/empty arguments, SI_ERR_INTERNAL when OpenSSL
 * fails).
 */
int slack_sig_compute(const char *secret, const char *timestamp,
		      const void *body, size_t body_len,
		      char out[SLACK_SIG_HEADER_LEN + 1], struct si_err *err);

#endif
