#include "aws/json_error.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws/json.h"
#include "util/strutil.h"

/* Longest code kept. AWS error codes are short identifiers (tens of
 * characters, e.g. "ProvisionedThroughputExceededException"); a value
 * longer than this is not a code. */
#define S_MAX_CODE ((size_t)256)
/* Longest message kept: the same bound as any text value of an XML answer
 * (aws/xml.c); real messages are under 1 KiB. */
#define S_MAX_MESSAGE ((size_t)64 * 1024)

/* The bare code in s[0..n): cut at the first ':' (a URL may follow), keep
 * what follows the last '#' (a namespace may precede), trim spaces. Empty
 * gives *out = NULL. The rule is botocore's, and the AWS protocol tests'
 * ("...#FooError:http://internal.amazon.com/..." is "FooError"). */
static int s_code(const char *s, size_t n, char **out, struct si_err *err)
{
	const char *colon = memchr(s, ':', n);
	size_t a = 0;

	*out = NULL;
	if (colon != NULL)
		n = (size_t)(colon - s);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '#')
			a = i + 1;
	while (a < n && si_ascii_space(s[a]))
		a++;
	while (n > a && si_ascii_space(s[n - 1]))
		n--;
	if (a == n)
		return 0;
	if (n - a > S_MAX_CODE)
		return si_err_set(err, SI_ERR_LIMIT, "AWS error code longer than %zu bytes",
				  S_MAX_CODE);
	*out = si_strndup(s + a, n - a);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* The string member key of o by the shared accessor, with botocore's
 * reading of "" as no value. */
static const char *s_member(struct json_object *o, const char *key, size_t *n)
{
	const char *s = aws_json_str(o, key, n);

	return s != NULL && *n > 0 ? s : NULL;
}

static int s_message(struct json_object *o, char **out, struct si_err *err)
{
	const char *s;
	size_t n = 0;

	*out = NULL;
	s = s_member(o, "message", &n);
	if (s == NULL)
		s = s_member(o, "Message", &n);
	if (s == NULL)
		return 0;
	if (n > S_MAX_MESSAGE)
		return si_err_set(err, SI_ERR_LIMIT, "AWS error message longer than %zu bytes",
				  S_MAX_MESSAGE);
	*out = strdup(s); /* json-c strings are NUL-terminated; an inner NUL cuts it */
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* The one JSON object in body[0..len), or NULL with err set. Trailing
 * bytes other than whitespace mean the body is something else (an HTML
 * page that happens to start with '{' is not an error envelope). */
static struct json_object *s_parse(const char *body, size_t len, struct si_err *err)
{
	struct si_err sub = { 0 };
	struct json_object *root = aws_json_read(body, len, AWS_JSON_ERROR_DEPTH, &sub);

	if (root == NULL)
		si_err_set(err, sub.code, "AWS error %s", sub.msg);
	return root;
}

/* Order of the code's sources: the header (restJson1 services send it and
 * botocore reads it first), then "__type" (awsJson; a legacy body with both
 * "__type" and "Code" is read by __type, as botocore's legacy protocol test
 * requires), then "code" and "Code" (Glacier-style bodies). Assumes out is
 * zeroed; on failure the caller clears it. */
static int s_fill(struct json_object *root, const char *errortype,
		  struct aws_error *out, struct si_err *err)
{
	static const char *const keys[] = { "__type", "code", "Code" };
	const char *s = NULL;
	size_t n = 0;

	if (errortype != NULL && s_code(errortype, strlen(errortype), &out->code, err) != 0)
		return -1;
	for (size_t i = 0; out->code == NULL && i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = s_member(root, keys[i], &n);
		if (s != NULL && s_code(s, n, &out->code, err) != 0)
			return -1;
	}
	return s_message(root, &out->message, err);
}

/* The public entry: checks the bounds before json-c sees a byte, then
 * parses and reads the fields. Its one subtlety is the header-only answer
 * (an empty body, or one that is not JSON, with X-Amzn-ErrorType), which
 * is an error answer with a code and no message. */
int aws_json_parse_error(const char *body, size_t len, const char *errortype,
			 struct aws_error *out, struct si_err *err)
{
	struct json_object *root = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > AWS_JSON_ERROR_MAX_DOC)
		return si_err_set(err, SI_ERR_LIMIT, "AWS error answer of %zu bytes exceeds %zu",
				  len, AWS_JSON_ERROR_MAX_DOC);
	if (body == NULL && len > 0)
		return si_err_set(err, SI_ERR_INVALID, "AWS error answer: NULL body");
	/* An empty body still says something when the header named the code
	 * (the protocol tests' "X-Amzn-Errortype only" cases). */
	if (len == 0 && errortype == NULL)
		return si_err_set(err, SI_ERR_INVALID, "empty AWS error answer");
	if (len > 0) {
		struct si_err sub = { 0 };

		/* With the code in the header, a body that is not JSON (a proxy's
		 * page) only costs the message, as in botocore. */
		root = s_parse(body, len, &sub);
		if (root == NULL && (errortype == NULL || sub.code == SI_ERR_NOMEM)) {
			if (err != NULL)
				*err = sub;
			return -1;
		}
	}
	rc = s_fill(root, errortype, out, err);
	if (rc != 0)
		aws_error_clear(out);
	json_object_put(root);
	return rc;
}
