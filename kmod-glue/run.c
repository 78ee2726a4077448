// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsx_glue: a run.  "jobs" workers take the next handshake index until
 * "count" are taken:
 *   client  connect to 127.0.0.1:port, then the client end;
 *   server  accept on the run's listener, then the server end;
 *   both    connect to the run's own listener, accept one connection and
 *           hand its server end to a work item of its own, then the
 *           client end: each connection is two upcalls, one per end.
 * Every end reports one result.  The run is finished when its last work
 * item is; stopping it (the run file closed early) makes the waits for a
 * done callback cancel, and the listener stop accepting.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "ktlsx.h"

static void ktlsx_run_free(struct ktlsx_run *run)
{
	if (run->listener)
		sock_release(run->listener);
	kvfree(run->res);
	kfree(run->slots);
	kfree(run);
}

void ktlsx_run_record(struct ktlsx_run *run, const struct ktlsx_result *r)
{
	spin_lock(&run->lock);
	if (run->n_res < run->cap_res)
		run->res[run->n_res++] = *r;
	if (r->status)
		run->n_failed++;
	else
		run->n_ok++;
	spin_unlock(&run->lock);
	if (r->status)
		atomic64_inc(&ktlsx_failed_total);
	else
		atomic64_inc(&ktlsx_ok_total);
	wake_up(&run->wq);
}

/* One work item is finished; the last one finishes the run.  Nothing may
 * touch @run after complete(): the run file's release frees it. */
void ktlsx_run_put(struct ktlsx_run *run)
{
	if (!atomic_dec_and_test(&run->busy))
		return;
	spin_lock(&run->lock);
	run->usec = ktime_us_delta(ktime_get(), run->start);
	run->finished = true;
	spin_unlock(&run->lock);
	atomic_dec(&ktlsx_runs_active);
	wake_up(&run->wq);
	complete(&run->all_done);
}

#if KTLSX_UPCALL

struct ktlsx_server_work {
	struct work_struct work;
	struct ktlsx_run *run;
	struct socket *sock;
	u32 index;
};

static void ktlsx_fail(struct ktlsx_run *run, u32 index, bool server,
		       enum ktlsx_stage stage, int status)
{
	struct ktlsx_result r = {
		.index = index,
		.server = server,
		.stage = stage,
		.status = status,
	};

	ktlsx_run_record(run, &r);
}

static void ktlsx_server_work_fn(struct work_struct *w)
{
	struct ktlsx_server_work *sw =
		container_of(w, struct ktlsx_server_work, work);
	struct ktlsx_run *run = sw->run;

	ktlsx_endpoint(run, sw->sock, true, sw->index);
	kfree(sw);
	ktlsx_run_put(run);
}

/* Accept one connection from the listener, with a file for the agent.
 * The listener's receive time-out bounds the wait. */
static int ktlsx_accept(struct ktlsx_run *run, struct socket **sockp)
{
	struct socket *sock;
	int ret;

	ret = kernel_accept(run->listener, &sock, 0);
	if (ret == -EAGAIN)
		return -ETIMEDOUT;
	if (ret)
		return ret;
	ret = ktlsx_sock_file(sock);
	if (ret)
		return ret;
	*sockp = sock;
	return 0;
}

/* Role both: the server end of a connection just made goes to a work
 * item of its own, so both ends run at once. */
static void ktlsx_both_accept(struct ktlsx_run *run)
{
	u32 index = atomic_inc_return(&run->next_server) - 1;
	struct ktlsx_server_work *sw;
	struct socket *sock;
	int ret;

	ret = ktlsx_accept(run, &sock);
	if (ret) {
		ktlsx_fail(run, index, true, KTLSX_ST_ACCEPT, ret);
		return;
	}
	sw = kzalloc(sizeof(*sw), GFP_KERNEL);
	if (!sw) {
		ktlsx_sock_free(sock);
		ktlsx_fail(run, index, true, KTLSX_ST_ACCEPT, -ENOMEM);
		return;
	}
	INIT_WORK(&sw->work, ktlsx_server_work_fn);
	sw->run = run;
	sw->sock = sock;
	sw->index = index;
	atomic_inc(&run->busy);
	queue_work(ktlsx_wq, &sw->work);
}

