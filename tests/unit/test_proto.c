// SPDX-License-Identifier: MIT
/*
 * test_proto.c - the daemon protocol (proto/hsd_proto.c): every field of
 * every message survives encode and decode; the bytes of version 1 stay
 * what they were; every malformed message is refused with its status and
 * a reason; hsd_proto_recv() hands over or closes every fd that comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include "helpers.h"
#include "hsd_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct hsd_proto_msg msg;

/* Fill @buf (@size bytes, the last one the NUL) with @c. */
static void fill(char *buf, size_t size, char c)
{
	memset(buf, c, size - 1);
	buf[size - 1] = '\0';
}

/* --- round trips ------------------------------------------------------ */

static void test_request_handshake_round_trip(void **state)
{
	struct hsd_proto_request in = { .type = HSD_MSG_HANDSHAKE }, out;
	const char *why = NULL;

	(void)state;
	in.hs.role = KTLS_ROLE_SERVER;
	fill(in.hs.profile, sizeof(in.hs.profile), 'p');
	fill(in.hs.peer_name, sizeof(in.hs.peer_name), 'n');
	fill(in.hs.alpn, sizeof(in.hs.alpn), 'a');
	in.hs.timeout_ms = 0xfedcba98;
	assert_int_equal(hsd_proto_encode_request(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_request(msg.buf, msg.len, 1, &out,
						  &why), 0);
	assert_int_equal(out.type, HSD_MSG_HANDSHAKE);
	assert_int_equal(out.hs.role, KTLS_ROLE_SERVER);
	assert_int_equal(strlen(out.hs.profile), HSD_PROTO_NAME_MAX);
	assert_string_equal(out.hs.profile, in.hs.profile);
	assert_int_equal(strlen(out.hs.peer_name), HSD_PROTO_STR_MAX);
	assert_string_equal(out.hs.peer_name, in.hs.peer_name);
	assert_string_equal(out.hs.alpn, in.hs.alpn);
	assert_int_equal(out.hs.timeout_ms, 0xfedcba98);
}

/* Optional fields left out read "" and 0. */
static void test_request_handshake_minimal(void **state)
{
	struct hsd_proto_request in = { .type = HSD_MSG_HANDSHAKE }, out;

	(void)state;
	in.hs.role = KTLS_ROLE_CLIENT;
	strcpy(in.hs.profile, "w");
	assert_int_equal(hsd_proto_encode_request(&msg, &in), 0);
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(hsd_proto_decode_request(msg.buf, msg.len, 1, &out,
						  NULL), 0);
	assert_int_equal(out.hs.role, KTLS_ROLE_CLIENT);
	assert_string_equal(out.hs.profile, "w");
	assert_string_equal(out.hs.peer_name, "");
	assert_string_equal(out.hs.alpn, "");
	assert_int_equal(out.hs.timeout_ms, 0);
}

/* The bytes of version 1, as libktls 0.1.0 and the daemon tier's raw.py
 * write them: role client and profile "web". */
static void test_request_bytes_of_version_1(void **state)
{
	static const uint8_t want[] = {
		'K', 'T', 'L', 'S', 0, 1, 0, 1, 0, 0, 0, 12,
		0, 1, 0, 1, 1,
		0, 4, 0, 3, 'w', 'e', 'b',
	};
	struct hsd_proto_request in = { .type = HSD_MSG_HANDSHAKE }, out;

	(void)state;
	in.hs.role = KTLS_ROLE_CLIENT;
	strcpy(in.hs.profile, "web");
	assert_int_equal(hsd_proto_encode_request(&msg, &in), 0);
	assert_int_equal(msg.len, sizeof(want));
	assert_memory_equal(msg.buf, want, sizeof(want));
	assert_int_equal(hsd_proto_decode_request(want, sizeof(want), 1, &out,
						  NULL), 0);
	assert_string_equal(out.hs.profile, "web");
}

static void test_request_without_attributes_round_trip(void **state)
{
	static const enum hsd_msg_type types[] = {
		HSD_MSG_COUNTERS, HSD_MSG_STATUS, HSD_MSG_RELOAD,
	};
	struct hsd_proto_request in = { 0 }, out;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		in.type = types[i];
		assert_int_equal(hsd_proto_encode_request(&msg, &in), 0);
		assert_int_equal(msg.len, HSD_PROTO_HDR);
		assert_int_equal(msg.buf[7], types[i]);
		assert_int_equal(hsd_proto_decode_request(msg.buf, msg.len, 0,
							  &out, NULL), 0);
		assert_int_equal(out.type, types[i]);
	}
}

