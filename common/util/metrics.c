/*
 * metrics.c - shared counters and their text exposition (see metrics.h).
 */
#include "util/metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/buf.h"

/* Lock-free 64-bit atomics are address-free, so they work across the
 * processes sharing the mapping; a lock-based fallback would not. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int atomics must be lock-free");

/* Labels one series has at most (service, action, code). */
#define S_LABELS 3

/* Histogram bucket bounds of an AWS request's duration, in microseconds:
 * a warm call takes 10-100 ms, a cold one with TLS 100-500 ms, a retried
 * or throttled one seconds; 10 s is the [aws] default timeout. */
static const long long s_bounds_us[] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000
};
static const char *const s_bounds_text[] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"
};
#define S_BUCKETS (sizeof(s_bounds_us) / sizeof(s_bounds_us[0]))
/* A series' values: a counter uses v[0]; a histogram its buckets (not
 * cumulative; the last is +Inf) and then the sum in microseconds. Its
 * count is the buckets' total, so +Inf always equals it. */
#define S_VALUES (S_BUCKETS + 2)
#define S_SUM_US (S_BUCKETS + 1)

/* A series' state: free, being written by the process that claimed it,
 * ready (labels readable). */
enum { S_FREE = 0, S_WRITING = 1, S_READY = 2 };

struct s_series {
	atomic_uint state;
	char label[S_LABELS][METRICS_LABEL_MAX];
	atomic_ullong v[S_VALUES];
};

enum s_family {
	F_SEARCHES,
	F_FAILURES,
	F_AWS,
	F_AWS_SECONDS,
	F_STS,
	F_RESPONSE_URL,
	F_BUSY,
	F_COUNT
};

enum s_type { T_COUNTER, T_HISTOGRAM };

struct s_family_desc {
	const char *name;
	const char *help;
	enum s_type type;
	size_t n_labels;
	const char *labels[S_LABELS];
	size_t cap;             /* label sets before "other" */
	int fixed;              /* only metrics_add_account adds label sets */
};

static const struct s_family_desc s_families[F_COUNT] = {
	[F_SEARCHES] = { "slash_infra_searches_total",
			 "Searches answered, by outcome and how the answer was delivered.",
			 T_COUNTER, 2, { "outcome", "delivery" }, METRICS_SEARCHES_CAP, 0 },
	[F_FAILURES] = { "slash_infra_search_target_failures_total",
			 "Targets (account x region) a search could not search, by configured "
			 "account alias (other: any other account).",
			 T_COUNTER, 1, { "account" }, METRICS_ACCOUNTS_CAP, 1 },
	[F_AWS] = { "slash_infra_aws_requests_total",
		    "AWS requests (each attempt), by service, action and code (ok, the AWS "
		    "error code, Timeout, ConnectionError or HTTP<status>).",
		    T_COUNTER, 3, { "service", "action", "code" }, METRICS_AWS_REQUESTS_CAP, 0 },
	[F_AWS_SECONDS] = { "slash_infra_aws_request_duration_seconds",
			    "Duration of AWS requests (each attempt), by service.",
			    T_HISTOGRAM, 1, { "service" }, METRICS_AWS_SERVICES_CAP, 0 },
	[F_STS] = { "slash_infra_sts_refreshes_total",
		    "STS credential fetches (AssumeRole), by result.",
		    T_COUNTER, 1, { "result" }, METRICS_RESULTS_CAP, 0 },
	[F_RESPONSE_URL] = { "slash_infra_response_url_deliveries_total",
			     "Posts to Slack response_urls, by kind and result.",
			     T_COUNTER, 2, { "kind", "result" }, METRICS_RESULTS_CAP, 0 },
	[F_BUSY] = { "slash_infra_busy_refusals_total",
		     "Requests refused as busy, by where the limit was met.",
		     T_COUNTER, 1, { "where" }, METRICS_RESULTS_CAP, 0 },
};

/* Every family's table, then its "other" series, back to back. */
#define S_SERIES_TOTAL (METRICS_SEARCHES_CAP + METRICS_ACCOUNTS_CAP + METRICS_AWS_REQUESTS_CAP + \
			METRICS_AWS_SERVICES_CAP + 3 * METRICS_RESULTS_CAP + F_COUNT)

struct s_region {
	struct s_series series[S_SERIES_TOTAL];
	atomic_llong queue[METRICS_SLOTS_MAX];
	atomic_ullong replay_refused;
	atomic_llong inventory_ok_at;
};

/* The process's own region until metrics_share maps a shared one. */
static struct s_region s_local;
static struct s_region *s_m = &s_local;
static int s_shared;
static int s_slot;

/* Where family f's table starts in the region. */
static size_t s_offset(enum s_family f)
{
	size_t off = 0;

	for (int i = 0; i < (int)f; i++)
		off += s_families[i].cap + 1;
	return off;
}

