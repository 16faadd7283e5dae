/*
 * test_org.c - account discovery through AWS Organizations (common/org.c).
 *
 * The parser and alias rules are tested on literal inputs; discovery runs
 * against tests/standin/aws_standin.py (--generate-org 25 3 1), started here
 * on 127.0.0.1 with an ephemeral port and killed at teardown. SI_SRCDIR
 * (repo root, default ".") locates the script.
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

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/org.h"
#include "search/engine.h"
#include "search/registry.h"

/* Python starts in ~100-300 ms; 10 s bounds a loaded CI box. */
#define STANDIN_WAIT_STEPS 400
#define STANDIN_WAIT_STEP_MS 25
/* Background-thread waits: refresh_s is 1, so 10 s is generous. */
#define THREAD_WAIT_STEPS 200
#define THREAD_WAIT_STEP_MS 50

#define N_ACCOUNTS 25
#define MGMT_ACCOUNT "400000000000"
#define ROLE_NAME "InfraSearchReadOnly"
#define MGMT_ROLE "arn:aws:iam::" MGMT_ACCOUNT ":role/" ROLE_NAME
/* The stand-in's built-in base identity for --generate-org (README,
 * aws_standin.py build_world). */
#define BASE_AKID "AKIASTANDINBASE00001"
#define BASE_SECRET "standinBaseSecretKey/0000000000000000000"

struct fixture {
	pid_t pid;
	int port;
	char dir[64];
	char env_store[3][256];
	char *envp[4];
	struct aws_creds_provider *base;
	/* One client per discovery (each starts with an empty credential
	 * cache, as each test expects); freed at group teardown, after the
	 * discoveries that borrowed them. */
	struct aws_client *clients[32];
	size_t n_clients;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- ListAccounts parsing ----------------------------------------------- */

static const char PAGE1[] =
	"{\"Accounts\":[{\"Id\":\"111111111111\","
	"\"Arn\":\"arn:aws:organizations::1:account/o-x/111111111111\","
	"\"Email\":\"a@example.com\",\"Name\":\"Production\",\"Status\":\"ACTIVE\","
	"\"JoinedMethod\":\"INVITED\",\"JoinedTimestamp\":1.5E9},"
	"{\"Id\":\"222222222222\",\"Name\":\"Old\",\"Status\":\"SUSPENDED\"}],"
	"\"NextToken\":\"tok+/=\\\"1\"}";

static void test_parse_valid_page(void **state)
{
	struct org_account_page p;
	struct si_err err;

	(void)state;
	assert_int_equal(org_parse_list_accounts(PAGE1, strlen(PAGE1), &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.accounts[0].id, "111111111111");
	assert_string_equal(p.accounts[0].name, "Production");
	assert_string_equal(p.accounts[0].status, "ACTIVE");
	assert_string_equal(p.accounts[0].arn, "arn:aws:organizations::1:account/o-x/111111111111");
	assert_string_equal(p.accounts[1].status, "SUSPENDED");
	assert_null(p.accounts[1].arn);
	/* JSON escapes are decoded. */
	assert_string_equal(p.next_token, "tok+/=\"1");
	org_account_page_clear(&p);
	assert_null(p.accounts);
	assert_int_equal(p.n, 0);
}

static void test_parse_last_page_has_no_token(void **state)
{
	static const char *docs[] = {
		"{\"Accounts\":[]}",
		"{\"Accounts\":[],\"NextToken\":null}",
		"{\"Accounts\":[],\"NextToken\":\"\"}",
		"  {\"Accounts\":[]}\r\n",
	};
	struct org_account_page p;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(org_parse_list_accounts(docs[i], strlen(docs[i]), &p, NULL), 0);
		assert_int_equal(p.n, 0);
		assert_null(p.next_token);
		org_account_page_clear(&p);
	}
}

static void test_parse_missing_name_is_allowed(void **state)
{
	static const char doc[] =
		"{\"Accounts\":[{\"Id\":\"123456789012\",\"Status\":\"ACTIVE\"}]}";
	struct org_account_page p;

	(void)state;
	assert_int_equal(org_parse_list_accounts(doc, strlen(doc), &p, NULL), 0);
	assert_int_equal(p.n, 1);
	assert_null(p.accounts[0].name);
	org_account_page_clear(&p);
}

static void test_parse_rejects_bad_entries(void **state)
{
	static const char *docs[] = {
		/* no Id */
		"{\"Accounts\":[{\"Status\":\"ACTIVE\",\"Name\":\"x\"}]}",
		/* no Status */
		"{\"Accounts\":[{\"Id\":\"123456789012\",\"Name\":\"x\"}]}",
		/* Id a number */
		"{\"Accounts\":[{\"Id\":123456789012,\"Status\":\"ACTIVE\"}]}",
		/* 11 digits, then 12 with a letter, then not digits at all */
		"{\"Accounts\":[{\"Id\":\"12345678901\",\"Status\":\"ACTIVE\"}]}",
		"{\"Accounts\":[{\"Id\":\"12345678901x\",\"Status\":\"ACTIVE\"}]}",
		"{\"Accounts\":[{\"Id\":\"../../etc/pa\",\"Status\":\"ACTIVE\"}]}",
		"{\"Accounts\":[{\"Id\":\"123456789012\",\"Status\":\"ACTIVE\",\"Name\":7}]}",
		("{\"Accounts\":[{\"Id\":\"123456789012\",\"Status\":\"ACTIVE\","
		 "\"Name\":\"a\\u0000b\"}]}"),
		"{\"Accounts\":[{\"Id\":\"123456789012\",\"Status\":\"\"}]}",
		"{\"Accounts\":[\"123456789012\"]}",
		"{\"Accounts\":[],\"NextToken\":5}",
	};
	struct org_account_page p;
	struct si_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		memset(&p, 0x5a, sizeof(p));
		assert_int_equal(org_parse_list_accounts(docs[i], strlen(docs[i]), &p, &err), -1);
		assert_int_equal(err.code, SI_ERR_INVALID);
		/* Nothing left to free on failure. */
		assert_null(p.accounts);
		assert_null(p.next_token);
		assert_int_equal(p.n, 0);
	}
}

