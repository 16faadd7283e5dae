/*
 * test_registry.c - the registry as a whole (search/registry.h): every
 * type is complete and consistent with its neighbours, and plans only
 * calls it declares (so the IAM kit, built from the declarations, grants
 * exactly what a search may call); every type lists what it holds for
 * the inventory crawler (SEARCH_TERM_LIST), paged, unfiltered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "search/collect.h"
#include "search/registry.h"

/* The IAM prefix of a signing name. */
static const char *s_iam(const char *service)
{
	return service;
}

static int s_declared(const struct rt_type *t, const char *service, const char *action)
{
	char want[160];

	snprintf(want, sizeof(want), "%s:%s", s_iam(service), action);
	for (size_t i = 0; t->actions != NULL && t->actions[i] != NULL; i++)
		if (strcmp(t->actions[i], want) == 0)
			return 1;
	return 0;
}

/* One term of each kind, with values every type may be asked. */
struct s_case {
	enum search_term_kind kind;
	const char *value;
};

static const struct s_case s_cases[] = {
	{ SEARCH_TERM_NAME, "Web" },
	{ SEARCH_TERM_IPV4, "10.0.0.1" },
	{ SEARCH_TERM_IPV6, "2001:db8::1" },
	{ SEARCH_TERM_CIDR, "10.0.0.0/16" },
	{ SEARCH_TERM_HOST, "api.example.com" },
	{ SEARCH_TERM_CHECK, "" },
	{ SEARCH_TERM_INSTANCE_ID, "i-0123456789abcdef0" },
	{ SEARCH_TERM_ENI_ID, "eni-0123456789abcdef0" },
	{ SEARCH_TERM_PRIVATE_DNS, "ip-10-0-0-1.ec2.internal" },
	{ SEARCH_TERM_LIST, "" },
};

/* Every request a type plans, for every kind of term (pinned to the type
 * for IDs, ARNs and its own DNS names), names an action the type declares,
 * a service and, for the query protocol, a version. */
static void test_plans_only_declared_actions(void **state)
{
	(void)state;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];

		const size_t n_cases = sizeof(s_cases) / sizeof(s_cases[0]);

		for (size_t k = 0; k < n_cases + 2; k++) {
			struct search_term term;
			struct rt_collect c;
			char id[64];

			memset(&term, 0, sizeof(term));
			memset(&c, 0, sizeof(c));
			if (k < n_cases) {
				term.kind = s_cases[k].kind;
				term.value = s_cases[k].value;
				term.name_lc = "web";
			} else if (t->id_prefixes != NULL && k == n_cases) {
				snprintf(id, sizeof(id), "%s0123456789abcdef0", t->id_prefixes[0]);
				term.kind = SEARCH_TERM_ID;
				term.value = id;
				term.type = t;
			} else {
				continue;
			}
			assert_int_equal(rt_collect_plan(t, &term, "eu-west-2", "123456789012", 1,
							 &c), 0);
			for (size_t r = 0; r < c.n_reqs; r++) {
				const struct rt_collected *q = &c.reqs[r];

				assert_non_null(q->service);
				assert_non_null(q->action);
				if (!s_declared(t, q->service, q->action))
					fail_msg("%s plans %s:%s, not in its actions", t->name,
						 q->service, q->action);
				if (q->proto == AWS_PROTO_QUERY)
					assert_non_null(q->version);
			}
			rt_collect_free(&c);
		}
	}
}

/* Names are unique, every type has a label, a plan and an answer, and
 * its declarations are found again by the lookups the classifier uses. */
static void test_types_complete_and_found(void **state)
{
	(void)state;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];
		char id[64];

		assert_non_null(t->name);
		assert_non_null(t->label);
		assert_non_null(t->plan);
		assert_non_null(t->answer);
		assert_non_null(t->actions);
		assert_ptr_equal(rt_by_name(t->name), t);
		for (size_t k = i + 1; rt_types[k] != NULL; k++)
			assert_string_not_equal(t->name, rt_types[k]->name);
		for (size_t k = 0; t->id_prefixes != NULL && t->id_prefixes[k] != NULL; k++) {
			snprintf(id, sizeof(id), "%s0123abcd", t->id_prefixes[k]);
			assert_ptr_equal(rt_by_id_prefix(id), t);
			snprintf(id, sizeof(id), "%s0123456789abcdef0", t->id_prefixes[k]);
			assert_ptr_equal(rt_by_id_prefix(id), t);
		}
		for (size_t k = 0; t->arn_types != NULL && t->arn_types[k] != NULL; k++)
			assert_ptr_equal(rt_by_arn(t->arn_service, t->arn_types[k]), t);
	}
	assert_null(rt_by_id_prefix("xyz-0123abcd"));
	assert_null(rt_by_arn("s3", ""));
	assert_null(rt_by_name("no-such-type"));
}

/* The explanation lists what we can search, and stays within its buffer. */
static void test_describe_known(void **state)
{
	char buf[2048], tiny[16];

	(void)state;
	rt_describe_known(buf, sizeof(buf));
	for (size_t i = 0; rt_types[i] != NULL; i++)
		for (size_t k = 0; rt_types[i]->id_prefixes != NULL &&
		     rt_types[i]->id_prefixes[k] != NULL; k++)
			assert_non_null(strstr(buf, rt_types[i]->id_prefixes[k]));
	memset(tiny, 'x', sizeof(tiny));
	rt_describe_known(tiny, sizeof(tiny));
	assert_true(memchr(tiny, '\0', sizeof(tiny)) != NULL);
}

