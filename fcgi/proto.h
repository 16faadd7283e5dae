/*
 * proto.h - the FastCGI responder protocol, as much as nginx and Apache use:
 * one request per connection (BEGIN_REQUEST, PARAMS, STDIN in), STDOUT and
 * END_REQUEST out.
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
	int keep_conn;               /* FCGI_KEEP_CONN was set (we still close) */
	size_t body_max;             /* STDIN bytes kept; more sets body_over */
	int body_over;               /* STDIN went past body_max: not kept */

	unsigned char *raw_params;   /* the PARAMS stream as sent */
	size_t raw_len;
	size_t scanned;              /* raw_params checked up to here */

	char *env;                   /* decoded names and values, NUL-separated */
	struct fcgi_param *params;
	size_t n_params;

	char *body;                  /* STDIN, NUL-terminated, body_len bytes */
	size_t body_len;
};

void fcgi_req_init(struct fcgi_req *r, size_t body_max);
void fcgi_req_clear(struct fcgi_req *r);

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

#endif
