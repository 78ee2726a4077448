// SPDX-License-Identifier: MIT
/*
 * test_caps.c - the kernel capability probe (caps.c), against a fake
 * kernel.
 *
 * The binary is linked with -Wl,--wrap=socket,--wrap=setsockopt,--wrap=recv
 * (WRAP_test_caps in the Makefile).  The wrappers pass every call through
 * to the real one until a test arms the fake below; the probe makes dozens
 * of calls, so a small state describes the kernel instead of a will_return
 * per call.  With the fake armed, TCP_ULP and TLS_TX/TLS_RX "succeed"
 * without touching the socket, so the probe record crosses loopback as
 * plain TCP and arrives intact: a kernel with kTLS, as far as the probe can
 * tell.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cmocka.h>
#include <liburing.h>

#include "helpers.h"
#include "ktls_int.h"

#define FAKE_MAX_FD 4096
/* Bit for a kernel cipher_type in fake.refuse_types. */
#define TYPE_BIT(t) (1u << ((t) - TLS_CIPHER_AES_GCM_128))
#define ALL_TYPES (TYPE_BIT(51) | TYPE_BIT(52) | TYPE_BIT(53) | TYPE_BIT(54))

static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
static const enum ktls_cipher ciphers[] = {
	KTLS_CIPHER_AES_128_GCM,
	KTLS_CIPHER_AES_256_GCM,
	KTLS_CIPHER_AES_128_CCM,
	KTLS_CIPHER_CHACHA20_POLY1305,
};

/* What the fake kernel does; all zero = a kernel where everything works. */
static struct {
	bool armed;
	int socket_errno;	/* socket() fails */
	int ulp_errno;		/* setsockopt(TCP_ULP) fails */
	unsigned int refuse_types; /* TYPE_BIT()s TLS_TX/TLS_RX refuse */
	int refuse_dirs;	/* KTLS_DIR_TX | KTLS_DIR_RX */
	int refuse_errno;
	int rekey_errno;	/* a second TLS_TX fails */
	int no_pad_errno;	/* TLS_RX_EXPECT_NO_PAD fails */
	int recv_errno;		/* recv() fails (the record did not open) */
	unsigned int tls_calls;	/* TLS_TX/TLS_RX seen */
	bool tx_set[FAKE_MAX_FD];
} fake;

static int fake_fail(int err)
{
	errno = err;
	return -1;
}

int __wrap_socket(int domain, int type, int protocol)
{
	int fd;

	if (fake.armed && fake.socket_errno)
		return fake_fail(fake.socket_errno);
	fd = __real_socket(domain, type, protocol);
	if (fd >= 0 && fd < FAKE_MAX_FD)
		fake.tx_set[fd] = false;
	return fd;
}

/* Check a crypto_info the way the kernel does before accepting it. */
static int fake_set_crypto(int fd, int optname, const void *optval,
			   socklen_t optlen)
{
	const struct tls_crypto_info *info = optval;
	const struct ktls_cipher_desc *desc = NULL;
	enum ktls_cipher c;
	int dir = optname == TLS_TX ? KTLS_DIR_TX : KTLS_DIR_RX;

	fake.tls_calls++;
	if (optlen < sizeof(*info))
		return fake_fail(EINVAL);
	if (info->version != TLS_1_2_VERSION &&
	    info->version != TLS_1_3_VERSION)
		return fake_fail(EINVAL);
	for (c = KTLS_CIPHER_AES_128_GCM; c <= KTLS_CIPHER_CHACHA20_POLY1305;
	     c++) {
		if (ktls_cipher_desc(c)->cipher_type == info->cipher_type)
			desc = ktls_cipher_desc(c);
	}
	if (!desc || optlen != desc->crypto_info_size)
		return fake_fail(EINVAL);
	if ((fake.refuse_types & TYPE_BIT(info->cipher_type)) &&
	    (fake.refuse_dirs & dir))
		return fake_fail(fake.refuse_errno);
	if (dir == KTLS_DIR_TX && fd >= 0 && fd < FAKE_MAX_FD) {
		if (fake.tx_set[fd] && fake.rekey_errno)
			return fake_fail(fake.rekey_errno);
		fake.tx_set[fd] = true;
	}
	return 0;
}

