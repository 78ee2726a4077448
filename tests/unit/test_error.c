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

/* Every documented error code has its own description. */
static void test_strerror_names_every_documented_code(void **state)
{
	static const int codes[] = {
		EINVAL, ENOMEM, EAGAIN, EPROTONOSUPPORT, EKEYREJECTED,
		ECONNABORTED, ECONNRESET, EPROTO, EKEYEXPIRED, EIO, EBADMSG,
		EPIPE, ENOENT, EACCES, ENOSPC, EOPNOTSUPP, ENOKEY,
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *a = ktls_strerror(-codes[i]);

		assert_non_null(a);
		assert_string_not_equal(a, "Unknown error");
		for (j = 0; j < i; j++)
			assert_string_not_equal(a, ktls_strerror(-codes[j]));
	}
	assert_string_equal(ktls_strerror(-EKEYREJECTED),
			    "Key was rejected by service");
}

static void test_verify_result_name_names_each(void **state)
{
	int r, q;

	(void)state;
	assert_string_equal(ktls_verify_result_name(KTLS_VERIFY_EXPIRED),
			    "certificate has expired");
	assert_string_equal(ktls_verify_result_name(KTLS_VERIFY_REVOKED),
			    "certificate has been revoked");
	assert_string_equal(
		ktls_verify_result_name(KTLS_VERIFY_HOSTNAME_MISMATCH),
		"certificate does not match the peer name");
	for (r = KTLS_VERIFY_OK; r <= KTLS_VERIFY_OTHER; r++)
		for (q = KTLS_VERIFY_OK; q < r; q++)
			assert_string_not_equal(ktls_verify_result_name(r),
						ktls_verify_result_name(q));
}

static void test_verify_result_name_rejects_unknown(void **state)
{
	(void)state;
	assert_string_equal(ktls_verify_result_name(KTLS_VERIFY_OTHER + 1),
			    "unknown verify result");
	assert_string_equal(ktls_verify_result_name(-1),
			    "unknown verify result");
}

static void test_alert_name_names_rfc8446_alerts(void **state)
{
	(void)state;
	assert_string_equal(ktls_alert_name(0), "close_notify");
	assert_string_equal(ktls_alert_name(40), "handshake_failure");
	assert_string_equal(ktls_alert_name(42), "bad_certificate");
	assert_string_equal(ktls_alert_name(48), "unknown_ca");
	assert_string_equal(ktls_alert_name(116), "certificate_required");
	assert_string_equal(ktls_alert_name(120), "no_application_protocol");
}

static void test_alert_name_rejects_unknown(void **state)
{
	(void)state;
	assert_string_equal(ktls_alert_name(-1), "unknown");
	assert_string_equal(ktls_alert_name(1), "unknown");
	assert_string_equal(ktls_alert_name(255), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_accepts_negative_and_positive),
		cmocka_unit_test(test_strerror_describes_unknown_codes),
		cmocka_unit_test(test_strerror_describes_zero),
		cmocka_unit_test(test_version_matches_header),
		cmocka_unit_test(test_version_is_not_another_version),
		cmocka_unit_test(test_strerror_names_every_documented_code),
		cmocka_unit_test(test_verify_result_name_names_each),
		cmocka_unit_test(test_verify_result_name_rejects_unknown),
		cmocka_unit_test(test_alert_name_names_rfc8446_alerts),
		cmocka_unit_test(test_alert_name_rejects_unknown),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
