// SPDX-License-Identifier: MIT
/*
 * counters.c - what the daemon reports: its counters, as a reply to
 * handshakectl(8) and as a log line (SIGUSR1, and at exit), and its
 * status (configuration, profiles, kTLS, workers, uptime) as a reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsd_int.h"

/* The kernel agent's counters (kernel.*), when it runs. */
static int each_kernel_counter(const struct shared *sh,
			       int (*fn)(const char *name, uint64_t v,
					 void *arg),
			       void *arg)
{
	static const char *const fails[HSD_KFAIL_MAX] = {
		[HSD_KFAIL_VERIFY] = "kernel.failed.verify",
		[HSD_KFAIL_ALERT] = "kernel.failed.alert",
		[HSD_KFAIL_POLICY] = "kernel.failed.policy",
		[HSD_KFAIL_PEER] = "kernel.failed.peer",
		[HSD_KFAIL_TIMEOUT] = "kernel.failed.timeout",
		[HSD_KFAIL_NOT_OFFLOADED] = "kernel.failed.not_offloaded",
		[HSD_KFAIL_KEYRING] = "kernel.failed.keyring",
		[HSD_KFAIL_UNSUPPORTED] = "kernel.failed.unsupported",
		[HSD_KFAIL_CANCELLED] = "kernel.failed.cancelled",
		[HSD_KFAIL_OTHER] = "kernel.failed.other",
	};
	const struct hsd_kcounters *k = &sh->n.kernel;
	unsigned int i;
	int ret;

	if (!sh->kernel)
		return 0;
	ret = fn("kernel.ready", hsd_load(&k->ready), arg) ||
	      fn("kernel.accepted", hsd_load(&k->accepted), arg) ||
	      fn("kernel.bad_requests", hsd_load(&k->bad_requests), arg) ||
	      fn("kernel.client.started", hsd_load(&k->started[0]), arg) ||
	      fn("kernel.client.ok", hsd_load(&k->ok[0]), arg) ||
	      fn("kernel.client.failed", hsd_load(&k->failed[0]), arg) ||
	      fn("kernel.server.started", hsd_load(&k->started[1]), arg) ||
	      fn("kernel.server.ok", hsd_load(&k->ok[1]), arg) ||
	      fn("kernel.server.failed", hsd_load(&k->failed[1]), arg);
	for (i = 0; !ret && i < HSD_KFAIL_MAX; i++)
		ret = fn(fails[i], hsd_load(&k->failed_by[i]), arg);
	return ret;
}

/* Call @fn with each counter's name and value. */
static int each_counter(const struct shared *sh,
			int (*fn)(const char *name, uint64_t v, void *arg),
			void *arg)
{
	static const char *const fails[HSD_FAIL_MAX] = {
		[HSD_FAIL_VERIFY] = "failed.verify",
		[HSD_FAIL_ALERT] = "failed.alert",
		[HSD_FAIL_POLICY] = "failed.policy",
		[HSD_FAIL_PEER] = "failed.peer",
		[HSD_FAIL_TIMEOUT] = "failed.timeout",
		[HSD_FAIL_CLIENT_GONE] = "failed.client_gone",
		[HSD_FAIL_NOT_OFFLOADED] = "failed.not_offloaded",
		[HSD_FAIL_OTHER] = "failed.other",
	};
	const struct hsd_counters *n = &sh->n;
	uint64_t failed = 0;
	char name[64];
	unsigned int i;
	int ret;

	for (i = 0; i < HSD_FAIL_MAX; i++)
		failed += hsd_load(&n->failed[i]);
	ret = fn("started", hsd_load(&n->started), arg) ||
	      fn("ok", hsd_load(&n->ok), arg) ||
	      fn("failed", failed, arg) ||
	      fn("resumed", hsd_load(&n->resumed), arg) ||
	      fn("in_flight", hsd_load(&n->in_flight), arg) ||
	      fn("refused", hsd_load(&n->refused), arg) ||
	      fn("bad_requests", hsd_load(&n->bad_requests), arg);
	for (i = 0; !ret && i < HSD_FAIL_MAX; i++)
		ret = fn(fails[i], hsd_load(&n->failed[i]), arg);
	if (!ret)
		ret = fn("version.TLSv1.2", hsd_load(&n->tls12), arg) ||
		      fn("version.TLSv1.3", hsd_load(&n->tls13), arg);
	for (i = 1; !ret && i < sizeof(n->cipher) / sizeof(n->cipher[0]);
	     i++) {
		snprintf(name, sizeof(name), "cipher.%s",
			 ktls_cipher_name((enum ktls_cipher)i));
		ret = fn(name, hsd_load(&n->cipher[i]), arg);
	}
	if (!ret)
		ret = fn("reloads", hsd_load(&n->reloads), arg) ||
		      fn("workers", sh->workers, arg) ||
		      fn("uptime_s", (hsd_now_ms() - sh->started_at) / 1000,
			 arg);
	return ret ?: each_kernel_counter(sh, fn, arg);
}

