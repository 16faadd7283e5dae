/*
 * access.h - who may use /infra-search, from where, and on which accounts.
 *
 * Decided from the [access] lists of the configuration and the ids Slack
 * sent with a verified request. Each list that is empty places no
 * restriction on its dimension; a non-empty list must contain the
 * request's id (exact, case-sensitive: Slack ids are upper case and the
 * configuration keeps them as written). A request missing an id that a
 * list restricts is refused: we fail closed.
 *
 * Per-account restrictions ([account production] allowed_channels=C1,C2)
 * narrow which accounts a channel may search; they never refuse the whole
 * request, so other accounts can still be searched.
 */
#ifndef SI_ACCESS_H
#define SI_ACCESS_H

#include <stddef.h>

#include "config.h"
#include "util/err.h"
#include "slack/cmd.h"

struct access_decision {
	int allowed;             /* 1 allowed, 0 refused */
	/* Static strings (never free): NULL when allowed. user_reason is a
	 * friendly sentence for an ephemeral reply; log_reason is short and
	 * fixed for the log, e.g. "team not allowed". Neither echoes any
	 * request field. */
	const char *user_reason;
	const char *log_reason;
};

/*
 * Check, in this order, the workspace (allowed_teams matches the request's
 * team_id OR its enterprise_id, so one entry can admit a whole Enterprise
 * Grid org), the channel (allowed_channels) and the user (allowed_users).
 * The first failing check decides the reasons. Returns 1 when allowed, 0
 * when refused (also for NULL cfg or cmd: refusal is the safe answer);
 * *out is always filled when out is not NULL.
 */
int access_check(const struct si_config *cfg, const struct slack_cmd *cmd,
		 struct access_decision *out);

/* 1 if account a may be searched from channel_id: it has no
 * allowed_channels, or lists channel_id. 0 otherwise, including for a
 * NULL or empty channel_id against a restricted account, and a NULL a. */
int access_account_allowed(const struct si_account *a, const char *channel_id);

/*
 * The configured accounts split by access_account_allowed() for one
 * channel, in configuration order. The alias pointers are borrowed from the
 * configuration (which must outlive this struct); the arrays are owned and
 * freed by access_accounts_free().
 */
struct access_accounts {
	const char **allowed;    /* aliases this channel may search */
	size_t n_allowed;
	const char **skipped;    /* aliases removed: not allowed here */
	size_t n_skipped;
};

/* Fill *out for channel_id (which may be NULL: then only unrestricted
 * accounts are allowed). out is overwritten without being freed. Returns 0,
 * or -1 with err set (SI_ERR_INVALID for NULL cfg/out, SI_ERR_NOMEM) and
 * *out zeroed. */
int access_accounts_for_channel(const struct si_config *cfg,
				const char *channel_id,
				struct access_accounts *out, struct si_err *err);

/* Free the arrays and zero *a. NULL and a zeroed struct are allowed. */
void access_accounts_free(struct access_accounts *a);

/*
 * A sentence for the reply naming what was skipped, written to out (size
 * out_len, always NUL-terminated when out_len > 0):
 *   "production was skipped: not allowed from this channel."
 *   "production, staging were skipped: not allowed from this channel."
 * When the names do not fit, the count is given instead ("12 accounts
 * were skipped: ..."). Writes "" when nothing was skipped. Returns the
 * length written.
 */
size_t access_skipped_note(const struct access_accounts *a, char *out,
			   size_t out_len);

#endif
