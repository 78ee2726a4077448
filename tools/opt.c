// SPDX-License-Identifier: MIT
/*
 * opt.c - the command line of every program, from one table of options
 * per program plus the TLS options the TLS programs share: the
 * getopt_long() arrays, the --help text, -h and -V, and usage errors (one
 * line, a pointer to --help, exit status 2).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The help text starts two columns after the longest option, at most
 * this far in (a longer option has its help on the next line). */
#define HELP_COL_MAX 24
/* The most options one program takes, shared ones included. */
#define MAX_OPTS 48

/* The TLS options, applied to a context by tool_ctx_setup().  --quiet's
 * help is each program's own (struct tool_cmd.quiet). */
static const struct tool_option tls_options[] = {
	{ "cafile", OPT_CAFILE, "FILE", "trust the CAs in FILE (PEM)" },
	{ "capath", OPT_CAPATH, "DIR", "trust the CAs in DIR (hashed names)" },
	{ "crl", OPT_CRL, "FILE", "check certificates against the CRL in "
	  "FILE\n(repeat for the CRL of each CA)" },
	{ "cert", OPT_CERT, "FILE", "own certificate chain (PEM or DER)" },
	{ "key", OPT_KEY, "FILE", "its private key (PEM, may be encrypted, "
	  "or DER)" },
	{ "pass", OPT_PASS, "FILE", "passphrase of an encrypted key, from "
	  "FILE" },
	{ "alpn", OPT_ALPN, "LIST", "ALPN protocols, comma-separated" },
	{ "ciphers", OPT_CIPHERS, "LIST", "ciphers in preference order "
	  "(AES-128-GCM,\nAES-256-GCM, CHACHA20-POLY1305, AES-128-CCM)" },
	{ "min", OPT_MIN, "VERSION", "lowest TLS version: 1.2 or 1.3" },
	{ "max", OPT_MAX, "VERSION", "highest TLS version: 1.2 or 1.3" },
	{ "software", OPT_SOFTWARE, NULL, "keep the record layer in wolfSSL "
	  "(no kTLS)" },
	{ "no-tickets", OPT_NO_TICKETS, NULL, "no session tickets" },
	{ "record-limit", OPT_RECORD_LIMIT, "N", "renew keys (TLS 1.3 "
	  "KeyUpdate) every N records" },
	{ "daemon", OPT_DAEMON, "SOCKET", "do handshakes through handshaked "
	  "at SOCKET" },
	{ "profile", OPT_PROFILE, "NAME", "the profile of handshaked.conf "
	  "for --daemon\n(default: default)" },
	{ "keylog", OPT_KEYLOG, NULL, "append TLS secrets to the file "
	  "$SSLKEYLOGFILE names\n(NSS key log, for Wireshark; mode 0600; "
	  "debugging only)" },
	{ "quiet", OPT_QUIET, NULL, NULL },
	{ NULL, 0, NULL, NULL },
};

/* The TLS 1.3 PSK, for the programs whose struct tool_cmd says psk. */
static const struct tool_option psk_options[] = {
	{ "psk-identity", OPT_PSK_IDENTITY, "ID", "authenticate with the "
	  "TLS 1.3 PSK of identity ID\n(no certificates)" },
	{ "psk-file", OPT_PSK_FILE, "FILE", "the PSK's key, in hex, from FILE "
	  "(16 to 64\nbytes)" },
	{ "psk-hash", OPT_PSK_HASH, "HASH", "sha256 or sha384 (default: sha384 "
	  "for a\n48-byte key, else sha256)" },
	{ NULL, 0, NULL, NULL },
};

/* Every program's last two. */
static const struct tool_option std_options[] = {
	{ "help", 'h', NULL, "print this help and exit" },
	{ "version", 'V', NULL, "print the version and exit" },
	{ NULL, 0, NULL, NULL },
};

void tool_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void tool_version(void)
{
	printf("%s %s (libktls %s)\n", tool_name, KTLS_VERSION_STRING,
	       ktls_version());
}

void tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", tool_name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", tool_name);
	exit(2);
}

void tool_opts_init(struct tool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->verify = KTLS_VERIFY_DEFAULT;
}

static long parse_version(const char *s)
{
	if (!strcmp(s, "1.2"))
		return KTLS_TLS_1_2;
	if (!strcmp(s, "1.3"))
		return KTLS_TLS_1_3;
	/* Older versions go to the library, which says why it refuses. */
	if (!strcmp(s, "1.0"))
		return 0x0301;
	if (!strcmp(s, "1.1"))
		return 0x0302;
	if (!strcmp(s, "ssl3"))
		return 0x0300;
	return -1;
}

