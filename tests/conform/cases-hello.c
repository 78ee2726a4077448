// SPDX-License-Identifier: MIT
/*
 * cases-hello.c - tls-probe's probes of the first flight, sections a, b, d
 * and e of its list: the dummy ChangeCipherSpec of middlebox compatibility
 * mode, exactly one alert for a truncated ClientHello, an SSLv2-format
 * ClientHello, and invalid TLS 1.3 key shares.
 */
#include <stdio.h>
#include <string.h>

#include "cases.h"

/* Send a ClientHello.  RFC 8446 5.1: the record version of an initial
 * ClientHello may be 0x0301 (as most clients send it), that of a second
 * one (after a HelloRetryRequest) must be 0x0303. */
static void send_hello(struct conn *c, const struct hello *h, struct buf *msg)
{
	client_hello(msg, h, c->cipher);
	send_plain(c, CT_HANDSHAKE, h->random ? 0x0303 : 0x0301, msg->p,
		   msg->len);
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

bool p_ccs_middlebox(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, true, false, why, note);
}

bool p_ccs_middlebox_hrr(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, true, true, why, note);
}

bool p_ccs_no_session_id(const struct opts *o, char *why, char *note)
{
	return ccs_probe(o, false, false, why, note);
}

/* --- b. exactly one alert, then a clean close --------------------------- */

/* A ClientHello cut short inside its random: RFC 8446 6.2 decode_error,
 * with more input behind it. */
bool p_one_alert_garbage(const struct opts *o, char *why, char *note)
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
bool p_sslv2_hello(const struct opts *o, char *why, char *note)
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
bool p_key_share_x25519_zero(const struct opts *o, char *why, char *note)
{
	static const uint8_t zero[32];

	return key_share_probe(o, GRP_X25519, zero, sizeof(zero),
			       ALERTS(AL_ILLEGAL_PARAMETER), why, note);
}

/* A P-256 point off the curve: the generator with one bit of y flipped.
 * RFC 8446 4.2.8.2: peers MUST validate that the point is on the curve. */
bool p_key_share_p256_off_curve(const struct opts *o, char *why, char *note)
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
bool p_key_share_x25519_short(const struct opts *o, char *why, char *note)
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
bool p_key_share_empty(const struct opts *o, char *why, char *note)
{
	return key_share_probe(o, GRP_X25519, NULL, 0,
			       ALERTS(AL_ILLEGAL_PARAMETER, AL_DECODE_ERROR),
			       why, note);
}

