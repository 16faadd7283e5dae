/*
 * index.h - the search asks the inventory first (store/inventory.h): an
 * exact identifier the inventory knows is confirmed live only in the
 * targets it names, history and at: are answered from it, and facts only
 * it knows are shown with their age.
 *
 * One search through the index (idx_run):
 *  1. idx_prepare: when the state store is open and the inventory holds
 *     data (inv_status non-empty), every exact term is looked up
 *     (inv_lookup_ident) and, when the inventory places it, searched live
 *     only in those targets: one copy of the term per holder account x
 *     region (term.account_id + term.region), a few calls instead of one
 *     per target of the organisation. A term it does not know is searched
 *     everywhere, as before. Addresses and instance ids also get their
 *     history (inv_history); Names get the inventory's candidates.
 *  2. search_run on the narrowed spec (nothing live for at:).
 *  3. idx_finish: what the inventory knew and the live search did not
 *     confirm is added with its age (SEARCH_SOURCE_* in search/types.h),
 *     and the history and a note saying where the search was sent.
 *
 * Decisions, and why:
 * - Unique identifiers (instance, interface and resource ids, ARNs, load
 *   balancer and RDS DNS names) exist in one account and region: the
 *   term is narrowed to the targets of every resource the inventory holds
 *   for it, present or gone (a gone one is then shown as gone).
 * - Addresses are not unique (private ranges repeat across VPCs and
 *   accounts; a released public address goes to anyone): narrowed only to
 *   the targets of their PRESENT holders, and only when there is one. An
 *   address whose holders are all gone is searched everywhere (who holds
 *   it now is anyone's guess) and its history says who held it. What the
 *   narrowing cannot see: a resource that took the address in another
 *   target since that target's last crawl (at most [inventory] refresh_s
 *   ago, 300 s by default), or in a target whose crawls fail. The issue
 *   accepts that trade for "a few calls instead of thousands"; the note
 *   under the answer says where the search went, so a reader knows.
 * - A holder of a global service (Route 53, region "global") narrows its
 *   copy to that type, in the account's first region the search may ask:
 *   the engine plans global types from an account's first target, and
 *   the regional types have nothing to add there.
 * - Route 53 names (a host no type's DNS suffix claims) are not narrowed:
 *   the live search follows their CNAME and ALIAS chains into the
 *   targets it searches, and a chain may cross accounts.
 * - Names (case-insensitive substring, inv_lookup_name) are what a live
 *   fan-out can least afford: every type of every target, over 100,000
 *   calls in an organisation of 17,000 targets. So: a Name whose present
 *   resources in the inventory sit in at most IDX_TARGETS_PER_TERM
 *   targets (and all of them were returned) is asked live in those
 *   targets only, like an address; one with more is answered from the
 *   inventory alone (up to IDX_NAME_MAX rows, each shown with its age,
 *   SEARCH_SOURCE_INDEX), no AWS call, and the note says so; a Name the
 *   inventory does not know runs live everywhere, as before. What this
 *   cannot see: a resource created or renamed since its target's last
 *   crawl (refresh_s), or in a target whose crawls fail (inventory
 *   status lists those). Gone resources of that name are added
 *   (IDX_ONLY_PER_TERM), and, for a target that did not answer, the
 *   resources the inventory last saw there (as many).
 * - CIDR blocks run live everywhere: the live search finds blocks equal
 *   to, inside and around the term; the inventory only equal ones.
 * - A term placed in more than IDX_TARGETS_PER_TERM targets is searched
 *   everywhere (the note says why): the copies would cost more than they
 *   save and crowd the spec.
 * - Access: every fact from the inventory passes the same filters as the
 *   live search: the request's accounts (channel rules and account:, by
 *   alias), region:, and the configured account x region targets. An
 *   account the inventory holds that is not configured is never shown.
 * - at:WHEN (query.h) is answered from the inventory only, nothing live
 *   (AWS keeps no past): who held an address (inv_at), who bore a name,
 *   and for an id whether the resource existed then and which addresses
 *   it held. The reply says it comes from the inventory alone. With no
 *   usable inventory the search runs live and the note says at: could
 *   not be answered: the present, labelled so, rather than nothing.
 * - The store is optional. No store, an empty inventory or any store
 *   error gives exactly today's live search: a failure midway drops
 *   everything the index had prepared. A failure is logged once (and its
 *   end once), never per search; the service never fails a search for it.
 * - Crash safety: nothing here is kept in the journaled job. A search
 *   re-run from the journal's text re-parses at: from the time it was
 *   asked (search_pool.c) and asks the index again, which may since know
 *   more: the answer is then as fresh as a new search's.
 *
 * Threads: a struct idx is shared by the pool's threads; the store
 * serialises its connection. Own handle (idx_new): lookups never queue
 * behind the journal's writes or a crawler's transaction on another
 * handle.
 */
#ifndef SI_INDEX_H
#define SI_INDEX_H

