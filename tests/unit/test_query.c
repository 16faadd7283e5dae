/*
 * test_query.c - classification of search terms and parsing of the text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "search/query.h"

/* One classification case. NULL expectations are not checked; "" means
 * the field must be empty. For MALFORMED, value is a substring the reason
 * must contain. */
struct qcase {
	const char *in;
	enum query_kind kind;
	const char *value;
	const char *ip;
	const char *region;
	const char *instance_id;
	const char *account_id;
};

#define M QUERY_MALFORMED
static const struct qcase s_cases[] = {
	/* instance IDs */
	{ "i-0123456789abcdef0", QUERY_INSTANCE_ID, "i-0123456789abcdef0", "", "",
	  "i-0123456789abcdef0", "" },
	{ "i-12345678", QUERY_INSTANCE_ID, "i-12345678", "", "", NULL, NULL },
	{ "I-0123456789ABCDEF0", QUERY_INSTANCE_ID, "i-0123456789abcdef0", NULL, NULL, NULL, NULL },
	{ "i-DEADBEEF", QUERY_INSTANCE_ID, "i-deadbeef", NULL, NULL, NULL, NULL },
	{ "i-", M, "needs the hex digits", NULL, NULL, NULL, NULL },
	{ "i-1234567", M, "7 hex digits", NULL, NULL, NULL, NULL },
	{ "i-123456789", M, "9 hex digits", NULL, NULL, NULL, NULL },
	{ "i-0123456789abcdef", M, "16 hex digits", NULL, NULL, NULL, NULL },
	{ "i-0123456789abcdefg", M, "'g' is not a hex digit", NULL, NULL, NULL, NULL },
	{ "i-webserver", M, "not a hex digit", NULL, NULL, NULL, NULL },
	/* ENIs */
	{ "eni-0a1b2c3d4e5f60718", QUERY_ENI_ID, "eni-0a1b2c3d4e5f60718", "", "", "", "" },
	{ "ENI-0A1B2C3D", QUERY_ENI_ID, "eni-0a1b2c3d", NULL, NULL, NULL, NULL },
	{ "eni-", M, "network interface ID", NULL, NULL, NULL, NULL },
	{ "eni-123", M, "3 hex digits", NULL, NULL, NULL, NULL },
	/* ARNs */
	{ "arn:aws:ec2:eu-west-2:123456789012:instance/i-0123456789abcdef0", QUERY_INSTANCE_ARN,
	  "arn:aws:ec2:eu-west-2:123456789012:instance/i-0123456789abcdef0", "", "eu-west-2",
	  "i-0123456789abcdef0", "123456789012" },
	{ "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0123456789ABCDEF0",
	  QUERY_INSTANCE_ARN,
	  	"arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0123456789abcdef0",
	  "", "us-gov-west-1", "i-0123456789abcdef0", "123456789012" },
	{ "arn:aws:ec2:eu-west-2:12345678901:instance/i-0123456789abcdef0", M, "12 digits", NULL,
	  NULL,
	  NULL, NULL },
	{ "arn:aws:ec2:eu-west-2:12345678901a:instance/i-0123456789abcdef0", M, "12 digits", NULL,
	  NULL,
	  NULL, NULL },
	{ "arn:aws:ec2:eu-west:123456789012:instance/i-0123456789abcdef0", M, "not a region", NULL,
	  NULL, NULL, NULL },
	{ "arn:aws:ec2:eu-west-2:123456789012:instance/i-123", M, "3 hex digits", NULL, NULL, NULL,
	  NULL },
	{ "arn:aws:s3:::bucket", M, "only EC2 instance ARNs", NULL, NULL, NULL, NULL },
	{ "arn:aws:ec2:eu-west-2:123456789012:volume/vol-12345678", M, "only EC2 instance ARNs",
	  NULL,
	  NULL, NULL, NULL },
	{ "arn:aws:ec2:eu-west-2", M, "not an ARN", NULL, NULL, NULL, NULL },
	{ "arn:foo:ec2:eu-west-2:123456789012:instance/i-12345678", M, "partition", NULL, NULL,
	  NULL,
	  NULL },
	/* IPv4 */
	{ "10.4.2.17", QUERY_IPV4, "10.4.2.17", "10.4.2.17", "", "", "" },
	{ "0.0.0.0", QUERY_IPV4, "0.0.0.0", "0.0.0.0", NULL, NULL, NULL },
	{ "255.255.255.255", QUERY_IPV4, "255.255.255.255", NULL, NULL, NULL, NULL },
	{ "010.0.0.1", M, "leading zero", NULL, NULL, NULL, NULL },
	{ "10.0.0.01", M, "write 10.0.0.1", NULL, NULL, NULL, NULL },
	{ "300.1.1.1", M, "0 to 255", NULL, NULL, NULL, NULL },
	{ "1.2.3.1000", M, "0 to 255", NULL, NULL, NULL, NULL },
	{ "1.2.3", M, "four numbers", NULL, NULL, NULL, NULL },
	{ "1.2.3.4.5", M, "four numbers", NULL, NULL, NULL, NULL },
	{ "1..2.3", M, "four numbers", NULL, NULL, NULL, NULL },
	{ "1.2.3.4.", M, "four numbers", NULL, NULL, NULL, NULL },
	/* IPv6 */
	{ "2001:db8::1", QUERY_IPV6, "2001:db8::1", "2001:db8::1", "", "", "" },
	{ "2001:DB8:0:0:0:0:0:1", QUERY_IPV6, "2001:db8::1", "2001:db8::1", NULL, NULL, NULL },
	{ "2001:0db8:0000:0000:0001:0000:0000:0001", QUERY_IPV6, "2001:db8::1:0:0:1", NULL, NULL,
	  NULL,
	  NULL },
	{ "::ffff:10.0.0.1", QUERY_IPV6, "::ffff:10.0.0.1", "::ffff:10.0.0.1", NULL, NULL, NULL },
	{ "::FFFF:10.0.0.1", QUERY_IPV6, "::ffff:10.0.0.1", NULL, NULL, NULL, NULL },
	{ "::1", QUERY_IPV6, "::1", NULL, NULL, NULL, NULL },
	{ "2001:db8::1::2", M, "not a valid IPv6", NULL, NULL, NULL, NULL },
	{ "2001:db8:::1", M, "not a valid IPv6", NULL, NULL, NULL, NULL },
	/* EC2 DNS names */
	{ "ip-10-1-2-3.ec2.internal", QUERY_PRIVATE_DNS, "ip-10-1-2-3.ec2.internal", "10.1.2.3",
	  "us-east-1", "", "" },
	{ "ip-10-1-2-3.eu-west-2.compute.internal", QUERY_PRIVATE_DNS,
	  "ip-10-1-2-3.eu-west-2.compute.internal", "10.1.2.3", "eu-west-2", "", "" },
	{ "IP-10-1-2-3.EU-WEST-2.COMPUTE.INTERNAL.", QUERY_PRIVATE_DNS,
	  "ip-10-1-2-3.eu-west-2.compute.internal", "10.1.2.3", "eu-west-2", NULL, NULL },
	{ "ip-10-1-2-3.ec2.internal.", QUERY_PRIVATE_DNS, "ip-10-1-2-3.ec2.internal", "10.1.2.3",
	  "us-east-1", NULL, NULL },
	{ "ec2-3-8-1-2.compute-1.amazonaws.com", QUERY_PUBLIC_DNS,
	  "ec2-3-8-1-2.compute-1.amazonaws.com", "3.8.1.2", "us-east-1", "", "" },
	{ "ec2-3-8-1-2.eu-west-2.compute.amazonaws.com", QUERY_PUBLIC_DNS,
	  "ec2-3-8-1-2.eu-west-2.compute.amazonaws.com", "3.8.1.2", "eu-west-2", "", "" },
	{ "EC2-3-8-1-2.Compute-1.AmazonAWS.com", QUERY_PUBLIC_DNS,
	  "ec2-3-8-1-2.compute-1.amazonaws.com", "3.8.1.2", "us-east-1", NULL, NULL },
	{ "i-0123456789abcdef0.eu-west-2.compute.internal", QUERY_PRIVATE_DNS,
	  "i-0123456789abcdef0.eu-west-2.compute.internal", "", "eu-west-2", "i-0123456789abcdef0",
	  	NULL },
	{ "ip-10-1-2-3", QUERY_PRIVATE_DNS, "ip-10-1-2-3", "10.1.2.3", "", NULL, NULL },
	{ "ip-10-1-2-300.ec2.internal", M, "0 to 255", NULL, NULL, NULL, NULL },
	{ "ip-10-1-2.ec2.internal", M, "four numbers", NULL, NULL, NULL, NULL },
	{ "ip-10-1-2-3.compute.internal", M, "HOST.REGION", NULL, NULL, NULL, NULL },
	{ "ip-10-1-2-3.mars-1.compute.internal", M, "HOST.REGION", NULL, NULL, NULL, NULL },
	{ "host-10-1-2-3.ec2.internal", M, "ip-A-B-C-D", NULL, NULL, NULL, NULL },
	{ "ip-10-1-2-3.eu-west-2.compute.amazonaws.com", M, "ec2-A-B-C-D", NULL, NULL, NULL, NULL },
	{ "a.b.ec2.internal", M, "one label", NULL, NULL, NULL, NULL },
	/* Names */
	{ "web", QUERY_NAME, "web", "", "", "", "" },
	{ "ab", QUERY_NAME, "ab", NULL, NULL, NULL, NULL },
	{ "ip-allowlist", QUERY_NAME, "ip-allowlist", "", NULL, NULL, NULL },
	{ "web.example.com", QUERY_NAME, "web.example.com", NULL, NULL, NULL, NULL },
	{ "12345", QUERY_NAME, "12345", NULL, NULL, NULL, NULL },
	{ "help", QUERY_NAME, "help", NULL, NULL, NULL, NULL },
	{ "caf\xc3\xa9", QUERY_NAME, "caf\xc3\xa9", NULL, NULL, NULL, NULL },
	{ "\xc3\xa9\xc3\xa9", QUERY_NAME, "\xc3\xa9\xc3\xa9", NULL, NULL, NULL, NULL },
	{ "a", M, "too short", NULL, NULL, NULL, NULL },
	{ "\xc3\xa9", M, "too short", NULL, NULL, NULL, NULL },
	{ "web*", M, "wildcards", NULL, NULL, NULL, NULL },
	{ "we?b", M, "wildcards", NULL, NULL, NULL, NULL },
	{ "bad\xff", M, "UTF-8", NULL, NULL, NULL, NULL },
	{ "tab\there", M, "control", NULL, NULL, NULL, NULL },
	{ "", M, "empty", NULL, NULL, NULL, NULL },
};
#undef M

