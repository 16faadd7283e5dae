/*
 * slack_post.h - deliver a message to a Slack response_url.
 *
 * Blocking, on the calling thread, with libcurl's easy interface: used by
 * the search workers for deferred answers and by the FastCGI threads for
 * the "Searching..." notice. Only URLs that passed the front door's prefix
 * check reach here.
 */
#ifndef SI_SLACK_POST_H
#define SI_SLACK_POST_H

#include "util/err.h"

struct slack_post_opts {
	long connect_timeout_ms;   /* 0 = SLACK_POST_CONNECT_TIMEOUT_MS */
	long timeout_ms;           /* 0 = SLACK_POST_TIMEOUT_MS */
	int attempts;              /* 0 = SLACK_POST_ATTEMPTS */
	long backoff_base_ms;      /* 0 = SLACK_POST_BACKOFF_MS */
	unsigned int seed;         /* jitter seed */
};

/* Slack asks apps to answer response_url within 30 minutes, up to five
 * times; three attempts over a few seconds ride out a blip without
 * delaying the answer much (the "3 attempts"). */
#define SLACK_POST_ATTEMPTS 3
#define SLACK_POST_CONNECT_TIMEOUT_MS 2000L
#define SLACK_POST_TIMEOUT_MS 5000L
#define SLACK_POST_BACKOFF_MS 200L

/* Bytes of an answer's body kept for the caller: Slack refuses a message
 * with a short error, a plain-text word ("invalid_blocks") or a small JSON
 * object ({"ok":false,"error":"msg_blocks_too_long"}); 256 bytes hold
 * either with room to spare, and bound what a hostile peer can make us
 * keep or log. */
#define SLACK_POST_BODY_MAX 256

/* What the last try got (slack_post_json_ex). */
struct slack_post_result {
	int attempts;                        /* tries made */
	long status;                         /* last HTTP status; 0: no answer */
	char body[SLACK_POST_BODY_MAX + 1];  /* its body's first bytes, NUL-ended */
	size_t body_len;                     /* bytes in body (a NUL may be one) */
	int body_cut;                        /* the body was longer */
	/* Slack's error code: the "error" member of a JSON body, else the
	 * plain text trimmed; printable ASCII only (others become '?'); ""
	 * when the body said nothing. Set on every answer, 2xx included. */
	char error[SLACK_POST_BODY_MAX + 1];
};

/* POST json (application/json) to url. Retries connection errors and 5xx
 * with full-jitter backoff; never a 4xx. Returns 0 on a 2xx, -1 otherwise
 * with err set (on an HTTP error, "response_url answered HTTP 400:
 * msg_blocks_too_long" when the body named the error). out (may be NULL)
 * is filled whatever the outcome. */
int slack_post_json_ex(const char *url, const char *json, const struct slack_post_opts *opts,
		       struct slack_post_result *out, struct si_err *err);

/* The same, for callers that want only the counts: *attempts_out and
 * *status_out (each may be NULL) get the number of tries and the last
 * status. */
int slack_post_json(const char *url, const char *json, const struct slack_post_opts *opts,
		    int *attempts_out, long *status_out, struct si_err *err);

/* Slack's error code in body (len bytes, need not end in a NUL): the
 * string "error" of a JSON object, else the text itself with surrounding
 * white space trimmed. Written to out (size n >= 1, always NUL-ended,
 * cut to fit), printable ASCII only. */
void slack_post_error_text(const char *body, size_t len, char *out, size_t n);

#endif
