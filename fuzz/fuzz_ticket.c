// SPDX-License-Identifier: MIT
/*
 * fuzz_ticket.c - opening session tickets (libktls/src/ticket.c,
 * ktls_ticket_cb()) with a fixed context: two ticket keys, known names.
 *
 * Input: a control byte, then
 *	bit 0 clear: a ticket as wolfSSL hands it over: 16 bytes of key name,
 *	16 of IV, 32 of MAC, then the sealed state (whatever is left); bits
 *	1-2: 1 or 2 overwrites the name with that key's, so that the
 *	fuzzer reaches the decryption; it must be refused (a forged tag);
 *	bit 0 set: the rest is a session state, sealed with the first key
 *	and opened again: it must open to the same bytes; then, with the
 *	first byte after the control byte as a position and the second as
 *	an XOR mask (not 0), one authenticated byte is changed and the
 *	ticket must be refused.
 *	bit 4: seal with the second key instead (which opens as a TLS 1.2
 *	ticket to renew, RET_CREATE).
 *	bit 3: the connection is TLS 1.2, else TLS 1.3.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

#define NAME_SZ WOLFSSL_TICKET_NAME_SZ
#define IV_SZ WOLFSSL_TICKET_IV_SZ
#define MAC_SZ WOLFSSL_TICKET_MAC_SZ
#define TAG_SZ 16		/* the part of the MAC field sealed */
#define MAX_STATE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_ctx *ctx, *ctx_rev;
static WOLFSSL *ssl12, *ssl13;
static struct ktls_ticket_key keys[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ktls_ticket_key rev[2];
	size_t i;

	(void)argc;
	(void)argv;
	ctx = ktls_ctx_new();
	if (!ctx)
		abort();
	for (i = 0; i < 2; i++) {
		memset(keys[i].name, 'A' + (int)i, sizeof(keys[i].name));
		memset(keys[i].secret, 0x11 * (int)(i + 1),
		       sizeof(keys[i].secret));
	}
	if (ktls_ctx_set_ticket_keys(ctx, keys, 2) < 0)
		abort();
	/* The same keys the other way round: seals under the second. */
	ctx_rev = ktls_ctx_new();
	rev[0] = keys[1];
	rev[1] = keys[0];
	if (!ctx_rev || ktls_ctx_set_ticket_keys(ctx_rev, rev, 2) < 0)
		abort();
	ssl12 = wolfSSL_new(ctx->wctx);
	ssl13 = wolfSSL_new(ctx->wctx);
	if (!ssl12 || !ssl13 ||
	    wolfSSL_SetVersion(ssl12, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS ||
	    wolfSSL_SetVersion(ssl13, WOLFSSL_TLSV1_3) != WOLFSSL_SUCCESS)
		abort();
	return 0;
}

static int open_ticket(WOLFSSL *ssl, uint8_t *name, uint8_t *iv,
		       uint8_t *mac, uint8_t *ticket, size_t len)
{
	int out = -1, ret;

	ret = ktls_ticket_cb(ssl, name, iv, mac, 0, ticket, (int)len, &out,
			     ctx->tickets);
	if (ret == WOLFSSL_TICKET_RET_OK || ret == WOLFSSL_TICKET_RET_CREATE) {
		if (out != (int)len)
			abort();
	} else if (ret != WOLFSSL_TICKET_RET_REJECT) {
		fprintf(stderr, "fuzz_ticket: opening returned %d\n", ret);
		abort();
	}
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t name[NAME_SZ], iv[IV_SZ], mac[MAC_SZ];
	uint8_t ticket[MAX_STATE], plain[MAX_STATE];
	WOLFSSL *ssl;
	uint8_t ctl;
	size_t len, pos;
	int out = -1, ret, sealer;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	ssl = ctl & 8 ? ssl12 : ssl13;
	if (!(ctl & 1)) {
		if (size < NAME_SZ + IV_SZ + MAC_SZ ||
		    size - (NAME_SZ + IV_SZ + MAC_SZ) > MAX_STATE)
			return -1;
		memcpy(name, data, NAME_SZ);
		memcpy(iv, data + NAME_SZ, IV_SZ);
		memcpy(mac, data + NAME_SZ + IV_SZ, MAC_SZ);
		len = size - (NAME_SZ + IV_SZ + MAC_SZ);
		memcpy(ticket, data + NAME_SZ + IV_SZ + MAC_SZ, len);
		if ((ctl >> 1 & 3) == 1 || (ctl >> 1 & 3) == 2)
			memcpy(name, keys[(ctl >> 1 & 3) - 1].name, NAME_SZ);
		(void)open_ticket(ssl, name, iv, mac, ticket, len);
		return 0;
	}

	if (size < 2 || size - 2 > MAX_STATE)
		return -1;
	pos = data[0];
	len = size - 2;
	memcpy(plain, data + 2, len);
	memcpy(ticket, plain, len);
	sealer = ctl & 16 ? 1 : 0;
	ret = ktls_ticket_cb(ssl, name, iv, mac, 1, ticket, (int)len, &out,
			     (sealer ? ctx_rev : ctx)->tickets);
	if (ret != WOLFSSL_TICKET_RET_OK || out != (int)len ||
	    memcmp(name, keys[sealer].name, NAME_SZ))
		abort();
	if (data[1]) {
		/* One authenticated byte changed: name, IV, tag or state. */
		size_t span = NAME_SZ + IV_SZ + TAG_SZ + len;

		pos %= span;
		if (pos < NAME_SZ)
			name[pos] ^= data[1];
		else if (pos < NAME_SZ + IV_SZ)
			iv[pos - NAME_SZ] ^= data[1];
		else if (pos < NAME_SZ + IV_SZ + TAG_SZ)
			mac[pos - NAME_SZ - IV_SZ] ^= data[1];
		else
			ticket[pos - NAME_SZ - IV_SZ - TAG_SZ] ^= data[1];
		if (open_ticket(ssl, name, iv, mac, ticket, len) !=
		    WOLFSSL_TICKET_RET_REJECT) {
			fprintf(stderr, "fuzz_ticket: a changed ticket "
				"opened\n");
			abort();
		}
		return 0;
	}
	ret = open_ticket(ssl, name, iv, mac, ticket, len);
	if (ret != (sealer && ssl == ssl12 ? WOLFSSL_TICKET_RET_CREATE :
		    WOLFSSL_TICKET_RET_OK) || memcmp(ticket, plain, len)) {
		fprintf(stderr, "fuzz_ticket: a sealed ticket did not open "
			"to what was sealed (%d)\n", ret);
		abort();
	}
	return 0;
}
