// SPDX-License-Identifier: MIT
/*
 * psk.c - TLS 1.3 external pre-shared keys: the client's PSK
 * (ktls_conn_set_psk()), the server's lookup through the psk_find
 * callback, wolfSSL's two PSK callbacks that serve them, and what a PSK
 * handshake's failures mean.  conn.c calls it while it sets up, fails or
 * ends a handshake; verify.c asks ktls_psk_client() to refuse any
 * certificate a PSK client is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>

#include "ktls_int.h"

#ifdef NO_PSK
#error "wolfSSL without PSK (NO_PSK): no TLS 1.3 external PSK"
#endif

/* RFC 8446 6.2: what a server sends for a binder that does not verify
 * (wolfSSL 5.7 sends illegal_parameter), and when nothing authenticates
 * the handshake. */
#define KTLS_ALERT_HANDSHAKE_FAILURE 40
#define KTLS_ALERT_DECRYPT_ERROR 51

/*
 * The cipher a PSK's hash goes with: the TLS 1.3 suite NVMe/TCP names
 * for it (TLS_AES_128_GCM_SHA256 is its mandatory one).  Both sides pick
 * the same, so that wolfSSL, which binds a PSK to one suite, finds it.
 */
static enum ktls_cipher psk_cipher(enum ktls_psk_hash hash)
{
	switch (hash) {
	case KTLS_PSK_SHA256:
		return KTLS_CIPHER_AES_128_GCM;
	case KTLS_PSK_SHA384:
		return KTLS_CIPHER_AES_256_GCM;
	default:
		return 0;
	}
}

/* wolfSSL's name of the suite for @hash, if @conn's policy allows it. */
static const char *psk_suite(const struct ktls_conn *conn,
			     enum ktls_psk_hash hash)
{
	enum ktls_cipher c = psk_cipher(hash);
	const struct ktls_cipher_desc *d = ktls_cipher_desc(c);
	unsigned int i;

	if (!d)
		return NULL;
	for (i = 0; i < conn->opts.n_ciphers; i++)
		if (conn->opts.ciphers[i] == c)
			return wolfSSL_get_cipher_name_from_suite(
				(unsigned char)(d->tls13_suite >> 8),
				(unsigned char)(d->tls13_suite & 0xff));
	return NULL;
}

bool ktls_psk_client(const struct ktls_conn *conn)
{
	return conn->role == KTLS_ROLE_CLIENT && conn->psk.identity;
}

int ktls_conn_set_psk(struct ktls_conn *conn, const char *identity,
		      const uint8_t *key, size_t len, enum ktls_psk_hash hash)
{
	size_t id_len;
	char *copy;

	if (!conn)
		return -EINVAL;
	conn->err[0] = '\0';
	if (conn->state != KTLS_ST_NEW || conn->role != KTLS_ROLE_CLIENT) {
		ktls_set_err(conn->err, "a PSK is set on a client connection, "
			     "before its handshake (servers use the psk_find "
			     "callback)");
		return -EINVAL;
	}
	id_len = identity ? strlen(identity) : 0;
	if (id_len == 0 || id_len > KTLS_PSK_IDENTITY_MAX) {
		ktls_set_err(conn->err, "a PSK identity is 1 to %d bytes",
			     KTLS_PSK_IDENTITY_MAX);
		return -EINVAL;
	}
	if (!key || len < KTLS_PSK_KEY_MIN || len > KTLS_PSK_KEY_MAX ||
	    !psk_cipher(hash)) {
		ktls_set_err(conn->err, "a PSK key is %d to %d bytes, with "
			     "SHA-256 or SHA-384", KTLS_PSK_KEY_MIN,
			     KTLS_PSK_KEY_MAX);
		return -EINVAL;
	}
	if (conn->opts.version_max < KTLS_TLS_1_3) {
		ktls_set_err(conn->err, "TLS 1.2 PSK suites are refused by "
			     "policy (RFC 4279: the identity in clear and no "
			     "forward secrecy with plain PSK); a PSK needs "
			     "TLS 1.3");
		return -EPROTONOSUPPORT;
	}
	copy = strdup(identity);
	if (!copy)
		return -ENOMEM;
	ktls_psk_release(conn);
	conn->psk.identity = copy;
	memcpy(conn->psk.key, key, len);
	conn->psk.key_len = len;
	conn->psk.hash = hash;
	return 0;
}

