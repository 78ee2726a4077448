// SPDX-License-Identifier: MIT
/*
 * test_conn_misuse.c - calls out of order (conn.c): send, recv and
 * close before the handshake, options after it, a client without the
 * peer's name, a server without an identity.
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

/* --- 5. misuse and a peer that goes away ------------------------------- */

static void test_send_recv_before_handshake_return_einval(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	char buf[16];
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "handshake"));
	assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ktls_close(l.c), -EINVAL);
	/* In the middle of the handshake too. */
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	assert_int_equal(ktls_recv(l.c, buf, sizeof(buf)), -EINVAL);
	/* And fine once it is over. */
	th_handshake(&l);
	assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(ktls_send(l.c, "x", 1), 1);
	assert_int_equal(th_recv_wait(l.s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'x');
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_opt_after_handshake_returns_einval(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_VERSION_MAX,
					   KTLS_TLS_1_2), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "before the handshake"));
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_FORCE_SOFTWARE, 1),
			 -EINVAL);
	assert_int_equal(ktls_conn_set_ciphers(l.c, "AES-128-GCM"), -EINVAL);
	assert_int_equal(ktls_conn_set_peer_name(l.c, "other"), -EINVAL);
	/* The connection goes on as it was. */
	th_transfer(l.c, l.s, 1000, 15);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A verifying client without the peer's name refuses to start. */
static void test_conn_handshake_without_peer_name_returns_einval(void **state)
{
	struct ktls_ctx *cctx = th_client_ctx();
	struct ktls_conn *conn;
	int fds[2];

	(void)state;
	assert_int_equal(ktls_tcp_pair(fds, NULL), 0);
	th_set_nonblock(fds[0]);
	conn = ktls_conn_new(cctx, fds[0], KTLS_ROLE_CLIENT);
	assert_non_null(conn);
	assert_int_equal(ktls_conn_handshake(conn), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(conn),
			       "ktls_conn_set_peer_name"));
	ktls_conn_free(conn);
	ktls_close_pair(fds);
	ktls_ctx_free(cctx);
}

/* Without verification (tests only) no name is needed. */
static void test_conn_handshake_without_peer_name_insecure_succeeds(
	void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = ktls_ctx_new();
	struct th_link l = { .fds = { -1, -1 } };

	(void)state;
	assert_non_null(cctx);
	assert_int_equal(ktls_ctx_set_opt(cctx, KTLS_OPT_VERIFY,
					  KTLS_VERIFY_NONE_INSECURE), 0);
	assert_int_equal(ktls_tcp_pair(l.fds, NULL), 0);
	th_set_nonblock(l.fds[0]);
	th_set_nonblock(l.fds[1]);
	l.c = ktls_conn_new(cctx, l.fds[0], KTLS_ROLE_CLIENT);
	l.s = ktls_conn_new(sctx, l.fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l.c);
	assert_non_null(l.s);
	th_handshake(&l);
	th_transfer(l.c, l.s, 1000, 16);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_handshake_server_without_identity_returns_einval(
	void **state)
{
	struct ktls_ctx *sctx = ktls_ctx_new(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	assert_non_null(sctx);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.s), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.s),
			       "ktls_ctx_add_identity"));
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_send_recv_before_handshake_return_einval),
		T(test_conn_set_opt_after_handshake_returns_einval),
		T(test_conn_handshake_without_peer_name_returns_einval),
		T(test_conn_handshake_without_peer_name_insecure_succeeds),
		T(test_conn_handshake_server_without_identity_returns_einval),
	};
	return cmocka_run_group_tests_name("conn-misuse", tests,
					   th_conn_setup, th_conn_teardown);
}
