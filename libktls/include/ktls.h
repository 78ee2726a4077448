/* SPDX-License-Identifier: MIT */
/*
 * ktls.h - the public interface of libktls.
 *
 * libktls turns a connected TCP socket into a TLS socket whose record layer
 * runs in the Linux kernel (kTLS).  This is the only public header.
 *
 * Conventions, for every function in this file:
 *  - Fallible functions return 0 (or a count) on success and a negative
 *    errno value on failure.  errno is never used as an output.
 *  - Constructors return a pointer or NULL; their only failure is ENOMEM.
 *  - Predicates return bool and never fail.
 *  - Free functions accept NULL and wipe what they free.
 *  - Objects are opaque and owned by the library.
 */
#ifndef KTLS_H
#define KTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden; what is declared here is
 * its interface. */
#pragma GCC visibility push(default)

#define KTLS_MUST_CHECK __attribute__((warn_unused_result))

#define KTLS_VERSION_MAJOR 0
#define KTLS_VERSION_MINOR 1
#define KTLS_VERSION_PATCH 0

/* Protocol versions, by their wire value. */
#define KTLS_TLS_1_2 0x0303
#define KTLS_TLS_1_3 0x0304

/*
 * AEAD ciphers the kernel can offload.  Values are libktls's own and are
 * stable; they are not the kernel's TLS_CIPHER_* numbers.
 */
enum ktls_cipher {
	KTLS_CIPHER_AES_128_GCM = 1,
	KTLS_CIPHER_AES_256_GCM = 2,
	KTLS_CIPHER_AES_128_CCM = 3,
	KTLS_CIPHER_CHACHA20_POLY1305 = 4,
};

/* Direction of a record stream: what we send, or what we receive. */
enum ktls_dir {
	KTLS_DIR_TX = 1,
	KTLS_DIR_RX = 2,
};

/**
 * ktls_version() - version of the library that is running
 *
 * Context: any thread.
 * Return: a static string such as "0.1.0".
 */
const char *ktls_version(void);

/**
 * ktls_cipher_name() - the standard name of a cipher
 * @cipher: one of enum ktls_cipher
 *
 * Context: any thread.
 * Return: a static string such as "AES-128-GCM", or NULL for a value that is
 * not a known cipher.
 */
const char *ktls_cipher_name(enum ktls_cipher cipher);

/**
 * ktls_strerror() - describe an error code returned by libktls
 * @err: a negative errno value as returned by a libktls call (a positive
 *	 errno value is accepted too)
 *
 * Context: any thread.
 * Return: a static string; never NULL.
 */
const char *ktls_strerror(int err);

/*
 * Kernel capabilities.
 *
 * The getters below accept NULL for @caps: predicates then return false,
 * the others -EINVAL (ktls_caps_ulp_reason() a string saying so).
 *
 * ktls_caps_probe() finds out what the running kernel offers by trying it:
 * for each TLS version and cipher it builds a loopback TCP pair, attaches
 * the "tls" ULP, installs TX on one end and RX on the other with throw-away
 * keys and passes a record through.  Nothing is guessed from the kernel's
 * version.  The result is an immutable snapshot, safe to read from any
 * number of threads.
 *
 * The probe may load kernel modules on demand (the kernel asks modprobe for
 * "tls" and for the crypto algorithms), so its first run can be slower.
 */
struct ktls_caps;

/**
 * ktls_caps_probe() - probe the running kernel's kTLS support
 * @capsp: on success, set to a new snapshot the caller frees with
 *	   ktls_caps_free()
 *
 * A kernel without kTLS is not a failure: the snapshot records why it is
 * unusable (see ktls_caps_ulp()), and so is every other failed step.  The
 * probe waits at most about a second for each record, so it cannot hang.
 *
 * Context: any thread; blocking (it creates and closes sockets).
 * Return: 0; -ENOMEM if the snapshot cannot be allocated; -EINVAL if
 * @capsp is NULL.
 */
KTLS_MUST_CHECK int ktls_caps_probe(struct ktls_caps **capsp);

/**
 * ktls_caps_free() - free a snapshot from ktls_caps_probe()
 * @caps: the snapshot, or NULL (then nothing happens)
 */
void ktls_caps_free(struct ktls_caps *caps);

/**
 * ktls_caps_usable() - can kTLS be used at all on this kernel
 * @caps: a snapshot
 *
 * Return: true if the TLS ULP attaches and at least one cipher works for
 * both TX and RX in some TLS version.
 */
bool ktls_caps_usable(const struct ktls_caps *caps);

/**
 * ktls_caps_ulp() - whether the kernel's "tls" ULP can be attached
 * @caps: a snapshot
 *
 * Return: 0 if it attaches; otherwise the negative errno that
 * setsockopt(TCP_ULP, "tls") (or the socket calls before it) returned:
 * -ENOENT means the kernel has no TLS ULP (CONFIG_TLS off, or the tls module
 * is missing and could not be loaded).
 */
int ktls_caps_ulp(const struct ktls_caps *caps);

/**
 * ktls_caps_ulp_reason() - the reason for ktls_caps_ulp(), in words
 * @caps: a snapshot
 *
 * Return: a static string that an operator can act on, such as
 * "the kernel has no TLS ULP (CONFIG_TLS is off, or the tls module is not
 * available)"; "available" when the ULP attaches.  Only processes with
 * CAP_NET_ADMIN make the kernel load the tls module on demand; others see
 * -ENOENT until it is loaded ("modprobe tls").
 */
const char *ktls_caps_ulp_reason(const struct ktls_caps *caps);

/**
 * ktls_caps_unusable_reason() - why kTLS cannot be used, in words
 * @caps: a snapshot
 *
 * Return: NULL when ktls_caps_usable() is true; otherwise a static string:
 * ktls_caps_ulp_reason() when the ULP does not attach, or one saying that
 * no cipher offloads both ways.
 */
const char *ktls_caps_unusable_reason(const struct ktls_caps *caps);

/**
 * ktls_caps_cipher() - whether one direction of one cipher is offloaded
 * @caps: a snapshot
 * @version: KTLS_TLS_1_2 or KTLS_TLS_1_3
 * @cipher: one of enum ktls_cipher
 * @dir: KTLS_DIR_TX or KTLS_DIR_RX
 *
 * The probe installs TX on one end of a pair and RX on the other.  If the
 * kernel refuses the keys of one direction, that direction gets the error
 * and the other counts as working once its keys are accepted; if both are
 * accepted, the record sent through them decides for both.
 *
 * Return: 0 if the kernel accepted the keys and a record passed through it;
 * -EINVAL for an unknown @version, @cipher or @dir; otherwise the negative
 * errno of the step that failed (-ENOENT: no TLS ULP, -ENOPKG or -ENOENT
 * from TLS_TX/TLS_RX: the cipher's crypto module is missing, -EBADMSG: the
 * record did not decrypt, -EIO: the record did not arrive intact).
 */
int ktls_caps_cipher(const struct ktls_caps *caps, uint16_t version,
		     enum ktls_cipher cipher, enum ktls_dir dir);

/**
 * ktls_caps_rx_no_pad() - whether TLS_RX_EXPECT_NO_PAD is accepted
 * @caps: a snapshot
 *
 * Return: true if the kernel accepts TLS_RX_EXPECT_NO_PAD on a TLS 1.3 RX
 * socket (Linux 6.0 and later).
 */
bool ktls_caps_rx_no_pad(const struct ktls_caps *caps);

/**
 * ktls_caps_rekey() - whether TLS 1.3 keys can be replaced (KeyUpdate)
 * @caps: a snapshot
 *
 * Tried by installing TLS 1.3 TX keys a second time on one socket, which
 * kernels with KeyUpdate support (Linux 6.14 and later) accept.
 *
 * Return: 0 if rekeying is supported; -EBUSY if the kernel refuses a second
 * key (no rekey support); another negative errno if it could not be tried
 * (the ULP error when there is no TLS ULP, or the error of the first
 * TLS 1.3 AES-128-GCM TX install).
 */
int ktls_caps_rekey(const struct ktls_caps *caps);

/**
 * ktls_caps_handshake_netlink() - whether the "handshake" netlink family
 *	exists (in-kernel consumers asking userspace for a handshake)
 * @caps: a snapshot
 *
 * Return: 0 if the generic netlink family "handshake" resolves (Linux 6.5
 * and later with CONFIG_NET_HANDSHAKE); -ENOENT if it does not; another
 * negative errno if generic netlink could not be asked (-EPERM, -EACCES,
 * -ENOMEM, -EAFNOSUPPORT, -EPROTONOSUPPORT, -EOPNOTSUPP, -EBADF, or -EIO
 * for any other libnl error).
 */
int ktls_caps_handshake_netlink(const struct ktls_caps *caps);

/**
 * ktls_caps_io_uring() - whether io_uring can be used
 * @caps: a snapshot
 *
 * Return: 0 if an io_uring instance could be set up; otherwise the negative
 * errno of io_uring_setup() (-ENOSYS: not built in; -EPERM: disabled by
 * the io_uring_disabled sysctl or a seccomp policy).
 */
int ktls_caps_io_uring(const struct ktls_caps *caps);

