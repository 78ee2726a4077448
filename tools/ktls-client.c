// SPDX-License-Identifier: MIT
/*
 * ktls-client - connect, handshake, print the session, then copy stdin to
 * the connection and the connection to stdout, in the habit of
 * openssl s_client.
 *
 * Exit status: 0 when the connection ended cleanly, 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

const char *tool_name = "ktls-client";

enum {
	OPT_NAME = OPT_OWN, OPT_INSECURE, OPT_SENDFILE, OPT_NO_STDIN,
	OPT_SESS_OUT, OPT_SESS_IN, OPT_PEER_ID, OPT_SESS_KEY,
};

static const struct tool_option options[] = {
	{ "name", OPT_NAME, "NAME", "server name for SNI and verification\n"
	  "(default: HOST)" },
	{ "insecure", OPT_INSECURE, NULL, "do not verify the server (tests "
	  "only)" },
	{ "sendfile", OPT_SENDFILE, "FILE", "send FILE (with sendfile) "
	  "instead of stdin" },
	{ "no-stdin", OPT_NO_STDIN, NULL, "send nothing; close after the "
	  "handshake" },
	{ "sess-out", OPT_SESS_OUT, "FILE", "save the session to FILE at the "
	  "end" },
	{ "sess-in", OPT_SESS_IN, "FILE", "offer the session in FILE "
	  "(resumption)" },
	{ "sess-key", OPT_SESS_KEY, "FILE", "the 32-byte key that seals saved "
	  "sessions\n(mode 0600; needed by --sess-in/--sess-out)" },
	{ "peer-id", OPT_PEER_ID, "ID", "part of the session cache key" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd cmd = {
	.synopsis = "[options] HOST PORT\n"
		    "[options] HOST:PORT | [IPv6]:PORT",
	.about = "Connect to HOST:PORT over TLS, print the session, then "
		 "copy\nstdin to the connection and the connection to stdout.",
	.opts = options,
	.quiet = "print no session summary and no byte counts",
	.notes = "The session summary goes to stderr, the data to stdout.",
	.psk = true,
};

/*
 * Seal and open saved sessions with the key in @path: exactly
 * KTLS_SESSION_KEY_LEN bytes, in a regular file of ours that no one else
 * can read or write (whoever reads it can read the sessions, whoever
 * writes it can feed us sessions of their own).
 */
