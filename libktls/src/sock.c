// SPDX-License-Identifier: MIT
/*
 * sock.c - the socket calls kTLS is made of: a loopback TCP pair for
 * probing, attaching the "tls" ULP and installing keys, control records
 * and alerts through the kernel, a plaintext alert before any key; and a
 * close that lets the last alert arrive.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktls_int.h"

/*
 * Build a connected loopback TCP pair: fds[0] is the connecting end, fds[1]
 * the accepted one.  The ULP refuses UNIX sockets, hence TCP.  Both ends
 * are blocking and close-on-exec.  If @whyp is not NULL, a failure sets it
 * to a static sentence that names the call that failed.
 *
 * Return: 0, or the -errno of the socket call that failed (fds untouched).
 */
int ktls_tcp_pair(int fds[2], const char **whyp)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	const char *why;
	int lfd, cfd, afd;
	int ret;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;

	why = "socket() failed: could not create a TCP socket";
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		ret = -errno;
		goto err;
	}
	why = "bind() to 127.0.0.1 failed: is the loopback interface up?";
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		goto err_close_listener;
	}
	why = "listen() failed on the loopback listener";
	if (listen(lfd, 1) < 0) {
		ret = -errno;
		goto err_close_listener;
	}
	why = "getsockname() failed on the loopback listener";
	if (getsockname(lfd, (struct sockaddr *)&addr, &len) < 0) {
		ret = -errno;
		goto err_close_listener;
	}

	why = "socket() failed: could not create a TCP socket";
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0) {
		ret = -errno;
		goto err_close_listener;
	}
	/* Loopback connect completes against the backlog before accept(). */
	why = "connect() to 127.0.0.1 failed: is loopback up?";
	if (connect(cfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		ret = -errno;
		goto err_close_client;
	}
	why = "accept() failed on the loopback listener";
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0) {
		ret = -errno;
		goto err_close_client;
	}

	close(lfd);
	fds[0] = cfd;
	fds[1] = afd;
	return 0;

err_close_client:
	close(cfd);
err_close_listener:
	close(lfd);
err:
	if (whyp)
		*whyp = why;
	return ret;
}

void ktls_close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = -1;
	fds[1] = -1;
}

/*
 * Attach the kernel's "tls" ULP to a connected TCP socket.
 *
 * Return: 0, or the -errno of setsockopt(): -ENOENT when the kernel has no
 * TLS ULP, -EEXIST when a ULP is already attached, -ENOTCONN when the
 * socket is not connected.
 */
int ktls_sock_attach_ulp(int fd)
{
	static const char ulp[] = "tls";

	if (setsockopt(fd, SOL_TCP, TCP_ULP, ulp, sizeof(ulp)) < 0)
		return -errno;
	return 0;
}

/*
 * Install TLS_TX or TLS_RX keys from @ci (@len bytes, as returned by
 * ktls_crypto_info_fill()).  @ci is wiped on every path.
 *
 * Return: 0, -EINVAL for an unknown @dir, or the -errno of setsockopt().
 */
int ktls_sock_set_crypto(int fd, enum ktls_dir dir,
			 union ktls_crypto_info *ci, size_t len)
{
	int optname;
	int ret = 0;

	switch (dir) {
	case KTLS_DIR_TX:
		optname = TLS_TX;
		break;
	case KTLS_DIR_RX:
		optname = TLS_RX;
		break;
	default:
		ret = -EINVAL;
		goto out_wipe;
	}
	if (len > sizeof(*ci)) {
		ret = -EINVAL;
		goto out_wipe;
	}
	if (setsockopt(fd, SOL_TLS, optname, ci, (socklen_t)len) < 0)
		ret = -errno;
out_wipe:
	ktls_crypto_info_wipe(ci);
	return ret;
}

/* A record of content @type through the kernel (TX offloaded). */
int ktls_send_ctrl(int fd, uint8_t type, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cmsg->cmsg_level = SOL_TLS;
	cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
	cmsg->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*(unsigned char *)CMSG_DATA(cmsg) = type;
	n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* An alert through the kernel (TX offloaded): close_notify is a warning,
 * every other alert we send is fatal (RFC 8446 6, RFC 5246 7.2). */
int ktls_send_alert(int fd, uint8_t desc)
{
	const uint8_t alert[2] = { desc == KTLS_ALERT_CLOSE_NOTIFY ? 1 : 2,
				   desc };

	return ktls_send_ctrl(fd, KTLS_CT_ALERT, alert, sizeof(alert));
}

/*
 * A fatal alert in a plaintext record, written straight to the socket: for
 * failures before any key protects what we send, where wolfSSL sends
 * none.
 */
void ktls_send_plain_alert(int fd, uint8_t desc)
{
	const uint8_t rec[] = { KTLS_CT_ALERT, 3, 3, 0, 2, 2, desc };

	(void)!send(fd, rec, sizeof(rec), MSG_NOSIGNAL);
}

/* Milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ktls_linger_close(int fd, unsigned int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	char buf[4096];

	if (fd < 0)
		return -EINVAL;
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		left = end - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			break;
	}
	return close(fd) < 0 ? -errno : 0;
}
