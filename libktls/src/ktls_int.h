/* SPDX-License-Identifier: MIT */
/*
 * ktls_int.h - what the files of libktls share and nobody else sees.
 *
 * Unit tests include this header too: they link the static objects and
 * reach the functions below directly.
 */
#ifndef KTLS_INT_H
#define KTLS_INT_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/tls.h>

#include "ktls.h"

/* Older C libraries do not name the socket level of kTLS. */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/* Every AEAD the kernel offloads takes a 12-byte nonce (salt + iv). */
#define KTLS_NONCE_SIZE 12
/* The largest key of any cipher in the table. */
#define KTLS_MAX_KEY_SIZE 32
/* rec_seq is a 64-bit big-endian record sequence number for every cipher. */
#define KTLS_REC_SEQ_SIZE 8

/*
 * One kernel crypto_info, whatever the cipher.  The kernel reads the member
 * that info.cipher_type names; ktls_crypto_info_fill() is the only code that
 * writes one.
 */
union ktls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

/* enum ktls_cipher values run 1..KTLS_CIPHER_MAX. */
#define KTLS_CIPHER_MAX 4
/* The most names a cipher answers to beside its own. */
#define KTLS_CIPHER_ALIASES 4

/* The AEAD constructions of the table, for post.c's re-sealing. */
enum ktls_aead {
	KTLS_AEAD_AES_GCM = 1,
	KTLS_AEAD_AES_CCM,
	KTLS_AEAD_CHACHA20_POLY1305,
};

/*
 * Everything libktls knows about one cipher, in one row of cipher.c's
 * table: its names, its TLS suites, wolfSSL's name for it, the AEAD that
 * re-seals a record with it, the kernel's numbers for it and where each
 * field sits in its struct tls12_crypto_info_*.  No other file names a
 * cipher: they look it up here (ktls_cipher_desc(), ktls_cipher_by_name(),
 * ktls_cipher_by_wolfssl()) or walk 1..KTLS_CIPHER_MAX.
 */
struct ktls_cipher_desc {
	enum ktls_cipher cipher;
	const char *name;		/* "AES-128-GCM" */
	/* Other names it is asked for by (OpenSSL, IANA), NULL-padded. */
	const char *aliases[KTLS_CIPHER_ALIASES];
	uint8_t default_rank;		/* 1: preferred first by default */
	uint16_t tls13_suite;		/* TLS_AES_128_GCM_SHA256 = 0x1301 */
	uint16_t tls12_ecdhe_ecdsa_suite; /* 0 when there is none */
	uint16_t tls12_ecdhe_rsa_suite;	/* 0 when there is none */
	/* TLS 1.2 sends a per-record explicit nonce (RFC 5288, 6655): the
	 * nonce is salt (implicit IV) then iv (explicit), not IV ^ seq. */
	bool tls12_explicit_nonce;
	uint8_t wolfssl_bulk;		/* enum BulkCipherAlgorithm */
	uint8_t aead;			/* enum ktls_aead */
	uint64_t record_limit;		/* records one key may protect */
	/* The kernel's view (<linux/tls.h>). */
	uint16_t cipher_type;		/* TLS_CIPHER_* */
	uint8_t key_size;
	uint8_t iv_size;		/* the part of the nonce in iv[] */
	uint8_t salt_size;		/* the part of the nonce in salt[] */
	uint8_t rec_seq_size;
	uint8_t tag_size;
	uint8_t key_offset;		/* offsets into the crypto_info */
	uint8_t iv_offset;
	uint8_t salt_offset;
	uint8_t rec_seq_offset;
	uint16_t crypto_info_size;	/* sizeof the tls12_crypto_info_* */
};

/* The largest TLS plaintext record (RFC 8446 section 5.1). */
#define KTLS_MAX_PLAINTEXT 16384
/* Header of a TLS record: type, legacy version, length. */
#define KTLS_RECORD_HDR 5
/* The largest TLSCiphertext.length any version allows (TLS 1.2: 2^14+2048). */
#define KTLS_MAX_RECORD_BODY (16384 + 2048)
#define KTLS_MAX_IDENTITIES 8
#define KTLS_ERRSTR_SIZE 256

/* TLS content types. */
#define KTLS_CT_CCS 20
#define KTLS_CT_ALERT 21
#define KTLS_CT_HANDSHAKE 22
#define KTLS_CT_APPDATA 23

