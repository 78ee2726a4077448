// SPDX-License-Identifier: MIT
/*
 * hsd_proto.c - handshaked's messages (described in hsd_proto.h): an
 * encoder and a decoder for each, on the framing of hsd_wire.c.  Every
 * decoder checks the whole message before the caller sees a field.
 */
#include <errno.h>
#include <string.h>

#include "hsd_wire.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
		hsd_wire_msg_init(m, r->type);
		ret = hsd_wire_put_u8(m, HSD_A_ROLE, h->role) ?:
		      hsd_wire_put_str(m, HSD_A_PROFILE, h->profile,
				       sizeof(h->profile), 1) ?:
		      hsd_wire_put_str(m, HSD_A_PEER_NAME, h->peer_name,
				       sizeof(h->peer_name), 0) ?:
		      hsd_wire_put_str(m, HSD_A_ALPN, h->alpn,
				       sizeof(h->alpn), 0);
		if (!ret && h->timeout_ms)
			ret = hsd_wire_put_u32(m, HSD_A_TIMEOUT_MS,
					       h->timeout_ms);
		return ret;
	case HSD_MSG_COUNTERS:
	case HSD_MSG_STATUS:
	case HSD_MSG_RELOAD:
		hsd_wire_msg_init(m, r->type);
		return 0;
	case HSD_MSG_RESULT:
	default:
		return -EINVAL;
	}
}

static int handshake_attr(struct wire_reader *rd, const struct wire_attr *a,
			  struct hsd_proto_handshake *h)
{
	switch (a->tag) {
	case HSD_A_ROLE:
		if (hsd_wire_get_u8(rd, a, &h->role) < 0)
			return -EBADMSG;
		if (h->role != KTLS_ROLE_CLIENT && h->role != KTLS_ROLE_SERVER)
			return hsd_wire_bad(rd, "the role is neither client "
					    "(1) nor server (2)");
		return 0;
	case HSD_A_PROFILE:
		if (a->len == 0 || a->len > HSD_PROTO_NAME_MAX)
			return hsd_wire_once(rd, a) ?:
			       hsd_wire_bad(rd, "the profile name is not 1 to "
					    "63 bytes");
		return hsd_wire_get_str(rd, a, 1, HSD_PROTO_NAME_MAX,
					h->profile);
	case HSD_A_PEER_NAME:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_STR_MAX,
					h->peer_name);
	case HSD_A_ALPN:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_STR_MAX, h->alpn);
	case HSD_A_TIMEOUT_MS:
		return hsd_wire_get_u32(rd, a, &h->timeout_ms);
	default:
		return 0;		/* a newer client's: skipped */
	}
}

int hsd_proto_decode_request(const uint8_t *buf, size_t len, int nfds,
			     struct hsd_proto_request *r, const char **why)
{
	enum hsd_msg_type type = HSD_MSG_RESULT;
	struct wire_reader rd;
	struct wire_attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = hsd_wire_open_msg(&rd, buf, len, &type);
	if (!ret && type == HSD_MSG_RESULT)
		ret = hsd_wire_bad(&rd, "a reply where a request belongs");
	while (!ret && (ret = hsd_wire_next(&rd, &a)) > 0)
		ret = type == HSD_MSG_HANDSHAKE ?
		      handshake_attr(&rd, &a, &r->hs) : 0;
	if (ret == 0 && type == HSD_MSG_HANDSHAKE) {
		if (!hsd_wire_seen(&rd, HSD_A_ROLE))
			ret = hsd_wire_bad(&rd, "the request names no role "
					   "(client or server)");
		else if (!hsd_wire_seen(&rd, HSD_A_PROFILE))
			ret = hsd_wire_bad(&rd, "the request names no profile");
		else if (nfds > 1)
			ret = hsd_wire_bad(&rd, "a request carries one fd at "
					   "most");
		else if (nfds < 1) {
			rd.why = "the request carries no socket (SCM_RIGHTS)";
			ret = -EBADF;
		}
	} else if (ret == 0 && nfds != 0) {
		ret = hsd_wire_bad(&rd, "only a handshake request carries an "
				   "fd");
	}
	if (ret < 0) {
		memset(r, 0, sizeof(*r));
		hsd_wire_set_why(why, &rd);
		return ret;
	}
	r->type = type;
	return 0;
}

/* --- replies ---------------------------------------------------------- */