static void test_reply_round_trip(void **state)
{
	struct hsd_proto_reply in = { .status = -EACCES }, out;

	(void)state;
	fill(in.errstr, sizeof(in.errstr), 'e');
	assert_int_equal(hsd_proto_encode_reply(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_reply(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.status, -EACCES);
	assert_string_equal(out.errstr, in.errstr);

	in.status = -4095;
	in.errstr[0] = '\0';
	assert_int_equal(hsd_proto_encode_reply(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_reply(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.status, -4095);
	assert_string_equal(out.errstr, "");

	in.status = 0;
	strcpy(in.errstr, "reloaded /etc/handshaked.conf");
	assert_int_equal(hsd_proto_encode_reply(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_reply(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.status, 0);
	assert_string_equal(out.errstr, "reloaded /etc/handshaked.conf");
}

static void test_result_success_round_trip(void **state)
{
	static const uint8_t a[] = { 0x30, 0x82, 1, 2 }, b[300] = { 0x30 },
		c[1] = { 0x31 };
	struct hsd_proto_result in = { .r.status = 0 }, out;

	(void)state;
	strcpy(in.r.errstr, "a note");
	in.version = KTLS_TLS_1_3;
	in.cipher = KTLS_CIPHER_CHACHA20_POLY1305;
	fill(in.alpn, sizeof(in.alpn), 'h');
	in.resumed = true;
	in.verify_result = KTLS_VERIFY_HOSTNAME_MISMATCH;
	in.alert = 255;
	in.tx_offloaded = true;
	in.rx_offloaded = true;
	in.n_certs = 3;
	in.certs[0] = (struct hsd_proto_der){ a, sizeof(a) };
	in.certs[1] = (struct hsd_proto_der){ b, sizeof(b) };
	in.certs[2] = (struct hsd_proto_der){ c, sizeof(c) };
	assert_int_equal(hsd_proto_encode_result(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_result(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.r.status, 0);
	assert_string_equal(out.r.errstr, "a note");
	assert_int_equal(out.version, KTLS_TLS_1_3);
	assert_int_equal(out.cipher, KTLS_CIPHER_CHACHA20_POLY1305);
	assert_string_equal(out.alpn, in.alpn);
	assert_true(out.resumed);
	assert_int_equal(out.verify_result, KTLS_VERIFY_HOSTNAME_MISMATCH);
	assert_int_equal(out.alert, 255);
	assert_true(out.tx_offloaded);
	assert_true(out.rx_offloaded);
	assert_int_equal(out.n_certs, 3);
	assert_int_equal(out.certs[0].len, sizeof(a));
	assert_memory_equal(out.certs[0].der, a, sizeof(a));
	assert_int_equal(out.certs[1].len, sizeof(b));
	assert_memory_equal(out.certs[1].der, b, sizeof(b));
	assert_int_equal(out.certs[2].len, 1);
	assert_int_equal(out.certs[2].der[0], 0x31);
	/* (pointers into the message) */
	assert_true(out.certs[0].der > msg.buf &&
		    out.certs[0].der < msg.buf + msg.len);

	/* Flags that are off, no ALPN, no certificates. */
	in.resumed = in.tx_offloaded = false;
	in.alpn[0] = '\0';
	in.n_certs = 0;
	in.alert = -1;
	assert_int_equal(hsd_proto_encode_result(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_result(msg.buf, msg.len, &out, NULL),
			 0);
	assert_false(out.resumed);
	assert_false(out.tx_offloaded);
	assert_true(out.rx_offloaded);
	assert_string_equal(out.alpn, "");
	assert_int_equal(out.n_certs, 0);
	assert_int_equal(out.alert, -1);
}

/* A failure carries status, sentence, verification and alert only. */
static void test_result_failure_round_trip(void **state)
{
	struct hsd_proto_result in = { .r.status = -EKEYREJECTED }, out;

	(void)state;
	strcpy(in.r.errstr, "certificate expired");
	in.verify_result = KTLS_VERIFY_EXPIRED;
	in.alert = 45;
	in.version = KTLS_TLS_1_2;	/* not sent on failure */
	in.tx_offloaded = true;
	assert_int_equal(hsd_proto_encode_result(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_result(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.r.status, -EKEYREJECTED);
	assert_string_equal(out.r.errstr, "certificate expired");
	assert_int_equal(out.verify_result, KTLS_VERIFY_EXPIRED);
	assert_int_equal(out.alert, 45);
	assert_int_equal(out.version, 0);
	assert_false(out.tx_offloaded);
}

/* A chain longer than the message holds: the first ones, and a message
 * that still decodes. */
static void test_result_certs_as_many_as_fit(void **state)
{
	static uint8_t big[10000];
	struct hsd_proto_result in = { .r.status = 0 }, out;
	unsigned int i;

	(void)state;
	in.version = KTLS_TLS_1_3;
	in.cipher = KTLS_CIPHER_AES_128_GCM;
	in.tx_offloaded = in.rx_offloaded = true;
	in.n_certs = HSD_PROTO_CERTS_MAX;
	for (i = 0; i < in.n_certs; i++)
		in.certs[i] = (struct hsd_proto_der){ big, sizeof(big) };
	assert_int_equal(hsd_proto_encode_result(&msg, &in), 0);
	assert_true(msg.len <= HSD_PROTO_MAX);
	assert_int_equal(hsd_proto_decode_result(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.n_certs, 6);
	in.n_certs = HSD_PROTO_CERTS_MAX + 1;
	assert_int_equal(hsd_proto_encode_result(&msg, &in), -EINVAL);
}

static void test_counters_round_trip(void **state)
{
	static struct hsd_proto_counters in, out;
	unsigned int i;

	(void)state;
	in.n = HSD_PROTO_COUNTERS_MAX;
	for (i = 0; i < in.n; i++) {
		snprintf(in.c[i].name, sizeof(in.c[i].name), "c%u", i);
		in.c[i].value = (uint64_t)i * 0x0101010101010101ull;
	}
	fill(in.c[1].name, sizeof(in.c[1].name), 'x');
	in.c[2].value = UINT64_MAX;
	assert_int_equal(hsd_proto_encode_counters(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_counters(msg.buf, msg.len, &out,
						   NULL), 0);
	assert_int_equal(out.r.status, 0);
	assert_int_equal(out.n, HSD_PROTO_COUNTERS_MAX);
	for (i = 0; i < in.n; i++) {
		assert_string_equal(out.c[i].name, in.c[i].name);
		assert_true(out.c[i].value == in.c[i].value);
	}
	assert_int_equal(strlen(out.c[1].name), HSD_PROTO_COUNTER_NAME_MAX);
	assert_true(out.c[2].value == UINT64_MAX);

	in.n = HSD_PROTO_COUNTERS_MAX + 1;
	assert_int_equal(hsd_proto_encode_counters(&msg, &in), -EINVAL);
	in.n = 1;
	in.c[0].name[0] = '\0';
	assert_int_equal(hsd_proto_encode_counters(&msg, &in), -EINVAL);
}

static void test_status_round_trip(void **state)
{
	static struct hsd_proto_status in, out;
	unsigned int i;

	(void)state;
	fill(in.config_path, sizeof(in.config_path), '/');
	strcpy(in.version, "0.1.0");
	in.pid = 0xfffffffe;
	in.uptime_s = 0x123456789abcull;
	in.workers = 16;
	in.ktls_usable = false;
	strcpy(in.ktls_reason, "the tls module is not loaded");
	in.profiles_total = 70;
	in.n_profiles = HSD_PROTO_PROFILES_MAX;
	for (i = 0; i < in.n_profiles; i++) {
		struct hsd_proto_profile *p = &in.profiles[i];

		snprintf(p->name, sizeof(p->name), "profile-%u", i);
		p->roles = (uint8_t)(i % 4 << 1);
		p->min_version = KTLS_TLS_1_2;
		p->max_version = i % 2 ? KTLS_TLS_1_3 : KTLS_TLS_1_2;
		if (i % 3)
			snprintf(p->ciphers, sizeof(p->ciphers),
				 "AES-256-GCM:%u", i);
	}
	fill(in.profiles[5].name, sizeof(in.profiles[5].name), 'N');
	fill(in.profiles[6].ciphers, sizeof(in.profiles[6].ciphers), 'C');
	assert_int_equal(hsd_proto_encode_status(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_status(msg.buf, msg.len, &out, NULL),
			 0);
	assert_int_equal(out.r.status, 0);
	assert_string_equal(out.config_path, in.config_path);
	assert_string_equal(out.version, "0.1.0");
	assert_int_equal(out.pid, 0xfffffffe);
	assert_true(out.uptime_s == 0x123456789abcull);
	assert_int_equal(out.workers, 16);
	assert_false(out.ktls_usable);
	assert_string_equal(out.ktls_reason, "the tls module is not loaded");
	assert_int_equal(out.profiles_total, 70);
	assert_int_equal(out.n_profiles, HSD_PROTO_PROFILES_MAX);
	assert_false(out.kernel_agent);
	assert_string_equal(out.kernel_client, "");
	for (i = 0; i < in.n_profiles; i++) {
		assert_string_equal(out.profiles[i].name, in.profiles[i].name);
		assert_int_equal(out.profiles[i].roles, in.profiles[i].roles);
		assert_int_equal(out.profiles[i].min_version, KTLS_TLS_1_2);
		assert_int_equal(out.profiles[i].max_version,
				 in.profiles[i].max_version);
		assert_string_equal(out.profiles[i].ciphers,
				    in.profiles[i].ciphers);
	}

	in.ktls_usable = true;
	in.ktls_reason[0] = '\0';
	in.version[0] = '\0';
	in.n_profiles = in.profiles_total = 0;
	assert_int_equal(hsd_proto_encode_status(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_status(msg.buf, msg.len, &out, NULL),
			 0);
	assert_true(out.ktls_usable);
	assert_string_equal(out.ktls_reason, "");
	assert_string_equal(out.version, "");
	assert_int_equal(out.n_profiles, 0);
}

/* The kernel agent's part of the status (tags 64-66). */
static void test_status_kernel_agent_round_trip(void **state)
{
	static struct hsd_proto_status in, out;

	(void)state;
	strcpy(in.config_path, "/etc/handshaked.conf");
	in.kernel_agent = true;
	fill(in.kernel_client, sizeof(in.kernel_client), 'c');
	strcpy(in.kernel_server, "nfsd");
	assert_int_equal(hsd_proto_encode_status(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_status(msg.buf, msg.len, &out, NULL),
			 0);
	assert_true(out.kernel_agent);
	assert_string_equal(out.kernel_client, in.kernel_client);
	assert_string_equal(out.kernel_server, "nfsd");
	/* An agent with one role only. */
	in.kernel_client[0] = '\0';
	assert_int_equal(hsd_proto_encode_status(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_status(msg.buf, msg.len, &out, NULL),
			 0);
	assert_true(out.kernel_agent);
	assert_string_equal(out.kernel_client, "");
	/* A profile name over 63 bytes is refused both ways. */
	in.kernel_agent = true;
	memset(in.kernel_server, 's', sizeof(in.kernel_server));
	assert_int_equal(hsd_proto_encode_status(&msg, &in), -EINVAL);
}

/* A refusal of any request reads through every reply decoder. */
static void test_refusal_reads_with_every_decoder(void **state)
{
	static struct hsd_proto_counters c;
	static struct hsd_proto_status s;
	struct hsd_proto_reply in = { .status = -EBADMSG };
	struct hsd_proto_result r;

	(void)state;
	strcpy(in.errstr, "malformed request");
	assert_int_equal(hsd_proto_encode_reply(&msg, &in), 0);
	assert_int_equal(hsd_proto_decode_result(msg.buf, msg.len, &r, NULL),
			 0);
	assert_int_equal(r.r.status, -EBADMSG);
	assert_string_equal(r.r.errstr, "malformed request");
	assert_int_equal(r.alert, -1);
	assert_int_equal(hsd_proto_decode_counters(msg.buf, msg.len, &c, NULL),
			 0);
	assert_int_equal(c.r.status, -EBADMSG);
	assert_int_equal(c.n, 0);
	assert_int_equal(hsd_proto_decode_status(msg.buf, msg.len, &s, NULL),
			 0);
	assert_int_equal(s.r.status, -EBADMSG);
	assert_string_equal(s.r.errstr, "malformed request");
}

/* --- what the encoders refuse ------------------------------------------ */

static void test_encoders_refuse_what_decoders_would(void **state)
{
	static struct hsd_proto_status s;
	struct hsd_proto_request q = { .type = HSD_MSG_HANDSHAKE };
	struct hsd_proto_reply r = { 0 };

	(void)state;
	strcpy(q.hs.profile, "p");
	q.hs.role = 0;
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	q.hs.role = 3;
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	q.hs.role = KTLS_ROLE_CLIENT;
	q.hs.profile[0] = '\0';
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	memset(q.hs.profile, 'p', sizeof(q.hs.profile));	/* no NUL */
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	strcpy(q.hs.profile, "p");
	memset(q.hs.alpn, 'a', sizeof(q.hs.alpn));
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	q.type = HSD_MSG_RESULT;
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);
	q.type = 16;
	assert_int_equal(hsd_proto_encode_request(&msg, &q), -EINVAL);

	r.status = 1;
	assert_int_equal(hsd_proto_encode_reply(&msg, &r), -EINVAL);
	r.status = -4096;
	assert_int_equal(hsd_proto_encode_reply(&msg, &r), -EINVAL);
	r.status = 0;
	memset(r.errstr, 'e', sizeof(r.errstr));
	assert_int_equal(hsd_proto_encode_reply(&msg, &r), -EINVAL);

	strcpy(s.config_path, "/c");
	s.n_profiles = HSD_PROTO_PROFILES_MAX + 1;
	assert_int_equal(hsd_proto_encode_status(&msg, &s), -EINVAL);
	s.n_profiles = 1;
	assert_int_equal(hsd_proto_encode_status(&msg, &s), -EINVAL); /* "" */
	strcpy(s.profiles[0].name, "x");
	assert_int_equal(hsd_proto_encode_status(&msg, &s), 0);
	s.config_path[0] = '\0';
	assert_int_equal(hsd_proto_encode_status(&msg, &s), -EINVAL);
}

/* --- malformed messages ------------------------------------------------ */

/* One attribute of a crafted message; len -1: strlen(val). */
struct a {
	uint16_t tag;
	int len;
	const char *val;
};

#define A_END { 0, 0, NULL }

/* A message of @type with @attrs (up to the A_END), into @buf. */
static size_t craft(uint8_t *buf, uint16_t type, const struct a *attrs)
{
	size_t len = HSD_PROTO_HDR;

	for (; attrs->val; attrs++) {
		size_t n = attrs->len < 0 ? strlen(attrs->val) :
			   (size_t)attrs->len;

		buf[len] = (uint8_t)(attrs->tag >> 8);
		buf[len + 1] = (uint8_t)attrs->tag;
		buf[len + 2] = (uint8_t)(n >> 8);
		buf[len + 3] = (uint8_t)n;
		memcpy(buf + len + 4, attrs->val, n);
		len += 4 + n;
	}
	memcpy(buf, "KTLS\0\1", 6);
	buf[6] = (uint8_t)(type >> 8);
	buf[7] = (uint8_t)type;
	buf[8] = buf[9] = 0;
	buf[10] = (uint8_t)((len - HSD_PROTO_HDR) >> 8);
	buf[11] = (uint8_t)(len - HSD_PROTO_HDR);
	return len;
}

#define ROLE { HSD_A_ROLE, 1, "\1" }
#define PROF { HSD_A_PROFILE, -1, "web" }
#define STATUS0 { HSD_A_STATUS, 4, "\0\0\0\0" }
#define S64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define S256 S64 S64 S64 S64

static const struct request_case {
	const char *name;
	uint16_t type;
	int nfds;
	struct a attrs[6];
	int want;			/* 0 or -errno */
	const char *why;		/* a word of the reason */
} request_cases[] = {
	{ "good", HSD_MSG_HANDSHAKE, 1, { ROLE, PROF, A_END }, 0, NULL },
	{ "unknown tags skipped", HSD_MSG_HANDSHAKE, 1,
	  { { 6, 3, "abc" }, ROLE, { 100, 0, "" }, PROF,
	    { 0xffff, 1, "\0" } }, 0, NULL },
	{ "no role", HSD_MSG_HANDSHAKE, 1, { PROF, A_END }, -EBADMSG, "role" },
	{ "no profile", HSD_MSG_HANDSHAKE, 1, { ROLE, A_END }, -EBADMSG,
	  "profile" },
	{ "role 0", HSD_MSG_HANDSHAKE, 1, { { HSD_A_ROLE, 1, "\0" }, PROF,
	  A_END }, -EBADMSG, "role" },
	{ "role 3", HSD_MSG_HANDSHAKE, 1, { { HSD_A_ROLE, 1, "\3" }, PROF,
	  A_END }, -EBADMSG, "role" },
	{ "role of 2 bytes", HSD_MSG_HANDSHAKE, 1,
	  { { HSD_A_ROLE, 2, "\0\1" }, PROF, A_END }, -EBADMSG, "size" },
	{ "timeout of 8 bytes", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, PROF, { HSD_A_TIMEOUT_MS, 8, "\0\0\0\0\0\0\0\1" }, A_END },
	  -EBADMSG, "size" },
	{ "role twice", HSD_MSG_HANDSHAKE, 1, { ROLE, PROF, ROLE, A_END },
	  -EBADMSG, "twice" },
	{ "profile twice", HSD_MSG_HANDSHAKE, 1, { ROLE, PROF, PROF, A_END },
	  -EBADMSG, "twice" },
	{ "empty profile", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, { HSD_A_PROFILE, 0, "" }, A_END }, -EBADMSG, "profile" },
	{ "profile of 64 bytes", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, { HSD_A_PROFILE, -1, S64 }, A_END }, -EBADMSG, "profile" },
	{ "profile with a NUL", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, { HSD_A_PROFILE, 3, "w\0b" }, A_END }, -EBADMSG, "NUL" },
	{ "peer name of 256 bytes", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, PROF, { HSD_A_PEER_NAME, -1, S256 }, A_END }, -EBADMSG,
	  "bound" },
	{ "peer name with a NUL", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, PROF, { HSD_A_PEER_NAME, 5, "a.b\0c" }, A_END }, -EBADMSG,
	  "NUL" },
	{ "ALPN of 256 bytes", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, PROF, { HSD_A_ALPN, -1, S256 }, A_END }, -EBADMSG, "bound" },
	{ "ALPN with a NUL", HSD_MSG_HANDSHAKE, 1,
	  { ROLE, PROF, { HSD_A_ALPN, 3, "h2\0" }, A_END }, -EBADMSG, "NUL" },
	{ "no fd", HSD_MSG_HANDSHAKE, 0, { ROLE, PROF, A_END }, -EBADF,
	  "socket" },
	{ "two fds", HSD_MSG_HANDSHAKE, 2, { ROLE, PROF, A_END }, -EBADMSG,
	  "fd" },
	{ "malformed before the missing fd", HSD_MSG_HANDSHAKE, 0,
	  { PROF, A_END }, -EBADMSG, "role" },
	{ "counters", HSD_MSG_COUNTERS, 0, { A_END }, 0, NULL },
	{ "counters with an unknown tag", HSD_MSG_COUNTERS, 0,
	  { { 7, 1, "x" }, A_END }, 0, NULL },
	{ "counters with an fd", HSD_MSG_COUNTERS, 1, { A_END }, -EBADMSG,
	  "fd" },
	{ "status with an fd", HSD_MSG_STATUS, 1, { A_END }, -EBADMSG, "fd" },
	{ "reload with an fd", HSD_MSG_RELOAD, 1, { A_END }, -EBADMSG, "fd" },
	{ "a reply", HSD_MSG_RESULT, 0, { STATUS0, A_END }, -EBADMSG,
	  "reply" },
	{ "type 0", 0, 0, { A_END }, -EBADMSG, "type" },
	{ "type 6", 6, 0, { A_END }, -EBADMSG, "type" },
	{ "type 16 (reserved)", 16, 1, { ROLE, PROF, A_END }, -EBADMSG,
	  "type" },
	{ "type 0xffff", 0xffff, 0, { A_END }, -EBADMSG, "type" },
};

static void test_request_cases(void **state)
{
	static uint8_t buf[HSD_PROTO_MAX];
	struct hsd_proto_request r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(request_cases); i++) {
		const struct request_case *c = &request_cases[i];
		size_t len = craft(buf, c->type, c->attrs);
		const char *why = NULL;
		int ret;

		memset(&r, 0x55, sizeof(r));
		ret = hsd_proto_decode_request(buf, len, c->nfds, &r, &why);
		print_message("request: %s: %d (%s)\n", c->name, ret,
			      why ? why : "-");
		assert_int_equal(ret, c->want);
		if (ret < 0) {
			assert_non_null(why);
			assert_non_null(strstr(why, c->why));
			/* nothing half-decoded is left */
			assert_int_equal(r.type, 0);
			assert_string_equal(r.hs.profile, "");
		}
	}
}

/* Header and framing, for any message. */
static void test_header_cases(void **state)
{
	static const struct a good[] = { ROLE, PROF, A_END };
	static uint8_t buf[HSD_PROTO_MAX + 16];
	struct hsd_proto_request r;
	const char *why;
	size_t len, n;

	(void)state;
	len = craft(buf, HSD_MSG_HANDSHAKE, good);
	/* every truncation */
	for (n = 0; n < len; n++) {
		why = NULL;
		assert_int_equal(hsd_proto_decode_request(buf, n, 1, &r, &why),
				 -EBADMSG);
		assert_non_null(why);
	}
	assert_int_equal(hsd_proto_decode_request(NULL, 0, 1, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "header"));

	/* bad magic */
	buf[0] = 'k';
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "magic"));
	buf[0] = 'K';

	/* another version, either byte */
	buf[5] = 2;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(why, "version"));
	buf[5] = 1;
	buf[4] = 1;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EPROTONOSUPPORT);
	buf[4] = 0;

	/* a length that does not match: shorter, longer, high byte */
	buf[11]--;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "length"));
	buf[11] += 2;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EBADMSG);
	buf[11]--;
	buf[8] = 1;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why),
			 -EBADMSG);
	buf[8] = 0;
	assert_int_equal(hsd_proto_decode_request(buf, len, 1, &r, &why), 0);

	/* trailing bytes that are not a whole attribute header */
	memcpy(buf + len, "\0\7\0", 3);
	buf[11] = (uint8_t)(len + 3 - HSD_PROTO_HDR);
	assert_int_equal(hsd_proto_decode_request(buf, len + 3, 1, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "past the end"));
	/* an attribute whose value runs past the end: 9 bytes, 1 there */
	memcpy(buf + len, "\0\7\0\x09x", 5);
	buf[11] = (uint8_t)(len + 5 - HSD_PROTO_HDR);
	assert_int_equal(hsd_proto_decode_request(buf, len + 5, 1, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "past the end"));
	/* the same with its 9 bytes is an unknown attribute, skipped */
	memcpy(buf + len, "\0\7\0\x09xxxxxxxxx", 13);
	buf[11] = (uint8_t)(len + 13 - HSD_PROTO_HDR);
	assert_int_equal(hsd_proto_decode_request(buf, len + 13, 1, &r, &why),
			 0);

	/* over 64 KiB */
	memset(buf, 0, sizeof(buf));
	len = craft(buf, HSD_MSG_COUNTERS, (const struct a[]){ A_END });
	assert_int_equal(hsd_proto_decode_request(buf, HSD_PROTO_MAX + 1, 0,
						  &r, &why), -EBADMSG);
	assert_non_null(strstr(why, "64 KiB"));
}

