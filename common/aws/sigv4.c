/*
 * sigv4.c - AWS Signature Version 4.
 *
 * Follows "Create a signed AWS API request" (AWS IAM User Guide) and the
 * behaviour pinned by the aws-c-auth v4 test suite: canonical request ->
 * string to sign -> HMAC chain key -> signature.
 */
#include "aws/sigv4.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/hmac.h"
#include "util/iso8601.h"
#include "util/strutil.h"

/* AWS secret access keys are 40 characters; 256 leaves room for any future
 * format while keeping the "AWS4"+secret buffer on the stack. */
#define S_MAX_SECRET 256

/* X-Amz-Expires must be at most seven days (SigV4 presigned URL rule). */
#define S_MAX_EXPIRES 604800L

/* The signing key chain (AWS IAM User Guide, "Create a signed AWS API
 * request", step 4): HMAC("AWS4" + secret, date), then region, service,
 * and the terminator. */
#define S_KEY_PREFIX "AWS4"
#define S_TERMINATOR "aws4_request"
/* The credential-scope date is YYYYMMDD. */
#define S_DATE_LEN 8

_Static_assert(SIGV4_AMZ_DATE_LEN == SI_ISO8601_BASIC_LEN,
	       "X-Amz-Date is the basic ISO 8601 form");
_Static_assert(SIGV4_KEY_LEN == SI_HMAC_SHA256_LEN, "SigV4 keys are HMAC-SHA256 tags");

/* Extra pairs query mode adds: Algorithm, Credential, Date, Expires,
 * Security-Token, SignedHeaders. */
#define S_QUERY_MODE_PARAMS 6

static const char s_hex_upper[] = "0123456789ABCDEF";

/* ---- small helpers ---------------------------------------------------- */

static int s_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static int s_sha256(const void *data, size_t n, unsigned char md[SIGV4_KEY_LEN],
		    struct si_err *err)
{
	unsigned int len = 0;

	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) != 1 ||
	    len != SIGV4_KEY_LEN)
		return si_err_set(err, SI_ERR_INTERNAL, "SHA-256 failed");
	return 0;
}

static int s_hmac(const void *key, size_t klen, const void *data, size_t n,
		  unsigned char out[SIGV4_KEY_LEN], struct si_err *err)
{
	return si_hmac_sha256(key, klen, data, n, out, SIGV4_KEY_LEN, err);
}

/* A short identifier that ends up inside the credential scope: bounded and
 * free of '/', whitespace and control characters, so the scope cannot be
 * forged by a crafted region or service. */
static int s_check_name(const char *what, const char *s, struct si_err *err)
{
	size_t i, n;

	if (s == NULL || s[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "sigv4: %s is empty", what);
	n = strlen(s);
	if (n > SIGV4_MAX_NAME)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: %s longer than %d", what,
				  SIGV4_MAX_NAME);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/')
			return si_err_set(err, SI_ERR_INVALID,
					  "sigv4: bad character in %s", what);
	}
	return 0;
}

/* Values that go verbatim into a header line must not break the line. */
static int s_no_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int sigv4_uri_encode(struct si_buf *out, const char *s, size_t n,
		     int keep_slash, struct si_err *err)
{
	size_t i = 0;

	while (i < n) {
		size_t run = i;
		unsigned char c;
		char enc[3];

		/* Copy runs of kept bytes in one append. */
		while (run < n && (s_is_unreserved((unsigned char)s[run]) ||
				   (keep_slash && s[run] == '/')))
			run++;
		if (run > i && si_buf_append(out, s + i, run - i, err) != 0)
			return -1;
		i = run;
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		enc[0] = '%';
		enc[1] = s_hex_upper[c >> 4];
		enc[2] = s_hex_upper[c & 0x0f];
		if (si_buf_append(out, enc, 3, err) != 0)
			return -1;
		i++;
	}
	return 0;
}

/* Percent-decode s[0..n) into out. A '%' not followed by two hex digits is
 * kept literally (it will then be re-encoded as %25), which is what the
 * SDKs do with such URLs rather than failing the call. */
