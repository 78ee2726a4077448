// SPDX-License-Identifier: MIT
/*
 * probe-lib.c - tls-probe's helper layer: see probe.h.  Crypto comes from
 * OpenSSL (EVP AEADs, EVP_PKEY_HKDF, EVP_PKEY_TLS1_PRF, X25519); this file
 * only frames records and lays out nonces and additional data, as
 * RFC 8446 5.2-5.3 and RFC 5246 6.2.3.3 (RFC 7905 for ChaCha20) say.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "probe.h"

#define TAG_LEN 16

/* --- byte buffers ------------------------------------------------------ */

void buf_put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			fprintf(stderr, "tls-probe: out of memory\n");
			exit(2);
		}
		b->p = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

void buf_u8(struct buf *b, unsigned int v)
{
	uint8_t x = (uint8_t)v;

	buf_put(b, &x, 1);
}

void buf_u16(struct buf *b, unsigned int v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_put(b, x, 2);
}

void buf_u24(struct buf *b, unsigned int v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	buf_put(b, x, 3);
}

size_t vec_open(struct buf *b, int width)
{
	static const uint8_t zero[3];
	size_t at = b->len;

	buf_put(b, zero, (size_t)width);
	return at;
}

void vec_close(struct buf *b, size_t at, int width)
{
	size_t len = b->len - at - (size_t)width;
	int i;

	for (i = width - 1; i >= 0; i--, len >>= 8)
		b->p[at + (size_t)i] = (uint8_t)len;
}

void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void rand_fill(void *p, size_t len)
{
	if (RAND_bytes(p, (int)len) != 1) {
		fprintf(stderr, "tls-probe: RAND_bytes failed\n");
		exit(2);
	}
}

/* --- connections ------------------------------------------------------- */

struct conn *conn_open(const char *host, const char *port, int version,
		       const char *cipher, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *p;
	struct conn *c;
	int one = 1, rc, fd = -1;

	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "tls-probe: %s:%s: %s\n", host, port,
			gai_strerror(rc));
		return NULL;
	}
	for (p = ai; p; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC,
			    p->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		fprintf(stderr, "tls-probe: connect %s:%s: %s\n", host, port,
			strerror(errno));
		return NULL;
	}
	/* Each crafted record leaves at once, in a segment of its own. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	{
		struct timeval tv = { .tv_sec = timeout_ms / 1000,
			.tv_usec = (timeout_ms % 1000) * 1000 };

		/* libssl's handshake reads block at most this long. */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->version = version;
	c->cipher = cipher;
	c->timeout_ms = timeout_ms;
	return c;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	close(c->fd);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void send_raw(struct conn *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void cork(struct conn *c, bool on)
{
	int v = on;

	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v));
}

static void put_header(uint8_t *h, int type, unsigned int ver, size_t len)
{
	h[0] = (uint8_t)type;
	h[1] = (uint8_t)(ver >> 8);
	h[2] = (uint8_t)ver;
	h[3] = (uint8_t)(len >> 8);
	h[4] = (uint8_t)len;
}

void send_plain(struct conn *c, int type, unsigned int ver, const void *data,
		size_t len)
{
	struct buf b = { 0 };
	uint8_t h[REC_HDR];

	put_header(h, type, ver, len);
	buf_put(&b, h, sizeof(h));
	buf_put(&b, data, len);
	send_raw(c, b.p, b.len);
	buf_free(&b);
}

bool readable(struct conn *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	return poll(&pfd, 1, ms) > 0;
}

/* Read exactly @len bytes, waiting at most the connection's timeout for
 * each piece. */
static int read_full(struct conn *c, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		int rc = poll(&pfd, 1, c->timeout_ms);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0)
			return got ? RD_TRUNCATED : RD_TIMEOUT;
		n = recv(c->fd, p + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return RD_RST;
		if (n < 0) {
			snprintf(c->err, sizeof(c->err), "recv: %s",
				 strerror(errno));
			return RD_ERROR;
		}
		if (n == 0)
			return got ? RD_TRUNCATED : RD_EOF;
		got += (size_t)n;
	}
	return RD_RECORD;
}

