#include "search_pool.h"

#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "index.h"
#include "journal.h"
#include "util/logfmt.h"
#include "util/metrics.h"
#include "search/plan.h"
#include "slack/post.h"
#include "store/kept.h"
#include "util/clock.h"
#include "util/strutil.h"

/* How long a finished deferred job waits for its "Searching..." notice to
 * be posted before sending the answer anyway: the notice has its own
 * bounded retries (well under this), so this only guards against a bug. */
#define POOL_PENDING_WAIT_MS 20000
/* Threads posting "Searching..." notices for the request threads, so a
 * request thread never waits on Slack: a notice takes one POST (~0.1-0.3 s
 * to Slack), and 4 keep up with a burst of 100 deferred searches within a
 * few seconds while the searches themselves run. */
#define POOL_NOTICE_THREADS 4

/* At a stop, how long past the deadline a final post already under way
 * may take to finish: a post Slack may have accepted must be marked
 * delivered, or another worker would post the answer again. Within the
 * supervisor's kill grace (SUPERVISE_KILL_GRACE_MS, 2 s). */
#define POOL_POSTING_GRACE_MS 1000

/* The journal's accounts field (opaque to the store) carries the job's
 * options, space-separated words, so they survive a hand-over without a
 * schema change: the accounts ("only:" and the allowed aliases,
 * comma-separated; aliases are [a-z0-9_-], so neither a comma nor a space
 * occurs in one; no such word: every account) and the flags below. Rows
 * written before the flags existed ("" or "only:...") read the same. */
#define POOL_ACCOUNTS_ONLY "only:"
#define POOL_OPT_REPLACE "replace_original"
#define POOL_OPT_QUIET "quiet"
/* "rid:ID": the asking request's id (a token: no space), so the audit line
 * of a search finished by another worker joins the request line that
 * acknowledged it. A row without it (written before it existed) gets its
 * journal id instead. */
#define POOL_OPT_RID "rid:"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

/* A button press's messages for one response_url (search_pool_queue_posts):
 * owned copies, posted in order by one notice thread. */
struct s_posts {
	struct s_posts *next;     /* queue link, under the pool lock */
	char *url;
	char *json[SEARCH_POOL_POSTS_MAX];
	size_t n;
};

struct search_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	enum job_state state;
	int deferred;             /* the answer goes to response_url */
	int pending_done;         /* the notice was posted (or gave up) */
	struct search_pool *pool;
	struct search_job *next;  /* queue link, under the pool lock */
	struct search_job *nnext; /* notice queue link, under the pool lock */
	/* Unanswered jobs, under the pool lock (search_pool_drain). */
	struct search_job *aprev, *anext;

	struct query q;
	char *text;
	char *response_url;
	enum render_response_type rtype;
	char **allowed;
	size_t n_allowed;
	int restrict_accounts;
	struct audit_who who;     /* owned copies: s_who_copy, s_who_free */
	/* [links], copied (the strings are the config's, which outlive the
	 * pool); has_links 0: plain console links. */
	struct render_links links;
	int has_links;
	int replace_original;     /* the answer replaces the pressed message */
	int quiet;                /* no notice: the final waits for none */

	size_t n_accounts, n_regions;
	struct search_result result;
	int failed;
	char fail_msg[SI_ERR_MSG_MAX];
	long long submitted_ms;
	/* The kept result the answer's buttons name (s_keep), "" when none:
	 * written by the pool thread before the job is marked done. */
	char result_id[KEPT_ID_SIZE];
	/* The kept share message when it is also the answer (an in-channel
	 * answer that replaces nothing), so it is rendered once; owned, NULL
	 * otherwise. Written with result_id. */
	char *answer;

	/* The journal row, "" when not journaled (no journal, store down). */
	char jid[STORE_JOB_ID_SIZE];
	/* Under the job's lock: */
	int handed_off;           /* a stop gave it back: post nothing more */
	int lost;                 /* another worker holds its lease now */
	int posting;              /* its final post is under way */
};

struct search_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct search_engine *engine;   /* borrowed */
	struct search_job *head, *tail;
	size_t queued;
	size_t queue_max;
	int stopping;
	pthread_t *threads;
	int n_threads;
	/* Jobs submitted and not yet answered (inline or delivered): what a
	 * stop waits for and, past its budget, hands off. */
	struct search_job *active;
	size_t n_active;
	pthread_cond_t idle;      /* n_active reached 0; CLOCK_MONOTONIC */
	/* Notices to post (search_job_queue_notice), each holding a ref. */
	struct search_job *nhead, *ntail;
	pthread_cond_t ncond;
	pthread_t notice_threads[POOL_NOTICE_THREADS];
	int n_notice_threads;
	/* Lists of messages to post (search_pool_queue_posts), on the same
	 * threads: at most queue_max waiting; busy ones are being posted. */
	struct s_posts *phead, *ptail;
	size_t n_posts_queued, n_posts_busy;
	int posts_cut;            /* a drain's deadline passed: stop lists */
	/* The journal thread (search_pool_set_journal), woken on stop. */
	struct journal *journal;  /* borrowed; NULL: not journaled */
	struct render_links links;  /* copied; jobs without their own */
	int has_links;
	struct idx *index;        /* owned; NULL: live searches only */
	pthread_t jthread;
	int jthread_started;
	pthread_cond_t jcond;     /* CLOCK_MONOTONIC */
};


/* The job outlives the request, so it keeps its own copies of who asked;
 * the struct's pointers are const for audit_record_init's sake, hence the
 * casts when freeing. A failed copy leaves that field NULL, and the audit
 * line then lacks the key (as it would if Slack had not sent it). */
static void s_who_copy(struct audit_who *dst, const struct audit_who *src)
{
	dst->request_id = si_strdup_opt(src->request_id);
	dst->team_id = si_strdup_opt(src->team_id);
	dst->enterprise_id = si_strdup_opt(src->enterprise_id);
	dst->user_id = si_strdup_opt(src->user_id);
	dst->user_name = si_strdup_opt(src->user_name);
	dst->channel_id = si_strdup_opt(src->channel_id);
	dst->channel_name = si_strdup_opt(src->channel_name);
}

static void s_who_free(struct audit_who *w)
{
	free((char *)w->request_id);
	free((char *)w->team_id);
	free((char *)w->enterprise_id);
	free((char *)w->user_id);
	free((char *)w->user_name);
	free((char *)w->channel_id);
	free((char *)w->channel_name);
}

static void s_job_free(struct search_job *j)
{
	free(j->text);
	free(j->response_url);
	for (size_t i = 0; i < j->n_allowed; i++)
		free(j->allowed[i]);
	free(j->allowed);
	s_who_free(&j->who);
	search_result_free(&j->result);
	free(j->answer);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j);
}

void search_job_release(struct search_job *j)
{
	int last;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (last)
		s_job_free(j);
}

/* The job's answer is settled (it went inline, or its delivery ended):
 * it no longer holds up a stop. */
static void s_settle(struct search_pool *pool, struct search_job *j)
{
	pthread_mutex_lock(&pool->lock);
	if (j->aprev != NULL)
		j->aprev->anext = j->anext;
	else if (pool->active == j)
		pool->active = j->anext;
	if (j->anext != NULL)
		j->anext->aprev = j->aprev;
	j->aprev = j->anext = NULL;
	if (pool->n_active > 0)
		pool->n_active--;
	/* Every settle, not only the last: a stop also waits for the final
	 * posts under way (search_pool_drain). */
	pthread_cond_broadcast(&pool->idle);
	pthread_mutex_unlock(&pool->lock);
}

