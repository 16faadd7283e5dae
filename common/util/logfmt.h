/*
 * logfmt.h - one-line key=value log records (the logfmt convention).
 *
 * Values are quoted when they contain spaces, quotes, '=' or control
 * characters, so a hostile Slack field cannot forge extra keys or lines.
 * Callers never pass secrets here.
 */
#ifndef SI_LOGFMT_H
#define SI_LOGFMT_H

#include <stddef.h>
#include <stdio.h>

/* A log line is at most this long; longer values are cut with "...".
 * 2 KiB keeps a line atomic for write(2) on a pipe (PIPE_BUF is 4 KiB). */
#define LOGFMT_LINE_MAX 2048

struct logfmt {
	char buf[LOGFMT_LINE_MAX];
	size_t len;
};

/* Start a record with time=<RFC 3339 UTC> level=<level>. */
void logfmt_begin(struct logfmt *l, const char *level);

/* Append key=value; a NULL value is skipped. */
void logfmt_str(struct logfmt *l, const char *key, const char *value);
void logfmt_int(struct logfmt *l, const char *key, long long value);

/* Write the record and a newline to f with one write call. */
void logfmt_emit(struct logfmt *l, FILE *f);

#endif
