/*
 * search_types.h - the merged outcome of one search, as the renderer sees it.
 *
 * Produced by the search (search.h), consumed by the Block Kit renderer
 * (render.h) and the command line. All strings are owned by the result and
 * freed by search_result_free().
 */
#ifndef SI_SEARCH_TYPES_H
#define SI_SEARCH_TYPES_H

#include <stddef.h>

#include "aws/ec2_types.h"
#include "search/resource.h"

enum search_match_kind {
	SEARCH_MATCH_INSTANCE,
	SEARCH_MATCH_ENI,       /* an interface not owned by a listed instance */
	SEARCH_MATCH_RESOURCE   /* any other registered type (res.type) */
};

struct search_match {
	enum search_match_kind kind;
	char *account_alias;    /* lower-case alias, e.g. "production" */
	char *account_id;       /* 12 digits, NULL if unknown */
	char *region;           /* e.g. "eu-west-2" */
	struct ec2_instance instance;  /* valid when kind == INSTANCE */
	struct ec2_eni eni;            /* valid when kind == ENI */
	struct res_resource res;       /* valid when kind == RESOURCE */
};

/* A target (account x region) that did not answer in full. */
struct search_failure {
	char *account_alias;
	char *region;
	char *code;             /* AWS error code, or "Timeout", "ConnectionError" */
	char *message;          /* may be NULL */
};

struct search_result {
	char *query_text;       /* the user's text as typed */
	struct search_match *matches;
	size_t n_matches;
	struct search_failure *failures;
	size_t n_failures;
	size_t n_targets;       /* account-region pairs searched */
	size_t n_accounts;
	size_t n_regions;
	double elapsed_s;
	/* Host names in no hosted zone that were resolved with DNS, and what
	 * they resolved to ("www.example.com → 192.0.2.1, 192.0.2.7"), shown
	 * so the reader knows the addresses came from DNS; NULL: none. */
	char *dns_note;
	/* How the query was taken, when not as typed ("Searching 10.1.0.0/16:
	 * 10.1.2.3/16 has bits set past the /16 prefix"); NULL: none. */
	char *query_note;
};

/* Frees what m holds and zeroes it. */
void search_match_clear(struct search_match *m);

/* Frees every string and array in r, not r itself. Safe on a zeroed r. */
void search_result_free(struct search_result *r);

#endif