/* Narrow the query's account: modifiers to the accounts this request may
 * search. The caller (app) refuses requests left with no account. */
static void s_apply_allowed(struct search_job *j, struct plan *p)
{
	size_t n = 0;

	if (!j->restrict_accounts)
		return;
	if (p->spec.n_accounts == 0) {
		for (size_t i = 0; i < j->n_allowed && n < QUERY_MAX_MODIFIERS; i++)
			p->accounts[n++] = j->allowed[i];
	} else {
		for (size_t i = 0; i < p->spec.n_accounts; i++)
			for (size_t k = 0; k < j->n_allowed; k++)
				if (strcasecmp(p->accounts[i], j->allowed[k]) == 0)
					p->accounts[n++] = p->accounts[i];
	}
	p->spec.n_accounts = n;
}

static void s_plan(struct search_job *j, struct plan *p)
{
	plan_from_query(p, &j->q, j->text);
	s_apply_allowed(j, p);
}

static enum audit_outcome s_outcome(const struct search_job *j)
{
	const struct search_result *r = &j->result;

	if (j->failed)
		return AUDIT_OUTCOME_FAILED;
	if (r->n_failures > 0 && r->n_failures == r->n_targets)
		return AUDIT_OUTCOME_FAILED;
	if (r->n_failures > 0)
		return AUDIT_OUTCOME_PARTIAL;
	return r->n_matches > 0 ? AUDIT_OUTCOME_OK : AUDIT_OUTCOME_NOT_FOUND;
}

/* One audit line per search (and a line per failed target, audit.h): who,
 * where, what, how it went; reason
 * (static, may be NULL) says how a deferred answer ended when it was not
 * simply delivered ("fallback": Slack refused it, the minimal one went). */
static void s_audit(const struct search_job *j, enum audit_delivery delivery,
		    const char *reason)
{
	struct audit_record r;

	audit_record_init(&r, &j->who, j->text);
	r.reason = reason;
	r.targets = j->result.n_targets;
	r.accounts = j->result.n_accounts;
	r.matches = j->result.n_matches;
	r.failures = j->result.n_failures;
	r.duration_ms = (long long)(j->result.elapsed_s * 1000.0);
	r.delivery = delivery;
	r.outcome = s_outcome(j);
	/* Which targets failed, before the line that counts them: written
	 * here because every search gets exactly one audit line. */
	(void)audit_failures_emit(j->who.request_id, &j->result, stderr);
	audit_emit(&r, stderr);
	metrics_search(audit_outcome_name(r.outcome), audit_delivery_name(delivery));
	for (size_t i = 0; i < j->result.n_failures; i++)
		metrics_target_failure(j->result.failures[i].account_alias);
}

/* The options every message of j renders with. */
static void s_render_opts(const struct search_job *j, struct render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->response_type = j->rtype;
	o->links = j->has_links ? &j->links : NULL;
	o->replace_original = j->replace_original;
	o->result_id = j->result_id[0] != '\0' ? j->result_id : NULL;
}

char *search_job_render(struct search_job *j, struct si_err *err)
{
	struct render_opts o;

	if (j->failed)
		return render_error(j->fail_msg, err);
	if (j->answer != NULL) {
		char *copy = strdup(j->answer);

		if (copy == NULL)
			si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return copy;
	}
	s_render_opts(j, &o);
	return render_result(&j->result, &o, err);
}

/* Copy a Slack id into a kept result's field; 0, or -1 when it does not
 * fit (a kept result with a cut id would refuse its own channel). */
static int s_kept_id(char *dst, size_t n, const char *src)
{
	int w = snprintf(dst, n, "%s", src != NULL ? src : "");

	return w >= 0 && (size_t)w < n ? 0 : -1;
}

/* Why the result is kept before the answer is rendered: the answer's
 * buttons name the kept result, and a press may reach any worker of any
 * host (the state store is what they share) within response_url's 30
 * minutes. Only a finished search with matches is kept, and only with a
 * journal: without a store, or when it fails, the answer simply has no
 * buttons (and says nothing about it: the matches are what was asked
 * for). Kept: the pages "Show all" posts (ephemeral, to the presser), the
 * in_channel message "Share" posts (with the same buttons), the text
 * "Refresh" runs again, and who asked where (a press from another channel
 * is refused). Runs on the pool thread, before the job is marked done, so
 * an inline answer sees result_id too; a claimed orphan takes the same
 * path. */
static void s_keep(struct search_pool *pool, struct search_job *j)
{
	struct kept_result k;
	struct render_opts o;
	struct si_err err;
	const char *why = NULL;

	if (pool->journal == NULL || j->failed || j->result.n_matches == 0)
		return;
	memset(&k, 0, sizeof(k));
	if (kept_new_id(k.id, &err) != 0) {
		why = err.msg;
		goto out;
	}
	if (s_kept_id(k.team_id, sizeof(k.team_id), j->who.team_id) != 0 ||
	    s_kept_id(k.channel_id, sizeof(k.channel_id), j->who.channel_id) != 0 ||
	    s_kept_id(k.user_id, sizeof(k.user_id), j->who.user_id) != 0) {
		why = "a Slack id is too long to keep";
		goto out;
	}
	k.ephemeral = j->rtype == RENDER_EPHEMERAL;
	k.n_matches = j->result.n_matches;
	k.query = strdup(j->text);
	memset(&o, 0, sizeof(o));
	o.response_type = RENDER_EPHEMERAL;
	o.links = j->has_links ? &j->links : NULL;
	k.pages_json = render_pages(&j->result, &o, &k.n_pages, &err);
	/* The message "Share in channel" posts: for everyone, with buttons;
	 * the answer's own options otherwise (s_render_opts), so an in-channel
	 * answer that replaces nothing is this very message. */
	s_render_opts(j, &o);
	o.response_type = RENDER_IN_CHANNEL;
	o.replace_original = 0;
	o.result_id = k.id;
	k.share_json = k.pages_json != NULL ? render_result(&j->result, &o, &err) : NULL;
	if (k.query == NULL || k.pages_json == NULL || k.share_json == NULL) {
		why = k.query == NULL ? "out of memory" : err.msg;
		goto out;
	}
	/* A store that fails is logged once by the journal (its health),
	 * not once per search. */
	if (journal_keep(pool->journal, &k, time(NULL)) != 0)
		goto out;
	memcpy(j->result_id, k.id, sizeof(j->result_id));
	if (j->rtype == RENDER_IN_CHANNEL && !j->replace_original) {
		j->answer = k.share_json;
		k.share_json = NULL;
	}
out:
	if (why != NULL) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "result not kept: answer without buttons");
		logfmt_str(&l, "error", why);
		logfmt_emit(&l, stderr);
	}
	kept_result_free(&k);
}

/* Before a final post: wait for the "Searching..." notice (Slack shows
 * messages in arrival order, so the answer must not overtake it; bounded
 * by POOL_PENDING_WAIT_MS in case the notice never gets posted), then
 * decide under the job's lock whether this process may still post: not
 * after a stop handed the job back, nor once another worker holds its
 * lease. Returns NULL and marks the job posting, or why it must not post. */
