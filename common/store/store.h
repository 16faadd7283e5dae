/*
 * store.h - the durable state store: the replay cache and the search
 * journal, kept in SQLite (one file, the default) or PostgreSQL (several
 * hosts), so that neither a restart nor a second worker forgets them.
 *
 * Why a journal: Slack wants an answer within 3 s; a search that takes
 * longer is acknowledged at once and finished through its response_url,
 * which stays valid for 30 minutes and at most 5 posts. A worker that dies
 * between the acknowledgement and the final post would lose that answer.
 * So the search is written here BEFORE it is acknowledged, leased by the
 * worker running it, and marked delivered when Slack accepted the final
 * message; any live worker claims a search whose lease ran out (or whose
 * owner is known to be gone) and finishes it. Claims are atomic across
 * threads, processes and hosts: each orphan is claimed by exactly one.
 *
 * Failure model: every function returns 0 or -1 with err filled, never
 * aborts, and records the failure for store_health(). A store that fails
 * (disk full, database gone) must not stop the service: the caller keeps
 * answering live and reports "degraded" on /healthz.
 *
 * Threads: a struct store may be shared by all threads of a process; each
 * backend serialises its one connection with a mutex (see sqlite.c,
 * pg.c). Processes and hosts coordinate through the database itself.
 *
 * Times are Unix seconds passed in by the caller (STYLE.md habit 8), so
 * tests pin them and every worker decides by the same clock source.
 */
#ifndef SI_STORE_STORE_H
#define SI_STORE_STORE_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* Where the SQLite file lives unless [state] path= says otherwise: the
 * directory systemd's StateDirectory=slash-infra creates for the unit. */
#define STORE_DEFAULT_PATH "/var/lib/slash-infra/state.db"

/* How long an SQLite writer waits for another process's write lock. A
 * write holds it for well under a millisecond, so 2 s means something is
 * wrong; it stays under Slack's 3 s so a stuck lock cannot eat the ack. */
#define STORE_BUSY_TIMEOUT_MS_DEFAULT 2000
#define STORE_BUSY_TIMEOUT_MS_MAX 60000

/* The schema version this code writes and understands. A database with a
 * higher version (a newer slash-infra migrated it) is refused at open:
 * writing rows an unknown schema does not expect could corrupt them. */
#define STORE_SCHEMA_VERSION 4

/* Slack's rules for a response_url: valid 30 minutes, at most 5 posts
 * (api.slack.com/interactivity/handling#message_responses). */
#define STORE_RESPONSE_URL_VALIDITY_S 1800
#define STORE_RESPONSE_URL_USES_MAX 5

/* Delivered or expired journal rows are kept this long (for an operator
 * asking "did my search run?") before store_journal_prune drops them. */
#define STORE_JOURNAL_RETENTION_S 86400

/* Rows one prune call deletes at most, so one call is a short write that
 * never holds the lock long, whatever the backlog. */
#define STORE_PRUNE_BATCH 1000

/* Longest replay signature accepted: Slack's "v0=" + 64 hex is 67; the
 * bound keeps a hostile header from becoming a large row. */
#define STORE_SIGNATURE_MAX 256

/* Longest single text field of a journal job. Slack caps a command's text
 * at 4,000 characters (16 KB of UTF-8 at worst) and a response_url is far
 * shorter; the serialized account list is the largest field. */
#define STORE_FIELD_MAX 65536

/* Longest owner id ("host:pid:start-time"), NUL included. */
#define STORE_OWNER_MAX 256

/* A job id: 128 random bits as 32 lower-case hex digits (and a NUL). */
#define STORE_JOB_ID_LEN 32
#define STORE_JOB_ID_SIZE (STORE_JOB_ID_LEN + 1)

/* Most jobs one claim may take, so one claim is a bounded transaction. */
#define STORE_CLAIM_MAX 100

struct store;

/* [state] from the configuration. Exactly one of path and url is used:
 * url (a libpq conninfo string or postgresql:// URI) selects PostgreSQL;
 * otherwise path (NULL or "" means STORE_DEFAULT_PATH) selects SQLite.
 * Setting both is refused. busy_timeout_ms 0 means the default. The
 * strings are only read during store_open. */
