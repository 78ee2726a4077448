// SPDX-License-Identifier: MIT
/*
 * test_policy.c - what libktls allows (policy.c): cipher lists, options,
 * ALPN lists, the wolfSSL cipher string, the defaults; and the public
 * setters of contexts and connections that apply them without a network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

#define MISSING_PATH "/nonexistent/libktls-unit-test/missing.pem"

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

/* Assert that @s contains @sub, printing both when it does not. */
static void assert_contains(const char *s, const char *sub)
{
	if (!strstr(s, sub))
		fail_msg("'%s' does not contain '%s'", s, sub);
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
		assert_contains(why, want);
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
	assert_contains(why, "'RC4-SHA'");
	assert_sentinel(out, n);

	sentinel_fill(out, &n);
	assert_int_equal(ktls_policy_parse_ciphers(
				 "AES-128-GCM,AES-999-GCM", out, &n, why,
				 sizeof(why)), -EINVAL);
	assert_contains(why, "'AES-999-GCM'");
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
	assert_contains(why, "'NULL-SHA': NULL suites");
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
	assert_contains(why, "is not a cipher libktls knows");
	assert_contains(why, name);
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

/* ktls_policy_set_opt() ------------------------------------------------- */

static void test_policy_set_opt_accepts_versions(void **state)
{
	struct ktls_opts o;
	char why[KTLS_ERRSTR_SIZE] = "unchanged";

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MIN,
					     KTLS_TLS_1_3, why, sizeof(why)),
			 0);
	assert_int_equal(o.version_min, KTLS_TLS_1_3);
	assert_int_equal(o.version_max, KTLS_TLS_1_3);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MAX,
					     KTLS_TLS_1_2, why, sizeof(why)),
			 0);
	assert_int_equal(o.version_max, KTLS_TLS_1_2);
	/* min > max is for the handshake to refuse, not the setter. */
	assert_int_equal(o.version_min, KTLS_TLS_1_3);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MIN,
					     KTLS_TLS_1_2, why, sizeof(why)),
			 0);
	assert_int_equal(o.version_min, KTLS_TLS_1_2);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MAX,
					     KTLS_TLS_1_3, why, sizeof(why)),
			 0);
	assert_int_equal(o.version_max, KTLS_TLS_1_3);
	assert_string_equal(why, "unchanged");
}

static void test_policy_set_opt_refuses_old_versions(void **state)
{
	static const struct {
		long version;
		const char *why;
	} old[] = {
		{ 0x0002, "SSL 2.0 is refused by policy (broken: RFC 6176)" },
		{ 0x0300, "SSL 3.0 is refused by policy (broken: RFC 7568)" },
		{ 0x0301,
		  "TLS 1.0 is refused by policy (deprecated: RFC 8996)" },
		{ 0x0302,
		  "TLS 1.1 is refused by policy (deprecated: RFC 8996)" },
	};
	static const enum ktls_opt opts[] = { KTLS_OPT_VERSION_MIN,
					      KTLS_OPT_VERSION_MAX };
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	size_t i, j;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(old); i++) {
		for (j = 0; j < ARRAY_SIZE(opts); j++) {
			why[0] = '\0';
			assert_int_equal(ktls_policy_set_opt(&o, opts[j],
							     old[i].version,
							     why, sizeof(why)),
					 -EPROTONOSUPPORT);
			assert_string_equal(why, old[i].why);
			assert_memory_equal(&o, &copy, sizeof(o));
		}
	}
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
		assert_contains(why, "CBC suites are refused by policy");
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

