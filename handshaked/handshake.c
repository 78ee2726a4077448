// SPDX-License-Identifier: MIT
/*
 * handshake.c - handshakes for other processes, many at once: each worker
 * (a thread) runs an epoll loop over the clients it accepted and their
 * handshakes, every socket non-blocking, so a slow or silent peer only
 * waits for its own timeout.  The main thread takes the signals (reload,
 * drain, counters) and renews the ticket keys.
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ktls_wolf.h"
#include <wolfssl/wolfcrypt/ecc.h>

#include "handshaked.h"
#include "proto.h"

enum ev_kind { EV_LISTEN, EV_WAKE, EV_CLIENT, EV_JOB };

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
	struct gen *cur;
	struct hsd_counters n;		/* atomic adds */
	int listen_fd;
	unsigned int workers;
	uint64_t started_at;		/* CLOCK_MONOTONIC ms */
	struct uid_count *uids;		/* the uids with a client connected */
	size_t n_uids, uids_size;
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
	int ret;
	struct ktls_proto_msg msg;	/* scratch for requests and replies */
};

#define ACCEPT_PAUSE_MS 100

#define COUNT(l, field) \
	__atomic_add_fetch(&(l)->sh->n.field, 1, __ATOMIC_RELAXED)

static struct gen *gen_get(struct shared *sh)
{
	struct gen *g;

	pthread_mutex_lock(&sh->lock);
	g = sh->cur;
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sh->lock);
	return g;
}

static void gen_put(struct gen *g)
{
	if (__atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		return;
	hsd_keys_free(g->keys);
	hsd_config_free(g->cfg);
	free(g);
}

static struct gen *gen_new(struct hsd_config *cfg, struct hsd_keys *keys)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->cfg = cfg;
	g->keys = keys;
	g->refs = 1;
	return g;
}
static void bury(struct loop *l, struct ev *ev, void *obj)
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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int ep_ctl(struct loop *l, int op, int fd, uint32_t events,
		  struct ev *ev)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };

	return epoll_ctl(l->ep, op, fd, &e) < 0 ? -errno : 0;
}

