/*
 * schema.c - the one schema both backends store, and its migrations.
 *
 * The SQL is the common subset of SQLite and PostgreSQL (TEXT, BIGINT,
 * INTEGER, plain indexes), so the two databases hold the same tables and a
 * migration is written once. Times are Unix seconds in BIGINT; NULL means
 * "none" (no owner, not delivered).
 *
 * Where the dialects differ (identity columns, the name index) a migration
 * adds statements for one dialect; the tables and columns stay the same.
 * Statements that may fail for want of an optional feature (an extension
 * the server lacks, an SQLite built without FTS5) run inside a savepoint
 * whose failure is rolled back and tolerated: the schema is whole without
 * them and the code checks for them before use (store/inventory.c).
 *
 * Adding a version: append a migration with the next number, raise
 * STORE_SCHEMA_VERSION; never edit a released one (databases in the field
 * already ran it).
 */
#include <stddef.h>

#include "store/private/backend.h"

/* A migration runs its dialect's statements first (the tables), then the
 * common ones, then the optional ones of its dialect. Lists are
 * NULL-terminated; a NULL list is empty. Indexed by enum store_dialect. */
struct s_migration {
	long version;
	const char *const *sql;
	const char *const *dialect_sql[2];
	const char *const *optional[2];
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

/*
 * v2: the inventory (store/inventory.h says what each table is for). The
 * tables are the same on both databases; only the identity column is
 * spelled per dialect. Times are Unix seconds; NULL is "never"/"still".
 * No foreign keys: history rows outlive the resources they name (they are
 * copied into the row), and pruning deletes in batches in any order.
 */
#define S_V2_TABLES(ID)                                                          \
	/* One crawl target: an account x region x service (the crawler's word \
	 * for a set of types crawled together and failing together). */       \
	"CREATE TABLE inv_target ("                                              \
	" tid " ID ","                                                           \
	" account TEXT NOT NULL,"                                                \
	" region TEXT NOT NULL,"                                                 \
	" service TEXT NOT NULL,"                                                \
	" n_resources BIGINT NOT NULL DEFAULT 0,"                                \
	" last_ok_at BIGINT,"                                                    \
	" last_try_at BIGINT,"                                                   \
	" last_error TEXT,"                                                      \
	" last_error_at BIGINT,"                                                 \
	" UNIQUE (account, region, service))",                                   \
	/* One resource, present (gone_at NULL) or gone; card and tags are   \
	 * JSON text; the hashes tell a crawl what changed. */                   \
	"CREATE TABLE inv_resource ("                                            \
	" rid " ID ","                                                           \
	" tid BIGINT NOT NULL,"                                                  \
	" type TEXT NOT NULL,"                                                   \
	" account TEXT NOT NULL,"                                                \
	" region TEXT NOT NULL,"                                                 \
	" id TEXT NOT NULL,"                                                     \
	" arn TEXT,"                                                             \
	" name TEXT,"                                                            \
	" name_lc TEXT,"                                                         \
	" state TEXT,"                                                           \
	" created BIGINT,"                                                       \
	" ended_at BIGINT,"                                                      \
	" first_seen BIGINT NOT NULL,"                                           \
	" last_seen BIGINT NOT NULL,"                                            \
	" gone_at BIGINT,"                                                       \
	" content_hash BIGINT NOT NULL,"                                         \
	" ident_hash BIGINT NOT NULL,"                                           \
	" card TEXT,"                                                            \
	" tags TEXT NOT NULL,"                                                   \
	" UNIQUE (type, account, region, id))",                                  \
	/* Who held an address when: one row per (address, holder, stretch). */ \
	"CREATE TABLE inv_addr_history ("                                        \
	" hid " ID ","                                                           \
	" addr TEXT NOT NULL,"                                                   \
	" rid BIGINT NOT NULL,"                                                  \
	" type TEXT NOT NULL,"                                                   \
	" account TEXT NOT NULL,"                                                \
	" region TEXT NOT NULL,"                                                 \
	" res_id TEXT NOT NULL,"                                                 \
	" name TEXT,"                                                            \
	" from_ts BIGINT NOT NULL,"                                              \
	" to_ts BIGINT,"                                                         \
	" from_exact INTEGER NOT NULL,"                                          \
	" to_exact INTEGER NOT NULL DEFAULT 0,"                                  \
	" end_reason TEXT)",                                                     \
	NULL

static const char *const s_v2_sqlite[] = {
	S_V2_TABLES("INTEGER PRIMARY KEY AUTOINCREMENT") /* ids never reused */
};

static const char *const s_v2_pg[] = {
	S_V2_TABLES("BIGSERIAL PRIMARY KEY")
};

static const char *const s_v2[] = {
	/* A crawl reads its target's present rows; prune finds gone ones. */
	"CREATE INDEX inv_resource_target ON inv_resource (tid, gone_at)",
	"CREATE INDEX inv_resource_gone ON inv_resource (gone_at) WHERE gone_at IS NOT NULL",
	/* Every exact identifier (id, ARN, address, DNS name), lower-cased. */
	"CREATE TABLE inv_ident ("
	" rid BIGINT NOT NULL,"
	" kind TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" PRIMARY KEY (rid, kind, value))",
	"CREATE INDEX inv_ident_value ON inv_ident (value)",
	"CREATE INDEX inv_hist_addr ON inv_addr_history (addr, from_ts)",
	"CREATE INDEX inv_hist_rid ON inv_addr_history (rid, from_ts)",
	"CREATE INDEX inv_hist_closed ON inv_addr_history (to_ts) WHERE to_ts IS NOT NULL",
	NULL
};

