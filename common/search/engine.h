/*
 * engine.h - one search across accounts x regions, all AWS calls at once.
 *
 * A search runs in the calling thread on a libcurl multi handle it takes
 * from the engine for the search and gives back after: the engine keeps
 * the idle ones, latest first, so a search starts on the connections the
 * previous one left open, whichever thread ran it; TLS sessions and DNS
 * answers are shared by every search (a curl share object), so even a
 * multi with nothing open resumes the TLS sessions others set up. For
 * each account it gets temporary
 * credentials (STS AssumeRole, cached across searches and shared with
 * account discovery in the struct aws_client, aws/client.h), then
 * runs every describe call of every target concurrently, bounded by
 * [search] max_inflight (by default sized to the targets:
 * search_inflight_cap), SEARCH_TARGET_INFLIGHT per account x region and
 * SEARCH_ENGINE_INFLIGHT for all searches together, each with the [aws]
 * timeouts and retries, the whole search bounded by one deadline. Failed
 * targets are reported, never fatal.
 */
#ifndef SI_SEARCH_ENGINE_H
#define SI_SEARCH_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "aws/account.h"
#include "aws/client.h"
#include "search/types.h"
#include "util/err.h"

/* The [search] deadline_ms default, used when the settings leave it 0. */
#define SEARCH_DEFAULT_DEADLINE_MS 10000

/* [search] max_inflight = auto (0 in struct search_settings): a search
 * may have SEARCH_AUTO_PER_TARGET requests in flight per account x region
 * target, at least SEARCH_AUTO_MIN and at most SEARCH_AUTO_MAX. Why 2: a
 * cold target's AssumeRole and first call, or a call and its follow-up,
 * then go in one wave, so 64 targets take about as long as one; why at
 * least 64: a name search plans a call per type (about 20) per target, so
 * a few targets' calls go in one wave, and no search gets fewer slots than
 * the former fixed default (32) gave it; why at most 128: 1,000 targets
 * then need ~8 waves of one call (under a second at AWS's usual 50-100
 * ms), while the worst case a hostile endpoint can make a search hold (128
 * answers of the 8 MiB cap) stays bounded. The fixed 32 made 64 targets
 * two waves and 1,000 thirty-two. */
#define SEARCH_AUTO_PER_TARGET 2
#define SEARCH_AUTO_MIN 64
#define SEARCH_AUTO_MAX 128

/* Requests one search has in flight to one account x region at once
 * (AssumeRole not counted): a name search plans about one call per type
 * (21 types) per target, so 32 lets one target's calls and their first
 * follow-ups go together, while no single account-region takes a whole
 * search's slots or draws AWS's per-account throttling (EC2's describe
 * bucket is ~100 requests) on its own. */
#define SEARCH_TARGET_INFLIGHT 32

/* Connections one search opens to one endpoint host
 * (CURLMOPT_MAX_HOST_CONNECTIONS; past it a transfer waits for one of
 * the search's own to finish). AWS endpoints are one host per service
 * and region: an explicit max_inflight above it still opens no more. */
#define SEARCH_HOST_CONNECTIONS 128

/* Requests in flight across every search of one engine (one worker
 * process): 16 concurrent broad searches would otherwise hold 16 x 128
 * sockets. Each search may always have one in flight, so none starves.
 * Lower under a small RLIMIT_NOFILE (half of it), as are the idle
 * connections the engine keeps between searches. */
#define SEARCH_ENGINE_INFLIGHT 512

/* The in-flight cap of a search over n_targets account x region targets:
 * max_inflight when above 0 (an explicit [search] max_inflight), else
 * (auto) SEARCH_AUTO_PER_TARGET x n_targets within [SEARCH_AUTO_MIN,
 * SEARCH_AUTO_MAX]. */
int search_inflight_cap(int max_inflight, size_t n_targets);

/* Matches one search keeps. A Slack answer shows a few dozen and counts
 * the rest per account, and the command line lists them all: 10,000 (the
 * pre-cap limit of one call, 10 pages of 1,000) is ample for every real
 * question and costs at most ~20 MB (each match holds one or two KiB of
 * strings); past it, a wildcard over a big organisation or a hostile
 * endpoint would only cost memory. The target whose answer overflows it
 * is named "TooManyMatches" and no further pages are asked for; what was
 * kept is still shown. */
#define SEARCH_MAX_MATCHES 10000

enum search_term_kind {
	SEARCH_TERM_INSTANCE_ID,  /* i-... exact */
	SEARCH_TERM_IPV4,
	SEARCH_TERM_IPV6,
	SEARCH_TERM_PRIVATE_DNS,  /* ip-10-1-2-3.eu-west-2.compute.internal */
	SEARCH_TERM_PUBLIC_DNS,   /* ec2-3-8-1-2.compute-1.amazonaws.com */
	SEARCH_TERM_ENI_ID,       /* eni-... exact */
	SEARCH_TERM_NAME,         /* value: the term as typed; name_lc: lower
	                           * case; matched as a case-insensitive
	                           * substring of every named type's name */
	SEARCH_TERM_ID,           /* value: an id of type (sg-…, vol-…) */
	SEARCH_TERM_ARN,          /* value: the ARN; resource: the part after
	                           * the resource type; type set */
	SEARCH_TERM_CIDR,         /* value: canonical block, "10.10.0.0/16" */
	SEARCH_TERM_HOST,         /* value: lower-case host name, no final dot */
	SEARCH_TERM_CHECK,        /* --check-config: each type's cheapest call */
	SEARCH_TERM_LIST          /* the inventory crawler: everything each
	                           * type holds in the target, paged, with no
	                           * narrowing (value ""); every type with a
	                           * plan answers it (only type, when set).
	                           * Most follow-ups are left out (instance
	                           * names: the instance listing's; a load
	                           * balancer's listeners, groups, health):
	                           * about one call per type and page; each
	                           * module's top comment says what it leaves */
};

