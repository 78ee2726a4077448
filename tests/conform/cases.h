/* SPDX-License-Identifier: MIT */
/*
 * cases.h - tls-probe's probes, for its table (tls-probe.c): the probes
 * of the first flight (cases-hello.c), those of records (cases-records.c),
 * and what they share (cases.c).
 */
#ifndef KTLS_TLS_PROBE_CASES_H
#define KTLS_TLS_PROBE_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* --- what the probes share (cases.c) ------------------------------------ */

/* A connection to the server; NULL with the reason in @why. */
struct conn *dial(const struct opts *o, char *why);
/* A connection with the handshake done and the keys taken over; NULL with
 * the reason in @why. */
struct conn *established(const struct opts *o, char *why);
/* More input behind the offending record, unless --no-trailer; uncorks. */
void trailer(struct conn *c);
/* Observe the answer and require exactly one fatal alert among @want
 * (@n of them: see ALERTS()); closes @c. */
bool expect_alert(struct conn *c, const uint8_t *want, size_t n, char *why,
		  char *note);

/* --- the probes of the first flight (cases-hello.c) --------------------- */

bool p_ccs_middlebox(const struct opts *o, char *why, char *note);
bool p_ccs_middlebox_hrr(const struct opts *o, char *why, char *note);
bool p_ccs_no_session_id(const struct opts *o, char *why, char *note);
bool p_one_alert_garbage(const struct opts *o, char *why, char *note);
bool p_sslv2_hello(const struct opts *o, char *why, char *note);
bool p_key_share_x25519_zero(const struct opts *o, char *why, char *note);
bool p_key_share_p256_off_curve(const struct opts *o, char *why, char *note);
bool p_key_share_x25519_short(const struct opts *o, char *why, char *note);
bool p_key_share_empty(const struct opts *o, char *why, char *note);

/* --- the probes of records (cases-records.c) ---------------------------- */

bool p_overflow_handshake(const struct opts *o, char *why, char *note);
bool p_overflow_ciphertext(const struct opts *o, char *why, char *note);
bool p_overflow_plaintext(const struct opts *o, char *why, char *note);
bool p_key_update_empty(const struct opts *o, char *why, char *note);
bool p_key_update_bad_value(const struct opts *o, char *why, char *note);
bool p_key_update_long(const struct opts *o, char *why, char *note);
bool p_key_update_two_in_record(const struct opts *o, char *why, char *note);
bool p_key_update_valid(const struct opts *o, char *why, char *note);
bool p_key_update_fragmented(const struct opts *o, char *why, char *note);
bool p_bad_mac_ciphertext(const struct opts *o, char *why, char *note);
bool p_bad_mac_tag(const struct opts *o, char *why, char *note);
bool p_unexpected_ccs(const struct opts *o, char *why, char *note);
bool p_unexpected_type(const struct opts *o, char *why, char *note);
bool p_unexpected_no_type(const struct opts *o, char *why, char *note);
bool p_unexpected_finished(const struct opts *o, char *why, char *note);
bool p_http_get(const struct opts *o, char *why, char *note);
bool p_big_request(const struct opts *o, char *why, char *note);

#endif /* KTLS_TLS_PROBE_CASES_H */
