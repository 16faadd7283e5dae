#include "worker.h"

#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/logfmt.h"

/* Paths longer than this are not ours: every route we serve is short. */
#define WORKER_PATH_MAX 256
/* nginx's $request_id is 32 hex characters; allow some room, no more. */
#define WORKER_REQID_MAX 64

static long long s_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Use the web server's request id when it is a plain token, so our log
 * line and the access log can be joined; otherwise make one. */
static void s_request_id(const FCGX_Request *req, int index, unsigned long n,
			 char *out, size_t out_len)
{
	const char *rid = FCGX_GetParam("REQUEST_ID", req->envp);
	size_t len;

	if (rid != NULL) {
		len = strlen(rid);
		if (len > 0 && len < out_len && len < WORKER_REQID_MAX &&
		    strspn(rid, "0123456789abcdefABCDEF-") == len) {
			memcpy(out, rid, len + 1);
			return;
		}
	}
	(void)snprintf(out, out_len, "%ld-%d-%lu", (long)getpid(), index, n);
}

/* Read exactly len bytes of the request body. Returns the number read,
 * which is less than len when the client sent a short body. */
static size_t s_read_body(FCGX_Request *req, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t want = len - got;
		int n;

		if (want > 65536)
			want = 65536;
		n = FCGX_GetStr(buf + got, (int)want, req->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static const char *s_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* The header block is formatted here with snprintf: libfcgi's own
 * FCGX_FPrintF does not know C99 length modifiers such as %zu. */
static void s_write_response(FCGX_Request *req, const struct app_response *resp,
			     int head_only)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "Status: %d %s\r\n%s%s%s%s%s%sCache-Control: no-store\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     resp->status, s_status_text(resp->status),
		     resp->content_type ? "Content-Type: " : "",
		     resp->content_type ? resp->content_type : "",
		     resp->content_type ? "\r\n" : "",
		     resp->allow ? "Allow: " : "", resp->allow ? resp->allow : "",
		     resp->allow ? "\r\n" : "", resp->body_len);
	if (n < 0 || (size_t)n >= sizeof(head))
		n = snprintf(head, sizeof(head), "Status: 500 Error\r\nContent-Length: 0\r\n\r\n");
	FCGX_PutStr(head, n, req->out);
	if (!head_only && resp->body_len > 0)
		FCGX_PutStr(resp->body, (int)resp->body_len, req->out);
}

static void s_log(const char *rid, const char *method, const struct app_response *resp,
		  long long dur_us)
{
	struct logfmt l;

	logfmt_begin(&l, resp->status >= 500 ? "error" : "info");
	logfmt_str(&l, "msg", "request");
	logfmt_str(&l, "request_id", rid);
	logfmt_str(&l, "method", method);
	logfmt_str(&l, "route", resp->route);
	logfmt_int(&l, "status", resp->status);
	logfmt_int(&l, "duration_us", dur_us);
	logfmt_str(&l, "reason", resp->reason);
	if (resp->team_id[0] != '\0')
		logfmt_str(&l, "team_id", resp->team_id);
	if (resp->user_id[0] != '\0')
		logfmt_str(&l, "user_id", resp->user_id);
	if (resp->channel_id[0] != '\0')
		logfmt_str(&l, "channel_id", resp->channel_id);
	logfmt_emit(&l, stderr);
}

/* One accepted FastCGI request, start to finish: route and read the body
 * through app_* (which owns every decision), write the answer, log one
 * logfmt line, and finish the FastCGI request before any deferred work so
 * nginx answers Slack at once. Assumes req came from FCGX_Accept_r on this
 * thread; the body is read only after app_preflight() has accepted its
 * announced length, so an oversized body is never buffered. */
static void s_serve_one(struct worker_shared *w, FCGX_Request *req, unsigned long n)
{
	char path[WORKER_PATH_MAX];
	char rid[WORKER_REQID_MAX + 1];
	struct app_response resp;
	struct app_request areq;
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	long long t0 = s_now_us();
	size_t body_len = 0;
	char *body = NULL;

	memset(&areq, 0, sizeof(areq));
	s_request_id(req, w->index, n, rid, sizeof(rid));
	app_route_path(FCGX_GetParam("DOCUMENT_URI", req->envp),
		       FCGX_GetParam("SCRIPT_NAME", req->envp),
		       FCGX_GetParam("REQUEST_URI", req->envp), path, sizeof(path));
	if (!app_preflight(w->app, method, path, FCGX_GetParam("CONTENT_LENGTH", req->envp),
			   &body_len, &resp))
		goto send;
	body = malloc(body_len + 1);
	if (body == NULL) {
		app_response_text(&resp, 503, "out of memory");
		goto send;
	}
	if (s_read_body(req, body, body_len) != body_len) {
		resp.reason = "short body";
		app_response_text(&resp, 400, "request body shorter than Content-Length");
		goto send;
	}
	body[body_len] = '\0';
	areq.method = method;
	areq.path = path;
	areq.content_type = FCGX_GetParam("CONTENT_TYPE", req->envp);
	areq.slack_timestamp = FCGX_GetParam("HTTP_X_SLACK_REQUEST_TIMESTAMP", req->envp);
	areq.slack_signature = FCGX_GetParam("HTTP_X_SLACK_SIGNATURE", req->envp);
	areq.slack_retry_num = FCGX_GetParam("HTTP_X_SLACK_RETRY_NUM", req->envp);
	areq.body = body;
	areq.body_len = body_len;
	areq.now = time(NULL);
	app_handle(w->app, &areq, &resp);
send:
	s_write_response(req, &resp, method != NULL && strcmp(method, "HEAD") == 0);
	s_log(rid, method, &resp, s_now_us() - t0);
	/* Finish the FastCGI request first, so nginx answers Slack at once;
	 * only then post the deferred search's notice. */
	FCGX_Finish_r(req);
	app_after(w->app, &resp);
	app_response_free(&resp);
	free(body);
}

void *worker_run(void *arg)
{
	struct worker_shared *w = arg;
	FCGX_Request req;
	unsigned long n = 0;

	/* FCGI_FAIL_ACCEPT_ON_INTR: a signal interrupts a blocked accept(),
	 * which is how main wakes us at shutdown when it cannot connect. */
	if (FCGX_InitRequest(&req, w->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return NULL;
	while (!atomic_load(w->stopping)) {
		int rc;

		/* Linux allows many threads to block in accept() on one socket;
		 * the kernel hands each connection to exactly one of them, so no
		 * lock is needed around FCGX_Accept_r. */
		atomic_store(&w->in_accept, 1);
		rc = FCGX_Accept_r(&req);
		atomic_store(&w->in_accept, 0);
		if (rc < 0) {
			if (atomic_load(w->stopping))
				break;
			continue;   /* an interrupted or failed accept: try again */
		}
		s_serve_one(w, &req, ++n);
	}
	FCGX_Free(&req, 0);
	return NULL;
}
