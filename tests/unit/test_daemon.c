// SPDX-License-Identifier: MIT
/*
 * test_daemon.c - daemon mode (daemon.c) against a fake handshaked: a
 * SEQPACKET listener in a temporary directory that this test drives by
 * hand, answering with proto.c's own functions.  The connection's "TCP
 * socket" is one end of a socketpair: daemon mode only passes it on.
 *
 * On a non-blocking fd every step that would block returns -EAGAIN, with
 * ktls_conn_wait_fd() and ktls_conn_events() naming what to wait for; on
 * a blocking fd the handshake runs to the end in one call.  A context
 * keeps its connection to the daemon for the next handshake, and dials
 * again when the daemon has closed it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include "helpers.h"
#include "ktls_int.h"
#include "proto.h"

static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };

/* The fake daemon, a connection made in daemon mode and its socket. */
struct fix {
	char dir[64];
	char path[108];
	int lfd;			/* the fake handshaked's listener */
	int pair[2];			/* pair[0]: the connection's fd */
	struct ktls_ctx *ctx;
	struct ktls_conn *conn;
	int fds_before;
};

static void listen_on(struct fix *f, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)),
			 0);
	assert_int_equal(listen(f->lfd, backlog), 0);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fds_before = th_count_fds();
	snprintf(f->dir, sizeof(f->dir), "/tmp/ktls-test-daemon.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/hsd.sock", f->dir);
	listen_on(f, 16);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    f->pair), 0);
	f->ctx = ktls_ctx_new();
	assert_non_null(f->ctx);
	assert_int_equal(ktls_ctx_set_daemon(f->ctx, f->path, "web"), 0);
	f->conn = ktls_conn_new(f->ctx, f->pair[0], KTLS_ROLE_SERVER);
	assert_non_null(f->conn);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ktls_conn_free(f->conn);
	ktls_ctx_free(f->ctx);
	close(f->pair[0]);
	close(f->pair[1]);
	if (f->lfd >= 0)
		close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	/* Whatever happened, libktls closed every fd it opened. */
	assert_int_equal(th_count_fds(), f->fds_before);
	free(f);
	return 0;
}

static void set_nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
			 0);
}

/* Poll @fd for @events for @ms: the events that came, 0 for none. */
static short poll_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	assert_true(poll(&pfd, 1, ms) >= 0);
	return pfd.revents;
}

/* Whether two fds are the same socket. */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The fake handshaked takes a client and its request, and checks the
 * request: a handshake as a server with profile "web", carrying the
 * connection's socket.  Returns the client's socket.
 */
static int fake_take(struct fix *f)
{
	struct ktls_proto_msg *m = malloc(sizeof(*m));
	struct ktls_proto_attr a;
	enum ktls_msg_type type;
	size_t off = KTLS_PROTO_HDR;
	bool role = false, profile = false;
	char str[64];
	ssize_t n;
	uint8_t u8;
	int s, fd;

	assert_non_null(m);
	s = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	n = ktls_proto_recv(s, m->buf, sizeof(m->buf), &fd);
	assert_true(n > 0);
	assert_true(fd >= 0);
	assert_true(same_file(fd, f->pair[0]));
	close(fd);
	assert_int_equal(ktls_proto_check(m->buf, (size_t)n, &type), 0);
	assert_int_equal(type, KTLS_MSG_HANDSHAKE);
	while (ktls_proto_next(m->buf, (size_t)n, &off, &a) > 0) {
		if (a.tag == KTLS_A_ROLE) {
			assert_int_equal(ktls_proto_u8(&a, &u8), 0);
			assert_int_equal(u8, KTLS_ROLE_SERVER);
			role = true;
		} else if (a.tag == KTLS_A_PROFILE) {
			assert_int_equal(ktls_proto_str(&a, str, sizeof(str)),
					 0);
			assert_string_equal(str, "web");
			profile = true;
		}
	}
	assert_true(role && profile);
	free(m);
	return s;
}

