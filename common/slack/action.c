/*
 * action.c - the interaction payload of a button press (see slack/action.h).
 */
#include "slack/action.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "slack/form.h"
#include "util/json.h"

/* The one form field Slack sends the JSON in. */
#define S_PAYLOAD_FIELD "payload"

/* The only type we act on; every other one is reported as OTHER. */
#define S_BLOCK_ACTIONS "block_actions"

/* How the payload is read (util/json.h): capped in size and nesting, in
 * json-c's strict mode, and UTF-8 checked, since the names in it reach
 * logs and replies. */
static const struct si_json_opts s_json = {
	.what = "payload",
	.max_bytes = SLACK_ACTION_PAYLOAD_MAX,
	.max_depth = SLACK_ACTION_DEPTH_MAX,
	.flags = SI_JSON_STRICT | SI_JSON_UTF8,
};

void slack_action_free(struct slack_action *a)
{
	if (a == NULL)
		return;
	free(a->type_name);
	free(a->team_id);
	free(a->enterprise_id);
	free(a->user_id);
	free(a->user_name);
	free(a->channel_id);
	free(a->channel_name);
	free(a->response_url);
	free(a->action_id);
	free(a->value);
	memset(a, 0, sizeof(*a));
}

/* Member key of o when it is an object: 0 with *out (NULL when o is NULL,
 * the member is absent or null), -1 when it is there but not an object. */
static int s_obj(struct json_object *o, const char *key, struct json_object **out,
		 struct si_err *err)
{
	struct json_object *v = NULL;

	*out = NULL;
	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return si_err_set(err, SI_ERR_INVALID, "payload: %s is not an object", key);
	*out = v;
	return 0;
}

/* Copy the string member key of o (name: its path, for messages) into
 * *out, unless *out is already set (a first choice won). Absent, null or
 * "": left NULL. Of another type, longer than max bytes or holding a NUL:
 * -1. A string is never cut: a cut id could equal an allow-list entry. */
static int s_str(struct json_object *o, const char *key, const char *name, size_t max,
		 char **out, struct si_err *err)
{
	struct json_object *v = NULL;
	const char *s;
	size_t len;

	if (*out != NULL || o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return si_err_set(err, SI_ERR_INVALID, "payload: %s is not a string", name);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max)
		return si_err_set(err, SI_ERR_LIMIT, "payload: %s is longer than %zu bytes",
				  name, max);
	if (strlen(s) != len)
		return si_err_set(err, SI_ERR_INVALID, "payload: %s holds a NUL byte", name);
	if (len == 0)
		return 0;
	*out = strdup(s);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory copying %s", name);
	return 0;
}

/* Who pressed, and where: what every payload type may carry, read for the
 * log as well as for block_actions. Each id has the fallback Slack's
 * payloads use when the first place is empty (team null for org-wide
 * installs, channel only in the container). */
static int s_who(struct json_object *root, struct slack_action *a, struct si_err *err)
{
	struct json_object *team, *ent, *user, *chan, *cont;

	if (s_obj(root, "team", &team, err) != 0 || s_obj(root, "enterprise", &ent, err) != 0 ||
	    s_obj(root, "user", &user, err) != 0 || s_obj(root, "channel", &chan, err) != 0 ||
	    s_obj(root, "container", &cont, err) != 0)
		return -1;
	if (s_str(team, "id", "team.id", SLACK_ACTION_ID_MAX, &a->team_id, err) != 0 ||
	    s_str(user, "team_id", "user.team_id", SLACK_ACTION_ID_MAX, &a->team_id, err) != 0 ||
	    s_str(ent, "id", "enterprise.id", SLACK_ACTION_ID_MAX, &a->enterprise_id, err) != 0 ||
	    s_str(team, "enterprise_id", "team.enterprise_id", SLACK_ACTION_ID_MAX,
		  &a->enterprise_id, err) != 0 ||
	    s_str(user, "id", "user.id", SLACK_ACTION_ID_MAX, &a->user_id, err) != 0 ||
	    s_str(user, "username", "user.username", SLACK_ACTION_NAME_MAX, &a->user_name,
		  err) != 0 ||
	    s_str(user, "name", "user.name", SLACK_ACTION_NAME_MAX, &a->user_name, err) != 0 ||
	    s_str(chan, "id", "channel.id", SLACK_ACTION_ID_MAX, &a->channel_id, err) != 0 ||
	    s_str(cont, "channel_id", "container.channel_id", SLACK_ACTION_ID_MAX,
		  &a->channel_id, err) != 0 ||
	    s_str(chan, "name", "channel.name", SLACK_ACTION_NAME_MAX, &a->channel_name,
		  err) != 0 ||
	    s_str(root, "response_url", "response_url", SLACK_ACTION_URL_MAX, &a->response_url,
		  err) != 0)
		return -1;
	if (cont != NULL) {
		struct json_object *v = NULL;

		if (json_object_object_get_ex(cont, "is_ephemeral", &v) && v != NULL) {
			if (!json_object_is_type(v, json_type_boolean))
				return si_err_set(err, SI_ERR_INVALID,
						  "payload: container.is_ephemeral is not a "
						  "boolean");
			a->is_ephemeral = json_object_get_boolean(v) ? 1 : 0;
		}
	}
	return 0;
}

