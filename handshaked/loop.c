// SPDX-License-Identifier: MIT
/*
 * loop.c - the workers: each is a thread with an epoll loop over the
 * clients it accepted (client.c) and their handshakes (job.c).  Ended
 * clients and jobs are buried and freed after the batch of events that
 * may still name them; deadlines are enforced by expire() between batches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hsd_kernel.h"

#define ACCEPT_PAUSE_MS 100

void hsd_bury(struct loop *l, struct ev *ev, void *obj)
{
	ev->dead = true;
	ev->alloc = obj;
	ev->grave_next = l->grave;
	l->grave = ev;
}

static void free_grave(struct loop *l)
{
	while (l->grave) {
		struct ev *ev = l->grave;

		l->grave = ev->grave_next;
		free(ev->alloc);
	}
}

uint64_t hsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int hsd_ep_ctl(struct loop *l, int op, int fd, uint32_t events,
	       struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	return epoll_ctl(l->ep, op, fd, &e) < 0 ? -errno : 0;
}

/*
 * Out of fds (or memory): the pending client stays in the backlog and the
 * listening socket stays readable, so stop watching it for a moment
 * rather than spin.
 */
static void pause_accepting(struct loop *l, int err)
{
	hsd_log_limited(HSD_LOG_ERROR, "accept: %s; not accepting for %d ms",
			ktls_strerror(err), ACCEPT_PAUSE_MS);
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->sh->listen_fd, NULL);
	l->accept_paused_until = hsd_now_ms() + ACCEPT_PAUSE_MS;
}

static void resume_accepting(struct loop *l)
{
	if (!l->accept_paused_until || hsd_now_ms() < l->accept_paused_until)
		return;
	l->accept_paused_until = 0;
	if (!l->stopping)
		(void)hsd_ep_ctl(l, EPOLL_CTL_ADD, l->sh->listen_fd,
				 EPOLLIN | EPOLLEXCLUSIVE, &l->listen_ev);
}

static void accept_clients(struct loop *l)
{
	struct gen *g = hsd_gen_get(l->sh);
	unsigned int cap = g->cfg->max_clients_per_uid, have;

	hsd_gen_put(g);
	for (;;) {
		socklen_t len = sizeof(struct ucred);
		struct client *cl;
		int ret, fd = accept4(l->sh->listen_fd, NULL, NULL,
				      SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				pause_accepting(l, -errno);
			return;		/* EAGAIN, or the client gave up */
		}
		cl = calloc(1, sizeof(*cl));
		if (!cl || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->cred,
				      &len) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		ret = hsd_uid_take(l->sh, cl->cred.uid, cap, &have);
		if (ret == -EUSERS)
			hsd_refuse_over_cap(l, fd, &cl->cred, have, cap);
		if (ret < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->counted = true;
		if (hsd_ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &cl->ev) < 0) {
			hsd_uid_release(l->sh, cl->cred.uid);
			free(cl);
			close(fd);
			continue;
		}
		cl->ev.kind = EV_CLIENT;
		cl->fd = fd;
		cl->idle_since = hsd_now_ms();
		cl->next = l->clients;
		if (l->clients)
			l->clients->prev = cl;
		l->clients = cl;
	}
}

/*
 * Fail the jobs whose time is up, and drop the clients that have sent no
 * request for as long as a handshake may take (each holds an fd of ours);
 * return the ms until the next deadline.
 */
