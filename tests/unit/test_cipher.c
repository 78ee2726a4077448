// SPDX-License-Identifier: MIT
/*
 * test_cipher.c - the cipher table and crypto_info filling (cipher.c).
 *
 * The expected layouts below are taken from <linux/tls.h> independently of
 * the table in cipher.c, so a wrong offset or size there shows up here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD_SIZE(type, field) sizeof(((type *)NULL)->field)

/* One (version, cipher) of the matrix, with the kernel's layout for it. */
struct fill_variant {
	uint16_t version;
	enum ktls_cipher cipher;
	uint16_t cipher_type;
	size_t size;
	size_t key_off, key_len;
	size_t salt_off, salt_len;
	size_t iv_off, iv_len;
	size_t rec_seq_off, rec_seq_len;
};

#define VARIANT(ver, c, ctype, T)					\
	{								\
		.version = ver, .cipher = c, .cipher_type = ctype,	\
		.size = sizeof(T),					\
		.key_off = offsetof(T, key),				\
		.key_len = FIELD_SIZE(T, key),				\
		.salt_off = offsetof(T, salt),				\
		.salt_len = FIELD_SIZE(T, salt),			\
		.iv_off = offsetof(T, iv),				\
		.iv_len = FIELD_SIZE(T, iv),				\
		.rec_seq_off = offsetof(T, rec_seq),			\
		.rec_seq_len = FIELD_SIZE(T, rec_seq),			\
	}

#define VARIANTS(ver)							\
	VARIANT(ver, KTLS_CIPHER_AES_128_GCM, TLS_CIPHER_AES_GCM_128,	\
		struct tls12_crypto_info_aes_gcm_128),			\
	VARIANT(ver, KTLS_CIPHER_AES_256_GCM, TLS_CIPHER_AES_GCM_256,	\
		struct tls12_crypto_info_aes_gcm_256),			\
	VARIANT(ver, KTLS_CIPHER_AES_128_CCM, TLS_CIPHER_AES_CCM_128,	\
		struct tls12_crypto_info_aes_ccm_128),			\
	VARIANT(ver, KTLS_CIPHER_CHACHA20_POLY1305,			\
		TLS_CIPHER_CHACHA20_POLY1305,				\
		struct tls12_crypto_info_chacha20_poly1305)

static const struct fill_variant variants[] = {
	VARIANTS(KTLS_TLS_1_2),
	VARIANTS(KTLS_TLS_1_3),
};

static void test_cipher_desc_describes_every_cipher(void **state)
{
	static const struct {
		enum ktls_cipher cipher;
		const char *name;
		uint16_t type;
		uint8_t key, salt, iv;
		uint16_t tls13, ecdsa, rsa;
	} want[] = {
		{ KTLS_CIPHER_AES_128_GCM, "AES-128-GCM", 51, 16, 4, 8,
		  0x1301, 0xc02b, 0xc02f },
		{ KTLS_CIPHER_AES_256_GCM, "AES-256-GCM", 52, 32, 4, 8,
		  0x1302, 0xc02c, 0xc030 },
		{ KTLS_CIPHER_AES_128_CCM, "AES-128-CCM", 53, 16, 4, 8,
		  0x1304, 0xc0ac, 0 },
		{ KTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305", 54, 32,
		  0, 12, 0x1303, 0xcca9, 0xcca8 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct ktls_cipher_desc *d = ktls_cipher_desc(
			want[i].cipher);

		assert_non_null(d);
		assert_int_equal(d->cipher, want[i].cipher);
		assert_string_equal(d->name, want[i].name);
		assert_int_equal(d->cipher_type, want[i].type);
		assert_int_equal(d->key_size, want[i].key);
		assert_int_equal(d->salt_size, want[i].salt);
		assert_int_equal(d->iv_size, want[i].iv);
		assert_int_equal(d->rec_seq_size, 8);
		assert_int_equal(d->tag_size, 16);
		assert_int_equal(d->tls13_suite, want[i].tls13);
		assert_int_equal(d->tls12_ecdhe_ecdsa_suite, want[i].ecdsa);
		assert_int_equal(d->tls12_ecdhe_rsa_suite, want[i].rsa);
	}
}

static void test_cipher_desc_rejects_unknown_cipher(void **state)
{
	(void)state;
	assert_null(ktls_cipher_desc((enum ktls_cipher)0));
	assert_null(ktls_cipher_desc((enum ktls_cipher)5));
	assert_null(ktls_cipher_desc((enum ktls_cipher)-1));
	/* The kernel's number for AES-128-GCM is not ours. */
	assert_null(ktls_cipher_desc((enum ktls_cipher)TLS_CIPHER_AES_GCM_128));
}

static void test_cipher_desc_matches_kernel_layout(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(variants); i++) {
		const struct fill_variant *v = &variants[i];
		const struct ktls_cipher_desc *d = ktls_cipher_desc(v->cipher);

		assert_non_null(d);
		assert_int_equal(d->crypto_info_size, v->size);
		assert_int_equal(d->key_offset, v->key_off);
		assert_int_equal(d->key_size, v->key_len);
		assert_int_equal(d->salt_offset, v->salt_off);
		assert_int_equal(d->salt_size, v->salt_len);
		assert_int_equal(d->iv_offset, v->iv_off);
		assert_int_equal(d->iv_size, v->iv_len);
		assert_int_equal(d->rec_seq_offset, v->rec_seq_off);
		assert_int_equal(d->rec_seq_size, v->rec_seq_len);
		assert_true(d->crypto_info_size <=
			    sizeof(union ktls_crypto_info));
	}
}

