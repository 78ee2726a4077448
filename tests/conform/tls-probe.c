// SPDX-License-Identifier: MIT
/*
 * tls-probe - a crafted-record TLS client: it speaks raw TLS records to a
 * server and checks that each malformed or unexpected input gets the
 * answer the RFCs require, byte for byte: which alert, exactly one of
 * them, then a clean close (FIN, not RST, which would destroy the alert).
 *
 *   tls-probe [--version 1.2|1.3] [--cipher NAME] [--timeout MS]
 *             [--no-trailer] HOST PORT [PROBE...]
 *   tls-probe --list
 *
 * One line per probe: "ok - NAME", "FAIL - NAME: why" or "skip - NAME:
 * why".  Exit status 0 when every selected probe passed, 1 if one failed,
 * 2 on a usage or setup error.  Probes that need an established session
 * let libssl do the handshake (OpenSSL is the test peer's crypto; nothing
 * here is hand-written crypto), then take over the socket with the keys.
 * The probes expect an HTTP server behind TLS (ktls-server --www,
 * ktls-serve, openssl s_server -www).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "probe.h"

struct opts {
	const char *host;
	const char *port;
	int version;
	const char *cipher;
	int timeout_ms;
	bool no_trailer;
};

/* A probe returns true if the server answered as required; otherwise
 * false with the reason in @why.  @note may be filled on success. */
typedef bool (*probe_fn)(const struct opts *o, char *why, char *note);
#define WHY 1536

#define ALERTS(...) ((const uint8_t[]){ __VA_ARGS__ }), \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

/* --- helpers ----------------------------------------------------------- */

