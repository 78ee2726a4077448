// SPDX-License-Identifier: MIT
/*
 * test_sock.c - the socket helpers (sock.c): loopback pair, ULP attach and
 * key install.
 *
 * Linked with -Wl,--wrap=socket,--wrap=setsockopt (WRAP_test_sock in the
 * Makefile); the wrappers pass through unless a test arms the fake.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

static struct {
	bool armed;
	int socket_errno;
	int setsockopt_errno;
	/* What the last faked setsockopt() was given. */
	unsigned int calls;
	int level, optname;
	socklen_t optlen;
	unsigned char optval[sizeof(union ktls_crypto_info)];
} fake;

int __wrap_socket(int domain, int type, int protocol)
{
	if (fake.armed && fake.socket_errno) {
		errno = fake.socket_errno;
		return -1;
	}
	return __real_socket(domain, type, protocol);
}

int __wrap_setsockopt(int fd, int level, int optname, const void *optval,
		      socklen_t optlen)
{
	if (!fake.armed)
		return __real_setsockopt(fd, level, optname, optval, optlen);
	fake.calls++;
	fake.level = level;
	fake.optname = optname;
	fake.optlen = optlen;
	memset(fake.optval, 0, sizeof(fake.optval));
	memcpy(fake.optval, optval,
	       optlen < sizeof(fake.optval) ? optlen : sizeof(fake.optval));
	if (fake.setsockopt_errno) {
		errno = fake.setsockopt_errno;
		return -1;
	}
	return 0;
}

static int disarm(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* A filled crypto_info with recognisable bytes. */
static size_t fill(union ktls_crypto_info *ci)
{
	uint8_t key[16], nonce[12];
	size_t len = 0;

	memset(key, 0x42, sizeof(key));
	memset(nonce, 0x24, sizeof(nonce));
	assert_int_equal(ktls_crypto_info_fill(ci, &len, KTLS_TLS_1_3,
					       KTLS_CIPHER_AES_128_GCM, key,
					       sizeof(key), nonce,
					       sizeof(nonce), 7), 0);
	return len;
}

static void test_tcp_pair_connects_loopback(void **state)
{
	int fds[2] = { -1, -1 };
	char c = 0;
	int before = th_count_fds();

	(void)state;
	assert_int_equal(ktls_tcp_pair(fds, NULL), 0);
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	assert_int_equal(send(fds[0], "x", 1, 0), 1);
	assert_int_equal(recv(fds[1], &c, 1, 0), 1);
	assert_int_equal(c, 'x');
	ktls_close_pair(fds);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	/* The listener is closed too. */
	assert_int_equal(th_count_fds(), before);
}

static void test_tcp_pair_reports_failing_step(void **state)
{
	const char *why = NULL;
	int fds[2] = { -1, -1 };

	(void)state;
	fake.armed = true;
	fake.socket_errno = EMFILE;
	assert_int_equal(ktls_tcp_pair(fds, &why), -EMFILE);
	assert_non_null(why);
	assert_non_null(strstr(why, "socket()"));
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
}

static void test_sock_attach_ulp_asks_for_tls(void **state)
{
	(void)state;
	fake.armed = true;
	assert_int_equal(ktls_sock_attach_ulp(3), 0);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.level, SOL_TCP);
	assert_int_equal(fake.optname, TCP_ULP);
	assert_string_equal((const char *)fake.optval, "tls");
}

static void test_sock_attach_ulp_returns_negative_errno(void **state)
{
	(void)state;
	fake.armed = true;
	fake.setsockopt_errno = ENOENT;
	assert_int_equal(ktls_sock_attach_ulp(3), -ENOENT);
}

static void test_sock_set_crypto_installs_and_wipes(void **state)
{
	union ktls_crypto_info ci;
	size_t len = fill(&ci);

	(void)state;
	fake.armed = true;
	assert_int_equal(ktls_sock_set_crypto(3, KTLS_DIR_RX, &ci, len), 0);
	assert_int_equal(fake.level, SOL_TLS);
	assert_int_equal(fake.optname, TLS_RX);
	assert_int_equal(fake.optlen, sizeof(ci.aes_gcm_128));
	/* The kernel got the keys, and our copy is gone. */
	assert_int_equal(((union ktls_crypto_info *)fake.optval)
				 ->aes_gcm_128.key[0], 0x42);
	assert_true(all_zero(&ci, sizeof(ci)));
	explicit_bzero(fake.optval, sizeof(fake.optval));
}

