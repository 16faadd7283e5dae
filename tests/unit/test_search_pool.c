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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libxml/parser.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "config.h"
#include "fixture.h"
#include "search/query.h"
#include "search/engine.h"
#include "journal.h"
#include "render.h"
#include "search_pool.h"
#include "store/kept.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/strutil.h"
#include "standin_proc.h"

/* Waiting for deferred answers: a slow search here takes ~2-4 s; 30 s is
 * room for a loaded machine. */
#define MSG_WAIT_STEPS 600
#define MSG_WAIT_STEP_MS 50
/* A quiet job's answer must come well before the pool's POOL_PENDING_WAIT_MS
 * (20 s, search_pool.c): a final that waited for a notice that never
 * comes would miss this bound. */
#define QUIET_WAIT_STEPS 300
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

struct fixture {
	struct standin_proc aws, recv;
	char ini[64];
	char env_store[4][256];
	char *envp[5];
	struct si_config cfg;
	struct aws_creds_provider *base;
	struct aws_client *client;
	struct search_engine *engine;
};

static int attempts_on(const struct fixture *fx, const char *path)
{
	struct json_object *root = standin_messages(&fx->recv, path);
	int n = standin_count(root, "attempts", path);

	json_object_put(root);
	return n;
}

/* Bounded wait (steps polls) until the receiver accepted at least n
 * messages on path; returns the count seen last. */
static int wait_messages_within(const struct fixture *fx, const char *path, int n, int steps)
{
	int got = 0;

	for (int i = 0; i < steps; i++) {
		struct json_object *root = standin_messages(&fx->recv, path);

		got = standin_count(root, "counts", path);
		json_object_put(root);
		if (got >= n)
			break;
		standin_sleep_ms(MSG_WAIT_STEP_MS);
	}
	return got;
}

static int wait_messages(const struct fixture *fx, const char *path, int n)
{
	return wait_messages_within(fx, path, n, MSG_WAIT_STEPS);
}

static void fixture_free(struct fixture *fx)
{
	search_engine_free(fx->engine);
	aws_client_free(fx->client);
	aws_creds_provider_free(fx->base);
	si_config_free(&fx->cfg);
	if (fx->ini[0])
		(void)unlink(fx->ini);
	standin_proc_stop(&fx->aws);
	standin_proc_stop(&fx->recv);
	free(fx);
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("SI_SRCDIR");
	char *cfg_env[3], *eng_env[4];
	struct aws_client_opts co;
	struct search_settings ss;
	struct si_err err;
	FILE *f;
	int fd;

	if (fx == NULL)
		return -1;
	src = src != NULL && src[0] ? src : ".";
	if (standin_proc_start(&fx->aws, "aws_standin.py") != 0 ||
	    standin_proc_start(&fx->recv, "slack_receiver.py") != 0) {
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
	fx->base = aws_creds_provider_env_new(eng_env, &err);
	if (fx->base == NULL) {
		fprintf(stderr, "base credentials: %s\n", err.msg);
		goto fail;
	}
	co = (struct aws_client_opts){
		.connect_timeout_ms = fx->cfg.aws_connect_timeout_ms,
		.timeout_ms = fx->cfg.aws_timeout_ms,
		.max_attempts = fx->cfg.aws_max_attempts,
	};
	fx->client = aws_client_new(&co, eng_env, fx->base, &err);
	if (fx->client == NULL) {
		fprintf(stderr, "aws_client_new: %s\n", err.msg);
		goto fail;
	}
	ss = (struct search_settings){
		.accounts = fx->cfg.accounts,
		.n_accounts = fx->cfg.n_accounts,
		.deadline_ms = fx->cfg.deadline_ms,
		.max_inflight = fx->cfg.max_inflight,
	};
	fx->engine = search_engine_new(&ss, fx->client, &err);
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

	if (standin_http(&fx->aws, "/_control/clear-faults", "{}", NULL) != 200 ||
	    standin_http(&fx->recv, "/_reset", "{}", NULL) != 200)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return standin_http(&fx->aws, "/_control/clear-faults", "{}", NULL) == 200 ? 0 : -1;
}

static void set_latency(const struct fixture *fx, int ms)
{
	char doc[128];

	snprintf(doc, sizeof(doc), "{\"account\":\"*\",\"kind\":\"latency\",\"arg\":%d}", ms);
	assert_int_equal(standin_http(&fx->aws, "/_control/fault", doc, NULL), 200);
}

static void url_for(const struct fixture *fx, const char *path, char *out, size_t n)
{
	int w = snprintf(out, n, "http://127.0.0.1:%d%s", fx->recv.port, path);

	assert_true(w > 0 && (size_t)w < n);
}

/* The request id every submit carries (fcgi/worker.c's pid-index-n shape). */
#define T_RID "4242-0-7"

/* 1 when some audit line of log holds needle. */
static int t_audit_has(const char *log, const char *needle)
{
	for (const char *p = log; (p = strstr(p, "event=audit")) != NULL; p++) {
		const char *end = strchr(p, '\n');
		const char *hit = strstr(p, needle);

		if (hit != NULL && (end == NULL || hit < end))
			return 1;
	}
	return 0;
}

/* What a test changes in a submit; zeroed: the instance, in_channel. */
struct sub {
	const char *text;
	enum render_response_type rtype;
	int quiet, replace_original;
};

static struct search_job *submit_with(struct search_pool *pool, const struct query *q,
				      const char *url, const struct sub *o, struct si_err *err)
{
	struct search_job_params p;

	memset(&p, 0, sizeof(p));
	p.query = q;
	p.text = o->text != NULL ? o->text : INSTANCE;
	p.response_url = url;
	p.response_type = o->rtype;
	p.quiet = o->quiet;
	p.replace_original = o->replace_original;
	p.who.request_id = T_RID;
	p.who.team_id = "T1";
	p.who.user_id = "U1";
	p.who.user_name = "tester";
	p.who.channel_id = "C1";
	p.who.channel_name = "infra";
	return search_pool_submit(pool, &p, err);
}

static struct search_job *submit(struct search_pool *pool, const struct query *q,
				 const char *url, struct si_err *err)
{
	const struct sub o = {0};

	return submit_with(pool, q, url, &o, err);
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
	root = standin_messages(&fx->recv, path);
	assert_string_equal(msg_type(root, 0, &raw), "ephemeral");
	assert_non_null(strstr(raw, "Searching"));
	assert_string_equal(msg_type(root, 1, &raw), "in_channel");
	assert_non_null(strstr(raw, INSTANCE));
	json_object_put(root);
	/* Exactly once: no third message, now or after the pool stops. */
	standin_sleep_ms(QUIET_MS);
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
	size_t queued = 9, max = 9;

	set_latency(fx, 800);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(search_pool_accepting(pool, &queued, &max), 1);
	assert_int_equal(queued, 0);
	assert_int_equal(max, 1);
	j1 = submit(pool, &q, url, &err);
	assert_non_null(j1);
	/* Let the only worker take j1 off the queue (searching takes >= 800
	 * ms with the fault), so j2 fills the one queue slot. */
	standin_sleep_ms(300);
	j2 = submit(pool, &q, url, &err);
	assert_non_null(j2);
	/* What /readyz asks: full now (j2 waits while j1 runs). */
	assert_int_equal(search_pool_accepting(pool, &queued, NULL), 0);
	assert_int_equal(queued, 1);
	memset(&err, 0, sizeof(err));
	j3 = submit(pool, &q, url, &err);
	assert_null(j3);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	/* j1 and j2 finish inline: answered to us, nothing posted. */
	assert_int_equal(search_job_wait_inline(j1, 10000), 1);
	assert_int_equal(search_job_wait_inline(j2, 10000), 1);
	search_job_release(j1);
	search_job_release(j2);
	assert_int_equal(search_pool_accepting(pool, NULL, NULL), 1);
	search_pool_free(pool);
	assert_int_equal(search_pool_accepting(NULL, &queued, &max), 1);
	assert_int_equal(queued + max, 0);
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
		struct json_object *root = standin_messages(&fx->recv, paths[i]);
		const char *raw;

		assert_int_equal(standin_count(root, "counts", paths[i]), 2);
		assert_int_equal(standin_count(root, "attempts", paths[i]), 2);
		assert_string_equal(msg_type(root, 0, &raw), "ephemeral");
		assert_string_equal(msg_type(root, 1, &raw), "in_channel");
		assert_non_null(strstr(raw, INSTANCE));
		json_object_put(root);
	}
}

