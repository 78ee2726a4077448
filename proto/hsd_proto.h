/* SPDX-License-Identifier: MIT */
/*
 * hsd_proto.h - the wire format between handshaked and its clients
 * (libktls in daemon mode, handshakectl): a struct per message and an
 * encode/decode pair for each.  Nobody else builds or reads the bytes.
 *
 * This module (hsd_proto.c, the messages; hsd_wire.c and hsd_wire.h, the
 * framing and the socket) includes only <ktls.h> and libc.  It is
 * compiled into libktls (hidden: nothing here is exported) and linked on
 * its own into handshaked and handshakectl.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, one message per packet, at
 * most HSD_PROTO_MAX bytes.  A handshake request carries the connected TCP
 * socket in SCM_RIGHTS (exactly one fd); every other message carries none.
 * Every request gets one reply; after it the client may send another
 * request on the same socket.
 *
 * Message: a 12-byte header in network byte order,
 *	u32 magic	HSD_PROTO_MAGIC ("KTLS")
 *	u16 version	HSD_PROTO_VERSION (1)
 *	u16 type	enum hsd_msg_type
 *	u32 length	of the attributes that follow: the packet's size - 12
 * then attributes, each
 *	u16 tag, u16 length, value (length bytes)
 * Integers are network byte order; strings are not NUL-terminated, hold
 * no NUL and have the bounds given below.  Unknown tags are skipped (a
 * newer peer may send more).  An attribute the message defines may appear
 * once, except those marked "repeated".
 *
 * Every reply is a HSD_MSG_RESULT: a status (0 or -errno) and, when it is
 * not 0, a sentence saying why; what else it holds depends on the request
 * it answers.  So any request's refusal reads the same way.
 *
 * Malformed (-EBADMSG): another magic, a length that does not match, an
 * unknown type, an attribute running past the end or with the wrong size
 * for its type, a string over its bound or holding a NUL, a duplicate, a
 * required attribute missing, the wrong number of fds.  Another version:
 * -EPROTONOSUPPORT.  The daemon answers either with that status and never
 * acts on the request.
 *
 * Version 1 history: types 1-3 and tags 1-5, 16-27 are what libktls 0.1.0
 * spoke first; types 4-5 and tags 32-40 came later in version 1 (a daemon
 * without them answers a status or reload request with -EBADMSG); tags
 * 64-66 later still (a status reply without them: no kernel agent).
 */
#ifndef HSD_PROTO_H
#define HSD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ktls.h>

#define HSD_PROTO_MAGIC 0x4b544c53u	/* "KTLS" */
#define HSD_PROTO_VERSION 1
#define HSD_PROTO_HDR 12
#define HSD_PROTO_MAX 65536

/* String bounds, in bytes without the NUL. */
#define HSD_PROTO_NAME_MAX 63		/* profile names: 1 to 63 */
#define HSD_PROTO_STR_MAX 255		/* peer name, ALPN lists, ciphers */
#define HSD_PROTO_ERRSTR_MAX 255	/* the sentence of a reply */
#define HSD_PROTO_PATH_MAX 4095		/* the configuration's path */
#define HSD_PROTO_COUNTER_NAME_MAX 64

#define HSD_PROTO_CERTS_MAX 16		/* peer chain: leaf first */
#define HSD_PROTO_COUNTERS_MAX 64
#define HSD_PROTO_PROFILES_MAX 64

enum hsd_msg_type {
	HSD_MSG_HANDSHAKE = 1,		/* request: one fd */
	HSD_MSG_RESULT = 2,		/* every reply */
	HSD_MSG_COUNTERS = 3,		/* request: no attributes */
	HSD_MSG_STATUS = 4,		/* request: no attributes */
	HSD_MSG_RELOAD = 5,		/* request: no attributes */
	/*
	 * 6-15: free for more requests of clients.
	 * 16-31: reserved for the kernel agent (issue 13).  The kernel's
	 * requests come over netlink (handshaked/kernel_nl.c), not this
	 * socket; what clients see of the agent is in the status reply
	 * (tags 64-66) and the counters (kernel.*).
	 */
};

/* Attributes.  R: in requests, A: in replies. */
enum hsd_attr {
	HSD_A_ROLE = 1,			/* R u8 enum ktls_role (required) */
	HSD_A_PEER_NAME = 2,		/* R str <= 255: SNI, name to verify */
	HSD_A_ALPN = 3,			/* R str <= 255: comma-separated */
	HSD_A_PROFILE = 4,		/* R str 1..63 (required) */
	HSD_A_TIMEOUT_MS = 5,		/* R u32: 0 for the daemon's */

