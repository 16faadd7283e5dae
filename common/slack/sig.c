#include "slack/sig.h"

#include <string.h>

#include <openssl/crypto.h>

#include "util/hmac.h"
#include "util/strutil.h"

/* Slack's signing version; it prefixes both the basestring and the header. */
#define S_VERSION "v0"
#define S_PREFIX S_VERSION "="
#define S_PREFIX_LEN SI_LITLEN(S_PREFIX)

_Static_assert(SLACK_SIG_HEADER_LEN == S_PREFIX_LEN + 2 * SI_HMAC_SHA256_LEN,
	       "the header is v0= and the hex of one HMAC-SHA256 tag");

/* Strict parse of the timestamp header: digits only, bounded length. */
static int s_parse_ts(const char *s, long long *out)
{
	long long v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SLACK_SIG_TS_MAX_DIGITS || s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*out = v;
	return 0;
}

static int s_sig_well_formed(const char *s)
{
	size_t i;

	if (!SI_HAS_PREFIX(s, S_PREFIX))
		return 0;
	for (i = S_PREFIX_LEN; i < SLACK_SIG_HEADER_LEN; i++) {
		if (si_hexval_lower((unsigned char)s[i]) < 0)
			return 0;
	}
	/* The loop stopped at the first NUL, so this also rejects short ones. */
	return s[SLACK_SIG_HEADER_LEN] == '\0';
}

/* Compare without overflow for any time_t: ts is in [0, 10^12). */
static int s_is_fresh(long long ts, time_t now)
{
	long long n = (long long)now;

	return n >= ts - SLACK_SIG_MAX_SKEW && n <= ts + SLACK_SIG_MAX_SKEW;
}

/* HMAC-SHA256 over the basestring "v0:{timestamp}:{body}", streamed in
 * parts so that no copy of the body has to be built (and wiped). */
static int s_hmac(const char *secret, const char *timestamp,
		  const void *body, size_t body_len,
		  unsigned char mac[SI_HMAC_SHA256_LEN], struct si_err *err)
{
	const struct si_hmac_part parts[] = {
		{ S_VERSION ":", SI_LITLEN(S_VERSION ":") },
		{ timestamp, strlen(timestamp) },
		{ ":", SI_LITLEN(":") },
		{ body, body_len },
	};

	return si_hmac_sha256_parts(secret, strlen(secret), parts, sizeof(parts) / sizeof(parts[0]),
				    mac, SI_HMAC_SHA256_LEN, err);
}

int slack_sig_compute(const char *secret, const char *timestamp,
		      const void *body, size_t body_len,
		      char out[SLACK_SIG_HEADER_LEN + 1], struct si_err *err)
{
	unsigned char mac[SI_HMAC_SHA256_LEN];

	if (secret == NULL || secret[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no signing secret given");
	if (timestamp == NULL || timestamp[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no timestamp given");
	if (body == NULL && body_len > 0)
		return si_err_set(err, SI_ERR_INVALID, "NULL body with non-zero length");
	if (s_hmac(secret, timestamp, body, body_len, mac, err) != 0)
		return -1;
	memcpy(out, S_PREFIX, S_PREFIX_LEN);
	si_hex_encode(mac, sizeof(mac), out + S_PREFIX_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

enum slack_sig_status slack_sig_verify(const char *secret,
				       const char *timestamp_hdr,
				       const char *signature_hdr,
				       const void *body, size_t body_len,
				       time_t now)
{
	char expected[SLACK_SIG_HEADER_LEN + 1];
	long long ts;
	enum slack_sig_status st;

	if (secret == NULL || secret[0] == '\0')
		return SLACK_SIG_NO_SECRET;
	if (timestamp_hdr == NULL || timestamp_hdr[0] == '\0' ||
	    signature_hdr == NULL || signature_hdr[0] == '\0')
		return SLACK_SIG_MISSING;
	if (!s_sig_well_formed(signature_hdr))
		return SLACK_SIG_MALFORMED;
	if (s_parse_ts(timestamp_hdr, &ts) != 0)
		return SLACK_SIG_BAD_TIMESTAMP;
	if (!s_is_fresh(ts, now))
		return SLACK_SIG_STALE;
	if (body == NULL && body_len > 0)
		return SLACK_SIG_BAD;
	/* Any failure to compute is a refusal: fail closed. */
	if (slack_sig_compute(secret, timestamp_hdr, body, body_len, expected, NULL) != 0)
		return SLACK_SIG_BAD;
	st = CRYPTO_memcmp(expected, signature_hdr, SLACK_SIG_HEADER_LEN) == 0
		? SLACK_SIG_OK : SLACK_SIG_BAD;
	OPENSSL_cleanse(expected, sizeof(expected));
	return st;
}

const char *slack_sig_reason(enum slack_sig_status status)
{
	switch (status) {
	case SLACK_SIG_OK: return "ok";
	case SLACK_SIG_MISSING: return "missing signature";
	case SLACK_SIG_MALFORMED: return "malformed signature";
	case SLACK_SIG_BAD_TIMESTAMP: return "bad timestamp";
	case SLACK_SIG_STALE: return "stale timestamp";
	case SLACK_SIG_BAD: return "bad signature";
	case SLACK_SIG_NO_SECRET: return "no signing secret configured";
	}
	return "unknown signature status";
}
