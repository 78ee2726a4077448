// SPDX-License-Identifier: MIT
/*
 * test_session.c - saved sessions, without a network: sealed session
 * export and import, and wolfSSL's session parser, which only authentic
 * bytes may reach.  The session cache is test_session_cache.c's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

/* Every call of wolfSSL's session parser (-Wl,--wrap, see the Makefile):
 * bytes that do not authenticate must never get there. */
WOLFSSL_SESSION *__real_wolfSSL_d2i_SSL_SESSION(WOLFSSL_SESSION **sess,
						const unsigned char **p,
						long len);
WOLFSSL_SESSION *__wrap_wolfSSL_d2i_SSL_SESSION(WOLFSSL_SESSION **sess,
						const unsigned char **p,
						long len);
static unsigned int d2i_calls;

WOLFSSL_SESSION *__wrap_wolfSSL_d2i_SSL_SESSION(WOLFSSL_SESSION **sess,
						const unsigned char **p,
						long len)
{
	d2i_calls++;
	return __real_wolfSSL_d2i_SSL_SESSION(sess, p, len);
}

static void test_session_import_rejects_garbage(void **state)
{
	static const uint8_t junk[] = "not a session, not at all";
	struct ktls_session *s = (struct ktls_session *)0x1;
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	d2i_calls = 0;
	assert_int_equal(ktls_session_import(ctx, junk, sizeof(junk), &s),
			 -EBADMSG);
	assert_ptr_equal(s, (struct ktls_session *)0x1);
	assert_int_equal(ktls_session_import(ctx, NULL, 10, &s), -EINVAL);
	assert_int_equal(ktls_session_import(ctx, junk, 0, &s), -EINVAL);
	assert_int_equal(ktls_session_import(ctx, junk, sizeof(junk), NULL),
			 -EINVAL);
	assert_int_equal(ktls_session_import(NULL, junk, sizeof(junk), &s),
			 -EINVAL);
	assert_ptr_equal(s, (struct ktls_session *)0x1);
	assert_int_equal(d2i_calls, 0);
	ktls_ctx_free(ctx);
}

/*
 * wolfSSL's session bytes, by hand: side 01; born-on, timeout 0; a
 * session ID of @id_len zero bytes; 48 zero bytes of master secret; EMS 0;
 * no alt ID; a chain count of @count and @certs certificates of @cert_len
 * zero bytes; then @tail zero bytes (version, suite, server ID, ...).
 * Returns the length written into @buf (of @size).
 */
static size_t blob(uint8_t *buf, size_t size, unsigned int id_len,
		   unsigned int count, unsigned int certs, unsigned int cert_len,
		   size_t tail)
{
	size_t n = 0, need;
	unsigned int i;

	need = 1 + 4 + 4 + 1 + id_len + 48 + 1 + 1 + 1 +
	       certs * (2 + (size_t)cert_len) + tail;
	assert_true(need <= size);
	memset(buf, 0, need);
	buf[n++] = 0x01;
	n += 8;
	buf[n++] = (uint8_t)id_len;
	n += id_len + 48 + 1 + 1;
	buf[n++] = (uint8_t)count;
	for (i = 0; i < certs; i++) {
		buf[n++] = (uint8_t)(cert_len >> 8);
		buf[n++] = (uint8_t)cert_len;
		n += cert_len;
	}
	n += tail;
	assert_int_equal(n, need);
	return n;
}

/* The smallest session (its zero tail @tail long) with a ticket of @len
 * bytes of which @have are there. */
static size_t ticket(uint8_t *buf, size_t size, size_t tail, unsigned int len,
		     unsigned int have)
{
	size_t n = blob(buf, size, 0, 0, 0, 0, tail + have);

	buf[n - have - 2] = (uint8_t)(len >> 8);
	buf[n - have - 1] = (uint8_t)len;
	memset(buf + n - have, 0x77, have);
	return n;
}