static int s_pct_decode(const char *s, size_t n, struct si_buf *out,
			struct si_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && n - i >= 3 && si_hexval(s[i + 1]) >= 0 &&
		    si_hexval(s[i + 2]) >= 0) {
			c = (char)(si_hexval(s[i + 1]) * 16 + si_hexval(s[i + 2]));
			i += 2;
		}
		if (si_buf_append(out, &c, 1, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- time ------------------------------------------------------------- */

/* Both forms come from the one parser in util/iso8601.c; SigV4 keeps its
 * historical strictness (UTC only) for the timestamps its tests supply. */
int sigv4_parse_iso8601(const char *s, time_t *out, struct si_err *err)
{
	if (s == NULL)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: no time given");
	return si_iso8601_parse_utc(s, strlen(s), out, err);
}

int sigv4_format_amz_date(time_t t, char out[SIGV4_AMZ_DATE_LEN],
			  struct si_err *err)
{
	return si_iso8601_format_basic(t, out, err);
}

/* ---- key derivation and cache ----------------------------------------- */

struct s_cache_entry {
	int used;
	unsigned long last_use;
	unsigned char fp[SIGV4_KEY_LEN]; /* SHA-256 of the secret */
	char date[S_DATE_LEN + 1];
	char region[SIGV4_MAX_NAME + 1];
	char service[SIGV4_MAX_NAME + 1];
	unsigned char key[SIGV4_KEY_LEN];
};

struct sigv4_key_cache {
	pthread_mutex_t mu;
	size_t cap;
	struct s_cache_entry *e;
	unsigned long tick;
	unsigned long hits;
	unsigned long misses;
};

struct sigv4_key_cache *sigv4_key_cache_new(size_t capacity, struct si_err *err)
{
	struct sigv4_key_cache *c;

	if (capacity == 0 || capacity > SIGV4_KEY_CACHE_MAX) {
		si_err_set(err, SI_ERR_INVALID, "sigv4: cache capacity must be 1..%d",
			   SIGV4_KEY_CACHE_MAX);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->e = calloc(capacity, sizeof(*c->e));
	if (c->e == NULL)
		goto nomem;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->e);
		free(c);
		si_err_set(err, SI_ERR_INTERNAL, "sigv4: mutex init failed");
		return NULL;
	}
	c->cap = capacity;
	return c;
nomem:
	free(c);
	si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return NULL;
}

void sigv4_key_cache_free(struct sigv4_key_cache *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c->e, c->cap * sizeof(*c->e));
	free(c->e);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void sigv4_key_cache_stats(struct sigv4_key_cache *c, unsigned long *hits,
			   unsigned long *misses)
{
	unsigned long h = 0, m = 0;

	if (c != NULL) {
		pthread_mutex_lock(&c->mu);
		h = c->hits;
		m = c->misses;
		pthread_mutex_unlock(&c->mu);
	}
	if (hits != NULL)
		*hits = h;
	if (misses != NULL)
		*misses = m;
}

static int s_derive(const char *secret, const char *date8, const char *region,
		    const char *service, unsigned char key[SIGV4_KEY_LEN],
		    struct si_err *err)
{
	unsigned char k[SIGV4_KEY_LEN];
	char seed[SI_LITLEN(S_KEY_PREFIX) + S_MAX_SECRET];
	size_t slen = strlen(secret);
	int rc = -1;

	memcpy(seed, S_KEY_PREFIX, SI_LITLEN(S_KEY_PREFIX));
	memcpy(seed + SI_LITLEN(S_KEY_PREFIX), secret, slen);
	if (s_hmac(seed, SI_LITLEN(S_KEY_PREFIX) + slen, date8, strlen(date8), k, err) ||
	    s_hmac(k, sizeof(k), region, strlen(region), k, err) ||
	    s_hmac(k, sizeof(k), service, strlen(service), k, err) ||
	    s_hmac(k, sizeof(k), S_TERMINATOR, SI_LITLEN(S_TERMINATOR), key, err))
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static struct s_cache_entry *s_cache_find(struct sigv4_key_cache *c,
					  const unsigned char *fp,
					  const char *date8, const char *region,
					  const char *service)
{
	size_t i;

	for (i = 0; i < c->cap; i++) {
		struct s_cache_entry *e = &c->e[i];

		if (e->used && CRYPTO_memcmp(e->fp, fp, SIGV4_KEY_LEN) == 0 &&
		    strcmp(e->date, date8) == 0 && strcmp(e->region, region) == 0 &&
		    strcmp(e->service, service) == 0)
			return e;
	}
	return NULL;
}

static struct s_cache_entry *s_cache_victim(struct sigv4_key_cache *c)
{
	struct s_cache_entry *v = &c->e[0];
	size_t i;

	for (i = 0; i < c->cap; i++) {
		if (!c->e[i].used)
			return &c->e[i];
		if (c->e[i].last_use < v->last_use)
			v = &c->e[i];
	}
	return v;
}

/* The SigV4 signing key for (secret, date, region, service), through the
 * cache when one is given. Why a cache: the key changes once a day per
 * scope, and every request would otherwise run four HMACs. Entries are
 * found by a SHA-256 fingerprint of the secret, never the secret itself, so
 * the cache holds no copy of it; evicted and freed keys are wiped. */
int sigv4_derive_key(struct sigv4_key_cache *cache, const char *secret,
		     const char *date8, const char *region, const char *service,
		     unsigned char key[SIGV4_KEY_LEN], struct si_err *err)
{
	unsigned char fp[SIGV4_KEY_LEN];
	struct s_cache_entry *e;
	int d, rc = -1;

	if (secret == NULL || secret[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "sigv4: empty secret key");
	if (strlen(secret) > S_MAX_SECRET)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: secret key too long");
	if (date8 == NULL || strlen(date8) != S_DATE_LEN ||
	    si_parse_digits(date8, S_DATE_LEN, &d) != 0)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: date must be YYYYMMDD");
	if (s_check_name("region", region, err) ||
	    s_check_name("service", service, err))
		return -1;
	if (cache == NULL)
		return s_derive(secret, date8, region, service, key, err);
	if (s_sha256(secret, strlen(secret), fp, err) != 0)
		return -1;

	/* Derivation is four HMACs (microseconds), so it runs under the lock:
	 * simpler than a second lookup and no duplicate entries. */
	pthread_mutex_lock(&cache->mu);
	cache->tick++;
	e = s_cache_find(cache, fp, date8, region, service);
	if (e != NULL) {
		cache->hits++;
		e->last_use = cache->tick;
		memcpy(key, e->key, SIGV4_KEY_LEN);
		rc = 0;
		goto out;
	}
	cache->misses++;
	if (s_derive(secret, date8, region, service, key, err) != 0)
		goto out;
	e = s_cache_victim(cache);
	OPENSSL_cleanse(e, sizeof(*e));
	e->used = 1;
	e->last_use = cache->tick;
	memcpy(e->fp, fp, SIGV4_KEY_LEN);
	memcpy(e->date, date8, S_DATE_LEN + 1);
	memcpy(e->region, region, strlen(region) + 1);
	memcpy(e->service, service, strlen(service) + 1);
	memcpy(e->key, key, SIGV4_KEY_LEN);
	rc = 0;
out:
	pthread_mutex_unlock(&cache->mu);
	OPENSSL_cleanse(fp, sizeof(fp));
	return rc;
}

/* ---- canonical URI ---------------------------------------------------- */

struct s_seg {
	const char *p;
	size_t n;
};

/* Normalise like botocore (posixpath.normpath, then keep a trailing '/'):
 * empty and "." segments vanish, ".." removes the previous one and never
 * climbs above the root. */
static int s_canon_path(const char *path, int normalize, struct si_buf *out,
			struct si_err *err)
{
	struct s_seg *segs = NULL;
	size_t n, nseg = 0, maxseg = 1, i;
	const char *p, *end;
	int rc = -1;

	if (path == NULL || path[0] == '\0')
		path = "/";
	if (path[0] != '/')
		return si_err_set(err, SI_ERR_INVALID, "sigv4: path must start with '/'");
	n = strlen(path);
	if (n > SIGV4_MAX_CANONICAL)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: path too long");
	if (!normalize)
		return sigv4_uri_encode(out, path, n, 1, err);

	for (i = 0; i < n; i++)
		maxseg += path[i] == '/';
	segs = calloc(maxseg, sizeof(*segs));
	if (segs == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	end = path + n;
	for (p = path; p < end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			segs[nseg].p = p;
			segs[nseg].n = len;
			nseg++;
		}
		p += len + 1;
	}
	for (i = 0; i < nseg; i++) {
		if (si_buf_append(out, "/", 1, err) != 0 ||
		    sigv4_uri_encode(out, segs[i].p, segs[i].n, 0, err) != 0)
			goto out;
	}
	if ((nseg == 0 || path[n - 1] == '/') && si_buf_append(out, "/", 1, err) != 0)
		goto out;
	rc = 0;
out:
	free(segs);
	return rc;
}

/* ---- canonical query -------------------------------------------------- */

struct s_kv {
	char *k; /* encoded */
	char *v; /* encoded */
};

struct s_kvlist {
	struct s_kv *items;
	size_t n;
	size_t cap;
};

static void s_kvlist_free(struct s_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].k);
		free(l->items[i].v);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Encode k and v (plain bytes) and append the pair. */
static int s_kv_add(struct s_kvlist *l, const char *k, size_t kn, const char *v,
		    size_t vn, struct si_err *err)
{
	struct si_buf bk, bv;
	int rc = -1;

	if (l->n >= l->cap)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: more than %d query parameters",
				  SIGV4_MAX_QUERY_PARAMS);
	si_buf_init(&bk, SIGV4_MAX_CANONICAL);
	si_buf_init(&bv, SIGV4_MAX_CANONICAL);
	if (sigv4_uri_encode(&bk, k, kn, 0, err) != 0 ||
	    sigv4_uri_encode(&bv, v, vn, 0, err) != 0)
		goto out;
	l->items[l->n].k = si_buf_steal(&bk);
	l->items[l->n].v = si_buf_steal(&bv);
	if (l->items[l->n].k == NULL || l->items[l->n].v == NULL) {
		free(l->items[l->n].k);
		free(l->items[l->n].v);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	l->n++;
	rc = 0;
out:
	si_buf_free(&bk, 0);
	si_buf_free(&bv, 0);
	return rc;
}

static int s_kv_add_str(struct s_kvlist *l, const char *k, const char *v,
			struct si_err *err)
{
	return s_kv_add(l, k, strlen(k), v, strlen(v), err);
}

/* Split a raw query string into decoded pairs. */
static int s_parse_query(struct s_kvlist *l, const char *q, struct si_err *err)
{
	struct si_buf dk, dv;
	const char *p, *end;
	int rc = -1;

	si_buf_init(&dk, SIGV4_MAX_CANONICAL);
	si_buf_init(&dv, SIGV4_MAX_CANONICAL);
	if (q == NULL)
		return 0;
	end = q + strlen(q);
	for (p = q; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', len);
		size_t kn = eq ? (size_t)(eq - p) : len;

		if (len > 0) {
			si_buf_reset(&dk);
			si_buf_reset(&dv);
			if (s_pct_decode(p, kn, &dk, err) != 0 ||
			    (eq && s_pct_decode(eq + 1, len - kn - 1, &dv, err) != 0))
				goto out;
			if (s_kv_add(l, dk.data ? dk.data : "", dk.len,
				     dv.data ? dv.data : "", dv.len, err) != 0)
				goto out;
		}
		p += len + 1;
	}
	rc = 0;
out:
	si_buf_free(&dk, 0);
	si_buf_free(&dv, 0);
	return rc;
}

static int s_kv_cmp(const void *a, const void *b)
{
	const struct s_kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

static int s_put_query(struct si_buf *out, const struct s_kvlist *l,
		       struct si_err *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (si_buf_printf(out, err, "%s%s=%s", i ? "&" : "", l->items[i].k,
				  l->items[i].v) != 0)
			return -1;
	}
	return 0;
}

/* ---- canonical headers ------------------------------------------------ */

struct s_hdr {
	char *name;  /* lower-case */
	char *value; /* trimmed, whitespace collapsed */
	size_t idx;  /* input order, to keep duplicates in order */
};

struct s_hdrlist {
	struct s_hdr items[SIGV4_MAX_HEADERS + 4];
	size_t n;
};

static void s_hdrlist_free(struct s_hdrlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	l->n = 0;
}

/* RFC 7230 token characters only: anything else could not be a header
 * name on the wire. */
static int s_valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
			return 0;
	}
	return 1;
}