struct store_settings {
	const char *path;
	const char *url;
	long busy_timeout_ms;
};

/*
 * Open (and create, for SQLite) the store and bring its schema to
 * STORE_SCHEMA_VERSION in one transaction. Returns NULL with err set when
 * the settings are invalid, the SQLite path is not a regular file (a FIFO,
 * a directory, a device) or cannot be created, the server cannot be
 * reached, or the schema is newer than STORE_SCHEMA_VERSION. The caller
 * frees the store with store_close(). The error text never contains the
 * URL (it may hold a password).
 */
struct store *store_open(const struct store_settings *s, struct si_err *err);

/* Close the connection and free the store. NULL is allowed. No thread may
 * be using the store. */
void store_close(struct store *st);

/* "sqlite" or "postgresql" (static text). */
const char *store_backend_name(const struct store *st);

/* --- replay cache --------------------------------------------------------- */

enum store_replay {
	STORE_REPLAY_NEW = 0, /* first sighting (or the old row had expired) */
	STORE_REPLAY_SEEN     /* an unexpired row exists: refuse the request */
};

/*
 * Remember signature until expires_at, atomically, and say whether it was
 * new. A row counts as unexpired while now <= its expires_at (inclusive,
 * like the signature verifier's skew check); an expired row is replaced.
 * Concurrent claims of one signature, from any thread, process or host,
 * yield exactly one STORE_REPLAY_NEW. Every STORE_PRUNE_EVERY calls also
 * prune up to STORE_PRUNE_BATCH expired rows.
 */
int store_replay_claim(struct store *st, const char *signature, time_t expires_at,
		       time_t now, enum store_replay *status, struct si_err *err);

/* A claim prunes every this many calls per store handle: often enough that
 * the table stays near one window of signatures, rarely enough to cost
 * nothing measurable. */
#define STORE_PRUNE_EVERY 256

/* Delete up to STORE_PRUNE_BATCH replay rows with expires_at < now; the
 * number deleted goes to *deleted (may be NULL). */
int store_replay_prune(struct store *st, time_t now, size_t *deleted, struct si_err *err);

/* --- search journal ------------------------------------------------------- */

/*
 * One acknowledged search. On store_journal_add the strings are the
 * caller's and only read (NULL counts as ""); accounts is the caller's
 * serialization of the allowed accounts, opaque to the store. Jobs the
 * store returns (store_journal_get, store_journal_claim_orphans) own every
 * string: malloc'd copies freed by store_job_free / store_jobs_free.
 */
struct store_job {
	char id[STORE_JOB_ID_SIZE]; /* set by the store */
	const char *response_url;   /* required, non-empty */
	const char *text;           /* the user's text */
	const char *response_type;  /* "ephemeral" or "in_channel" */
	const char *team_id, *team_name;
	const char *user_id, *user_name;
	const char *channel_id, *channel_name;
	const char *accounts;
	time_t created_at;
	time_t deadline;      /* add: 0 means created_at + 30 min */
	int uses;             /* response_url posts counted so far */
	const char *owner;    /* worker running it; NULL: nobody */
	time_t lease_until;   /* owner's lease; after it the job is an orphan */
	time_t delivered_at;  /* 0 until delivered */
};

/*
 * Write job before acknowledging it. Set owner and lease_until to the
 * adding worker and a lease a little longer than the search may take, so
 * no other worker claims it while it runs; add with owner NULL to hand it
 * straight to whichever worker claims next. uses starts at 0. The new id is
 * written to id_out. Fails (SI_ERR_INVALID) on a missing response_url,
 * text that is not UTF-8, or a field over STORE_FIELD_MAX.
 */
int store_journal_add(struct store *st, const struct store_job *job,
		      char id_out[STORE_JOB_ID_SIZE], struct si_err *err);

/* Write this process's owner id, "host:pid:started" (started: when the
 * process began, Unix seconds), to out[STORE_OWNER_MAX]. A restarted
 * process, even one given the same pid, is a different owner, so it never
 * renews a lease its predecessor held. Fails (SI_ERR_LIMIT) only when the
 * id does not fit. */
int store_owner_make(char out[STORE_OWNER_MAX], time_t started, struct si_err *err);

