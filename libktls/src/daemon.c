// SPDX-License-Identifier: MIT
/*
 * daemon.c - daemon mode: the handshake runs in handshaked, which holds
 * the keys and installs kTLS on the application's own socket; this side
 * sends the socket and reads the result (proto.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ktls_int.h"
#include "proto.h"

/* How long a blocking handshake waits for handshaked's answer: its
 * longest handshake timeout (3600 s, handshaked.conf(5)), plus 30 s as a
 * last guard.  A non-blocking one leaves the waiting to the application. */
#define KTLS_DAEMON_WAIT_MS ((3600 + 30) * 1000)

/*
 * A daemon-mode handshake in progress (conn->daemon): reach handshaked,
 * send it the request with the TCP socket, wait for its result.  Each
 * step that would block on a non-blocking TCP fd returns -EAGAIN with
 * conn->events set for the daemon socket, and the next call goes on from
 * that step.  It lives from the first ktls_conn_handshake() to the
 * result.
 */
enum daemon_step {
	DAEMON_DIAL,
	DAEMON_SEND,
	DAEMON_WAIT,
};

struct ktls_daemon_hs {
	int sock;			/* to handshaked; -1 before the dial */
	enum daemon_step step;
	bool nonblock;			/* the TCP fd's mode at the start */
	bool reused;			/* sock is the context's idle one */
	bool stale;			/* ... which the daemon had closed */
	bool clean;			/* a whole exchange: sock may be reused */
};

/*
 * One idle connection to handshaked per context, for the next handshake:
 * handshaked takes requests one after another on a connection, and a
 * dial (socket, connect, the daemon's accept and its checks of the
 * caller) costs about as much as the work of a resumed handshake.  A
 * handshake takes it if it is there; one that ends with a whole exchange
 * puts its socket back if the place is free.  The lock is one for all
 * contexts (it is held for a swap); the socket belongs to the process
 * that made it, so that a child after fork() never shares it.
 */
struct ktls_daemon_idle {
	int sock;			/* -1: none */
	pid_t pid;			/* the process that put it there */
};

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

int ktls_ctx_set_daemon(struct ktls_ctx *ctx, const char *socket_path,
			const char *profile)
{
	char *p = NULL, *q = NULL;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (socket_path) {
		if (!*socket_path ||
		    strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
		    !profile || !*profile ||
		    strlen(profile) > KTLS_PROTO_NAME_MAX) {
			ktls_set_err(ctx->err, "daemon mode needs a socket path "
				     "(under 108 bytes) and a profile name (1 to "
				     "63 bytes)");
			return -EINVAL;
		}
		p = strdup(socket_path);
		q = strdup(profile);
		if (!p || !q) {
			free(p);
			free(q);
			return -ENOMEM;
		}
	}
	ktls_daemon_drop_idle(ctx);
	free(ctx->daemon_path);
	free(ctx->daemon_profile);
	ctx->daemon_path = p;
	ctx->daemon_profile = q;
	return 0;
}

void ktls_daemon_drop_idle(struct ktls_ctx *ctx)
{
	struct ktls_daemon_idle *idle;

	pthread_mutex_lock(&idle_lock);
	idle = ctx->daemon_idle;
	ctx->daemon_idle = NULL;
	pthread_mutex_unlock(&idle_lock);
	if (!idle)
		return;
	if (idle->sock >= 0)
		close(idle->sock);
	free(idle);
}

/*
 * The context's idle connection, in @nonblock's mode, or -1.  One the
 * daemon closed meanwhile (its idle timeout is its handshake_timeout, or
 * it restarted) reads as end of stream: dropped here.
 */
static int take_idle(struct ktls_ctx *ctx, bool nonblock)
{
	struct ktls_daemon_idle *idle;
	struct pollfd pfd = { .events = POLLIN | POLLRDHUP };
	int s = -1, flags, want;

	pthread_mutex_lock(&idle_lock);
	idle = ctx->daemon_idle;
	if (idle && idle->sock >= 0) {
		if (idle->pid == getpid())
			s = idle->sock;
		else
			close(idle->sock);	/* the parent's, in a child */
		idle->sock = -1;
	}
	pthread_mutex_unlock(&idle_lock);
	if (s < 0)
		return -1;
	pfd.fd = s;
	flags = fcntl(s, F_GETFL);
	want = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (poll(&pfd, 1, 0) != 0 || flags < 0 ||
	    (want != flags && fcntl(s, F_SETFL, want) < 0)) {
		close(s);
		return -1;
	}
	return s;
}

