/*
 * test_slack_action.c - interaction payloads (slack/action.h): Slack's own
 * examples from the shared test data, parsed field by field against the
 * JSON they were built from, and hostile payloads refused with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "fixture.h"
#include "slack/action.h"
#include "util/buf.h"

#define BLOCK_ACTIONS "interactivity-block-actions.java-slack-sdk.json"
#define BLOCK_ACTIONS_FIELDS "interactivity-block-actions-fields.java-slack-sdk.json"
#define SHORTCUT_BODY "interactivity-shortcut.bolt-js.body.txt"

/* "payload=" and json percent-encoded (libcurl's escape: unreserved
 * bytes as they are, the rest %XX, as a form field may be). Caller
 * frees. */
static char *s_body(const char *json, size_t len)
{
	char *enc, *out;
	size_t n;

	assert_true(len < (size_t)1 << 30);
	enc = curl_easy_escape(NULL, json, (int)len);
	assert_non_null(enc);
	n = strlen(enc) + sizeof("payload=");
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "payload=%s", enc);
	curl_free(enc);
	return out;
}

/* Parse json as a payload; returns parse's result. */
static int s_parse_json(const char *json, struct slack_action *a, struct si_err *err)
{
	char *body = s_body(json, strlen(json));
	int rc = slack_action_parse(body, strlen(body), a, err);

	free(body);
	return rc;
}

static const char *s_jstr(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v = fixture_get(o, k1);

	if (k2 != NULL)
		v = fixture_get(v, k2);
	assert_non_null(v);
	return json_object_get_string(v);
}

/* Slack's documented block_actions example: every field we keep equals
 * the example's, read from the same file with json-c. */
static void test_block_actions_example(void **state)
{
	struct fixture_blob b = fixture_shared("slack", BLOCK_ACTIONS);
	struct json_object *j = fixture_json(&b, BLOCK_ACTIONS);
	struct json_object *act = json_object_array_get_idx(fixture_get(j, "actions"), 0);
	struct slack_action a;
	struct si_err err;

	(void)state;
	assert_int_equal(s_parse_json(b.data, &a, &err), 0);
	assert_int_equal(a.type, SLACK_ACTION_BLOCK_ACTIONS);
	assert_string_equal(a.type_name, s_jstr(j, "type", NULL));
	assert_string_equal(a.team_id, s_jstr(j, "team", "id"));
	assert_null(a.enterprise_id);
	assert_string_equal(a.user_id, s_jstr(j, "user", "id"));
	assert_string_equal(a.user_name, s_jstr(j, "user", "username"));
	assert_string_equal(a.channel_id, s_jstr(j, "channel", "id"));
	assert_string_equal(a.channel_name, s_jstr(j, "channel", "name"));
	assert_string_equal(a.response_url, s_jstr(j, "response_url", NULL));
	assert_int_equal(a.is_ephemeral,
			 json_object_get_boolean(fixture_get(fixture_get(j, "container"),
							     "is_ephemeral")));
	assert_int_equal(a.n_actions, json_object_array_length(fixture_get(j, "actions")));
	assert_string_equal(a.action_id, s_jstr(act, "action_id", NULL));
	assert_string_equal(a.value, s_jstr(act, "value", NULL));
	slack_action_free(&a);
	assert_null(a.team_id);
	json_object_put(j);
	free(b.data);
}

/* Every field the SDK has seen, values blanked: the blank ids are
 * refused (a press must say who and where), naming the first. */
