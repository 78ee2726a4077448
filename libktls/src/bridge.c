// SPDX-License-Identifier: MIT
/*
 * bridge.c - the wolfSSL bridge, the bottom of the record layer: the
 * WOLFSSL object of a connection, the I/O callbacks through which wolfSSL
 * reads and writes the socket, records libktls hands wolfSSL itself (a
 * post-handshake message the kernel decrypted, sealed again by post.c),
 * what wolfSSL writes swallowed while its keys are in the kernel, and
 * wolfSSL's errors mapped to -errno.
 *
 * Nothing here calls up: the layers above (install.c, post.c, rekey.c,
 * record.c, conn.c) call in.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "ktls_int.h"

/* What the recv callback tells wolfSSL when recv() returned @n <= 0. */
static int io_recv_failed(struct ktls_conn *conn, ssize_t n)
{
	if (n == 0) {
		conn->tls.io_eof = true;
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	}
	switch (errno) {
	case EAGAIN:
		conn->events = POLLIN;
		return WOLFSSL_CBIO_ERR_WANT_READ;
	case EINTR:
		return WOLFSSL_CBIO_ERR_ISR;
	case ECONNRESET:
		conn->tls.io_err = -ECONNRESET;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	default:
		conn->tls.io_err = -errno;
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
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
	const uint8_t *h = conn->tls.rec_hdr;
	size_t len = (size_t)h[3] << 8 | h[4];
	size_t limit = KTLS_MAX_PLAINTEXT;

	if (conn->role == KTLS_ROLE_SERVER && !conn->tls.rec_seen &&
	    (h[0] & 0x80) && h[2] == 1) {
		ktls_send_plain_alert(conn->fd, KTLS_ALERT_PROTOCOL_VERSION);
		ktls_set_err(conn->err, "the peer sent an SSL 2.0 "
			     "ClientHello; SSL 2.0 is refused");
		conn->tls.io_err = -EPROTO;
		return -EPROTO;
	}
	conn->tls.rec_seen = true;
	if (conn->state == KTLS_ST_OPEN || conn->state == KTLS_ST_CLOSED)
		conn->tls.rx_records++;
	if (h[0] == KTLS_CT_CCS)
		conn->tls.rec_ccs_seen = true;
	if (h[0] == KTLS_CT_APPDATA || conn->tls.rec_ccs_seen)
		limit = KTLS_MAX_PLAINTEXT + 256;
	if (len > limit)
		conn->tls.rec_hdr[3] = conn->tls.rec_hdr[4] = 0xff;
	conn->tls.rec_body_left = len;
	return 0;
}

/*
 * wolfSSL's recv callback.  It never reads past the end of the record
 * wolfSSL is reading: first the 5-byte header, whole, then exactly the
 * body the header announced.  So when the handshake ends, every byte the
 * peer sent after it is still in the socket for the kernel to decrypt.
 */
static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct ktls_conn *conn = arg;
	size_t want;
	ssize_t n;

	(void)ssl;
	if (sz <= 0)
		return WOLFSSL_CBIO_ERR_GENERAL;
	if (conn->tls.feeding) {
		want = conn->tls.feed_len - conn->tls.feed_off;
		if (want == 0)
			return WOLFSSL_CBIO_ERR_WANT_READ;
		if (want > (size_t)sz)
			want = (size_t)sz;
		memcpy(buf, conn->tls.feed + conn->tls.feed_off, want);
		conn->tls.feed_off += want;
		return (int)want;
	}
	while (conn->tls.rec_hdr_have < KTLS_RECORD_HDR) {
		n = recv(conn->fd, conn->tls.rec_hdr + conn->tls.rec_hdr_have,
			 KTLS_RECORD_HDR - conn->tls.rec_hdr_have, 0);
		if (n <= 0)
			return io_recv_failed(conn, n);
		conn->tls.rec_hdr_have += (size_t)n;
		if (conn->tls.rec_hdr_have == KTLS_RECORD_HDR &&
		    check_header(conn) < 0)
			return WOLFSSL_CBIO_ERR_GENERAL;
	}
	if (conn->tls.rec_hdr_given < KTLS_RECORD_HDR) {
		want = KTLS_RECORD_HDR - conn->tls.rec_hdr_given;
		if (want > (size_t)sz)
			want = (size_t)sz;
		memcpy(buf, conn->tls.rec_hdr + conn->tls.rec_hdr_given, want);
		conn->tls.rec_hdr_given += want;
		n = (ssize_t)want;
	} else {
		want = conn->tls.rec_body_left;
		if (want > (size_t)sz)
			want = (size_t)sz;
		n = recv(conn->fd, buf, want, 0);
		if (n <= 0)
			return io_recv_failed(conn, n);
		conn->tls.rec_body_left -= (size_t)n;
	}
	if (conn->tls.rec_hdr_given == KTLS_RECORD_HDR &&
	    !conn->tls.rec_body_left)
		conn->tls.rec_hdr_have = conn->tls.rec_hdr_given = 0;
	return (int)n;
}

