/*
 * search/private/qxml.h - the helpers every resource-type module shares
 * (rt_*.c): walking an AWS XML answer's items, reading the text of an
 * element into a resource (slot, field, flag, address, DNS name,
 * relation, tags, a joined list), and the small rules around an answer
 * (is a term meant for this target, what the request being answered
 * carried, the console link of a resource).
 *
 * One copy of each, so the caps, the messages and the way an absent value
 * is skipped cannot drift between modules (STYLE.md habit 13). Every
 * function follows util/err.h: 0, or -1 with err set. A NULL node (an
 * element the answer lacks) reads as an empty text or an empty list,
 * never as an error: AWS leaves out what a resource does not have. Names
 * are local element names (aws/xml.h); a path "a/b" follows first
 * children. Texts are trimmed and capped by aws/xml.h (64 KiB).
 */
#ifndef SI_SEARCH_PRIVATE_QXML_H
#define SI_SEARCH_PRIVATE_QXML_H

#include <stddef.h>

#include <libxml/tree.h>

#include "search/registry.h"

/* ---- one answer's items --------------------------------------------------- */

/* Where the items of one answer stand: <root>[<result>]<list><item>…, the
 * next page's token beside the list, and the most items one answer may
 * hold. Query services (ELB, RDS, Auto Scaling) wrap the list in a
 * <XResult>; EC2 does not (result NULL). */
struct qx_list {
	const char *root;     /* "DescribeDBInstancesResponse" */
	const char *result;   /* "DescribeDBInstancesResult"; NULL: none */
	const char *list;     /* "DBInstances" */
	const char *item;     /* "DBInstance" */
	size_t max;           /* more items: SI_ERR_LIMIT */
	const char *token;    /* "Marker"; NULL: the call is not paged */
};

/* The qx_list of a query-protocol call (ELB, RDS, Auto Scaling):
 * <ActionResponse><ActionResult><list><item>…; action a string literal. */
#define QX_QUERY_LIST(action, list, item, max, token) \
	{ action "Response", action "Result", (list), (item), (max), (token) }

/* One item of a walked answer: 0 to go on, 1 to stop (the search holds
 * all it may: no further item, no next page), -1 with err set. */
typedef int (*qx_item_fn)(struct rt_answer *a, const xmlNode *item, void *ctx,
			  struct si_err *err);

/* Read body as l says (aws_xml_read: the root must be l->root, an AWS
 * error envelope is SI_ERR_REMOTE), count the items against l->max before
 * any is read, hand each to fn(a, item, ctx, err), then ask for the next
 * page (rt_next_page) unless fn stopped. */
int qx_walk(struct rt_answer *a, const char *body, size_t len, const struct qx_list *l,
	    qx_item_fn fn, void *ctx, struct si_err *err);

/* The children of list called item, counted into *n; past max
 * SI_ERR_LIMIT "more than <max> <what> in one answer" (what NULL: the
 * element's name). NULL list: 0. */
int qx_count(const xmlNode *list, const char *item, size_t max, const char *what, size_t *n,
	     struct si_err *err);

/* ---- one element's text into a resource ----------------------------------- */

/* *out = the text at path under n, or n's own text when path is NULL
 * (absent or empty: NULL). The caller frees *out. */
int qx_text(const xmlNode *n, const char *path, char **out, struct si_err *err);

/* *slot (freed first) = the text at path under n (NULL when absent). */
int qx_set(char **slot, const xmlNode *n, const char *path, struct si_err *err);

/* Where a resource's element holds what identifies it (NULL: nothing):
 * paths of its id, name (often the id's own), ARN, state, creation time. */
struct qx_ident {
	const char *id;
	const char *name;
	const char *arn;
	const char *state;
	const char *created;
};

/* r's id, name, arn, state and created (each freed first) from n as p
 * says; a slot p names no path for is left alone. */
int qx_ident(struct res_resource *r, const xmlNode *n, const struct qx_ident *p,
	     struct si_err *err);

/* The text at path under n as field label of r; absent or empty: none. */
int qx_field(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
	     struct si_err *err);

/* The same for a boolean: "true" shows "yes", "false" "no", anything
 * else as sent. */
int qx_flag(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
	    struct si_err *err);

/* The same, the text followed by suffix ("8" + " GiB"). */
int qx_field_unit(struct res_resource *r, const char *label, const xmlNode *n, const char *path,
		  const char *suffix, struct si_err *err);

