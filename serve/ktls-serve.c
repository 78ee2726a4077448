// SPDX-License-Identifier: MIT
/*
 * ktls-serve - an HTTP/1.1 static file server over TLS, with the record
 * layer in the kernel and the bytes moved by io_uring (ktls_ring).
 *
 * One thread runs an epoll loop over the listening socket, the ring's fd
 * and the handshakes in progress.  Handshakes run in process, non-blocking,
 * or through handshaked (--daemon), whose blocking handshakes run each on a
 * short-lived thread that hands the connection back through a pipe.  After
 * the handshake every byte of a connection goes through the ring: the
 * request head is received, the answer's head sent, the file sent with
 * ktls_ring_sendfile() (splice file -> pipe -> kTLS socket).
 *
 * Files are opened with openat2(RESOLVE_BENEATH) below the document root:
 * no "..", absolute path, or symlink leads out of it, whatever the
 * encoding of the request.  They are opened non-blocking, and only regular
 * files are served, so that a FIFO cannot stop the loop.
 *
 * Requests are parsed by http.c, strictly; a body is read and dropped (up
 * to HTTP_BODY_MAX) or refused, never taken for the next request.
 *
 * Deadlines: a request head must arrive within --head-timeout of its first
 * byte (never extended), a connection waits --idle-timeout for the next
 * request, an answer that makes no progress (nothing acknowledged) for
 * --send-timeout is dropped, and after SIGTERM the requests in flight get
 * --drain-timeout to finish.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/tcp.h>		/* struct tcp_info with tcpi_bytes_acked */
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "tool.h"

const char *tool_name = "ktls-serve";

#define HANDSHAKE_SECONDS 10
#define GIVE_UP_SECONDS 5		/* after the drain, for ring ops */

enum cstate {
	CS_HANDSHAKE,			/* in process, driven by epoll */
	CS_DAEMON,			/* on a thread, through handshaked */
	CS_HEAD,			/* ring recv of the request head */
	CS_SEND_HEAD,			/* ring send of the answer's head */
	CS_SEND_BODY,			/* ring sendfile */
	CS_CLOSING,			/* waiting for ring ops to end */
};

struct conn {
	int fd;
	struct ktls_conn *tls;
	enum cstate state;
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
	int handoff[2];			/* daemon handshakes done: conn ptrs */
	struct ktls_ctx *ctx;
	struct ktls_ring *ring;
	int root;			/* document root, O_PATH */
	struct conn *conns;
	unsigned int n_conns, max_conns, daemon_threads;
	unsigned int head_timeout, idle_timeout, send_timeout, drain_timeout;
	time_t drain_end, last_sweep;
	bool stopping, listening, quiet, daemon, drain_over;
	bool plain_sendfile;		/* bodies by sendfile(2), not the ring */
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- connections ------------------------------------------------------- */

static void conn_free(struct server *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->file >= 0)
		close(c->file);
	ktls_conn_free(c->tls);
	/* Discard unread input so that close() sends no reset over our last
	 * alert; the loop serves others, so it does not wait for more. */
	(void)!ktls_linger_close(c->fd, 0);
	free(c);
	/* The last one gone: hand what a crowd of connections left in
	 * malloc's free lists back to the kernel, so that an idle server
	 * returns to its size. */
	if (--s->n_conns == 0)
		malloc_trim(0);
	if (!s->listening && !s->stopping && s->n_conns < s->max_conns) {
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = s };

		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e) == 0)
			s->listening = true;
	}
}

/* End a connection: at once if nothing is in flight in the ring, else
 * once its operations come back (shutdown makes them come back). */
static void conn_end(struct server *s, struct conn *c)
{
	if (c->ops) {
		if (c->state != CS_CLOSING)
			(void)shutdown(c->fd, SHUT_RDWR);
		c->state = CS_CLOSING;
		return;
	}
	conn_free(s, c);
}

/* A field of the log line: escaped, cut to @max bytes, "-" if absent. */
static void log_field(char *out, size_t size, const char *v, size_t len,
		      size_t max)
{
	if (!v || !len) {
		snprintf(out, size, "-");
		return;
	}
	http_log_escape(out, size, v, len < max ? len : max);
}

