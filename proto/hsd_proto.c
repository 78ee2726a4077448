// SPDX-License-Identifier: MIT
/*
 * hsd_proto.c - encoding, decoding and moving handshaked's messages (the
 * format is described in hsd_proto.h).  Everything read from a socket is
 * checked here, whole, before anyone looks at it: the callers get structs.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hsd_proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- bytes ------------------------------------------------------------ */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* --- writing ---------------------------------------------------------- */

static void msg_init(struct hsd_proto_msg *m, enum hsd_msg_type type)
{
	put_be32(m->buf, HSD_PROTO_MAGIC);
	put_be16(m->buf + 4, HSD_PROTO_VERSION);
	put_be16(m->buf + 6, (uint16_t)type);
	put_be32(m->buf + 8, 0);
	m->len = HSD_PROTO_HDR;
}

/* An attribute of @len bytes, its value in two pieces (@b may be NULL). */
static int put2(struct hsd_proto_msg *m, uint16_t tag, const void *a,
		size_t alen, const void *b, size_t blen)
{
	size_t len = alen + blen;

	if (len > UINT16_MAX || m->len + 4 + len > sizeof(m->buf))
		return -ENOSPC;
	put_be16(m->buf + m->len, tag);
	put_be16(m->buf + m->len + 2, (uint16_t)len);
	if (alen)
		memcpy(m->buf + m->len + 4, a, alen);
	if (blen)
		memcpy(m->buf + m->len + 4 + alen, b, blen);
	m->len += 4 + len;
	put_be32(m->buf + 8, (uint32_t)(m->len - HSD_PROTO_HDR));
	return 0;
}

static int put(struct hsd_proto_msg *m, uint16_t tag, const void *v,
	       size_t len)
{
	return put2(m, tag, v, len, NULL, 0);
}

static int put_u8(struct hsd_proto_msg *m, uint16_t tag, uint8_t v)
{
	return put(m, tag, &v, 1);
}

static int put_u16(struct hsd_proto_msg *m, uint16_t tag, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	return put(m, tag, b, sizeof(b));
}

static int put_u32(struct hsd_proto_msg *m, uint16_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return put(m, tag, b, sizeof(b));
}

static int put_u64(struct hsd_proto_msg *m, uint16_t tag, uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	return put(m, tag, b, sizeof(b));
}

/*
 * The length of the string in the array @s of @size bytes, or -EINVAL
 * when it has no NUL there or is shorter than @min.
 */
static ssize_t str_len(const char *s, size_t size, size_t min)
{
	size_t n = strnlen(s, size);

	return n == size || n < min ? -EINVAL : (ssize_t)n;
}

/* A string attribute, left out when empty (and @min is 0). */
static int put_str(struct hsd_proto_msg *m, uint16_t tag, const char *s,
		   size_t size, size_t min)
{
	ssize_t n = str_len(s, size, min);

	if (n < 0)
		return (int)n;
	return n ? put(m, tag, s, (size_t)n) : 0;
}

static bool status_ok(int32_t status)
{
	return status <= 0 && status >= -4095;
}

/* --- reading ---------------------------------------------------------- */

struct reader {
	const uint8_t *buf;
	size_t len, off;
	uint64_t seen;			/* tags below 64 met so far */
	const char *why;
};

struct attr {
	uint16_t tag;
	uint16_t len;
	bool again;			/* the tag came before */
	const uint8_t *val;
};

static int bad(struct reader *rd, const char *why)
{
	if (!rd->why)
		rd->why = why;
	return -EBADMSG;
}