static struct conn *dial(const struct opts *o, char *why)
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
static struct conn *established(const struct opts *o, char *why)
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
static void trailer(struct conn *c)
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
static bool expect_alert(struct conn *c, const uint8_t *want, size_t n,
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

/* Send a ClientHello.  RFC 8446 5.1: the record version of an initial
 * ClientHello may be 0x0301 (as most clients send it), that of a second
 * one (after a HelloRetryRequest) must be 0x0303. */
static void send_hello(struct conn *c, const struct hello *h, struct buf *msg)
{
	client_hello(msg, h, c->cipher);
	send_plain(c, CT_HANDSHAKE, h->random ? 0x0303 : 0x0301, msg->p,
		   msg->len);
}

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

/* --- a. the dummy ChangeCipherSpec of RFC 8446 D.4 --------------------- */

/*
 * D.4 describes middlebox compatibility mode: a client in it sends a
 * non-empty legacy_session_id, and "the server sends a dummy
 * change_cipher_spec record immediately after its first handshake message.
 * This may either be after a ServerHello or a HelloRetryRequest."  The
 * text has no MUST of its own, but a client that asked for the mode relies
 * on it, and tlsfuzzer (the suite behind issue 10) requires it whenever
 * the session id is non-empty; so does this probe.  Without a session id
 * either behaviour passes, and the note says which was seen.
 */

/* HelloRetryRequest's special ServerHello.random (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* Read the server's first handshake message (possibly fragmented) into
 * @msg; false with why when something else arrives first. */
static bool first_message(struct conn *c, struct buf *msg, char *got,
			  size_t size)
{
	struct answer a = { 0 };

	while (msg->len < 4 ||
	       msg->len < 4 + ((size_t)msg->p[1] << 16 |
			       (size_t)msg->p[2] << 8 | msg->p[3])) {
		int rc = rec_read(c);

		if (rc == RD_RECORD && c->rec.type == CT_HANDSHAKE) {
			buf_put(msg, c->rec.body, c->rec.len);
			continue;
		}
		if (rc == RD_RECORD)
			observe_current(c, &a);	/* show it and the rest */
		else
			a.end = rc;
		describe(&a, got, size);
		return false;
	}
	return true;
}

/* Answer a HelloRetryRequest @hrr to @ch at once with the second
 * ClientHello (RFC 8446 4.1.2: the same one, with a share for the group
 * the HRR names and its cookie, if any).  Sending it before reading on
 * tells "CCS right after the HRR" from "CCS after the second ServerHello":
 * the server writes its CCS before it reads this hello, or after. */
static bool second_hello(struct conn *c, const struct buf *ch,
			 const struct buf *hrr, char *why)
{
	struct hello h = { .version = 13, .session_id = true,
			   .random = ch->p + 6, .sid = ch->p + 39 };
	const uint8_t *ks, *cookie;
	size_t ks_len, cookie_len, n;
	struct buf ch2 = { 0 };
	uint8_t pub[133];
	uint16_t group;

	if (!sh_extension(hrr->p, hrr->len, 51, &ks, &ks_len) ||
	    ks_len != 2) {
		snprintf(why, WHY, "the HelloRetryRequest names no group "
			 "(key_share extension)");
		return false;
	}
	group = (uint16_t)(ks[0] << 8 | ks[1]);
	n = group_public(group, pub);
	if (!n) {
		snprintf(why, WHY, "the HelloRetryRequest asks for group "
			 "0x%04x, which this client did not offer", group);
		return false;
	}
	h.shares[0] = (struct share){ group, pub, n };
	h.n_shares = 1;
	if (sh_extension(hrr->p, hrr->len, 44, &cookie, &cookie_len) &&
	    cookie_len > 2) {
		h.cookie = cookie + 2;
		h.cookie_len = cookie_len - 2;
	}
	send_hello(c, &h, &ch2);
	buf_free(&ch2);
	return true;
}

static bool ccs_probe(const struct opts *o, bool session_id, bool hrr,
		      char *why, char *note)
{
	struct conn *c = dial(o, why);
	struct hello h = { .version = 13, .session_id = session_id };
	struct buf ch = { 0 }, sh = { 0 };
	uint8_t pub[32];
	char got[1024];
	bool ok = false, is_hrr, early = false;
	size_t sid_len;

	if (!c)
		return false;
	if (hrr) {
		/* An empty client_shares vector asks the server to pick a
		 * group (RFC 8446 4.2.8): it must answer with HRR. */
		h.n_shares = 0;
	} else {
		if (!x25519_public(pub)) {
			snprintf(why, WHY, "setup: X25519 key generation");
			goto out;
		}
		h.shares[0] = (struct share){ GRP_X25519, pub, 32 };
		h.n_shares = 1;
	}
	send_hello(c, &h, &ch);
	if (!first_message(c, &sh, got, sizeof(got))) {
		snprintf(why, WHY, "expected a ServerHello; got: %s", got);
		goto out;
	}
	/* type(1) len(3) version(2) random(32) session_id<0..32> */
	if (sh.p[0] != HS_SERVER_HELLO || sh.len < 4 + 2 + 32 + 1) {
		snprintf(why, WHY, "expected a ServerHello; got handshake "
			 "message %u (%zu bytes)", sh.p[0], sh.len);
		goto out;
	}
	is_hrr = !memcmp(sh.p + 6, hrr_random, 32);
	if (is_hrr != hrr) {
		snprintf(why, WHY, "expected a %s; got a %s", hrr ?
			 "HelloRetryRequest" : "ServerHello", is_hrr ?
			 "HelloRetryRequest" : "ServerHello");
		goto out;
	}
	/* RFC 8446 4.1.3: legacy_session_id_echo echoes the client's. */
	sid_len = sh.p[38];
	if (sid_len != ch.p[38] || sh.len < 39 + sid_len ||
	    memcmp(sh.p + 39, ch.p + 39, sid_len)) {
		snprintf(why, WHY, "legacy_session_id_echo (%zu bytes) is "
			 "not the ClientHello's (%u bytes)", sid_len,
			 ch.p[38]);
		goto out;
	}
	if (sh.len > 4 + ((size_t)sh.p[1] << 16 | (size_t)sh.p[2] << 8 |
			  sh.p[3])) {
		snprintf(why, WHY, "the %s shares its record with another "
			 "handshake message", hrr ? "HRR" : "ServerHello");
		goto out;
	}
	/* The CCS should come without the second ClientHello; if it does
	 * not come soon, send that hello and see where the CCS lands. */
	early = hrr && readable(c, o->timeout_ms / 5);
	if (hrr && !early && !second_hello(c, &ch, &sh, why))
		goto out;
	/* The next record: the dummy change_cipher_spec (D.4). */
	switch (rec_read(c)) {
	case RD_RECORD:
		if (c->rec.type == CT_CCS && c->rec.len == 1 &&
		    c->rec.body[0] == 1) {
			/* Sent only once the second ClientHello came: a
			 * client that waits for it first stalls. */
			if (hrr && !early && session_id) {
				snprintf(why, WHY, "the CCS after the "
					 "HelloRetryRequest came only once the "
					 "second ClientHello was sent; RFC 8446 "
					 "D.4 sends it right after the HRR");
				break;
			}
			ok = true;
			snprintf(note, WHY, "CCS after the %s", hrr ?
				 "HelloRetryRequest" : "ServerHello");
			break;
		}
		if (!session_id) {
			ok = true;
			snprintf(note, WHY, "no CCS (record type %u next): "
				 "allowed without a session id",
				 c->rec.type);
			break;
		}
		if (hrr && c->rec.type == CT_HANDSHAKE) {
			/* The second ServerHello: is the CCS behind it? */
			bool late = rec_read(c) == RD_RECORD &&
				    c->rec.type == CT_CCS;

			snprintf(why, WHY, "expected a ChangeCipherSpec "
				 "record right after the HelloRetryRequest "
				 "(RFC 8446 D.4); got the second ServerHello "
				 "first, %s", late ? "then the CCS" :
				 "and no CCS after it either");
			break;
		}
		snprintf(why, WHY, "expected a ChangeCipherSpec record (20, "
			 "body 01) right after the %s (RFC 8446 D.4); got "
			 "record type %u, %zu bytes%s",
			 hrr ? "HelloRetryRequest" : "ServerHello",
			 c->rec.type, c->rec.len,
			 c->rec.type == CT_APPDATA ? " (encrypted)" : "");
		break;
	case RD_TIMEOUT:
		if (!session_id || !hrr) {
			/* Without a session id nothing is due; with one,
			 * after a ServerHello more records must come. */
			ok = !session_id;
			snprintf(session_id ? why : note, WHY,
				 "nothing after the ServerHello for %d ms",
				 o->timeout_ms);
			break;
		}
		snprintf(why, WHY, "expected a ChangeCipherSpec record right "
			 "after the HelloRetryRequest (RFC 8446 D.4); got "
			 "nothing, even after a second ClientHello, for %d ms",
			 o->timeout_ms);
		break;
	default:
		snprintf(why, WHY, "expected a ChangeCipherSpec record after "
			 "the %s; the connection ended", hrr ? "HRR" : "SH");
	}
out:
	buf_free(&ch);
	buf_free(&sh);
	conn_close(c);
	return ok;
}

static bool p_ccs_middlebox(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, true, false, why, note);
}

