// SPDX-License-Identifier: MIT
/*
 * verify.c - the verdict on the peer's certificate: wolfSSL's verify mode
 * for a connection, its verify callback, an IP peer name checked against
 * the leaf's iPAddress SANs, the application's auth_cert and bad_cert
 * callbacks, and wolfSSL's verification errors mapped to
 * enum ktls_verify_result.  conn.c sets it up and asks for the verdict.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "ktls_int.h"

/* Whether @name is an IPv4 or IPv6 address rather than a DNS name. */
bool ktls_is_ip_address(const char *name)
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
	/* A PSK client is sent no certificate; one that comes is
	 * refused. */
	if (ktls_psk_client(conn))
		return WOLFSSL_VERIFY_PEER;
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
	enum ktls_verify_result result = conn->verify.result;
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
			conn->verify.result = result = KTLS_VERIFY_OTHER;
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
	if (ktls_psk_client(conn)) {
		conn->psk.cert_refused = true;
		return 0;
	}
	if (!verifies_peer(conn))
		return 1;
	if (!preverify && conn->verify.result == KTLS_VERIFY_OK)
		conn->verify.result = verify_result_of(err);
	if (wolfSSL_X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;

	leaf = wolfSSL_X509_STORE_CTX_get_current_cert(store);
	if (conn->verify.result == KTLS_VERIFY_OK &&
	    conn->role == KTLS_ROLE_CLIENT && conn->peer_name &&
	    ktls_is_ip_address(conn->peer_name) &&
	    !leaf_has_ip(leaf, conn->peer_name))
		conn->verify.result = KTLS_VERIFY_HOSTNAME_MISMATCH;
	/* The name check calls again at depth 0: decide once only, unless a
	 * new problem came up since. */
	if (conn->verify.decided && preverify)
		return 1;
	conn->verify.decided = true;
	return decide(conn, leaf) ? 1 : 0;
}

/* Give @ssl the connection's verify mode, callback and depth. */
void ktls_verify_setup(struct ktls_conn *conn, WOLFSSL *ssl)
{
	wolfSSL_set_verify(ssl, verify_mode(conn), verify_cb);
	wolfSSL_set_verify_depth(ssl, conn->opts.verify_depth);
}

/*
 * After a failed handshake (wolfSSL's error @err): whether it failed on
 * the peer's certificate.  If so the verdict is recorded and named in
 * conn->err.
 */
bool ktls_verify_rejected(struct ktls_conn *conn, int err)
{
	if (conn->verify.result == KTLS_VERIFY_OK &&
	    (err == NO_PEER_CERT || err == DOMAIN_NAME_MISMATCH ||
	     err == IPADDR_MISMATCH || err == CRL_CERT_REVOKED ||
	     err == CRL_MISSING || err == ASN_NO_SIGNER_E ||
	     err == ASN_AFTER_DATE_E || err == ASN_BEFORE_DATE_E ||
	     err == ASN_SIG_CONFIRM_E))
		conn->verify.result = verify_result_of(err);
	if (conn->verify.result == KTLS_VERIFY_OK)
		return false;
	ktls_set_err(conn->err, "peer certificate rejected: %s",
		     ktls_verify_result_name(conn->verify.result));
	return true;
}

enum ktls_verify_result ktls_conn_verify_result(const struct ktls_conn *conn)
{
	return conn ? conn->verify.result : KTLS_VERIFY_OTHER;
}