/**
 * ktls_caps_io_uring_op() - whether the kernel reports an io_uring opcode
 * @caps: a snapshot
 * @opcode: an IORING_OP_* value from <liburing.h>
 *
 * Return: true if io_uring is usable and the kernel's probe lists @opcode
 * as supported; false for an @opcode of 256 or more, and for every opcode
 * on kernels without IORING_REGISTER_PROBE (before Linux 5.6).
 */
bool ktls_caps_io_uring_op(const struct ktls_caps *caps, unsigned int opcode);

/*
 * TLS connections.
 *
 * A context (struct ktls_ctx) holds what many connections share: policy,
 * trust store, identities, ALPN, session caches.  A connection
 * (struct ktls_conn) wraps one connected TCP socket that the application
 * owns: libktls never closes the fd.  After ktls_conn_handshake() succeeds the
 * record layer runs in the kernel when it can (see ktls_conn_offloaded())
 * and in wolfSSL otherwise; the ktls_send()/ktls_recv()/ktls_sendfile()/
 * ktls_close() calls work the same either way.
 *
 * Error codes used by every call below, beyond the ones each documents:
 *  -EINVAL	  a NULL object, an out-of-range value, or a call in the wrong
 *		  state (e.g. ktls_send() before the handshake)
 *  -ENOMEM	  out of memory
 *  -EAGAIN	  the fd is non-blocking and the call would block; poll
 *		  ktls_conn_wait_fd() for ktls_conn_events() and call again
 *  -EPROTONOSUPPORT  refused by policy (an insecure version, cipher or
 *		  feature); ktls_ctx_errstr()/ktls_conn_errstr() say which
 *  -EKEYREJECTED the peer's certificate failed verification;
 *		  ktls_conn_verify_result() says why; or (server) the
 *		  client's PSK binder did not verify: the two sides hold
 *		  different keys for the identity
 *  -ENOKEY	  PSK: the server has no key for the client's identity, or
 *		  (client) the server answered with a certificate instead
 *  -ECONNABORTED the peer sent a fatal alert; ktls_conn_alert() names it
 *  -ECONNRESET   the peer reset or closed the TCP connection without a
 *		  close_notify (a truncated stream is never reported as EOF)
 *  -EPROTO	  the peer broke the protocol, or no version or cipher is
 *		  common to both sides
 *  -EKEYEXPIRED  the keys cannot be renewed: the peer sent a KeyUpdate and
 *		  the kernel cannot take new keys (before Linux 6.14), or a
 *		  TX key reached its record limit (AES-GCM: 2^24.5 records,
 *		  RFC 8446 section 5.5; AES-CCM 2^23.5) and cannot be renewed
 *		  (TLS 1.2, or such a kernel).  The connection is over; the
 *		  peer gets no garbled data.
 *  -EIO	  an error inside wolfSSL that fits none of the above
 *
 * Thread safety: a context may be shared by threads once configured (its
 * setters are not thread-safe); a connection belongs to one thread at a
 * time.
 */
struct ktls_ctx;
struct ktls_conn;

enum ktls_role {
	KTLS_ROLE_CLIENT = 1,
	KTLS_ROLE_SERVER = 2,
};

/* How the peer's certificate is checked (KTLS_OPT_VERIFY). */
enum ktls_verify {
	/* Client: verify the server.  Server: ask for no client cert. */
	KTLS_VERIFY_DEFAULT = 0,
	/* Server: ask for a client certificate and verify it if sent. */
	KTLS_VERIFY_PEER = 1,
	/* Server: require a valid client certificate. */
	KTLS_VERIFY_REQUIRE = 2,
	/* Client: accept any server certificate.  Insecure: tests only. */
	KTLS_VERIFY_NONE_INSECURE = 3,
};

/*
 * Options: a context holds the defaults (ktls_ctx_set_opt()), a connection
 * may override them before its handshake (ktls_conn_set_opt()), as NSS's
 * SSL_OptionSetDefault() and SSL_OptionSet().
 */
enum ktls_opt {
	KTLS_OPT_VERSION_MIN = 1,	/* KTLS_TLS_1_2 (default) or 1_3 */
	KTLS_OPT_VERSION_MAX = 2,	/* KTLS_TLS_1_3 (default) or 1_2 */
	KTLS_OPT_VERIFY = 3,		/* enum ktls_verify */
	KTLS_OPT_VERIFY_DEPTH = 4,	/* chain length, 1..16; default 9 */
	KTLS_OPT_CRL_CHECK = 5,		/* 1: check CRLs (on once loaded) */
	KTLS_OPT_SESSION_TICKETS = 6,	/* 1: use tickets (default) */
	KTLS_OPT_FORCE_SOFTWARE = 7,	/* 1: never offload (tests) */
	KTLS_OPT_RENEGOTIATION = 8,	/* always 0: 1 is refused */
	KTLS_OPT_RECORD_LIMIT = 9,	/* records per key before renewal; 0:
					 * the cipher's safe limit (default) */
	KTLS_OPT_POST_HANDSHAKE = 10,	/* 1 (default): keep wolfSSL's state
					 * of an offloaded TLS 1.3 connection
					 * for tickets and KeyUpdate; 0: free
					 * it (less memory per connection; a
					 * KeyUpdate then ends it) */
	KTLS_OPT_REQUIRE_OFFLOAD = 11,	/* 1: no record layer in software:
					 * where the kernel cannot take the
					 * keys the handshake fails with
					 * -EOPNOTSUPP (0 by default) */
};

/**
 * ktls_init() - initialise the library
 *
 * Called by ktls_ctx_new() as well; calling it again does nothing.
 *
 * Context: any thread.
 * Return: 0, or -EIO if wolfSSL could not be initialised.
 */
KTLS_MUST_CHECK int ktls_init(void);

/**
 * ktls_thread_cleanup() - free the caches this thread's handshakes built
 *
 * wolfSSL keeps some caches per thread (its fixed-point ECC tables), and
 * only the thread itself can free them: call this in a thread that ran
 * handshakes, before it exits, or each such thread leaks them.  Contexts
 * and connections are not touched, and a later handshake in the thread
 * builds the caches again.  Calling it in a thread that ran none, or
 * twice, does nothing.
 *
 * Context: the thread whose caches go.
 */
void ktls_thread_cleanup(void);

/**
 * ktls_ctx_new() - a new context with secure defaults
 *
 * Defaults: TLS 1.2 and 1.3, every offloadable AEAD cipher in the order
 * AES-256-GCM, AES-128-GCM, CHACHA20-POLY1305, AES-128-CCM, clients verify
 * the server against the system's CAs (loaded on first use if no other
 * trust store was set), servers ask for no client certificate, session
 * tickets on, no renegotiation.
 *
 * Return: the context, or NULL when out of memory.
 */
struct ktls_ctx *ktls_ctx_new(void);

/**
 * ktls_ctx_free() - free a context
 * @ctx: the context or NULL; connections made from it must be freed first
 */
void ktls_ctx_free(struct ktls_ctx *ctx);

/**
 * ktls_ctx_errstr() - what the last failed call on @ctx found wrong
 * @ctx: a context
 *
 * Return: a string owned by @ctx, valid until its next call, or "" when
 * nothing failed.
 */
const char *ktls_ctx_errstr(const struct ktls_ctx *ctx);

/**
 * ktls_ctx_set_opt() - set a context-wide default (enum ktls_opt)
 * @ctx: a context
 * @opt: the option
 * @value: its value
 *
 * Return: 0; -EINVAL for an unknown option or value; -EPROTONOSUPPORT for
 * a value policy forbids (TLS 1.1 or older, renegotiation).
 */
KTLS_MUST_CHECK int ktls_ctx_set_opt(struct ktls_ctx *ctx, enum ktls_opt opt,
				     long value);

/**
 * ktls_ctx_set_ciphers() - choose the ciphers and their preference order
 * @ctx: a context
 * @list: names separated by ':' or ',', such as
 *	  "CHACHA20-POLY1305:AES-128-GCM" (case-insensitive; OpenSSL-style
 *	  suite names such as "ECDHE-RSA-AES128-GCM-SHA256" and
 *	  "TLS_AES_128_GCM_SHA256" are accepted too)
 *
 * Return: 0; -EPROTONOSUPPORT naming the reason when a name is an insecure
 * cipher (RC4, DES, 3DES, EXPORT, NULL, FORTEZZA, CBC, ...); -EINVAL for a
 * name that is not known or an empty list.
 */
KTLS_MUST_CHECK int ktls_ctx_set_ciphers(struct ktls_ctx *ctx,
					 const char *list);

/**
 * ktls_ctx_set_alpn() - protocols to offer (client) or accept (server)
 * @ctx: a context
 * @list: comma-separated protocol names in preference order, such as
 *	  "h2,http/1.1"; NULL or "" for none
 *
 * Return: 0; -EINVAL for an empty name or a list longer than 255 bytes.
 */
KTLS_MUST_CHECK int ktls_ctx_set_alpn(struct ktls_ctx *ctx, const char *list);

/**
 * ktls_ctx_load_ca_system() - trust the system's CA certificates
 * @ctx: a context
 * Return: 0; -ENOENT if none were found; -EIO if they could not be read.
 */
KTLS_MUST_CHECK int ktls_ctx_load_ca_system(struct ktls_ctx *ctx);

/**
 * ktls_ctx_load_ca_file() - trust the CA certificates of a PEM file
 * @ctx: a context
 * @path: the file
 * Return: 0; -ENOENT, -EACCES for an unreadable file; -EBADMSG for one
 * that holds no certificate wolfSSL can parse.
 */
