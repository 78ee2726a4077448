// SPDX-License-Identifier: MIT
/*
 * conn.c - connections: options, the handshake on wolfSSL (verify.c gives
 * the verdict on the peer, install.c hands the keys to the kernel), and
 * what was negotiated.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "ktls_int.h"

/* Serialises the lazy load of the system CAs into a shared context. */
static pthread_mutex_t ca_lock = PTHREAD_MUTEX_INITIALIZER;

struct ktls_conn *ktls_conn_new(struct ktls_ctx *ctx, int fd,
				enum ktls_role role)
{
	struct ktls_conn *conn;

	if (!ctx || fd < 0 ||
	    (role != KTLS_ROLE_CLIENT && role != KTLS_ROLE_SERVER))
		return NULL;
	conn = calloc(1, sizeof(*conn));
	if (!conn)
		return NULL;
	conn->ctx = ctx;
	conn->fd = fd;
	conn->role = role;
	conn->opts = ctx->opts;
	conn->cbs = ctx->cbs;
	conn->cb_arg = ctx->cb_arg;
	conn->alert = -1;
	conn->events = POLLIN;
	return conn;
}

static void free_peer_certs(struct ktls_conn *conn)
{
	unsigned int i;

	for (i = 0; i < conn->hs.n_peer_certs; i++)
		free(conn->hs.peer_certs[i].der);
	free(conn->hs.peer_certs);
	conn->hs.peer_certs = NULL;
	conn->hs.n_peer_certs = 0;
}

void ktls_conn_free(struct ktls_conn *conn)
{
	if (!conn)
		return;
	ktls_tls_drop(conn);
	ktls_daemon_end(conn);
	free_peer_certs(conn);
	ktls_resume_release(conn);
	ktls_psk_release(conn);
	ktls_identity_release(conn);
	free(conn->peer_id);
	free(conn->peer_name);
	ktls_data_release(conn);
	explicit_bzero(conn, sizeof(*conn));
	free(conn);
}

const char *ktls_conn_errstr(const struct ktls_conn *conn)
{
	return conn ? conn->err : "no connection";
}

int ktls_conn_fd(const struct ktls_conn *conn)
{
	return conn ? conn->fd : -EINVAL;
}

int ktls_conn_wait_fd(const struct ktls_conn *conn)
{
	int fd;

	if (!conn)
		return -EINVAL;
	fd = ktls_daemon_wait_fd(conn);
	return fd >= 0 ? fd : conn->fd;
}

short ktls_conn_events(const struct ktls_conn *conn)
{
	return conn ? conn->events : POLLIN;
}

static int before_handshake(struct ktls_conn *conn)
{
	if (!conn)
		return -EINVAL;
	conn->err[0] = '\0';
	if (conn->state != KTLS_ST_NEW) {
		ktls_set_err(conn->err, "options must be set before the "
			     "handshake");
		return -EINVAL;
	}
	return 0;
}

int ktls_conn_set_opt(struct ktls_conn *conn, enum ktls_opt opt, long value)
{
	int ret = before_handshake(conn);

	if (ret < 0)
		return ret;
	return ktls_policy_set_opt(&conn->opts, opt, value, conn->err,
				   sizeof(conn->err));
}

int ktls_conn_set_ciphers(struct ktls_conn *conn, const char *list)
{
	int ret = before_handshake(conn);

	if (ret < 0)
		return ret;
	return ktls_policy_parse_ciphers(list, conn->opts.ciphers,
					 &conn->opts.n_ciphers, conn->err,
					 sizeof(conn->err));
}

int ktls_conn_set_alpn(struct ktls_conn *conn, const char *list)
{
	int ret = before_handshake(conn);

	if (ret < 0)
		return ret;
	ret = ktls_policy_check_alpn(list, conn->err, sizeof(conn->err));
	if (ret < 0)
		return ret;
	snprintf(conn->opts.alpn, sizeof(conn->opts.alpn), "%s",
		 list ? list : "");
	return 0;
}

