/*
 * test_config.c - unit tests for common/config.c.
 *
 * Every test passes its own envp, so the test runner's environment never
 * leaks in. Ini files are written to mkstemp() files (0600 unless a test
 * sets another mode) and removed afterwards. Files under tests/data/config
 * and conf/ are found through SI_SRCDIR (set by `make check`); tests that
 * need them are skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util/strutil.h"

#define SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define ARN_A "arn:aws:iam::123456789012:role/SlashInfraInspection"
#define ARN_B "arn:aws:iam::210987654321:role/SlashInfraInspection"

/* ---- helpers ---------------------------------------------------------------- */

/* Write content to a fresh temp file with the given mode; path receives
 * its name (PATH_MAX-free: the template is fixed). */
static void s_tmp_file(char path[64], const char *content, mode_t mode)
{
	int fd;
	size_t len = strlen(content);

	(void)snprintf(path, 64, "/tmp/si_test_config_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void s_assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL) {
		print_error("expected \"%s\" in \"%s\"\n", needle,
		            hay != NULL ? hay : "(null)");
		fail();
	}
}

static void s_assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL) {
		print_error("did not expect \"%s\" in \"%s\"\n", needle, hay);
		fail();
	}
}

/* Load ini text (written 0600; NULL = no file) with envp; expect success. */
static void s_load_ok(struct si_config *cfg, const char *ini,
                      char *const *envp)
{
	char path[64];
	struct si_err err;
	int rc;

	si_err_clear(&err);
	if (ini != NULL)
		s_tmp_file(path, ini, 0600);
	rc = si_config_load(cfg, ini != NULL ? path : NULL, envp, &err);
	if (ini != NULL)
		unlink(path);
	if (rc != 0) {
		print_error("load failed: %s\n", err.msg);
		fail();
	}
}

/* Expect failure whose message contains each non-NULL needle; also checks
 * that the output struct is left empty. */
static void s_load_fails(const char *ini, mode_t mode, char *const *envp,
                         const char *needle1, const char *needle2)
{
	char path[64];
	struct si_config cfg, zero;
	struct si_err err;
	int rc;

	si_err_clear(&err);
	memset(&zero, 0, sizeof(zero));
	memset(&cfg, 0xa5, sizeof(cfg));
	if (ini != NULL)
		s_tmp_file(path, ini, mode);
	rc = si_config_load(&cfg, ini != NULL ? path : NULL, envp, &err);
	if (ini != NULL)
		unlink(path);
	if (rc == 0) {
		print_error("load unexpectedly succeeded\n");
		si_config_free(&cfg);
		fail();
	}
	assert_int_equal(rc, -1);
	assert_int_not_equal(err.code, SI_OK);
	assert_memory_equal(&cfg, &zero, sizeof(cfg));
	si_config_free(&cfg);
	if (needle1 != NULL)
		s_assert_contains(err.msg, needle1);
	if (needle2 != NULL)
		s_assert_contains(err.msg, needle2);
}

/* ---- environment only ----------------------------------------------------- */

static void test_env_only_defaults(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, "PATH=/bin", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_string_equal(cfg.signing_secret, SECRET);
	assert_int_equal(cfg.n_accounts, 0);
	assert_int_equal(cfg.n_response_url_prefixes, 1);
	assert_string_equal(cfg.response_url_prefixes[0],
	                    "https://hooks.slack.com/");
	assert_int_equal(cfg.threads, 8);
	assert_int_equal(cfg.max_body, 65536);
	assert_int_equal(cfg.inline_budget_ms, 1500);
	assert_int_equal(cfg.deadline_ms, 10000);
	assert_int_equal(cfg.max_inflight, 0);          /* auto */
	assert_int_equal(cfg.response_type, SI_RESPONSE_IN_CHANNEL);
	assert_int_equal(cfg.queue_size, 256);
	assert_int_equal(cfg.search_workers, 16);
	assert_int_equal(cfg.aws_connect_timeout_ms, 2000);
	assert_int_equal(cfg.aws_timeout_ms, 5000);
	assert_int_equal(cfg.aws_max_attempts, 3);
	assert_int_equal(cfg.n_allowed_teams, 0);
	assert_int_equal(cfg.n_allowed_channels, 0);
	assert_int_equal(cfg.n_allowed_users, 0);
	assert_null(cfg.org_role_name);
	assert_int_equal(cfg.org_refresh_s, 900);
	si_config_free(&cfg);
}

static void test_org_regions_all(void **state)
{
	char *ok[] = { "SLACK_SIGNING_SECRET=" SECRET,
		"SLASH_INFRA_ORGANIZATION_ROLE_NAME=SlashInfraInspection",
		"SLASH_INFRA_ORGANIZATION_MANAGEMENT_ROLE_ARN="
		"arn:aws:iam::123456789012:role/OrgReader",
		"SLASH_INFRA_ORGANIZATION_REGIONS=all", NULL };
	char *mixed[] = { "SLACK_SIGNING_SECRET=" SECRET,
		"SLASH_INFRA_ORGANIZATION_ROLE_NAME=SlashInfraInspection",
		"SLASH_INFRA_ORGANIZATION_MANAGEMENT_ROLE_ARN="
		"arn:aws:iam::123456789012:role/OrgReader",
		"SLASH_INFRA_ORGANIZATION_REGIONS=all,eu-west-2", NULL };
	struct si_config cfg;
	struct si_err err;

	(void)state;
	s_load_ok(&cfg, NULL, ok);
	assert_int_equal(cfg.n_org_regions, 1);
	assert_string_equal(cfg.org_regions[0], "all");
	si_config_free(&cfg);
	assert_int_equal(si_config_load(&cfg, NULL, mixed, &err), -1);
	assert_non_null(strstr(err.msg, "'all' must be the only value"));
}

