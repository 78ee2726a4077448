// SPDX-License-Identifier: MIT
/*
 * test_policy_ciphers.c - which ciphers libktls allows (policy.c): the
 * cipher lists ktls_policy_parse_ciphers() reads, with their names,
 * aliases, refusals and separators, and the suites ktls_policy_suites()
 * offers for them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define AES128GCM KTLS_CIPHER_AES_128_GCM
#define AES256GCM KTLS_CIPHER_AES_256_GCM
#define AES128CCM KTLS_CIPHER_AES_128_CCM
#define CHACHA KTLS_CIPHER_CHACHA20_POLY1305

/* What ktls_policy_parse_ciphers() must leave alone when it fails. */
#define SENTINEL_CIPHER ((enum ktls_cipher)0x5a5a)
#define SENTINEL_N 0xa5

static void sentinel_fill(enum ktls_cipher *out, uint8_t *n)
{
	size_t i;

	for (i = 0; i < KTLS_CIPHER_MAX; i++)
		out[i] = SENTINEL_CIPHER;
	*n = SENTINEL_N;
}

static void assert_sentinel(const enum ktls_cipher *out, uint8_t n)
{
	size_t i;

	for (i = 0; i < KTLS_CIPHER_MAX; i++)
		assert_int_equal(out[i], SENTINEL_CIPHER);
	assert_int_equal(n, SENTINEL_N);
}

/* ktls_policy_parse_ciphers() ------------------------------------------ */

static void test_policy_parse_ciphers_accepts_every_name(void **state)
{
	static const struct {
		const char *name;
		enum ktls_cipher cipher;
	} names[] = {
		/* Ours, in any case. */
		{ "AES-128-GCM", AES128GCM },
		{ "AES-256-GCM", AES256GCM },
		{ "AES-128-CCM", AES128CCM },
		{ "CHACHA20-POLY1305", CHACHA },
		{ "aes-128-gcm", AES128GCM },
		{ "Aes-256-Gcm", AES256GCM },
		{ "aes-128-ccm", AES128CCM },
		{ "ChaCha20-Poly1305", CHACHA },
		/* Short and OpenSSL-style names. */
		{ "AES128-GCM", AES128GCM },
		{ "TLS_AES_128_GCM_SHA256", AES128GCM },
		{ "ECDHE-ECDSA-AES128-GCM-SHA256", AES128GCM },
		{ "ECDHE-RSA-AES128-GCM-SHA256", AES128GCM },
		{ "AES256-GCM", AES256GCM },
		{ "TLS_AES_256_GCM_SHA384", AES256GCM },
		{ "ECDHE-ECDSA-AES256-GCM-SHA384", AES256GCM },
		{ "ECDHE-RSA-AES256-GCM-SHA384", AES256GCM },
		{ "CHACHA20", CHACHA },
		{ "TLS_CHACHA20_POLY1305_SHA256", CHACHA },
		{ "ECDHE-ECDSA-CHACHA20-POLY1305", CHACHA },
		{ "ECDHE-RSA-CHACHA20-POLY1305", CHACHA },
		{ "AES128-CCM", AES128CCM },
		{ "TLS_AES_128_CCM_SHA256", AES128CCM },
		{ "ECDHE-ECDSA-AES128-CCM", AES128CCM },
		{ "ecdhe-rsa-aes128-gcm-sha256", AES128GCM },
		{ "tls_aes_256_gcm_sha384", AES256GCM },
	};
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	uint8_t n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		sentinel_fill(out, &n);
		strcpy(why, "unchanged");
		if (ktls_policy_parse_ciphers(names[i].name, out, &n, why,
					      sizeof(why)) != 0)
			fail_msg("'%s' refused: %s", names[i].name, why);
		assert_int_equal(n, 1);
		assert_int_equal(out[0], names[i].cipher);
		/* Only the first n entries are written. */
		assert_int_equal(out[1], SENTINEL_CIPHER);
		assert_string_equal(why, "unchanged");
	}
}

static void test_policy_parse_ciphers_rejects_unknown(void **state)
{
	static const char *const unknown[] = {
		"AES-512-GCM",
		"AES128",
		"GCM",
		"x",
		/* Not offloadable: static RSA and DHE key exchange. */
		"AES128-GCM-SHA256",
		"DHE-RSA-AES128-GCM-SHA256",
		/* IANA names of TLS 1.2 suites are not accepted either. */
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	};
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	char want[KTLS_ERRSTR_SIZE];
	uint8_t n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		sentinel_fill(out, &n);
		why[0] = '\0';
		assert_int_equal(ktls_policy_parse_ciphers(unknown[i], out, &n,
							   why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want),
			 "'%s' is not a cipher libktls knows", unknown[i]);
		TH_ASSERT_CONTAINS(why, want);
		assert_sentinel(out, n);
	}
}