/* nginx's "combined" format, then where TX and RX ran. */
static void access_log(struct server *s, struct conn *c)
{
	char when[40];
	struct tm tm;
	time_t now = time(NULL);

	if (s->quiet)
		return;
	if (!localtime_r(&now, &tm) ||
	    !strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm))
		snprintf(when, sizeof(when), "-");
	printf("%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\" tx=%s rx=%s\n",
	       c->peer, when, c->line, c->status, c->sent,
	       c->referer[0] ? c->referer : "-", c->agent[0] ? c->agent : "-",
	       ktls_conn_offloaded(c->tls, KTLS_DIR_TX) ? "kernel" : "sw",
	       ktls_conn_offloaded(c->tls, KTLS_DIR_RX) ? "kernel" : "sw");
	fflush(stdout);
}

static void want_head(struct server *s, struct conn *c);

/* --- HTTP ---------------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

static const char *mime(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".css", "text/css" },
		{ ".js", "text/javascript" },
		{ ".json", "application/json" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".svg", "image/svg+xml" },
		{ ".pdf", "application/pdf" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static void http_date(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* RFC 9110 IMF-fixdate only (what every client sends); -1 if not that. */
static time_t parse_date(const char *v)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

/*
 * Open @path (decoded, starting with '/') below the root.  openat2 with
 * RESOLVE_BENEATH refuses "..", absolute symlinks and any symlink that
 * leads out; "." and ".." segments are refused here too, so that the log
 * never shows a path that "worked" by walking up and down.  A directory
 * serves its index.html.  O_NONBLOCK: a FIFO or a device must not stop
 * the loop in open(); only a regular file is kept (in blocking mode).
 */
static int open_below(struct server *s, const char *path, struct stat *st)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char rel[PATH_MAX + 2];
	const char *seg;
	int fd;

	if (path[0] != '/')
		return -EINVAL;
	for (seg = path; seg; seg = strchr(seg + 1, '/')) {
		const char *p = seg + 1;
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
						p[1] == '.'))
			return -EACCES;
	}
	snprintf(rel, sizeof(rel), ".%s", path);
	fd = (int)syscall(SYS_openat2, s->root, rel, &how, sizeof(how));
	if (fd < 0)
		return errno == EXDEV || errno == ELOOP ? -EACCES : -errno;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -EIO;
	}
	if (S_ISDIR(st->st_mode)) {
		int dfd = fd;

		fd = (int)syscall(SYS_openat2, dfd, "index.html", &how,
				  sizeof(how));
		close(dfd);
		if (fd < 0)
			return -EACCES;	/* no listing of directories */
		if (fstat(fd, st) < 0) {
			close(fd);
			return -EIO;
		}
	}
	if (!S_ISREG(st->st_mode) || fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return -EACCES;
	}
	return fd;
}

/* Whether an answer with @status ends the connection: the request could
 * not be read, or its body not framed. */
static bool closes(int status)
{
	switch (status) {
	case 400: case 405: case 413: case 431: case 501: case 505:
		return true;
	default:
		return false;
	}
}

/* Queue the answer's head (and, after it, the body). */
static void answer(struct server *s, struct conn *c, int status,
		   const char *extra, bool body_follows)
{
	char date[64];
	int n;

	http_date(time(NULL), date, sizeof(date));
	c->status = status;
	if (closes(status))
		c->keep_alive = false;
	if (status >= 400) {
		/* Errors carry a short body of their own. */
		static const char fmt[] = "%d %s\n";
		char body[128];
		int blen = snprintf(body, sizeof(body), fmt, status,
				    reason(status));

		n = snprintf(c->out, sizeof(c->out),
			     "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: ktls-serve"
			     "\r\n%sContent-Type: text/plain\r\n"
			     "Content-Length: %d\r\nConnection: %s\r\n\r\n%s",
			     status, reason(status), date, extra ? extra : "",
			     blen, c->keep_alive ? "keep-alive" : "close",
			     body_follows ? body : "");
		if (c->file >= 0) {
			close(c->file);
			c->file = -1;
		}
	} else {
		n = snprintf(c->out, sizeof(c->out),
			     "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: ktls-serve"
			     "\r\n%sConnection: %s\r\n\r\n", status,
			     reason(status), date, extra ? extra : "",
			     c->keep_alive ? "keep-alive" : "close");
	}
	c->out_len = n > 0 && (size_t)n < sizeof(c->out) ? (size_t)n : 0;
	c->state = CS_SEND_HEAD;
	c->progress = time(NULL);
	if (!c->out_len ||
	    ktls_ring_send(s->ring, c->tls, c->out, c->out_len, c) < 0) {
		conn_end(s, c);
		return;
	}
	c->ops++;
}