struct rt_type;

struct search_term {
	enum search_term_kind kind;
	const char *value;       /* normalised term */
	const char *region;      /* search only this region, or NULL */
	const char *account_id;  /* search only this account id, or NULL */
	const struct rt_type *type;  /* ask only this type (ID, ARN, DNS
	                              * suffix), or NULL: every type that
	                              * answers the kind */
	const char *resource;    /* ARN: resource id part, e.g. "sg-…",
	                          * "app/prod-web/50dc6c495c0c9188"; NULL */
	const char *name_lc;     /* NAME: value in lower case; NULL */
	const char *hop;         /* reached by following DNS: the text of the
	                          * hop so far; NULL for the user's term */
	int depth;               /* hops followed to get here (0: user's) */
};

/* What to search. Everything is borrowed for the duration of the call. */
struct search_spec {
	const struct search_term *terms;
	size_t n_terms;
	const char *const *accounts;  /* alias filter (account:), empty = all */
	size_t n_accounts;
	const char *const *regions;   /* region filter (region:), empty = all */
	size_t n_regions;
	const char *text;             /* the user's text, for the result */
	const char *note;             /* how a term was taken ("Searching
	                               * 10.1.0.0/16: …"), for the result;
	                               * NULL: none */
	int deadline_ms;              /* 0 = [search] deadline_ms */
	double rate_per_s;            /* request budget: at most this many
	                               * requests a second per account x
	                               * region x service (a token bucket,
	                               * burst max(1, rate), per search; a
	                               * global service's calls count under
	                               * region "global"); STS AssumeRole is
	                               * not counted. 0 (or less): unlimited */
};

struct search_engine;
struct search_ctx;
struct org_discovery;

/* The accounts a search sees: the configured ones, then those discovered
 * through AWS Organizations (an alias configured explicitly wins). Valid
 * until search_accounts_release(). */
struct search_accounts {
	const struct si_account **v;
	size_t n;
	void *priv;                   /* the discovery snapshot held */
};
int search_engine_accounts(const struct search_engine *e, struct search_accounts *out,
			   struct si_err *err);
void search_accounts_release(struct search_accounts *a);

/* Discovered accounts come from org (borrowed; NULL: none). Set before
 * searches start; org must outlive the engine's use of it. */
void search_engine_set_org(struct search_engine *e, struct org_discovery *org);

/* Resolve host (a name in no hosted zone of the searched accounts) to at
 * most max addresses, written as text into out[i] (46 bytes each: IPv4
 * dotted, IPv6 RFC 5952). Returns how many. Called from search threads. */
typedef size_t (*search_resolve_fn)(void *arg, const char *host, char (*out)[46], size_t max);

/* The system resolver (getaddrinfo), the default. arg is unused. */
size_t search_resolve_system(void *arg, const char *host, char (*out)[46], size_t max);

/* What the engine needs of the configuration. */
struct search_settings {
	const struct si_account *accounts; /* the configured accounts: borrowed,
	                                      must outlive the engine */
	size_t n_accounts;
	int deadline_ms;                   /* whole search; 0: the default */
	int max_inflight;                  /* concurrent AWS requests per
	                                    * search; 0 (or less): auto,
	                                    * search_inflight_cap */
	int resolve_dns;                   /* [search] resolve_dns: a host name in
	                                    * no hosted zone is resolved and its
	                                    * addresses searched */
	search_resolve_fn resolve;         /* NULL: search_resolve_system */
	void *resolve_arg;
};

/* The long-lived part shared by all threads: the settings (copied; the
 * accounts they point to stay borrowed), client (borrowed: its
 * timeouts, retries and credential cache; it must outlive the engine),
 * the curl share object (TLS sessions, DNS) and the idle multi handles
 * with their open connections (owned, freed with the engine, which must
 * happen after every search has returned).
 * Returns an engine the caller frees with search_engine_free, or NULL with
 * err set. */
struct search_engine *search_engine_new(const struct search_settings *set,
					struct aws_client *client, struct si_err *err);

/* NULL is fine. */
void search_engine_free(struct search_engine *e);

/* Per-thread state: a random seed for backoff jitter (the multi handle
 * of a search is the engine's, see above). */
struct search_ctx *search_ctx_new(unsigned int seed, struct si_err *err);
void search_ctx_free(struct search_ctx *ctx);

/* Count the account x region targets spec selects (for "Searching N
 * accounts in M regions"). n_accounts / n_regions may be NULL. */
size_t search_count_targets(const struct search_engine *e, const struct search_spec *spec,
			    size_t *n_accounts, size_t *n_regions);

/* Run the search; fills *out (free with search_result_free). Returns -1
 * only when the search could not start at all (bad spec, no memory); AWS
 * failures are per-target entries in out->failures. */
int search_run(struct search_engine *e, struct search_ctx *ctx,
	       const struct search_spec *spec, struct search_result *out,
	       struct si_err *err);

/* Check every account x region: assume the role and make one cheap call of
 * every action a search may make (each registered type's check), printing
 * one line per target and action to f. An action is allowed when AWS
 * answers it, or refuses it for any reason but permission (a made-up
 * target group is "not found", which proves the right to ask). Returns
 * the number of failed (target, action) pairs. */
size_t search_check_access(struct search_engine *e, struct search_ctx *ctx, FILE *f);

#endif