/* A result: @status, and with 0 a TLS 1.3 session in the kernel. */
static void fake_reply(int s, int32_t status, const char *errstr)
{
	struct ktls_proto_msg *m = malloc(sizeof(*m));

	assert_non_null(m);
	ktls_proto_init(m, KTLS_MSG_RESULT);
	assert_int_equal(ktls_proto_put_u32(m, KTLS_A_STATUS,
					    (uint32_t)status), 0);
	if (errstr)
		assert_int_equal(ktls_proto_put_str(m, KTLS_A_ERRSTR, errstr),
				 0);
	if (status == 0) {
		assert_int_equal(ktls_proto_put_u16(m, KTLS_A_VERSION,
						    KTLS_TLS_1_3), 0);
		assert_int_equal(ktls_proto_put_u16(m, KTLS_A_CIPHER,
				KTLS_CIPHER_AES_256_GCM), 0);
		assert_int_equal(ktls_proto_put_str(m, KTLS_A_ALPN_CHOSEN,
						    "http/1.1"), 0);
		assert_int_equal(ktls_proto_put_u8(m, KTLS_A_RESUMED, 1), 0);
		assert_int_equal(ktls_proto_put(m, KTLS_A_PEER_CERT, cert,
						sizeof(cert)), 0);
		assert_int_equal(ktls_proto_put_u8(m, KTLS_A_TX_OFFLOADED, 1),
				 0);
		assert_int_equal(ktls_proto_put_u8(m, KTLS_A_RX_OFFLOADED, 1),
				 0);
	}
	assert_int_equal(ktls_proto_send(s, m, -1), 0);
	free(m);
}

/* Start a non-blocking handshake up to the wait for the result. */
static int start_nonblocking(struct fix *f)
{
	int wfd;

	set_nonblock(f->pair[0]);
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLIN);
	wfd = ktls_conn_wait_fd(f->conn);
	assert_true(wfd >= 0);
	assert_int_not_equal(wfd, f->pair[0]);
	/* Nothing to read there yet, and asking again changes nothing. */
	assert_int_equal(poll_fd(wfd, POLLIN, 0), 0);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_wait_fd(f->conn), wfd);
	return wfd;
}

static void assert_session(struct fix *f)
{
	const uint8_t *der;
	size_t len;

	assert_int_equal(ktls_conn_version(f->conn), KTLS_TLS_1_3);
	assert_int_equal(ktls_conn_cipher(f->conn), KTLS_CIPHER_AES_256_GCM);
	assert_string_equal(ktls_conn_alpn(f->conn), "http/1.1");
	assert_true(ktls_conn_resumed(f->conn));
	assert_true(ktls_conn_offloaded(f->conn, KTLS_DIR_TX));
	assert_true(ktls_conn_offloaded(f->conn, KTLS_DIR_RX));
	assert_int_equal(ktls_conn_peer_cert(f->conn, 0, &der, &len), 0);
	assert_int_equal(len, sizeof(cert));
	assert_memory_equal(der, cert, sizeof(cert));
	assert_int_equal(ktls_conn_peer_cert(f->conn, 1, &der, &len),
			 -ENOENT);
}

static void test_wait_fd_in_process(void **state)
{
	struct fix *f = *state;

	assert_int_equal(ktls_conn_wait_fd(NULL), -EINVAL);
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
	assert_int_equal(ktls_conn_wait_fd(f->conn), ktls_conn_fd(f->conn));
}

