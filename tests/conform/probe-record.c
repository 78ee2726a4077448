// SPDX-License-Identifier: MIT
/*
 * probe-record.c - tls-probe's records (see probe.h): byte buffers, the
 * connection, raw records in and out, and record protection.  Crypto
 * comes from OpenSSL's EVP AEADs; this file only frames records and lays
 * out nonces and additional data, as RFC 8446 5.2-5.3 and RFC 5246
 * 6.2.3.3 (RFC 7905 for ChaCha20) say.
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

#include <openssl/rand.h>

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
