// SPDX-License-Identifier: MIT
/*
 * test_kernel_nl.c - the kernel agent's netlink messages
 * (handshaked/kernel_nl.c): ACCEPT replies built here with libnl, as the
 * kernel builds them, then parsed; malformed ones (wrong sizes, strings
 * without their NUL or too long, bytes left over, unknown values, too
 * many identities) refused with the socket still known; READY recognised;
 * NLMSG_ERROR read; DONE built and read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kernel_nl.h"

#define FAMILY 31

/* A message's bytes, aligned, with room to spare. */
static uint32_t raw[1024];

static struct nl_msg *start(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, 1));
	return m;
}

/* The whole request a kernel sends for an x509 client handshake. */
static struct nl_msg *full_accept(void)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	struct nlattr *nest;

	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 7), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_MESSAGE_TYPE,
				     HSD_HS_MSG_CLIENTHELLO), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_TIMEOUT, 5000), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_AUTH_MODE,
				     HSD_HS_AUTH_X509), 0);
	assert_int_equal(nla_put_string(m, HSD_HS_ACCEPT_PEERNAME,
					"nfs.example"), 0);
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_PEER_IDENTITY, 101), 0);
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_PEER_IDENTITY, 102), 0);
	nest = nla_nest_start(m, HSD_HS_ACCEPT_CERTIFICATE);
	assert_non_null(nest);
	assert_int_equal(nla_put_s32(m, HSD_HS_X509_CERT, 11), 0);
	assert_int_equal(nla_put_s32(m, HSD_HS_X509_PRIVKEY, 12), 0);
	nla_nest_end(m, nest);
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_KEYRING, 13), 0);
	return m;
}

/* @m's bytes into raw[], freed; the length. */
static size_t bytes(struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	size_t len = h->nlmsg_len;

	assert_true(len <= sizeof(raw));
	memcpy(raw, h, len);
	nlmsg_free(m);
	return len;
}

static int parse(size_t len, struct hsd_knl_req *r, const char **why)
{
	return hsd_knl_parse_accept((const uint8_t *)raw, len, FAMILY, r, why);
}

static void test_parse_accept_takes_every_attribute(void **state)
{
	struct hsd_knl_req r;
	const char *why = NULL;
	size_t len = bytes(full_accept());

	(void)state;
	assert_int_equal(parse(len, &r, &why), 0);
	assert_int_equal(r.sockfd, 7);
	assert_int_equal(r.msg_type, HSD_HS_MSG_CLIENTHELLO);
	assert_int_equal(r.timeout_ms, 5000);
	assert_int_equal(r.auth_mode, HSD_HS_AUTH_X509);
	assert_string_equal(r.peer_name, "nfs.example");
	assert_int_equal(r.n_peerids, 2);
	assert_int_equal(r.peerids[0], 101);
	assert_int_equal(r.peerids[1], 102);
	assert_int_equal(r.cert, 11);
	assert_int_equal(r.privkey, 12);
	assert_int_equal(r.keyring, 13);
}

/* A server hello with only what is required (6.12's anon or x509
 * server without keys): everything else reads 0 or "". */
static void test_parse_accept_minimal_server(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 0), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_MESSAGE_TYPE,
				     HSD_HS_MSG_SERVERHELLO), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_AUTH_MODE,
				     HSD_HS_AUTH_UNAUTH), 0);
	assert_int_equal(parse(bytes(m), &r, &why), 0);
	assert_int_equal(r.sockfd, 0);
	assert_int_equal(r.msg_type, HSD_HS_MSG_SERVERHELLO);
	assert_int_equal(r.timeout_ms, 0);
	assert_string_equal(r.peer_name, "");
	assert_int_equal(r.n_peerids, 0);
	assert_int_equal(r.cert, 0);
	assert_int_equal(r.keyring, 0);
}