KTLS_MUST_CHECK int ktls_ctx_load_ca_file(struct ktls_ctx *ctx,
					  const char *path);

/**
 * ktls_ctx_load_ca_dir() - trust the CA certificates (*.pem, hashed names)
 *	of a directory
 * @ctx: a context
 * @path: the directory
 * Return: as ktls_ctx_load_ca_file(); -ENOTDIR if @path is not a directory.
 */
KTLS_MUST_CHECK int ktls_ctx_load_ca_dir(struct ktls_ctx *ctx,
					 const char *path);

/**
 * ktls_ctx_load_crl_file() - load a CRL (PEM or DER) and turn on CRL checks
 * @ctx: a context
 * @path: the file
 *
 * With CRL checking on, every certificate of the peer's chain must have a
 * CRL from its issuer, else verification fails.
 *
 * Return: as ktls_ctx_load_ca_file().
 */
KTLS_MUST_CHECK int ktls_ctx_load_crl_file(struct ktls_ctx *ctx,
					   const char *path);

/**
 * typedef ktls_passphrase_cb - supplies the passphrase of encrypted keys
 * @buf: where to write it (not NUL-terminated needed)
 * @size: room in @buf
 * @arg: the pointer given to ktls_ctx_set_passphrase_cb()
 *
 * Return: the passphrase's length, or a negative errno to give up.
 */
typedef int (*ktls_passphrase_cb)(char *buf, int size, void *arg);

/**
 * ktls_ctx_set_passphrase_cb() - how to decrypt encrypted private keys
 * @ctx: a context
 * @cb: the callback, called by ktls_ctx_add_identity(); NULL for none
 * @arg: passed to @cb; the caller keeps it valid while @ctx lives
 */
void ktls_ctx_set_passphrase_cb(struct ktls_ctx *ctx, ktls_passphrase_cb cb,
				void *arg);

/**
 * typedef ktls_keylog_cb - receives one line of the key log
 * @conn: the connection whose secret it is
 * @line: one line in the NSS key-log format (the SSLKEYLOGFILE format of
 *	NSS, OpenSSL and curl, which Wireshark reads), without a newline:
 *	"CLIENT_RANDOM <client random> <master secret>" for TLS 1.2;
 *	CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET,
 *	CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 and EXPORTER_SECRET
 *	lines for TLS 1.3, each "<label> <client random> <secret>" in hex
 * @arg: the pointer given to ktls_ctx_set_keylog_cb()
 *
 * @line holds secrets and is valid only during the call: copy what you
 * keep, and wipe your copies.
 */
typedef void (*ktls_keylog_cb)(const struct ktls_conn *conn, const char *line,
			       void *arg);

/**
 * ktls_ctx_set_keylog_cb() - log the secrets of every handshake (debugging)
 * @ctx: a context
 * @cb: the callback; NULL (the default) turns the key log off
 * @arg: passed to @cb; the caller keeps it valid while @ctx lives
 *
 * Anyone who reads the key log can decrypt the sessions it covers: turn
 * it on only to debug, never by default.  @cb is called on the thread
 * that runs the handshake, during ktls_conn_handshake(), for handshakes
 * that begin after this call, resumed ones included.  It is never called
 * for a context in daemon mode (ktls_ctx_set_daemon()): the keys stay in
 * handshaked, which does not log them.  Not thread-safe: set it before
 * the context is shared.
 *
 * Return: 0; -EINVAL if @ctx is NULL; -EOPNOTSUPP if the wolfSSL libktls
 * is built with lacks HAVE_SECRET_CALLBACK or OPENSSL_EXTRA.
 */
KTLS_MUST_CHECK int ktls_ctx_set_keylog_cb(struct ktls_ctx *ctx,
					   ktls_keylog_cb cb, void *arg);

/**
 * ktls_ctx_add_identity() - add an own certificate chain and private key
 * @ctx: a context
 * @chain: file with the certificate first, then its issuers (PEM), or the
 *	   certificate alone (DER)
 * @key: file with the private key (PEM, possibly encrypted, or DER)
 *
 * The first identity is the default.  A server picks another one when the
 * client's SNI matches one of its names (subjectAltName DNS, or CN), so
 * RSA and ECDSA certificates, or several hosts, can share one context.
 * A client presents the first identity when asked for a certificate.
 * The key stays in this process; it is read once, here.
 *
 * Return: 0; -ENOENT, -EACCES for unreadable files; -EBADMSG for files
 * that do not parse (or a wrong passphrase); -EKEYREJECTED when the key
 * does not match the certificate; -ENOSPC after 8 identities.
 */
KTLS_MUST_CHECK int ktls_ctx_add_identity(struct ktls_ctx *ctx,
					  const char *chain, const char *key);

/**
 * ktls_ctx_replace_identity() - replace an identity while connections live
 * @ctx: a context with at least @idx + 1 identities
 * @idx: which one: 0 for the first added with ktls_ctx_add_identity(),
 *	 1 for the second, and so on (the numbers the sni and client_auth
 *	 callbacks answer with)
 * @chain: as for ktls_ctx_add_identity()
 * @key: as for ktls_ctx_add_identity()
 *
 * Loads and checks the new chain and key first; only when both are good
 * does identity @idx become the new one, for every handshake that starts
 * after this returns.  Handshakes already started (ktls_conn_handshake()
 * called once) keep the identities they took and finish with the old
 * certificate; the old identity is freed, its key wiped, when the last
 * such connection is freed.  On failure nothing changes: the old identity
 * stays in place and ktls_ctx_errstr() says why.  A certificate renewal
 * is therefore one call, e.g. on SIGHUP.
 *
 * Context: safe while other threads run handshakes and create or free
 * connections on @ctx; not concurrently with another call that
 * configures @ctx (ktls_ctx_add_identity(), this one, setters), nor with
 * ktls_ctx_errstr() of a failure it is about to report.  Daemon mode
 * (ktls_ctx_set_daemon()) does not use the context's identities:
 * handshaked reloads its own on SIGHUP.
 *
 * Return: 0; -EINVAL for a NULL @ctx; -ENOENT when there is no identity
 * @idx; otherwise the errors of ktls_ctx_add_identity() (-ENOENT or
 * -EACCES for unreadable files, -EBADMSG, -EKEYREJECTED, -ENOMEM).
 */
KTLS_MUST_CHECK int ktls_ctx_replace_identity(struct ktls_ctx *ctx,
					      unsigned int idx,
					      const char *chain,
					      const char *key);

/**
 * ktls_conn_new() - wrap a connected TCP socket
 * @ctx: the context; it must outlive the connection
 * @fd: a connected TCP socket, blocking or not; the caller keeps owning it
 *	and closes it after ktls_conn_free()
 * @role: KTLS_ROLE_CLIENT or KTLS_ROLE_SERVER
 *
 * Return: the connection, or NULL when out of memory or @ctx is NULL or
 * @role is not a role.
 */
struct ktls_conn *ktls_conn_new(struct ktls_ctx *ctx, int fd,
				enum ktls_role role);

/**
 * ktls_conn_free() - free a connection, wiping its secrets
 * @conn: the connection or NULL
 *
 * Sends nothing (call ktls_close() first for a clean end) and does not
 * close the fd.  A socket with kTLS installed keeps its kernel state until
 * the fd is closed.
 */
void ktls_conn_free(struct ktls_conn *conn);

/**
 * ktls_conn_set_opt() - override a context default for this connection
 * @conn: a connection before its handshake
 * @opt: the option
 * @value: its value
 * Return: as ktls_ctx_set_opt(); -EINVAL after the handshake started.
 */
KTLS_MUST_CHECK int ktls_conn_set_opt(struct ktls_conn *conn,
				      enum ktls_opt opt, long value);

/**
 * ktls_conn_set_ciphers() - override the context's cipher list
 * @conn: a connection before its handshake
 * @list: as for ktls_ctx_set_ciphers()
 * Return: as ktls_ctx_set_ciphers().
 */
KTLS_MUST_CHECK int ktls_conn_set_ciphers(struct ktls_conn *conn,
					  const char *list);

/**
 * ktls_conn_set_alpn() - override the context's ALPN list
 * @conn: a connection before its handshake
 * @list: as for ktls_ctx_set_alpn()
 * Return: as ktls_ctx_set_alpn().
 */
KTLS_MUST_CHECK int ktls_conn_set_alpn(struct ktls_conn *conn,
				       const char *list);

/**
 * ktls_conn_set_peer_name() - the name the peer must have (client)
 * @conn: a client connection before its handshake
 * @name: a DNS name, sent as SNI and checked against the certificate, or
 *	  an IP address, checked against its IP subjectAltNames
 *
 * Without a peer name a client that verifies the server fails its
 * handshake with -EINVAL: a certificate that is valid for some host is
 * not proof of talking to the right one.
 *
 * Return: 0; -EINVAL for an empty name or one over 253 bytes.
 */
KTLS_MUST_CHECK int ktls_conn_set_peer_name(struct ktls_conn *conn,
					    const char *name);

