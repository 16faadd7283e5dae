/*
 * index.c - the search asks the inventory first (decisions in index.h).
 *
 * Three steps around the live search: idx_prepare narrows the spec and
 * collects history, idx_finish adds what only the inventory knew, idx_run
 * does both around search_run. The store's failures never reach the
 * caller: they turn the index off for that search and are logged once.
 */
#include "index.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "search/registry.h"
#include "util/clock.h"
#include "util/logfmt.h"
#include "util/strutil.h"

/* The region the inventory files global services (Route 53) under. */
#define S_GLOBAL "global"

/* Targets named per term in the note before "+N more": the reader needs
 * to see where the search went, not a list. */
#define S_NOTE_TARGETS 3

/* Logged health: not yet logged, answering, failing. */
enum { S_LOGGED_NONE = -1, S_LOGGED_OK = 0, S_LOGGED_FAILED = 1 };

/* How a term is looked up (index.h says why each is treated so). */
enum s_class {
	S_NONE = 0,   /* searched live everywhere, as before */
	S_UNIQUE,     /* an identifier one resource has */
	S_ADDR,       /* an address: several holders are normal */
	S_NAME        /* a Name: narrowed, or answered by the inventory alone */
};

/* Account ids are 12 digits. */
#define S_ACCOUNT_ID_SIZE 13

/* Role ARNs already read, kept across searches (s_arn_account): slots of
 * an open-addressing table, a power of two, at most half full, so 4,096
 * accounts stay cached; more empties it and it fills again. */
#define S_IDS_SLOTS 8192

/* One role ARN and the account id it names. */
struct s_id_slot {
	char *arn;                   /* NULL: free */
	char id[S_ACCOUNT_ID_SIZE];
};

struct idx {
	pthread_mutex_t lock;        /* opening; st once set is fixed */
	struct store *st;            /* NULL until opened */
	int owned;                   /* st is ours to close */
	char *path, *url;            /* owned settings (url is secret) */
	long busy_timeout_ms;
	time_t next_open;            /* no open attempt before this */
	atomic_int logged;
	pthread_mutex_t ids_lock;    /* ids and n_ids */
	struct s_id_slot *ids;       /* S_IDS_SLOTS, allocated at first use */
	size_t n_ids;
};

/* One configured account, with the id its role ARN names. */
struct s_acct {
	char id[S_ACCOUNT_ID_SIZE];
	const struct si_account *a;
};

/* The accounts of the search, by id (built at the first need). */
struct s_map {
	struct idx *ix;              /* its cache of role ARNs */
	struct s_acct *v;
	size_t n;
	int built;
};

/* --- the store ------------------------------------------------------------ */

/* Log a change of the index's health once: failing (with why), answering
 * again. The first success is not news. */
static void s_log_health(struct idx *ix, int want, const char *reason)
{
	int was = atomic_exchange(&ix->logged, want);
	struct logfmt l;

	if (was == want || (was == S_LOGGED_NONE && want == S_LOGGED_OK))
		return;
	logfmt_begin(&l, want == S_LOGGED_OK ? "info" : "warn");
	logfmt_str(&l, "msg", want == S_LOGGED_OK ? "inventory answering again"
						  : "inventory unavailable: searching live");
	if (want != S_LOGGED_OK)
		logfmt_str(&l, "reason", reason);
	logfmt_emit(&l, stderr);
}

/* Forget every role ARN read (s_arn_account). */
static void s_ids_clear(struct idx *ix)
{
	for (size_t i = 0; ix->ids != NULL && i < S_IDS_SLOTS; i++) {
		free(ix->ids[i].arn);
		ix->ids[i].arn = NULL;
	}
	ix->n_ids = 0;
}

static struct idx *s_idx_alloc(struct si_err *err)
{
	struct idx *ix = si_zalloc(sizeof(*ix), err);

	if (ix == NULL)
		return NULL;
	pthread_mutex_init(&ix->lock, NULL);
	pthread_mutex_init(&ix->ids_lock, NULL);
	atomic_init(&ix->logged, S_LOGGED_NONE);
	return ix;
}

struct idx *idx_new(const struct store_settings *s, struct si_err *err)
{
	struct idx *ix;

	if (s == NULL) {
		si_err_set(err, SI_ERR_INVALID, "index: no state store settings");
		return NULL;
	}
	ix = s_idx_alloc(err);
	if (ix == NULL)
		return NULL;
	ix->owned = 1;
	ix->busy_timeout_ms = s->busy_timeout_ms;
	ix->path = si_strdup_opt(s->path != NULL && s->path[0] ? s->path : NULL);
	ix->url = si_strdup_opt(s->url != NULL && s->url[0] ? s->url : NULL);
	if ((s->path != NULL && s->path[0] && ix->path == NULL) ||
	    (s->url != NULL && s->url[0] && ix->url == NULL)) {
		idx_free(ix);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return ix;
}

struct idx *idx_new_store(struct store *st, struct si_err *err)
{
	struct idx *ix = s_idx_alloc(err);

	if (ix != NULL)
		ix->st = st;
	return ix;
}

void idx_free(struct idx *ix)
{
	if (ix == NULL)
		return;
	if (ix->owned)
		store_close(ix->st);
	free(ix->path);
	si_secret_free(ix->url);
	s_ids_clear(ix);
	free(ix->ids);
	pthread_mutex_destroy(&ix->lock);
	pthread_mutex_destroy(&ix->ids_lock);
	free(ix);
}

/* The store, opened now if it is ours and due (a failure waits
 * IDX_REOPEN_S before the next try, and is logged once). */
static struct store *s_store(struct idx *ix, time_t now)
{
	struct store_settings set = { 0 };
	struct store *st;
	struct si_err err;

