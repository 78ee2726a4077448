// SPDX-License-Identifier: MIT
/*
 * ktls-serve - an HTTP/1.1 static file server over TLS, with the record
 * layer in the kernel and the bytes moved by io_uring (ktls_ring).
 *
 * This file is the program: its options, the start (the context, the
 * ring, the listening socket, the epoll set), the signals, and the drain
 * after SIGTERM, which gives the requests in flight --drain-timeout to
 * finish.  The event loop is in loop.c, HTTP in request.c (with http.c's
 * parser), the files in jail.c; serve.h says what they share.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"
#include "tool.h"

const char *tool_name = "ktls-serve";

#define GIVE_UP_SECONDS 5		/* after the drain, for ring ops */

void serve_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Stopping: idle keep-alive connections go now; the others when done,
 * or when --drain-timeout is over. */
/*
 * SIGHUP: load each --cert and --key again (a renewed certificate).  New
 * handshakes present it; those under way finish with the old one; one
 * that fails to load leaves the old one serving, and the log says why.
 */
void serve_reload(struct server *s)
{
	int i, ret;

	if (s->daemon) {
		serve_log("ktls-serve: SIGHUP: handshakes are handshaked's; "
			  "reload it instead");
		return;
	}
	for (i = 0; i < s->opts->n_ids; i++) {
		ret = ktls_ctx_replace_identity(s->ctx, (unsigned int)i,
						s->opts->certs[i],
						s->opts->keys[i]);
		if (ret < 0)
			serve_log("ktls-serve: SIGHUP: certificate %s not "
				  "reloaded, still serving the old one: %s",
				  s->opts->certs[i], *ktls_ctx_errstr(s->ctx) ?
				  ktls_ctx_errstr(s->ctx) : ktls_strerror(ret));
		else
			serve_log("ktls-serve: SIGHUP: certificate %s "
				  "reloaded", s->opts->certs[i]);
	}
}

void serve_stop(struct server *s)
{
	struct conn *c, *next;

	if (!s->stopping)
		serve_log("ktls-serve: stopping: %u connections finish "
			  "first (%u s at most)", s->n_conns,
			  s->drain_timeout);
	if (!s->stopping)
		s->drain_end = time(NULL) + s->drain_timeout;
	s->stopping = true;
	if (s->listening)
		(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
	s->listening = false;
	/* Idle keep-alive connections go now; one that has not sent its
	 * first request yet (it may be a moment past its handshake) gets it
	 * answered within the drain, like the requests in flight. */
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_HEAD && !c->in_head && c->answered)
			conn_end(s, c);
	}
}

/* The drain is over: end every connection (a handshake through
 * handshaked is abandoned; the daemon lets the socket go). */
static void drain_over(struct server *s)
{
	struct conn *c, *next;

	serve_log("ktls-serve: %u connections still open after %u s: "
		  "closing them", s->n_conns, s->drain_timeout);
	s->drain_over = true;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state != CS_CLOSING)
			conn_end(s, c);
	}
}

/* Whether the loop goes on: until stopped and everything is closed, and
 * no longer than GIVE_UP_SECONDS after the drain. */
static bool running(struct server *s)
{
	time_t now = time(NULL);

	if (!s->stopping)
		return true;
	if (!s->conns)
		return false;
	if (now < s->drain_end)
		return true;
	if (!s->drain_over)
		drain_over(s);
	if (now < s->drain_end + GIVE_UP_SECONDS)
		return true;
	serve_log("ktls-serve: %u connections did not close: exiting "
		  "anyway", s->n_conns);
	return false;
}

/* What the command line gives besides the server's settings. */
struct args {
	const char *root, *bind, *ready, *port;
	struct tool_opts o;
};

enum { OPT_ROOT = OPT_OWN, OPT_BIND, OPT_MAX_CONNS, OPT_READY, OPT_PLAIN,
       OPT_HEAD_TO, OPT_IDLE_TO, OPT_SEND_TO, OPT_DRAIN_TO };

