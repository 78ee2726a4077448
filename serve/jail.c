// SPDX-License-Identifier: MIT
/*
 * jail.c - ktls-serve's files: opened with openat2(RESOLVE_BENEATH) below
 * the document root, so that no "..", absolute path or symlink leads out
 * of it, whatever the encoding of the request.  They are opened
 * non-blocking, and only regular files are served, so that a FIFO cannot
 * stop the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve.h"

/*
 * Open @path (decoded, starting with '/') below @root, an O_PATH fd of the
 * document root.  openat2 with
 * RESOLVE_BENEATH refuses "..", absolute symlinks and any symlink that
 * leads out; "." and ".." segments are refused here too, so that the log
 * never shows a path that "worked" by walking up and down.  A directory
 * serves its index.html.  O_NONBLOCK: a FIFO or a device must not stop
 * the loop in open(); only a regular file is kept (in blocking mode).
 */
int jail_open(int root, const char *path, struct stat *st)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char rel[PATH_MAX + 2];
	const char *seg;
	int fd;

	if (path[0] != '/')
		return -EINVAL;
	for (seg = path; seg; seg = strchr(seg + 1, '/')) {
		const char *p = seg + 1;
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
						p[1] == '.'))
			return -EACCES;
	}
	snprintf(rel, sizeof(rel), ".%s", path);
	fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	if (fd < 0)
		return errno == EXDEV || errno == ELOOP ? -EACCES : -errno;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -EIO;
	}
	if (S_ISDIR(st->st_mode)) {
		int dfd = fd;

		fd = (int)syscall(SYS_openat2, dfd, "index.html", &how,
				  sizeof(how));
		close(dfd);
		if (fd < 0)
			return -EACCES;	/* no listing of directories */
		if (fstat(fd, st) < 0) {
			close(fd);
			return -EIO;
		}
	}
	if (!S_ISREG(st->st_mode) || fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return -EACCES;
	}
	return fd;
}
