/*
 * test_search_pool.c - search jobs answered exactly once, inline or through
 * response_url (common/search_pool.c), on a real engine.
 *
 * Runs against tests/standin/aws_standin.py (default fixture) and
 * tests/standin/slack_receiver.py, both started here on 127.0.0.1 with
 * ephemeral ports (--port 0 --port-file) and stopped at teardown. SI_SRCDIR
 * (repo root, default ".") locates the scripts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libxml/parser.h>

#include "aws_creds.h"
#include "config.h"
#include "query.h"
#include "search.h"
#include "search_pool.h"

/* Python starts in ~100-300 ms; 10 s bounds a loaded CI box. */
#define SERVER_WAIT_STEPS 400
#define SERVER_WAIT_STEP_MS 25
/* Waiting for deferred answers: a slow search here takes ~2-4 s. */
#define MSG_WAIT_STEPS 300
#define MSG_WAIT_STEP_MS 50
/* How long "nothing more arrives" is watched after the expected messages. */
#define QUIET_MS 700

#define INSTANCE "i-0a1b2c3d4e5f60001"
/* The default fixture's base identity (tests/standin/fixture.json; not a
 * real AWS key). */
#define BASE_AKID "AKIASLASHINFRADEMO01"
#define BASE_SECRET "slashInfraDemoSecretKey/K7MDENG+bPxRfiCYEX"

/* The three accounts of tests/integration/accounts.ini. */
static const char ACCOUNTS_INI[] =
	"[account production]\n"
	"role_arn = arn:aws:iam::111111111111:role/InfraSearchReadOnly\n"
	"regions = eu-west-2,us-east-1\n"
	"external_id = slash-infra-demo\n"
	"[account staging]\n"
	"role_arn = arn:aws:iam::222222222222:role/InfraSearchReadOnly\n"
	"regions = eu-west-2,eu-west-1\n"
	"external_id = slash-infra-demo\n"
	"[account dev]\n"
	"role_arn = arn:aws:iam::333333333333:role/InfraSearchReadOnly\n"
	"regions = eu-west-2,us-west-2,us-east-1\n";

struct server {
	pid_t pid;
	int port;
	char dir[64];
};

struct fixture {
	struct server aws, recv;
	char ini[64];
	char env_store[4][256];
	char *envp[5];
	struct si_config cfg;
	struct search_engine *engine;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct body {
	char data[262144];
	size_t len;
};

static size_t s_collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct body *b = ud;
	size_t n = sz * nm;

	if (b == NULL)
		return n;
	if (b->len + n >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* POST (body non-NULL) or GET a server; returns the HTTP status. */
static long control(const struct server *s, const char *path, const char *body,
		    struct body *out)
{
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (out != NULL)
		out->len = 0;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* The receiver's GET /_messages?path=P, parsed; the caller puts it. */
static struct json_object *messages(const struct fixture *fx, const char *path)
{
	struct body *b = calloc(1, sizeof(*b));
	struct json_object *root;
	char q[256];

	assert_non_null(b);
	snprintf(q, sizeof(q), "/_messages?path=%s", path);
	assert_int_equal(control(&fx->recv, q, NULL, b), 200);
	root = json_tokener_parse(b->data);
	assert_non_null(root);
	free(b);
	return root;
}

/* root.<group>.<key> as an int, 0 when absent. */
static int count_of(struct json_object *root, const char *group, const char *key)
{
	struct json_object *g, *v;

	if (json_object_object_get_ex(root, group, &g) && json_object_object_get_ex(g, key, &v))
		return json_object_get_int(v);
	return 0;
}

static int attempts_on(const struct fixture *fx, const char *path)
{
	struct json_object *root = messages(fx, path);
	int n = count_of(root, "attempts", path);

	json_object_put(root);
	return n;
}

/* Bounded wait until the receiver accepted at least n messages on path;
 * returns the count seen last. */
static int wait_messages(const struct fixture *fx, const char *path, int n)
{
	int got = 0;

	for (int i = 0; i < MSG_WAIT_STEPS; i++) {
		struct json_object *root = messages(fx, path);

		got = count_of(root, "counts", path);
		json_object_put(root);
		if (got >= n)
			break;
		sleep_ms(MSG_WAIT_STEP_MS);
	}
	return got;
}

static int server_start(struct server *s, const char *srcdir, const char *script_name)
{
	char script[1100], pf[128];

	snprintf(s->dir, sizeof(s->dir), "/tmp/test_search_pool.XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/standin/%s", srcdir, script_name);
	snprintf(pf, sizeof(pf), "%s/port", s->dir);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		char *argv[] = { "python3", script, "--port", "0", "--port-file", pf, NULL };

		/* The port goes to the port file; keep the test output clean. */
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execvp("python3", argv);
		_exit(127);
	}
	for (int i = 0; i < SERVER_WAIT_STEPS; i++) {
		FILE *f;
		int st;

		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		f = fopen(pf, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &s->port) == 1;

			fclose(f);
			if (ok && s->port > 0)
				return 0;
		}
		sleep_ms(SERVER_WAIT_STEP_MS);
	}
	return -1;
}

static void server_stop(struct server *s)
{
	char p[128];
	int st;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		(void)waitpid(s->pid, &st, 0);
		s->pid = 0;
	}
	if (s->dir[0]) {
		snprintf(p, sizeof(p), "%s/port", s->dir);
		(void)unlink(p);
		(void)rmdir(s->dir);
		s->dir[0] = '\0';
	}
}

