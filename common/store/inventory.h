/*
 * inventory.h - the resource inventory kept in the state store (SQLite or
 * PostgreSQL, store.h): what every crawl target holds, found by exact
 * identifier or name in milliseconds, and who held an address when.
 *
 * The crawler (a later module) lists each target and hands every resource
 * to inv_put between inv_begin_target and inv_end_target; the search asks
 * inv_lookup_ident / inv_lookup_name first and confirms live only in the
 * targets the answer names; inv_history / inv_at answer "what was
 * 10.1.2.3 at 03:00?". This module only stores and answers.
 *
 * Decisions, and why:
 * - Target = account x region x service. The crawler names the service
 *   (any [a-z0-9_-] word, e.g. "ec2", "elb"): the types crawled together
 *   and failing together. A resource belongs to the target that last saw
 *   it, and a crawl marks gone only its own target's resources, so a
 *   failing Lambda listing never makes the region's instances vanish. A
 *   type must belong to one service only.
 * - One crawl, one transaction. inv_put only checks and copies the item
 *   into the crawl (memory, capped by INV_CRAWL_ITEMS_MAX and
 *   INV_CRAWL_BYTES_MAX); inv_end_target writes the whole target in one
 *   short transaction. So kill -9 anywhere loses nothing committed and
 *   leaves no half-written target, and no database lock is held while
 *   the crawler waits on AWS (SQLite has one writer at a time; a crawl
 *   holding it for minutes would stall every journal write).
 * - A failed crawl (inv_end_target with an error) writes nothing of its
 *   items: the target keeps its last complete crawl, so every fact has
 *   the age of that crawl, and status shows the error and when it came.
 * - Steady state is nearly write-free. Each item carries two hashes (of
 *   everything, and of what identifies it); the transaction reads the
 *   target's present rows once and writes only new, changed and vanished
 *   resources. A present resource's last_seen is its target's last_ok_at
 *   (joined at read time), so 170,000 unchanged resources cost one read,
 *   not 170,000 updates per refresh.
 * - Crawl time: every observation of one crawl (first_seen, last_seen,
 *   gone_at, and the history times AWS does not give) is the `now` of
 *   inv_begin_target, one instant per crawl, so a resource's stretches
 *   never overlap within a crawl. inv_end_target's `now` dates an error.
 * - Address history (inv_addr_history): a stretch opens when an address
 *   first appears on a resource and closes when it leaves it ("released"),
 *   the resource ends ("terminated": the item's state), or vanishes from
 *   AWS ("gone"). AWS's times are used where it gives them: the item's
 *   hold_start (LaunchTime) or created time opens the stretch of a
 *   resource seen for the first time, or one that restarted since the
 *   last crawl (hold_start later than that crawl); ended_at (the time in
 *   StateTransitionReason) closes it. Otherwise the crawl time is used,
 *   and from_exact / to_exact say which. Addresses overlap across VPCs
 *   and accounts, so several holders at one moment are normal.
 * - Identifiers (inv_ident): the id, ARN, addresses and DNS names, one row
 *   each, ASCII lower-cased (DNS names lose a trailing dot; IP addresses
 *   and CIDR blocks are stored in canonical text: RFC 5952 IPv6, masked
 *   blocks), indexed for equality. Lookups are exact: a CIDR block is
 *   found by its own text, not by an address inside it (the live search
 *   does containment). Gone resources keep their identifiers until pruned.
 * - Name substring, case-insensitive (ASCII, as res_name_matches): names
 *   are stored lower-cased in name_lc. SQLite: an FTS5 trigram index
 *   (SQLite 3.34+; Debian 12 has 3.40) answers terms of 3+ characters;
 *   shorter terms, or an SQLite without FTS5, scan with instr(). PostgreSQL:
 *   pg_trgm's GIN index serves LIKE '%term%' (pg_trgm ships in Debian's
 *   postgresql-15 package, which the postgresql(-contrib) metapackages
 *   pull in; trusted, so the database owner may create it); if
 *   CREATE EXTENSION fails the migration goes on and LIKE scans. To add it
 *   later: CREATE EXTENSION pg_trgm; CREATE INDEX inv_resource_name_trgm
 *   ON inv_resource USING gin (name_lc gin_trgm_ops). inv_size says which.
 * - Card: the crawler's JSON object text (fields, relations, anything the
 *   renderer needs to show the resource from the index), stored as given
 *   (checked for size and UTF-8, not parsed). Tags are stored as a JSON
 *   object built here.
 * - Retention: inv_prune deletes closed history stretches and gone
 *   resources older than history_days, and retires targets not tried for
 *   that long (their resources become gone at their last good crawl), in
 *   batches of INV_PRUNE_BATCH rows per table, one short transaction each.
 *
 * Failure model (store.h): every function returns 0 or -1 with err set and
 * never aborts; database failures count for store_health(). Caller
 * mistakes are SI_ERR_INVALID, caps SI_ERR_LIMIT.
 *
 * Threads: calls may come from any thread (the store serialises its
 * connection); one crawl belongs to one thread. A crawler writing large
 * targets is best given its own store handle, so lookups do not queue
 * behind its transactions. On SQLite a crawl's transaction holds the
 * database's one write lock: measured ~0.13 ms per new or changed
 * resource and ~0.01 ms per unchanged one, so a first crawl of more than
 * ~10,000 resources in one target makes other processes' writes wait
 * near STORE_BUSY_TIMEOUT_MS_DEFAULT; split such targets by service.
 *
 * Ownership: input structs and strings are the caller's and only read.
 * Result lists own every string and are freed with their *_free.
 */
