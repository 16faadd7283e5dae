#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int si_err_set(struct si_err *err, enum si_err_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	/* Truncation is acceptable for a message; the code stays exact. */
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void *si_zalloc(size_t size, struct si_err *err)
{
	void *p = calloc(1, size);

	if (p == NULL)
		si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return p;
}

void si_err_clear(struct si_err *err)
{
	if (err == NULL)
		return;
	err->code = SI_OK;
	err->msg[0] = '\0';
}

const char *si_err_code_name(enum si_err_code code)
{
	switch (code) {
	case SI_OK: return "ok";
	case SI_ERR_INVALID: return "invalid";
	case SI_ERR_LIMIT: return "limit";
	case SI_ERR_NOMEM: return "nomem";
	case SI_ERR_IO: return "io";
	case SI_ERR_AUTH: return "auth";
	case SI_ERR_NOTFOUND: return "notfound";
	case SI_ERR_REMOTE: return "remote";
	case SI_ERR_TIMEOUT: return "timeout";
	case SI_ERR_INTERNAL: return "internal";
	}
	return "unknown";
}

const char *si_strerror(int errnum, char *buf, size_t size)
{
	if (buf == NULL || size == 0)
		return "unknown error";
	buf[0] = '\0';
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	/* The GNU variant returns the text, in buf or in static storage. */
	{
		const char *s = strerror_r(errnum, buf, size);

		return s != NULL ? s : "unknown error";
	}
#else
	/* The XSI variant fills buf and returns 0 or an error number. */
	if (strerror_r(errnum, buf, size) != 0 || buf[0] == '\0')
		(void)snprintf(buf, size, "error %d", errnum);
	return buf;
#endif
}
