// SPDX-License-Identifier: MIT
/*
 * record-openssl - the peer of record-ktls: the same loopback transfer,
 * timed the same way, through OpenSSL's record layer in user space
 * (SSL_write/SSL_read; OpenSSL's own kTLS is off).  Only the transfer is
 * timed; the data comes from memory.
 *
 * Usage: record-openssl [-v 1.2|1.3] [-c CIPHER] [-m MIB] [-w BYTES] [-n]
 *                       CA CERT KEY
 *   -c  AES-128-GCM (default), AES-256-GCM or CHACHA20-POLY1305 (libktls's
 *       names; the ECDHE suite of the key's type under TLS 1.2)
 *   -w  bytes per SSL_write() (default 16384: one full record)
 *   -n  no TLS: the same transfer with send/recv, the loopback's ceiling
 *
 * Prints one line, the same shape as record-ktls's:
 *   record-openssl VERSION CIPHER MB/S SECONDS CPU_S_PER_GIB BYTES TX=software
 * (with -n: record-tcp none none MB/S SECONDS CPU_S_PER_GIB BYTES TX=none)
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

#include <openssl/err.h>
#include <openssl/ssl.h>

/* -n: plain TCP, no TLS */
static int plain;

struct bench {
	SSL_CTX *sctx;
	int lfd;
	size_t total;
	pthread_barrier_t ready;	/* both handshakes done */
	struct timespec end;		/* the last byte received */
};

