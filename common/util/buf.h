/*
 * buf.h - a growable byte buffer with a hard size cap.
 *
 * Every buffer that holds data from outside (HTTP bodies, XML answers,
 * canonical requests) has a cap, so a hostile or broken peer cannot make us
 * allocate without bound. The content is always NUL-terminated (the NUL is
 * not counted in len) so it can be handed to string functions.
 */
#ifndef SI_BUF_H
#define SI_BUF_H

#include <stddef.h>

#include "util/err.h"

struct si_buf {
	char *data;   /* owned; NULL until the first append */
	size_t len;   /* bytes used, excluding the trailing NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* hard limit on len; 0 means SI_BUF_DEFAULT_MAX */
};

/* 16 MiB: far above any AWS or Slack payload we handle, low enough that a
 * runaway peer cannot exhaust memory. Callers usually set a tighter max. */
#define SI_BUF_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

/* Initialise an empty buffer whose length may never exceed max. */
void si_buf_init(struct si_buf *b, size_t max);

/* Append n bytes. Fails with SI_ERR_LIMIT past max, SI_ERR_NOMEM on OOM;
 * on failure the buffer is unchanged. */
int si_buf_append(struct si_buf *b, const void *p, size_t n, struct si_err *err);

/* Append a NUL-terminated string. */
int si_buf_puts(struct si_buf *b, const char *s, struct si_err *err);

/* Append printf-style formatted text. */
int si_buf_printf(struct si_buf *b, struct si_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forget the content, keep the allocation. */
void si_buf_reset(struct si_buf *b);

/* Free the allocation (wiping it first when wipe is non-zero, for buffers
 * that held secrets) and reset to empty. Safe on a zeroed struct. */
void si_buf_free(struct si_buf *b, int wipe);

/* Hand the content to the caller, who frees it with free(); the buffer is
 * left empty. Returns an empty allocated string if nothing was appended,
 * NULL only on OOM. */
char *si_buf_steal(struct si_buf *b);

#endif
