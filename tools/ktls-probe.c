// SPDX-License-Identifier: MIT
/*
 * ktls-probe - report what the running kernel offers for kTLS.
 *
 * Exit status: 0 if kTLS is usable, 1 if it is not, 2 on a usage or
 * internal error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <liburing.h>

#include "tool.h"

#define EXIT_USABLE 0
#define EXIT_UNUSABLE 1
#define EXIT_ERROR 2

static const struct {
	uint16_t version;
	const char *name;
} versions[] = {
	{ KTLS_TLS_1_2, "1.2" },
	{ KTLS_TLS_1_3, "1.3" },
};

static const struct {
	unsigned int opcode;
	const char *name;
} uring_ops[] = {
	{ IORING_OP_SEND, "send" },
	{ IORING_OP_RECV, "recv" },
	{ IORING_OP_SENDMSG, "sendmsg" },
	{ IORING_OP_RECVMSG, "recvmsg" },
	{ IORING_OP_SPLICE, "splice" },
	{ IORING_OP_SEND_ZC, "send_zc" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *tool_name = "ktls-probe";

static const struct tool_option options[] = {
	{ "json", 'j', NULL, "print one JSON object instead of a table" },
	{ NULL, 0, NULL, NULL },
};

static const struct tool_cmd cmd = {
	.synopsis = "[--json]",
	.about = "Probe the running kernel's kTLS support.",
	.opts = options,
	.notes = "Exit status: 0 kTLS usable, 1 kTLS not usable, 2 error.",
};

/* "ENOENT" for -ENOENT; a number for a value glibc does not name. */
static const char *errname(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err < 0 ? -err : err);

	if (name)
		return name;
	snprintf(buf, len, "E%d", err < 0 ? -err : err);
	return buf;
}

/* "yes", or "no (ENAME: description)". */
static void print_result(const char *label, int err)
{
	char buf[16];

	if (err == 0)
		printf("%-20s yes\n", label);
	else
		printf("%-20s no (%s: %s)\n", label,
		       errname(err, buf, sizeof(buf)), ktls_strerror(err));
}

/*
 * One TX or RX cell, padded to @width (0: the last cell, no padding):
 * "yes" or "no (ENAME)"; the man page and the ULP line say what names mean.
 */
static void print_cell(int err, int width)
{
	char name[16];
	char buf[64];

	if (err == 0)
		snprintf(buf, sizeof(buf), "yes");
	else
		snprintf(buf, sizeof(buf), "no (%s)",
			 errname(err, name, sizeof(name)));
	printf("  %-*s", width, buf);
}

/* Whether @file lists the tls module ("kernel/net/tls/tls.ko", any
 * compression) at the start of a line. */
static bool lists_tls(const char *release, const char *file)
{
	char path[512], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/lib/modules/%s/%s", release, file);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "kernel/net/tls/tls.ko", 21);
	fclose(f);
	return found;
}

/* What to do when kTLS is not usable, as one sentence. */
static const char *next_step(int ulp, const char *release)
{
	static char buf[400];
	char dir[300];

	snprintf(dir, sizeof(dir), "/lib/modules/%s", release);
	if (ulp == 0)
		return "the TLS ULP attaches but no cipher offloads both ways: "
		       "load the kernel's AEADs (modprobe gcm ccm "
		       "chacha20poly1305) and probe again";
	if (ulp != -ENOENT)
		return "see the TLS ULP's reason above";
	if (lists_tls(release, "modules.dep"))
		return "load the tls module (as root: modprobe tls) and probe "
		       "again";
	if (lists_tls(release, "modules.builtin"))
		return "the tls module is built in but does not attach: "
		       "see the kernel's log";
	if (access(dir, F_OK) < 0) {
		snprintf(buf, sizeof(buf), "this kernel's modules are not in "
			 "%s: install them, then modprobe tls", dir);
		return buf;
	}
	return "this kernel ships no tls module (CONFIG_TLS is off): boot a "
	       "kernel built with CONFIG_TLS=m or y (Debian's is)";
}

