/*
 * test_cidr.c - address blocks: parse, canonical text, relations, contains.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "util/cidr.h"

/* One parse case: canonical text (NULL: must not parse) and whether host
 * bits were cleared. */
struct pcase {
	const char *in;
	const char *want;
	int masked;
};

static const struct pcase s_parse[] = {
	/* IPv4 */
	{ "10.10.0.0/16", "10.10.0.0/16", 0 },
	{ "10.1.2.3/16", "10.1.0.0/16", 1 },
	{ "10.1.2.3/32", "10.1.2.3/32", 0 },
	{ "0.0.0.0/0", "0.0.0.0/0", 0 },
	{ "255.255.255.255/0", "0.0.0.0/0", 1 },
	{ "192.168.1.129/25", "192.168.1.128/25", 1 },
	{ "192.168.1.128/25", "192.168.1.128/25", 0 },
	{ "172.16.0.0/12", "172.16.0.0/12", 0 },
	{ "172.31.255.255/12", "172.16.0.0/12", 1 },
	{ "10.0.0.0/8", "10.0.0.0/8", 0 },
	{ "10.0.0.1/31", "10.0.0.0/31", 1 },
	/* IPv6 */
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc::/56", 0 },
	{ "2A05:D01C:0ABC:0000::/56", "2a05:d01c:abc::/56", 0 },
	{ "2a05:d01c:abc:1000::/56", "2a05:d01c:abc:1000::/56", 0 },
	{ "2a05:d01c:abc:10ff::/56", "2a05:d01c:abc:1000::/56", 1 },
	{ "::/0", "::/0", 0 },
	{ "::1/128", "::1/128", 0 },
	{ "2001:db8::1/64", "2001:db8::/64", 1 },
	{ "2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128", 0 },
	{ "fe80::/10", "fe80::/10", 0 },
	{ "febf:ffff::/10", "fe80::/10", 1 },
	{ "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 0 },
	/* not blocks */
	{ "10.0.0.0", NULL, 0 },
	{ "10.0.0.0/", NULL, 0 },
	{ "10.0.0.0/33", NULL, 0 },
	{ "10.0.0.0/-1", NULL, 0 },
	{ "10.0.0.0/+8", NULL, 0 },
	{ "10.0.0.0/08", NULL, 0 },
	{ "10.0.0.0/ 8", NULL, 0 },
	{ "10.0.0.0/8 ", NULL, 0 },
	{ "10.0.0.0/1000", NULL, 0 },
	{ "10.0.0.0/0x8", NULL, 0 },
	{ "10.0.0.0/8/8", NULL, 0 },
	{ "10.0.0/8", NULL, 0 },
	{ "010.0.0.0/8", NULL, 0 },
	{ "10.0.0.256/32", NULL, 0 },
	{ "/8", NULL, 0 },
	{ "", NULL, 0 },
	{ "2001:db8::/129", NULL, 0 },
	{ "2001:db8:::/48", NULL, 0 },
	{ "2001:db8::g/48", NULL, 0 },
	{ "web/16", NULL, 0 },
	{ "2001:db8::1111:2222:3333:4444:5555:6666:7777:8888/64", NULL, 0 },
};

static void test_parse_format_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_parse) / sizeof(s_parse[0]); i++) {
		const struct pcase *c = &s_parse[i];
		char out[SI_CIDR_STRLEN];
		struct si_cidr b;
		int masked = -1, rc = si_cidr_parse(c->in, &b, &masked);

		if (c->want == NULL) {
			if (rc != -1)
				fail_msg("'%s' parsed, want failure", c->in);
			continue;
		}
		if (rc != 0)
			fail_msg("'%s' did not parse", c->in);
		if (masked != c->masked)
			fail_msg("'%s': masked %d, want %d", c->in, masked, c->masked);
		assert_int_equal(si_cidr_format(&b, out, sizeof(out)), 0);
		if (strcmp(out, c->want) != 0)
			fail_msg("'%s' -> '%s', want '%s'", c->in, out, c->want);
		/* The canonical text parses to itself, without masking. */
		assert_int_equal(si_cidr_parse(out, &b, &masked), 0);
		assert_int_equal(masked, 0);
	}
}

static void test_parse_null_and_masked_optional(void **state)
{
	struct si_cidr b;

	(void)state;
	assert_int_equal(si_cidr_parse(NULL, &b, NULL), -1);
	assert_int_equal(si_cidr_parse("10.1.2.3/8", &b, NULL), 0);
	assert_int_equal(b.family, AF_INET);
	assert_int_equal(b.prefix, 8);
	assert_int_equal(b.addr[0], 10);
	assert_int_equal(b.addr[1], 0);
	assert_int_equal(si_cidr_parse("2001:db8::/32", &b, NULL), 0);
	assert_int_equal(b.family, AF_INET6);
	assert_int_equal(b.prefix, 32);
}

static void test_format_bounds(void **state)
{
	struct si_cidr b;
	char out[SI_CIDR_STRLEN];

	(void)state;
	assert_int_equal(si_cidr_parse("10.10.0.0/16", &b, NULL), 0);
	assert_int_equal(si_cidr_format(&b, out, sizeof("10.10.0.0/16")), 0);
	assert_string_equal(out, "10.10.0.0/16");
	assert_int_equal(si_cidr_format(&b, out, sizeof("10.10.0.0/16") - 1), -1);
	assert_string_equal(out, "");
	assert_int_equal(si_cidr_format(&b, out, 0), -1);
	/* The longest text there is fits SI_CIDR_STRLEN. */
	assert_int_equal(si_cidr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
				       &b, NULL), 0);
	assert_int_equal(si_cidr_format(&b, out, sizeof(out)), 0);
	assert_true(strlen(out) < SI_CIDR_STRLEN);
	/* Not a block: nothing printed. */
	b.family = 0;
	assert_int_equal(si_cidr_format(&b, out, sizeof(out)), -1);
	b.family = AF_INET;
	b.prefix = 33;
	assert_int_equal(si_cidr_format(&b, out, sizeof(out)), -1);
}