static void test_block_actions_fields_blank(void **state)
{
	struct fixture_blob b = fixture_shared("slack", BLOCK_ACTIONS_FIELDS);
	struct slack_action a;
	struct si_err err;

	(void)state;
	assert_int_equal(s_parse_json(b.data, &a, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_non_null(strstr(err.msg, "team.id missing or empty"));
	assert_null(a.type_name);
	free(b.data);
}

static void s_set(struct json_object *o, const char *key, const char *v)
{
	assert_non_null(o);
	json_object_object_add(o, key, json_object_new_string(v));
}

/* The same 44 KB payload with ids filled in: its whole structure (view,
 * state, a message with every block type) parses within the limits. */
static void test_block_actions_fields_filled(void **state)
{
	struct fixture_blob b = fixture_shared("slack", BLOCK_ACTIONS_FIELDS);
	struct json_object *j = fixture_json(&b, BLOCK_ACTIONS_FIELDS);
	struct json_object *act = json_object_array_get_idx(fixture_get(j, "actions"), 0);
	struct slack_action a;
	struct si_err err;

	(void)state;
	s_set(fixture_get(j, "team"), "id", "T0001");
	s_set(fixture_get(j, "enterprise"), "id", "E0001");
	s_set(fixture_get(j, "user"), "id", "U0001");
	s_set(fixture_get(j, "user"), "name", "steve");
	s_set(fixture_get(j, "channel"), "id", "C0001");
	s_set(j, "response_url", "https://hooks.slack.com/actions/T0001/1/x");
	s_set(act, "action_id", "si_show_all");
	s_set(act, "value", "0123456789abcdef0123456789abcdef");
	json_object_object_add(fixture_get(j, "container"), "is_ephemeral",
			       json_object_new_boolean(1));
	assert_int_equal(s_parse_json(json_object_to_json_string(j), &a, &err), 0);
	assert_string_equal(a.team_id, "T0001");
	assert_string_equal(a.enterprise_id, "E0001");
	assert_string_equal(a.user_id, "U0001");
	assert_string_equal(a.user_name, "steve");   /* username is blank */
	assert_string_equal(a.channel_id, "C0001");
	assert_null(a.channel_name);                  /* blank */
	assert_int_equal(a.is_ephemeral, 1);
	assert_string_equal(a.action_id, "si_show_all");
	assert_string_equal(a.value, "0123456789abcdef0123456789abcdef");
	slack_action_free(&a);
	json_object_put(j);
	free(b.data);
}

/* A global shortcut's literal wire body: parsed (type and who, for the
 * log), reported as not a block action, with no action read. */
static void test_shortcut_body(void **state)
{
	struct fixture_blob b = fixture_shared("slack", SHORTCUT_BODY);
	struct slack_action a;
	struct si_err err;

	(void)state;
	assert_int_equal(slack_action_parse(b.data, b.len, &a, &err), 0);
	assert_int_equal(a.type, SLACK_ACTION_OTHER);
	assert_string_equal(a.type_name, "shortcut");
	assert_string_equal(a.team_id, "T111");
	assert_string_equal(a.enterprise_id, "E111");
	assert_string_equal(a.user_id, "W111");
	assert_string_equal(a.user_name, "primary-owner");
	assert_null(a.channel_id);
	assert_null(a.response_url);
	assert_null(a.action_id);
	slack_action_free(&a);
	free(b.data);
}

/* A minimal press as our buttons produce it; the cases below change it. */
#define GOOD_HEAD "{\"type\":\"block_actions\",\"team\":{\"id\":\"T1\"},"
#define GOOD_WHO "\"user\":{\"id\":\"U1\",\"username\":\"u\"},\"channel\":{\"id\":\"C1\"}," \
	"\"container\":{\"is_ephemeral\":true},"
#define GOOD_URL "\"response_url\":\"https://hooks.slack.com/actions/T1/2/x\","
#define GOOD_ACT "\"actions\":[{\"action_id\":\"si_share\",\"value\":\"v\"}]}"

static void test_minimal_and_fallbacks(void **state)
{
	struct slack_action a;
	struct si_err err;

	(void)state;
	assert_int_equal(s_parse_json(GOOD_HEAD GOOD_WHO GOOD_URL GOOD_ACT, &a, &err), 0);
	assert_int_equal(a.is_ephemeral, 1);
	assert_string_equal(a.action_id, "si_share");
	slack_action_free(&a);
	/* team null (org-wide install): user.team_id; channel only in the
	 * container; enterprise null; no value; trailing whitespace. */
	assert_int_equal(s_parse_json("{\"type\":\"block_actions\",\"team\":null,"
				      "\"enterprise\":null,\"user\":{\"id\":\"U1\","
				      "\"team_id\":\"T9\"},\"container\":{\"channel_id\":\"C9\"},"
				      GOOD_URL "\"actions\":[{\"action_id\":\"x\"}]}\n ",
				      &a, &err), 0);
	assert_string_equal(a.team_id, "T9");
	assert_string_equal(a.channel_id, "C9");
	assert_null(a.enterprise_id);
	assert_null(a.value);
	assert_int_equal(a.is_ephemeral, 0);
	slack_action_free(&a);
}

struct bad_case {
	const char *what;
	const char *json;        /* payload JSON; NULL: body is raw */
	const char *raw;
	enum si_err_code code;
	const char *msg;         /* expected in err.msg */
};

static const struct bad_case s_bad[] = {
	{ "no payload", NULL, "token=x&foo=bar", SI_ERR_INVALID, "no payload" },
	{ "two payloads", NULL, "payload=%7B%7D&payload=%7B%7D", SI_ERR_INVALID,
	  "more than once" },
	{ "bad escape", NULL, "payload=%7", SI_ERR_INVALID, "" },
	{ "not json", "not json", NULL, SI_ERR_INVALID, "not JSON" },
	{ "truncated", "{\"type\":\"block_actions\"", NULL, SI_ERR_INVALID, "not JSON" },
	{ "array", "[1]", NULL, SI_ERR_INVALID, "not a JSON object" },
	{ "trailing", "{\"type\":\"x\"} x", NULL, SI_ERR_INVALID, "trailing" },
	{ "no type", "{}", NULL, SI_ERR_INVALID, "type missing" },
	{ "empty type", "{\"type\":\"\"}", NULL, SI_ERR_INVALID, "type missing" },
	{ "type number", "{\"type\":1}", NULL, SI_ERR_INVALID, "type is not a string" },
	{ "team string", "{\"type\":\"block_actions\",\"team\":\"T1\"}", NULL, SI_ERR_INVALID,
	  "team is not an object" },
	{ "team.id number", "{\"type\":\"block_actions\",\"team\":{\"id\":7}}", NULL,
	  SI_ERR_INVALID, "team.id is not a string" },
	{ "no team", "{\"type\":\"block_actions\"," GOOD_WHO GOOD_URL GOOD_ACT, NULL,
	  SI_ERR_INVALID, "team.id missing" },
	{ "no user", GOOD_HEAD "\"channel\":{\"id\":\"C1\"}," GOOD_URL GOOD_ACT, NULL,
	  SI_ERR_INVALID, "user.id missing" },
	{ "no channel", GOOD_HEAD "\"user\":{\"id\":\"U1\"}," GOOD_URL GOOD_ACT, NULL,
	  SI_ERR_INVALID, "channel.id missing" },
	{ "no response_url", GOOD_HEAD GOOD_WHO GOOD_ACT, NULL, SI_ERR_INVALID,
	  "response_url missing" },
	{ "response_url number", GOOD_HEAD GOOD_WHO "\"response_url\":1," GOOD_ACT, NULL,
	  SI_ERR_INVALID, "response_url is not a string" },
	{ "no actions", GOOD_HEAD GOOD_WHO "\"response_url\":\"https://h/x\"}", NULL,
	  SI_ERR_INVALID, "actions missing" },
	{ "actions object", GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":{}}", NULL,
	  SI_ERR_INVALID, "actions missing or not an array" },
	{ "actions empty", GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[]}", NULL, SI_ERR_INVALID,
	  "actions is empty" },
	{ "action not object", GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[\"x\"]}", NULL,
	  SI_ERR_INVALID, "actions[0] is not an object" },
	{ "no action_id", GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[{\"value\":\"v\"}]}", NULL,
	  SI_ERR_INVALID, "actions[0].action_id missing" },
	{ "action_id array", GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[{\"action_id\":[]}]}",
	  NULL, SI_ERR_INVALID, "action_id is not a string" },
	{ "value number", GOOD_HEAD GOOD_WHO GOOD_URL
	  "\"actions\":[{\"action_id\":\"a\",\"value\":5}]}", NULL, SI_ERR_INVALID,
	  "value is not a string" },
	{ "is_ephemeral string", GOOD_HEAD "\"user\":{\"id\":\"U1\"},\"channel\":{\"id\":"
	  "\"C1\"},\"container\":{\"is_ephemeral\":\"true\"}," GOOD_URL GOOD_ACT, NULL,
	  SI_ERR_INVALID, "is_ephemeral is not a boolean" },
	{ "NUL in id", "{\"type\":\"block_actions\",\"team\":{\"id\":\"T\\u0000X\"}}", NULL,
	  SI_ERR_INVALID, "team.id holds a NUL byte" },
	{ "bad UTF-8", "{\"type\":\"block_actions\",\"user\":{\"name\":\"\xc3\x28\"}}", NULL,
	  SI_ERR_INVALID, "not JSON" },
};

static void test_bad_payloads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_bad) / sizeof(s_bad[0]); i++) {
		const struct bad_case *c = &s_bad[i];
		struct slack_action a, zero;
		struct si_err err;
		int rc;

		memset(&zero, 0, sizeof(zero));
		memset(&a, 0x5a, sizeof(a));
		if (c->json != NULL)
			rc = s_parse_json(c->json, &a, &err);
		else
			rc = slack_action_parse(c->raw, strlen(c->raw), &a, &err);
		if (rc != -1 || err.code != c->code || strstr(err.msg, c->msg) == NULL)
			fail_msg("%s: rc %d, code %d, msg \"%s\" (want \"%s\")", c->what, rc,
				 (int)err.code, err.msg, c->msg);
		if (memcmp(&a, &zero, sizeof(a)) != 0)
			fail_msg("%s: out not zeroed", c->what);
	}
}

/* A JSON text of n copies of unit between head and tail. Caller frees. */
static char *s_repeat(const char *head, const char *unit, size_t n, const char *mid,
		      const char *tail_unit, const char *tail)
{
	struct si_buf b;
	char *s;

	si_buf_init(&b, 64u << 20);
	assert_int_equal(si_buf_puts(&b, head, NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(si_buf_puts(&b, unit, NULL), 0);
	assert_int_equal(si_buf_puts(&b, mid, NULL), 0);
	for (size_t i = 0; tail_unit != NULL && i < n; i++)
		assert_int_equal(si_buf_puts(&b, tail_unit, NULL), 0);
	assert_int_equal(si_buf_puts(&b, tail, NULL), 0);
	s = si_buf_steal(&b);
	assert_non_null(s);
	return s;
}

static void s_expect(const char *json, enum si_err_code code, const char *msg)
{
	struct slack_action a;
	struct si_err err;

	if (s_parse_json(json, &a, &err) != -1 || err.code != code ||
	    strstr(err.msg, msg) == NULL)
		fail_msg("want %d \"%s\", got %d \"%s\"", (int)code, msg, (int)err.code, err.msg);
}

/* The limits: 1000 actions, nesting 1000 deep, ids and values past
 * their sizes, a payload past SLACK_ACTION_PAYLOAD_MAX. */
static void test_limits(void **state)
{
	char *s;

	(void)state;
	s = s_repeat(GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[", "{\"action_id\":\"a\"},", 999,
		     "{\"action_id\":\"a\"}", NULL, "]}");
	s_expect(s, SI_ERR_LIMIT, "1000 actions");
	free(s);
	s = s_repeat(GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[", "{\"action_id\":\"a\"},",
		     SLACK_ACTION_ACTIONS_MAX - 1, "{\"action_id\":\"a\"}", NULL, "]}");
	{
		struct slack_action a;
		struct si_err err;

		assert_int_equal(s_parse_json(s, &a, &err), 0);
		assert_int_equal(a.n_actions, SLACK_ACTION_ACTIONS_MAX);
		slack_action_free(&a);
	}
	free(s);
	s = s_repeat(GOOD_HEAD "\"x\":", "[", 1000, "1", "]", "}");
	s_expect(s, SI_ERR_INVALID, "not JSON");
	free(s);
	s = s_repeat(GOOD_HEAD "\"x\":", "{\"a\":", SLACK_ACTION_DEPTH_MAX, "1", "}", "}");
	s_expect(s, SI_ERR_INVALID, "not JSON");
	free(s);
	s = s_repeat(GOOD_HEAD "\"user\":{\"id\":\"", "U", SLACK_ACTION_ID_MAX + 1, "\"}",
		     NULL, "}");
	s_expect(s, SI_ERR_LIMIT, "user.id is longer than 63 bytes");
	free(s);
	s = s_repeat(GOOD_HEAD GOOD_WHO GOOD_URL "\"actions\":[{\"action_id\":\"a\",\"value\":\"",
		     "v", SLACK_ACTION_VALUE_MAX + 1, "\"}]}", NULL, "");
	s_expect(s, SI_ERR_LIMIT, "value is longer than 2000 bytes");
	free(s);
	s = s_repeat(GOOD_HEAD GOOD_WHO GOOD_URL GOOD_ACT, " ", SLACK_ACTION_PAYLOAD_MAX, "",
		     NULL, "");
	s_expect(s, SI_ERR_LIMIT, "payload of");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_actions_example),
		cmocka_unit_test(test_block_actions_fields_blank),
		cmocka_unit_test(test_block_actions_fields_filled),
		cmocka_unit_test(test_shortcut_body),
		cmocka_unit_test(test_minimal_and_fallbacks),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
