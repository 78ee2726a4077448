// SPDX-License-Identifier: MIT
/*
 * test_identity.c - ktls_ctx_replace_identity() (ctx.c, identity.c): new
 * handshakes present the new certificate, handshakes already started
 * finish with the one they started with, and a replacement that fails
 * leaves the old identity in place with the reason.
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h).  The certificate a connection got is the
 * DER its client saw (ktls_conn_peer_cert()), compared with what
 * reference servers holding only the EC or only the RSA identity send.
 */
#include <errno.h>
#include <pthread.h>
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

#define EC_CHAIN TH_PKI "server-ec-chain.pem"
#define EC_KEY TH_PKI "server-ec.key"
#define RSA_CHAIN TH_PKI "server-rsa-chain.pem"
#define RSA_KEY TH_PKI "server-rsa.key"

struct der {
	uint8_t buf[4096];
	size_t len;
};

/* The leaf certificate the client of @l saw, after its handshake. */
static void peer_leaf(struct th_link *l, struct der *out)
{
	const uint8_t *der;
	size_t len;

	assert_int_equal(ktls_conn_peer_cert(l->c, 0, &der, &len), 0);
	assert_true(len > 0 && len <= sizeof(out->buf));
	memcpy(out->buf, der, len);
	out->len = len;
}

static bool same(const struct der *a, const struct der *b)
{
	return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

/* What a server with only @chain and @key presents. */
static void reference(struct ktls_ctx *cctx, const char *chain,
		      const char *key, struct der *out)
{
	struct ktls_ctx *sctx = th_server_ctx(chain, key);
	struct th_link l;

	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	peer_leaf(&l, out);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(sctx);
}

/* Start the server's side of a handshake (it takes its identities and
 * waits for the ClientHello). */
static void start_server(struct th_link *l)
{
	assert_int_equal(ktls_conn_handshake(l->s), -EAGAIN);
}

static void finish(struct th_link *l, struct der *out)
{
	th_handshake(l);
	peer_leaf(l, out);
	th_close_both(l);
	th_link_close(l);
}

/*
 * EC, then RSA, then EC again: each connection gets what its handshake
 * started with, including one started between two replacements (it holds
 * the RSA identity the context no longer has).
 */
static void test_ctx_replace_identity_new_and_in_flight(void **state)
{
	struct ktls_ctx *cctx = th_client_ctx();
	struct ktls_ctx *sctx = th_server_ctx(EC_CHAIN, EC_KEY);
	struct der ec, rsa, got;
	struct th_link a, b, c;

	(void)state;
	reference(cctx, EC_CHAIN, EC_KEY, &ec);
	reference(cctx, RSA_CHAIN, RSA_KEY, &rsa);
	assert_false(same(&ec, &rsa));

	th_link_open(&a, cctx, sctx);
	start_server(&a);			/* on EC */
	assert_int_equal(ktls_ctx_replace_identity(sctx, 0, RSA_CHAIN,
						   RSA_KEY), 0);
	th_link_open(&b, cctx, sctx);
	start_server(&b);			/* on RSA */
	assert_int_equal(ktls_ctx_replace_identity(sctx, 0, EC_CHAIN,
						   EC_KEY), 0);
	th_link_open(&c, cctx, sctx);		/* on EC again */

	finish(&a, &got);
	assert_true(same(&got, &ec));
	finish(&b, &got);
	assert_true(same(&got, &rsa));
	finish(&c, &got);
	assert_true(same(&got, &ec));
	ktls_ctx_free(sctx);
	ktls_ctx_free(cctx);
}

/* A failed replacement changes nothing and says why. */
static void test_ctx_replace_identity_failure_keeps_old(void **state)
{
	struct ktls_ctx *cctx = th_client_ctx();
	struct ktls_ctx *sctx = th_server_ctx(EC_CHAIN, EC_KEY);
	struct der ec, got;
	struct th_link l;

	(void)state;
	reference(cctx, EC_CHAIN, EC_KEY, &ec);
	assert_int_equal(ktls_ctx_replace_identity(sctx, 0, RSA_CHAIN,
						   EC_KEY), -EKEYREJECTED);
	assert_non_null(strstr(ktls_ctx_errstr(sctx), "does not match"));
	assert_int_equal(ktls_ctx_replace_identity(sctx, 0, TH_PKI "nope.pem",
						   EC_KEY), -ENOENT);
	assert_non_null(strstr(ktls_ctx_errstr(sctx), "nope.pem"));
	assert_int_equal(ktls_ctx_replace_identity(sctx, 0, TH_PKI "ca.crl.pem",
						   EC_KEY), -EBADMSG);
	assert_int_equal(ktls_ctx_replace_identity(sctx, 1, RSA_CHAIN,
						   RSA_KEY), -ENOENT);
	assert_int_equal(ktls_ctx_replace_identity(NULL, 0, RSA_CHAIN,
						   RSA_KEY), -EINVAL);
	th_link_open(&l, cctx, sctx);
	finish(&l, &got);
	assert_true(same(&got, &ec));
	ktls_ctx_free(sctx);
	ktls_ctx_free(cctx);
}

/* A context with no identity has none to replace. */
static void test_ctx_replace_identity_needs_one(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_replace_identity(ctx, 0, EC_CHAIN, EC_KEY),
			 -ENOENT);
	ktls_ctx_free(ctx);
}

struct flipper {
	struct ktls_ctx *ctx;
	volatile bool stop;
	int fails;
	unsigned int rounds;
};

static void *flip(void *arg)
{
	struct flipper *f = arg;

	while (!f->stop) {
		if (ktls_ctx_replace_identity(f->ctx, 0, (f->rounds & 1) ?
					      EC_CHAIN : RSA_CHAIN,
					      (f->rounds & 1) ? EC_KEY :
					      RSA_KEY) < 0)
			f->fails++;
		f->rounds++;
	}
	return NULL;
}

/*
 * Handshakes on this thread while another replaces the identity in a
 * loop: each one completes with one of the two certificates (the memory
 * tier runs this under ASan, which sees a use after free).
 */
static void test_ctx_replace_identity_concurrent(void **state)
{
	struct ktls_ctx *cctx = th_client_ctx();
	struct ktls_ctx *sctx = th_server_ctx(EC_CHAIN, EC_KEY);
	struct flipper f = { .ctx = sctx };
	struct der ec, rsa, got;
	struct th_link l;
	pthread_t t;
	int i;

	(void)state;
	reference(cctx, EC_CHAIN, EC_KEY, &ec);
	reference(cctx, RSA_CHAIN, RSA_KEY, &rsa);
	assert_int_equal(pthread_create(&t, NULL, flip, &f), 0);
	for (i = 0; i < 20; i++) {
		th_link_open(&l, cctx, sctx);
		finish(&l, &got);
		assert_true(same(&got, &ec) || same(&got, &rsa));
	}
	f.stop = true;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(f.fails, 0);
	assert_true(f.rounds > 0);
	ktls_ctx_free(sctx);
	ktls_ctx_free(cctx);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_ctx_replace_identity_new_and_in_flight),
		T(test_ctx_replace_identity_failure_keeps_old),
		T(test_ctx_replace_identity_needs_one),
		T(test_ctx_replace_identity_concurrent),
	};
	return cmocka_run_group_tests_name("identity", tests,
					   th_conn_setup, th_conn_teardown);
}
