/* SPDX-License-Identifier: MIT */
/*
 * hsd_int.h - what the files of the daemon's event loop share: the
 * workers (loop.c), their jobs (job.c), their clients (client.c), the
 * counters (counters.c) and the configuration generations the main
 * thread swaps on reload (reload.c).  Prototypes are grouped by the file
 * that defines them.
 *
 * The daemon runs handshakes for other processes, many at once: each
 * worker (a thread) runs an epoll loop over the clients it accepted and
 * their handshakes, every socket non-blocking, so a slow or silent peer
 * only waits for its own timeout.  The main thread takes the signals
 * (reload, drain, counters) and renews the ticket keys.
 *
 * A client (a process connected to our unix socket) sends one request at
 * a time with its TCP socket.  The request is length-checked, its sender
 * identified (SO_PEERCRED) and checked against [access], the fd checked
 * to be a connected TCP socket; then a libktls connection on the profile's
 * context runs the handshake and installs kTLS on that socket.  The reply
 * says how it went.  Whatever happens, the client gets a reply (or, if it
 * went away, its job is dropped) and the daemon goes on.
 *
 * The profile contexts are shared by the workers, so their session caches
 * and ticket keys serve every client process.
 */
#ifndef HSD_INT_H
#define HSD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "handshaked.h"

enum ev_kind { EV_LISTEN, EV_WAKE, EV_CLIENT, EV_JOB, EV_KERNEL };

/* What epoll hands back.  Ended objects are only marked dead and freed
 * after the batch of events, which may still name them. */
struct ev {
	enum ev_kind kind;
	bool dead;
	struct ev *grave_next;
	void *alloc;
};

struct job;

/* A configuration and its profile contexts, alive while it is current or
 * a handshake still uses it (SIGHUP makes a new one). */
struct gen {
	struct hsd_config *cfg;
	struct hsd_keys *keys;
	unsigned int refs;		/* atomic */
};

/* Clients of one uid connected at once, over every worker. */
struct uid_count {
	uid_t uid;
	unsigned int n;
};

/* What the workers share. */
struct shared {
	pthread_mutex_t lock;		/* guards cur and uids */
	pthread_mutex_t reload_lock;	/* one reload at a time */
	struct gen *cur;
	struct hsd_counters n;		/* atomic adds */
	int listen_fd;
	unsigned int workers;
	uint64_t started_at;		/* CLOCK_MONOTONIC ms */
	bool ktls_usable;		/* as probed at start */
	char ktls_reason[HSD_PROTO_STR_MAX + 1];	/* why not */
	struct uid_count *uids;		/* the uids with a client connected */
	size_t n_uids, uids_size;
	struct hsd_kernel *kernel;	/* the kernel agent, or NULL (off) */
};

struct client {
	struct ev ev;			/* EV_CLIENT */
	int fd;
	struct ucred cred;
	bool counted;			/* in its uid's count */
	struct job *job;		/* the request in flight, if any */
	uint64_t idle_since;		/* ms: connected, or last job ended */
	struct client *prev, *next;
};

struct job {
	struct ev ev;			/* EV_JOB */
	struct client *cl;
	int fd;				/* our copy of the TCP socket */
	int saved_flags;
	struct ktls_conn *conn;
	struct gen *gen;
	char profile[HSD_MAX_NAME];
	uint64_t deadline;		/* ms, CLOCK_MONOTONIC */
	/* A request of the kernel's (kernel.c): cl is NULL, and the job is
	 * on its worker's list of kernel jobs. */
	struct kjob *kernel;
	struct job *kprev, *knext;
};

/* A worker. */
struct loop {
	struct shared *sh;
	pthread_t thread;
	int ep, wake_fd;
	struct ev listen_ev, wake_ev;
	struct client *clients;
	struct ev *grave;
	unsigned int jobs;
	bool stopping;
	uint64_t accept_paused_until;	/* ms, or 0 */
	struct kagent *agent;		/* its kernel-agent sockets, or NULL */
	struct job *kjobs;		/* the kernel's requests in flight */
	bool kernel_more;		/* more may be queued: ACCEPT again */
	int ret;
	struct hsd_proto_msg msg;	/* scratch for requests and replies */
};

/* Why a kernel without kTLS means no handshakes, for logs and replies. */
#define HSD_NEEDS_KTLS "daemon mode hands back only sockets with their " \
	"keys in the kernel (ktls-probe says what to do)"

#define HSD_COUNT(l, field) \
	__atomic_add_fetch(&(l)->sh->n.field, 1, __ATOMIC_RELAXED)

static inline uint64_t hsd_load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* loop.c: the workers, each an epoll loop over its clients and jobs. */
uint64_t hsd_now_ms(void);
int hsd_ep_ctl(struct loop *l, int op, int fd, uint32_t events,
	       struct ev *ev);
/* Mark @ev dead; @obj is freed after the current batch of events. */
void hsd_bury(struct loop *l, struct ev *ev, void *obj);
KTLS_MUST_CHECK int hsd_worker_init(struct loop *l, struct shared *sh,
				    unsigned int i);
void *hsd_worker(void *arg);
void hsd_worker_fini(struct loop *l);

/* job.c: one handshake on a client's TCP socket. */
void hsd_start_job(struct loop *l, struct client *cl, int fd,
		   const struct hsd_proto_handshake *r);
void hsd_job_step(struct loop *l, struct job *j);
void hsd_job_release_fd(struct loop *l, struct job *j);
void hsd_job_end(struct loop *l, struct job *j);
void hsd_count_failed(struct loop *l, int ret);

/* client.c: the unix-socket protocol with a client process (the
 * messages are proto/hsd_proto.h's). */
/* A reply of a status and a sentence (a refusal, or a reload's). */
void hsd_reply(struct loop *l, int sock, int status, const char *why);
void hsd_client_readable(struct loop *l, struct client *cl);
void hsd_client_drop(struct loop *l, struct client *cl);
KTLS_MUST_CHECK int hsd_uid_take(struct shared *sh, uid_t uid,
				 unsigned int cap, unsigned int *have);
void hsd_uid_release(struct shared *sh, uid_t uid);
void hsd_refuse_over_cap(struct loop *l, int fd, const struct ucred *cr,
			 unsigned int have, unsigned int cap);

/* counters.c: what the daemon reports, to handshakectl(8) and its log. */
void hsd_reply_counters(struct loop *l, struct client *cl);
void hsd_reply_status(struct loop *l, struct client *cl);
void hsd_log_counters(const struct shared *sh);

/* reload.c: the current configuration, a reference per user. */
struct gen *hsd_gen_get(struct shared *sh);
void hsd_gen_put(struct gen *g);
struct gen *hsd_gen_new(struct hsd_config *cfg, struct hsd_keys *keys);
/*
 * Read the configuration and every file it names again (SIGHUP, or a
 * client's reload request; one at a time).  Return: 0 with @msg saying
 * what was reloaded; or the -errno of the load, with @msg saying why, and
 * the running configuration stays.  Logged either way.
 */
KTLS_MUST_CHECK int hsd_reload(struct shared *sh, char *msg, size_t size);

#endif /* HSD_INT_H */