static void test_cipher_name_returns_standard_names(void **state)
{
	(void)state;
	assert_string_equal(ktls_cipher_name(KTLS_CIPHER_AES_128_GCM),
			    "AES-128-GCM");
	assert_string_equal(ktls_cipher_name(KTLS_CIPHER_AES_256_GCM),
			    "AES-256-GCM");
	assert_string_equal(ktls_cipher_name(KTLS_CIPHER_AES_128_CCM),
			    "AES-128-CCM");
	assert_string_equal(ktls_cipher_name(KTLS_CIPHER_CHACHA20_POLY1305),
			    "CHACHA20-POLY1305");
}

static void test_cipher_name_rejects_unknown_cipher(void **state)
{
	(void)state;
	assert_null(ktls_cipher_name((enum ktls_cipher)0));
	assert_null(ktls_cipher_name((enum ktls_cipher)5));
	assert_null(ktls_cipher_name((enum ktls_cipher)1000));
}

/* Runs once per fill_variant, passed in as cmocka's initial state. */
static void test_crypto_info_fill_places_every_field(void **state)
{
	const struct fill_variant *v = *state;
	union ktls_crypto_info ci;
	uint8_t want[sizeof(ci)];
	uint8_t key[KTLS_MAX_KEY_SIZE];
	uint8_t nonce[KTLS_NONCE_SIZE];
	size_t len = 0;
	size_t i;
	uint16_t u16;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	memset(&ci, 0xee, sizeof(ci));

	assert_int_equal(ktls_crypto_info_fill(&ci, &len, v->version,
					       v->cipher, key, v->key_len,
					       nonce, sizeof(nonce),
					       0x0102030405060708ull), 0);
	assert_int_equal(len, v->size);

	/* Built from the kernel's layout: header, then each field. */
	memset(want, 0, sizeof(want));
	u16 = v->version;
	memcpy(want, &u16, sizeof(u16));
	u16 = v->cipher_type;
	memcpy(want + 2, &u16, sizeof(u16));
	memcpy(want + v->key_off, key, v->key_len);
	memcpy(want + v->salt_off, nonce, v->salt_len);
	memcpy(want + v->iv_off, nonce + v->salt_len, v->iv_len);
	for (i = 0; i < v->rec_seq_len; i++)
		want[v->rec_seq_off + i] = (uint8_t)(i + 1);

	assert_int_equal(ci.info.version, v->version);
	assert_int_equal(ci.info.cipher_type, v->cipher_type);
	/* The whole union: nothing written outside the fields. */
	assert_memory_equal(&ci, want, sizeof(want));
	ktls_crypto_info_wipe(&ci);
}

