/*
 * json.c - the shared json-c reader and string accessor (see aws/json.h).
 */
#include "aws/json.h"

#include <limits.h>
#include <string.h>

/* JSON's whitespace (RFC 8259 section 2): space, tab, LF, CR. A NUL byte
 * or any other byte after the document means the body is something else. */
static int s_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Why a tokener of our own rather than json_tokener_parse(): the body is
 * not NUL-terminated (it is the HTTP buffer), its length must fit the int
 * json-c wants, the depth is capped by the caller, and parse_ex tells
 * where the document ended, so trailing bytes can be refused. */
struct json_object *aws_json_read(const char *body, size_t len, int max_depth,
				  struct si_err *err)
{
	struct json_tokener *tok;
	struct json_object *root = NULL;

	if (body == NULL && len > 0) {
		si_err_set(err, SI_ERR_INVALID, "answer: NULL body");
		return NULL;
	}
	if (len > (size_t)INT_MAX) {
		si_err_set(err, SI_ERR_LIMIT, "answer of %zu bytes is too large", len);
		return NULL;
	}
	tok = json_tokener_new_ex(max_depth);
	if (tok == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, len ? body : "", (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		si_err_set(err, SI_ERR_INVALID, "answer is not JSON (%s)",
			   json_tokener_error_desc(json_tokener_get_error(tok)));
		goto fail;
	}
	for (size_t end = json_tokener_get_parse_end(tok); end < len; end++)
		if (!s_json_space(body[end])) {
			si_err_set(err, SI_ERR_INVALID, "answer has trailing data");
			goto fail;
		}
	if (!json_object_is_type(root, json_type_object)) {
		si_err_set(err, SI_ERR_INVALID, "answer is not a JSON object");
		goto fail;
	}
	json_tokener_free(tok);
	return root;
fail:
	json_object_put(root);
	json_tokener_free(tok);
	return NULL;
}

const char *aws_json_str(struct json_object *o, const char *key, size_t *len)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}