	HSD_A_STATUS = 16,		/* A s32: 0 or -errno (required) */
	HSD_A_ERRSTR = 17,		/* A str <= 255: what went wrong */
	HSD_A_VERSION = 18,		/* A u16 */
	HSD_A_CIPHER = 19,		/* A u16 enum ktls_cipher */
	HSD_A_ALPN_CHOSEN = 20,		/* A str <= 255 */
	HSD_A_RESUMED = 21,		/* A u8 */
	HSD_A_PEER_CERT = 22,		/* A DER, repeated (16), leaf first */
	HSD_A_VERIFY_RESULT = 23,	/* A u8 enum ktls_verify_result */
	HSD_A_ALERT = 24,		/* A s16: alert received, -1 none */
	HSD_A_TX_OFFLOADED = 25,	/* A u8 */
	HSD_A_RX_OFFLOADED = 26,	/* A u8 */
	HSD_A_COUNTER = 27,		/* A u64 value, then the name (1..64),
					 * repeated (64) */

	HSD_A_CONFIG_PATH = 32,		/* A str 1..4095 */
	HSD_A_PID = 33,			/* A u32 */
	HSD_A_UPTIME_S = 34,		/* A u64 */
	HSD_A_WORKERS = 35,		/* A u32 */
	HSD_A_KTLS_USABLE = 36,		/* A u8 */
	HSD_A_KTLS_REASON = 37,		/* A str <= 255: why not */
	HSD_A_PROFILE_INFO = 38,	/* A repeated (64): u8 roles (bit per
					 * enum ktls_role), u16 min version,
					 * u16 max version, u8 name length
					 * (1..63), name, then the cipher list
					 * (<= 255, "" for libktls's) */
	HSD_A_PROFILES_TOTAL = 39,	/* A u32: profiles, listed or not */
	HSD_A_DAEMON_VERSION = 40,	/* A str <= 255 */
	/*
	 * 64-95: the kernel agent (handshaked's answer to the kernel's
	 * handshake upcall, issue 13).  In status replies, optional (a
	 * daemon without them has no agent):
	 */
	HSD_A_KERNEL_AGENT = 64,	/* A u8: 1 when the agent runs */
	HSD_A_KERNEL_CLIENT = 65,	/* A str <= 63: [kernel] client */
	HSD_A_KERNEL_SERVER = 66,	/* A str <= 63: [kernel] server */
	/* 67-95: free for the kernel agent. */
};

/* A message as it goes on the wire. */
struct hsd_proto_msg {
	size_t len;			/* bytes used in buf */
	uint8_t buf[HSD_PROTO_MAX];
};

/* HSD_MSG_HANDSHAKE: run a handshake on the fd that comes with it. */
struct hsd_proto_handshake {
	uint8_t role;			/* enum ktls_role */
	char profile[HSD_PROTO_NAME_MAX + 1];
	char peer_name[HSD_PROTO_STR_MAX + 1];	/* "" for none */
	char alpn[HSD_PROTO_STR_MAX + 1];	/* "" for none */
	uint32_t timeout_ms;		/* 0: the daemon's */
};

/* Any request: its type, and for a handshake what it asks. */
struct hsd_proto_request {
	enum hsd_msg_type type;	/* HANDSHAKE, COUNTERS, STATUS or RELOAD */
	struct hsd_proto_handshake hs;	/* HSD_MSG_HANDSHAKE only */
};

/* What every reply says; a reply to a reload says no more. */
struct hsd_proto_reply {
	int32_t status;			/* 0, or -1 to -4095 */
	char errstr[HSD_PROTO_ERRSTR_MAX + 1];	/* "" for none */
};

/* A peer certificate, pointing into the message it was decoded from. */
struct hsd_proto_der {
	const uint8_t *der;
	size_t len;
};

/*
 * The reply to a handshake.  With status 0 it has version, cipher and
 * both offload flags (required); the rest is sent either way.
 */
struct hsd_proto_result {
	struct hsd_proto_reply r;
	uint16_t version;
	uint16_t cipher;		/* enum ktls_cipher */
	char alpn[HSD_PROTO_STR_MAX + 1];	/* "" for none */
	bool resumed;
	uint8_t verify_result;		/* enum ktls_verify_result */
	int16_t alert;			/* -1 for none */
	bool tx_offloaded, rx_offloaded;
	unsigned int n_certs;
	struct hsd_proto_der certs[HSD_PROTO_CERTS_MAX];
};

struct hsd_proto_counter {
	char name[HSD_PROTO_COUNTER_NAME_MAX + 1];
	uint64_t value;
};

/* The reply to a counters request, in the daemon's order. */
struct hsd_proto_counters {
	struct hsd_proto_reply r;
	unsigned int n;
	struct hsd_proto_counter c[HSD_PROTO_COUNTERS_MAX];
};

