// SPDX-License-Identifier: MIT
/*
 * ring.c - io_uring (liburing) for connections' bulk data.
 *
 * Each queued operation is a small state machine driven by completions:
 *
 *   send, TX in the kernel:   SEND ... until all is sent
 *   recv, RX in the kernel:   RECVMSG (record type in a cmsg); handshake
 *                             records are taken in and the read goes on
 *   sendfile, TX in kernel:   SPLICE file -> pipe, SPLICE pipe -> socket
 *                             (again while the pipe holds data), per chunk
 *   anything in software:     POLL the socket, then ktls_send/recv/
 *                             sendfile on the (non-blocking) fd
 *
 * A kernel operation that meets -EAGAIN (a non-blocking fd) polls first and
 * tries again.  Finished operations wait on a list until ktls_ring_wait()
 * hands them out; user_data of every SQE is its operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#include "ktls_int.h"

#define RING_PIPE_SIZE (1 << 20)	/* asked for; the kernel may give less */
#define RING_PIPES_KEPT 8

enum stage {
	ST_POLL,			/* waiting for the socket */
	ST_SEND,
	ST_RECV,
	ST_FILE_TO_PIPE,
	ST_PIPE_TO_SOCK,
	ST_SW,				/* software: the call after a poll */
};

struct ring_pipe {
	int fd[2];
	size_t size;
	struct ring_pipe *next;
};

struct ring_op {
	struct ktls_ring *ring;
	struct ktls_conn *conn;
	enum ktls_ring_op op;
	enum stage stage, after_poll;
	void *tag;
	uint8_t *buf;			/* send, recv */
	size_t len, done;
	size_t chunk;			/* send/splice in flight */
	int file_fd;			/* sendfile */
	off_t off;
	size_t in_pipe;
	struct ring_pipe *pipe;
	bool into_rbuf;			/* recv: into record.c's read buffer */
	struct msghdr msg;		/* recv in the kernel */
	struct iovec iov;
	char cbuf[CMSG_SPACE(sizeof(unsigned char))];
	ssize_t res;
	struct ring_op *next;		/* on the done list */
	struct ring_op *all_prev, *all_next;
};

struct ktls_ring {
	struct io_uring uring;
	unsigned int pending;		/* queued, not yet handed out */
	struct ring_op *done_head, *done_tail;
	struct ring_op *all;		/* every live operation */
	struct ring_pipe *pipes;	/* clean pipes to reuse */
	unsigned int n_pipes;
};

int ktls_ring_new(unsigned int entries, struct ktls_ring **ringp)
{
	static const int needed[] = { IORING_OP_SEND, IORING_OP_RECVMSG,
				      IORING_OP_SPLICE, IORING_OP_POLL_ADD };
	struct io_uring_probe *probe;
	struct ktls_ring *r;
	size_t i;
	int ret;

	if (!ringp)
		return -EINVAL;
	*ringp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = io_uring_queue_init(entries ? entries : 256, &r->uring, 0);
	if (ret < 0) {
		free(r);
		return ret == -EPERM ? -ENOSYS : ret;
	}
	probe = io_uring_get_probe_ring(&r->uring);
	for (i = 0; probe && i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!io_uring_opcode_supported(probe, needed[i]))
			ret = -EOPNOTSUPP;
	if (probe)
		io_uring_free_probe(probe);
	if (ret < 0) {
		io_uring_queue_exit(&r->uring);
		free(r);
		return ret;
	}
	*ringp = r;
	return 0;
}

static void pipe_close(struct ring_pipe *p)
{
	close(p->fd[0]);
	close(p->fd[1]);
	free(p);
}

static void op_free(struct ktls_ring *r, struct ring_op *op)
{
	if (op->all_prev)
		op->all_prev->all_next = op->all_next;
	else
		r->all = op->all_next;
	if (op->all_next)
		op->all_next->all_prev = op->all_prev;
	if (op->pipe)
		pipe_close(op->pipe);	/* may hold data: not reused */
	free(op);
}

