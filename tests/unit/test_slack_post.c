/*
 * test_slack_post.c - response_url delivery with retries (common/slack/post.c),
 * and Slack's error text kept from a refusal.
 *
 * Runs against tests/standin/slack_receiver.py, started here on 127.0.0.1
 * with an ephemeral port (--port 0 --port-file) and stopped at teardown.
 * SI_SRCDIR (repo root, default ".") locates the script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "slack/post.h"
#include "util/strutil.h"
#include "standin_proc.h"

/* Small backoff keeps the retry cases fast; the policy is what is tested. */
#define TEST_BACKOFF_MS 10L

struct fixture {
	struct standin_proc recv;
};

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *src = getenv("SI_SRCDIR");

	if (fx == NULL)
		return -1;
	if (standin_proc_start(&fx->recv, "slack_receiver.py") != 0) {
		fprintf(stderr, "cannot start slack_receiver.py (SI_SRCDIR=%s)\n", src ? src : ".");
		standin_proc_stop(&fx->recv);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	standin_proc_stop(&fx->recv);
	free(fx);
	return 0;
}

/* Every test starts with no messages and no failure settings. */
static int setup(void **state)
{
	struct fixture *fx = *state;

	return standin_http(&fx->recv, "/_reset", "{}", NULL) == 200 ? 0 : -1;
}

static void url_for(const struct fixture *fx, const char *path, char *out, size_t n)
{
	int w = snprintf(out, n, "http://127.0.0.1:%d%s", fx->recv.port, path);

	assert_true(w > 0 && (size_t)w < n);
}

/* POSTs the receiver saw on path, accepted or not. */
static int attempts_of(const struct fixture *fx, const char *path)
{
	struct json_object *root = standin_messages(&fx->recv, path);
	int n = standin_count(root, "attempts", path);

	json_object_put(root);
	return n;
}

static void test_first_try_delivers_exact_json(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/first";
	static const char json[] = "{\"response_type\":\"in_channel\","
				   "\"text\":\"caf\xc3\xa9 \\\"q\\\"\"}";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 1 };
	struct json_object *root, *msgs, *m, *v;
	struct si_err err;
	char url[256];
	int attempts = -1;
	long status = -1;

	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json(url, json, &o, &attempts, &status, &err), 0);
	assert_int_equal(attempts, 1);
	assert_int_equal(status, 200);

	root = standin_messages(&fx->recv, path);
	assert_true(json_object_object_get_ex(root, "messages", &msgs));
	assert_int_equal(json_object_array_length(msgs), 1);
	m = json_object_array_get_idx(msgs, 0);
	assert_true(json_object_object_get_ex(m, "raw", &v));
	assert_string_equal(json_object_get_string(v), json);
	assert_true(json_object_object_get_ex(m, "content_type", &v));
	assert_non_null(json_object_get_string(v));
	assert_true(SI_HAS_PREFIX(json_object_get_string(v), "application/json"));
	assert_int_equal(standin_count(root, "attempts", path), 1);
	assert_int_equal(standin_count(root, "counts", path), 1);
	json_object_put(root);
}

static void test_two_500s_then_success_on_third(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/retry";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 2 };
	struct json_object *root, *msgs;
	struct si_err err;
	char url[256];
	int attempts = -1;
	long status = -1;

	assert_int_equal(standin_http(&fx->recv, "/_control",
				      "{\"fail_next\":2,\"status\":500}", NULL), 200);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json(url, "{\"text\":\"x\"}", &o, &attempts, &status, &err), 0);
	assert_int_equal(attempts, 3);
	assert_int_equal(status, 200);
	root = standin_messages(&fx->recv, path);
	assert_int_equal(standin_count(root, "attempts", path), 3);
	assert_int_equal(standin_count(root, "counts", path), 1);
	assert_true(json_object_object_get_ex(root, "messages", &msgs));
	assert_int_equal(json_object_array_length(msgs), 1);
	json_object_put(root);
}

