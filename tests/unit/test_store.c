/*
 * test_store.c - the state store (common/store), the same tests against
 * every backend: SQLite in a temporary directory always, and PostgreSQL
 * when SI_TEST_PG_URL names a database (tests/integration/lib_pg.sh
 * starts a real server; test_store_pg.sh runs this file under it). Each
 * test starts from an empty, freshly migrated store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/private/backend.h"
#include "store_fixture.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/strutil.h"

#define T0 ((time_t)1700000000)
#define T_WINDOW 300
#define T_SIG_SIZE 68
/* Jobs (and signatures) the concurrency tests race over: enough that two
 * claimers overlap many times, few enough for valgrind. */
#define T_RACE_N 400
#define T_RACE_BATCH 7

/* --- fixtures ------------------------------------------------------------- */

static int t_setup_sqlite(void **state)
{
	return store_fixture_setup_sqlite(state, "test_store");
}

static int t_teardown(void **state)
{
	/* what the SQLite-only tests leave beside the database */
	static const char *const extra[] = { "fifo", "ro/x.db", "ro" };

	store_fixture_teardown(*state, extra, sizeof(extra) / sizeof(extra[0]));
	return 0;
}

static void t_sig(unsigned n, char out[T_SIG_SIZE])
{
	/* Shaped like Slack's "v0=" + 64 hex; only uniqueness matters here. */
	snprintf(out, T_SIG_SIZE, "v0=%064x", n);
}

static struct store_job t_job(const char *owner, time_t lease_until)
{
	struct store_job j;

	memset(&j, 0, sizeof(j));
	j.response_url = "https://hooks.slack.com/commands/T1/1/abc";
	j.text = "i-0123456789abcdef0 caf\xc3\xa9";
	j.response_type = "ephemeral";
	j.team_id = "T1";
	j.team_name = "acme";
	j.user_id = "U1";
	j.user_name = "ada";
	j.channel_id = "C1";
	j.channel_name = "ops";
	j.accounts = "111111111111,222222222222";
	j.created_at = T0;
	j.owner = owner;
	j.lease_until = lease_until;
	return j;
}

static void t_add(struct store *st, const struct store_job *j, char id[STORE_JOB_ID_SIZE])
{
	struct si_err err;

	if (store_journal_add(st, j, id, &err) != 0)
		fail_msg("journal add: %s", err.msg);
}

static size_t t_claim(struct store *st, const char *owner, time_t now, size_t max,
		      struct store_job **jobs)
{
	struct si_err err;
	size_t n = 99;

	if (store_journal_claim_orphans(st, owner, now, 60, max, jobs, &n, &err) != 0)
		fail_msg("claim: %s", err.msg);
	return n;
}

/* --- replay cache --------------------------------------------------------- */

static enum store_replay t_replay(struct store *st, unsigned n, time_t exp, time_t now)
{
	char sig[T_SIG_SIZE];
	enum store_replay r = STORE_REPLAY_SEEN;
	struct si_err err;

	t_sig(n, sig);
	if (store_replay_claim(st, sig, exp, now, &r, &err) != 0)
		fail_msg("replay claim: %s", err.msg);
	return r;
}

static void test_replay_new_seen_expired(void **state)
{
	struct store_fixture *c = *state;

	assert_int_equal(t_replay(c->st, 1, T0 + T_WINDOW, T0), STORE_REPLAY_NEW);
	assert_int_equal(t_replay(c->st, 1, T0 + 10 + T_WINDOW, T0 + 10), STORE_REPLAY_SEEN);
	/* inclusive: still remembered at its expiry second */
	assert_int_equal(t_replay(c->st, 1, T0 + 2 * T_WINDOW, T0 + T_WINDOW),
			 STORE_REPLAY_SEEN);
	assert_int_equal(t_replay(c->st, 2, T0 + T_WINDOW, T0), STORE_REPLAY_NEW);
	/* expired: taken as new and remembered again from now */
	assert_int_equal(t_replay(c->st, 1, T0 + 301 + T_WINDOW, T0 + 301), STORE_REPLAY_NEW);
	assert_int_equal(t_replay(c->st, 1, T0 + 302 + T_WINDOW, T0 + 302), STORE_REPLAY_SEEN);
}