/* A reply with only a status and a sentence. */
static void reply_error(struct loop *l, int sock, int status, const char *why)
{
	struct ktls_proto_msg *m = &l->msg;

	ktls_proto_init(m, KTLS_MSG_RESULT);
	if (ktls_proto_put_u32(m, KTLS_A_STATUS, (uint32_t)status) ||
	    ktls_proto_put_str(m, KTLS_A_ERRSTR, why) ||
	    ktls_proto_send(sock, m, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "could not send a reply: "
				"client gone");
}

static void reply_result(struct loop *l, struct job *j, int status)
{
	struct ktls_proto_msg *m = &l->msg;
	struct ktls_conn *c = j->conn;
	const char *alpn = ktls_conn_alpn(c);
	const uint8_t *der;
	size_t len;
	unsigned int i;
	int ret;

	ktls_proto_init(m, KTLS_MSG_RESULT);
	ret = ktls_proto_put_u32(m, KTLS_A_STATUS, (uint32_t)status);
	if (!ret && *ktls_conn_errstr(c))
		ret = ktls_proto_put_str(m, KTLS_A_ERRSTR, ktls_conn_errstr(c));
	if (!ret)
		ret = ktls_proto_put_u8(m, KTLS_A_VERIFY_RESULT,
					(uint8_t)ktls_conn_verify_result(c)) ||
		      ktls_proto_put_u16(m, KTLS_A_ALERT,
					 (uint16_t)ktls_conn_alert(c));
	if (!ret && status == 0) {
		ret = ktls_proto_put_u16(m, KTLS_A_VERSION,
					 ktls_conn_version(c)) ||
		      ktls_proto_put_u16(m, KTLS_A_CIPHER,
					 (uint16_t)ktls_conn_cipher(c)) ||
		      ktls_proto_put_u8(m, KTLS_A_RESUMED,
					ktls_conn_resumed(c)) ||
		      ktls_proto_put_u8(m, KTLS_A_TX_OFFLOADED,
					ktls_conn_offloaded(c, KTLS_DIR_TX)) ||
		      ktls_proto_put_u8(m, KTLS_A_RX_OFFLOADED,
					ktls_conn_offloaded(c, KTLS_DIR_RX));
		if (!ret && alpn)
			ret = ktls_proto_put_str(m, KTLS_A_ALPN_CHOSEN, alpn);
		/* The chain, as much of it as fits. */
		for (i = 0; !ret && ktls_conn_peer_cert(c, i, &der, &len) == 0;
		     i++)
			if (ktls_proto_put(m, KTLS_A_PEER_CERT, der, len) < 0)
				break;
	}
	if (ret || ktls_proto_send(j->cl->fd, m, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"reply", (int)j->cl->cred.pid);
}

/*
 * Give the socket back as it came (blocking or not) and drop our copy.
 * The file status flags belong to the description both processes share,
 * so this must happen before the reply lets the application go on.
 */
static void job_release_fd(struct loop *l, struct job *j)
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
static void job_end(struct loop *l, struct job *j)
{
	job_release_fd(l, j);
	ktls_conn_free(j->conn);
	if (j->gen)
		gen_put(j->gen);
	if (j->cl) {
		j->cl->job = NULL;
		j->cl->idle_since = now_ms();
	}
	l->jobs--;
	__atomic_sub_fetch(&l->sh->n.in_flight, 1, __ATOMIC_RELAXED);
	bury(l, &j->ev, j);
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

static void count_failed(struct loop *l, int ret)
{
	__atomic_add_fetch(&l->sh->n.failed[fail_reason(ret)], 1,
			   __ATOMIC_RELAXED);
}

static void count_ok(struct loop *l, const struct ktls_conn *c)
{
	unsigned int cipher = (unsigned int)ktls_conn_cipher(c);

	COUNT(l, ok);
	if (ktls_conn_resumed(c))
		COUNT(l, resumed);
	if (ktls_conn_version(c) == KTLS_TLS_1_3)
		COUNT(l, tls13);
	else
		COUNT(l, tls12);
	if (cipher < sizeof(l->sh->n.cipher) / sizeof(l->sh->n.cipher[0]))
		__atomic_add_fetch(&l->sh->n.cipher[cipher], 1,
				   __ATOMIC_RELAXED);
}

static void job_finish(struct loop *l, struct job *j, int ret)
{
	struct ktls_conn *c = j->conn;

	job_release_fd(l, j);

	if (ret == 0 && (!ktls_conn_offloaded(c, KTLS_DIR_TX) ||
			 !ktls_conn_offloaded(c, KTLS_DIR_RX))) {
		/* The TLS state would be stuck in this process: refuse. */
		ret = -EOPNOTSUPP;
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d profile %s: not "
				"offloaded: %s", (int)j->cl->cred.pid,
				j->profile,
				ktls_conn_offload_reason(c));
		reply_error(l, j->cl->fd, ret, "the kernel could not take this "
			    "connection's keys, and daemon mode needs kTLS");
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
		count_failed(l, ret);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d uid %u profile %s: "
				"failed: %s", (int)j->cl->cred.pid,
				(unsigned int)j->cl->cred.uid,
				j->profile, *ktls_conn_errstr(c) ?
				ktls_conn_errstr(c) : ktls_strerror(ret));
	}
	job_end(l, j);
}

static void job_step(struct loop *l, struct job *j)
{
	int ret = ktls_conn_handshake(j->conn);

	if (ret == -EAGAIN) {
		short want = ktls_conn_events(j->conn);

		if (ep_ctl(l, EPOLL_CTL_MOD, j->fd,
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

static void start_job(struct loop *l, struct client *cl, int fd,
		      const struct hsd_request *r)
{
	struct gen *g = gen_get(l->sh);
	const struct hsd_config *cfg = g->cfg;
	struct hsd_profile_ctx *pc = hsd_keys_find(g->keys, r->profile);
	unsigned int role_bit = 1u << r->role;
	char why[256];
	struct job *j;
	uint64_t timeout;
	int ret;

	if (!pc) {
		snprintf(why, sizeof(why), "no profile '%s'", r->profile);
		COUNT(l, bad_requests);
		reply_error(l, cl->fd, -ENOENT, why);
		goto refuse;
	}
	if (!hsd_config_allows(cfg, cl->cred.uid, cl->cred.gid, r->profile,
			       r->role) || !(pc->profile->roles & role_bit)) {
		snprintf(why, sizeof(why), "uid %u may not use profile '%s' "
			 "as a %s", (unsigned int)cl->cred.uid, r->profile,
			 r->role == KTLS_ROLE_CLIENT ? "client" : "server");
		COUNT(l, refused);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: access denied: %s",
				(int)cl->cred.pid, why);
		reply_error(l, cl->fd, -EACCES, why);
		goto refuse;
	}
	ret = check_tcp(fd);
	if (ret < 0) {
		COUNT(l, bad_requests);
		reply_error(l, cl->fd, ret, "the fd sent is not a TCP socket");
		goto refuse;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		reply_error(l, cl->fd, -ENOMEM, "out of memory");
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
	j->deadline = now_ms() + timeout;
	cl->job = j;
	j->gen = g;			/* the job's reference now */
	l->jobs++;
	COUNT(l, started);
	COUNT(l, in_flight);

	j->conn = ktls_conn_new(pc->ctx, fd, r->role);
	if (!j->conn || j->saved_flags < 0 ||
	    fcntl(fd, F_SETFL, j->saved_flags | O_NONBLOCK) < 0) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -ENOMEM, "could not set up the handshake");
		count_failed(l, -ENOMEM);
		job_end(l, j);
		return;
	}
	if ((r->peer_name[0] &&
	     ktls_conn_set_peer_name(j->conn, r->peer_name) < 0) ||
	    (r->alpn[0] && ktls_conn_set_alpn(j->conn, r->alpn) < 0)) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -EINVAL, ktls_conn_errstr(j->conn));
		count_failed(l, -EINVAL);
		job_end(l, j);
		return;
	}
	if (ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &j->ev) < 0) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -EIO, "epoll failed");
		count_failed(l, -EIO);
		job_end(l, j);
		return;
	}
	job_step(l, j);
	return;

