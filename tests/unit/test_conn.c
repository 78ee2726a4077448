// SPDX-License-Identifier: MIT
/*
 * test_conn.c - whole TLS connections in one process (conn.c, record.c,
 * session.c): a loopback TCP pair with both ends non-blocking, both
 * handshakes driven by one poll() loop, then data both ways, close_notify,
 * and the ways a connection fails.
 *
 * The certificates are the test PKI of tests/pki/mkpki in build/pki
 * (tests/run makes it; by hand: tests/pki/mkpki build/pki); the tests run
 * from the repository's root.
 *
 * Where the record layer runs depends on the kernel: a connection must be
 * offloaded exactly where ktls_caps_probe() finds that the kernel takes
 * its version and cipher, and everywhere when KTLS_REQUIRE_KTLS=1 (the
 * kTLS tier, inside the VM), so that no case passes silently in software.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

#define PKI "build/pki/"
#define PEER_NAME "localhost"

/*
 * How long poll() may find nothing to do before a loop gives up: both ends
 * run in this thread over loopback, so a silent wait is a deadlock (a side
 * waits for a peer that will never send), not a slow peer.
 */
#define IDLE_MS 2000
/* Rounds a loop may take: a handshake takes a handful; a side that asks
 * for the wrong events spins through thousands. */
#define MAX_ROUNDS 2000
/* The data each direction carries: several full records and a partial. */
#define XFER_LEN (100 * 1024)

static struct ktls_caps *caps;

/* --- connections ------------------------------------------------------- */

/* Two connected ends: fds[0] and c are the client, fds[1] and s the
 * server. */
struct link {
	int fds[2];
	struct ktls_conn *c, *s;
};

static struct ktls_ctx *server_ctx(const char *chain, const char *key)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	int ret;

	assert_non_null(ctx);
	ret = ktls_ctx_add_identity(ctx, chain, key);
	if (ret < 0)
		fail_msg("ktls_ctx_add_identity(%s): %s", chain,
			 ktls_ctx_errstr(ctx));
	return ctx;
}

static struct ktls_ctx *ec_server_ctx(void)
{
	return server_ctx(PKI "server-ec-chain.pem", PKI "server-ec.key");
}

/* A client context that trusts the test root. */
static struct ktls_ctx *client_ctx(void)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, PKI "ca.pem"), 0);
	return ctx;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A new pair, both ends non-blocking; the client expects PEER_NAME. */
static void link_open(struct link *l, struct ktls_ctx *cctx,
		      struct ktls_ctx *sctx)
{
	const char *why = "";
	int ret;

	l->fds[0] = l->fds[1] = -1;
	ret = ktls_tcp_pair(l->fds, &why);
	if (ret < 0)
		fail_msg("ktls_tcp_pair: %s (%s)", why, ktls_strerror(ret));
	set_nonblock(l->fds[0]);
	set_nonblock(l->fds[1]);
	l->c = ktls_conn_new(cctx, l->fds[0], KTLS_ROLE_CLIENT);
	l->s = ktls_conn_new(sctx, l->fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l->c);
	assert_non_null(l->s);
	assert_int_equal(ktls_conn_set_peer_name(l->c, PEER_NAME), 0);
}

static void link_close(struct link *l)
{
	ktls_conn_free(l->c);
	ktls_conn_free(l->s);
	l->c = l->s = NULL;
	ktls_close_pair(l->fds);
}

/*
 * A listener that stays, for connections to one port: the client cache
 * keys sessions by peer name and port, and ktls_tcp_pair() listens on a
 * new port each time.
 */
static int listener_open(void)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* As link_open(), to the listener @lfd. */
static void link_open_to(struct link *l, int lfd, struct ktls_ctx *cctx,
			 struct ktls_ctx *sctx)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
	l->fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l->fds[0] >= 0);
	assert_int_equal(connect(l->fds[0], (struct sockaddr *)&addr, len), 0);
	l->fds[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(l->fds[1] >= 0);
	set_nonblock(l->fds[0]);
	set_nonblock(l->fds[1]);
	l->c = ktls_conn_new(cctx, l->fds[0], KTLS_ROLE_CLIENT);
	l->s = ktls_conn_new(sctx, l->fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l->c);
	assert_non_null(l->s);
	assert_int_equal(ktls_conn_set_peer_name(l->c, PEER_NAME), 0);
}

/* The server's end goes away without a word: no close_notify, no alert. */
static void drop_server(struct link *l)
{
	ktls_conn_free(l->s);
	l->s = NULL;
	close(l->fds[1]);
	l->fds[1] = -1;
}

/* Both ends at one version, or at one version and one cipher. */
static void link_pin(struct link *l, uint16_t version, const char *ciphers)
{
	struct ktls_conn *ends[2] = { l->c, l->s };
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(ktls_conn_set_opt(ends[i],
						   KTLS_OPT_VERSION_MIN,
						   version), 0);
		assert_int_equal(ktls_conn_set_opt(ends[i],
						   KTLS_OPT_VERSION_MAX,
						   version), 0);
		if (ciphers)
			assert_int_equal(ktls_conn_set_ciphers(ends[i],
							       ciphers), 0);
	}
}

/* Wait until @conn's fd has the events it asked for; fail after IDLE_MS. */
static void wait_for(const struct ktls_conn *conn, const char *what)
{
	struct pollfd pfd = {
		.fd = ktls_conn_fd(conn),
		.events = ktls_conn_events(conn),
	};

	if (poll(&pfd, 1, IDLE_MS) != 1)
		fail_msg("%s: nothing came within %d ms", what, IDLE_MS);
}

/*
 * drive() - run both handshakes to their end, as an event loop would
 * @c: the client connection
 * @s: the server connection
 * @cret: set to the client's last ktls_conn_handshake() result
 * @sret: the same for the server
 *
 * Each side is called first, then only when poll() reports the events it
 * asked for (ktls_conn_events()): a side that asks for the wrong ones
 * stalls the loop, and the loop fails instead of hanging.  It gives up
 * when poll() waits IDLE_MS for nothing, or after MAX_ROUNDS rounds.
 *
 * Return: 0 when neither side is at -EAGAIN any more; -ETIMEDOUT when the
 * loop gave up (a side still waiting then has -EAGAIN).
 */
