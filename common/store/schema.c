/*
 * schema.c - the one schema both backends store, and its migrations.
 *
 * The SQL is the common subset of SQLite and PostgreSQL (TEXT, BIGINT,
 * INTEGER, plain indexes), so the two databases hold the same tables and a
 * migration is written once. Times are Unix seconds in BIGINT; NULL means
 * "none" (no owner, not delivered).
 *
 * Adding a version: append a migration with the next number, raise
 * STORE_SCHEMA_VERSION; never edit a released one (databases in the field
 * already ran it).
 */
#include <stddef.h>

#include "store/private/backend.h"

struct s_migration {
	long version;
	const char *const *sql; /* NULL-terminated */
};

static const char *const s_v1[] = {
	/* The replay cache: one row per accepted X-Slack-Signature. */
	"CREATE TABLE replay ("
	" signature TEXT PRIMARY KEY,"
	" expires_at BIGINT NOT NULL)",
	"CREATE INDEX replay_expires ON replay (expires_at)",
	/* The search journal (store.h's struct store_job). */
	"CREATE TABLE journal ("
	" id TEXT PRIMARY KEY,"
	" response_url TEXT NOT NULL,"
	" text TEXT NOT NULL,"
	" response_type TEXT NOT NULL,"
	" team_id TEXT NOT NULL,"
	" team_name TEXT NOT NULL,"
	" user_id TEXT NOT NULL,"
	" user_name TEXT NOT NULL,"
	" channel_id TEXT NOT NULL,"
	" channel_name TEXT NOT NULL,"
	" accounts TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" deadline BIGINT NOT NULL,"
	" uses INTEGER NOT NULL DEFAULT 0,"
	" owner TEXT,"
	" lease_until BIGINT NOT NULL DEFAULT 0,"
	" delivered_at BIGINT)",
	/* The claim's scan: undelivered rows by lease, oldest first. */
	"CREATE INDEX journal_pending ON journal (delivered_at, lease_until, created_at)",
	"CREATE INDEX journal_owner ON journal (owner)",
	NULL
};

static const struct s_migration s_migrations[] = {
	{ 1, s_v1 },
};

#define S_NMIGRATIONS (sizeof(s_migrations) / sizeof(s_migrations[0]))

_Static_assert(S_NMIGRATIONS == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

int store_schema_migrate(const struct store_backend_vtable *vt, void *impl,
			 struct si_err *err)
{
	long have = 0;

	/* One row, the version: created with the first migration's
	 * transaction, so a half-made schema never looks finished. */
	if (vt->exec(impl, "CREATE TABLE IF NOT EXISTS schema_version"
		     " (version INTEGER NOT NULL)", err) != 0)
		return -1;
	if (vt->schema_version(impl, &have, err) != 0)
		return -1;
	if (have > STORE_SCHEMA_VERSION)
		return si_err_set(err, SI_ERR_INVALID,
				  "state database has schema version %ld, newer than this "
				  "slash-infra's %d: upgrade slash-infra or use another "
				  "database", have, STORE_SCHEMA_VERSION);
	for (size_t i = 0; i < S_NMIGRATIONS; i++) {
		const struct s_migration *m = &s_migrations[i];

		if (m->version <= have)
			continue;
		for (const char *const *q = m->sql; *q != NULL; q++)
			if (vt->exec(impl, *q, err) != 0)
				return -1;
		if (vt->set_schema_version(impl, m->version, err) != 0)
			return -1;
	}
	return 0;
}
