#include "audit.h"

#include <limits.h>
#include <string.h>

/*
 * logfmt.h cuts a full line blindly, which could drop a closing quote and
 * every later field. This module sizes each value so that never happens:
 * the line is kept AUDIT_LINE_SLACK bytes short of LOGFMT_LINE_MAX, more
 * than logfmt's own reserve for its newline and "..." marker.
 */
#define AUDIT_LINE_SLACK 8
#define AUDIT_LINE_ROOM (LOGFMT_LINE_MAX - AUDIT_LINE_SLACK)

/* Appended to a value that was cut. */
#define AUDIT_CUT_MARK "..."
#define AUDIT_CUT_MARK_LEN 3

/* Room kept for " query_truncated=true" after the query. */
#define AUDIT_TRUNC_KEY "query_truncated"
#define AUDIT_TRUNC_ROOM (sizeof(" " AUDIT_TRUNC_KEY "=true") - 1)

const char *audit_delivery_name(enum audit_delivery d)
{
	switch (d) {
	case AUDIT_DELIVERY_NONE: return "none";
	case AUDIT_DELIVERY_INLINE: return "inline";
	case AUDIT_DELIVERY_DEFERRED: return "deferred";
	case AUDIT_DELIVERY_ERROR: return "error";
	}
	return "unknown";
}

const char *audit_outcome_name(enum audit_outcome o)
{
	switch (o) {
	case AUDIT_OUTCOME_OK: return "ok";
	case AUDIT_OUTCOME_NOT_FOUND: return "not_found";
	case AUDIT_OUTCOME_PARTIAL: return "partial";
	case AUDIT_OUTCOME_FAILED: return "failed";
	case AUDIT_OUTCOME_TIMEOUT: return "timeout";
	case AUDIT_OUTCOME_REFUSED: return "refused";
	case AUDIT_OUTCOME_INVALID: return "invalid";
	}
	return "unknown";
}

/* Bytes logfmt writes for one value byte: an upper bound that follows
 * logfmt.c (backslash before '"' and '\\', \xNN for control bytes). */
static size_t s_esc_width(unsigned char c)
{
	if (c == '"' || c == '\\')
		return 2;
	if (c < 0x20 || c == 0x7f)
		return 4;
	return 1;
}

/*
 * Append key=value, cutting value to at most cap bytes and to what still
 * fits in the line minus keep bytes. A cut ends on a UTF-8 character
 * boundary and gets "...". Returns 1 if the value was cut, 0 if not, and
 * 0 without writing when not even the marker fits.
 */
static int s_put(struct logfmt *l, const char *key, const char *value,
		 size_t cap, size_t keep)
{
	char tmp[AUDIT_QUERY_MAX + AUDIT_CUT_MARK_LEN + 1];
	size_t overhead = 1 + strlen(key) + 1 + 2; /* ' ', '=', quotes */
	size_t avail, used = 0, n = 0;

	if (value == NULL)
		return 0;
	if (cap > AUDIT_QUERY_MAX)
		cap = AUDIT_QUERY_MAX;
	if (l->len + overhead + keep + AUDIT_CUT_MARK_LEN > AUDIT_LINE_ROOM)
		return 0;
	avail = AUDIT_LINE_ROOM - l->len - overhead - keep;
	while (value[n] != '\0' && n < cap &&
	       used + s_esc_width((unsigned char)value[n]) <= avail) {
		used += s_esc_width((unsigned char)value[n]);
		n++;
	}
	if (value[n] == '\0') {
		logfmt_str(l, key, value);
		return 0;
	}
	/* Cut: make room for the marker, then step back off any UTF-8
	 * continuation bytes so no character is split. */
	while (n > 0 && used + AUDIT_CUT_MARK_LEN > avail)
		used -= s_esc_width((unsigned char)value[--n]);
	while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
		n--;
	memcpy(tmp, value, n);
	memcpy(tmp + n, AUDIT_CUT_MARK, AUDIT_CUT_MARK_LEN + 1);
	logfmt_str(l, key, tmp);
	return 1;
}

/* size_t counts above LLONG_MAX cannot happen (they count allocations);
 * clamp instead of wrapping to a negative number anyway. */
static long long s_ll(size_t v)
{
	return v > (size_t)LLONG_MAX ? LLONG_MAX : (long long)v;
}

/* The request id goes in only as the worker makes it, a plain token
 * (fcgi/worker.c: hex digits and '-', or pid-index-n), and whole: it is
 * for joining lines, so a cut or escaped one would join nothing, and a
 * token never needs escaping, which keeps its room on the line fixed. */
