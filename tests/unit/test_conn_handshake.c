// SPDX-License-Identifier: MIT
/*
 * test_conn_handshake.c - handshakes end to end (conn.c, record.c):
 * every version and cipher negotiated, with data both ways and
 * close_notify; no cipher or version in common; a non-blocking fd; after
 * a failure; the record layer kept in software on request.
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

/* --- 1. versions and ciphers ------------------------------------------- */

struct variant {
	const char *name;		/* the test's name in the report */
	uint16_t version;
	enum ktls_cipher cipher;
};

#define VARIANT(ver, vname, c, cname)					\
	{ "test_conn_handshake_negotiates_version_and_cipher/" vname	\
	  "/" cname, ver, c }

static const struct variant variants[] = {
	VARIANT(KTLS_TLS_1_2, "TLS1.2", KTLS_CIPHER_AES_128_GCM,
		"AES-128-GCM"),
	VARIANT(KTLS_TLS_1_2, "TLS1.2", KTLS_CIPHER_AES_256_GCM,
		"AES-256-GCM"),
	VARIANT(KTLS_TLS_1_2, "TLS1.2", KTLS_CIPHER_CHACHA20_POLY1305,
		"CHACHA20-POLY1305"),
	VARIANT(KTLS_TLS_1_2, "TLS1.2", KTLS_CIPHER_AES_128_CCM,
		"AES-128-CCM"),
	VARIANT(KTLS_TLS_1_3, "TLS1.3", KTLS_CIPHER_AES_128_GCM,
		"AES-128-GCM"),
	VARIANT(KTLS_TLS_1_3, "TLS1.3", KTLS_CIPHER_AES_256_GCM,
		"AES-256-GCM"),
	VARIANT(KTLS_TLS_1_3, "TLS1.3", KTLS_CIPHER_CHACHA20_POLY1305,
		"CHACHA20-POLY1305"),
	VARIANT(KTLS_TLS_1_3, "TLS1.3", KTLS_CIPHER_AES_128_CCM,
		"AES-128-CCM"),
};

#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

/*
 * Both sides pinned to one version and one cipher: that is what is
 * negotiated, the record layer is where the kernel allows, 100 KB cross
 * intact each way, and each close_notify reads as end of file.
 */
static void test_conn_handshake_negotiates_version_and_cipher(void **state)
{
	const struct variant *v = *state;
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, v->version, ktls_cipher_name(v->cipher));
	th_handshake(&l);

	assert_int_equal(ktls_conn_version(l.c), v->version);
	assert_int_equal(ktls_conn_version(l.s), v->version);
	assert_int_equal(ktls_conn_cipher(l.c), v->cipher);
	assert_int_equal(ktls_conn_cipher(l.s), v->cipher);
	assert_int_equal(ktls_conn_verify_result(l.c), KTLS_VERIFY_OK);
	assert_false(ktls_conn_resumed(l.c));
	assert_false(ktls_conn_resumed(l.s));
	th_check_offload(l.c);
	th_check_offload(l.s);

	th_transfer(l.c, l.s, TH_XFER_LEN, 1);
	th_transfer(l.s, l.c, TH_XFER_LEN, 2);
	th_close_both(&l);

	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Disjoint cipher lists: both sides fail, neither waits for ever. */
static void test_conn_handshake_fails_without_common_cipher(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		int sret;

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		assert_int_equal(ktls_conn_set_ciphers(l.c, "AES-128-GCM"), 0);
		assert_int_equal(ktls_conn_set_ciphers(l.s,
						       "CHACHA20-POLY1305"), 0);
		th_handshake_fails(&l, -ECONNABORTED, &sret);
		/* The server found nothing in common and said so. */
		assert_int_equal(sret, -EPROTO);
		assert_int_equal(ktls_conn_alert(l.c), 40);
		assert_int_equal(ktls_conn_version(l.c), 0);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_handshake_fails_without_common_version(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	int sret;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_VERSION_MAX,
					   KTLS_TLS_1_2), 0);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), 0);
	th_handshake_fails(&l, -ECONNABORTED, &sret);
	/* The server found no version in common and said so. */
	assert_int_equal(sret, -EPROTO);
	/* protocol_version */
	assert_int_equal(ktls_conn_alert(l.c), 70);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * On non-blocking fds the first calls would block: the client has sent
 * its hello and waits to read, the server waits for it.  Once done, the
 * handshake returns 0 again.
 */