void ktls_ring_free(struct ktls_ring *ring)
{
	if (!ring)
		return;
	/* Exiting the ring cancels and waits for what is in flight. */
	io_uring_queue_exit(&ring->uring);
	while (ring->all) {
		struct ring_op *op = ring->all;

		if (op->op == KTLS_RING_RECV)
			op->conn->ring.rx = false;
		else
			op->conn->ring.tx = false;
		op_free(ring, op);
	}
	while (ring->pipes) {
		struct ring_pipe *p = ring->pipes;

		ring->pipes = p->next;
		pipe_close(p);
	}
	free(ring);
}

int ktls_ring_fd(const struct ktls_ring *ring)
{
	return ring ? ring->uring.ring_fd : -EINVAL;
}

unsigned int ktls_ring_pending(const struct ktls_ring *ring)
{
	return ring ? ring->pending : 0;
}

static struct io_uring_sqe *get_sqe(struct ktls_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

	if (!sqe) {
		/* The queue is full: hand it to the kernel and go on. */
		(void)io_uring_submit(&r->uring);
		sqe = io_uring_get_sqe(&r->uring);
	}
	return sqe;
}

static void finish(struct ktls_ring *r, struct ring_op *op, ssize_t res)
{
	op->res = res;
	if (op->op == KTLS_RING_RECV)
		op->conn->ring.rx = false;
	else
		op->conn->ring.tx = false;
	if (op->pipe && res >= 0 && op->in_pipe == 0 &&
	    r->n_pipes < RING_PIPES_KEPT) {
		op->pipe->next = r->pipes;
		r->pipes = op->pipe;
		r->n_pipes++;
		op->pipe = NULL;
	}
	op->next = NULL;
	if (r->done_tail)
		r->done_tail->next = op;
	else
		r->done_head = op;
	r->done_tail = op;
}

/* A send or sendfile ends: what was sent, or the error if nothing was;
 * a recv ends with @err. */
static void finish_tx(struct ktls_ring *r, struct ring_op *op, ssize_t err)
{
	if (op->op == KTLS_RING_RECV)
		finish(r, op, err);
	else
		finish(r, op, op->done ? (ssize_t)op->done : err);
}

static int sub_poll(struct ktls_ring *r, struct ring_op *op, enum stage next)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, op->conn->fd,
			       op->op == KTLS_RING_RECV ? POLLIN : POLLOUT);
	io_uring_sqe_set_data(sqe, op);
	op->stage = ST_POLL;
	op->after_poll = next;
	return 0;
}

static int sub_send(struct ktls_ring *r, struct ring_op *op)
{
	struct io_uring_sqe *sqe;
	size_t chunk = op->len - op->done;
	int ret = ktls_tx_budget(op->conn, &chunk);

	if (ret < 0)
		return ret;
	sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_send(sqe, op->conn->fd, op->buf + op->done, chunk,
			   MSG_NOSIGNAL);
	io_uring_sqe_set_data(sqe, op);
	op->chunk = chunk;
	op->stage = ST_SEND;
	return 0;
}

static int sub_recv(struct ktls_ring *r, struct ring_op *op)
{
	struct ktls_conn *c = op->conn;
	struct io_uring_sqe *sqe;
	uint8_t *rbuf = NULL;

	op->into_rbuf = op->len < KTLS_MAX_PLAINTEXT;
	if (op->into_rbuf) {
		rbuf = ktls_rbuf(c);
		if (!rbuf)
			return -ENOMEM;
	}
	op->iov.iov_base = op->into_rbuf ? rbuf : op->buf;
	op->iov.iov_len = op->into_rbuf ? KTLS_MAX_RECORD_BODY : op->len;
	memset(&op->msg, 0, sizeof(op->msg));
	op->msg.msg_iov = &op->iov;
	op->msg.msg_iovlen = 1;
	op->msg.msg_control = op->cbuf;
	op->msg.msg_controllen = sizeof(op->cbuf);
	sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_recvmsg(sqe, c->fd, &op->msg, 0);
	io_uring_sqe_set_data(sqe, op);
	op->stage = ST_RECV;
	return 0;
}