static void test_missing_secret(void **state)
{
	char *envp[] = { "AWS_ROLE_PRODUCTION=" ARN_A, NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "SLACK_SIGNING_SECRET", "signing_secret");
	s_load_fails(NULL, 0, NULL, "SLACK_SIGNING_SECRET", NULL);
	/* a file without the secret does not help */
	s_load_fails("[server]\nthreads = 2\n", 0600, envp,
	             "SLACK_SIGNING_SECRET", NULL);
}

/* ---- the Go original's contract ------------------------------------------- */

static void test_go_role_and_region(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_PRODUCTION=" ARN_A,
	                 "AWS_REGION_PRODUCTION=eu-west-2", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_int_equal(cfg.n_accounts, 1);
	assert_string_equal(cfg.accounts[0].alias, "production");
	assert_string_equal(cfg.accounts[0].role_arn, ARN_A);
	assert_int_equal(cfg.accounts[0].n_regions, 1);
	assert_string_equal(cfg.accounts[0].regions[0], "eu-west-2");
	assert_null(cfg.accounts[0].external_id);
	si_config_free(&cfg);
}

static void test_go_default_region(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_STAGING=" ARN_B, NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_int_equal(cfg.n_accounts, 1);
	assert_string_equal(cfg.accounts[0].alias, "staging");
	assert_int_equal(cfg.accounts[0].n_regions, 1);
	assert_string_equal(cfg.accounts[0].regions[0], "us-east-1");
	si_config_free(&cfg);
}

static void test_go_region_list(void **state)
{
	char *envp[] = { "AWS_REGION_PROD_EU=eu-west-2, us-east-1,ap-southeast-3",
	                 "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_PROD_EU=" ARN_A, NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_int_equal(cfg.n_accounts, 1);
	assert_string_equal(cfg.accounts[0].alias, "prod_eu");
	assert_int_equal(cfg.accounts[0].n_regions, 3);
	assert_string_equal(cfg.accounts[0].regions[0], "eu-west-2");
	assert_string_equal(cfg.accounts[0].regions[1], "us-east-1");
	assert_string_equal(cfg.accounts[0].regions[2], "ap-southeast-3");
	si_config_free(&cfg);
}

static void test_go_alias_lower_case_and_sorted(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_ZULU=" ARN_A, "AWS_ROLE_Alpha=" ARN_B,
	                 "AWS_ROLE_MIKE=" ARN_A, NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_int_equal(cfg.n_accounts, 3);
	assert_string_equal(cfg.accounts[0].alias, "alpha");
	assert_string_equal(cfg.accounts[0].role_arn, ARN_B);
	assert_string_equal(cfg.accounts[1].alias, "mike");
	assert_string_equal(cfg.accounts[2].alias, "zulu");
	si_config_free(&cfg);
}

static void test_go_sdk_vars_are_not_aliases(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/WebIdentity",
	                 "AWS_ROLE_SESSION_NAME=pod-session",
	                 "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1",
	                 "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_int_equal(cfg.n_accounts, 0);
	si_config_free(&cfg);
}

static void test_go_region_without_role(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_PRODUCTION=" ARN_A,
	                 "AWS_REGION_PRODUCTON=eu-west-2", NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "AWS_REGION_PRODUCTON", "AWS_ROLE_PRODUCTON");
}

static void test_env_bad_arn(void **state)
{
	static const char *const bad[] = {
		"AWS_ROLE_X=arn:aws:iam::12345678901:role/Short",
		"AWS_ROLE_X=arn:aws:iam::1234567890123:role/Long",
		"AWS_ROLE_X=arn:aws:iam::123456789012:user/NotARole",
		"AWS_ROLE_X=arn:aws:s3:::bucket",
		"AWS_ROLE_X=arn:aws:iam::123456789012:role/",
		"AWS_ROLE_X=arn:aws:iam::123456789012:role/a//b",
		"AWS_ROLE_X=arn:aws:iam::123456789012:role/has space",
		"AWS_ROLE_X=arn:AWS:iam::123456789012:role/Upper",
		"AWS_ROLE_X=SlashInfraInspection",
		"AWS_ROLE_X=",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, (char *)bad[i],
		                 NULL };

		s_load_fails(NULL, 0, envp, "AWS_ROLE_X", "role ARN");
	}
}

static void test_env_good_arns(void **state)
{
	static const char *const good[] = {
		"AWS_ROLE_X=arn:aws:iam::123456789012:role/SlashInfraInspection",
		"AWS_ROLE_X=arn:aws-us-gov:iam::123456789012:role/ops/team/R-1",
		"AWS_ROLE_X=arn:aws-cn:iam::123456789012:role/a+b=c,d.e@f_g",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, (char *)good[i],
		                 NULL };
		struct si_config cfg;

		s_load_ok(&cfg, NULL, envp);
		assert_int_equal(cfg.n_accounts, 1);
		assert_string_equal(cfg.accounts[0].role_arn,
		                    strchr(good[i], '=') + 1);
		si_config_free(&cfg);
	}
}

static void test_env_regions(void **state)
{
	static const struct {
		const char *value;
		int ok;
	} cases[] = {
		{ "eu-west-2", 1 }, { "us-gov-west-1", 1 },
		{ "ap-southeast-3", 1 }, { "us-isob-east-1", 1 },
		{ "cn-north-1", 1 }, { "eu-central-12", 1 },
		{ "eu-west", 0 }, { "EU-WEST-2", 0 }, { "eu-west-2a", 0 },
		{ "euwest2", 0 }, { "e-west-2", 0 }, { "eu--west-2", 0 },
		{ "eu-west-123", 0 }, { "eu-west-2,", 0 }, { "eu-west-2,eu-west-2", 0 },
		{ " , eu-west-2", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char region[128];
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
		                 "AWS_ROLE_X=" ARN_A, region, NULL };
		struct si_config cfg;

		(void)snprintf(region, sizeof(region), "AWS_REGION_X=%s",
		               cases[i].value);
		if (!cases[i].ok) {
			s_load_fails(NULL, 0, envp, "AWS_REGION_X", NULL);
			continue;
		}
		s_load_ok(&cfg, NULL, envp);
		assert_string_equal(cfg.accounts[0].regions[0], cases[i].value);
		si_config_free(&cfg);
	}
}