static void test_always_500_gives_up_after_three(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/down";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 3 };
	struct json_object *root;
	struct si_err err;
	char url[256];
	int attempts = -1;
	long status = -1;

	assert_int_equal(standin_http(&fx->recv, "/_control",
				      "{\"always_fail\":true,\"status\":500}", NULL), 200);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json(url, "{\"text\":\"x\"}", &o, &attempts, &status, &err),
			 -1);
	assert_int_equal(attempts, SLACK_POST_ATTEMPTS);
	assert_int_equal(attempts, 3);
	assert_int_equal(status, 500);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	root = standin_messages(&fx->recv, path);
	assert_int_equal(standin_count(root, "attempts", path), 3);
	assert_int_equal(standin_count(root, "counts", path), 0);
	json_object_put(root);
}

static void test_4xx_is_not_retried(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/gone";
	static const long codes[] = { 404, 400 };
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 4 };
	struct json_object *root;
	struct si_err err;
	char url[256], ctl[128], want[32];
	int attempts;
	long status;

	url_for(fx, path, url, sizeof(url));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(standin_http(&fx->recv, "/_reset", "{}", NULL), 200);
		snprintf(ctl, sizeof(ctl), "{\"always_fail\":true,\"status\":%ld}", codes[i]);
		assert_int_equal(standin_http(&fx->recv, "/_control", ctl, NULL), 200);
		attempts = -1;
		status = -1;
		assert_int_equal(slack_post_json(url, "{}", &o, &attempts, &status, &err), -1);
		assert_int_equal(attempts, 1);
		assert_int_equal(status, codes[i]);
		snprintf(want, sizeof(want), "HTTP %ld", codes[i]);
		assert_non_null(strstr(err.msg, want));
		root = standin_messages(&fx->recv, path);
		assert_int_equal(standin_count(root, "attempts", path), 1);
		json_object_put(root);
	}
}

/* A loopback port nobody listens on: bind port 0, note it, close. */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_connection_refused_is_retried(void **state)
{
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 5,
				     .connect_timeout_ms = 1000 };
	struct si_err err;
	char url[128];
	int attempts = -1;
	long status = -1;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/T1/B1/refused", closed_port());
	assert_int_equal(slack_post_json(url, "{}", &o, &attempts, &status, &err), -1);
	assert_int_equal(attempts, 3);
	assert_int_equal(status, 0);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_non_null(strstr(err.msg, "response_url"));
	/* libcurl names the failure ("Failed to connect ... refused"). */
	assert_true(strstr(err.msg, "onnect") != NULL || strstr(err.msg, "refused") != NULL);
}

/* Slack's refusals, as response_url words them: a JSON object or the bare
 * code as plain text. The post is not retried, and the caller gets the
 * code (and the first bytes of the body). */
static void test_4xx_error_text_is_returned(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *format;
		long status;
		const char *error;
	} cases[] = {
		{ "json", 400, "msg_blocks_too_long" },
		{ "text", 400, "invalid_blocks" },
		{ "json", 404, "expired_url" },
		{ "text", 410, "used_url" },
	};
	static const char path[] = "/hooks/T1/B1/refused";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 6 };
	struct slack_post_result res;
	struct json_object *root, *rej, *r0, *v;
	struct si_err err;
	char url[256], ctl[256], want[128];

	url_for(fx, path, url, sizeof(url));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(standin_http(&fx->recv, "/_reset", "{}", NULL), 200);
		snprintf(ctl, sizeof(ctl), "{\"reject_next\":1,\"path\":\"%s\",\"status\":%ld,"
			 "\"error\":\"%s\",\"error_format\":\"%s\"}", path, cases[i].status,
			 cases[i].error, cases[i].format);
		assert_int_equal(standin_http(&fx->recv, "/_control", ctl, NULL), 200);
		memset(&res, 0x5a, sizeof(res));
		assert_int_equal(slack_post_json_ex(url, "{\"text\":\"x\"}", &o, &res, &err), -1);
		assert_int_equal(res.attempts, 1);
		assert_int_equal(res.status, cases[i].status);
		assert_string_equal(res.error, cases[i].error);
		assert_int_equal(res.body_cut, 0);
		assert_int_equal(res.body_len, strlen(res.body));
		if (strcmp(cases[i].format, "text") == 0)
			assert_string_equal(res.body, cases[i].error);
		else
			assert_non_null(strstr(res.body, "\"ok\": false"));
		snprintf(want, sizeof(want), "HTTP %ld: %s", cases[i].status, cases[i].error);
		assert_non_null(strstr(err.msg, want));
		root = standin_messages(&fx->recv, path);
		assert_int_equal(standin_count(root, "attempts", path), 1);
		assert_int_equal(standin_count(root, "counts", path), 0);
		assert_true(json_object_object_get_ex(root, "rejected", &rej));
		assert_int_equal(json_object_array_length(rej), 1);
		r0 = json_object_array_get_idx(rej, 0);
		assert_true(json_object_object_get_ex(r0, "error", &v));
		assert_string_equal(json_object_get_string(v), cases[i].error);
		json_object_put(root);
	}
	/* The refusal was for the next post only: the one after is accepted,
	 * and a 2xx's "ok" is kept like any body. */
	assert_int_equal(slack_post_json_ex(url, "{\"text\":\"x\"}", &o, &res, &err), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "ok");
	assert_string_equal(res.error, "ok");
}