const char *ktls_conn_psk_identity(const struct ktls_conn *conn)
{
	return conn && conn->psk.used ? conn->psk.identity : NULL;
}

enum ktls_psk_hash ktls_conn_psk_hash(const struct ktls_conn *conn)
{
	return conn && conn->psk.used ? conn->psk.hash : 0;
}

/* wolfSSL asks a client for the PSK to offer (once per ClientHello). */
static unsigned int client_cb(WOLFSSL *ssl, const char *hint, char *identity,
			      unsigned int id_max, unsigned char *key,
			      unsigned int key_max, const char **suite)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	size_t id_len;

	(void)hint;
	if (!conn || !conn->psk.identity)
		return 0;
	id_len = strlen(conn->psk.identity);
	*suite = psk_suite(conn, conn->psk.hash);
	if (id_len >= id_max || conn->psk.key_len > key_max || !*suite)
		return 0;
	memcpy(identity, conn->psk.identity, id_len + 1);
	memcpy(key, conn->psk.key, conn->psk.key_len);
	return (unsigned int)conn->psk.key_len;
}

/*
 * wolfSSL asks a server for the key of an identity the client offered,
 * once per suite it tries; the application's psk_find answers.  wolfSSL
 * wipes @key with the rest of its handshake state.
 */
static unsigned int server_cb(WOLFSSL *ssl, const char *identity,
			      unsigned char *key, unsigned int key_max,
			      const char **suite)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	enum ktls_psk_hash hash = 0;
	size_t len = key_max < KTLS_PSK_KEY_MAX ? key_max : KTLS_PSK_KEY_MAX;
	char *copy;
	int ret;

	if (!conn || !conn->cbs.psk_find || conn->cb_err)
		return 0;
	ret = conn->cbs.psk_find(conn, identity, key, &len, &hash,
				 conn->cb_arg);
	if (ret == -ENOENT) {
		conn->psk.missed = true;
		return 0;
	}
	if (ret < 0) {
		conn->cb_err = ret;
		ktls_set_err(conn->err, "the psk_find callback refused the "
			     "handshake: %s", ktls_strerror(ret));
		goto err_wipe;
	}
	*suite = psk_suite(conn, hash);
	if (len < KTLS_PSK_KEY_MIN || len > KTLS_PSK_KEY_MAX || !*suite) {
		conn->cb_err = -EINVAL;
		ktls_set_err(conn->err, "psk_find gave a key of %zu bytes or "
			     "a hash whose cipher (AES-128-GCM for SHA-256, "
			     "AES-256-GCM for SHA-384) policy leaves out",
			     len);
		goto err_wipe;
	}
	if (!conn->psk.identity || strcmp(conn->psk.identity, identity)) {
		copy = strdup(identity);
		if (!copy) {
			conn->cb_err = -ENOMEM;
			goto err_wipe;
		}
		free(conn->psk.identity);
		conn->psk.identity = copy;
	}
	conn->psk.hash = hash;
	conn->psk.found = true;
	/* A ticket would let the client resume after the key is gone
	 * from the store: none for PSK sessions. */
	(void)wolfSSL_no_ticket_TLSv13(ssl);
	return (unsigned int)len;
err_wipe:
	conn->psk.cb_failed = true;
	explicit_bzero(key, key_max);
	return 0;
}

/*
 * Before the handshake: a client with a PSK offers it, a server with a
 * psk_find callback takes one.  Both want an (EC)DHE share beside it
 * (psk_dhe_ke only).  wolfSSL rebuilds its suites when a PSK callback is
 * set: conn.c sets its cipher list after this.
 */
int ktls_psk_setup(struct ktls_conn *conn, WOLFSSL *ssl)
{
	if (ktls_psk_client(conn)) {
		if (!psk_suite(conn, conn->psk.hash)) {
			ktls_set_err(conn->err, "a %s PSK needs %s in the "
				     "cipher list",
				     conn->psk.hash == KTLS_PSK_SHA384 ?
				     "SHA-384" : "SHA-256",
				     ktls_cipher_name(psk_cipher(
					     conn->psk.hash)));
			return -EINVAL;
		}
		wolfSSL_set_psk_client_tls13_callback(ssl, client_cb);
	} else if (conn->role == KTLS_ROLE_SERVER && conn->cbs.psk_find) {
		wolfSSL_set_psk_server_tls13_callback(ssl, server_cb);
	} else {
		return 0;
	}
	if (wolfSSL_only_dhe_psk(ssl) != 0) {
		ktls_set_err(conn->err, "wolfSSL refused psk_dhe_ke");
		return -EIO;
	}
	return 0;
}

