// SPDX-License-Identifier: MIT
/*
 * conn.c - connections: options, the handshake on wolfSSL, certificate
 * verification, and what was negotiated.
 */
#include <arpa/inet.h>
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

	for (i = 0; i < conn->n_peer_certs; i++)
		free(conn->peer_certs[i].der);
	free(conn->peer_certs);
	conn->peer_certs = NULL;
	conn->n_peer_certs = 0;
}

/* Drop wolfSSL's state for the connection; wolfSSL wipes its keys. */
void ktls_conn_drop_ssl(struct ktls_conn *conn)
{
	if (conn->ssl) {
		wolfSSL_free(conn->ssl);
		conn->ssl = NULL;
	}
}

void ktls_conn_free(struct ktls_conn *conn)
{
	if (!conn)
		return;
	ktls_conn_drop_ssl(conn);
	ktls_daemon_end(conn);
	free_peer_certs(conn);
	ktls_session_free(conn->session);
	ktls_session_free(conn->offer);
	free(conn->peer_id);
	free(conn->cache_key);
	if (conn->feed)
		explicit_bzero(conn->feed, conn->feed_len);
	free(conn->feed);
	free(conn->peer_name);
	if (conn->rbuf)
		explicit_bzero(conn->rbuf, KTLS_MAX_RECORD_BODY);
	free(conn->rbuf);
	explicit_bzero(conn, sizeof(*conn));
	free(conn);
}

const char *ktls_conn_errstr(const struct ktls_conn *conn)
{
	return conn ? conn->err : "no connection";
}

const char *ktls_conn_offload_reason(const struct ktls_conn *conn)
{
	return conn ? conn->offload : "no connection";
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
	ktls_session_free(conn->offer);
	conn->offer = ktls_session_ref(sess);
	return 0;
}

struct ktls_session *ktls_conn_get_session(const struct ktls_conn *conn)
{
	return conn ? ktls_session_ref(conn->session) : NULL;
}

/*
 * A client's cache key: the peer name (or address when there is none),
 * the port, and the peer id.
 */