/**
 * ktls_conn_handshake() - run (or continue) the TLS handshake
 * @conn: a connection
 *
 * On a blocking fd this returns when the handshake is over.  On a
 * non-blocking fd it returns -EAGAIN whenever it would block; wait for
 * ktls_conn_events() on ktls_conn_wait_fd() (the connection's fd in
 * process, the socket to handshaked in daemon mode, see
 * ktls_ctx_set_daemon()) and call it again.  There is no time limit on a
 * non-blocking handshake: the application bounds the wait.  Once it
 * returned 0 it returns 0 again.  On success the keys are in the kernel where it could
 * take them (RX is installed first: a kernel that refuses it leaves the
 * socket plain TCP and the whole record layer in wolfSSL), and no byte the
 * peer sent after the handshake is lost.
 *
 * Return: 0; -EAGAIN; or one of the errors listed above.  After an error
 * the connection can only be freed; the fd is then in no defined TLS
 * state and should be closed.
 */
KTLS_MUST_CHECK int ktls_conn_handshake(struct ktls_conn *conn);

/**
 * ktls_conn_events() - what to wait for after -EAGAIN
 * @conn: a connection
 *
 * The events are for ktls_conn_wait_fd(): after -EAGAIN from
 * ktls_conn_handshake() in daemon mode they are the daemon socket's.
 *
 * Return: POLLIN or POLLOUT (from <poll.h>).
 */
short ktls_conn_events(const struct ktls_conn *conn);

/**
 * ktls_conn_wait_fd() - the fd to wait on after -EAGAIN
 * @conn: a connection
 *
 * In process this is ktls_conn_fd().  During a daemon-mode handshake on a
 * non-blocking fd (ktls_ctx_set_daemon()) the answer comes from
 * handshaked, not from the peer, so it is the connection's socket to
 * handshaked, which libktls owns: poll it for ktls_conn_events(), never
 * read, write or close it, and ask again after every -EAGAIN, as it
 * changes when the handshake ends (back to ktls_conn_fd()).  libktls
 * closes it then, or in ktls_conn_free(), which takes it out of any
 * epoll set: don't EPOLL_CTL_DEL it afterwards (its number may be
 * reused).  While
 * handshaked holds the TCP socket the application must not use it or
 * change its flags.  Like OpenSSL's SSL_get_all_async_fds().
 *
 * Context: any time; the value is valid until the next call on @conn.
 * Return: an fd, or -EINVAL for a NULL @conn.
 */
int ktls_conn_wait_fd(const struct ktls_conn *conn);

/**
 * ktls_conn_fd() - the socket of a connection
 * @conn: a connection
 *
 * After the handshake, when ktls_conn_offloaded() is true for a direction,
 * the application may use the fd directly: write(), send(), sendfile(),
 * splice() for TX; for RX, read() works until the peer sends a record that
 * is not application data (a TLS 1.3 session ticket, KeyUpdate or alert),
 * which read() reports as EIO: ktls_recv() handles those, so it is the
 * safe way to read.
 *
 * Return: the fd, or -EINVAL.
 */
int ktls_conn_fd(const struct ktls_conn *conn);

/**
 * ktls_conn_errstr() - what went wrong on this connection, in words
 * @conn: a connection
 * Return: a string owned by @conn, or "" when nothing failed.
 */
const char *ktls_conn_errstr(const struct ktls_conn *conn);

/* Why the peer's certificate was rejected (after -EKEYREJECTED). */
enum ktls_verify_result {
	KTLS_VERIFY_OK = 0,
	KTLS_VERIFY_UNKNOWN_CA = 1,
	KTLS_VERIFY_EXPIRED = 2,
	KTLS_VERIFY_NOT_YET_VALID = 3,
	KTLS_VERIFY_HOSTNAME_MISMATCH = 4,
	KTLS_VERIFY_REVOKED = 5,
	KTLS_VERIFY_BAD_SIGNATURE = 6,
	KTLS_VERIFY_NO_CERTIFICATE = 7,
	KTLS_VERIFY_CRL_MISSING = 8,
	KTLS_VERIFY_OTHER = 9,
};

/**
 * ktls_conn_verify_result() - the outcome of verifying the peer
 * @conn: a connection
 * Return: KTLS_VERIFY_OK, or the first problem found in the chain.
 */
enum ktls_verify_result ktls_conn_verify_result(const struct ktls_conn *conn);

/**
 * ktls_verify_result_name() - a verify result in words
 * @result: an enum ktls_verify_result
 * Return: a static string such as "certificate has expired".
 */
const char *ktls_verify_result_name(enum ktls_verify_result result);

/**
 * ktls_conn_alert() - the last alert the peer sent
 * @conn: a connection
 * Return: the alert description (RFC 8446 section 6: 0 is close_notify,
 * 42 bad_certificate, ...), or -1 when none came.
 */
int ktls_conn_alert(const struct ktls_conn *conn);

/**
 * ktls_alert_name() - an alert description in words
 * @alert: an alert description
 * Return: a static string such as "bad_certificate" ("unknown" if unknown).
 */
const char *ktls_alert_name(int alert);

/* What was negotiated; valid after a successful handshake. */
uint16_t ktls_conn_version(const struct ktls_conn *conn);
enum ktls_cipher ktls_conn_cipher(const struct ktls_conn *conn);
/* The ALPN protocol chosen, or NULL; owned by @conn. */
const char *ktls_conn_alpn(const struct ktls_conn *conn);
bool ktls_conn_resumed(const struct ktls_conn *conn);
/* True if the kernel does the record layer for this direction. */
bool ktls_conn_offloaded(const struct ktls_conn *conn, enum ktls_dir dir);

/**
 * ktls_conn_offload_reason() - why the record layer is (partly) in software
 * @conn: a connection after its handshake
 *
 * Return: a sentence such as "no kTLS (TCP_ULP \"tls\": No such file or
 * directory): record layer in software", owned by @conn; "" when both
 * directions are offloaded.
 */
const char *ktls_conn_offload_reason(const struct ktls_conn *conn);

/**
 * ktls_conn_peer_cert() - one certificate of the peer's chain, as DER
 * @conn: a connection after its handshake
 * @idx: 0 for the peer's own certificate, 1 for its issuer, ...
 * @der: set to the certificate, owned by @conn
 * @len: set to its length
 * Return: 0; -ENOENT when the peer sent no certificate or @idx is past the
 * chain's end.
 */
KTLS_MUST_CHECK int ktls_conn_peer_cert(const struct ktls_conn *conn,
					unsigned int idx, const uint8_t **der,
					size_t *len);

/*
 * Certificate helpers, on a DER certificate.  Strings are written
 * NUL-terminated into @buf (@size bytes).  Return: the string's length;
 * -EBADMSG for a certificate that does not parse; -ENOSPC if @buf is too
 * small; -ENOENT for a SAN index past the last name.
 */
KTLS_MUST_CHECK int ktls_cert_subject(const uint8_t *der, size_t len,
				      char *buf, size_t size);
KTLS_MUST_CHECK int ktls_cert_issuer(const uint8_t *der, size_t len,
				     char *buf, size_t size);
/* @idx-th DNS subjectAltName. */
KTLS_MUST_CHECK int ktls_cert_san(const uint8_t *der, size_t len,
				  unsigned int idx, char *buf, size_t size);
/* SHA-256 of the DER, as 64 lowercase hex digits (@size >= 65). */
KTLS_MUST_CHECK int ktls_cert_fingerprint(const uint8_t *der, size_t len,
					  char *buf, size_t size);

/**
 * ktls_send() - send application data
 * @conn: a connection after its handshake
 * @buf: the data
 * @len: its length
 *
 * Return: bytes sent (may be fewer than @len on a non-blocking fd);
 * -EAGAIN; -EPIPE after ktls_close(); -ECONNRESET; -EKEYEXPIRED when the
 * key's record limit is reached and cannot be renewed.
 */
KTLS_MUST_CHECK ssize_t ktls_send(struct ktls_conn *conn, const void *buf,
				  size_t len);

/**
 * ktls_recv() - receive application data
 * @conn: a connection after its handshake
 * @buf: where to put it
 * @len: room in @buf (16 KiB or more avoids a copy through libktls)
 *
 * Records that are not application data are handled here: session tickets
 * are stored for resumption (with RX in the kernel too), a close_notify
 * reads as end of file, and other alerts end the connection.  A TLS 1.3
 * KeyUpdate renews the keys: in the kernel on Linux 6.14 and later;
 * before that it ends the connection with -EKEYEXPIRED (the kernel cannot
 * take new keys), never with garbled data.  A record the peer should not
 * have sent ends the connection with the fatal alert the RFCs name (sent
 * through the kernel when TX is there), and every later call returns the
 * same error.
 *
 * Return: bytes received; 0 at the peer's close_notify; -EAGAIN;
 * -ECONNABORTED (alert, see ktls_conn_alert()); -ECONNRESET (the stream
 * ended without close_notify); -EKEYEXPIRED; -EBADMSG (a record failed
 * authentication); -EMSGSIZE (a record longer than TLS allows); -EPROTO
 * (a record or message that does not belong).
 */
KTLS_MUST_CHECK ssize_t ktls_recv(struct ktls_conn *conn, void *buf,
				  size_t len);

