// SPDX-License-Identifier: MIT
/*
 * proto.c - building, checking and moving handshaked's messages (the
 * format is described in proto.h).  Everything read from the socket is
 * length-checked here before anyone looks at it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_int.h"
#include "proto.h"

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

void ktls_proto_init(struct ktls_proto_msg *m, enum ktls_msg_type type)
{
	put_be32(m->buf, KTLS_PROTO_MAGIC);
	put_be16(m->buf + 4, KTLS_PROTO_VERSION);
	put_be16(m->buf + 6, (uint16_t)type);
	put_be32(m->buf + 8, 0);
	m->len = KTLS_PROTO_HDR;
}

/* Return: 0, or -ENOSPC when the message would pass KTLS_PROTO_MAX. */
int ktls_proto_put(struct ktls_proto_msg *m, uint16_t tag, const void *val,
		   size_t len)
{
	if (len > UINT16_MAX || m->len + 4 + len > sizeof(m->buf))
		return -ENOSPC;
	put_be16(m->buf + m->len, tag);
	put_be16(m->buf + m->len + 2, (uint16_t)len);
	if (len)
		memcpy(m->buf + m->len + 4, val, len);
	m->len += 4 + len;
	put_be32(m->buf + 8, (uint32_t)(m->len - KTLS_PROTO_HDR));
	return 0;
}

int ktls_proto_put_u8(struct ktls_proto_msg *m, uint16_t tag, uint8_t v)
{
	return ktls_proto_put(m, tag, &v, 1);
}

int ktls_proto_put_u16(struct ktls_proto_msg *m, uint16_t tag, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	return ktls_proto_put(m, tag, b, sizeof(b));
}

int ktls_proto_put_u32(struct ktls_proto_msg *m, uint16_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return ktls_proto_put(m, tag, b, sizeof(b));
}

int ktls_proto_put_str(struct ktls_proto_msg *m, uint16_t tag, const char *s)
{
	return ktls_proto_put(m, tag, s, strlen(s));
}

/*
 * Check a whole message: header, and that its attributes tile the rest
 * exactly.
 *
 * Return: 0 with *@type set; -EPROTONOSUPPORT for another version;
 * -EBADMSG for anything else malformed.
 */
int ktls_proto_check(const uint8_t *buf, size_t len, enum ktls_msg_type *type)
{
	struct ktls_proto_attr a;
	size_t off = KTLS_PROTO_HDR;
	uint16_t t;
	int ret;

	if (!buf || len < KTLS_PROTO_HDR || len > KTLS_PROTO_MAX ||
	    get_be32(buf) != KTLS_PROTO_MAGIC)
		return -EBADMSG;
	if (get_be16(buf + 4) != KTLS_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	t = get_be16(buf + 6);
	if (t != KTLS_MSG_HANDSHAKE && t != KTLS_MSG_RESULT &&
	    t != KTLS_MSG_COUNTERS)
		return -EBADMSG;
	if (get_be32(buf + 8) != len - KTLS_PROTO_HDR)
		return -EBADMSG;
	while ((ret = ktls_proto_next(buf, len, &off, &a)) > 0)
		;
	if (ret < 0)
		return ret;
	*type = t;
	return 0;
}

/*
 * The attribute at *@off (start at KTLS_PROTO_HDR), advancing *@off.
 *
 * Return: 1 with *@a set; 0 at the end; -EBADMSG if it runs past the end.
 */
int ktls_proto_next(const uint8_t *buf, size_t len, size_t *off,
		    struct ktls_proto_attr *a)
{
	size_t o = *off;

	if (o == len)
		return 0;
	if (o > len || len - o < 4)
		return -EBADMSG;
	a->tag = get_be16(buf + o);
	a->len = get_be16(buf + o + 2);
	if (len - o - 4 < a->len)
		return -EBADMSG;
	a->val = buf + o + 4;
	*off = o + 4 + a->len;
	return 1;
}

int ktls_proto_u8(const struct ktls_proto_attr *a, uint8_t *v)
{
	if (a->len != 1)
		return -EBADMSG;
	*v = a->val[0];
	return 0;
}

int ktls_proto_u16(const struct ktls_proto_attr *a, uint16_t *v)
{
	if (a->len != 2)
		return -EBADMSG;
	*v = get_be16(a->val);
	return 0;
}

int ktls_proto_u32(const struct ktls_proto_attr *a, uint32_t *v)
{
	if (a->len != 4)
		return -EBADMSG;
	*v = get_be32(a->val);
	return 0;
}

/* Copy a string attribute, NUL-terminated: -EBADMSG for an embedded NUL,
 * -ENOSPC when it does not fit. */
int ktls_proto_str(const struct ktls_proto_attr *a, char *buf, size_t size)
{
	if (memchr(a->val, '\0', a->len))
		return -EBADMSG;
	if ((size_t)a->len >= size)
		return -ENOSPC;
	memcpy(buf, a->val, a->len);
	buf[a->len] = '\0';
	return 0;
}

/* Send @m, with @fd in SCM_RIGHTS unless it is negative. */
int ktls_proto_send(int sock, const struct ktls_proto_msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m->buf, .iov_len = m->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == m->len ? 0 : -EIO;
}

/*
 * Receive one message into @buf and at most one fd into *@fdp (-1 for
 * none; extra fds are closed and the message refused).
 *
 * Return: its length; 0 when the peer closed; -EBADMSG for a truncated
 * message or more than one fd; the -errno of recvmsg().
 */
ssize_t ktls_proto_recv(int sock, uint8_t *buf, size_t size, int *fdp)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int nfds = 0, fd = -1;
	bool bad = false;
	ssize_t n;

	*fdp = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t i, k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(f));
			if (nfds++ == 0) {
				fd = f;
			} else {
				close(f);
				bad = true;
			}
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = true;
	/* A zero-length message reads as end of stream: no caller owns an
	 * fd that came with it. */
	if (n == 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (bad) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*fdp = fd;
	return n;
}
