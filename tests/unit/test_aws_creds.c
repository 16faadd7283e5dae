/*
 * test_aws_creds.c - the base AWS credential chain (common/aws_creds*.c).
 *
 * HTTP providers are tested against tests/standin/creds_standin.py, started
 * here on 127.0.0.1 with an ephemeral port. SI_SRCDIR (repo root, default
 * ".") locates the script and tests/data/aws_creds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/creds.h"
#include "aws/private/creds.h"
#include "fixture.h"
#include "standin_proc.h"

#define AUTH_TOKEN "test-container-auth-token"

struct fixture {
	char srcdir[1024];
	char data[1200];
	struct standin_proc imds;
	struct standin_proc container;
};

/* ---- stand-in management ----------------------------------------------- */

static int standin_start(struct standin_proc *s, const char *srcdir, const char *mode)
{
	char script[1100], pf[128];
	char *argv[] = {"python3", script, "--port", "0", "--port-file", pf, "--mode",
			(char *)mode, "--token", AUTH_TOKEN, NULL};

	memset(s, 0, sizeof(*s));
	(void)snprintf(s->dir, sizeof(s->dir), "/tmp/test_aws_creds.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	(void)snprintf(script, sizeof(script), "%s/tests/standin/creds_standin.py", srcdir);
	(void)snprintf(pf, sizeof(pf), "%s/port", s->dir);
	return standin_proc_run(s, argv, pf, 0);
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("SI_SRCDIR");

	if (fx == NULL)
		return -1;
	(void)snprintf(fx->srcdir, sizeof(fx->srcdir), "%s", src != NULL && src[0] ? src : ".");
	(void)snprintf(fx->data, sizeof(fx->data), "%s/tests/data/aws_creds", fx->srcdir);
	if (standin_start(&fx->imds, fx->srcdir, "imds") != 0 ||
	    standin_start(&fx->container, fx->srcdir, "container") != 0) {
		fprintf(stderr, "cannot start creds_standin.py (SI_SRCDIR=%s)\n", fx->srcdir);
		standin_proc_stop(&fx->imds);
		standin_proc_stop(&fx->container);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	standin_proc_stop(&fx->imds);
	standin_proc_stop(&fx->container);
	free(fx);
	return 0;
}

/* Environment pieces for each source. */
static void env_env(struct fixture_env *e)
{
	fixture_env_add(e, "AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE");
	fixture_env_add(e, "AWS_SECRET_ACCESS_KEY=env-secret-EXAMPLE");
	fixture_env_add(e, "AWS_SESSION_TOKEN=env-token-EXAMPLE");
}

static void env_file(struct fixture_env *e, const struct fixture *fx)
{
	fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=%s/credentials", fx->data);
}

static void env_container(struct fixture_env *e, const struct fixture *fx)
{
	fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/v2/credentials",
		fx->container.port);
	fixture_env_add(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" AUTH_TOKEN);
}

static void env_imds(struct fixture_env *e, const struct fixture *fx)
{
	fixture_env_add(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d/", fx->imds.port);
}

/* ---- struct aws_creds ------------------------------------------------- */

static void test_clear_zeroes_everything(void **state)
{
	struct aws_creds c, zero;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(aws_creds_set(&c, "AKIDX", "SECRETX", "TOKENX", 1234, "env", NULL), 0);
	assert_string_equal(c.secret_access_key, "SECRETX");
	aws_creds_clear(&c);
	assert_memory_equal(&c, &zero, sizeof(c));
	aws_creds_clear(&c);   /* idempotent */
	aws_creds_clear(NULL);
}

static void test_copy_is_deep(void **state)
{
	struct aws_creds a = {0}, b = {0};

	(void)state;
	assert_int_equal(aws_creds_set(&a, "AKID", "SECRET", NULL, 99, "profile", NULL), 0);
	assert_int_equal(aws_creds_copy(&b, &a, NULL), 0);
	assert_ptr_not_equal(a.secret_access_key, b.secret_access_key);
	assert_string_equal(b.secret_access_key, "SECRET");
	assert_null(b.session_token);
	assert_int_equal(b.expiration, 99);
	assert_string_equal(b.source, "profile");
	aws_creds_clear(&a);
	assert_string_equal(b.access_key_id, "AKID");
	aws_creds_clear(&b);
}

static void test_set_rejects_empty_secret(void **state)
{
	struct aws_creds a = {0};
	struct si_err err;

	(void)state;
	assert_int_equal(aws_creds_set(&a, "AKID", "", NULL, 0, "x", &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(a.access_key_id);
}

static void test_parse_time(void **state)
{
	struct si_err err;
	time_t t = 0;

	(void)state;
	assert_int_equal(aws_creds_parse_time("2019-04-23T17:36:42Z", &t, NULL), 0);
	assert_int_equal(t, 1556041002);
	assert_int_equal(aws_creds_parse_time("1970-01-01T00:00:00.123Z", &t, NULL), 0);
	assert_int_equal(t, 0);
	assert_int_equal(aws_creds_parse_time("2024-02-29T00:00:00+00:00", &t, NULL), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(aws_creds_parse_time("2023-02-29T00:00:00Z", &t, &err), -1);
	assert_int_equal(aws_creds_parse_time("2019-04-23 17:36:42Z", &t, &err), -1);
	assert_int_equal(aws_creds_parse_time("2019-04-23T17:36:42", &t, &err), -1);
	assert_int_equal(aws_creds_parse_time("2019-04-23T17:36:42+02:00", &t, &err), -1);
	assert_int_equal(aws_creds_parse_time("2019-4-23T17:36:42Z", &t, &err), -1);
	assert_int_equal(aws_creds_parse_time("", &t, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
}

/* ---- environment ------------------------------------------------------- */

static void test_env_provider(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;

	(void)state;
	fixture_env_add(e, "PATH=/usr/bin");
	env_env(e);
	p = aws_creds_provider_env_new(e->v, NULL);
	assert_non_null(p);
	/* copied at construction: changing envp afterwards changes nothing */
	e->store[1][0] = 'X';
	memset(e->store[2], 'Y', 10);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "AKIAENVEXAMPLE");
	assert_string_equal(c.secret_access_key, "env-secret-EXAMPLE");
	assert_string_equal(c.session_token, "env-token-EXAMPLE");
	assert_int_equal(c.expiration, 0);
	assert_string_equal(c.source, "env");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
}

static void test_env_missing_is_notfound(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	(void)state;
	fixture_env_add(e, "AWS_ACCESS_KEY_ID=");   /* empty counts as unset */
	p = aws_creds_provider_env_new(e->v, NULL);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_null(c.access_key_id);
	aws_creds_provider_free(p);
	/* NULL envp is an empty environment */
	p = aws_creds_provider_env_new(NULL, NULL);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	free(e);
}

static void test_env_half_pair_is_invalid_without_secret_in_message(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	(void)state;
	fixture_env_add(e, "AWS_SECRET_ACCESS_KEY=half-secret-EXAMPLE");
	p = aws_creds_provider_env_new(e->v, NULL);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(strstr(err.msg, "half-secret"));
	assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
	aws_creds_provider_free(p);
	free(e);
}

static void test_env_ignores_legacy_names(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	(void)state;
	fixture_env_add(e, "AWS_ACCESS_KEY=AKIALEGACY");
	fixture_env_add(e, "AWS_SECRET_KEY=legacy-secret");
	p = aws_creds_provider_env_new(e->v, NULL);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
	free(e);
}

/* ---- shared credentials file --------------------------------------------- */

static int profile_get(const struct fixture *fx, const char *file, const char *profile,
		       struct aws_creds *c, struct si_err *err)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds_provider *p;
	int rc;

	if (file != NULL)
		fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=%s/%s", fx->data, file);
	if (profile != NULL)
		fixture_env_add(e, "AWS_PROFILE=%s", profile);
	p = aws_creds_provider_profile_new(e->v, err);
	assert_non_null(p);
	rc = aws_creds_provider_get(p, 0, c, err);
	aws_creds_provider_free(p);
	free(e);
	return rc;
}

static void test_profile_default(void **state)
{
	struct aws_creds c = {0};

	assert_int_equal(profile_get(*state, "credentials", NULL, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "AKIAIOSFODNN7EXAMPLE");
	assert_string_equal(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	assert_null(c.session_token);
	assert_string_equal(c.source, "profile");
	aws_creds_clear(&c);
}

static void test_profile_named_with_long_token(void **state)
{
	struct aws_creds c = {0};
	char want[1500];
	int n;

	n = snprintf(want, sizeof(want), "IQoJb3JpZ2luX2VjEXAMPLE%01400d==", 0);
	assert_true(n > 0);
	memset(want + 23, 'A', 1400);
	assert_int_equal(profile_get(*state, "credentials", "named", &c, NULL), 0);
	assert_string_equal(c.access_key_id, "ASIANAMEDEXAMPLE");
	assert_string_equal(c.secret_access_key, "named-secret-EXAMPLE");
	assert_non_null(c.session_token);
	assert_int_equal(strlen(c.session_token), 1425);
	assert_string_equal(c.session_token, want);
	aws_creds_clear(&c);
}

static void test_profile_missing_file(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	assert_int_equal(profile_get(*state, "no-such-file", NULL, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_null(c.access_key_id);
}

static void test_profile_missing_profile(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	assert_int_equal(profile_get(*state, "credentials", "absent", &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "absent"));
}

static void test_profile_missing_keys(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	assert_int_equal(profile_get(*state, "credentials", "nosecret", &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "aws_secret_access_key"));
	assert_int_equal(profile_get(*state, "credentials", "noid", &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "aws_access_key_id"));
	assert_null(strstr(err.msg, "noid-secret"));
	assert_null(c.access_key_id);
}

static void test_profile_control_char_refused(void **state)
{
	struct aws_creds c = {0};
	struct si_err err;

	assert_int_equal(profile_get(*state, "control_char", NULL, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
}

/* A credentials file that is a FIFO is refused at once: open(2) would
 * otherwise wait for a writer forever (issue 11). alarm() turns a
 * regression into a failed test rather than a hung suite. */
static void test_profile_fifo_refused(void **state)
{
	char dir[] = "/tmp/test_aws_creds_fifo.XXXXXX";
	char path[64];
	struct fixture_env *e = fixture_env_new();
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(snprintf(path, sizeof(path), "%s/credentials", dir) < (int)sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=%s", path);
	p = aws_creds_provider_profile_new(e->v, &err);
	assert_non_null(p);
	alarm(5);
	rc = aws_creds_provider_get(p, 0, &c, &err);
	alarm(0);
	aws_creds_provider_free(p);
	free(e);
	unlink(path);
	rmdir(dir);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_null(c.access_key_id);
}

static void test_profile_from_home(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;

	fixture_env_add(e, "HOME=%s/home", fx->data);
	p = aws_creds_provider_profile_new(e->v, NULL);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "AKIAHOMEEXAMPLE");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	/* "~/" in AWS_SHARED_CREDENTIALS_FILE is HOME */
	e->n = 0;
	fixture_env_add(e, "HOME=%s", fx->data);
	fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=~/credentials");
	fixture_env_add(e, "AWS_PROFILE=named");
	p = aws_creds_provider_profile_new(e->v, NULL);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "ASIANAMEDEXAMPLE");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
}

/* ---- container credentials ----------------------------------------------- */

static void test_container_provider(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;
	time_t now = time(NULL);

	env_container(e, fx);
	p = aws_creds_provider_container_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, now, &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIACONTAINERSTANDIN");
	assert_string_equal(c.secret_access_key, "standin-container-secret");
	assert_string_equal(c.session_token, "standin-container-token");
	assert_string_equal(c.source, "container");
	/* stand-in grants 6 h */
	assert_true(c.expiration > now + 21600 - 120 && c.expiration < now + 21600 + 120);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
}

static void test_container_wrong_token_is_auth_error(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/creds",
		fx->container.port);
	fixture_env_add(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token-EXAMPLE");
	p = aws_creds_provider_container_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_AUTH);
	assert_null(strstr(err.msg, "wrong-token"));
	aws_creds_provider_free(p);
	free(e);
}

static void test_container_token_file(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	char path[] = "/tmp/test_aws_creds_tok.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	/* trailing newline is dropped, as editors add one */
	assert_int_equal(write(fd, AUTH_TOKEN "\n", sizeof(AUTH_TOKEN)),
			 (ssize_t)sizeof(AUTH_TOKEN));
	close(fd);
	fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/creds",
		fx->container.port);
	/* the file wins over the variable (SDK order) */
	fixture_env_add(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token");
	fixture_env_add(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=%s", path);
	p = aws_creds_provider_container_new(e->v, NULL, NULL);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, NULL), 0);
	assert_string_equal(c.source, "container");
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	unlink(path);
	free(e);
}

static void test_container_full_uri_rule(void **state)
{
	static const struct {
		const char *uri;
		int ok;
	} cases[] = {
		{"http://127.0.0.1:1/x", 1},
		{"http://127.2.3.4/x", 1},
		{"http://localhost/x", 1},
		{"http://[::1]:8080/x", 1},
		{"http://169.254.170.2/v2/credentials/abc", 1},
		{"http://169.254.170.23/v1/credentials", 1},
		{"http://[fd00:ec2::23]/v1/credentials", 1},
		{"https://creds.example.com/x", 1},
		{"http://creds.example.com/x", 0},
		{"http://10.0.0.1/x", 0},
		{"http://128.0.0.1/x", 0},
		{"http://127.0.0.1.nip.io/x", 0},
		{"ftp://127.0.0.1/x", 0},
		{"file:///etc/passwd", 0},
		{"not a url", 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture_env *e = fixture_env_new();
		struct aws_creds_provider *p;
		struct si_err err;

		fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", cases[i].uri);
		si_err_clear(&err);
		p = aws_creds_provider_container_new(e->v, NULL, &err);
		if (cases[i].ok != (p != NULL))
			fail_msg("%s: expected %s", cases[i].uri,
				 cases[i].ok ? "accepted" : "refused");
		if (p == NULL)
			assert_int_equal(err.code, SI_ERR_INVALID);
		aws_creds_provider_free(p);
		free(e);
	}
}

static void test_container_unconfigured_is_notfound(void **state)
{
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	(void)state;
	p = aws_creds_provider_container_new(NULL, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	aws_creds_provider_free(p);
}

/* ---- IMDSv2 ----------------------------------------------------------------- */

/* Count of a stand-in counter, read from /_stats. */
static long standin_stat(const struct standin_proc *s, const char *key)
{
	char url[128], *hit;
	CURL *h = curl_easy_init();
	FILE *mem;
	char *buf = NULL;
	size_t len = 0;
	long v = 0;

	assert_non_null(h);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/_stats", s->port);
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROXY, ""), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, mem), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	fclose(mem);
	curl_easy_cleanup(h);
	char pat[64];
	(void)snprintf(pat, sizeof(pat), "\"%s\": ", key);
	hit = strstr(buf, pat);
	if (hit != NULL)
		v = strtol(hit + strlen(pat), NULL, 10);
	free(buf);
	return v;
}

static void test_imds_provider(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;
	time_t now = time(NULL);
	long puts0 = standin_stat(&fx->imds, "put_token");
	long unauth0 = standin_stat(&fx->imds, "get_unauthorized");

	env_imds(e, fx);
	p = aws_creds_provider_imds_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, now, &c, &err), 0);
	assert_string_equal(c.access_key_id, "ASIAIMDSSTANDIN");
	assert_string_equal(c.secret_access_key, "standin-imds-secret");
	assert_string_equal(c.session_token, "standin-imds-token");
	assert_string_equal(c.source, "imds");
	assert_true(c.expiration > now + 21600 - 120 && c.expiration < now + 21600 + 120);
	/* it used a session token, and no GET went without one */
	assert_int_equal(standin_stat(&fx->imds, "put_token"), puts0 + 1);
	assert_int_equal(standin_stat(&fx->imds, "get_unauthorized"), unauth0);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
	free(e);
}

/* The stand-in really enforces IMDSv2: a tokenless GET is refused, so the
 * success above proves the provider sent the token. */
static void test_imds_standin_requires_token(void **state)
{
	const struct fixture *fx = *state;
	char url[160];
	CURL *h = curl_easy_init();
	FILE *devnull = fopen("/dev/null", "w");
	long status = 0;

	assert_non_null(h);
	assert_non_null(devnull);
	(void)snprintf(url, sizeof(url),
		       "http://127.0.0.1:%d/latest/meta-data/iam/security-credentials/",
		       fx->imds.port);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_PROXY, ""), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull), CURLE_OK);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
	assert_int_equal(curl_easy_perform(h), CURLE_OK);
	assert_int_equal(curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), CURLE_OK);
	assert_int_equal(status, 401);
	curl_easy_cleanup(h);
	fclose(devnull);
}

/* An "IMDS" that is really the container agent: it has no token API, so
 * IMDSv2 fails instead of falling back to tokenless IMDSv1. */
static void test_imds_no_v1_fallback(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	fixture_env_add(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%d",
		fx->container.port);
	p = aws_creds_provider_imds_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_non_null(strstr(err.msg, "IMDS token"));
	aws_creds_provider_free(p);
	free(e);
}

static void test_imds_disabled(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;
	long puts0 = standin_stat(&fx->imds, "put_token");

	env_imds(e, fx);
	fixture_env_add(e, "AWS_EC2_METADATA_DISABLED=TRUE");
	p = aws_creds_provider_imds_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_int_equal(standin_stat(&fx->imds, "put_token"), puts0);   /* no traffic */
	aws_creds_provider_free(p);
	free(e);
}

static void test_imds_unreachable_fails_fast(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct aws_creds_http_opts o = {200, 500, 1, 0};
	struct si_err err;
	time_t t0 = time(NULL);

	(void)state;
	/* port 1 on loopback: nothing listens there */
	fixture_env_add(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1");
	p = aws_creds_provider_imds_new(e->v, &o, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	assert_true(err.code == SI_ERR_IO || err.code == SI_ERR_TIMEOUT);
	assert_true(time(NULL) - t0 <= 3);
	aws_creds_provider_free(p);
	free(e);
}

static void test_http_env_limits_validated(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct si_err err;

	(void)state;
	fixture_env_add(e, "AWS_METADATA_SERVICE_TIMEOUT=1s");
	assert_null(aws_creds_provider_imds_new(e->v, NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	e->n = 0;
	fixture_env_add(e, "AWS_METADATA_SERVICE_NUM_ATTEMPTS=1000");
	assert_null(aws_creds_provider_container_new(e->v, NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	e->n = 0;
	fixture_env_add(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT=gopher://127.0.0.1/");
	assert_null(aws_creds_provider_imds_new(e->v, NULL, &err));
	free(e);
}

/* ---- chain ------------------------------------------------------------------- */

static const char *chain_source(const struct fixture *fx, int use_env, int use_file,
				int use_container, int use_imds, struct si_err *err,
				struct aws_creds *c)
{
	struct fixture_env *e = fixture_env_new();
	struct aws_creds_provider *p;
	static char src[32];

	fixture_env_add(e, "HOME=/nonexistent-test-home");
	if (use_env)
		env_env(e);
	if (use_file)
		env_file(e, fx);
	if (use_container)
		env_container(e, fx);
	if (use_imds)
		env_imds(e, fx);
	else
		fixture_env_add(e, "AWS_EC2_METADATA_DISABLED=true");
	p = aws_creds_provider_chain_default_new(e->v, NULL, err);
	assert_non_null(p);
	src[0] = '\0';
	if (aws_creds_provider_get(p, time(NULL), c, err) == 0)
		(void)snprintf(src, sizeof(src), "%s", c->source);
	aws_creds_provider_free(p);
	free(e);
	return src;
}

static void test_chain_order(void **state)
{
	const struct fixture *fx = *state;
	struct aws_creds c = {0};
	struct si_err err;

	assert_string_equal(chain_source(fx, 1, 1, 1, 1, &err, &c), "env");
	assert_string_equal(c.access_key_id, "AKIAENVEXAMPLE");
	aws_creds_clear(&c);
	assert_string_equal(chain_source(fx, 0, 1, 1, 1, &err, &c), "profile");
	assert_string_equal(c.access_key_id, "AKIAIOSFODNN7EXAMPLE");
	aws_creds_clear(&c);
	assert_string_equal(chain_source(fx, 0, 0, 1, 1, &err, &c), "container");
	assert_string_equal(c.access_key_id, "ASIACONTAINERSTANDIN");
	aws_creds_clear(&c);
	assert_string_equal(chain_source(fx, 0, 0, 0, 1, &err, &c), "imds");
	assert_string_equal(c.access_key_id, "ASIAIMDSSTANDIN");
	aws_creds_clear(&c);
}

static void test_chain_none_summarises(void **state)
{
	const struct fixture *fx = *state;
	struct aws_creds c = {0};
	struct si_err err;

	assert_string_equal(chain_source(fx, 0, 0, 0, 0, &err, &c), "");
	assert_int_equal(err.code, SI_ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "AWS_ACCESS_KEY_ID"));
	assert_non_null(strstr(err.msg, "/nonexistent-test-home/.aws/credentials"));
	assert_non_null(strstr(err.msg, "AWS_CONTAINER_CREDENTIALS"));
	assert_non_null(strstr(err.msg, "IMDS disabled"));
	assert_null(c.access_key_id);
}

static void test_chain_error_has_no_secrets(void **state)
{
	const struct fixture *fx = *state;
	struct fixture_env *e = fixture_env_new();
	struct aws_creds c = {0};
	struct aws_creds_provider *p;
	struct si_err err;

	fixture_env_add(e, "AWS_SECRET_ACCESS_KEY=env-secret-EXAMPLE");
	fixture_env_add(e, "AWS_SHARED_CREDENTIALS_FILE=%s/credentials", fx->data);
	fixture_env_add(e, "AWS_PROFILE=noid");
	fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:%d/creds",
		fx->container.port);
	fixture_env_add(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token-EXAMPLE");
	fixture_env_add(e, "AWS_EC2_METADATA_DISABLED=true");
	p = aws_creds_provider_chain_default_new(e->v, NULL, &err);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, &err), -1);
	/* a broken source wins over "not configured" in the code */
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_null(strstr(err.msg, "secret-EXAMPLE"));
	assert_null(strstr(err.msg, "wrong-token"));
	assert_non_null(strstr(err.msg, "HTTP 401"));
	aws_creds_provider_free(p);
	free(e);
}

static void test_chain_refuses_bad_full_uri(void **state)
{
	struct fixture_env *e = fixture_env_new();
	struct si_err err;

	(void)state;
	env_env(e);
	fixture_env_add(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://evil.example.com/creds");
	assert_null(aws_creds_provider_chain_default_new(e->v, NULL, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	free(e);
}

/* A test provider: counts calls, answers per its settings. */
struct counting {
	int calls;
	int fail;          /* nonzero: fail with SI_ERR_NOTFOUND or SI_ERR_IO */
	time_t lifetime;   /* 0: static credentials */
	char akid[16];
};

static int counting_get(void *impl, time_t now, struct aws_creds *out, struct si_err *err)
{
	struct counting *t = impl;

	t->calls++;
	if (t->fail)
		return si_err_set(err, t->fail == 1 ? SI_ERR_NOTFOUND : SI_ERR_IO,
				  "counting fails");
	return aws_creds_set(out, t->akid, "counting-secret", "counting-token",
			     t->lifetime ? now + t->lifetime : 0, "test", err);
}

static const struct aws_creds_provider_vtable counting_vt = {counting_get, NULL};

/* t behind a cache with the SDKs' 300 s refresh margin; NULL on OOM. */
static struct aws_creds_provider *counting_cached(struct counting *t)
{
	return aws_creds_provider_cached_new(aws_creds_provider_new(&counting_vt, t, NULL), 300,
					     NULL);
}

static void test_chain_remembers_winner(void **state)
{
	struct counting a = {0, 1, 0, "A"}, b = {0, 0, 0, "B"}, c2 = {0, 0, 0, "C"};
	struct aws_creds_provider *links[3];
	struct aws_creds_provider *chain;
	struct aws_creds c = {0};

	(void)state;
	links[0] = aws_creds_provider_new(&counting_vt, &a, NULL);
	links[1] = aws_creds_provider_new(&counting_vt, &b, NULL);
	links[2] = aws_creds_provider_new(&counting_vt, &c2, NULL);
	chain = aws_creds_provider_chain_new(links, 3, NULL);
	assert_non_null(chain);
	assert_int_equal(aws_creds_provider_get(chain, 0, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "B");
	assert_int_equal(aws_creds_provider_get(chain, 0, &c, NULL), 0);
	assert_int_equal(aws_creds_provider_get(chain, 0, &c, NULL), 0);
	assert_int_equal(a.calls, 1);   /* not asked again */
	assert_int_equal(b.calls, 3);
	assert_int_equal(c2.calls, 0);
	/* the winner breaks: the chain walks again and finds C */
	b.fail = 2;
	assert_int_equal(aws_creds_provider_get(chain, 0, &c, NULL), 0);
	assert_string_equal(c.access_key_id, "C");
	assert_int_equal(a.calls, 2);
	aws_creds_clear(&c);
	aws_creds_provider_free(chain);
}

/* ---- cache ------------------------------------------------------------------ */

static void test_cached_refreshes_only_near_expiry(void **state)
{
	struct counting t = {0, 0, 1000, "CACHED"};
	struct aws_creds_provider *p;
	struct aws_creds c = {0};

	(void)state;
	p = counting_cached(&t);
	assert_non_null(p);
	assert_int_equal(aws_creds_provider_get(p, 10000, &c, NULL), 0);   /* expires 11000 */
	assert_int_equal(t.calls, 1);
	assert_int_equal(c.expiration, 11000);
	assert_string_equal(c.source, "test");
	assert_int_equal(aws_creds_provider_get(p, 10699, &c, NULL), 0);
	assert_int_equal(t.calls, 1);   /* 301 s left: still cached */
	assert_int_equal(aws_creds_provider_get(p, 10700, &c, NULL), 0);
	assert_int_equal(t.calls, 2);   /* at the margin: refreshed */
	assert_int_equal(c.expiration, 11700);
	assert_int_equal(aws_creds_provider_get(p, 11000, &c, NULL), 0);
	assert_int_equal(t.calls, 2);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
}

static void test_cached_static_never_refreshes(void **state)
{
	struct counting t = {0, 0, 0, "STATIC"};
	struct aws_creds_provider *p;
	struct aws_creds c = {0};

	(void)state;
	p = counting_cached(&t);
	for (time_t now = 0; now < 10 * 86400; now += 86400)
		assert_int_equal(aws_creds_provider_get(p, now, &c, NULL), 0);
	assert_int_equal(t.calls, 1);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
}

static void test_cached_keeps_unexpired_on_refresh_failure(void **state)
{
	struct counting t = {0, 0, 1000, "KEEP"};
	struct aws_creds_provider *p;
	struct aws_creds c = {0};
	struct si_err err;

	(void)state;
	p = counting_cached(&t);
	assert_int_equal(aws_creds_provider_get(p, 0, &c, NULL), 0);
	t.fail = 2;
	/* inside the margin, refresh fails, old ones still valid */
	assert_int_equal(aws_creds_provider_get(p, 800, &c, &err), 0);
	assert_int_equal(t.calls, 2);
	assert_string_equal(c.access_key_id, "KEEP");
	/* expired and refresh fails: error, nothing handed out */
	assert_int_equal(aws_creds_provider_get(p, 1000, &c, &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_null(c.access_key_id);
	/* recovery */
	t.fail = 0;
	assert_int_equal(aws_creds_provider_get(p, 1001, &c, NULL), 0);
	assert_int_equal(c.expiration, 2001);
	aws_creds_clear(&c);
	aws_creds_provider_free(p);
}

#define N_THREADS 8
#define GETS_PER_THREAD 200

static void *hammer(void *arg)
{
	struct aws_creds_provider *p = arg;
	struct aws_creds c = {0};
	long bad = 0;

	for (int i = 0; i < GETS_PER_THREAD; i++) {
		if (aws_creds_provider_get(p, 100, &c, NULL) != 0 ||
		    strcmp(c.access_key_id, "SHARED") != 0)
			bad++;
		aws_creds_clear(&c);
	}
	return (void *)bad;
}

/* Many threads, one cache: one refresh, everyone gets valid credentials.
 * (The counting provider is not thread-safe itself: the cache's mutex is
 * what keeps its counter exact; run under TSan/helgrind to see races.) */
static void test_cached_shared_between_threads(void **state)
{
	struct counting t = {0, 0, 3600, "SHARED"};
	struct aws_creds_provider *p;
	pthread_t th[N_THREADS];
	void *bad;

	(void)state;
	p = counting_cached(&t);
	assert_non_null(p);
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, p), 0);
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_null(bad);
	}
	assert_int_equal(t.calls, 1);
	aws_creds_provider_free(p);
}

static void test_constructors_take_ownership_on_failure(void **state)
{
	struct si_err err;

	(void)state;
	/* must not leak the env provider (valgrind/ASan check this) */
	assert_null(aws_creds_provider_cached_new(aws_creds_provider_env_new(NULL, NULL), -1,
						  &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	struct aws_creds_provider *l[2] = {aws_creds_provider_env_new(NULL, NULL), NULL};
	assert_null(aws_creds_provider_chain_new(l, 2, &err));
	aws_creds_provider_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_zeroes_everything),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_set_rejects_empty_secret),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_env_provider),
		cmocka_unit_test(test_env_missing_is_notfound),
		cmocka_unit_test(test_env_half_pair_is_invalid_without_secret_in_message),
		cmocka_unit_test(test_env_ignores_legacy_names),
		cmocka_unit_test(test_profile_default),
		cmocka_unit_test(test_profile_named_with_long_token),
		cmocka_unit_test(test_profile_missing_file),
		cmocka_unit_test(test_profile_missing_profile),
		cmocka_unit_test(test_profile_missing_keys),
		cmocka_unit_test(test_profile_control_char_refused),
		cmocka_unit_test(test_profile_fifo_refused),
		cmocka_unit_test(test_profile_from_home),
		cmocka_unit_test(test_container_provider),
		cmocka_unit_test(test_container_wrong_token_is_auth_error),
		cmocka_unit_test(test_container_token_file),
		cmocka_unit_test(test_container_full_uri_rule),
		cmocka_unit_test(test_container_unconfigured_is_notfound),
		cmocka_unit_test(test_imds_provider),
		cmocka_unit_test(test_imds_standin_requires_token),
		cmocka_unit_test(test_imds_no_v1_fallback),
		cmocka_unit_test(test_imds_disabled),
		cmocka_unit_test(test_imds_unreachable_fails_fast),
		cmocka_unit_test(test_http_env_limits_validated),
		cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_chain_none_summarises),
		cmocka_unit_test(test_chain_error_has_no_secrets),
		cmocka_unit_test(test_chain_refuses_bad_full_uri),
		cmocka_unit_test(test_chain_remembers_winner),
		cmocka_unit_test(test_cached_refreshes_only_near_expiry),
		cmocka_unit_test(test_cached_static_never_refreshes),
		cmocka_unit_test(test_cached_keeps_unexpired_on_refresh_failure),
		cmocka_unit_test(test_cached_shared_between_threads),
		cmocka_unit_test(test_constructors_take_ownership_on_failure),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