/* What search_pool_drain handed off, for the test below. */
struct handed {
	int n, n_started, n_queued;
	char text[64];
	char url[256];
	char journal[32];
};

static void on_handoff(const struct search_handoff *h, void *arg)
{
	struct handed *hd = arg;

	hd->n++;
	if (h->started)
		hd->n_started++;
	else
		hd->n_queued++;
	assert_true(h->deferred);
	assert_true(h->notice_posted);
	assert_string_equal(h->who->user_id, "U1");
	snprintf(hd->text, sizeof(hd->text), "%s", h->text);
	snprintf(hd->url, sizeof(hd->url), "%s", h->response_url);
	snprintf(hd->journal, sizeof(hd->journal), "%s", h->journal);
}

/* A stop within its budget: jobs that cannot finish by the deadline are
 * handed off (once each), the queued one never starts, and the drain
 * returns at the deadline instead of waiting for the searches. */
static void test_drain_hands_off_at_deadline(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/hooks/T1/B1/h0", "/hooks/T1/B1/h1" };
	struct search_pool *pool = new_pool(fx, 1, 4);
	struct handed hd;
	struct query q;
	struct si_err err;
	char url[256];
	long long t0;
	size_t n;

	memset(&hd, 0, sizeof(hd));
	set_latency(fx, 1500);
	parse_instance_query(&q);
	for (size_t i = 0; i < 2; i++) {
		struct search_job *j;

		url_for(fx, paths[i], url, sizeof(url));
		j = submit(pool, &q, url, &err);
		assert_non_null(j);
		assert_int_equal(search_job_wait_inline(j, 50), 0);
		search_job_post_pending(j);
		search_job_release(j);
	}
	t0 = si_mono_ms();
	n = search_pool_drain(pool, t0 + 200, on_handoff, &hd);
	assert_true(si_mono_ms() - t0 < 1000);
	assert_int_equal(n, 2);
	assert_int_equal(hd.n, 2);
	assert_int_equal(hd.n_started, 1);
	assert_int_equal(hd.n_queued, 1);
	assert_string_equal(hd.text, INSTANCE);
	assert_non_null(strstr(hd.url, "/hooks/T1/B1/h"));
	/* Here the process would _exit; the test waits for the running
	 * search instead (free joins it). The queued one never ran. */
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, paths[0]) + attempts_on(fx, paths[1]), 3);
}

/* A drain with nothing left returns at once and hands nothing off. */
static void test_drain_idle_pool(void **state)
{
	struct fixture *fx = *state;
	struct search_pool *pool = new_pool(fx, 2, 4);
	struct handed hd;

	memset(&hd, 0, sizeof(hd));
	assert_int_equal(search_pool_drain(pool, si_mono_ms() + 5000, on_handoff, &hd), 0);
	assert_int_equal(hd.n, 0);
	search_pool_free(pool);
}

/* --- with a journal (a temporary SQLite store) ------------------------- */

/* A temporary store: its directory, path, a journal for the pool and a
 * second handle that plays another worker. */
struct tmp_store {
	char dir[32];
	char path[64];
	struct journal *journal;
	struct store *other;
};

static void tmp_store_open(struct tmp_store *t)
{
	struct store_settings ss;
	struct si_err err;

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_pool.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/state.db", t->dir);
	memset(&ss, 0, sizeof(ss));
	ss.path = t->path;
	t->journal = journal_new(&ss, time(NULL), &err);
	assert_non_null(t->journal);
	assert_string_equal(journal_backend(t->journal), "sqlite");
	t->other = store_open(&ss, &err);
	assert_non_null(t->other);
}

