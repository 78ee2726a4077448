// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsx_glue: one end of one connection.  The socket gets a file (the
 * handshake agent receives it as a descriptor), the tls_*_hello_* call
 * asks the agent for the handshake, the done callback ends the wait; a
 * done callback that does not come in time is cancelled with
 * tls_handshake_cancel(), so that the consumer never hangs on an agent
 * that died or stalled.  Then the bytes go over the kTLS socket with
 * kernel_sendmsg() and kernel_recvmsg(): the client sends a known
 * pattern and reads it back, the server reads it, checks it and echoes
 * it, and each byte received is checked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "ktlsx.h"

#if KTLSX_UPCALL

#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/file.h>
#include <net/handshake.h>
#include <net/sock.h>
#include <net/tls_prot.h>

/* The size of one send or receive. */
#define KTLSX_CHUNK	16384
/* How long the end of a connection waits for the peer's end. */
#define KTLSX_LINGER_MS	2000
/* How often a wait for the done callback looks whether the run stops. */
#define KTLSX_POLL_MS	100

/* The pattern: byte i of the stream is i mod 251 (ktls-kglue --pattern). */
static inline u8 ktlsx_pattern(u64 off)
{
	return (u8)(off % 251);
}

int ktlsx_sock_new(struct socket **sockp)
{
	struct socket *sock;
	int ret;

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (ret)
		return ret;
	ret = ktlsx_sock_file(sock);
	if (ret)
		return ret;
	*sockp = sock;
	return 0;
}

/*
 * The handshake agent receives the socket as a file descriptor, so the
 * socket needs a file; from here on it goes with fput().  On failure
 * sock_alloc_file() has released the socket.
 */
int ktlsx_sock_file(struct socket *sock)
{
	struct file *file = sock_alloc_file(sock, 0, NULL);

	return IS_ERR(file) ? PTR_ERR(file) : 0;
}

void ktlsx_sock_free(struct socket *sock)
{
	fput(sock->file);
}

static void ktlsx_set_timeouts(struct socket *sock, unsigned int ms)
{
	long t = msecs_to_jiffies(ms);

	WRITE_ONCE(sock->sk->sk_sndtimeo, t);
	WRITE_ONCE(sock->sk->sk_rcvtimeo, t);
}

struct ktlsx_hs {
	struct completion done;
	int status;
	key_serial_t peerid;
};

/* The done callback: the agent's DONE (or the kernel's own failure). */
static void ktlsx_done(void *data, int status, key_serial_t peerid)
{
	struct ktlsx_hs *hs = data;

	hs->status = status;
	hs->peerid = peerid;
	complete(&hs->done);
}

static int ktlsx_hello(const struct ktlsx_params *p,
		       const struct tls_handshake_args *args, bool server)
{
	if (server)
		return p->auth == KTLSX_PSK ?
			tls_server_hello_psk(args, GFP_KERNEL) :
			tls_server_hello_x509(args, GFP_KERNEL);
	switch (p->auth) {
	case KTLSX_ANON:
		return tls_client_hello_anon(args, GFP_KERNEL);
	case KTLSX_X509:
		return tls_client_hello_x509(args, GFP_KERNEL);
	case KTLSX_PSK:
		return tls_client_hello_psk(args, GFP_KERNEL);
	}
	return -EINVAL;
}

/*
 * Ask for the handshake and wait for its end.  @hs lives on this stack:
 * the function returns only once the done callback has run, or once
 * tls_handshake_cancel() has said that it never will.
 */
static int ktlsx_handshake(struct ktlsx_run *run, struct socket *sock,
			   bool server, struct ktlsx_result *r)
{
	const struct ktlsx_params *p = &run->p;
	struct tls_handshake_args args = {
		.ta_sock = sock,
		.ta_done = ktlsx_done,
		.ta_timeout_ms = p->timeout_ms,
		.ta_keyring = p->keyring ? p->keyring : TLS_NO_KEYRING,
		.ta_my_cert = p->cert ? p->cert : TLS_NO_CERT,
		.ta_my_privkey = p->key ? p->key : TLS_NO_PRIVKEY,
	};
	unsigned long deadline;
	struct ktlsx_hs hs;
	ktime_t t0;
	int ret;

	init_completion(&hs.done);
	hs.status = -EINPROGRESS;
	hs.peerid = TLS_NO_PEERID;
	args.ta_data = &hs;
	if (p->peer[0])
		args.ta_peername = p->peer;
	if (p->auth == KTLSX_PSK) {
		args.ta_my_peerids[0] = p->psk;
		args.ta_num_peerids = 1;
	}

	t0 = ktime_get();
	ret = ktlsx_hello(p, &args, server);
	if (ret) {
		r->stage = KTLSX_ST_HELLO;
		return ret;
	}
	deadline = jiffies + msecs_to_jiffies(p->timeout_ms);
	while (!wait_for_completion_timeout(&hs.done,
					    msecs_to_jiffies(KTLSX_POLL_MS))) {
		bool stop = READ_ONCE(run->stopping);

		if (!stop && time_before(jiffies, deadline))
			continue;
		if (tls_handshake_cancel(sock->sk)) {
			/* No done callback will come. */
			r->usec = ktime_us_delta(ktime_get(), t0);
			r->stage = stop ? KTLSX_ST_CANCEL : KTLSX_ST_TIMEOUT;
			return stop ? -ECANCELED : -ETIMEDOUT;
		}
		/* Too late to cancel: the done callback runs now. */
		wait_for_completion(&hs.done);
		break;
	}
	r->usec = ktime_us_delta(ktime_get(), t0);
	r->peerid = hs.peerid;
	if (hs.status) {
		r->stage = KTLSX_ST_HANDSHAKE;
		return hs.status;
	}
	return 0;
}