static int drive(struct ktls_conn *c, struct ktls_conn *s, int *cret,
		 int *sret)
{
	struct ktls_conn *conns[2] = { c, s };
	int *rets[2] = { cret, sret };
	bool ready[2] = { true, true };
	int round, i;

	*cret = *sret = -EAGAIN;
	for (round = 0; round < MAX_ROUNDS; round++) {
		struct pollfd pfd[2];
		int idx[2] = { 0, 0 };
		nfds_t n = 0;
		int ret;

		for (i = 0; i < 2; i++)
			if (*rets[i] == -EAGAIN && ready[i])
				*rets[i] = ktls_conn_handshake(conns[i]);
		for (i = 0; i < 2; i++) {
			ready[i] = false;
			if (*rets[i] != -EAGAIN)
				continue;
			pfd[n].fd = ktls_conn_fd(conns[i]);
			pfd[n].events = ktls_conn_events(conns[i]);
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		if (n == 0)
			return 0;
		ret = poll(pfd, n, IDLE_MS);
		assert_true(ret >= 0);
		if (ret == 0)
			return -ETIMEDOUT;
		for (i = 0; i < (int)n; i++)
			if (pfd[i].revents)
				ready[idx[i]] = true;
	}
	return -ETIMEDOUT;
}

/* Both handshakes, which must succeed. */
static void handshake(struct link *l)
{
	int cret = 0, sret = 0;

	assert_int_equal(drive(l->c, l->s, &cret, &sret), 0);
	if (cret != 0 || sret != 0)
		fail_msg("handshake failed: client %d (%s: %s), server %d "
			 "(%s: %s)", cret, ktls_strerror(cret),
			 ktls_conn_errstr(l->c), sret, ktls_strerror(sret),
			 ktls_conn_errstr(l->s));
}

/*
 * A handshake that must fail: the client with @want_client (0 for any
 * error), the server with some error.  Neither may be left at -EAGAIN: the
 * side that rejects must tell the other (an alert, or a reset).
 */
static void handshake_fails(struct link *l, int want_client, int *sretp)
{
	int cret = 0, sret = 0, ret;

	ret = drive(l->c, l->s, &cret, &sret);
	if (ret == -ETIMEDOUT)
		fail_msg("a failed handshake left a side waiting: client %d "
			 "(%s), server %d (%s)", cret, ktls_conn_errstr(l->c),
			 sret, ktls_conn_errstr(l->s));
	if (want_client)
		assert_int_equal(cret, want_client);
	assert_true(cret < 0);
	assert_true(sret < 0);
	if (sretp)
		*sretp = sret;
}

/* --- data -------------------------------------------------------------- */

/* A byte pattern that does not repeat at record or page boundaries. */
static void pattern(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i % 251 + i / 4096 + seed);
}

/*
 * Send @len bytes of pattern @seed from @from and read them at @to, both
 * non-blocking, interleaved so that no socket buffer has to hold it all.
 */
static void transfer(struct ktls_conn *from, struct ktls_conn *to,
		     size_t len, unsigned int seed)
{
	uint8_t *out = malloc(len), *in = calloc(1, len);
	size_t sent = 0, got = 0;
	int round;

	assert_non_null(out);
	assert_non_null(in);
	pattern(out, len, seed);
	for (round = 0; got < len; round++) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		bool moved = false;
		ssize_t r;

		if (round >= MAX_ROUNDS)
			fail_msg("transfer spins: %zu of %zu bytes sent, %zu "
				 "received", sent, len, got);
		if (sent < len) {
			r = ktls_send(from, out + sent, len - sent);
			if (r != -EAGAIN) {
				if (r <= 0)
					fail_msg("ktls_send: %zd (%s)", r,
						 ktls_conn_errstr(from));
				sent += (size_t)r;
				moved = true;
			}
		}
		r = ktls_recv(to, in + got, len - got);
		if (r != -EAGAIN) {
			if (r <= 0)
				fail_msg("ktls_recv: %zd (%s) after %zu of %zu "
					 "bytes", r, ktls_conn_errstr(to), got,
					 len);
			got += (size_t)r;
			moved = true;
		}
		if (moved)
			continue;
		if (sent < len) {
			pfd[n].fd = ktls_conn_fd(from);
			pfd[n++].events = ktls_conn_events(from);
		}
		pfd[n].fd = ktls_conn_fd(to);
		pfd[n++].events = ktls_conn_events(to);
		if (poll(pfd, n, IDLE_MS) <= 0)
			fail_msg("transfer stalled: %zu of %zu bytes sent, %zu "
				 "received", sent, len, got);
	}
	assert_int_equal(sent, len);
	assert_memory_equal(in, out, len);
	free(out);
	free(in);
}

/* ktls_close(), retried while it would block. */
static void close_notify(struct ktls_conn *conn)
{
	int round, ret;

	for (round = 0; (ret = ktls_close(conn)) == -EAGAIN; round++) {
		assert_true(round < MAX_ROUNDS);
		wait_for(conn, "ktls_close");
	}
	assert_int_equal(ret, 0);
}

/* ktls_recv() until something other than -EAGAIN; returns that. */
static ssize_t recv_wait(struct ktls_conn *conn, void *buf, size_t len)
{
	ssize_t n;
	int round;

	for (round = 0; (n = ktls_recv(conn, buf, len)) == -EAGAIN; round++) {
		assert_true(round < MAX_ROUNDS);
		wait_for(conn, "ktls_recv");
	}
	return n;
}

/* @conn's peer sent close_notify: ktls_recv() reads end of file, and
 * keeps reading it. */
static void expect_eof(struct ktls_conn *conn)
{
	char buf[64];

	assert_int_equal(recv_wait(conn, buf, sizeof(buf)), 0);
	assert_int_equal(ktls_recv(conn, buf, sizeof(buf)), 0);
}

/* A clean end: each side's close_notify reads as end of file. */
static void close_both(struct link *l)
{
	close_notify(l->c);
	expect_eof(l->s);
	close_notify(l->s);
	expect_eof(l->c);
	/* Closing again is allowed; sending after it is not. */
	assert_int_equal(ktls_close(l->c), 0);
	assert_int_equal(ktls_send(l->c, "x", 1), -EPIPE);
}

/* --- offload ----------------------------------------------------------- */

/* Whether the kernel took the keys of @dir, as the probe predicts: RX is
 * installed first, and without it nothing is. */
static bool kernel_takes(uint16_t version, enum ktls_cipher cipher,
			 enum ktls_dir dir)
{
	bool rx = ktls_caps_cipher(caps, version, cipher, KTLS_DIR_RX) == 0;
	bool tx = ktls_caps_cipher(caps, version, cipher, KTLS_DIR_TX) == 0;

	return dir == KTLS_DIR_RX ? rx : rx && tx;
}

