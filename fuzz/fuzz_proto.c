// SPDX-License-Identifier: MIT
/*
 * fuzz_proto.c - the daemon wire format (libktls/src/proto.c), stateful:
 * the input is a sequence of SEQPACKET messages, sent over a socketpair,
 * some with fds attached, then read back and decoded in order as
 * handshaked's client_readable() does (ktls_proto_recv(),
 * ktls_proto_check(), hsd_parse_request()) and as libktls reads a reply.
 *
 * The oracle: once an input is done and both sockets are closed, the
 * process has exactly the fds it had before the input (every fd that came
 * with a message was handed over and closed, or closed), else abort().
 *
 * Input: a control byte, then messages, each
 *	u8 flags	bits 0-2: fds to attach (0-7; 5 and more overflow the
 *			receiver's control buffer); bit 3: receive into a
 *			16-byte buffer (a truncated message); bit 4: a
 *			second length byte follows (length = len | next << 8);
 *			bit 5: prepend a valid 12-byte header (bit 6 set:
 *			type RESULT, else bit 7 set: COUNTERS, else
 *			HANDSHAKE) with the length filled in
 *	u8 len		payload bytes that follow (fewer at the end)
 * Control byte bit 0: close the sending end after the last message (the
 * receiver then sees end of stream); bit 1: read each message as soon as
 * it is sent, instead of all of them at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handshaked.h"
#include "ktls_int.h"
#include "proto.h"

#define MAX_MSGS 64
#define MAX_FDS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1;
static struct ktls_proto_msg rx;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d) {
		perror("fuzz_proto: /proc/self/fd");
		abort();
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own */
}

static int send_msg(int sock, const uint8_t *buf, size_t len, int nfds)
{
	char cbuf[CMSG_SPACE(MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int i;

	if (nfds) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &devnull,
			       sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* A reply, read as libktls's read_result() reads one. */
static void decode_result(const uint8_t *buf, size_t len)
{
	struct ktls_proto_attr a;
	size_t off = KTLS_PROTO_HDR;
	char s[256];
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	while (ktls_proto_next(buf, len, &off, &a) > 0) {
		switch (a.tag) {
		case KTLS_A_STATUS:
			(void)!ktls_proto_u32(&a, &u32);
			break;
		case KTLS_A_VERSION:
		case KTLS_A_CIPHER:
		case KTLS_A_ALERT:
			(void)!ktls_proto_u16(&a, &u16);
			break;
		case KTLS_A_RESUMED:
		case KTLS_A_VERIFY_RESULT:
		case KTLS_A_TX_OFFLOADED:
		case KTLS_A_RX_OFFLOADED:
			(void)!ktls_proto_u8(&a, &u8);
			break;
		default:
			(void)!ktls_proto_str(&a, s, sizeof(s));
			break;
		}
		if (off > len)
			abort();
	}
}

/*
 * Read one message as handshaked's client_readable() does.  Return: 1 to
 * go on reading, 0 when the daemon would stop (drop the client, or
 * nothing more to read).
 */
static int receive_one(int sock, size_t room)
{
	struct hsd_request r;
	enum ktls_msg_type type;
	const char *why = NULL;
	ssize_t n;
	int fd = -2, ret;

	n = ktls_proto_recv(sock, rx.buf, room, &fd);
	if (n <= 0 && fd != -1) {
		fprintf(stderr, "fuzz_proto: ktls_proto_recv() returned %zd "
			"with fd %d\n", n, fd);
		abort();
	}
	if (fd >= 0 && fcntl(fd, F_GETFD) < 0) {
		fprintf(stderr, "fuzz_proto: handed fd %d is not open\n", fd);
		abort();
	}
	if (n == -EAGAIN || n == 0)
		return 0;
	if (n == -EBADMSG)
		return 1;
	if (n < 0)
		return 0;
	if ((size_t)n > room)
		abort();
	if (ktls_proto_check(rx.buf, (size_t)n, &type) == 0) {
		if (type == KTLS_MSG_RESULT)
			decode_result(rx.buf, (size_t)n);
		if (type == KTLS_MSG_COUNTERS) {
			if (fd >= 0)
				close(fd);
			return 1;
		}
	}
	ret = hsd_parse_request(rx.buf, (size_t)n, &r, &why);
	if (ret < 0 && !why)
		abort();
	if (ret == 0 && (strnlen(r.profile, sizeof(r.profile)) ==
			 sizeof(r.profile) || !r.profile[0] ||
			 (r.role != KTLS_ROLE_CLIENT &&
			  r.role != KTLS_ROLE_SERVER)))
		abort();
	/* Refused, or handed to a job that closes it when done. */
	if (fd >= 0)
		close(fd);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[KTLS_PROTO_HDR + 0xffff];
	size_t rooms[MAX_MSGS];
	size_t pos = 1, i, nmsgs = 0;
	uint8_t ctl;
	int sv[2], now, baseline;

	if (devnull < 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			abort();
	}
	if (size < 1)
		return 0;
	/* Counted for each input: libFuzzer itself opens fds between
	 * inputs (the symbolizer's pipes). */
	baseline = count_fds();
	ctl = data[0];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0, sv) < 0)
		abort();
	while (pos + 2 <= size && nmsgs < MAX_MSGS) {
		uint8_t flags = data[pos];
		size_t len = data[pos + 1], hdr = 0;

		pos += 2;
		if ((flags & 0x10) && pos < size)
			len |= (size_t)data[pos++] << 8;
		if (len > size - pos)
			len = size - pos;
		if (flags & 0x20) {
			hdr = KTLS_PROTO_HDR;
			out[0] = 'K'; out[1] = 'T'; out[2] = 'L'; out[3] = 'S';
			out[4] = 0; out[5] = KTLS_PROTO_VERSION;
			out[6] = 0;
			out[7] = flags & 0x40 ? KTLS_MSG_RESULT :
				 flags & 0x80 ? KTLS_MSG_COUNTERS :
				 KTLS_MSG_HANDSHAKE;
			out[8] = 0; out[9] = 0;
			out[10] = (uint8_t)(len >> 8);
			out[11] = (uint8_t)len;
		}
		memcpy(out + hdr, data + pos, len);
		pos += len;
		rooms[nmsgs] = flags & 0x08 ? 16 : sizeof(rx.buf);
		if (send_msg(sv[0], out, hdr + len, flags & 7) < 0)
			break;
		nmsgs++;
		if (ctl & 2)
			(void)receive_one(sv[1], rooms[nmsgs - 1]);
	}
	if (ctl & 1) {
		close(sv[0]);
		sv[0] = -1;
	}
	if (!(ctl & 2))
		for (i = 0; i < nmsgs; i++)
			if (!receive_one(sv[1], rooms[i]))
				break;
	/* What is left, up to the end of stream or an empty queue. */
	while (receive_one(sv[1], sizeof(rx.buf)))
		;
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	now = count_fds();
	if (now != baseline) {
		fprintf(stderr, "fuzz_proto: %d fds open after the input, "
			"%d before: an fd leaked\n", now, baseline);
		abort();
	}
	return 0;
}