static void test_parse_rejects_garbage(void **state)
{
	static const char *docs[] = {
		"", "{", "[]", "null", "42", "\"Accounts\"", "{\"Accounts\":5}",
		"{\"accounts\":[]}", "{\"Accounts\":[]} {\"Accounts\":[]}", "{\"Accounts\":[]}x",
		"<ErrorResponse/>",
		"{\"Accounts\":[{\"Id\":\"123456789012\",\"Status\":\"ACTIVE\"}",
	};
	struct org_account_page p;
	struct si_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(org_parse_list_accounts(docs[i], strlen(docs[i]), &p, &err), -1);
		assert_int_equal(err.code, SI_ERR_INVALID);
		assert_null(p.accounts);
	}
	/* A length shorter than the text: only the prefix counts. */
	assert_int_equal(org_parse_list_accounts("{\"Accounts\":[]}", 5, &p, &err), -1);
}

static void test_parse_huge_inputs_hit_limits(void **state)
{
	size_t big = ORG_MAX_JSON + 1, n = 0;
	char *s = malloc(big + 1);
	struct org_account_page p;
	struct si_err err;

	(void)state;
	assert_non_null(s);
	/* Over the byte cap: refused before parsing. */
	memset(s, ' ', big);
	s[big] = '\0';
	assert_int_equal(org_parse_list_accounts(s, big, &p, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);

	/* Under the byte cap but over the per-page account cap. */
	n += (size_t)snprintf(s, big, "{\"Accounts\":[");
	for (int i = 0; i <= ORG_MAX_PAGE_ACCOUNTS; i++)
		n += (size_t)snprintf(s + n, big - n, "%s{\"Id\":\"%012d\",\"Status\":\"ACTIVE\"}",
				      i ? "," : "", i);
	n += (size_t)snprintf(s + n, big - n, "]}");
	assert_true(n < ORG_MAX_JSON);
	assert_int_equal(org_parse_list_accounts(s, n, &p, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);

	/* A NextToken over its cap. */
	n = (size_t)snprintf(s, big, "{\"Accounts\":[],\"NextToken\":\"");
	memset(s + n, 'A', ORG_MAX_TOKEN + 1);
	n += ORG_MAX_TOKEN + 1;
	n += (size_t)snprintf(s + n, big - n, "\"}");
	assert_int_equal(org_parse_list_accounts(s, n, &p, &err), -1);
	assert_int_equal(err.code, SI_ERR_LIMIT);

	/* Nesting deeper than the tokener allows. */
	n = 0;
	for (int i = 0; i < 1000; i++)
		s[n++] = '[';
	assert_int_equal(org_parse_list_accounts(s, n, &p, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	free(s);
}

/* ---- aliases -------------------------------------------------------------- */

static void test_alias_sanitising(void **state)
{
	static const struct {
		const char *name;
		const char *alias;
	} cases[] = {
		{ "production", "production" },
		{ "Production", "production" },
		{ "Acme Corp (EU)", "acme-corp-eu" },
		{ "  --Shared__Services--  ", "shared__services" },
		{ "a.b/c:d", "a-b-c-d" },
		{ "\xc3\x9cnic\xc3\xb8" "de Prod", "nic-de-prod" }, /* UTF-8 is not [a-z] */
		{ "\xe6\x97\xa5\xe6\x9c\xac", "123456789012" },      /* nothing left: the id */
		{ "---", "123456789012" },
		{ "", "123456789012" },
		{ NULL, "123456789012" },
		{ "acct-000-production", "acct-000-production" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(org_alias_from_name(cases[i].name, "123456789012", out,
						     sizeof(out), NULL), 0);
		assert_string_equal(out, cases[i].alias);
	}
}

static void test_alias_is_cut_to_name_max(void **state)
{
	char name[200], out[64];

	(void)state;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(org_alias_from_name(name, "123456789012", out, sizeof(out), NULL), 0);
	assert_int_equal(strlen(out), ORG_ALIAS_NAME_MAX);
	/* Too small a buffer is refused, not overflowed. */
	assert_int_equal(org_alias_from_name("x", "123456789012", out, 8, NULL), -1);
}

static void test_build_filters_inactive_and_builds_arns(void **state)
{
	struct org_account_info in[] = {
		{ "111111111111", "Prod", "ACTIVE", NULL },
		{ "222222222222", "Gone", "SUSPENDED", NULL },
		{ "333333333333", "Closing", "PENDING_CLOSURE", NULL },
		{ "444444444444", "Dev", "ACTIVE", NULL },
	};
	char *regions[] = { "eu-west-2", "us-east-1" };
	struct si_account *a;
	size_t n;

	(void)state;
	assert_int_equal(org_accounts_build(in, 4, "aws-cn", "Reader", regions, 2, &a, &n, NULL),
			 0);
	assert_int_equal(n, 2);
	/* Sorted by alias. */
	assert_string_equal(a[0].alias, "dev");
	assert_string_equal(a[0].role_arn, "arn:aws-cn:iam::444444444444:role/Reader");
	assert_string_equal(a[1].alias, "prod");
	assert_string_equal(a[1].role_arn, "arn:aws-cn:iam::111111111111:role/Reader");
	assert_null(a[1].external_id);
	assert_int_equal(a[1].n_regions, 2);
	assert_string_equal(a[1].regions[0], "eu-west-2");
	assert_string_equal(a[1].regions[1], "us-east-1");
	assert_ptr_not_equal(a[1].regions[0], regions[0]);
	assert_int_equal(a[1].n_allowed_channels, 0);
	org_accounts_free(a, n);
}

static void test_build_suffixes_every_colliding_alias(void **state)
{
	struct org_account_info in[] = {
		{ "222222222222", "Prod", "ACTIVE", NULL },
		{ "111111111111", "prod!", "ACTIVE", NULL },
		{ "333333333333", "staging", "ACTIVE", NULL },
		{ "444444444444", "PROD", "SUSPENDED", NULL }, /* inactive: no collision */
		{ "555555555555", "Staging ", "ACTIVE", NULL },
		{ "666666666666", "dev", "ACTIVE", NULL },
	};
	char *regions[] = { "us-east-1" };
	struct si_account *a;
	size_t n;

	(void)state;
	assert_int_equal(org_accounts_build(in, 6, "aws", "R", regions, 1, &a, &n, NULL), 0);
	assert_int_equal(n, 5);
	assert_string_equal(a[0].alias, "dev");
	assert_string_equal(a[1].alias, "prod-111111111111");
	assert_string_equal(a[1].role_arn, "arn:aws:iam::111111111111:role/R");
	assert_string_equal(a[2].alias, "prod-222222222222");
	assert_string_equal(a[2].role_arn, "arn:aws:iam::222222222222:role/R");
	assert_string_equal(a[3].alias, "staging-333333333333");
	assert_string_equal(a[4].alias, "staging-555555555555");
	org_accounts_free(a, n);
}

static void test_build_refuses_unresolvable_collisions(void **state)
{
	/* A literal "prod-111111111111" meets the suffixed one. */
	struct org_account_info in1[] = {
		{ "111111111111", "prod", "ACTIVE", NULL },
		{ "222222222222", "prod", "ACTIVE", NULL },
		{ "333333333333", "prod-111111111111", "ACTIVE", NULL },
	};
	/* The same id listed twice. */
	struct org_account_info in2[] = {
		{ "111111111111", "x", "ACTIVE", NULL },
		{ "111111111111", "x", "ACTIVE", NULL },
	};
	struct si_account *a = (void *)1;
	size_t n = 7;
	struct si_err err;

	(void)state;
	assert_int_equal(org_accounts_build(in1, 3, "aws", "R", NULL, 0, &a, &n, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "prod-111111111111"));
	assert_null(a);
	assert_int_equal(n, 0);
	assert_int_equal(org_accounts_build(in2, 2, "aws", "R", NULL, 0, &a, &n, &err), -1);
}

/* ---- the stand-in ------------------------------------------------------- */

static size_t s_sink(char *p, size_t sz, size_t nm, void *ud)
{
	struct json_tokener *tok = ud;

	(void)tok;
	(void)p;
	return sz * nm;
}

struct body {
	char data[65536];
	size_t len;
};

static size_t s_collect(char *p, size_t sz, size_t nm, void *ud)
{
	struct body *b = ud;
	size_t n = sz * nm;

	if (b->len + n >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* POST (body non-NULL) or GET the control API; returns the HTTP status. */
static long control(const struct fixture *fx, const char *path, const char *body,
		    struct body *out)
{
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (out != NULL) {
		out->len = 0;
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	} else {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_sink);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

/* Arm a stand-in fault: POST {"account":..,"kind":..[,"service":..]} to
 * /_control/fault (no "service" key when service is NULL). Returns the
 * HTTP status. */
static long fault(const struct fixture *fx, const char *account, const char *kind,
		  const char *service)
{
	char body[256];
	int n;

	if (service != NULL)
		n = snprintf(body, sizeof(body),
			     "{\"account\":\"%s\",\"kind\":\"%s\",\"service\":\"%s\"}",
			     account, kind, service);
	else
		n = snprintf(body, sizeof(body), "{\"account\":\"%s\",\"kind\":\"%s\"}",
			     account, kind);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	return control(fx, "/_control/fault", body, NULL);
}

/* stats.<group>.<key> from GET /_control/stats, 0 when absent. */
static long stat_of(const struct fixture *fx, const char *group, const char *key)
{
	struct body *b = calloc(1, sizeof(*b));
	struct json_object *root, *g = NULL, *v = NULL;
	long n = 0;

	assert_non_null(b);
	assert_int_equal(control(fx, "/_control/stats", NULL, b), 200);
	root = json_tokener_parse(b->data);
	assert_non_null(root);
	if (json_object_object_get_ex(root, group, &g) && json_object_object_get_ex(g, key, &v))
		n = (long)json_object_get_int64(v);
	json_object_put(root);
	free(b);
	return n;
}

static void reset_standin(const struct fixture *fx)
{
	assert_int_equal(control(fx, "/_control/reset", "{\"credentials\":true}", NULL), 200);
	assert_int_equal(control(fx, "/_control/clear-faults", "{}", NULL), 200);
}

static int standin_start(struct fixture *fx, const char *srcdir)
{
	char script[1100], pf[128];

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_org.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(script, sizeof(script), "%s/tests/standin/aws_standin.py", srcdir);
	snprintf(pf, sizeof(pf), "%s/port", fx->dir);
	fx->pid = fork();
	if (fx->pid < 0)
		return -1;
	if (fx->pid == 0) {
		char *argv[] = { "python3", script, "--port", "0", "--port-file", pf,
				 "--generate-org", "25", "3", "1", "--quiet", NULL };
		/* The port goes to the port file; keep the test output clean. */
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execvp("python3", argv);
		_exit(127);
	}
	for (int i = 0; i < STANDIN_WAIT_STEPS; i++) {
		FILE *f;
		int st;

		if (waitpid(fx->pid, &st, WNOHANG) == fx->pid) {
			fx->pid = 0;
			return -1;
		}
		f = fopen(pf, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &fx->port) == 1;

			fclose(f);
			if (ok && fx->port > 0)
				return 0;
		}
		sleep_ms(STANDIN_WAIT_STEP_MS);
	}
	return -1;
}

static void standin_stop(struct fixture *fx)
{
	char p[128];
	int st;

	if (fx->pid > 0) {
		kill(fx->pid, SIGTERM);
		(void)waitpid(fx->pid, &st, 0);
		fx->pid = 0;
	}
	if (fx->dir[0]) {
		snprintf(p, sizeof(p), "%s/port", fx->dir);
		(void)unlink(p);
		(void)rmdir(fx->dir);
	}
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("SI_SRCDIR");

	if (fx == NULL)
		return -1;
	if (standin_start(fx, src != NULL && src[0] ? src : ".") != 0) {
		fprintf(stderr, "cannot start aws_standin.py (SI_SRCDIR=%s)\n", src ? src : ".");
		standin_stop(fx);
		free(fx);
		return -1;
	}
	snprintf(fx->env_store[0], sizeof(fx->env_store[0]), "AWS_ENDPOINT_URL=http://127.0.0.1:%d",
		 fx->port);
	snprintf(fx->env_store[1], sizeof(fx->env_store[1]), "AWS_ACCESS_KEY_ID=" BASE_AKID);
	snprintf(fx->env_store[2], sizeof(fx->env_store[2]), "AWS_SECRET_ACCESS_KEY=" BASE_SECRET);
	for (int i = 0; i < 3; i++)
		fx->envp[i] = fx->env_store[i];
	fx->base = aws_creds_provider_env_new(fx->envp, NULL);
	if (fx->base == NULL) {
		standin_stop(fx);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < fx->n_clients; i++)
		aws_client_free(fx->clients[i]);
	aws_creds_provider_free(fx->base);
	standin_stop(fx);
	free(fx);
	return 0;
}

/* The settings discovery reads. regions: "all" or a list; strings point
 * at static storage. */
static void make_settings(struct org_settings *os, char **regions, size_t n_regions,
			  int refresh_s)
{
	memset(os, 0, sizeof(*os));
	os->role_name = ROLE_NAME;
	os->management_role_arn = MGMT_ROLE;
	os->regions = regions;
	os->n_regions = n_regions;
	os->refresh_s = refresh_s;
}

/* A fresh client with the [aws] values the tests used to configure. */
static struct aws_client *new_client(struct fixture *fx)
{
	const struct aws_client_opts co = {
		.connect_timeout_ms = 2000, .timeout_ms = 30000, .max_attempts = 3,
	};
	struct aws_client *c;
	struct si_err err;

	if (fx->n_clients == sizeof(fx->clients) / sizeof(fx->clients[0]))
		fail_msg("too many clients");
	c = aws_client_new(&co, fx->envp, fx->base, &err);
	if (c == NULL)
		fail_msg("aws_client_new: %s", err.msg);
	fx->clients[fx->n_clients++] = c;
	return c;
}

static struct org_discovery *new_discovery(struct fixture *fx, char **regions, size_t n,
					   int refresh_s)
{
	struct org_settings os;
	struct si_err err;
	struct org_discovery *d;

	make_settings(&os, regions, n, refresh_s);
	d = org_discovery_new(&os, new_client(fx), &err);
	if (d == NULL)
		fail_msg("org_discovery_new: %s", err.msg);
	return d;
}

static void test_new_refuses_unconfigured(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_settings os;
	struct aws_client *c = new_client(fx);
	struct si_err err;

	make_settings(&os, regions, 1, 900);
	os.role_name = NULL;
	assert_null(org_discovery_new(&os, c, &err));
	assert_int_equal(err.code, SI_ERR_INVALID);
	make_settings(&os, regions, 1, 900);
	os.management_role_arn = "arn:nope:iam::400000000000:role/X";
	assert_null(org_discovery_new(&os, c, &err));
	assert_null(org_discovery_new(&os, NULL, &err));
	org_discovery_free(NULL);
	org_snapshot_unref(NULL);
	assert_null(org_snapshot_ref(NULL));
}

static void test_discovery_lists_every_active_account(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "eu-west-2", "us-east-1" };
	struct org_discovery *d;
	struct org_snapshot *s;
	struct si_err err;
	char alias[64], arn[128];
	static const char *envs[] = { "production", "staging", "dev", "qa" };

	reset_standin(fx);
	d = new_discovery(fx, regions, 2, 900);
	assert_null(org_discovery_get(d));
	if (org_discovery_refresh(d, 1700000000, &err) != 0)
		fail_msg("refresh: %s", err.msg);
	s = org_discovery_get(d);
	assert_non_null(s);
	assert_int_equal(s->n, N_ACCOUNTS);
	assert_int_equal(s->fetched_at, 1700000000);
	for (size_t i = 0; i < s->n; i++) {
		/* generate_org names accounts acct-NNN-<env>, ids 400000000000 + i;
		 * sorted by alias they come in index order. */
		snprintf(alias, sizeof(alias), "acct-%03zu-%s", i, envs[i % 4]);
		snprintf(arn, sizeof(arn), "arn:aws:iam::%012zu:role/" ROLE_NAME,
			 (size_t)400000000000ULL + i);
		assert_string_equal(s->accounts[i].alias, alias);
		assert_string_equal(s->accounts[i].role_arn, arn);
		assert_int_equal(s->accounts[i].n_regions, 2);
		assert_string_equal(s->accounts[i].regions[0], "eu-west-2");
		assert_string_equal(s->accounts[i].regions[1], "us-east-1");
	}
	/* The stand-in serves at most 20 accounts a page (ORG_PAGE_SIZE, the
	 * AWS maximum): 25 accounts take exactly two ListAccounts calls. */
	assert_int_equal(stat_of(fx, "by_action", "ListAccounts"),
			 (N_ACCOUNTS + ORG_PAGE_SIZE - 1) / ORG_PAGE_SIZE);
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), 1);
	assert_int_equal(stat_of(fx, "by_action", "DescribeRegions"), 0);
	/* A snapshot stays valid after the discovery is gone. */
	org_discovery_free(d);
	assert_string_equal(s->accounts[0].alias, "acct-000-production");
	org_snapshot_unref(s);
}

static void test_discovery_all_regions_asks_each_account(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "all" };
	struct org_discovery *d;
	struct org_snapshot *s;
	struct si_err err;

	reset_standin(fx);
	d = new_discovery(fx, regions, 1, 900);
	if (org_discovery_refresh(d, time(NULL), &err) != 0)
		fail_msg("refresh: %s", err.msg);
	s = org_discovery_get(d);
	assert_non_null(s);
	assert_int_equal(s->n, N_ACCOUNTS);
	for (size_t i = 0; i < s->n; i++) {
		/* --generate-org A 3 I gives every account the first three of the
		 * stand-in's regions; DescribeRegions lists them sorted. */
		assert_int_equal(s->accounts[i].n_regions, 3);
		assert_string_equal(s->accounts[i].regions[0], "eu-west-1");
		assert_string_equal(s->accounts[i].regions[1], "eu-west-2");
		assert_string_equal(s->accounts[i].regions[2], "us-east-1");
	}
	assert_int_equal(stat_of(fx, "by_action", "DescribeRegions"), N_ACCOUNTS);
	assert_int_equal(stat_of(fx, "by_key", "DescribeRegions:400000000007:us-east-1"), 1);
	/* One role per account; here the management role is account 0's
	 * member role (the stand-in has one role per account), so the
	 * credentials cache serves it the second time. */
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), N_ACCOUNTS);
	org_snapshot_unref(s);

	/* A second refresh reuses the cached assumed-role credentials. */
	if (org_discovery_refresh(d, time(NULL), &err) != 0)
		fail_msg("refresh: %s", err.msg);
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), N_ACCOUNTS);
	assert_int_equal(stat_of(fx, "by_action", "DescribeRegions"), 2 * N_ACCOUNTS);
	org_discovery_free(d);
}

