/*
 * search_pool.h - search jobs on a fixed pool of threads, fed by a bounded
 * queue, each answered exactly once: inline or through response_url.
 *
 * A FastCGI thread submits a job and waits up to the inline budget. If the
 * job finishes in time the HTTP response carries the answer. Otherwise the
 * job is marked deferred (under the job's lock, so the decision is made
 * exactly once): the HTTP response acknowledges, the FastCGI thread posts
 * the "Searching..." notice, and the pool thread posts the final answer to
 * response_url after that notice. A full queue is refused at submit time.
 *
 * With a journal, a finished search with matches is kept in the state store
 * (store/kept.h) before its answer is rendered, and the answer carries the
 * buttons ("Show all", "Share in channel", "Refresh") naming it. A deferred
 * answer Slack refuses (a 4xx other than "the URL is gone") is followed by
 * one minimal message (render_fallback), so the asker always gets exactly
 * one final answer.
 *
 * The pool's notice threads also post a button press's messages
 * (search_pool_queue_posts), so no request thread waits on Slack.
 */
#ifndef SI_SEARCH_POOL_H
#define SI_SEARCH_POOL_H

#include <stddef.h>

#include "util/err.h"
#include "search/query.h"
#include "audit.h"
#include "render.h"
#include "search/engine.h"

struct search_pool;
struct search_job;
struct journal;

/* What a job needs; copied at submit time (nothing is borrowed after). */
struct search_job_params {
	const struct query *query;
	const char *text;             /* the user's text */
	const char *response_url;     /* already checked against the prefixes */
	enum render_response_type response_type;
	/* Accounts this request may search (per-account channel rules); NULL
	 * with n_allowed 0 means every account. */
	const char *const *allowed_accounts;
	size_t n_allowed;
	int restrict_accounts;        /* 1: only allowed_accounts, even if none */
	struct audit_who who;         /* for the audit line; team, channel and user
	                                 are kept with the result (the buttons) */
	const struct render_links *links;  /* the struct is copied; its strings
	                                      must outlive the pool (the
	                                      config's); NULL: the pool's default
	                                      (search_pool_set_links) */
	int replace_original;         /* the answer replaces the pressed message
	                                 (Refresh) */
	int quiet;                    /* no "Searching..." notice (Refresh): the
	                                 caller never calls search_job_queue_notice
	                                 or search_job_post_pending, and the final
	                                 answer does not wait for one */
};

/* Start workers threads over engine (borrowed). queue_size bounds the jobs
 * waiting for a thread. */
struct search_pool *search_pool_new(struct search_engine *engine, int workers,
				    int queue_size, struct si_err *err);

/* Stop taking jobs, finish every queued and running one (each delivers its
 * final message) and post every queued list of messages
 * (search_pool_queue_posts), join the threads and free. NULL is fine. */
void search_pool_free(struct search_pool *pool);

/* A search that could not be answered before the process stopped: what
 * the durable journal needs to finish it elsewhere. Pointers are valid
 * during the hand-off call only. */
struct search_handoff {
	const char *text;                 /* the user's query */
	const char *response_url;         /* where the answer is owed */
	enum render_response_type response_type;
	const struct audit_who *who;
	int started;                      /* its AWS calls had begun */
	int deferred;                     /* acknowledged: answer via response_url */
	int notice_posted;                /* the "Searching..." notice went out */
	long long submitted_ms;           /* si_mono_ms() at submit */
	/* What the journal did with it: "handed back" (another worker takes
	 * it at once), "posting" (its final post was under way at the stop:
	 * left to its lease), "unavailable" (the store failed: the lease runs
	 * out, or the supervisor releases it), "none" (not journaled). */
	const char *journal;
};

/* The one hand-off point for unanswered searches at stop (today: log;
 * with the state store: write to its search journal). */
typedef void (*search_handoff_fn)(const struct search_handoff *h, void *arg);

/*
 * Journal the pool's searches (journal.h), so no acknowledged search is
 * lost with this process: each search is written at submit (before the
 * caller can acknowledge it), each response_url post is counted first, and
 * a search is marked delivered when it was answered inline or Slack
 * accepted its final message. A journal thread renews this process's
 * leases every JOURNAL_TICK_MS and claims orphans (other workers' searches
 * whose lease ran out or was released), running each as a deferred search
 * whose answer goes to its response_url once (with a "Searching..." notice
 * only when none was posted before). Call once, before the first submit;
 * journal is borrowed and must outlive the pool. Returns 0, or -1 with err
 * when the thread cannot start.
 */
int search_pool_set_journal(struct search_pool *pool, struct journal *journal,
			    struct si_err *err);

struct idx;

/* The links every job renders with when its params name none, and the
 * ones journaled searches claimed from other workers render with (the
 * journal does not carry them): the config's [links]. The struct is
 * copied; its strings must outlive the pool. NULL (the default): plain
 * console links. Call once, before the first submit. */
void search_pool_set_links(struct search_pool *pool, const struct render_links *links);

