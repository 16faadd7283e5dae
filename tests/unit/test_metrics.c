/*
 * test_metrics.c - the shared counters and their text exposition
 * (common/util/metrics.c): counting, bounded label tables ("other"),
 * escaping, exact output lines, and counting across fork() through the
 * shared region.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/metrics.h"

/* The journal's backlog the caller measured (metrics_render's argument);
 * -1 (unknown) unless a test sets it. */
static long long s_backlog = -1;

static char *s_render(time_t now)
{
	struct si_err err;
	size_t len = 0;
	char *text = metrics_render(now, s_backlog, &len, &err);

	if (text == NULL)
		fail_msg("metrics_render: %s", err.msg);
	assert_int_equal(strlen(text), len);
	return text;
}

/* 1 when text holds line as a whole line. */
static int s_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

#define assert_line(text, line) do { \
	if (!s_has_line((text), (line))) \
		fail_msg("missing line: %s\n---\n%s", (line), (text)); \
} while (0)

#define refute_line(text, line) do { \
	if (s_has_line((text), (line))) \
		fail_msg("unexpected line: %s", (line)); \
} while (0)

static int s_setup(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static void test_counts_searches(void **state)
{
	char *t;

	(void)state;
	metrics_search("ok", "inline");
	metrics_search("ok", "inline");
	metrics_search("partial", "deferred");
	t = s_render(0);
	assert_line(t, "# HELP slash_infra_searches_total Searches answered, by outcome and how "
		       "the answer was delivered.");
	assert_line(t, "# TYPE slash_infra_searches_total counter");
	assert_line(t, "slash_infra_searches_total{outcome=\"ok\",delivery=\"inline\"} 2");
	assert_line(t, "slash_infra_searches_total{outcome=\"partial\",delivery=\"deferred\"} 1");
	free(t);
}

/* A known set of increments gives exactly these lines, in this order
 * (sorted by labels, whatever order they were met in). */
static void test_exact_lines(void **state)
{
	static const char want[] =
		"# HELP slash_infra_aws_requests_total AWS requests (each attempt), by service, "
		"action and code (ok, the AWS error code, Timeout, ConnectionError or "
		"HTTP<status>).\n"
		"# TYPE slash_infra_aws_requests_total counter\n"
		"slash_infra_aws_requests_total{service=\"ec2\",action=\"DescribeInstances\","
		"code=\"RequestLimitExceeded\"} 1\n"
		"slash_infra_aws_requests_total{service=\"ec2\",action=\"DescribeInstances\","
		"code=\"ok\"} 2\n"
		"slash_infra_aws_requests_total{service=\"sts\",action=\"AssumeRole\","
		"code=\"AccessDenied\"} 1\n"
		"# HELP slash_infra_aws_request_duration_seconds Duration of AWS requests (each "
		"attempt), by service.\n"
		"# TYPE slash_infra_aws_request_duration_seconds histogram\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.005\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.01\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.025\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.05\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.1\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.25\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"0.5\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"1\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"2.5\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"5\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"10\"} 2\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"ec2\",le=\"+Inf\"} 3\n"
		"slash_infra_aws_request_duration_seconds_sum{service=\"ec2\"} 11.055000\n"
		"slash_infra_aws_request_duration_seconds_count{service=\"ec2\"} 3\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.005\"} 0\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.01\"} 0\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.025\"} 0\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.05\"} 0\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.1\"} 0\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.25\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"0.5\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"1\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"2.5\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"5\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"10\"} 1\n"
		"slash_infra_aws_request_duration_seconds_bucket{service=\"sts\",le=\"+Inf\"} 1\n"
		"slash_infra_aws_request_duration_seconds_sum{service=\"sts\"} 0.200000\n"
		"slash_infra_aws_request_duration_seconds_count{service=\"sts\"} 1\n";
	char *t, *at;

	(void)state;
	metrics_aws_request("sts", "AssumeRole", "AccessDenied", 200000);
	metrics_aws_request("ec2", "DescribeInstances", "ok", 5000);       /* le 0.005 */
	metrics_aws_request("ec2", "DescribeInstances", "RequestLimitExceeded", 11000000);
	metrics_aws_request("ec2", "DescribeInstances", "ok", 50000);      /* le 0.05 */
	t = s_render(0);
	at = strstr(t, "# HELP slash_infra_aws_requests_total");
	assert_non_null(at);
	if (strncmp(at, want, strlen(want)) != 0)
		fail_msg("got:\n%.*s\nwant:\n%s", (int)strlen(want), at, want);
	free(t);
}

static void test_gauges_and_plain_counters(void **state)
{
	char *t;

	(void)state;
	t = s_render(1000);
	assert_line(t, "slash_infra_inventory_age_seconds NaN");
	assert_line(t, "slash_infra_search_queue_depth 0");
	assert_line(t, "slash_infra_journal_backlog NaN");
	assert_line(t, "slash_infra_replay_refusals_total 0");
	assert_line(t, "# TYPE slash_infra_inventory_age_seconds gauge");
	free(t);

	metrics_set_slot(0);
	metrics_queue_depth(3);
	metrics_set_slot(5);
	metrics_queue_depth(4);
	s_backlog = 2;
	metrics_replay_refused();
	metrics_inventory_ok(900);
	metrics_inventory_ok(800);      /* older: ignored */
	metrics_busy("door");
	metrics_sts_refresh("ok");
	metrics_response_url("final", "delivered");
	t = s_render(1000);
	assert_line(t, "slash_infra_search_queue_depth 7");
	assert_line(t, "slash_infra_journal_backlog 2");
	assert_line(t, "slash_infra_replay_refusals_total 1");
	assert_line(t, "slash_infra_inventory_age_seconds 100");
	assert_line(t, "slash_infra_busy_refusals_total{where=\"door\"} 1");
	assert_line(t, "slash_infra_sts_refreshes_total{result=\"ok\"} 1");
	assert_line(t, "slash_infra_response_url_deliveries_total{kind=\"final\","
		       "result=\"delivered\"} 1");
	free(t);

	/* A new worker in slot 5 drops its predecessor's queue. */
	metrics_set_slot(5);
	s_backlog = 0;
	t = s_render(850);              /* a clock behind the crawl: age 0 */
	assert_line(t, "slash_infra_search_queue_depth 3");
	assert_line(t, "slash_infra_journal_backlog 0");
	assert_line(t, "slash_infra_inventory_age_seconds 0");
	free(t);
	metrics_set_slot(0);
	s_backlog = -1;
}

/* Accounts: only registered aliases get a series (at 0 until counted);
 * any other account counts as "other". */
static void test_accounts_registered_only(void **state)
{
	char *t;

	(void)state;
	assert_int_equal(metrics_add_account("production"), 0);
	assert_int_equal(metrics_add_account("staging"), 0);
	assert_int_equal(metrics_add_account("production"), 0);   /* idempotent */
	metrics_target_failure("staging");
	metrics_target_failure("staging");
	metrics_target_failure("discovered-123");
	t = s_render(0);
	assert_line(t, "slash_infra_search_target_failures_total{account=\"production\"} 0");
	assert_line(t, "slash_infra_search_target_failures_total{account=\"staging\"} 2");
	assert_line(t, "slash_infra_search_target_failures_total{account=\"other\"} 1");
	refute_line(t, "slash_infra_search_target_failures_total{account=\"discovered-123\"} 1");
	free(t);
}

/* Past a family's cap every new label set counts in "other"; the sets
 * already in the table keep counting in their own series. */
static void test_overflow_goes_to_other(void **state)
{
	char name[32], line[160];
	char *t;

	(void)state;
	for (int i = 0; i < METRICS_RESULTS_CAP + 5; i++) {
		(void)snprintf(name, sizeof(name), "place%02d", i);
		metrics_busy(name);
	}
	metrics_busy("place00");
	t = s_render(0);
	assert_line(t, "slash_infra_busy_refusals_total{where=\"place00\"} 2");
	assert_line(t, "slash_infra_busy_refusals_total{where=\"other\"} 5");
	for (int i = METRICS_RESULTS_CAP; i < METRICS_RESULTS_CAP + 5; i++) {
		(void)snprintf(line, sizeof(line),
			       "slash_infra_busy_refusals_total{where=\"place%02d\"} 1", i);
		refute_line(t, line);
	}
	free(t);

	/* Accounts past their cap: registration fails, failures are "other". */
	for (int i = 0; i < METRICS_ACCOUNTS_CAP; i++) {
		(void)snprintf(name, sizeof(name), "acct%03d", i);
		assert_int_equal(metrics_add_account(name), 0);
	}
	assert_int_equal(metrics_add_account("one-too-many"), -1);
	metrics_target_failure("one-too-many");
	t = s_render(0);
	assert_line(t, "slash_infra_search_target_failures_total{account=\"other\"} 1");
	assert_line(t, "slash_infra_search_target_failures_total{account=\"acct511\"} 0");
	free(t);
}

/* Label values are escaped as the text format says (backslash, double
 * quote, line feed), other control and non-ASCII bytes replaced, and
 * long values cut. */
static void test_escaping(void **state)
{
	char longv[200];
	char want[200];
	char *t;

	(void)state;
	metrics_aws_request("ec2", "Describe\"Odd\"", "Bad\\Code\nNext", 1);
	metrics_aws_request("ec2", "Tab\there", "caf\xc3\xa9\x01", 1);
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	metrics_response_url(longv, "failed");
	t = s_render(0);
	assert_line(t, "slash_infra_aws_requests_total{service=\"ec2\","
		       "action=\"Describe\\\"Odd\\\"\",code=\"Bad\\\\Code\\nNext\"} 1");
	assert_line(t, "slash_infra_aws_requests_total{service=\"ec2\",action=\"Tab?here\","
		       "code=\"caf???\"} 1");
	(void)snprintf(want, sizeof(want),
		       "slash_infra_response_url_deliveries_total{kind=\"%.*s\","
		       "result=\"failed\"} 1",
		       METRICS_LABEL_MAX - 1, longv);
	assert_line(t, want);
	free(t);
}

/* NULL label values are empty strings, never a crash. */
static void test_null_labels(void **state)
{
	char *t;

	(void)state;
	metrics_search(NULL, NULL);
	metrics_aws_request(NULL, NULL, NULL, -5);
	t = s_render(0);
	assert_line(t, "slash_infra_searches_total{outcome=\"\",delivery=\"\"} 1");
	assert_line(t, "slash_infra_aws_request_duration_seconds_bucket{service=\"\","
		       "le=\"0.005\"} 1");
	free(t);
}

/* The shared region: children forked after metrics_share count into the
 * parent's counters, new label sets included. Last: the process stays
 * shared afterwards. */
static void test_shared_across_fork(void **state)
{
	struct si_err err;
	pid_t pids[3];
	char *t;

	(void)state;
	assert_int_equal(metrics_share(&err), 0);
	assert_int_equal(metrics_share(&err), 0);     /* once */
	metrics_search("ok", "inline");
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			metrics_set_slot(i + 1);
			for (int k = 0; k < 1000; k++) {
				metrics_search("ok", "inline");
				metrics_aws_request("ec2", "DescribeVpcs", "ok", 1000);
			}
			metrics_queue_depth(2);
			_exit(0);
		}
	}
	for (int i = 0; i < 3; i++) {
		int st = 0;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	t = s_render(0);
	assert_line(t, "slash_infra_searches_total{outcome=\"ok\",delivery=\"inline\"} 3001");
	assert_line(t, "slash_infra_aws_requests_total{service=\"ec2\",action=\"DescribeVpcs\","
		       "code=\"ok\"} 3000");
	assert_line(t, "slash_infra_aws_request_duration_seconds_count{service=\"ec2\"} 3000");
	assert_line(t, "slash_infra_search_queue_depth 6");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_counts_searches, s_setup),
		cmocka_unit_test_setup(test_exact_lines, s_setup),
		cmocka_unit_test_setup(test_gauges_and_plain_counters, s_setup),
		cmocka_unit_test_setup(test_accounts_registered_only, s_setup),
		cmocka_unit_test_setup(test_overflow_goes_to_other, s_setup),
		cmocka_unit_test_setup(test_escaping, s_setup),
		cmocka_unit_test_setup(test_null_labels, s_setup),
		cmocka_unit_test_setup(test_shared_across_fork, s_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