refuse:
	close(fd);
	gen_put(g);
}

/*
 * Count a client of @uid in, unless that uid already has @cap (0: no
 * cap) connected: -EUSERS then, with *@have the count; or -ENOMEM.
 */
static int uid_take(struct shared *sh, uid_t uid, unsigned int cap,
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

static void uid_release(struct shared *sh, uid_t uid)
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

static void client_drop(struct loop *l, struct client *cl)
{
	if (cl->job) {
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d went away during its "
				"handshake", (int)cl->cred.pid);
		__atomic_add_fetch(&l->sh->n.failed[HSD_FAIL_CLIENT_GONE], 1,
				   __ATOMIC_RELAXED);
		cl->job->cl = NULL;
		job_end(l, cl->job);
	}
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->counted)
		uid_release(l->sh, cl->cred.uid);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		l->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	bury(l, &cl->ev, cl);
}

static uint64_t load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* Call @fn with each counter's name and value. */
static int each_counter(const struct shared *sh,
			int (*fn)(const char *name, uint64_t v, void *arg),
			void *arg)
{
	static const char *const fails[HSD_FAIL_MAX] = {
		[HSD_FAIL_VERIFY] = "failed.verify",
		[HSD_FAIL_ALERT] = "failed.alert",
		[HSD_FAIL_POLICY] = "failed.policy",
		[HSD_FAIL_PEER] = "failed.peer",
		[HSD_FAIL_TIMEOUT] = "failed.timeout",
		[HSD_FAIL_CLIENT_GONE] = "failed.client_gone",
		[HSD_FAIL_NOT_OFFLOADED] = "failed.not_offloaded",
		[HSD_FAIL_OTHER] = "failed.other",
	};
	const struct hsd_counters *n = &sh->n;
	uint64_t failed = 0;
	char name[64];
	unsigned int i;
	int ret;

	for (i = 0; i < HSD_FAIL_MAX; i++)
		failed += load(&n->failed[i]);
	ret = fn("started", load(&n->started), arg) ||
	      fn("ok", load(&n->ok), arg) ||
	      fn("failed", failed, arg) ||
	      fn("resumed", load(&n->resumed), arg) ||
	      fn("in_flight", load(&n->in_flight), arg) ||
	      fn("refused", load(&n->refused), arg) ||
	      fn("bad_requests", load(&n->bad_requests), arg);
	for (i = 0; !ret && i < HSD_FAIL_MAX; i++)
		ret = fn(fails[i], load(&n->failed[i]), arg);
	if (!ret)
		ret = fn("version.TLSv1.2", load(&n->tls12), arg) ||
		      fn("version.TLSv1.3", load(&n->tls13), arg);
	for (i = 1; !ret && i < sizeof(n->cipher) / sizeof(n->cipher[0]);
	     i++) {
		snprintf(name, sizeof(name), "cipher.%s",
			 ktls_cipher_name((enum ktls_cipher)i));
		ret = fn(name, load(&n->cipher[i]), arg);
	}
	if (!ret)
		ret = fn("reloads", load(&n->reloads), arg) ||
		      fn("workers", sh->workers, arg) ||
		      fn("uptime_s", (now_ms() - sh->started_at) / 1000, arg);
	return ret;
}

