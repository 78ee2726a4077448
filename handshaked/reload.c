// SPDX-License-Identifier: MIT
/*
 * reload.c - the main thread once the daemon is set up: it starts the
 * workers (loop.c), then takes the signals (SIGHUP reloads the
 * configuration, SIGUSR1 logs the counters, SIGTERM drains) and renews
 * the ticket keys, until it is told to stop.  hsd_reload() is also what a
 * client's reload request runs, on its worker.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
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

static bool restart_needed(const struct hsd_config *a,
			   const struct hsd_config *b)
{
	return strcmp(a->socket_path, b->socket_path) ||
	       a->socket_mode != b->socket_mode ||
	       (a->socket_group ? !b->socket_group ||
		strcmp(a->socket_group, b->socket_group) :
		!!b->socket_group) ||
	       a->workers != b->workers ||
	       a->kernel_enable != b->kernel_enable ||
	       (a->user ? !b->user || strcmp(a->user, b->user) : !!b->user);
}

/*
 * Read the configuration and every file it names again (SIGHUP, or a
 * reload request).  New requests get the new one; handshakes in flight
 * finish on the old one, which goes when the last of them does.  A
 * configuration that does not load changes nothing.
 */
static int reload(struct shared *sh, char *msg, size_t size)
{
	struct gen *old = hsd_gen_get(sh), *g;
	struct hsd_config *cfg;
	struct hsd_keys *keys;
	char err[512];
	int ret;

	ret = hsd_config_load(old->cfg->path, &cfg, err, sizeof(err));
	if (ret < 0)
		goto refused;
	ret = hsd_keys_load(cfg, old->keys, &keys, err, sizeof(err));
	if (ret < 0) {
		hsd_config_free(cfg);
		goto refused;
	}
	g = hsd_gen_new(cfg, keys);
	if (!g) {
		hsd_keys_free(keys);
		hsd_config_free(cfg);
		ret = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
		goto refused;
	}
	pthread_mutex_lock(&sh->lock);
	sh->cur = g;
	pthread_mutex_unlock(&sh->lock);
	hsd_gen_put(old);			/* the reference sh->cur held */
	__atomic_add_fetch(&sh->n.reloads, 1, __ATOMIC_RELAXED);
	hsd_log_level(cfg->log_level);
	snprintf(msg, size, "reloaded %s; %llu handshakes in flight finish "
		 "on the previous configuration%s", cfg->path,
		 (unsigned long long)hsd_load(&sh->n.in_flight),
		 restart_needed(cfg, old->cfg) ? "; socket, user, workers and "
		 "[kernel] enable changes take a restart" : "");
	hsd_log(HSD_LOG_NOTICE, "%s", msg);
	hsd_gen_put(old);
	return 0;

refused:
	snprintf(msg, size, "reload refused, the running configuration "
		 "stays: %s", err);
	hsd_log(HSD_LOG_ERROR, "%s", msg);
	hsd_gen_put(old);
	return ret;
}

int hsd_reload(struct shared *sh, char *msg, size_t size)
{
	int ret;

	pthread_mutex_lock(&sh->reload_lock);
	ret = reload(sh, msg, size);
	pthread_mutex_unlock(&sh->reload_lock);
	return ret;
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
			case SIGHUP: {
				char msg[HSD_PROTO_ERRSTR_MAX + 1];

				(void)!hsd_reload(sh, msg, sizeof(msg));
				break;	/* (logged either way) */
			}
			default:
				break;
			}
		}
	}
}

/*
 * Daemon mode hands back offloaded sockets only: without kTLS every
 * handshake will be refused, which an operator should hear at start (and
 * handshakectl status shows).
 */
static void probe_ktls(struct shared *sh)
{
	struct ktls_caps *caps;
	const char *why;

	sh->ktls_usable = false;
	if (ktls_caps_probe(&caps) < 0) {
		snprintf(sh->ktls_reason, sizeof(sh->ktls_reason),
			 "the kernel could not be probed");
		return;
	}
	why = ktls_caps_unusable_reason(caps);
	sh->ktls_usable = !why;
	if (why) {
		snprintf(sh->ktls_reason, sizeof(sh->ktls_reason), "%s", why);
		hsd_log(HSD_LOG_ERROR, "kTLS is unusable (%s): every "
			"handshake will be refused with an alert, since %s",
			why, HSD_NEEDS_KTLS);
	}
	ktls_caps_free(caps);
}

int hsd_loop(struct hsd_config *cfg, struct hsd_keys *keys, int listen_fd,
	     int signal_fd, struct hsd_kernel *kernel)
{
	struct shared sh = { .listen_fd = listen_fd,
			     .kernel = kernel,
			     .workers = cfg->workers,
			     .started_at = hsd_now_ms() };
	unsigned int i, started = 0;
	struct loop *w;
	int ret = 0;

	pthread_mutex_init(&sh.lock, NULL);
	pthread_mutex_init(&sh.reload_lock, NULL);
	probe_ktls(&sh);
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
		ret = hsd_worker_init(&w[i], &sh, i);
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
	pthread_mutex_destroy(&sh.reload_lock);
	pthread_mutex_destroy(&sh.lock);
	return ret;
}