/* Name substring search. SQLite: an FTS5 trigram index over name_lc kept
 * by triggers (external content: the names are stored once, in
 * inv_resource); case_sensitive 1 because name_lc is already lower-cased
 * the one way the rest of the code lower-cases (ASCII). */
static const char *const s_v2_sqlite_opt[] = {
	"CREATE VIRTUAL TABLE inv_name_fts USING fts5(name_lc, content='inv_resource',"
	" content_rowid='rid', tokenize='trigram case_sensitive 1')",
	"CREATE TRIGGER inv_name_ai AFTER INSERT ON inv_resource WHEN new.name_lc IS NOT NULL"
	" BEGIN INSERT INTO inv_name_fts (rowid, name_lc) VALUES (new.rid, new.name_lc); END",
	"CREATE TRIGGER inv_name_ad AFTER DELETE ON inv_resource WHEN old.name_lc IS NOT NULL"
	" BEGIN INSERT INTO inv_name_fts (inv_name_fts, rowid, name_lc)"
	" VALUES ('delete', old.rid, old.name_lc); END",
	"CREATE TRIGGER inv_name_au AFTER UPDATE OF name_lc ON inv_resource"
	" WHEN old.name_lc IS NOT new.name_lc BEGIN"
	" INSERT INTO inv_name_fts (inv_name_fts, rowid, name_lc)"
	" SELECT 'delete', old.rid, old.name_lc WHERE old.name_lc IS NOT NULL;"
	" INSERT INTO inv_name_fts (rowid, name_lc)"
	" SELECT new.rid, new.name_lc WHERE new.name_lc IS NOT NULL; END",
	NULL
};

/* PostgreSQL: pg_trgm's GIN index, which serves LIKE '%term%'. pg_trgm
 * ships with the server (Debian's postgresql-NN) and is a trusted
 * extension, so a database owner may create it; without it LIKE scans. */
static const char *const s_v2_pg_opt[] = {
	"CREATE EXTENSION IF NOT EXISTS pg_trgm",
	"CREATE INDEX inv_resource_name_trgm ON inv_resource USING gin (name_lc gin_trgm_ops)",
	NULL
};

/*
 * v3: a crawl claim per target (store/inventory.h, inv_claim): who is
 * crawling it and until when the claim holds, so that two crawlers on one
 * database (two hosts on PostgreSQL, or a reload's overlap) never list
 * the same target at once. In place: two nullable columns (NULL: nobody),
 * which every existing row gets, so a v2 database keeps all its data.
 * SQLite adds one column per ALTER TABLE; PostgreSQL takes the same words.
 */
static const char *const s_v3[] = {
	"ALTER TABLE inv_target ADD COLUMN claimed_by TEXT",
	"ALTER TABLE inv_target ADD COLUMN claimed_until BIGINT",
	NULL
};

/*
 * v4: results kept for a reply's buttons (store/kept.h): one row per
 * result, found by its random id, dropped when expired (the index on
 * expires_at serves the prune and the row cap). A new table, so a v3
 * database keeps all its data; the same words on both databases. The
 * texts are nullable (NULL: none given).
 */
static const char *const s_v4[] = {
	"CREATE TABLE kept_results ("
	" id TEXT PRIMARY KEY,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" team_id TEXT NOT NULL,"
	" channel_id TEXT NOT NULL,"
	" user_id TEXT NOT NULL,"
	" ephemeral INTEGER NOT NULL,"
	" n_matches BIGINT NOT NULL,"
	" n_pages BIGINT NOT NULL,"
	" query TEXT,"
	" share_json TEXT,"
	" pages_json TEXT)",
	"CREATE INDEX kept_results_expires ON kept_results (expires_at)",
	NULL
};

static const struct s_migration s_migrations[] = {
	{ 1, s_v1, { NULL, NULL }, { NULL, NULL } },
	{ 2, s_v2, { s_v2_sqlite, s_v2_pg },
	  { s_v2_sqlite_opt, s_v2_pg_opt } },
	{ 3, s_v3, { NULL, NULL }, { NULL, NULL } },
	{ 4, s_v4, { NULL, NULL }, { NULL, NULL } },
};

#define S_NMIGRATIONS (sizeof(s_migrations) / sizeof(s_migrations[0]))

_Static_assert(S_NMIGRATIONS == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

static int s_run_list(const struct store_backend_vtable *vt, void *impl,
		      const char *const *list, struct si_err *err)
{
	for (const char *const *q = list; q != NULL && *q != NULL; q++)
		if (vt->exec(impl, *q, err) != 0)
			return -1;
	return 0;
}

/* All of list or none of it: a savepoint (the same words on both
 * databases) undoes a partial list, and PostgreSQL's transaction, which a
 * failed statement aborts, goes on from the savepoint. Only the savepoint
 * statements themselves failing is an error. */
static int s_run_optional(const struct store_backend_vtable *vt, void *impl,
			  const char *const *list, struct si_err *err)
{
	struct si_err ignored;

	if (list == NULL)
		return 0;
	if (vt->exec(impl, "SAVEPOINT store_optional", err) != 0)
		return -1;
	if (s_run_list(vt, impl, list, &ignored) != 0 &&
	    vt->exec(impl, "ROLLBACK TO SAVEPOINT store_optional", err) != 0)
		return -1;
	return vt->exec(impl, "RELEASE SAVEPOINT store_optional", err);
}

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
		if (s_run_list(vt, impl, m->dialect_sql[vt->dialect], err) != 0 ||
		    s_run_list(vt, impl, m->sql, err) != 0)
			return -1;
		if (s_run_optional(vt, impl, m->optional[vt->dialect], err) != 0)
			return -1;
		if (vt->set_schema_version(impl, m->version, err) != 0)
			return -1;
	}
	return 0;
}
