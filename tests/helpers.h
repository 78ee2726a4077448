/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - small helpers shared by the unit and integration tests.
 *
 * Unit tests reach libktls's internal helpers (ktls_int.h) directly, such
 * as ktls_tcp_pair() for a loopback TCP pair; what is here is what the
 * library has no reason to contain.
 *
 * Test helpers use the th_ prefix.  Like the library, they return 0 (or a
 * count) on success and a negative errno on failure; the connection
 * fixtures below fail the cmocka test that calls them instead.
 */
#ifndef KTLS_TESTS_HELPERS_H
#define KTLS_TESTS_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ktls.h"

/* Exit status of a standalone test program that skipped (as liburing). */
#define TH_EXIT_SKIP 77

/*
 * th_hex_decode() - decode a hex string such as "9f02283b" into bytes
 * @hex: an even number of hex digits, nothing else
 * @out: where the bytes go
 * @len: size of @out; the string must decode to exactly @len bytes
 *
 * Return: @len, or -EINVAL for a bad digit or a length that does not match.
 */
KTLS_MUST_CHECK int th_hex_decode(const char *hex, uint8_t *out, size_t len);

/*
 * th_count_fds() - how many file descriptors this process has open, to
 * check that code under test closes what it opens
 *
 * Return: the count, or the -errno of opening /proc/self/fd.
 */
KTLS_MUST_CHECK int th_count_fds(void);

/*
 * th_send_with_fds() - send one message with @nfds copies of @fd attached
 * in SCM_RIGHTS (none when @nfds is 0), as a peer of handshaked's socket
 * might, well-behaved or not
 * @sock: a SOCK_SEQPACKET (or other) socket
 * @data: the message, @len bytes (0: an empty message)
 * @fd: the fd to attach
 * @nfds: 0 to TH_SEND_FDS_MAX copies
 * @flags: for sendmsg(), such as MSG_DONTWAIT
 *
 * Return: 0; -EINVAL for too many fds; -EIO when sent short; the -errno of
 * sendmsg().
 */
#define TH_SEND_FDS_MAX 8
KTLS_MUST_CHECK int th_send_with_fds(int sock, const void *data, size_t len,
				     int fd, int nfds, int flags);

/*
 * Syscalls a unit test fakes: the Makefile links it with -Wl,--wrap=NAME
 * for each NAME in WRAP_<test>, so calls go to __wrap_NAME, which the test
 * defines, and __real_NAME reaches the C library.
 */
int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
int __real_setsockopt(int fd, int level, int optname, const void *optval,
		      socklen_t optlen);
int __wrap_setsockopt(int fd, int level, int optname, const void *optval,
		      socklen_t optlen);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);

/*
 * th_ktls_required() - whether a test that needs kTLS must fail, not skip,
 * when the kernel lacks it: true when KTLS_REQUIRE_KTLS=1, as the kTLS
 * tier sets it, so that a kTLS test can never pass silently there.
 */
bool th_ktls_required(void);

/*
 * TH_SKIP_NO_KTLS() - in a cmocka test, skip with a printed reason because
 * the kernel has no kTLS, or fail where th_ktls_required().
 */
#define TH_SKIP_NO_KTLS(why)						\
	do {								\
		if (th_ktls_required())					\
			fail_msg("kTLS is required here, but %s", why);	\
		print_message("skip: %s\n", why);			\
		skip();							\
	} while (0)

/*
 * Whole connections in one process, for cmocka tests (the test_conn_*
 * files): a loopback TCP pair with both ends non-blocking, both
 * handshakes driven by one poll() loop, data both ways, close_notify.
 * These fixtures fail the running test themselves (cmocka's assertions)
 * instead of returning an error; their comments are in helpers.c.  A
 * group that uses them runs th_conn_setup() and th_conn_teardown().
 *
 * The certificates are the test PKI of tests/pki/mkpki in build/pki
 * (tests/run makes it; by hand: tests/pki/mkpki build/pki); the tests run
 * from the repository's root.
 */
#define TH_PKI "build/pki/"
#define TH_PEER_NAME "localhost"