static void test_crypto_info_fill_rfc8448_aes_128_gcm(void **state)
{
	/* RFC 8448 section 3: client application traffic key and iv. */
	struct tls12_crypto_info_aes_gcm_128 *gcm;
	union ktls_crypto_info ci;
	uint8_t key[16], iv[12];
	uint8_t want_salt[4], want_iv[8], want_seq[8];
	size_t len;

	(void)state;
	assert_int_equal(th_hex_decode("9f02283b6c9c07efc26bb9f2ac92e356",
				       key, sizeof(key)), 16);
	assert_int_equal(th_hex_decode("cf782b88dd83549aadf1e984", iv,
				       sizeof(iv)), 12);
	assert_int_equal(th_hex_decode("cf782b88", want_salt, 4), 4);
	assert_int_equal(th_hex_decode("dd83549aadf1e984", want_iv, 8), 8);
	assert_int_equal(th_hex_decode("0000000000000001", want_seq, 8), 8);

	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_3,
					       KTLS_CIPHER_AES_128_GCM, key,
					       sizeof(key), iv, sizeof(iv),
					       1), 0);
	gcm = &ci.aes_gcm_128;
	assert_int_equal(len, sizeof(*gcm));
	assert_int_equal(gcm->info.version, TLS_1_3_VERSION);
	assert_int_equal(gcm->info.cipher_type, TLS_CIPHER_AES_GCM_128);
	assert_memory_equal(gcm->key, key, sizeof(key));
	assert_memory_equal(gcm->salt, want_salt, sizeof(want_salt));
	assert_memory_equal(gcm->iv, want_iv, sizeof(want_iv));
	assert_memory_equal(gcm->rec_seq, want_seq, sizeof(want_seq));
	ktls_crypto_info_wipe(&ci);
}

static void test_crypto_info_fill_chacha_takes_whole_iv(void **state)
{
	struct tls12_crypto_info_chacha20_poly1305 *cc;
	union ktls_crypto_info ci;
	uint8_t key[32] = { 0 };
	uint8_t iv[12];
	size_t len;

	(void)state;
	assert_int_equal(th_hex_decode("0123456789abcdef01234567", iv,
				       sizeof(iv)), 12);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_2,
					       KTLS_CIPHER_CHACHA20_POLY1305,
					       key, sizeof(key), iv,
					       sizeof(iv), 0), 0);
	cc = &ci.chacha20_poly1305;
	assert_int_equal(len, sizeof(*cc));
	assert_int_equal(cc->info.version, TLS_1_2_VERSION);
	assert_memory_equal(cc->iv, iv, sizeof(iv));
	ktls_crypto_info_wipe(&ci);
}

static void test_crypto_info_fill_rejects_unknown_version(void **state)
{
	static const uint16_t bad[] = { 0, 0x0300, 0x0301, 0x0302, 0x0305,
					0xffff };
	union ktls_crypto_info ci;
	uint8_t key[16] = { 1 }, iv[12] = { 2 };
	size_t len = 1234;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ktls_crypto_info_fill(
					 &ci, &len, bad[i],
					 KTLS_CIPHER_AES_128_GCM, key,
					 sizeof(key), iv, sizeof(iv), 0),
				 -EINVAL);
		assert_int_equal(len, 1234);
		/* Nothing of the key was copied. */
		assert_int_equal(ci.info.cipher_type, 0);
		assert_int_equal(ci.aes_gcm_128.key[0], 0);
	}
}

static void test_crypto_info_fill_rejects_unknown_cipher(void **state)
{
	union ktls_crypto_info ci;
	uint8_t key[32] = { 1 }, iv[12] = { 2 };
	size_t len;

	(void)state;
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_3,
					       (enum ktls_cipher)0, key, 16,
					       iv, sizeof(iv), 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_3,
					       (enum ktls_cipher)5, key, 16,
					       iv, sizeof(iv), 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(
				 &ci, &len, KTLS_TLS_1_3,
				 (enum ktls_cipher)TLS_CIPHER_AES_GCM_128,
				 key, 16, iv, sizeof(iv), 0), -EINVAL);
}