/* Add one header in canonical form: name lower-cased, value trimmed with
 * inner runs of white space collapsed to one space ("Trimall" in the SigV4
 * spec; white space as aws-c-auth counts it, si_ascii_space). Assumes the
 * caller sorts afterwards; idx keeps duplicates in their original order. */
static int s_hdr_add(struct s_hdrlist *l, const char *name, const char *value,
		     struct si_err *err)
{
	struct si_buf bn, bv;
	const char *v;
	int pending = 0;
	int rc = -1;

	if (l->n >= sizeof(l->items) / sizeof(l->items[0]))
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: more than %d headers",
				  SIGV4_MAX_HEADERS);
	if (name == NULL || value == NULL || !s_valid_name(name))
		return si_err_set(err, SI_ERR_INVALID, "sigv4: bad header name");
	si_buf_init(&bn, SIGV4_MAX_CANONICAL);
	si_buf_init(&bv, SIGV4_MAX_CANONICAL);
	if (si_buf_append(&bn, name, strlen(name), err) != 0)
		goto out;
	/* Trim, and collapse every run of whitespace (folded continuation
	 * lines included) into one space, as SigV4 requires. */
	for (v = value; *v != '\0'; v++) {
		if (si_ascii_space((unsigned char)*v)) {
			pending = 1;
			continue;
		}
		if (pending && bv.len > 0 && si_buf_append(&bv, " ", 1, err) != 0)
			goto out;
		pending = 0;
		if (si_buf_append(&bv, v, 1, err) != 0)
			goto out;
	}
	l->items[l->n].name = si_buf_steal(&bn);
	l->items[l->n].value = si_buf_steal(&bv);
	l->items[l->n].idx = l->n;
	si_ascii_lower(l->items[l->n].name); /* header names compare lower-case */
	if (l->items[l->n].name == NULL || l->items[l->n].value == NULL) {
		free(l->items[l->n].name);
		free(l->items[l->n].value);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	l->n++;
	rc = 0;
out:
	si_buf_free(&bn, 0);
	si_buf_free(&bv, 0);
	return rc;
}

