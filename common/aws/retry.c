/*
 * retry.c - retry decisions for AWS calls (see retry.h).
 */
#include "aws/retry.h"

#include <string.h>

#include "util/http.h"

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
	 * transient statuses (the rule every HTTP caller here shares). */
	return si_http_status_transient(http_status);
}

/* Expired temporary credentials, as STS, Organizations and EC2 say it. */
static const char *const s_expired[] = {
	"ExpiredToken",
	"ExpiredTokenException",
	"RequestExpired",
};

/* Credentials refused as such; see retry.h. How each service says "I do
 * not know this access key or session token": STS and the other Query
 * services InvalidClientTokenId, EC2 AuthFailure, the JSON services
 * (Organizations) UnrecognizedClientException, S3-style endpoints
 * InvalidAccessKeyId. An endpoint that forgot the sessions it issued
 * answers these for credentials that have not expired. */
static const char *const s_refused[] = {
	"InvalidClientTokenId",
	"UnrecognizedClientException",
	"AuthFailure",
	"InvalidAccessKeyId",
};

int aws_retry_creds_expired(const char *code)
{
	return S_IN(code, s_expired);
}

int aws_retry_creds_refused(const char *code)
{
	return S_IN(code, s_expired) || S_IN(code, s_refused);
}
