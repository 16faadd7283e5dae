/*
 * inventory.h - the crawler that keeps the inventory (store/inventory.h)
 * filled: every registered resource type of every target, listed within a
 * request budget and written one target at a time.
 *
 * What it does, and why that way:
 * - A target is account x region x service, as the store wants it: the
 *   types whose listing calls one AWS service (the registry's types
 *   grouped by the service their SEARCH_TERM_LIST plan asks: "ec2" holds
 *   instances, interfaces, groups, subnets, ...; "route53" is global, one
 *   target per account in region "global"). The accounts are the ones the
 *   search sees (configured, then discovered), each in its regions.
 * - One search per service and batch of targets (search_run): one
 *   SEARCH_TERM_LIST term per target and type, pinned to the target's
 *   account and region and to the type, so the engine makes exactly those
 *   listings, all batch targets at once. Why not one search per type or
 *   per target: the request budget (search_spec.rate_per_s) is a token
 *   bucket per account x region x service within one search, so a target
 *   must have all its service's calls in one search; and a search reports
 *   failures per account x region, so one service per search is what
 *   says which target failed. Batching targets is what makes 17,000 of
 *   them finish in minutes: each waits on its own budget, in parallel.
 * - A batch that overflows the search's SEARCH_MAX_MATCHES is crawled
 *   again one target per search (a full search stops paging every
 *   target); a single target that still overflows fails with that error.
 * - Written per target (inv_begin_target, inv_put, inv_end_target): one
 *   transaction each, so kill -9 loses nothing committed; a failed target
 *   records its error and keeps its last data. Matches of one type and id
 *   (a name's A and AAAA record sets) are one resource with all their
 *   addresses: the store keys resources by type and id.
 * - Due-driven: each cycle reads the targets' last tries from the store
 *   and crawls only those older than refresh_s (never tried: at once), so
 *   a restarted crawler resumes where the last one stopped.
 * - Claimed: several crawlers may share one inventory (a reload's
 *   overlap, workers on several hosts on PostgreSQL, `inventory refresh`
 *   beside a served worker) and would all find the same targets due. So
 *   each batch is claimed in the store first (inv_claim, a lease until
 *   the batch's deadline plus S_CLAIM_WRITE_S, in the name of this
 *   crawler: host:pid:n:random) and only what was claimed is listed: of
 *   two crawlers starting together each lists a disjoint part, and every
 *   target x service is listed once. Writing a target releases its claim.
 *   A crawler killed mid-batch holds its targets until the lease lapses,
 *   and the next cycle (of any crawler) comes no later than that; but a
 *   crawler of the same host whose process is gone (kill(pid, 0): ESRCH)
 *   is known dead, so its claims are released at once and a restart
 *   resumes immediately. (Crawlers in separate PID namespaces sharing a
 *   host name would see each other as dead: give containers their own
 *   host names, as Docker and Kubernetes do.) force (`inventory refresh`) ignores the last try
 *   but not another's live claim: such targets are counted as held (see
 *   store/inventory.h for why).
 *
 * Threads: a crawler belongs to one thread at a time: crawl_run in the
 * caller's, or the background thread of crawl_start. The engine is shared
 * (search/engine.h); the crawler has its own search_ctx and its own store
 * handle, opened (and reopened after a failure) by itself, so its
 * transactions never queue the journal's writes behind them.
 */
#ifndef SI_INVENTORY_H
#define SI_INVENTORY_H

#include <stddef.h>
#include <time.h>

#include "search/engine.h"
#include "search/types.h"
#include "store/inventory.h"
#include "store/store.h"
#include "util/err.h"

/* [inventory] refresh_s: 5 minutes keeps the index within one on-call
 * glance of AWS; at least 5 s (a test's loop), at most a week. */
#define CRAWL_REFRESH_S_DEFAULT 300
#define CRAWL_REFRESH_S_MIN 5
#define CRAWL_REFRESH_S_MAX 604800

