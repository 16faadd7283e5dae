/*
 * store_fixture.h - test helper: one state store per cmocka test, the same
 * tests on every backend. SQLite in a new temporary directory, or the
 * PostgreSQL database SI_TEST_PG_URL names (tests/integration/lib_pg.sh
 * starts a real server), emptied first so the migration runs from nothing
 * as on a new database. Shared by the store's and the inventory's tests
 * so the setup lives once. Every function fails the running test instead
 * of returning an error.
 */
#ifndef SI_TEST_STORE_FIXTURE_H
#define SI_TEST_STORE_FIXTURE_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

/* One test's store: c->st is open after setup, closed by teardown. */
struct store_fixture {
	int is_pg;
	char dir[PATH_MAX];          /* SQLite: the temporary directory */
	char path[PATH_MAX];         /* SQLite: dir/state.db */
	struct store_settings set;
	struct store *st;
};

/* store_open(&c->set), failing the test when it fails. */
struct store *store_fixture_open(struct store_fixture *c);

/* cmocka setups: *state becomes a new struct store_fixture. The SQLite
 * directory's name starts with the test program's name (prefix). */
int store_fixture_setup_sqlite(void **state, const char *prefix);
int store_fixture_setup_pg(void **state);

/* Remove dir/name (a file, or an empty directory), ignoring absence. */
void store_fixture_rm(const struct store_fixture *c, const char *name);

/* cmocka teardown: close the store; for SQLite remove the database, its
 * WAL files and the names (relative to dir; a directory is removed when
 * empty) the test made, then dir; free the fixture. extra may be NULL. */
void store_fixture_teardown(struct store_fixture *c, const char *const *extra,
			    size_t n_extra);

/*
 * The main of a store test program: with SI_TEST_PG_URL unset, the SQLite
 * group only (and a note); set, both; with SI_TEST_STORE=pg as well, the
 * PostgreSQL group only (the integration test, after `make check` already
 * ran the SQLite one). name prefixes the group names ("store" gives
 * "store_sqlite", "store_postgresql"); pg_test names the integration test
 * that runs the PostgreSQL group. Returns the failed count.
 */
int store_fixture_main(const char *name, const char *pg_test,
		       const struct CMUnitTest *sqlite_tests, size_t n_sqlite,
		       const struct CMUnitTest *pg_tests, size_t n_pg);

/* SI_TEST_PG_URL, or NULL when unset or empty. */
const char *store_fixture_pg_url(void);

#endif
