// SPDX-License-Identifier: MIT
/*
 * client.c - the daemon's side of the unix-socket protocol with a client
 * process: reading its requests (decoded by proto/hsd_proto.c) and
 * handing each to what answers it, refusals, reloads asked for, and the
 * count of connected clients per uid (max_clients_per_uid).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsd_int.h"

void hsd_reply(struct loop *l, int sock, int status, const char *why)
{
	struct hsd_proto_reply r = { .status = status };

	snprintf(r.errstr, sizeof(r.errstr), "%s", why);
	if (hsd_proto_encode_reply(&l->msg, &r) < 0 ||
	    hsd_proto_send(sock, &l->msg, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "could not send a reply: "
				"client gone");
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
	hsd_reply(l, fd, -EUSERS, why);
	/* A request it already sent, left unread, would make the close a
	 * reset, and the client would read ECONNRESET, not the reply: take
	 * no more (its sends now fail with EPIPE), drop what came, with its
	 * fds. */
	(void)shutdown(fd, SHUT_RD);	/* (on failure, the close is all) */
	for (i = 0; i < 8; i++) {
		int rfd = -1;
		ssize_t n = hsd_proto_recv(fd, l->msg.buf, sizeof(l->msg.buf),
					   &rfd);

		if (rfd >= 0)
			close(rfd);
		if (n <= 0 && n != -EBADMSG)
			break;
	}
}

/*
 * A reload, for root and the daemon's own user: the configuration is
 * loaded here, on this worker (its other clients wait meanwhile), and the
 * outcome is the reply.
 */
static void reply_reload(struct loop *l, struct client *cl)
{
	uid_t self = geteuid();
	char msg[HSD_PROTO_ERRSTR_MAX + 1];
	int ret;

	if (cl->cred.uid != 0 && cl->cred.uid != self) {
		snprintf(msg, sizeof(msg), "only root and the daemon's user "
			 "(uid %u) may reload it, not uid %u",
			 (unsigned int)self, (unsigned int)cl->cred.uid);
		HSD_COUNT(l, refused);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: %s",
				(int)cl->cred.pid, msg);
		hsd_reply(l, cl->fd, -EACCES, msg);
		return;
	}
	hsd_log(HSD_LOG_NOTICE, "reload asked by pid %d uid %u",
		(int)cl->cred.pid, (unsigned int)cl->cred.uid);
	ret = hsd_reload(l->sh, msg, sizeof(msg));
	hsd_reply(l, cl->fd, ret, msg);
}

void hsd_client_readable(struct loop *l, struct client *cl)
{
	struct hsd_proto_request r;
	const char *why = NULL;
	ssize_t n;
	int fd, ret;

	n = hsd_proto_recv(cl->fd, l->msg.buf, sizeof(l->msg.buf), &fd);
	if (n == -EAGAIN)
		return;
	if (n == 0 || (n < 0 && n != -EBADMSG)) {
		hsd_client_drop(l, cl);
		return;
	}
	if (n < 0) {
		HSD_COUNT(l, bad_requests);
		hsd_reply(l, cl->fd, -EBADMSG, "a request carries at most one "
			  "fd and fits in 64 KiB");
		return;
	}
	if (cl->job) {
		if (fd >= 0)
			close(fd);
		hsd_reply(l, cl->fd, -EBUSY, "one request at a time");
		return;
	}
	if (l->stopping) {
		if (fd >= 0)
			close(fd);
		hsd_reply(l, cl->fd, -ESHUTDOWN, "handshaked is stopping");
		return;
	}
	ret = hsd_proto_decode_request(l->msg.buf, (size_t)n, fd >= 0, &r,
				       &why);
	if (ret < 0) {
		HSD_COUNT(l, bad_requests);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: bad request: %s",
				(int)cl->cred.pid, why);
		if (fd >= 0)
			close(fd);
		hsd_reply(l, cl->fd, ret, why);
		return;
	}
	switch (r.type) {
	case HSD_MSG_HANDSHAKE:
		hsd_start_job(l, cl, fd, &r.hs);	/* takes fd */
		break;
	case HSD_MSG_COUNTERS:
		hsd_reply_counters(l, cl);
		break;
	case HSD_MSG_STATUS:
		hsd_reply_status(l, cl);
		break;
	case HSD_MSG_RELOAD:
		reply_reload(l, cl);
		break;
	case HSD_MSG_RESULT:
	default:
		/* (the decoder takes requests only) */
		break;
	}
}