static void fixture_free(struct fixture *fx)
{
	search_engine_free(fx->engine);
	si_config_free(&fx->cfg);
	if (fx->ini[0])
		(void)unlink(fx->ini);
	server_stop(&fx->aws);
	server_stop(&fx->recv);
	free(fx);
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("SI_SRCDIR");
	char *cfg_env[3], *eng_env[4];
	struct aws_creds_provider *base;
	struct si_err err;
	FILE *f;
	int fd;

	if (fx == NULL)
		return -1;
	src = src != NULL && src[0] ? src : ".";
	if (server_start(&fx->aws, src, "aws_standin.py") != 0 ||
	    server_start(&fx->recv, src, "slack_receiver.py") != 0) {
		fprintf(stderr, "cannot start the stand-ins (SI_SRCDIR=%s)\n", src);
		goto fail;
	}
	/* External ids live only in an ini file; mkstemp makes it 0600. */
	snprintf(fx->ini, sizeof(fx->ini), "/tmp/test_search_pool.ini.XXXXXX");
	fd = mkstemp(fx->ini);
	if (fd < 0) {
		fx->ini[0] = '\0';
		goto fail;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		goto fail;
	}
	fputs(ACCOUNTS_INI, f);
	if (fclose(f) != 0)
		goto fail;

	snprintf(fx->env_store[0], sizeof(fx->env_store[0]),
		 "SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5");
	snprintf(fx->env_store[1], sizeof(fx->env_store[1]),
		 "SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES=http://127.0.0.1:%d/", fx->recv.port);
	snprintf(fx->env_store[2], sizeof(fx->env_store[2]),
		 "AWS_ENDPOINT_URL=http://127.0.0.1:%d", fx->aws.port);
	snprintf(fx->env_store[3], sizeof(fx->env_store[3]), "AWS_ACCESS_KEY_ID=" BASE_AKID);
	cfg_env[0] = fx->env_store[0];
	cfg_env[1] = fx->env_store[1];
	cfg_env[2] = NULL;
	if (si_config_load(&fx->cfg, fx->ini, cfg_env, &err) != 0) {
		fprintf(stderr, "si_config_load: %s\n", err.msg);
		goto fail;
	}
	eng_env[0] = fx->env_store[2];
	eng_env[1] = fx->env_store[3];
	eng_env[2] = "AWS_SECRET_ACCESS_KEY=" BASE_SECRET;
	eng_env[3] = NULL;
	base = aws_creds_provider_env_new(eng_env, &err);
	if (base == NULL) {
		fprintf(stderr, "base credentials: %s\n", err.msg);
		goto fail;
	}
	fx->engine = search_engine_new(&fx->cfg, eng_env, base, &err);
	if (fx->engine == NULL) {
		fprintf(stderr, "search_engine_new: %s\n", err.msg);
		goto fail;
	}
	*state = fx;
	return 0;
fail:
	fixture_free(fx);
	return -1;
}

static int group_teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

/* Every test starts with no faults and an empty receiver. */
static int setup(void **state)
{
	struct fixture *fx = *state;

	if (control(&fx->aws, "/_control/clear-faults", "{}", NULL) != 200 ||
	    control(&fx->recv, "/_reset", "{}", NULL) != 200)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return control(&fx->aws, "/_control/clear-faults", "{}", NULL) == 200 ? 0 : -1;
}

static void set_latency(const struct fixture *fx, int ms)
{
	char doc[128];

	snprintf(doc, sizeof(doc), "{\"account\":\"*\",\"kind\":\"latency\",\"arg\":%d}", ms);
	assert_int_equal(control(&fx->aws, "/_control/fault", doc, NULL), 200);
}

static void url_for(const struct fixture *fx, const char *path, char *out, size_t n)
{
	int w = snprintf(out, n, "http://127.0.0.1:%d%s", fx->recv.port, path);

	assert_true(w > 0 && (size_t)w < n);
}

static struct search_job *submit(struct search_pool *pool, const struct query *q,
				 const char *url, struct si_err *err)
{
	struct search_job_params p;

	memset(&p, 0, sizeof(p));
	p.query = q;
	p.text = INSTANCE;
	p.response_url = url;
	p.response_type = RENDER_IN_CHANNEL;
	p.team_id = "T1";
	p.user_id = "U1";
	p.user_name = "tester";
	p.channel_id = "C1";
	p.channel_name = "infra";
	return search_pool_submit(pool, &p, err);
}

static void parse_instance_query(struct query *q)
{
	struct si_err err;

	assert_int_equal(query_parse(INSTANCE, q, &err), 0);
	assert_int_not_equal(q->kind, QUERY_HELP);
}