int rec_read(struct conn *c)
{
	uint8_t h[REC_HDR];
	int rc = read_full(c, h, sizeof(h));

	if (rc != RD_RECORD)
		return rc;
	c->rec.type = h[0];
	c->rec.version = (uint16_t)(h[1] << 8 | h[2]);
	c->rec.len = (size_t)(h[3] << 8 | h[4]);
	rc = read_full(c, c->rec.body, c->rec.len);
	if (rc == RD_EOF || rc == RD_TIMEOUT)
		return c->rec.len ? RD_TRUNCATED : RD_RECORD;
	return rc;
}

/* --- record protection -------------------------------------------------- */

static bool is_tls12_gcm(const struct conn *c, const struct prot *p)
{
	return c->version == 12 && p->iv_len == 4;
}

/* The per-record nonce: the IV XORed with the sequence number (TLS 1.3,
 * and TLS 1.2 ChaCha20), or salt || explicit nonce (TLS 1.2 GCM, whose
 * explicit part we take from the sequence number, as most peers do). */
static void make_nonce(const struct conn *c, const struct prot *p,
		       uint8_t nonce[12])
{
	int i;

	if (is_tls12_gcm(c, p)) {
		memcpy(nonce, p->iv, 4);
		for (i = 0; i < 8; i++)
			nonce[4 + i] = (uint8_t)(p->seq >> (56 - 8 * i));
		return;
	}
	memcpy(nonce, p->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(p->seq >> (8 * i));
}

/* TLS 1.2 additional data: seq_num + type + version + length. */
static void aad12(const struct prot *p, int type, size_t len, uint8_t a[13])
{
	int i;

	for (i = 0; i < 8; i++)
		a[i] = (uint8_t)(p->seq >> (56 - 8 * i));
	put_header(a + 8, type, 0x0303, len);
}

static bool aead(const struct prot *p, bool enc, const uint8_t nonce[12],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = x && EVP_CipherInit_ex(x, p->cipher, NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(x, NULL, NULL, p->key, nonce, enc) &&
	     (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
					 tag)) &&
	     EVP_CipherUpdate(x, NULL, &n, aad, (int)aad_len) &&
	     (len == 0 || EVP_CipherUpdate(x, out, &n, in, (int)len)) &&
	     EVP_CipherFinal_ex(x, out + len, &n) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
					  tag));
	EVP_CIPHER_CTX_free(x);
	return ok;
}

size_t seal(struct conn *c, int type, const void *data, size_t len,
	    uint8_t *out)
{
	struct prot *p = &c->tx;
	uint8_t nonce[12], *body = out + REC_HDR;
	size_t n;

	make_nonce(c, p, nonce);
	if (c->version == 13) {
		/* TLSInnerPlaintext: content || type, no padding; with
		 * SEAL_RAW_INNER, @data is the whole TLSInnerPlaintext. */
		size_t in_len = type == SEAL_RAW_INNER ? len : len + 1;
		uint8_t *inner = malloc(in_len + 1);

		if (!inner)
			exit(2);
		memcpy(inner, data, len);
		inner[len] = (uint8_t)type;
		n = in_len + TAG_LEN;
		put_header(out, CT_APPDATA, 0x0303, n);
		if (!aead(p, true, nonce, out, REC_HDR, inner, in_len, body,
			  body + in_len))
			exit(2);
		free(inner);
	} else {
		uint8_t a[13];
		size_t x = is_tls12_gcm(c, p) ? 8 : 0;

		aad12(p, type, len, a);
		n = x + len + TAG_LEN;
		put_header(out, type, 0x0303, n);
		memcpy(body, nonce + 4, x);
		if (!aead(p, true, nonce, a, sizeof(a), data, len, body + x,
			  body + x + len))
			exit(2);
	}
	p->seq++;
	return REC_HDR + n;
}

