/*
 * test_kept.c - results kept for the buttons (common/store/kept.c) and
 * the journal's two wrappers, the same tests against every backend:
 * SQLite in a temporary directory always, and PostgreSQL when
 * SI_TEST_PG_URL names a database (tests/integration/test_kept_pg.sh runs
 * this file under a real server). Each test starts from an empty, freshly
 * migrated store.
 */
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

#include "journal.h"
#include "store/inventory.h"
#include "store/kept.h"
#include "store/private/backend.h"
#include "store/store.h"
#include "store_fixture.h"

#define T0 ((time_t)1700000000)
#define T_MIB ((size_t)1 << 20)
/* Ids drawn by the uniqueness test: 10,000 draws of 128 bits collide with
 * probability ~1e-31, so any duplicate is a bug. */
#define T_IDS_N 10000

/* --- fixtures ------------------------------------------------------------- */

static int t_setup_sqlite(void **state)
{
	return store_fixture_setup_sqlite(state, "test_kept");
}

static int t_teardown(void **state)
{
	/* what the journal test leaves beside the database */
	static const char *const extra[] = { "missing/state.db", "missing/state.db-wal",
					     "missing/state.db-shm", "missing" };

	store_fixture_teardown(*state, extra, sizeof(extra) / sizeof(extra[0]));
	return 0;
}

/* A text of n bytes: a JSON array of strings, with two-byte UTF-8 in it so
 * that the round trip is checked on more than ASCII. */
static char *t_text(size_t n, char fill)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	assert_true(n >= 8);
	memset(s, fill, n);
	s[0] = '[';
	s[1] = '"';
	memcpy(s + 2, "\xc3\xa9", 2); /* é */
	s[n - 2] = '"';
	s[n - 1] = ']';
	s[n] = '\0';
	return s;
}

/* A result as the pool would keep it, with a new id; texts borrowed. */
static struct kept_result t_result(const char *query, char *share, char *pages)
{
	struct kept_result k;
	struct si_err err;

	memset(&k, 0, sizeof(k));
	assert_int_equal(kept_new_id(k.id, &err), 0);
	snprintf(k.team_id, sizeof(k.team_id), "T0001");
	snprintf(k.channel_id, sizeof(k.channel_id), "C0002");
	snprintf(k.user_id, sizeof(k.user_id), "U0003");
	k.ephemeral = 1;
	k.n_matches = 600;
	k.n_pages = 9;
	k.query = (char *)query;
	k.share_json = share;
	k.pages_json = pages;
	return k;
}

static void t_put(struct store *st, struct kept_result *k, time_t now)
{
	struct si_err err;

	if (kept_put(st, k, now, &err) != 0)
		fail_msg("kept_put: %s", err.msg);
}

/* kept_get's answer for id at now (out freed). */
static int t_get(struct store *st, const char *id, time_t now)
{
	struct kept_result out;
	struct si_err err;
	int rc = kept_get(st, id, now, &out, &err);

	if (rc < 0)
		fail_msg("kept_get: %s", err.msg);
	if (rc == 0)
		assert_string_equal(out.id, id);
	kept_result_free(&out);
	return rc;
}

static int t_int_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	(void)ncol;
	(void)err;
	*(long *)ctx = col[0] != NULL ? strtol(col[0], NULL, 10) : -1;
	return 0;
}

struct t_q {
	const struct store_backend_vtable *vt;
	void *impl;
	struct store_stmt s;
};

static int t_q_body(void *ctx, struct si_err *err)
{
	struct t_q *q = ctx;

	return q->vt->stmt(q->impl, &q->s, err);
}