	pthread_mutex_lock(&ix->lock);
	st = ix->st;
	if (st != NULL || !ix->owned || now < ix->next_open) {
		pthread_mutex_unlock(&ix->lock);
		return st;
	}
	set.path = ix->path;
	set.url = ix->url;
	set.busy_timeout_ms = ix->busy_timeout_ms;
	st = store_open(&set, &err);
	if (st == NULL)
		ix->next_open = now + IDX_REOPEN_S;
	ix->st = st;
	pthread_mutex_unlock(&ix->lock);
	if (st == NULL)
		s_log_health(ix, S_LOGGED_FAILED, err.msg);
	return st;
}

/* 1 when the inventory holds at least one target, 0 when empty, -1 on a
 * store error (err set). */
static int s_has_data(struct store *st, struct si_err *err)
{
	struct inv_status_list l;
	int any;

	if (inv_status(st, 1, &l, err) != 0)
		return -1;
	any = l.n > 0;
	inv_status_list_free(&l);
	return any;
}

/* --- accounts ------------------------------------------------------------- */

/* FNV-1a: role ARNs are short and not chosen by an attacker. */
static size_t s_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/*
 * The account id role ARN arn names, into out ("" when it names none),
 * read by the one ARN parser there is (query_classify: an IAM role is an
 * ARN of a type we do not search, but its account field is read all the
 * same). Why a cache: that parser builds a user's explanation as well,
 * ~8 µs an ARN, 8 ms for an organisation of 1,000 accounts on every
 * search the index answers; a table lookup is ~0.1 µs. The cache only
 * holds copies, so a discovery refresh freeing its accounts cannot leave
 * it pointing anywhere.
 */
static void s_arn_account(struct idx *ix, struct query_term *qt, const char *arn,
			  char out[S_ACCOUNT_ID_SIZE])
{
	size_t i;

	out[0] = '\0';
	pthread_mutex_lock(&ix->ids_lock);
	if (ix->ids == NULL)
		ix->ids = calloc(S_IDS_SLOTS, sizeof(*ix->ids));
	for (i = s_hash(arn) & (S_IDS_SLOTS - 1); ix->ids != NULL && ix->ids[i].arn != NULL;
	     i = (i + 1) & (S_IDS_SLOTS - 1)) {
		if (strcmp(ix->ids[i].arn, arn) == 0) {
			memcpy(out, ix->ids[i].id, S_ACCOUNT_ID_SIZE);
			pthread_mutex_unlock(&ix->ids_lock);
			return;
		}
	}
	(void)query_classify(arn, qt);
	snprintf(out, S_ACCOUNT_ID_SIZE, "%s", qt->account_id);
	if (ix->ids != NULL && ix->n_ids >= S_IDS_SLOTS / 2) {
		s_ids_clear(ix);
		for (i = s_hash(arn) & (S_IDS_SLOTS - 1); ix->ids[i].arn != NULL;
		     i = (i + 1) & (S_IDS_SLOTS - 1))
			;
	}
	if (ix->ids != NULL && (ix->ids[i].arn = strdup(arn)) != NULL) {
		memcpy(ix->ids[i].id, out, S_ACCOUNT_ID_SIZE);
		ix->n_ids++;
	}
	pthread_mutex_unlock(&ix->ids_lock);
}

/* The map of the search's accounts by id (s_arn_account). */
static int s_map_build(struct s_map *m, const struct search_accounts *accs)
{
	struct query_term *qt;

	if (m->built)
		return m->v != NULL || accs->n == 0 ? 0 : -1;
	m->built = 1;
	if (accs->n == 0 || m->ix == NULL)
		return 0;
	m->v = calloc(accs->n, sizeof(*m->v));
	qt = malloc(sizeof(*qt));
	if (m->v == NULL || qt == NULL) {
		free(m->v);
		free(qt);
		m->v = NULL;
		return -1;
	}
	for (size_t i = 0; i < accs->n; i++) {
		const struct si_account *a = accs->v[i];

		s_arn_account(m->ix, qt, a->role_arn != NULL ? a->role_arn : "", m->v[m->n].id);
		if (m->v[m->n].id[0] != '\0')
			m->v[m->n++].a = a;
	}
	free(qt);
	return 0;
}

static const struct si_account *s_map_find(const struct s_map *m, const char *id)
{
	for (size_t i = 0; i < m->n && id != NULL; i++)
		if (strcmp(m->v[i].id, id) == 0)
			return m->v[i].a;
	return NULL;
}

/* Is region one the live search would ask in a (a configured region of
 * the account, within region:)? "global" is any of them. */
static int s_region_ok(const struct si_account *a, const struct search_spec *spec,
		       const char *region)
{
	for (size_t r = 0; r < a->n_regions; r++) {
		if (!si_in_list_ci(a->regions[r], spec->regions, spec->n_regions))
			continue;
		if (strcmp(region, S_GLOBAL) == 0 || strcmp(region, a->regions[r]) == 0)
			return 1;
	}
	return 0;
}

/* The configured account of (account_id, region) when this request may
 * see it: the same filters as the live search (index.h, Access). */
static const struct si_account *s_visible(struct idx_search *xs,
					  const struct search_accounts *accs,
					  const char *account_id, const char *region)
{
	struct s_map *m = xs->priv;
	const struct si_account *a;

	if (m == NULL || account_id == NULL || region == NULL || s_map_build(m, accs) != 0)
		return NULL;
	a = s_map_find(m, account_id);
	if (a == NULL || !si_in_list_ci(a->alias, xs->spec.accounts, xs->spec.n_accounts))
		return NULL;
	return s_region_ok(a, &xs->spec, region) ? a : NULL;
}

/* --- terms ---------------------------------------------------------------- */

static enum s_class s_class_of(const struct search_term *t)
{
	switch (t->kind) {
	case SEARCH_TERM_INSTANCE_ID:
	case SEARCH_TERM_ENI_ID:
	case SEARCH_TERM_ID:
	case SEARCH_TERM_ARN:
		return S_UNIQUE;
	case SEARCH_TERM_HOST:
		/* a load balancer or RDS name; Route 53 chains cross accounts */
		return t->type != NULL ? S_UNIQUE : S_NONE;
	case SEARCH_TERM_IPV4:
	case SEARCH_TERM_IPV6:
	case SEARCH_TERM_PRIVATE_DNS:
	case SEARCH_TERM_PUBLIC_DNS:
		return S_ADDR;
	case SEARCH_TERM_NAME:
		return S_NAME;
	default:
		return S_NONE;
	}
}

/* Does row r fit term t's own narrowing (an ARN's account and region, an
 * EC2 name's region) and the request's filters? */
static int s_row_fits(struct idx_search *xs, const struct search_accounts *accs,
		      const struct search_term *t, const struct inv_res *r)
{
	if (t->account_id != NULL && strcmp(t->account_id, r->account) != 0)
		return 0;
	if (t->region != NULL && strcmp(r->region, S_GLOBAL) != 0 &&
	    strcmp(t->region, r->region) != 0)
		return 0;
	return s_visible(xs, accs, r->account, r->region) != NULL;
}

/* Is row k of per a holder the term may be narrowed to? Addresses: only
 * present holders (index.h). */
static int s_narrows(const struct idx_term *per, enum s_class cls, size_t k)
{
	const struct inv_res *r = &per->found.items[k];

	return per->ok[k] && (cls == S_UNIQUE || ((cls == S_ADDR || cls == S_NAME) &&
						    r->gone_at == 0));
}

/* Rows k and i of per are in the same target. */
static int s_same_target(const struct idx_term *per, size_t k, size_t i)
{
	const struct inv_res *a = &per->found.items[k], *b = &per->found.items[i];

	return strcmp(a->account, b->account) == 0 && strcmp(a->region, b->region) == 0;
}

/* Distinct targets of the rows per may be narrowed to. */
static size_t s_count_targets(const struct idx_term *per, enum s_class cls)
{
	size_t n = 0;

	for (size_t k = 0; k < per->found.n; k++) {
		size_t i = 0;

		if (!s_narrows(per, cls, k))
			continue;
		while (i < k && !(s_narrows(per, cls, i) && s_same_target(per, k, i)))
			i++;
		n += i == k;
	}
	return n;
}

/* Append text to the note (cut when full: the note is a courtesy). */
__attribute__((format(printf, 2, 3)))
static void s_note(struct idx_search *xs, const char *fmt, ...)
{
	size_t used = strlen(xs->note);
	va_list ap;

	if (used + 1 >= sizeof(xs->note))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(xs->note + used, sizeof(xs->note) - used, fmt, ap);
	va_end(ap);
}

/* "i-0abc → production/eu-west-2, staging/eu-west-1 +2 more". */
static void s_note_narrowed(struct idx_search *xs, const struct search_term *t,
			    const struct idx_term *per, enum s_class cls,
			    const struct search_accounts *accs)
{
	size_t named = 0;

	s_note(xs, "%s%s \xe2\x86\x92 ", xs->note[0] != '\0' ? "; " : "Searched only where "
	       "the inventory places it: ", t->value);
	for (size_t k = 0; k < per->found.n; k++) {
		const struct inv_res *r = &per->found.items[k];
		const struct si_account *a;
		size_t i = 0;

		if (!s_narrows(per, cls, k))
			continue;
		while (i < k && !(s_narrows(per, cls, i) && s_same_target(per, k, i)))
			i++;
		if (i < k)
			continue;
		if (named == S_NOTE_TARGETS) {
			s_note(xs, " +%zu more", per->n_targets - named);
			return;
		}
		a = s_visible(xs, accs, r->account, r->region);
		s_note(xs, "%s%s/%s", named ? ", " : "", a != NULL ? a->alias : r->account,
		       r->region);
		named++;
	}
}

/* --- history -------------------------------------------------------------- */

static int s_dup(char **dst, const char *src)
{
	*dst = si_strdup_opt(src);
	return src != NULL && *dst == NULL ? -1 : 0;
}

/* Copy one stretch, with its account's alias. */
static int s_hold_copy(struct search_hold *d, const struct inv_hold *h, const char *alias)
{
	memset(d, 0, sizeof(*d));
	d->from = h->from;
	d->to = h->to;
	d->from_exact = h->from_exact;
	d->to_exact = h->to_exact;
	if (s_dup(&d->addr, h->addr) != 0 || s_dup(&d->type, h->type) != 0 ||
	    s_dup(&d->id, h->id) != 0 || s_dup(&d->name, h->name) != 0 ||
	    s_dup(&d->account_alias, alias) != 0 || s_dup(&d->account_id, h->account) != 0 ||
	    s_dup(&d->region, h->region) != 0 || s_dup(&d->end_reason, h->end_reason) != 0) {
		search_hold_clear(d);
		return -1;
	}
	return 0;
}

/* A new, empty history entry for subject at the end of xs's list. */
static struct search_history *s_history_add(struct idx_search *xs, const char *subject,
					    int of_resource, size_t cap)
{
	struct search_history *v, *h;

	v = realloc(xs->history, (xs->n_history + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	xs->history = v;
	h = &v[xs->n_history];
	memset(h, 0, sizeof(*h));
	h->subject = strdup(subject);
	h->holds = calloc(cap ? cap : 1, sizeof(*h->holds));
	if (h->subject == NULL || h->holds == NULL) {
		free(h->subject);
		free(h->holds);
		return NULL;
	}
	h->of_resource = of_resource;
	xs->n_history++;
	return h;
}

/* Add to h the stretches of l this request may see and that want() keeps
 * (NULL: all). Returns -1 on no memory. */
static int s_holds_add(struct idx_search *xs, const struct search_accounts *accs,
		       struct search_history *h, size_t cap, const struct inv_hold_list *l,
		       time_t at)
{
	for (size_t i = 0; i < l->n && h->n_holds < cap; i++) {
		const struct inv_hold *s = &l->items[i];
		const struct si_account *a = s_visible(xs, accs, s->account, s->region);

		if (a == NULL)
			continue;
		if (at != 0 && !(s->from <= at && (s->to == 0 || at < s->to)))
			continue;
		if (s_hold_copy(&h->holds[h->n_holds], s, a->alias) != 0)
			return -1;
		h->n_holds++;
	}
	h->truncated |= l->truncated;
	return 0;
}

/* Any stretch of l that ended and that the request may see? */
static int s_has_past(struct idx_search *xs, const struct search_accounts *accs,
		      const struct inv_hold_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].to != 0 &&
		    s_visible(xs, accs, l->items[i].account, l->items[i].region) != NULL)
			return 1;
	return 0;
}

/* The history of an address (who held it) or of an instance or interface
 * (the addresses it held), when it has a past the request may see. */
static int s_history(struct idx_search *xs, const struct search_accounts *accs,
		     struct store *st, const struct search_term *t, struct si_err *err)
{
	struct inv_hold_list l;
	struct search_history *h;
	int of_resource = t->kind == SEARCH_TERM_INSTANCE_ID || t->kind == SEARCH_TERM_ENI_ID;
	int rc = 0;

