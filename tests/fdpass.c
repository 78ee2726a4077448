// SPDX-License-Identifier: MIT
/*
 * fdpass.c - sending messages with fds attached, as a peer of handshaked's
 * socket might (declared in helpers.h).  Apart from helpers.c because the
 * fuzz targets link it too, without cmocka.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"

int th_send_with_fds(int sock, const void *data, size_t len, int fd,
		     int nfds, int flags)
{
	char cbuf[CMSG_SPACE(TH_SEND_FDS_MAX * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;
	int i;

	if (nfds < 0 || nfds > TH_SEND_FDS_MAX)
		return -EINVAL;
	if (nfds) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd,
			       sizeof(fd));
	}
	n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
