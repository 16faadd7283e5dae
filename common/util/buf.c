#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void si_buf_init(struct si_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SI_BUF_DEFAULT_MAX;
}

static int s_reserve(struct si_buf *b, size_t extra, struct si_err *err)
{
	size_t max = b->max ? b->max : SI_BUF_DEFAULT_MAX;
	size_t need, ncap;
	char *p;

	if (extra > max || b->len > max - extra)
		return si_err_set(err, SI_ERR_LIMIT, "buffer limit of %zu bytes exceeded", max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > (SIZE_MAX / 2) ? need : ncap * 2;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	b->data = p;
	b->cap = ncap;
	return 0;
}

int si_buf_append(struct si_buf *b, const void *p, size_t n, struct si_err *err)
{
	if (s_reserve(b, n, err) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int si_buf_puts(struct si_buf *b, const char *s, struct si_err *err)
{
	return si_buf_append(b, s, strlen(s), err);
}

int si_buf_printf(struct si_buf *b, struct si_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return si_err_set(err, SI_ERR_INTERNAL, "format error");
	if (s_reserve(b, (size_t)n, err) != 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void si_buf_reset(struct si_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void si_buf_free(struct si_buf *b, int wipe)
{
	if (b == NULL)
		return;
	if (wipe && b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *si_buf_steal(struct si_buf *b)
{
	char *p;

	if (b->data == NULL)
		return calloc(1, 1);
	p = b->data;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
