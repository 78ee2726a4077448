// SPDX-License-Identifier: MIT
/*
 * handshakectl - ask a running handshaked for its counters or its status,
 * or tell it to reload its configuration, over the socket applications use
 * (proto/hsd_proto.h; see handshaked(8)).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ktls.h>

#include "hsd_proto.h"

#define DEFAULT_SOCKET "/run/handshaked.sock"
#define REPLY_WAIT_S 5
/* A reload reads every file the configuration names, keys included. */
#define RELOAD_WAIT_S 60

static const struct command {
	const char *name;
	enum hsd_msg_type type;
} commands[] = {
	{ "counters", HSD_MSG_COUNTERS },
	{ "status", HSD_MSG_STATUS },
	{ "reload", HSD_MSG_RELOAD },
};

/* The decoded reply, whichever the command. */
union reply {
	struct hsd_proto_reply r;
	struct hsd_proto_counters counters;
	struct hsd_proto_status status;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: handshakectl [-s SOCKET] [--json] [COMMAND]\n"
		"\n"
		"commands:\n"
		"  counters           the daemon's counters (the default)\n"
		"  status             its configuration file, profiles, kTLS,\n"
		"                     workers, uptime and pid\n"
		"  reload             reload the configuration (as SIGHUP does)\n"
		"\n"
		"  -s, --socket PATH  handshaked's socket (default %s)\n"
		"  -j, --json         print a JSON object\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n",
		DEFAULT_SOCKET);
}

static int connect_daemon(const char *path, int wait_s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = wait_s };
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* (SO_SNDTIMEO bounds connect() too, when the backlog is full) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Decode the reply to @type into *@out, and point *@r at its status. */
static int decode(enum hsd_msg_type type, const uint8_t *buf, size_t len,
		  union reply *out, const struct hsd_proto_reply **r,
		  const char **why)
{
	switch (type) {
	case HSD_MSG_COUNTERS:
		*r = &out->counters.r;
		return hsd_proto_decode_counters(buf, len, &out->counters, why);
	case HSD_MSG_STATUS:
		*r = &out->status.r;
		return hsd_proto_decode_status(buf, len, &out->status, why);
	case HSD_MSG_RELOAD:
	default:
		*r = &out->r;
		return hsd_proto_decode_reply(buf, len, &out->r, why);
	}
}

/*
 * One request of @type and its reply, decoded into *@out.  Return: 0 or
 * -errno, with @why saying what failed (the daemon's own sentence when it
 * refused).
 */
static int ask(const char *path, enum hsd_msg_type type, union reply *out,
	       char *why, size_t why_size)
{
	static struct hsd_proto_msg m;
	const struct hsd_proto_request req = { .type = type };
	const struct hsd_proto_reply *r;
	int wait_s = type == HSD_MSG_RELOAD ? RELOAD_WAIT_S : REPLY_WAIT_S;
	const char *bad;
	int fd, rfd, ret;
	ssize_t n;

	fd = connect_daemon(path, wait_s);
	if (fd < 0) {
		snprintf(why, why_size, "cannot reach handshaked at %s", path);
		return fd;
	}
	ret = hsd_proto_encode_request(&m, &req);
	if (ret == 0)
		ret = hsd_proto_send(fd, &m, -1);
	/* -EPIPE: handshaked refused us (max_clients_per_uid) before the
	 * request went; its reply says why. */
	if (ret < 0 && ret != -EPIPE) {
		snprintf(why, why_size, "sending the request");
		goto out;
	}
	n = hsd_proto_recv(fd, m.buf, sizeof(m.buf), &rfd);
	if (rfd >= 0)
		close(rfd);
	if (n <= 0) {
		ret = n == 0 ? -ECONNRESET : (int)n;
		if (n == -EAGAIN)
			snprintf(why, why_size, "no reply within %d s", wait_s);
		else
			snprintf(why, why_size, "reading the reply");
		goto out;
	}
	ret = decode(type, m.buf, (size_t)n, out, &r, &bad);
	if (ret < 0) {
		snprintf(why, why_size, "a malformed reply (%s)", bad);
		goto out;
	}
	ret = r->status;
	if (ret < 0)
		snprintf(why, why_size, "handshaked refused: %s%s",
			 *r->errstr ? r->errstr : "no reason given",
			 ret == -EBADMSG && type != HSD_MSG_COUNTERS ?
			 " (a handshaked older than this handshakectl has "
			 "no such command)" : "");
out:
	close(fd);
	return ret;
}

