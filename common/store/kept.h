/*
 * kept.h - search results kept for the buttons of a reply ("Show all",
 * "Share in channel", "Refresh"), in the state store (store.h).
 *
 * Why in the store, not in memory: a button press reaches whichever
 * worker, process or host Slack's request lands on, maybe one that
 * restarted since the search; the store is what they all share. Why 30
 * minutes: the buttons post to the interaction's response_url, and the
 * kept result is only worth having while the message it belongs to is
 * fresh (Slack's response_url is valid for 30 minutes, store.h).
 *
 * Decisions, and why:
 * - The key is 128 random bits (the store's job-id generator): a button's
 *   value travels through Slack and back, and only someone shown the
 *   message can know it. kept_get of anything that is not 32 lower-case
 *   hex is "absent" without asking the database, so a forged value costs
 *   nothing.
 * - A result expires at created_at + KEPT_TTL_S: kept_get at or after that
 *   second is "absent" even while the row still exists; kept_prune (the
 *   journal's tick) deletes expired rows in batches of STORE_PRUNE_BATCH.
 * - Bounded: each text at most KEPT_JSON_MAX bytes (refused with
 *   SI_ERR_LIMIT, nothing stored), the Slack ids at most
 *   KEPT_SLACK_ID_MAX - 1 bytes, and at most KEPT_ROWS_MAX rows: the put
 *   that goes past it drops the soonest-expiring rows in its own
 *   transaction, so a burst of searches cannot fill the disk.
 * - The texts are stored as given (checked for size and UTF-8, not
 *   parsed); NULL stays NULL.
 *
 * Failure model (store.h): 0 / -1 with err set, never aborts; database
 * failures count for store_health(), caller mistakes (SI_ERR_INVALID,
 * SI_ERR_LIMIT) do not. Threads: any, the store serialises its connection.
 */
#ifndef SI_STORE_KEPT_H
#define SI_STORE_KEPT_H

#include <stddef.h>
#include <time.h>

#include "store/store.h"
#include "util/err.h"

/* Slack's response_url lives 30 minutes; the buttons are no use after. */
#define KEPT_TTL_S 1800
#define KEPT_ID_LEN STORE_JOB_ID_LEN          /* 32 hex digits, 128 random bits */
#define KEPT_ID_SIZE (KEPT_ID_LEN + 1)
/* Slack's team, channel and user ids are ~9-12 characters; room to spare. */
#define KEPT_SLACK_ID_MAX 64
/* One stored text at most: 40 pages of <= 12,000 characters of block text
 * (render.h) with their JSON fit in well under this. */
#define KEPT_JSON_MAX ((size_t)2 << 20)
/* Rows kept at most; past this the soonest-expiring are dropped. 2,000
 * rows hold 66 answers a minute for response_url's 30 minutes, more than
 * a team's slash commands in an incident; and they bound the disk: a row
 * of rendered pages is at most RENDER_PAGES_MAX pages of ~12.5 KB (~0.5
 * MB, a search of many hundreds of matches; most rows are a few KB), so
 * ~1 GB even if every answer were that broad. */
#define KEPT_ROWS_MAX 2000

struct kept_result {
	char id[KEPT_ID_SIZE];               /* set by kept_new_id before rendering */
	time_t created_at, expires_at;       /* set by kept_put (now, now + KEPT_TTL_S) */
	char team_id[KEPT_SLACK_ID_MAX], channel_id[KEPT_SLACK_ID_MAX],
	     user_id[KEPT_SLACK_ID_MAX];     /* who asked, where */
	int ephemeral;                       /* the answer was ephemeral */
	size_t n_matches, n_pages;
	char *query;                         /* owned: the user's text, to Refresh */
	char *share_json;                    /* owned: the in_channel message Share posts */
	char *pages_json;                    /* owned: render_pages' array */
};

/* 128 random bits (the store's job-id generator: getrandom) as 32
 * lower-case hex and a NUL. 0 or -1 with err. */
int kept_new_id(char id[KEPT_ID_SIZE], struct si_err *err);

/* Store k (k->id set by kept_new_id, texts within KEPT_JSON_MAX, the Slack
 * ids NUL-terminated UTF-8), created now, expiring now + KEPT_TTL_S: both
 * are written back to k. k and its texts stay the caller's. Past
 * KEPT_ROWS_MAX rows the soonest-expiring are dropped in the same
 * transaction. 0, or -1 with err: SI_ERR_INVALID (no store, bad id, a
 * Slack id too long or not UTF-8; an id already kept), SI_ERR_LIMIT (a
 * text over KEPT_JSON_MAX), a database failure; nothing is stored then. */
int kept_put(struct store *st, struct kept_result *k, time_t now, struct si_err *err);

/* 0 found (out filled, free with kept_result_free), 1 absent or expired
 * (now >= expires_at) or id not 32 lower-case hex (the database is not
 * asked), -1 error. out is zeroed first, so kept_result_free(out) is
 * always safe. */
int kept_get(struct store *st, const char *id, time_t now, struct kept_result *out,
	     struct si_err *err);

/* Free the owned texts and zero them; k itself is not freed. NULL is
 * allowed. */
void kept_result_free(struct kept_result *k);

/* Delete up to STORE_PRUNE_BATCH rows expired at now (expires_at <= now);
 * the number deleted goes to *n_deleted (may be NULL). */
int kept_prune(struct store *st, time_t now, size_t *n_deleted, struct si_err *err);

#endif