static void test_nonblocking_completes_after_reply(void **state)
{
	struct fix *f = *state;
	int wfd, s;

	wfd = start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_session(f);
	/* Done: the wait fd is the TCP one again. */
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	/* The connection to the daemon stays open, for the next one. */
	assert_int_equal(recv(s, &wfd, sizeof(wfd), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(s);
}

/* A second connection of the context: the fixture's is done. */
static void next_conn(struct fix *f)
{
	ktls_conn_free(f->conn);
	f->conn = ktls_conn_new(f->ctx, f->pair[0], KTLS_ROLE_SERVER);
	assert_non_null(f->conn);
}

/* A request on the connection @s the fake daemon already has. */
static void fake_take_on(struct fix *f, int s)
{
	struct ktls_proto_msg *m = malloc(sizeof(*m));
	enum ktls_msg_type type;
	ssize_t n;
	int fd;

	assert_non_null(m);
	n = ktls_proto_recv(s, m->buf, sizeof(m->buf), &fd);
	assert_true(n > 0);
	assert_true(fd >= 0);
	assert_true(same_file(fd, f->pair[0]));
	close(fd);
	assert_int_equal(ktls_proto_check(m->buf, (size_t)n, &type), 0);
	assert_int_equal(type, KTLS_MSG_HANDSHAKE);
	free(m);
}

/* Two handshakes, one connection to the daemon: no second dial. */
static void test_connection_reused(void **state)
{
	struct fix *f = *state;
	int wfd, s;

	wfd = start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);

	next_conn(f);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLIN);
	/* Nobody dialled: the request came on the same connection. */
	assert_int_equal(poll_fd(f->lfd, POLLIN, 0), 0);
	assert_int_equal(ktls_conn_wait_fd(f->conn), wfd);
	fake_take_on(f, s);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_session(f);
	close(s);
}

/* The daemon closed the kept connection (its idle timeout): dial anew. */
static void test_closed_connection_not_reused(void **state)
{
	struct fix *f = *state;
	int wfd, s;

	wfd = start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	close(s);

	next_conn(f);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLIN);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_session(f);
	close(s);
}

/*
 * The daemon closes the kept connection just as a request goes on it,
 * unread: the handshake goes on, on a new connection whose number differs
 * from the one the application was told to watch.
 */
static void test_connection_closed_under_the_request(void **state)
{
	struct fix *f = *state;
	int wfd, s;

	wfd = start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);

	next_conn(f);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_wait_fd(f->conn), wfd);
	close(s);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLIN);
	assert_int_not_equal(ktls_conn_wait_fd(f->conn), wfd);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_session(f);
	close(s);
}

static void test_nonblocking_error_propagates(void **state)
{
	struct fix *f = *state;
	int s;

	(void)start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, -EACCES, "uid 0 may not use profile 'web' as a server");
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), -EACCES);
	assert_string_equal(ktls_conn_errstr(f->conn),
			    "uid 0 may not use profile 'web' as a server");
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
	/* A failed connection can only be freed. */
	assert_int_equal(ktls_conn_handshake(f->conn), -EINVAL);
	close(s);
}

static void test_nonblocking_daemon_closes(void **state)
{
	struct fix *f = *state;
	int s;

	(void)start_nonblocking(f);
	s = fake_take(f);
	close(s);
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), -ECONNRESET);
	assert_string_equal(ktls_conn_errstr(f->conn),
			    "handshaked went away during the handshake");
}

static void test_nonblocking_malformed_reply(void **state)
{
	struct fix *f = *state;
	uint8_t junk[20] = "not a result at all";
	int s;

	(void)start_nonblocking(f);
	s = fake_take(f);
	assert_int_equal(send(s, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), -EBADMSG);
	assert_string_equal(ktls_conn_errstr(f->conn),
			    "handshaked sent a malformed reply");
	close(s);
}

/* -EAGAIN as the daemon's status would have the caller wait forever. */
static void test_nonblocking_eagain_status_is_bad(void **state)
{
	struct fix *f = *state;
	int s;

	(void)start_nonblocking(f);
	s = fake_take(f);
	fake_reply(s, -EAGAIN, NULL);
	assert_true(poll_fd(ktls_conn_wait_fd(f->conn), POLLIN, 5000) &
		    POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), -EBADMSG);
	assert_string_equal(ktls_conn_errstr(f->conn),
			    "handshaked sent a bad status");
	close(s);
}

