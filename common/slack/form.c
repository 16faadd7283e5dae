#include "slack/form.h"

#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* base is in's offset within the whole body, so messages point at the
 * offending byte of what the client sent. */
static int s_decode(const char *in, size_t len, size_t base, char **out,
		    size_t *out_len, struct si_err *err)
{
	const unsigned char *p = (const unsigned char *)in;
	char *buf;
	size_t i, n = 0;
	int hi, lo;

	*out = NULL;
	*out_len = 0;
	/* Decoding never lengthens the input, so len + 1 always suffices. */
	buf = malloc(len + 1);
	if (buf == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory decoding form field");
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];
		size_t at = i;

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			hi = i + 1 < len ? si_hexval(p[i + 1]) : -1;
			lo = i + 2 < len ? si_hexval(p[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(buf);
				return si_err_set(err, SI_ERR_INVALID,
						  "invalid percent-escape at offset %zu", base + i);
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		/* Callers treat fields as C strings; an embedded NUL would
		 * silently truncate them, so refuse it. */
		if (c == '\0') {
			free(buf);
			return si_err_set(err, SI_ERR_INVALID, "NUL byte at offset %zu", base + at);
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int form_urldecode(const char *in, size_t len, char **out, size_t *out_len,
		   struct si_err *err)
{
	return s_decode(in, len, 0, out, out_len, err);
}

void form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_pairs; i++) {
		free(f->pairs[i].key);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	f->pairs = NULL;
	f->n_pairs = 0;
}

/* Decode one non-empty "key[=value]" segment starting at offset base of
 * the body and append it to f, whose array has FORM_MAX_PAIRS entries. */
static int s_add_pair(struct form *f, const char *seg, size_t seg_len,
		      size_t base, struct si_err *err)
{
	struct form_pair *pr;
	const char *eq = memchr(seg, '=', seg_len);
	size_t klen = eq ? (size_t)(eq - seg) : seg_len;

	if (f->n_pairs >= FORM_MAX_PAIRS)
		return si_err_set(err, SI_ERR_LIMIT, "form has more than %d fields",
				  FORM_MAX_PAIRS);
	pr = &f->pairs[f->n_pairs];
	if (s_decode(seg, klen, base, &pr->key, &pr->key_len, err) != 0)
		return -1;
	if (pr->key_len > FORM_MAX_KEY_LEN) {
		si_err_set(err, SI_ERR_LIMIT, "form key at offset %zu longer than %d bytes",
			   base, FORM_MAX_KEY_LEN);
		goto fail;
	}
	/* A pair without '=' gets the value "" (decoding an empty range). */
	if (s_decode(eq ? eq + 1 : "", eq ? seg_len - klen - 1 : 0, base + klen + 1,
		     &pr->value, &pr->value_len, err) != 0)
		goto fail;
	f->n_pairs++;
	return 0;
fail:
	free(pr->key);
	pr->key = NULL;
	return -1;
}

int form_parse(const char *body, size_t len, struct form *out, struct si_err *err)
{
	struct form f = { NULL, 0 };
	size_t start = 0, end;
	const char *amp;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL && len > 0)
		return si_err_set(err, SI_ERR_INVALID, "NULL form body with non-zero length");
	/* One fixed allocation: the pair limit is small, and it keeps the
	 * growth logic out of the parsing loop. */
	f.pairs = calloc(FORM_MAX_PAIRS, sizeof(*f.pairs));
	if (f.pairs == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory parsing form");
	while (start < len) {
		amp = memchr(body + start, '&', len - start);
		end = amp ? (size_t)(amp - body) : len;
		/* WHATWG: empty sequences ("a=1&&b=2", trailing '&') are skipped. */
		if (end > start && s_add_pair(&f, body + start, end - start, start, err) != 0)
			goto out;
		start = end + 1;
	}
	*out = f;
	f.pairs = NULL;
	f.n_pairs = 0;
	rc = 0;
out:
	form_free(&f);
	return rc;
}

const char *form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n_pairs; i++) {
		if (strcmp(f->pairs[i].key, key) == 0)
			return f->pairs[i].value;
	}
	return NULL;
}

size_t form_count_key(const struct form *f, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < f->n_pairs; i++) {
		if (strcmp(f->pairs[i].key, key) == 0)
			n++;
	}
	return n;
}

size_t form_count(const struct form *f)
{
	return f->n_pairs;
}

const struct form_pair *form_pair_at(const struct form *f, size_t i)
{
	return i < f->n_pairs ? &f->pairs[i] : NULL;
}