/* One TLS option, into @o; a bad value is a usage error. */
static void tls_opt(struct tool_opts *o, int c, const char *arg)
{
	char *end;

	switch (c) {
	case OPT_CAFILE:
		o->cafile = arg;
		break;
	case OPT_CAPATH:
		o->capath = arg;
		break;
	case OPT_CRL:
		if (o->n_crls == 4)
			tool_usage_error("at most 4 --crl files");
		o->crls[o->n_crls++] = arg;
		break;
	case OPT_CERT:
		if (o->n_ids == 8)
			tool_usage_error("at most 8 --cert files");
		o->certs[o->n_ids] = arg;
		break;
	case OPT_KEY:
		if (!o->certs[o->n_ids])
			tool_usage_error("--key %s needs a --cert before it",
					 arg);
		o->keys[o->n_ids++] = arg;
		break;
	case OPT_PASS:
		o->passfile = arg;
		break;
	case OPT_ALPN:
		o->alpn = arg;
		break;
	case OPT_CIPHERS:
		o->ciphers = arg;
		break;
	case OPT_MIN:
	case OPT_MAX:
		if (parse_version(arg) < 0)
			tool_usage_error("'%s' is not a TLS version (1.2 or "
					 "1.3)", arg);
		if (c == OPT_MIN)
			o->vmin = parse_version(arg);
		else
			o->vmax = parse_version(arg);
		break;
	case OPT_SOFTWARE:
		o->software = true;
		break;
	case OPT_NO_TICKETS:
		o->no_tickets = true;
		break;
	case OPT_QUIET:
		o->quiet = true;
		break;
	case OPT_KEYLOG:
		o->keylog = true;
		break;
	case OPT_RECORD_LIMIT:
		errno = 0;
		o->record_limit = strtol(arg, &end, 10);
		if (errno || end == arg || *end || o->record_limit <= 0)
			tool_usage_error("--record-limit '%s': expected a "
					 "whole number of records, 1 or more",
					 arg);
		break;
	case OPT_DAEMON:
		o->daemon = arg;
		break;
	case OPT_PROFILE:
		o->profile = arg;
		break;
	case OPT_PSK_IDENTITY:
		o->psk_identity = arg;
		break;
	case OPT_PSK_FILE:
		o->psk_file = arg;
		break;
	case OPT_PSK_HASH:
		if (!strcmp(arg, "sha256"))
			o->psk_hash = KTLS_PSK_SHA256;
		else if (!strcmp(arg, "sha384"))
			o->psk_hash = KTLS_PSK_SHA384;
		else
			tool_usage_error("--psk-hash '%s': sha256 or sha384",
					 arg);
		break;
	default:
		tool_die("option table: no TLS option %d", c);
	}
}

static bool is_tls_key(int key)
{
	return key >= OPT_CAFILE && key < OPT_OWN;
}

/* The tables of one program, in order: its own, the TLS ones, the PSK
 * ones, -h/-V. */
static int each_table(const struct tool_cmd *cmd, bool tls,
		      const struct tool_option *tables[4])
{
	int n = 0;

	tables[n++] = cmd->opts;
	if (tls)
		tables[n++] = tls_options;
	if (tls && cmd->psk)
		tables[n++] = psk_options;
	tables[n++] = std_options;
	return n;
}

/* "  -o, --output FILE" into @buf; returns its length. */
static int flag_text(const struct tool_option *o, char *buf, size_t size)
{
	char letter[8] = "";

	if (o->key < 128)
		snprintf(letter, sizeof(letter), "-%c, ", o->key);
	return snprintf(buf, size, "  %s--%s%s%s", letter, o->name,
			o->arg ? " " : "", o->arg ? o->arg : "");
}

static void help_line(FILE *f, const struct tool_option *o, const char *help,
		      int col)
{
	char flag[64];
	const char *p;
	int n = flag_text(o, flag, sizeof(flag));

	fputs(flag, f);
	if (n + 2 > col) {
		fputc('\n', f);
		n = 0;
	}
	fprintf(f, "%*s", col - n, "");
	for (p = help; *p; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "%*s", col, "");
	}
	fputc('\n', f);
}

