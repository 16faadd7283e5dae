/*
 * store/private/backend.h - the interface every state-store backend
 * implements, as aws-c-auth's credential providers do: a small struct of
 * function pointers. store.c checks arguments, keeps the health record
 * and calls through the vtable; sqlite.c and pg.c only talk to their
 * database. A new backend adds a file and an open function, not a branch
 * in every call.
 *
 * Only store/ and the tests include this header.
 */
#ifndef SI_STORE_PRIVATE_BACKEND_H
#define SI_STORE_PRIVATE_BACKEND_H

#include <stdint.h>

#include "store/store.h"

/* The journal's columns in the order every backend selects them; the
 * shared decoder (store_job_from_text) reads them by these positions. */
#define STORE_JOB_COLUMNS \
	"id, response_url, text, response_type, team_id, team_name, user_id, " \
	"user_name, channel_id, channel_name, accounts, created_at, deadline, " \
	"uses, owner, lease_until, delivered_at"
#define STORE_JOB_NCOLS 17

/* A job as the backends bind it: every string non-NULL, times resolved. */
struct store_job_row {
	const char *id;
	const char *text[10]; /* response_url .. accounts, column order */
	int64_t created_at, deadline, lease_until;
	const char *owner;    /* may be NULL */
};

/* Which SQL a backend speaks, for the few statements the two databases
 * write differently (identity columns, the name index, sizes). */
enum store_dialect {
	STORE_DIALECT_SQLITE = 0,
	STORE_DIALECT_PG
};

/* --- generic statements (store/inventory.c) -------------------------------
 * The journal has one vtable entry per operation, each written twice. The
 * inventory has dozens of statements, so it writes each once, in the
 * common subset of both dialects with $1..$n placeholders (PostgreSQL's
 * own; SQLite binds "$n" by name), and runs them through the three
 * generic entries below. */

/* One bound parameter: text (NULL binds SQL NULL) or a 64-bit integer. */
struct store_arg {
	const char *s;
	int64_t i;
	int is_int;
};
#define STORE_TXT(x) { .s = (x), .i = 0, .is_int = 0 }
#define STORE_INT(x) { .s = NULL, .i = (int64_t)(x), .is_int = 1 }

/* Most parameters and result columns of one generic statement. */
#define STORE_STMT_MAX_ARGS 24
#define STORE_STMT_MAX_COLS 24

/* Receives one result row: ncol values as text (integers in decimal, NULL
 * for SQL NULL), valid only during the call. Returns 0 to go on, or -1
 * with err set to stop: the statement then fails with that error. */
typedef int (*store_row_fn)(void *ctx, const char *const *col, int ncol,
			    struct si_err *err);

/* One statement. sql is a constant (SQLite keeps its prepared form, keyed
 * by the text, across calls). changes is set by the backend: the rows
 * inserted, updated or deleted. */
struct store_stmt {
	const char *sql;
	const struct store_arg *args;
	size_t nargs;
	store_row_fn row;   /* NULL: result rows are ignored */
	void *ctx;
	size_t changes;
};

/* The body of a run (below): ctx is run's, its statements go through
 * stmt. Returns 0 (commit), or -1 with err set (roll back). */
typedef int (*store_run_body)(void *ctx, struct si_err *err);

/* Each entry returns 0, or -1 with err set (SI_ERR_IO/TIMEOUT/INTERNAL/
 * NOMEM for database failures, which store.c counts against health;
 * SI_ERR_NOTFOUND/LIMIT for answers about the data). impl is the
 * backend's own state. Every entry is thread-safe. */