int ktls_conn_set_peer_name(struct ktls_conn *conn, const char *name)
{
	int ret = before_handshake(conn);
	char *copy;

	if (ret < 0)
		return ret;
	if (!name || !*name || strlen(name) > 253) {
		ktls_set_err(conn->err, "a peer name is 1 to 253 bytes");
		return -EINVAL;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	free(conn->peer_name);
	conn->peer_name = copy;
	return 0;
}

int ktls_conn_set_callbacks(struct ktls_conn *conn,
			    const struct ktls_callbacks *cbs, void *arg)
{
	int ret = before_handshake(conn);

	if (ret < 0)
		return ret;
	memset(&conn->cbs, 0, sizeof(conn->cbs));
	if (cbs)
		conn->cbs = *cbs;
	conn->cb_arg = arg;
	return 0;
}

enum ktls_role ktls_conn_role(const struct ktls_conn *conn)
{
	return conn ? conn->role : 0;
}

int ktls_conn_set_peer_id(struct ktls_conn *conn, const char *id)
{
	int ret = before_handshake(conn);
	char *copy = NULL;

	if (ret < 0)
		return ret;
	if (conn->role != KTLS_ROLE_CLIENT || (id && strlen(id) > 255)) {
		ktls_set_err(conn->err, "a peer id is for client connections, "
			     "and at most 255 bytes");
		return -EINVAL;
	}
	if (id) {
		copy = strdup(id);
		if (!copy)
			return -ENOMEM;
	}
	free(conn->peer_id);
	conn->peer_id = copy;
	return 0;
}

int ktls_conn_set_session(struct ktls_conn *conn, struct ktls_session *sess)
{
	int ret = before_handshake(conn);

	if (ret < 0)
		return ret;
	if (conn->role != KTLS_ROLE_CLIENT || !ktls_session_resumable(sess)) {
		ktls_set_err(conn->err, "only a client can offer a session, "
			     "and only a resumable one");
		return -EINVAL;
	}
	ktls_resume_set_offer(conn, sess);
	return 0;
}

static int ensure_trust(struct ktls_conn *conn)
{
	struct ktls_ctx *ctx = conn->ctx;
	int ret = 0;

	if (conn->role != KTLS_ROLE_CLIENT ||
	    conn->opts.verify == KTLS_VERIFY_NONE_INSECURE ||
	    ktls_psk_client(conn))
		return 0;
	pthread_mutex_lock(&ca_lock);
	if (!ctx->trust_loaded)
		ret = ktls_ctx_load_ca_system(ctx);
	pthread_mutex_unlock(&ca_lock);
	if (ret < 0)
		ktls_set_err(conn->err, "%s", ctx->err);
	return ret;
}

static int wolf_version(uint16_t v)
{
	return v == KTLS_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

/* Build the WOLFSSL for the first handshake call from the options. */
static int conn_setup(struct ktls_conn *conn)
{
	struct ktls_opts *o = &conn->opts;
	bool psk = ktls_psk_client(conn);
	uint16_t version_min = psk ? KTLS_TLS_1_3 : o->version_min;
	uint8_t suites[KTLS_SUITES_MAX];
	size_t n_suites = 0;
	WOLFSSL *ssl;
	int ret;

	if (o->version_min > o->version_max) {
		ktls_set_err(conn->err, "minimum version 0x%04x is above the "
			     "maximum 0x%04x", o->version_min, o->version_max);
		return -EINVAL;
	}
	if (psk && o->version_max < KTLS_TLS_1_3) {
		ktls_set_err(conn->err, "TLS 1.2 PSK suites are refused by "
			     "policy; a PSK needs TLS 1.3");
		return -EPROTONOSUPPORT;
	}
	if (conn->role == KTLS_ROLE_CLIENT && !psk &&
	    o->verify != KTLS_VERIFY_NONE_INSECURE && !conn->peer_name) {
		ktls_set_err(conn->err, "a client that verifies the server "
			     "needs its name: call ktls_conn_set_peer_name()");
		return -EINVAL;
	}
	if (conn->role == KTLS_ROLE_SERVER && conn->ctx->n_identities == 0 &&
	    !conn->cbs.psk_find) {
		ktls_set_err(conn->err, "a server needs a certificate and key "
			     "(ktls_ctx_add_identity()) or a psk_find "
			     "callback");
		return -EINVAL;
	}
	ret = ensure_trust(conn);
	if (ret < 0)
		return ret;
	ret = ktls_policy_suites(o, suites, sizeof(suites), &n_suites);
	if (ret < 0)
		return ret;

	/* The ULP goes on now, while the socket is surely established (or
	 * the peer gets an alert, when KTLS_OPT_REQUIRE_OFFLOAD and it
	 * cannot). */
	ret = ktls_kernel_attach(conn);
	if (ret < 0)
		return ret;
	ssl = wolfSSL_new(conn->ctx->wctx);
	if (!ssl)
		return -ENOMEM;
	ktls_tls_attach(conn, ssl);
	ret = ktls_identity_take(conn, ssl);
	if (ret < 0) {
		ktls_set_err(conn->err, "the context's first identity cannot "
			     "be put on the connection");
		return ret;
	}
	/*
	 * A TLS 1.2 server that requires a client certificate sends no alert
	 * when none comes unless "mutual auth" is set, and the client then
	 * waits forever.  wolfSSL 5.5.4 takes the setting only before the
	 * side is fixed (and reports SIDE_ERROR while keeping it), later
	 * versions only after: it is set on both sides of that, and the
	 * results say nothing.
	 */
	if (conn->role == KTLS_ROLE_SERVER && o->verify == KTLS_VERIFY_REQUIRE)
		(void)wolfSSL_mutual_auth(ssl, 1);
	if (conn->role == KTLS_ROLE_CLIENT)
		wolfSSL_set_connect_state(ssl);
	else
		wolfSSL_set_accept_state(ssl);
	if (conn->role == KTLS_ROLE_SERVER && o->verify == KTLS_VERIFY_REQUIRE)
		(void)wolfSSL_mutual_auth(ssl, 1);

	ret = -EIO;
	if (wolfSSL_set_min_proto_version(ssl, wolf_version(version_min)) !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_set_max_proto_version(ssl, wolf_version(o->version_max)) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(conn->err, "wolfSSL refused the version range");
		goto err;
	}
	/* Before the cipher list: a PSK callback makes wolfSSL rebuild
	 * its suites. */
	ret = ktls_psk_setup(conn, ssl);
	if (ret < 0)
		goto err;
	ret = -EIO;
	if (wolfSSL_set_cipher_list_bytes(ssl, suites, (int)n_suites) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(conn->err, "wolfSSL refused the cipher list");
		goto err;
	}
	ktls_verify_setup(conn, ssl);
	if (conn->ctx->crl_loaded) {
		if (o->crl_check)
			ret = wolfSSL_EnableCRL(ssl, WOLFSSL_CRL_CHECKALL);
		else
			ret = wolfSSL_DisableCRL(ssl);
		if (ret != WOLFSSL_SUCCESS) {
			ktls_set_err(conn->err, "CRL setting failed");
			ret = -EIO;
			goto err;
		}
	}
	if (o->alpn[0] &&
	    wolfSSL_UseALPN(ssl, o->alpn, (unsigned int)strlen(o->alpn),
			    WOLFSSL_ALPN_FAILED_ON_MISMATCH) != WOLFSSL_SUCCESS) {
		ktls_set_err(conn->err, "wolfSSL refused the ALPN list");
		ret = -EIO;
		goto err;
	}
	if (conn->role == KTLS_ROLE_CLIENT && conn->peer_name &&
	    !ktls_is_ip_address(conn->peer_name)) {
		if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, conn->peer_name,
				   (unsigned short)strlen(conn->peer_name)) !=
		    WOLFSSL_SUCCESS ||
		    (o->verify != KTLS_VERIFY_NONE_INSECURE && !psk &&
		     wolfSSL_check_domain_name(ssl, conn->peer_name) !=
		     WOLFSSL_SUCCESS)) {
			ktls_set_err(conn->err, "wolfSSL refused the peer "
				     "name");
			ret = -EIO;
			goto err;
		}
	}
	if (conn->role == KTLS_ROLE_SERVER) {
		if (!o->tickets &&
		    (wolfSSL_NoTicketTLSv12(ssl) != WOLFSSL_SUCCESS ||
		     wolfSSL_no_ticket_TLSv13(ssl) != 0)) {
			ktls_set_err(conn->err, "tickets could not be "
				     "turned off");
			ret = -EIO;
			goto err;
		}
	} else if (!psk) {
		/* A PSK client offers no session and keeps none: its
		 * authentication is the key, looked up afresh each time. */
		if (o->tickets &&
		    wolfSSL_UseSessionTicket(ssl) != WOLFSSL_SUCCESS) {
			ktls_set_err(conn->err, "tickets could not be turned "
				     "on");
			ret = -EIO;
			goto err;
		}
		ret = ktls_resume_offer(conn);
		if (ret < 0)
			goto err;
	}
	return 0;
err:
	ktls_tls_drop(conn);
	return ret;
}

