/*
 * kept.c - results kept for the buttons (kept.h), one table of the state
 * store (kept_results, schema v4) on the store's generic statements
 * (store/private/backend.h): one SQL text per statement for both
 * databases, $1..$n placeholders, times as Unix seconds.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/kept.h"
#include "store/private/backend.h"
#include "util/strutil.h"

_Static_assert(sizeof(long) >= sizeof(int64_t),
	       "times and counts are read back with si_parse_long");
_Static_assert(KEPT_ID_LEN == STORE_JOB_ID_LEN, "kept ids are the store's ids");

#define S_NARGS(a) (sizeof(a) / sizeof((a)[0]))

/* The columns every read selects, in the order s_get_row decodes them. */
#define S_COLUMNS \
	"id, created_at, expires_at, team_id, channel_id, user_id, ephemeral, n_matches," \
	" n_pages, query, share_json, pages_json"
#define S_NCOLS 12

int kept_new_id(char id[KEPT_ID_SIZE], struct si_err *err)
{
	if (id == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no id buffer");
	return store_private_new_id(id, err);
}

void kept_result_free(struct kept_result *k)
{
	if (k == NULL)
		return;
	free(k->query);
	free(k->share_json);
	free(k->pages_json);
	k->query = k->share_json = k->pages_json = NULL;
}

/* --- checks ---------------------------------------------------------------- */

/* A Slack id: NUL-terminated inside its array, UTF-8 (Slack's are
 * [A-Z0-9], but the store only promises what it can keep alike). */
static int s_check_slack_id(const char *what, const char s[KEPT_SLACK_ID_MAX],
			    struct si_err *err)
{
	if (memchr(s, '\0', KEPT_SLACK_ID_MAX) == NULL)
		return si_err_set(err, SI_ERR_INVALID, "kept result's %s is longer than %d bytes",
				  what, KEPT_SLACK_ID_MAX - 1);
	return store_private_check_text(what, s, KEPT_SLACK_ID_MAX - 1, err);
}

/* Everything kept_put stores, checked before the database is asked, so a
 * refused result stores nothing and costs no health. */
static int s_check(const struct kept_result *k, struct si_err *err)
{
	if (store_private_check_id(k->id, NULL) != 0)
		return si_err_set(err, SI_ERR_INVALID, "kept result id is not %d lower-case hex "
				  "digits", KEPT_ID_LEN);
	if (s_check_slack_id("team_id", k->team_id, err) != 0 ||
	    s_check_slack_id("channel_id", k->channel_id, err) != 0 ||
	    s_check_slack_id("user_id", k->user_id, err) != 0)
		return -1;
	if ((uint64_t)k->n_matches > INT64_MAX || (uint64_t)k->n_pages > INT64_MAX)
		return si_err_set(err, SI_ERR_LIMIT, "kept result's counts are too large");
	if (store_private_check_text("kept result's query", k->query, KEPT_JSON_MAX, err) != 0 ||
	    store_private_check_text("kept result's share message", k->share_json, KEPT_JSON_MAX,
				     err) != 0 ||
	    store_private_check_text("kept result's pages", k->pages_json, KEPT_JSON_MAX,
				     err) != 0)
		return -1;
	return 0;
}

/* --- kept_put -------------------------------------------------------------- */

struct s_put {
	const struct store_backend_vtable *vt;
	void *impl;
	const struct kept_result *k;
	int64_t count;
};

/*
 * One put, one write transaction: the row, then the cap. The cap counts
 * after the insert and drops the soonest-expiring rows past
 * KEPT_ROWS_MAX, never the row just written (another host's clock may
 * make it look older). Concurrent puts on PostgreSQL (READ COMMITTED) may
 * each drop a few: the bound holds, give or take the racing puts. An id
 * already kept is refused rather than overwritten (ON CONFLICT DO
 * NOTHING: the same words on both databases), so a colliding or replayed
 * id never replaces someone else's result.
 */
static int s_put_body(void *ctx, struct si_err *err)
{
	struct s_put *p = ctx;
	const struct kept_result *k = p->k;
	struct store_arg a[] = {
		STORE_TXT(k->id), STORE_INT(k->created_at), STORE_INT(k->expires_at),
		STORE_TXT(k->team_id), STORE_TXT(k->channel_id), STORE_TXT(k->user_id),
		STORE_INT(k->ephemeral != 0), STORE_INT(k->n_matches), STORE_INT(k->n_pages),
		STORE_TXT(k->query), STORE_TXT(k->share_json), STORE_TXT(k->pages_json)
	};
	struct store_stmt ins = { "INSERT INTO kept_results (" S_COLUMNS ") VALUES ($1, $2, $3,"
				  " $4, $5, $6, $7, $8, $9, $10, $11, $12)"
				  " ON CONFLICT (id) DO NOTHING", a, S_NARGS(a), NULL, NULL, 0 };
	struct store_stmt cnt = { "SELECT COUNT(*) FROM kept_results", NULL, 0,
				  store_private_count_row, &p->count, 0 };
	struct store_arg d[] = { STORE_INT(0), STORE_TXT(k->id) };
	struct store_stmt del = { "DELETE FROM kept_results WHERE id IN (SELECT id FROM"
				  " kept_results WHERE id <> $2 ORDER BY expires_at, id LIMIT $1)",
				  d, S_NARGS(d), NULL, NULL, 0 };

	if (p->vt->stmt(p->impl, &ins, err) != 0)
		return -1;
	if (ins.changes == 0)
		return si_err_set(err, SI_ERR_INVALID, "a result with id %s is already kept",
				  k->id);
	if (p->vt->stmt(p->impl, &cnt, err) != 0)
		return -1;
	if (p->count <= KEPT_ROWS_MAX)
		return 0;
	d[0].i = p->count - KEPT_ROWS_MAX;
	return p->vt->stmt(p->impl, &del, err);
}

int kept_put(struct store *st, struct kept_result *k, time_t now, struct si_err *err)
{
	struct s_put p;
	struct si_err e;

	if (st == NULL || k == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store or no result");
	if (s_check(k, err) != 0)
		return -1;
	k->created_at = now;
	k->expires_at = now + KEPT_TTL_S;
	memset(&p, 0, sizeof(p));
	p.k = k;
	store_private_backend(st, &p.vt, &p.impl);
	si_err_clear(&e);
	return store_private_done(st, p.vt->run(p.impl, 1, s_put_body, &p, &e), &e, err);
}

/* --- kept_get -------------------------------------------------------------- */

struct s_get {
	const struct store_backend_vtable *vt;
	void *impl;
	const char *id;
	int64_t now;
	struct kept_result *out;
	int found;
};

static int s_col_long(const char *s, long min, long *out, struct si_err *err)
{
	if (s == NULL || si_parse_long(s, min, LONG_MAX, out) != 0)
		return si_err_set(err, SI_ERR_INTERNAL, "kept results: not a number: %.40s",
				  s != NULL ? s : "NULL");
	return 0;
}

static int s_col_id(const char *s, char dst[KEPT_SLACK_ID_MAX], struct si_err *err)
{
	size_t n = s != NULL ? strnlen(s, KEPT_SLACK_ID_MAX) : 0;

	if (n >= KEPT_SLACK_ID_MAX)
		return si_err_set(err, SI_ERR_INTERNAL, "kept results: Slack id too long");
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
	return 0;
}

/* A text column as an owned copy; SQL NULL stays NULL. */
static int s_col_text(const char *s, char **out, struct si_err *err)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = si_strndup(s, strlen(s));
	return *out != NULL ? 0 : si_err_set(err, SI_ERR_NOMEM, "out of memory");
}

/* The one row of a found id, in S_COLUMNS order. A row the store would
 * not have written (a bad number, an over-long id) is an internal error,
 * not a result. */
static int s_get_row(void *ctx, const char *const *col, int ncol, struct si_err *err)
{
	struct s_get *g = ctx;
	struct kept_result *k = g->out;
	/* created_at, expires_at (any time), ephemeral, n_matches, n_pages */
	static const int pos[5] = { 1, 2, 6, 7, 8 };
	static const long min[5] = { LONG_MIN, LONG_MIN, 0, 0, 0 };
	long t[5];

	if (ncol != S_NCOLS || g->found ||
	    col[0] == NULL || strlen(col[0]) != KEPT_ID_LEN)
		return si_err_set(err, SI_ERR_INTERNAL, "kept results: unexpected row");
	for (size_t i = 0; i < 5; i++)
		if (s_col_long(col[pos[i]], min[i], &t[i], err) != 0)
			return -1;
	memcpy(k->id, col[0], KEPT_ID_SIZE);
	k->created_at = (time_t)t[0];
	k->expires_at = (time_t)t[1];
	k->ephemeral = t[2] != 0;
	k->n_matches = (size_t)t[3];
	k->n_pages = (size_t)t[4];
	if (s_col_id(col[3], k->team_id, err) != 0 ||
	    s_col_id(col[4], k->channel_id, err) != 0 ||
	    s_col_id(col[5], k->user_id, err) != 0 ||
	    s_col_text(col[9], &k->query, err) != 0 ||
	    s_col_text(col[10], &k->share_json, err) != 0 ||
	    s_col_text(col[11], &k->pages_json, err) != 0)
		return -1;
	g->found = 1;
	return 0;
}

static int s_get_body(void *ctx, struct si_err *err)
{
	struct s_get *g = ctx;
	struct store_arg a[] = { STORE_TXT(g->id), STORE_INT(g->now) };
	struct store_stmt s = { "SELECT " S_COLUMNS " FROM kept_results"
				" WHERE id = $1 AND expires_at > $2", a, S_NARGS(a), s_get_row, g,
				0 };

	return g->vt->stmt(g->impl, &s, err);
}

int kept_get(struct store *st, const char *id, time_t now, struct kept_result *out,
	     struct si_err *err)
{
	struct s_get g;
	struct si_err e;

	if (out == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no output for the kept result");
	memset(out, 0, sizeof(*out));
	/* A forged or mangled button value: absent, and the database is
	 * never asked (nor its health touched). */
	if (store_private_check_id(id, NULL) != 0)
		return 1;
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	memset(&g, 0, sizeof(g));
	store_private_backend(st, &g.vt, &g.impl);
	g.id = id;
	g.now = now;
	g.out = out;
	si_err_clear(&e);
	if (store_private_done(st, g.vt->run(g.impl, 0, s_get_body, &g, &e), &e, err) != 0) {
		kept_result_free(out);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return g.found ? 0 : 1;
}

/* --- kept_prune ------------------------------------------------------------ */

struct s_prune {
	const struct store_backend_vtable *vt;
	void *impl;
	int64_t now;
	size_t deleted;
};

/* One bounded DELETE, the oldest expiries first, as the store's other
 * prunes: a short write whatever the backlog (the row cap bounds it). */
static int s_prune_body(void *ctx, struct si_err *err)
{
	struct s_prune *p = ctx;
	struct store_arg a[] = { STORE_INT(p->now), STORE_INT(STORE_PRUNE_BATCH) };
	struct store_stmt s = { "DELETE FROM kept_results WHERE id IN (SELECT id FROM"
				" kept_results WHERE expires_at <= $1 ORDER BY expires_at, id"
				" LIMIT $2)", a, S_NARGS(a), NULL, NULL, 0 };

	if (p->vt->stmt(p->impl, &s, err) != 0)
		return -1;
	p->deleted = s.changes;
	return 0;
}

int kept_prune(struct store *st, time_t now, size_t *n_deleted, struct si_err *err)
{
	struct s_prune p;
	struct si_err e;

	if (n_deleted != NULL)
		*n_deleted = 0;
	if (st == NULL)
		return si_err_set(err, SI_ERR_INVALID, "no state store");
	memset(&p, 0, sizeof(p));
	store_private_backend(st, &p.vt, &p.impl);
	p.now = now;
	si_err_clear(&e);
	if (store_private_done(st, p.vt->run(p.impl, 0, s_prune_body, &p, &e), &e, err) != 0)
		return -1;
	if (n_deleted != NULL)
		*n_deleted = p.deleted;
	return 0;
}
