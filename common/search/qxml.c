/*
 * qxml.c - the helpers the resource-type modules share (see
 * search/private/qxml.h).
 */
#include "search/private/qxml.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/strutil.h"

static const char s_ellipsis[] = ", \xe2\x80\xa6";

/* Tags: AWS allows 50 per resource in every service here. */
#define S_MAX_TAGS RES_MAX_TAGS

const struct qx_tag_shape qx_tags_ec2 = { "tagSet", "item", "key", "value", S_MAX_TAGS };
const struct qx_tag_shape qx_tags_member = { "Tags", "member", "Key", "Value", S_MAX_TAGS };
const struct qx_tag_shape qx_tags_rds = { "TagList", "Tag", "Key", "Value", S_MAX_TAGS };

/* ---- one answer's items --------------------------------------------------- */

int qx_count(const xmlNode *list, const char *item, size_t max, const char *what, size_t *n,
	     struct si_err *err)
{
	*n = 0;
	if (list == NULL)
		return 0;
	if (aws_xml_count(list, item, (size_t)-1, n, err) != 0)
		return -1;
	if (*n <= max)
		return 0;
	if (what != NULL)
		return si_err_set(err, SI_ERR_LIMIT, "more than %zu %s in one answer", max, what);
	return si_err_set(err, SI_ERR_LIMIT, "more than %zu <%s> in one answer", max, item);
}

/*
 * Why the count comes first: a hostile answer of a million items must be
 * refused before any becomes a resource or a follow-up call. The result
 * element is required where the service writes one (an answer without it
 * is not this call's), the list is not (an empty list may be left out).
 */
