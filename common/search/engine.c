/*
 * engine.c - one search across accounts x regions (see engine.h): every
 * call of every target on one curl multi handle, built, signed, set up,
 * classified and retried through the shared aws/client.
 */
#include "search/engine.h"

#include <pthread.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "aws/org.h"
#include "aws/query.h"
#include "aws/xml.h"
#include "search/plan.h"
#include "search/private/sink.h"
#include "search/registry.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/http.h"
#include "util/strutil.h"

/* The STS API version whose XML shape aws_xml parses. */
#define S_STS_VERSION "2011-06-15"
/* Follow page tokens at most this many pages per call: 60 x 200 results is
 * more than SEARCH_MAX_MATCHES, so a big answer ends at that cap, which
 * names the target, rather than here; it bounds a runaway paginator. */
#define S_MAX_PAGES 60
/* The user's terms whose "found in a hosted zone" is tracked: all of them
 * (query.h allows at most 10). */
#define SEARCH_HOST_TERMS 16
/* Terms met while following DNS, per search: 5 hops of a few records
 * each in a few accounts; past it a hostile zone would only cost calls. */
#define S_MAX_FOLLOWED 64
/* Addresses of one host name resolved with DNS that are searched. */
#define S_MAX_RESOLVED 8
/* The longest a call waits for its request budget: by then the deadline
 * has passed anyway; it keeps a tiny rate from overflowing the sums. */
#define S_MAX_BUDGET_WAIT_MS (24LL * 3600 * 1000)
/* A service's signing name, as a bucket key ("elasticloadbalancing"). */
#define S_MAX_SERVICE 32
/* Idle multi handles the engine keeps (one per search that ran at once;
 * past it the handle and its connections are closed). */
#define S_IDLE_MULTIS 32
/* Idle connections one multi handle keeps open (CURLMOPT_MAXCONNECTS). */
#define S_MULTI_MAXCONNECTS 256L
/* How long a search waits, at most, before looking again for a slot of
 * SEARCH_ENGINE_INFLIGHT freed by another search (its own transfers wake
 * it sooner). */
#define S_ENGINE_SLOT_WAIT_MS 10

struct search_engine {
	struct search_settings set;          /* accounts borrowed */
	struct aws_client *client;           /* borrowed, shared with discovery */
	struct org_discovery *org;           /* borrowed, may be NULL */
	/* TLS sessions and DNS of every search: one mutex per kind of data,
	 * as curl asks (CURLSHOPT_LOCKFUNC). Connections are not shared
	 * through it: libcurl does not support a connection cache shared by
	 * concurrent threads (CURLSHOPT_SHARE, KNOWN_BUGS); they travel with
	 * the multi handles below instead. */
	CURLSH *share;                       /* owned */
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;           /* guards idle, n_idle */
	CURLM *idle[S_IDLE_MULTIS];          /* owned; the latest given back last */
	size_t n_idle;
	/* Sized to the descriptors the process may open (s_fd_budget): */
	size_t idle_max;                     /* idle multis kept, <= S_IDLE_MULTIS */
	long maxconnects;                    /* idle connections per multi */
	size_t inflight_max;                 /* requests of every search,
	                                      * <= SEARCH_ENGINE_INFLIGHT */
	atomic_size_t in_flight;             /* requests of every search */
};

struct search_ctx {
	uint32_t rng;                        /* backoff jitter */
};

/* A request's strings, copied from the module's struct rt_request. */
struct s_param {
	char *name;                 /* owned */
	char *value;                /* owned */
};

struct s_call {
	struct s_job *job;
	int assume;                 /* an STS AssumeRole for the account */
	const struct rt_type *type; /* whose request; NULL for AssumeRole */
	const struct search_term *term;  /* borrowed from the spec or the job */
	int step;
	size_t parent;
	enum aws_protocol proto;
	char *service;
	char *action;
	char *version;
	char *method;
	char *path;
	char *page_param;
	int global;
	size_t target;              /* index into job->targets */
	size_t account;             /* index into job->accts */
	struct s_param *params;
	size_t n_params;
	int page;
	int attempt;
	unsigned cred_gen;          /* the account's gen when this call was signed */
	int budgeted;               /* holds a token of its request budget
	                             * (spec->rate_per_s) until it starts */
	long long not_before_ms;    /* retry or budget time, monotonic */
	CURL *easy;
	struct aws_request req;     /* owned, empty until started */
	struct si_http_resp resp;
	struct s_call *next;        /* in one of the job's lists */
};

/* A term met while following DNS (a CNAME or ALIAS target, an A
 * record's address), searched in the account that held the record. */
struct s_followed {
	struct plan_follow pf;      /* the term and the strings it points to */
	char *hop;                  /* owned */
	size_t account;
	struct s_followed *next;
};

enum s_cred_state { CRED_NONE, CRED_FETCHING, CRED_OK, CRED_FAILED };

/* One token bucket of the request budget (search_spec.rate_per_s): a
 * service of one target, or of one account for a global service. */
struct s_bucket {
	char service[S_MAX_SERVICE];
	double tokens;              /* below 0: tokens promised to delayed calls */
	long long at_ms;            /* when tokens was brought up to date */
};

/* The buckets of one target or account: a handful, one per service. */
struct s_buckets {
	struct s_bucket *v;         /* owned */
	size_t n;
};

struct s_acct {
	const struct si_account *a;
	char account_id[16];
	enum s_cred_state st;
	struct sts_credentials creds;
	char *fail_code;
	char *fail_msg;
	char fail_rid[SEARCH_FAILURE_RID_MAX];  /* AWS's id of the refusal */
	int refreshed;              /* re-assumed once after AWS refused the
	                             * credentials (expired or forgotten) */
	unsigned gen;               /* bumped each time the credentials are replaced */
	struct s_buckets global_budget;  /* global services' (Route 53) */
};

struct s_target {
	size_t account;
	const char *region;         /* borrowed from config */
	int failed;
	size_t in_flight;           /* its calls in the multi handle but
	                             * AssumeRole (SEARCH_TARGET_INFLIGHT) */
	struct s_buckets budget;    /* per service, when rate_per_s > 0 */
};

struct s_job {
	struct search_engine *e;
	struct search_ctx *ctx;
	CURLM *multi;               /* the engine's, held for the search */
	size_t max_inflight;        /* search_inflight_cap of the targets */
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
	struct rt_sink sink;        /* what modules call back (private/sink.h) */
	struct s_followed *followed;  /* terms met while following DNS */
	size_t n_followed;
	/* The user's host names that a hosted zone answered. */
	unsigned char host_found[SEARCH_HOST_TERMS];
	int checking;               /* --check-config: record every action */
	struct s_check *checks;
	size_t n_checks;
	size_t cap_checks;
};

/* One answer to a --check-config call. */
struct s_check {
	size_t target;
	int global;                 /* a global service's: no region */
	char action[96];            /* "ec2:DescribeInstances" */
	int ok;
	char code[128];
	char message[256];
};

/* The sink a module's rt_plan / rt_answer points to: the job and, while
 * planning, the target and the term. */