/* [inventory] rate_per_s: requests a second per account x region x
 * service. EC2's Describe* calls refill at 20 a second per account and
 * region (its request-token bucket), so 5 leaves three quarters to the
 * account's own users; 1,000 is no limit at all. */
#define CRAWL_RATE_DEFAULT 5
#define CRAWL_RATE_MIN 1
#define CRAWL_RATE_MAX 1000

/* Services the registry's types fall into, and types per service. */
#define CRAWL_SERVICES_MAX 16
#define CRAWL_TYPES_MAX 32

/* The types listed together, and failing together. */
struct crawl_service {
	char name[INV_SERVICE_MAX];               /* "ec2", "route53" */
	int global;                               /* one target per account */
	const struct rt_type *types[CRAWL_TYPES_MAX];
	size_t n_types;
};

/*
 * The services of the registry, in rt_types[] order of their first type,
 * computed once (each type's SEARCH_TERM_LIST plan, through the offline
 * collector, names the service it calls). *out is static. Returns 0, or
 * -1 with err set (a type whose listing names two services, or a cap).
 */
int crawl_services(const struct crawl_service **out, size_t *n, struct si_err *err);

/* A partition name: "aws", "aws-cn", "aws-us-gov", "aws-iso-b". */
#define CRAWL_PARTITION_MAX 32

/* The account id (12 digits) and partition of a role ARN
 * (arn:PARTITION:iam::ACCOUNT:role/NAME): 0, or -1 when it has neither
 * (such an account is not crawled: the store keys targets by account). */
int crawl_role_account(const char *role_arn, char account[INV_ACCOUNT_LEN + 1],
		       char partition[CRAWL_PARTITION_MAX]);

/* What a crawler needs of the configuration. */
struct crawl_settings {
	int refresh_s;                 /* 0: CRAWL_REFRESH_S_DEFAULT */
	int rate_per_s;                /* 0: CRAWL_RATE_DEFAULT */
	long history_days;             /* 0: INV_HISTORY_DAYS_DEFAULT */
	int max_inflight;              /* the engine's ([search]), for the
	                                * deadline estimate; 0: 1 */
	struct store_settings store;   /* [state]: strings copied */
	/* The wall clock for crawl times and ages; NULL: time(). */
	time_t (*now)(void *arg);
	void *now_arg;
};

struct crawler;

/*
 * A crawler over engine e (borrowed; must outlive the crawler). Nothing
 * is opened yet. Returns NULL with err set (bad settings, no memory);
 * free with crawl_free.
 */
struct crawler *crawl_new(const struct crawl_settings *s, struct search_engine *e,
			  struct si_err *err);

/* Free the crawler and close its store. The background thread must have
 * been joined (crawl_join returned 0) or never started. NULL is fine. */
void crawl_free(struct crawler *c);

/* --- one crawl, in the caller's thread ------------------------------------ */

/* Which targets (empty lists: all). Aliases and regions are compared
 * ASCII case-insensitively; region "global" names the global services'
 * targets, which a region list without it leaves out. */
struct crawl_filter {
	const char *const *accounts;
	size_t n_accounts;
	const char *const *regions;
	size_t n_regions;
};

/* One target's outcome, for the report callback; every pointer is valid
 * during the call only. */
struct crawl_report {
	const char *alias;
	const char *account;           /* 12 digits */
	const char *region;            /* "global" for a global service */
	const char *service;
	const char *error;             /* the listing failed ("Code: message",
	                                * recorded as the target's error, its
	                                * data kept), or NULL */
	const char *store_error;       /* the store refused the write (nothing
	                                * written), or NULL */
	struct inv_end_stats stats;    /* written: what changed */
	size_t rejected;               /* resources the store refused */
	long long elapsed_ms;          /* the search the target was in */
};

typedef void (*crawl_report_fn)(void *arg, const struct crawl_report *r);