static int put_counter(const char *name, uint64_t v, void *arg)
{
	struct hsd_proto_counters *c = arg;
	struct hsd_proto_counter *e = &c->c[c->n];

	if (c->n == HSD_PROTO_COUNTERS_MAX ||
	    snprintf(e->name, sizeof(e->name), "%s", name) >=
	    (int)sizeof(e->name))
		return -ENOSPC;
	e->value = v;
	c->n++;
	return 0;
}

/*
 * How busy the daemon is, why handshakes fail and what it runs with are
 * for root and the users its access rules name: true if @cl is one, else
 * it is refused (and counted).
 */
static bool may_read(struct loop *l, struct client *cl, const char *what)
{
	struct gen *g = hsd_gen_get(l->sh);
	bool may = hsd_config_may_read_counters(g->cfg, cl->cred.uid,
						cl->cred.gid);
	char why[96];

	hsd_gen_put(g);
	if (may)
		return true;
	snprintf(why, sizeof(why), "uid %u may not read the %s (no access "
		 "rule names it)", (unsigned int)cl->cred.uid, what);
	HSD_COUNT(l, refused);
	hsd_reply(l, cl->fd, -EACCES, why);
	return false;
}

/* The counters, for handshakectl(8). */
void hsd_reply_counters(struct loop *l, struct client *cl)
{
	struct hsd_proto_counters c = { .r.status = 0 };

	if (!may_read(l, cl, "counters"))
		return;
	if (each_counter(l->sh, put_counter, &c) ||
	    hsd_proto_encode_counters(&l->msg, &c) < 0 ||
	    hsd_proto_send(cl->fd, &l->msg, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"counters", (int)cl->cred.pid);
}

/* The first HSD_PROTO_PROFILES_MAX profiles of @cfg, as status shows
 * them: the versions and ciphers each ends up with. */
static void status_profiles(const struct hsd_config *cfg,
			    struct hsd_proto_status *s)
{
	const struct hsd_profile *p;

	for (p = cfg->profiles; p; p = p->next) {
		struct hsd_proto_profile *e = &s->profiles[s->n_profiles];
		const char *ciphers = p->ciphers ? p->ciphers : cfg->ciphers;

		s->profiles_total++;
		if (s->n_profiles == HSD_PROTO_PROFILES_MAX)
			continue;
		snprintf(e->name, sizeof(e->name), "%s", p->name);
		e->roles = (uint8_t)p->roles;
		e->min_version = p->min_version ? p->min_version :
				 cfg->min_version;
		e->max_version = p->max_version ? p->max_version :
				 cfg->max_version;
		snprintf(e->ciphers, sizeof(e->ciphers), "%s",
			 ciphers ? ciphers : "");
		s->n_profiles++;
	}
}

/* What the daemon runs with, for handshakectl(8) status. */
void hsd_reply_status(struct loop *l, struct client *cl)
{
	struct hsd_proto_status *s;
	struct gen *g;

	if (!may_read(l, cl, "status"))
		return;
	s = calloc(1, sizeof(*s));
	if (!s) {
		hsd_reply(l, cl->fd, -ENOMEM, "out of memory");
		return;
	}
	g = hsd_gen_get(l->sh);
	snprintf(s->config_path, sizeof(s->config_path), "%s", g->cfg->path);
	snprintf(s->version, sizeof(s->version), "%s", KTLS_VERSION_STRING);
	s->pid = (uint32_t)getpid();
	s->uptime_s = (hsd_now_ms() - l->sh->started_at) / 1000;
	s->workers = l->sh->workers;
	s->ktls_usable = l->sh->ktls_usable;
	snprintf(s->ktls_reason, sizeof(s->ktls_reason), "%s",
		 l->sh->ktls_reason);
	s->kernel_agent = l->sh->kernel != NULL;
	if (s->kernel_agent) {
		snprintf(s->kernel_client, sizeof(s->kernel_client), "%s",
			 g->cfg->kernel_client);
		snprintf(s->kernel_server, sizeof(s->kernel_server), "%s",
			 g->cfg->kernel_server);
	}
	status_profiles(g->cfg, s);
	hsd_gen_put(g);
	if (hsd_proto_encode_status(&l->msg, s) < 0 ||
	    hsd_proto_send(cl->fd, &l->msg, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"status", (int)cl->cred.pid);
	free(s);
}

static int log_counter(const char *name, uint64_t v, void *arg)
{
	char *line = arg;
	size_t len = strlen(line);

	if (v)
		snprintf(line + len, 1024 - len, " %s=%llu", name,
			 (unsigned long long)v);
	return 0;
}

void hsd_log_counters(const struct shared *sh)
{
	char line[1024] = "";

	(void)each_counter(sh, log_counter, line);
	hsd_log(HSD_LOG_NOTICE, "counters:%s", line);
}