static void tmp_store_close(struct tmp_store *t)
{
	char cmd[64];

	store_close(t->other);
	journal_free(t->journal);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

static struct search_pool *new_journaled_pool(struct fixture *fx, struct tmp_store *t)
{
	struct search_pool *pool = new_pool(fx, 2, 8);
	struct si_err err;

	assert_int_equal(search_pool_set_journal(pool, t->journal, &err), 0);
	return pool;
}

/* Wait (bounded) until job id is delivered in the store. */
static struct store_job *wait_delivered(struct store *st, const char *id)
{
	struct store_job *job = NULL;
	struct si_err err;

	for (int i = 0; i < MSG_WAIT_STEPS; i++) {
		store_job_free(job);
		assert_int_equal(store_journal_get(st, id, &job, &err), 0);
		if (job->delivered_at != 0)
			break;
		standin_sleep_ms(MSG_WAIT_STEP_MS);
	}
	return job;
}

/* A journaled deferred search: in the journal from submit, each post
 * counted (notice + final = 2 uses), delivered once Slack took the final;
 * an inline answer is delivered at once. */
static void test_journal_deferred_counted_and_delivered(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/journaled";
	struct tmp_store t;
	struct search_pool *pool;
	struct store_job *job;
	struct search_job *j;
	struct query q;
	struct si_err err;
	char url[256], id[STORE_JOB_ID_SIZE];

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j = submit(pool, &q, url, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 3000), 1);
	snprintf(id, sizeof(id), "%s", search_job_journal_id(j));
	search_job_release(j);
	assert_int_equal(strlen(id), STORE_JOB_ID_LEN);
	job = wait_delivered(t.other, id);
	assert_true(job->delivered_at != 0);
	assert_int_equal(job->uses, 0);
	store_job_free(job);

	set_latency(fx, 1500);
	j = submit(pool, &q, url, &err);
	assert_non_null(j);
	snprintf(id, sizeof(id), "%s", search_job_journal_id(j));
	assert_int_equal(store_journal_get(t.other, id, &job, &err), 0);
	assert_true(job->delivered_at == 0);   /* written before the ack */
	assert_string_equal(job->owner, journal_owner(t.journal));
	store_job_free(job);
	assert_int_equal(search_job_wait_inline(j, 100), 0);
	search_job_post_pending(j);
	search_job_release(j);
	assert_int_equal(wait_messages(fx, path, 2), 2);
	job = wait_delivered(t.other, id);
	assert_true(job->delivered_at != 0);
	assert_int_equal(job->uses, 2);
	store_job_free(job);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 2);
	tmp_store_close(&t);
}

/* Add an orphan as a dead worker would have left it: owner gone (NULL),
 * uses already counted (1: its notice went out). */
static void add_orphan(struct fixture *fx, struct tmp_store *t, const char *path, int uses,
		       char id[STORE_JOB_ID_SIZE])
{
	struct store_job job;
	struct si_err err;
	char url[256];

	url_for(fx, path, url, sizeof(url));
	memset(&job, 0, sizeof(job));
	job.response_url = url;
	job.text = INSTANCE;
	job.response_type = "in_channel";
	job.user_id = "U1";
	job.channel_id = "C1";
	job.accounts = "only:production,dev";
	job.created_at = time(NULL);
	assert_int_equal(store_journal_add(t->other, &job, id, &err), 0);
	for (int i = 0; i < uses; i++)
		assert_int_equal(store_journal_use(t->other, id, NULL, &err), 0);
}

/* Orphans are claimed by the pool's journal thread and finished exactly
 * once: with no second notice when one was counted, with one when not;
 * the account restriction travels with the row. */
static void test_journal_orphans_finished_once(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/hooks/T1/B1/orphan0", "/hooks/T1/B1/orphan1" };
	char id0[STORE_JOB_ID_SIZE], id1[STORE_JOB_ID_SIZE];
	char want[STORE_JOB_ID_SIZE + 16];
	struct fixture_log cap;
	char *log;
	struct json_object *root;
	struct search_pool *pool;
	struct store_job *job;
	struct tmp_store t;
	const char *raw;

	tmp_store_open(&t);
	add_orphan(fx, &t, paths[0], 1, id0);
	add_orphan(fx, &t, paths[1], 0, id1);
	fixture_log_begin(&cap);
	pool = new_journaled_pool(fx, &t);
	/* Claimed within a tick or two (JOURNAL_TICK_MS), then searched. */
	assert_int_equal(wait_messages(fx, paths[0], 1), 1);
	assert_int_equal(wait_messages(fx, paths[1], 2), 2);
	standin_sleep_ms(QUIET_MS);
	root = standin_messages(&fx->recv, paths[0]);
	assert_int_equal(standin_count(root, "counts", paths[0]), 1);
	assert_string_equal(msg_type(root, 0, &raw), "in_channel");
	assert_non_null(strstr(raw, INSTANCE));
	assert_null(strstr(raw, "staging"));   /* only:production,dev */
	json_object_put(root);
	root = standin_messages(&fx->recv, paths[1]);
	assert_int_equal(standin_count(root, "counts", paths[1]), 2);
	(void)msg_type(root, 0, &raw);
	assert_non_null(strstr(raw, "Searching"));
	assert_non_null(strstr(raw, "Searching 2 accounts"));   /* restricted */
	json_object_put(root);
	job = wait_delivered(t.other, id0);
	assert_int_equal(job->uses, 2);
	assert_string_equal(job->owner, journal_owner(t.journal));
	store_job_free(job);
	job = wait_delivered(t.other, id1);
	assert_int_equal(job->uses, 2);
	store_job_free(job);
	search_pool_free(pool);
	/* Rows without a request id (written before one was journaled) are
	 * audited under their journal id. */
	log = fixture_log_end(&cap);
	snprintf(want, sizeof(want), "request_id=%s ", id0);
	assert_true(t_audit_has(log, want));
	snprintf(want, sizeof(want), "request_id=%s ", id1);
	assert_true(t_audit_has(log, want));
	free(log);
	assert_int_equal(attempts_on(fx, paths[0]) + attempts_on(fx, paths[1]), 3);
	tmp_store_close(&t);
}

/* A stop hands a journaled search back: another worker can claim it at
 * once, and this process posts nothing more for it. */
