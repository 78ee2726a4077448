// SPDX-License-Identifier: MIT
/*
 * cases-records.c - tls-probe's probes of records, sections c and f to i
 * of its list: record_overflow during and after the handshake, KeyUpdate,
 * bad_record_mac, records that do not belong, and requests that must be
 * answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* Send "GET / HTTP/1.0" with @pad bytes of extra headers (in records of
 * at most 2^14 bytes), then require an HTTP answer. */
static bool http_exchange(struct conn *c, size_t pad, char *why, char *note)
{
	struct buf req = { 0 };
	struct answer a;
	size_t off, i;
	int k;

	buf_put(&req, "GET / HTTP/1.0\r\nHost: localhost\r\n", 33);
	for (k = 0; pad >= 1024; k++, pad -= 1024) {
		char h[16];

		snprintf(h, sizeof(h), "X-Pad-%02d: ", k);
		buf_put(&req, h, strlen(h));
		for (i = strlen(h); i < 1022; i++)
			buf_u8(&req, 'a');
		buf_put(&req, "\r\n", 2);
	}
	buf_put(&req, "Connection: close\r\n\r\n", 21);
	for (off = 0; off < req.len; off += MAX_PLAIN) {
		size_t n = req.len - off < MAX_PLAIN ? req.len - off :
			   MAX_PLAIN;

		send_sealed(c, CT_APPDATA, req.p + off, n);
	}
	observe_data(c, &a);
	for (k = 0; k < a.n; k++) {
		if (a.ev[k].kind == EV_APPDATA && !a.ev[k].bad_mac &&
		    !strncmp(a.ev[k].text, "HTTP/1.", 7)) {
			snprintf(note, WHY, "%zu-byte request: \"%.12s\"",
				 req.len, a.ev[k].text);
			buf_free(&req);
			conn_close(c);
			return true;
		}
	}
	describe(&a, note, WHY);
	snprintf(why, WHY, "expected an HTTP answer to a %zu-byte request; "
		 "got: %s", req.len, note);
	buf_free(&req);
	conn_close(c);
	return false;
}

/* --- c. record_overflow -------------------------------------------------- */

/* During the handshake, a plaintext record of 2^14 + 1 bytes: RFC 8446
 * 5.1, "MUST terminate the connection with a record_overflow alert". */
bool p_overflow_handshake(const struct opts *o, char *why, char *note)
{
	struct conn *c = dial(o, why);
	struct hello h = { .version = o->version, .padding = 17000 };
	struct buf ch = { 0 };
	uint8_t pub[32];

	if (!c)
		return false;
	if (!x25519_public(pub)) {
		snprintf(why, WHY, "setup: X25519 key generation");
		conn_close(c);
		return false;
	}
	h.shares[0] = (struct share){ GRP_X25519, pub, 32 };
	h.n_shares = 1;
	client_hello(&ch, &h, c->cipher);
	send_plain(c, CT_HANDSHAKE, 0x0301, ch.p, MAX_PLAIN + 1);
	send_plain(c, CT_HANDSHAKE, 0x0301, ch.p + MAX_PLAIN + 1,
		   ch.len - MAX_PLAIN - 1);
	buf_free(&ch);
	return expect_alert(c, ALERTS(AL_RECORD_OVERFLOW), why, note);
}

/* After the handshake, a record longer than any ciphertext may be:
 * 2^14 + 256 (RFC 8446 5.2) or 2^14 + 2048 (RFC 5246 6.2.3) plus one. */
bool p_overflow_ciphertext(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);
	size_t len = (o->version == 13 ? MAX_CT13 : MAX_CT12) + 1;
	uint8_t *body;

	if (!c)
		return false;
	body = malloc(len);
	if (!body)
		exit(2);
	rand_fill(body, len);
	send_plain(c, CT_APPDATA, 0x0303, body, len);
	free(body);
	return expect_alert(c, ALERTS(AL_RECORD_OVERFLOW), why, note);
}

/* A correctly protected record whose plaintext is 2^14 + 1 bytes
 * (RFC 8446 5.2: "MUST NOT exceed 2^14 + 1 octets" of inner plaintext,
 * content + type; RFC 5246 6.2.1: plaintext at most 2^14). */
bool p_overflow_plaintext(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);
	uint8_t *data;

	if (!c)
		return false;
	data = malloc(MAX_PLAIN + 1);
	if (!data)
		exit(2);
	memset(data, 'a', MAX_PLAIN + 1);
	cork(c, true);
	send_sealed(c, CT_APPDATA, data, MAX_PLAIN + 1);
	free(data);
	trailer(c);
	return expect_alert(c, ALERTS(AL_RECORD_OVERFLOW), why, note);
}

