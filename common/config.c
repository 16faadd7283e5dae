/*
 * config.c - load slash-infra's settings from an ini file and the environment.
 *
 * One table (s_settings) describes every ini setting: section, key, type,
 * bounds and where it lives in struct si_config. The ini reader and the
 * SLASH_INFRA_<SECTION>_<KEY> environment override both walk that table, so
 * a setting added there is automatically readable from both places and is
 * documented in one spot. [account <alias>] sections use a second table of
 * the same shape (s_account_settings) over struct si_account.
 *
 * inih parses the file; we feed it lines through our own reader so that we
 * know real line numbers (for messages), can refuse over-long lines instead
 * of letting inih split them in two, and can count section headers (inih
 * does not tell us when a section starts, which we need to catch an
 * [account x] that appears twice).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ini.h>
#include <openssl/crypto.h>

#include "aws/region.h"
#include "inventory.h"
#include "store/inventory.h"
#include "store/store.h"
#include "util/file.h"
#include "util/strutil.h"

#define S_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A real config is a few KiB; the cap only stops a wrong path (a log file,
 * a FIFO fed by someone else) from being read without end. */
#define S_MAX_FILE_BYTES ((size_t)1024 * 1024)

/* Items in one comma-separated list. AWS has ~35 regions and a Slack
 * allow-list of more than a few hundred IDs belongs in Slack's own ACLs. */
#define S_MAX_LIST 256

/* Accounts searched in parallel per query; well above any organisation we
 * serve, low enough that a broken environment cannot fan out without bound. */
#define S_MAX_ACCOUNTS 1024

/* Alias length: it appears in Slack messages and logs, so keep it short. */
#define S_MAX_ALIAS 64

/* Longest single value (env or ini). An ARN is at most 2048 characters. */
#define S_MAX_VALUE 4096

/* Slack signing secrets are 32 hex characters; 256 leaves room for other
 * formats while refusing something that is clearly not a secret. */
#define S_MAX_SECRET 256

/* Environment entries we look at: SI_ENV_MAX (util/strutil.h). */
#define S_MAX_ENV SI_ENV_MAX

/* Room for "SLASH_INFRA_<SECTION>_<KEY>" built from the table. */
#define S_ENV_NAME_MAX 96

/* Room for "file:line: [section] key" in messages; paths are truncated. */
#define S_LABEL_MAX 200

/* [links] sso_start_url: an access portal URL is ~40 characters; every
 * console link of a reply carries it, so a long one eats Slack's budget. */
#define S_MAX_LINK_URL 512

/* What an access portal URL may hold: RFC 3986's unreserved characters,
 * '%' and the path's sub-delimiters. No '?', '#' or '@' (the link is built
 * by appending "/#/console?..."), no blanks and nothing mrkdwn treats as
 * markup ('<', '>', '|'). */
#define S_LINK_URL_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789-._~%!$&'()*+,;=:/"

#define S_DEFAULT_REGION "us-east-1"
#define S_DEFAULT_RESPONSE_URL_PREFIX "https://hooks.slack.com/"

static const char s_env_prefix[] = "SLASH_INFRA_";
static const char s_role_prefix[] = "AWS_ROLE_";
static const char s_region_prefix[] = "AWS_REGION_";

/*
 * Variables the AWS SDKs and CLI read that share our AWS_ROLE_ / AWS_REGION_
 * prefixes. They configure the SDK's own credential chain on the same host
 * (AWS_ROLE_ARN + AWS_ROLE_SESSION_NAME drive the web-identity/assume-role
 * provider, e.g. on EKS), so reading them as account aliases would invent an
 * account "arn" or fail on a session name that is not an ARN. AWS_REGION is
 * listed for the record: it has no alias suffix and is never an alias.
 */
static const struct {
	const char *name;
	const char *why;
} s_aws_sdk_vars[] = {
	{ "AWS_ROLE_ARN", "role for the SDK web-identity credential provider" },
	{ "AWS_ROLE_SESSION_NAME", "session name for that provider" },
	{ "AWS_REGION", "the SDK's default region, not an alias" },
};

enum s_type {
	S_INT,          /* int with [min, max] */
	S_INT_AUTO,     /* S_INT, or "auto" stored as 0 (sized at run time) */
	S_SIZE,         /* size_t with [min, max] */
	S_STR,          /* char *, checked by check(); empty value = unset */
	S_LIST,         /* char ** + size_t count, each item checked */
	S_RESPONSE,     /* enum si_response_type */
	S_BOOL          /* int: on/off, true/false, yes/no, 1/0 */
};

#define S_SECRET 1u  /* never echoed; file holding it must be private */

struct s_setting {
	const char *section;
	const char *key;
	enum s_type type;
	unsigned flags;
	long min, max;                   /* S_INT, S_INT_AUTO, S_SIZE */
	bool (*check)(const char *);     /* S_STR value, S_LIST item */
	const char *expect;              /* for messages: what check() wants */
	size_t off;                      /* field offset in the base struct */
	size_t n_off;                    /* S_LIST: offset of the count */
	const char *legacy_env;          /* Go-original name, lower precedence */
};

static bool s_valid_secret(const char *s);
static bool s_valid_arn(const char *s);
static bool s_valid_role_name(const char *s);
static bool s_valid_external_id(const char *s);
static bool s_valid_org_region(const char *s);
static bool s_valid_slack_id(const char *s);
static bool s_valid_url_prefix(const char *s);
static bool s_valid_state_path(const char *s);
static bool s_valid_state_url(const char *s);
static bool s_valid_link_url(const char *s);

#define CF(f) offsetof(struct si_config, f)
#define AF(f) offsetof(struct si_account, f)

#define S_ROW_INT(sec, k, f, lo, hi) \
	{ sec, k, S_INT, 0, lo, hi, NULL, NULL, CF(f), 0, NULL }
#define S_ROW_SIZE(sec, k, f, lo, hi) \
	{ sec, k, S_SIZE, 0, lo, hi, NULL, NULL, CF(f), 0, NULL }
#define S_ROW_STR(sec, k, f, chk, exp) \
	{ sec, k, S_STR, 0, 0, 0, chk, exp, CF(f), 0, NULL }