static int put_counter(const char *name, uint64_t v, void *arg)
{
	uint8_t val[8 + 64];
	size_t len = strlen(name);
	unsigned int i;

	if (len > 64)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		val[i] = (uint8_t)(v >> (56 - 8 * i));
	memcpy(val + 8, name, len);
	return ktls_proto_put(arg, KTLS_A_COUNTER, val, 8 + len);
}

/* The counters, for handshakectl(8): status 0 and a KTLS_A_COUNTER each. */
static void reply_counters(struct loop *l, struct client *cl)
{
	struct ktls_proto_msg *m = &l->msg;
	struct gen *g = gen_get(l->sh);
	bool may = hsd_config_may_read_counters(g->cfg, cl->cred.uid,
						cl->cred.gid);

	gen_put(g);
	/* How busy the daemon is, and why handshakes fail, is for root and
	 * the users its access rules name. */
	if (!may) {
		char why[96];

		snprintf(why, sizeof(why), "uid %u may not read the counters "
			 "(no access rule names it)",
			 (unsigned int)cl->cred.uid);
		COUNT(l, refused);
		reply_error(l, cl->fd, -EACCES, why);
		return;
	}
	ktls_proto_init(m, KTLS_MSG_RESULT);
	if (ktls_proto_put_u32(m, KTLS_A_STATUS, 0) ||
	    each_counter(l->sh, put_counter, m) ||
	    ktls_proto_send(cl->fd, m, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"counters", (int)cl->cred.pid);
}

static void client_readable(struct loop *l, struct client *cl)
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
		client_drop(l, cl);
		return;
	}
	if (n < 0) {
		COUNT(l, bad_requests);
		reply_error(l, cl->fd, -EBADMSG, "a request carries exactly one "
			    "fd and fits in 64 KiB");
		return;
	}
	if (cl->job) {
		if (fd >= 0)
			close(fd);
		reply_error(l, cl->fd, -EBUSY, "one request at a time");
		return;
	}
	if (l->stopping) {
		if (fd >= 0)
			close(fd);
		reply_error(l, cl->fd, -ESHUTDOWN, "handshaked is stopping");
		return;
	}
	if (ktls_proto_check(l->msg.buf, (size_t)n, &type) == 0 &&
	    type == KTLS_MSG_COUNTERS) {
		if (fd >= 0)
			close(fd);
		reply_counters(l, cl);
		return;
	}
	ret = hsd_parse_request(l->msg.buf, (size_t)n, &r, &why);
	if (ret == 0 && fd < 0) {
		ret = -EBADF;
		why = "the request carries no socket (SCM_RIGHTS)";
	}
	if (ret < 0) {
		COUNT(l, bad_requests);
		hsd_log_limited(HSD_LOG_NOTICE, "pid %d: bad request: %s",
				(int)cl->cred.pid, why);
		if (fd >= 0)
			close(fd);
		reply_error(l, cl->fd, ret, why);
		return;
	}
	start_job(l, cl, fd, &r);
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
	l->accept_paused_until = now_ms() + ACCEPT_PAUSE_MS;
}