void send_sealed(struct conn *c, int type, const void *data, size_t len)
{
	uint8_t *rec = malloc(len + 64);

	if (!rec)
		exit(2);
	send_raw(c, rec, seal(c, type, data, len, rec));
	free(rec);
}

bool rec_open(struct conn *c)
{
	struct prot *p = &c->rx;
	struct record *r = &c->rec;
	uint8_t nonce[12], *out;
	size_t n;

	make_nonce(c, p, nonce);
	if (c->version == 13) {
		uint8_t h[REC_HDR];

		if (r->len < TAG_LEN + 1)
			return false;
		n = r->len - TAG_LEN;
		put_header(h, r->type, r->version, r->len);
		out = malloc(n);
		if (!out)
			exit(2);
		if (!aead(p, false, nonce, h, sizeof(h), r->body, n, out,
			  r->body + n)) {
			free(out);
			return false;
		}
		/* Strip the padding; the last non-zero byte is the type. */
		while (n && out[n - 1] == 0)
			n--;
		r->type = n ? out[n - 1] : 0;
		r->len = n ? n - 1 : 0;
	} else {
		uint8_t a[13];
		size_t x = is_tls12_gcm(c, p) ? 8 : 0;

		if (r->len < x + TAG_LEN)
			return false;
		n = r->len - x - TAG_LEN;
		if (x)
			memcpy(nonce + 4, r->body, 8);
		aad12(p, r->type, n, a);
		out = malloc(n + 1);
		if (!out)
			exit(2);
		if (!aead(p, false, nonce, a, sizeof(a), r->body + x, n, out,
			  r->body + x + n)) {
			free(out);
			return false;
		}
		r->len = n;
	}
	memcpy(r->body, out, r->len);
	free(out);
	p->seq++;
	return true;
}

/* --- key derivation ----------------------------------------------------- */

/* HKDF-Expand-Label(secret, label, "", len), RFC 8446 7.1. */
static bool expand_label(const EVP_MD *md, const uint8_t *secret,
			 size_t secret_len, const char *label, uint8_t *out,
			 size_t len)
{
	struct buf info = { 0 };
	EVP_PKEY_CTX *x = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t at, out_len = len;
	bool ok;

	buf_u16(&info, (unsigned int)len);
	at = vec_open(&info, 1);
	buf_put(&info, "tls13 ", 6);
	buf_put(&info, label, strlen(label));
	vec_close(&info, at, 1);
	buf_u8(&info, 0);		/* empty context */
	ok = x && EVP_PKEY_derive_init(x) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_mode(x,
			EVP_PKEY_HKDEF_MODE_EXPAND_ONLY) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(x, md) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(x, secret, (int)secret_len) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(x, info.p, (int)info.len) > 0 &&
	     EVP_PKEY_derive(x, out, &out_len) > 0 && out_len == len;
	EVP_PKEY_CTX_free(x);
	buf_free(&info);
	return ok;
}

static const EVP_CIPHER *cipher_of(const char *name)
{
	if (!strcmp(name, "AES-128-GCM"))
		return EVP_aes_128_gcm();
	if (!strcmp(name, "AES-256-GCM"))
		return EVP_aes_256_gcm();
	if (!strcmp(name, "CHACHA20-POLY1305"))
		return EVP_chacha20_poly1305();
	return NULL;
}

static bool keys13(struct conn *c, struct prot *p, const uint8_t *secret)
{
	p->cipher = cipher_of(c->cipher);
	p->key_len = (size_t)EVP_CIPHER_key_length(p->cipher);
	p->iv_len = 12;
	p->seq = 0;
	p->on = expand_label(c->md, secret, c->secret_len, "key", p->key,
			     p->key_len) &&
		expand_label(c->md, secret, c->secret_len, "iv", p->iv, 12);
	return p->on;
}

