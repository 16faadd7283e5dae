#include "app.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "access.h"
#include "audit.h"
#include "index.h"
#include "journal.h"
#include "slack/form.h"
#include "search/query.h"
#include "slack/replay.h"
#include "render.h"
#include "slack/cmd.h"
#include "slack/sig.h"
#include "util/logfmt.h"
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
};

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
	/* A timestamp verifies for 300 s either side of our clock, so one
	 * signature can be accepted for 600 s: remember it that long. */
	app->replay = replay_cache_new(APP_REPLAY_CAPACITY, 2 * SLACK_SIG_MAX_SKEW, err);
	if (app->replay == NULL) {
		free(app);
		return NULL;
	}
	return app;
}

void app_free(struct app *app)
{
	if (app == NULL)
		return;
	replay_cache_free(app->replay);
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

/* Take ownership of a json-c object, serialise it into resp, drop it. */
static void s_respond_json(struct app_response *resp, int status, struct json_object *obj)
{
	const char *s;
	size_t n;

	if (obj == NULL) {
		app_response_text(resp, 500, "internal error");
		return;
	}
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	free(resp->body);
	resp->body = malloc(n + 1);
	if (resp->body == NULL) {
		json_object_put(obj);
		resp->body_len = 0;
		resp->status = 500;
		return;
	}
	memcpy(resp->body, s, n + 1);
	resp->body_len = n;
	resp->status = status;
	resp->content_type = "application/json; charset=utf-8";
	json_object_put(obj);
}

void app_response_free(struct app_response *resp)
{
	if (resp == NULL)
		return;
	search_job_release(resp->job);
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

/* Why a separate step: the worker must not read (or buffer) a body it will
 * refuse, so route, method and length are settled from the FastCGI params
 * alone. Assumes resp is uninitialised (it is zeroed here) and
 * content_length is the raw CONTENT_LENGTH param or NULL; an absent length
 * means an empty body, which app_handle then refuses on its signature.
 * The health route answers without touching the configuration: if the app
 * exists, the configuration loaded, and that is all a probe should learn. */
int app_preflight(const struct app *app, const char *method, const char *path,
		  const char *content_length, size_t *body_len,
		  struct app_response *resp)
{
	size_t len = 0;

	memset(resp, 0, sizeof(*resp));
	*body_len = 0;
	if (path != NULL && strcmp(path, APP_HEALTH_ROUTE) == 0) {
		resp->route = "healthz";
		if (!s_method_is(method, "GET") && !s_method_is(method, "HEAD")) {
			resp->allow = "GET, HEAD";
			app_response_text(resp, 405, "method not allowed");
			return 0;
		}
		/* The app only exists once the configuration loaded. */
		s_health(app, resp);
		return 0;
	}
	if (path == NULL || strcmp(path, APP_SLACK_ROUTE) != 0) {
		resp->route = "unknown";
		app_response_text(resp, 404, "not found");
		return 0;
	}
	resp->route = "infra-search";
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

static struct json_object *s_ack_json(void)
{
	struct json_object *obj = json_object_new_object();

	if (obj != NULL)
		json_object_object_add(obj, "response_type", json_object_new_string("in_channel"));
	return obj;
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

/* Usage with the configured accounts and regions: ephemeral, since a help
 * text is no news for the channel. */
static char *s_help(const struct app *app, const char *command, struct si_err *err)
{
	struct search_accounts accs;
	const char *aliases[APP_ALIASES_MAX];
	const char *regions[APP_HELP_REGIONS_MAX];
	size_t na, nr;
	char *json;

	if (s_accounts(app, &accs, err) != 0)
		return NULL;
	s_names(&accs, aliases, APP_ALIASES_MAX, &na, regions, APP_HELP_REGIONS_MAX, &nr);
	json = render_help(command, aliases, na, regions, nr, err);
	search_accounts_release(&accs);
	return json;
}

/* Who asked, as the audit line names them (pointers into cmd). */
static void s_who(const struct slack_cmd *cmd, struct audit_who *w)
{
	w->team_id = cmd->team_id;
	w->enterprise_id = cmd->enterprise_id;
	w->user_id = cmd->user_id;
	w->user_name = cmd->user_name;
	w->channel_id = cmd->channel_id;
	w->channel_name = cmd->channel_name;
}

/* Refuse politely, only to the asker, and leave an audit line. */
static void s_refused(struct app_response *resp, const struct slack_cmd *cmd,
		      const char *log_reason, const char *user_text)
{
	struct audit_record r;
	struct audit_who who;
	struct si_err err;

	s_who(cmd, &who);
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
	struct access_accounts aa;
	struct si_err err;

	memset(&aa, 0, sizeof(aa));
	if (app->pool == NULL) {
		/* No search engine (front-door only): keep the command visible. */
		resp->reason = "accepted";
		s_respond_json(resp, 200, s_ack_json());
		return;
	}
	memset(&p, 0, sizeof(p));
	p.query = q;
	p.text = cmd->text;
	p.response_url = cmd->response_url;
	p.response_type = cfg->response_type == SI_RESPONSE_EPHEMERAL ? RENDER_EPHEMERAL
								       : RENDER_IN_CHANNEL;
	s_who(cmd, &p.who);
	/* The search's audit line has never carried enterprise_id (a refusal's
	 * does): kept so, as this change keeps behaviour; see the closing note. */
	p.who.enterprise_id = NULL;
	/* Per-account channel rules: search only what this channel may see. */
	if (access_accounts_for_channel(cfg, cmd->channel_id, &aa, &err) != 0) {
		s_ephemeral(resp, "access error", "slash-infra could not check access.");
		return;
	}
	if (aa.n_skipped > 0) {
		if (aa.n_allowed == 0) {
			s_refused(resp, cmd, "no account allowed from channel",
				  "None of the configured AWS accounts may be searched "
				  "from this channel.");
			access_accounts_free(&aa);
			return;
		}
		p.allowed_accounts = aa.allowed;
		p.n_allowed = aa.n_allowed;
		p.restrict_accounts = 1;
	}
	job = search_pool_submit(app->pool, &p, &err);
	access_accounts_free(&aa);
	if (job == NULL) {
		if (err.code == SI_ERR_LIMIT)
			s_ephemeral(resp, "busy", APP_BUSY_TEXT);
		else
			s_ephemeral(resp, "submit failed",
				    "slash-infra could not start the search.");
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
	s_respond_json(resp, 200, s_ack_json());
}

void app_after(struct app *app, struct app_response *resp)
{
	(void)app;
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
 * requests cannot fill it (replay.h); and nothing reaches AWS before the
 * response_url, access and query checks have passed. Assumes
 * app_preflight() returned 1 for this request and the worker read exactly
 * body_len bytes. Every path fills resp (the worker always has something
 * to send), and resp->team_id/user_id/channel_id are copied as soon as the
 * form parses so that the access log names the caller even when the
 * request is then refused. */
void app_handle(struct app *app, const struct app_request *req,
		struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct slack_cmd cmd;
	struct si_err err;
	enum slack_sig_status sig;
	struct access_decision access;
	struct query q;

	memset(&cmd, 0, sizeof(cmd));
	resp->route = "infra-search";
	sig = slack_sig_verify(cfg->signing_secret, req->slack_timestamp,
			       req->slack_signature, req->body, req->body_len, req->now);
	if (sig != SLACK_SIG_OK) {
		resp->reason = slack_sig_reason(sig);
		app_response_text(resp, 401, resp->reason);
		goto out;
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
		goto out;
	case REPLAY_DUPLICATE:
	case REPLAY_INVALID:
		resp->reason = "replayed";
		app_response_text(resp, 401, "replayed");
		goto out;
	}
	if (!s_is_form(req->content_type)) {
		resp->reason = "unsupported content type";
		app_response_text(resp, 415, "expected application/x-www-form-urlencoded");
		goto out;
	}
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
		s_refused(resp, &cmd, access.log_reason, access.user_reason);
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
	resp->reason = "busy";
	if (path != NULL && strcmp(path, APP_SLACK_ROUTE) == 0) {
		resp->route = "infra-search";
		s_ephemeral(resp, "busy", APP_BUSY_TEXT);
		return;
	}
	resp->route = path != NULL && strcmp(path, APP_HEALTH_ROUTE) == 0 ? "healthz" : "unknown";
	app_response_text(resp, 503, "busy");
}