#ifndef SI_STORE_INVENTORY_H
#define SI_STORE_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "util/err.h"

/* Field lengths in bytes. An ARN is at most 2,048 characters (IAM's
 * limit), so are ids (Route 53 record names are shorter); a Name tag
 * value 256 characters (AWS's tag limits: key 128, value 256 characters,
 * up to 4 bytes each in UTF-8). */
#define INV_TYPE_MAX 64
#define INV_REGION_MAX 32
#define INV_SERVICE_MAX 32
#define INV_ACCOUNT_LEN 12
#define INV_ID_MAX 2048
#define INV_NAME_MAX 1024
#define INV_STATE_MAX 64
#define INV_DNS_NAME_MAX 253
#define INV_TAG_KEY_MAX 512
#define INV_TAG_VALUE_MAX 1024
/* Error text kept per target (longer text is cut at a character). */
#define INV_ERROR_MAX 1024
/* A card: a load balancer with many targets is the largest, and the
 * renderer shows a fraction of it. */
#define INV_CARD_MAX (256 * 1024)

/* Per item: the caps of search/resource.h (RES_MAX_ADDRS, RES_MAX_DNS,
 * RES_MAX_TAGS), which this layer cannot include. */
#define INV_ADDRS_MAX 256
#define INV_DNS_MAX 32
#define INV_TAGS_MAX 64
/* Other ids of one resource: an instance's network interfaces (AWS
 * allows up to 15 per network card, a few cards on the largest types). */
#define INV_ALT_IDS_MAX 64

/* Per crawl: more resources of one service in one account and region
 * than AWS's own quotas allow of most types; Route 53 zones with more
 * records should be split into several services by the crawler. The
 * byte cap bounds the memory one crawl holds before it is written. */
#define INV_CRAWL_ITEMS_MAX 100000
#define INV_CRAWL_BYTES_MAX ((size_t)256 * 1024 * 1024)

/* Longest lookup text (a term, an address, an ARN). */
#define INV_QUERY_MAX INV_ID_MAX
/* Most rows one lookup, history or at-query returns. */
#define INV_LOOKUP_MAX 1000
/* Most rows of inv_status: 1,000 accounts x 17 regions x 10 services. */
#define INV_STATUS_MAX 200000
/* Rows one prune call deletes at most per table: one short write. */
#define INV_PRUNE_BATCH 1000
#define INV_HISTORY_DAYS_DEFAULT 90
#define INV_HISTORY_DAYS_MAX 3650

/* --- writing a crawl ------------------------------------------------------ */

struct inv_kv {
	const char *key;
	const char *value;
};

/*
 * One resource as the crawler saw it (built from a struct res_resource,
 * or an EC2 instance / interface). Every string is the caller's; NULL or
 * "" means absent. Account and region are the crawl's.
 */