/**
 * ktls_conn_pending() - decrypted bytes libktls holds for ktls_recv()
 * @conn: a connection after its handshake
 *
 * Counts the application data that was already read from the socket and
 * decrypted but not yet returned: with the record layer in software, the
 * rest of the record wolfSSL decrypted last; with RX in the kernel, the
 * rest of a record an earlier ktls_recv() with a small buffer read.  The
 * next ktls_recv() returns that many bytes (or as many as fit) without
 * reading the socket, so an event loop must call it even when poll()
 * does not report the fd readable (as with OpenSSL's SSL_pending() and
 * NSS's SSL_DataPending()).
 *
 * It does not count what is still in the kernel: records in the socket's
 * receive queue, which with RX in the kernel are decrypted only when read.
 * SIOCINQ/FIONREAD on the fd counts those as ciphertext bytes, headers
 * and tags included (and, with RX in the kernel, may count a record only
 * partly received), which is not the number of plaintext bytes a read
 * returns: libktls does not offer it as such.  poll() for POLLIN tells
 * whether the kernel has something.  A count of 0 therefore does not mean
 * that ktls_recv() would block, and a positive count says nothing about
 * the data behind it.
 *
 * Context: the thread that owns @conn; never blocks, never fails once the
 * handshake is done.
 * Return: the byte count (0 or more); -EINVAL for a NULL @conn or before
 * the handshake succeeded (also after it failed).
 */
KTLS_MUST_CHECK ssize_t ktls_conn_pending(const struct ktls_conn *conn);

/**
 * ktls_sendfile() - send part of a file as application data
 * @conn: a connection after its handshake
 * @in_fd: a file open for reading
 * @offset: where to start; advanced by what was sent
 * @count: how much to send
 *
 * With TX offloaded this is sendfile(2) on the socket: no copy through
 * user space.  In software it reads and encrypts 16 KiB at a time.
 *
 * Return: bytes sent; as ktls_send(); or the -errno of reading @in_fd.
 */
KTLS_MUST_CHECK ssize_t ktls_sendfile(struct ktls_conn *conn, int in_fd,
				      off_t *offset, size_t count);

/**
 * ktls_close() - send close_notify
 * @conn: a connection
 *
 * Sends a close_notify alert (through the kernel when TX is offloaded) and
 * shuts down the write side of the socket.  Reading the peer's remaining
 * data and its close_notify with ktls_recv() stays possible.  Calling it
 * again returns 0.
 *
 * Return: 0; -EAGAIN; -EPIPE or -ECONNRESET if the peer is gone.
 */
KTLS_MUST_CHECK int ktls_close(struct ktls_conn *conn);

/**
 * ktls_linger_close() - close a socket so that what was written last arrives
 * @fd: a connected TCP socket (a connection's, after ktls_conn_free())
 * @timeout_ms: how long to wait for the peer to end its stream; 0 only
 *	discards what has already arrived and never waits
 *
 * close(2) on a socket with unread input makes the kernel answer with a
 * reset, which can destroy the fatal alert or the close_notify just sent
 * before the peer reads it.  This shuts down the write side, reads and
 * discards the peer's input until the peer ends its stream, an error, or
 * @timeout_ms, then closes @fd, which is closed on every path.  Servers
 * call it in place of close(2); an event loop that must not wait passes 0.
 *
 * Return: 0; -EINVAL for a negative @fd; or the -errno of close(2).
 */
KTLS_MUST_CHECK int ktls_linger_close(int fd, unsigned int timeout_ms);

/*
 * io_uring (liburing) on connections: many connections' bulk data in one
 * event loop, with no copy through user space when the kernel has the
 * record layer.  A ring queues operations on connections after their
 * handshake; ktls_ring_wait() submits them and returns their completions.
 *
 * With TX in the kernel, ktls_ring_send() is an io_uring send and
 * ktls_ring_sendfile() splices the file into a pipe and the pipe into the
 * socket, chunk by chunk.  With RX in the kernel, ktls_ring_recv() is an
 * io_uring recvmsg that reads each record's type: session tickets and
 * KeyUpdates are taken in and the read goes on, close_notify completes it
 * with 0, an alert with -ECONNABORTED (never EIO).  A connection whose
 * record layer is in software works the same: the ring waits with
 * io_uring poll for the socket to be ready, then encrypts or decrypts
 * through wolfSSL.  So one program runs on any kernel.
 *
 * A connection may have one send or sendfile and one recv in flight at a
 * time (bytes on a stream have an order); it must not be freed, nor used
 * with ktls_send()/ktls_recv(), while it has operations in flight.  A ring
 * belongs to one thread at a time.
 */
struct ktls_ring;

enum ktls_ring_op {
	KTLS_RING_SEND = 1,
	KTLS_RING_RECV = 2,
	KTLS_RING_SENDFILE = 3,
};

/* A completed operation. */
struct ktls_ring_event {
	enum ktls_ring_op op;
	struct ktls_conn *conn;
	void *tag;			/* as given when queued */
	/*
	 * SEND, SENDFILE: the bytes sent, which is all of them unless an
	 * error came first (then the error if none was sent); SENDFILE may
	 * also stop short at the end of the file.  RECV: bytes read (at
	 * least 1), 0 for the peer's close_notify, or -errno: -ECONNABORTED
	 * (an alert), -ECONNRESET (the stream ended without close_notify),
	 * -EKEYEXPIRED, as ktls_recv().
	 */
	ssize_t res;
};

/**
 * ktls_ring_new() - an io_uring for connections' bulk data
 * @entries: submission queue size (rounded up to a power of 2); 0 for 256
 * @ringp: the ring, on success
 * Return: 0; -ENOSYS if the kernel has no io_uring (or it is disabled),
 * -EOPNOTSUPP if it lacks an opcode the ring needs (splice, recvmsg, send,
 * poll), -ENOMEM, or the -errno of io_uring_setup(2).
 */
KTLS_MUST_CHECK int ktls_ring_new(unsigned int entries,
				  struct ktls_ring **ringp);

/**
 * ktls_ring_free() - free a ring
 * @ring: a ring, or NULL; operations still in flight are cancelled first
 */
void ktls_ring_free(struct ktls_ring *ring);

/**
 * ktls_ring_fd() - the ring's fd, readable when completions wait
 * @ring: a ring
 * Return: the fd, to watch with epoll(7) beside other fds.
 */
int ktls_ring_fd(const struct ktls_ring *ring);

/**
 * ktls_ring_send() - queue a send of @len bytes
 * @ring: a ring
 * @conn: a connection after its handshake; its fd may be blocking or not
 * @buf: the data; must stay valid until the operation completes
 * @len: bytes, at least 1
 * @tag: anything; comes back in the completion
 *
 * The operation completes when all @len bytes are sent (short sends go on
 * by themselves) or on an error.  Keys are renewed at the record limit as
 * with ktls_send().
 *
 * Return: 0; -EBUSY if @conn has a send or sendfile in flight; -EINVAL;
 * -EPIPE after ktls_close(); -ENOMEM.
 */
KTLS_MUST_CHECK int ktls_ring_send(struct ktls_ring *ring,
				   struct ktls_conn *conn, const void *buf,
				   size_t len, void *tag);

/**
 * ktls_ring_recv() - queue a receive of at most @len bytes
 * @ring: a ring
 * @conn: a connection after its handshake
 * @buf: where to put them; must stay valid until the operation completes
 * @len: at least 1 (a buffer of at least 16 KiB reads a record without a
 *	 copy)
 * @tag: anything; comes back in the completion
 * Return: 0; -EBUSY if @conn has a recv in flight; -EINVAL; -ENOMEM.
 */
KTLS_MUST_CHECK int ktls_ring_recv(struct ktls_ring *ring,
				   struct ktls_conn *conn, void *buf,
				   size_t len, void *tag);

/**
 * ktls_ring_sendfile() - queue a send of part of a file
 * @ring: a ring
 * @conn: a connection after its handshake
 * @file_fd: a file open for reading; must stay open until completion
 * @offset: where to start in the file (the file offset is not used)
 * @len: bytes to send, at least 1
 * @tag: anything; comes back in the completion
 *
 * With TX in the kernel the data goes file -> pipe -> socket with
 * io_uring splice, never through user space.  The operation completes
 * when @len bytes are sent, at the end of the file, or on an error.
 *
 * Return: 0; as ktls_ring_send(); -EMFILE if no pipe could be made.
 */
KTLS_MUST_CHECK int ktls_ring_sendfile(struct ktls_ring *ring,
				       struct ktls_conn *conn, int file_fd,
				       off_t offset, size_t len, void *tag);

/**
 * ktls_ring_wait() - submit what is queued and collect completions
 * @ring: a ring
 * @ev: room for @max completions
 * @max: at least 1
 * @timeout_ms: how long to wait for the first completion: -1 for ever,
 *		0 not at all
 * Return: the number of completions in @ev (0 on timeout, or with nothing
 * in flight), or -EINTR, or the -errno of io_uring_enter(2).
 */
KTLS_MUST_CHECK int ktls_ring_wait(struct ktls_ring *ring,
				   struct ktls_ring_event *ev,
				   unsigned int max, int timeout_ms);

/**
 * ktls_ring_pending() - operations in flight
 * @ring: a ring
 * Return: how many operations were queued and have not completed.
 */
unsigned int ktls_ring_pending(const struct ktls_ring *ring);

