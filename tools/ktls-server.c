// SPDX-License-Identifier: MIT
/*
 * ktls-server - accept TLS connections and answer them, in the habit of
 * openssl s_server: echo what the client sends, describe the session to
 * an HTTP client (--www), send a file with sendfile (--file), or keep what
 * the client sends (--out).  One line per connection goes to stderr.
 *
 * Exit status: 0 after --count connections (or a signal), 1 on a setup
 * failure.  With --count, 1 also if any of those connections failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

const char *tool_name = "ktls-server";

/* The longest request head --www answers with its page. */
#define REQ_MAX (64 * 1024)
/* How long a closing connection waits for the client to end its stream. */
#define LINGER_MS 2000

enum mode { MODE_ECHO, MODE_WWW, MODE_FILE, MODE_OUT };

struct server {
	struct tool_opts o;
	enum mode mode;
	const char *path;
	const char *bind;
	const char *ready_file;
	long count;
	bool fork;
	bool no_cache;
};

enum {
	OPT_BIND = OPT_OWN, OPT_WWW, OPT_FILE, OPT_OUT, OPT_VERIFY,
	OPT_REQUIRE, OPT_COUNT, OPT_FORK, OPT_READY, OPT_NO_CACHE,
};

static const struct tool_option options[] = {
	{ "bind", OPT_BIND, "ADDRESS", "listen on ADDRESS, IPv4 or IPv6 "
	  "(default\n127.0.0.1; :: is every address, both)" },
	{ "www", OPT_WWW, NULL, "answer an HTTP request with a page about\n"
	  "the session" },
	{ "file", OPT_FILE, "PATH", "send PATH (with sendfile), then close" },
	{ "out", OPT_OUT, "PATH", "write what the client sends to PATH\n"
	  "(default: echo it back)" },
	{ "verify", OPT_VERIFY, NULL, "ask for a client certificate" },
	{ "require-cert", OPT_REQUIRE, NULL, "require a client certificate" },
	{ "count", OPT_COUNT, "N", "exit after N connections" },
	{ "fork", OPT_FORK, NULL, "a process per connection" },
	{ "no-cache", OPT_NO_CACHE, NULL, "no session-ID cache (tickets still "
	  "work)" },
	{ "ready-file", OPT_READY, "FILE", "write the port to FILE once "
	  "listening" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd cmd = {
	.synopsis = "[options] --cert FILE --key FILE PORT\n"
		    "[options] --psk-identity ID --psk-file FILE PORT\n"
		    "[options] --daemon SOCKET PORT",
	.about = "Accept TLS connections on PORT (0: any free port) and "
		 "answer.",
	.opts = options,
	.quiet = "print only failures (no \"listening\" line, no line\n"
		 "per connection that went well)",
	.psk = true,
};

/*
 * Read an HTTP request head, then answer with a page.  Heads up to
 * REQ_MAX (64 KiB, what browsers and proxies send at most in practice) get
 * the page; a longer one gets 431 rather than a silent close.
 */
static int serve_www(struct ktls_conn *conn, long long *in, long long *out)
{
	static const char too_long[] =
		"HTTP/1.0 431 Request Header Fields Too Large\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	static char req[REQ_MAX];
	char page[2048], line[512], body[1536];
	size_t have = 0;
	int n;

	while (!memmem(req, have, "\r\n\r\n", 4) &&
	       !memmem(req, have, "\n\n", 2)) {
		ssize_t r;

		if (have == sizeof(req)) {
			*in = (long long)have;
			n = tool_send_all(conn, too_long, sizeof(too_long) - 1);
			if (n == 0)
				n = ktls_close(conn);
			return n < 0 ? n : -EMSGSIZE;
		}
		r = ktls_recv(conn, req + have, sizeof(req) - have);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ECONNRESET;
		have += (size_t)r;
	}
	*in = (long long)have;
	if (tool_session_line(conn, line, sizeof(line)) < 0)
		line[0] = '\0';
	n = snprintf(body, sizeof(body),
		     "<html><body><pre>\nktls-server %s\nsession: %s\n"
		     "offload: %s\n</pre></body></html>\n", ktls_version(),
		     line, *ktls_conn_offload_reason(conn) ?
		     ktls_conn_offload_reason(conn) : "both directions");
	n = snprintf(page, sizeof(page),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
		     n, body);
	*out = n;
	n = tool_send_all(conn, page, (size_t)n);
	if (n < 0)
		return n;
	n = ktls_close(conn);
	if (n < 0)
		return n;
	/* Wait for the client's close_notify (or end of stream). */
	while ((n = (int)ktls_recv(conn, req, sizeof(req))) > 0)
		;
	return n == -ECONNRESET ? 0 : n;
}

static int serve(struct server *s, struct ktls_conn *conn, long long *in,
		 long long *out)
{
	long long n;
	int fd, ret;

	switch (s->mode) {
	case MODE_WWW:
		return serve_www(conn, in, out);
	case MODE_FILE:
		n = tool_send_file(conn, s->path);
		if (n < 0)
			return (int)n;
		*out = n;
		return tool_pump(conn, -1, -1, out, in);
	case MODE_OUT:
		fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0)
			return -errno;
		ret = tool_pump(conn, -1, fd, out, in);
		close(fd);
		return ret;
	case MODE_ECHO:
	default:
		for (;;) {
			static char buf[64 * 1024];
			ssize_t r = ktls_recv(conn, buf, sizeof(buf));

			if (r < 0)
				return (int)r;
			if (r == 0)
				return ktls_close(conn);
			*in += r;
			ret = tool_send_all(conn, buf, (size_t)r);
			if (ret < 0)
				return ret;
			*out += r;
		}
	}
}

/* Handshake and serve one client; log one line.  Returns 0 if all went
 * well. */
static int handle(struct server *s, struct ktls_ctx *ctx, int fd,
		  const struct sockaddr_storage *peer)
{
	struct ktls_conn *conn = ktls_conn_new(ctx, fd, KTLS_ROLE_SERVER);
	char addr[INET6_ADDRSTRLEN + 8], line[512], tail[128];
	long long in = 0, out = 0;
	int ret;

	tool_addr(peer, addr, sizeof(addr));
	if (!conn) {
		fprintf(stderr, "%s: %s failed: out of memory\n", tool_name,
			addr);
		return -ENOMEM;
	}
	ret = ktls_conn_handshake(conn);
	if (ret < 0) {
		fprintf(stderr, "%s: %s handshake failed: %s\n", tool_name,
			addr, ktls_conn_errstr(conn));
		goto out;
	}
	if (tool_session_line(conn, line, sizeof(line)) < 0)
		line[0] = '\0';
	ret = serve(s, conn, &in, &out);
	if (ret < 0)
		fprintf(stderr, "%s: %s %s failed after %lld in, %lld out: "
			"%s\n", tool_name, addr, line, in, out, *ktls_conn_errstr(conn) ?
			ktls_conn_errstr(conn) : ktls_strerror(ret));
	else if (!s->o.quiet) {
		tool_stats_tail(conn, tail, sizeof(tail));
		fprintf(stderr, "%s: %s ok %s in=%lld out=%lld "
			"keyupdates=%u%s\n", tool_name, addr, line, in, out,
			ktls_conn_key_updates(conn), tail);
	}
out:
	ktls_conn_free(conn);
	return ret;
}

static void write_ready(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0)
		tool_die("--ready-file %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct server s = { .bind = "127.0.0.1", .count = -1 };
	struct ktls_ctx *ctx;
	int c, lfd, port, ret, failed = 0;
	char portstr[8], addr[80];
	long done = 0;
	char *end;

	tool_opts_init(&s.o);
	while ((c = tool_getopt(&cmd, &s.o, argc, argv)) != -1) {
		switch (c) {
		case OPT_BIND:
			s.bind = optarg;
			break;
		case OPT_WWW:
			s.mode = MODE_WWW;
			break;
		case OPT_FILE:
			s.mode = MODE_FILE;
			s.path = optarg;
			break;
		case OPT_OUT:
			s.mode = MODE_OUT;
			s.path = optarg;
			break;
		case OPT_VERIFY:
			s.o.verify = KTLS_VERIFY_PEER;
			break;
		case OPT_REQUIRE:
			s.o.verify = KTLS_VERIFY_REQUIRE;
			break;
		case OPT_COUNT:
			s.count = strtol(optarg, &end, 10);
			if (*end || end == optarg || s.count <= 0)
				tool_usage_error("--count takes a positive "
						 "number");
			break;
		case OPT_FORK:
			s.fork = true;
			break;
		case OPT_NO_CACHE:
			s.no_cache = true;
			break;
		case OPT_READY:
			s.ready_file = optarg;
			break;
		default:
			tool_die("option %d unhandled", c);
		}
	}
	if (argc - optind != 1)
		tool_usage_error("expected one PORT, got %d arguments",
				 argc - optind);
	if (s.o.n_ids == 0 && !s.o.daemon && !s.o.psk_identity)
		tool_usage_error("a server needs --cert FILE --key FILE (or "
				 "--daemon, or --psk-identity ID --psk-file "
				 "FILE)");
	signal(SIGPIPE, SIG_IGN);
	if (s.fork)
		signal(SIGCHLD, SIG_IGN);
	ctx = tool_ctx_setup(&s.o);
	if (s.no_cache && ktls_ctx_set_session_cache(ctx, 0, 7200) < 0)
		tool_die("--no-cache: %s", ktls_ctx_errstr(ctx));
	lfd = tool_listen(s.bind, argv[optind], 64, &port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (!s.o.quiet)
		fprintf(stderr, "%s: listening on %s\n", tool_name,
			tool_join(s.bind, portstr, addr, sizeof(addr)));
	if (s.ready_file)
		write_ready(s.ready_file, port);

	while (s.count < 0 || done < s.count) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &len,
				 SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			tool_die("accept: %s", strerror(errno));
		}
		done++;
		if (s.fork) {
			pid_t pid = fork();

			if (pid == 0) {
				close(lfd);
				ret = handle(&s, ctx, fd, &peer);
				(void)!ktls_linger_close(fd, LINGER_MS);
				_exit(ret < 0);
			}
			if (pid < 0)
				fprintf(stderr, "%s: fork: %s\n", tool_name,
					strerror(errno));
			close(fd);
			continue;
		}
		if (handle(&s, ctx, fd, &peer) < 0)
			failed++;
		/* Let a last alert reach the client before it sees a reset. */
		(void)!ktls_linger_close(fd, LINGER_MS);
	}
	close(lfd);
	ktls_ctx_free(ctx);
	return failed ? 1 : 0;
}