/* The name with the reason it is refused for (the start of the reason). */
struct refused_name {
	const char *name;
	const char *reason;
};

static const struct refused_name refused_names[] = {
	{ "RC4-SHA", "RC4 is refused by policy" },
	{ "rc4-md5", "RC4 is refused by policy" },
	{ "ECDHE-RSA-RC4-SHA", "RC4 is refused by policy" },
	/* The first refused family in the name wins. */
	{ "EXP-RC4-MD5", "RC4 is refused by policy" },
	{ "DES-CBC-SHA", "DES is refused by policy" },
	{ "EDH-RSA-DES-CBC-SHA", "DES is refused by policy" },
	{ "des", "DES is refused by policy" },
	/* 3DES is named 3DES, not DES. */
	{ "DES-CBC3-SHA", "3DES is refused by policy" },
	{ "ECDHE-RSA-DES-CBC3-SHA", "3DES is refused by policy" },
	{ "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "3DES is refused by policy" },
	{ "3des", "3DES is refused by policy" },
	{ "EXPORT", "export suites are refused by policy" },
	{ "EXP-RC2-CBC-MD5", "export suites are refused by policy" },
	{ "exp", "export suites are refused by policy" },
	{ "NULL", "NULL suites are refused by policy" },
	{ "eNULL", "NULL suites are refused by policy" },
	{ "NULL-SHA256", "NULL suites are refused by policy" },
	{ "ECDHE-RSA-NULL-SHA", "NULL suites are refused by policy" },
	{ "FORTEZZA", "FORTEZZA suites are refused by policy" },
	{ "FZA-FZA-CBC-SHA", "FORTEZZA suites are refused by policy" },
	{ "ADH", "anonymous suites are refused by policy" },
	{ "ADH-AES128-GCM-SHA256", "anonymous suites are refused by policy" },
	{ "AECDH-AES128-SHA", "anonymous suites are refused by policy" },
	{ "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
	  "anonymous suites are refused by policy" },
	{ "MD5", "MD5 suites are refused by policy" },
	{ "IDEA-CBC-MD5", "MD5 suites are refused by policy" },
	{ "IDEA-CBC-SHA", "IDEA is refused by policy" },
	{ "CBC", "CBC suites are refused by policy" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	  "CBC suites are refused by policy" },
	{ "CAMELLIA128-SHA", "Camellia suites are refused by policy" },
	{ "ECDHE-ECDSA-ARIA128-GCM-SHA256",
	  "ARIA suites are refused by policy" },
	{ "SEED-SHA", "SEED suites are refused by policy" },
	{ "SSLv3", "SSL 3.0 is refused by policy" },
	{ "SSLv2", "SSL 2.0 is refused by policy" },
};

static void test_policy_parse_ciphers_refuses_insecure(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	char want[KTLS_ERRSTR_SIZE];
	uint8_t n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(refused_names); i++) {
		const struct refused_name *r = &refused_names[i];

		sentinel_fill(out, &n);
		why[0] = '\0';
		assert_int_equal(ktls_policy_parse_ciphers(r->name, out, &n,
							   why, sizeof(why)),
				 -EPROTONOSUPPORT);
		/* "'<name>': <reason>", exactly that reason. */
		snprintf(want, sizeof(want), "'%s': %s", r->name, r->reason);
		if (strncmp(why, want, strlen(want)) != 0)
			fail_msg("'%s': why is '%s', want '%s...'", r->name,
				 why, want);
		assert_sentinel(out, n);
	}
}

static void test_policy_parse_ciphers_keeps_order(void **state)
{
	static const enum ktls_cipher want[] = { CHACHA, AES128CCM, AES256GCM,
						 AES128GCM };
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	uint8_t n = 0;

	(void)state;
	assert_int_equal(ktls_policy_parse_ciphers(
				 "CHACHA20-POLY1305:AES-128-CCM:AES-256-GCM:"
				 "AES-128-GCM", out, &n, NULL, 0), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, want, sizeof(want));

	/* The other way round, with ',' between names. */
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM,AES-256-GCM,AES-128-CCM,"
				 "CHACHA20-POLY1305", out, &n, NULL, 0), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], AES128GCM);
	assert_int_equal(out[1], AES256GCM);
	assert_int_equal(out[2], AES128CCM);
	assert_int_equal(out[3], CHACHA);
}

static void test_policy_parse_ciphers_rejects_late_bad(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	uint8_t n;

	(void)state;
	/* Good names before a bad one are not applied either. */
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM:CHACHA20:RC4-SHA", out, &n, why,
				 sizeof(why)), -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(why, "'RC4-SHA'");
	assert_sentinel(out, n);

	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM,AES-999-GCM", out, &n, why,
				 sizeof(why)), -EINVAL);
	TH_ASSERT_CONTAINS(why, "'AES-999-GCM'");
	assert_sentinel(out, n);
}