static const char *s_deliver_begin(struct search_job *j)
{
	const char *skip = NULL;

	pthread_mutex_lock(&j->lock);
	if (!j->pending_done) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POOL_PENDING_WAIT_MS / 1000;
		while (!j->pending_done && !j->handed_off)
			if (pthread_cond_timedwait(&j->cond, &j->lock, &until) == ETIMEDOUT)
				break;
	}
	if (j->handed_off)
		skip = "handed off at stop";
	else if (j->lost)
		skip = "claimed by another worker";
	else
		j->posting = 1;
	pthread_mutex_unlock(&j->lock);
	return skip;
}

static void s_deliver_end(struct search_job *j)
{
	pthread_mutex_lock(&j->lock);
	j->posting = 0;
	pthread_mutex_unlock(&j->lock);
}

/* One line per response_url post of an answer (kind "final", or
 * "fallback" for the minimal one after Slack refused it), whatever its
 * fate; cause (may be NULL) is the refused answer's error text. */
static void s_log_final(const char *kind, int ok, const struct slack_post_result *res,
			const char *result, const char *error, const char *cause)
{
	struct logfmt l;

	logfmt_begin(&l, ok ? "info" : "error");
	logfmt_str(&l, "msg", "response_url delivery");
	logfmt_str(&l, "kind", kind);
	logfmt_int(&l, "attempts", res != NULL ? res->attempts : 0);
	logfmt_int(&l, "http_status", res != NULL ? res->status : 0);
	logfmt_str(&l, "result", result);
	if (cause != NULL)
		logfmt_str(&l, "slack_error", cause);
	if (error != NULL)
		logfmt_str(&l, "error", error);
	logfmt_emit(&l, stderr);
	metrics_response_url(kind, result);
}

/* Slack refused the message itself (400 invalid_blocks, msg_blocks_too_long,
 * no_text, 413, 422...), not the URL: a smaller message may still go. 404
 * and 410 (expired_url, used_url) say the URL is gone, 429 that Slack is
 * busy (already retried): nothing else would be accepted either. */
static int s_refused_message(long status)
{
	return status >= 400 && status < 500 && status != 404 && status != 410 &&
	       status != 429;
}

/* What became of a deferred answer, for the journal and the audit line. */
struct s_outcome {
	int delivered;            /* mark delivered: never claimed again */
	enum audit_delivery audit;
	const char *reason;       /* static, for the audit line */
};

/* Why a fallback: the asker must get exactly one final answer, and a
 * message Slack refuses (too long, a block it does not accept) would
 * otherwise leave them with nothing but "Searching...". Posted once, as
 * one of response_url's 5 uses (counted first; none left: nothing is
 * posted). Never retried past slack_post_json's own tries: accepted or
 * refused, the job is settled; a 5xx or a network failure leaves it to
 * its lease, as a final answer's would. cause: Slack's error text. */
static void s_fallback(struct search_job *j, const char *cause, struct s_outcome *out)
{
	struct slack_post_result res;
	struct slack_post_opts o = {0};
	struct render_opts ro;
	struct si_err err;
	char *json;
	int rc;

	out->delivered = 1;
	out->audit = AUDIT_DELIVERY_ERROR;
	out->reason = "answer refused";
	if (journal_use(j->pool->journal, j->jid) == JOURNAL_USE_SPENT) {
		s_log_final("fallback", 0, NULL, "skipped", "response_url used 5 times already",
			    cause);
		return;
	}
	s_render_opts(j, &ro);
	ro.result_id = NULL;      /* no buttons: the smallest message that helps */
	json = render_fallback(&j->result, &ro, &err);
	if (json == NULL) {
		s_log_final("fallback", 0, NULL, "failed", err.msg, cause);
		return;
	}
	o.seed = (unsigned int)si_mono_ms();
	rc = slack_post_json_ex(j->response_url, json, &o, &res, &err);
	free(json);
	s_log_final("fallback", rc == 0, &res, rc == 0 ? "delivered" : "failed",
		    rc == 0 ? NULL : err.msg, cause);
	if (rc == 0) {
		out->audit = AUDIT_DELIVERY_DEFERRED;
		out->reason = "fallback";
	} else if (!(res.status >= 400 && res.status < 500)) {
		out->delivered = 0;
	}
}

/* Post a deferred job's final answer to response_url, exactly once: the
 * post is counted in the journal first (Slack allows 5), and the job is
 * marked delivered as soon as Slack accepted it, so no other worker
 * claims it again. A 4xx is final too: an expired URL (posting again
 * cannot help), or a refused message, then followed by the fallback
 * (s_fallback); a 5xx or a network failure after the retries leaves the
 * job undelivered, so a worker claims it again once its lease ran out,
 * while uses remain. Assumes the job is finished and deferred. */
static void s_deliver(struct search_job *j)
{
	struct journal *jr = j->pool->journal;
	struct slack_post_result res;
	struct slack_post_opts o = {0};
	struct s_outcome oc = { 0, AUDIT_DELIVERY_ERROR, NULL };
	struct si_err err;
	const char *skip;
	char *json;
	int rc = -1;

	skip = s_deliver_begin(j);
	if (skip != NULL) {
		s_log_final("final", 1, NULL, "skipped", skip, NULL);
		return;
	}
	if (journal_use(jr, j->jid) == JOURNAL_USE_SPENT) {
		s_log_final("final", 0, NULL, "failed", "response_url used 5 times already", NULL);
		s_audit(j, AUDIT_DELIVERY_ERROR, NULL);
		s_deliver_end(j);
		return;
	}
	json = search_job_render(j, &err);
	if (json == NULL)
		json = render_error("slash-infra could not format the answer.", &err);
	o.seed = (unsigned int)si_mono_ms();
	memset(&res, 0, sizeof(res));
	if (json != NULL)
		rc = slack_post_json_ex(j->response_url, json, &o, &res, &err);
	free(json);
	if (rc == 0) {
		s_log_final("final", 1, &res, "delivered", NULL, NULL);
		oc.delivered = 1;
		oc.audit = AUDIT_DELIVERY_DEFERRED;
	} else if (s_refused_message(res.status) && !j->failed) {
		/* An error message is already the smallest answer we have. */
		s_log_final("final", 0, &res, "refused", err.msg, NULL);
		s_fallback(j, res.error, &oc);
	} else {
		s_log_final("final", 0, &res, "failed", err.msg, NULL);
		oc.delivered = res.status >= 400 && res.status < 500;
	}
	if (oc.delivered)
		journal_delivered(jr, j->jid);
	s_deliver_end(j);
	s_audit(j, oc.audit, oc.reason);
}

/* Run one job and hand its answer on: to the waiting request thread, or
 * (deferred) to response_url. ctx is NULL when the thread could not make
 * its search context; the job then fails, but is answered like any other,
 * so a deferred asker still hears back. */