struct crawl_totals {
	size_t targets;                /* crawled */
	size_t written;                /* complete crawls written */
	size_t failed;                 /* listing failed: error recorded */
	size_t store_failed;           /* the store refused the write */
	size_t skipped;                /* fresh (younger than refresh_s) */
	size_t held;                   /* claimed by another crawler, or
	                                * written by one since the due list
	                                * was read: not crawled, not reported
	                                * through crawl_report_fn */
	size_t resources, added, changed, gone, rejected;
	size_t searches;               /* search_run calls */
	size_t pruned;                 /* rows inv_prune deleted */
	long long elapsed_ms;
};

/*
 * Crawl the targets f selects (NULL: all) now: with force every one,
 * else those due (never tried, or last tried refresh_s ago or more);
 * either way only those this crawler claims (totals->held counts the
 * others).
 * fn (may be NULL) hears each target's outcome as it is written; totals
 * (may be NULL) is filled. Then prunes history older than history_days.
 * Returns 0 when the crawl ran (failed targets are in the reports), -1
 * with err set when it could not start: the store cannot be opened or
 * read, the account list cannot be had, no memory.
 */
int crawl_run(struct crawler *c, const struct crawl_filter *f, int force, crawl_report_fn fn,
	      void *arg, struct crawl_totals *totals, struct si_err *err);

/* --- the background thread -------------------------------------------------- */

/*
 * Start the thread: a crawl of the due targets at once, then again
 * whenever the first target falls due (at most every refresh_s, at least
 * 5 s apart), logging a line per cycle, per failed target and per store
 * state change (logfmt, stderr). A store that cannot be opened or written
 * is logged and tried again next cycle; nothing stops the thread but
 * crawl_stop. Returns 0, or -1 with err set.
 */
int crawl_start(struct crawler *c, struct si_err *err);

/* Ask the thread to stop: it leaves its wait at once, and a crawl after
 * its current search (nothing of that search is written). Returns at
 * once; safe when never started. */
void crawl_stop(struct crawler *c);

/*
 * Wait for the stopped thread until deadline_ms (si_mono_ms clock).
 * Returns 0 when it has ended (or never started), -1 when it is still in
 * a search at the deadline: the caller must then not free the crawler
 * (ending the process is safe: nothing half-written survives it).
 */
int crawl_join(struct crawler *c, long long deadline_ms);

/* --- one resource as the store takes it ------------------------------------ */

/* Room for an ARN built here: "arn:" + partition + ":ec2:" + region +
 * ":" + account + ":network-interface/" + id, all bounded far below. */
#define CRAWL_ARN_MAX 256

/* An inv_item and the storage it points into (the match's strings are
 * borrowed: the match must outlive the item). */
struct crawl_item {
	struct inv_item item;
	const char *addrs[INV_ADDRS_MAX];
	const char *dns[INV_DNS_MAX];
	const char *alt_ids[INV_ALT_IDS_MAX];
	struct inv_kv tags[INV_TAGS_MAX];
	char arn[CRAWL_ARN_MAX];
	char *card;                    /* owned: the card's JSON text */
};

/*
 * Fill out from match m found in account (12 digits) of partition
 * ("aws"): an instance (ARN built, Name tag, state, LaunchTime as created
 * and hold_start, a terminated one's StateTransitionReason time as
 * ended_at, every address and DNS name of its interfaces, their ids as
 * its other ids: the listing keeps no attached interface of its own), an
 * interface,
 * or a generic resource (the registry's fields), each with its card: the
 * struct as JSON (fields in order, relations, tags, addresses; for
 * generic resources also the type's summary and console link), so a
 * result can be shown from the index. Addresses and DNS names are
 * deduplicated and, like tags, cut at the store's caps; a card over
 * INV_CARD_MAX loses its relations, then is left out. Returns 0, or -1
 * with err set (no memory, a match without an id); clear out with
 * crawl_item_clear either way.
 */
int crawl_item_from_match(const struct search_match *m, const char *account,
			  const char *partition, struct crawl_item *out, struct si_err *err);

void crawl_item_clear(struct crawl_item *ci);

#endif
