// SPDX-License-Identifier: MIT
/*
 * test_proto.c - ktls_proto_recv(), the one reader of what other processes
 * send handshaked: every fd that comes with a message is either handed to
 * the caller or closed, whatever the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include "ktls_int.h"
#include "proto.h"

/* Send @len bytes with @nfds copies of @fd attached. */
static void send_with_fds(int sock, const void *data, size_t len, int fd,
			  int nfds)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	int i;

	if (nfds) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		for (i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd,
			       sizeof(fd));
	}
	assert_int_equal(sendmsg(sock, &msg, 0), (ssize_t)len);
}

/* The lowest free fd number: an fd the receiver leaked takes it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/*
 * A message with @len bytes and @nfds fds: ktls_proto_recv() returns
 * @want, hands over an fd only with a good message, and leaves no other
 * fd open.
 */
static void recv_case(size_t len, int nfds, ssize_t want, bool fd_handed)
{
	static const uint8_t data[16] = "0123456789abcdef";
	uint8_t buf[64];
	int sv[2], fd, before, got = -2;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	send_with_fds(sv[0], data, len, fd, nfds);
	close(fd);
	before = lowest_free_fd();
	assert_int_equal(ktls_proto_recv(sv[1], buf, sizeof(buf), &got), want);
	if (fd_handed) {
		assert_true(got >= 0);
		close(got);
	} else {
		assert_int_equal(got, -1);
	}
	assert_int_equal(lowest_free_fd(), before);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_recv_hands_over_one_fd(void **state)
{
	(void)state;
	recv_case(16, 1, 16, true);
}

static void test_proto_recv_without_fd(void **state)
{
	(void)state;
	recv_case(16, 0, 16, false);
}

static void test_proto_recv_two_fds_closes_both(void **state)
{
	(void)state;
	recv_case(16, 2, -EBADMSG, false);
}

/* A zero-length message is end of stream to the caller: the fd it
 * carried has no owner and must not stay open (it did: one fd leaked
 * per such message, before any access check). */
static void test_proto_recv_empty_message_closes_its_fd(void **state)
{
	(void)state;
	recv_case(0, 1, 0, false);
}

/* The library refuses a profile name handshaked would not take, rather
 * than have the daemon answer with a malformed-request status (it did, for
 * names of 64 to 255 bytes). */
static void test_daemon_profile_name_limit(void **state)
{
	char name[KTLS_PROTO_NAME_MAX + 2];
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", name),
			 -EINVAL);
	name[KTLS_PROTO_NAME_MAX] = '\0';
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", name), 0);
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", ""),
			 -EINVAL);
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_recv_hands_over_one_fd),
		cmocka_unit_test(test_proto_recv_without_fd),
		cmocka_unit_test(test_proto_recv_two_fds_closes_both),
		cmocka_unit_test(test_proto_recv_empty_message_closes_its_fd),
		cmocka_unit_test(test_daemon_profile_name_limit),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
