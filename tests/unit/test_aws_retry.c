/*
 * test_aws_retry.c - retry decisions, table-driven (backoff: test_backoff.c).
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
			fail_msg("row %zu (status %ld, code %s, transport %d, attempt %d/%d): "
				 "got %d want %d", i, r->status, r->code ? r->code : "NULL",
				 r->transport, r->attempt, r->max, got, r->want);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttling_codes_retry),
		cmocka_unit_test(test_status_and_transport),
		cmocka_unit_test(test_auth_errors_never_retry),
		cmocka_unit_test(test_attempt_budget),
	};

	return cmocka_run_group_tests_name("aws_retry", tests, NULL, NULL);
}
