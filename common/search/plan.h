/*
 * plan.h - turn a parsed query (query.h) into a search spec (search.h).
 *
 * The classifier speaks the user's language (ARNs, DNS names); the search
 * speaks AWS filters per account and region. An ARN becomes an instance id
 * restricted to its account and region; a DNS name becomes the address (or
 * instance id) it encodes, restricted to the region it encodes.
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
 * Never fails: a malformed or help query simply yields no terms. */
void plan_from_query(struct plan *p, const struct query *q, const char *text);

#endif
