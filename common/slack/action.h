/*
 * action.h - the interaction payload Slack POSTs when a user presses a
 * button of one of our messages (the app's Interactivity Request URL).
 *
 * Slack sends an application/x-www-form-urlencoded body with one field,
 * "payload", whose value is a JSON document ("Handling user interaction"
 * in Slack's docs; tests/data/shared/slack/interactivity-*.json). Of its
 * many fields we read only what routing, the access check and the answer
 * need: the type, who pressed (team, enterprise, user), where (channel,
 * whether the message was ephemeral), where to answer (response_url) and
 * the first action's action_id and value.
 *
 * The body is signed by Slack (slack/sig.h) before it reaches here, but
 * it is still parsed as hostile input: the payload's size, the JSON's
 * nesting and the number of actions are capped, every string we keep is
 * checked for length and NUL bytes, and anything of the wrong JSON type
 * is an error rather than a guess.
 */
#ifndef SI_SLACK_ACTION_H
#define SI_SLACK_ACTION_H

#include <stddef.h>

#include "util/err.h"

/* The decoded payload at most. A block_actions payload carries the whole
 * message the button was on (up to 50 blocks and ~12,000 characters of
 * text, with Slack's own additions): tens of KiB. 1 MiB is far above any
 * real one; the body was already bounded by [server] max_body. */
#define SLACK_ACTION_PAYLOAD_MAX ((size_t)1 << 20)

/* JSON nesting at most. Slack's fullest block_actions example
 * (interactivity-block-actions-fields.java-slack-sdk.json) nests 9 deep;
 * rich text lists in a message can add a few levels. json-c stops at the
 * cap instead of recursing further. */
#define SLACK_ACTION_DEPTH_MAX 24

/* Actions in one payload at most: a press sends one; an actions block
 * holds at most 25 elements (Block Kit), so more is not Slack. */
#define SLACK_ACTION_ACTIONS_MAX 25

/* Longest id kept (team, enterprise, user, channel): Slack's are ~11
 * characters; longer is not an id, and it must never be cut (a cut id
 * could match an allow-list entry it is not). */
#define SLACK_ACTION_ID_MAX 63
/* Longest user or channel name kept: Slack caps names at 80 characters,
 * 4 bytes each at most in UTF-8. */
#define SLACK_ACTION_NAME_MAX 320
/* Longest response_url: Slack's are ~100 bytes. */
#define SLACK_ACTION_URL_MAX 2048
/* Block Kit's own limits for an interactive element: action_id 255
 * characters, a button's value 2000 (block-kit-limits.json). */
#define SLACK_ACTION_ACTION_ID_MAX 255
#define SLACK_ACTION_VALUE_MAX 2000
/* Longest payload type kept ("block_actions", "view_submission", ...). */
#define SLACK_ACTION_TYPE_MAX 64

enum slack_action_type {
	SLACK_ACTION_BLOCK_ACTIONS = 0,  /* a press on a message's element */
	SLACK_ACTION_OTHER               /* shortcut, view_submission, ...:
					    not ours; type_name says which */
};

/*
 * Every string is NUL-free, NUL-terminated and owned by the struct (freed
 * by slack_action_free()). For SLACK_ACTION_BLOCK_ACTIONS, team_id,
 * user_id, channel_id, response_url and action_id are always set (a
 * payload without them is refused); the others are NULL when Slack sent
 * none (or null). For SLACK_ACTION_OTHER only type_name is guaranteed;
 * the ids are filled when present, for the log.
 */
struct slack_action {
	enum slack_action_type type;
	char *type_name;        /* as sent: "block_actions", "shortcut", ... */
	char *team_id;          /* team.id, else user.team_id */
	char *enterprise_id;    /* enterprise.id, else team.enterprise_id */
	char *user_id;          /* user.id */
	char *user_name;        /* user.username, else user.name */
	char *channel_id;       /* channel.id, else container.channel_id */
	char *channel_name;     /* channel.name */
	char *response_url;     /* check with slack_cmd_response_url_allowed() */
	int is_ephemeral;       /* container.is_ephemeral: the pressed message
				   was shown only to the presser */
	size_t n_actions;       /* how many actions Slack sent (>= 1) */
	char *action_id;        /* actions[0].action_id */
	char *value;            /* actions[0].value; NULL for an element
				   without one */
};

/*
 * Parse an interactivity request body of len bytes (form rules of
 * slack/form.h; exactly one "payload" field, other fields ignored) into
 * out, which is overwritten without being freed first. Returns 0 and the
 * caller frees out with slack_action_free(); or -1 with err set and out
 * zeroed: SI_ERR_INVALID (no or two payloads, not one JSON object, deeper
 * than SLACK_ACTION_DEPTH_MAX, a field of the wrong type, a NUL byte in a
 * kept string, a block_actions payload without one of its required
 * fields), SI_ERR_LIMIT (payload, a kept string or the action count over
 * the limits above), SI_ERR_NOMEM.
 */
int slack_action_parse(const char *body, size_t len, struct slack_action *out,
		       struct si_err *err);

/* Free every string, leaving a zeroed. NULL is allowed. */
void slack_action_free(struct slack_action *a);

#endif
