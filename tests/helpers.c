// SPDX-License-Identifier: MIT
/*
 * helpers.c - small helpers shared by the unit and integration tests, and
 * the fixtures of the tests that run whole connections in one process
 * (tests/unit/test_conn_*.c, once all in test_conn.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int th_hex_decode(const char *hex, uint8_t *out, size_t len)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]);
		int lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)len;
}

int th_count_fds(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n++;
	closedir(dir);
	return n;
}

bool th_ktls_required(void)
{
	const char *v = getenv("KTLS_REQUIRE_KTLS");

	return v && strcmp(v, "1") == 0;
}

/* What the kernel takes, as th_conn_setup() found it. */
static struct ktls_caps *caps;

/* --- connections ------------------------------------------------------- */

struct ktls_ctx *th_server_ctx(const char *chain, const char *key)
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

struct ktls_ctx *th_ec_server_ctx(void)
{
	return th_server_ctx(TH_PKI "server-ec-chain.pem",
			     TH_PKI "server-ec.key");
}

/* A client context that trusts the test root. */
struct ktls_ctx *th_client_ctx(void)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, TH_PKI "ca.pem"), 0);
	return ctx;
}

void th_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A new pair, both ends non-blocking; the client expects TH_PEER_NAME. */
void th_link_open(struct th_link *l, struct ktls_ctx *cctx,
		  struct ktls_ctx *sctx)
{
	const char *why = "";
	int ret;

	l->fds[0] = l->fds[1] = -1;
	ret = ktls_tcp_pair(l->fds, &why);
	if (ret < 0)
		fail_msg("ktls_tcp_pair: %s (%s)", why, ktls_strerror(ret));
	th_set_nonblock(l->fds[0]);
	th_set_nonblock(l->fds[1]);
	l->c = ktls_conn_new(cctx, l->fds[0], KTLS_ROLE_CLIENT);
	l->s = ktls_conn_new(sctx, l->fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l->c);
	assert_non_null(l->s);
	assert_int_equal(ktls_conn_set_peer_name(l->c, TH_PEER_NAME), 0);
}

void th_link_close(struct th_link *l)
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
int th_listener_open(void)
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

/* As th_link_open(), to the listener @lfd. */
void th_link_open_to(struct th_link *l, int lfd, struct ktls_ctx *cctx,
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
	th_set_nonblock(l->fds[0]);
	th_set_nonblock(l->fds[1]);
	l->c = ktls_conn_new(cctx, l->fds[0], KTLS_ROLE_CLIENT);
	l->s = ktls_conn_new(sctx, l->fds[1], KTLS_ROLE_SERVER);
	assert_non_null(l->c);
	assert_non_null(l->s);
	assert_int_equal(ktls_conn_set_peer_name(l->c, TH_PEER_NAME), 0);
}

/* The server's end goes away without a word: no close_notify, no alert. */
void th_drop_server(struct th_link *l)
{
	ktls_conn_free(l->s);
	l->s = NULL;
	close(l->fds[1]);
	l->fds[1] = -1;
}

/* Both ends at one version, or at one version and one cipher. */
void th_link_pin(struct th_link *l, uint16_t version, const char *ciphers)
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

/* Wait until @conn's fd has the events it asked for; fail after TH_IDLE_MS. */
void th_wait_for(const struct ktls_conn *conn, const char *what)
{
	struct pollfd pfd = {
		.fd = ktls_conn_fd(conn),
		.events = ktls_conn_events(conn),
	};

	if (poll(&pfd, 1, TH_IDLE_MS) != 1)
		fail_msg("%s: nothing came within %d ms", what, TH_IDLE_MS);
}

/*
 * th_drive() - run both handshakes to their end, as an event loop would
 * @c: the client connection
 * @s: the server connection
 * @cret: set to the client's last ktls_conn_handshake() result
 * @sret: the same for the server
 *
 * Each side is called first, then only when poll() reports the events it
 * asked for (ktls_conn_events()): a side that asks for the wrong ones
 * stalls the loop, and the loop fails instead of hanging.  It gives up
 * when poll() waits TH_IDLE_MS for nothing, or after TH_MAX_ROUNDS rounds.
 *
 * Return: 0 when neither side is at -EAGAIN any more; -ETIMEDOUT when the
 * loop gave up (a side still waiting then has -EAGAIN).
 */