int __wrap_setsockopt(int fd, int level, int optname, const void *optval,
		      socklen_t optlen)
{
	if (!fake.armed)
		return __real_setsockopt(fd, level, optname, optval, optlen);

	if (level == SOL_TCP && optname == TCP_ULP) {
		if (optlen < 3 || memcmp(optval, "tls", 3) != 0)
			return fake_fail(ENOENT);
		return fake.ulp_errno ? fake_fail(fake.ulp_errno) : 0;
	}
	if (level == SOL_TLS) {
		switch (optname) {
		case TLS_TX:
		case TLS_RX:
			return fake_set_crypto(fd, optname, optval, optlen);
		case TLS_RX_EXPECT_NO_PAD:
			if (fake.no_pad_errno)
				return fake_fail(fake.no_pad_errno);
			return 0;
		default:
			return fake_fail(ENOPROTOOPT);
		}
	}
	return __real_setsockopt(fd, level, optname, optval, optlen);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	if (fake.armed && fake.recv_errno) {
		errno = fake.recv_errno;
		return -1;
	}
	return __real_recv(fd, buf, len, flags);
}

static int disarm(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static struct ktls_caps *probe(void)
{
	struct ktls_caps *caps = NULL;

	assert_int_equal(ktls_caps_probe(&caps), 0);
	assert_non_null(caps);
	return caps;
}

/* Every (version, cipher, dir) result equals @want. */
static void assert_all_ciphers(const struct ktls_caps *caps, int want)
{
	size_t v, c;

	for (v = 0; v < 2; v++) {
		for (c = 0; c < 4; c++) {
			assert_int_equal(ktls_caps_cipher(caps, versions[v],
							  ciphers[c],
							  KTLS_DIR_TX), want);
			assert_int_equal(ktls_caps_cipher(caps, versions[v],
							  ciphers[c],
							  KTLS_DIR_RX), want);
		}
	}
}

static void test_caps_probe_reports_working_kernel(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), 0);
	assert_string_equal(ktls_caps_ulp_reason(caps), "available");
	assert_true(ktls_caps_usable(caps));
	assert_null(ktls_caps_unusable_reason(caps));
	assert_all_ciphers(caps, 0);
	assert_true(ktls_caps_rx_no_pad(caps));
	assert_int_equal(ktls_caps_rekey(caps), 0);
	/* 8 pairs x (TX + RX), one RX for no_pad, two TX for rekey. */
	assert_int_equal(fake.tls_calls, 8 * 2 + 1 + 2);
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_missing_ulp(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.ulp_errno = ENOENT;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), -ENOENT);
	assert_non_null(strstr(ktls_caps_ulp_reason(caps), "TLS ULP"));
	assert_non_null(strstr(ktls_caps_ulp_reason(caps), "CONFIG_TLS"));
	assert_false(ktls_caps_usable(caps));
	/* Unusable, and the ULP says why. */
	assert_string_equal(ktls_caps_unusable_reason(caps),
			    ktls_caps_ulp_reason(caps));
	assert_all_ciphers(caps, -ENOENT);
	assert_false(ktls_caps_rx_no_pad(caps));
	assert_int_equal(ktls_caps_rekey(caps), -ENOENT);
	/* No cipher is tried once the ULP is known to be missing. */
	assert_int_equal(fake.tls_calls, 0);
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_denied_ulp(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.ulp_errno = EPERM;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), -EPERM);
	assert_non_null(strstr(ktls_caps_ulp_reason(caps), "denied"));
	assert_false(ktls_caps_usable(caps));
	assert_all_ciphers(caps, -EPERM);
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_socket_failure(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.socket_errno = EMFILE;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), -EMFILE);
	assert_non_null(strstr(ktls_caps_ulp_reason(caps), "socket()"));
	assert_false(ktls_caps_usable(caps));
	assert_all_ciphers(caps, -EMFILE);
	assert_int_equal(ktls_caps_rekey(caps), -EMFILE);
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_refused_cipher(void **state)
{
	struct ktls_caps *caps;
	size_t v, c;

	(void)state;
	fake.armed = true;
	fake.refuse_types = TYPE_BIT(TLS_CIPHER_CHACHA20_POLY1305);
	fake.refuse_dirs = KTLS_DIR_TX | KTLS_DIR_RX;
	fake.refuse_errno = ENOPKG;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), 0);
	assert_true(ktls_caps_usable(caps));
	for (v = 0; v < 2; v++) {
		for (c = 0; c < 4; c++) {
			int want = ciphers[c] == KTLS_CIPHER_CHACHA20_POLY1305 ?
				   -ENOPKG : 0;

			assert_int_equal(ktls_caps_cipher(caps, versions[v],
							  ciphers[c],
							  KTLS_DIR_TX), want);
			assert_int_equal(ktls_caps_cipher(caps, versions[v],
							  ciphers[c],
							  KTLS_DIR_RX), want);
		}
	}
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_tx_and_rx_separately(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.refuse_types = TYPE_BIT(TLS_CIPHER_AES_CCM_128);
	fake.refuse_dirs = KTLS_DIR_RX;
	fake.refuse_errno = ENOENT;
	caps = probe();
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_CCM,
					  KTLS_DIR_TX), 0);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_CCM,
					  KTLS_DIR_RX), -ENOENT);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_2,
					  KTLS_CIPHER_AES_128_CCM,
					  KTLS_DIR_RX), -ENOENT);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_RX), 0);
	assert_true(ktls_caps_usable(caps));
	ktls_caps_free(caps);
}