#define S_ROW_LIST(sec, k, f, chk, exp) \
	{ sec, k, S_LIST, 0, 0, 0, chk, exp, CF(f), CF(n_##f), NULL }

/* Expectation phrases, shared by rows and tests' message checks. */
#define S_EXP_ARN "a role ARN like arn:aws:iam::123456789012:role/Name"
#define S_EXP_REGION "a region like eu-west-2"
#define S_EXP_SLACK_ID "a Slack ID like C0123ABCD"

/*
 * Every setting. Bounds say why in the ini example; briefly:
 * threads/workers: more than 256 threads only adds contention;
 * max_body: Slack slash-command bodies are ~1 KiB, 16 MiB is absurd;
 * inline_budget_ms: Slack wants an answer within 3 s, keep margin;
 * deadline_ms: a response_url is valid for 30 min;
 * max_attempts: more than 10 retries only lengthens an outage;
 * [inventory]: the CRAWL_* bounds of inventory.h, history as the store's.
 */
static const struct s_setting s_settings[] = {
	{ "slack", "signing_secret", S_STR, S_SECRET, 0, 0, s_valid_secret,
	  "a printable secret of at most 256 characters",
	  CF(signing_secret), 0, "SLACK_SIGNING_SECRET" },
	S_ROW_LIST("slack", "response_url_prefixes", response_url_prefixes,
	           s_valid_url_prefix,
	           "https://host/... ending with '/' (http only for loopback)"),
	S_ROW_INT("server", "threads", threads, 1, 256),
	S_ROW_SIZE("server", "max_body", max_body, 1024, 16 * 1024 * 1024),
	S_ROW_INT("search", "inline_budget_ms", inline_budget_ms, 0, 2900),
	S_ROW_INT("search", "deadline_ms", deadline_ms, 100, 1800000),
	/* auto: sized to each search's targets (search/engine.h) */
	{ "search", "max_inflight", S_INT_AUTO, 0, 1, 1024, NULL, NULL, CF(max_inflight), 0,
	  NULL },
	{ "search", "response_type", S_RESPONSE, 0, 0, 0, NULL,
	  "in_channel or ephemeral", CF(response_type), 0, NULL },
	S_ROW_INT("search", "queue_size", queue_size, 1, 65536),
	{ "search", "resolve_dns", S_BOOL, 0, 0, 0, NULL, "on or off", CF(resolve_dns), 0,
	  NULL },
	S_ROW_INT("search", "workers", search_workers, 1, 256),
	S_ROW_INT("aws", "connect_timeout_ms", aws_connect_timeout_ms, 1, 60000),
	S_ROW_INT("aws", "timeout_ms", aws_timeout_ms, 1, 300000),
	S_ROW_INT("aws", "max_attempts", aws_max_attempts, 1, 10),
	S_ROW_LIST("access", "allowed_teams", allowed_teams, s_valid_slack_id,
	           S_EXP_SLACK_ID),
	S_ROW_LIST("access", "allowed_channels", allowed_channels,
	           s_valid_slack_id, S_EXP_SLACK_ID),
	S_ROW_LIST("access", "allowed_users", allowed_users, s_valid_slack_id,
	           S_EXP_SLACK_ID),
	S_ROW_STR("organization", "role_name", org_role_name, s_valid_role_name,
	          "an IAM role name like SlashInfraInspection"),
	S_ROW_STR("organization", "management_role_arn",
	          org_management_role_arn, s_valid_arn, S_EXP_ARN),
	S_ROW_LIST("organization", "regions", org_regions, s_valid_org_region,
	           "a region like eu-west-2, or all"),
	S_ROW_INT("organization", "refresh_s", org_refresh_s, 60, 86400),
	S_ROW_STR("state", "path", state_path, s_valid_state_path,
	          "an absolute path like /var/lib/slash-infra/state.db"),
	/* A URL may carry a password: treated as a secret (never echoed, and
	 * an ini file holding it must be private). */
	{ "state", "url", S_STR, S_SECRET, 0, 0, s_valid_state_url,
	  "a URL like postgresql://user@host/dbname", CF(state_url), 0, NULL },
	{ "inventory", "enabled", S_BOOL, 0, 0, 0, NULL, "on or off", CF(inventory_enabled), 0,
	  NULL },
	S_ROW_INT("inventory", "refresh_s", inventory_refresh_s, CRAWL_REFRESH_S_MIN,
	          CRAWL_REFRESH_S_MAX),
	S_ROW_INT("inventory", "rate_per_s", inventory_rate_per_s, CRAWL_RATE_MIN,
	          CRAWL_RATE_MAX),
	S_ROW_INT("inventory", "history_days", inventory_history_days, 1,
	          INV_HISTORY_DAYS_MAX),
	S_ROW_STR("links", "sso_start_url", link_sso_start_url, s_valid_link_url,
	          "an https:// URL with a host and no user, query or fragment, at most "
	          "512 characters, like https://d-1234567890.awsapps.com/start"),
	S_ROW_STR("links", "role_name", link_role_name, s_valid_role_name,
	          "an IAM role name (1-64 of [A-Za-z0-9+=,.@_-]) like ReadOnly"),
};

/* Keys of an [account <alias>] section, over struct si_account. */
static const struct s_setting s_account_settings[] = {
	{ "account", "role_arn", S_STR, 0, 0, 0, s_valid_arn, S_EXP_ARN,
	  AF(role_arn), 0, NULL },
	{ "account", "regions", S_LIST, 0, 0, 0, aws_region_valid, S_EXP_REGION,
	  AF(regions), AF(n_regions), NULL },
	{ "account", "external_id", S_STR, 0, 0, 0, s_valid_external_id,
	  "2-1224 characters of [A-Za-z0-9+=,.@:/_-]", AF(external_id), 0,
	  NULL },
	{ "account", "allowed_channels", S_LIST, 0, 0, 0, s_valid_slack_id,
	  S_EXP_SLACK_ID, AF(allowed_channels), AF(n_allowed_channels), NULL },
};

/* Per-account bookkeeping while loading; parallel to cfg->accounts. */
struct s_acct_meta {
	int seq;            /* section header count when [account x] began */
	int line;           /* first line of that section; 0 for env */
	bool from_env;
	bool env_regions;   /* AWS_REGION_<ALIAS> already applied */
	int seen[S_ARRAY_LEN(s_account_settings)];  /* line a key was set on */
};

struct s_load {
	struct si_config *cfg;
	struct s_acct_meta *meta;
	struct si_err *err;
	bool failed;

	/* ini state */
	const char *path;
	FILE *f;
	mode_t mode;
	size_t bytes;
	int lineno;              /* line most recently handed to inih */
	int err_line;            /* line of the recorded error */
	int section_seq;         /* number of '[' lines read so far */
	int section_line;        /* line of the latest '[' line */
	bool indented;           /* current line starts with blank space */
	const void *last_base;   /* setting set by the previous entry, for */
	const struct s_setting *last_set;  /* continuation lines */
	int seen[S_ARRAY_LEN(s_settings)];
};

/* ---- small string helpers ---------------------------------------------- */

static bool s_all_chars(const char *s, size_t lo, size_t hi, const char *extra)
{
	size_t n = strlen(s);

	if (n < lo || n > hi)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isascii(c) || (!isalnum(c) && strchr(extra, c) == NULL))
			return false;
	}
	return true;
}

static void s_free_str(char **p, bool wipe)
{
	if (*p == NULL)
		return;
	if (wipe)
		si_secret_free(*p);
	else
		free(*p);
	*p = NULL;
}

static void s_free_list(char ***items, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*n = 0;
}

/* ---- validators (pure, for table rows) ------------------------------------ */

static bool s_valid_secret(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > S_MAX_SECRET)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isascii((unsigned char)s[i]) || !isgraph((unsigned char)s[i]))
			return false;
	return true;
}

/* Discovery may also search every region each account has enabled. */
static bool s_valid_org_region(const char *s)
{
	return strcmp(s, "all") == 0 || aws_region_valid(s);
}