/* The body's bytes that came with the head are dropped with it; the
 * rest, c->skip, before the next request is read. */
static void take_body(struct conn *c, uint64_t len)
{
	size_t here = c->head_len - c->head_used;

	if (len < here)
		here = (size_t)len;
	c->head_used += here;
	c->skip = len - here;
}

/* The file's answer: 304, 416, 206 or 200. */
static void answer_file(struct server *s, struct conn *c,
			const struct http_req *req, const char *path,
			const struct stat *st)
{
	bool head_only = req->method == HTTP_M_HEAD;
	uint64_t from = 0, len = (uint64_t)st->st_size;
	char val[64], extra[512], lm[64];
	time_t ims;
	int r;

	http_date(st->st_mtime, lm, sizeof(lm));
	snprintf(val, sizeof(val), "%.*s", (int)req->ims_len,
		 req->ims ? req->ims : "");
	if (req->ims && (ims = parse_date(val)) >= 0 && st->st_mtime <= ims) {
		snprintf(extra, sizeof(extra), "Last-Modified: %s\r\n", lm);
		answer(s, c, 304, extra, false);
		return;
	}
	r = req->range ? http_parse_range(req->range, req->range_len,
					  (uint64_t)st->st_size, &from, &len) :
			 1;
	if (r == -ERANGE) {
		snprintf(extra, sizeof(extra),
			 "Content-Range: bytes */%lld\r\n",
			 (long long)st->st_size);
		answer(s, c, 416, extra, !head_only);
		return;
	}
	if (r != 0) {		/* no range, or one to ignore */
		from = 0;
		len = (uint64_t)st->st_size;
	}
	snprintf(extra, sizeof(extra),
		 "Content-Type: %s\r\nContent-Length: %llu\r\n"
		 "Last-Modified: %s\r\nAccept-Ranges: bytes\r\n", mime(path),
		 (unsigned long long)len, lm);
	if (r == 0)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "Content-Range: bytes %llu-%llu/%lld\r\n",
			 (unsigned long long)from,
			 (unsigned long long)(from + len - 1),
			 (long long)st->st_size);
	c->body_off = (off_t)from;
	c->body_len = head_only ? 0 : (size_t)len;
	answer(s, c, r == 0 ? 206 : 200, extra, false);
}

/* A whole request head is in c->head, c->head_used bytes: answer it. */
static void handle(struct server *s, struct conn *c,
		   const struct http_req *req)
{
	bool head_only = req->method == HTTP_M_HEAD;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	c->keep_alive = req->keep_alive;
	if (req->method == HTTP_M_OTHER) {
		answer(s, c, 405, "Allow: GET, HEAD\r\n", true);
		return;
	}
	if (req->content_length > HTTP_BODY_MAX) {
		answer(s, c, 413, NULL, !head_only);
		return;
	}
	take_body(c, req->content_length);
	if (http_decode_path(req->target, req->target_len, path,
			     sizeof(path)) < 0) {
		answer(s, c, 400, NULL, !head_only);
		return;
	}
	fd = open_below(s, path, &st);
	if (fd < 0) {
		answer(s, c, fd == -ENOENT || fd == -ENOTDIR ? 404 : 403,
		       NULL, !head_only);
		return;
	}
	c->file = fd;
	answer_file(s, c, req, path, &st);
}