static void test_policy_set_opt_rejects_bad_versions(void **state)
{
	static const struct {
		long version;
		const char *why;
	} bad[] = {
		{ 0, "0 is not a TLS version" },
		{ 0x0305, "0x305 is not a TLS version" },
		{ 0x0200, "0x200 is not a TLS version" },
		{ 0x7f1c, "0x7f1c is not a TLS version" },
		{ 0xfeff, "0xfeff is not a TLS version" },	/* DTLS 1.0 */
		{ -1, "0xffffffffffffffff is not a TLS version" },
		/* Out of 16 bits: reported whole, not as TLS 1.2's 0x0303. */
		{ 0x10303, "0x10303 is not a TLS version" },
	};
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	size_t i;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MIN,
						     bad[i].version, why,
						     sizeof(why)), -EINVAL);
		assert_contains(why, bad[i].why);
		assert_contains(why, "use KTLS_TLS_1_2 or KTLS_TLS_1_3");
		assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERSION_MAX,
						     bad[i].version, why,
						     sizeof(why)), -EINVAL);
		assert_memory_equal(&o, &copy, sizeof(o));
	}
}

static void test_policy_set_opt_accepts_verify_modes(void **state)
{
	struct ktls_opts o;
	long v;

	(void)state;
	ktls_opts_default(&o);
	for (v = KTLS_VERIFY_NONE_INSECURE; v >= KTLS_VERIFY_DEFAULT; v--) {
		assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERIFY, v,
						     NULL, 0), 0);
		assert_int_equal(o.verify, v);
	}
}

static void test_policy_set_opt_rejects_bad_verify_mode(void **state)
{
	static const long bad[] = { -1, 4, 256, 0x100000000l };
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	char want[64];
	size_t i;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERIFY,
						     bad[i], why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want), "%ld is not a verify mode",
			 bad[i]);
		assert_string_equal(why, want);
		assert_memory_equal(&o, &copy, sizeof(o));
	}
}

static void test_policy_set_opt_accepts_depth_bounds(void **state)
{
	struct ktls_opts o;

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(o.verify_depth, 9);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERIFY_DEPTH, 1,
					     NULL, 0), 0);
	assert_int_equal(o.verify_depth, 1);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERIFY_DEPTH, 16,
					     NULL, 0), 0);
	assert_int_equal(o.verify_depth, 16);
}

static void test_policy_set_opt_rejects_bad_depth(void **state)
{
	static const long bad[] = { 0, 17, -1, 256, 0x10000000al };
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	char want[64];
	size_t i;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_VERIFY_DEPTH,
						     bad[i], why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want),
			 "verify depth must be 1 to 16, not %ld", bad[i]);
		assert_string_equal(why, want);
		assert_memory_equal(&o, &copy, sizeof(o));
	}
}

static void test_policy_set_opt_accepts_booleans(void **state)
{
	struct ktls_opts o;

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_CRL_CHECK, 1, NULL,
					     0), 0);
	assert_true(o.crl_check);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_SESSION_TICKETS, 0,
					     NULL, 0), 0);
	assert_false(o.tickets);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_FORCE_SOFTWARE, 1,
					     NULL, 0), 0);
	assert_true(o.force_software);
	assert_false(o.require_offload);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_REQUIRE_OFFLOAD, 1,
					     NULL, 0), 0);
	assert_true(o.require_offload);
	/* Each option sets its own field only. */
	assert_true(o.crl_check);
	assert_false(o.tickets);
	assert_true(o.force_software);

	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_CRL_CHECK, 0, NULL,
					     0), 0);
	assert_false(o.crl_check);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_SESSION_TICKETS, 1,
					     NULL, 0), 0);
	assert_true(o.tickets);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_FORCE_SOFTWARE, 0,
					     NULL, 0), 0);
	assert_false(o.force_software);
}

static void test_policy_set_opt_rejects_bad_booleans(void **state)
{
	static const enum ktls_opt opts[] = {
		KTLS_OPT_CRL_CHECK, KTLS_OPT_SESSION_TICKETS,
		KTLS_OPT_FORCE_SOFTWARE, KTLS_OPT_RENEGOTIATION,
		KTLS_OPT_REQUIRE_OFFLOAD,
	};
	static const long bad[] = { 2, -1, 256, 0x100000001l };
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	char want[64];
	size_t i, j;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			assert_int_equal(ktls_policy_set_opt(&o, opts[i],
							     bad[j], why,
							     sizeof(why)),
					 -EINVAL);
			snprintf(want, sizeof(want),
				 "a yes/no option takes 0 or 1, not %ld",
				 bad[j]);
			assert_string_equal(why, want);
			assert_memory_equal(&o, &copy, sizeof(o));
		}
	}
}

