/*
 * private/json.h - the one json-c accessor the AWS modules share.
 *
 * Private to common/aws (and its tests): credential documents
 * (creds_http.c) and Organizations pages (org.c) both read string members
 * of json-c objects, and the rule for "is this member a string" lives here
 * once.
 */
#ifndef SI_AWS_PRIVATE_JSON_H
#define SI_AWS_PRIVATE_JSON_H

#include <stddef.h>

#include <json-c/json.h>

/* The string member key of o (borrowed from o: valid while o lives), or
 * NULL when o is not an object, the member is absent, null or not a
 * string. *len (when len is not NULL) gets json-c's length, which may
 * exceed strlen() if the value holds a NUL byte. */
const char *aws_json_str(struct json_object *o, const char *key, size_t *len);

#endif
