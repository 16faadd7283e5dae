/*
 * fuzz_query.c - the term classifier and the whole-text parser on arbitrary
 * bytes. Beyond "no crash", checks the invariants callers rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/query.h"

static void s_check_term(const struct query_term *t)
{
	/* Every string field stays NUL-terminated within its array. */
	if (memchr(t->value, '\0', sizeof(t->value)) == NULL ||
	    memchr(t->reason, '\0', sizeof(t->reason)) == NULL ||
	    memchr(t->ip, '\0', sizeof(t->ip)) == NULL ||
	    memchr(t->region, '\0', sizeof(t->region)) == NULL)
		abort();
	if (t->kind == QUERY_MALFORMED && t->reason[0] == '\0')
		abort();
	if (t->kind != QUERY_MALFORMED && t->value[0] == '\0')
		abort();
	if (t->kind == QUERY_HELP)
		abort();
	if (t->region[0] != '\0' && !aws_region_valid(t->region))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "production", "staging" };
	struct query_term t;
	struct query q;
	struct si_err err;
	char *s;
	size_t i;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	query_classify(s, &t);
	s_check_term(&t);
	(void)query_kind_name(t.kind);

	si_err_clear(&err);
	if (query_parse(s, &q, &err) == 0) {
		if (q.kind == QUERY_MALFORMED || q.n_terms > QUERY_MAX_TERMS ||
		    q.n_accounts > QUERY_MAX_MODIFIERS || q.n_regions > QUERY_MAX_MODIFIERS)
			abort();
		if (q.kind != QUERY_HELP && q.n_terms == 0)
			abort();
		for (i = 0; i < q.n_terms; i++) {
			s_check_term(&q.terms[i]);
			if (q.terms[i].kind == QUERY_MALFORMED)
				abort();
		}
		for (i = 0; i < q.n_regions; i++)
			if (!aws_region_valid(q.regions[i]))
				abort();
		(void)query_check_accounts(&q, known, 2, &err);
		(void)query_check_regions(&q, known, 2, &err);
	} else if (err.msg[0] == '\0' ||
		   (q.kind != QUERY_MALFORMED && q.kind != QUERY_UNKNOWN) || q.n_terms != 0) {
		abort();
	}
	free(s);
	return 0;
}
