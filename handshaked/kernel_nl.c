// SPDX-License-Identifier: MIT
/*
 * kernel_nl.c - the "handshake" netlink family's messages, as the kernel
 * agent reads and writes them (kernel_nl.h).  The kernel is trusted to
 * be the kernel, but what it sends is still checked like any input: a
 * reply this code does not understand fails one request with a reason,
 * never the daemon.  Buffers are netlink messages as recv() put them:
 * 4-byte aligned.
 */
#include <errno.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kernel_nl.h"

/*
 * Exact sizes: libnl checks a minimum unless maxlen is given too.  The
 * peer name: a NUL-terminated string of at most HSD_KNL_PEERNAME_MAX
 * bytes (libnl checks the NUL is last).
 */
static const struct nla_policy accept_policy[HSD_HS_ACCEPT_MAX + 1] = {
	[HSD_HS_ACCEPT_SOCKFD] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_HANDLER_CLASS] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_MESSAGE_TYPE] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_TIMEOUT] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_AUTH_MODE] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_PEER_IDENTITY] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_ACCEPT_CERTIFICATE] = { .type = NLA_NESTED },
	[HSD_HS_ACCEPT_PEERNAME] = { .type = NLA_STRING,
				     .maxlen = HSD_KNL_PEERNAME_MAX + 1 },
	[HSD_HS_ACCEPT_KEYRING] = { .type = NLA_U32, .maxlen = 4 },
};

static const struct nla_policy x509_policy[HSD_HS_X509_MAX + 1] = {
	[HSD_HS_X509_CERT] = { .type = NLA_U32, .maxlen = 4 },
	[HSD_HS_X509_PRIVKEY] = { .type = NLA_U32, .maxlen = 4 },
};

int hsd_knl_next(const uint8_t *buf, size_t len, uint16_t *type, int *error)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	size_t n;

	*type = 0;
	*error = 0;
	if (len == 0)
		return 0;
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len)
		return -EBADMSG;
	*type = nlh->nlmsg_type;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(e->error))
			return -EBADMSG;
		/* The kernel's is 0 or a negative errno; clamp the rest. */
		*error = e->error > 0 || e->error < -4095 ? -EIO : e->error;
	}
	n = NLMSG_ALIGN(nlh->nlmsg_len);
	return (int)(n > len ? len : n);
}

/* The generic netlink header of a message of @family and command @cmd,
 * and whether the attributes end exactly at the message's end. */
static bool genl_ok(const uint8_t *buf, size_t len, int family, uint8_t cmd)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	const struct genlmsghdr *g;
	const struct nlattr *a;
	int rem;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != family || !genlmsg_valid_hdr(nlh, 0))
		return false;
	g = genlmsg_hdr(nlh);
	if (g->cmd != cmd)
		return false;
	/* libnl's parser skips what trails the last whole attribute: take
	 * none. */
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem)
		;
	return rem == 0;
}

bool hsd_knl_is_ready(const uint8_t *buf, size_t len, int family)
{
	struct nlattr *tb[HSD_HS_ACCEPT_MAX + 1];

	if (family <= 0 || !genl_ok(buf, len, family, HSD_HS_CMD_READY) ||
	    genlmsg_parse((struct nlmsghdr *)buf, 0, tb, HSD_HS_ACCEPT_MAX,
			  accept_policy) < 0)
		return false;
	/* (no class: an older kernel's READY, which was tlshd's) */
	return !tb[HSD_HS_ACCEPT_HANDLER_CLASS] ||
	       nla_get_u32(tb[HSD_HS_ACCEPT_HANDLER_CLASS]) ==
	       HSD_HS_CLASS_TLSHD;
}

/* The socket alone, before anything else is believed. */
static void find_sockfd(const uint8_t *buf, struct hsd_knl_req *r)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	const struct genlmsghdr *g = genlmsg_hdr(nlh);
	const struct nlattr *a;
	int rem, fd = -1, seen = 0;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		if (nla_type(a) != HSD_HS_ACCEPT_SOCKFD)
			continue;
		seen++;
		if (nla_len(a) == 4)
			fd = (int)nla_get_u32((struct nlattr *)a);
	}
	r->sockfd = seen == 1 && fd >= 0 ? fd : -1;
}

static int parse_cert(struct nlattr *nest, struct hsd_knl_req *r,
		      const char **why)
{
	struct nlattr *tb[HSD_HS_X509_MAX + 1];
	const struct nlattr *a;
	int rem;

	nla_for_each_nested(a, nest, rem)
		;
	if (rem != 0 ||
	    nla_parse_nested(tb, HSD_HS_X509_MAX, nest, x509_policy) < 0) {
		*why = "malformed certificate attribute";
		return -EBADMSG;
	}
	if (tb[HSD_HS_X509_CERT])
		r->cert = (int32_t)nla_get_u32(tb[HSD_HS_X509_CERT]);
	if (tb[HSD_HS_X509_PRIVKEY])
		r->privkey = (int32_t)nla_get_u32(tb[HSD_HS_X509_PRIVKEY]);
	return 0;
}

