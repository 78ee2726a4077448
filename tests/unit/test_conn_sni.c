// SPDX-License-Identifier: MIT
/*
 * test_conn_sni.c - how a server picks its identity (identity.c): by the
 * names in its certificates by default, by the application's sni
 * callback when it has one, which sees the client's server name and the
 * key types its signature algorithms accept, and may refuse.
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h); the server has the test PKI's RSA and EC
 * certificates for localhost, and one for wrong.example.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

/* The server's identities, in the order they are added. */
enum { ID_RSA, ID_EC, ID_WRONG };

struct sni_log {
	int calls;
	char name[256];
	bool had_name;
	unsigned int sigs;
	int ret;			/* what the callback answers */
};

static int on_sni(struct ktls_conn *conn, const char *name,
		  unsigned int sigs, void *arg)
{
	struct sni_log *log = arg;

	assert_int_equal(ktls_conn_role(conn), KTLS_ROLE_SERVER);
	log->calls++;
	log->had_name = name != NULL;
	snprintf(log->name, sizeof(log->name), "%s", name ? name : "");
	log->sigs = sigs;
	return log->ret;
}

static const struct ktls_callbacks sni_cbs = { .sni = on_sni };

static struct ktls_ctx *three_identity_server_ctx(void)
{
	struct ktls_ctx *ctx = th_server_ctx(TH_PKI "server-rsa-chain.pem",
					     TH_PKI "server-rsa.key");

	assert_int_equal(ktls_ctx_add_identity(ctx, TH_PKI
					       "server-ec-chain.pem",
					       TH_PKI "server-ec.key"), 0);
	assert_int_equal(ktls_ctx_add_identity(ctx, TH_PKI
					       "wronghost-chain.pem",
					       TH_PKI "wronghost.key"), 0);
	return ctx;
}

/* The subject of the certificate the client was shown. */
static void peer_subject(const struct ktls_conn *c, char *buf, size_t size)
{
	const uint8_t *der;
	size_t len;

	assert_int_equal(ktls_conn_peer_cert(c, 0, &der, &len), 0);
	assert_true(ktls_cert_subject(der, len, buf, size) > 0);
}

/* Whether the client was shown the EC certificate: the test PKI's EC
 * leaf, compared byte for byte. */
static bool peer_is_ec(const struct ktls_conn *c)
{
	const uint8_t *der;
	uint8_t ec[4096];
	size_t len, ec_len;
	FILE *f = fopen(TH_PKI "server-ec.der", "rb");

	assert_non_null(f);
	ec_len = fread(ec, 1, sizeof(ec), f);
	fclose(f);
	assert_true(ec_len > 0 && ec_len < sizeof(ec));
	assert_int_equal(ktls_conn_peer_cert(c, 0, &der, &len), 0);
	return len == ec_len && !memcmp(der, ec, len);
}

/*
 * The callback picks the EC identity, which the default never would (the
 * RSA one comes first and also names localhost); it is given the name and
 * the key types the client accepts (libktls clients accept both).  The
 * control: without the callback the same client gets the RSA one.
 */
static void test_sni_callback_picks_identity(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = three_identity_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct sni_log log = { .ret = ID_EC };
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		th_handshake(&l);
		assert_false(peer_is_ec(l.c));
		th_close_both(&l);
		th_link_close(&l);

		memset(&log, 0, sizeof(log));
		log.ret = ID_EC;
		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		assert_int_equal(ktls_conn_set_callbacks(l.s, &sni_cbs, &log),
				 0);
		th_handshake(&l);
		assert_int_equal(log.calls, 1);
		assert_true(log.had_name);
		assert_string_equal(log.name, TH_PEER_NAME);
		assert_true(log.sigs & KTLS_SIG_ECDSA);
		assert_true(log.sigs & KTLS_SIG_RSA);
		assert_true(peer_is_ec(l.c));
		th_transfer(l.s, l.c, 1000, 40);
		th_close_both(&l);
		th_link_close(&l);
		ktls_ctx_flush_sessions(cctx);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Without the callback the certificate that names the client's server
 * name is chosen: the third identity for wrong.example. */
static void test_sni_default_matches_san(void **state)
{
	struct ktls_ctx *sctx = three_identity_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_link l;
	char subject[256];

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_peer_name(l.c, "wrong.example"), 0);
	th_handshake(&l);
	peer_subject(l.c, subject, sizeof(subject));
	TH_ASSERT_CONTAINS(subject, "wrong.example");
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A client that names an IP address sends no SNI: the callback gets
 * NULL, and its choice still counts. */
static void test_sni_callback_gets_null_without_sni(void **state)
{
	struct ktls_ctx *sctx = three_identity_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct sni_log log = { .ret = ID_EC, .had_name = true };
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_peer_name(l.c, "127.0.0.1"), 0);
	assert_int_equal(ktls_conn_set_callbacks(l.s, &sni_cbs, &log), 0);
	th_handshake(&l);
	assert_int_equal(log.calls, 1);
	assert_false(log.had_name);
	assert_true(peer_is_ec(l.c));
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A refusal ends the handshake with the callback's errno, in both
 * versions; the client gets unrecognized_name (112). */
static void test_sni_callback_refuses(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = three_identity_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct sni_log log = { .ret = -EPERM };
	struct th_link l;
	size_t i;
	int sret;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &sni_cbs, &log);
	for (i = 0; i < 2; i++) {
		log.calls = 0;
		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[i], NULL);
		th_handshake_fails(&l, -ECONNABORTED, &sret);
		assert_int_equal(sret, -EPERM);
		assert_int_equal(ktls_conn_alert(l.c), 112);
		TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s),
				   "sni callback refused \"localhost\"");
		assert_int_equal(log.calls, 1);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* An index with no identity behind it fails the handshake with -EINVAL
 * rather than presenting some other certificate. */
static void test_sni_callback_bad_index_fails(void **state)
{
	struct ktls_ctx *sctx = three_identity_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct sni_log log = { .ret = 7 };
	struct th_link l;
	int sret;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &sni_cbs, &log);
	th_link_open(&l, cctx, sctx);
	th_handshake_fails(&l, 0, &sret);
	assert_int_equal(sret, -EINVAL);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "identity 7");
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_sni_callback_picks_identity),
		T(test_sni_default_matches_san),
		T(test_sni_callback_gets_null_without_sni),
		T(test_sni_callback_refuses),
		T(test_sni_callback_bad_index_fails),
	};
	return cmocka_run_group_tests_name("conn-sni", tests, th_conn_setup,
					   th_conn_teardown);
}