static void test_drain_hands_back_to_journal(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/handback";
	struct store_job *jobs = NULL;
	struct search_pool *pool;
	struct search_job *j;
	struct tmp_store t;
	struct handed hd;
	struct query q;
	struct si_err err;
	char url[256], id[STORE_JOB_ID_SIZE];
	size_t n = 0;

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	memset(&hd, 0, sizeof(hd));
	set_latency(fx, 1500);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j = submit(pool, &q, url, &err);
	assert_non_null(j);
	snprintf(id, sizeof(id), "%s", search_job_journal_id(j));
	assert_int_equal(search_job_wait_inline(j, 50), 0);
	search_job_post_pending(j);
	search_job_release(j);
	assert_int_equal(search_pool_drain(pool, si_mono_ms() + 200, on_handoff, &hd), 1);
	assert_string_equal(hd.journal, "handed back");
	assert_int_equal(store_journal_claim_orphans(t.other, "other:1:1", time(NULL), 10, 5,
						     &jobs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(jobs[0].id, id);
	assert_int_equal(jobs[0].uses, 1);
	store_jobs_free(jobs, n);
	/* Here the process would _exit; the test joins the running search,
	 * whose final is not posted (the claimer owns it now). */
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 1);
	tmp_store_close(&t);
}

/* --- kept results, fallback delivery, quiet jobs (issue 14) -------------- */

/* Body of message i of root (the receiver's /_messages), borrowed. */
static struct json_object *msg_body(struct json_object *root, size_t i)
{
	struct json_object *msgs, *m, *body;

	assert_true(json_object_object_get_ex(root, "messages", &msgs));
	m = json_object_array_get_idx(msgs, i);
	assert_non_null(m);
	assert_true(json_object_object_get_ex(m, "body", &body));
	return body;
}

/* The value of the first button whose action_id is action_id (or, with
 * NULL, of any of ours: "si_..."), in a message object; NULL: none. */
static const char *button_value(struct json_object *msg, const char *action_id)
{
	struct json_object *blocks, *els, *v;

	if (!json_object_object_get_ex(msg, "blocks", &blocks))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(blocks); i++) {
		struct json_object *b = json_object_array_get_idx(blocks, i);

		if (!json_object_object_get_ex(b, "elements", &els) ||
		    !json_object_is_type(els, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(els); k++) {
			struct json_object *e = json_object_array_get_idx(els, k);
			const char *id;

			if (!json_object_object_get_ex(e, "action_id", &v))
				continue;
			id = json_object_get_string(v);
			if ((action_id == NULL ? SI_HAS_PREFIX(id, "si_")
					       : strcmp(id, action_id) == 0) &&
			    json_object_object_get_ex(e, "value", &v))
				return json_object_get_string(v);
		}
	}
	return NULL;
}

/* 1 when msg says "replace_original": true. */
static int replaces_original(struct json_object *msg)
{
	struct json_object *v;

	return json_object_object_get_ex(msg, "replace_original", &v) &&
	       json_object_get_boolean(v);
}

/* The receiver's refusals on path: how many, and the first one's error. */
static int rejected_on(const struct fixture *fx, const char *path, char *error, size_t n)
{
	struct json_object *root = standin_messages(&fx->recv, path), *rej, *r0, *v;
	int count;

	assert_true(json_object_object_get_ex(root, "rejected", &rej));
	count = (int)json_object_array_length(rej);
	if (error != NULL)
		error[0] = '\0';
	if (count > 0 && error != NULL) {
		r0 = json_object_array_get_idx(rej, 0);
		assert_true(json_object_object_get_ex(r0, "error", &v));
		snprintf(error, n, "%s", json_object_get_string(v));
	}
	json_object_put(root);
	return count;
}

/* A kept result as the buttons will find it: found, its pages an array of
 * n_pages complete messages, its share message in_channel with the same
 * id, who asked where. */
static void assert_kept(struct tmp_store *t, const char *id, const char *text, int ephemeral)
{
	struct kept_result k;
	struct json_object *pages, *share, *v;

	assert_non_null(id);
	assert_int_equal(strlen(id), KEPT_ID_LEN);
	assert_int_equal(journal_kept(t->journal, id, time(NULL), &k), 0);
	assert_string_equal(k.id, id);
	assert_string_equal(k.query, text);
	assert_string_equal(k.team_id, "T1");
	assert_string_equal(k.channel_id, "C1");
	assert_string_equal(k.user_id, "U1");
	assert_int_equal(k.ephemeral, ephemeral);
	assert_true(k.n_matches >= 1);
	assert_true(k.n_pages >= 1 && k.n_pages <= RENDER_PAGES_MAX);
	pages = json_tokener_parse(k.pages_json);
	assert_non_null(pages);
	assert_int_equal(json_object_array_length(pages), k.n_pages);
	for (size_t i = 0; i < k.n_pages; i++) {
		struct json_object *pg = json_object_array_get_idx(pages, i);

		assert_true(json_object_object_get_ex(pg, "blocks", &v));
		assert_true(json_object_object_get_ex(pg, "response_type", &v));
		assert_string_equal(json_object_get_string(v), "ephemeral");
		assert_null(button_value(pg, NULL));
	}
	json_object_put(pages);
	share = json_tokener_parse(k.share_json);
	assert_non_null(share);
	assert_true(json_object_object_get_ex(share, "response_type", &v));
	assert_string_equal(json_object_get_string(v), "in_channel");
	assert_false(replaces_original(share));
	assert_string_equal(button_value(share, RENDER_ACTION_REFRESH), id);
	json_object_put(share);
	kept_result_free(&k);
}

/* Slack refuses the final answer (400 msg_blocks_too_long, as JSON or as
 * plain text): the minimal fallback is posted once, after the refused
 * answer, and nothing else; the journal counts it and marks the search
 * delivered. */
static void test_refused_answer_gets_one_fallback(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/hooks/T1/B1/refused-json", "/hooks/T1/B1/refused-text" };
	static const char *formats[] = { "json", "text" };
	struct search_pool *pool;
	struct tmp_store t;
	struct query q;
	struct si_err err;
	char url[256], ctl[256], ids[2][STORE_JOB_ID_SIZE], error[64];

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	set_latency(fx, 1500);
	parse_instance_query(&q);
	for (size_t i = 0; i < 2; i++) {
		struct search_job *j;

		/* The notice goes through; the answer after it is refused. */
		snprintf(ctl, sizeof(ctl), "{\"reject_next\":1,\"path\":\"%s\",\"after\":1,"
			 "\"error_format\":\"%s\"}", paths[i], formats[i]);
		assert_int_equal(standin_http(&fx->recv, "/_control", ctl, NULL), 200);
		url_for(fx, paths[i], url, sizeof(url));
		j = submit(pool, &q, url, &err);
		assert_non_null(j);
		snprintf(ids[i], sizeof(ids[i]), "%s", search_job_journal_id(j));
		assert_int_equal(search_job_wait_inline(j, 100), 0);
		search_job_post_pending(j);
		search_job_release(j);
	}
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(wait_messages(fx, paths[i], 2), 2);
	/* Joined: whatever the pool would post has been posted. */
	search_pool_free(pool);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *root = standin_messages(&fx->recv, paths[i]), *fb;
		struct render_size sz;
		struct store_job *job;
		const char *raw;

		assert_int_equal(standin_count(root, "attempts", paths[i]), 3);
		assert_int_equal(standin_count(root, "counts", paths[i]), 2);
		(void)msg_type(root, 0, &raw);
		assert_non_null(strstr(raw, "Searching"));
		/* The second accepted message is the fallback: small, no
		 * links, no cards, no buttons, the counts and how to narrow. */
		assert_string_equal(msg_type(root, 1, &raw), "in_channel");
		fb = msg_body(root, 1);
		assert_int_equal(render_measure(raw, &sz, &err), 0);
		assert_true(sz.blocks >= 1 && sz.blocks <= 3);
		assert_true(sz.text_chars <= 3000);
		assert_null(strstr(raw, "https://"));
		assert_null(strstr(raw, "\"fields\""));   /* no card */
		assert_null(button_value(fb, NULL));
		assert_non_null(strstr(raw, "1 match"));
		assert_non_null(strstr(raw, "narrow"));
		assert_non_null(strstr(raw, "account:"));
		json_object_put(root);
		assert_int_equal(rejected_on(fx, paths[i], error, sizeof(error)), 1);
		assert_string_equal(error, "msg_blocks_too_long");
		job = wait_delivered(t.other, ids[i]);
		assert_true(job->delivered_at != 0);
		assert_int_equal(job->uses, 3);       /* notice, answer, fallback */
		store_job_free(job);
	}
	tmp_store_close(&t);
}

