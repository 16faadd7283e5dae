#include "util/logfmt.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room kept for the closing newline and the "..." marker. */
#define LOGFMT_RESERVE 5

static void s_putc(struct logfmt *l, char c)
{
	if (l->len + LOGFMT_RESERVE < sizeof(l->buf))
		l->buf[l->len++] = c;
}

static void s_puts(struct logfmt *l, const char *s)
{
	for (; *s != '\0'; s++)
		s_putc(l, *s);
}

void logfmt_begin(struct logfmt *l, const char *level)
{
	struct timespec ts = { 0, 0 };
	struct tm tm;
	char when[40];

	l->len = 0;
	(void)clock_gettime(CLOCK_REALTIME, &ts); /* cannot fail for REALTIME */
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		when[0] = '\0';
	s_puts(l, "time=");
	s_puts(l, when);
	{
		char frac[32];
		int n = snprintf(frac, sizeof(frac), ".%06ldZ",
				 (long)(ts.tv_nsec / 1000) % 1000000);

		s_puts(l, n > 0 && (size_t)n < sizeof(frac) ? frac : "Z");
	}
	logfmt_str(l, "level", level);
}

static int s_needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;
		if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			return 1;
	}
	return 0;
}

void logfmt_str(struct logfmt *l, const char *key, const char *value)
{
	int quote;

	if (value == NULL)
		return;
	if (l->len > 0)
		s_putc(l, ' ');
	s_puts(l, key);
	s_putc(l, '=');
	quote = s_needs_quotes(value);
	if (quote)
		s_putc(l, '"');
	for (const char *p = value; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[8];

		if (c == '"' || c == '\\') {
			s_putc(l, '\\');
			s_putc(l, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			/* Escape control bytes so a value can never start a new line. */
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			s_puts(l, esc);
		} else {
			s_putc(l, (char)c);
		}
	}
	if (quote)
		s_putc(l, '"');
}

void logfmt_int(struct logfmt *l, const char *key, long long value)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", value);
	logfmt_str(l, key, num);
}

void logfmt_emit(struct logfmt *l, FILE *f)
{
	/* If the line filled up, say so rather than cut silently. */
	if (l->len + LOGFMT_RESERVE >= sizeof(l->buf) - 1) {
		memcpy(l->buf + l->len, "...", 3);
		l->len += 3;
	}
	l->buf[l->len++] = '\n';
	/* One write(2) per record keeps lines from different threads whole. */
	(void)!write(fileno(f), l->buf, l->len);
}