bool tx_key_update(struct conn *c)
{
	uint8_t next[64];

	if (!expand_label(c->md, c->tx_secret, c->secret_len, "traffic upd",
			  next, c->secret_len))
		return false;
	memcpy(c->tx_secret, next, c->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	return keys13(c, &c->tx, c->tx_secret);
}

/* TLS 1.2 key block (RFC 5246 6.3), AEAD suites: no MAC keys;
 * client key, server key, client IV, server IV. */
static bool keys12(struct conn *c, SSL *ssl)
{
	const EVP_MD *md = SSL_CIPHER_get_handshake_digest(
				SSL_get_current_cipher(ssl));
	const EVP_CIPHER *ciph = cipher_of(c->cipher);
	uint8_t master[48], cr[32], sr[32], block[2 * 32 + 2 * 12];
	size_t mlen, klen, ivlen, blen;
	EVP_PKEY_CTX *x;
	bool ok;

	if (!md || !ciph)
		return false;
	mlen = SSL_SESSION_get_master_key(SSL_get_session(ssl), master,
					  sizeof(master));
	if (mlen != sizeof(master) ||
	    SSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr) ||
	    SSL_get_server_random(ssl, sr, sizeof(sr)) != sizeof(sr))
		return false;
	klen = (size_t)EVP_CIPHER_key_length(ciph);
	ivlen = ciph == EVP_chacha20_poly1305() ? 12 : 4;
	blen = 2 * klen + 2 * ivlen;
	x = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);
	ok = x && EVP_PKEY_derive_init(x) > 0 &&
	     EVP_PKEY_CTX_set_tls1_prf_md(x, md) > 0 &&
	     EVP_PKEY_CTX_set1_tls1_prf_secret(x, master, (int)mlen) > 0 &&
	     EVP_PKEY_CTX_add1_tls1_prf_seed(x,
			(const unsigned char *)"key expansion", 13) > 0 &&
	     EVP_PKEY_CTX_add1_tls1_prf_seed(x, sr, 32) > 0 &&
	     EVP_PKEY_CTX_add1_tls1_prf_seed(x, cr, 32) > 0 &&
	     EVP_PKEY_derive(x, block, &blen) > 0 &&
	     blen == 2 * klen + 2 * ivlen;
	EVP_PKEY_CTX_free(x);
	OPENSSL_cleanse(master, sizeof(master));
	if (!ok)
		return false;
	c->tx.cipher = c->rx.cipher = ciph;
	c->tx.key_len = c->rx.key_len = klen;
	c->tx.iv_len = c->rx.iv_len = ivlen;
	memcpy(c->tx.key, block, klen);
	memcpy(c->rx.key, block + klen, klen);
	memcpy(c->tx.iv, block + 2 * klen, ivlen);
	memcpy(c->rx.iv, block + 2 * klen + ivlen, ivlen);
	/* Each side's Finished was record 0 under these keys. */
	c->tx.seq = c->rx.seq = 1;
	c->tx.on = c->rx.on = true;
	OPENSSL_cleanse(block, sizeof(block));
	return true;
}

/* NSS key log lines from libssl: keep the TLS 1.3 application secrets. */
static void keylog(const SSL *ssl, const char *line)
{
	struct conn *c = SSL_get_app_data(ssl);
	const char *hex;
	uint8_t *dst;
	size_t n = 0;

	if (!strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24))
		dst = c->tx_secret;
	else if (!strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24))
		dst = c->rx_secret;
	else
		return;
	hex = strchr(line + 24, ' ');
	if (!hex)
		return;
	for (hex++; hex[0] && hex[1] && n < sizeof(c->tx_secret); hex += 2) {
		unsigned int v;

		if (sscanf(hex, "%2x", &v) != 1)
			break;
		dst[n++] = (uint8_t)v;
	}
	c->secret_len = n;
}

static const char *suite13(const char *cipher)
{
	if (!strcmp(cipher, "AES-256-GCM"))
		return "TLS_AES_256_GCM_SHA384";
	if (!strcmp(cipher, "CHACHA20-POLY1305"))
		return "TLS_CHACHA20_POLY1305_SHA256";
	return "TLS_AES_128_GCM_SHA256";
}

