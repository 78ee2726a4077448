// SPDX-License-Identifier: MIT
/*
 * log.c - messages for operators: syslog, or stderr in the foreground.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "handshaked.h"

static bool to_stderr;
static enum hsd_log_level max_level = HSD_LOG_NOTICE;

void hsd_log_init(bool foreground, enum hsd_log_level level)
{
	to_stderr = foreground;
	max_level = level;
	if (!foreground)
		openlog(HSD_NAME, LOG_PID, LOG_DAEMON);
}

/* (a reload sets it while workers log) */
void hsd_log_level(enum hsd_log_level level)
{
	__atomic_store_n(&max_level, level, __ATOMIC_RELAXED);
}

void hsd_log(enum hsd_log_level level, const char *fmt, ...)
{
	static const int prio[] = {
		[HSD_LOG_ERROR] = LOG_ERR,
		[HSD_LOG_NOTICE] = LOG_NOTICE,
		[HSD_LOG_INFO] = LOG_INFO,
		[HSD_LOG_DEBUG] = LOG_DEBUG,
	};
	va_list ap;

	if (level > __atomic_load_n(&max_level, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	if (to_stderr) {
		flockfile(stderr);	/* one line, whichever thread */
		fprintf(stderr, "%s: ", HSD_NAME);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else {
		vsyslog(prio[level], fmt, ap);
	}
	va_end(ap);
}