/* One client, one credential cache: the roles discovery assumed (regions =
 * all assumes every account's role) serve a search on the same client
 * without another AssumeRole, and the search's own calls go out with them
 * (the stand-in accepts EC2 calls only from credentials it issued). */
static void test_search_reuses_discovery_credentials(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "all" };
	const struct search_settings ss = { .deadline_ms = 20000, .max_inflight = 16 };
	/* Every generated instance's Name holds a '-': one call per target. */
	const struct search_term term = { .kind = SEARCH_TERM_NAME, .value = "-", .name_lc = "-",
					  .type = rt_by_name("instance") };
	struct search_spec spec;
	struct search_result res;
	struct search_engine *e;
	struct search_ctx *ctx;
	struct org_settings os;
	struct org_discovery *d;
	struct aws_client *c = new_client(fx);
	struct si_err err;

	reset_standin(fx);
	make_settings(&os, regions, 1, 900);
	d = org_discovery_new(&os, c, &err);
	assert_non_null(d);
	if (org_discovery_refresh(d, time(NULL), &err) != 0)
		fail_msg("refresh: %s", err.msg);
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), N_ACCOUNTS);

	e = search_engine_new(&ss, c, &err);
	assert_non_null(e);
	search_engine_set_org(e, d);
	ctx = search_ctx_new(7, &err);
	assert_non_null(ctx);
	memset(&spec, 0, sizeof(spec));
	spec.terms = &term;
	spec.n_terms = 1;
	spec.text = "-";
	if (search_run(e, ctx, &spec, &res, &err) != 0)
		fail_msg("search: %s", err.msg);
	assert_int_equal(res.n_targets, N_ACCOUNTS * 3);
	assert_int_equal(res.n_failures, 0);
	assert_true(res.n_matches > 0);
	/* Not one more AssumeRole: the search found every role cached. */
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), N_ACCOUNTS);
	search_result_free(&res);
	search_ctx_free(ctx);
	search_engine_free(e);
	org_discovery_free(d);
}