/* Keep @d's socket for the next handshake if the place is free. */
static void put_idle(struct ktls_ctx *ctx, struct ktls_daemon_hs *d)
{
	struct ktls_daemon_idle *idle;

	pthread_mutex_lock(&idle_lock);
	idle = ctx->daemon_idle;
	if (!idle) {
		idle = malloc(sizeof(*idle));
		if (idle) {
			idle->sock = -1;
			ctx->daemon_idle = idle;
		}
	}
	if (idle && idle->sock < 0) {
		idle->sock = d->sock;
		idle->pid = getpid();
		d->sock = -1;
	}
	pthread_mutex_unlock(&idle_lock);
}

static int build_request(struct ktls_conn *conn, struct ktls_proto_msg *m)
{
	ktls_proto_init(m, KTLS_MSG_HANDSHAKE);
	if (ktls_proto_put_u8(m, KTLS_A_ROLE, (uint8_t)conn->role) ||
	    ktls_proto_put_str(m, KTLS_A_PROFILE, conn->ctx->daemon_profile) ||
	    (conn->peer_name &&
	     ktls_proto_put_str(m, KTLS_A_PEER_NAME, conn->peer_name)) ||
	    (conn->opts.alpn[0] &&
	     ktls_proto_put_str(m, KTLS_A_ALPN, conn->opts.alpn)))
		return -ENOSPC;
	return 0;
}

static int add_peer_cert(struct ktls_conn *conn, const struct ktls_proto_attr *a)
{
	struct ktls_der *certs;

	certs = realloc(conn->peer_certs,
			(conn->n_peer_certs + 1) * sizeof(*certs));
	if (!certs)
		return -ENOMEM;
	conn->peer_certs = certs;
	certs[conn->n_peer_certs].der = malloc(a->len ? a->len : 1);
	if (!certs[conn->n_peer_certs].der)
		return -ENOMEM;
	memcpy(certs[conn->n_peer_certs].der, a->val, a->len);
	certs[conn->n_peer_certs].len = a->len;
	conn->n_peer_certs++;
	return 0;
}

/* Take in the daemon's reply; returns its status or a parse error. */
static int read_result(struct ktls_conn *conn, const uint8_t *buf, size_t len)
{
	struct ktls_proto_attr a;
	enum ktls_msg_type type;
	size_t off = KTLS_PROTO_HDR;
	int32_t status = -EBADMSG;
	bool have_status = false;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	int ret;

	ret = ktls_proto_check(buf, len, &type);
	if (ret < 0 || type != KTLS_MSG_RESULT) {
		ktls_set_err(conn->err, "handshaked sent a malformed reply");
		return -EBADMSG;
	}
	while ((ret = ktls_proto_next(buf, len, &off, &a)) > 0) {
		switch (a.tag) {
		case KTLS_A_STATUS:
			ret = ktls_proto_u32(&a, &u32);
			status = (int32_t)u32;
			have_status = ret == 0;
			break;
		case KTLS_A_ERRSTR:
			ret = ktls_proto_str(&a, conn->err, sizeof(conn->err));
			if (ret == -ENOSPC)
				ret = 0;
			break;
		case KTLS_A_VERSION:
			ret = ktls_proto_u16(&a, &u16);
			conn->version = u16;
			break;
		case KTLS_A_CIPHER:
			ret = ktls_proto_u16(&a, &u16);
			conn->cipher = u16;
			break;
		case KTLS_A_ALPN_CHOSEN:
			ret = ktls_proto_str(&a, conn->alpn, sizeof(conn->alpn));
			break;
		case KTLS_A_RESUMED:
			ret = ktls_proto_u8(&a, &u8);
			conn->resumed = u8;
			break;
		case KTLS_A_PEER_CERT:
			ret = add_peer_cert(conn, &a);
			break;
		case KTLS_A_VERIFY_RESULT:
			ret = ktls_proto_u8(&a, &u8);
			conn->verify_result = u8;
			break;
		case KTLS_A_ALERT:
			ret = ktls_proto_u16(&a, &u16);
			conn->alert = (int16_t)u16;
			break;
		case KTLS_A_TX_OFFLOADED:
			ret = ktls_proto_u8(&a, &u8);
			conn->tx_offloaded = u8;
			break;
		case KTLS_A_RX_OFFLOADED:
			ret = ktls_proto_u8(&a, &u8);
			conn->rx_offloaded = u8;
			break;
		default:
			break;		/* a newer daemon's: skip */
		}
		if (ret < 0)
			break;
	}
	if (ret < 0 || !have_status) {
		ktls_set_err(conn->err, "handshaked sent a malformed reply");
		return ret == -ENOMEM ? ret : -EBADMSG;
	}
	if (status > 0 || status < -4095) {
		ktls_set_err(conn->err, "handshaked sent a bad status");
		return -EBADMSG;
	}
	if (status == 0 && (!conn->tx_offloaded || !conn->rx_offloaded ||
			    !ktls_cipher_desc(conn->cipher))) {
		ktls_set_err(conn->err, "handshaked reported success without "
			     "kTLS on both directions");
		return -EBADMSG;
	}
	return status;
}

