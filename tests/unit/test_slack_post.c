/*
 * test_slack_post.c - response_url delivery with retries (common/slack_post.c).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_try_delivers_exact_json, setup),
		cmocka_unit_test_setup(test_two_500s_then_success_on_third, setup),
		cmocka_unit_test_setup(test_always_500_gives_up_after_three, setup),
		cmocka_unit_test_setup(test_4xx_is_not_retried, setup),
		cmocka_unit_test_setup(test_connection_refused_is_retried, setup),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	curl_global_cleanup();
	return rc;
}