enum decoder { D_REPLY, D_RESULT, D_COUNTERS, D_STATUS };

static const struct reply_case {
	const char *name;
	enum decoder d;
	uint16_t type;
	struct a attrs[8];
	int want;
	const char *why;
} reply_cases[] = {
	{ "no status", D_REPLY, HSD_MSG_RESULT,
	  { { HSD_A_ERRSTR, -1, "x" }, A_END }, -EBADMSG, "status" },
	{ "status twice", D_REPLY, HSD_MSG_RESULT, { STATUS0, STATUS0, A_END },
	  -EBADMSG, "twice" },
	{ "status of 2 bytes", D_REPLY, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 2, "\0\0" }, A_END }, -EBADMSG, "size" },
	{ "status 1", D_REPLY, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\0\0\0\1" }, A_END }, -EBADMSG, "status" },
	{ "status -4096", D_REPLY, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xf0\0" }, A_END }, -EBADMSG,
	  "status" },
	{ "status -4095", D_REPLY, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xf0\1" }, A_END }, 0, NULL },
	{ "errstr of 256 bytes", D_REPLY, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_ERRSTR, -1, S256 }, A_END }, -EBADMSG, "bound" },
	{ "errstr with a NUL", D_REPLY, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_ERRSTR, 2, "a\0" }, A_END }, -EBADMSG, "NUL" },
	{ "errstr twice", D_REPLY, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_ERRSTR, -1, "a" }, { HSD_A_ERRSTR, -1, "b" },
	    A_END }, -EBADMSG, "twice" },
	{ "a request", D_REPLY, HSD_MSG_COUNTERS, { A_END }, -EBADMSG,
	  "request" },
	{ "unknown tags skipped", D_REPLY, HSD_MSG_RESULT,
	  { { 64, 2, "zz" }, STATUS0, { 1, 0, "" }, A_END }, 0, NULL },
	/* results */
	{ "success without version", D_RESULT, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_CIPHER, 2, "\0\1" },
	    { HSD_A_TX_OFFLOADED, 1, "\1" }, { HSD_A_RX_OFFLOADED, 1, "\1" },
	    A_END }, -EBADMSG, "version" },
	{ "success without offload flags", D_RESULT, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_VERSION, 2, "\3\4" }, { HSD_A_CIPHER, 2, "\0\1" },
	    A_END }, -EBADMSG, "offload" },
	{ "success, all there", D_RESULT, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_VERSION, 2, "\3\4" }, { HSD_A_CIPHER, 2, "\0\1" },
	    { HSD_A_TX_OFFLOADED, 1, "\1" }, { HSD_A_RX_OFFLOADED, 1, "\1" },
	    A_END }, 0, NULL },
	{ "a flag of 2", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_RESUMED, 1, "\2" }, A_END }, -EBADMSG, "flag" },
	{ "alert -2", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_ALERT, 2, "\xff\xfe" }, A_END }, -EBADMSG, "alert" },
	{ "alert 256", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_ALERT, 2, "\1\0" }, A_END }, -EBADMSG, "alert" },
	{ "empty certificate", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PEER_CERT, 0, "" }, A_END }, -EBADMSG, "certificate" },
	{ "certificates repeat", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PEER_CERT, 1, "a" }, { HSD_A_PEER_CERT, 1, "b" }, A_END },
	  0, NULL },
	{ "version twice", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_VERSION, 2, "\3\4" }, { HSD_A_VERSION, 2, "\3\3" },
	    A_END }, -EBADMSG, "twice" },
	{ "ALPN chosen of 256 bytes", D_RESULT, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_ALPN_CHOSEN, -1, S256 }, A_END }, -EBADMSG, "bound" },
	/* counters */
	{ "counter of 8 bytes (no name)", D_COUNTERS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_COUNTER, 8, "\0\0\0\0\0\0\0\1" }, A_END },
	  -EBADMSG, "short" },
	{ "counter of 7 bytes", D_COUNTERS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_COUNTER, 7, "\0\0\0\0\0\0\0" }, A_END },
	  -EBADMSG, "size" },
	{ "counter name of 65 bytes", D_COUNTERS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_COUNTER, 73, "\0\0\0\0\0\0\0\1" S64 "x" }, A_END },
	  -EBADMSG, "bound" },
	{ "counter name with a NUL", D_COUNTERS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_COUNTER, 10, "\0\0\0\0\0\0\0\1a\0" }, A_END },
	  -EBADMSG, "NUL" },
	{ "counters repeat", D_COUNTERS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_COUNTER, 9, "\0\0\0\0\0\0\0\1a" },
	    { HSD_A_COUNTER, 9, "\0\0\0\0\0\0\0\2a" }, A_END }, 0, NULL },
	/* status */
	{ "status without its path", D_STATUS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_PID, 4, "\0\0\0\1" },
	    { HSD_A_UPTIME_S, 8, "\0\0\0\0\0\0\0\1" },
	    { HSD_A_WORKERS, 4, "\0\0\0\1" }, { HSD_A_KTLS_USABLE, 1, "\1" } },
	  -EBADMSG, "path" },
	{ "status, all there", D_STATUS, HSD_MSG_RESULT,
	  { STATUS0, { HSD_A_CONFIG_PATH, -1, "/c" },
	    { HSD_A_PID, 4, "\0\0\0\1" },
	    { HSD_A_UPTIME_S, 8, "\0\0\0\0\0\0\0\1" },
	    { HSD_A_WORKERS, 4, "\0\0\0\1" }, { HSD_A_KTLS_USABLE, 1, "\1" } },
	  0, NULL },
	{ "uptime of 4 bytes", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_UPTIME_S, 4, "\0\0\0\1" }, A_END }, -EBADMSG, "size" },
	{ "empty path", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_CONFIG_PATH, 0, "" }, A_END }, -EBADMSG, "short" },
	{ "profile info of 5 bytes", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 5, "\2\3\3\3\4" }, A_END }, -EBADMSG,
	  "size" },
	{ "profile name past its attribute", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 8, "\2\3\3\3\4\3ab" }, A_END }, -EBADMSG,
	  "past" },
	{ "profile name empty", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 6, "\2\3\3\3\4\0" }, A_END }, -EBADMSG,
	  "short" },
	{ "profile name with a NUL", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 8, "\2\3\3\3\4\2a\0" }, A_END }, -EBADMSG,
	  "NUL" },
	{ "profile ciphers with a NUL", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 9, "\2\3\3\3\4\1ab\0" }, A_END }, -EBADMSG,
	  "NUL" },
	{ "more profiles than the total", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILE_INFO, 7, "\2\3\3\3\4\1a" }, A_END }, -EBADMSG,
	  "total" },
	{ "profiles repeat", D_STATUS, HSD_MSG_RESULT,
	  { { HSD_A_STATUS, 4, "\xff\xff\xff\xff" },
	    { HSD_A_PROFILES_TOTAL, 4, "\0\0\0\2" },
	    { HSD_A_PROFILE_INFO, 7, "\2\3\3\3\4\1a" },
	    { HSD_A_PROFILE_INFO, 8, "\4\3\3\3\4\1bc" }, A_END }, 0, NULL },
};

