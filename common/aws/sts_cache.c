#include "aws/sts_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

struct s_entry {
	char *role_arn;
	char *external_id;          /* NULL when none */
	struct sts_credentials creds;
};

struct sts_cache {
	pthread_mutex_t lock;
	struct s_entry *entries;
	size_t n;
	size_t cap;
};

struct sts_cache *sts_cache_new(size_t capacity)
{
	struct sts_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->entries = calloc(capacity ? capacity : 1, sizeof(*c->entries));
	if (c->entries == NULL) {
		free(c);
		return NULL;
	}
	c->cap = capacity ? capacity : 1;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void sts_cache_free(struct sts_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].role_arn);
		free(c->entries[i].external_id);
		sts_credentials_clear(&c->entries[i].creds);
	}
	free(c->entries);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int s_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static struct s_entry *s_find(struct sts_cache *c, const char *role, const char *ext)
{
	for (size_t i = 0; i < c->n; i++)
		if (s_streq(c->entries[i].role_arn, role) &&
		    s_streq(c->entries[i].external_id, ext))
			return &c->entries[i];
	return NULL;
}

int sts_credentials_copy(struct sts_credentials *dst, const struct sts_credentials *src)
{
	sts_credentials_clear(dst);
	/* Any field may be NULL; only a failed copy of a present one fails. */
	dst->access_key_id = si_strdup_opt(src->access_key_id);
	dst->secret_access_key = si_strdup_opt(src->secret_access_key);
	dst->session_token = si_strdup_opt(src->session_token);
	dst->assumed_role_arn = si_strdup_opt(src->assumed_role_arn);
	dst->expiration = src->expiration;
	if ((src->access_key_id && !dst->access_key_id) ||
	    (src->secret_access_key && !dst->secret_access_key) ||
	    (src->session_token && !dst->session_token) ||
	    (src->assumed_role_arn && !dst->assumed_role_arn)) {
		sts_credentials_clear(dst);
		return -1;
	}
	return 0;
}

int sts_cache_get(struct sts_cache *c, const char *role_arn, const char *external_id,
		  time_t now, struct sts_credentials *out)
{
	struct s_entry *e;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	e = s_find(c, role_arn, external_id);
	if (e != NULL && e->creds.expiration - STS_CACHE_REFRESH_MARGIN_S > now)
		rc = sts_credentials_copy(out, &e->creds) == 0 ? 1 : -1;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* Why eviction by earliest expiry: the entry that expires first is the
 * one a caller would have to refresh soonest anyway. Assumes creds is a
 * complete set; the copy is made under the lock, so readers never see a
 * half-written entry. */
int sts_cache_put(struct sts_cache *c, const char *role_arn, const char *external_id,
		  const struct sts_credentials *creds, struct si_err *err)
{
	struct s_entry *e;
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	e = s_find(c, role_arn, external_id);
	if (e == NULL) {
		if (c->n == c->cap) {
			/* Full: evict the entry that expires first; it is the one
			 * most likely to need a refresh anyway. */
			size_t victim = 0;
			for (size_t i = 1; i < c->n; i++)
				if (c->entries[i].creds.expiration <
				    c->entries[victim].creds.expiration)
					victim = i;
			e = &c->entries[victim];
			free(e->role_arn);
			free(e->external_id);
			sts_credentials_clear(&e->creds);
		} else {
			e = &c->entries[c->n++];
		}
		e->role_arn = si_strdup_opt(role_arn);
		e->external_id = si_strdup_opt(external_id);
		if (e->role_arn == NULL || (external_id != NULL && e->external_id == NULL)) {
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (sts_credentials_copy(&e->creds, creds) != 0) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void sts_cache_drop(struct sts_cache *c, const char *role_arn, const char *external_id)
{
	struct s_entry *e;

	pthread_mutex_lock(&c->lock);
	e = s_find(c, role_arn, external_id);
	if (e != NULL)
		e->creds.expiration = 0;
	pthread_mutex_unlock(&c->lock);
}
