/* SPDX-License-Identifier: MIT */
/*
 * probe.h - tls-probe's helper layer: byte buffers, raw TLS records over
 * a TCP socket, record protection (AEAD through OpenSSL's EVP: no crypto
 * of our own), a handshake done by libssl whose keys are then taken over,
 * and the observation of what a server answers.
 */
#ifndef KTLS_TLS_PROBE_H
#define KTLS_TLS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Record content types (RFC 8446 5.1, RFC 5246 6.2.1). */
enum {
	CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23,
};

/* Alert descriptions used by the probes (RFC 8446 6, RFC 5246 7.2). */
enum {
	AL_CLOSE_NOTIFY = 0, AL_UNEXPECTED_MESSAGE = 10,
	AL_BAD_RECORD_MAC = 20, AL_RECORD_OVERFLOW = 22,
	AL_HANDSHAKE_FAILURE = 40, AL_ILLEGAL_PARAMETER = 47,
	AL_DECODE_ERROR = 50, AL_PROTOCOL_VERSION = 70,
};

/* Handshake message types. */
enum {
	HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_NEW_SESSION_TICKET = 4,
	HS_FINISHED = 20, HS_KEY_UPDATE = 24,
};

/* Named groups. */
enum {
	GRP_SECP256R1 = 0x0017, GRP_SECP384R1 = 0x0018, GRP_X25519 = 0x001d,
};

#define REC_HDR 5
#define MAX_PLAIN 16384				/* 2^14 */
#define MAX_CT13 (MAX_PLAIN + 256)		/* RFC 8446 5.2 */
#define MAX_CT12 (MAX_PLAIN + 2048)		/* RFC 5246 6.2.3 */
#define MAX_BODY 65535				/* the header's 16 bits */

/* --- byte buffers ------------------------------------------------------ */

/* A growing byte string; on allocation failure the program exits. */
struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

void buf_put(struct buf *b, const void *data, size_t len);
void buf_u8(struct buf *b, unsigned int v);
void buf_u16(struct buf *b, unsigned int v);
void buf_u24(struct buf *b, unsigned int v);
/* A length-prefixed vector: vec_open() writes a placeholder of @width
 * bytes and returns its offset, vec_close() fills it with the length of
 * what was written since. */
size_t vec_open(struct buf *b, int width);
void vec_close(struct buf *b, size_t at, int width);
void buf_free(struct buf *b);

/* --- connections and records ------------------------------------------- */

/* One direction's record protection. */
struct prot {
	bool on;
	const EVP_CIPHER *cipher;
	uint8_t key[32];
	size_t key_len;
	uint8_t iv[12];		/* 1.3 and ChaCha20: 12; 1.2 GCM: 4 (salt) */
	size_t iv_len;
	uint64_t seq;		/* next record's sequence number */
};

struct record {
	uint8_t type;
	uint16_t version;
	size_t len;
	uint8_t body[MAX_BODY];
};

struct conn {
	int fd;
	int version;		/* 12 or 13 */
	const char *cipher;	/* AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305 */
	int timeout_ms;
	bool no_trailer;	/* send nothing behind an offending record */
	struct prot tx, rx;
	const EVP_MD *md;	/* the suite's hash (TLS 1.3 KeyUpdate) */
	uint8_t tx_secret[64];	/* TLS 1.3 client application secret */
	uint8_t rx_secret[64];
	size_t secret_len;
	struct record rec;	/* the last record read */
	char err[256];		/* why a helper failed */
};

/* Connect to @host:@port; NULL with a message on stderr on failure. */
struct conn *conn_open(const char *host, const char *port, int version,
		       const char *cipher, int timeout_ms);
void conn_close(struct conn *c);

/* Write @len raw bytes.  A failed write (the server may already have
 * closed) is not an error here: what the server answered decides. */
void send_raw(struct conn *c, const void *data, size_t len);
/* TCP_CORK on or off: what is written while corked leaves in one segment
 * when uncorked. */
void cork(struct conn *c, bool on);
/* One plaintext record with header version @ver. */
void send_plain(struct conn *c, int type, unsigned int ver, const void *data,
		size_t len);
/* Protect one record with c->tx into @out (header included); returns its
 * length.  @out must hold len + 64 bytes.  TLS 1.3: @type SEAL_RAW_INNER
 * takes @data as the whole TLSInnerPlaintext (type and padding included). */
