#include "slack/post.h"

#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "aws/retry.h"

/* We do not read Slack's answer beyond its status; discard the body. */
static size_t s_discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

static void s_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static unsigned int s_next(unsigned int *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* One POST. Returns the CURLcode; *status gets the HTTP status. */
static CURLcode s_post_once(CURL *h, const char *url, const char *json,
			    const struct slack_post_opts *o, struct curl_slist *hdrs,
			    long *status, char *errbuf)
{
	CURLcode cc;

	curl_easy_reset(h);
	*status = 0;
	errbuf[0] = '\0';
	if ((cc = curl_easy_setopt(h, CURLOPT_URL, url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, json)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_discard)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK)
		return cc;
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return cc;
}

int slack_post_json(const char *url, const char *json, const struct slack_post_opts *opts,
		    int *attempts_out, long *status_out, struct si_err *err)
{
	struct slack_post_opts o = {0};
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURL *h = NULL;
	long status = 0;
	int attempt = 0, rc = -1;
	unsigned int rng;

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
		CURLcode cc = s_post_once(h, url, json, &o, hdrs, &status, errbuf);
		int transport = cc != CURLE_OK;

		if (!transport && status >= 200 && status < 300) {
			rc = 0;
			break;
		}
		if (transport)
			si_err_set(err, SI_ERR_IO, "response_url: %s",
				   errbuf[0] ? errbuf : curl_easy_strerror(cc));
		else
			si_err_set(err, SI_ERR_REMOTE, "response_url answered HTTP %ld", status);
		/* Same policy as AWS calls: connection errors and 5xx are worth
		 * another try; a 4xx (expired or unknown URL) never is. */
		if (!aws_retry_should_retry(transport ? 0 : status, NULL, transport,
					    attempt, o.attempts))
			break;
		s_sleep_ms(aws_retry_backoff_ms(attempt - 1, o.backoff_base_ms, o.timeout_ms,
						s_next(&rng)));
	}
out:
	if (attempts_out != NULL)
		*attempts_out = attempt > o.attempts ? o.attempts : attempt;
	if (status_out != NULL)
		*status_out = status;
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc;
}
