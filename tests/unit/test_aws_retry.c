/*
 * test_aws_retry.c - retry decisions and full-jitter backoff, table-driven.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "aws/retry.h"

struct retry_row {
	long status;
	const char *code;
	int transport;
	int attempt;
	int max;
	int want;
};

static void s_run(const struct retry_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct retry_row *r = &rows[i];
		int got = aws_retry_should_retry(r->status, r->code, r->transport,
						 r->attempt, r->max);

		if (got != r->want)
			fail_msg("row %zu (status %ld, code %s, transport %d, attempt %d/%d): got %d want %d",
				 i, r->status, r->code ? r->code : "NULL", r->transport,
				 r->attempt, r->max, got, r->want);
	}
}

static void test_throttling_codes_retry(void **state)
{
	static const struct retry_row rows[] = {
		{400, "Throttling", 0, 1, 3, 1},          /* STS throttling */
		{400, "ThrottlingException", 0, 1, 3, 1},
		{503, "RequestLimitExceeded", 0, 1, 3, 1}, /* EC2's throttle */
		{400, "RequestLimitExceeded", 0, 2, 3, 1},
		{400, "TooManyRequestsException", 0, 1, 3, 1},
		{400, "RequestThrottled", 0, 1, 3, 1},
		{503, "SlowDown", 0, 1, 3, 1},
		{400, "RequestThrottledException", 0, 1, 3, 1},
		{400, "EC2ThrottledException", 0, 1, 3, 1},
		{400, "PriorRequestNotComplete", 0, 1, 3, 1},
		{500, "InternalError", 0, 1, 3, 1},
		{503, "Unavailable", 0, 1, 3, 1},
		{400, "IDPCommunicationError", 0, 1, 3, 1},
	};

	(void)state;
	s_run(rows, sizeof(rows) / sizeof(rows[0]));
	assert_true(aws_retry_is_throttle("RequestLimitExceeded"));
	assert_false(aws_retry_is_throttle("InternalError"));
	assert_false(aws_retry_is_throttle(NULL));
	assert_false(aws_retry_is_throttle("throttling")); /* codes are case-sensitive */
}