static void test_region_failure_keeps_previous_regions(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "all" };
	struct org_discovery *d;
	struct org_snapshot *s;
	struct si_err err;
	FILE *log = tmpfile();
	char line[4096];
	int warned = 0;

	assert_non_null(log);
	reset_standin(fx);
	d = new_discovery(fx, regions, 1, 900);
	org_discovery_set_log(d, log);
	assert_int_equal(org_discovery_refresh(d, 1000, &err), 0);
	/* Account 5 refuses EC2 now: it keeps the regions it had. */
	assert_int_equal(fault(fx, "400000000005", "ec2-unauthorized", NULL), 200);
	assert_int_equal(org_discovery_refresh(d, 2000, &err), 0);
	s = org_discovery_get(d);
	assert_int_equal(s->fetched_at, 2000);
	assert_int_equal(s->n, N_ACCOUNTS);
	assert_string_equal(s->accounts[5].alias, "acct-005-staging");
	assert_int_equal(s->accounts[5].n_regions, 3);
	org_snapshot_unref(s);
	org_discovery_free(d);

	/* A fresh discovery has nothing to fall back on: the account is left
	 * out (its role is most likely not deployed yet), the rest served. */
	d = new_discovery(fx, regions, 1, 900);
	org_discovery_set_log(d, log);
	assert_int_equal(org_discovery_refresh(d, 3000, &err), 0);
	s = org_discovery_get(d);
	assert_int_equal(s->n, N_ACCOUNTS - 1);
	for (size_t i = 0; i < s->n; i++)
		assert_string_not_equal(s->accounts[i].alias, "acct-005-staging");
	org_snapshot_unref(s);
	org_discovery_free(d);

	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL) {
		assert_null(strstr(line, BASE_SECRET));
		if (strstr(line, "level=warn") && strstr(line, "UnauthorizedOperation") &&
		    strstr(line, "first_account=acct-005-staging"))
			warned++;
	}
	assert_int_equal(warned, 2);
	fclose(log);
}