static int make_cache_key(struct ktls_conn *conn)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "";
	unsigned int port = 0;
	int n;

	if (getpeername(conn->fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &sin6->sin6_addr, host,
				  sizeof(host));
			port = ntohs(sin6->sin6_port);
		}
	}
	n = asprintf(&conn->cache_key, "%s:%u/%s",
		     conn->peer_name ? conn->peer_name : host, port,
		     conn->peer_id ? conn->peer_id : "");
	if (n < 0) {
		conn->cache_key = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Offer the session chosen with ktls_conn_set_session(), or the cached
 * one.  A session wolfSSL will not take is simply not offered. */
static int offer_session(struct ktls_conn *conn)
{
	struct ktls_session *s = ktls_session_ref(conn->offer);
	int ret = make_cache_key(conn);

	if (ret < 0)
		return ret;
	if (!s && conn->ctx->client_cache.capacity)
		s = ktls_cache_get(&conn->ctx->client_cache, conn->cache_key,
				   strlen(conn->cache_key), ktls_now());
	if (s && wolfSSL_set_session(conn->ssl, ktls_session_wolfssl(s)) !=
	    WOLFSSL_SUCCESS)
		ktls_set_err(conn->err, "the session offered could not be "
			     "used; full handshake");
	ktls_session_free(s);
	return 0;
}

static bool is_ip_address(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * wolfSSL reports verification errors in its own codes or, in builds with
 * WOLFSSL_ERROR_CODE_OPENSSL such as Debian's, in X509_V_ERR_* numbers for
 * some of them; accept both.
 */
static enum ktls_verify_result verify_result_of(int err)
{
	switch (err) {
	case ASN_NO_SIGNER_E:
	case ASN_SELF_SIGNED_E:
	case 2:		/* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT */
	case 18:	/* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
	case 19:	/* X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN */
	case 20:	/* X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
	case 21:	/* X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE */
		return KTLS_VERIFY_UNKNOWN_CA;
	case ASN_AFTER_DATE_E:
	case 10:	/* X509_V_ERR_CERT_HAS_EXPIRED */
	case 14:	/* X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, which
			 * wolfSSL reports for ASN_AFTER_DATE_E */
		return KTLS_VERIFY_EXPIRED;
	case ASN_BEFORE_DATE_E:
	case 9:		/* X509_V_ERR_CERT_NOT_YET_VALID */
	case 13:	/* X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, likewise */
		return KTLS_VERIFY_NOT_YET_VALID;
	case DOMAIN_NAME_MISMATCH:
	case IPADDR_MISMATCH:
	case 62:	/* X509_V_ERR_HOSTNAME_MISMATCH */
	case 64:	/* X509_V_ERR_IP_ADDRESS_MISMATCH */
		return KTLS_VERIFY_HOSTNAME_MISMATCH;
	case CRL_CERT_REVOKED:
	case OCSP_CERT_REVOKED:
	case 23:	/* X509_V_ERR_CERT_REVOKED */
		return KTLS_VERIFY_REVOKED;
	case ASN_SIG_CONFIRM_E:
	case 7:		/* X509_V_ERR_CERT_SIGNATURE_FAILURE */
		return KTLS_VERIFY_BAD_SIGNATURE;
	case CRL_MISSING:
	case 3:		/* X509_V_ERR_UNABLE_TO_GET_CRL */
		return KTLS_VERIFY_CRL_MISSING;
	case NO_PEER_CERT:
		return KTLS_VERIFY_NO_CERTIFICATE;
	default:
		return KTLS_VERIFY_OTHER;
	}
}

static struct ktls_conn *conn_of_store(WOLFSSL_X509_STORE_CTX *store)
{
	WOLFSSL *ssl = wolfSSL_X509_STORE_CTX_get_ex_data(store,
				wolfSSL_get_ex_data_X509_STORE_CTX_idx());

	return ssl ? wolfSSL_get_app_data(ssl) : NULL;
}

/* wolfSSL's verify mode for this connection's role and KTLS_OPT_VERIFY. */
static int verify_mode(const struct ktls_conn *conn)
{
	if (conn->role == KTLS_ROLE_CLIENT)
		return conn->opts.verify == KTLS_VERIFY_NONE_INSECURE ?
			WOLFSSL_VERIFY_NONE : WOLFSSL_VERIFY_PEER;
	switch (conn->opts.verify) {
	case KTLS_VERIFY_PEER:
		return WOLFSSL_VERIFY_PEER;
	case KTLS_VERIFY_REQUIRE:
		return WOLFSSL_VERIFY_PEER |
		       WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	default:
		return WOLFSSL_VERIFY_NONE;
	}
}

/* Whether this connection checks its peer at all. */
static bool verifies_peer(const struct ktls_conn *conn)
{
	return verify_mode(conn) != WOLFSSL_VERIFY_NONE;
}

/*
 * The verdict on the peer's certificate: the built-in result, then the
 * application's auth_cert and bad_cert callbacks.
 */
static bool decide(struct ktls_conn *conn, WOLFSSL_X509 *leaf)
{
	enum ktls_verify_result result = conn->verify_result;
	const unsigned char *der = NULL;
	int len = 0, ret;

	if (conn->cbs.auth_cert) {
		if (leaf)
			der = wolfSSL_X509_get_der(leaf, &len);
		ret = conn->cbs.auth_cert(conn, der, der ? (size_t)len : 0,
					  result, conn->cb_arg);
		if (ret == 0)
			return true;
		if (result == KTLS_VERIFY_OK)
			conn->verify_result = result = KTLS_VERIFY_OTHER;
	} else if (result == KTLS_VERIFY_OK) {
		return true;
	}
	if (conn->cbs.bad_cert &&
	    conn->cbs.bad_cert(conn, result, conn->cb_arg) == 0)
		return true;
	return false;
}

/*
 * Called for every certificate of the chain, passing or not (wolfSSL is
 * built with WOLFSSL_ALWAYS_VERIFY_CB), and again for the name check.
 * Problems are recorded as they come and the chain is let through; the
 * verdict is given once, at the peer's own certificate (depth 0), where
 * the callbacks can weigh the first problem found.  An IP peer name is
 * checked here because wolfSSL_check_domain_name() matches DNS names only.
 */
static bool leaf_has_ip(WOLFSSL_X509 *leaf, const char *ip)
{
	const unsigned char *der;
	int len;

	if (!leaf)
		return false;
	der = wolfSSL_X509_get_der(leaf, &len);
	return der && len > 0 && ktls_cert_has_ip(der, (size_t)len, ip);
}

static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	struct ktls_conn *conn = conn_of_store(store);
	int err = wolfSSL_X509_STORE_CTX_get_error(store);
	WOLFSSL_X509 *leaf;

	if (!conn)
		return preverify;
	if (!verifies_peer(conn))
		return 1;
	if (!preverify && conn->verify_result == KTLS_VERIFY_OK)
		conn->verify_result = verify_result_of(err);
	if (wolfSSL_X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;

	leaf = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	if (conn->verify_result == KTLS_VERIFY_OK &&
	    conn->role == KTLS_ROLE_CLIENT && conn->peer_name &&
	    is_ip_address(conn->peer_name) &&
	    !leaf_has_ip(leaf, conn->peer_name))
		conn->verify_result = KTLS_VERIFY_HOSTNAME_MISMATCH;
	/* The name check calls again at depth 0: decide once only, unless a
	 * new problem came up since. */
	if (conn->verify_decided && preverify)
		return 1;
	conn->verify_decided = true;
	return decide(conn, leaf) ? 1 : 0;
}

/*
 * Client: the server asked for a certificate; let the application pick
 * the identity.  wolfSSL's convention: 1 is success, 0 a failure.
 */
int ktls_cert_setup_cb(WOLFSSL *ssl, void *arg)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	int idx;

	(void)arg;
	if (!conn || conn->role != KTLS_ROLE_CLIENT || !conn->cbs.client_auth)
		return 1;
	idx = conn->cbs.client_auth(conn, conn->cb_arg);
	if (idx < 0) {
		ktls_set_err(conn->err, "the client_auth callback declined "
			     "(%s)", ktls_strerror(idx));
		conn->cb_err = idx;
		return 0;
	}
	if (ktls_ctx_use_identity_index(conn->ctx, ssl, (unsigned int)idx) <
	    0) {
		ktls_set_err(conn->err, "the client_auth callback chose "
			     "identity %d, which cannot be used", idx);
		return 0;
	}
	return 1;
}

int ktls_sni_cb(WOLFSSL *ssl, int *alert, void *arg)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	int ret;

	(void)alert;
	(void)arg;
	if (!conn)
		return 0;
	/* A failure to switch keeps the default identity: the client then
	 * decides whether that certificate will do. */
	ret = ktls_ctx_use_identity(conn->ctx, ssl,
			wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME));
	(void)ret;
	return 0;
}