/* "The URL is gone" (404 expired_url, 410 used_url) is no reason for a
 * fallback: nothing more is posted. Without a journal, too. */
static void test_gone_url_gets_no_fallback(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/hooks/T1/B1/expired", "/hooks/T1/B1/used" };
	static const char *ctl[] = {
		"{\"reject_next\":1,\"path\":\"/hooks/T1/B1/expired\",\"after\":1,"
		"\"status\":404,\"error\":\"expired_url\"}",
		"{\"reject_next\":1,\"path\":\"/hooks/T1/B1/used\",\"after\":1,"
		"\"status\":410,\"error\":\"used_url\",\"error_format\":\"text\"}",
	};
	struct search_pool *pool = new_pool(fx, 2, 4);
	struct query q;
	struct si_err err;
	char url[256];

	set_latency(fx, 1500);
	parse_instance_query(&q);
	for (size_t i = 0; i < 2; i++) {
		struct search_job *j;

		assert_int_equal(standin_http(&fx->recv, "/_control", ctl[i], NULL), 200);
		url_for(fx, paths[i], url, sizeof(url));
		j = submit(pool, &q, url, &err);
		assert_non_null(j);
		assert_int_equal(search_job_wait_inline(j, 100), 0);
		search_job_post_pending(j);
		search_job_release(j);
	}
	search_pool_free(pool);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(attempts_on(fx, paths[i]), 2);   /* notice, answer */
		assert_int_equal(rejected_on(fx, paths[i], NULL, 0), 1);
	}
}

/* A claimed orphan whose answer takes response_url's fifth use and is
 * refused: no sixth post for a fallback (Slack would refuse it), and the
 * search is settled, not claimed again. */
static void test_no_fallback_past_five_uses(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/spent";
	char id[STORE_JOB_ID_SIZE];
	struct search_pool *pool;
	struct store_job *job;
	struct tmp_store t;

	tmp_store_open(&t);
	assert_int_equal(standin_http(&fx->recv, "/_control",
				      "{\"reject_next\":1,\"path\":\"/hooks/T1/B1/spent\"}", NULL),
			 200);
	add_orphan(fx, &t, path, 4, id);
	pool = new_journaled_pool(fx, &t);
	job = wait_delivered(t.other, id);
	assert_true(job->delivered_at != 0);
	assert_int_equal(job->uses, 5);
	store_job_free(job);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 1);
	assert_int_equal(rejected_on(fx, path, NULL, 0), 1);
	tmp_store_close(&t);
}

/* With a journal, a search with matches is kept before its answer is
 * rendered, inline or deferred, and the answer's buttons name it. */
static void test_results_kept_with_buttons(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/kept";
	const struct sub o = { .text = "prod", .rtype = RENDER_EPHEMERAL };
	struct search_pool *pool;
	struct json_object *msg, *root;
	struct search_job *j;
	struct tmp_store t;
	struct query q;
	struct si_err err;
	char url[256], *json, first[KEPT_ID_SIZE];
	const char *id;

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	assert_int_equal(query_parse("prod", &q, &err), 0);
	url_for(fx, path, url, sizeof(url));
	/* Inline. */
	j = submit_with(pool, &q, url, &o, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 20000), 1);
	json = search_job_render(j, &err);
	assert_non_null(json);
	search_job_release(j);
	msg = json_tokener_parse(json);
	assert_non_null(msg);
	id = button_value(msg, RENDER_ACTION_REFRESH);
	assert_kept(&t, id, "prod", 1);
	/* More matches than cards, and an ephemeral answer: every button. */
	assert_string_equal(button_value(msg, RENDER_ACTION_SHOW_ALL), id);
	assert_string_equal(button_value(msg, RENDER_ACTION_SHARE), id);
	snprintf(first, sizeof(first), "%s", id);
	json_object_put(msg);
	free(json);
	/* Deferred: a new result, kept as well. */
	set_latency(fx, 1500);
	j = submit_with(pool, &q, url, &o, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 100), 0);
	search_job_post_pending(j);
	search_job_release(j);
	assert_int_equal(wait_messages(fx, path, 2), 2);
	search_pool_free(pool);
	root = standin_messages(&fx->recv, path);
	msg = msg_body(root, 1);
	id = button_value(msg, RENDER_ACTION_REFRESH);
	assert_non_null(id);
	assert_string_not_equal(id, first);
	assert_kept(&t, id, "prod", 1);
	assert_false(replaces_original(msg));
	json_object_put(root);
	assert_int_equal(attempts_on(fx, path), 2);
	tmp_store_close(&t);
}