static void check_offload(const struct ktls_conn *conn)
{
	uint16_t v = ktls_conn_version(conn);
	enum ktls_cipher c = ktls_conn_cipher(conn);
	bool tx = ktls_conn_offloaded(conn, KTLS_DIR_TX);
	bool rx = ktls_conn_offloaded(conn, KTLS_DIR_RX);
	const char *why = ktls_conn_offload_reason(conn);

	if (th_ktls_required()) {
		if (!tx || !rx)
			fail_msg("kTLS is required here, but TLS %s %s has TX "
				 "%s and RX %s: %s",
				 v == KTLS_TLS_1_3 ? "1.3" : "1.2",
				 ktls_cipher_name(c), tx ? "on" : "off",
				 rx ? "on" : "off", why);
		assert_string_equal(why, "");
		return;
	}
	assert_int_equal(rx, kernel_takes(v, c, KTLS_DIR_RX));
	assert_int_equal(tx, kernel_takes(v, c, KTLS_DIR_TX));
	if (tx && rx) {
		assert_string_equal(why, "");
	} else {
		assert_true(why[0] != '\0');
		assert_non_null(strstr(why, "software"));
	}
}

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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;

	link_open(&l, cctx, sctx);
	link_pin(&l, v->version, ktls_cipher_name(v->cipher));
	handshake(&l);

	assert_int_equal(ktls_conn_version(l.c), v->version);
	assert_int_equal(ktls_conn_version(l.s), v->version);
	assert_int_equal(ktls_conn_cipher(l.c), v->cipher);
	assert_int_equal(ktls_conn_cipher(l.s), v->cipher);
	assert_int_equal(ktls_conn_verify_result(l.c), KTLS_VERIFY_OK);
	assert_false(ktls_conn_resumed(l.c));
	assert_false(ktls_conn_resumed(l.s));
	check_offload(l.c);
	check_offload(l.s);

	transfer(l.c, l.s, XFER_LEN, 1);
	transfer(l.s, l.c, XFER_LEN, 2);
	close_both(&l);

	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Disjoint cipher lists: both sides fail, neither waits for ever. */
static void test_conn_handshake_fails_without_common_cipher(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		int sret;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		assert_int_equal(ktls_conn_set_ciphers(l.c, "AES-128-GCM"), 0);
		assert_int_equal(ktls_conn_set_ciphers(l.s,
						       "CHACHA20-POLY1305"), 0);
		handshake_fails(&l, -ECONNABORTED, &sret);
		/* The server found nothing in common and said so. */
		assert_int_equal(sret, -EPROTO);
		assert_int_equal(ktls_conn_alert(l.c), 40);
		assert_int_equal(ktls_conn_version(l.c), 0);
		link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_handshake_fails_without_common_version(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	int sret;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_VERSION_MAX,
					   KTLS_TLS_1_2), 0);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), 0);
	handshake_fails(&l, -ECONNABORTED, &sret);
	/* The server found no version in common and said so. */
	assert_int_equal(sret, -EPROTO);
	/* protocol_version */
	assert_int_equal(ktls_conn_alert(l.c), 70);
	link_close(&l);
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	assert_int_equal(ktls_conn_events(l.s), POLLIN);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_events(l.c), POLLIN);
	assert_string_equal(ktls_conn_errstr(l.c), "");
	handshake(&l);
	assert_int_equal(ktls_conn_handshake(l.c), 0);
	assert_int_equal(ktls_conn_handshake(l.s), 0);
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* After a failed handshake the connection is done for. */
static void test_conn_handshake_after_failure_returns_einval(void **state)
{
	struct ktls_ctx *sctx = server_ctx(PKI "wronghost-chain.pem",
					   PKI "wronghost.key");
	struct ktls_ctx *cctx = client_ctx();
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EINVAL);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* KTLS_OPT_FORCE_SOFTWARE keeps the record layer in wolfSSL, and says
 * why; the data still flows. */
static void test_conn_offloaded_false_with_force_software(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	handshake(&l);
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_RX));
	assert_false(ktls_conn_offloaded(l.s, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.s, KTLS_DIR_RX));
	assert_non_null(strstr(ktls_conn_offload_reason(l.c), "option"));
	assert_non_null(strstr(ktls_conn_offload_reason(l.s), "option"));
	transfer(l.c, l.s, XFER_LEN, 3);
	transfer(l.s, l.c, XFER_LEN, 4);
	close_both(&l);
	link_close(&l);
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	handshake(&l);
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_TX));
	assert_false(ktls_conn_offloaded(l.c, KTLS_DIR_RX));
	check_offload(l.s);
	transfer(l.c, l.s, XFER_LEN, 5);
	transfer(l.s, l.c, XFER_LEN, 6);
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * KTLS_OPT_REQUIRE_OFFLOAD where the kernel may not take the keys (here
 * FORCE_SOFTWARE forbids it): the server refuses before the handshake
 * with -EOPNOTSUPP and says why, and the client reads a fatal
 * internal_error alert, not a closed connection.
 */
static void test_conn_require_offload_refuses_with_an_alert(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	int sret = 0;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_FORCE_SOFTWARE, 1),
			 0);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_REQUIRE_OFFLOAD, 1),
			 0);
	handshake_fails(&l, -ECONNABORTED, &sret);
	assert_int_equal(sret, -EOPNOTSUPP);
	assert_non_null(strstr(ktls_conn_errstr(l.s), "kTLS is unusable"));
	assert_non_null(strstr(ktls_conn_errstr(l.s),
			       "KTLS_OPT_FORCE_SOFTWARE"));
	assert_non_null(strstr(ktls_conn_offload_reason(l.s),
			       "KTLS_OPT_FORCE_SOFTWARE"));
	assert_int_equal(ktls_conn_alert(l.c), 80);	/* internal_error */
	assert_non_null(strstr(ktls_conn_errstr(l.c), "internal_error"));
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * KTLS_OPT_REQUIRE_OFFLOAD alone: where the TLS ULP attaches the
 * handshake goes on (and ends offloaded, or refused when the kernel
 * would not take the cipher's keys); where it does not, the refusal
 * names the ULP's reason and the peer gets internal_error.
 */
static void test_conn_require_offload_follows_the_kernel(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	int cret = 0, sret = 0;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_REQUIRE_OFFLOAD, 1),
			 0);
	if (ktls_caps_ulp(caps) < 0) {
		handshake_fails(&l, -ECONNABORTED, &sret);
		assert_int_equal(sret, -EOPNOTSUPP);
		assert_string_equal(ktls_conn_offload_reason(l.s),
				    ktls_caps_ulp_reason(caps));
		assert_int_equal(ktls_conn_alert(l.c), 80);
	} else {
		assert_int_equal(drive(l.c, l.s, &cret, &sret), 0);
		if (sret == 0) {
			assert_true(ktls_conn_offloaded(l.s, KTLS_DIR_TX));
			assert_true(ktls_conn_offloaded(l.s, KTLS_DIR_RX));
		} else {
			assert_int_equal(sret, -EOPNOTSUPP);
			assert_non_null(strstr(ktls_conn_errstr(l.s),
					       "refused"));
		}
	}
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_opt_rejects_bad_force_software(void **state)
{
	struct ktls_ctx *cctx = client_ctx();
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

/* --- 2. callbacks and verification ------------------------------------- */

/* What the callbacks saw, and what they answer. */
struct cb_log {
	struct ktls_conn *conn;		/* the one they must be given */
	int done;
	int auth;
	enum ktls_verify_result auth_result;
	char auth_subject[128];
	size_t auth_len;
	int auth_ret;
	int bad;
	enum ktls_verify_result bad_result;
	int bad_ret;
	int client_auth;
	int client_auth_ret;
};

static void on_done(struct ktls_conn *conn, void *arg)
{
	struct cb_log *log = arg;

	if (log->conn)
		assert_ptr_equal(conn, log->conn);
	log->done++;
}

static int on_auth(struct ktls_conn *conn, const uint8_t *der, size_t len,
		   enum ktls_verify_result result, void *arg)
{
	struct cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->auth++;
	log->auth_result = result;
	log->auth_len = len;
	if (ktls_cert_subject(der, len, log->auth_subject,
			      sizeof(log->auth_subject)) < 0)
		log->auth_subject[0] = '\0';
	return log->auth_ret;
}

static int on_bad(struct ktls_conn *conn, enum ktls_verify_result result,
		  void *arg)
{
	struct cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->bad++;
	log->bad_result = result;
	return log->bad_ret;
}

static int on_client_auth(struct ktls_conn *conn, void *arg)
{
	struct cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->client_auth++;
	return log->client_auth_ret;
}

static const struct ktls_callbacks all_cbs = {
	.auth_cert = on_auth,
	.bad_cert = on_bad,
	.client_auth = on_client_auth,
	.handshake_done = on_done,
};

static const struct ktls_callbacks done_cb = {
	.handshake_done = on_done,
};

static const struct ktls_callbacks bad_cb = {
	.bad_cert = on_bad,
	.handshake_done = on_done,
};

/*
 * handshake_done comes once per side, with its connection and argument:
 * the server's from its context's defaults, the client's from its own.
 */
static void test_conn_set_callbacks_handshake_done_called_once_per_side(
	void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct cb_log slog = { 0 }, clog = { 0 };
	struct link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &done_cb, &slog);
	link_open(&l, cctx, sctx);
	slog.conn = l.s;
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &done_cb, &clog), 0);
	handshake(&l);
	assert_int_equal(clog.done, 1);
	assert_int_equal(slog.done, 1);
	/* Asking again changes nothing. */
	assert_int_equal(ktls_conn_handshake(l.c), 0);
	assert_int_equal(ktls_conn_handshake(l.s), 0);
	transfer(l.s, l.c, 1000, 7);
	assert_int_equal(clog.done, 1);
	assert_int_equal(slog.done, 1);
	/* Too late to change them now. */
	assert_int_equal(ktls_conn_set_callbacks(l.c, NULL, NULL), -EINVAL);
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_callbacks_handshake_done_not_called_on_failure(
	void **state)
{
	struct ktls_ctx *sctx = server_ctx(PKI "wronghost-chain.pem",
					   PKI "wronghost.key");
	struct ktls_ctx *cctx = client_ctx();
	struct cb_log slog = { 0 }, clog = { 0 };
	struct link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &done_cb, &slog);
	ktls_ctx_set_callbacks(cctx, &done_cb, &clog);
	link_open(&l, cctx, sctx);
	handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(clog.done, 0);
	assert_int_equal(slog.done, 0);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* auth_cert sees the server's own certificate (DER) and the built-in
 * verdict, once; accepting lets the handshake through. */