/* The alerts libktls itself sends (RFC 8446 6.2). */
#define KTLS_ALERT_CLOSE_NOTIFY 0
#define KTLS_ALERT_UNEXPECTED_MESSAGE 10
#define KTLS_ALERT_BAD_RECORD_MAC 20
#define KTLS_ALERT_RECORD_OVERFLOW 22
#define KTLS_ALERT_ILLEGAL_PARAMETER 47
#define KTLS_ALERT_DECODE_ERROR 50
#define KTLS_ALERT_PROTOCOL_VERSION 70
#define KTLS_ALERT_INTERNAL_ERROR 80
#define KTLS_ALERT_UNRECOGNIZED_NAME 112

/*
 * Options a context holds as defaults and a connection copies, then may
 * override (enum ktls_opt plus the cipher and ALPN lists).
 */
struct ktls_opts {
	uint16_t version_min;
	uint16_t version_max;
	uint8_t verify;			/* enum ktls_verify */
	uint8_t verify_depth;
	bool crl_check;
	bool tickets;
	bool force_software;
	bool require_offload;		/* no software record layer */
	bool post_handshake;		/* keep wolfSSL's state (TLS 1.3) */
	uint64_t record_limit;		/* 0: the cipher's */
	uint8_t n_ciphers;
	enum ktls_cipher ciphers[KTLS_CIPHER_MAX];
	char alpn[256];			/* comma-separated, "" for none */
};

struct WOLFSSL_CTX;
struct WOLFSSL;

/*
 * A certificate chain and its key (identity.c).  Reference-counted: the
 * context holds one reference per slot, and each connection one on every
 * identity it took when its handshake started, so that
 * ktls_ctx_replace_identity() never pulls one from under a handshake.
 */
struct ktls_identity {
	unsigned int refs;		/* atomic */
	uint8_t *chain_der;		/* the chain file as read */
	size_t chain_len;
	int chain_fmt;			/* WOLFSSL_FILETYPE_PEM or _ASN1 */
	uint8_t *key_der;		/* unencrypted DER; wiped on free */
	size_t key_len;
	void *leaf;			/* WOLFSSL_X509 *, for name matching */
};

/* An LRU cache of sessions (session.c). */
struct ktls_cache_entry;
struct ktls_cache {
	pthread_mutex_t lock;
	struct ktls_cache_entry *head, *tail;	/* most recently used first */
	unsigned int count;
	unsigned int capacity;			/* 0: off */
	unsigned int lifetime;			/* seconds */
};

#define KTLS_CACHE_SIZE 1024
#define KTLS_CACHE_LIFETIME 7200
/* The longest ticket lifetime wolfSSL's hourly ticket keys allow. */
#define KTLS_TICKET_MAX 1800

struct ktls_ctx {
	struct WOLFSSL_CTX *wctx;
	struct ktls_opts opts;
	bool trust_loaded;
	bool crl_loaded;
	/* Identities: the slots are guarded by id_lock, as
	 * ktls_ctx_replace_identity() swaps them while connections take
	 * them (identity.c). */
	pthread_mutex_t id_lock;
	unsigned int n_identities;
	struct ktls_identity *ids[KTLS_MAX_IDENTITIES];
	/* The identity whose chain and key are on wctx (the first one
	 * loaded; a reference): a connection whose first identity is
	 * another puts that on its own WOLFSSL. */
	struct ktls_identity *on_wctx;
	ktls_passphrase_cb pass_cb;
	void *pass_arg;
	ktls_keylog_cb keylog_cb;	/* keylog.c: NULL, the default */
	void *keylog_arg;
	struct ktls_callbacks cbs;
	void *cb_arg;
	char *daemon_path;		/* daemon mode: handshaked's socket */
	char *daemon_profile;
	struct ktls_daemon_idle *daemon_idle;	/* daemon.c: for reuse */
	bool caches_ready;
	struct ktls_cache client_cache;	/* peer name:port/peer id */
	struct ktls_cache server_cache;	/* session ID */
	unsigned int session_lifetime;	/* seconds */
	struct ktls_tickets *tickets;	/* the application's ticket keys */
	pthread_mutex_t seal_lock;	/* guards seal_key */
	uint8_t seal_key[KTLS_SESSION_KEY_LEN];	/* seals exported sessions */
	char err[KTLS_ERRSTR_SIZE];
};

