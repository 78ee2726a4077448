// SPDX-License-Identifier: MIT
/*
 * cases.c - what tls-probe's probes share: a connection, one with the
 * handshake done, the trailer behind an offending record, and the verdict
 * "exactly one fatal alert, then FIN".
 */
#include <stdio.h>

#include "cases.h"

struct conn *dial(const struct opts *o, char *why)
{
	struct conn *c = conn_open(o->host, o->port, o->version, o->cipher,
				   o->timeout_ms);

	if (!c)
		snprintf(why, WHY, "cannot connect to %s:%s", o->host,
			 o->port);
	else
		c->no_trailer = o->no_trailer;
	return c;
}

/* A connection with the handshake done and the keys taken over. */
struct conn *established(const struct opts *o, char *why)
{
	struct conn *c = dial(o, why);

	if (c && !tls_handshake(c)) {
		snprintf(why, WHY, "setup: TLS %d.%d handshake with %s: %s",
			 o->version / 10, o->version % 10, o->cipher, c->err);
		conn_close(c);
		return NULL;
	}
	return c;
}

/* More input behind the offending record, as a pipelining client would
 * send, in the same TCP segment (cork() before the offending record): a
 * server that closes with it unread sends RST, which can destroy the
 * alert it just wrote; a server that closes with a linger (shutdown,
 * drain, close) delivers it.  Uncorks. */
void trailer(struct conn *c)
{
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t junk[16];

	if (c->no_trailer) {
		cork(c, false);
		return;
	}
	if (c->tx.on) {
		send_sealed(c, CT_APPDATA, get, sizeof(get) - 1);
	} else {
		rand_fill(junk, sizeof(junk));
		send_plain(c, CT_HANDSHAKE, 0x0303, junk, sizeof(junk));
	}
	cork(c, false);
}

/* Observe the answer and require exactly one fatal alert among @want;
 * the answer goes to @note as well. */
bool expect_alert(struct conn *c, const uint8_t *want, size_t n,
			 char *why, char *note)
{
	struct answer a;
	bool ok;

	observe(c, &a);
	describe(&a, note, WHY);
	ok = one_alert(c, &a, want, n, why, WHY);
	conn_close(c);
	return ok;
}