/*
 * Count the records in @n bytes wolfSSL sent, by their headers; only
 * those after the handshake (ktls_conn_stats()).
 */
static void count_sent(struct ktls_conn *conn, const uint8_t *p, size_t n)
{
	struct ktls_conn_tls *t = &conn->tls;
	size_t take;

	while (n) {
		if (t->tx_body_left) {
			take = n < t->tx_body_left ? n : t->tx_body_left;
			t->tx_body_left -= take;
			p += take;
			n -= take;
			continue;
		}
		t->tx_hdr[t->tx_hdr_have++] = *p++;
		n--;
		if (t->tx_hdr_have < KTLS_RECORD_HDR)
			continue;
		t->tx_body_left = (size_t)t->tx_hdr[3] << 8 | t->tx_hdr[4];
		t->tx_hdr_have = 0;
		if (conn->state == KTLS_ST_OPEN || conn->state == KTLS_ST_CLOSED)
			t->tx_records++;
	}
}

/*
 * wolfSSL's send callback.  Once TX is in the kernel, anything wolfSSL
 * encrypts would be encrypted twice, so it is refused.
 */
static int io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct ktls_conn *conn = arg;
	ssize_t n;

	(void)ssl;
	if (conn->tls.capturing && conn->tx_offloaded) {
		conn->tls.captured += (size_t)sz;
		return sz;
	}
	/* After our close_notify nothing more may be sent; wolfSSL may still
	 * want to answer a KeyUpdate the peer sent meanwhile. */
	if (conn->sent_close)
		return sz;
	if (conn->tx_offloaded)
		return WOLFSSL_CBIO_ERR_GENERAL;
	n = send(conn->fd, buf, (size_t)sz, MSG_NOSIGNAL);
	if (n > 0) {
		conn->tls.sent_any = true;
		count_sent(conn, (const uint8_t *)buf, (size_t)n);
	}
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
		conn->tls.io_err = -errno;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	default:
		conn->tls.io_err = -errno;
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
}

/*
 * Make @ssl the connection's, with its I/O through the callbacks above.
 * From here on the bridge owns it: ktls_tls_drop() frees it.
 */
void ktls_tls_attach(struct ktls_conn *conn, WOLFSSL *ssl)
{
	conn->tls.ssl = ssl;
	wolfSSL_set_app_data(ssl, conn);
	wolfSSL_SSLSetIORecv(ssl, io_recv);
	wolfSSL_SSLSetIOSend(ssl, io_send);
	wolfSSL_SetIOReadCtx(ssl, conn);
	wolfSSL_SetIOWriteCtx(ssl, conn);
}

/* The connection's WOLFSSL, for the handshake (conn.c, resume.c); NULL
 * once dropped. */
WOLFSSL *ktls_tls_ssl(const struct ktls_conn *conn)
{
	return conn->tls.ssl;
}

/* Whether the connection still has wolfSSL's state. */
bool ktls_tls_active(const struct ktls_conn *conn)
{
	return conn->tls.ssl != NULL;
}

/* Drop wolfSSL's state for the connection; wolfSSL wipes its keys. */
void ktls_tls_drop(struct ktls_conn *conn)
{
	if (conn->tls.ssl) {
		wolfSSL_free(conn->tls.ssl);
		conn->tls.ssl = NULL;
	}
}

/*
 * Whether wolfSSL's error @err is a fatal alert from the peer; if so the
 * alert is recorded and named in conn->err.
 */
bool ktls_tls_peer_alert(struct ktls_conn *conn, int err)
{
	WOLFSSL_ALERT_HISTORY h;

	if (err != FATAL_ERROR ||
	    wolfSSL_get_alert_history(conn->tls.ssl, &h) != WOLFSSL_SUCCESS ||
	    h.last_rx.level != 2)
		return false;
	conn->alert = h.last_rx.code;
	ktls_set_err(conn->err, "the peer sent a fatal alert: %s (%d)",
		     ktls_alert_name(conn->alert), conn->alert);
	return true;
}

/* Whether wolfSSL's @err means "wait", with conn->events set for it. */
bool ktls_tls_would_block(struct ktls_conn *conn, int err)
{
	switch (err) {
	case WOLFSSL_ERROR_WANT_READ:
		conn->events = POLLIN;
		return true;
	case WOLFSSL_ERROR_WANT_WRITE:
		conn->events = POLLOUT;
		return true;
	default:
		return false;
	}
}

/*
 * Map a wolfSSL_read()/write()/shutdown() failure: 0 when it was the
 * peer's close_notify, else -errno.
 */
