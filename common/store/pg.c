/*
 * pg.c - the state store in PostgreSQL ([state] url=), for several hosts
 * behind one nginx upstream sharing the replay cache and the journal.
 *
 * Choices, and why:
 * - One connection per store handle, behind a mutex. Each search costs a
 *   handful of single-row statements of well under a millisecond on a
 *   local network, so one connection keeps up with the worker's threads;
 *   a pool would add state and a second failure mode for no measured
 *   gain. The lock also satisfies libpq's rule (one thread per PGconn at
 *   a time).
 * - Parameterized statements only (PQexecParams): no value is ever spliced
 *   into SQL text.
 * - Bounded waits: connect_timeout and statement_timeout are set unless
 *   the URL sets its own, so a stuck server costs seconds, not a hung
 *   worker thread.
 * - Reconnect: a connection found broken is re-established at the start
 *   of the next call, at once the first time and then at most once per
 *   S_RECONNECT_MS while the server stays away (no reconnect storm from
 *   every thread). A statement that failed with the connection is not
 *   re-sent: whether it committed is unknown, and replaying a replay
 *   claim could refuse a genuine request. The caller sees -1 and answers
 *   live.
 * - The claim is FOR UPDATE SKIP LOCKED inside a transaction: concurrent
 *   claimers on any host skip each other's rows, and the leases commit
 *   only after every row was read back.
 * - The URL may carry a password: it is never logged nor put in an error,
 *   and is wiped when the store closes.
 */
#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/private/backend.h"
#include "util/clock.h"
#include "util/strutil.h"

/* libpq's minimum connect_timeout is 2 s; more would let one dead server
 * hold a request thread past Slack's 3 s. */
#define S_CONNECT_TIMEOUT "2"

/* Every statement here touches a handful of rows; 5 s means the server is
 * in trouble, and the caller would rather answer live and say degraded. */
#define S_OPTIONS "-c statement_timeout=5000"

/* After a failed reconnect, wait this long before the next attempt. */
#define S_RECONNECT_MS 1000

/* The advisory lock serialising migrations between workers that start
 * together: any constant works; this one spells "slas". */
#define S_MIGRATION_LOCK "1936482675"

/* Most parameters of any statement: journal add has 15, the inventory's
 * generic statements up to STORE_STMT_MAX_ARGS. */
#define S_MAX_ARGS STORE_STMT_MAX_ARGS

struct s_pg {
	PGconn *conn;
	pthread_mutex_t lock;
	char *url;               /* for reconnects; wiped on close */
	long long failed_at_ms;  /* si_mono_ms of the last failed connect, 0: none */
	char why[SI_ERR_MSG_MAX]; /* that failure's text, repeated while we wait */
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

/* CREATE TABLE IF NOT EXISTS and friends send NOTICEs; libpq's default
 * prints them on stderr, which is the worker's log. */
static void s_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* libpq's message for the connection, without its trailing newline. */
static int s_conn_fail(struct s_pg *q, const char *what, struct si_err *err)
{
	const char *m = q->conn != NULL ? PQerrorMessage(q->conn) : "out of memory";
	size_t n = strcspn(m, "\n");

	return si_err_set(err, SI_ERR_IO, "state database %s: %.*s", what, (int)n, m);
}

static int s_connect(struct s_pg *q, struct si_err *err)
{
	const char *const keys[] = { "connect_timeout", "application_name", "options",
				     "dbname", NULL };
	const char *const vals[] = { S_CONNECT_TIMEOUT, "slash-infra", S_OPTIONS, q->url,
				     NULL };

	if (q->conn != NULL)
		PQreset(q->conn);
	else
		q->conn = PQconnectdbParams(keys, vals, 1);
	if (q->conn == NULL || PQstatus(q->conn) != CONNECTION_OK) {
		struct si_err e;

		q->failed_at_ms = si_mono_ms();
		s_conn_fail(q, "connection", &e);
		snprintf(q->why, sizeof(q->why), "%s", e.msg);
		if (err != NULL)
			*err = e;
		return -1;
	}
	PQsetNoticeProcessor(q->conn, s_quiet, NULL);
	q->failed_at_ms = 0;
	return 0;
}

/* A usable connection, re-established when it broke (called locked). */
static int s_ensure(struct s_pg *q, struct si_err *err)
{
	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK)
		return 0;
	if (q->failed_at_ms != 0 && si_mono_ms() - q->failed_at_ms < S_RECONNECT_MS)
		return si_err_set(err, SI_ERR_IO, "%s (next attempt within %d ms)", q->why,
				  S_RECONNECT_MS);
	return s_connect(q, err);
}

