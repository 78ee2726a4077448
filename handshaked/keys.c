// SPDX-License-Identifier: MIT
/*
 * keys.c - a libktls context per profile: trust store, CRLs, identity
 * (the private key is read here, once, and stays in this process),
 * policy, ALPN and session cache, all from the configuration; and the
 * session ticket keys every profile's context seals tickets with.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
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

/* A context being loaded, and where to say what went wrong. */
struct load {
	struct ktls_ctx *ctx;
	const char *profile;
	char *err;
	size_t err_size;
};

/* What a failed call on the context means, into the error. */
static int check(struct load *ld, const char *what, int ret)
{
	if (ret < 0)
		snprintf(ld->err, ld->err_size, "profile %s: %s: %s",
			 ld->profile, what, *ktls_ctx_errstr(ld->ctx) ?
			 ktls_ctx_errstr(ld->ctx) : ktls_strerror(ret));
	return ret;
}

int hsd_profile_ctx_new(const struct hsd_config *cfg,
			const struct hsd_profile *p,
			const struct hsd_ctx_variant *v,
			struct ktls_ctx **out, char *err, size_t err_size)
{
	const struct hsd_identity *id = NULL;
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct load ld = { ctx, p->name, err, err_size };
	const char *ciphers = p->ciphers ? p->ciphers : cfg->ciphers;
	unsigned int i;
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	if (p->identity[0] && !(v && (v->no_identity || v->cert)))
		id = hsd_config_identity(cfg, p->identity);
	if (id && id->passphrase_file)
		ktls_ctx_set_passphrase_cb(ctx, passphrase,
					   id->passphrase_file);
	if (cfg->ca_file)
		ret = check(&ld, "ca_file",
			    ktls_ctx_load_ca_file(ctx, cfg->ca_file));
	if (!ret && cfg->ca_dir)
		ret = check(&ld, "ca_dir",
			    ktls_ctx_load_ca_dir(ctx, cfg->ca_dir));
	if (!ret && cfg->ca_system)
		ret = check(&ld, "ca_system", ktls_ctx_load_ca_system(ctx));
	for (i = 0; !ret && i < cfg->n_crls; i++)
		ret = check(&ld, "crl_file",
			    ktls_ctx_load_crl_file(ctx, cfg->crl_files[i]));
	if (!ret && cfg->n_crls)
		ret = check(&ld, "crl_check",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_CRL_CHECK,
					     cfg->crl_check));
	if (!ret && id)
		ret = check(&ld, "identity",
			    ktls_ctx_add_identity(ctx, id->cert, id->key));
	if (!ret && v && v->cert)
		ret = check(&ld, "identity from the keyring",
			    ktls_ctx_add_identity(ctx, v->cert, v->key));
	if (!ret)
		ret = check(&ld, "min_version",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN,
					     p->min_version ? p->min_version :
					     cfg->min_version));
	if (!ret)
		ret = check(&ld, "max_version",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MAX,
					     p->max_version ? p->max_version :
					     cfg->max_version));
	if (!ret && ciphers)
		ret = check(&ld, "ciphers", ktls_ctx_set_ciphers(ctx, ciphers));
	if (!ret && p->alpn)
		ret = check(&ld, "alpn", ktls_ctx_set_alpn(ctx, p->alpn));
	if (!ret && p->verify >= 0)
		ret = check(&ld, "verify",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY, p->verify));
	/* The kernel reads the socket itself after DONE: a ticket would
	 * reach it as a handshake record it has no use for (tlshd sends
	 * none either).  Servers ask for a client certificate and verify
	 * it if one comes, as tlshd does; the consumer decides whether it
	 * needed one (the peer identity in DONE says). */
	if (!ret && v && v->kernel)
		ret = check(&ld, "no session tickets",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_SESSION_TICKETS, 0));
	if (!ret && v && v->kernel && v->server && p->verify < 0)
		ret = check(&ld, "verify",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_VERIFY,
					     KTLS_VERIFY_PEER));
	/* The handshake state cannot follow the socket to its process. */
	if (!ret)
		ret = check(&ld, "post-handshake state",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_POST_HANDSHAKE, 0));
	/* Nor can a software record layer: where the kernel cannot take
	 * the keys, the peer gets an alert, before the handshake when it
	 * can, rather than a handshake and then a bare close. */
	if (!ret)
		ret = check(&ld, "kTLS required",
			    ktls_ctx_set_opt(ctx, KTLS_OPT_REQUIRE_OFFLOAD, 1));
	if (!ret)
		ret = check(&ld, "session cache",
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

/* --- session ticket keys --------------------------------------------- */

/*
 * The ticket key secret: the file's bytes (32 to HSD_TICKET_SECRET_MAX,
 * all of them), read as root before the drop.  A file others can read
 * would let them decrypt every resumed session, and one that anybody but
 * root, the daemon or its configured @user ((uid_t)-1: none) can write
 * would let them choose the keys: both are refused.
 */
int hsd_ticket_secret_read(const char *path, uid_t user, uint8_t *buf,
			   size_t *len, char *err, size_t err_size)
{
	uint8_t tmp[HSD_TICKET_SECRET_MAX + 1];	/* one more: too long? */
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_size, "ticket_key_file %s: %s", path,
			 ktls_strerror(ret));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "ticket_key_file %s: not a regular "
			 "file", path);
		ret = -EINVAL;
	} else if (st.st_mode & (S_IWGRP | S_IROTH | S_IWOTH)) {
		snprintf(err, err_size, "ticket_key_file %s: other users can "
			 "read or write it (mode %04o): make it 0600", path,
			 (unsigned int)(st.st_mode & 07777));
		ret = -EPERM;
	} else if (st.st_uid != 0 && st.st_uid != geteuid() &&
		   st.st_uid != user) {
		snprintf(err, err_size, "ticket_key_file %s: owned by uid %u, "
			 "not root or the daemon's user: whoever owns it can "
			 "choose the ticket keys", path,
			 (unsigned int)st.st_uid);
		ret = -EPERM;
	} else {
		n = read(fd, tmp, sizeof(tmp));
		if (n < HSD_TICKET_SECRET_MIN || n > HSD_TICKET_SECRET_MAX) {
			snprintf(err, err_size, "ticket_key_file %s: holds %zd "
				 "bytes; it must hold %d to %d random bytes "
				 "(e.g. head -c 32 /dev/urandom)", path, n,
				 HSD_TICKET_SECRET_MIN, HSD_TICKET_SECRET_MAX);
			ret = n < 0 ? -errno : -EINVAL;
		} else {
			memcpy(buf, tmp, (size_t)n);
			*len = (size_t)n;
		}
	}
	close(fd);
	explicit_bzero(tmp, sizeof(tmp));
	return ret;
}

