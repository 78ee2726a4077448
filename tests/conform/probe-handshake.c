// SPDX-License-Identifier: MIT
/*
 * probe-handshake.c - tls-probe's handshakes (see probe.h): a full one by
 * libssl, whose application keys are then taken over (TLS 1.3 from its
 * key log through HKDF-Expand-Label, TLS 1.2 from the key block), the
 * next TLS 1.3 key after a KeyUpdate, and crafted ClientHellos with their
 * key shares.  Crypto comes from OpenSSL (EVP_PKEY_HKDF,
 * EVP_PKEY_TLS1_PRF, X25519 and the NIST curves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "probe.h"

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
