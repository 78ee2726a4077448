// SPDX-License-Identifier: MIT
/*
 * kernel_auth.c - how the kernel agent (kernel.c) authenticates a
 * request: the context of the [kernel] profile for its role and auth mode,
 * or one made for it with the certificate and key the kernel passed by
 * serial; TLS 1.3 PSK (the client's key from the kernel, the server's
 * looked up by the identity the client offers); and the peer identity
 * DONE reports.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hsd_kernel.h"

/*
 * The context for @r: the [kernel] profile's, or one made for this
 * request with the certificate and key the kernel passed by serial
 * (they take precedence, as in tlshd).  *@what says why not.
 */
int hsd_kernel_ctx(struct gen *g, struct kjob *k, struct ktls_ctx **ctx,
		    const char **what, enum hsd_kfail *why)
{
	const struct hsd_knl_req *r = &k->req;
	const char *name = k->side ? g->cfg->kernel_server :
			   g->cfg->kernel_client;
	struct hsd_ctx_variant v = { .kernel = true, .server = k->side };
	char cert[64], key[64], err[256];
	int cfd = -1, kfd = -1, ret;

	*why = HSD_KFAIL_UNSUPPORTED;
	if (!g->cfg->kernel_enable) {
		*what = "a reload set [kernel] enable = no (the agent stops "
			"at the next restart)";
		return -EOPNOTSUPP;
	}
	if (!name[0]) {
		*what = k->side ? "no [kernel] server profile" :
			"no [kernel] client profile";
		return -EOPNOTSUPP;
	}
	if (!r->cert || !r->privkey || r->auth_mode != HSD_HS_AUTH_X509) {
		*ctx = k->side ? g->keys->kserver :
		       r->auth_mode == HSD_HS_AUTH_UNAUTH ?
		       g->keys->kclient_anon : g->keys->kclient;
		*what = "the profile's context is missing";
		return *ctx ? 0 : -EOPNOTSUPP;
	}
	*why = HSD_KFAIL_KEYRING;
	*what = "cannot read the certificate or key the kernel passed";
	ret = hsd_keyring_memfd(r->cert, &cfd, cert, sizeof(cert));
	if (ret < 0)
		return ret;
	ret = hsd_keyring_memfd(r->privkey, &kfd, key, sizeof(key));
	if (ret < 0)
		goto out;
	v.cert = cert;
	v.key = key;
	ret = hsd_profile_ctx_new(g->cfg, hsd_config_profile(g->cfg, name),
				  &v, &k->own, err, sizeof(err));
	if (ret < 0) {
		*what = "the certificate or key the kernel passed does not "
			"load";
		hsd_log_limited(HSD_LOG_NOTICE, "kernel: %s", err);
	}
	*ctx = k->own;
out:
	if (kfd >= 0)
		close(kfd);
	close(cfd);
	return ret;
}

/* Server, psk mode: the client's identity, looked up as tlshd does (the
 * keyring the kernel named, then our session keyring). */
static int psk_find(struct ktls_conn *conn, const char *identity,
		    uint8_t *key, size_t *len, enum ktls_psk_hash *hash,
		    void *arg)
{
	struct kjob *k = arg;
	uint8_t *data;
	size_t n;
	int32_t serial;
	int ret;

	(void)conn;
	ret = hsd_keyring_psk_find(k->req.keyring, identity, &serial);
	if (ret < 0) {
		hsd_log_limited(HSD_LOG_NOTICE, "kernel server psk handshake: "
				"no key for identity '%s': %s", identity,
				ktls_strerror(ret));
		return -ENOENT;
	}
	ret = hsd_keyring_read(serial, &data, &n);
	if (ret < 0)
		return ret;
	if (n < KTLS_PSK_KEY_MIN || n > *len) {
		hsd_keyring_free(data, n);
		return -EINVAL;
	}
	memcpy(key, data, n);
	*len = n;
	*hash = hsd_keyring_psk_hash(identity, n);
	hsd_keyring_free(data, n);
	k->psk = serial;
	return 0;
}

/* Client, psk mode: the first key the kernel named, as identity (its
 * description) and key (its payload). */
static int psk_client(struct ktls_conn *conn, struct kjob *k)
{
	char id[KTLS_PSK_IDENTITY_MAX + 1];
	uint8_t *data;
	size_t n;
	int ret;

	if (!k->req.n_peerids)
		return -ENOKEY;
	ret = hsd_keyring_psk_identity(k->req.peerids[0], id, sizeof(id));
	if (ret < 0)
		return ret;
	ret = hsd_keyring_read(k->req.peerids[0], &data, &n);
	if (ret < 0)
		return ret;
	ret = ktls_conn_set_psk(conn, id, data, n,
				hsd_keyring_psk_hash(id, n));
	hsd_keyring_free(data, n);
	if (ret == 0)
		k->psk = k->req.peerids[0];
	return ret;
}

/* What psk mode needs on the connection, or -errno (*@why: which). */
int hsd_kernel_psk_setup(struct ktls_conn *conn, struct kjob *k,
		     enum hsd_kfail *why)
{
	static const struct ktls_callbacks cbs = { .psk_find = psk_find };
	int ret;

	if (k->req.auth_mode != HSD_HS_AUTH_PSK)
		return 0;
	if (k->side)
		return ktls_conn_set_callbacks(conn, &cbs, k);
	ret = psk_client(conn, k);
	if (ret < 0)
		*why = ret == -EINVAL || ret == -EPROTONOSUPPORT ?
		       HSD_KFAIL_POLICY : HSD_KFAIL_KEYRING;
	return ret;
}

/* The identity DONE reports: the PSK used, or the peer's certificate as
 * a key (as tlshd does). */
unsigned int hsd_kernel_peer_identity(struct job *j, int32_t *remote)
{
	struct kjob *k = j->kernel;
	const uint8_t *der;
	size_t len;
	int err;

	if (k->psk) {
		remote[0] = k->psk;
		return 1;
	}
	if (ktls_conn_peer_cert(j->conn, 0, &der, &len) < 0)
		return 0;
	remote[0] = hsd_keyring_add_peer_cert(der, len, k->req.peer_name[0] ?
					      k->req.peer_name : "peer", &err);
	if (!remote[0])
		hsd_log_limited(HSD_LOG_NOTICE, "kernel: the peer's "
				"certificate could not be made a key (%s): "
				"DONE names no peer", ktls_strerror(err));
	return remote[0] ? 1 : 0;
}
