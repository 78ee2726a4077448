/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - small helpers shared by the unit and integration tests.
 *
 * Unit tests reach libktls's internal helpers (ktls_int.h) directly, such
 * as ktls_tcp_pair() for a loopback TCP pair; what is here is what the
 * library has no reason to contain.
 *
 * Test helpers use the th_ prefix.  Like the library, they return 0 (or a
 * count) on success and a negative errno on failure.
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

#endif /* KTLS_TESTS_HELPERS_H */
