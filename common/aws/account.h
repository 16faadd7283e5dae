/*
 * account.h - one AWS account the service searches.
 *
 * The configuration (config.h, at the root) fills these from the ini file
 * and the environment; discovery (aws/org.h) builds them from AWS
 * Organizations. Both layers need the shape, so it lives in the lower one.
 */
#ifndef SI_AWS_ACCOUNT_H
#define SI_AWS_ACCOUNT_H

#include <stddef.h>

/* One AWS account to search: a role to assume and the regions to search.
 * Every string is owned by whoever built the struct (si_config_free or
 * org_accounts_free frees it). */
struct si_account {
	char *alias;               /* lower-case, [a-z0-9_-], e.g. "production" */
	char *role_arn;            /* arn:aws...:iam::<12 digits>:role/<name> */
	char *external_id;         /* sts:ExternalId, NULL when not configured */
	char **regions;            /* at least one; default {"us-east-1"} */
	size_t n_regions;
	char **allowed_channels;   /* Slack channel IDs allowed to search this
	                              account; empty = every allowed channel */
	size_t n_allowed_channels;
};

#endif
