#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "search/plan.h"
#include "search/registry.h"

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

/* Names go as typed, with the lower case every module matches on. */
static void test_name_as_typed_and_lower(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("Prod-Web", &q, &p);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_NAME);
	assert_string_equal(p.terms[0].value, "Prod-Web");
	assert_string_equal(p.terms[0].name_lc, "prod-web");
	assert_null(p.terms[0].type);
	assert_null(p.terms[0].resource);
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

/* The fields every term starts with: a user's own term. */
static void s_user_term(const struct search_term *t)
{
	assert_null(t->hop);
	assert_int_equal(t->depth, 0);
}

static void test_resource_id_pins_type(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("SG-0123ABCD vol-0123456789abcdef0", &q, &p);
	assert_int_equal(p.spec.n_terms, 2);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_ID);
	assert_string_equal(p.terms[0].value, "sg-0123abcd");
	assert_ptr_equal(p.terms[0].type, rt_by_name("security-group"));
	assert_null(p.terms[0].region);
	assert_null(p.terms[0].account_id);
	assert_null(p.terms[0].resource);
	assert_null(p.terms[0].name_lc);
	s_user_term(&p.terms[0]);
	assert_ptr_equal(p.terms[1].type, rt_by_name("volume"));
}

/* An ARN: its type, resource, account and region; no region (global
 * services) searches every region. */
static void test_arn_terms(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/app/web/"
	       "50dc6c495c0c9188 arn:aws:ec2::222222222222:vpc/VPC-0123ABCD "
	       "arn:aws:ec2:eu-west-1:333333333333:network-interface/eni-0123abcd", &q, &p);
	assert_int_equal(p.spec.n_terms, 3);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_ARN);
	assert_string_equal(p.terms[0].value, "arn:aws:elasticloadbalancing:eu-west-2:"
			    "111111111111:loadbalancer/app/web/50dc6c495c0c9188");
	assert_string_equal(p.terms[0].resource, "app/web/50dc6c495c0c9188");
	assert_ptr_equal(p.terms[0].type, rt_by_name("load-balancer"));
	assert_string_equal(p.terms[0].region, "eu-west-2");
	assert_string_equal(p.terms[0].account_id, "111111111111");
	s_user_term(&p.terms[0]);
	assert_int_equal(p.terms[1].kind, SEARCH_TERM_ARN);
	assert_string_equal(p.terms[1].resource, "vpc-0123abcd");
	assert_ptr_equal(p.terms[1].type, rt_by_name("vpc"));
	assert_null(p.terms[1].region);
	assert_string_equal(p.terms[1].account_id, "222222222222");
	assert_ptr_equal(p.terms[2].type, rt_by_name("network-interface"));
	assert_string_equal(p.terms[2].resource, "eni-0123abcd");
	assert_string_equal(p.terms[2].region, "eu-west-1");
}

static void test_cidr_term(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("10.1.2.3/16 2A05:D01C:ABC::/56", &q, &p);
	assert_int_equal(p.spec.n_terms, 2);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_CIDR);
	assert_string_equal(p.terms[0].value, "10.1.0.0/16");
	assert_null(p.terms[0].type);
	assert_null(p.terms[0].region);
	assert_string_equal(p.terms[1].value, "2a05:d01c:abc::/56");
	s_user_term(&p.terms[1]);
}

/* A block with host bits set is searched masked, and the spec carries the
 * classifier's note so the answer says what was searched. */
static void test_cidr_note_reaches_spec(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("10.1.2.3/16", &q, &p);
	assert_non_null(p.spec.note);
	assert_ptr_equal(p.spec.note, q.terms[0].note);
	assert_non_null(strstr(p.spec.note, "10.1.0.0/16"));
	s_plan("10.1.0.0/16 web", &q, &p);
	assert_null(p.spec.note);
}

static void test_host_terms(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	s_plan("Prod-Web-1234567890.eu-west-2.ELB.amazonaws.com. "
	       "db1.c9akciq32.us-east-1.rds.amazonaws.com www.example.com", &q, &p);
	assert_int_equal(p.spec.n_terms, 3);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_HOST);
	assert_string_equal(p.terms[0].value, "prod-web-1234567890.eu-west-2.elb.amazonaws.com");
	assert_ptr_equal(p.terms[0].type, rt_by_name("load-balancer"));
	assert_string_equal(p.terms[0].region, "eu-west-2");
	assert_ptr_equal(p.terms[1].type, rt_by_name("db-instance"));
	assert_string_equal(p.terms[1].region, "us-east-1");
	/* Any other host: no type (the engine asks Route 53), every region. */
	assert_int_equal(p.terms[2].kind, SEARCH_TERM_HOST);
	assert_string_equal(p.terms[2].value, "www.example.com");
	assert_null(p.terms[2].type);
	assert_null(p.terms[2].region);
	assert_null(p.terms[2].account_id);
	s_user_term(&p.terms[2]);
}

/* Malformed and unknown queries plan nothing (query_parse refused them;
 * a hand-built query with such a term skips it). */
