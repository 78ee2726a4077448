// SPDX-License-Identifier: MIT
/*
 * ktls-kglue - drive the ktlsx_glue module: N kernel TLS handshakes over
 * the kernel's handshake upcall, J at once, with bytes over kTLS after
 * each, through the module's debugfs run file; one line per handshake
 * end, then a summary line.
 *
 * Exit status: 0 when every end ended as expected (--expect, default
 * ok), 1 when one did not, 2 on a usage or setup error, 77 when the
 * running kernel has no handshake upcall (the reason is printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DEBUGFS "/sys/kernel/debug"
#define DEBUGFS_MAGIC 0x64626720
#define DIR_DEFAULT DEBUGFS "/ktlsx_glue"
#define EXIT_SKIP 77
#define CMD_MAX 512
#define LINE_MAX_ 192

static const char *tool_name = "ktls-kglue";

struct opts {
	const char *role;
	const char *auth;
	unsigned long count;
	unsigned long jobs;
	unsigned long port;
	unsigned long long bytes;
	unsigned long timeout;
	const char *peer;
	unsigned long cert, key, keyring, psk;
	const char *expect;
	const char *dir;
	bool quiet;
};

static const struct option longopts[] = {
	{ "role", required_argument, NULL, 'r' },
	{ "auth", required_argument, NULL, 'a' },
	{ "count", required_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "port", required_argument, NULL, 'p' },
	{ "bytes", required_argument, NULL, 'b' },
	{ "timeout", required_argument, NULL, 't' },
	{ "peer", required_argument, NULL, 'P' },
	{ "cert", required_argument, NULL, 'C' },
	{ "key", required_argument, NULL, 'K' },
	{ "keyring", required_argument, NULL, 'R' },
	{ "psk", required_argument, NULL, 'S' },
	{ "expect", required_argument, NULL, 'e' },
	{ "dir", required_argument, NULL, 'D' },
	{ "pattern", required_argument, NULL, 'T' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s --role both|client|server [options]\n"
"       %s --pattern N\n"
"Run kernel TLS handshakes through the ktlsx_glue module and the kernel's\n"
"handshake upcall; one line per handshake end, then a summary.\n"
"\n"
"  -r, --role ROLE       both (the module is client and server), client\n"
"                        (connect to PORT) or server (accept on PORT)\n"
"  -a, --auth MODE       anon, x509 (default) or psk\n"
"  -n, --count N         connections, 1 to 100000 (default 1)\n"
"  -j, --jobs N          connections at once, 1 to 256 (default 1)\n"
"  -p, --port PORT       the port on 127.0.0.1 (role both: 0, any)\n"
"  -b, --bytes N         bytes each way after each handshake (default 0)\n"
"  -t, --timeout MS      the wait for each handshake and each socket\n"
"                        operation, 100 to 600000 ms (default 10000)\n"
"      --peer NAME       the peer name the agent checks (ta_peername)\n"
"      --cert SERIAL     the key serial of our certificate\n"
"      --key SERIAL      the key serial of its private key\n"
"      --keyring SERIAL  the keyring serial passed to the agent\n"
"      --psk SERIAL      the key serial of the PSK (with --auth psk)\n"
"      --expect STATUS   how every end must end: ok (default), error\n"
"                        (any failure), or an errno name or number\n"
"      --dir DIR         the module's debugfs folder\n"
"                        (default " DIR_DEFAULT ")\n"
"      --pattern N       print the first N bytes of the data pattern\n"
"  -q, --quiet           print only the summary and failures\n"
"  -h, --help            print this help and exit\n"
"  -V, --version         print the version and exit\n",
		tool_name, tool_name);
}

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\n", tool_name, what, arg);
	fprintf(stderr, "Try '%s --help' for more information.\n", tool_name);
	exit(2);
}

/* A whole decimal number in [min, max], nothing around it. */
static unsigned long long number(const char *opt, const char *s,
				 unsigned long long min,
				 unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		usage_error(opt, s);
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		char what[96];

		snprintf(what, sizeof(what), "%s: expected a number from %llu "
			 "to %llu, not", opt, min, max);
		usage_error(what, s);
	}
	return v;
}

static void pattern(unsigned long long n)
{
	unsigned char buf[251 * 64];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i % 251);
	while (n) {
		size_t len = n < sizeof(buf) ? (size_t)n : sizeof(buf);

		if (fwrite(buf, 1, len, stdout) != len)
			die(2, "--pattern: write: %s", strerror(errno));
		n -= len;
	}
	if (fflush(stdout))
		die(2, "--pattern: write: %s", strerror(errno));
}

