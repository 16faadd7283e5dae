/*
 * test_creds_profile.c - ~/.aws/config profiles without the network: the
 * profile files (merge, sections), the config file's static keys,
 * credential_process (the word split, the run, its limits and errors) and
 * the assume-role provider's refusals that need no STS (loops, depth,
 * missing sources, mfa_serial). STS itself: test_creds_sts.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/creds.h"
#include "aws/private/creds.h"
#include "fixture.h"
#include "util/clock.h"

static char g_dir[64];

/* An environment with both files in g_dir and the given profile. */
static struct fixture_env *env_files(const char *profile)
{
	struct fixture_env *e = fixture_env_profiles(g_dir);

	if (profile != NULL)
		fixture_env_add(e, "AWS_PROFILE=%s", profile);
	return e;
}

static int group_setup(void **state)
{
	(void)state;
	(void)snprintf(g_dir, sizeof(g_dir), "/tmp/test_creds_profile.XXXXXX");
	return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
	char p[128];

	(void)state;
	(void)snprintf(p, sizeof(p), "%s/config", g_dir);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/credentials", g_dir);
	(void)unlink(p);
	(void)rmdir(g_dir);
	return 0;
}

/* ---- the word split ---------------------------------------------------- */

static void test_split_like_shlex(void **state)
{
	/* Each case: the line and its words joined by '|' (Python's
	 * shlex.split gives the same words for every line here). */
	static const char *const cases[][2] = {
		{"aws-vault export --format=json prod", "aws-vault|export|--format=json|prod"},
		{"  a\tb  ", "a|b"},
		{"'a b' \"c d\"", "a b|c d"},
		{"a'b c'd", "ab cd"},
		{"\"a\\\"b\" \"\\\\\" \"\\n\"", "a\"b|\\|\\n"},
		{"a\\ b c\\'d", "a b|c'd"},
		{"'' x", "|x"},
		{"'$HOME' `id` #x", "$HOME|`id`|#x"},
	};
	char joined[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **argv = NULL;
		size_t argc = 0, used = 0;
		struct si_err err;

		assert_int_equal(aws_creds_argv_split(cases[i][0], &argv, &argc, &err), 0);
		joined[0] = '\0';
		for (size_t k = 0; k < argc; k++)
			used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
						 k ? "|" : "", argv[k]);
		assert_null(argv[argc]);
		assert_string_equal(joined, cases[i][1]);
		free(argv);
	}
}