/* Ask the inventory (index.h) before every live search, this pool's and
 * the journal's claimed ones alike. The pool takes ix (NULL: none) and
 * frees it with itself, after its threads stopped. Call once, before the
 * first submit. */
void search_pool_set_index(struct search_pool *pool, struct idx *ix);

/* Stop taking jobs and lists of messages, and wait until every submitted
 * job is answered (inline, or its final message delivered) and every
 * queued list of messages is posted, or deadline_ms (the si_mono_ms clock)
 * passes. Each job still unanswered then is handed back to the journal
 * (if any: another worker finishes it), goes to handoff, once, and is
 * taken off the queue; it will post nothing more from this process. Each
 * list not started by then is dropped (logged result=dropped: lists are
 * not journaled), and a list being posted stops after its current post
 * (which gets a short grace past the deadline). Returns how many jobs
 * were handed off plus the lists still posting after that grace: 0 means
 * search_pool_free() returns at once; otherwise pool threads may still be
 * running and the caller must end the process without freeing (_exit). */
size_t search_pool_drain(struct search_pool *pool, long long deadline_ms,
			 search_handoff_fn handoff, void *arg);

/* Queue a job. Returns NULL with err->code SI_ERR_LIMIT when the queue is
 * full ("busy"), or another code on failure. The caller holds one reference
 * and must call search_job_release(). */
struct search_job *search_pool_submit(struct search_pool *pool,
				      const struct search_job_params *p,
				      struct si_err *err);

/* Wait up to timeout_ms. Returns 1 when the job finished in time: its
 * answer is then the caller's to send inline (search_job_render). Returns
 * 0 when it did not: the job is now deferred and will post its answer to
 * response_url; the caller must call search_job_post_pending() next. */
int search_job_wait_inline(struct search_job *job, int timeout_ms);

/* Render the finished job's answer as Slack JSON (malloc'd; caller frees). */
char *search_job_render(struct search_job *job, struct si_err *err);

/* Deferred jobs: post the "Searching N accounts in M regions..." notice to
 * response_url (blocking, with retries), then let the final answer go.
 * Call from the thread that got 0 from search_job_wait_inline(). */
void search_job_post_pending(struct search_job *job);

/* The same, done by one of the pool's notice threads: returns at once, so
 * a request thread never waits on Slack. Takes its own reference; the
 * caller still releases its own. */
void search_job_queue_notice(struct search_job *job);

/* Messages one list may hold: Slack accepts five posts to one response_url
 * (tests/data/shared/slack/LIMITS.md). */
#define SEARCH_POOL_POSTS_MAX 5

/*
 * Post a button press's messages, jsons[0..n-1] (1 <= n <=
 * SEARCH_POOL_POSTS_MAX, complete Slack message objects), to response_url
 * (already checked against the prefixes) on the pool's notice threads:
 * returns at once, so a request thread never waits on Slack. COPIES
 * response_url and the messages: the caller keeps (and frees) its own.
 *
 * One thread posts the list in order, each message with slack/post.h's
 * retries and timeouts; a post that still fails ends the list (the rest
 * are not posted). One log line per list: msg="response_url delivery"
 * kind=interactive posted=K posts=N result=delivered, failed (message
 * K+1 failed: its http_status and slack_error) or dropped (at a stop).
 * Notices go before lists on these threads. Not journaled: a list lost
 * with the process is posted by nobody.
 *
 * Bounded like the search queue: at most queue_size (search_pool_new)
 * lists wait for a thread. Returns 0 when queued; -1 with err->code
 * SI_ERR_LIMIT when the queue is full or the pool is stopping (nothing
 * will be posted: the caller decides what to do), SI_ERR_INVALID for n
 * out of range or a NULL argument, SI_ERR_NOMEM. At a stop,
 * search_pool_free posts every queued list; search_pool_drain posts them
 * within its deadline and drops the rest (see there).
 */
int search_pool_queue_posts(struct search_pool *pool, const char *response_url,
			    char *const *jsons, size_t n, struct si_err *err);

/* The same, posted on the calling thread (blocking: up to n posts, each
 * with retries and timeouts), for a caller that has no pool; jsons are
 * borrowed. Logged the same way. Returns how many Slack accepted (0 for a
 * NULL argument). */
size_t search_pool_send_posts(const char *response_url, char *const *jsons, size_t n);

/* Counts for the pending notice. */
void search_job_targets(const struct search_job *job, size_t *n_accounts, size_t *n_regions);

void search_job_release(struct search_job *job);

/* The job's journal id (STORE_JOB_ID_LEN hex digits), or "" when it is
 * not journaled. Valid while the caller holds its reference. */
const char *search_job_journal_id(const struct search_job *job);

/* Whether a submit would be taken now: 1 when the search queue has room
 * and the pool is not stopping, else 0 (a NULL pool: 1, nothing to
 * refuse). *queued and *queue_max (each may be NULL) get the queue's
 * depth and bound. For /readyz; the answer may change at once. */
int search_pool_accepting(struct search_pool *pool, size_t *queued, size_t *queue_max);

/* The engine the pool runs searches on (borrowed). */
struct search_engine *search_pool_engine(struct search_pool *pool);

#endif
