/*
 * registry.h - the resource types the search knows, one module each.
 *
 * A type module (search/rt_*.c) declares, in one static struct rt_type:
 *  - the term shapes it claims, for the classifier (search/query.c): ID
 *    prefixes ("sg-"), ARN service and resource types ("ec2" /
 *    "security-group"), DNS suffixes (".elb.amazonaws.com"), and which
 *    kinds of term it answers at all (RT_BY_*);
 *  - the AWS calls it needs for a term (plan: service, protocol, action,
 *    filters, the page parameter), through rt_plan_request();
 *  - its parser (answer): the answer body of one of its calls becomes
 *    resources (rt_new_resource) and, where it needs more, follow-up calls
 *    in the same account and region (rt_follow), further pages
 *    (rt_next_page) or another host name to follow (rt_follow_host);
 *  - its card: a one-line summary (the full card is the resource's
 *    fields, search/resource.h) and its console link;
 *  - every IAM action it may call (the IAM kit and --check-config).
 * The classifier, the live search (search/engine.c) and the inventory all
 * read rt_types[]; adding a type adds a module and one line in
 * registry.c, not branches across the code.
 *
 * Types are static and immutable: safe to read from every thread.
 */
#ifndef SI_SEARCH_REGISTRY_H
#define SI_SEARCH_REGISTRY_H

#include <stddef.h>

#include "aws/client.h"
#include "aws/ec2_types.h"
#include "search/engine.h"
#include "search/resource.h"
#include "util/err.h"

/* What a type answers. */
#define RT_BY_ID    0x01u  /* an ID with one of its id_prefixes */
#define RT_BY_ARN   0x02u  /* an ARN of its arn_service / arn_types */
#define RT_BY_NAME  0x04u  /* a case-insensitive substring of its name */
#define RT_BY_ADDR  0x08u  /* an IPv4/IPv6 address it holds */
#define RT_BY_CIDR  0x10u  /* a block equal to, inside or around its own */
#define RT_BY_HOST  0x20u  /* a host name: one of its dns_suffixes, or any
                            * name when dns_suffixes is NULL (Route 53) */

/* Parameters one request carries (filters, ids, page token). */
#define RT_MAX_PARAMS 160

/* How deep a chain of DNS records is followed (issue 12: 5 hops). */
#define RT_MAX_HOPS 5

/* One AWS call. Everything is borrowed: the engine copies what it keeps
 * before rt_plan_request / rt_follow return. */
struct rt_request {
	const char *service;      /* endpoint prefix and signing name:
	                           * "ec2", "elasticloadbalancing", "rds",
	                           * "autoscaling", "route53", "lambda" */
	enum aws_protocol proto;
	const char *action;       /* query: Action; REST/JSON: the operation
	                           * name, for messages and metrics */
	const char *version;      /* query: Version */
	const char *method;       /* REST: "GET" */
	const char *path;         /* REST: the path, already percent-encoded */
	int global;               /* REST: the service's global endpoint,
	                           * signed for us-east-1 (Route 53) */
	const struct aws_query_param *params;  /* query: form fields; REST:
	                                        * the query string */
	size_t n_params;
	const char *page_param;   /* the parameter carrying the next page's
	                           * token ("NextToken", "Marker"); NULL: none */
	int step;                 /* the type's own tag, handed back in
	                           * struct rt_answer */
	size_t parent;            /* rt_follow: the resource this call adds to
	                           * (an index from rt_new_resource), or
	                           * RT_NO_PARENT */
};

#define RT_NO_PARENT ((size_t)-1)

/* The engine's side of planning one term in one target. */
struct rt_plan {
	const struct search_term *term;
	const char *region;
	const char *account_id;   /* 12 digits, or "" when unknown */
	int first_of_account;     /* 1 for the account's first target: global
	                           * types (Route 53) plan only then */
	void *priv;               /* the engine's */
};

/* The engine's side of one answer. */
struct rt_answer {
	const struct rt_type *type;
	const struct search_term *term;   /* what was searched */
	int step;                 /* the request's step */
	size_t parent;            /* the request's parent, or RT_NO_PARENT */
	const char *region;
	const char *account_id;   /* "" when unknown */
	const struct aws_query_param *params;  /* the request's parameters */
	size_t n_params;
	void *priv;               /* the engine's */
};