static void test_status_and_transport(void **state)
{
	static const struct retry_row rows[] = {
		{500, NULL, 0, 1, 3, 1},
		{502, NULL, 0, 1, 3, 1},
		{503, NULL, 0, 1, 3, 1},
		{504, NULL, 0, 1, 3, 1},
		{429, NULL, 0, 1, 3, 1},
		{501, NULL, 0, 1, 3, 0}, /* Not Implemented: will not change */
		{0, NULL, 1, 1, 3, 1},   /* connect/TLS/reset */
		{0, NULL, 1, 2, 3, 1},
		{200, NULL, 0, 1, 3, 0},
		{400, NULL, 0, 1, 3, 0},
		{404, NULL, 0, 1, 3, 0},
		{400, "InvalidInstanceID.NotFound", 0, 1, 3, 0},
		{400, "InvalidParameterValue", 0, 1, 3, 0},
		{500, "SomeUnknownCode", 0, 1, 3, 1}, /* status decides */
	};

	(void)state;
	s_run(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_auth_errors_never_retry(void **state)
{
	static const struct retry_row rows[] = {
		{401, "AuthFailure", 0, 1, 5, 0},
		{403, "AccessDenied", 0, 1, 5, 0},
		{403, "UnauthorizedOperation", 0, 1, 5, 0},
		{403, "InvalidClientTokenId", 0, 1, 5, 0},
		{403, "SignatureDoesNotMatch", 0, 1, 5, 0},
		{400, "ExpiredToken", 0, 1, 5, 0},
		{400, "RequestExpired", 0, 1, 5, 0},
		{401, "OptInRequired", 0, 1, 5, 0},
		/* An auth code wins even over a retryable status or transport flag. */
		{503, "AccessDenied", 0, 1, 5, 0},
		{0, "AuthFailure", 1, 1, 5, 0},
		{401, NULL, 0, 1, 5, 0},
		{403, NULL, 0, 1, 5, 0},
	};

	(void)state;
	s_run(rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_attempt_budget(void **state)
{
	static const struct retry_row rows[] = {
		{503, "RequestLimitExceeded", 0, 3, 3, 0}, /* last attempt used */
		{503, "RequestLimitExceeded", 0, 4, 3, 0}, /* past the budget */
		{0, NULL, 1, 1, 1, 0},                     /* single attempt */
		{500, NULL, 0, 1, 0, 0},                   /* no budget at all */
		{500, NULL, 0, 2, 3, 1},
		{500, NULL, 0, INT_MAX, INT_MAX, 0},
		{500, NULL, 0, INT_MAX - 1, INT_MAX, 1},
	};

	(void)state;
	s_run(rows, sizeof(rows) / sizeof(rows[0]));
}

struct backoff_row {
	int attempt;
	long base;
	long cap;
	uint32_t random;
	long want;
};

static void test_backoff_table(void **state)
{
	/* Ceiling = min(cap, base * 2^attempt); result = random % (ceiling + 1). */
	static const struct backoff_row rows[] = {
		{0, 100, 20000, 0, 0},
		{0, 100, 20000, 100, 100},          /* ceiling 100, inclusive */
		{0, 100, 20000, 101, 0},            /* 101 % 101 */
		{1, 100, 20000, 200, 200},
		{3, 100, 20000, 800, 800},          /* 100 * 8 */
		{3, 100, 20000, 801, 0},
		{7, 100, 20000, 12800, 12800},      /* 100 * 128 */
		{8, 100, 20000, 20000, 20000},      /* 25600 capped at 20000 */
		{8, 100, 20000, 20001, 0},
		{0, 500, 200, 200, 200},            /* base above cap: cap */
		{0, 500, 200, 201, 0},
		{-5, 100, 20000, 100, 100},         /* negative attempt = 0 */
		{2, 0, 20000, 12345, 0},            /* no base: no sleep */
		{2, 100, 0, 12345, 0},
		{2, -1, 20000, 12345, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct backoff_row *r = &rows[i];
		long got = aws_retry_backoff_ms(r->attempt, r->base, r->cap, r->random);

		if (got != r->want)
			fail_msg("row %zu: attempt %d base %ld cap %ld random %u: got %ld want %ld",
				 i, r->attempt, r->base, r->cap, (unsigned)r->random, got, r->want);
	}
}

/* Large attempts must neither overflow nor exceed cap; the ceiling is then
 * exactly cap, so random = cap yields cap and cap + 1 wraps to 0. */
static void test_backoff_overflow_safe(void **state)
{
	static const int attempts[] = {31, 32, 62, 63, 64, 100, 1000, INT_MAX};
	size_t i;
	uint32_t r;

	(void)state;
	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		assert_int_equal(aws_retry_backoff_ms(attempts[i], 100, 20000, 20000), 20000);
		assert_int_equal(aws_retry_backoff_ms(attempts[i], 100, 20000, 20001), 0);
		assert_int_equal(aws_retry_backoff_ms(attempts[i], LONG_MAX, LONG_MAX, 7), 7);
		/* From 2^32 on the ceiling exceeds any 32-bit random value. */
		if (attempts[i] >= 32)
			assert_int_equal(aws_retry_backoff_ms(attempts[i], 1, LONG_MAX, UINT32_MAX),
					 (long)UINT32_MAX);
		for (r = 0; r < 4000000000u; r += 123456789u) {
			long v = aws_retry_backoff_ms(attempts[i], 100, 20000, r);

			assert_true(v >= 0 && v <= 20000);
		}
	}
	/* 2^31 is the ceiling at attempt 31: 0xffffffff % (2^31 + 1). */
	assert_int_equal(aws_retry_backoff_ms(31, 1, LONG_MAX, UINT32_MAX), 0x7ffffffeL);
	/* Large base with a small attempt: no overflow of base * 2^attempt. */
	assert_int_equal(aws_retry_backoff_ms(2, LONG_MAX / 2, LONG_MAX, 5), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttling_codes_retry),
		cmocka_unit_test(test_status_and_transport),
		cmocka_unit_test(test_auth_errors_never_retry),
		cmocka_unit_test(test_attempt_budget),
		cmocka_unit_test(test_backoff_table),
		cmocka_unit_test(test_backoff_overflow_safe),
	};

	return cmocka_run_group_tests_name("aws_retry", tests, NULL, NULL);
}
