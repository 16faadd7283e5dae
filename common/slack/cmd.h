/*
 * slack_cmd.h - the fields of a Slack slash-command request.
 *
 * Slack POSTs slash commands as application/x-www-form-urlencoded bodies
 * ("Implementing slash commands" in Slack's docs). This module turns such a
 * body (already signature-checked by slack_sig.h) into a struct, and checks
 * response_url against an allow-list before anyone posts to it.
 */
#ifndef SI_SLACK_CMD_H
#define SI_SLACK_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/*
 * Every string is decoded, NUL-terminated and owned by the struct (freed by
 * slack_cmd_free()). A field Slack did not send is NULL; a field sent empty
 * (e.g. "text=" for a bare "/infra-search") is "". Parsing enforces no
 * required fields: the caller decides what it needs (a real command has
 * command, text, response_url, user_id and team_id; an ssl_check ping has
 * only token and ssl_check).
 */
struct slack_cmd {
	char *command;          /* e.g. "/infra-search" */
	char *text;             /* what the user typed after the command */
	char *response_url;     /* check with slack_cmd_response_url_allowed() */
	char *user_id;
	char *user_name;
	char *team_id;
	char *team_domain;
	char *enterprise_id;
	char *enterprise_name;
	char *channel_id;
	char *channel_name;
	char *trigger_id;
	char *api_app_id;
	/* Slack's deprecated verification token. Requests are authenticated
	 * with the signing secret instead; never log or compare this. */
	char *token;
	bool is_enterprise_install;  /* "true"; false when absent */
	bool ssl_check;              /* "ssl_check=1": Slack's certificate
				      * probe; answer 200 and do nothing */
};

/*
 * Parse a slash-command body of len bytes (form rules of form.h). out is
 * overwritten without being freed first. Unknown fields are ignored, since
 * Slack adds fields over time; a known field sent twice is an error
 * (SI_ERR_INVALID), because Slack never does so and proxies disagree on
 * which copy wins. is_enterprise_install must be "true" or "false",
 * ssl_check "1" or "0". On success returns 0 and the caller frees out with
 * slack_cmd_free(); on failure returns -1 with err filled and out zeroed.
 */
int slack_cmd_parse(const char *body, size_t len, struct slack_cmd *out,
		    struct si_err *err);

/* Free every string, leaving c zeroed. NULL is allowed. */
void slack_cmd_free(struct slack_cmd *c);

/*
 * True (1) only if url starts with one of the n_prefixes prefixes (exact,
 * case-sensitive byte prefix) and none of the tricks below apply; else 0.
 * Rejected outright: NULL, bytes <= 0x20 (controls, space), 0x7f and above,
 * backslash, no "scheme://", a '@' (userinfo) in the authority, and dot
 * segments ("/./", "/../", a final "/." or "/..", or any "%2e") in the
 * path. A prefix must cover the url's whole authority: one that ends in it
 * ("https://hooks.slack.com" against "https://hooks.slack.com.evil.example/"
 * or "https://hooks.slack.com:444/") does not match, so prefixes may be
 * written with or without the trailing slash. Empty prefixes match nothing.
 */
int slack_cmd_response_url_allowed(const char *url, const char *const *prefixes,
				   size_t n_prefixes);

#endif
