// SPDX-License-Identifier: MIT
/*
 * counters.c - the daemon's counters, as a reply to handshakectl(8) and
 * as a log line (SIGUSR1, and at exit).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hsd_int.h"

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
	return ret;
}

static int put_counter(const char *name, uint64_t v, void *arg)
{
	uint8_t val[8 + 64];
	size_t len = strlen(name);
	unsigned int i;

	if (len > 64)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		val[i] = (uint8_t)(v >> (56 - 8 * i));
	memcpy(val + 8, name, len);
	return ktls_proto_put(arg, KTLS_A_COUNTER, val, 8 + len);
}

/* The counters, for handshakectl(8): status 0 and a KTLS_A_COUNTER each. */
void hsd_reply_counters(struct loop *l, struct client *cl)
{
	struct ktls_proto_msg *m = &l->msg;
	struct gen *g = hsd_gen_get(l->sh);
	bool may = hsd_config_may_read_counters(g->cfg, cl->cred.uid,
						cl->cred.gid);

	hsd_gen_put(g);
	/* How busy the daemon is, and why handshakes fail, is for root and
	 * the users its access rules name. */
	if (!may) {
		char why[96];

		snprintf(why, sizeof(why), "uid %u may not read the counters "
			 "(no access rule names it)",
			 (unsigned int)cl->cred.uid);
		HSD_COUNT(l, refused);
		hsd_reply_error(l, cl->fd, -EACCES, why);
		return;
	}
	ktls_proto_init(m, KTLS_MSG_RESULT);
	if (ktls_proto_put_u32(m, KTLS_A_STATUS, 0) ||
	    each_counter(l->sh, put_counter, m) ||
	    ktls_proto_send(cl->fd, m, -1) < 0)
		hsd_log_limited(HSD_LOG_INFO, "pid %d: could not send the "
				"counters", (int)cl->cred.pid);
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
