/*
 * app.h - what the service does with one HTTP request, apart from FastCGI.
 *
 * The FastCGI worker (fcgi/) only moves bytes: it maps the server's
 * parameters into a struct app_request, calls app_preflight() before reading
 * the body and app_handle() after, and writes the struct app_response back.
 * Everything that decides anything lives here so tests can reach it.
 */
#ifndef SI_APP_H
#define SI_APP_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "search_pool.h"

/* The route the Go original served, kept so its users can switch. */
#define APP_SLACK_ROUTE "/slack/infra-search"
/* The Interactivity Request URL of the Slack app (conf/slack-app-manifest.yml):
 * where Slack POSTs a press on one of our buttons (slack/action.h). */
#define APP_INTERACTIVE_ROUTE "/slack/interactive"
#define APP_HEALTH_ROUTE "/healthz"
/* Readiness for a load balancer (GET or HEAD): 200 "ready" when the
 * configuration loaded, the state store takes a write (a replay-cache
 * probe, at most one a second) and the search queue has room; else 503
 * "not ready: REASON". /healthz stays a liveness probe (200 while the
 * process answers at all). */
#define APP_READY_ROUTE "/readyz"
/* Prometheus text exposition (GET or HEAD) of the whole service's
 * counters (util/metrics.h: shared by every worker, so any one answers);
 * the example web server configurations allow it from loopback only. */
#define APP_METRICS_ROUTE "/metrics"

/* Messages one button press may post to its response_url: Slack accepts
 * five uses of one (tests/data/shared/slack/LIMITS.md), so "Show all"
 * posts four pages and a "more" message at most. */
#define APP_POSTS_MAX 5

/* Slack ids are short (T0123ABCD); 64 bytes leaves room for enterprise ids
 * and keeps log lines bounded whatever a request claims. */
#define APP_ID_MAX 64

struct app;

/* What a button press posts to its interaction's response_url once the
 * HTTP response is out (app_after). */
struct app_posts {
	char *url;                   /* owned: the response_url, prefix-checked */
	char *json[APP_POSTS_MAX];   /* owned: the messages, in posting order */
	size_t n;
};

struct app_request {
	const char *method;          /* REQUEST_METHOD */
	const char *path;            /* route path without query string */
	const char *content_type;    /* CONTENT_TYPE, may be NULL */
	const char *slack_timestamp; /* X-Slack-Request-Timestamp, may be NULL */
	const char *slack_signature; /* X-Slack-Signature, may be NULL */
	const char *slack_retry_num; /* X-Slack-Retry-Num, may be NULL */
	const char *body;            /* raw body, body_len bytes, may hold NULs */
	size_t body_len;
	time_t now;                  /* the caller's clock, seconds */
	/* When the request reached the web server and now, wall-clock ms
	 * (app_arrival_ms); the inline budget counts from arrival. 0: the
	 * request arrived now. */
	long long arrival_ms;
	long long now_ms;
	/* The request's id as the worker logs it (fcgi/worker.c), borrowed;
	 * NULL: none. Audit lines (and a search's, however it is answered)
	 * carry it, so they join the request line. */
	const char *request_id;
};

struct app_response {
	int status;
	const char *content_type;    /* static string */
	const char *allow;           /* Allow header for 405, static, or NULL */
	char *body;                  /* owned, freed by app_response_free() */
	size_t body_len;
	const char *route;           /* static route name for the log */
	const char *reason;          /* static short reason for the log, or NULL */
	char team_id[APP_ID_MAX];    /* Slack ids for the log, "" when unknown */
	char user_id[APP_ID_MAX];
	char channel_id[APP_ID_MAX];
	/* A deferred search whose "Searching..." notice app_after() posts once
	 * the HTTP response is out. Owned; released by app_after() or
	 * app_response_free(). */
	struct search_job *job;
	/* A button press's messages (struct app_posts), posted by app_after()
	 * in order; freed by it or app_response_free(). */
	struct app_posts posts;
};

/* Create the application around a loaded configuration and a search pool.
 * cfg and pool are borrowed and must outlive the app; pool may be NULL, in
 * which case searches are acknowledged but not run (front-door tests).
 * Returns NULL with err set on failure; free with app_free(). */
