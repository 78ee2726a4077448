// SPDX-License-Identifier: MIT
/*
 * daemon.c - daemon mode: the handshake runs in handshaked, which holds
 * the keys and installs kTLS on the application's own socket; this side
 * sends the socket and reads the result (proto/hsd_proto.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ktls_int.h"
#include "hsd_proto.h"

/* How long to wait for handshaked's answer: its longest handshake
 * timeout (3600 s, handshaked.conf(5)), plus 30 s as a last guard. */
#define KTLS_DAEMON_WAIT_MS ((3600 + 30) * 1000)

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
		    strlen(profile) > HSD_PROTO_NAME_MAX) {
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
	free(ctx->daemon_path);
	free(ctx->daemon_profile);
	ctx->daemon_path = p;
	ctx->daemon_profile = q;
	return 0;
}

static int dial(struct ktls_conn *conn)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s, ret;

	strcpy(sun.sun_path, conn->ctx->daemon_path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(s);
		ktls_set_err(conn->err, "cannot reach handshaked at %s: %s",
			     conn->ctx->daemon_path, ktls_strerror(ret));
		return ret;
	}
	return s;
}

/* The request for @conn's handshake, into @m. */
static int build_request(struct ktls_conn *conn, struct hsd_proto_msg *m)
{
	struct hsd_proto_request r = { .type = HSD_MSG_HANDSHAKE };

	r.hs.role = (uint8_t)conn->role;
	snprintf(r.hs.profile, sizeof(r.hs.profile), "%s",
		 conn->ctx->daemon_profile);
	if (conn->peer_name &&
	    snprintf(r.hs.peer_name, sizeof(r.hs.peer_name), "%s",
		     conn->peer_name) >= (int)sizeof(r.hs.peer_name))
		return -ENOSPC;
	snprintf(r.hs.alpn, sizeof(r.hs.alpn), "%s", conn->opts.alpn);
	return hsd_proto_encode_request(m, &r) < 0 ? -ENOSPC : 0;
}

static int add_peer_cert(struct ktls_conn *conn, const struct hsd_proto_der *c)
{
	struct ktls_der *certs;

	certs = realloc(conn->peer_certs,
			(conn->n_peer_certs + 1) * sizeof(*certs));
	if (!certs)
		return -ENOMEM;
	conn->peer_certs = certs;
	certs[conn->n_peer_certs].der = malloc(c->len);
	if (!certs[conn->n_peer_certs].der)
		return -ENOMEM;
	memcpy(certs[conn->n_peer_certs].der, c->der, c->len);
	certs[conn->n_peer_certs].len = c->len;
	conn->n_peer_certs++;
	return 0;
}

/* Take in the daemon's reply; returns its status or a parse error. */
static int read_result(struct ktls_conn *conn, const uint8_t *buf, size_t len)
{
	struct hsd_proto_result r;
	const char *why;
	unsigned int i;
	int ret;

	if (hsd_proto_decode_result(buf, len, &r, &why) < 0) {
		ktls_set_err(conn->err, "handshaked sent a malformed reply: %s",
			     why);
		return -EBADMSG;
	}
	snprintf(conn->err, sizeof(conn->err), "%s", r.r.errstr);
	conn->verify_result = r.verify_result;
	conn->alert = r.alert;
	if (r.r.status != 0)
		return r.r.status;
	if (!r.tx_offloaded || !r.rx_offloaded || !ktls_cipher_desc(r.cipher)) {
		ktls_set_err(conn->err, "handshaked reported success without "
			     "kTLS on both directions");
		return -EBADMSG;
	}
	conn->version = r.version;
	conn->cipher = r.cipher;
	snprintf(conn->alpn, sizeof(conn->alpn), "%s", r.alpn);
	conn->resumed = r.resumed;
	conn->tx_offloaded = r.tx_offloaded;
	conn->rx_offloaded = r.rx_offloaded;
	for (i = 0; i < r.n_certs; i++) {
		ret = add_peer_cert(conn, &r.certs[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * The whole handshake, through handshaked.  Blocks until it answers: the
 * daemon ends every handshake within its handshake timeout, and
 * KTLS_DAEMON_WAIT_MS guards against one that never does.
 */
int ktls_daemon_handshake(struct ktls_conn *conn)
{
	struct hsd_proto_msg *m;
	struct pollfd pfd;
	ssize_t n;
	int s, fd, ret;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	ret = build_request(conn, m);
	if (ret < 0)
		goto out_free;
	s = dial(conn);
	if (s < 0) {
		ret = s;
		goto out_free;
	}
	ret = hsd_proto_send(s, m, conn->fd);
	/* -EPIPE: handshaked refused this connection (too many of this
	 * uid) before the request went; its reply says why. */
	if (ret < 0 && ret != -EPIPE) {
		ktls_set_err(conn->err, "sending the request to handshaked "
			     "failed: %s", ktls_strerror(ret));
		goto out_close;
	}
	pfd.fd = s;
	pfd.events = POLLIN;
	do
		ret = poll(&pfd, 1, KTLS_DAEMON_WAIT_MS);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0) {
		ret = ret == 0 ? -ETIMEDOUT : -errno;
		ktls_set_err(conn->err, "handshaked did not answer: %s",
			     ktls_strerror(ret));
		goto out_close;
	}
	n = hsd_proto_recv(s, m->buf, sizeof(m->buf), &fd);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		ret = n == 0 ? -ECONNRESET : (int)n;
		ktls_set_err(conn->err, "handshaked went away during the "
			     "handshake%s%s", n ? ": " : "",
			     n ? ktls_strerror((int)n) : "");
		goto out_close;
	}
	conn->err[0] = '\0';
	ret = read_result(conn, m->buf, (size_t)n);
out_close:
	close(s);
out_free:
	explicit_bzero(m, sizeof(*m));
	free(m);
	return ret;
}