/* The first action of a block_actions payload; the count is capped so a
 * hostile payload cannot make us walk a huge array (we read only one). */
static int s_first_action(struct json_object *root, struct slack_action *a, struct si_err *err)
{
	struct json_object *arr = NULL, *first;
	size_t n;

	if (!json_object_object_get_ex(root, "actions", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return si_err_set(err, SI_ERR_INVALID, "payload: actions missing or not an array");
	n = json_object_array_length(arr);
	if (n == 0)
		return si_err_set(err, SI_ERR_INVALID, "payload: actions is empty");
	if (n > SLACK_ACTION_ACTIONS_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "payload: %zu actions (at most %d)", n,
				  SLACK_ACTION_ACTIONS_MAX);
	a->n_actions = n;
	first = json_object_array_get_idx(arr, 0);
	if (first == NULL || !json_object_is_type(first, json_type_object))
		return si_err_set(err, SI_ERR_INVALID, "payload: actions[0] is not an object");
	if (s_str(first, "action_id", "actions[0].action_id", SLACK_ACTION_ACTION_ID_MAX,
		  &a->action_id, err) != 0 ||
	    s_str(first, "value", "actions[0].value", SLACK_ACTION_VALUE_MAX, &a->value,
		  err) != 0)
		return -1;
	return 0;
}

/* What a press must carry for us to act on it: refused here, with the
 * field named, rather than as a puzzling refusal further on. */
static int s_required(const struct slack_action *a, struct si_err *err)
{
	const struct {
		const char *name;
		const char *v;
	} req[] = {
		{ "team.id", a->team_id }, { "user.id", a->user_id },
		{ "channel.id", a->channel_id }, { "response_url", a->response_url },
		{ "actions[0].action_id", a->action_id },
	};

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (req[i].v == NULL)
			return si_err_set(err, SI_ERR_INVALID, "payload: %s missing or empty",
					  req[i].name);
	return 0;
}

/* The payload's JSON into a (zeroed by the caller): the type first, then
 * who and where for any type, then the action for block_actions. */
static int s_fill(struct json_object *root, struct slack_action *a, struct si_err *err)
{
	if (s_str(root, "type", "type", SLACK_ACTION_TYPE_MAX, &a->type_name, err) != 0)
		return -1;
	if (a->type_name == NULL)
		return si_err_set(err, SI_ERR_INVALID, "payload: type missing or empty");
	a->type = strcmp(a->type_name, S_BLOCK_ACTIONS) == 0 ? SLACK_ACTION_BLOCK_ACTIONS
							      : SLACK_ACTION_OTHER;
	if (s_who(root, a, err) != 0)
		return -1;
	if (a->type != SLACK_ACTION_BLOCK_ACTIONS)
		return 0;
	if (s_first_action(root, a, err) != 0)
		return -1;
	return s_required(a, err);
}

/* Why the form parser first: the body is a form like a command's, and its
 * one field holds the JSON (Slack's wire format); the payload's size is
 * checked before json-c sees it (si_json_read, under s_json). out is set
 * only on success, so a caller never holds half a payload. */
int slack_action_parse(const char *body, size_t len, struct slack_action *out,
		       struct si_err *err)
{
	struct form f = { NULL, 0 };
	struct slack_action a;
	struct json_object *root = NULL;
	const char *payload;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	if (form_parse(body, len, &f, err) != 0)
		goto out;
	payload = form_get(&f, S_PAYLOAD_FIELD);
	if (payload == NULL) {
		si_err_set(err, SI_ERR_INVALID, "no payload field");
		goto out;
	}
	if (form_count_key(&f, S_PAYLOAD_FIELD) > 1) {
		si_err_set(err, SI_ERR_INVALID, "payload field sent more than once");
		goto out;
	}
	root = si_json_read(payload, strlen(payload), &s_json, err);
	if (root == NULL || s_fill(root, &a, err) != 0)
		goto out;
	*out = a;
	memset(&a, 0, sizeof(a));
	rc = 0;
out:
	json_object_put(root);
	slack_action_free(&a);
	form_free(&f);
	return rc;
}