static int sw_error(struct ktls_conn *conn, int ret)
{
	int err = wolfSSL_get_error(conn->tls.ssl, ret);

	if (ktls_tls_would_block(conn, err))
		return -EAGAIN;
	if (err == WOLFSSL_ERROR_ZERO_RETURN) {
		/* close_notify, as the kernel path says */
		conn->alert = 0;
		return 0;
	}
	if (ktls_tls_peer_alert(conn, err))
		return -ECONNABORTED;
	if (conn->tls.io_eof || conn->tls.io_err == -ECONNRESET ||
	    conn->tls.io_err == -EPIPE || err == SOCKET_PEER_CLOSED_E) {
		ktls_set_err(conn->err, "the connection ended without "
			     "close_notify");
		return -ECONNRESET;
	}
	if (conn->tls.io_err)
		return conn->tls.io_err;
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

/*
 * Map a failed wolfSSL_connect()/accept() (wolfSSL's error @err) that is
 * neither "wait" nor a verdict on the peer's certificate: the peer's
 * alert, the peer gone, a socket error, or wolfSSL's own failure.
 */
int ktls_tls_handshake_error(struct ktls_conn *conn, int err)
{
	char buf[WOLFSSL_MAX_ERROR_SZ];

	if (ktls_tls_peer_alert(conn, err))
		return -ECONNABORTED;
	if (conn->tls.io_eof || conn->tls.io_err == -ECONNRESET ||
	    conn->tls.io_err == -EPIPE || err == SOCKET_PEER_CLOSED_E) {
		ktls_set_err(conn->err, "the peer closed the connection during "
			     "the handshake");
		return -ECONNRESET;
	}
	if (conn->tls.io_err) {
		/* The recv callback said why (an SSL 2.0 hello). */
		if (!conn->err[0])
			ktls_set_err(conn->err, "socket error during the "
				     "handshake: %s",
				     ktls_strerror(conn->tls.io_err));
		return conn->tls.io_err;
	}
	/*
	 * Failures wolfSSL sends no alert for, all before any key protects
	 * what we send, so the alert is plaintext: a key share that is not a
	 * point of its group (RFC 8446 4.2.8.2, RFC 8422 5.11), and a
	 * ClientHello over wolfSSL's handshake message limit (about 18 KiB),
	 * answered as OpenSSL answers an excessive message size.
	 */
	if (err == ECC_PEERKEY_ERROR || err == ECC_OUT_OF_RANGE_E ||
	    err == ECC_INF_E ||
	    (err == HANDSHAKE_SIZE_ERROR && !conn->tls.sent_any))
		ktls_send_plain_alert(conn->fd, KTLS_ALERT_ILLEGAL_PARAMETER);
	wolfSSL_ERR_error_string_n((unsigned long)err, buf, sizeof(buf));
	ktls_set_err(conn->err, "handshake failed: %s (wolfSSL error %d)",
		     buf, err);
	if (err == MEMORY_E)
		return -ENOMEM;
	return -EPROTO;
}

/*
 * Read application data through wolfSSL (RX in software).
 *
 * Return: bytes read; 0 when the peer's close_notify came; -errno.
 */
ssize_t ktls_tls_read(struct ktls_conn *conn, void *buf, size_t len)
{
	int ret;

	if (len > INT_MAX)
		len = INT_MAX;
	ret = wolfSSL_read(conn->tls.ssl, buf, (int)len);
	if (ret > 0)
		return ret;
	return sw_error(conn, ret);
}

/*
 * Write application data through wolfSSL (TX in software).
 *
 * Return: bytes written; 0 when the peer's close_notify came instead;
 * -errno.
 */
ssize_t ktls_tls_write(struct ktls_conn *conn, const void *buf, size_t len)
{
	int ret;

	if (len > INT_MAX)
		len = INT_MAX;
	ret = wolfSSL_write(conn->tls.ssl, buf, (int)len);
	if (ret > 0)
		return ret;
	return sw_error(conn, ret);
}

/*
 * Send close_notify through wolfSSL (TX in software).
 *
 * Return: 0 when it went (or is on its way); 1 when the peer's
 * close_notify came meanwhile; -errno.
 */
int ktls_tls_shutdown(struct ktls_conn *conn)
{
	int ret = wolfSSL_shutdown(conn->tls.ssl);

	if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE)
		return 0;
	ret = sw_error(conn, ret);
	return ret == 0 ? 1 : ret;
}

/* Bytes wolfSSL holds decrypted and not yet read. */
/* Decrypted bytes wolfSSL holds that the next read returns at once. */
size_t ktls_tls_pending(const struct ktls_conn *conn)
{
	int n = conn->tls.ssl ? wolfSSL_pending(conn->tls.ssl) : 0;

	return n > 0 ? (size_t)n : 0;
}

