#include "access.h"

#include <stdlib.h>
#include <string.h>

/* Replies say "/infra-search", the command the Slack app registers; the
 * reasons stay static so no request field is ever echoed back. */
static const char s_team_user[] =
	"This workspace is not allowed to use /infra-search.";
static const char s_channel_user[] =
	"/infra-search is not enabled in this channel.";
static const char s_user_user[] =
	"You are not allowed to use /infra-search.";
static const char s_bad_user[] =
	"/infra-search could not check this request.";

static const char s_skipped_tail[] = " skipped: not allowed from this channel.";

/* 1 if the list is empty (no restriction) or holds id. A missing or empty
 * id never matches, so it is refused whenever the list restricts. */
static int s_listed(char *const *list, size_t n, const char *id)
{
	if (n == 0)
		return 1;
	if (id == NULL || id[0] == '\0')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (list[i] != NULL && strcmp(list[i], id) == 0)
			return 1;
	return 0;
}

static int s_decide(struct access_decision *out, int allowed,
		    const char *user_reason, const char *log_reason)
{
	if (out != NULL) {
		out->allowed = allowed;
		out->user_reason = allowed ? NULL : user_reason;
		out->log_reason = allowed ? NULL : log_reason;
	}
	return allowed;
}

int access_check(const struct si_config *cfg, const struct slack_cmd *cmd,
		 struct access_decision *out)
{
	if (cfg == NULL || cmd == NULL)
		return s_decide(out, 0, s_bad_user, "no configuration or request");
	/* team_id OR enterprise_id: with an Enterprise Grid install, listing
	 * the org (E...) admits all its workspaces; listing one T... admits
	 * just that one. */
	if (cfg->n_allowed_teams > 0 &&
	    !s_listed(cfg->allowed_teams, cfg->n_allowed_teams, cmd->team_id) &&
	    !s_listed(cfg->allowed_teams, cfg->n_allowed_teams, cmd->enterprise_id))
		return s_decide(out, 0, s_team_user, "team not allowed");
	if (!s_listed(cfg->allowed_channels, cfg->n_allowed_channels, cmd->channel_id))
		return s_decide(out, 0, s_channel_user, "channel not allowed");
	if (!s_listed(cfg->allowed_users, cfg->n_allowed_users, cmd->user_id))
		return s_decide(out, 0, s_user_user, "user not allowed");
	return s_decide(out, 1, NULL, NULL);
}

int access_account_allowed(const struct si_account *a, const char *channel_id)
{
	if (a == NULL)
		return 0;
	return s_listed(a->allowed_channels, a->n_allowed_channels, channel_id);
}

int access_accounts_for_channel(const struct si_config *cfg,
				const char *channel_id,
				struct access_accounts *out, struct si_err *err)
{
	size_t n;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (cfg == NULL || out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "access: no configuration");
	n = cfg->n_accounts;
	if (n == 0)
		return 0;
	/* One slot per account in each array: every account lands in exactly
	 * one of them. calloc checks n * size for overflow. */
	out->allowed = calloc(n, sizeof(*out->allowed));
	out->skipped = calloc(n, sizeof(*out->skipped));
	if (out->allowed == NULL || out->skipped == NULL) {
		access_accounts_free(out);
		return si_err_set(err, SI_ERR_NOMEM, "access: out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct si_account *a = &cfg->accounts[i];

		if (access_account_allowed(a, channel_id))
			out->allowed[out->n_allowed++] = a->alias;
		else
			out->skipped[out->n_skipped++] = a->alias;
	}
	return 0;
}

void access_accounts_free(struct access_accounts *a)
{
	if (a == NULL)
		return;
	free(a->allowed);
	free(a->skipped);
	memset(a, 0, sizeof(*a));
}

/* Length of "a, b, c was/were" + tail, or 0 on size_t overflow. */
static size_t s_names_len(const struct access_accounts *a)
{
	size_t len = sizeof(s_skipped_tail) - 1 + strlen(a->n_skipped == 1 ? " was" : " were");

	for (size_t i = 0; i < a->n_skipped; i++) {
		size_t add = strlen(a->skipped[i]) + (i > 0 ? 2 : 0);

		if (len > (size_t)-1 - add)
			return 0;
		len += add;
	}
	return len;
}

/* Contract in access.h. Why a count fallback rather than truncation: a
 * half-cut list of account names would misstate what was skipped, while
 * "12 accounts were skipped" stays true. Assumes out_len is the real size
 * of out; every snprintf result is checked. */
size_t access_skipped_note(const struct access_accounts *a, char *out,
			   size_t out_len)
{
	size_t need, pos = 0;
	int n;

	if (out == NULL || out_len == 0)
		return 0;
	out[0] = '\0';
	if (a == NULL || a->n_skipped == 0)
		return 0;
	need = s_names_len(a);
	if (need == 0 || need >= out_len) {
		/* Names do not fit: a count is still true and useful. */
		n = snprintf(out, out_len, "%zu account%s %s%s", a->n_skipped,
			     a->n_skipped == 1 ? "" : "s",
			     a->n_skipped == 1 ? "was" : "were", s_skipped_tail);
		if (n < 0)
			out[0] = '\0';
		return strlen(out);
	}
	/* need < out_len was checked, so every piece below fits. */
	for (size_t i = 0; i < a->n_skipped; i++) {
		size_t l = strlen(a->skipped[i]);

		if (i > 0) {
			memcpy(out + pos, ", ", 2);
			pos += 2;
		}
		memcpy(out + pos, a->skipped[i], l);
		pos += l;
	}
	n = snprintf(out + pos, out_len - pos, "%s%s",
		     a->n_skipped == 1 ? " was" : " were", s_skipped_tail);
	if (n < 0 || (size_t)n >= out_len - pos) {
		out[0] = '\0';
		return 0;
	}
	return pos + (size_t)n;
}