enum ktls_conn_state {
	KTLS_ST_NEW = 0,
	KTLS_ST_HANDSHAKE,
	KTLS_ST_OPEN,
	KTLS_ST_CLOSED,			/* close_notify sent or received */
	KTLS_ST_FAILED,
};

/* One DER certificate of the peer's chain. */
struct ktls_der {
	uint8_t *der;
	size_t len;
};

/*
 * A connection, in parts.  The header fields are the connection itself:
 * fixed at ktls_conn_new(), set by the application before the handshake,
 * or the state every layer reads, each with the files that write it.
 * Each part after them belongs to one file, which alone writes it (and
 * which other files call to reach it); a part that has two writers says
 * why.
 */

/* bridge.c: wolfSSL's state, and what its I/O callbacks keep. */
struct ktls_conn_tls {
	struct WOLFSSL *ssl;		/* NULL once dropped */
	int io_err;			/* -errno of the last failed I/O call */
	bool io_eof;			/* the TCP stream ended */
	bool sent_any;			/* wolfSSL sent a byte on the socket */

	/* What the recv callback has read of the current record, and
	 * handed to wolfSSL of its header. */
	uint8_t rec_hdr[KTLS_RECORD_HDR];
	size_t rec_hdr_have;
	size_t rec_hdr_given;
	size_t rec_body_left;
	bool rec_seen;			/* a record header came in */
	bool rec_ccs_seen;		/* the peer's ChangeCipherSpec came */

	/* A record for wolfSSL that libktls built (a post-handshake message
	 * the kernel decrypted, sealed again by post.c); the recv callback
	 * serves it and nothing else while feeding is set.  It stays its
	 * builder's: feed is NULL outside ktls_tls_feed(). */
	bool feeding;
	const uint8_t *feed;
	size_t feed_len;
	size_t feed_off;
	bool capturing;			/* swallow what wolfSSL sends */
	size_t captured;		/* bytes swallowed */

	/* Records wolfSSL sent and received after the handshake
	 * (ktls_conn_stats()); the send side parses headers as they go. */
	uint64_t tx_records;
	uint64_t rx_records;
	uint8_t tx_hdr[KTLS_RECORD_HDR];
	size_t tx_hdr_have;
	size_t tx_body_left;
};

/* install.c: the kernel hand-off. */
struct ktls_conn_kernel {
	int ulp_err;			/* TCP_ULP "tls": 0 or -errno */
	char offload[128];		/* why a direction is in software */
};

/* record.c: the data path. */
struct ktls_conn_data {
	bool got_close;			/* the peer's close_notify came */
	bool alert_sent;		/* we sent a fatal alert */
	/* Plaintext read from the kernel but not yet returned (a read with
	 * a small buffer, here or in ring.c: ktls_rbuf_*()). */
	uint8_t *rbuf;
	size_t rbuf_off;
	size_t rbuf_len;
	/* Application data moved, plaintext (ktls_conn_stats()); ring.c
	 * counts through ktls_data_sent() too. */
	uint64_t tx_bytes;
	uint64_t rx_bytes;
};

/* rekey.c */
struct ktls_conn_rekey {
	unsigned int key_updates;	/* keys renewed, either direction */
};

/* identity.c: the identities the connection took at its handshake. */
struct ktls_conn_ids {
	unsigned int n;
	struct ktls_identity *ids[KTLS_MAX_IDENTITIES];
};

/* ring.c */
struct ktls_conn_ring {
	bool tx, rx;			/* an operation in a ktls_ring */
};

/* resume.c: a connection's sessions. */
struct ktls_conn_sess {
	char *cache_key;		/* client: its session's cache key */
	struct ktls_session *session;	/* the latest resumable state */
	struct ktls_session *offer;	/* client: to resume */
	bool invalidated;		/* ktls_conn_invalidate_session() */
};

/*
 * conn.c: the outcome of the handshake.  In daemon mode daemon.c fills it
 * from handshaked's reply instead.
 */
struct ktls_conn_hs {
	bool resumed;
	char alpn[256];
	unsigned int n_peer_certs;
	struct ktls_der *peer_certs;
};

/* verify.c: the verdict on the peer's certificate (daemon.c: from
 * handshaked's reply). */
struct ktls_conn_verify {
	enum ktls_verify_result result;
	bool decided;			/* the leaf's verdict was given */
};

