// SPDX-License-Identifier: MIT
/*
 * handshake.c - handshakes for other processes, many at once, in one
 * epoll loop: every socket is non-blocking, so a slow or silent peer only
 * waits for its own timeout.
 *
 * A client (a process connected to our unix socket) sends one request at
 * a time with its TCP socket.  The request is length-checked, its sender
 * identified (SO_PEERCRED) and checked against [access], the fd checked
 * to be a connected TCP socket; then a libktls connection on the profile's
 * context runs the handshake and installs kTLS on that socket.  The reply
 * says how it went.  Whatever happens, the client gets a reply (or, if it
 * went away, its job is dropped) and the daemon goes on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "handshaked.h"
#include "proto.h"

enum ev_kind { EV_LISTEN, EV_SIGNAL, EV_CLIENT, EV_JOB };

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
	struct hsd_profile_ctx *profiles;
	unsigned int refs;
};

struct client {
	struct ev ev;			/* EV_CLIENT */
	int fd;
	struct ucred cred;
	struct job *job;		/* the request in flight, if any */
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

struct loop {
	struct gen *cur;
	int ep;
	struct ev listen_ev, signal_ev;
	int listen_fd, signal_fd;
	struct client *clients;
	struct ev *grave;
	unsigned int jobs;
	bool stopping;
	struct hsd_counters n;
	struct ktls_proto_msg msg;	/* scratch for requests and replies */
};

static void gen_put(struct gen *g)
{
	if (--g->refs)
		return;
	hsd_keys_free(g->profiles);
	hsd_config_free(g->cfg);
	free(g);
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
		hsd_log(HSD_LOG_INFO, "could not send a reply: client gone");
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
		hsd_log(HSD_LOG_INFO, "pid %d: could not send the reply",
			(int)j->cl->cred.pid);
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
	if (j->cl)
		j->cl->job = NULL;
	l->jobs--;
	l->n.in_flight--;
	bury(l, &j->ev, j);
}

static void job_finish(struct loop *l, struct job *j, int ret)
{
	struct ktls_conn *c = j->conn;

	job_release_fd(l, j);

	if (ret == 0 && (!ktls_conn_offloaded(c, KTLS_DIR_TX) ||
			 !ktls_conn_offloaded(c, KTLS_DIR_RX))) {
		/* The TLS state would be stuck in this process: refuse. */
		ret = -EOPNOTSUPP;
		hsd_log(HSD_LOG_NOTICE, "pid %d profile %s: not offloaded: %s",
			(int)j->cl->cred.pid, j->profile,
			ktls_conn_offload_reason(c));
		reply_error(l, j->cl->fd, ret, "the kernel could not take this "
			    "connection's keys, and daemon mode needs kTLS");
	} else {
		reply_result(l, j, ret);
	}
	if (ret == 0) {
		l->n.ok++;
		l->n.resumed += ktls_conn_resumed(c);
		hsd_log(HSD_LOG_INFO, "pid %d uid %u profile %s: %s %s%s",
			(int)j->cl->cred.pid, (unsigned int)j->cl->cred.uid,
			j->profile, ktls_conn_version(c) == KTLS_TLS_1_3 ?
			"TLSv1.3" : "TLSv1.2",
			ktls_cipher_name(ktls_conn_cipher(c)),
			ktls_conn_resumed(c) ? " resumed" : "");
	} else {
		l->n.failed++;
		hsd_log(HSD_LOG_NOTICE, "pid %d uid %u profile %s: failed: %s",
			(int)j->cl->cred.pid, (unsigned int)j->cl->cred.uid,
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

struct request {
	uint8_t role;
	char profile[HSD_MAX_NAME];
	char peer_name[256];
	char alpn[256];
	uint32_t timeout_ms;
};

/* Parse and validate a request; on failure @why says what was wrong. */
static int parse_request(const uint8_t *buf, size_t len, struct request *r,
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
		      const struct request *r)
{
	const struct hsd_config *cfg = l->cur->cfg;
	struct hsd_profile_ctx *pc = hsd_keys_find(l->cur->profiles,
						   r->profile);
	unsigned int role_bit = 1u << r->role;
	char why[256];
	struct job *j;
	uint64_t timeout;
	int ret;

	if (!pc) {
		snprintf(why, sizeof(why), "no profile '%s'", r->profile);
		goto refuse_enoent;
	}
	if (!hsd_config_allows(cfg, cl->cred.uid, cl->cred.gid, r->profile,
			       r->role) || !(pc->profile->roles & role_bit)) {
		snprintf(why, sizeof(why), "uid %u may not use profile '%s' "
			 "as a %s", (unsigned int)cl->cred.uid, r->profile,
			 r->role == KTLS_ROLE_CLIENT ? "client" : "server");
		l->n.refused++;
		hsd_log(HSD_LOG_NOTICE, "pid %d: access denied: %s",
			(int)cl->cred.pid, why);
		reply_error(l, cl->fd, -EACCES, why);
		close(fd);
		return;
	}
	ret = check_tcp(fd);
	if (ret < 0) {
		reply_error(l, cl->fd, ret, "the fd sent is not a TCP socket");
		close(fd);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		reply_error(l, cl->fd, -ENOMEM, "out of memory");
		close(fd);
		return;
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
	j->gen = l->cur;
	j->gen->refs++;
	l->jobs++;
	l->n.started++;
	l->n.in_flight++;

	j->conn = ktls_conn_new(pc->ctx, fd, r->role);
	if (!j->conn || j->saved_flags < 0 ||
	    fcntl(fd, F_SETFL, j->saved_flags | O_NONBLOCK) < 0) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -ENOMEM, "could not set up the handshake");
		l->n.failed++;
		job_end(l, j);
		return;
	}
	if ((r->peer_name[0] &&
	     ktls_conn_set_peer_name(j->conn, r->peer_name) < 0) ||
	    (r->alpn[0] && ktls_conn_set_alpn(j->conn, r->alpn) < 0)) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -EINVAL, ktls_conn_errstr(j->conn));
		l->n.failed++;
		job_end(l, j);
		return;
	}
	if (ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &j->ev) < 0) {
		job_release_fd(l, j);
		reply_error(l, cl->fd, -EIO, "epoll failed");
		l->n.failed++;
		job_end(l, j);
		return;
	}
	job_step(l, j);
	return;

