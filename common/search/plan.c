/*
 * plan.c - from classified terms to search terms (see plan.h).
 */
#include "search/plan.h"

#include <string.h>

static const char *s_or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

/* EC2 names encode the address (or, resource-based, the instance id) and
 * the region: search that, in that region. It finds the instance whatever
 * hostname type it uses. */
static void s_ec2_dns(const struct query_term *t, struct search_term *st)
{
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
}

/*
 * One classified term as a search term (the table in plan.h); st is fully
 * overwritten and borrows from t. Returns 0, or -1 for the kinds that are
 * never searched (malformed, unknown, help). Why a separate step: the
 * classifier speaks in what the user typed, the engine in types, accounts
 * and regions; this is the one place that maps one to the other.
 */
static int s_term(const struct query_term *t, struct search_term *st)
{
	memset(st, 0, sizeof(*st));
	st->region = s_or_null(t->region);
	st->value = t->value;
	switch (t->kind) {
	case QUERY_INSTANCE_ID:
		st->kind = SEARCH_TERM_INSTANCE_ID;
		return 0;
	case QUERY_INSTANCE_ARN:
		/* Only that account and region can hold it. */
		st->kind = SEARCH_TERM_INSTANCE_ID;
		st->value = t->instance_id;
		st->account_id = s_or_null(t->account_id);
		return 0;
	case QUERY_IPV4:
	case QUERY_IPV6:
		st->kind = t->kind == QUERY_IPV4 ? SEARCH_TERM_IPV4 : SEARCH_TERM_IPV6;
		st->value = t->ip[0] ? t->ip : t->value;
		return 0;
	case QUERY_PRIVATE_DNS:
	case QUERY_PUBLIC_DNS:
		s_ec2_dns(t, st);
		return 0;
	case QUERY_ENI_ID:
		st->kind = SEARCH_TERM_ENI_ID;
		return 0;
	case QUERY_NAME:
		st->kind = SEARCH_TERM_NAME;
		st->name_lc = t->name_lc;
		return 0;
	case QUERY_RESOURCE_ID:
		st->kind = SEARCH_TERM_ID;
		st->type = t->type;
		return 0;
	case QUERY_ARN:
		/* Only that account (when it names one) and region (when it
		 * names one: global services leave it empty) can hold it. */
		st->kind = SEARCH_TERM_ARN;
		st->type = t->type;
		st->resource = t->resource;
		st->account_id = s_or_null(t->account_id);
		return 0;
	case QUERY_CIDR:
		st->kind = SEARCH_TERM_CIDR;
		return 0;
	case QUERY_HOST:
		st->kind = SEARCH_TERM_HOST;
		st->type = t->type;
		return 0;
	case QUERY_MALFORMED:
	case QUERY_UNKNOWN:
	case QUERY_HELP:
		break;
	}
	memset(st, 0, sizeof(*st));
	return -1;
}

/* Contract in plan.h. Borrows from q and text. */
void plan_from_query(struct plan *p, const struct query *q, const char *text)
{
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < q->n_terms && i < QUERY_MAX_TERMS; i++)
		if (s_term(&q->terms[i], &p->terms[n]) == 0)
			n++;
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
	for (size_t i = 0; i < q->n_terms && i < QUERY_MAX_TERMS && p->spec.note == NULL; i++)
		if (q->terms[i].note[0] != '\0')
			p->spec.note = q->terms[i].note;
}

/* Contract in plan.h. Only what a DNS answer can point at is followed:
 * addresses and host names (EC2 ones decoded). */
int plan_follow(const char *text, struct plan_follow *out)
{
	memset(&out->term, 0, sizeof(out->term));
	switch (query_classify(text, &out->qt)) {
	case QUERY_IPV4:
	case QUERY_IPV6:
	case QUERY_PRIVATE_DNS:
	case QUERY_PUBLIC_DNS:
	case QUERY_HOST:
		return s_term(&out->qt, &out->term);
	default:
		return -1;
	}
}
