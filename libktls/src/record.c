// SPDX-License-Identifier: MIT
/*
 * record.c - the data path, the top of the record layer: send, recv,
 * sendfile and close on a connection whose records the kernel (TX/RX
 * installed by install.c) or wolfSSL (through bridge.c) protects; what a
 * record the kernel hands up means (post-handshake messages go to post.c
 * and rekey.c), and the one fatal alert when the peer breaks the rules.
 * ring.c, beside it, does the same through io_uring.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_int.h"

int ktls_io_errno(struct ktls_conn *conn, int err)
{
	switch (err) {
	case EAGAIN:
		return -EAGAIN;
	case EPIPE:
	case ECONNRESET:
		ktls_set_err(conn->err, "the peer reset the connection");
		return -ECONNRESET;
	case EBADMSG:
		ktls_set_err(conn->err, "a record failed authentication "
			     "(corrupted or forged)");
		return -EBADMSG;
	default:
		ktls_set_err(conn->err, "socket error: %s", ktls_strerror(err));
		return -err;
	}
}

/*
 * The connection ends on an error in what the peer sent: tell the peer with
 * the alert RFC 8446 6.2 names, once, through the kernel (in software
 * wolfSSL sends its own).  A record the kernel could not decrypt left its
 * error on the socket (sk_err), and kTLS refuses every send while it is
 * there: reading SO_ERROR clears it.  Returns @err, which ends the
 * connection for every later call.
 */
static int fatal(struct ktls_conn *conn, uint8_t desc, int err)
{
	socklen_t len = sizeof(int);
	int sk_err;

	conn->fatal = err;
	if (!conn->tx_offloaded || conn->sent_close || conn->data.alert_sent)
		return err;
	conn->data.alert_sent = true;
	(void)getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &sk_err, &len);
	(void)!ktls_send_alert(conn->fd, desc);
	return err;
}

/*
 * A receive with RX in the kernel failed with @err (positive errno): the
 * kernel refused a record (EBADMSG: it failed authentication; EMSGSIZE:
 * longer than the RFC allows; EINVAL: a malformed header), or the socket
 * failed.
 */
int ktls_rx_errno(struct ktls_conn *conn, int err)
{
	int ret = ktls_io_errno(conn, err);

	switch (err) {
	case EBADMSG:
		return fatal(conn, KTLS_ALERT_BAD_RECORD_MAC, ret);
	case EMSGSIZE:
		ktls_set_err(conn->err, "a record longer than TLS allows");
		return fatal(conn, KTLS_ALERT_RECORD_OVERFLOW, ret);
	case EINVAL:
		ktls_set_err(conn->err, "a malformed record header");
		return fatal(conn, KTLS_ALERT_DECODE_ERROR, -EPROTO);
	default:
		return ret;
	}
}

int ktls_check_open(struct ktls_conn *conn)
{
	if (!conn)
		return -EINVAL;
	conn->err[0] = '\0';
	if (conn->fatal)
		return conn->fatal;
	if (conn->state != KTLS_ST_OPEN && conn->state != KTLS_ST_CLOSED) {
		ktls_set_err(conn->err, "no handshake has completed");
		return -EINVAL;
	}
	return 0;
}

ssize_t ktls_send(struct ktls_conn *conn, const void *buf, size_t len)
{
	ssize_t n;
	int ret = ktls_check_open(conn);

	if (ret < 0)
		return ret;
	if (conn->sent_close)
		return -EPIPE;
	if (len == 0)
		return 0;
	ret = ktls_tx_budget(conn, &len);
	if (ret < 0)
		return ret;
	if (conn->tx_offloaded) {
		n = send(conn->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			conn->events = POLLOUT;
			return ktls_io_errno(conn, errno);
		}
		ktls_data_sent(conn, n);
		return n;
	}
	n = ktls_tls_write(conn, buf, len);
	if (n == 0) {
		conn->data.got_close = true;
		return -EPIPE;
	}
	ktls_data_sent(conn, n);
	return n;
}

/* Count @n bytes of application data sent, when @n is a count. */
void ktls_data_sent(struct ktls_conn *conn, ssize_t n)
{
	if (n > 0)
		conn->data.tx_bytes += (uint64_t)n;
}