refuse_enoent:
	reply_error(l, cl->fd, -ENOENT, why);
	close(fd);
}

static void client_drop(struct loop *l, struct client *cl)
{
	if (cl->job) {
		hsd_log(HSD_LOG_NOTICE, "pid %d went away during its "
			"handshake", (int)cl->cred.pid);
		l->n.failed++;
		cl->job->cl = NULL;
		job_end(l, cl->job);
	}
	(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		l->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	bury(l, &cl->ev, cl);
}

static void client_readable(struct loop *l, struct client *cl)
{
	struct request r;
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
	ret = parse_request(l->msg.buf, (size_t)n, &r, &why);
	if (ret == 0 && fd < 0) {
		ret = -EBADF;
		why = "the request carries no socket (SCM_RIGHTS)";
	}
	if (ret < 0) {
		hsd_log(HSD_LOG_NOTICE, "pid %d: bad request: %s",
			(int)cl->cred.pid, why);
		if (fd >= 0)
			close(fd);
		reply_error(l, cl->fd, ret, why);
		return;
	}
	start_job(l, cl, fd, &r);
}

static void accept_clients(struct loop *l)
{
	for (;;) {
		socklen_t len = sizeof(struct ucred);
		struct client *cl;
		int fd = accept4(l->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;		/* EAGAIN, or try again later */
		cl = calloc(1, sizeof(*cl));
		if (!cl || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cl->cred,
				      &len) < 0 ||
		    ep_ctl(l, EPOLL_CTL_ADD, fd, EPOLLIN, &cl->ev) < 0) {
			free(cl);
			close(fd);
			continue;
		}
		cl->ev.kind = EV_CLIENT;
		cl->fd = fd;
		cl->next = l->clients;
		if (l->clients)
			l->clients->prev = cl;
		l->clients = cl;
	}
}

static void log_counters(const struct loop *l)
{
	hsd_log(HSD_LOG_NOTICE, "handshakes: started %lu ok %lu failed %lu "
		"resumed %lu refused %lu in flight %lu", l->n.started,
		l->n.ok, l->n.failed, l->n.resumed, l->n.refused,
		l->n.in_flight);
}

/*
 * SIGHUP: read the configuration and every file it names again.  New
 * requests get the new one; handshakes in flight finish on the old one,
 * which goes when the last of them does.  A configuration that does not
 * load changes nothing.
 */
static void reload(struct loop *l)
{
	struct hsd_config *cfg;
	struct hsd_profile_ctx *profiles;
	struct gen *g;
	char err[512];

	if (hsd_config_load(l->cur->cfg->path, &cfg, err, sizeof(err)) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: %s", err);
		return;
	}
	if (hsd_keys_load(cfg, &profiles) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: its files could not be used");
		hsd_config_free(cfg);
		return;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		hsd_keys_free(profiles);
		hsd_config_free(cfg);
		hsd_log(HSD_LOG_ERROR, "reload refused: out of memory");
		return;
	}
	if (strcmp(cfg->socket_path, l->cur->cfg->socket_path) ||
	    cfg->socket_mode != l->cur->cfg->socket_mode ||
	    (cfg->user ? !l->cur->cfg->user || strcmp(cfg->user,
						      l->cur->cfg->user) :
	     !!l->cur->cfg->user))
		hsd_log(HSD_LOG_NOTICE, "reload: socket and user changes take "
			"a restart");
	g->cfg = cfg;
	g->profiles = profiles;
	g->refs = 1;
	gen_put(l->cur);
	l->cur = g;
	hsd_log_level(cfg->log_level);
	hsd_log(HSD_LOG_NOTICE, "reloaded %s; %u handshakes in flight finish "
		"on the previous configuration", cfg->path, l->jobs);
}

static void on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!l->stopping)
				hsd_log(HSD_LOG_NOTICE, "stopping: %u handshakes "
					"in flight finish first", l->jobs);
			l->stopping = true;
			(void)epoll_ctl(l->ep, EPOLL_CTL_DEL, l->listen_fd,
					NULL);
			break;
		case SIGUSR1:
			log_counters(l);
			break;
		case SIGHUP:
			reload(l);
			break;
		default:
			break;
		}
	}
}

