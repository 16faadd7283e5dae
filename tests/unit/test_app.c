#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "app.h"
#include "fixture.h"
#include "journal.h"
#include "slack/sig.h"
#include "store/kept.h"
#include "util/clock.h"

#define SECRET "unit-test-secret"
#define NOW ((time_t)1700000000)
#define TS "1700000000"
#define GOOD_URL "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2Fx"

/* The request id every signed request carries (fcgi/worker.c's shape). */
#define T_RID "0123456789abcdef0123456789abcdef"

struct fixture {
	struct si_config cfg;
	struct app *app;
};

static int s_setup(void **state)
{
	static char *envp[] = {
		"SLACK_SIGNING_SECRET=" SECRET,
		"AWS_ROLE_PRODUCTION=arn:aws:iam::111111111111:role/Inspect",
		"SLASH_INFRA_SERVER_MAX_BODY=1024",
		NULL,
	};
	struct fixture *f = calloc(1, sizeof(*f));
	struct si_err err;

	assert_non_null(f);
	assert_int_equal(si_config_load(&f->cfg, NULL, envp, &err), 0);
	f->app = app_new(&f->cfg, NULL, &err);
	assert_non_null(f->app);
	*state = f;
	return 0;
}

static int s_teardown(void **state)
{
	struct fixture *f = *state;

	app_free(f->app);
	si_config_free(&f->cfg);
	free(f);
	return 0;
}

/* Run a POST of body to path through app's app_handle, signed with
 * secret; retry: with X-Slack-Retry-Num. */
static void s_signed(struct app *app, const char *path, const char *body, const char *ctype,
		     const char *secret, int retry, struct app_response *resp)
{
	char sig[SLACK_SIG_HEADER_LEN + 1];
	struct app_request req = {0};

	assert_int_equal(slack_sig_compute(secret, TS, body, strlen(body), sig, NULL), 0);
	req.method = "POST";
	req.path = path;
	req.content_type = ctype;
	req.slack_timestamp = TS;
	req.slack_signature = sig;
	req.body = body;
	req.body_len = strlen(body);
	req.now = NOW;
	req.slack_retry_num = retry ? "1" : NULL;
	req.request_id = T_RID;
	memset(resp, 0, sizeof(*resp));
	app_handle(app, &req, resp);
}

/* Run a signed POST with body through app_handle. */
static void s_post(struct fixture *f, const char *body, const char *ctype,
		   const char *secret, struct app_response *resp)
{
	s_signed(f->app, APP_SLACK_ROUTE, body, ctype, secret, 0, resp);
}

static const char *FORM = "application/x-www-form-urlencoded";

static void test_route_path_prefers_document_uri(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(app_route_path("/a", "/b", "/c?x", out, sizeof(out)), "/a");
	assert_string_equal(app_route_path(NULL, "/b", "/c?x", out, sizeof(out)), "/b");
	assert_string_equal(app_route_path("", "", "/c?x=1", out, sizeof(out)), "/c");
	assert_string_equal(app_route_path(NULL, NULL, NULL, out, sizeof(out)), "");
	/* bounded: a long path is cut, never overflows */
	assert_string_equal(app_route_path("/abcdefgh", NULL, NULL, out, 4), "/ab");
}

