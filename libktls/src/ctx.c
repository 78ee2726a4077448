// SPDX-License-Identifier: MIT
/*
 * ctx.c - contexts: policy defaults, trust store, CRLs, identities
 * (loaded here; identity.c picks one for each connection).
 *
 * One WOLFSSL_CTX serves both roles (wolfSSL is built with
 * WOLFSSL_EITHER_SIDE); each connection picks its side.  The first identity
 * lives in the WOLFSSL_CTX; the others are kept as DER and put on a
 * connection when the client's SNI names them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "ktls_int.h"

/* Certificate and key files larger than this are not what we think. */
#define KTLS_MAX_FILE (1024 * 1024)

void ktls_thread_cleanup(void)
{
#ifdef FP_ECC
	/* wolfSSL's fixed-point ECC cache is per thread, and goes only
	 * when the thread frees it. */
	wc_ecc_fp_free();
#endif
}

struct ktls_ctx *ktls_ctx_new(void)
{
	struct ktls_ctx *ctx;
	uint8_t suites[KTLS_SUITES_MAX];
	size_t n = 0;

	if (ktls_init() < 0)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	if (pthread_mutex_init(&ctx->id_lock, NULL)) {
		free(ctx);
		return NULL;
	}
	ktls_opts_default(&ctx->opts);
	ctx->wctx = wolfSSL_CTX_new(wolfSSLv23_method());
	if (!ctx->wctx)
		goto err;
	/* Versions and ciphers are set on each connection from its options;
	 * the context itself already refuses what policy refuses (wolfSSL's
	 * own defaults allow TLS 1.1, RC4, 3DES and anonymous suites). */
	if (wolfSSL_CTX_SetMinVersion(ctx->wctx, WOLFSSL_TLSV1_2) !=
	    WOLFSSL_SUCCESS ||
	    ktls_policy_suites(&ctx->opts, suites, sizeof(suites), &n) < 0 ||
	    wolfSSL_CTX_set_cipher_list_bytes(ctx->wctx, suites, (int)n) !=
	    WOLFSSL_SUCCESS)
		goto err;
	/* Report WANT_READ at once instead of retrying ten times. */
	wolfSSL_CTX_clear_mode(ctx->wctx, SSL_MODE_AUTO_RETRY);
	/* Servers pick their identity by SNI (set here, once: a context is
	 * shared by threads once configured). */
	if (ktls_identity_hook_sni(ctx) < 0)
		goto err;
	ctx->caches_ready = true;
	if (ktls_ctx_sessions_init(ctx) < 0)
		goto err;
	ktls_resume_hook(ctx);
	return ctx;
err:
	ktls_ctx_free(ctx);
	return NULL;
}

void ktls_ctx_free(struct ktls_ctx *ctx)
{
	unsigned int i;

	if (!ctx)
		return;
	for (i = 0; i < ctx->n_identities; i++)
		ktls_identity_put(ctx->ids[i]);
	ktls_identity_put(ctx->on_wctx);
	pthread_mutex_destroy(&ctx->id_lock);
	if (ctx->caches_ready)
		ktls_ctx_sessions_destroy(ctx);
	if (ctx->wctx)
		wolfSSL_CTX_free(ctx->wctx);
	ktls_tickets_free(ctx->tickets);
	ktls_daemon_drop_idle(ctx);
	free(ctx->daemon_path);
	free(ctx->daemon_profile);
	explicit_bzero(ctx, sizeof(*ctx));
	free(ctx);
}

const char *ktls_ctx_errstr(const struct ktls_ctx *ctx)
{
	return ctx ? ctx->err : "no context";
}

int ktls_ctx_set_opt(struct ktls_ctx *ctx, enum ktls_opt opt, long value)
{
	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	return ktls_policy_set_opt(&ctx->opts, opt, value, ctx->err,
				   sizeof(ctx->err));
}

int ktls_ctx_set_ciphers(struct ktls_ctx *ctx, const char *list)
{
	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	return ktls_policy_parse_ciphers(list, ctx->opts.ciphers,
					 &ctx->opts.n_ciphers, ctx->err,
					 sizeof(ctx->err));
}

