/* SPDX-License-Identifier: MIT */
/*
 * handshaked.h - internal interfaces of the handshake daemon, grouped by
 * the file that defines them.
 */
#ifndef HANDSHAKED_H
#define HANDSHAKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ktls.h"
#include "hsd_proto.h"

#define HSD_NAME "handshaked"
#define HSD_DEFAULT_CONFIG "/etc/handshaked.conf"
#define HSD_DEFAULT_SOCKET "/run/handshaked.sock"

#define HSD_MAX_NAME (HSD_PROTO_NAME_MAX + 1)	/* names, with the NUL */
#define HSD_MAX_CRLS 8
#define HSD_MAX_IDS 32		/* uids or gids in one access rule */

enum hsd_log_level {
	HSD_LOG_ERROR = 0,
	HSD_LOG_NOTICE = 1,
	HSD_LOG_INFO = 2,
	HSD_LOG_DEBUG = 3,
};

/* Roles a profile or an access rule allows: a bit per enum ktls_role. */
#define HSD_ROLE_CLIENT (1u << KTLS_ROLE_CLIENT)
#define HSD_ROLE_SERVER (1u << KTLS_ROLE_SERVER)
#define HSD_ROLE_ANY (HSD_ROLE_CLIENT | HSD_ROLE_SERVER)

/* [identity NAME]: a certificate chain and its key. */
struct hsd_identity {
	char name[HSD_MAX_NAME];
	char *cert;			/* path */
	char *key;			/* path */
	char *passphrase_file;		/* path, or NULL */
	struct hsd_identity *next;
};

/*
 * [profile NAME]: what a request names.  Unset values (0 / NULL) mean
 * the [policy] defaults.
 */
struct hsd_profile {
	char name[HSD_MAX_NAME];
	char identity[HSD_MAX_NAME];	/* "" for none (clients only) */
	unsigned int roles;		/* HSD_ROLE_* */
	char *alpn;			/* comma-separated, or NULL */
	int verify;			/* enum ktls_verify, or -1 unset */
	uint16_t min_version;		/* 0 unset */
	uint16_t max_version;
	char *ciphers;			/* or NULL */
	struct hsd_profile *next;
};

/* [access NAME]: who (peer uid/gid from SO_PEERCRED) may use what. */
struct hsd_access {
	char name[HSD_MAX_NAME];
	bool any_uid;			/* uid = * */
	unsigned int n_uids;
	uid_t uids[HSD_MAX_IDS];
	unsigned int n_gids;
	gid_t gids[HSD_MAX_IDS];
	bool any_profile;		/* profiles = * */
	char *profiles;			/* comma-separated names, or NULL */
	unsigned int roles;		/* HSD_ROLE_* */
	struct hsd_access *next;
};

struct hsd_config {
	char *path;			/* the file it came from */
	/* [global] */
	char *socket_path;
	mode_t socket_mode;		/* default 0660 */
	char *socket_group;		/* or NULL */
	char *user;			/* drop to this user, or NULL */
	unsigned int workers;		/* default 1 */
	unsigned int handshake_timeout;	/* seconds, default 10 */
	unsigned int max_clients_per_uid; /* connected at once; 0: no cap;
					   * default 64 */
	enum hsd_log_level log_level;	/* default notice */
	unsigned int session_cache_size; /* default 1024 */
	unsigned int session_lifetime;	/* seconds, default 7200 */
	char *ticket_key_file;		/* or NULL */
	unsigned int ticket_rotation;	/* seconds, default 3600 */
	/* [trust] */
	char *ca_file;
	char *ca_dir;
	bool ca_system;			/* default yes when neither is set */
	unsigned int n_crls;
	char *crl_files[HSD_MAX_CRLS];
	bool crl_check;			/* default yes when CRLs are given */
	/* [policy] */
	uint16_t min_version;		/* default KTLS_TLS_1_2 */
	uint16_t max_version;		/* default KTLS_TLS_1_3 */
	char *ciphers;			/* or NULL: libktls's default */
	/* [kernel]: handshakes the kernel asks for (kernel.c) */
	bool kernel_enable;		/* default no */
	char kernel_client[HSD_MAX_NAME];	/* profile, "" for none */
	char kernel_server[HSD_MAX_NAME];	/* profile, "" for none */
	char *kernel_keyrings;		/* comma-separated names, or NULL */

	struct hsd_identity *identities;
	struct hsd_profile *profiles;
	struct hsd_access *access;
};

