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

/* POST json (application/json) to url. Retries connection errors and 5xx
 * with full-jitter backoff; never a 4xx. Returns 0 on a 2xx, -1 otherwise
 * with err set. *attempts_out (may be NULL) gets the number of tries. */
int slack_post_json(const char *url, const char *json, const struct slack_post_opts *opts,
		    int *attempts_out, long *status_out, struct si_err *err);

#endif