static void test_crypto_info_fill_rejects_wrong_lengths(void **state)
{
	union ktls_crypto_info ci;
	uint8_t key[32] = { 1 }, iv[16] = { 2 };
	size_t len;

	(void)state;
	/* AES-128 with a 32-byte key, AES-256 with a 16-byte one. */
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_3,
					       KTLS_CIPHER_AES_128_GCM, key,
					       32, iv, 12, 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_3,
					       KTLS_CIPHER_AES_256_GCM, key,
					       16, iv, 12, 0), -EINVAL);
	/* Only the salt, or salt and iv plus extra bytes. */
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_2,
					       KTLS_CIPHER_AES_128_GCM, key,
					       16, iv, 4, 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_2,
					       KTLS_CIPHER_AES_128_GCM, key,
					       16, iv, 16, 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_2,
					       KTLS_CIPHER_AES_128_GCM, NULL,
					       16, iv, 12, 0), -EINVAL);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, KTLS_TLS_1_2,
					       KTLS_CIPHER_AES_128_GCM, key,
					       16, NULL, 12, 0), -EINVAL);
}

static void test_crypto_info_wipe_zeroes_everything(void **state)
{
	union ktls_crypto_info ci, zero;

	(void)state;
	memset(&ci, 0xa5, sizeof(ci));
	memset(&zero, 0, sizeof(zero));
	ktls_crypto_info_wipe(&ci);
	assert_memory_equal(&ci, &zero, sizeof(ci));
}

static void test_hex_decode_rejects_bad_input(void **state)
{
	uint8_t out[2];

	(void)state;
	assert_int_equal(th_hex_decode("0aFf", out, 2), 2);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(th_hex_decode("0g00", out, 2), -EINVAL);
	assert_int_equal(th_hex_decode("000", out, 2), -EINVAL);
}

#define FILL_TEST(name, i)						\
	{ "test_crypto_info_fill_places_every_field/" name,		\
	  test_crypto_info_fill_places_every_field, NULL, NULL,		\
	  (void *)&variants[i] }

/* AEAD limits: RFC 8446 section 5.5 for GCM, the CFRG's for CCM. */
static void test_cipher_desc_record_limits(void **state)
{
	(void)state;
	/* 2^24.5 = 23726566.4 */
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_AES_128_GCM)->record_limit,
			 23726566);
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_AES_256_GCM)->record_limit,
			 23726566);
	/* 2^23.5 = 11863283.2 */
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_AES_128_CCM)->record_limit,
			 11863283);
	assert_true(ktls_cipher_desc(KTLS_CIPHER_CHACHA20_POLY1305)->record_limit
		    == UINT64_MAX);
	assert_null(ktls_cipher_desc(0));
}

