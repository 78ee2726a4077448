// SPDX-License-Identifier: MIT
/*
 * client.c - the daemon's side of the unix-socket protocol with a client
 * process: reading and parsing its requests, error replies, and the count
 * of connected clients per uid (max_clients_per_uid).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsd_int.h"

/* A reply with only a status and a sentence. */
void hsd_reply_error(struct loop *l, int sock, int status, const char *why)
{
	struct ktls_proto_msg *m = &l->msg;

	ktls_proto_init(m, KTLS_MSG_RESULT);
	if (ktls_proto_put_u32(m, KTLS_A_STATUS, (uint32_t)status) ||
	    ktls_proto_put_str(m, KTLS_A_ERRSTR, why) ||
	    ktls_proto_send(sock, m, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "could not send a reply: "
				"client gone");
}

/* Parse and validate a request (declared in handshaked.h). */
int hsd_parse_request(const uint8_t *buf, size_t len, struct hsd_request *r,
		      const char **why)
{
	struct ktls_proto_attr a;
	enum ktls_msg_type type;
	size_t off = KTLS_PROTO_HDR;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = ktls_proto_check(buf, len, &type);
	if (ret == -EPROTONOSUPPORT) {
		*why = "unknown protocol version (this daemon speaks 1)";
		return ret;
	}
	if (ret < 0 || type != KTLS_MSG_HANDSHAKE) {
		*why = "malformed request";
		return -EBADMSG;
	}
	while ((ret = ktls_proto_next(buf, len, &off, &a)) > 0) {
		switch (a.tag) {
		case KTLS_A_ROLE:
			ret = ktls_proto_u8(&a, &r->role);
			break;
		case KTLS_A_PROFILE:
			ret = ktls_proto_str(&a, r->profile,
					     sizeof(r->profile));
			break;
		case KTLS_A_PEER_NAME:
			ret = ktls_proto_str(&a, r->peer_name,
					     sizeof(r->peer_name));
			break;
		case KTLS_A_ALPN:
			ret = ktls_proto_str(&a, r->alpn, sizeof(r->alpn));
			break;
		case KTLS_A_TIMEOUT_MS:
			ret = ktls_proto_u32(&a, &r->timeout_ms);
			break;
		default:
			break;
		}
		if (ret < 0) {
			*why = "malformed attribute in the request";
			return -EBADMSG;
		}
	}
	if (r->role != KTLS_ROLE_CLIENT && r->role != KTLS_ROLE_SERVER) {
		*why = "the request names no role (client or server)";
		return -EBADMSG;
	}
	if (!r->profile[0]) {
		*why = "the request names no profile";
		return -EBADMSG;
	}
	return 0;
}

/*
 * Count a client of @uid in, unless that uid already has @cap (0: no
 * cap) connected: -EUSERS then, with *@have the count; or -ENOMEM.
 */
int hsd_uid_take(struct shared *sh, uid_t uid, unsigned int cap,
		 unsigned int *have)
{
	struct uid_count *u = NULL;
	size_t i;
	int ret = 0;

	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < sh->n_uids; i++) {
		if (sh->uids[i].uid == uid) {
			u = &sh->uids[i];
			break;
		}
	}
	if (!u) {
		if (sh->n_uids == sh->uids_size) {
			size_t size = sh->uids_size ? 2 * sh->uids_size : 16;
			struct uid_count *t = reallocarray(sh->uids, size,
							   sizeof(*t));

			if (!t) {
				ret = -ENOMEM;
				goto out;
			}
			sh->uids = t;
			sh->uids_size = size;
		}
		u = &sh->uids[sh->n_uids++];
		u->uid = uid;
		u->n = 0;
	}
	*have = u->n;
	if (cap && u->n >= cap)
		ret = -EUSERS;
	else
		u->n++;
out:
	pthread_mutex_unlock(&sh->lock);
	return ret;
}