/* What a head http_parse_head() refused is answered with. */
static int refusal(int err)
{
	switch (err) {
	case 0:			/* no end in a full buffer */
	case -EMSGSIZE:
		return 431;
	case -EPROTONOSUPPORT:
		return 505;
	case -ENOSYS:
		return 501;
	default:
		return 400;
	}
}

/* Look for a whole head in what arrived; ask for more if there is none. */
static void parse_head(struct server *s, struct conn *c)
{
	struct http_req req;
	int n = http_parse_head(c->head, c->head_len, &req);

	if (n == 0 && c->head_len < sizeof(c->head)) {
		want_head(s, c);
		return;
	}
	log_field(c->line, sizeof(c->line), req.line, req.line_len, 200);
	log_field(c->referer, sizeof(c->referer), req.referer,
		  req.referer_len, 120);
	log_field(c->agent, sizeof(c->agent), req.agent, req.agent_len, 120);
	c->file = -1;
	c->sent = 0;
	c->body_len = 0;
	if (n <= 0) {
		answer(s, c, refusal(n), NULL, true);
		return;
	}
	c->head_used = (size_t)n;
	handle(s, c, &req);
}

static void want_head(struct server *s, struct conn *c)
{
	c->state = CS_HEAD;
	if (ktls_ring_recv(s->ring, c->tls, c->head + c->head_len,
			   sizeof(c->head) - c->head_len, c) < 0) {
		conn_end(s, c);
		return;
	}
	c->ops++;
}

/* The deadline for what comes next: --idle-timeout for a request that has
 * not begun, --head-timeout from its first byte (or from now, for the
 * rest of a body). */
static void set_deadline(struct server *s, struct conn *c, bool in_head)
{
	c->in_head = in_head;
	c->deadline = time(NULL) + (in_head ? s->head_timeout :
				    s->idle_timeout);
}

/* Bytes of a body already answered are dropped from what arrived. */
static void drop_body(struct conn *c)
{
	size_t n = c->skip < c->head_len ? (size_t)c->skip : c->head_len;

	memmove(c->head, c->head + n, c->head_len - n);
	c->head_len -= n;
	c->skip -= n;
	if (!c->skip)
		c->in_head = false;
}

/* Bytes arrived: drop a body's, start the head deadline, parse. */
static void received(struct server *s, struct conn *c, size_t n)
{
	c->head_len += n;
	if (c->skip)
		drop_body(c);
	if (!c->head_len) {
		want_head(s, c);
		return;
	}
	if (!c->in_head)
		set_deadline(s, c, true);
	parse_head(s, c);
}

/* The answer went out: the next request, or the end. */
static void request_done(struct server *s, struct conn *c)
{
	access_log(s, c);
	c->answered = true;
	if (c->file >= 0) {
		close(c->file);
		c->file = -1;
	}
	if (!c->keep_alive || s->stopping) {
		/* (a peer that already left makes this fail: nothing to do) */
		if (ktls_close(c->tls) < 0)
			c->keep_alive = false;
		conn_end(s, c);
		return;
	}
	/* Pipelined requests stay in the buffer. */
	memmove(c->head, c->head + c->head_used, c->head_len - c->head_used);
	c->head_len -= c->head_used;
	c->head_used = 0;
	set_deadline(s, c, c->head_len || c->skip);
	if (c->head_len)
		parse_head(s, c);
	else
		want_head(s, c);
}

/*
 * --plain-sendfile, for comparison in benchmarks: the body with
 * ktls_sendfile() (sendfile(2) on the kTLS socket), waiting in poll while
 * the socket is full.  The loop serves nobody else meanwhile.
 */
static void send_body_plain(struct server *s, struct conn *c)
{
	off_t off = c->body_off;
	size_t left = c->body_len;

	while (left) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t n = ktls_sendfile(c->tls, c->file, &off, left);

		if (n == -EAGAIN) {
			if (poll(&pfd, 1, (int)s->send_timeout * 1000) > 0)
				continue;
			n = -ETIMEDOUT;
		}
		if (n <= 0) {
			access_log(s, c);
			conn_end(s, c);
			return;
		}
		c->sent += (unsigned long long)n;
		left -= (size_t)n;
	}
	request_done(s, c);
}

