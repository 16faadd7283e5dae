#include "search/engine.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/query.h"
#include "aws/retry.h"
#include "aws/xml.h"
#include "util/buf.h"
#include "util/logfmt.h"
#include "aws/org.h"
#include "aws/sigv4.h"
#include "aws/sts_cache.h"

/* The EC2 and STS API versions whose XML shapes aws_xml parses. */
#define S_EC2_VERSION "2016-11-15"
#define S_STS_VERSION "2011-06-15"
/* AWS answers are small; a describe page of 1000 instances is ~2 MiB. The
 * cap is aws_xml's own limit so nothing larger is ever buffered. */
#define S_MAX_RESPONSE AWS_XML_MAX_DOC
/* Follow nextToken at most this many pages per call: 10 x 1000 results is
 * more than any Slack message can show, and it bounds a runaway paginator. */
#define S_MAX_PAGES 10
/* Per page: AWS allows 5..1000 for DescribeInstances. */
#define S_PAGE_SIZE "1000"
/* Parameters in one call: Action, Version, up to 4 filters x 2 or ids. */
#define S_MAX_PARAMS 32
/* Backoff base and cap for retries (AWS SDK defaults are 100 ms / 20 s; a
 * Slack search cannot wait 20 s, so the cap is the per-call timeout). */
#define S_BACKOFF_BASE_MS 100
/* Accounts whose STS credentials are cached. */
#define S_STS_CACHE_CAP 4096
/* Instance ids of attached ENIs looked up per follow-up call. */
#define S_MAX_IDS_PER_CALL 50
/* Role session duration: the STS minimum is 900 s, the default 3600 s. */
#define S_SESSION_SECONDS "3600"

struct search_engine {
	const struct si_config *cfg;         /* borrowed */
	struct aws_creds_provider *base;     /* owned */
	struct sts_cache *sts;               /* owned */
	struct sigv4_key_cache *keys;        /* owned */
	char **envp;                         /* owned copy: endpoint overrides */
	char *ca_bundle;                     /* AWS_CA_BUNDLE, or NULL */
	char session_name[64];               /* slash-infra-<host> */
	struct org_discovery *org;           /* borrowed, may be NULL */
};

struct search_ctx {
	CURLM *multi;
	unsigned int rng;
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
	struct curl_slist *headers;
	struct aws_query_request *req;      /* owned, NULL until started */
	struct si_buf resp;
	char curl_err[CURL_ERROR_SIZE];
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
	int refreshed;              /* re-assumed once after an expiry */
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
	int oom;
};

static long long s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static unsigned int s_rand(struct search_ctx *ctx)
{
	/* xorshift32: backoff jitter only needs to spread retries, not secrecy. */
	unsigned int x = ctx->rng ? ctx->rng : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	ctx->rng = x;
	return x;
}

/* ------------------------------------------------------------------ */
/* engine and ctx                                                      */

/* Keep the environment the endpoints are resolved from (AWS_ENDPOINT_URL*,
 * AWS_STS_REGIONAL_ENDPOINTS) and the CA bundle path. */
static int s_copy_env(struct search_engine *e, char *const *envp)
{
	size_t n = 0, k = 0;

	while (envp != NULL && envp[n] != NULL)
		n++;
	e->envp = calloc(n + 1, sizeof(*e->envp));
	if (e->envp == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(envp[i], "AWS_ENDPOINT_URL", 16) != 0 &&
		    strncmp(envp[i], "AWS_STS_REGIONAL_ENDPOINTS=", 27) != 0)
			continue;
		e->envp[k] = strdup(envp[i]);
		if (e->envp[k++] == NULL)
			return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "AWS_CA_BUNDLE=", 14) == 0 && envp[i][14] != '\0') {
			e->ca_bundle = strdup(envp[i] + 14);
			if (e->ca_bundle == NULL)
				return -1;
		}
	return 0;
}

struct search_engine *search_engine_new(const struct si_config *cfg, char *const *envp,
					struct aws_creds_provider *base, struct si_err *err)
{
	struct search_engine *e = calloc(1, sizeof(*e));
	char host[48];

