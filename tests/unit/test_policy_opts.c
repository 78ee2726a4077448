// SPDX-License-Identifier: MIT
/*
 * test_policy_opts.c - which options libktls allows (policy.c): versions,
 * verification, yes/no options, renegotiation and the record limit set
 * through ktls_policy_set_opt(), ALPN lists, and the secure defaults of
 * ktls_opts_default().
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
		TH_ASSERT_CONTAINS(why, bad[i].why);
		TH_ASSERT_CONTAINS(why, "use KTLS_TLS_1_2 or KTLS_TLS_1_3");
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
	/* Each option sets its own field only. */
	assert_true(o.crl_check);
	assert_false(o.tickets);

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
	TH_ASSERT_CONTAINS(why, "renegotiation is refused by policy");
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
	static const int bad[] = { 0, 11, 100, -1 };
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_set_opt_accepts_versions),
		cmocka_unit_test(test_policy_set_opt_refuses_old_versions),
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
		cmocka_unit_test(test_opts_default_is_secure),
		cmocka_unit_test(test_opts_default_overwrites_previous_values),
	};

	return cmocka_run_group_tests_name("policy_opts", tests, NULL, NULL);
}
