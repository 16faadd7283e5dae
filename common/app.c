#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "slack_cmd.h"
#include "slack_sig.h"

struct app {
	const struct si_config *cfg;    /* borrowed */
};

/* The one content type Slack uses for slash commands; the parameter part
 * (charset) is allowed. */
#define APP_FORM_TYPE "application/x-www-form-urlencoded"

/* A Content-Length with more digits than this is nonsense for us whatever
 * max_body says; it also keeps strtoull far from overflow. */
#define APP_CONTENT_LENGTH_DIGITS 12

struct app *app_new(const struct si_config *cfg, struct si_err *err)
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

/* Usage shown for an empty text or "help". Ephemeral: only the asker sees
 * it, as a help text is no news for the channel. */
static struct json_object *s_help_json(const struct si_config *cfg)
{
	struct json_object *obj = json_object_new_object();
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text),
		     "*Usage:* `/infra-search TERM [TERM ...] [account:ALIAS] [region:REGION]`\n"
		     "TERM is an instance ID, an IP address, an EC2 DNS name, an ENI ID or part of a Name tag.\n"
		     "%zu account(s) configured.", cfg->n_accounts);
	if (n < 0)
		text[0] = '\0';
	json_object_object_add(obj, "response_type", json_object_new_string("ephemeral"));
	json_object_object_add(obj, "text", json_object_new_string(text));
	return obj;
}

static int s_is_help(const char *text)
{
	const char *p = text;
	size_t n;

	if (p == NULL)
		return 1;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == 0 || (n == 4 && strncasecmp(p, "help", 4) == 0);
}

void app_handle(struct app *app, const struct app_request *req,
		struct app_response *resp)
{
	const struct si_config *cfg = app->cfg;
	struct slack_cmd cmd;
	struct si_err err;
	enum slack_sig_status sig;
	struct json_object *obj;

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
	if (s_is_help(cmd.text)) {
		resp->reason = "help";
		s_respond_json(resp, 200, s_help_json(cfg));
		goto out;
	}
	/* Keep the command visible in the channel, as the Go original does. */
	obj = json_object_new_object();
	json_object_object_add(obj, "response_type", json_object_new_string("in_channel"));
	resp->reason = "accepted";
	s_respond_json(resp, 200, obj);
out:
	slack_cmd_free(&cmd);
}