static void test_policy_set_opt_accepts_no_renegotiation(void **state)
{
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE] = "unchanged";

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RENEGOTIATION, 0,
					     why, sizeof(why)), 0);
	/* There is nothing to store: renegotiation is always off. */
	assert_memory_equal(&o, &copy, sizeof(o));
	assert_string_equal(why, "unchanged");
}

static void test_policy_set_opt_refuses_renegotiation(void **state)
{
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RENEGOTIATION, 1,
					     why, sizeof(why)),
			 -EPROTONOSUPPORT);
	assert_contains(why, "renegotiation is refused by policy");
	assert_memory_equal(&o, &copy, sizeof(o));
}

static void test_policy_set_opt_record_limit_bounds(void **state)
{
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(o.record_limit, 0);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RECORD_LIMIT, 16,
					     why, sizeof(why)), 0);
	assert_int_equal(o.record_limit, 16);
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RECORD_LIMIT, 0,
					     why, sizeof(why)), 0);
	assert_int_equal(o.record_limit, 0);
	copy = o;
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RECORD_LIMIT, 15,
					     why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "at least 16"));
	assert_int_equal(ktls_policy_set_opt(&o, KTLS_OPT_RECORD_LIMIT, -1,
					     why, sizeof(why)), -EINVAL);
	assert_memory_equal(&o, &copy, sizeof(o));
}

static void test_policy_set_opt_rejects_unknown_option(void **state)
{
	static const int bad[] = { 0, 12, 100, -1 };
	struct ktls_opts o, copy;
	char why[KTLS_ERRSTR_SIZE];
	char want[64];
	size_t i;

	(void)state;
	ktls_opts_default(&o);
	copy = o;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(ktls_policy_set_opt(&o, (enum ktls_opt)bad[i],
						     0, why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want), "%d is not an option", bad[i]);
		assert_string_equal(why, want);
		assert_int_equal(ktls_policy_set_opt(&o, (enum ktls_opt)bad[i],
						     1, why, sizeof(why)),
				 -EINVAL);
		assert_memory_equal(&o, &copy, sizeof(o));
	}
}

/* ktls_policy_check_alpn() ---------------------------------------------- */

static void test_policy_check_alpn_accepts_lists(void **state)
{
	static const char *const ok[] = {
		"h2", "http/1.1", "h2,http/1.1", "a,b,c,d", "x",
	};
	char why[KTLS_ERRSTR_SIZE] = "unchanged";
	char longest[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++)
		assert_int_equal(ktls_policy_check_alpn(ok[i], why,
							sizeof(why)), 0);
	/* None at all. */
	assert_int_equal(ktls_policy_check_alpn(NULL, why, sizeof(why)), 0);
	assert_int_equal(ktls_policy_check_alpn("", why, sizeof(why)), 0);
	/* One name of 255 bytes, the most a list may hold. */
	memset(longest, 'p', 255);
	longest[255] = '\0';
	assert_int_equal(ktls_policy_check_alpn(longest, why, sizeof(why)), 0);
	assert_string_equal(why, "unchanged");
}

static void test_policy_check_alpn_rejects_empty_name(void **state)
{
	static const char *const bad[] = { "h2,,x", ",h2", "h2,", ",", ",,",
					   "h2,http/1.1," };
	char why[KTLS_ERRSTR_SIZE];
	char want[KTLS_ERRSTR_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		why[0] = '\0';
		assert_int_equal(ktls_policy_check_alpn(bad[i], why,
							sizeof(why)), -EINVAL);
		snprintf(want, sizeof(want),
			 "ALPN list '%s' has an empty name", bad[i]);
		assert_string_equal(why, want);
	}
	assert_int_equal(ktls_policy_check_alpn("h2,,x", NULL, 0), -EINVAL);
}