static void test_env_bad_region_message(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, "AWS_ROLE_X=" ARN_A,
	                 "AWS_REGION_X=eu-wst", NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "AWS_REGION_X", "eu-wst");
}

/* ---- ini only ---------------------------------------------------------------- */

static char *s_read_data(const char *rel)
{
	const char *src = getenv("SI_SRCDIR");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	if (src == NULL)
		return NULL;
	(void)snprintf(path, sizeof(path), "%s/%s", src, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0 && n < 1000000);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void test_ini_only_full(void **state)
{
	char *envp[] = { "PATH=/bin", NULL };
	char *ini = s_read_data("tests/data/config/full.ini");
	struct si_config cfg;
	const struct si_account *a;

	(void)state;
	if (ini == NULL)
		skip();
	s_load_ok(&cfg, ini, envp);
	free(ini);
	assert_string_equal(cfg.signing_secret, SECRET);
	assert_int_equal(cfg.n_response_url_prefixes, 2);
	assert_string_equal(cfg.response_url_prefixes[1], "http://127.0.0.1:8080/");
	assert_int_equal(cfg.threads, 16);
	assert_int_equal(cfg.max_body, 32768);
	assert_int_equal(cfg.inline_budget_ms, 1000);
	assert_int_equal(cfg.deadline_ms, 20000);
	assert_int_equal(cfg.max_inflight, 8);
	assert_int_equal(cfg.response_type, SI_RESPONSE_EPHEMERAL);
	assert_int_equal(cfg.queue_size, 128);
	assert_int_equal(cfg.search_workers, 2);
	assert_int_equal(cfg.aws_connect_timeout_ms, 1500);
	assert_int_equal(cfg.aws_timeout_ms, 7000);
	assert_int_equal(cfg.aws_max_attempts, 5);
	assert_int_equal(cfg.n_allowed_teams, 1);
	assert_string_equal(cfg.allowed_teams[0], "T0001");
	assert_int_equal(cfg.n_allowed_channels, 2);
	assert_string_equal(cfg.allowed_channels[1], "C2");
	assert_int_equal(cfg.n_allowed_users, 3);
	assert_string_equal(cfg.allowed_users[2], "W3");
	assert_string_equal(cfg.org_role_name, "SlashInfraInspection");
	assert_string_equal(cfg.org_management_role_arn,
	                    "arn:aws:iam::111111111111:role/OrgReader");
	assert_int_equal(cfg.n_org_regions, 1);
	assert_string_equal(cfg.org_regions[0], "eu-west-1");
	assert_int_equal(cfg.org_refresh_s, 600);
	assert_int_equal(cfg.n_accounts, 2);
	a = &cfg.accounts[0];
	assert_string_equal(a->alias, "production");
	assert_string_equal(a->role_arn,
	                    "arn:aws:iam::222222222222:role/SlashInfraInspection");
	assert_int_equal(a->n_regions, 2);
	assert_string_equal(a->regions[0], "eu-west-2");
	assert_string_equal(a->regions[1], "us-east-1");
	assert_string_equal(a->external_id, "prod-ext-1");
	assert_int_equal(a->n_allowed_channels, 1);
	assert_string_equal(a->allowed_channels[0], "C1");
	a = &cfg.accounts[1];
	assert_string_equal(a->alias, "staging");
	assert_int_equal(a->n_regions, 1);
	assert_string_equal(a->regions[0], "us-east-1");
	si_config_free(&cfg);
}

static void test_example_file_loads_with_defaults(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char *ini = s_read_data("conf/slash-infra.ini.example");
	struct si_config cfg;

	(void)state;
	if (ini == NULL)
		skip();
	s_load_ok(&cfg, ini, envp);
	free(ini);
	assert_int_equal(cfg.threads, 8);
	assert_int_equal(cfg.max_body, 65536);
	assert_int_equal(cfg.deadline_ms, 10000);
	assert_int_equal(cfg.max_inflight, 0);          /* auto */
	assert_int_equal(cfg.queue_size, 256);
	assert_int_equal(cfg.aws_max_attempts, 3);
	assert_int_equal(cfg.org_refresh_s, 900);
	assert_int_equal(cfg.response_type, SI_RESPONSE_IN_CHANNEL);
	assert_string_equal(cfg.response_url_prefixes[0],
	                    "https://hooks.slack.com/");
	si_config_free(&cfg);
}

static void test_ini_merges_with_env_accounts(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_DEV=" ARN_B, NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, "[account prod]\nrole_arn = " ARN_A "\n", envp);
	assert_int_equal(cfg.n_accounts, 2);
	assert_string_equal(cfg.accounts[0].alias, "dev");
	assert_string_equal(cfg.accounts[0].role_arn, ARN_B);
	assert_string_equal(cfg.accounts[1].alias, "prod");
	assert_string_equal(cfg.accounts[1].role_arn, ARN_A);
	si_config_free(&cfg);
}

static void test_ini_continuation_for_lists(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, "[access]\nallowed_channels = C1, C2\n"
	                "  C3,C4\n\tC5\n", envp);
	assert_int_equal(cfg.n_allowed_channels, 5);
	assert_string_equal(cfg.allowed_channels[2], "C3");
	assert_string_equal(cfg.allowed_channels[4], "C5");
	si_config_free(&cfg);
	s_load_fails("[server]\nthreads = 2\n  3\n", 0600, envp, ":3:",
	             "continuation");
}

/* ---- precedence --------------------------------------------------------------- */

static const char s_prec_ini[] =
	"[slack]\nsigning_secret = file-secret\n"
	"[server]\nthreads = 16\nmax_body = 32768\n"
	"[search]\nresponse_type = ephemeral\n"
	"[access]\nallowed_channels = C1,C2\n"
	"[organization]\nrole_name = FileRole\n"
	"management_role_arn = " ARN_A "\n";

