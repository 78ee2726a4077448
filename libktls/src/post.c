// SPDX-License-Identifier: MIT
/*
 * post.c - TLS 1.3 post-handshake messages with RX in the kernel.
 *
 * The kernel hands up a NewSessionTicket as plaintext.  wolfSSL (Debian
 * 12's) has no API to take a plaintext handshake message, and exports no
 * traffic secrets, so the message is sealed again as the record wolfSSL
 * expects next: the peer's key and IV, at wolfSSL's own peer sequence
 * number (which counts only what wolfSSL was fed, not what the kernel
 * decrypted).  wolfSSL then stores the ticket as it would have.  The AEAD
 * is wolfCrypt's; only the TLS 1.3 record framing is done here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#include "ktls_int.h"

/* Every AEAD of the table has a 16-byte tag; a record's room counts on it. */
#define TAG_SIZE 16

/*
 * Seal @in (@len bytes: the plaintext and its inner content type) into
 * @out with @d's AEAD (the table says which), @key and the 12-byte
 * @nonce, authenticating @aad (the record header).  @out has room for
 * @len + TAG_SIZE bytes.
 */
static int aead_seal(const struct ktls_cipher_desc *d, const uint8_t *key,
		     const uint8_t *nonce, const uint8_t *aad,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	Aes aes;
	int ret;

	if (d->tag_size != TAG_SIZE)
		return -EINVAL;
	switch (d->aead) {
	case KTLS_AEAD_AES_GCM:
	case KTLS_AEAD_AES_CCM:
		if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
			return -EIO;
		if (d->aead == KTLS_AEAD_AES_CCM)
			ret = wc_AesCcmSetKey(&aes, key, d->key_size) ?:
			      wc_AesCcmEncrypt(&aes, out, in, (word32)len,
					       nonce, KTLS_NONCE_SIZE,
					       out + len, TAG_SIZE, aad,
					       KTLS_RECORD_HDR);
		else
			ret = wc_AesGcmSetKey(&aes, key, d->key_size) ?:
			      wc_AesGcmEncrypt(&aes, out, in, (word32)len,
					       nonce, KTLS_NONCE_SIZE,
					       out + len, TAG_SIZE, aad,
					       KTLS_RECORD_HDR);
		wc_AesFree(&aes);
		explicit_bzero(&aes, sizeof(aes));
		return ret ? -EIO : 0;
	case KTLS_AEAD_CHACHA20_POLY1305:
		ret = wc_ChaCha20Poly1305_Encrypt(key, nonce, aad,
						  KTLS_RECORD_HDR, in,
						  (word32)len, out, out + len);
		return ret ? -EIO : 0;
	default:
		return -EINVAL;
	}
}

/* The record wolfSSL expects next, holding handshake message(s) @msg. */
static int seal_for_wolfssl(struct ktls_conn *conn, const uint8_t *msg,
			    size_t len, uint8_t *rec, size_t *rec_len)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(conn->cipher);
	const uint8_t *key, *iv;
	uint8_t nonce[KTLS_NONCE_SIZE];
	uint8_t *inner;
	size_t body = len + 1 + TAG_SIZE;
	uint64_t seq = 0;
	int i, ret;

	if (!d)
		return -EINVAL;
	/* The peer's key and IV, at wolfSSL's own peer sequence number. */
	ret = ktls_tls_keys(conn, false, &key, &iv, &seq);
	if (ret < 0)
		return ret;

	rec[0] = KTLS_CT_APPDATA;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(body >> 8);
	rec[4] = (uint8_t)body;
	memcpy(nonce, iv, sizeof(nonce));
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));

	inner = malloc(len + 1);
	if (!inner)
		return -ENOMEM;
	memcpy(inner, msg, len);
	inner[len] = KTLS_CT_HANDSHAKE;
	ret = aead_seal(d, key, nonce, rec, inner, len + 1,
			rec + KTLS_RECORD_HDR);
	explicit_bzero(inner, len + 1);
	free(inner);
	explicit_bzero(nonce, sizeof(nonce));
	if (ret < 0)
		return ret;
	*rec_len = KTLS_RECORD_HDR + body;
	return 0;
}

/*
 * Give wolfSSL the post-handshake message(s) @msg (TLS 1.3, RX in the
 * kernel) and let it process them.  What wolfSSL sends meanwhile (its
 * answer to a KeyUpdate) is swallowed by the bridge: it would be sealed
 * with keys the kernel has, and the caller sends it through the kernel
 * instead (ktls_tls_captured() says whether there was any).
 *
 * Return: 0; -ENOMEM; -EIO if wolfSSL did not take the message.
 */
int ktls_post_feed(struct ktls_conn *conn, const uint8_t *msg, size_t len)
{
	uint8_t *rec;
	size_t rec_len = 0;
	int ret;

	if (!ktls_tls_active(conn) || conn->version != KTLS_TLS_1_3 ||
	    len > KTLS_MAX_PLAINTEXT)
		return -EIO;
	rec = malloc(KTLS_RECORD_HDR + len + 1 + TAG_SIZE);
	if (!rec)
		return -ENOMEM;
	ret = seal_for_wolfssl(conn, msg, len, rec, &rec_len);
	if (ret < 0) {
		free(rec);
		return ret == -ENOMEM ? ret : -EIO;
	}
	ret = ktls_tls_feed(conn, rec, rec_len);
	explicit_bzero(rec, rec_len);
	free(rec);
	return ret;
}

/*
 * Session tickets: a ticket wolfSSL cannot take costs only resumption,
 * so a failure drops wolfSSL's state rather than the connection.
 */
int ktls_post_handshake_feed(struct ktls_conn *conn, const uint8_t *msg,
			     size_t len)
{
	int ret;

	if (!ktls_tls_active(conn) || conn->version != KTLS_TLS_1_3)
		return 0;
	ret = ktls_post_feed(conn, msg, len);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		ktls_tls_drop(conn);
	return 0;
}
