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

#include "tool.h"

const char *tool_name = "ktls-get";

#define HEAD_MAX 16384
#define BUF_SIZE (256 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ktls-get [options] https://HOST[:PORT]/PATH\n"
		"Download the URL over TLS with the record layer in the "
		"kernel\n(http:// URLs go over plain TCP, for comparisons)."
		"\n\n"
		"  -o, --output FILE write the body to FILE (default: discard "
		"it)\n"
		"  --insecure        do not verify the server (tests only)\n"
		TOOL_OPTS_HELP
		"  -h, --help        print this help and exit\n"
		"  -V, --version     print the version and exit\n"
		"\nWithout --cafile or --capath the system's CAs are trusted. "
		"A progress bar\nshows on a terminal.  Exit status: 0 for a "
		"whole 2xx body, 1 otherwise.\n");
}

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

static void progress(unsigned long long got, long long total, double t0,
		     bool last)
{
	static double shown;
	double t = now_s(), rate;
	int i, w = 30, fill;

	if (!last && t - shown < 0.2)
		return;
	shown = t;
	rate = t > t0 ? (double)got / (t - t0) : 0;
	fill = total > 0 ? (int)((double)got * w / (double)total) : 0;
	fputc('\r', stderr);
	if (total > 0) {
		fputc('[', stderr);
		for (i = 0; i < w; i++)
			fputc(i < fill ? '#' : ' ', stderr);
		fprintf(stderr, "] %3d%% ", (int)(got * 100 / (unsigned long long)total));
	}
	fprintf(stderr, "%8.1f MiB %8.1f MB/s", (double)got / 1048576,
		rate / 1e6);
	if (last)
		fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	enum { OPT_INSECURE = 512 };
	static const struct option opts[] = {
		TOOL_LONG_OPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char host[256], port[16], req[4096], head[HEAD_MAX + 1] = "", *body;
	const char *output = NULL, *path, *p;
	unsigned long long got = 0;
	long long length = -1;
	size_t hlen = 0;
	struct tool_opts o;
	struct ktls_ctx *ctx = NULL;
	struct ktls_conn *conn = NULL;
	bool bar, tls;
	double t0, t1;
	int c, fd, out = -1, status, ret, n;
	ssize_t r;
	char *buf;

	tool_opts_init(&o);
	while ((c = getopt_long(argc, argv, "o:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_INSECURE:
			o.verify = KTLS_VERIFY_NONE_INSECURE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ktls-get %s\n", ktls_version());
			return 0;
		default:
			if (tool_opt(&o, c, optarg) < 0) {
				usage(stderr);
				return 2;
			}
		}
	}
	if (optind + 1 != argc ||
	    parse_url(argv[optind], host, sizeof(host), port, sizeof(port),
		      &path, &tls) < 0) {
		usage(stderr);
		return 2;
	}
	if (output) {
		out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		if (out < 0)
			tool_die("%s: %s", output, strerror(errno));
	}
	buf = malloc(BUF_SIZE);
	if (!buf)
		tool_die("out of memory");
	if (tls)
		ctx = tool_ctx_setup(&o);
	t0 = now_s();
	fd = dial(host, port);
	if (tls) {
		conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
		if (!conn || ktls_conn_set_peer_name(conn, host) < 0)
			tool_die("setting up the connection failed");
		ret = ktls_conn_handshake(conn);
		if (ret < 0)
			tool_die("handshake with %s failed: %s", host,
				 get_err(conn, ret));
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: ktls-get/%s\r\nConnection: close\r\n\r\n",
		     path, host, ktls_version());
	if (n <= 0 || (size_t)n >= sizeof(req) ||
	    (conn ? tool_send_all(conn, req, (size_t)n) :
	     send(fd, req, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -EIO) < 0)
		tool_die("sending the request failed: %s", get_err(conn, -EIO));
	/* The head. */
	while (!(body = strstr(head, "\r\n\r\n")) || hlen == 0) {
		if (hlen >= HEAD_MAX)
			tool_die("the answer's head is over %d bytes",
				 HEAD_MAX);
		r = get_recv(conn, fd, head + hlen, HEAD_MAX - hlen);
		if (r <= 0)
			tool_die("no answer: %s", r == 0 ? "the server "
				 "closed the connection" : get_err(conn, r));
		hlen += (size_t)r;
		head[hlen] = '\0';
	}
	if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
		tool_die("not an HTTP answer");
	for (p = strstr(head, "\r\n"); p && p < body; p = strstr(p + 2, "\r\n"))
		if (!strncasecmp(p + 2, "Content-Length:", 15))
			length = strtoll(p + 17, NULL, 10);
	bar = isatty(STDERR_FILENO) && !o.quiet;
	/* What came with the head, then the rest. */
	body += 4;
	r = (ssize_t)(head + hlen - body);
	for (;;) {
		if (r > 0) {
			const char *src = got == 0 && body ? body : buf;

			if (out >= 0 && write(out, src, (size_t)r) != r)
				tool_die("%s: %s", output, strerror(errno));
			got += (unsigned long long)r;
			if (bar)
				progress(got, length, t0, false);
		}
		body = NULL;
		if (length >= 0 && got >= (unsigned long long)length)
			break;
		r = get_recv(conn, fd, buf, BUF_SIZE);
		if (r == 0)
			break;		/* close_notify: the end of the body */
		if (r < 0) {
			fprintf(stderr, "ktls-get: after %llu bytes: %s\n",
				got, get_err(conn, r));
			return 1;
		}
	}
	t1 = now_s();
	if (bar)
		progress(got, length, t0, true);
	if (!o.quiet && !conn)
		fprintf(stderr, "ktls-get: %d, %llu bytes in %.3f s: %.1f MB/s; "
			"plain TCP, no TLS\n", status, got, t1 - t0,
			t1 > t0 ? (double)got / (t1 - t0) / 1e6 : 0.0);
	if (!o.quiet && conn)
		fprintf(stderr, "ktls-get: %d, %llu bytes in %.3f s: %.1f MB/s; "
			"%s %s, tx=%s rx=%s\n", status, got, t1 - t0,
			t1 > t0 ? (double)got / (t1 - t0) / 1e6 : 0.0,
			tool_version_name(ktls_conn_version(conn)),
			ktls_cipher_name(ktls_conn_cipher(conn)),
			ktls_conn_offloaded(conn, KTLS_DIR_TX) ? "kernel" :
			"software",
			ktls_conn_offloaded(conn, KTLS_DIR_RX) ? "kernel" :
			"software");
	if (conn && ktls_close(conn) < 0 && !o.quiet)
		fprintf(stderr, "ktls-get: close_notify not sent: %s\n",
			ktls_conn_errstr(conn));
	ktls_conn_free(conn);
	ktls_ctx_free(ctx);
	close(fd);
	free(buf);
	if (out >= 0 && close(out) < 0)
		tool_die("%s: %s", output, strerror(errno));
	if (length >= 0 && got != (unsigned long long)length) {
		fprintf(stderr, "ktls-get: %llu of %lld bytes\n", got, length);
		return 1;
	}
	return status >= 200 && status < 300 ? 0 : 1;
}