static bool p_ccs_middlebox_hrr(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, true, true, why, note);
}

static bool p_ccs_no_session_id(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, false, false, why, note);
}

/* --- b. exactly one alert, then a clean close --------------------------- */

/* A ClientHello cut short inside its random: RFC 8446 6.2 decode_error,
 * with more input behind it. */
static bool p_one_alert_garbage(const struct opts *o, char *why, char *note)
{
	static const uint8_t bad[] = { HS_CLIENT_HELLO, 0, 0, 4, 3, 3, 0, 0 };
	struct conn *c = dial(o, why);

	if (!c)
		return false;
	cork(c, true);
	send_plain(c, CT_HANDSHAKE, 0x0301, bad, sizeof(bad));
	trailer(c);
	return expect_alert(c, ALERTS(AL_DECODE_ERROR), why, note);
}

/* --- c. record_overflow -------------------------------------------------- */

/* During the handshake, a plaintext record of 2^14 + 1 bytes: RFC 8446
 * 5.1, "MUST terminate the connection with a record_overflow alert". */
static bool p_overflow_handshake(const struct opts *o, char *why, char *note)
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
static bool p_overflow_ciphertext(const struct opts *o, char *why, char *note)
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
static bool p_overflow_plaintext(const struct opts *o, char *why, char *note)
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