static int sub_file_to_pipe(struct ktls_ring *r, struct ring_op *op)
{
	struct io_uring_sqe *sqe;
	size_t chunk = op->len - op->done;
	int ret;

	if (chunk > op->pipe->size)
		chunk = op->pipe->size;
	ret = ktls_tx_budget(op->conn, &chunk);
	if (ret < 0)
		return ret;
	sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_splice(sqe, op->file_fd, op->off, op->pipe->fd[1], -1,
			     (unsigned int)chunk, 0);
	io_uring_sqe_set_data(sqe, op);
	op->stage = ST_FILE_TO_PIPE;
	return 0;
}

static int sub_pipe_to_sock(struct ktls_ring *r, struct ring_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_splice(sqe, op->pipe->fd[0], -1, op->conn->fd, -1,
			     (unsigned int)op->in_pipe, 0);
	io_uring_sqe_set_data(sqe, op);
	op->stage = ST_PIPE_TO_SOCK;
	return 0;
}

/* Serve a recv from what an earlier read left in the read buffer. */
static bool recv_from_rbuf(struct ktls_ring *r, struct ring_op *op)
{
	size_t n = ktls_rbuf_take(op->conn, op->buf, op->len);

	if (!n)
		return false;
	finish(r, op, (ssize_t)n);
	return true;
}

/* Software: one non-blocking call; -EAGAIN polls again. */
static void step_software(struct ktls_ring *r, struct ring_op *op)
{
	struct ktls_conn *c = op->conn;
	ssize_t n;
	off_t off;

	for (;;) {
		switch (op->op) {
		case KTLS_RING_SEND:
			n = ktls_send(c, op->buf + op->done,
				      op->len - op->done);
			break;
		case KTLS_RING_SENDFILE:
			off = op->off;
			n = ktls_sendfile(c, op->file_fd, &off,
					  op->len - op->done);
			if (n > 0)
				op->off = off;
			else if (n == 0)
				n = -ENODATA;	/* end of file */
			break;
		default:
			n = ktls_recv(c, op->buf, op->len);
			if (n != -EAGAIN)
				finish(r, op, n);
			else if (sub_poll(r, op, ST_SW) < 0)
				finish(r, op, -EBUSY);
			return;
		}
		if (n > 0) {
			op->done += (size_t)n;
			if (op->done < op->len)
				continue;
			finish_tx(r, op, 0);
			return;
		}
		if (n == -ENODATA) {
			finish_tx(r, op, 0);
			return;
		}
		if (n != -EAGAIN) {
			finish_tx(r, op, n);
			return;
		}
		if (sub_poll(r, op, ST_SW) < 0)
			finish_tx(r, op, -EBUSY);
		return;
	}
}

/* Start (or, after a poll, resume) the stage @st of @op. */
static void start_stage(struct ktls_ring *r, struct ring_op *op,
			enum stage st)
{
	int ret;

	switch (st) {
	case ST_SW:
		step_software(r, op);
		return;
	case ST_SEND:
		ret = sub_send(r, op);
		break;
	case ST_RECV:
		ret = sub_recv(r, op);
		break;
	case ST_FILE_TO_PIPE:
		ret = sub_file_to_pipe(r, op);
		break;
	case ST_PIPE_TO_SOCK:
		ret = sub_pipe_to_sock(r, op);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret < 0)
		finish_tx(r, op, ret);
}

