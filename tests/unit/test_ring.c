// SPDX-License-Identifier: MIT
/*
 * test_ring.c - io_uring on connections (libktls/src/ring.c): sends,
 * receives and file sends through a ktls_ring, checked byte for byte, in
 * both directions; close_notify, a reset and TLS 1.3 tickets seen by a
 * ring receive; misuse.  On a kernel with kTLS the connections are
 * offloaded (KTLS_REQUIRE_KTLS=1 makes that a must) and every case runs
 * once more with the record layer forced into software, so both paths of
 * the ring are covered wherever kTLS exists; on one without, software.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

#define PKI "build/pki/"
#define IDLE_MS 5000
#define BIG (3 * 1024 * 1024 + 12345)	/* several pipes, and a tail */

struct pair {
	int fds[2];
	struct ktls_ctx *cctx, *sctx;
	struct ktls_conn *c, *s;
};

static bool kernel_expected;		/* kTLS usable here */
static int ring_error;			/* io_uring unusable here: why */

/* Without io_uring (a kernel without it, or a sandbox that forbids it)
 * there is nothing to test: skip, saying why. */
#define NEED_RING()							\
	do {								\
		if (ring_error) {					\
			print_message("skip: no io_uring here: %s\n",	\
				      ktls_strerror(ring_error));	\
			skip();						\
		}							\
	} while (0)

static void pattern(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + seed + (i >> 12));
}

/* A handshaken pair over loopback TCP, both ends non-blocking. */
static void pair_open(struct pair *p, uint16_t version, bool software)
{
	const char *why = "";
	int cret = -EAGAIN, sret = -EAGAIN, rounds, i;

	memset(p, 0, sizeof(*p));
	p->cctx = ktls_ctx_new();
	p->sctx = ktls_ctx_new();
	assert_non_null(p->cctx);
	assert_non_null(p->sctx);
	assert_int_equal(ktls_ctx_load_ca_file(p->cctx, PKI "ca.pem"), 0);
	assert_int_equal(ktls_ctx_add_identity(p->sctx,
					       PKI "server-ec-chain.pem",
					       PKI "server-ec.key"), 0);
	assert_int_equal(ktls_ctx_set_opt(p->cctx, KTLS_OPT_VERSION_MAX,
					  version), 0);
	assert_int_equal(ktls_ctx_set_opt(p->cctx, KTLS_OPT_VERSION_MIN,
					  version), 0);
	assert_int_equal(ktls_ctx_set_opt(p->cctx, KTLS_OPT_FORCE_SOFTWARE,
					  software), 0);
	assert_int_equal(ktls_ctx_set_opt(p->sctx, KTLS_OPT_FORCE_SOFTWARE,
					  software), 0);
	if (ktls_tcp_pair(p->fds, &why) < 0)
		fail_msg("ktls_tcp_pair: %s", why);
	for (i = 0; i < 2; i++)
		assert_int_equal(fcntl(p->fds[i], F_SETFL, O_NONBLOCK), 0);
	p->c = ktls_conn_new(p->cctx, p->fds[0], KTLS_ROLE_CLIENT);
	p->s = ktls_conn_new(p->sctx, p->fds[1], KTLS_ROLE_SERVER);
	assert_non_null(p->c);
	assert_non_null(p->s);
	assert_int_equal(ktls_conn_set_peer_name(p->c, "localhost"), 0);
	for (rounds = 0; rounds < 1000 && (cret || sret); rounds++) {
		struct pollfd pfd[2] = {
			{ .fd = p->fds[0], .events = POLLIN | POLLOUT },
			{ .fd = p->fds[1], .events = POLLIN | POLLOUT },
		};

		if (cret == -EAGAIN)
			cret = ktls_conn_handshake(p->c);
		if (sret == -EAGAIN)
			sret = ktls_conn_handshake(p->s);
		if (cret != -EAGAIN && sret != -EAGAIN)
			break;
		assert_true(poll(pfd, 2, IDLE_MS) > 0);
	}
	if (cret || sret)
		fail_msg("handshake: client %d (%s), server %d (%s)", cret,
			 ktls_conn_errstr(p->c), sret, ktls_conn_errstr(p->s));
	if (software || !kernel_expected) {
		assert_false(ktls_conn_offloaded(p->c, KTLS_DIR_TX));
		assert_false(ktls_conn_offloaded(p->s, KTLS_DIR_RX));
	} else {
		assert_true(ktls_conn_offloaded(p->c, KTLS_DIR_TX));
		assert_true(ktls_conn_offloaded(p->c, KTLS_DIR_RX));
		assert_true(ktls_conn_offloaded(p->s, KTLS_DIR_TX));
		assert_true(ktls_conn_offloaded(p->s, KTLS_DIR_RX));
	}
}

