// SPDX-License-Identifier: MIT
/*
 * hsd_wire.c - the framing of handshaked's messages (hsd_wire.h), and
 * moving them over the socket with at most one fd (hsd_proto_send(),
 * hsd_proto_recv()).  Everything read from a socket is length-checked
 * here before anyone looks at it.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsd_wire.h"

/* --- writing ---------------------------------------------------------- */

void hsd_wire_msg_init(struct hsd_proto_msg *m, enum hsd_msg_type type)
{
	put_be32(m->buf, HSD_PROTO_MAGIC);
	put_be16(m->buf + 4, HSD_PROTO_VERSION);
	put_be16(m->buf + 6, (uint16_t)type);
	put_be32(m->buf + 8, 0);
	m->len = HSD_PROTO_HDR;
}

/* An attribute of @len bytes, its value in two pieces (@b may be NULL). */
int hsd_wire_put2(struct hsd_proto_msg *m, uint16_t tag, const void *a,
		  size_t alen, const void *b, size_t blen)
{
	size_t len = alen + blen;

	if (len > UINT16_MAX || m->len + 4 + len > sizeof(m->buf))
		return -ENOSPC;
	put_be16(m->buf + m->len, tag);
	put_be16(m->buf + m->len + 2, (uint16_t)len);
	if (alen)
		memcpy(m->buf + m->len + 4, a, alen);
	if (blen)
		memcpy(m->buf + m->len + 4 + alen, b, blen);
	m->len += 4 + len;
	put_be32(m->buf + 8, (uint32_t)(m->len - HSD_PROTO_HDR));
	return 0;
}

int hsd_wire_put(struct hsd_proto_msg *m, uint16_t tag, const void *v,
		 size_t len)
{
	return hsd_wire_put2(m, tag, v, len, NULL, 0);
}

int hsd_wire_put_u8(struct hsd_proto_msg *m, uint16_t tag, uint8_t v)
{
	return hsd_wire_put(m, tag, &v, 1);
}

int hsd_wire_put_u16(struct hsd_proto_msg *m, uint16_t tag, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	return hsd_wire_put(m, tag, b, sizeof(b));
}

int hsd_wire_put_u32(struct hsd_proto_msg *m, uint16_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return hsd_wire_put(m, tag, b, sizeof(b));
}

int hsd_wire_put_u64(struct hsd_proto_msg *m, uint16_t tag, uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	return hsd_wire_put(m, tag, b, sizeof(b));
}

/*
 * The length of the string in the array @s of @size bytes, or -EINVAL
 * when it has no NUL there or is shorter than @min.
 */
ssize_t hsd_wire_str_len(const char *s, size_t size, size_t min)
{
	size_t n = strnlen(s, size);

	return n == size || n < min ? -EINVAL : (ssize_t)n;
}

/* A string attribute, left out when empty (and @min is 0). */
int hsd_wire_put_str(struct hsd_proto_msg *m, uint16_t tag, const char *s,
		     size_t size, size_t min)
{
	ssize_t n = hsd_wire_str_len(s, size, min);

	if (n < 0)
		return (int)n;
	return n ? hsd_wire_put(m, tag, s, (size_t)n) : 0;
}

bool hsd_wire_status_ok(int32_t status)
{
	return status <= 0 && status >= -4095;
}

/* --- reading ---------------------------------------------------------- */

int hsd_wire_bad(struct wire_reader *rd, const char *why)
{
	if (!rd->why)
		rd->why = why;
	return -EBADMSG;
}

/* The next attribute: 1 with *@a set; 0 at the end; -EBADMSG. */
int hsd_wire_next(struct wire_reader *rd, struct wire_attr *a)
{
	size_t o = rd->off;

	if (o == rd->len)
		return 0;
	if (rd->len - o < 4)
		return hsd_wire_bad(rd, "an attribute header runs past the "
				    "end");
	a->tag = get_be16(rd->buf + o);
	a->len = get_be16(rd->buf + o + 2);
	if (rd->len - o - 4 < a->len)
		return hsd_wire_bad(rd, "an attribute runs past the end");
	a->val = rd->buf + o + 4;
	a->again = false;
	if (a->tag < 64) {
		a->again = rd->seen & (1ull << a->tag);
		rd->seen |= 1ull << a->tag;
	}
	rd->off = o + 4 + a->len;
	return 1;
}

bool hsd_wire_seen(const struct wire_reader *rd, enum hsd_attr tag)
{
	return rd->seen & (1ull << tag);
}

/*
 * Check the header and that the attributes tile the rest exactly; leave
 * @rd at the first attribute.
 */