/* --- d. an SSLv2-format ClientHello -------------------------------------- */

/*
 * RFC 5246 E.2 lets a TLS 1.2 server accept a version 2.0 CLIENT-HELLO;
 * RFC 8446 D.5 forbids negotiating TLS 1.3 with one and does not recommend
 * accepting it at all; RFC 6176 forbids SSL 2.0 itself.  Either way the
 * hello below offers nothing a server may choose (SSL 2.0 specs, RC4,
 * 3DES), so the only right answers are an alert: protocol_version (70)
 * for a server that refuses the format, handshake_failure (40) for one
 * that reads it and finds no suite in common.  Not a silent close.
 */
static bool p_sslv2_hello(const struct opts *o, char *why, char *note)
{
	static const uint8_t v2[] = {
		0x80, 0x2e,		/* 2-byte header, length 46 */
		0x01,			/* msg_type: CLIENT-HELLO */
		0x03, 0x03,		/* version: TLS 1.2 */
		0x00, 0x15,		/* cipher_spec_length: 21 */
		0x00, 0x00,		/* session_id_length */
		0x00, 0x10,		/* challenge_length: 16 */
		0x01, 0x00, 0x80,	/* SSL_CK_RC4_128_WITH_MD5 */
		0x07, 0x00, 0xc0,	/* SSL_CK_DES_192_EDE3_CBC_WITH_MD5 */
		0x03, 0x00, 0x80,	/* SSL_CK_RC2_128_CBC_WITH_MD5 */
		0x00, 0x00, 0x04,	/* TLS_RSA_WITH_RC4_128_MD5 */
		0x00, 0x00, 0x05,	/* TLS_RSA_WITH_RC4_128_SHA */
		0x00, 0x00, 0x0a,	/* TLS_RSA_WITH_3DES_EDE_CBC_SHA */
		0x00, 0x00, 0xff,	/* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, /* challenge */
		0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	};
	struct conn *c = dial(o, why);

	_Static_assert(sizeof(v2) == 2 + 0x2e, "SSLv2 hello length");
	if (!c)
		return false;
	send_raw(c, v2, sizeof(v2));
	return expect_alert(c, ALERTS(AL_PROTOCOL_VERSION,
				      AL_HANDSHAKE_FAILURE), why, note);
}

/* --- e. invalid key shares (TLS 1.3) ------------------------------------ */

static bool key_share_probe(const struct opts *o, uint16_t group,
			    const uint8_t *share, size_t len,
			    const uint8_t *want, size_t n, char *why,
			    char *note)
{
	struct conn *c = dial(o, why);
	struct hello h = { .version = 13, .groups = &group, .n_groups = 1 };
	struct buf ch = { 0 };

	if (!c)
		return false;
	h.shares[0] = (struct share){ group, share, len };
	h.n_shares = 1;
	send_hello(c, &h, &ch);
	buf_free(&ch);
	return expect_alert(c, want, n, why, note);
}

/* X25519's all-zero public key makes the shared secret zero, which RFC
 * 8446 7.4.2 requires to be checked and refused; the alert for a share
 * that is not valid is illegal_parameter (RFC 8446 6.2: "a field in the
 * handshake was incorrect"; tlsfuzzer expects it too). */
static bool p_key_share_x25519_zero(const struct opts *o, char *why,
				    char *note)
{
	static const uint8_t zero[32];

	return key_share_probe(o, GRP_X25519, zero, sizeof(zero),
			       ALERTS(AL_ILLEGAL_PARAMETER), why, note);
}

/* A P-256 point off the curve: the generator with one bit of y flipped.
 * RFC 8446 4.2.8.2: peers MUST validate that the point is on the curve. */
