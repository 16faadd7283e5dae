#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "search/plan.h"

/* Parse text with the real classifier, then plan it. */
static void s_plan(const char *text, struct query *q, struct plan *p)
{
	struct si_err err;

	assert_int_equal(query_parse(text, q, &err), 0);
	plan_from_query(p, q, text);
}

static void test_instance_id_everywhere(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("i-0A1B2C3D4E5F60001", &q, &p);
	assert_int_equal(p.spec.n_terms, 1);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_INSTANCE_ID);
	assert_string_equal(p.terms[0].value, "i-0a1b2c3d4e5f60001");
	assert_null(p.terms[0].region);
	assert_null(p.terms[0].account_id);
}

static void test_arn_pins_account_and_region(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("arn:aws:ec2:eu-west-2:111111111111:instance/i-0a1b2c3d4e5f60001", &q, &p);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_INSTANCE_ID);
	assert_string_equal(p.terms[0].value, "i-0a1b2c3d4e5f60001");
	assert_string_equal(p.terms[0].region, "eu-west-2");
	assert_string_equal(p.terms[0].account_id, "111111111111");
}

static void test_dns_names_become_address_in_region(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("ip-10-1-2-3.eu-west-2.compute.internal", &q, &p);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_IPV4);
	assert_string_equal(p.terms[0].value, "10.1.2.3");
	assert_string_equal(p.terms[0].region, "eu-west-2");

	s_plan("ip-10-1-2-3.ec2.internal", &q, &p);
	assert_string_equal(p.terms[0].region, "us-east-1");

	s_plan("ec2-3-8-1-2.compute-1.amazonaws.com", &q, &p);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_IPV4);
	assert_string_equal(p.terms[0].value, "3.8.1.2");
	assert_string_equal(p.terms[0].region, "us-east-1");

	s_plan("ec2-3-8-1-2.eu-west-2.compute.amazonaws.com", &q, &p);
	assert_string_equal(p.terms[0].region, "eu-west-2");
}

static void test_name_uses_wildcard_filter(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("prod-web", &q, &p);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_NAME);
	assert_string_equal(p.terms[0].value, "*prod-web*");
}

static void test_addresses_and_eni(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("10.10.1.10 2A05:D01C:ABC:1000:0:0:0:10 eni-0e1b000000000a001", &q, &p);
	assert_int_equal(p.spec.n_terms, 3);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_IPV4);
	assert_int_equal(p.terms[1].kind, SEARCH_TERM_IPV6);
	assert_string_equal(p.terms[1].value, "2a05:d01c:abc:1000::10");
	assert_int_equal(p.terms[2].kind, SEARCH_TERM_ENI_ID);
}

static void test_modifiers_copied(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("web account:production region:eu-west-2", &q, &p);
	assert_int_equal(p.spec.n_accounts, 1);
	assert_string_equal(p.spec.accounts[0], "production");
	assert_int_equal(p.spec.n_regions, 1);
	assert_string_equal(p.spec.regions[0], "eu-west-2");
	assert_string_equal(p.spec.text, "web account:production region:eu-west-2");
}

static void test_help_plans_nothing(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("help", &q, &p);
	assert_int_equal(p.spec.n_terms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance_id_everywhere),
		cmocka_unit_test(test_arn_pins_account_and_region),
		cmocka_unit_test(test_dns_names_become_address_in_region),
		cmocka_unit_test(test_name_uses_wildcard_filter),
		cmocka_unit_test(test_addresses_and_eni),
		cmocka_unit_test(test_modifiers_copied),
		cmocka_unit_test(test_help_plans_nothing),
	};
	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