static void s_run_job(struct search_pool *pool, struct search_ctx *ctx, struct search_job *j)
{
	struct plan p;
	struct si_err err;
	int deferred;

	if (ctx == NULL) {
		j->failed = 1;
		snprintf(j->fail_msg, sizeof(j->fail_msg), "The search could not start.");
	} else {
		s_plan(j, &p);
		/* The inventory first (index.h); without one, the live search. */
		if (idx_run(pool->index, pool->engine, ctx, &j->q, &p.spec, time(NULL),
			    &j->result, &err) != 0) {
			j->failed = 1;
			snprintf(j->fail_msg, sizeof(j->fail_msg), "The search failed: %.400s",
				 err.msg);
		}
	}
	s_keep(pool, j);
	pthread_mutex_lock(&j->lock);
	j->state = JOB_DONE;
	deferred = j->deferred;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	/* Not deferred: the waiting request thread answers inline (the
	 * decision was made under the job's lock, so it sees JOB_DONE). */
	if (deferred)
		s_deliver(j);
	s_settle(pool, j);
}

/* One pool thread: owns its search context (a curl multi handle, so its
 * connections are reused across jobs) and takes jobs off the queue until
 * the pool stops and the queue is drained. Assumes pool outlives it (the
 * pool joins its threads before freeing). A context that could not be
 * made still answers every job, with an error. */
