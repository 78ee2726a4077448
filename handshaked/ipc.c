// SPDX-License-Identifier: MIT
/*
 * ipc.c - the unix socket applications send their TCP sockets to.
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "handshaked.h"

/*
 * Whether a daemon answers on the socket at @sun: only a refused connect
 * says for sure that nobody does (a stale socket left by a run that
 * ended).  A full backlog or any other error counts as alive.
 */
static bool socket_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return true;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
		(errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return alive;
}

/*
 * Listen on the configured path: SOCK_SEQPACKET, so each message keeps
 * its boundaries, and the fd it carries arrives with it.  A stale socket
 * left by an earlier run is replaced; a live one (another handshaked
 * serving there) or any other file there is an error.
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
		if (socket_alive(&sun)) {
			hsd_log(HSD_LOG_ERROR, "another handshaked is serving "
				"on %s: stop it first", path);
			return -EADDRINUSE;
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