/* Every peer identity, in order (the policy checked each one's size). */
static int parse_peerids(const uint8_t *buf, struct hsd_knl_req *r,
			 const char **why)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	const struct genlmsghdr *g = genlmsg_hdr(nlh);
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		if (nla_type(a) != HSD_HS_ACCEPT_PEER_IDENTITY)
			continue;
		if (r->n_peerids == HSD_KNL_PEERIDS_MAX) {
			*why = "more peer identities than handshaked takes";
			return -EBADMSG;
		}
		r->peerids[r->n_peerids++] = (int32_t)nla_get_u32(a);
	}
	return 0;
}

int hsd_knl_parse_accept(const uint8_t *buf, size_t len, int family,
			 struct hsd_knl_req *r, const char **why)
{
	struct nlattr *tb[HSD_HS_ACCEPT_MAX + 1];
	int ret;

	memset(r, 0, sizeof(*r));
	r->sockfd = -1;
	if (!genl_ok(buf, len, family, HSD_HS_CMD_ACCEPT)) {
		*why = "not an ACCEPT reply of the handshake family, or "
		       "bytes left over";
		return -EBADMSG;
	}
	find_sockfd(buf, r);
	if (genlmsg_parse((struct nlmsghdr *)buf, 0, tb, HSD_HS_ACCEPT_MAX,
			  accept_policy) < 0) {
		*why = "an attribute of the wrong size or type";
		return -EBADMSG;
	}
	if (tb[HSD_HS_ACCEPT_CERTIFICATE]) {
		ret = parse_cert(tb[HSD_HS_ACCEPT_CERTIFICATE], r, why);
		if (ret < 0)
			return ret;
	}
	ret = parse_peerids(buf, r, why);
	if (ret < 0)
		return ret;
	if (tb[HSD_HS_ACCEPT_PEERNAME])
		nla_strlcpy(r->peer_name, tb[HSD_HS_ACCEPT_PEERNAME],
			    sizeof(r->peer_name));
	if (tb[HSD_HS_ACCEPT_TIMEOUT])
		r->timeout_ms = nla_get_u32(tb[HSD_HS_ACCEPT_TIMEOUT]);
	if (tb[HSD_HS_ACCEPT_KEYRING])
		r->keyring = (int32_t)nla_get_u32(tb[HSD_HS_ACCEPT_KEYRING]);
	if (tb[HSD_HS_ACCEPT_MESSAGE_TYPE])
		r->msg_type = nla_get_u32(tb[HSD_HS_ACCEPT_MESSAGE_TYPE]);
	if (tb[HSD_HS_ACCEPT_AUTH_MODE])
		r->auth_mode = nla_get_u32(tb[HSD_HS_ACCEPT_AUTH_MODE]);
	if (tb[HSD_HS_ACCEPT_HANDLER_CLASS] &&
	    nla_get_u32(tb[HSD_HS_ACCEPT_HANDLER_CLASS]) !=
	    HSD_HS_CLASS_TLSHD) {
		*why = "a handler class other than tlshd";
		return -EINVAL;
	}
	if (r->sockfd < 0) {
		*why = "no socket (or more than one)";
		return -EINVAL;
	}
	if (r->msg_type != HSD_HS_MSG_CLIENTHELLO &&
	    r->msg_type != HSD_HS_MSG_SERVERHELLO) {
		*why = "no message type, or one handshaked does not know";
		return -EINVAL;
	}
	if (r->auth_mode != HSD_HS_AUTH_UNAUTH &&
	    r->auth_mode != HSD_HS_AUTH_PSK &&
	    r->auth_mode != HSD_HS_AUTH_X509) {
		*why = "no auth mode, or one handshaked does not know";
		return -EINVAL;
	}
	*why = "";
	return 0;
}

int hsd_knl_put_accept(struct nl_msg *msg, int family)
{
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST, HSD_HS_CMD_ACCEPT,
			 HSD_HS_FAMILY_VERSION) ||
	    nla_put_u32(msg, HSD_HS_ACCEPT_HANDLER_CLASS,
			HSD_HS_CLASS_TLSHD) < 0)
		return -EMSGSIZE;
	return 0;
}

int hsd_knl_put_done(struct nl_msg *msg, int family, uint32_t status,
		     int sockfd, const int32_t *remote, unsigned int n)
{
	unsigned int i;

	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 NLM_F_REQUEST | NLM_F_ACK, HSD_HS_CMD_DONE,
			 HSD_HS_FAMILY_VERSION) ||
	    nla_put_u32(msg, HSD_HS_DONE_STATUS, status) < 0 ||
	    nla_put_s32(msg, HSD_HS_DONE_SOCKFD, sockfd) < 0)
		return -EMSGSIZE;
	for (i = 0; status == 0 && i < n; i++)
		if (nla_put_s32(msg, HSD_HS_DONE_REMOTE_AUTH, remote[i]) < 0)
			return -EMSGSIZE;
	return 0;
}

const char *hsd_knl_auth_name(uint32_t auth)
{
	switch (auth) {
	case HSD_HS_AUTH_UNAUTH:
		return "anon";
	case HSD_HS_AUTH_PSK:
		return "psk";
	case HSD_HS_AUTH_X509:
		return "x509";
	default:
		return "unknown";
	}
}

const char *hsd_knl_msg_name(uint32_t type)
{
	switch (type) {
	case HSD_HS_MSG_CLIENTHELLO:
		return "client";
	case HSD_HS_MSG_SERVERHELLO:
		return "server";
	default:
		return "unknown";
	}
}