static void test_policy_check_alpn_rejects_long_list(void **state)
{
	char why[KTLS_ERRSTR_SIZE];
	char list[300];

	(void)state;
	/* One name of 256 bytes. */
	memset(list, 'p', 256);
	list[256] = '\0';
	assert_int_equal(ktls_policy_check_alpn(list, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "ALPN list longer than 255 bytes");
	/* Short names, 256 bytes in all. */
	memset(list, 'q', 256);
	list[1] = ',';
	list[100] = ',';
	why[0] = '\0';
	assert_int_equal(ktls_policy_check_alpn(list, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "ALPN list longer than 255 bytes");
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

/* ktls_opts_default() --------------------------------------------------- */

static void test_opts_default_is_secure(void **state)
{
	static const enum ktls_cipher want[] = { AES256GCM, AES128GCM, CHACHA,
						 AES128CCM };
	struct ktls_opts o;

	(void)state;
	ktls_opts_default(&o);
	assert_int_equal(o.version_min, KTLS_TLS_1_2);
	assert_int_equal(o.version_max, KTLS_TLS_1_3);
	assert_int_equal(o.verify, KTLS_VERIFY_DEFAULT);
	assert_int_equal(o.verify_depth, 9);
	assert_true(o.tickets);
	assert_false(o.crl_check);
	assert_false(o.force_software);
	assert_int_equal(o.n_ciphers, 4);
	assert_memory_equal(o.ciphers, want, sizeof(want));
	assert_string_equal(o.alpn, "");
}

static void test_opts_default_overwrites_previous_values(void **state)
{
	struct ktls_opts o, fresh;

	(void)state;
	ktls_opts_default(&fresh);
	memset(&o, 0xff, sizeof(o));
	ktls_opts_default(&o);
	/* Nothing of the old contents survives, padding included. */
	assert_memory_equal(&o, &fresh, sizeof(o));
	assert_int_equal(o.alpn[sizeof(o.alpn) - 1], '\0');
}

/* Contexts and connections, no network -------------------------------- */

static void test_ctx_set_ciphers_applies_list(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "chacha20:AES-128-GCM"), 0);
	assert_int_equal(ctx->opts.n_ciphers, 2);
	assert_int_equal(ctx->opts.ciphers[0], CHACHA);
	assert_int_equal(ctx->opts.ciphers[1], AES128GCM);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_ciphers_refuses_rc4(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;

	(void)state;
	assert_non_null(ctx);
	before = ctx->opts;
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "RC4-SHA"),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_ctx_errstr(ctx), "RC4");
	assert_memory_equal(&ctx->opts, &before, sizeof(before));
	assert_int_equal(ktls_ctx_set_ciphers(ctx, ""), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(ctx),
			    "the cipher list names no cipher");
	/* A later success clears the message. */
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "AES-256-GCM"), 0);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	assert_int_equal(ktls_ctx_set_ciphers(NULL, "AES-256-GCM"), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(NULL), "no context");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_opt_applies_value(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN,
					  KTLS_TLS_1_3), 0);
	assert_int_equal(ctx->opts.version_min, KTLS_TLS_1_3);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_RENEGOTIATION, 0), 0);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_opt_refuses_tls_1_0(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;

	(void)state;
	assert_non_null(ctx);
	before = ctx->opts;
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN, 0x0301),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_ctx_errstr(ctx), "TLS 1.0");
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_RENEGOTIATION, 1),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_ctx_errstr(ctx), "renegotiation");
	assert_int_equal(ktls_ctx_set_opt(ctx, (enum ktls_opt)42, 1), -EINVAL);
	assert_memory_equal(&ctx->opts, &before, sizeof(before));
	assert_int_equal(ktls_ctx_set_opt(NULL, KTLS_OPT_VERSION_MIN,
					  KTLS_TLS_1_3), -EINVAL);
	ktls_ctx_free(ctx);
}