/* The next attribute: 1 with *@a set; 0 at the end; -EBADMSG. */
static int next(struct reader *rd, struct attr *a)
{
	size_t o = rd->off;

	if (o == rd->len)
		return 0;
	if (rd->len - o < 4)
		return bad(rd, "an attribute header runs past the end");
	a->tag = get_be16(rd->buf + o);
	a->len = get_be16(rd->buf + o + 2);
	if (rd->len - o - 4 < a->len)
		return bad(rd, "an attribute runs past the end");
	a->val = rd->buf + o + 4;
	a->again = false;
	if (a->tag < 64) {
		a->again = rd->seen & (1ull << a->tag);
		rd->seen |= 1ull << a->tag;
	}
	rd->off = o + 4 + a->len;
	return 1;
}

static bool seen(const struct reader *rd, enum hsd_attr tag)
{
	return rd->seen & (1ull << tag);
}

/*
 * Check the header and that the attributes tile the rest exactly; leave
 * @rd at the first attribute.
 */
static int open_msg(struct reader *rd, const uint8_t *buf, size_t len,
		    enum hsd_msg_type *type)
{
	struct attr a;
	uint16_t t;
	int ret;

	memset(rd, 0, sizeof(*rd));
	rd->buf = buf;
	rd->len = len;
	if (!buf || len < HSD_PROTO_HDR)
		return bad(rd, "shorter than a message header");
	if (len > HSD_PROTO_MAX)
		return bad(rd, "longer than 64 KiB");
	if (get_be32(buf) != HSD_PROTO_MAGIC)
		return bad(rd, "not a handshaked message (bad magic)");
	if (get_be16(buf + 4) != HSD_PROTO_VERSION) {
		rd->why = "unknown protocol version (this side speaks 1)";
		return -EPROTONOSUPPORT;
	}
	t = get_be16(buf + 6);
	if (t < HSD_MSG_HANDSHAKE || t > HSD_MSG_RELOAD)
		return bad(rd, "unknown message type");
	if (get_be32(buf + 8) != len - HSD_PROTO_HDR)
		return bad(rd, "the header's length does not match the message");
	rd->off = HSD_PROTO_HDR;
	while ((ret = next(rd, &a)) > 0)
		;
	if (ret < 0)
		return ret;
	rd->off = HSD_PROTO_HDR;
	rd->seen = 0;
	*type = t;
	return 0;
}

static int once(struct reader *rd, const struct attr *a)
{
	return a->again ? bad(rd, "an attribute appears twice") : 0;
}

static int wrong_size(struct reader *rd)
{
	return bad(rd, "an attribute has the wrong size for its type");
}

static int get_u8(struct reader *rd, const struct attr *a, uint8_t *v)
{
	if (once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 1)
		return wrong_size(rd);
	*v = a->val[0];
	return 0;
}

static int get_bool(struct reader *rd, const struct attr *a, bool *v)
{
	uint8_t u;

	if (get_u8(rd, a, &u) < 0)
		return -EBADMSG;
	if (u > 1)
		return bad(rd, "a flag is neither 0 nor 1");
	*v = u;
	return 0;
}

static int get_u16(struct reader *rd, const struct attr *a, uint16_t *v)
{
	if (once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 2)
		return wrong_size(rd);
	*v = get_be16(a->val);
	return 0;
}

static int get_u32(struct reader *rd, const struct attr *a, uint32_t *v)
{
	if (once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 4)
		return wrong_size(rd);
	*v = get_be32(a->val);
	return 0;
}

static int get_u64(struct reader *rd, const struct attr *a, uint64_t *v)
{
	if (once(rd, a) < 0)
		return -EBADMSG;
	if (a->len != 8)
		return wrong_size(rd);
	*v = get_be64(a->val);
	return 0;
}