static void test_caps_usable_false_when_every_cipher_refused(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.refuse_types = ALL_TYPES;
	fake.refuse_dirs = KTLS_DIR_TX;
	fake.refuse_errno = ENOPKG;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), 0);
	assert_false(ktls_caps_usable(caps));
	/* Unusable though the ULP attaches: the ciphers are why. */
	assert_non_null(strstr(ktls_caps_unusable_reason(caps),
			       "no cipher offloads both ways"));
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_TX), -ENOPKG);
	/* RX keys were accepted, but nothing can be sent to use them. */
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_RX), 0);
	/* Rekey needs TX keys first. */
	assert_int_equal(ktls_caps_rekey(caps), -ENOPKG);
	ktls_caps_free(caps);
}

static void test_caps_probe_reports_undecryptable_record(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.recv_errno = EBADMSG;
	caps = probe();
	assert_int_equal(ktls_caps_ulp(caps), 0);
	assert_all_ciphers(caps, -EBADMSG);
	assert_false(ktls_caps_usable(caps));
	ktls_caps_free(caps);
}

static void test_caps_rekey_reports_ebusy(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.rekey_errno = EBUSY;
	caps = probe();
	assert_int_equal(ktls_caps_rekey(caps), -EBUSY);
	assert_true(ktls_caps_usable(caps));
	ktls_caps_free(caps);
}

static void test_caps_rx_no_pad_false_when_refused(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	fake.no_pad_errno = ENOPROTOOPT;
	caps = probe();
	assert_false(ktls_caps_rx_no_pad(caps));
	assert_true(ktls_caps_usable(caps));
	ktls_caps_free(caps);
}

static void test_caps_probe_closes_every_socket(void **state)
{
	struct ktls_caps *caps;
	int before;

	(void)state;
	before = th_count_fds();
	assert_true(before > 0);

	fake.armed = true;
	caps = probe();
	ktls_caps_free(caps);
	assert_int_equal(th_count_fds(), before);

	fake.refuse_types = ALL_TYPES;
	fake.refuse_dirs = KTLS_DIR_TX | KTLS_DIR_RX;
	fake.refuse_errno = ENOPKG;
	caps = probe();
	ktls_caps_free(caps);
	assert_int_equal(th_count_fds(), before);
}

static void test_caps_probe_rejects_null_pointer(void **state)
{
	(void)state;
	assert_int_equal(ktls_caps_probe(NULL), -EINVAL);
}

static void test_caps_cipher_rejects_unknown_arguments(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	fake.armed = true;
	caps = probe();
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_TX), 0);
	assert_int_equal(ktls_caps_cipher(caps, 0x0302,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_TX), -EINVAL);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  (enum ktls_cipher)0, KTLS_DIR_TX),
			 -EINVAL);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  (enum ktls_cipher)5, KTLS_DIR_TX),
			 -EINVAL);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  (enum ktls_dir)0), -EINVAL);
	assert_int_equal(ktls_caps_cipher(caps, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  (enum ktls_dir)3), -EINVAL);
	ktls_caps_free(caps);
}