/* The case-folded window of a Name search: every combination of the
 * first RT_NAME_WINDOW characters' letters, escapes kept. */
static void test_name_filter_variants(void **state)
{
	struct aws_query_param p[RT_MAX_PARAMS];
	char storage[RT_NAME_STORAGE];
	size_t n;
	int seen_upper = 0, seen_lower = 0;

	(void)state;
	n = rt_ec2_name_filter("Web", 1, p, storage, sizeof(storage));
	assert_int_equal(n, 1 + 8);
	assert_string_equal(p[0].name, "Filter.1.Name");
	assert_string_equal(p[0].value, "tag:Name");
	for (size_t i = 1; i < n; i++) {
		seen_upper |= strcmp(p[i].value, "*WEB*") == 0;
		seen_lower |= strcmp(p[i].value, "*web*") == 0;
		for (size_t k = 1; k < i; k++)
			assert_string_not_equal(p[i].value, p[k].value);
	}
	assert_true(seen_upper && seen_lower);
	/* Only the window is folded: 7 letters, 128 values, at most. */
	n = rt_ec2_name_filter("production-web", 2, p, storage, sizeof(storage));
	assert_int_equal(n, 1 + 128);
	assert_string_equal(p[128].name, "Filter.2.Value.128");
	assert_string_equal(p[128].value, "*PRODUCT*");
	/* EC2's wildcards and escape are escaped; digits have no case. */
	n = rt_ec2_name_filter("a*?\\1", 1, p, storage, sizeof(storage));
	assert_int_equal(n, 1 + 2);
	assert_string_equal(p[1].value, "*a\\*\\?\\\\1*");
}

/* The parameter that sets a listing's page size, by API: EC2's
 * MaxResults, ELB's PageSize, RDS's and Auto Scaling's MaxRecords,
 * Lambda's MaxItems, Route 53's maxitems. */
static const char *s_page_size(const struct rt_collected *q)
{
	static const char *const names[] = { "MaxResults", "PageSize", "MaxRecords", "MaxItems",
					     "maxitems", NULL };

	for (size_t i = 0; names[i] != NULL; i++)
		if (rt_collected_param(q, names[i]) != NULL)
			return names[i];
	return NULL;
}

/* Plan a listing of type t (pinned to pin, or NULL) into c. */
static void s_plan_list(const struct rt_type *t, const struct rt_type *pin, int first,
			struct rt_collect *c)
{
	struct search_term term = { .kind = SEARCH_TERM_LIST, .value = "", .type = pin };

	memset(c, 0, sizeof(*c));
	assert_int_equal(rt_collect_plan(t, &term, "eu-west-2", "123456789012", first, c), 0);
}

/* Every type plans a listing of what it holds: each request a declared
 * action, paged (a page parameter and a page size), narrowed by nothing
 * (no filter, id or name). A global type lists once per account, from its
 * first target; a listing pinned to one type is that type's alone. */
static void test_list_plans_every_type(void **state)
{
	(void)state;
	for (size_t i = 0; rt_types[i] != NULL; i++) {
		const struct rt_type *t = rt_types[i];
		const struct rt_type *other = rt_types[i + 1] ? rt_types[i + 1] : rt_types[0];
		struct rt_collect c, again;

		s_plan_list(t, NULL, 1, &c);
		if (c.n_reqs == 0)
			fail_msg("%s plans nothing for a listing", t->name);
		for (size_t r = 0; r < c.n_reqs; r++) {
			const struct rt_collected *q = &c.reqs[r];

			if (!s_declared(t, q->service, q->action))
				fail_msg("%s lists with %s:%s, not in its actions", t->name,
					 q->service, q->action);
			if (q->page_param == NULL)
				fail_msg("%s: %s is not paged", t->name, q->action);
			if (s_page_size(q) == NULL)
				fail_msg("%s: %s sets no page size", t->name, q->action);
			assert_int_equal(q->global, t->global);
			for (size_t k = 0; k < q->n_params; k++)
				if (strstr(q->names[k], "Filter") != NULL ||
				    strstr(q->names[k], "Id.") != NULL ||
				    strstr(q->names[k], "Names.") != NULL ||
				    strcmp(q->names[k], "name") == 0)
					fail_msg("%s: %s narrowed by %s", t->name, q->action,
						 q->names[k]);
		}
		/* Pinned to itself: the same; to another type: nothing. */
		s_plan_list(t, t, 1, &again);
		assert_int_equal(again.n_reqs, c.n_reqs);
		rt_collect_free(&again);
		s_plan_list(t, other, 1, &again);
		assert_int_equal(again.n_reqs, 0);
		rt_collect_free(&again);
		/* Not the account's first target: only regional types list. */
		s_plan_list(t, NULL, 0, &again);
		assert_int_equal(again.n_reqs, t->global ? 0 : c.n_reqs);
		rt_collect_free(&again);
		rt_collect_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans_only_declared_actions),
		cmocka_unit_test(test_types_complete_and_found),
		cmocka_unit_test(test_describe_known),
		cmocka_unit_test(test_name_filter_variants),
		cmocka_unit_test(test_list_plans_every_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