static void test_preflight_routes(void **state)
{
	struct fixture *f = *state;
	struct app_response r;
	size_t len;

	assert_int_equal(app_preflight(f->app, "GET", "/healthz", NULL, &len, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	app_response_free(&r);

	assert_int_equal(app_preflight(f->app, "POST", "/healthz", NULL, &len, &r), 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	app_response_free(&r);

	assert_int_equal(app_preflight(f->app, "GET", APP_SLACK_ROUTE, NULL, &len, &r), 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	app_response_free(&r);

	assert_int_equal(app_preflight(f->app, "POST", "/slack/other", "10", &len, &r), 0);
	assert_int_equal(r.status, 404);
	app_response_free(&r);
}

static void test_preflight_content_length(void **state)
{
	struct fixture *f = *state;
	struct app_response r;
	size_t len = 99;

	assert_int_equal(app_preflight(f->app, "POST", APP_SLACK_ROUTE, "1024", &len, &r), 1);
	assert_int_equal(len, 1024);
	assert_int_equal(app_preflight(f->app, "POST", APP_SLACK_ROUTE, "1025", &len, &r), 0);
	assert_int_equal(r.status, 413);
	app_response_free(&r);
	assert_int_equal(app_preflight(f->app, "POST", APP_SLACK_ROUTE, "-1", &len, &r), 0);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
	assert_int_equal(app_preflight(f->app, "POST", APP_SLACK_ROUTE, "99999999999999999999",
					 &len, &r), 0);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
	assert_int_equal(app_preflight(f->app, "POST", APP_SLACK_ROUTE, NULL, &len, &r), 1);
	assert_int_equal(len, 0);
}

/* The arrival hint (app_arrival_ms), as data: what nginx ($msec) and
 * Apache (mod_headers %t) send, and what is not believed. */
struct arrival_case {
	const char *request_start;
	const char *x_request_start;
	long long accepted_ms;
	long long want_ms;
};

static const struct arrival_case s_arrivals[] = {
	/* nginx $msec: seconds with three decimals */
	{"1712345678.123", NULL, 1712345679000LL, 1712345678123LL},
	{"1712345678.1", NULL, 1712345679000LL, 1712345678100LL},
	{"1712345678", NULL, 1712345679000LL, 1712345678000LL},
	/* Apache: t= and microseconds */
	{NULL, "t=1712345678123456", 1712345679000LL, 1712345678123LL},
	/* REQUEST_START wins over the header */
	{"1712345678.500", "t=1712345670000000", 1712345679000LL, 1712345678500LL},
	/* later than our own accept (clock skew): ours */
	{"1712345680.000", NULL, 1712345679000LL, 1712345679000LL},
	/* more than a minute before it: ours */
	{"1712345000.000", NULL, 1712345679000LL, 1712345679000LL},
	/* not plain decimal: ours */
	{" 1712345678", NULL, 1712345679000LL, 1712345679000LL},
	{"1712345678e0", NULL, 1712345679000LL, 1712345679000LL},
	{"-1712345678", NULL, 1712345679000LL, 1712345679000LL},
	{"0x66", NULL, 1712345679000LL, 1712345679000LL},
	{"", NULL, 1712345679000LL, 1712345679000LL},
	{NULL, "1712345678123456", 1712345679000LL, 1712345679000LL},
	{NULL, "t=1712345678.5", 1712345679000LL, 1712345679000LL},
	{NULL, "t=99999999999999999999999", 1712345679000LL, 1712345679000LL},
	{NULL, NULL, 1712345679000LL, 1712345679000LL},
};

static void test_arrival_hint(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_arrivals) / sizeof(s_arrivals[0]); i++) {
		const struct arrival_case *c = &s_arrivals[i];
		long long got = app_arrival_ms(c->request_start, c->x_request_start,
					       c->accepted_ms);

		if (got != c->want_ms)
			fail_msg("case %zu (%s, %s): got %lld, want %lld", i,
				 c->request_start ? c->request_start : "NULL",
				 c->x_request_start ? c->x_request_start : "NULL", got, c->want_ms);
	}
}

/* Busy without the pool: Slack's route gets a message Slack shows (200,
 * ephemeral); anything else a 503. */
static void test_busy_response(void **state)
{
	struct app_response r;

	(void)state;
	app_busy_response(APP_SLACK_ROUTE, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"response_type\":\"ephemeral\""));
	assert_non_null(strstr(r.body, "busy"));
	assert_string_equal(r.reason, "busy");
	app_response_free(&r);
	app_busy_response("/healthz", &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.route, "healthz");
	app_response_free(&r);
	app_busy_response(NULL, &r);
	assert_int_equal(r.status, 503);
	app_response_free(&r);
}

static void test_signed_command_in_channel(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "team_id=T1&user_id=U1&channel_id=C1&text=i-0123abcd&response_url=" GOOD_URL,
	       FORM, SECRET, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"response_type\":\"in_channel\"}");
	assert_string_equal(r.team_id, "T1");
	assert_string_equal(r.user_id, "U1");
	assert_string_equal(r.channel_id, "C1");
	app_response_free(&r);
}

static void test_help_and_empty_are_ephemeral(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "text=help&response_url=" GOOD_URL, FORM, SECRET, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"response_type\":\"ephemeral\""));
	assert_non_null(strstr(r.body, "Usage"));
	app_response_free(&r);
	s_post(f, "text=&response_url=" GOOD_URL, FORM, SECRET, &r);
	assert_non_null(strstr(r.body, "ephemeral"));
	app_response_free(&r);
	s_post(f, "text=+HELP+&response_url=" GOOD_URL, FORM, SECRET, &r);
	assert_non_null(strstr(r.body, "ephemeral"));
	app_response_free(&r);
}

static void test_bad_signature_401(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "text=x&response_url=" GOOD_URL, FORM, "another-secret", &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "bad signature\n");
	app_response_free(&r);
}

static void test_missing_and_stale_401(void **state)
{
	struct fixture *f = *state;
	struct app_request req = {0};
	struct app_response r = {0};

	req.method = "POST";
	req.path = APP_SLACK_ROUTE;
	req.content_type = FORM;
	req.body = "text=x";
	req.body_len = 6;
	req.now = NOW;
	app_handle(f->app, &req, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "missing signature\n");
	app_response_free(&r);

	req.slack_timestamp = "1699999000";
	req.slack_signature = "v0=0000000000000000000000000000000000000000000000000000000000000000";
	app_handle(f->app, &req, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "stale timestamp\n");
	app_response_free(&r);
}

