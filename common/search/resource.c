#include "search/resource.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void s_kv_free(struct res_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void s_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void res_clear(struct res_resource *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->arn);
	free(r->name);
	free(r->state);
	free(r->created);
	free(r->hop);
	s_kv_free(r->fields, r->n_fields);
	s_strv_free(r->addrs, r->n_addrs);
	s_strv_free(r->dns, r->n_dns);
	s_kv_free(r->tags, r->n_tags);
	for (size_t i = 0; i < r->n_rels; i++) {
		free(r->rels[i].kind);
		free(r->rels[i].type);
		free(r->rels[i].id);
		free(r->rels[i].detail);
		free(r->rels[i].name);
	}
	free(r->rels);
	memset(r, 0, sizeof(*r));
}

static int s_dup(const char *s, char **out, struct si_err *err)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

int res_set(char **slot, const char *value, struct si_err *err)
{
	char *v = NULL;

	if (value != NULL && value[0] != '\0' && s_dup(value, &v, err) != 0)
		return -1;
	free(*slot);
	*slot = v;
	return 0;
}

/* Make room for one more element of size sz in *v (holding *n, at most
 * max). Arrays grow by doubling from 4. */
static int s_grow(void **v, size_t n, size_t sz, size_t max, const char *what,
		  struct si_err *err)
{
	void *p;

	if (n >= max)
		return si_err_set(err, SI_ERR_LIMIT, "more than %zu %s in one resource", max,
				  what);
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;       /* capacity is 4, then the next power of two */
	p = realloc(*v, (n < 4 ? 4 : n * 2) * sz);
	if (p == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	*v = p;
	return 0;
}

static int s_add_kv(struct res_kv **v, size_t *n, size_t max, const char *what,
		    const char *key, const char *value, struct si_err *err)
{
	struct res_kv kv = { NULL, NULL };

	if (s_grow((void **)v, *n, sizeof(**v), max, what, err) != 0)
		return -1;
	if (s_dup(key, &kv.key, err) != 0 || s_dup(value, &kv.value, err) != 0) {
		free(kv.key);
		return -1;
	}
	(*v)[(*n)++] = kv;
	return 0;
}

int res_add_field(struct res_resource *r, const char *label, const char *value,
		  struct si_err *err)
{
	if (label == NULL || value == NULL || value[0] == '\0')
		return 0;
	return s_add_kv(&r->fields, &r->n_fields, RES_MAX_FIELDS, "fields", label, value, err);
}

int res_add_tag(struct res_resource *r, const char *key, const char *value, struct si_err *err)
{
	if (key == NULL)
		return 0;
	return s_add_kv(&r->tags, &r->n_tags, RES_MAX_TAGS, "tags", key,
			value != NULL ? value : "", err);
}

static int s_add_str(char ***v, size_t *n, size_t max, const char *what, const char *s,
		     struct si_err *err)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	if (s_grow((void **)v, *n, sizeof(**v), max, what, err) != 0)
		return -1;
	if (s_dup(s, &d, err) != 0)
		return -1;
	(*v)[(*n)++] = d;
	return 0;
}

int res_add_addr(struct res_resource *r, const char *addr, struct si_err *err)
{
	return s_add_str(&r->addrs, &r->n_addrs, RES_MAX_ADDRS, "addresses", addr, err);
}

int res_add_dns(struct res_resource *r, const char *name, struct si_err *err)
{
	return s_add_str(&r->dns, &r->n_dns, RES_MAX_DNS, "DNS names", name, err);
}

int res_add_rel(struct res_resource *r, const char *kind, const char *type, const char *id,
		const char *detail, struct si_err *err)
{
	struct res_rel rel;

	if (kind == NULL || id == NULL || id[0] == '\0')
		return 0;
	memset(&rel, 0, sizeof(rel));
	if (s_grow((void **)&r->rels, r->n_rels, sizeof(*r->rels), RES_MAX_RELS, "relations",
		   err) != 0)
		return -1;
	if (s_dup(kind, &rel.kind, err) != 0 || s_dup(type, &rel.type, err) != 0 ||
	    s_dup(id, &rel.id, err) != 0 || s_dup(detail, &rel.detail, err) != 0) {
		free(rel.kind);
		free(rel.type);
		free(rel.id);
		return -1;
	}
	r->rels[r->n_rels++] = rel;
	return 0;
}

const char *res_field(const struct res_resource *r, const char *label)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (strcmp(r->fields[i].key, label) == 0)
			return r->fields[i].value;
	return NULL;
}

const char *res_tag(const struct res_resource *r, const char *key)
{
	for (size_t i = 0; i < r->n_tags; i++)
		if (strcmp(r->tags[i].key, key) == 0)
			return r->tags[i].value;
	return NULL;
}

int res_name_matches(const struct res_resource *r, const char *needle_lc)
{
	return r->name != NULL && needle_lc != NULL && strcasestr(r->name, needle_lc) != NULL;
}
