// SPDX-License-Identifier: MIT
/*
 * install.c - key install, the kernel hand-off: the TLS ULP attached
 * before the handshake, a struct tls12_crypto_info_* built from wolfSSL's
 * keys (cipher.c lays it out), setsockopt(SOL_TLS, TLS_RX/TLS_TX) (sock.c,
 * which wipes it), and which direction goes first.  rekey.c installs
 * renewed keys through ktls_install().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_int.h"

/* Why a direction is in software, into the kernel part. */
#define ktls_set_offload(conn, ...) \
	snprintf((conn)->kernel.offload, sizeof((conn)->kernel.offload), \
		 __VA_ARGS__)

/*
 * KTLS_OPT_REQUIRE_OFFLOAD, and the kernel cannot take keys on this socket
 * at all: refuse before the handshake with a fatal internal_error alert,
 * in plaintext as no key protects anything yet, rather than let the peer
 * finish a handshake and then see a bare close.  What the peer has sent
 * so far is read first: a close with it unread would reset the
 * connection, and the peer might lose the alert.
 */
static int refuse_without_ktls(struct ktls_conn *conn)
{
	const char *why = ktls_ulp_reason(conn->kernel.ulp_err);
	uint8_t buf[1024];
	int i;

	for (i = 0; i < 32; i++)
		if (recv(conn->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	ktls_send_plain_alert(conn->fd, KTLS_ALERT_INTERNAL_ERROR);
	ktls_set_offload(conn, "%s", why);
	ktls_set_err(conn->err, "kTLS is unusable (%s), and "
		     "KTLS_OPT_REQUIRE_OFFLOAD refuses TLS in software", why);
	return -EOPNOTSUPP;
}

/*
 * Attach the TLS ULP, before the handshake, while the socket is surely
 * established: the kernel refuses it (ENOTCONN) once the peer has
 * half-closed, which a client that sends its request and shuts down its
 * write side right after the handshake does.  Until keys are installed
 * the ULP passes everything through as TCP.  A failure is kept for
 * ktls_offload() to report, and the handshake goes on in software,
 * unless KTLS_OPT_REQUIRE_OFFLOAD refuses that (-EOPNOTSUPP, the peer
 * told with an alert).
 */
int ktls_kernel_attach(struct ktls_conn *conn)
{
	conn->kernel.ulp_err = conn->opts.force_software ? -ECANCELED :
			ktls_sock_attach_ulp(conn->fd);
	/* The application attached it already: fine, it is ours to use. */
	if (conn->kernel.ulp_err == -EEXIST)
		conn->kernel.ulp_err = 0;
	if (conn->kernel.ulp_err < 0 && conn->opts.require_offload)
		return refuse_without_ktls(conn);
	return 0;
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
	const uint8_t *key, *iv;
	uint8_t nonce[KTLS_NONCE_SIZE];
	uint64_t seq = 0;
	int ret;

	if (!d)
		return -EINVAL;
	ret = ktls_tls_keys(conn, own, &key, &iv, &seq);
	if (ret < 0)
		return ret;
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

/*
 * Install the current keys of direction @dir from wolfSSL.
 *
 * Return: 0; -EINVAL for an unknown cipher; -EIO when wolfSSL has no
 * keys; or the -errno of setsockopt().
 */
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
 * A direction stayed in software: fine, unless KTLS_OPT_REQUIRE_OFFLOAD
 * says it is not.  (The peer has finished its handshake by now and gets
 * no alert: wolfSSL sends a fatal one only for its own errors.)
 */
static int required(struct ktls_conn *conn)
{
	if (!conn->opts.require_offload)
		return 0;
	ktls_set_err(conn->err, "kTLS is unusable for this connection (%s), "
		     "and KTLS_OPT_REQUIRE_OFFLOAD refuses TLS in software",
		     conn->kernel.offload);
	return -EOPNOTSUPP;
}

/*
 * Hand the record layer to the kernel where it takes it.  The ULP was
 * attached before the handshake (ktls_kernel_attach()).  RX goes first:
 * if the kernel refuses it, nothing is installed and wolfSSL keeps both
 * directions; if TX is then refused, the kernel decrypts and wolfSSL
 * encrypts, which works because an unconfigured TX on the TLS ULP is
 * plain TCP.  Either failure leaves a working connection, so it is
 * reported in conn->kernel.offload, not returned, unless
 * KTLS_OPT_REQUIRE_OFFLOAD refuses software (conn.c refuses a socket the
 * ULP cannot attach to before the handshake).
 */
int ktls_offload(struct ktls_conn *conn)
{
	int ret;

	if (conn->opts.force_software) {
		ktls_set_offload(conn, "offload off by option: record layer "
			     "in software");
		return 0;
	}
	if (conn->kernel.ulp_err < 0) {
		ktls_set_offload(conn, "no kTLS (TCP_ULP \"tls\": %s): record "
			     "layer in software",
			     ktls_strerror(conn->kernel.ulp_err));
		return 0;
	}
	ret = ktls_install(conn, KTLS_DIR_RX);
	if (ret < 0) {
		ktls_set_offload(conn, "the kernel refused %s RX keys (%s): "
			     "record layer in software",
			     ktls_cipher_name(conn->cipher), ktls_strerror(ret));
		return required(conn);
	}
	conn->rx_offloaded = true;
	ret = ktls_install(conn, KTLS_DIR_TX);
	if (ret < 0) {
		ktls_set_offload(conn, "the kernel refused %s TX keys (%s): "
			     "TX in software", ktls_cipher_name(conn->cipher),
			     ktls_strerror(ret));
		return required(conn);
	}
	/*
	 * Point of no return: both directions are in the kernel.  wolfSSL's
	 * record state is stale from here on; a TLS 1.2 connection needs it
	 * no more.  TLS 1.3 keeps it for post-handshake messages (tickets,
	 * KeyUpdate) unless KTLS_OPT_POST_HANDSHAKE says not to.
	 */
	conn->tx_offloaded = true;
	if (conn->version == KTLS_TLS_1_2 || !conn->opts.post_handshake)
		ktls_tls_drop(conn);
	return 0;
}

const char *ktls_conn_offload_reason(const struct ktls_conn *conn)
{
	return conn ? conn->kernel.offload : "no connection";
}
