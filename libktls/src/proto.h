/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the wire format between libktls (daemon mode) and handshaked.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, one message per packet, at
 * most KTLS_PROTO_MAX bytes.  A request carries the connected TCP socket
 * in SCM_RIGHTS (exactly one fd); the reply carries no fd.  After a reply
 * the client may send another request on the same socket.
 *
 * Message: a 12-byte header in network byte order,
 *	u32 magic	KTLS_PROTO_MAGIC ("KTLS")
 *	u16 version	KTLS_PROTO_VERSION (1)
 *	u16 type	KTLS_MSG_HANDSHAKE (request) or KTLS_MSG_RESULT (reply)
 *	u32 length	of the attributes that follow: the packet's size - 12
 * then attributes, each
 *	u16 tag, u16 length, value (length bytes)
 * Integers are network byte order; strings are not NUL-terminated and
 * hold no NUL.  Unknown tags are skipped (a newer peer may send more);
 * a header with another magic, version or type, a length that does not
 * match, or an attribute running past the end is malformed, and the
 * daemon answers with KTLS_A_STATUS = -EBADMSG (or -EPROTONOSUPPORT for
 * an unknown version) and never acts on it.
 */
#ifndef KTLS_PROTO_H
#define KTLS_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

#define KTLS_PROTO_MAGIC 0x4b544c53u	/* "KTLS" */
#define KTLS_PROTO_VERSION 1
#define KTLS_PROTO_HDR 12
#define KTLS_PROTO_MAX 65536
/* The longest profile name (bytes, without the NUL) handshaked takes. */
#define KTLS_PROTO_NAME_MAX 63

enum ktls_msg_type {
	KTLS_MSG_HANDSHAKE = 1,
	KTLS_MSG_RESULT = 2,
	KTLS_MSG_COUNTERS = 3,		/* no attributes, no fd */
};

/* Attributes.  R: in requests, A: in replies. */
enum ktls_attr {
	KTLS_A_ROLE = 1,		/* R u8 enum ktls_role (required) */
	KTLS_A_PEER_NAME = 2,		/* R str: SNI and name to verify */
	KTLS_A_ALPN = 3,		/* R str: comma-separated */
	KTLS_A_PROFILE = 4,		/* R str (required), 1 to 63 bytes */
	KTLS_A_TIMEOUT_MS = 5,		/* R u32: 0 for the daemon's */

	KTLS_A_STATUS = 16,		/* A s32: 0 or -errno (always) */
	KTLS_A_ERRSTR = 17,		/* A str: what went wrong */
	KTLS_A_VERSION = 18,		/* A u16 */
	KTLS_A_CIPHER = 19,		/* A u16 enum ktls_cipher */
	KTLS_A_ALPN_CHOSEN = 20,	/* A str */
	KTLS_A_RESUMED = 21,		/* A u8 */
	KTLS_A_PEER_CERT = 22,		/* A DER, repeated, leaf first */
	KTLS_A_VERIFY_RESULT = 23,	/* A u8 enum ktls_verify_result */
	KTLS_A_ALERT = 24,		/* A s16: alert received, -1 none */
	KTLS_A_TX_OFFLOADED = 25,	/* A u8 */
	KTLS_A_RX_OFFLOADED = 26,	/* A u8 */
	KTLS_A_COUNTER = 27,		/* A u64 value, then the name */
};

struct ktls_proto_msg {
	size_t len;			/* bytes used in buf */
	uint8_t buf[KTLS_PROTO_MAX];
};

/* One attribute, as ktls_proto_next() finds it. */
struct ktls_proto_attr {
	uint16_t tag;
	uint16_t len;
	const uint8_t *val;
};

/* proto.c */
void ktls_proto_init(struct ktls_proto_msg *m, enum ktls_msg_type type);
KTLS_MUST_CHECK int ktls_proto_put(struct ktls_proto_msg *m, uint16_t tag,
				   const void *val, size_t len);
KTLS_MUST_CHECK int ktls_proto_put_u8(struct ktls_proto_msg *m, uint16_t tag,
				      uint8_t v);
KTLS_MUST_CHECK int ktls_proto_put_u16(struct ktls_proto_msg *m, uint16_t tag,
				       uint16_t v);
KTLS_MUST_CHECK int ktls_proto_put_u32(struct ktls_proto_msg *m, uint16_t tag,
				       uint32_t v);
KTLS_MUST_CHECK int ktls_proto_put_str(struct ktls_proto_msg *m, uint16_t tag,
				       const char *s);
KTLS_MUST_CHECK int ktls_proto_check(const uint8_t *buf, size_t len,
				     enum ktls_msg_type *type);
KTLS_MUST_CHECK int ktls_proto_next(const uint8_t *buf, size_t len,
				    size_t *off, struct ktls_proto_attr *a);
KTLS_MUST_CHECK int ktls_proto_u8(const struct ktls_proto_attr *a,
				  uint8_t *v);
KTLS_MUST_CHECK int ktls_proto_u16(const struct ktls_proto_attr *a,
				   uint16_t *v);
KTLS_MUST_CHECK int ktls_proto_u32(const struct ktls_proto_attr *a,
				   uint32_t *v);
KTLS_MUST_CHECK int ktls_proto_str(const struct ktls_proto_attr *a, char *buf,
				   size_t size);
KTLS_MUST_CHECK int ktls_proto_send(int sock, const struct ktls_proto_msg *m,
				    int fd);
/*
 * One message into @buf, and the fd it carried in *@fdp (-1 if none).
 * Every other fd that came is closed: with a second fd or a truncated
 * message (-EBADMSG), and with a zero-length message (0, end of stream).
 */
KTLS_MUST_CHECK ssize_t ktls_proto_recv(int sock, uint8_t *buf, size_t size,
					int *fdp);

#endif /* KTLS_PROTO_H */