struct inv_item {
	const char *type;        /* registry name ("instance"): [a-z0-9_-] */
	const char *id;          /* required: what a user would paste */
	const char *arn;
	const char *name;        /* Name tag or own name */
	const char *state;       /* "running", "terminated", ... */
	time_t created;          /* AWS's creation or launch time; 0: unknown */
	time_t hold_start;       /* since when it holds its addresses, when AWS
	                          * says (LaunchTime); 0: created, else unknown */
	time_t ended_at;         /* when it stopped holding them, when AWS says
	                          * (a terminated instance's StateTransition-
	                          * Reason time); 0: not ended */
	const char *const *addrs; /* IP addresses and CIDR blocks */
	size_t n_addrs;
	const char *const *dns;  /* DNS names that reach it */
	size_t n_dns;
	const char *const *alt_ids; /* other ids a user may paste for it (an
	                          * instance's interfaces, eni-…): found by
	                          * inv_lookup_ident as the id is */
	size_t n_alt_ids;
	const struct inv_kv *tags;
	size_t n_tags;
	const char *card;        /* JSON object text for the renderer, or NULL */
};

struct inv_crawl;

/*
 * Start one crawl of the target account x region x service, observed at
 * now (every time the crawl records that AWS does not give). account is
 * 12 digits; region and service are [a-z0-9_-] words ("global" is fine).
 * Nothing is written yet. Returns the crawl, which inv_end_target or
 * inv_crawl_free frees, or NULL with err set (SI_ERR_INVALID, NOMEM).
 * st must outlive the crawl.
 */
struct inv_crawl *inv_begin_target(struct store *st, const char *account, const char *region,
				   const char *service, time_t now, struct si_err *err);

/*
 * Add one resource to the crawl: checked, canonicalised and copied (the
 * item is the caller's again on return). A second item with the same type
 * and id replaces the first. Fails with SI_ERR_INVALID (a bad field; the
 * message names it), SI_ERR_LIMIT (a cap above), SI_ERR_NOMEM; the crawl
 * stays usable and the item is not added.
 */
int inv_put(struct inv_crawl *c, const struct inv_item *item, struct si_err *err);

/* What one inv_end_target changed. */
struct inv_end_stats {
	size_t items;     /* distinct resources in the crawl */
	size_t added;     /* new to the target (or back from gone) */
	size_t changed;   /* present before, something differed */
	size_t gone;      /* present before, absent now */
};

/*
 * Finish the crawl and free it (always, even on failure). error NULL: the
 * crawl is complete; in one transaction the target's resources are
 * replaced by the crawl's (new ones added, changed ones updated, absent
 * ones marked gone at the crawl time with their address stretches
 * closed), and the target's last_ok_at becomes the crawl time. error
 * non-NULL: the listing failed; nothing of the crawl is written, the
 * target keeps its data and records error (cut to INV_ERROR_MAX) at now.
 * stats (may be NULL) is filled on success. On a database failure
 * nothing is written (the transaction rolls back).
 */
int inv_end_target(struct inv_crawl *c, const char *error, time_t now,
		   struct inv_end_stats *stats, struct si_err *err);

/* Drop a crawl without writing anything (the crawler is stopping). NULL
 * is allowed. */
void inv_crawl_free(struct inv_crawl *c);

/* --- claiming targets ----------------------------------------------------- */

/*
 * Several crawlers may share one inventory (workers on several hosts on
 * PostgreSQL, or an old and a new worker overlapping during a reload, or
 * `inventory refresh` beside a served worker). Each reads the targets'
 * last tries and finds the same ones due; without a claim each would list
 * them all, doubling the AWS calls the request budget exists to bound.
 *
 * A claim is a lease on a target row (claimed_by, claimed_until), taken
 * atomically by a conditional upsert per target in one write transaction
 * (SQLite: BEGIN IMMEDIATE, the one write lock; PostgreSQL: INSERT ... ON
 * CONFLICT DO UPDATE ... WHERE, which locks the row and re-checks the
 * condition on the latest committed version, so of two crawlers racing
 * for a row exactly one sees it free). A crawler claims the targets of one
 * batch just before listing them, crawls only those it got, and its
 * inv_end_target releases each claim in the transaction that writes the
 * target. The lease bounds what a crawler killed mid-crawl costs: its
 * targets are free again at claimed_until (the crawler sizes it to the
 * batch's deadline), and the restarted crawler, which has a new owner
 * name, takes them then, or at once when it can tell the holder is dead
 * (inv_release of the dead owner's claims; common/inventory.h says how
 * the crawler tells). Clocks: claimed_until is compared with the
 * claimer's `now`; hosts sharing a database must keep their clocks within
 * the lease's margin of each other (NTP does).
 *
 * Due-ness is re-checked inside the claim (tried_before): a crawler whose
 * list of due targets was read before another crawler wrote one must not
 * take it once that other's claim is released.
 *
 * force (`inventory refresh`) ignores when a target was last tried but not
 * another crawler's live claim: that target is being listed right now,
 * and its result, written within the lease, is as fresh as a forced crawl
 * would be; taking it anyway would double the calls on the accounts the
 * operator is asking about, and would let two writes of one target race.
 * Such targets are reported as claimed by the other (holder and until),
 * so the operator sees why they were not crawled and when they will be.
 */

