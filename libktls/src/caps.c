// SPDX-License-Identifier: MIT
/*
 * caps.c - find out what the running kernel offers by trying it.
 *
 * Every answer comes from doing the thing on a loopback TCP pair with
 * throw-away keys; nothing is inferred from the kernel's version.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "ktls_int.h"

#define KTLS_NR_VERSIONS 2
#define KTLS_NR_CIPHERS KTLS_CIPHER_MAX
#define KTLS_NR_DIRS 2
#define KTLS_NR_IO_URING_OPS 256

/* How long the probe waits for its record; it never blocks longer. */
#define KTLS_PROBE_TIMEOUT_MS 1000
#define KTLS_PROBE_MAX_POLLS 8

struct ktls_caps {
	int ulp;
	const char *ulp_reason;
	/* [version][cipher][dir], each 0 or a negative errno */
	int cipher[KTLS_NR_VERSIONS][KTLS_NR_CIPHERS][KTLS_NR_DIRS];
	bool rx_no_pad;
	int rekey;
	int handshake_netlink;
	int io_uring;
	uint8_t io_uring_ops[KTLS_NR_IO_URING_OPS / 8];
};

static const uint16_t ktls_probe_versions[KTLS_NR_VERSIONS] = {
	KTLS_TLS_1_2,
	KTLS_TLS_1_3,
};

/* Not secret: the probe's keys only ever protect a fixed string. */
static const uint8_t ktls_probe_nonce[KTLS_NONCE_SIZE] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b,
};

static int version_index(uint16_t version)
{
	switch (version) {
	case KTLS_TLS_1_2:
		return 0;
	case KTLS_TLS_1_3:
		return 1;
	default:
		return -1;
	}
}

/* The table's ciphers run 1..KTLS_CIPHER_MAX. */
static int cipher_index(enum ktls_cipher cipher)
{
	return ktls_cipher_desc(cipher) ? (int)cipher - 1 : -1;
}

static int dir_index(enum ktls_dir dir)
{
	switch (dir) {
	case KTLS_DIR_TX:
		return 0;
	case KTLS_DIR_RX:
		return 1;
	default:
		return -1;
	}
}

const char *ktls_ulp_reason(int err)
{
	switch (err) {
	case 0:
		return "available";
	case -ECANCELED:
		return "offload is off by option (KTLS_OPT_FORCE_SOFTWARE)";
	case -ENOENT:
		return "the kernel has no TLS ULP (CONFIG_TLS is off, or the "
		       "tls module is not available)";
	case -EPERM:
	case -EACCES:
		return "attaching the TLS ULP was denied (a seccomp filter or "
		       "a security module forbids setsockopt(TCP_ULP))";
	case -EEXIST:
		return "another ULP is already attached to the probe socket";
	case -ENOTCONN:
		return "the probe socket was not connected when the TLS ULP "
		       "was attached";
	case -ENOPROTOOPT:
		return "the kernel does not know TCP_ULP (Linux before 4.13)";
	case -ENOMEM:
	case -ENOBUFS:
		return "the kernel ran out of memory attaching the TLS ULP";
	default:
		return "setsockopt(TCP_ULP, \"tls\") failed";
	}
}

/* Install throw-away keys; every byte of the key is @key_byte. */
KTLS_MUST_CHECK
static int probe_install(int fd, uint16_t version, enum ktls_cipher cipher,
			 enum ktls_dir dir, uint8_t key_byte)
{
	const struct ktls_cipher_desc *desc = ktls_cipher_desc(cipher);
	union ktls_crypto_info ci;
	uint8_t key[KTLS_MAX_KEY_SIZE];
	size_t len;
	int ret;

	if (!desc)
		return -EINVAL;
	memset(key, key_byte, sizeof(key));
	ret = ktls_crypto_info_fill(&ci, &len, version, cipher, key,
				    desc->key_size, ktls_probe_nonce,
				    sizeof(ktls_probe_nonce), 0);
	explicit_bzero(key, sizeof(key));
	if (ret < 0) {
		ktls_crypto_info_wipe(&ci);
		return ret;
	}
	/* ktls_sock_set_crypto() wipes ci on every path. */
	return ktls_sock_set_crypto(fd, dir, &ci, len);
}

/*
 * Send one short record on @tx_fd and read it back on @rx_fd.
 *
 * Return: 0 if it arrived intact; the -errno of send() or recv() (-EBADMSG
 * when it did not decrypt); -EIO when it did not arrive in time or arrived
 * different.
 */