static int ktlsx_send(struct socket *sock, u8 *buf, u64 total)
{
	u64 off = 0;

	while (off < total) {
		size_t len = min_t(u64, KTLSX_CHUNK, total - off);
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
		struct kvec iov = { .iov_base = buf, .iov_len = len };
		size_t i;
		int n;

		for (i = 0; i < len; i++)
			buf[i] = ktlsx_pattern(off + i);
		n = kernel_sendmsg(sock, &msg, &iov, 1, len);
		if (n == -EAGAIN)
			return -ETIMEDOUT;
		if (n < 0)
			return n;
		if (n == 0)
			return -EPIPE;
		off += n;
		/* (a short send leaves the rest to be made again) */
	}
	return 0;
}

/*
 * Receive application data.  Every record of a kTLS RX socket comes with
 * a TLS_GET_RECORD_TYPE control message: data is returned, a handshake
 * record (a TLS 1.3 NewSessionTicket, a KeyUpdate the kernel cannot take)
 * is dropped, a close_notify is the end, a fatal alert is an error.  Data
 * without the control message means the socket has no kTLS RX.
 * Returns the number of data bytes, 0 at the end, or -errno.
 */
static int ktlsx_recv(struct socket *sock, u8 *buf, size_t len)
{
	for (;;) {
		union {
			struct cmsghdr cmsg;
			u8 space[CMSG_SPACE(sizeof(u8))];
		} u;
		struct msghdr msg = {
			.msg_control = &u,
			.msg_controllen = sizeof(u),
		};
		struct kvec iov = { .iov_base = buf, .iov_len = len };
		int n;

		memset(&u, 0, sizeof(u));
		n = kernel_recvmsg(sock, &msg, &iov, 1, len, 0);
		if (n == -EAGAIN)
			return -ETIMEDOUT;
		if (n <= 0)
			return n;
		switch (tls_get_record_type(sock->sk, &u.cmsg)) {
		case TLS_RECORD_TYPE_DATA:
			return n;
		case 0:
			return -EPROTO;
		case TLS_RECORD_TYPE_ALERT:
			if (n < 2)
				return -EPROTO;
			if (buf[0] == TLS_ALERT_LEVEL_FATAL)
				return -EACCES;
			if (buf[1] == TLS_ALERT_DESC_CLOSE_NOTIFY)
				return 0;
			break;
		default:
			break;
		}
	}
}

/* Receive @total bytes and check each; *@good counts the right ones. */
static int ktlsx_recv_check(struct socket *sock, u8 *buf, u64 total,
			    u64 *good)
{
	u64 off = 0;

	while (off < total) {
		size_t len = min_t(u64, KTLSX_CHUNK, total - off);
		int n = ktlsx_recv(sock, buf, len), i;

		if (n < 0)
			return n;
		if (n == 0)
			return -ECONNRESET;	/* the peer ended too soon */
		for (i = 0; i < n; i++) {
			if (buf[i] != ktlsx_pattern(off + i)) {
				*good = off + i;
				return -EBADMSG;
			}
		}
		off += n;
		*good = off;
	}
	return 0;
}

/*
 * The end of the connection: send no more, then read what the peer still
 * sends (a close_notify, its own end) for a moment, so that closing with
 * unread bytes does not reset the connection under the peer's last read.
 */
static void ktlsx_linger(struct socket *sock, u8 *buf)
{
	int n;

	kernel_sock_shutdown(sock, SHUT_WR);
	ktlsx_set_timeouts(sock, KTLSX_LINGER_MS);
	do {
		n = ktlsx_recv(sock, buf, KTLSX_CHUNK);
	} while (n > 0);
}

static int ktlsx_exchange(struct ktlsx_run *run, struct socket *sock,
			  bool server, struct ktlsx_result *r)
{
	u64 total = run->p.bytes;
	u8 *buf;
	int ret;

	buf = kvmalloc(KTLSX_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ktlsx_set_timeouts(sock, run->p.timeout_ms);
	if (server) {
		ret = ktlsx_recv_check(sock, buf, total, &r->bytes);
		if (!ret)
			ret = ktlsx_send(sock, buf, total);
	} else {
		ret = ktlsx_send(sock, buf, total);
		if (!ret)
			ret = ktlsx_recv_check(sock, buf, total, &r->bytes);
	}
	if (!ret)
		ktlsx_linger(sock, buf);
	kvfree(buf);
	return ret;
}

/* One end of one connection, from the hello to the last byte; the socket
 * (with its file) is this function's to free. */
void ktlsx_endpoint(struct ktlsx_run *run, struct socket *sock, bool server,
		    u32 index)
{
	struct ktlsx_result r = {
		.index = index,
		.server = server,
		.stage = KTLSX_ST_OK,
		.peerid = TLS_NO_PEERID,
	};
	int ret;

	ret = ktlsx_handshake(run, sock, server, &r);
	if (!ret && run->p.bytes) {
		ret = ktlsx_exchange(run, sock, server, &r);
		if (ret)
			r.stage = KTLSX_ST_DATA;
	}
	r.status = ret;
	ktlsx_sock_free(sock);
	ktlsx_run_record(run, &r);
}

#endif /* KTLSX_UPCALL */