/* @len bytes at @p as a string of @min to @max bytes into @out. */
static int copy_str(struct reader *rd, const uint8_t *p, size_t len,
		    size_t min, size_t max, char *out)
{
	if (len > max)
		return bad(rd, "a string is longer than its bound");
	if (len < min)
		return bad(rd, "a string is empty or too short");
	if (memchr(p, '\0', len))
		return bad(rd, "a string holds a NUL");
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int get_str(struct reader *rd, const struct attr *a, size_t min,
		   size_t max, char *out)
{
	if (once(rd, a) < 0)
		return -EBADMSG;
	return copy_str(rd, a->val, a->len, min, max, out);
}

static void set_why(const char **why, const struct reader *rd)
{
	if (why)
		*why = rd->why ? rd->why : "malformed message";
}

/* --- requests --------------------------------------------------------- */

int hsd_proto_encode_request(struct hsd_proto_msg *m,
			     const struct hsd_proto_request *r)
{
	const struct hsd_proto_handshake *h = &r->hs;
	int ret;

	switch (r->type) {
	case HSD_MSG_HANDSHAKE:
		if (h->role != KTLS_ROLE_CLIENT && h->role != KTLS_ROLE_SERVER)
			return -EINVAL;
		msg_init(m, r->type);
		ret = put_u8(m, HSD_A_ROLE, h->role) ?:
		      put_str(m, HSD_A_PROFILE, h->profile,
			      sizeof(h->profile), 1) ?:
		      put_str(m, HSD_A_PEER_NAME, h->peer_name,
			      sizeof(h->peer_name), 0) ?:
		      put_str(m, HSD_A_ALPN, h->alpn, sizeof(h->alpn), 0);
		if (!ret && h->timeout_ms)
			ret = put_u32(m, HSD_A_TIMEOUT_MS, h->timeout_ms);
		return ret;
	case HSD_MSG_COUNTERS:
	case HSD_MSG_STATUS:
	case HSD_MSG_RELOAD:
		msg_init(m, r->type);
		return 0;
	case HSD_MSG_RESULT:
	default:
		return -EINVAL;
	}
}

static int handshake_attr(struct reader *rd, const struct attr *a,
			  struct hsd_proto_handshake *h)
{
	switch (a->tag) {
	case HSD_A_ROLE:
		if (get_u8(rd, a, &h->role) < 0)
			return -EBADMSG;
		if (h->role != KTLS_ROLE_CLIENT && h->role != KTLS_ROLE_SERVER)
			return bad(rd, "the role is neither client (1) nor "
				   "server (2)");
		return 0;
	case HSD_A_PROFILE:
		if (a->len == 0 || a->len > HSD_PROTO_NAME_MAX)
			return once(rd, a) ?: bad(rd, "the profile name is "
						  "not 1 to 63 bytes");
		return get_str(rd, a, 1, HSD_PROTO_NAME_MAX, h->profile);
	case HSD_A_PEER_NAME:
		return get_str(rd, a, 0, HSD_PROTO_STR_MAX, h->peer_name);
	case HSD_A_ALPN:
		return get_str(rd, a, 0, HSD_PROTO_STR_MAX, h->alpn);
	case HSD_A_TIMEOUT_MS:
		return get_u32(rd, a, &h->timeout_ms);
	default:
		return 0;		/* a newer client's: skipped */
	}
}

int hsd_proto_decode_request(const uint8_t *buf, size_t len, int nfds,
			     struct hsd_proto_request *r, const char **why)
{
	enum hsd_msg_type type = HSD_MSG_RESULT;
	struct reader rd;
	struct attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = open_msg(&rd, buf, len, &type);
	if (!ret && type == HSD_MSG_RESULT)
		ret = bad(&rd, "a reply where a request belongs");
	while (!ret && (ret = next(&rd, &a)) > 0)
		ret = type == HSD_MSG_HANDSHAKE ?
		      handshake_attr(&rd, &a, &r->hs) : 0;
	if (ret == 0 && type == HSD_MSG_HANDSHAKE) {
		if (!seen(&rd, HSD_A_ROLE))
			ret = bad(&rd, "the request names no role (client or "
				  "server)");
		else if (!seen(&rd, HSD_A_PROFILE))
			ret = bad(&rd, "the request names no profile");
		else if (nfds > 1)
			ret = bad(&rd, "a request carries one fd at most");
		else if (nfds < 1) {
			rd.why = "the request carries no socket (SCM_RIGHTS)";
			ret = -EBADF;
		}
	} else if (ret == 0 && nfds != 0) {
		ret = bad(&rd, "only a handshake request carries an fd");
	}
	if (ret < 0) {
		memset(r, 0, sizeof(*r));
		set_why(why, &rd);
		return ret;
	}
	r->type = type;
	return 0;
}

/* --- replies ---------------------------------------------------------- */

static int reply_start(struct hsd_proto_msg *m,
		       const struct hsd_proto_reply *r)
{
	if (!status_ok(r->status))
		return -EINVAL;
	msg_init(m, HSD_MSG_RESULT);
	return put_u32(m, HSD_A_STATUS, (uint32_t)r->status) ?:
	       put_str(m, HSD_A_ERRSTR, r->errstr, sizeof(r->errstr), 0);
}

/* Open a reply; the caller walks its attributes with reply_attr(). */
static int reply_open(struct reader *rd, const uint8_t *buf, size_t len)
{
	enum hsd_msg_type type;
	int ret = open_msg(rd, buf, len, &type);

	if (ret < 0)
		return ret;
	return type == HSD_MSG_RESULT ? 0 :
	       bad(rd, "a request where a reply belongs");
}

/* Status and sentence: 1 if @a was one of them, 0 if not, -EBADMSG. */
static int reply_attr(struct reader *rd, const struct attr *a,
		      struct hsd_proto_reply *r)
{
	uint32_t u;

	switch (a->tag) {
	case HSD_A_STATUS:
		if (get_u32(rd, a, &u) < 0)
			return -EBADMSG;
		r->status = (int32_t)u;
		if (!status_ok(r->status))
			return bad(rd, "the status is not 0 or -errno");
		return 1;
	case HSD_A_ERRSTR:
		return get_str(rd, a, 0, HSD_PROTO_ERRSTR_MAX, r->errstr) ?: 1;
	default:
		return 0;
	}
}

static int reply_close(struct reader *rd, int ret, const char **why)
{
	if (ret == 0 && !seen(rd, HSD_A_STATUS))
		ret = bad(rd, "the reply has no status");
	if (ret < 0)
		set_why(why, rd);
	return ret;
}

int hsd_proto_encode_reply(struct hsd_proto_msg *m,
			   const struct hsd_proto_reply *r)
{
	return reply_start(m, r);
}

int hsd_proto_decode_reply(const uint8_t *buf, size_t len,
			   struct hsd_proto_reply *r, const char **why)
{
	struct reader rd;
	struct attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = next(&rd, &a)) > 0)
		ret = reply_attr(&rd, &a, r) < 0 ? -EBADMSG : 0;
	ret = reply_close(&rd, ret, why);
	if (ret < 0)
		memset(r, 0, sizeof(*r));
	return ret;
}

