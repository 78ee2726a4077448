/* SPDX-License-Identifier: MIT */
/*
 * kernel_nl.h - the messages of the kernel's "handshake" netlink family
 * that handshaked's kernel agent reads and writes (kernel_nl.c): the
 * READY notification and the ACCEPT reply are parsed from the bytes the
 * kernel sent, every attribute type- and length-checked; ACCEPT and DONE
 * are built with libnl.  No sockets here: kernel.c does the I/O, and the
 * unit tests and the fuzz target feed these functions bytes.
 */
#ifndef HSD_KERNEL_NL_H
#define HSD_KERNEL_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ktls.h>

#include "kernel_abi.h"

struct nl_msg;

#define HSD_KNL_PEERIDS_MAX 16		/* peer identities in one request */
#define HSD_KNL_PEERNAME_MAX 255	/* bytes, without the NUL */

/* A handshake request, as the ACCEPT reply gives it. */
struct hsd_knl_req {
	int sockfd;			/* installed in this process; -1 none */
	uint32_t msg_type;		/* HSD_HS_MSG_* */
	uint32_t timeout_ms;		/* 0: none given */
	uint32_t auth_mode;		/* HSD_HS_AUTH_* */
	char peer_name[HSD_KNL_PEERNAME_MAX + 1];	/* "" for none */
	unsigned int n_peerids;
	int32_t peerids[HSD_KNL_PEERIDS_MAX];	/* key serials */
	int32_t cert, privkey;		/* key serials; 0 for none */
	int32_t keyring;		/* key serial; 0 for none */
};

/*
 * What the @len bytes of @buf (one or more netlink messages, as recv()
 * read them) hold, message by message: hsd_knl_next() returns the
 * length of the first, 0 at the end, -EBADMSG when what is left is not a
 * whole message.  *@type is nlmsg_type; for NLMSG_ERROR, *@error is the
 * (negative) errno it carries, 0 for an ack.
 */
KTLS_MUST_CHECK int hsd_knl_next(const uint8_t *buf, size_t len,
				 uint16_t *type, int *error);

/*
 * Whether the message at @buf (@len bytes, from hsd_knl_next()) is a
 * READY notification for the tlshd handler class.  Anything else,
 * malformed included, is false.
 */
bool hsd_knl_is_ready(const uint8_t *buf, size_t len, int family);

/*
 * Parse the ACCEPT reply at @buf (@len bytes).  r->sockfd is set first,
 * from the socket attribute alone, so that even a malformed reply's
 * socket can be answered (DONE) and closed; it is -1 when there is none.
 * Return: 0; -EBADMSG (malformed: a bad header or command, an attribute
 * of the wrong size or type, a string without its NUL or over its bound,
 * bytes left over, too many peer identities) or -EINVAL (well-formed but
 * unusable: no socket, message type or auth mode, or one we do not
 * know), with *@why saying what in a constant string.
 */
KTLS_MUST_CHECK int hsd_knl_parse_accept(const uint8_t *buf, size_t len,
					 int family, struct hsd_knl_req *r,
					 const char **why);

/* ACCEPT for the tlshd handler class, into a fresh @msg. */
KTLS_MUST_CHECK int hsd_knl_put_accept(struct nl_msg *msg, int family);

/*
 * DONE: @status is 0 or a positive errno, @sockfd the request's socket,
 * @remote the peer's identities (key serials), @n of them.
 */
KTLS_MUST_CHECK int hsd_knl_put_done(struct nl_msg *msg, int family,
				     uint32_t status, int sockfd,
				     const int32_t *remote, unsigned int n);

/* The names of the enum values, for logs ("x509", "client hello"). */
const char *hsd_knl_auth_name(uint32_t auth);
const char *hsd_knl_msg_name(uint32_t type);

#endif /* HSD_KERNEL_NL_H */