static void test_conn_handshake_returns_eagain_on_nonblocking_fd(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	assert_int_equal(ktls_conn_events(l.s), POLLIN);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_events(l.c), POLLIN);
	assert_string_equal(ktls_conn_errstr(l.c), "");
	th_handshake(&l);
	assert_int_equal(ktls_conn_handshake(l.c), 0);
	assert_int_equal(ktls_conn_handshake(l.s), 0);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* After a failed handshake the connection is done for. */
static void test_conn_handshake_after_failure_returns_einval(void **state)
{
	struct ktls_ctx *sctx = th_server_ctx(TH_PKI "wronghost-chain.pem",
					      TH_PKI "wronghost.key");
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	th_handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EINVAL);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* KTLS_OPT_FORCE_SOFTWARE keeps the record layer in wolfSSL, and says
 * why; the data still flows. */
static void test_conn_offloaded_false_with_force_software(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	th_handshake(&l);
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_RX));
	assert_false(ktls_conn_offloaded(l.s, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.s, KTLS_DIR_RX));
	assert_non_null(strstr(ktls_conn_offload_reason(l.c), "option"));
	assert_non_null(strstr(ktls_conn_offload_reason(l.s), "option"));
	th_transfer(l.c, l.s, TH_XFER_LEN, 3);
	th_transfer(l.s, l.c, TH_XFER_LEN, 4);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * The other end of a software connection is offloaded where the kernel
 * allows: the two record layers talk to each other.
 */
static void test_conn_offloaded_force_software_one_side_interoperates(
	void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	th_handshake(&l);
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_RX));
	th_check_offload(l.s);
	th_transfer(l.c, l.s, TH_XFER_LEN, 5);
	th_transfer(l.s, l.c, TH_XFER_LEN, 6);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_opt_rejects_bad_force_software(void **state)
{
	struct ktls_ctx *cctx = th_client_ctx();
	struct ktls_conn *conn = ktls_conn_new(cctx, 0, KTLS_ROLE_CLIENT);

	(void)state;
	assert_non_null(conn);
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_FORCE_SOFTWARE, 2),
			 -EINVAL);
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_FORCE_SOFTWARE, -1),
			 -EINVAL);
	assert_true(ktls_conn_errstr(conn)[0] != '\0');
	ktls_conn_free(conn);
	ktls_ctx_free(cctx);
}

/* --- the group --------------------------------------------------------- */

#define MATRIX(i)							\
	cmocka_unit_test_prestate(					\
		test_conn_handshake_negotiates_version_and_cipher,	\
		(void *)&variants[i])
#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		MATRIX(0), MATRIX(1), MATRIX(2), MATRIX(3),
		MATRIX(4), MATRIX(5), MATRIX(6), MATRIX(7),
		T(test_conn_handshake_fails_without_common_cipher),
		T(test_conn_handshake_fails_without_common_version),
		T(test_conn_handshake_returns_eagain_on_nonblocking_fd),
		T(test_conn_handshake_after_failure_returns_einval),
		T(test_conn_offloaded_false_with_force_software),
		T(test_conn_offloaded_force_software_one_side_interoperates),
		T(test_conn_set_opt_rejects_bad_force_software),
	};
	size_t i;

	/* Each variant of the matrix under its own name. */
	for (i = 0; i < N_VARIANTS; i++) {
		if (tests[i].initial_state != &variants[i])
			return 1;
		tests[i].name = variants[i].name;
	}
	return cmocka_run_group_tests_name("conn-handshake", tests,
					   th_conn_setup, th_conn_teardown);
}