/* Issue 11: when the endpoint forgets the sessions it issued, a refresh
 * drops the refused credentials (management role and member roles alike)
 * and assumes each role again, once, instead of failing until they would
 * have expired. */
static void test_refresh_reassumes_forgotten_credentials(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_discovery *d;
	struct org_snapshot *s;
	struct si_err err;
	int before;

	reset_standin(fx);
	d = new_discovery(fx, regions, 1, 900);
	assert_int_equal(org_discovery_refresh(d, 1000, &err), 0);
	before = stat_of(fx, "by_action", "AssumeRole");
	assert_true(before > 0);
	assert_int_equal(control(fx, "/_control/forget-credentials", "{}", NULL), 200);
	if (org_discovery_refresh(d, 2000, &err) != 0)
		fail_msg("refresh after forgotten credentials: %s", err.msg);
	/* Every role was assumed once more, no more. */
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), 2 * before);
	s = org_discovery_get(d);
	assert_non_null(s);
	assert_int_equal(s->fetched_at, 2000);
	assert_int_equal(s->n, N_ACCOUNTS);
	org_snapshot_unref(s);
	org_discovery_free(d);
}

static void test_refresh_failure_keeps_last_snapshot(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_discovery *d;
	struct org_snapshot *good, *s;
	struct si_err err;

	reset_standin(fx);
	d = new_discovery(fx, regions, 1, 900);
	assert_int_equal(org_discovery_refresh(d, 1000, &err), 0);
	good = org_discovery_get(d);
	assert_non_null(good);

	/* Organizations answers 500: retried (max_attempts 3), then failed. */
	assert_int_equal(fault(fx, MGMT_ACCOUNT, "http500", "organizations"), 200);
	assert_int_equal(org_discovery_refresh(d, 2000, &err), -1);
	assert_int_equal(err.code, SI_ERR_REMOTE);
	assert_non_null(strstr(err.msg, "ServiceException"));
	assert_int_equal(stat_of(fx, "by_status", "500"), 3);
	s = org_discovery_get(d);
	assert_ptr_equal(s, good);
	assert_int_equal(s->fetched_at, 1000);
	assert_int_equal(s->n, N_ACCOUNTS);
	org_snapshot_unref(s);

	/* The management role can no longer be assumed and the credentials
	 * we hold are forgotten by the stand-in. The refresh is refused them
	 * (UnrecognizedClientException), drops them and assumes the role
	 * again at once (issue 11), which is denied; so is the next one. */
	assert_int_equal(control(fx, "/_control/reset", "{\"credentials\":true}", NULL), 200);
	assert_int_equal(fault(fx, MGMT_ACCOUNT, "sts-access-denied", NULL), 200);
	assert_int_equal(org_discovery_refresh(d, 3000, &err), -1);
	assert_non_null(strstr(err.msg, "AccessDenied"));
	/* AccessDenied is not retried: one AssumeRole call per refresh. */
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), 1);
	assert_int_equal(org_discovery_refresh(d, 4000, &err), -1);
	assert_non_null(strstr(err.msg, "AccessDenied"));
	assert_null(strstr(err.msg, BASE_SECRET));
	assert_int_equal(stat_of(fx, "by_action", "AssumeRole"), 2);
	s = org_discovery_get(d);
	assert_ptr_equal(s, good);
	org_snapshot_unref(s);

	/* Recovery: the next good refresh replaces the snapshot. */
	assert_int_equal(control(fx, "/_control/clear-faults", "{}", NULL), 200);
	assert_int_equal(org_discovery_refresh(d, 5000, &err), 0);
	s = org_discovery_get(d);
	assert_ptr_not_equal(s, good);
	assert_int_equal(s->fetched_at, 5000);
	assert_int_equal(s->n, N_ACCOUNTS);
	org_snapshot_unref(s);
	/* The old one is still readable by whoever held it. */
	assert_int_equal(good->n, N_ACCOUNTS);
	org_snapshot_unref(good);
	org_discovery_free(d);
}

