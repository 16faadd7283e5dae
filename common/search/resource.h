/*
 * resource.h - one AWS resource of any registered type, as the search,
 * the renderer and the inventory see it.
 *
 * A type module (search/registry.h) fills a struct res_resource from an
 * AWS answer: what identifies it (id, ARN, name, addresses, DNS names,
 * tags: what the inventory indexes), what the card shows (state, fields
 * in order) and what it points to (relations: a volume's instance, a load
 * balancer's targets, a record's alias target). EC2 instances and
 * network interfaces keep their richer structs (aws/ec2_types.h).
 *
 * Every string is owned by the resource and freed by res_clear(); absent
 * values are NULL. The add functions copy their arguments and return 0, or
 * -1 with err set (SI_ERR_NOMEM, or SI_ERR_LIMIT past the caps below);
 * a NULL or "" value is skipped (returns 0) so parsers can pass optional
 * XML text straight through.
 */
#ifndef SI_SEARCH_RESOURCE_H
#define SI_SEARCH_RESOURCE_H

#include <stddef.h>

#include "util/err.h"

/* Caps per resource: a card shows far fewer, and a hostile answer must
 * not grow one resource without bound. A security group may carry 60
 * rules; a load balancer's relations are its target groups (up to 100
 * listeners' worth) plus their targets, 1,000 per group (AWS's limit). */
#define RES_MAX_FIELDS 32
#define RES_MAX_ADDRS 256
#define RES_MAX_DNS 32
#define RES_MAX_TAGS 64
#define RES_MAX_RELS 4096

struct rt_type;

struct res_kv {
	char *key;
	char *value;
};

/* A pointer from this resource to another one. */
struct res_rel {
	char *kind;     /* what the other end is to us: "attached to",
	                 * "target", "member", "alias", "cname", "vpc" */
	char *type;     /* registry name of the other end ("instance"), or NULL */
	char *id;       /* its id, ARN or name */
	char *detail;   /* e.g. "healthy", "writer", "port 443"; NULL */
	char *name;     /* the other end's Name when known; NULL */
};

struct res_resource {
	const struct rt_type *type;  /* static registry entry (borrowed) */
	char *id;         /* what the user would paste: "sg-…", LB name, DB
	                   * identifier, function name, record name */
	char *arn;
	char *name;       /* Name tag or the resource's own name */
	char *state;      /* "available", "active", "running", …; NULL */
	char *created;    /* ISO 8601 as AWS sent it (launch, create time) */
	char *hop;        /* "api.example.com → CNAME x.elb.amazonaws.com"
	                   * when reached by following DNS; NULL */
	struct res_kv *fields;  /* label → value, in card order */
	size_t n_fields;
	char **addrs;     /* IP addresses and CIDR blocks it holds */
	size_t n_addrs;
	char **dns;       /* DNS names that reach it */
	size_t n_dns;
	struct res_kv *tags;
	size_t n_tags;
	struct res_rel *rels;
	size_t n_rels;
};

/* Free every string and array of r and zero it (type kept NULL). NULL ok. */
void res_clear(struct res_resource *r);

/* Replace *slot (freeing the old value) by a copy of value; NULL or ""
 * leaves *slot NULL. */
int res_set(char **slot, const char *value, struct si_err *err);

int res_add_field(struct res_resource *r, const char *label, const char *value,
		  struct si_err *err);
int res_add_addr(struct res_resource *r, const char *addr, struct si_err *err);
int res_add_dns(struct res_resource *r, const char *name, struct si_err *err);
/* Tags keep "" values (the tag exists); a NULL key is skipped. */
int res_add_tag(struct res_resource *r, const char *key, const char *value,
		struct si_err *err);
/* kind and id are required (NULL id: skipped); the rest may be NULL. */
int res_add_rel(struct res_resource *r, const char *kind, const char *type, const char *id,
		const char *detail, struct si_err *err);

/* The value of the first field labelled label, or NULL. */
const char *res_field(const struct res_resource *r, const char *label);

/* The value of tag key, or NULL. */
const char *res_tag(const struct res_resource *r, const char *key);

/* 1 when needle (already lower-case) is a substring of the resource's
 * name, compared case-insensitively (ASCII), else 0. */
int res_name_matches(const struct res_resource *r, const char *needle_lc);

#endif