/*
 * Sessions, for resumption.  A struct ktls_session is reference-counted:
 * each function that returns one gives the caller a reference, freed with
 * ktls_session_free(), and the library takes its own where it keeps one.
 * A session holds the secret that resumes it: keep exported sessions as
 * private as keys.  They are sealed (encrypted and authenticated) under
 * the context's session key, and only bytes that authenticate under it
 * are read back.
 *
 * Clients: a context keeps a cache keyed by peer name, port and peer id
 * (ktls_conn_set_peer_id(), as NSS's SSL_SetSockPeerID()); a client
 * connection offers the cached session for its key unless
 * ktls_conn_set_session() chose one.  TLS 1.3 servers send tickets after
 * the handshake: they are taken in by ktls_recv() (with RX in the kernel
 * too), so the session worth keeping is the one read after some data.
 *
 * Servers: a context keeps a session-ID cache (TLS 1.2) and issues
 * tickets (TLS 1.2 and 1.3) under keys wolfSSL rotates every hour, unless
 * KTLS_OPT_SESSION_TICKETS is 0.
 */
struct ktls_session;

/**
 * ktls_ctx_set_session_cache() - size and lifetime of the session caches
 * @ctx: a context
 * @size: entries in each of the client and server caches; 0 turns caching
 *	  off (default 1024)
 * @lifetime: seconds a session may be resumed (default 7200); tickets a
 *	      server issues live as long, but at most 1800 s unless
 *	      ktls_ctx_set_ticket_keys() gave the keys (wolfSSL's own
 *	      rotate every hour)
 * Return: 0; -EINVAL for a lifetime of 0 or over a week.
 */
KTLS_MUST_CHECK int ktls_ctx_set_session_cache(struct ktls_ctx *ctx,
					       unsigned int size,
					       unsigned int lifetime);

#define KTLS_TICKET_NAME_LEN 16
#define KTLS_TICKET_SECRET_LEN 32
#define KTLS_TICKET_KEYS_MAX 4

/* A session ticket key: a name sent in clear in every ticket it seals,
 * and a secret (ChaCha20-Poly1305). */
struct ktls_ticket_key {
	uint8_t name[KTLS_TICKET_NAME_LEN];
	uint8_t secret[KTLS_TICKET_SECRET_LEN];
};

/**
 * ktls_ctx_set_ticket_keys() - seal and open session tickets with these keys
 * @ctx: a server context; may be in use by other threads
 * @keys: @keys[0] seals new tickets; every key opens them (a ticket opened
 *	  with a later key resumes and is replaced by one under @keys[0])
 * @n: 1 to KTLS_TICKET_KEYS_MAX keys, with distinct names
 *
 * Replaces wolfSSL's per-context random keys, so that every context,
 * process or host given the same keys resumes the others' sessions, and
 * tickets live as long as the session lifetime.  The keys are copied; call
 * again to rotate them.  Tickets under a key no longer given get a full
 * handshake.
 *
 * Return: 0; -EINVAL for no keys, too many, or two with the same name.
 */
KTLS_MUST_CHECK int ktls_ctx_set_ticket_keys(struct ktls_ctx *ctx,
					     const struct ktls_ticket_key *keys,
					     size_t n);

#define KTLS_TICKET_DERIVE_SECRET_MIN 32
#define KTLS_TICKET_DERIVE_SECRET_MAX 4096
#define KTLS_TICKET_DERIVE_CONTEXT_MAX 1024

/**
 * ktls_ticket_key_derive() - a ticket key from a long-term secret
 * @secret: KTLS_TICKET_DERIVE_SECRET_MIN (32) to _MAX (4096) random bytes,
 *	    shared by the servers that are to resume each other's sessions
 * @len: their count
 * @label: a non-empty string naming the application and the use, such as
 *	   "handshaked ticket key v1" (the HKDF salt)
 * @context: what tells this key apart from the secret's others, such as
 *	     a profile name and a rotation period (the HKDF info); NULL
 *	     with @context_len 0 for none
 * @context_len: at most KTLS_TICKET_DERIVE_CONTEXT_MAX (1024) bytes
 * @out: the key, for ktls_ctx_set_ticket_keys(); the caller wipes it
 *
 * HKDF-SHA256 (RFC 5869) of @secret with salt @label and info @context
 * gives 48 bytes: the key's name, then its secret.  The same inputs give
 * the same key on every host and in every version of libktls, so servers
 * that share the secret and a clock derive the same keys each period
 * without exchanging them.  Nothing is kept; the intermediate bytes are
 * wiped.
 *
 * Context: any thread.
 * Return: 0; -EINVAL for a NULL or empty argument where one is needed, a
 * secret shorter or longer than allowed, or a context over its bound;
 * -EIO if wolfCrypt fails.
 */
KTLS_MUST_CHECK int ktls_ticket_key_derive(const uint8_t *secret, size_t len,
					   const char *label,
					   const void *context,
					   size_t context_len,
					   struct ktls_ticket_key *out);

/**
 * ktls_ctx_flush_sessions() - forget every cached session
 * @ctx: a context
 *
 * As NSS's SSL_ClearSessionCache().  Tickets already issued stay valid
 * until their keys rotate.
 */
void ktls_ctx_flush_sessions(struct ktls_ctx *ctx);

/**
 * ktls_conn_set_peer_id() - tell apart client sessions to the same server
 * @conn: a client connection before its handshake
 * @id: a string that becomes part of the cache key (e.g. the identity the
 *	application logs in as); NULL for none
 * Return: 0; -EINVAL for a server connection or an id over 255 bytes.
 */
KTLS_MUST_CHECK int ktls_conn_set_peer_id(struct ktls_conn *conn,
					  const char *id);

/**
 * ktls_conn_set_session() - offer a session for resumption (client)
 * @conn: a client connection before its handshake
 * @sess: the session; the connection takes its own reference
 *
 * Whether the server accepted it shows in ktls_conn_resumed().
 *
 * Return: 0; -EINVAL for a server connection, after the handshake began,
 * or for a session that cannot be resumed.
 */
KTLS_MUST_CHECK int ktls_conn_set_session(struct ktls_conn *conn,
					  struct ktls_session *sess);

/**
 * ktls_conn_get_session() - the connection's resumable session
 * @conn: a connection after its handshake
 * Return: a new reference, or NULL if there is none (yet: a TLS 1.3
 * ticket may still come) or memory ran out.
 */
struct ktls_session *ktls_conn_get_session(const struct ktls_conn *conn);

/**
 * ktls_session_ref() - take another reference
 * @sess: a session or NULL
 * Return: @sess.
 */
struct ktls_session *ktls_session_ref(struct ktls_session *sess);

/**
 * ktls_session_free() - drop a reference; the last one wipes the session
 * @sess: a session or NULL
 *
 * Context: any thread.
 */
void ktls_session_free(struct ktls_session *sess);

/**
 * ktls_session_resumable() - whether a session can be offered
 * @sess: a session or NULL
 * Return: true if it has a session ID or a ticket.
 */
bool ktls_session_resumable(const struct ktls_session *sess);

/* A TLS session ID is at most 32 bytes (RFC 5246 section 7.4.1.2). */
#define KTLS_SESSION_ID_MAX 32

/**
 * ktls_session_id() - the session ID of a session
 * @sess: a session
 * @buf: where to write it, or NULL to learn its length
 * @size: room in @buf; KTLS_SESSION_ID_MAX (32) always suffices
 *
 * The bytes are the ones wolfSSL identifies the session by, as NSS's
 * SSL_GetSessionID(): in TLS 1.2 the session ID the server chose (what a
 * server's session cache is keyed by), the same on both ends.  A TLS 1.3
 * session (which resumes by ticket only) has an ID that wolfSSL gives it
 * (32 bytes with wolfSSL 5.7), which tells sessions apart in this
 * process but names no cache entry and is not the peer's.  In TLS 1.2
 * the ID is sent in clear: fit for logs, not a secret and not a key.
 *
 * Context: any thread.
 * Return: the length (1 to KTLS_SESSION_ID_MAX), with the ID in @buf
 * unless it is NULL; -ENOSPC if @size is too small (@buf is then left
 * alone); -ENOENT if the session has no ID; -EINVAL for a NULL @sess.
 */
KTLS_MUST_CHECK ssize_t ktls_session_id(const struct ktls_session *sess,
					uint8_t *buf, size_t size);

/**
 * ktls_conn_invalidate_session() - never resume this connection's session
 * @conn: a connection after its handshake
 *
 * As NSS's SSL_InvalidateSession(): the connection goes on, but its
 * session is taken out of the context's caches and will not be resumed
 * by this process: a client drops it from its cache (and a TLS 1.3
 * ticket that arrives later is not kept), a server drops its session ID
 * from the server cache (TLS 1.2).  References taken earlier with
 * ktls_conn_get_session() stay valid objects but are no longer
 * resumable: ktls_session_resumable() is false, ktls_conn_set_session()
 * and ktls_session_export() refuse them.  ktls_conn_get_session()
 * returns NULL from then on.  Calling it again does nothing.
 *
 * What it cannot do: tickets a server already issued are sealed under
 * the context's ticket key, hold the whole session, and are not looked
 * up anywhere, so the server resumes them until that key is retired
 * (wolfSSL's own keys within the hour; keys from
 * ktls_ctx_set_ticket_keys() when the application drops them).  To
 * refuse every outstanding ticket, replace the ticket keys.  Bytes
 * exported with ktls_session_export() before the call still import and
 * resume, and other processes' caches (another process given the same
 * ticket keys) are not reached.
 *
 * Context: the thread that owns @conn; the caches may be shared with
 * other threads.
 * Return: 0; -EINVAL for a NULL @conn or before the handshake succeeded;
 * -EOPNOTSUPP in daemon mode (ktls_ctx_set_daemon(): the sessions are
 * handshaked's).
 */
