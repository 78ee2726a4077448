/* SPDX-License-Identifier: MIT */
/*
 * hsd_kernel.h - handshaked as the kernel's TLS handshake agent (the role
 * ktls-utils' tlshd plays): what kernel.c (the netlink front end and its
 * jobs), keyring.c (keys passed by serial) and caps.c (keeping
 * CAP_NET_ADMIN past the drop) share with the event loop.
 *
 * Since Linux 6.5 a kernel consumer (NFS with RPC-with-TLS, NVMe/TCP,
 * kmod-glue) asks user space for a handshake on one of its sockets
 * through the "handshake" generic netlink family: the kernel multicasts
 * READY to group "tlshd"; an agent sends ACCEPT and the reply installs the
 * socket in the agent's process with what the consumer asks (client or
 * server, auth mode, peer name, keys by serial, timeout); the agent runs
 * the handshake, installs kTLS on the socket and sends DONE with the
 * status and the peer's identity, then closes its copy of the fd.
 *
 * Here each worker has its own pair of netlink sockets (opened as root at
 * start, since ACCEPT and DONE need CAP_NET_ADMIN of the socket's opener
 * and of the sender): the multicast one is in the worker's epoll set, and
 * on READY the worker ACCEPTs until the kernel has nothing queued, so the
 * requests spread over the workers that wake.  A request is then a job
 * like a client's (job.c), with the kernel's socket as its fd.
 */
#ifndef HSD_KERNEL_H
#define HSD_KERNEL_H

#include "hsd_int.h"
#include "kernel_nl.h"

/* A kernel request's own state beside its job (struct job's kernel). */
struct kjob {
	struct hsd_knl_req req;
	unsigned int side;		/* 0 client, 1 server (counters) */
	struct ktls_ctx *own;		/* with the keyring's identity */
	int32_t psk;			/* the PSK key used, or 0 */
};

/* kernel.c: the agent. */
/*
 * Resolve the family and its group and open @workers pairs of sockets,
 * and link [kernel] keyrings into our session keyring.  Return 0; or
 * -ENOENT (no such family: a kernel before 6.5, or without
 * CONFIG_NET_HANDSHAKE), -ENOMEM, -EIO, with @err saying what.
 */
KTLS_MUST_CHECK int hsd_kernel_open(const struct hsd_config *cfg,
				    unsigned int workers,
				    struct hsd_kernel **out, char *err,
				    size_t err_size);
void hsd_kernel_close(struct hsd_kernel *k);
/* A worker's share: its socket in its epoll set. */
KTLS_MUST_CHECK int hsd_kernel_worker_init(struct loop *l, unsigned int i);
/* Its multicast socket is readable: READY, most likely. */
void hsd_kernel_readable(struct loop *l);
/* ACCEPT until nothing is queued (or a batch is done: l->kernel_more). */
void hsd_kernel_accept(struct loop *l);
/* A kernel job's handshake ended with @ret: DONE, close, count. */
void hsd_kernel_finish(struct loop *l, struct job *j, int ret);
/* Fail the kernel jobs whose time is up; lower *@next to the next
 * deadline. */
void hsd_kernel_expire(struct loop *l, uint64_t now, uint64_t *next);
/* Stop taking requests (drain). */
void hsd_kernel_stop(struct loop *l);

/* kernel_auth.c: what authenticates a request. */
/*
 * The context for @k's request: the [kernel] profile's for its role and
 * auth mode, or k->own, made with the certificate and key the kernel
 * passed (they take precedence, as in tlshd).  On failure *@what says
 * why and *@why is the counter.
 */
KTLS_MUST_CHECK int hsd_kernel_ctx(struct gen *g, struct kjob *k,
				   struct ktls_ctx **ctx, const char **what,
				   enum hsd_kfail *why);
/* psk mode: the client's PSK, or the server's lookup, on @conn. */
KTLS_MUST_CHECK int hsd_kernel_psk_setup(struct ktls_conn *conn,
					 struct kjob *k, enum hsd_kfail *why);
/* What DONE reports of the peer: the PSK, or its certificate made a key
 * (as tlshd does); how many (0 or 1) of @remote are set. */
unsigned int hsd_kernel_peer_identity(struct job *j, int32_t *remote);

/* keyring.c */
/* A key's payload, in *@data (hsd_keyring_free() wipes it). */
KTLS_MUST_CHECK int hsd_keyring_read(int32_t serial, uint8_t **data,
				     size_t *len);
void hsd_keyring_free(uint8_t *data, size_t len);
/* A key's payload as a memfd, and its /proc/self/fd path for libktls. */
KTLS_MUST_CHECK int hsd_keyring_memfd(int32_t serial, int *fdp, char *path,
				      size_t size);
/* The peer's certificate (DER) as an "asymmetric" key "TLS x509 @peer"
 * in our user keyring: its serial, or 0 with *@err the -errno. */
int32_t hsd_keyring_add_peer_cert(const uint8_t *der, size_t len,
				  const char *peer, int *err);
/* Link the keyrings of the comma-separated @names into our session
 * keyring (tlshd's [authenticate] keyrings). */
KTLS_MUST_CHECK int hsd_keyring_link(const char *names, char *err,
				     size_t err_size);
/* A PSK key's identity: its description (after the last ';'). */
KTLS_MUST_CHECK int hsd_keyring_psk_identity(int32_t serial, char *id,
					     size_t size);
/* The "psk" (else "user") key named @identity in @keyring (0: none),
 * else in our session keyring.  -ENOKEY when there is none. */
KTLS_MUST_CHECK int hsd_keyring_psk_find(int32_t keyring,
					 const char *identity,
					 int32_t *serial);
/* The hash a PSK of @identity and @len bytes goes with. */
enum ktls_psk_hash hsd_keyring_psk_hash(const char *identity, size_t len);

/* caps.c */
/*
 * Before the uid change of the drop: whether to keep CAP_NET_ADMIN
 * through it (@keep: the kernel agent is on).  After it,
 * hsd_caps_restrict() leaves CAP_NET_ADMIN alone in the effective and
 * permitted sets (or nothing, when @keep is false).
 */
KTLS_MUST_CHECK int hsd_caps_keep(bool keep);
KTLS_MUST_CHECK int hsd_caps_restrict(bool keep);
/* Whether this thread has CAP_NET_ADMIN in its effective set. */
bool hsd_caps_net_admin(void);

#endif /* HSD_KERNEL_H */
