/* SPDX-License-Identifier: MIT */
/*
 * tool.h - what ktls-client and ktls-server share: TLS options on the
 * command line, printing a session, and moving data.
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
	const char *profile;
	bool software;
	bool no_tickets;
	int verify;		/* enum ktls_verify */
	bool quiet;
};

/* Long options shared by both tools; getopt_long values start at 256. */
enum {
	OPT_CAFILE = 256, OPT_CAPATH, OPT_CRL, OPT_CERT, OPT_KEY, OPT_PASS,
	OPT_ALPN, OPT_CIPHERS, OPT_MIN, OPT_MAX, OPT_SOFTWARE,
	OPT_NO_TICKETS, OPT_QUIET, OPT_RECORD_LIMIT, OPT_DAEMON, OPT_PROFILE,
};

#define TOOL_LONG_OPTS							\
	{ "cafile", required_argument, NULL, OPT_CAFILE },		\
	{ "capath", required_argument, NULL, OPT_CAPATH },		\
	{ "crl", required_argument, NULL, OPT_CRL },			\
	{ "cert", required_argument, NULL, OPT_CERT },			\
	{ "key", required_argument, NULL, OPT_KEY },			\
	{ "pass", required_argument, NULL, OPT_PASS },			\
	{ "alpn", required_argument, NULL, OPT_ALPN },			\
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },		\
	{ "min", required_argument, NULL, OPT_MIN },			\
	{ "max", required_argument, NULL, OPT_MAX },			\
	{ "software", no_argument, NULL, OPT_SOFTWARE },		\
	{ "no-tickets", no_argument, NULL, OPT_NO_TICKETS },		\
	{ "quiet", no_argument, NULL, OPT_QUIET },			\
	{ "record-limit", required_argument, NULL, OPT_RECORD_LIMIT },	\
	{ "daemon", required_argument, NULL, OPT_DAEMON },		\
	{ "profile", required_argument, NULL, OPT_PROFILE }

#define TOOL_OPTS_HELP							\
	"  --cafile FILE     trust the CAs in FILE (PEM)\n"		\
	"  --capath DIR      trust the CAs in DIR (hashed names)\n"	\
	"  --crl FILE        check certificates against the CRL in FILE\n" \
	"                    (repeat for the CRL of each CA)\n" \
	"  --cert FILE       own certificate chain (PEM or DER)\n"	\
	"  --key FILE        its private key (PEM, may be encrypted, or DER)\n" \
	"  --pass FILE       passphrase of an encrypted key, from FILE\n" \
	"  --alpn LIST       ALPN protocols, comma-separated\n"		\
	"  --ciphers LIST    ciphers in preference order (AES-128-GCM,\n" \
	"                    AES-256-GCM, CHACHA20-POLY1305, AES-128-CCM)\n" \
	"  --min VER, --max VER  TLS versions: 1.2 or 1.3\n"		\
	"  --software        keep the record layer in wolfSSL (no kTLS)\n" \
	"  --no-tickets      no session tickets\n"			\
	"  --record-limit N  renew keys (TLS 1.3 KeyUpdate) every N records\n" \
	"  --daemon SOCKET   handshake through handshaked at SOCKET, with\n" \
	"  --profile NAME    this profile of its configuration\n"	\
	"  --quiet           print no session summary\n"

extern const char *tool_name;

void tool_opts_init(struct tool_opts *o);
/* Parse one shared option; returns 0, or -1 with a message printed. */
int tool_opt(struct tool_opts *o, int c, const char *arg);
/* A context with the options applied; exits with a message on failure. */
struct ktls_ctx *tool_ctx_setup(const struct tool_opts *o);
/* The session, in "key: value" lines, to @f. */
void tool_print_session(FILE *f, const struct ktls_conn *conn);
/* One line: version, cipher, ALPN, resumed, offload. */
int tool_session_line(const struct ktls_conn *conn, char *buf, size_t size);
const char *tool_version_name(unsigned int v);
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