/* Without a state store nothing is kept, and no answer has buttons. */
static void test_no_store_no_buttons(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/nobuttons";
	const struct sub o = { .text = "prod", .rtype = RENDER_EPHEMERAL };
	struct search_pool *pool = new_pool(fx, 2, 4);
	struct json_object *msg, *root;
	struct search_job *j;
	struct query q;
	struct si_err err;
	char url[256], *json;

	assert_int_equal(query_parse("prod", &q, &err), 0);
	url_for(fx, path, url, sizeof(url));
	j = submit_with(pool, &q, url, &o, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 20000), 1);
	json = search_job_render(j, &err);
	assert_non_null(json);
	search_job_release(j);
	msg = json_tokener_parse(json);
	assert_null(button_value(msg, NULL));
	json_object_put(msg);
	free(json);
	set_latency(fx, 1500);
	j = submit_with(pool, &q, url, &o, &err);
	assert_non_null(j);
	assert_int_equal(search_job_wait_inline(j, 100), 0);
	search_job_post_pending(j);
	search_job_release(j);
	assert_int_equal(wait_messages(fx, path, 2), 2);
	search_pool_free(pool);
	root = standin_messages(&fx->recv, path);
	assert_null(button_value(msg_body(root, 1), NULL));
	json_object_put(root);
}

/* A quiet job (Refresh) posts no notice, and its answer does not wait for
 * one: the receiver gets exactly one message, the answer, well within
 * POOL_PENDING_WAIT_MS; replace_original is in it and in the journal's
 * row, so a claimed orphan keeps both (one message, replacing). */
static void test_quiet_job_replaces_without_notice(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/quiet";
	static const char opath[] = "/hooks/T1/B1/quiet-orphan";
	const struct sub o = { .quiet = 1, .replace_original = 1 };
	struct json_object *root, *msg;
	struct search_pool *pool;
	struct store_job *job, sj;
	struct search_job *j;
	struct tmp_store t;
	struct query q;
	struct si_err err;
	char url[256], id[STORE_JOB_ID_SIZE], oid[STORE_JOB_ID_SIZE];
	const char *raw;
	struct fixture_log cap;
	char *log;

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	set_latency(fx, 1500);
	parse_instance_query(&q);
	url_for(fx, path, url, sizeof(url));
	j = submit_with(pool, &q, url, &o, &err);
	assert_non_null(j);
	snprintf(id, sizeof(id), "%s", search_job_journal_id(j));
	assert_int_equal(store_journal_get(t.other, id, &job, &err), 0);
	assert_string_equal(job->accounts, "replace_original quiet rid:" T_RID);
	store_job_free(job);
	assert_int_equal(search_job_wait_inline(j, 100), 0);
	/* No search_job_post_pending / queue_notice: the caller of a quiet
	 * job never calls them. */
	search_job_release(j);
	assert_int_equal(wait_messages_within(fx, path, 1, QUIET_WAIT_STEPS), 1);

	/* The same as an orphan another worker left (restricted, too). */
	url_for(fx, opath, url, sizeof(url));
	memset(&sj, 0, sizeof(sj));
	sj.response_url = url;
	sj.text = INSTANCE;
	sj.response_type = "ephemeral";
	sj.team_id = "T1";
	sj.user_id = "U1";
	sj.channel_id = "C1";
	sj.accounts = "replace_original quiet rid:orphan-rid-9 only:production,dev";
	sj.created_at = time(NULL);
	fixture_log_begin(&cap);
	assert_int_equal(store_journal_add(t.other, &sj, oid, &err), 0);
	assert_int_equal(wait_messages_within(fx, opath, 1, QUIET_WAIT_STEPS), 1);
	search_pool_free(pool);
	/* The claimed orphan's audit line carries the asking request's id. */
	log = fixture_log_end(&cap);
	assert_true(t_audit_has(log, "request_id=orphan-rid-9 "));
	free(log);

	assert_int_equal(attempts_on(fx, path), 1);
	root = standin_messages(&fx->recv, path);
	assert_string_equal(msg_type(root, 0, &raw), "in_channel");
	assert_null(strstr(raw, "Searching"));
	assert_non_null(strstr(raw, INSTANCE));
	msg = msg_body(root, 0);
	assert_true(replaces_original(msg));
	assert_kept(&t, button_value(msg, RENDER_ACTION_REFRESH), INSTANCE, 0);
	json_object_put(root);
	job = wait_delivered(t.other, id);
	assert_int_equal(job->uses, 1);
	store_job_free(job);

	assert_int_equal(attempts_on(fx, opath), 1);
	root = standin_messages(&fx->recv, opath);
	assert_string_equal(msg_type(root, 0, &raw), "ephemeral");
	assert_null(strstr(raw, "Searching"));
	assert_null(strstr(raw, "staging"));   /* only:production,dev */
	msg = msg_body(root, 0);
	assert_true(replaces_original(msg));
	/* A claimed orphan keeps its result too. */
	assert_kept(&t, button_value(msg, RENDER_ACTION_REFRESH), INSTANCE, 1);
	json_object_put(root);
	job = wait_delivered(t.other, oid);
	assert_int_equal(job->uses, 1);
	store_job_free(job);
	tmp_store_close(&t);
}

/* [links]: a job's own, else the pool's (search_pool_set_links), which is
 * also what a claimed orphan renders with (the journal does not carry
 * them). The structs are copied: the callers' go out of scope here. */
static void test_links_for_jobs_and_orphans(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/links-orphan";
	static const char sso[] = "https://d-1234567890.awsapps.com/start";
	struct search_pool *pool;
	struct json_object *root;
	struct search_job *j;
	struct tmp_store t;
	struct query q;
	struct si_err err;
	char id[STORE_JOB_ID_SIZE], *json;
	const char *raw;

	tmp_store_open(&t);
	pool = new_journaled_pool(fx, &t);
	{
		const struct render_links pool_links = { sso, "ReadOnly" };

		search_pool_set_links(pool, &pool_links);
	}
	parse_instance_query(&q);
	{
		struct search_job_params p;
		const struct render_links own = { sso, "Admin" };

		memset(&p, 0, sizeof(p));
		p.query = &q;
		p.text = INSTANCE;
		p.who.team_id = "T1";
		p.who.channel_id = "C1";
		p.who.user_id = "U1";
		p.links = &own;
		j = search_pool_submit(pool, &p, &err);
		assert_non_null(j);
	}
	assert_int_equal(search_job_wait_inline(j, 20000), 1);
	json = search_job_render(j, &err);
	search_job_release(j);
	assert_non_null(json);
	assert_non_null(strstr(json, "awsapps.com/start/#/console?account_id=111111111111"));
	assert_non_null(strstr(json, "role_name=Admin"));
	free(json);
	add_orphan(fx, &t, path, 1, id);
	assert_int_equal(wait_messages(fx, path, 1), 1);
	search_pool_free(pool);
	root = standin_messages(&fx->recv, path);
	(void)msg_type(root, 0, &raw);
	assert_non_null(strstr(raw, "awsapps.com/start/#/console?account_id=111111111111"));
	assert_non_null(strstr(raw, "role_name=ReadOnly"));
	json_object_put(root);
	tmp_store_close(&t);
}