/* psk.c: a TLS 1.3 external PSK. */
struct ktls_conn_psk {
	char *identity;			/* client: offered; server: found */
	uint8_t key[KTLS_PSK_KEY_MAX];	/* client; wiped when the handshake
					 * ends */
	size_t key_len;
	enum ktls_psk_hash hash;
	bool used;			/* the handshake was authenticated
					 * by it */
	bool missed;			/* server: an identity was unknown */
	bool found;			/* server: psk_find gave a key */
	bool cb_failed;			/* server: psk_find failed (cb_err) */
	bool cert_refused;		/* client: a certificate came */
};

struct ktls_conn {
	/* Fixed by ktls_conn_new(). */
	struct ktls_ctx *ctx;
	int fd;
	enum ktls_role role;

	/* Set before the handshake (conn.c), read by every layer after. */
	struct ktls_opts opts;
	char *peer_name;
	char *peer_id;
	struct ktls_callbacks cbs;	/* called by conn.c, and by ctx.c */
	void *cb_arg;			/* (client_auth) */
	int cb_err;			/* -errno a callback refused with */

	/* The connection's life, read by every layer. */
	enum ktls_conn_state state;	/* conn.c; record.c closes */
	int fatal;			/* -errno that ended it: record.c,
					 * rekey.c */
	uint16_t version;		/* negotiated: conn.c or daemon.c */
	enum ktls_cipher cipher;
	bool tx_offloaded;		/* install.c, or daemon.c */
	bool rx_offloaded;
	bool sent_close;		/* our close_notify went: record.c */
	int alert;			/* last alert received, or -1: bridge.c,
					 * record.c, daemon.c */
	short events;			/* POLLIN or POLLOUT after -EAGAIN */
	char err[KTLS_ERRSTR_SIZE];	/* every layer says why here */

	struct ktls_conn_hs hs;
	struct ktls_conn_verify verify;
	struct ktls_conn_sess sess;
	struct ktls_conn_tls tls;
	struct ktls_conn_kernel kernel;
	struct ktls_conn_data data;
	struct ktls_conn_rekey rekey;
	struct ktls_conn_ring ring;
	struct ktls_conn_psk psk;
	struct ktls_conn_ids ids;
	struct ktls_daemon_hs *daemon;	/* daemon.c: a handshake under way */
};

/* cipher.c */
const struct ktls_cipher_desc *ktls_cipher_desc(enum ktls_cipher cipher);
const struct ktls_cipher_desc *ktls_cipher_by_name(const char *name);
const struct ktls_cipher_desc *ktls_cipher_by_wolfssl(int bulk,
						      int key_size);
KTLS_MUST_CHECK int ktls_crypto_info_fill(union ktls_crypto_info *ci,
					  size_t *lenp, uint16_t version,
					  enum ktls_cipher cipher,
					  const uint8_t *key, size_t key_len,
					  const uint8_t *nonce,
					  size_t nonce_len, uint64_t rec_seq);
void ktls_crypto_info_wipe(union ktls_crypto_info *ci);

/* policy.c */
KTLS_MUST_CHECK int ktls_policy_parse_ciphers(const char *list,
					      enum ktls_cipher *out,
					      uint8_t *n_out, char *why,
					      size_t why_size);
KTLS_MUST_CHECK int ktls_policy_set_opt(struct ktls_opts *o,
					enum ktls_opt opt, long value,
					char *why, size_t why_size);
KTLS_MUST_CHECK int ktls_policy_check_alpn(const char *list, char *why,
					   size_t why_size);
KTLS_MUST_CHECK int ktls_policy_suites(const struct ktls_opts *o,
				       uint8_t *buf, size_t size, size_t *len);
/* Room for every suite of every cipher: 3 suites of 2 bytes each. */
#define KTLS_SUITES_MAX (KTLS_CIPHER_MAX * 3 * 2)
void ktls_opts_default(struct ktls_opts *o);

/* error.c */
void ktls_set_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cert.c */
bool ktls_cert_has_ip(const uint8_t *der, size_t len, const char *ip);

/* verify.c */
bool ktls_is_ip_address(const char *name);
void ktls_verify_setup(struct ktls_conn *conn, struct WOLFSSL *ssl);
bool ktls_verify_rejected(struct ktls_conn *conn, int err);

/* identity.c */
KTLS_MUST_CHECK int ktls_identity_use(struct ktls_ctx *ctx, struct WOLFSSL *ssl,
				      const struct ktls_identity *id);
