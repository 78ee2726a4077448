/* SPDX-License-Identifier: MIT */
/*
 * ktls_int.h - what the files of libktls share and nobody else sees.
 *
 * Unit tests include this header too: they link the static objects and
 * reach the functions below directly.
 */
#ifndef KTLS_INT_H
#define KTLS_INT_H

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

/*
 * What libktls knows about one cipher: its names, the kernel's numbers for
 * it and where each field sits in its struct tls12_crypto_info_*.
 */
struct ktls_cipher_desc {
	enum ktls_cipher cipher;
	const char *name;		/* "AES-128-GCM" */
	uint16_t cipher_type;		/* TLS_CIPHER_* of <linux/tls.h> */
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
	uint16_t tls13_suite;		/* TLS_AES_128_GCM_SHA256 = 0x1301 */
	uint16_t tls12_ecdhe_ecdsa_suite; /* 0 when there is none */
	uint16_t tls12_ecdhe_rsa_suite;	/* 0 when there is none */
};

/* cipher.c */
const struct ktls_cipher_desc *ktls_cipher_desc(enum ktls_cipher cipher);
KTLS_MUST_CHECK int ktls_crypto_info_fill(union ktls_crypto_info *ci,
					  size_t *lenp, uint16_t version,
					  enum ktls_cipher cipher,
					  const uint8_t *key, size_t key_len,
					  const uint8_t *nonce,
					  size_t nonce_len, uint64_t rec_seq);
void ktls_crypto_info_wipe(union ktls_crypto_info *ci);

/* sock.c */
KTLS_MUST_CHECK int ktls_tcp_pair(int fds[2], const char **whyp);
void ktls_close_pair(int fds[2]);
KTLS_MUST_CHECK int ktls_sock_attach_ulp(int fd);
KTLS_MUST_CHECK int ktls_sock_set_crypto(int fd, enum ktls_dir dir,
					 union ktls_crypto_info *ci,
					 size_t len);

#endif /* KTLS_INT_H */