static int reply_start(struct hsd_proto_msg *m,
		       const struct hsd_proto_reply *r)
{
	if (!hsd_wire_status_ok(r->status))
		return -EINVAL;
	hsd_wire_msg_init(m, HSD_MSG_RESULT);
	return hsd_wire_put_u32(m, HSD_A_STATUS, (uint32_t)r->status) ?:
	       hsd_wire_put_str(m, HSD_A_ERRSTR, r->errstr,
				sizeof(r->errstr), 0);
}

/* Open a reply; the caller walks its attributes with reply_attr(). */
static int reply_open(struct wire_reader *rd, const uint8_t *buf, size_t len)
{
	enum hsd_msg_type type;
	int ret = hsd_wire_open_msg(rd, buf, len, &type);

	if (ret < 0)
		return ret;
	return type == HSD_MSG_RESULT ? 0 :
	       hsd_wire_bad(rd, "a request where a reply belongs");
}

/* Status and sentence: 1 if @a was one of them, 0 if not, -EBADMSG. */
static int reply_attr(struct wire_reader *rd, const struct wire_attr *a,
		      struct hsd_proto_reply *r)
{
	uint32_t u;

	switch (a->tag) {
	case HSD_A_STATUS:
		if (hsd_wire_get_u32(rd, a, &u) < 0)
			return -EBADMSG;
		r->status = (int32_t)u;
		if (!hsd_wire_status_ok(r->status))
			return hsd_wire_bad(rd, "the status is not 0 or "
					    "-errno");
		return 1;
	case HSD_A_ERRSTR:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_ERRSTR_MAX,
					r->errstr) ?: 1;
	default:
		return 0;
	}
}

static int reply_close(struct wire_reader *rd, int ret, const char **why)
{
	if (ret == 0 && !hsd_wire_seen(rd, HSD_A_STATUS))
		ret = hsd_wire_bad(rd, "the reply has no status");
	if (ret < 0)
		hsd_wire_set_why(why, rd);
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
	struct wire_reader rd;
	struct wire_attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = hsd_wire_next(&rd, &a)) > 0)
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
	      hsd_wire_put_u8(m, HSD_A_VERIFY_RESULT, r->verify_result) ?:
	      hsd_wire_put_u16(m, HSD_A_ALERT, (uint16_t)r->alert);
	if (ret || r->r.status != 0)
		return ret;
	ret = hsd_wire_put_u16(m, HSD_A_VERSION, r->version) ?:
	      hsd_wire_put_u16(m, HSD_A_CIPHER, r->cipher) ?:
	      hsd_wire_put_u8(m, HSD_A_RESUMED, r->resumed) ?:
	      hsd_wire_put_u8(m, HSD_A_TX_OFFLOADED, r->tx_offloaded) ?:
	      hsd_wire_put_u8(m, HSD_A_RX_OFFLOADED, r->rx_offloaded) ?:
	      hsd_wire_put_str(m, HSD_A_ALPN_CHOSEN, r->alpn,
			       sizeof(r->alpn), 0);
	/* The chain, as much of it as fits. */
	for (i = 0; !ret && i < r->n_certs; i++)
		if (hsd_wire_put(m, HSD_A_PEER_CERT, r->certs[i].der,
				 r->certs[i].len) < 0)
			break;
	return ret;
}

static int result_attr(struct wire_reader *rd, const struct wire_attr *a,
		       struct hsd_proto_result *r)
{
	uint16_t u16;

	switch (a->tag) {
	case HSD_A_VERSION:
		return hsd_wire_get_u16(rd, a, &r->version);
	case HSD_A_CIPHER:
		return hsd_wire_get_u16(rd, a, &r->cipher);
	case HSD_A_ALPN_CHOSEN:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_STR_MAX, r->alpn);
	case HSD_A_RESUMED:
		return hsd_wire_get_bool(rd, a, &r->resumed);
	case HSD_A_PEER_CERT:
		if (r->n_certs == HSD_PROTO_CERTS_MAX)
			return hsd_wire_bad(rd, "more than 16 peer "
					    "certificates");
		if (a->len == 0)
			return hsd_wire_bad(rd, "an empty peer certificate");
		r->certs[r->n_certs].der = a->val;
		r->certs[r->n_certs++].len = a->len;
		return 0;
	case HSD_A_VERIFY_RESULT:
		return hsd_wire_get_u8(rd, a, &r->verify_result);
	case HSD_A_ALERT:
		if (hsd_wire_get_u16(rd, a, &u16) < 0)
			return -EBADMSG;
		r->alert = (int16_t)u16;
		if (r->alert < -1 || r->alert > 255)
			return hsd_wire_bad(rd, "the alert is not -1 or 0 to "
					    "255");
		return 0;
	case HSD_A_TX_OFFLOADED:
		return hsd_wire_get_bool(rd, a, &r->tx_offloaded);
	case HSD_A_RX_OFFLOADED:
		return hsd_wire_get_bool(rd, a, &r->rx_offloaded);
	default:
		return 0;
	}
}