static void test_caps_getters_reject_null(void **state)
{
	(void)state;
	assert_false(ktls_caps_usable(NULL));
	assert_int_equal(ktls_caps_ulp(NULL), -EINVAL);
	assert_non_null(ktls_caps_ulp_reason(NULL));
	assert_string_equal(ktls_caps_unusable_reason(NULL),
			    ktls_caps_ulp_reason(NULL));
	assert_int_equal(ktls_caps_cipher(NULL, KTLS_TLS_1_3,
					  KTLS_CIPHER_AES_128_GCM,
					  KTLS_DIR_TX), -EINVAL);
	assert_false(ktls_caps_rx_no_pad(NULL));
	assert_int_equal(ktls_caps_rekey(NULL), -EINVAL);
	assert_int_equal(ktls_caps_handshake_netlink(NULL), -EINVAL);
	assert_int_equal(ktls_caps_io_uring(NULL), -EINVAL);
	assert_false(ktls_caps_io_uring_op(NULL, IORING_OP_SEND));
}

static void test_caps_free_accepts_null(void **state)
{
	(void)state;
	ktls_caps_free(NULL);
}

static void test_caps_io_uring_op_rejects_out_of_range(void **state)
{
	struct ktls_caps *caps;

	(void)state;
	caps = probe();
	assert_false(ktls_caps_io_uring_op(caps, 256));
	assert_false(ktls_caps_io_uring_op(caps, 100000));
	assert_false(ktls_caps_io_uring_op(caps, ~0u));
	if (ktls_caps_io_uring(caps) < 0)
		assert_false(ktls_caps_io_uring_op(caps, IORING_OP_NOP));
	ktls_caps_free(caps);
}

/* Unfaked: whatever this kernel offers, the answers agree. */
static void test_caps_probe_real_kernel_is_consistent(void **state)
{
	struct ktls_caps *caps;
	bool any = false;
	size_t v, c;

	(void)state;
	caps = probe();
	for (v = 0; v < 2; v++) {
		for (c = 0; c < 4; c++) {
			int tx = ktls_caps_cipher(caps, versions[v],
						  ciphers[c], KTLS_DIR_TX);
			int rx = ktls_caps_cipher(caps, versions[v],
						  ciphers[c], KTLS_DIR_RX);

			assert_true(tx <= 0 && rx <= 0);
			if (ktls_caps_ulp(caps) < 0) {
				assert_int_equal(tx, ktls_caps_ulp(caps));
				assert_int_equal(rx, ktls_caps_ulp(caps));
			}
			any |= tx == 0 && rx == 0;
		}
	}
	assert_true(ktls_caps_usable(caps) ==
		    (ktls_caps_ulp(caps) == 0 && any));
	assert_non_null(ktls_caps_ulp_reason(caps));
	assert_true(ktls_caps_handshake_netlink(caps) <= 0);
	assert_true(ktls_caps_io_uring(caps) <= 0);
	ktls_caps_free(caps);
}

#define CAPS_TEST(f) cmocka_unit_test_teardown(f, disarm)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CAPS_TEST(test_caps_probe_reports_working_kernel),
		CAPS_TEST(test_caps_probe_reports_missing_ulp),
		CAPS_TEST(test_caps_probe_reports_denied_ulp),
		CAPS_TEST(test_caps_probe_reports_socket_failure),
		CAPS_TEST(test_caps_probe_reports_refused_cipher),
		CAPS_TEST(test_caps_probe_reports_tx_and_rx_separately),
		CAPS_TEST(test_caps_usable_false_when_every_cipher_refused),
		CAPS_TEST(test_caps_probe_reports_undecryptable_record),
		CAPS_TEST(test_caps_rekey_reports_ebusy),
		CAPS_TEST(test_caps_rx_no_pad_false_when_refused),
		CAPS_TEST(test_caps_probe_closes_every_socket),
		CAPS_TEST(test_caps_probe_rejects_null_pointer),
		CAPS_TEST(test_caps_cipher_rejects_unknown_arguments),
		CAPS_TEST(test_caps_getters_reject_null),
		CAPS_TEST(test_caps_free_accepts_null),
		CAPS_TEST(test_caps_io_uring_op_rejects_out_of_range),
		CAPS_TEST(test_caps_probe_real_kernel_is_consistent),
	};

	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