KTLS_MUST_CHECK int ktls_identity_hook_sni(struct ktls_ctx *ctx);
void ktls_identity_put(struct ktls_identity *id);
KTLS_MUST_CHECK int ktls_identity_take(struct ktls_conn *conn,
				       struct WOLFSSL *ssl);
void ktls_identity_release(struct ktls_conn *conn);
void ktls_identity_hook_cert(struct ktls_ctx *ctx);

/* session.c */
/* The longest session wolfSSL's i2d writes that import takes. */
#define KTLS_SESSION_MAX 65536
struct ktls_session *ktls_session_wrap(void *ws);
KTLS_MUST_CHECK int ktls_session_parse(const uint8_t *buf, size_t len,
				       struct ktls_session **sessp);
void *ktls_session_wolfssl(const struct ktls_session *s);
void ktls_session_invalidate(struct ktls_session *s);
bool ktls_session_invalid(const struct ktls_session *s);
void ktls_cache_init(struct ktls_cache *c, unsigned int capacity,
		     unsigned int lifetime);
void ktls_cache_configure(struct ktls_cache *c, unsigned int capacity,
			  unsigned int lifetime);
void ktls_cache_clear(struct ktls_cache *c);
void ktls_cache_destroy(struct ktls_cache *c);
KTLS_MUST_CHECK int ktls_cache_put(struct ktls_cache *c, const void *key,
				   size_t len, struct ktls_session *sess,
				   uint64_t now);
struct ktls_session *ktls_cache_get(struct ktls_cache *c, const void *key,
				    size_t len, uint64_t now);
void ktls_cache_remove(struct ktls_cache *c, const void *key, size_t len);
void ktls_cache_remove_session(struct ktls_cache *c, const void *key,
			       size_t len, const struct ktls_session *sess);
unsigned int ktls_cache_count(struct ktls_cache *c);
uint64_t ktls_now(void);
KTLS_MUST_CHECK int ktls_ctx_sessions_init(struct ktls_ctx *ctx);
void ktls_ctx_sessions_destroy(struct ktls_ctx *ctx);
KTLS_MUST_CHECK int ktls_ctx_ticket_hint(struct ktls_ctx *ctx);

/* resume.c */
KTLS_MUST_CHECK int ktls_resume_offer(struct ktls_conn *conn);
void ktls_resume_forget(struct ktls_conn *conn);
void ktls_resume_set_offer(struct ktls_conn *conn, struct ktls_session *sess);
void ktls_resume_release(struct ktls_conn *conn);
void ktls_resume_hook(struct ktls_ctx *ctx);

/* ticket.c */
struct ktls_tickets;
void ktls_tickets_free(struct ktls_tickets *t);
/*
 * wolfSSL's ticket callback, with the context's struct ktls_tickets as
 * @arg: seals (@enc) or opens @in_len bytes of @ticket in place, @name
 * (16 bytes), @iv (16) and @mac (32) beside it.  Return: a
 * WOLFSSL_TICKET_RET_* value.  Only ktls_ctx_set_ticket_keys() installs
 * it; tests call it directly.
 */
int ktls_ticket_cb(struct WOLFSSL *ssl, unsigned char *name,
		   unsigned char *iv, unsigned char *mac, int enc,
		   unsigned char *ticket, int in_len, int *out_len, void *arg);

/*
 * The record layer, bottom to top (doc/architecture.md draws it):
 * bridge.c (wolfSSL), install.c (keys to the kernel), post.c and rekey.c
 * (post-handshake messages, new keys), record.c (the data path) with
 * ring.c beside it.  Each calls only the ones below it.
 */

/* bridge.c */
void ktls_tls_attach(struct ktls_conn *conn, struct WOLFSSL *ssl);
struct WOLFSSL *ktls_tls_ssl(const struct ktls_conn *conn);
bool ktls_tls_active(const struct ktls_conn *conn);
void ktls_tls_drop(struct ktls_conn *conn);
bool ktls_tls_peer_alert(struct ktls_conn *conn, int err);
bool ktls_tls_would_block(struct ktls_conn *conn, int err);
KTLS_MUST_CHECK int ktls_tls_handshake_error(struct ktls_conn *conn, int err);
KTLS_MUST_CHECK ssize_t ktls_tls_read(struct ktls_conn *conn, void *buf,
				      size_t len);
KTLS_MUST_CHECK ssize_t ktls_tls_write(struct ktls_conn *conn,
				       const void *buf, size_t len);
