/*
 * test_slack_cmd.c - slash-command parsing against Slack bodies from the
 * shared test data, and the response_url allow-list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "slack/cmd.h"

static char *s_path(const char *rel)
{
	const char *root = getenv("SI_TESTDATA");
	char *p;
	int n;

	if (root == NULL || root[0] == '\0')
		fail_msg("SI_TESTDATA is not set");
	n = snprintf(NULL, 0, "%s/%s", root, rel);
	assert_true(n > 0);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(snprintf(p, (size_t)n + 1, "%s/%s", root, rel), n);
	return p;
}

static char *s_read(const char *rel, size_t *len)
{
	char *path = s_path(rel);
	FILE *f = fopen(path, "rb");
	char *data;
	long sz;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	data = malloc((size_t)sz + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)sz, f), (size_t)sz);
	data[sz] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)sz;
	return data;
}

static void s_parse_file(const char *rel, struct slack_cmd *c)
{
	size_t len;
	char *body = s_read(rel, &len);
	struct si_err err;

	si_err_clear(&err);
	if (slack_cmd_parse(body, len, c, &err) != 0)
		fail_msg("parse of %s failed: %s", rel, err.msg);
	free(body);
}

static void s_parse_ok(const char *body, struct slack_cmd *c)
{
	struct si_err err;

	if (slack_cmd_parse(body, strlen(body), c, &err) != 0)
		fail_msg("parse of '%s' failed: %s", body, err.msg);
}

static void s_parse_fail(const char *body, enum si_err_code code, const char *needle)
{
	struct slack_cmd c, zero;
	struct si_err err;

	memset(&c, 0x5a, sizeof(c));
	memset(&zero, 0, sizeof(zero));
	si_err_clear(&err);
	if (slack_cmd_parse(body, strlen(body), &c, &err) != -1)
		fail_msg("parse of '%s' unexpectedly succeeded", body);
	assert_int_equal(err.code, code);
	assert_memory_equal(&c, &zero, sizeof(c));
	if (needle != NULL && strstr(err.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	slack_cmd_free(&c);
}

/* The expected JSON names fields by their Slack names; map them. */
static const char *s_field(const struct slack_cmd *c, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{ "command", offsetof(struct slack_cmd, command) },
		{ "text", offsetof(struct slack_cmd, text) },
		{ "response_url", offsetof(struct slack_cmd, response_url) },
		{ "user_id", offsetof(struct slack_cmd, user_id) },
		{ "user_name", offsetof(struct slack_cmd, user_name) },
		{ "team_id", offsetof(struct slack_cmd, team_id) },
		{ "team_domain", offsetof(struct slack_cmd, team_domain) },
		{ "enterprise_id", offsetof(struct slack_cmd, enterprise_id) },
		{ "enterprise_name", offsetof(struct slack_cmd, enterprise_name) },
		{ "channel_id", offsetof(struct slack_cmd, channel_id) },
		{ "channel_name", offsetof(struct slack_cmd, channel_name) },
		{ "trigger_id", offsetof(struct slack_cmd, trigger_id) },
		{ "api_app_id", offsetof(struct slack_cmd, api_app_id) },
		{ "token", offsetof(struct slack_cmd, token) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].name, name) == 0)
			return *(char *const *)((const char *)c + map[i].off);
	}
	fail_msg("expected.json names unknown field %s", name);
	return NULL;
}

static void test_weather_matches_expected_json(void **state)
{
	struct slack_cmd c;
	char *path = s_path("slack/slash-command-weather.java-slack-sdk.expected.json");
	json_object *root = json_object_from_file(path);
	size_t n = 0;

	(void)state;
	if (root == NULL)
		fail_msg("cannot parse %s", path);
	s_parse_file("slack/slash-command-weather.java-slack-sdk.body.txt", &c);
	json_object_object_foreach(root, key, val) {
		const char *got = s_field(&c, key);

		if (got == NULL)
			fail_msg("field %s missing", key);
		assert_string_equal(got, json_object_get_string(val));
		n++;
	}
	/* Guard against an empty or truncated JSON passing vacuously. */
	assert_int_equal(n, 13);
	assert_string_equal(c.enterprise_name, "Globular Construct Inc");
	/* Fields not in the body stay NULL. */
	assert_null(c.api_app_id);
	assert_false(c.is_enterprise_install);
	assert_false(c.ssl_check);
	json_object_put(root);
	free(path);
	slack_cmd_free(&c);
}