/* Without kTLS: the next step, what works anyway, and what does not. */
static void print_without(int ulp, const char *release)
{
	printf("%-20s %s\n", "next step", next_step(ulp, release));
	printf("%-20s %s\n", "in software",
	       "handshakes, and the record layer in wolfSSL: the tools fall\n"
	       "                     back by themselves (or take --software); "
	       "bodies are copied\n                     through user space");
	printf("%-20s %s\n", "daemon mode",
	       "needs kTLS: handshaked hands back sockets with the keys in\n"
	       "                     the kernel, so here it refuses every "
	       "handshake");
}

static void print_table(const struct ktls_caps *caps, const char *kernel)
{
	int ulp = ktls_caps_ulp(caps);
	size_t v, o;
	enum ktls_cipher c;
	char buf[32];

	printf("%-20s %s\n", "kernel", kernel);
	printf("%-20s %s\n", "libktls", ktls_version());
	if (ulp == 0)
		printf("%-20s yes\n", "TLS ULP");
	else
		printf("%-20s no (%s: %s)\n", "TLS ULP",
		       errname(ulp, buf, sizeof(buf)),
		       ktls_caps_ulp_reason(caps));
	printf("%-20s %s\n", "kTLS usable", ktls_caps_usable(caps) ?
	       "yes" : "no");
	if (!ktls_caps_usable(caps))
		print_without(ulp, kernel);

	printf("\n%-8s %-18s  %-30s  %s\n", "version", "cipher", "TX", "RX");
	for (v = 0; v < ARRAY_SIZE(versions); v++) {
		/* The library's ciphers: enum ktls_cipher from 1 on. */
		for (c = 1; ktls_cipher_name(c); c++) {
			printf("TLS %-4s %-18s", versions[v].name,
			       ktls_cipher_name(c));
			print_cell(ktls_caps_cipher(caps, versions[v].version,
						    c, KTLS_DIR_TX),
				   30);
			print_cell(ktls_caps_cipher(caps, versions[v].version,
						    c, KTLS_DIR_RX),
				   0);
			printf("\n");
		}
	}

	printf("\n%-20s %s\n", "rx_expect_no_pad",
	       ktls_caps_rx_no_pad(caps) ? "yes" : "no");
	print_result("rekey (TLS 1.3)", ktls_caps_rekey(caps));
	print_result("handshake netlink", ktls_caps_handshake_netlink(caps));
	print_result("io_uring", ktls_caps_io_uring(caps));
	if (ktls_caps_io_uring(caps) == 0) {
		printf("%-20s", "io_uring ops");
		for (o = 0; o < ARRAY_SIZE(uring_ops); o++)
			printf(" %s=%s", uring_ops[o].name,
			       ktls_caps_io_uring_op(caps, uring_ops[o].opcode)
			       ? "yes" : "no");
		printf("\n");
	}
}

static void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20)
				printf("\\u%04x", *p);
			else
				putchar(*p);
			break;
		}
	}
	putchar('"');
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

/* An error field: null when @err is 0, else its errno name. */
static void json_error(int err)
{
	char buf[32];

	if (err == 0)
		fputs("null", stdout);
	else
		json_string(errname(err, buf, sizeof(buf)));
}

/*
 * One capability, the same shape everywhere: {"available":B,"error":E,
 * "reason":R}, E the errno name and R a sentence, both null when it works;
 * json_cap_open() leaves the object open for more members.
 */
static void json_cap_open(int err, const char *reason)
{
	printf("{\"available\":%s,\"error\":", json_bool(err == 0));
	json_error(err);
	fputs(",\"reason\":", stdout);
	if (err == 0)
		fputs("null", stdout);
	else
		json_string(reason ? reason : ktls_strerror(err));
}