/* --- f. KeyUpdate (TLS 1.3) --------------------------------------------- */

static bool key_update_probe(const struct opts *o, const uint8_t *msg,
			     size_t len, const uint8_t *want, size_t n,
			     char *why, char *note)
{
	struct conn *c = established(o, why);

	if (!c)
		return false;
	cork(c, true);
	send_sealed(c, CT_HANDSHAKE, msg, len);
	trailer(c);
	return expect_alert(c, want, n, why, note);
}

/* KeyUpdate with no body: RFC 8446 4.6.3 defines one byte; a message
 * whose length is wrong is decode_error (RFC 8446 6.2). */
bool p_key_update_empty(const struct opts *o, char *why, char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 0 };

	return key_update_probe(o, ku, sizeof(ku), ALERTS(AL_DECODE_ERROR),
				why, note);
}

/* request_update = 2: RFC 8446 4.6.3, "If an implementation receives any
 * other value, it MUST terminate the connection with an illegal_parameter
 * alert." */
bool p_key_update_bad_value(const struct opts *o, char *why, char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 1, 2 };

	return key_update_probe(o, ku, sizeof(ku),
				ALERTS(AL_ILLEGAL_PARAMETER), why, note);
}

/* A KeyUpdate of two bytes: decode_error (RFC 8446 6.2, "the length of
 * the message was incorrect"); OpenSSL answers illegal_parameter (a
 * message longer than its type allows), which 6.2 also covers ("a field
 * in the handshake was incorrect"), so both pass. */
bool p_key_update_long(const struct opts *o, char *why, char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 2, 0, 0 };

	return key_update_probe(o, ku, sizeof(ku),
				ALERTS(AL_DECODE_ERROR, AL_ILLEGAL_PARAMETER),
				why, note);
}

/* Two KeyUpdates in one record: the second spans the key change the first
 * makes.  RFC 8446 5.1: "Handshake messages MUST NOT span key changes ...
 * if not, then they MUST terminate the connection with an
 * unexpected_message alert." */
bool p_key_update_two_in_record(const struct opts *o, char *why, char *note)
{
	static const uint8_t ku[] = {
		HS_KEY_UPDATE, 0, 0, 1, 0, HS_KEY_UPDATE, 0, 0, 1, 0,
	};

	return key_update_probe(o, ku, sizeof(ku),
				ALERTS(AL_UNEXPECTED_MESSAGE), why, note);
}

/* A valid KeyUpdate (update_not_requested), then a request under the new
 * client key: the server answers it.  Shows that this client's KeyUpdate
 * is right, so that the failures above are the server's. */
static bool key_update_then_get(const struct opts *o, bool fragmented,
				char *why, char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
	struct conn *c = established(o, why);
	struct answer a;
	char got[1024];
	int i;

	if (!c)
		return false;
	if (fragmented) {
		send_sealed(c, CT_HANDSHAKE, ku, 4);
		send_sealed(c, CT_HANDSHAKE, ku + 4, 1);
	} else {
		send_sealed(c, CT_HANDSHAKE, ku, sizeof(ku));
	}
	if (!tx_key_update(c)) {
		snprintf(why, WHY, "setup: next traffic secret");
		conn_close(c);
		return false;
	}
	if (!fragmented)
		return http_exchange(c, 0, why, note);
	/*
	 * RFC 8446 5.1 lets handshake messages be fragmented over records;
	 * what it forbids is a message spanning a key change, and this one
	 * ends on a record boundary before the change.  So the right answer
	 * is to accept it (tlsfuzzer's "fragmented keyupdate msg" expects
	 * that); refusing it with exactly one unexpected_message is the
	 * strict reading some stacks take, and is tolerated.
	 */
	send_sealed(c, CT_APPDATA, "GET / HTTP/1.0\r\n\r\n", 18);
	observe_data(c, &a);
	for (i = 0; i < a.n; i++) {
		if (a.ev[i].kind == EV_APPDATA && !a.ev[i].bad_mac &&
		    !strncmp(a.ev[i].text, "HTTP/1.", 7)) {
			snprintf(note, WHY, "accepted and answered");
			conn_close(c);
			return true;
		}
	}
	if (one_alert(c, &a, ALERTS(AL_UNEXPECTED_MESSAGE), why, WHY)) {
		snprintf(note, WHY, "refused with unexpected_message");
		conn_close(c);
		return true;
	}
	describe(&a, got, sizeof(got));
	snprintf(why, WHY, "expected an HTTP answer under the new key (or "
		 "exactly one unexpected_message, then EOF); got: %s", got);
	conn_close(c);
	return false;
}

