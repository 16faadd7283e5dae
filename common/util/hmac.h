/*
 * hmac.h - the one HMAC-SHA256 helper (RFC 2104 with SHA-256, as SigV4 and
 * Slack request signing both use it). OpenSSL does the work.
 *
 * Keys and data are secrets or signed material: nothing here logs, and err
 * messages never contain them.
 */
#ifndef SI_UTIL_HMAC_H
#define SI_UTIL_HMAC_H

#include <stddef.h>

#include "util/err.h"

/* Length in bytes of an HMAC-SHA256 tag. */
#define SI_HMAC_SHA256_LEN 32

/* One piece of the message; the MAC covers the pieces in order, as if they
 * were concatenated (so callers need not build, then wipe, a copy). */
struct si_hmac_part {
	const void *data;
	size_t len; /* data may be NULL when len is 0 */
};

/* HMAC-SHA256 of data[0..len) under key[0..klen) into out, which holds
 * out_len bytes (at least SI_HMAC_SHA256_LEN; exactly that many are
 * written). Returns 0, or -1 with err set. */
int si_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
		   unsigned char *out, size_t out_len, struct si_err *err);

/* The same over the concatenation of parts[0..nparts). */
int si_hmac_sha256_parts(const void *key, size_t klen, const struct si_hmac_part *parts,
			 size_t nparts, unsigned char *out, size_t out_len, struct si_err *err);

#endif