static int s_hdr_cmp(const void *a, const void *b)
{
	const struct s_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

/* Append "name:v1,v2\n" lines to canon and "a;b" to signed_hdrs. */
static int s_put_headers(const struct s_hdrlist *l, struct si_buf *canon,
			 struct si_buf *signed_hdrs, struct si_err *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct s_hdr *h = &l->items[i];
		int same = i > 0 && strcmp(l->items[i - 1].name, h->name) == 0;

		if (same) {
			if (si_buf_printf(canon, err, ",%s", h->value) != 0)
				return -1;
			continue;
		}
		if (i > 0 && (si_buf_puts(canon, "\n", err) != 0 ||
			      si_buf_puts(signed_hdrs, ";", err) != 0))
			return -1;
		if (si_buf_printf(canon, err, "%s:%s", h->name, h->value) != 0 ||
		    si_buf_puts(signed_hdrs, h->name, err) != 0)
			return -1;
	}
	return si_buf_puts(canon, "\n", err);
}

static int s_reserved_header(const char *name, enum sigv4_mode mode)
{
	static const char *const header_mode[] = {
		"authorization", "x-amz-date", "x-amz-security-token",
		"x-amz-content-sha256",
	};
	size_t i, n = mode == SIGV4_MODE_HEADER ? 4 : 1;

	for (i = 0; i < n; i++)
		if (strcasecmp(name, header_mode[i]) == 0)
			return 1;
	return 0;
}