int hsd_proto_encode_result(struct hsd_proto_msg *m,
			    const struct hsd_proto_result *r)
{
	unsigned int i;
	int ret;

	if (r->n_certs > HSD_PROTO_CERTS_MAX)
		return -EINVAL;
	ret = reply_start(m, &r->r) ?:
	      put_u8(m, HSD_A_VERIFY_RESULT, r->verify_result) ?:
	      put_u16(m, HSD_A_ALERT, (uint16_t)r->alert);
	if (ret || r->r.status != 0)
		return ret;
	ret = put_u16(m, HSD_A_VERSION, r->version) ?:
	      put_u16(m, HSD_A_CIPHER, r->cipher) ?:
	      put_u8(m, HSD_A_RESUMED, r->resumed) ?:
	      put_u8(m, HSD_A_TX_OFFLOADED, r->tx_offloaded) ?:
	      put_u8(m, HSD_A_RX_OFFLOADED, r->rx_offloaded) ?:
	      put_str(m, HSD_A_ALPN_CHOSEN, r->alpn, sizeof(r->alpn), 0);
	/* The chain, as much of it as fits. */
	for (i = 0; !ret && i < r->n_certs; i++)
		if (put(m, HSD_A_PEER_CERT, r->certs[i].der,
			r->certs[i].len) < 0)
			break;
	return ret;
}