/* The text at path under n as one of r's addresses / DNS names. */
int qx_addr(struct res_resource *r, const xmlNode *n, const char *path, struct si_err *err);
int qx_dns(struct res_resource *r, const xmlNode *n, const char *path, struct si_err *err);

/* A relation kind/type of r to the text at id_path under n (NULL: n's own
 * text; absent: no relation), with the text at detail_path (NULL: none)
 * as its detail. */
int qx_rel(struct res_resource *r, const char *kind, const char *type, const xmlNode *n,
	   const char *id_path, const char *detail_path, struct si_err *err);

/* ---- one list's items into a resource -------------------------------------- */

/* Each item of list (at most max, SI_ERR_LIMIT past it) as qx_rel makes
 * it: a relation kind/type of r to its text at id_sub (NULL: its own
 * text), detail its text at detail_sub (NULL: none). */
int qx_rels(struct res_resource *r, const char *kind, const char *type, const xmlNode *list,
	    const char *item, const char *id_sub, const char *detail_sub, size_t max,
	    struct si_err *err);

/* Each item of list (at most max): its text at sub (NULL: its own) as one
 * of r's DNS names. */
int qx_dns_all(struct res_resource *r, const xmlNode *list, const char *item, const char *sub,
	       size_t max, struct si_err *err);

/* A card's list field: the values joined by ", " in at most QX_MAX_JOINED
 * bytes. A value goes in whole or not at all; the first that does not fit
 * ends the text in ", …" (a lone "…" when it was the first), since a card
 * shows one line of it anyway and a long list must not fail an answer. */
#define QX_MAX_JOINED 512

struct qx_joined {
	char text[QX_MAX_JOINED];
	size_t used;
	int full;
};

void qx_joined_init(struct qx_joined *j);

/* Append s (NULL or "": nothing). 0, or -1 once j is full. */
int qx_joined_add(struct qx_joined *j, const char *s);

/* The items of list (at most max: SI_ERR_LIMIT past it), their texts at
 * sub (NULL: their own), joined as above into field label of r (no item
 * with a text: no field). */
int qx_join(struct res_resource *r, const char *label, const xmlNode *list, const char *item,
	    const char *sub, size_t max, struct si_err *err);

/* How a service writes tags: the list under the resource's element, each
 * tag's element, its key and value elements, the most one resource may
 * carry (AWS allows 50; more is SI_ERR_LIMIT). */
struct qx_tag_shape {
	const char *list;
	const char *item;
	const char *key;
	const char *value;
	size_t max;
};

extern const struct qx_tag_shape qx_tags_ec2;     /* tagSet/item/{key,value} */
extern const struct qx_tag_shape qx_tags_member;  /* Tags/member/{Key,Value}:
						   * Auto Scaling (ELB's
						   * DescribeTags too) */
extern const struct qx_tag_shape qx_tags_rds;     /* TagList/Tag/{Key,Value} */

/* The tags of the resource element n, written as s says, into r's tags
 * (an absent value is "", res_add_tag's rule). */
int qx_tags(struct res_resource *r, const xmlNode *n, const struct qx_tag_shape *s,
	    struct si_err *err);

/* ---- around an answer -------------------------------------------------------- */

/* 1 when the account and region term t is limited to (an ARN's, a DNS
 * name's region; NULL or "": none) admit the target (region, account_id;
 * an unknown account, "", admits any), else 0. The engine only plans a
 * term where it may be; this keeps a module honest should it not. */
int qx_in_target(const struct search_term *t, const char *region, const char *account_id);

/* The value of parameter name of the request a answers, or NULL. */
const char *qx_param(const struct rt_answer *a, const char *name);

/* The answer to an ec2 DescribeInstances follow-up asked for the
 * "instance" relations of resource a->parent: each relation whose
 * instance the answer holds gets that instance's Name tag as its name. */
int qx_name_instances(struct rt_answer *a, const char *body, size_t len, struct si_err *err);

/* qx_console_url flags: id is an ARN. ':' and '/' stay as they are (a URL
 * fragment may hold them, RFC 3986 section 3.5, and the console expects
 * them so); the parts between are percent-encoded. */
#define QX_URL_ARN 0x1u

/* https://<region>.console.aws.amazon.com/<console>/home?region=<region>
 * #<page><id, percent-encoded by libcurl><after> into out (n bytes); id
 * NULL: the page alone, after NULL: nothing after. "" when region is NULL
 * or "", when it does not fit (a cut URL is a wrong link) or when memory
 * runs out. */
void qx_console_url(char *out, size_t n, const char *region, const char *console,
		    const char *page, const char *id, const char *after, unsigned flags);

#endif