/* Every name and alias finds its row, in any case; nothing else does. */
static void test_cipher_by_name_finds_names_and_aliases(void **state)
{
	static const struct {
		const char *name;
		enum ktls_cipher cipher;
	} want[] = {
		{ "AES-128-GCM", KTLS_CIPHER_AES_128_GCM },
		{ "aes128-gcm", KTLS_CIPHER_AES_128_GCM },
		{ "TLS_AES_128_GCM_SHA256", KTLS_CIPHER_AES_128_GCM },
		{ "ECDHE-RSA-AES128-GCM-SHA256", KTLS_CIPHER_AES_128_GCM },
		{ "ecdhe-ecdsa-aes256-gcm-sha384", KTLS_CIPHER_AES_256_GCM },
		{ "TLS_AES_256_GCM_SHA384", KTLS_CIPHER_AES_256_GCM },
		{ "AES128-CCM", KTLS_CIPHER_AES_128_CCM },
		{ "ECDHE-ECDSA-AES128-CCM", KTLS_CIPHER_AES_128_CCM },
		{ "chacha20", KTLS_CIPHER_CHACHA20_POLY1305 },
		{ "ECDHE-RSA-CHACHA20-POLY1305",
		  KTLS_CIPHER_CHACHA20_POLY1305 },
	};
	static const char *const unknown[] = {
		"", "AES", "AES-128", "AES-192-GCM", "ECDHE-RSA-AES128-CCM",
		"CHACHA20-POLY1305-X", "RC4-SHA",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct ktls_cipher_desc *d =
			ktls_cipher_by_name(want[i].name);

		assert_non_null(d);
		assert_int_equal(d->cipher, want[i].cipher);
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_null(ktls_cipher_by_name(unknown[i]));
}

/* wolfSSL's bulk cipher and key size name exactly one row. */
static void test_cipher_by_wolfssl_maps_bulk_and_key(void **state)
{
	enum ktls_cipher c;

	(void)state;
	for (c = 1; c <= KTLS_CIPHER_MAX; c++) {
		const struct ktls_cipher_desc *d = ktls_cipher_desc(c);

		assert_non_null(d);
		assert_ptr_equal(ktls_cipher_by_wolfssl(d->wolfssl_bulk,
							d->key_size), d);
	}
	/* wolfssl_aes_gcm with a 24-byte key: AES-192, not ours. */
	assert_null(ktls_cipher_by_wolfssl(
		ktls_cipher_desc(KTLS_CIPHER_AES_128_GCM)->wolfssl_bulk, 24));
	assert_null(ktls_cipher_by_wolfssl(0, 16));
	assert_null(ktls_cipher_by_wolfssl(-1, 32));
}

/* Each row names an AEAD, a nonce rule, and a distinct default rank. */
static void test_cipher_desc_rows_are_complete(void **state)
{
	bool rank_seen[KTLS_CIPHER_MAX + 1] = { false };
	enum ktls_cipher c;

	(void)state;
	for (c = 1; c <= KTLS_CIPHER_MAX; c++) {
		const struct ktls_cipher_desc *d = ktls_cipher_desc(c);

		assert_non_null(d);
		assert_true(d->aead >= KTLS_AEAD_AES_GCM &&
			    d->aead <= KTLS_AEAD_CHACHA20_POLY1305);
		/* An explicit TLS 1.2 nonce is iv[] after a salt. */
		assert_int_equal(d->tls12_explicit_nonce, d->salt_size != 0);
		assert_true(d->default_rank >= 1 &&
			    d->default_rank <= KTLS_CIPHER_MAX);
		assert_false(rank_seen[d->default_rank]);
		rank_seen[d->default_rank] = true;
		assert_non_null(d->aliases[0]);
	}
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_CHACHA20_POLY1305)->aead,
			 KTLS_AEAD_CHACHA20_POLY1305);
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_AES_128_CCM)->aead,
			 KTLS_AEAD_AES_CCM);
	assert_int_equal(ktls_cipher_desc(KTLS_CIPHER_AES_256_GCM)->aead,
			 KTLS_AEAD_AES_GCM);
	assert_null(ktls_cipher_desc(KTLS_CIPHER_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cipher_desc_describes_every_cipher),
		cmocka_unit_test(test_cipher_desc_rejects_unknown_cipher),
		cmocka_unit_test(test_cipher_desc_matches_kernel_layout),
		cmocka_unit_test(test_cipher_name_returns_standard_names),
		cmocka_unit_test(test_cipher_name_rejects_unknown_cipher),
		FILL_TEST("12_aes_128_gcm", 0),
		FILL_TEST("12_aes_256_gcm", 1),
		FILL_TEST("12_aes_128_ccm", 2),
		FILL_TEST("12_chacha20_poly1305", 3),
		FILL_TEST("13_aes_128_gcm", 4),
		FILL_TEST("13_aes_256_gcm", 5),
		FILL_TEST("13_aes_128_ccm", 6),
		FILL_TEST("13_chacha20_poly1305", 7),
		cmocka_unit_test(test_crypto_info_fill_rfc8448_aes_128_gcm),
		cmocka_unit_test(test_crypto_info_fill_chacha_takes_whole_iv),
		cmocka_unit_test(test_crypto_info_fill_rejects_unknown_version),
		cmocka_unit_test(test_crypto_info_fill_rejects_unknown_cipher),
		cmocka_unit_test(test_crypto_info_fill_rejects_wrong_lengths),
		cmocka_unit_test(test_crypto_info_wipe_zeroes_everything),
		cmocka_unit_test(test_hex_decode_rejects_bad_input),
		cmocka_unit_test(test_cipher_desc_record_limits),
		cmocka_unit_test(test_cipher_by_name_finds_names_and_aliases),
		cmocka_unit_test(test_cipher_by_wolfssl_maps_bulk_and_key),
		cmocka_unit_test(test_cipher_desc_rows_are_complete),
	};

	_Static_assert(ARRAY_SIZE(variants) == 8, "one FILL_TEST per variant");
	return cmocka_run_group_tests_name("cipher", tests, NULL, NULL);
}
