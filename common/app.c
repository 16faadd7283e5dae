#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "query.h"
#include "render.h"
#include "slack_cmd.h"
#include "slack_sig.h"

/* Distinct regions listed in help; more would not fit a help message. */
#define APP_HELP_REGIONS_MAX 64

struct app {
	const struct si_config *cfg;    /* borrowed */
	struct search_pool *pool;       /* borrowed, may be NULL */
};

/* The one content type Slack uses for slash commands; the parameter part
 * (charset) is allowed. */
#define APP_FORM_TYPE "application/x-www-form-urlencoded"

/* A Content-Length with more digits than this is nonsense for us whatever
 * max_body says; it also keeps strtoull far from overflow. */
#define APP_CONTENT_LENGTH_DIGITS 12

struct app *app_new(const struct si_config *cfg, struct search_pool *pool,
		    struct si_err *err)
{
	struct app *app;

	if (cfg == NULL) {
		si_err_set(err, SI_ERR_INVALID, "app_new: no configuration");
		return NULL;
	}
	app = calloc(1, sizeof(*app));
	if (app == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	app->cfg = cfg;
	app->pool = pool;
	return app;
}

void app_free(struct app *app)
{
	free(app);
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

/* Take ownership of a json-c object, serialise it into resp, drop it. */
static void s_respond_json(struct app_response *resp, int status, struct json_object *obj)
{
	const char *s;
	size_t n;

	if (obj == NULL) {
		app_response_text(resp, 500, "internal error");
		return;
	}
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
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
		app_response_text(resp, 200, "ok");
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
static char *s_help(const struct si_config *cfg, const char *command, struct si_err *err)
{
	const char *aliases[256];
	const char *regions[APP_HELP_REGIONS_MAX];
	size_t na = 0, nr = 0;

	for (size_t i = 0; i < cfg->n_accounts && na < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const struct si_account *a = &cfg->accounts[i];

		aliases[na++] = a->alias;
		for (size_t r = 0; r < a->n_regions; r++) {
			int seen = 0;

			for (size_t k = 0; k < nr; k++)
				seen |= strcmp(regions[k], a->regions[r]) == 0;
			if (!seen && nr < APP_HELP_REGIONS_MAX)
				regions[nr++] = a->regions[r];
		}
	}
	return render_help(command, aliases, na, regions, nr, err);
}

/* Refuse politely, only to the asker. */
static void s_ephemeral(struct app_response *resp, const char *reason, const char *text)
{
	struct si_err err;

	resp->reason = reason;
	s_respond_owned(resp, render_error(text, &err));
}

static void s_search(struct app *app, const struct slack_cmd *cmd, const struct query *q,
		     struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct search_job_params p;
	struct search_job *job;
	struct si_err err;

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
	p.team_id = cmd->team_id;
	p.user_id = cmd->user_id;
	p.user_name = cmd->user_name;
	p.channel_id = cmd->channel_id;
	p.channel_name = cmd->channel_name;
	job = search_pool_submit(app->pool, &p, &err);
	if (job == NULL) {
		s_ephemeral(resp, err.code == SI_ERR_LIMIT ? "busy" : "submit failed",
			    err.code == SI_ERR_LIMIT
			    ? "slash-infra is busy with other searches right now; please try again in a few seconds."
			    : "slash-infra could not start the search.");
		return;
	}
	if (search_job_wait_inline(job, cfg->inline_budget_ms)) {
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
	search_job_post_pending(resp->job);
	search_job_release(resp->job);
	resp->job = NULL;
}

/* account: and region: must name something configured, or the user would
 * get "nothing found" for a typo. */
static int s_check_modifiers(const struct si_config *cfg, const struct query *q,
			     struct si_err *err)
{
	const char *aliases[256];
	const char *regions[APP_HELP_REGIONS_MAX];
	size_t na = 0, nr = 0;

	for (size_t i = 0; i < cfg->n_accounts && na < sizeof(aliases) / sizeof(aliases[0]); i++) {
		aliases[na++] = cfg->accounts[i].alias;
		for (size_t r = 0; r < cfg->accounts[i].n_regions; r++) {
			int seen = 0;

			for (size_t k = 0; k < nr; k++)
				seen |= strcmp(regions[k], cfg->accounts[i].regions[r]) == 0;
			if (!seen && nr < APP_HELP_REGIONS_MAX)
				regions[nr++] = cfg->accounts[i].regions[r];
		}
	}
	if (query_check_accounts(q, aliases, na, err) != 0)
		return -1;
	return query_check_regions(q, regions, nr, err);
}

void app_handle(struct app *app, const struct app_request *req,
		struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct slack_cmd cmd;
	struct si_err err;
	enum slack_sig_status sig;
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
		resp->reason = "ssl_check";
		app_response_text(resp, 200, "");
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
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
	if (query_parse(cmd.text, &q, &err) != 0) {
		s_ephemeral(resp, "malformed query", err.msg);
		goto out;
	}
	if (q.kind == QUERY_HELP) {
		resp->reason = "help";
		s_respond_owned(resp, s_help(cfg, cmd.command, &err));
		goto out;
	}
	if (s_check_modifiers(cfg, &q, &err) != 0) {
		s_ephemeral(resp, "unknown account or region", err.msg);
		goto out;
	}
	s_search(app, &cmd, &q, resp);
out:
	slack_cmd_free(&cmd);
}