int hsd_proto_decode_result(const uint8_t *buf, size_t len,
			    struct hsd_proto_result *r, const char **why)
{
	struct wire_reader rd;
	struct wire_attr a;
	int ret;

	memset(r, 0, sizeof(*r));
	r->alert = -1;
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = hsd_wire_next(&rd, &a)) > 0) {
		ret = reply_attr(&rd, &a, &r->r);
		if (ret == 0)
			ret = result_attr(&rd, &a, r);
		else if (ret > 0)
			ret = 0;
	}
	if (ret == 0 && hsd_wire_seen(&rd, HSD_A_STATUS) && r->r.status == 0 &&
	    (!hsd_wire_seen(&rd, HSD_A_VERSION) ||
	     !hsd_wire_seen(&rd, HSD_A_CIPHER) ||
	     !hsd_wire_seen(&rd, HSD_A_TX_OFFLOADED) ||
	     !hsd_wire_seen(&rd, HSD_A_RX_OFFLOADED)))
		ret = hsd_wire_bad(&rd, "a successful result without its "
				   "version, cipher or offload flags");
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
		const struct hsd_proto_counter *e = &c->c[i];
		ssize_t n = hsd_wire_str_len(e->name, sizeof(e->name), 1);
		uint8_t v[8];

		if (n < 0)
			return (int)n;
		put_be64(v, e->value);
		ret = hsd_wire_put2(m, HSD_A_COUNTER, v, sizeof(v), e->name,
				    (size_t)n);
	}
	return ret;
}

static int counter_attr(struct wire_reader *rd, const struct wire_attr *a,
			struct hsd_proto_counters *c)
{
	struct hsd_proto_counter *e = &c->c[c->n];

	if (a->tag != HSD_A_COUNTER)
		return 0;
	if (c->n == HSD_PROTO_COUNTERS_MAX)
		return hsd_wire_bad(rd, "more than 64 counters");
	if (a->len < 8)
		return hsd_wire_wrong_size(rd);
	e->value = get_be64(a->val);
	if (hsd_wire_copy_str(rd, a->val + 8, a->len - 8u, 1,
			      HSD_PROTO_COUNTER_NAME_MAX, e->name) < 0)
		return -EBADMSG;
	c->n++;
	return 0;
}

int hsd_proto_decode_counters(const uint8_t *buf, size_t len,
			      struct hsd_proto_counters *c, const char **why)
{
	struct wire_reader rd;
	struct wire_attr a;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = hsd_wire_next(&rd, &a)) > 0) {
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
	ssize_t n = hsd_wire_str_len(p->name, sizeof(p->name), 1),
		c = hsd_wire_str_len(p->ciphers, sizeof(p->ciphers), 0);

	if (n < 0 || c < 0)
		return -EINVAL;
	v[0] = p->roles;
	put_be16(v + 1, p->min_version);
	put_be16(v + 3, p->max_version);
	v[5] = (uint8_t)n;
	memcpy(v + PROFILE_FIXED, p->name, (size_t)n);
	return hsd_wire_put2(m, HSD_A_PROFILE_INFO, v,
			     PROFILE_FIXED + (size_t)n, p->ciphers, (size_t)c);
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
	ret = hsd_wire_put_str(m, HSD_A_CONFIG_PATH, s->config_path,
			       sizeof(s->config_path), 1) ?:
	      hsd_wire_put_str(m, HSD_A_DAEMON_VERSION, s->version,
			       sizeof(s->version), 0) ?:
	      hsd_wire_put_u32(m, HSD_A_PID, s->pid) ?:
	      hsd_wire_put_u64(m, HSD_A_UPTIME_S, s->uptime_s) ?:
	      hsd_wire_put_u32(m, HSD_A_WORKERS, s->workers) ?:
	      hsd_wire_put_u8(m, HSD_A_KTLS_USABLE, s->ktls_usable) ?:
	      hsd_wire_put_str(m, HSD_A_KTLS_REASON, s->ktls_reason,
			       sizeof(s->ktls_reason), 0) ?:
	      hsd_wire_put_u32(m, HSD_A_PROFILES_TOTAL, s->profiles_total);
	if (!ret && s->kernel_agent)
		ret = hsd_wire_put_u8(m, HSD_A_KERNEL_AGENT, 1) ?:
		      hsd_wire_put_str(m, HSD_A_KERNEL_CLIENT,
				       s->kernel_client,
				       sizeof(s->kernel_client), 0) ?:
		      hsd_wire_put_str(m, HSD_A_KERNEL_SERVER,
				       s->kernel_server,
				       sizeof(s->kernel_server), 0);
	for (i = 0; !ret && i < s->n_profiles; i++)
		ret = put_profile(m, &s->profiles[i]);
	return ret;
}

