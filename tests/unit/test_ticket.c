// SPDX-License-Identifier: MIT
/*
 * test_ticket.c - ktls_ticket_key_derive(): HKDF-SHA256 as RFC 5869 has
 * it, deterministic, every input counts, and the bounds are enforced.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include "helpers.h"

/*
 * RFC 5869, test case 2 (the longer inputs): IKM 0x00..0x4f, salt
 * 0x60..0xaf (a string: no NUL in it), info 0xb0..0xff.  Its OKM's first
 * 48 bytes are the key: 16 of name, 32 of secret.
 */
static void test_derive_rfc5869_case_2(void **state)
{
	uint8_t ikm[80], info[80], want[48];
	char salt[81];
	struct ktls_ticket_key k;
	int i;

	(void)state;
	for (i = 0; i < 80; i++) {
		ikm[i] = (uint8_t)i;
		salt[i] = (char)(0x60 + i);
		info[i] = (uint8_t)(0xb0 + i);
	}
	salt[80] = '\0';
	assert_int_equal(th_hex_decode(
		"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		"59045a99cac7827271cb41c65e590e09", want, sizeof(want)), 48);
	assert_int_equal(ktls_ticket_key_derive(ikm, sizeof(ikm), salt, info,
						sizeof(info), &k), 0);
	assert_memory_equal(k.name, want, sizeof(k.name));
	assert_memory_equal(k.secret, want + 16, sizeof(k.secret));
}

static void test_derive_every_input_counts(void **state)
{
	uint8_t secret[32], other[33];
	struct ktls_ticket_key a, b;

	(void)state;
	memset(secret, 7, sizeof(secret));
	memset(other, 7, sizeof(other));
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "app v1", "ctx", 3,
						&a), 0);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "app v1", "ctx", 3,
						&b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(a.name, a.secret, sizeof(a.name));
	assert_int_equal(ktls_ticket_key_derive(other, 33, "app v1", "ctx", 3,
						&b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "app v2", "ctx", 3,
						&b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "app v1", "ctx", 2,
						&b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
	/* no context is a context of its own */
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "app v1", NULL, 0,
						&b), 0);
	assert_memory_not_equal(&a, &b, sizeof(a));
}

static void test_derive_refuses_bad_arguments(void **state)
{
	static uint8_t secret[KTLS_TICKET_DERIVE_SECRET_MAX + 1];
	static uint8_t context[KTLS_TICKET_DERIVE_CONTEXT_MAX + 1];
	struct ktls_ticket_key k;

	(void)state;
	assert_int_equal(ktls_ticket_key_derive(secret, 31, "l", NULL, 0, &k),
			 -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, sizeof(secret), "l",
						NULL, 0, &k), -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, sizeof(secret) - 1,
						"l", NULL, 0, &k), 0);
	assert_int_equal(ktls_ticket_key_derive(NULL, 32, "l", NULL, 0, &k),
			 -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, NULL, NULL, 0, &k),
			 -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "", NULL, 0, &k),
			 -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", NULL, 1, &k),
			 -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", context,
						sizeof(context), &k), -EINVAL);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", context,
						sizeof(context) - 1, &k), 0);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", NULL, 0,
						NULL), -EINVAL);
}

/* The derived key seals tickets: it is a key ktls_ctx_set_ticket_keys()
 * takes. */
static void test_derived_keys_install(void **state)
{
	uint8_t secret[32] = { 1 };
	struct ktls_ticket_key keys[2];
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", "1", 1,
						&keys[0]), 0);
	assert_int_equal(ktls_ticket_key_derive(secret, 32, "l", "0", 1,
						&keys[1]), 0);
	assert_int_equal(ktls_ctx_set_ticket_keys(ctx, keys, 2), 0);
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_rfc5869_case_2),
		cmocka_unit_test(test_derive_every_input_counts),
		cmocka_unit_test(test_derive_refuses_bad_arguments),
		cmocka_unit_test(test_derived_keys_install),
	};

	return cmocka_run_group_tests_name("ticket", tests, NULL, NULL);
}