struct rcase {
	const char *a;
	const char *b;
	enum si_cidr_rel rel;
};

static const struct rcase s_rel[] = {
	{ "10.10.0.0/16", "10.10.0.0/16", SI_CIDR_EQUAL },
	{ "10.10.1.0/24", "10.10.0.0/16", SI_CIDR_INSIDE },
	{ "10.10.0.0/16", "10.10.1.0/24", SI_CIDR_CONTAINS },
	{ "10.11.0.0/16", "10.10.0.0/16", SI_CIDR_DISJOINT },
	{ "10.10.0.0/16", "10.0.0.0/8", SI_CIDR_INSIDE },
	{ "0.0.0.0/0", "10.0.0.0/8", SI_CIDR_CONTAINS },
	{ "0.0.0.0/0", "0.0.0.0/0", SI_CIDR_EQUAL },
	{ "10.0.0.1/32", "10.0.0.0/31", SI_CIDR_INSIDE },
	{ "10.0.0.2/32", "10.0.0.0/31", SI_CIDR_DISJOINT },
	{ "192.168.0.0/17", "192.168.128.0/17", SI_CIDR_DISJOINT },
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc::/56", SI_CIDR_EQUAL },
	{ "2a05:d01c:abc:1::/64", "2a05:d01c:abc::/56", SI_CIDR_INSIDE },
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc:ff::/64", SI_CIDR_CONTAINS },
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc:100::/64", SI_CIDR_DISJOINT },
	{ "::/0", "2001:db8::/32", SI_CIDR_CONTAINS },
	{ "2001:db8::1/128", "2001:db8::/127", SI_CIDR_INSIDE },
	/* Families never relate, not even the mapped form. */
	{ "10.0.0.0/8", "::ffff:10.0.0.0/104", SI_CIDR_DISJOINT },
	{ "0.0.0.0/0", "::/0", SI_CIDR_DISJOINT },
};

static void test_relation_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_rel) / sizeof(s_rel[0]); i++) {
		struct si_cidr a, b;
		enum si_cidr_rel back;

		assert_int_equal(si_cidr_parse(s_rel[i].a, &a, NULL), 0);
		assert_int_equal(si_cidr_parse(s_rel[i].b, &b, NULL), 0);
		if (si_cidr_relation(&a, &b) != s_rel[i].rel)
			fail_msg("%s vs %s: %d, want %d", s_rel[i].a, s_rel[i].b,
				 (int)si_cidr_relation(&a, &b), (int)s_rel[i].rel);
		/* The relation read the other way round. */
		back = s_rel[i].rel == SI_CIDR_INSIDE ? SI_CIDR_CONTAINS
			: s_rel[i].rel == SI_CIDR_CONTAINS ? SI_CIDR_INSIDE : s_rel[i].rel;
		assert_int_equal(si_cidr_relation(&b, &a), back);
	}
}

struct ccase {
	const char *block;
	const char *ip;
	int in;
};

static const struct ccase s_contains[] = {
	{ "10.10.0.0/16", "10.10.1.10", 1 },
	{ "10.10.0.0/16", "10.10.255.255", 1 },
	{ "10.10.0.0/16", "10.11.0.0", 0 },
	{ "10.10.0.0/16", "10.9.255.255", 0 },
	{ "0.0.0.0/0", "203.0.113.5", 1 },
	{ "10.0.0.1/32", "10.0.0.1", 1 },
	{ "10.0.0.1/32", "10.0.0.2", 0 },
	{ "192.168.1.128/25", "192.168.1.127", 0 },
	{ "192.168.1.128/25", "192.168.1.200", 1 },
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc:1000::10", 0 },
	{ "2a05:d01c:abc::/56", "2a05:d01c:abc:ff::10", 1 },
	{ "2a05:d01c:abc::/56", "2A05:D01C:ABC:00FF:0:0:0:10", 1 },
	{ "::/0", "::1", 1 },
	{ "2001:db8::1/128", "2001:db8::1", 1 },
	{ "2001:db8::1/128", "2001:db8::2", 0 },
	/* other family, or not an address */
	{ "10.0.0.0/8", "::ffff:10.0.0.1", 0 },
	{ "::/0", "10.0.0.1", 0 },
	{ "10.0.0.0/8", "10.0.0", 0 },
	{ "10.0.0.0/8", "010.0.0.1", 0 },
	{ "10.0.0.0/8", "", 0 },
	{ "10.0.0.0/8", "10.0.0.0/8", 0 },
};

static void test_contains_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_contains) / sizeof(s_contains[0]); i++) {
		struct si_cidr c;

		assert_int_equal(si_cidr_parse(s_contains[i].block, &c, NULL), 0);
		if (si_cidr_contains_ip(&c, s_contains[i].ip) != s_contains[i].in)
			fail_msg("%s contains '%s': want %d", s_contains[i].block,
				 s_contains[i].ip, s_contains[i].in);
	}
}

static void test_contains_null(void **state)
{
	struct si_cidr c;

	(void)state;
	assert_int_equal(si_cidr_parse("10.0.0.0/8", &c, NULL), 0);
	assert_int_equal(si_cidr_contains_ip(&c, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format_table),
		cmocka_unit_test(test_parse_null_and_masked_optional),
		cmocka_unit_test(test_format_bounds),
		cmocka_unit_test(test_relation_table),
		cmocka_unit_test(test_contains_table),
		cmocka_unit_test(test_contains_null),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
