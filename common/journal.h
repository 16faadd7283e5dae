/*
 * journal.h - one worker process's side of the state store (store/store.h):
 * its own store handle (opened after fork: a SQLite or libpq connection is
 * never shared across fork), its owner id for leases, and the store's
 * health as the service reports it, logged once per change.
 *
 * Why a layer over store.h: the store reports each call's failure; the
 * service must keep answering live through any of them, say so once (not
 * once per request) and on /healthz, and reopen a store that could not be
 * opened at start (a missing directory, a database not up yet). Every
 * function here is safe with the store down: it returns "unavailable" and
 * the caller falls back (the in-memory replay cache, live answers).
 *
 * Threads: a struct journal is shared by all threads of one process.
 */
#ifndef SI_JOURNAL_H
#define SI_JOURNAL_H

#include <stddef.h>
#include <time.h>

#include "store/kept.h"
#include "store/store.h"
#include "util/err.h"

/* How long a worker's lease on a running search lasts. The pool renews it
 * every JOURNAL_TICK_MS, so five renewals may fail before another worker
 * takes the search; a worker that died without a supervisor to release
 * its jobs (the whole host gone) has them finished by another host after
 * at most this plus one tick. */
#define JOURNAL_LEASE_S 10

/* How often each worker renews its leases and looks for orphans: a dead
 * worker's searches (released by the supervisor) are taken within about
 * this. Jittered by +-25% so workers started together do not claim in
 * step. */
#define JOURNAL_TICK_MS 2000

/* Orphans one claim takes at most: a bounded transaction, and a worker
 * never takes more than its queue has room for. */
#define JOURNAL_CLAIM_BATCH 16

struct journal;

/*
 * Open the store for this process. started is the process's start time as
 * the supervisor recorded it (so the supervisor can name this owner when
 * it dies: store_owner_for). A store that cannot be opened is not an
 * error: the journal starts degraded, logs why once, and journal_tick
 * tries again. Returns NULL only for bad settings or no memory (err set).
 * The settings' strings are copied (the URL is wiped on free).
 */
struct journal *journal_new(const struct store_settings *s, time_t started,
			    struct si_err *err);

/* Close the store and free. NULL is fine. No thread may be using it. */
void journal_free(struct journal *j);

/* This process's owner id ("host:pid:started"). */
const char *journal_owner(const struct journal *j);

/* Replay check in the shared store: 0 with *seen set, or -1 when the
 * store is unavailable (the caller relies on its in-memory cache). */
int journal_replay(struct journal *j, const char *signature, time_t expires_at, time_t now,
		   enum store_replay *seen);

/* Write job (owned by this process, leased for JOURNAL_LEASE_S from now)
 * before it is acknowledged. job->owner, lease_until and created_at are
 * set here. Returns 0 with id filled, or -1 (id "") when the store is
 * unavailable: the search then runs unjournaled. */
int journal_add(struct journal *j, struct store_job *job, char id[STORE_JOB_ID_SIZE]);

enum journal_use {
	JOURNAL_USE_OK = 0,   /* counted: post */
	JOURNAL_USE_SPENT,    /* Slack's 5 uses are gone: do not post */
	JOURNAL_USE_UNKNOWN   /* store unavailable: post anyway (live) */
};

/* Count one response_url post of job id, before posting. */
enum journal_use journal_use(struct journal *j, const char *id);

/* Slack accepted the job's final message (or it was answered inline, or
 * Slack refused it for good): never claim it again. Best effort. */
void journal_delivered(struct journal *j, const char *id);

/* Renew this process's lease on id. 0 renewed, 1 the job is no longer
 * ours (another worker claimed it after our lease ran out: do not post),
 * -1 store unavailable (keep going). */
int journal_renew(struct journal *j, const char *id);

/* Give id back at once (a stop hands it to another worker): its lease
 * ends now. 0, or -1 when the store is unavailable (the lease then runs
 * out by itself, or the supervisor releases the owner). */
int journal_hand_back(struct journal *j, const char *id);

/* Claim up to max orphans for this process (store_journal_claim_orphans,
 * leased for JOURNAL_LEASE_S). 0 with *out and *n (free with
 * store_jobs_free), or -1 when the store is unavailable. */
int journal_claim(struct journal *j, size_t max, struct store_job **out, size_t *n);

/* Keep k for the reply's buttons (kept_put: k->id set by kept_new_id; its
 * created_at and expires_at are set here). journal_tick prunes expired
 * results. 0, or -1 when the store is unavailable or refused k (a text
 * over KEPT_JSON_MAX: logged once here): the reply then has no buttons. */
int journal_keep(struct journal *j, struct kept_result *k, time_t now);

/* Load the result id kept at now into *out (free with kept_result_free;
 * out is always safe to free). 0 found, 1 absent or expired (or id not
 * a kept id), -1 store unavailable (or j NULL). */
int journal_kept(struct journal *j, const char *id, time_t now, struct kept_result *out);

/* Periodic upkeep (the pool's journal thread, every JOURNAL_TICK_MS):
 * reopen a store that could not be opened, prune old rows (journal,
 * replay, expired kept results) now and then, log a health change. */
void journal_tick(struct journal *j);

/* The store's health, logged once per change (ok -> degraded -> ok). With
 * reason (size n) filled when degraded. NULL j: STORE_HEALTH_OK (no
 * journal configured is not a failure). */
enum store_health_status journal_health(struct journal *j, char *reason, size_t n);

/* Into *n, how many acknowledged searches the store still owes an answer
 * (store_journal_pending at the wall clock). A store not open yet is
 * tried first. -1 with err when it still cannot be opened or the count
 * fails; NULL j is an error too (no journal, no backlog to speak of: the
 * caller shows none). */
int journal_pending(struct journal *j, size_t *n, struct si_err *err);

/* "sqlite", "postgresql" or "none" (not open). */
const char *journal_backend(struct journal *j);

#endif
