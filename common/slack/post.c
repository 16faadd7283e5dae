/*
 * post.c - response_url delivery (see post.h): libcurl easy through
 * util/http, the retry rule of every HTTP caller (transport errors, 429 and
 * transient 5xx), full-jitter backoff from util/backoff.
 */
#include "slack/post.h"

#include <stdint.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "util/backoff.h"
#include "util/clock.h"
#include "util/http.h"
#include "util/json.h"
#include "util/strutil.h"

/* The body's head, kept by s_head_cb; the rest is read and dropped. */
struct s_head {
	char data[SLACK_POST_BODY_MAX + 1];
	size_t len;
	int cut;
};

/* Why our own write callback over si_http_setup's: its body cap fails the
 * transfer past the cap (a long "ok" would then look like a network
 * error and be posted again), while here only the first bytes matter and
 * the rest of any length is read and dropped. */
static size_t s_head_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct s_head *hd = userdata;
	size_t n = size * nmemb, take = SLACK_POST_BODY_MAX - hd->len;

	if (take > n)
		take = n;
	memcpy(hd->data + hd->len, ptr, take);
	hd->len += take;
	hd->data[hd->len] = '\0';
	if (take < n)
		hd->cut = 1;
	return n;
}

/* One POST on h (reset first). Returns 0 on an HTTP answer (*status set),
 * -1 with err when there was none (or the handle could not be set up). */
static int s_post_once(CURL *h, const char *url, const char *json,
		       const struct slack_post_opts *o, struct curl_slist *hdrs,
		       struct si_http_resp *resp, struct s_head *hd, long *status,
		       struct si_err *err)
{
	const struct si_http_opts ho = {
		.connect_timeout_ms = o->connect_timeout_ms,
		.timeout_ms = o->timeout_ms,
	};

	curl_easy_reset(h);
	*status = 0;
	memset(hd, 0, sizeof(*hd));
	if (si_http_setup(h, &ho, resp, err) != 0)
		return -1;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_head_cb) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, hd) != CURLE_OK)
		return si_err_set(err, SI_ERR_INTERNAL, "response_url: curl_easy_setopt failed");
	return si_http_perform(h, resp, "response_url", status, err);
}

/* Copy s (len bytes) to out (size n), printable ASCII only. */
static void s_copy_printable(const char *s, size_t len, char *out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[k] = '\0';
}

/* Why both forms: response_url answers a refused message with the bare
 * code as text ("invalid_blocks") or, on newer paths, with the Web API's
 * {"ok":false,"error":"..."}; callers log and compare the code alone.
 * Assumes nothing of body: it came from the peer, may be cut, may hold any
 * byte; JSON is parsed only within SLACK_POST_BODY_MAX. */
void slack_post_error_text(const char *body, size_t len, char *out, size_t n)
{
	static const struct si_json_opts opts = { "answer", SLACK_POST_BODY_MAX, 4, 0 };
	struct json_object *o = NULL, *e;

	if (n == 0)
		return;
	out[0] = '\0';
	if (body == NULL)
		return;
	while (len > 0 && si_ascii_space((unsigned char)body[0])) {
		body++;
		len--;
	}
	while (len > 0 && si_ascii_space((unsigned char)body[len - 1]))
		len--;
	if (len > 0 && body[0] == '{')
		o = si_json_read(body, len, &opts, NULL);
	/* {"ok":false,"error":"..."}: the code alone; any other JSON (or a
	 * cut one) is shown as it came. */
	if (o != NULL && json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_string)) {
		s_copy_printable(json_object_get_string(e),
				 (size_t)json_object_get_string_len(e), out, n);
	} else {
		s_copy_printable(body, len, out, n);
	}
	json_object_put(o);
}

/* Why: Slack may drop a connection or answer 5xx for a moment, and a lost
 * final answer is the worst outcome for a user, so a few tries with jitter
 * are worth a short delay. Assumes url already passed the front door's
 * prefix check; never retries a 4xx (an expired or unknown URL, or a
 * message Slack refused: the caller decides what to post instead, from
 * the error text kept in out). */
int slack_post_json_ex(const char *url, const char *json, const struct slack_post_opts *opts,
		       struct slack_post_result *out, struct si_err *err)
{
	struct slack_post_opts o = {0};
	struct curl_slist *hdrs = NULL;
	struct si_http_resp resp;
	struct s_head hd;
	CURL *h = NULL;
	long status = 0;
	int attempt = 0, rc = -1;
	uint32_t rng;

	memset(&hd, 0, sizeof(hd));
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
		int transport = s_post_once(h, url, json, &o, hdrs, &resp, &hd, &status,
					    err) != 0;

		if (!transport && status >= 200 && status < 300) {
			rc = 0;
			break;
		}
		if (!transport) {
			char why[SLACK_POST_BODY_MAX + 1];

			slack_post_error_text(hd.data, hd.len, why, sizeof(why));
			si_err_set(err, SI_ERR_REMOTE, "response_url answered HTTP %ld%s%s",
				   status, why[0] ? ": " : "", why);
		}
		/* Connection errors and transient statuses are worth another
		 * try; a 4xx (expired or unknown URL) never is. */
		if (attempt >= o.attempts || (!transport && !si_http_status_transient(status)))
			break;
		si_sleep_ms(si_backoff_ms(attempt - 1, o.backoff_base_ms, o.timeout_ms,
					  si_backoff_rand(&rng)));
	}
out:
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->attempts = attempt > o.attempts ? o.attempts : attempt;
		out->status = status;
		memcpy(out->body, hd.data, hd.len);
		out->body_len = hd.len;
		out->body_cut = hd.cut;
		slack_post_error_text(hd.data, hd.len, out->error, sizeof(out->error));
	}
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	si_http_resp_free(&resp, 0);
	return rc;
}

int slack_post_json(const char *url, const char *json, const struct slack_post_opts *opts,
		    int *attempts_out, long *status_out, struct si_err *err)
{
	struct slack_post_result r;
	int rc = slack_post_json_ex(url, json, opts, &r, err);

	if (attempts_out != NULL)
		*attempts_out = r.attempts;
	if (status_out != NULL)
		*status_out = r.status;
	return rc;
}