static void test_ctx_set_alpn_stores_list(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2,http/1.1"), 0);
	assert_string_equal(ctx->opts.alpn, "h2,http/1.1");
	assert_int_equal(ktls_ctx_set_alpn(ctx, NULL), 0);
	assert_string_equal(ctx->opts.alpn, "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_alpn_rejects_empty_name(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2"), 0);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2,,x"), -EINVAL);
	assert_contains(ktls_ctx_errstr(ctx), "empty name");
	assert_string_equal(ctx->opts.alpn, "h2");
	ktls_ctx_free(ctx);
}

static void test_ctx_load_ca_file_rejects_missing_file(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, MISSING_PATH), -ENOENT);
	assert_contains(ktls_ctx_errstr(ctx), MISSING_PATH);
	assert_contains(ktls_ctx_errstr(ctx), "No such file or directory");
	assert_false(ctx->trust_loaded);
	/* A directory is not a file. */
	assert_int_equal(ktls_ctx_load_ca_file(ctx, "/"), -EISDIR);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, NULL), -EINVAL);
	assert_int_equal(ktls_ctx_load_ca_file(NULL, MISSING_PATH), -EINVAL);
	assert_false(ctx->trust_loaded);
	ktls_ctx_free(ctx);
}

static void test_ctx_add_identity_rejects_missing_files(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_add_identity(ctx, MISSING_PATH,
					       MISSING_PATH ".key"), -ENOENT);
	assert_contains(ktls_ctx_errstr(ctx), "certificate " MISSING_PATH);
	assert_int_equal(ctx->n_identities, 0);
	assert_int_equal(ktls_ctx_add_identity(ctx, NULL, NULL), -EINVAL);
	assert_int_equal(ktls_ctx_add_identity(NULL, MISSING_PATH,
					       MISSING_PATH), -EINVAL);
	assert_int_equal(ctx->n_identities, 0);
	ktls_ctx_free(ctx);
}