KTLS_MUST_CHECK int ktls_conn_invalidate_session(struct ktls_conn *conn);

#define KTLS_SESSION_KEY_LEN 32

/**
 * ktls_ctx_set_session_key() - seal exported sessions with this key
 * @ctx: a context; may be in use by other threads
 * @key: KTLS_SESSION_KEY_LEN (32) random bytes, copied
 * @len: KTLS_SESSION_KEY_LEN
 *
 * Every context starts with a random key of its own, wiped when it is
 * freed: sessions it exports are then read back by that context only,
 * and not after it is gone.  A key the application gives (and keeps as
 * private as a private key) lets sessions outlive the process or move to
 * another one given the same key.  Sessions sealed under an earlier key
 * are refused after the key changes.
 *
 * Return: 0; -EINVAL for a NULL @key, a length other than 32, or a key
 * of all zeros (with the reason in ktls_ctx_errstr()).
 */
KTLS_MUST_CHECK int ktls_ctx_set_session_key(struct ktls_ctx *ctx,
					     const uint8_t *key, size_t len);

/**
 * ktls_session_export() - serialise a session, sealed under @ctx's key
 * @ctx: the context whose session key seals it
 * @sess: a session
 * @buf: where to write it, or NULL to learn the size
 * @size: room in @buf
 *
 * The bytes are a version byte (1), a random 12-byte nonce, wolfSSL's
 * session encrypted with AES-256-GCM, and the 16-byte tag.
 *
 * Return: the length; -ENOSPC if @size is too small (@buf is then left
 * alone); -EINVAL (also for a session ktls_conn_invalidate_session()
 * invalidated); -ENOMEM; -EIO.
 */
KTLS_MUST_CHECK ssize_t ktls_session_export(struct ktls_ctx *ctx,
					    const struct ktls_session *sess,
					    uint8_t *buf, size_t size);

/**
 * ktls_session_import() - a session from ktls_session_export()'s bytes
 * @ctx: a context with the session key that sealed them
 * @buf: the bytes
 * @len: their length
 * @sessp: set to the new session, freed with ktls_session_free()
 *
 * Nothing is parsed before the bytes authenticate under @ctx's key.
 *
 * Return: 0; -EBADMSG if the bytes are not a session sealed under this
 * key (changed, truncated, another key, another format); -EINVAL;
 * -ENOMEM; -EIO.
 */
KTLS_MUST_CHECK int ktls_session_import(struct ktls_ctx *ctx,
					const uint8_t *buf, size_t len,
					struct ktls_session **sessp);

/*
 * TLS 1.3 external pre-shared keys (RFC 8446 section 2.2), as NVMe/TCP and
 * the kernel's handshake upcall (psk mode) use them.  A PSK is an identity
 * the client sends in clear, a key both sides hold, and the hash the key
 * goes with; it replaces certificates (the server sends none), and libktls
 * always adds an (EC)DHE key exchange (psk_dhe_ke), so that the traffic
 * keys stay secret even if the PSK leaks later.  The key decides the
 * cipher: SHA-256 keys use TLS_AES_128_GCM_SHA256, SHA-384 keys
 * TLS_AES_256_GCM_SHA384 (the suites NVMe/TCP names), which must be in
 * the connection's cipher list.  PSK connections are TLS 1.3 only: the
 * TLS 1.2 PSK suites of RFC 4279 are refused by policy.  They neither
 * offer nor issue session tickets, so that a key removed from the
 * server's store ends every session that used it.
 */
enum ktls_psk_hash {
	KTLS_PSK_SHA256 = 1,
	KTLS_PSK_SHA384 = 2,
};

/* A PSK identity is 1 to KTLS_PSK_IDENTITY_MAX bytes (no NUL). */
#define KTLS_PSK_IDENTITY_MAX 1024
/* A PSK key is KTLS_PSK_KEY_MIN to KTLS_PSK_KEY_MAX bytes. */
#define KTLS_PSK_KEY_MIN 16
#define KTLS_PSK_KEY_MAX 64

/**
 * ktls_conn_set_psk() - authenticate a client connection with a PSK
 * @conn: a client connection before its handshake
 * @identity: the PSK identity, a NUL-terminated string (copied)
 * @key: the key (copied; libktls wipes its copy once the handshake ends,
 *	 and the caller wipes @key)
 * @len: its length, KTLS_PSK_KEY_MIN (16) to KTLS_PSK_KEY_MAX (64) bytes
 *	 (NVMe/TCP: 32 with SHA-256, 48 with SHA-384)
 * @hash: the hash the key goes with
 *
 * The connection then offers this identity only, and succeeds only if the
 * server takes it: a server that answers with a certificate instead (it
 * does not know the identity) fails the handshake with -ENOKEY.  The
 * peer name, trust store and KTLS_OPT_VERIFY are not used; SNI is still
 * sent when a peer name is set.  The connection uses TLS 1.3 whatever
 * KTLS_OPT_VERSION_MIN says, offers no session and keeps none
 * (ktls_conn_get_session() returns NULL).  Calling it again replaces the
 * PSK.  Not available in daemon mode (ktls_ctx_set_daemon()): the
 * handshake then fails with -EOPNOTSUPP.
 *
 * A server that holds another key for the identity answers with a
 * decrypt_error alert (illegal_parameter from wolfSSL 5.7), one that
 * knows no key for it and has no certificate with handshake_failure: the
 * handshake fails with -ECONNABORTED, and ktls_conn_errstr() says the
 * PSK was refused.
 *
 * Context: the thread that owns @conn.
 * Return: 0; -EINVAL for a server connection, after the handshake began,
 * an identity that is empty or over KTLS_PSK_IDENTITY_MAX bytes, a key
 * outside the bounds or an unknown @hash; -EPROTONOSUPPORT when
 * KTLS_OPT_VERSION_MAX is TLS 1.2 (TLS 1.2 PSK suites are refused by
 * policy); -ENOMEM.
 */
KTLS_MUST_CHECK int ktls_conn_set_psk(struct ktls_conn *conn,
				      const char *identity, const uint8_t *key,
				      size_t len, enum ktls_psk_hash hash);

/**
 * ktls_conn_psk_identity() - the PSK identity the handshake used
 * @conn: a connection after its handshake
 *
 * Return: the identity (owned by @conn) when the handshake was
 * authenticated with a PSK: on a client the one ktls_conn_set_psk() gave,
 * on a server the one its psk_find callback found; NULL for a
 * certificate handshake, a resumed one, before the handshake and for a
 * NULL @conn.
 */
const char *ktls_conn_psk_identity(const struct ktls_conn *conn);

/**
 * ktls_conn_psk_hash() - the hash of the PSK the handshake used
 * @conn: a connection after its handshake
 * Return: KTLS_PSK_SHA256 or KTLS_PSK_SHA384; 0 when
 * ktls_conn_psk_identity() is NULL.
 */
enum ktls_psk_hash ktls_conn_psk_hash(const struct ktls_conn *conn);

/*
 * Callbacks, after the four hooks of NSS (SSL_AuthCertificateHook,
 * SSL_BadCertHook, SSL_GetClientAuthDataHook, SSL_HandshakeCallback),
 * and a server's PSK lookup.
 * Each may be NULL, which keeps the safe default.  They run inside
 * ktls_conn_handshake(), on its thread, and must not call
 * ktls_conn_handshake() themselves.
 */
struct ktls_callbacks {
	/*
	 * Decide whether to trust the peer.  @der/@len is its certificate
	 * (DER) and @result the outcome of the built-in checks (chain, dates,
	 * name, CRL).  Return 0 to accept, a negative errno to reject.
	 * Default: accept exactly when @result is KTLS_VERIFY_OK.
	 */
	int (*auth_cert)(struct ktls_conn *conn, const uint8_t *der,
			 size_t len, enum ktls_verify_result result,
			 void *arg);
	/*
	 * Called when the peer was not trusted, with the reason.  Return 0
	 * to accept it anyway (the application takes responsibility, as
	 * with NSS's SSL_BadCertHook), a negative errno to reject.
	 * Default: reject.
	 */
	int (*bad_cert)(struct ktls_conn *conn, enum ktls_verify_result result,
			void *arg);
	/*
	 * Client: the server asked for a certificate.  Return the index of
	 * the context's identity to present (in ktls_ctx_add_identity()
	 * order), or a negative errno to abort the handshake.  Default:
	 * the first identity.  A context without identities sends none and
	 * is not asked.
	 */
	int (*client_auth)(struct ktls_conn *conn, void *arg);
	/* The handshake finished and the keys are where they will stay. */
	void (*handshake_done)(struct ktls_conn *conn, void *arg);
	/*
	 * Server: the client offered the TLS 1.3 external PSK @identity (a
	 * NUL-terminated string, such as NVMe/TCP's "NVMe0R01 <hostnqn>
	 * <subnqn>").  Write its key into @key, which has room for *@len
	 * (KTLS_PSK_KEY_MAX) bytes, set *@len to the key's length (16 to
	 * KTLS_PSK_KEY_MAX) and *@hash to the hash it goes with, and return
	 * 0; return -ENOENT for an identity that is not known, or another
	 * negative errno to end the handshake with it.  libktls wipes @key
	 * after use.  Default (NULL): PSKs are refused, and a client that
	 * offers one gets the certificate handshake (or a failure when the
	 * server has no identity).  Not called in daemon mode.  See
	 * ktls_conn_set_psk().
	 */
	int (*psk_find)(struct ktls_conn *conn, const char *identity,
			uint8_t *key, size_t *len, enum ktls_psk_hash *hash,
			void *arg);
	/*
	 * Server: choose the identity to present, once the client's hello
	 * is in.  @name is the server name the client sent (SNI, a
	 * NUL-terminated DNS name, valid during the call), or NULL when it
	 * sent none (a client that connects by IP address sends none);
	 * @sigs the key types its signature_algorithms accept (KTLS_SIG_*
	 * bits), 0 when the client sent no list or the wolfSSL build
	 * cannot tell (before 5.6.2, such as Debian 12's 5.5.4).  Return
	 * the index of the context's identity (in ktls_ctx_add_identity()
	 * order), or a negative errno to refuse: the handshake then fails
	 * with that errno, and the client gets an unrecognized_name alert
	 * (RFC 6066 section 3).  An index with no identity behind it fails
	 * the handshake with -EINVAL (the client gets internal_error).
	 * Default (NULL): the first identity whose certificate names @name
	 * (subjectAltName DNS, or CN), else the first one; a name that no
	 * certificate has is not refused.  Not called in daemon mode, nor
	 * for a server context without identities (PSK only).
	 */
	int (*sni)(struct ktls_conn *conn, const char *name, unsigned int sigs,
		   void *arg);
};