void hsd_uid_release(struct shared *sh, uid_t uid)
{
	size_t i;

	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < sh->n_uids; i++) {
		if (sh->uids[i].uid != uid)
			continue;
		if (--sh->uids[i].n == 0)
			sh->uids[i] = sh->uids[--sh->n_uids];
		break;
	}
	pthread_mutex_unlock(&sh->lock);
}

void hsd_client_drop(struct loop *l, struct client *cl)
{
	if (cl->job) {
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d went away during its "
				"handshake", (int)cl->cred.pid);
		__atomic_add_fetch(&l->sh->n.failed[HSD_FAIL_CLIENT_GONE], 1,
				   __ATOMIC_RELAXED);
		cl->job->cl = NULL;
		hsd_job_end(l, cl->job);
	}
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->counted)
		hsd_uid_release(l->sh, cl->cred.uid);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		l->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	hsd_bury(l, &cl->ev, cl);
}

/*
 * A client over its uid's cap: told why, counted and logged (rate-limited),
 * then closed by the caller; nothing it sends is acted on.
 */
void hsd_refuse_over_cap(struct loop *l, int fd, const struct ucred *cr,
			 unsigned int have, unsigned int cap)
{
	char why[160];
	unsigned int i;

	snprintf(why, sizeof(why), "uid %u has %u clients connected, the "
		 "most max_clients_per_uid allows (%u)",
		 (unsigned int)cr->uid, have, cap);
	HSD_COUNT(l, refused);
	hsd_log_limited(HSD_LOG_NOTICE, "pid %d uid %u refused: %s",
			(int)cr->pid, (unsigned int)cr->uid, why);
	hsd_reply_error(l, fd, -EUSERS, why);
	/* A request it already sent, left unread, would make the close a
	 * reset, and the client would read ECONNRESET, not the reply: take
	 * no more (its sends now fail with EPIPE), drop what came, with its
	 * fds. */
	(void)shutdown(fd, SHUT_RD);	/* (on failure, the close is all) */
	for (i = 0; i < 8; i++) {
		int rfd = -1;
		ssize_t n = ktls_proto_recv(fd, l->msg.buf, sizeof(l->msg.buf),
					    &rfd);

		if (rfd >= 0)
			close(rfd);
		if (n <= 0 && n != -EBADMSG)
			break;
	}
}

void hsd_client_readable(struct loop *l, struct client *cl)
{
	enum ktls_msg_type type;
	struct hsd_request r;
	const char *why = NULL;
	ssize_t n;
	int fd, ret;

	n = ktls_proto_recv(cl->fd, l->msg.buf, sizeof(l->msg.buf), &fd);
	if (n == -EAGAIN)
		return;
	if (n == 0 || (n < 0 && n != -EBADMSG)) {
		hsd_client_drop(l, cl);
		return;
	}
	if (n < 0) {
		HSD_COUNT(l, bad_requests);
		hsd_reply_error(l, cl->fd, -EBADMSG, "a request carries "
				"exactly one fd and fits in 64 KiB");
		return;
	}
	if (cl->job) {
		if (fd >= 0)
			close(fd);
		hsd_reply_error(l, cl->fd, -EBUSY, "one request at a time");
		return;
	}
	if (l->stopping) {
		if (fd >= 0)
			close(fd);
		hsd_reply_error(l, cl->fd, -ESHUTDOWN,
				"handshaked is stopping");
		return;
	}
	if (ktls_proto_check(l->msg.buf, (size_t)n, &type) == 0 &&
	    type == KTLS_MSG_COUNTERS) {
		if (fd >= 0)
			close(fd);
		hsd_reply_counters(l, cl);
		return;
	}
	ret = hsd_parse_request(l->msg.buf, (size_t)n, &r, &why);
	if (ret == 0 && fd < 0) {
		ret = -EBADF;
		why = "the request carries no socket (SCM_RIGHTS)";
	}
	if (ret < 0) {
		HSD_COUNT(l, bad_requests);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: bad request: %s",
				(int)cl->cred.pid, why);
		if (fd >= 0)
			close(fd);
		hsd_reply_error(l, cl->fd, ret, why);
		return;
	}
	hsd_start_job(l, cl, fd, &r);
}