static void test_split_refuses(void **state)
{
	char big[AWS_CREDS_PROCESS_MAX_LINE + 8];
	char many[AWS_CREDS_PROCESS_MAX_ARGS * 2 + 8];
	char **argv = (char **)1;
	size_t argc = 1;
	struct si_err err;

	(void)state;
	assert_int_equal(aws_creds_argv_split("a 'b", &argv, &argc, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(argv);
	assert_int_equal(aws_creds_argv_split("a \"b\\\"", &argv, &argc, &err), -1);
	assert_int_equal(aws_creds_argv_split("a\\", &argv, &argc, &err), -1);
	assert_int_equal(aws_creds_argv_split("   ", &argv, &argc, &err), -1);
	assert_int_equal(aws_creds_argv_split(NULL, &argv, &argc, &err), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(aws_creds_argv_split(big, &argv, &argc, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	for (size_t i = 0; i < sizeof(many) - 1; i++)
		many[i] = i % 2 ? ' ' : 'x';
	many[sizeof(many) - 1] = '\0';
	assert_int_equal(aws_creds_argv_split(many, &argv, &argc, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
}

/* ---- running credential_process --------------------------------------- */

#define PROC_JSON "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROCEXAMPLE\", " \
	"\"SecretAccessKey\": \"proc-secret-EXAMPLE\", \"SessionToken\": \"proc-token-EXAMPLE\", " \
	"\"Expiration\": \"2030-01-02T03:04:05Z\"}"

static int run(const char *cmd, long timeout_ms, size_t max_out, struct aws_creds *c,
	       struct si_err *err)
{
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};

	return aws_creds_process_run(cmd, envp, timeout_ms, max_out, c, err);
}

static void test_process_ok(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	assert_int_equal(run("printf '" PROC_JSON "'", 0, 0, &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAPROCEXAMPLE");
	assert_string_equal(c.secret_access_key, "proc-secret-EXAMPLE");
	assert_string_equal(c.session_token, "proc-token-EXAMPLE");
	assert_int_equal(c.expiration, 1893553445);
	assert_string_equal(c.source, "process");
	aws_creds_clear(&c);
	/* No Expiration, no SessionToken: long-term keys. */
	assert_int_equal(run("printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
			     "\"SecretAccessKey\":\"s-EXAMPLE\"}'", 0, 0, &c, &err), 0);
	assert_int_equal(c.expiration, 0);
	assert_null(c.session_token);
	aws_creds_clear(&c);
}

static void test_process_failure_shows_stderr_not_stdout(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	assert_int_equal(run("sh -c 'echo \"{\\\"SecretAccessKey\\\": \\\"leak-EXAMPLE\\\"}\"; "
			     "printf \"session expired: run login\\nsecond line\\n\" >&2; exit 3'",
			     0, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "exit status 3"));
	assert_non_null(strstr(err.msg, "session expired: run login"));
	assert_null(strstr(err.msg, "second line"));
	assert_null(strstr(err.msg, "leak-EXAMPLE"));
	assert_null(c.access_key_id);
}

static void test_process_timeout_kills(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;
	long long t0 = si_mono_ms();

	(void)state;
	/* The grandchild (sleep) holds the pipes: the group is killed. */
	assert_int_equal(run("sh -c 'sleep 30; echo late'", 200, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_TIMEOUT);
	assert_non_null(strstr(err.msg, "killed"));
	assert_true(si_mono_ms() - t0 < 5000);
}

static void test_process_output_capped(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;
	long long t0 = si_mono_ms();

	(void)state;
	assert_int_equal(run("yes", 5000, 4096, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);
	assert_true(si_mono_ms() - t0 < 5000);
}

static void test_process_bad_documents(void **state)
{
	static const char *const cmds[] = {
		"printf 'not json'",
		"printf '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}'",
		"printf '{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}'",
		"printf '{\"Version\": 1, \"AccessKeyId\": \"A\"}'",
		"printf '{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\", "
		"\"Expiration\": \"soon\"}'",
		"printf '{\"Version\": 1, \"AccessKeyId\": \"A\\\\u0000B\", "
		"\"SecretAccessKey\": \"S\"}'",
		"printf '[1]'",
		"true",
	};
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(run(cmds[i], 0, 0, &c, &err), -1);
		assert_int_equal(err.code, SI_ERR_INVALID);
		assert_null(c.access_key_id);
	}
}

static void test_process_not_found(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	assert_int_equal(run("/nonexistent/credential-helper --x", 0, 0, &c, &err), -1);
	/* glibc's posix_spawnp reports the failed exec; where it is emulated
	 * with fork (valgrind), the child exits 127 as a shell would. */
	assert_true(err.code == SI_ERR_IO ||
		    (err.code == SI_ERR_REMOTE && strstr(err.msg, "exit status 127") != NULL));
	assert_non_null(strstr(err.msg, "/nonexistent/credential-helper"));
}

/* stdin is /dev/null: a helper that reads it ends at once. */
static void test_process_stdin_is_null(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	assert_int_equal(run("sh -c 'cat >/dev/null; printf \"%s\" \"$0\"' '" PROC_JSON "'", 3000,
			     0, &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAPROCEXAMPLE");
	aws_creds_clear(&c);
}

/* ---- the providers on the profile files ------------------------------- */

static void test_profiles_merge(void **state)
{
	struct aws_profile_src src;
	struct aws_profiles ps = {0};
	const struct aws_profile *p;
	struct fixture_env *e;
	struct si_err err;

	(void)state;
	fixture_write_file(g_dir, "config",
			   "[default]\nregion = eu-west-1\n"
			   "[profile  dev]\nrole_arn = arn:aws:iam::1:role/from-config\n"
			   "Region = us-east-2\n"
			   "[prod]\nregion = ap-south-1\n"
			   "[sso-session x]\nsso_region = us-east-1\n");
	fixture_write_file(g_dir, "credentials",
			   "[dev]\nrole_arn = arn:aws:iam::1:role/from-credentials\n"
			   "[prod]\naws_access_key_id = AKIAPROD\n");
	e = env_files("dev");
	assert_int_equal(aws_profile_src_init(&src, e->v, &err), 0);
	assert_string_equal(src.profile, "dev");
	assert_int_equal(aws_profiles_load(&src, &ps, &err), 0);
	p = aws_profiles_find(&ps, "dev");
	assert_non_null(p);
	assert_string_equal(aws_profile_get(p, AWS_PK_ROLE_ARN),
			    "arn:aws:iam::1:role/from-credentials");
	assert_string_equal(aws_profile_get(p, AWS_PK_REGION), "us-east-2");
	assert_string_equal(aws_profile_get(aws_profiles_find(&ps, "default"), AWS_PK_REGION),
			    "eu-west-1");
	/* [prod] in the config file is not a profile; in credentials it is. */
	p = aws_profiles_find(&ps, "prod");
	assert_non_null(p);
	assert_null(aws_profile_get(p, AWS_PK_REGION));
	assert_null(aws_profiles_find(&ps, "sso-session x"));
	assert_null(aws_profiles_find(&ps, "x"));
	aws_profiles_free(&ps);
	aws_profile_src_clear(&src);
	free(e);
}

static void test_config_static_keys(void **state)
{
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;
	struct fixture_env *e;

	(void)state;
	fixture_write_file(g_dir, "config",
			   "[profile cfg]\naws_access_key_id = AKIACONFIGEXAMPLE\n"
			   "aws_secret_access_key = config-secret-EXAMPLE\n"
			   "[profile half]\naws_access_key_id = AKIAHALF\n"
			   "[profile none]\nregion = eu-west-1\n");
	fixture_write_file(g_dir, "credentials", "");
	e = env_files("cfg");
	p = aws_creds_provider_config_new(e->v, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), 0);
	assert_string_equal(c.access_key_id, "AKIACONFIGEXAMPLE");
	assert_string_equal(c.source, "config");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);

	e = env_files("half");
	p = aws_creds_provider_config_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	aws_creds_provider_free(p);
	free(e);

	e = env_files("none");
	p = aws_creds_provider_config_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	free(e);
}

static void test_process_provider_from_profile(void **state)
{
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;
	struct fixture_env *e;

	(void)state;
	fixture_write_file(g_dir, "config",
			   "[profile proc]\ncredential_process = printf '" PROC_JSON "'\n"
			   "[profile plain]\nregion = eu-west-1\n");
	fixture_write_file(g_dir, "credentials", "");
	e = env_files("proc");
	p = aws_creds_provider_process_new(e->v, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), 0);
	assert_string_equal(c.source, "process");
	assert_string_equal(c.session_token, "proc-token-EXAMPLE");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
	e = env_files("plain");
	p = aws_creds_provider_process_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	free(e);
}

/* The assume-role provider's refusals, reached before any STS call. */
static void test_assume_role_refusals(void **state)
{
	static const struct {
		const char *profile;
		enum si_err_code code;
		const char *needle;
	} cases[] = {
		{"plain", SI_ERR_NOTFOUND, "no role_arn"},
		{"loop-a", SI_ERR_INVALID, "loop"},
		{"missing", SI_ERR_INVALID, "does not exist"},
		{"both", SI_ERR_INVALID, "exactly one"},
		{"neither", SI_ERR_INVALID, "exactly one"},
		{"mfa", SI_ERR_INVALID, "mfa_serial"},
		{"self", SI_ERR_INVALID, "no static keys"},
		{"badsrc", SI_ERR_INVALID, "credential_source"},
		{"envsrc", SI_ERR_INVALID, "AWS_ACCESS_KEY_ID"},
		{"nocreds", SI_ERR_INVALID, "has no credentials"},
		{"deep0", SI_ERR_LIMIT, "longer than"},
	};
	char cfg[4096];
	size_t used;
	struct si_err err;

	(void)state;
	used = (size_t)snprintf(cfg, sizeof(cfg),
		"[profile plain]\nregion = eu-west-1\n"
		"[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"
		"[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"
		"[profile missing]\nrole_arn = arn:aws:iam::1:role/m\nsource_profile = nowhere\n"
		"[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = plain\n"
		"credential_source = Environment\n"
		"[profile neither]\nrole_arn = arn:aws:iam::1:role/x\n"
		"[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = plain\n"
		"mfa_serial = arn:aws:iam::1:mfa/me\n"
		"[profile self]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = self\n"
		"[profile badsrc]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Magic\n"
		"[profile envsrc]\nrole_arn = arn:aws:iam::1:role/x\n"
		"credential_source = Environment\n"
		"[profile nocreds]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = plain\n");
	/* deep0 -> deep1 -> ... -> deep9, one link past the limit. */
	for (int i = 0; i <= AWS_CREDS_ROLE_CHAIN_MAX + 1; i++)
		used += (size_t)snprintf(cfg + used, sizeof(cfg) - used,
					 "[profile deep%d]\nrole_arn = arn:aws:iam::1:role/d%d\n"
					 "source_profile = deep%d\n", i, i, i + 1);
	assert_true(used < sizeof(cfg));
	fixture_write_file(g_dir, "config", cfg);
	fixture_write_file(g_dir, "credentials", "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture_env *e = env_files(cases[i].profile);
		struct aws_creds_provider *p = aws_creds_provider_assume_role_new(e->v, &err);
		struct aws_creds c = {0};

		assert_non_null(p);
		assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
		if (err.code != cases[i].code || strstr(err.msg, cases[i].needle) == NULL)
			fail_msg("%s: got %d '%s'", cases[i].profile, err.code, err.msg);
		aws_creds_provider_free(p);
		free(e);
	}
}

static void test_syntax_error_names_line_not_content(void **state)
{
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;
	struct fixture_env *e;

	(void)state;
	fixture_write_file(g_dir, "config",
			   "[profile x]\nrole_arn = arn:aws:iam::1:role/x\n"
			   "secret-EXAMPLE-without-equals\n");
	e = env_files("x");
	p = aws_creds_provider_assume_role_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "config:3"));
	assert_null(strstr(err.msg, "secret-EXAMPLE"));
	aws_creds_provider_free(p);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_like_shlex),
		cmocka_unit_test(test_split_refuses),
		cmocka_unit_test(test_process_ok),
		cmocka_unit_test(test_process_failure_shows_stderr_not_stdout),
		cmocka_unit_test(test_process_timeout_kills),
		cmocka_unit_test(test_process_output_capped),
		cmocka_unit_test(test_process_bad_documents),
		cmocka_unit_test(test_process_not_found),
		cmocka_unit_test(test_process_stdin_is_null),
		cmocka_unit_test(test_profiles_merge),
		cmocka_unit_test(test_config_static_keys),
		cmocka_unit_test(test_process_provider_from_profile),
		cmocka_unit_test(test_assume_role_refusals),
		cmocka_unit_test(test_syntax_error_names_line_not_content),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