/* A body of any length is read to its end, but only its first
 * SLACK_POST_BODY_MAX bytes are kept; the post is not failed for it. */
static void test_error_body_is_bounded(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/long";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 7 };
	struct slack_post_result res;
	struct si_err err;
	char url[256], *ctl, code[5001];
	size_t n = 5000 + 256;

	memset(code, 'e', sizeof(code) - 1);
	code[sizeof(code) - 1] = '\0';
	ctl = malloc(n);
	assert_non_null(ctl);
	snprintf(ctl, n, "{\"reject_next\":2,\"path\":\"%s\",\"error\":\"%s\","
		 "\"error_format\":\"text\"}", path, code);
	assert_int_equal(standin_http(&fx->recv, "/_control", ctl, NULL), 200);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json_ex(url, "{}", &o, &res, &err), -1);
	assert_int_equal(res.status, 400);
	assert_int_equal(res.body_len, SLACK_POST_BODY_MAX);
	assert_int_equal(strlen(res.body), SLACK_POST_BODY_MAX);
	assert_int_equal(res.body_cut, 1);
	assert_int_equal(strlen(res.error), SLACK_POST_BODY_MAX);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	/* JSON cut short is shown as it came (no "error" member to take). */
	snprintf(ctl, n, "{\"reject_next\":1,\"path\":\"%s\",\"error\":\"%s\"}", path, code);
	assert_int_equal(standin_http(&fx->recv, "/_reset", "{}", NULL), 200);
	assert_int_equal(standin_http(&fx->recv, "/_control", ctl, NULL), 200);
	assert_int_equal(slack_post_json_ex(url, "{}", &o, &res, &err), -1);
	assert_int_equal(res.body_cut, 1);
	assert_true(SI_HAS_PREFIX(res.error, "{\"ok\": false"));
	free(ctl);
}

/* 5xx answers are retried as before, and the last one's text is kept. */
static void test_5xx_retried_with_body(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/5xx";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 8 };
	struct slack_post_result res;
	struct si_err err;
	char url[256];

	assert_int_equal(standin_http(&fx->recv, "/_control",
				      "{\"always_fail\":true,\"status\":503}", NULL), 200);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json_ex(url, "{}", &o, &res, &err), -1);
	assert_int_equal(res.attempts, SLACK_POST_ATTEMPTS);
	assert_int_equal(res.status, 503);
	assert_string_equal(res.error, "internal_error");
	assert_non_null(strstr(err.msg, "HTTP 503: internal_error"));
	assert_int_equal(attempts_of(fx, path), SLACK_POST_ATTEMPTS);
	/* Two failures, then accepted: the caller sees the success. */
	assert_int_equal(standin_http(&fx->recv, "/_reset", "{}", NULL), 200);
	assert_int_equal(standin_http(&fx->recv, "/_control",
				      "{\"fail_next\":2,\"status\":502}", NULL), 200);
	assert_int_equal(slack_post_json_ex(url, "{}", &o, &res, &err), 0);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(res.status, 200);
}

/* The receiver refuses as Slack does past its block text budget: every
 * string inside "blocks" counts (URLs too); text outside blocks does not. */
