// SPDX-License-Identifier: MIT
/*
 * ipc.c - the unix socket applications send their TCP sockets to.
 */
#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "handshaked.h"

/*
 * Listen on the configured path: SOCK_SEQPACKET, so each message keeps
 * its boundaries, and the fd it carries arrives with it.  A stale socket
 * left by an earlier run is replaced; any other file there is an error.
 */
int hsd_ipc_listen(const struct hsd_config *cfg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = cfg->socket_path;
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		hsd_log(HSD_LOG_ERROR, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			hsd_log(HSD_LOG_ERROR, "%s exists and is not a socket",
				path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		hsd_log(HSD_LOG_ERROR, "bind %s: %s", path, ktls_strerror(ret));
		goto err_close;
	}
	if (chmod(path, cfg->socket_mode) < 0) {
		ret = -errno;
		hsd_log(HSD_LOG_ERROR, "chmod %s: %s", path, ktls_strerror(ret));
		goto err_unlink;
	}
	if (cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);

		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			ret = gr ? -errno : -ENOENT;
			hsd_log(HSD_LOG_ERROR, "socket group %s: %s",
				cfg->socket_group, gr ? ktls_strerror(ret) :
				"no such group");
			goto err_unlink;
		}
	}
	if (listen(fd, 128) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	return fd;

err_unlink:
	unlink(path);
err_close:
	close(fd);
	return ret;
}
