/*
 * proto.h - the FastCGI responder protocol, as much as nginx and Apache use:
 * one request at a time on a connection (BEGIN_REQUEST, PARAMS, STDIN in),
 * STDOUT and END_REQUEST out; with FCGI_KEEP_CONN the next request follows
 * on the same connection (fcgi_req_reset between them).
 *
 * Why our own parser and not libfcgi's: libfcgi reads a request from a
 * blocking socket with no time limit (one idle peer pins one thread) and
 * trusts the name-value lengths it is sent (ReadParams computes
 * nameLen + valueLen + 2 in an int: a 16-byte record with both lengths at
 * 0x3fffffff overflows it and libfcgi's Malloc assertion aborts the
 * process). This parser is fed bytes as they arrive, never blocks, checks
 * every length against what was actually received (in size_t) and caps
 * what it buffers, so the door thread can hold many connections at once
 * and hand a request thread only a request that is complete and sane.
 * It does no I/O: tests and the fuzz target drive it with buffers.
 */
#ifndef SI_FCGI_PROTO_H
#define SI_FCGI_PROTO_H

#include <stddef.h>
#include <sys/uio.h>

#include "util/err.h"

#define FCGI_HEADER_LEN 8
#define FCGI_VERSION_1 1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_ABORT_REQUEST 2
#define FCGI_END_REQUEST 3
#define FCGI_PARAMS 4
#define FCGI_STDIN 5
#define FCGI_STDOUT 6
#define FCGI_RESPONDER 1
#define FCGI_KEEP_CONN 1
/* A record's content length is 16 bits. */
#define FCGI_MAX_CONTENT 65535

/* The parameter stream of one request. nginx sends every param (and every
 * HTTP header as HTTP_*) in one record of at most 64 KiB; a Slack request
 * carries about 2 KiB. More than this is not a web server talking. */
#define FCGI_PARAMS_MAX (64 * 1024)
/* Name-value pairs per request: ~40 from nginx's fastcgi_params plus the
 * request headers; Slack sends about a dozen headers. */
#define FCGI_PARAMS_COUNT_MAX 512

enum fcgi_stage {
	FCGI_STAGE_BEGIN,      /* waiting for BEGIN_REQUEST */
	FCGI_STAGE_PARAMS,     /* reading PARAMS until the empty record */
	FCGI_STAGE_STDIN,      /* reading STDIN until the empty record */
	FCGI_STAGE_DONE        /* complete: hand it on */
};

struct fcgi_param {
	const char *name;      /* NUL-terminated, into fcgi_req.env */
	const char *value;     /* NUL-terminated, into fcgi_req.env */
};

/* One request being read. Zero it with fcgi_req_init(); free what it holds
 * with fcgi_req_clear(). */
struct fcgi_req {
	enum fcgi_stage stage;
	unsigned int request_id;
	int keep_conn;               /* FCGI_KEEP_CONN: the peer keeps the
				      * connection for another request */
	size_t body_max;             /* STDIN bytes kept; more sets body_over */
	int body_over;               /* STDIN went past body_max: not kept */

	unsigned char *raw_params;   /* the PARAMS stream as sent */
	size_t raw_len, raw_cap;
	size_t scanned;              /* raw_params checked up to here */

	char *env;                   /* decoded names and values, NUL-separated */
	size_t env_cap;
	struct fcgi_param *params;
	size_t n_params, params_cap;

	char *body;                  /* STDIN, NUL-terminated, body_len bytes */
	size_t body_len, body_cap;
};

void fcgi_req_init(struct fcgi_req *r, size_t body_max);
void fcgi_req_clear(struct fcgi_req *r);

/* Ready r for the next request on a kept connection, as fcgi_req_init
 * would, but keeping its buffers for reuse when they are small (at most
 * FCGI_REUSE_MAX bytes each; larger ones are freed, so an idle connection
 * holds little). */
#define FCGI_REUSE_MAX 8192
void fcgi_req_reset(struct fcgi_req *r, size_t body_max);

/* Feed received bytes. Consumes whole records only: *used says how many
 * bytes of buf were taken (the rest is an incomplete record the caller
 * keeps and feeds again with more). Returns 0 (check r->stage for
 * FCGI_STAGE_DONE), or -1 with err when the peer broke the protocol or a
 * limit; the connection is then to be closed. After PARAMS completes the
 * params are decoded and fcgi_req_param() works; after that, set
 * r->body_max (e.g. from CONTENT_LENGTH) before feeding STDIN if wanted. */
int fcgi_req_feed(struct fcgi_req *r, const unsigned char *buf, size_t len, size_t *used,
		  struct si_err *err);

/* The value of param name, or NULL. */
const char *fcgi_req_param(const struct fcgi_req *r, const char *name);

/* Encode a response for request_id: STDOUT records carrying data (the CGI
 * header block and body, data_len bytes), the empty STDOUT record and
 * END_REQUEST. Returns a malloc'd buffer (caller frees) and its length in
 * *out_len, or NULL when out of memory. */
unsigned char *fcgi_encode_response(unsigned int request_id, const char *data, size_t data_len,
				    size_t *out_len);

/* The same records as an iovec list over the caller's two pieces of data
 * (the CGI header block and the body), copying neither, for one writev:
 * o->iov[0..o->n) is valid while head, body and o live. Responses of up to
 * FCGI_OUT_RECORDS_MAX STDOUT records (about 2 MiB) fit; returns 0, or -1
 * for a larger one (use fcgi_encode_response then). */
#define FCGI_OUT_RECORDS_MAX 32
struct fcgi_out {
	unsigned char hdr[FCGI_OUT_RECORDS_MAX][FCGI_HEADER_LEN];
	unsigned char tail[2 * FCGI_HEADER_LEN + 8];   /* empty STDOUT, END_REQUEST */
	struct iovec iov[3 * FCGI_OUT_RECORDS_MAX + 1];
	int n;
	size_t total;                                  /* bytes in all of iov */
};
int fcgi_out_build(struct fcgi_out *o, unsigned int request_id, const char *head,
		   size_t head_len, const char *body, size_t body_len);

#endif