static void on_event(struct server *s, const struct ktls_ring_event *ev)
{
	struct conn *c = ev->tag;

	c->ops--;
	if (c->state == CS_CLOSING) {
		if (!c->ops)
			conn_free(s, c);
		return;
	}
	switch (ev->op) {
	case KTLS_RING_RECV:
		if (ev->res <= 0) {	/* close_notify, or the peer went */
			conn_end(s, c);
			return;
		}
		received(s, c, (size_t)ev->res);
		return;
	case KTLS_RING_SEND:
		if (ev->res != (ssize_t)c->out_len) {
			conn_end(s, c);
			return;
		}
		if (c->body_len && s->plain_sendfile) {
			send_body_plain(s, c);
			return;
		}
		if (c->body_len) {
			c->state = CS_SEND_BODY;
			if (ktls_ring_sendfile(s->ring, c->tls, c->file,
					       c->body_off, c->body_len,
					       c) < 0) {
				conn_end(s, c);
				return;
			}
			c->ops++;
			return;
		}
		request_done(s, c);
		return;
	case KTLS_RING_SENDFILE:
		if (ev->res > 0)
			c->sent += (unsigned long long)ev->res;
		if (ev->res != (ssize_t)c->body_len) {
			/* The client went away, or the file shrank: the
			 * length promised cannot be kept. */
			access_log(s, c);
			conn_end(s, c);
			return;
		}
		request_done(s, c);
		return;
	}
}

/* --- handshakes ---------------------------------------------------------- */

static void handshaken(struct server *s, struct conn *c, int ret)
{
	if (ret < 0) {
		if (!s->quiet)
			logf_("ktls-serve: %s: handshake failed: %s", c->peer,
			      *ktls_conn_errstr(c->tls) ?
			      ktls_conn_errstr(c->tls) : ktls_strerror(ret));
		conn_end(s, c);
		return;
	}
	c->head_len = 0;
	set_deadline(s, c, false);
	want_head(s, c);
}

static void step_handshake(struct server *s, struct conn *c)
{
	int ret = ktls_conn_handshake(c->tls);
	struct epoll_event e = { .data.ptr = c };

	if (ret == -EAGAIN) {
		e.events = ktls_conn_events(c->tls) & POLLOUT ? EPOLLOUT :
			   EPOLLIN;
		if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &e) < 0)
			conn_end(s, c);
		return;
	}
	(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	handshaken(s, c, ret);
}

struct daemon_job {
	struct conn *c;
	int handoff;
	int ret;
};

/* handshaked's handshakes block: each runs on a thread of its own. */
static void *daemon_handshake(void *arg)
{
	struct daemon_job *j = arg;

	j->ret = ktls_conn_handshake(j->c->tls);
	if (write(j->handoff, &j, sizeof(j)) != sizeof(j))
		abort();	/* a pipe write of a pointer cannot be short */
	return NULL;
}

static void accept_conns(struct server *s)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *c;
		int fd, one = 1;

		if (s->n_conns >= s->max_conns) {
			(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
			s->listening = false;
			return;
		}
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_CLOEXEC | (s->daemon ? 0 : SOCK_NONBLOCK));
		if (fd < 0)
			return;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->file = -1;
		c->deadline = time(NULL) + HANDSHAKE_SECONDS;
		tool_host(&ss, c->peer, sizeof(c->peer));
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
		c->tls = ktls_conn_new(s->ctx, fd, KTLS_ROLE_SERVER);
		if (!c->tls) {
			conn_free(s, c);
			continue;
		}
		if (s->daemon) {
			struct daemon_job *j = calloc(1, sizeof(*j));
			pthread_attr_t attr;
			pthread_t t;

			c->state = CS_DAEMON;
			if (!j) {
				conn_free(s, c);
				continue;
			}
			j->c = c;
			j->handoff = s->handoff[1];
			pthread_attr_init(&attr);
			pthread_attr_setdetachstate(&attr,
						    PTHREAD_CREATE_DETACHED);
			if (pthread_create(&t, &attr, daemon_handshake, j)) {
				free(j);
				conn_free(s, c);
			} else {
				s->daemon_threads++;
			}
			pthread_attr_destroy(&attr);
			continue;
		}
		{
			struct epoll_event e = { .events = EPOLLIN,
						 .data.ptr = c };

			c->state = CS_HANDSHAKE;
			if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
				conn_free(s, c);
				continue;
			}
			step_handshake(s, c);
		}
	}
}

