/*
 * http.h - the one place that sets up a libcurl easy handle.
 *
 * Every HTTP call the service makes (AWS query and JSON calls, credential
 * endpoints, Slack's response_url) goes through si_http_setup(), so the
 * rules are written once: http and https only, redirects never followed,
 * connect and whole-transfer timeouts, no signals, a response body capped
 * by the caller's struct si_http_resp, and the CA bundle when one is
 * configured. Callers then set only what is theirs: URL, method, body and
 * headers (and CURLOPT_PRIVATE for the multi interface).
 *
 * curl_global_init() must have been called once by the program.
 */
#ifndef SI_UTIL_HTTP_H
#define SI_UTIL_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>

#include "util/buf.h"
#include "util/err.h"

/* Pass as max_body to si_http_resp_init to throw the body away (callers
 * that only look at the status, such as response_url posting). */
#define SI_HTTP_DISCARD ((size_t)0)

struct si_http_opts {
	long connect_timeout_ms;   /* > 0 */
	long timeout_ms;           /* > 0: the whole transfer */
	const char *ca_bundle;     /* borrowed, must outlive the transfer;
	                            * NULL: libcurl's default */
	int no_proxy;              /* 1: never a proxy, whatever *_proxy say
	                            * (link-local credential endpoints) */
	const atomic_int *abort;   /* borrowed; NULL, or the transfer stops
	                            * (CURLE_ABORTED_BY_CALLBACK) within about
	                            * a second of it turning non-zero */
};

/* One transfer's response; must live as long as the easy handle uses it. */
struct si_http_resp {
	struct si_buf body;        /* owned; capped at max_body */
	int discard;               /* body thrown away (SI_HTTP_DISCARD) */
	int too_big;               /* set when the cap cut the transfer */
	char curl_err[CURL_ERROR_SIZE];
};

/* An empty response keeping at most max_body bytes (SI_HTTP_DISCARD: keep
 * none, accept any length). Free with si_http_resp_free. */
void si_http_resp_init(struct si_http_resp *resp, size_t max_body);

/* Free the body; wipe != 0 overwrites it first (answers that carried
 * credentials). Safe on NULL and on a zeroed struct. */
void si_http_resp_free(struct si_http_resp *resp, int wipe);

/* Free a header list after wiping every line: request headers carry
 * session tokens, SigV4 signatures and metadata tokens, and libcurl's
 * curl_slist_free_all would leave them in freed memory. NULL is safe. */
void si_http_headers_free(struct curl_slist *headers);

/* Apply the common options to easy and point its write callback and error
 * buffer at resp (whose body and flags are reset). easy may be fresh or
 * reused (options from an earlier transfer that this does not set stay).
 * Returns 0, or -1 with err set (SI_ERR_INTERNAL, naming the option) when
 * libcurl refused an option. opts and resp are borrowed. */
int si_http_setup(CURL *easy, const struct si_http_opts *opts, struct si_http_resp *resp,
		  struct si_err *err);

/* Turn a finished transfer's CURLcode into 0 (CURLE_OK and within the cap)
 * or -1 with err: SI_ERR_LIMIT when the body cap cut it, SI_ERR_TIMEOUT on
 * a timeout, SI_ERR_IO otherwise; the message is libcurl's error text,
 * prefixed with "what: " when what is not NULL. */
int si_http_check(CURLcode cc, const struct si_http_resp *resp, const char *what,
		  struct si_err *err);

/* curl_easy_perform on a set-up handle, then si_http_check; on success
 * *status is the HTTP status. *status is 0 when there was no answer. */
int si_http_perform(CURL *easy, struct si_http_resp *resp, const char *what, long *status,
		    struct si_err *err);

/* 1 for the HTTP statuses worth another try whatever the service: 429
 * (throttled) and 500, 502, 503, 504 (transient, as the AWS SDKs and
 * Slack's guidance treat them); 501 and 505 do not change on a retry. */
int si_http_status_transient(long status);

#endif