static void test_hello_world_bolt_python(void **state)
{
	struct slack_cmd c;

	(void)state;
	s_parse_file("slack/slash-command-hello-world.bolt-python.body.txt", &c);
	assert_string_equal(c.command, "/hello-world");
	assert_string_equal(c.text, "Hi");
	assert_string_equal(c.enterprise_name, "Org Name");
	assert_string_equal(c.response_url, "https://hooks.slack.com/commands/T111/111/xxxxx");
	assert_string_equal(c.user_id, "W111");
	assert_string_equal(c.user_name, "primary-owner");
	assert_string_equal(c.team_id, "T111");
	assert_string_equal(c.team_domain, "test-domain");
	assert_string_equal(c.enterprise_id, "E111");
	assert_string_equal(c.channel_id, "C111");
	assert_string_equal(c.channel_name, "random");
	assert_string_equal(c.trigger_id, "111.111.xxx");
	assert_string_equal(c.token, "verification_token");
	assert_null(c.api_app_id);
	slack_cmd_free(&c);
}

static void test_signing_example_body(void **state)
{
	struct slack_cmd c;

	(void)state;
	s_parse_file("slack/signing/body.txt", &c);
	assert_string_equal(c.command, "/webhook-collect");
	/* "text=" is present but empty: "" not NULL. */
	assert_non_null(c.text);
	assert_string_equal(c.text, "");
	assert_string_equal(c.response_url,
		"https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
	assert_string_equal(c.channel_name, "foobar");
	assert_string_equal(c.user_name, "roadrunner");
	assert_string_equal(c.trigger_id,
			    "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
	assert_null(c.enterprise_id);
	assert_null(c.enterprise_name);
	slack_cmd_free(&c);
}

static void test_flags_and_app_id(void **state)
{
	struct slack_cmd c;

	(void)state;
	s_parse_ok("command=%2Finfra-search&text=web-01+eu-west-2&api_app_id=A123"
		   "&is_enterprise_install=true&unknown_new_field=x", &c);
	assert_string_equal(c.text, "web-01 eu-west-2");
	assert_string_equal(c.api_app_id, "A123");
	assert_true(c.is_enterprise_install);
	assert_false(c.ssl_check);
	slack_cmd_free(&c);
	s_parse_ok("is_enterprise_install=false", &c);
	assert_false(c.is_enterprise_install);
	assert_null(c.command);
	slack_cmd_free(&c);
}

static void test_ssl_check(void **state)
{
	struct slack_cmd c;

	(void)state;
	s_parse_ok("token=abc&ssl_check=1", &c);
	assert_true(c.ssl_check);
	assert_string_equal(c.token, "abc");
	assert_null(c.command);
	assert_null(c.text);
	assert_null(c.response_url);
	slack_cmd_free(&c);
	s_parse_ok("ssl_check=0", &c);
	assert_false(c.ssl_check);
	slack_cmd_free(&c);
}

static void test_empty_body_all_null(void **state)
{
	struct slack_cmd c, zero;
	struct si_err err;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(slack_cmd_parse("", 0, &c, &err), 0);
	assert_memory_equal(&c, &zero, sizeof(c));
	slack_cmd_free(&c);
}

static void test_bad_flags_rejected(void **state)
{
	(void)state;
	s_parse_fail("is_enterprise_install=yes", SI_ERR_INVALID, "is_enterprise_install");
	s_parse_fail("is_enterprise_install=TRUE", SI_ERR_INVALID, NULL);
	s_parse_fail("ssl_check=true", SI_ERR_INVALID, "ssl_check");
	s_parse_fail("ssl_check=", SI_ERR_INVALID, NULL);
	s_parse_fail("ssl_check=1&ssl_check=1", SI_ERR_INVALID, "more than once");
}

static void test_duplicate_known_field_rejected(void **state)
{
	(void)state;
	s_parse_fail("command=%2Fa&text=x&response_url=https%3A%2F%2Fhooks.slack.com%2Fa"
		     "&response_url=https%3A%2F%2Fevil.example%2F", SI_ERR_INVALID,
		     "response_url sent more than once");
	s_parse_fail("text=a&text=b", SI_ERR_INVALID, "text");
}

static void test_duplicate_unknown_field_ignored(void **state)
{
	struct slack_cmd c;

	(void)state;
	s_parse_ok("x=1&x=2&text=t", &c);
	assert_string_equal(c.text, "t");
	slack_cmd_free(&c);
}

static void test_form_errors_propagate_and_zero(void **state)
{
	struct slack_cmd c;
	struct si_err err;
	char body[2048];
	size_t used = 0, i;
	int n;

	(void)state;
	s_parse_fail("command=%2Fa&text=%", SI_ERR_INVALID, "percent-escape");
	s_parse_fail("command=%2Fa&text=a%00b", SI_ERR_INVALID, "NUL");
	/* Error after some fields were copied: nothing may leak (valgrind). */
	s_parse_fail("command=%2Fa&user_id=U1&text=x&text=y", SI_ERR_INVALID, NULL);
	for (i = 0; i < 65; i++) {
		n = snprintf(body + used, sizeof(body) - used, "&f%zu=1", i);
		assert_true(n > 0 && (size_t)n < sizeof(body) - used);
		used += (size_t)n;
	}
	s_parse_fail(body, SI_ERR_LIMIT, NULL);
	s_parse_fail("command=%zz", SI_ERR_INVALID, NULL);
	assert_int_equal(slack_cmd_parse(NULL, 4, &c, &err), -1);
	slack_cmd_free(&c);
}

static void test_free_is_safe(void **state)
{
	struct slack_cmd c;

	(void)state;
	memset(&c, 0, sizeof(c));
	slack_cmd_free(NULL);
	slack_cmd_free(&c);
	s_parse_ok("text=x", &c);
	slack_cmd_free(&c);
	assert_null(c.text);
	slack_cmd_free(&c);
}

/* --- response_url allow-list --- */

static const char *const s_prefix_noslash[] = { "https://hooks.slack.com" };
static const char *const s_prefix_slash[] = { "https://hooks.slack.com/" };
static const char *const s_prefix_path[] = { "https://hooks.slack.com/commands/" };

static int s_allowed(const char *url, const char *const *p)
{
	return slack_cmd_response_url_allowed(url, p, 1);
}

static void test_url_real_slack_urls_allowed(void **state)
{
	static const char *const ok[] = {
		"https://hooks.slack.com/commands/1234/5678",
		"https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
		"https://hooks.slack.com/commands/T111/111/xxxxx",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(s_allowed(ok[i], s_prefix_noslash));
		assert_true(s_allowed(ok[i], s_prefix_slash));
		assert_true(s_allowed(ok[i], s_prefix_path));
	}
}

static void test_url_userinfo_trick_rejected(void **state)
{
	static const char *const bad[] = {
		"https://hooks.slack.com@evil.example/commands/1",
		"https://hooks.slack.com:@evil.example/",
		"https://hooks.slack.com%40evil.example/",
		"https://user@hooks.slack.com/commands/1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (s_allowed(bad[i], s_prefix_noslash))
			fail_msg("%s allowed", bad[i]);
		assert_false(s_allowed(bad[i], s_prefix_slash));
	}
	/* The exact-authority rule already stops the tricks above; the '@'
	 * rule holds on its own, even against a prefix carrying userinfo. */
	assert_false(s_allowed("https://u:p@hooks.slack.com/commands/1",
			       (const char *const[]){ "https://u:p@hooks.slack.com/" }));
	/* An '@' after the authority (in the path or query) is harmless. */
	assert_true(s_allowed("https://hooks.slack.com/commands/a@b", s_prefix_noslash));
	assert_true(s_allowed("https://hooks.slack.com/x?u=a@b", s_prefix_noslash));
}

static void test_url_host_suffix_trick_rejected(void **state)
{
	(void)state;
	assert_false(s_allowed("https://hooks.slack.com.evil.example/commands/1",
			       s_prefix_noslash));
	assert_false(s_allowed("https://hooks.slack.community/", s_prefix_noslash));
	assert_false(s_allowed("https://hooks.slack.com:8443/commands/1", s_prefix_noslash));
	/* A prefix that ends mid-host never matches. */
	assert_false(s_allowed("https://hooks.slack.com/commands/1",
			       (const char *const[]){ "https://hooks.slack.co" }));
	/* The bare host, with query or fragment straight after, is fine. */
	assert_true(s_allowed("https://hooks.slack.com", s_prefix_noslash));
	assert_true(s_allowed("https://hooks.slack.com?x=1", s_prefix_noslash));
	assert_false(s_allowed("https://hooks.slack.com", s_prefix_slash));
}

static void test_url_case_and_scheme(void **state)
{
	(void)state;
	assert_false(s_allowed("HTTPS://hooks.slack.com/commands/1", s_prefix_noslash));
	assert_false(s_allowed("https://HOOKS.slack.com/commands/1", s_prefix_noslash));
	assert_false(s_allowed("http://hooks.slack.com/commands/1", s_prefix_noslash));
	assert_false(s_allowed("//hooks.slack.com/commands/1", s_prefix_noslash));
	assert_false(s_allowed("hooks.slack.com/commands/1", s_prefix_noslash));
	assert_false(s_allowed("https:/hooks.slack.com/commands/1", s_prefix_noslash));
}

static void test_url_bad_bytes_rejected(void **state)
{
	static const char *const bad[] = {
		"https://hooks.slack.com/commands/1 2",
		"https://hooks.slack.com/commands/1\r\nX-Injected: 1",
		"https://hooks.slack.com/commands/1\t",
		"https://hooks.slack.com/commands/\x7f",
		"https://hooks.slack.com/commands/\xc3\xa9",
		"https://hooks.slack.com\\@evil.example/",
		"https://hooks.slack.com\\.evil.example/",
		" https://hooks.slack.com/commands/1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (s_allowed(bad[i], s_prefix_noslash))
			fail_msg("'%s' allowed", bad[i]);
	}
}

static void test_url_dot_segments_rejected(void **state)
{
	static const char *const bad[] = {
		"https://hooks.slack.com/commands/../services/x",
		"https://hooks.slack.com/commands/./x",
		"https://hooks.slack.com/commands/..",
		"https://hooks.slack.com/commands/.",
		"https://hooks.slack.com/commands/%2e%2e/services",
		"https://hooks.slack.com/commands/%2E./x",
		"https://hooks.slack.com/commands/..?q",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (s_allowed(bad[i], s_prefix_path))
			fail_msg("'%s' allowed", bad[i]);
	}
	/* Dots inside names, and in the query, are ordinary. */
	assert_true(s_allowed("https://hooks.slack.com/commands/a..b/.x/x.", s_prefix_path));
	assert_true(s_allowed("https://hooks.slack.com/commands/1?next=/../x", s_prefix_path));
	assert_true(s_allowed("https://hooks.slack.com/commands/1#/../", s_prefix_path));
}

static void test_url_path_prefix(void **state)
{
	(void)state;
	assert_false(s_allowed("https://hooks.slack.com/services/T0/B0/x", s_prefix_path));
	assert_false(s_allowed("https://hooks.slack.com/commands", s_prefix_path));
	assert_true(s_allowed("https://hooks.slack.com/services/T0/B0/x", s_prefix_slash));
}

static void test_url_multiple_prefixes_and_degenerate(void **state)
{
	static const char *const many[] = {
		NULL, "", "https://example.test/hooks/", "https://hooks.slack.com/commands/",
	};
	static const char *const empty_only[] = { "" };

	(void)state;
	assert_true(slack_cmd_response_url_allowed("https://hooks.slack.com/commands/1", many, 4));
	assert_true(slack_cmd_response_url_allowed("https://example.test/hooks/1", many, 4));
	assert_false(slack_cmd_response_url_allowed("https://example.test/other", many, 4));
	/* Only the first n prefixes count. */
	assert_false(slack_cmd_response_url_allowed("https://hooks.slack.com/commands/1", many, 3));
	assert_false(slack_cmd_response_url_allowed("https://hooks.slack.com/commands/1", many, 0));
	assert_false(slack_cmd_response_url_allowed("https://hooks.slack.com/commands/1",
						     empty_only, 1));
	assert_false(slack_cmd_response_url_allowed(NULL, many, 4));
	assert_false(slack_cmd_response_url_allowed("https://hooks.slack.com/commands/1", NULL, 1));
	assert_false(slack_cmd_response_url_allowed("", many, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weather_matches_expected_json),
		cmocka_unit_test(test_hello_world_bolt_python),
		cmocka_unit_test(test_signing_example_body),
		cmocka_unit_test(test_flags_and_app_id),
		cmocka_unit_test(test_ssl_check),
		cmocka_unit_test(test_empty_body_all_null),
		cmocka_unit_test(test_bad_flags_rejected),
		cmocka_unit_test(test_duplicate_known_field_rejected),
		cmocka_unit_test(test_duplicate_unknown_field_ignored),
		cmocka_unit_test(test_form_errors_propagate_and_zero),
		cmocka_unit_test(test_free_is_safe),
		cmocka_unit_test(test_url_real_slack_urls_allowed),
		cmocka_unit_test(test_url_userinfo_trick_rejected),
		cmocka_unit_test(test_url_host_suffix_trick_rejected),
		cmocka_unit_test(test_url_case_and_scheme),
		cmocka_unit_test(test_url_bad_bytes_rejected),
		cmocka_unit_test(test_url_dot_segments_rejected),
		cmocka_unit_test(test_url_path_prefix),
		cmocka_unit_test(test_url_multiple_prefixes_and_degenerate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