/* Map a failed wolfSSL_connect()/accept() to our error and message. */
static int handshake_error(struct ktls_conn *conn, int ret)
{
	int err = wolfSSL_get_error(ktls_tls_ssl(conn), ret);

	if (ktls_tls_would_block(conn, err))
		return -EAGAIN;
	/* A PSK the peer refused or did not know, or psk_find's error
	 * (which also answers the client with an alert). */
	ret = ktls_psk_handshake_error(conn, err);
	if (ret < 0)
		return ret;
	/* A callback of the application said no: its word and its code. */
	if (conn->cb_err)
		return conn->cb_err;
	if (ktls_verify_rejected(conn, err))
		return -EKEYREJECTED;
	/* The rest is the peer's or the socket's doing. */
	return ktls_tls_handshake_error(conn, err);
}

/* The cipher wolfSSL negotiated, or 0 for one outside the table. */
static enum ktls_cipher negotiated_cipher(WOLFSSL *ssl)
{
	const struct ktls_cipher_desc *d =
		ktls_cipher_by_wolfssl(wolfSSL_GetBulkCipher(ssl),
				       wolfSSL_GetKeySize(ssl));

	return d ? d->cipher : 0;
}

/* Keep what was negotiated, and a copy of the peer's chain. */
static int record_session(struct ktls_conn *conn)
{
	WOLFSSL_X509_CHAIN *chain;
	char *proto = NULL;
	unsigned short plen = 0;
	int i, n;

	conn->version = wolfSSL_version(ktls_tls_ssl(conn)) == TLS1_3_VERSION ?
			KTLS_TLS_1_3 : KTLS_TLS_1_2;
	conn->cipher = negotiated_cipher(ktls_tls_ssl(conn));
	conn->hs.resumed = wolfSSL_session_reused(ktls_tls_ssl(conn));
	ktls_keylog_tls12(conn);
	if (wolfSSL_ALPN_GetProtocol(ktls_tls_ssl(conn), &proto, &plen) ==
	    WOLFSSL_SUCCESS && proto && plen < sizeof(conn->hs.alpn)) {
		memcpy(conn->hs.alpn, proto, plen);
		conn->hs.alpn[plen] = '\0';
	}
	chain = wolfSSL_get_peer_chain(ktls_tls_ssl(conn));
	n = chain ? wolfSSL_get_chain_count(chain) : 0;
	if (n <= 0)
		return 0;
	conn->hs.peer_certs = calloc((size_t)n, sizeof(*conn->hs.peer_certs));
	if (!conn->hs.peer_certs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int len = wolfSSL_get_chain_length(chain, i);
		const unsigned char *der = wolfSSL_get_chain_cert(chain, i);
		struct ktls_der *d =
			&conn->hs.peer_certs[conn->hs.n_peer_certs];

		if (len <= 0 || !der)
			continue;
		d->der = malloc((size_t)len);
		if (!d->der)
			return -ENOMEM;
		memcpy(d->der, der, (size_t)len);
		d->len = (size_t)len;
		conn->hs.n_peer_certs++;
	}
	return 0;
}

