// SPDX-License-Identifier: MIT
/*
 * fuzz_record.c - the record-header path of wolfSSL's recv callback
 * (libktls/src/bridge.c: io_recv() and check_header()): the input is
 * what a TLS client sends a server.
 *
 * A server connection (record layer in software) reads from one end of a
 * Unix stream socketpair; the input is written to the other end, which
 * is then shut down for writing, and the handshake runs until it fails
 * (or, which cannot happen with a fuzzed peer, succeeds).  What the
 * server sends is read and dropped.
 *
 * The certificate and key come from the test PKI (tests/pki/mkpki
 * build/pki, which make fuzz and make fuzz-replay run), or the directory
 * KTLS_FUZZ_PKI names.  KTLS_FUZZ_VERBOSE=1 prints how each handshake
 * ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls_int.h"

#define MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ktls_ctx *ctx;
static bool verbose;		/* KTLS_FUZZ_VERBOSE=1: say how it ended */
static size_t sent;		/* bytes the server sent, this input */

static void die(const char *what, int err)
{
	fprintf(stderr, "fuzz_record: %s: %s\n", what, ktls_strerror(err));
	exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("KTLS_FUZZ_PKI");
	char chain[512], key[512];
	int ret;

	(void)argc;
	(void)argv;
	verbose = getenv("KTLS_FUZZ_VERBOSE") != NULL;
	if (!dir)
		dir = "build/pki";
	snprintf(chain, sizeof(chain), "%s/server-ec-chain.pem", dir);
	snprintf(key, sizeof(key), "%s/server-ec.key", dir);
	ctx = ktls_ctx_new();
	if (!ctx)
		die("ktls_ctx_new", -ENOMEM);
	ret = ktls_ctx_add_identity(ctx, chain, key);
	if (ret < 0) {
		fprintf(stderr, "fuzz_record: %s, %s: run tests/pki/mkpki "
			"build/pki, or set KTLS_FUZZ_PKI\n", chain, key);
		die("ktls_ctx_add_identity", ret);
	}
	ret = ktls_ctx_set_opt(ctx, KTLS_OPT_FORCE_SOFTWARE, 1);
	if (ret < 0)
		die("KTLS_OPT_FORCE_SOFTWARE", ret);
	ret = ktls_ctx_set_alpn(ctx, "h2,http/1.1");
	if (ret < 0)
		die("ktls_ctx_set_alpn", ret);
	return 0;
}

/* Write what fits of the input, and drop what the server sent. */
static void pump(int peer, const uint8_t *data, size_t size, size_t *off,
		 bool *shut)
{
	uint8_t sink[4096];
	ssize_t n;

	while (*off < size) {
		n = send(peer, data + *off, size - *off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		*off += (size_t)n;
	}
	if (*off == size && !*shut) {
		shutdown(peer, SHUT_WR);
		*shut = true;
	}
	while ((n = recv(peer, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		sent += (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ktls_conn *conn;
	size_t off = 0;
	bool shut = false;
	int sv[2], ret, rounds = 0;

	if (size > MAX_INPUT)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		abort();
	sent = 0;
	conn = ktls_conn_new(ctx, sv[0], KTLS_ROLE_SERVER);
	if (!conn)
		abort();
	do {
		pump(sv[1], data, size, &off, &shut);
		ret = ktls_conn_handshake(conn);
		/* Each round moves bytes or ends: the input is finite. */
		if (++rounds > 100000) {
			fprintf(stderr, "fuzz_record: the handshake neither "
				"ends nor fails\n");
			abort();
		}
	} while (ret == -EAGAIN);
	if (ret == 0 && ktls_conn_version(conn) == 0)
		abort();
	if (verbose) {
		pump(sv[1], data, size, &off, &shut);
		fprintf(stderr, "fuzz_record: %s (%d) after the server sent "
			"%zu bytes: %s\n", ktls_strerror(ret), ret, sent,
			ktls_conn_errstr(conn));
	}
	ktls_conn_free(conn);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