static void test_background_thread_refreshes_and_stops(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_discovery *d;
	struct org_snapshot *s = NULL;
	struct si_err err;
	FILE *log = tmpfile();
	char line[4096];
	time_t first = 0;
	int done = 0, i;
	double t0;

	assert_non_null(log);
	reset_standin(fx);
	d = new_discovery(fx, regions, 1, 1);
	org_discovery_set_log(d, log);
	assert_int_equal(org_discovery_start(d, &err), 0);
	assert_int_equal(org_discovery_start(d, &err), -1); /* one thread only */
	/* The first refresh runs at once; then another one a second later. */
	for (i = 0; i < THREAD_WAIT_STEPS; i++) {
		s = org_discovery_get(d);
		if (s != NULL && first == 0)
			first = s->fetched_at;
		if (s != NULL && s->fetched_at > first)
			break;
		org_snapshot_unref(s);
		s = NULL;
		sleep_ms(THREAD_WAIT_STEP_MS);
	}
	assert_non_null(s);
	assert_int_equal(s->n, N_ACCOUNTS);
	org_snapshot_unref(s);
	assert_true(stat_of(fx, "by_action", "ListAccounts") >= 4);
	t0 = mono_s();
	org_discovery_free(d);
	/* Stop is a condvar signal, not the end of a 1 s sleep. */
	assert_true(mono_s() - t0 < 0.5);

	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL) {
		assert_null(strstr(line, BASE_SECRET));
		if (strstr(line, "msg=\"org refresh done\"") && strstr(line, "accounts=25"))
			done++;
	}
	assert_true(done >= 2);
	fclose(log);
}

