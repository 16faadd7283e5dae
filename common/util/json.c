/*
 * json.c - the one bounded JSON reader (see util/json.h).
 */
#include "util/json.h"

#include <limits.h>

/* The name in messages when the caller gives none. */
#define S_DEFAULT_WHAT "JSON document"

/* JSON's whitespace (RFC 8259 section 2): space, tab, LF, CR. A NUL byte
 * or any other byte after the document means the body is something else. */
static int s_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* What must hold before json-c sees the bytes: a body when there are
 * bytes, a length under the caller's cap and json-c's int, and a depth
 * json-c can take (json-c 0.16's json_tokener_new_ex(0) frees a wild
 * pointer instead of failing, so a 0 must never reach it). */
static int s_check(const char *s, size_t len, const struct si_json_opts *opts,
		   const char *what, struct si_err *err)
{
	size_t cap = opts->max_bytes;

	if (cap == 0 || cap > (size_t)INT_MAX)
		cap = (size_t)INT_MAX;
	if (s == NULL && len > 0)
		return si_err_set(err, SI_ERR_INVALID, "%s: NULL body", what);
	if (len > cap)
		return si_err_set(err, SI_ERR_LIMIT, "%s of %zu bytes (at most %zu)", what, len,
				  cap);
	if (opts->max_depth < 1)
		return si_err_set(err, SI_ERR_INVALID, "%s: nesting cap %d is below 1", what,
				  opts->max_depth);
	return 0;
}

/* Why a tokener of our own rather than json_tokener_parse(): the bytes are
 * not NUL-terminated (an HTTP buffer, a form value), their length must fit
 * json-c's int, the depth is capped by the caller, and parse_ex tells where
 * the document ended, so trailing bytes can be refused. json-c's own
 * trailing-data refusal (strict mode) is turned off so both modes refuse
 * them here, with one message. "null" parses to NULL with success: it is
 * JSON, but not an object. */
struct json_object *si_json_read(const char *s, size_t len, const struct si_json_opts *opts,
				 struct si_err *err)
{
	const char *what = opts->what != NULL ? opts->what : S_DEFAULT_WHAT;
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	int flags = 0;

	if (s_check(s, len, opts, what, err) != 0)
		return NULL;
	tok = json_tokener_new_ex(opts->max_depth);
	if (tok == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (opts->flags & SI_JSON_STRICT)
		flags |= JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS;
	if (opts->flags & SI_JSON_UTF8)
		flags |= JSON_TOKENER_VALIDATE_UTF8;
	json_tokener_set_flags(tok, flags);
	root = json_tokener_parse_ex(tok, len ? s : "", (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		si_err_set(err, SI_ERR_INVALID, "%s is not JSON (%s)", what,
			   json_tokener_error_desc(jerr));
		goto fail;
	}
	for (size_t end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!s_json_space(s[end])) {
			si_err_set(err, SI_ERR_INVALID, "%s has trailing data", what);
			goto fail;
		}
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		si_err_set(err, SI_ERR_INVALID, "%s is not a JSON object", what);
		goto fail;
	}
	json_tokener_free(tok);
	return root;
fail:
	json_object_put(root);
	json_tokener_free(tok);
	return NULL;
}