/* The expected status: 0, -errno, or 1 for "any error". */
static int parse_expect(const char *s)
{
	int e;

	if (!strcmp(s, "ok") || !strcmp(s, "0"))
		return 0;
	if (!strcmp(s, "error"))
		return 1;
	if (*s == '-')
		s++;
	if (*s >= '0' && *s <= '9')
		return -(int)number("--expect", s, 1, 4095);
	for (e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && !strcmp(name, s))
			return -e;
	}
	usage_error("--expect: not ok, error, an errno name or a number:", s);
	return 0;
}

static const char *status_name(int status, char *buf, size_t len)
{
	const char *name;

	if (!status)
		return "ok";
	name = status < 0 ? strerrorname_np(-status) : NULL;
	if (name)
		return name;
	snprintf(buf, len, "%d", status);
	return buf;
}

/* The module's folder; mounts debugfs first when nothing is mounted on
 * /sys/kernel/debug (as in the test VM). */
static void find_dir(const char *dir)
{
	struct statfs sf;
	struct stat st;

	if (!stat(dir, &st))
		return;
	if (!strcmp(dir, DIR_DEFAULT) &&
	    (statfs(DEBUGFS, &sf) || sf.f_type != DEBUGFS_MAGIC) &&
	    mount("debugfs", DEBUGFS, "debugfs", 0, NULL) && errno != EBUSY)
		die(2, "%s is not mounted, and mounting it failed: %s",
		    DEBUGFS, strerror(errno));
	if (stat(dir, &st))
		die(2, "%s: %s (is ktlsx_glue loaded? insmod "
		    "build/kmod/$(uname -r)/ktlsx_glue.ko)", dir,
		    strerror(errno));
}

/* Exit 77 with the module's reason when the kernel has no upcall. */
static void check_upcall(const char *dir)
{
	char path[PATH_MAX], line[256];
	bool yes = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "re");
	if (!f)
		die(2, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "upcall yes", 10))
			yes = true;
		if (!strncmp(line, "upcall no", 9)) {
			line[strcspn(line, "\n")] = '\0';
			fclose(f);
			printf("skip: %s\n", line);
			exit(EXIT_SKIP);
		}
	}
	fclose(f);
	if (!yes)
		die(2, "%s: no upcall line (not the ktlsx_glue module?)", path);
}

static size_t command(const struct opts *o, char *buf, size_t size)
{
	size_t n;

	n = (size_t)snprintf(buf, size, "role=%s auth=%s count=%lu jobs=%lu "
			     "port=%lu bytes=%llu timeout=%lu", o->role,
			     o->auth, o->count, o->jobs, o->port, o->bytes,
			     o->timeout);
	if (o->peer)
		n += (size_t)snprintf(buf + n, size - n, " peer=%s", o->peer);
	if (o->cert)
		n += (size_t)snprintf(buf + n, size - n, " cert=%lu", o->cert);
	if (o->key)
		n += (size_t)snprintf(buf + n, size - n, " key=%lu", o->key);
	if (o->keyring)
		n += (size_t)snprintf(buf + n, size - n, " keyring=%lu",
				      o->keyring);
	if (o->psk)
		n += (size_t)snprintf(buf + n, size - n, " psk=%lu", o->psk);
	n += (size_t)snprintf(buf + n, size - n, "\n");
	if (n >= size)
		die(2, "the command is too long (--peer)");
	return n;
}

struct tally {
	unsigned long ends, ok, failed, unexpected;
	unsigned long long bytes, usec;
	bool ended;
};

/* One "hs" line from the module: print it, count it against @expect. */
static void hs_line(const char *line, int expect, bool quiet,
		    struct tally *t)
{
	unsigned int index;
	char role[16], stage[16], nbuf[16];
	int status, peerid;
	unsigned long long bytes, usec;
	bool as_expected;

	if (sscanf(line, "hs index=%u role=%15s status=%d stage=%15s "
		   "peerid=%d bytes=%llu usec=%llu", &index, role, &status,
		   stage, &peerid, &bytes, &usec) != 7)
		die(2, "the module wrote a line not understood: %s", line);
	t->ends++;
	t->bytes += bytes;
	if (status)
		t->failed++;
	else
		t->ok++;
	as_expected = expect == 1 ? status != 0 : status == expect;
	if (!as_expected)
		t->unexpected++;
	if (quiet && as_expected)
		return;
	printf("hs index=%u role=%s status=%s stage=%s peerid=%d bytes=%llu "
	       "usec=%llu%s\n", index, role,
	       status_name(status, nbuf, sizeof(nbuf)), stage, peerid, bytes,
	       usec, as_expected ? "" : " unexpected");
}

