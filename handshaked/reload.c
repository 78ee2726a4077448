// SPDX-License-Identifier: MIT
/*
 * reload.c - the main thread once the daemon is set up: it starts the
 * workers (loop.c), then takes the signals (SIGHUP reloads the
 * configuration, SIGUSR1 logs the counters, SIGTERM drains) and renews
 * the ticket keys, until it is told to stop.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "hsd_int.h"

struct gen *hsd_gen_get(struct shared *sh)
{
	struct gen *g;

	pthread_mutex_lock(&sh->lock);
	g = sh->cur;
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sh->lock);
	return g;
}

void hsd_gen_put(struct gen *g)
{
	if (__atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		return;
	hsd_keys_free(g->keys);
	hsd_config_free(g->cfg);
	free(g);
}

struct gen *hsd_gen_new(struct hsd_config *cfg, struct hsd_keys *keys)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->cfg = cfg;
	g->keys = keys;
	g->refs = 1;
	return g;
}

/*
 * SIGHUP: read the configuration and every file it names again.  New
 * requests get the new one; handshakes in flight finish on the old one,
 * which goes when the last of them does.  A configuration that does not
 * load changes nothing.
 */
static void reload(struct shared *sh)
{
	struct gen *old = hsd_gen_get(sh), *g;
	struct hsd_config *cfg;
	struct hsd_keys *keys;
	char err[512];

	if (hsd_config_load(old->cfg->path, &cfg, err, sizeof(err)) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: %s", err);
		goto out;
	}
	if (hsd_keys_load(cfg, old->keys, &keys) < 0) {
		hsd_log(HSD_LOG_ERROR, "reload refused, the running "
			"configuration stays: its files could not be used");
		hsd_config_free(cfg);
		goto out;
	}
	g = hsd_gen_new(cfg, keys);
	if (!g) {
		hsd_keys_free(keys);
		hsd_config_free(cfg);
		hsd_log(HSD_LOG_ERROR, "reload refused: out of memory");
		goto out;
	}
	if (strcmp(cfg->socket_path, old->cfg->socket_path) ||
	    cfg->socket_mode != old->cfg->socket_mode ||
	    (cfg->socket_group ? !old->cfg->socket_group ||
	     strcmp(cfg->socket_group, old->cfg->socket_group) :
	     !!old->cfg->socket_group) ||
	    cfg->workers != old->cfg->workers ||
	    (cfg->user ? !old->cfg->user || strcmp(cfg->user,
						   old->cfg->user) :
	     !!old->cfg->user))
		hsd_log(HSD_LOG_NOTICE, "reload: socket, user and workers "
			"changes take a restart");
	pthread_mutex_lock(&sh->lock);
	sh->cur = g;
	pthread_mutex_unlock(&sh->lock);
	hsd_gen_put(old);			/* the reference sh->cur held */
	__atomic_add_fetch(&sh->n.reloads, 1, __ATOMIC_RELAXED);
	hsd_log_level(cfg->log_level);
	hsd_log(HSD_LOG_NOTICE, "reloaded %s; %llu handshakes in flight "
		"finish on the previous configuration", cfg->path,
		(unsigned long long)hsd_load(&sh->n.in_flight));
out:
	hsd_gen_put(old);
}

/* Renew the ticket keys when their period is over; the ms until the
 * next time. */
static int rotate(struct shared *sh)
{
	struct gen *g = hsd_gen_get(sh);
	uint64_t now = (uint64_t)time(NULL);
	unsigned int next;

	if (hsd_keys_rotate(g->keys, now) < 0)
		hsd_log(HSD_LOG_ERROR, "could not renew the ticket keys; the "
			"old ones stay");
	next = hsd_keys_next_rotation(g->keys, now);
	hsd_gen_put(g);
	return next > 60 ? 60000 : (int)next * 1000;
}

/* The main thread: signals and ticket keys, until SIGTERM or SIGINT. */
static void main_loop(struct shared *sh, int signal_fd)
{
	struct pollfd pfd = { .fd = signal_fd, .events = POLLIN };
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(&pfd, 1, rotate(sh)) <= 0)
			continue;
		while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				hsd_log(HSD_LOG_NOTICE, "stopping: %llu "
					"handshakes in flight finish first",
					(unsigned long long)
					hsd_load(&sh->n.in_flight));
				return;
			case SIGUSR1:
				hsd_log_counters(sh);
				break;
			case SIGHUP:
				reload(sh);
				break;
			default:
				break;
			}
		}
	}
}

/* Daemon mode hands back offloaded sockets only: without kTLS every
 * handshake will be refused, which an operator should hear at start. */
static void say_if_no_ktls(void)
{
	struct ktls_caps *caps;

	if (ktls_caps_probe(&caps) < 0)
		return;
	if (!ktls_caps_usable(caps))
		hsd_log(HSD_LOG_ERROR, "this kernel cannot offload TLS (%s): "
			"every handshake will be refused, since daemon mode "
			"hands back only sockets with their keys in the "
			"kernel (ktls-probe says what to do)",
			ktls_caps_ulp(caps) < 0 ? ktls_caps_ulp_reason(caps) :
			"no cipher offloads both ways");
	ktls_caps_free(caps);
}

int hsd_loop(struct hsd_config *cfg, struct hsd_keys *keys, int listen_fd,
	     int signal_fd)
{
	struct shared sh = { .listen_fd = listen_fd,
			     .workers = cfg->workers,
			     .started_at = hsd_now_ms() };
	unsigned int i, started = 0;
	struct loop *w;
	int ret = 0;

	pthread_mutex_init(&sh.lock, NULL);
	say_if_no_ktls();
	sh.cur = hsd_gen_new(cfg, keys);
	w = calloc(sh.workers, sizeof(*w));
	if (!sh.cur || !w) {
		if (!sh.cur) {
			hsd_keys_free(keys);
			hsd_config_free(cfg);
		}
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sh.workers; i++) {
		w[i].ep = w[i].wake_fd = -1;
		ret = hsd_worker_init(&w[i], &sh);
		if (ret < 0)
			break;
		ret = -pthread_create(&w[i].thread, NULL, hsd_worker, &w[i]);
		if (ret < 0)
			break;
		started++;
	}
	if (ret < 0)
		hsd_log(HSD_LOG_ERROR, "cannot start worker %u: %s", i,
			ktls_strerror(ret));
	else
		main_loop(&sh, signal_fd);
	/* Stop accepting everywhere, let the handshakes in flight end. */
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(w[i].wake_fd, &one, sizeof(one)) < 0)
			hsd_log(HSD_LOG_ERROR, "cannot stop worker %u", i);
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].ret < 0 && ret == 0)
			ret = w[i].ret;
	}
	hsd_log_counters(&sh);
out:
	if (w)
		for (i = 0; i < sh.workers; i++)
			hsd_worker_fini(&w[i]);
	free(w);
	if (sh.cur)
		hsd_gen_put(sh.cur);
	free(sh.uids);
	pthread_mutex_destroy(&sh.lock);
	return ret;
}