	if (!of_resource && t->kind != SEARCH_TERM_IPV4 && t->kind != SEARCH_TERM_IPV6)
		return 0;
	if (inv_history(st, t->value, IDX_HISTORY_MAX, &l, err) != 0)
		return -1;
	if (s_has_past(xs, accs, &l)) {
		h = s_history_add(xs, t->value, of_resource, l.n);
		if (h == NULL || s_holds_add(xs, accs, h, l.n, &l, 0) != 0)
			rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	inv_hold_list_free(&l);
	return rc;
}

/* --- preparing ------------------------------------------------------------ */

static void s_per_free(struct idx_term *per)
{
	inv_res_list_free(&per->found);
	free(per->ok);
	per->ok = NULL;
}

/* Where a Name is looked for: the term's or the request's one account
 * and one region, when it names just one (account:, region:, a channel
 * allowed one account); else anywhere (the rows are filtered after). */
static void s_name_scope(struct idx_search *xs, const struct search_accounts *accs,
			 const struct search_term *t, struct inv_scope *sc)
{
	struct s_map *m = xs->priv;

	sc->account = t->account_id;
	sc->region = t->region;
	if (sc->account == NULL && xs->spec.n_accounts == 1 && m != NULL &&
	    s_map_build(m, accs) == 0)
		for (size_t i = 0; i < m->n && sc->account == NULL; i++)
			if (strcasecmp(m->v[i].a->alias, xs->spec.accounts[0]) == 0)
				sc->account = m->v[i].id;
	if (sc->region == NULL && xs->spec.n_regions == 1)
		sc->region = xs->spec.regions[0];
}

/* Look term i up and mark the rows the request may see. */
static int s_lookup(struct idx_search *xs, const struct search_accounts *accs,
		    struct store *st, const struct search_term *t, struct idx_term *per,
		    enum s_class cls, struct si_err *err)
{
	int rc;