static const char *suite12(const char *cipher)
{
	if (!strcmp(cipher, "AES-256-GCM"))
		return "ECDHE-ECDSA-AES256-GCM-SHA384:"
		       "ECDHE-RSA-AES256-GCM-SHA384";
	if (!strcmp(cipher, "CHACHA20-POLY1305"))
		return "ECDHE-ECDSA-CHACHA20-POLY1305:"
		       "ECDHE-RSA-CHACHA20-POLY1305";
	return "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
}

static void ssl_error(struct conn *c, const char *what)
{
	unsigned long e = ERR_get_error();
	char s[160] = "no OpenSSL error";

	if (e)
		ERR_error_string_n(e, s, sizeof(s));
	snprintf(c->err, sizeof(c->err), "%s: %s", what, s);
	ERR_clear_error();
}

bool tls_handshake(struct conn *c)
{
	int v = c->version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	bool ok = false;

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, v) ||
	    !SSL_CTX_set_max_proto_version(ctx, v) ||
	    (c->version == 13 &&
	     !SSL_CTX_set_ciphersuites(ctx, suite13(c->cipher))) ||
	    (c->version == 12 &&
	     !SSL_CTX_set_cipher_list(ctx, suite12(c->cipher)))) {
		ssl_error(c, "SSL_CTX setup");
		goto out;
	}
	SSL_CTX_set_keylog_callback(ctx, keylog);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, c->fd)) {
		ssl_error(c, "SSL_new");
		goto out;
	}
	/* Read-ahead off: libssl reads a header, then exactly its body, so
	 * whatever the server sends after its Finished stays in the socket
	 * for us. */
	SSL_set_read_ahead(ssl, 0);
	SSL_set_app_data(ssl, c);
	SSL_set_tlsext_host_name(ssl, "localhost");
	if (SSL_connect(ssl) != 1) {
		ssl_error(c, "handshake (libssl)");
		goto out;
	}
	if (SSL_version(ssl) != v) {
		snprintf(c->err, sizeof(c->err), "negotiated %s",
			 SSL_get_version(ssl));
		goto out;
	}
	if (c->version == 13) {
		c->md = SSL_CIPHER_get_handshake_digest(
				SSL_get_current_cipher(ssl));
		ok = c->md && c->secret_len == (size_t)EVP_MD_size(c->md) &&
		     keys13(c, &c->tx, c->tx_secret) &&
		     keys13(c, &c->rx, c->rx_secret);
	} else {
		ok = keys12(c, ssl);
	}
	if (!ok)
		snprintf(c->err, sizeof(c->err),
			 "could not derive the traffic keys");
out:
	/* No SSL_shutdown: nothing more may be written by libssl.  The
	 * socket BIO does not close the fd. */
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return ok;
}

/* --- ClientHello ------------------------------------------------------- */

bool x25519_public(uint8_t out[32])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t len = 32;
	bool ok = k && EVP_PKEY_get_raw_public_key(k, out, &len) && len == 32;

	EVP_PKEY_free(k);
	return ok;
}

size_t group_public(uint16_t group, uint8_t out[133])
{
	const char *curve = group == GRP_SECP256R1 ? "P-256" :
			    group == GRP_SECP384R1 ? "P-384" : NULL;
	unsigned char *pub = NULL;
	EVP_PKEY *k;
	size_t n;

	if (group == GRP_X25519)
		return x25519_public(out) ? 32 : 0;
	if (!curve)
		return 0;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	n = k ? EVP_PKEY_get1_encoded_public_key(k, &pub) : 0;
	if (n > 133)
		n = 0;
	if (n)
		memcpy(out, pub, n);
	OPENSSL_free(pub);
	EVP_PKEY_free(k);
	return n;
}

