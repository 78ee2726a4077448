// SPDX-License-Identifier: MIT
/*
 * fuzz_proto.c - the daemon protocol (proto/hsd_proto.c), stateful: the
 * input is a sequence of SEQPACKET messages, sent over a socketpair, some
 * with fds attached, then read back and decoded in order as handshaked
 * reads a request (hsd_proto_recv(), hsd_proto_decode_request()) and as
 * its clients read a reply (every reply decoder).
 *
 * The oracles: once an input is done and both sockets are closed, the
 * process has exactly the fds it had before the input (every fd that came
 * with a message was handed over and closed, or closed), else abort(); a
 * decoded request or reply holds what its decoder promises (a role, a
 * profile of 1 to 63 bytes, strings within their bounds, a status of 0 or
 * -errno), and what decodes encodes back to a message that decodes alike.
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

#include "helpers.h"
#include "hsd_proto.h"

#define MAX_MSGS 64
#define MAX_FDS 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int devnull = -1;
static struct hsd_proto_msg rx, tx;

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

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_proto: %s\n", what);
		abort();
	}
}

static void check_str(const char *s, size_t size, size_t min)
{
	size_t n = strnlen(s, size);

	check(n < size && n >= min, "a decoded string out of its bounds");
}

/* A request that decoded: what it promises, and that it encodes back. */
static void check_request(const struct hsd_proto_request *r, int nfds)
{
	struct hsd_proto_request again;

	if (r->type == HSD_MSG_HANDSHAKE) {
		check(nfds == 1, "a handshake request decoded without its fd");
		check(r->hs.role == KTLS_ROLE_CLIENT ||
		      r->hs.role == KTLS_ROLE_SERVER, "a request's role");
		check_str(r->hs.profile, sizeof(r->hs.profile), 1);
		check_str(r->hs.peer_name, sizeof(r->hs.peer_name), 0);
		check_str(r->hs.alpn, sizeof(r->hs.alpn), 0);
	} else {
		check(nfds == 0, "a request without fd decoded with one");
		check(r->type == HSD_MSG_COUNTERS || r->type == HSD_MSG_STATUS ||
		      r->type == HSD_MSG_RELOAD, "a request's type");
	}
	check(hsd_proto_encode_request(&tx, r) == 0,
	      "a decoded request does not encode");
	check(hsd_proto_decode_request(tx.buf, tx.len, nfds, &again, NULL) == 0
	      && !memcmp(&again, r, sizeof(again)),
	      "a request does not survive encode and decode");
}

/* A reply, read by each decoder a client may use. */
static void decode_replies(const uint8_t *buf, size_t len)
{
	static struct hsd_proto_counters c;
	static struct hsd_proto_status s;
	struct hsd_proto_result res;
	struct hsd_proto_reply r;
	const char *why;
	unsigned int i;

	if (hsd_proto_decode_reply(buf, len, &r, &why) == 0) {
		check(r.status <= 0 && r.status >= -4095, "a reply's status");
		check_str(r.errstr, sizeof(r.errstr), 0);
		check(hsd_proto_encode_reply(&tx, &r) == 0,
		      "a decoded reply does not encode");
	} else {
		check(why != NULL, "a refusal without a reason");
	}
	if (hsd_proto_decode_result(buf, len, &res, NULL) == 0) {
		check(res.n_certs <= HSD_PROTO_CERTS_MAX, "too many certs");
		for (i = 0; i < res.n_certs; i++)
			check(res.certs[i].der >= buf && res.certs[i].len &&
			      res.certs[i].der + res.certs[i].len <= buf + len,
			      "a certificate outside its message");
		check(hsd_proto_encode_result(&tx, &res) == 0,
		      "a decoded result does not encode");
	}
	if (hsd_proto_decode_counters(buf, len, &c, NULL) == 0) {
		check(c.n <= HSD_PROTO_COUNTERS_MAX, "too many counters");
		for (i = 0; i < c.n; i++)
			check_str(c.c[i].name, sizeof(c.c[i].name), 1);
		check(hsd_proto_encode_counters(&tx, &c) == 0,
		      "decoded counters do not encode");
	}
	if (hsd_proto_decode_status(buf, len, &s, NULL) == 0) {
		check(s.n_profiles <= HSD_PROTO_PROFILES_MAX &&
		      s.n_profiles <= s.profiles_total, "too many profiles");
		for (i = 0; i < s.n_profiles; i++)
			check_str(s.profiles[i].name,
				  sizeof(s.profiles[i].name), 1);
		check(hsd_proto_encode_status(&tx, &s) == 0,
		      "a decoded status does not encode");
	}
}

/*
 * Read one message as handshaked does.  Return: 1 to go on reading, 0
 * when the daemon would stop (drop the client, or nothing more to read).
 */
static int receive_one(int sock, size_t room)
{
	struct hsd_proto_request r;
	const char *why = NULL;
	ssize_t n;
	int fd = -2, ret;

	n = hsd_proto_recv(sock, rx.buf, room, &fd);
	if (n <= 0 && fd != -1) {
		fprintf(stderr, "fuzz_proto: hsd_proto_recv() returned %zd "
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
	check((size_t)n <= room, "a message longer than its buffer");
	decode_replies(rx.buf, (size_t)n);
	ret = hsd_proto_decode_request(rx.buf, (size_t)n, fd >= 0, &r, &why);
	if (ret < 0)
		check(why != NULL && (ret == -EBADMSG || ret == -EBADF ||
				      ret == -EPROTONOSUPPORT),
		      "a refused request without a reason or its status");
	else
		check_request(&r, fd >= 0);
	/* Refused, or handed to a job that closes it when done. */
	if (fd >= 0)
		close(fd);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HSD_PROTO_HDR + 0xffff];
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
			hdr = HSD_PROTO_HDR;
			out[0] = 'K'; out[1] = 'T'; out[2] = 'L'; out[3] = 'S';
			out[4] = 0; out[5] = HSD_PROTO_VERSION;
			out[6] = 0;
			out[7] = flags & 0x40 ? HSD_MSG_RESULT :
				 flags & 0x80 ? HSD_MSG_COUNTERS :
				 HSD_MSG_HANDSHAKE;
			out[8] = 0; out[9] = 0;
			out[10] = (uint8_t)(len >> 8);
			out[11] = (uint8_t)len;
		}
		memcpy(out + hdr, data + pos, len);
		pos += len;
		rooms[nmsgs] = flags & 0x08 ? 16 : sizeof(rx.buf);
		if (th_send_with_fds(sv[0], out, hdr + len, devnull, flags & 7,
				     MSG_DONTWAIT) < 0)
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
