/*
 * search/private/ec2.h - the EC2 Describe* machinery shared by the EC2
 * family modules (rt_ec2net.c, rt_ec2store.c; implemented in rt_ec2net.c).
 *
 * Eleven types answer the same way: one query-protocol Describe* call
 * whose answer is <XResponse><xSet><item>…</item></xSet><nextToken>, an id
 * filter for IDs and ARNs, the Name tag (and, for some, a name of their
 * own) for names, a listing for CIDR blocks. A type states what differs in
 * a struct rt_ec2_kind; rt_ec2_plan and rt_ec2_answer do the rest, so the
 * rules (which term a type may hold, narrowing to the whole case-insensitive
 * name, paging, caps) live once.
 */
#ifndef SI_SEARCH_PRIVATE_EC2_H
#define SI_SEARCH_PRIVATE_EC2_H

#include <stddef.h>

#include <libxml/tree.h>

#include "search/private/qxml.h"
#include "search/registry.h"

#define RT_EC2_SERVICE "ec2"
#define RT_EC2_VERSION "2016-11-15"

/* Steps of the shared calls; a module's own follow-ups use
 * RT_EC2_STEP_OWN and above. */
enum {
	RT_EC2_STEP_LIST = 1,     /* ID, ARN, host, CIDR listing, check */
	RT_EC2_STEP_NAME_TAG,     /* NAME: the tag:Name filter */
	RT_EC2_STEP_NAME_OWN,     /* NAME: the type's own name filter */
	RT_EC2_STEP_OWN = 16
};

/* The longest id a term may name ("vpce-" + 17 hex digits is 22). */
#define RT_EC2_MAX_ID 64

struct rt_ec2_kind {
	const struct rt_type *type;
	const char *action;           /* "DescribeSubnets" */
	const char *set;              /* the item list: "subnetSet" */
	const char *id_elem;          /* "subnetId" */
	const char *id_filter;        /* "subnet-id"; NULL: id_param */
	const char *id_param;         /* "LaunchTemplateId.1": APIs without
	                               * an id filter (absent_codes then say
	                               * which error means "not here") */
	const char *own_name_elem;    /* a name besides the Name tag
	                               * ("groupName"), or NULL */
	const char *own_name_filter;  /* its filter ("group-name") */
	int owner_self;               /* send Owner.1=self with names and
	                               * listings (images, snapshots: else
	                               * every public one is scanned) */
	const char *page_size;        /* MaxResults of filtered calls */
	/* Fill r (id, name and tags are set) from item. */
	int (*fill)(struct rt_answer *a, const xmlNode *item, struct res_resource *r,
		    struct si_err *err);
	/* The id a host name term names in region (0), or -1: not ours
	 * (NULL: the type answers no host names). */
	int (*host_id)(const char *host, const char *region, char *out, size_t n);
	/* r was kept as resource index: queue its follow-ups (NULL: none).
	 * Returns 0, -1 with err set. */
	int (*placed)(struct rt_answer *a, size_t index, const struct res_resource *r,
		      struct si_err *err);
};

/* Plan p->term for k (rt_type.plan). 0, or -1 on OOM. */
int rt_ec2_plan(const struct rt_ec2_kind *k, struct rt_plan *p);

/* Parse one answer of a shared step (rt_type.answer): keep the items the
 * term names, queue the next page. 0, or -1 with err set. */
int rt_ec2_answer(const struct rt_ec2_kind *k, struct rt_answer *a, const char *body,
		  size_t len, struct si_err *err);

/* ---- helpers for the kinds' fill functions ---------------------------- */
/* (Reading an item's elements into r: search/private/qxml.h.) */

/* r's addresses of family 4 (IPv4) or 6 (IPv6), joined as qx_join does,
 * as field label. */
int rt_ec2_join_addrs(struct res_resource *r, const char *label, int family,
		      struct si_err *err);

/* https://<region>.console.aws.amazon.com/<console>/home?region=<region>
 * #<page>:<key>=<id> into out (qx_console_url; "" when r has no id). */
void rt_ec2_console(const struct res_resource *r, const char *region, const char *console,
		    const char *page, const char *key, char *out, size_t n);

/* The non-empty parts joined by ", " into out (n bytes, NUL-terminated),
 * for the one-line summaries. */
void rt_ec2_summary(char *out, size_t n, const char *const *parts, size_t k);

#endif