/* Fail the jobs whose time is up; return the ms until the next deadline. */
static int expire(struct loop *l)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct client *cl, *nx;

	for (cl = l->clients; cl; cl = nx) {
		struct job *j = cl->job;

		nx = cl->next;
		if (!j)
			continue;
		if (j->deadline <= now) {
			hsd_log(HSD_LOG_NOTICE, "pid %d profile %s: handshake "
				"timed out", (int)cl->cred.pid, j->profile);
			job_release_fd(l, j);
			reply_error(l, cl->fd, -ETIMEDOUT, "the handshake timed "
				    "out");
			l->n.failed++;
			job_end(l, j);
		} else if (j->deadline < next) {
			next = j->deadline;
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return (int)(next - now);
}

int hsd_loop(struct hsd_config *cfg, struct hsd_profile_ctx *profiles,
	     int listen_fd, int signal_fd)
{
	struct epoll_event evs[64];
	struct loop *l = calloc(1, sizeof(*l));
	struct gen *g = calloc(1, sizeof(*g));
	int ret = 0;

	if (!l || !g) {
		free(l);
		free(g);
		hsd_keys_free(profiles);
		hsd_config_free(cfg);
		return -ENOMEM;
	}
	g->cfg = cfg;
	g->profiles = profiles;
	g->refs = 1;
	l->cur = g;
	l->listen_fd = listen_fd;
	l->signal_fd = signal_fd;
	l->listen_ev.kind = EV_LISTEN;
	l->signal_ev.kind = EV_SIGNAL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0 ||
	    ep_ctl(l, EPOLL_CTL_ADD, listen_fd, EPOLLIN, &l->listen_ev) < 0 ||
	    ep_ctl(l, EPOLL_CTL_ADD, signal_fd, EPOLLIN, &l->signal_ev) < 0) {
		ret = -errno;
		goto out;
	}
	while (!l->stopping || l->jobs) {
		int i, n, timeout = expire(l);

		n = epoll_wait(l->ep, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			struct ev *ev = evs[i].data.ptr;

			if (ev->dead)
				continue;
			switch (ev->kind) {
			case EV_LISTEN:
				accept_clients(l);
				break;
			case EV_SIGNAL:
				on_signal(l);
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
	}
	log_counters(l);
out:
	while (l->clients)
		client_drop(l, l->clients);
	free_grave(l);
	gen_put(l->cur);
	if (l->ep >= 0)
		close(l->ep);
	explicit_bzero(&l->msg, sizeof(l->msg));
	free(l);
	return ret;
}
