/*
 * aws_retry.h - when to retry an AWS call, and how long to wait.
 *
 * Pure decision functions: no clock, no sleeping, no randomness of their
 * own. The caller passes the attempt number and a random value, so tests
 * pin both.
 *
 * Follows the AWS SDKs' "standard" retry mode (botocore retries/standard.py,
 * aws-sdk-go-v2 aws/retry): throttling error codes, transient HTTP statuses
 * and transport failures are retried; client errors, and above all
 * authentication/authorisation errors, never are, because repeating a
 * request that was refused for its credentials cannot succeed and only
 * adds load (and, for AssumeRole, CloudTrail noise).
 */
#ifndef SI_AWS_RETRY_H
#define SI_AWS_RETRY_H

#include <stdint.h>

/*
 * Return 1 if the failed attempt should be retried, 0 if not.
 *  http_status     HTTP status of the answer, 0 when there was none.
 *  aws_error_code  the <Code> from the error body, NULL when unknown.
 *  transport_error non-zero when the request failed below HTTP
 *                  (connect, TLS, reset, timeout) and there is no answer.
 *  attempt         1-based number of the attempt that just failed.
 *  max_attempts    total attempts allowed (the first one included); no
 *                  retry once attempt >= max_attempts.
 * Precedence: the attempt budget, then a known non-retryable (auth) code,
 * then a known retryable (throttling/transient) code, then the transport
 * error, then the HTTP status (429 and 500/502/503/504 retry).
 */
int aws_retry_should_retry(long http_status, const char *aws_error_code,
			   int transport_error, int attempt, int max_attempts);

/* 1 if code is one of the throttling codes (e.g. "Throttling",
 * "RequestLimitExceeded"); callers may count these separately. */
int aws_retry_is_throttle(const char *code);

/*
 * Full-jitter exponential backoff ("Exponential Backoff and Jitter", AWS
 * Architecture Blog, 2015): sleep = random_between(0, min(cap, base *
 * 2^attempt)), both ends included. attempt is 0 for the wait after the
 * first failure. random is a uniformly random 32-bit value from the caller.
 * Never overflows: once base * 2^attempt would pass cap the ceiling is cap.
 * Returns 0 when base_ms or cap_ms is <= 0; a negative attempt counts as 0.
 */
long aws_retry_backoff_ms(int attempt, long base_ms, long cap_ms,
			  uint32_t random);

#endif