/* The content type a kTLS recvmsg() reported (application data if none). */
uint8_t ktls_record_type(struct msghdr *msg)
{
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS &&
		    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			return *(unsigned char *)CMSG_DATA(cmsg);
	return KTLS_CT_APPDATA;
}

/* recvmsg() on a kTLS RX socket: the plaintext of one record at most,
 * with its content type. */
static ssize_t recv_record(int fd, void *buf, size_t len, uint8_t *type)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n;

	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return -errno;
	*type = ktls_record_type(&msg);
	return n;
}

/*
 * A handshake record after the handshake (TLS 1.3): session tickets go to
 * wolfSSL (post.c), so that they can resume a session; a KeyUpdate renews
 * the keys where the kernel can take new ones (rekey.c).
 */
static int post_handshake(struct ktls_conn *conn, const uint8_t *rec,
			  size_t rec_len)
{
	const uint8_t *p = rec;
	size_t len = rec_len;
	bool tickets = false;
	int ret;

	while (len >= 4) {
		size_t mlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];

		if (mlen > len - 4)
			break;
		switch (p[0]) {
		case 4:		/* new_session_ticket */
			tickets = true;
			break;
		case 24:	/* key_update (RFC 8446 4.6.3) */
			if (mlen != 1) {
				ktls_set_err(conn->err, "a malformed "
					     "KeyUpdate");
				return fatal(conn, KTLS_ALERT_DECODE_ERROR,
					     -EPROTO);
			}
			/* The key changes after it: nothing may follow in
			 * its record (RFC 8446 5.1). */
			if (len != 5) {
				ktls_set_err(conn->err, "a KeyUpdate with "
					     "more after it in its record");
				return fatal(conn,
					     KTLS_ALERT_UNEXPECTED_MESSAGE,
					     -EPROTO);
			}
			if (p[4] > 1) {
				ktls_set_err(conn->err, "a KeyUpdate with "
					     "request_update %u", p[4]);
				return fatal(conn,
					     KTLS_ALERT_ILLEGAL_PARAMETER,
					     -EPROTO);
			}
			ret = ktls_key_update_received(conn, rec, rec_len);
			/* The peer did nothing wrong, but this end cannot
			 * go on: tell it so rather than vanish. */
			if (ret < 0 && ret != -ENOMEM)
				return fatal(conn, KTLS_ALERT_INTERNAL_ERROR,
					     ret);
			return ret;
		default:
			ktls_set_err(conn->err, "unexpected handshake message "
				     "%u after the handshake", p[0]);
			return fatal(conn, KTLS_ALERT_UNEXPECTED_MESSAGE,
				     -EPROTO);
		}
		p += 4 + mlen;
		len -= 4 + mlen;
	}
	/* A KeyUpdate may not span records: the key changes after it (RFC
	 * 8446 5.1).  A ticket that does is ours not to take. */
	if (len && p[0] == 24) {
		ktls_set_err(conn->err, "a KeyUpdate spans records");
		return fatal(conn, KTLS_ALERT_UNEXPECTED_MESSAGE, -EPROTO);
	}
	if (len) {
		ktls_set_err(conn->err, "a handshake message after the "
			     "handshake spans records; not supported");
		return fatal(conn, KTLS_ALERT_INTERNAL_ERROR, -EPROTO);
	}
	return tickets ? ktls_post_handshake_feed(conn, rec, rec_len) : 0;
}

/* The read buffer of the data path, allocated on first use; NULL when
 * there is no memory for it. */
uint8_t *ktls_rbuf(struct ktls_conn *conn)
{
	if (!conn->data.rbuf)
		conn->data.rbuf = malloc(KTLS_MAX_RECORD_BODY);
	return conn->data.rbuf;
}

/* @n bytes of plaintext were read into the read buffer. */
void ktls_rbuf_filled(struct ktls_conn *conn, size_t n)
{
	conn->data.rbuf_off = 0;
	conn->data.rbuf_len = n;
}

/* Copy out up to @len bytes an earlier read left in the read buffer;
 * returns how many (0: none). */