static int parse(const uint8_t *buf, size_t len)
{
	struct ktls_session *s = NULL;
	int ret = ktls_session_parse(buf, len, &s);

	if (ret == 0) {
		assert_non_null(s);
		ktls_session_free(s);
	} else {
		assert_null(s);
	}
	return ret;
}

/*
 * How many zero bytes follow the chain in the smallest session this
 * wolfSSL build parses (the fields after it depend on the build): the
 * one tail length that parses exactly.
 */
static size_t zero_tail(void)
{
	uint8_t buf[256];
	size_t tail, found = 0;
	int hits = 0;

	for (tail = 0; tail <= 64; tail++) {
		if (parse(buf, blob(buf, sizeof(buf), 0, 0, 0, 0, tail)) == 0) {
			found = tail;
			hits++;
		}
	}
	assert_int_equal(hits, 1);
	assert_true(found > 0);
	return found;
}

static void skip_unless_patched(void)
{
#ifndef KTLS_WOLFSSL_PROJECT
	/* Debian's libwolfssl lacks wolfssl/patches/0002: the sealing is
	 * what keeps hostile bytes from its parser. */
	skip();
#endif
}

/*
 * The 635-byte blob: a chain count of 255 with 255 empty
 * certificates.  wolfSSL wrote past its 9-entry chain and crashed.
 */
static void test_session_parse_rejects_chain_count_255(void **state)
{
	uint8_t buf[635];

	(void)state;
	skip_unless_patched();
	assert_int_equal(blob(buf, sizeof(buf), 0, 255, 255, 0, 64), 635);
	assert_int_equal(parse(buf, sizeof(buf)), -EBADMSG);
}

/* The chain holds MAX_CHAIN_DEPTH (9): 9 parses, 10 to 32 and 255 do
 * not, given as many certificates as they claim. */
static void test_session_parse_bounds_chain_count(void **state)
{
	uint8_t buf[1024];
	size_t tail;
	unsigned int n;

	(void)state;
	skip_unless_patched();
	tail = zero_tail();
	assert_int_equal(parse(buf, blob(buf, sizeof(buf), 0, 9, 9, 0, tail)),
			 0);
	for (n = 10; n <= 32; n++)
		assert_int_equal(parse(buf, blob(buf, sizeof(buf), 0, n, n, 0,
						 tail)), -EBADMSG);
	assert_int_equal(parse(buf, blob(buf, sizeof(buf), 0, 255, 255, 0,
					 tail)), -EBADMSG);
}

/* Lengths over the room wolfSSL has: a session ID over 32 bytes, a
 * certificate over MAX_X509_SIZE (8 KiB at most in any build). */
static void test_session_parse_bounds_lengths(void **state)
{
	size_t size = 70000, tail;
	uint8_t *buf = malloc(size);

	(void)state;
	skip_unless_patched();
	assert_non_null(buf);
	tail = zero_tail();
	assert_int_equal(parse(buf, blob(buf, size, 32, 0, 0, 0, tail)), 0);
	assert_int_equal(parse(buf, blob(buf, size, 33, 0, 0, 0, tail)),
			 -EBADMSG);
	assert_int_equal(parse(buf, blob(buf, size, 255, 0, 0, 0, tail)),
			 -EBADMSG);
	assert_int_equal(parse(buf, blob(buf, size, 0, 1, 1, 1000, tail)), 0);
	assert_int_equal(parse(buf, blob(buf, size, 0, 1, 1, 8193, tail)),
			 -EBADMSG);
	assert_int_equal(parse(buf, blob(buf, size, 0, 1, 1, 60000, tail)),
			 -EBADMSG);
	/* Claims more than there is, and trailing bytes. */
	assert_int_equal(parse(buf, blob(buf, size, 0, 2, 1, 0, tail)),
			 -EBADMSG);
	assert_int_equal(parse(buf, blob(buf, size, 0, 0, 0, 0, tail + 1)),
			 -EBADMSG);
	/* The ticket comes last: 1000 bytes (allocated, and freed: ASan
	 * and valgrind see the frees), or a length one over what is left. */
	assert_int_equal(parse(buf, ticket(buf, size, tail, 1000, 1000)), 0);
	assert_int_equal(parse(buf, ticket(buf, size, tail, 1000, 999)),
			 -EBADMSG);
	free(buf);
}

