/*
 * config.h - slash-infra configuration: environment plus an optional ini file.
 *
 * Sources, lowest precedence first:
 *   1. built-in defaults (listed in conf/slash-infra.ini.example);
 *   2. the ini file (path from --config FILE or SLASH_INFRA_CONFIG, see
 *      si_config_path());
 *   3. the environment: the Go original's SLACK_SIGNING_SECRET,
 *      AWS_ROLE_<ALIAS> / AWS_REGION_<ALIAS>, and SLASH_INFRA_<SECTION>_<KEY>
 *      for every ini setting (e.g. SLASH_INFRA_SERVER_THREADS). The
 *      SLASH_INFRA_* spelling beats SLACK_SIGNING_SECRET when both are set.
 *      An empty value unsets a text setting and empties a list. A
 *      SLASH_INFRA_<SECTION>_* name whose section is ours (SLACK, SERVER,
 *      SEARCH, AWS, ACCESS, ORGANIZATION, STATE, INVENTORY, LINKS) but
 *      whose key is unknown is a typo and refused; other SLASH_INFRA_*
 *      names are left alone.
 *
 * The environment is passed in (envp, NULL-terminated "NAME=value" strings);
 * the module never calls getenv(), so tests pin it.
 *
 * Accounts come from AWS_ROLE_<ALIAS> variables and from [account <alias>]
 * sections; they are merged, sorted by alias, and an alias defined twice is
 * an error. Aliases are lower-case.
 *
 * Every string in the structs below is owned by the struct and freed by
 * si_config_free(); callers only read them.
 */
#ifndef SI_CONFIG_H
#define SI_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "aws/account.h"
#include "util/err.h"

/* How a search answer is shown in Slack (the "response_type" field). */
enum si_response_type {
	SI_RESPONSE_IN_CHANNEL = 0,
	SI_RESPONSE_EPHEMERAL
};

struct si_config {
	/* [slack] */
	char *signing_secret;          /* secret: never log, wiped on free */
	char **response_url_prefixes;  /* response_url must start with one */
	size_t n_response_url_prefixes;

	/* [account <alias>] sections and AWS_ROLE_<ALIAS>, sorted by alias */
	struct si_account *accounts;
	size_t n_accounts;

	/* [server] */
	int threads;                   /* FastCGI request threads */
	size_t max_body;               /* largest request body accepted, bytes */

	/* [search] */
	int inline_budget_ms;          /* answer inline if done within this */
	int deadline_ms;               /* give up on a search after this */
	int max_inflight;              /* concurrent AWS requests per search;
	                                * 0: "auto", sized to the search's
	                                * targets (search_inflight_cap) */
	enum si_response_type response_type;
	int queue_size;                /* searches waiting for a worker */
	int search_workers;            /* threads running deferred searches */
	int resolve_dns;               /* resolve host names in no hosted zone */

	/* [aws] */
	int aws_connect_timeout_ms;
	int aws_timeout_ms;            /* whole-request timeout */
	int aws_max_attempts;          /* tries per request, including the first */

	/* [access]: empty list = no restriction on that dimension */
	char **allowed_teams;
	size_t n_allowed_teams;
	char **allowed_channels;
	size_t n_allowed_channels;
	char **allowed_users;
	size_t n_allowed_users;

	/* [organization]: account discovery through AWS Organizations;
	 * disabled when org_role_name is NULL. */
	char *org_role_name;           /* role assumed in each member account */
	char *org_management_role_arn; /* role in the management account */
	char **org_regions;            /* default {"us-east-1"} */
	size_t n_org_regions;
	int org_refresh_s;             /* how often the account list is reloaded */

	/* [state]: the durable state store (store/store.h). NULL path and url:
	 * SQLite at STORE_DEFAULT_PATH. Setting both is refused at load. */
	char *state_path;              /* SQLite file */
	char *state_url;               /* postgresql://...: may hold a password,
	                                * never logged, wiped on free */

	/* [inventory]: the crawler that keeps the state store's inventory
	 * (inventory.h). */
	int inventory_enabled;         /* run the background crawler */
	int inventory_refresh_s;       /* crawl each target this often */
	int inventory_rate_per_s;      /* requests a second per account x
	                                * region x service */
	int inventory_history_days;    /* keep history and gone resources */

	/* [links]: console links through IAM Identity Center's shortcut
	 * (render.h struct render_links). Both set or both NULL. */
	char *link_sso_start_url;      /* https://d-xxxx.awsapps.com/start, no
	                                * trailing '/', query or fragment */
	char *link_role_name;          /* the permission set's role, e.g. ReadOnly */
};

/* What the caller does with the configuration, for si_config_load_for(). */
enum si_config_use {
	SI_CONFIG_SERVE = 0,  /* answer Slack: the signing secret is required */
	SI_CONFIG_CLI         /* the command line (search, inventory): no Slack
	                       * request to verify, so the secret may be unset */
};

/* The ini path to use: cli_path (from --config) if not NULL, else the value
 * of SLASH_INFRA_CONFIG in envp if set and non-empty, else NULL (no file).
 * The result points into cli_path or envp; nothing to free. */
const char *si_config_path(const char *cli_path, char *const *envp);

/* Load the configuration from the ini file at ini_path (NULL: none) and the
 * environment envp (NULL: empty). On success fills *out, which the caller
 * frees with si_config_free(). On failure returns -1, err names the
 * variable, or the file and line, and *out is zeroed (freeing it is a no-op).
 * An ini file that holds a secret and is readable by group or others is
 * refused. */
int si_config_load(struct si_config *out, const char *ini_path,
                   char *const *envp, struct si_err *err);

/* si_config_load() for a use: SI_CONFIG_SERVE is si_config_load();
 * SI_CONFIG_CLI applies every rule but the one requiring the signing
 * secret. */
int si_config_load_for(struct si_config *out, const char *ini_path,
                       char *const *envp, enum si_config_use use,
                       struct si_err *err);

/* Free everything cfg owns, wiping secrets first, and zero *cfg.
 * Safe on NULL and on a zeroed struct. */
void si_config_free(struct si_config *cfg);

/* Print a human summary (accounts, regions, limits) for --check-config;
 * cfg must be a loaded (or zeroed) configuration.
 * Never prints the signing secret or external IDs. Returns 0, or -1 if
 * writing to out failed. */
int si_config_describe(const struct si_config *cfg, FILE *out);

/* A fixed name for a response type: "in_channel" or "ephemeral". */
const char *si_response_type_name(enum si_response_type t);

#endif
