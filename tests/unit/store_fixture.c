/*
 * store_fixture.c - one state store per test, on SQLite or PostgreSQL
 * (store_fixture.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"

const char *store_fixture_pg_url(void)
{
	const char *url = getenv("SI_TEST_PG_URL");

	return url != NULL && url[0] != '\0' ? url : NULL;
}

struct store *store_fixture_open(struct store_fixture *c)
{
	struct si_err err;
	struct store *st = store_open(&c->set, &err);

	if (st == NULL)
		fail_msg("store_open(%s): %s", c->is_pg ? "postgresql" : "sqlite", err.msg);
	return st;
}

int store_fixture_setup_sqlite(void **state, const char *prefix)
{
	struct store_fixture *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	snprintf(c->dir, sizeof(c->dir), "%s/%s.XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", prefix);
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/state.db", c->dir);
	c->set.path = c->path;
	c->st = store_fixture_open(c);
	*state = c;
	return 0;
}

static void s_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* PostgreSQL keeps its tables between tests: drop them with libpq (a test
 * may leave a schema the store refuses), so each test migrates from
 * nothing. */
int store_fixture_setup_pg(void **state)
{
	struct store_fixture *c = calloc(1, sizeof(*c));
	const char *url = store_fixture_pg_url();
	PGconn *conn;
	PGresult *res;

	assert_non_null(c);
	assert_non_null(url);
	conn = PQconnectdb(url);
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(conn));
	PQsetNoticeProcessor(conn, s_quiet, NULL);
	res = PQexec(conn, "DROP TABLE IF EXISTS journal, replay, schema_version, inv_target,"
		     " inv_resource, inv_ident, inv_addr_history, kept_results");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("drop: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	c->is_pg = 1;
	c->set.url = url;
	c->st = store_fixture_open(c);
	*state = c;
	return 0;
}

void store_fixture_rm(const struct store_fixture *c, const char *name)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "%s/%s", c->dir, name);
	if (unlink(p) != 0 && errno == EISDIR)
		(void)rmdir(p);
}

void store_fixture_teardown(struct store_fixture *c, const char *const *extra,
			    size_t n_extra)
{
	static const char *const db[] = { "state.db", "state.db-wal", "state.db-shm" };

	store_close(c->st);
	if (!c->is_pg) {
		for (size_t i = 0; i < sizeof(db) / sizeof(db[0]); i++)
			store_fixture_rm(c, db[i]);
		for (size_t i = 0; i < n_extra; i++)
			store_fixture_rm(c, extra[i]);
		(void)rmdir(c->dir);
	}
	free(c);
}

int store_fixture_main(const char *name, const char *pg_test,
		       const struct CMUnitTest *sqlite_tests, size_t n_sqlite,
		       const struct CMUnitTest *pg_tests, size_t n_pg)
{
	const char *only = getenv("SI_TEST_STORE");
	char sq[64], pg[64];
	int failed;

	snprintf(sq, sizeof(sq), "%s_sqlite", name);
	snprintf(pg, sizeof(pg), "%s_postgresql", name);
	if (store_fixture_pg_url() != NULL && only != NULL && strcmp(only, "pg") == 0)
		return _cmocka_run_group_tests(pg, pg_tests, n_pg, NULL, NULL);
	failed = _cmocka_run_group_tests(sq, sqlite_tests, n_sqlite, NULL, NULL);
	if (store_fixture_pg_url() != NULL)
		failed += _cmocka_run_group_tests(pg, pg_tests, n_pg, NULL, NULL);
	else
		print_message("SI_TEST_PG_URL not set: PostgreSQL tests not run here "
			      "(tests/integration/%s runs them)\n", pg_test);
	return failed;
}