static bool p_key_share_p256_off_curve(const struct opts *o, char *why,
				       char *note)
{
	uint8_t pt[65] = {
		0x04,
		0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc,
		0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81,
		0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98,
		0xc2, 0x96,
		0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7,
		0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57,
		0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf,
		0x51, 0xf5,
	};

	pt[64] ^= 1;
	return key_share_probe(o, GRP_SECP256R1, pt, sizeof(pt),
			       ALERTS(AL_ILLEGAL_PARAMETER), why, note);
}

/* An X25519 share of 31 bytes: X25519 shares are 32 bytes (RFC 8446
 * 4.2.8.2, RFC 7748).  illegal_parameter; decode_error is allowed too,
 * since the length is what is wrong (RFC 8446 6.2: decode_error, "the
 * length of a message was incorrect"). */
static bool p_key_share_x25519_short(const struct opts *o, char *why,
				     char *note)
{
	uint8_t pub[32];

	if (!x25519_public(pub)) {
		snprintf(why, WHY, "setup: X25519 key generation");
		return false;
	}
	return key_share_probe(o, GRP_X25519, pub, 31,
			       ALERTS(AL_ILLEGAL_PARAMETER, AL_DECODE_ERROR),
			       why, note);
}

/* A zero-length share: key_exchange<1..2^16-1> (RFC 8446 4.2.8) has a
 * minimum length of one, so decode_error (RFC 8446 3.4 and 6.2) or
 * illegal_parameter. */
static bool p_key_share_empty(const struct opts *o, char *why, char *note)
{
	return key_share_probe(o, GRP_X25519, NULL, 0,
			       ALERTS(AL_ILLEGAL_PARAMETER, AL_DECODE_ERROR),
			       why, note);
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
static bool p_key_update_empty(const struct opts *o, char *why, char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 0 };

	return key_update_probe(o, ku, sizeof(ku), ALERTS(AL_DECODE_ERROR),
				why, note);
}

/* request_update = 2: RFC 8446 4.6.3, "If an implementation receives any
 * other value, it MUST terminate the connection with an illegal_parameter
 * alert." */
static bool p_key_update_bad_value(const struct opts *o, char *why,
				   char *note)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 1, 2 };

	return key_update_probe(o, ku, sizeof(ku),
				ALERTS(AL_ILLEGAL_PARAMETER), why, note);
}

/* A KeyUpdate of two bytes: decode_error (RFC 8446 6.2, "the length of
 * the message was incorrect"); OpenSSL answers illegal_parameter (a
 * message longer than its type allows), which 6.2 also covers ("a field
 * in the handshake was incorrect"), so both pass. */
static bool p_key_update_long(const struct opts *o, char *why, char *note)
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
static bool p_key_update_two_in_record(const struct opts *o, char *why,
				       char *note)
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

static bool p_key_update_valid(const struct opts *o, char *why, char *note)
{
	return key_update_then_get(o, false, why, note);
}

static bool p_key_update_fragmented(const struct opts *o, char *why,
				    char *note)
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

static bool p_bad_mac_ciphertext(const struct opts *o, char *why, char *note)
{
	return bad_mac_probe(o, 3, why, note);
}

static bool p_bad_mac_tag(const struct opts *o, char *why, char *note)
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
static bool p_unexpected_ccs(const struct opts *o, char *why, char *note)
{
	static const uint8_t one = 1;

	return unexpected_probe(o, CT_CCS, &one, 1, why, note);
}

/* Content type 99: RFC 8446 5 and RFC 5246 6, "If a TLS implementation
 * receives an unexpected record type, it MUST terminate the connection
 * with an unexpected_message alert." */
static bool p_unexpected_type(const struct opts *o, char *why, char *note)
{
	return unexpected_probe(o, 99, "x", 1, why, note);
}

/* An inner plaintext of zeros only: RFC 8446 5.4, no non-zero octet means
 * unexpected_message. */
static bool p_unexpected_no_type(const struct opts *o, char *why, char *note)
{
	static const uint8_t zeros[8];

	return unexpected_probe(o, SEAL_RAW_INNER, zeros, sizeof(zeros), why,
				note);
}