struct hsd_proto_profile {
	char name[HSD_PROTO_NAME_MAX + 1];
	uint8_t roles;			/* 1 << enum ktls_role, or'ed */
	uint16_t min_version, max_version;
	char ciphers[HSD_PROTO_STR_MAX + 1];	/* "" for libktls's */
};

/*
 * The reply to a status request.  With status 0 it has the path, pid,
 * uptime, workers and kTLS flag (required).
 */
struct hsd_proto_status {
	struct hsd_proto_reply r;
	char config_path[HSD_PROTO_PATH_MAX + 1];
	char version[HSD_PROTO_STR_MAX + 1];	/* the daemon's; "" unknown */
	uint32_t pid;
	uint64_t uptime_s;
	uint32_t workers;
	bool ktls_usable;
	char ktls_reason[HSD_PROTO_STR_MAX + 1];	/* "" when usable */
	bool kernel_agent;		/* the kernel agent runs */
	char kernel_client[HSD_PROTO_NAME_MAX + 1];	/* "" for none */
	char kernel_server[HSD_PROTO_NAME_MAX + 1];	/* "" for none */
	uint32_t profiles_total;	/* may exceed n_profiles */
	unsigned int n_profiles;
	struct hsd_proto_profile profiles[HSD_PROTO_PROFILES_MAX];
};

/*
 * Encoders: @m holds the whole message afterwards.  They refuse, with
 * -EINVAL, what the matching decoder would refuse (a missing profile, a
 * bad role, a status outside 0..-4095, a string over its bound, too many
 * entries); -ENOSPC when it would pass HSD_PROTO_MAX.  Exception: the
 * peer certificates of a result are put while they fit, the rest left
 * out.
 */
KTLS_MUST_CHECK int hsd_proto_encode_request(struct hsd_proto_msg *m,
					     const struct hsd_proto_request *r);
KTLS_MUST_CHECK int hsd_proto_encode_reply(struct hsd_proto_msg *m,
					   const struct hsd_proto_reply *r);
KTLS_MUST_CHECK int hsd_proto_encode_result(struct hsd_proto_msg *m,
					    const struct hsd_proto_result *r);
KTLS_MUST_CHECK int hsd_proto_encode_counters(
	struct hsd_proto_msg *m, const struct hsd_proto_counters *c);
KTLS_MUST_CHECK int hsd_proto_encode_status(struct hsd_proto_msg *m,
					    const struct hsd_proto_status *s);

/*
 * Decoders: the @len bytes of @buf (one message from hsd_proto_recv()),
 * all of it checked.  Return: 0 with the struct filled (zeroed first, so
 * absent attributes read 0 or ""; alert -1); -EPROTONOSUPPORT for another
 * version; -EBADMSG for anything else wrong; *@why (if not NULL) then
 * names what, in a constant string.
 *
 * hsd_proto_decode_request() takes any request; @nfds is how many fds
 * came with it: a handshake needs one (else -EBADF), the others none.
 * The reply decoders take any reply (a refusal of any request has only
 * its status and sentence); their result structs point into @buf
 * (peer certificates), which must outlive them.
 */
KTLS_MUST_CHECK int hsd_proto_decode_request(const uint8_t *buf, size_t len,
					     int nfds,
					     struct hsd_proto_request *r,
					     const char **why);
KTLS_MUST_CHECK int hsd_proto_decode_reply(const uint8_t *buf, size_t len,
					   struct hsd_proto_reply *r,
					   const char **why);
KTLS_MUST_CHECK int hsd_proto_decode_result(const uint8_t *buf, size_t len,
					    struct hsd_proto_result *r,
					    const char **why);
KTLS_MUST_CHECK int hsd_proto_decode_counters(const uint8_t *buf, size_t len,
					      struct hsd_proto_counters *c,
					      const char **why);
KTLS_MUST_CHECK int hsd_proto_decode_status(const uint8_t *buf, size_t len,
					    struct hsd_proto_status *s,
					    const char **why);

/* Send @m, with @fd in SCM_RIGHTS unless it is negative.  Return: 0; the
 * -errno of sendmsg(); -EIO when it went short. */
KTLS_MUST_CHECK int hsd_proto_send(int sock, const struct hsd_proto_msg *m,
				   int fd);
/*
 * One message into @buf, and the fd it carried in *@fdp (-1 if none).
 * Return: its length; 0 when the peer closed; -EBADMSG for a truncated
 * message or more than one fd; the -errno of recvmsg().  Every fd that
 * is not handed over is closed: with a second fd or a truncated message
 * (-EBADMSG), and with a zero-length message (0, end of stream).
 */
KTLS_MUST_CHECK ssize_t hsd_proto_recv(int sock, uint8_t *buf, size_t size,
				       int *fdp);

#endif /* HSD_PROTO_H */