/* --- a button press's messages on the notice threads ----------------------- */

/* A loopback peer that reads each POST and holds its answer until
 * released: what a slow Slack does to the thread that posts. Answers 200
 * once released (and at once after that). */
#define HOLDER_MAX 64

struct holder {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int held[HOLDER_MAX];
	size_t n_held;
	int seen;                 /* requests read */
	int answered;
	int released, stop;
};

/* Read one request: its head, then Content-Length bytes of body (bounded
 * by the buffer and a 5 s receive timeout). */
static void holder_read(int fd)
{
	struct timeval tv = { 5, 0 };
	char buf[16384];
	size_t len = 0;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		const char *end, *cl;

		if (r <= 0)
			return;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		cl = strstr(buf, "Content-Length:");
		if (end != NULL &&
		    len >= (size_t)(end - buf) + 4 + (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0))
			return;
		if (len == sizeof(buf) - 1)
			return;
	}
}

static void holder_answer(struct holder *h, int fd)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				 "Content-Length: 2\r\nConnection: close\r\n\r\nok";

	(void)write(fd, ok, sizeof(ok) - 1);
	close(fd);
	h->answered++;
}

/* The holder's thread: accept, read, hold or answer, until stopped. */
static void *holder_main(void *arg)
{
	struct holder *h = arg;

	for (;;) {
		struct pollfd pf = { h->fd, POLLIN, 0 };
		int fd = -1;

		if (poll(&pf, 1, 20) == 1)
			fd = accept(h->fd, NULL, NULL);
		if (fd >= 0)
			holder_read(fd);
		pthread_mutex_lock(&h->lock);
		if (fd >= 0) {
			h->seen++;
			if (!h->released && h->n_held < HOLDER_MAX)
				h->held[h->n_held++] = fd;
			else
				holder_answer(h, fd);
		}
		while (h->released && h->n_held > 0)
			holder_answer(h, h->held[--h->n_held]);
		pthread_cond_broadcast(&h->cond);
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

static void holder_start(struct holder *h)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(h->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->fd, HOLDER_MAX), 0);
	assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &alen), 0);
	h->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&h->thread, NULL, holder_main, h), 0);
}

static void holder_release(struct holder *h)
{
	pthread_mutex_lock(&h->lock);
	h->released = 1;
	pthread_mutex_unlock(&h->lock);
}

static void holder_stop(struct holder *h)
{
	pthread_mutex_lock(&h->lock);
	h->released = 1;
	h->stop = 1;
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	close(h->fd);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
}

/* Bounded wait (30 s) until the holder read at least n requests; returns
 * how many it read. */
static int holder_wait_seen(struct holder *h, int n)
{
	long long until = si_mono_ms() + (long long)MSG_WAIT_STEPS * MSG_WAIT_STEP_MS;
	int seen;

	pthread_mutex_lock(&h->lock);
	while (h->seen < n && si_mono_ms() < until) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += MSG_WAIT_STEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &ts);
	}
	seen = h->seen;
	pthread_mutex_unlock(&h->lock);
	return seen;
}

static int holder_seen(struct holder *h)
{
	int seen;

	pthread_mutex_lock(&h->lock);
	seen = h->seen;
	pthread_mutex_unlock(&h->lock);
	return seen;
}

/* n messages "post 1".."post n" (malloc'd; free with free_msgs). */
static void make_msgs(char **msgs, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++) {
		char buf[128];

		snprintf(buf, sizeof(buf),
			 "{\"response_type\":\"ephemeral\",\"replace_original\":false,"
			 "\"text\":\"%s %zu\"}", tag, i + 1);
		msgs[i] = strdup(buf);
		assert_non_null(msgs[i]);
	}
}

static void free_msgs(char **msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(msgs[i]);
}

/* Five messages to one response_url arrive in order, exactly once; the
 * call returns at once and copies (the caller's strings are freed right
 * after it). */
static void test_posts_arrive_in_order(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/press-posts";
	struct search_pool *pool = new_pool(fx, 1, 4);
	struct json_object *root;
	struct si_err err;
	char url[256], *msgs[SEARCH_POOL_POSTS_MAX];

	url_for(fx, path, url, sizeof(url));
	make_msgs(msgs, SEARCH_POOL_POSTS_MAX, "post");
	assert_int_equal(search_pool_queue_posts(pool, url, msgs, SEARCH_POOL_POSTS_MAX, &err),
			 0);
	free_msgs(msgs, SEARCH_POOL_POSTS_MAX);
	assert_int_equal(wait_messages(fx, path, SEARCH_POOL_POSTS_MAX), SEARCH_POOL_POSTS_MAX);
	root = standin_messages(&fx->recv, path);
	for (size_t i = 0; i < SEARCH_POOL_POSTS_MAX; i++) {
		struct json_object *v;
		char want[32];

		snprintf(want, sizeof(want), "post %zu", i + 1);
		assert_true(json_object_object_get_ex(msg_body(root, i), "text", &v));
		assert_string_equal(json_object_get_string(v), want);
	}
	json_object_put(root);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), SEARCH_POOL_POSTS_MAX);
}

/* A post Slack refuses ends its list: the messages after it are not
 * tried (page 3 after a lost page 2 would mislead). The same lists posted
 * without a pool (search_pool_send_posts) behave alike. */
