/*
 * sigv4.h - AWS Signature Version 4 (header signing and presigned queries).
 *
 * Pure computation: no network, no clock, no environment. The caller passes
 * the request (method, path, query, headers, body), the credentials, the
 * scope (region, service) and the time; the module returns the canonical
 * request, string to sign, signature and the header values to add.
 *
 * Conventions (checked against the aws-c-auth SigV4 suite, see
 * tests/unit/test_sigv4.c):
 * - path is the UNENCODED path ("/example space/", raw UTF-8). It is
 *   optionally normalised (RFC 3986 remove_dot_segments plus collapsing of
 *   empty segments, as non-S3 services expect) and every byte outside the
 *   RFC 3986 unreserved set except '/' is encoded as %XX (upper-case hex).
 *   Because the input is the unencoded path this is the "double encoding"
 *   non-S3 services want: a literal '%' becomes %25.
 * - query is the raw query string after '?' (NULL or "" for none), as found
 *   in a URL: each name and value is percent-decoded, then re-encoded with
 *   the unreserved set, and the pairs are sorted by name then value. A '+'
 *   is a literal plus (AWS does not treat it as space).
 * - header names are lower-cased, values trimmed with inner whitespace runs
 *   (including folded line breaks) collapsed to one space; headers with the
 *   same name are joined with ',' in the order given. Every header given is
 *   signed, so pass only what will be sent. Host must be among them.
 */
#ifndef SI_SIGV4_H
#define SI_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"

/* "AWS4-HMAC-SHA256": the only algorithm SigV4 (non-asymmetric) defines. */
#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* SHA-256 output and its lower-case hex form (plus NUL). */
#define SIGV4_KEY_LEN 32
#define SIGV4_HEX_LEN 65

/* "20150830T123600Z" plus NUL: the basic ISO 8601 form of util/iso8601.h
 * (sigv4.c asserts the two agree). */
#define SIGV4_AMZ_DATE_LEN 17

/* Real AWS requests carry a dozen headers; 64 leaves room for anything we
 * would legitimately sign while bounding the sort. */
#define SIGV4_MAX_HEADERS 64

/* Query-protocol calls put parameters in the body, so URLs stay short;
 * 256 pairs covers any presigned URL we would build. */
#define SIGV4_MAX_QUERY_PARAMS 256

/* Region and service names are short identifiers ("ap-southeast-2",
 * "ec2"); 63 bytes is the DNS label limit they must fit in anyway. */
#define SIGV4_MAX_NAME 63

/* Canonical requests and strings to sign are built in capped buffers: 1 MiB
 * is far beyond any URL + header set an AWS endpoint would accept. */
#define SIGV4_MAX_CANONICAL ((size_t)1024 * 1024)

/* A request header, borrowed from the caller. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/* Borrowed for the duration of the call; never copied into results except
 * access_key_id (in Authorization) and session_token (as a header value). */
struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "" when not a temporary credential */
};

/* The request to sign. All pointers borrowed. */
struct sigv4_request {
	const char *method;                 /* "GET", "POST" */
	const char *path;                   /* unencoded, starts with '/' */
	const char *query;                  /* raw query string or NULL */
	const struct sigv4_header *headers; /* must include Host */
	size_t n_headers;
	const void *body;                   /* may be NULL when body_len == 0 */
	size_t body_len;
};

enum sigv4_mode {
	SIGV4_MODE_HEADER = 0, /* Authorization header (what our POSTs use) */
	SIGV4_MODE_QUERY       /* presigned URL (X-Amz-Signature in query) */
};

struct sigv4_key_cache; /* opaque, see sigv4_key_cache_new */

struct sigv4_params {
	const char *region;   /* e.g. "us-east-1" */
	const char *service;  /* e.g. "ec2", "sts" */
	time_t now;           /* the signing time, supplied by the caller */
	int normalize_path;   /* 1 for every service except S3 */
	int sign_body;        /* header mode: add and sign x-amz-content-sha256 */
	/* The token is not signed but still sent (added after signing). Some
	 * services (IoT, old STS set-ups) require this order. */
	int omit_session_token;
	enum sigv4_mode mode;
	long expires;         /* query mode: X-Amz-Expires in seconds (1..604800) */
	struct sigv4_key_cache *cache; /* optional; NULL derives every time */
};