size_t ktls_rbuf_take(struct ktls_conn *conn, void *buf, size_t len)
{
	size_t n = len < conn->data.rbuf_len ? len : conn->data.rbuf_len;

	if (!n)
		return 0;
	memcpy(buf, conn->data.rbuf + conn->data.rbuf_off, n);
	conn->data.rbuf_off += n;
	conn->data.rbuf_len -= n;
	return n;
}

/* Let go of the data path's state (ktls_conn_free()): the read buffer
 * held plaintext, so it is wiped. */
void ktls_data_release(struct ktls_conn *conn)
{
	if (conn->data.rbuf)
		explicit_bzero(conn->data.rbuf, KTLS_MAX_RECORD_BODY);
	free(conn->data.rbuf);
	conn->data.rbuf = NULL;
	conn->data.rbuf_off = conn->data.rbuf_len = 0;
}

/*
 * ktls_recv() with RX in the kernel.  Small buffers read through the read
 * buffer so that a whole record (and any control record) always fits.
 */
static ssize_t recv_kernel(struct ktls_conn *conn, void *buf, size_t len)
{
	for (;;) {
		uint8_t *dst;
		size_t room;
		uint8_t type = KTLS_CT_APPDATA;
		bool more;
		ssize_t n;

		n = (ssize_t)ktls_rbuf_take(conn, buf, len);
		if (n)
			return n;
		if (len >= KTLS_MAX_PLAINTEXT) {
			dst = buf;
			room = len;
		} else {
			dst = ktls_rbuf(conn);
			if (!dst)
				return -ENOMEM;
			room = KTLS_MAX_RECORD_BODY;
		}
		n = recv_record(conn->fd, dst, room, &type);
		if (n < 0) {
			conn->events = POLLIN;
			return ktls_rx_errno(conn, (int)-n);
		}
		n = ktls_record_in(conn, dst, n, type, &more);
		if (more)
			continue;
		if (n <= 0 || dst == buf)
			return n;
		ktls_rbuf_filled(conn, (size_t)n);
	}
}

/*
 * What a record the kernel handed up (@n bytes of content @type at @dst,
 * or n == 0 at end of stream) means: application data (its length), the
 * peer's close_notify (0), or an error; *@more is set when it was a
 * handshake message, taken in, and the caller should read again.
 */
ssize_t ktls_record_in(struct ktls_conn *conn, uint8_t *dst, ssize_t n,
		       uint8_t type, bool *more)
{
	int ret;

	*more = false;
	if (n == 0) {
		ktls_set_err(conn->err, "the connection ended without "
			     "close_notify");
		return -ECONNRESET;
	}
	switch (type) {
	case KTLS_CT_APPDATA:
		if (n > 0)
			conn->data.rx_bytes += (uint64_t)n;
		return n;
	case KTLS_CT_ALERT:
		if (n != 2) {
			ktls_set_err(conn->err, "malformed alert");
			return fatal(conn, KTLS_ALERT_DECODE_ERROR, -EPROTO);
		}
		conn->alert = dst[1];
		if (dst[1] == 0) {
			conn->data.got_close = true;
			return 0;
		}
		ktls_set_err(conn->err, "the peer sent an alert: %s (%d)",
			     ktls_alert_name(dst[1]), dst[1]);
		return -ECONNABORTED;
	case KTLS_CT_HANDSHAKE:
		ret = post_handshake(conn, dst, (size_t)n);
		if (ret < 0)
			return ret;
		*more = true;
		return 0;
	default:
		ktls_set_err(conn->err, "unexpected record type %u", type);
		return fatal(conn, KTLS_ALERT_UNEXPECTED_MESSAGE, -EPROTO);
	}
}

ssize_t ktls_recv(struct ktls_conn *conn, void *buf, size_t len)
{
	ssize_t n;
	int ret = ktls_check_open(conn);

	if (ret < 0)
		return ret;
	if (conn->data.got_close)
		return 0;
	if (len == 0)
		return 0;
	if (conn->rx_offloaded)
		return recv_kernel(conn, buf, len);
	n = ktls_tls_read(conn, buf, len);
	if (n == 0)
		conn->data.got_close = true;
	if (n > 0)
		conn->data.rx_bytes += (uint64_t)n;
	return n;
}