static void test_policy_parse_ciphers_mixes_separators(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	uint8_t n = 0;

	(void)state;
	/* Empty names between, before and after separators are skipped. */
	assert_int_equal(ktls_policy_parse_ciphers(
				 ":,AES-256-GCM::CHACHA20,,AES-128-CCM:", out,
				 &n, NULL, 0), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], AES256GCM);
	assert_int_equal(out[1], CHACHA);
	assert_int_equal(out[2], AES128CCM);
}

static void test_policy_parse_ciphers_rejects_empty_list(void **state)
{
	static const char *const empty[] = { "", ":", ",", ":,:,", "::::" };
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	uint8_t n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empty); i++) {
		sentinel_fill(out, &n);
		why[0] = '\0';
		assert_int_equal(ktls_policy_parse_ciphers(empty[i], out, &n,
							   why, sizeof(why)),
				 -EINVAL);
		assert_string_equal(why, "the cipher list names no cipher");
		assert_sentinel(out, n);
	}
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(NULL, out, &n, why,
						   sizeof(why)), -EINVAL);
	assert_string_equal(why, "no cipher list given");
	assert_sentinel(out, n);
}

static void test_policy_parse_ciphers_drops_duplicates(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	uint8_t n = 0;

	(void)state;
	/* Eight names, two ciphers: the first mention sets the place. */
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM:aes128-gcm:"
				 "TLS_AES_128_GCM_SHA256:CHACHA20:"
				 "ECDHE-RSA-AES128-GCM-SHA256:"
				 "chacha20-poly1305:AES-128-GCM:"
				 "ECDHE-ECDSA-CHACHA20-POLY1305", out, &n,
				 NULL, 0), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], AES128GCM);
	assert_int_equal(out[1], CHACHA);
}

static void test_policy_parse_ciphers_rejects_after_dups(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	uint8_t n;

	(void)state;
	/* More names than KTLS_CIPHER_MAX, all duplicates, then a bad one. */
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM:AES-256-GCM:AES-128-CCM:CHACHA20:"
				 "AES-128-GCM:AES-256-GCM:NULL-SHA", out, &n,
				 why, sizeof(why)), -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(why, "'NULL-SHA': NULL suites");
	assert_sentinel(out, n);
}

static void test_policy_parse_ciphers_reads_63_byte_name(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	char name[64];
	uint8_t n;

	(void)state;
	/* 63 bytes is a name (unknown, but read whole). */
	memset(name, 'x', 63);
	name[63] = '\0';
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(name, out, &n, why,
						   sizeof(why)), -EINVAL);
	TH_ASSERT_CONTAINS(why, "is not a cipher libktls knows");
	TH_ASSERT_CONTAINS(why, name);
	assert_sentinel(out, n);
}

static void test_policy_parse_ciphers_rejects_long_name(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	char list[128];
	uint8_t n;

	(void)state;
	/* 64 bytes is too long, even after a good name. */
	memcpy(list, "AES-128-GCM:", 12);
	memset(list + 12, 'y', 64);
	list[76] = '\0';
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(list, out, &n, why,
						   sizeof(why)), -EINVAL);
	assert_string_equal(why,
			    "cipher name too long: 'yyyyyyyyyyyyyyyyyyyy...'");
	assert_sentinel(out, n);
}

static void test_policy_parse_ciphers_truncates_why(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[16];
	uint8_t n;

	(void)state;
	memset(why, 'z', sizeof(why));
	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers("RC4-SHA", out, &n, why, 8),
			 -EPROTONOSUPPORT);
	assert_string_equal(why, "'RC4-SH");
	assert_int_equal(why[8], 'z');
	/* No room at all, or no buffer: the error stays the same. */
	assert_int_equal(ktls_policy_parse_ciphers("RC4-SHA", out, &n, why, 0),
			 -EPROTONOSUPPORT);
	assert_string_equal(why, "'RC4-SH");
	assert_int_equal(ktls_policy_parse_ciphers("RC4-SHA", out, &n, NULL,
						   64), -EPROTONOSUPPORT);
	assert_int_equal(ktls_policy_parse_ciphers("", out, &n, NULL, 0),
			 -EINVAL);
	assert_sentinel(out, n);
}