/* An owner name: printable ASCII without spaces, 1..INV_OWNER_MAX bytes,
 * unique per crawler (e.g. host:pid:random). */
#define INV_OWNER_MAX 128
/* Targets one inv_claim call takes at most. */
#define INV_CLAIM_MAX 4096

/* One target to claim, and what the claim found. */
struct inv_claim {
	const char *account, *region, *service;   /* in: the target */
	int claimed;          /* out: 1 when the caller now holds it */
	time_t held_until;    /* out, not claimed: another's claim holds it
	                       * until then (0: none, it was tried since
	                       * tried_before: not due) */
	time_t last_try_at;   /* out, not claimed: its last try (0: never) */
	char holder[INV_OWNER_MAX + 1]; /* out, held: the other's name */
};

/*
 * Claim the targets v[0..n) (n <= INV_CLAIM_MAX) for owner until `until`
 * (> now), as of now: each target that no other owner holds (no claim, or
 * one whose claimed_until <= now), and, when tried_before is not 0, that
 * was never tried or last tried at or before tried_before (0: regardless,
 * for force). A target owner already holds is claimed again (its lease
 * moves to until). A target the store does not know yet gets its row.
 * One transaction: all of the claims or, on a database failure, none.
 * Fills each entry's out fields; *n_claimed (may be NULL) gets how many
 * were claimed. Targets are claimed in one fixed (byte) order whatever
 * v's order, so two claimers never wait on each other's rows in a cycle.
 */
int inv_claim(struct store *st, const char *owner, time_t now, time_t until,
	      time_t tried_before, struct inv_claim *v, size_t n, size_t *n_claimed,
	      struct si_err *err);

/*
 * Give up every claim owner holds (a crawler stopping, or leaving a batch
 * it did not crawl), so the targets are free at once rather than at the
 * lease's end. *released (may be NULL) gets how many.
 */
int inv_release(struct store *st, const char *owner, size_t *released, struct si_err *err);

/*
 * Say the crawl c was claimed by owner: its inv_end_target, in the same
 * transaction that writes the target (or records its failure), releases
 * owner's claim on it, and only owner's (a claim another took after this
 * one lapsed is left alone). Without it inv_end_target touches no claim.
 */
int inv_crawl_owner(struct inv_crawl *c, const char *owner, struct si_err *err);

/* --- answering ------------------------------------------------------------ */

/* One resource from the index. Every string is owned by the list. */
struct inv_res {
	char *type, *account, *region, *service;
	char *id;
	char *arn, *name, *state;   /* NULL when absent */
	time_t created;             /* 0: unknown */
	time_t ended_at;            /* 0: not ended */
	time_t first_seen;          /* crawl time of the first sighting */
	time_t last_seen;           /* of the last sighting: the age of these
	                             * facts (present: the target's last good
	                             * crawl) */
	time_t gone_at;             /* 0 while AWS lists it */
	char *card;                 /* JSON object text, or NULL */
	char *tags;                 /* JSON object text, "{}" when none */
	char *matched;              /* inv_lookup_ident: "id", "arn", "addr" or
	                             * "dns"; otherwise NULL */
};

struct inv_res_list {
	struct inv_res *items;
	size_t n;
	int truncated;              /* more rows matched than returned */
};

/* One stretch during which a resource held an address (or, from inv_at
 * by name, bore the name). */
struct inv_hold {
	char *addr;                 /* NULL for a name */
	char *type, *account, *region, *id;
	char *name;                 /* the holder's name, NULL when none */
	time_t from;
	time_t to;                  /* 0 while held */
	int from_exact;             /* 1: AWS's time; 0: a crawl's */
	int to_exact;
	char *end_reason;           /* "terminated", "released", "gone",
	                             * "stale"; NULL while held */
};

struct inv_hold_list {
	struct inv_hold *items;
	size_t n;
	int truncated;
};

