/*
 * collect.h - run a type module without the network: plan a term, or
 * parse an answer body, and keep what it asks for and what it finds.
 *
 * For the parser tests (every sample file through its module) and for the
 * inventory, which feeds crawled answers through the same parsers.
 * Everything in struct rt_collect is owned by it; rt_collect_free frees it.
 */
#ifndef SI_SEARCH_COLLECT_H
#define SI_SEARCH_COLLECT_H

#include <stddef.h>

#include "search/registry.h"
#include "search/types.h"

/* A request a module planned or followed, copied. */
struct rt_collected {
	char *service;
	char *action;
	char *version;            /* query protocol only, else NULL */
	char *path;               /* REST only, else NULL */
	int proto;                /* enum aws_protocol */
	int global;
	int step;
	size_t parent;
	char *page_param;
	char **names;             /* parameters, in order */
	char **values;
	size_t n_params;
};

struct rt_collect {
	struct search_result result;   /* resources, instances, interfaces */
	struct rt_collected *reqs;
	size_t n_reqs;
	char *next_token;              /* the last rt_next_page token */
	char **hosts;                  /* rt_follow_host: host and hop text */
	char **hops;
	size_t n_hosts;
	const char *hop;               /* what rt_hop answers ("" if NULL) */
};

/* Plan term for type t in one target. Returns 0, -1 on OOM. */
int rt_collect_plan(const struct rt_type *t, const struct search_term *term, const char *region,
		    const char *account_id, int first_of_account, struct rt_collect *c);

/* Feed body to t->answer as the answer to a request of step (parent,
 * params as that request carried; params may be NULL). Resources land in
 * c->result.matches with account_id and region set. Returns what the
 * module returned. */
int rt_collect_answer(const struct rt_type *t, int step, size_t parent,
		      const struct search_term *term, const char *region, const char *account_id,
		      const struct aws_query_param *params, size_t n_params, const char *body,
		      size_t len, struct rt_collect *c, struct si_err *err);

/* The value of parameter name of request i, or NULL. */
const char *rt_collected_param(const struct rt_collected *r, const char *name);

void rt_collect_free(struct rt_collect *c);

#endif