static struct search_pool *new_pool(struct fixture *fx, int workers, int queue)
{
	struct si_err err;
	struct search_pool *pool = search_pool_new(fx->engine, workers, queue, &err);

	if (pool == NULL)
		fail_msg("search_pool_new: %s", err.msg);
	return pool;
}

/* response_type of message i of root.messages. */
static const char *msg_type(struct json_object *root, size_t i, const char **raw)
{
	struct json_object *msgs, *m, *body, *v;

	assert_true(json_object_object_get_ex(root, "messages", &msgs));
	m = json_object_array_get_idx(msgs, i);
	assert_non_null(m);
	assert_true(json_object_object_get_ex(m, "raw", &v));
	*raw = json_object_get_string(v);
	assert_true(json_object_object_get_ex(m, "body", &body));
	assert_true(json_object_object_get_ex(body, "response_type", &v));
	return json_object_get_string(v);
}

static void test_fast_search_is_answered_inline(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/inline";
	struct search_pool *pool = new_pool(fx, 2, 4);
	struct search_job *j;
	struct query q;
	struct si_err err;
	char url[256], *json;

	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j = submit(pool, &q, url, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 3000), 1);
	json = search_job_render(j, &err);
	assert_non_null(json);
	assert_non_null(strstr(json, INSTANCE));
	assert_non_null(strstr(json, "\"in_channel\""));
	free(json);
	search_job_release(j);
	search_pool_free(pool);
	/* The pool is joined: anything it would have posted has been. */
	assert_int_equal(attempts_on(fx, path), 0);
}

static void test_slow_search_posts_notice_then_answer(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/deferred";
	struct search_pool *pool = new_pool(fx, 2, 4);
	struct json_object *root;
	struct search_job *j;
	struct query q;
	struct si_err err;
	const char *raw;
	char url[256];

	set_latency(fx, 1500);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j = submit(pool, &q, url, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 100), 0);
	search_job_post_pending(j);
	search_job_release(j);

	assert_int_equal(wait_messages(fx, path, 2), 2);
	root = messages(fx, path);
	assert_string_equal(msg_type(root, 0, &raw), "ephemeral");
	assert_non_null(strstr(raw, "Searching"));
	assert_string_equal(msg_type(root, 1, &raw), "in_channel");
	assert_non_null(strstr(raw, INSTANCE));
	json_object_put(root);
	/* Exactly once: no third message, now or after the pool stops. */
	sleep_ms(QUIET_MS);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 2);
}

static void test_full_queue_is_busy(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/busy";
	struct search_pool *pool = new_pool(fx, 1, 1);
	struct search_job *j1, *j2, *j3;
	struct query q;
	struct si_err err;
	char url[256];

	set_latency(fx, 800);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j1 = submit(pool, &q, url, &err);
	assert_non_null(j1);
	/* Let the only worker take j1 off the queue (searching takes >= 800
	 * ms with the fault), so j2 fills the one queue slot. */
	sleep_ms(300);
	j2 = submit(pool, &q, url, &err);
	assert_non_null(j2);
	memset(&err, 0, sizeof(err));
	j3 = submit(pool, &q, url, &err);
	assert_null(j3);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* j1 and j2 finish inline: answered to us, nothing posted. */
	assert_int_equal(search_job_wait_inline(j1, 10000), 1);
	assert_int_equal(search_job_wait_inline(j2, 10000), 1);
	search_job_release(j1);
	search_job_release(j2);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 0);
}

static void test_free_finishes_queued_jobs(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/hooks/T1/B1/d0", "/hooks/T1/B1/d1", "/hooks/T1/B1/d2" };
	struct search_pool *pool = new_pool(fx, 1, 4);
	struct query q;
	struct si_err err;
	char url[256];

	set_latency(fx, 400);
	parse_instance_query(&q);
	for (size_t i = 0; i < 3; i++) {
		struct search_job *j;

		url_for(fx, paths[i], url, sizeof(url));
		j = submit(pool, &q, url, &err);
		assert_non_null(j);
		assert_int_equal(search_job_wait_inline(j, 50), 0);
		search_job_post_pending(j);
		search_job_release(j);
	}
	/* One worker: at least two jobs are still queued here. Freeing the
	 * pool runs them all, each delivering its final answer before the
	 * join returns. */
	search_pool_free(pool);
	for (size_t i = 0; i < 3; i++) {
		struct json_object *root = messages(fx, paths[i]);
		const char *raw;

		assert_int_equal(count_of(root, "counts", paths[i]), 2);
		assert_int_equal(count_of(root, "attempts", paths[i]), 2);
		assert_string_equal(msg_type(root, 0, &raw), "ephemeral");
		assert_string_equal(msg_type(root, 1, &raw), "in_channel");
		assert_non_null(strstr(raw, INSTANCE));
		json_object_put(root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fast_search_is_answered_inline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_search_posts_notice_then_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_finishes_queued_jobs, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