static void resume_accepting(struct loop *l)
{
	if (!l->accept_paused_until || now_ms() < l->accept_paused_until)
		return;
	l->accept_paused_until = 0;
	if (!l->stopping)
		(void)ep_ctl(l, EPOLL_CTL_ADD, l->sh->listen_fd,
			     EPOLLIN | EPOLLEXCLUSIVE, &l->listen_ev);
}

/*
 * A client over its uid's cap: told why, counted and logged (rate-limited),
 * then closed by the caller; nothing it sends is acted on.
 */
static void refuse_over_cap(struct loop *l, int fd, const struct ucred *cr,
			    unsigned int have, unsigned int cap)
{
	char why[160];
	unsigned int i;

	snprintf(why, sizeof(why), "uid %u has %u clients connected, the "
		 "most max_clients_per_uid allows (%u)",
		 (unsigned int)cr->uid, have, cap);
	COUNT(l, refused);
	hsd_log_limited(HSD_LOG_NOTICE, "pid %d uid %u refused: %s",
			(int)cr->pid, (unsigned int)cr->uid, why);
	reply_error(l, fd, -EUSERS, why);
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

static void accept_clients(struct loop *l)
{
	struct gen *g = gen_get(l->sh);
	unsigned int cap = g->cfg->max_clients_per_uid, have;

	gen_put(g);
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
		ret = uid_take(l->sh, cl->cred.uid, cap, &have);
		if (ret == -EUSERS)
			refuse_over_cap(l, fd, &cl->cred, have, cap);
		if (ret < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->counted = true;
		if (ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &cl->ev) < 0) {
			uid_release(l->sh, cl->cred.uid);
			free(cl);
			close(fd);
			continue;
		}
		cl->ev.kind = EV_CLIENT;
		cl->fd = fd;
		cl->idle_since = now_ms();
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
	uint64_t now = now_ms(), next = UINT64_MAX, idle_ms;
	struct client *cl, *nx;
	struct gen *g = gen_get(l->sh);

	idle_ms = (uint64_t)g->cfg->handshake_timeout * 1000;
	gen_put(g);
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
				client_drop(l, cl);
			} else if (cl->idle_since + idle_ms < next) {
				next = cl->idle_since + idle_ms;
			}
			continue;
		}
		if (j->deadline <= now) {
			hsd_log_limited(HSD_LOG_NOTICE, "pid %d profile %s: "
					"handshake timed out",
					(int)cl->cred.pid, j->profile);
			job_release_fd(l, j);
			reply_error(l, cl->fd, -ETIMEDOUT, "the handshake timed "
				    "out");
			count_failed(l, -ETIMEDOUT);
			job_end(l, j);
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
static void *worker(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[64];

	while (!l->stopping || l->jobs) {
		int i, n, timeout = expire(l);

		if (l->accept_paused_until &&
		    (timeout < 0 || timeout > ACCEPT_PAUSE_MS))
			timeout = ACCEPT_PAUSE_MS;

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
				break;
			case EV_CLIENT:
				client_readable(l, (struct client *)ev);
				break;
			case EV_JOB:
				job_step(l, (struct job *)ev);
				break;
			default:
				break;
			}
		}
		free_grave(l);
		resume_accepting(l);
	}
	while (l->clients)
		client_drop(l, l->clients);
	free_grave(l);
	/* wolfSSL's fixed-point ECC cache is per thread, and goes only
	 * when the thread frees it. */
	wc_ecc_fp_free();
	return NULL;
}

