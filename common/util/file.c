/*
 * file.c - open a file only if it is a regular one (see file.h).
 */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int si_open_regular(const char *path, struct stat *st)
{
	struct stat local;
	int fd, flags, saved;

	if (st == NULL)
		st = &local;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return SI_OPEN_NOT_REGULAR;
	}
	/* Regular files ignore O_NONBLOCK, but the caller gets the
	 * descriptor it would have had from a plain open. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