bool sh_extension(const uint8_t *msg, size_t len, unsigned int type,
		  const uint8_t **data, size_t *dlen)
{
	/* type(1) length(3) version(2) random(32) session_id<0..32>
	 * cipher_suite(2) compression(1) extensions<6..2^16-1> */
	size_t at = 4 + 2 + 32, end;

	if (len < at + 1 || len < at + 1 + msg[at] + 3 + 2)
		return false;
	at += 1 + msg[at] + 3;
	end = at + 2 + ((size_t)msg[at] << 8 | msg[at + 1]);
	if (end > len)
		return false;
	for (at += 2; at + 4 <= end;) {
		unsigned int t = (unsigned int)(msg[at] << 8 | msg[at + 1]);
		size_t n = (size_t)(msg[at + 2] << 8 | msg[at + 3]);

		if (at + 4 + n > end)
			return false;
		if (t == type) {
			*data = msg + at + 4;
			*dlen = n;
			return true;
		}
		at += 4 + n;
	}
	return false;
}

static void suites(struct buf *b, int version, const char *cipher)
{
	static const struct {
		const char *name;
		uint16_t s13, ecdsa12, rsa12;
	} t[] = {
		{ "AES-128-GCM", 0x1301, 0xc02b, 0xc02f },
		{ "AES-256-GCM", 0x1302, 0xc02c, 0xc030 },
		{ "CHACHA20-POLY1305", 0x1303, 0xcca9, 0xcca8 },
	};
	size_t i, at = vec_open(b, 2);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (cipher && strcmp(cipher, t[i].name))
			continue;
		if (version == 13) {
			buf_u16(b, t[i].s13);
		} else {
			buf_u16(b, t[i].ecdsa12);
			buf_u16(b, t[i].rsa12);
		}
	}
	vec_close(b, at, 2);
}

static size_t ext_open(struct buf *b, unsigned int type)
{
	buf_u16(b, type);
	return vec_open(b, 2);
}

void client_hello(struct buf *msg, const struct hello *h, const char *cipher)
{
	static const uint16_t sigalgs[] = {
		0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401,
		0x0501, 0x0601, 0x0807,
	};
	static const uint16_t dflt_groups[] = { GRP_X25519, GRP_SECP256R1 };
	const uint16_t *groups = h->groups ? h->groups : dflt_groups;
	size_t n_groups = h->groups ? h->n_groups : 2;
	size_t msg_at, exts, e, v, i;
	uint8_t random[32];

	buf_u8(msg, HS_CLIENT_HELLO);
	msg_at = vec_open(msg, 3);
	buf_u16(msg, 0x0303);
	rand_fill(random, sizeof(random));
	buf_put(msg, h->random ? h->random : random, sizeof(random));
	v = vec_open(msg, 1);
	if (h->session_id) {
		rand_fill(random, sizeof(random));
		buf_put(msg, h->sid ? h->sid : random, sizeof(random));
	}
	vec_close(msg, v, 1);
	suites(msg, h->version, cipher);
	buf_u8(msg, 1);			/* compression methods: null */
	buf_u8(msg, 0);
	exts = vec_open(msg, 2);

	e = ext_open(msg, 0);		/* server_name: localhost */
	v = vec_open(msg, 2);
	buf_u8(msg, 0);
	buf_u16(msg, 9);
	buf_put(msg, "localhost", 9);
	vec_close(msg, v, 2);
	vec_close(msg, e, 2);

	e = ext_open(msg, 10);		/* supported_groups */
	v = vec_open(msg, 2);
	for (i = 0; i < n_groups; i++)
		buf_u16(msg, groups[i]);
	vec_close(msg, v, 2);
	vec_close(msg, e, 2);

	e = ext_open(msg, 11);		/* ec_point_formats: uncompressed */
	buf_u8(msg, 1);
	buf_u8(msg, 0);
	vec_close(msg, e, 2);

	e = ext_open(msg, 13);		/* signature_algorithms */
	v = vec_open(msg, 2);
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		buf_u16(msg, sigalgs[i]);
	vec_close(msg, v, 2);
	vec_close(msg, e, 2);

	e = ext_open(msg, 23);		/* extended_master_secret */
	vec_close(msg, e, 2);

	if (h->version == 13) {
		e = ext_open(msg, 43);	/* supported_versions: 1.3 */
		buf_u8(msg, 2);
		buf_u16(msg, 0x0304);
		vec_close(msg, e, 2);

		e = ext_open(msg, 45);	/* psk_key_exchange_modes: psk_dhe */
		buf_u8(msg, 1);
		buf_u8(msg, 1);
		vec_close(msg, e, 2);

		if (!h->no_key_share) {
			e = ext_open(msg, 51);	/* key_share */
			v = vec_open(msg, 2);
			for (i = 0; i < h->n_shares; i++) {
				size_t k;

				buf_u16(msg, h->shares[i].group);
				k = vec_open(msg, 2);
				buf_put(msg, h->shares[i].data,
					h->shares[i].len);
				vec_close(msg, k, 2);
			}
			vec_close(msg, v, 2);
			vec_close(msg, e, 2);
		}
	}
	if (h->cookie) {
		e = ext_open(msg, 44);	/* cookie, from the HRR */
		v = vec_open(msg, 2);
		buf_put(msg, h->cookie, h->cookie_len);
		vec_close(msg, v, 2);
		vec_close(msg, e, 2);
	}
	if (h->padding) {
		e = ext_open(msg, 21);	/* padding (RFC 7685) */
		for (i = 0; i < h->padding; i++)
			buf_u8(msg, 0);
		vec_close(msg, e, 2);
	}
	vec_close(msg, exts, 2);
	vec_close(msg, msg_at, 3);
}