static int decode_reply_as(enum decoder d, const uint8_t *buf, size_t len,
			   const char **why)
{
	static struct hsd_proto_counters c;
	static struct hsd_proto_status s;
	struct hsd_proto_result res;
	struct hsd_proto_reply r;

	switch (d) {
	case D_RESULT:
		return hsd_proto_decode_result(buf, len, &res, why);
	case D_COUNTERS:
		return hsd_proto_decode_counters(buf, len, &c, why);
	case D_STATUS:
		return hsd_proto_decode_status(buf, len, &s, why);
	case D_REPLY:
	default:
		return hsd_proto_decode_reply(buf, len, &r, why);
	}
}

static void test_reply_cases(void **state)
{
	static uint8_t buf[HSD_PROTO_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(reply_cases); i++) {
		const struct reply_case *c = &reply_cases[i];
		size_t len = craft(buf, c->type, c->attrs);
		const char *why = NULL;
		int ret = decode_reply_as(c->d, buf, len, &why);

		print_message("reply: %s: %d (%s)\n", c->name, ret,
			      why ? why : "-");
		assert_int_equal(ret, c->want);
		if (ret < 0) {
			assert_non_null(why);
			assert_non_null(strstr(why, c->why));
		}
	}
}

/* The repeated attributes have their bounds too. */
static void test_repeated_bounds(void **state)
{
	static uint8_t buf[HSD_PROTO_MAX];
	static struct a attrs[HSD_PROTO_PROFILES_MAX + 4];
	static struct hsd_proto_counters c;
	static struct hsd_proto_status s;
	struct hsd_proto_result r;
	const char *why;
	size_t len;
	int i;

	(void)state;
	attrs[0] = (struct a){ HSD_A_STATUS, 4, "\xff\xff\xff\xff" };
	for (i = 1; i <= HSD_PROTO_CERTS_MAX + 1; i++)
		attrs[i] = (struct a){ HSD_A_PEER_CERT, 1, "c" };
	attrs[i] = (struct a)A_END;
	len = craft(buf, HSD_MSG_RESULT, attrs);
	assert_int_equal(hsd_proto_decode_result(buf, len, &r, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "16"));

	attrs[0] = (struct a)STATUS0;
	for (i = 1; i <= HSD_PROTO_COUNTERS_MAX + 1; i++)
		attrs[i] = (struct a){ HSD_A_COUNTER, 9, "\0\0\0\0\0\0\0\0c" };
	attrs[i] = (struct a)A_END;
	len = craft(buf, HSD_MSG_RESULT, attrs);
	assert_int_equal(hsd_proto_decode_counters(buf, len, &c, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "64"));
	attrs[HSD_PROTO_COUNTERS_MAX + 1] = (struct a)A_END;
	len = craft(buf, HSD_MSG_RESULT, attrs);
	assert_int_equal(hsd_proto_decode_counters(buf, len, &c, &why), 0);
	assert_int_equal(c.n, HSD_PROTO_COUNTERS_MAX);

	attrs[0] = (struct a){ HSD_A_STATUS, 4, "\xff\xff\xff\xff" };
	attrs[1] = (struct a){ HSD_A_PROFILES_TOTAL, 4, "\0\0\1\0" };
	for (i = 2; i <= HSD_PROTO_PROFILES_MAX + 2; i++)
		attrs[i] = (struct a){ HSD_A_PROFILE_INFO, 7, "\2\3\3\3\4\1p" };
	attrs[i] = (struct a)A_END;
	len = craft(buf, HSD_MSG_RESULT, attrs);
	assert_int_equal(hsd_proto_decode_status(buf, len, &s, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "64"));
}