static void s_check_field(const char *in, const char *what, const char *want,
			  const char *got)
{
	if (want != NULL && strcmp(want, got) != 0)
		fail_msg("'%s': %s is '%s', want '%s'", in, what, got, want);
}

static void test_classify_table(void **state)
{
	size_t i;

	(void)state;
	assert_true(sizeof(s_cases) / sizeof(s_cases[0]) >= 40);
	for (i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
		const struct qcase *c = &s_cases[i];
		struct query_term t;
		enum query_kind k = query_classify(c->in, &t);

		if (k != c->kind || t.kind != c->kind)
			fail_msg("'%s': kind %s, want %s (reason: %s)", c->in,
				 query_kind_name(k), query_kind_name(c->kind), t.reason);
		if (c->kind == QUERY_MALFORMED) {
			if (strstr(t.reason, c->value) == NULL)
				fail_msg("'%s': reason '%s' lacks '%s'", c->in,
					 t.reason, c->value);
			continue;
		}
		assert_string_equal(t.reason, "");
		s_check_field(c->in, "value", c->value, t.value);
		s_check_field(c->in, "ip", c->ip, t.ip);
		s_check_field(c->in, "region", c->region, t.region);
		s_check_field(c->in, "instance_id", c->instance_id, t.instance_id);
		s_check_field(c->in, "account_id", c->account_id, t.account_id);
	}
}

