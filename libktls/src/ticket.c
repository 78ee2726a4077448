// SPDX-License-Identifier: MIT
/*
 * ticket.c - session tickets sealed with keys the application gives
 * (ktls_ctx_set_ticket_keys()), so that every process or host holding the
 * same keys resumes the others' sessions.
 *
 * A ticket is wolfSSL's session state sealed with ChaCha20-Poly1305
 * (wolfCrypt) under the key's secret, with wolfSSL's ticket layout: the
 * key's name and a random nonce go in clear and are bound in as
 * associated data, the 16-byte tag fills the first half of the MAC field
 * and zeros the rest.  The first key seals; any key opens, and a ticket
 * opened with an older key resumes and is replaced by a new one (in TLS
 * 1.2 because we ask for it; in TLS 1.3 every handshake ends with one).
 * ktls_ticket_key_derive() makes such keys from one long-term secret.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "ktls_int.h"

_Static_assert(KTLS_TICKET_NAME_LEN == WOLFSSL_TICKET_NAME_SZ,
	       "ticket name size");
_Static_assert(KTLS_TICKET_SECRET_LEN == CHACHA20_POLY1305_AEAD_KEYSIZE,
	       "ticket secret size");
_Static_assert(WOLFSSL_TICKET_MAC_SZ >= CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE,
	       "ticket MAC size");

struct ktls_tickets {
	pthread_mutex_t lock;
	size_t n;
	struct ktls_ticket_key keys[KTLS_TICKET_KEYS_MAX];
};

/* The associated data: the key name and the whole IV field. */
static void ticket_aad(uint8_t aad[WOLFSSL_TICKET_NAME_SZ +
				   WOLFSSL_TICKET_IV_SZ],
		       const unsigned char *name, const unsigned char *iv)
{
	memcpy(aad, name, WOLFSSL_TICKET_NAME_SZ);
	memcpy(aad + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
}

/* Copy out the key named @name (or the sealing key for NULL): its index,
 * or -1. */
static int ticket_key(struct ktls_tickets *t, const unsigned char *name,
		      struct ktls_ticket_key *out)
{
	int found = -1;
	size_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n; i++) {
		if (!name || !memcmp(t->keys[i].name, name,
				     KTLS_TICKET_NAME_LEN)) {
			*out = t->keys[i];
			found = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

/* wolfSSL's ticket callback (declared in ktls_int.h). */
int ktls_ticket_cb(WOLFSSL *ssl, unsigned char *name, unsigned char *iv,
		   unsigned char *mac, int enc, unsigned char *ticket,
		   int in_len, int *out_len, void *arg)
{
	struct ktls_tickets *t = arg;
	uint8_t aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ];
	struct ktls_ticket_key k;
	int idx, ret;

	if (in_len < 0)
		return WOLFSSL_TICKET_RET_FATAL;
	if (enc) {
		if (ticket_key(t, NULL, &k) < 0)
			return WOLFSSL_TICKET_RET_FATAL;
		memset(iv, 0, WOLFSSL_TICKET_IV_SZ);
		if (getrandom(iv, CHACHA20_POLY1305_AEAD_IV_SIZE, 0) !=
		    CHACHA20_POLY1305_AEAD_IV_SIZE) {
			explicit_bzero(&k, sizeof(k));
			return WOLFSSL_TICKET_RET_FATAL;
		}
		memcpy(name, k.name, WOLFSSL_TICKET_NAME_SZ);
		memset(mac, 0, WOLFSSL_TICKET_MAC_SZ);
		ticket_aad(aad, name, iv);
		ret = wc_ChaCha20Poly1305_Encrypt(k.secret, iv, aad,
						  sizeof(aad), ticket,
						  (word32)in_len, ticket, mac);
		explicit_bzero(&k, sizeof(k));
		if (ret != 0)
			return WOLFSSL_TICKET_RET_FATAL;
		*out_len = in_len;
		return WOLFSSL_TICKET_RET_OK;
	}
	/* A ticket under a key we no longer (or never) had: a full
	 * handshake, not an error. */
	idx = ticket_key(t, name, &k);
	if (idx < 0)
		return WOLFSSL_TICKET_RET_REJECT;
	ticket_aad(aad, name, iv);
	ret = wc_ChaCha20Poly1305_Decrypt(k.secret, iv, aad, sizeof(aad),
					  ticket, (word32)in_len, mac, ticket);
	explicit_bzero(&k, sizeof(k));
	if (ret != 0)
		return WOLFSSL_TICKET_RET_REJECT;
	*out_len = in_len;
	/*
	 * RET_CREATE (resume, and send a ticket under the first key) is for
	 * TLS 1.2 only.  A TLS 1.3 server sends a new ticket after every
	 * handshake anyway, and wolfSSL 5.7 resumes a TLS 1.3 ticket only
	 * on RET_OK: it takes RET_CREATE as a PSK to skip, a full handshake
	 * (5.5 happened to turn it into RET_OK).  wolfSSL's own
	 * OpenSSL-style ticket callback answers the same way.
	 */
	if (idx == 0 || wolfSSL_version(ssl) == TLS1_3_VERSION)
		return WOLFSSL_TICKET_RET_OK;
	return WOLFSSL_TICKET_RET_CREATE;
}

int ktls_ctx_set_ticket_keys(struct ktls_ctx *ctx,
			     const struct ktls_ticket_key *keys, size_t n)
{
	struct ktls_tickets *t;
	size_t i, j;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (!keys || n == 0 || n > KTLS_TICKET_KEYS_MAX) {
		ktls_set_err(ctx->err, "ticket keys: give 1 to %d keys",
			     KTLS_TICKET_KEYS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!memcmp(keys[i].name, keys[j].name,
				    KTLS_TICKET_NAME_LEN)) {
				ktls_set_err(ctx->err, "ticket keys %zu and "
					     "%zu have the same name", i, j);
				return -EINVAL;
			}
	t = ctx->tickets;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		pthread_mutex_init(&t->lock, NULL);
		if (wolfSSL_CTX_set_TicketEncCtx(ctx->wctx, t) !=
		    WOLFSSL_SUCCESS ||
		    wolfSSL_CTX_set_TicketEncCb(ctx->wctx, ktls_ticket_cb) !=
		    WOLFSSL_SUCCESS) {
			pthread_mutex_destroy(&t->lock);
			free(t);
			return -EIO;
		}
		ctx->tickets = t;
	}
	pthread_mutex_lock(&t->lock);
	explicit_bzero(t->keys, sizeof(t->keys));
	memcpy(t->keys, keys, n * sizeof(*keys));
	t->n = n;
	pthread_mutex_unlock(&t->lock);
	/* Our keys live as long as the application says: tickets may now
	 * live as long as sessions do. */
	return ktls_ctx_ticket_hint(ctx);
}

void ktls_tickets_free(struct ktls_tickets *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

int ktls_ticket_key_derive(const uint8_t *secret, size_t len,
			   const char *label, const void *context,
			   size_t context_len, struct ktls_ticket_key *out)
{
	uint8_t okm[sizeof(out->name) + sizeof(out->secret)];
	int ret;

	if (!secret || len < KTLS_TICKET_DERIVE_SECRET_MIN ||
	    len > KTLS_TICKET_DERIVE_SECRET_MAX || !label || !*label ||
	    (!context && context_len) ||
	    context_len > KTLS_TICKET_DERIVE_CONTEXT_MAX || !out)
		return -EINVAL;
	ret = wc_HKDF(WC_SHA256, secret, (word32)len, (const byte *)label,
		      (word32)strlen(label), context, (word32)context_len,
		      okm, sizeof(okm));
	if (ret == 0) {
		memcpy(out->name, okm, sizeof(out->name));
		memcpy(out->secret, okm + sizeof(out->name),
		       sizeof(out->secret));
	}
	explicit_bzero(okm, sizeof(okm));
	return ret == 0 ? 0 : -EIO;
}
