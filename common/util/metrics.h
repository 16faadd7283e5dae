/*
 * metrics.h - the service's counters, shared by every worker process, and
 * their Prometheus text exposition (format 0.0.4) for GET /metrics.
 *
 * Why shared memory: the supervisor forks --workers processes and a scrape
 * reaches one of them, so each counter lives in one fixed-size region
 * mapped MAP_SHARED|MAP_ANONYMOUS by the supervisor before it forks
 * (metrics_share); every worker counts into it and any one answers with
 * the whole service's totals, which also survive a worker's restart.
 * Without metrics_share (the CLI, unit tests) the region is this
 * process's own. Every counter is a 64-bit atomic bumped with relaxed
 * order: no lock on any hot path, and a scrape reads a consistent enough
 * picture (a counter is never seen going backwards).
 *
 * Why in util/: a counter is counted where the thing happens, in every
 * layer (aws/client.c counts AWS requests, the pool searches, the journal
 * its backlog), and util is the one layer every other may include. It
 * knows nothing of those layers: callers pass their own names as labels.
 *
 * Bounded label sets: each labelled series family has a fixed table (its
 * cap below); a label set met for the first time takes a free entry
 * (lock-free: claimed with a compare-and-swap); once the table is full,
 * new label sets count in the family's one "other" series (every label
 * "other"). Label values are cut at METRICS_LABEL_MAX - 1 bytes and bytes
 * outside printable ASCII become '?' (line feeds are kept and escaped),
 * so a hostile AWS endpoint's error code can neither grow the region nor
 * break the text. Accounts are not learnt at all: only aliases added with
 * metrics_add_account (the configuration's) get a series; failures of any
 * other account (discovered ones) count as "other".
 *
 * The series (HELP and TYPE lines in the output say the same):
 *   slash_infra_searches_total{outcome,delivery}            counter
 *   slash_infra_search_target_failures_total{account}       counter
 *   slash_infra_aws_requests_total{service,action,code}     counter
 *   slash_infra_aws_request_duration_seconds{service}       histogram
 *   slash_infra_sts_refreshes_total{result}                 counter
 *   slash_infra_response_url_deliveries_total{kind,result}  counter
 *   slash_infra_busy_refusals_total{where}                  counter
 *   slash_infra_replay_refusals_total                       counter
 *   slash_infra_search_queue_depth                          gauge
 *   slash_infra_journal_backlog                             gauge
 *   slash_infra_inventory_age_seconds                       gauge
 */
#ifndef SI_METRICS_H
#define SI_METRICS_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* The Content-Type of the text exposition format this module writes. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Longest label value kept, NUL included: AWS action names and error
 * codes ("InvalidClientTokenId", "RequestLimitExceeded") and account
 * aliases are far shorter; a longer value is cut. */
#define METRICS_LABEL_MAX 64

/* Label sets each family holds before "other": all outcome x delivery
 * pairs (7 x 4); a 500-account configuration; every service x action x
 * code a search meets (9 services, ~40 actions, a handful of codes each);
 * every service; a few results, kinds and places. */
#define METRICS_SEARCHES_CAP 32
#define METRICS_ACCOUNTS_CAP 512
#define METRICS_AWS_REQUESTS_CAP 512
#define METRICS_AWS_SERVICES_CAP 32
#define METRICS_RESULTS_CAP 16

/* Worker processes with a queue-depth gauge of their own: the worker's
 * --workers maximum (fcgi/main.c MAIN_WORKERS_MAX). */
#define METRICS_SLOTS_MAX 64

/* The longest /metrics text: every table full with long labels stays
 * under a quarter of this. */
#define METRICS_TEXT_MAX ((size_t)2 * 1024 * 1024)

/* Map the counters shared (MAP_SHARED|MAP_ANONYMOUS), zeroed, so that
 * processes forked afterwards count into the same region. Call once, in
 * the supervisor, before it forks and before any thread starts; a second
 * call does nothing. 0, or -1 with err (the process then keeps counting
 * into its own region, and a scrape shows only the worker it reaches). */
int metrics_share(struct si_err *err);

/* This process is worker slot (0..METRICS_SLOTS_MAX-1; larger ones share
 * the last): its queue-depth gauge starts at 0 (a dead predecessor's
 * value is dropped). Call in the worker before its threads start. */
void metrics_set_slot(int slot);

/* Give account alias a failure series (at 0 until counted). Idempotent.
 * 0, or -1 when the table is full (the alias then counts as "other"). */
int metrics_add_account(const char *alias);

/* One search answered: outcome and delivery as the audit line names them
 * (audit.h: "ok", "not_found", ...; "inline", "deferred", ...). */
void metrics_search(const char *outcome, const char *delivery);

/* One failed target (account x region) of a search, by account alias. */
void metrics_target_failure(const char *account);

/* One finished AWS request (each attempt): the signing name ("ec2"), the
 * action, code "ok" or what failed (the AWS error code, "Timeout",
 * "ConnectionError", "HTTP503"), and its duration in microseconds. */
void metrics_aws_request(const char *service, const char *action, const char *code,
			 long long duration_us);

/* One STS credential fetch ended: result "ok" or "error". */
void metrics_sts_refresh(const char *result);

/* One response_url delivery: kind ("final", "fallback", "pending",
 * "interactive") and result ("delivered", "failed", ...). */
void metrics_response_url(const char *kind, const char *result);

/* One request refused as busy: where ("door", "search_queue",
 * "posts_queue"). */
void metrics_busy(const char *where);

/* One Slack request refused as a replay. */
void metrics_replay_refused(void);

/* This process's search queue now holds n jobs (the gauge is the sum over
 * the worker slots). */
void metrics_queue_depth(size_t n);

/* An inventory target was crawled in full at `at` (wall clock); the age
 * gauge counts from the latest such time. Earlier times are ignored, 0
 * too. */
void metrics_inventory_ok(time_t at);

/* The text exposition of every series at now (the wall clock, for the
 * inventory's age); backlog is the journal's, counted in the state store
 * by the caller (journal_pending: util does not reach the store), < 0
 * when unknown (printed NaN). Returns a malloc'd NUL-terminated string the caller
 * frees, its length in *len; NULL with err on OOM or past
 * METRICS_TEXT_MAX. */
char *metrics_render(time_t now, long long backlog, size_t *len, struct si_err *err);

/* Zero every counter and table of the current region. For tests only: not
 * safe while anything else counts. */
void metrics_reset(void);

#endif