/* --- observing the answer ---------------------------------------------- */

const char *alert_name(unsigned int desc)
{
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 47: return "illegal_parameter";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	default: return "unknown";
	}
}

static void classify(struct conn *c, struct event *ev)
{
	struct record *r = &c->rec;

	ev->type = r->type;
	ev->len = r->len;
	switch (r->type) {
	case CT_ALERT:
		ev->kind = EV_ALERT;
		if (r->len >= 2) {
			ev->a = r->body[0];
			ev->b = r->body[1];
		}
		break;
	case CT_HANDSHAKE:
		ev->kind = EV_HANDSHAKE;
		ev->a = r->len ? r->body[0] : 0;
		break;
	case CT_APPDATA: {
		size_t i, n = r->len < sizeof(ev->text) - 1 ?
			      r->len : sizeof(ev->text) - 1;

		ev->kind = EV_APPDATA;
		for (i = 0; i < n; i++)
			ev->text[i] = r->body[i] >= 32 && r->body[i] < 127 ?
				      (char)r->body[i] : '.';
		ev->text[n] = '\0';
		break;
	}
	case CT_CCS:
		ev->kind = EV_CCS;
		break;
	default:
		ev->kind = EV_OTHER;
	}
}

/* Count the record in c->rec as the answer's next event. */
static void add_event(struct conn *c, struct answer *a)
{
	struct event *ev = &a->ev[a->n++];

	/* TLS 1.3 protects only records of type 23 (a plaintext alert there
	 * is a finding of its own); TLS 1.2 all of them once the keys are
	 * on. */
	if (c->rx.on && (c->version == 12 || c->rec.type == CT_APPDATA)) {
		ev->encrypted = true;
		if (!rec_open(c)) {
			ev->bad_mac = true;
			ev->kind = EV_OTHER;
			ev->type = c->rec.type;
			ev->len = c->rec.len;
			return;
		}
	}
	classify(c, ev);
}

static void observe_rest(struct conn *c, struct answer *a, bool data)
{
	while (a->n < MAX_EVENTS) {
		int rc = rec_read(c);

		if (rc != RD_RECORD) {
			a->end = rc;
			return;
		}
		add_event(c, a);
		if (data && a->ev[a->n - 1].kind == EV_APPDATA) {
			a->end = RD_RECORD;
			return;
		}
	}
	a->end = RD_RECORD;	/* more than MAX_EVENTS */
}

