// SPDX-License-Identifier: MIT
/*
 * keys.c - a libktls context per profile: trust store, CRLs, identity
 * (the private key is read here, once, and stays in this process),
 * policy, ALPN and session cache, all from the configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handshaked.h"

/* The passphrase of an encrypted key: the first line of its file. */
static int passphrase(char *buf, int size, void *arg)
{
	const char *path = arg;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, (size_t)size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return (int)strcspn(buf, "\r\n");
}

static int check(struct ktls_ctx *ctx, const char *profile, const char *what,
		 int ret)
{
	if (ret < 0)
		hsd_log(HSD_LOG_ERROR, "profile %s: %s: %s", profile, what,
			*ktls_ctx_errstr(ctx) ? ktls_ctx_errstr(ctx) :
			ktls_strerror(ret));
	return ret;
}

static int profile_ctx(const struct hsd_config *cfg,
		       const struct hsd_profile *p, struct ktls_ctx **out)
{
	const struct hsd_identity *id = NULL;
	struct ktls_ctx *ctx = ktls_ctx_new();
	const char *ciphers = p->ciphers ? p->ciphers : cfg->ciphers;
	unsigned int i;
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	if (p->identity[0])
		id = hsd_config_identity(cfg, p->identity);
	if (id && id->passphrase_file)
		ktls_ctx_set_passphrase_cb(ctx, passphrase,
					   id->passphrase_file);
	if (cfg->ca_file)
		ret = check(ctx, p->name, "ca_file",
			    ktls_ctx_load_ca_file(ctx, cfg->ca_file));
	if (!ret && cfg->ca_dir)
		ret = check(ctx, p->name, "ca_dir",
			    ktls_ctx_load_ca_dir(ctx, cfg->ca_dir));
	if (!ret && cfg->ca_system)
		ret = check(ctx, p->name, "ca_system",
			    ktls_ctx_load_ca_system(ctx));
	for (i = 0; !ret && i < cfg->n_crls; i++)
		ret = check(ctx, p->name, "crl_file",
			    ktls_ctx_load_crl_file(ctx, cfg->crl_files[i]));
	if (!ret && cfg->n_crls)
		ret = check(ctx, p->name, "crl_check",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_CRL_CHECK,
					     cfg->crl_check));
	if (!ret && id)
		ret = check(ctx, p->name, "identity",
			    ktls_ctx_add_identity(ctx, id->cert, id->key));
	if (!ret)
		ret = check(ctx, p->name, "min_version",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN,
					     p->min_version ? p->min_version :
					     cfg->min_version));
	if (!ret)
		ret = check(ctx, p->name, "max_version",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MAX,
					     p->max_version ? p->max_version :
					     cfg->max_version));
	if (!ret && ciphers)
		ret = check(ctx, p->name, "ciphers",
			    ktls_ctx_set_ciphers(ctx, ciphers));
	if (!ret && p->alpn)
		ret = check(ctx, p->name, "alpn",
			    ktls_ctx_set_alpn(ctx, p->alpn));
	if (!ret && p->verify >= 0)
		ret = check(ctx, p->name, "verify",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY, p->verify));
	/* The handshake state cannot follow the socket to its process. */
	if (!ret)
		ret = check(ctx, p->name, "post-handshake state",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_POST_HANDSHAKE, 0));
	if (!ret)
		ret = check(ctx, p->name, "session cache",
			    ktls_ctx_set_session_cache(ctx,
					cfg->session_cache_size,
					cfg->session_lifetime));
	if (ret < 0) {
		ktls_ctx_free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

int hsd_keys_load(const struct hsd_config *cfg, struct hsd_profile_ctx **out)
{
	struct hsd_profile_ctx *list = NULL, **tail = &list;
	const struct hsd_profile *p;
	int ret;

	for (p = cfg->profiles; p; p = p->next) {
		struct hsd_profile_ctx *pc = calloc(1, sizeof(*pc));

		if (!pc) {
			ret = -ENOMEM;
			goto err;
		}
		pc->profile = p;
		*tail = pc;
		tail = &pc->next;
		ret = profile_ctx(cfg, p, &pc->ctx);
		if (ret < 0)
			goto err;
	}
	*out = list;
	return 0;
err:
	hsd_keys_free(list);
	return ret;
}

void hsd_keys_free(struct hsd_profile_ctx *list)
{
	while (list) {
		struct hsd_profile_ctx *next = list->next;

		ktls_ctx_free(list->ctx);
		free(list);
		list = next;
	}
}

struct hsd_profile_ctx *hsd_keys_find(struct hsd_profile_ctx *list,
				      const char *profile)
{
	for (; list; list = list->next)
		if (!strcmp(list->profile->name, profile))
			return list;
	return NULL;
}
