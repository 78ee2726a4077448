// SPDX-License-Identifier: MIT
/*
 * test_conn_client_cert.c - client certificates (conn.c): the client_auth
 * callback that picks an identity, the first identity by default, an
 * error that aborts, and a server that requires a certificate the client
 * does not have.
 *
 * Whole TLS connections in one process: a loopback TCP pair with both
 * ends non-blocking, both handshakes driven by one poll() loop (the
 * fixtures in tests/helpers.h); the certificates of tests/pki/mkpki in
 * build/pki.  The files test_conn_*.c were one test_conn.c.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "ktls_wolf.h"
#include <wolfssl/version.h>

#include "helpers.h"
#include "ktls_int.h"

/* --- 3. client certificates -------------------------------------------- */

/* A server that requires a client certificate under the test root. */
static struct ktls_ctx *requiring_server_ctx(void)
{
	struct ktls_ctx *ctx = th_ec_server_ctx();

	assert_int_equal(ktls_ctx_load_ca_file(ctx, TH_PKI "ca.pem"), 0);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY,
					  KTLS_VERIFY_REQUIRE), 0);
	return ctx;
}

/* A client with two identities: a server certificate first, then the
 * client certificate. */
static struct ktls_ctx *two_identity_client_ctx(void)
{
	struct ktls_ctx *ctx = th_client_ctx();

	assert_int_equal(ktls_ctx_add_identity(ctx,
					       TH_PKI "server-ec-chain.pem",
					       TH_PKI "server-ec.key"), 0);
	assert_int_equal(ktls_ctx_add_identity(ctx, TH_PKI "client-chain.pem",
					       TH_PKI "client.key"), 0);
	return ctx;
}

static void peer_subject(const struct ktls_conn *conn, char *buf,
			 size_t size)
{
	const uint8_t *der = NULL;
	size_t len = 0;

	assert_int_equal(ktls_conn_peer_cert(conn, 0, &der, &len), 0);
	assert_true(ktls_cert_subject(der, len, buf, size) > 0);
}

/* client_auth picks the second identity: the server sees the client
 * certificate, in both versions. */
static void test_conn_set_callbacks_client_auth_picks_identity(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = requiring_server_ctx();
	struct ktls_ctx *cctx = two_identity_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct th_cb_log clog = { .client_auth_ret = 1 };
		char subject[128];

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &th_all_cbs,
							 &clog), 0);
		th_handshake(&l);
		assert_int_equal(clog.client_auth, 1);
		assert_int_equal(clog.done, 1);
		peer_subject(l.s, subject, sizeof(subject));
		assert_string_equal(subject, "/CN=ktls test client");
		assert_int_equal(ktls_conn_verify_result(l.s), KTLS_VERIFY_OK);
		/* The server's chain is leaf and intermediate. */
		peer_subject(l.c, subject, sizeof(subject));
		assert_string_equal(subject, "/CN=localhost");
		th_transfer(l.c, l.s, 1000, 9);
		th_close_both(&l);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * Without the callback the first identity goes: here a server
 * certificate, which the server's own checks refuse as a client's (its
 * extended key usage is serverAuth) and its auth_cert accepts anyway.  A
 * server that asks for nothing sees no certificate.
 */
static void test_conn_set_callbacks_client_auth_defaults_to_first(
	void **state)
{
	static const struct ktls_callbacks auth_cb = {
		.auth_cert = th_on_auth,
	};
	struct ktls_ctx *sctx = requiring_server_ctx();
	struct ktls_ctx *cctx = two_identity_client_ctx();
	struct ktls_ctx *plain = th_ec_server_ctx();
	struct th_cb_log slog = { .auth_ret = 0 };
	const uint8_t *der;
	size_t len;
	char subject[128];
	struct th_link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &auth_cb, &slog);
	th_link_open(&l, cctx, sctx);
	slog.conn = l.s;
	th_handshake(&l);
	assert_int_equal(slog.auth, 1);
	assert_string_equal(slog.auth_subject, "/CN=localhost");
	assert_int_not_equal(slog.auth_result, KTLS_VERIFY_OK);
	peer_subject(l.s, subject, sizeof(subject));
	assert_string_equal(subject, "/CN=localhost");
	th_close_both(&l);
	th_link_close(&l);

	th_link_open(&l, cctx, plain);
	th_handshake(&l);
	assert_int_equal(ktls_conn_peer_cert(l.s, 0, &der, &len), -ENOENT);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(plain);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* client_auth returning an error aborts the client's handshake, and the
 * server does not wait for ever. */
