/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktlsx_glue - an in-kernel consumer of the handshake upcall: what the
 * module's files share.
 *
 * main.c  load and unload, the debugfs folder, the status file
 * ctl.c   the run file: one command in, one line per handshake out
 * run.c   a run: its workers, its listener, its results
 * conn.c  one end of one connection: the hello call, the wait for the
 *         done callback (or the cancel), the data over kTLS
 */
#ifndef KTLSX_H
#define KTLSX_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* The kernel's handshake upcall (Linux 6.5 and later, net/handshake). */
#if IS_ENABLED(CONFIG_NET_HANDSHAKE)
#define KTLSX_UPCALL 1
#else
#define KTLSX_UPCALL 0
#endif

/* Limits of a command (ctl.c checks them; ktls-kglue(1) names them). */
#define KTLSX_CMD_MAX		512
#define KTLSX_COUNT_MAX		100000
#define KTLSX_JOBS_MAX		256
#define KTLSX_BYTES_MAX		(1ULL << 30)
#define KTLSX_TIMEOUT_MIN	100
#define KTLSX_TIMEOUT_MAX	600000
#define KTLSX_TIMEOUT_DEF	10000
#define KTLSX_PEER_MAX		255

enum ktlsx_role { KTLSX_BOTH, KTLSX_CLIENT, KTLSX_SERVER };
enum ktlsx_auth { KTLSX_ANON, KTLSX_X509, KTLSX_PSK };

/* Where a handshake ended: "ok", or the step that failed. */
enum ktlsx_stage {
	KTLSX_ST_OK,
	KTLSX_ST_SOCKET,	/* sock_create_kern, sock_alloc_file */
	KTLSX_ST_CONNECT,	/* kernel_connect to 127.0.0.1:port */
	KTLSX_ST_ACCEPT,	/* kernel_accept on the listener */
	KTLSX_ST_HELLO,		/* tls_*_hello_* refused the request */
	KTLSX_ST_HANDSHAKE,	/* the done callback gave an error */
	KTLSX_ST_TIMEOUT,	/* no done callback in time: cancelled */
	KTLSX_ST_CANCEL,	/* the run was stopped: cancelled */
	KTLSX_ST_DATA,		/* the bytes over kTLS */
	KTLSX_ST_NR,
};

struct ktlsx_params {
	enum ktlsx_role role;
	enum ktlsx_auth auth;
	u32 count;
	u32 jobs;
	u16 port;
	u64 bytes;
	u32 timeout_ms;
	s32 cert;
	s32 key;
	s32 keyring;
	s32 psk;
	char peer[KTLSX_PEER_MAX + 1];	/* "" when none */
};

/* The end of one side of one connection. */
struct ktlsx_result {
	u32 index;
	bool server;
	u8 stage;
	s32 status;	/* 0 or -errno */
	s32 peerid;	/* the remote peer's key serial from the done call */
	u64 bytes;	/* bytes received and found right */
	u64 usec;	/* from the hello call to the done callback */
};

struct ktlsx_slot {
	struct work_struct work;
	struct ktlsx_run *run;
};

struct ktlsx_run {
	struct ktlsx_params p;
	struct socket *listener;	/* role both and server */
	u16 port;			/* the port connected to or listened on */
	atomic_t next_client;
	atomic_t next_server;
	atomic_t busy;			/* work items not finished */
	bool stopping;			/* READ_ONCE: the file was closed */
	ktime_t start;

	spinlock_t lock;		/* protects the fields below */
	struct ktlsx_result *res;
	u32 n_res;
	u32 cap_res;
	u32 n_ok;
	u32 n_failed;
	u64 usec;			/* the whole run, once finished */
	bool finished;

	wait_queue_head_t wq;		/* a result, or the end */
	struct completion all_done;	/* busy reached 0 */
	struct ktlsx_slot *slots;
};

/* main.c: the module's workqueue and counters. */
extern struct workqueue_struct *ktlsx_wq;
extern atomic64_t ktlsx_ok_total;
extern atomic64_t ktlsx_failed_total;
extern atomic_t ktlsx_runs_active;
extern atomic64_t ktlsx_runs_total;

/* ctl.c */
extern const struct file_operations ktlsx_run_fops;
const char *ktlsx_stage_name(unsigned int stage);
const char *ktlsx_role_name(enum ktlsx_role role);
const char *ktlsx_auth_name(enum ktlsx_auth auth);

/* run.c */
int __must_check ktlsx_run_start(const struct ktlsx_params *p,
				 struct ktlsx_run **runp);
void ktlsx_run_stop(struct ktlsx_run *run);
void ktlsx_run_record(struct ktlsx_run *run, const struct ktlsx_result *r);
void ktlsx_run_put(struct ktlsx_run *run);

#if KTLSX_UPCALL
struct socket;
/* conn.c */
int __must_check ktlsx_sock_new(struct socket **sockp);
int __must_check ktlsx_sock_file(struct socket *sock);
void ktlsx_sock_free(struct socket *sock);
void ktlsx_endpoint(struct ktlsx_run *run, struct socket *sock, bool server,
		    u32 index);
#endif

#endif /* KTLSX_H */