/*
 * How long poll() may find nothing to do before a loop gives up: both ends
 * run in this thread over loopback, so a silent wait is a deadlock (a side
 * waits for a peer that will never send), not a slow peer.
 */
#define TH_IDLE_MS 2000
/* Rounds a loop may take: a handshake takes a handful; a side that asks
 * for the wrong events spins through thousands. */
#define TH_MAX_ROUNDS 2000
/* The data each direction carries: several full records and a partial. */
#define TH_XFER_LEN (100 * 1024)

/* Two connected ends: fds[0] and c are the client, fds[1] and s the
 * server. */
struct th_link {
	int fds[2];
	struct ktls_conn *c, *s;
};

/* Contexts: a server with one identity, the test PKI's EC server, and a
 * client that trusts the test root. */
struct ktls_ctx *th_server_ctx(const char *chain, const char *key);
struct ktls_ctx *th_ec_server_ctx(void);
struct ktls_ctx *th_client_ctx(void);
void th_set_nonblock(int fd);

/* Pairs: opened, pinned to a version (and ciphers), closed, or with the
 * server's end gone without a word; to a listener that stays. */
void th_link_open(struct th_link *l, struct ktls_ctx *cctx,
		  struct ktls_ctx *sctx);
void th_link_close(struct th_link *l);
KTLS_MUST_CHECK int th_listener_open(void);
void th_link_open_to(struct th_link *l, int lfd, struct ktls_ctx *cctx,
		     struct ktls_ctx *sctx);
void th_drop_server(struct th_link *l);
void th_link_pin(struct th_link *l, uint16_t version, const char *ciphers);

/* Handshakes: the loop, one that must succeed, one that must fail. */
void th_wait_for(const struct ktls_conn *conn, const char *what);
KTLS_MUST_CHECK int th_drive(struct ktls_conn *c, struct ktls_conn *s,
			     int *cret, int *sret);
void th_handshake(struct th_link *l);
void th_handshake_fails(struct th_link *l, int want_client, int *sretp);

/* Data and the end of it. */
void th_transfer(struct ktls_conn *from, struct ktls_conn *to, size_t len,
		 unsigned int seed);
void th_close_notify(struct ktls_conn *conn);
KTLS_MUST_CHECK ssize_t th_recv_wait(struct ktls_conn *conn, void *buf,
				     size_t len);
void th_expect_eof(struct ktls_conn *conn);
void th_close_both(struct th_link *l);

/* The record layer is in the kernel exactly where the probe says it can
 * be (everywhere where th_ktls_required()). */
void th_check_offload(const struct ktls_conn *conn);

/* Callbacks that count their calls in a struct th_cb_log (their @arg),
 * check that they were given its connection, and answer what it says. */
struct th_cb_log {
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

void th_on_done(struct ktls_conn *conn, void *arg);
int th_on_auth(struct ktls_conn *conn, const uint8_t *der, size_t len,
	       enum ktls_verify_result result, void *arg);
int th_on_bad(struct ktls_conn *conn, enum ktls_verify_result result,
	      void *arg);
int th_on_client_auth(struct ktls_conn *conn, void *arg);
/* All four. */
extern const struct ktls_callbacks th_all_cbs;

/* The group's setup: the test PKI is there, the kernel probed (and said
 * when it has no kTLS); the teardown frees what the probe found. */
int th_conn_setup(void **state);
int th_conn_teardown(void **state);

/* --- shared by the unit tests split out of test_policy.c ----------------- */

/*
 * TH_ASSERT_CONTAINS() - in a cmocka test, fail unless the string @s
 * contains @sub, printing both when it does not (needs <string.h>).
 */
#define TH_ASSERT_CONTAINS(s, sub)					\
	do {								\
		const char *th_s_ = (s), *th_sub_ = (sub);		\
		if (!strstr(th_s_, th_sub_))				\
			fail_msg("'%s' does not contain '%s'",		\
				 th_s_, th_sub_);			\
	} while (0)

#endif /* KTLS_TESTS_HELPERS_H */
