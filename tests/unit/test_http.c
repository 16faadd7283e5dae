/*
 * test_http.c - the one libcurl setup (common/util/http.c) against a real
 * HTTP server: a small one in a thread of this test, on 127.0.0.1 with an
 * ephemeral port, answering each connection from a canned reply. Loopback
 * only; every wait is bounded (poll timeouts), no fixed sleeps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util/clock.h"
#include "util/http.h"

/* How long the server waits for a request, or (hang) for the client to
 * go away: far above any timeout a test sets, so a test fails on its own
 * assertion rather than hanging. */
#define SRV_WAIT_MS 10000

enum srv_mode {
	SRV_SMALL,       /* 200, "hello" */
	SRV_BIG_LENGTH,  /* 200 with Content-Length 100000 */
	SRV_BIG_CHUNKED, /* 200, 100000 bytes chunked (no length up front) */
	SRV_REDIRECT,    /* 302 to another path of this server */
	SRV_HANG         /* read the request, never answer */
};

struct server {
	int fd;
	int port;
	pthread_t thread;
	atomic_int mode;
	atomic_int requests;   /* requests read */
	atomic_int stop;
};

static struct server g_srv;

/* Read until the end of the request headers (bounded); 0 when one came. */
static int srv_read_request(int c)
{
	char buf[8192];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		struct pollfd p = { c, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, SRV_WAIT_MS) <= 0)
			return -1;
		r = read(c, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

static void srv_write(int c, const char *s, size_t n)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: the client hangs up mid-answer on purpose (the
		 * cap), which must not kill the test with SIGPIPE. */
		ssize_t w = send(c, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void srv_big(int c, int chunked)
{
	char block[1000];
	char head[256];

	memset(block, 'x', sizeof(block));
	if (chunked)
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			 "Connection: close\r\n\r\n");
	else
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n"
			 "Connection: close\r\n\r\n");
	srv_write(c, head, strlen(head));
	for (int i = 0; i < 100; i++) {
		if (chunked)
			srv_write(c, "3e8\r\n", 5);
		srv_write(c, block, sizeof(block));
		if (chunked)
			srv_write(c, "\r\n", 2);
	}
	if (chunked)
		srv_write(c, "0\r\n\r\n", 5);
}

/* Answer one connection according to the current mode. */
static void srv_answer(struct server *s, int c)
{
	static const char small[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				    "Connection: close\r\n\r\nhello";
	char redirect[256];

	if (srv_read_request(c) != 0)
		return;
	atomic_fetch_add(&s->requests, 1);
	switch (atomic_load(&s->mode)) {
	case SRV_SMALL:
		srv_write(c, small, sizeof(small) - 1);
		break;
	case SRV_BIG_LENGTH:
	case SRV_BIG_CHUNKED:
		srv_big(c, atomic_load(&s->mode) == SRV_BIG_CHUNKED);
		break;
	case SRV_REDIRECT:
		snprintf(redirect, sizeof(redirect), "HTTP/1.1 302 Found\r\n"
			 "Location: http://127.0.0.1:%d/elsewhere\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n", s->port);
		srv_write(c, redirect, strlen(redirect));
		break;
	case SRV_HANG: {
		/* Until the client hangs up (its timeout) or the bound. */
		struct pollfd p = { c, POLLIN, 0 };
		char b[64];

		while (poll(&p, 1, SRV_WAIT_MS) > 0 && read(c, b, sizeof(b)) > 0)
			;
		break;
	}
	}
}

static void *srv_main(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		srv_answer(s, c);
		close(c);
	}
	return NULL;
}