static void test_conn_set_callbacks_auth_cert_receives_leaf_and_result(
	void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct cb_log clog = { .auth_ret = 0, .bad_ret = -EACCES };
	const uint8_t *der;
	size_t len;
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &all_cbs, &clog), 0);
	handshake(&l);
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
	close_both(&l);
	link_close(&l);
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct cb_log clog = { .auth_ret = -EPERM, .bad_ret = -EPERM };
		int sret;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &all_cbs,
							 &clog), 0);
		handshake_fails(&l, -EKEYREJECTED, &sret);
		assert_int_not_equal(sret, -EAGAIN);
		assert_int_equal(clog.auth, 1);
		assert_int_equal(clog.auth_result, KTLS_VERIFY_OK);
		assert_int_equal(clog.done, 0);
		assert_int_not_equal(ktls_conn_verify_result(l.c),
				     KTLS_VERIFY_OK);
		assert_non_null(strstr(ktls_conn_errstr(l.c), "rejected"));
		link_close(&l);
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
	struct ktls_ctx *sctx = server_ctx(chain, key), *cctx = client_ctx();
	struct link l;
	size_t i;

	for (i = 0; i < 2; i++) {
		int sret;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake_fails(&l, -EKEYREJECTED, &sret);
		assert_int_not_equal(sret, -EAGAIN);
		assert_int_equal(ktls_conn_verify_result(l.c), want);
		assert_non_null(strstr(ktls_conn_errstr(l.c),
				       ktls_verify_result_name(want)));
		link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_verify_result_hostname_mismatch(void **state)
{
	(void)state;
	expect_rejected(PKI "wronghost-chain.pem", PKI "wronghost.key",
			KTLS_VERIFY_HOSTNAME_MISMATCH);
}

static void test_conn_verify_result_expired(void **state)
{
	(void)state;
	expect_rejected(PKI "expired-chain.pem", PKI "expired.key",
			KTLS_VERIFY_EXPIRED);
}

static void test_conn_verify_result_unknown_ca(void **state)
{
	(void)state;
	expect_rejected(PKI "untrusted-chain.pem", PKI "untrusted.key",
			KTLS_VERIFY_UNKNOWN_CA);
}

/* bad_cert returning 0 takes the responsibility: the wrong host gets
 * through, and bad_cert was told why it was not trusted. */
static void test_conn_set_callbacks_bad_cert_accepts_hostname_mismatch(
	void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = server_ctx(PKI "wronghost-chain.pem",
					   PKI "wronghost.key");
	struct ktls_ctx *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct cb_log clog = { .bad_ret = 0 };

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &bad_cb, &clog),
				 0);
		handshake(&l);
		assert_int_equal(clog.bad, 1);
		assert_int_equal(clog.bad_result,
				 KTLS_VERIFY_HOSTNAME_MISMATCH);
		assert_int_equal(clog.done, 1);
		assert_int_equal(ktls_conn_version(l.c), versions[i]);
		transfer(l.c, l.s, 1000, 8);
		close_both(&l);
		link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_callbacks_bad_cert_error_keeps_rejection(void **state)
{
	struct ktls_ctx *sctx = server_ctx(PKI "expired-chain.pem",
					   PKI "expired.key");
	struct ktls_ctx *cctx = client_ctx();
	struct cb_log clog = { .bad_ret = -EACCES };
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	clog.conn = l.c;
	assert_int_equal(ktls_conn_set_callbacks(l.c, &bad_cb, &clog), 0);
	handshake_fails(&l, -EKEYREJECTED, NULL);
	assert_int_equal(clog.bad, 1);
	assert_int_equal(clog.bad_result, KTLS_VERIFY_EXPIRED);
	assert_int_equal(ktls_conn_verify_result(l.c), KTLS_VERIFY_EXPIRED);
	assert_int_equal(clog.done, 0);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- 3. client certificates -------------------------------------------- */

/* A server that requires a client certificate under the test root. */
static struct ktls_ctx *requiring_server_ctx(void)
{
	struct ktls_ctx *ctx = ec_server_ctx();

	assert_int_equal(ktls_ctx_load_ca_file(ctx, PKI "ca.pem"), 0);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY,
					  KTLS_VERIFY_REQUIRE), 0);
	return ctx;
}

