/*
 * err.h - the project's one error idiom.
 *
 * Functions that can fail return 0 on success and -1 on failure, and fill a
 * caller-provided struct si_err with a code and a human-readable message.
 * Callers test the return value once and log or show err.msg. A NULL err is
 * allowed everywhere: the failure is then reported by the return value only.
 *
 * Messages never contain secrets: callers must not pass secret material to
 * si_err_set().
 */
#ifndef SI_ERR_H
#define SI_ERR_H

#include <stddef.h>

/* Broad classes of failure; the message carries the detail. */
enum si_err_code {
	SI_OK = 0,
	SI_ERR_INVALID,   /* bad input from a caller or a peer */
	SI_ERR_LIMIT,     /* input over a documented size/count limit */
	SI_ERR_NOMEM,     /* allocation failed */
	SI_ERR_IO,        /* file or socket error */
	SI_ERR_AUTH,      /* signature or credential rejected */
	SI_ERR_NOTFOUND,  /* a looked-up thing does not exist */
	SI_ERR_REMOTE,    /* a remote service answered with an error */
	SI_ERR_TIMEOUT,   /* a deadline passed */
	SI_ERR_INTERNAL   /* a bug or an unexpected library failure */
};

/* Long enough for a file name, a line number and a reason, or for the
 * credential chain's summary of why each source failed (paths included). */
#define SI_ERR_MSG_MAX 512

struct si_err {
	enum si_err_code code;
	char msg[SI_ERR_MSG_MAX];
};

/* Record code and a printf-style message in err (if err is not NULL).
 * Always returns -1 so callers can write `return si_err_set(...)`. */
int si_err_set(struct si_err *err, enum si_err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* calloc(1, size), or NULL with err set to SI_ERR_NOMEM "out of memory":
 * the allocate-or-report step every constructor starts with, so the code
 * and text of an allocation failure are the same everywhere. The caller
 * frees the result with free() (or the owning type's *_free). */
void *si_zalloc(size_t size, struct si_err *err);

/* Reset err to SI_OK with an empty message (err may be NULL). */
void si_err_clear(struct si_err *err);

/* A short fixed name for a code, e.g. "invalid". */
const char *si_err_code_name(enum si_err_code code);

/* Room for any strerror text glibc or musl produce. */
#define SI_STRERROR_MAX 128

/* The text for the errno value errnum, by strerror_r (strerror is not
 * thread-safe, and the worker has threads). Writes into buf[0..size) when
 * the C library needs the room; returns the text, never NULL. */
const char *si_strerror(int errnum, char *buf, size_t size);

#endif