static void die(const char *what)
{
	unsigned long e = ERR_get_error();

	fprintf(stderr, "record-openssl: %s: %s\n", what,
		e ? ERR_error_string(e, NULL) : strerror(errno));
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

/* SSL_read/SSL_write, or recv/send with -n. */
static int xread(SSL *ssl, int fd, void *buf, int len)
{
	return plain ? (int)recv(fd, buf, (size_t)len, 0) :
		       SSL_read(ssl, buf, len);
}

static int xwrite(SSL *ssl, int fd, const void *buf, int len)
{
	return plain ? (int)send(fd, buf, (size_t)len, MSG_NOSIGNAL) :
		       SSL_write(ssl, buf, len);
}

static void *server(void *arg)
{
	static char buf[64 * 1024];
	struct bench *b = arg;
	size_t got = 0;
	SSL *ssl = NULL;
	int fd, n;

	fd = accept4(b->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		die("accept");
	if (!plain) {
		ssl = SSL_new(b->sctx);
		if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
			die("server handshake");
	}
	pthread_barrier_wait(&b->ready);
	while (got < b->total) {
		n = xread(ssl, fd, buf, sizeof(buf));
		if (n <= 0)
			die("read");
		got += (size_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &b->end);
	while (xread(ssl, fd, buf, sizeof(buf)) > 0)
		;
	SSL_free(ssl);
	close(fd);
	return NULL;
}

/* Our cipher name -> OpenSSL's TLS 1.3 suite, or its TLS 1.2 ECDHE suite
 * for an ECDSA (ec) or RSA certificate. */
static int set_cipher(SSL_CTX *ctx, const char *name, int tls13, int ec)
{
	static const struct {
		const char *ours, *v13, *v12ec, *v12rsa;
	} map[] = {
		{ "AES-128-GCM", "TLS_AES_128_GCM_SHA256",
		  "ECDHE-ECDSA-AES128-GCM-SHA256",
		  "ECDHE-RSA-AES128-GCM-SHA256" },
		{ "AES-256-GCM", "TLS_AES_256_GCM_SHA384",
		  "ECDHE-ECDSA-AES256-GCM-SHA384",
		  "ECDHE-RSA-AES256-GCM-SHA384" },
		{ "CHACHA20-POLY1305", "TLS_CHACHA20_POLY1305_SHA256",
		  "ECDHE-ECDSA-CHACHA20-POLY1305",
		  "ECDHE-RSA-CHACHA20-POLY1305" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(name, map[i].ours))
			continue;
		if (tls13)
			return SSL_CTX_set_ciphersuites(ctx, map[i].v13);
		return SSL_CTX_set_cipher_list(ctx, ec ? map[i].v12ec :
					       map[i].v12rsa);
	}
	return 0;
}

static SSL_CTX *new_ctx(const SSL_METHOD *m, int version)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, version) ||
	    !SSL_CTX_set_max_proto_version(ctx, version))
		die("SSL_CTX_new");
	/* Stay in user space whatever the configuration says. */
	SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_KTLS);
	return ctx;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct bench b = { .total = 256u << 20 };
	const char *cipher = "AES-128-GCM";
	int version = TLS1_3_VERSION, opt, fd, one = 1, ec;
	size_t wsize = 16384, sent = 0;
	double t0, t1, c0, c1;
	SSL_CTX *cctx;
	EVP_PKEY *pkey;
	pthread_t th;
	char *buf;
	SSL *ssl = NULL;

	while ((opt = getopt(argc, argv, "v:c:m:w:n")) != -1) {
		switch (opt) {
		case 'v':
			if (!strcmp(optarg, "1.2"))
				version = TLS1_2_VERSION;
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
		case 'n':
			plain = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 3 || !b.total || !wsize || wsize > (64u << 20))
		goto usage;

	buf = malloc(wsize);
	if (!buf)
		die("malloc");
	memset(buf, 0xa5, wsize);
	cctx = new_ctx(TLS_client_method(), version);
	b.sctx = new_ctx(TLS_server_method(), version);
	if (!SSL_CTX_load_verify_locations(cctx, argv[optind], NULL))
		die(argv[optind]);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	if (!SSL_CTX_use_certificate_chain_file(b.sctx, argv[optind + 1]) ||
	    !SSL_CTX_use_PrivateKey_file(b.sctx, argv[optind + 2],
					 SSL_FILETYPE_PEM))
		die(argv[optind + 1]);
	pkey = SSL_CTX_get0_privatekey(b.sctx);
	ec = pkey && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC;
	if (!set_cipher(cctx, cipher, version == TLS1_3_VERSION, ec))
		die(cipher);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b.lfd < 0 || bind(b.lfd, (struct sockaddr *)&addr,
			      sizeof(addr)) < 0 || listen(b.lfd, 1) < 0 ||
	    getsockname(b.lfd, (struct sockaddr *)&addr, &alen) < 0)
		die("listen");
	pthread_barrier_init(&b.ready, NULL, 2);
	if (pthread_create(&th, NULL, server, &b) != 0)
		die("pthread_create");

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!plain) {
		ssl = SSL_new(cctx);
		if (!ssl || !SSL_set_fd(ssl, fd) ||
		    !SSL_set_tlsext_host_name(ssl, "localhost") ||
		    !SSL_set1_host(ssl, "localhost") || SSL_connect(ssl) != 1)
			die("client handshake");
	}
	pthread_barrier_wait(&b.ready);

	c0 = cpu();
	t0 = now();
	while (sent < b.total) {
		size_t len = b.total - sent < wsize ? b.total - sent : wsize;
		int n = xwrite(ssl, fd, buf, (int)len);

		if (n <= 0)
			die("write");
		sent += (size_t)n;
	}
	/* The server thread ends after our close_notify (or FIN). */
	if (plain)
		shutdown(fd, SHUT_WR);
	else
		SSL_shutdown(ssl);
	pthread_join(th, NULL);
	c1 = cpu();
	t1 = (double)b.end.tv_sec + (double)b.end.tv_nsec / 1e9;
	if (plain) {
		printf("record-tcp none none %.1f %.3f %.2f %zu TX=none\n",
		       (double)b.total / 1e6 / (t1 - t0), t1 - t0,
		       (c1 - c0) / ((double)b.total / (1u << 30)), b.total);
		return 0;
	}
	if (!strstr(SSL_get_cipher_name(ssl), cipher[0] == 'C' ? "CHACHA" :
		    strstr(cipher, "128") ? "AES128" : "AES256") &&
	    !strstr(SSL_get_cipher_name(ssl), cipher[0] == 'C' ? "CHACHA" :
		    strstr(cipher, "128") ? "AES_128" : "AES_256")) {
		fprintf(stderr, "record-openssl: negotiated %s, not %s\n",
			SSL_get_cipher_name(ssl), cipher);
		return 1;
	}
	printf("record-openssl %s %s %.1f %.3f %.2f %zu TX=software\n",
	       SSL_get_version(ssl), cipher, (double)b.total / 1e6 / (t1 - t0),
	       t1 - t0, (c1 - c0) / ((double)b.total / (1u << 30)), b.total);
	SSL_free(ssl);
	close(fd);
	close(b.lfd);
	SSL_CTX_free(cctx);
	SSL_CTX_free(b.sctx);
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: record-openssl [-v 1.2|1.3] [-c CIPHER] "
		"[-m MIB] [-w BYTES] [-n] CA CERT KEY\n");
	return 2;
}