/* One step of the handshake in process, on wolfSSL. */
static int handshake_step(struct ktls_conn *conn)
{
	int ret;

	ret = conn->role == KTLS_ROLE_CLIENT ?
	      wolfSSL_connect(ktls_tls_ssl(conn)) :
	      wolfSSL_accept(ktls_tls_ssl(conn));
	if (ret != WOLFSSL_SUCCESS)
		return handshake_error(conn, ret);
	ret = record_session(conn);
	if (ret < 0)
		return ret;
	if (!conn->cipher) {
		ktls_set_err(conn->err, "negotiated a cipher outside policy");
		return -EPROTO;
	}
	ret = ktls_psk_done(conn);
	if (ret < 0)
		return ret;
	return ktls_offload(conn);
}

int ktls_conn_handshake(struct ktls_conn *conn)
{
	int ret;

	if (!conn)
		return -EINVAL;
	switch (conn->state) {
	case KTLS_ST_NEW:
		conn->err[0] = '\0';
		if (conn->ctx->daemon_path && ktls_psk_client(conn)) {
			ktls_set_err(conn->err, "a PSK is not passed to "
				     "handshaked (daemon mode)");
			ret = -EOPNOTSUPP;
			break;
		}
		if (conn->ctx->daemon_path) {
			ret = ktls_daemon_handshake(conn);
			break;
		}
		ret = conn_setup(conn);
		if (ret < 0)
			break;
		conn->state = KTLS_ST_HANDSHAKE;
		ret = handshake_step(conn);
		break;
	case KTLS_ST_HANDSHAKE:
		/* A daemon handshake comes back here until handshaked
		 * answers (non-blocking fd). */
		ret = conn->daemon ? ktls_daemon_handshake(conn) :
				     handshake_step(conn);
		break;
	case KTLS_ST_OPEN:
	case KTLS_ST_CLOSED:
		return 0;
	default:
		return -EINVAL;
	}
	if (ret == -EAGAIN) {
		conn->state = KTLS_ST_HANDSHAKE;
		return ret;
	}
	if (ret < 0)
		goto fail;
	conn->state = KTLS_ST_OPEN;
	if (conn->cbs.handshake_done)
		conn->cbs.handshake_done(conn, conn->cb_arg);
	return 0;
fail:
	conn->state = KTLS_ST_FAILED;
	ktls_psk_wipe_key(conn);
	ktls_tls_drop(conn);
	ktls_resume_forget(conn);
	return ret;
}

