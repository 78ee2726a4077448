// SPDX-License-Identifier: MIT
/*
 * record-ktls - throughput of libktls's record layer: one loopback TCP
 * connection inside this process, a client thread sending MIB mebibytes
 * from memory with ktls_send() and the server reading them with
 * ktls_recv().  Only the transfer is timed: the handshake, process start
 * and setup are not, and no file is read or written.
 *
 * Usage: record-ktls [-v 1.2|1.3] [-c CIPHER] [-m MIB] [-w BYTES] [-k]
 *                    CA CERT KEY
 *   -c  AES-128-GCM (default), AES-256-GCM or CHACHA20-POLY1305
 *   -w  bytes per ktls_send() (default 16384: one full record)
 *   -k  let the record layer go to the kernel when it can (default: in
 *       software, KTLS_OPT_FORCE_SOFTWARE, on both ends)
 *
 * Prints one line, the same shape as record-openssl's:
 *   record-ktls VERSION CIPHER MB/S SECONDS CPU_S_PER_GIB BYTES TX=WHERE
 * MB are 10^6 bytes; CPU is this process's user + system time over the
 * transfer (both ends), per GiB moved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktls.h"

struct bench {
	struct ktls_ctx *sctx;
	int lfd;
	size_t total;
	pthread_barrier_t ready;	/* both handshakes done */
	struct timespec end;		/* the last byte received */
	int ret;
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "record-ktls: %s: %s\n", what, why);
	exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* The server end: accept, handshake, read everything, time the end. */
static void *server(void *arg)
{
	static char buf[64 * 1024];
	struct bench *b = arg;
	struct ktls_conn *conn;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept", strerror(errno));
	conn = ktls_conn_new(b->sctx, fd, KTLS_ROLE_SERVER);
	if (!conn)
		die("ktls_conn_new", "out of memory");
	b->ret = ktls_conn_handshake(conn);
	if (b->ret < 0)
		die("server handshake", ktls_conn_errstr(conn));
	pthread_barrier_wait(&b->ready);
	while (got < b->total) {
		n = ktls_recv(conn, buf, sizeof(buf));
		if (n <= 0)
			die("ktls_recv", n ? ktls_conn_errstr(conn) :
			    "close_notify before the end");
		got += (size_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &b->end);
	/* The client's close_notify. */
	while ((n = ktls_recv(conn, buf, sizeof(buf))) > 0)
		;
	ktls_conn_free(conn);
	close(fd);
	return NULL;
}

static const char *version_name(uint16_t v)
{
	return v == KTLS_TLS_1_3 ? "TLSv1.3" : "TLSv1.2";
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct bench b = { .total = 256u << 20 };
	const char *cipher = "AES-128-GCM";
	struct ktls_ctx *cctx;
	struct ktls_conn *conn;
	size_t wsize = 16384, sent = 0;
	uint16_t version = KTLS_TLS_1_3;
	double t0, t1, c0, c1;
	int opt, fd, software = 1, one = 1;
	pthread_t th;
	char *buf;

	while ((opt = getopt(argc, argv, "v:c:m:w:k")) != -1) {
		switch (opt) {
		case 'v':
			if (!strcmp(optarg, "1.2"))
				version = KTLS_TLS_1_2;
			else if (strcmp(optarg, "1.3"))
				goto usage;
			break;
		case 'c':
			cipher = optarg;
			break;
		case 'm':
			b.total = (size_t)strtoul(optarg, NULL, 10) << 20;
			break;
		case 'w':
			wsize = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			software = 0;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 3 || !b.total || !wsize || wsize > (64u << 20))
		goto usage;

	buf = malloc(wsize);
	if (!buf)
		die("malloc", strerror(ENOMEM));
	memset(buf, 0xa5, wsize);
	cctx = ktls_ctx_new();
	b.sctx = ktls_ctx_new();
	if (!cctx || !b.sctx)
		die("ktls_ctx_new", "out of memory");
	if (ktls_ctx_load_ca_file(cctx, argv[optind]) < 0)
		die(argv[optind], ktls_ctx_errstr(cctx));
	if (ktls_ctx_add_identity(b.sctx, argv[optind + 1],
				  argv[optind + 2]) < 0)
		die(argv[optind + 1], ktls_ctx_errstr(b.sctx));
	if (ktls_ctx_set_ciphers(cctx, cipher) < 0)
		die(cipher, ktls_ctx_errstr(cctx));
	if (ktls_ctx_set_opt(cctx, KTLS_OPT_VERSION_MIN, version) < 0 ||
	    ktls_ctx_set_opt(cctx, KTLS_OPT_VERSION_MAX, version) < 0 ||
	    ktls_ctx_set_opt(cctx, KTLS_OPT_FORCE_SOFTWARE, software) < 0 ||
	    ktls_ctx_set_opt(b.sctx, KTLS_OPT_FORCE_SOFTWARE, software) < 0)
		die("options", ktls_ctx_errstr(cctx));

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b.lfd < 0 || bind(b.lfd, (struct sockaddr *)&addr,
			      sizeof(addr)) < 0 || listen(b.lfd, 1) < 0 ||
	    getsockname(b.lfd, (struct sockaddr *)&addr, &alen) < 0)
		die("listen", strerror(errno));
	pthread_barrier_init(&b.ready, NULL, 2);
	if (pthread_create(&th, NULL, server, &b) != 0)
		die("pthread_create", strerror(EAGAIN));

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect", strerror(errno));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn = ktls_conn_new(cctx, fd, KTLS_ROLE_CLIENT);
	if (!conn)
		die("ktls_conn_new", "out of memory");
	if (ktls_conn_set_peer_name(conn, "localhost") < 0 ||
	    ktls_conn_handshake(conn) < 0)
		die("client handshake", ktls_conn_errstr(conn));
	pthread_barrier_wait(&b.ready);

	c0 = cpu();
	t0 = now();
	while (sent < b.total) {
		size_t len = b.total - sent < wsize ? b.total - sent : wsize;
		ssize_t n = ktls_send(conn, buf, len);

		if (n <= 0)
			die("ktls_send", ktls_conn_errstr(conn));
		sent += (size_t)n;
	}
	/* The server thread ends after our close_notify. */
	if (ktls_close(conn) < 0)
		die("ktls_close", ktls_conn_errstr(conn));
	pthread_join(th, NULL);
	c1 = cpu();
	t1 = (double)b.end.tv_sec + (double)b.end.tv_nsec / 1e9;
	printf("record-ktls %s %s %.1f %.3f %.2f %zu TX=%s\n",
	       version_name(ktls_conn_version(conn)),
	       ktls_cipher_name(ktls_conn_cipher(conn)),
	       (double)b.total / 1e6 / (t1 - t0), t1 - t0,
	       (c1 - c0) / ((double)b.total / (1u << 30)), b.total,
	       ktls_conn_offloaded(conn, KTLS_DIR_TX) ? "kernel" : "software");
	ktls_conn_free(conn);
	close(fd);
	close(b.lfd);
	ktls_ctx_free(cctx);
	ktls_ctx_free(b.sctx);
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: record-ktls [-v 1.2|1.3] [-c CIPHER] [-m MIB] "
		"[-w BYTES] [-k] CA CERT KEY\n");
	return 2;
}