static void pair_close(struct pair *p)
{
	ktls_conn_free(p->c);
	ktls_conn_free(p->s);
	if (p->fds[0] >= 0)
		close(p->fds[0]);
	if (p->fds[1] >= 0)
		close(p->fds[1]);
	ktls_ctx_free(p->cctx);
	ktls_ctx_free(p->sctx);
}

static struct ktls_ring *ring_new(void)
{
	struct ktls_ring *r = NULL;
	int ret = ktls_ring_new(0, &r);

	if (ret < 0)
		fail_msg("ktls_ring_new: %s", ktls_strerror(ret));
	assert_true(ktls_ring_fd(r) >= 0);
	return r;
}

/* Wait for exactly one completion. */
static struct ktls_ring_event wait_one(struct ktls_ring *r)
{
	struct ktls_ring_event ev;
	int n = ktls_ring_wait(r, &ev, 1, IDLE_MS);

	if (n != 1)
		fail_msg("ktls_ring_wait: %d (%s)", n,
			 n < 0 ? ktls_strerror(n) : "timed out");
	return ev;
}

/*
 * Move @len bytes from @from to @to in one ring: one send (or a sendfile
 * of @file_fd) against as many receives of @rlen as it takes; check what
 * arrived.
 */
static void move(struct ktls_ring *r, struct ktls_conn *from,
		 struct ktls_conn *to, const uint8_t *data, size_t len,
		 int file_fd, size_t rlen)
{
	uint8_t *got = malloc(len), *rbuf = malloc(rlen);
	size_t have = 0;
	bool sent = false;
	int tag_tx = 1, tag_rx = 2;

	assert_non_null(got);
	assert_non_null(rbuf);
	if (file_fd >= 0)
		assert_int_equal(ktls_ring_sendfile(r, from, file_fd, 0, len,
						    &tag_tx), 0);
	else
		assert_int_equal(ktls_ring_send(r, from, data, len, &tag_tx),
				 0);
	/* One send at a time per connection. */
	assert_int_equal(ktls_ring_send(r, from, data, 1, NULL), -EBUSY);
	assert_int_equal(ktls_ring_recv(r, to, rbuf, rlen, &tag_rx), 0);
	assert_int_equal(ktls_ring_recv(r, to, rbuf, rlen, NULL), -EBUSY);
	while (!sent || have < len) {
		struct ktls_ring_event ev = wait_one(r);

		if (ev.tag == &tag_tx) {
			assert_int_equal(ev.op, file_fd >= 0 ?
					 KTLS_RING_SENDFILE : KTLS_RING_SEND);
			assert_ptr_equal(ev.conn, from);
			if (ev.res != (ssize_t)len)
				fail_msg("send: %zd of %zu (%s)", ev.res, len,
					 ktls_conn_errstr(from));
			sent = true;
			continue;
		}
		assert_ptr_equal(ev.tag, &tag_rx);
		assert_int_equal(ev.op, KTLS_RING_RECV);
		if (ev.res <= 0)
			fail_msg("recv: %zd after %zu of %zu (%s)", ev.res,
				 have, len, ktls_conn_errstr(to));
		assert_true((size_t)ev.res <= rlen);
		assert_true(have + (size_t)ev.res <= len);
		memcpy(got + have, rbuf, (size_t)ev.res);
		have += (size_t)ev.res;
		if (have < len)
			assert_int_equal(ktls_ring_recv(r, to, rbuf, rlen,
							&tag_rx), 0);
	}
	assert_memory_equal(got, data, len);
	assert_int_equal(ktls_ring_pending(r), 0);
	free(got);
	free(rbuf);
}

