#include "search/plan.h"

#include <string.h>

static const char *s_or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* Contract in plan.h. Why a separate plan: the classifier speaks in what
 * the user typed (ARNs, DNS names), the engine in what EC2 can filter on;
 * this maps one to the other, e.g. an EC2 DNS name becomes an address
 * search pinned to the region the name encodes. Borrows from q and text. */
void plan_from_query(struct plan *p, const struct query *q, const char *text)
{
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < q->n_terms && i < QUERY_MAX_TERMS; i++) {
		const struct query_term *t = &q->terms[i];
		struct search_term *st = &p->terms[n];

		st->region = s_or_null(t->region);
		switch (t->kind) {
		case QUERY_INSTANCE_ID:
			st->kind = SEARCH_TERM_INSTANCE_ID;
			st->value = t->value;
			break;
		case QUERY_INSTANCE_ARN:
			/* Only that account and region can hold it. */
			st->kind = SEARCH_TERM_INSTANCE_ID;
			st->value = t->instance_id;
			st->account_id = s_or_null(t->account_id);
			break;
		case QUERY_IPV4:
			st->kind = SEARCH_TERM_IPV4;
			st->value = t->ip[0] ? t->ip : t->value;
			break;
		case QUERY_IPV6:
			st->kind = SEARCH_TERM_IPV6;
			st->value = t->ip[0] ? t->ip : t->value;
			break;
		case QUERY_PRIVATE_DNS:
		case QUERY_PUBLIC_DNS:
			/* EC2 names encode the address (or, resource-based, the
			 * instance id) and the region: search that, in that region.
			 * It finds the instance whatever hostname type it uses. */
			if (t->instance_id[0] != '\0') {
				st->kind = SEARCH_TERM_INSTANCE_ID;
				st->value = t->instance_id;
			} else if (t->ip[0] != '\0') {
				st->kind = SEARCH_TERM_IPV4;
				st->value = t->ip;
			} else {
				st->kind = t->kind == QUERY_PRIVATE_DNS ? SEARCH_TERM_PRIVATE_DNS
									: SEARCH_TERM_PUBLIC_DNS;
				st->value = t->value;
			}
			break;
		case QUERY_ENI_ID:
			st->kind = SEARCH_TERM_ENI_ID;
			st->value = t->value;
			break;
		case QUERY_NAME:
			st->kind = SEARCH_TERM_NAME;
			st->value = t->filter;
			break;
		case QUERY_MALFORMED:
		case QUERY_HELP:
			continue;
		}
		n++;
	}
	for (size_t i = 0; i < q->n_accounts && i < QUERY_MAX_MODIFIERS; i++)
		p->accounts[i] = q->accounts[i];
	for (size_t i = 0; i < q->n_regions && i < QUERY_MAX_MODIFIERS; i++)
		p->regions[i] = q->regions[i];
	p->spec.terms = p->terms;
	p->spec.n_terms = n;
	p->spec.accounts = p->accounts;
	p->spec.n_accounts = q->n_accounts;
	p->spec.regions = p->regions;
	p->spec.n_regions = q->n_regions;
	p->spec.text = text;
}
