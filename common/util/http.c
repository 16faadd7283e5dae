/*
 * http.c - the common libcurl easy-handle setup (see http.h).
 */
#include "util/http.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct si_http_resp *r = userdata;
	size_t n = size * nmemb;

	if (r->discard)
		return n;
	/* Returning less than n makes libcurl abort the transfer
	 * (CURLE_WRITE_ERROR): an over-size answer is cut off, not buffered. */
	if (si_buf_append(&r->body, ptr, n, NULL) != 0) {
		r->too_big = 1;
		return 0;
	}
	return n;
}

static int s_progress_cb(void *userdata, curl_off_t a, curl_off_t b, curl_off_t c,
			 curl_off_t d)
{
	const atomic_int *abort_flag = userdata;

	(void)a, (void)b, (void)c, (void)d;
	/* Non-zero aborts the transfer: a shutdown must not wait out a
	 * timeout. libcurl calls this at least once a second. */
	return atomic_load(abort_flag) != 0;
}

void si_http_resp_init(struct si_http_resp *resp, size_t max_body)
{
	memset(resp, 0, sizeof(*resp));
	resp->discard = max_body == SI_HTTP_DISCARD;
	si_buf_init(&resp->body, resp->discard ? 1 : max_body);
}

void si_http_resp_free(struct si_http_resp *resp, int wipe)
{
	if (resp == NULL)
		return;
	si_buf_free(&resp->body, wipe);
	resp->too_big = 0;
	resp->curl_err[0] = '\0';
}

void si_http_headers_free(struct curl_slist *headers)
{
	for (struct curl_slist *i = headers; i != NULL; i = i->next)
		OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(headers);
}

/* One setopt, checked; the option's name goes into the error. */
#define S_SET(opt, val)                                                                 \
	do {                                                                            \
		CURLcode s_cc = curl_easy_setopt(easy, (opt), (val));                    \
		if (s_cc != CURLE_OK)                                                   \
			return si_err_set(err, SI_ERR_INTERNAL, "curl option %s: %s", #opt, \
					  curl_easy_strerror(s_cc));                    \
	} while (0)

/* Why one function: the rules below are the service's HTTP policy, and
 * four hand-written copies of them had already drifted (one lacked the
 * CA bundle, one the body cap, one the proxy rule). Assumes easy is a
 * valid handle and opts has positive timeouts; a reused handle keeps the
 * caller's URL/body options until the caller sets new ones. */
int si_http_setup(CURL *easy, const struct si_http_opts *opts, struct si_http_resp *resp,
		  struct si_err *err)
{
	if (easy == NULL || opts == NULL || resp == NULL)
		return si_err_set(err, SI_ERR_INVALID, "http: NULL argument");
	si_buf_reset(&resp->body);
	resp->too_big = 0;
	resp->curl_err[0] = '\0';
	S_SET(CURLOPT_NOSIGNAL, 1L);   /* threads: no SIGALRM for DNS timeouts */
	S_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	S_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* A redirect would send a signed request (or a token) elsewhere. */
	S_SET(CURLOPT_FOLLOWLOCATION, 0L);
	S_SET(CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
	S_SET(CURLOPT_TIMEOUT_MS, opts->timeout_ms);
	S_SET(CURLOPT_WRITEFUNCTION, s_write_cb);
	S_SET(CURLOPT_WRITEDATA, resp);
	S_SET(CURLOPT_ERRORBUFFER, resp->curl_err);
	/* A declared Content-Length over the cap fails before any byte is
	 * buffered; an undeclared one is cut by the write callback. */
	S_SET(CURLOPT_MAXFILESIZE_LARGE,
	      (curl_off_t)(resp->discard ? 0 : resp->body.max));
	if (opts->ca_bundle != NULL)
		S_SET(CURLOPT_CAINFO, opts->ca_bundle);
	if (opts->no_proxy) {
		S_SET(CURLOPT_PROXY, "");
		S_SET(CURLOPT_NOPROXY, "*");
	}
	if (opts->abort != NULL) {
		S_SET(CURLOPT_XFERINFOFUNCTION, s_progress_cb);
		S_SET(CURLOPT_XFERINFODATA, (void *)(uintptr_t)opts->abort);
		S_SET(CURLOPT_NOPROGRESS, 0L);
	} else {
		S_SET(CURLOPT_NOPROGRESS, 1L);
	}
	return 0;
}

int si_http_check(CURLcode cc, const struct si_http_resp *resp, const char *what,
		  struct si_err *err)
{
	const char *sep = what != NULL ? ": " : "";

	if (what == NULL)
		what = "";
	if (resp->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return si_err_set(err, SI_ERR_LIMIT, "%s%sanswer over %zu bytes", what, sep,
				  resp->body.max);
	if (cc == CURLE_OK)
		return 0;
	return si_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? SI_ERR_TIMEOUT : SI_ERR_IO,
			  "%s%s%s", what, sep,
			  resp->curl_err[0] ? resp->curl_err : curl_easy_strerror(cc));
}

int si_http_perform(CURL *easy, struct si_http_resp *resp, const char *what, long *status,
		    struct si_err *err)
{
	CURLcode cc;

	*status = 0;
	cc = curl_easy_perform(easy);
	if (si_http_check(cc, resp, what, err) != 0)
		return -1;
	cc = curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
	if (cc != CURLE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "%s%s%s", what ? what : "",
				  what ? ": " : "", curl_easy_strerror(cc));
	return 0;
}

int si_http_status_transient(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 ||
	       status == 504;
}