static void test_sock_set_crypto_wipes_on_failure(void **state)
{
	union ktls_crypto_info ci;
	size_t len = fill(&ci);

	(void)state;
	fake.armed = true;
	fake.setsockopt_errno = ENOPKG;
	assert_int_equal(ktls_sock_set_crypto(3, KTLS_DIR_TX, &ci, len),
			 -ENOPKG);
	assert_int_equal(fake.optname, TLS_TX);
	assert_true(all_zero(&ci, sizeof(ci)));
	explicit_bzero(fake.optval, sizeof(fake.optval));
}

static void test_sock_set_crypto_rejects_unknown_dir(void **state)
{
	union ktls_crypto_info ci;
	size_t len = fill(&ci);

	(void)state;
	fake.armed = true;
	assert_int_equal(ktls_sock_set_crypto(3, (enum ktls_dir)0, &ci, len),
			 -EINVAL);
	assert_int_equal(fake.calls, 0);
	assert_true(all_zero(&ci, sizeof(ci)));

	fill(&ci);
	assert_int_equal(ktls_sock_set_crypto(3, KTLS_DIR_TX, &ci,
					      sizeof(ci) + 1), -EINVAL);
	assert_int_equal(fake.calls, 0);
	assert_true(all_zero(&ci, sizeof(ci)));
}

/*
 * Real kernel only: TX keys on one end, RX keys on the other, one record.
 * @flip names a byte to change on the RX side (0: none): 'k' the last key
 * byte, 's' the first nonce byte, 'i' the last nonce byte, 'q' rec_seq.
 *
 * Return: 0 if the record arrived intact, the -errno of recv() (-EBADMSG),
 * -ETIMEDOUT, or 1 if the kernel has no TLS ULP.
 */
static int kernel_exchange(uint16_t version, enum ktls_cipher cipher,
			   char flip)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(cipher);
	static const char msg[] = "layout";
	uint8_t key[KTLS_MAX_KEY_SIZE], nonce[KTLS_NONCE_SIZE];
	union ktls_crypto_info ci;
	struct pollfd pfd;
	char buf[64];
	int fds[2];
	size_t len;
	ssize_t n;
	int ret;

	memset(key, 0x11, sizeof(key));
	memset(nonce, 0x22, sizeof(nonce));
	assert_int_equal(ktls_tcp_pair(fds, NULL), 0);
	ret = ktls_sock_attach_ulp(fds[0]);
	if (ret == -ENOENT) {
		ktls_close_pair(fds);
		return 1;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(ktls_sock_attach_ulp(fds[1]), 0);
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, version, cipher,
					       key, d->key_size, nonce,
					       sizeof(nonce), 5), 0);
	assert_int_equal(ktls_sock_set_crypto(fds[0], KTLS_DIR_TX, &ci, len),
			 0);

	if (flip == 'k')
		key[d->key_size - 1] ^= 1;
	if (flip == 's')
		nonce[0] ^= 1;
	if (flip == 'i')
		nonce[sizeof(nonce) - 1] ^= 1;
	assert_int_equal(ktls_crypto_info_fill(&ci, &len, version, cipher,
					       key, d->key_size, nonce,
					       sizeof(nonce),
					       flip == 'q' ? 6 : 5), 0);
	assert_int_equal(ktls_sock_set_crypto(fds[1], KTLS_DIR_RX, &ci, len),
			 0);

	assert_int_equal(send(fds[0], msg, sizeof(msg), 0), sizeof(msg));
	pfd.fd = fds[1];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) != 1) {
		ret = -ETIMEDOUT;
		goto out_close_pair;
	}
	n = recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		ret = -errno;
		goto out_close_pair;
	}
	assert_int_equal(n, sizeof(msg));
	assert_memory_equal(buf, msg, sizeof(msg));
	ret = 0;
out_close_pair:
	ktls_close_pair(fds);
	return ret;
}

