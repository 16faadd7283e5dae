/*
 * engine.c - one search across accounts x regions (see engine.h): every
 * call of every target on one curl multi handle, built, signed, set up,
 * classified and retried through the shared aws/client.
 */
#include "search/engine.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "aws/org.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/http.h"
#include "util/strutil.h"

/* The EC2 and STS API versions whose XML shapes aws_xml parses. */
#define S_EC2_VERSION "2016-11-15"
#define S_STS_VERSION "2011-06-15"
/* Follow nextToken at most this many pages per call: 60 x 200 results is
 * more than SEARCH_MAX_MATCHES, so a big answer ends at that cap, which
 * names the target, rather than here; it bounds a runaway paginator. */
#define S_MAX_PAGES 60
/* Per page: AWS allows 5..1000 for DescribeInstances. 200 keeps a page of
 * the richest real instances (~450 XML elements each) well under
 * AWS_XML_MAX_NODES, so the element cap only ever refuses hostile pages,
 * and keeps each answer's tree small (issue 11). */
#define S_PAGE_SIZE "200"
/* Parameters in one call: Action, Version, up to 4 filters x 2 or ids. */
#define S_MAX_PARAMS 32
/* Instance ids of attached ENIs looked up per follow-up call. */
#define S_MAX_IDS_PER_CALL 50

struct search_engine {
	struct search_settings set;          /* accounts borrowed */
	struct aws_client *client;           /* borrowed, shared with discovery */
	struct org_discovery *org;           /* borrowed, may be NULL */
};

struct search_ctx {
	CURLM *multi;
	uint32_t rng;                        /* backoff jitter */
};

enum s_action {
	S_ASSUME_ROLE,
	S_DESCRIBE_INSTANCES,
	S_DESCRIBE_ENIS,
	S_CHECK                     /* --check-config probe: DescribeInstances, 5 results */
};

struct s_param {
	char name[48];
	char *value;                /* owned */
};

struct s_call {
	struct s_job *job;
	enum s_action action;
	size_t target;              /* index into job->targets */
	size_t account;             /* index into job->accts */
	struct s_param params[S_MAX_PARAMS];
	size_t n_params;
	char *next_token;
	int page;
	int attempt;
	unsigned cred_gen;          /* the account's gen when this call was signed */
	long long not_before_ms;    /* retry time, monotonic */
	CURL *easy;
	struct aws_request req;     /* owned, empty until started */
	struct si_http_resp resp;
	struct s_call *next;        /* in one of the job's lists */
};

enum s_cred_state { CRED_NONE, CRED_FETCHING, CRED_OK, CRED_FAILED };

struct s_acct {
	const struct si_account *a;
	char account_id[16];
	enum s_cred_state st;
	struct sts_credentials creds;
	char *fail_code;
	char *fail_msg;
	int refreshed;              /* re-assumed once after AWS refused the
	                             * credentials (expired or forgotten) */
	unsigned gen;               /* bumped each time the credentials are replaced */
};

struct s_target {
	size_t account;
	const char *region;         /* borrowed from config */
	int failed;
};

struct s_job {
	struct search_engine *e;
	struct search_ctx *ctx;
	const struct search_spec *spec;
	struct s_acct *accts;
	size_t n_accts;
	struct s_target *targets;
	size_t n_targets;
	struct s_call *ready;       /* waiting for a transfer slot */
	struct s_call *waiting;     /* waiting for credentials */
	struct s_call *delayed;     /* waiting for a retry time */
	struct s_call *running;     /* in the multi handle */
	size_t in_flight;
	long long deadline_ms;
	struct search_accounts accounts;    /* held for the whole search */
	struct search_result *out;
	size_t cap_matches;
	size_t cap_failures;
	int full;                   /* SEARCH_MAX_MATCHES reached: keep no more */
	int oom;
};

/* ------------------------------------------------------------------ */
/* engine and ctx                                                      */

struct search_engine *search_engine_new(const struct search_settings *set,
					struct aws_client *client, struct si_err *err)
{
	struct search_engine *e;

	if (set == NULL || client == NULL || (set->accounts == NULL && set->n_accounts > 0)) {
		si_err_set(err, SI_ERR_INVALID, "search: NULL argument");
		return NULL;
	}
	e = si_zalloc(sizeof(*e), err);
	if (e == NULL)
		return NULL;
	e->set = *set;
	if (e->set.deadline_ms <= 0)
		e->set.deadline_ms = SEARCH_DEFAULT_DEADLINE_MS;
	if (e->set.max_inflight <= 0)
		e->set.max_inflight = 1;
	e->client = client;
	return e;
}

void search_engine_free(struct search_engine *e)
{
	free(e);
}

struct search_ctx *search_ctx_new(unsigned int seed, struct si_err *err)
{
	struct search_ctx *ctx = si_zalloc(sizeof(*ctx), err);

	if (ctx == NULL)
		return NULL;
	ctx->multi = curl_multi_init();
	if (ctx->multi == NULL) {
		free(ctx);
		si_err_set(err, SI_ERR_INTERNAL, "curl_multi_init failed");
		return NULL;
	}
	/* Reuse connections per endpoint: keep a few idle ones per host. */
	curl_multi_setopt(ctx->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(ctx->multi, CURLMOPT_MAXCONNECTS, 256L);
	ctx->rng = seed ? (uint32_t)seed : 0x9e3779b9u;
	return ctx;
}

void search_ctx_free(struct search_ctx *ctx)
{
	if (ctx == NULL)
		return;
	curl_multi_cleanup(ctx->multi);
	free(ctx);
}

/* ------------------------------------------------------------------ */
/* accounts                                                            */

void search_engine_set_org(struct search_engine *e, struct org_discovery *org)
{
	e->org = org;
}

int search_engine_accounts(const struct search_engine *e, struct search_accounts *out,
			   struct si_err *err)
{
	const struct search_settings *cfg = &e->set;
	struct org_snapshot *snap = e->org != NULL ? org_discovery_get(e->org) : NULL;
	size_t cap = cfg->n_accounts + (snap != NULL ? snap->n : 0);

