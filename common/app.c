#include "app.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "access.h"
#include "audit.h"
#include "index.h"
#include "journal.h"
#include "slack/action.h"
#include "slack/form.h"
#include "search/query.h"
#include "slack/replay.h"
#include "render.h"
#include "slack/cmd.h"
#include "slack/sig.h"
#include "store/kept.h"
#include "util/clock.h"
#include "util/logfmt.h"
#include "util/metrics.h"
#include "util/strutil.h"

/* Distinct regions and aliases listed in help; more would not fit a help
 * message (the renderer truncates within Slack's limits anyway). */
#define APP_HELP_REGIONS_MAX 64
#define APP_ALIASES_MAX 256

/* Signatures remembered for replay protection. Each costs ~64 bytes of
 * table; 65536 covers 100 requests/s over the 10-minute span in which one
 * signature can verify, far above a Slack workspace's command rate. */
#define APP_REPLAY_CAPACITY 65536

struct app {
	const struct si_config *cfg;    /* borrowed */
	struct search_pool *pool;       /* borrowed, may be NULL */
	struct replay_cache *replay;    /* owned */
	struct journal *journal;        /* borrowed, may be NULL */
	/* [links] for every search this app submits; the strings are the
	 * configuration's (borrowed). */
	struct render_links links;
	/* /readyz's last state-store probe, so a flood of probes costs the
	 * store at most one write per APP_READY_PROBE_MS (owned; the lock is
	 * taken from const app calls, hence a pointer). */
	struct app_ready *ready;
	/* The last help message rendered (owned; struct app_help). */
	struct app_help *help;
};

/* Why a cache: help depends only on the command name and the accounts'
 * aliases and regions, which change only when the organisation's accounts
 * do, and rendering it was 40% of a help request's instructions; a copy
 * of the last one, checked against exactly what it was rendered from,
 * answers the same bytes. */
struct app_help {
	pthread_mutex_t lock;
	char *key;                /* s_help_key() of the rendered message */
	size_t key_len;
	char *json;
};

/* An empty help cache, or NULL (out of memory: help is then rendered
 * every time). */
static struct app_help *s_help_new(void)
{
	struct app_help *h = calloc(1, sizeof(*h));

	if (h != NULL)
		pthread_mutex_init(&h->lock, NULL);
	return h;
}

struct app_ready {
	pthread_mutex_t lock;
	long long at_ms;          /* si_mono_ms() of the last probe; 0: none */
	int ok;
	char reason[SI_ERR_MSG_MAX];
};

/* How long a state-store probe answers for: load balancers probe every few
 * seconds; a second keeps the answer fresh and the store's load nil. */
#define APP_READY_PROBE_MS 1000
/* The probe's replay-cache key prefix: real keys are Slack signatures
 * ("v0=..."), so a probe never collides with one. */
#define APP_READY_KEY "readyz-probe:"

/* The longest /healthz body: "degraded: state store: " and a reason cut
 * to fit; a probe needs the gist, not a page. */
#define APP_HEALTH_TEXT_MAX 300

/* The one content type Slack uses for slash commands; the parameter part
 * (charset) is allowed. */
#define APP_FORM_TYPE "application/x-www-form-urlencoded"

/* A Content-Length with more digits than this is nonsense for us whatever
 * max_body says; it also keeps strtoull far from overflow. */
#define APP_CONTENT_LENGTH_DIGITS 12

/* An arrival hint more than this before our accept is not believed: no
 * request waits a minute in nginx and still has a Slack deadline left. */
#define APP_ARRIVAL_WINDOW_MS 60000

struct app *app_new(const struct si_config *cfg, struct search_pool *pool,
		    struct si_err *err)
{
	struct app *app;

	if (cfg == NULL) {
		si_err_set(err, SI_ERR_INVALID, "app_new: no configuration");
		return NULL;
	}
	app = si_zalloc(sizeof(*app), err);
	if (app == NULL)
		return NULL;
	app->cfg = cfg;
	app->pool = pool;
	app->links.sso_start_url = cfg->link_sso_start_url;
	app->links.role_name = cfg->link_role_name;
	/* Searches claimed from other workers carry no links of their own. */
	if (pool != NULL)
		search_pool_set_links(pool, &app->links);
	/* A timestamp verifies for 300 s either side of our clock, so one
	 * signature can be accepted for 600 s: remember it that long. */
	app->replay = replay_cache_new(APP_REPLAY_CAPACITY, 2 * SLACK_SIG_MAX_SKEW, err);
	app->ready = app->replay != NULL ? si_zalloc(sizeof(*app->ready), err) : NULL;
	if (app->ready == NULL) {
		replay_cache_free(app->replay);
		free(app);
		return NULL;
	}
	pthread_mutex_init(&app->ready->lock, NULL);
	app->help = s_help_new();
	return app;
}

void app_free(struct app *app)
{
	if (app == NULL)
		return;
	replay_cache_free(app->replay);
	pthread_mutex_destroy(&app->ready->lock);
	free(app->ready);
	if (app->help != NULL) {
		pthread_mutex_destroy(&app->help->lock);
		free(app->help->key);
		free(app->help->json);
		free(app->help);
	}
	free(app);
}

/* Why the index opens its own handle on the journal's store: lookups must
 * not queue behind journal writes, and a crawler's transactions in this
 * process have a handle of their own too (inventory.h). It opens at the
 * first search, in this worker (after the fork), like the journal's. */
void app_set_journal(struct app *app, struct journal *journal)
{
	const struct si_config *cfg = app->cfg;
	struct store_settings ss = { .path = cfg->state_path, .url = cfg->state_url };
	struct si_err err;
	struct idx *ix;

	app->journal = journal;
	if (journal == NULL || app->pool == NULL)
		return;
	ix = idx_new(&ss, &err);
	if (ix == NULL) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "inventory not used: searching live");
		logfmt_str(&l, "reason", err.msg);
		logfmt_emit(&l, stderr);
		return;
	}
	search_pool_set_index(app->pool, ix);
}

static void s_copy(char *dst, size_t dst_len, const char *src)
{
	if (src == NULL)
		src = "";
	(void)snprintf(dst, dst_len, "%s", src);
}

const char *app_route_path(const char *document_uri, const char *script_name,
			   const char *request_uri, char *out, size_t out_len)
{
	const char *src = NULL;
	size_t n;

	if (out_len == 0)
		return out;
	if (document_uri != NULL && document_uri[0] != '\0')
		src = document_uri;
	else if (script_name != NULL && script_name[0] != '\0')
		src = script_name;
	else if (request_uri != NULL)
		src = request_uri;
	if (src == NULL) {
		out[0] = '\0';
		return out;
	}
	n = strcspn(src, "?#");
	if (n >= out_len)
		n = out_len - 1;
	memcpy(out, src, n);
	out[n] = '\0';
	return out;
}