static void test_parse_accept_refuses_missing_socket(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_MESSAGE_TYPE,
				     HSD_HS_MSG_CLIENTHELLO), 0);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_AUTH_MODE,
				     HSD_HS_AUTH_X509), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EINVAL);
	assert_int_equal(r.sockfd, -1);
	assert_non_null(strstr(why, "socket"));
}

/* Two sockets: which one is it?  Neither. */
static void test_parse_accept_refuses_two_sockets(void **state)
{
	struct nl_msg *m = full_accept();
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 8), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EINVAL);
	assert_int_equal(r.sockfd, -1);
}

/* A u32 of 2 bytes: malformed, but the socket is known, for DONE. */
static void test_parse_accept_short_integer_keeps_socket(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	uint16_t two = 3;
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 9), 0);
	assert_int_equal(nla_put(m, HSD_HS_ACCEPT_AUTH_MODE, sizeof(two),
				 &two), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
	assert_int_equal(r.sockfd, 9);
}

static void test_parse_accept_long_integer_refused(void **state)
{
	struct nl_msg *m = full_accept();
	uint64_t eight = 1;
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put(m, HSD_HS_ACCEPT_TIMEOUT, sizeof(eight),
				 &eight), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
	assert_int_equal(r.sockfd, 7);
}

static void test_parse_accept_peer_name_without_nul(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 7), 0);
	assert_int_equal(nla_put(m, HSD_HS_ACCEPT_PEERNAME, 4, "abcd"), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
}

static void test_parse_accept_peer_name_too_long(void **state)
{
	struct nl_msg *m = full_accept();
	char name[HSD_KNL_PEERNAME_MAX + 2];
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nla_put_string(m, HSD_HS_ACCEPT_PEERNAME, name), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
	/* One byte less fits exactly. */
	m = full_accept();
	name[sizeof(name) - 2] = '\0';
	assert_int_equal(nla_put_string(m, HSD_HS_ACCEPT_PEERNAME, name), 0);
	/* (the second peer name is the one kept) */
	assert_int_equal(parse(bytes(m), &r, &why), 0);
	assert_int_equal(strlen(r.peer_name), HSD_KNL_PEERNAME_MAX);
}

static void test_parse_accept_unknown_values(void **state)
{
	struct nl_msg *m = full_accept();
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_AUTH_MODE, 9), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EINVAL);
	assert_non_null(strstr(why, "auth mode"));
	assert_int_equal(r.sockfd, 7);

	m = full_accept();
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_MESSAGE_TYPE, 0), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EINVAL);
	assert_non_null(strstr(why, "message type"));

	m = full_accept();
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_HANDLER_CLASS, 0), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EINVAL);
	assert_non_null(strstr(why, "handler class"));
}

static void test_parse_accept_too_many_peer_identities(void **state)
{
	struct nl_msg *m = full_accept();
	struct hsd_knl_req r;
	const char *why;
	int i;

	(void)state;
	/* 2 already, and 15 more: 17. */
	for (i = 0; i < HSD_KNL_PEERIDS_MAX - 1; i++)
		assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_PEER_IDENTITY,
					     200 + i), 0);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
	assert_int_equal(r.sockfd, 7);
}

static void test_parse_accept_bad_nested_certificate(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_ACCEPT);
	struct nlattr *nest;
	struct hsd_knl_req r;
	const char *why;
	uint8_t one = 1;

	(void)state;
	assert_int_equal(nla_put_s32(m, HSD_HS_ACCEPT_SOCKFD, 7), 0);
	nest = nla_nest_start(m, HSD_HS_ACCEPT_CERTIFICATE);
	assert_int_equal(nla_put(m, HSD_HS_X509_CERT, 1, &one), 0);
	nla_nest_end(m, nest);
	assert_int_equal(parse(bytes(m), &r, &why), -EBADMSG);
	assert_non_null(strstr(why, "certificate"));
}

