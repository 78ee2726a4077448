// SPDX-License-Identifier: MIT
/*
 * keylog.c - the key log: NSS key-log lines (the SSLKEYLOGFILE format that
 * Wireshark reads) handed to the application's callback.
 *
 * wolfSSL writes the lines itself through its HAVE_SECRET_CALLBACK path,
 * the one that also gives TLS 1.3 traffic secrets: the handshake and
 * traffic secrets and EXPORTER_SECRET for TLS 1.3.  The TLS 1.2 line
 * (CLIENT_RANDOM) is written here.
 * It takes the callback on its WOLFSSL_CTX and copies it into each WOLFSSL
 * at wolfSSL_new(), so the setting reaches connections made after it.
 * Daemon-mode connections never see one: their keys stay in handshaked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

#if defined(HAVE_SECRET_CALLBACK) && defined(OPENSSL_EXTRA)
/*
 * wolfSSL's line is its own buffer, which it frees after the call; the
 * application gets it as it is and copies nothing it keeps.  wolfSSL's
 * TLS 1.2 line is dropped: it writes one on a client's full handshake
 * only, so ktls_keylog_tls12() writes that version's line on every end
 * and every handshake, resumed ones included.
 */
static void wolf_keylog(const WOLFSSL *ssl, const char *line)
{
	static const char tls12[] = "CLIENT_RANDOM ";
	const struct ktls_conn *conn = wolfSSL_get_app_data(ssl);
	const struct ktls_ctx *ctx;

	if (!conn || !line || !strncmp(line, tls12, sizeof(tls12) - 1))
		return;
	ctx = conn->ctx;
	if (ctx->keylog_cb)
		ctx->keylog_cb(conn, line, ctx->keylog_arg);
}

/* Upper-case hex, as wolfSSL writes its own lines. */
static char *put_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		*out++ = digits[in[i] >> 4];
		*out++ = digits[in[i] & 0xf];
	}
	return out;
}

/*
 * The TLS 1.2 CLIENT_RANDOM line, from the client random and the
 * session's master secret, once the handshake is done (full or resumed,
 * on either end).  Every buffer is wiped.
 */
void ktls_keylog_tls12(struct ktls_conn *conn)
{
	static const char label[] = "CLIENT_RANDOM ";
	uint8_t cr[32], ms[48];
	char line[sizeof(label) + 2 * sizeof(cr) + 1 + 2 * sizeof(ms)], *p;
	WOLFSSL *ssl = ktls_tls_ssl(conn);

	if (!conn->ctx->keylog_cb || conn->version != KTLS_TLS_1_2 || !ssl)
		return;
	if (wolfSSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr) ||
	    wolfSSL_SESSION_get_master_key(wolfSSL_get_session(ssl), ms,
					   sizeof(ms)) != (int)sizeof(ms))
		goto out_wipe;
	p = line;
	memcpy(p, label, sizeof(label) - 1);
	p = put_hex(p + sizeof(label) - 1, cr, sizeof(cr));
	*p++ = ' ';
	p = put_hex(p, ms, sizeof(ms));
	*p = '\0';
	conn->ctx->keylog_cb(conn, line, conn->ctx->keylog_arg);
out_wipe:
	explicit_bzero(ms, sizeof(ms));
	explicit_bzero(line, sizeof(line));
}

int ktls_ctx_set_keylog_cb(struct ktls_ctx *ctx, ktls_keylog_cb cb, void *arg)
{
	if (!ctx)
		return -EINVAL;
	ctx->keylog_cb = cb;
	ctx->keylog_arg = arg;
	wolfSSL_CTX_set_keylog_callback(ctx->wctx, cb ? wolf_keylog : NULL);
	return 0;
}
#else
void ktls_keylog_tls12(struct ktls_conn *conn)
{
	(void)conn;
}

int ktls_ctx_set_keylog_cb(struct ktls_ctx *ctx, ktls_keylog_cb cb, void *arg)
{
	(void)cb;
	(void)arg;
	if (!ctx)
		return -EINVAL;
	ktls_set_err(ctx->err, "this wolfSSL build has no key log "
		     "(HAVE_SECRET_CALLBACK and OPENSSL_EXTRA)");
	return -EOPNOTSUPP;
}
#endif
