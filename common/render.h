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

enum render_response_type {
	RENDER_IN_CHANNEL = 0,   /* default: the whole channel sees the answer */
	RENDER_EPHEMERAL         /* only the user who asked */
};

struct render_opts {
	enum render_response_type response_type;
	/* Upper bound on blocks; 0 means RENDER_MAX_BLOCKS, larger values are
	 * clamped to it, values below 4 are raised to 4 (summary, failures,
	 * one match, "more"), or to 5 when the per-account counts are shown. */
	size_t max_blocks;
};

/*
 * The answer to a search. With no matches this is render_nothing_found().
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
 * - one card (a section with fields) per match, in the order given. An
 *   instance or interface card shows its own struct; any other resource
 *   (SEARCH_MATCH_RESOURCE) shows "*Label* `id` name", the label linked to
 *   its type's console_url when that gives a safe https URL, the DNS chain
 *   that led to it (res.hop), a few DNS names and addresses, its relations
 *   grouped by kind ("3 targets: i-… (web-1) healthy · …", ten a kind, six
 *   kinds, the rest counted), its fields (as section fields while they
 *   fit, then as lines) and its tags;
 * - when not every match gets a card (more than the block budget), the
 *   first few get one (at most 10, and no more blocks than the lines get)
 *   and the rest one line each, "Label `id` name — summary · account/
 *   region" (the type's summary(), else the state; instances and
 *   interfaces summarise themselves), grouped by account in the order the
 *   accounts first appear, packed into sections;
 * - when even the lines do not all fit, a final section saying how many
 *   more there are and how to narrow the search.
 * Every text stays within Slack's limits. opts may be NULL (defaults).
 */
char *render_result(const struct search_result *r, const struct render_opts *opts,
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
 * account/region: code (message)" line per failed target. Control
 * characters in AWS strings are replaced by '?'. Returns 0, or -1 with
 * SI_ERR_IO (write failed) or SI_ERR_NOMEM. */
int render_text(const struct search_result *r, FILE *fp, struct si_err *err);

#endif