/* Key types a client's signature_algorithms accept (the sni callback). */
#define KTLS_SIG_RSA		(1u << 0)	/* rsa_pss_* or rsa_pkcs1_* */
#define KTLS_SIG_ECDSA		(1u << 1)	/* ecdsa_* */
#define KTLS_SIG_ED25519	(1u << 2)
#define KTLS_SIG_ED448		(1u << 3)

/**
 * ktls_ctx_set_callbacks() - default callbacks for new connections
 * @ctx: a context
 * @cbs: the callbacks (copied), or NULL for none
 * @arg: passed to each; the caller keeps it valid while it is used
 */
void ktls_ctx_set_callbacks(struct ktls_ctx *ctx,
			    const struct ktls_callbacks *cbs, void *arg);

/**
 * ktls_conn_set_callbacks() - this connection's callbacks
 * @conn: a connection before its handshake
 * @cbs: the callbacks (copied), or NULL for none
 * @arg: passed to each
 * Return: 0; -EINVAL after the handshake started.
 */
KTLS_MUST_CHECK int ktls_conn_set_callbacks(struct ktls_conn *conn,
					    const struct ktls_callbacks *cbs,
					    void *arg);

/**
 * ktls_conn_role() - the role a connection was made with
 * @conn: a connection
 * Return: KTLS_ROLE_CLIENT or KTLS_ROLE_SERVER (0 for NULL).
 */
enum ktls_role ktls_conn_role(const struct ktls_conn *conn);

/**
 * ktls_conn_key_update() - renew the keys (TLS 1.3 KeyUpdate)
 * @conn: an open TLS 1.3 connection
 *
 * Sends a KeyUpdate that also asks the peer to renew its keys (as NSS's
 * SSL_ReHandshake() did for its era), and switches TX to the new key; RX
 * follows when the peer's KeyUpdate arrives in ktls_recv().  libktls also
 * does this by itself before a key reaches its record limit.  With TX in
 * the kernel this needs Linux 6.14 or later; in software it always works.
 *
 * Return: 0; -EPROTONOSUPPORT on TLS 1.2 (renegotiation is refused);
 * -EOPNOTSUPP when the kernel cannot take new keys (nothing was sent: the
 * connection goes on with its keys); -EKEYEXPIRED or another negative
 * errno if renewing failed half way (the connection is then unusable).
 */
KTLS_MUST_CHECK int ktls_conn_key_update(struct ktls_conn *conn);

/**
 * ktls_conn_key_updates() - how often the keys were renewed
 * @conn: a connection
 * Return: KeyUpdates sent or received (in software: sent) so far.
 */
unsigned int ktls_conn_key_updates(const struct ktls_conn *conn);

/* Where one direction's records are sealed or opened. */
enum ktls_record_path {
	KTLS_PATH_NONE = 0,		/* no handshake finished yet */
	KTLS_PATH_SOFTWARE,		/* by wolfSSL, in this process */
	KTLS_PATH_KERNEL,		/* by kTLS */
};

/* ktls_conn_stats() flags: the record count of a direction is exact. */
#define KTLS_STATS_TX_RECORDS	(1u << 0)
#define KTLS_STATS_RX_RECORDS	(1u << 1)

/*
 * Counters of one connection (ktls_conn_stats()).  Fields are only ever
 * added at the end; @size says how much of the struct the caller has.
 */
struct ktls_conn_stats {
	uint32_t size;		/* in: sizeof(struct ktls_conn_stats) */
	uint32_t flags;		/* out: KTLS_STATS_* */
	uint64_t tx_bytes;	/* application data sent, plaintext */
	uint64_t rx_bytes;	/* application data received, plaintext */
	uint64_t tx_records;	/* records sent after the handshake */
	uint64_t rx_records;	/* records received after the handshake */
	uint32_t key_updates;	/* as ktls_conn_key_updates() */
	uint8_t tx_path;	/* enum ktls_record_path */
	uint8_t rx_path;
	uint16_t reserved;	/* 0 */
};

/**
 * ktls_conn_stats() - bytes, records, key updates and offload state
 * @conn: a connection
 * @st: filled; the caller sets st->size to sizeof(*st) first
 *
 * Bytes are exact on every path: libktls counts the plaintext it hands
 * to ktls_send(), ktls_sendfile(), ktls_ring_*() and returns from their
 * receiving sides.  Records are counted only where libktls sees them:
 * records wolfSSL seals or opens in software after the handshake
 * (application data, alerts, tickets and KeyUpdates alike, as TLS 1.3
 * hides their type).  Records the kernel seals or opens are invisible to
 * user space: once a direction ran in the kernel its KTLS_STATS_*_RECORDS
 * flag is clear and its count is only the software part.  Context: any
 * thread, but not concurrently with calls that move data on @conn.
 *
 * Return: 0; -EINVAL for a NULL @conn or @st, or st->size smaller than
 * the struct's first version (48 bytes).  A larger st->size from a newer
 * header gets its known fields filled and the rest zeroed.
 */
KTLS_MUST_CHECK int ktls_conn_stats(const struct ktls_conn *conn,
				    struct ktls_conn_stats *st);

/**
 * ktls_ctx_set_daemon() - run handshakes in handshaked (daemon mode)
 * @ctx: a context
 * @socket_path: handshaked's socket (handshaked.conf(5) [global] socket),
 *		 or NULL to handshake in this process again (the default)
 * @profile: the [profile] of handshaked.conf to use, which says the
 *	     identity, trust, policy and ALPN
 *
 * In daemon mode ktls_conn_handshake() passes the connection's socket to
 * handshaked, which performs the handshake with keys this process never
 * sees, installs kTLS TX and RX on that same socket and replies with the
 * result; everything after it (ktls_send(), ktls_recv(), ktls_close(),
 * the getters) works as in process.  The context's own trust store,
 * identities and options are not used, except the peer name and ALPN
 * list of each connection, which are sent along.
 *
 * On a blocking fd the handshake blocks until handshaked answers (at
 * most its handshake timeout, plus a guard).  On a non-blocking fd it
 * never blocks: it returns -EAGAIN, and the application waits for
 * ktls_conn_events() on ktls_conn_wait_fd(), the socket to handshaked,
 * with a time limit of its own; freeing the connection meanwhile
 * abandons the handshake (handshaked stops it and lets the TCP socket
 * go).  The fd's mode when the handshake starts decides; handshaked gives
 * the socket back in that mode.  When handshaked's listen queue is full,
 * the wait fd polls ready at once and the next call tries again.
 *
 * After a blocking handshake the context keeps its connection to
 * handshaked open, and the next handshake of any of its connections uses
 * it (the daemon takes requests one after another), so a process that
 * handshakes one connection after another dials once.  A socket that
 * ktls_conn_wait_fd() named is never kept: libktls closes it when the
 * handshake ends.  The kept connection counts against the daemon's
 * max_clients_per_uid until the daemon drops it as idle (after its
 * handshake_timeout), is never used by a child after fork(), and is
 * closed by ktls_ctx_free() or ktls_ctx_set_daemon().
 *
 * Other differences: there is no software fallback (handshaked refuses a
 * connection the kernel cannot offload with -EOPNOTSUPP, and the peer
 * gets an internal_error alert, before the handshake when the kernel has
 * no kTLS at all); and the handshake state stays
 * in handshaked, so TLS 1.3 tickets that arrive later are dropped and a
 * KeyUpdate from the peer ends the connection with -EKEYEXPIRED.
 *
 * Return: 0; -EINVAL for an empty profile, one over 63 bytes, or a path of
 * 108 bytes or more.
 */
KTLS_MUST_CHECK int ktls_ctx_set_daemon(struct ktls_ctx *ctx,
					const char *socket_path,
					const char *profile);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* KTLS_H */