static void test_conn_new_copies_ctx_options(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_conn *client, *server;
	int fd;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "AES-128-CCM"), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	client = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(client);
	server = ktls_conn_new(ctx, fd, KTLS_ROLE_SERVER);
	assert_non_null(server);
	assert_int_equal(ktls_conn_fd(client), fd);
	assert_string_equal(ktls_conn_errstr(client), "");
	assert_memory_equal(&client->opts, &ctx->opts, sizeof(ctx->opts));
	assert_int_equal(client->opts.n_ciphers, 1);
	assert_int_equal(client->opts.ciphers[0], AES128CCM);
	assert_int_equal(ktls_conn_alert(client), -1);
	ktls_conn_free(server);
	ktls_conn_free(client);
	ktls_conn_free(NULL);
	/* libktls never closes the fd. */
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_new_rejects_bad_arguments(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	int fd;

	(void)state;
	assert_non_null(ctx);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_null(ktls_conn_new(ctx, fd, (enum ktls_role)0));
	assert_null(ktls_conn_new(ctx, fd, (enum ktls_role)3));
	assert_null(ktls_conn_new(ctx, -1, KTLS_ROLE_CLIENT));
	assert_null(ktls_conn_new(NULL, fd, KTLS_ROLE_CLIENT));
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_set_opt_overrides_ctx(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts ctx_before;
	struct ktls_conn *conn;
	int fd;

	(void)state;
	assert_non_null(ctx);
	ctx_before = ctx->opts;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(conn);
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), 0);
	assert_int_equal(conn->opts.version_min, KTLS_TLS_1_3);
	assert_int_equal(ktls_conn_set_ciphers(conn, "TLS_AES_256_GCM_SHA384"),
			 0);
	assert_int_equal(conn->opts.n_ciphers, 1);
	assert_int_equal(conn->opts.ciphers[0], AES256GCM);
	assert_int_equal(ktls_conn_set_alpn(conn, "h2"), 0);
	assert_string_equal(conn->opts.alpn, "h2");
	assert_int_equal(ktls_conn_set_peer_name(conn, "unit.example"), 0);
	assert_string_equal(conn->peer_name, "unit.example");
	assert_string_equal(ktls_conn_errstr(conn), "");
	/* The context's defaults stay as they were. */
	assert_memory_equal(&ctx->opts, &ctx_before, sizeof(ctx_before));
	ktls_conn_free(conn);
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_set_opt_refuses_insecure(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;
	struct ktls_conn *conn;
	int fd;

	(void)state;
	assert_non_null(ctx);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(conn);
	before = conn->opts;
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_VERSION_MIN, 0x0302),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_conn_errstr(conn), "TLS 1.1");
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_RENEGOTIATION, 1),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_conn_errstr(conn), "renegotiation");
	assert_int_equal(ktls_conn_set_ciphers(conn, "DES-CBC3-SHA"),
			 -EPROTONOSUPPORT);
	assert_contains(ktls_conn_errstr(conn), "3DES is refused");
	assert_int_equal(ktls_conn_set_alpn(conn, ",h2"), -EINVAL);
	assert_memory_equal(&conn->opts, &before, sizeof(before));
	assert_int_equal(ktls_conn_set_peer_name(conn, ""), -EINVAL);
	assert_int_equal(ktls_conn_set_peer_name(conn, NULL), -EINVAL);
	assert_null(conn->peer_name);
	assert_int_equal(ktls_conn_set_opt(NULL, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), -EINVAL);
	assert_string_equal(ktls_conn_errstr(NULL), "no connection");
	ktls_conn_free(conn);
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
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
		cmocka_unit_test(test_policy_set_opt_accepts_versions),
		cmocka_unit_test(test_policy_set_opt_refuses_old_versions),
		cmocka_unit_test(test_policy_parse_ciphers_refuses_openssl_cbc_names),
		cmocka_unit_test(test_policy_parse_ciphers_ignores_exclusions),
		cmocka_unit_test(test_policy_set_opt_rejects_bad_versions),
		cmocka_unit_test(test_policy_set_opt_accepts_verify_modes),
		cmocka_unit_test(test_policy_set_opt_rejects_bad_verify_mode),
		cmocka_unit_test(test_policy_set_opt_accepts_depth_bounds),
		cmocka_unit_test(test_policy_set_opt_rejects_bad_depth),
		cmocka_unit_test(test_policy_set_opt_accepts_booleans),
		cmocka_unit_test(test_policy_set_opt_rejects_bad_booleans),
		cmocka_unit_test(test_policy_set_opt_accepts_no_renegotiation),
		cmocka_unit_test(test_policy_set_opt_refuses_renegotiation),
		cmocka_unit_test(test_policy_set_opt_record_limit_bounds),
		cmocka_unit_test(test_policy_set_opt_rejects_unknown_option),
		cmocka_unit_test(test_policy_check_alpn_accepts_lists),
		cmocka_unit_test(test_policy_check_alpn_rejects_empty_name),
		cmocka_unit_test(test_policy_check_alpn_rejects_long_list),
		cmocka_unit_test(test_policy_suites_lists_in_order),
		cmocka_unit_test(test_policy_suites_rejects_small_buf),
		cmocka_unit_test(test_opts_default_is_secure),
		cmocka_unit_test(test_opts_default_overwrites_previous_values),
		cmocka_unit_test(test_ctx_set_ciphers_applies_list),
		cmocka_unit_test(test_ctx_set_ciphers_refuses_rc4),
		cmocka_unit_test(test_ctx_set_opt_applies_value),
		cmocka_unit_test(test_ctx_set_opt_refuses_tls_1_0),
		cmocka_unit_test(test_ctx_set_alpn_stores_list),
		cmocka_unit_test(test_ctx_set_alpn_rejects_empty_name),
		cmocka_unit_test(test_ctx_load_ca_file_rejects_missing_file),
		cmocka_unit_test(test_ctx_add_identity_rejects_missing_files),
		cmocka_unit_test(test_conn_new_copies_ctx_options),
		cmocka_unit_test(test_conn_new_rejects_bad_arguments),
		cmocka_unit_test(test_conn_set_opt_overrides_ctx),
		cmocka_unit_test(test_conn_set_opt_refuses_insecure),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