/* Bytes after the last attribute, inside the message's length. */
static void test_parse_accept_trailing_bytes(void **state)
{
	size_t len = bytes(full_accept());
	struct nlmsghdr *h = (struct nlmsghdr *)raw;
	struct hsd_knl_req r;
	const char *why;

	(void)state;
	memset((uint8_t *)raw + len, 0xff, 4);
	h->nlmsg_len += 3;
	assert_int_equal(parse(len + 3, &r, &why), -EBADMSG);
}

static void test_parse_accept_wrong_family_command_or_size(void **state)
{
	struct hsd_knl_req r;
	const char *why;
	size_t len = bytes(full_accept());

	(void)state;
	assert_int_equal(hsd_knl_parse_accept((const uint8_t *)raw, len,
					      FAMILY + 1, &r, &why), -EBADMSG);
	assert_int_equal(parse(len - 1, &r, &why), -EBADMSG);
	assert_int_equal(parse(8, &r, &why), -EBADMSG);
	assert_int_equal(parse(0, &r, &why), -EBADMSG);
	((struct genlmsghdr *)NLMSG_DATA((struct nlmsghdr *)raw))->cmd =
		HSD_HS_CMD_DONE;
	assert_int_equal(parse(len, &r, &why), -EBADMSG);
	assert_int_equal(r.sockfd, -1);
}

static void test_next_reads_errors_and_refuses_truncation(void **state)
{
	struct nlmsghdr *h = (struct nlmsghdr *)raw;
	struct nlmsgerr *e = NLMSG_DATA(h);
	uint16_t type;
	int error;

	(void)state;
	memset(raw, 0, sizeof(raw));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	h->nlmsg_type = NLMSG_ERROR;
	e->error = -EAGAIN;
	assert_int_equal(hsd_knl_next((const uint8_t *)raw, h->nlmsg_len,
				      &type, &error), (int)h->nlmsg_len);
	assert_int_equal(type, NLMSG_ERROR);
	assert_int_equal(error, -EAGAIN);
	/* A positive "errno" is nonsense: -EIO. */
	e->error = 5;
	assert_true(hsd_knl_next((const uint8_t *)raw, h->nlmsg_len, &type,
				 &error) > 0);
	assert_int_equal(error, -EIO);
	assert_int_equal(hsd_knl_next((const uint8_t *)raw, h->nlmsg_len - 1,
				      &type, &error), -EBADMSG);
	h->nlmsg_len = NLMSG_HDRLEN;	/* an error without its errno */
	assert_int_equal(hsd_knl_next((const uint8_t *)raw, 64, &type,
				      &error), -EBADMSG);
	assert_int_equal(hsd_knl_next((const uint8_t *)raw, 0, &type,
				      &error), 0);
}

static void test_is_ready(void **state)
{
	struct nl_msg *m = start(HSD_HS_CMD_READY);
	size_t len;

	(void)state;
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_HANDLER_CLASS,
				     HSD_HS_CLASS_TLSHD), 0);
	len = bytes(m);
	assert_true(hsd_knl_is_ready((const uint8_t *)raw, len, FAMILY));
	assert_false(hsd_knl_is_ready((const uint8_t *)raw, len, FAMILY + 1));
	assert_false(hsd_knl_is_ready((const uint8_t *)raw, len - 2, FAMILY));

	m = start(HSD_HS_CMD_READY);
	assert_int_equal(nla_put_u32(m, HSD_HS_ACCEPT_HANDLER_CLASS, 0), 0);
	assert_false(hsd_knl_is_ready((const uint8_t *)raw, bytes(m), FAMILY));
	/* An ACCEPT reply is not a READY. */
	assert_false(hsd_knl_is_ready((const uint8_t *)raw,
				      bytes(full_accept()), FAMILY));
}

