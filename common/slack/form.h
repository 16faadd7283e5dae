/*
 * form.h - parse application/x-www-form-urlencoded bodies.
 *
 * Follows the WHATWG URL Standard's "application/x-www-form-urlencoded
 * parser" (split on '&', skip empty pairs, split each at the first '=',
 * '+' is a space, percent-decode) with two deliberate differences, because
 * the input is untrusted and is later used as C strings:
 * - an invalid percent-escape ("%", "%4", "%zz") is an error, not passed
 *   through literally;
 * - a NUL byte, raw or decoded from "%00", is an error.
 * Hex digits in escapes may be either case. A pair without '=' has the
 * value "". Repeated keys are all kept, in body order. Keys and values are
 * bytes: no UTF-8 validation is done here.
 *
 * The caller bounds the body size (e.g. the FastCGI front door refuses
 * large bodies before calling us); this module bounds the pair count and
 * key length.
 */
#ifndef SI_FORM_H
#define SI_FORM_H

#include <stddef.h>

#include "util/err.h"

/* Slack sends about 15 fields with a slash command; 64 leaves room for new
 * fields while capping the work a hostile body can cause. */
#define FORM_MAX_PAIRS 64

/* Longest decoded key accepted. Slack's longest key is 21 bytes
 * ("is_enterprise_install"); anything far longer is not a real field. */
#define FORM_MAX_KEY_LEN 128

struct form_pair {
	char *key;          /* decoded, NUL-terminated, owned by the form */
	char *value;        /* decoded, NUL-terminated, "" when absent */
	size_t key_len;
	size_t value_len;
};

/* Read-only for callers; use the accessors below. */
struct form {
	struct form_pair *pairs;  /* owned; NULL when n_pairs is 0 */
	size_t n_pairs;
};

/*
 * Parse len bytes of body (need not be NUL-terminated; may be NULL when len
 * is 0) into out. out is overwritten without being freed first. On success
 * returns 0 and the caller frees out with form_free(). On failure returns
 * -1 with err filled (SI_ERR_INVALID for bad escapes or NUL bytes,
 * SI_ERR_LIMIT past FORM_MAX_PAIRS / FORM_MAX_KEY_LEN, SI_ERR_NOMEM) and
 * out left zeroed (form_free() on it is harmless).
 */
int form_parse(const char *body, size_t len, struct form *out, struct si_err *err);

/* The value of the first pair named key, or NULL if there is none. The
 * string belongs to f and lives until form_free(f). */
const char *form_get(const struct form *f, const char *key);

/* How many pairs are named key (0 when absent). */
size_t form_count_key(const struct form *f, const char *key);

/* Number of pairs, and the i-th pair (NULL when i is out of range). */
size_t form_count(const struct form *f);
const struct form_pair *form_pair_at(const struct form *f, size_t i);

/* Free every string and the array, leaving f zeroed. NULL is allowed. */
void form_free(struct form *f);

/*
 * Form-decode len bytes of in ('+' becomes a space, %XX a byte) into a new
 * NUL-terminated string *out of *out_len bytes; the caller frees *out with
 * free(). Fails (SI_ERR_INVALID) on an invalid escape or a NUL byte, with
 * the offset in the message; *out is then NULL.
 */
int form_urldecode(const char *in, size_t len, char **out, size_t *out_len,
		   struct si_err *err);

#endif