static void test_env_wins_every_kind(void **state)
{
	char *envp[] = {
		"SLACK_SIGNING_SECRET=env-secret",
		"SLASH_INFRA_SERVER_THREADS=3",
		"SLASH_INFRA_SERVER_MAX_BODY=4096",
		"SLASH_INFRA_SEARCH_RESPONSE_TYPE=in_channel",
		"SLASH_INFRA_ACCESS_ALLOWED_CHANNELS=C9",
		"SLASH_INFRA_ORGANIZATION_ROLE_NAME=EnvRole", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, s_prec_ini, envp);
	assert_string_equal(cfg.signing_secret, "env-secret");
	assert_int_equal(cfg.threads, 3);
	assert_int_equal(cfg.max_body, 4096);
	assert_int_equal(cfg.response_type, SI_RESPONSE_IN_CHANNEL);
	assert_int_equal(cfg.n_allowed_channels, 1);
	assert_string_equal(cfg.allowed_channels[0], "C9");
	assert_string_equal(cfg.org_role_name, "EnvRole");
	assert_string_equal(cfg.org_management_role_arn, ARN_A);
	si_config_free(&cfg);
}

static void test_file_values_without_env(void **state)
{
	char *envp[] = { NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, s_prec_ini, envp);
	assert_string_equal(cfg.signing_secret, "file-secret");
	assert_int_equal(cfg.threads, 16);
	assert_int_equal(cfg.response_type, SI_RESPONSE_EPHEMERAL);
	assert_int_equal(cfg.n_allowed_channels, 2);
	assert_string_equal(cfg.org_role_name, "FileRole");
	si_config_free(&cfg);
}

static void test_slash_infra_secret_beats_legacy(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=legacy",
	                 "SLASH_INFRA_SLACK_SIGNING_SECRET=newer", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, s_prec_ini, envp);
	assert_string_equal(cfg.signing_secret, "newer");
	si_config_free(&cfg);
}

static void test_slash_infra_env_overrides(void **state)
{
	char *envp[] = {
		"SLASH_INFRA_SLACK_SIGNING_SECRET=" SECRET,
		"SLASH_INFRA_SLACK_RESPONSE_URL_PREFIXES=https://a.example/x/,"
		"http://[::1]:9000/",
		"SLASH_INFRA_SEARCH_DEADLINE_MS=20000",
		"SLASH_INFRA_SEARCH_WORKERS=7",
		"SLASH_INFRA_AWS_MAX_ATTEMPTS=1",
		"SLASH_INFRA_ACCESS_ALLOWED_TEAMS=T1,T2",
		"SLASH_INFRA_ORGANIZATION_REGIONS=eu-west-1,eu-west-2", NULL };
	struct si_config cfg;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	assert_string_equal(cfg.signing_secret, SECRET);
	assert_int_equal(cfg.n_response_url_prefixes, 2);
	assert_string_equal(cfg.response_url_prefixes[0], "https://a.example/x/");
	assert_string_equal(cfg.response_url_prefixes[1], "http://[::1]:9000/");
	assert_int_equal(cfg.deadline_ms, 20000);
	assert_int_equal(cfg.search_workers, 7);
	assert_int_equal(cfg.aws_max_attempts, 1);
	assert_int_equal(cfg.n_allowed_teams, 2);
	assert_int_equal(cfg.n_org_regions, 2);
	assert_string_equal(cfg.org_regions[1], "eu-west-2");
	si_config_free(&cfg);
}

static void test_env_typo_refused(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "SLASH_INFRA_SERVER_THREDS=4",
	                 "SLASH_INFRA_CONFIG=/nonexistent", NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "SLASH_INFRA_SERVER_THREDS", "unknown");
}

static void test_env_bad_int(void **state)
{
	static const char *const bad[] = {
		"SLASH_INFRA_SERVER_THREADS=0", "SLASH_INFRA_SERVER_THREADS=257",
		"SLASH_INFRA_SERVER_THREADS=8x", "SLASH_INFRA_SERVER_THREADS=",
		"SLASH_INFRA_SERVER_THREADS= 8", "SLASH_INFRA_SERVER_THREADS=+8",
		"SLASH_INFRA_SERVER_THREADS=99999999999999999999999",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, (char *)bad[i],
		                 NULL };

		s_load_fails(NULL, 0, envp, "SLASH_INFRA_SERVER_THREADS",
		             "from 1 to 256");
	}
}

static void test_env_bad_enum(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "SLASH_INFRA_SEARCH_RESPONSE_TYPE=public", NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "SLASH_INFRA_SEARCH_RESPONSE_TYPE",
	             "in_channel or ephemeral");
}

/* ---- refusals ------------------------------------------------------------------- */

static void test_duplicate_alias_env_and_ini(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_PRODUCTION=" ARN_B, NULL };

	(void)state;
	s_load_fails("[account Production]\nrole_arn = " ARN_A "\n", 0600, envp,
	             "duplicate alias", "AWS_ROLE_PRODUCTION");
}

static void test_duplicate_alias_in_ini(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	/* back to back: inih alone cannot tell these apart */
	s_load_fails("[account prod]\nrole_arn = " ARN_A "\n"
	             "[account prod]\nregions = eu-west-1\n", 0600, envp,
	             "duplicate alias", ":4:");
	s_load_fails("[account prod]\nrole_arn = " ARN_A "\n[server]\nthreads=2\n"
	             "[account  PROD ]\nrole_arn = " ARN_B "\n", 0600, envp,
	             "duplicate alias 'prod'", "line 1");
}

static void test_unknown_key_and_section(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("; comment\n[server]\nthreads = 2\nthread = 3\n", 0600, envp,
	             ":4:", "unknown key 'thread'");
	s_load_fails("[server]\nthreads = 2\n\n[serevr]\nmax_body = 2048\n", 0600,
	             envp, ":5:", "unknown section [serevr]");
	s_load_fails("threads = 2\n", 0600, envp, ":1:", "unknown section");
	s_load_fails("[account p]\nrole_arn = " ARN_A "\nregion = eu-west-1\n",
	             0600, envp, ":3:", "unknown key 'region'");
}

