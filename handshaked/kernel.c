// SPDX-License-Identifier: MIT
/*
 * kernel.c - the kernel agent (hsd_kernel.h): the workers' netlink
 * sockets, READY read and ACCEPT sent until nothing is queued, each
 * request a job on the worker's epoll loop (job.c steps its handshake),
 * then DONE with the status and the peer's identity, and the fd closed.
 *
 * Whatever the kernel sends, its socket gets a DONE: a malformed reply,
 * a role without a profile, an unreadable key or a timeout each answer
 * with a status (a positive errno, as tlshd's) and a log line, and the
 * other requests go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "hsd_kernel.h"

#define ACCEPT_BATCH 16		/* then the loop's other events first */

struct kagent {
	struct ev ev;			/* EV_KERNEL */
	struct nl_sock *mc;		/* READY (multicast), non-blocking */
	struct nl_sock *cmd;		/* ACCEPT and DONE, with a timeout */
	int family;
};

struct hsd_kernel {
	int family;
	unsigned int n;
	struct kagent *a;
};

#define KCOUNT(l, field) HSD_COUNT(l, kernel.field)
#define KCOUNT_FAIL(l, why) \
	__atomic_add_fetch(&(l)->sh->n.kernel.failed_by[why], 1, \
			   __ATOMIC_RELAXED)

/* --- sockets ---------------------------------------------------------- */