/* A client with two identities: a server certificate first, then the
 * client certificate. */
static struct ktls_ctx *two_identity_client_ctx(void)
{
	struct ktls_ctx *ctx = client_ctx();

	assert_int_equal(ktls_ctx_add_identity(ctx, PKI "server-ec-chain.pem",
					       PKI "server-ec.key"), 0);
	assert_int_equal(ktls_ctx_add_identity(ctx, PKI "client-chain.pem",
					       PKI "client.key"), 0);
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
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct cb_log clog = { .client_auth_ret = 1 };
		char subject[128];

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &all_cbs,
							 &clog), 0);
		handshake(&l);
		assert_int_equal(clog.client_auth, 1);
		assert_int_equal(clog.done, 1);
		peer_subject(l.s, subject, sizeof(subject));
		assert_string_equal(subject, "/CN=ktls test client");
		assert_int_equal(ktls_conn_verify_result(l.s), KTLS_VERIFY_OK);
		/* The server's chain is leaf and intermediate. */
		peer_subject(l.c, subject, sizeof(subject));
		assert_string_equal(subject, "/CN=localhost");
		transfer(l.c, l.s, 1000, 9);
		close_both(&l);
		link_close(&l);
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
	static const struct ktls_callbacks auth_cb = { .auth_cert = on_auth };
	struct ktls_ctx *sctx = requiring_server_ctx();
	struct ktls_ctx *cctx = two_identity_client_ctx();
	struct ktls_ctx *plain = ec_server_ctx();
	struct cb_log slog = { .auth_ret = 0 };
	const uint8_t *der;
	size_t len;
	char subject[128];
	struct link l;

	(void)state;
	ktls_ctx_set_callbacks(sctx, &auth_cb, &slog);
	link_open(&l, cctx, sctx);
	slog.conn = l.s;
	handshake(&l);
	assert_int_equal(slog.auth, 1);
	assert_string_equal(slog.auth_subject, "/CN=localhost");
	assert_int_not_equal(slog.auth_result, KTLS_VERIFY_OK);
	peer_subject(l.s, subject, sizeof(subject));
	assert_string_equal(subject, "/CN=localhost");
	close_both(&l);
	link_close(&l);

	link_open(&l, cctx, plain);
	handshake(&l);
	assert_int_equal(ktls_conn_peer_cert(l.s, 0, &der, &len), -ENOENT);
	close_both(&l);
	link_close(&l);
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
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct cb_log clog = { .client_auth_ret = -EACCES };
		int sret;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		clog.conn = l.c;
		assert_int_equal(ktls_conn_set_callbacks(l.c, &all_cbs,
							 &clog), 0);
		handshake_fails(&l, 0, &sret);
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
		link_close(&l);
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
	struct ktls_ctx *sctx = requiring_server_ctx(), *cctx = client_ctx();
	struct link l;
	char buf[16];
	int cret = 0, sret = 0, ret;

	(void)state;
	/* TLS 1.3 */
	link_open(&l, cctx, sctx);
	link_pin(&l, KTLS_TLS_1_3, NULL);
	assert_int_equal(drive(l.c, l.s, &cret, &sret), 0);
	assert_int_equal(sret, -EKEYREJECTED);
	assert_int_equal(ktls_conn_verify_result(l.s),
			 KTLS_VERIFY_NO_CERTIFICATE);
	assert_int_equal(cret, 0);
	assert_int_equal(recv_wait(l.c, buf, sizeof(buf)), -ECONNABORTED);
	/* certificate_required */
	assert_int_equal(ktls_conn_alert(l.c), 116);
	link_close(&l);

	/* TLS 1.2 */
	link_open(&l, cctx, sctx);
	link_pin(&l, KTLS_TLS_1_2, NULL);
	ret = drive(l.c, l.s, &cret, &sret);
	assert_int_equal(sret, -EKEYREJECTED);
	assert_int_equal(ktls_conn_verify_result(l.s),
			 KTLS_VERIFY_NO_CERTIFICATE);
	if (ret == -ETIMEDOUT && TLS12_NO_CERT_ALERT_MAY_LACK) {
		assert_int_equal(cret, -EAGAIN);
		print_message("known problem: the TLS 1.2 server rejected the "
			      "missing client certificate without an alert "
			      "(wolfSSL %s); the client waited %d ms for it\n",
			      LIBWOLFSSL_VERSION_STRING, IDLE_MS);
		drop_server(&l);
		while ((cret = ktls_conn_handshake(l.c)) == -EAGAIN)
			wait_for(l.c, "the client's handshake");
		assert_int_equal(cret, -ECONNRESET);
	} else {
		assert_int_equal(ret, 0);
		assert_int_equal(cret, -ECONNABORTED);
		assert_true(ktls_conn_alert(l.c) > 0);
	}
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- 4. sessions ------------------------------------------------------- */

/* The client's session after reading data (which takes in a TLS 1.3
 * ticket), exported and imported again. */
static struct ktls_session *session_after_data(struct link *l)
{
	struct ktls_session *sess, *copy = NULL;
	uint8_t *buf, *again;
	ssize_t len;

	transfer(l->s, l->c, 1000, 10);
	sess = ktls_conn_get_session(l->c);
	assert_non_null(sess);
	assert_true(ktls_session_resumable(sess));

	len = ktls_session_export(l->c->ctx, sess, NULL, 0);
	assert_true(len > 0);
	buf = malloc((size_t)len);
	again = malloc((size_t)len);
	assert_non_null(buf);
	assert_non_null(again);
	assert_int_equal(ktls_session_export(l->c->ctx, sess, buf,
					     (size_t)len - 1), -ENOSPC);
	assert_int_equal(ktls_session_export(l->c->ctx, sess, buf,
					     (size_t)len), len);
	assert_int_equal(ktls_session_import(l->c->ctx, buf, (size_t)len,
					     &copy), 0);
	assert_non_null(copy);
	assert_true(ktls_session_resumable(copy));
	/* The copy serialises to as many bytes, under a fresh nonce. */
	assert_int_equal(ktls_session_export(l->c->ctx, copy, again,
					     (size_t)len), len);
	assert_int_equal(again[0], 0x01);
	assert_memory_not_equal(again + 1, buf + 1, 12);
	explicit_bzero(buf, (size_t)len);
	explicit_bzero(again, (size_t)len);
	free(buf);
	free(again);
	ktls_session_free(sess);
	return copy;
}

/* A session taken from one connection, through export and import,
 * resumes the next one (a new TCP pair), in both versions. */