static void test_foreign_response_url_400(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "text=x1&response_url=https%3A%2F%2Fevil.example%2Fhook", FORM, SECRET, &r);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
	s_post(f, "text=x1", FORM, SECRET, &r);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
}

static void test_bad_form_400_and_content_type_415(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "text=%zz&response_url=" GOOD_URL, FORM, SECRET, &r);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
	s_post(f, "text=x1&response_url=" GOOD_URL, "application/json", SECRET, &r);
	assert_int_equal(r.status, 415);
	app_response_free(&r);
	s_post(f, "text=x2&response_url=" GOOD_URL,
	       "application/x-www-form-urlencoded; charset=utf-8", SECRET, &r);
	assert_int_equal(r.status, 200);
	app_response_free(&r);
}

static void test_replay_refused_and_retry_answered(void **state)
{
	struct fixture *f = *state;
	char sig[SLACK_SIG_HEADER_LEN + 1];
	const char *body = "text=help&response_url=" GOOD_URL "&nonce=replay";
	struct app_request req = {0};
	struct app_response r = {0};

	(void)state;
	assert_int_equal(slack_sig_compute(SECRET, TS, body, strlen(body), sig, NULL), 0);
	req.method = "POST";
	req.path = APP_SLACK_ROUTE;
	req.content_type = FORM;
	req.slack_timestamp = TS;
	req.slack_signature = sig;
	req.body = body;
	req.body_len = strlen(body);
	req.now = NOW;
	app_handle(f->app, &req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "ephemeral"));
	app_response_free(&r);
	/* the same signed request again: refused */
	app_handle(f->app, &req, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "replayed\n");
	app_response_free(&r);
	/* Slack's own retry of it: 200, nothing done, empty body */
	req.slack_retry_num = "1";
	app_handle(f->app, &req, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	app_response_free(&r);
}

