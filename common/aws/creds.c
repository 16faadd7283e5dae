/*
 * creds.c - the provider interface, the environment provider, the chain
 * and the cache, and the small helpers every provider shares. The file
 * sources live in creds_file.c, the HTTP ones in creds_http.c, the STS
 * ones in creds_sts.c and credential_process in creds_process.c.
 */
#include "aws/creds.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws/private/creds.h"
#include "util/file.h"
#include "util/iso8601.h"
#include "util/strutil.h"

/* AWS access key ids are 16-128 characters, secrets 40, session tokens
 * well under 4 KiB today; 8 KiB refuses garbage without refusing growth. */
#define S_MAX_CRED_LEN 8192
/* The default chain has eight links; custom chains stay small. */
#define S_MAX_CHAIN 16
/* The links of the default chain. */
#define S_DEFAULT_LINKS 8

struct aws_creds_provider {
	const struct aws_creds_provider_vtable *vt;
	void *impl;
};

/* ---- struct aws_creds ------------------------------------------------- */

void aws_creds_clear(struct aws_creds *c)
{
	if (c == NULL)
		return;
	/* The access key id is not secret but identifies the principal;
	 * wiping it too costs nothing. */
	si_secret_free(c->access_key_id);
	si_secret_free(c->secret_access_key);
	si_secret_free(c->session_token);
	OPENSSL_cleanse(c, sizeof(*c));
	memset(c, 0, sizeof(*c));
}

/* The one way credentials enter a struct aws_creds: every provider calls it,
 * so the size limits and the "wipe what we held" rule live in one place.
 * Clears *out first (wiping the old secrets); on failure *out is left
 * cleared, never half-filled. source is a short provider name and is copied,
 * refused rather than truncated when too long. */
int aws_creds_set(struct aws_creds *out, const char *access_key_id, const char *secret_access_key,
		  const char *session_token, time_t expiration, const char *source,
		  struct si_err *err)
{
	int n;

	aws_creds_clear(out);
	if (access_key_id == NULL || access_key_id[0] == '\0' || secret_access_key == NULL ||
	    secret_access_key[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID,
				  "access key id or secret access key missing");
	if (strnlen(access_key_id, S_MAX_CRED_LEN + 1) > S_MAX_CRED_LEN ||
	    strnlen(secret_access_key, S_MAX_CRED_LEN + 1) > S_MAX_CRED_LEN ||
	    (session_token != NULL && strnlen(session_token, S_MAX_CRED_LEN + 1) > S_MAX_CRED_LEN))
		return si_err_set(err, SI_ERR_LIMIT, "credential longer than %d bytes",
				  S_MAX_CRED_LEN);
	out->access_key_id = si_strndup(access_key_id, S_MAX_CRED_LEN);
	out->secret_access_key = si_strndup(secret_access_key, S_MAX_CRED_LEN);
	if (session_token != NULL && session_token[0] != '\0')
		out->session_token = si_strndup(session_token, S_MAX_CRED_LEN);
	if (out->access_key_id == NULL || out->secret_access_key == NULL ||
	    (session_token != NULL && session_token[0] != '\0' && out->session_token == NULL)) {
		aws_creds_clear(out);
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	out->expiration = expiration;
	n = snprintf(out->source, sizeof(out->source), "%s", source != NULL ? source : "");
	if (n < 0 || (size_t)n >= sizeof(out->source)) {
		aws_creds_clear(out);
		return si_err_set(err, SI_ERR_INTERNAL, "credential source name too long");
	}
	return 0;
}

int aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src, struct si_err *err)
{
	return aws_creds_set(dst, src->access_key_id, src->secret_access_key, src->session_token,
			     src->expiration, src->source, err);
}

const char *aws_creds_env_get(char *const *envp, const char *name)
{
	return si_env_get(envp, name);
}

/* AWS writes credential expiry in UTC ("2026-11-24T12:00:00Z", sometimes with
 * a fraction or "+00:00"); any other zone would mean a peer we do not
 * understand, so the UTC-only form of the one parser is used. A garbled
 * answer is an error rather than a credential that "expires" in 1970. */
int aws_creds_parse_time(const char *s, time_t *out, struct si_err *err)
{
	if (s == NULL)
		return si_err_set(err, SI_ERR_INVALID, "bad ISO 8601 time");
	return si_iso8601_parse_utc(s, strlen(s), out, err);
}

/* Why one reader: the shared credentials file, the container authorization
 * token and the web identity token are all small files named by the
 * environment that hold secrets; one loop gets the rules right once
 * (regular files only, a cap, EINTR, the chunk wiped). */
int aws_creds_read_file(const char *path, const char *what, struct si_buf *b,
			struct si_err *err)
{
	char chunk[4096];
	char ebuf[SI_STRERROR_MAX];
	ssize_t r;
	int fd, rc = -1;