static void run_both(void (*fn)(uint16_t version, bool software))
{
	fn(KTLS_TLS_1_3, false);
	fn(KTLS_TLS_1_2, false);
	if (kernel_expected) {
		fn(KTLS_TLS_1_3, true);
		fn(KTLS_TLS_1_2, true);
	}
}

static void send_and_recv(uint16_t version, bool software)
{
	uint8_t *data = malloc(BIG);
	struct ktls_ring *r = ring_new();
	struct pair p;

	assert_non_null(data);
	pattern(data, BIG, version + software);
	pair_open(&p, version, software);
	move(r, p.c, p.s, data, BIG, -1, 64 * 1024);	/* big reads */
	move(r, p.s, p.c, data, 100000, -1, 1000);	/* small reads */
	/* A TLS 1.3 client has the server's ticket once it read data. */
	if (version == KTLS_TLS_1_3) {
		struct ktls_session *s = ktls_conn_get_session(p.c);

		assert_non_null(s);
		assert_true(ktls_session_resumable(s));
		ktls_session_free(s);
	}
	ktls_ring_free(r);
	pair_close(&p);
	free(data);
}

static void test_ring_send_recv_moves_every_byte(void **state)
{
	(void)state;
	NEED_RING();
	run_both(send_and_recv);
}

static void sendfile_case(uint16_t version, bool software)
{
	char path[] = "/tmp/test_ring.XXXXXX";
	uint8_t *data = malloc(BIG), buf[16];
	struct ktls_ring *r = ring_new();
	struct ktls_ring_event ev;
	struct pair p;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_non_null(data);
	pattern(data, BIG, 7);
	assert_int_equal(write(fd, data, BIG), BIG);
	pair_open(&p, version, software);
	move(r, p.s, p.c, data, BIG, fd, 256 * 1024);
	/* From an offset; and past the end: stops at the end of the file. */
	assert_int_equal(ktls_ring_sendfile(r, p.s, fd, BIG - 10, 100, NULL),
			 0);
	ev = wait_one(r);
	assert_int_equal(ev.res, 10);
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	ev = wait_one(r);
	assert_int_equal(ev.res, 10);
	assert_memory_equal(buf, data + BIG - 10, 10);
	ktls_ring_free(r);
	pair_close(&p);
	close(fd);
	free(data);
}

static void test_ring_sendfile_sends_the_file(void **state)
{
	(void)state;
	NEED_RING();
	run_both(sendfile_case);
}

static void close_and_reset(uint16_t version, bool software)
{
	struct ktls_ring *r = ring_new();
	struct ktls_ring_event ev;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint8_t buf[32 * 1024];
	struct pair p;

	/* close_notify ends a ring receive with 0. */
	pair_open(&p, version, software);
	assert_int_equal(ktls_ring_send(r, p.s, "bye", 3, NULL), 0);
	ev = wait_one(r);
	assert_int_equal(ev.res, 3);
	assert_int_equal(ktls_close(p.s), 0);
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	ev = wait_one(r);
	assert_int_equal(ev.res, 3);
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	ev = wait_one(r);
	assert_int_equal(ev.res, 0);
	/* After ktls_close() no send is queued. */
	assert_int_equal(ktls_ring_send(r, p.s, "x", 1, NULL), -EPIPE);
	pair_close(&p);

	/* A reset is -ECONNRESET, never EOF. */
	pair_open(&p, version, software);
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(setsockopt(p.fds[1], SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)), 0);
	close(p.fds[1]);
	p.fds[1] = -1;
	ev = wait_one(r);
	assert_int_equal(ev.res, -ECONNRESET);
	ktls_ring_free(r);
	pair_close(&p);
}

