/*
 * engine.h - one search across accounts x regions, all AWS calls at once.
 *
 * A search runs in the calling thread on that thread's struct search_ctx
 * (one libcurl multi handle kept alive across searches, so connections to
 * STS and EC2 endpoints are reused). For each account it gets temporary
 * credentials (STS AssumeRole, cached across searches and shared with
 * account discovery in the struct aws_client, aws/client.h), then
 * runs every describe call of every target concurrently, bounded by
 * [search] max_inflight, each with the [aws] timeouts and retries, the whole
 * search bounded by one deadline. Failed targets are reported, never fatal.
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
	int max_inflight;                  /* concurrent AWS requests; 0: 1 */
	int resolve_dns;                   /* [search] resolve_dns: a host name in
	                                    * no hosted zone is resolved and its
	                                    * addresses searched */
	search_resolve_fn resolve;         /* NULL: search_resolve_system */
	void *resolve_arg;
};

/* The long-lived part shared by all threads: the settings (copied; the
 * accounts they point to stay borrowed) and client (borrowed: its
 * timeouts, retries and credential cache; it must outlive the engine).
 * Returns an engine the caller frees with search_engine_free, or NULL with
 * err set. */
struct search_engine *search_engine_new(const struct search_settings *set,
					struct aws_client *client, struct si_err *err);

/* NULL is fine. */
void search_engine_free(struct search_engine *e);

/* Per-thread state: a multi handle and a random seed for backoff jitter. */
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
