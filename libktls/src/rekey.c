// SPDX-License-Identifier: MIT
/*
 * rekey.c - TLS 1.3 KeyUpdate with the record layer in the kernel, and
 * the record limit of a key.
 *
 * Linux 6.14 and later accept new TLS_TX/TLS_RX keys on a socket that has
 * some (after a KeyUpdate arrives, RX pauses with EKEYEXPIRED until they
 * come); older kernels refuse with EBUSY.  wolfSSL derives the new keys:
 * a received KeyUpdate is fed to it (post.c), an own one is made through
 * the bridge (ktls_tls_update_keys()).  What wolfSSL sends is sealed with
 * keys only the kernel has now, so the bridge swallows it, and the
 * KeyUpdate message, whose bytes are fixed, goes out through the kernel
 * under the old key (sock.c ktls_send_ctrl()); then the new key is
 * installed (install.c).
 *
 * AEAD keys wear out: AES-GCM may protect 2^24.5 records (RFC 8446
 * section 5.5), AES-CCM 2^23.5.  Before every send libktls reads how many
 * records the key has protected (from the kernel, so writes on the raw fd
 * count too) and renews the key before the limit, or, where it cannot,
 * refuses to go past it.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls_int.h"

static const uint8_t key_update_requested[] = { 24, 0, 0, 1, 1 };
static const uint8_t key_update_not_requested[] = { 24, 0, 0, 1, 0 };

static pthread_once_t rekey_once = PTHREAD_ONCE_INIT;
static bool rekey_ok;

static void probe_rekey_once(void)
{
	rekey_ok = ktls_probe_rekey() == 0;
}

/* Whether the running kernel takes new kTLS keys (probed once). */
bool ktls_kernel_can_rekey(void)
{
	(void)pthread_once(&rekey_once, probe_rekey_once);
	return rekey_ok;
}

static int fail(struct ktls_conn *conn, int err)
{
	conn->fatal = err;
	return err;
}

/*
 * wolfSSL switched to new TX keys after sending @ku (swallowed): send @ku
 * through the kernel under the old key, then install the new one.
 */
static int rekey_tx(struct ktls_conn *conn, const uint8_t *ku, size_t len)
{
	int ret = ktls_send_ctrl(conn->fd, KTLS_CT_HANDSHAKE, ku, len);

	if (ret < 0) {
		ktls_set_err(conn->err, "sending KeyUpdate failed: %s",
			     ktls_strerror(ret));
		return fail(conn, ret == -EAGAIN ? -EIO : ret);
	}
	ret = ktls_install(conn, KTLS_DIR_TX);
	if (ret < 0) {
		ktls_set_err(conn->err, "the kernel refused the renewed TX "
			     "keys (%s) after the KeyUpdate went out",
			     ktls_strerror(ret));
		return fail(conn, -EKEYEXPIRED);
	}
	conn->rekey.key_updates++;
	return 0;
}

/*
 * The peer sent a KeyUpdate in record @rec (RX in the kernel).  Renew RX,
 * and TX too when the peer asked for it.
 */
int ktls_key_update_received(struct ktls_conn *conn, const uint8_t *rec,
			     size_t len)
{
	int ret;

	if (!ktls_kernel_can_rekey()) {
		ktls_set_err(conn->err, "the peer renewed its keys (TLS 1.3 "
			     "KeyUpdate) and this kernel cannot take new kTLS "
			     "keys (that needs Linux 6.14): the connection "
			     "cannot go on");
		return fail(conn, -EKEYEXPIRED);
	}
	if (!ktls_tls_active(conn)) {
		ktls_set_err(conn->err, "the peer renewed its keys (TLS 1.3 "
			     "KeyUpdate) after the handshake state was dropped");
		return fail(conn, -EKEYEXPIRED);
	}
	ret = ktls_post_feed(conn, rec, len);
	if (ret < 0) {
		ktls_set_err(conn->err, "wolfSSL did not take the peer's "
			     "KeyUpdate");
		return fail(conn, ret == -ENOMEM ? ret : -EKEYEXPIRED);
	}
	ret = ktls_install(conn, KTLS_DIR_RX);
	if (ret < 0) {
		ktls_set_err(conn->err, "the kernel refused the renewed RX "
			     "keys: %s", ktls_strerror(ret));
		return fail(conn, -EKEYEXPIRED);
	}
	conn->rekey.key_updates++;
	/* update_requested: wolfSSL answered with its own KeyUpdate (not
	 * sent after our close_notify: nothing may follow that). */
	if (ktls_tls_captured(conn) && conn->tx_offloaded && !conn->sent_close)
		return rekey_tx(conn, key_update_not_requested,
				sizeof(key_update_not_requested));
	return 0;
}

/*
 * Renew our TX keys; @ask_peer also asks the peer to renew its own (in
 * software wolfSSL always asks).
 */