	if (e == NULL) {
		aws_creds_provider_free(base);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	e->cfg = cfg;
	e->base = base;
	e->sts = sts_cache_new(S_STS_CACHE_CAP);
	e->keys = sigv4_key_cache_new(64, err);
	if (e->sts == NULL || e->keys == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (s_copy_env(e, envp) != 0) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* RoleSessionName shows in CloudTrail: name the host we run on. Only
	 * [\w+=,.@-] is allowed, at most 64 characters. */
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("+=,.@-_", *p) == NULL)
			*p = '-';
	snprintf(e->session_name, sizeof(e->session_name), "slash-infra-%s", host);
	return e;
fail:
	search_engine_free(e);
	return NULL;
}

void search_engine_free(struct search_engine *e)
{
	if (e == NULL)
		return;
	aws_creds_provider_free(e->base);
	sts_cache_free(e->sts);
	sigv4_key_cache_free(e->keys);
	for (size_t i = 0; e->envp != NULL && e->envp[i] != NULL; i++)
		free(e->envp[i]);
	free(e->envp);
	free(e->ca_bundle);
	free(e);
}

struct search_ctx *search_ctx_new(unsigned int seed, struct si_err *err)
{
	struct search_ctx *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	ctx->multi = curl_multi_init();
	if (ctx->multi == NULL) {
		free(ctx);
		si_err_set(err, SI_ERR_INTERNAL, "curl_multi_init failed");
		return NULL;
	}
	/* Reuse connections per endpoint: keep a few idle ones per host. */
	curl_multi_setopt(ctx->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(ctx->multi, CURLMOPT_MAXCONNECTS, 256L);
	ctx->rng = seed ? seed : 0x9e3779b9u;
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

struct aws_creds_provider *search_engine_base(struct search_engine *e)
{
	return e->base;
}

int search_engine_accounts(const struct search_engine *e, struct search_accounts *out,
			   struct si_err *err)
{
	const struct si_config *cfg = e->cfg;
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

size_t search_count_targets(const struct search_engine *e, const struct search_spec *spec,
			    size_t *n_accounts, size_t *n_regions)
{
	struct search_accounts accs;
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
	curl_slist_free_all(c->headers);
	aws_query_request_free(c->req);
	si_buf_free(&c->resp, 0);
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

static struct s_call *s_call_new(struct s_job *j, enum s_action action, size_t target, size_t account)
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
	si_buf_init(&c->resp, S_MAX_RESPONSE);
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
	if (s_param(c, "Filter.1.Name", filter) != 0 || s_param(c, "Filter.1.Value.1", value) != 0) {
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
	}
}

/* ------------------------------------------------------------------ */
/* failures and matches                                                */

static char *s_dup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

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
	f->account_alias = s_dup(j->accts[t->account].a->alias);
	f->region = s_dup(t->region);
	f->code = s_dup(code);
	f->message = s_dup(msg);
}

static struct search_match *s_new_match(struct s_job *j, size_t target, enum search_match_kind kind)
{
	struct search_result *r = j->out;
	struct s_target *t = &j->targets[target];
	struct search_match *m;

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
	m->account_alias = s_dup(j->accts[t->account].a->alias);
	m->account_id = j->accts[t->account].account_id[0] ? s_dup(j->accts[t->account].account_id) : NULL;
	m->region = s_dup(t->region);
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

			if (s_have_instance(j, j->targets[from->target].region, eni->attached_instance_id))
				continue;
			if (follow == NULL || n_ids == S_MAX_IDS_PER_CALL) {
				if (follow != NULL)
					s_enqueue(j, follow);
				follow = s_call_new(j, S_DESCRIBE_INSTANCES, from->target, from->account);
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
	hit = sts_cache_get(j->e->sts, a->a->role_arn, a->a->external_id, time(NULL), &a->creds);
	if (hit == 1) {
		a->st = CRED_OK;
		s_push(&j->ready, c);
		return;
	}
	ar = s_call_new(j, S_ASSUME_ROLE, c->target, c->account);
	if (ar == NULL || s_param(ar, "RoleArn", a->a->role_arn) != 0 ||
	    s_param(ar, "RoleSessionName", j->e->session_name) != 0 ||
	    s_param(ar, "DurationSeconds", S_SESSION_SECONDS) != 0 ||
	    (a->a->external_id != NULL && s_param(ar, "ExternalId", a->a->external_id) != 0)) {
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
	a->fail_code = s_dup(code);
	a->fail_msg = s_dup(msg);
	s_release_waiters(j, account);
}

/* ------------------------------------------------------------------ */
/* transfers                                                           */

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct s_call *c = userdata;
	size_t n = size * nmemb;

	/* Returning less than n makes libcurl abort the transfer: that is how
	 * an over-size answer is cut off without buffering it. */
	if (si_buf_append(&c->resp, ptr, n, NULL) != 0)
		return 0;
	return n;
}

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

/* Build, sign and hand one call to the multi handle. On failure the call
 * has been consumed (its target failed). */
static int s_start(struct s_job *j, struct s_call *c)
{
	const struct search_engine *e = j->e;
	const struct si_config *cfg = e->cfg;
	struct s_acct *a = &j->accts[c->account];
	struct aws_creds base;
	struct aws_query_param qp[S_MAX_PARAMS + 2];
	struct sigv4_credentials sc;
	struct aws_query_input qi;
	struct si_err err;
	char *url = NULL, *signing_region = NULL;
	const char *service = c->action == S_ASSUME_ROLE ? "sts" : "ec2";
	size_t n = 0;
	int rc = -1;

	memset(&base, 0, sizeof(base));
	if (c->action == S_ASSUME_ROLE) {
		if (aws_creds_provider_get(e->base, time(NULL), &base, &err) != 0) {
			s_account_failed(j, c->account, "NoCredentials", err.msg);
			goto out;
		}
		sc.access_key_id = base.access_key_id;
		sc.secret_access_key = base.secret_access_key;
		sc.session_token = base.session_token;
	} else {
		sc.access_key_id = a->creds.access_key_id;
		sc.secret_access_key = a->creds.secret_access_key;
		sc.session_token = a->creds.session_token;
		c->cred_gen = a->gen;
	}
	for (size_t i = 0; i < c->n_params; i++) {
		qp[n].name = c->params[i].name;
		qp[n].value = c->params[i].value;
		n++;
	}
	if (c->action == S_DESCRIBE_INSTANCES || c->action == S_DESCRIBE_ENIS) {
		/* MaxResults cannot be combined with InstanceId.N. */
		if (c->n_params == 0 || strncmp(c->params[0].name, "InstanceId.", 11) != 0) {
			qp[n].name = "MaxResults";
			qp[n].value = S_PAGE_SIZE;
			n++;
		}
		if (c->next_token != NULL) {
			qp[n].name = "NextToken";
			qp[n].value = c->next_token;
			n++;
		}
	} else if (c->action == S_CHECK) {
		qp[n].name = "MaxResults";
		qp[n].value = "5";
		n++;
	}
	memset(&qi, 0, sizeof(qi));
	if (aws_query_resolve_endpoint(service, j->targets[c->target].region, e->envp,
				       &url, &signing_region, &err) == 0) {
		qi.action = s_action_name(c->action);
		qi.version = c->action == S_ASSUME_ROLE ? S_STS_VERSION : S_EC2_VERSION;
		qi.params = qp;
		qi.n_params = n;
		qi.access_key_id = sc.access_key_id;
		qi.secret_access_key = sc.secret_access_key;
		qi.session_token = sc.session_token;
		qi.region = signing_region;
		qi.service = service;
		qi.endpoint = url;
		qi.now = time(NULL);
		qi.cache = e->keys;
	}
	if (url == NULL || aws_query_build(&qi, &c->req, &err) != 0) {
		if (c->action == S_ASSUME_ROLE)
			s_account_failed(j, c->account, "InvalidRequest", err.msg);
		else
			s_fail_target(j, c->target, "InvalidRequest", err.msg);
		goto out;
	}
	for (size_t i = 0; i < c->req->n_headers; i++) {
		struct curl_slist *h = curl_slist_append(c->headers, c->req->headers[i]);
		if (h == NULL)
			goto oom;
		c->headers = h;
	}
	/* libcurl would add "Expect: 100-continue" for larger bodies. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	c->easy = curl_easy_init();
	if (c->easy == NULL || c->headers == NULL)
		goto oom;
	si_buf_reset(&c->resp);
	c->curl_err[0] = '\0';
	if (curl_easy_setopt(c->easy, CURLOPT_URL, c->req->url) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->req->body) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->req->body_len) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, s_write_cb) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->curl_err) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)cfg->aws_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->aws_connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK)
		goto oom;
	if (e->ca_bundle != NULL &&
	    curl_easy_setopt(c->easy, CURLOPT_CAINFO, e->ca_bundle) != CURLE_OK)
		goto oom;
	if (curl_multi_add_handle(j->ctx->multi, c->easy) != CURLM_OK)
		goto oom;
	s_push(&j->running, c);
	j->in_flight++;
	rc = 0;
	goto out;
oom:
	if (c->action == S_ASSUME_ROLE)
		s_account_failed(j, c->account, "InternalError", "cannot start request");
	else
		s_fail_target(j, c->target, "InternalError", "cannot start request");
out:
	free(url);
	free(signing_region);
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
	curl_slist_free_all(c->headers);
	c->headers = NULL;
	aws_query_request_free(c->req);
	c->req = NULL;
	si_buf_reset(&c->resp);
}

/* AWS says the temporary credentials have expired: assume the role again
 * (once per account and search) instead of failing the target. */
static int s_is_expired(const char *code)
{
	return code != NULL && (strcmp(code, "ExpiredToken") == 0 ||
				strcmp(code, "ExpiredTokenException") == 0 ||
				strcmp(code, "RequestExpired") == 0);
}

static void s_next_page(struct s_job *j, struct s_call *c, const char *token)
{
	struct s_call *n;

	if (token == NULL || token[0] == '\0' || c->page + 1 >= S_MAX_PAGES)
		return;
	n = s_call_new(j, c->action, c->target, c->account);
	if (n == NULL)
		return;
	for (size_t i = 0; i < c->n_params; i++)
		if (s_param(n, c->params[i].name, c->params[i].value) != 0)
			j->oom = 1;
	n->next_token = s_dup(token);
	n->page = c->page + 1;
	s_enqueue(j, n);
}

/* A 200 answer: parse it. Returns 0, or -1 when it did not parse. */
static int s_parse_ok(struct s_job *j, struct s_call *c, struct si_err *err)
{
	struct s_acct *a = &j->accts[c->account];
	int rc = -1;

	switch (c->action) {
	case S_ASSUME_ROLE: {
		struct sts_credentials cr;

		memset(&cr, 0, sizeof(cr));
		if (aws_xml_parse_assume_role(c->resp.data, c->resp.len, &cr, err) != 0)
			break;
		sts_credentials_clear(&a->creds);
		a->creds = cr;
		a->st = CRED_OK;
		(void)sts_cache_put(j->e->sts, a->a->role_arn, a->a->external_id, &a->creds, NULL);
		s_release_waiters(j, c->account);
		rc = 0;
		break;
	}
	case S_DESCRIBE_INSTANCES:
	case S_CHECK: {
		struct ec2_instance_list l;

		memset(&l, 0, sizeof(l));
		if (aws_xml_parse_describe_instances(c->resp.data, c->resp.len, &l, err) != 0)
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
		if (aws_xml_parse_describe_network_interfaces(c->resp.data, c->resp.len, &l, err) != 0)
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

/* Returns 1 when the call was queued again (retry or re-credential), 0
 * when it is finished and may be freed. */
static int s_done(struct s_job *j, struct s_call *c, CURLcode cc)
{
	const struct si_config *cfg = j->e->cfg;
	struct s_acct *a = &j->accts[c->account];
	struct aws_error ae;
	struct si_err err;
	long status = 0;
	char code[64];
	const char *msg = NULL;
	int transport = cc != CURLE_OK;

	memset(&ae, 0, sizeof(ae));
	code[0] = '\0';
	if (!transport)
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (!transport && status == 200) {
		if (s_parse_ok(j, c, &err) == 0)
			return 0;
		snprintf(code, sizeof(code), "MalformedResponse");
		msg = err.msg;
	} else if (transport) {
		snprintf(code, sizeof(code), "%s",
			 cc == CURLE_OPERATION_TIMEDOUT ? "Timeout" : "ConnectionError");
		msg = c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc);
	} else if (aws_xml_parse_error(c->resp.data, c->resp.len, &ae, &err) == 0 && ae.code != NULL) {
		snprintf(code, sizeof(code), "%s", ae.code);
		msg = ae.message;
	} else {
		snprintf(code, sizeof(code), "HTTP%ld", status);
	}

	if (aws_retry_should_retry(transport ? 0 : status, code[0] ? code : NULL, transport,
				   c->attempt + 1, cfg->aws_max_attempts)) {
		long wait = aws_retry_backoff_ms(c->attempt, S_BACKOFF_BASE_MS,
						 cfg->aws_timeout_ms, s_rand(j->ctx));
		c->attempt++;
		s_reset_transfer(c);
		c->not_before_ms = s_now_ms() + wait;
		s_push(&j->delayed, c);
		aws_error_clear(&ae);
		return 1;
	}
	if (c->action != S_ASSUME_ROLE && s_is_expired(code) &&
	    (c->cred_gen != a->gen || !a->refreshed)) {
		/* Signed with credentials that have since been replaced (or are
		 * being replaced): just go again behind the new ones. Otherwise
		 * replace them, once per account and search. */
		if (c->cred_gen == a->gen) {
			a->refreshed = 1;
			a->gen++;
			a->st = CRED_NONE;
			sts_credentials_clear(&a->creds);
			sts_cache_drop(j->e->sts, a->a->role_arn, a->a->external_id);
		}
		s_reset_transfer(c);
		c->attempt = 0;
		s_enqueue(j, c);
		aws_error_clear(&ae);
		return 1;
	}
	if (c->action == S_ASSUME_ROLE)
		s_account_failed(j, c->account, code, msg);
	else
		s_fail_target(j, c->target, code, msg);
	aws_error_clear(&ae);
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

static void s_loop(struct s_job *j)
{
	const int max_inflight = j->e->cfg->max_inflight > 0 ? j->e->cfg->max_inflight : 1;

	for (;;) {
		long long now = s_now_ms(), next_delay;
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
		if (j->ready != NULL && j->in_flight < (size_t)max_inflight)
			continue;
		timeout = j->deadline_ms - now;
		if (next_delay >= 0 && next_delay < timeout)
			timeout = next_delay;
		if (timeout > 1000)
			timeout = 1000;
		if (j->in_flight > 0 || next_delay >= 0)
			curl_multi_poll(j->ctx->multi, NULL, 0, (int)(timeout > 0 ? timeout : 0), NULL);
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

static int s_cmp_match(const void *pa, const void *pb)
{
	const struct search_match *a = pa, *b = pb;
	int d = s_rank(a) - s_rank(b);

	if (d != 0)
		return d;
	d = strcmp(a->account_alias ? a->account_alias : "", b->account_alias ? b->account_alias : "");
	if (d != 0)
		return d;
	d = strcmp(a->region ? a->region : "", b->region ? b->region : "");
	if (d != 0)
		return d;
	return strcmp(s_name(a), s_name(b));
}

static int s_cmp_failure(const void *pa, const void *pb)
{
	const struct search_failure *a = pa, *b = pb;
	int d = strcmp(a->account_alias ? a->account_alias : "", b->account_alias ? b->account_alias : "");

	return d != 0 ? d : strcmp(a->region ? a->region : "", b->region ? b->region : "");
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

int search_run(struct search_engine *e, struct search_ctx *ctx,
	       const struct search_spec *spec, struct search_result *out,
	       struct si_err *err)
{
	struct s_job j;
	long long t0 = s_now_ms();
	int deadline = spec->deadline_ms > 0 ? spec->deadline_ms : e->cfg->deadline_ms;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	j.e = e;
	j.ctx = ctx;
	j.spec = spec;
	j.out = out;
	j.deadline_ms = t0 + deadline;
	out->query_text = s_dup(spec->text ? spec->text : "");
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
	out->elapsed_s = (double)(s_now_ms() - t0) / 1000.0;
	s_job_free(&j);
	if (rc != 0)
		search_result_free(out);
	return rc;
}

size_t search_check_access(struct search_engine *e, struct search_ctx *ctx, FILE *f)
{
	struct search_spec spec;
	struct search_result out;
	struct s_job j;
	struct si_err err;
	size_t failed = 0;

	memset(&spec, 0, sizeof(spec));
	memset(&out, 0, sizeof(out));
	memset(&j, 0, sizeof(j));
	j.e = e;
	j.ctx = ctx;
	j.spec = &spec;
	j.out = &out;
	j.deadline_ms = s_now_ms() + e->cfg->deadline_ms;
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
			if (strcmp(out.failures[k].account_alias, alias) == 0 &&
			    strcmp(out.failures[k].region, j.targets[t].region) == 0)
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
