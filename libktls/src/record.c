// SPDX-License-Identifier: MIT
/*
 * record.c - the record layer after the handshake: wolfSSL's I/O
 * callbacks, handing the keys to the kernel, and send/recv/sendfile/close
 * on a connection whose records the kernel or wolfSSL protects.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "ktls_int.h"

/* What the recv callback tells wolfSSL when recv() returned @n <= 0. */
static int io_recv_failed(struct ktls_conn *conn, ssize_t n)
{
	if (n == 0) {
		conn->io_eof = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	switch (errno) {
	case EAGAIN:
		conn->events = POLLIN;
		return WOLFSSL_CBIO_ERR_WANT_READ;
	case EINTR:
		return WOLFSSL_CBIO_ERR_ISR;
	case ECONNRESET:
		conn->io_err = -ECONNRESET;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	default:
		conn->io_err = -errno;
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
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

/*
 * Check a whole record header before wolfSSL sees it.  Records longer than
 * the RFCs allow (RFC 8446 5.1 and 5.2; every suite we allow is an AEAD,
 * so a TLS 1.2 record is never longer than a TLS 1.3 one) get their length
 * raised past what any wolfSSL build takes: wolfSSL then answers with its
 * own record_overflow alert, encrypted when it should be, whatever its
 * build's own (looser) limit.  A plaintext record may carry at most 2^14
 * bytes: until the peer's ChangeCipherSpec, only application data records
 * are encrypted.  An SSL 2.0 ClientHello (RFC 5246 E.2, RFC 8446 D.5) gets
 * protocol_version here: wolfSSL would read it as a 5-byte header and wait
 * for a body that never comes.
 */
static int check_header(struct ktls_conn *conn)
{
	const uint8_t *h = conn->rec_hdr;
	size_t len = (size_t)h[3] << 8 | h[4];
	size_t limit = KTLS_MAX_PLAINTEXT;

	if (conn->role == KTLS_ROLE_SERVER && !conn->rec_seen &&
	    (h[0] & 0x80) && h[2] == 1) {
		ktls_send_plain_alert(conn->fd, KTLS_ALERT_PROTOCOL_VERSION);
		ktls_set_err(conn->err, "the peer sent an SSL 2.0 "
			     "ClientHello; SSL 2.0 is refused");
		conn->io_err = -EPROTO;
		return -EPROTO;
	}
	conn->rec_seen = true;
	if (h[0] == KTLS_CT_CCS)
		conn->rec_ccs_seen = true;
	if (h[0] == KTLS_CT_APPDATA || conn->rec_ccs_seen)
		limit = KTLS_MAX_PLAINTEXT + 256;
	if (len > limit)
		conn->rec_hdr[3] = conn->rec_hdr[4] = 0xff;
	conn->rec_body_left = len;
	return 0;
}

/*
 * wolfSSL's recv callback.  It never reads past the end of the record
 * wolfSSL is reading: first the 5-byte header, whole, then exactly the
 * body the header announced.  So when the handshake ends, every byte the
 * peer sent after it is still in the socket for the kernel to decrypt.
 */
int ktls_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct ktls_conn *conn = arg;
	size_t want;
	ssize_t n;

	(void)ssl;
	if (sz <= 0)
		return WOLFSSL_CBIO_ERR_GENERAL;
	if (conn->feeding) {
		want = conn->feed_len - conn->feed_off;
		if (want == 0)
			return WOLFSSL_CBIO_ERR_WANT_READ;
		if (want > (size_t)sz)
			want = (size_t)sz;
		memcpy(buf, conn->feed + conn->feed_off, want);
		conn->feed_off += want;
		return (int)want;
	}
	while (conn->rec_hdr_have < KTLS_RECORD_HDR) {
		n = recv(conn->fd, conn->rec_hdr + conn->rec_hdr_have,
			 KTLS_RECORD_HDR - conn->rec_hdr_have, 0);
		if (n <= 0)
			return io_recv_failed(conn, n);
		conn->rec_hdr_have += (size_t)n;
		if (conn->rec_hdr_have == KTLS_RECORD_HDR &&
		    check_header(conn) < 0)
			return WOLFSSL_CBIO_ERR_GENERAL;
	}
	if (conn->rec_hdr_given < KTLS_RECORD_HDR) {
		want = KTLS_RECORD_HDR - conn->rec_hdr_given;
		if (want > (size_t)sz)
			want = (size_t)sz;
		memcpy(buf, conn->rec_hdr + conn->rec_hdr_given, want);
		conn->rec_hdr_given += want;
		n = (ssize_t)want;
	} else {
		want = conn->rec_body_left;
		if (want > (size_t)sz)
			want = (size_t)sz;
		n = recv(conn->fd, buf, want, 0);
		if (n <= 0)
			return io_recv_failed(conn, n);
		conn->rec_body_left -= (size_t)n;
	}
	if (conn->rec_hdr_given == KTLS_RECORD_HDR && !conn->rec_body_left)
		conn->rec_hdr_have = conn->rec_hdr_given = 0;
	return (int)n;
}

/*
 * wolfSSL's send callback.  Once TX is in the kernel, anything wolfSSL
 * encrypts would be encrypted twice, so it is refused.
 */
int ktls_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct ktls_conn *conn = arg;
	ssize_t n;

	(void)ssl;
	if (conn->capturing && conn->tx_offloaded) {
		conn->captured += (size_t)sz;
		return sz;
	}
	/* After our close_notify nothing more may be sent; wolfSSL may still
	 * want to answer a KeyUpdate the peer sent meanwhile. */
	if (conn->sent_close)
		return sz;
	if (conn->tx_offloaded)
		return WOLFSSL_CBIO_ERR_GENERAL;
	n = send(conn->fd, buf, (size_t)sz, MSG_NOSIGNAL);
	if (n > 0)
		conn->sent_any = true;
	if (n >= 0)
		return (int)n;
	switch (errno) {
	case EAGAIN:
		conn->events = POLLOUT;
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	case EINTR:
		return WOLFSSL_CBIO_ERR_ISR;
	case EPIPE:
	case ECONNRESET:
		conn->io_err = -errno;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	default:
		conn->io_err = -errno;
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * Fill @ci with the keys of one direction: @own for what we send, else
 * what the peer sends.  For TLS 1.2 AES-GCM/CCM wolfSSL keeps only the
 * 4-byte implicit IV; the explicit nonce is ours to choose and the kernel
 * increments it per record, so it starts at the sequence number, as
 * wolfSSL's own records do.
 */
static int export_keys(struct ktls_conn *conn, bool own,
		       union ktls_crypto_info *ci, size_t *len)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(conn->cipher);
	bool client_keys = (conn->role == KTLS_ROLE_CLIENT) == own;
	const uint8_t *key, *iv;
	uint8_t nonce[KTLS_NONCE_SIZE];
	word64 seq = 0;
	int ret;

	if (!d)
		return -EINVAL;
	key = client_keys ? wolfSSL_GetClientWriteKey(conn->ssl) :
			    wolfSSL_GetServerWriteKey(conn->ssl);
	iv = client_keys ? wolfSSL_GetClientWriteIV(conn->ssl) :
			   wolfSSL_GetServerWriteIV(conn->ssl);
	ret = own ? wolfSSL_GetSequenceNumber(conn->ssl, &seq) :
		    wolfSSL_GetPeerSequenceNumber(conn->ssl, &seq);
	if (!key || !iv || ret < 0)
		return -EIO;
	if (conn->version == KTLS_TLS_1_2 && d->tls12_explicit_nonce) {
		memcpy(nonce, iv, d->salt_size);
		put_be64(nonce + d->salt_size, seq);
	} else {
		memcpy(nonce, iv, sizeof(nonce));
	}
	ret = ktls_crypto_info_fill(ci, len, conn->version, conn->cipher, key,
				    d->key_size, nonce, sizeof(nonce), seq);
	explicit_bzero(nonce, sizeof(nonce));
	return ret;
}

#define ktls_set_offload(conn, ...) \
	snprintf((conn)->offload, sizeof((conn)->offload), __VA_ARGS__)

int ktls_install(struct ktls_conn *conn, enum ktls_dir dir)
{
	union ktls_crypto_info ci;
	size_t len = 0;
	int ret;

	ret = export_keys(conn, dir == KTLS_DIR_TX, &ci, &len);
	if (ret < 0) {
		ktls_crypto_info_wipe(&ci);
		return ret;
	}
	/* ktls_sock_set_crypto() wipes ci on every path. */
	return ktls_sock_set_crypto(conn->fd, dir, &ci, len);
}

/*
 * Hand the record layer to the kernel where it takes it.  The ULP was
 * attached before the handshake (conn.c), while the socket was surely
 * established: the kernel refuses it (ENOTCONN) once the peer has
 * half-closed, which a client that sends its request and shuts down its
 * write side right after the handshake does.  RX goes first:
 * if the kernel refuses it, nothing is installed and wolfSSL keeps both
 * directions; if TX is then refused, the kernel decrypts and wolfSSL
 * encrypts, which works because an unconfigured TX on the TLS ULP is
 * plain TCP.  Either failure leaves a working connection, so it is
 * reported in conn->err, not returned.
 */
int ktls_offload(struct ktls_conn *conn)
{
	int ret;

	if (conn->opts.force_software) {
		ktls_set_offload(conn, "offload off by option: record layer "
			     "in software");
		return 0;
	}
	if (conn->ulp_err < 0) {
		ktls_set_offload(conn, "no kTLS (TCP_ULP \"tls\": %s): record "
			     "layer in software", ktls_strerror(conn->ulp_err));
		return 0;
	}
	ret = ktls_install(conn, KTLS_DIR_RX);
	if (ret < 0) {
		ktls_set_offload(conn, "the kernel refused %s RX keys (%s): "
			     "record layer in software",
			     ktls_cipher_name(conn->cipher), ktls_strerror(ret));
		return 0;
	}
	conn->rx_offloaded = true;
	ret = ktls_install(conn, KTLS_DIR_TX);
	if (ret < 0) {
		ktls_set_offload(conn, "the kernel refused %s TX keys (%s): "
			     "TX in software", ktls_cipher_name(conn->cipher),
			     ktls_strerror(ret));
		return 0;
	}
	/*
	 * Point of no return: both directions are in the kernel.  wolfSSL's
	 * record state is stale from here on; a TLS 1.2 connection needs it
	 * no more.  TLS 1.3 keeps it for post-handshake messages (tickets,
	 * KeyUpdate) unless KTLS_OPT_POST_HANDSHAKE says not to.
	 */
	conn->tx_offloaded = true;
	if (conn->version == KTLS_TLS_1_2 || !conn->opts.post_handshake)
		ktls_conn_drop_ssl(conn);
	return 0;
}

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
	if (!conn->tx_offloaded || conn->sent_close || conn->alert_sent)
		return err;
	conn->alert_sent = true;
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

/* Map a wolfSSL_read()/write() failure. */
static int sw_error(struct ktls_conn *conn, int ret)
{
	int err = wolfSSL_get_error(conn->ssl, ret);

	if (ktls_conn_would_block(conn, err))
		return -EAGAIN;
	if (err == WOLFSSL_ERROR_ZERO_RETURN) {
		conn->got_close = true;
		conn->alert = 0;	/* close_notify, as the kernel path says */
		return 0;
	}
	if (ktls_conn_peer_alert(conn, err))
		return -ECONNABORTED;
	if (conn->io_eof || conn->io_err == -ECONNRESET ||
	    conn->io_err == -EPIPE || err == SOCKET_PEER_CLOSED_E) {
		ktls_set_err(conn->err, "the connection ended without "
			     "close_notify");
		return -ECONNRESET;
	}
	if (conn->io_err)
		return conn->io_err;
	switch (err) {
	case VERIFY_MAC_ERROR:
	case DECRYPT_ERROR:
	case AES_GCM_AUTH_E:
	case AES_CCM_AUTH_E:
	case MAC_CMP_FAILED_E:
		ktls_set_err(conn->err, "a record failed authentication");
		return -EBADMSG;
	case LENGTH_ERROR:
		ktls_set_err(conn->err, "a record longer than TLS allows");
		return -EMSGSIZE;
	default:
		break;
	}
	ktls_set_err(conn->err, "wolfSSL error %d", err);
	return -EPROTO;
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
		return n;
	}
	if (len > INT_MAX)
		len = INT_MAX;
	ret = wolfSSL_write(conn->ssl, buf, (int)len);
	if (ret > 0)
		return ret;
	ret = sw_error(conn, ret);
	return ret == 0 ? -EPIPE : ret;
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

/*
 * ktls_recv() with RX in the kernel.  Small buffers read through conn->rbuf
 * so that a whole record (and any control record) always fits.
 */
static ssize_t recv_kernel(struct ktls_conn *conn, void *buf, size_t len)
{
	for (;;) {
		uint8_t *dst;
		size_t room;
		uint8_t type = KTLS_CT_APPDATA;
		bool more;
		ssize_t n;

		if (conn->rbuf_len) {
			n = (ssize_t)(len < conn->rbuf_len ? len :
				      conn->rbuf_len);
			memcpy(buf, conn->rbuf + conn->rbuf_off, (size_t)n);
			conn->rbuf_off += (size_t)n;
			conn->rbuf_len -= (size_t)n;
			return n;
		}
		if (len >= KTLS_MAX_PLAINTEXT) {
			dst = buf;
			room = len;
		} else {
			if (!conn->rbuf) {
				conn->rbuf = malloc(KTLS_MAX_RECORD_BODY);
				if (!conn->rbuf)
					return -ENOMEM;
			}
			dst = conn->rbuf;
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
		conn->rbuf_off = 0;
		conn->rbuf_len = (size_t)n;
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
		return n;
	case KTLS_CT_ALERT:
		if (n != 2) {
			ktls_set_err(conn->err, "malformed alert");
			return fatal(conn, KTLS_ALERT_DECODE_ERROR, -EPROTO);
		}
		conn->alert = dst[1];
		if (dst[1] == 0) {
			conn->got_close = true;
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
	int ret = ktls_check_open(conn);

	if (ret < 0)
		return ret;
	if (conn->got_close)
		return 0;
	if (len == 0)
		return 0;
	if (conn->rx_offloaded)
		return recv_kernel(conn, buf, len);
	if (len > INT_MAX)
		len = INT_MAX;
	ret = wolfSSL_read(conn->ssl, buf, (int)len);
	if (ret > 0)
		return ret;
	return sw_error(conn, ret);
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
		ret = wolfSSL_write(conn->ssl, buf, (int)n);
		if (ret <= 0) {
			ret = sw_error(conn, ret);
			if (ret == 0)
				ret = -EPIPE;
			break;
		}
		*offset += ret;
		done += (size_t)ret;
		ret = 0;
	}
	free(buf);
	if (done)
		return (ssize_t)done;
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
		ret = wolfSSL_shutdown(conn->ssl);
		if (ret != WOLFSSL_SUCCESS && ret != WOLFSSL_SHUTDOWN_NOT_DONE) {
			ret = sw_error(conn, ret);
			if (ret < 0)
				return ret;
		}
	}
	conn->sent_close = true;
	conn->state = KTLS_ST_CLOSED;
	/* The peer may wait for end of stream before answering. */
	(void)shutdown(conn->fd, SHUT_WR);
	return 0;
}