/* The same id for another process of this host: what a supervisor that
 * forked worker pid at started computes to release the dead worker's
 * leases (store_journal_release). */
int store_owner_for(char out[STORE_OWNER_MAX], long pid, time_t started,
		    struct si_err *err);

/* Renew the lease of job id held by owner until lease_until. Fails with
 * SI_ERR_NOTFOUND when the job is gone, delivered, or owned by someone
 * else (another worker claimed it: stop working on it). */
int store_journal_lease(struct store *st, const char *id, const char *owner,
			time_t lease_until, struct si_err *err);

/* Count one post to the job's response_url, BEFORE posting. *uses (may be
 * NULL) receives the new count. Fails with SI_ERR_LIMIT when
 * STORE_RESPONSE_URL_USES_MAX posts were already counted (Slack would
 * refuse a sixth), SI_ERR_NOTFOUND when there is no such job. */
int store_journal_use(struct store *st, const char *id, int *uses, struct si_err *err);

/* Mark the job delivered at now (Slack accepted its final message): it is
 * never claimed again. Marking a delivered job again succeeds and keeps the
 * first time. SI_ERR_NOTFOUND when there is no such job. */
int store_journal_delivered(struct store *st, const char *id, time_t now,
			    struct si_err *err);

/* Forget owner's leases on its undelivered jobs (the supervisor saw the
 * worker die, or the worker stops and hands its searches on), so the next
 * claim takes them without waiting for the leases to run out. *released
 * (may be NULL) receives the count. */
int store_journal_release(struct store *st, const char *owner, size_t *released,
			  struct si_err *err);

/*
 * Atomically take up to max (<= STORE_CLAIM_MAX) orphans: undelivered
 * jobs whose lease_until <= now, whose deadline is still ahead (now <
 * deadline) and whose response_url has a use left; each becomes owner's
 * until now + lease_s. Oldest first. Exactly-once: concurrent claimers,
 * in any thread, process or host, never take the same job (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: FOR UPDATE SKIP LOCKED).
 *
 * On success *out is a malloc'd array of *n jobs (NULL when *n is 0) that
 * the caller frees with store_jobs_free(*out, *n).
 */
int store_journal_claim_orphans(struct store *st, const char *owner, time_t now,
				long lease_s, size_t max, struct store_job **out, size_t *n,
				struct si_err *err);

/* Read job id into *out (malloc'd, freed with store_job_free).
 * SI_ERR_NOTFOUND when there is no such job. */
int store_journal_get(struct store *st, const char *id, struct store_job **out,
		      struct si_err *err);

/* Delete up to STORE_PRUNE_BATCH jobs delivered, or past their deadline,
 * more than STORE_JOURNAL_RETENTION_S before now. *deleted may be NULL. */
int store_journal_prune(struct store *st, time_t now, size_t *deleted, struct si_err *err);

/* How many jobs are owed an answer at now: undelivered, deadline ahead
 * (what /metrics calls the journal's backlog: searches acknowledged to a
 * user and not yet answered, on every host sharing the store). */
int store_journal_pending(struct store *st, time_t now, size_t *n, struct si_err *err);

/* Free one job returned by store_journal_get, strings included. NULL is
 * allowed. */
void store_job_free(struct store_job *job);

/* Free an array of n jobs returned by store_journal_claim_orphans. NULL is
 * allowed. */
void store_jobs_free(struct store_job *jobs, size_t n);

/* --- health --------------------------------------------------------------- */

enum store_health_status {
	STORE_HEALTH_OK = 0,
	STORE_HEALTH_DEGRADED /* the last database call failed, or no store */
};

struct store_health {
	enum store_health_status status;
	unsigned long failures;        /* database failures since open */
	char last_error[SI_ERR_MSG_MAX]; /* text of the latest one, or "" */
};

/*
 * Degraded while the most recent database call failed for a database
 * reason (I/O, disk full, server gone, timeout); a success clears it.
 * Caller mistakes (an unknown id, a sixth use) do not count. A NULL st is
 * degraded ("no state store"). out may be NULL. Thread-safe.
 */
enum store_health_status store_health(struct store *st, struct store_health *out);

#endif