struct rt_type {
	const char *name;         /* "security-group": help, errors, inventory */
	const char *label;        /* "Security group": card titles */
	unsigned by;              /* RT_BY_* */
	const char *const *id_prefixes;   /* NULL-terminated, or NULL */
	const char *arn_service;          /* "ec2", or NULL */
	const char *const *arn_types;     /* NULL-terminated ARN resource
	                                   * types ("security-group"), or NULL */
	const char *const *dns_suffixes;  /* NULL-terminated, lower-case,
	                                   * leading dot; a label "*" matches
	                                   * any one label (".elb.*.amazonaws
	                                   * .com" for NLBs); NULL: none */
	int global;               /* one call per account, not per region */
	const char *const *actions;       /* "ec2:DescribeSecurityGroups", …;
	                                   * NULL-terminated */
	const char *const *absent_codes;  /* AWS error codes that mean "not in
	                                   * this target" for the type's calls
	                                   * ("InvalidGroup.NotFound"): an
	                                   * empty answer, not a failure;
	                                   * NULL-terminated, or NULL */
	/* Plan p->term (any kind; return 0 having planned nothing when the
	 * type cannot hold it). Returns 0, or -1 only on OOM. */
	int (*plan)(struct rt_plan *p);
	/* Parse one 200 answer of one of the type's requests. Returns 0, or
	 * -1 with err set when the body is not what the call returns
	 * (SI_ERR_INVALID) or exceeds a cap (SI_ERR_LIMIT): the target is
	 * then reported failed ("MalformedResponse" / "AnswerTooLarge"). */
	int (*answer)(struct rt_answer *a, const char *body, size_t len, struct si_err *err);
	/* One line for the compact card, plain text (the renderer escapes
	 * it), e.g. "ALB internet-facing, active · 2 targets, 1 unhealthy".
	 * NULL: the renderer uses the state. */
	void (*summary)(const struct res_resource *r, char *out, size_t n);
	/* The AWS console URL of r in region (plain), or "" when none. */
	void (*console_url)(const struct res_resource *r, const char *region, char *out,
			    size_t n);
};

/* Every type, NULL-terminated, in the order the classifier and the help
 * text use. */
extern const struct rt_type *const rt_types[];

/* The type whose id_prefixes holds the prefix of id (up to and including
 * its last '-' before the hex digits), or NULL. */
const struct rt_type *rt_by_id_prefix(const char *id);

/* The type of ARN service svc (e.g. "ec2") and resource type restype
 * (e.g. "security-group"; "" when the ARN's resource has no type part),
 * or NULL. */
const struct rt_type *rt_by_arn(const char *svc, const char *restype);

/* The type whose dns_suffixes ends host (lower-case), or NULL. */
const struct rt_type *rt_by_dns(const char *host);

/* The type named name, or NULL. */
const struct rt_type *rt_by_name(const char *name);

/* "security groups (sg-), subnets (subnet-), …": what we can search, for
 * the explanations of unknown IDs and ARNs. Writes at most n bytes,
 * always NUL-terminated. */
void rt_describe_known(char *out, size_t n);

/* ---- called by type modules, implemented by the engine ----------------- */

/* Queue rq in p's target. Returns 0, -1 on OOM. */
int rt_plan_request(struct rt_plan *p, const struct rt_request *rq);

/* A new empty resource of type t in a's target (account, region filled
 * by the engine), owned by the search result; *index receives its index
 * for rt_follow (index may be NULL). NULL when the search holds
 * SEARCH_MAX_MATCHES (stop adding) or memory ran out. The pointer is
 * valid only until the next rt_new_resource or the answer's end. */
struct res_resource *rt_new_resource(struct rt_answer *a, const struct rt_type *t,
				     size_t *index);

/* The resource rq.parent / a->parent names, or NULL (valid until the next
 * rt_new_resource). */
struct res_resource *rt_resource(struct rt_answer *a, size_t index);

/* Queue a follow-up request in a's account and region (rq->parent says
 * which resource it adds to). Returns 0, -1 on OOM. */
int rt_follow(struct rt_answer *a, const struct rt_request *rq);

/* Ask for the next page of a's request: the same call with
 * page_param = token. NULL or "" token: nothing. Pages are bounded. */
int rt_next_page(struct rt_answer *a, const char *token);

/* Follow a host name found in an answer (a CNAME or ALIAS target) as a new
 * term in a's account, one hop deeper; hop is the text shown for this
 * step ("api.example.com → CNAME x.elb.amazonaws.com"). Past RT_MAX_HOPS
 * nothing is queued. Returns 0, -1 on OOM. */
int rt_follow_host(struct rt_answer *a, const char *host, const char *hop);

/* The hop text of the term a answers ("" for the user's own term). */
const char *rt_hop(const struct rt_answer *a);

/* EC2 instances and interfaces found (ownership of the items moves to the
 * result; l keeps empty shells to free). */
void rt_take_instances(struct rt_answer *a, struct ec2_instance_list *l);
void rt_take_enis(struct rt_answer *a, struct ec2_eni_list *l);

/* ---- helpers shared by the modules --------------------------------------- */

/* EC2 filter values for a case-insensitive Name substring search (tag
 * filters are case-sensitive). The term's first RT_NAME_WINDOW
 * characters are sent in every upper/lower-case combination of their
 * letters ("*wEb*", …: at most 2^7 = 128 values, one call); the answer
 * is then a superset that the caller narrows with res_name_matches or
 * strcasestr on the whole term. '*', '?' and '\' are escaped. Fills
 * params[0..] (room for 129) with "Filter.<filter_n>.Name" = "tag:Name"
 * and "Filter.<filter_n>.Value.<k>", using storage (RT_NAME_STORAGE
 * bytes) for the strings; returns the number of params used. */
#define RT_NAME_WINDOW 7
#define RT_NAME_STORAGE (128 * 40 + 64)
size_t rt_ec2_name_filter(const char *term, int filter_n, struct aws_query_param *params,
			  char *storage, size_t storage_len);

#endif
