// SPDX-License-Identifier: MIT
/*
 * test_psk.c - TLS 1.3 external PSKs (psk.c): a client with
 * ktls_conn_set_psk() against a server with a psk_find callback, with
 * SHA-256 and SHA-384 keys; a wrong key, an unknown identity, a server
 * without the callback, a callback that fails; the setter's refusals;
 * and the client's copy of the key wiped once the handshake ends.
 *
 * Whole TLS connections in one process over a loopback TCP pair, driven
 * by the fixtures of tests/helpers.h.
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

#define NVME_ID "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:host " \
		"nqn.2014-08.org.nvmexpress:uuid:subsys"
#define NVME_ID_384 "NVMe0R02 nqn.2014-08.org.nvmexpress:uuid:host " \
		    "nqn.2014-08.org.nvmexpress:uuid:subsys"

/* The server's key store: one identity, its key and hash; what the
 * callback was asked. */
struct store {
	const char *identity;
	uint8_t key[KTLS_PSK_KEY_MAX];
	size_t len;
	enum ktls_psk_hash hash;
	int fail;			/* returned instead of a lookup */
	struct ktls_conn *conn;		/* the connection it must see */
	int calls;
	char asked[KTLS_PSK_IDENTITY_MAX + 1];
};

static int find(struct ktls_conn *conn, const char *identity, uint8_t *key,
		size_t *len, enum ktls_psk_hash *hash, void *arg)
{
	struct store *st = arg;

	st->calls++;
	if (st->conn)
		assert_ptr_equal(conn, st->conn);
	assert_int_equal(*len, KTLS_PSK_KEY_MAX);
	snprintf(st->asked, sizeof(st->asked), "%s", identity);
	if (st->fail)
		return st->fail;
	if (strcmp(identity, st->identity))
		return -ENOENT;
	memcpy(key, st->key, st->len);
	*len = st->len;
	*hash = st->hash;
	return 0;
}

static const struct ktls_callbacks find_cb = { .psk_find = find };

static void fill(uint8_t *key, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		key[i] = (uint8_t)(seed + i * 7);
}

static void store_init(struct store *st, const char *identity, size_t len,
		       enum ktls_psk_hash hash)
{
	memset(st, 0, sizeof(*st));
	st->identity = identity;
	st->len = len;
	st->hash = hash;
	fill(st->key, len, 0x42);
}

/* A server context with the callback and no certificate: a PSK-only
 * server, as an NVMe/TCP target. */
static struct ktls_ctx *psk_server_ctx(struct store *st)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	assert_non_null(ctx);
	ktls_ctx_set_callbacks(ctx, &find_cb, st);
	return ctx;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void psk_handshake_ok(const char *identity, size_t len,
			     enum ktls_psk_hash hash, enum ktls_cipher want)
{
	struct store st;
	struct ktls_ctx *sctx = psk_server_ctx(&st);
	struct ktls_ctx *cctx = ktls_ctx_new();
	const uint8_t *der;
	size_t dlen;
	struct th_link l;