static void test_replay_survives_reopen(void **state)
{
	struct store_fixture *c = *state;

	assert_int_equal(t_replay(c->st, 7, T0 + T_WINDOW, T0), STORE_REPLAY_NEW);
	store_close(c->st);
	c->st = store_fixture_open(c);
	assert_int_equal(t_replay(c->st, 7, T0 + T_WINDOW, T0 + 1), STORE_REPLAY_SEEN);
}

static void test_replay_prune(void **state)
{
	struct store_fixture *c = *state;
	struct si_err err;
	size_t n = 0;

	for (unsigned i = 0; i < 10; i++)
		t_replay(c->st, i, T0 + i, T0);
	assert_int_equal(store_replay_prune(c->st, T0 + 5, &n, &err), 0);
	assert_int_equal(n, 5); /* expires_at T0 .. T0+4 */
	assert_int_equal(t_replay(c->st, 5, T0 + 100, T0 + 5), STORE_REPLAY_SEEN);
	assert_int_equal(t_replay(c->st, 0, T0 + 100, T0 + 5), STORE_REPLAY_NEW);
}

static void test_replay_invalid(void **state)
{
	struct store_fixture *c = *state;
	enum store_replay r;
	char big[STORE_SIGNATURE_MAX + 2];
	struct si_err err;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_replay_claim(c->st, "", T0, T0, &r, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(store_replay_claim(c->st, big, T0, T0, &r, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(store_replay_claim(NULL, "v0=1", T0, T0, &r, &err), -1);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
}

/* Two handles (two connections), two threads, the same signatures: each
 * must be NEW for exactly one of them. */
struct t_race {
	struct store_fixture *c;
	struct store *st;
	pthread_barrier_t *go;
	unsigned news[T_RACE_N];
	size_t ids_n;
	char ids[T_RACE_N][STORE_JOB_ID_SIZE];
	int failed;
};

static void *t_replay_racer(void *arg)
{
	struct t_race *r = arg;

	pthread_barrier_wait(r->go);
	for (unsigned i = 0; i < T_RACE_N; i++) {
		char sig[T_SIG_SIZE];
		enum store_replay s;

		t_sig(1000 + i, sig);
		if (store_replay_claim(r->st, sig, T0 + T_WINDOW, T0, &s, NULL) != 0)
			r->failed++;
		else
			r->news[i] = s == STORE_REPLAY_NEW;
	}
	return NULL;
}

static void test_replay_concurrent(void **state)
{
	struct store_fixture *c = *state;
	static struct t_race r[2];
	pthread_barrier_t go;
	pthread_t th[2];

	pthread_barrier_init(&go, NULL, 2);
	for (int k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].st = k == 0 ? c->st : store_fixture_open(c);
		r[k].go = &go;
		assert_int_equal(pthread_create(&th[k], NULL, t_replay_racer, &r[k]), 0);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	store_close(r[1].st);
	pthread_barrier_destroy(&go);
	assert_int_equal(r[0].failed + r[1].failed, 0);
	for (unsigned i = 0; i < T_RACE_N; i++)
		assert_int_equal(r[0].news[i] + r[1].news[i], 1);
}

/* --- journal -------------------------------------------------------------- */

static void test_journal_roundtrip(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job("w1:1:1", T0 + 60), *got = NULL;
	char id[STORE_JOB_ID_SIZE];
	struct si_err err;

	t_add(c->st, &j, id);
	assert_int_equal(strlen(id), STORE_JOB_ID_LEN);
	assert_int_equal(store_journal_get(c->st, id, &got, &err), 0);
	assert_string_equal(got->id, id);
	assert_string_equal(got->response_url, j.response_url);
	assert_string_equal(got->text, j.text);
	assert_string_equal(got->response_type, "ephemeral");
	assert_string_equal(got->team_id, "T1");
	assert_string_equal(got->team_name, "acme");
	assert_string_equal(got->user_id, "U1");
	assert_string_equal(got->user_name, "ada");
	assert_string_equal(got->channel_id, "C1");
	assert_string_equal(got->channel_name, "ops");
	assert_string_equal(got->accounts, j.accounts);
	assert_int_equal(got->created_at, T0);
	assert_int_equal(got->deadline, T0 + STORE_RESPONSE_URL_VALIDITY_S);
	assert_int_equal(got->uses, 0);
	assert_string_equal(got->owner, "w1:1:1");
	assert_int_equal(got->lease_until, T0 + 60);
	assert_int_equal(got->delivered_at, 0);
	store_job_free(got);
	store_job_free(NULL);
	store_jobs_free(NULL, 3);

	/* NULL strings are stored as "" and no owner as NULL */
	j = t_job(NULL, 0);
	j.team_name = NULL;
	t_add(c->st, &j, id);
	assert_int_equal(store_journal_get(c->st, id, &got, &err), 0);
	assert_string_equal(got->team_name, "");
	assert_null(got->owner);
	store_job_free(got);
	assert_int_equal(store_journal_get(c->st, "0123456789abcdef0123456789abcdef", &got, &err),
			 -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_null(got);
}

static void test_journal_add_invalid(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job(NULL, 0);
	char id[STORE_JOB_ID_SIZE], *big;
	struct store_job *jobs;
	struct si_err err;

	j.response_url = NULL;
	assert_int_equal(store_journal_add(c->st, &j, id, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	j = t_job(NULL, 0);
	j.text = "bad \xc3\x28 utf-8";
	assert_int_equal(store_journal_add(c->st, &j, id, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	big = malloc(STORE_FIELD_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', STORE_FIELD_MAX + 1);
	big[STORE_FIELD_MAX + 1] = '\0';
	j = t_job(NULL, 0);
	j.accounts = big;
	assert_int_equal(store_journal_add(c->st, &j, id, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	free(big);
	/* nothing was written, and caller mistakes do not degrade health */
	assert_int_equal(t_claim(c->st, "w2", T0, 10, &jobs), 0);
	assert_null(jobs);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
}

static void test_journal_use_at_most_5(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job("w1", T0 + 60);
	char id[STORE_JOB_ID_SIZE];
	struct si_err err;
	int uses = 0;

	t_add(c->st, &j, id);
	for (int i = 1; i <= STORE_RESPONSE_URL_USES_MAX; i++) {
		assert_int_equal(store_journal_use(c->st, id, &uses, &err), 0);
		assert_int_equal(uses, i);
	}
	assert_int_equal(store_journal_use(c->st, id, &uses, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_int_equal(uses, STORE_RESPONSE_URL_USES_MAX);
	assert_int_equal(store_journal_use(c->st, "ffffffffffffffffffffffffffffffff", NULL,
					   &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_int_equal(store_journal_use(c->st, "not-an-id", NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	/* a job without a use left is no orphan: nobody could answer it */
	assert_int_equal(store_journal_release(c->st, "w1", NULL, &err), 0);
	assert_int_equal(t_claim(c->st, "w2", T0 + 1, 10, &(struct store_job *){ NULL }), 0);
}

static void test_journal_lease_and_delivered(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job("w1", T0 + 60), *got;
	char id[STORE_JOB_ID_SIZE];
	struct si_err err;

	t_add(c->st, &j, id);
	assert_int_equal(store_journal_lease(c->st, id, "w1", T0 + 120, &err), 0);
	assert_int_equal(store_journal_lease(c->st, id, "w2", T0 + 120, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_int_equal(store_journal_delivered(c->st, id, T0 + 30, &err), 0);
	assert_int_equal(store_journal_delivered(c->st, id, T0 + 40, &err), 0);
	assert_int_equal(store_journal_get(c->st, id, &got, &err), 0);
	assert_int_equal(got->delivered_at, T0 + 30); /* the first time stays */
	assert_int_equal(got->lease_until, T0 + 120);
	store_job_free(got);
	/* delivered: no lease renewal, never an orphan */
	assert_int_equal(store_journal_lease(c->st, id, "w1", T0 + 200, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_int_equal(t_claim(c->st, "w2", T0 + 500, 10, &(struct store_job *){ NULL }), 0);
	assert_int_equal(store_journal_delivered(c->st, "00000000000000000000000000000000",
						 T0, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
}

static void test_journal_claim_orphans(void **state)
{
	struct store_fixture *c = *state;
	struct store_job leased = t_job("w1:10:1", T0 + 60), free_job = t_job(NULL, 0);
	struct store_job done = t_job("w1:10:1", T0 + 60), late = t_job(NULL, 0);
	char id_leased[STORE_JOB_ID_SIZE], id_free[STORE_JOB_ID_SIZE];
	char id_done[STORE_JOB_ID_SIZE], id_late[STORE_JOB_ID_SIZE];
	struct store_job *jobs = NULL;
	struct si_err err;

	free_job.created_at = T0 - 5; /* oldest first */
	late.created_at = T0 - STORE_RESPONSE_URL_VALIDITY_S; /* deadline = T0 */
	t_add(c->st, &leased, id_leased);
	t_add(c->st, &free_job, id_free);
	t_add(c->st, &done, id_done);
	t_add(c->st, &late, id_late);
	assert_int_equal(store_journal_delivered(c->st, id_done, T0 + 1, &err), 0);

	/* at T0+30 only the ownerless job is an orphan (late's deadline passed) */
	assert_int_equal(t_claim(c->st, "w2:20:2", T0 + 30, 10, &jobs), 1);
	assert_string_equal(jobs[0].id, id_free);
	assert_string_equal(jobs[0].owner, "w2:20:2");
	assert_int_equal(jobs[0].lease_until, T0 + 30 + 60);
	assert_string_equal(jobs[0].response_url, free_job.response_url);
	store_jobs_free(jobs, 1);
	/* claimed once: a second claimer at the same time gets nothing */
	assert_int_equal(t_claim(c->st, "w3:30:3", T0 + 30, 10, &jobs), 0);
	assert_null(jobs);
	/* w1's lease runs out at T0+60 (inclusive) */
	assert_int_equal(t_claim(c->st, "w3:30:3", T0 + 60, 10, &jobs), 1);
	assert_string_equal(jobs[0].id, id_leased);
	store_jobs_free(jobs, 1);
	/* w1 lost it: its renewal is refused */
	assert_int_equal(store_journal_lease(c->st, id_leased, "w1:10:1", T0 + 200, &err), -1);
	/* max bounds a claim */
	assert_int_equal(t_claim(c->st, "w4", T0 + 1000, 1, &jobs), 1);
	store_jobs_free(jobs, 1);
	assert_int_equal(t_claim(c->st, "w4", T0 + 1000, 1, &jobs), 1);
	store_jobs_free(jobs, 1);
	assert_int_equal(t_claim(c->st, "w4", T0 + 1000, 1, &jobs), 0);
	/* bad arguments */
	assert_int_equal(store_journal_claim_orphans(c->st, "w4", T0, 60, 0, &jobs,
						     &(size_t){ 0 }, &err), -1);
	assert_int_equal(store_journal_claim_orphans(c->st, "", T0, 60, 1, &jobs,
						     &(size_t){ 0 }, &err), -1);
	assert_int_equal(store_journal_claim_orphans(c->st, "w4", T0, 0, 1, &jobs,
						     &(size_t){ 0 }, &err), -1);
}

static void test_journal_release(void **state)
{
	struct store_fixture *c = *state;
	struct store_job mine = t_job("w1:1:1", T0 + 900), other = t_job("w9:9:9", T0 + 900);
	char id[STORE_JOB_ID_SIZE];
	struct store_job *jobs = NULL;
	struct si_err err;
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		t_add(c->st, &mine, id);
	t_add(c->st, &other, id);
	assert_int_equal(t_claim(c->st, "w2:2:2", T0 + 10, 10, &jobs), 0);
	/* w1 died: its jobs are free at once, w9's stay leased */
	assert_int_equal(store_journal_release(c->st, "w1:1:1", &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(t_claim(c->st, "w2:2:2", T0 + 10, 10, &jobs), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(jobs[i].owner, "w2:2:2");
	store_jobs_free(jobs, 3);
}

static void *t_claim_racer(void *arg)
{
	struct t_race *r = arg;
	char owner[32];

	snprintf(owner, sizeof(owner), "racer:%p", (void *)r);
	pthread_barrier_wait(r->go);
	for (;;) {
		struct store_job *jobs = NULL;
		size_t n = 0;

		if (store_journal_claim_orphans(r->st, owner, T0 + 10, 60, T_RACE_BATCH, &jobs, &n,
						NULL) != 0) {
			r->failed++;
			break;
		}
		for (size_t i = 0; i < n && r->ids_n < T_RACE_N; i++)
			memcpy(r->ids[r->ids_n++], jobs[i].id, STORE_JOB_ID_SIZE);
		store_jobs_free(jobs, n);
		if (n == 0)
			break;
		sched_yield(); /* let the other claimer in between our claims */
	}
	return NULL;
}

/* Two handles claiming from two threads at once: every orphan is claimed
 * by exactly one of them. */
static void test_journal_claim_concurrent(void **state)
{
	struct store_fixture *c = *state;
	static char added[T_RACE_N][STORE_JOB_ID_SIZE];
	static struct t_race r[2];
	struct store_job j = t_job(NULL, 0);
	pthread_barrier_t go;
	pthread_t th[2];

	for (int i = 0; i < T_RACE_N; i++) {
		j.created_at = T0 - i;
		t_add(c->st, &j, added[i]);
	}
	pthread_barrier_init(&go, NULL, 2);
	for (int k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].st = k == 0 ? c->st : store_fixture_open(c);
		r[k].go = &go;
		assert_int_equal(pthread_create(&th[k], NULL, t_claim_racer, &r[k]), 0);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	store_close(r[1].st);
	pthread_barrier_destroy(&go);
	assert_int_equal(r[0].failed + r[1].failed, 0);
	assert_int_equal(r[0].ids_n + r[1].ids_n, T_RACE_N);
	for (int i = 0; i < T_RACE_N; i++) {
		int seen = 0;

		for (int k = 0; k < 2; k++)
			for (size_t m = 0; m < r[k].ids_n; m++)
				seen += strcmp(r[k].ids[m], added[i]) == 0;
		assert_int_equal(seen, 1);
	}
	print_message("claims: %zu and %zu of %d\n", r[0].ids_n, r[1].ids_n, T_RACE_N);
}

static void test_journal_prune(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job(NULL, 0), *got;
	char old_done[STORE_JOB_ID_SIZE], new_done[STORE_JOB_ID_SIZE];
	char old_open[STORE_JOB_ID_SIZE], live[STORE_JOB_ID_SIZE];
	time_t now = T0 + 2 * STORE_JOURNAL_RETENTION_S;
	struct si_err err;
	size_t n = 0;

	t_add(c->st, &j, old_done);
	t_add(c->st, &j, old_open); /* deadline T0+1800, long past */
	t_add(c->st, &j, new_done);
	j.created_at = now - 10;
	t_add(c->st, &j, live);
	assert_int_equal(store_journal_delivered(c->st, old_done, T0 + 5, &err), 0);
	assert_int_equal(store_journal_delivered(c->st, new_done, now - 5, &err), 0);
	assert_int_equal(store_journal_prune(c->st, now, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_journal_get(c->st, old_done, &got, &err), -1);
	assert_int_equal(store_journal_get(c->st, old_open, &got, &err), -1);
	assert_int_equal(store_journal_get(c->st, new_done, &got, &err), 0);
	store_job_free(got);
	assert_int_equal(store_journal_get(c->st, live, &got, &err), 0);
	store_job_free(got);
}

/* The backlog /metrics shows: undelivered jobs whose deadline is ahead. */
static void test_journal_pending(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job(NULL, 0);
	char a[STORE_JOB_ID_SIZE], b[STORE_JOB_ID_SIZE], d[STORE_JOB_ID_SIZE];
	struct si_err err;
	size_t n = 99;

	assert_int_equal(store_journal_pending(c->st, T0, &n, &err), 0);
	assert_int_equal(n, 0);
	t_add(c->st, &j, a);
	t_add(c->st, &j, b);
	t_add(c->st, &j, d);
	assert_int_equal(store_journal_delivered(c->st, b, T0 + 5, &err), 0);
	assert_int_equal(store_journal_pending(c->st, T0 + 10, &n, &err), 0);
	assert_int_equal(n, 2);
	/* Past the deadline nobody can answer any more: not owed. */
	assert_int_equal(store_journal_pending(c->st, T0 + STORE_RESPONSE_URL_VALIDITY_S, &n,
					       &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_journal_pending(c->st, T0, NULL, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
}

/* --- schema and health ---------------------------------------------------- */

static void test_schema_reopen_idempotent(void **state)
{
	struct store_fixture *c = *state;
	struct store *second = store_fixture_open(c);

	store_close(second);
	store_close(c->st);
	c->st = store_fixture_open(c);
	assert_int_equal(t_replay(c->st, 3, T0 + 5, T0), STORE_REPLAY_NEW);
}

static void test_schema_newer_refused(void **state)
{
	struct store_fixture *c = *state;
	struct si_err err;
	char want[64];

	assert_int_equal(store_private_exec(c->st, "UPDATE schema_version SET version = 99",
					    &err), 0);
	store_close(c->st);
	c->st = store_open(&c->set, &err);
	assert_null(c->st);
	assert_int_equal(err.code, SI_ERR_INVALID);
	snprintf(want, sizeof(want), "schema version 99, newer than this slash-infra's %d",
		 STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err.msg, want));
}

static void test_health_tracks_failures(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job(NULL, 0);
	struct store_health h;
	char id[STORE_JOB_ID_SIZE];
	struct si_err err;

	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_OK);
	assert_int_equal(h.failures, 0);
	/* the journal table is gone: a database failure, not a crash */
	assert_int_equal(store_private_exec(c->st, "DROP TABLE journal", &err), 0);
	assert_int_equal(store_journal_add(c->st, &j, id, &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_string_equal(id, "");
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_DEGRADED);
	assert_int_equal(h.failures, 1);
	assert_non_null(strstr(h.last_error, "journal"));
	/* a working call clears it; the count stays */
	assert_int_equal(t_replay(c->st, 1, T0 + 5, T0), STORE_REPLAY_NEW);
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_OK);
	assert_int_equal(h.failures, 1);
	assert_int_equal(store_health(NULL, &h), STORE_HEALTH_DEGRADED);
	assert_string_equal(h.last_error, "no state store");
}

static void test_settings(void **state)
{
	struct store_fixture *c = *state;
	struct store_settings both = { .path = "/tmp/x.db", .url = "postgresql:///x" };
	struct store_settings bad_pg = {
		.url = "postgresql://user:sekret-pw@/nodb?host=/nonexistent-dir&connect_timeout=2"
	};
	struct si_err err;

	assert_null(store_open(NULL, &err));
	assert_null(store_open(&both, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	both.url = NULL;
	both.busy_timeout_ms = -1;
	assert_null(store_open(&both, &err));
	/* an unreachable server: a clean error that never shows the password */
	assert_null(store_open(&bad_pg, &err));
	assert_int_equal(err.code, SI_ERR_IO);
	assert_null(strstr(err.msg, "sekret"));
	store_close(NULL);
	{
		char owner[STORE_OWNER_MAX], want[32];

		assert_int_equal(store_owner_make(owner, T0, &err), 0);
		snprintf(want, sizeof(want), ":%ld:%lld", (long)getpid(), (long long)T0);
		assert_non_null(strstr(owner, want));
		assert_int_equal(strlen(strstr(owner, want)), strlen(want));
	}
	assert_string_equal(store_backend_name(c->st), c->is_pg ? "postgresql" : "sqlite");
}

/* --- SQLite only ---------------------------------------------------------- */

static void t_expect_refused(const char *path, const char *needle)
{
	struct store_settings s = { .path = path };
	struct si_err err;
	struct store *st = store_open(&s, &err);

	assert_null(st);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("open(%s): '%s' lacks '%s'", path, err.msg, needle);
}

static void test_sqlite_not_regular_file(void **state)
{
	struct store_fixture *c = *state;
	char fifo[PATH_MAX + 8];

	snprintf(fifo, sizeof(fifo), "%s/fifo", c->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	t_expect_refused(fifo, "not a regular file"); /* and returns: no hang */
	t_expect_refused(c->dir, "not a regular file");
	t_expect_refused("/dev/null", "not a regular file");
}

static void test_sqlite_file_created_0600_wal(void **state)
{
	struct store_fixture *c = *state;
	char wal[PATH_MAX + 8];
	struct stat sb;

	assert_int_equal(stat(c->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(t_replay(c->st, 1, T0 + 5, T0), STORE_REPLAY_NEW);
	snprintf(wal, sizeof(wal), "%s-wal", c->path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_sqlite_bad_directory(void **state)
{
	struct store_fixture *c = *state;
	char p[PATH_MAX + 16];

	snprintf(p, sizeof(p), "%s/missing/state.db", c->dir);
	t_expect_refused(p, "directory does not exist");
	if (geteuid() == 0) {
		/* root writes to a 0500 directory anyway: nothing to test */
		print_message("skipping the read-only directory case: running as root\n");
		return;
	}
	snprintf(p, sizeof(p), "%s/ro", c->dir);
	assert_int_equal(mkdir(p, 0500), 0);
	snprintf(p, sizeof(p), "%s/ro/x.db", c->dir);
	t_expect_refused(p, "Permission denied");
}

static void test_sqlite_not_a_database(void **state)
{
	struct store_fixture *c = *state;
	FILE *f;

	store_close(c->st);
	c->st = NULL;
	f = fopen(c->path, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, but long enough to look at: ", f);
	for (int i = 0; i < 200; i++)
		fputs("garbage ", f);
	fclose(f);
	store_fixture_rm(c, "state.db-wal");
	store_fixture_rm(c, "state.db-shm");
	t_expect_refused(c->path, "not a database");
}

/* SQLite's max_page_count makes the database "full" exactly as a full
 * disk does (SQLITE_FULL): the store must say so and keep going. */
static void test_sqlite_disk_full(void **state)
{
	struct store_fixture *c = *state;
	struct store_job j = t_job(NULL, 0);
	char id[STORE_JOB_ID_SIZE];
	struct store_health h;
	struct si_err err;
	int i, rc = 0;

	assert_int_equal(store_private_exec(c->st, "PRAGMA max_page_count = 1", &err), 0);
	for (i = 0; i < 10000 && rc == 0; i++)
		rc = store_journal_add(c->st, &j, id, &err);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_non_null(strstr(err.msg, "disk full"));
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_DEGRADED);
	assert_non_null(strstr(h.last_error, "disk full"));
	assert_int_equal(store_private_exec(c->st, "PRAGMA max_page_count = 1000000", &err), 0);
	t_add(c->st, &j, id);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
}

/* --- PostgreSQL only ------------------------------------------------------ */

/* The server drops our connection (as on a restart): the call that sees
 * it fails cleanly, and the next one reconnects. */
static void test_pg_reconnect(void **state)
{
	struct store_fixture *c = *state;
	struct store_health h;
	enum store_replay r;
	char sig[T_SIG_SIZE];
	int ok = 0;

	(void)store_private_exec(c->st, "SELECT pg_terminate_backend(pg_backend_pid())", NULL);
	t_sig(5, sig);
	/* at most one failure: the connection is rebuilt at once */
	for (int i = 0; i < 2 && !ok; i++)
		ok = store_replay_claim(c->st, sig, T0 + 5, T0, &r, NULL) == 0;
	assert_true(ok);
	assert_int_equal(r, STORE_REPLAY_NEW);
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_OK);
}

/* The whole server goes away (stopped by the harness) and comes back: calls
 * fail cleanly and report degraded meanwhile, then work again. Runs when
 * lib_pg.sh provides the commands. */
static void test_pg_server_gone(void **state)
{
	struct store_fixture *c = *state;
	const char *stop = getenv("SI_TEST_PG_STOP"), *start = getenv("SI_TEST_PG_START");
	struct store_health h;
	enum store_replay r;
	char sig[T_SIG_SIZE];
	struct si_err err;
	int ok = 0;

	if (stop == NULL || start == NULL) {
		print_message("skipped: SI_TEST_PG_STOP/START not set\n");
		return;
	}
	t_sig(9, sig);
	assert_int_equal(store_replay_claim(c->st, sig, T0 + 5, T0, &r, &err), 0);
	assert_int_equal(system(stop), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_replay_claim(c->st, sig, T0 + 5, T0, &r, &err), -1);
		assert_int_equal(err.code, SI_ERR_IO);
	}
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_DEGRADED);
	assert_true(h.failures >= 3);
	print_message("while the server is down: %s\n", h.last_error);
	assert_int_equal(system(start), 0);
	/* bounded wait for the server (and our reconnect, at most 1/s) */
	for (int i = 0; i < 300 && !ok; i++) {
		ok = store_replay_claim(c->st, sig, T0 + 5, T0, &r, NULL) == 0;
		if (!ok)
			si_sleep_ms(100);
	}
	assert_true(ok);
	assert_int_equal(r, STORE_REPLAY_SEEN); /* remembered across the restart */
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
}

/* --- runner --------------------------------------------------------------- */

#define T_COMMON(setup)                                                                   \
	cmocka_unit_test_setup_teardown(test_replay_new_seen_expired, setup, t_teardown),  \
	cmocka_unit_test_setup_teardown(test_replay_survives_reopen, setup, t_teardown),   \
	cmocka_unit_test_setup_teardown(test_replay_prune, setup, t_teardown),             \
	cmocka_unit_test_setup_teardown(test_replay_invalid, setup, t_teardown),           \
	cmocka_unit_test_setup_teardown(test_replay_concurrent, setup, t_teardown),        \
	cmocka_unit_test_setup_teardown(test_journal_roundtrip, setup, t_teardown),        \
	cmocka_unit_test_setup_teardown(test_journal_add_invalid, setup, t_teardown),      \
	cmocka_unit_test_setup_teardown(test_journal_use_at_most_5, setup, t_teardown),    \
	cmocka_unit_test_setup_teardown(test_journal_lease_and_delivered, setup,           \
					t_teardown),                                       \
	cmocka_unit_test_setup_teardown(test_journal_claim_orphans, setup, t_teardown),    \
	cmocka_unit_test_setup_teardown(test_journal_release, setup, t_teardown),          \
	cmocka_unit_test_setup_teardown(test_journal_claim_concurrent, setup, t_teardown), \
	cmocka_unit_test_setup_teardown(test_journal_prune, setup, t_teardown),            \
	cmocka_unit_test_setup_teardown(test_journal_pending, setup, t_teardown),          \
	cmocka_unit_test_setup_teardown(test_schema_reopen_idempotent, setup, t_teardown), \
	cmocka_unit_test_setup_teardown(test_schema_newer_refused, setup, t_teardown),     \
	cmocka_unit_test_setup_teardown(test_health_tracks_failures, setup, t_teardown),   \
	cmocka_unit_test_setup_teardown(test_settings, setup, t_teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = {
		T_COMMON(t_setup_sqlite),
		cmocka_unit_test_setup_teardown(test_sqlite_not_regular_file, t_setup_sqlite,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_file_created_0600_wal,
						t_setup_sqlite, t_teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_bad_directory, t_setup_sqlite,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_not_a_database, t_setup_sqlite,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_disk_full, t_setup_sqlite,
						t_teardown),
	};
	const struct CMUnitTest pg_tests[] = {
		T_COMMON(store_fixture_setup_pg),
		cmocka_unit_test_setup_teardown(test_pg_reconnect, store_fixture_setup_pg,
						t_teardown),
		cmocka_unit_test_setup_teardown(test_pg_server_gone, store_fixture_setup_pg,
						t_teardown),
	};

	return store_fixture_main("store", "test_store_pg.sh", sqlite_tests,
				  sizeof(sqlite_tests) / sizeof(sqlite_tests[0]), pg_tests,
				  sizeof(pg_tests) / sizeof(pg_tests[0]));
}