/* A Finished after the handshake: not a post-handshake message (RFC 8446
 * 4.6; in TLS 1.2 not due), so unexpected_message (RFC 8446 6.2, RFC 5246
 * 7.2.2). */
static bool p_unexpected_finished(const struct opts *o, char *why, char *note)
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
static bool p_http_get(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);

	return c && http_exchange(c, 0, why, note);
}

/* A 16 KiB request head (sixteen 1 KiB headers, over two records): a
 * server may refuse it with an HTTP error, but must answer. */
static bool p_big_request(const struct opts *o, char *why, char *note)
{
	struct conn *c = established(o, why);

	return c && http_exchange(c, 16384, why, note);
}

/* --- the table, and main ------------------------------------------------ */

#define V12 1
#define V13 2

static const struct probe {
	const char *name;
	int versions;
	probe_fn fn;
	const char *what;
} probes[] = {
	{ "http-get", V12 | V13, p_http_get,
	  "a request under the taken-over keys is answered (self-check)" },
	{ "ccs-middlebox", V13, p_ccs_middlebox,
	  "session id: CCS right after ServerHello (RFC 8446 D.4)" },
	{ "ccs-middlebox-hrr", V13, p_ccs_middlebox_hrr,
	  "session id, no key share: CCS right after the HRR, before the "
	  "second ServerHello (D.4)" },
	{ "ccs-no-session-id", V13, p_ccs_no_session_id,
	  "no session id: a CCS is allowed, not required (reported)" },
	{ "one-alert-garbage", V12 | V13, p_one_alert_garbage,
	  "truncated ClientHello + more input: one decode_error, then FIN" },
	{ "record-overflow-handshake", V12 | V13, p_overflow_handshake,
	  "handshake record of 2^14+1 bytes: record_overflow" },
	{ "record-overflow-ciphertext", V12 | V13, p_overflow_ciphertext,
	  "record longer than the ciphertext limit: record_overflow" },
	{ "record-overflow-plaintext", V12 | V13, p_overflow_plaintext,
	  "protected record of 2^14+1 plaintext bytes: record_overflow" },
	{ "sslv2-hello", V12 | V13, p_sslv2_hello,
	  "SSLv2-format ClientHello: protocol_version or handshake_failure" },
	{ "key-share-x25519-zero", V13, p_key_share_x25519_zero,
	  "all-zero X25519 share: illegal_parameter" },
	{ "key-share-p256-off-curve", V13, p_key_share_p256_off_curve,
	  "P-256 point off the curve: illegal_parameter" },
	{ "key-share-x25519-short", V13, p_key_share_x25519_short,
	  "31-byte X25519 share: illegal_parameter or decode_error" },
	{ "key-share-empty", V13, p_key_share_empty,
	  "zero-length share: decode_error or illegal_parameter" },
	{ "key-update-valid", V13, p_key_update_valid,
	  "a valid KeyUpdate, then a request under the new key (self-check)" },
	{ "key-update-empty", V13, p_key_update_empty,
	  "KeyUpdate with no body: decode_error" },
	{ "key-update-bad-value", V13, p_key_update_bad_value,
	  "KeyUpdate request_update=2: illegal_parameter" },
	{ "key-update-long", V13, p_key_update_long,
	  "KeyUpdate of 2 bytes: decode_error (or illegal_parameter)" },
	{ "key-update-two-in-record", V13, p_key_update_two_in_record,
	  "two KeyUpdates in one record: unexpected_message (5.1)" },
	{ "key-update-fragmented", V13, p_key_update_fragmented,
	  "KeyUpdate over two records: accepted (or unexpected_message)" },
	{ "bad-record-mac-ciphertext", V12 | V13, p_bad_mac_ciphertext,
	  "a ciphertext byte flipped: one bad_record_mac" },
	{ "bad-record-mac-tag", V12 | V13, p_bad_mac_tag,
	  "a tag byte flipped: one bad_record_mac" },
	{ "unexpected-ccs", V12 | V13, p_unexpected_ccs,
	  "protected ChangeCipherSpec after the handshake: unexpected_message" },
	{ "unexpected-type", V12 | V13, p_unexpected_type,
	  "record of content type 99: unexpected_message" },
	{ "unexpected-no-type", V13, p_unexpected_no_type,
	  "inner plaintext of zeros only: unexpected_message (5.4)" },
	{ "unexpected-finished", V12 | V13, p_unexpected_finished,
	  "a Finished after the handshake: unexpected_message" },
	{ "big-request", V12 | V13, p_big_request,
	  "a 16 KiB HTTP request is answered" },
};

