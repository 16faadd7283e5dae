/*
 * json.c - the shared json-c string accessor (see private/json.h).
 */
#include "aws/private/json.h"

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