int th_drive(struct ktls_conn *c, struct ktls_conn *s, int *cret,
	     int *sret)
{
	struct ktls_conn *conns[2] = { c, s };
	int *rets[2] = { cret, sret };
	bool ready[2] = { true, true };
	int round, i;

	*cret = *sret = -EAGAIN;
	for (round = 0; round < TH_MAX_ROUNDS; round++) {
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
		ret = poll(pfd, n, TH_IDLE_MS);
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
void th_handshake(struct th_link *l)
{
	int cret = 0, sret = 0;

	assert_int_equal(th_drive(l->c, l->s, &cret, &sret), 0);
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
void th_handshake_fails(struct th_link *l, int want_client, int *sretp)
{
	int cret = 0, sret = 0, ret;

	ret = th_drive(l->c, l->s, &cret, &sret);
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
void th_transfer(struct ktls_conn *from, struct ktls_conn *to,
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

		if (round >= TH_MAX_ROUNDS)
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
		if (poll(pfd, n, TH_IDLE_MS) <= 0)
			fail_msg("transfer stalled: %zu of %zu bytes sent, %zu "
				 "received", sent, len, got);
	}
	assert_int_equal(sent, len);
	assert_memory_equal(in, out, len);
	free(out);
	free(in);
}

/* ktls_close(), retried while it would block. */
void th_close_notify(struct ktls_conn *conn)
{
	int round, ret;

	for (round = 0; (ret = ktls_close(conn)) == -EAGAIN; round++) {
		assert_true(round < TH_MAX_ROUNDS);
		th_wait_for(conn, "ktls_close");
	}
	assert_int_equal(ret, 0);
}

/* ktls_recv() until something other than -EAGAIN; returns that. */
ssize_t th_recv_wait(struct ktls_conn *conn, void *buf, size_t len)
{
	ssize_t n;
	int round;

	for (round = 0; (n = ktls_recv(conn, buf, len)) == -EAGAIN; round++) {
		assert_true(round < TH_MAX_ROUNDS);
		th_wait_for(conn, "ktls_recv");
	}
	return n;
}

/* @conn's peer sent close_notify: ktls_recv() reads end of file, and
 * keeps reading it. */
void th_expect_eof(struct ktls_conn *conn)
{
	char buf[64];

	assert_int_equal(th_recv_wait(conn, buf, sizeof(buf)), 0);
	assert_int_equal(ktls_recv(conn, buf, sizeof(buf)), 0);
}

/* A clean end: each side's close_notify reads as end of file. */
void th_close_both(struct th_link *l)
{
	th_close_notify(l->c);
	th_expect_eof(l->s);
	th_close_notify(l->s);
	th_expect_eof(l->c);
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

void th_check_offload(const struct ktls_conn *conn)
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

/* --- callbacks that keep a log ------------------------------------------ */

void th_on_done(struct ktls_conn *conn, void *arg)
{
	struct th_cb_log *log = arg;

	if (log->conn)
		assert_ptr_equal(conn, log->conn);
	log->done++;
}

int th_on_auth(struct ktls_conn *conn, const uint8_t *der, size_t len,
	       enum ktls_verify_result result, void *arg)
{
	struct th_cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->auth++;
	log->auth_result = result;
	log->auth_len = len;
	if (ktls_cert_subject(der, len, log->auth_subject,
			      sizeof(log->auth_subject)) < 0)
		log->auth_subject[0] = '\0';
	return log->auth_ret;
}

int th_on_bad(struct ktls_conn *conn, enum ktls_verify_result result,
	      void *arg)
{
	struct th_cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->bad++;
	log->bad_result = result;
	return log->bad_ret;
}

int th_on_client_auth(struct ktls_conn *conn, void *arg)
{
	struct th_cb_log *log = arg;

	assert_ptr_equal(conn, log->conn);
	log->client_auth++;
	return log->client_auth_ret;
}

const struct ktls_callbacks th_all_cbs = {
	.auth_cert = th_on_auth,
	.bad_cert = th_on_bad,
	.client_auth = th_on_client_auth,
	.handshake_done = th_on_done,
};

/* --- the group --------------------------------------------------------- */

int th_conn_setup(void **state)
{
	int ret;

	(void)state;
	if (access(TH_PKI "ca.pem", R_OK) != 0) {
		print_error("no test PKI in " TH_PKI ": run tests/pki/mkpki "
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

int th_conn_teardown(void **state)
{
	(void)state;
	ktls_caps_free(caps);
	caps = NULL;
	return 0;
}