int ktls_ctx_set_alpn(struct ktls_ctx *ctx, const char *list)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	ret = ktls_policy_check_alpn(list, ctx->err, sizeof(ctx->err));
	if (ret < 0)
		return ret;
	snprintf(ctx->opts.alpn, sizeof(ctx->opts.alpn), "%s",
		 list ? list : "");
	return 0;
}

/*
 * Check that @path can be read, so that a wolfSSL failure afterwards means
 * the contents, and say which in ctx->err.
 */
static int check_path(struct ktls_ctx *ctx, const char *what,
		      const char *path, bool want_dir)
{
	struct stat st;

	if (!path) {
		ktls_set_err(ctx->err, "%s: no path given", what);
		return -EINVAL;
	}
	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		int err = errno;

		ktls_set_err(ctx->err, "%s %s: %s", what, path,
			     ktls_strerror(err));
		return -err;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		ktls_set_err(ctx->err, "%s %s: not a directory", what, path);
		return -ENOTDIR;
	}
	if (!want_dir && S_ISDIR(st.st_mode)) {
		ktls_set_err(ctx->err, "%s %s: is a directory", what, path);
		return -EISDIR;
	}
	return 0;
}

int ktls_ctx_load_ca_system(struct ktls_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (wolfSSL_CTX_load_system_CA_certs(ctx->wctx) != WOLFSSL_SUCCESS) {
		ktls_set_err(ctx->err, "no system CA certificates could be "
			     "loaded (is ca-certificates installed?)");
		return -ENOENT;
	}
	ctx->trust_loaded = true;
	return 0;
}

static int load_ca(struct ktls_ctx *ctx, const char *path, bool dir)
{
	const char *what = dir ? "CA directory" : "CA file";
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	ret = check_path(ctx, what, path, dir);
	if (ret < 0)
		return ret;
	/* Load every CA of a directory that parses, not only the first. */
	ret = wolfSSL_CTX_load_verify_locations_ex(ctx->wctx,
			dir ? NULL : path, dir ? path : NULL,
			WOLFSSL_LOAD_FLAG_IGNORE_ERR |
			WOLFSSL_LOAD_FLAG_PEM_CA_ONLY);
	if (ret != WOLFSSL_SUCCESS) {
		ktls_set_err(ctx->err, "%s %s: no CA certificate could be "
			     "parsed (wolfSSL error %d)", what, path, ret);
		return -EBADMSG;
	}
	ctx->trust_loaded = true;
	return 0;
}

int ktls_ctx_load_ca_file(struct ktls_ctx *ctx, const char *path)
{
	return load_ca(ctx, path, false);
}

int ktls_ctx_load_ca_dir(struct ktls_ctx *ctx, const char *path)
{
	return load_ca(ctx, path, true);
}

int ktls_ctx_load_crl_file(struct ktls_ctx *ctx, const char *path)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	ret = check_path(ctx, "CRL file", path, false);
	if (ret < 0)
		return ret;
	if (!ctx->crl_loaded &&
	    wolfSSL_CTX_EnableCRL(ctx->wctx, WOLFSSL_CRL_CHECKALL) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(ctx->err, "CRL checking could not be enabled");
		return -EIO;
	}
	if (wolfSSL_CTX_LoadCRLFile(ctx->wctx, path, WOLFSSL_FILETYPE_PEM) !=
	    WOLFSSL_SUCCESS &&
	    wolfSSL_CTX_LoadCRLFile(ctx->wctx, path, WOLFSSL_FILETYPE_ASN1) !=
	    WOLFSSL_SUCCESS) {
		ktls_set_err(ctx->err, "CRL file %s: not a CRL wolfSSL can "
			     "parse, or its issuer is not a trusted CA (load "
			     "the CAs first)", path);
		return -EBADMSG;
	}
	ctx->crl_loaded = true;
	ctx->opts.crl_check = true;
	return 0;
}

