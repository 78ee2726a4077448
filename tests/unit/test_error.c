// SPDX-License-Identifier: MIT
/*
 * test_error.c - ktls_strerror() and ktls_version() (error.c).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_int.h"

static void test_strerror_accepts_negative_and_positive(void **state)
{
	(void)state;
	assert_string_equal(ktls_strerror(-ENOENT), ktls_strerror(ENOENT));
	assert_string_equal(ktls_strerror(-ENOENT),
			    "No such file or directory");
	assert_string_equal(ktls_strerror(-EBADMSG), ktls_strerror(EBADMSG));
}

static void test_strerror_describes_unknown_codes(void **state)
{
	static const int codes[] = { 4095, -4095, 100000, INT_MAX, INT_MIN,
				     -INT_MAX };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = ktls_strerror(codes[i]);

		assert_non_null(s);
		assert_string_equal(s, "Unknown error");
	}
}

static void test_strerror_describes_zero(void **state)
{
	(void)state;
	assert_non_null(ktls_strerror(0));
	assert_string_not_equal(ktls_strerror(0), "Unknown error");
}

static void test_version_matches_header(void **state)
{
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "%d.%d.%d", KTLS_VERSION_MAJOR,
		 KTLS_VERSION_MINOR, KTLS_VERSION_PATCH);
	assert_string_equal(ktls_version(), want);
}

static void test_version_is_not_another_version(void **state)
{
	char other[32];

	(void)state;
	snprintf(other, sizeof(other), "%d.%d.%d", KTLS_VERSION_MAJOR,
		 KTLS_VERSION_MINOR, KTLS_VERSION_PATCH + 1);
	assert_string_not_equal(ktls_version(), other);
	assert_string_not_equal(ktls_version(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_accepts_negative_and_positive),
		cmocka_unit_test(test_strerror_describes_unknown_codes),
		cmocka_unit_test(test_strerror_describes_zero),
		cmocka_unit_test(test_version_matches_header),
		cmocka_unit_test(test_version_is_not_another_version),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