/* ---- signing ---------------------------------------------------------- */

void sigv4_result_free(struct sigv4_result *r)
{
	if (r == NULL)
		return;
	free(r->canonical_request);
	free(r->string_to_sign);
	free(r->authorization);
	free(r->presigned_query);
	free(r->token_copy);
	memset(r, 0, sizeof(*r));
}

/* Refuse, before any work, what would make a signature ambiguous or a
 * request line forgeable: NULL parts, a bad method, control characters or
 * scope separators in the access key id and token, an unknown mode, a
 * presign expiry outside SigV4's 1 s - 7 days, headers the signer sets
 * itself, and no Host header. Everything later assumes these hold. */
static int s_check_inputs(const struct sigv4_request *req,
			  const struct sigv4_credentials *creds,
			  const struct sigv4_params *params, struct si_err *err)
{
	size_t i;
	int host = 0;

	if (req == NULL || creds == NULL || params == NULL)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: NULL argument");
	if (req->method == NULL || !s_valid_name(req->method))
		return si_err_set(err, SI_ERR_INVALID, "sigv4: bad method");
	if (req->body == NULL && req->body_len > 0)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: NULL body");
	if (req->n_headers > SIGV4_MAX_HEADERS)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: more than %d headers",
				  SIGV4_MAX_HEADERS);
	if (creds->access_key_id == NULL || creds->access_key_id[0] == '\0' ||
	    !s_no_ctl(creds->access_key_id) || strchr(creds->access_key_id, '/') ||
	    strchr(creds->access_key_id, ' ') || strchr(creds->access_key_id, ','))
		return si_err_set(err, SI_ERR_INVALID, "sigv4: bad access key id");
	if (creds->session_token != NULL && !s_no_ctl(creds->session_token))
		return si_err_set(err, SI_ERR_INVALID, "sigv4: control character in session token");
	if (params->mode != SIGV4_MODE_HEADER && params->mode != SIGV4_MODE_QUERY)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: unknown mode");
	if (params->mode == SIGV4_MODE_QUERY &&
	    (params->expires < 1 || params->expires > S_MAX_EXPIRES))
		return si_err_set(err, SI_ERR_INVALID, "sigv4: expires must be 1..%ld",
				  S_MAX_EXPIRES);
	for (i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;

		if (name == NULL || req->headers[i].value == NULL)
			return si_err_set(err, SI_ERR_INVALID, "sigv4: NULL header");
		if (s_reserved_header(name, params->mode))
			return si_err_set(err, SI_ERR_INVALID,
					  "sigv4: header %.64s is set by the signer", name);
		host |= strcasecmp(name, "host") == 0;
	}
	if (!host)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: no Host header");
	return 0;
}