static void test_ini_bad_values_name_line(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("[server]\n\nthreads = 0\n", 0600, envp, ":3: [server] threads",
	             "from 1 to 256");
	s_load_fails("[search]\nmax_inflight = lots\n", 0600, envp, ":2:",
	             "lots");
	s_load_fails("[account p]\nrole_arn = arn:aws:iam::1:role/x\n", 0600, envp,
	             ":2: [account p] role_arn", "role ARN");
	s_load_fails("[account p]\nrole_arn = " ARN_A "\nregions = eu-west-2,mars\n",
	             0600, envp, ":3:", "'mars'");
	s_load_fails("[access]\nallowed_channels = #general\n", 0600, envp, ":2:",
	             "Slack ID");
	s_load_fails("[slack]\nresponse_url_prefixes = https://hooks.slack.com\n",
	             0600, envp, ":2:", "response_url_prefixes");
	s_load_fails("[slack]\nresponse_url_prefixes = http://example.com/\n",
	             0600, envp, ":2:", "loopback");
	s_load_fails("[account bad.alias]\nrole_arn = " ARN_A "\n", 0600, envp,
	             ":2:", "alias");
}

static void test_ini_set_twice(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("[server]\nthreads = 2\n[search]\nworkers=1\n[server]\n"
	             "threads = 3\n", 0600, envp, ":6:", "first on line 2");
}

static void test_ini_syntax_and_bytes(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char long_line[400];
	char path[64];
	struct si_config cfg;
	struct si_err err;
	int fd;

	(void)state;
	s_load_fails("[server]\nthreads 2\n", 0600, envp, ":2:", "syntax");
	s_load_fails("[server\nthreads = 2\n", 0600, envp, ":1:", "syntax");
	memset(long_line, 'C', sizeof(long_line));
	memcpy(long_line, "[access]\nallowed_users=U", 24);
	long_line[sizeof(long_line) - 1] = '\0';
	s_load_fails(long_line, 0600, envp, ":2:", "longer than");
	/* a NUL byte would hide the rest of its line from inih */
	(void)snprintf(path, sizeof(path), "/tmp/si_test_config_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[server]\nthreads = 2\0 3\n", 24), 24);
	close(fd);
	assert_int_equal(si_config_load(&cfg, path, envp, &err), -1);
	unlink(path);
	s_assert_contains(err.msg, "NUL");
	s_assert_contains(err.msg, ":2:");
}

static void test_account_needs_role(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("[server]\nthreads=2\n[account lonely]\nregions = eu-west-1\n",
	             0600, envp, ":3: [account lonely]", "role_arn is missing");
}

static void test_cross_field_checks(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("[search]\ninline_budget_ms = 2000\ndeadline_ms = 1000\n",
	             0600, envp, "inline_budget_ms", "deadline_ms");
	s_load_fails("[organization]\nrole_name = R\n", 0600, envp,
	             "[organization]", "management_role_arn");
}

static void test_secret_file_mode(void **state)
{
	char *envp[] = { NULL };
	static const char ini[] = "[slack]\nsigning_secret = " SECRET "\n";
	struct si_config cfg;

	(void)state;
	s_load_fails(ini, 0644, envp, "chmod 600", "0644");
	s_load_fails(ini, 0640, envp, "group/others", "0640");
	s_load_fails(ini, 0604, envp, "chmod 600", ":2:");
	/* owner-only is fine; so is a readable file without secrets */
	s_load_ok(&cfg, ini, envp);
	assert_string_equal(cfg.signing_secret, SECRET);
	si_config_free(&cfg);
}

/* [state]: a path (absolute) or a PostgreSQL URL, not both; the URL is a
 * secret (never echoed, its file must be private) and the environment
 * forms work; --check-config names the backend, never the URL. */
static void test_state_settings(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char *env_url[] = { "SLACK_SIGNING_SECRET=" SECRET,
			    "SLASH_INFRA_STATE_URL=postgresql://u:pw0rd@db/x", NULL };
	char *env_typo[] = { "SLACK_SIGNING_SECRET=" SECRET, "SLASH_INFRA_STATE_FILE=/x", NULL };
	static const char url_ini[] = "[state]\nurl = postgresql://u:pw0rd@db/x\n";
	struct si_config cfg;
	char buf[4096];
	FILE *out;

	(void)state;
	s_load_ok(&cfg, "[state]\npath = /srv/si/state.db\n", envp);
	assert_string_equal(cfg.state_path, "/srv/si/state.db");
	assert_null(cfg.state_url);
	si_config_free(&cfg);
	s_load_fails("[state]\npath = state.db\n", 0600, envp, "absolute path", NULL);
	s_load_fails("[state]\nurl = mysql://db/x\n", 0600, envp, "postgresql://", NULL);
	s_load_fails(url_ini, 0644, envp, "chmod 600", NULL);
	s_load_fails("[state]\npath = /a/b.db\nurl = postgresql://db/x\n", 0600, envp,
	             "set one", NULL);
	s_load_fails(NULL, 0600, env_typo, "SLASH_INFRA_STATE_FILE", NULL);
	s_load_ok(&cfg, NULL, env_url);
	assert_string_equal(cfg.state_url, "postgresql://u:pw0rd@db/x");
	out = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	assert_non_null(strstr(buf, "state: PostgreSQL"));
	assert_null(strstr(buf, "pw0rd"));
	si_config_free(&cfg);
	s_load_ok(&cfg, url_ini, envp);
	assert_non_null(cfg.state_url);
	si_config_free(&cfg);
}

static void test_readable_file_without_secret_ok(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char path[64];
	struct si_config cfg;
	struct si_err err;

	(void)state;
	s_tmp_file(path, "[server]\nthreads = 5\n", 0644);
	assert_int_equal(si_config_load(&cfg, path, envp, &err), 0);
	unlink(path);
	assert_int_equal(cfg.threads, 5);
	si_config_free(&cfg);
}

