/*
 * rt_testlib.c - test helper: see rt_testlib.h.
 */
#include "rt_testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct fixture_blob rtt_sample(const char *name)
{
	return fixture_shared("aws-xml", name);
}

struct json_object *rtt_sample_json(const char *name)
{
	struct fixture_blob b = rtt_sample(name);
	struct json_object *j = fixture_json(&b, name);

	free(b.data);
	return j;
}

char *rtt_subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *out;

	if (at == NULL)
		fail_msg("no \"%s\" to replace", from);
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

const char *rtt_jstr(struct json_object *o, const char *key)
{
	struct json_object *v = fixture_get(o, key);

	if (v == NULL)
		fail_msg("no member %s", key);
	return json_object_get_string(v);
}

int rtt_replay(const struct rt_type *t, const struct rt_collected *q,
	       const struct search_term *term, const char *region, const char *account,
	       const char *body, size_t len, struct rt_collect *out, struct si_err *err)
{
	struct aws_query_param p[RT_MAX_PARAMS];
	int step = q->step;
	size_t parent = q->parent, n = q->n_params;

	assert_true(n <= RT_MAX_PARAMS);
	for (size_t i = 0; i < n; i++)
		p[i] = (struct aws_query_param){ q->names[i], q->values[i] };
	return rt_collect_answer(t, step, parent, term, region, account, p, n, body, len, out,
				 err);
}

const struct res_resource *rtt_res_at(const struct rt_collect *c, size_t i)
{
	assert_true(i < c->result.n_matches);
	assert_int_equal(c->result.matches[i].kind, SEARCH_MATCH_RESOURCE);
	return &c->result.matches[i].res;
}

const struct res_resource *rtt_res(const struct rt_collect *c, const char *id)
{
	for (size_t i = 0; i < c->result.n_matches; i++) {
		const struct search_match *m = &c->result.matches[i];

		if (m->kind == SEARCH_MATCH_RESOURCE && m->res.id != NULL &&
		    strcmp(m->res.id, id) == 0)
			return &m->res;
	}
	fail_msg("no resource %s among %zu", id, c->result.n_matches);
	return NULL;
}

void rtt_expect(const char *what, const char *field, const char *want, const char *got)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0)
		fail_msg("%s: %s: expected %s%s%s, got %s%s%s", what, field,
			 want ? "\"" : "", want ? want : "(none)", want ? "\"" : "",
			 got ? "\"" : "", got ? got : "(none)", got ? "\"" : "");
}

void rtt_field_is(const struct res_resource *r, const char *label, const char *want)
{
	rtt_expect(r->id != NULL ? r->id : "resource", label, want, res_field(r, label));
}

static int s_in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

int rtt_has_addr(const struct res_resource *r, const char *addr)
{
	return s_in(r->addrs, r->n_addrs, addr);
}

int rtt_has_dns(const struct res_resource *r, const char *name)
{
	return s_in(r->dns, r->n_dns, name);
}

/* The first relation kind to id of r (with detail unless NULL), or NULL. */
static const struct res_rel *s_find_rel(const struct res_resource *r, const char *kind,
					const char *id, const char *detail)
{
	for (size_t i = 0; i < r->n_rels; i++) {
		const struct res_rel *x = &r->rels[i];

		if (strcmp(x->kind, kind) == 0 && strcmp(x->id, id) == 0 &&
		    (detail == NULL || (x->detail != NULL && strcmp(x->detail, detail) == 0)))
			return x;
	}
	return NULL;
}

int rtt_has_rel(const struct res_resource *r, const char *kind, const char *id,
		const char *detail)
{
	return s_find_rel(r, kind, id, detail) != NULL;
}

const struct res_rel *rtt_rel(const struct res_resource *r, const char *kind, const char *id)
{
	const struct res_rel *x = s_find_rel(r, kind, id, NULL);

	if (x == NULL)
		fail_msg("%s: no relation \"%s\" %s", r->id, kind, id);
	return x;
}