/* Everything sigv4_sign builds, so one cleanup path frees it all. */
struct s_work {
	struct s_hdrlist hdrs;
	struct s_kvlist query;
	struct si_buf creq;
	struct si_buf signed_hdrs;
	struct si_buf scope;
	struct si_buf sts;
	struct si_buf tmp;
	unsigned char key[SIGV4_KEY_LEN];
};

static int s_build_headers(struct s_work *w, const struct sigv4_request *req,
			   const struct sigv4_params *params, const char *token,
			   struct sigv4_result *out, struct si_err *err)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (s_hdr_add(&w->hdrs, req->headers[i].name,
			      req->headers[i].value, err) != 0)
			return -1;
	if (params->mode == SIGV4_MODE_HEADER) {
		if (s_hdr_add(&w->hdrs, "x-amz-date", out->amz_date, err) != 0)
			return -1;
		if (token && !params->omit_session_token &&
		    s_hdr_add(&w->hdrs, "x-amz-security-token", token, err) != 0)
			return -1;
		if (params->sign_body &&
		    s_hdr_add(&w->hdrs, "x-amz-content-sha256", out->payload_hash,
			      err) != 0)
			return -1;
	}
	qsort(w->hdrs.items, w->hdrs.n, sizeof(w->hdrs.items[0]), s_hdr_cmp);
	return 0;
}

/* The canonical query: the request's own parameters plus, in query
 * (presigned) mode, the X-Amz-* parameters that carry the signature's
 * inputs. Assumes w->scope and the signed-header list are already built,
 * since query mode must sign them as parameters. */