static const struct tool_option serve_opts[] = {
	{ "root", OPT_ROOT, "DIR", "the document root (required)" },
	{ "bind", OPT_BIND, "ADDRESS", "listen on ADDRESS, IPv4 or IPv6 "
	  "(default\n127.0.0.1; :: is every address, both)" },
	{ "max-conns", OPT_MAX_CONNS, "N", "connections at once (default "
	  "1024)" },
	{ "ready-file", OPT_READY, "FILE", "write the port to FILE once "
	  "listening" },
	{ "plain-sendfile", OPT_PLAIN, NULL, "send bodies with sendfile(2), "
	  "not io_uring\n(for comparisons: one body at a time)" },
	{ "head-timeout", OPT_HEAD_TO, "SEC", "a request head within SEC "
	  "seconds of its first\nbyte (default 20)" },
	{ "idle-timeout", OPT_IDLE_TO, "SEC", "close a connection idle SEC "
	  "seconds between\nrequests (default 60)" },
	{ "send-timeout", OPT_SEND_TO, "SEC", "drop a client that takes "
	  "nothing for SEC\nseconds (default 60)" },
	{ "drain-timeout", OPT_DRAIN_TO, "SEC", "after SIGTERM, close what is "
	  "left after SEC\nseconds (default 10)" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd serve_cmd = {
	.synopsis = "[options] --root DIR PORT",
	.about = "Serve the files below DIR over HTTPS (HTTP/1.1) on PORT\n"
		 "(0: any free port), with kTLS and io_uring.",
	.opts = serve_opts,
	.quiet = "print no access log and no failed handshakes",
	.notes = "A line per request goes to standard output, in nginx's "
		 "combined format\n(unless --quiet).\nSIGTERM or SIGINT: "
		 "stop accepting, finish what is in flight\n(within "
		 "--drain-timeout), exit.\nSIGHUP: load --cert and --key "
		 "again; new handshakes use them,\nthose under way finish "
		 "with the old ones, and a failed reload keeps\nthe old "
		 "ones.",
};

/* One of the --*-timeout options. */
static void set_timeout(struct server *s, int opt, const char *v)
{
	unsigned int *to[] = {
		[OPT_HEAD_TO - OPT_HEAD_TO] = &s->head_timeout,
		[OPT_IDLE_TO - OPT_HEAD_TO] = &s->idle_timeout,
		[OPT_SEND_TO - OPT_HEAD_TO] = &s->send_timeout,
		[OPT_DRAIN_TO - OPT_HEAD_TO] = &s->drain_timeout,
	};
	static const char *const names[] = { "head", "idle", "send",
					     "drain" };
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || n < 1 || n > 86400)
		tool_usage_error("--%s-timeout wants seconds, 1 to 86400, not '%s'",
			 names[opt - OPT_HEAD_TO], v);
	*to[opt - OPT_HEAD_TO] = (unsigned int)n;
}

/* Parse the command line into @s and @a; exits on -h, -V and errors. */
static void parse_args(int argc, char **argv, struct server *s,
		       struct args *a)
{
	int c;

	while ((c = tool_getopt(&serve_cmd, &a->o, argc, argv)) != -1) {
		switch (c) {
		case OPT_ROOT:
			a->root = optarg;
			break;
		case OPT_BIND:
			a->bind = optarg;
			break;
		case OPT_MAX_CONNS:
			s->max_conns = (unsigned int)strtoul(optarg, NULL, 10);
			if (!s->max_conns)
				tool_usage_error("--max-conns wants a number over 0");
			break;
		case OPT_READY:
			a->ready = optarg;
			break;
		case OPT_PLAIN:
			s->plain_sendfile = true;
			break;
		case OPT_HEAD_TO:
		case OPT_IDLE_TO:
		case OPT_SEND_TO:
		case OPT_DRAIN_TO:
			set_timeout(s, c, optarg);
			break;
		default:
			tool_die("option %d unhandled", c);
		}
	}
	if (!a->root)
		tool_usage_error("--root DIR is required");
	if (optind + 1 != argc)
		tool_usage_error("expected one PORT, got %d arguments",
				 argc - optind);
	a->port = argv[optind];
}

/* Signals, epoll over the listener, the signals, the ring. */
static void setup_events(struct server *s)
{
	struct epoll_event e = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->ep < 0)
		tool_die("setup: %s", ktls_strerror(-errno));
	s->ring_fd = ktls_ring_fd(s->ring);
	e.data.ptr = s;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e);
	e.data.ptr = &s->sfd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &e);
	e.data.ptr = &s->ring_fd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ring_fd, &e);
	s->listening = true;
}

int main(int argc, char **argv)
{
	struct server s = { .max_conns = 1024, .lfd = -1, .head_timeout = 20,
			    .idle_timeout = 60, .send_timeout = 60,
			    .drain_timeout = 10 };
	struct args a = { .bind = "127.0.0.1" };
	int port = 0, ret;
	char portstr[8], addr[80];

	tool_opts_init(&a.o);
	parse_args(argc, argv, &s, &a);
	s.quiet = a.o.quiet;
	s.daemon = a.o.daemon != NULL;
	s.opts = &a.o;
	if (!s.daemon && !a.o.n_ids)
		tool_usage_error("give --cert and --key, or --daemon and --profile");
	s.root = open(a.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.root < 0)
		tool_die("--root %s: %s", a.root, ktls_strerror(-errno));
	s.ctx = tool_ctx_setup(&a.o);
	ret = ktls_ring_new(0, &s.ring);
	if (ret < 0)
		tool_die("io_uring: %s", ktls_strerror(ret));
	s.lfd = tool_listen(a.bind, a.port, 511, &port);
	if (fcntl(s.lfd, F_SETFL, O_NONBLOCK) < 0)
		tool_die("listen: %s", strerror(errno));
	setup_events(&s);
	snprintf(portstr, sizeof(portstr), "%d", port);
	serve_log("ktls-serve: serving %s on https://%s/ (%s handshakes)",
		  a.root, tool_join(a.bind, portstr, addr, sizeof(addr)),
		  s.daemon ? "handshaked" : "in-process");
	if (a.ready) {
		FILE *f = fopen(a.ready, "w");

		if (f) {
			fprintf(f, "%d\n", port);
			fclose(f);
		}
	}
	while (running(&s))
		turn(&s);
	ktls_ring_free(s.ring);
	ktls_ctx_free(s.ctx);
	close(s.lfd);
	close(s.ep);
	close(s.sfd);
	close(s.root);
	return 0;
}
