// SPDX-License-Identifier: MIT
/*
 * fuzz_session.c - saved sessions (libktls/src/session.c): the sealed
 * import a user's file goes through, and wolfSSL's session parser behind
 * it (wolfssl/patches/0002 bounds its counts and lengths).
 *
 * Input: a mode byte, then the bytes.
 *	mode 0: the bytes through ktls_session_import() under a fixed key:
 *	what an attacker who cannot seal reaches.  Oracle: only bytes that
 *	authenticate are taken (a seed of a real sealed session does).
 *	mode 1: the bytes sealed here under the same key (the format of
 *	ktls_session_export(3): 0x01, nonce, AES-256-GCM, tag), then
 *	imported: what a key holder's hostile bytes reach.  Oracle: the
 *	verdict is ktls_session_parse()'s on the bytes themselves.
 *	mode 2: the bytes through ktls_session_parse() directly.
 * Oracle for every session taken: it exports, and its export imports.
 *
 * KTLS_FUZZ_UNSEAL=FILE writes the plaintext of a mode-0 input that
 * authenticates to FILE (mode 1 and 2 seeds from a real session:
 * fuzz/mkcorpus).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/wolfcrypt/aes.h>

#include "ktls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The key fuzz/mkcorpus seals its seed with: 32 bytes of 0x4b ('K'). */
static uint8_t key[KTLS_SESSION_KEY_LEN];
static struct ktls_ctx *ctx;
static const uint8_t aad[] = "libktls session\0\001";	/* label, NUL, v1 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(key, 'K', sizeof(key));
	ctx = ktls_ctx_new();
	if (!ctx || ktls_ctx_set_session_key(ctx, key, sizeof(key)) < 0)
		abort();
	return 0;
}

/* AES-256-GCM under the fixed key; @out is 1 + 12 + @len + 16 bytes. */
static int gcm(bool enc, const uint8_t *nonce, const uint8_t *in, size_t len,
	       uint8_t *out, uint8_t *tag)
{
	Aes aes;
	int ret;

	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0 ||
	    wc_AesGcmSetKey(&aes, key, sizeof(key)) != 0)
		abort();
	ret = enc ? wc_AesGcmEncrypt(&aes, out, in, (word32)len, nonce, 12,
				     tag, 16, aad, sizeof(aad) - 1) :
		    wc_AesGcmDecrypt(&aes, out, in, (word32)len, nonce, 12,
				     tag, 16, aad, sizeof(aad) - 1);
	wc_AesFree(&aes);
	return ret;
}

/* A session taken must export, and its export import again. */
static void round_trip(struct ktls_session *s)
{
	static uint8_t buf[KTLS_SESSION_MAX + 64];
	struct ktls_session *again = NULL;
	ssize_t n = ktls_session_export(ctx, s, buf, sizeof(buf));

	if (n < 0 || ktls_session_import(ctx, buf, (size_t)n, &again) != 0)
		abort();
	ktls_session_free(again);
	ktls_session_free(s);
}

static void dump_plain(const uint8_t *in, size_t len)
{
	const char *path = getenv("KTLS_FUZZ_UNSEAL");
	uint8_t *plain;
	FILE *f;

	if (!path || len <= 29)
		return;
	plain = malloc(len - 29);
	if (!plain || gcm(false, in + 1, in + 13, len - 29, plain,
			  (uint8_t *)in + len - 16) != 0)
		abort();
	f = fopen(path, "we");
	if (!f || fwrite(plain, 1, len - 29, f) != len - 29 || fclose(f))
		abort();
	free(plain);
}

static void sealed_import(const uint8_t *in, size_t len)
{
	struct ktls_session *s = NULL;
	int ret = ktls_session_import(ctx, in, len, &s);

	if (ret == 0) {
		dump_plain(in, len);
		round_trip(s);
	} else if (ret != -EBADMSG && ret != -EINVAL) {
		abort();
	}
}

static void sealed_by_us(const uint8_t *in, size_t len)
{
	struct ktls_session *s = NULL, *t = NULL;
	uint8_t *blob;
	int ret, want;

	if (len == 0 || len > KTLS_SESSION_MAX)
		return;
	blob = malloc(len + 29);
	if (!blob)
		abort();
	blob[0] = 0x01;
	memset(blob + 1, 0x5a, 12);		/* any nonce will do */
	if (gcm(true, blob + 1, in, len, blob + 13, blob + 13 + len) != 0)
		abort();
	ret = ktls_session_import(ctx, blob, len + 29, &s);
	want = ktls_session_parse(in, len, &t);
	free(blob);
	if (ret != want)
		abort();
	ktls_session_free(t);
	if (ret == 0)
		round_trip(s);
	else if (ret != -EBADMSG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktls_session *s = NULL;
	int ret;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		sealed_import(data + 1, size - 1);
		break;
	case 1:
		sealed_by_us(data + 1, size - 1);
		break;
	default:
		ret = ktls_session_parse(data + 1, size - 1, &s);
		if (ret == 0)
			round_trip(s);
		else if (ret != -EBADMSG && ret != -EINVAL)
			abort();
	}
	return 0;
}