/* The error of a failed statement: a cancelled statement (our timeout) is
 * a timeout, a full disk says so, the rest is I/O. */
static int s_result_fail(struct s_pg *q, const PGresult *res, const char *what,
			 struct si_err *err)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		return s_conn_fail(q, what, err);
	if (state != NULL && strcmp(state, "57014") == 0)
		return si_err_set(err, SI_ERR_TIMEOUT, "state database %s: %s", what, msg);
	if (state != NULL && strcmp(state, "53100") == 0)
		return si_err_set(err, SI_ERR_IO, "state database %s: disk full (%s)", what, msg);
	return si_err_set(err, SI_ERR_IO, "state database %s: %s", what, msg);
}

/* Run sql with args (called locked); *res is the caller's to PQclear. */
static int s_query(struct s_pg *q, const char *sql, const struct s_arg *args, size_t nargs,
		   PGresult **res, const char *what, struct si_err *err)
{
	char nums[S_MAX_ARGS][24];
	const char *vals[S_MAX_ARGS];
	ExecStatusType st;

	*res = NULL;
	if (nargs > S_MAX_ARGS)
		return si_err_set(err, SI_ERR_INTERNAL, "state database %s: too many args", what);
	if (s_ensure(q, err) != 0)
		return -1;
	for (size_t i = 0; i < nargs; i++) {
		if (args[i].is_int) {
			snprintf(nums[i], sizeof(nums[i]), "%lld", (long long)args[i].i);
			vals[i] = nums[i];
		} else {
			vals[i] = args[i].s;
		}
	}
	*res = PQexecParams(q->conn, sql, (int)nargs, NULL, vals, NULL, NULL, 0);
	st = *res != NULL ? PQresultStatus(*res) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 0;
	s_result_fail(q, *res, what, err);
	PQclear(*res);
	*res = NULL;
	return -1;
}

/* Run a statement for its row count only (called locked). */
static int s_run(struct s_pg *q, const char *sql, const struct s_arg *args, size_t nargs,
		 size_t *changes, const char *what, struct si_err *err)
{
	PGresult *res;
	long n = 0;

	if (s_query(q, sql, args, nargs, &res, what, err) != 0)
		return -1;
	if (changes != NULL) {
		const char *t = PQcmdTuples(res);

		if (t[0] != '\0' && si_parse_long(t, 0, LONG_MAX, &n) != 0)
			n = 0;
		*changes = (size_t)n;
	}
	PQclear(res);
	return 0;
}