static void test_ring_recv_sees_close_notify_and_reset(void **state)
{
	(void)state;
	NEED_RING();
	run_both(close_and_reset);
}

static void test_ring_rejects_misuse(void **state)
{
	struct ktls_ring *r;
	struct ktls_ctx *ctx;
	struct ktls_ring_event ev;
	struct ktls_conn *c;
	uint8_t buf[8];
	struct pair p;
	int fds[2];

	(void)state;
	NEED_RING();
	r = ring_new();
	ctx = ktls_ctx_new();
	assert_int_equal(ktls_ring_new(0, NULL), -EINVAL);
	assert_int_equal(ktls_ring_fd(NULL), -EINVAL);
	assert_int_equal(ktls_ring_wait(r, &ev, 0, 0), -EINVAL);
	/* Nothing in flight: nothing to wait for. */
	assert_int_equal(ktls_ring_wait(r, &ev, 1, 10), 0);
	/* Before the handshake. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	c = ktls_conn_new(ctx, fds[0], KTLS_ROLE_CLIENT);
	assert_non_null(c);
	assert_int_equal(ktls_ring_send(r, c, buf, 1, NULL), -EINVAL);
	assert_int_equal(ktls_ring_recv(r, c, buf, 1, NULL), -EINVAL);
	ktls_conn_free(c);
	close(fds[0]);
	close(fds[1]);
	pair_open(&p, KTLS_TLS_1_3, false);
	assert_int_equal(ktls_ring_send(r, p.c, buf, 0, NULL), -EINVAL);
	assert_int_equal(ktls_ring_send(r, p.c, NULL, 1, NULL), -EINVAL);
	assert_int_equal(ktls_ring_sendfile(r, p.c, -1, 0, 1, NULL), -EINVAL);
	assert_int_equal(ktls_ring_sendfile(r, p.c, 0, -1, 1, NULL), -EINVAL);
	/* A ring freed with a receive in flight cancels it (no leak). */
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(ktls_ring_pending(r), 1);
	assert_int_equal(ktls_ring_wait(r, &ev, 1, 0), 0);
	ktls_ring_free(r);
	/* ... and the connection can queue again on another ring. */
	r = ring_new();
	assert_int_equal(ktls_ring_send(r, p.s, "ok", 2, NULL), 0);
	assert_int_equal(ktls_ring_recv(r, p.c, buf, sizeof(buf), NULL), 0);
	assert_int_equal(wait_one(r).res, 2);
	assert_int_equal(wait_one(r).res, 2);
	ktls_ring_free(r);
	pair_close(&p);
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_send_recv_moves_every_byte),
		cmocka_unit_test(test_ring_sendfile_sends_the_file),
		cmocka_unit_test(test_ring_recv_sees_close_notify_and_reset),
		cmocka_unit_test(test_ring_rejects_misuse),
	};
	struct ktls_caps *caps = NULL;
	struct ktls_ring *r = NULL;
	ring_error = ktls_ring_new(0, &r);
	ktls_ring_free(r);
	if (ktls_caps_probe(&caps) == 0) {
		kernel_expected = ktls_caps_usable(caps);
		ktls_caps_free(caps);
	}
	if (th_ktls_required() && !kernel_expected) {
		printf("kTLS is required here (KTLS_REQUIRE_KTLS=1) and this "
		       "kernel has none\n");
		return 1;
	}
	printf("# record layer: %s\n", kernel_expected ?
	       "kernel, then software" : "software (no kTLS here)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
