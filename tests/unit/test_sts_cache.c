#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/sts_cache.h"

#define ROLE_A "arn:aws:iam::111111111111:role/Inspect"
#define ROLE_B "arn:aws:iam::222222222222:role/Inspect"

static void s_make(struct sts_credentials *c, const char *akid, time_t exp)
{
	memset(c, 0, sizeof(*c));
	c->access_key_id = strdup(akid);
	c->secret_access_key = strdup("secret");
	c->session_token = strdup("token");
	c->expiration = exp;
}

static void test_fresh_until_margin(void **state)
{
	struct sts_cache *c = sts_cache_new(4);
	struct sts_credentials in, out = {0};
	time_t exp = 10000;

	(void)state;
	s_make(&in, "ASIA1", exp);
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, 0, &out), 0);
	assert_int_equal(sts_cache_put(c, ROLE_A, NULL, &in, NULL), 0);
	/* one second before the refresh point: fresh */
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, exp - STS_CACHE_REFRESH_MARGIN_S - 1,
				       &out), 1);
	assert_string_equal(out.access_key_id, "ASIA1");
	assert_string_equal(out.session_token, "token");
	sts_credentials_clear(&out);
	/* at the refresh point and after: stale, the caller must refresh */
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, exp - STS_CACHE_REFRESH_MARGIN_S, &out), 0);
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, exp + 1, &out), 0);
	sts_credentials_clear(&in);
	sts_cache_free(c);
}

static void test_keyed_by_role_and_external_id(void **state)
{
	struct sts_cache *c = sts_cache_new(4);
	struct sts_credentials a, b, out = {0};

	(void)state;
	s_make(&a, "ASIAA", 10000);
	s_make(&b, "ASIAB", 10000);
	assert_int_equal(sts_cache_put(c, ROLE_A, NULL, &a, NULL), 0);
	assert_int_equal(sts_cache_put(c, ROLE_A, "ext-1", &b, NULL), 0);
	assert_int_equal(sts_cache_get(c, ROLE_B, NULL, 0, &out), 0);
	assert_int_equal(sts_cache_get(c, ROLE_A, "ext-1", 0, &out), 1);
	assert_string_equal(out.access_key_id, "ASIAB");
	sts_credentials_clear(&out);
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, 0, &out), 1);
	assert_string_equal(out.access_key_id, "ASIAA");
	sts_credentials_clear(&out);
	sts_credentials_clear(&a);
	sts_credentials_clear(&b);
	sts_cache_free(c);
}

static void test_replace_and_drop(void **state)
{
	struct sts_cache *c = sts_cache_new(4);
	struct sts_credentials a, out = {0};

	(void)state;
	s_make(&a, "OLD", 10000);
	assert_int_equal(sts_cache_put(c, ROLE_A, NULL, &a, NULL), 0);
	sts_credentials_clear(&a);
	s_make(&a, "NEW", 20000);
	assert_int_equal(sts_cache_put(c, ROLE_A, NULL, &a, NULL), 0);
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, 15000, &out), 1);
	assert_string_equal(out.access_key_id, "NEW");
	sts_credentials_clear(&out);
	sts_cache_drop(c, ROLE_A, NULL);
	assert_int_equal(sts_cache_get(c, ROLE_A, NULL, 0, &out), 0);
	sts_credentials_clear(&a);
	sts_cache_free(c);
}

static void test_capacity_evicts_soonest_expiry(void **state)
{
	struct sts_cache *c = sts_cache_new(2);
	struct sts_credentials a, out = {0};

	(void)state;
	s_make(&a, "A", 5000);
	sts_cache_put(c, "r1", NULL, &a, NULL);
	sts_credentials_clear(&a);
	s_make(&a, "B", 9000);
	sts_cache_put(c, "r2", NULL, &a, NULL);
	sts_credentials_clear(&a);
	s_make(&a, "C", 9000);
	sts_cache_put(c, "r3", NULL, &a, NULL);
	sts_credentials_clear(&a);
	assert_int_equal(sts_cache_get(c, "r1", NULL, 0, &out), 0);
	assert_int_equal(sts_cache_get(c, "r2", NULL, 0, &out), 1);
	sts_credentials_clear(&out);
	assert_int_equal(sts_cache_get(c, "r3", NULL, 0, &out), 1);
	sts_credentials_clear(&out);
	sts_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_until_margin),
		cmocka_unit_test(test_keyed_by_role_and_external_id),
		cmocka_unit_test(test_replace_and_drop),
		cmocka_unit_test(test_capacity_evicts_soonest_expiry),
	};
	return cmocka_run_group_tests_name("sts_cache", tests, NULL, NULL);
}
