/*
 * aws_retry.c - retry decisions for AWS calls (see aws_retry.h).
 */
#include "aws/retry.h"

#include <limits.h>
#include <string.h>

/* Throttling codes, from botocore retries/standard.py (_THROTTLED_ERROR_CODES)
 * plus EC2's RequestLimitExceeded, which EC2 returns with HTTP 503. */
static const char *const s_throttle[] = {
	"Throttling",
	"ThrottlingException",
	"ThrottledException",
	"RequestThrottledException",
	"TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException",
	"RequestLimitExceeded",
	"BandwidthLimitExceeded",
	"LimitExceededException",
	"RequestThrottled",
	"SlowDown",
	"PriorRequestNotComplete",
	"EC2ThrottledException",
};

/* Transient service-side codes (botocore _TRANSIENT_ERROR_CODES plus the
 * 5xx-class codes EC2 and STS document). IDPCommunicationError is STS
 * failing to reach an external identity provider. */
static const char *const s_transient[] = {
	"RequestTimeout",
	"RequestTimeoutException",
	"InternalError",
	"InternalFailure",
	"ServiceUnavailable",
	"Unavailable",
	"IDPCommunicationError",
};

/* Codes that mean "these credentials may not do this": never retried,
 * whatever the HTTP status says. */
static const char *const s_auth[] = {
	"AuthFailure",
	"AccessDenied",
	"AccessDeniedException",
	"UnauthorizedOperation",
	"UnrecognizedClientException",
	"InvalidClientTokenId",
	"SignatureDoesNotMatch",
	"IncompleteSignature",
	"ExpiredToken",
	"ExpiredTokenException",
	"RequestExpired",
	"InvalidAccessKeyId",
	"MissingAuthenticationToken",
	"OptInRequired",
	"Blocked",
};

static int s_in(const char *code, const char *const *list, size_t n)
{
	size_t i;

	if (code == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

#define S_IN(code, list) s_in((code), (list), sizeof(list) / sizeof((list)[0]))

int aws_retry_is_throttle(const char *code)
{
	return S_IN(code, s_throttle);
}

int aws_retry_should_retry(long http_status, const char *aws_error_code,
			   int transport_error, int attempt, int max_attempts)
{
	if (attempt >= max_attempts)
		return 0;
	if (S_IN(aws_error_code, s_auth))
		return 0;
	if (S_IN(aws_error_code, s_throttle) || S_IN(aws_error_code, s_transient))
		return 1;
	if (transport_error)
		return 1;
	/* 429 is throttling by status; 500/502/503/504 are the SDKs'
	 * transient statuses. 501 (Not Implemented) and 505 will not change
	 * on a retry. */
	return http_status == 429 || http_status == 500 || http_status == 502 ||
	       http_status == 503 || http_status == 504;
}

long aws_retry_backoff_ms(int attempt, long base_ms, long cap_ms, uint32_t random)
{
	unsigned long ceiling;
	int i;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	if (attempt < 0)
		attempt = 0;
	/* Double step by step and stop at cap: at most 63 doublings of a
	 * positive long reach any cap, so the loop is short and can never
	 * overflow (the check precedes each doubling). */
	ceiling = (unsigned long)(base_ms < cap_ms ? base_ms : cap_ms);
	for (i = 0; i < attempt && ceiling < (unsigned long)cap_ms; i++) {
		if (ceiling > (unsigned long)cap_ms / 2) {
			ceiling = (unsigned long)cap_ms;
			break;
		}
		ceiling *= 2;
	}
	if (ceiling > (unsigned long)cap_ms)
		ceiling = (unsigned long)cap_ms;
	/* Uniform over [0, ceiling] (modulo bias is irrelevant at these
	 * sizes). A ceiling >= 2^32 ms (49 days) is only reached through the
	 * 32-bit random value, which is plenty for a sleep. */
	if (ceiling >= (unsigned long)UINT32_MAX)
		return (long)random;
	return (long)(random % (ceiling + 1));
}