/* --- hsd_proto_recv(): every fd handed over or closed ------------------ */

/* The lowest free fd number: an fd the receiver leaked takes it. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/*
 * A message with @len bytes and @nfds fds, received into @room bytes:
 * hsd_proto_recv() returns @want, hands over an fd only with a good
 * message, and leaves no other fd open.
 */
static void recv_case(size_t len, int nfds, size_t room, ssize_t want,
		      bool fd_handed)
{
	static const uint8_t data[16] = "0123456789abcdef";
	uint8_t buf[64];
	int sv[2], fd, before, got = -2;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(th_send_with_fds(sv[0], data, len, fd, nfds, 0), 0);
	close(fd);
	before = lowest_free_fd();
	assert_int_equal(hsd_proto_recv(sv[1], buf, room, &got), want);
	if (fd_handed) {
		assert_true(got >= 0);
		assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
		close(got);
	} else {
		assert_int_equal(got, -1);
	}
	assert_int_equal(lowest_free_fd(), before);
	close(sv[0]);
	close(sv[1]);
}

static void test_recv_hands_over_one_fd(void **state)
{
	(void)state;
	recv_case(16, 1, 64, 16, true);
}

static void test_recv_without_fd(void **state)
{
	(void)state;
	recv_case(16, 0, 64, 16, false);
}