/* config.c (and config_keys.c, config_access.c) */
/*
 * Parse the INI file @path.  On failure *@out is untouched, the return
 * is -EINVAL (bad contents), the -errno of opening or reading it (-ENOENT,
 * -EACCES, -EISDIR, -EIO) or -ENOMEM, and
 * @err holds "PATH:LINE: what is wrong" (or "PATH: what is wrong" for a
 * problem with the whole file, such as a profile naming a missing
 * identity).  Files named in it are not opened here.
 */
KTLS_MUST_CHECK int hsd_config_load(const char *path, struct hsd_config **out,
				    char *err, size_t err_size);
void hsd_config_free(struct hsd_config *cfg);
const struct hsd_identity *hsd_config_identity(const struct hsd_config *cfg,
					       const char *name);
const struct hsd_profile *hsd_config_profile(const struct hsd_config *cfg,
					     const char *name);
/*
 * Whether a client with @uid/@gid (SO_PEERCRED) may read the counters and
 * the status: root, or a uid (or gid) some [access] rule names.
 */
bool hsd_config_may_read_counters(const struct hsd_config *cfg, uid_t uid,
				  gid_t gid);
/*
 * Whether a client with @uid/@gid (SO_PEERCRED) may use @profile in
 * @role: some [access] rule matches the uid (or the gid) and allows both.
 */
bool hsd_config_allows(const struct hsd_config *cfg, uid_t uid, gid_t gid,
		       const char *profile, enum ktls_role role);