/* What a completion means for its operation. */
static void complete(struct ktls_ring *r, struct ring_op *op, int res)
{
	struct ktls_conn *c = op->conn;
	enum stage st = op->stage;
	bool more;
	ssize_t n;

	if (res == -EAGAIN && st != ST_POLL) {
		if (sub_poll(r, op, st) < 0)
			finish_tx(r, op, -EBUSY);
		return;
	}
	switch (st) {
	case ST_POLL:
		if (res < 0 && res != -EINTR) {
			finish_tx(r, op, res);
			return;
		}
		start_stage(r, op, op->after_poll);
		return;
	case ST_SEND:
	case ST_PIPE_TO_SOCK:
		if (res < 0) {
			finish_tx(r, op, ktls_io_errno(c, -res));
			return;
		}
		op->done += (size_t)res;
		ktls_data_sent(c, res);
		if (st == ST_PIPE_TO_SOCK) {
			op->in_pipe -= (size_t)res;
			if (op->in_pipe) {
				start_stage(r, op, ST_PIPE_TO_SOCK);
				return;
			}
		}
		if (op->done >= op->len) {
			finish_tx(r, op, 0);
			return;
		}
		start_stage(r, op, st == ST_SEND ? ST_SEND : ST_FILE_TO_PIPE);
		return;
	case ST_FILE_TO_PIPE:
		if (res <= 0) {		/* end of file, or its error */
			finish_tx(r, op, res);
			return;
		}
		op->off += res;
		op->in_pipe = (size_t)res;
		start_stage(r, op, ST_PIPE_TO_SOCK);
		return;
	case ST_RECV:
		if (res < 0) {
			finish(r, op, ktls_rx_errno(c, -res));
			return;
		}
		n = ktls_record_in(c, op->iov.iov_base, res,
				   ktls_record_type(&op->msg), &more);
		if (more) {
			start_stage(r, op, ST_RECV);
			return;
		}
		if (n > 0 && op->into_rbuf) {
			ktls_rbuf_filled(c, (size_t)n);
			(void)recv_from_rbuf(r, op);
			return;
		}
		finish(r, op, n);
		return;
	default:
		finish(r, op, -EINVAL);
		return;
	}
}

static int queue(struct ktls_ring *r, struct ktls_conn *conn,
		 enum ktls_ring_op kind, void *buf, size_t len, int file_fd,
		 off_t off, void *tag)
{
	bool rx = kind == KTLS_RING_RECV;
	bool kernel = rx ? conn && conn->rx_offloaded :
			   conn && conn->tx_offloaded;
	struct ring_op *op;
	int ret, fl;

	if (!r || !conn || len == 0 || (kind != KTLS_RING_SENDFILE && !buf) ||
	    (kind == KTLS_RING_SENDFILE && (file_fd < 0 || off < 0)))
		return -EINVAL;
	ret = ktls_check_open(conn);
	if (ret < 0)
		return ret;
	if (!rx && conn->sent_close)
		return -EPIPE;
	if (rx ? conn->ring.rx : conn->ring.tx)
		return -EBUSY;
	/* In software the ring's calls must not block. */
	fl = fcntl(conn->fd, F_GETFL);
	if (!kernel && (fl < 0 ||
	    (!(fl & O_NONBLOCK) &&
	     fcntl(conn->fd, F_SETFL, fl | O_NONBLOCK) < 0)))
		return -errno;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	op->ring = r;
	op->conn = conn;
	op->op = kind;
	op->tag = tag;
	op->buf = buf;
	op->len = len;
	op->file_fd = file_fd;
	op->off = off;
	if (kind == KTLS_RING_SENDFILE && kernel) {
		op->pipe = r->pipes;
		if (op->pipe) {
			r->pipes = op->pipe->next;
			r->n_pipes--;
		} else {
			op->pipe = calloc(1, sizeof(*op->pipe));
			if (!op->pipe || pipe2(op->pipe->fd, O_CLOEXEC) < 0) {
				ret = op->pipe ? -errno : -ENOMEM;
				free(op->pipe);
				free(op);
				return ret == -ENFILE ? -EMFILE : ret;
			}
			(void)fcntl(op->pipe->fd[1], F_SETPIPE_SZ,
				    RING_PIPE_SIZE);
			ret = fcntl(op->pipe->fd[1], F_GETPIPE_SZ);
			op->pipe->size = ret > 0 ? (size_t)ret : 65536;
		}
	}
	op->all_next = r->all;
	if (r->all)
		r->all->all_prev = op;
	r->all = op;
	r->pending++;
	if (rx)
		conn->ring.rx = true;
	else
		conn->ring.tx = true;
	if (!kernel) {
		/* Data wolfSSL already holds is readable without a poll. */
		if (rx && ktls_tls_pending(conn) > 0)
			start_stage(r, op, ST_SW);
		else if (sub_poll(r, op, ST_SW) < 0)
			finish(r, op, -EBUSY);
	} else if (rx) {
		if (!recv_from_rbuf(r, op))
			start_stage(r, op, ST_RECV);
	} else {
		start_stage(r, op, kind == KTLS_RING_SEND ? ST_SEND :
			    ST_FILE_TO_PIPE);
	}
	return 0;
}