static void json_cap(int err, const char *reason)
{
	json_cap_open(err, reason);
	putchar('}');
}

static void json_ciphers(const struct ktls_caps *caps)
{
	size_t v;
	enum ktls_cipher c;
	int d;

	fputs(",\"ciphers\":[", stdout);
	for (v = 0; v < ARRAY_SIZE(versions); v++) {
		/* The library's ciphers: enum ktls_cipher from 1 on. */
		for (c = 1; ktls_cipher_name(c); c++) {
			printf("%s{\"version\":", v || c > 1 ? "," : "");
			json_string(versions[v].name);
			fputs(",\"cipher\":", stdout);
			json_string(ktls_cipher_name(c));
			for (d = 0; d < 2; d++) {
				printf(",\"%s\":", d ? "rx" : "tx");
				json_cap(ktls_caps_cipher(caps,
					versions[v].version, c,
					d ? KTLS_DIR_RX : KTLS_DIR_TX), NULL);
			}
			putchar('}');
		}
	}
	putchar(']');
}

static void print_json(const struct ktls_caps *caps, const char *kernel)
{
	int ulp = ktls_caps_ulp(caps);
	int uring = ktls_caps_io_uring(caps);
	size_t o;

	fputs("{\"kernel\":", stdout);
	json_string(kernel);
	printf(",\"libktls\":");
	json_string(ktls_version());
	printf(",\"ktls_usable\":%s", json_bool(ktls_caps_usable(caps)));
	fputs(",\"next_step\":", stdout);
	if (ktls_caps_usable(caps))
		fputs("null", stdout);
	else
		json_string(next_step(ulp, kernel));
	fputs(",\"ulp\":", stdout);
	json_cap(ulp, ktls_caps_ulp_reason(caps));
	json_ciphers(caps);
	fputs(",\"rx_expect_no_pad\":", stdout);
	json_cap(ktls_caps_rx_no_pad(caps) ? 0 : -EOPNOTSUPP,
		 "the kernel does not take TLS_RX_EXPECT_NO_PAD");
	fputs(",\"rekey\":", stdout);
	json_cap(ktls_caps_rekey(caps), NULL);
	fputs(",\"handshake_netlink\":", stdout);
	json_cap(ktls_caps_handshake_netlink(caps), NULL);
	fputs(",\"io_uring\":", stdout);
	json_cap_open(uring, NULL);
	/* io_uring's object gets its operations, each one a capability. */
	fputs(",\"ops\":{", stdout);
	for (o = 0; o < ARRAY_SIZE(uring_ops); o++) {
		printf("%s", o ? "," : "");
		json_string(uring_ops[o].name);
		putchar(':');
		json_cap(ktls_caps_io_uring_op(caps, uring_ops[o].opcode) ?
			 0 : -EOPNOTSUPP, "the kernel does not offer this "
			 "io_uring operation");
	}
	fputs("}}}\n", stdout);
}

int main(int argc, char **argv)
{
	struct ktls_caps *caps;
	struct utsname uts;
	const char *kernel = "unknown";
	bool json = false;
	int status;
	int opt;
	int ret;

	while ((opt = tool_getopt(&cmd, NULL, argc, argv)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		default:
			tool_die("option %d unhandled", opt);
		}
	}
	if (optind != argc)
		tool_usage_error("unexpected argument '%s'", argv[optind]);

	if (uname(&uts) == 0)
		kernel = uts.release;

	ret = ktls_caps_probe(&caps);
	if (ret < 0) {
		fprintf(stderr, "%s: probe failed: %s\n", tool_name,
			ktls_strerror(ret));
		return EXIT_ERROR;
	}

	if (json)
		print_json(caps, kernel);
	else
		print_table(caps, kernel);
	status = ktls_caps_usable(caps) ? EXIT_USABLE : EXIT_UNUSABLE;
	ktls_caps_free(caps);

	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing output\n", tool_name);
		return EXIT_ERROR;
	}
	return status;
}
