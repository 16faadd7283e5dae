/*
 * post.c - response_url delivery (see post.h): libcurl easy through
 * util/http, the retry rule of every HTTP caller (transport errors, 429 and
 * transient 5xx), full-jitter backoff from util/backoff.
 */
#include "slack/post.h"

#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "util/backoff.h"
#include "util/clock.h"
#include "util/http.h"

/* One POST on h (reset first). Returns 0 on an HTTP answer (*status set),
 * -1 with err when there was none (or the handle could not be set up). */
static int s_post_once(CURL *h, const char *url, const char *json,
		       const struct slack_post_opts *o, struct curl_slist *hdrs,
		       struct si_http_resp *resp, long *status, struct si_err *err)
{
	const struct si_http_opts ho = {
		.connect_timeout_ms = o->connect_timeout_ms,
		.timeout_ms = o->timeout_ms,
	};

	curl_easy_reset(h);
	*status = 0;
	if (si_http_setup(h, &ho, resp, err) != 0)
		return -1;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "response_url: curl_easy_setopt failed");
	return si_http_perform(h, resp, "response_url", status, err);
}

/* Why: Slack may drop a connection or answer 5xx for a moment, and a lost
 * final answer is the worst outcome for a user, so a few tries with jitter
 * are worth a short delay. Assumes url already passed the front door's
 * prefix check; never retries a 4xx (an expired or unknown URL). */
int slack_post_json(const char *url, const char *json, const struct slack_post_opts *opts,
		    int *attempts_out, long *status_out, struct si_err *err)
{
	struct slack_post_opts o = {0};
	struct curl_slist *hdrs = NULL;
	struct si_http_resp resp;
	CURL *h = NULL;
	long status = 0;
	int attempt = 0, rc = -1;
	uint32_t rng;

	si_http_resp_init(&resp, SI_HTTP_DISCARD);
	if (opts != NULL)
		o = *opts;
	if (o.connect_timeout_ms <= 0)
		o.connect_timeout_ms = SLACK_POST_CONNECT_TIMEOUT_MS;
	if (o.timeout_ms <= 0)
		o.timeout_ms = SLACK_POST_TIMEOUT_MS;
	if (o.attempts <= 0)
		o.attempts = SLACK_POST_ATTEMPTS;
	if (o.backoff_base_ms <= 0)
		o.backoff_base_ms = SLACK_POST_BACKOFF_MS;
	rng = o.seed ? o.seed : 0x2545f491u;
	h = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	if (h == NULL || hdrs == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "cannot set up the response_url request");
		goto out;
	}
	for (attempt = 1; attempt <= o.attempts; attempt++) {
		int transport = s_post_once(h, url, json, &o, hdrs, &resp, &status, err) != 0;

		if (!transport && status >= 200 && status < 300) {
			rc = 0;
			break;
		}
		if (!transport)
			si_err_set(err, SI_ERR_REMOTE, "response_url answered HTTP %ld", status);
		/* Connection errors and transient statuses are worth another
		 * try; a 4xx (expired or unknown URL) never is. */
		if (attempt >= o.attempts || (!transport && !si_http_status_transient(status)))
			break;
		si_sleep_ms(si_backoff_ms(attempt - 1, o.backoff_base_ms, o.timeout_ms,
					  si_backoff_rand(&rng)));
	}
out:
	if (attempts_out != NULL)
		*attempts_out = attempt > o.attempts ? o.attempts : attempt;
	if (status_out != NULL)
		*status_out = status;
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	si_http_resp_free(&resp, 0);
	return rc;
}
