// SPDX-License-Identifier: MIT
/*
 * fuzz_policy.c - cipher and ALPN policy strings and options (libktls/src/
 * policy.c), through the public setters (ktls_ctx_set_ciphers(),
 * ktls_ctx_set_alpn(), ktls_ctx_set_opt() and their ktls_conn_ twins).
 *
 * Input: a control byte, then the string (up to the first NUL; for
 * "both", a cipher list, a NUL, an ALPN list):
 *	bits 0-1: 0 cipher list, 1 ALPN list, 2 an option (the two bytes
 *	after the control byte are the option and the value, as a signed
 *	byte), 3 both lists;
 *	bit 7: with what was accepted, a client starts a handshake (record
 *	layer in software, on a socketpair whose peer has shut down), so
 *	that wolfSSL is given the suites and the ALPN list.
 * Oracles: what is accepted is well formed (1-4 distinct known ciphers
 * that give suites; an ALPN list with no empty name, under 256 bytes),
 * what is refused leaves the options as they were and says why, and the
 * context's and a connection's setters agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_ctx *ctx;
static struct ktls_opts defaults;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = ktls_ctx_new();
	if (!ctx || ktls_ctx_set_opt(ctx, KTLS_OPT_FORCE_SOFTWARE, 1) < 0 ||
	    ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY,
			     KTLS_VERIFY_NONE_INSECURE) < 0)
		abort();
	defaults = ctx->opts;
	return 0;
}

static void check_ciphers(struct ktls_conn *conn, const char *list)
{
	struct ktls_opts before = ctx->opts;
	uint8_t suites[KTLS_SUITES_MAX];
	size_t i, j, n = 0;
	int ret, ret2;

	ret = ktls_ctx_set_ciphers(ctx, list);
	ret2 = ktls_conn_set_ciphers(conn, list);
	if (ret != ret2)
		abort();
	if (ret < 0) {
		if ((ret != -EINVAL && ret != -EPROTONOSUPPORT) ||
		    !ctx->err[0] || memcmp(&before, &ctx->opts, sizeof(before)))
			abort();
		return;
	}
	if (ctx->opts.n_ciphers < 1 || ctx->opts.n_ciphers > KTLS_CIPHER_MAX ||
	    conn->opts.n_ciphers != ctx->opts.n_ciphers ||
	    memcmp(conn->opts.ciphers, ctx->opts.ciphers,
		   ctx->opts.n_ciphers * sizeof(ctx->opts.ciphers[0])))
		abort();
	for (i = 0; i < ctx->opts.n_ciphers; i++) {
		if (!ktls_cipher_desc(ctx->opts.ciphers[i]))
			abort();
		for (j = 0; j < i; j++)
			if (ctx->opts.ciphers[i] == ctx->opts.ciphers[j])
				abort();
	}
	if (ktls_policy_suites(&ctx->opts, suites, sizeof(suites), &n) < 0 ||
	    n == 0 || n % 2)
		abort();
}

static void check_alpn(struct ktls_conn *conn, const char *list)
{
	char before[sizeof(ctx->opts.alpn)];
	size_t len = strlen(list);
	int ret, ret2;

	memcpy(before, ctx->opts.alpn, sizeof(before));
	ret = ktls_ctx_set_alpn(ctx, list);
	ret2 = ktls_conn_set_alpn(conn, list);
	if (ret != ret2)
		abort();
	if (ret < 0) {
		if (ret != -EINVAL || !ctx->err[0] ||
		    memcmp(before, ctx->opts.alpn, sizeof(before)))
			abort();
		return;
	}
	if (len >= sizeof(ctx->opts.alpn) || strcmp(ctx->opts.alpn, list) ||
	    strcmp(conn->opts.alpn, list) ||
	    (len && (list[0] == ',' || list[len - 1] == ',' ||
		     strstr(list, ",,"))))
		abort();
}

static void check_opt(struct ktls_conn *conn, int opt, long value)
{
	struct ktls_opts before = ctx->opts;
	int ret, ret2;

	ret = ktls_ctx_set_opt(ctx, (enum ktls_opt)opt, value);
	ret2 = ktls_conn_set_opt(conn, (enum ktls_opt)opt, value);
	if (ret != ret2)
		abort();
	if (ret < 0 && ((ret != -EINVAL && ret != -EPROTONOSUPPORT) ||
			memcmp(&before, &ctx->opts, sizeof(before))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktls_conn *conn;
	char s[1024], *second;
	uint8_t ctl;
	int sv[2], ret;

	if (size < 1 || size > sizeof(s))
		return -1;
	ctl = data[0];
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	second = s + strlen(s);
	if (second < s + size - 1)
		second++;
	ctx->opts = defaults;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	conn = ktls_conn_new(ctx, sv[0], KTLS_ROLE_CLIENT);
	if (!conn)
		abort();
	switch (ctl & 3) {
	case 0:
		check_ciphers(conn, s);
		break;
	case 1:
		check_alpn(conn, s);
		break;
	case 2:
		if (size >= 3)
			check_opt(conn, (uint8_t)s[0] % 12,
				  (long)(int8_t)data[2]);
		break;
	default:
		check_ciphers(conn, s);
		check_alpn(conn, second);
		break;
	}
	if (ctl & 0x80) {
		shutdown(sv[1], SHUT_WR);
		ret = ktls_conn_handshake(conn);
		if (ret == 0 || ret == -EAGAIN)
			abort();
	}
	ktls_conn_free(conn);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