	memset(out, 0, sizeof(*out));
	out->v = calloc(cap ? cap : 1, sizeof(*out->v));
	if (out->v == NULL) {
		org_snapshot_unref(snap);
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	out->priv = snap;
	for (size_t i = 0; i < cfg->n_accounts; i++)
		out->v[out->n++] = &cfg->accounts[i];
	for (size_t i = 0; snap != NULL && i < snap->n; i++) {
		int dup = 0;

		for (size_t k = 0; k < cfg->n_accounts && !dup; k++)
			dup = strcmp(cfg->accounts[k].alias, snap->accounts[i].alias) == 0;
		if (!dup)
			out->v[out->n++] = &snap->accounts[i];
	}
	return 0;
}

void search_accounts_release(struct search_accounts *a)
{
	if (a == NULL)
		return;
	free(a->v);
	org_snapshot_unref(a->priv);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------ */
/* targets                                                             */

/* The account id is the fifth field of the role ARN. */
static void s_account_id(const char *role_arn, char out[16])
{
	const char *p = role_arn;
	size_t n;

	out[0] = '\0';
	for (int i = 0; i < 4 && p != NULL; i++) {
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return;
	n = strcspn(p, ":");
	if (n == 0 || n >= 16)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int s_in_list(const char *s, const char *const *list, size_t n)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* Every term may narrow the targets (an ARN to one account and region, a
 * DNS name to one region). A target is searched when some term wants it. */
static int s_term_wants(const struct search_term *t, const char *account_id, const char *region)
{
	if (t->account_id != NULL && strcmp(t->account_id, account_id) != 0)
		return 0;
	if (t->region != NULL && strcmp(t->region, region) != 0)
		return 0;
	return 1;
}

static int s_spec_wants(const struct search_spec *spec, const char *alias,
			const char *account_id, const char *region)
{
	if (!s_in_list(alias, spec->accounts, spec->n_accounts))
		return 0;
	if (!s_in_list(region, spec->regions, spec->n_regions))
		return 0;
	for (size_t i = 0; i < spec->n_terms; i++)
		if (s_term_wants(&spec->terms[i], account_id, region))
			return 1;
	return spec->n_terms == 0;
}

/* Why a count apart from s_build_targets: the "Searching N accounts in M
 * regions" notice is posted from the request thread while the job may not
 * have started, so the same selection (s_spec_wants) is walked again over
 * its own snapshot of the accounts. Assumes spec is the parsed query. If
 * the accounts cannot be read the count is 0; the search itself then
 * reports the error. Only the notice uses the figures, so regions past
 * the seen[] bound (far more than any partition has) go uncounted rather
 * than allocated for. */
size_t search_count_targets(const struct search_engine *e, const struct search_spec *spec,
			    size_t *n_accounts, size_t *n_regions)
{
	struct search_accounts accs;
	/* Distinct regions remembered: AWS has about 35 per partition. */
	const char *seen[256];
	size_t n_seen = 0, n = 0, na = 0;

	if (search_engine_accounts(e, &accs, NULL) != 0)
		accs.n = 0;
	for (size_t a = 0; a < accs.n; a++) {
		const struct si_account *acc = accs.v[a];
		char id[16];
		size_t before = n;

		s_account_id(acc->role_arn, id);
		for (size_t r = 0; r < acc->n_regions; r++) {
			int dup = 0;

			if (!s_spec_wants(spec, acc->alias, id, acc->regions[r]))
				continue;
			n++;
			for (size_t k = 0; k < n_seen; k++)
				dup |= strcmp(seen[k], acc->regions[r]) == 0;
			if (!dup && n_seen < sizeof(seen) / sizeof(seen[0]))
				seen[n_seen++] = acc->regions[r];
		}
		if (n > before)
			na++;
	}
	search_accounts_release(&accs);
	if (n_accounts != NULL)
		*n_accounts = na;
	if (n_regions != NULL)
		*n_regions = n_seen;
	return n;
}

/* One target per (account, region) the spec selects, in configuration
 * order; accounts with no selected region get no s_acct, so no AssumeRole
 * is made for them. Why the targets borrow: the region strings and
 * accounts live in j->accounts, the snapshot taken here and held until the
 * job ends, so a discovery refresh mid-search cannot free them. Arrays are
 * sized for the worst case (every region of every account) to allocate
 * once. Assumes j->spec is set and j->accounts is empty. */
static int s_build_targets(struct s_job *j, struct si_err *err)
{
	const struct search_accounts *accs = &j->accounts;
	size_t total = 0;

	if (search_engine_accounts(j->e, &j->accounts, err) != 0)
		return -1;
	for (size_t a = 0; a < accs->n; a++)
		total += accs->v[a]->n_regions;
	j->accts = calloc(accs->n ? accs->n : 1, sizeof(*j->accts));
	j->targets = calloc(total ? total : 1, sizeof(*j->targets));
	if (j->accts == NULL || j->targets == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t a = 0; a < accs->n; a++) {
		const struct si_account *acc = accs->v[a];
		/* Filled in place; kept only if a region is used, else the
		 * next account overwrites it. */
		struct s_acct *sa = &j->accts[j->n_accts];
		int used = 0;

		sa->a = acc;
		s_account_id(acc->role_arn, sa->account_id);
		for (size_t r = 0; r < acc->n_regions; r++) {
			if (!s_spec_wants(j->spec, acc->alias, sa->account_id, acc->regions[r]))
				continue;
			j->targets[j->n_targets].account = j->n_accts;
			j->targets[j->n_targets].region = acc->regions[r];
			j->n_targets++;
			used = 1;
		}
		if (used)
			j->n_accts++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* calls                                                               */

static void s_call_free(struct s_call *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_params; i++)
		free(c->params[i].value);
	free(c->next_token);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	aws_request_clear(&c->req);
	/* AssumeRole answers carried secrets. */
	si_http_resp_free(&c->resp, c->action == S_ASSUME_ROLE);
	free(c);
}

static void s_list_free(struct s_call *c)
{
	while (c != NULL) {
		struct s_call *next = c->next;
		s_call_free(c);
		c = next;
	}
}

static int s_param(struct s_call *c, const char *name, const char *value)
{
	if (c->n_params >= S_MAX_PARAMS)
		return -1;
	snprintf(c->params[c->n_params].name, sizeof(c->params[0].name), "%s", name);
	c->params[c->n_params].value = strdup(value);
	if (c->params[c->n_params].value == NULL)
		return -1;
	c->n_params++;
	return 0;
}

static struct s_call *s_call_new(struct s_job *j, enum s_action action, size_t target,
				 size_t account)
{
	struct s_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		j->oom = 1;
		return NULL;
	}
	c->job = j;
	c->action = action;
	c->target = target;
	c->account = account;
	si_http_resp_init(&c->resp, AWS_CLIENT_MAX_RESPONSE);
	return c;
}

static void s_push(struct s_call **list, struct s_call *c)
{
	c->next = *list;
	*list = c;
}

/* Queue a call: straight to the ready list when its account has
 * credentials, else wait for them (starting AssumeRole if nobody has). */
static void s_enqueue(struct s_job *j, struct s_call *c);

/* A describe call with one filter (name = value). */
static void s_filter_call(struct s_job *j, size_t target, enum s_action action,
			  const char *filter, const char *value)
{
	struct s_call *c = s_call_new(j, action, target, j->targets[target].account);

	if (c == NULL)
		return;
	if (s_param(c, "Filter.1.Name", filter) != 0 ||
	    s_param(c, "Filter.1.Value.1", value) != 0) {
		j->oom = 1;
		s_call_free(c);
		return;
	}
	s_enqueue(j, c);
}

/* Plan the calls for one term in one target. Addresses are looked up on
 * network interfaces, which hold every private (primary and secondary),
 * public and IPv6 address of every instance, and of load balancers, NAT
 * gateways, Lambda functions and endpoints too. Filters of different
 * names are AND-ed by AWS, so private and public need a call each; the
 * owning instances are fetched by id once their ENIs are known. */
static void s_plan_term(struct s_job *j, size_t target, const struct search_term *t)
{
	switch (t->kind) {
	case SEARCH_TERM_INSTANCE_ID:
		/* A filter, not InstanceId.1: an id unknown in this account is
		 * an empty answer, not an InvalidInstanceID.NotFound error. */
		s_filter_call(j, target, S_DESCRIBE_INSTANCES, "instance-id", t->value);
		break;
	case SEARCH_TERM_IPV4:
		s_filter_call(j, target, S_DESCRIBE_ENIS, "addresses.private-ip-address", t->value);
		s_filter_call(j, target, S_DESCRIBE_ENIS, "association.public-ip", t->value);
		break;
	case SEARCH_TERM_IPV6:
		s_filter_call(j, target, S_DESCRIBE_ENIS, "ipv6-addresses.ipv6-address", t->value);
		break;
	case SEARCH_TERM_PRIVATE_DNS:
		s_filter_call(j, target, S_DESCRIBE_INSTANCES, "private-dns-name", t->value);
		break;
	case SEARCH_TERM_PUBLIC_DNS:
		s_filter_call(j, target, S_DESCRIBE_INSTANCES, "dns-name", t->value);
		break;
	case SEARCH_TERM_ENI_ID:
		s_filter_call(j, target, S_DESCRIBE_ENIS, "network-interface-id", t->value);
		break;
	case SEARCH_TERM_NAME:
		s_filter_call(j, target, S_DESCRIBE_INSTANCES, "tag:Name", t->value);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* failures and matches                                                */

/* Remember that a target failed; the first reason wins, later ones for the
 * same target add nothing for the reader. */
static void s_fail_target(struct s_job *j, size_t target, const char *code, const char *msg)
{
	struct search_result *r = j->out;
	struct s_target *t = &j->targets[target];
	struct search_failure *f;

	if (t->failed)
		return;
	t->failed = 1;
	if (r->n_failures == j->cap_failures) {
		size_t ncap = j->cap_failures ? j->cap_failures * 2 : 8;
		void *p = realloc(r->failures, ncap * sizeof(*r->failures));
		if (p == NULL) {
			j->oom = 1;
			return;
		}
		r->failures = p;
		j->cap_failures = ncap;
	}
	f = &r->failures[r->n_failures++];
	memset(f, 0, sizeof(*f));
	f->account_alias = strdup(j->accts[t->account].a->alias);
	f->region = strdup(t->region);
	f->code = si_strdup_opt(code);
	f->message = si_strdup_opt(msg);
}

/* A new, zeroed match of target at the end of the result, or NULL. Why
 * the cap lives here: every match of every page passes through, so this
 * is the one place that bounds what a search holds (SEARCH_MAX_MATCHES);
 * the target that overflows it is failed as TooManyMatches and j->full
 * stops further pages. NULL also on OOM (j->oom set). */
static struct search_match *s_new_match(struct s_job *j, size_t target, enum search_match_kind kind)
{
	struct search_result *r = j->out;
	struct s_target *t = &j->targets[target];
	struct search_match *m;

	if (r->n_matches >= SEARCH_MAX_MATCHES) {
		char msg[64];

		j->full = 1;
		snprintf(msg, sizeof(msg), "more than %d matches; narrow the search",
			 SEARCH_MAX_MATCHES);
		s_fail_target(j, target, "TooManyMatches", msg);
		return NULL;
	}
	if (r->n_matches == j->cap_matches) {
		size_t ncap = j->cap_matches ? j->cap_matches * 2 : 16;
		void *p = realloc(r->matches, ncap * sizeof(*r->matches));
		if (p == NULL) {
			j->oom = 1;
			return NULL;
		}
		r->matches = p;
		j->cap_matches = ncap;
	}
	m = &r->matches[r->n_matches++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->account_alias = strdup(j->accts[t->account].a->alias);
	m->account_id = j->accts[t->account].account_id[0]
			? strdup(j->accts[t->account].account_id) : NULL;
	m->region = strdup(t->region);
	return m;
}

static int s_have_instance(const struct s_job *j, const char *region, const char *id)
{
	const struct search_result *r = j->out;

	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].kind == SEARCH_MATCH_INSTANCE &&
		    strcmp(r->matches[i].instance.instance_id, id) == 0 &&
		    strcmp(r->matches[i].region, region) == 0)
			return 1;
	return 0;
}

static int s_have_eni(const struct s_job *j, const char *id)
{
	const struct search_result *r = j->out;

	for (size_t i = 0; i < r->n_matches; i++)
		if (r->matches[i].kind == SEARCH_MATCH_ENI &&
		    strcmp(r->matches[i].eni.eni_id, id) == 0)
			return 1;
	return 0;
}

/* Move the instances of a page into the result (ownership moves too). */
static void s_take_instances(struct s_job *j, size_t target, struct ec2_instance_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct ec2_instance *in = &l->items[i];
		struct search_match *m;

		if (in->instance_id == NULL ||
		    s_have_instance(j, j->targets[target].region, in->instance_id))
			continue;
		m = s_new_match(j, target, SEARCH_MATCH_INSTANCE);
		if (m == NULL)
			return;
		m->instance = *in;
		memset(in, 0, sizeof(*in));
	}
}

/* ENIs attached to an instance are reported as that instance, fetched by
 * id in one follow-up call; the others (load balancers, NAT gateways,
 * Lambda, endpoints) are matches of their own. */
static void s_take_enis(struct s_job *j, struct s_call *from, struct ec2_eni_list *l)
{
	struct s_call *follow = NULL;
	size_t n_ids = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct ec2_eni *eni = &l->items[i];
		struct search_match *m;

		if (eni->eni_id == NULL)
			continue;
		if (eni->attached_instance_id != NULL) {
			char name[32];

			if (s_have_instance(j, j->targets[from->target].region,
					    eni->attached_instance_id))
				continue;
			if (follow == NULL || n_ids == S_MAX_IDS_PER_CALL) {
				if (follow != NULL)
					s_enqueue(j, follow);
				follow = s_call_new(j, S_DESCRIBE_INSTANCES, from->target,
						    from->account);
				n_ids = 0;
				if (follow == NULL)
					return;
			}
			snprintf(name, sizeof(name), "InstanceId.%zu", ++n_ids);
			if (s_param(follow, name, eni->attached_instance_id) != 0)
				j->oom = 1;
			continue;
		}
		if (s_have_eni(j, eni->eni_id))
			continue;
		m = s_new_match(j, from->target, SEARCH_MATCH_ENI);
		if (m == NULL)
			break;
		m->eni = *eni;
		memset(eni, 0, sizeof(*eni));
	}
	if (follow != NULL)
		s_enqueue(j, follow);
}

/* ------------------------------------------------------------------ */
/* credentials                                                         */

/* The client's AssumeRole parameters, copied into the call. */
static int s_assume_params(struct s_job *j, struct s_call *ar, const struct s_acct *a)
{
	struct aws_query_param p[AWS_CLIENT_ASSUME_PARAMS];
	size_t n = aws_client_assume_params(j->e->client, a->a->role_arn, a->a->external_id,
					    NULL, p);

	for (size_t i = 0; i < n; i++)
		if (s_param(ar, p[i].name, p[i].value) != 0)
			return -1;
	return 0;
}

/* Why: a call can only go once its account has credentials, and the
 * first call of an account is what triggers its AssumeRole (through the
 * client's shared cache first). Assumes c is on no list; the call ends on
 * the ready list, the waiting list, or is failed with its account. */
static void s_enqueue(struct s_job *j, struct s_call *c)
{
	struct s_acct *a = &j->accts[c->account];
	struct s_call *ar;
	int hit;

	if (c->action == S_ASSUME_ROLE) {
		s_push(&j->ready, c);
		return;
	}
	switch (a->st) {
	case CRED_OK:
		s_push(&j->ready, c);
		return;
	case CRED_FAILED:
		s_fail_target(j, c->target, a->fail_code, a->fail_msg);
		s_call_free(c);
		return;
	case CRED_FETCHING:
		s_push(&j->waiting, c);
		return;
	case CRED_NONE:
		break;
	}
	hit = aws_client_cached_role(j->e->client, a->a->role_arn, a->a->external_id, time(NULL),
				     &a->creds);
	if (hit == 1) {
		a->st = CRED_OK;
		s_push(&j->ready, c);
		return;
	}
	ar = s_call_new(j, S_ASSUME_ROLE, c->target, c->account);
	if (ar == NULL || s_assume_params(j, ar, a) != 0) {
		j->oom = 1;
		s_call_free(ar);
		s_fail_target(j, c->target, "InternalError", "out of memory");
		s_call_free(c);
		return;
	}
	a->st = CRED_FETCHING;
	s_push(&j->ready, ar);
	s_push(&j->waiting, c);
}

/* The account's credentials arrived (ok) or not: release its waiters. */
static void s_release_waiters(struct s_job *j, size_t account)
{
	struct s_call **pp = &j->waiting;

	while (*pp != NULL) {
		struct s_call *c = *pp;

		if (c->account != account) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		c->next = NULL;
		s_enqueue(j, c);
	}
}

static void s_account_failed(struct s_job *j, size_t account, const char *code, const char *msg)
{
	struct s_acct *a = &j->accts[account];

	a->st = CRED_FAILED;
	free(a->fail_code);
	free(a->fail_msg);
	a->fail_code = si_strdup_opt(code);
	a->fail_msg = si_strdup_opt(msg);
	s_release_waiters(j, account);
}

/* ------------------------------------------------------------------ */
/* transfers                                                           */

static const char *s_action_name(enum s_action a)
{
	switch (a) {
	case S_ASSUME_ROLE: return "AssumeRole";
	case S_DESCRIBE_INSTANCES: return "DescribeInstances";
	case S_DESCRIBE_ENIS: return "DescribeNetworkInterfaces";
	case S_CHECK: return "DescribeInstances";
	}
	return "?";
}

/* The aws_call a search call makes; params point into qp, which the
 * caller provides (S_MAX_PARAMS + 2 entries) and keeps while building. */
static void s_describe(const struct s_job *j, const struct s_call *c, struct aws_query_param *qp,
		       struct aws_call *call)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_params; i++)
		qp[n++] = (struct aws_query_param){ c->params[i].name, c->params[i].value };
	if (c->action == S_DESCRIBE_INSTANCES || c->action == S_DESCRIBE_ENIS) {
		/* MaxResults cannot be combined with InstanceId.N. */
		if (c->n_params == 0 || !SI_HAS_PREFIX(c->params[0].name, "InstanceId."))
			qp[n++] = (struct aws_query_param){ "MaxResults", S_PAGE_SIZE };
		if (c->next_token != NULL)
			qp[n++] = (struct aws_query_param){ "NextToken", c->next_token };
	} else if (c->action == S_CHECK) {
		qp[n++] = (struct aws_query_param){ "MaxResults", "5" };
	}
	memset(call, 0, sizeof(*call));
	call->proto = AWS_PROTO_QUERY;
	call->service = c->action == S_ASSUME_ROLE ? "sts" : "ec2";
	call->region = j->targets[c->target].region;
	call->action = s_action_name(c->action);
	call->version = c->action == S_ASSUME_ROLE ? S_STS_VERSION : S_EC2_VERSION;
	call->params = qp;
	call->n_params = n;
}

/* The call failed before it could be sent: its account (AssumeRole) or
 * target (everything else) carries the reason. */
static void s_start_failed(struct s_job *j, struct s_call *c, const char *code, const char *msg)
{
	if (c->action == S_ASSUME_ROLE)
		s_account_failed(j, c->account, code, msg);
	else
		s_fail_target(j, c->target, code, msg);
}

/* Build, sign and hand one call to the multi handle. Why here and not in
 * the client: the multi loop owns the transfers, the client owns what a
 * request looks like. Assumes the account has credentials unless the call
 * is an AssumeRole (signed with the base identity). On failure the call
 * has been consumed (its account or target failed). */
static int s_start(struct s_job *j, struct s_call *c)
{
	struct search_engine *e = j->e;
	struct s_acct *a = &j->accts[c->account];
	struct aws_creds base;
	struct aws_query_param qp[S_MAX_PARAMS + 2];
	struct aws_keys k;
	struct aws_call call;
	struct si_err err;
	int rc = -1;

	memset(&base, 0, sizeof(base));
	if (c->action == S_ASSUME_ROLE) {
		if (aws_creds_provider_get(aws_client_base(e->client), time(NULL), &base,
					   &err) != 0) {
			s_account_failed(j, c->account, "NoCredentials", err.msg);
			goto out;
		}
		k = (struct aws_keys){ base.access_key_id, base.secret_access_key,
				       base.session_token };
	} else {
		k = (struct aws_keys){ a->creds.access_key_id, a->creds.secret_access_key,
				       a->creds.session_token };
		c->cred_gen = a->gen;
	}
	s_describe(j, c, qp, &call);
	if (aws_client_build(e->client, &call, &k, time(NULL), &c->req, &err) != 0) {
		s_start_failed(j, c, "InvalidRequest", err.msg);
		goto out;
	}
	c->easy = curl_easy_init();
	if (c->easy == NULL ||
	    aws_client_prepare(e->client, c->easy, &c->req, &c->resp, NULL, &err) != 0 ||
	    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c) != CURLE_OK ||
	    curl_multi_add_handle(j->ctx->multi, c->easy) != CURLM_OK) {
		s_start_failed(j, c, "InternalError", "cannot start request");
		goto out;
	}
	s_push(&j->running, c);
	j->in_flight++;
	rc = 0;
out:
	aws_creds_clear(&base);
	if (rc != 0)
		s_call_free(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* completion                                                          */

/* Forget a call's transfer so it can be sent again. */
static void s_reset_transfer(struct s_call *c)
{
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	c->easy = NULL;
	aws_request_clear(&c->req);
	si_buf_reset(&c->resp.body);
}

static void s_next_page(struct s_job *j, struct s_call *c, const char *token)
{
	struct s_call *n;

	if (token == NULL || token[0] == '\0' || c->page + 1 >= S_MAX_PAGES || j->full)
		return;
	n = s_call_new(j, c->action, c->target, c->account);
	if (n == NULL)
		return;
	for (size_t i = 0; i < c->n_params; i++)
		if (s_param(n, c->params[i].name, c->params[i].value) != 0)
			j->oom = 1;
	n->next_token = strdup(token);
	n->page = c->page + 1;
	s_enqueue(j, n);
}

/* A 200 answer: parse it by the call's action and move what it found into
 * the job. Returns 0, or -1 when it did not parse (s_done then fails the
 * call without a retry). Assumes c->resp holds the whole body. New
 * credentials go to the client's shared cache too, so the next search and
 * discovery skip their own AssumeRole for this role. */
static int s_parse_ok(struct s_job *j, struct s_call *c, struct si_err *err)
{
	struct s_acct *a = &j->accts[c->account];
	int rc = -1;

	switch (c->action) {
	case S_ASSUME_ROLE: {
		struct sts_credentials cr;

		memset(&cr, 0, sizeof(cr));
		if (aws_xml_parse_assume_role(c->resp.body.data, c->resp.body.len, &cr, err) != 0)
			break;
		sts_credentials_clear(&a->creds);
		a->creds = cr;
		a->st = CRED_OK;
		aws_client_remember_role(j->e->client, a->a->role_arn, a->a->external_id,
					 &a->creds);
		s_release_waiters(j, c->account);
		rc = 0;
		break;
	}
	case S_DESCRIBE_INSTANCES:
	case S_CHECK: {
		/* --check-config only needs to know the answer parses. */
		struct ec2_instance_list l;

		memset(&l, 0, sizeof(l));
		if (aws_xml_parse_describe_instances(c->resp.body.data, c->resp.body.len, &l,
						     err) != 0)
			break;
		if (c->action == S_DESCRIBE_INSTANCES) {
			s_take_instances(j, c->target, &l);
			s_next_page(j, c, l.next_token);
		}
		ec2_instance_list_free(&l);
		rc = 0;
		break;
	}
	case S_DESCRIBE_ENIS: {
		struct ec2_eni_list l;

		memset(&l, 0, sizeof(l));
		if (aws_xml_parse_describe_network_interfaces(c->resp.body.data, c->resp.body.len,
							      &l, err) != 0)
			break;
		s_take_enis(j, c, &l);
		s_next_page(j, c, l.next_token);
		ec2_eni_list_free(&l);
		rc = 0;
		break;
	}
	}
	return rc;
}

/* Why: every finished transfer ends here, and this is where the search
 * decides between done, retry later, assume the role again, or fail. The
 * classification and the retry and backoff rules are the client's (the
 * same as discovery's); only "credentials refused: re-assume once per
 * account and search" is the engine's own. Refused covers expired
 * (ExpiredToken, RequestExpired) and forgotten (AuthFailure,
 * InvalidClientTokenId, UnrecognizedClientException): an endpoint that
 * lost the session it issued answers those until the cached credentials
 * would have expired (about 55 minutes), so the cache entry is dropped for
 * every search, not just this one. Assumes c was removed from the
 * multi handle and its status can still be read from c->easy. Returns 1
 * when the call was queued again, 0 when it is finished and may be freed. */
static int s_done(struct s_job *j, struct s_call *c, CURLcode cc)
{
	struct search_engine *e = j->e;
	struct s_acct *a = &j->accts[c->account];
	struct aws_query_param qp[S_MAX_PARAMS + 2];
	struct aws_outcome o;
	struct aws_call call;
	struct si_err err;
	long status = 0;

	if (cc == CURLE_OK)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	s_describe(j, c, qp, &call);
	aws_client_classify(e->client, &call, cc, status, &c->resp, c->attempt + 1, &o);
	if (o.ok) {
		if (s_parse_ok(j, c, &err) == 0)
			return 0;
		/* A 200 that does not parse will not parse on a retry either.
		 * One over a limit (too many items, too long a value) is named
		 * apart: the endpoint answered, but more than we hold. */
		snprintf(o.label, sizeof(o.label), "%s",
			 err.code == SI_ERR_LIMIT ? "AnswerTooLarge" : "MalformedResponse");
		snprintf(o.message, sizeof(o.message), "%s", err.msg);
	} else if (o.retry) {
		long wait = aws_client_backoff_ms(e->client, c->attempt + 1,
						  si_backoff_rand(&j->ctx->rng));

		c->attempt++;
		s_reset_transfer(c);
		c->not_before_ms = si_mono_ms() + wait;
		s_push(&j->delayed, c);
		return 1;
	} else if (c->action != S_ASSUME_ROLE && o.creds_refused &&
		   (c->cred_gen != a->gen || !a->refreshed)) {
		/* Signed with credentials that have since been replaced (or are
		 * being replaced): just go again behind the new ones. Otherwise
		 * replace them, once per account and search. */
		if (c->cred_gen == a->gen) {
			a->refreshed = 1;
			a->gen++;
			a->st = CRED_NONE;
			sts_credentials_clear(&a->creds);
			aws_client_forget_role(e->client, a->a->role_arn, a->a->external_id);
		}
		s_reset_transfer(c);
		c->attempt = 0;
		s_enqueue(j, c);
		return 1;
	}
	s_start_failed(j, c, o.label, o.message[0] ? o.message : NULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the loop                                                            */

static struct s_call *s_pop(struct s_call **list)
{
	struct s_call *c = *list;

	if (c != NULL) {
		*list = c->next;
		c->next = NULL;
	}
	return c;
}

/* Move delayed calls whose time has come to the ready list; return the
 * milliseconds until the next one (or -1 when none waits). */
static long long s_wake_delayed(struct s_job *j, long long now)
{
	struct s_call **pp = &j->delayed;
	long long next = -1;

	while (*pp != NULL) {
		struct s_call *c = *pp;

		if (c->not_before_ms <= now) {
			*pp = c->next;
			c->next = NULL;
			s_enqueue(j, c);
			continue;
		}
		if (next < 0 || c->not_before_ms - now < next)
			next = c->not_before_ms - now;
		pp = &c->next;
	}
	return next;
}

static void s_unlink(struct s_call **list, struct s_call *c)
{
	for (struct s_call **pp = list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			return;
		}
	}
}

static void s_drain_finished(struct s_job *j)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(j->ctx->multi, &left)) != NULL) {
		struct s_call *c = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		curl_multi_remove_handle(j->ctx->multi, msg->easy_handle);
		s_unlink(&j->running, c);
		j->in_flight--;
		if (s_done(j, c, msg->data.result) == 0)
			s_call_free(c);
	}
}

/* The deadline passed: every target still owed an answer is named. */
static void s_give_up(struct s_job *j, struct s_call **list)
{
	struct s_call *c;

	while ((c = s_pop(list)) != NULL) {
		s_fail_target(j, c->target, "Timeout", "deadline reached");
		s_call_free(c);
	}
}

/* Remove every transfer still in the multi handle (deadline). */
static void s_abort_running(struct s_job *j)
{
	struct s_call *c;

	while ((c = s_pop(&j->running)) != NULL) {
		curl_multi_remove_handle(j->ctx->multi, c->easy);
		j->in_flight--;
		s_fail_target(j, c->target, "Timeout", "deadline reached");
		s_call_free(c);
	}
}

/* The multi loop: start what is ready (at most max_inflight at once),
 * wake delayed retries, let libcurl work, collect what finished, and wait
 * on the sockets for at most a second or until the next retry. Why one
 * thread: per-transfer state hangs off CURLOPT_PRIVATE, so nothing here is
 * shared. Assumes j is set up; at the deadline everything still owed an
 * answer is failed as "Timeout". */
static void s_loop(struct s_job *j)
{
	const int max_inflight = j->e->set.max_inflight;

	for (;;) {
		long long now = si_mono_ms(), next_delay;
		long long timeout;
		int running = 0;
		struct s_call *c;

		if (now >= j->deadline_ms)
			break;
		next_delay = s_wake_delayed(j, now);
		while (j->in_flight < (size_t)max_inflight && (c = s_pop(&j->ready)) != NULL)
			(void)s_start(j, c);
		if (j->in_flight == 0 && j->ready == NULL && j->delayed == NULL)
			break;          /* everything answered (waiters were released) */
		curl_multi_perform(j->ctx->multi, &running);
		s_drain_finished(j);
		/* Finished calls freed slots and may have queued follow-ups or
		 * released waiters: start those before sleeping. */
		if (j->ready != NULL && j->in_flight < (size_t)max_inflight)
			continue;
		timeout = j->deadline_ms - now;
		if (next_delay >= 0 && next_delay < timeout)
			timeout = next_delay;
		if (timeout > 1000)
			timeout = 1000;
		if (j->in_flight > 0 || next_delay >= 0)
			curl_multi_poll(j->ctx->multi, NULL, 0, (int)(timeout > 0 ? timeout : 0),
					NULL);
	}
	s_abort_running(j);
	s_give_up(j, &j->ready);
	s_give_up(j, &j->waiting);
	s_give_up(j, &j->delayed);
}

/* ------------------------------------------------------------------ */
/* ordering                                                            */

static const char *s_name(const struct search_match *m)
{
	const char *n;

	if (m->kind == SEARCH_MATCH_ENI)
		return m->eni.eni_id ? m->eni.eni_id : "";
	n = ec2_tag_get(m->instance.tags, m->instance.n_tags, "Name");
	return n ? n : (m->instance.instance_id ? m->instance.instance_id : "");
}

/* Running instances first (what an on-call engineer is after), then
 * interfaces, then everything else; within a rank by alias, region, name. */
static int s_rank(const struct search_match *m)
{
	if (m->kind == SEARCH_MATCH_ENI)
		return 1;
	return m->instance.state != NULL && strcmp(m->instance.state, "running") == 0 ? 0 : 2;
}

/* strcmp with NULL sorting as "": a failed strdup under OOM leaves a
 * field NULL, and the sort must still be total. */
static int s_strcmp0(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int s_cmp_match(const void *pa, const void *pb)
{
	const struct search_match *a = pa, *b = pb;
	int d = s_rank(a) - s_rank(b);

	if (d != 0)
		return d;
	d = s_strcmp0(a->account_alias, b->account_alias);
	if (d != 0)
		return d;
	d = s_strcmp0(a->region, b->region);
	if (d != 0)
		return d;
	return strcmp(s_name(a), s_name(b));
}

static int s_cmp_failure(const void *pa, const void *pb)
{
	const struct search_failure *a = pa, *b = pb;
	int d = s_strcmp0(a->account_alias, b->account_alias);

	return d != 0 ? d : s_strcmp0(a->region, b->region);
}

/* Zero the job and the result it fills; deadline_ms is on si_mono_ms(). */
static void s_job_init(struct s_job *j, struct search_engine *e, struct search_ctx *ctx,
		       const struct search_spec *spec, struct search_result *out,
		       long long deadline_ms)
{
	memset(out, 0, sizeof(*out));
	memset(j, 0, sizeof(*j));
	j->e = e;
	j->ctx = ctx;
	j->spec = spec;
	j->out = out;
	j->deadline_ms = deadline_ms;
}

static void s_job_free(struct s_job *j)
{
	for (size_t i = 0; i < j->n_accts; i++) {
		sts_credentials_clear(&j->accts[i].creds);
		free(j->accts[i].fail_code);
		free(j->accts[i].fail_msg);
	}
	free(j->accts);
	free(j->targets);
	search_accounts_release(&j->accounts);
	s_list_free(j->ready);
	s_list_free(j->waiting);
	s_list_free(j->delayed);
	s_list_free(j->running);
}

/* Why the two passes (targets, then terms per target): a term may narrow
 * the targets (an ARN to one account and region), and each target's calls
 * are planned only for the terms that want it. Assumes ctx belongs to the
 * calling thread; AWS failures end up in out->failures, never in rc. */
int search_run(struct search_engine *e, struct search_ctx *ctx,
	       const struct search_spec *spec, struct search_result *out,
	       struct si_err *err)
{
	struct s_job j;
	long long t0 = si_mono_ms();
	int deadline = spec->deadline_ms > 0 ? spec->deadline_ms : e->set.deadline_ms;
	int rc = -1;

	s_job_init(&j, e, ctx, spec, out, t0 + deadline);
	out->query_text = strdup(spec->text ? spec->text : "");
	if (s_build_targets(&j, err) != 0)
		goto out;
	out->n_targets = j.n_targets;
	(void)search_count_targets(e, spec, &out->n_accounts, &out->n_regions);
	for (size_t t = 0; t < j.n_targets; t++)
		for (size_t i = 0; i < spec->n_terms; i++)
			if (s_term_wants(&spec->terms[i], j.accts[j.targets[t].account].account_id,
					 j.targets[t].region))
				s_plan_term(&j, t, &spec->terms[i]);
	s_loop(&j);
	if (j.oom) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory during search");
		goto out;
	}
	if (out->n_matches > 1)
		qsort(out->matches, out->n_matches, sizeof(*out->matches), s_cmp_match);
	if (out->n_failures > 1)
		qsort(out->failures, out->n_failures, sizeof(*out->failures), s_cmp_failure);
	rc = 0;
out:
	out->elapsed_s = (double)(si_mono_ms() - t0) / 1000.0;
	s_job_free(&j);
	if (rc != 0)
		search_result_free(out);
	return rc;
}

/* --check-config: one cheap call per target through the same loop as a
 * search, so it proves exactly what a search needs (AssumeRole in every
 * account, EC2 in every region). Assumes f is writable; the deadline is
 * the search deadline. */
size_t search_check_access(struct search_engine *e, struct search_ctx *ctx, FILE *f)
{
	struct search_spec spec;
	struct search_result out;
	struct s_job j;
	struct si_err err;
	size_t failed = 0;

	memset(&spec, 0, sizeof(spec));
	s_job_init(&j, e, ctx, &spec, &out, si_mono_ms() + e->set.deadline_ms);
	if (s_build_targets(&j, &err) != 0) {
		fprintf(f, "error: %s\n", err.msg);
		s_job_free(&j);
		return 1;
	}
	for (size_t t = 0; t < j.n_targets; t++) {
		struct s_call *c = s_call_new(&j, S_CHECK, t, j.targets[t].account);
		if (c != NULL)
			s_enqueue(&j, c);
	}
	s_loop(&j);
	for (size_t t = 0; t < j.n_targets; t++) {
		const char *alias = j.accts[j.targets[t].account].a->alias;
		const struct search_failure *fl = NULL;

		for (size_t k = 0; k < out.n_failures; k++)
			if (s_strcmp0(out.failures[k].account_alias, alias) == 0 &&
			    s_strcmp0(out.failures[k].region, j.targets[t].region) == 0)
				fl = &out.failures[k];
		if (fl == NULL) {
			fprintf(f, "%-20s %-16s ok\n", alias, j.targets[t].region);
		} else {
			fprintf(f, "%-20s %-16s %s: %s\n", alias, j.targets[t].region, fl->code,
				fl->message ? fl->message : "");
			failed++;
		}
	}
	s_job_free(&j);
	search_result_free(&out);
	return failed;
}