static void test_unsearchable_kinds_skipped(void **state)
{
	struct query q;
	struct plan p;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(query_classify("xyz-0123abcd", &q.terms[0]), QUERY_UNKNOWN);
	assert_int_equal(query_classify("300.1.1.1", &q.terms[1]), QUERY_MALFORMED);
	assert_int_equal(query_classify("web", &q.terms[2]), QUERY_NAME);
	q.n_terms = 3;
	q.kind = QUERY_UNKNOWN;
	plan_from_query(&p, &q, "x");
	assert_int_equal(p.spec.n_terms, 1);
	assert_int_equal(p.terms[0].kind, SEARCH_TERM_NAME);
}

/* What plan_follow makes of what a DNS answer points at. */
struct fcase {
	const char *text;
	int rc;
	enum search_term_kind kind;
	const char *value;
	const char *region;   /* NULL: none */
	const char *type;     /* NULL: none */
};

static const struct fcase s_follow[] = {
	{ "10.1.2.3", 0, SEARCH_TERM_IPV4, "10.1.2.3", NULL, NULL },
	{ "2A05:D01C:ABC:1000::10", 0, SEARCH_TERM_IPV6, "2a05:d01c:abc:1000::10", NULL, NULL },
	{ "prod-web-1234567890.eu-west-2.elb.amazonaws.com.", 0, SEARCH_TERM_HOST,
	  "prod-web-1234567890.eu-west-2.elb.amazonaws.com", "eu-west-2", "load-balancer" },
	{ "dualstack.prod-web-1234567890.eu-west-2.elb.amazonaws.com.", 0, SEARCH_TERM_HOST,
	  "dualstack.prod-web-1234567890.eu-west-2.elb.amazonaws.com", "eu-west-2",
	  "load-balancer" },
	{ "my-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com", 0, SEARCH_TERM_HOST,
	  "my-nlb-0123456789abcdef.elb.us-east-1.amazonaws.com", "us-east-1", "load-balancer" },
	{ "prod.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com.", 0, SEARCH_TERM_HOST,
	  "prod.cluster-ro-c9akciq32.eu-west-2.rds.amazonaws.com", "eu-west-2", "db-instance" },
	{ "api.internal.example.com.", 0, SEARCH_TERM_HOST, "api.internal.example.com", NULL,
	  NULL },
	{ "ip-10-1-2-3.eu-west-2.compute.internal.", 0, SEARCH_TERM_IPV4, "10.1.2.3",
	  "eu-west-2", NULL },
	{ "ec2-3-8-1-2.compute-1.amazonaws.com", 0, SEARCH_TERM_IPV4, "3.8.1.2", "us-east-1",
	  NULL },
	{ "i-0123456789abcdef0.eu-west-2.compute.internal", 0, SEARCH_TERM_INSTANCE_ID,
	  "i-0123456789abcdef0", "eu-west-2", NULL },
	/* not something a DNS record points at */
	{ "web", -1, 0, NULL, NULL, NULL },
	{ "sg-0123abcd", -1, 0, NULL, NULL, NULL },
	{ "10.0.0.0/8", -1, 0, NULL, NULL, NULL },
	{ "arn:aws:ec2:eu-west-2:111111111111:vpc/vpc-0123abcd", -1, 0, NULL, NULL, NULL },
	{ "xyz-0123abcd", -1, 0, NULL, NULL, NULL },
	{ "bad..example.com", -1, 0, NULL, NULL, NULL },
	{ "x.elb.amazonaws.com", -1, 0, NULL, NULL, NULL },
	{ "", -1, 0, NULL, NULL, NULL },
	{ NULL, -1, 0, NULL, NULL, NULL },
};

static void test_plan_follow(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_follow) / sizeof(s_follow[0]); i++) {
		const struct fcase *c = &s_follow[i];
		struct plan_follow f;
		int rc = plan_follow(c->text, &f);

		if (rc != c->rc)
			fail_msg("'%s': rc %d, want %d (%s)", c->text ? c->text : "(null)", rc,
				 c->rc, f.qt.reason);
		if (rc != 0) {
			assert_null(f.term.value);
			continue;
		}
		assert_int_equal(f.term.kind, c->kind);
		assert_string_equal(f.term.value, c->value);
		if (c->region == NULL)
			assert_null(f.term.region);
		else
			assert_string_equal(f.term.region, c->region);
		assert_ptr_equal(f.term.type, c->type ? rt_by_name(c->type) : NULL);
		assert_null(f.term.account_id);
		s_user_term(&f.term);
		/* The term points into the struct itself. */
		assert_true(f.term.value >= (const char *)&f &&
			    f.term.value < (const char *)(&f + 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance_id_everywhere),
		cmocka_unit_test(test_arn_pins_account_and_region),
		cmocka_unit_test(test_dns_names_become_address_in_region),
		cmocka_unit_test(test_name_as_typed_and_lower),
		cmocka_unit_test(test_addresses_and_eni),
		cmocka_unit_test(test_modifiers_copied),
		cmocka_unit_test(test_help_plans_nothing),
		cmocka_unit_test(test_resource_id_pins_type),
		cmocka_unit_test(test_arn_terms),
		cmocka_unit_test(test_cidr_term),
		cmocka_unit_test(test_cidr_note_reaches_spec),
		cmocka_unit_test(test_host_terms),
		cmocka_unit_test(test_unsearchable_kinds_skipped),
		cmocka_unit_test(test_plan_follow),
	};
	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
