/* SPDX-License-Identifier: MIT */
/*
 * tool.h - what the programs share: the command line (opt.c), and the TLS
 * context, printing a session, moving data, sockets and addresses
 * (tool.c).
 */
#ifndef KTLS_TOOL_H
#define KTLS_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ktls.h"

/* Options both tools take, applied to a context by tool_ctx_setup(). */
struct tool_opts {
	const char *cafile;
	const char *capath;
	const char *crls[4];
	int n_crls;
	const char *certs[8];
	const char *keys[8];
	int n_ids;
	const char *passfile;
	const char *alpn;
	const char *ciphers;
	long vmin;
	long vmax;
	long record_limit;
	const char *daemon;		/* handshaked's socket: daemon mode */
	const char *psk_identity;	/* TLS 1.3 PSK (struct tool_cmd.psk) */
	const char *psk_file;		/* its key, in hex */
	long psk_hash;			/* enum ktls_psk_hash; 0: by length */
	const char *profile;
	bool software;
	bool no_tickets;
	bool keylog;		/* --keylog: to $SSLKEYLOGFILE */
	int verify;		/* enum ktls_verify */
	bool quiet;
};

/*
 * One option of a program: its long name, its key (the short option's
 * letter, or a value from OPT_OWN up for a long option alone), the name of
 * its argument (NULL: it takes none) and its help text, where "\n" starts
 * a continuation line.  A table ends with { NULL }.
 */
struct tool_option {
	const char *name;
	int key;
	const char *arg;
	const char *help;
};

/* The keys of the TLS options (tool_getopt() applies them itself), and
 * where a program's own keys start. */
enum {
	OPT_CAFILE = 256, OPT_CAPATH, OPT_CRL, OPT_CERT, OPT_KEY, OPT_PASS,
	OPT_ALPN, OPT_CIPHERS, OPT_MIN, OPT_MAX, OPT_SOFTWARE,
	OPT_NO_TICKETS, OPT_QUIET, OPT_RECORD_LIMIT, OPT_DAEMON, OPT_PROFILE,
	OPT_PSK_IDENTITY, OPT_PSK_FILE, OPT_PSK_HASH, OPT_KEYLOG,
	OPT_OWN = 512,
};

/* A program's command line, for tool_getopt() and its --help. */
struct tool_cmd {
	const char *synopsis;	/* after "Usage: NAME "; "\n": another form */
	const char *about;	/* what it does, in a sentence or two */
	const struct tool_option *opts;	/* its own options */
	const char *quiet;	/* what --quiet does, with the TLS options */
	const char *notes;	/* after the options, or NULL */
	bool psk;		/* takes the PSK options too */
};

extern const char *tool_name;

void tool_opts_init(struct tool_opts *o);
/*
 * The next of @cmd's own options in @argv: its key, with its argument in
 * optarg; or -1 when the options end (optind is then the first operand).
 * With @tls, the TLS options are taken too, into @tls.  -h prints the help
 * and -V the version, and exit 0; a bad option or value is a usage error
 * (exit 2).
 */
int tool_getopt(const struct tool_cmd *cmd, struct tool_opts *tls, int argc,
		char **argv);
/* The --help text: usage lines, what it does, one line per option. */
void tool_help(const struct tool_cmd *cmd, bool tls, FILE *f);
/* A context with the options applied; exits with a message on failure.
 * With a PSK, a server context looks its identity up. */
struct ktls_ctx *tool_ctx_setup(const struct tool_opts *o);
/* --keylog: the context's key log to $SSLKEYLOGFILE (keylog.c), said on
 * stderr; exits with a message on failure.  Called by tool_ctx_setup(). */
void tool_keylog_setup(struct ktls_ctx *ctx, const struct tool_opts *o);
/* A client connection gets the PSK of the options, if any; exits with a
 * message on failure. */
void tool_conn_psk(struct ktls_conn *conn);
/* The session, in "key: value" lines, to @f. */
void tool_print_session(FILE *f, const struct ktls_conn *conn);
/* One line: version, cipher, ALPN, resumed, offload. */
int tool_session_line(const struct ktls_conn *conn, char *buf, size_t size);
const char *tool_version_name(unsigned int v);
void tool_stats_tail(const struct ktls_conn *conn, char *buf, size_t size);
void tool_print_done(FILE *f, const struct ktls_conn *conn, long long out,
		     long long in);
/* Send all of @buf; returns 0 or a negative errno. */
int tool_send_all(struct ktls_conn *conn, const void *buf, size_t len);
/* Send a whole file with ktls_sendfile(); returns bytes or -errno. */
long long tool_send_file(struct ktls_conn *conn, const char *path);
/* Copy @in_fd to the connection and the connection to @out_fd until both
 * ends are done; returns 0 or a negative errno.  Counts into *in, *out. */
int tool_pump(struct ktls_conn *conn, int in_fd, int out_fd,
	      long long *sent, long long *received);
__attribute__((format(printf, 1, 2), noreturn))
void tool_die(const char *fmt, ...);
/* A listening TCP socket on @addr (IPv4 or IPv6, numeric; "::" is dual
 * stack) and @port (0: any); *@portp gets the port.  Dies on failure. */
int tool_listen(const char *addr, const char *port, int backlog, int *portp);
/* The address alone: "1.2.3.4" or "::1" (IPv4-mapped as IPv4). */
const char *tool_host(const struct sockaddr_storage *ss, char *buf,
		      size_t size);
/* "1.2.3.4:5" or "[::1]:5" (IPv4-mapped addresses as IPv4), in @buf. */
const char *tool_addr(const struct sockaddr_storage *ss, char *buf,
		      size_t size);
/* The reverse: "HOST:PORT", an IPv6 address in brackets ("[::1]:443"),
 * in @buf. */
const char *tool_join(const char *host, const char *port, char *buf,
		      size_t size);
/* Split "HOST:PORT" or "[IPv6]:PORT": @host gets the host, *@port points
 * into @arg.  Return: 0, or -EINVAL. */
int tool_host_port(const char *arg, char *host, size_t size,
		   const char **port);
/* The -V line of every program: "NAME VERSION (libktls LIBVERSION)". */
void tool_version(void);
/* A usage error: the sentence (if @fmt is not NULL), then "Try 'TOOL
 * --help'", and exit status 2. */
__attribute__((format(printf, 1, 2), noreturn))
void tool_usage_error(const char *fmt, ...);

#endif /* KTLS_TOOL_H */