struct s_plan_ctx {
	struct rt_sink sink;
	struct s_job *job;
	size_t target;
	const struct search_term *term;
	const struct rt_type *type;
};

struct s_answer_ctx {
	struct rt_sink sink;
	struct s_job *job;
	struct s_call *call;
};

/* ------------------------------------------------------------------ */
/* engine and ctx                                                      */

int search_inflight_cap(int max_inflight, size_t n_targets)
{
	if (max_inflight > 0)
		return max_inflight;
	if (n_targets > SEARCH_AUTO_MAX / SEARCH_AUTO_PER_TARGET)
		return SEARCH_AUTO_MAX;
	if ((int)n_targets * SEARCH_AUTO_PER_TARGET < SEARCH_AUTO_MIN)
		return SEARCH_AUTO_MIN;
	return (int)n_targets * SEARCH_AUTO_PER_TARGET;
}

/* Size the engine's descriptors to RLIMIT_NOFILE: half of it for AWS
 * connections (the rest is the web server's connections, the store, the
 * response_url posts). Every request in flight and every idle connection
 * a kept multi holds is a descriptor; under a small limit (a container's
 * 1024, a test's 40) idle connections kept for speed would otherwise
 * starve accept() and every other search. */
static void s_fd_budget(struct search_engine *e)
{
	struct rlimit rl;
	size_t budget = 65536 / 2;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		budget = (size_t)rl.rlim_cur / 2;
	e->inflight_max = budget < 1 ? 1 : budget;
	if (e->inflight_max > SEARCH_ENGINE_INFLIGHT)
		e->inflight_max = SEARCH_ENGINE_INFLIGHT;
	e->maxconnects = (long)(budget / 8);
	if (e->maxconnects < 1)
		e->maxconnects = 1;
	if (e->maxconnects > S_MULTI_MAXCONNECTS)
		e->maxconnects = S_MULTI_MAXCONNECTS;
	e->idle_max = budget / (size_t)S_MULTI_MAXCONNECTS;
	if (e->idle_max < 1)
		e->idle_max = 1;
	if (e->idle_max > S_IDLE_MULTIS)
		e->idle_max = S_IDLE_MULTIS;
}

/* CURLSHOPT_LOCKFUNC / UNLOCKFUNC: one mutex per kind of data. */
static void s_share_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *arg)
{
	struct search_engine *e = arg;

	(void)easy;
	(void)access;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&e->share_locks[data]);
}

static void s_share_unlock(CURL *easy, curl_lock_data data, void *arg)
{
	struct search_engine *e = arg;

	(void)easy;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&e->share_locks[data]);
}

/* The share every search's easy handles use: TLS sessions, so a
 * connection opened by any search resumes a session another paid for,
 * and DNS answers. 0, or -1 with err. */
static int s_share_new(struct search_engine *e, struct si_err *err)
{
	e->share = curl_share_init();
	if (e->share == NULL ||
	    curl_share_setopt(e->share, CURLSHOPT_LOCKFUNC, s_share_lock) != CURLSHE_OK ||
	    curl_share_setopt(e->share, CURLSHOPT_UNLOCKFUNC, s_share_unlock) != CURLSHE_OK ||
	    curl_share_setopt(e->share, CURLSHOPT_USERDATA, e) != CURLSHE_OK ||
	    curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
		    CURLSHE_OK ||
	    curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "search: cannot set up curl share");
	return 0;
}

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
	if (e->set.max_inflight < 0)
		e->set.max_inflight = 0;        /* auto */
	e->client = client;
	s_fd_budget(e);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&e->share_locks[i], NULL);
	pthread_mutex_init(&e->pool_lock, NULL);
	atomic_init(&e->in_flight, 0);
	if (s_share_new(e, err) != 0) {
		search_engine_free(e);
		return NULL;
	}
	return e;
}

/* The idle multis go first: closing their connections may still touch the
 * share's TLS sessions, and curl_share_cleanup refuses while in use. */
void search_engine_free(struct search_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_idle; i++)
		curl_multi_cleanup(e->idle[i]);
	if (e->share != NULL)
		curl_share_cleanup(e->share);
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&e->share_locks[i]);
	pthread_mutex_destroy(&e->pool_lock);
	free(e);
}

/* A multi handle for one search: the one given back last (it holds the
 * connections most recently used, so a warm search reuses them whatever
 * thread it runs on), or a new one. NULL when curl cannot make one. */
static CURLM *s_multi_take(struct search_engine *e)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&e->pool_lock);
	if (e->n_idle > 0)
		m = e->idle[--e->n_idle];
	pthread_mutex_unlock(&e->pool_lock);
	if (m != NULL)
		return m;
	m = curl_multi_init();
	if (m == NULL)
		return NULL;
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)SEARCH_HOST_CONNECTIONS);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, e->maxconnects);
	return m;
}

/* Give m (no transfer left in it) back for the next search. */
static void s_multi_give(struct search_engine *e, CURLM *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&e->pool_lock);
	if (e->n_idle < e->idle_max) {
		e->idle[e->n_idle++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&e->pool_lock);
	if (m != NULL)
		curl_multi_cleanup(m);
}

struct search_ctx *search_ctx_new(unsigned int seed, struct si_err *err)
{
	struct search_ctx *ctx = si_zalloc(sizeof(*ctx), err);

	if (ctx == NULL)
		return NULL;
	ctx->rng = seed ? (uint32_t)seed : 0x9e3779b9u;
	return ctx;
}

