/*
 * retry.h - whether a failed AWS call is worth another try.
 *
 * Pure decision functions: no clock, no sleeping, no randomness. How long
 * to wait is util/backoff.h's job (aws/client.c calls both).
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

/* 1 if code says the temporary credentials have expired ("ExpiredToken",
 * "ExpiredTokenException", EC2's "RequestExpired"): assuming the role again
 * can cure it, so callers drop the cached credentials and go again. */
int aws_retry_creds_expired(const char *code);

/* 1 if code says the credentials themselves were refused (expired, unknown
 * or invalid: the expired codes plus "InvalidClientTokenId",
 * "UnrecognizedClientException", "AuthFailure", "InvalidAccessKeyId"), as
 * opposed to the caller lacking a permission: cached credentials that earn
 * one are dropped and the role assumed again, once, before the call is
 * tried again (search/engine.c, aws/org.c). */
int aws_retry_creds_refused(const char *code);

#endif
