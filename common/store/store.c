/*
 * store.c - the backend-independent half of the state store: argument
 * checks, job ids, the health record, and the row decoder both backends
 * share. Every database call goes through the backend's vtable
 * (store/private/backend.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "store/private/backend.h"
#include "store/store.h"
#include "util/strutil.h"
#include "util/utf8.h"

struct store {
	const struct store_backend_vtable *vt;
	void *impl;
	atomic_ulong claims; /* replay claims, for the periodic prune */
	pthread_mutex_t health_lock;
	int degraded;
	unsigned long failures;
	char last_error[SI_ERR_MSG_MAX];
};

/* Failures of the database itself (not answers about the data). */
static int s_is_db_failure(enum si_err_code code)
{
	return code == SI_ERR_IO || code == SI_ERR_TIMEOUT || code == SI_ERR_INTERNAL ||
	       code == SI_ERR_NOMEM;
}

/* Record the outcome rc of one backend call for store_health(). */
static int s_track(struct store *st, int rc, const struct si_err *err)
{
	pthread_mutex_lock(&st->health_lock);
	if (rc == 0) {
		st->degraded = 0;
	} else if (err != NULL && s_is_db_failure(err->code)) {
		st->degraded = 1;
		st->failures++;
		snprintf(st->last_error, sizeof(st->last_error), "%s", err->msg);
	}
	pthread_mutex_unlock(&st->health_lock);
	return rc;
}

/* Finish a backend call made with the local error e: record it for
 * store_health() (which needs the code even when the caller's err is
 * NULL) and hand e to the caller. */
static int s_done(struct store *st, int rc, const struct si_err *e, struct si_err *err)
{
	s_track(st, rc, e);
	if (rc != 0 && err != NULL)
		*err = *e;
	return rc;
}

static int s_check_settings(const struct store_settings *s, struct si_err *err)
{
	int has_path = s->path != NULL && s->path[0] != '\0';
	int has_url = s->url != NULL && s->url[0] != '\0';

	if (has_path && has_url)
		return si_err_set(err, SI_ERR_INVALID,
				  "[state] has both path= and url=: set one");
	if (s->busy_timeout_ms < 0 || s->busy_timeout_ms > STORE_BUSY_TIMEOUT_MS_MAX)
		return si_err_set(err, SI_ERR_INVALID,
				  "state busy timeout %ld ms is outside 0..%d",
				  s->busy_timeout_ms, STORE_BUSY_TIMEOUT_MS_MAX);
	return 0;
}

/* The one place that picks a backend: url selects PostgreSQL, otherwise
 * the SQLite path (default STORE_DEFAULT_PATH). The backend connects and
 * migrates; the health record starts clean. */
struct store *store_open(const struct store_settings *s, struct si_err *err)
{
	struct store_settings use;
	struct store *st;
	int rc;

	if (s == NULL) {
		si_err_set(err, SI_ERR_INVALID, "no state store settings");
		return NULL;
	}
	if (s_check_settings(s, err) != 0)
		return NULL;
	use = *s;
	if (use.busy_timeout_ms == 0)
		use.busy_timeout_ms = STORE_BUSY_TIMEOUT_MS_DEFAULT;
	st = si_zalloc(sizeof(*st), err);
	if (st == NULL)
		return NULL;
	if (use.url != NULL && use.url[0] != '\0') {
		rc = store_pg_open(&use, &st->vt, &st->impl, err);
	} else {
		if (use.path == NULL || use.path[0] == '\0')
			use.path = STORE_DEFAULT_PATH;
		rc = store_sqlite_open(&use, &st->vt, &st->impl, err);
	}
	if (rc != 0) {
		free(st);
		return NULL;
	}
	atomic_init(&st->claims, 0);
	pthread_mutex_init(&st->health_lock, NULL);
	return st;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->vt->destroy(st->impl);
	pthread_mutex_destroy(&st->health_lock);
	free(st);
}

const char *store_backend_name(const struct store *st)
{
	return st != NULL ? st->vt->name : "none";
}