/*
 * The key of @profile for rotation @period: HKDF-SHA256 of the secret,
 * with the profile's name and the period as the info, gives the key's
 * name and its secret (ktls_ticket_key_derive()).  Every daemon with the same secret and
 * clock derives the same keys; each profile has its own, so a ticket
 * never resumes under another profile's policy or client-certificate
 * rules.
 */
int hsd_ticket_key(const uint8_t *secret, size_t len, const char *profile,
		   uint64_t period, struct ktls_ticket_key *out)
{
	static const char salt[] = "handshaked ticket key v1";
	uint8_t info[HSD_MAX_NAME + 9];
	size_t plen = strlen(profile), i;

	if (plen >= HSD_MAX_NAME)
		return -EINVAL;
	memcpy(info, profile, plen);
	info[plen] = 0;
	for (i = 0; i < 8; i++)
		info[plen + 1 + i] = (uint8_t)(period >> (56 - 8 * i));
	return ktls_ticket_key_derive(secret, len, salt, info, plen + 9, out);
}

/* Install the keys of @period (sealing) and the one before (opening). */
static int tickets_install(struct hsd_keys *k, uint64_t period, char *err,
			   size_t err_size)
{
	struct hsd_profile_ctx *pc;
	struct ktls_ticket_key keys[2];
	int ret = 0;

	for (pc = k->profiles; pc && !ret; pc = pc->next) {
		ret = hsd_ticket_key(k->secret, k->secret_len,
				     pc->profile->name, period, &keys[0]);
		if (!ret)
			ret = hsd_ticket_key(k->secret, k->secret_len,
					     pc->profile->name, period - 1,
					     &keys[1]);
		if (!ret) {
			struct load ld = { pc->ctx, pc->profile->name, err,
					   err_size };

			ret = check(&ld, "ticket keys",
				    ktls_ctx_set_ticket_keys(pc->ctx, keys, 2));
		} else {
			snprintf(err, err_size, "profile %s: ticket keys: %s",
				 pc->profile->name, ktls_strerror(ret));
		}
	}
	explicit_bzero(keys, sizeof(keys));
	if (!ret)
		k->period = period;
	return ret;
}

int hsd_keys_rotate(struct hsd_keys *k, uint64_t now)
{
	uint64_t period = now / k->rotation;
	char err[512];
	int ret;

	if (period == k->period)
		return 0;
	ret = tickets_install(k, period, err, sizeof(err));
	if (ret < 0)
		hsd_log(HSD_LOG_ERROR, "%s", err);
	return ret;
}