static int renew_tx(struct ktls_conn *conn, bool ask_peer)
{
	const uint8_t *ku = ask_peer ? key_update_requested :
				       key_update_not_requested;
	int ret;

	if (conn->version != KTLS_TLS_1_3) {
		ktls_set_err(conn->err, "TLS 1.2 cannot renew its keys "
			     "(renegotiation is refused by policy): reconnect");
		return -EPROTONOSUPPORT;
	}
	if (!ktls_tls_active(conn)) {
		ktls_set_err(conn->err, "the handshake state needed to renew "
			     "keys is gone");
		return -EOPNOTSUPP;
	}
	if (!conn->tx_offloaded) {
		/* wolfSSL sends its KeyUpdate itself. */
		ret = ktls_tls_update_keys(conn, false);
		if (ret < 0)
			return ret;
		conn->rekey.key_updates++;
		return 0;
	}
	if (!ktls_kernel_can_rekey()) {
		ktls_set_err(conn->err, "this kernel cannot take new kTLS keys "
			     "(TLS 1.3 KeyUpdate needs Linux 6.14)");
		return -EOPNOTSUPP;
	}
	ret = ktls_tls_update_keys(conn, true);
	if (ret < 0)
		return fail(conn, ret);
	return rekey_tx(conn, ku, sizeof(key_update_requested));
}

int ktls_conn_key_update(struct ktls_conn *conn)
{
	if (!conn)
		return -EINVAL;
	conn->err[0] = '\0';
	if (conn->fatal)
		return conn->fatal;
	if (conn->state != KTLS_ST_OPEN) {
		ktls_set_err(conn->err, "no open connection to renew keys on");
		return -EINVAL;
	}
	return renew_tx(conn, true);
}

unsigned int ktls_conn_key_updates(const struct ktls_conn *conn)
{
	return conn ? conn->rekey.key_updates : 0;
}

/* Records protected so far by the current TX key. */
static int tx_records(struct ktls_conn *conn, uint64_t *n)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(conn->cipher);
	union ktls_crypto_info ci;
	socklen_t len;
	int i;

	if (!d)
		return -EINVAL;
	/* The kernel wants exactly the cipher's struct size. */
	len = d->crypto_info_size;
	if (!conn->tx_offloaded) {
		*n = ktls_tls_tx_seq(conn);
		return 0;
	}
	/* The kernel returns the key too; it is wiped right away. */
	if (getsockopt(conn->fd, SOL_TLS, TLS_TX, &ci, &len) < 0) {
		int err = -errno;

		ktls_crypto_info_wipe(&ci);
		return err;
	}
	*n = 0;
	for (i = 0; i < d->rec_seq_size; i++)
		*n = *n << 8 | ((uint8_t *)&ci)[d->rec_seq_offset + i];
	ktls_crypto_info_wipe(&ci);
	return 0;
}

/*
 * Before sending up to *@len bytes: renew the TX key if it is near its
 * record limit, and cut *@len so that the send cannot pass the limit (a
 * send of n bytes makes at most n/16384 + 1 records).
 *
 * Return: 0; -EKEYEXPIRED when the limit is reached and the key cannot be
 * renewed.
 */
int ktls_tx_budget(struct ktls_conn *conn, size_t *len)
{
	const struct ktls_cipher_desc *d = ktls_cipher_desc(conn->cipher);
	uint64_t limit, used = 0, left, margin;
	int ret;

	if (!d)
		return -EINVAL;
	if (*len == 0)
		return 0;
	limit = d->record_limit;
	if (conn->opts.record_limit && conn->opts.record_limit < limit)
		limit = conn->opts.record_limit;
	if (limit == UINT64_MAX)
		return 0;
	ret = tx_records(conn, &used);
	if (ret < 0) {
		ktls_set_err(conn->err, "reading the TX record count failed: %s",
			     ktls_strerror(ret));
		return ret;
	}
	margin = limit / 16 ? limit / 16 : 1;
	if (used + margin >= limit) {
		/* Only our key is worn: the peer's limit is the peer's. */
		ret = renew_tx(conn, false);
		if (ret == 0 || conn->fatal) {
			if (conn->fatal)
				return conn->fatal;
			used = 0;
		} else if (used + 1 >= limit) {
			char why[KTLS_ERRSTR_SIZE];

			memcpy(why, conn->err, sizeof(why));
			ktls_set_err(conn->err, "the TX key has protected %llu "
				     "records, the safe limit for %s, and it "
				     "cannot be renewed: %s",
				     (unsigned long long)used, d->name, why);
			return -EKEYEXPIRED;
		}
		conn->err[0] = '\0';
	}
	left = limit - 1 - used;
	if (left < (uint64_t)SIZE_MAX / KTLS_MAX_PLAINTEXT &&
	    *len > left * KTLS_MAX_PLAINTEXT)
		*len = left * KTLS_MAX_PLAINTEXT;
	if (*len == 0) {
		ktls_set_err(conn->err, "the TX key is at its record limit");
		return -EKEYEXPIRED;
	}
	return 0;
}
