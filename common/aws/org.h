/*
 * org.h - account (and region) discovery through AWS Organizations.
 *
 * With [organization] configured, the service assumes
 * org_management_role_arn (STS AssumeRole with the base identity), pages
 * through organizations:ListAccounts (JSON 1.1 protocol) and turns every
 * ACTIVE account into a struct si_account:
 *   alias    = the account's Name, lower-cased, every run of characters
 *              outside [a-z0-9_-] replaced by one '-', '-' trimmed at both
 *              ends (the account id when nothing is left); when several
 *              accounts share an alias, EVERY one of them becomes
 *              "<alias>-<id>" so that no account silently owns the bare
 *              name (which one would depend on ListAccounts order);
 *   role_arn = arn:<partition>:iam::<id>:role/<org_role_name>, the
 *              partition taken from org_management_role_arn;
 *   regions  = org_regions, or with regions = all, the regions the account
 *              has enabled: ec2:DescribeRegions with the account's role.
 * The search treats these accounts exactly like configured ones.
 *
 * Results are immutable refcounted snapshots; a refresh builds a new one
 * and swaps it in under a mutex, so readers never see a half-built list
 * and a failed refresh leaves the last good snapshot in place.
 *
 * Every AWS call goes through the shared struct aws_client (aws/client.h):
 * its endpoints (AWS_ENDPOINT_URL_STS / _EC2 / _ORGANIZATIONS, then
 * AWS_ENDPOINT_URL), timeouts, retries and, above all, its one cache of
 * assumed-role credentials, so a role assumed here serves the search too.
 */
#ifndef SI_AWS_ORG_H
#define SI_AWS_ORG_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "aws/account.h"
#include "aws/client.h"
#include "util/err.h"

/* AWS lets an organisation grow to a few thousand accounts only on request
 * (default quota 10); 10000 is beyond any real organisation and bounds the
 * memory and the number of calls a refresh makes. */
#define ORG_MAX_ACCOUNTS 10000

/* MaxResults sent to ListAccounts: 20 is the API's maximum, so the fewest
 * calls (ListAccounts is throttled to a few calls per second). */
#define ORG_PAGE_SIZE 20

/* Pages fetched per refresh at most: enough for ORG_MAX_ACCOUNTS at
 * ORG_PAGE_SIZE, and a stop for a service that keeps handing out
 * NextTokens. */
#define ORG_MAX_PAGES (ORG_MAX_ACCOUNTS / ORG_PAGE_SIZE + 1)

/* A ListAccounts page is ~300 bytes per account; 1 MiB holds far more
 * than the 20 accounts a page can carry. */
#define ORG_MAX_JSON ((size_t)1024 * 1024)

/* Accounts accepted in one parsed page: AWS sends at most 20; the cap only
 * stops a hostile peer from making us allocate without bound. */
#define ORG_MAX_PAGE_ACCOUNTS 1000

/* NextToken values are opaque; AWS's are a few hundred bytes. */
#define ORG_MAX_TOKEN 4096

/* Nesting depth json-c may descend to: a page is 3 levels deep. */
#define ORG_JSON_DEPTH 16

/* AWS account names are at most 50 characters; the alias keeps as many,
 * which leaves room for "-<12-digit id>" within config's 64-byte alias. */
#define ORG_ALIAS_NAME_MAX 50

/* ---- parsing (pure, no network) ---------------------------------------- */

/* One entry of ListAccounts' Accounts array. Strings owned by the page. */
struct org_account_info {
	char *id;     /* 12 digits, always set */
	char *name;   /* NULL when absent */
	char *status; /* "ACTIVE", "SUSPENDED", "PENDING_CLOSURE"; always set */
	char *arn;    /* NULL when absent */
};

struct org_account_page {
	struct org_account_info *accounts; /* owned; NULL when n == 0 */
	size_t n;
	char *next_token;                  /* NULL on the last page */
};

/* Parse one ListAccounts answer (json need not be NUL-terminated).
 * Accounts must be an array; each entry needs a 12-digit Id and a Status
 * (entries without them are an error: the page cannot be trusted). On
 * success *out is filled (caller frees with org_account_page_clear); on
 * failure -1, err filled (SI_ERR_LIMIT past the caps above, else
 * SI_ERR_INVALID) and *out zeroed. */