static int worker_init(struct loop *l, struct shared *sh)
{
	l->sh = sh;
	l->listen_ev.kind = EV_LISTEN;
	l->wake_ev.kind = EV_WAKE;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->wake_fd < 0 || l->ep < 0)
		return -errno;
	/* Exclusive: a new client wakes one worker, not all of them. */
	return ep_ctl(l, EPOLL_CTL_ADD, sh->listen_fd,
		      EPOLLIN | EPOLLEXCLUSIVE, &l->listen_ev) ?:
	       ep_ctl(l, EPOLL_CTL_ADD, l->wake_fd, EPOLLIN, &l->wake_ev);
}

static void worker_fini(struct loop *l)
{
	if (l->ep >= 0)
		close(l->ep);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	explicit_bzero(&l->msg, sizeof(l->msg));
}

static int log_counter(const char *name, uint64_t v, void *arg)
{
	char *line = arg;
	size_t len = strlen(line);

	if (v)
		snprintf(line + len, 1024 - len, " %s=%llu", name,
			 (unsigned long long)v);
	return 0;
}

static void log_counters(const struct shared *sh)
{
	char line[1024] = "";

	(void)each_counter(sh, log_counter, line);
	hsd_log(HSD_LOG_NOTICE, "counters:%s", line);
}

/*
 * SIGHUP: read the configuration and every file it names again.  New
 * requests get the new one; handshakes in flight finish on the old one,
 * which goes when the last of them does.  A configuration that does not
 * load changes nothing.
 */
static void reload(struct shared *sh)
{
	struct gen *old = gen_get(sh), *g;
	struct hsd_config *cfg;
	struct hsd_keys *keys;
	char err[512];

	if (hsd_config_load(old->cfg->path, &cfg, err, sizeof(err)) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: %s", err);
		goto out;
	}
	if (hsd_keys_load(cfg, old->keys, &keys) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: its files could not be used");
		hsd_config_free(cfg);
		goto out;
	}
	g = gen_new(cfg, keys);
	if (!g) {
		hsd_keys_free(keys);
		hsd_config_free(cfg);
		hsd_log(HSD_LOG_ERROR, "reload refused: out of memory");
		goto out;
	}
	if (strcmp(cfg->socket_path, old->cfg->socket_path) ||
	    cfg->socket_mode != old->cfg->socket_mode ||
	    (cfg->socket_group ? !old->cfg->socket_group ||
	     strcmp(cfg->socket_group, old->cfg->socket_group) :
	     !!old->cfg->socket_group) ||
	    cfg->workers != old->cfg->workers ||
	    (cfg->user ? !old->cfg->user || strcmp(cfg->user,
						   old->cfg->user) :
	     !!old->cfg->user))
		hsd_log(HSD_LOG_NOTICE, "reload: socket, user and workers "
			"changes take a restart");
	pthread_mutex_lock(&sh->lock);
	sh->cur = g;
	pthread_mutex_unlock(&sh->lock);
	gen_put(old);			/* the reference sh->cur held */
	__atomic_add_fetch(&sh->n.reloads, 1, __ATOMIC_RELAXED);
	hsd_log_level(cfg->log_level);
	hsd_log(HSD_LOG_NOTICE, "reloaded %s; %llu handshakes in flight "
		"finish on the previous configuration", cfg->path,
		(unsigned long long)load(&sh->n.in_flight));
out:
	gen_put(old);
}