void ktls_ctx_set_passphrase_cb(struct ktls_ctx *ctx, ktls_passphrase_cb cb,
				void *arg)
{
	if (!ctx)
		return;
	ctx->pass_cb = cb;
	ctx->pass_arg = arg;
}

/* Read a whole file of at most KTLS_MAX_FILE bytes, NUL-terminated. */
static int read_file(struct ktls_ctx *ctx, const char *what, const char *path,
		     uint8_t **bufp, size_t *lenp)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	ret = check_path(ctx, what, path, false);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ktls_set_err(ctx->err, "%s %s: %s", what, path,
			     ktls_strerror(ret));
		return ret;
	}
	buf = malloc(KTLS_MAX_FILE + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (len < KTLS_MAX_FILE) {
		n = read(fd, buf + len, KTLS_MAX_FILE - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			ktls_set_err(ctx->err, "%s %s: %s", what, path,
				     ktls_strerror(ret));
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == KTLS_MAX_FILE) {
		ktls_set_err(ctx->err, "%s %s: larger than 1 MiB", what, path);
		ret = -EFBIG;
		goto out_free;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	close(fd);
	return 0;

out_free:
	explicit_bzero(buf, KTLS_MAX_FILE + 1);
	free(buf);
out_close:
	close(fd);
	return ret;
}

static bool is_pem(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN", 10) != NULL;
}

/*
 * Turn a private key file's contents into unencrypted DER, asking the
 * passphrase callback when it is encrypted.  The result is wiped and
 * freed by the caller.
 */
static int key_to_der(struct ktls_ctx *ctx, const char *path,
		      const uint8_t *buf, size_t len, uint8_t **derp,
		      size_t *der_lenp)
{
	char pass[256];
	const char *passp = NULL;
	uint8_t *der;
	int n;

	der = malloc(len + 1);
	if (!der)
		return -ENOMEM;
	if (!is_pem(buf, len)) {
		memcpy(der, buf, len);
		*derp = der;
		*der_lenp = len;
		return 0;
	}
	if (memmem(buf, len, "ENCRYPTED", 9)) {
		if (!ctx->pass_cb) {
			ktls_set_err(ctx->err, "key %s is encrypted and no "
				     "passphrase callback is set", path);
			free(der);
			return -EBADMSG;
		}
		n = ctx->pass_cb(pass, (int)sizeof(pass) - 1, ctx->pass_arg);
		if (n < 0 || n >= (int)sizeof(pass)) {
			ktls_set_err(ctx->err, "key %s: the passphrase "
				     "callback gave up", path);
			explicit_bzero(pass, sizeof(pass));
			free(der);
			return n < 0 ? n : -EINVAL;
		}
		pass[n] = '\0';
		passp = pass;
	}
	n = wc_KeyPemToDer(buf, (int)len, der, (int)len, passp);
	explicit_bzero(pass, sizeof(pass));
	if (n <= 0) {
		ktls_set_err(ctx->err, "key %s: not a private key wolfSSL can "
			     "parse%s (wolfSSL error %d)", path,
			     passp ? ", or a wrong passphrase" : "", n);
		explicit_bzero(der, len + 1);
		free(der);
		return -EBADMSG;
	}
	*derp = der;
	*der_lenp = (size_t)n;
	return 0;
}

/*
 * Read a certificate chain and its key into a new identity (one
 * reference), saying in ctx->err what is wrong with them.
 */
static int identity_load(struct ktls_ctx *ctx, const char *chain,
			 const char *key, struct ktls_identity **idp)
{
	struct ktls_identity *id;
	uint8_t *keybuf = NULL;
	size_t keylen = 0;
	int ret;

	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	id->refs = 1;
	ret = read_file(ctx, "certificate", chain, &id->chain_der,
			&id->chain_len);
	if (ret < 0)
		goto err_put;
	id->chain_fmt = is_pem(id->chain_der, id->chain_len) ?
			WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1;
	id->leaf = wolfSSL_X509_load_certificate_buffer(id->chain_der,
				(int)id->chain_len, id->chain_fmt);
	if (!id->leaf) {
		ktls_set_err(ctx->err, "certificate %s: not a certificate "
			     "wolfSSL can parse", chain);
		ret = -EBADMSG;
		goto err_put;
	}
	ret = read_file(ctx, "key", key, &keybuf, &keylen);
	if (ret < 0)
		goto err_put;
	ret = key_to_der(ctx, key, keybuf, keylen, &id->key_der,
			 &id->key_len);
	explicit_bzero(keybuf, keylen);
	free(keybuf);
	if (ret < 0)
		goto err_put;
	*idp = id;
	return 0;
err_put:
	ktls_identity_put(id);
	return ret;
}

/* Check that @id's key matches its certificate, on a throw-away
 * connection. */
static int identity_check(struct ktls_ctx *ctx, const struct ktls_identity *id,
			  const char *chain, const char *key)
{
	WOLFSSL *probe = wolfSSL_new(ctx->wctx);
	int ret = probe ? ktls_identity_use(ctx, probe, id) : -ENOMEM;

	wolfSSL_free(probe);
	if (ret == -EKEYREJECTED)
		ktls_set_err(ctx->err, "key %s does not match certificate %s, "
			     "or cannot be used", key, chain);
	return ret;
}

int ktls_ctx_add_identity(struct ktls_ctx *ctx, const char *chain,
			  const char *key)
{
	struct ktls_identity *id;
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (ctx->n_identities == KTLS_MAX_IDENTITIES) {
		ktls_set_err(ctx->err, "at most %d identities per context",
			     KTLS_MAX_IDENTITIES);
		return -ENOSPC;
	}
	ret = identity_load(ctx, chain, key, &id);
	if (ret < 0)
		return ret;
	if (ctx->n_identities == 0) {
		ret = ktls_identity_use(ctx, NULL, id);
		if (ret == -EKEYREJECTED)
			ktls_set_err(ctx->err, "key %s does not match "
				     "certificate %s, or cannot be used",
				     key, chain);
		/* Lets a client's client_auth callback, or a server's sni
		 * callback, pick the identity.  Only with one loaded: with the
		 * hook set and no certificate, wolfSSL 5.5.4 fails a TLS 1.3
		 * CertificateRequest instead of answering with an empty
		 * Certificate. */
		if (ret == 0)
			ktls_identity_hook_cert(ctx);
	} else {
		ret = identity_check(ctx, id, chain, key);
	}
	if (ret < 0)
		goto err_put;
	pthread_mutex_lock(&ctx->id_lock);
	if (ctx->n_identities == 0) {
		id->refs++;		/* not shared yet */
		ctx->on_wctx = id;
	}
	ctx->ids[ctx->n_identities++] = id;
	pthread_mutex_unlock(&ctx->id_lock);
	return 0;
err_put:
	ktls_identity_put(id);
	return ret;
}

int ktls_ctx_replace_identity(struct ktls_ctx *ctx, unsigned int idx,
			      const char *chain, const char *key)
{
	struct ktls_identity *id, *old;
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx->err[0] = '\0';
	if (idx >= ctx->n_identities) {
		ktls_set_err(ctx->err, "no identity %u to replace (the context "
			     "has %u)", idx, ctx->n_identities);
		return -ENOENT;
	}
	ret = identity_load(ctx, chain, key, &id);
	if (ret < 0)
		return ret;
	ret = identity_check(ctx, id, chain, key);
	if (ret < 0) {
		ktls_identity_put(id);
		return ret;
	}
	/* Connections that took the old one keep it (identity.c). */
	pthread_mutex_lock(&ctx->id_lock);
	old = ctx->ids[idx];
	ctx->ids[idx] = id;
	pthread_mutex_unlock(&ctx->id_lock);
	ktls_identity_put(old);
	return 0;
}

void ktls_ctx_set_callbacks(struct ktls_ctx *ctx,
			    const struct ktls_callbacks *cbs, void *arg)
{
	if (!ctx)
		return;
	memset(&ctx->cbs, 0, sizeof(ctx->cbs));
	if (cbs)
		ctx->cbs = *cbs;
	ctx->cb_arg = arg;
}
