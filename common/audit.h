/*
 * audit.h - one logfmt line per search: who asked what, where, and how it
 * went.
 *
 * The record holds only what an operator needs to answer "who searched for
 * this instance?" and nothing secret: there is no field for a signing
 * secret, token, credential or response_url, so none can be logged by
 * mistake. Every string is escaped by logfmt.h, so a query holding quotes
 * or newlines cannot forge fields or lines.
 *
 * Line layout (keys in this order; absent strings are left out):
 *   time=... level=info event=audit request_id= team_id= enterprise_id= user_id=
 *   channel_id= targets= accounts= matches= failures= duration_ms=
 *   delivery= outcome= reason= user_name= channel_name= query=
 *   [query_truncated=true]
 * Fixed-size fields come first and the query last, so a long query can
 * never push another field off the line (room for query_truncated is
 * kept).
 */
#ifndef SI_AUDIT_H
#define SI_AUDIT_H

#include <stddef.h>
#include <stdio.h>

#include "search/types.h"
#include "util/logfmt.h"

/* Slack ids are about 11 characters; 48 bytes keeps a forged long id from
 * crowding the line (worst case 4 bytes each when escaped). */
#define AUDIT_ID_MAX 48
/* Slack channel names are at most 80 characters, user names fewer. */
#define AUDIT_NAME_MAX 80
/* Queries are cut here (then further if the line is short of room). What
 * matters for an audit is which terms were asked; 512 bytes holds dozens. */
#define AUDIT_QUERY_MAX 512
/* The request id of the HTTP request that asked (the worker's request line
 * carries the same, fcgi/worker.c: nginx's $request_id is 32 hex digits,
 * the worker allows 64), so an audit line joins its request line. */
#define AUDIT_REQID_MAX 64

/* How the answer reached the user. */
enum audit_delivery {
	AUDIT_DELIVERY_NONE = 0,  /* nothing sent (refused before a search) */
	AUDIT_DELIVERY_INLINE,    /* in the HTTP response */
	AUDIT_DELIVERY_DEFERRED,  /* later, through response_url */
	AUDIT_DELIVERY_ERROR      /* posting to response_url failed */
};

enum audit_outcome {
	AUDIT_OUTCOME_OK = 0,     /* every target answered, something found */
	AUDIT_OUTCOME_NOT_FOUND,  /* every target answered, nothing found */
	AUDIT_OUTCOME_PARTIAL,    /* some targets failed */
	AUDIT_OUTCOME_FAILED,     /* every target failed */
	AUDIT_OUTCOME_TIMEOUT,    /* the search deadline passed */
	AUDIT_OUTCOME_REFUSED,    /* access refused; see reason */
	AUDIT_OUTCOME_INVALID     /* the query could not be parsed */
};

/* Every pointer is borrowed for the call and may be NULL (then the key is
 * left out). Strings are cut at the limits above, on a UTF-8 boundary, and
 * end with "..." when cut. */
struct audit_record {
	const char *request_id;   /* the asking HTTP request's id; left out
				     unless a plain token ([A-Za-z0-9._-],
				     at most AUDIT_REQID_MAX bytes) */
	const char *team_id;
	const char *enterprise_id;
	const char *user_id;
	const char *user_name;
	const char *channel_id;
	const char *channel_name;
	const char *query;        /* the command text as typed */
	size_t targets;           /* account/region pairs searched */
	size_t accounts;          /* distinct accounts searched */
	size_t matches;           /* instances found */
	size_t failures;          /* targets that failed */
	long long duration_ms;
	enum audit_delivery delivery;
	enum audit_outcome outcome;
	const char *reason;       /* short static log reason (e.g. from
				     access.h), or NULL */
};

/* Who asked, and where: the request fields every audit line starts with,
 * named once so that a refusal and a search log the same ones. Pointers are
 * borrowed as in struct audit_record (a holder that owns copies frees them
 * itself). */
struct audit_who {
	const char *request_id;   /* the HTTP request's id (fcgi/worker.c) */
	const char *team_id;
	const char *enterprise_id;
	const char *user_id;
	const char *user_name;
	const char *channel_id;
	const char *channel_name;
};

/* Zero r, then set who asked (who may be NULL: no identity keys) and the
 * query as typed. Counts, delivery, outcome and reason are left for the
 * caller. */
void audit_record_init(struct audit_record *r, const struct audit_who *who, const char *query);

/* Fill l with the audit line for r (starting it with logfmt_begin), never
 * longer than LOGFMT_LINE_MAX and never cut by logfmt itself. Returns 0, or
 * -1 when l or r is NULL. */
int audit_line(struct logfmt *l, const struct audit_record *r);

/* Build the line and write it to f (stderr in the service) with one write.
 * Nothing is written when r or f is NULL. */
void audit_emit(const struct audit_record *r, FILE *f);

/*
 * One line per failed target of a search, for the operator (the audit
 * line only counts them): which account, region and call failed, with
 * which AWS code, and AWS's request id for a support case:
 *   time=... level=warn msg="target failed" request_id= account=ALIAS
 *   account_id= region= service= action= code= aws_request_id= message=
 * Keys whose value is not known are left out (a Timeout has no AWS
 * request id; TooManyMatches no call). The message is the one the user's
 * reply already shows (AWS's, the transport's or the credential chain's
 * text), cut at AUDIT_FAILURE_MESSAGE_MAX; the record holds no request,
 * headers or keys, so no signature or credential can reach the line.
 */
#define AUDIT_FAILURE_MESSAGE_MAX 256
/* Lines one search may write: an organisation-wide outage of hundreds of
 * targets says what it needs in 50 lines, then one line counts the rest
 * (msg="target failures not logged" not_logged=N failures=TOTAL). */
#define AUDIT_FAILURES_MAX 50

/* Fill l with the line for f (starting it with logfmt_begin). request_id
 * as in struct audit_record. Returns 0, or -1 when l or f is NULL. */
int audit_failure_line(struct logfmt *l, const char *request_id,
		       const struct search_failure *f);

/* Write r's failure lines to out (stderr in the service), at most
 * AUDIT_FAILURES_MAX plus the counting line, each with one write. Returns
 * how many lines were written (0 for a NULL argument or no failures). */
size_t audit_failures_emit(const char *request_id, const struct search_result *r, FILE *out);

/* Fixed names: "none", "inline", "deferred", "error" and "ok",
 * "not_found", "partial", "failed", "timeout", "refused", "invalid". */
const char *audit_delivery_name(enum audit_delivery d);
const char *audit_outcome_name(enum audit_outcome o);

#endif