static int expire(struct loop *l)
{
	uint64_t now = hsd_now_ms(), next = UINT64_MAX, idle_ms;
	struct client *cl, *nx;
	struct gen *g = hsd_gen_get(l->sh);

	idle_ms = (uint64_t)g->cfg->handshake_timeout * 1000;
	hsd_gen_put(g);
	hsd_kernel_expire(l, now, &next);
	for (cl = l->clients; cl; cl = nx) {
		struct job *j = cl->job;

		nx = cl->next;
		if (!j) {
			if (cl->idle_since + idle_ms <= now) {
				hsd_log_limited(HSD_LOG_INFO, "pid %d sent no "
						"request for %llu s: dropped",
						(int)cl->cred.pid,
						(unsigned long long)idle_ms /
						1000);
				hsd_client_drop(l, cl);
			} else if (cl->idle_since + idle_ms < next) {
				next = cl->idle_since + idle_ms;
			}
			continue;
		}
		if (j->deadline <= now) {
			hsd_log_limited(HSD_LOG_NOTICE, "pid %d profile %s: "
					"handshake timed out",
					(int)cl->cred.pid, j->profile);
			hsd_job_release_fd(l, j);
			hsd_reply(l, cl->fd, -ETIMEDOUT,
				  "the handshake timed out");
			hsd_count_failed(l, -ETIMEDOUT);
			hsd_job_end(l, j);
		} else if (j->deadline < next) {
			next = j->deadline;
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return (int)(next - now);
}

/* A worker: its clients and their handshakes, until told to stop and the
 * last of its handshakes is over. */
void *hsd_worker(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[64];

	while (!l->stopping || l->jobs) {
		int i, n, timeout = expire(l);

		if (l->accept_paused_until &&
		    (timeout < 0 || timeout > ACCEPT_PAUSE_MS))
			timeout = ACCEPT_PAUSE_MS;
		if (l->kernel_more)
			timeout = 0;

		n = epoll_wait(l->ep, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			l->ret = -errno;
			hsd_log(HSD_LOG_ERROR, "epoll_wait: %s",
				ktls_strerror(l->ret));
			break;
		}
		for (i = 0; i < n; i++) {
			struct ev *ev = evs[i].data.ptr;
			uint64_t v;

			if (ev->dead)
				continue;
			switch (ev->kind) {
			case EV_LISTEN:
				accept_clients(l);
				break;
			case EV_WAKE:
				/* The only message: stop accepting. */
				if (read(l->wake_fd, &v, sizeof(v)) < 0)
					break;
				l->stopping = true;
				(void)epoll_ctl(l->ep, EPOLL_CTL_DEL,
						l->sh->listen_fd, NULL);
				hsd_kernel_stop(l);
				break;
			case EV_CLIENT:
				hsd_client_readable(l, (struct client *)ev);
				break;
			case EV_JOB:
				hsd_job_step(l, (struct job *)ev);
				break;
			case EV_KERNEL:
				hsd_kernel_readable(l);
				break;
			default:
				break;
			}
		}
		if (l->kernel_more)
			hsd_kernel_accept(l);
		free_grave(l);
		resume_accepting(l);
	}
	while (l->clients)
		hsd_client_drop(l, l->clients);
	free_grave(l);
	/* wolfSSL's per-thread caches go only when the thread frees them. */
	ktls_thread_cleanup();
	return NULL;
}

int hsd_worker_init(struct loop *l, struct shared *sh, unsigned int i)
{
	int ret;

	l->sh = sh;
	l->listen_ev.kind = EV_LISTEN;
	l->wake_ev.kind = EV_WAKE;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->wake_fd < 0 || l->ep < 0)
		return -errno;
	/* Exclusive: a new client wakes one worker, not all of them. */
	ret = hsd_ep_ctl(l, EPOLL_CTL_ADD, sh->listen_fd,
			 EPOLLIN | EPOLLEXCLUSIVE, &l->listen_ev) ?:
	      hsd_ep_ctl(l, EPOLL_CTL_ADD, l->wake_fd, EPOLLIN, &l->wake_ev);
	/* The kernel's READY wakes every worker: each ACCEPTs what it can,
	 * so a burst spreads over them. */
	return ret ?: hsd_kernel_worker_init(l, i);
}

void hsd_worker_fini(struct loop *l)
{
	if (l->ep >= 0)
		close(l->ep);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	explicit_bzero(&l->msg, sizeof(l->msg));
}
