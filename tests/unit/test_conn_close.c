// SPDX-License-Identifier: MIT
/*
 * test_conn_close.c - how a connection ends (conn.c, record.c):
 * a peer that goes away during the handshake or after it, with or
 * without close_notify, and records that end it with one fatal alert.
 *
 * Whole TLS connections in one process: a loopback TCP pair with both
 * ends non-blocking, both handshakes driven by one poll() loop (the
 * fixtures in tests/helpers.h); the certificates of tests/pki/mkpki in
 * build/pki.  The files test_conn_*.c were one test_conn.c.
 *
 * Where the record layer runs depends on the kernel: a connection must be
 * offloaded exactly where ktls_caps_probe() finds that the kernel takes
 * its version and cipher, and everywhere when KTLS_REQUIRE_KTLS=1 (the
 * kTLS tier, inside the VM), so that no case passes silently in software.
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

/* The server's socket goes away after the client's hello (unread: a
 * reset). */
static void test_conn_handshake_peer_reset_returns_econnreset(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	int ret, round;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	th_drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < TH_MAX_ROUNDS);
		th_wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, -ECONNRESET);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "closed"));
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * The server reads the hello, answers, and its socket closes (end of
 * stream) before the handshake is over.  A TLS 1.2 client still waits for
 * the server's Finished and fails; a TLS 1.3 client has all it needs and
 * finishes, and its first read fails instead.  Neither sees end of file.
 */
static void test_conn_handshake_peer_eof_returns_econnreset(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	char buf[16];
	int ret, round;

	(void)state;
	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, KTLS_TLS_1_2, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	th_drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < TH_MAX_ROUNDS);
		th_wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, -ECONNRESET);
	th_link_close(&l);

	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, KTLS_TLS_1_3, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	th_drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < TH_MAX_ROUNDS);
		th_wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, 0);
	assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)), -ECONNRESET);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * The client, in software, writes a record of its own making on the raw
 * socket; the server (offloaded wherever the kernel can) must refuse it
 * with @want from ktls_recv(), keep refusing, and send exactly one fatal
 * alert @alert, through the kernel when RX and TX are there.
 */
static void bad_record_gets_alert(const uint8_t *rec, size_t len, int want,
				  int alert)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	for (i = 0; i < 2; i++) {
		char buf[64];

		th_link_open(&l, cctx, sctx);
		assert_int_equal(ktls_conn_set_opt(l.c,
						   KTLS_OPT_FORCE_SOFTWARE, 1),
				 0);
		th_link_pin(&l, versions[i], NULL);
		th_handshake(&l);
		th_check_offload(l.s);
		th_transfer(l.c, l.s, 1000, 21);
		assert_int_equal(send(l.fds[0], rec, len, 0), (ssize_t)len);
		if (th_recv_wait(l.s, buf, sizeof(buf)) != want)
			fail_msg("server: %s", ktls_conn_errstr(l.s));
		assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), want);
		assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)),
				 -ECONNABORTED);
		assert_int_equal(ktls_conn_alert(l.c), alert);
		/* One alert: nothing more is on its way. */
		assert_int_equal(recv(l.fds[0], buf, sizeof(buf),
				      MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A forged application data record: bad_record_mac (RFC 8446 5.2). */
static void test_recv_forged_record_sends_bad_record_mac(void **state)
{
	uint8_t rec[5 + 64] = { KTLS_CT_APPDATA, 3, 3, 0, 64 };

	(void)state;
	memset(rec + 5, 0xa5, sizeof(rec) - 5);
	bad_record_gets_alert(rec, sizeof(rec), -EBADMSG, 20);
}

/* A record longer than 2^14 + 256: record_overflow, from its header. */
static void test_recv_oversized_record_sends_record_overflow(void **state)
{
	uint8_t rec[5 + 64] = { KTLS_CT_APPDATA, 3, 3, 0x42, 0x00 };

	(void)state;
	bad_record_gets_alert(rec, sizeof(rec), -EMSGSIZE, 22);
}

/*
 * After the handshake the server's socket closes without close_notify:
 * the client reads what was sent, then -ECONNRESET, never end of file.
 * In both versions.
 */
static void test_recv_without_close_notify_returns_econnreset(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		char buf[64];

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		th_handshake(&l);
		th_transfer(l.c, l.s, 1000, 17);
		assert_int_equal(ktls_send(l.s, "last", 4), 4);
		th_drop_server(&l);
		assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)), 4);
		assert_memory_equal(buf, "last", 4);
		assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)),
				 -ECONNRESET);
		assert_non_null(strstr(ktls_conn_errstr(l.c),
				       "close_notify"));
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Sibling: with close_notify first, the same close reads as end of
 * file. */
static void test_recv_after_close_notify_returns_eof(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	char buf[64];

	(void)state;
	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	assert_int_equal(ktls_send(l.s, "last", 4), 4);
	th_close_notify(l.s);
	th_drop_server(&l);
	assert_int_equal(th_recv_wait(l.c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "last", 4);
	th_expect_eof(l.c);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_handshake_peer_reset_returns_econnreset),
		T(test_conn_handshake_peer_eof_returns_econnreset),
		T(test_recv_without_close_notify_returns_econnreset),
		T(test_recv_forged_record_sends_bad_record_mac),
		T(test_recv_oversized_record_sends_record_overflow),
		T(test_recv_after_close_notify_returns_eof),
	};
	return cmocka_run_group_tests_name("conn-close", tests,
					   th_conn_setup, th_conn_teardown);
}