static void test_recv_two_fds_closes_both(void **state)
{
	(void)state;
	recv_case(16, 2, 64, -EBADMSG, false);
}

/* More fds than the receiver's control buffer holds: all closed. */
static void test_recv_eight_fds_closes_all(void **state)
{
	(void)state;
	recv_case(16, 8, 64, -EBADMSG, false);
}

static void test_recv_truncated_closes_its_fd(void **state)
{
	(void)state;
	recv_case(16, 1, 8, -EBADMSG, false);
}

/* A zero-length message is end of stream to the caller: the fd it
 * carried has no owner and must not stay open (it did: one fd leaked
 * per such message, before any access check). */
static void test_recv_empty_message_closes_its_fd(void **state)
{
	(void)state;
	recv_case(0, 1, 64, 0, false);
}

/* What one side sends, the other decodes, over a socket. */
static void test_send_recv_round_trip(void **state)
{
	static uint8_t buf[HSD_PROTO_MAX];
	struct hsd_proto_request in = { .type = HSD_MSG_HANDSHAKE }, out;
	int sv[2], fd, got = -1;
	ssize_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	in.hs.role = KTLS_ROLE_CLIENT;
	strcpy(in.hs.profile, "web");
	assert_int_equal(hsd_proto_encode_request(&msg, &in), 0);
	assert_int_equal(hsd_proto_send(sv[0], &msg, fd), 0);
	n = hsd_proto_recv(sv[1], buf, sizeof(buf), &got);
	assert_int_equal(n, msg.len);
	assert_true(got >= 0 && got != fd);
	assert_int_equal(hsd_proto_decode_request(buf, (size_t)n, 1, &out,
						  NULL), 0);
	assert_string_equal(out.hs.profile, "web");
	close(got);
	close(fd);
	close(sv[1]);
	assert_int_equal(hsd_proto_send(sv[0], &msg, -1), -EPIPE);
	close(sv[0]);
}

