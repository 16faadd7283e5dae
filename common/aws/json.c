/*
 * json.c - AWS's JSON answers: the bounded reader under AWS's rules and
 * the string accessor (see aws/json.h).
 */
#include "aws/json.h"

#include <string.h>

#include "util/json.h"

/* How every AWS answer is read: see aws/json.h for why lenient and
 * without a UTF-8 check; the size cap is each caller's. */
struct json_object *aws_json_read(const char *body, size_t len, int max_depth,
				  struct si_err *err)
{
	const struct si_json_opts opts = {
		.what = "answer", .max_bytes = 0, .max_depth = max_depth, .flags = 0,
	};

	return si_json_read(body, len, &opts, err);
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