/* A session with no wolfSSL state has nothing to export. */
static void test_session_export_rejects_empty(void **state)
{
	struct ktls_session *s = ktls_session_wrap(NULL);
	struct ktls_ctx *ctx = ktls_ctx_new();
	uint8_t buf[16];

	(void)state;
	assert_non_null(s);
	assert_non_null(ctx);
	assert_int_equal(ktls_session_export(ctx, s, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ktls_session_export(ctx, NULL, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ktls_session_export(NULL, s, buf, sizeof(buf)),
			 -EINVAL);
	assert_false(ktls_session_resumable(s));
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/* --- sealed sessions ---------------------------------------------------- */

#define OVERHEAD (1 + 12 + 16)

/* A session wolfSSL parses: a 32-byte session ID of 0xa5 and a master
 * secret of 0x5a (which must never show in the sealed bytes). */
static struct ktls_session *real_session(void)
{
	uint8_t buf[256];
	struct ktls_session *s = NULL;
	size_t n = blob(buf, sizeof(buf), 32, 0, 0, 0, zero_tail());

	memset(buf + 10, 0xa5, 32);
	memset(buf + 42, 0x5a, 48);
	assert_int_equal(ktls_session_parse(buf, n, &s), 0);
	assert_non_null(s);
	return s;
}

/* wolfSSL's own bytes for @s (the unsealed format), in @buf. */
static size_t raw(struct ktls_session *s, uint8_t *buf, size_t size)
{
	unsigned char *p = buf;
	int len = wolfSSL_i2d_SSL_SESSION(ktls_session_wolfssl(s), NULL);

	assert_true(len > 0 && (size_t)len <= size);
	assert_int_equal(wolfSSL_i2d_SSL_SESSION(ktls_session_wolfssl(s), &p),
			 len);
	return (size_t)len;
}

/* Export @s under @ctx into @buf; its length. */
static size_t seal(struct ktls_ctx *ctx, struct ktls_session *s,
		   uint8_t *buf, size_t size)
{
	ssize_t len = ktls_session_export(ctx, s, NULL, 0);

	assert_true(len > OVERHEAD && (size_t)len <= size);
	assert_int_equal(ktls_session_export(ctx, s, buf, size), len);
	return (size_t)len;
}

/* Import must refuse @buf with -EBADMSG, and never call wolfSSL. */
static void refused(struct ktls_ctx *ctx, const uint8_t *buf, size_t len)
{
	struct ktls_session *s = NULL;

	d2i_calls = 0;
	assert_int_equal(ktls_session_import(ctx, buf, len, &s), -EBADMSG);
	assert_null(s);
	assert_int_equal(d2i_calls, 0);
}

static void test_session_seal_round_trip(void **state)
{
	static const uint8_t secret[16] = {
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	};
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_session *s = real_session(), *copy = NULL;
	uint8_t buf[512], buf2[512], plain[512], plain2[512];
	size_t len, len2, n;

	(void)state;
	assert_non_null(ctx);
	n = raw(s, plain, sizeof(plain));
	len = seal(ctx, s, buf, sizeof(buf));
	assert_int_equal(len, OVERHEAD + n);
	assert_int_equal(buf[0], 0x01);
	/* Neither the secret nor wolfSSL's bytes are in clear. */
	assert_null(memmem(buf, len, secret, sizeof(secret)));
	assert_null(memmem(buf, len, plain, n));
	/* -ENOSPC leaves the buffer alone. */
	memset(buf2, 0xee, sizeof(buf2));
	assert_int_equal(ktls_session_export(ctx, s, buf2, len - 1), -ENOSPC);
	assert_int_equal(buf2[0], 0xee);
	assert_int_equal(buf2[len - 2], 0xee);

	d2i_calls = 0;
	assert_int_equal(ktls_session_import(ctx, buf, len, &copy), 0);
	assert_int_equal(d2i_calls, 1);
	assert_non_null(copy);
	assert_int_equal(raw(copy, plain2, sizeof(plain2)), n);
	assert_memory_equal(plain2, plain, n);
	/* A second export of the same session: a fresh nonce. */
	len2 = seal(ctx, copy, buf2, sizeof(buf2));
	assert_int_equal(len2, len);
	assert_memory_not_equal(buf2 + 1, buf + 1, 12);
	assert_memory_not_equal(buf2 + 13, buf + 13, len - 13);
	ktls_session_free(copy);
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/* Every bit of the sealed bytes counts: version, nonce, body, tag. */
static void test_session_seal_any_flipped_bit_is_refused(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_session *s = real_session(), *copy = NULL;
	uint8_t buf[512];
	size_t len, i;
	int bit;

	(void)state;
	assert_non_null(ctx);
	len = seal(ctx, s, buf, sizeof(buf));
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			refused(ctx, buf, len);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* And unflipped, it still opens. */
	assert_int_equal(ktls_session_import(ctx, buf, len, &copy), 0);
	ktls_session_free(copy);
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/* Each context has a random key of its own; contexts given the same key
 * read each other's sessions, and a changed key reads none of the old. */
static void test_session_seal_key_decides(void **state)
{
	uint8_t key[KTLS_SESSION_KEY_LEN], other[KTLS_SESSION_KEY_LEN];
	struct ktls_ctx *a = ktls_ctx_new(), *b = ktls_ctx_new();
	struct ktls_session *s = real_session(), *copy = NULL;
	uint8_t buf[512];
	size_t len;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	memset(key, 0x11, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[31] ^= 0x01;		/* one bit apart */
	len = seal(a, s, buf, sizeof(buf));
	refused(b, buf, len);		/* two random keys */

	assert_int_equal(ktls_ctx_set_session_key(a, key, sizeof(key)), 0);
	refused(a, buf, len);		/* sealed under a's old key */
	len = seal(a, s, buf, sizeof(buf));
	refused(b, buf, len);
	assert_int_equal(ktls_ctx_set_session_key(b, key, sizeof(key)), 0);
	assert_int_equal(ktls_session_import(b, buf, len, &copy), 0);
	assert_non_null(copy);
	ktls_session_free(copy);
	assert_int_equal(ktls_ctx_set_session_key(b, other, sizeof(other)),
			 0);
	refused(b, buf, len);
	ktls_session_free(s);
	ktls_ctx_free(a);
	ktls_ctx_free(b);
}

static void test_session_seal_truncated_or_longer_is_refused(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_session *s = real_session(), *copy = NULL;
	uint8_t buf[512];
	size_t len, n;

	(void)state;
	assert_non_null(ctx);
	len = seal(ctx, s, buf, sizeof(buf));
	assert_int_equal(ktls_session_import(ctx, buf, 0, &copy), -EINVAL);
	for (n = 1; n < len; n++)
		refused(ctx, buf, n);
	buf[len] = 0;
	refused(ctx, buf, len + 1);
	assert_null(copy);
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/* Another version byte, even before authentic bytes: refused. */
static void test_session_seal_wrong_version_is_refused(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_session *s = real_session();
	uint8_t buf[512];
	size_t len;
	unsigned int v;

	(void)state;
	assert_non_null(ctx);
	len = seal(ctx, s, buf, sizeof(buf));
	for (v = 0; v < 256; v++) {
		if (v == 0x01)
			continue;
		buf[0] = (uint8_t)v;
		refused(ctx, buf, len);
	}
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/* What ktls_session_export() wrote before sealing (wolfSSL's bytes), and
 * the crashing blob: refused before wolfSSL sees them, in every
 * build, Debian's wolfSSL included. */
static void test_session_seal_unsealed_format_is_refused(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_session *s = real_session();
	uint8_t buf[635];
	size_t n;

	(void)state;
	assert_non_null(ctx);
	n = raw(s, buf, sizeof(buf));
	assert_int_equal(buf[0], 0x01);	/* wolfSSL's side byte looks right */
	refused(ctx, buf, n);
	assert_int_equal(blob(buf, sizeof(buf), 0, 255, 255, 0, 64), 635);
	refused(ctx, buf, sizeof(buf));
	ktls_session_free(s);
	ktls_ctx_free(ctx);
}

/*
 * Every prefix of a real session, placed so that it ends where a page
 * without access begins: wolfSSL's parser must refuse each one without
 * reading a byte past it.  It read the TLS 1.3 ticket-age field 4 bytes
 * past a prefix that stopped inside it (its check counted 8 bytes of the
 * 12 it reads): a SIGSEGV here, found by fuzz_session.
 */
static void test_session_parse_every_prefix_stays_inside(void **state)
{
	struct ktls_session *s = real_session(), *t;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t buf[512], *area;
	size_t n, len;

	(void)state;
	skip_unless_patched();
	n = raw(s, buf, sizeof(buf));
	area = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	assert_int_equal(mprotect(area + page, (size_t)page, PROT_NONE), 0);
	for (len = 1; len < n; len++) {
		uint8_t *at = area + page - len;

		memcpy(at, buf, len);
		t = NULL;
		if (ktls_session_parse(at, len, &t) != -EBADMSG)
			fail_msg("a %zu-byte prefix of %zu was not refused",
				 len, n);
		assert_null(t);
	}
	memcpy(area + page - n, buf, n);
	assert_int_equal(ktls_session_parse(area + page - n, n, &t), 0);
	ktls_session_free(t);
	munmap(area, 2 * (size_t)page);
	ktls_session_free(s);
}

static void test_session_key_setter_checks_arguments(void **state)
{
	uint8_t key[KTLS_SESSION_KEY_LEN + 1];
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	memset(key, 0x42, sizeof(key));
	assert_int_equal(ktls_ctx_set_session_key(NULL, key, 32), -EINVAL);
	assert_int_equal(ktls_ctx_set_session_key(ctx, NULL, 32), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(ctx), "a session key is 32 bytes");
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 0), -EINVAL);
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 16), -EINVAL);
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 31), -EINVAL);
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 33), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(ctx), "a session key is 32 bytes");
	memset(key, 0, sizeof(key));
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 32), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(ctx),
			    "a session key of all zeros is no key");
	key[7] = 1;
	assert_int_equal(ktls_ctx_set_session_key(ctx, key, 32), 0);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_import_rejects_garbage),
		cmocka_unit_test(test_session_export_rejects_empty),
		cmocka_unit_test(test_session_parse_rejects_chain_count_255),
		cmocka_unit_test(test_session_parse_bounds_chain_count),
		cmocka_unit_test(test_session_parse_bounds_lengths),
		cmocka_unit_test(test_session_seal_round_trip),
		cmocka_unit_test(test_session_seal_any_flipped_bit_is_refused),
		cmocka_unit_test(test_session_seal_key_decides),
		cmocka_unit_test(test_session_seal_truncated_or_longer_is_refused),
		cmocka_unit_test(test_session_seal_wrong_version_is_refused),
		cmocka_unit_test(test_session_seal_unsealed_format_is_refused),
		cmocka_unit_test(test_session_key_setter_checks_arguments),
		cmocka_unit_test(test_session_parse_every_prefix_stays_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