static void s_reqid(struct logfmt *l, const char *rid)
{
	size_t len;

	if (rid == NULL)
		return;
	len = strlen(rid);
	if (len == 0 || len > AUDIT_REQID_MAX ||
	    strspn(rid, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.") != len)
		return;
	logfmt_str(l, "request_id", rid);
}

int audit_line(struct logfmt *l, const struct audit_record *r)
{
	if (l == NULL || r == NULL)
		return -1;
	logfmt_begin(l, "info");
	logfmt_str(l, "event", "audit");
	/* Worst case before the query, every id and name at its cap and all
	 * control bytes (4 bytes each escaped): about 1,830 bytes, so the
	 * integers always fit and the query keeps at least ~250 bytes. */
	s_reqid(l, r->request_id);
	s_put(l, "team_id", r->team_id, AUDIT_ID_MAX, 0);
	s_put(l, "enterprise_id", r->enterprise_id, AUDIT_ID_MAX, 0);
	s_put(l, "user_id", r->user_id, AUDIT_ID_MAX, 0);
	s_put(l, "channel_id", r->channel_id, AUDIT_ID_MAX, 0);
	logfmt_int(l, "targets", s_ll(r->targets));
	logfmt_int(l, "accounts", s_ll(r->accounts));
	logfmt_int(l, "matches", s_ll(r->matches));
	logfmt_int(l, "failures", s_ll(r->failures));
	logfmt_int(l, "duration_ms", r->duration_ms);
	logfmt_str(l, "delivery", audit_delivery_name(r->delivery));
	logfmt_str(l, "outcome", audit_outcome_name(r->outcome));
	s_put(l, "reason", r->reason, AUDIT_NAME_MAX, 0);
	s_put(l, "user_name", r->user_name, AUDIT_NAME_MAX, 0);
	s_put(l, "channel_name", r->channel_name, AUDIT_NAME_MAX, 0);
	if (s_put(l, "query", r->query, AUDIT_QUERY_MAX, AUDIT_TRUNC_ROOM))
		logfmt_str(l, AUDIT_TRUNC_KEY, "true");
	return 0;
}

void audit_record_init(struct audit_record *r, const struct audit_who *who, const char *query)
{
	memset(r, 0, sizeof(*r));
	if (who != NULL) {
		r->request_id = who->request_id;
		r->team_id = who->team_id;
		r->enterprise_id = who->enterprise_id;
		r->user_id = who->user_id;
		r->user_name = who->user_name;
		r->channel_id = who->channel_id;
		r->channel_name = who->channel_name;
	}
	r->query = query;
}

int audit_failure_line(struct logfmt *l, const char *request_id,
		       const struct search_failure *f)
{
	if (l == NULL || f == NULL)
		return -1;
	logfmt_begin(l, "warn");
	logfmt_str(l, "msg", "target failed");
	s_reqid(l, request_id);
	/* Aliases, regions and codes are short; the caps only keep a broken
	 * one from crowding the message off the line. */
	s_put(l, "account", f->account_alias, AUDIT_NAME_MAX, 0);
	if (f->account_id[0] != '\0')
		s_put(l, "account_id", f->account_id, AUDIT_ID_MAX, 0);
	s_put(l, "region", f->region, AUDIT_ID_MAX, 0);
	if (f->service[0] != '\0')
		s_put(l, "service", f->service, AUDIT_ID_MAX, 0);
	if (f->action[0] != '\0')
		s_put(l, "action", f->action, AUDIT_NAME_MAX, 0);
	s_put(l, "code", f->code, AUDIT_NAME_MAX * 2, 0);
	if (f->aws_request_id[0] != '\0')
		s_put(l, "aws_request_id", f->aws_request_id, SEARCH_FAILURE_RID_MAX, 0);
	s_put(l, "message", f->message, AUDIT_FAILURE_MESSAGE_MAX, 0);
	return 0;
}

size_t audit_failures_emit(const char *request_id, const struct search_result *r, FILE *out)
{
	struct logfmt l;
	size_t n = 0;

	if (r == NULL || out == NULL)
		return 0;
	for (size_t i = 0; i < r->n_failures && i < AUDIT_FAILURES_MAX; i++)
		if (audit_failure_line(&l, request_id, &r->failures[i]) == 0) {
			logfmt_emit(&l, out);
			n++;
		}
	if (r->n_failures > AUDIT_FAILURES_MAX) {
		logfmt_begin(&l, "warn");
		logfmt_str(&l, "msg", "target failures not logged");
		s_reqid(&l, request_id);
		logfmt_int(&l, "not_logged", s_ll(r->n_failures - AUDIT_FAILURES_MAX));
		logfmt_int(&l, "failures", s_ll(r->n_failures));
		logfmt_emit(&l, out);
		n++;
	}
	return n;
}

void audit_emit(const struct audit_record *r, FILE *f)
{
	struct logfmt l;

	if (r == NULL || f == NULL)
		return;
	if (audit_line(&l, r) == 0)
		logfmt_emit(&l, f);
}