static void test_classify_null_and_long(void **state)
{
	struct query_term t;
	char longterm[QUERY_MAX_TERM_LEN + 2];

	(void)state;
	assert_int_equal(query_classify(NULL, &t), QUERY_MALFORMED);
	memset(longterm, 'a', sizeof(longterm) - 1);
	longterm[sizeof(longterm) - 1] = '\0';
	assert_int_equal(query_classify(longterm, &t), QUERY_MALFORMED);
	assert_non_null(strstr(t.reason, "too long"));
	longterm[QUERY_MAX_TERM_LEN] = '\0';  /* exactly at the limit */
	assert_int_equal(query_classify(longterm, &t), QUERY_NAME);
}

static void test_name_filter_escapes_backslash(void **state)
{
	struct query_term t;

	(void)state;
	assert_int_equal(query_classify("web-01", &t), QUERY_NAME);
	assert_string_equal(t.filter, "*web-01*");
	assert_int_equal(query_classify("a\\b", &t), QUERY_NAME);
	assert_string_equal(t.value, "a\\b");
	assert_string_equal(t.filter, "*a\\\\b*");
}

static void test_malformed_reason_quotes_input(void **state)
{
	struct query_term t;

	(void)state;
	query_classify("300.1.1.1", &t);
	assert_non_null(strstr(t.reason, "'300.1.1.1'"));
	query_classify("010.0.0.1", &t);
	assert_non_null(strstr(t.reason, "10.0.0.1 if"));
}