	if (cls == S_NAME) {
		struct inv_scope sc;

		s_name_scope(xs, accs, t, &sc);
		rc = inv_lookup_name_in(st, t->name_lc != NULL ? t->name_lc : t->value, &sc,
					IDX_NAME_MAX, &per->found, err);
	} else {
		rc = inv_lookup_ident(st, t->value, IDX_LOOKUP_MAX, &per->found, err);
	}
	if (rc != 0)
		return -1;
	per->ok = calloc(per->found.n ? per->found.n : 1, 1);
	if (per->ok == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < per->found.n; k++)
		per->ok[k] = (unsigned char)s_row_fits(xs, accs, t, &per->found.items[k]);
	return 0;
}

/* The account's first region the live search may ask (a configured
 * region within region:), where the engine plans its global types. */
static const char *s_first_region(const struct si_account *a, const struct search_spec *spec)
{
	for (size_t r = 0; a != NULL && r < a->n_regions; r++)
		if (si_in_list_ci(a->regions[r], spec->regions, spec->n_regions))
			return a->regions[r];
	return NULL;
}

/* Copy k of term t, for row r: its account and region. A row of a global
 * service (Route 53, region "global") is asked of that type only, once,
 * in the account's first region: the engine plans a global type from the
 * account's first target, and the regional types have nothing to add. */
static void s_copy_term(struct idx_search *xs, const struct search_accounts *accs,
			struct search_term *copy, const struct search_term *t,
			const struct inv_res *r)
{
	const struct rt_type *gt;

	*copy = *t;
	copy->account_id = r->account;
	if (strcmp(r->region, S_GLOBAL) != 0) {
		copy->region = r->region;
		return;
	}
	gt = rt_by_name(r->type);
	if (gt != NULL && gt->global && copy->type == NULL)
		copy->type = gt;
	if (copy->region == NULL)
		copy->region = s_first_region(s_visible(xs, accs, r->account, r->region),
					      &xs->spec);
}

/* The spec to run: the terms the index did not narrow first, in their
 * order (the engine resolves the first SEARCH_HOST_TERMS host names by
 * position), then one copy of each narrowed term per target it names
 * (s_copy_term). */
static void s_build_spec(struct idx_search *xs, const struct search_accounts *accs,
			 const struct search_spec *spec)
{
	size_t n = 0;

	for (size_t i = 0; i < spec->n_terms; i++)
		if (i >= xs->n_per || (!xs->per[i].narrowed && !xs->per[i].index_only))
			xs->terms[n++] = spec->terms[i];
	for (size_t i = 0; i < xs->n_per; i++) {
		const struct idx_term *per = &xs->per[i];
		enum s_class cls = s_class_of(&spec->terms[i]);

		for (size_t k = 0; per->narrowed && k < per->found.n; k++) {
			const struct inv_res *r = &per->found.items[k];
			size_t p = 0;

			if (!s_narrows(per, cls, k))
				continue;
			while (p < k && !(s_narrows(per, cls, p) && s_same_target(per, k, p)))
				p++;
			if (p < k || n >= IDX_TERMS_MAX)
				continue;
			s_copy_term(xs, accs, &xs->terms[n++], &spec->terms[i], r);
		}
	}
	xs->spec.terms = xs->terms;
	xs->spec.n_terms = n;
}

/* Where a Name goes (index.h): its present holders' targets when they
 * are few and all were listed, the inventory's answer alone when they
 * are more, live everywhere when the inventory knows none. */
static void s_name_route(struct idx_search *xs, const struct search_accounts *accs,
			 const struct search_term *t, struct idx_term *per)
{
	size_t shown = 0;

	for (size_t k = 0; k < per->found.n; k++)
		shown += s_narrows(per, S_NAME, k);
	if (per->n_targets == 0)
		return;
	if (per->n_targets <= IDX_TARGETS_PER_TERM && !per->found.truncated) {
		per->narrowed = 1;
		s_note_narrowed(xs, t, per, S_NAME, accs);
		return;
	}
	per->index_only = 1;
	if (per->found.truncated)
		s_note(xs, "%s\"%s\": more than %d resources of that name, from the inventory "
		       "(each with its age), not asked of AWS; the first %zu present shown: "
		       "narrow with account: or region:", xs->note[0] ? "; " : "", t->value,
		       IDX_NAME_MAX, shown);
	else
		s_note(xs, "%s\"%s\": %zu present resources of that name in %zu "
		       "account-regions, from the inventory (each with its age), not asked of "
		       "AWS", xs->note[0] ? "; " : "", t->value, shown, per->n_targets);
}

/* Look every term up; narrow the exact ones the inventory places and the
 * Names it holds; gather the history of addresses and instances. Returns
 * -1 on a store error. */
static int s_prepare_live(struct idx_search *xs, const struct search_accounts *accs,
			  struct store *st, const struct search_spec *spec, struct si_err *err)
{
	for (size_t i = 0; i < xs->n_per; i++) {
		const struct search_term *t = &spec->terms[i];
		struct idx_term *per = &xs->per[i];
		enum s_class cls = s_class_of(t);

		if (cls == S_NONE)
			continue;
		if (s_lookup(xs, accs, st, t, per, cls, err) != 0)
			return -1;
		if (cls == S_NAME) {
			per->n_targets = s_count_targets(per, cls);
			s_name_route(xs, accs, t, per);
		} else {
			per->n_targets = s_count_targets(per, cls);
			per->narrowed = per->n_targets > 0 &&
					per->n_targets <= IDX_TARGETS_PER_TERM;
			if (per->narrowed)
				s_note_narrowed(xs, t, per, cls, accs);
			else if (per->n_targets > 0)
				s_note(xs, "%s%s is in more than %d account-regions in the "
				       "inventory: searched everywhere", xs->note[0] ? "; " : "",
				       t->value, IDX_TARGETS_PER_TERM);
		}
		if (s_history(xs, accs, st, t, err) != 0)
			return -1;
	}
	s_build_spec(xs, accs, spec);
	return 0;
}

/* Did resource r exist at at: from its creation (or first sighting) to
 * its end (or the crawl that missed it)? */
static int s_existed(const struct inv_res *r, time_t at)
{
	time_t from = r->created != 0 ? r->created : r->first_seen;
	time_t to = r->ended_at != 0 ? r->ended_at : r->gone_at;

	return from <= at && (to == 0 || at < to);
}

/* A hold for r's life (no address): it existed at the moment asked. */
static int s_life_hold(struct search_history *h, const struct inv_res *r, const char *alias)
{
	struct inv_hold life;

	memset(&life, 0, sizeof(life));
	life.type = r->type;
	life.id = r->id;
	life.name = r->name;
	life.account = r->account;
	life.region = r->region;
	life.from = r->created != 0 ? r->created : r->first_seen;
	life.from_exact = r->created != 0;
	life.to = r->ended_at != 0 ? r->ended_at : r->gone_at;
	life.to_exact = r->ended_at != 0;
	life.end_reason = r->ended_at != 0 ? "terminated" : r->gone_at != 0 ? "gone" : NULL;
	if (s_hold_copy(&h->holds[h->n_holds], &life, alias) != 0)
		return -1;
	h->n_holds++;
	return 0;
}

/* at: for an exact identifier: each resource the inventory holds for it
 * that existed then, with the addresses it held at that moment (or its
 * life, when it held none). */
static int s_at_ident(struct idx_search *xs, const struct search_accounts *accs,
		      struct store *st, const struct search_term *t,
		      struct search_history *h, struct si_err *err)
{
	struct inv_res_list l;
	int rc = 0;

