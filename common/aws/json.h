/*
 * json.h - reading AWS's JSON answers: util/json.h's bounded reader under
 * AWS's rules, and the string accessor.
 *
 * Every JSON answer we read (Lambda's REST-JSON, Organizations' awsJson,
 * the JSON error envelope, the credential documents) is one JSON object in
 * a buffer that is not NUL-terminated. The reading rules (length, nesting,
 * trailing bytes, one object) are util/json.h's, shared with the slack
 * layer; what is AWS's is said once here: the name "answer" in messages,
 * json-c's lenient mode and no UTF-8 check (as AWS answers have always
 * been read; the renderer replaces bad UTF-8 in what reaches a reply),
 * and each caller's own size cap, checked before this is called.
 */
#ifndef SI_AWS_JSON_H
#define SI_AWS_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "util/err.h"

/* si_json_read (util/json.h) of the one JSON object in body[0..len)
 * (need not be NUL-terminated; body may be NULL when len is 0), with
 * nesting capped at max_depth (>= 1; json-c's count, see util/json.h).
 * Callers cap len at their own document size first; this refuses only
 * what json-c cannot take (more than INT_MAX bytes, SI_ERR_LIMIT).
 * Returns the object, which the caller frees with json_object_put, or
 * NULL with err set: SI_ERR_INVALID "answer ..." for anything but exactly
 * one JSON object (not JSON, deeper than max_depth, bytes after it other
 * than JSON's whitespace of RFC 8259 section 2, another type of value),
 * SI_ERR_NOMEM. Callers put their own name before err->msg. */
struct json_object *aws_json_read(const char *body, size_t len, int max_depth,
				  struct si_err *err);

/* The string member key of o (borrowed from o: valid while o lives), or
 * NULL when o is not an object, the member is absent, null or not a
 * string. *len (when len is not NULL) gets json-c's length, which may
 * exceed strlen() if the value holds a NUL byte. */
const char *aws_json_str(struct json_object *o, const char *key, size_t *len);

#endif