/* OpenSSL's names for CBC suites do not say CBC; they are refused too. */
static void test_policy_parse_ciphers_refuses_openssl_cbc_names(void **state)
{
	static const char *const cbc[] = {
		"AES128-SHA", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
		"ECDHE-ECDSA-AES256-SHA384",
	};
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE];
	uint8_t n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cbc); i++) {
		sentinel_fill(out, &n);
		why[0] = '\0';
		assert_int_equal(ktls_policy_parse_ciphers(cbc[i], out, &n, why,
							   sizeof(why)),
				 -EPROTONOSUPPORT);
		TH_ASSERT_CONTAINS(why, "CBC suites are refused by policy");
		assert_sentinel(out, n);
	}
}

/* "!RC4" and "-MD5" exclude what policy excludes anyway: no error. */
static void test_policy_parse_ciphers_ignores_exclusions(void **state)
{
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	uint8_t n = 0;

	(void)state;
	assert_int_equal(ktls_policy_parse_ciphers(
			"AES-128-GCM:!RC4:!aNULL:-MD5", out, &n, NULL, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], KTLS_CIPHER_AES_128_GCM);
	/* Exclusions alone name no cipher. */
	assert_int_equal(ktls_policy_parse_ciphers("!RC4", out, &n, NULL, 0),
			 -EINVAL);
}

/* ktls_policy_suites() ------------------------------------------------- */

static void test_policy_suites_lists_in_order(void **state)
{
	static const uint8_t want_default[] = {
		0x13, 0x02, 0xc0, 0x2c, 0xc0, 0x30,	/* AES-256-GCM */
		0x13, 0x01, 0xc0, 0x2b, 0xc0, 0x2f,	/* AES-128-GCM */
		0x13, 0x03, 0xcc, 0xa9, 0xcc, 0xa8,	/* CHACHA20-POLY1305 */
		0x13, 0x04, 0xc0, 0xac,			/* AES-128-CCM */
	};
	static const uint8_t want_ccm_chacha[] = {
		0x13, 0x04, 0xc0, 0xac, 0x13, 0x03, 0xcc, 0xa9, 0xcc, 0xa8,
	};
	struct ktls_opts o;
	uint8_t buf[KTLS_SUITES_MAX + 8];
	size_t len = 0;

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(ktls_policy_suites(&o, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want_default));
	assert_memory_equal(buf, want_default, len);

	/* Each cipher's TLS 1.3 suite, then its TLS 1.2 ones, in the order
	 * of the options; CCM has no ECDHE-RSA suite. */
	o.n_ciphers = 2;
	o.ciphers[0] = AES128CCM;
	o.ciphers[1] = CHACHA;
	assert_int_equal(ktls_policy_suites(&o, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(want_ccm_chacha));
	assert_memory_equal(buf, want_ccm_chacha, len);

	/* Exactly the room needed is enough. */
	ktls_opts_default(&o);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(ktls_policy_suites(&o, buf, sizeof(want_default),
					    &len), 0);
	assert_int_equal(buf[sizeof(want_default)], 0x5a);
	assert_true(sizeof(want_default) <= KTLS_SUITES_MAX);
}

static void test_policy_suites_rejects_small_buf(void **state)
{
	struct ktls_opts o;
	uint8_t buf[KTLS_SUITES_MAX];
	size_t len = 12345;

	(void)state;
	ktls_opts_default(&o);
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(ktls_policy_suites(&o, buf, 7, &len), -ENOSPC);
	assert_int_equal(buf[7], 0x5a);
	assert_int_equal(len, 12345);
	assert_int_equal(ktls_policy_suites(&o, buf, 0, &len), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_parse_ciphers_accepts_every_name),
		cmocka_unit_test(test_policy_parse_ciphers_rejects_unknown),
		cmocka_unit_test(test_policy_parse_ciphers_refuses_insecure),
		cmocka_unit_test(test_policy_parse_ciphers_keeps_order),
		cmocka_unit_test(test_policy_parse_ciphers_rejects_late_bad),
		cmocka_unit_test(test_policy_parse_ciphers_mixes_separators),
		cmocka_unit_test(test_policy_parse_ciphers_rejects_empty_list),
		cmocka_unit_test(test_policy_parse_ciphers_drops_duplicates),
		cmocka_unit_test(test_policy_parse_ciphers_rejects_after_dups),
		cmocka_unit_test(test_policy_parse_ciphers_reads_63_byte_name),
		cmocka_unit_test(test_policy_parse_ciphers_rejects_long_name),
		cmocka_unit_test(test_policy_parse_ciphers_truncates_why),
		cmocka_unit_test(test_policy_parse_ciphers_refuses_openssl_cbc_names),
		cmocka_unit_test(test_policy_parse_ciphers_ignores_exclusions),
		cmocka_unit_test(test_policy_suites_lists_in_order),
		cmocka_unit_test(test_policy_suites_rejects_small_buf),
	};

	return cmocka_run_group_tests_name("policy_ciphers", tests, NULL, NULL);
}