void observe(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	observe_rest(c, a, false);
}

void observe_data(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	observe_rest(c, a, true);
}

void observe_current(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	add_event(c, a);
	observe_rest(c, a, false);
}

static const char *end_name(int end)
{
	switch (end) {
	case RD_EOF: return "EOF";
	case RD_RST: return "RST (connection reset)";
	case RD_TIMEOUT: return "nothing more (the connection stays open)";
	case RD_TRUNCATED: return "a truncated record, then EOF";
	case RD_RECORD: return "more records";
	default: return "a read error";
	}
}

static size_t event_text(const struct event *ev, char *out, size_t size)
{
	const char *enc = ev->encrypted ? "" : "plaintext ";
	int n;

	if (ev->bad_mac)
		n = snprintf(out, size, "a record (type %u, %zu bytes) that "
			     "does not open with the server's keys",
			     ev->type, ev->len);
	else if (ev->kind == EV_ALERT && ev->len == 2)
		n = snprintf(out, size, "%salert %s%s(%u)", enc,
			     ev->a == 1 ? "warning " : ev->a == 2 ? "" :
			     "level? ", alert_name(ev->b), ev->b);
	else if (ev->kind == EV_HANDSHAKE && ev->a == HS_NEW_SESSION_TICKET)
		n = snprintf(out, size, "%sNewSessionTicket", enc);
	else if (ev->kind == EV_HANDSHAKE)
		n = snprintf(out, size, "%shandshake msg %u (%zu bytes)", enc,
			     ev->a, ev->len);
	else if (ev->kind == EV_APPDATA && !ev->encrypted)
		n = snprintf(out, size, "encrypted record (%zu bytes)",
			     ev->len);
	else if (ev->kind == EV_APPDATA)
		n = snprintf(out, size, "app data \"%s\" (%zu bytes)",
			     ev->text, ev->len);
	else if (ev->kind == EV_CCS)
		n = snprintf(out, size, "%sChangeCipherSpec", enc);
	else
		n = snprintf(out, size, "%srecord type %u (%zu bytes)", enc,
			     ev->type, ev->len);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void describe(const struct answer *a, char *out, size_t size)
{
	size_t at = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < a->n && at + 1 < size; i++) {
		at += event_text(&a->ev[i], out + at, size - at);
		if (at + 3 < size) {
			memcpy(out + at, ", ", 3);
			at += 2;
		}
	}
	snprintf(out + at, size - at, "%s%s", a->n ? "then " : "no record, ",
		 end_name(a->end));
}

bool one_alert(const struct conn *c, const struct answer *a,
	       const uint8_t *want, size_t n, char *why, size_t size)
{
	char got[1024], exp[256];
	size_t i, at = 0;
	int e = 0;
	bool ok = false;

	/* TLS 1.3 NewSessionTickets may come before the alert. */
	while (e < a->n && a->ev[e].kind == EV_HANDSHAKE &&
	       a->ev[e].encrypted && a->ev[e].a == HS_NEW_SESSION_TICKET)
		e++;
	if (e == a->n - 1 && a->end == RD_EOF) {
		const struct event *ev = &a->ev[e];

		ok = ev->kind == EV_ALERT && ev->len == 2 && ev->a == 2 &&
		     !ev->bad_mac && ev->encrypted == c->rx.on;
		for (i = 0; ok && i < n; i++)
			if (ev->b == want[i])
				break;
		ok = ok && i < n;
	}
	if (ok)
		return true;
	for (i = 0; i < n && at < sizeof(exp); i++) {
		int k = snprintf(exp + at, sizeof(exp) - at, "%s%s(%u)",
				 i ? " or " : "", alert_name(want[i]), want[i]);

		if (k < 0)
			break;
		at += (size_t)k;
	}
	describe(a, got, sizeof(got));
	snprintf(why, size, "expected one fatal %salert %s then EOF; got: %s",
		 c->rx.on ? "protected " : "", exp, got);
	return false;
}