void search_ctx_free(struct search_ctx *ctx)
{
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
	if (!si_in_list_ci(alias, spec->accounts, spec->n_accounts))
		return 0;
	if (!si_in_list_ci(region, spec->regions, spec->n_regions))
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
	for (size_t i = 0; i < c->n_params; i++) {
		free(c->params[i].name);
		free(c->params[i].value);
	}
	free(c->params);
	free(c->service);
	free(c->action);
	free(c->version);
	free(c->method);
	free(c->path);
	free(c->page_param);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	aws_request_clear(&c->req);
	/* AssumeRole answers carried secrets. */
	si_http_resp_free(&c->resp, c->assume);
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

/* Append a copy of name = value (value NULL: skipped). */
static int s_param(struct s_call *c, const char *name, const char *value)
{
	struct s_param *p;

	if (value == NULL)
		return 0;
	if (c->n_params >= RT_MAX_PARAMS)
		return -1;
	p = realloc(c->params, (c->n_params + 1) * sizeof(*c->params));
	if (p == NULL)
		return -1;
	c->params = p;
	p = &c->params[c->n_params];
	p->name = strdup(name);
	p->value = strdup(value);
	c->n_params++;
	return p->name != NULL && p->value != NULL ? 0 : -1;
}

static struct s_call *s_call_new(struct s_job *j, size_t target, size_t account)
{
	struct s_call *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		j->oom = 1;
		return NULL;
	}
	c->job = j;
	c->target = target;
	c->account = account;
	c->parent = RT_NO_PARENT;
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

static int s_dup(char **slot, const char *s)
{
	*slot = NULL;
	if (s == NULL)
		return 0;
	*slot = strdup(s);
	return *slot != NULL ? 0 : -1;
}

/* A call of type t for term in target, copied from the module's request
 * (which only borrows its strings), and queued. */
static int s_queue_request(struct s_job *j, size_t target, const struct rt_type *t,
			   const struct search_term *term, const struct rt_request *rq)
{
	struct s_call *c = s_call_new(j, target, j->targets[target].account);
	int bad = 0;

	if (c == NULL)
		return -1;
	c->type = t;
	c->term = term;
	c->step = rq->step;
	c->parent = rq->parent;
	c->proto = rq->proto;
	c->global = rq->global;
	bad |= s_dup(&c->service, rq->service) | s_dup(&c->action, rq->action);
	bad |= s_dup(&c->version, rq->version) | s_dup(&c->method, rq->method);
	bad |= s_dup(&c->path, rq->path) | s_dup(&c->page_param, rq->page_param);
	for (size_t i = 0; i < rq->n_params && !bad; i++)
		bad |= s_param(c, rq->params[i].name, rq->params[i].value);
	if (bad || c->service == NULL || c->action == NULL) {
		j->oom |= bad;
		s_call_free(c);
		return -1;
	}
	s_enqueue(j, c);
	return 0;
}

/* The types that may hold term: the one it is pinned to, else every type
 * answering its kind (a host name without a pinned type goes to the types
 * that take any host: Route 53). */
static int s_type_wants(const struct rt_type *t, const struct search_term *term)
{
	if (t->plan == NULL)
		return 0;
	if (term->type != NULL)
		return t == term->type;
	switch (term->kind) {
	case SEARCH_TERM_NAME:
		return (t->by & RT_BY_NAME) != 0;
	case SEARCH_TERM_CIDR:
		return (t->by & RT_BY_CIDR) != 0;
	case SEARCH_TERM_HOST:
		return (t->by & RT_BY_HOST) != 0 && t->dns_suffixes == NULL;
	case SEARCH_TERM_IPV4:
	case SEARCH_TERM_IPV6:
		return (t->by & RT_BY_ADDR) != 0;
	case SEARCH_TERM_CHECK:
	case SEARCH_TERM_LIST:
		return 1;       /* every type with a plan */
	default:
		/* The EC2 kinds of the first version: instance ids, DNS names
		 * and interface ids are the two EC2 types' own. */
		return t == rt_by_name("instance") || t == rt_by_name("network-interface");
	}
}

/* Plan one term in one target: ask each type that may hold it. Why the
 * first-of-account flag: a global service (Route 53) is asked once per
 * account, from the account's first selected target. */
static void s_plan_term(struct s_job *j, size_t target, const struct search_term *term)
{
	const struct s_target *tg = &j->targets[target];
	int first = target == 0 || j->targets[target - 1].account != tg->account;

	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];
		struct s_plan_ctx pc = { { j->sink.ops }, j, target, term, t };
		struct rt_plan p = { term, tg->region, j->accts[tg->account].account_id, first,
				     &pc };

		if (!s_type_wants(t, term))
			continue;
		if (t->global && !first)
			continue;
		if (t->plan(&p) != 0)
			j->oom = 1;
	}
}

/* ------------------------------------------------------------------ */
/* failures and matches                                                */

/* Remember that a target failed; the first reason wins, later ones for the
 * same target add nothing for the reader. service, action and rid (AWS's
 * request id) name the call that failed, for the operator's log line
 * (search_pool.c); each may be NULL. */
static void s_fail_target_at(struct s_job *j, size_t target, const char *service,
			     const char *action, const char *rid, const char *code,
			     const char *msg)
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
	(void)snprintf(f->account_id, sizeof(f->account_id), "%s",
		       j->accts[t->account].account_id);
	/* Cut names cannot happen (short AWS names); a cut one still says
	 * which call it was. A request id is whole or absent. */
	(void)snprintf(f->service, sizeof(f->service), "%s", service ? service : "");
	(void)snprintf(f->action, sizeof(f->action), "%s", action ? action : "");
	if (rid != NULL && strlen(rid) < sizeof(f->aws_request_id))
		memcpy(f->aws_request_id, rid, strlen(rid) + 1);
}

static void s_fail_target(struct s_job *j, size_t target, const char *code, const char *msg)
{
	s_fail_target_at(j, target, NULL, NULL, NULL, code, msg);
}