static void *s_worker(void *arg)
{
	struct search_pool *pool = arg;
	struct search_ctx *ctx;
	struct si_err err;

	ctx = search_ctx_new((unsigned int)(si_mono_ms() ^ (long long)(uintptr_t)&err), &err);
	for (;;) {
		struct search_job *j;

		pthread_mutex_lock(&pool->lock);
		while (pool->head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		j = pool->head;
		if (j == NULL) {            /* stopping and drained */
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		pool->head = j->next;
		if (pool->head == NULL)
			pool->tail = NULL;
		pool->queued--;
		metrics_queue_depth(pool->queued);
		pthread_mutex_unlock(&pool->lock);

		pthread_mutex_lock(&j->lock);
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&j->lock);
		s_run_job(pool, ctx, j);
		search_job_release(j);
	}
	search_ctx_free(ctx);
	return NULL;
}

/* --- a button press's messages (search_pool_queue_posts) ----------------- */

static void s_posts_free(struct s_posts *p)
{
	if (p == NULL)
		return;
	free(p->url);
	for (size_t i = 0; i < p->n; i++)
		free(p->json[i]);
	free(p);
}

/* One line per list, whatever its fate: posted of its n messages were
 * accepted, attempts the tries of the whole list, res the last try's
 * answer (NULL: none; Slack's error text only when it refused). */
static void s_log_posts(const char *level, size_t posted, size_t n, int attempts,
			const struct slack_post_result *res, const char *result,
			const char *error)
{
	struct logfmt l;

	logfmt_begin(&l, level);
	logfmt_str(&l, "msg", "response_url delivery");
	logfmt_str(&l, "kind", "interactive");
	logfmt_int(&l, "posted", (long long)posted);
	logfmt_int(&l, "posts", (long long)n);
	logfmt_int(&l, "attempts", attempts);
	logfmt_int(&l, "http_status", res != NULL ? res->status : 0);
	logfmt_str(&l, "result", result);
	if (res != NULL && (res->status < 200 || res->status > 299) && res->error[0] != '\0')
		logfmt_str(&l, "slack_error", res->error);
	if (error != NULL)
		logfmt_str(&l, "error", error);
	logfmt_emit(&l, stderr);
	metrics_response_url("interactive", result);
}

/* 1 when a drain's deadline passed: a list stops before its next post. */
static int s_posts_cut(struct search_pool *pool)
{
	int cut;

	if (pool == NULL)
		return 0;
	pthread_mutex_lock(&pool->lock);
	cut = pool->posts_cut;
	pthread_mutex_unlock(&pool->lock);
	return cut;
}

/* Why a failed post ends the list: its messages are an order (pages 1-4
 * and "more"); page 3 after a lost page 2 would mislead, and a URL that
 * failed after slack_post_json's retries (gone, refused, Slack down)
 * would most likely fail the rest the same way. Between posts, a drain
 * past its deadline (pool->posts_cut; pool may be NULL) stops the list.
 * Returns the number of messages Slack accepted. */
static size_t s_send_list(struct search_pool *pool, const char *url, char *const *json,
			  size_t n)
{
	struct slack_post_result res;
	struct slack_post_opts o = {0};
	struct si_err err;
	int attempts = 0;

	memset(&res, 0, sizeof(res));
	for (size_t i = 0; i < n; i++) {
		if (s_posts_cut(pool)) {
			s_log_posts("warn", i, n, attempts, i > 0 ? &res : NULL, "dropped",
				    "stopping: the stop deadline passed");
			return i;
		}
		o.seed = (unsigned int)si_mono_ms() ^ (unsigned int)i;
		if (slack_post_json_ex(url, json[i], &o, &res, &err) != 0) {
			s_log_posts("error", i, n, attempts + res.attempts, &res, "failed",
				    err.msg);
			return i;
		}
		attempts += res.attempts;
	}
	s_log_posts("info", n, n, attempts, n > 0 ? &res : NULL, "delivered", NULL);
	return n;
}

size_t search_pool_send_posts(const char *response_url, char *const *jsons, size_t n)
{
	if (response_url == NULL || jsons == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (jsons[i] == NULL)
			return 0;
	return s_send_list(NULL, response_url, jsons, n);
}

/* Lists of messages not yet posted (pool lock held). */
static size_t s_posts_pending(const struct search_pool *pool)
{
	return pool->n_posts_queued + pool->n_posts_busy;
}

/* Drop the lists a drain took off the queue: one line each, then freed. */
static void s_posts_drop(struct s_posts *p)
{
	while (p != NULL) {
		struct s_posts *next = p->next;

		s_log_posts("warn", 0, p->n, 0, NULL, "dropped",
			    "stopping: the stop deadline passed");
		s_posts_free(p);
		p = next;
	}
}

/* Copy a list (search_pool_queue_posts copies: the caller keeps its own). */
static struct s_posts *s_posts_new(const char *url, char *const *json, size_t n,
				   struct si_err *err)
{
	struct s_posts *p = si_zalloc(sizeof(*p), err);

	if (p == NULL)
		return NULL;
	p->url = strdup(url);
	for (; p->url != NULL && p->n < n; p->n++) {
		p->json[p->n] = strdup(json[p->n]);
		if (p->json[p->n] == NULL)
			break;
	}
	if (p->url == NULL || p->n < n) {
		s_posts_free(p);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* Why copies and a bound: the request that made the messages ends as
 * soon as this returns, and a slow Slack must not let presses pile up
 * without limit (queue_max, as for searches; SI_ERR_LIMIT: the caller
 * decides what the presser hears). Nothing is posted here. */
int search_pool_queue_posts(struct search_pool *pool, const char *response_url,
			    char *const *jsons, size_t n, struct si_err *err)
{
	struct s_posts *p;
	const char *why = NULL;

	if (pool == NULL || response_url == NULL || jsons == NULL || n == 0 ||
	    n > SEARCH_POOL_POSTS_MAX)
		return si_err_set(err, SI_ERR_INVALID, "posts: %zu messages (1 to %d)", n,
				  SEARCH_POOL_POSTS_MAX);
	for (size_t i = 0; i < n; i++)
		if (jsons[i] == NULL)
			return si_err_set(err, SI_ERR_INVALID, "posts: message %zu is NULL", i);
	p = s_posts_new(response_url, jsons, n, err);
	if (p == NULL)
		return -1;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping)
		why = "busy: stopping";
	else if (pool->n_posts_queued >= pool->queue_max)
		why = "busy: the message queue is full";
	if (why == NULL) {
		if (pool->ptail != NULL)
			pool->ptail->next = p;
		else
			pool->phead = p;
		pool->ptail = p;
		pool->n_posts_queued++;
		pthread_cond_signal(&pool->ncond);
	}
	pthread_mutex_unlock(&pool->lock);
	if (why != NULL) {
		s_posts_free(p);
		metrics_busy("posts_queue");
		return si_err_set(err, SI_ERR_LIMIT, "%s", why);
	}
	return 0;
}

/* Post one list taken off the queue, then say it is done (a drain waits
 * for the busy ones). */
static void s_run_posts(struct search_pool *pool, struct s_posts *p)
{
	(void)s_send_list(pool, p->url, p->json, p->n);
	s_posts_free(p);
	pthread_mutex_lock(&pool->lock);
	pool->n_posts_busy--;
	pthread_cond_broadcast(&pool->idle);
	pthread_mutex_unlock(&pool->lock);
}

/* Why notices before lists: a deferred search's final answer waits for
 * its notice, and a notice is one short post; a list waits at most for
 * the notices queued before it. Posts until the pool stops and both
 * queues are empty. */
static void *s_notice_worker(void *arg)
{
	struct search_pool *pool = arg;

	for (;;) {
		struct search_job *j;
		struct s_posts *p = NULL;

		pthread_mutex_lock(&pool->lock);
		while (pool->nhead == NULL && pool->phead == NULL && !pool->stopping)
			pthread_cond_wait(&pool->ncond, &pool->lock);
		j = pool->nhead;
		if (j != NULL) {
			pool->nhead = j->nnext;
			if (pool->nhead == NULL)
				pool->ntail = NULL;
		} else if (pool->phead != NULL) {
			p = pool->phead;
			pool->phead = p->next;
			if (pool->phead == NULL)
				pool->ptail = NULL;
			pool->n_posts_queued--;
			pool->n_posts_busy++;
		}
		pthread_mutex_unlock(&pool->lock);
		if (j != NULL) {
			search_job_post_pending(j);
			search_job_release(j);
		} else if (p != NULL) {
			s_run_posts(pool, p);
		} else {
			break;
		}
	}
	return NULL;
}

/* Why the idle condition runs on CLOCK_MONOTONIC: search_pool_drain waits
 * on it against a stop deadline, which a wall-clock step must not move.
 * On a thread that fails to start, the ones started are joined (free). */
struct search_pool *search_pool_new(struct search_engine *engine, int workers,
				    int queue_size, struct si_err *err)
{
	struct search_pool *pool = calloc(1, sizeof(*pool));
	pthread_condattr_t ca;

	if (pool == NULL || workers < 1 || queue_size < 1) {
		free(pool);
		si_err_set(err, SI_ERR_INVALID, "search pool needs workers and a queue");
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->idle, &ca);
	pthread_cond_init(&pool->jcond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&pool->ncond, NULL);
	pool->engine = engine;
	pool->queue_max = (size_t)queue_size;
	pool->threads = calloc((size_t)workers, sizeof(*pool->threads));
	if (pool->threads == NULL) {
		search_pool_free(pool);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < workers; i++) {
		if (pthread_create(&pool->threads[i], NULL, s_worker, pool) != 0) {
			search_pool_free(pool);
			si_err_set(err, SI_ERR_INTERNAL, "cannot start search thread");
			return NULL;
		}
		pool->n_threads++;
	}
	for (int i = 0; i < POOL_NOTICE_THREADS; i++) {
		if (pthread_create(&pool->notice_threads[i], NULL, s_notice_worker, pool) != 0) {
			search_pool_free(pool);
			si_err_set(err, SI_ERR_INTERNAL, "cannot start notice thread");
			return NULL;
		}
		pool->n_notice_threads++;
	}
	return pool;
}

/* Why the order: the journal thread stops first so it claims nothing new,
 * then the notice threads (a deferred job's final waits for its notice),
 * then the search threads finish every queued and running job. Assumes no
 * submit runs concurrently. */
void search_pool_free(struct search_pool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_cond_broadcast(&pool->ncond);
	pthread_cond_broadcast(&pool->jcond);
	pthread_mutex_unlock(&pool->lock);
	/* The journal thread first: it claims no more once stopping. */
	if (pool->jthread_started)
		pthread_join(pool->jthread, NULL);
	/* Notices first: a deferred job's delivery waits for its notice. */
	for (int i = 0; i < pool->n_notice_threads; i++)
		pthread_join(pool->notice_threads[i], NULL);
	for (int i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	/* Jobs a drain took off the queue never ran and still hold the
	 * queue's reference: with every thread joined, drop it. */
	while (pool->active != NULL) {
		struct search_job *j = pool->active;

		pool->active = j->anext;
		if (j->state == JOB_QUEUED)
			search_job_release(j);
	}
	/* The notice threads post every queued list before they end; lists
	 * are left only when none ever started (search_pool_new failed). */
	s_posts_drop(pool->phead);
	free(pool->threads);
	idx_free(pool->index);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	pthread_cond_destroy(&pool->idle);
	pthread_cond_destroy(&pool->ncond);
	pthread_cond_destroy(&pool->jcond);
	free(pool);
}

/* The job's links: the struct is copied (a caller's may not outlive a
 * queued job; its strings, the config's, do); NULL: the pool's. */
static void s_links_copy(struct search_job *j, const struct render_links *links)
{
	if (links == NULL && j->pool->has_links)
		links = &j->pool->links;
	j->has_links = links != NULL;
	if (links != NULL)
		j->links = *links;
}

static int s_copy_params(struct search_job *j, const struct search_job_params *p)
{
	j->q = *p->query;
	j->text = strdup(p->text ? p->text : "");
	j->response_url = si_strdup_opt(p->response_url);
	j->rtype = p->response_type;
	s_who_copy(&j->who, &p->who);
	j->restrict_accounts = p->restrict_accounts;
	s_links_copy(j, p->links);
	j->replace_original = p->replace_original != 0;
	/* No notice will come: the final answer must not wait for one. */
	j->quiet = p->quiet != 0;
	j->pending_done = j->quiet;
	if (j->text == NULL || (p->response_url != NULL && j->response_url == NULL))
		return -1;
	if (p->n_allowed > 0) {
		j->allowed = calloc(p->n_allowed, sizeof(*j->allowed));
		if (j->allowed == NULL)
			return -1;
		for (size_t i = 0; i < p->n_allowed; i++) {
			j->allowed[i] = strdup(p->allowed_accounts[i]);
			if (j->allowed[i] == NULL)
				return -1;
			j->n_allowed++;
		}
	}
	return 0;
}

/* The journal's accounts field: the flags, then the accounts (malloc'd;
 * NULL: no memory). */
static char *s_accounts_text(const struct search_job *j)
{
	size_t n = sizeof(POOL_OPT_REPLACE " " POOL_OPT_QUIET " " POOL_OPT_RID " "
			  POOL_ACCOUNTS_ONLY), used = 0;
	const char *rid = j->who.request_id;
	char *out;

	for (size_t i = 0; i < j->n_allowed; i++)
		n += strlen(j->allowed[i]) + 1;
	/* Only a token fits a word; anything else is left out (the audit
	 * line would leave it out too, audit.h). */
	if (rid != NULL && (rid[0] == '\0' || strlen(rid) > AUDIT_REQID_MAX ||
			    strcspn(rid, " ") != strlen(rid)))
		rid = NULL;
	if (rid != NULL)
		n += strlen(rid);
	out = malloc(n);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	if (j->replace_original)
		used += (size_t)snprintf(out + used, n - used, "%s ", POOL_OPT_REPLACE);
	if (j->quiet)
		used += (size_t)snprintf(out + used, n - used, "%s ", POOL_OPT_QUIET);
	if (rid != NULL)
		used += (size_t)snprintf(out + used, n - used, "%s%s ", POOL_OPT_RID, rid);
	if (j->restrict_accounts)
		used += (size_t)snprintf(out + used, n - used, "%s", POOL_ACCOUNTS_ONLY);
	for (size_t i = 0; j->restrict_accounts && i < j->n_allowed && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "",
					 j->allowed[i]);
	if (used > 0 && used < n && out[used - 1] == ' ')
		out[used - 1] = '\0';
	return out;
}

/* Write the job to the journal before the caller can acknowledge it; a
 * store that fails leaves jid "" and the search runs live. A job without
 * a response_url could not be finished elsewhere: not journaled. */
static void s_journal_add(struct search_pool *pool, struct search_job *j)
{
	struct store_job sj;
	char *accounts;

	if (pool->journal == NULL || j->response_url == NULL)
		return;
	accounts = s_accounts_text(j);
	if (accounts == NULL)
		return;
	memset(&sj, 0, sizeof(sj));
	sj.response_url = j->response_url;
	sj.text = j->text;
	sj.response_type = j->rtype == RENDER_EPHEMERAL ? "ephemeral" : "in_channel";
	sj.team_id = j->who.team_id;
	sj.user_id = j->who.user_id;
	sj.user_name = j->who.user_name;
	sj.channel_id = j->who.channel_id;
	sj.channel_name = j->who.channel_name;
	sj.accounts = accounts;
	(void)journal_add(pool->journal, &sj, j->jid);
	free(accounts);
}

/* Put j on the queue and in the active list; -1 when stopping or full. */
static int s_enqueue(struct search_pool *pool, struct search_job *j)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping || pool->queued >= pool->queue_max) {
		pthread_mutex_unlock(&pool->lock);
		return -1;
	}
	if (pool->tail != NULL)
		pool->tail->next = j;
	else
		pool->head = j;
	pool->tail = j;
	pool->queued++;
	metrics_queue_depth(pool->queued);
	j->anext = pool->active;
	if (pool->active != NULL)
		pool->active->aprev = j;
	pool->active = j;
	pool->n_active++;
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

/* Why the copy and the count happen before the lock: the job must not
 * borrow anything from the request, and the target count is what the
 * "Searching N accounts" notice shows. Assumes pool is running; a full
 * queue answers "busy" (SI_ERR_LIMIT) rather than blocking a request
 * thread. */
struct search_job *search_pool_submit(struct search_pool *pool,
				      const struct search_job_params *p,
				      struct si_err *err)
{
	struct search_job *j = si_zalloc(sizeof(*j), err);
	struct plan plan;

	if (j == NULL)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->pool = pool;
	j->refs = 2;                 /* the caller's and the queue's */
	j->submitted_ms = si_mono_ms();
	if (s_copy_params(j, p) != 0) {
		s_job_free(j);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s_plan(j, &plan);
	(void)search_count_targets(pool->engine, &plan.spec, &j->n_accounts, &j->n_regions);
	s_journal_add(pool, j);
	if (s_enqueue(pool, j) != 0) {
		/* The asker hears "busy": nothing is owed, nobody may claim it. */
		journal_delivered(pool->journal, j->jid);
		s_job_free(j);
		metrics_busy("search_queue");
		si_err_set(err, SI_ERR_LIMIT, "busy");
		return NULL;
	}
	return j;
}

int search_job_wait_inline(struct search_job *j, int timeout_ms)
{
	struct timespec until;
	int done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (j->state != JOB_DONE)
		if (pthread_cond_timedwait(&j->cond, &j->lock, &until) == ETIMEDOUT)
			break;
	done = j->state == JOB_DONE;
	if (!done)
		j->deferred = 1;     /* decided here, once, under the lock */
	pthread_mutex_unlock(&j->lock);
	if (done) {
		/* Answered inline: the caller sends it now; nothing is owed. */
		journal_delivered(j->pool->journal, j->jid);
		s_audit(j, AUDIT_DELIVERY_INLINE, NULL);
	}
	return done;
}

/* Why a notice at all: a deferred asker has only the acknowledgement
 * and would otherwise wonder for seconds whether anything runs. It is a
 * courtesy (short timeouts, failure only logged), but it counts as one of
 * the response_url's 5 uses, and the final answer waits for it. */
void search_job_post_pending(struct search_job *j)
{
	struct slack_post_opts o = {0};
	struct si_err err;
	char *json = render_pending(j->n_accounts, j->n_regions, &err);
	int attempts = 0;
	long status = 0;
	int rc = -1;

	/* Counted before posting (Slack allows 5 posts); a claimer that finds
	 * a use counted knows a notice went out and posts none of its own. */
	if (json != NULL && journal_use(j->pool->journal, j->jid) == JOURNAL_USE_SPENT) {
		free(json);
		json = NULL;
	}
	if (json != NULL) {
		/* Short timeouts: the notice is a courtesy, the answer matters. */
		o.timeout_ms = 2000;
		o.seed = (unsigned int)si_mono_ms();
		rc = slack_post_json(j->response_url, json, &o, &attempts, &status, &err);
		free(json);
	}
	metrics_response_url("pending", rc == 0 ? "delivered" : "failed");
	if (rc != 0) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "response_url delivery");
		logfmt_str(&l, "kind", "pending");
		logfmt_int(&l, "attempts", attempts);
		logfmt_int(&l, "http_status", status);
		logfmt_str(&l, "result", "failed");
		logfmt_emit(&l, stderr);
	}
	pthread_mutex_lock(&j->lock);
	j->pending_done = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void search_job_queue_notice(struct search_job *j)
{
	struct search_pool *pool = j->pool;

	pthread_mutex_lock(&j->lock);
	j->refs++;
	pthread_mutex_unlock(&j->lock);
	pthread_mutex_lock(&pool->lock);
	j->nnext = NULL;
	if (pool->ntail != NULL)
		pool->ntail->nnext = j;
	else
		pool->nhead = j;
	pool->ntail = j;
	pthread_cond_signal(&pool->ncond);
	pthread_mutex_unlock(&pool->lock);
}

void search_job_targets(const struct search_job *j, size_t *n_accounts, size_t *n_regions)
{
	if (n_accounts != NULL)
		*n_accounts = j->n_accounts;
	if (n_regions != NULL)
		*n_regions = j->n_regions;
}

const char *search_job_journal_id(const struct search_job *j)
{
	return j->jid;
}

int search_pool_accepting(struct search_pool *pool, size_t *queued, size_t *queue_max)
{
	int ok;

	if (pool == NULL) {
		if (queued != NULL)
			*queued = 0;
		if (queue_max != NULL)
			*queue_max = 0;
		return 1;
	}
	pthread_mutex_lock(&pool->lock);
	ok = !pool->stopping && pool->queued < pool->queue_max;
	if (queued != NULL)
		*queued = pool->queued;
	if (queue_max != NULL)
		*queue_max = pool->queue_max;
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

struct search_engine *search_pool_engine(struct search_pool *pool)
{
	return pool->engine;
}

/* Hand one unanswered job on. Why under the pool lock: the job's fields
 * are stable (copied at submit, never changed) but its state is not, and
 * the pool lock keeps it alive (it is in the active list). A job whose
 * final post was under way is left to its lease: Slack may have taken it,
 * and the worker that died mid-post cannot say. */
static void s_handoff(struct search_pool *pool, struct search_job *j, search_handoff_fn fn,
		      void *arg)
{
	struct search_handoff h;
	int posting;

	memset(&h, 0, sizeof(h));
	h.text = j->text;
	h.response_url = j->response_url;
	h.response_type = j->rtype;
	h.who = &j->who;
	h.submitted_ms = j->submitted_ms;
	pthread_mutex_lock(&j->lock);
	h.started = j->state != JOB_QUEUED;
	h.deferred = j->deferred;
	h.notice_posted = j->pending_done;
	posting = j->posting;
	pthread_mutex_unlock(&j->lock);
	if (j->jid[0] == '\0')
		h.journal = "none";
	else if (posting)
		h.journal = "posting";
	else
		h.journal = journal_hand_back(pool->journal, j->jid) == 0 ? "handed back"
									   : "unavailable";
	if (fn != NULL)
		fn(&h, arg);
}

/* Wait on cond (a CLOCK_MONOTONIC one) with lock held, ms at most. */
static void s_wait_cond(pthread_cond_t *cond, pthread_mutex_t *lock, long long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, lock, &until);
}

/* Wait on the idle condition (pool lock held) until until_ms (si_mono_ms)
 * at most. */
static void s_wait_idle(struct search_pool *pool, long long until_ms)
{
	long long left = until_ms - si_mono_ms();

	if (left <= 0)
		return;
	s_wait_cond(&pool->idle, &pool->lock, left);
}

/* An active job whose final post is under way (pool lock held). */
static int s_any_posting(struct search_pool *pool)
{
	int any = 0;

	for (struct search_job *j = pool->active; j != NULL && !any; j = j->anext) {
		pthread_mutex_lock(&j->lock);
		any = j->posting;
		pthread_mutex_unlock(&j->lock);
	}
	return any;
}

/* Why a deadline and a hand-off instead of waiting for every search: a
 * stop must end within the service manager's stop timeout, and a search
 * can run for [search] deadline_ms. Assumes no more submits come (the
 * request threads have stopped). Jobs still queued at the deadline are
 * taken off the queue so they never start; every unanswered journaled job
 * is marked handed off first (so this process starts no post for it), then
 * final posts already under way get POOL_POSTING_GRACE_MS to finish and be
 * marked delivered, then the rest go back to the journal. Button presses'
 * lists not started by the deadline are dropped (nobody else could post
 * them: they are not journaled); one under way stops after its current
 * post, which gets the same grace. */
size_t search_pool_drain(struct search_pool *pool, long long deadline_ms,
			 search_handoff_fn handoff, void *arg)
{
	struct s_posts *dropped;
	size_t n = 0;

	if (pool == NULL)
		return 0;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->cond);
	pthread_cond_broadcast(&pool->ncond);
	pthread_cond_broadcast(&pool->jcond);
	while ((pool->n_active > 0 || s_posts_pending(pool) > 0) && si_mono_ms() < deadline_ms)
		s_wait_idle(pool, deadline_ms);
	/* Whatever is left is handed on; the process ends without freeing
	 * (queued jobs keep their queue reference on purpose). */
	pool->head = pool->tail = NULL;
	pool->queued = 0;
	metrics_queue_depth(0);
	dropped = pool->phead;
	pool->phead = pool->ptail = NULL;
	pool->n_posts_queued = 0;
	pool->posts_cut = 1;
	for (struct search_job *j = pool->active; j != NULL; j = j->anext) {
		/* An unjournaled job has nobody else to finish it: it may
		 * still post if this process lives long enough. */
		if (j->jid[0] == '\0')
			continue;
		pthread_mutex_lock(&j->lock);
		j->handed_off = 1;
		pthread_cond_broadcast(&j->cond);
		pthread_mutex_unlock(&j->lock);
	}
	while ((s_any_posting(pool) || pool->n_posts_busy > 0) &&
	       si_mono_ms() < deadline_ms + POOL_POSTING_GRACE_MS)
		s_wait_idle(pool, deadline_ms + POOL_POSTING_GRACE_MS);
	for (struct search_job *j = pool->active; j != NULL; j = j->anext) {
		s_handoff(pool, j, handoff, arg);
		n++;
	}
	/* A list still posting holds a notice thread that free would join. */
	n += pool->n_posts_busy;
	pthread_mutex_unlock(&pool->lock);
	s_posts_drop(dropped);
	return n;
}

/* --- the journal thread --------------------------------------------------- */

/* Parse the aliases of one "only:a,b" word (len bytes at p) into j. */
static int s_allowed_parse(struct search_job *j, const char *p, size_t len)
{
	const char *end = p + len;
	size_t n = 1;

	if (j->restrict_accounts)
		return -1;                   /* two "only:" words */
	j->restrict_accounts = 1;
	for (const char *q = p; q < end; q++)
		n += *q == ',';
	j->allowed = calloc(n, sizeof(*j->allowed));
	if (j->allowed == NULL)
		return -1;
	while (p < end) {
		size_t k = 0;

		while (p + k < end && p[k] != ',')
			k++;
		if (k > 0) {
			j->allowed[j->n_allowed] = strndup(p, k);
			if (j->allowed[j->n_allowed] == NULL)
				return -1;
			j->n_allowed++;
		}
		p += k + (p + k < end);
	}
	return 0;
}

/* 1 when the word of len bytes at p is lit. */
static int s_word_is(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && strncmp(p, lit, len) == 0;
}

/* Parse the journal's accounts field (s_accounts_text) into j: its words,
 * a flag or the accounts; any other word makes the row unusable (written
 * by a newer version: running it without what it asked would be wrong). */
static int s_accounts_parse(struct search_job *j, const char *text)
{
	const size_t only = SI_LITLEN(POOL_ACCOUNTS_ONLY), ridl = SI_LITLEN(POOL_OPT_RID);
	const char *p = text != NULL ? text : "";

	while (*p != '\0') {
		size_t len = strcspn(p, " ");
		int rc = 0;

		if (s_word_is(p, len, POOL_OPT_REPLACE))
			j->replace_original = 1;
		else if (s_word_is(p, len, POOL_OPT_QUIET))
			j->quiet = 1;
		else if (len >= only && SI_HAS_PREFIX(p, POOL_ACCOUNTS_ONLY))
			rc = s_allowed_parse(j, p + only, len - only);
		else if (len > ridl && len <= ridl + AUDIT_REQID_MAX &&
			 SI_HAS_PREFIX(p, POOL_OPT_RID) && j->who.request_id == NULL)
			rc = (j->who.request_id = strndup(p + ridl, len - ridl)) != NULL ? 0 : -1;
		else if (len > 0)
			rc = -1;
		if (rc != 0)
			return -1;
		p += len + (p[len] == ' ');
	}
	return 0;
}

static const char *s_nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A claimed orphan as a pool job: deferred from the start (the worker
 * that took the request acknowledged it), its notice already out when a
 * use was counted (a quiet one never has one). Its text is parsed again as of the time it was asked
 * (created_at), so an at:-6h asks about the same moment as the first
 * attempt did. Two references: the queue's and the claimer's. NULL when
 * the row cannot be run. */
static struct search_job *s_job_from_store(struct search_pool *pool,
					   const struct store_job *sj)
{
	struct search_job *j = calloc(1, sizeof(*j));
	struct audit_who who;
	struct si_err err;
	struct plan plan;

	if (j == NULL)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->pool = pool;
	j->refs = 2;
	j->submitted_ms = si_mono_ms();
	j->deferred = 1;
	s_links_copy(j, NULL);
	memcpy(j->jid, sj->id, sizeof(j->jid));
	j->rtype = strcmp(sj->response_type, "ephemeral") == 0 ? RENDER_EPHEMERAL
							       : RENDER_IN_CHANNEL;
	memset(&who, 0, sizeof(who));
	who.team_id = s_nonempty(sj->team_id);
	who.user_id = s_nonempty(sj->user_id);
	who.user_name = s_nonempty(sj->user_name);
	who.channel_id = s_nonempty(sj->channel_id);
	who.channel_name = s_nonempty(sj->channel_name);
	s_who_copy(&j->who, &who);
	j->text = strdup(sj->text);
	j->response_url = strdup(sj->response_url);
	if (j->text == NULL || j->response_url == NULL ||
	    s_accounts_parse(j, sj->accounts) != 0 ||
	    query_parse_at(j->text, sj->created_at, &j->q, &err) != 0) {
		s_job_free(j);
		return NULL;
	}
	/* A row from before request ids were journaled: its journal id, which
	 * the "journal search claimed" line names, stands in. */
	if (j->who.request_id == NULL)
		j->who.request_id = si_strdup_opt(j->jid);
	/* A quiet job (Refresh) never gets a notice; any other had one out
	 * when a use was counted. */
	j->pending_done = j->quiet || sj->uses > 0;
	s_plan(j, &plan);
	(void)search_count_targets(pool->engine, &plan.spec, &j->n_accounts, &j->n_regions);
	return j;
}

static void s_log_claimed(const struct store_job *sj, const char *result)
{
	struct logfmt l;

	logfmt_begin(&l, strcmp(result, "running") == 0 ? "info" : "error");
	logfmt_str(&l, "msg", "journal search claimed");
	logfmt_str(&l, "id", sj->id);
	logfmt_int(&l, "age_s", (long long)(time(NULL) - sj->created_at));
	logfmt_int(&l, "uses", sj->uses);
	logfmt_str(&l, "result", result);
	logfmt_emit(&l, stderr);
}

/* Run one claimed orphan; a row that cannot be run is settled (it never
 * will be), one that finds the queue full goes back to the journal. */
static void s_run_claimed(struct search_pool *pool, const struct store_job *sj)
{
	struct search_job *j = s_job_from_store(pool, sj);

	if (j == NULL) {
		journal_delivered(pool->journal, sj->id);
		s_log_claimed(sj, "unusable row dropped");
		return;
	}
	if (s_enqueue(pool, j) != 0) {
		(void)journal_hand_back(pool->journal, sj->id);
		s_job_free(j);
		return;
	}
	s_log_claimed(sj, "running");
	if (!j->pending_done)
		search_job_queue_notice(j);
	search_job_release(j);
}

/* Claim as many orphans as the queue has room for (bounded per claim). */
static void s_claim(struct search_pool *pool)
{
	struct store_job *jobs = NULL;
	size_t room, n = 0;

	pthread_mutex_lock(&pool->lock);
	room = pool->stopping ? 0 : pool->queue_max - pool->queued;
	pthread_mutex_unlock(&pool->lock);
	if (room == 0 || journal_claim(pool->journal, room, &jobs, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		s_run_claimed(pool, &jobs[i]);
	store_jobs_free(jobs, n);
}

/* Renew one lease; a job another worker now holds will post nothing. */
static void s_renew_one(struct search_pool *pool, struct search_job *j)
{
	int skip, running;

	pthread_mutex_lock(&j->lock);
	skip = j->handed_off || j->posting;
	running = j->state != JOB_DONE;
	pthread_mutex_unlock(&j->lock);
	if (skip || journal_renew(pool->journal, j->jid) != 1)
		return;
	pthread_mutex_lock(&j->lock);
	j->lost = 1;
	pthread_mutex_unlock(&j->lock);
	if (running) {
		struct logfmt l;

		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "journal lease lost: another worker runs the search");
		logfmt_str(&l, "id", j->jid);
		logfmt_emit(&l, stderr);
	}
}

/* Renew this process's leases on its unanswered journaled jobs. The jobs
 * are referenced under the pool lock and renewed outside it, so a slow
 * store never holds up submits. */
static void s_renew(struct search_pool *pool)
{
	struct search_job **v;
	size_t n = 0, cap;

	pthread_mutex_lock(&pool->lock);
	cap = pool->n_active;
	v = cap > 0 ? calloc(cap, sizeof(*v)) : NULL;
	for (struct search_job *j = pool->active; j != NULL && v != NULL && n < cap;
	     j = j->anext) {
		if (j->jid[0] == '\0')
			continue;
		pthread_mutex_lock(&j->lock);
		j->refs++;
		pthread_mutex_unlock(&j->lock);
		v[n++] = j;
	}
	pthread_mutex_unlock(&pool->lock);
	for (size_t i = 0; i < n; i++) {
		s_renew_one(pool, v[i]);
		search_job_release(v[i]);
	}
	free(v);
}

/* The journal thread: every JOURNAL_TICK_MS (+-25%, so workers started
 * together spread out), upkeep, lease renewal, then orphans. */
static void *s_journal_main(void *arg)
{
	struct search_pool *pool = arg;
	unsigned int seed = (unsigned int)getpid() ^ (unsigned int)si_mono_ms();

	pthread_mutex_lock(&pool->lock);
	while (!pool->stopping) {
		long long tick = JOURNAL_TICK_MS * 3 / 4 +
				 rand_r(&seed) % (JOURNAL_TICK_MS / 2 + 1);

		s_wait_cond(&pool->jcond, &pool->lock, tick);
		if (pool->stopping)
			break;
		pthread_mutex_unlock(&pool->lock);
		journal_tick(pool->journal);
		s_renew(pool);
		s_claim(pool);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

void search_pool_set_links(struct search_pool *pool, const struct render_links *links)
{
	pool->has_links = links != NULL;
	if (links != NULL)
		pool->links = *links;
}

void search_pool_set_index(struct search_pool *pool, struct idx *ix)
{
	idx_free(pool->index);
	pool->index = ix;
}

int search_pool_set_journal(struct search_pool *pool, struct journal *journal,
			    struct si_err *err)
{
	if (pool == NULL || journal == NULL || pool->journal != NULL)
		return si_err_set(err, SI_ERR_INVALID, "search pool: journal set twice or NULL");
	pool->journal = journal;
	if (pthread_create(&pool->jthread, NULL, s_journal_main, pool) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "cannot start the journal thread");
	pool->jthread_started = 1;
	return 0;
}