	if (inv_lookup_ident(st, t->value, IDX_LOOKUP_MAX, &l, err) != 0)
		return -1;
	for (size_t k = 0; k < l.n && rc == 0 && h->n_holds < IDX_HISTORY_MAX; k++) {
		const struct inv_res *r = &l.items[k];
		struct inv_hold_list hl;
		size_t before = h->n_holds;
		const struct si_account *a;

		a = s_visible(xs, accs, r->account, r->region);
		if (a == NULL || !s_row_fits(xs, accs, t, r) || !s_existed(r, xs->at))
			continue;
		if (inv_history(st, r->arn != NULL ? r->arn : r->id, IDX_HISTORY_MAX, &hl,
				err) != 0) {
			rc = -1;
			break;
		}
		if (s_holds_add(xs, accs, h, IDX_HISTORY_MAX, &hl, xs->at) != 0 ||
		    (h->n_holds == before && s_life_hold(h, r, a->alias) != 0))
			rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
		inv_hold_list_free(&hl);
	}
	inv_res_list_free(&l);
	return rc;
}

/* at: every term answered from the inventory alone (index.h): who held an
 * address or bore a name then (inv_at), or whether an identified resource
 * existed then. Each term gets an entry, empty when nobody did. */
static int s_prepare_at(struct idx_search *xs, const struct search_accounts *accs,
			struct store *st, const struct search_spec *spec, struct si_err *err)
{
	for (size_t i = 0; i < xs->n_per; i++) {
		const struct search_term *t = &spec->terms[i];
		enum s_class cls = s_class_of(t);
		struct search_history *h;
		struct inv_hold_list l;
		int rc;

		h = s_history_add(xs, t->value, cls != S_ADDR && cls != S_NAME &&
				  t->kind != SEARCH_TERM_CIDR, IDX_HISTORY_MAX);
		if (h == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		if (cls != S_ADDR && cls != S_NAME && t->kind != SEARCH_TERM_CIDR) {
			if (s_at_ident(xs, accs, st, t, h, err) != 0)
				return -1;
			continue;
		}
		if (inv_at(st, t->value, xs->at, IDX_HISTORY_MAX, &l, err) != 0)
			return -1;
		rc = s_holds_add(xs, accs, h, IDX_HISTORY_MAX, &l, 0);
		inv_hold_list_free(&l);
		if (rc != 0)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	xs->at_only = 1;
	return 0;
}

/* Back to exactly the live search: drop whatever was prepared. */
static void s_reset(struct idx_search *xs, const struct search_spec *spec)
{
	void *priv = xs->priv;
	const struct search_term *in = xs->terms_in;
	time_t now = xs->now, at = xs->at;

	for (size_t i = 0; i < xs->n_per; i++)
		s_per_free(&xs->per[i]);
	for (size_t i = 0; i < xs->n_history; i++)
		search_history_clear(&xs->history[i]);
	free(xs->history);
	memset(xs, 0, sizeof(*xs));
	xs->priv = priv;
	xs->terms_in = in;
	xs->now = now;
	xs->at = at;
	xs->spec = *spec;
}

/* Contract in index.h. Why the reset on any error: a store that fails
 * midway must leave today's live search, not half an index answer. The
 * at: note says why at: could not be answered when the index is off. */
void idx_prepare(struct idx *ix, const struct search_accounts *accs, const struct query *q,
		 const struct search_spec *spec, time_t now, struct idx_search *out)
{
	struct store *st = ix != NULL ? s_store(ix, now) : NULL;
	struct si_err err;
	int has = 0, empty = 0, rc;

	memset(out, 0, sizeof(*out));
	out->now = now;
	out->at = q->has_at ? q->at : 0;
	out->spec = *spec;
	out->terms_in = spec->terms;
	out->priv = calloc(1, sizeof(struct s_map));
	if (out->priv != NULL)
		((struct s_map *)out->priv)->ix = ix;
	if (st != NULL && out->priv != NULL && spec->n_terms <= QUERY_MAX_TERMS) {
		has = s_has_data(st, &err);
		if (has < 0)
			s_log_health(ix, S_LOGGED_FAILED, err.msg);
		else if (has == 0)
			empty = 1;
	}
	if (has <= 0) {
		if (q->has_at)
			snprintf(out->note, sizeof(out->note), "at: is answered from the "
				 "inventory, which %s: this is what AWS holds now",
				 empty ? "holds no data yet" : "is not available");
		return;
	}
	out->n_per = spec->n_terms;
	rc = q->has_at ? s_prepare_at(out, accs, st, spec, &err)
		       : s_prepare_live(out, accs, st, spec, &err);
	if (rc != 0) {
		if (err.code != SI_ERR_NOMEM)
			s_log_health(ix, S_LOGGED_FAILED, err.msg);
		s_reset(out, spec);
		if (q->has_at)
			snprintf(out->note, sizeof(out->note), "at: is answered from the "
				 "inventory, which is not available: this is what AWS holds now");
		return;
	}
	s_log_health(ix, S_LOGGED_OK, NULL);
	out->used = 1;
}

/* --- finishing ------------------------------------------------------------ */

/* The id and ARN a live match goes by. */
static void s_match_ids(const struct search_match *m, const char **id, const char **arn)
{
	*arn = NULL;
	switch (m->kind) {
	case SEARCH_MATCH_INSTANCE:
		*id = m->instance.instance_id;
		return;
	case SEARCH_MATCH_ENI:
		*id = m->eni.eni_id;
		return;
	case SEARCH_MATCH_RESOURCE:
		*id = m->res.id;
		*arn = m->res.arn;
		return;
	}
	*id = NULL;
}

static int s_eq_ci(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* Is the inventory's r among res's matches (same account, region and id
 * or ARN)? Index-only matches count too, so a resource is added once. */
static int s_confirmed(const struct search_result *res, const struct inv_res *r,
		       const char *alias)
{
	for (size_t i = 0; i < res->n_matches; i++) {
		const struct search_match *m = &res->matches[i];
		const char *id, *arn;

		if (m->account_id != NULL ? strcmp(m->account_id, r->account) != 0
					  : !s_eq_ci(m->account_alias, alias))
			continue;
		if (strcmp(r->region, S_GLOBAL) != 0 && !s_eq_ci(m->region, r->region))
			continue;
		s_match_ids(m, &id, &arn);
		if (s_eq_ci(id, r->id) || s_eq_ci(arn, r->arn) || s_eq_ci(id, r->arn))
			return 1;
	}
	return 0;
}

/* Did r's target fail in the live search? (A global row: any of its
 * account's targets.) */
static int s_target_failed(const struct search_result *res, const struct inv_res *r,
			   const char *alias)
{
	for (size_t i = 0; i < res->n_failures; i++) {
		const struct search_failure *f = &res->failures[i];

		if (s_eq_ci(f->account_alias, alias) &&
		    (strcmp(r->region, S_GLOBAL) == 0 || s_eq_ci(f->region, r->region)))
			return 1;
	}
	return 0;
}

/* The inventory's tags (a JSON object of strings) onto m's resource. */
static void s_tags(struct res_resource *res, const char *json)
{
	struct json_object *o = json != NULL ? json_tokener_parse(json) : NULL;

	if (o != NULL && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (json_object_is_type(v, json_type_string) &&
			    res_add_tag(res, k, json_object_get_string(v), NULL) != 0)
				break;
		}
	}
	json_object_put(o);
}

/* o's string member key, or NULL. */
static const char *s_jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* o's array member key, or NULL. */
static struct json_object *s_jarr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* Every string of o's array key as an address (or DNS name, dns set). */
static void s_card_list(struct res_resource *res, struct json_object *o, const char *key,
			int dns)
{
	struct json_object *a = s_jarr(o, key);
	size_t n = a != NULL ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *s = json_object_is_type(v, json_type_string)
					? json_object_get_string(v) : NULL;

		if (s == NULL)
			continue;
		if ((dns ? res_add_dns(res, s, NULL) : res_add_addr(res, s, NULL)) != 0)
			return;
	}
}

/* Fields of an instance or interface card (EC2's own structs, by their
 * member names), with the labels the live card uses. */
static void s_card_ec2(struct res_resource *res, struct json_object *o)
{
	static const char *const pairs[][2] = {
		{ "instance_type", "Type" }, { "interface_type", "Type" },
		{ "status", "Status" }, { "description", "Description" },
		{ "attached_instance_id", "Attached to" }, { "vpc_id", "VPC" },
		{ "subnet_id", "Subnet" }, { "az", "Zone" }, { "image_id", "Image" },
		{ "key_name", "Key pair" }, { "platform", "Platform" },
		{ "state_reason", "State reason" },
	};
	struct json_object *ips = s_jarr(o, "ips");
	size_t n = ips != NULL ? json_object_array_length(ips) : 0;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		(void)res_add_field(res, pairs[i][1], s_jget(o, pairs[i][0]), NULL);
	(void)res_add_addr(res, s_jget(o, "private_ip"), NULL);
	(void)res_add_addr(res, s_jget(o, "public_ip"), NULL);
	(void)res_add_dns(res, s_jget(o, "private_dns"), NULL);
	(void)res_add_dns(res, s_jget(o, "public_dns"), NULL);
	for (size_t i = 0; i < n; i++) {
		struct json_object *ip = json_object_array_get_idx(ips, i);

		if (!json_object_is_type(ip, json_type_object))
			continue;
		(void)res_add_addr(res, s_jget(ip, "private_ip"), NULL);
		(void)res_add_addr(res, s_jget(ip, "public_ip"), NULL);
	}
	s_card_list(res, o, "ipv6", 0);
	(void)res_set(&res->created, s_jget(o, "launch_time"), NULL);
}

/* Fields, relations, addresses and DNS names of a generic card (struct
 * res_resource whole). */
static void s_card_generic(struct res_resource *res, struct json_object *o)
{
	struct json_object *f = s_jarr(o, "fields"), *rels = s_jarr(o, "rels");
	size_t nf = f != NULL ? json_object_array_length(f) : 0;
	size_t nr = rels != NULL ? json_object_array_length(rels) : 0;

	for (size_t i = 0; i < nf && res->n_fields < RES_MAX_FIELDS; i++) {
		struct json_object *pair = json_object_array_get_idx(f, i);
		struct json_object *k, *v;

		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2)
			continue;
		k = json_object_array_get_idx(pair, 0);
		v = json_object_array_get_idx(pair, 1);
		if (json_object_is_type(k, json_type_string) &&
		    json_object_is_type(v, json_type_string))
			(void)res_add_field(res, json_object_get_string(k),
					    json_object_get_string(v), NULL);
	}
	for (size_t i = 0; i < nr && res->n_rels < RES_MAX_RELS; i++) {
		struct json_object *r = json_object_array_get_idx(rels, i);
		const char *kind = json_object_is_type(r, json_type_object) ? s_jget(r, "kind")
									    : NULL;

		if (kind == NULL || res_add_rel(res, kind, s_jget(r, "type"), s_jget(r, "id"),
						s_jget(r, "detail"), NULL) != 0)
			continue;
		(void)res_set(&res->rels[res->n_rels - 1].name, s_jget(r, "name"), NULL);
	}
	s_card_list(res, o, "addrs", 0);
	s_card_list(res, o, "dns", 1);
	(void)res_set(&res->created, s_jget(o, "created"), NULL);
}

/* The crawler's card (common/inventory.c, version 1: {"v": 1, "type":
 * ...}) onto res, so a resource shown from the inventory has the card the
 * live search would have given, as far as the card carries it. A card of
 * another version, or none, adds nothing: the row's own fields stay. Why
 * failures are ignored: a card is a courtesy on top of the row. */
static void s_card(struct res_resource *res, const char *json)
{
	struct json_object *o = json != NULL ? json_tokener_parse(json) : NULL;
	struct json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "v", &v) || json_object_get_int(v) != 1) {
		json_object_put(o);
		return;
	}
	if (s_jarr(o, "fields") == NULL && s_jget(o, "label") == NULL)
		s_card_ec2(res, o);
	else
		s_card_generic(res, o);
	json_object_put(o);
}

