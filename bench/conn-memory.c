// SPDX-License-Identifier: MIT
/*
 * conn-memory - heap a libktls connection keeps after its handshake, with
 * and without wolfSSL's state kept for TLS 1.3 post-handshake messages
 * (KTLS_OPT_POST_HANDSHAKE), so that the default is a measured choice.
 *
 * Usage: conn-memory [-n CONNECTIONS] CA CERT KEY
 *
 * Makes CONNECTIONS loopback TLS connections in one process (client and
 * server ends both here), handshakes them, passes one message each way
 * (so tickets are taken in), and reports the heap in use per connection
 * end (glibc's mallinfo2), for TLS 1.2 and 1.3, each setting.  Whether
 * the record layer was offloaded is printed: run it on a kTLS kernel (or
 * in the VM) for the offloaded figures.  Memory is counted, not timed, so
 * figures from the emulated VM are exact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls.h"

struct end {
	int fd;
	struct ktls_conn *conn;
	int ret;
};

static void die(const char *what, int err)
{
	fprintf(stderr, "conn-memory: %s: %s\n", what, ktls_strerror(err));
	exit(1);
}

static void tcp_pair(int lfd, const struct sockaddr_in *addr, int fds[2])
{
	int one = 1;

	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 ||
	    connect(fds[0], (const struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("connect", -errno);
	fds[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fds[1] < 0)
		die("accept", -errno);
	(void)setsockopt(fds[0], IPPROTO_TCP, 1 /* TCP_NODELAY */, &one,
			 sizeof(one));
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
}

/* Drive both ends' handshakes until done. */
static void handshake(struct end *c, struct end *s)
{
	c->ret = s->ret = -EAGAIN;
	while (c->ret == -EAGAIN || s->ret == -EAGAIN) {
		struct pollfd p[2] = {
			{ c->fd, ktls_conn_events(c->conn), 0 },
			{ s->fd, ktls_conn_events(s->conn), 0 },
		};

		if (c->ret == -EAGAIN)
			c->ret = ktls_conn_handshake(c->conn);
		if (s->ret == -EAGAIN)
			s->ret = ktls_conn_handshake(s->conn);
		if (c->ret == -EAGAIN || s->ret == -EAGAIN)
			(void)poll(p, 2, 1000);
	}
	if (c->ret < 0)
		die(ktls_conn_errstr(c->conn), c->ret);
	if (s->ret < 0)
		die(ktls_conn_errstr(s->conn), s->ret);
}

/* One message from @from to @to, read in full. */
static void ping(struct end *from, struct end *to)
{
	char buf[64];
	ssize_t n;

	if (ktls_send(from->conn, "ping", 4) != 4)
		die("send", -EIO);
	for (;;) {
		n = ktls_recv(to->conn, buf, sizeof(buf));
		if (n == 4)
			return;
		if (n != -EAGAIN)
			die("recv", n < 0 ? (int)n : -EIO);
		struct pollfd p = { to->fd, POLLIN, 0 };
		(void)poll(&p, 1, 1000);
	}
}

static size_t heap(void)
{
	return mallinfo2().uordblks;
}

static void run(struct ktls_ctx *cctx, struct ktls_ctx *sctx, int n,
		uint16_t version, int post)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct end *c = calloc((size_t)n, sizeof(*c));
	struct end *s = calloc((size_t)n, sizeof(*s));
	size_t before, after;
	int lfd, i, offloaded = 0;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!c || !s || lfd < 0 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, n) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0)
		die("listen", -errno);
	if (ktls_ctx_set_opt(cctx, KTLS_OPT_POST_HANDSHAKE, post) < 0 ||
	    ktls_ctx_set_opt(sctx, KTLS_OPT_POST_HANDSHAKE, post) < 0 ||
	    ktls_ctx_set_opt(cctx, KTLS_OPT_VERSION_MAX, version) < 0 ||
	    ktls_ctx_set_opt(cctx, KTLS_OPT_VERSION_MIN, version) < 0)
		die("options", -EINVAL);

	before = heap();
	for (i = 0; i < n; i++) {
		int fds[2];

		tcp_pair(lfd, &addr, fds);
		c[i].fd = fds[0];
		s[i].fd = fds[1];
		c[i].conn = ktls_conn_new(cctx, fds[0], KTLS_ROLE_CLIENT);
		s[i].conn = ktls_conn_new(sctx, fds[1], KTLS_ROLE_SERVER);
		if (!c[i].conn || !s[i].conn)
			die("ktls_conn_new", -ENOMEM);
		if (ktls_conn_set_peer_name(c[i].conn, "localhost") < 0)
			die("peer name", -EINVAL);
		handshake(&c[i], &s[i]);
		ping(&s[i], &c[i]);	/* the client takes in the ticket */
		ping(&c[i], &s[i]);
		offloaded += ktls_conn_offloaded(c[i].conn, KTLS_DIR_TX) &&
			     ktls_conn_offloaded(c[i].conn, KTLS_DIR_RX);
	}
	after = heap();
	printf("%-8s %-15s %-9s %12zu\n",
	       version == KTLS_TLS_1_3 ? "TLSv1.3" : "TLSv1.2",
	       post ? "1 (default)" : "0", offloaded == n ? "yes" :
	       offloaded ? "partly" : "no", (after - before) / (2 * (size_t)n));

	for (i = 0; i < n; i++) {
		ktls_conn_free(c[i].conn);
		ktls_conn_free(s[i].conn);
		close(c[i].fd);
		close(s[i].fd);
	}
	close(lfd);
	free(c);
	free(s);
}

int main(int argc, char **argv)
{
	struct ktls_ctx *cctx, *sctx;
	int n = 200, opt, post;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		n = atoi(optarg);
	}
	if (argc - optind != 3 || n <= 0)
		goto usage;
	cctx = ktls_ctx_new();
	sctx = ktls_ctx_new();
	if (!cctx || !sctx)
		die("ktls_ctx_new", -ENOMEM);
	if (ktls_ctx_load_ca_file(cctx, argv[optind]) < 0)
		die(ktls_ctx_errstr(cctx), -EINVAL);
	if (ktls_ctx_add_identity(sctx, argv[optind + 1], argv[optind + 2]) < 0)
		die(ktls_ctx_errstr(sctx), -EINVAL);

	printf("heap per connection end after the handshake and one message "
	       "each way, %d connections (glibc mallinfo2: counted, not "
	       "timed)\n", n);
	printf("%-8s %-15s %-9s %12s\n", "version", "POST_HANDSHAKE",
	       "offloaded", "bytes");
	for (post = 1; post >= 0; post--) {
		run(cctx, sctx, n, KTLS_TLS_1_3, post);
		run(cctx, sctx, n, KTLS_TLS_1_2, post);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
	return 0;
usage:
	fprintf(stderr, "usage: conn-memory [-n CONNECTIONS] CA CERT KEY\n");
	return 2;
}