static void test_background_failure_is_logged(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_discovery *d;
	struct si_err err;
	FILE *log = tmpfile();
	char line[4096];
	int failed = 0;

	assert_non_null(log);
	reset_standin(fx);
	assert_int_equal(fault(fx, MGMT_ACCOUNT, "sts-access-denied", NULL), 200);
	d = new_discovery(fx, regions, 1, 1);
	org_discovery_set_log(d, log);
	assert_int_equal(org_discovery_start(d, &err), 0);
	for (int i = 0; i < THREAD_WAIT_STEPS && stat_of(fx, "by_action", "AssumeRole") < 3; i++)
		sleep_ms(THREAD_WAIT_STEP_MS);
	assert_true(stat_of(fx, "by_action", "AssumeRole") >= 3);
	assert_null(org_discovery_get(d));
	org_discovery_free(d);

	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL) {
		assert_null(strstr(line, BASE_SECRET));
		assert_non_null(strchr(line, '\n'));
		if (strstr(line, "level=warn") && strstr(line, "msg=\"org refresh failed\"") &&
		    strstr(line, "AccessDenied") && strstr(line, "accounts=0"))
			failed++;
	}
	assert_true(failed >= 2);
	fclose(log);
}

static void test_free_aborts_a_hanging_call(void **state)
{
	struct fixture *fx = *state;
	char *regions[] = { "us-east-1" };
	struct org_discovery *d;
	struct si_err err;
	double t0;

	reset_standin(fx);
	assert_int_equal(fault(fx, "*", "hang", "organizations"), 200);
	d = new_discovery(fx, regions, 1, 900);
	org_discovery_set_log(d, stderr);
	assert_int_equal(org_discovery_start(d, &err), 0);
	for (int i = 0; i < THREAD_WAIT_STEPS && stat_of(fx, "by_action", "AssumeRole") < 1; i++)
		sleep_ms(THREAD_WAIT_STEP_MS);
	sleep_ms(200); /* let the ListAccounts call reach the hang */
	t0 = mono_s();
	org_discovery_free(d);
	/* aws_timeout_ms is 30 s; libcurl's progress callback runs at least
	 * once a second, which is when the stop is noticed. */
	assert_true(mono_s() - t0 < 3.0);
	reset_standin(fx);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_parse_valid_page),
		cmocka_unit_test(test_parse_last_page_has_no_token),
		cmocka_unit_test(test_parse_missing_name_is_allowed),
		cmocka_unit_test(test_parse_rejects_bad_entries),
		cmocka_unit_test(test_parse_rejects_garbage),
		cmocka_unit_test(test_parse_huge_inputs_hit_limits),
		cmocka_unit_test(test_alias_sanitising),
		cmocka_unit_test(test_alias_is_cut_to_name_max),
		cmocka_unit_test(test_build_filters_inactive_and_builds_arns),
		cmocka_unit_test(test_build_suffixes_every_colliding_alias),
		cmocka_unit_test(test_build_refuses_unresolvable_collisions),
	};
	const struct CMUnitTest standin[] = {
		cmocka_unit_test(test_new_refuses_unconfigured),
		cmocka_unit_test(test_discovery_lists_every_active_account),
		cmocka_unit_test(test_discovery_all_regions_asks_each_account),
		cmocka_unit_test(test_search_reuses_discovery_credentials),
		cmocka_unit_test(test_region_failure_keeps_previous_regions),
		cmocka_unit_test(test_refresh_reassumes_forgotten_credentials),
		cmocka_unit_test(test_refresh_failure_keeps_last_snapshot),
		cmocka_unit_test(test_background_thread_refreshes_and_stops),
		cmocka_unit_test(test_background_failure_is_logged),
		cmocka_unit_test(test_free_aborts_a_hanging_call),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("org_pure", pure, NULL, NULL);
	rc += cmocka_run_group_tests_name("org_standin", standin, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