/* A match from the inventory alone: the resource as the inventory last
 * saw it, where it comes from and how old it is. */
static int s_add_match(struct search_result *res, const struct inv_res *r, const char *alias,
		       enum search_source src)
{
	struct search_match *v = realloc(res->matches, (res->n_matches + 1) * sizeof(*v));
	struct search_match *m;
	struct si_err err;

	if (v == NULL)
		return -1;
	res->matches = v;
	m = &v[res->n_matches];
	memset(m, 0, sizeof(*m));
	m->kind = SEARCH_MATCH_RESOURCE;
	m->source = src;
	m->seen_at = r->last_seen;
	m->gone_at = r->gone_at;
	m->ended_at = r->ended_at;
	m->res.type = rt_by_name(r->type);
	if (s_dup(&m->account_alias, alias) != 0 || s_dup(&m->account_id, r->account) != 0 ||
	    s_dup(&m->region, r->region) != 0 || res_set(&m->res.id, r->id, &err) != 0 ||
	    res_set(&m->res.arn, r->arn, &err) != 0 || res_set(&m->res.name, r->name, &err) != 0 ||
	    res_set(&m->res.state, r->state, &err) != 0) {
		search_match_clear(m);
		return -1;
	}
	s_tags(&m->res, r->tags);
	s_card(&m->res, r->card);
	res->n_matches++;
	return 0;
}