static void test_world_writable_file_refused(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails("[server]\nthreads = 5\n", 0666, envp, "writable by others",
	             NULL);
}

static void test_missing_file_and_not_regular(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	struct si_config cfg;
	struct si_err err;

	(void)state;
	assert_int_equal(si_config_load(&cfg, "/nonexistent/si.ini", envp, &err),
	                 -1);
	s_assert_contains(err.msg, "/nonexistent/si.ini");
	assert_int_equal(err.code, SI_ERR_IO);
	assert_int_equal(si_config_load(&cfg, "/tmp", envp, &err), -1);
	s_assert_contains(err.msg, "not a regular file");
}

/* Why the alarm: open(2) of a FIFO blocks until a writer appears, so the
 * regression this guards against is a hang, not a wrong answer. SIGALRM's
 * default action kills the test, which then fails instead of stalling the
 * suite. Issue 11: an ini path that is a FIFO hung startup forever. */
static void test_fifo_refused_without_blocking(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char dir[] = "/tmp/si_test_fifo_XXXXXX";
	char path[64];
	struct si_config cfg;
	struct si_err err;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(snprintf(path, sizeof(path), "%s/si.ini", dir) < (int)sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	rc = si_config_load(&cfg, path, envp, &err);
	alarm(0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	s_assert_contains(err.msg, "not a regular file");
	s_assert_contains(err.msg, path);
}

static void test_bad_secret_not_echoed(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=has spaces inside", NULL };

	(void)state;
	s_load_fails(NULL, 0, envp, "SLACK_SIGNING_SECRET", NULL);
	{
		struct si_config cfg;
		struct si_err err;

		assert_int_equal(si_config_load(&cfg, NULL, envp, &err), -1);
		s_assert_lacks(err.msg, "spaces inside");
	}
}

/* ---- [links]: account-aware console links ------------------------------------ */

#define SSO_URL "https://d-1234567890.awsapps.com/start"

/* Both keys, from the environment and from the file; a trailing '/' is
 * dropped (the links append "/#/console?..."); empty values unset. */
static void test_links_accepted(void **state)
{
	static const struct { const char *url, *want; } urls[] = {
		{ SSO_URL, SSO_URL },
		{ SSO_URL "/", SSO_URL },
		{ SSO_URL "//", SSO_URL },
		{ "https://d-1234567890.awsapps.com/", "https://d-1234567890.awsapps.com" },
		{ "https://d-1234567890.awsapps.com", "https://d-1234567890.awsapps.com" },
		{ "https://sso.example.com:8443/start", "https://sso.example.com:8443/start" },
		{ "https://start.us-gov-home.awsapps.com/directory/d-906704d7b4",
		  "https://start.us-gov-home.awsapps.com/directory/d-906704d7b4" },
	};
	struct si_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char url[600];
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, url,
		                 "SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly", NULL };

		assert_true(snprintf(url, sizeof(url), "SLASH_INFRA_LINKS_SSO_START_URL=%s",
		                     urls[i].url) < (int)sizeof(url));
		s_load_ok(&cfg, NULL, envp);
		assert_string_equal(cfg.link_sso_start_url, urls[i].want);
		assert_string_equal(cfg.link_role_name, "ReadOnly");
		si_config_free(&cfg);
	}
	{
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

		s_load_ok(&cfg, "[links]\nsso_start_url = " SSO_URL "\n"
		                "role_name = AWSReadOnlyAccess+=,.@_-1\n", envp);
		assert_string_equal(cfg.link_sso_start_url, SSO_URL);
		assert_string_equal(cfg.link_role_name, "AWSReadOnlyAccess+=,.@_-1");
		si_config_free(&cfg);
	}
	{
		/* unset: NULL; the environment's empty values unset the file's */
		char *none[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
		char *empty[] = { "SLACK_SIGNING_SECRET=" SECRET,
		                  "SLASH_INFRA_LINKS_SSO_START_URL=",
		                  "SLASH_INFRA_LINKS_ROLE_NAME=", NULL };

		s_load_ok(&cfg, NULL, none);
		assert_null(cfg.link_sso_start_url);
		assert_null(cfg.link_role_name);
		si_config_free(&cfg);
		s_load_ok(&cfg, "[links]\nsso_start_url = " SSO_URL "\nrole_name = R\n", empty);
		assert_null(cfg.link_sso_start_url);
		assert_null(cfg.link_role_name);
		si_config_free(&cfg);
	}
}

/* Every refusal of sso_start_url names the key (the variable, or the
 * file, line and key) and says what is wanted. */
static void test_links_bad_url(void **state)
{
	static const char *const bad[] = {
		"http://d-1234567890.awsapps.com/start",       /* not https */
		"ftp://d-1234567890.awsapps.com/start",
		"d-1234567890.awsapps.com/start",              /* no scheme */
		"https://",                                     /* no host */
		"https:///start",
		"https://user@d-1234567890.awsapps.com/start", /* userinfo */
		"https://user:pw@d-1234567890.awsapps.com/start",
		SSO_URL "?x=1",                                 /* query */
		SSO_URL "?",
		SSO_URL "#/",                                   /* fragment */
		SSO_URL "#",
		"https://d-1234567890.awsapps.com/st art",     /* blank */
		"https://d-1234567890.awsapps.com/<start>",    /* mrkdwn markup */
		"https://d-1234567890.awsapps.com/start|x",
		"https://d-1234567890.awsapps.com/\xc3\xa9",   /* not ASCII */
		"https://d-1234567890.awsapps.com:99999/start", /* bad port */
		"not a url",
	};
	char long_url[600];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char url[600], ini[700];
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, url,
		                 "SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly", NULL };
		char *secret_only[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

		assert_true(snprintf(url, sizeof(url), "SLASH_INFRA_LINKS_SSO_START_URL=%s",
		                     bad[i]) < (int)sizeof(url));
		s_load_fails(NULL, 0, envp, "SLASH_INFRA_LINKS_SSO_START_URL", "an https:// URL");
		assert_true(snprintf(ini, sizeof(ini), "[links]\nrole_name = ReadOnly\n"
		                     "sso_start_url = %s\n", bad[i]) < (int)sizeof(ini));
		s_load_fails(ini, 0600, secret_only, ":3: [links] sso_start_url",
		             "no user, query or fragment");
	}
	/* 512 characters are accepted, 513 refused */
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "SLASH_INFRA_LINKS_SSO_START_URL=https://h/",
	       SI_LITLEN("SLASH_INFRA_LINKS_SSO_START_URL=https://h/"));
	long_url[SI_LITLEN("SLASH_INFRA_LINKS_SSO_START_URL=") + 512] = '\0';
	{
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, long_url,
		                 "SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly", NULL };
		struct si_config cfg;

		s_load_ok(&cfg, NULL, envp);
		assert_int_equal(strlen(cfg.link_sso_start_url), 512);
		si_config_free(&cfg);
		long_url[SI_LITLEN("SLASH_INFRA_LINKS_SSO_START_URL=") + 512] = 'a';
		long_url[SI_LITLEN("SLASH_INFRA_LINKS_SSO_START_URL=") + 513] = '\0';
		s_load_fails(NULL, 0, envp, "SLASH_INFRA_LINKS_SSO_START_URL", "512");
	}
}