static void daemon_done(struct server *s)
{
	struct daemon_job *j;

	while (read(s->handoff[0], &j, sizeof(j)) == sizeof(j)) {
		struct conn *c = j->c;
		int ret = j->ret;

		free(j);
		s->daemon_threads--;
		handshaken(s, c, ret);
	}
}

/* Whether a connection sending an answer has stalled: its peer has
 * acknowledged nothing for --send-timeout. */
static bool stalled(struct server *s, struct conn *c, time_t now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_bytes_acked != c->acked) {
		c->acked = ti.tcpi_bytes_acked;
		c->progress = now;
		return false;
	}
	return now - c->progress >= (time_t)s->send_timeout;
}

/* Close connections past their deadline (a slow head or body, a silent
 * keep-alive, a stalled in-process handshake) and answers that make no
 * progress; once a second. */
static void sweep(struct server *s)
{
	time_t now = time(NULL);
	struct conn *c, *next;

	if (now == s->last_sweep)
		return;
	s->last_sweep = now;
	for (c = s->conns; c; c = next) {
		next = c->next;
		switch (c->state) {
		case CS_SEND_HEAD:
		case CS_SEND_BODY:
			if (stalled(s, c, now))
				conn_end(s, c);
			break;
		case CS_HANDSHAKE:
			if (c->deadline > now)
				break;
			(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
			conn_end(s, c);
			break;
		case CS_HEAD:
			if (c->deadline <= now)
				conn_end(s, c);
			break;
		default:		/* daemon handshakes time out there */
			break;
		}
	}
}

/* Stopping: idle keep-alive connections go now; the others when done,
 * or when --drain-timeout is over. */
static void stop(struct server *s)
{
	struct conn *c, *next;

	if (!s->stopping)
		logf_("ktls-serve: stopping: %u connections finish first "
		      "(%u s at most)", s->n_conns, s->drain_timeout);
	if (!s->stopping)
		s->drain_end = time(NULL) + s->drain_timeout;
	s->stopping = true;
	if (s->listening)
		(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
	s->listening = false;
	/* Idle keep-alive connections go now; one that has not sent its
	 * first request yet (it may be a moment past its handshake) gets it
	 * answered within the drain, like the requests in flight. */
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_HEAD && !c->in_head && c->answered)
			conn_end(s, c);
	}
}

/* The drain is over: end every connection.  A daemon handshake's thread
 * owns its connection; shutdown() makes the handshake fail and hand it
 * back. */
static void drain_over(struct server *s)
{
	struct conn *c, *next;

	logf_("ktls-serve: %u connections still open after %u s: closing "
	      "them", s->n_conns, s->drain_timeout);
	s->drain_over = true;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_DAEMON) {
			(void)shutdown(c->fd, SHUT_RDWR);
			continue;
		}
		if (c->state == CS_HANDSHAKE)
			(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->state != CS_CLOSING)
			conn_end(s, c);
	}
}

/* Whether the loop goes on: until stopped and everything is closed, and
 * no longer than GIVE_UP_SECONDS after the drain. */
static bool running(struct server *s)
{
	time_t now = time(NULL);

	if (!s->stopping)
		return true;
	if (!s->conns && !s->daemon_threads)
		return false;
	if (now < s->drain_end)
		return true;
	if (!s->drain_over)
		drain_over(s);
	if (now < s->drain_end + GIVE_UP_SECONDS)
		return true;
	logf_("ktls-serve: %u connections did not close: exiting anyway",
	      s->n_conns);
	return false;
}

