/*
 * test_creds_sts.c - the STS credential providers (common/aws/creds_sts.c)
 * against the AWS stand-in (tests/standin/aws_standin.py) on 127.0.0.1:
 * web identity from the environment and from a profile, the token file
 * read again on every get, a refused token, a profile's role_arn with
 * source_profile (chained) and credential_source, and the default
 * chain's order. One case serves an authentic STS answer (botocore's
 * GetSessionToken fixture) and checks the credentials against botocore's
 * parse of it. SI_SRCDIR (default ".") locates the stand-in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "aws/creds.h"
#include "aws/private/creds.h"
#include "fixture.h"
#include "standin_proc.h"
#include "util/iso8601.h"

#define BASE_AKID "AKIASLASHINFRADEMO01"
#define BASE_SECRET "slashInfraDemoSecretKey/K7MDENG+bPxRfiCYEX"
#define ROLE1 "arn:aws:iam::111111111111:role/InfraSearchReadOnly"
#define ROLE3 "arn:aws:iam::333333333333:role/InfraSearchReadOnly"
#define WEB_ROLE "arn:aws:iam::111111111111:role/slash-infra-irsa"

struct fx {
	char srcdir[1024];
	char dir[64];
	struct standin_proc aws;    /* aws_standin.py */
	struct standin_proc fixed;  /* answers every POST with one STS fixture */
};

/* The base of every case: the stand-in as every AWS endpoint, both
 * profile files in the test's directory, nothing else of the machine. */
static struct fixture_env *env_base(const struct fx *f, int port)
{
	struct fixture_env *e = fixture_env_profiles(f->dir);

	fixture_env_add(e, "AWS_ENDPOINT_URL=http://127.0.0.1:%d", port);
	fixture_env_add(e, "AWS_REGION=eu-west-1");
	return e;
}

/* A loopback server answering every POST with the file given (the STS
 * answer of a fixture), written to the port file once it listens. */
static const char s_fixed_py[] =
	"import http.server,sys,os\n"
	"body=open(sys.argv[1],'rb').read()\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    def do_POST(self):\n"
	"        self.rfile.read(int(self.headers.get('Content-Length') or 0))\n"
	"        self.send_response(200)\n"
	"        self.send_header('Content-Type','text/xml')\n"
	"        self.send_header('Content-Length',str(len(body)))\n"
	"        self.end_headers(); self.wfile.write(body)\n"
	"    def log_message(self,*a): pass\n"
	"s=http.server.HTTPServer(('127.0.0.1',0),H)\n"
	"open(sys.argv[2]+'.t','w').write('%d\\n'%s.server_address[1])\n"
	"os.replace(sys.argv[2]+'.t',sys.argv[2])\n"
	"s.serve_forever()\n";