static void test_ssl_check_empty_200(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_post(f, "token=abc&ssl_check=1", FORM, SECRET, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	app_response_free(&r);
}

/* Run a signed POST of body through app's app_handle; retry: with
 * X-Slack-Retry-Num. */
static void s_post_to(struct app *app, const char *body, int retry, struct app_response *resp)
{
	s_signed(app, APP_SLACK_ROUTE, body, FORM, SECRET, retry, resp);
}

/* GET /healthz through app_preflight; the body into out. */
static void s_healthz(struct app *app, char *out, size_t n)
{
	struct app_response r;
	size_t len = 0;

	assert_int_equal(app_preflight(app, "GET", APP_HEALTH_ROUTE, NULL, &len, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(out, n, "%s", r.body);
	app_response_free(&r);
}

/* Remove a test's temporary directory (mkdtemp's name: no quoting). */
static void s_rm_rf(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static struct journal *s_journal(const char *path, time_t started)
{
	struct store_settings ss = { .path = path };
	struct si_err err;
	struct journal *j = journal_new(&ss, started, &err);

	if (j == NULL)
		fail_msg("journal_new: %s", err.msg);
	return j;
}

/* Two apps on one store file: a second worker, or the same worker after
 * a restart (a fresh in-memory cache). The second refuses the first's
 * request as replayed, and answers Slack's retry of it with an empty 200. */
static void test_store_replay_across_workers(void **state)
{
	struct fixture *f = *state;
	const char *body = "text=help&response_url=" GOOD_URL "&nonce=store";
	char dir[] = "/tmp/test_app.XXXXXX", path[256], health[256];
	struct journal *ja, *jb;
	struct app *a, *b;
	struct app_response r;
	struct si_err err;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	ja = s_journal(path, 1);
	jb = s_journal(path, 2);
	a = app_new(&f->cfg, NULL, &err);
	b = app_new(&f->cfg, NULL, &err);
	assert_non_null(a);
	assert_non_null(b);
	app_set_journal(a, ja);
	app_set_journal(b, jb);
	s_healthz(a, health, sizeof(health));
	assert_string_equal(health, "ok\n");
	s_post_to(a, body, 0, &r);
	assert_int_equal(r.status, 200);
	app_response_free(&r);
	s_post_to(b, body, 0, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "replayed\n");
	app_response_free(&r);
	s_post_to(b, body, 1, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	app_response_free(&r);
	app_free(a);
	app_free(b);
	journal_free(ja);
	journal_free(jb);
	s_rm_rf(dir);
}

/* A store that cannot be opened (its directory is missing): requests are
 * still answered, the in-memory cache still refuses a replay, /healthz
 * says degraded (200), and the store is used once it can be opened. */
static void test_store_degraded_falls_back(void **state)
{
	struct fixture *f = *state;
	const char *body = "text=help&response_url=" GOOD_URL "&nonce=degraded";
	char dir[] = "/tmp/test_app.XXXXXX", sub[256], path[300], health[600];
	struct journal *j;
	struct app *a;
	struct app_response r;
	struct si_err err;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	snprintf(path, sizeof(path), "%s/state.db", sub);
	j = s_journal(path, 1);
	a = app_new(&f->cfg, NULL, &err);
	assert_non_null(a);
	app_set_journal(a, j);
	s_healthz(a, health, sizeof(health));
	assert_non_null(strstr(health, "degraded: state store: "));
	assert_non_null(strstr(health, "does not exist"));
	assert_string_equal(journal_backend(j), "none");
	s_post_to(a, body, 0, &r);
	assert_int_equal(r.status, 200);
	app_response_free(&r);
	s_post_to(a, body, 0, &r);
	assert_int_equal(r.status, 401);
	app_response_free(&r);
	assert_int_equal(mkdir(sub, 0700), 0);
	journal_tick(j);
	assert_string_equal(journal_backend(j), "sqlite");
	s_healthz(a, health, sizeof(health));
	assert_string_equal(health, "ok\n");
	app_free(a);
	journal_free(j);
	s_rm_rf(dir);
}

/* GET path through app_preflight: the status, and the body into out. */
static int s_probe(struct app *app, const char *method, const char *path, char *out, size_t n)
{
	struct app_response r;
	size_t len;
	int status;

	assert_int_equal(app_preflight(app, method, path, NULL, &len, &r), 0);
	assert_string_equal(r.route, strcmp(path, APP_READY_ROUTE) == 0 ? "readyz" : "healthz");
	snprintf(out, n, "%.*s", (int)r.body_len, r.body != NULL ? r.body : "");
	status = r.status;
	app_response_free(&r);
	return status;
}

/* /readyz: ready without a store (nothing to write) and with a writable
 * one; 503 naming the store while it cannot be written, while /healthz
 * (liveness) stays 200; GET and HEAD only. */
static void test_readyz_store(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_app.XXXXXX", sub[256], path[300], body[600];
	struct journal *j;
	struct app *a, *b;
	struct si_err err;

	assert_int_equal(s_probe(f->app, "GET", APP_READY_ROUTE, body, sizeof(body)), 200);
	assert_string_equal(body, "ready\n");
	assert_int_equal(s_probe(f->app, "HEAD", APP_READY_ROUTE, body, sizeof(body)), 200);
	assert_int_equal(s_probe(f->app, "POST", APP_READY_ROUTE, body, sizeof(body)), 405);

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	snprintf(path, sizeof(path), "%s/state.db", sub);
	j = s_journal(path, 1);
	a = app_new(&f->cfg, NULL, &err);
	assert_non_null(a);
	app_set_journal(a, j);
	assert_int_equal(s_probe(a, "GET", APP_READY_ROUTE, body, sizeof(body)), 503);
	assert_non_null(strstr(body, "not ready: state store: "));
	assert_non_null(strstr(body, "does not exist"));
	assert_int_equal(s_probe(a, "GET", APP_HEALTH_ROUTE, body, sizeof(body)), 200);
	/* The store opens. a's last probe may answer for up to a second (a
	 * flood of probes costs one write a second: not asserted, it depends
	 * on how fast this runs); b probes afresh. */
	assert_int_equal(mkdir(sub, 0700), 0);
	journal_tick(j);
	b = app_new(&f->cfg, NULL, &err);
	assert_non_null(b);
	app_set_journal(b, j);
	assert_int_equal(s_probe(b, "GET", APP_READY_ROUTE, body, sizeof(body)), 200);
	assert_string_equal(body, "ready\n");
	/* The probe wrote (its row is there, already expired): a second
	 * claim of the same key is new again, so every probe writes. */
	{
		enum store_replay seen;
		char key[STORE_SIGNATURE_MAX];

		snprintf(key, sizeof(key), "readyz-probe:%s", journal_owner(j));
		assert_int_equal(journal_replay(j, key, time(NULL) + 60, time(NULL), &seen), 0);
		assert_int_equal(seen, STORE_REPLAY_NEW);
		assert_int_equal(journal_replay(j, key, time(NULL) + 60, time(NULL), &seen), 0);
		assert_int_equal(seen, STORE_REPLAY_SEEN);
	}
	app_free(a);
	app_free(b);
	journal_free(j);
	s_rm_rf(dir);
}

/* /readyz with a pool: 503 once the pool stops taking searches (a drain;
 * a full queue is the same answer, test_search_pool checks the count). */
static void test_readyz_queue(void **state)
{
	struct fixture *f = *state;
	struct search_pool *pool;
	struct app *app;
	struct si_err err;
	char body[600];

	pool = search_pool_new(NULL, 1, 1, &err);
	assert_non_null(pool);
	app = app_new(&f->cfg, pool, &err);
	assert_non_null(app);
	assert_int_equal(s_probe(app, "GET", APP_READY_ROUTE, body, sizeof(body)), 200);
	assert_int_equal(search_pool_drain(pool, si_mono_ms() + 1000, NULL, NULL), 0);
	assert_int_equal(s_probe(app, "GET", APP_READY_ROUTE, body, sizeof(body)), 503);
	assert_string_equal(body, "not ready: search queue full or stopping (0 of 1)\n");
	assert_int_equal(s_probe(app, "GET", APP_HEALTH_ROUTE, body, sizeof(body)), 200);
	app_free(app);
	search_pool_free(pool);
}

/* ---- button presses (APP_INTERACTIVE_ROUTE) ------------------------------ */

#define PRESS_URL "https://hooks.slack.com/actions/T1/2/x"
#define KEPT_ID "0123456789abcdef0123456789abcdef"

/* A block_actions payload as Slack sends it for our buttons, from team,
 * channel and user ids, form-encoded. Caller frees. */
static char *s_press_body(const char *team, const char *channel, const char *url,
			  const char *action_id, const char *value, int ephemeral)
{
	char json[1024], *enc, *out;
	int len;

	len = snprintf(json, sizeof(json),
		       "{\"type\":\"block_actions\",\"team\":{\"id\":\"%s\"},"
		       "\"user\":{\"id\":\"U1\",\"username\":\"steve\"},"
		       "\"channel\":{\"id\":\"%s\",\"name\":\"ops\"},"
		       "\"container\":{\"type\":\"message\",\"is_ephemeral\":%s},"
		       "\"response_url\":\"%s\",\"actions\":[{\"action_id\":\"%s\","
		       "\"value\":\"%s\",\"type\":\"button\"}]}",
		       team, channel, ephemeral ? "true" : "false", url, action_id, value);
	assert_true(len > 0 && (size_t)len < sizeof(json));
	enc = curl_easy_escape(NULL, json, len);
	assert_non_null(enc);
	out = malloc(strlen(enc) + sizeof("payload="));
	assert_non_null(out);
	snprintf(out, strlen(enc) + sizeof("payload="), "payload=%s", enc);
	curl_free(enc);
	return out;
}

/* POST body (owned; freed here) to the interactive route of app, signed
 * with secret. */
static void s_press(struct app *app, char *body, const char *ctype, const char *secret,
		    struct app_response *resp)
{
	s_signed(app, APP_INTERACTIVE_ROUTE, body, ctype, secret, 0, resp);
	free(body);
}

/* The post i of r, parsed; json_object_put. */
static struct json_object *s_posted(const struct app_response *r, size_t i)
{
	struct json_object *o;

	assert_true(i < r->posts.n);
	o = json_tokener_parse(r->posts.json[i]);
	assert_non_null(o);
	return o;
}

static const char *s_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Post i is an ephemeral note (replace_original false) saying needle. */
static void s_expect_note(const struct app_response *r, size_t i, const char *needle)
{
	struct json_object *o = s_posted(r, i);

	assert_string_equal(s_member(o, "response_type"), "ephemeral");
	assert_string_equal(s_member(o, "replace_original"), "false");
	if (strstr(r->posts.json[i], needle) == NULL)
		fail_msg("post %zu: \"%s\" not in %s", i, needle, r->posts.json[i]);
	json_object_put(o);
}

/* The 200 with no body a press is answered with, before anything is posted. */
static void s_expect_empty_200(const struct app_response *r)
{
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, 0);
	assert_null(r->body);
	assert_string_equal(r->route, "interactive");
}

static void test_press_preflight(void **state)
{
	struct fixture *f = *state;
	struct app_response r;
	size_t len = 0;

	assert_int_equal(app_preflight(f->app, "POST", APP_INTERACTIVE_ROUTE, "100", &len, &r),
			 1);
	assert_int_equal(len, 100);
	assert_string_equal(r.route, "interactive");
	assert_int_equal(app_preflight(f->app, "GET", APP_INTERACTIVE_ROUTE, NULL, &len, &r), 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	app_response_free(&r);
	assert_int_equal(app_preflight(f->app, "POST", APP_INTERACTIVE_ROUTE, "1025", &len, &r),
			 0);
	assert_int_equal(r.status, 413);
	app_response_free(&r);
	app_busy_response(APP_INTERACTIVE_ROUTE, &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.route, "interactive");
	app_response_free(&r);
}

/* Refused like a command: a bad signature, a replay, another content type,
 * a payload that is not one, a response_url not ours, a value our buttons
 * never send. Nothing is posted for any of them. */
static void test_press_refusals(void **state)
{
	struct fixture *f = *state;
	struct app_response r;
	char *body, *copy;

	s_press(f->app, s_press_body("T1", "C1", PRESS_URL, "si_share", KEPT_ID, 1), FORM,
		"another-secret", &r);
	assert_int_equal(r.status, 401);
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	body = s_press_body("T1", "C1", PRESS_URL, "si_share", KEPT_ID, 0);
	copy = strdup(body);
	assert_non_null(copy);
	s_press(f->app, body, FORM, SECRET, &r);
	s_expect_empty_200(&r);
	app_response_free(&r);
	s_press(f->app, copy, FORM, SECRET, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.reason, "replayed");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	s_press(f->app, s_press_body("T1", "C2", PRESS_URL, "si_share", KEPT_ID, 0),
		"application/json", SECRET, &r);
	assert_int_equal(r.status, 415);
	app_response_free(&r);

	s_press(f->app, strdup("payload=not+json"), FORM, SECRET, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.reason, "bad payload");
	assert_non_null(strstr(r.body, "payload is not JSON"));
	app_response_free(&r);

	s_press(f->app, s_press_body("T1", "C3", "https://evil.example/hook", "si_share", KEPT_ID,
				     0), FORM, SECRET, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.reason, "response_url not allowed");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	s_press(f->app, s_press_body("T1", "C4", PRESS_URL, "si_more", KEPT_ID, 0), FORM,
		SECRET, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.reason, "bad action value");
	app_response_free(&r);
	s_press(f->app, s_press_body("T1", "C4", PRESS_URL, "si_share", "0123ABCD", 0), FORM,
		SECRET, &r);
	assert_int_equal(r.status, 400);
	app_response_free(&r);
}

/* Not ours, answered 200 and logged: a button we do not have, a global
 * shortcut (Slack's literal wire body). */
static void test_press_unknown_answered(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_press(f->app, s_press_body("T1", "C5", PRESS_URL, "WaXA", "click_me_123", 0), FORM,
		SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "unknown action");
	assert_string_equal(r.team_id, "T1");
	assert_string_equal(r.channel_id, "C5");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);
	s_press(f->app, strdup("payload=%7B%22type%22%3A%22shortcut%22%2C%22team%22%3A%7B%22id"
			       "%22%3A%22T111%22%7D%7D"), FORM, SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "not a block action");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);
}

/* The presser's team, user and channel go through the same access check
 * as a command; the refusal is posted to the presser only. */
static void test_press_access_refused(void **state)
{
	static char *envp[] = {
		"SLACK_SIGNING_SECRET=" SECRET,
		"AWS_ROLE_PRODUCTION=arn:aws:iam::111111111111:role/Inspect",
		"SLASH_INFRA_ACCESS_ALLOWED_TEAMS=T9",
		NULL,
	};
	struct si_config cfg;
	struct app *app;
	struct app_response r;
	struct si_err err;
	struct fixture_log cap;
	const char *p;
	char *log;

	(void)state;
	assert_int_equal(si_config_load(&cfg, NULL, envp, &err), 0);
	app = app_new(&cfg, NULL, &err);
	assert_non_null(app);
	fixture_log_begin(&cap);
	/* A command refused the same way leaves its audit line too. */
	s_signed(app, APP_SLACK_ROUTE,
		 "team_id=T1&user_id=U1&channel_id=C1&text=i-0123abcd&response_url=" GOOD_URL,
		 FORM, SECRET, 0, &r);
	assert_string_equal(r.reason, "team not allowed");
	app_response_free(&r);
	s_press(app, s_press_body("T1", "C1", PRESS_URL, "si_show_all", KEPT_ID, 1), FORM,
		SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "team not allowed");
	assert_string_equal(r.posts.url, PRESS_URL);
	assert_int_equal(r.posts.n, 1);
	s_expect_note(&r, 0, "workspace");
	app_response_free(&r);
	log = fixture_log_end(&cap);
	/* Both audit lines carry the request's id, so they join its request
	 * line (fcgi/worker.c logs the same one). */
	assert_non_null(strstr(log, "event=audit request_id=" T_RID " team_id=T1"));
	p = strstr(log, "event=audit request_id=" T_RID);
	assert_non_null(p);
	assert_non_null(strstr(p + 1, "event=audit request_id=" T_RID));
	assert_non_null(strstr(log, "reason=si_show_all"));
	assert_non_null(strstr(log, "reason=\"team not allowed\""));
	free(log);
	app_free(app);
	si_config_free(&cfg);
}

/* No state store: nothing kept can be loaded, and the presser is told. */
static void test_press_without_store(void **state)
{
	struct fixture *f = *state;
	struct app_response r;

	s_press(f->app, s_press_body("T1", "C6", PRESS_URL, "si_show_all", KEPT_ID, 1), FORM,
		SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "store unavailable");
	assert_int_equal(r.posts.n, 1);
	s_expect_note(&r, 0, "could not be loaded");
	app_response_free(&r);
}

/* Keep a result of n_pages pages ("page K" each) for T1/C1 in j. */
static void s_keep(struct journal *j, const char *id, size_t n_pages)
{
	struct kept_result k;
	char *pages = malloc(64 * n_pages + 8);
	size_t off = 0;

	assert_non_null(pages);
	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.team_id, sizeof(k.team_id), "T1");
	snprintf(k.channel_id, sizeof(k.channel_id), "C1");
	snprintf(k.user_id, sizeof(k.user_id), "U1");
	k.ephemeral = 1;
	k.n_matches = 10 * n_pages;
	k.n_pages = n_pages;
	k.query = "web";
	k.share_json = "{\"response_type\":\"in_channel\",\"text\":\"shared answer\"}";
	off += (size_t)snprintf(pages + off, 8, "[");
	for (size_t i = 0; i < n_pages; i++)
		off += (size_t)snprintf(pages + off, 64, "%s{\"text\":\"page %zu\",\"blocks\":[]}",
					i ? "," : "", i + 1);
	snprintf(pages + off, 8, "]");
	k.pages_json = pages;
	assert_int_equal(journal_keep(j, &k, NOW - 60), 0);
	free(pages);
}

/* Post i's "text". */
static void s_expect_text(const struct app_response *r, size_t i, const char *want)
{
	struct json_object *o = s_posted(r, i);

	assert_string_equal(s_member(o, "text"), want);
	json_object_put(o);
}

/* The buttons against kept results in a real (SQLite) store: Show all
 * posts 4 pages and a "more" message when there are more than 5, all
 * when 5 or fewer; "more" continues from its page; Share posts the kept
 * in_channel message once; an unknown id, another channel and another
 * team are told so; Refresh without a search pool posts nothing. */
static void test_press_kept(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_app.XXXXXX", path[256];
	const char *id9 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa9";
	const char *id3 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb3";
	struct json_object *o;
	struct journal *j;
	struct app *a;
	struct app_response r;
	struct si_err err;
	char value[64];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.db", dir);
	j = s_journal(path, 1);
	a = app_new(&f->cfg, NULL, &err);
	assert_non_null(a);
	app_set_journal(a, j);
	s_keep(j, id9, 9);
	s_keep(j, id3, 3);

	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_show_all", id9, 1), FORM, SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "pages");
	assert_int_equal(r.posts.n, APP_POSTS_MAX);
	for (size_t i = 0; i < 4; i++) {
		char want[16];

		snprintf(want, sizeof(want), "page %zu", i + 1);
		s_expect_text(&r, i, want);
		s_expect_note(&r, i, want);
	}
	snprintf(value, sizeof(value), "\"%s:4\"", id9);
	assert_non_null(strstr(r.posts.json[4], value));
	assert_non_null(strstr(r.posts.json[4], "\"si_more\""));
	app_response_free(&r);

	snprintf(value, sizeof(value), "%s:4", id9);
	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_more", value, 1), FORM, SECRET, &r);
	assert_int_equal(r.posts.n, 5);
	s_expect_text(&r, 0, "page 5");
	s_expect_text(&r, 4, "page 9");
	app_response_free(&r);
	snprintf(value, sizeof(value), "%s:9", id9);
	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_more", value, 1), FORM, SECRET, &r);
	assert_string_equal(r.reason, "no such page");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_show_all", id3, 1), FORM, SECRET, &r);
	assert_int_equal(r.posts.n, 3);
	s_expect_text(&r, 2, "page 3");
	app_response_free(&r);

	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_share", id3, 1), FORM, SECRET, &r);
	assert_string_equal(r.reason, "shared");
	assert_int_equal(r.posts.n, 1);
	o = s_posted(&r, 0);
	assert_string_equal(s_member(o, "response_type"), "in_channel");
	assert_string_equal(s_member(o, "replace_original"), "false");
	assert_string_equal(s_member(o, "text"), "shared answer");
	json_object_put(o);
	app_response_free(&r);

	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_show_all", KEPT_ID, 1), FORM, SECRET,
		&r);
	assert_string_equal(r.reason, "expired");
	assert_int_equal(r.posts.n, 1);
	s_expect_note(&r, 0, "This result has expired (results are kept 30 minutes)");
	app_response_free(&r);

	s_press(a, s_press_body("T1", "C2", PRESS_URL, "si_share", id3, 1), FORM, SECRET, &r);
	assert_string_equal(r.reason, "other channel");
	s_expect_note(&r, 0, "This result belongs to another channel");
	app_response_free(&r);
	s_press(a, s_press_body("T2", "C1", PRESS_URL, "si_share", id3, 1), FORM, SECRET, &r);
	assert_string_equal(r.reason, "other channel");
	app_response_free(&r);

	s_press(a, s_press_body("T1", "C1", PRESS_URL, "si_refresh", id3, 1), FORM, SECRET, &r);
	s_expect_empty_200(&r);
	assert_string_equal(r.reason, "no search engine");
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	app_free(a);
	journal_free(j);
	s_rm_rf(dir);
}

/* A loopback socket that listens and never accepts: a connection to it
 * completes (the kernel's backlog) and its request then waits for an
 * answer that never comes, as with a Slack that hangs. Sets *port. */
static int s_silent_listener(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* With a pool, a press's messages go to its notice threads: app_after
 * returns at once though the response_url hangs (posted on this thread,
 * it would wait 3 x 5 s), and hands the messages over (resp->posts is
 * emptied). A drain waits for them; once the pool stops, a press's
 * messages are refused ("busy": logged and dropped, never posted here). */
static void test_press_posts_off_request_thread(void **state)
{
	char prefixes[128];
	char *envp[] = {
		"SLACK_SIGNING_SECRET=" SECRET,
		"AWS_ROLE_PRODUCTION=arn:aws:iam::111111111111:role/Inspect",
		prefixes,
		NULL,
	};
	struct search_pool *pool;
	struct si_config cfg;
	struct app *app;
	struct app_response r;
	struct si_err err;
	char url[128];
	long long t0;
	int lfd, port;

	(void)state;
	lfd = s_silent_listener(&port);
	snprintf(prefixes, sizeof(prefixes),
		 "SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES=http://127.0.0.1:%d/", port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/actions/T1/2/x", port);
	assert_int_equal(si_config_load(&cfg, NULL, envp, &err), 0);
	pool = search_pool_new(NULL, 1, 1, &err);
	assert_non_null(pool);
	app = app_new(&cfg, pool, &err);
	assert_non_null(app);

	/* No store: the presser is told so, in one message to post. */
	s_press(app, s_press_body("T1", "C1", url, "si_show_all", KEPT_ID, 1), FORM, SECRET, &r);
	s_expect_empty_200(&r);
	assert_int_equal(r.posts.n, 1);
	t0 = si_mono_ms();
	app_after(app, &r);
	assert_true(si_mono_ms() - t0 < 1000);
	assert_int_equal(r.posts.n, 0);
	assert_null(r.posts.url);
	app_response_free(&r);
	/* Closed, the listener resets the waiting connection: the post
	 * fails fast (logged), and the drain, which waited for it, is done. */
	close(lfd);
	assert_int_equal(search_pool_drain(pool, si_mono_ms() + 30000, NULL, NULL), 0);

	s_press(app, s_press_body("T1", "C1", url, "si_share", KEPT_ID, 1), FORM, SECRET, &r);
	assert_int_equal(r.posts.n, 1);
	app_after(app, &r);
	assert_int_equal(r.posts.n, 0);
	app_response_free(&r);

	app_free(app);
	search_pool_free(pool);
	si_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_path_prefers_document_uri),
		cmocka_unit_test(test_readyz_store),
		cmocka_unit_test(test_readyz_queue),
		cmocka_unit_test(test_preflight_routes),
		cmocka_unit_test(test_preflight_content_length),
		cmocka_unit_test(test_arrival_hint),
		cmocka_unit_test(test_busy_response),
		cmocka_unit_test(test_signed_command_in_channel),
		cmocka_unit_test(test_help_and_empty_are_ephemeral),
		cmocka_unit_test(test_bad_signature_401),
		cmocka_unit_test(test_missing_and_stale_401),
		cmocka_unit_test(test_foreign_response_url_400),
		cmocka_unit_test(test_bad_form_400_and_content_type_415),
		cmocka_unit_test(test_ssl_check_empty_200),
		cmocka_unit_test(test_replay_refused_and_retry_answered),
		cmocka_unit_test(test_store_replay_across_workers),
		cmocka_unit_test(test_store_degraded_falls_back),
		cmocka_unit_test(test_press_preflight),
		cmocka_unit_test(test_press_refusals),
		cmocka_unit_test(test_press_unknown_answered),
		cmocka_unit_test(test_press_access_refused),
		cmocka_unit_test(test_press_without_store),
		cmocka_unit_test(test_press_kept),
		cmocka_unit_test(test_press_posts_off_request_thread),
	};
	return cmocka_run_group_tests_name("app", tests, s_setup, s_teardown);
}
