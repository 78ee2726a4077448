// SPDX-License-Identifier: MIT
/*
 * cipher.c - the table of ciphers the kernel offloads (every fact about a
 * cipher, in one row), and the one place that knows how a struct
 * tls12_crypto_info_* is laid out.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

#define FIELD_SIZE(type, field) sizeof(((type *)NULL)->field)

/*
 * The table's sizes are the <linux/tls.h> macros; check that the kernel's
 * structs agree with them and with the nonce and rec_seq sizes the rest of
 * libktls assumes.
 */
#define KTLS_ASSERT_LAYOUT(type, PFX)					\
	_Static_assert(FIELD_SIZE(type, key) == PFX##_KEY_SIZE,		\
		       #type " key size");				\
	_Static_assert(FIELD_SIZE(type, iv) == PFX##_IV_SIZE,		\
		       #type " iv size");				\
	_Static_assert(FIELD_SIZE(type, salt) == PFX##_SALT_SIZE,	\
		       #type " salt size");				\
	_Static_assert(FIELD_SIZE(type, rec_seq) == PFX##_REC_SEQ_SIZE,	\
		       #type " rec_seq size");				\
	_Static_assert(PFX##_KEY_SIZE <= KTLS_MAX_KEY_SIZE,		\
		       #type " key fits KTLS_MAX_KEY_SIZE");		\
	_Static_assert(PFX##_SALT_SIZE + PFX##_IV_SIZE == KTLS_NONCE_SIZE, \
		       #type " nonce is KTLS_NONCE_SIZE");		\
	_Static_assert(PFX##_REC_SEQ_SIZE == KTLS_REC_SEQ_SIZE,		\
		       #type " rec_seq is KTLS_REC_SEQ_SIZE");		\
	_Static_assert(sizeof(type) <= sizeof(union ktls_crypto_info),	\
		       #type " fits union ktls_crypto_info");		\
	_Static_assert(sizeof(type) <= UINT16_MAX, #type " size fits")

KTLS_ASSERT_LAYOUT(struct tls12_crypto_info_aes_gcm_128,
		   TLS_CIPHER_AES_GCM_128);
KTLS_ASSERT_LAYOUT(struct tls12_crypto_info_aes_gcm_256,
		   TLS_CIPHER_AES_GCM_256);
KTLS_ASSERT_LAYOUT(struct tls12_crypto_info_aes_ccm_128,
		   TLS_CIPHER_AES_CCM_128);
KTLS_ASSERT_LAYOUT(struct tls12_crypto_info_chacha20_poly1305,
		   TLS_CIPHER_CHACHA20_POLY1305);

/* The kernel's numbers for a cipher: its <linux/tls.h> macros and the
 * layout of its struct. */
#define KTLS_KERNEL(type, PFX)						\
	.cipher_type = PFX,						\
	.key_size = PFX##_KEY_SIZE,					\
	.iv_size = PFX##_IV_SIZE,					\
	.salt_size = PFX##_SALT_SIZE,					\
	.rec_seq_size = PFX##_REC_SEQ_SIZE,				\
	.tag_size = PFX##_TAG_SIZE,					\
	.key_offset = offsetof(type, key),				\
	.iv_offset = offsetof(type, iv),				\
	.salt_offset = offsetof(type, salt),				\
	.rec_seq_offset = offsetof(type, rec_seq),			\
	.crypto_info_size = sizeof(type)

/*
 * Records one key may protect.  AES-GCM: 2^24.5 full-size records (RFC
 * 8446 section 5.5); AES-CCM: 2^23.5 (draft-irtf-cfrg-aead-limits, as
 * DTLS 1.3 uses it); ChaCha20-Poly1305: its sequence number runs out
 * first.
 */
#define KTLS_LIMIT_GCM 23726566ULL
#define KTLS_LIMIT_CCM 11863283ULL
#define KTLS_LIMIT_CHACHA UINT64_MAX

/*
 * Indexed by enum ktls_cipher.  TLS 1.2 suites: RFC 5289 (GCM), RFC 7251
 * (CCM, ECDSA only) and RFC 7905 (ChaCha20-Poly1305); TLS 1.3: RFC 8446.
 * The default order puts the strongest first and CCM (slow in software)
 * last.
 */
static const struct ktls_cipher_desc ktls_ciphers[KTLS_CIPHER_MAX + 1] = {
	[KTLS_CIPHER_AES_128_GCM] = {
		.cipher = KTLS_CIPHER_AES_128_GCM,
		.name = "AES-128-GCM",
		.aliases = { "AES128-GCM", "TLS_AES_128_GCM_SHA256",
			     "ECDHE-ECDSA-AES128-GCM-SHA256",
			     "ECDHE-RSA-AES128-GCM-SHA256" },
		.default_rank = 2,
		.tls13_suite = 0x1301,
		.tls12_ecdhe_ecdsa_suite = 0xc02b,
		.tls12_ecdhe_rsa_suite = 0xc02f,
		.tls12_explicit_nonce = true,
		.wolfssl_bulk = wolfssl_aes_gcm,
		.aead = KTLS_AEAD_AES_GCM,
		.record_limit = KTLS_LIMIT_GCM,
		KTLS_KERNEL(struct tls12_crypto_info_aes_gcm_128,
			    TLS_CIPHER_AES_GCM_128),
	},
	[KTLS_CIPHER_AES_256_GCM] = {
		.cipher = KTLS_CIPHER_AES_256_GCM,
		.name = "AES-256-GCM",
		.aliases = { "AES256-GCM", "TLS_AES_256_GCM_SHA384",
			     "ECDHE-ECDSA-AES256-GCM-SHA384",
			     "ECDHE-RSA-AES256-GCM-SHA384" },
		.default_rank = 1,
		.tls13_suite = 0x1302,
		.tls12_ecdhe_ecdsa_suite = 0xc02c,
		.tls12_ecdhe_rsa_suite = 0xc030,
		.tls12_explicit_nonce = true,
		.wolfssl_bulk = wolfssl_aes_gcm,
		.aead = KTLS_AEAD_AES_GCM,
		.record_limit = KTLS_LIMIT_GCM,
		KTLS_KERNEL(struct tls12_crypto_info_aes_gcm_256,
			    TLS_CIPHER_AES_GCM_256),
	},
	[KTLS_CIPHER_AES_128_CCM] = {
		.cipher = KTLS_CIPHER_AES_128_CCM,
		.name = "AES-128-CCM",
		.aliases = { "AES128-CCM", "TLS_AES_128_CCM_SHA256",
			     "ECDHE-ECDSA-AES128-CCM" },
		.default_rank = 4,
		.tls13_suite = 0x1304,
		.tls12_ecdhe_ecdsa_suite = 0xc0ac,
		.tls12_ecdhe_rsa_suite = 0,
		.tls12_explicit_nonce = true,
		.wolfssl_bulk = wolfssl_aes_ccm,
		.aead = KTLS_AEAD_AES_CCM,
		.record_limit = KTLS_LIMIT_CCM,
		KTLS_KERNEL(struct tls12_crypto_info_aes_ccm_128,
			    TLS_CIPHER_AES_CCM_128),
	},
	[KTLS_CIPHER_CHACHA20_POLY1305] = {
		.cipher = KTLS_CIPHER_CHACHA20_POLY1305,
		.name = "CHACHA20-POLY1305",
		.aliases = { "CHACHA20", "TLS_CHACHA20_POLY1305_SHA256",
			     "ECDHE-ECDSA-CHACHA20-POLY1305",
			     "ECDHE-RSA-CHACHA20-POLY1305" },
		.default_rank = 3,
		.tls13_suite = 0x1303,
		.tls12_ecdhe_ecdsa_suite = 0xcca9,
		.tls12_ecdhe_rsa_suite = 0xcca8,
		.tls12_explicit_nonce = false,
		.wolfssl_bulk = wolfssl_chacha,
		.aead = KTLS_AEAD_CHACHA20_POLY1305,
		.record_limit = KTLS_LIMIT_CHACHA,
		KTLS_KERNEL(struct tls12_crypto_info_chacha20_poly1305,
			    TLS_CIPHER_CHACHA20_POLY1305),
	},
};

const struct ktls_cipher_desc *ktls_cipher_desc(enum ktls_cipher cipher)
{
	size_t i = (size_t)cipher;

	if (i >= sizeof(ktls_ciphers) / sizeof(ktls_ciphers[0]))
		return NULL;
	if (!ktls_ciphers[i].name)
		return NULL;
	return &ktls_ciphers[i];
}

/* The cipher named @name or one of its aliases, case-insensitively. */
const struct ktls_cipher_desc *ktls_cipher_by_name(const char *name)
{
	const struct ktls_cipher_desc *d;
	enum ktls_cipher c;
	size_t i;

	for (c = 1; c <= KTLS_CIPHER_MAX; c++) {
		d = ktls_cipher_desc(c);
		if (!d)
			continue;
		if (!strcasecmp(name, d->name))
			return d;
		for (i = 0; i < KTLS_CIPHER_ALIASES && d->aliases[i]; i++)
			if (!strcasecmp(name, d->aliases[i]))
				return d;
	}
	return NULL;
}

/*
 * The cipher wolfSSL negotiated, from wolfSSL_GetBulkCipher() and
 * wolfSSL_GetKeySize() (bytes), or NULL for one outside the table.
 */
const struct ktls_cipher_desc *ktls_cipher_by_wolfssl(int bulk, int key_size)
{
	const struct ktls_cipher_desc *d;
	enum ktls_cipher c;

	for (c = 1; c <= KTLS_CIPHER_MAX; c++) {
		d = ktls_cipher_desc(c);
		if (d && d->wolfssl_bulk == bulk && d->key_size == key_size)
			return d;
	}
	return NULL;
}

const char *ktls_cipher_name(enum ktls_cipher cipher)
{
	const struct ktls_cipher_desc *desc = ktls_cipher_desc(cipher);

	return desc ? desc->name : NULL;
}

/*
 * Fill @ci for @cipher under TLS @version.
 *
 * @nonce is the full 12-byte write IV/nonce as TLS defines it: for TLS 1.3
 * the traffic IV; for TLS 1.2 AES-GCM/CCM the 4-byte implicit IV followed
 * by the 8-byte explicit nonce of the first record; for ChaCha20-Poly1305
 * (both versions) the 12-byte IV.  The first salt_size bytes go to salt[]
 * and the rest to iv[], which is exactly the kernel's split in every case.
 * @rec_seq is the sequence number of the next record; it is stored
 * big-endian.
 *
 * On success *@lenp is the length to pass to setsockopt().  On failure
 * nothing has been copied and @ci is zeroed.  The caller wipes @ci
 * (ktls_crypto_info_wipe(), or ktls_sock_set_crypto() which wipes it).
 *
 * Return: 0, or -EINVAL for an unknown version or cipher, or a key or nonce
 * of the wrong length.
 */
int ktls_crypto_info_fill(union ktls_crypto_info *ci, size_t *lenp,
			  uint16_t version, enum ktls_cipher cipher,
			  const uint8_t *key, size_t key_len,
			  const uint8_t *nonce, size_t nonce_len,
			  uint64_t rec_seq)
{
	const struct ktls_cipher_desc *desc = ktls_cipher_desc(cipher);
	unsigned char *base = (unsigned char *)ci;
	int i;

	explicit_bzero(ci, sizeof(*ci));

	switch (version) {
	case KTLS_TLS_1_2:
	case KTLS_TLS_1_3:
		break;
	default:
		return -EINVAL;
	}
	if (!desc || !key || !nonce)
		return -EINVAL;
	if (key_len != desc->key_size ||
	    nonce_len != (size_t)desc->salt_size + desc->iv_size)
		return -EINVAL;

	ci->info.version = version;
	ci->info.cipher_type = desc->cipher_type;
	memcpy(base + desc->key_offset, key, desc->key_size);
	memcpy(base + desc->salt_offset, nonce, desc->salt_size);
	memcpy(base + desc->iv_offset, nonce + desc->salt_size, desc->iv_size);
	for (i = 0; i < desc->rec_seq_size; i++)
		base[desc->rec_seq_offset + i] =
			(unsigned char)(rec_seq >> (8 * (desc->rec_seq_size -
							 1 - i)));
	*lenp = desc->crypto_info_size;
	return 0;
}

void ktls_crypto_info_wipe(union ktls_crypto_info *ci)
{
	explicit_bzero(ci, sizeof(*ci));
}