static int new_socket(const struct ktls_daemon_hs *d)
{
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
		       (d->nonblock ? SOCK_NONBLOCK : 0), 0);

	return s < 0 ? -errno : s;
}

/*
 * Connect to handshaked, or take the context's idle connection.  A new
 * connection, blocking, waits while the daemon's listen queue is full;
 * non-blocking, it gets -EAGAIN then, and as an unconnected SEQPACKET
 * socket polls ready at once, the next call simply tries again.
 */
static int dial(struct ktls_conn *conn, struct ktls_daemon_hs *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int ret;

	if (d->sock < 0) {
		ret = take_idle(conn->ctx, d->nonblock);
		d->reused = ret >= 0;
		if (d->reused) {
			d->sock = ret;
			return 0;
		}
		ret = new_socket(d);
		if (ret < 0)
			return ret;
		d->sock = ret;
	}
	strcpy(sun.sun_path, conn->ctx->daemon_path);
	do
		ret = connect(d->sock, (struct sockaddr *)&sun,
			      sizeof(sun)) < 0 ? -errno : 0;
	while (ret == -EINTR);
	if (ret == -EAGAIN && d->nonblock) {
		conn->events = POLLOUT;
		return ret;
	}
	if (ret < 0)
		ktls_set_err(conn->err, "cannot reach handshaked at %s: %s",
			     conn->ctx->daemon_path, ktls_strerror(ret));
	return ret;
}

/* The request, with the TCP socket attached. */
static int send_request(struct ktls_conn *conn, struct ktls_daemon_hs *d)
{
	struct ktls_proto_msg *m;
	int ret;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = build_request(conn, m);
	if (ret < 0)
		goto out_free;
	ret = ktls_proto_send(d->sock, m, conn->fd);
	if (ret == -EAGAIN) {
		conn->events = POLLOUT;
		goto out_free;
	}
	/* A reused connection the daemon closed: dial again. */
	if (d->reused && (ret == -EPIPE || ret == -ECONNRESET ||
			  ret == -ENOTCONN)) {
		d->stale = true;
		goto out_free;
	}
	/* -EPIPE: handshaked refused this connection (too many of this
	 * uid) before the request went; its reply says why. */
	if (ret == -EPIPE)
		ret = 0;
	if (ret < 0)
		ktls_set_err(conn->err, "sending the request to handshaked "
			     "failed: %s", ktls_strerror(ret));
out_free:
	explicit_bzero(m, sizeof(*m));
	free(m);
	return ret;
}

