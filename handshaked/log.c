// SPDX-License-Identifier: MIT
/*
 * log.c - messages for operators: syslog, or stderr in the foreground;
 * when that stderr is the journal's stream (systemd's JOURNAL_STREAM
 * names it), each line starts with its priority ("<3>"), as sd-daemon(3)
 * describes, so that the journal files it at the right level.
 *
 * What other processes can make happen as often as they like (bad
 * requests, refusals, accept() failing for want of fds) is logged through
 * hsd_log_limited(): a token bucket per call site lets a burst of
 * HSD_LOG_BURST lines through, then HSD_LOG_PER_S a second, and the first
 * line after a pause says how many were left out.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "handshaked.h"

static bool to_stderr;
static bool to_journal;		/* stderr is the journal: "<N>" prefixes */
static enum hsd_log_level max_level = HSD_LOG_NOTICE;
/* guards every struct hsd_log_limit */
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether stderr is the stream systemd's JOURNAL_STREAM ("DEV:INODE")
 * names: the journal, not a terminal or a file it was redirected to. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	return js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void hsd_log_init(bool foreground, enum hsd_log_level level)
{
	to_stderr = foreground;
	to_journal = foreground && stderr_is_journal();
	max_level = level;
	if (!foreground)
		openlog(HSD_NAME, LOG_PID, LOG_DAEMON);
}

/* (a reload sets it while workers log) */
void hsd_log_level(enum hsd_log_level level)
{
	__atomic_store_n(&max_level, level, __ATOMIC_RELAXED);
}

static bool enabled(enum hsd_log_level level)
{
	return level <= __atomic_load_n(&max_level, __ATOMIC_RELAXED);
}

__attribute__((format(printf, 2, 0)))
static void vlog(enum hsd_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = {
		[HSD_LOG_ERROR] = LOG_ERR,
		[HSD_LOG_NOTICE] = LOG_NOTICE,
		[HSD_LOG_INFO] = LOG_INFO,
		[HSD_LOG_DEBUG] = LOG_DEBUG,
	};

	if (to_stderr) {
		flockfile(stderr);	/* one line, whichever thread */
		if (to_journal)
			fprintf(stderr, "<%d>", prio[level]);
		fprintf(stderr, "%s: ", HSD_NAME);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else {
		vsyslog(prio[level], fmt, ap);
	}
}

void hsd_log(enum hsd_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

bool hsd_log_allow(struct hsd_log_limit *rl, uint64_t now_ms,
		   unsigned long *suppressed)
{
	const uint64_t full = HSD_LOG_BURST * 1000ULL / HSD_LOG_PER_S;
	const uint64_t cost = 1000 / HSD_LOG_PER_S;

	if (!rl->started) {
		rl->started = true;
		rl->credit = full;
	} else if (now_ms > rl->last_ms) {
		rl->credit += now_ms - rl->last_ms;
		if (rl->credit > full)
			rl->credit = full;
	}
	rl->last_ms = now_ms;
	if (rl->credit < cost) {
		rl->suppressed++;
		return false;
	}
	rl->credit -= cost;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void hsd_log_at(struct hsd_log_limit *rl, enum hsd_log_level level,
		const char *fmt, ...)
{
	unsigned long suppressed = 0;
	struct timespec ts;
	bool allow;
	va_list ap;

	if (!enabled(level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&limit_lock);
	allow = hsd_log_allow(rl, (uint64_t)ts.tv_sec * 1000 +
			      (uint64_t)ts.tv_nsec / 1000000, &suppressed);
	pthread_mutex_unlock(&limit_lock);
	if (!allow)
		return;
	if (suppressed)
		hsd_log(level, "rate limit: %lu messages suppressed, like "
			"this one:", suppressed);
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