/* What the inventory knew of one term that the live search did not
 * confirm, as index.h says per kind: an identifier's resource whatever
 * became of it; an address's present holder whose target did not answer;
 * a Name's gone resources and those of targets that did not answer. */
static void s_add_unconfirmed(struct idx_search *xs, const struct search_accounts *accs,
			      const struct search_term *t, const struct idx_term *per,
			      struct search_result *res)
{
	enum s_class cls = s_class_of(t);
	size_t added[SEARCH_SOURCE_INDEX + 1] = { 0 };

	for (size_t k = 0; k < per->found.n; k++) {
		const struct inv_res *r = &per->found.items[k];
		const struct si_account *a;
		enum search_source src;

		if (!per->ok[k] || (cls == S_ADDR && r->gone_at != 0))
			continue;
		a = s_visible(xs, accs, r->account, r->region);
		if (a == NULL || s_confirmed(res, r, a->alias))
			continue;
		if (r->gone_at != 0)
			src = SEARCH_SOURCE_GONE;
		else if (per->index_only)
			src = SEARCH_SOURCE_INDEX;
		else if (s_target_failed(res, r, a->alias))
			src = SEARCH_SOURCE_UNCONFIRMED;
		else
			src = SEARCH_SOURCE_MISSING;
		if (cls != S_UNIQUE && src == SEARCH_SOURCE_MISSING)
			continue;
		if (cls == S_ADDR && src != SEARCH_SOURCE_UNCONFIRMED)
			continue;
		if ((src != SEARCH_SOURCE_INDEX && added[src] >= IDX_ONLY_PER_TERM) ||
		    s_add_match(res, r, a->alias, src) != 0)
			continue;
		added[src]++;
	}
}

