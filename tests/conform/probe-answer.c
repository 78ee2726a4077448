// SPDX-License-Identifier: MIT
/*
 * probe-answer.c - what the server answered (see probe.h): its records,
 * read until the connection ends and opened where they are protected,
 * classified as alerts, handshake messages and data, put in words, and
 * held against the alert a probe requires.
 */
#include <stdio.h>
#include <string.h>

#include "probe.h"

/* --- observing the answer ---------------------------------------------- */

const char *alert_name(unsigned int desc)
{
	switch (desc) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 47: return "illegal_parameter";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	default: return "unknown";
	}
}

static void classify(struct conn *c, struct event *ev)
{
	struct record *r = &c->rec;

	ev->type = r->type;
	ev->len = r->len;
	switch (r->type) {
	case CT_ALERT:
		ev->kind = EV_ALERT;
		if (r->len >= 2) {
			ev->a = r->body[0];
			ev->b = r->body[1];
		}
		break;
	case CT_HANDSHAKE:
		ev->kind = EV_HANDSHAKE;
		ev->a = r->len ? r->body[0] : 0;
		break;
	case CT_APPDATA: {
		size_t i, n = r->len < sizeof(ev->text) - 1 ?
			      r->len : sizeof(ev->text) - 1;

		ev->kind = EV_APPDATA;
		for (i = 0; i < n; i++)
			ev->text[i] = r->body[i] >= 32 && r->body[i] < 127 ?
				      (char)r->body[i] : '.';
		ev->text[n] = '\0';
		break;
	}
	case CT_CCS:
		ev->kind = EV_CCS;
		break;
	default:
		ev->kind = EV_OTHER;
	}
}

/* Count the record in c->rec as the answer's next event. */
static void add_event(struct conn *c, struct answer *a)
{
	struct event *ev = &a->ev[a->n++];

	/* TLS 1.3 protects only records of type 23 (a plaintext alert there
	 * is a finding of its own); TLS 1.2 all of them once the keys are
	 * on. */
	if (c->rx.on && (c->version == 12 || c->rec.type == CT_APPDATA)) {
		ev->encrypted = true;
		if (!rec_open(c)) {
			ev->bad_mac = true;
			ev->kind = EV_OTHER;
			ev->type = c->rec.type;
			ev->len = c->rec.len;
			return;
		}
	}
	classify(c, ev);
}

static void observe_rest(struct conn *c, struct answer *a, bool data)
{
	while (a->n < MAX_EVENTS) {
		int rc = rec_read(c);

		if (rc != RD_RECORD) {
			a->end = rc;
			return;
		}
		add_event(c, a);
		if (data && a->ev[a->n - 1].kind == EV_APPDATA) {
			a->end = RD_RECORD;
			return;
		}
	}
	a->end = RD_RECORD;	/* more than MAX_EVENTS */
}

void observe(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	observe_rest(c, a, false);
}

void observe_data(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	observe_rest(c, a, true);
}

void observe_current(struct conn *c, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	add_event(c, a);
	observe_rest(c, a, false);
}

static const char *end_name(int end)
{
	switch (end) {
	case RD_EOF: return "EOF";
	case RD_RST: return "RST (connection reset)";
	case RD_TIMEOUT: return "nothing more (the connection stays open)";
	case RD_TRUNCATED: return "a truncated record, then EOF";
	case RD_RECORD: return "more records";
	default: return "a read error";
	}
}

static size_t event_text(const struct event *ev, char *out, size_t size)
{
	const char *enc = ev->encrypted ? "" : "plaintext ";
	int n;

	if (ev->bad_mac)
		n = snprintf(out, size, "a record (type %u, %zu bytes) that "
			     "does not open with the server's keys",
			     ev->type, ev->len);
	else if (ev->kind == EV_ALERT && ev->len == 2)
		n = snprintf(out, size, "%salert %s%s(%u)", enc,
			     ev->a == 1 ? "warning " : ev->a == 2 ? "" :
			     "level? ", alert_name(ev->b), ev->b);
	else if (ev->kind == EV_HANDSHAKE && ev->a == HS_NEW_SESSION_TICKET)
		n = snprintf(out, size, "%sNewSessionTicket", enc);
	else if (ev->kind == EV_HANDSHAKE)
		n = snprintf(out, size, "%shandshake msg %u (%zu bytes)", enc,
			     ev->a, ev->len);
	else if (ev->kind == EV_APPDATA && !ev->encrypted)
		n = snprintf(out, size, "encrypted record (%zu bytes)",
			     ev->len);
	else if (ev->kind == EV_APPDATA)
		n = snprintf(out, size, "app data \"%s\" (%zu bytes)",
			     ev->text, ev->len);
	else if (ev->kind == EV_CCS)
		n = snprintf(out, size, "%sChangeCipherSpec", enc);
	else
		n = snprintf(out, size, "%srecord type %u (%zu bytes)", enc,
			     ev->type, ev->len);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void describe(const struct answer *a, char *out, size_t size)
{
	size_t at = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < a->n && at + 1 < size; i++) {
		at += event_text(&a->ev[i], out + at, size - at);
		if (at + 3 < size) {
			memcpy(out + at, ", ", 3);
			at += 2;
		}
	}
	snprintf(out + at, size - at, "%s%s", a->n ? "then " : "no record, ",
		 end_name(a->end));
}

bool one_alert(const struct conn *c, const struct answer *a,
	       const uint8_t *want, size_t n, char *why, size_t size)
{
	char got[1024], exp[256];
	size_t i, at = 0;
	int e = 0;
	bool ok = false;

	/* TLS 1.3 NewSessionTickets may come before the alert. */
	while (e < a->n && a->ev[e].kind == EV_HANDSHAKE &&
	       a->ev[e].encrypted && a->ev[e].a == HS_NEW_SESSION_TICKET)
		e++;
	if (e == a->n - 1 && a->end == RD_EOF) {
		const struct event *ev = &a->ev[e];

		ok = ev->kind == EV_ALERT && ev->len == 2 && ev->a == 2 &&
		     !ev->bad_mac && ev->encrypted == c->rx.on;
		for (i = 0; ok && i < n; i++)
			if (ev->b == want[i])
				break;
		ok = ok && i < n;
	}
	if (ok)
		return true;
	for (i = 0; i < n && at < sizeof(exp); i++) {
		int k = snprintf(exp + at, sizeof(exp) - at, "%s%s(%u)",
				 i ? " or " : "", alert_name(want[i]), want[i]);

		if (k < 0)
			break;
		at += (size_t)k;
	}
	describe(a, got, sizeof(got));
	snprintf(why, size, "expected one fatal %salert %s then EOF; got: %s",
		 c->rx.on ? "protected " : "", exp, got);
	return false;
}