static int group_setup(void **state)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	(void)state;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g_srv.fd < 0 || bind(g_srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(g_srv.fd, 16) != 0 || getsockname(g_srv.fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	g_srv.port = ntohs(a.sin_port);
	return pthread_create(&g_srv.thread, NULL, srv_main, &g_srv) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	atomic_store(&g_srv.stop, 1);
	pthread_join(g_srv.thread, NULL);
	close(g_srv.fd);
	curl_global_cleanup();
	return 0;
}

/* One GET through si_http_setup/si_http_perform; returns perform's rc. */
static int get(const char *path, const struct si_http_opts *o, struct si_http_resp *resp,
	       long *status, struct si_err *err)
{
	char url[128];
	CURL *h = curl_easy_init();
	int rc;

	assert_non_null(h);
	if (strstr(path, "://") != NULL)
		snprintf(url, sizeof(url), "%s", path);
	else
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", g_srv.port, path);
	assert_int_equal(si_http_setup(h, o, resp, err), 0);
	assert_int_equal(curl_easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
	rc = si_http_perform(h, resp, "test", status, err);
	curl_easy_cleanup(h);
	return rc;
}

static const struct si_http_opts OPTS = { .connect_timeout_ms = 2000, .timeout_ms = 5000 };

static void test_small_answer_is_kept(void **state)
{
	struct si_http_resp resp;
	struct si_err err;
	long status;

	(void)state;
	atomic_store(&g_srv.mode, SRV_SMALL);
	si_http_resp_init(&resp, 1000);
	assert_int_equal(get("/", &OPTS, &resp, &status, &err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(resp.body.len, 5);
	assert_string_equal(resp.body.data, "hello");
	si_http_resp_free(&resp, 0);
	si_http_resp_free(NULL, 0);
}

/* Over the cap: with a declared length and without one, the transfer
 * fails with SI_ERR_LIMIT and nothing past the cap is kept. */
static void test_body_cap(void **state)
{
	static const int modes[] = { SRV_BIG_LENGTH, SRV_BIG_CHUNKED };
	struct si_http_resp resp;
	struct si_err err;
	long status;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		atomic_store(&g_srv.mode, modes[i]);
		si_http_resp_init(&resp, 1000);
		assert_int_equal(get("/", &OPTS, &resp, &status, &err), -1);
		assert_int_equal(err.code, SI_ERR_LIMIT);
		assert_non_null(strstr(err.msg, "test: answer over 1000 bytes"));
		assert_true(resp.body.len <= 1000);
		si_http_resp_free(&resp, 1);
	}
	/* Discard mode keeps nothing and accepts any length. */
	atomic_store(&g_srv.mode, SRV_BIG_CHUNKED);
	si_http_resp_init(&resp, SI_HTTP_DISCARD);
	assert_int_equal(get("/", &OPTS, &resp, &status, &err), 0);
	assert_int_equal(status, 200);
	assert_int_equal(resp.body.len, 0);
	si_http_resp_free(&resp, 0);
}

static void test_redirect_not_followed(void **state)
{
	struct si_http_resp resp;
	struct si_err err;
	long status;
	int before = atomic_load(&g_srv.requests);

	(void)state;
	atomic_store(&g_srv.mode, SRV_REDIRECT);
	si_http_resp_init(&resp, 1000);
	assert_int_equal(get("/start", &OPTS, &resp, &status, &err), 0);
	assert_int_equal(status, 302);
	/* One request: the Location was not visited. */
	assert_int_equal(atomic_load(&g_srv.requests) - before, 1);
	si_http_resp_free(&resp, 0);
}

static void test_timeout(void **state)
{
	const struct si_http_opts o = { .connect_timeout_ms = 2000, .timeout_ms = 300 };
	struct si_http_resp resp;
	struct si_err err;
	long status = -1;
	long long t0;

	(void)state;
	atomic_store(&g_srv.mode, SRV_HANG);
	si_http_resp_init(&resp, 1000);
	t0 = si_mono_ms();
	assert_int_equal(get("/", &o, &resp, &status, &err), -1);
	assert_true(si_mono_ms() - t0 < 3000);
	assert_int_equal(err.code, SI_ERR_TIMEOUT);
	assert_int_equal(status, 0);
	si_http_resp_free(&resp, 0);
}

/* The abort flag stops a transfer that would otherwise wait 5 s. */
static void test_abort_flag(void **state)
{
	atomic_int stop = 1;
	struct si_http_opts o = OPTS;
	struct si_http_resp resp;
	struct si_err err;
	long status;
	long long t0;

	(void)state;
	o.abort = &stop;
	atomic_store(&g_srv.mode, SRV_HANG);
	si_http_resp_init(&resp, 1000);
	t0 = si_mono_ms();
	assert_int_equal(get("/", &o, &resp, &status, &err), -1);
	assert_true(si_mono_ms() - t0 < 3000);
	assert_int_equal(err.code, SI_ERR_IO);
	si_http_resp_free(&resp, 0);
}

/* Only http and https: other schemes fail before any I/O. */
static void test_other_protocols_refused(void **state)
{
	struct si_http_resp resp;
	struct si_err err;
	long status;

	(void)state;
	si_http_resp_init(&resp, 1000);
	assert_int_equal(get("file:///etc/hostname", &OPTS, &resp, &status, &err), -1);
	assert_int_equal(err.code, SI_ERR_IO);
	assert_int_equal(resp.body.len, 0);
	si_http_resp_free(&resp, 0);
}

static void test_transient_statuses(void **state)
{
	static const struct { long status; int want; } rows[] = {
		{ 200, 0 }, { 302, 0 }, { 400, 0 }, { 403, 0 }, { 404, 0 }, { 429, 1 },
		{ 500, 1 }, { 501, 0 }, { 502, 1 }, { 503, 1 }, { 504, 1 }, { 505, 0 }, { 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (si_http_status_transient(rows[i].status) != rows[i].want)
			fail_msg("status %ld", rows[i].status);
}

static void test_setup_refuses_null(void **state)
{
	struct si_http_resp resp;
	struct si_err err;

	(void)state;
	si_http_resp_init(&resp, 10);
	assert_int_equal(si_http_setup(NULL, &OPTS, &resp, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	si_http_resp_free(&resp, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_answer_is_kept),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_abort_flag),
		cmocka_unit_test(test_other_protocols_refused),
		cmocka_unit_test(test_transient_statuses),
		cmocka_unit_test(test_setup_refuses_null),
	};

	return cmocka_run_group_tests_name("util_http", tests, group_setup, group_teardown);
}