/* One header the caller must add to the request (header mode). */
struct sigv4_out_header {
	const char *name;  /* static string */
	const char *value; /* points into the owning sigv4_result */
};

/* The output. All strings are owned by the result and freed by
 * sigv4_result_free(). */
struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char signature[SIGV4_HEX_LEN];
	char amz_date[SIGV4_AMZ_DATE_LEN];
	char payload_hash[SIGV4_HEX_LEN];
	/* Header mode: the full Authorization value. Query mode: NULL. */
	char *authorization;
	/* Query mode: the query string to send (the original parameters plus
	 * the X-Amz-* ones and X-Amz-Signature, encoded). Header mode: NULL. */
	char *presigned_query;
	/* Header mode: the headers to add to the request, in this order:
	 * X-Amz-Date, X-Amz-Security-Token (when a token is given, signed or
	 * not), x-amz-content-sha256 (sign_body), Authorization. */
	struct sigv4_out_header add[4];
	size_t n_add;
	char *token_copy; /* private: backing store for the token header */
};

/* Sign req. On success fills *out (which the caller frees with
 * sigv4_result_free) and returns 0; on failure returns -1, fills err and
 * leaves *out empty. Secrets never appear in err. */
int sigv4_sign(const struct sigv4_request *req,
	       const struct sigv4_credentials *creds,
	       const struct sigv4_params *params,
	       struct sigv4_result *out, struct si_err *err);

/* Free what sigv4_sign put in r and zero it. Safe on a zeroed struct and
 * on NULL. */
void sigv4_result_free(struct sigv4_result *r);

/* Parse an ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SSZ" (the form AWS uses in
 * tests and in STS Expiration) into *out: si_iso8601_parse_utc's rules (an
 * optional fraction, "Z" or "+00:00", fields range-checked). */
int sigv4_parse_iso8601(const char *s, time_t *out, struct si_err *err);

/* Format t as the X-Amz-Date value "YYYYMMDDTHHMMSSZ" (years 1970-9999). */
int sigv4_format_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN],
			  struct si_err *err);

/* Append the RFC 3986 encoding of s[0..n) to *out: unreserved characters
 * (A-Z a-z 0-9 - . _ ~) are kept, '/' too when keep_slash, every other byte
 * becomes %XX with upper-case hex. This is the encoding AWS requires for
 * canonical URIs, canonical query strings and query-protocol bodies. */
int sigv4_uri_encode(struct si_buf *out, const char *s, size_t n,
		     int keep_slash, struct si_err *err);

/*
 * Signing-key cache. Deriving a key costs four HMACs; a search fans out to
 * many (account, region) pairs signing several requests each, so derived
 * keys are kept, keyed by (secret fingerprint, date, region, service). The
 * secret itself is not stored: entries hold its SHA-256. The cache is
 * thread-safe (one mutex). Key material is wiped with OPENSSL_cleanse on
 * eviction and free.
 */

/* At most this many entries: 4096 (account, region) pairs is beyond any
 * deployment we plan for, and each entry is ~200 bytes. */
#define SIGV4_KEY_CACHE_MAX 4096

/* Create a cache holding up to capacity (1..SIGV4_KEY_CACHE_MAX) keys;
 * when full the least recently used one is evicted. Free with
 * sigv4_key_cache_free. Returns NULL and fills err on failure. */
struct sigv4_key_cache *sigv4_key_cache_new(size_t capacity,
					    struct si_err *err);

/* Wipe and free; NULL is fine. */
void sigv4_key_cache_free(struct sigv4_key_cache *c);

/* Counters since creation, for tests and metrics (either pointer may be
 * NULL). */
void sigv4_key_cache_stats(struct sigv4_key_cache *c, unsigned long *hits,
			   unsigned long *misses);

/* Derive the SigV4 signing key for (secret, date "YYYYMMDD", region,
 * service) into key; with a cache, reuse a previously derived one. The
 * caller should OPENSSL_cleanse key when done. */
int sigv4_derive_key(struct sigv4_key_cache *cache, const char *secret,
		     const char *date8, const char *region,
		     const char *service, unsigned char key[SIGV4_KEY_LEN],
		     struct si_err *err);

#endif
