// SPDX-License-Identifier: MIT
/*
 * helpers.c - small helpers shared by the unit and integration tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int th_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]);
		int lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)len;
}

int th_count_fds(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

bool th_ktls_required(void)
{
	const char *v = getenv("KTLS_REQUIRE_KTLS");

	return v && strcmp(v, "1") == 0;
}

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