	store_init(&st, identity, len, hash);
	th_link_open(&l, cctx, sctx);
	st.conn = l.s;
	assert_int_equal(ktls_conn_set_psk(l.c, identity, st.key, len, hash),
			 0);
	assert_int_equal(l.c->psk.key_len, len);
	assert_null(ktls_conn_psk_identity(l.c));
	th_handshake(&l);
	assert_true(st.calls >= 1);
	assert_string_equal(st.asked, identity);
	assert_string_equal(ktls_conn_psk_identity(l.c), identity);
	assert_string_equal(ktls_conn_psk_identity(l.s), identity);
	assert_int_equal(ktls_conn_psk_hash(l.c), hash);
	assert_int_equal(ktls_conn_psk_hash(l.s), hash);
	assert_int_equal(ktls_conn_version(l.c), KTLS_TLS_1_3);
	assert_int_equal(ktls_conn_cipher(l.c), want);
	assert_int_equal(ktls_conn_cipher(l.s), want);
	assert_false(ktls_conn_resumed(l.c));
	/* No certificate either way. */
	assert_int_equal(ktls_conn_peer_cert(l.c, 0, &der, &dlen), -ENOENT);
	assert_int_equal(ktls_conn_peer_cert(l.s, 0, &der, &dlen), -ENOENT);
	/* The client's copy of the key is gone once the handshake ends. */
	assert_int_equal(l.c->psk.key_len, 0);
	assert_true(all_zero(l.c->psk.key, sizeof(l.c->psk.key)));
	/* The keys went to the kernel as for a certificate handshake. */
	th_check_offload(l.c);
	th_check_offload(l.s);
	th_transfer(l.c, l.s, TH_XFER_LEN, 3);
	th_transfer(l.s, l.c, TH_XFER_LEN, 4);
	/* A PSK client keeps no session, whatever tickets came. */
	assert_null(ktls_conn_get_session(l.c));
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_psk_sha256_handshake(void **state)
{
	(void)state;
	psk_handshake_ok(NVME_ID, 32, KTLS_PSK_SHA256,
			 KTLS_CIPHER_AES_128_GCM);
}

static void test_conn_set_psk_sha384_48_byte_key(void **state)
{
	(void)state;
	psk_handshake_ok(NVME_ID_384, 48, KTLS_PSK_SHA384,
			 KTLS_CIPHER_AES_256_GCM);
}

/* The client holds another key for the identity: the server's binder
 * check fails and both sides say so. */
static void test_conn_set_psk_wrong_key_fails(void **state)
{
	struct store st;
	struct ktls_ctx *sctx = psk_server_ctx(&st);
	struct ktls_ctx *cctx = ktls_ctx_new();
	uint8_t other[32];
	struct th_link l;
	int sret = 0;

	(void)state;
	store_init(&st, NVME_ID, 32, KTLS_PSK_SHA256);
	fill(other, sizeof(other), 0x43);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, NVME_ID, other, sizeof(other),
					   KTLS_PSK_SHA256), 0);
	th_handshake_fails(&l, -ECONNABORTED, &sret);
	assert_int_equal(sret, -EKEYREJECTED);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "binder did not verify");
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.c), "refused the PSK");
	/* RFC 8446 says decrypt_error; wolfSSL 5.7 sends
	 * illegal_parameter. */
	assert_true(ktls_conn_alert(l.c) == 51 || ktls_conn_alert(l.c) == 47);
	assert_null(ktls_conn_psk_identity(l.c));
	assert_null(ktls_conn_psk_identity(l.s));
	assert_true(all_zero(l.c->psk.key, sizeof(l.c->psk.key)));
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* An identity the store does not know, at a server without a
 * certificate: -ENOKEY there, and the client is told by an alert. */
static void test_psk_find_unknown_identity_fails(void **state)
{
	struct store st;
	struct ktls_ctx *sctx = psk_server_ctx(&st);
	struct ktls_ctx *cctx = ktls_ctx_new();
	struct th_link l;
	int sret = 0;

	(void)state;
	store_init(&st, NVME_ID, 32, KTLS_PSK_SHA256);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, "someone else", st.key, 32,
					   KTLS_PSK_SHA256), 0);
	th_handshake_fails(&l, -ECONNABORTED, &sret);
	assert_int_equal(sret, -ENOKEY);
	assert_string_equal(ktls_alert_name(ktls_conn_alert(l.c)),
			    "handshake_failure");
	assert_string_equal(st.asked, "someone else");
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "no key for the client's "
			   "PSK identity");
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A server with a certificate answers an unknown identity with it; the
 * PSK client refuses it with -ENOKEY. */
static void test_conn_set_psk_refuses_certificate_fallback(void **state)
{
	struct store st;
	struct ktls_ctx *sctx = th_ec_server_ctx();
	struct ktls_ctx *cctx = ktls_ctx_new();
	struct th_link l;

	(void)state;
	store_init(&st, NVME_ID, 32, KTLS_PSK_SHA256);
	ktls_ctx_set_callbacks(sctx, &find_cb, &st);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, "unknown", st.key, 32,
					   KTLS_PSK_SHA256), 0);
	th_handshake_fails(&l, -ENOKEY, NULL);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.c), "sent a certificate");
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A server without psk_find takes no PSK: with a certificate the client
 * refuses it, without one the server cannot start. */
static void test_psk_find_missing_refuses_psk(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx();
	struct ktls_ctx *bare = ktls_ctx_new();
	struct ktls_ctx *cctx = ktls_ctx_new();
	uint8_t key[32];
	struct th_link l;

	(void)state;
	fill(key, sizeof(key), 1);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, NVME_ID, key, sizeof(key),
					   KTLS_PSK_SHA256), 0);
	th_handshake_fails(&l, -ENOKEY, NULL);
	th_link_close(&l);

	th_link_open(&l, cctx, bare);
	assert_int_equal(ktls_conn_handshake(l.s), -EINVAL);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "psk_find");
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(bare);
	ktls_ctx_free(sctx);
}

/* psk_find's own error ends the server's handshake with it. */
static void test_psk_find_error_ends_handshake(void **state)
{
	struct store st;
	struct ktls_ctx *sctx = psk_server_ctx(&st);
	struct ktls_ctx *cctx = ktls_ctx_new();
	struct th_link l;
	int sret = 0;

	(void)state;
	store_init(&st, NVME_ID, 32, KTLS_PSK_SHA256);
	st.fail = -EACCES;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, NVME_ID, st.key, 32,
					   KTLS_PSK_SHA256), 0);
	th_handshake_fails(&l, 0, &sret);
	assert_int_equal(sret, -EACCES);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "psk_find");
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A server with psk_find and a certificate still serves certificate
 * clients, and says no PSK was used. */
