// SPDX-License-Identifier: MIT
/*
 * loop.c - ktls-serve's event loop: one thread, an epoll set over the
 * listening socket, the signals, the ring's fd and the handshakes in
 * progress.  Handshakes run non-blocking, in process or through
 * handshaked (--daemon), the same way: epoll waits for the fd
 * ktls_conn_wait_fd() names (the TCP socket in process, the socket to
 * handshaked in daemon mode).  After the handshake every byte of a
 * connection goes through the ring, and its completions go to
 * request.c.  Once a second, connections past their deadline and answers
 * that make no progress (nothing acknowledged for --send-timeout) are
 * closed.
 */
#include <errno.h>
#include <linux/tcp.h>		/* struct tcp_info with tcpi_bytes_acked */
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"
#include "tool.h"

#define HANDSHAKE_SECONDS 10
/* handshaked ends every handshake within its handshake_timeout (at most
 * 3600 s, handshaked.conf(5)); this only guards against one that never
 * answers. */
#define DAEMON_HANDSHAKE_SECONDS (3600 + 30)

/*
 * Stop watching a handshake's fd.  The TCP socket's registration is
 * removed; a socket to handshaked is closed by libktls when the handshake
 * ends or is abandoned, which takes it out of epoll (its number may be
 * another fd's by then).
 */
static void unwatch(struct server *s, struct conn *c)
{
	if (c->hs_fd >= 0 && c->hs_fd == c->fd)
		(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	c->hs_fd = -1;
}

static void conn_free(struct server *s, struct conn *c)
{
	unwatch(s, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->file >= 0)
		close(c->file);
	ktls_conn_free(c->tls);
	/* Discard unread input so that close() sends no reset over our last
	 * alert; the loop serves others, so it does not wait for more. */
	(void)!ktls_linger_close(c->fd, 0);
	free(c);
	/* The last one gone: hand what a crowd of connections left in
	 * malloc's free lists back to the kernel, so that an idle server
	 * returns to its size. */
	if (--s->n_conns == 0)
		malloc_trim(0);
	if (!s->listening && !s->stopping && s->n_conns < s->max_conns) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = s };

		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e) == 0)
			s->listening = true;
	}
}

/* End a connection: at once if nothing is in flight in the ring, else
 * once its operations come back (shutdown makes them come back). */
void conn_end(struct server *s, struct conn *c)
{
	if (c->ops) {
		if (c->state != CS_CLOSING)
			(void)shutdown(c->fd, SHUT_RDWR);
		c->state = CS_CLOSING;
		return;
	}
	conn_free(s, c);
}

static void handshaken(struct server *s, struct conn *c, int ret)
{
	if (ret < 0) {
		if (!s->quiet)
			serve_log("ktls-serve: %s: handshake failed: %s",
				  c->peer, *ktls_conn_errstr(c->tls) ?
				  ktls_conn_errstr(c->tls) :
				  ktls_strerror(ret));
		conn_end(s, c);
		return;
	}
	request_start(s, c);
}

/* Go on with a handshake: in process or through handshaked, epoll waits
 * for what libktls names. */
static void step_handshake(struct server *s, struct conn *c)
{
	struct epoll_event e = { .data.ptr = c };
	int ret = ktls_conn_handshake(c->tls);
	int fd, op;

	if (ret != -EAGAIN) {
		unwatch(s, c);
		handshaken(s, c, ret);
		return;
	}
	fd = ktls_conn_wait_fd(c->tls);
	e.events = ktls_conn_events(c->tls) & POLLOUT ? EPOLLOUT : EPOLLIN;
	op = EPOLL_CTL_MOD;
	if (fd != c->hs_fd) {
		unwatch(s, c);
		op = EPOLL_CTL_ADD;
	}
	if (epoll_ctl(s->ep, op, fd, &e) < 0) {
		conn_end(s, c);
		return;
	}
	c->hs_fd = fd;
}

static void accept_conns(struct server *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *c;
		int fd, one = 1;

		if (s->n_conns >= s->max_conns) {
			(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
			s->listening = false;
			return;
		}
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->hs_fd = -1;
		c->file = -1;
		c->deadline = time(NULL) + (s->daemon ? DAEMON_HANDSHAKE_SECONDS :
					    HANDSHAKE_SECONDS);
		tool_host(&ss, c->peer, sizeof(c->peer));
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
		c->tls = ktls_conn_new(s->ctx, fd, KTLS_ROLE_SERVER);
		if (!c->tls) {
			conn_free(s, c);
			continue;
		}
		c->state = CS_HANDSHAKE;
		step_handshake(s, c);
	}
}

/* What the ring completed, to the request's state machine. */
static void on_event(struct server *s, const struct ktls_ring_event *ev)
{
	struct conn *c = ev->tag;

	c->ops--;
	if (c->state == CS_CLOSING) {
		if (!c->ops)
			conn_free(s, c);
		return;
	}
	switch (ev->op) {
	case KTLS_RING_RECV:
		request_received(s, c, ev->res);
		break;
	case KTLS_RING_SEND:
		request_head_sent(s, c, ev->res);
		break;
	case KTLS_RING_SENDFILE:
		request_body_sent(s, c, ev->res);
		break;
	default:
		conn_end(s, c);
		break;
	}
}

/* Whether a connection sending an answer has stalled: its peer has
 * acknowledged nothing for --send-timeout. */
static bool stalled(struct server *s, struct conn *c, time_t now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_bytes_acked != c->acked) {
		c->acked = ti.tcpi_bytes_acked;
		c->progress = now;
		return false;
	}
	return now - c->progress >= (time_t)s->send_timeout;
}

/* Close connections past their deadline (a slow head or body, a silent
 * keep-alive, a stalled handshake) and answers that make no progress;
 * once a second. */
static void sweep(struct server *s)
{
	time_t now = time(NULL);
	struct conn *c, *next;

	if (now == s->last_sweep)
		return;
	s->last_sweep = now;
	for (c = s->conns; c; c = next) {
		next = c->next;
		switch (c->state) {
		case CS_SEND_HEAD:
		case CS_SEND_BODY:
			if (stalled(s, c, now))
				conn_end(s, c);
			break;
		case CS_HANDSHAKE:
		case CS_HEAD:
			if (c->deadline <= now)
				conn_end(s, c);
			break;
		default:
			break;
		}
	}
}

/* One turn of the loop: what the ring completed, then what epoll saw. */
void turn(struct server *s)
{
	struct ktls_ring_event evs[64];
	struct epoll_event es[64];
	int i, n;

	/* Submit what was queued, take what completed. */
	while ((n = ktls_ring_wait(s->ring, evs, 64, 0)) > 0)
		for (i = 0; i < n; i++)
			on_event(s, &evs[i]);
	n = epoll_wait(s->ep, es, 64, 1000);
	for (i = 0; i < n; i++) {
		void *p = es[i].data.ptr;

		if (p == s) {
			accept_conns(s);
		} else if (p == &s->sfd) {
			struct signalfd_siginfo si;
			bool stop = false, reload = false;

			while (read(s->sfd, &si, sizeof(si)) > 0) {
				if (si.ssi_signo == SIGHUP)
					reload = true;
				else
					stop = true;
			}
			if (reload)
				serve_reload(s);
			if (stop)
				serve_stop(s);
		} else if (p == &s->ring_fd) {
			continue;	/* drained at the top */
		} else {
			step_handshake(s, p);
		}
	}
	sweep(s);
}
