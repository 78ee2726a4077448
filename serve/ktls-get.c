// SPDX-License-Identifier: MIT
/*
 * ktls-get - download an https:// URL over kTLS: verify the server, read
 * the body with the record layer in the kernel, write it to a file or
 * discard it, and say how many bytes came in how long.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "response.h"
#include "tool.h"

const char *tool_name = "ktls-get";

#define BUF_SIZE (256 * 1024)

enum { OPT_INSECURE = OPT_OWN };

static const struct tool_option options[] = {
	{ "output", 'o', "FILE", "write the body to FILE, - for standard "
	  "output\n(default: discard it)" },
	{ "insecure", OPT_INSECURE, NULL, "do not verify the server (tests "
	  "only)" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd cmd = {
	.synopsis = "[options] https://HOST[:PORT]/PATH",
	.about = "Download the URL over TLS with the record layer in the "
		 "kernel\n(http:// URLs go over plain TCP, for comparisons).",
	.opts = options,
	.quiet = "print nothing but errors (no progress bar, no\n"
		 "summary)",
	.notes = "Without --cafile or --capath the system's CAs are trusted. "
		 "A progress bar\nshows on a terminal.  Chunked bodies are "
		 "decoded.  Exit status: 0 for a\nwhole 2xx body, 1 "
		 "otherwise.",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* https://HOST[:PORT][/PATH] (or http://, plain TCP, for comparisons);
 * [v6] hosts too. */
