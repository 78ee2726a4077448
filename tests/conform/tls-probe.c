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

#include "cases.h"

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
