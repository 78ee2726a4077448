// SPDX-License-Identifier: MIT
/*
 * handshakectl - ask a running handshaked for its counters, over the
 * socket applications use (a KTLS_MSG_COUNTERS request; see handshaked(8)).
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

#include "proto.h"

#define DEFAULT_SOCKET "/run/handshaked.sock"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: handshakectl [-s SOCKET] [--json] [counters]\n"
		"\n"
		"  -s, --socket PATH  handshaked's socket (default %s)\n"
		"  -j, --json         print a JSON object\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n",
		DEFAULT_SOCKET);
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
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

/*
 * Check the reply: a RESULT with a status, and counters that each hold a
 * value and a name.  0, or -errno with @why set (the daemon's own sentence
 * when it refused).
 */
static int check_reply(const uint8_t *buf, size_t len, char *why,
		       size_t why_size)
{
	struct ktls_proto_attr a;
	enum ktls_msg_type type;
	size_t off = KTLS_PROTO_HDR;
	uint32_t status = 0;
	bool have_status = false;
	char errstr[256] = "";
	int ret;

	snprintf(why, why_size, "a malformed reply");
	if (ktls_proto_check(buf, len, &type) < 0 || type != KTLS_MSG_RESULT)
		return -EBADMSG;
	while ((ret = ktls_proto_next(buf, len, &off, &a)) > 0) {
		if (a.tag == KTLS_A_STATUS) {
			if (ktls_proto_u32(&a, &status) < 0)
				return -EBADMSG;
			have_status = true;
		} else if (a.tag == KTLS_A_ERRSTR) {
			if (ktls_proto_str(&a, errstr, sizeof(errstr)) < 0)
				return -EBADMSG;
		} else if (a.tag == KTLS_A_COUNTER && a.len < 9) {
			return -EBADMSG;
		}
	}
	if (ret < 0 || !have_status)
		return -EBADMSG;
	if (status != 0) {
		snprintf(why, why_size, "handshaked refused: %s",
			 *errstr ? errstr : "no reason given");
		return (int)status;
	}
	return 0;
}

/* Print the counters of a reply check_reply() accepted. */
static void print_counters(const uint8_t *buf, size_t len, bool json)
{
	struct ktls_proto_attr a;
	size_t off = KTLS_PROTO_HDR;
	unsigned int n = 0;

	if (json)
		printf("{");
	while (ktls_proto_next(buf, len, &off, &a) > 0) {
		uint64_t v = 0;
		unsigned int i;

		if (a.tag != KTLS_A_COUNTER)
			continue;
		for (i = 0; i < 8; i++)
			v = v << 8 | a.val[i];
		if (json)
			printf("%s\"%.*s\": %" PRIu64, n ? ", " : "",
			       (int)(a.len - 8), (const char *)a.val + 8, v);
		else
			printf("%-24.*s %" PRIu64 "\n", (int)(a.len - 8),
			       (const char *)a.val + 8, v);
		n++;
	}
	if (json)
		printf("}\n");
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
	static struct ktls_proto_msg m;
	const char *path = DEFAULT_SOCKET;
	char why[320] = "";
	bool json = false;
	ssize_t n;
	int c, fd, rfd, ret;

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
	if (optind < argc && strcmp(argv[optind], "counters")) {
		fprintf(stderr, "handshakectl: unknown command '%s'\n",
			argv[optind]);
		return try_help(NULL);
	}
	if (optind + 1 < argc)
		return try_help("one command at most");
	fd = connect_daemon(path);
	if (fd < 0) {
		fprintf(stderr, "handshakectl: cannot reach handshaked at %s: "
			"%s\n", path, ktls_strerror(fd));
		return EXIT_FAILURE;
	}
	ktls_proto_init(&m, KTLS_MSG_COUNTERS);
	ret = ktls_proto_send(fd, &m, -1);
	/* -EPIPE: handshaked refused us (max_clients_per_uid) before the
	 * request went; its reply says why. */
	if (ret < 0 && ret != -EPIPE) {
		snprintf(why, sizeof(why), "sending the request");
	} else {
		n = ktls_proto_recv(fd, m.buf, sizeof(m.buf), &rfd);
		if (rfd >= 0)
			close(rfd);
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : (int)n;
			snprintf(why, sizeof(why), "%s", n == -EAGAIN ?
				 "no reply within 5 s" : "reading the reply");
		} else {
			ret = check_reply(m.buf, (size_t)n, why, sizeof(why));
			if (ret == 0)
				print_counters(m.buf, (size_t)n, json);
		}
	}
	close(fd);
	if (ret < 0) {
		fprintf(stderr, "handshakectl: %s: %s\n", why,
			ktls_strerror(ret));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