static int result_attr(struct reader *rd, const struct attr *a,
		       struct hsd_proto_result *r)
{
	uint16_t u16;

	switch (a->tag) {
	case HSD_A_VERSION:
		return get_u16(rd, a, &r->version);
	case HSD_A_CIPHER:
		return get_u16(rd, a, &r->cipher);
	case HSD_A_ALPN_CHOSEN:
		return get_str(rd, a, 0, HSD_PROTO_STR_MAX, r->alpn);
	case HSD_A_RESUMED:
		return get_bool(rd, a, &r->resumed);
	case HSD_A_PEER_CERT:
		if (r->n_certs == HSD_PROTO_CERTS_MAX)
			return bad(rd, "more than 16 peer certificates");
		if (a->len == 0)
			return bad(rd, "an empty peer certificate");
		r->certs[r->n_certs].der = a->val;
		r->certs[r->n_certs++].len = a->len;
		return 0;
	case HSD_A_VERIFY_RESULT:
		return get_u8(rd, a, &r->verify_result);
	case HSD_A_ALERT:
		if (get_u16(rd, a, &u16) < 0)
			return -EBADMSG;
		r->alert = (int16_t)u16;
		if (r->alert < -1 || r->alert > 255)
			return bad(rd, "the alert is not -1 or 0 to 255");
		return 0;
	case HSD_A_TX_OFFLOADED:
		return get_bool(rd, a, &r->tx_offloaded);
	case HSD_A_RX_OFFLOADED:
		return get_bool(rd, a, &r->rx_offloaded);
	default:
		return 0;
	}
}

int hsd_proto_decode_result(const uint8_t *buf, size_t len,
			    struct hsd_proto_result *r, const char **why)
{
	struct reader rd;
	struct attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	r->alert = -1;
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = next(&rd, &a)) > 0) {
		ret = reply_attr(&rd, &a, &r->r);
		if (ret == 0)
			ret = result_attr(&rd, &a, r);
		else if (ret > 0)
			ret = 0;
	}
	if (ret == 0 && seen(&rd, HSD_A_STATUS) && r->r.status == 0 &&
	    (!seen(&rd, HSD_A_VERSION) || !seen(&rd, HSD_A_CIPHER) ||
	     !seen(&rd, HSD_A_TX_OFFLOADED) || !seen(&rd, HSD_A_RX_OFFLOADED)))
		ret = bad(&rd, "a successful result without its version, "
			  "cipher or offload flags");
	ret = reply_close(&rd, ret, why);
	if (ret < 0) {
		memset(r, 0, sizeof(*r));
		r->alert = -1;
	}
	return ret;
}

/* --- counters --------------------------------------------------------- */

int hsd_proto_encode_counters(struct hsd_proto_msg *m,
			      const struct hsd_proto_counters *c)
{
	unsigned int i;
	int ret;

	if (c->n > HSD_PROTO_COUNTERS_MAX)
		return -EINVAL;
	ret = reply_start(m, &c->r);
	for (i = 0; !ret && i < c->n; i++) {
		ssize_t n = str_len(c->c[i].name, sizeof(c->c[i].name), 1);
		uint8_t v[8];

		if (n < 0)
			return (int)n;
		put_be64(v, c->c[i].value);
		ret = put2(m, HSD_A_COUNTER, v, sizeof(v), c->c[i].name,
			   (size_t)n);
	}
	return ret;
}

static int counter_attr(struct reader *rd, const struct attr *a,
			struct hsd_proto_counters *c)
{
	struct hsd_proto_counter *e = &c->c[c->n];