/* Stop both servers, remove the test's directory and free f. */
static void fx_free(struct fx *f)
{
	static const char *const files[] = {"aws.port", "fixed.port", "config", "credentials",
					    "token"};
	char p[256];

	standin_proc_stop(&f->aws);
	standin_proc_stop(&f->fixed);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(p, sizeof(p), "%s/%s", f->dir, files[i]);
		(void)unlink(p);
	}
	(void)rmdir(f->dir);
	free(f);
}

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *src = getenv("SI_SRCDIR");
	char script[1100], pf[128], pf2[128], xml[1200];

	if (f == NULL)
		return -1;
	(void)snprintf(f->srcdir, sizeof(f->srcdir), "%s", src != NULL && src[0] ? src : ".");
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_creds_sts.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	(void)snprintf(script, sizeof(script), "%s/tests/standin/aws_standin.py", f->srcdir);
	(void)snprintf(pf, sizeof(pf), "%s/aws.port", f->dir);
	(void)snprintf(pf2, sizeof(pf2), "%s/fixed.port", f->dir);
	fixture_path(xml, sizeof(xml), "aws-xml", "sts-get-session-token-response.botocore.xml");
	{
		char *argv[] = {"python3", script, "--port", "0", "--port-file", pf, "--quiet",
				"--web-identity-token", "token-A-EXAMPLE",
				"--web-identity-token", "token-B-EXAMPLE", NULL};
		char *argv2[] = {"python3", "-c", (char *)s_fixed_py, xml, pf2, NULL};

		if (standin_proc_run(&f->aws, argv, pf, 0) != 0 ||
		    standin_proc_run(&f->fixed, argv2, pf2, 0) != 0) {
			fprintf(stderr, "cannot start the stand-ins (SI_SRCDIR=%s)\n", f->srcdir);
			fx_free(f);
			return -1;
		}
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* GET the stand-in's record of the web identity tokens it was shown. */
static size_t s_write(char *p, size_t sz, size_t n, void *u)
{
	struct json_object **o = u;
	char buf[8192];
	size_t len = sz * n < sizeof(buf) - 1 ? sz * n : sizeof(buf) - 1;

	memcpy(buf, p, len);
	buf[len] = '\0';
	json_object_put(*o);
	*o = json_tokener_parse(buf);
	return sz * n;
}

static struct json_object *seen_tokens(const struct fx *f)
{
	struct json_object *o = NULL, *seen = NULL;
	char url[128];
	CURL *h = curl_easy_init();

	assert_non_null(h);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control/web-identity", f->aws.port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &o);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	curl_easy_cleanup(h);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "seen", &seen));
	json_object_get(seen);
	json_object_put(o);
	return seen;
}

static const char *last_seen(struct json_object *seen)
{
	size_t n = json_object_array_length(seen);

	assert_true(n > 0);
	return json_object_get_string(json_object_array_get_idx(seen, n - 1));
}

/* ---- web identity ---------------------------------------------------------- */

static struct fixture_env *env_web(const struct fx *f)
{
	struct fixture_env *e = env_base(f, f->aws.port);

	fixture_env_add(e, "AWS_WEB_IDENTITY_TOKEN_FILE=%s/token", f->dir);
	fixture_env_add(e, "AWS_ROLE_ARN=" WEB_ROLE);
	return e;
}

static void test_web_identity_env(void **state)
{
	struct fx *f = *state;
	struct fixture_env *e = env_web(f);
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;

	fixture_write_file(f->dir, "config", "");
	fixture_write_file(f->dir, "credentials", "");
	fixture_write_file(f->dir, "token", "token-A-EXAMPLE\n");
	fixture_env_add(e, "AWS_ROLE_SESSION_NAME=ci-job-42");
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_non_null(p);
	if (aws_creds_provider_get(p, time(NULL), &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.source, "web-identity");
	assert_memory_equal(c.access_key_id, "ASIA", 4);
	assert_non_null(c.session_token);
	assert_true(c.expiration > time(NULL) + 3000);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
}

/* EKS rotates the token file: each get reads it again. */
static void test_web_identity_rereads_token(void **state)
{
	struct fx *f = *state;
	struct fixture_env *e = env_web(f);
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct json_object *seen;
	struct si_err err;

	fixture_write_file(f->dir, "config", "");
	fixture_write_file(f->dir, "token", "token-A-EXAMPLE");
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, time(NULL), &c, &err), 0);
	seen = seen_tokens(f);
	assert_string_equal(last_seen(seen), "token-A-EXAMPLE");
	json_object_put(seen);
	fixture_write_file(f->dir, "token", "token-B-EXAMPLE\n");
	assert_int_equal(aws_creds_provider_get(p, time(NULL), &c, &err), 0);
	seen = seen_tokens(f);
	assert_string_equal(last_seen(seen), "token-B-EXAMPLE");
	json_object_put(seen);
	/* A token STS refuses: an auth error that does not repeat it. */
	fixture_write_file(f->dir, "token", "token-C-REVOKED-EXAMPLE");
	assert_int_equal(aws_creds_provider_get(p, time(NULL), &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_AUTH);
	assert_non_null(strstr(err.msg, "InvalidIdentityToken"));
	assert_null(strstr(err.msg, "token-C"));
	assert_null(c.access_key_id);
	aws_creds_provider_free(p);
	free(e);
}

static void test_web_identity_from_profile(void **state)
{
	struct fx *f = *state;
	struct fixture_env *e = env_base(f, f->aws.port);
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	char cfg[512];
	struct si_err err;

	(void)snprintf(cfg, sizeof(cfg), "[profile eks]\nweb_identity_token_file = %s/token\n"
		       "role_arn = " WEB_ROLE "\nrole_session_name = from-profile\n", f->dir);
	fixture_write_file(f->dir, "config", cfg);
	fixture_write_file(f->dir, "token", "token-A-EXAMPLE");
	fixture_env_add(e, "AWS_PROFILE=eks");
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, time(NULL), &c, &err), 0);
	assert_string_equal(c.source, "web-identity");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	/* The same profile is not the assume-role provider's. */
	p = aws_creds_provider_assume_role_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, time(NULL), &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	free(e);
}

