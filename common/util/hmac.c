/*
 * hmac.c - HMAC-SHA256 through OpenSSL 3's EVP_MAC interface (the HMAC()
 * one-shot and HMAC_CTX are deprecated there).
 */
#include "util/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

int si_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
		   unsigned char *out, size_t out_len, struct si_err *err)
{
	struct si_hmac_part part = { data, len };

	return si_hmac_sha256_parts(key, klen, &part, 1, out, out_len, err);
}

/* Why EVP_MAC per call rather than one fetched at start-up: the fetch is
 * cached inside OpenSSL, the calls are few per request (four for a SigV4
 * key, one per signature), and a process-wide object would need teardown
 * ordering against OpenSSL's own atexit cleanup. Assumes key is not NULL
 * when klen > 0; an empty key is valid HMAC (RFC 2104 pads it). */
int si_hmac_sha256_parts(const void *key, size_t klen, const struct si_hmac_part *parts,
			 size_t nparts, unsigned char *out, size_t out_len, struct si_err *err)
{
	static const unsigned char empty_key[1] = { 0 };
	EVP_MAC *m = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t mac_len = 0;
	int rc = -1;

	if (out == NULL || out_len < SI_HMAC_SHA256_LEN || (key == NULL && klen > 0) ||
	    (parts == NULL && nparts > 0))
		return si_err_set(err, SI_ERR_INVALID, "HMAC-SHA256: bad arguments");
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
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* OpenSSL refuses a NULL key even when its length is 0. */
	if (EVP_MAC_init(ctx, klen > 0 ? key : empty_key, klen, params) != 1)
		goto fail;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len == 0)
			continue;
		if (parts[i].data == NULL || EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
			goto fail;
	}
	if (EVP_MAC_final(ctx, out, &mac_len, out_len) != 1 || mac_len != SI_HMAC_SHA256_LEN)
		goto fail;
	rc = 0;
	goto out;
fail:
	si_err_set(err, SI_ERR_INTERNAL, "HMAC-SHA256 computation failed");
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return rc;
}