int org_parse_list_accounts(const char *json, size_t len,
			    struct org_account_page *out, struct si_err *err);

/* Free what the page owns and zero it; NULL and zeroed structs are fine. */
void org_account_page_clear(struct org_account_page *p);

/* Write the sanitised alias of an account name into out (see the top of
 * this file); name NULL or sanitising to nothing gives the id. Returns 0,
 * or -1 (SI_ERR_LIMIT) when out_len is too small. */
int org_alias_from_name(const char *name, const char *id, char *out,
			size_t out_len, struct si_err *err);

/* Turn n ACTIVE-or-not account infos into si_accounts (non-ACTIVE ones are
 * skipped): alias with collision handling, role ARN built from partition
 * and role_name, and a copy of regions[0..n_regions). Sorted by alias.
 * On success *out is a malloc'd array of *n_out accounts the caller frees
 * with org_accounts_free(*out, *n_out). */
int org_accounts_build(const struct org_account_info *infos, size_t n,
		       const char *partition, const char *role_name,
		       char *const *regions, size_t n_regions,
		       struct si_account **out, size_t *n_out,
		       struct si_err *err);

/* Free an array of accounts from org_accounts_build (NULL is fine). */
void org_accounts_free(struct si_account *accounts, size_t n);

/* ---- discovery ---------------------------------------------------------- */

/* An immutable list of discovered accounts. Never modify it; hold it with
 * org_snapshot_ref and release with org_snapshot_unref. */
struct org_snapshot {
	struct si_account *accounts; /* sorted by alias */
	size_t n;
	time_t fetched_at;           /* the now given to the refresh */
};

/* Take another reference (s may be NULL); returns s. Thread-safe. */
struct org_snapshot *org_snapshot_ref(struct org_snapshot *s);

/* Drop a reference; the last one frees the snapshot. NULL is fine. */
void org_snapshot_unref(struct org_snapshot *s);

struct org_discovery;

/* What discovery needs of the [organization] section. Borrowed by
 * org_discovery_new, which copies it. */
struct org_settings {
	const char *role_name;            /* role assumed in each member account */
	const char *management_role_arn;  /* role in the management account */
	char *const *regions;             /* {"all"}: each account's own */
	size_t n_regions;
	int refresh_s;                    /* > 0 */
};

/* Set up discovery from s (copied; it may be freed afterwards) over
 * client (borrowed: its timeouts, attempts and credential cache; it must
 * outlive the discovery). With n_regions == 1 and regions[0] == "all" each
 * account's regions are discovered. Fails (SI_ERR_INVALID) when discovery
 * is not configured. Free with org_discovery_free. No network I/O happens
 * here. */
struct org_discovery *org_discovery_new(const struct org_settings *s,
					struct aws_client *client,
					struct si_err *err);

/* Where the background thread (and partial-failure warnings of a refresh)
 * write their logfmt lines; default stderr. Call before
 * org_discovery_start. The stream is borrowed. */
void org_discovery_set_log(struct org_discovery *d, FILE *log);

/* Refresh now, synchronously (refreshes are serialised). now is used for
 * credential expiry and as fetched_at; requests are signed with the real
 * clock, as AWS checks it. On success the new snapshot replaces the old
 * one. On failure returns -1 with the reason in err (never secrets) and
 * KEEPS the last good snapshot. An account whose regions cannot be
 * discovered keeps its regions from the last snapshot, or is left out
 * when it is new (its role is most likely not deployed yet); that is
 * logged as a warning, not a failure. */
int org_discovery_refresh(struct org_discovery *d, time_t now,
			  struct si_err *err);

/* The current snapshot with a new reference (release with
 * org_snapshot_unref), or NULL before the first successful refresh. */
struct org_snapshot *org_discovery_get(struct org_discovery *d);

/* Start a thread that refreshes at once and then every org_refresh_s
 * seconds, logging each failure as one logfmt line. At most one thread
 * per discovery. */
int org_discovery_start(struct org_discovery *d, struct si_err *err);

/* Stop the thread (at once: waits are on a condition variable and an
 * in-flight transfer is aborted), then free everything. Snapshots handed
 * out stay valid until unreferenced. NULL is fine. */
void org_discovery_free(struct org_discovery *d);

#endif