static void test_conn_set_session_resumes(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct ktls_session *sess;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		assert_null(ktls_conn_get_session(l.c));
		handshake(&l);
		assert_false(ktls_conn_resumed(l.c));
		sess = session_after_data(&l);
		close_both(&l);
		link_close(&l);

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		assert_int_equal(ktls_conn_set_session(l.c, sess), 0);
		ktls_session_free(sess);	/* the connection has its own */
		handshake(&l);
		assert_true(ktls_conn_resumed(l.c));
		assert_true(ktls_conn_resumed(l.s));
		assert_int_equal(ktls_conn_version(l.c), versions[i]);
		check_offload(l.c);
		check_offload(l.s);
		transfer(l.c, l.s, XFER_LEN, 11);
		transfer(l.s, l.c, XFER_LEN, 12);
		close_both(&l);
		link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * wolfSSL before 5.7.4 (wolfSSL PR #8097) fails a TLS 1.2 client whose
 * ticket the server does not take: the full handshake the server starts
 * is "out of order" to it.  Session-ID sessions fall back fine.
 */
#define WOLFSSL_TLS12_TICKET_FALLBACK (LIBWOLFSSL_VERSION_HEX >= 0x05007004)

/*
 * A server that never issued the session does a full handshake: TLS 1.3
 * (ticket), TLS 1.2 with a session ID only, and TLS 1.2 with a ticket
 * where wolfSSL allows it.
 */
static void test_conn_set_session_falls_back_with_other_server(void **state)
{
	static const struct {
		uint16_t version;
		bool tickets;
	} cases[] = {
		{ KTLS_TLS_1_3, true },
		{ KTLS_TLS_1_2, false },
		{ KTLS_TLS_1_2, true },
	};
	struct ktls_ctx *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_ctx *sctx = ec_server_ctx();
		struct ktls_ctx *other = ec_server_ctx();
		struct ktls_session *sess;
		int cret = 0, sret = 0;

		assert_int_equal(ktls_ctx_set_opt(sctx,
						  KTLS_OPT_SESSION_TICKETS,
						  cases[i].tickets), 0);
		link_open(&l, cctx, sctx);
		link_pin(&l, cases[i].version, NULL);
		handshake(&l);
		sess = session_after_data(&l);
		close_both(&l);
		link_close(&l);

		link_open(&l, cctx, other);
		link_pin(&l, cases[i].version, NULL);
		assert_int_equal(ktls_conn_set_session(l.c, sess), 0);
		ktls_session_free(sess);
		if (cases[i].version == KTLS_TLS_1_2 && cases[i].tickets &&
		    !WOLFSSL_TLS12_TICKET_FALLBACK) {
			assert_int_equal(drive(l.c, l.s, &cret, &sret), 0);
			print_message("known problem: wolfSSL %s fails a TLS "
				      "1.2 client whose ticket the server "
				      "refuses: client %d (%s), server %d\n",
				      LIBWOLFSSL_VERSION_STRING, cret,
				      ktls_conn_errstr(l.c), sret);
			assert_int_equal(cret, -EPROTO);
			assert_int_equal(sret, -ECONNABORTED);
			link_close(&l);
			ktls_ctx_free(other);
			ktls_ctx_free(sctx);
			continue;
		}
		handshake(&l);
		assert_false(ktls_conn_resumed(l.c));
		assert_false(ktls_conn_resumed(l.s));
		transfer(l.c, l.s, 1000, 13);
		close_both(&l);
		link_close(&l);
		ktls_ctx_free(other);
		ktls_ctx_free(sctx);
	}
	ktls_ctx_free(cctx);
}

static void ticket_key(struct ktls_ticket_key *k, uint8_t seed)
{
	memset(k->name, seed, sizeof(k->name));
	memset(k->secret, seed ^ 0x5a, sizeof(k->secret));
}

/* A session from one connection on @from, offered to @to: resumed? */
static bool resumes_across(struct ktls_ctx *cctx, struct ktls_ctx *from,
			   struct ktls_ctx *to, uint16_t version)
{
	struct ktls_session *sess;
	struct link l;
	bool resumed;

	link_open(&l, cctx, from);
	link_pin(&l, version, NULL);
	handshake(&l);
	sess = session_after_data(&l);
	close_both(&l);
	link_close(&l);

	link_open(&l, cctx, to);
	link_pin(&l, version, NULL);
	assert_int_equal(ktls_conn_set_session(l.c, sess), 0);
	ktls_session_free(sess);
	handshake(&l);
	resumed = ktls_conn_resumed(l.c);
	assert_int_equal(ktls_conn_resumed(l.s), resumed);
	transfer(l.c, l.s, 1000, 14);
	close_both(&l);
	link_close(&l);
	return resumed;
}

/*
 * Contexts given the same ticket keys resume each other's tickets (the
 * server caches are separate, so only the ticket can do it), also when
 * the key is the older of two; a context with other keys does a full
 * handshake.
 */
static void test_ctx_set_ticket_keys_resumes_across_contexts(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ticket_key k1, k2, k3, rotated[2];
	struct ktls_ctx *cctx = client_ctx();
	struct ktls_ctx *a = ec_server_ctx(), *b = ec_server_ctx();
	struct ktls_ctx *c = ec_server_ctx();
	size_t i;

	(void)state;
	ticket_key(&k1, 1);
	ticket_key(&k2, 2);
	ticket_key(&k3, 3);
	rotated[0] = k2;
	rotated[1] = k1;
	assert_int_equal(ktls_ctx_set_ticket_keys(a, &k1, 1), 0);
	assert_int_equal(ktls_ctx_set_ticket_keys(b, rotated, 2), 0);
	assert_int_equal(ktls_ctx_set_ticket_keys(c, &k3, 1), 0);
	for (i = 0; i < 2; i++) {
		ktls_ctx_flush_sessions(cctx);
		assert_true(resumes_across(cctx, a, a, versions[i]));
		assert_true(resumes_across(cctx, a, b, versions[i]));
		/* b sealed its new ticket under k2, which a does not have. */
		if (versions[i] == KTLS_TLS_1_3) {
			assert_false(resumes_across(cctx, b, a, versions[i]));
			assert_false(resumes_across(cctx, a, c, versions[i]));
		}
	}
	/* Rotating a to k2 (k1 kept to open) resumes what b sealed. */
	assert_int_equal(ktls_ctx_set_ticket_keys(a, rotated, 2), 0);
	assert_true(resumes_across(cctx, b, a, KTLS_TLS_1_3));
	ktls_ctx_free(c);
	ktls_ctx_free(b);
	ktls_ctx_free(a);
	ktls_ctx_free(cctx);
}

static void test_ctx_set_ticket_keys_rejects_bad_sets(void **state)
{
	struct ktls_ticket_key keys[KTLS_TICKET_KEYS_MAX + 1];
	struct ktls_ctx *ctx = ec_server_ctx();
	size_t i;

	(void)state;
	for (i = 0; i < KTLS_TICKET_KEYS_MAX + 1; i++)
		ticket_key(&keys[i], (uint8_t)(i + 1));
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys, 0), -EINVAL);
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, NULL, 1), -EINVAL);
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys,
						  KTLS_TICKET_KEYS_MAX + 1),
			 -EINVAL);
	assert_non_null(strstr(ktls_ctx_errstr(ctx), "1 to 4 keys"));
	keys[1] = keys[0];
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys, 2), -EINVAL);
	assert_non_null(strstr(ktls_ctx_errstr(ctx), "same name"));
	assert_int_equal(ktls_ctx_set_ticket_keys(NULL, keys, 1), -EINVAL);
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys,
						  KTLS_TICKET_KEYS_MAX), -EINVAL);
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys + 1,
						  KTLS_TICKET_KEYS_MAX), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_set_session_rejects_misuse(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct ktls_session *sess;
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	handshake(&l);
	sess = session_after_data(&l);
	/* After the handshake, on a server, or nothing to resume. */
	assert_int_equal(ktls_conn_set_session(l.c, sess), -EINVAL);
	close_both(&l);
	link_close(&l);

	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_set_session(l.s, sess), -EINVAL);
	assert_int_equal(ktls_conn_set_session(l.c, NULL), -EINVAL);
	link_close(&l);
	ktls_session_free(sess);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * The client cache is keyed by peer name and port, and every
 * ktls_tcp_pair() listens on a new port: a second connection to the same
 * name does not resume by itself.  What the first one stored is there
 * until ktls_ctx_flush_sessions() empties both caches.  The server's
 * cache holds TLS 1.2 sessions only.
 */
