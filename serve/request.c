// SPDX-License-Identifier: MIT
/*
 * request.c - HTTP on a ktls-serve connection, after its handshake: the
 * request head is received through the ring and parsed by http.c
 * (strictly; a body is read and dropped, up to HTTP_BODY_MAX, or refused,
 * never taken for the next request), the answer's head is sent through
 * the ring, and the file with ktls_ring_sendfile() (splice file -> pipe
 * -> kTLS socket), or with sendfile(2) under --plain-sendfile.  Then the
 * access log line, and the next request or the end.
 *
 * Deadlines set here, checked by loop.c: a request head must arrive
 * within --head-timeout of its first byte (never extended), and a
 * connection waits --idle-timeout for its next request.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

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
	fd = jail_open(s->root, path, &st);
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

/* The handshake is over: wait for the first request. */
void request_start(struct server *s, struct conn *c)
{
	c->head_len = 0;
	set_deadline(s, c, false);
	want_head(s, c);
}

/* The ring received @res bytes of a request (0: close_notify; < 0: the
 * peer went). */
void request_received(struct server *s, struct conn *c, ssize_t res)
{
	if (res <= 0) {
		conn_end(s, c);
		return;
	}
	received(s, c, (size_t)res);
}

/* The answer's head went out (@res bytes): the body, or the next
 * request. */
void request_head_sent(struct server *s, struct conn *c, ssize_t res)
{
	if (res != (ssize_t)c->out_len) {
		conn_end(s, c);
		return;
	}
	if (c->body_len && s->plain_sendfile) {
		send_body_plain(s, c);
		return;
	}
	if (c->body_len) {
		c->state = CS_SEND_BODY;
		if (ktls_ring_sendfile(s->ring, c->tls, c->file, c->body_off,
				       c->body_len, c) < 0) {
			conn_end(s, c);
			return;
		}
		c->ops++;
		return;
	}
	request_done(s, c);
}

/* The body went out: @res bytes of it, or an error. */
void request_body_sent(struct server *s, struct conn *c, ssize_t res)
{
	if (res > 0)
		c->sent += (unsigned long long)res;
	if (res != (ssize_t)c->body_len) {
		/* The client went away, or the file shrank: the length
		 * promised cannot be kept. */
		access_log(s, c);
		conn_end(s, c);
		return;
	}
	request_done(s, c);
}