/* Renew the ticket keys when their period is over; the ms until the
 * next time. */
static int rotate(struct shared *sh)
{
	struct gen *g = gen_get(sh);
	uint64_t now = (uint64_t)time(NULL);
	unsigned int next;

	if (hsd_keys_rotate(g->keys, now) < 0)
		hsd_log(HSD_LOG_ERROR, "could not renew the ticket keys; the "
			"old ones stay");
	next = hsd_keys_next_rotation(g->keys, now);
	gen_put(g);
	return next > 60 ? 60000 : (int)next * 1000;
}

/* The main thread: signals and ticket keys, until SIGTERM or SIGINT. */
static void main_loop(struct shared *sh, int signal_fd)
{
	struct pollfd pfd = { .fd = signal_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(&pfd, 1, rotate(sh)) <= 0)
			continue;
		while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				hsd_log(HSD_LOG_NOTICE, "stopping: %llu "
					"handshakes in flight finish first",
					(unsigned long long)
					load(&sh->n.in_flight));
				return;
			case SIGUSR1:
				log_counters(sh);
				break;
			case SIGHUP:
				reload(sh);
				break;
			default:
				break;
			}
		}
	}
}

/* Daemon mode hands back offloaded sockets only: without kTLS every
 * handshake will be refused, which an operator should hear at start. */
static void say_if_no_ktls(void)
{
	struct ktls_caps *caps;

	if (ktls_caps_probe(&caps) < 0)
		return;
	if (!ktls_caps_usable(caps))
		hsd_log(HSD_LOG_ERROR, "this kernel cannot offload TLS (%s): "
			"every handshake will be refused, since daemon mode "
			"hands back only sockets with their keys in the "
			"kernel (ktls-probe says what to do)",
			ktls_caps_ulp(caps) < 0 ? ktls_caps_ulp_reason(caps) :
			"no cipher offloads both ways");
	ktls_caps_free(caps);
}

int hsd_loop(struct hsd_config *cfg, struct hsd_keys *keys, int listen_fd,
	     int signal_fd)
{
	struct shared sh = { .listen_fd = listen_fd,
			     .workers = cfg->workers,
			     .started_at = now_ms() };
	unsigned int i, started = 0;
	struct loop *w;
	int ret = 0;

	pthread_mutex_init(&sh.lock, NULL);
	say_if_no_ktls();
	sh.cur = gen_new(cfg, keys);
	w = calloc(sh.workers, sizeof(*w));
	if (!sh.cur || !w) {
		if (!sh.cur) {
			hsd_keys_free(keys);
			hsd_config_free(cfg);
		}
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sh.workers; i++) {
		w[i].ep = w[i].wake_fd = -1;
		ret = worker_init(&w[i], &sh);
		if (ret < 0)
			break;
		ret = -pthread_create(&w[i].thread, NULL, worker, &w[i]);
		if (ret < 0)
			break;
		started++;
	}
	if (ret < 0)
		hsd_log(HSD_LOG_ERROR, "cannot start worker %u: %s", i,
			ktls_strerror(ret));
	else
		main_loop(&sh, signal_fd);
	/* Stop accepting everywhere, let the handshakes in flight end. */
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(w[i].wake_fd, &one, sizeof(one)) < 0)
			hsd_log(HSD_LOG_ERROR, "cannot stop worker %u", i);
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].ret < 0 && ret == 0)
			ret = w[i].ret;
	}
	log_counters(&sh);
out:
	if (w)
		for (i = 0; i < sh.workers; i++)
			worker_fini(&w[i]);
	free(w);
	if (sh.cur)
		gen_put(sh.cur);
	free(sh.uids);
	pthread_mutex_destroy(&sh.lock);
	return ret;
}
