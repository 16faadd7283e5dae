#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "journal.h"
#include "slack/sig.h"

#define SECRET "unit-test-secret"
#define NOW ((time_t)1700000000)
#define TS "1700000000"
#define GOOD_URL "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F2%2Fx"

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

/* Run a signed POST with body through app_handle. */
static void s_post(struct fixture *f, const char *body, const char *ctype,
		   const char *secret, struct app_response *resp)
{
	char sig[SLACK_SIG_HEADER_LEN + 1];
	struct app_request req = {0};
	struct si_err err;

	assert_int_equal(slack_sig_compute(secret, TS, body, strlen(body), sig, &err), 0);
	req.method = "POST";
	req.path = APP_SLACK_ROUTE;
	req.content_type = ctype;
	req.slack_timestamp = TS;
	req.slack_signature = sig;
	req.body = body;
	req.body_len = strlen(body);
	req.now = NOW;
	memset(resp, 0, sizeof(*resp));
	app_handle(f->app, &req, resp);
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
	char sig[SLACK_SIG_HEADER_LEN + 1];
	struct app_request req = {0};

	assert_int_equal(slack_sig_compute(SECRET, TS, body, strlen(body), sig, NULL), 0);
	req.method = "POST";
	req.path = APP_SLACK_ROUTE;
	req.content_type = FORM;
	req.slack_timestamp = TS;
	req.slack_signature = sig;
	req.body = body;
	req.body_len = strlen(body);
	req.now = NOW;
	req.slack_retry_num = retry ? "1" : NULL;
	memset(resp, 0, sizeof(*resp));
	app_handle(app, &req, resp);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route_path_prefers_document_uri),
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
	};
	return cmocka_run_group_tests_name("app", tests, s_setup, s_teardown);
}