static void test_put_done_carries_status_socket_and_peers(void **state)
{
	static const int32_t remote[] = { 501, 502 };
	struct nlattr *tb[HSD_HS_DONE_REMOTE_AUTH + 1];
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *h;
	struct nlattr *a;
	int rem, n = 0;

	(void)state;
	assert_int_equal(hsd_knl_put_done(m, FAMILY, 0, 7, remote, 2), 0);
	h = nlmsg_hdr(m);
	assert_int_equal(h->nlmsg_type, FAMILY);
	assert_true(h->nlmsg_flags & NLM_F_ACK);
	assert_int_equal(genlmsg_hdr(h)->cmd, HSD_HS_CMD_DONE);
	assert_int_equal(genlmsg_parse(h, 0, tb, HSD_HS_DONE_REMOTE_AUTH,
				       NULL), 0);
	assert_int_equal(nla_get_u32(tb[HSD_HS_DONE_STATUS]), 0);
	assert_int_equal((int)nla_get_u32(tb[HSD_HS_DONE_SOCKFD]), 7);
	nla_for_each_attr(a, genlmsg_attrdata(genlmsg_hdr(h), 0),
			  genlmsg_attrlen(genlmsg_hdr(h), 0), rem)
		if (nla_type(a) == HSD_HS_DONE_REMOTE_AUTH)
			assert_int_equal((int32_t)nla_get_u32(a),
					 remote[n++]);
	assert_int_equal(n, 2);
	nlmsg_free(m);

	/* A failure names no peer. */
	m = nlmsg_alloc();
	assert_int_equal(hsd_knl_put_done(m, FAMILY, EACCES, 7, remote, 2),
			 0);
	h = nlmsg_hdr(m);
	assert_int_equal(genlmsg_parse(h, 0, tb, HSD_HS_DONE_REMOTE_AUTH,
				       NULL), 0);
	assert_int_equal(nla_get_u32(tb[HSD_HS_DONE_STATUS]), EACCES);
	assert_null(tb[HSD_HS_DONE_REMOTE_AUTH]);
	nlmsg_free(m);
}

static void test_put_accept_asks_for_tlshd(void **state)
{
	struct nlattr *tb[HSD_HS_ACCEPT_MAX + 1];
	struct nl_msg *m = nlmsg_alloc();
	struct nlmsghdr *h;

	(void)state;
	assert_int_equal(hsd_knl_put_accept(m, FAMILY), 0);
	h = nlmsg_hdr(m);
	assert_int_equal(genlmsg_hdr(h)->cmd, HSD_HS_CMD_ACCEPT);
	assert_int_equal(genlmsg_parse(h, 0, tb, HSD_HS_ACCEPT_MAX, NULL), 0);
	assert_int_equal(nla_get_u32(tb[HSD_HS_ACCEPT_HANDLER_CLASS]),
			 HSD_HS_CLASS_TLSHD);
	nlmsg_free(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(hsd_knl_auth_name(HSD_HS_AUTH_X509), "x509");
	assert_string_equal(hsd_knl_auth_name(HSD_HS_AUTH_PSK), "psk");
	assert_string_equal(hsd_knl_auth_name(HSD_HS_AUTH_UNAUTH), "anon");
	assert_string_equal(hsd_knl_auth_name(77), "unknown");
	assert_string_equal(hsd_knl_msg_name(HSD_HS_MSG_SERVERHELLO),
			    "server");
	assert_string_equal(hsd_knl_msg_name(0), "unknown");
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_accept_takes_every_attribute),
		T(test_parse_accept_minimal_server),
		T(test_parse_accept_refuses_missing_socket),
		T(test_parse_accept_refuses_two_sockets),
		T(test_parse_accept_short_integer_keeps_socket),
		T(test_parse_accept_long_integer_refused),
		T(test_parse_accept_peer_name_without_nul),
		T(test_parse_accept_peer_name_too_long),
		T(test_parse_accept_unknown_values),
		T(test_parse_accept_too_many_peer_identities),
		T(test_parse_accept_bad_nested_certificate),
		T(test_parse_accept_trailing_bytes),
		T(test_parse_accept_wrong_family_command_or_size),
		T(test_next_reads_errors_and_refuses_truncation),
		T(test_is_ready),
		T(test_put_done_carries_status_socket_and_peers),
		T(test_put_accept_asks_for_tlshd),
		T(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
