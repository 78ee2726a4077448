/* SPDX-License-Identifier: MIT */
/*
 * hsd_wire.h - the framing under hsd_proto.c's messages, private to
 * proto/: the header, attributes and their typed values, written into a
 * struct hsd_proto_msg and read with every length checked.  The format is
 * described in hsd_proto.h.
 */
#ifndef HSD_WIRE_H
#define HSD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hsd_proto.h"

/* Network byte order. */
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* A message being read: where, the tags met, and the first reason it
 * was refused. */
struct wire_reader {
	const uint8_t *buf;
	size_t len, off;
	uint64_t seen;			/* tags below 64 met so far */
	const char *why;
};

struct wire_attr {
	uint16_t tag;
	uint16_t len;
	bool again;			/* the tag came before */
	const uint8_t *val;
};

/* Writing: hsd_wire_msg_init(), then attributes.  Return: 0, or -ENOSPC
 * past HSD_PROTO_MAX (the put_str of a bad string: -EINVAL). */
void hsd_wire_msg_init(struct hsd_proto_msg *m, enum hsd_msg_type type);
/* One attribute whose value comes in two pieces (@b may be NULL). */
KTLS_MUST_CHECK int hsd_wire_put2(struct hsd_proto_msg *m, uint16_t tag,
				  const void *a, size_t alen, const void *b,
				  size_t blen);
KTLS_MUST_CHECK int hsd_wire_put(struct hsd_proto_msg *m, uint16_t tag,
				 const void *v, size_t len);
KTLS_MUST_CHECK int hsd_wire_put_u8(struct hsd_proto_msg *m, uint16_t tag,
				    uint8_t v);
KTLS_MUST_CHECK int hsd_wire_put_u16(struct hsd_proto_msg *m, uint16_t tag,
				     uint16_t v);
KTLS_MUST_CHECK int hsd_wire_put_u32(struct hsd_proto_msg *m, uint16_t tag,
				     uint32_t v);
KTLS_MUST_CHECK int hsd_wire_put_u64(struct hsd_proto_msg *m, uint16_t tag,
				     uint64_t v);
/* The string in the array @s of @size bytes, left out when empty: -EINVAL
 * when it has no NUL there or is shorter than @min. */
KTLS_MUST_CHECK int hsd_wire_put_str(struct hsd_proto_msg *m, uint16_t tag,
				     const char *s, size_t size, size_t min);
/* Its length, or -EINVAL (as hsd_wire_put_str() checks). */
ssize_t hsd_wire_str_len(const char *s, size_t size, size_t min);
/* 0 or -1 to -4095. */
bool hsd_wire_status_ok(int32_t status);

/*
 * Reading: hsd_wire_open_msg() checks the header and that the attributes
 * tile the rest; then hsd_wire_next() gives each attribute and the
 * getters check its size and bounds and that it came once.  Each returns
 * 0 (next: 1 with an attribute, 0 at the end) or -EBADMSG with the reason
 * kept in the reader (open: -EPROTONOSUPPORT for another version).
 */
KTLS_MUST_CHECK int hsd_wire_open_msg(struct wire_reader *rd,
				      const uint8_t *buf, size_t len,
				      enum hsd_msg_type *type);
KTLS_MUST_CHECK int hsd_wire_next(struct wire_reader *rd,
				  struct wire_attr *a);
bool hsd_wire_seen(const struct wire_reader *rd, enum hsd_attr tag);
/* Refuse the message: -EBADMSG, @why kept unless a reason came first. */
KTLS_MUST_CHECK int hsd_wire_bad(struct wire_reader *rd, const char *why);
KTLS_MUST_CHECK int hsd_wire_once(struct wire_reader *rd,
				  const struct wire_attr *a);
KTLS_MUST_CHECK int hsd_wire_wrong_size(struct wire_reader *rd);
KTLS_MUST_CHECK int hsd_wire_get_u8(struct wire_reader *rd,
				    const struct wire_attr *a, uint8_t *v);
KTLS_MUST_CHECK int hsd_wire_get_bool(struct wire_reader *rd,
				      const struct wire_attr *a, bool *v);
KTLS_MUST_CHECK int hsd_wire_get_u16(struct wire_reader *rd,
				     const struct wire_attr *a, uint16_t *v);
KTLS_MUST_CHECK int hsd_wire_get_u32(struct wire_reader *rd,
				     const struct wire_attr *a, uint32_t *v);
KTLS_MUST_CHECK int hsd_wire_get_u64(struct wire_reader *rd,
				     const struct wire_attr *a, uint64_t *v);
/* @len bytes at @p as a string of @min to @max bytes into @out. */
KTLS_MUST_CHECK int hsd_wire_copy_str(struct wire_reader *rd,
				      const uint8_t *p, size_t len,
				      size_t min, size_t max, char *out);
KTLS_MUST_CHECK int hsd_wire_get_str(struct wire_reader *rd,
				     const struct wire_attr *a, size_t min,
				     size_t max, char *out);
/* The reason a message was refused, into *@why (if not NULL). */
void hsd_wire_set_why(const char **why, const struct wire_reader *rd);

#endif /* HSD_WIRE_H */
