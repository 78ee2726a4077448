/* SPDX-License-Identifier: MIT */
/*
 * serve.h - what the parts of ktls-serve share: a connection, the server,
 * and the calls between the files.
 *
 *   ktls-serve.c  main: options, start, signals, the drain, the exit
 *   loop.c        the event loop: accept, handshakes (in process or
 *                 through handshaked), ring completions, deadlines
 *   request.c     HTTP on a connection: read a request head, answer it
 *                 (files, ranges, errors), the access log
 *   jail.c        opening a file below the document root (openat2)
 *   http.c        the socket-free parser (http.h)
 */
#ifndef KTLS_SERVE_H
#define KTLS_SERVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "http.h"
#include "ktls.h"

struct tool_opts;

enum cstate {
	CS_HANDSHAKE,			/* driven by epoll, on hs_fd */
	CS_HEAD,			/* ring recv of the request head */
	CS_SEND_HEAD,			/* ring send of the answer's head */
	CS_SEND_BODY,			/* ring sendfile */
	CS_CLOSING,			/* waiting for ring ops to end */
};

struct conn {
	int fd;
	struct ktls_conn *tls;
	enum cstate state;
	int hs_fd;			/* what epoll watches in the handshake */
	char peer[INET6_ADDRSTRLEN + 8];
	time_t deadline;		/* handshake, idle, head and body */
	bool in_head;			/* a request's first byte came */
	bool keep_alive;
	bool answered;			/* a request was answered on it */
	int ops;			/* ring operations in flight */
	/* the request */
	char head[HTTP_HEAD_MAX];
	size_t head_len;
	size_t head_used;		/* bytes of head[] this request took */
	uint64_t skip;			/* body bytes still to drop */
	char line[256];			/* for the access log, escaped */
	char referer[160];		/* ... "-" when there is none */
	char agent[160];
	/* the answer */
	char out[1024];
	size_t out_len;
	int file;
	off_t body_off;
	size_t body_len;
	int status;
	unsigned long long sent;
	time_t progress;		/* when the peer last acked bytes */
	uint64_t acked;			/* how many it had then */
	struct conn *prev, *next;
};

struct server {
	int lfd, ep, sfd, ring_fd;
	struct ktls_ctx *ctx;
	struct ktls_ring *ring;
	int root;			/* document root, O_PATH */
	struct conn *conns;
	unsigned int n_conns, max_conns;
	unsigned int head_timeout, idle_timeout, send_timeout, drain_timeout;
	time_t drain_end, last_sweep;
	bool stopping, listening, quiet, daemon, drain_over;
	bool plain_sendfile;		/* bodies by sendfile(2), not the ring */
	const struct tool_opts *opts;	/* --cert and --key, for SIGHUP */
};

/* ktls-serve.c */
void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* SIGTERM or SIGINT: stop accepting, let what is in flight finish. */
void serve_stop(struct server *s);
/* SIGHUP: load the certificates and keys again. */
void serve_reload(struct server *s);

/* loop.c */
/* End a connection: at once, or once its ring operations come back. */
void conn_end(struct server *s, struct conn *c);
/* One turn of the loop: ring completions, then epoll's events. */
void turn(struct server *s);

/* request.c: after the handshake, and what the ring completed */
void request_start(struct server *s, struct conn *c);
void request_received(struct server *s, struct conn *c, ssize_t res);
void request_head_sent(struct server *s, struct conn *c, ssize_t res);
void request_body_sent(struct server *s, struct conn *c, ssize_t res);

/* jail.c */
int jail_open(int root, const char *path, struct stat *st);

#endif /* KTLS_SERVE_H */
