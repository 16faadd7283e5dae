/*
 * search_types.h - the merged outcome of one search, as the renderer sees it.
 *
 * Produced by the search (search.h), consumed by the Block Kit renderer
 * (render.h) and the command line. All strings are owned by the result and
 * freed by search_result_free().
 */
#ifndef SI_SEARCH_TYPES_H
#define SI_SEARCH_TYPES_H

#include <stddef.h>
#include <time.h>

#include "aws/ec2_types.h"
#include "search/resource.h"

enum search_match_kind {
	SEARCH_MATCH_INSTANCE,
	SEARCH_MATCH_ENI,       /* an interface not owned by a listed instance */
	SEARCH_MATCH_RESOURCE   /* any other registered type (res.type) */
};

/* Where a match's facts come from: AWS now, or only the inventory
 * (index.h), which then says how old they are. */
enum search_source {
	SEARCH_SOURCE_AWS = 0,      /* the live search found it */
	SEARCH_SOURCE_GONE,         /* the inventory: AWS no longer lists it */
	SEARCH_SOURCE_UNCONFIRMED,  /* the inventory: its target did not answer */
	SEARCH_SOURCE_MISSING,      /* the inventory: its target answered
	                             * without it (gone or changed since the
	                             * last crawl) */
	SEARCH_SOURCE_INDEX         /* the inventory alone: not asked of AWS
	                             * (a Name of many holders, index.h) */
};

struct search_match {
	enum search_match_kind kind;
	char *account_alias;    /* lower-case alias, e.g. "production" */
	char *account_id;       /* 12 digits, NULL if unknown */
	char *region;           /* e.g. "eu-west-2" */
	struct ec2_instance instance;  /* valid when kind == INSTANCE */
	struct ec2_eni eni;            /* valid when kind == ENI */
	struct res_resource res;       /* valid when kind == RESOURCE */
	enum search_source source;     /* AWS unless the inventory alone knew it */
	time_t seen_at;         /* inventory: its last sighting, the age of
	                         * these facts; 0 for AWS */
	time_t gone_at;         /* inventory: the crawl that missed it; 0 */
	time_t ended_at;        /* inventory: when AWS says it ended
	                         * (terminated); 0 */
};

/* One stretch during which a resource held an address (or, for a name at
 * a moment, existed), from the inventory. */
struct search_hold {
	char *addr;             /* the address; NULL for a resource's life */
	char *type;             /* registry name ("instance") */
	char *id;
	char *name;             /* NULL when none */
	char *account_alias;    /* NULL when the account is not configured */
	char *account_id;
	char *region;
	time_t from;
	time_t to;              /* 0 while held */
	int from_exact;         /* 1: AWS's time (launch, StateTransitionReason);
	                         * 0: a crawl's */
	int to_exact;
	char *end_reason;       /* "terminated", "released", "gone", "stale";
	                         * NULL while held */
};

/* The history of one thing asked about: who held an address, what
 * addresses a resource held, or (at:) who held or bore it at the moment. */
struct search_history {
	char *subject;          /* the address, id or name as searched */
	int of_resource;        /* 1: holds are the addresses subject held */
	struct search_hold *holds;  /* oldest first (at: latest first) */
	size_t n_holds;
	int truncated;          /* older stretches were left out */
};

/* Bounds of a failure's fixed fields: service names ("elasticloadbalancing")
 * and actions ("DescribeLoadBalancers") are short; AWS request ids are a
 * UUID (36) or S3's pair of ids (under 80); longer ones are left out. */
#define SEARCH_FAILURE_SERVICE_MAX 32
#define SEARCH_FAILURE_ACTION_MAX 64
#define SEARCH_FAILURE_RID_MAX 96

/* A target (account x region) that did not answer in full. The fixed
 * fields say what an operator needs to find the failed call ("" when not
 * known: a failure no call caused, such as TooManyMatches). */
struct search_failure {
	char *account_alias;
	char *region;
	char *code;             /* AWS error code, or "Timeout", "ConnectionError" */
	char *message;          /* may be NULL */
	char account_id[16];    /* 12 digits */
	char service[SEARCH_FAILURE_SERVICE_MAX];   /* "ec2", "sts" */
	char action[SEARCH_FAILURE_ACTION_MAX];     /* "DescribeInstances" */
	/* AWS's id of the failed request (x-amzn-RequestId or the error
	 * body's RequestId), for AWS support and CloudTrail. */
	char aws_request_id[SEARCH_FAILURE_RID_MAX];
};

struct search_result {
	char *query_text;       /* the user's text as typed */
	struct search_match *matches;
	size_t n_matches;
	struct search_failure *failures;
	size_t n_failures;
	size_t n_targets;       /* account-region pairs searched */
	size_t n_accounts;
	size_t n_regions;
	double elapsed_s;
	/* Host names in no hosted zone that were resolved with DNS, and what
	 * they resolved to ("www.example.com → 192.0.2.1, 192.0.2.7"), shown
	 * so the reader knows the addresses came from DNS; NULL: none. */
	char *dns_note;
	/* How the query was taken, when not as typed ("Searching 10.1.0.0/16:
	 * 10.1.2.3/16 has bits set past the /16 prefix"); NULL: none. */
	char *query_note;
	/* What the inventory (index.h) added; 0/NULL when it was not asked. */
	time_t index_now;       /* when it was asked: ages count from it */
	int at_answered;        /* at: answered from the inventory alone (no
	                         * live search): history holds the answer */
	time_t at;              /* at:'s moment, when at_answered */
	struct search_history *history;
	size_t n_history;
	/* Where the inventory sent the search, or why it could not help
	 * ("i-… was asked only in production/eu-west-2, where the inventory
	 * places it"); NULL: nothing to say. */
	char *index_note;
};

/* Frees what h holds and zeroes it. */
void search_hold_clear(struct search_hold *h);

/* Frees what h holds (its holds too) and zeroes it. */
void search_history_clear(struct search_history *h);

/* Frees what m holds and zeroes it. */
void search_match_clear(struct search_match *m);

/* Frees every string and array in r, not r itself. Safe on a zeroed r. */
void search_result_free(struct search_result *r);

#endif