static int agent_open(struct kagent *a, int family, int group)
{
	struct timeval tv = { .tv_sec = 2 };

	a->ev.kind = EV_KERNEL;
	a->family = family;
	a->mc = nl_socket_alloc();
	a->cmd = nl_socket_alloc();
	if (!a->mc || !a->cmd)
		return -ENOMEM;
	if (genl_connect(a->mc) < 0 || genl_connect(a->cmd) < 0)
		return -EIO;
	nl_socket_disable_seq_check(a->mc);
	nl_socket_enable_msg_peek(a->mc);
	nl_socket_enable_msg_peek(a->cmd);
	/* ACCEPT's reply is the answer; DONE asks for its ack itself. */
	nl_socket_disable_auto_ack(a->cmd);
	if (nl_socket_add_membership(a->mc, group) < 0 ||
	    nl_socket_set_nonblocking(a->mc) < 0 ||
	    setsockopt(nl_socket_get_fd(a->cmd), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return -EIO;
	return 0;
}

int hsd_kernel_open(const struct hsd_config *cfg, unsigned int workers,
		    struct hsd_kernel **out, char *err, size_t err_size)
{
	struct hsd_kernel *k = calloc(1, sizeof(*k));
	int group, ret = -ENOMEM;
	unsigned int i;

	snprintf(err, err_size, "out of memory");
	if (!k)
		return -ENOMEM;
	k->a = calloc(workers, sizeof(*k->a));
	if (!k->a)
		goto err;
	k->n = workers;
	ret = agent_open(&k->a[0], 0, 0);
	if (ret == -ENOMEM)
		goto err;
	k->family = genl_ctrl_resolve(k->a[0].cmd, HSD_HS_FAMILY_NAME);
	group = genl_ctrl_resolve_grp(k->a[0].cmd, HSD_HS_FAMILY_NAME,
				      HSD_HS_MCGRP_TLSHD);
	if (k->family < 0 || group < 0) {
		ret = -ENOENT;
		snprintf(err, err_size, "[kernel] enable = yes, but the kernel "
			 "has no \"%s\" netlink family with group \"%s\" "
			 "(Linux 6.5 or later, CONFIG_NET_HANDSHAKE)",
			 HSD_HS_FAMILY_NAME, HSD_HS_MCGRP_TLSHD);
		goto err;
	}
	nl_close(k->a[0].cmd);
	nl_socket_free(k->a[0].cmd);
	nl_socket_free(k->a[0].mc);
	memset(&k->a[0], 0, sizeof(k->a[0]));
	for (i = 0; i < workers; i++) {
		ret = agent_open(&k->a[i], k->family, group);
		if (ret < 0) {
			snprintf(err, err_size, "[kernel]: cannot open or join "
				 "the \"%s\" family's group \"%s\"",
				 HSD_HS_FAMILY_NAME, HSD_HS_MCGRP_TLSHD);
			goto err;
		}
	}
	if (cfg->kernel_keyrings) {
		ret = hsd_keyring_link(cfg->kernel_keyrings, err, err_size);
		if (ret < 0)
			goto err;
	}
	snprintf(err, err_size, "%s", "");
	*out = k;
	return 0;
err:
	hsd_kernel_close(k);
	return ret;
}

void hsd_kernel_close(struct hsd_kernel *k)
{
	unsigned int i;

	if (!k)
		return;
	for (i = 0; k->a && i < k->n; i++) {
		nl_socket_free(k->a[i].mc);	/* (closes it) */
		nl_socket_free(k->a[i].cmd);
	}
	free(k->a);
	free(k);
}

int hsd_kernel_worker_init(struct loop *l, unsigned int i)
{
	struct hsd_kernel *k = l->sh->kernel;

	if (!k)
		return 0;
	l->agent = &k->a[i];
	return hsd_ep_ctl(l, EPOLL_CTL_ADD, nl_socket_get_fd(l->agent->mc),
			  EPOLLIN, &l->agent->ev);
}

void hsd_kernel_stop(struct loop *l)
{
	if (l->agent)
		(void)epoll_ctl(l->ep, EPOLL_CTL_DEL,
				nl_socket_get_fd(l->agent->mc), NULL);
	l->kernel_more = false;
}

/*
 * One request and its answer on the worker's command socket.  Return the
 * length of the first message of the answer in *@buf (malloc'ed), or
 * -errno.
 */
static int transact(struct kagent *a, struct nl_msg *msg, uint8_t **buf)
{
	struct sockaddr_nl sa;
	int n;

	*buf = NULL;
	if (nl_send_auto(a->cmd, msg) < 0)
		return -EIO;
	n = nl_recv(a->cmd, &sa, (unsigned char **)buf, NULL);
	if (n <= 0) {
		free(*buf);
		*buf = NULL;
		return n == -NLE_AGAIN ? -ETIMEDOUT : -EIO;
	}
	return n;
}

/* DONE for @fd: 0, or the kernel's -errno (it no longer waits, most
 * likely: the consumer cancelled or timed out). */
static int send_done(struct kagent *a, int fd, uint32_t status,
		     const int32_t *remote, unsigned int n)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint8_t *buf;
	uint16_t type;
	int ret, len, error;

	if (!msg)
		return -ENOMEM;
	ret = hsd_knl_put_done(msg, a->family, status, fd, remote, n);
	len = ret < 0 ? ret : transact(a, msg, &buf);
	nlmsg_free(msg);
	if (len < 0)
		return len;
	ret = hsd_knl_next(buf, (size_t)len, &type, &error);
	free(buf);
	if (ret < 0 || type != NLMSG_ERROR)
		return -EBADMSG;
	return error;
}

/* --- requests --------------------------------------------------------- */

/* The status DONE carries for a handshake that returned @ret. */
static uint32_t done_status(int ret)
{
	switch (ret) {
	case 0:
		return 0;
	case -EKEYREJECTED:
	case -ECONNABORTED:
	case -EPROTONOSUPPORT:
	case -EPROTO:
	case -EACCES:
		return EACCES;
	case -ETIMEDOUT:
		return ETIMEDOUT;
	case -ECONNRESET:
	case -EPIPE:
		return ECONNRESET;
	case -EOPNOTSUPP:
		return EOPNOTSUPP;
	case -ENOKEY:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return ENOKEY;
	case -ENOMEM:
		return ENOMEM;
	case -EINVAL:
		return EINVAL;
	default:
		return EIO;
	}
}

static enum hsd_kfail fail_reason(int ret)
{
	switch (ret) {
	case -EKEYREJECTED:
		return HSD_KFAIL_VERIFY;
	case -ECONNABORTED:
		return HSD_KFAIL_ALERT;
	case -EPROTONOSUPPORT:
	case -EPROTO:
		return HSD_KFAIL_POLICY;
	case -ECONNRESET:
	case -EPIPE:
		return HSD_KFAIL_PEER;
	case -ETIMEDOUT:
		return HSD_KFAIL_TIMEOUT;
	case -EOPNOTSUPP:
		return HSD_KFAIL_NOT_OFFLOADED;
	case -ENOKEY:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return HSD_KFAIL_KEYRING;
	default:
		return HSD_KFAIL_OTHER;
	}
}

/* A request refused before its handshake: DONE with @ret's status, the
 * fd closed, counted as failed for @why. */
static void refuse(struct loop *l, const struct hsd_knl_req *r,
		   unsigned int side, int ret, enum hsd_kfail why,
		   const char *what)
{
	hsd_log_limited(HSD_LOG_NOTICE, "kernel %s %s handshake (peer %s) "
			"refused: %s", hsd_knl_msg_name(r->msg_type),
			hsd_knl_auth_name(r->auth_mode),
			r->peer_name[0] ? r->peer_name : "unnamed", what);
	KCOUNT(l, started[side]);
	KCOUNT(l, failed[side]);
	KCOUNT_FAIL(l, why);
	if (send_done(l->agent, r->sockfd, done_status(ret), NULL, 0) < 0)
		hsd_log_limited(HSD_LOG_INFO, "kernel: DONE for a refused "
				"request failed (it was cancelled)");
	close(r->sockfd);
}

static void unlink_kjob(struct loop *l, struct job *j)
{
	if (j->kprev)
		j->kprev->knext = j->knext;
	else
		l->kjobs = j->knext;
	if (j->knext)
		j->knext->kprev = j->kprev;
	j->kprev = j->knext = NULL;
}

/* Run the request @r (parsed): its job on this worker. */
static void start(struct loop *l, const struct hsd_knl_req *r)
{
	unsigned int side = r->msg_type == HSD_HS_MSG_SERVERHELLO;
	struct gen *g = hsd_gen_get(l->sh);
	const char *what = "out of memory";
	enum hsd_kfail why = HSD_KFAIL_OTHER;
	struct ktls_ctx *ctx = NULL;
	struct kjob *k = calloc(1, sizeof(*k));
	struct job *j = calloc(1, sizeof(*j));
	int ret = -ENOMEM, v = 0;
	socklen_t vlen = sizeof(v);

	if (!k || !j)
		goto err;
	k->req = *r;
	k->side = side;
	if (getsockopt(r->sockfd, SOL_SOCKET, SO_PROTOCOL, &v, &vlen) < 0 ||
	    v != IPPROTO_TCP) {
		ret = -EOPNOTSUPP;
		why = HSD_KFAIL_UNSUPPORTED;
		what = "not a TCP socket";
		goto err;
	}
	ret = hsd_kernel_ctx(g, k, &ctx, &what, &why);
	if (ret < 0)
		goto err;
	j->ev.kind = EV_JOB;
	j->fd = r->sockfd;
	j->kernel = k;
	j->gen = g;
	snprintf(j->profile, sizeof(j->profile), "%s", side ?
		 g->cfg->kernel_server : g->cfg->kernel_client);
	j->saved_flags = fcntl(j->fd, F_GETFL);
	j->deadline = hsd_now_ms() + (r->timeout_ms ? r->timeout_ms :
		      (uint64_t)g->cfg->handshake_timeout * 1000);
	j->conn = ktls_conn_new(ctx, j->fd, side ? KTLS_ROLE_SERVER :
				KTLS_ROLE_CLIENT);
	l->jobs++;
	HSD_COUNT(l, in_flight);
	KCOUNT(l, started[side]);
	j->knext = l->kjobs;
	if (l->kjobs)
		l->kjobs->kprev = j;
	l->kjobs = j;
	if (j->conn && hsd_kernel_psk_setup(j->conn, k, &why) < 0) {
		hsd_kernel_finish(l, j, why == HSD_KFAIL_POLICY ? -EPROTO :
				  -ENOKEY);
		return;
	}
	if (!j->conn || j->saved_flags < 0 ||
	    fcntl(j->fd, F_SETFL, j->saved_flags | O_NONBLOCK) < 0 ||
	    (!side && r->peer_name[0] &&
	     ktls_conn_set_peer_name(j->conn, r->peer_name) < 0) ||
	    hsd_ep_ctl(l, EPOLL_CTL_ADD, j->fd, EPOLLIN, &j->ev) < 0) {
		hsd_kernel_finish(l, j, -ENOMEM);
		return;
	}
	hsd_job_step(l, j);
	return;
err:
	hsd_gen_put(g);
	if (k && k->own)
		ktls_ctx_free(k->own);
	free(k);
	free(j);
	refuse(l, r, side, ret, why, what);
}

void hsd_kernel_finish(struct loop *l, struct job *j, int ret)
{
	struct kjob *k = j->kernel;
	struct ktls_conn *c = j->conn;
	int32_t remote[1];
	unsigned int n = 0;
	int dret;

	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, j->fd, NULL);
	if (ret == 0 && (!ktls_conn_offloaded(c, KTLS_DIR_TX) ||
			 !ktls_conn_offloaded(c, KTLS_DIR_RX)))
		ret = -EOPNOTSUPP;
	/* psk mode: a certificate handshake is not what was asked for. */
	if (ret == 0 && k->req.auth_mode == HSD_HS_AUTH_PSK &&
	    !ktls_conn_psk_identity(c))
		ret = -ENOKEY;
	if (ret == 0)
		n = hsd_kernel_peer_identity(j, remote);
	/* The socket goes back as it came, before the kernel has it. */
	if (j->saved_flags >= 0)
		(void)fcntl(j->fd, F_SETFL, j->saved_flags);
	j->saved_flags = -1;
	dret = send_done(l->agent, j->fd, done_status(ret), remote, n);
	hsd_job_release_fd(l, j);
	if (dret < 0) {
		hsd_log_limited(HSD_LOG_NOTICE, "kernel %s handshake (peer "
				"%s): the kernel took no DONE (%s): it was "
				"cancelled or timed out", k->side ? "server" :
				"client", k->req.peer_name[0] ?
				k->req.peer_name : "unnamed",
				ktls_strerror(dret));
		if (ret == 0)
			ret = dret;
	}
	if (ret == 0) {
		KCOUNT(l, ok[k->side]);
		hsd_log_limited(HSD_LOG_INFO, "kernel %s %s handshake (peer "
				"%s): %s %s", k->side ? "server" : "client",
				hsd_knl_auth_name(k->req.auth_mode),
				k->req.peer_name[0] ? k->req.peer_name :
				"unnamed", ktls_conn_version(c) ==
				KTLS_TLS_1_3 ? "TLSv1.3" : "TLSv1.2",
				ktls_cipher_name(ktls_conn_cipher(c)));
	} else {
		/* (one reason per failure: the kernel's refusal of DONE
		 * says the consumer gave up, whatever the handshake did) */
		KCOUNT(l, failed[k->side]);
		KCOUNT_FAIL(l, dret < 0 ? HSD_KFAIL_CANCELLED :
			    fail_reason(ret));
		hsd_log_limited(HSD_LOG_NOTICE, "kernel %s %s handshake (peer "
				"%s) failed: %s", k->side ? "server" : "client",
				hsd_knl_auth_name(k->req.auth_mode),
				k->req.peer_name[0] ? k->req.peer_name :
				"unnamed", c && *ktls_conn_errstr(c) ?
				ktls_conn_errstr(c) : ktls_strerror(ret));
	}
	unlink_kjob(l, j);
	j->kernel = NULL;
	hsd_job_end(l, j);		/* frees the connection first */
	ktls_ctx_free(k->own);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

void hsd_kernel_expire(struct loop *l, uint64_t now, uint64_t *next)
{
	struct job *j, *nx;

	for (j = l->kjobs; j; j = nx) {
		nx = j->knext;
		if (j->deadline <= now)
			hsd_kernel_finish(l, j, -ETIMEDOUT);
		else if (j->deadline < *next)
			*next = j->deadline;
	}
}

/* --- ACCEPT and READY ------------------------------------------------- */

/* One ACCEPT: 1 when a request came (and was started or answered), 0
 * when nothing is queued, -errno when ACCEPT failed. */
static int accept_one(struct loop *l)
{
	struct kagent *a = l->agent;
	struct nl_msg *msg = nlmsg_alloc();
	struct hsd_knl_req r;
	const char *why;
	uint8_t *buf;
	uint16_t type;
	int len, n, error, ret;

	if (!msg)
		return -ENOMEM;
	ret = hsd_knl_put_accept(msg, a->family);
	len = ret < 0 ? ret : transact(a, msg, &buf);
	nlmsg_free(msg);
	if (len < 0) {
		hsd_log_limited(HSD_LOG_ERROR, "kernel: ACCEPT: %s",
				ktls_strerror(len));
		return len;
	}
	n = hsd_knl_next(buf, (size_t)len, &type, &error);
	if (n > 0 && type == NLMSG_ERROR) {
		free(buf);
		if (error == -EAGAIN || error == 0)
			return 0;
		hsd_log_limited(HSD_LOG_ERROR, "kernel: ACCEPT refused: %s%s",
				ktls_strerror(error), error == -EPERM ?
				" (handshaked needs CAP_NET_ADMIN: see "
				"handshaked(8))" : "");
		return error;
	}
	KCOUNT(l, accepted);
	ret = n > 0 ? hsd_knl_parse_accept(buf, (size_t)n, a->family, &r,
					   &why) : -EBADMSG;
	free(buf);
	if (ret < 0) {
		KCOUNT(l, bad_requests);
		hsd_log_limited(HSD_LOG_ERROR, "kernel: a malformed ACCEPT "
				"reply: %s", n > 0 ? why : "bad framing");
		if (r.sockfd >= 0 && n > 0) {
			(void)send_done(a, r.sockfd, EINVAL, NULL, 0);
			close(r.sockfd);
		}
		return 1;
	}
	start(l, &r);
	return 1;
}

void hsd_kernel_accept(struct loop *l)
{
	unsigned int i;

	l->kernel_more = false;
	if (!l->agent || l->stopping)
		return;
	for (i = 0; i < ACCEPT_BATCH; i++)
		if (accept_one(l) <= 0)
			return;
	l->kernel_more = true;
}

void hsd_kernel_readable(struct loop *l)
{
	struct kagent *a = l->agent;
	bool ready = false;

	for (;;) {
		struct sockaddr_nl sa;
		unsigned char *buf = NULL;
		int len = nl_recv(a->mc, &sa, &buf, NULL);
		uint16_t type;
		int n, error;

		if (len == -NLE_AGAIN || len == 0)
			break;
		if (len < 0) {
			/* Overrun (ENOBUFS): READYs were lost; ask. */
			ready = true;
			if (len != -NLE_NOMEM)
				break;
			continue;
		}
		n = hsd_knl_next(buf, (size_t)len, &type, &error);
		if (n > 0 && hsd_knl_is_ready(buf, (size_t)n, a->family)) {
			KCOUNT(l, ready);
			ready = true;
		}
		free(buf);
	}
	if (ready)
		hsd_kernel_accept(l);
}
