/*
 * render.h - Slack Block Kit messages (and a plain-text table) for search
 * results, help, progress and errors.
 *
 * JSON is built with json-c, never by string pasting. Every string that
 * came from AWS or the user is
 * - made valid UTF-8 (bad bytes become U+FFFD) with control characters
 *   replaced by spaces,
 * - escaped for Slack mrkdwn: & -> &amp;, < -> &lt;, > -> &gt;, so a tag
 *   value cannot inject a link (<http://x|y>) or a mention (<!channel>),
 * - cut at character boundaries (never mid UTF-8 sequence, mid entity or
 *   mid link) to Slack's limits, with "…" marking the cut.
 * Lengths are counted in UTF-16 code units, which is never less than the
 * character count Slack documents, so we stay under the limit either way.
 *
 * Every render_* function returning char * returns a malloc'd,
 * NUL-terminated JSON document owned by the caller (free() it), or NULL
 * with err filled (SI_ERR_NOMEM, SI_ERR_INVALID for NULL arguments).
 */
#ifndef SI_RENDER_H
#define SI_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"
#include "search/types.h"

/* Slack limits (tests/data and shared/testdata/slack/block-kit-limits.json):
 * blocks per message, section text, section fields and field text. */
#define RENDER_MAX_BLOCKS 50
#define RENDER_MAX_SECTION_TEXT 3000
#define RENDER_MAX_FIELDS 10
#define RENDER_MAX_FIELD_TEXT 2000

/* Slack rejects a message whose blocks total about 12,000-13,300
 * characters (msg_blocks_too_long, tests/data/shared/slack/LIMITS.md), a
 * limit it does not document: every message rendered here keeps the
 * characters of every string inside "blocks" (URLs included, counted in
 * UTF-16 units) within this. */
#define RENDER_MAX_TEXT_TOTAL 12000
#define RENDER_CARDS_MAX 3            /* up to this many matches get full cards */
/* A host name followed through its records to what is behind them (the
 * record, the load balancer, its targets) is one answer: up to this many
 * matches of such a chain keep their cards. */
#define RENDER_CHAIN_CARDS_MAX 8
#define RENDER_PAGES_MAX 40           /* "Show all" pages at most; the last says what is left */
/* Button limits (Block Kit button element): text, action_id, value. */
#define RENDER_MAX_BUTTON_TEXT 75
#define RENDER_MAX_ACTION_ID 255
#define RENDER_MAX_BUTTON_VALUE 2000
/* action_id of each button; value is the result id (32 hex), "more" pages "ID:PAGE" */
#define RENDER_ACTION_SHOW_ALL "si_show_all"
#define RENDER_ACTION_SHARE "si_share"
#define RENDER_ACTION_REFRESH "si_refresh"
#define RENDER_ACTION_MORE "si_more"

enum render_response_type {
	RENDER_IN_CHANNEL = 0,   /* default: the whole channel sees the answer */
	RENDER_EPHEMERAL         /* only the user who asked */
};

/* [links] of the configuration: console links go through IAM Identity
 * Center's shortcut (SSO_START_URL/#/console?account_id=…&role_name=…&
 * destination=…) so a click lands in the match's account and role. */
struct render_links {            /* borrowed strings, NULL or "" = unset */
	const char *sso_start_url;   /* https://d-xxxx.awsapps.com/start */
	const char *role_name;
};

/* Zero-initialised: in channel, RENDER_MAX_BLOCKS, plain console links, no
 * buttons. */
struct render_opts {
	enum render_response_type response_type;
	/* Upper bound on blocks; 0 means RENDER_MAX_BLOCKS, larger values are
	 * clamped to it, values below 4 are raised to 4 (summary, failures,
	 * one match, "more"), or to 5 when the per-account counts are shown. */
	size_t max_blocks;
	const struct render_links *links;  /* borrowed; NULL: plain console links */
	/* Borrowed; NULL: no buttons. Otherwise an actions block at the end with
	 * "Show all N" (RENDER_ACTION_SHOW_ALL, value result_id) when not every
	 * match has a card, "Share in channel" (RENDER_ACTION_SHARE) when
	 * ephemeral, "Refresh" (RENDER_ACTION_REFRESH). The buttons count in the
	 * budget. An id that is not 1-64 of [A-Za-z0-9_-] gets no buttons. With
	 * buttons and replace_original 0 the message says "replace_original":
	 * false, as a post to an interaction's response_url must. */
	const char *result_id;
	int replace_original;              /* 1: "replace_original": true at top level */
};

/* What Slack's limits are checked against. */
struct render_size {
	size_t blocks;       /* elements of "blocks" */
	size_t text_chars;   /* UTF-16 units of every string value inside "blocks" */
	size_t json_bytes;   /* strlen of the message */
};

