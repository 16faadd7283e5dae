/*
 * sqlite.c - the state store in one SQLite file (the default backend).
 *
 * Choices, and why:
 * - WAL journal: readers never block the writer nor the writer readers,
 *   and a commit appends to one file instead of rewriting pages twice.
 *   Several worker processes share the file through SQLite's own locks.
 * - synchronous=NORMAL: in WAL mode a commit is then durable against a
 *   crash of the process (kill -9, the failure the journal exists for)
 *   but not against a power cut or kernel crash, which may roll back the
 *   last transactions (never corrupt the file). FULL would fsync the WAL
 *   on every commit, a disk flush on the path of every acknowledgement;
 *   a host that loses power also loses the worker that would answer.
 * - busy_timeout: another process holding the write lock makes us wait
 *   (bounded) rather than fail at once; writes hold it for microseconds.
 * - One connection per store handle, behind a mutex: SQLite forbids
 *   interleaving two threads' transactions on one connection, and the
 *   statements are short. Processes (and the tests' second handle)
 *   coordinate through the file locks; the claim is BEGIN IMMEDIATE, so
 *   two claimers serialise on the write lock and never take one job twice.
 * - The file is created by us with mode 0600 (it holds response_urls,
 *   which let anyone post to a channel for 30 minutes), and it must be a
 *   regular file: a FIFO or device at the path is refused without
 *   blocking (O_NONBLOCK), as the FIFO-hang showed is needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/private/backend.h"
#include "util/strutil.h"

/* Prepared generic statements kept per connection: the inventory runs the
 * same dozen statements for every resource of a crawl, and preparing one
 * costs more than running it. More than the inventory has, so none is
 * evicted in steady state. */
#define S_CACHE_SIZE 48

struct s_cached {
	const char *sql;      /* the caller's constant text: the lookup key */
	sqlite3_stmt *stmt;
};

struct s_sqlite {
	sqlite3 *db;
	pthread_mutex_t lock;
	struct s_cached cache[S_CACHE_SIZE];
	size_t cache_next;    /* the slot the next new statement takes */
};

/* One bound parameter: text (NULL binds SQL NULL) or a 64-bit integer. */
struct s_arg {
	const char *s;
	int64_t i;
	int is_int;
};
#define S_TXT(x) { .s = (x), .i = 0, .is_int = 0 }
#define S_INT(x) { .s = NULL, .i = (int64_t)(x), .is_int = 1 }
#define S_NARGS(a) (sizeof(a) / sizeof((a)[0]))

/* Map an SQLite result to our codes: disk full and locks get their own
 * words, since those are what an operator acts on. */
static int s_fail(struct s_sqlite *q, int rc, const char *what, struct si_err *err)
{
	const char *detail = q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return si_err_set(err, SI_ERR_IO, "state store %s: disk full (%s)", what, detail);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return si_err_set(err, SI_ERR_TIMEOUT, "state store %s: database locked (%s)",
				  what, detail);
	case SQLITE_NOMEM:
		return si_err_set(err, SI_ERR_NOMEM, "state store %s: out of memory", what);
	default:
		return si_err_set(err, SI_ERR_IO, "state store %s: %s", what, detail);
	}
}

static int s_cache_get(struct s_sqlite *q, const char *sql, sqlite3_stmt **out,
		       struct si_err *err);

/* The statement for sql from the connection's cache (prepared once;
 * s_done() resets it after use, never finalizes it), args bound. */
