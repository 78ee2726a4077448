// SPDX-License-Identifier: MIT
/*
 * test_keylog.c - ktls_ctx_set_keylog_cb() (keylog.c): the NSS key-log
 * lines of a handshake, in both versions.
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h).  Both ends log: each computes its secrets
 * on its own, so the two logs being equal says the secrets are the ones
 * the session used, and the client random in them is checked against
 * wolfSSL's.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "helpers.h"
#include "ktls_int.h"

#define MAX_LINES 8
#define LINE_MAX_LEN 256
#define RANDOM_LEN 32

/* What one end's callback saw. */
struct kl_log {
	const struct ktls_conn *conn;	/* the one it must be given */
	int n;
	char lines[MAX_LINES][LINE_MAX_LEN];
	char random[2 * RANDOM_LEN + 1];	/* wolfSSL's, in hex */
};

static void hex(char *out, const uint8_t *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02X", in[i]);
}

static void on_keylog(const struct ktls_conn *conn, const char *line,
		      void *arg)
{
	struct kl_log *log = arg;
	uint8_t cr[RANDOM_LEN];

	assert_ptr_equal(conn, log->conn);
	assert_true(log->n < MAX_LINES);
	assert_true(strlen(line) < LINE_MAX_LEN);
	strcpy(log->lines[log->n++], line);
	/* During the handshake wolfSSL still has the randoms. */
	assert_int_equal(wolfSSL_get_client_random(conn->tls.ssl, cr,
						   sizeof(cr)), RANDOM_LEN);
	hex(log->random, cr, sizeof(cr));
}

static bool is_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Each line is "LABEL <client random> <secret>", with that random. */
static void check_lines(const struct kl_log *log, const char *const *labels,
			size_t n_labels, size_t secret_hex)
{
	char buf[LINE_MAX_LEN], *label, *cr, *secret, *extra, *save;
	size_t i, j;

	assert_int_equal(log->n, n_labels);
	for (i = 0; i < n_labels; i++) {
		bool found = false;

		for (j = 0; j < (size_t)log->n; j++) {
			strcpy(buf, log->lines[j]);
			label = strtok_r(buf, " ", &save);
			cr = strtok_r(NULL, " ", &save);
			secret = strtok_r(NULL, " ", &save);
			extra = strtok_r(NULL, " ", &save);
			assert_non_null(label);
			assert_non_null(cr);
			assert_non_null(secret);
			assert_null(extra);
			assert_null(strchr(log->lines[j], '\n'));
			assert_true(is_hex(cr, 2 * RANDOM_LEN));
			assert_string_equal(cr, log->random);
			assert_true(is_hex(secret, secret_hex));
			if (strcmp(label, labels[i]) == 0)
				found = true;
		}
		if (!found)
			fail_msg("no %s line", labels[i]);
	}
}

static void run(uint16_t version, struct kl_log *clog, struct kl_log *slog)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;
	int i;

	memset(clog, 0, sizeof(*clog));
	memset(slog, 0, sizeof(*slog));
	/* make WOLFSSL=system: Debian's wolfSSL has no HAVE_SECRET_CALLBACK. */
	if (ktls_ctx_set_keylog_cb(cctx, on_keylog, clog) == -EOPNOTSUPP) {
		ktls_ctx_free(cctx);
		ktls_ctx_free(sctx);
		skip();
	}
	assert_int_equal(ktls_ctx_set_keylog_cb(cctx, on_keylog, clog), 0);
	assert_int_equal(ktls_ctx_set_keylog_cb(sctx, on_keylog, slog), 0);
	th_link_open(&l, cctx, sctx);
	clog->conn = l.c;
	slog->conn = l.s;
	th_link_pin(&l, version, NULL);
	th_handshake(&l);
	th_transfer(l.c, l.s, 1000, 1);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
	/* Both ends logged the same secrets. */
	assert_int_equal(clog->n, slog->n);
	for (i = 0; i < clog->n; i++) {
		bool same = false;
		int j;

		for (j = 0; j < slog->n; j++)
			same |= strcmp(clog->lines[i], slog->lines[j]) == 0;
		if (!same)
			fail_msg("the server did not log \"%s\"",
				 clog->lines[i]);
	}
}

static void test_keylog_tls12_logs_client_random(void **state)
{
	static const char *const labels[] = { "CLIENT_RANDOM" };
	static struct kl_log c, s;

	(void)state;
	run(KTLS_TLS_1_2, &c, &s);
	check_lines(&c, labels, 1, 2 * 48);
	check_lines(&s, labels, 1, 2 * 48);
}

static void test_keylog_tls13_logs_traffic_secrets(void **state)
{
	static const char *const labels[] = {
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0",
		"SERVER_TRAFFIC_SECRET_0",
		"EXPORTER_SECRET",
	};
	static struct kl_log c, s;

	(void)state;
	/* The EC test server negotiates TLS_AES_128_GCM_SHA256 or
	 * TLS_AES_256_GCM_SHA384: secrets of 32 or 48 bytes. */
	run(KTLS_TLS_1_3, &c, &s);
	check_lines(&c, labels, 5, strlen(strrchr(c.lines[0], ' ') + 1));
	check_lines(&s, labels, 5, strlen(strrchr(s.lines[0], ' ') + 1));
	assert_true(strlen(strrchr(c.lines[0], ' ') + 1) == 64 ||
		    strlen(strrchr(c.lines[0], ' ') + 1) == 96);
}

/* Off by default, and off again with NULL: no call. */
static void test_keylog_not_called_when_unset(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	static struct kl_log log;
	struct th_link l;

	(void)state;
	memset(&log, 0, sizeof(log));
	if (ktls_ctx_set_keylog_cb(cctx, on_keylog, &log) == -EOPNOTSUPP) {
		ktls_ctx_free(cctx);
		ktls_ctx_free(sctx);
		skip();
	}
	assert_int_equal(ktls_ctx_set_keylog_cb(cctx, NULL, &log), 0);
	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	th_close_both(&l);
	th_link_close(&l);
	assert_int_equal(log.n, 0);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

static void test_keylog_rejects_null_ctx(void **state)
{
	(void)state;
	assert_int_equal(ktls_ctx_set_keylog_cb(NULL, on_keylog, NULL),
			 -EINVAL);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_keylog_tls12_logs_client_random),
		T(test_keylog_tls13_logs_traffic_secrets),
		T(test_keylog_not_called_when_unset),
		T(test_keylog_rejects_null_ctx),
	};
	return cmocka_run_group_tests_name("keylog", tests,
					   th_conn_setup, th_conn_teardown);
}