static int s_build_query(struct s_work *w, const struct sigv4_request *req,
			 const struct sigv4_credentials *creds,
			 const struct sigv4_params *params, const char *token,
			 const struct sigv4_result *out, struct si_err *err)
{
	char num[24];

	w->query.cap = SIGV4_MAX_QUERY_PARAMS + S_QUERY_MODE_PARAMS;
	w->query.items = calloc(w->query.cap, sizeof(*w->query.items));
	if (w->query.items == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (s_parse_query(&w->query, req->query, err) != 0)
		return -1;
	if (w->query.n > SIGV4_MAX_QUERY_PARAMS)
		return si_err_set(err, SI_ERR_LIMIT, "sigv4: more than %d query parameters",
				  SIGV4_MAX_QUERY_PARAMS);
	if (params->mode == SIGV4_MODE_QUERY) {
		si_buf_reset(&w->tmp);
		if (si_buf_printf(&w->tmp, err, "%s/%s", creds->access_key_id,
				  w->scope.data) != 0)
			return -1;
		if (snprintf(num, sizeof(num), "%ld", params->expires) <= 0)
			return si_err_set(err, SI_ERR_INTERNAL, "sigv4: snprintf failed");
		if (s_kv_add_str(&w->query, "X-Amz-Algorithm", SIGV4_ALGORITHM, err) ||
		    s_kv_add_str(&w->query, "X-Amz-Credential", w->tmp.data, err) ||
		    s_kv_add_str(&w->query, "X-Amz-Date", out->amz_date, err) ||
		    s_kv_add_str(&w->query, "X-Amz-Expires", num, err) ||
		    s_kv_add_str(&w->query, "X-Amz-SignedHeaders", w->signed_hdrs.data,
				 err))
			return -1;
		if (token && !params->omit_session_token &&
		    s_kv_add_str(&w->query, "X-Amz-Security-Token", token, err))
			return -1;
	}
	qsort(w->query.items, w->query.n, sizeof(w->query.items[0]), s_kv_cmp);
	return 0;
}

/* Turn the signature into what the caller sends: an Authorization header
 * plus X-Amz-Date (and the token) in header mode, or the final query string
 * in query mode. Assumes out->signature is set; on failure out holds only
 * what sigv4_result_free frees. */
static int s_finish(struct s_work *w, const struct sigv4_credentials *creds,
		    const struct sigv4_params *params, const char *token,
		    struct sigv4_result *out, struct si_err *err)
{
	struct si_buf b;

	si_buf_init(&b, SIGV4_MAX_CANONICAL);
	if (params->mode == SIGV4_MODE_HEADER) {
		if (si_buf_printf(&b, err,
				  SIGV4_ALGORITHM
				  " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
				  creds->access_key_id, w->scope.data,
				  w->signed_hdrs.data, out->signature) != 0)
			goto fail;
		out->authorization = si_buf_steal(&b);
		if (out->authorization == NULL)
			goto nomem;
		out->add[out->n_add++] = (struct sigv4_out_header){"X-Amz-Date", out->amz_date};
		if (token) {
			out->token_copy = strdup(token);
			if (out->token_copy == NULL)
				goto nomem;
			out->add[out->n_add++] = (struct sigv4_out_header){
				"X-Amz-Security-Token", out->token_copy};
		}
		if (params->sign_body)
			out->add[out->n_add++] = (struct sigv4_out_header){
				"x-amz-content-sha256", out->payload_hash};
		out->add[out->n_add++] = (struct sigv4_out_header){"Authorization",
								   out->authorization};
		return 0;
	}
	if (s_put_query(&b, &w->query, err) != 0 ||
	    si_buf_printf(&b, err, "%sX-Amz-Signature=%s", w->query.n ? "&" : "",
			  out->signature) != 0)
		goto fail;
	/* A token left out of the signature is still sent, after it. */
	if (token && params->omit_session_token &&
	    (si_buf_puts(&b, "&X-Amz-Security-Token=", err) != 0 ||
	     sigv4_uri_encode(&b, token, strlen(token), 0, err) != 0))
		goto fail;
	out->presigned_query = si_buf_steal(&b);
	if (out->presigned_query == NULL)
		goto nomem;
	return 0;
nomem:
	si_err_set(err, SI_ERR_NOMEM, "out of memory");
fail:
	si_buf_free(&b, 0);
	return -1;
}

/* The whole SigV4 pipeline (AWS IAM User Guide, "Create a signed AWS API
 * request"): canonical request, string to sign, derived key, signature.
 * Every intermediate lives in w so one out: label frees it all; the
 * canonical request and string to sign are returned for debugging and for
 * the aws-c-auth suite's comparisons. Assumes params->now is the caller's
 * clock (tests pin it). */
int sigv4_sign(const struct sigv4_request *req,
	       const struct sigv4_credentials *creds,
	       const struct sigv4_params *params, struct sigv4_result *out,
	       struct si_err *err)
{
	struct s_work w;
	unsigned char md[SIGV4_KEY_LEN];
	char hexhash[SIGV4_HEX_LEN];
	char date8[S_DATE_LEN + 1];
	const char *token;
	int rc = -1;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "sigv4: NULL result");
	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	si_buf_init(&w.creq, SIGV4_MAX_CANONICAL);
	si_buf_init(&w.signed_hdrs, SIGV4_MAX_CANONICAL);
	si_buf_init(&w.scope, SIGV4_MAX_CANONICAL);
	si_buf_init(&w.sts, SIGV4_MAX_CANONICAL);
	si_buf_init(&w.tmp, SIGV4_MAX_CANONICAL);
	if (s_check_inputs(req, creds, params, err) != 0 ||
	    s_check_name("region", params->region, err) != 0 ||
	    s_check_name("service", params->service, err) != 0 ||
	    sigv4_format_amz_date(params->now, out->amz_date, err) != 0)
		goto out;
	token = (creds->session_token && creds->session_token[0]) ?
			creds->session_token : NULL;
	memcpy(date8, out->amz_date, S_DATE_LEN);
	date8[S_DATE_LEN] = '\0';
	if (s_sha256(req->body ? req->body : "", req->body_len, md, err) != 0)
		goto out;
	si_hex_encode(md, sizeof(md), out->payload_hash);
	if (si_buf_printf(&w.scope, err, "%s/%s/%s/" S_TERMINATOR, date8,
			  params->region, params->service) != 0)
		goto out;

	/* Headers first: query mode needs SignedHeaders among the params. */
	if (s_build_headers(&w, req, params, token, out, err) != 0 ||
	    si_buf_puts(&w.signed_hdrs, "", err) != 0)
		goto out;
	if (s_put_headers(&w.hdrs, &w.tmp, &w.signed_hdrs, err) != 0 ||
	    s_build_query(&w, req, creds, params, token, out, err) != 0)
		goto out;

	/* CanonicalRequest = Method \n URI \n Query \n Headers \n
	 *                    SignedHeaders \n HashedPayload */
	if (si_buf_printf(&w.creq, err, "%s\n", req->method) != 0 ||
	    s_canon_path(req->path, params->normalize_path, &w.creq, err) != 0 ||
	    si_buf_puts(&w.creq, "\n", err) != 0 ||
	    s_put_query(&w.creq, &w.query, err) != 0 ||
	    si_buf_puts(&w.creq, "\n", err) != 0)
		goto out;
	/* w.tmp was reused by s_build_query in query mode; rebuild headers. */
	si_buf_reset(&w.tmp);
	si_buf_reset(&w.signed_hdrs);
	if (s_put_headers(&w.hdrs, &w.tmp, &w.signed_hdrs, err) != 0 ||
	    si_buf_printf(&w.creq, err, "%s\n%s\n%s", w.tmp.data,
			  w.signed_hdrs.data, out->payload_hash) != 0)
		goto out;

	/* StringToSign = Algorithm \n AmzDate \n Scope \n hex(SHA256(creq)) */
	if (s_sha256(w.creq.data, w.creq.len, md, err) != 0)
		goto out;
	si_hex_encode(md, sizeof(md), hexhash);
	if (si_buf_printf(&w.sts, err, SIGV4_ALGORITHM "\n%s\n%s\n%s",
			  out->amz_date, w.scope.data, hexhash) != 0)
		goto out;
	if (sigv4_derive_key(params->cache, creds->secret_access_key, date8,
			     params->region, params->service, w.key, err) != 0 ||
	    s_hmac(w.key, sizeof(w.key), w.sts.data, w.sts.len, md, err) != 0)
		goto out;
	si_hex_encode(md, sizeof(md), out->signature);
	if (s_finish(&w, creds, params, token, out, err) != 0)
		goto out;
	out->canonical_request = si_buf_steal(&w.creq);
	out->string_to_sign = si_buf_steal(&w.sts);
	if (out->canonical_request == NULL || out->string_to_sign == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(w.key, sizeof(w.key));
	s_hdrlist_free(&w.hdrs);
	s_kvlist_free(&w.query);
	si_buf_free(&w.creq, 0);
	si_buf_free(&w.signed_hdrs, 0);
	si_buf_free(&w.scope, 0);
	si_buf_free(&w.sts, 0);
	si_buf_free(&w.tmp, 0);
	if (rc != 0)
		sigv4_result_free(out);
	return rc;
}