static int s_prepare(struct s_sqlite *q, const char *sql, const struct s_arg *args,
		     size_t nargs, sqlite3_stmt **out, const char *what, struct si_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (s_cache_get(q, sql, &stmt, err) != 0)
		return -1;
	rc = SQLITE_OK;
	for (size_t i = 0; i < nargs && rc == SQLITE_OK; i++) {
		int idx = (int)i + 1;

		if (args[i].is_int)
			rc = sqlite3_bind_int64(stmt, idx, args[i].i);
		else if (args[i].s == NULL)
			rc = sqlite3_bind_null(stmt, idx);
		else
			rc = sqlite3_bind_text(stmt, idx, args[i].s, -1, SQLITE_STATIC);
	}
	if (rc != SQLITE_OK) {
		s_fail(q, rc, what, err);
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	*out = stmt;
	return 0;
}

/* Done with a statement from s_prepare: back to the cache, reset. */
static void s_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* Run a statement that returns no rows; *changes (may be NULL) gets the
 * rows it inserted, updated or deleted. Called with the lock held. */
static int s_run(struct s_sqlite *q, const char *sql, const struct s_arg *args, size_t nargs,
		 size_t *changes, const char *what, struct si_err *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if (s_prepare(q, sql, args, nargs, &stmt, what, err) != 0)
		return -1;
	rc = sqlite3_step(stmt);
	s_done(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return s_fail(q, rc, what, err);
	if (changes != NULL)
		*changes = (size_t)sqlite3_changes(q->db);
	return 0;
}

/* Step to the first row and read one integer column; *found 0 when none. */
static int s_one_int(struct s_sqlite *q, const char *sql, const struct s_arg *args,
		     size_t nargs, int64_t *val, int *found, const char *what, struct si_err *err)
{
	sqlite3_stmt *stmt;
	int rc;

	*found = 0;
	if (s_prepare(q, sql, args, nargs, &stmt, what, err) != 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*val = sqlite3_column_int64(stmt, 0);
		*found = 1;
		rc = sqlite3_step(stmt); /* finish it: RETURNING commits at DONE */
	}
	s_done(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return s_fail(q, rc, what, err);
	return 0;
}

/* --- the vtable ----------------------------------------------------------- */

static int s_exec_locked(struct s_sqlite *q, const char *sql, struct si_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, &msg);

	sqlite3_free(msg); /* sqlite3_errmsg still holds the same text */
	return rc == SQLITE_OK ? 0 : s_fail(q, rc, "statement", err);
}

static int s_exec(void *impl, const char *sql, struct si_err *err)
{
	struct s_sqlite *q = impl;
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_exec_locked(q, sql, err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Called during open, before any other thread has the store: no lock. */
static int s_schema_version(void *impl, long *version, struct si_err *err)
{
	int64_t v = 0;
	int found;

	if (s_one_int(impl, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, 0,
		      &v, &found, "schema version", err) != 0)
		return -1;
	*version = (long)v;
	return 0;
}

static int s_set_schema_version(void *impl, long version, struct si_err *err)
{
	struct s_arg a[] = { S_INT(version) };

	if (s_run(impl, "DELETE FROM schema_version", NULL, 0, NULL, "schema version", err))
		return -1;
	return s_run(impl, "INSERT INTO schema_version (version) VALUES (?1)", a, S_NARGS(a),
		     NULL, "schema version", err);
}

static int s_replay_claim(void *impl, const char *sig, int64_t expires_at, int64_t now,
			  enum store_replay *status, struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(sig), S_INT(expires_at), S_INT(now) };
	size_t changed = 0;
	int rc;

	/* One statement, so atomic: the insert wins, or the update of an
	 * expired row does; an unexpired row changes nothing (0 rows). */
	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "INSERT INTO replay (signature, expires_at) VALUES (?1, ?2)"
		   " ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at"
		   " WHERE replay.expires_at < ?3",
		   a, S_NARGS(a), &changed, "replay claim", err);
	pthread_mutex_unlock(&q->lock);
	if (rc == 0)
		*status = changed > 0 ? STORE_REPLAY_NEW : STORE_REPLAY_SEEN;
	return rc;
}

static int s_replay_prune(void *impl, int64_t now, size_t limit, size_t *deleted,
			  struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_INT(now), S_INT(limit) };
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "DELETE FROM replay WHERE signature IN (SELECT signature FROM replay"
		   " WHERE expires_at < ?1 LIMIT ?2)", a, S_NARGS(a), deleted, "replay prune",
		   err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_add(void *impl, const struct store_job_row *r, struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = {
		S_TXT(r->id), S_TXT(r->text[0]), S_TXT(r->text[1]), S_TXT(r->text[2]),
		S_TXT(r->text[3]), S_TXT(r->text[4]), S_TXT(r->text[5]), S_TXT(r->text[6]),
		S_TXT(r->text[7]), S_TXT(r->text[8]), S_TXT(r->text[9]),
		S_INT(r->created_at), S_INT(r->deadline), S_TXT(r->owner), S_INT(r->lease_until)
	};
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "INSERT INTO journal (id, response_url, text, response_type, team_id,"
		   " team_name, user_id, user_name, channel_id, channel_name, accounts,"
		   " created_at, deadline, owner, lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		   " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
		   a, S_NARGS(a), NULL, "journal add", err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_lease(void *impl, const char *id, const char *owner, int64_t until,
			   size_t *changed, struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(id), S_TXT(owner), S_INT(until) };
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "UPDATE journal SET lease_until = ?3 WHERE id = ?1 AND owner = ?2"
		   " AND delivered_at IS NULL", a, S_NARGS(a), changed, "journal lease", err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_use(void *impl, const char *id, int max, int *uses, struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(id), S_INT(max) };
	int64_t v = 0;
	int found = 0, rc;

	pthread_mutex_lock(&q->lock);
	rc = s_one_int(q, "UPDATE journal SET uses = uses + 1 WHERE id = ?1 AND uses < ?2"
		       " RETURNING uses", a, S_NARGS(a), &v, &found, "journal use", err);
	if (rc == 0 && found) {
		*uses = (int)v;
	} else if (rc == 0) {
		/* Nothing updated: at the limit (-1) or no such job (-2). */
		rc = s_one_int(q, "SELECT 1 FROM journal WHERE id = ?1", a, 1, &v, &found,
			       "journal use", err);
		*uses = found ? -1 : -2;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_delivered(void *impl, const char *id, int64_t now, size_t *found,
			       struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(id), S_INT(now) };
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "UPDATE journal SET delivered_at = COALESCE(delivered_at, ?2)"
		   " WHERE id = ?1", a, S_NARGS(a), found, "journal delivered", err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_release(void *impl, const char *owner, size_t *released,
			     struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(owner) };
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "UPDATE journal SET lease_until = 0 WHERE owner = ?1"
		   " AND delivered_at IS NULL", a, S_NARGS(a), released, "journal release", err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Decode the current row of stmt (STORE_JOB_COLUMNS) into job. */
static int s_row_job(sqlite3_stmt *stmt, struct store_job *job, struct si_err *err)
{
	const char *col[STORE_JOB_NCOLS];

	for (int i = 0; i < STORE_JOB_NCOLS; i++)
		col[i] = (const char *)sqlite3_column_text(stmt, i);
	return store_job_from_text(job, col, err);
}

/* Step through a statement returning jobs; *n counts the decoded ones. On
 * failure the jobs decoded so far are cleared and *n is 0. */
static int s_read_jobs(struct s_sqlite *q, sqlite3_stmt *stmt, struct store_job *out,
		       size_t max, size_t *n, const char *what, struct si_err *err)
{
	int rc;

	*n = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (*n >= max || s_row_job(stmt, &out[*n], err) != 0) {
			if (*n >= max)
				si_err_set(err, SI_ERR_INTERNAL, "state store %s: too many rows",
					   what);
			goto fail;
		}
		(*n)++;
	}
	if (rc == SQLITE_DONE)
		return 0;
	s_fail(q, rc, what, err);
fail:
	for (size_t i = 0; i < *n; i++)
		store_job_clear(&out[i]);
	*n = 0;
	return -1;
}

/*
 * The exactly-once claim. BEGIN IMMEDIATE takes the database's write lock
 * before reading, so a second claimer (another thread's handle, another
 * process) waits on busy_timeout until we commit, then sees our new
 * leases and skips those rows. The UPDATE ... RETURNING picks and marks
 * in one statement; if anything fails before COMMIT, ROLLBACK puts every
 * lease back, so no job is left leased to a claimer that never got it.
 */
static int s_journal_claim(void *impl, const char *owner, int64_t now, int64_t until,
			   size_t max, int uses_max, struct store_job *out, size_t *n,
			   struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(owner), S_INT(until), S_INT(now), S_INT(uses_max),
			     S_INT(max) };
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	*n = 0;
	pthread_mutex_lock(&q->lock);
	if (s_exec_locked(q, "BEGIN IMMEDIATE", err) != 0)
		goto out;
	if (s_prepare(q, "UPDATE journal SET owner = ?1, lease_until = ?2 WHERE id IN"
		      " (SELECT id FROM journal WHERE delivered_at IS NULL AND lease_until <= ?3"
		      " AND deadline > ?3 AND uses < ?4 ORDER BY created_at, id LIMIT ?5)"
		      " RETURNING " STORE_JOB_COLUMNS, a, S_NARGS(a), &stmt, "journal claim",
		      err) != 0)
		goto rollback;
	rc = s_read_jobs(q, stmt, out, max, n, "journal claim", err);
	s_done(stmt);
	if (rc != 0)
		goto rollback;
	rc = s_exec_locked(q, "COMMIT", err);
	if (rc == 0)
		goto out;
	for (size_t i = 0; i < *n; i++)
		store_job_clear(&out[i]);
	*n = 0;
rollback:
	rc = -1;
	(void)sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
out:
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_get(void *impl, const char *id, struct store_job *out, int *found,
			 struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_TXT(id) };
	sqlite3_stmt *stmt;
	size_t n = 0;
	int rc = -1;

	pthread_mutex_lock(&q->lock);
	if (s_prepare(q, "SELECT " STORE_JOB_COLUMNS " FROM journal WHERE id = ?1", a,
		      S_NARGS(a), &stmt, "journal get", err) == 0) {
		rc = s_read_jobs(q, stmt, out, 1, &n, "journal get", err);
		s_done(stmt);
	}
	pthread_mutex_unlock(&q->lock);
	*found = n > 0;
	return rc;
}

static int s_journal_prune(void *impl, int64_t before, size_t limit, size_t *deleted,
			   struct si_err *err)
{
	struct s_sqlite *q = impl;
	struct s_arg a[] = { S_INT(before), S_INT(limit) };
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, "DELETE FROM journal WHERE id IN (SELECT id FROM journal WHERE"
		   " (delivered_at IS NOT NULL AND delivered_at < ?1)"
		   " OR (delivered_at IS NULL AND deadline < ?1) LIMIT ?2)",
		   a, S_NARGS(a), deleted, "journal prune", err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* --- generic statements (store/inventory.c) ------------------------------- */

/* The prepared form of sql from the cache, or prepared now and cached
 * (replacing the oldest entry when full). Reset, bindings cleared. */
static int s_cache_get(struct s_sqlite *q, const char *sql, sqlite3_stmt **out,
		       struct si_err *err)
{
	struct s_cached *slot;
	sqlite3_stmt *stmt = NULL;
	int rc;

	for (size_t i = 0; i < S_CACHE_SIZE; i++) {
		slot = &q->cache[i];
		/* The pointer finds it; SQLite's own copy of the text proves it
		 * (a caller's buffer reused for other text only misses). */
		if (slot->stmt != NULL && slot->sql == sql &&
		    strcmp(sqlite3_sql(slot->stmt), sql) == 0) {
			*out = slot->stmt;
			return 0;
		}
	}
	rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK)
		return s_fail(q, rc, "statement", err);
	slot = &q->cache[q->cache_next];
	q->cache_next = (q->cache_next + 1) % S_CACHE_SIZE;
	sqlite3_finalize(slot->stmt);
	slot->sql = sql;
	slot->stmt = stmt;
	*out = stmt;
	return 0;
}

/* Bind the statement's "$n" parameters by name: the generic SQL is
 * written with PostgreSQL's placeholders, which SQLite reads as named
 * ones numbered in order of appearance, not by n. */
static int s_bind_named(struct s_sqlite *q, sqlite3_stmt *stmt, const struct store_stmt *s,
			struct si_err *err)
{
	int count = sqlite3_bind_parameter_count(stmt);

	for (int i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(stmt, i);
		const struct store_arg *a;
		long n;
		int rc;

		if (name == NULL || name[0] != '$' ||
		    si_parse_long(name + 1, 1, (long)s->nargs, &n) != 0)
			return si_err_set(err, SI_ERR_INTERNAL, "statement parameter %d (%s) has "
					  "no argument", i, name != NULL ? name : "?");
		a = &s->args[n - 1];
		if (a->is_int)
			rc = sqlite3_bind_int64(stmt, i, a->i);
		else if (a->s == NULL)
			rc = sqlite3_bind_null(stmt, i);
		else
			rc = sqlite3_bind_text(stmt, i, a->s, -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			return s_fail(q, rc, "statement", err);
	}
	return 0;
}

/* Step through every row, handing each to s->row. */
static int s_step_rows(struct s_sqlite *q, sqlite3_stmt *stmt, struct store_stmt *s,
		       struct si_err *err)
{
	const char *col[STORE_STMT_MAX_COLS];
	int ncol = sqlite3_column_count(stmt), rc;

	if (ncol > STORE_STMT_MAX_COLS)
		return si_err_set(err, SI_ERR_INTERNAL, "statement returns %d columns", ncol);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (s->row == NULL)
			continue;
		for (int i = 0; i < ncol; i++)
			col[i] = (const char *)sqlite3_column_text(stmt, i);
		if (s->row(s->ctx, col, ncol, err) != 0)
			return -1;
	}
	if (rc != SQLITE_DONE)
		return s_fail(q, rc, "statement", err);
	s->changes = (size_t)sqlite3_changes(q->db);
	return 0;
}

/* One generic statement (called locked, from a run's body). The cached
 * statement is reset and its bindings cleared before returning, so it
 * keeps no pointer into the caller's arguments. */
static int s_stmt(void *impl, struct store_stmt *s, struct si_err *err)
{
	struct s_sqlite *q = impl;
	sqlite3_stmt *stmt = NULL;
	int rc;

	s->changes = 0;
	if (s->nargs > STORE_STMT_MAX_ARGS)
		return si_err_set(err, SI_ERR_INTERNAL, "statement has %zu arguments", s->nargs);
	if (s_cache_get(q, s->sql, &stmt, err) != 0)
		return -1;
	rc = s_bind_named(q, stmt, s, err);
	if (rc == 0)
		rc = s_step_rows(q, stmt, s, err);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

/* A transaction is BEGIN IMMEDIATE: the write lock first, so the body
 * never has to upgrade a read lock (which fails with SQLITE_BUSY instead
 * of waiting). */
static int s_run_body(void *impl, int txn, store_run_body body, void *ctx, struct si_err *err)
{
	struct s_sqlite *q = impl;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (txn)
		rc = s_exec_locked(q, "BEGIN IMMEDIATE", err);
	if (rc == 0) {
		rc = body(ctx, err);
		if (txn && rc == 0)
			rc = s_exec_locked(q, "COMMIT", err);
		if (txn && rc != 0)
			(void)sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static void s_destroy(void *impl)
{
	struct s_sqlite *q = impl;

	if (q == NULL)
		return;
	for (size_t i = 0; i < S_CACHE_SIZE; i++)
		sqlite3_finalize(q->cache[i].stmt);
	sqlite3_close(q->db); /* every statement is finalized by now */
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static const struct store_backend_vtable s_vtable = {
	.name = "sqlite",
	.dialect = STORE_DIALECT_SQLITE,
	.exec = s_exec,
	.schema_version = s_schema_version,
	.set_schema_version = s_set_schema_version,
	.replay_claim = s_replay_claim,
	.replay_prune = s_replay_prune,
	.journal_add = s_journal_add,
	.journal_lease = s_journal_lease,
	.journal_use = s_journal_use,
	.journal_delivered = s_journal_delivered,
	.journal_release = s_journal_release,
	.journal_claim = s_journal_claim,
	.journal_get = s_journal_get,
	.journal_prune = s_journal_prune,
	.run = s_run_body,
	.stmt = s_stmt,
	.destroy = s_destroy,
};

/* --- open ----------------------------------------------------------------- */

/* Create the file (0600) if absent and make sure the path is a regular
 * file before SQLite touches it. Why O_EXCL and O_PATH, never a plain
 * open of an existing file: closing any descriptor of a file drops every
 * POSIX (fcntl) lock this process holds on it (POSIX's rule), and SQLite
 * keeps such locks for every connection: a second store handle in a
 * process that already has one (the inventory crawler beside the
 * journal) would drop the first one's locks, and another process would
 * then take the database for unused and delete the WAL under it. A file
 * just created with O_EXCL has no connection yet; an O_PATH descriptor
 * reads nothing, cannot block on a FIFO and releases no lock on close
 * (Linux: filp_flush skips locks_remove_posix for FMODE_PATH). */
static int s_check_path(const char *path, int *fd, struct si_err *err)
{
	char eb[SI_STRERROR_MAX];
	struct stat sb;
	int e, nfd;

	nfd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, 0600);
	e = errno;
	if (nfd >= 0)
		close(nfd);
	else if (e == ENOENT)
		return si_err_set(err, SI_ERR_IO, "state file %s: cannot create it: its "
				  "directory does not exist (systemd's StateDirectory= "
				  "makes it)", path);
	else if (e != EEXIST)
		return si_err_set(err, SI_ERR_IO, "state file %s: cannot open or create it: %s",
				  path, si_strerror(e, eb, sizeof(eb)));
	*fd = open(path, O_PATH | O_CLOEXEC);
	if (*fd < 0)
		return si_err_set(err, SI_ERR_IO, "state file %s: cannot open it: %s", path,
				  si_strerror(errno, eb, sizeof(eb)));
	if (fstat(*fd, &sb) != 0)
		sb.st_mode = 0;
	if (!S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		return si_err_set(err, SI_ERR_INVALID, "state file %s is not a regular file%s",
				  path, S_ISDIR(sb.st_mode) ? " (a directory)" : "");
	}
	return 0;
}

/* Pragmas, then the schema in one write transaction (so two workers
 * starting together migrate once: the second waits, then sees the
 * version). */
static int s_setup(struct s_sqlite *q, long busy_ms, struct si_err *err)
{
	int64_t unused;
	int found;
	sqlite3_stmt *stmt;
	int rc;

	sqlite3_busy_timeout(q->db, (int)busy_ms);
	if (s_prepare(q, "PRAGMA journal_mode=WAL", NULL, 0, &stmt, "open", err) != 0)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		s_fail(q, rc, "open", err);
		s_done(stmt);
		return -1;
	}
	rc = strcmp((const char *)sqlite3_column_text(stmt, 0), "wal");
	s_done(stmt);
	if (rc != 0)
		return si_err_set(err, SI_ERR_IO, "state store: WAL mode unavailable here");
	if (s_one_int(q, "PRAGMA synchronous=NORMAL", NULL, 0, &unused, &found, "open", err))
		return -1;
	if (s_exec_locked(q, "BEGIN IMMEDIATE", err) != 0)
		return -1;
	if (store_schema_migrate(&s_vtable, q, err) != 0 ||
	    s_exec_locked(q, "COMMIT", err) != 0) {
		(void)sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int store_sqlite_open(const struct store_settings *s, const struct store_backend_vtable **vt,
		      void **impl, struct si_err *err)
{
	struct s_sqlite *q;
	int fd, rc;

	if (s_check_path(s->path, &fd, err) != 0)
		return -1;
	q = si_zalloc(sizeof(*q), err);
	if (q == NULL) {
		close(fd);
		return -1;
	}
	pthread_mutex_init(&q->lock, NULL);
	rc = sqlite3_open_v2(s->path, &q->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
			     NULL);
	close(fd);
	if (rc != SQLITE_OK) {
		si_err_set(err, SI_ERR_IO, "state file %s: %s", s->path,
			   q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		s_destroy(q);
		return -1;
	}
	if (s_setup(q, s->busy_timeout_ms, err) != 0) {
		s_destroy(q);
		return -1;
	}
	*vt = &s_vtable;
	*impl = q;
	return 0;
}
