/*
 * replay.h - refuse a signed Slack request seen before, but recognise
 * Slack's own retries.
 *
 * slack_sig.h proves a request was signed by Slack within the last
 * SLACK_SIG_MAX_SKEW seconds, but not that it is the first time we see it:
 * anyone who captured one (a proxy log, a misrouted copy) could send it
 * again inside that window and start a second search. This cache remembers
 * each X-Slack-Signature it accepted for window_s seconds and refuses the
 * same signature a second time.
 *
 * Slack itself re-sends a request it thinks failed, adding the header
 * X-Slack-Retry-Num (1, 2, 3) to an otherwise identical request. Such a
 * retry is not an attack: the caller answers 200 and does nothing more, as
 * the first copy is already being handled. The retry header is NOT covered
 * by the signature, so anyone replaying a captured request can add it;
 * that is harmless only because REPLAY_RETRY never starts any work.
 *
 * Call replay_check() only AFTER slack_sig_verify() accepted the request:
 * the table's hash is the signature itself, which is well distributed only
 * when it is a real HMAC under our secret (see replay.c).
 *
 * Choosing window_s: the verifier accepts a timestamp up to
 * SLACK_SIG_MAX_SKEW seconds away from our clock in EITHER direction, so
 * one signature can verify for up to 2 * SLACK_SIG_MAX_SKEW seconds of our
 * time. A window of SLACK_SIG_MAX_SKEW closes replays completely when our
 * clock and Slack's agree; 2 * SLACK_SIG_MAX_SKEW closes them whatever the
 * skew, at twice the memory.
 *
 * Memory is fixed when the cache is created and never grows.
 */
#ifndef SI_REPLAY_H
#define SI_REPLAY_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* Largest capacity accepted: a million signatures in one window is 3,000
 * slash commands a second for five minutes, far beyond any workspace, and
 * keeps the table (2^21 slots of 48 bytes) near 100 MiB at worst. */
#define REPLAY_CAPACITY_MAX ((size_t)1 << 20)

/* Longest window accepted, one day: far beyond any signature's life. */
#define REPLAY_WINDOW_MAX 86400

enum replay_status {
	REPLAY_NEW = 0,  /* first sighting: handle the request */
	REPLAY_DUPLICATE,/* seen within the window, not a retry: refuse
			    (401 "replayed") */
	REPLAY_RETRY,    /* seen within the window and marked as Slack's
			    retry: answer 200 and start nothing */
	REPLAY_FULL,     /* first sighting, handle it like REPLAY_NEW; but to
			    remember it an unexpired signature had to be
			    forgotten (log a warning: capacity is too small) */
	REPLAY_INVALID   /* NULL cache or a signature that is not "v0=" + 64
			    lower-case hex: refuse (slack_sig.h would have) */
};

struct replay_cache;

/* Counters for logs and tests. */
struct replay_stats {
	size_t slots;      /* table size, fixed at creation */
	size_t live;       /* unexpired entries at the time asked */
	size_t evictions;  /* unexpired entries forgotten (REPLAY_FULL) */
};

/*
 * Create a cache sized for capacity signatures per window_s seconds
 * (1..REPLAY_CAPACITY_MAX, 1..REPLAY_WINDOW_MAX). A slash command every
 * second for five minutes is 300 entries; 100,000 is generous. The table
 * holds the next power of two >= 2 * capacity slots, allocated here once.
 * Returns NULL with err set (SI_ERR_INVALID, SI_ERR_LIMIT, SI_ERR_NOMEM);
 * the caller frees the cache with replay_cache_free().
 */
struct replay_cache *replay_cache_new(size_t capacity, int window_s,
				      struct si_err *err);

/* Free the cache. NULL is allowed. No thread may be using it. */
void replay_cache_free(struct replay_cache *c);

/*
 * Decide about one request and remember its signature. signature_hdr is
 * the X-Slack-Signature value as received ("v0=" + 64 lower-case hex).
 * is_retry is non-zero when the request carries X-Slack-Retry-Num. now is
 * the caller's clock in Unix seconds.
 *
 * A signature first seen at t is remembered while now - t <= window_s
 * (inclusive, like the verifier's skew check) and forgotten after. A retry
 * of a signature we never saw (e.g. sent before a restart) is REPLAY_NEW.
 * Retries do not extend the entry: its life is tied to the first sighting,
 * since the signed timestamp does not change either.
 *
 * Thread-safe: concurrent calls with one signature yield exactly one
 * REPLAY_NEW (or REPLAY_FULL).
 */
enum replay_status replay_check(struct replay_cache *c,
				const char *signature_hdr, int is_retry,
				time_t now);

/* Fill *out (live counted against now). Thread-safe. */
void replay_cache_stats(struct replay_cache *c, time_t now,
			struct replay_stats *out);

/* A short static name for a status: "new", "duplicate", "retry", "full",
 * "invalid". */
const char *replay_status_name(enum replay_status s);

#endif