int metrics_share(struct si_err *err)
{
	void *p;

	if (s_shared)
		return 0;
	p = mmap(NULL, sizeof(struct s_region), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return si_err_set(err, SI_ERR_NOMEM, "metrics: cannot map %zu bytes shared",
				  sizeof(struct s_region));
	/* Anonymous mappings are zero-filled: every counter starts at 0. */
	s_m = p;
	s_shared = 1;
	return 0;
}

void metrics_set_slot(int slot)
{
	s_slot = slot < 0 ? 0 : slot >= METRICS_SLOTS_MAX ? METRICS_SLOTS_MAX - 1 : slot;
	atomic_store_explicit(&s_m->queue[s_slot], 0, memory_order_relaxed);
}

/* A label value as it is kept: cut, bytes outside printable ASCII (other
 * than a line feed, which the format escapes) replaced, NULL as "". */
static void s_clean(char out[METRICS_LABEL_MAX], const char *in)
{
	size_t n = 0;

	for (; in != NULL && in[n] != '\0' && n < METRICS_LABEL_MAX - 1; n++) {
		unsigned char ch = (unsigned char)in[n];

		out[n] = ch == '\n' || (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	out[n] = '\0';
}

static uint32_t s_hash(char lv[S_LABELS][METRICS_LABEL_MAX], size_t n)
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		for (const char *p = lv[i];; p++) {
			h = (h ^ (unsigned char)*p) * 16777619u;
			if (*p == '\0')
				break;
		}
	return h;
}

static int s_same(const struct s_series *s, char lv[S_LABELS][METRICS_LABEL_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->label[i], lv[i]) != 0)
			return 0;
	return 1;
}

/* Why open addressing with a per-entry state and no lock: any process may
 * meet a new label set at any time, and the hot path must not wait on
 * another process (which may have died holding a lock). A new set claims
 * a free entry (FREE -> WRITING), writes its labels, then publishes it
 * (READY, release order: a reader that sees READY sees the labels). Two
 * processes meeting the same new set at once may each claim an entry;
 * metrics_render adds such twins together. An entry seen WRITING is
 * passed over. When no entry matches or is free within the table, the
 * family's "other" series counts. insert 0 (accounts): match only. */
static struct s_series *s_find(enum s_family f, char lv[S_LABELS][METRICS_LABEL_MAX],
			       int insert)
{
	const struct s_family_desc *d = &s_families[f];
	struct s_series *t = &s_m->series[s_offset(f)];
	size_t start = s_hash(lv, d->n_labels) % d->cap;

	for (size_t k = 0; k < d->cap; k++) {
		struct s_series *s = &t[(start + k) % d->cap];
		unsigned st = atomic_load_explicit(&s->state, memory_order_acquire);

		if (st == S_READY && s_same(s, lv, d->n_labels))
			return s;
		if (st != S_FREE || !insert)
			continue;
		if (!atomic_compare_exchange_strong_explicit(&s->state, &st, S_WRITING,
							     memory_order_acq_rel,
							     memory_order_acquire))
			continue;
		memcpy(s->label, lv, sizeof(s->label));
		atomic_store_explicit(&s->state, S_READY, memory_order_release);
		return s;
	}
	return &t[d->cap];
}

/* The series of f for up to three label values (unused ones NULL). */
static struct s_series *s_series(enum s_family f, const char *a, const char *b, const char *c,
				 int insert)
{
	char lv[S_LABELS][METRICS_LABEL_MAX];

	memset(lv, 0, sizeof(lv));
	s_clean(lv[0], a);
	s_clean(lv[1], b);
	s_clean(lv[2], c);
	return s_find(f, lv, insert);
}

static void s_inc(enum s_family f, const char *a, const char *b, const char *c)
{
	struct s_series *s = s_series(f, a, b, c, !s_families[f].fixed);

	atomic_fetch_add_explicit(&s->v[0], 1, memory_order_relaxed);
}

int metrics_add_account(const char *alias)
{
	const struct s_family_desc *d = &s_families[F_FAILURES];
	struct s_series *t = &s_m->series[s_offset(F_FAILURES)];

	return s_series(F_FAILURES, alias, NULL, NULL, 1) == &t[d->cap] ? -1 : 0;
}

void metrics_search(const char *outcome, const char *delivery)
{
	s_inc(F_SEARCHES, outcome, delivery, NULL);
}

void metrics_target_failure(const char *account)
{
	s_inc(F_FAILURES, account, NULL, NULL);
}

void metrics_aws_request(const char *service, const char *action, const char *code,
			 long long duration_us)
{
	struct s_series *h = s_series(F_AWS_SECONDS, service, NULL, NULL, 1);
	size_t b = 0;

	s_inc(F_AWS, service, action, code);
	if (duration_us < 0)
		duration_us = 0;
	while (b < S_BUCKETS && duration_us > s_bounds_us[b])
		b++;
	atomic_fetch_add_explicit(&h->v[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->v[S_SUM_US], (unsigned long long)duration_us,
				  memory_order_relaxed);
}

void metrics_sts_refresh(const char *result)
{
	s_inc(F_STS, result, NULL, NULL);
}

void metrics_response_url(const char *kind, const char *result)
{
	s_inc(F_RESPONSE_URL, kind, result, NULL);
}

void metrics_busy(const char *where)
{
	s_inc(F_BUSY, where, NULL, NULL);
}

void metrics_replay_refused(void)
{
	atomic_fetch_add_explicit(&s_m->replay_refused, 1, memory_order_relaxed);
}

void metrics_queue_depth(size_t n)
{
	atomic_store_explicit(&s_m->queue[s_slot], (long long)n, memory_order_relaxed);
}

void metrics_inventory_ok(time_t at)
{
	long long cur = atomic_load_explicit(&s_m->inventory_ok_at, memory_order_relaxed);

	while ((long long)at > cur &&
	       !atomic_compare_exchange_weak_explicit(&s_m->inventory_ok_at, &cur, (long long)at,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

void metrics_reset(void)
{
	memset(s_m, 0, sizeof(*s_m));
}

/* ---- the text exposition -------------------------------------------------- */

/* A label value, escaped as the format wants (\\, \", \n). */
static int s_put_value(struct si_buf *b, const char *v, struct si_err *err)
{
	char out[METRICS_LABEL_MAX * 2];
	size_t n = 0;

	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			out[n++] = '\\';
		out[n++] = *v == '\n' ? 'n' : *v;
	}
	return si_buf_append(b, out, n, err);
}

/* {name="value",...} with an optional extra le="..." (NULL: none); nothing
 * for a series without labels. */
static int s_put_labels(struct si_buf *b, const struct s_family_desc *d,
			char lv[S_LABELS][METRICS_LABEL_MAX], const char *le, struct si_err *err)
{
	if (d->n_labels == 0 && le == NULL)
		return 0;
	if (si_buf_puts(b, "{", err) != 0)
		return -1;
	for (size_t i = 0; i < d->n_labels; i++) {
		if (si_buf_printf(b, err, "%s%s=\"", i ? "," : "", d->labels[i]) != 0 ||
		    s_put_value(b, lv[i], err) != 0 || si_buf_puts(b, "\"", err) != 0)
			return -1;
	}
	if (le != NULL && si_buf_printf(b, err, "%sle=\"%s\"", d->n_labels ? "," : "", le) != 0)
		return -1;
	return si_buf_puts(b, "}", err);
}

/* One label set's lines: a counter's one, a histogram's buckets
 * (cumulative), sum and count. */
static int s_put_series(struct si_buf *b, const struct s_family_desc *d,
			char lv[S_LABELS][METRICS_LABEL_MAX], const unsigned long long *v,
			struct si_err *err)
{
	unsigned long long cum = 0;

	if (d->type == T_COUNTER) {
		if (si_buf_puts(b, d->name, err) != 0 || s_put_labels(b, d, lv, NULL, err) != 0)
			return -1;
		return si_buf_printf(b, err, " %llu\n", v[0]);
	}
	for (size_t i = 0; i <= S_BUCKETS; i++) {
		cum += v[i];
		if (si_buf_printf(b, err, "%s_bucket", d->name) != 0 ||
		    s_put_labels(b, d, lv, i < S_BUCKETS ? s_bounds_text[i] : "+Inf", err) != 0 ||
		    si_buf_printf(b, err, " %llu\n", cum) != 0)
			return -1;
	}
	if (si_buf_printf(b, err, "%s_sum", d->name) != 0 ||
	    s_put_labels(b, d, lv, NULL, err) != 0 ||
	    si_buf_printf(b, err, " %.6f\n", (double)v[S_SUM_US] / 1e6) != 0 ||
	    si_buf_printf(b, err, "%s_count", d->name) != 0 ||
	    s_put_labels(b, d, lv, NULL, err) != 0)
		return -1;
	return si_buf_printf(b, err, " %llu\n", cum);
}

/* By every label: a family's unused ones are "" in all its entries. */
static int s_cmp_series(const void *pa, const void *pb)
{
	const struct s_series *a = *(const struct s_series *const *)pa;
	const struct s_series *b = *(const struct s_series *const *)pb;

	for (size_t i = 0; i < S_LABELS; i++) {
		int c = strcmp(a->label[i], b->label[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

static void s_load(const struct s_series *s, unsigned long long *v)
{
	for (size_t i = 0; i < S_VALUES; i++)
		v[i] += atomic_load_explicit(&s->v[i], memory_order_relaxed);
}

/* Why sorted: a scrape's output is stable (diffable, testable) whatever
 * order the label sets were met in, and twin entries (two processes
 * claiming the same new set at once, s_find) end up side by side, where
 * they are added into one series. The sort works on a snapshot of the
 * ready entries' addresses; values are read after. "other" comes last,
 * and only once it counted something. The HELP and TYPE lines are
 * written even when no series is. */
static int s_put_family(struct si_buf *b, enum s_family f, struct si_err *err)
{
	const struct s_family_desc *d = &s_families[f];
	struct s_series *t = &s_m->series[s_offset(f)];
	struct s_series *ready[METRICS_ACCOUNTS_CAP > METRICS_AWS_REQUESTS_CAP
				       ? METRICS_ACCOUNTS_CAP : METRICS_AWS_REQUESTS_CAP];
	char other[S_LABELS][METRICS_LABEL_MAX];
	unsigned long long v[S_VALUES];
	size_t n = 0, i = 0;

	if (si_buf_printf(b, err, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name,
			  d->type == T_COUNTER ? "counter" : "histogram") != 0)
		return -1;
	for (size_t k = 0; k < d->cap; k++)
		if (atomic_load_explicit(&t[k].state, memory_order_acquire) == S_READY)
			ready[n++] = &t[k];
	qsort(ready, n, sizeof(*ready), s_cmp_series);
	while (i < n) {
		size_t j = i;

		memset(v, 0, sizeof(v));
		while (j < n && s_same(ready[j], ready[i]->label, d->n_labels))
			s_load(ready[j++], v);
		if (s_put_series(b, d, ready[i]->label, v, err) != 0)
			return -1;
		i = j;
	}
	memset(v, 0, sizeof(v));
	s_load(&t[d->cap], v);
	for (size_t k = 0; k < S_VALUES; k++)
		if (v[k] != 0) {
			for (size_t l = 0; l < S_LABELS; l++)
				memcpy(other[l], "other", sizeof("other"));
			return s_put_series(b, d, other, v, err);
		}
	return 0;
}

/* One unlabelled series with its HELP and TYPE lines; value as text. */
static int s_put_plain(struct si_buf *b, const char *name, const char *type, const char *help,
		       const char *value, struct si_err *err)
{
	return si_buf_printf(b, err, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name,
			     type, name, value);
}

/* The unlabelled series: refusals, and the gauges worked out now. */
static int s_put_plains(struct si_buf *b, time_t now, long long backlog, struct si_err *err)
{
	long long depth = 0, ok_at;
	char text[32];

	(void)snprintf(text, sizeof(text), "%llu",
		       atomic_load_explicit(&s_m->replay_refused, memory_order_relaxed));
	if (s_put_plain(b, "slash_infra_replay_refusals_total", "counter",
			"Slack requests refused as replays (a signature seen before).", text,
			err) != 0)
		return -1;
	for (size_t i = 0; i < METRICS_SLOTS_MAX; i++)
		depth += atomic_load_explicit(&s_m->queue[i], memory_order_relaxed);
	(void)snprintf(text, sizeof(text), "%lld", depth > 0 ? depth : 0);
	if (s_put_plain(b, "slash_infra_search_queue_depth", "gauge",
			"Searches waiting for a search thread, all workers.", text, err) != 0)
		return -1;
	if (backlog < 0)
		(void)snprintf(text, sizeof(text), "NaN");
	else
		(void)snprintf(text, sizeof(text), "%lld", backlog);
	if (s_put_plain(b, "slash_infra_journal_backlog", "gauge",
			"Acknowledged searches the state store still owes an answer, every "
			"host sharing it (NaN: no store).", text, err) != 0)
		return -1;
	ok_at = atomic_load_explicit(&s_m->inventory_ok_at, memory_order_relaxed);
	if (ok_at <= 0)
		(void)snprintf(text, sizeof(text), "NaN");
	else
		(void)snprintf(text, sizeof(text), "%lld",
			       (long long)now > ok_at ? (long long)now - ok_at : 0);
	return s_put_plain(b, "slash_infra_inventory_age_seconds", "gauge",
			   "Seconds since the inventory's latest complete crawl of a target "
			   "(NaN: none known).", text, err);
}

char *metrics_render(time_t now, long long backlog, size_t *len, struct si_err *err)
{
	struct si_buf b;
	char *out;

	si_buf_init(&b, METRICS_TEXT_MAX);
	for (int f = 0; f < F_COUNT; f++)
		if (s_put_family(&b, (enum s_family)f, err) != 0) {
			si_buf_free(&b, 0);
			return NULL;
		}
	if (s_put_plains(&b, now, backlog, err) != 0) {
		si_buf_free(&b, 0);
		return NULL;
	}
	*len = b.len;
	out = si_buf_steal(&b);
	if (out == NULL)
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return out;
}
