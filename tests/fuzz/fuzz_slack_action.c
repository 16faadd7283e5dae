/*
 * fuzz_slack_action.c - slack_action_parse() on arbitrary bodies.
 *
 * Besides memory safety, checks the documented contract: on failure out is
 * zeroed and err says why; on success every kept string is NUL-free
 * within its limit, a block_actions payload has its required fields, and
 * the action count is within SLACK_ACTION_ACTIONS_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/action.h"

static void s_check_str(const char *s, size_t max, int required)
{
	if (s == NULL) {
		if (required)
			abort();
		return;
	}
	if (s[0] == '\0' || strlen(s) > max)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slack_action a, zero;
	struct si_err err;
	int ba;

	memset(&zero, 0, sizeof(zero));
	if (slack_action_parse((const char *)data, size, &a, &err) != 0) {
		if (memcmp(&a, &zero, sizeof(a)) != 0 || err.code == SI_OK)
			abort();
		return 0;
	}
	ba = a.type == SLACK_ACTION_BLOCK_ACTIONS;
	s_check_str(a.type_name, SLACK_ACTION_TYPE_MAX, 1);
	s_check_str(a.team_id, SLACK_ACTION_ID_MAX, ba);
	s_check_str(a.enterprise_id, SLACK_ACTION_ID_MAX, 0);
	s_check_str(a.user_id, SLACK_ACTION_ID_MAX, ba);
	s_check_str(a.user_name, SLACK_ACTION_NAME_MAX, 0);
	s_check_str(a.channel_id, SLACK_ACTION_ID_MAX, ba);
	s_check_str(a.channel_name, SLACK_ACTION_NAME_MAX, 0);
	s_check_str(a.response_url, SLACK_ACTION_URL_MAX, ba);
	s_check_str(a.action_id, SLACK_ACTION_ACTION_ID_MAX, ba);
	s_check_str(a.value, SLACK_ACTION_VALUE_MAX, 0);
	if (ba && (a.n_actions == 0 || a.n_actions > SLACK_ACTION_ACTIONS_MAX))
		abort();
	if (!ba && (a.action_id != NULL || a.n_actions != 0))
		abort();
	if ((a.type == SLACK_ACTION_BLOCK_ACTIONS) != (strcmp(a.type_name, "block_actions") == 0))
		abort();
	slack_action_free(&a);
	return 0;
}