int hsd_wire_open_msg(struct wire_reader *rd, const uint8_t *buf,
		      size_t len, enum hsd_msg_type *type)
{
	struct wire_attr a;
	uint16_t t;
	int ret;

	memset(rd, 0, sizeof(*rd));
	rd->buf = buf;
	rd->len = len;
	if (!buf || len < HSD_PROTO_HDR)
		return hsd_wire_bad(rd, "shorter than a message header");
	if (len > HSD_PROTO_MAX)
		return hsd_wire_bad(rd, "longer than 64 KiB");
	if (get_be32(buf) != HSD_PROTO_MAGIC)
		return hsd_wire_bad(rd, "not a handshaked message (bad magic)");
	if (get_be16(buf + 4) != HSD_PROTO_VERSION) {
		rd->why = "unknown protocol version (this side speaks 1)";
		return -EPROTONOSUPPORT;
	}
	t = get_be16(buf + 6);
	if (t < HSD_MSG_HANDSHAKE || t > HSD_MSG_RELOAD)
		return hsd_wire_bad(rd, "unknown message type");
	if (get_be32(buf + 8) != len - HSD_PROTO_HDR)
		return hsd_wire_bad(rd, "the header's length does not match "
				    "the message");
	rd->off = HSD_PROTO_HDR;
	while ((ret = hsd_wire_next(rd, &a)) > 0)
		;
	if (ret < 0)
		return ret;
	rd->off = HSD_PROTO_HDR;
	rd->seen = 0;
	*type = t;
	return 0;
}

int hsd_wire_once(struct wire_reader *rd, const struct wire_attr *a)
{
	return a->again ? hsd_wire_bad(rd, "an attribute appears twice") : 0;
}

int hsd_wire_wrong_size(struct wire_reader *rd)
{
	return hsd_wire_bad(rd, "an attribute has the wrong size for its type");
}

int hsd_wire_get_u8(struct wire_reader *rd, const struct wire_attr *a,
		    uint8_t *v)
{
	if (hsd_wire_once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 1)
		return hsd_wire_wrong_size(rd);
	*v = a->val[0];
	return 0;
}

int hsd_wire_get_bool(struct wire_reader *rd, const struct wire_attr *a,
		      bool *v)
{
	uint8_t u;

	if (hsd_wire_get_u8(rd, a, &u) < 0)
		return -EBADMSG;
	if (u > 1)
		return hsd_wire_bad(rd, "a flag is neither 0 nor 1");
	*v = u;
	return 0;
}

int hsd_wire_get_u16(struct wire_reader *rd, const struct wire_attr *a,
		     uint16_t *v)
{
	if (hsd_wire_once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 2)
		return hsd_wire_wrong_size(rd);
	*v = get_be16(a->val);
	return 0;
}

int hsd_wire_get_u32(struct wire_reader *rd, const struct wire_attr *a,
		     uint32_t *v)
{
	if (hsd_wire_once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 4)
		return hsd_wire_wrong_size(rd);
	*v = get_be32(a->val);
	return 0;
}

int hsd_wire_get_u64(struct wire_reader *rd, const struct wire_attr *a,
		     uint64_t *v)
{
	if (hsd_wire_once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 8)
		return hsd_wire_wrong_size(rd);
	*v = get_be64(a->val);
	return 0;
}

/* @len bytes at @p as a string of @min to @max bytes into @out. */
int hsd_wire_copy_str(struct wire_reader *rd, const uint8_t *p, size_t len,
		      size_t min, size_t max, char *out)
{
	if (len > max)
		return hsd_wire_bad(rd, "a string is longer than its bound");
	if (len < min)
		return hsd_wire_bad(rd, "a string is empty or too short");
	if (memchr(p, '\0', len))
		return hsd_wire_bad(rd, "a string holds a NUL");
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int hsd_wire_get_str(struct wire_reader *rd, const struct wire_attr *a,
		     size_t min, size_t max, char *out)
{
	if (hsd_wire_once(rd, a) < 0)
		return -EBADMSG;
	return hsd_wire_copy_str(rd, a->val, a->len, min, max, out);
}

void hsd_wire_set_why(const char **why, const struct wire_reader *rd)
{
	if (why)
		*why = rd->why ? rd->why : "malformed message";
}

/* --- the socket ------------------------------------------------------- */

int hsd_proto_send(int sock, const struct hsd_proto_msg *m, int fd)
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

ssize_t hsd_proto_recv(int sock, uint8_t *buf, size_t size, int *fdp)
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
	bool bad_msg = false;
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

			memcpy(&f, CMSG_DATA(cmsg) + i * sizeof(int),
			       sizeof(f));
			if (nfds++ == 0) {
				fd = f;
			} else {
				close(f);
				bad_msg = true;
			}
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad_msg = true;
	/* A zero-length message reads as end of stream: no caller owns an
	 * fd that came with it. */
	if (n == 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (bad_msg) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*fdp = fd;
	return n;
}