KTLS_MUST_CHECK int ktls_tls_shutdown(struct ktls_conn *conn);
size_t ktls_tls_pending(const struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_tls_keys(struct ktls_conn *conn, bool own,
				  const uint8_t **key, const uint8_t **iv,
				  uint64_t *seq);
uint64_t ktls_tls_tx_seq(struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_tls_feed(struct ktls_conn *conn, const uint8_t *rec,
				  size_t len);
size_t ktls_tls_captured(const struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_tls_update_keys(struct ktls_conn *conn,
					 bool capture);

/* install.c */
KTLS_MUST_CHECK int ktls_kernel_attach(struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_install(struct ktls_conn *conn, enum ktls_dir dir);
KTLS_MUST_CHECK int ktls_offload(struct ktls_conn *conn);

/* post.c */
KTLS_MUST_CHECK int ktls_post_handshake_feed(struct ktls_conn *conn,
					     const uint8_t *msg, size_t len);
KTLS_MUST_CHECK int ktls_post_feed(struct ktls_conn *conn, const uint8_t *msg,
				   size_t len);

/* rekey.c */
bool ktls_kernel_can_rekey(void);
KTLS_MUST_CHECK int ktls_key_update_received(struct ktls_conn *conn,
					     const uint8_t *rec, size_t len);
KTLS_MUST_CHECK int ktls_tx_budget(struct ktls_conn *conn, size_t *len);

/* record.c, for ring.c and conn.c */
KTLS_MUST_CHECK int ktls_check_open(struct ktls_conn *conn);
uint8_t *ktls_rbuf(struct ktls_conn *conn);
void ktls_rbuf_filled(struct ktls_conn *conn, size_t n);
size_t ktls_rbuf_take(struct ktls_conn *conn, void *buf, size_t len);
void ktls_data_sent(struct ktls_conn *conn, ssize_t n);
void ktls_data_release(struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_io_errno(struct ktls_conn *conn, int err);
KTLS_MUST_CHECK int ktls_rx_errno(struct ktls_conn *conn, int err);
struct msghdr;
uint8_t ktls_record_type(struct msghdr *msg);
KTLS_MUST_CHECK ssize_t ktls_record_in(struct ktls_conn *conn, uint8_t *dst,
				       ssize_t n, uint8_t type, bool *more);

/* caps.c */
KTLS_MUST_CHECK int ktls_probe_rekey(void);
/* Why setsockopt(TCP_ULP, "tls") failed with @err, in words (static). */
const char *ktls_ulp_reason(int err);

/* psk.c */
bool ktls_psk_client(const struct ktls_conn *conn);
KTLS_MUST_CHECK int ktls_psk_setup(struct ktls_conn *conn,
				   struct WOLFSSL *ssl);
KTLS_MUST_CHECK int ktls_psk_handshake_error(struct ktls_conn *conn, int err);
KTLS_MUST_CHECK int ktls_psk_done(struct ktls_conn *conn);
void ktls_psk_wipe_key(struct ktls_conn *conn);
void ktls_psk_release(struct ktls_conn *conn);

/* keylog.c */
void ktls_keylog_tls12(struct ktls_conn *conn);

/* daemon.c */
KTLS_MUST_CHECK int ktls_daemon_handshake(struct ktls_conn *conn);
/* The socket to handshaked while a handshake is under way, or -1. */
int ktls_daemon_wait_fd(const struct ktls_conn *conn);
/* Abandon or finish a daemon handshake: close its socket, free it. */
void ktls_daemon_end(struct ktls_conn *conn);
/* Close the context's idle connection to handshaked, if any. */
void ktls_daemon_drop_idle(struct ktls_ctx *ctx);

/* sock.c */
KTLS_MUST_CHECK int ktls_tcp_pair(int fds[2], const char **whyp);
void ktls_close_pair(int fds[2]);
KTLS_MUST_CHECK int ktls_sock_attach_ulp(int fd);
KTLS_MUST_CHECK int ktls_sock_set_crypto(int fd, enum ktls_dir dir,
					 union ktls_crypto_info *ci,
					 size_t len);
KTLS_MUST_CHECK int ktls_send_ctrl(int fd, uint8_t type, const void *data,
				   size_t len);
KTLS_MUST_CHECK int ktls_send_alert(int fd, uint8_t desc);
void ktls_send_plain_alert(int fd, uint8_t desc);

#endif /* KTLS_INT_H */