static int ensure_trust(struct ktls_conn *conn)
{
	struct ktls_ctx *ctx = conn->ctx;
	int ret = 0;

	if (conn->role != KTLS_ROLE_CLIENT ||
	    conn->opts.verify == KTLS_VERIFY_NONE_INSECURE)
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
	uint8_t suites[KTLS_SUITES_MAX];
	size_t n_suites = 0;
	WOLFSSL *ssl;
	int ret;

	if (o->version_min > o->version_max) {
		ktls_set_err(conn->err, "minimum version 0x%04x is above the "
			     "maximum 0x%04x", o->version_min, o->version_max);
		return -EINVAL;
	}
	if (conn->role == KTLS_ROLE_CLIENT &&
	    o->verify != KTLS_VERIFY_NONE_INSECURE && !conn->peer_name) {
		ktls_set_err(conn->err, "a client that verifies the server "
			     "needs its name: call ktls_conn_set_peer_name()");
		return -EINVAL;
	}
	if (conn->role == KTLS_ROLE_SERVER && conn->ctx->n_identities == 0) {
		ktls_set_err(conn->err, "a server needs a certificate and key: "
			     "call ktls_ctx_add_identity()");
		return -EINVAL;
	}
	ret = ensure_trust(conn);
	if (ret < 0)
		return ret;
	ret = ktls_policy_suites(o, suites, sizeof(suites), &n_suites);
	if (ret < 0)
		return ret;

	ssl = wolfSSL_new(conn->ctx->wctx);
	if (!ssl)
		return -ENOMEM;
	/* Attached now, while the socket is surely established; until keys
	 * are installed the TLS ULP passes everything through as TCP. */
	conn->ulp_err = o->force_software ? -ECANCELED :
			ktls_sock_attach_ulp(conn->fd);
	/* The application attached it already: fine, it is ours to use. */
	if (conn->ulp_err == -EEXIST)
		conn->ulp_err = 0;
	conn->ssl = ssl;
	wolfSSL_set_app_data(ssl, conn);
	wolfSSL_SSLSetIORecv(ssl, ktls_io_recv);
	wolfSSL_SSLSetIOSend(ssl, ktls_io_send);
	wolfSSL_SetIOReadCtx(ssl, conn);
	wolfSSL_SetIOWriteCtx(ssl, conn);
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
	if (wolfSSL_set_min_proto_version(ssl, wolf_version(o->version_min)) !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_set_max_proto_version(ssl, wolf_version(o->version_max)) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(conn->err, "wolfSSL refused the version range");
		goto err;
	}
	if (wolfSSL_set_cipher_list_bytes(ssl, suites, (int)n_suites) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(conn->err, "wolfSSL refused the cipher list");
		goto err;
	}
	wolfSSL_set_verify(ssl, verify_mode(conn), verify_cb);
	wolfSSL_set_verify_depth(ssl, o->verify_depth);
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
	    !is_ip_address(conn->peer_name)) {
		if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, conn->peer_name,
				   (unsigned short)strlen(conn->peer_name)) !=
		    WOLFSSL_SUCCESS ||
		    (o->verify != KTLS_VERIFY_NONE_INSECURE &&
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
	} else {
		if (o->tickets &&
		    wolfSSL_UseSessionTicket(ssl) != WOLFSSL_SUCCESS) {
			ktls_set_err(conn->err, "tickets could not be turned "
				     "on");
			ret = -EIO;
			goto err;
		}
		ret = offer_session(conn);
		if (ret < 0)
			goto err;
	}
	return 0;