static void test_psk_find_server_serves_certificate_clients(void **state)
{
	struct store st;
	struct ktls_ctx *sctx = th_ec_server_ctx();
	struct ktls_ctx *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	store_init(&st, NVME_ID, 32, KTLS_PSK_SHA256);
	ktls_ctx_set_callbacks(sctx, &find_cb, &st);
	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	assert_int_equal(st.calls, 0);
	assert_null(ktls_conn_psk_identity(l.s));
	assert_null(ktls_conn_psk_identity(l.c));
	assert_int_equal(ktls_conn_psk_hash(l.s), 0);
	th_transfer(l.c, l.s, 1000, 5);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* The setter's refusals, each with the state left as it was. */
static void test_conn_set_psk_rejects_bad_arguments(void **state)
{
	struct ktls_ctx *sctx = ktls_ctx_new(), *cctx = ktls_ctx_new();
	char long_id[KTLS_PSK_IDENTITY_MAX + 2];
	uint8_t key[KTLS_PSK_KEY_MAX + 1] = { 1 };
	struct th_link l;

	(void)state;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(NULL, "id", key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.s, "id", key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.s), "psk_find");
	assert_int_equal(ktls_conn_set_psk(l.c, "", key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, NULL, key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, long_id, key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, "id", key,
					   KTLS_PSK_KEY_MIN - 1,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, "id", key,
					   KTLS_PSK_KEY_MAX + 1,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, "id", NULL, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	assert_int_equal(ktls_conn_set_psk(l.c, "id", key, 32, 3), -EINVAL);
	assert_null(l.c->psk.identity);
	/* TLS 1.2 only: its PSK suites are refused by policy. */
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_VERSION_MAX,
					   KTLS_TLS_1_2), 0);
	assert_int_equal(ktls_conn_set_psk(l.c, "id", key, 32,
					   KTLS_PSK_SHA256), -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.c), "TLS 1.2 PSK");
	assert_null(l.c->psk.identity);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Set, replaced, then wiped with the connection; a PSK whose cipher the
 * policy leaves out fails before anything is sent. */
static void test_conn_set_psk_replace_and_cipher_policy(void **state)
{
	struct ktls_ctx *sctx = ktls_ctx_new(), *cctx = ktls_ctx_new();
	uint8_t key[48];
	struct th_link l;

	(void)state;
	fill(key, sizeof(key), 9);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_psk(l.c, "first", key, 32,
					   KTLS_PSK_SHA256), 0);
	assert_int_equal(ktls_conn_set_psk(l.c, "second", key, 48,
					   KTLS_PSK_SHA384), 0);
	assert_string_equal(l.c->psk.identity, "second");
	assert_int_equal(l.c->psk.key_len, 48);
	assert_memory_equal(l.c->psk.key, key, 48);
	assert_int_equal(ktls_conn_set_ciphers(l.c, "AES-128-GCM"), 0);
	assert_int_equal(ktls_conn_handshake(l.c), -EINVAL);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(l.c), "AES-256-GCM");
	/* A failed handshake wipes the key too. */
	assert_true(all_zero(l.c->psk.key, sizeof(l.c->psk.key)));
	assert_int_equal(ktls_conn_set_psk(l.c, "third", key, 32,
					   KTLS_PSK_SHA256), -EINVAL);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* TLS 1.2 PSK suite names are refused with the reason. */
static void test_ctx_set_ciphers_refuses_tls12_psk_suites(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "PSK-AES128-GCM-SHA256"),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "TLS 1.2 PSK");
	assert_int_equal(ktls_ctx_set_ciphers(ctx,
					      "ECDHE-PSK-CHACHA20-POLY1305"),
			 -EPROTONOSUPPORT);
	ktls_ctx_free(ctx);
}

/* NULL-safe getters. */
static void test_conn_psk_identity_null(void **state)
{
	(void)state;
	assert_null(ktls_conn_psk_identity(NULL));
	assert_int_equal(ktls_conn_psk_hash(NULL), 0);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_set_psk_sha256_handshake),
		T(test_conn_set_psk_sha384_48_byte_key),
		T(test_conn_set_psk_wrong_key_fails),
		T(test_psk_find_unknown_identity_fails),
		T(test_conn_set_psk_refuses_certificate_fallback),
		T(test_psk_find_missing_refuses_psk),
		T(test_psk_find_error_ends_handshake),
		T(test_psk_find_server_serves_certificate_clients),
		T(test_conn_set_psk_rejects_bad_arguments),
		T(test_conn_set_psk_replace_and_cipher_policy),
		T(test_ctx_set_ciphers_refuses_tls12_psk_suites),
		T(test_conn_psk_identity_null),
	};
	return cmocka_run_group_tests_name("psk", tests, th_conn_setup,
					   th_conn_teardown);
}