static void test_web_identity_misconfigured(void **state)
{
	struct fx *f = *state;
	struct fixture_env *e = env_base(f, f->aws.port);
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;

	fixture_write_file(f->dir, "config", "");
	/* Nothing configured: not found. */
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	/* A token file without a role: broken. */
	fixture_env_add(e, "AWS_WEB_IDENTITY_TOKEN_FILE=%s/token", f->dir);
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	aws_creds_provider_free(p);
	/* A role, but the named file is missing or empty. */
	fixture_env_add(e, "AWS_ROLE_ARN=" WEB_ROLE);
	fixture_write_file(f->dir, "token", "\n");
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	aws_creds_provider_free(p);
	free(e);
	e = env_base(f, f->aws.port);
	fixture_env_add(e, "AWS_WEB_IDENTITY_TOKEN_FILE=%s/no-such-token", f->dir);
	fixture_env_add(e, "AWS_ROLE_ARN=" WEB_ROLE);
	p = aws_creds_provider_web_identity_new(e->v, &err);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	aws_creds_provider_free(p);
	free(e);
}

/* An authentic STS answer (botocore's GetSessionToken fixture) read by
 * the web identity provider, checked field by field against botocore's
 * own parse of it. */
static void test_web_identity_authentic_answer(void **state)
{
	struct fx *f = *state;
	struct fixture_env *e = env_base(f, f->fixed.port);
	struct fixture_blob b = fixture_shared(
		"aws-xml", "sts-get-session-token-response.botocore.expected.json");
	struct json_object *want = fixture_json(&b, "expected");
	struct json_object *cr = fixture_get(want, "Credentials");
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;
	const char *exp_s;
	time_t exp;

	fixture_env_add(e, "AWS_WEB_IDENTITY_TOKEN_FILE=%s/token", f->dir);
	fixture_env_add(e, "AWS_ROLE_ARN=" WEB_ROLE);
	fixture_write_file(f->dir, "config", "");
	fixture_write_file(f->dir, "token", "token-A-EXAMPLE");
	p = aws_creds_provider_web_identity_new(e->v, &err);
	if (aws_creds_provider_get(p, 0, &c, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(c.access_key_id,
			    json_object_get_string(fixture_get(cr, "AccessKeyId")));
	assert_string_equal(c.secret_access_key,
			    json_object_get_string(fixture_get(cr, "SecretAccessKey")));
	assert_string_equal(c.session_token,
			    json_object_get_string(fixture_get(cr, "SessionToken")));
	exp_s = json_object_get_string(fixture_get(cr, "Expiration"));
	assert_int_equal(si_iso8601_parse(exp_s, strlen(exp_s), &exp, NULL), 0);
	assert_int_equal(c.expiration, exp);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	json_object_put(want);
	free(b.data);
	free(e);
}

/* ---- a profile's role_arn ----------------------------------------------------- */

static void base_credentials(const struct fx *f)
{
	fixture_write_file(f->dir, "credentials",
			   "[base]\naws_access_key_id = " BASE_AKID "\n"
			   "aws_secret_access_key = " BASE_SECRET "\n");
}

static int assume(const struct fx *f, const char *profile, int with_env_keys,
		  struct aws_creds *c, struct si_err *err)
{
	struct fixture_env *e = env_base(f, f->aws.port);
	struct aws_creds_provider *p;
	int rc;

	fixture_env_add(e, "AWS_PROFILE=%s", profile);
	if (with_env_keys) {
		fixture_env_add(e, "AWS_ACCESS_KEY_ID=" BASE_AKID);
		fixture_env_add(e, "AWS_SECRET_ACCESS_KEY=" BASE_SECRET);
	}
	p = aws_creds_provider_assume_role_new(e->v, err);
	assert_non_null(p);
	rc = aws_creds_provider_get(p, time(NULL), c, err);
	aws_creds_provider_free(p);
	free(e);
	return rc;
}

static void test_assume_role_profiles(void **state)
{
	struct fx *f = *state;
	struct aws_creds c = {0};
	struct si_err err;

	base_credentials(f);
	fixture_write_file(f->dir, "config",
			   "[profile one]\nrole_arn = " ROLE1 "\nexternal_id = slash-infra-demo\n"
			   "source_profile = base\n"
			   "[profile chained]\nrole_arn = " ROLE3 "\nsource_profile = one\n"
			   "[profile fromenv]\nrole_arn = " ROLE3
			   "\ncredential_source = Environment\n"
			   "[profile wrongext]\nrole_arn = " ROLE1 "\nsource_profile = base\n"
			   "external_id = not-it\n");
	if (assume(f, "one", 0, &c, &err) != 0)
		fail_msg("one: %s", err.msg);
	assert_string_equal(c.source, "assume-role");
	assert_memory_equal(c.access_key_id, "ASIA", 4);
	assert_true(c.expiration > time(NULL));
	aws_creds_clear(&c);
	/* base -> one -> chained: two AssumeRoles, the second signed with
	 * the first's temporary credentials. */
	if (assume(f, "chained", 0, &c, &err) != 0)
		fail_msg("chained: %s", err.msg);
	assert_string_equal(c.source, "assume-role");
	aws_creds_clear(&c);
	if (assume(f, "fromenv", 1, &c, &err) != 0)
		fail_msg("fromenv: %s", err.msg);
	aws_creds_clear(&c);
	assert_int_equal(assume(f, "wrongext", 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "AccessDenied"));
	assert_null(strstr(err.msg, BASE_SECRET));
}

/* ---- the default chain ------------------------------------------------------- */

static const char *chain_winner(const struct fx *f, int env_keys, const char *profile,
				int web_env)
{
	static char src[32];
	struct fixture_env *e = env_base(f, f->aws.port);
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;

	if (env_keys) {
		fixture_env_add(e, "AWS_ACCESS_KEY_ID=" BASE_AKID);
		fixture_env_add(e, "AWS_SECRET_ACCESS_KEY=" BASE_SECRET);
	}
	if (profile != NULL)
		fixture_env_add(e, "AWS_PROFILE=%s", profile);
	if (web_env) {
		fixture_env_add(e, "AWS_WEB_IDENTITY_TOKEN_FILE=%s/token", f->dir);
		fixture_env_add(e, "AWS_ROLE_ARN=" WEB_ROLE);
	}
	p = aws_creds_provider_chain_default_new(e->v, NULL, &err);
	assert_non_null(p);
	src[0] = '\0';
	if (aws_creds_provider_get(p, time(NULL), &c, &err) == 0)
		(void)snprintf(src, sizeof(src), "%s", c.source);
	else
		fail_msg("%s", err.msg);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
	return src;
}

static void test_default_chain_order(void **state)
{
	struct fx *f = *state;

	fixture_write_file(f->dir, "token", "token-A-EXAMPLE");
	fixture_write_file(f->dir, "credentials",
			   "[base]\naws_access_key_id = " BASE_AKID "\naws_secret_access_key = "
			   BASE_SECRET "\n"
			   "[both]\naws_access_key_id = AKIAFILEEXAMPLE\n"
			   "aws_secret_access_key = f-EXAMPLE\n");
	fixture_write_file(f->dir, "config",
			   "[profile role]\nrole_arn = " ROLE1 "\nexternal_id = slash-infra-demo\n"
			   "source_profile = base\n"
			   "[profile both]\ncredential_process = printf '{\"Version\": 1, "
			   "\"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"p-EXAMPLE\"}'\n"
			   "[profile proc]\ncredential_process = printf '{\"Version\": 1, "
			   "\"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"p-EXAMPLE\"}'\n"
			   "aws_access_key_id = AKIACFG\naws_secret_access_key = c-EXAMPLE\n"
			   "[profile cfg]\naws_access_key_id = AKIACFG\n"
			   "aws_secret_access_key = c-EXAMPLE\n");
	/* env first, then the profile's role, then web identity, then the
	 * credentials file, credential_process, the config file's keys. */
	assert_string_equal(chain_winner(f, 1, "role", 1), "env");
	assert_string_equal(chain_winner(f, 0, "role", 1), "assume-role");
	assert_string_equal(chain_winner(f, 0, "both", 1), "web-identity");
	assert_string_equal(chain_winner(f, 0, "both", 0), "profile");
	assert_string_equal(chain_winner(f, 0, "proc", 0), "process");
	assert_string_equal(chain_winner(f, 0, "cfg", 0), "config");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web_identity_env),
		cmocka_unit_test(test_web_identity_rereads_token),
		cmocka_unit_test(test_web_identity_from_profile),
		cmocka_unit_test(test_web_identity_misconfigured),
		cmocka_unit_test(test_web_identity_authentic_answer),
		cmocka_unit_test(test_assume_role_profiles),
		cmocka_unit_test(test_default_chain_order),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