/*
 * The traffic key and IV of one direction, @own for what we send, else
 * what the peer sends, and wolfSSL's sequence number for it.  *@key and
 * *@iv point into wolfSSL's state: the caller copies and wipes what it
 * copies.
 *
 * Return: 0, or -EIO when wolfSSL has none.
 */
int ktls_tls_keys(struct ktls_conn *conn, bool own, const uint8_t **key,
		  const uint8_t **iv, uint64_t *seq)
{
	bool client_keys = (conn->role == KTLS_ROLE_CLIENT) == own;
	word64 s = 0;
	int ret;

	if (!conn->tls.ssl)
		return -EIO;
	*key = client_keys ? wolfSSL_GetClientWriteKey(conn->tls.ssl) :
			     wolfSSL_GetServerWriteKey(conn->tls.ssl);
	*iv = client_keys ? wolfSSL_GetClientWriteIV(conn->tls.ssl) :
			    wolfSSL_GetServerWriteIV(conn->tls.ssl);
	/* Its return value is !seq or BAD_FUNC_ARG, not a status: only a
	 * negative one is a failure. */
	ret = own ? wolfSSL_GetSequenceNumber(conn->tls.ssl, &s) :
		    wolfSSL_GetPeerSequenceNumber(conn->tls.ssl, &s);
	*seq = s;
	if (!*key || !*iv || ret < 0)
		return -EIO;
	return 0;
}

/* wolfSSL's sequence number for what we send (TX in software). */
uint64_t ktls_tls_tx_seq(struct ktls_conn *conn)
{
	word64 seq = 0;

	/* Returns !seq, not a status. */
	(void)wolfSSL_GetSequenceNumber(conn->tls.ssl, &seq);
	return seq;
}

/*
 * Give wolfSSL the record @rec (@len bytes, built by post.c) as the next
 * one it reads, and let it act on it.  What wolfSSL sends meanwhile (its
 * answer to a KeyUpdate) is swallowed while TX is in the kernel: it would
 * be sealed with keys the kernel has.  ktls_tls_captured() says how much.
 * @rec stays the caller's; nothing points to it after the call.
 *
 * Return: 0; -EIO if wolfSSL did not take the record.
 */
int ktls_tls_feed(struct ktls_conn *conn, const uint8_t *rec, size_t len)
{
	uint8_t scratch[64];
	int ret;

	if (!conn->tls.ssl)
		return -EIO;
	conn->tls.feed = rec;
	conn->tls.feed_len = len;
	conn->tls.feed_off = 0;
	conn->tls.feeding = true;
	conn->tls.capturing = true;
	conn->tls.captured = 0;
	/* wolfSSL reads the record, acts on it and then wants more:
	 * WANT_READ is success here. */
	ret = wolfSSL_read(conn->tls.ssl, scratch, sizeof(scratch));
	ret = ret <= 0 && wolfSSL_get_error(conn->tls.ssl, ret) ==
	      WOLFSSL_ERROR_WANT_READ ? 0 : -EIO;
	conn->tls.feeding = false;
	conn->tls.capturing = false;
	conn->tls.feed = NULL;
	conn->tls.feed_len = conn->tls.feed_off = 0;
	explicit_bzero(scratch, sizeof(scratch));
	return ret;
}

/* Bytes wolfSSL sent, and the bridge swallowed, in the last feed or
 * capturing key update. */
size_t ktls_tls_captured(const struct ktls_conn *conn)
{
	return conn->tls.captured;
}

/*
 * Have wolfSSL renew its TX keys (TLS 1.3 KeyUpdate).  With @capture, what
 * it sends is swallowed (TX in the kernel: the caller sends the KeyUpdate
 * itself) and must be there; without, wolfSSL sends it.
 *
 * Return: 0; -EIO when wolfSSL made no KeyUpdate (conn->err says so).
 */
int ktls_tls_update_keys(struct ktls_conn *conn, bool capture)
{
	int ret;

	if (!capture) {
		ret = wolfSSL_update_keys(conn->tls.ssl);
		if (ret != WOLFSSL_SUCCESS &&
		    ret != WOLFSSL_ERROR_WANT_WRITE) {
			ktls_set_err(conn->err, "wolfSSL could not send a "
				     "KeyUpdate (%d)", ret);
			return -EIO;
		}
		return 0;
	}
	conn->tls.capturing = true;
	conn->tls.captured = 0;
	ret = wolfSSL_update_keys(conn->tls.ssl);
	conn->tls.capturing = false;
	if (ret != WOLFSSL_SUCCESS || !conn->tls.captured) {
		ktls_set_err(conn->err, "wolfSSL did not make a KeyUpdate "
			     "(%d)", ret);
		return -EIO;
	}
	return 0;
}
