/*
 * plan.h - turn a parsed query (query.h) into search terms (engine.h).
 *
 * The classifier speaks the user's language (ARNs, DNS names); the search
 * speaks resource types, accounts and regions. An ARN becomes a term
 * pinned to its type, restricted to its account and region (an ARN without
 * a region, as global services write them, searches every region); an
 * EC2 DNS name becomes the address (or instance id) it encodes, restricted
 * to the region it encodes; a load balancer or RDS DNS name becomes a host
 * term pinned to its type and region; other host names go to the types
 * that take any host (Route 53).
 *
 * Every kind maps to struct search_term as follows (unset fields NULL/0;
 * hop NULL and depth 0: a user's own term):
 *   INSTANCE_ID    INSTANCE_ID  value: the id
 *   INSTANCE_ARN   INSTANCE_ID  value: the id; account_id, region
 *   ENI_ID         ENI_ID       value: the id
 *   IPV4 / IPV6    IPV4 / IPV6  value: the canonical address
 *   PRIVATE_DNS,   IPV4 (ip-/ec2- names) or INSTANCE_ID (resource-based
 *   PUBLIC_DNS     names): the encoded value; region when encoded
 *   NAME           NAME         value: as typed; name_lc: lower case
 *   RESOURCE_ID    ID           value: the id; type
 *   ARN            ARN          value: the ARN; resource; type;
 *                               account_id and region unless empty
 *   CIDR           CIDR         value: the canonical block
 *   HOST           HOST         value: lower-case name; type and region
 *                               when a type's DNS suffix claimed it
 *   MALFORMED, UNKNOWN, HELP    no term
 */
#ifndef SI_PLAN_H
#define SI_PLAN_H

#include "search/query.h"
#include "search/engine.h"

struct plan {
	struct search_term terms[QUERY_MAX_TERMS];
	const char *accounts[QUERY_MAX_MODIFIERS];
	const char *regions[QUERY_MAX_MODIFIERS];
	struct search_spec spec;       /* points into terms/accounts/regions */
};

/* Fill p from q. Every pointer in p->spec points into q or p: both must
 * stay in place while the spec is used. text is the user's text (borrowed).
 * Never fails: a malformed, unknown or help query simply yields no terms. */
void plan_from_query(struct plan *p, const struct query *q, const char *text);

/* A host name or address met while following DNS (a CNAME or ALIAS
 * target, an A/AAAA value, an address the resolver returned), as a term. */
struct plan_follow {
	struct query_term qt;          /* the classification (query_classify) */
	struct search_term term;       /* points into qt */
};

/*
 * Classify text (NUL-terminated, a final dot allowed) with query_classify
 * and fill out->term as plan_from_query would: an IPv4/IPv6 address
 * becomes an address term; an EC2 DNS name the address or instance id it
 * encodes, in its region; a load balancer or RDS name a host term pinned
 * to its type and region; any other host name a host term for the types
 * that take any host (Route 53). out->term points into out->qt: keep out
 * in place while the term is used; nothing to free. The caller sets
 * account_id, hop and depth (left NULL/0). Returns 0, or -1 (out->term
 * zeroed, out->qt.reason may say why) when text is none of these: a Name,
 * an ID, an ARN, a block or something malformed is not a DNS target.
 */
int plan_follow(const char *text, struct plan_follow *out);

#endif