static void ktlsx_client(struct ktlsx_run *run, u32 index)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(run->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct socket *sock;
	int ret;

	ret = ktlsx_sock_new(&sock);
	if (ret) {
		ktlsx_fail(run, index, false, KTLSX_ST_SOCKET, ret);
		return;
	}
	WRITE_ONCE(sock->sk->sk_sndtimeo, msecs_to_jiffies(run->p.timeout_ms));
	ret = kernel_connect(sock, (struct sockaddr *)&sin, sizeof(sin), 0);
	if (ret) {
		ktlsx_sock_free(sock);
		ktlsx_fail(run, index, false, KTLSX_ST_CONNECT,
			   ret == -EINPROGRESS ? -ETIMEDOUT : ret);
		return;
	}
	if (run->p.role == KTLSX_BOTH)
		ktlsx_both_accept(run);
	ktlsx_endpoint(run, sock, false, index);
}

static void ktlsx_server(struct ktlsx_run *run, u32 index)
{
	struct socket *sock;
	int ret;

	ret = ktlsx_accept(run, &sock);
	if (ret) {
		ktlsx_fail(run, index, true, KTLSX_ST_ACCEPT, ret);
		return;
	}
	ktlsx_endpoint(run, sock, true, index);
}

static void ktlsx_slot_fn(struct work_struct *w)
{
	struct ktlsx_slot *slot = container_of(w, struct ktlsx_slot, work);
	struct ktlsx_run *run = slot->run;
	bool server = run->p.role == KTLSX_SERVER;
	atomic_t *next = server ? &run->next_server : &run->next_client;

	while (!READ_ONCE(run->stopping)) {
		u32 index = atomic_inc_return(next) - 1;

		if (index >= run->p.count)
			break;
		if (server)
			ktlsx_server(run, index);
		else
			ktlsx_client(run, index);
	}
	ktlsx_run_put(run);
}

static int ktlsx_listen(struct ktlsx_run *run)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(run->p.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct socket *sock;
	int ret;

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (ret)
		return ret;
	sock_set_reuseaddr(sock->sk);
	WRITE_ONCE(sock->sk->sk_rcvtimeo, msecs_to_jiffies(run->p.timeout_ms));
	ret = kernel_bind(sock, (struct sockaddr *)&sin, sizeof(sin));
	if (ret)
		goto out_release;
	ret = kernel_listen(sock, min_t(u32, 2 * run->p.jobs + 16, SOMAXCONN));
	if (ret)
		goto out_release;
	ret = kernel_getsockname(sock, (struct sockaddr *)&sin);
	if (ret < 0)
		goto out_release;
	run->port = ntohs(sin.sin_port);
	run->listener = sock;
	return 0;

out_release:
	sock_release(sock);
	return ret;
}

int ktlsx_run_start(const struct ktlsx_params *p, struct ktlsx_run **runp)
{
	struct ktlsx_run *run;
	u32 i, jobs;
	int ret;

	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run)
		return -ENOMEM;
	run->p = *p;
	jobs = min(p->jobs, p->count);
	run->cap_res = p->count * (p->role == KTLSX_BOTH ? 2 : 1);
	run->res = kvcalloc(run->cap_res, sizeof(*run->res), GFP_KERNEL);
	run->slots = kcalloc(jobs, sizeof(*run->slots), GFP_KERNEL);
	ret = -ENOMEM;
	if (!run->res || !run->slots)
		goto out_free;
	spin_lock_init(&run->lock);
	init_waitqueue_head(&run->wq);
	init_completion(&run->all_done);
	run->port = p->port;
	if (p->role != KTLSX_CLIENT) {
		ret = ktlsx_listen(run);
		if (ret)
			goto out_free;
	}
	atomic_set(&run->busy, jobs);
	atomic_inc(&ktlsx_runs_active);
	atomic64_inc(&ktlsx_runs_total);
	run->start = ktime_get();
	for (i = 0; i < jobs; i++) {
		INIT_WORK(&run->slots[i].work, ktlsx_slot_fn);
		run->slots[i].run = run;
		queue_work(ktlsx_wq, &run->slots[i].work);
	}
	*runp = run;
	return 0;

out_free:
	ktlsx_run_free(run);
	return ret;
}

#else /* !KTLSX_UPCALL */

int ktlsx_run_start(const struct ktlsx_params *p, struct ktlsx_run **runp)
{
	return -EOPNOTSUPP;
}

#endif /* KTLSX_UPCALL */

/* Stop a run (done or not), wait for its work items, free it. */
void ktlsx_run_stop(struct ktlsx_run *run)
{
	WRITE_ONCE(run->stopping, true);
	/* (an accept waiting on the listener returns at once) */
	if (run->listener)
		kernel_sock_shutdown(run->listener, SHUT_RDWR);
	wait_for_completion(&run->all_done);
	ktlsx_run_free(run);
}