int store_private_exec(struct store *st, const char *sql, struct si_err *err)
{
	if (st == NULL || sql == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no store or no SQL");
	return st->vt->exec(st->impl, sql, err);
}

void store_private_backend(struct store *st, const struct store_backend_vtable **vt,
			   void **impl)
{
	*vt = st->vt;
	*impl = st->impl;
}

int store_private_done(struct store *st, int rc, const struct si_err *e, struct si_err *err)
{
	return s_done(st, rc, e, err);
}

/* --- argument checks ------------------------------------------------------ */

/* A bounded, well-formed UTF-8 C string: what both databases store alike
 * (PostgreSQL refuses invalid UTF-8, SQLite would keep it). */
static int s_check_text(const char *what, const char *s, size_t max, struct si_err *err)
{
	size_t n, i = 0;

	if (s == NULL)
		return 0;
	n = strnlen(s, max + 1);
	if (n > max)
		return si_err_set(err, SI_ERR_LIMIT, "%s is longer than %zu bytes", what, max);
	while (i < n) {
		size_t k = utf8_seq((const unsigned char *)s + i, n - i, NULL);

		if (k == 0)
			return si_err_set(err, SI_ERR_INVALID, "%s is not UTF-8", what);
		i += k;
	}
	return 0;
}

int store_private_check_text(const char *what, const char *s, size_t max, struct si_err *err)
{
	return s_check_text(what, s, max, err);
}

static int s_check_required(const char *what, const char *s, size_t max, struct si_err *err)
{
	if (s == NULL || s[0] == '\0')
		return si_err_set(err, SI_ERR_INVALID, "no %s", what);
	return s_check_text(what, s, max, err);
}

static int s_check_id(const char *id, struct si_err *err)
{
	if (id == NULL || strnlen(id, STORE_JOB_ID_SIZE) != STORE_JOB_ID_LEN)
		return si_err_set(err, SI_ERR_INVALID, "job id is not %d characters",
				  STORE_JOB_ID_LEN);
	for (size_t i = 0; i < STORE_JOB_ID_LEN; i++)
		if (si_hexval_lower((unsigned char)id[i]) < 0)
			return si_err_set(err, SI_ERR_INVALID, "job id is not hex");
	return 0;
}

int store_private_check_id(const char *id, struct si_err *err)
{
	return s_check_id(id, err);
}

static int s_check_store(struct store *st, struct si_err *err)
{
	return st != NULL ? 0 : si_err_set(err, SI_ERR_INVALID, "no state store");
}

/* --- replay cache --------------------------------------------------------- */

int store_replay_claim(struct store *st, const char *signature, time_t expires_at,
		       time_t now, enum store_replay *status, struct si_err *err)
{
	struct si_err e;

	if (s_check_store(st, err) != 0)
		return -1;
	if (status == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no status");
	if (s_check_required("replay signature", signature, STORE_SIGNATURE_MAX, err) != 0)
		return -1;
	/* Best effort: a failed prune only leaves rows for the next one, and
	 * its failure shows in health until a call succeeds. */
	if (atomic_fetch_add(&st->claims, 1) % STORE_PRUNE_EVERY == STORE_PRUNE_EVERY - 1)
		(void)store_replay_prune(st, now, NULL, NULL);
	si_err_clear(&e);
	return s_done(st, st->vt->replay_claim(st->impl, signature, expires_at, now, status, &e),
		      &e, err);
}

int store_replay_prune(struct store *st, time_t now, size_t *deleted, struct si_err *err)
{
	struct si_err e;
	size_t n = 0;

	if (deleted == NULL)
		deleted = &n;
	*deleted = 0;
	if (s_check_store(st, err) != 0)
		return -1;
	si_err_clear(&e);
	return s_done(st, st->vt->replay_prune(st->impl, now, STORE_PRUNE_BATCH, deleted, &e),
		      &e, err);
}

/* --- search journal ------------------------------------------------------- */

/* 128 random bits in hex: unguessable and unique without coordination
 * between hosts. getrandom() blocks only before the kernel's pool is
 * initialised at boot, long before a worker starts. */
static int s_new_id(char out[STORE_JOB_ID_SIZE], struct si_err *err)
{
	unsigned char raw[STORE_JOB_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return si_err_set(err, SI_ERR_INTERNAL, "getrandom failed");
		got += (size_t)r;
	}
	si_hex_encode(raw, sizeof(raw), out);
	return 0;
}

int store_private_new_id(char out[STORE_JOB_ID_SIZE], struct si_err *err)
{
	return s_new_id(out, err);
}

static const char *s_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Check every field of job and lay it out as the backends bind it. */
static int s_job_row(const struct store_job *job, struct store_job_row *row,
		     struct si_err *err)
{
	static const char *const names[10] = {
		"response_url", "text", "response_type", "team_id", "team_name",
		"user_id", "user_name", "channel_id", "channel_name", "accounts"
	};
	const char *vals[10] = {
		job->response_url, job->text, job->response_type, job->team_id,
		job->team_name, job->user_id, job->user_name, job->channel_id,
		job->channel_name, job->accounts
	};

	if (s_check_required("response_url", job->response_url, STORE_FIELD_MAX, err) != 0)
		return -1;
	for (size_t i = 0; i < 10; i++) {
		if (s_check_text(names[i], vals[i], STORE_FIELD_MAX, err) != 0)
			return -1;
		row->text[i] = s_or_empty(vals[i]);
	}
	if (job->owner != NULL &&
	    s_check_required("owner", job->owner, STORE_OWNER_MAX - 1, err) != 0)
		return -1;
	row->owner = job->owner;
	row->created_at = job->created_at;
	row->deadline = job->deadline != 0 ? (int64_t)job->deadline
			: (int64_t)job->created_at + STORE_RESPONSE_URL_VALIDITY_S;
	row->lease_until = job->owner != NULL ? job->lease_until : 0;
	return 0;
}

int store_journal_add(struct store *st, const struct store_job *job,
		      char id_out[STORE_JOB_ID_SIZE], struct si_err *err)
{
	struct store_job_row row;
	char id[STORE_JOB_ID_SIZE];
	struct si_err e;

	if (id_out != NULL)
		id_out[0] = '\0';
	if (s_check_store(st, err) != 0)
		return -1;
	if (job == NULL || id_out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no job or no id buffer");
	if (s_job_row(job, &row, err) != 0 || s_new_id(id, err) != 0)
		return -1;
	row.id = id;
	si_err_clear(&e);
	if (s_done(st, st->vt->journal_add(st->impl, &row, &e), &e, err) != 0)
		return -1;
	memcpy(id_out, id, STORE_JOB_ID_SIZE);
	return 0;
}

int store_owner_make(char out[STORE_OWNER_MAX], time_t started, struct si_err *err)
{
	return store_owner_for(out, (long)getpid(), started, err);
}

int store_owner_for(char out[STORE_OWNER_MAX], long pid, time_t started,
		    struct si_err *err)
{
	char host[STORE_OWNER_MAX];
	int n;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown-host");
	host[sizeof(host) - 1] = '\0';
	n = snprintf(out, STORE_OWNER_MAX, "%s:%ld:%lld", host, pid, (long long)started);
	if (n < 0 || n >= STORE_OWNER_MAX) {
		out[0] = '\0';
		return si_err_set(err, SI_ERR_LIMIT, "owner id longer than %d bytes",
				  STORE_OWNER_MAX - 1);
	}
	return 0;
}

static int s_check_owner(const char *owner, struct si_err *err)
{
	return s_check_required("owner", owner, STORE_OWNER_MAX - 1, err);
}

int store_journal_lease(struct store *st, const char *id, const char *owner,
			time_t lease_until, struct si_err *err)
{
	struct si_err e;
	size_t changed = 0;

	if (s_check_store(st, err) != 0 || s_check_id(id, err) != 0 ||
	    s_check_owner(owner, err) != 0)
		return -1;
	si_err_clear(&e);
	if (s_done(st, st->vt->journal_lease(st->impl, id, owner, lease_until, &changed, &e),
		   &e, err) != 0)
		return -1;
	if (changed == 0)
		return si_err_set(err, SI_ERR_NOTFOUND,
				  "job %s is gone, delivered or owned by another worker", id);
	return 0;
}

int store_journal_use(struct store *st, const char *id, int *uses, struct si_err *err)
{
	struct si_err e;
	int n = 0;

	if (s_check_store(st, err) != 0 || s_check_id(id, err) != 0)
		return -1;
	si_err_clear(&e);
	if (s_done(st, st->vt->journal_use(st->impl, id, STORE_RESPONSE_URL_USES_MAX, &n, &e),
		   &e, err) != 0)
		return -1;
	if (n == -2)
		return si_err_set(err, SI_ERR_NOTFOUND, "no job %s", id);
	if (n == -1)
		return si_err_set(err, SI_ERR_LIMIT,
				  "job %s already used its response_url %d times", id,
				  STORE_RESPONSE_URL_USES_MAX);
	if (uses != NULL)
		*uses = n;
	return 0;
}

int store_journal_delivered(struct store *st, const char *id, time_t now,
			    struct si_err *err)
{
	struct si_err e;
	size_t found = 0;

	if (s_check_store(st, err) != 0 || s_check_id(id, err) != 0)
		return -1;
	si_err_clear(&e);
	if (s_done(st, st->vt->journal_delivered(st->impl, id, now, &found, &e), &e, err) != 0)
		return -1;
	return found != 0 ? 0 : si_err_set(err, SI_ERR_NOTFOUND, "no job %s", id);
}

int store_journal_release(struct store *st, const char *owner, size_t *released,
			  struct si_err *err)
{
	struct si_err e;
	size_t n = 0;

	if (released == NULL)
		released = &n;
	*released = 0;
	if (s_check_store(st, err) != 0 || s_check_owner(owner, err) != 0)
		return -1;
	si_err_clear(&e);
	return s_done(st, st->vt->journal_release(st->impl, owner, released, &e), &e, err);
}

static int s_check_claim(struct store *st, const char *owner, long lease_s, size_t max,
			 struct si_err *err)
{
	if (s_check_store(st, err) != 0 || s_check_owner(owner, err) != 0)
		return -1;
	if (max == 0 || max > STORE_CLAIM_MAX)
		return si_err_set(err, SI_ERR_INVALID, "claim of %zu jobs is outside 1..%d",
				  max, STORE_CLAIM_MAX);
	if (lease_s <= 0 || lease_s > STORE_RESPONSE_URL_VALIDITY_S)
		return si_err_set(err, SI_ERR_INVALID, "lease of %ld s is outside 1..%d",
				  lease_s, STORE_RESPONSE_URL_VALIDITY_S);
	return 0;
}

int store_journal_claim_orphans(struct store *st, const char *owner, time_t now,
				long lease_s, size_t max, struct store_job **out, size_t *n,
				struct si_err *err)
{
	struct store_job *jobs;
	struct si_err e;

	if (out == NULL || n == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output for claimed jobs");
	*out = NULL;
	*n = 0;
	if (s_check_claim(st, owner, lease_s, max, err) != 0)
		return -1;
	jobs = si_zalloc(max * sizeof(*jobs), err);
	if (jobs == NULL)
		return -1;
	si_err_clear(&e);
	/* The backend clears what it filled when it fails. */
	if (s_done(st, st->vt->journal_claim(st->impl, owner, now, (int64_t)now + lease_s, max,
					     STORE_RESPONSE_URL_USES_MAX, jobs, n, &e),
		   &e, err) != 0) {
		free(jobs);
		*n = 0;
		return -1;
	}
	if (*n == 0) {
		free(jobs);
		return 0;
	}
	*out = jobs;
	return 0;
}

int store_journal_get(struct store *st, const char *id, struct store_job **out,
		      struct si_err *err)
{
	struct store_job *job;
	struct si_err e;
	int found = 0;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output for the job");
	*out = NULL;
	if (s_check_store(st, err) != 0 || s_check_id(id, err) != 0)
		return -1;
	job = si_zalloc(sizeof(*job), err);
	if (job == NULL)
		return -1;
	si_err_clear(&e);
	if (s_done(st, st->vt->journal_get(st->impl, id, job, &found, &e), &e, err) != 0) {
		free(job);
		return -1;
	}
	if (!found) {
		free(job);
		return si_err_set(err, SI_ERR_NOTFOUND, "no job %s", id);
	}
	*out = job;
	return 0;
}

int store_private_count_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	long v;

	(void)ncol;
	if (col[0] == NULL || si_parse_long(col[0], 0, LONG_MAX, &v) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "state store: bad row count");
	*(int64_t *)ctx = (int64_t)v;
	return 0;
}

struct s_pending {
	const struct store_backend_vtable *vt;
	void *impl;
	int64_t now;
	int64_t n;
};

static int s_pending_body(void *ctx, struct si_err *err)
{
	struct s_pending *p = ctx;
	struct store_arg a[] = { STORE_INT(p->now) };
	struct store_stmt s = { "SELECT COUNT(*) FROM journal WHERE delivered_at IS NULL"
				" AND deadline > $1", a, 1, store_private_count_row, &p->n, 0 };

	return p->vt->stmt(p->impl, &s, err);
}

int store_journal_pending(struct store *st, time_t now, size_t *n, struct si_err *err)
{
	struct s_pending p = { NULL, NULL, (int64_t)now, 0 };
	struct si_err e;

	if (n == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output for the journal's backlog");
	*n = 0;
	if (s_check_store(st, err) != 0)
		return -1;
	p.vt = st->vt;
	p.impl = st->impl;
	si_err_clear(&e);
	if (s_done(st, st->vt->run(st->impl, 0, s_pending_body, &p, &e), &e, err) != 0)
		return -1;
	*n = (size_t)p.n;
	return 0;
}

int store_journal_prune(struct store *st, time_t now, size_t *deleted, struct si_err *err)
{
	struct si_err e;
	size_t n = 0;

	if (deleted == NULL)
		deleted = &n;
	*deleted = 0;
	if (s_check_store(st, err) != 0)
		return -1;
	si_err_clear(&e);
	return s_done(st, st->vt->journal_prune(st->impl,
						(int64_t)now - STORE_JOURNAL_RETENTION_S,
						STORE_PRUNE_BATCH, deleted, &e),
		      &e, err);
}

/* --- jobs ----------------------------------------------------------------- */

void store_job_clear(struct store_job *job)
{
	const char *owned[11];

	if (job == NULL)
		return;
	owned[0] = job->response_url;
	owned[1] = job->text;
	owned[2] = job->response_type;
	owned[3] = job->team_id;
	owned[4] = job->team_name;
	owned[5] = job->user_id;
	owned[6] = job->user_name;
	owned[7] = job->channel_id;
	owned[8] = job->channel_name;
	owned[9] = job->accounts;
	owned[10] = job->owner;
	for (size_t i = 0; i < 11; i++)
		free((char *)owned[i]);
	memset(job, 0, sizeof(*job));
}

void store_job_free(struct store_job *job)
{
	store_job_clear(job);
	free(job);
}

void store_jobs_free(struct store_job *jobs, size_t n)
{
	if (jobs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_job_clear(&jobs[i]);
	free(jobs);
}

/* A time column: the databases hand us decimal text. */
static int s_time_col(const char *s, time_t *out, struct si_err *err)
{
	long v;

	if (s == NULL) {
		*out = 0;
		return 0;
	}
	if (si_parse_long(s, LONG_MIN, LONG_MAX, &v) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "bad number in the journal: %.40s", s);
	*out = (time_t)v;
	return 0;
}

/* Copy one string column (SQL NULL stays NULL when nullable). */
static int s_str_col(const char *s, int nullable, const char **out, struct si_err *err)
{
	if (s == NULL && nullable) {
		*out = NULL;
		return 0;
	}
	*out = si_strndup(s != NULL ? s : "", STORE_FIELD_MAX);
	return *out != NULL ? 0 : si_err_set(err, SI_ERR_NOMEM, "out of memory");
}

int store_job_from_text(struct store_job *job, const char *const col[STORE_JOB_NCOLS],
			struct si_err *err)
{
	const char **strs[10] = {
		&job->response_url, &job->text, &job->response_type, &job->team_id,
		&job->team_name, &job->user_id, &job->user_name, &job->channel_id,
		&job->channel_name, &job->accounts
	};
	long uses = 0;

	memset(job, 0, sizeof(*job));
	if (col[0] == NULL || strlen(col[0]) != STORE_JOB_ID_LEN)
		return si_err_set(err, SI_ERR_INTERNAL, "bad job id in the journal");
	memcpy(job->id, col[0], STORE_JOB_ID_SIZE);
	for (size_t i = 0; i < 10; i++)
		if (s_str_col(col[1 + i], 0, strs[i], err) != 0)
			goto fail;
	if (s_time_col(col[11], &job->created_at, err) != 0 ||
	    s_time_col(col[12], &job->deadline, err) != 0 ||
	    s_str_col(col[14], 1, &job->owner, err) != 0 ||
	    s_time_col(col[15], &job->lease_until, err) != 0 ||
	    s_time_col(col[16], &job->delivered_at, err) != 0)
		goto fail;
	if (col[13] == NULL || si_parse_long(col[13], 0, INT_MAX, &uses) != 0) {
		si_err_set(err, SI_ERR_INTERNAL, "bad use count in the journal");
		goto fail;
	}
	job->uses = (int)uses;
	return 0;
fail:
	store_job_clear(job);
	return -1;
}

/* --- health --------------------------------------------------------------- */

enum store_health_status store_health(struct store *st, struct store_health *out)
{
	struct store_health h;

	memset(&h, 0, sizeof(h));
	if (st == NULL) {
		h.status = STORE_HEALTH_DEGRADED;
		snprintf(h.last_error, sizeof(h.last_error), "no state store");
	} else {
		pthread_mutex_lock(&st->health_lock);
		h.status = st->degraded ? STORE_HEALTH_DEGRADED : STORE_HEALTH_OK;
		h.failures = st->failures;
		memcpy(h.last_error, st->last_error, sizeof(h.last_error));
		pthread_mutex_unlock(&st->health_lock);
	}
	if (out != NULL)
		*out = h;
	return h.status;
}