static void test_links_bad_role_name(void **state)
{
	static const char *const bad[] = {
		"Read Only", "role/ReadOnly", "ReadOnly!", "ReadOnly:x",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char role[128], ini[256];
		char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
		                 "SLASH_INFRA_LINKS_SSO_START_URL=" SSO_URL, role, NULL };
		char *secret_only[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

		assert_true(snprintf(role, sizeof(role), "SLASH_INFRA_LINKS_ROLE_NAME=%s",
		                     bad[i]) < (int)sizeof(role));
		s_load_fails(NULL, 0, envp, "SLASH_INFRA_LINKS_ROLE_NAME", "an IAM role name");
		assert_true(snprintf(ini, sizeof(ini), "[links]\nsso_start_url = " SSO_URL
		                     "\nrole_name = %s\n", bad[i]) < (int)sizeof(ini));
		s_load_fails(ini, 0600, secret_only, ":3: [links] role_name", "1-64");
	}
}

/* One without the other would give plain links with no word why. */
static void test_links_both_or_neither(void **state)
{
	char *url_only[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                     "SLASH_INFRA_LINKS_SSO_START_URL=" SSO_URL, NULL };
	char *role_only[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                      "SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly", NULL };
	char *typo[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "SLASH_INFRA_LINKS_ROLE=ReadOnly", NULL };
	char *secret_only[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };

	(void)state;
	s_load_fails(NULL, 0, url_only, "[links] needs both", "role_name is not set");
	s_load_fails(NULL, 0, role_only, "[links] needs both", "sso_start_url is not set");
	s_load_fails("[links]\nrole_name = ReadOnly\n", 0600, secret_only,
	             "sso_start_url is not set", NULL);
	s_load_fails(NULL, 0, typo, "SLASH_INFRA_LINKS_ROLE", "unknown setting");
	s_load_fails("[links]\nrole = ReadOnly\n", 0600, secret_only,
	             "unknown key 'role' in [links]", NULL);
}

/* --check-config says where console links go. */
static void test_links_described(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "SLASH_INFRA_LINKS_SSO_START_URL=" SSO_URL "/",
	                 "SLASH_INFRA_LINKS_ROLE_NAME=ReadOnly", NULL };
	char *plain[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	struct si_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	s_load_ok(&cfg, NULL, envp);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	s_assert_contains(text, "links: console links through " SSO_URL " as role ReadOnly\n");
	free(text);
	si_config_free(&cfg);
	s_load_ok(&cfg, NULL, plain);
	text = NULL;
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	s_assert_contains(text, "links: plain console links\n");
	free(text);
	si_config_free(&cfg);
}

/* The command line (search, inventory) verifies no Slack request: it loads
 * without the signing secret, and every other rule still holds. */
static void test_cli_needs_no_secret(void **state)
{
	char *envp[] = { "AWS_ROLE_PRODUCTION=" ARN_A, NULL };
	char *bad[] = { "AWS_ROLE_PRODUCTION=not-an-arn", NULL };
	struct si_config cfg;
	struct si_err err;

	(void)state;
	assert_int_equal(si_config_load_for(&cfg, NULL, envp, SI_CONFIG_CLI, &err), 0);
	assert_null(cfg.signing_secret);
	assert_int_equal(cfg.n_accounts, 1);
	si_config_free(&cfg);
	assert_int_equal(si_config_load_for(&cfg, NULL, envp, SI_CONFIG_SERVE, &err), -1);
	s_assert_contains(err.msg, "SLACK_SIGNING_SECRET");
	assert_int_equal(si_config_load_for(&cfg, NULL, bad, SI_CONFIG_CLI, &err), -1);
	s_assert_contains(err.msg, "AWS_ROLE_PRODUCTION");
}

/* ---- describe and path ---------------------------------------------------------- */

static void test_describe_lists_accounts_not_secrets(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                 "AWS_ROLE_PRODUCTION=" ARN_A,
	                 "AWS_REGION_PRODUCTION=eu-west-2,us-east-1",
	                 "AWS_ROLE_STAGING=" ARN_B, NULL };
	struct si_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	s_load_ok(&cfg, "[account dev]\nrole_arn = " ARN_A "\n"
	                "external_id = ext-secretish-42\n", envp);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	s_assert_contains(text, "production");
	s_assert_contains(text, "staging");
	s_assert_contains(text, "dev");
	s_assert_contains(text, "eu-west-2, us-east-1");
	s_assert_contains(text, ARN_B);
	s_assert_contains(text, "accounts: 3");
	s_assert_lacks(text, SECRET);
	s_assert_lacks(text, "ext-secretish-42");
	free(text);
	si_config_free(&cfg);
}