	if (a->tag != HSD_A_COUNTER)
		return 0;
	if (c->n == HSD_PROTO_COUNTERS_MAX)
		return bad(rd, "more than 64 counters");
	if (a->len < 8)
		return wrong_size(rd);
	e->value = get_be64(a->val);
	if (copy_str(rd, a->val + 8, a->len - 8u, 1,
		     HSD_PROTO_COUNTER_NAME_MAX, e->name) < 0)
		return -EBADMSG;
	c->n++;
	return 0;
}

int hsd_proto_decode_counters(const uint8_t *buf, size_t len,
			      struct hsd_proto_counters *c, const char **why)
{
	struct reader rd;
	struct attr a;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = next(&rd, &a)) > 0) {
		ret = reply_attr(&rd, &a, &c->r);
		if (ret == 0)
			ret = counter_attr(&rd, &a, c);
		else if (ret > 0)
			ret = 0;
	}
	ret = reply_close(&rd, ret, why);
	if (ret < 0)
		memset(c, 0, sizeof(*c));
	return ret;
}

/* --- status ----------------------------------------------------------- */

/* u8 roles, u16 min, u16 max, u8 name length, name, ciphers */
#define PROFILE_FIXED 6

static int put_profile(struct hsd_proto_msg *m,
		       const struct hsd_proto_profile *p)
{
	uint8_t v[PROFILE_FIXED + HSD_PROTO_NAME_MAX];
	ssize_t n = str_len(p->name, sizeof(p->name), 1),
		c = str_len(p->ciphers, sizeof(p->ciphers), 0);

	if (n < 0 || c < 0)
		return -EINVAL;
	v[0] = p->roles;
	put_be16(v + 1, p->min_version);
	put_be16(v + 3, p->max_version);
	v[5] = (uint8_t)n;
	memcpy(v + PROFILE_FIXED, p->name, (size_t)n);
	return put2(m, HSD_A_PROFILE_INFO, v, PROFILE_FIXED + (size_t)n,
		    p->ciphers, (size_t)c);
}

int hsd_proto_encode_status(struct hsd_proto_msg *m,
			    const struct hsd_proto_status *s)
{
	unsigned int i;
	int ret;

	if (s->n_profiles > HSD_PROTO_PROFILES_MAX)
		return -EINVAL;
	ret = reply_start(m, &s->r);
	if (ret || s->r.status != 0)
		return ret;
	ret = put_str(m, HSD_A_CONFIG_PATH, s->config_path,
		      sizeof(s->config_path), 1) ?:
	      put_str(m, HSD_A_DAEMON_VERSION, s->version, sizeof(s->version),
		      0) ?:
	      put_u32(m, HSD_A_PID, s->pid) ?:
	      put_u64(m, HSD_A_UPTIME_S, s->uptime_s) ?:
	      put_u32(m, HSD_A_WORKERS, s->workers) ?:
	      put_u8(m, HSD_A_KTLS_USABLE, s->ktls_usable) ?:
	      put_str(m, HSD_A_KTLS_REASON, s->ktls_reason,
		      sizeof(s->ktls_reason), 0) ?:
	      put_u32(m, HSD_A_PROFILES_TOTAL, s->profiles_total);
	for (i = 0; !ret && i < s->n_profiles; i++)
		ret = put_profile(m, &s->profiles[i]);
	return ret;
}

static int profile_attr(struct reader *rd, const struct attr *a,
			struct hsd_proto_status *s)
{
	struct hsd_proto_profile *p = &s->profiles[s->n_profiles];
	size_t n;

