/*
 * file.h - the one way a file we are told to read is opened.
 *
 * Configuration, credentials and token files are named by operators (or
 * by the environment) and read at startup or on a request thread. A path
 * that is a FIFO blocks open(2) until some writer appears, so a plain
 * open() of a misnamed path hangs startup forever; a device may never end.
 * So the file is opened O_NONBLOCK (which makes open of a FIFO return at
 * once), checked with fstat on the descriptor actually read (no TOCTOU
 * between check and read) and refused unless it is a regular file; only
 * then is the descriptor switched back to blocking reads.
 */
#ifndef SI_UTIL_FILE_H
#define SI_UTIL_FILE_H

#include <sys/stat.h>

/* What si_open_regular returns for a path that is not a regular file. */
#define SI_OPEN_NOT_REGULAR (-2)

/* Open path read-only (O_CLOEXEC, O_NOCTTY) if it is a regular file.
 * Returns the descriptor (blocking mode; the caller closes it) with *st
 * filled when st is not NULL; -1 with errno set when open or fstat
 * failed; SI_OPEN_NOT_REGULAR when path names a FIFO, device, socket or
 * directory. Never blocks on the file's kind. */
int si_open_regular(const char *path, struct stat *st);

#endif