static void run(const struct opts *o, int expect)
{
	char cmd[CMD_MAX], path[PATH_MAX], buf[64 * LINE_MAX_ + 1];
	char *line, *next;
	unsigned long want = o->count * (!strcmp(o->role, "both") ? 2 : 1);
	struct tally t = { 0 };
	double secs;
	size_t len;
	ssize_t n;
	int fd;

	len = command(o, cmd, sizeof(cmd));
	snprintf(path, sizeof(path), "%s/run", o->dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(2, "%s: %s", path, strerror(errno));
	n = write(fd, cmd, len);
	if (n < 0 && errno == EOPNOTSUPP) {
		printf("skip: the module has no handshake upcall on this "
		       "kernel\n");
		exit(EXIT_SKIP);
	}
	if (n != (ssize_t)len)
		die(2, "the module refused '%.*s': %s", (int)len - 1, cmd,
		    n < 0 ? strerror(errno) : "short write");
	while (!t.ended && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (line = buf; *line; line = next) {
			next = strchr(line, '\n');
			if (!next)
				die(2, "the module wrote half a line: %s",
				    line);
			*next++ = '\0';
			if (!strncmp(line, "hs ", 3)) {
				hs_line(line, expect, o->quiet, &t);
			} else if (!strncmp(line, "end ", 4)) {
				unsigned long ok, failed;

				if (sscanf(line, "end ok=%lu failed=%lu "
					   "usec=%llu", &ok, &failed,
					   &t.usec) != 3)
					die(2, "the module wrote a line not "
					    "understood: %s", line);
				t.ended = true;
			} else if (!strncmp(line, "run ", 4)) {
				if (!o->quiet)
					printf("%s\n", line);
			} else {
				die(2, "the module wrote a line not "
				    "understood: %s", line);
			}
		}
	}
	if (n < 0)
		die(2, "%s: read: %s", path, strerror(errno));
	close(fd);
	if (!t.ended)
		die(2, "%s: the results ended without an end line", path);
	secs = t.usec / 1e6;
	printf("summary role=%s auth=%s connections=%lu jobs=%lu "
	       "handshakes=%lu ok=%lu failed=%lu unexpected=%lu bytes=%llu "
	       "seconds=%.6f rate=%.2f\n", o->role, o->auth, o->count,
	       o->jobs < o->count ? o->jobs : o->count, t.ends, t.ok,
	       t.failed, t.unexpected + (want - (t.ends < want ? t.ends :
						  want)),
	       t.bytes, secs, secs > 0 ? t.ends / secs : 0.0);
	exit(t.unexpected || t.ends != want ? 1 : 0);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.auth = "x509", .count = 1, .jobs = 1, .timeout = 10000,
		.expect = "ok", .dir = DIR_DEFAULT,
	};
	int c;

	while ((c = getopt_long(argc, argv, "r:a:n:j:p:b:t:qhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'r':
			if (strcmp(optarg, "both") && strcmp(optarg, "client") &&
			    strcmp(optarg, "server"))
				usage_error("--role: not both, client or "
					    "server:", optarg);
			o.role = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "anon") && strcmp(optarg, "x509") &&
			    strcmp(optarg, "psk"))
				usage_error("--auth: not anon, x509 or psk:",
					    optarg);
			o.auth = optarg;
			break;
		case 'n':
			o.count = number("--count", optarg, 1, 100000);
			break;
		case 'j':
			o.jobs = number("--jobs", optarg, 1, 256);
			break;
		case 'p':
			o.port = number("--port", optarg, 0, 65535);
			break;
		case 'b':
			o.bytes = number("--bytes", optarg, 0, 1ULL << 30);
			break;
		case 't':
			o.timeout = number("--timeout", optarg, 100, 600000);
			break;
		case 'P':
			o.peer = optarg;
			break;
		case 'C':
			o.cert = number("--cert", optarg, 1, INT32_MAX);
			break;
		case 'K':
			o.key = number("--key", optarg, 1, INT32_MAX);
			break;
		case 'R':
			o.keyring = number("--keyring", optarg, 1, INT32_MAX);
			break;
		case 'S':
			o.psk = number("--psk", optarg, 1, INT32_MAX);
			break;
		case 'e':
			o.expect = optarg;
			break;
		case 'D':
			o.dir = optarg;
			break;
		case 'T':
			pattern(number("--pattern", optarg, 0, ULLONG_MAX));
			return 0;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", tool_name, KTLS_VERSION_STRING);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more "
				"information.\n", tool_name);
			return 2;
		}
	}
	if (optind != argc)
		usage_error("unexpected argument", argv[optind]);
	if (!o.role)
		usage_error("--role is required:", "(none)");
	if (strcmp(o.role, "both") && !o.port)
		usage_error("--port is required with --role", o.role);
	if (!strcmp(o.auth, "psk") != !!o.psk)
		usage_error("--psk SERIAL goes with --auth psk, and only there:",
			    o.auth);
	if (!o.cert != !o.key)
		usage_error("--cert and --key go together:",
			    o.cert ? "--cert" : "--key");
	find_dir(o.dir);
	check_upcall(o.dir);
	run(&o, parse_expect(o.expect));
	return 0;
}
