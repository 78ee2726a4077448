// SPDX-License-Identifier: MIT
/*
 * job.c - one handshake for a client: the request checked against the
 * profile and [access], a libktls connection on the profile's context
 * driven by the worker's epoll loop, then the socket given back and the
 * result replied, counted and logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsd_kernel.h"

static void reply_result(struct loop *l, struct job *j, int status)
{
	struct ktls_conn *c = j->conn;
	const char *alpn = ktls_conn_alpn(c);
	struct hsd_proto_result r = { .r.status = status };
	const uint8_t *der;
	size_t len;

	snprintf(r.r.errstr, sizeof(r.r.errstr), "%s", ktls_conn_errstr(c));
	r.verify_result = (uint8_t)ktls_conn_verify_result(c);
	r.alert = (int16_t)ktls_conn_alert(c);
	if (status == 0) {
		r.version = ktls_conn_version(c);
		r.cipher = (uint16_t)ktls_conn_cipher(c);
		r.resumed = ktls_conn_resumed(c);
		r.tx_offloaded = ktls_conn_offloaded(c, KTLS_DIR_TX);
		r.rx_offloaded = ktls_conn_offloaded(c, KTLS_DIR_RX);
		snprintf(r.alpn, sizeof(r.alpn), "%s", alpn ? alpn : "");
		/* The chain: the encoder puts as much of it as fits. */
		while (r.n_certs < HSD_PROTO_CERTS_MAX &&
		       ktls_conn_peer_cert(c, r.n_certs, &der, &len) == 0) {
			r.certs[r.n_certs].der = der;
			r.certs[r.n_certs++].len = len;
		}
	}
	if (hsd_proto_encode_result(&l->msg, &r) < 0 ||
	    hsd_proto_send(j->cl->fd, &l->msg, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"reply", (int)j->cl->cred.pid);
}

/*
 * Give the socket back as it came (blocking or not) and drop our copy.
 * The file status flags belong to the description both processes share,
 * so this must happen before the reply lets the application go on.
 */
void hsd_job_release_fd(struct loop *l, struct job *j)
{
	if (j->fd < 0)
		return;
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, j->fd, NULL);
	if (j->saved_flags >= 0)
		(void)fcntl(j->fd, F_SETFL, j->saved_flags);
	close(j->fd);
	j->fd = -1;
}

/* End a job: release the socket, drop the connection's state (wiped). */
void hsd_job_end(struct loop *l, struct job *j)
{
	hsd_job_release_fd(l, j);
	ktls_conn_free(j->conn);
	if (j->gen)
		hsd_gen_put(j->gen);
	if (j->cl) {
		j->cl->job = NULL;
		j->cl->idle_since = hsd_now_ms();
	}
	l->jobs--;
	__atomic_sub_fetch(&l->sh->n.in_flight, 1, __ATOMIC_RELAXED);
	hsd_bury(l, &j->ev, j);
}

/* Why a handshake that returned @ret failed, for the counters. */
static enum hsd_fail fail_reason(int ret)
{
	switch (ret) {
	case -EKEYREJECTED:
		return HSD_FAIL_VERIFY;
	case -ECONNABORTED:
		return HSD_FAIL_ALERT;
	case -EPROTONOSUPPORT:
		return HSD_FAIL_POLICY;
	case -ECONNRESET:
	case -EPIPE:
		return HSD_FAIL_PEER;
	case -ETIMEDOUT:
		return HSD_FAIL_TIMEOUT;
	case -EOPNOTSUPP:
		return HSD_FAIL_NOT_OFFLOADED;
	default:
		return HSD_FAIL_OTHER;
	}
}

void hsd_count_failed(struct loop *l, int ret)
{
	__atomic_add_fetch(&l->sh->n.failed[fail_reason(ret)], 1,
			   __ATOMIC_RELAXED);
}

static void count_ok(struct loop *l, const struct ktls_conn *c)
{
	unsigned int cipher = (unsigned int)ktls_conn_cipher(c);

	HSD_COUNT(l, ok);
	if (ktls_conn_resumed(c))
		HSD_COUNT(l, resumed);
	if (ktls_conn_version(c) == KTLS_TLS_1_3)
		HSD_COUNT(l, tls13);
	else
		HSD_COUNT(l, tls12);
	if (cipher < sizeof(l->sh->n.cipher) / sizeof(l->sh->n.cipher[0]))
		__atomic_add_fetch(&l->sh->n.cipher[cipher], 1,
				   __ATOMIC_RELAXED);
}

static void job_finish(struct loop *l, struct job *j, int ret)
{
	struct ktls_conn *c = j->conn;

	if (j->kernel) {
		hsd_kernel_finish(l, j, ret);
		return;
	}
	hsd_job_release_fd(l, j);

	/* The TLS state would be stuck in this process: refuse.  The
	 * profiles require offload (keys.c), so libktls has refused already,
	 * with an alert to the peer; this is the belt to those braces. */
	if (ret == 0 && (!ktls_conn_offloaded(c, KTLS_DIR_TX) ||
			 !ktls_conn_offloaded(c, KTLS_DIR_RX)))
		ret = -EOPNOTSUPP;
	if (ret == -EOPNOTSUPP) {
		const char *reason = *ktls_conn_offload_reason(c) ?
				     ktls_conn_offload_reason(c) :
				     ktls_conn_errstr(c);
		char why[HSD_PROTO_NAME_MAX + 320];

		hsd_log_limited(HSD_LOG_NOTICE, "pid %d profile %s: not "
				"offloaded: %s", (int)j->cl->cred.pid,
				j->profile, reason);
		snprintf(why, sizeof(why), "kTLS is unusable (%s): %s", reason,
			 HSD_NEEDS_KTLS);
		hsd_reply(l, j->cl->fd, ret, why);
	} else {
		reply_result(l, j, ret);
	}
	if (ret == 0) {
		count_ok(l, c);
		hsd_log_limited(HSD_LOG_INFO, "pid %d uid %u profile %s: "
				"%s %s%s",
				(int)j->cl->cred.pid,
				(unsigned int)j->cl->cred.uid,
				j->profile,
				ktls_conn_version(c) == KTLS_TLS_1_3 ?
				"TLSv1.3" : "TLSv1.2",
				ktls_cipher_name(ktls_conn_cipher(c)),
				ktls_conn_resumed(c) ? " resumed" : "");
	} else {
		hsd_count_failed(l, ret);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d uid %u profile %s: "
				"failed: %s", (int)j->cl->cred.pid,
				(unsigned int)j->cl->cred.uid,
				j->profile, *ktls_conn_errstr(c) ?
				ktls_conn_errstr(c) : ktls_strerror(ret));
	}
	hsd_job_end(l, j);
}