/* log.c */
void hsd_log_init(bool foreground, enum hsd_log_level level);
void hsd_log_level(enum hsd_log_level level);
void hsd_log(enum hsd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A token bucket of one call site: HSD_LOG_BURST lines at once, then
 * HSD_LOG_PER_S a second.  Zeroed (static) before the first use.
 */
#define HSD_LOG_BURST 10
#define HSD_LOG_PER_S 1
struct hsd_log_limit {
	bool started;
	uint64_t last_ms;		/* CLOCK_MONOTONIC */
	uint64_t credit;		/* ms of allowance, 1000 per line */
	unsigned long suppressed;	/* since the last line let through */
};
/*
 * Whether a line may go out at @now_ms; if so, *@suppressed is how many
 * were refused since the last one (and the count restarts).
 */
bool hsd_log_allow(struct hsd_log_limit *rl, uint64_t now_ms,
		   unsigned long *suppressed);
void hsd_log_at(struct hsd_log_limit *rl, enum hsd_log_level level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * hsd_log(), rate-limited at this call site, for what other processes can
 * cause at will; the line after a pause counts the ones left out.
 */
#define hsd_log_limited(level, ...)					\
	do {								\
		static struct hsd_log_limit hsd_site_limit_;		\
		hsd_log_at(&hsd_site_limit_, (level), __VA_ARGS__);	\
	} while (0)

/* keys.c: one libktls context per profile, keys loaded once. */
struct hsd_profile_ctx {
	const struct hsd_profile *profile;
	struct ktls_ctx *ctx;
	struct hsd_profile_ctx *next;
};

#define HSD_TICKET_SECRET_MIN 32
#define HSD_TICKET_SECRET_MAX 1024

struct hsd_keys {
	struct hsd_profile_ctx *profiles;
	/* Session tickets: every profile's keys derive from this secret
	 * and the rotation period the clock is in. */
	uint8_t secret[HSD_TICKET_SECRET_MAX];
	size_t secret_len;
	bool from_file;			/* ticket_key_file, or random */
	unsigned int rotation;		/* seconds */
	uint64_t period;		/* whose keys are installed */
	/* [kernel] (kernel.c): NULL when not enabled or not named. */
	struct ktls_ctx *kclient, *kclient_anon, *kserver;
};
/*
 * How a context differs from its profile's: for the kernel agent, no
 * session tickets and (servers) a client certificate asked for; no
 * identity (anonymous clients); another identity (files, or the
 * /proc/self/fd/N of a key the kernel passed).
 */
struct hsd_ctx_variant {
	bool kernel;
	bool server;			/* (with kernel) */
	bool no_identity;
	const char *cert, *key;		/* or NULL: the profile's */
};
/* A context for @p, as @v (or NULL) says; @err as hsd_keys_load()'s. */
KTLS_MUST_CHECK int hsd_profile_ctx_new(const struct hsd_config *cfg,
					const struct hsd_profile *p,
					const struct hsd_ctx_variant *v,
					struct ktls_ctx **out, char *err,
					size_t err_size);
/*
 * Every profile's context, and the ticket keys.  @prev (or NULL): the
 * running keys, whose random ticket secret a reload keeps.  On failure
 * @err says what ("profile web: identity: ..."), and nothing is logged.
 */
KTLS_MUST_CHECK int hsd_keys_load(const struct hsd_config *cfg,
				  const struct hsd_keys *prev,
				  struct hsd_keys **out, char *err,
				  size_t err_size);
void hsd_keys_free(struct hsd_keys *k);
struct hsd_profile_ctx *hsd_keys_find(struct hsd_keys *k, const char *profile);
/* Install the ticket keys of the period @now (unix seconds) is in, if
 * that changed; and the seconds until it next does. */
KTLS_MUST_CHECK int hsd_keys_rotate(struct hsd_keys *k, uint64_t now);
unsigned int hsd_keys_next_rotation(const struct hsd_keys *k, uint64_t now);
KTLS_MUST_CHECK int hsd_ticket_secret_read(const char *path, uid_t user,
					   uint8_t *buf, size_t *len,
					   char *err, size_t err_size);
KTLS_MUST_CHECK int hsd_ticket_key(const uint8_t *secret, size_t len,
				   const char *profile, uint64_t period,
				   struct ktls_ticket_key *out);

/* ipc.c: the socket applications talk to. */
KTLS_MUST_CHECK int hsd_ipc_listen(const struct hsd_config *cfg);

/* client.c: what a request asks is a struct hsd_proto_request, decoded
 * by proto/hsd_proto.c (hsd_proto_decode_request()). */

/* job.c, loop.c, counters.c: handshakes in flight, driven by an epoll
 * loop in each of the workers (threads) (hsd_int.h), and their counts. */
enum hsd_fail {
	HSD_FAIL_VERIFY,		/* the peer's certificate was refused */
	HSD_FAIL_ALERT,			/* the peer sent an alert */
	HSD_FAIL_POLICY,		/* nothing in common, or refused */
	HSD_FAIL_PEER,			/* the TLS peer reset or closed */
	HSD_FAIL_TIMEOUT,
	HSD_FAIL_CLIENT_GONE,		/* the application went away */
	HSD_FAIL_NOT_OFFLOADED,		/* the kernel did not take the keys */
	HSD_FAIL_OTHER,
	HSD_FAIL_MAX
};

/* Why a kernel-requested handshake failed (kernel.failed.*). */
enum hsd_kfail {
	HSD_KFAIL_VERIFY,		/* the peer's certificate was refused */
	HSD_KFAIL_ALERT,		/* the peer sent an alert */
	HSD_KFAIL_POLICY,		/* nothing in common, or refused */
	HSD_KFAIL_PEER,			/* the TLS peer reset or closed */
	HSD_KFAIL_TIMEOUT,		/* the kernel's timeout passed */
	HSD_KFAIL_NOT_OFFLOADED,	/* the kernel did not take the keys */
	HSD_KFAIL_KEYRING,		/* a key it named was unreadable */
	HSD_KFAIL_UNSUPPORTED,		/* no profile for the role, or an
					 * auth mode this build lacks */
	HSD_KFAIL_CANCELLED,		/* DONE refused: no longer waited for */
	HSD_KFAIL_OTHER,
	HSD_KFAIL_MAX
};

/* The kernel agent's counts ([0] client, [1] server handshakes). */
struct hsd_kcounters {
	uint64_t ready;			/* READY notifications read */
	uint64_t accepted;		/* requests ACCEPT took */
	uint64_t bad_requests;		/* malformed ACCEPT replies */
	uint64_t started[2], ok[2], failed[2];
	uint64_t failed_by[HSD_KFAIL_MAX];
};

/* Updated with atomic adds by every worker. */
struct hsd_counters {
	uint64_t started, ok, resumed, in_flight;
	uint64_t refused;		/* access denied, or over the uid cap */
	uint64_t bad_requests;		/* malformed, no fd, not TCP */
	uint64_t failed[HSD_FAIL_MAX];
	uint64_t tls12, tls13;
	uint64_t cipher[KTLS_CIPHER_CHACHA20_POLY1305 + 1];
	uint64_t reloads;
	struct hsd_kcounters kernel;
};

/* reload.c: starts the workers (loop.c) and takes the signals.  Runs
 * until SIGTERM; owns @cfg and @keys from here on (SIGHUP replaces
 * them).  @kernel: the kernel agent's sockets (hsd_kernel.h), or NULL;
 * the caller closes them after. */
struct hsd_kernel;
KTLS_MUST_CHECK int hsd_loop(struct hsd_config *cfg, struct hsd_keys *keys,
			     int listen_fd, int signal_fd,
			     struct hsd_kernel *kernel);

#endif /* HANDSHAKED_H */
