#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/logfmt.h"

/* Paths longer than this are not ours: every route we serve is short. */
#define WORKER_PATH_MAX 256
/* nginx's $request_id is 32 hex characters; allow some room, no more. */
#define WORKER_REQID_MAX 64
/* The longest method we log in full ("OPTIONS"); longer ones are cut. */
#define WORKER_METHOD_MAX 16

static long long s_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Use the web server's request id when it is a plain token, so our log
 * line and the access log can be joined; otherwise make one. */
static void s_request_id(const struct fcgi_req *req, int index, unsigned long n,
			 char *out, size_t out_len)
{
	const char *rid = fcgi_req_param(req, "REQUEST_ID");
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

static long long s_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* A response too large for one fcgi_out: copied into one buffer. */
static int s_write_copy(struct door_conn *c, const char *head, size_t head_len,
			const char *body, size_t body_len)
{
	struct iovec iov;
	unsigned char *rec;
	size_t rec_len;
	char *data = malloc(head_len + body_len + 1);
	int rc;

	if (data == NULL)
		return -1;
	memcpy(data, head, head_len);
	if (body_len > 0)
		memcpy(data + head_len, body, body_len);
	rec = fcgi_encode_response(c->req.request_id, data, head_len + body_len, &rec_len);
	free(data);
	if (rec == NULL)
		return -1;
	iov.iov_base = rec;
	iov.iov_len = rec_len;
	rc = door_write(c, &iov, 1);
	free(rec);
	return rc;
}

/* The CGI header block and body as FastCGI records, in one writev and no
 * copy of the body. Returns 0 or -1 (peer gone, timed out, no memory). */
static int s_write_response(struct door_conn *c, const struct app_response *resp,
			    int head_only)
{
	char head[512];
	size_t body_len = head_only ? 0 : resp->body_len;
	struct fcgi_out out;
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
	if (n < 0 || (size_t)n >= sizeof(head)) {
		n = snprintf(head, sizeof(head), "Status: 500 Error\r\nContent-Length: 0\r\n\r\n");
		body_len = 0;
	}
	if (fcgi_out_build(&out, c->req.request_id, head, (size_t)n, resp->body, body_len) != 0)
		return s_write_copy(c, head, (size_t)n, resp->body, body_len);
	return door_write(c, out.iov, out.n);
}

/* conn_req: the request's number on its FastCGI connection (1: a new
 * connection; more: kept, FCGI_KEEP_CONN), 0 when not known. */
static void s_log(const char *rid, const char *method, const struct app_response *resp,
		  long long dur_us, long long queued_ms, size_t conn_req)
{
	struct logfmt l;

	logfmt_begin(&l, resp->status >= 500 ? "error" : "info");
	logfmt_str(&l, "msg", "request");
	logfmt_str(&l, "request_id", rid);
	logfmt_str(&l, "method", method);
	logfmt_str(&l, "route", resp->route);
	logfmt_int(&l, "status", resp->status);
	logfmt_int(&l, "duration_us", dur_us);
	if (queued_ms >= 0)
		logfmt_int(&l, "queued_ms", queued_ms);
	if (conn_req > 0)
		logfmt_int(&l, "conn_req", (long long)conn_req);
	logfmt_str(&l, "reason", resp->reason);
	if (resp->team_id[0] != '\0')
		logfmt_str(&l, "team_id", resp->team_id);
	if (resp->user_id[0] != '\0')
		logfmt_str(&l, "user_id", resp->user_id);
	if (resp->channel_id[0] != '\0')
		logfmt_str(&l, "channel_id", resp->channel_id);
	logfmt_emit(&l, stderr);
}

/* The body app_preflight() asked for: the first body_len bytes the web
 * server sent. Returns NULL when fewer arrived (a short body). */
static const char *s_body(const struct fcgi_req *r, size_t body_len)
{
	if (r->body_len < body_len)
		return NULL;
	if (r->body == NULL)
		return "";
	r->body[body_len] = '\0';     /* body_len <= r->body_len < allocated */
	return r->body;
}

/* One complete request, start to finish: route and check it through app_*
 * (which owns every decision), write the answer, give the connection back
 * (kept for the next request, or closed), log one logfmt line, and only
 * then post a deferred search's notice, so nginx answers Slack at once.
 * Assumes c came from door_next() on this thread: its params and body are
 * in memory (the door read them, within its read timeout), and the body
 * was checked against max_body there. */
static void s_serve_one(struct worker_shared *w, struct door_conn *c, unsigned long n)
{
	const struct fcgi_req *r = &c->req;
	char path[WORKER_PATH_MAX];
	char rid[WORKER_REQID_MAX + 1];
	struct app_response resp;
	struct app_request areq;
	const char *method = fcgi_req_param(r, "REQUEST_METHOD");
	long long t0 = s_now_us();
	long long queued_ms = si_mono_ms() - c->accepted_mono_ms;
	size_t body_len = 0;
	const char *body;
	char mbuf[WORKER_METHOD_MAX];
	int sent;
	size_t conn_req = c->served + 1;

	memset(&areq, 0, sizeof(areq));
	s_request_id(r, w->index, n, rid, sizeof(rid));
	app_route_path(fcgi_req_param(r, "DOCUMENT_URI"), fcgi_req_param(r, "SCRIPT_NAME"),
		       fcgi_req_param(r, "REQUEST_URI"), path, sizeof(path));
	if (!app_preflight(w->app, method, path, fcgi_req_param(r, "CONTENT_LENGTH"),
			   &body_len, &resp))
		goto send;
	body = s_body(r, body_len);
	if (body == NULL) {
		resp.reason = "short body";
		app_response_text(&resp, 400, "request body shorter than Content-Length");
		goto send;
	}
	areq.method = method;
	areq.path = path;
	areq.content_type = fcgi_req_param(r, "CONTENT_TYPE");
	areq.slack_timestamp = fcgi_req_param(r, "HTTP_X_SLACK_REQUEST_TIMESTAMP");
	areq.slack_signature = fcgi_req_param(r, "HTTP_X_SLACK_SIGNATURE");
	areq.slack_retry_num = fcgi_req_param(r, "HTTP_X_SLACK_RETRY_NUM");
	areq.body = body;
	areq.body_len = body_len;
	areq.now = time(NULL);
	areq.now_ms = s_wall_ms();
	areq.request_id = rid;
	areq.arrival_ms = app_arrival_ms(fcgi_req_param(r, "REQUEST_START"),
					 fcgi_req_param(r, "HTTP_X_REQUEST_START"), c->accepted_ms);
	app_handle(w->app, &areq, &resp);
send:
	sent = s_write_response(c, &resp, method != NULL && strcmp(method, "HEAD") == 0) == 0;
	/* The params go with the request: keep the method for the log. */
	(void)snprintf(mbuf, sizeof(mbuf), "%s", method != NULL ? method : "");
	/* The answer is out (nginx answers Slack on END_REQUEST): keep or
	 * close the connection, then post the deferred search's notice. */
	door_done(c, sent);
	s_log(rid, mbuf, &resp, s_now_us() - t0, queued_ms, conn_req);
	app_after(w->app, &resp);
	app_response_free(&resp);
}

void *worker_run(void *arg)
{
	struct worker_shared *w = arg;
	struct door_conn *c;
	unsigned long n = 0;

	while ((c = door_next(w->door)) != NULL)
		s_serve_one(w, c, ++n);
	return NULL;
}

void worker_busy(void *arg, struct door_conn *c)
{
	struct app *app = arg;
	struct app_response resp;
	char path[WORKER_PATH_MAX];
	char rid[WORKER_REQID_MAX + 1];
	const struct fcgi_req *r = &c->req;

	(void)app;
	s_request_id(r, -1, 0, rid, sizeof(rid));
	app_route_path(fcgi_req_param(r, "DOCUMENT_URI"), fcgi_req_param(r, "SCRIPT_NAME"),
		       fcgi_req_param(r, "REQUEST_URI"), path, sizeof(path));
	app_busy_response(path, &resp);
	/* Non-blocking here: a small answer fits a fresh socket's buffer; if
	 * it does not, the peer gets a closed connection, never a wait. */
	(void)s_write_response(c, &resp, 0);
	s_log(rid, fcgi_req_param(r, "REQUEST_METHOD"), &resp, 0,
	      si_mono_ms() - c->accepted_mono_ms, c->served + 1);
	app_response_free(&resp);
}
