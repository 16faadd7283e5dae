#include "proto.h"

#include <stdlib.h>
#include <string.h>

void fcgi_req_init(struct fcgi_req *r, size_t body_max)
{
	memset(r, 0, sizeof(*r));
	r->stage = FCGI_STAGE_BEGIN;
	r->body_max = body_max;
}

void fcgi_req_clear(struct fcgi_req *r)
{
	if (r == NULL)
		return;
	free(r->raw_params);
	free(r->env);
	free(r->params);
	free(r->body);
	fcgi_req_init(r, 0);
}

/* Free *p when its capacity is over FCGI_REUSE_MAX bytes. */
static void s_shrink(void **p, size_t *cap, size_t unit)
{
	if (*cap * unit <= FCGI_REUSE_MAX)
		return;
	free(*p);
	*p = NULL;
	*cap = 0;
}

void fcgi_req_reset(struct fcgi_req *r, size_t body_max)
{
	struct fcgi_req keep = *r;

	s_shrink((void **)&keep.raw_params, &keep.raw_cap, 1);
	s_shrink((void **)&keep.env, &keep.env_cap, 1);
	s_shrink((void **)&keep.params, &keep.params_cap, sizeof(*keep.params));
	s_shrink((void **)&keep.body, &keep.body_cap, 1);
	fcgi_req_init(r, body_max);
	r->raw_params = keep.raw_params;
	r->raw_cap = keep.raw_cap;
	r->env = keep.env;
	r->env_cap = keep.env_cap;
	r->params = keep.params;
	r->params_cap = keep.params_cap;
	r->body = keep.body;
	r->body_cap = keep.body_cap;
	/* Empty, as a fresh request's: NUL-terminated at length 0. */
	if (r->raw_params != NULL)
		r->raw_params[0] = '\0';
	if (r->body != NULL)
		r->body[0] = '\0';
}

/* One name or value length: one byte below 128, else four bytes with the
 * top bit set (FastCGI 1.0, 3.4). Returns 0 and advances *pos, or -1 when
 * the bytes are not there. */
static int s_len(const unsigned char *p, size_t end, size_t *pos, size_t *out)
{
	if (*pos >= end)
		return -1;
	if ((p[*pos] & 0x80) == 0) {
		*out = p[(*pos)++];
		return 0;
	}
	if (end - *pos < 4)
		return -1;
	*out = ((size_t)(p[*pos] & 0x7f) << 24) | ((size_t)p[*pos + 1] << 16) |
	       ((size_t)p[*pos + 2] << 8) | (size_t)p[*pos + 3];
	*pos += 4;
	return 0;
}

/* Why a second pass after the stream is complete: only then is it known
 * how many bytes exist, and every announced length is checked against
 * that (the check libfcgi lacks: it allocates nameLen + valueLen + 2 in
 * an int before reading). Each pair becomes "name\0value\0" in one block,
 * never larger than the raw stream plus two bytes per pair. */