/*
 * After a failed handshake (wolfSSL's error @err): whether the PSK was
 * the reason.  Return: 0 if not; otherwise the -errno, named in
 * conn->err.
 */
int ktls_psk_handshake_error(struct ktls_conn *conn, int err)
{
	if (ktls_psk_client(conn)) {
		if (conn->psk.cert_refused) {
			ktls_set_err(conn->err, "the server did not take PSK "
				     "identity \"%.64s\": it sent a "
				     "certificate", conn->psk.identity);
			return -ENOKEY;
		}
		if (ktls_tls_peer_alert(conn, err) &&
		    (conn->alert == KTLS_ALERT_DECRYPT_ERROR ||
		     conn->alert == KTLS_ALERT_ILLEGAL_PARAMETER)) {
			ktls_set_err(conn->err, "the server refused the PSK "
				     "(%s alert): its key for \"%.64s\" may "
				     "differ", ktls_alert_name(conn->alert),
				     conn->psk.identity);
			return -ECONNABORTED;
		}
		return 0;
	}
	if (conn->role != KTLS_ROLE_SERVER || !conn->cbs.psk_find)
		return 0;
	/* Failures before the ServerHello that wolfSSL sends no alert
	 * for: the client must not wait for one. */
	if (conn->psk.cb_failed) {
		if (!conn->tls.sent_any)
			ktls_send_plain_alert(conn->fd,
					      KTLS_ALERT_HANDSHAKE_FAILURE);
		return conn->cb_err;
	}
	if (err == BAD_BINDER) {
		ktls_set_err(conn->err, "the client's PSK binder did not "
			     "verify: its key for \"%.64s\" differs",
			     conn->psk.identity ? conn->psk.identity : "");
		return -EKEYREJECTED;
	}
	if (conn->psk.missed && !conn->psk.found &&
	    conn->ctx->n_identities == 0) {
		ktls_set_err(conn->err, "no key for the client's PSK "
			     "identity, and no certificate to fall back on");
		if (!conn->tls.sent_any)
			ktls_send_plain_alert(conn->fd,
					      KTLS_ALERT_HANDSHAKE_FAILURE);
		return -ENOKEY;
	}
	return 0;
}

/*
 * After a handshake that succeeded: note whether the PSK authenticated
 * it, and wipe the client's key.  Return: 0; -ENOKEY for a client whose
 * PSK the server did not take (it cannot get here: verify.c refuses the
 * certificate, but the check does not rely on that).
 */
int ktls_psk_done(struct ktls_conn *conn)
{
	ktls_psk_wipe_key(conn);
	if (ktls_psk_client(conn)) {
		if (conn->hs.n_peer_certs || conn->hs.resumed) {
			ktls_set_err(conn->err, "the server did not take the "
				     "PSK");
			return -ENOKEY;
		}
		conn->psk.used = true;
	} else if (conn->role == KTLS_ROLE_SERVER) {
		if (conn->cb_err)
			return conn->cb_err;
		/*
		 * psk_find gave a key, but wolfSSL takes it only with the
		 * suite it is bound to: a client that did not offer that
		 * suite gets the certificate handshake, with another
		 * cipher.  (A client without psk_dhe_ke, or with another
		 * key, fails the handshake instead.)
		 */
		conn->psk.used = conn->psk.found && !conn->hs.resumed &&
				 !conn->hs.n_peer_certs &&
				 conn->cipher == psk_cipher(conn->psk.hash);
	}
	return 0;
}

void ktls_psk_wipe_key(struct ktls_conn *conn)
{
	explicit_bzero(conn->psk.key, sizeof(conn->psk.key));
	conn->psk.key_len = 0;
}

/* Wipe the key and forget the identity (failure, ktls_conn_free()). */
void ktls_psk_release(struct ktls_conn *conn)
{
	ktls_psk_wipe_key(conn);
	free(conn->psk.identity);
	memset(&conn->psk, 0, sizeof(conn->psk));
}
