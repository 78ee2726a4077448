// SPDX-License-Identifier: MIT
/*
 * test_conn_verify.c - the server's certificate (conn.c): the
 * built-in verdicts (wrong host, expired, unknown CA) in both versions,
 * and the callbacks that see or overrule them (handshake_done, auth_cert,
 * bad_cert).
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

#include "helpers.h"
#include "ktls_int.h"

/* --- 2. callbacks and verification ------------------------------------- */

static const struct ktls_callbacks done_cb = {
	.handshake_done = th_on_done,
};

static const struct ktls_callbacks bad_cb = {
	.bad_cert = th_on_bad,
	.handshake_done = th_on_done,
};

/*
 * handshake_done comes once per side, with its connection and argument:
 * the server's from its context's defaults, the client's from its own.
 */
static void test_conn_set_callbacks_handshake_done_called_once_per_side(
	void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_cb_log slog = { 0 }, clog = { 0 };
	struct th_link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &done_cb, &slog);
	th_link_open(&l, cctx, sctx);
	slog.conn = l.s;
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &done_cb, &clog), 0);
	th_handshake(&l);
	assert_int_equal(clog.done, 1);
	assert_int_equal(slog.done, 1);
	/* Asking again changes nothing. */
	assert_int_equal(ktls_conn_handshake(l.c), 0);
	assert_int_equal(ktls_conn_handshake(l.s), 0);
	th_transfer(l.s, l.c, 1000, 7);
	assert_int_equal(clog.done, 1);
	assert_int_equal(slog.done, 1);
	/* Too late to change them now. */
	assert_int_equal(ktls_conn_set_callbacks(l.c, NULL, NULL), -EINVAL);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_callbacks_handshake_done_not_called_on_failure(
	void **state)
{
	struct ktls_ctx *sctx = th_server_ctx(TH_PKI "wronghost-chain.pem",
					      TH_PKI "wronghost.key");
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_cb_log slog = { 0 }, clog = { 0 };
	struct th_link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &done_cb, &slog);
	ktls_ctx_set_callbacks(cctx, &done_cb, &clog);
	th_link_open(&l, cctx, sctx);
	th_handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(clog.done, 0);
	assert_int_equal(slog.done, 0);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* auth_cert sees the server's own certificate (DER) and the built-in
 * verdict, once; accepting lets the handshake through. */
static void test_conn_set_callbacks_auth_cert_receives_leaf_and_result(
	void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_cb_log clog = { .auth_ret = 0, .bad_ret = -EACCES };
	const uint8_t *der;
	size_t len;
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &th_all_cbs, &clog), 0);
	th_handshake(&l);
	assert_int_equal(clog.auth, 1);
	assert_int_equal(clog.auth_result, KTLS_VERIFY_OK);
	assert_string_equal(clog.auth_subject, "/CN=localhost");
	assert_int_equal(clog.bad, 0);
	assert_int_equal(clog.client_auth, 0);
	assert_int_equal(clog.done, 1);
	/* The certificate it was shown is the peer's own. */
	assert_int_equal(ktls_conn_peer_cert(l.c, 0, &der, &len), 0);
	assert_int_equal(len, clog.auth_len);
	assert_int_equal(ktls_conn_verify_result(l.c), KTLS_VERIFY_OK);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * auth_cert returning an error rejects a valid server: the client fails
 * with -EKEYREJECTED, and the server learns of it.  In both versions.
 */
static void test_conn_set_callbacks_auth_cert_error_rejects_peer(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct th_cb_log clog = {
			.auth_ret = -EPERM,
			.bad_ret = -EPERM,
		};
		int sret;

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &th_all_cbs,
							 &clog), 0);
		th_handshake_fails(&l, -EKEYREJECTED, &sret);
		assert_int_not_equal(sret, -EAGAIN);
		assert_int_equal(clog.auth, 1);
		assert_int_equal(clog.auth_result, KTLS_VERIFY_OK);
		assert_int_equal(clog.done, 0);
		assert_int_not_equal(ktls_conn_verify_result(l.c),
				     KTLS_VERIFY_OK);
		assert_non_null(strstr(ktls_conn_errstr(l.c), "rejected"));
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * A server whose certificate fails verification: the client fails with
 * -EKEYREJECTED and the reason, the server fails too (not left waiting),
 * in both versions.
 */
static void expect_rejected(const char *chain, const char *key,
			    enum ktls_verify_result want)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_server_ctx(chain, key);
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	for (i = 0; i < 2; i++) {
		int sret;

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		th_handshake_fails(&l, -EKEYREJECTED, &sret);
		assert_int_not_equal(sret, -EAGAIN);
		assert_int_equal(ktls_conn_verify_result(l.c), want);
		assert_non_null(strstr(ktls_conn_errstr(l.c),
				       ktls_verify_result_name(want)));
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_verify_result_hostname_mismatch(void **state)
{
	(void)state;
	expect_rejected(TH_PKI "wronghost-chain.pem", TH_PKI "wronghost.key",
			KTLS_VERIFY_HOSTNAME_MISMATCH);
}

static void test_conn_verify_result_expired(void **state)
{
	(void)state;
	expect_rejected(TH_PKI "expired-chain.pem", TH_PKI "expired.key",
			KTLS_VERIFY_EXPIRED);
}

static void test_conn_verify_result_unknown_ca(void **state)
{
	(void)state;
	expect_rejected(TH_PKI "untrusted-chain.pem", TH_PKI "untrusted.key",
			KTLS_VERIFY_UNKNOWN_CA);
}

/* bad_cert returning 0 takes the responsibility: the wrong host gets
 * through, and bad_cert was told why it was not trusted. */
static void test_conn_set_callbacks_bad_cert_accepts_hostname_mismatch(
	void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_server_ctx(TH_PKI "wronghost-chain.pem",
					      TH_PKI "wronghost.key");
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct th_cb_log clog = { .bad_ret = 0 };

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &bad_cb, &clog),
				 0);
		th_handshake(&l);
		assert_int_equal(clog.bad, 1);
		assert_int_equal(clog.bad_result,
				 KTLS_VERIFY_HOSTNAME_MISMATCH);
		assert_int_equal(clog.done, 1);
		assert_int_equal(ktls_conn_version(l.c), versions[i]);
		th_transfer(l.c, l.s, 1000, 8);
		th_close_both(&l);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_callbacks_bad_cert_error_keeps_rejection(void **state)
{
	struct ktls_ctx *sctx = th_server_ctx(TH_PKI "expired-chain.pem",
					      TH_PKI "expired.key");
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_cb_log clog = { .bad_ret = -EACCES };
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &bad_cb, &clog), 0);
	th_handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(clog.bad, 1);
	assert_int_equal(clog.bad_result, KTLS_VERIFY_EXPIRED);
	assert_int_equal(ktls_conn_verify_result(l.c), KTLS_VERIFY_EXPIRED);
	assert_int_equal(clog.done, 0);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_set_callbacks_handshake_done_called_once_per_side),
		T(test_conn_set_callbacks_handshake_done_not_called_on_failure),
		T(test_conn_set_callbacks_auth_cert_receives_leaf_and_result),
		T(test_conn_set_callbacks_auth_cert_error_rejects_peer),
		T(test_conn_verify_result_hostname_mismatch),
		T(test_conn_verify_result_expired),
		T(test_conn_verify_result_unknown_ca),
		T(test_conn_set_callbacks_bad_cert_accepts_hostname_mismatch),
		T(test_conn_set_callbacks_bad_cert_error_keeps_rejection),
	};
	return cmocka_run_group_tests_name("conn-verify", tests,
					   th_conn_setup, th_conn_teardown);
}