/*
 * On a kernel with kTLS, every byte the fill places must be the one the
 * kernel uses: the same keys open the record, and a one-bit change in the
 * key, either end of the nonce (salt and iv) or rec_seq does not.  Skipped,
 * with the reason printed, where the kernel has no TLS ULP; failed there in
 * the kTLS tier.
 */
static void test_sock_set_crypto_kernel_uses_every_field(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	static const char flips[] = { 'k', 's', 'i', 'q' };
	enum ktls_cipher c;
	size_t v, f;

	(void)state;
	for (v = 0; v < 2; v++) {
		for (c = KTLS_CIPHER_AES_128_GCM;
		     c <= KTLS_CIPHER_CHACHA20_POLY1305; c++) {
			int ret = kernel_exchange(versions[v], c, 0);

			if (ret == 1)
				TH_SKIP_NO_KTLS("the kernel has no TLS ULP");
			assert_int_equal(ret, 0);
			for (f = 0; f < sizeof(flips); f++) {
				int want = -EBADMSG;

				/* TLS 1.2 AES sends its explicit nonce in
				 * each record: the RX iv[] goes unused. */
				if (versions[v] == KTLS_TLS_1_2 &&
				    c != KTLS_CIPHER_CHACHA20_POLY1305 &&
				    flips[f] == 'i')
					want = 0;
				assert_int_equal(kernel_exchange(versions[v],
								 c, flips[f]),
						 want);
			}
		}
	}
}

/*
 * The peer's unread input makes close() send a reset, which destroys what
 * we wrote last if it is still on its way; after ktls_linger_close() the
 * peer reads it all, then end of stream, not ECONNRESET.  A plain close() is the sibling that
 * shows the test can fail.
 */
static void closes_after_unread_input(bool linger)
{
	static const char last[] = "the last words";
	char buf[64];
	int fds[2];
	ssize_t n;

	assert_int_equal(ktls_tcp_pair(fds, NULL), 0);
	assert_int_equal(send(fds[0], "unread", 6, 0), 6);
	assert_int_equal(send(fds[1], last, sizeof(last), 0), sizeof(last));
	usleep(50 * 1000);	/* the unread bytes are in fds[1]'s queue */
	if (linger)
		assert_int_equal(ktls_linger_close(fds[1], 1000), 0);
	else
		close(fds[1]);
	/* Loopback delivers the bytes before the reset: what tells them
	 * apart is how the stream ends. */
	n = recv(fds[0], buf, sizeof(last), MSG_WAITALL);
	assert_int_equal(n, sizeof(last));
	assert_memory_equal(buf, last, sizeof(last));
	n = recv(fds[0], buf, sizeof(buf), 0);
	if (linger)
		assert_int_equal(n, 0);
	else
		assert_true(n < 0 && errno == ECONNRESET);
	close(fds[0]);
}

static void test_linger_close_delivers_the_last_bytes(void **state)
{
	(void)state;
	closes_after_unread_input(true);
}

static void test_linger_close_plain_close_resets(void **state)
{
	(void)state;
	closes_after_unread_input(false);
}

static void test_linger_close_rejects_bad_fd(void **state)
{
	(void)state;
	assert_int_equal(ktls_linger_close(-1, 0), -EINVAL);
	assert_int_equal(ktls_linger_close(INT_MAX, 0), -EBADF);
}

#define SOCK_TEST(f) cmocka_unit_test_teardown(f, disarm)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SOCK_TEST(test_tcp_pair_connects_loopback),
		SOCK_TEST(test_tcp_pair_reports_failing_step),
		SOCK_TEST(test_sock_attach_ulp_asks_for_tls),
		SOCK_TEST(test_sock_attach_ulp_returns_negative_errno),
		SOCK_TEST(test_sock_set_crypto_installs_and_wipes),
		SOCK_TEST(test_sock_set_crypto_wipes_on_failure),
		SOCK_TEST(test_sock_set_crypto_rejects_unknown_dir),
		SOCK_TEST(test_sock_set_crypto_kernel_uses_every_field),
		SOCK_TEST(test_linger_close_delivers_the_last_bytes),
		SOCK_TEST(test_linger_close_plain_close_resets),
		SOCK_TEST(test_linger_close_rejects_bad_fd),
	};

	return cmocka_run_group_tests_name("sock", tests, NULL, NULL);
}
