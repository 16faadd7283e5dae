#include "journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/logfmt.h"
#include "util/strutil.h"

/* Prune delivered journal rows, expired replay rows and expired kept
 * results every this many ticks (about a minute): each prune is one
 * bounded DELETE, and the rows only cost disk, so once a minute keeps the
 * tables small for nothing. */
#define JOURNAL_PRUNE_TICKS 30

/* Logged health: not yet logged, ok, degraded. */
enum { S_LOGGED_NONE = -1, S_LOGGED_OK = 0, S_LOGGED_DEGRADED = 1 };

struct journal {
	_Atomic(struct store *) st;   /* NULL until opened; then fixed */
	pthread_mutex_t open_lock;    /* reopen attempts and open_error */
	char *path;                   /* copies of the settings, for reopen */
	char *url;                    /* secret: wiped on free */
	long busy_timeout_ms;
	char open_error[SI_ERR_MSG_MAX];
	char owner[STORE_OWNER_MAX];
	atomic_int logged;
	unsigned long ticks;          /* journal thread only */
};

/* Log a health change once: a store going away (or never coming up) is
 * one error line with the reason, its return one info line. The URL is
 * never logged (it may hold a password); the path is. */
static void s_log_health(struct journal *j, enum store_health_status h, const char *reason)
{
	struct logfmt l;
	int want = h == STORE_HEALTH_OK ? S_LOGGED_OK : S_LOGGED_DEGRADED;
	int was = atomic_load(&j->logged);

	if (was == want || !atomic_compare_exchange_strong(&j->logged, &was, want))
		return;
	if (was == S_LOGGED_NONE && want == S_LOGGED_OK)
		return; /* opening is logged by journal_new */
	logfmt_begin(&l, want == S_LOGGED_OK ? "info" : "error");
	logfmt_str(&l, "msg", want == S_LOGGED_OK
				      ? "state store ok again"
				      : "state store degraded: answering live without it");
	logfmt_str(&l, "backend", journal_backend(j));
	if (want != S_LOGGED_OK)
		logfmt_str(&l, "reason", reason);
	logfmt_emit(&l, stderr);
}

static struct store *s_store(struct journal *j)
{
	return atomic_load(&j->st);
}

enum store_health_status journal_health(struct journal *j, char *reason, size_t n)
{
	struct store_health h;
	struct store *st;

	if (reason != NULL && n > 0)
		reason[0] = '\0';
	if (j == NULL)
		return STORE_HEALTH_OK;
	st = s_store(j);
	if (st == NULL) {
		pthread_mutex_lock(&j->open_lock);
		snprintf(h.last_error, sizeof(h.last_error), "%s", j->open_error);
		pthread_mutex_unlock(&j->open_lock);
		h.status = STORE_HEALTH_DEGRADED;
	} else {
		store_health(st, &h);
	}
	s_log_health(j, h.status, h.last_error);
	if (h.status != STORE_HEALTH_OK && reason != NULL && n > 0)
		snprintf(reason, n, "%s", h.last_error);
	return h.status;
}

/* After a store call: a changed health is logged now, by the call that
 * saw it, not at the next tick. */
static void s_note(struct journal *j)
{
	(void)journal_health(j, NULL, 0);
}

/* One open attempt; the winner publishes the store. */
static void s_try_open(struct journal *j)
{
	struct store_settings s = {
		.path = j->path, .url = j->url, .busy_timeout_ms = j->busy_timeout_ms
	};
	struct store *st;
	struct si_err err;
	struct logfmt l;

	pthread_mutex_lock(&j->open_lock);
	if (s_store(j) != NULL) {
		pthread_mutex_unlock(&j->open_lock);
		return;
	}
	st = store_open(&s, &err);
	if (st == NULL)
		snprintf(j->open_error, sizeof(j->open_error), "%s", err.msg);
	else
		atomic_store(&j->st, st);
	pthread_mutex_unlock(&j->open_lock);
	if (st == NULL)
		return;
	logfmt_begin(&l, "info");
	logfmt_str(&l, "msg", "state store open");
	logfmt_str(&l, "backend", store_backend_name(st));
	if (j->url == NULL)
		logfmt_str(&l, "path", j->path != NULL ? j->path : STORE_DEFAULT_PATH);
	logfmt_str(&l, "owner", j->owner);
	logfmt_emit(&l, stderr);
}

/* A store not open yet (locked at start, a database down) is tried now, as
 * the tick would: a scrape may reach a worker that has not searched. */
int journal_pending(struct journal *j, size_t *n, struct si_err *err)
{
	struct store *st;
	int rc;

	if (n != NULL)
		*n = 0;
	if (j == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no journal");
	if (s_store(j) == NULL)
		s_try_open(j);
	st = s_store(j);
	if (st == NULL)
		return si_err_set(err, SI_ERR_IO, "no state store open");
	rc = store_journal_pending(st, time(NULL), n, err);
	s_note(j);
	return rc;
}

struct journal *journal_new(const struct store_settings *s, time_t started,
			    struct si_err *err)
{
	struct journal *j;

	if (s == NULL) {
		si_err_set(err, SI_ERR_INVALID, "no state store settings");
		return NULL;
	}
	j = si_zalloc(sizeof(*j), err);
	if (j == NULL)
		return NULL;
	pthread_mutex_init(&j->open_lock, NULL);
	atomic_init(&j->st, NULL);
	atomic_init(&j->logged, S_LOGGED_NONE);
	j->busy_timeout_ms = s->busy_timeout_ms;
	j->path = si_strdup_opt(s->path != NULL && s->path[0] ? s->path : NULL);
	j->url = si_strdup_opt(s->url != NULL && s->url[0] ? s->url : NULL);
	if ((s->path != NULL && s->path[0] && j->path == NULL) ||
	    (s->url != NULL && s->url[0] && j->url == NULL)) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		journal_free(j);
		return NULL;
	}
	if (store_owner_make(j->owner, started, err) != 0) {
		journal_free(j);
		return NULL;
	}
	s_try_open(j);
	s_note(j);
	return j;
}

void journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	store_close(s_store(j));
	free(j->path);
	si_secret_free(j->url);
	pthread_mutex_destroy(&j->open_lock);
	free(j);
}

const char *journal_owner(const struct journal *j)
{
	return j->owner;
}

const char *journal_backend(struct journal *j)
{
	struct store *st = j != NULL ? s_store(j) : NULL;

	return st != NULL ? store_backend_name(st) : "none";
}

int journal_replay(struct journal *j, const char *signature, time_t expires_at, time_t now,
		   enum store_replay *seen)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	int rc;

	if (st == NULL)
		return -1;
	rc = store_replay_claim(st, signature, expires_at, now, seen, NULL);
	s_note(j);
	return rc;
}

/* A write the store refused for what was written, not for its own fault
 * (a field too long, not UTF-8): health does not show it, so say so once
 * per refusal; the caller goes on without the row (a search runs
 * unjournaled, a reply goes out without buttons). Database failures are
 * logged by the health change instead. */
static void s_log_refused(const char *what, const struct si_err *err)
{
	struct logfmt l;

	if (err->code != SI_ERR_INVALID && err->code != SI_ERR_LIMIT)
		return;
	logfmt_begin(&l, "warn");
	logfmt_str(&l, "msg", what);
	logfmt_str(&l, "error", err->msg);
	logfmt_emit(&l, stderr);
}

int journal_add(struct journal *j, struct store_job *job, char id[STORE_JOB_ID_SIZE])
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	time_t now = time(NULL);
	struct si_err err;
	int rc;

	id[0] = '\0';
	if (st == NULL)
		return -1;
	job->owner = j->owner;
	job->created_at = now;
	job->lease_until = now + JOURNAL_LEASE_S;
	rc = store_journal_add(st, job, id, &err);
	s_note(j);
	if (rc != 0)
		s_log_refused("search not journaled", &err);
	return rc;
}

enum journal_use journal_use(struct journal *j, const char *id)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	struct si_err err;
	int rc;

	if (st == NULL || id == NULL || id[0] == '\0')
		return JOURNAL_USE_UNKNOWN;
	rc = store_journal_use(st, id, NULL, &err);
	s_note(j);
	if (rc == 0)
		return JOURNAL_USE_OK;
	return err.code == SI_ERR_LIMIT ? JOURNAL_USE_SPENT : JOURNAL_USE_UNKNOWN;
}

void journal_delivered(struct journal *j, const char *id)
{
	struct store *st = j != NULL ? s_store(j) : NULL;

	if (st == NULL || id == NULL || id[0] == '\0')
		return;
	(void)store_journal_delivered(st, id, time(NULL), NULL);
	s_note(j);
}

int journal_renew(struct journal *j, const char *id)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	struct si_err err;
	int rc;

	if (st == NULL)
		return -1;
	rc = store_journal_lease(st, id, j->owner, time(NULL) + JOURNAL_LEASE_S, &err);
	s_note(j);
	if (rc == 0)
		return 0;
	return err.code == SI_ERR_NOTFOUND ? 1 : -1;
}

int journal_hand_back(struct journal *j, const char *id)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	int rc;

	if (st == NULL)
		return -1;
	/* A claim takes rows whose lease_until <= now: ending the lease now
	 * makes the job claimable at once, and only if it is still ours. */
	rc = store_journal_lease(st, id, j->owner, time(NULL), NULL);
	s_note(j);
	return rc;
}

int journal_claim(struct journal *j, size_t max, struct store_job **out, size_t *n)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (st == NULL || max == 0)
		return -1;
	if (max > JOURNAL_CLAIM_BATCH)
		max = JOURNAL_CLAIM_BATCH;
	rc = store_journal_claim_orphans(st, j->owner, time(NULL), JOURNAL_LEASE_S, max, out, n,
					 NULL);
	s_note(j);
	return rc;
}

int journal_keep(struct journal *j, struct kept_result *k, time_t now)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	struct si_err err;
	int rc;

	if (st == NULL || k == NULL)
		return -1;
	rc = kept_put(st, k, now, &err);
	s_note(j);
	if (rc != 0)
		s_log_refused("result not kept for buttons", &err);
	return rc;
}

int journal_kept(struct journal *j, const char *id, time_t now, struct kept_result *out)
{
	struct store *st = j != NULL ? s_store(j) : NULL;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (st == NULL || out == NULL)
		return -1;
	rc = kept_get(st, id, now, out, NULL);
	s_note(j);
	return rc;
}

void journal_tick(struct journal *j)
{
	struct store *st;
	time_t now = time(NULL);

	if (j == NULL)
		return;
	if (s_store(j) == NULL)
		s_try_open(j);
	st = s_store(j);
	if (st != NULL && ++j->ticks % JOURNAL_PRUNE_TICKS == 0) {
		(void)store_journal_prune(st, now, NULL, NULL);
		(void)store_replay_prune(st, now, NULL, NULL);
		(void)kept_prune(st, now, NULL, NULL);
	}
	s_note(j);
}