#define N_PROBES (sizeof(probes) / sizeof(probes[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tls-probe [options] HOST PORT [PROBE...]\n"
		"       tls-probe --list\n"
		"Send crafted TLS records to an HTTPS server and check each "
		"answer.\n\n"
		"  --version 1.2|1.3   protocol version (default 1.3)\n"
		"  --cipher NAME       AES-128-GCM (default), AES-256-GCM,\n"
		"                      CHACHA20-POLY1305\n"
		"  --timeout MS        how long to wait for each answer "
		"(default 5000)\n"
		"  --no-trailer        send no further record behind an "
		"offending one\n"
		"                      (tells a lost alert from a missing "
		"one)\n"
		"  --list              list the probes and exit\n");
}

static const struct probe *find_probe(const char *name)
{
	size_t i;

	for (i = 0; i < N_PROBES; i++)
		if (!strcmp(probes[i].name, name))
			return &probes[i];
	return NULL;
}

static bool run_probe(const struct opts *o, const struct probe *p)
{
	char why[WHY] = "", note[WHY] = "";
	int v = o->version == 13 ? V13 : V12;

	if (!(p->versions & v)) {
		printf("skip - %s: not a TLS %d.%d probe\n", p->name,
		       o->version / 10, o->version % 10);
		return true;
	}
	if (p->fn(o, why, note)) {
		printf("ok - %s%s%s\n", p->name, *note ? " # " : "", note);
		fflush(stdout);
		return true;
	}
	printf("FAIL - %s: %s\n", p->name, why);
	fflush(stdout);
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "no-trailer", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .version = 13, .cipher = "AES-128-GCM",
			  .timeout_ms = 5000 };
	bool all_ok = true;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (!strcmp(optarg, "1.2")) {
				o.version = 12;
			} else if (!strcmp(optarg, "1.3")) {
				o.version = 13;
			} else {
				fprintf(stderr, "tls-probe: --version 1.2 or "
					"1.3\n");
				return 2;
			}
			break;
		case 'c':
			if (strcmp(optarg, "AES-128-GCM") &&
			    strcmp(optarg, "AES-256-GCM") &&
			    strcmp(optarg, "CHACHA20-POLY1305")) {
				fprintf(stderr, "tls-probe: unknown cipher "
					"'%s'\n", optarg);
				return 2;
			}
			o.cipher = optarg;
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			if (o.timeout_ms <= 0) {
				fprintf(stderr, "tls-probe: --timeout MS\n");
				return 2;
			}
			break;
		case 'n':
			o.no_trailer = true;
			break;
		case 'l':
			for (i = 0; i < N_PROBES; i++)
				printf("%-28s %s%s  %s\n", probes[i].name,
				       probes[i].versions & V12 ? "1.2" : "",
				       probes[i].versions & V13 ?
				       (probes[i].versions & V12 ? ",1.3" :
					"1.3    ") : "    ",
				       probes[i].what);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	o.host = argv[optind];
	o.port = argv[optind + 1];
	for (c = optind + 2; c < argc; c++) {
		if (!find_probe(argv[c])) {
			fprintf(stderr, "tls-probe: no probe '%s' (--list)\n",
				argv[c]);
			return 2;
		}
	}
	if (argc - optind == 2) {
		int v = o.version == 13 ? V13 : V12;

		for (i = 0; i < N_PROBES; i++)
			if (probes[i].versions & v)
				all_ok &= run_probe(&o, &probes[i]);
	} else {
		for (c = optind + 2; c < argc; c++)
			all_ok &= run_probe(&o, find_probe(argv[c]));
	}
	return all_ok ? 0 : 1;
}
