// SPDX-License-Identifier: MIT
/*
 * identity.c - which identity (certificate chain and key) a connection
 * presents, and putting it on the connection.
 *
 * A server picks by the client's hello: by default the first identity
 * whose certificate names the client's SNI (wolfSSL's servername
 * callback), or what the application's sni callback answers, which also
 * sees the key types the client's signature algorithms accept (wolfSSL's
 * cert setup callback: only there does wolfSSL hold them).  A client
 * picks with its client_auth callback when the server asks.  ctx.c loads
 * the identities and calls the two hooks below.
 *
 * Live replacement (ktls_ctx_replace_identity()): identities are
 * reference-counted, and a connection takes a reference on each of the
 * context's identities when its handshake starts (ktls_identity_take()),
 * under the context's id_lock.  Every later pick reads the connection's
 * own set, so a handshake in flight finishes with what it started with,
 * whatever another thread replaces meanwhile.  The first identity loaded
 * stays on the WOLFSSL_CTX for good (each WOLFSSL points at the context's
 * buffers, so replacing them would free them under a live handshake); a
 * connection whose first identity is another one gets it copied onto its
 * own WOLFSSL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "ktls_int.h"

/*
 * Put @id on @ssl (or on the context when @ssl is NULL) and check that the
 * key matches the certificate.
 */
int ktls_identity_use(struct ktls_ctx *ctx, WOLFSSL *ssl,
		      const struct ktls_identity *id)
{
	int chain_fmt = id->chain_fmt;
	int ret;

	if (ssl) {
		ret = wolfSSL_use_certificate_chain_buffer_format(ssl,
				id->chain_der, (long)id->chain_len, chain_fmt);
		if (ret == WOLFSSL_SUCCESS)
			ret = wolfSSL_use_PrivateKey_buffer(ssl, id->key_der,
					(long)id->key_len, WOLFSSL_FILETYPE_ASN1);
		if (ret == WOLFSSL_SUCCESS)
			ret = wolfSSL_check_private_key(ssl);
	} else {
		ret = wolfSSL_CTX_use_certificate_chain_buffer_format(ctx->wctx,
				id->chain_der, (long)id->chain_len, chain_fmt);
		if (ret == WOLFSSL_SUCCESS)
			ret = wolfSSL_CTX_use_PrivateKey_buffer(ctx->wctx,
					id->key_der, (long)id->key_len,
					WOLFSSL_FILETYPE_ASN1);
		if (ret == WOLFSSL_SUCCESS)
			ret = wolfSSL_CTX_check_private_key(ctx->wctx);
	}
	return ret == WOLFSSL_SUCCESS ? 0 : -EKEYREJECTED;
}

