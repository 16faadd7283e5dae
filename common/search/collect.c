#include "search/collect.h"

#include <stdlib.h>
#include <string.h>

#include "search/private/sink.h"
#include "util/strutil.h"

struct s_ctx {
	struct rt_sink sink;
	struct rt_collect *c;
	const char *region;
	const char *account_id;
	int oom;
};

/* Why a deep copy: a module's request only borrows its strings (often its
 * own stack buffers), and the tests read the requests after the plan or
 * answer returned. */
static int s_copy_req(struct s_ctx *x, const struct rt_request *rq)
{
	struct rt_collect *c = x->c;
	struct rt_collected *r;
	void *p = realloc(c->reqs, (c->n_reqs + 1) * sizeof(*c->reqs));

	if (p == NULL)
		return -1;
	c->reqs = p;
	r = &c->reqs[c->n_reqs];
	memset(r, 0, sizeof(*r));
	r->proto = (int)rq->proto;
	r->global = rq->global;
	r->step = rq->step;
	r->parent = rq->parent;
	r->names = calloc(rq->n_params ? rq->n_params : 1, sizeof(char *));
	r->values = calloc(rq->n_params ? rq->n_params : 1, sizeof(char *));
	c->n_reqs++;        /* counted now so rt_collect_free frees it */
	if (r->names == NULL || r->values == NULL)
		return -1;
	r->service = si_strdup_opt(rq->service);
	r->action = si_strdup_opt(rq->action);
	r->version = si_strdup_opt(rq->version);
	r->path = si_strdup_opt(rq->path);
	r->page_param = si_strdup_opt(rq->page_param);
	for (size_t i = 0; i < rq->n_params; i++) {
		r->names[i] = strdup(rq->params[i].name);
		r->values[i] = strdup(rq->params[i].value);
		r->n_params++;
		if (r->names[i] == NULL || r->values[i] == NULL)
			return -1;
	}
	return 0;
}

static int s_plan_request(struct rt_plan *p, const struct rt_request *rq)
{
	return s_copy_req(p->priv, rq);
}

static struct res_resource *s_new_resource(struct rt_answer *a, const struct rt_type *t,
					   size_t *index)
{
	struct s_ctx *x = a->priv;
	struct search_result *res = &x->c->result;
	struct search_match *m;
	void *p = realloc(res->matches, (res->n_matches + 1) * sizeof(*res->matches));

	if (p == NULL)
		return NULL;
	res->matches = p;
	m = &res->matches[res->n_matches];
	memset(m, 0, sizeof(*m));
	m->kind = SEARCH_MATCH_RESOURCE;
	m->res.type = t;
	m->region = si_strdup_opt(x->region);
	m->account_id = x->account_id[0] ? si_strdup_opt(x->account_id) : NULL;
	m->account_alias = si_strdup_opt("collected");
	if (index != NULL)
		*index = res->n_matches;
	res->n_matches++;
	return &m->res;
}

static struct res_resource *s_resource(struct rt_answer *a, size_t index)
{
	struct s_ctx *x = a->priv;

	if (index >= x->c->result.n_matches ||
	    x->c->result.matches[index].kind != SEARCH_MATCH_RESOURCE)
		return NULL;
	return &x->c->result.matches[index].res;
}

static int s_follow(struct rt_answer *a, const struct rt_request *rq)
{
	return s_copy_req(a->priv, rq);
}

static int s_next_page(struct rt_answer *a, const char *token)
{
	struct s_ctx *x = a->priv;
	char *t = strdup(token);

	if (t == NULL)
		return -1;
	free(x->c->next_token);
	x->c->next_token = t;
	return 0;
}

static int s_follow_host(struct rt_answer *a, const char *host, const char *hop)
{
	struct rt_collect *c = ((struct s_ctx *)a->priv)->c;
	void *ph = realloc(c->hosts, (c->n_hosts + 1) * sizeof(char *));

	if (ph == NULL)
		return -1;
	c->hosts = ph;
	ph = realloc(c->hops, (c->n_hosts + 1) * sizeof(char *));
	if (ph == NULL)
		return -1;
	c->hops = ph;
	c->hosts[c->n_hosts] = si_strdup_opt(host);
	c->hops[c->n_hosts] = si_strdup_opt(hop);
	c->n_hosts++;
	return 0;
}