/* [search] max_inflight: "auto" (the default, 0) or an explicit count,
 * which an existing ini keeps meaning what it meant; the environment
 * overrides either way. */
static void test_max_inflight_auto(void **state)
{
	char *envp[] = { "SLACK_SIGNING_SECRET=" SECRET, NULL };
	char *env_auto[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                     "SLASH_INFRA_SEARCH_MAX_INFLIGHT=auto", NULL };
	char *env_64[] = { "SLACK_SIGNING_SECRET=" SECRET,
	                   "SLASH_INFRA_SEARCH_MAX_INFLIGHT=64", NULL };
	struct si_config cfg;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	s_load_ok(&cfg, "[search]\nmax_inflight = auto\n", envp);
	assert_int_equal(cfg.max_inflight, 0);
	si_config_free(&cfg);
	s_load_ok(&cfg, "[search]\nmax_inflight = AUTO\n", envp);
	assert_int_equal(cfg.max_inflight, 0);
	si_config_free(&cfg);
	s_load_ok(&cfg, "[search]\nmax_inflight = 32\n", envp);
	assert_int_equal(cfg.max_inflight, 32);
	si_config_free(&cfg);
	s_load_ok(&cfg, "[search]\nmax_inflight = 1024\n", envp);
	assert_int_equal(cfg.max_inflight, 1024);
	si_config_free(&cfg);
	s_load_ok(&cfg, "[search]\nmax_inflight = 8\n", env_auto);
	assert_int_equal(cfg.max_inflight, 0);
	si_config_free(&cfg);
	s_load_ok(&cfg, "[search]\nmax_inflight = auto\n", env_64);
	assert_int_equal(cfg.max_inflight, 64);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	s_assert_contains(text, "max in flight 64,");
	free(text);
	si_config_free(&cfg);
	s_load_ok(&cfg, NULL, envp);
	text = NULL;
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(si_config_describe(&cfg, out), 0);
	fclose(out);
	s_assert_contains(text, "max in flight auto,");
	free(text);
	si_config_free(&cfg);
	s_load_fails("[search]\nmax_inflight = 0\n", 0600, envp, ":2: [search] max_inflight",
	             "expected auto or an integer from 1 to 1024, got '0'");
	s_load_fails("[search]\nmax_inflight = 1025\n", 0600, envp, ":2:", "'1025'");
	s_load_fails("[search]\nmax_inflight = automatic\n", 0600, envp, ":2:",
	             "'automatic'");
}

static void test_config_path(void **state)
{
	char *envp[] = { "SLASH_INFRA_CONFIG=/etc/slash-infra.ini", NULL };
	char *empty[] = { "SLASH_INFRA_CONFIG=", NULL };

	(void)state;
	assert_string_equal(si_config_path("/cli.ini", envp), "/cli.ini");
	assert_string_equal(si_config_path(NULL, envp), "/etc/slash-infra.ini");
	assert_null(si_config_path(NULL, empty));
	assert_null(si_config_path(NULL, NULL));
}

static void test_free_is_safe(void **state)
{
	struct si_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	si_config_free(&cfg);
	si_config_free(&cfg);
	si_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_only_defaults),
		cmocka_unit_test(test_missing_secret),
		cmocka_unit_test(test_org_regions_all),
		cmocka_unit_test(test_go_role_and_region),
		cmocka_unit_test(test_go_default_region),
		cmocka_unit_test(test_go_region_list),
		cmocka_unit_test(test_go_alias_lower_case_and_sorted),
		cmocka_unit_test(test_go_sdk_vars_are_not_aliases),
		cmocka_unit_test(test_go_region_without_role),
		cmocka_unit_test(test_env_bad_arn),
		cmocka_unit_test(test_env_good_arns),
		cmocka_unit_test(test_env_regions),
		cmocka_unit_test(test_env_bad_region_message),
		cmocka_unit_test(test_ini_only_full),
		cmocka_unit_test(test_example_file_loads_with_defaults),
		cmocka_unit_test(test_ini_merges_with_env_accounts),
		cmocka_unit_test(test_ini_continuation_for_lists),
		cmocka_unit_test(test_env_wins_every_kind),
		cmocka_unit_test(test_file_values_without_env),
		cmocka_unit_test(test_slash_infra_secret_beats_legacy),
		cmocka_unit_test(test_slash_infra_env_overrides),
		cmocka_unit_test(test_env_typo_refused),
		cmocka_unit_test(test_env_bad_int),
		cmocka_unit_test(test_env_bad_enum),
		cmocka_unit_test(test_duplicate_alias_env_and_ini),
		cmocka_unit_test(test_duplicate_alias_in_ini),
		cmocka_unit_test(test_unknown_key_and_section),
		cmocka_unit_test(test_ini_bad_values_name_line),
		cmocka_unit_test(test_ini_set_twice),
		cmocka_unit_test(test_ini_syntax_and_bytes),
		cmocka_unit_test(test_account_needs_role),
		cmocka_unit_test(test_cross_field_checks),
		cmocka_unit_test(test_secret_file_mode),
		cmocka_unit_test(test_state_settings),
		cmocka_unit_test(test_readable_file_without_secret_ok),
		cmocka_unit_test(test_world_writable_file_refused),
		cmocka_unit_test(test_missing_file_and_not_regular),
		cmocka_unit_test(test_fifo_refused_without_blocking),
		cmocka_unit_test(test_bad_secret_not_echoed),
		cmocka_unit_test(test_describe_lists_accounts_not_secrets),
		cmocka_unit_test(test_links_accepted),
		cmocka_unit_test(test_links_bad_url),
		cmocka_unit_test(test_links_bad_role_name),
		cmocka_unit_test(test_links_both_or_neither),
		cmocka_unit_test(test_links_described),
		cmocka_unit_test(test_cli_needs_no_secret),
		cmocka_unit_test(test_max_inflight_auto),
		cmocka_unit_test(test_config_path),
		cmocka_unit_test(test_free_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