static int profile_attr(struct wire_reader *rd, const struct wire_attr *a,
			struct hsd_proto_status *s)
{
	struct hsd_proto_profile *p = &s->profiles[s->n_profiles];
	size_t n;

	if (s->n_profiles == HSD_PROTO_PROFILES_MAX)
		return hsd_wire_bad(rd, "more than 64 profiles");
	if (a->len < PROFILE_FIXED)
		return hsd_wire_wrong_size(rd);
	n = a->val[5];
	if (a->len < PROFILE_FIXED + n)
		return hsd_wire_bad(rd, "a profile's name runs past its "
				    "attribute");
	p->roles = a->val[0];
	p->min_version = get_be16(a->val + 1);
	p->max_version = get_be16(a->val + 3);
	if (hsd_wire_copy_str(rd, a->val + PROFILE_FIXED, n, 1,
			      HSD_PROTO_NAME_MAX, p->name) < 0 ||
	    hsd_wire_copy_str(rd, a->val + PROFILE_FIXED + n,
			      a->len - PROFILE_FIXED - n, 0, HSD_PROTO_STR_MAX,
			      p->ciphers) < 0)
		return -EBADMSG;
	s->n_profiles++;
	return 0;
}

static int status_attr(struct wire_reader *rd, const struct wire_attr *a,
		       struct hsd_proto_status *s)
{
	switch (a->tag) {
	case HSD_A_CONFIG_PATH:
		return hsd_wire_get_str(rd, a, 1, HSD_PROTO_PATH_MAX,
					s->config_path);
	case HSD_A_DAEMON_VERSION:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_STR_MAX,
					s->version);
	case HSD_A_PID:
		return hsd_wire_get_u32(rd, a, &s->pid);
	case HSD_A_UPTIME_S:
		return hsd_wire_get_u64(rd, a, &s->uptime_s);
	case HSD_A_WORKERS:
		return hsd_wire_get_u32(rd, a, &s->workers);
	case HSD_A_KTLS_USABLE:
		return hsd_wire_get_bool(rd, a, &s->ktls_usable);
	case HSD_A_KTLS_REASON:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_STR_MAX,
					s->ktls_reason);
	case HSD_A_PROFILES_TOTAL:
		return hsd_wire_get_u32(rd, a, &s->profiles_total);
	case HSD_A_PROFILE_INFO:
		return profile_attr(rd, a, s);
	case HSD_A_KERNEL_AGENT:
		return hsd_wire_get_bool(rd, a, &s->kernel_agent);
	case HSD_A_KERNEL_CLIENT:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_NAME_MAX,
					s->kernel_client);
	case HSD_A_KERNEL_SERVER:
		return hsd_wire_get_str(rd, a, 0, HSD_PROTO_NAME_MAX,
					s->kernel_server);
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
	struct wire_reader rd;
	struct wire_attr a;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = reply_open(&rd, buf, len);
	while (!ret && (ret = hsd_wire_next(&rd, &a)) > 0) {
		ret = reply_attr(&rd, &a, &s->r);
		if (ret == 0)
			ret = status_attr(&rd, &a, s);
		else if (ret > 0)
			ret = 0;
	}
	for (i = 0; ret == 0 && s->r.status == 0 &&
	     hsd_wire_seen(&rd, HSD_A_STATUS) && i < ARRAY_SIZE(required); i++)
		if (!hsd_wire_seen(&rd, required[i]))
			ret = hsd_wire_bad(&rd, "a status reply without its "
					   "path, pid, uptime, workers or "
					   "kTLS flag");
	if (ret == 0 && s->profiles_total < s->n_profiles)
		ret = hsd_wire_bad(&rd, "more profiles listed than the total");
	ret = reply_close(&rd, ret, why);
	if (ret < 0)
		memset(s, 0, sizeof(*s));
	return ret;
}