void app_response_text(struct app_response *resp, int status, const char *text)
{
	size_t n = strlen(text);

	free(resp->body);
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = malloc(n + 2);
	if (resp->body == NULL) {
		resp->body_len = 0;
		return;
	}
	memcpy(resp->body, text, n);
	resp->body[n] = '\n';
	resp->body[n + 1] = '\0';
	resp->body_len = n + 1;
}

/* 200 with no body at all (text/plain, as app_response_text sets it): what
 * Slack expects for its ssl_check probe and for a retry we already took,
 * where any text would be shown to the user. */
static void s_respond_empty(struct app_response *resp, const char *reason)
{
	resp->reason = reason;
	app_response_text(resp, 200, "");
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

static void s_posts_free(struct app_posts *p)
{
	free(p->url);
	for (size_t i = 0; i < p->n; i++)
		free(p->json[i]);
	memset(p, 0, sizeof(*p));
}

void app_response_free(struct app_response *resp)
{
	if (resp == NULL)
		return;
	search_job_release(resp->job);
	s_posts_free(&resp->posts);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static int s_method_is(const char *method, const char *want)
{
	return method != NULL && strcmp(method, want) == 0;
}

static int s_parse_length(const char *s, size_t *out)
{
	size_t digits = 0;
	unsigned long long v;
	char *end;

	if (s == NULL || s[0] == '\0') {
		*out = 0;
		return 0;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (++digits > APP_CONTENT_LENGTH_DIGITS)
			return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (size_t)v;
	return 0;
}

/* /healthz: "ok", or "degraded: state store: REASON" while the store
 * fails; 200 either way (app.h says why). */
static void s_health(const struct app *app, struct app_response *resp)
{
	char reason[SI_ERR_MSG_MAX], text[APP_HEALTH_TEXT_MAX];

	if (journal_health(app->journal, reason, sizeof(reason)) == STORE_HEALTH_OK) {
		app_response_text(resp, 200, "ok");
		return;
	}
	resp->reason = "state store degraded";
	(void)snprintf(text, sizeof(text), "degraded: state store: %s", reason);
	app_response_text(resp, 200, text);
}

/* Why a write and not journal_health alone: health only reflects the last
 * database call, so a store that went read-only (disk full, a PostgreSQL
 * standby after a failover) or came back looks unchanged until something
 * writes. The probe claims this process's own replay-cache key (its owner
 * id: one row per process, no contention between workers) with an expiry
 * already past, so every probe replaces the row (a real write, the path
 * every slash command takes) and the row is pruned like any expired one.
 * Cached for APP_READY_PROBE_MS. Returns 1 when writable; else 0 with
 * reason (size n) filled. No journal: 1 (no store is configured, nothing
 * to write). */
static int s_store_writable(const struct app *app, char *reason, size_t n)
{
	struct app_ready *r = app->ready;
	char key[STORE_SIGNATURE_MAX];
	enum store_replay seen;
	long long now_ms = si_mono_ms();
	time_t now = time(NULL);
	int ok;

	if (app->journal == NULL)
		return 1;
	pthread_mutex_lock(&r->lock);
	if (r->at_ms == 0 || now_ms - r->at_ms >= APP_READY_PROBE_MS) {
		(void)snprintf(key, sizeof(key), "%s%s", APP_READY_KEY,
			       journal_owner(app->journal));
		r->ok = journal_replay(app->journal, key, now - 1, now, &seen) == 0;
		r->reason[0] = '\0';
		if (!r->ok &&
		    journal_health(app->journal, r->reason, sizeof(r->reason)) == STORE_HEALTH_OK)
			(void)snprintf(r->reason, sizeof(r->reason), "write probe failed");
		r->at_ms = now_ms;
	}
	ok = r->ok;
	(void)snprintf(reason, n, "%s", r->reason);
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* /metrics: every worker's counters (util/metrics.h), as Prometheus
 * text, and the journal's backlog counted in the state store now (NaN
 * without one); 500 when the text cannot be made (no memory). */
static void s_metrics(const struct app *app, struct app_response *resp)
{
	struct si_err err;
	size_t len = 0, pending = 0;
	long long backlog = -1;
	char *text;

	if (app->journal != NULL && journal_pending(app->journal, &pending, &err) == 0)
		backlog = (long long)pending;
	text = metrics_render(time(NULL), backlog, &len, &err);

	if (text == NULL) {
		resp->reason = "metrics failed";
		app_response_text(resp, 500, err.msg);
		return;
	}
	free(resp->body);
	resp->status = 200;
	resp->content_type = METRICS_CONTENT_TYPE;
	resp->body = text;
	resp->body_len = len;
}

/* /readyz: 200 "ready" when this worker can take a search now: its
 * configuration loaded (the app exists only then), the state store takes
 * a write, and the search queue has room; else 503 "not ready: REASON".
 * The queue is checked first: it costs nothing and needs no store. */
static void s_ready(const struct app *app, struct app_response *resp)
{
	char reason[SI_ERR_MSG_MAX], text[APP_HEALTH_TEXT_MAX];
	size_t queued = 0, max = 0;

	if (!search_pool_accepting(app->pool, &queued, &max)) {
		resp->reason = "not ready: search queue";
		(void)snprintf(text, sizeof(text), "not ready: search queue full or stopping "
			       "(%zu of %zu)", queued, max);
		app_response_text(resp, 503, text);
		return;
	}
	if (!s_store_writable(app, reason, sizeof(reason))) {
		resp->reason = "not ready: state store";
		(void)snprintf(text, sizeof(text), "not ready: state store: %s", reason);
		app_response_text(resp, 503, text);
		return;
	}
	app_response_text(resp, 200, "ready");
}

/* The log's name of a Slack route: "infra-search", "interactive", or
 * "unknown" for anything else (NULL too). */
static const char *s_route_name(const char *path)
{
	if (path != NULL && strcmp(path, APP_SLACK_ROUTE) == 0)
		return "infra-search";
	if (path != NULL && strcmp(path, APP_INTERACTIVE_ROUTE) == 0)
		return "interactive";
	return "unknown";
}

/* The GET/HEAD routes answered from the params alone. The health route
 * answers without touching the configuration: if the app exists, the
 * configuration loaded, and that is all a probe should learn. */
static const struct {
	const char *path;
	const char *route;
	void (*answer)(const struct app *app, struct app_response *resp);
} s_probes[] = {
	{ APP_HEALTH_ROUTE, "healthz", s_health },
	{ APP_READY_ROUTE, "readyz", s_ready },
	{ APP_METRICS_ROUTE, "metrics", s_metrics },
};

/* Why a separate step: the worker must not read (or buffer) a body it will
 * refuse, so route, method and length are settled from the FastCGI params
 * alone. Assumes resp is uninitialised (it is zeroed here) and
 * content_length is the raw CONTENT_LENGTH param or NULL; an absent length
 * means an empty body, which app_handle then refuses on its signature.
 * The probes (s_probes) answer here, without a body. */
int app_preflight(const struct app *app, const char *method, const char *path,
		  const char *content_length, size_t *body_len,
		  struct app_response *resp)
{
	size_t len = 0;

	memset(resp, 0, sizeof(*resp));
	*body_len = 0;
	for (size_t i = 0; path != NULL && i < sizeof(s_probes) / sizeof(s_probes[0]); i++) {
		if (strcmp(path, s_probes[i].path) != 0)
			continue;
		resp->route = s_probes[i].route;
		if (!s_method_is(method, "GET") && !s_method_is(method, "HEAD")) {
			resp->allow = "GET, HEAD";
			app_response_text(resp, 405, "method not allowed");
			return 0;
		}
		s_probes[i].answer(app, resp);
		return 0;
	}
	resp->route = s_route_name(path);
	if (strcmp(resp->route, "unknown") == 0) {
		app_response_text(resp, 404, "not found");
		return 0;
	}
	if (!s_method_is(method, "POST")) {
		resp->allow = "POST";
		app_response_text(resp, 405, "method not allowed");
		return 0;
	}
	if (s_parse_length(content_length, &len) != 0) {
		resp->reason = "bad content length";
		app_response_text(resp, 400, "bad content length");
		return 0;
	}
	if (len > app->cfg->max_body) {
		resp->reason = "body too large";
		app_response_text(resp, 413, "request body too large");
		return 0;
	}
	*body_len = len;
	return 1;
}

static int s_is_form(const char *content_type)
{
	size_t n = strlen(APP_FORM_TYPE);

	if (content_type == NULL)
		return 0;
	if (strncasecmp(content_type, APP_FORM_TYPE, n) != 0)
		return 0;
	return content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ';
}

/* The acknowledgement that keeps the command visible in the channel: a
 * constant, so no JSON object is built and serialised per request. */
#define APP_ACK_JSON "{\"response_type\":\"in_channel\"}"

static void s_respond_ack(struct app_response *resp)
{
	free(resp->body);
	resp->body = strdup(APP_ACK_JSON);
	resp->body_len = resp->body != NULL ? strlen(APP_ACK_JSON) : 0;
	resp->status = resp->body != NULL ? 200 : 500;
	resp->content_type = "application/json; charset=utf-8";
}

/* Take ownership of a malloc'd JSON string (NULL: render failed). */
static void s_respond_owned(struct app_response *resp, char *json)
{
	if (json == NULL) {
		app_response_text(resp, 500, "internal error");
		return;
	}
	free(resp->body);
	resp->body = json;
	resp->body_len = strlen(json);
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
}

/* Usage with the configured accounts and regions: ephemeral, since a help
 * text is no news for the channel. */
/* The accounts a search would see: configured plus discovered. Without a
 * pool (front-door tests) only the configured ones. */
static int s_accounts(const struct app *app, struct search_accounts *out, struct si_err *err)
{
	const struct si_config *cfg = app->cfg;

	if (app->pool != NULL)
		return search_engine_accounts(search_pool_engine(app->pool), out, err);
	memset(out, 0, sizeof(*out));
	out->v = calloc(cfg->n_accounts ? cfg->n_accounts : 1, sizeof(*out->v));
	if (out->v == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < cfg->n_accounts; i++)
		out->v[out->n++] = &cfg->accounts[i];
	return 0;
}

/* Aliases and distinct regions of the accounts, for help and checks. The
 * arrays point into accs. */
static void s_names(const struct search_accounts *accs, const char **aliases, size_t max_a,
		    size_t *na, const char **regions, size_t max_r, size_t *nr)
{
	*na = 0;
	*nr = 0;
	for (size_t i = 0; i < accs->n; i++) {
		const struct si_account *a = accs->v[i];

		if (*na < max_a)
			aliases[(*na)++] = a->alias;
		for (size_t r = 0; r < a->n_regions; r++) {
			int seen = 0;

			for (size_t k = 0; k < *nr; k++)
				seen |= strcmp(regions[k], a->regions[r]) == 0;
			if (!seen && *nr < max_r)
				regions[(*nr)++] = a->regions[r];
		}
	}
}

/* What a help message is rendered from, as one malloc'd block (length in
 * *len): whether there is a command, the counts, then every string with
 * its NUL, so two keys are equal exactly when the inputs are. NULL when
 * out of memory. */
static char *s_help_key(const char *command, const char *const *aliases, size_t na,
			const char *const *regions, size_t nr, size_t *len)
{
	char head[64];
	size_t n, at;
	char *key;
	int h = snprintf(head, sizeof(head), "%c %zu %zu", command != NULL ? 'c' : '-', na, nr);

	n = (size_t)h + 1 + (command != NULL ? strlen(command) + 1 : 0);
	for (size_t i = 0; i < na; i++)
		n += strlen(aliases[i]) + 1;
	for (size_t i = 0; i < nr; i++)
		n += strlen(regions[i]) + 1;
	key = malloc(n);
	if (key == NULL)
		return NULL;
	memcpy(key, head, (size_t)h + 1);
	at = (size_t)h + 1;
	for (size_t i = 0; i < 1 + na + nr; i++) {
		const char *p = i == 0 ? command : i <= na ? aliases[i - 1] : regions[i - 1 - na];
		size_t l;

		if (p == NULL)
			continue;
		l = strlen(p) + 1;
		memcpy(key + at, p, l);
		at += l;
	}
	*len = n;
	return key;
}

/* A copy of the cached message when it was rendered from key, else NULL. */
static char *s_help_cached(struct app_help *h, const char *key, size_t len)
{
	char *json = NULL;

	pthread_mutex_lock(&h->lock);
	if (h->json != NULL && h->key_len == len && memcmp(h->key, key, len) == 0)
		json = strdup(h->json);
	pthread_mutex_unlock(&h->lock);
	return json;
}

/* Keep json (copied) as the message for key (taken). */
static void s_help_keep(struct app_help *h, char *key, size_t len, const char *json)
{
	char *copy = strdup(json);

	if (copy == NULL) {
		free(key);
		return;
	}
	pthread_mutex_lock(&h->lock);
	free(h->key);
	free(h->json);
	h->key = key;
	h->key_len = len;
	h->json = copy;
	pthread_mutex_unlock(&h->lock);
}

/* Usage with the configured accounts and regions: ephemeral, since a help
 * text is no news for the channel. Rendered once per command name and
 * set of accounts (struct app_help). */
static char *s_help(const struct app *app, const char *command, struct si_err *err)
{
	struct search_accounts accs;
	const char *aliases[APP_ALIASES_MAX];
	const char *regions[APP_HELP_REGIONS_MAX];
	size_t na, nr, key_len = 0;
	char *json = NULL, *key = NULL;

	if (s_accounts(app, &accs, err) != 0)
		return NULL;
	s_names(&accs, aliases, APP_ALIASES_MAX, &na, regions, APP_HELP_REGIONS_MAX, &nr);
	if (app->help != NULL)
		key = s_help_key(command, aliases, na, regions, nr, &key_len);
	if (key != NULL)
		json = s_help_cached(app->help, key, key_len);
	if (json == NULL) {
		json = render_help(command, aliases, na, regions, nr, err);
		if (json != NULL && key != NULL) {
			s_help_keep(app->help, key, key_len, json);
			key = NULL;
		}
	}
	free(key);
	search_accounts_release(&accs);
	return json;
}

/* Who asked, as the audit line names them (pointers into cmd, and the
 * request id into req). */
static void s_who(const struct app_request *req, const struct slack_cmd *cmd,
		  struct audit_who *w)
{
	w->request_id = req->request_id;
	w->team_id = cmd->team_id;
	w->enterprise_id = cmd->enterprise_id;
	w->user_id = cmd->user_id;
	w->user_name = cmd->user_name;
	w->channel_id = cmd->channel_id;
	w->channel_name = cmd->channel_name;
}

/* Refuse politely, only to the asker, and leave an audit line. */
static void s_refused(struct app_response *resp, const struct app_request *req,
		      const struct slack_cmd *cmd, const char *log_reason,
		      const char *user_text)
{
	struct audit_record r;
	struct audit_who who;
	struct si_err err;

	s_who(req, cmd, &who);
	audit_record_init(&r, &who, cmd->text);
	r.delivery = AUDIT_DELIVERY_NONE;
	r.outcome = AUDIT_OUTCOME_REFUSED;
	r.reason = log_reason;
	audit_emit(&r, stderr);
	resp->reason = log_reason;
	s_respond_owned(resp, render_error(user_text, &err));
}

/* Shown to a user whose search cannot be taken now. */
#define APP_BUSY_TEXT "slash-infra is busy with other searches right now; " \
	"please try again in a few seconds."

/* Refuse politely, only to the asker. */
static void s_ephemeral(struct app_response *resp, const char *reason, const char *text)
{
	struct si_err err;

	resp->reason = reason;
	s_respond_owned(resp, render_error(text, &err));
}

/* What is left of the inline budget for req: counted from its arrival at
 * the web server, so time spent queued (in nginx, the backlog or our
 * door) is not given again. 0 when it is spent: answer now, deferred. */
static int s_inline_wait_ms(int budget_ms, const struct app_request *req)
{
	long long left;

	if (req->arrival_ms <= 0 || req->now_ms <= 0)
		return budget_ms;
	left = req->arrival_ms + budget_ms - req->now_ms;
	if (left < 0)
		return 0;
	return left > budget_ms ? budget_ms : (int)left;
}

/* The config's [links] for a job, or NULL (plain console links). */
static const struct render_links *s_links(const struct app *app)
{
	return app->links.sso_start_url != NULL ? &app->links : NULL;
}

/* Why one place: a command and a Refresh must search exactly what the
 * channel may see. Applies the per-account channel rules of channel_id
 * to p and submits it. Returns 0 with *job (the caller's reference), 1
 * when no account may be searched from the channel, -1 when the job
 * could not be taken; *reason (for the log) and *text (for the user) are
 * set unless 0 is returned. */
static int s_submit(struct app *app, struct search_job_params *p, const char *channel_id,
		    struct search_job **job, const char **reason, const char **text)
{
	struct access_accounts aa;
	struct si_err err;

	*job = NULL;
	memset(&aa, 0, sizeof(aa));
	if (access_accounts_for_channel(app->cfg, channel_id, &aa, &err) != 0) {
		*reason = "access error";
		*text = "slash-infra could not check access.";
		return -1;
	}
	if (aa.n_skipped > 0) {
		if (aa.n_allowed == 0) {
			access_accounts_free(&aa);
			*reason = "no account allowed from channel";
			*text = "None of the configured AWS accounts may be searched "
				"from this channel.";
			return 1;
		}
		p->allowed_accounts = aa.allowed;
		p->n_allowed = aa.n_allowed;
		p->restrict_accounts = 1;
	}
	p->links = s_links(app);
	*job = search_pool_submit(app->pool, p, &err);
	access_accounts_free(&aa);
	p->allowed_accounts = NULL;
	if (*job != NULL)
		return 0;
	if (err.code == SI_ERR_LIMIT) {
		*reason = "busy";
		*text = APP_BUSY_TEXT;
	} else {
		*reason = "submit failed";
		*text = "slash-infra could not start the search.";
	}
	return -1;
}

/* Why the split between inline and deferred: Slack drops a slash-command
 * response after 3 s, so a job gets inline_budget_ms (at most 2.9 s) to
 * finish; after that the user sees an acknowledgement and the answer
 * comes through response_url, which stays valid for 30 minutes. Assumes
 * cmd passed signature, access and response_url checks and q parsed.
 * Channel rules are applied here, not in the engine, because they depend
 * on the request and the engine knows nothing of Slack. On the deferred
 * path resp->job keeps the job's reference for app_after(), which runs
 * after the HTTP response is flushed so the acknowledgement is not held
 * up by the "Searching..." post. */
static void s_search(struct app *app, const struct app_request *req,
		     const struct slack_cmd *cmd, const struct query *q,
		     struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct search_job_params p;
	struct search_job *job;
	const char *reason, *text;
	struct si_err err;
	int rc;

	if (app->pool == NULL) {
		/* No search engine (front-door only): keep the command visible. */
		resp->reason = "accepted";
		s_respond_ack(resp);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.query = q;
	p.text = cmd->text;
	p.response_url = cmd->response_url;
	p.response_type = cfg->response_type == SI_RESPONSE_EPHEMERAL ? RENDER_EPHEMERAL
								       : RENDER_IN_CHANNEL;
	s_who(req, cmd, &p.who);
	/* The search's audit line has never carried enterprise_id (a refusal's
	 * does): kept so, as this change keeps behaviour; see the closing note. */
	p.who.enterprise_id = NULL;
	/* Per-account channel rules: search only what this channel may see. */
	rc = s_submit(app, &p, cmd->channel_id, &job, &reason, &text);
	if (rc == 1) {
		s_refused(resp, req, cmd, reason, text);
		return;
	}
	if (rc != 0) {
		s_ephemeral(resp, reason, text);
		return;
	}
	if (search_job_wait_inline(job, s_inline_wait_ms(cfg->inline_budget_ms, req))) {
		resp->reason = "answered inline";
		s_respond_owned(resp, search_job_render(job, &err));
		search_job_release(job);
		return;
	}
	/* Slow: acknowledge now (the command stays visible, as the Go original
	 * did); the notice and the answer go to response_url. */
	resp->reason = "deferred";
	resp->job = job;
	s_respond_ack(resp);
}

/* One list of a press fits one of the pool's lists. */
_Static_assert(APP_POSTS_MAX <= SEARCH_POOL_POSTS_MAX, "a press's posts fit a pool list");

/* A button press's messages, in order, each counted against the
 * interaction's five uses by construction (APP_POSTS_MAX). With a pool,
 * its notice threads post them (search_pool_queue_posts), so this request
 * thread never waits on Slack. Its queue full (Slack slow, or a burst of
 * presses): logged and dropped, not posted here, since a "busy" message
 * posted from this thread would wait on the very Slack that is slow; the
 * presser sees nothing and may press again. Without a pool (front-door
 * tests) they are posted here. */
static void s_send_posts(struct app *app, struct app_posts *posts)
{
	struct si_err err;

	if (posts->url == NULL) {
		s_posts_free(posts);
		return;
	}
	if (app == NULL || app->pool == NULL) {
		(void)search_pool_send_posts(posts->url, posts->json, posts->n);
	} else if (search_pool_queue_posts(app->pool, posts->url, posts->json, posts->n,
					   &err) != 0) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "response_url delivery");
		logfmt_str(&l, "kind", "interactive");
		logfmt_int(&l, "posts", (long long)posts->n);
		logfmt_str(&l, "result", err.code == SI_ERR_LIMIT ? "busy" : "failed");
		logfmt_str(&l, "error", err.msg);
		logfmt_emit(&l, stderr);
	}
	s_posts_free(posts);
}

void app_after(struct app *app, struct app_response *resp)
{
	if (resp->posts.n > 0)
		s_send_posts(app, &resp->posts);
	if (resp->job == NULL)
		return;
	search_job_queue_notice(resp->job);
	search_job_release(resp->job);
	resp->job = NULL;
}

/* account: and region: must name something configured, or the user would
 * get "nothing found" for a typo. */
static int s_check_modifiers(const struct app *app, const struct query *q,
			     struct si_err *err)
{
	struct search_accounts accs;
	const char **aliases = NULL;
	const char *regions[APP_HELP_REGIONS_MAX];
	size_t na, nr;
	int rc = -1;

	if (q->n_accounts == 0 && q->n_regions == 0)
		return 0;
	if (s_accounts(app, &accs, err) != 0)
		return -1;
	aliases = calloc(accs.n ? accs.n : 1, sizeof(*aliases));
	if (aliases == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		goto out;
	}
	s_names(&accs, aliases, accs.n, &na, regions, APP_HELP_REGIONS_MAX, &nr);
	if (query_check_accounts(q, aliases, na, err) != 0)
		goto out;
	rc = query_check_regions(q, regions, nr, err);
out:
	free(aliases);
	search_accounts_release(&accs);
	return rc;
}

/* Why two caches: the in-memory one answers for this process even with
 * the store down; the store's (shared by every worker and every restart)
 * refuses a replay this process never saw. A signature the store has seen
 * is Slack's retry when it says so (200, start nothing: the first copy's
 * search is in the journal), a replay otherwise. A store that fails leaves
 * the in-memory verdict (journal.h logs the degradation once). */
static enum replay_status s_replay(struct app *app, const struct app_request *req)
{
	int retry = req->slack_retry_num != NULL;
	enum replay_status mem = replay_check(app->replay, req->slack_signature, retry, req->now);
	enum store_replay seen;

	if (app->journal == NULL || (mem != REPLAY_NEW && mem != REPLAY_FULL))
		return mem;
	if (journal_replay(app->journal, req->slack_signature,
			   req->now + 2 * SLACK_SIG_MAX_SKEW, req->now, &seen) != 0)
		return mem;
	if (seen == STORE_REPLAY_SEEN)
		return retry ? REPLAY_RETRY : REPLAY_DUPLICATE;
	return mem;
}

/* Why this order: everything that trusts the body comes after the
 * signature check; the replay cache is consulted only then, so forged
 * requests cannot fill it (replay.h). The same for a command and a button
 * press. Returns 1 when the request may be read, 0 when resp is complete
 * (refused, or Slack's retry of a request already taken). */
static int s_verify(struct app *app, const struct app_request *req,
		    struct app_response *resp)
{
	enum slack_sig_status sig;

	sig = slack_sig_verify(app->cfg->signing_secret, req->slack_timestamp,
			       req->slack_signature, req->body, req->body_len, req->now);
	if (sig != SLACK_SIG_OK) {
		resp->reason = slack_sig_reason(sig);
		app_response_text(resp, 401, resp->reason);
		return 0;
	}
	switch (s_replay(app, req)) {
	case REPLAY_NEW:
		break;
	case REPLAY_FULL:
		/* Every slot holds a live genuine signature: accept, say so. */
		resp->reason = "replay cache full";
		break;
	case REPLAY_RETRY:
		/* Slack retried a request we already took: answer, start nothing. */
		s_respond_empty(resp, "slack retry");
		return 0;
	case REPLAY_DUPLICATE:
	case REPLAY_INVALID:
		metrics_replay_refused();
		resp->reason = "replayed";
		app_response_text(resp, 401, "replayed");
		return 0;
	}
	if (!s_is_form(req->content_type)) {
		resp->reason = "unsupported content type";
		app_response_text(resp, 415, "expected application/x-www-form-urlencoded");
		return 0;
	}
	return 1;
}

static void s_interactive(struct app *app, const struct app_request *req,
			  struct app_response *resp);

/* Why this order: nothing reaches AWS before the signature, replay,
 * response_url, access and query checks have passed. Assumes
 * app_preflight() returned 1 for this request and the worker read exactly
 * body_len bytes. Every path fills resp (the worker always has something
 * to send), and resp->team_id/user_id/channel_id are copied as soon as the
 * form parses so that the access log names the caller even when the
 * request is then refused. A button press (APP_INTERACTIVE_ROUTE) goes to
 * s_interactive. */
void app_handle(struct app *app, const struct app_request *req,
		struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct slack_cmd cmd;
	struct si_err err;
	struct access_decision access;
	struct query q;

	if (req->path != NULL && strcmp(req->path, APP_INTERACTIVE_ROUTE) == 0) {
		s_interactive(app, req, resp);
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	resp->route = "infra-search";
	if (!s_verify(app, req, resp))
		goto out;
	if (slack_cmd_parse(req->body, req->body_len, &cmd, &err) != 0) {
		resp->reason = "bad form";
		app_response_text(resp, 400, err.msg);
		goto out;
	}
	s_copy(resp->team_id, sizeof(resp->team_id), cmd.team_id);
	s_copy(resp->user_id, sizeof(resp->user_id), cmd.user_id);
	s_copy(resp->channel_id, sizeof(resp->channel_id), cmd.channel_id);
	if (cmd.ssl_check) {
		/* Slack checks the certificate with ssl_check=1: answer 200, empty. */
		s_respond_empty(resp, "ssl_check");
		goto out;
	}
	/* The service only ever POSTs to a response_url that passed this check:
	 * a request must not be able to choose where we send data. */
	if (cmd.response_url == NULL ||
	    !slack_cmd_response_url_allowed(cmd.response_url,
					    (const char *const *)cfg->response_url_prefixes,
					    cfg->n_response_url_prefixes)) {
		resp->reason = "response_url not allowed";
		app_response_text(resp, 400, "response_url not allowed");
		goto out;
	}
	if (!access_check(cfg, &cmd, &access)) {
		s_refused(resp, req, &cmd, access.log_reason, access.user_reason);
		goto out;
	}
	if (query_parse_at(cmd.text, req->now, &q, &err) != 0) {
		/* An ID or ARN of a kind we cannot look up yet is told apart
		 * from broken input in the request log. */
		s_ephemeral(resp, q.kind == QUERY_UNKNOWN ? "unsupported term" : "malformed query",
			    err.msg);
		goto out;
	}
	if (q.kind == QUERY_HELP) {
		resp->reason = "help";
		s_respond_owned(resp, s_help(app, cmd.command, &err));
		goto out;
	}
	if (s_check_modifiers(app, &q, &err) != 0) {
		s_ephemeral(resp, "unknown account or region", err.msg);
		goto out;
	}
	s_search(app, req, &cmd, &q, resp);
out:
	slack_cmd_free(&cmd);
}

/* ---- button presses (APP_INTERACTIVE_ROUTE) ------------------------------ */

/* What a press shows when it cannot act on the kept result (issue 14's
 * wording: the user learns why and what to do). */
#define APP_EXPIRED_TEXT "This result has expired (results are kept 30 minutes); " \
	"run the search again."
#define APP_UNAVAILABLE_TEXT "This result could not be loaded (the state store is " \
	"unavailable); run the search again."
#define APP_OTHER_CHANNEL_TEXT "This result belongs to another channel."

/* The buttons render.h draws, by action_id. */
enum s_press {
	S_PRESS_SHOW_ALL = 0,
	S_PRESS_MORE,
	S_PRESS_SHARE,
	S_PRESS_REFRESH,
	S_PRESS_UNKNOWN
};

static const char *const s_press_ids[] = {
	RENDER_ACTION_SHOW_ALL, RENDER_ACTION_MORE, RENDER_ACTION_SHARE, RENDER_ACTION_REFRESH,
};

static enum s_press s_press_of(const char *action_id)
{
	for (size_t i = 0; i < sizeof(s_press_ids) / sizeof(s_press_ids[0]); i++)
		if (strcmp(action_id, s_press_ids[i]) == 0)
			return (enum s_press)i;
	return S_PRESS_UNKNOWN;
}

/* The value a button carries: the result id (KEPT_ID_LEN lower-case hex),
 * and for "more" ":PAGE" (the first page to show, counting from 0, below
 * RENDER_PAGES_MAX). 0, or -1 for anything else: our buttons never send
 * it, so it is refused before the store is asked. */
static int s_press_value(enum s_press kind, const char *value, char id[KEPT_ID_SIZE],
			 size_t *page)
{
	size_t n = value != NULL ? strspn(value, "0123456789abcdef") : 0;
	const char *rest;
	size_t digits;

	*page = 0;
	if (n != KEPT_ID_LEN)
		return -1;
	memcpy(id, value, KEPT_ID_LEN);
	id[KEPT_ID_LEN] = '\0';
	rest = value + KEPT_ID_LEN;
	if (kind != S_PRESS_MORE)
		return rest[0] == '\0' ? 0 : -1;
	if (rest[0] != ':')
		return -1;
	digits = strspn(rest + 1, "0123456789");
	if (digits == 0 || digits > 2 || rest[1 + digits] != '\0')
		return -1;
	for (size_t i = 0; i < digits; i++)
		*page = *page * 10 + (size_t)(rest[1 + i] - '0');
	return *page < RENDER_PAGES_MAX ? 0 : -1;
}

/* Who pressed, as the audit line and the pool name them (pointers into a,
 * and the request id into req). */
static void s_action_who(const struct app_request *req, const struct slack_action *a,
			 struct audit_who *w)
{
	w->request_id = req->request_id;
	w->team_id = a->team_id;
	w->enterprise_id = a->enterprise_id;
	w->user_id = a->user_id;
	w->user_name = a->user_name;
	w->channel_id = a->channel_id;
	w->channel_name = a->channel_name;
}

/* One audit line per press: reason names the action (its action_id), the
 * outcome says how it went, query is the kept search when it was loaded. */
static void s_press_audit(const struct app_request *req, const struct slack_action *a,
			  const struct kept_result *k, enum audit_outcome outcome,
			  enum audit_delivery delivery)
{
	struct audit_record r;
	struct audit_who who;

	s_action_who(req, a, &who);
	audit_record_init(&r, &who, k != NULL ? k->query : NULL);
	r.matches = k != NULL ? k->n_matches : 0;
	r.delivery = delivery;
	r.outcome = outcome;
	r.reason = a->action_id != NULL ? a->action_id : "interaction";
	audit_emit(&r, stderr);
}

/* Queue obj (borrowed; changed here) as the next post of resp: with
 * response_type set when rtype is not NULL, and "replace_original": false
 * unless keep_replace (a post to an interaction's response_url replaces
 * nothing unless it says so; Refresh's answer says so itself). Past
 * APP_POSTS_MAX nothing is queued. 0, or -1 when it cannot be. */
static int s_post_obj(struct app_response *resp, struct json_object *obj, const char *rtype,
		      int keep_replace)
{
	const char *s;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    resp->posts.url == NULL || resp->posts.n >= APP_POSTS_MAX)
		return -1;
	if (rtype != NULL)
		json_object_object_add(obj, "response_type", json_object_new_string(rtype));
	if (!keep_replace)
		json_object_object_add(obj, "replace_original", json_object_new_boolean(0));
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return -1;
	resp->posts.json[resp->posts.n] = strdup(s);
	if (resp->posts.json[resp->posts.n] == NULL)
		return -1;
	resp->posts.n++;
	return 0;
}

/* The same for a message we hold as JSON text (owned; freed here). */
static int s_post_json(struct app_response *resp, char *json, const char *rtype,
		       int keep_replace)
{
	struct json_object *obj;
	int rc;

	if (json == NULL)
		return -1;
	obj = json_tokener_parse(json);
	free(json);
	rc = s_post_obj(resp, obj, rtype, keep_replace);
	json_object_put(obj);
	return rc;
}

/* An ephemeral note to the presser only. */
static void s_post_text(struct app_response *resp, const char *text)
{
	struct si_err err;

	(void)s_post_json(resp, render_error(text, &err), "ephemeral", 0);
}

/* "Show all" and "more": the kept pages from page from on, ephemeral. Up
 * to APP_POSTS_MAX pages when that is all that is left; otherwise
 * APP_POSTS_MAX - 1 and a "more" message whose button continues, so one
 * response_url never gets a sixth post. 0, 1 when from is past the last
 * page, -1 when the kept pages cannot be read. */
static int s_post_pages(struct app_response *resp, const struct kept_result *k, size_t from)
{
	struct json_object *arr;
	size_t n, last;
	struct si_err err;
	int rc = -1;

	arr = k->pages_json != NULL ? json_tokener_parse(k->pages_json) : NULL;
	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0)
		goto out;
	n = json_object_array_length(arr);
	if (from >= n) {
		rc = 1;
		goto out;
	}
	last = n - from <= APP_POSTS_MAX ? n : from + APP_POSTS_MAX - 1;
	for (size_t i = from; i < last; i++)
		if (s_post_obj(resp, json_object_array_get_idx(arr, i), "ephemeral", 0) != 0)
			goto out;
	if (last < n &&
	    s_post_json(resp, render_more_pages(k->id, last, n, &err), "ephemeral", 0) != 0)
		goto out;
	rc = 0;
out:
	json_object_put(arr);
	return rc;
}

/* Why Refresh is a search like a command: the presser may not be the
 * asker, and rules may have changed since, so the kept query goes through
 * the same parse, modifier and channel checks from the presser's channel.
 * The new answer replaces the pressed message (replace_original) through
 * the interaction's response_url, with no "Searching..." notice (quiet):
 * deferred at once, as the HTTP answer to a press is always empty. A job
 * finished already is rendered here and posted by app_after. Returns the
 * press's outcome for the audit line. */
static enum audit_outcome s_refresh(struct app *app, const struct app_request *req,
				    const struct slack_action *a, const struct kept_result *k,
				    struct app_response *resp)
{
	struct search_job_params p;
	struct search_job *job;
	const char *reason, *text;
	struct si_err err;
	struct query q;
	int rc;

	if (app->pool == NULL) {
		resp->reason = "no search engine";
		return AUDIT_OUTCOME_FAILED;
	}
	if (k->query == NULL || query_parse_at(k->query, req->now, &q, &err) != 0 ||
	    q.kind == QUERY_HELP) {
		resp->reason = "malformed query";
		s_post_text(resp, "This search cannot be run again; run it anew.");
		return AUDIT_OUTCOME_INVALID;
	}
	if (s_check_modifiers(app, &q, &err) != 0) {
		resp->reason = "unknown account or region";
		s_post_text(resp, err.msg);
		return AUDIT_OUTCOME_INVALID;
	}
	memset(&p, 0, sizeof(p));
	p.query = &q;
	p.text = k->query;
	p.response_url = a->response_url;
	p.response_type = a->is_ephemeral ? RENDER_EPHEMERAL : RENDER_IN_CHANNEL;
	s_action_who(req, a, &p.who);
	p.who.enterprise_id = NULL;     /* as a command's search line */
	p.replace_original = 1;
	p.quiet = 1;
	rc = s_submit(app, &p, a->channel_id, &job, &reason, &text);
	if (rc != 0) {
		resp->reason = reason;
		s_post_text(resp, text);
		return rc == 1 ? AUDIT_OUTCOME_REFUSED : AUDIT_OUTCOME_FAILED;
	}
	resp->reason = "refresh";
	if (search_job_wait_inline(job, 0))
		(void)s_post_json(resp, search_job_render(job, &err), NULL, 1);
	search_job_release(job);
	return AUDIT_OUTCOME_OK;
}

/* The press on a kept result the presser may use: what each button does
 * (issue14.md "Interactivity"). Returns the outcome for the audit line. */
static enum audit_outcome s_press_kept(struct app *app, const struct app_request *req,
				       const struct slack_action *a, enum s_press kind,
				       size_t page, const struct kept_result *k,
				       struct app_response *resp)
{
	int rc = -1;

	switch (kind) {
	case S_PRESS_SHOW_ALL:
	case S_PRESS_MORE:
		rc = s_post_pages(resp, k, page);
		resp->reason = rc == 0 ? "pages" : rc == 1 ? "no such page" : "pages unreadable";
		break;
	case S_PRESS_SHARE:
		if (k->share_json != NULL)
			rc = s_post_json(resp, strdup(k->share_json), "in_channel", 0);
		resp->reason = rc == 0 ? "shared" : "share unreadable";
		break;
	case S_PRESS_REFRESH:
		return s_refresh(app, req, a, k, resp);
	case S_PRESS_UNKNOWN:
		break;
	}
	if (rc == -1)
		s_post_text(resp, APP_UNAVAILABLE_TEXT);
	return rc == 0 ? AUDIT_OUTCOME_OK : rc == 1 ? AUDIT_OUTCOME_INVALID : AUDIT_OUTCOME_FAILED;
}

/* Why the team and channel must match: the id travels in a message, and a
 * result is only for where it was asked (its matches were searched with
 * that channel's rules). Loads the kept result, says why it cannot be used
 * (expired, store down, another channel), else acts; one audit line. */
static void s_press(struct app *app, const struct app_request *req,
		    const struct slack_action *a, enum s_press kind, const char *id,
		    size_t page, struct app_response *resp)
{
	struct kept_result k;
	int rc;

	memset(&k, 0, sizeof(k));
	rc = app->journal != NULL ? journal_kept(app->journal, id, req->now, &k) : -1;
	if (rc == -1) {
		resp->reason = "store unavailable";
		s_post_text(resp, APP_UNAVAILABLE_TEXT);
		s_press_audit(req, a, NULL, AUDIT_OUTCOME_FAILED, AUDIT_DELIVERY_DEFERRED);
	} else if (rc == 1) {
		resp->reason = "expired";
		s_post_text(resp, APP_EXPIRED_TEXT);
		s_press_audit(req, a, NULL, AUDIT_OUTCOME_NOT_FOUND, AUDIT_DELIVERY_DEFERRED);
	} else if (strcmp(k.team_id, a->team_id) != 0 ||
		   strcmp(k.channel_id, a->channel_id) != 0) {
		resp->reason = "other channel";
		s_post_text(resp, APP_OTHER_CHANNEL_TEXT);
		s_press_audit(req, a, &k, AUDIT_OUTCOME_REFUSED, AUDIT_DELIVERY_DEFERRED);
	} else {
		s_press_audit(req, a, &k, s_press_kept(app, req, a, kind, page, &k, resp),
			      AUDIT_DELIVERY_DEFERRED);
	}
	kept_result_free(&k);
}

/* Why the same checks as a command, in the same order: a press is a
 * request from Slack like any other (signature, replay, content type),
 * names where the answer goes (response_url, prefix-checked before
 * anything is queued for it) and who asks from where (access: the
 * presser's team, user and channel through access_check). The HTTP answer
 * is always 200 with an empty body once the payload is ours; what the user
 * sees goes to resp->posts (app_after). A payload that is not ours (a
 * shortcut) or a button we do not have is answered 200 and logged;
 * a broken one 400. */
static void s_interactive(struct app *app, const struct app_request *req,
			  struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct access_decision access;
	struct slack_action a;
	struct slack_cmd as_cmd;
	char id[KEPT_ID_SIZE];
	struct si_err err;
	enum s_press kind;
	size_t page;

	resp->route = "interactive";
	if (!s_verify(app, req, resp))
		return;
	if (slack_action_parse(req->body, req->body_len, &a, &err) != 0) {
		resp->reason = "bad payload";
		app_response_text(resp, 400, err.msg);
		return;
	}
	s_copy(resp->team_id, sizeof(resp->team_id), a.team_id);
	s_copy(resp->user_id, sizeof(resp->user_id), a.user_id);
	s_copy(resp->channel_id, sizeof(resp->channel_id), a.channel_id);
	if (a.type != SLACK_ACTION_BLOCK_ACTIONS) {
		s_respond_empty(resp, "not a block action");
		goto out;
	}
	if (!slack_cmd_response_url_allowed(a.response_url,
					    (const char *const *)cfg->response_url_prefixes,
					    cfg->n_response_url_prefixes)) {
		resp->reason = "response_url not allowed";
		app_response_text(resp, 400, "response_url not allowed");
		goto out;
	}
	kind = s_press_of(a.action_id);
	if (kind == S_PRESS_UNKNOWN) {
		s_respond_empty(resp, "unknown action");
		goto out;
	}
	if (s_press_value(kind, a.value, id, &page) != 0) {
		resp->reason = "bad action value";
		app_response_text(resp, 400, "bad action value");
		goto out;
	}
	s_respond_empty(resp, NULL);
	resp->posts.url = strdup(a.response_url);
	memset(&as_cmd, 0, sizeof(as_cmd));
	as_cmd.team_id = a.team_id;
	as_cmd.enterprise_id = a.enterprise_id;
	as_cmd.user_id = a.user_id;
	as_cmd.channel_id = a.channel_id;
	if (!access_check(cfg, &as_cmd, &access)) {
		resp->reason = access.log_reason;
		s_post_text(resp, access.user_reason);
		s_press_audit(req, &a, NULL, AUDIT_OUTCOME_REFUSED, AUDIT_DELIVERY_DEFERRED);
		goto out;
	}
	s_press(app, req, &a, kind, id, page, resp);
out:
	slack_action_free(&a);
}

/* A number of digits and at most one '.', then the end: strtod and
 * strtoll would accept spaces, signs, exponents and hex. */
static int s_plain_decimal(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	if (digits == 0 || digits > 16)
		return 0;
	if (s[digits] == '\0')
		return 1;
	return s[digits] == '.' && strspn(s + digits + 1, "0123456789") ==
					   strlen(s + digits + 1);
}

/* Why a window: the hint comes from the web server's clock (the same
 * host in the documented setups) or, for X-Request-Start, possibly from a
 * client. Believing only [accepted - 60 s, accepted] bounds what a wrong
 * clock or a forged header can do: the inline wait only ever gets
 * shorter, never longer than the budget from our own accept. */
long long app_arrival_ms(const char *request_start, const char *x_request_start,
			 long long accepted_ms)
{
	long long hint = 0;
	const char *v;

	if (request_start != NULL && s_plain_decimal(request_start)) {
		char *end;
		long long sec = strtoll(request_start, &end, 10);
		long long ms = 0;

		if (*end == '.') {
			/* nginx's $msec has three decimals; read up to three. */
			int i = 1;

			for (; i <= 3 && isdigit((unsigned char)end[i]); i++)
				ms = ms * 10 + (end[i] - '0');
			for (; i <= 3; i++)
				ms *= 10;
		}
		hint = sec * 1000 + ms;
	} else if (x_request_start != NULL) {
		v = SI_AFTER_PREFIX(x_request_start, "t=");
		if (v != NULL && s_plain_decimal(v) && strchr(v, '.') == NULL)
			hint = strtoll(v, NULL, 10) / 1000;     /* microseconds */
	}
	if (hint <= 0 || hint > accepted_ms || hint < accepted_ms - APP_ARRIVAL_WINDOW_MS)
		return accepted_ms;
	return hint;
}

void app_busy_response(const char *path, struct app_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	metrics_busy("door");
	resp->reason = "busy";
	if (path != NULL && strcmp(path, APP_SLACK_ROUTE) == 0) {
		resp->route = "infra-search";
		s_ephemeral(resp, "busy", APP_BUSY_TEXT);
		return;
	}
	if (path != NULL && strcmp(path, APP_HEALTH_ROUTE) == 0)
		resp->route = "healthz";
	else if (path != NULL && strcmp(path, APP_READY_ROUTE) == 0)
		resp->route = "readyz";
	else
		resp->route = s_route_name(path);
	app_response_text(resp, 503, "busy");
}