/* What the command line gives besides the server's settings. */
struct args {
	const char *root, *bind, *ready, *port;
	struct tool_opts o;
};

enum { OPT_ROOT = OPT_OWN, OPT_BIND, OPT_MAX_CONNS, OPT_READY, OPT_PLAIN,
       OPT_HEAD_TO, OPT_IDLE_TO, OPT_SEND_TO, OPT_DRAIN_TO };

static const struct tool_option serve_opts[] = {
	{ "root", OPT_ROOT, "DIR", "the document root (required)" },
	{ "bind", OPT_BIND, "ADDRESS", "listen on ADDRESS, IPv4 or IPv6 "
	  "(default\n127.0.0.1; :: is every address, both)" },
	{ "max-conns", OPT_MAX_CONNS, "N", "connections at once (default "
	  "1024)" },
	{ "ready-file", OPT_READY, "FILE", "write the port to FILE once "
	  "listening" },
	{ "plain-sendfile", OPT_PLAIN, NULL, "send bodies with sendfile(2), "
	  "not io_uring\n(for comparisons: one body at a time)" },
	{ "head-timeout", OPT_HEAD_TO, "SEC", "a request head within SEC "
	  "seconds of its first\nbyte (default 20)" },
	{ "idle-timeout", OPT_IDLE_TO, "SEC", "close a connection idle SEC "
	  "seconds between\nrequests (default 60)" },
	{ "send-timeout", OPT_SEND_TO, "SEC", "drop a client that takes "
	  "nothing for SEC\nseconds (default 60)" },
	{ "drain-timeout", OPT_DRAIN_TO, "SEC", "after SIGTERM, close what is "
	  "left after SEC\nseconds (default 10)" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd serve_cmd = {
	.synopsis = "[options] --root DIR PORT",
	.about = "Serve the files below DIR over HTTPS (HTTP/1.1) on PORT\n"
		 "(0: any free port), with kTLS and io_uring.",
	.opts = serve_opts,
	.quiet = "print no access log and no failed handshakes",
	.notes = "A line per request goes to standard output, in nginx's "
		 "combined format\n(unless --quiet).\nSIGTERM or SIGINT: "
		 "stop accepting, finish what is in flight\n(within "
		 "--drain-timeout), exit.",
};

/* One of the --*-timeout options. */
static void set_timeout(struct server *s, int opt, const char *v)
{
	unsigned int *to[] = {
		[OPT_HEAD_TO - OPT_HEAD_TO] = &s->head_timeout,
		[OPT_IDLE_TO - OPT_HEAD_TO] = &s->idle_timeout,
		[OPT_SEND_TO - OPT_HEAD_TO] = &s->send_timeout,
		[OPT_DRAIN_TO - OPT_HEAD_TO] = &s->drain_timeout,
	};
	static const char *const names[] = { "head", "idle", "send",
					     "drain" };
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || n < 1 || n > 86400)
		tool_usage_error("--%s-timeout wants seconds, 1 to 86400, not '%s'",
			 names[opt - OPT_HEAD_TO], v);
	*to[opt - OPT_HEAD_TO] = (unsigned int)n;
}

/* Parse the command line into @s and @a; exits on -h, -V and errors. */
static void parse_args(int argc, char **argv, struct server *s,
		       struct args *a)
{
	int c;

	while ((c = tool_getopt(&serve_cmd, &a->o, argc, argv)) != -1) {
		switch (c) {
		case OPT_ROOT:
			a->root = optarg;
			break;
		case OPT_BIND:
			a->bind = optarg;
			break;
		case OPT_MAX_CONNS:
			s->max_conns = (unsigned int)strtoul(optarg, NULL, 10);
			if (!s->max_conns)
				tool_usage_error("--max-conns wants a number over 0");
			break;
		case OPT_READY:
			a->ready = optarg;
			break;
		case OPT_PLAIN:
			s->plain_sendfile = true;
			break;
		case OPT_HEAD_TO:
		case OPT_IDLE_TO:
		case OPT_SEND_TO:
		case OPT_DRAIN_TO:
			set_timeout(s, c, optarg);
			break;
		default:
			tool_die("option %d unhandled", c);
		}
	}
	if (!a->root)
		tool_usage_error("--root DIR is required");
	if (optind + 1 != argc)
		tool_usage_error("expected one PORT, got %d arguments",
				 argc - optind);
	a->port = argv[optind];
}

/* Signals, epoll over the listener, the signals, the ring, the handoff. */
static void setup_events(struct server *s)
{
	struct epoll_event e = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->ep < 0 ||
	    pipe2(s->handoff, O_NONBLOCK | O_CLOEXEC) < 0)
		tool_die("setup: %s", ktls_strerror(-errno));
	s->ring_fd = ktls_ring_fd(s->ring);
	e.data.ptr = s;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &e);
	e.data.ptr = &s->sfd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &e);
	e.data.ptr = &s->ring_fd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ring_fd, &e);
	e.data.ptr = &s->handoff;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->handoff[0], &e);
	s->listening = true;
}

