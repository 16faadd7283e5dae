/*
 * json_error.h - the error answer of AWS's JSON protocols (awsJson1_0,
 * awsJson1_1 as Organizations speaks it, restJson1), read as botocore reads
 * it.
 *
 * A JSON-protocol failure is an HTTP status plus a JSON object such as
 *   {"__type":"com.amazonaws.dynamodb.v20111205#ProvisionedThroughputExceededException",
 *    "message":"The level of configured provisioned throughput ..."}
 * The code comes from, in this order: the X-Amzn-ErrorType header (when the
 * caller has it), the body's "__type", its "code", its "Code". Whatever the
 * source, the code is cut at the first ':' (some services append a URL) and
 * only what follows the last '#' (a Smithy namespace) is kept, so
 * "aws.protocoltests.restjson#FooError:http://internal.amazon.com/..." is
 * "FooError". The message is the body's "message", else "Message". JSON
 * bodies carry no request id (AWS sends it as x-amzn-RequestId).
 *
 * Hostile input: the body is size-capped (AWS_JSON_ERROR_MAX_DOC) and
 * nesting-capped (AWS_JSON_ERROR_DEPTH), values are length-capped, and the
 * parse never allocates beyond those bounds.
 */
#ifndef SI_AWS_JSON_ERROR_H
#define SI_AWS_JSON_ERROR_H

#include <stddef.h>

#include "aws/ec2_types.h"
#include "util/err.h"

/* Largest error body read. Error answers are a few hundred bytes; the cap
 * only has to stay above that and below what a caller buffers (1 MiB, as
 * for Organizations' answers). */
#define AWS_JSON_ERROR_MAX_DOC ((size_t)1024 * 1024)

/* Nesting accepted. Error bodies are flat or one or two objects deep
 * (Smithy's "complex errors"); json-c refuses deeper documents. */
#define AWS_JSON_ERROR_DEPTH 16

/* Parse the JSON error answer body[0..len) (need not be NUL-terminated;
 * len 0 is allowed when errortype is given, as some answers carry the code
 * in the header only). errortype is the X-Amzn-ErrorType header value, or
 * NULL when the caller has none.
 *
 * Returns 0 when the body is a JSON object (or empty, with a header): *out
 * is filled, out->code is NULL when neither header nor body names a code
 * (callers must then say so: see aws_error_describe in aws/xml.h), and
 * out->request_id is always NULL. Returns -1 with err set (SI_ERR_INVALID,
 * SI_ERR_LIMIT, SI_ERR_NOMEM) and *out zeroed for anything else. On
 * success the caller owns *out and frees it with aws_error_clear(). */
int aws_json_parse_error(const char *body, size_t len, const char *errortype,
			 struct aws_error *out, struct si_err *err);

#endif