static void test_ctx_flush_sessions_empties_caches(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct ktls_session *sess;

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		sess = session_after_data(&l);
		ktls_session_free(sess);
		close_both(&l);
		link_close(&l);
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 1);

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		assert_false(ktls_conn_resumed(l.c));
		assert_false(ktls_conn_resumed(l.s));
		transfer(l.s, l.c, 1000, 14);
		close_both(&l);
		link_close(&l);
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 2);
		/* A server caches TLS 1.2 sessions by ID; TLS 1.3 ones
		 * resume by ticket only, and are not kept (they were: a
		 * full cache of sessions nobody could ask for). */
		assert_int_equal(ktls_cache_count(&sctx->server_cache),
				 versions[i] == KTLS_TLS_1_2 ? 2 : 0);

		ktls_ctx_flush_sessions(cctx);
		ktls_ctx_flush_sessions(sctx);
		assert_int_equal(ktls_cache_count(&cctx->client_cache), 0);
		assert_int_equal(ktls_cache_count(&sctx->server_cache), 0);
	}
	ktls_ctx_flush_sessions(NULL);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * On one port the client cache does resume by itself, in both versions;
 * after ktls_ctx_flush_sessions() on the client it does not.
 */
static void test_ctx_client_cache_resumes_same_port(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	int lfd = listener_open();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		link_open_to(&l, lfd, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		transfer(l.s, l.c, 1000, 18);
		close_both(&l);
		link_close(&l);

		link_open_to(&l, lfd, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		assert_true(ktls_conn_resumed(l.c));
		assert_true(ktls_conn_resumed(l.s));
		transfer(l.s, l.c, 1000, 19);
		close_both(&l);
		link_close(&l);

		ktls_ctx_flush_sessions(cctx);
		link_open_to(&l, lfd, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		assert_false(ktls_conn_resumed(l.c));
		assert_false(ktls_conn_resumed(l.s));
		close_both(&l);
		link_close(&l);
		ktls_ctx_flush_sessions(cctx);
	}
	close(lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* The peer id is part of the key: another id finds nothing. */
static void test_ctx_client_cache_misses_other_peer_id(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	int lfd = listener_open();
	struct link l;

	(void)state;
	link_open_to(&l, lfd, cctx, sctx);
	assert_int_equal(ktls_conn_set_peer_id(l.c, "alice"), 0);
	handshake(&l);
	transfer(l.s, l.c, 1000, 20);
	close_both(&l);
	link_close(&l);

	link_open_to(&l, lfd, cctx, sctx);
	assert_int_equal(ktls_conn_set_peer_id(l.c, "bob"), 0);
	handshake(&l);
	assert_false(ktls_conn_resumed(l.c));
	close_both(&l);
	link_close(&l);

	link_open_to(&l, lfd, cctx, sctx);
	assert_int_equal(ktls_conn_set_peer_id(l.c, "alice"), 0);
	handshake(&l);
	assert_true(ktls_conn_resumed(l.c));
	close_both(&l);
	link_close(&l);
	close(lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- 5. misuse and a peer that goes away ------------------------------- */

static void test_send_recv_before_handshake_return_einval(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	char buf[16];
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "handshake"));
	assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ktls_close(l.c), -EINVAL);
	/* In the middle of the handshake too. */
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_send(l.c, "x", 1), -EINVAL);
	assert_int_equal(ktls_recv(l.c, buf, sizeof(buf)), -EINVAL);
	/* And fine once it is over. */
	handshake(&l);
	assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(ktls_send(l.c, "x", 1), 1);
	assert_int_equal(recv_wait(l.s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'x');
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_set_opt_after_handshake_returns_einval(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;

	(void)state;
	link_open(&l, cctx, sctx);
	handshake(&l);
	assert_int_equal(ktls_conn_set_opt(l.c, KTLS_OPT_VERSION_MAX,
					   KTLS_TLS_1_2), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "before the handshake"));
	assert_int_equal(ktls_conn_set_opt(l.s, KTLS_OPT_FORCE_SOFTWARE, 1),
			 -EINVAL);
	assert_int_equal(ktls_conn_set_ciphers(l.c, "AES-128-GCM"), -EINVAL);
	assert_int_equal(ktls_conn_set_peer_name(l.c, "other"), -EINVAL);
	/* The connection goes on as it was. */
	transfer(l.c, l.s, 1000, 15);
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A verifying client without the peer's name refuses to start. */
static void test_conn_handshake_without_peer_name_returns_einval(void **state)
{
	struct ktls_ctx *cctx = client_ctx();
	struct ktls_conn *conn;
	int fds[2];

	(void)state;
	assert_int_equal(ktls_tcp_pair(fds, NULL), 0);
	set_nonblock(fds[0]);
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = ktls_ctx_new();
	struct link l = { .fds = { -1, -1 } };

	(void)state;
	assert_non_null(cctx);
	assert_int_equal(ktls_ctx_set_opt(cctx, KTLS_OPT_VERIFY,
					  KTLS_VERIFY_NONE_INSECURE), 0);
	assert_int_equal(ktls_tcp_pair(l.fds, NULL), 0);
	set_nonblock(l.fds[0]);
	set_nonblock(l.fds[1]);
	l.c = ktls_conn_new(cctx, l.fds[0], KTLS_ROLE_CLIENT);
	l.s = ktls_conn_new(sctx, l.fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l.c);
	assert_non_null(l.s);
	handshake(&l);
	transfer(l.c, l.s, 1000, 16);
	close_both(&l);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_conn_handshake_server_without_identity_returns_einval(
	void **state)
{
	struct ktls_ctx *sctx = ktls_ctx_new(), *cctx = client_ctx();
	struct link l;

	(void)state;
	assert_non_null(sctx);
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.s), -EINVAL);
	assert_non_null(strstr(ktls_conn_errstr(l.s),
			       "ktls_ctx_add_identity"));
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* The server's socket goes away after the client's hello (unread: a
 * reset). */
static void test_conn_handshake_peer_reset_returns_econnreset(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	int ret, round;

	(void)state;
	link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < MAX_ROUNDS);
		wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, -ECONNRESET);
	assert_non_null(strstr(ktls_conn_errstr(l.c), "closed"));
	link_close(&l);
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	char buf[16];
	int ret, round;

	(void)state;
	link_open(&l, cctx, sctx);
	link_pin(&l, KTLS_TLS_1_2, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < MAX_ROUNDS);
		wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, -ECONNRESET);
	link_close(&l);

	link_open(&l, cctx, sctx);
	link_pin(&l, KTLS_TLS_1_3, NULL);
	assert_int_equal(ktls_conn_handshake(l.c), -EAGAIN);
	assert_int_equal(ktls_conn_handshake(l.s), -EAGAIN);
	drop_server(&l);
	for (round = 0; (ret = ktls_conn_handshake(l.c)) == -EAGAIN; round++) {
		assert_true(round < MAX_ROUNDS);
		wait_for(l.c, "the client's handshake");
	}
	assert_int_equal(ret, 0);
	assert_int_equal(recv_wait(l.c, buf, sizeof(buf)), -ECONNRESET);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * After the handshake the server's socket closes without close_notify:
 * the client reads what was sent, then -ECONNRESET, never end of file.
 * In both versions.
 */
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
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	for (i = 0; i < 2; i++) {
		char buf[64];

		link_open(&l, cctx, sctx);
		assert_int_equal(ktls_conn_set_opt(l.c,
						   KTLS_OPT_FORCE_SOFTWARE, 1),
				 0);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		check_offload(l.s);
		transfer(l.c, l.s, 1000, 21);
		assert_int_equal(send(l.fds[0], rec, len, 0), (ssize_t)len);
		if (recv_wait(l.s, buf, sizeof(buf)) != want)
			fail_msg("server: %s", ktls_conn_errstr(l.s));
		assert_int_equal(ktls_recv(l.s, buf, sizeof(buf)), want);
		assert_int_equal(recv_wait(l.c, buf, sizeof(buf)),
				 -ECONNABORTED);
		assert_int_equal(ktls_conn_alert(l.c), alert);
		/* One alert: nothing more is on its way. */
		assert_int_equal(recv(l.fds[0], buf, sizeof(buf),
				      MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
		link_close(&l);
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

static void test_recv_without_close_notify_returns_econnreset(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		char buf[64];

		link_open(&l, cctx, sctx);
		link_pin(&l, versions[i], NULL);
		handshake(&l);
		transfer(l.c, l.s, 1000, 17);
		assert_int_equal(ktls_send(l.s, "last", 4), 4);
		drop_server(&l);
		assert_int_equal(recv_wait(l.c, buf, sizeof(buf)), 4);
		assert_memory_equal(buf, "last", 4);
		assert_int_equal(recv_wait(l.c, buf, sizeof(buf)),
				 -ECONNRESET);
		assert_non_null(strstr(ktls_conn_errstr(l.c),
				       "close_notify"));
		link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Sibling: with close_notify first, the same close reads as end of
 * file. */
static void test_recv_after_close_notify_returns_eof(void **state)
{
	struct ktls_ctx *sctx = ec_server_ctx(), *cctx = client_ctx();
	struct link l;
	char buf[64];

	(void)state;
	link_open(&l, cctx, sctx);
	handshake(&l);
	assert_int_equal(ktls_send(l.s, "last", 4), 4);
	close_notify(l.s);
	drop_server(&l);
	assert_int_equal(recv_wait(l.c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "last", 4);
	expect_eof(l.c);
	link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* --- the group --------------------------------------------------------- */

static int group_setup(void **state)
{
	int ret;

	(void)state;
	if (access(PKI "ca.pem", R_OK) != 0) {
		print_error("no test PKI in " PKI ": run tests/pki/mkpki "
			    "build/pki first\n");
		return -1;
	}
	ret = ktls_caps_probe(&caps);
	if (ret < 0) {
		print_error("ktls_caps_probe: %s\n", ktls_strerror(ret));
		return -1;
	}
	if (!th_ktls_required() && !ktls_caps_usable(caps))
		print_message("no kTLS here (%s): connections must stay in "
			      "software\n", ktls_caps_ulp_reason(caps));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ktls_caps_free(caps);
	caps = NULL;
	return 0;
}

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
		T(test_conn_require_offload_refuses_with_an_alert),
		T(test_conn_require_offload_follows_the_kernel),
		T(test_conn_offloaded_force_software_one_side_interoperates),
		T(test_conn_set_opt_rejects_bad_force_software),
		T(test_conn_set_callbacks_handshake_done_called_once_per_side),
		T(test_conn_set_callbacks_handshake_done_not_called_on_failure),
		T(test_conn_set_callbacks_auth_cert_receives_leaf_and_result),
		T(test_conn_set_callbacks_auth_cert_error_rejects_peer),
		T(test_conn_verify_result_hostname_mismatch),
		T(test_conn_verify_result_expired),
		T(test_conn_verify_result_unknown_ca),
		T(test_conn_set_callbacks_bad_cert_accepts_hostname_mismatch),
		T(test_conn_set_callbacks_bad_cert_error_keeps_rejection),
		T(test_conn_set_callbacks_client_auth_picks_identity),
		T(test_conn_set_callbacks_client_auth_defaults_to_first),
		T(test_conn_set_callbacks_client_auth_error_aborts_handshake),
		T(test_conn_handshake_requires_client_cert),
		T(test_conn_set_session_resumes),
		T(test_conn_set_session_falls_back_with_other_server),
		T(test_ctx_set_ticket_keys_resumes_across_contexts),
		T(test_ctx_set_ticket_keys_rejects_bad_sets),
		T(test_conn_set_session_rejects_misuse),
		T(test_ctx_flush_sessions_empties_caches),
		T(test_ctx_client_cache_resumes_same_port),
		T(test_ctx_client_cache_misses_other_peer_id),
		T(test_send_recv_before_handshake_return_einval),
		T(test_conn_set_opt_after_handshake_returns_einval),
		T(test_conn_handshake_without_peer_name_returns_einval),
		T(test_conn_handshake_without_peer_name_insecure_succeeds),
		T(test_conn_handshake_server_without_identity_returns_einval),
		T(test_conn_handshake_peer_reset_returns_econnreset),
		T(test_conn_handshake_peer_eof_returns_econnreset),
		T(test_recv_without_close_notify_returns_econnreset),
		T(test_recv_forged_record_sends_bad_record_mac),
		T(test_recv_oversized_record_sends_record_overflow),
		T(test_recv_after_close_notify_returns_eof),
	};
	size_t i;

	/* Each variant of the matrix under its own name. */
	for (i = 0; i < N_VARIANTS; i++) {
		if (tests[i].initial_state != &variants[i])
			return 1;
		tests[i].name = variants[i].name;
	}
	return cmocka_run_group_tests_name("conn", tests, group_setup,
					   group_teardown);
}