/* The first column of the first row of sql, as a number. */
static long t_scalar(struct store *st, const char *sql)
{
	struct t_q q;
	struct si_err err;
	long v = -1;

	memset(&q, 0, sizeof(q));
	store_private_backend(st, &q.vt, &q.impl);
	q.s.sql = sql;
	q.s.row = t_int_row;
	q.s.ctx = &v;
	if (q.vt->run(q.impl, 0, t_q_body, &q, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
	return v;
}

static long t_rows(struct store *st)
{
	return t_scalar(st, "SELECT COUNT(*) FROM kept_results");
}

/* --- round trip ------------------------------------------------------------- */

/* Large texts (1 MiB of pages) come back byte for byte with every field;
 * the times are now and now + 30 min, written back to the caller's k. */
static void test_roundtrip_large(void **state)
{
	struct store_fixture *c = *state;
	char *pages = t_text(T_MIB, 'p'), *share = t_text(64 * 1024, 's');
	struct kept_result k = t_result("prod-web account:production", share, pages), out;
	struct si_err err;

	t_put(c->st, &k, T0);
	assert_int_equal(k.created_at, T0);
	assert_int_equal(k.expires_at, T0 + KEPT_TTL_S);
	assert_int_equal(kept_get(c->st, k.id, T0 + 1, &out, &err), 0);
	assert_string_equal(out.id, k.id);
	assert_int_equal(out.created_at, T0);
	assert_int_equal(out.expires_at, T0 + 1800);
	assert_string_equal(out.team_id, "T0001");
	assert_string_equal(out.channel_id, "C0002");
	assert_string_equal(out.user_id, "U0003");
	assert_int_equal(out.ephemeral, 1);
	assert_int_equal(out.n_matches, 600);
	assert_int_equal(out.n_pages, 9);
	assert_string_equal(out.query, "prod-web account:production");
	assert_int_equal(strlen(out.pages_json), T_MIB);
	assert_memory_equal(out.pages_json, pages, T_MIB);
	assert_string_equal(out.share_json, share);
	kept_result_free(&out);
	assert_null(out.pages_json);
	kept_result_free(&out); /* twice, and NULL, are fine */
	kept_result_free(NULL);
	assert_int_equal(store_health(c->st, NULL), STORE_HEALTH_OK);
	free(pages);
	free(share);
}

/* NULL texts stay NULL, "" stays "", ephemeral 0 and empty Slack ids are
 * kept as given; a text of exactly KEPT_JSON_MAX bytes is accepted. */
static void test_roundtrip_edges(void **state)
{
	struct store_fixture *c = *state;
	char *max = t_text(KEPT_JSON_MAX, 'm');
	struct kept_result a = t_result(NULL, "", NULL), b = t_result("x", NULL, max), out;
	struct si_err err;

	a.ephemeral = 0;
	a.n_matches = 0;
	a.channel_id[0] = '\0';
	t_put(c->st, &a, T0);
	t_put(c->st, &b, T0);
	assert_int_equal(kept_get(c->st, a.id, T0, &out, &err), 0);
	assert_null(out.query);
	assert_string_equal(out.share_json, "");
	assert_null(out.pages_json);
	assert_int_equal(out.ephemeral, 0);
	assert_int_equal(out.n_matches, 0);
	assert_string_equal(out.channel_id, "");
	kept_result_free(&out);
	assert_int_equal(kept_get(c->st, b.id, T0, &out, &err), 0);
	assert_int_equal(strlen(out.pages_json), KEPT_JSON_MAX);
	assert_null(out.share_json);
	kept_result_free(&out);
	free(max);
}

/* --- expiry and prune ------------------------------------------------------- */

/* Found through created + 1799, absent from created + 1800 on, while the
 * row still exists (nobody pruned): expiry is kept_get's decision. */
static void test_expiry_exact(void **state)
{
	struct store_fixture *c = *state;
	struct kept_result k = t_result("web", "{}", "[]"), out;
	struct si_err err;

	t_put(c->st, &k, T0);
	assert_int_equal(t_get(c->st, k.id, T0), 0);
	assert_int_equal(t_get(c->st, k.id, T0 + KEPT_TTL_S - 1), 0);
	assert_int_equal(t_get(c->st, k.id, T0 + KEPT_TTL_S), 1);
	assert_int_equal(t_get(c->st, k.id, T0 + 86400), 1);
	/* absent leaves out empty, safe to free */
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(kept_get(c->st, k.id, T0 + KEPT_TTL_S, &out, &err), 1);
	assert_null(out.query);
	assert_string_equal(out.id, "");
	kept_result_free(&out);
	assert_int_equal(t_rows(c->st), 1);
	/* unknown ids are absent too */
	assert_int_equal(t_get(c->st, "0123456789abcdef0123456789abcdef", T0), 1);
}

/* Prune deletes exactly the rows expired at now (expires_at <= now) and
 * says how many. */
static void test_prune_counts(void **state)
{
	struct store_fixture *c = *state;
	struct kept_result early[5], late[3];
	size_t n = 99;
	struct si_err err;

	for (size_t i = 0; i < 5; i++) {
		early[i] = t_result("a", "{}", "[]");
		t_put(c->st, &early[i], T0);
	}
	for (size_t i = 0; i < 3; i++) {
		late[i] = t_result("b", "{}", "[]");
		t_put(c->st, &late[i], T0 + 600);
	}
	assert_int_equal(kept_prune(c->st, T0 + KEPT_TTL_S - 1, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(kept_prune(c->st, T0 + KEPT_TTL_S, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(t_rows(c->st), 3);
	assert_int_equal(kept_prune(c->st, T0 + KEPT_TTL_S, &n, &err), 0);
	assert_int_equal(n, 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(t_get(c->st, late[i].id, T0 + KEPT_TTL_S), 0);
	assert_int_equal(kept_prune(c->st, T0 + 600 + KEPT_TTL_S, NULL, &err), 0);
	assert_int_equal(t_rows(c->st), 0);
	assert_int_equal(kept_prune(NULL, T0, &n, &err), -1);
	assert_int_equal(n, 0);
}

/* --- ids -------------------------------------------------------------------- */

static int t_cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, KEPT_ID_SIZE);
}

/* 10,000 ids: each exactly 32 lower-case hex, no two alike. */
static void test_ids_unique(void **state)
{
	char (*ids)[KEPT_ID_SIZE] = calloc(T_IDS_N, KEPT_ID_SIZE);
	struct si_err err;

	(void)state;
	assert_non_null(ids);
	for (size_t i = 0; i < T_IDS_N; i++) {
		assert_int_equal(kept_new_id(ids[i], &err), 0);
		assert_int_equal(strlen(ids[i]), KEPT_ID_LEN);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"), KEPT_ID_LEN);
	}
	qsort(ids, T_IDS_N, KEPT_ID_SIZE, t_cmp_id);
	for (size_t i = 1; i < T_IDS_N; i++)
		assert_int_not_equal(memcmp(ids[i - 1], ids[i], KEPT_ID_SIZE), 0);
	free(ids);
	assert_int_equal(kept_new_id(NULL, &err), -1);
}

/* A value that is not a kept id is absent without a query: with the table
 * gone any query fails (and degrades health), yet these answer 1 and the
 * store stays healthy; the one well-formed id then does reach it. */
static void test_bad_id_no_query(void **state)
{
	struct store_fixture *c = *state;
	static const char *const bad[] = {
		"", "xyz", "0123456789abcdef0123456789abcde",
		"0123456789abcdef0123456789abcdef0", "0123456789ABCDEF0123456789abcdef",
		"0123456789abcdef0123456789abcdeg", "0123456789abcdef 123456789abcdef",
		"0123456789abcdef'OR'1'='1'--abcd"
	};
	struct kept_result k = t_result("q", "{}", "[]"), out;
	struct store_health h;
	struct si_err err;

	assert_int_equal(store_private_exec(c->st, "DROP TABLE kept_results", &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kept_get(c->st, bad[i], T0, &out, &err), 1);
	assert_int_equal(kept_get(c->st, NULL, T0, &out, &err), 1);
	assert_int_equal(kept_get(NULL, "xyz", T0, &out, &err), 1);
	assert_int_equal(kept_get(c->st, "xyz", T0, NULL, &err), -1);
	/* a put with a bad id is refused before the database too */
	snprintf(k.id, sizeof(k.id), "0123456789ABCDEF0123456789abcdef");
	assert_int_equal(kept_put(c->st, &k, T0, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "32 lower-case hex"));
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_OK);
	assert_int_equal(h.failures, 0);
	/* a good id is asked, and the missing table shows */
	assert_int_equal(kept_get(c->st, "0123456789abcdef0123456789abcdef", T0, &out, &err),
			 -1);
	assert_null(out.query);
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_DEGRADED);
	assert_int_equal(h.failures, 1);
	assert_int_equal(kept_get(NULL, "0123456789abcdef0123456789abcdef", T0, &out, &err),
			 -1);
}

/* --- bounds ----------------------------------------------------------------- */

static void t_refused(struct store *st, struct kept_result *k, enum si_err_code code,
		      const char *msg)
{
	struct si_err err;

	assert_int_equal(kept_put(st, k, T0, &err), -1);
	assert_int_equal(err.code, code);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s' not in '%s'", msg, err.msg);
	assert_int_equal(t_get(st, k->id, T0), 1);
}

/* Each text over KEPT_JSON_MAX is refused with SI_ERR_LIMIT and a message
 * naming it, as are bad UTF-8 and over-long Slack ids; nothing is stored
 * and health is untouched. */
static void test_oversize_refused(void **state)
{
	struct store_fixture *c = *state;
	char *big = t_text(KEPT_JSON_MAX + 1, 'b');
	struct kept_result k = t_result("q", "{}", big), out;
	struct store_health h;
	struct si_err err;

	t_refused(c->st, &k, SI_ERR_LIMIT, "kept result's pages is longer than 2097152 bytes");
	k.pages_json = "[]";
	k.share_json = big;
	t_refused(c->st, &k, SI_ERR_LIMIT, "kept result's share message is longer than");
	k.share_json = "{}";
	k.query = big;
	t_refused(c->st, &k, SI_ERR_LIMIT, "kept result's query is longer than");
	k.query = "\xff\xfe";
	t_refused(c->st, &k, SI_ERR_INVALID, "query is not UTF-8");
	k.query = "q";
	memset(k.team_id, 'T', sizeof(k.team_id)); /* no NUL inside */
	t_refused(c->st, &k, SI_ERR_INVALID, "team_id is longer than 63 bytes");
	k.team_id[KEPT_SLACK_ID_MAX - 1] = '\0'; /* 63: fits */
	t_put(c->st, &k, T0);
	assert_int_equal(t_rows(c->st), 1);
	/* the same id again is refused, the first kept intact */
	k.query = "other";
	assert_int_equal(kept_put(c->st, &k, T0 + 5, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "already kept"));
	assert_int_equal(t_rows(c->st), 1);
	assert_int_equal(kept_get(c->st, k.id, T0, &out, &err), 0);
	assert_string_equal(out.query, "q");
	assert_int_equal(out.created_at, T0);
	kept_result_free(&out);
	assert_int_equal(kept_put(NULL, &k, T0, NULL), -1);
	assert_int_equal(kept_put(c->st, NULL, T0, NULL), -1);
	assert_int_equal(store_health(c->st, &h), STORE_HEALTH_OK);
	assert_int_equal(h.failures, 0);
	free(big);
}

/* A store at KEPT_ROWS_MAX (filled by SQL: KEPT_ROWS_MAX - 1 rows expiring one
 * second apart, then one put): each further put drops exactly the
 * soonest-expiring row, never itself, and the count stays at the cap. */
static void test_row_cap(void **state)
{
	struct store_fixture *c = *state;
	char fill[600], id1[KEPT_ID_SIZE], id2[KEPT_ID_SIZE], id3[KEPT_ID_SIZE];
	struct kept_result a = t_result("a", "{}", "[]"), b = t_result("b", "{}", "[]");
	struct si_err err;

	snprintf(fill, sizeof(fill),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO kept_results (id, created_at, expires_at, team_id, channel_id,"
		 " user_id, ephemeral, n_matches, n_pages) SELECT %s, %lld, %lld + i, 'T', 'C',"
		 " 'U', 1, 1, 1 FROM n", KEPT_ROWS_MAX - 1,
		 c->is_pg ? "lpad(to_hex(i), 32, '0')" : "printf('%032x', i)",
		 (long long)(T0 - 100), (long long)(T0 + 100));
	assert_int_equal(store_private_exec(c->st, fill, &err), 0);
	snprintf(id1, sizeof(id1), "%032x", 1);
	snprintf(id2, sizeof(id2), "%032x", 2);
	snprintf(id3, sizeof(id3), "%032x", 3);
	assert_int_equal(t_rows(c->st), KEPT_ROWS_MAX - 1);
	assert_int_equal(t_get(c->st, id1, T0), 0);
	t_put(c->st, &a, T0);
	assert_int_equal(t_rows(c->st), KEPT_ROWS_MAX);
	assert_int_equal(t_get(c->st, id1, T0), 0);
	t_put(c->st, &b, T0);
	assert_int_equal(t_rows(c->st), KEPT_ROWS_MAX);
	assert_int_equal(t_get(c->st, id1, T0), 1);
	assert_int_equal(t_get(c->st, id2, T0), 0);
	assert_int_equal(t_get(c->st, a.id, T0), 0);
	assert_int_equal(t_get(c->st, b.id, T0), 0);
	/* a put whose row would itself be the soonest to expire (another
	 * host's clock far behind) still keeps its own row */
	a = t_result("late clock", "{}", "[]");
	t_put(c->st, &a, T0 - 2000);
	assert_int_equal(t_rows(c->st), KEPT_ROWS_MAX);
	assert_int_equal(t_get(c->st, a.id, T0 - 2000), 0);
	assert_int_equal(t_get(c->st, id2, T0), 1);
	assert_int_equal(t_get(c->st, id3, T0), 0);
}

/* --- sharing ---------------------------------------------------------------- */

/* Two handles on one database (two workers, or two hosts on PostgreSQL)
 * see each other's results at once, and either may prune them. */
static void test_two_handles(void **state)
{
	struct store_fixture *c = *state;
	struct store *other = store_fixture_open(c);
	struct kept_result a = t_result("from a", "{}", "[]"), b = t_result("from b", "{}", "[]");
	struct kept_result out;
	size_t n = 0;
	struct si_err err;

	t_put(c->st, &a, T0);
	t_put(other, &b, T0 + 10);
	assert_int_equal(kept_get(other, a.id, T0 + 20, &out, &err), 0);
	assert_string_equal(out.query, "from a");
	kept_result_free(&out);
	assert_int_equal(kept_get(c->st, b.id, T0 + 20, &out, &err), 0);
	assert_string_equal(out.query, "from b");
	kept_result_free(&out);
	assert_int_equal(kept_prune(other, T0 + 10 + KEPT_TTL_S, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(t_get(c->st, a.id, T0), 1);
	store_close(other);
}

/* --- migration -------------------------------------------------------------- */

static void t_exec_all(struct store *st, const char *const *sql, size_t n)
{
	struct si_err err;

	for (size_t i = 0; i < n; i++)
		if (store_private_exec(st, sql[i], &err) != 0)
			fail_msg("%s: %s", sql[i], err.msg);
}

/* One crawled target with one instance. */
static void t_crawl_one(struct store *st)
{
	const char *addrs[] = { "10.1.2.3" };
	struct inv_item it = { .type = "instance", .id = "i-0kept00000000001",
			       .name = "kept-web-1", .state = "running", .addrs = addrs,
			       .n_addrs = 1 };
	struct inv_crawl *cr;
	struct si_err err;

	cr = inv_begin_target(st, "123456789012", "eu-west-1", "ec2", T0, &err);
	assert_non_null(cr);
	assert_int_equal(inv_put(cr, &it, &err), 0);
	assert_int_equal(inv_end_target(cr, NULL, T0, NULL, &err), 0);
}

/* One journaled job. */
static void t_job_add(struct store *st, char job_id[STORE_JOB_ID_SIZE])
{
	struct store_job j;
	struct si_err err;

	memset(&j, 0, sizeof(j));
	j.response_url = "https://hooks.slack.com/commands/T1/1/abc";
	j.text = "kept-web";
	j.created_at = T0;
	assert_int_equal(store_journal_add(st, &j, job_id, &err), 0);
}

/* The v3 data, and kept results, all there after an upgrade. */
static void t_expect_upgraded(struct store *st, const char *job_id)
{
	struct kept_result k = t_result("after upgrade", "{}", "[]");
	struct inv_res_list l;
	struct store_job *job = NULL;
	struct si_err err;

	assert_int_equal(t_scalar(st, "SELECT MAX(version) FROM schema_version"),
			 STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 4);
	assert_int_equal(inv_lookup_ident(st, "10.1.2.3", 10, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].id, "i-0kept00000000001");
	assert_string_equal(l.items[0].name, "kept-web-1");
	inv_res_list_free(&l);
	assert_int_equal(store_journal_get(st, job_id, &job, &err), 0);
	assert_string_equal(job->text, "kept-web");
	store_job_free(job);
	assert_int_equal(t_rows(st), 0);
	t_put(st, &k, T0);
	assert_int_equal(t_get(st, k.id, T0 + 1), 0);
}

/* v3 -> v4 in place: a v3 database (this code's schema without the kept
 * table, the version set back, as the v3 code left it) keeps its
 * inventory and journal rows, and gains kept results. */
static void test_migrate_v3(void **state)
{
	struct store_fixture *c = *state;
	static const char *const to_v3[] = {
		"DROP TABLE kept_results", "UPDATE schema_version SET version = 3"
	};
	char job_id[STORE_JOB_ID_SIZE];
	struct kept_result k = t_result("before", "{}", "[]");
	struct si_err err;

	t_crawl_one(c->st);
	t_job_add(c->st, job_id);
	t_exec_all(c->st, to_v3, sizeof(to_v3) / sizeof(to_v3[0]));
	/* v3 as the old code left it: no kept results */
	assert_int_equal(kept_put(c->st, &k, T0, &err), -1);
	store_close(c->st);
	c->st = store_fixture_open(c);
	t_expect_upgraded(c->st, job_id);
	/* and opening again changes nothing */
	store_close(c->st);
	c->st = store_fixture_open(c);
	assert_int_equal(t_rows(c->st), 1);
}

/* v1 -> v4 straight through: the v2, v3 and v4 migrations run in order at
 * one open, the journal survives, the inventory and kept results work. */
static void test_migrate_v1(void **state)
{
	struct store_fixture *c = *state;
	static const char *const to_v1[] = {
		"DROP TABLE inv_target", "DROP TABLE inv_resource", "DROP TABLE inv_ident",
		"DROP TABLE inv_addr_history", "DROP TABLE kept_results",
		"UPDATE schema_version SET version = 1"
	};
	char job_id[STORE_JOB_ID_SIZE];
	struct si_err err;

	t_job_add(c->st, job_id);
	if (!c->is_pg)
		assert_int_equal(store_private_exec(c->st, "DROP TABLE inv_name_fts", &err), 0);
	t_exec_all(c->st, to_v1, sizeof(to_v1) / sizeof(to_v1[0]));
	store_close(c->st);
	c->st = store_fixture_open(c);
	t_crawl_one(c->st);
	t_expect_upgraded(c->st, job_id);
}

/* --- the journal's wrappers ------------------------------------------------ */

/* With the store down (its directory missing) both wrappers say -1 and
 * leave out empty; once the store opens (journal_tick) they keep and
 * load, a bad id is absent, and the tick prunes expired results. */
static void test_journal_wrappers(void **state)
{
	struct store_fixture *c = *state;
	struct store_settings down = { 0 };
	char sub[PATH_MAX + 16], path[PATH_MAX + 32];
	struct kept_result k = t_result("journal", "{}", "[]"), old, big, out;
	struct journal *j;
	struct si_err err;
	time_t now = time(NULL);

	snprintf(sub, sizeof(sub), "%s/missing", c->dir[0] != '\0' ? c->dir : "/nonexistent");
	snprintf(path, sizeof(path), "%s/state.db", sub);
	down.path = path;
	j = journal_new(&down, 1, &err);
	assert_non_null(j);
	assert_string_equal(journal_backend(j), "none");
	assert_int_equal(journal_keep(j, &k, now), -1);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(journal_kept(j, k.id, now, &out), -1);
	assert_null(out.query);
	kept_result_free(&out);
	assert_int_equal(journal_keep(NULL, &k, now), -1);
	assert_int_equal(journal_kept(NULL, k.id, now, &out), -1);
	kept_result_free(&out);
	journal_free(j);

	/* up: the fixture's own store settings (SQLite or PostgreSQL) */
	j = journal_new(&c->set, 1, &err);
	assert_non_null(j);
	assert_int_equal(journal_keep(j, &k, now), 0);
	assert_int_equal(k.expires_at, now + KEPT_TTL_S);
	assert_int_equal(journal_kept(j, k.id, now, &out), 0);
	assert_string_equal(out.query, "journal");
	kept_result_free(&out);
	assert_int_equal(journal_kept(j, "not-an-id", now, &out), 1);
	/* a result the store refuses (too large) is not kept: -1, logged */
	big = t_result("big", "{}", NULL);
	big.pages_json = t_text(KEPT_JSON_MAX + 1, 'b');
	assert_int_equal(journal_keep(j, &big, now), -1);
	assert_int_equal(journal_kept(j, big.id, now, &out), 1);
	free(big.pages_json);
	assert_int_equal(t_get(c->st, k.id, now), 0); /* another handle sees it */
	/* an expired result is gone after the tick's prune */
	old = t_result("old", "{}", "[]");
	assert_int_equal(journal_keep(j, &old, now - KEPT_TTL_S - 5), 0);
	assert_int_equal(journal_kept(j, old.id, now, &out), 1);
	assert_int_equal(t_rows(c->st), 2);
	for (int i = 0; i < 30; i++) /* JOURNAL_PRUNE_TICKS */
		journal_tick(j);
	assert_int_equal(t_rows(c->st), 1);
	assert_int_equal(journal_kept(j, k.id, now, &out), 0);
	kept_result_free(&out);
	assert_int_equal(journal_health(j, NULL, 0), STORE_HEALTH_OK);
	journal_free(j);
}

/* --- runner --------------------------------------------------------------- */

#define T_ALL(setup)                                                                     \
	cmocka_unit_test_setup_teardown(test_roundtrip_large, setup, t_teardown),         \
	cmocka_unit_test_setup_teardown(test_roundtrip_edges, setup, t_teardown),         \
	cmocka_unit_test_setup_teardown(test_expiry_exact, setup, t_teardown),            \
	cmocka_unit_test_setup_teardown(test_prune_counts, setup, t_teardown),            \
	cmocka_unit_test_setup_teardown(test_ids_unique, setup, t_teardown),              \
	cmocka_unit_test_setup_teardown(test_bad_id_no_query, setup, t_teardown),         \
	cmocka_unit_test_setup_teardown(test_oversize_refused, setup, t_teardown),        \
	cmocka_unit_test_setup_teardown(test_row_cap, setup, t_teardown),                 \
	cmocka_unit_test_setup_teardown(test_two_handles, setup, t_teardown),             \
	cmocka_unit_test_setup_teardown(test_migrate_v3, setup, t_teardown),              \
	cmocka_unit_test_setup_teardown(test_migrate_v1, setup, t_teardown),              \
	cmocka_unit_test_setup_teardown(test_journal_wrappers, setup, t_teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = { T_ALL(t_setup_sqlite) };
	const struct CMUnitTest pg_tests[] = { T_ALL(store_fixture_setup_pg) };

	return store_fixture_main("kept", "test_kept_pg.sh", sqlite_tests,
				  sizeof(sqlite_tests) / sizeof(sqlite_tests[0]), pg_tests,
				  sizeof(pg_tests) / sizeof(pg_tests[0]));
}