static void test_posts_failure_stops_list(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/press-refused";
	static const char sync_path[] = "/hooks/T1/B1/press-sync";
	struct search_pool *pool = new_pool(fx, 1, 4);
	struct si_err err;
	char url[256], doc[256], *msgs[SEARCH_POOL_POSTS_MAX];

	snprintf(doc, sizeof(doc),
		 "{\"reject_next\":1,\"path\":\"%s\",\"after\":2,\"status\":404,"
		 "\"error\":\"expired_url\",\"error_format\":\"text\"}", path);
	assert_int_equal(standin_http(&fx->recv, "/_control", doc, NULL), 200);
	url_for(fx, path, url, sizeof(url));
	make_msgs(msgs, SEARCH_POOL_POSTS_MAX, "post");
	assert_int_equal(search_pool_queue_posts(pool, url, msgs, SEARCH_POOL_POSTS_MAX, &err),
			 0);
	search_pool_free(pool);
	/* Joined: two accepted, the third refused (a 4xx: not retried), the
	 * last two never tried. */
	assert_int_equal(attempts_on(fx, path), 3);
	assert_int_equal(wait_messages_within(fx, path, 2, 1), 2);
	assert_int_equal(rejected_on(fx, path, NULL, 0), 1);

	url_for(fx, sync_path, url, sizeof(url));
	assert_int_equal(search_pool_send_posts(url, msgs, 3), 3);
	assert_int_equal(attempts_on(fx, sync_path), 3);
	free_msgs(msgs, SEARCH_POOL_POSTS_MAX);
}

/* What the call refuses outright: no messages, more than Slack's five, a
 * NULL one; nothing is posted. */
static void test_posts_invalid(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/press-invalid";
	struct search_pool *pool = new_pool(fx, 1, 4);
	struct si_err err;
	char url[256], *msgs[SEARCH_POOL_POSTS_MAX + 1];

	url_for(fx, path, url, sizeof(url));
	make_msgs(msgs, SEARCH_POOL_POSTS_MAX + 1, "post");
	assert_int_equal(search_pool_queue_posts(pool, url, msgs, 0, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(search_pool_queue_posts(pool, url, msgs, SEARCH_POOL_POSTS_MAX + 1,
						 &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(search_pool_queue_posts(pool, NULL, msgs, 1, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	free(msgs[1]);
	msgs[1] = NULL;
	assert_int_equal(search_pool_queue_posts(pool, url, msgs, 2, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	free_msgs(msgs, SEARCH_POOL_POSTS_MAX + 1);
	search_pool_free(pool);
	assert_int_equal(attempts_on(fx, path), 0);
}

/* The pool's notice threads (search_pool.c's POOL_NOTICE_THREADS): the
 * held tests first occupy each with one list. */
#define NOTICE_THREADS 4

/* Queue one list of n messages to url; the call must return at once (a
 * request thread never waits on Slack, however slow it is). Returns the
 * call's result, err filled. */
static int queue_list(struct search_pool *pool, const char *url, size_t n, struct si_err *err)
{
	char *msgs[SEARCH_POOL_POSTS_MAX];
	long long t0 = si_mono_ms();
	int rc;

	make_msgs(msgs, n, "held");
	memset(err, 0, sizeof(*err));
	rc = search_pool_queue_posts(pool, url, msgs, n, err);
	free_msgs(msgs, n);
	assert_true(si_mono_ms() - t0 < 1000);
	return rc;
}

/* Against a peer that holds every answer: a list for each notice thread,
 * held (the holder read its first post), then queue_size lists waiting,
 * then one refused with SI_ERR_LIMIT. Lists of n messages. */
static void fill_held(struct search_pool *pool, struct holder *h, const char *url,
		      int queue_size, size_t n)
{
	struct si_err err;

	/* One at a time: each is taken by an idle thread before the next. */
	for (int i = 0; i < NOTICE_THREADS; i++) {
		assert_int_equal(queue_list(pool, url, n, &err), 0);
		assert_int_equal(holder_wait_seen(h, i + 1), i + 1);
	}
	for (int i = 0; i < queue_size; i++)
		assert_int_equal(queue_list(pool, url, n, &err), 0);
	assert_int_equal(queue_list(pool, url, n, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
}

/* While Slack holds the posts, lists pile up to queue_size waiting and
 * the next is refused (SI_ERR_LIMIT, never posted); released, every
 * queued one is posted, and free waits for them. */
static void test_posts_full_queue_refused(void **state)
{
	struct fixture *fx = *state;
	struct search_pool *pool = new_pool(fx, 1, 2);
	struct holder h;
	char url[128];

	holder_start(&h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/held", h.port);
	fill_held(pool, &h, url, 2, 1);
	assert_int_equal(holder_seen(&h), NOTICE_THREADS);
	holder_release(&h);
	assert_int_equal(holder_wait_seen(&h, NOTICE_THREADS + 2), NOTICE_THREADS + 2);
	search_pool_free(pool);
	/* The refused list never went. */
	assert_int_equal(holder_seen(&h), NOTICE_THREADS + 2);
	holder_stop(&h);
}

/* A drain whose deadline passes while Slack holds the posts: the lists not
 * started are dropped, each one under way stops after its current post,
 * and the drain counts those still posting (the caller would _exit). */
static void test_posts_drain_drops_at_deadline(void **state)
{
	struct fixture *fx = *state;
	struct search_pool *pool = new_pool(fx, 1, 2);
	struct holder h;
	char url[128];
	size_t n;

	holder_start(&h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/held-drain", h.port);
	fill_held(pool, &h, url, 2, 2);
	n = search_pool_drain(pool, si_mono_ms() + 300, NULL, NULL);
	/* Held past the grace: every list under way is still posting. */
	assert_int_equal(n, NOTICE_THREADS);
	holder_release(&h);
	search_pool_free(pool);
	/* Only the first post of each list under way went: not their second,
	 * nor any of the two dropped lists. */
	assert_int_equal(holder_seen(&h), NOTICE_THREADS);
	holder_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fast_search_is_answered_inline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_search_posts_notice_then_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_finishes_queued_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_hands_off_at_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_idle_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal_deferred_counted_and_delivered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_journal_orphans_finished_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drain_hands_back_to_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_answer_gets_one_fallback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gone_url_gets_no_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fallback_past_five_uses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_results_kept_with_buttons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_store_no_buttons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_job_replaces_without_notice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_links_for_jobs_and_orphans, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_posts_arrive_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_posts_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_posts_failure_stops_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_posts_full_queue_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_posts_drain_drops_at_deadline, setup,
						teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