static void test_receiver_refuses_long_blocks(void **state)
{
	struct fixture *fx = *state;
	static const char path[] = "/hooks/T1/B1/budget";
	/* "section", "mrkdwn", "café ": 7 + 6 + 5 = 18 characters of block
	 * text ("é" is one): at the limit, accepted; big has 7 + 6 + 28. */
	static const char small[] = "{\"text\":\"not counted at all, however long\","
				    "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
				    "\"mrkdwn\",\"text\":\"caf\u00e9 \"}}]}";
	static const char big[] = "{\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":"
				  "\"mrkdwn\",\"text\":\"<https://example.com/x|more>\"}}]}";
	struct slack_post_opts o = { .backoff_base_ms = TEST_BACKOFF_MS, .seed = 9 };
	struct slack_post_result res;
	struct si_err err;
	char url[256];

	assert_int_equal(standin_http(&fx->recv, "/_control", "{\"reject_blocks_over\":18}",
				      NULL), 200);
	url_for(fx, path, url, sizeof(url));
	assert_int_equal(slack_post_json_ex(url, small, &o, &res, &err), 0);
	assert_int_equal(slack_post_json_ex(url, big, &o, &res, &err), -1);
	assert_int_equal(res.status, 400);
	assert_string_equal(res.error, "msg_blocks_too_long");
	assert_int_equal(res.attempts, 1);
	/* The plain-text variant, then off again. */
	assert_int_equal(standin_http(&fx->recv, "/_control", "{\"reject_blocks_over\":18,"
				      "\"error_format\":\"text\"}", NULL), 200);
	assert_int_equal(slack_post_json_ex(url, big, &o, &res, &err), -1);
	assert_string_equal(res.body, "msg_blocks_too_long");
	assert_int_equal(standin_http(&fx->recv, "/_control", "{\"reject_blocks_over\":0}",
				      NULL), 200);
	assert_int_equal(slack_post_json_ex(url, big, &o, &res, &err), 0);
	assert_int_equal(attempts_of(fx, path), 4);
}

/* slack_post_error_text on its own: the forms Slack uses and odd ones. */
static void test_error_text_forms(void **state)
{
	static const struct {
		const char *body, *want;
		size_t out_size;
	} cases[] = {
		{ "{\"ok\":false,\"error\":\"msg_blocks_too_long\"}", "msg_blocks_too_long", 64 },
		{ "  invalid_blocks\n", "invalid_blocks", 64 },
		{ "{\"ok\":false}", "{\"ok\":false}", 64 },
		{ "{\"error\":42}", "{\"error\":42}", 64 },
		{ "{\"error\":\"a\\u0001b\\u00e9\"}", "a?b??", 64 },
		{ "no\x01\xff", "no??", 64 },
		{ "", "", 64 },
		{ "expired_url", "exp", 4 },
		{ "{\"ok\":false,\"error\":\"used_url\"}", "use", 4 },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		slack_post_error_text(cases[i].body, strlen(cases[i].body), out,
				      cases[i].out_size);
		assert_string_equal(out, cases[i].want);
	}
	slack_post_error_text(NULL, 0, out, sizeof(out));
	assert_string_equal(out, "");
	/* Not NUL-terminated input: only len bytes are read. */
	slack_post_error_text("used_urlXXXX", 8, out, sizeof(out));
	assert_string_equal(out, "used_url");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_try_delivers_exact_json, setup),
		cmocka_unit_test_setup(test_two_500s_then_success_on_third, setup),
		cmocka_unit_test_setup(test_always_500_gives_up_after_three, setup),
		cmocka_unit_test_setup(test_4xx_is_not_retried, setup),
		cmocka_unit_test_setup(test_connection_refused_is_retried, setup),
		cmocka_unit_test_setup(test_4xx_error_text_is_returned, setup),
		cmocka_unit_test_setup(test_error_body_is_bounded, setup),
		cmocka_unit_test_setup(test_5xx_retried_with_body, setup),
		cmocka_unit_test_setup(test_receiver_refuses_long_blocks, setup),
		cmocka_unit_test(test_error_text_forms),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