/* The library refuses a profile name handshaked would not take, rather
 * than have the daemon answer with a malformed-request status (it did, for
 * names of 64 to 255 bytes). */
static void test_daemon_profile_name_limit(void **state)
{
	char name[HSD_PROTO_NAME_MAX + 2];
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", name),
			 -EINVAL);
	name[HSD_PROTO_NAME_MAX] = '\0';
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", name), 0);
	assert_int_equal(ktls_ctx_set_daemon(ctx, "/run/hsd.sock", ""),
			 -EINVAL);
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_handshake_round_trip),
		cmocka_unit_test(test_request_handshake_minimal),
		cmocka_unit_test(test_request_bytes_of_version_1),
		cmocka_unit_test(test_request_without_attributes_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_result_success_round_trip),
		cmocka_unit_test(test_result_failure_round_trip),
		cmocka_unit_test(test_result_certs_as_many_as_fit),
		cmocka_unit_test(test_counters_round_trip),
		cmocka_unit_test(test_status_round_trip),
		cmocka_unit_test(test_status_kernel_agent_round_trip),
		cmocka_unit_test(test_refusal_reads_with_every_decoder),
		cmocka_unit_test(test_encoders_refuse_what_decoders_would),
		cmocka_unit_test(test_request_cases),
		cmocka_unit_test(test_header_cases),
		cmocka_unit_test(test_reply_cases),
		cmocka_unit_test(test_repeated_bounds),
		cmocka_unit_test(test_recv_hands_over_one_fd),
		cmocka_unit_test(test_recv_without_fd),
		cmocka_unit_test(test_recv_two_fds_closes_both),
		cmocka_unit_test(test_recv_eight_fds_closes_all),
		cmocka_unit_test(test_recv_truncated_closes_its_fd),
		cmocka_unit_test(test_recv_empty_message_closes_its_fd),
		cmocka_unit_test(test_send_recv_round_trip),
		cmocka_unit_test(test_daemon_profile_name_limit),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