err:
	ktls_conn_drop_ssl(conn);
	return ret;
}

/*
 * Whether wolfSSL's error @err is a fatal alert from the peer; if so the
 * alert is recorded and named in conn->err.
 */
bool ktls_conn_peer_alert(struct ktls_conn *conn, int err)
{
	WOLFSSL_ALERT_HISTORY h;

	if (err != FATAL_ERROR ||
	    wolfSSL_get_alert_history(conn->ssl, &h) != WOLFSSL_SUCCESS ||
	    h.last_rx.level != 2)
		return false;
	conn->alert = h.last_rx.code;
	ktls_set_err(conn->err, "the peer sent a fatal alert: %s (%d)",
		     ktls_alert_name(conn->alert), conn->alert);
	return true;
}

/* Whether wolfSSL's @err means "wait", with conn->events set for it. */
bool ktls_conn_would_block(struct ktls_conn *conn, int err)
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

/* Map a failed wolfSSL_connect()/accept() to our error and message. */
static int handshake_error(struct ktls_conn *conn, int ret)
{
	char buf[WOLFSSL_MAX_ERROR_SZ];
	int err = wolfSSL_get_error(conn->ssl, ret);

	if (ktls_conn_would_block(conn, err))
		return -EAGAIN;
	/* A callback of the application said no: its word and its code. */
	if (conn->cb_err)
		return conn->cb_err;
	if (conn->verify_result == KTLS_VERIFY_OK &&
	    (err == NO_PEER_CERT || err == DOMAIN_NAME_MISMATCH ||
	     err == IPADDR_MISMATCH || err == CRL_CERT_REVOKED ||
	     err == CRL_MISSING || err == ASN_NO_SIGNER_E ||
	     err == ASN_AFTER_DATE_E || err == ASN_BEFORE_DATE_E ||
	     err == ASN_SIG_CONFIRM_E))
		conn->verify_result = verify_result_of(err);
	if (conn->verify_result != KTLS_VERIFY_OK) {
		ktls_set_err(conn->err, "peer certificate rejected: %s",
			     ktls_verify_result_name(conn->verify_result));
		return -EKEYREJECTED;
	}
	if (ktls_conn_peer_alert(conn, err))
		return -ECONNABORTED;
	if (conn->io_eof || conn->io_err == -ECONNRESET ||
	    conn->io_err == -EPIPE || err == SOCKET_PEER_CLOSED_E) {
		ktls_set_err(conn->err, "the peer closed the connection during "
			     "the handshake");
		return -ECONNRESET;
	}
	if (conn->io_err) {
		/* The recv callback said why (an SSL 2.0 hello). */
		if (!conn->err[0])
			ktls_set_err(conn->err, "socket error during the "
				     "handshake: %s",
				     ktls_strerror(conn->io_err));
		return conn->io_err;
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
	    (err == HANDSHAKE_SIZE_ERROR && !conn->sent_any))
		ktls_send_plain_alert(conn->fd, KTLS_ALERT_ILLEGAL_PARAMETER);
	wolfSSL_ERR_error_string_n((unsigned long)err, buf, sizeof(buf));
	ktls_set_err(conn->err, "handshake failed: %s (wolfSSL error %d)",
		     buf, err);
	if (err == MEMORY_E)
		return -ENOMEM;
	return -EPROTO;
}