/* No daemon: the failure comes at once, with words, even non-blocking. */
static void test_no_daemon(void **state)
{
	struct fix *f = *state;
	char want[256];

	close(f->lfd);
	f->lfd = -1;
	unlink(f->path);
	set_nonblock(f->pair[0]);
	assert_int_equal(ktls_conn_handshake(f->conn), -ENOENT);
	snprintf(want, sizeof(want), "cannot reach handshaked at %s: %s",
		 f->path, ktls_strerror(-ENOENT));
	assert_string_equal(ktls_conn_errstr(f->conn), want);
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
}

/*
 * A full listen queue: -EAGAIN with POLLOUT on the unconnected socket,
 * which polls ready at once; once the daemon accepts, the next call
 * connects and sends.
 */
static void test_nonblocking_full_backlog(void **state)
{
	struct fix *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int other, s, wfd;

	close(f->lfd);
	unlink(f->path);
	listen_on(f, 0);
	/* Another client fills the queue of length 0 (one pending). */
	other = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(other >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(connect(other, (struct sockaddr *)&sun, sizeof(sun)),
			 0);
	set_nonblock(f->pair[0]);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLOUT);
	wfd = ktls_conn_wait_fd(f->conn);
	assert_int_not_equal(wfd, f->pair[0]);
	assert_int_not_equal(poll_fd(wfd, POLLOUT, 0), 0);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLOUT);
	/* The daemon takes the other client: room for this one. */
	s = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	close(s);
	close(other);
	assert_int_equal(ktls_conn_handshake(f->conn), -EAGAIN);
	assert_int_equal(ktls_conn_events(f->conn), POLLIN);
	assert_int_equal(ktls_conn_wait_fd(f->conn), wfd);
	s = fake_take(f);
	fake_reply(s, 0, NULL);
	assert_true(poll_fd(wfd, POLLIN, 5000) & POLLIN);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_session(f);
	close(s);
}

/* Freeing the connection mid-way abandons it: the daemon sees the end. */
static void test_nonblocking_abandoned(void **state)
{
	struct fix *f = *state;
	char c;
	int s;

	(void)start_nonblocking(f);
	s = fake_take(f);
	ktls_conn_free(f->conn);
	f->conn = NULL;
	assert_int_equal(recv(s, &c, 1, MSG_DONTWAIT), 0);
	close(s);
}

static void *fake_thread(void *arg)
{
	struct fix *f = arg;
	int s = fake_take(f);

	fake_reply(s, 0, NULL);
	close(s);
	return NULL;
}

/* A blocking fd: one call, as before. */
static void test_blocking_runs_to_the_end(void **state)
{
	struct fix *f = *state;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fake_thread, f), 0);
	assert_int_equal(ktls_conn_handshake(f->conn), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_session(f);
	assert_int_equal(ktls_conn_wait_fd(f->conn), f->pair[0]);
	assert_int_equal(fcntl(f->pair[0], F_GETFL) & O_NONBLOCK, 0);
}

static void *fake_thread_err(void *arg)
{
	struct fix *f = arg;
	int s = fake_take(f);

	fake_reply(s, -ENOENT, "no profile 'web'");
	close(s);
	return NULL;
}

static void test_blocking_error_propagates(void **state)
{
	struct fix *f = *state;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fake_thread_err, f), 0);
	assert_int_equal(ktls_conn_handshake(f->conn), -ENOENT);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(ktls_conn_errstr(f->conn), "no profile 'web'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_wait_fd_in_process),
		T(test_nonblocking_completes_after_reply),
		T(test_nonblocking_error_propagates),
		T(test_nonblocking_daemon_closes),
		T(test_nonblocking_malformed_reply),
		T(test_nonblocking_eagain_status_is_bad),
		T(test_no_daemon),
		T(test_nonblocking_full_backlog),
		T(test_nonblocking_abandoned),
		T(test_connection_reused),
		T(test_closed_connection_not_reused),
		T(test_connection_closed_under_the_request),
		T(test_blocking_runs_to_the_end),
		T(test_blocking_error_propagates),
#undef T
	};

	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