unsigned int hsd_keys_next_rotation(const struct hsd_keys *k, uint64_t now)
{
	return (unsigned int)(k->rotation - now % k->rotation);
}

/* The kernel agent's contexts: its client profile's, that one without
 * an identity (auth mode "unauth"), and its server profile's. */
static int kernel_ctxs(const struct hsd_config *cfg, struct hsd_keys *k,
		       char *err, size_t err_size)
{
	static const struct hsd_ctx_variant kern = { .kernel = true };
	static const struct hsd_ctx_variant anon = { .kernel = true,
						     .no_identity = true };
	static const struct hsd_ctx_variant srv = { .kernel = true,
						    .server = true };
	const struct hsd_profile *p;
	int ret = 0;

	if (!cfg->kernel_enable)
		return 0;
	p = hsd_config_profile(cfg, cfg->kernel_client);
	if (p)
		ret = hsd_profile_ctx_new(cfg, p, &kern, &k->kclient, err,
					  err_size) ?:
		      hsd_profile_ctx_new(cfg, p, &anon, &k->kclient_anon, err,
					  err_size);
	p = hsd_config_profile(cfg, cfg->kernel_server);
	if (!ret && p)
		ret = hsd_profile_ctx_new(cfg, p, &srv, &k->kserver, err,
					  err_size);
	return ret;
}

/*
 * Load every profile's context, and the ticket key secret: the file's, or
 * (without one) the previous generation's random one, so that a reload
 * does not void the tickets out there, or a new random one.
 */
int hsd_keys_load(const struct hsd_config *cfg, const struct hsd_keys *prev,
		  struct hsd_keys **out, char *err, size_t err_size)
{
	struct hsd_profile_ctx **tail;
	const struct hsd_profile *p;
	struct hsd_keys *k = calloc(1, sizeof(*k));
	int ret;

	snprintf(err, err_size, "out of memory");
	if (!k)
		return -ENOMEM;
	tail = &k->profiles;
	for (p = cfg->profiles; p; p = p->next) {
		struct hsd_profile_ctx *pc = calloc(1, sizeof(*pc));

		if (!pc) {
			ret = -ENOMEM;
			goto err;
		}
		pc->profile = p;
		*tail = pc;
		tail = &pc->next;
		ret = hsd_profile_ctx_new(cfg, p, NULL, &pc->ctx, err,
					  err_size);
		if (ret < 0)
			goto err;
	}
	ret = kernel_ctxs(cfg, k, err, err_size);
	if (ret < 0)
		goto err;
	if (cfg->ticket_key_file) {
		struct passwd *pw = cfg->user ? getpwnam(cfg->user) : NULL;

		ret = hsd_ticket_secret_read(cfg->ticket_key_file,
					     pw ? pw->pw_uid : (uid_t)-1,
					     k->secret, &k->secret_len, err,
					     err_size);
		if (ret < 0)
			goto err;
	} else if (prev && !prev->from_file) {
		memcpy(k->secret, prev->secret, prev->secret_len);
		k->secret_len = prev->secret_len;
	} else {
		k->secret_len = HSD_TICKET_SECRET_MIN;
		if (getrandom(k->secret, k->secret_len, 0) !=
		    (ssize_t)k->secret_len) {
			ret = -EIO;
			snprintf(err, err_size, "no random ticket secret: %s",
				 ktls_strerror(-errno));
			goto err;
		}
	}
	k->from_file = cfg->ticket_key_file != NULL;
	k->rotation = cfg->ticket_rotation;
	ret = tickets_install(k, (uint64_t)time(NULL) / k->rotation, err,
			      err_size);
	if (ret < 0)
		goto err;
	snprintf(err, err_size, "%s", "");
	*out = k;
	return 0;
err:
	hsd_keys_free(k);
	return ret;
}

void hsd_keys_free(struct hsd_keys *k)
{
	struct hsd_profile_ctx *list;

	if (!k)
		return;
	list = k->profiles;
	while (list) {
		struct hsd_profile_ctx *next = list->next;

		ktls_ctx_free(list->ctx);
		free(list);
		list = next;
	}
	ktls_ctx_free(k->kclient);
	ktls_ctx_free(k->kclient_anon);
	ktls_ctx_free(k->kserver);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

struct hsd_profile_ctx *hsd_keys_find(struct hsd_keys *k, const char *profile)
{
	struct hsd_profile_ctx *list;

	for (list = k->profiles; list; list = list->next)
		if (!strcmp(list->profile->name, profile))
			return list;
	return NULL;
}