static enum ktls_cipher negotiated_cipher(WOLFSSL *ssl)
{
	int key = wolfSSL_GetKeySize(ssl);

	switch (wolfSSL_GetBulkCipher(ssl)) {
	case wolfssl_aes_gcm:
		return key == 32 ? KTLS_CIPHER_AES_256_GCM :
				   KTLS_CIPHER_AES_128_GCM;
	case wolfssl_aes_ccm:
		return KTLS_CIPHER_AES_128_CCM;
	case wolfssl_chacha:
		return KTLS_CIPHER_CHACHA20_POLY1305;
	default:
		return 0;
	}
}

/* Keep what was negotiated, and a copy of the peer's chain. */
static int record_session(struct ktls_conn *conn)
{
	WOLFSSL_X509_CHAIN *chain;
	char *proto = NULL;
	unsigned short plen = 0;
	int i, n;

	conn->version = wolfSSL_version(conn->ssl) == TLS1_3_VERSION ?
			KTLS_TLS_1_3 : KTLS_TLS_1_2;
	conn->cipher = negotiated_cipher(conn->ssl);
	conn->resumed = wolfSSL_session_reused(conn->ssl);
	if (wolfSSL_ALPN_GetProtocol(conn->ssl, &proto, &plen) ==
	    WOLFSSL_SUCCESS && proto && plen < sizeof(conn->alpn)) {
		memcpy(conn->alpn, proto, plen);
		conn->alpn[plen] = '\0';
	}
	chain = wolfSSL_get_peer_chain(conn->ssl);
	n = chain ? wolfSSL_get_chain_count(chain) : 0;
	if (n <= 0)
		return 0;
	conn->peer_certs = calloc((size_t)n, sizeof(*conn->peer_certs));
	if (!conn->peer_certs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int len = wolfSSL_get_chain_length(chain, i);
		const unsigned char *der = wolfSSL_get_chain_cert(chain, i);
		struct ktls_der *d = &conn->peer_certs[conn->n_peer_certs];

		if (len <= 0 || !der)
			continue;
		d->der = malloc((size_t)len);
		if (!d->der)
			return -ENOMEM;
		memcpy(d->der, der, (size_t)len);
		d->len = (size_t)len;
		conn->n_peer_certs++;
	}
	return 0;
}

/* One step of the handshake in process, on wolfSSL. */
static int handshake_step(struct ktls_conn *conn)
{
	int ret;

	ret = conn->role == KTLS_ROLE_CLIENT ? wolfSSL_connect(conn->ssl) :
					       wolfSSL_accept(conn->ssl);
	if (ret != WOLFSSL_SUCCESS)
		return handshake_error(conn, ret);
	ret = record_session(conn);
	if (ret < 0)
		return ret;
	if (!conn->cipher) {
		ktls_set_err(conn->err, "negotiated a cipher outside policy");
		return -EPROTO;
	}
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
	ktls_conn_drop_ssl(conn);
	/*
	 * A cached session the server would not take may fail the handshake
	 * instead of giving a full one (wolfSSL before 5.7.4, TLS 1.2
	 * tickets); forget it, or every reconnection fails the same way.
	 */
	if (conn->role == KTLS_ROLE_CLIENT && conn->cache_key)
		ktls_cache_remove(&conn->ctx->client_cache, conn->cache_key,
				  strlen(conn->cache_key));
	return ret;
}

enum ktls_verify_result ktls_conn_verify_result(const struct ktls_conn *conn)
{
	return conn ? conn->verify_result : KTLS_VERIFY_OTHER;
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
	return conn && conn->alpn[0] ? conn->alpn : NULL;
}

unsigned int ktls_conn_key_updates(const struct ktls_conn *conn)
{
	return conn ? conn->key_updates : 0;
}

bool ktls_conn_resumed(const struct ktls_conn *conn)
{
	return conn && conn->resumed;
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
	if (idx >= conn->n_peer_certs)
		return -ENOENT;
	*der = conn->peer_certs[idx].der;
	*len = conn->peer_certs[idx].len;
	return 0;
}