static int parse_url(const char *url, char *host, size_t hsize, char *port,
		     size_t psize, const char **path, bool *tls)
{
	const char *p, *end;
	size_t n;

	*tls = !strncmp(url, "https://", 8);
	if (!*tls && strncmp(url, "http://", 7))
		return -1;
	p = url + (*tls ? 8 : 7);
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end)
			return -1;
		n = (size_t)(end - p - 1);
		if (n >= hsize)
			return -1;
		memcpy(host, p + 1, n);
		host[n] = '\0';
		p = end + 1;
	} else {
		n = strcspn(p, ":/");
		if (!n || n >= hsize)
			return -1;
		memcpy(host, p, n);
		host[n] = '\0';
		p += n;
	}
	snprintf(port, psize, *tls ? "443" : "80");
	if (*p == ':') {
		n = strcspn(p + 1, "/");
		if (!n || n >= psize)
			return -1;
		memcpy(port, p + 1, n);
		port[n] = '\0';
		p += 1 + n;
	}
	*path = *p ? p : "/";
	return 0;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, one = 1, ret;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		tool_die("%s: %s", host, gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		tool_die("connect to %s port %s: %s", host, port,
			 strerror(errno));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Without TLS (http://) conn is NULL and the socket is used as it is. */
static ssize_t get_recv(struct ktls_conn *conn, int fd, void *buf, size_t len)
{
	ssize_t n;

	if (conn)
		return ktls_recv(conn, buf, len);
	n = recv(fd, buf, len, 0);
	return n < 0 ? -errno : n;
}

static const char *get_err(struct ktls_conn *conn, ssize_t r)
{
	return conn && *ktls_conn_errstr(conn) ? ktls_conn_errstr(conn) :
	       ktls_strerror((int)r);
}

/* "[#####     ]  42%   12.3 of 29.4 MB   45.6 MB/s   ETA 0:03", all in
 * the units of the summary line (MB = 10^6 bytes); without a length,
 * what came and how fast. */
static void progress(unsigned long long got, long long total, double t0,
		     bool last)
{
	static double shown;
	double t = now_s(), rate, eta;
	int i, w = 24, fill;

	if (!last && t - shown < 0.2)
		return;
	shown = t;
	rate = t > t0 ? (double)got / (t - t0) : 0;
	fputc('\r', stderr);
	if (total > 0) {
		fill = (int)((double)got * w / (double)total);
		fputc('[', stderr);
		for (i = 0; i < w; i++)
			fputc(i < fill ? '#' : ' ', stderr);
		fprintf(stderr, "] %3d%% %9.1f of %.1f MB %8.1f MB/s",
			(int)(got * 100 / (unsigned long long)total),
			(double)got / 1e6, (double)total / 1e6, rate / 1e6);
		eta = rate > 0 && (long long)got < total ?
		      (double)(total - (long long)got) / rate : 0;
		if (eta < 360000)
			fprintf(stderr, "  ETA %d:%02d:%02d", (int)eta / 3600,
				(int)eta / 60 % 60, (int)eta % 60);
	} else {
		fprintf(stderr, "%9.1f MB %8.1f MB/s", (double)got / 1e6,
			rate / 1e6);
	}
	if (last)
		fputc('\n', stderr);
}

struct get {
	struct tool_opts o;
	const char *output;
	char host[256], port[16];
	const char *path;
	bool tls;
	struct ktls_ctx *ctx;
	struct ktls_conn *conn;
	int fd, out;
	struct resp_head head;
	struct resp_chunked chunked;
	unsigned long long got;
	double t0;
	bool bar;
	char *buf;
	size_t have;		/* body bytes at buf's start, not yet written */
};

static void parse_args(struct get *g, int argc, char **argv)
{
	int c;

	tool_opts_init(&g->o);
	while ((c = tool_getopt(&cmd, &g->o, argc, argv)) != -1) {
		switch (c) {
		case 'o':
			g->output = optarg;
			break;
		case OPT_INSECURE:
			g->o.verify = KTLS_VERIFY_NONE_INSECURE;
			break;
		default:
			tool_die("option %d unhandled", c);
		}
	}
	if (optind + 1 != argc)
		tool_usage_error("expected one URL, got %d arguments",
				 argc - optind);
	if (parse_url(argv[optind], g->host, sizeof(g->host), g->port,
		      sizeof(g->port), &g->path, &g->tls) < 0)
		tool_usage_error("'%s' is not an https:// (or http://) URL",
				 argv[optind]);
}

static void connect_and_ask(struct get *g)
{
	char req[4096];
	int n, ret;

	g->fd = dial(g->host, g->port);
	if (g->tls) {
		g->conn = ktls_conn_new(g->ctx, g->fd, KTLS_ROLE_CLIENT);
		if (!g->conn || ktls_conn_set_peer_name(g->conn, g->host) < 0)
			tool_die("setting up the connection failed");
		ret = ktls_conn_handshake(g->conn);
		if (ret < 0)
			tool_die("handshake with %s failed: %s", g->host,
				 get_err(g->conn, ret));
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: ktls-get/%s\r\nConnection: close\r\n\r\n",
		     g->path, g->host, ktls_version());
	if (n <= 0 || (size_t)n >= sizeof(req) ||
	    (g->conn ? tool_send_all(g->conn, req, (size_t)n) :
	     send(g->fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -EIO) < 0)
		tool_die("sending the request failed: %s",
			 get_err(g->conn, -EIO));
}

/* Read until the head is whole; what came after it stays in g->buf. */
static void read_head(struct get *g)
{
	size_t len = 0;
	ssize_t r;
	int ret;

	for (;;) {
		ret = resp_parse_head(g->buf, len, &g->head);
		if (ret == -ENOTSUP)
			tool_die("the server sent a transfer coding other than "
				 "chunked, which ktls-get does not decode");
		if (ret == -EMSGSIZE)
			tool_die("the answer's head is over %d bytes",
				 RESP_HEAD_MAX);
		if (ret < 0)
			tool_die("not an HTTP/1.x answer");
		if (ret > 0)
			break;
		r = get_recv(g->conn, g->fd, g->buf + len, BUF_SIZE - len);
		if (r <= 0)
			tool_die("no answer: %s", r == 0 ? "the server "
				 "closed the connection" : get_err(g->conn, r));
		len += (size_t)r;
	}
	g->have = len - (size_t)ret;
	memmove(g->buf, g->buf + ret, g->have);
}

/* Write what is in g->buf (chunked framing stripped first); whether the
 * body is complete. */
static bool take(struct get *g)
{
	size_t used;
	ssize_t n = (ssize_t)g->have;

	if (g->head.chunked) {
		n = resp_chunked_decode(&g->chunked, g->buf, g->have, &used);
		if (n < 0)
			tool_die("after %llu bytes: the chunked framing is "
				 "broken", g->got);
		if (used < g->have)
			tool_die("the server sent %zu bytes after the last "
				 "chunk", g->have - used);
	}
	if (n > 0 && g->out >= 0 && write(g->out, g->buf, (size_t)n) != n)
		tool_die("%s: %s", g->output, strerror(errno));
	g->got += (unsigned long long)n;
	g->have = 0;
	if (g->bar)
		progress(g->got, g->head.length, g->t0, false);
	if (g->head.chunked)
		return g->chunked.done;
	return g->head.length >= 0 &&
	       g->got >= (unsigned long long)g->head.length;
}

static void read_body(struct get *g)
{
	ssize_t r;

	if (g->head.length >= 0 && g->have > (size_t)g->head.length)
		tool_die("the server sent more than its Content-Length");
	while (!take(g)) {
		r = get_recv(g->conn, g->fd, g->buf, BUF_SIZE);
		if (r == 0 && !g->head.chunked && g->head.length < 0)
			return;		/* close_notify: the end of the body */
		if (r == 0)
			tool_die("after %llu bytes: the server closed the "
				 "connection before the end of the body",
				 g->got);
		if (r < 0)
			tool_die("after %llu bytes: %s", g->got,
				 get_err(g->conn, r));
		g->have = (size_t)r;
		if (g->head.length >= 0 &&
		    g->got + g->have > (unsigned long long)g->head.length)
			tool_die("the server sent more than its "
				 "Content-Length");
	}
}

static void summary(const struct get *g, double t1)
{
	double secs = t1 - g->t0, rate = secs > 0 ? (double)g->got / secs : 0;
	const struct ktls_conn *c = g->conn;

	if (g->o.quiet)
		return;
	fprintf(stderr, "ktls-get: %d %s, %llu bytes in %.3f s: %.1f MB/s; ",
		g->head.status, g->head.reason, g->got, secs, rate / 1e6);
	if (!c)
		fprintf(stderr, "plain TCP, no TLS\n");
	else
		fprintf(stderr, "%s %s, tx=%s rx=%s\n",
			tool_version_name(ktls_conn_version(c)),
			ktls_cipher_name(ktls_conn_cipher(c)),
			ktls_conn_offloaded(c, KTLS_DIR_TX) ? "kernel" :
			"software",
			ktls_conn_offloaded(c, KTLS_DIR_RX) ? "kernel" :
			"software");
}

int main(int argc, char **argv)
{
	struct get g = { .fd = -1, .out = -1 };
	bool ok;

	parse_args(&g, argc, argv);
	if (g.output && !strcmp(g.output, "-"))
		g.out = STDOUT_FILENO;
	else if (g.output)
		g.out = open(g.output, O_WRONLY | O_CREAT | O_TRUNC |
			     O_CLOEXEC, 0644);
	if (g.output && g.out < 0)
		tool_die("%s: %s", g.output, strerror(errno));
	g.buf = malloc(BUF_SIZE);
	if (!g.buf)
		tool_die("out of memory");
	if (g.tls)
		g.ctx = tool_ctx_setup(&g.o);
	g.t0 = now_s();
	connect_and_ask(&g);
	read_head(&g);
	g.bar = isatty(STDERR_FILENO) && !g.o.quiet;
	read_body(&g);
	if (g.bar)
		progress(g.got, g.head.length, g.t0, true);
	summary(&g, now_s());
	ok = g.head.status >= 200 && g.head.status < 300;
	if (!ok)
		fprintf(stderr, "ktls-get: server answered %d %s\n",
			g.head.status, g.head.reason);
	if (g.conn && ktls_close(g.conn) < 0 && !g.o.quiet)
		fprintf(stderr, "ktls-get: close_notify not sent: %s\n",
			ktls_conn_errstr(g.conn));
	ktls_conn_free(g.conn);
	ktls_ctx_free(g.ctx);
	close(g.fd);
	free(g.buf);
	if (g.out >= 0 && close(g.out) < 0)
		tool_die("%s: %s", g.output, strerror(errno));
	return ok ? 0 : 1;
}