void hsd_job_step(struct loop *l, struct job *j)
{
	int ret = ktls_conn_handshake(j->conn);

	if (ret == -EAGAIN) {
		short want = ktls_conn_events(j->conn);

		if (hsd_ep_ctl(l, EPOLL_CTL_MOD, j->fd,
			       (want & POLLOUT) ? EPOLLOUT : EPOLLIN, &j->ev) < 0)
			job_finish(l, j, -EIO);
		return;
	}
	job_finish(l, j, ret);
}

/* Is @fd a connected TCP socket? */
static int check_tcp(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0)
		return errno == ENOTSOCK ? -ENOTSOCK : -errno;
	if (v != AF_INET && v != AF_INET6)
		return -EPROTOTYPE;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) < 0 ||
	    v != IPPROTO_TCP)
		return -EPROTOTYPE;
	return 0;
}

void hsd_start_job(struct loop *l, struct client *cl, int fd,
		   const struct hsd_proto_handshake *r)
{
	struct gen *g = hsd_gen_get(l->sh);
	const struct hsd_config *cfg = g->cfg;
	struct hsd_profile_ctx *pc = hsd_keys_find(g->keys, r->profile);
	unsigned int role_bit = 1u << r->role;
	char why[256];
	struct job *j;
	uint64_t timeout;
	int ret;

	if (!pc) {
		snprintf(why, sizeof(why), "no profile '%s'", r->profile);
		HSD_COUNT(l, bad_requests);
		hsd_reply(l, cl->fd, -ENOENT, why);
		goto refuse;
	}
	if (!hsd_config_allows(cfg, cl->cred.uid, cl->cred.gid, r->profile,
			       r->role) || !(pc->profile->roles & role_bit)) {
		snprintf(why, sizeof(why), "uid %u may not use profile '%s' "
			 "as a %s", (unsigned int)cl->cred.uid, r->profile,
			 r->role == KTLS_ROLE_CLIENT ? "client" : "server");
		HSD_COUNT(l, refused);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: access denied: %s",
				(int)cl->cred.pid, why);
		hsd_reply(l, cl->fd, -EACCES, why);
		goto refuse;
	}
	ret = check_tcp(fd);
	if (ret < 0) {
		HSD_COUNT(l, bad_requests);
		hsd_reply(l, cl->fd, ret, "the fd sent is not a TCP socket");
		goto refuse;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		hsd_reply(l, cl->fd, -ENOMEM, "out of memory");
		goto refuse;
	}
	j->ev.kind = EV_JOB;
	j->cl = cl;
	j->fd = fd;
	snprintf(j->profile, sizeof(j->profile), "%s", r->profile);
	j->saved_flags = fcntl(fd, F_GETFL);
	timeout = r->timeout_ms ? r->timeout_ms :
		  (uint64_t)cfg->handshake_timeout * 1000;
	if (timeout > (uint64_t)cfg->handshake_timeout * 1000)
		timeout = (uint64_t)cfg->handshake_timeout * 1000;
	j->deadline = hsd_now_ms() + timeout;
	cl->job = j;
	j->gen = g;			/* the job's reference now */
	l->jobs++;
	HSD_COUNT(l, started);
	HSD_COUNT(l, in_flight);

	j->conn = ktls_conn_new(pc->ctx, fd, r->role);
	if (!j->conn || j->saved_flags < 0 ||
	    fcntl(fd, F_SETFL, j->saved_flags | O_NONBLOCK) < 0) {
		hsd_job_release_fd(l, j);
		hsd_reply(l, cl->fd, -ENOMEM,
			  "could not set up the handshake");
		hsd_count_failed(l, -ENOMEM);
		hsd_job_end(l, j);
		return;
	}
	if ((r->peer_name[0] &&
	     ktls_conn_set_peer_name(j->conn, r->peer_name) < 0) ||
	    (r->alpn[0] && ktls_conn_set_alpn(j->conn, r->alpn) < 0)) {
		hsd_job_release_fd(l, j);
		hsd_reply(l, cl->fd, -EINVAL, ktls_conn_errstr(j->conn));
		hsd_count_failed(l, -EINVAL);
		hsd_job_end(l, j);
		return;
	}
	if (hsd_ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &j->ev) < 0) {
		hsd_job_release_fd(l, j);
		hsd_reply(l, cl->fd, -EIO, "epoll failed");
		hsd_count_failed(l, -EIO);
		hsd_job_end(l, j);
		return;
	}
	hsd_job_step(l, j);
	return;

refuse:
	close(fd);
	hsd_gen_put(g);
}