bool p_key_update_valid(const struct opts *o, char *why, char *note)
{
	return key_update_then_get(o, false, why, note);
}

bool p_key_update_fragmented(const struct opts *o, char *why, char *note)
{
	return key_update_then_get(o, true, why, note);
}

/* --- g. bad_record_mac --------------------------------------------------- */

/* A protected request with one byte flipped at @where (from the start of
 * the ciphertext, or from the end of the tag when negative): RFC 8446
 * 5.2 and RFC 5246 6.2.3.3, bad_record_mac. */
static bool bad_mac_probe(const struct opts *o, long where, char *why,
			  char *note)
{
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	struct conn *c = established(o, why);
	uint8_t rec[sizeof(get) + 64];
	size_t len, ct;

	if (!c)
		return false;
	/* TLS 1.2 GCM carries an 8-byte explicit nonce before the
	 * ciphertext. */
	ct = REC_HDR + (c->version == 12 && c->tx.iv_len == 4 ? 8 : 0);
	len = seal(c, CT_APPDATA, get, sizeof(get) - 1, rec);
	if (where < 0)
		rec[len - (size_t)(-where)] ^= 0x01;
	else
		rec[ct + (size_t)where] ^= 0x80;
	cork(c, true);
	send_raw(c, rec, len);
	trailer(c);
	return expect_alert(c, ALERTS(AL_BAD_RECORD_MAC), why, note);
}

bool p_bad_mac_ciphertext(const struct opts *o, char *why, char *note)
{
	return bad_mac_probe(o, 3, why, note);
}

bool p_bad_mac_tag(const struct opts *o, char *why, char *note)
{
	return bad_mac_probe(o, -1, why, note);
}

/* --- h. records that do not belong ------------------------------------- */

static bool unexpected_probe(const struct opts *o, int type,
			     const void *data, size_t len, char *why, char *note)
{
	struct conn *c = established(o, why);

	if (!c)
		return false;
	cork(c, true);
	send_sealed(c, type, data, len);
	trailer(c);
	return expect_alert(c, ALERTS(AL_UNEXPECTED_MESSAGE), why, note);
}

/* A protected change_cipher_spec after the handshake.  RFC 8446 5: "An
 * implementation which receives ... a protected change_cipher_spec record
 * MUST abort the handshake with an unexpected_message alert"; RFC 5246
 * 7.1/7.2.2: a CCS where none is due is unexpected_message. */
bool p_unexpected_ccs(const struct opts *o, char *why, char *note)
{
	static const uint8_t one = 1;

	return unexpected_probe(o, CT_CCS, &one, 1, why, note);
}

/* Content type 99: RFC 8446 5 and RFC 5246 6, "If a TLS implementation
 * receives an unexpected record type, it MUST terminate the connection
 * with an unexpected_message alert." */
bool p_unexpected_type(const struct opts *o, char *why, char *note)
{
	return unexpected_probe(o, 99, "x", 1, why, note);
}

/* An inner plaintext of zeros only: RFC 8446 5.4, no non-zero octet means
 * unexpected_message. */
bool p_unexpected_no_type(const struct opts *o, char *why, char *note)
{
	static const uint8_t zeros[8];

	return unexpected_probe(o, SEAL_RAW_INNER, zeros, sizeof(zeros), why,
				note);
}

/* A Finished after the handshake: not a post-handshake message (RFC 8446
 * 4.6; in TLS 1.2 not due), so unexpected_message (RFC 8446 6.2, RFC 5246
 * 7.2.2). */
bool p_unexpected_finished(const struct opts *o, char *why, char *note)
{
	uint8_t fin[4 + 48] = { HS_FINISHED, 0, 0, 0 };
	size_t n = o->version == 13 ? 32 : 12;

	fin[3] = (uint8_t)n;
	rand_fill(fin + 4, n);
	return unexpected_probe(o, CT_HANDSHAKE, fin, 4 + n, why, note);
}

/* --- i. requests that must be answered ---------------------------------- */

/* A small request under the keys taken over from libssl: shows this
 * client's record layer is right, so that failures elsewhere are the
 * server's. */
bool p_http_get(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);

	return c && http_exchange(c, 0, why, note);
}

/* A 16 KiB request head (sixteen 1 KiB headers, over two records): a
 * server may refuse it with an HTTP error, but must answer. */
bool p_big_request(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);

	return c && http_exchange(c, 16384, why, note);
}