	if (s->n_profiles == HSD_PROTO_PROFILES_MAX)
		return bad(rd, "more than 64 profiles");
	if (a->len < PROFILE_FIXED)
		return wrong_size(rd);
	n = a->val[5];
	if (a->len < PROFILE_FIXED + n)
		return bad(rd, "a profile's name runs past its attribute");
	p->roles = a->val[0];
	p->min_version = get_be16(a->val + 1);
	p->max_version = get_be16(a->val + 3);
	if (copy_str(rd, a->val + PROFILE_FIXED, n, 1, HSD_PROTO_NAME_MAX,
		     p->name) < 0 ||
	    copy_str(rd, a->val + PROFILE_FIXED + n,
		     a->len - PROFILE_FIXED - n, 0, HSD_PROTO_STR_MAX,
		     p->ciphers) < 0)
		return -EBADMSG;
	s->n_profiles++;
	return 0;
}

static int status_attr(struct reader *rd, const struct attr *a,
		       struct hsd_proto_status *s)
{
	switch (a->tag) {
	case HSD_A_CONFIG_PATH:
		return get_str(rd, a, 1, HSD_PROTO_PATH_MAX, s->config_path);
	case HSD_A_DAEMON_VERSION:
		return get_str(rd, a, 0, HSD_PROTO_STR_MAX, s->version);
	case HSD_A_PID:
		return get_u32(rd, a, &s->pid);
	case HSD_A_UPTIME_S:
		return get_u64(rd, a, &s->uptime_s);
	case HSD_A_WORKERS:
		return get_u32(rd, a, &s->workers);
	case HSD_A_KTLS_USABLE:
		return get_bool(rd, a, &s->ktls_usable);
	case HSD_A_KTLS_REASON:
		return get_str(rd, a, 0, HSD_PROTO_STR_MAX, s->ktls_reason);
	case HSD_A_PROFILES_TOTAL:
		return get_u32(rd, a, &s->profiles_total);
	case HSD_A_PROFILE_INFO:
		return profile_attr(rd, a, s);
	default:
		return 0;
	}
}

int hsd_proto_decode_status(const uint8_t *buf, size_t len,
			    struct hsd_proto_status *s, const char **why)
{
	static const enum hsd_attr required[] = {
		HSD_A_CONFIG_PATH, HSD_A_PID, HSD_A_UPTIME_S, HSD_A_WORKERS,
		HSD_A_KTLS_USABLE,
	};
	struct reader rd;
	struct attr a;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = next(&rd, &a)) > 0) {
		ret = reply_attr(&rd, &a, &s->r);
		if (ret == 0)
			ret = status_attr(&rd, &a, s);
		else if (ret > 0)
			ret = 0;
	}
	for (i = 0; ret == 0 && seen(&rd, HSD_A_STATUS) && s->r.status == 0 &&
	     i < ARRAY_SIZE(required); i++)
		if (!seen(&rd, required[i]))
			ret = bad(&rd, "a status reply without its path, pid, "
				  "uptime, workers or kTLS flag");
	if (ret == 0 && s->profiles_total < s->n_profiles)
		ret = bad(&rd, "more profiles listed than the total");
	ret = reply_close(&rd, ret, why);
	if (ret < 0)
		memset(s, 0, sizeof(*s));
	return ret;
}

/* --- the socket ------------------------------------------------------- */

int hsd_proto_send(int sock, const struct hsd_proto_msg *m, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m->buf, .iov_len = m->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == m->len ? 0 : -EIO;
}

ssize_t hsd_proto_recv(int sock, uint8_t *buf, size_t size, int *fdp)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int nfds = 0, fd = -1;
	bool bad_msg = false;
	ssize_t n;

	*fdp = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t i, k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(f));
			if (nfds++ == 0) {
				fd = f;
			} else {
				close(f);
				bad_msg = true;
			}
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad_msg = true;
	/* A zero-length message reads as end of stream: no caller owns an
	 * fd that came with it. */
	if (n == 0 && fd >= 0) {
		close(fd);
		fd = -1;
	}
	if (bad_msg) {
		if (fd >= 0)
			close(fd);
		return -EBADMSG;
	}
	*fdp = fd;
	return n;
}