/* The same, for the target of call c, which failed. */
static void s_fail_call(struct s_job *j, const struct s_call *c, const char *rid,
			const char *code, const char *msg)
{
	s_fail_target_at(j, c->target, c->service, c->action, rid, code, msg);
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

/* ---- the sink the modules call (search/private/sink.h) ---- */

static int s_sink_plan_request(struct rt_plan *p, const struct rt_request *rq)
{
	struct s_plan_ctx *pc = p->priv;

	return s_queue_request(pc->job, pc->target, pc->type, pc->term, rq);
}

static struct res_resource *s_sink_new_resource(struct rt_answer *a, const struct rt_type *t,
						size_t *index)
{
	struct s_answer_ctx *ac = a->priv;
	struct search_match *m = s_new_match(ac->job, ac->call->target, SEARCH_MATCH_RESOURCE);

	if (m == NULL)
		return NULL;
	m->res.type = t;
	/* A global service's resource (a Route 53 record) is in no region. */
	if (t->global && res_set(&m->region, "global", &(struct si_err){ 0 }) != 0)
		ac->job->oom = 1;
	if (ac->call->term >= ac->job->spec->terms &&
	    ac->call->term < ac->job->spec->terms + ac->job->spec->n_terms &&
	    (size_t)(ac->call->term - ac->job->spec->terms) < SEARCH_HOST_TERMS)
		ac->job->host_found[ac->call->term - ac->job->spec->terms] = 1;
	if (ac->call->term->hop != NULL &&
	    res_set(&m->res.hop, ac->call->term->hop, &(struct si_err){ 0 }) != 0)
		ac->job->oom = 1;
	if (index != NULL)
		*index = ac->job->out->n_matches - 1;
	return &m->res;
}

static struct res_resource *s_sink_resource(struct rt_answer *a, size_t index)
{
	struct s_answer_ctx *ac = a->priv;
	struct search_result *r = ac->job->out;

	if (index >= r->n_matches || r->matches[index].kind != SEARCH_MATCH_RESOURCE)
		return NULL;
	return &r->matches[index].res;
}

static int s_sink_follow(struct rt_answer *a, const struct rt_request *rq)
{
	struct s_answer_ctx *ac = a->priv;

	if (ac->job->full)
		return 0;
	return s_queue_request(ac->job, ac->call->target, ac->call->type, ac->call->term, rq);
}

/* The same call again for the next page (page_param = token). */
static int s_sink_next_page(struct rt_answer *a, const char *token)
{
	struct s_answer_ctx *ac = a->priv;
	struct s_job *j = ac->job;
	struct s_call *c = ac->call, *n;
	int bad = 0;

	if (c->page_param == NULL || c->page + 1 >= S_MAX_PAGES || j->full)
		return 0;
	n = s_call_new(j, c->target, c->account);
	if (n == NULL)
		return -1;
	n->type = c->type;
	n->term = c->term;
	n->step = c->step;
	n->parent = c->parent;
	n->proto = c->proto;
	n->global = c->global;
	n->page = c->page + 1;
	bad |= s_dup(&n->service, c->service) | s_dup(&n->action, c->action);
	bad |= s_dup(&n->version, c->version) | s_dup(&n->method, c->method);
	bad |= s_dup(&n->path, c->path) | s_dup(&n->page_param, c->page_param);
	for (size_t i = 0; i < c->n_params && !bad; i++)
		if (strcmp(c->params[i].name, c->page_param) != 0)
			bad |= s_param(n, c->params[i].name, c->params[i].value);
	bad |= s_param(n, c->page_param, token);
	if (bad) {
		s_call_free(n);
		return -1;
	}
	s_enqueue(j, n);
	return 0;
}

/* A host name or address met in a record: a new term, planned in every
 * selected target of the account that held the record. Why bounded by
 * depth and count: zones may point in circles (a CNAME to itself) or fan
 * out, and each hop costs calls. */
static int s_sink_follow_host(struct rt_answer *a, const char *host, const char *hop)
{
	struct s_answer_ctx *ac = a->priv;
	struct s_job *j = ac->job;
	const struct s_call *c = ac->call;
	struct s_followed *f;
	size_t account = c->account;

	if (c->term->depth + 1 > RT_MAX_HOPS || j->n_followed >= S_MAX_FOLLOWED || j->full)
		return 0;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	if (plan_follow(host, &f->pf) != 0) {
		free(f);
		return 0;           /* nothing we can search (say, an external name) */
	}
	/* Compared as classified (case, final dot and EC2 names decoded),
	 * with the user's own terms too: a CNAME back to one is a loop. */
	for (size_t i = 0; i < j->spec->n_terms; i++)
		if (j->spec->terms[i].kind == f->pf.term.kind &&
		    strcmp(j->spec->terms[i].value, f->pf.term.value) == 0) {
			free(f);
			return 0;
		}
	for (const struct s_followed *o = j->followed; o != NULL; o = o->next)
		if (o->account == account && o->pf.term.kind == f->pf.term.kind &&
		    strcmp(o->pf.term.value, f->pf.term.value) == 0) {
			free(f);
			return 0;   /* already followed: a loop or a fan-in */
		}
	f->hop = strdup(hop != NULL ? hop : host);
	if (f->hop == NULL) {
		free(f);
		return -1;
	}
	f->pf.term.hop = f->hop;
	f->pf.term.depth = c->term->depth + 1;
	f->account = account;
	f->next = j->followed;
	j->followed = f;
	j->n_followed++;
	for (size_t t = 0; t < j->n_targets; t++) {
		const struct s_target *tg = &j->targets[t];

		if (tg->account != account ||
		    (f->pf.term.region != NULL && strcmp(f->pf.term.region, tg->region) != 0))
			continue;
		s_plan_term(j, t, &f->pf.term);
	}
	return 0;
}

static const char *s_sink_hop(const struct rt_answer *a)
{
	const struct s_answer_ctx *ac = a->priv;

	return ac->call->term->hop;
}

/* Move the instances of a page into the result (ownership moves too). */
static void s_sink_take_instances(struct rt_answer *a, struct ec2_instance_list *l)
{
	struct s_answer_ctx *ac = a->priv;
	struct s_job *j = ac->job;
	size_t target = ac->call->target;

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

/* Interfaces not attached to an instance are matches of their own (the
 * ENI module asks for the attached ones' instances itself). */
static void s_sink_take_enis(struct rt_answer *a, struct ec2_eni_list *l)
{
	struct s_answer_ctx *ac = a->priv;
	struct s_job *j = ac->job;

	for (size_t i = 0; i < l->n; i++) {
		struct ec2_eni *eni = &l->items[i];
		struct search_match *m;

		if (eni->eni_id == NULL || s_have_eni(j, eni->eni_id))
			continue;
		m = s_new_match(j, ac->call->target, SEARCH_MATCH_ENI);
		if (m == NULL)
			return;
		m->eni = *eni;
		memset(eni, 0, sizeof(*eni));
	}
}

static const struct rt_sink_ops s_sink_ops = {
	s_sink_plan_request, s_sink_new_resource, s_sink_resource, s_sink_follow,
	s_sink_next_page, s_sink_follow_host, s_sink_hop, s_sink_take_instances,
	s_sink_take_enis
};

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

	if (c->assume) {
		s_push(&j->ready, c);
		return;
	}
	switch (a->st) {
	case CRED_OK:
		s_push(&j->ready, c);
		return;
	case CRED_FAILED:
		/* The target made no call of its own: its role was refused. */
		s_fail_target_at(j, c->target, "sts", "AssumeRole", a->fail_rid, a->fail_code,
				 a->fail_msg);
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
	ar = s_call_new(j, c->target, c->account);
	if (ar != NULL) {
		ar->assume = 1;
		ar->proto = AWS_PROTO_QUERY;
		if (s_dup(&ar->service, "sts") != 0 || s_dup(&ar->action, "AssumeRole") != 0 ||
		    s_dup(&ar->version, S_STS_VERSION) != 0)
			j->oom = 1;
	}
	if (ar == NULL || j->oom || s_assume_params(j, ar, a) != 0) {
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

/* rid: AWS's id of the refusing request, or NULL. */
static void s_account_failed(struct s_job *j, size_t account, const char *code, const char *msg,
			     const char *rid)
{
	struct s_acct *a = &j->accts[account];

	a->st = CRED_FAILED;
	free(a->fail_code);
	free(a->fail_msg);
	a->fail_code = si_strdup_opt(code);
	a->fail_msg = si_strdup_opt(msg);
	a->fail_rid[0] = '\0';
	if (rid != NULL && strlen(rid) < sizeof(a->fail_rid))
		memcpy(a->fail_rid, rid, strlen(rid) + 1);
	s_release_waiters(j, account);
}

/* ------------------------------------------------------------------ */
/* transfers                                                           */

/* The aws_call a search call makes; params point into qp, which the
 * caller provides (c->n_params entries) and keeps while building. */
static void s_describe(const struct s_job *j, const struct s_call *c, struct aws_query_param *qp,
		       struct aws_call *call)
{
	for (size_t i = 0; i < c->n_params; i++)
		qp[i] = (struct aws_query_param){ c->params[i].name, c->params[i].value };
	memset(call, 0, sizeof(*call));
	call->proto = c->proto;
	call->service = c->service;
	call->region = j->targets[c->target].region;
	call->action = c->action;
	call->version = c->version;
	call->params = qp;
	call->n_params = c->n_params;
	call->method = c->method;
	call->path = c->path;
	call->global = c->global;
}

/* The call failed (before it could be sent, or with AWS's answer, whose
 * request id rid is, or NULL): its account (AssumeRole) or target
 * (everything else) carries the reason. */
static void s_start_failed(struct s_job *j, struct s_call *c, const char *code, const char *msg,
			   const char *rid)
{
	if (c->assume)
		s_account_failed(j, c->account, code, msg, rid);
	else
		s_fail_call(j, c, rid, code, msg);
}

/* c entered (delta 1) or left (-1) the multi handle: the search's, its
 * target's (but for AssumeRole) and the engine's counts of requests in
 * flight. */
static void s_count_running(struct s_job *j, const struct s_call *c, int delta)
{
	if (delta > 0) {
		j->in_flight++;
		if (!c->assume)
			j->targets[c->target].in_flight++;
		atomic_fetch_add(&j->e->in_flight, 1);
	} else {
		j->in_flight--;
		if (!c->assume)
			j->targets[c->target].in_flight--;
		atomic_fetch_sub(&j->e->in_flight, 1);
	}
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
	struct aws_query_param qp[RT_MAX_PARAMS + 4];
	struct aws_keys k;
	struct aws_call call;
	struct si_err err;
	int rc = -1;

	/* Queued while the account had credentials, which AWS has since
	 * refused (and another call dropped): wait for the new ones. */
	if (!c->assume && a->st != CRED_OK) {
		s_enqueue(j, c);
		return 0;
	}
	memset(&base, 0, sizeof(base));
	if (c->assume) {
		if (aws_creds_provider_get(aws_client_base(e->client), time(NULL), &base,
					   &err) != 0) {
			s_account_failed(j, c->account, "NoCredentials", err.msg, NULL);
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
		s_start_failed(j, c, "InvalidRequest", err.msg, NULL);
		goto out;
	}
	c->easy = curl_easy_init();
	if (c->easy == NULL ||
	    aws_client_prepare(e->client, c->easy, &c->req, &c->resp, NULL, &err) != 0 ||
	    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_SHARE, e->share) != CURLE_OK ||
	    curl_multi_add_handle(j->multi, c->easy) != CURLM_OK) {
		s_start_failed(j, c, "InternalError", "cannot start request", NULL);
		goto out;
	}
	s_push(&j->running, c);
	s_count_running(j, c, 1);
	c->budgeted = 0;            /* a retry is another request: another token */
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

/* New credentials go to the client's shared cache too, so the next search
 * and discovery skip their own AssumeRole for this role. */
static int s_took_credentials(struct s_job *j, struct s_call *c, struct si_err *err)
{
	struct s_acct *a = &j->accts[c->account];
	struct sts_credentials cr;

	memset(&cr, 0, sizeof(cr));
	if (aws_xml_parse_assume_role(c->resp.body.data, c->resp.body.len, &cr, err) != 0)
		return -1;
	sts_credentials_clear(&a->creds);
	a->creds = cr;
	a->st = CRED_OK;
	aws_client_remember_role(j->e->client, a->a->role_arn, a->a->external_id, &a->creds);
	s_release_waiters(j, c->account);
	return 0;
}

/* A 200 answer: hand it to the type that asked. Returns 0, or -1 when it
 * did not parse (s_done then fails the call without a retry). */
static int s_parse_ok(struct s_job *j, struct s_call *c, struct si_err *err)
{
	struct aws_query_param qp[RT_MAX_PARAMS + 4];
	struct s_answer_ctx ac = { { &s_sink_ops }, j, c };
	struct rt_answer a;

	if (c->assume)
		return s_took_credentials(j, c, err);
	for (size_t i = 0; i < c->n_params; i++)
		qp[i] = (struct aws_query_param){ c->params[i].name, c->params[i].value };
	a = (struct rt_answer){ c->type, c->term, c->step, c->parent, j->targets[c->target].region,
				j->accts[c->account].account_id, qp, c->n_params, &ac };
	return c->type->answer(&a, c->resp.body.data, c->resp.body.len, err);
}

/* Permission refusals: what --check-config reports as a failed action.
 * Any other answer (a made-up name "not found", a validation error)
 * proves the role may make the call. */
static int s_denied(const struct aws_outcome *o)
{
	static const char *const codes[] = {
		"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
		"UnauthorizedAccess", "AuthorizationError", NULL
	};

	if (o->transport || o->status == 0 || o->status >= 500 || o->creds_refused)
		return 1;
	for (size_t i = 0; codes[i] != NULL; i++)
		if (strcmp(o->code, codes[i]) == 0)
			return 1;
	return o->code[0] == '\0' && o->status == 403;
}

/* Record one --check-config answer (OOM: the row is lost, j->oom set). */
static void s_check_row(struct s_job *j, const struct s_call *c, const struct aws_outcome *o)
{
	struct s_check *row;

	if (j->n_checks == j->cap_checks) {
		size_t ncap = j->cap_checks ? j->cap_checks * 2 : 64;
		void *p = realloc(j->checks, ncap * sizeof(*j->checks));

		if (p == NULL) {
			j->oom = 1;
			return;
		}
		j->checks = p;
		j->cap_checks = ncap;
	}
	row = &j->checks[j->n_checks++];
	memset(row, 0, sizeof(*row));
	row->target = c->target;
	row->global = c->global;
	snprintf(row->action, sizeof(row->action), "%s:%s",
		 strcmp(c->service, "elasticloadbalancing") == 0 ? "elasticloadbalancing"
								 : c->service, c->action);
	row->ok = o == NULL || o->ok || !s_denied(o);
	if (o != NULL && !row->ok) {
		snprintf(row->code, sizeof(row->code), "%s", o->label);
		snprintf(row->message, sizeof(row->message), "%s", o->message);
	}
}

static int s_cmp_check(const void *pa, const void *pb)
{
	const struct s_check *a = pa, *b = pb;

	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	return strcmp(a->action, b->action);
}

/* "Not in this target": the type says which AWS codes mean that. */
static int s_absent(const struct s_call *c, const char *code)
{
	const char *const *v = c->type != NULL ? c->type->absent_codes : NULL;

	for (size_t i = 0; v != NULL && v[i] != NULL && code[0] != '\0'; i++)
		if (strcmp(v[i], code) == 0)
			return 1;
	return 0;
}

/* 1 when rid is worth logging: a plain token (AWS's are UUIDs, or S3's
 * base64-ish pair), so a hostile endpoint cannot put text in the log. */
static int s_rid_token(const char *rid, size_t len, size_t cap)
{
	return len > 0 && len < cap &&
	       strspn(rid, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "-_.:/+=") == len;
}

/* AWS's id of the failed request c, for the operator: the header every
 * protocol sends (x-amzn-RequestId; x-amz-request-id from S3-style
 * endpoints), else the XML error body's RequestId (EC2 and the Query
 * services put it there; JSON bodies carry none). "" when neither: a
 * transport failure, or a libcurl older than 7.84 and a JSON answer. */
static void s_aws_request_id(struct s_call *c, const struct aws_outcome *o, char *out,
			     size_t n)
{
	struct aws_error e;
	struct si_err err;

	out[0] = '\0';
	if (o->status <= 0 || c->easy == NULL)
		return;
#if LIBCURL_VERSION_NUM >= 0x075400
	{
		static const char *const names[] = { "x-amzn-RequestId", "x-amz-request-id" };
		struct curl_header *h;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (curl_easy_header(c->easy, names[i], 0, CURLH_HEADER, -1, &h) ==
			    CURLHE_OK && h->value != NULL &&
			    s_rid_token(h->value, strlen(h->value), n)) {
				memcpy(out, h->value, strlen(h->value) + 1);
				return;
			}
	}
#endif
	if (c->resp.body.len == 0 || c->resp.body.data[0] != '<' ||
	    aws_error_describe(o->status, c->resp.body.data, c->resp.body.len, NULL, &e,
			       &err) != 0)
		return;
	if (e.request_id != NULL && s_rid_token(e.request_id, strlen(e.request_id), n))
		memcpy(out, e.request_id, strlen(e.request_id) + 1);
	aws_error_clear(&e);
}

/* Why: every finished transfer ends here, and this is where the search
 * decides between done, retry later, assume the role again, or fail. The
 * classification and the retry and backoff rules are the client's (the
 * same as discovery's); only "credentials refused: re-assume once per
 * account and search" and "this code means not here" are the engine's
 * own. Refused covers expired (ExpiredToken, RequestExpired) and forgotten
 * (AuthFailure, InvalidClientTokenId, UnrecognizedClientException): an
 * endpoint that lost the session it issued answers those until the cached
 * credentials would have expired (about 55 minutes), so the cache entry is
 * dropped for every search, not just this one. Assumes c was removed from
 * the multi handle and its status can still be read from c->easy. Returns
 * 1 when the call was queued again, 0 when it is finished and may be
 * freed. */
static int s_done(struct s_job *j, struct s_call *c, CURLcode cc)
{
	struct search_engine *e = j->e;
	struct s_acct *a = &j->accts[c->account];
	struct aws_query_param qp[RT_MAX_PARAMS + 4];
	struct aws_outcome o;
	struct aws_call call;
	struct si_err err;
	char rid[SEARCH_FAILURE_RID_MAX];

	s_describe(j, c, qp, &call);
	aws_client_classify_easy(e->client, &call, c->easy, cc, &c->resp, c->attempt + 1, &o);
	if (j->checking && !c->assume && !o.retry && !o.creds_refused) {
		s_check_row(j, c, &o);
		return 0;
	}
	if (o.ok) {
		if (s_parse_ok(j, c, &err) == 0)
			return 0;
		/* A 200 that does not parse will not parse on a retry either.
		 * One over a limit (too many items, too long a value) is named
		 * apart: the endpoint answered, but more than we hold. */
		snprintf(o.label, sizeof(o.label), "%s",
			 err.code == SI_ERR_LIMIT ? "AnswerTooLarge" : "MalformedResponse");
		snprintf(o.message, sizeof(o.message), "%s", err.msg);
	} else if (!c->assume && s_absent(c, o.code)) {
		return 0;
	} else if (o.retry) {
		long wait = aws_client_backoff_ms(e->client, c->attempt + 1,
						  si_backoff_rand(&j->ctx->rng));

		c->attempt++;
		s_reset_transfer(c);
		c->not_before_ms = si_mono_ms() + wait;
		s_push(&j->delayed, c);
		return 1;
	} else if (!c->assume && o.creds_refused && (c->cred_gen != a->gen || !a->refreshed)) {
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
	s_aws_request_id(c, &o, rid, sizeof(rid));
	s_start_failed(j, c, o.label, o.message[0] ? o.message : NULL, rid[0] ? rid : NULL);
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

/* The bucket of service in set, created full (burst tokens) when new;
 * NULL on OOM. */
static struct s_bucket *s_bucket_get(struct s_buckets *set, const char *service, double burst,
				     long long now)
{
	struct s_bucket *b;

	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i].service, service) == 0)
			return &set->v[i];
	b = realloc(set->v, (set->n + 1) * sizeof(*set->v));
	if (b == NULL)
		return NULL;
	set->v = b;
	b = &set->v[set->n++];
	memset(b, 0, sizeof(*b));
	snprintf(b->service, sizeof(b->service), "%s", service);
	b->tokens = burst;
	b->at_ms = now;
	return b;
}

/*
 * The request budget (search_spec.rate_per_s): may c start at now?
 * Returns 0 when it may (no budget, an AssumeRole, a token in hand or
 * taken now), 1 when it was put on the delayed list until its token will
 * have been earned. Why reservations: a call takes its token when it is
 * first ready, even one the bucket holds only in the future (tokens below
 * 0), and waits once, for exactly that long; so calls go in the order
 * they came, at the rate, and the loop sleeps until the next is due (no
 * busy wait, no herd of calls retrying for one token). The bucket is per
 * service of the call's target (per account for a global service), holds
 * at most max(1, rate) tokens and starts full. STS is not counted: one
 * AssumeRole per account, cached. On OOM c may start (j->oom fails the
 * search anyway).
 */
static int s_budget(struct s_job *j, struct s_call *c, long long now)
{
	const double rate = j->spec->rate_per_s;
	const double burst = rate > 1.0 ? rate : 1.0;
	struct s_buckets *set;
	struct s_bucket *b;
	double wait;
	long long ms;

	if (!(rate > 0.0) || c->assume || c->budgeted)
		return 0;
	set = c->global ? &j->accts[c->account].global_budget : &j->targets[c->target].budget;
	b = s_bucket_get(set, c->service, burst, now);
	if (b == NULL) {
		j->oom = 1;
		return 0;
	}
	if (now > b->at_ms)
		b->tokens += (double)(now - b->at_ms) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at_ms = now > b->at_ms ? now : b->at_ms;
	b->tokens -= 1.0;
	c->budgeted = 1;
	if (b->tokens >= 0.0)
		return 0;
	wait = -b->tokens * 1000.0 / rate;
	if (!(wait < (double)S_MAX_BUDGET_WAIT_MS)) {
		ms = S_MAX_BUDGET_WAIT_MS;
	} else {
		ms = (long long)wait;
		ms += (double)ms < wait;        /* rounded up: never early */
	}
	c->not_before_ms = now + ms;
	s_push(&j->delayed, c);
	return 1;
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

	while ((msg = curl_multi_info_read(j->multi, &left)) != NULL) {
		struct s_call *c = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		curl_multi_remove_handle(j->multi, msg->easy_handle);
		s_unlink(&j->running, c);
		s_count_running(j, c, -1);
		if (s_done(j, c, msg->data.result) == 0)
			s_call_free(c);
	}
}

/* The deadline passed: every target still owed an answer is named. */
static void s_give_up(struct s_job *j, struct s_call **list)
{
	struct s_call *c;

	while ((c = s_pop(list)) != NULL) {
		s_fail_call(j, c, NULL, "Timeout", "deadline reached");
		s_call_free(c);
	}
}

/* Remove every transfer still in the multi handle (deadline). */
static void s_abort_running(struct s_job *j)
{
	struct s_call *c;

	while ((c = s_pop(&j->running)) != NULL) {
		curl_multi_remove_handle(j->multi, c->easy);
		s_count_running(j, c, -1);
		s_fail_call(j, c, NULL, "Timeout", "deadline reached");
		s_call_free(c);
	}
}

/* Whether the search may start one more call: under its own cap and,
 * unless it has none in flight (so it always progresses), under the
 * engine's cap for all searches. */
static int s_slot_free(const struct s_job *j)
{
	if (j->in_flight >= j->max_inflight)
		return 0;
	return j->in_flight == 0 || atomic_load(&j->e->in_flight) < j->e->inflight_max;
}

/* The first ready call that may start (an AssumeRole, or a call whose
 * target has fewer than SEARCH_TARGET_INFLIGHT in flight), unlinked when
 * take; NULL when none may. */
static struct s_call *s_startable(struct s_job *j, int take)
{
	for (struct s_call **pp = &j->ready; *pp != NULL; pp = &(*pp)->next) {
		struct s_call *c = *pp;

		if (!c->assume && j->targets[c->target].in_flight >= SEARCH_TARGET_INFLIGHT)
			continue;
		if (take) {
			*pp = c->next;
			c->next = NULL;
		}
		return c;
	}
	return NULL;
}

/* The multi loop: start what is ready (within the search's, the target's
 * and the engine's caps, each call within its request budget), wake
 * delayed retries and budgeted calls, let libcurl work, collect what
 * finished, and wait on the sockets for at most a second or until the
 * next delayed call is due (or, when only the engine's cap holds calls
 * back, S_ENGINE_SLOT_WAIT_MS). Why one thread: per-transfer state hangs
 * off CURLOPT_PRIVATE, so nothing here is shared. Assumes j is set up; at
 * the deadline everything still owed an answer is failed as "Timeout". */
static void s_loop(struct s_job *j)
{
	j->max_inflight = (size_t)search_inflight_cap(j->e->set.max_inflight, j->n_targets);
	if (j->multi == NULL)
		j->multi = s_multi_take(j->e);
	if (j->multi == NULL)
		j->oom = 1;     /* no multi handle: fail the search as OOM */
	for (;;) {
		long long now = si_mono_ms(), next_delay;
		long long timeout;
		int running = 0;
		struct s_call *c;

		if (now >= j->deadline_ms || j->multi == NULL)
			break;
		next_delay = s_wake_delayed(j, now);
		while (s_slot_free(j) && (c = s_startable(j, 1)) != NULL) {
			if (s_budget(j, c, now) == 0)
				(void)s_start(j, c);
		}
		/* Calls the budget held back are due later than now: the sleep
		 * below must end for the first of them. */
		if (j->spec->rate_per_s > 0.0)
			next_delay = s_wake_delayed(j, now);
		if (j->in_flight == 0 && j->ready == NULL && j->delayed == NULL)
			break;          /* everything answered (waiters were released) */
		curl_multi_perform(j->multi, &running);
		s_drain_finished(j);
		/* Finished calls freed slots and may have queued follow-ups or
		 * released waiters: start those before sleeping. */
		if (s_slot_free(j) && s_startable(j, 0) != NULL)
			continue;
		timeout = j->deadline_ms - now;
		if (next_delay >= 0 && next_delay < timeout)
			timeout = next_delay;
		if (timeout > 1000)
			timeout = 1000;
		if (j->in_flight < j->max_inflight && s_startable(j, 0) != NULL &&
		    timeout > S_ENGINE_SLOT_WAIT_MS)
			timeout = S_ENGINE_SLOT_WAIT_MS;  /* held by other searches */
		if (j->in_flight > 0 || next_delay >= 0)
			curl_multi_poll(j->multi, NULL, 0, (int)(timeout > 0 ? timeout : 0), NULL);
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

	if (m->kind == SEARCH_MATCH_RESOURCE)
		return m->res.name ? m->res.name : (m->res.id ? m->res.id : "");
	if (m->kind == SEARCH_MATCH_ENI)
		return m->eni.eni_id ? m->eni.eni_id : "";
	n = ec2_tag_get(m->instance.tags, m->instance.n_tags, "Name");
	return n ? n : (m->instance.instance_id ? m->instance.instance_id : "");
}

/* Running instances first (what an on-call engineer is after), then what
 * the term itself names, then interfaces, other instances, and last what
 * was reached by following DNS, in the order of the chain; within a rank
 * by alias, region, name. */
static int s_rank(const struct search_match *m)
{
	if (m->kind == SEARCH_MATCH_RESOURCE)
		return m->res.hop != NULL ? 4 : 1;
	if (m->kind == SEARCH_MATCH_ENI)
		return 2;
	return m->instance.state != NULL && strcmp(m->instance.state, "running") == 0 ? 0 : 3;
}

static int s_cmp_match(const void *pa, const void *pb)
{
	const struct search_match *a = pa, *b = pb;
	int d = s_rank(a) - s_rank(b);

	if (d != 0)
		return d;
	if (a->kind == SEARCH_MATCH_RESOURCE && b->kind == SEARCH_MATCH_RESOURCE) {
		d = (int)strlen(a->res.hop ? a->res.hop : "") -
		    (int)strlen(b->res.hop ? b->res.hop : "");
		if (d != 0)
			return d;
	}
	d = si_strcmp0(a->account_alias, b->account_alias);
	if (d != 0)
		return d;
	d = si_strcmp0(a->region, b->region);
	if (d != 0)
		return d;
	return strcmp(s_name(a), s_name(b));
}

/* Two parses of the same resource give the same fields; two record sets
 * of one name (A and AAAA, weighted sets) differ in theirs. */
static int s_same_fields(const struct res_resource *a, const struct res_resource *b)
{
	if (a->n_fields != b->n_fields)
		return 0;
	for (size_t i = 0; i < a->n_fields; i++)
		if (si_strcmp0(a->fields[i].key, b->fields[i].key) != 0 ||
		    si_strcmp0(a->fields[i].value, b->fields[i].value) != 0)
			return 0;
	return 1;
}

/* The same resource found twice (by two terms, or once directly and once
 * through a DNS chain) is shown once: the first kept. Runs after every
 * call finished, when no rt_follow parent index points into the array
 * any more. */
static void s_dedupe(struct search_result *r)
{
	size_t out = 0;

	for (size_t i = 0; i < r->n_matches; i++) {
		struct search_match *m = &r->matches[i];
		int dup = 0;

		if (m->kind == SEARCH_MATCH_RESOURCE) {
			for (size_t k = 0; k < out && !dup; k++) {
				const struct search_match *o = &r->matches[k];

				dup = o->kind == SEARCH_MATCH_RESOURCE &&
				      o->res.type == m->res.type &&
				      si_strcmp0(o->res.id, m->res.id) == 0 &&
				      si_strcmp0(o->account_id, m->account_id) == 0 &&
				      si_strcmp0(o->account_alias, m->account_alias) == 0 &&
				      si_strcmp0(o->region, m->region) == 0 &&
				      s_same_fields(&o->res, &m->res);
			}
		}
		if (dup) {
			search_match_clear(m);
			continue;
		}
		if (out != i)
			r->matches[out] = *m;
		out++;
	}
	r->n_matches = out;
}

static int s_cmp_failure(const void *pa, const void *pb)
{
	const struct search_failure *a = pa, *b = pb;
	int d = si_strcmp0(a->account_alias, b->account_alias);

	return d != 0 ? d : si_strcmp0(a->region, b->region);
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
	j->sink.ops = &s_sink_ops;
}

static void s_job_free(struct s_job *j)
{
	s_multi_give(j->e, j->multi);
	j->multi = NULL;
	for (size_t i = 0; i < j->n_accts; i++) {
		sts_credentials_clear(&j->accts[i].creds);
		free(j->accts[i].fail_code);
		free(j->accts[i].fail_msg);
		free(j->accts[i].global_budget.v);
	}
	for (size_t i = 0; i < j->n_targets; i++)
		free(j->targets[i].budget.v);
	free(j->accts);
	free(j->targets);
	search_accounts_release(&j->accounts);
	s_list_free(j->ready);
	s_list_free(j->waiting);
	s_list_free(j->delayed);
	s_list_free(j->running);
	while (j->followed != NULL) {
		struct s_followed *f = j->followed;

		j->followed = f->next;
		free(f->hop);
		free(f);
	}
	free(j->checks);
}

size_t search_resolve_system(void *arg, const char *host, char (*out)[46], size_t max)
{
	struct addrinfo hints, *res = NULL;
	size_t n = 0;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		const void *addr = ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		int dup = 0;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    inet_ntop(ai->ai_family, addr, out[n], 46) == NULL)
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(out[k], out[n]) == 0;
		if (!dup)
			n++;
	}
	freeaddrinfo(res);
	return n;
}

/* Is term one of the user's host names that no hosted zone answered? */
static int s_unanswered_host(const struct s_job *j, size_t i)
{
	const struct search_term *t = &j->spec->terms[i];

	return t->kind == SEARCH_TERM_HOST && t->type == NULL && !j->host_found[i];
}

/* Why a second round: a host name in no hosted zone of ours may still be
 * ours behind someone else's DNS (a vanity domain, a CDN), and what it
 * resolves to is the best lead we have. The addresses are searched like
 * the user's own terms, in every selected target, and the reply says they
 * came from DNS (result->dns_note). Only with [search] resolve_dns. */
static void s_resolve_round(struct s_job *j)
{
	const struct search_settings *set = &j->e->set;
	struct si_buf note;
	int planned = 0;

	if (!set->resolve_dns)
		return;
	si_buf_init(&note, 4096);
	for (size_t i = 0; i < j->spec->n_terms && i < SEARCH_HOST_TERMS; i++) {
		char addrs[S_MAX_RESOLVED][46];
		size_t n;

		if (!s_unanswered_host(j, i))
			continue;
		n = (set->resolve ? set->resolve : search_resolve_system)(set->resolve_arg,
					j->spec->terms[i].value, addrs, S_MAX_RESOLVED);
		(void)si_buf_printf(&note, NULL, "%s%s →", note.len ? "; " : "",
				    j->spec->terms[i].value);
		if (n == 0)
			(void)si_buf_puts(&note, " no address", NULL);
		for (size_t k = 0; k < n; k++) {
			struct s_followed *f = calloc(1, sizeof(*f));
			char hop[400];

			(void)si_buf_printf(&note, NULL, "%s %s", k ? "," : "", addrs[k]);
			if (f == NULL || plan_follow(addrs[k], &f->pf) != 0) {
				free(f);
				continue;
			}
			snprintf(hop, sizeof(hop), "%s → DNS %s", j->spec->terms[i].value,
				 addrs[k]);
			f->hop = strdup(hop);
			f->pf.term.hop = f->hop;
			f->pf.term.depth = 1;
			f->account = SIZE_MAX;
			f->next = j->followed;
			j->followed = f;
			if (f->hop == NULL) {
				j->oom = 1;
				continue;
			}
			for (size_t t = 0; t < j->n_targets; t++)
				s_plan_term(j, t, &f->pf.term);
			planned = 1;
		}
	}
	if (note.len > 0)
		j->out->dns_note = si_buf_steal(&note);
	si_buf_free(&note, 0);
	if (planned)
		s_loop(j);
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
	out->query_note = si_strdup_opt(spec->note);
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
	s_resolve_round(&j);
	if (j.oom) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory during search");
		goto out;
	}
	s_dedupe(out);
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

/* Why per action: a role may allow DescribeInstances and not
 * DescribeTargetHealth, and only the second search would find out. Every
 * type plans its check calls (SEARCH_TERM_CHECK) through the same loop as
 * a search, so this proves exactly what a search needs; the rows are
 * printed per target in action order. Assumes f is writable; the deadline
 * is the search deadline. */
size_t search_check_access(struct search_engine *e, struct search_ctx *ctx, FILE *f)
{
	const struct search_term check = { .kind = SEARCH_TERM_CHECK, .value = "" };
	struct search_spec spec;
	struct search_result out;
	struct s_job j;
	struct si_err err;
	size_t failed = 0;

	memset(&spec, 0, sizeof(spec));
	s_job_init(&j, e, ctx, &spec, &out, si_mono_ms() + e->set.deadline_ms);
	j.checking = 1;
	if (s_build_targets(&j, &err) != 0) {
		fprintf(f, "error: %s\n", err.msg);
		s_job_free(&j);
		return 1;
	}
	for (size_t t = 0; t < j.n_targets; t++)
		s_plan_term(&j, t, &check);
	s_loop(&j);
	if (j.n_checks > 1)
		qsort(j.checks, j.n_checks, sizeof(*j.checks), s_cmp_check);
	for (size_t i = 0; i < j.n_checks; i++) {
		const struct s_check *c = &j.checks[i];
		const struct s_target *tg = &j.targets[c->target];

		if (i > 0 && c->target == j.checks[i - 1].target &&
		    strcmp(c->action, j.checks[i - 1].action) == 0)
			continue;       /* one line per action, the first answer */
		fprintf(f, "%-20s %-16s %-46s %s%s%s\n", j.accts[tg->account].a->alias,
			c->global ? "global" : tg->region, c->action, c->ok ? "ok" : c->code,
			c->ok ? "" : ": ",
			c->ok ? "" : c->message);
		failed += !c->ok;
	}
	/* Targets whose role could not be assumed made no call at all. */
	for (size_t k = 0; k < out.n_failures; k++) {
		fprintf(f, "%-20s %-16s %-46s %s: %s\n", out.failures[k].account_alias,
			out.failures[k].region, "(all)", out.failures[k].code,
			out.failures[k].message ? out.failures[k].message : "");
		failed++;
	}
	s_job_free(&j);
	search_result_free(&out);
	return failed;
}
