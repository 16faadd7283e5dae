#include "search/types.h"

#include <stdlib.h>
#include <string.h>

void search_match_clear(struct search_match *m)
{
	free(m->account_alias);
	free(m->account_id);
	free(m->region);
	ec2_instance_clear(&m->instance);
	ec2_eni_clear(&m->eni);
	res_clear(&m->res);
	memset(m, 0, sizeof(*m));
}

void search_hold_clear(struct search_hold *h)
{
	free(h->addr);
	free(h->type);
	free(h->id);
	free(h->name);
	free(h->account_alias);
	free(h->account_id);
	free(h->region);
	free(h->end_reason);
	memset(h, 0, sizeof(*h));
}

void search_history_clear(struct search_history *h)
{
	free(h->subject);
	for (size_t i = 0; i < h->n_holds; i++)
		search_hold_clear(&h->holds[i]);
	free(h->holds);
	memset(h, 0, sizeof(*h));
}

void search_result_free(struct search_result *r)
{
	if (r == NULL)
		return;
	free(r->query_text);
	for (size_t i = 0; i < r->n_matches; i++)
		search_match_clear(&r->matches[i]);
	free(r->matches);
	for (size_t i = 0; i < r->n_failures; i++) {
		free(r->failures[i].account_alias);
		free(r->failures[i].region);
		free(r->failures[i].code);
		free(r->failures[i].message);
	}
	free(r->failures);
	free(r->dns_note);
	free(r->query_note);
	for (size_t i = 0; i < r->n_history; i++)
		search_history_clear(&r->history[i]);
	free(r->history);
	free(r->index_note);
	memset(r, 0, sizeof(*r));
}