/* Contract in index.h. */
void idx_finish(struct idx_search *xs, const struct search_accounts *accs,
		struct search_result *res)
{
	res->index_now = xs->now;
	if (xs->note[0] != '\0' && res->index_note == NULL)
		res->index_note = strdup(xs->note);
	if (!xs->used)
		return;
	if (xs->at_only) {
		res->at_answered = 1;
		res->at = xs->at;
	}
	for (size_t i = 0; i < xs->n_per && !xs->at_only; i++)
		if (xs->per[i].ok != NULL)
			s_add_unconfirmed(xs, accs, &xs->terms_in[i], &xs->per[i], res);
	res->history = xs->history;
	res->n_history = xs->n_history;
	xs->history = NULL;
	xs->n_history = 0;
}

void idx_search_free(struct idx_search *xs)
{
	struct s_map *m;

	if (xs == NULL)
		return;
	for (size_t i = 0; i < xs->n_per; i++)
		s_per_free(&xs->per[i]);
	for (size_t i = 0; i < xs->n_history; i++)
		search_history_clear(&xs->history[i]);
	free(xs->history);
	m = xs->priv;
	if (m != NULL)
		free(m->v);
	free(m);
	memset(xs, 0, sizeof(*xs));
}

/* --- the whole search ----------------------------------------------------- */

/* A result the inventory alone answered counts the account-regions and
 * accounts its matches are in, as a live search counts those it asked
 * ("20 matches for edge in 20 account-regions"). At most IDX_NAME_MAX
 * matches per term: the quadratic scan stays small. */
static void s_count_answered(struct search_result *r)
{
	for (size_t i = 0; i < r->n_matches; i++) {
		const struct search_match *m = &r->matches[i];
		int same_target = 0, same_account = 0;

		for (size_t k = 0; k < i; k++) {
			const struct search_match *o = &r->matches[k];
			int acc = s_eq_ci(o->account_id, m->account_id);

			same_account |= acc;
			same_target |= acc && s_eq_ci(o->region, m->region);
		}
		r->n_targets += !same_target;
		r->n_accounts += !same_account;
	}
}

/* Contract in index.h. Why the accounts are taken here: the index maps
 * its account ids to the aliases the request's rules name, from the same
 * snapshot of configured and discovered accounts the live search uses. */
int idx_run(struct idx *ix, struct search_engine *e, struct search_ctx *ctx,
	    const struct query *q, const struct search_spec *spec, time_t now,
	    struct search_result *out, struct si_err *err)
{
	struct search_accounts accs;
	struct idx_search *xs = calloc(1, sizeof(*xs));
	long long t0 = si_mono_ms();
	int rc = 0, live;

	if (xs == NULL)
		return search_run(e, ctx, spec, out, err);
	if (search_engine_accounts(e, &accs, NULL) != 0) {
		memset(&accs, 0, sizeof(accs));
		ix = NULL;
	}
	idx_prepare(ix, &accs, q, spec, now, xs);
	/* Nothing left to ask AWS: at:, or every term answered by the
	 * inventory alone (a Name of many holders). */
	live = !xs->at_only && !(xs->used && xs->spec.n_terms == 0);
	if (!live) {
		memset(out, 0, sizeof(*out));
		out->query_text = strdup(spec->text != NULL ? spec->text : "");
	} else {
		rc = search_run(e, ctx, &xs->spec, out, err);
	}
	if (rc == 0)
		idx_finish(xs, &accs, out);
	if (rc == 0 && !live) {
		if (!xs->at_only)
			s_count_answered(out);
		out->elapsed_s = (double)(si_mono_ms() - t0) / 1000.0;
	}
	idx_search_free(xs);
	free(xs);
	search_accounts_release(&accs);
	return rc;
}