	fd = si_open_regular(path, NULL);
	if (fd == SI_OPEN_NOT_REGULAR)
		return si_err_set(err, SI_ERR_IO, "%s: not a regular file", what);
	if (fd < 0)
		return si_err_set(err, errno == ENOENT ? SI_ERR_NOTFOUND : SI_ERR_IO, "%s: %s",
				  what, si_strerror(errno, ebuf, sizeof(ebuf)));
	/* Bounded by the cap even if the file grows while it is read. */
	for (size_t guard = 0; guard < b->max / sizeof(chunk) + 2; guard++) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			si_err_set(err, SI_ERR_IO, "%s: %s", what,
				   si_strerror(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		if (r == 0) {
			rc = 0;
			goto out;
		}
		if (si_buf_append(b, chunk, (size_t)r, err) != 0) {
			if (err != NULL && err->code == SI_ERR_LIMIT)
				si_err_set(err, SI_ERR_LIMIT, "%s: larger than %zu bytes", what,
					   b->max);
			goto out;
		}
	}
	si_err_set(err, SI_ERR_LIMIT, "%s: larger than %zu bytes", what, b->max);
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	return rc;
}

void aws_creds_json_wipe(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o != NULL && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		OPENSSL_cleanse((char *)json_object_get_string(v),
				(size_t)json_object_get_string_len(v));
}

char **aws_creds_envp_dup(char *const *envp, struct si_err *err)
{
	size_t n = 0;
	char **out;

	while (envp != NULL && n < SI_ENV_MAX && envp[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (out == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(envp[i]);
		if (out[i] == NULL) {
			aws_creds_envp_free(out);
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			return NULL;
		}
	}
	return out;
}

void aws_creds_envp_free(char **envp)
{
	for (size_t i = 0; envp != NULL && i < SI_ENV_MAX && envp[i] != NULL; i++)
		si_secret_free(envp[i]);
	free(envp);
}

/* ---- the provider object ------------------------------------------------ */

struct aws_creds_provider *aws_creds_provider_new(const struct aws_creds_provider_vtable *vt,
						  void *impl, struct si_err *err)
{
	struct aws_creds_provider *p;

	if (vt == NULL || vt->get == NULL) {
		si_err_set(err, SI_ERR_INVALID, "credentials provider without get");
		goto fail;
	}
	p = si_zalloc(sizeof(*p), err);
	if (p == NULL)
		goto fail;
	p->vt = vt;
	p->impl = impl;
	return p;
fail:
	if (vt != NULL && vt->destroy != NULL && impl != NULL)
		vt->destroy(impl);
	return NULL;
}

int aws_creds_provider_get(struct aws_creds_provider *p, time_t now, struct aws_creds *out,
			   struct si_err *err)
{
	int rc;

	aws_creds_clear(out);
	if (p == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no credentials provider");
	rc = p->vt->get(p->impl, now, out, err);
	if (rc != 0)
		aws_creds_clear(out);
	return rc;
}

void aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (p == NULL)
		return;
	if (p->vt->destroy != NULL)
		p->vt->destroy(p->impl);
	free(p);
}

/* ---- environment -------------------------------------------------------- */

struct s_env {
	struct aws_creds creds;   /* access_key_id NULL when not configured */
	enum si_err_code code;    /* why get fails when not configured */
	char why[96];             /* non-secret reason when not configured */
};

static int s_env_get_creds(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_env *e = impl;

	(void)now;
	if (e->creds.access_key_id == NULL)
		return si_err_set(err, e->code, "%s", e->why);
	return aws_creds_copy(out, &e->creds, err);
}

static void s_env_destroy(void *impl)
{
	struct s_env *e = impl;

	if (e == NULL)
		return;
	aws_creds_clear(&e->creds);
	free(e);
}

static const struct aws_creds_provider_vtable s_env_vt = {s_env_get_creds, s_env_destroy};

static const char *s_nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

struct aws_creds_provider *aws_creds_provider_env_new(char *const *envp, struct si_err *err)
{
	struct s_env *e = si_zalloc(sizeof(*e), err);
	const char *akid = s_nonempty(aws_creds_env_get(envp, "AWS_ACCESS_KEY_ID"));
	const char *secret = s_nonempty(aws_creds_env_get(envp, "AWS_SECRET_ACCESS_KEY"));
	const char *token = s_nonempty(aws_creds_env_get(envp, "AWS_SESSION_TOKEN"));

	if (e == NULL)
		return NULL;
	/* Half a key pair is an operator mistake worth reporting as such
	 * (INVALID), not as "nothing here". The message names variables only. */
	e->code = akid == NULL && secret == NULL ? SI_ERR_NOTFOUND : SI_ERR_INVALID;
	if (akid == NULL && secret == NULL)
		(void)snprintf(e->why, sizeof(e->why), "AWS_ACCESS_KEY_ID not set");
	else if (akid == NULL)
		(void)snprintf(e->why, sizeof(e->why),
			       "AWS_SECRET_ACCESS_KEY set without AWS_ACCESS_KEY_ID");
	else if (secret == NULL)
		(void)snprintf(e->why, sizeof(e->why),
			       "AWS_ACCESS_KEY_ID set without AWS_SECRET_ACCESS_KEY");
	else if (aws_creds_set(&e->creds, akid, secret, token, 0, "env", err) != 0) {
		s_env_destroy(e);
		return NULL;
	}
	return aws_creds_provider_new(&s_env_vt, e, err);
}

/* ---- chain --------------------------------------------------------------- */

struct s_chain {
	struct aws_creds_provider *links[S_MAX_CHAIN];
	size_t n;
	atomic_int last;   /* index of the last provider that answered, -1 none */
};

/* Append "; what" to the summary, truncating quietly (the code is exact). */
static void s_summary_add(char *sum, size_t cap, size_t i, const struct si_err *e)
{
	size_t used = strlen(sum);
	int n;

	if (used + 1 >= cap)
		return;
	n = snprintf(sum + used, cap - used, "%s[%zu] %s", used ? "; " : "", i,
		     e->msg[0] ? e->msg : si_err_code_name(e->code));
	(void)n;   /* truncation is fine for a summary */
}

static int s_chain_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_chain *c = impl;
	struct si_err e;
	char sum[SI_ERR_MSG_MAX - 32];
	enum si_err_code code = SI_ERR_NOTFOUND;
	int last = atomic_load(&c->last);

	/* Ask the remembered winner first: env/profile answers are cheap but
	 * the walk to IMDS would cost a timeout per miss. */
	if (last >= 0 && (size_t)last < c->n) {
		si_err_clear(&e);
		if (aws_creds_provider_get(c->links[last], now, out, &e) == 0)
			return 0;
	}
	sum[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		si_err_clear(&e);
		if (aws_creds_provider_get(c->links[i], now, out, &e) == 0) {
			atomic_store(&c->last, (int)i);
			return 0;
		}
		if (e.code != SI_ERR_NOTFOUND && code == SI_ERR_NOTFOUND)
			code = e.code;
		s_summary_add(sum, sizeof(sum), i, &e);
	}
	atomic_store(&c->last, -1);
	return si_err_set(err, code, "no AWS credentials: %s", sum);
}

static void s_chain_destroy(void *impl)
{
	struct s_chain *c = impl;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		aws_creds_provider_free(c->links[i]);
	free(c);
}

static const struct aws_creds_provider_vtable s_chain_vt = {s_chain_get, s_chain_destroy};

struct aws_creds_provider *aws_creds_provider_chain_new(struct aws_creds_provider **providers,
							size_t n, struct si_err *err)
{
	struct s_chain *c = NULL;

	if (n == 0 || n > S_MAX_CHAIN) {
		si_err_set(err, SI_ERR_LIMIT, "credential chain needs 1..%d providers",
			   S_MAX_CHAIN);
		goto fail;
	}
	c = si_zalloc(sizeof(*c), err);
	if (c == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (providers[i] == NULL) {
			si_err_set(err, SI_ERR_INVALID, "credential chain link %zu is NULL", i);
			free(c);
			goto fail;
		}
		c->links[i] = providers[i];
	}
	c->n = n;
	atomic_init(&c->last, -1);
	return aws_creds_provider_new(&s_chain_vt, c, err);
fail:
	for (size_t i = 0; providers != NULL && i < n; i++)
		aws_creds_provider_free(providers[i]);
	return NULL;
}

/* Why this order: it is botocore's (create_credential_resolver), so an
 * environment means the same identity to this service and to the AWS CLI
 * an operator checks it with. Links are built in order and the first
 * failure frees the ones already made. */
struct aws_creds_provider *
aws_creds_provider_chain_default_new(char *const *envp, const struct aws_creds_http_opts *opts,
				     struct si_err *err)
{
	struct aws_creds_provider *p[S_DEFAULT_LINKS] = {NULL};
	size_t n = 0;

	if ((p[n++] = aws_creds_provider_env_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_assume_role_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_web_identity_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_profile_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_process_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_config_new(envp, err)) == NULL ||
	    (p[n++] = aws_creds_provider_container_new(envp, opts, err)) == NULL ||
	    (p[n++] = aws_creds_provider_imds_new(envp, opts, err)) == NULL)
		goto fail;
	return aws_creds_provider_chain_new(p, n, err);
fail:
	for (size_t i = 0; i < n; i++)
		aws_creds_provider_free(p[i]);
	return NULL;
}

/* ---- cache --------------------------------------------------------------- */

struct s_cached {
	struct aws_creds_provider *inner;
	int margin;
	pthread_mutex_t mu;
	struct aws_creds have;   /* access_key_id NULL when empty */
};

static int s_fresh(const struct aws_creds *c, time_t now, int margin)
{
	return c->access_key_id != NULL &&
	       (c->expiration == 0 || now < c->expiration - (time_t)margin);
}

/* The cache provider's get: serve the held credentials until they come
 * within margin of expiry, then ask the inner provider under the lock (one
 * refresh at a time, so a burst of searches does not stampede IMDS or STS).
 * Assumes now is the caller's clock, the same one expiration is compared in;
 * a failed refresh keeps serving credentials that have not yet expired. */
static int s_cached_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct s_cached *c = impl;
	struct aws_creds fresh;
	int rc = -1;

	memset(&fresh, 0, sizeof(fresh));
	if (pthread_mutex_lock(&c->mu) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "credential cache lock failed");
	if (s_fresh(&c->have, now, c->margin)) {
		rc = aws_creds_copy(out, &c->have, err);
		goto out;
	}
	if (aws_creds_provider_get(c->inner, now, &fresh, err) == 0) {
		aws_creds_clear(&c->have);
		c->have = fresh;   /* moved: fresh's strings now belong to have */
		memset(&fresh, 0, sizeof(fresh));
		rc = aws_creds_copy(out, &c->have, err);
		goto out;
	}
	/* Refresh failed: credentials inside the margin but not yet expired
	 * still work, and a metadata hiccup should not fail searches. */
	if (c->have.access_key_id != NULL && now < c->have.expiration) {
		si_err_clear(err);
		rc = aws_creds_copy(out, &c->have, err);
	}
out:
	(void)pthread_mutex_unlock(&c->mu);
	return rc;
}

static void s_cached_destroy(void *impl)
{
	struct s_cached *c = impl;

	if (c == NULL)
		return;
	aws_creds_provider_free(c->inner);
	aws_creds_clear(&c->have);
	(void)pthread_mutex_destroy(&c->mu);
	free(c);
}

static const struct aws_creds_provider_vtable s_cached_vt = {s_cached_get, s_cached_destroy};

struct aws_creds_provider *aws_creds_provider_cached_new(struct aws_creds_provider *inner,
							 int refresh_margin_s, struct si_err *err)
{
	struct s_cached *c;

	/* A margin beyond 12 h (the longest STS session) would refresh on
	 * every call; negative makes no sense. */
	if (inner == NULL || refresh_margin_s < 0 || refresh_margin_s > 43200) {
		aws_creds_provider_free(inner);
		si_err_set(err, SI_ERR_INVALID,
			   "credential cache needs a provider and a margin in 0..43200 s");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		aws_creds_provider_free(inner);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		aws_creds_provider_free(inner);
		si_err_set(err, SI_ERR_INTERNAL, "mutex init failed");
		return NULL;
	}
	c->inner = inner;
	c->margin = refresh_margin_s;
	return aws_creds_provider_new(&s_cached_vt, c, err);
}