ssize_t ktls_conn_pending(const struct ktls_conn *conn)
{
	size_t n;

	if (!conn || (conn->state != KTLS_ST_OPEN &&
		      conn->state != KTLS_ST_CLOSED))
		return -EINVAL;
	/* What the kernel holds is not known here (see ktls.h). */
	n = conn->data.rbuf_len;
	if (!conn->rx_offloaded)
		n += ktls_tls_pending(conn);
	return (ssize_t)n;
}

ssize_t ktls_sendfile(struct ktls_conn *conn, int in_fd, off_t *offset,
		      size_t count)
{
	uint8_t *buf;
	size_t done = 0;
	ssize_t n;
	int ret = ktls_check_open(conn);

	if (ret < 0)
		return ret;
	if (!offset)
		return -EINVAL;
	if (conn->sent_close)
		return -EPIPE;
	ret = ktls_tx_budget(conn, &count);
	if (ret < 0)
		return ret;
	if (conn->tx_offloaded) {
		n = sendfile(conn->fd, in_fd, offset, count);
		if (n < 0) {
			conn->events = POLLOUT;
			return ktls_io_errno(conn, errno);
		}
		ktls_data_sent(conn, n);
		return n;
	}
	buf = malloc(KTLS_MAX_PLAINTEXT);
	if (!buf)
		return -ENOMEM;
	while (done < count) {
		size_t want = count - done;

		if (want > KTLS_MAX_PLAINTEXT)
			want = KTLS_MAX_PLAINTEXT;
		n = pread(in_fd, buf, want, *offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		n = ktls_tls_write(conn, buf, (size_t)n);
		if (n <= 0) {
			if (n == 0) {
				conn->data.got_close = true;
				n = -EPIPE;
			}
			ret = (int)n;
			break;
		}
		*offset += n;
		done += (size_t)n;
		ktls_data_sent(conn, n);
		ret = 0;
	}
	free(buf);
	if (done)
		return (ssize_t)done;
	return ret;
}

int ktls_close(struct ktls_conn *conn)
{
	int ret = ktls_check_open(conn);

	if (ret < 0)
		return ret;
	if (conn->sent_close)
		return 0;
	if (conn->tx_offloaded) {
		ret = ktls_send_alert(conn->fd, KTLS_ALERT_CLOSE_NOTIFY);
		if (ret < 0) {
			conn->events = POLLOUT;
			return ktls_io_errno(conn, -ret);
		}
	} else {
		ret = ktls_tls_shutdown(conn);
		if (ret < 0)
			return ret;
		if (ret == 1)
			conn->data.got_close = true;
	}
	conn->sent_close = true;
	conn->state = KTLS_ST_CLOSED;
	/* The peer may wait for end of stream before answering. */
	(void)shutdown(conn->fd, SHUT_WR);
	return 0;
}

static uint8_t path(const struct ktls_conn *conn, bool offloaded)
{
	if (conn->state != KTLS_ST_OPEN && conn->state != KTLS_ST_CLOSED)
		return KTLS_PATH_NONE;
	return offloaded ? KTLS_PATH_KERNEL : KTLS_PATH_SOFTWARE;
}

int ktls_conn_stats(const struct ktls_conn *conn, struct ktls_conn_stats *st)
{
	struct ktls_conn_stats s = { 0 };
	size_t size;

	if (!conn || !st || st->size < sizeof(s))
		return -EINVAL;
	size = st->size;
	s.size = st->size;
	s.tx_bytes = conn->data.tx_bytes;
	s.rx_bytes = conn->data.rx_bytes;
	s.tx_records = conn->tls.tx_records;
	s.rx_records = conn->tls.rx_records;
	s.key_updates = ktls_conn_key_updates(conn);
	s.tx_path = path(conn, conn->tx_offloaded);
	s.rx_path = path(conn, conn->rx_offloaded);
	/* The kernel's records are not visible here (ktls.h). */
	if (!conn->tx_offloaded)
		s.flags |= KTLS_STATS_TX_RECORDS;
	if (!conn->rx_offloaded)
		s.flags |= KTLS_STATS_RX_RECORDS;
	/* A newer caller's struct: its fields past ours read 0. */
	memset(st, 0, size);
	memcpy(st, &s, sizeof(s));
	return 0;
}