int qx_walk(struct rt_answer *a, const char *body, size_t len, const struct qx_list *l,
	    qx_item_fn fn, void *ctx, struct si_err *err)
{
	const xmlNode *root, *res, *list;
	xmlDocPtr doc = aws_xml_read(body, len, l->root, &root, err);
	char *token = NULL;
	size_t n;
	int rc = -1, stop = 0;

	if (doc == NULL)
		return -1;
	res = l->result != NULL ? aws_xml_child(root, l->result) : root;
	if (res == NULL) {
		si_err_set(err, SI_ERR_INVALID, "<%s> without <%s>", l->root, l->result);
		goto out;
	}
	list = aws_xml_child(res, l->list);
	if (qx_count(list, l->item, l->max, l->list, &n, err) != 0)
		goto out;
	for (const xmlNode *m = aws_xml_child(list, l->item); m != NULL && !stop;
	     m = aws_xml_next(m, l->item)) {
		int k = fn(a, m, ctx, err);

		if (k < 0)
			goto out;
		stop = k > 0;
	}
	if (!stop && l->token != NULL) {
		if (qx_text(res, l->token, &token, err) != 0)
			goto out;
		if (rt_next_page(a, token) != 0) {
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(token);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- one element's text into a resource ----------------------------------- */

int qx_text(const xmlNode *n, const char *path, char **out, struct si_err *err)
{
	*out = NULL;
	return path != NULL ? aws_xml_child_text(n, path, out, err) : aws_xml_text(n, out, err);
}

int qx_set(char **slot, const xmlNode *n, const char *path, struct si_err *err)
{
	char *v;

	if (qx_text(n, path, &v, err) != 0)
		return -1;
	free(*slot);
	*slot = v;
	return 0;
}

int qx_ident(struct res_resource *r, const xmlNode *n, const struct qx_ident *p,
	     struct si_err *err)
{
	const struct {
		const char *path;
		char **slot;
	} f[] = {
		{ p->id, &r->id }, { p->name, &r->name }, { p->arn, &r->arn },
		{ p->state, &r->state }, { p->created, &r->created },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].path != NULL && qx_set(f[i].slot, n, f[i].path, err) != 0)
			return -1;
	return 0;
}

int qx_field(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
	     struct si_err *err)
{
	char *v;
	int rc;

	if (qx_text(n, path, &v, err) != 0)
		return -1;
	rc = res_add_field(r, label, v, err);
	free(v);
	return rc;
}

int qx_flag(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
	    struct si_err *err)
{
	char *v;
	const char *shown;
	int rc;

	if (qx_text(n, path, &v, err) != 0)
		return -1;
	shown = v == NULL ? NULL : strcmp(v, "true") == 0 ? "yes"
				  : strcmp(v, "false") == 0 ? "no" : v;
	rc = res_add_field(r, label, shown, err);
	free(v);
	return rc;
}

int qx_field_unit(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
		  const char *suffix, struct si_err *err)
{
	struct si_buf b;
	char *v;
	int rc;

	if (qx_text(n, path, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	si_buf_init(&b, 0);
	rc = si_buf_printf(&b, err, "%s%s", v, suffix);
	if (rc == 0)
		rc = res_add_field(r, label, b.data, err);
	si_buf_free(&b, 0);
	free(v);
	return rc;
}

/* The text at path under n handed to add (res_add_addr, res_add_dns). */
static int s_add_text(struct res_resource *r, const xmlNode *n, const char *path,
		      int (*add)(struct res_resource *, const char *, struct si_err *),
		      struct si_err *err)
{
	char *v;
	int rc;

	if (qx_text(n, path, &v, err) != 0)
		return -1;
	rc = add(r, v, err);
	free(v);
	return rc;
}

int qx_addr(struct res_resource *r, const xmlNode *n, const char *path, struct si_err *err)
{
	return s_add_text(r, n, path, res_add_addr, err);
}

int qx_dns(struct res_resource *r, const xmlNode *n, const char *path, struct si_err *err)
{
	return s_add_text(r, n, path, res_add_dns, err);
}

int qx_rel(struct res_resource *r, const char *kind, const char *type, const xmlNode *n,
	   const char *id_path, const char *detail_path, struct si_err *err)
{
	char *id = NULL, *detail = NULL;
	int rc = -1;

	if (qx_text(n, id_path, &id, err) == 0 &&
	    (detail_path == NULL || qx_text(n, detail_path, &detail, err) == 0))
		rc = res_add_rel(r, kind, type, id, detail, err);
	free(id);
	free(detail);
	return rc;
}

/* ---- one list's items into a resource -------------------------------------- */

int qx_rels(struct res_resource *r, const char *kind, const char *type, const xmlNode *list,
	    const char *item, const char *id_sub, const char *detail_sub, size_t max,
	    struct si_err *err)
{
	size_t n;

	if (qx_count(list, item, max, kind, &n, err) != 0)
		return -1;
	for (const xmlNode *m = aws_xml_child(list, item); m != NULL; m = aws_xml_next(m, item))
		if (qx_rel(r, kind, type, m, id_sub, detail_sub, err) != 0)
			return -1;
	return 0;
}

int qx_dns_all(struct res_resource *r, const xmlNode *list, const char *item, const char *sub,
	       size_t max, struct si_err *err)
{
	size_t n;

	if (qx_count(list, item, max, "DNS names", &n, err) != 0)
		return -1;
	for (const xmlNode *m = aws_xml_child(list, item); m != NULL; m = aws_xml_next(m, item))
		if (qx_dns(r, m, sub, err) != 0)
			return -1;
	return 0;
}

void qx_joined_init(struct qx_joined *j)
{
	j->text[0] = '\0';
	j->used = 0;
	j->full = 0;
}

int qx_joined_add(struct qx_joined *j, const char *s)
{
	size_t room;
	int w;

	if (j->full)
		return -1;
	if (s == NULL || s[0] == '\0')
		return 0;
	/* What may be written before the ellipsis still has to fit. */
	room = sizeof(j->text) - sizeof(s_ellipsis) - j->used;
	w = snprintf(j->text + j->used, room, "%s%s", j->used ? ", " : "", s);
	if (w < 0 || (size_t)w >= room) {
		size_t skip = j->used ? 0 : SI_LITLEN(", ");

		memcpy(j->text + j->used, s_ellipsis + skip, sizeof(s_ellipsis) - skip);
		j->full = 1;
		return -1;
	}
	j->used += (size_t)w;
	return 0;
}

int qx_join(struct res_resource *r, const char *label, const xmlNode *list, const char *item,
	    const char *sub, size_t max, struct si_err *err)
{
	struct qx_joined j;
	size_t n;

	qx_joined_init(&j);
	if (qx_count(list, item, max, label, &n, err) != 0)
		return -1;
	for (const xmlNode *m = aws_xml_child(list, item); m != NULL && !j.full;
	     m = aws_xml_next(m, item)) {
		char *v;

		if (qx_text(m, sub, &v, err) != 0)
			return -1;
		(void)qx_joined_add(&j, v);
		free(v);
	}
	return res_add_field(r, label, j.text, err);
}

int qx_tags(struct res_resource *r, const xmlNode *n, const struct qx_tag_shape *s,
	    struct si_err *err)
{
	const xmlNode *list = aws_xml_child(n, s->list);
	size_t k;

	if (qx_count(list, s->item, s->max, "tags", &k, err) != 0)
		return -1;
	for (const xmlNode *t = aws_xml_child(list, s->item); t != NULL;
	     t = aws_xml_next(t, s->item)) {
		char *key = NULL, *value = NULL;
		int rc = -1;

		if (qx_text(t, s->key, &key, err) == 0 && qx_text(t, s->value, &value, err) == 0)
			rc = res_add_tag(r, key, value, err);
		free(key);
		free(value);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- around an answer -------------------------------------------------------- */

int qx_in_target(const struct search_term *t, const char *region, const char *account_id)
{
	if (t->region != NULL && t->region[0] != '\0' &&
	    (region == NULL || strcmp(t->region, region) != 0))
		return 0;
	return t->account_id == NULL || t->account_id[0] == '\0' || account_id == NULL ||
	       account_id[0] == '\0' || strcmp(t->account_id, account_id) == 0;
}

const char *qx_param(const struct rt_answer *a, const char *name)
{
	for (size_t i = 0; i < a->n_params; i++)
		if (strcmp(a->params[i].name, name) == 0)
			return a->params[i].value;
	return NULL;
}

/* Name every "instance" relation of r that points at instance id. */
static int s_name_rels(struct res_resource *r, const char *id, const char *name,
		       struct si_err *err)
{
	for (size_t k = 0; k < r->n_rels; k++) {
		struct res_rel *rel = &r->rels[k];

		if (rel->type != NULL && strcmp(rel->type, "instance") == 0 &&
		    strcmp(rel->id, id) == 0 && res_set(&rel->name, name, err) != 0)
			return -1;
	}
	return 0;
}

int qx_name_instances(struct rt_answer *a, const char *body, size_t len, struct si_err *err)
{
	struct ec2_instance_list l;
	struct res_resource *r;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	if (aws_xml_parse_describe_instances(body, len, &l, err) != 0)
		return -1;
	r = rt_resource(a, a->parent);
	for (size_t i = 0; r != NULL && i < l.n && rc == 0; i++) {
		const struct ec2_instance *in = &l.items[i];
		const char *name = ec2_tag_get(in->tags, in->n_tags, "Name");

		if (in->instance_id != NULL && name != NULL)
			rc = s_name_rels(r, in->instance_id, name, err);
	}
	ec2_instance_list_free(&l);
	return rc;
}

/* id percent-encoded by libcurl into b; with QX_URL_ARN each part between
 * ':' and '/' separately, the separators kept. */
static int s_escape(struct si_buf *b, const char *id, unsigned flags)
{
	const char *seps = (flags & QX_URL_ARN) ? ":/" : "";

	while (*id != '\0') {
		size_t k = strcspn(id, seps);
		char *e;
		int rc;

		/* length 0 would make curl_easy_escape measure the rest */
		if (k > 0) {
			if (k > (size_t)INT_MAX)
				return -1;
			e = curl_easy_escape(NULL, id, (int)k);
			if (e == NULL)
				return -1;
			rc = si_buf_puts(b, e, NULL);
			curl_free(e);
			if (rc != 0)
				return -1;
		}
		id += k;
		if (*id != '\0' && si_buf_append(b, id++, 1, NULL) != 0)
			return -1;
	}
	return 0;
}

void qx_console_url(char *out, size_t n, const char *region, const char *console,
		    const char *page, const char *id, const char *after, unsigned flags)
{
	struct si_buf b;
	int w;

	if (n == 0)
		return;
	out[0] = '\0';
	if (region == NULL || region[0] == '\0')
		return;
	si_buf_init(&b, n);
	if (id != NULL && s_escape(&b, id, flags) != 0)
		goto out;
	w = snprintf(out, n, "https://%s.console.aws.amazon.com/%s/home?region=%s#%s%s%s", region,
		     console, region, page, b.data != NULL ? b.data : "",
		     after != NULL ? after : "");
	if (w < 0 || (size_t)w >= n)
		out[0] = '\0';
out:
	si_buf_free(&b, 0);
}