/* Wait for the result (blocking mode only), then read it. */
static int wait_result(struct ktls_conn *conn, struct ktls_daemon_hs *d)
{
	struct ktls_proto_msg *m;
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	ssize_t n;
	int fd, ret;

	if (!d->nonblock) {
		do
			ret = poll(&pfd, 1, KTLS_DAEMON_WAIT_MS);
		while (ret < 0 && errno == EINTR);
		if (ret <= 0) {
			ret = ret == 0 ? -ETIMEDOUT : -errno;
			ktls_set_err(conn->err, "handshaked did not answer: %s",
				     ktls_strerror(ret));
			return ret;
		}
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	n = ktls_proto_recv(d->sock, m->buf, sizeof(m->buf), &fd);
	if (fd >= 0)
		close(fd);
	if (n == -EAGAIN) {
		conn->events = POLLIN;
		ret = -EAGAIN;
		goto out_free;
	}
	if (n <= 0 && d->reused && (n == 0 || n == -ECONNRESET)) {
		/* A reused connection the daemon dropped as idle before it
		 * read the request (it never drops a client during a
		 * handshake): dial again. */
		d->stale = true;
		ret = -ECONNRESET;
		goto out_free;
	}
	if (n <= 0) {
		ret = n == 0 ? -ECONNRESET : (int)n;
		ktls_set_err(conn->err, "handshaked went away during the "
			     "handshake%s%s", n ? ": " : "",
			     n ? ktls_strerror((int)n) : "");
		goto out_free;
	}
	conn->err[0] = '\0';
	ret = read_result(conn, m->buf, (size_t)n);
	/* Not a result: the application would wait for nothing. */
	if (ret == -EAGAIN) {
		ktls_set_err(conn->err, "handshaked sent a bad status");
		ret = -EBADMSG;
	}
	/* A whole exchange leaves the connection ready for another, unless
	 * the reply was not one we could read, or refused the connection. */
	d->clean = ret != -EBADMSG && ret != -ENOMEM && ret != -EUSERS;
out_free:
	explicit_bzero(m, sizeof(*m));
	free(m);
	return ret;
}

void ktls_daemon_end(struct ktls_conn *conn)
{
	struct ktls_daemon_hs *d = conn->daemon;

	if (!d)
		return;
	if (d->sock >= 0)
		close(d->sock);
	free(d);
	conn->daemon = NULL;
}

int ktls_daemon_wait_fd(const struct ktls_conn *conn)
{
	return conn->daemon ? conn->daemon->sock : -1;
}

/*
 * The handshake, through handshaked, from the step the last call left.
 * On a blocking fd it runs to the end: the daemon ends every handshake
 * within its handshake timeout, and KTLS_DAEMON_WAIT_MS guards against
 * one that never does.  On a non-blocking fd a step that would block
 * returns -EAGAIN with conn->events set for ktls_daemon_wait_fd(), and
 * the waiting (and any time limit) is the application's.
 */
int ktls_daemon_handshake(struct ktls_conn *conn)
{
	struct ktls_daemon_hs *d = conn->daemon;
	int flags, ret;

	if (!d) {
		flags = fcntl(conn->fd, F_GETFL);
		if (flags < 0)
			return -errno;
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		d->sock = -1;
		d->step = DAEMON_DIAL;
		/* Decided now: handshaked sets O_NONBLOCK on the socket
		 * while it holds it, and both processes see its flags. */
		d->nonblock = flags & O_NONBLOCK;
		conn->daemon = d;
	}
again:
	switch (d->step) {
	case DAEMON_DIAL:
		ret = dial(conn, d);
		if (ret < 0)
			break;
		d->step = DAEMON_SEND;
		/* fall through */
	case DAEMON_SEND:
		ret = send_request(conn, d);
		if (ret < 0)
			break;
		d->step = DAEMON_WAIT;
		/* fall through */
	case DAEMON_WAIT:
		ret = wait_result(conn, d);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret == -EAGAIN && d->nonblock)
		return ret;
	if (d->stale) {
		/*
		 * The idle connection was stale: once more, on a new one,
		 * made before the old one is closed, so that its number
		 * differs (an application may be watching the old one).
		 */
		int old = d->sock;

		d->sock = new_socket(d);
		close(old);
		d->reused = false;
		d->stale = false;
		d->step = DAEMON_DIAL;
		if (d->sock >= 0)
			goto again;
		ret = d->sock;
	}
	if (d->clean)
		put_idle(conn->ctx, d);
	ktls_daemon_end(conn);
	return ret == -EAGAIN ? -EIO : ret;
}