struct store_backend_vtable {
	const char *name;
	enum store_dialect dialect;
	/* Run one constant SQL statement (no parameters, no rows): schema
	 * changes and tests. */
	int (*exec)(void *impl, const char *sql, struct si_err *err);
	/* The schema version stored, 0 when there is none yet. */
	int (*schema_version)(void *impl, long *version, struct si_err *err);
	int (*set_schema_version)(void *impl, long version, struct si_err *err);
	int (*replay_claim)(void *impl, const char *sig, int64_t expires_at, int64_t now,
			    enum store_replay *status, struct si_err *err);
	int (*replay_prune)(void *impl, int64_t now, size_t limit, size_t *deleted,
			    struct si_err *err);
	int (*journal_add)(void *impl, const struct store_job_row *row, struct si_err *err);
	/* *changed: rows updated (0 or 1). */
	int (*journal_lease)(void *impl, const char *id, const char *owner, int64_t until,
			     size_t *changed, struct si_err *err);
	/* *uses: the new count, or -1 when the row exists but is at max, or
	 * -2 when there is no such row. */
	int (*journal_use)(void *impl, const char *id, int max, int *uses, struct si_err *err);
	int (*journal_delivered)(void *impl, const char *id, int64_t now, size_t *found,
				 struct si_err *err);
	int (*journal_release)(void *impl, const char *owner, size_t *released,
			       struct si_err *err);
	int (*journal_claim)(void *impl, const char *owner, int64_t now, int64_t until,
			     size_t max, int uses_max, struct store_job *out, size_t *n,
			     struct si_err *err);
	/* *out zeroed by the caller; *found 0 when there is no such row. */
	int (*journal_get)(void *impl, const char *id, struct store_job *out, int *found,
			   struct si_err *err);
	int (*journal_prune)(void *impl, int64_t before, size_t limit, size_t *deleted,
			     struct si_err *err);
	/* Run body holding the connection's lock throughout, so no other
	 * thread's statement comes between body's. txn 1: inside one write
	 * transaction (SQLite: BEGIN IMMEDIATE, the write lock taken before
	 * the first read), committed when body returns 0 and rolled back
	 * otherwise. txn 0: each statement commits by itself (lookups). */
	int (*run)(void *impl, int txn, store_run_body body, void *ctx, struct si_err *err);
	/* One generic statement, only from inside a run's body. */
	int (*stmt)(void *impl, struct store_stmt *s, struct si_err *err);
	void (*destroy)(void *impl);
};

/* Backend constructors: connect, then migrate (store_schema_migrate inside
 * a transaction of the backend's own dialect). On success *vt and *impl
 * are set; impl is freed by vt->destroy. */
int store_sqlite_open(const struct store_settings *s, const struct store_backend_vtable **vt,
		      void **impl, struct si_err *err);
int store_pg_open(const struct store_settings *s, const struct store_backend_vtable **vt,
		  void **impl, struct si_err *err);

/* Bring the schema to STORE_SCHEMA_VERSION through vt, inside a
 * transaction the calling backend opened and commits. Refuses a newer
 * schema (SI_ERR_INVALID). */
int store_schema_migrate(const struct store_backend_vtable *vt, void *impl,
			 struct si_err *err);

/* Fill job from the STORE_JOB_NCOLS text values of one row in
 * STORE_JOB_COLUMNS order (NULL for SQL NULL). The strings are copied;
 * on failure job holds nothing to free. */
int store_job_from_text(struct store_job *job, const char *const col[STORE_JOB_NCOLS],
			struct si_err *err);

/* Free the strings a store-made job owns and zero it. */
void store_job_clear(struct store_job *job);

/* For tests: run constant SQL on the store's backend (drop tables, set a
 * schema version), bypassing the health record. */
int store_private_exec(struct store *st, const char *sql, struct si_err *err);

/* For store/ modules built on the generic statements (inventory.c): the
 * backend of st. Both are borrowed from st. */
void store_private_backend(struct store *st, const struct store_backend_vtable **vt,
			   void **impl);

/* Finish a backend call made with the local error e, as store.c's own
 * calls do: record it for store_health() and copy e to err (may be NULL)
 * when rc is not 0. Returns rc. */
int store_private_done(struct store *st, int rc, const struct si_err *e, struct si_err *err);

/* 0 when s is NULL or a well-formed UTF-8 string of at most max bytes;
 * else -1 with err set (SI_ERR_LIMIT, or SI_ERR_INVALID naming what): the
 * check every text the store keeps passes (PostgreSQL refuses invalid
 * UTF-8, SQLite would keep it). */
int store_private_check_text(const char *what, const char *s, size_t max, struct si_err *err);

/* A store_stmt row callback for "SELECT COUNT(*) ...": the one column into
 * *(int64_t *)ctx; a NULL or non-number column is SI_ERR_INTERNAL. */
int store_private_count_row(void *ctx, const char *const *col, int ncol, struct si_err *err);

/* A new id: 128 random bits as STORE_JOB_ID_LEN lower-case hex and a NUL,
 * the one generator of the journal's and store/kept.c's ids. */
int store_private_new_id(char out[STORE_JOB_ID_SIZE], struct si_err *err);

/* 0 when id is exactly STORE_JOB_ID_LEN lower-case hex digits; else -1 with
 * err set (SI_ERR_INVALID). */
int store_private_check_id(const char *id, struct si_err *err);

/* For tests: call fn(ctx, n) inside inv_end_target's transaction after its
 * n-th resource was written (n from 1), so that a test can kill the
 * process in the middle of the transaction. fn NULL removes the hook. */
struct inv_crawl;
void inv_private_on_write(struct inv_crawl *c, void (*fn)(void *ctx, size_t n), void *ctx);

#endif