/* One turn of the loop: what the ring completed, then what epoll saw. */
static void turn(struct server *s)
{
	struct ktls_ring_event evs[64];
	struct epoll_event es[64];
	int i, n;

	/* Submit what was queued, take what completed. */
	while ((n = ktls_ring_wait(s->ring, evs, 64, 0)) > 0)
		for (i = 0; i < n; i++)
			on_event(s, &evs[i]);
	n = epoll_wait(s->ep, es, 64, 1000);
	for (i = 0; i < n; i++) {
		void *p = es[i].data.ptr;

		if (p == s) {
			accept_conns(s);
		} else if (p == &s->sfd) {
			struct signalfd_siginfo si;

			while (read(s->sfd, &si, sizeof(si)) > 0)
				;
			stop(s);
		} else if (p == &s->ring_fd) {
			continue;	/* drained at the top */
		} else if (p == &s->handoff) {
			daemon_done(s);
		} else {
			step_handshake(s, p);
		}
	}
	sweep(s);
}

int main(int argc, char **argv)
{
	struct server s = { .max_conns = 1024, .lfd = -1, .head_timeout = 20,
			    .idle_timeout = 60, .send_timeout = 60,
			    .drain_timeout = 10 };
	struct args a = { .bind = "127.0.0.1" };
	int port = 0, ret;

	tool_opts_init(&a.o);
	parse_args(argc, argv, &s, &a);
	s.quiet = a.o.quiet;
	s.daemon = a.o.daemon != NULL;
	if (!s.daemon && !a.o.n_ids)
		tool_usage_error("give --cert and --key, or --daemon and --profile");
	s.root = open(a.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.root < 0)
		tool_die("--root %s: %s", a.root, ktls_strerror(-errno));
	s.ctx = tool_ctx_setup(&a.o);
	ret = ktls_ring_new(0, &s.ring);
	if (ret < 0)
		tool_die("io_uring: %s", ktls_strerror(ret));
	s.lfd = tool_listen(a.bind, a.port, 511, &port);
	if (fcntl(s.lfd, F_SETFL, O_NONBLOCK) < 0)
		tool_die("listen: %s", strerror(errno));
	setup_events(&s);
	logf_(strchr(a.bind, ':') ?
	      "ktls-serve: serving %s on https://[%s]:%d/ (%s handshakes)" :
	      "ktls-serve: serving %s on https://%s:%d/ (%s handshakes)",
	      a.root, a.bind, port, s.daemon ? "handshaked" : "in-process");
	if (a.ready) {
		FILE *f = fopen(a.ready, "w");

		if (f) {
			fprintf(f, "%d\n", port);
			fclose(f);
		}
	}
	while (running(&s))
		turn(&s);
	ktls_ring_free(s.ring);
	ktls_ctx_free(s.ctx);
	close(s.lfd);
	close(s.ep);
	close(s.sfd);
	close(s.handoff[0]);
	close(s.handoff[1]);
	close(s.root);
	return 0;
}