#define SEAL_RAW_INNER (-1)
size_t seal(struct conn *c, int type, const void *data, size_t len,
	    uint8_t *out);
/* seal() then send_raw(). */
void send_sealed(struct conn *c, int type, const void *data, size_t len);

/* Results of rec_read(). */
enum {
	RD_RECORD = 1, RD_EOF = 0, RD_RST = -1, RD_TIMEOUT = -2,
	RD_TRUNCATED = -3, RD_ERROR = -4,
};
/* True if input (or the end of it) arrives within @ms milliseconds. */
bool readable(struct conn *c, int ms);
/* Read one record into c->rec within the connection's timeout. */
int rec_read(struct conn *c);
/* Remove c->rx's protection from c->rec: the inner type and plaintext
 * replace the record's; false if it does not authenticate. */
bool rec_open(struct conn *c);

/* --- handshakes -------------------------------------------------------- */

/* A full handshake with libssl (read-ahead off), then c->tx and c->rx
 * hold the application keys and sequence numbers libssl would use next.
 * Returns false with c->err set. */
bool tls_handshake(struct conn *c);
/* TLS 1.3: the next client traffic secret, and c->tx from it (seq 0). */
bool tx_key_update(struct conn *c);

/* Options of a crafted ClientHello. */
struct share {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct hello {
	int version;		/* 13: supported_versions 1.3; 12: none */
	bool session_id;	/* a 32-byte legacy_session_id */
	const uint16_t *groups;
	size_t n_groups;
	struct share shares[2];
	size_t n_shares;
	bool no_key_share;	/* TLS 1.3: no key_share extension at all */
	size_t padding;		/* a padding extension of this many bytes */
	/* A second ClientHello after a HelloRetryRequest repeats the first
	 * one's random and session id (RFC 8446 4.1.2); NULL: fresh ones. */
	const uint8_t *random;	/* 32 bytes */
	const uint8_t *sid;	/* 32 bytes, with session_id */
	const uint8_t *cookie;	/* the HRR's cookie, echoed */
	size_t cookie_len;
};

/* The ClientHello handshake message (with its 4-byte header). */
void client_hello(struct buf *msg, const struct hello *h, const char *cipher);
/* A fresh X25519 public key (32 bytes), through EVP. */
bool x25519_public(uint8_t out[32]);
/* A fresh public key for @group (X25519, P-256 or P-384) in its key_share
 * encoding, into @out (133 bytes); its length, or 0. */
size_t group_public(uint16_t group, uint8_t out[133]);
/* In a ServerHello (or HRR) message @msg of @len bytes, the body of the
 * extension @type: true with @data and @dlen set if present. */
bool sh_extension(const uint8_t *msg, size_t len, unsigned int type,
		  const uint8_t **data, size_t *dlen);

/* --- what the server answered ------------------------------------------ */

enum ev_kind { EV_ALERT, EV_HANDSHAKE, EV_APPDATA, EV_CCS, EV_OTHER };

struct event {
	enum ev_kind kind;
	uint8_t type;		/* record type, or inner type */
	bool encrypted;
	bool bad_mac;		/* could not be opened */
	uint8_t a, b;		/* alert level and description; handshake:
				 * message type in a */
	size_t len;
	char text[24];		/* application data: its first bytes */
};

#define MAX_EVENTS 24

struct answer {
	struct event ev[MAX_EVENTS];
	int n;
	int end;		/* RD_EOF, RD_RST, RD_TIMEOUT, ... */
};

/* Read and classify records until the connection ends, times out, or
 * MAX_EVENTS were seen.  Protected records are opened with c->rx when it
 * is on. */
void observe(struct conn *c, struct answer *a);
/* The same, but stop after the first application data record. */
void observe_data(struct conn *c, struct answer *a);
/* The same as observe(), starting with the record already read into c->rec. */
void observe_current(struct conn *c, struct answer *a);
/* The answer in words: "alert decode_error(50), then EOF". */
void describe(const struct answer *a, char *out, size_t size);
const char *alert_name(unsigned int desc);

/* True if the answer is NewSessionTickets at most, exactly one fatal
 * alert whose description is among @want (@n of them), then EOF (FIN).
 * Otherwise false, with why in @why. */
bool one_alert(const struct conn *c, const struct answer *a,
	       const uint8_t *want, size_t n, char *why, size_t size);

/* Fill @p with @len bytes from the RNG (not secret: test data). */
void rand_fill(void *p, size_t len);

#endif /* KTLS_TLS_PROBE_H */