static void test_conn_set_callbacks_client_auth_error_aborts_handshake(
	void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = requiring_server_ctx();
	struct ktls_ctx *cctx = two_identity_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct th_cb_log clog = { .client_auth_ret = -EACCES };
		int sret;

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &th_all_cbs,
							 &clog), 0);
		th_handshake_fails(&l, 0, &sret);
		assert_int_equal(clog.client_auth, 1);
		assert_int_equal(clog.done, 0);
		/*
		 * The client's own code and errstr are not checked: today
		 * they are wolfSSL's generic -EPROTO "Error importing client
		 * cert or key from callback", which hides the callback's
		 * -EACCES and its errstr.  The server got an alert.
		 */
		assert_int_not_equal(sret, -EAGAIN);
		assert_int_equal(sret, -ECONNABORTED);
		assert_true(ktls_conn_alert(l.s) > 0);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * A client with no identity, a server that requires one: the server fails
 * with -EKEYREJECTED and KTLS_VERIFY_NO_CERTIFICATE.  In TLS 1.3 the
 * client's part of the handshake is over by then: the server's alert
 * (certificate_required) ends its first read.  In TLS 1.2 the client
 * waits for the server's Finished, so the server must send an alert; the
 * wolfSSL of Debian 12 (5.5.4, make WOLFSSL=system) sends none, and the
 * client learns of the failure only when the server's fd closes, as the
 * API asks after an error.  That is printed, not passed over.  The
 * project's wolfSSL (5.7) sends the alert, and must.
 */
#ifdef KTLS_WOLFSSL_PROJECT
#define TLS12_NO_CERT_ALERT_MAY_LACK false
#else
#define TLS12_NO_CERT_ALERT_MAY_LACK true
#endif
static void test_conn_handshake_requires_client_cert(void **state)
{
	struct ktls_ctx *sctx = requiring_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	char buf[16];
	int cret = 0, sret = 0, ret;

	(void)state;
	/* TLS 1.3 */
	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, KTLS_TLS_1_3, NULL);
	assert_int_equal(th_drive(l.c, l.s, &cret, &sret), 0);
	assert_int_equal(sret, -EKEYREJECTED);
	assert_int_equal(ktls_conn_verify_result(l.s),
			 KTLS_VERIFY_NO_CERTIFICATE);
	assert_int_equal(cret, 0);
	assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)), -ECONNABORTED);
	/* certificate_required */
	assert_int_equal(ktls_conn_alert(l.c), 116);
	th_link_close(&l);

	/* TLS 1.2 */
	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, KTLS_TLS_1_2, NULL);
	ret = th_drive(l.c, l.s, &cret, &sret);
	assert_int_equal(sret, -EKEYREJECTED);
	assert_int_equal(ktls_conn_verify_result(l.s),
			 KTLS_VERIFY_NO_CERTIFICATE);
	if (ret == -ETIMEDOUT && TLS12_NO_CERT_ALERT_MAY_LACK) {
		assert_int_equal(cret, -EAGAIN);
		print_message("known problem: the TLS 1.2 server rejected the "
			      "missing client certificate without an alert "
			      "(wolfSSL %s); the client waited %d ms for it\n",
			      LIBWOLFSSL_VERSION_STRING, TH_IDLE_MS);
		th_drop_server(&l);
		while ((cret = ktls_conn_handshake(l.c)) == -EAGAIN)
			th_wait_for(l.c, "the client's handshake");
		assert_int_equal(cret, -ECONNRESET);
	} else {
		assert_int_equal(ret, 0);
		assert_int_equal(cret, -ECONNABORTED);
		assert_true(ktls_conn_alert(l.c) > 0);
	}
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_set_callbacks_client_auth_picks_identity),
		T(test_conn_set_callbacks_client_auth_defaults_to_first),
		T(test_conn_set_callbacks_client_auth_error_aborts_handshake),
		T(test_conn_handshake_requires_client_cert),
	};
	return cmocka_run_group_tests_name("conn-client-cert", tests,
					   th_conn_setup, th_conn_teardown);
}
