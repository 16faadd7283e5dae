/*
 * test_region.c - the one region-name check, as a table: the names the
 * config, the search's region: filter and the endpoint resolver must accept,
 * and the shapes all three refused before they became one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "aws/region.h"

struct row {
	const char *name;
	bool ok;
};

static const struct row s_rows[] = {
	{ "us-east-1", true },       { "eu-west-2", true },       { "ap-southeast-4", true },
	{ "us-gov-west-1", true },   { "us-isob-east-1", true },  { "cn-north-1", true },
	{ "eu-central-12", true },   { "eusc-de-east-1", true },  { "il-central-1", true },
	{ "eu-west", false },        { "eu-west-123", false },    { "EU-WEST-2", false },
	{ "eu-west-2a", false },     { "euwest2", false },        { "e-west-2", false },
	{ "eu--west-2", false },     { "eu--2", false },          { "eu-1-2", false },
	{ "-west-2", false },        { "eu-west-2-", false },     { "eu-west-2,", false },
	{ " eu-west-2", false },     { "eu-west-2 ", false },     { "", false },
	{ "us-east-1.evil.com/", false },                         { "eu-w-2", false },
	{ "a-b-c-d-e-1", false },    { "aa-bb-cc-dd-ee-1", false }, /* five groups */
	{ "aa-bb-cc-dd-1", true },   { "eu-abcdefghijklm-1", false }, /* 13 letters */
	{ "sts", false },            { "ec2", false },
	{ "aaaaaaaaaa-bbbbbbbbbb-cccccccc-1", true },   /* exactly 32 */
	{ "aaaaaaaaaa-bbbbbbbbbb-ccccccccc-1", false }, /* 33 */
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_rows) / sizeof(s_rows[0]); i++)
		if (aws_region_valid(s_rows[i].name) != s_rows[i].ok)
			fail_msg("\"%s\": want %s", s_rows[i].name,
				 s_rows[i].ok ? "valid" : "invalid");
	assert_false(aws_region_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests_name("region", tests, NULL, NULL);
}