/* IAM name characters: alphanumerics and +=,.@_- (IAM User Guide,
 * "IAM object quotas"): role names are 1-64 of those. */
static bool s_valid_role_name(const char *s)
{
	return s_all_chars(s, 1, 64, "+=,.@_-");
}

/* arn:aws[-a-z]*:iam::<12 digits>:role/<path/>name, e.g.
 * arn:aws-us-gov:iam::123456789012:role/ops/SlashInfraInspection. */
static bool s_valid_arn(const char *s)
{
	static const char role[] = ":role/";
	const char *p = s, *name;

	if (strlen(s) > 2048 || !SI_HAS_PREFIX(p, "arn:aws"))
		return false;
	p += strlen("arn:aws");
	while ((*p >= 'a' && *p <= 'z') || *p == '-')
		p++;
	if (!SI_HAS_PREFIX(p, ":iam::"))
		return false;
	p += strlen(":iam::");
	for (int i = 0; i < 12; i++, p++)
		if (*p < '0' || *p > '9')
			return false;
	if (!si_str_has_prefix(p, role))
		return false;
	p += strlen(role);
	/* path segments, each non-empty, then the role name */
	name = strrchr(p, '/');
	name = name != NULL ? name + 1 : p;
	for (const char *q = p; q < name; q++)
		if (*q == '/' && (q == p || q[-1] == '/'))
			return false;
	if (!s_valid_role_name(name))
		return false;
	for (const char *q = p; q < name; q++)
		if (*q != '/' && !s_all_chars((char[]){ *q, '\0' }, 1, 1, "+=,.@_-"))
			return false;
	return true;
}

/* sts:AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-]. */
static bool s_valid_external_id(const char *s)
{
	return s_all_chars(s, 2, 1224, "+=,.@:/_-");
}

/* Slack team/channel/user IDs: an upper-case letter then [A-Z0-9]. Names
 * like "#general" would never match what Slack sends, so refuse them. */
static bool s_valid_slack_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 32 || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/*
 * A response_url prefix must end its host with '/', otherwise the prefix
 * "https://hooks.slack.com" would also admit https://hooks.slack.com.evil/.
 * Plain http is only allowed for loopback hosts (tests' fake Slack).
 */
static bool s_valid_url_prefix(const char *s)
{
	static const char *const loopback[] = {
		"127.0.0.1", "[::1]", "localhost"
	};
	const char *host, *slash;
	bool https = SI_HAS_PREFIX(s, "https://");
	size_t hlen;

	if (strlen(s) > 512)
		return false;
	for (const char *q = s; *q != '\0'; q++)
		if (!isascii((unsigned char)*q) || !isgraph((unsigned char)*q))
			return false;
	if (!https && !SI_HAS_PREFIX(s, "http://"))
		return false;
	host = https ? s + SI_LITLEN("https://") : s + SI_LITLEN("http://");
	slash = strchr(host, '/');
	if (slash == NULL || slash == host)
		return false;
	hlen = (size_t)(slash - host);
	/* no userinfo, query or fragment inside the host part */
	if (strcspn(host, "@?#") < hlen)
		return false;
	if (https)
		return true;
	for (size_t i = 0; i < S_ARRAY_LEN(loopback); i++) {
		size_t l = strlen(loopback[i]);

		if (strncmp(host, loopback[i], l) == 0 &&
		    (hlen == l || host[l] == ':'))
			return true;
	}
	return false;
}

/* The SQLite file: an absolute path of printable characters (a relative
 * one would depend on the working directory systemd happens to give). */
static bool s_valid_state_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *q = s; *q != '\0'; q++)
		if (!isprint((unsigned char)*q))
			return false;
	return true;
}

/* libpq's URI form (postgresql:// or postgres://), printable, no blanks:
 * the key=value form would need quoting rules we do not want in an ini. */
static bool s_valid_state_url(const char *s)
{
	if (!SI_HAS_PREFIX(s, "postgresql://") && !SI_HAS_PREFIX(s, "postgres://"))
		return false;
	for (const char *q = s; *q != '\0'; q++)
		if (!isascii((unsigned char)*q) || !isgraph((unsigned char)*q))
			return false;
	return true;
}

/* Whether part of u is absent (curl_url_get says "no such part"). */
static bool s_url_lacks(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(u, part, &v, 0);

	curl_free(v);
	return rc != CURLUE_OK;
}

/* [links] sso_start_url: IAM Identity Center's access portal, e.g.
 * https://d-1234567890.awsapps.com/start. Every console link of a reply
 * becomes URL/#/console?account_id=...&role_name=...&destination=..., so
 * only https (it carries a sign-in), a host, and nothing the appended
 * fragment would collide with: no user, query or fragment. curl's parser
 * (the one the rest of the program trusts) decides what the URL is; the
 * character set keeps what it would tolerate but Slack would not. */
static bool s_valid_link_url(const char *s)
{
	size_t n = strlen(s);
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	CURLU *u;

	if (n == 0 || n > S_MAX_LINK_URL || strspn(s, S_LINK_URL_CHARS) != n)
		return false;
	/* curl reads "https:///start" as host "start"; a browser may not */
	if (!SI_HAS_PREFIX(s, "https://") || s[SI_LITLEN("https://")] == '/')
		return false;
	u = curl_url();
	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    strcmp(scheme, "https") == 0 &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] != '\0' &&
	    s_url_lacks(u, CURLUPART_USER) && s_url_lacks(u, CURLUPART_PASSWORD) &&
	    s_url_lacks(u, CURLUPART_QUERY) && s_url_lacks(u, CURLUPART_FRAGMENT))
		ok = true;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Lower-case an alias in place and check it: [a-z0-9_-], 1..64. */
static bool s_alias_normalise(char *a)
{
	si_ascii_lower(a);
	return s_all_chars(a, 1, S_MAX_ALIAS, "_-");
}

/* ---- applying one value ---------------------------------------------------- */

static int s_parse_integer(const struct s_setting *s, const char *value,
                           long *out, const char *label,
                           struct si_err *err)
{
	if (si_parse_long(value, s->min, s->max, out) == 0)
		return 0;
	return si_err_set(err, SI_ERR_INVALID,
	                  "%s: expected an integer from %ld to %ld, got '%.32s'",
	                  label, s->min, s->max, value);
}

/* Split value on commas into trimmed items appended to *items (count in *n). */
static int s_list_append(const struct s_setting *s, const char *value,
                         char ***items, size_t *n, const char *label,
                         struct si_err *err)
{
	const char *p = value;