#include <stddef.h>
#include <time.h>

#include "search/engine.h"
#include "search/query.h"
#include "search/types.h"
#include "store/inventory.h"
#include "store/store.h"
#include "util/err.h"

/* Distinct targets one term is narrowed to: an id has one, an address a
 * few (overlapping VPCs); past this the term fans out as before. */
#define IDX_TARGETS_PER_TERM 16

/* Terms of a narrowed spec: every term of a query narrowed to the most. */
#define IDX_TERMS_MAX (QUERY_MAX_TERMS * IDX_TARGETS_PER_TERM)

/* Inventory rows asked per lookup: more than IDX_TARGETS_PER_TERM holders
 * already stops the narrowing, and a reply shows far fewer. */
#define IDX_LOOKUP_MAX 50

/* Stretches of history per address or id: the latest, a reply line each
 * at most. */
#define IDX_HISTORY_MAX 20

/* Rows asked for a Name: a reply lists far fewer (the renderer pages
 * them); more than this is reported as "at least". */
#define IDX_NAME_MAX 200

/* Resources shown from the inventory alone, per term and kind (gone,
 * unanswered): enough to say what was there, not a second listing. */
#define IDX_ONLY_PER_TERM 5

/* A store that could not be opened is tried again at most this often, so
 * a missing database costs one failed open per half minute, not one per
 * search. */
#define IDX_REOPEN_S 30

/* The note under the answer (search_result.index_note). */
#define IDX_NOTE_MAX 480

struct idx;

/*
 * The index over the store the settings name (store.h), with a handle of
 * its own, opened at the first search (and again at most every
 * IDX_REOPEN_S after a failure). The settings are copied (the URL wiped on
 * free). Returns NULL only for bad settings or no memory (err set); a
 * store that cannot be opened is not an error here. Free with idx_free.
 */
struct idx *idx_new(const struct store_settings *s, struct si_err *err);

/* The index over st (borrowed: it must outlive the index), for tests and
 * tools that hold a store already. NULL st: an index that never answers. */
struct idx *idx_new_store(struct store *st, struct si_err *err);

/* Close an owned store and free. NULL is fine. No thread may use it. */
void idx_free(struct idx *ix);

/* What the inventory made of one spec's term. */
struct idx_term {
	int narrowed;               /* searched only where the index places it */
	int index_only;             /* a Name answered from the index alone */
	size_t n_targets;           /* distinct targets it was narrowed to */
	struct inv_res_list found;  /* the inventory's rows for it (ident
	                             * lookup, or Name candidates) */
	unsigned char *ok;          /* ok[k]: row k fits the term and the
	                             * request's filters (NULL: not looked up) */
};

/*
 * One search's use of the index, between idx_prepare and idx_search_free.
 * spec is what to run live; it points into terms and into the caller's
 * spec and query, which must stay in place until idx_finish.
 */
struct idx_search {
	struct search_spec spec;
	struct search_term terms[IDX_TERMS_MAX];
	const struct search_term *terms_in;   /* the caller's spec's terms */
	struct idx_term per[QUERY_MAX_TERMS]; /* by the caller's term index */
	size_t n_per;
	int used;                   /* the inventory was asked and answered */
	int at_only;                /* at: answered here: run nothing live */
	time_t now;                 /* when it was asked; ages count from it */
	time_t at;
	struct search_history *history;
	size_t n_history;
	char note[IDX_NOTE_MAX];
	void *priv;                 /* the account map */
};

/*
 * Ask the index for spec (the query q planned, the request's account
 * rules applied) at now. accs are the accounts the live search sees
 * (search_engine_accounts; borrowed until idx_finish). ix NULL, no store,
 * an empty inventory or a store error leave out->spec a copy of spec
 * (out->used 0). Never fails; free with idx_search_free.
 */
void idx_prepare(struct idx *ix, const struct search_accounts *accs, const struct query *q,
		 const struct search_spec *spec, time_t now, struct idx_search *out);

/*
 * After the live search of xs->spec filled res (or, at_only, nothing):
 * add what the index knew that the live search did not confirm, the
 * history and the note. Moves the history into res (xs keeps none). An
 * allocation failure drops what could not be added, never res itself.
 */
void idx_finish(struct idx_search *xs, const struct search_accounts *accs,
		struct search_result *res);

/* Free what xs holds. NULL and a zeroed xs are fine. */
void idx_search_free(struct idx_search *xs);

/*
 * The whole search through the index: idx_prepare with the engine's
 * accounts, search_run on the narrowed spec (unless at: was answered),
 * idx_finish. ix may be NULL (a plain live search; an at: is then noted
 * as not answered). Returns what search_run returns: -1 only when the
 * search could not start (err set); out is then freed.
 */
int idx_run(struct idx *ix, struct search_engine *e, struct search_ctx *ctx,
	    const struct query *q, const struct search_spec *spec, time_t now,
	    struct search_result *out, struct si_err *err);

#endif