static int s_decode_params(struct fcgi_req *r, struct si_err *err)
{
	const unsigned char *p = r->raw_params;
	size_t pos = 0, out = 0, n = 0;
	size_t need = r->raw_len + 2 * FCGI_PARAMS_COUNT_MAX + 1;

	if (r->env_cap < need) {
		free(r->env);
		r->env_cap = 0;
		r->env = malloc(need);
		if (r->env == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
		r->env_cap = need;
	}
	while (pos < r->raw_len) {
		size_t nl, vl;

		if (s_len(p, r->raw_len, &pos, &nl) != 0 || s_len(p, r->raw_len, &pos, &vl) != 0)
			return si_err_set(err, SI_ERR_INVALID, "truncated param length");
		if (nl > r->raw_len - pos || vl > r->raw_len - pos - nl)
			return si_err_set(err, SI_ERR_INVALID,
					  "param lengths %zu+%zu past the %zu bytes sent", nl, vl,
					  r->raw_len - pos);
		if (n == FCGI_PARAMS_COUNT_MAX)
			return si_err_set(err, SI_ERR_LIMIT, "more than %d params",
					  FCGI_PARAMS_COUNT_MAX);
		if (n == r->params_cap) {
			size_t ncap = r->params_cap ? r->params_cap * 2 : 64;
			struct fcgi_param *np = realloc(r->params, ncap * sizeof(*np));

			if (np == NULL)
				return si_err_set(err, SI_ERR_NOMEM, "out of memory");
			r->params = np;
			r->params_cap = ncap;
		}
		r->params[n].name = r->env + out;
		memcpy(r->env + out, p + pos, nl);
		out += nl;
		r->env[out++] = '\0';
		pos += nl;
		r->params[n].value = r->env + out;
		memcpy(r->env + out, p + pos, vl);
		out += vl;
		r->env[out++] = '\0';
		pos += vl;
		n++;
	}
	r->n_params = n;
	return 0;
}

/* Append n bytes and a NUL; the buffer grows by doubling (so a stream of
 * small records costs few reallocations) but never past limit + 1 bytes,
 * the most the caller lets through. */
static int s_append(unsigned char **buf, size_t *len, size_t *cap, size_t limit,
		    const unsigned char *src, size_t n)
{
	size_t need = *len + n + 1;

	if (need > *cap) {
		size_t ncap = *cap * 2 > need ? *cap * 2 : need;
		unsigned char *nb;

		if (ncap < 1024)
			ncap = 1024;
		if (ncap > limit + 1)
			ncap = limit + 1 > need ? limit + 1 : need;
		nb = realloc(*buf, ncap);
		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, src, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* BEGIN_REQUEST: a responder, a non-zero id, an 8-byte body. */
static int s_begin(struct fcgi_req *r, unsigned int id, const unsigned char *c, size_t clen,
		   struct si_err *err)
{
	if (id == 0 || clen != 8)
		return si_err_set(err, SI_ERR_INVALID, "malformed BEGIN_REQUEST");
	if (((unsigned int)c[0] << 8 | c[1]) != FCGI_RESPONDER)
		return si_err_set(err, SI_ERR_INVALID, "role is not RESPONDER");
	r->request_id = id;
	r->keep_conn = (c[2] & FCGI_KEEP_CONN) != 0;
	r->stage = FCGI_STAGE_PARAMS;
	return 0;
}

/* Check the pairs as their lengths arrive, not only at the end of the
 * stream: a pair announcing more than the stream may ever hold is refused
 * at once (the 16-byte record needs no terminator to be seen). */
static int s_scan_params(struct fcgi_req *r, struct si_err *err)
{
	while (r->scanned < r->raw_len) {
		size_t pos = r->scanned, nl, vl;

		if (s_len(r->raw_params, r->raw_len, &pos, &nl) != 0 ||
		    s_len(r->raw_params, r->raw_len, &pos, &vl) != 0)
			return 0;            /* lengths not all here yet */
		if (nl > FCGI_PARAMS_MAX - pos || vl > FCGI_PARAMS_MAX - pos - nl)
			return si_err_set(err, SI_ERR_LIMIT,
					  "param lengths %zu+%zu past the %d-byte limit", nl, vl,
					  FCGI_PARAMS_MAX);
		if (nl + vl > r->raw_len - pos)
			return 0;            /* pair not all here yet */
		r->scanned = pos + nl + vl;
	}
	return 0;
}

static int s_params(struct fcgi_req *r, const unsigned char *c, size_t clen, struct si_err *err)
{
	if (clen == 0) {
		if (s_decode_params(r, err) != 0)
			return -1;
		r->stage = FCGI_STAGE_STDIN;
		return 0;
	}
	if (clen > FCGI_PARAMS_MAX - r->raw_len)
		return si_err_set(err, SI_ERR_LIMIT, "params over %d bytes", FCGI_PARAMS_MAX);
	if (s_append(&r->raw_params, &r->raw_len, &r->raw_cap, FCGI_PARAMS_MAX, c, clen) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return s_scan_params(r, err);
}

/* STDIN beyond body_max is not kept: the request is complete as far as we
 * care (the app answers 413 or 400 from CONTENT_LENGTH). */
static int s_stdin(struct fcgi_req *r, const unsigned char *c, size_t clen, struct si_err *err)
{
	if (clen == 0) {
		r->stage = FCGI_STAGE_DONE;
		return 0;
	}
	if (clen > r->body_max - r->body_len) {
		r->body_over = 1;
		r->stage = FCGI_STAGE_DONE;
		return 0;
	}
	if (s_append((unsigned char **)&r->body, &r->body_len, &r->body_cap, r->body_max, c,
		     clen) != 0)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* One complete record. Anything but the expected type for the stage, or
 * another request id (multiplexing), is a protocol error: nginx and Apache
 * send exactly BEGIN, PARAMS..., STDIN... on a connection. */
static int s_record(struct fcgi_req *r, const unsigned char *h, const unsigned char *c,
		    size_t clen, struct si_err *err)
{
	unsigned int type = h[1];
	unsigned int id = (unsigned int)h[2] << 8 | h[3];

	if (h[0] != FCGI_VERSION_1)
		return si_err_set(err, SI_ERR_INVALID, "FastCGI version %u", h[0]);
	if (r->stage == FCGI_STAGE_BEGIN) {
		if (type != FCGI_BEGIN_REQUEST)
			return si_err_set(err, SI_ERR_INVALID, "record type %u before BEGIN", type);
		return s_begin(r, id, c, clen, err);
	}
	if (id != r->request_id)
		return si_err_set(err, SI_ERR_INVALID, "second request id on one connection");
	if (r->stage == FCGI_STAGE_PARAMS && type == FCGI_PARAMS)
		return s_params(r, c, clen, err);
	if (r->stage == FCGI_STAGE_STDIN && type == FCGI_STDIN)
		return s_stdin(r, c, clen, err);
	return si_err_set(err, SI_ERR_INVALID, "unexpected record type %u", type);
}

int fcgi_req_feed(struct fcgi_req *r, const unsigned char *buf, size_t len, size_t *used,
		  struct si_err *err)
{
	size_t pos = 0;

	*used = 0;
	while (r->stage != FCGI_STAGE_DONE && len - pos >= FCGI_HEADER_LEN) {
		const unsigned char *h = buf + pos;
		size_t clen = (size_t)h[4] << 8 | h[5];
		size_t total = FCGI_HEADER_LEN + clen + h[6];

		if (len - pos < total)
			break;
		if (s_record(r, h, h + FCGI_HEADER_LEN, clen, err) != 0)
			return -1;
		pos += total;
		*used = pos;
	}
	return 0;
}

const char *fcgi_req_param(const struct fcgi_req *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

static unsigned char *s_header(unsigned char *p, unsigned int type, unsigned int id,
			       size_t clen)
{
	p[0] = FCGI_VERSION_1;
	p[1] = (unsigned char)type;
	p[2] = (unsigned char)(id >> 8);
	p[3] = (unsigned char)id;
	p[4] = (unsigned char)(clen >> 8);
	p[5] = (unsigned char)clen;
	p[6] = 0;
	p[7] = 0;
	return p + FCGI_HEADER_LEN;
}

unsigned char *fcgi_encode_response(unsigned int request_id, const char *data, size_t data_len,
				    size_t *out_len)
{
	size_t n_rec = (data_len + FCGI_MAX_CONTENT - 1) / FCGI_MAX_CONTENT;
	/* data records, the empty STDOUT, END_REQUEST (header + 8). */
	size_t total = data_len + FCGI_HEADER_LEN * (n_rec + 3);
	unsigned char *out = malloc(total);
	unsigned char *p = out;

	if (out == NULL)
		return NULL;
	for (size_t off = 0; off < data_len; off += FCGI_MAX_CONTENT) {
		size_t n = data_len - off < FCGI_MAX_CONTENT ? data_len - off : FCGI_MAX_CONTENT;

		p = s_header(p, FCGI_STDOUT, request_id, n);
		memcpy(p, data + off, n);
		p += n;
	}
	p = s_header(p, FCGI_STDOUT, request_id, 0);
	p = s_header(p, FCGI_END_REQUEST, request_id, 8);
	memset(p, 0, 8);            /* appStatus 0, FCGI_REQUEST_COMPLETE */
	p += 8;
	*out_len = (size_t)(p - out);
	return out;
}

/* Point iov at len bytes (none for 0). */
static void s_iov(struct fcgi_out *o, const void *p, size_t len)
{
	if (len == 0)
		return;
	o->iov[o->n].iov_base = (void *)p;
	o->iov[o->n].iov_len = len;
	o->n++;
	o->total += len;
}

/* Why iovecs: the answer goes out in one writev with no copy of the body
 * and no allocation (fcgi_encode_response copies it all into a new
 * buffer). The data stream is head then body, cut into records of at most
 * FCGI_MAX_CONTENT bytes; a record may span both pieces. */
int fcgi_out_build(struct fcgi_out *o, unsigned int request_id, const char *head,
		   size_t head_len, const char *body, size_t body_len)
{
	size_t total = head_len + body_len;
	size_t n_rec = (total + FCGI_MAX_CONTENT - 1) / FCGI_MAX_CONTENT;
	size_t off = 0;
	unsigned char *t;

	o->n = 0;
	o->total = 0;
	if (n_rec > FCGI_OUT_RECORDS_MAX)
		return -1;
	for (size_t i = 0; i < n_rec; i++) {
		size_t n = total - off < FCGI_MAX_CONTENT ? total - off : FCGI_MAX_CONTENT;
		size_t end = off + n;

		(void)s_header(o->hdr[i], FCGI_STDOUT, request_id, n);
		s_iov(o, o->hdr[i], FCGI_HEADER_LEN);
		if (off < head_len)
			s_iov(o, head + off, (end < head_len ? end : head_len) - off);
		if (end > head_len)
			s_iov(o, body + (off > head_len ? off - head_len : 0),
			      end - (off > head_len ? off : head_len));
		off = end;
	}
	t = s_header(o->tail, FCGI_STDOUT, request_id, 0);
	t = s_header(t, FCGI_END_REQUEST, request_id, 8);
	memset(t, 0, 8);            /* appStatus 0, FCGI_REQUEST_COMPLETE */
	s_iov(o, o->tail, sizeof(o->tail));
	return 0;
}