/*
 * Resources that have text as an exact identifier: id, ARN, address or
 * DNS name, compared ASCII case-insensitively (addresses canonically).
 * Present resources first, then gone ones by last_seen, at most max
 * (1..INV_LOOKUP_MAX, else SI_ERR_LIMIT). No match is success with
 * out->n 0. out is the caller's struct, filled; free with
 * inv_res_list_free.
 */
int inv_lookup_ident(struct store *st, const char *text, size_t max, struct inv_res_list *out,
		     struct si_err *err);

/*
 * Resources whose name contains substring (ASCII case-insensitive, any
 * length >= 1): present ones first, then gone ones, at most max
 * (1..INV_LOOKUP_MAX).
 */
int inv_lookup_name(struct store *st, const char *substring, size_t max,
		    struct inv_res_list *out, struct si_err *err);

/* Where a name lookup looks (NULL members: anywhere). */
struct inv_scope {
	const char *account;         /* an account id */
	const char *region;          /* a region; a global service's rows
	                              * (region "global") are in every one */
};

/*
 * inv_lookup_name within scope (NULL: everywhere): a request narrowed to
 * one account or region (account:, region:) gets max rows of its own,
 * not max rows of the whole organisation that it then filters away.
 */
int inv_lookup_name_in(struct store *st, const char *substring, const struct inv_scope *scope,
		       size_t max, struct inv_res_list *out, struct si_err *err);

/*
 * Every stretch of addr_or_id: the holders of the address, or the
 * addresses the resource with that id or ARN held, oldest first. When more
 * than max (1..INV_LOOKUP_MAX) exist the latest max are returned and
 * out->truncated is set.
 */
int inv_history(struct store *st, const char *addr_or_id, size_t max,
		struct inv_hold_list *out, struct si_err *err);

/*
 * Who held an address, or bore a name, at when. text that reads as an IP
 * address or CIDR block is an address: the stretches with from <= when <
 * to (to open counts as now). Anything else is a name substring, as
 * inv_lookup_name: the resources that existed then (created or first seen
 * <= when, and not yet ended or gone), with that life as from/to and addr
 * NULL. A name is matched as the resource's current (last known) name.
 * Latest first, at most max (1..INV_LOOKUP_MAX).
 */
int inv_at(struct store *st, const char *text, time_t when, size_t max,
	   struct inv_hold_list *out, struct si_err *err);

/* One crawl target, for `inventory status`. */
struct inv_target_status {
	char *account, *region, *service;
	size_t resources;            /* present ones */
	time_t last_ok_at;           /* 0: never crawled in full */
	time_t last_try_at;          /* 0: never */
	char *last_error;            /* NULL when the last crawl succeeded */
	time_t last_error_at;
	char *claimed_by;            /* a crawler's claim (live or lapsed),
	                              * NULL when none; a target claimed
	                              * before its first crawl is listed
	                              * with last_try_at 0 */
	time_t claimed_until;        /* 0 when none */
};

struct inv_status_list {
	struct inv_target_status *items;
	size_t n;
	int truncated;
};

/* Every target, by account, region and service, at most max
 * (1..INV_STATUS_MAX). */
int inv_status(struct store *st, size_t max, struct inv_status_list *out,
	       struct si_err *err);

/*
 * Retention: delete, as of now, up to INV_PRUNE_BATCH closed history
 * stretches that ended more than history_days (1..INV_HISTORY_DAYS_MAX)
 * ago, as many gone resources (with their identifiers) gone that long,
 * and retire one target not tried for that long. *deleted (may be NULL)
 * gets the rows deleted; call again while it is not 0.
 */
int inv_prune(struct store *st, long history_days, time_t now, size_t *deleted,
	      struct si_err *err);

/* Sizes, for the bench and `inventory status`. */
struct inv_size {
	int64_t db_bytes;            /* the whole database: SQLite's pages
	                              * (WAL not counted), pg_database_size */
	int64_t targets, resources, present, idents, history;
	const char *name_index;      /* static: "fts5-trigram", "pg_trgm" or
	                              * "scan" */
};

int inv_size(struct store *st, struct inv_size *out, struct si_err *err);

/* Free what a list holds and zero it (not the struct itself). NULL ok. */
void inv_res_list_free(struct inv_res_list *l);
void inv_hold_list_free(struct inv_hold_list *l);
void inv_status_list_free(struct inv_status_list *l);

#endif