int ktls_conn_alert(const struct ktls_conn *conn)
{
	return conn ? conn->alert : -1;
}

uint16_t ktls_conn_version(const struct ktls_conn *conn)
{
	return conn ? conn->version : 0;
}

enum ktls_cipher ktls_conn_cipher(const struct ktls_conn *conn)
{
	return conn ? conn->cipher : 0;
}

const char *ktls_conn_alpn(const struct ktls_conn *conn)
{
	return conn && conn->hs.alpn[0] ? conn->hs.alpn : NULL;
}

bool ktls_conn_resumed(const struct ktls_conn *conn)
{
	return conn && conn->hs.resumed;
}

bool ktls_conn_offloaded(const struct ktls_conn *conn, enum ktls_dir dir)
{
	if (!conn)
		return false;
	return dir == KTLS_DIR_TX ? conn->tx_offloaded :
	       dir == KTLS_DIR_RX ? conn->rx_offloaded : false;
}

int ktls_conn_peer_cert(const struct ktls_conn *conn, unsigned int idx,
			const uint8_t **der, size_t *len)
{
	if (!conn || !der || !len)
		return -EINVAL;
	if (idx >= conn->hs.n_peer_certs)
		return -ENOENT;
	*der = conn->hs.peer_certs[idx].der;
	*len = conn->hs.peer_certs[idx].len;
	return 0;
}
