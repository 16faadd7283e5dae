#include "slack/sig.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

/* Slack's signing version; it prefixes both the basestring and the header. */
#define S_VERSION "v0"
#define S_PREFIX S_VERSION "="
#define S_PREFIX_LEN 3
#define S_SHA256_LEN 32

static int s_is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

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

	if (strncmp(s, S_PREFIX, S_PREFIX_LEN) != 0)
		return 0;
	for (i = S_PREFIX_LEN; i < SLACK_SIG_HEADER_LEN; i++) {
		if (!s_is_lower_hex(s[i]))
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

static int s_hmac(const char *secret, const char *timestamp,
		  const void *body, size_t body_len,
		  unsigned char mac[S_SHA256_LEN], struct si_err *err)
{
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t mac_len = 0;
	int rc = -1;

	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (m == NULL) {
		si_err_set(err, SI_ERR_INTERNAL, "HMAC unavailable in OpenSSL");
		goto out;
	}
	ctx = EVP_MAC_CTX_new(m);
	if (ctx == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory for HMAC context");
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* Streaming the four parts avoids building (and wiping) a copy of
	 * the basestring "v0:{timestamp}:{body}". */
	if (EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)S_VERSION ":", 3) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)timestamp, strlen(timestamp)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)":", 1) != 1 ||
	    (body_len > 0 && EVP_MAC_update(ctx, body, body_len) != 1) ||
	    EVP_MAC_final(ctx, mac, &mac_len, S_SHA256_LEN) != 1 ||
	    mac_len != S_SHA256_LEN) {
		si_err_set(err, SI_ERR_INTERNAL, "HMAC-SHA256 computation failed");
		goto out;
	}
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return rc;
}

int slack_sig_compute(const char *secret, const char *timestamp,
		      const void *body, size_t body_len,
		      char out[SLACK_SIG_HEADER_LEN + 1], struct si_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[S_SHA256_LEN];
	size_t i;

	if (secret == NULL || secret[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no signing secret given");
	if (timestamp == NULL || timestamp[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no timestamp given");
	if (body == NULL && body_len > 0)
		return si_err_set(err, SI_ERR_INVALID, "NULL body with non-zero length");
	if (s_hmac(secret, timestamp, body, body_len, mac, err) != 0)
		return -1;
	memcpy(out, S_PREFIX, S_PREFIX_LEN);
	for (i = 0; i < S_SHA256_LEN; i++) {
		out[S_PREFIX_LEN + 2 * i] = hex[mac[i] >> 4];
		out[S_PREFIX_LEN + 2 * i + 1] = hex[mac[i] & 0x0f];
	}
	out[SLACK_SIG_HEADER_LEN] = '\0';
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