int ktls_ring_send(struct ktls_ring *ring, struct ktls_conn *conn,
		   const void *buf, size_t len, void *tag)
{
	return queue(ring, conn, KTLS_RING_SEND, (void *)buf, len, -1, 0, tag);
}

int ktls_ring_recv(struct ktls_ring *ring, struct ktls_conn *conn, void *buf,
		   size_t len, void *tag)
{
	return queue(ring, conn, KTLS_RING_RECV, buf, len, -1, 0, tag);
}

int ktls_ring_sendfile(struct ktls_ring *ring, struct ktls_conn *conn,
		       int file_fd, off_t offset, size_t len, void *tag)
{
	return queue(ring, conn, KTLS_RING_SENDFILE, NULL, len, file_fd,
		     offset, tag);
}

/* Hand out finished operations. */
static unsigned int drain(struct ktls_ring *r, struct ktls_ring_event *ev,
			  unsigned int max)
{
	unsigned int n = 0;

	while (n < max && r->done_head) {
		struct ring_op *op = r->done_head;

		r->done_head = op->next;
		if (!r->done_head)
			r->done_tail = NULL;
		ev[n].op = op->op;
		ev[n].conn = op->conn;
		ev[n].tag = op->tag;
		ev[n].res = op->res;
		n++;
		r->pending--;
		op_free(r, op);
	}
	return n;
}

static void reap(struct ktls_ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&r->uring, head, cqe) {
		struct ring_op *op = io_uring_cqe_get_data(cqe);

		seen++;
		if (op)
			complete(r, op, cqe->res);
	}
	io_uring_cq_advance(&r->uring, seen);
}

int ktls_ring_wait(struct ktls_ring *ring, struct ktls_ring_event *ev,
		   unsigned int max, int timeout_ms)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	unsigned int n;
	int ret;

	if (!ring || !ev || !max)
		return -EINVAL;
	for (;;) {
		n = drain(ring, ev, max);
		if (n)
			return (int)n;
		if (!ring->pending)
			return 0;
		ret = io_uring_submit(&ring->uring);
		if (ret < 0 && ret != -EINTR)
			return ret;
		if (timeout_ms < 0) {
			ret = io_uring_wait_cqe(&ring->uring, &cqe);
		} else {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
			ret = io_uring_wait_cqe_timeout(&ring->uring, &cqe,
							&ts);
		}
		if (ret == -ETIME)
			return (int)drain(ring, ev, max);
		if (ret < 0)
			return ret;
		reap(ring);
		/* Resubmissions go in at the next turn, or now if this one
		 * has nothing to hand out. */
		if (!ring->done_head)
			(void)io_uring_submit(&ring->uring);
	}
}