struct app *app_new(const struct si_config *cfg, struct search_pool *pool,
		    struct si_err *err);
void app_free(struct app *app);

struct journal;

/* Use journal (journal.h, borrowed, outlives the app; NULL: none) for the
 * replay check, so a captured request is refused across restarts and by
 * every worker sharing the store, and for /healthz, which then answers
 * 200 "degraded: state store: REASON" while the store fails (200, not
 * 503: searches are still answered live, and a load balancer must not
 * take every instance out when the shared database goes away). With the
 * store down the in-memory replay cache still refuses what this process
 * saw. With a pool, the searches also ask the inventory kept in the same
 * store first (index.h; [state] settings, a handle of its own, opened at
 * the first search; the store is optional: without it they run live).
 * Call before the first request. */
void app_set_journal(struct app *app, struct journal *journal);

/* Pick the request path from what the web server sent: DOCUMENT_URI, then
 * SCRIPT_NAME, then REQUEST_URI without its query string (nginx sends the
 * first with the example config; Apache's mod_proxy_fcgi the others). Any
 * argument may be NULL. Writes into out (size out_len); returns out. */
const char *app_route_path(const char *document_uri, const char *script_name,
			   const char *request_uri, char *out, size_t out_len);

/* Decide everything that can be decided before the body is read: unknown
 * route (404), wrong method (405), an unparseable (400) or too large (413)
 * CONTENT_LENGTH. Returns 1 and sets *body_len when the caller should read
 * exactly that many bytes and then call app_handle(); returns 0 when resp
 * is complete and must be sent as is. */
int app_preflight(const struct app *app, const char *method, const char *path,
		  const char *content_length, size_t *body_len,
		  struct app_response *resp);

/* Handle a request whose body has been read in full: a slash command
 * (APP_SLACK_ROUTE) or a button press (APP_INTERACTIVE_ROUTE: verified
 * like a command, answered 200 with an empty body at once; what the press
 * shows the user goes to resp->posts, and a Refresh's new answer through
 * the pool to the interaction's response_url). */
void app_handle(struct app *app, const struct app_request *req,
		struct app_response *resp);

/* Work that must wait until the HTTP response has been sent: queue the
 * deferred search's notice for response_url, and a button press's
 * messages (resp->posts, in order) for its response_url, both on the
 * pool's notice threads (search_pool_queue_posts): this returns at once,
 * whatever Slack does. When the pool's queue of messages is full the
 * press's messages are dropped and logged (msg="response_url delivery"
 * kind=interactive result=busy), not posted from this thread. Without a
 * pool (front-door tests) the messages are posted here, blocking (at most
 * APP_POSTS_MAX posts, each with slack/post.h's retries and timeouts).
 * Frees resp->posts and releases resp->job. Safe to call on any resp. */
void app_after(struct app *app, struct app_response *resp);

/* When the request arrived, in wall-clock ms: nginx's $msec passed as
 * REQUEST_START ("1712345678.123"), else an X-Request-Start header as
 * Apache's mod_headers sets it ("t=<microseconds>"), else accepted_ms
 * (when our door accepted the connection). A hint later than accepted_ms
 * or more than a minute before it (clock skew, a forged header) is not
 * believed; so the inline wait never ends later than accepted_ms plus the
 * budget, and a forged hint can at most make the answer deferred. Either
 * hint may be NULL. */
long long app_arrival_ms(const char *request_start, const char *x_request_start,
			 long long accepted_ms);

/* Fill resp with the "busy" answer for path, without touching the pool:
 * the Slack route gets Slack's ephemeral busy message (200, so Slack shows
 * it), anything else 503 (a button press too: Slack then marks the press
 * as failed, which is what happened). For when the door cannot take the
 * request. */
void app_busy_response(const char *path, struct app_response *resp);

/* Fill resp with a plain-text error (used by the worker when the body is
 * shorter than announced). */
void app_response_text(struct app_response *resp, int status, const char *text);

/* Free resp->body and reset resp. */
void app_response_free(struct app_response *resp);

#endif