static void session_key(struct ktls_ctx *ctx, const char *path)
{
	uint8_t key[KTLS_SESSION_KEY_LEN + 1];	/* one more: too long? */
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		tool_die("--sess-key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		tool_die("--sess-key %s: not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		tool_die("--sess-key %s: group or others can use it (mode "
			 "%04o): make it 0600", path,
			 (unsigned int)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		tool_die("--sess-key %s: owned by uid %u, not by us: its "
			 "owner can read our sessions", path,
			 (unsigned int)st.st_uid);
	n = read(fd, key, sizeof(key));
	close(fd);
	if (n != KTLS_SESSION_KEY_LEN) {
		explicit_bzero(key, sizeof(key));
		tool_die("--sess-key %s: holds %s bytes; it must hold exactly "
			 "%d random bytes (head -c %d /dev/urandom)", path,
			 n < 0 ? "unreadable" : n > KTLS_SESSION_KEY_LEN ?
			 "more than 32" : "fewer than 32",
			 KTLS_SESSION_KEY_LEN, KTLS_SESSION_KEY_LEN);
	}
	if (ktls_ctx_set_session_key(ctx, key, KTLS_SESSION_KEY_LEN) < 0) {
		explicit_bzero(key, sizeof(key));
		tool_die("--sess-key %s: %s", path, ktls_ctx_errstr(ctx));
	}
	explicit_bzero(key, sizeof(key));
}

/* The session saved in @path, sealed under @ctx's key (read before any
 * connection, so that a bad file costs no handshake). */
static struct ktls_session *session_in(struct ktls_ctx *ctx, const char *path)
{
	uint8_t buf[16384];
	struct ktls_session *s;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		tool_die("--sess-in %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		tool_die("--sess-in %s: empty or unreadable", path);
	ret = ktls_session_import(ctx, buf, (size_t)n, &s);
	explicit_bzero(buf, sizeof(buf));
	if (ret == -EBADMSG)
		tool_die("--sess-in %s: not a session sealed under the "
			 "--sess-key key (changed, truncated, or saved with "
			 "another key)", path);
	if (ret < 0)
		tool_die("--sess-in %s: %s", path, ktls_strerror(ret));
	return s;
}

/* Save the connection's session to @path, sealed under @ctx's key (mode
 * 0600 all the same). */
static void session_out(struct ktls_ctx *ctx, struct ktls_conn *conn,
			const char *path)
{
	struct ktls_session *s = ktls_conn_get_session(conn);
	uint8_t buf[16384];
	ssize_t n;
	int fd;

	if (!s)
		tool_die("--sess-out %s: the server gave no resumable session",
			 path);
	n = ktls_session_export(ctx, s, buf, sizeof(buf));
	ktls_session_free(s);
	if (n < 0)
		tool_die("--sess-out %s: %s", path, ktls_strerror((int)n));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || close(fd) < 0)
		tool_die("--sess-out %s: %s", path, strerror(errno));
	explicit_bzero(buf, sizeof(buf));
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char addr[300];
	int fd = -1, ret;

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		tool_die("%s: %s", tool_join(host, port, addr, sizeof(addr)),
			 gai_strerror(ret));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		ret = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		tool_die("connect to %s: %s", tool_join(host, port, addr,
			 sizeof(addr)), strerror(ret));
	return fd;
}

int main(int argc, char **argv)
{
	struct tool_opts o;
	const char *name = NULL, *file = NULL, *sess_out = NULL;
	const char *sess_in = NULL, *peer_id = NULL, *sess_key = NULL;
	const char *host, *port;
	char hostbuf[256], addr[300];
	bool no_stdin = false;
	long long sent = 0, received = 0;
	struct ktls_ctx *ctx;
	struct ktls_conn *conn;
	struct ktls_session *offer = NULL;
	int c, fd, ret;

	tool_opts_init(&o);
	while ((c = tool_getopt(&cmd, &o, argc, argv)) != -1) {
		switch (c) {
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_INSECURE:
			o.verify = KTLS_VERIFY_NONE_INSECURE;
			break;
		case OPT_SENDFILE:
			file = optarg;
			break;
		case OPT_NO_STDIN:
			no_stdin = true;
			break;
		case OPT_SESS_OUT:
			sess_out = optarg;
			break;
		case OPT_SESS_IN:
			sess_in = optarg;
			break;
		case OPT_PEER_ID:
			peer_id = optarg;
			break;
		case OPT_SESS_KEY:
			sess_key = optarg;
			break;
		default:
			tool_die("option %d unhandled", c);
		}
	}
	if (argc - optind == 2) {
		host = argv[optind];
		port = argv[optind + 1];
	} else if (argc - optind == 1) {
		if (tool_host_port(argv[optind], hostbuf, sizeof(hostbuf),
				   &port) < 0)
			tool_usage_error("'%s' is not HOST:PORT or [IPv6]:PORT",
					 argv[optind]);
		host = hostbuf;
	} else {
		tool_usage_error("expected HOST PORT, or HOST:PORT");
	}
	/* This process's own random key dies with it: a session saved
	 * under it could never be read again. */
	if ((sess_in || sess_out) && !sess_key)
		tool_usage_error("--sess-in and --sess-out need --sess-key "
				 "FILE: saved "
			 "sessions are sealed, and the key must outlive this "
			 "run");
	ctx = tool_ctx_setup(&o);
	if (sess_key)
		session_key(ctx, sess_key);
	if (sess_in)
		offer = session_in(ctx, sess_in);
	fd = dial(host, port);
	conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	if (!conn)
		tool_die("out of memory");
	if (o.verify != KTLS_VERIFY_NONE_INSECURE || name) {
		ret = ktls_conn_set_peer_name(conn, name ? name : host);
		if (ret < 0)
			tool_die("--name: %s", ktls_conn_errstr(conn));
	}
	tool_conn_psk(conn);
	if (peer_id && ktls_conn_set_peer_id(conn, peer_id) < 0)
		tool_die("--peer-id: %s", ktls_conn_errstr(conn));
	if (offer) {
		ret = ktls_conn_set_session(conn, offer);
		ktls_session_free(offer);
		if (ret < 0)
			tool_die("--sess-in %s: %s", sess_in,
				 ktls_conn_errstr(conn));
	}
	ret = ktls_conn_handshake(conn);
	if (ret < 0)
		tool_die("handshake with %s failed: %s", tool_join(host, port,
			 addr, sizeof(addr)), ktls_conn_errstr(conn));
	if (!o.quiet)
		tool_print_session(stderr, conn);

	if (file) {
		long long n = tool_send_file(conn, file);

		if (n < 0)
			tool_die("sending %s: %s", file, *ktls_conn_errstr(conn) ?
				 ktls_conn_errstr(conn) : ktls_strerror((int)n));
		sent = n;
		ret = tool_pump(conn, -1, STDOUT_FILENO, &sent, &received);
	} else {
		ret = tool_pump(conn, no_stdin ? -1 : STDIN_FILENO,
				STDOUT_FILENO, &sent, &received);
	}
	if (ret < 0)
		tool_die("connection failed after %lld bytes out, %lld in: %s",
			 sent, received, *ktls_conn_errstr(conn) ?
			 ktls_conn_errstr(conn) : ktls_strerror(ret));
	if (!o.quiet)
		tool_print_done(stderr, conn, sent, received);
	if (sess_out)
		session_out(ctx, conn, sess_out);
	ktls_conn_free(conn);
	close(fd);
	ktls_ctx_free(ctx);
	return 0;
}
