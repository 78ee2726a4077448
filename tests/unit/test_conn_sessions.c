// SPDX-License-Identifier: MIT
/*
 * test_conn_sessions.c - session control on a connection (resume.c,
 * session.c): ktls_conn_invalidate_session() in the client cache, the
 * server's session-ID cache and on handles taken before, and
 * ktls_session_id().
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h); the certificates of tests/pki/mkpki in
 * build/pki.  Where the record layer runs depends on the kernel, as in
 * test_conn_resume.c.
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
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };

/* One connection to @lfd, its data read (a TLS 1.3 ticket taken in). */
static void connect_once(struct th_link *l, int lfd, struct ktls_ctx *cctx,
			 struct ktls_ctx *sctx, uint16_t version)
{
	th_link_open_to(l, lfd, cctx, sctx);
	th_link_pin(l, version, NULL);
	th_handshake(l);
	th_transfer(l->s, l->c, 1000, 30);
}

/*
 * A client that invalidates its session: the cache forgets it, the next
 * connection to the same port does a full handshake, and the handle
 * taken before can no longer be offered or exported.  Without the call
 * the same sequence resumes (the first round), so the test can fail.
 */
static void test_conn_invalidate_session_client_cache(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	int lfd = th_listener_open();
	struct th_link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct ktls_session *sess;
		uint8_t buf[16];

		/* Control: the cache resumes by itself. */
		connect_once(&l, lfd, cctx, sctx, versions[i]);
		th_close_both(&l);
		th_link_close(&l);
		connect_once(&l, lfd, cctx, sctx, versions[i]);
		assert_true(ktls_conn_resumed(l.c));

		sess = ktls_conn_get_session(l.c);
		assert_non_null(sess);
		assert_true(ktls_session_resumable(sess));
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 1);
		assert_int_equal(ktls_conn_invalidate_session(l.c), 0);
		assert_int_equal(ktls_conn_invalidate_session(l.c), 0);
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 0);
		assert_null(ktls_conn_get_session(l.c));
		assert_false(ktls_session_resumable(sess));
		assert_int_equal(ktls_session_export(cctx, sess, buf,
						     sizeof(buf)), -EINVAL);
		/* The connection itself goes on. */
		th_transfer(l.c, l.s, 2000, 31);
		th_transfer(l.s, l.c, 2000, 32);
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 0);
		th_close_both(&l);
		th_link_close(&l);

		connect_once(&l, lfd, cctx, sctx, versions[i]);
		assert_false(ktls_conn_resumed(l.c));
		assert_false(ktls_conn_resumed(l.s));
		th_close_both(&l);
		th_link_close(&l);

		/* The old handle is refused as an offer. */
		th_link_open_to(&l, lfd, cctx, sctx);
		assert_int_equal(ktls_conn_set_session(l.c, sess), -EINVAL);
		th_link_close(&l);
		ktls_session_free(sess);
		ktls_ctx_flush_sessions(cctx);
	}
	close(lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * A TLS 1.2 server without tickets resumes by session ID only; after the
 * server invalidates the session, the client's offer of it gets a full
 * handshake, though the client still holds it.  The control round shows
 * the offer resumes without the call.
 */
static void test_conn_invalidate_session_server_id_cache(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	int lfd = th_listener_open();
	struct ktls_session *sess;
	struct th_link l;
	int round;

	(void)state;
	assert_int_equal(ktls_ctx_set_opt(sctx, KTLS_OPT_SESSION_TICKETS, 0),
			 0);
	for (round = 0; round < 2; round++) {
		connect_once(&l, lfd, cctx, sctx, KTLS_TLS_1_2);
		assert_int_equal(ktls_cache_count(&sctx->server_cache), 1);
		sess = ktls_conn_get_session(l.c);
		assert_non_null(sess);
		if (round == 1) {
			assert_int_equal(ktls_conn_invalidate_session(l.s), 0);
			assert_int_equal(ktls_cache_count(&sctx->server_cache),
					 0);
			assert_null(ktls_conn_get_session(l.s));
		}
		th_close_both(&l);
		th_link_close(&l);

		th_link_open_to(&l, lfd, cctx, sctx);
		th_link_pin(&l, KTLS_TLS_1_2, NULL);
		assert_int_equal(ktls_conn_set_session(l.c, sess), 0);
		ktls_session_free(sess);
		th_handshake(&l);
		assert_int_equal(ktls_conn_resumed(l.s), round == 0);
		assert_int_equal(ktls_conn_resumed(l.c), round == 0);
		th_close_both(&l);
		th_link_close(&l);
		ktls_ctx_flush_sessions(cctx);
		ktls_ctx_flush_sessions(sctx);
	}
	close(lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * A TLS 1.2 client that resumed from its cache by session ID (the server
 * issues no tickets) invalidates the session it resumed: the cache entry
 * goes, and the next connection does a full handshake.
 */
static void test_conn_invalidate_session_resumed_by_id(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	int lfd = th_listener_open();
	struct th_link l;

	(void)state;
	assert_int_equal(ktls_ctx_set_opt(sctx, KTLS_OPT_SESSION_TICKETS, 0),
			 0);
	connect_once(&l, lfd, cctx, sctx, KTLS_TLS_1_2);
	th_close_both(&l);
	th_link_close(&l);
	connect_once(&l, lfd, cctx, sctx, KTLS_TLS_1_2);
	assert_true(ktls_conn_resumed(l.c));
	assert_int_equal(ktls_cache_count(&cctx->client_cache), 1);
	assert_int_equal(ktls_conn_invalidate_session(l.c), 0);
	assert_int_equal(ktls_cache_count(&cctx->client_cache), 0);
	th_close_both(&l);
	th_link_close(&l);
	connect_once(&l, lfd, cctx, sctx, KTLS_TLS_1_2);
	assert_false(ktls_conn_resumed(l.c));
	th_close_both(&l);
	th_link_close(&l);
	close(lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Before the handshake there is nothing to invalidate. */
static void test_conn_invalidate_session_rejects_misuse(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	assert_int_equal(ktls_conn_invalidate_session(NULL), -EINVAL);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_invalidate_session(l.c), -EINVAL);
	assert_int_equal(ktls_conn_invalidate_session(l.s), -EINVAL);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * A TLS 1.2 session's ID is the server's: 32 bytes, the same on both
 * ends; the length comes back with a NULL buffer, a short one is
 * refused and left alone.
 */
static void test_session_id_matches_server(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	uint8_t cid[KTLS_SESSION_ID_MAX], sid[KTLS_SESSION_ID_MAX];
	uint8_t small[KTLS_SESSION_ID_MAX - 1];
	struct ktls_session *cs, *ss, *cached;
	struct th_link l;
	ssize_t n;

	(void)state;
	assert_int_equal(ktls_ctx_set_opt(sctx, KTLS_OPT_SESSION_TICKETS, 0),
			 0);
	th_link_open(&l, cctx, sctx);
	th_link_pin(&l, KTLS_TLS_1_2, NULL);
	th_handshake(&l);
	cs = ktls_conn_get_session(l.c);
	ss = ktls_conn_get_session(l.s);
	assert_non_null(cs);
	assert_non_null(ss);
	n = ktls_session_id(cs, NULL, 0);
	assert_int_equal(n, KTLS_SESSION_ID_MAX);
	memset(small, 0xa5, sizeof(small));
	assert_int_equal(ktls_session_id(cs, small, sizeof(small)), -ENOSPC);
	assert_int_equal(small[0], 0xa5);
	assert_int_equal(ktls_session_id(cs, cid, sizeof(cid)), n);
	assert_int_equal(ktls_session_id(ss, sid, sizeof(sid)), n);
	assert_memory_equal(cid, sid, (size_t)n);
	/* The key of the server's cache. */
	cached = ktls_cache_get(&sctx->server_cache, sid, (size_t)n,
				ktls_now());
	assert_ptr_equal(cached, ss);
	ktls_session_free(cached);
	ktls_session_free(ss);
	ktls_session_free(cs);
	assert_int_equal(ktls_session_id(NULL, cid, sizeof(cid)), -EINVAL);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Two TLS 1.3 sessions (tickets) of two connections have IDs of their
 * own (wolfSSL gives a ticket session 32 bytes), never each other's. */
static void test_session_id_tls13_tells_sessions_apart(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	uint8_t id[2][KTLS_SESSION_ID_MAX];
	ssize_t n[2];
	struct th_link l;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct ktls_session *s;

		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, KTLS_TLS_1_3, NULL);
		th_handshake(&l);
		th_transfer(l.s, l.c, 1000, 33);
		s = ktls_conn_get_session(l.c);
		assert_non_null(s);
		n[i] = ktls_session_id(s, id[i], sizeof(id[i]));
		assert_true(n[i] > 0 && n[i] <= KTLS_SESSION_ID_MAX);
		ktls_session_free(s);
		th_close_both(&l);
		th_link_close(&l);
	}
	if (n[0] == n[1])
		assert_memory_not_equal(id[0], id[1], (size_t)n[0]);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_invalidate_session_client_cache),
		T(test_conn_invalidate_session_server_id_cache),
		T(test_conn_invalidate_session_resumed_by_id),
		T(test_conn_invalidate_session_rejects_misuse),
		T(test_session_id_matches_server),
		T(test_session_id_tls13_tells_sessions_apart),
	};
	return cmocka_run_group_tests_name("conn-sessions", tests,
					   th_conn_setup, th_conn_teardown);
}