/* @s as a JSON string. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_counters(const struct hsd_proto_counters *c, bool json)
{
	unsigned int i;

	if (json)
		printf("{");
	for (i = 0; i < c->n; i++) {
		if (json) {
			printf("%s", i ? ", " : "");
			json_str(c->c[i].name);
			printf(": %" PRIu64, c->c[i].value);
		} else {
			printf("%-24s %" PRIu64 "\n", c->c[i].name,
			       c->c[i].value);
		}
	}
	if (json)
		printf("}\n");
}

static const char *version_name(uint16_t v, char *buf, size_t size)
{
	if (v == KTLS_TLS_1_2)
		return "1.2";
	if (v == KTLS_TLS_1_3)
		return "1.3";
	snprintf(buf, size, "0x%04x", v);
	return buf;
}

static const char *roles_name(uint8_t roles)
{
	bool c = roles & (1u << KTLS_ROLE_CLIENT),
	     s = roles & (1u << KTLS_ROLE_SERVER);

	return c && s ? "client,server" : c ? "client" : s ? "server" : "none";
}

static void print_profile_json(const struct hsd_proto_profile *p)
{
	char a[8], b[8];

	printf("{\"name\": ");
	json_str(p->name);
	printf(", \"roles\": \"%s\", \"min_version\": \"%s\", "
	       "\"max_version\": \"%s\", \"ciphers\": ", roles_name(p->roles),
	       version_name(p->min_version, a, sizeof(a)),
	       version_name(p->max_version, b, sizeof(b)));
	json_str(p->ciphers);
	printf("}");
}

static void print_status_json(const struct hsd_proto_status *s)
{
	unsigned int i;

	printf("{\"pid\": %" PRIu32 ", \"version\": ", s->pid);
	json_str(s->version);
	printf(", \"config\": ");
	json_str(s->config_path);
	printf(", \"uptime_s\": %" PRIu64 ", \"workers\": %" PRIu32
	       ", \"ktls_usable\": %s, \"ktls_reason\": ", s->uptime_s,
	       s->workers, s->ktls_usable ? "true" : "false");
	json_str(s->ktls_reason);
	printf(", \"kernel_agent\": %s, \"kernel_client\": ",
	       s->kernel_agent ? "true" : "false");
	json_str(s->kernel_client);
	printf(", \"kernel_server\": ");
	json_str(s->kernel_server);
	printf(", \"profiles_total\": %" PRIu32 ", \"profiles\": [",
	       s->profiles_total);
	for (i = 0; i < s->n_profiles; i++) {
		printf("%s", i ? ", " : "");
		print_profile_json(&s->profiles[i]);
	}
	printf("]}\n");
}

static void print_status(const struct hsd_proto_status *s, bool json)
{
	uint64_t t = s->uptime_s;
	unsigned int i;

	if (json) {
		print_status_json(s);
		return;
	}
	printf("%-14s %" PRIu32 "\n", "pid", s->pid);
	if (*s->version)
		printf("%-14s %s\n", "version", s->version);
	printf("%-14s %s\n", "configuration", s->config_path);
	printf("%-14s %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
	       " (%" PRIu64 " s)\n", "uptime", t / 86400, t / 3600 % 24,
	       t / 60 % 60, t % 60, t);
	printf("%-14s %" PRIu32 "\n", "workers", s->workers);
	if (s->ktls_usable)
		printf("%-14s usable\n", "kTLS");
	else
		printf("%-14s not usable: %s: every handshake is refused\n",
		       "kTLS", *s->ktls_reason ? s->ktls_reason :
		       "no reason given");
	if (s->kernel_agent)
		printf("%-14s on: client profile %s, server profile %s\n",
		       "kernel agent", *s->kernel_client ? s->kernel_client :
		       "(none)", *s->kernel_server ? s->kernel_server :
		       "(none)");
	else
		printf("%-14s off\n", "kernel agent");
	printf("%-14s %" PRIu32 "%s\n", "profiles", s->profiles_total,
	       s->profiles_total > s->n_profiles ? " (the first listed)" : "");
	for (i = 0; i < s->n_profiles; i++) {
		const struct hsd_proto_profile *p = &s->profiles[i];
		char a[8], b[8];

		printf("  %-20s %-13s TLS %s-%s  ciphers %s\n", p->name,
		       roles_name(p->roles),
		       version_name(p->min_version, a, sizeof(a)),
		       version_name(p->max_version, b, sizeof(b)),
		       *p->ciphers ? p->ciphers : "(libktls's default)");
	}
}

/* A usage error: what (if anything), a pointer to --help, status 2. */
static int try_help(const char *what)
{
	if (what)
		fprintf(stderr, "handshakectl: %s\n", what);
	fputs("Try 'handshakectl --help' for more information.\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static union reply rep;
	const struct command *cmd = &commands[0];
	const char *path = DEFAULT_SOCKET;
	char why[512] = "";
	bool json = false;
	size_t i;
	int c, ret;

	while ((c = getopt_long(argc, argv, "s:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'V':
			printf("handshakectl %s (libktls %s)\n",
			       KTLS_VERSION_STRING, ktls_version());
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			return try_help(NULL);
		}
	}
	if (optind < argc) {
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[optind], commands[i].name))
				break;
		if (i == sizeof(commands) / sizeof(commands[0])) {
			fprintf(stderr, "handshakectl: unknown command '%s'\n",
				argv[optind]);
			return try_help(NULL);
		}
		cmd = &commands[i];
	}
	if (optind + 1 < argc)
		return try_help("one command at most");
	ret = ask(path, cmd->type, &rep, why, sizeof(why));
	if (ret < 0) {
		fprintf(stderr, "handshakectl: %s: %s\n", why,
			ktls_strerror(ret));
		return EXIT_FAILURE;
	}
	switch (cmd->type) {
	case HSD_MSG_COUNTERS:
		print_counters(&rep.counters, json);
		break;
	case HSD_MSG_STATUS:
		print_status(&rep.status, json);
		break;
	case HSD_MSG_RELOAD:
	default:
		if (json) {
			printf("{\"reloaded\": true, \"message\": ");
			json_str(rep.r.errstr);
			printf("}\n");
		} else {
			printf("%s\n", *rep.r.errstr ? rep.r.errstr :
			       "reloaded");
		}
		break;
	}
	return EXIT_SUCCESS;
}