/* Drop a reference to @id; the last one wipes the key and frees it. */
void ktls_identity_put(struct ktls_identity *id)
{
	if (!id || __atomic_sub_fetch(&id->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (id->key_der)
		explicit_bzero(id->key_der, id->key_len);
	free(id->key_der);
	free(id->chain_der);
	wolfSSL_X509_free(id->leaf);
	explicit_bzero(id, sizeof(*id));
	free(id);
}

/*
 * The handshake of @conn starts on @ssl: take the context's identities as
 * they are now, and put the first on @ssl unless it is the one on the
 * context already (it was replaced).
 */
int ktls_identity_take(struct ktls_conn *conn, WOLFSSL *ssl)
{
	struct ktls_ctx *ctx = conn->ctx;
	unsigned int i;

	ktls_identity_release(conn);
	pthread_mutex_lock(&ctx->id_lock);
	for (i = 0; i < ctx->n_identities; i++) {
		__atomic_add_fetch(&ctx->ids[i]->refs, 1, __ATOMIC_RELAXED);
		conn->ids.ids[i] = ctx->ids[i];
	}
	conn->ids.n = ctx->n_identities;
	pthread_mutex_unlock(&ctx->id_lock);
	if (conn->ids.n && conn->ids.ids[0] != ctx->on_wctx)
		return ktls_identity_use(ctx, ssl, conn->ids.ids[0]);
	return 0;
}

/* Let go of the identities ktls_identity_take() took. */
void ktls_identity_release(struct ktls_conn *conn)
{
	unsigned int i;

	for (i = 0; i < conn->ids.n; i++)
		ktls_identity_put(conn->ids.ids[i]);
	memset(&conn->ids, 0, sizeof(conn->ids));
}

/* Put identity @idx of the connection's set on @ssl (the first one is
 * there already). */
KTLS_MUST_CHECK static int use_identity_index(struct ktls_conn *conn,
					      WOLFSSL *ssl, unsigned int idx)
{
	if (idx >= conn->ids.n)
		return -ENOENT;
	if (idx == 0)
		return 0;
	return ktls_identity_use(conn->ctx, ssl, conn->ids.ids[idx]);
}

/*
 * Server side, from the SNI callback: switch @ssl to the identity whose
 * certificate matches @sni.  The first identity is already on @ssl, so a
 * match on it (or on none) changes nothing.
 */
KTLS_MUST_CHECK static int use_identity(struct ktls_conn *conn, WOLFSSL *ssl,
					const char *sni)
{
	unsigned int i;

	if (!sni || !*sni)
		return 0;
	for (i = 0; i < conn->ids.n; i++) {
		if (wolfSSL_X509_check_host(conn->ids.ids[i]->leaf, sni,
					    strlen(sni), 0, NULL) !=
		    WOLFSSL_SUCCESS)
			continue;
		return use_identity_index(conn, ssl, i);
	}
	return 0;
}

/*
 * The key types the client's signature_algorithms accept (KTLS_SIG_*), or
 * 0 when they are not known: wolfSSL before 5.6.2 cannot tell (Debian
 * 12's 5.5.4), and a client that sends no list leaves it to the defaults
 * of RFC 5246 7.4.1.4.1.  Only valid inside wolfSSL's cert setup
 * callback, where wolfSSL holds the client's lists.
 */
static unsigned int client_sigs(WOLFSSL *ssl)
{
	unsigned int sigs = 0;
#if LIBWOLFSSL_VERSION_HEX >= 0x05006002
	const byte *suites, *hsa;
	word16 n_suites = 0, n_hsa = 0, i;
	int hash, sig;

	if (wolfSSL_get_client_suites_sigalgs(ssl, &suites, &n_suites, &hsa,
					      &n_hsa) != WOLFSSL_SUCCESS)
		return 0;
	for (i = 0; i + 1 < n_hsa; i += 2) {
		if (wolfSSL_get_sigalg_info(hsa[i], hsa[i + 1], &hash, &sig) !=
		    0)
			continue;
		switch (sig) {
		case RSAk:
		case RSAPSSk:
			sigs |= KTLS_SIG_RSA;
			break;
		case ECDSAk:
			sigs |= KTLS_SIG_ECDSA;
			break;
		case ED25519k:
			sigs |= KTLS_SIG_ED25519;
			break;
		case ED448k:
			sigs |= KTLS_SIG_ED448;
			break;
		default:
			break;
		}
	}
#else
	(void)ssl;
#endif
	return sigs;
}

/*
 * Server: with no sni callback, pick the identity the client's SNI names
 * (an application's callback runs later, in cert_setup_cb(), where the
 * client's signature algorithms are known).  @arg is the context, set
 * with the callback.  A failure to switch keeps the default identity:
 * the client then decides whether that certificate will do.
 */
static int sni_cb(WOLFSSL *ssl, int *alert, void *arg)
{
	struct ktls_ctx *ctx = arg;
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	int ret;

	(void)alert;
	if (!ctx || !conn ||
	    (conn->role == KTLS_ROLE_SERVER && conn->cbs.sni))
		return 0;
	ret = use_identity(conn, ssl,
			wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME));
	(void)ret;
	return 0;
}

/*
 * Server: the application's sni callback picks the identity, knowing the
 * client's server name and signature algorithms.  Return: 1 to go on, 0
 * to fail the handshake (wolfSSL's convention).
 */
static int server_pick(struct ktls_conn *conn, WOLFSSL *ssl)
{
	const char *name = wolfSSL_get_servername(ssl, WOLFSSL_SNI_HOST_NAME);
	int idx;

	if (name && !*name)
		name = NULL;
	idx = conn->cbs.sni(conn, name, client_sigs(ssl), conn->cb_arg);
	if (idx < 0) {
		ktls_set_err(conn->err, "the sni callback refused %s%s%s (%s)",
			     name ? "\"" : "", name ? name : "no server name",
			     name ? "\"" : "", ktls_strerror(idx));
		conn->cb_err = idx;
		/* wolfSSL would answer internal_error; the client is owed
		 * the reason, before anything is encrypted (RFC 6066 3). */
		if (!conn->tls.sent_any)
			ktls_send_plain_alert(conn->fd,
					      KTLS_ALERT_UNRECOGNIZED_NAME);
		return 0;
	}
	if (use_identity_index(conn, ssl, (unsigned int)idx) < 0) {
		ktls_set_err(conn->err, "the sni callback chose identity %d, "
			     "which cannot be used", idx);
		conn->cb_err = -EINVAL;
		return 0;
	}
	return 1;
}

/*
 * Client: the server asked for a certificate; let the application pick
 * the identity with its client_auth callback (the connection's, from
 * ktls_conn_set_callbacks()).  Server: the client's hello is in, let the
 * sni callback pick (server_pick()).  wolfSSL's convention: 1 is
 * success, 0 a failure.
 */
static int cert_setup_cb(WOLFSSL *ssl, void *arg)
{
	struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	int idx;

	(void)arg;
	if (conn && conn->role == KTLS_ROLE_SERVER && conn->cbs.sni)
		return server_pick(conn, ssl);
	if (!conn || conn->role != KTLS_ROLE_CLIENT || !conn->cbs.client_auth)
		return 1;
	idx = conn->cbs.client_auth(conn, conn->cb_arg);
	if (idx < 0) {
		ktls_set_err(conn->err, "the client_auth callback declined "
			     "(%s)", ktls_strerror(idx));
		conn->cb_err = idx;
		return 0;
	}
	if (use_identity_index(conn, ssl, (unsigned int)idx) < 0) {
		ktls_set_err(conn->err, "the client_auth callback chose "
			     "identity %d, which cannot be used", idx);
		return 0;
	}
	return 1;
}

/* Servers pick their identity by SNI (ktls_ctx_new()). */
int ktls_identity_hook_sni(struct ktls_ctx *ctx)
{
	wolfSSL_CTX_set_servername_callback(ctx->wctx, sni_cb);
	return wolfSSL_CTX_set_servername_arg(ctx->wctx, ctx) ==
	       WOLFSSL_SUCCESS ? 0 : -EIO;
}

/* The client_auth and sni callbacks run from wolfSSL's cert setup
 * callback (ktls_ctx_add_identity(), once the first identity is in). */
void ktls_identity_hook_cert(struct ktls_ctx *ctx)
{
	wolfSSL_CTX_set_cert_cb(ctx->wctx, cert_setup_cb, NULL);
}