	if (*value == '\0')
		return 0;
	for (size_t guard = 0; guard <= S_MAX_LIST; guard++) {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		const char *b = p, *e = end;
		char *item, **grown;

		while (b < e && si_ascii_space((unsigned char)*b))
			b++;
		while (e > b && si_ascii_space((unsigned char)e[-1]))
			e--;
		if (b == e)
			return si_err_set(err, SI_ERR_INVALID,
			                  "%s: empty item in comma-separated list",
			                  label);
		if (*n >= S_MAX_LIST)
			return si_err_set(err, SI_ERR_LIMIT,
			                  "%s: more than %d items", label, S_MAX_LIST);
		item = strndup(b, (size_t)(e - b));
		if (item == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		if (!s->check(item)) {
			si_err_set(err, SI_ERR_INVALID, "%s: expected %s, got '%.64s'",
			           label, s->expect, item);
			free(item);
			return -1;
		}
		for (size_t i = 0; i < *n; i++) {
			if (strcmp((*items)[i], item) == 0) {
				si_err_set(err, SI_ERR_INVALID,
				           "%s: '%.64s' listed twice", label, item);
				free(item);
				return -1;
			}
		}
		grown = realloc(*items, (*n + 1) * sizeof(*grown));
		if (grown == NULL) {
			free(item);
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		}
		*items = grown;
		(*items)[(*n)++] = item;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
	return si_err_set(err, SI_ERR_LIMIT, "%s: more than %d items", label,
	                  S_MAX_LIST);
}

/* Set one setting of base (a struct si_config or si_account) from text.
 * append: a continuation line adding items to a list. */
static int s_apply(const struct s_setting *s, void *base, const char *value,
                   bool append, const char *label, struct si_err *err)
{
	char *field = (char *)base + s->off;
	bool secret = (s->flags & S_SECRET) != 0;
	long v;

	if (strlen(value) > S_MAX_VALUE)
		return si_err_set(err, SI_ERR_LIMIT, "%s: value longer than %d",
		                  label, S_MAX_VALUE);
	switch (s->type) {
	case S_INT_AUTO:
		if (strcasecmp(value, "auto") == 0) {
			*(int *)(void *)field = 0;
			return 0;
		}
		if (si_parse_long(value, s->min, s->max, &v) != 0)
			return si_err_set(err, SI_ERR_INVALID,
			                  "%s: expected auto or an integer from %ld to %ld, "
			                  "got '%.32s'", label, s->min, s->max, value);
		*(int *)(void *)field = (int)v;
		return 0;
	case S_INT:
		if (s_parse_integer(s, value, &v, label, err) != 0)
			return -1;
		*(int *)(void *)field = (int)v;
		return 0;
	case S_SIZE:
		if (s_parse_integer(s, value, &v, label, err) != 0)
			return -1;
		*(size_t *)(void *)field = (size_t)v;
		return 0;
	case S_BOOL:
		if (strcasecmp(value, "on") == 0 || strcasecmp(value, "true") == 0 ||
		    strcasecmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(int *)(void *)field = 1;
		else if (strcasecmp(value, "off") == 0 || strcasecmp(value, "false") == 0 ||
			 strcasecmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(int *)(void *)field = 0;
		else
			return si_err_set(err, SI_ERR_INVALID,
			                  "%s: expected on or off, got '%.32s'", label, value);
		return 0;
	case S_RESPONSE:
		if (strcmp(value, "in_channel") == 0)
			*(enum si_response_type *)(void *)field = SI_RESPONSE_IN_CHANNEL;
		else if (strcmp(value, "ephemeral") == 0)
			*(enum si_response_type *)(void *)field = SI_RESPONSE_EPHEMERAL;
		else
			return si_err_set(err, SI_ERR_INVALID,
			                  "%s: expected %s, got '%.32s'", label,
			                  s->expect, value);
		return 0;
	case S_STR: {
		char **slot = (char **)(void *)field;
		char *copy = NULL;

		if (*value != '\0' && !s->check(value)) {
			if (secret)  /* never echo a secret, not even a bad one */
				return si_err_set(err, SI_ERR_INVALID, "%s: expected %s",
				                  label, s->expect);
			return si_err_set(err, SI_ERR_INVALID,
			                  "%s: expected %s, got '%.64s'", label,
			                  s->expect, value);
		}
		if (*value != '\0' && (copy = strdup(value)) == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		s_free_str(slot, secret);
		*slot = copy;  /* empty value: unset */
		return 0;
	}
	case S_LIST: {
		char ***items = (char ***)(void *)field;
		size_t *n = (size_t *)(void *)((char *)base + s->n_off);
		char **fresh = NULL;
		size_t n_fresh = 0;

		if (append)
			return s_list_append(s, value, items, n, label, err);
		if (s_list_append(s, value, &fresh, &n_fresh, label, err) != 0) {
			s_free_list(&fresh, &n_fresh);
			return -1;
		}
		s_free_list(items, n);
		*items = fresh;
		*n = n_fresh;
		return 0;
	}
	}
	return si_err_set(err, SI_ERR_INTERNAL, "%s: unknown setting type", label);
}

/* ---- accounts -------------------------------------------------------------- */

static struct si_account *s_find_account(struct s_load *ld, const char *alias,
                                         size_t *idx)
{
	for (size_t i = 0; i < ld->cfg->n_accounts; i++) {
		if (strcmp(ld->cfg->accounts[i].alias, alias) == 0) {
			if (idx != NULL)
				*idx = i;
			return &ld->cfg->accounts[i];
		}
	}
	return NULL;
}

/* Append an account named alias (ownership of alias passes in). */
static struct si_account *s_add_account(struct s_load *ld, char *alias,
                                        struct si_err *err)
{
	struct si_config *cfg = ld->cfg;
	struct si_account *acc;
	struct s_acct_meta *meta;

	if (cfg->n_accounts >= S_MAX_ACCOUNTS) {
		free(alias);
		si_err_set(err, SI_ERR_LIMIT, "more than %d accounts",
		           S_MAX_ACCOUNTS);
		return NULL;
	}
	acc = realloc(cfg->accounts, (cfg->n_accounts + 1) * sizeof(*acc));
	if (acc != NULL)
		cfg->accounts = acc;
	meta = realloc(ld->meta, (cfg->n_accounts + 1) * sizeof(*meta));
	if (meta != NULL)
		ld->meta = meta;
	if (acc == NULL || meta == NULL) {
		free(alias);
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	acc = &cfg->accounts[cfg->n_accounts];
	memset(acc, 0, sizeof(*acc));
	memset(&ld->meta[cfg->n_accounts], 0, sizeof(*ld->meta));
	acc->alias = alias;
	cfg->n_accounts++;
	return acc;
}

static void s_account_clear(struct si_account *a)
{
	free(a->alias);
	free(a->role_arn);
	s_free_str(&a->external_id, true);
	s_free_list(&a->regions, &a->n_regions);
	s_free_list(&a->allowed_channels, &a->n_allowed_channels);
}

static int s_default_list(char ***items, size_t *n, const char *value,
                          struct si_err *err)
{
	if (*n > 0)
		return 0;
	*items = calloc(1, sizeof(**items));
	if (*items == NULL || ((*items)[0] = strdup(value)) == NULL) {
		free(*items);
		*items = NULL;
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	*n = 1;
	return 0;
}

/* ---- the ini file ---------------------------------------------------------- */

static void s_fail_line(struct s_load *ld, int line)
{
	ld->failed = true;
	ld->err_line = line;
}

/* fgets-style reader for inih that counts lines, refuses NUL bytes and
 * over-long lines, and notes section headers and indentation. Why our own:
 * inih's fgets reader hands the rest of a line longer than its buffer back
 * as a new line, so a long allowed_channels list would be cut and its tail
 * read as a separate (and wrong) entry; failing with the line number is
 * the only safe answer. */
static char *s_read_line(char *str, int num, void *stream)
{
	struct s_load *ld = stream;
	size_t cap, n = 0;
	const char *p;
	int c = EOF;

	if (ld->failed || num < 2)
		return NULL;
	cap = (size_t)num - 1;
	while (n < cap && (c = getc(ld->f)) != EOF) {
		if (c == '\0' || ++ld->bytes > S_MAX_FILE_BYTES) {
			si_err_set(ld->err, c == '\0' ? SI_ERR_INVALID : SI_ERR_LIMIT,
			           "%s:%d: %s", ld->path, ld->lineno + 1,
			           c == '\0' ? "NUL byte in config file"
			                     : "config file too large");
			s_fail_line(ld, ld->lineno + 1);
			return NULL;
		}
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0) {
		if (ferror(ld->f)) {
			si_err_set(ld->err, SI_ERR_IO, "%s: read error", ld->path);
			s_fail_line(ld, ld->lineno + 1);
		}
		return NULL;
	}
	str[n] = '\0';
	ld->lineno++;
	if (str[n - 1] != '\n' && n == cap && (c = getc(ld->f)) != EOF &&
	    c != '\n') {
		si_err_set(ld->err, SI_ERR_LIMIT,
		           "%s:%d: line longer than %zu characters (split long "
		           "lists over indented continuation lines)",
		           ld->path, ld->lineno, cap - 1);
		s_fail_line(ld, ld->lineno);
		return NULL;
	}
	ld->indented = str[0] == ' ' || str[0] == '\t';
	for (p = str; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[') {
		ld->section_seq++;
		ld->section_line = ld->lineno;
	}
	return str;
}

/* Copy section name s trimmed of blanks into buf; false if too long. */
static bool s_trim_copy(const char *s, char *buf, size_t size)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* Apply an ini entry, handling duplicates and continuation lines.
 * seen: the slot recording the line the key was first set on. */
static int s_ini_set(struct s_load *ld, const struct s_setting *s, void *base,
                     int *seen, const char *section, const char *value)
{
	char label[S_LABEL_MAX];
	bool cont = ld->indented && ld->last_set == s && ld->last_base == base;

	(void)snprintf(label, sizeof(label), "%s:%d: [%s] %s", ld->path,
	               ld->lineno, section, s->key);
	if (cont && s->type != S_LIST)
		return si_err_set(ld->err, SI_ERR_INVALID,
		                  "%s: continuation lines are only allowed for lists",
		                  label);
	if (!cont && *seen != 0)
		return si_err_set(ld->err, SI_ERR_INVALID,
		                  "%s: set twice (first on line %d)", label, *seen);
	if ((s->flags & S_SECRET) && (ld->mode & (S_IRGRP | S_IROTH)))
		return si_err_set(ld->err, SI_ERR_INVALID,
		                  "%s: file holds a secret but has mode %04o "
		                  "(readable by group/others); run chmod 600 on it",
		                  label, (unsigned)(ld->mode & 07777));
	if (s_apply(s, base, value, cont, label, ld->err) != 0)
		return -1;
	if (*seen == 0)
		*seen = ld->lineno;
	ld->last_set = s;
	ld->last_base = base;
	return 0;
}

/* One key of an [account NAME] section. Aliases are normalised to lower
 * case before lookup, so [account Prod] and [account prod] are the same
 * account, and an alias seen in an earlier, separate section is an error
 * (a copy-paste duplicate) rather than a silent merge. */
static int s_ini_account(struct s_load *ld, const char *alias_text,
                         const char *section, const char *name,
                         const char *value)
{
	struct si_account *acc;
	size_t idx = 0;
	char *alias;

	alias = strdup(alias_text);
	if (alias == NULL)
		return si_err_set(ld->err, SI_ERR_NOMEM, "out of memory");
	if (!s_alias_normalise(alias)) {
		free(alias);
		return si_err_set(ld->err, SI_ERR_INVALID,
		                  "%s:%d: [%s]: alias must be 1-%d of [a-z0-9_-]",
		                  ld->path, ld->lineno, section, S_MAX_ALIAS);
	}
	acc = s_find_account(ld, alias, &idx);
	if (acc != NULL) {
		free(alias);
		if (ld->meta[idx].seq != ld->section_seq)
			return si_err_set(ld->err, SI_ERR_INVALID,
			                  "%s:%d: duplicate alias '%s' (first "
			                  "[account] on line %d)", ld->path,
			                  ld->lineno, acc->alias, ld->meta[idx].line);
	} else {
		acc = s_add_account(ld, alias, ld->err);
		if (acc == NULL)
			return -1;
		idx = ld->cfg->n_accounts - 1;
		ld->meta[idx].seq = ld->section_seq;
		ld->meta[idx].line = ld->section_line;
	}
	for (size_t i = 0; i < S_ARRAY_LEN(s_account_settings); i++)
		if (strcmp(s_account_settings[i].key, name) == 0)
			return s_ini_set(ld, &s_account_settings[i], acc,
			                 &ld->meta[idx].seen[i], section, value);
	return si_err_set(ld->err, SI_ERR_INVALID,
	                  "%s:%d: unknown key '%.64s' in [%s] (expected role_arn, "
	                  "regions, external_id or allowed_channels)",
	                  ld->path, ld->lineno, name, section);
}

/* inih handler: returns 1 to go on, 0 after recording an error. */
static int s_on_entry(void *user, const char *section, const char *name,
                      const char *value)
{
	struct s_load *ld = user;
	char sec[128];
	bool known_section = false;
	int rc;

	if (ld->failed)
		return 0;
	if (value == NULL || !s_trim_copy(section, sec, sizeof(sec))) {
		rc = si_err_set(ld->err, SI_ERR_INVALID, "%s:%d: malformed entry",
		                ld->path, ld->lineno);
		goto out;
	}
	if (SI_HAS_PREFIX(sec, "account") &&
	    (sec[7] == ' ' || sec[7] == '\t')) {
		rc = s_ini_account(ld, sec + 8 + strspn(sec + 8, " \t"), sec, name,
		                   value);
		goto out;
	}
	for (size_t i = 0; i < S_ARRAY_LEN(s_settings); i++) {
		if (strcmp(s_settings[i].section, sec) != 0)
			continue;
		known_section = true;
		if (strcmp(s_settings[i].key, name) == 0) {
			rc = s_ini_set(ld, &s_settings[i], ld->cfg, &ld->seen[i], sec,
			               value);
			goto out;
		}
	}
	if (known_section)
		rc = si_err_set(ld->err, SI_ERR_INVALID,
		                "%s:%d: unknown key '%.64s' in [%s]", ld->path,
		                ld->lineno, name, sec);
	else
		rc = si_err_set(ld->err, SI_ERR_INVALID,
		                "%s:%d: unknown section [%.64s] (key '%.64s')",
		                ld->path, ld->lineno, sec, name);
out:
	if (rc != 0) {
		s_fail_line(ld, ld->lineno);
		return 0;
	}
	return 1;
}

static int s_check_ini_accounts(struct s_load *ld)
{
	for (size_t i = 0; i < ld->cfg->n_accounts; i++) {
		if (ld->cfg->accounts[i].role_arn == NULL)
			return si_err_set(ld->err, SI_ERR_INVALID,
			                  "%s:%d: [account %s]: role_arn is missing",
			                  ld->path, ld->meta[i].line,
			                  ld->cfg->accounts[i].alias);
	}
	return 0;
}

/* Read the INI file at path into ld->cfg. Why the ceremony: the file can
 * hold the Slack signing secret, so it is opened O_CLOEXEC|O_NOCTTY,
 * checked on the descriptor actually read (no TOCTOU), must be a regular file,
 * refused when others can write it, and read through our own stdio buffer
 * that is wiped afterwards. Assumes ld->err is set; errors carry path:line. */
static int s_load_file(struct s_load *ld, const char *path)
{
	/* our own stdio buffer, so the file's bytes (the secret among them)
	 * can be wiped after reading instead of lingering in freed memory */
	char iobuf[4096];
	char ebuf[SI_STRERROR_MAX];
	struct stat st;
	int fd, rc = -1, prc;

	ld->path = path;
	/* A FIFO or device must be refused, not waited on: si_open_regular
	 * never blocks on the file's kind and checks the descriptor read. */
	fd = si_open_regular(path, &st);
	if (fd == SI_OPEN_NOT_REGULAR)
		return si_err_set(ld->err, SI_ERR_INVALID, "%s: not a regular file", path);
	if (fd < 0)
		return si_err_set(ld->err, SI_ERR_IO, "cannot open config file %s: %s",
		                  path, si_strerror(errno, ebuf, sizeof(ebuf)));
	/* anyone who can write the file can point us at their own accounts */
	if (st.st_mode & S_IWOTH) {
		si_err_set(ld->err, SI_ERR_INVALID, "%s: mode %04o is writable by "
		           "others; run chmod 600 on it", path,
		           (unsigned)(st.st_mode & 07777));
		goto out;
	}
	ld->mode = st.st_mode;
	ld->f = fdopen(fd, "r");
	if (ld->f == NULL) {
		si_err_set(ld->err, SI_ERR_IO, "%s: fdopen: %s", path,
		           si_strerror(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	fd = -1;
	if (setvbuf(ld->f, iobuf, _IOFBF, sizeof(iobuf)) != 0) {
		si_err_set(ld->err, SI_ERR_INTERNAL, "%s: setvbuf failed", path);
		goto out;
	}
	prc = ini_parse_stream(s_read_line, ld, s_on_entry, ld);
	if (prc > 0 && (!ld->failed || prc < ld->err_line)) {
		si_err_set(ld->err, SI_ERR_INVALID, "%s:%d: syntax error (expected "
		           "[section] or key = value)", path, prc);
		goto out;
	}
	if (ld->failed)
		goto out;
	if (prc != 0) {
		si_err_set(ld->err, prc == -2 ? SI_ERR_NOMEM : SI_ERR_IO,
		           "%s: cannot parse (inih error %d)", path, prc);
		goto out;
	}
	rc = s_check_ini_accounts(ld);
out:
	if (ld->f != NULL)
		fclose(ld->f);
	ld->f = NULL;
	OPENSSL_cleanse(iobuf, sizeof(iobuf));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the environment ------------------------------------------------------- */

static bool s_is_sdk_var(const char *name, size_t len)
{
	for (size_t i = 0; i < S_ARRAY_LEN(s_aws_sdk_vars); i++)
		if (strlen(s_aws_sdk_vars[i].name) == len &&
		    strncmp(s_aws_sdk_vars[i].name, name, len) == 0)
			return true;
	return false;
}

static bool s_env_name(const struct s_setting *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s_%s", s_env_prefix, s->section, s->key);

	if (n < 0 || (size_t)n >= size)
		return false;
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return true;
}

static int s_load_env_settings(struct s_load *ld, char *const *envp)
{
	char name[S_ENV_NAME_MAX];

	for (size_t i = 0; i < S_ARRAY_LEN(s_settings); i++) {
		const struct s_setting *s = &s_settings[i];
		const char *v;

		if (s->legacy_env != NULL &&
		    (v = si_env_get(envp, s->legacy_env)) != NULL &&
		    s_apply(s, ld->cfg, v, false, s->legacy_env, ld->err) != 0)
			return -1;
		if (!s_env_name(s, name, sizeof(name)))
			return si_err_set(ld->err, SI_ERR_INTERNAL, "env name too long");
		v = si_env_get(envp, name);
		if (v != NULL && s_apply(s, ld->cfg, v, false, name, ld->err) != 0)
			return -1;
	}
	return 0;
}

/* SLASH_INFRA_<SECTION>_<KEY> with a known section but unknown key is a
 * typo; refuse it like an unknown ini key. Other SLASH_INFRA_* names
 * (SLASH_INFRA_CONFIG, other modules' knobs) are left alone. */
static int s_check_env_typos(struct s_load *ld, char *const *envp)
{
	char name[S_ENV_NAME_MAX], sec[S_ENV_NAME_MAX];

	for (size_t i = 0; envp != NULL && envp[i] != NULL && i < S_MAX_ENV; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		bool section_known = false, key_known = false;
		size_t len;

		if (!si_str_has_prefix(e, s_env_prefix) || eq == NULL)
			continue;
		len = (size_t)(eq - e);
		for (size_t j = 0; j < S_ARRAY_LEN(s_settings) && !key_known; j++) {
			int n = snprintf(sec, sizeof(sec), "%s%s_", s_env_prefix,
			                 s_settings[j].section);

			for (char *p = sec; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
			if (n > 0 && strncmp(e, sec, (size_t)n) == 0)
				section_known = true;
			if (s_env_name(&s_settings[j], name, sizeof(name)) &&
			    strlen(name) == len && strncmp(e, name, len) == 0)
				key_known = true;
		}
		if (section_known && !key_known)
			return si_err_set(ld->err, SI_ERR_INVALID,
			                  "%.*s: unknown setting (see "
			                  "slash-infra.ini.example)",
			                  (int)(len > 80 ? 80 : len), e);
	}
	return 0;
}

/* alias from the variable's tail; returns a new string or NULL (err set). */
static char *s_env_alias(struct s_load *ld, const char *e, size_t plen,
                         size_t len)
{
	char *alias = strndup(e + plen, len - plen);

	if (alias == NULL) {
		si_err_set(ld->err, SI_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (!s_alias_normalise(alias)) {
		si_err_set(ld->err, SI_ERR_INVALID, "%.*s: alias after %s must be "
		           "1-%d of [A-Z0-9_-]", (int)(len > 80 ? 80 : len), e,
		           plen == strlen(s_role_prefix) ? s_role_prefix
		                                         : s_region_prefix,
		           S_MAX_ALIAS);
		free(alias);
		return NULL;
	}
	return alias;
}

static int s_env_role(struct s_load *ld, const char *e, size_t len)
{
	char label[S_LABEL_MAX];
	struct si_account *acc;
	size_t idx = 0;
	char *alias = s_env_alias(ld, e, strlen(s_role_prefix), len);

	if (alias == NULL)
		return -1;
	(void)snprintf(label, sizeof(label), "%.*s", (int)len, e);
	if (s_find_account(ld, alias, &idx) != NULL) {
		si_err_set(ld->err, SI_ERR_INVALID, "%s: duplicate alias '%s' "
		           "(also defined %s)", label, alias,
		           ld->meta[idx].from_env ? "in the environment"
		                                  : "in the config file");
		free(alias);
		return -1;
	}
	acc = s_add_account(ld, alias, ld->err);
	if (acc == NULL)
		return -1;
	ld->meta[ld->cfg->n_accounts - 1].from_env = true;
	if (e[len + 1] == '\0')
		return si_err_set(ld->err, SI_ERR_INVALID, "%s: empty; expected %s",
		                  label, S_EXP_ARN);
	return s_apply(&s_account_settings[0], acc, e + len + 1, false, label,
	               ld->err);
}

static int s_env_regions(struct s_load *ld, const char *e, size_t len)
{
	char label[S_LABEL_MAX];
	size_t idx = 0;
	int rc = -1;
	char *alias = s_env_alias(ld, e, strlen(s_region_prefix), len);

	if (alias == NULL)
		return -1;
	(void)snprintf(label, sizeof(label), "%.*s", (int)len, e);
	if (s_find_account(ld, alias, &idx) == NULL || !ld->meta[idx].from_env) {
		si_err_set(ld->err, SI_ERR_INVALID, "%s is set but %s%.*s is not",
		           label, s_role_prefix, (int)(len - strlen(s_region_prefix)),
		           e + strlen(s_region_prefix));
		goto out;
	}
	if (ld->meta[idx].env_regions) {
		si_err_set(ld->err, SI_ERR_INVALID, "%s: set twice", label);
		goto out;
	}
	ld->meta[idx].env_regions = true;
	rc = s_apply(&s_account_settings[1], &ld->cfg->accounts[idx],
	             e + len + 1, false, label, ld->err);
out:
	free(alias);
	return rc;
}

/* AWS_ROLE_<ALIAS> first (so every alias exists), then AWS_REGION_<ALIAS>. */
static int s_load_env_accounts(struct s_load *ld, char *const *envp)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *prefix = pass == 0 ? s_role_prefix : s_region_prefix;

		for (size_t i = 0; envp != NULL && envp[i] != NULL && i < S_MAX_ENV;
		     i++) {
			const char *e = envp[i], *eq = strchr(e, '=');
			size_t len;

			if (eq == NULL || !si_str_has_prefix(e, prefix))
				continue;
			len = (size_t)(eq - e);
			if (s_is_sdk_var(e, len))
				continue;
			if ((pass == 0 ? s_env_role(ld, e, len)
			               : s_env_regions(ld, e, len)) != 0)
				return -1;
		}
	}
	return 0;
}

/* ---- final checks ------------------------------------------------------------ */

static int s_account_cmp(const void *a, const void *b)
{
	return strcmp(((const struct si_account *)a)->alias,
	              ((const struct si_account *)b)->alias);
}

/* "https://host/start/" -> "https://host/start": the links append
 * "/#/console?...", and a portal URL pasted from the browser often ends
 * with '/'. The host stays (s_valid_link_url required one). */
static void s_trim_link_url(char *url)
{
	size_t n, min = SI_LITLEN("https://") + 1;

	if (url == NULL)
		return;
	n = strlen(url);
	while (n > min && url[n - 1] == '/')
		url[--n] = '\0';
}

/* Cross-field rules that no single setting can check, applied once every
 * source (defaults, file, environment) has been read, then the defaults that
 * depend on them (each account's region list, the response_url prefixes). */
static int s_finish(struct si_config *cfg, enum si_config_use use,
                    struct si_err *err)
{
	if (use == SI_CONFIG_SERVE && cfg->signing_secret == NULL)
		return si_err_set(err, SI_ERR_INVALID, "SLACK_SIGNING_SECRET is not "
		                  "set (nor [slack] signing_secret in the config "
		                  "file); it is required to verify Slack requests");
	if (cfg->inline_budget_ms > cfg->deadline_ms)
		return si_err_set(err, SI_ERR_INVALID, "[search] inline_budget_ms "
		                  "(%d) is larger than deadline_ms (%d)",
		                  cfg->inline_budget_ms, cfg->deadline_ms);
	if ((cfg->org_role_name == NULL) != (cfg->org_management_role_arn == NULL))
		return si_err_set(err, SI_ERR_INVALID, "[organization] needs both "
		                  "role_name and management_role_arn, or neither");
	if (cfg->state_path != NULL && cfg->state_url != NULL)
		return si_err_set(err, SI_ERR_INVALID, "[state] has both path and url: "
		                  "set one (url: PostgreSQL, path: SQLite)");
	if ((cfg->link_sso_start_url == NULL) != (cfg->link_role_name == NULL))
		return si_err_set(err, SI_ERR_INVALID, "[links] needs both sso_start_url "
		                  "and role_name, or neither (%s is not set)",
		                  cfg->link_role_name == NULL ? "role_name" : "sso_start_url");
	s_trim_link_url(cfg->link_sso_start_url);
	for (size_t i = 0; i < cfg->n_org_regions && cfg->n_org_regions > 1; i++)
		if (strcmp(cfg->org_regions[i], "all") == 0)
			return si_err_set(err, SI_ERR_INVALID, "[organization] regions: "
			                  "'all' must be the only value");
	for (size_t i = 0; i < cfg->n_accounts; i++)
		if (s_default_list(&cfg->accounts[i].regions,
		                   &cfg->accounts[i].n_regions, S_DEFAULT_REGION,
		                   err) != 0)
			return -1;
	if (s_default_list(&cfg->response_url_prefixes,
	                   &cfg->n_response_url_prefixes,
	                   S_DEFAULT_RESPONSE_URL_PREFIX, err) != 0 ||
	    s_default_list(&cfg->org_regions, &cfg->n_org_regions,
	                   S_DEFAULT_REGION, err) != 0)
		return -1;
	if (cfg->n_accounts > 1)
		qsort(cfg->accounts, cfg->n_accounts, sizeof(*cfg->accounts),
		      s_account_cmp);
	return 0;
}

/* ---- public ---------------------------------------------------------------- */

const char *si_config_path(const char *cli_path, char *const *envp)
{
	const char *v;

	if (cli_path != NULL)
		return cli_path;
	v = si_env_get(envp, "SLASH_INFRA_CONFIG");
	return v != NULL && *v != '\0' ? v : NULL;
}

static void s_defaults(struct si_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 8;
	cfg->max_body = 65536;
	cfg->inline_budget_ms = 1500;
	cfg->deadline_ms = 10000;
	cfg->max_inflight = 0;           /* auto: sized to the targets */
	cfg->resolve_dns = 1;
	cfg->response_type = SI_RESPONSE_IN_CHANNEL;
	/* Every search, inline or deferred, runs on a pool thread: 16 lets a
	 * few slow searches (an account that hangs until the deadline) leave
	 * room for the fast ones; the queue absorbs a burst before "busy". */
	cfg->queue_size = 256;
	cfg->search_workers = 16;
	cfg->aws_connect_timeout_ms = 2000;
	cfg->aws_timeout_ms = 5000;
	cfg->aws_max_attempts = 3;
	cfg->org_refresh_s = 900;
	cfg->inventory_enabled = 1;
	cfg->inventory_refresh_s = CRAWL_REFRESH_S_DEFAULT;
	cfg->inventory_rate_per_s = CRAWL_RATE_DEFAULT;
	cfg->inventory_history_days = INV_HISTORY_DAYS_DEFAULT;
}

int si_config_load(struct si_config *out, const char *ini_path,
                   char *const *envp, struct si_err *err)
{
	return si_config_load_for(out, ini_path, envp, SI_CONFIG_SERVE, err);
}

int si_config_load_for(struct si_config *out, const char *ini_path,
                       char *const *envp, enum si_config_use use,
                       struct si_err *err)
{
	struct si_config cfg;
	struct s_load ld;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	s_defaults(&cfg);
	memset(&ld, 0, sizeof(ld));
	ld.cfg = &cfg;
	ld.err = err;
	if (ini_path != NULL && s_load_file(&ld, ini_path) != 0)
		goto out;
	if (s_load_env_settings(&ld, envp) != 0 ||
	    s_check_env_typos(&ld, envp) != 0 ||
	    s_load_env_accounts(&ld, envp) != 0 || s_finish(&cfg, use, err) != 0)
		goto out;
	*out = cfg;
	memset(&cfg, 0, sizeof(cfg));
	rc = 0;
out:
	free(ld.meta);
	si_config_free(&cfg);
	return rc;
}

void si_config_free(struct si_config *cfg)
{
	if (cfg == NULL)
		return;
	s_free_str(&cfg->signing_secret, true);
	s_free_list(&cfg->response_url_prefixes, &cfg->n_response_url_prefixes);
	for (size_t i = 0; i < cfg->n_accounts; i++)
		s_account_clear(&cfg->accounts[i]);
	free(cfg->accounts);
	s_free_list(&cfg->allowed_teams, &cfg->n_allowed_teams);
	s_free_list(&cfg->allowed_channels, &cfg->n_allowed_channels);
	s_free_list(&cfg->allowed_users, &cfg->n_allowed_users);
	free(cfg->org_role_name);
	free(cfg->org_management_role_arn);
	s_free_list(&cfg->org_regions, &cfg->n_org_regions);
	free(cfg->state_path);
	s_free_str(&cfg->state_url, true);
	free(cfg->link_sso_start_url);
	free(cfg->link_role_name);
	memset(cfg, 0, sizeof(*cfg));
}

const char *si_response_type_name(enum si_response_type t)
{
	return t == SI_RESPONSE_EPHEMERAL ? "ephemeral" : "in_channel";
}

static void s_print_list(FILE *out, char *const *items, size_t n,
                         const char *none)
{
	if (n == 0)
		fputs(none, out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i > 0 ? ", " : "", items[i]);
}

/* Contract in config.h. Exists for --check-config, so an operator sees
 * what the service will do before deploying it. Assumes cfg went through
 * si_config_load (or is zeroed); secrets and external IDs are never printed,
 * only whether they are set. */
int si_config_describe(const struct si_config *cfg, FILE *out)
{
	char inflight[16] = "auto";     /* [search] max_inflight */

	fprintf(out, "slack: signing secret %s; response URL prefixes: ",
	        cfg->signing_secret != NULL ? "set" : "NOT set");
	s_print_list(out, cfg->response_url_prefixes,
	             cfg->n_response_url_prefixes, "(none)");
	fprintf(out, "\nserver: threads %d, max body %zu bytes\n", cfg->threads,
	        cfg->max_body);
	if (cfg->max_inflight > 0)
		snprintf(inflight, sizeof(inflight), "%d", cfg->max_inflight);
	fprintf(out, "search: inline budget %d ms, deadline %d ms, max in flight "
	        "%s, response type %s, queue %d, workers %d, resolve DNS %s\n",
	        cfg->inline_budget_ms, cfg->deadline_ms, inflight,
	        si_response_type_name(cfg->response_type), cfg->queue_size,
	        cfg->search_workers, cfg->resolve_dns ? "on" : "off");
	fprintf(out, "aws: connect timeout %d ms, timeout %d ms, max attempts "
	        "%d\n", cfg->aws_connect_timeout_ms, cfg->aws_timeout_ms,
	        cfg->aws_max_attempts);
	fputs("access: teams ", out);
	s_print_list(out, cfg->allowed_teams, cfg->n_allowed_teams, "(any)");
	fputs("; channels ", out);
	s_print_list(out, cfg->allowed_channels, cfg->n_allowed_channels,
	             "(any)");
	fputs("; users ", out);
	s_print_list(out, cfg->allowed_users, cfg->n_allowed_users, "(any)");
	if (cfg->org_role_name == NULL) {
		fputs("\norganization: discovery off\n", out);
	} else {
		fprintf(out, "\norganization: role %s via %s, refresh %d s, "
		        "regions ", cfg->org_role_name,
		        cfg->org_management_role_arn, cfg->org_refresh_s);
		s_print_list(out, cfg->org_regions, cfg->n_org_regions, "(none)");
		fputc('\n', out);
	}
	/* The URL is never printed: it may carry a password. */
	if (cfg->state_url != NULL)
		fputs("state: PostgreSQL ([state] url set)\n", out);
	else
		fprintf(out, "state: SQLite at %s\n",
		        cfg->state_path != NULL ? cfg->state_path : STORE_DEFAULT_PATH);
	fprintf(out, "inventory: crawler %s, refresh %d s, %d requests/s per account x "
	        "region x service, history %d days\n", cfg->inventory_enabled ? "on" : "off",
	        cfg->inventory_refresh_s, cfg->inventory_rate_per_s,
	        cfg->inventory_history_days);
	if (cfg->link_sso_start_url != NULL)
		fprintf(out, "links: console links through %s as role %s\n",
		        cfg->link_sso_start_url, cfg->link_role_name);
	else
		fputs("links: plain console links\n", out);
	fprintf(out, "accounts: %zu\n", cfg->n_accounts);
	for (size_t i = 0; i < cfg->n_accounts; i++) {
		const struct si_account *a = &cfg->accounts[i];

		fprintf(out, "  %s: %s; regions ", a->alias, a->role_arn);
		s_print_list(out, a->regions, a->n_regions, "(none)");
		if (a->external_id != NULL)
			fputs("; external id set", out);
		if (a->n_allowed_channels > 0) {
			fputs("; channels ", out);
			s_print_list(out, a->allowed_channels, a->n_allowed_channels,
			             "");
		}
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