/*
 * The answer to a search. With no matches this is render_nothing_found().
 * Every message stays within RENDER_MAX_TEXT_TOTAL characters of block text,
 * RENDER_MAX_BLOCKS blocks and Slack's per-element limits, whatever r holds.
 * Layout:
 * - a summary section ("2 matches for X in 12 account-regions, 0.41 s";
 *   counts from 1,000 on with thousands separators);
 * - when not every match gets a card and they are spread over more than
 *   one account or region, a section with match counts per account,
 *   biggest first ("production: 120 · staging: 48 · dev: 3"), plus per
 *   region when one account holds them all, at most 10 names each;
 * - a context block when r->dns_note is set ("Not in any hosted zone;
 *   resolved with DNS: www.example.com → 192.0.2.1") or targets failed:
 *   "N of M targets failed:" with the failures grouped by error code,
 *   biggest first ("AccessDenied: staging (all 17 regions), dev/eu-west-1;
 *   Timeout: …"), at most 5 accounts or targets per code and 6 codes, the
 *   rest counted ("… and K more");
 * - the history section, when the inventory gave any;
 * - 1..RENDER_CARDS_MAX matches (RENDER_CHAIN_CARDS_MAX when a host name
 *   was followed to them): one card (a section with fields) each. An
 *   instance or interface card shows its own struct (times as Slack dates;
 *   an interface names its owner once, linked to the load balancer that
 *   owns it); any other resource shows "*Label* `id` name", the label
 *   linked to its type's console_url when that gives a safe https URL, the
 *   DNS chain that led to it (res.hop), a few DNS names and addresses, its
 *   relations grouped by kind, its fields and its tags. A card too big
 *   for its share of the budget loses fields, then text, and at worst
 *   becomes a line;
 * - more matches: a compact list, one line per match with one link (its
 *   console link), "Label <url|id> name — summary · region", grouped by
 *   account (a bold heading per account, accounts in the order they first
 *   appear), packed into sections while the budget lasts, then "N more —
 *   narrow with account: or region:";
 * - with opts->result_id, the buttons (render_opts).
 * Console links go through opts->links (render_links) when it has both
 * fields and the match's account id is known. opts may be NULL (defaults).
 */
char *render_result(const struct search_result *r, const struct render_opts *opts,
		    struct si_err *err);

/* Measure a message: its blocks, the characters of every string inside
 * "blocks" (UTF-16 units), its JSON bytes. 0, or -1 with err
 * (SI_ERR_INVALID) when json is not a JSON object or its "blocks" is not
 * an array; a message without "blocks" has 0. */
int render_measure(const char *json, struct render_size *out, struct si_err *err);

/* "Show all": every match as one compact line (as in the compact list),
 * grouped by account, split into ephemeral messages ("replace_original":
 * false) each within the budget (no buttons). Returns a malloc'd JSON ARRAY
 * of complete message objects; *n_pages its length (1..RENDER_PAGES_MAX;
 * each page says "Page K of N"; when the matches do not fit in
 * RENDER_PAGES_MAX pages the last says how many more and how to narrow).
 * opts: links only (may be NULL). */
char *render_pages(const struct search_result *r, const struct render_opts *opts,
		   size_t *n_pages, struct si_err *err);

/* Ephemeral ("replace_original": false): "Pages 1-5 of 9 shown." with a
 * button "Show pages 6-9" (RENDER_ACTION_MORE, value "RESULT_ID:5"; pages
 * count from 0 in the value). Needs 0 < next_page < n_pages and a result
 * id as render_opts wants; else NULL with SI_ERR_INVALID. */
char *render_more_pages(const char *result_id, size_t next_page, size_t n_pages,
			struct si_err *err);

/* The minimal message posted when Slack refused the real answer: the
 * summary line (counts, time), the per-account counts, how to narrow; no
 * cards, no links, no buttons, <= 3 blocks, <= 3000 characters. opts as for
 * render_result (response_type, replace_original); with 0 matches it is
 * the "no matches" summary. */
char *render_fallback(const struct search_result *r, const struct render_opts *opts,
		      struct si_err *err);

/* "No matches for X in N accounts and M regions (T account-regions), S s",
 * plus the DNS note and the failed targets, if any, as in
 * render_result(). */
char *render_nothing_found(const struct search_result *r,
			   const struct render_opts *opts, struct si_err *err);

/* An ephemeral error reply showing text (escaped). */
char *render_error(const char *text, struct si_err *err);

/* Ephemeral "Searching N accounts in M regions…" while a deferred search
 * runs. */
char *render_pending(size_t n_accounts, size_t n_regions, struct si_err *err);

/*
 * Ephemeral usage, examples and the configured accounts and regions.
 * command is the slash command as configured ("/infra-search" if NULL).
 * aliases and regions are borrowed arrays of n_* strings.
 */
char *render_help(const char *command, const char *const *aliases, size_t n_aliases,
		  const char *const *regions, size_t n_regions, struct si_err *err);

/* {"response_type":"in_channel"}: the immediate answer to Slack that makes
 * the user's command visible in the channel while the search runs. */
char *render_ack(struct si_err *err);

/*
 * A human label for what owns a standalone interface, derived from its
 * interfaceType, description and requesterId, e.g. "NAT gateway",
 * "Application load balancer app/web/50dc6c495c0c9188", "Lambda function".
 * Writes at most len bytes (NUL included) to buf and returns buf. The text
 * is raw (not escaped).
 */
const char *render_eni_owner(const struct ec2_eni *eni, char *buf, size_t len);

/* A plain-text table of r for the command line: the summary line, the DNS
 * note (if any), the failure summary line of render_result() (if any
 * targets failed), the table (one row per match; a resource row shows its
 * id, name, state and its type's label under TYPE), then one "failed:
 * account/region: code (message)" line per failed target, with AWS's
 * whole message (cells are cut at 48 bytes, these lines are not). Control
 * characters in AWS strings are replaced by '?'. Returns 0, or -1 with
 * SI_ERR_IO (write failed) or SI_ERR_NOMEM. */
int render_text(const struct search_result *r, FILE *fp, struct si_err *err);

#endif
