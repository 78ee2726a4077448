// SPDX-License-Identifier: MIT
/*
 * keylog.c - --keylog: the TLS secrets of every handshake appended to the
 * file $SSLKEYLOGFILE names, in the NSS key-log format Wireshark reads.
 * Only with the option: the variable alone is not enough, because anyone
 * who reads the file can decrypt the sessions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static int keylog_fd = -1;

/* One line per write(), which O_APPEND keeps whole when several
 * processes share the file.  The copy is wiped. */
static void keylog_line(const struct ktls_conn *conn, const char *line,
			void *arg)
{
	char buf[512];
	size_t len = strlen(line);

	(void)conn;
	(void)arg;
	if (len + 1 > sizeof(buf))
		return;
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* Nothing to do about a failed write in the middle of a
	 * handshake: the log misses the line, the session goes on. */
	(void)!write(keylog_fd, buf, len + 1);
	explicit_bzero(buf, sizeof(buf));
}

void tool_keylog_setup(struct ktls_ctx *ctx, const struct tool_opts *o)
{
	const char *path = getenv("SSLKEYLOGFILE");
	struct stat st;
	int ret;

	if (!o->keylog)
		return;
	if (o->daemon)
		tool_die("--keylog: not with --daemon: handshaked has the "
			 "keys, and never logs them");
	if (!path || !*path)
		tool_die("--keylog: SSLKEYLOGFILE is not set");
	keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			 O_NOFOLLOW | O_NOCTTY, 0600);
	if (keylog_fd < 0)
		tool_die("--keylog: SSLKEYLOGFILE %s: %s", path,
			 strerror(errno));
	if (fstat(keylog_fd, &st) < 0)
		tool_die("--keylog: SSLKEYLOGFILE %s: %s", path,
			 strerror(errno));
	if (!S_ISREG(st.st_mode))
		tool_die("--keylog: SSLKEYLOGFILE %s: not a regular file",
			 path);
	if (st.st_mode & 077)
		tool_die("--keylog: SSLKEYLOGFILE %s: group or others can use "
			 "it (mode %03o); it must be 0600 or stricter", path,
			 (unsigned int)(st.st_mode & 0777));
	if (st.st_uid != geteuid())
		tool_die("--keylog: SSLKEYLOGFILE %s: owned by uid %u, not by "
			 "us", path, (unsigned int)st.st_uid);
	ret = ktls_ctx_set_keylog_cb(ctx, keylog_line, NULL);
	if (ret < 0)
		tool_die("--keylog: %s", *ktls_ctx_errstr(ctx) ?
			 ktls_ctx_errstr(ctx) : ktls_strerror(ret));
	fprintf(stderr, "%s: --keylog: appending TLS secrets to %s "
		"(SSLKEYLOGFILE): whoever reads it can decrypt these "
		"sessions\n", tool_name, path);
}