static void test_region_shapes(void **state)
{
	(void)state;
	assert_true(aws_region_valid("eu-west-2"));
	assert_true(aws_region_valid("us-east-1"));
	assert_true(aws_region_valid("ap-southeast-4"));
	assert_true(aws_region_valid("us-gov-west-1"));
	assert_true(aws_region_valid("us-isob-east-1"));
	assert_true(aws_region_valid("cn-north-1"));
	assert_false(aws_region_valid("eu-west"));
	assert_false(aws_region_valid("eu-west-123"));
	assert_false(aws_region_valid("EU-WEST-2"));
	assert_false(aws_region_valid("e-west-2"));
	assert_false(aws_region_valid("eu--2"));
	assert_false(aws_region_valid("eu-1-2"));
	assert_false(aws_region_valid("-west-2"));
	assert_false(aws_region_valid("eu-west-2-"));
	assert_false(aws_region_valid(""));
	assert_false(aws_region_valid(NULL));
}

/* ---- whole-text parsing ---- */

static void s_parse_ok(const char *text, struct query *q)
{
	struct si_err err;

	si_err_clear(&err);
	if (query_parse(text, q, &err) != 0)
		fail_msg("parse of '%s' failed: %s", text ? text : "(null)", err.msg);
}

static void s_parse_fail(const char *text, enum si_err_code code, const char *needle)
{
	struct query q;
	struct si_err err;

	si_err_clear(&err);
	if (query_parse(text, &q, &err) != -1)
		fail_msg("parse of '%s' unexpectedly succeeded", text);
	assert_int_equal(err.code, code);
	assert_int_equal(q.kind, QUERY_MALFORMED);
	assert_int_equal(q.n_terms, 0);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_parse_help(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok(NULL, &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok("  \t ", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok("help", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	s_parse_ok(" HELP ", &q);
	assert_int_equal(q.kind, QUERY_HELP);
	assert_int_equal(q.n_terms, 0);
	/* Not the whole text: a Name. */
	s_parse_ok("help desk", &q);
	assert_int_equal(q.kind, QUERY_NAME);
	assert_int_equal(q.n_terms, 2);
	assert_string_equal(q.terms[0].value, "help");
	assert_string_equal(q.terms[1].value, "desk");
}

static void test_parse_terms_and_modifiers(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("  web  api\xc2\xa0i-12345678 account:Production region:EU-WEST-2 "
		   "account:staging", &q);
	assert_int_equal(q.kind, QUERY_NAME);
	assert_int_equal(q.n_terms, 3);
	assert_string_equal(q.terms[0].value, "web");
	assert_string_equal(q.terms[1].value, "api");
	assert_int_equal(q.terms[2].kind, QUERY_INSTANCE_ID);
	assert_int_equal(q.n_accounts, 2);
	assert_string_equal(q.accounts[0], "production");
	assert_string_equal(q.accounts[1], "staging");
	assert_int_equal(q.n_regions, 1);
	assert_string_equal(q.regions[0], "eu-west-2");
}

static void test_parse_dedupes(void **state)
{
	struct query q;

	(void)state;
	s_parse_ok("I-12345678 i-12345678 region:us-east-1 region:US-EAST-1", &q);
	assert_int_equal(q.n_terms, 1);
	assert_int_equal(q.n_regions, 1);
	assert_int_equal(q.kind, QUERY_INSTANCE_ID);
}

static void test_parse_malformed_term(void **state)
{
	(void)state;
	s_parse_fail("web 300.1.1.1", SI_ERR_INVALID, "0 to 255");
	s_parse_fail("i-", SI_ERR_INVALID, "hex digits");
	s_parse_fail("x", SI_ERR_INVALID, "too short");
}

static void test_parse_bad_modifiers(void **state)
{
	(void)state;
	s_parse_fail("web account:", SI_ERR_INVALID, "account alias");
	s_parse_fail("web account:a/b", SI_ERR_INVALID, "account alias");
	s_parse_fail("web region:mars", SI_ERR_INVALID, "region name");
	s_parse_fail("web region:", SI_ERR_INVALID, "region name");
	s_parse_fail("account:prod region:eu-west-2", SI_ERR_INVALID,
		     "Add something to search for");
}

static void test_parse_limits(void **state)
{
	char text[QUERY_MAX_TEXT_LEN + 2];
	struct query q;
	size_t i;

	(void)state;
	/* 10 terms pass, 11 do not. */
	s_parse_ok("a1 a2 a3 a4 a5 a6 a7 a8 a9 a10", &q);
	assert_int_equal(q.n_terms, QUERY_MAX_TERMS);
	s_parse_fail("a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11", SI_ERR_LIMIT,
		     "Too many search terms");
	/* Text over the byte limit. */
	memset(text, ' ', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[0] = 'w';
	text[1] = 'e';
	s_parse_fail(text, SI_ERR_LIMIT, "too long");
	/* At the limit it is fine. */
	text[QUERY_MAX_TEXT_LEN] = '\0';
	s_parse_ok(text, &q);
	assert_int_equal(q.n_terms, 1);
	/* A single term longer than QUERY_MAX_TERM_LEN. */
	memset(text, 'b', QUERY_MAX_TERM_LEN + 1);
	text[QUERY_MAX_TERM_LEN + 1] = '\0';
	s_parse_fail(text, SI_ERR_LIMIT, "too long");
	/* Modifiers beyond QUERY_MAX_MODIFIERS. */
	s_parse_fail("web account:a1 account:a2 account:a3 account:a4 account:a5 "
		     "account:a6 account:a7 account:a8 account:a9", SI_ERR_LIMIT,
		     "Too many");
	for (i = 0; i < 3; i++)
		s_parse_ok("web account:a1 account:a1 account:a1", &q);
	assert_int_equal(q.n_accounts, 1);
}

static void test_parse_bad_bytes(void **state)
{
	(void)state;
	s_parse_fail("web \xff", SI_ERR_INVALID, "UTF-8");
	s_parse_fail("web \xc3", SI_ERR_INVALID, "UTF-8");
	s_parse_fail("web \x01", SI_ERR_INVALID, "control");
	s_parse_fail("web*", SI_ERR_INVALID, "wildcards");
}

static void test_check_accounts(void **state)
{
	static const char *const known[] = { "production", "staging" };
	struct query q;
	struct si_err err;

	(void)state;
	s_parse_ok("web account:staging", &q);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), 0);
	s_parse_ok("web", &q);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), 0);
	s_parse_ok("web account:staging account:dev", &q);
	si_err_clear(&err);
	assert_int_equal(query_check_accounts(&q, known, 2, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "'dev'"));
	assert_non_null(strstr(err.msg, "production, staging"));
	assert_int_equal(query_check_accounts(&q, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "(none)"));
}

static void test_check_regions(void **state)
{
	static const char *const known[] = { "eu-west-2", "us-east-1" };
	struct query q;
	struct si_err err;

	(void)state;
	s_parse_ok("web region:us-east-1", &q);
	assert_int_equal(query_check_regions(&q, known, 2, &err), 0);
	s_parse_ok("web region:eu-west-1", &q);
	assert_int_equal(query_check_regions(&q, known, 2, &err), -1);
	assert_non_null(strstr(err.msg, "eu-west-1"));
	assert_non_null(strstr(err.msg, "eu-west-2, us-east-1"));
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(query_kind_name(QUERY_INSTANCE_ID), "instance-id");
	assert_string_equal(query_kind_name(QUERY_IPV6), "ipv6");
	assert_string_equal(query_kind_name(QUERY_PUBLIC_DNS), "public-dns");
	assert_string_equal(query_kind_name(QUERY_HELP), "help");
	assert_string_equal(query_kind_name((enum query_kind)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_null_and_long),
		cmocka_unit_test(test_name_filter_escapes_backslash),
		cmocka_unit_test(test_malformed_reason_quotes_input),
		cmocka_unit_test(test_region_shapes),
		cmocka_unit_test(test_parse_help),
		cmocka_unit_test(test_parse_terms_and_modifiers),
		cmocka_unit_test(test_parse_dedupes),
		cmocka_unit_test(test_parse_malformed_term),
		cmocka_unit_test(test_parse_bad_modifiers),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_bad_bytes),
		cmocka_unit_test(test_check_accounts),
		cmocka_unit_test(test_check_regions),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