static const char *s_hop(const struct rt_answer *a)
{
	return ((const struct s_ctx *)a->priv)->c->hop;
}

/* Instances and interfaces become matches of their own kinds. */
static struct search_match *s_new_match(struct s_ctx *x, enum search_match_kind kind)
{
	struct search_result *res = &x->c->result;
	void *p = realloc(res->matches, (res->n_matches + 1) * sizeof(*res->matches));
	struct search_match *m;

	if (p == NULL) {
		x->oom = 1;
		return NULL;
	}
	res->matches = p;
	m = &res->matches[res->n_matches++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->region = si_strdup_opt(x->region);
	return m;
}

static void s_take_instances(struct rt_answer *a, struct ec2_instance_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct search_match *m;

		if (l->items[i].instance_id == NULL)
			continue;       /* dropped by the module */
		m = s_new_match(a->priv, SEARCH_MATCH_INSTANCE);

		if (m == NULL)
			return;
		m->instance = l->items[i];
		memset(&l->items[i], 0, sizeof(l->items[i]));
	}
}

static void s_take_enis(struct rt_answer *a, struct ec2_eni_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct search_match *m;

		if (l->items[i].eni_id == NULL)
			continue;       /* dropped by the module */
		m = s_new_match(a->priv, SEARCH_MATCH_ENI);

		if (m == NULL)
			return;
		m->eni = l->items[i];
		memset(&l->items[i], 0, sizeof(l->items[i]));
	}
}

static const struct rt_sink_ops s_collect_ops = {
	s_plan_request, s_new_resource, s_resource, s_follow, s_next_page,
	s_follow_host, s_hop, s_take_instances, s_take_enis
};

int rt_collect_plan(const struct rt_type *t, const struct search_term *term, const char *region,
		    const char *account_id, int first_of_account, struct rt_collect *c)
{
	struct s_ctx x = { { &s_collect_ops }, c, region, account_id ? account_id : "", 0 };
	struct rt_plan p = { term, region, x.account_id, first_of_account, &x };

	if (t->plan == NULL)
		return 0;
	return t->plan(&p);
}

int rt_collect_answer(const struct rt_type *t, int step, size_t parent,
		      const struct search_term *term, const char *region, const char *account_id,
		      const struct aws_query_param *params, size_t n_params, const char *body,
		      size_t len, struct rt_collect *c, struct si_err *err)
{
	struct s_ctx x = { { &s_collect_ops }, c, region, account_id ? account_id : "", 0 };
	struct rt_answer a = { t, term, step, parent, region, x.account_id, params, n_params, &x };
	int rc;

	if (t->answer == NULL)
		return si_err_set(err, SI_ERR_INTERNAL, "type %s parses nothing", t->name);
	rc = t->answer(&a, body, len, err);
	if (rc == 0 && x.oom)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return rc;
}

const char *rt_collected_param(const struct rt_collected *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->values[i];
	return NULL;
}

void rt_collect_free(struct rt_collect *c)
{
	search_result_free(&c->result);
	for (size_t i = 0; i < c->n_reqs; i++) {
		struct rt_collected *r = &c->reqs[i];

		free(r->service);
		free(r->action);
		free(r->version);
		free(r->path);
		free(r->page_param);
		for (size_t k = 0; k < r->n_params; k++) {
			free(r->names[k]);
			free(r->values[k]);
		}
		free(r->names);
		free(r->values);
	}
	free(c->reqs);
	free(c->next_token);
	for (size_t i = 0; i < c->n_hosts; i++) {
		free(c->hosts[i]);
		free(c->hops[i]);
	}
	free(c->hosts);
	free(c->hops);
	memset(c, 0, sizeof(*c));
}