/* The same, taking the lock. */
static int s_run_locked(struct s_pg *q, const char *sql, const struct s_arg *args,
			size_t nargs, size_t *changes, const char *what, struct si_err *err)
{
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_run(q, sql, args, nargs, changes, what, err);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* The first column of the first row as an integer; *found 0 when none. */
static int s_one_int(struct s_pg *q, const char *sql, const struct s_arg *args,
		     size_t nargs, long *val, int *found, const char *what, struct si_err *err)
{
	PGresult *res;
	int rc = 0;

	*found = 0;
	if (s_query(q, sql, args, nargs, &res, what, err) != 0)
		return -1;
	if (PQntuples(res) > 0) {
		*found = 1;
		if (si_parse_long(PQgetvalue(res, 0, 0), LONG_MIN, LONG_MAX, val) != 0)
			rc = si_err_set(err, SI_ERR_INTERNAL, "state database %s: not a number",
					what);
	}
	PQclear(res);
	return rc;
}

/* Abandon the open transaction, if the connection still stands. */
static void s_rollback(struct s_pg *q)
{
	if (q->conn != NULL && PQstatus(q->conn) == CONNECTION_OK)
		PQclear(PQexecParams(q->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

/* --- the vtable ----------------------------------------------------------- */

static int s_exec(void *impl, const char *sql, struct si_err *err)
{
	return s_run_locked(impl, sql, NULL, 0, NULL, "statement", err);
}

/* Called during open, before any other thread has the store: no lock. */
static int s_schema_version(void *impl, long *version, struct si_err *err)
{
	int found;

	*version = 0;
	return s_one_int(impl, "SELECT COALESCE(MAX(version), 0) FROM schema_version", NULL, 0,
			 version, &found, "schema version", err);
}

static int s_set_schema_version(void *impl, long version, struct si_err *err)
{
	struct s_arg a[] = { S_INT(version) };

	if (s_run(impl, "DELETE FROM schema_version", NULL, 0, NULL, "schema version", err))
		return -1;
	return s_run(impl, "INSERT INTO schema_version (version) VALUES ($1)", a, S_NARGS(a),
		     NULL, "schema version", err);
}

static int s_replay_claim(void *impl, const char *sig, int64_t expires_at, int64_t now,
			  enum store_replay *status, struct si_err *err)
{
	struct s_arg a[] = { S_TXT(sig), S_INT(expires_at), S_INT(now) };
	size_t changed = 0;

	/* A concurrent insert of the same signature waits on the unique
	 * index, then finds the committed row unexpired: 0 rows, SEEN. */
	if (s_run_locked(impl, "INSERT INTO replay (signature, expires_at) VALUES ($1, $2)"
			 " ON CONFLICT (signature) DO UPDATE SET expires_at = EXCLUDED.expires_at"
			 " WHERE replay.expires_at < $3",
			 a, S_NARGS(a), &changed, "replay claim", err) != 0)
		return -1;
	*status = changed > 0 ? STORE_REPLAY_NEW : STORE_REPLAY_SEEN;
	return 0;
}

static int s_replay_prune(void *impl, int64_t now, size_t limit, size_t *deleted,
			  struct si_err *err)
{
	struct s_arg a[] = { S_INT(now), S_INT(limit) };

	return s_run_locked(impl, "DELETE FROM replay WHERE signature IN (SELECT signature"
			    " FROM replay WHERE expires_at < $1 LIMIT $2)", a, S_NARGS(a),
			    deleted, "replay prune", err);
}

static int s_journal_add(void *impl, const struct store_job_row *r, struct si_err *err)
{
	struct s_arg a[] = {
		S_TXT(r->id), S_TXT(r->text[0]), S_TXT(r->text[1]), S_TXT(r->text[2]),
		S_TXT(r->text[3]), S_TXT(r->text[4]), S_TXT(r->text[5]), S_TXT(r->text[6]),
		S_TXT(r->text[7]), S_TXT(r->text[8]), S_TXT(r->text[9]),
		S_INT(r->created_at), S_INT(r->deadline), S_TXT(r->owner), S_INT(r->lease_until)
	};

	return s_run_locked(impl, "INSERT INTO journal (id, response_url, text, response_type,"
			    " team_id, team_name, user_id, user_name, channel_id, channel_name,"
			    " accounts, created_at, deadline, owner, lease_until) VALUES ($1, $2,"
			    " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
			    a, S_NARGS(a), NULL, "journal add", err);
}

static int s_journal_lease(void *impl, const char *id, const char *owner, int64_t until,
			   size_t *changed, struct si_err *err)
{
	struct s_arg a[] = { S_TXT(id), S_TXT(owner), S_INT(until) };

	return s_run_locked(impl, "UPDATE journal SET lease_until = $3 WHERE id = $1"
			    " AND owner = $2 AND delivered_at IS NULL", a, S_NARGS(a), changed,
			    "journal lease", err);
}

static int s_journal_use(void *impl, const char *id, int max, int *uses, struct si_err *err)
{
	struct s_pg *q = impl;
	struct s_arg a[] = { S_TXT(id), S_INT(max) };
	long v = 0;
	int found = 0, rc;

	pthread_mutex_lock(&q->lock);
	rc = s_one_int(q, "UPDATE journal SET uses = uses + 1 WHERE id = $1 AND uses < $2"
		       " RETURNING uses", a, S_NARGS(a), &v, &found, "journal use", err);
	if (rc == 0 && found) {
		*uses = (int)v;
	} else if (rc == 0) {
		/* Nothing updated: at the limit (-1) or no such job (-2). */
		rc = s_one_int(q, "SELECT 1 FROM journal WHERE id = $1", a, 1, &v, &found,
			       "journal use", err);
		*uses = found ? -1 : -2;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_delivered(void *impl, const char *id, int64_t now, size_t *found,
			       struct si_err *err)
{
	struct s_arg a[] = { S_TXT(id), S_INT(now) };

	return s_run_locked(impl, "UPDATE journal SET delivered_at = COALESCE(delivered_at, $2)"
			    " WHERE id = $1", a, S_NARGS(a), found, "journal delivered", err);
}

static int s_journal_release(void *impl, const char *owner, size_t *released,
			     struct si_err *err)
{
	struct s_arg a[] = { S_TXT(owner) };

	return s_run_locked(impl, "UPDATE journal SET lease_until = 0 WHERE owner = $1"
			    " AND delivered_at IS NULL", a, S_NARGS(a), released,
			    "journal release", err);
}

/* Decode every row of res into out[0..max); on failure nothing is kept. */
static int s_read_jobs(const PGresult *res, struct store_job *out, size_t max, size_t *n,
		       struct si_err *err)
{
	size_t rows = (size_t)PQntuples(res);

	*n = 0;
	if (rows > max || PQnfields(res) != STORE_JOB_NCOLS)
		return si_err_set(err, SI_ERR_INTERNAL, "state database: unexpected rows");
	for (size_t r = 0; r < rows; r++) {
		const char *col[STORE_JOB_NCOLS];

		for (int c = 0; c < STORE_JOB_NCOLS; c++)
			col[c] = PQgetisnull(res, (int)r, c) ? NULL : PQgetvalue(res, (int)r, c);
		if (store_job_from_text(&out[r], col, err) != 0) {
			for (size_t i = 0; i < r; i++)
				store_job_clear(&out[i]);
			return -1;
		}
	}
	*n = rows;
	return 0;
}

/*
 * The exactly-once claim across hosts. FOR UPDATE SKIP LOCKED locks the
 * picked rows and makes a concurrent claimer pass over them; in READ
 * COMMITTED a row another claimer leased and committed meanwhile is
 * re-checked against the WHERE (its new lease_until is in the future), so
 * it is not taken twice. The leases commit only after every returned row
 * was decoded; any failure rolls them back.
 */
static int s_journal_claim(void *impl, const char *owner, int64_t now, int64_t until,
			   size_t max, int uses_max, struct store_job *out, size_t *n,
			   struct si_err *err)
{
	struct s_pg *q = impl;
	struct s_arg a[] = { S_TXT(owner), S_INT(until), S_INT(now), S_INT(uses_max),
			     S_INT(max) };
	PGresult *res = NULL;
	int rc = -1;

	*n = 0;
	pthread_mutex_lock(&q->lock);
	if (s_run(q, "BEGIN", NULL, 0, NULL, "journal claim", err) != 0)
		goto out;
	if (s_query(q, "UPDATE journal SET owner = $1, lease_until = $2 WHERE id IN"
		    " (SELECT id FROM journal WHERE delivered_at IS NULL AND lease_until <= $3"
		    " AND deadline > $3 AND uses < $4 ORDER BY created_at, id LIMIT $5"
		    " FOR UPDATE SKIP LOCKED) RETURNING " STORE_JOB_COLUMNS,
		    a, S_NARGS(a), &res, "journal claim", err) != 0 ||
	    s_read_jobs(res, out, max, n, err) != 0)
		goto rollback;
	if (s_run(q, "COMMIT", NULL, 0, NULL, "journal claim", err) == 0) {
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < *n; i++)
		store_job_clear(&out[i]);
	*n = 0;
rollback:
	s_rollback(q);
out:
	PQclear(res);
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static int s_journal_get(void *impl, const char *id, struct store_job *out, int *found,
			 struct si_err *err)
{
	struct s_pg *q = impl;
	struct s_arg a[] = { S_TXT(id) };
	PGresult *res;
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&q->lock);
	rc = s_query(q, "SELECT " STORE_JOB_COLUMNS " FROM journal WHERE id = $1", a,
		     S_NARGS(a), &res, "journal get", err);
	if (rc == 0) {
		rc = s_read_jobs(res, out, 1, &n, err);
		PQclear(res);
	}
	pthread_mutex_unlock(&q->lock);
	*found = n > 0;
	return rc;
}

static int s_journal_prune(void *impl, int64_t before, size_t limit, size_t *deleted,
			   struct si_err *err)
{
	struct s_arg a[] = { S_INT(before), S_INT(limit) };

	return s_run_locked(impl, "DELETE FROM journal WHERE id IN (SELECT id FROM journal"
			    " WHERE (delivered_at IS NOT NULL AND delivered_at < $1)"
			    " OR (delivered_at IS NULL AND deadline < $1) LIMIT $2)",
			    a, S_NARGS(a), deleted, "journal prune", err);
}

/* --- generic statements (store/inventory.c) ------------------------------- */

/* One generic statement (called locked, from a run's body): the
 * arguments as s_query binds them, then every row to s->row. */
static int s_stmt(void *impl, struct store_stmt *s, struct si_err *err)
{
	struct s_pg *q = impl;
	struct s_arg args[S_MAX_ARGS];
	const char *col[STORE_STMT_MAX_COLS];
	PGresult *res;
	int rows, ncol, rc = 0;

	s->changes = 0;
	if (s->nargs > S_MAX_ARGS)
		return si_err_set(err, SI_ERR_INTERNAL, "statement has %zu arguments", s->nargs);
	for (size_t i = 0; i < s->nargs; i++) {
		args[i].s = s->args[i].s;
		args[i].i = s->args[i].i;
		args[i].is_int = s->args[i].is_int;
	}
	if (s_query(q, s->sql, args, s->nargs, &res, "statement", err) != 0)
		return -1;
	rows = PQntuples(res);
	ncol = PQnfields(res);
	if (ncol > STORE_STMT_MAX_COLS)
		rc = si_err_set(err, SI_ERR_INTERNAL, "statement returns %d columns", ncol);
	for (int r = 0; r < rows && rc == 0 && s->row != NULL; r++) {
		for (int c = 0; c < ncol; c++)
			col[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		rc = s->row(s->ctx, col, ncol, err);
	}
	if (rc == 0) {
		const char *t = PQcmdTuples(res);
		long n = 0;

		if (t[0] != '\0' && si_parse_long(t, 0, LONG_MAX, &n) != 0)
			n = 0;
		s->changes = (size_t)n;
	}
	PQclear(res);
	return rc;
}

/* A transaction is READ COMMITTED, as every statement here: the body
 * orders concurrent writers itself (the inventory locks its target row
 * first). A body that fails, or a COMMIT that fails, is rolled back if
 * the connection stands; one that broke has nothing left to roll back. */
static int s_run_body(void *impl, int txn, store_run_body body, void *ctx, struct si_err *err)
{
	struct s_pg *q = impl;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (txn)
		rc = s_run(q, "BEGIN", NULL, 0, NULL, "transaction", err);
	if (rc == 0) {
		rc = body(ctx, err);
		if (txn && rc == 0)
			rc = s_run(q, "COMMIT", NULL, 0, NULL, "transaction", err);
		if (txn && rc != 0)
			s_rollback(q);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

static void s_destroy(void *impl)
{
	struct s_pg *q = impl;

	if (q == NULL)
		return;
	PQfinish(q->conn);
	si_secret_free(q->url);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static const struct store_backend_vtable s_vtable = {
	.name = "postgresql",
	.dialect = STORE_DIALECT_PG,
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

/* The schema in one transaction, behind a transaction-scoped advisory lock
 * so that workers starting together migrate one after the other. */
static int s_migrate(struct s_pg *q, struct si_err *err)
{
	if (s_run(q, "BEGIN", NULL, 0, NULL, "migration", err) != 0)
		return -1;
	if (s_run(q, "SELECT pg_advisory_xact_lock(" S_MIGRATION_LOCK ")", NULL, 0, NULL,
		  "migration", err) != 0 ||
	    store_schema_migrate(&s_vtable, q, err) != 0 ||
	    s_run(q, "COMMIT", NULL, 0, NULL, "migration", err) != 0) {
		s_rollback(q);
		return -1;
	}
	return 0;
}

int store_pg_open(const struct store_settings *s, const struct store_backend_vtable **vt,
		  void **impl, struct si_err *err)
{
	struct s_pg *q = si_zalloc(sizeof(*q), err);

	if (q == NULL)
		return -1;
	pthread_mutex_init(&q->lock, NULL);
	q->url = si_strndup(s->url, strlen(s->url));
	if (q->url == NULL) {
		s_destroy(q);
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	if (s_connect(q, err) != 0 || s_migrate(q, err) != 0) {
		s_destroy(q);
		return -1;
	}
	*vt = &s_vtable;
	*impl = q;
	return 0;
}