void tool_help(const struct tool_cmd *cmd, bool tls, FILE *f)
{
	const struct tool_option *tables[4], *o;
	const char *line = cmd->synopsis, *nl;
	char flag[64];
	int n = each_table(cmd, tls, tables), i, col = 0, len;

	for (i = 0; i < n; i++) {
		for (o = tables[i]; o->name; o++) {
			len = flag_text(o, flag, sizeof(flag)) + 2;
			if (len > col && len <= HELP_COL_MAX)
				col = len;
		}
	}
	/* One "Usage:" line per form of the synopsis. */
	do {
		nl = strchr(line, '\n');
		fprintf(f, "%s %s %.*s\n", line == cmd->synopsis ? "Usage:" :
			"      ", tool_name,
			(int)(nl ? (size_t)(nl - line) : strlen(line)), line);
		line = nl + 1;
	} while (nl);
	fprintf(f, "%s\n\n", cmd->about);
	for (i = 0; i < n; i++)
		for (o = tables[i]; o->name; o++)
			help_line(f, o, o->help ? o->help : cmd->quiet ?
				  cmd->quiet : "print nothing but errors", col);
	if (cmd->notes)
		fprintf(f, "\n%s\n", cmd->notes);
}

/* getopt_long()'s arrays for one program, made on first use. */
static struct {
	const struct tool_cmd *cmd;
	struct option longopts[MAX_OPTS + 1];
	char shortopts[2 * MAX_OPTS + 2];
} gt;

static void build(const struct tool_cmd *cmd, bool tls)
{
	const struct tool_option *tables[4], *o;
	int n = each_table(cmd, tls, tables), i, l = 0;
	size_t s = 0;

	gt.shortopts[s++] = ':';	/* a missing argument returns ':' */
	for (i = 0; i < n; i++) {
		for (o = tables[i]; o->name; o++) {
			if (l == MAX_OPTS)
				tool_die("option table: more than %d options",
					 MAX_OPTS);
			/* A program's key: a letter, or OPT_OWN and up. */
			if (tables[i] == cmd->opts && (o->key <= 0 ||
			    o->key == 'h' || o->key == 'V' ||
			    (o->key >= 128 && o->key < OPT_OWN)))
				tool_die("option table: --%s has key %d",
					 o->name, o->key);
			gt.longopts[l++] = (struct option){
				.name = o->name,
				.has_arg = o->arg ? required_argument :
					   no_argument,
				.val = o->key,
			};
			if (o->key >= 128)
				continue;
			gt.shortopts[s++] = (char)o->key;
			if (o->arg)
				gt.shortopts[s++] = ':';
		}
	}
	gt.longopts[l] = (struct option){ 0 };
	gt.shortopts[s] = '\0';
	gt.cmd = cmd;
}

/* A long option getopt_long() refused: which of its three refusals. */
static void bad_long(const struct tool_cmd *cmd, bool tls, const char *arg)
{
	const struct tool_option *tables[4], *o, *hit = NULL;
	size_t len = strcspn(arg + 2, "="), used = 0;
	int n = each_table(cmd, tls, tables), i, hits = 0;
	char names[256] = "";

	for (i = 0; i < n; i++) {
		for (o = tables[i]; o->name; o++) {
			if (strncmp(o->name, arg + 2, len))
				continue;
			if (strlen(o->name) == len) {	/* exact */
				hits = 1;
				hit = o;
				goto found;
			}
			if (used < sizeof(names))
				used += (size_t)snprintf(names + used,
					sizeof(names) - used, "%s--%s",
					hits ? ", " : "", o->name);
			hits++;
			hit = o;
		}
	}
found:
	if (hits > 1)
		tool_usage_error("option '%.*s' is ambiguous: %s",
				 (int)len + 2, arg, names);
	if (hits == 1 && !hit->arg && arg[2 + len] == '=')
		tool_usage_error("option '--%s' takes no argument", hit->name);
	tool_usage_error("unknown option '%.*s'", (int)len + 2, arg);
}

int tool_getopt(const struct tool_cmd *cmd, struct tool_opts *tls, int argc,
		char **argv)
{
	int c;

	if (gt.cmd != cmd)
		build(cmd, tls);
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, gt.shortopts, gt.longopts, NULL);
		switch (c) {
		case -1:
			return -1;
		case 'h':
			tool_help(cmd, tls, stdout);
			exit(0);
		case 'V':
			tool_version();
			exit(0);
		case ':':
			if (strncmp(argv[optind - 1], "--", 2))
				tool_usage_error("option '-%c' needs an "
						 "argument", optopt);
			tool_usage_error("option '%s' needs an argument",
					 argv[optind - 1]);
		case '?':
			/* A long option always uses up its word; an unknown
			 * letter may be inside one. */
			if (!strncmp(argv[optind - 1], "--", 2) &&
			    (!optopt || optopt >= 128 ||
			     (optopt != ':' && strchr(gt.shortopts, optopt))))
				bad_long(cmd, tls, argv[optind - 1]);
			tool_usage_error("unknown option '-%c'", optopt);
		default:
			if (!tls || !is_tls_key(c))
				return c;
			tls_opt(tls, c, optarg);
		}
	}
}