KTLS_MUST_CHECK
static int probe_exchange(int tx_fd, int rx_fd)
{
	static const char msg[] = "libktls capability probe";
	char buf[sizeof(msg) * 2];
	size_t got = 0;
	ssize_t n;
	int polls;
	int ret;

	n = send(tx_fd, msg, sizeof(msg), MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(msg))
		return -EIO;

	for (polls = 0; got < sizeof(msg); polls++) {
		struct pollfd pfd = { .fd = rx_fd, .events = POLLIN };

		if (polls == KTLS_PROBE_MAX_POLLS)
			return -EIO;
		ret = poll(&pfd, 1, KTLS_PROBE_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -EIO;
		n = recv(rx_fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	if (got != sizeof(msg) || memcmp(buf, msg, sizeof(msg)) != 0)
		return -EIO;
	return 0;
}

static void probe_ulp(struct ktls_caps *caps)
{
	const char *why;
	int fds[2];
	int ret;

	ret = ktls_tcp_pair(fds, &why);
	if (ret < 0) {
		caps->ulp = ret;
		caps->ulp_reason = why;
		return;
	}
	ret = ktls_sock_attach_ulp(fds[0]);
	caps->ulp = ret;
	caps->ulp_reason = ktls_ulp_reason(ret);
	ktls_close_pair(fds);
}

/*
 * TX on the connecting end, RX on the accepted one, then one record
 * through both.  A direction whose keys the kernel refuses gets that error;
 * when both are accepted, the record decides for both.
 */
static void probe_cipher(uint16_t version, enum ktls_cipher cipher,
			 int res[KTLS_NR_DIRS])
{
	int *tx = &res[dir_index(KTLS_DIR_TX)];
	int *rx = &res[dir_index(KTLS_DIR_RX)];
	int fds[2];
	int ret;

	ret = ktls_tcp_pair(fds, NULL);
	if (ret < 0)
		goto err_both;
	ret = ktls_sock_attach_ulp(fds[0]);
	if (ret < 0)
		goto err_close_pair;
	ret = ktls_sock_attach_ulp(fds[1]);
	if (ret < 0)
		goto err_close_pair;

	*tx = probe_install(fds[0], version, cipher, KTLS_DIR_TX, 0x5a);
	*rx = probe_install(fds[1], version, cipher, KTLS_DIR_RX, 0x5a);
	if (*tx == 0 && *rx == 0) {
		ret = probe_exchange(fds[0], fds[1]);
		*tx = ret;
		*rx = ret;
	}
	ktls_close_pair(fds);
	return;

err_close_pair:
	ktls_close_pair(fds);
err_both:
	*tx = ret;
	*rx = ret;
}

/* TLS_RX_EXPECT_NO_PAD needs TLS 1.3 RX keys on the socket first. */
static bool probe_rx_no_pad(void)
{
	int one = 1;
	bool ok = false;
	int fds[2];

	if (ktls_tcp_pair(fds, NULL) < 0)
		return false;
	if (ktls_sock_attach_ulp(fds[1]) < 0)
		goto out_close_pair;
	if (probe_install(fds[1], KTLS_TLS_1_3, KTLS_CIPHER_AES_128_GCM,
			  KTLS_DIR_RX, 0x5a) < 0)
		goto out_close_pair;
	ok = setsockopt(fds[1], SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
			sizeof(one)) == 0;
out_close_pair:
	ktls_close_pair(fds);
	return ok;
}

/* Kernels without KeyUpdate support refuse a second TLS_TX with -EBUSY. */
int ktls_probe_rekey(void)
{
	int fds[2];
	int ret;

	ret = ktls_tcp_pair(fds, NULL);
	if (ret < 0)
		return ret;
	ret = ktls_sock_attach_ulp(fds[0]);
	if (ret < 0)
		goto out_close_pair;
	ret = probe_install(fds[0], KTLS_TLS_1_3, KTLS_CIPHER_AES_128_GCM,
			    KTLS_DIR_TX, 0x5a);
	if (ret < 0)
		goto out_close_pair;
	ret = probe_install(fds[0], KTLS_TLS_1_3, KTLS_CIPHER_AES_128_GCM,
			    KTLS_DIR_TX, 0xa5);
out_close_pair:
	ktls_close_pair(fds);
	return ret;
}

/*
 * libnl reports its own NLE_* codes and keeps the errno it came from to
 * itself; map the documented ones back, and anything else to -EIO.
 */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

KTLS_MUST_CHECK
static int probe_handshake_netlink(void)
{
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto out_free_sock;
	}
	ret = genl_ctrl_resolve(sk, "handshake");
	ret = ret < 0 ? nlerr_to_errno(ret) : 0;
out_free_sock:
	/* Closes the netlink socket too. */
	nl_socket_free(sk);
	return ret;
}

static void probe_io_uring(struct ktls_caps *caps)
{
	struct io_uring_probe *probe;
	struct io_uring ring;
	int op;

	caps->io_uring = io_uring_queue_init(4, &ring, 0);
	if (caps->io_uring < 0)
		return;
	/* A kernel without IORING_REGISTER_PROBE (< 5.6) lists nothing. */
	probe = io_uring_get_probe_ring(&ring);
	if (probe) {
		for (op = 0; op < KTLS_NR_IO_URING_OPS; op++)
			if (io_uring_opcode_supported(probe, op))
				caps->io_uring_ops[op / 8] |= 1u << (op % 8);
		io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);
}

int ktls_caps_probe(struct ktls_caps **capsp)
{
	struct ktls_caps *caps;
	int v, c;

	if (!capsp)
		return -EINVAL;
	caps = calloc(1, sizeof(*caps));
	if (!caps)
		return -ENOMEM;

	probe_ulp(caps);
	for (v = 0; v < KTLS_NR_VERSIONS; v++) {
		for (c = 0; c < KTLS_NR_CIPHERS; c++) {
			int *res = caps->cipher[v][c];

			if (caps->ulp < 0) {
				res[0] = caps->ulp;
				res[1] = caps->ulp;
				continue;
			}
			probe_cipher(ktls_probe_versions[v],
				     (enum ktls_cipher)(c + 1), res);
		}
	}
	if (caps->ulp == 0) {
		caps->rx_no_pad = probe_rx_no_pad();
		caps->rekey = ktls_probe_rekey();
	} else {
		caps->rx_no_pad = false;
		caps->rekey = caps->ulp;
	}
	caps->handshake_netlink = probe_handshake_netlink();
	probe_io_uring(caps);

	*capsp = caps;
	return 0;
}

void ktls_caps_free(struct ktls_caps *caps)
{
	if (!caps)
		return;
	explicit_bzero(caps, sizeof(*caps));
	free(caps);
}

bool ktls_caps_usable(const struct ktls_caps *caps)
{
	int v, c;

	if (!caps || caps->ulp != 0)
		return false;
	for (v = 0; v < KTLS_NR_VERSIONS; v++)
		for (c = 0; c < KTLS_NR_CIPHERS; c++)
			if (caps->cipher[v][c][0] == 0 &&
			    caps->cipher[v][c][1] == 0)
				return true;
	return false;
}

int ktls_caps_ulp(const struct ktls_caps *caps)
{
	if (!caps)
		return -EINVAL;
	return caps->ulp;
}

const char *ktls_caps_ulp_reason(const struct ktls_caps *caps)
{
	if (!caps)
		return "no capability snapshot";
	return caps->ulp_reason;
}

const char *ktls_caps_unusable_reason(const struct ktls_caps *caps)
{
	if (ktls_caps_usable(caps))
		return NULL;
	if (!caps || caps->ulp != 0)
		return ktls_caps_ulp_reason(caps);
	return "no cipher offloads both ways (the kernel's AEADs may be "
	       "missing: modprobe gcm ccm chacha20poly1305)";
}

int ktls_caps_cipher(const struct ktls_caps *caps, uint16_t version,
		     enum ktls_cipher cipher, enum ktls_dir dir)
{
	int v = version_index(version);
	int c = cipher_index(cipher);
	int d = dir_index(dir);

	if (!caps || v < 0 || c < 0 || d < 0)
		return -EINVAL;
	return caps->cipher[v][c][d];
}

bool ktls_caps_rx_no_pad(const struct ktls_caps *caps)
{
	return caps && caps->rx_no_pad;
}

int ktls_caps_rekey(const struct ktls_caps *caps)
{
	if (!caps)
		return -EINVAL;
	return caps->rekey;
}

int ktls_caps_handshake_netlink(const struct ktls_caps *caps)
{
	if (!caps)
		return -EINVAL;
	return caps->handshake_netlink;
}

int ktls_caps_io_uring(const struct ktls_caps *caps)
{
	if (!caps)
		return -EINVAL;
	return caps->io_uring;
}

bool ktls_caps_io_uring_op(const struct ktls_caps *caps, unsigned int opcode)
{
	if (!caps || caps->io_uring < 0 || opcode >= KTLS_NR_IO_URING_OPS)
		return false;
	return caps->io_uring_ops[opcode / 8] & (1u << (opcode % 8));
}
