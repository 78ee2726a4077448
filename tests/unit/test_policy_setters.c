// SPDX-License-Identifier: MIT
/*
 * test_policy_setters.c - policy through the public setters, without a
 * network: contexts (ciphers, options, ALPN, trust and identity files)
 * and the connections made from them, which copy the context's options
 * and may override them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

#define AES128GCM KTLS_CIPHER_AES_128_GCM
#define AES256GCM KTLS_CIPHER_AES_256_GCM
#define AES128CCM KTLS_CIPHER_AES_128_CCM
#define CHACHA KTLS_CIPHER_CHACHA20_POLY1305

/* A file that does not exist. */
#define MISSING_PATH "/nonexistent/libktls-unit-test/missing.pem"

/* Contexts and connections, no network -------------------------------- */

static void test_ctx_set_ciphers_applies_list(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "chacha20:AES-128-GCM"), 0);
	assert_int_equal(ctx->opts.n_ciphers, 2);
	assert_int_equal(ctx->opts.ciphers[0], CHACHA);
	assert_int_equal(ctx->opts.ciphers[1], AES128GCM);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_ciphers_refuses_rc4(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;

	(void)state;
	assert_non_null(ctx);
	before = ctx->opts;
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "RC4-SHA"),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "RC4");
	assert_memory_equal(&ctx->opts, &before, sizeof(before));
	assert_int_equal(ktls_ctx_set_ciphers(ctx, ""), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(ctx),
			    "the cipher list names no cipher");
	/* A later success clears the message. */
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "AES-256-GCM"), 0);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	assert_int_equal(ktls_ctx_set_ciphers(NULL, "AES-256-GCM"), -EINVAL);
	assert_string_equal(ktls_ctx_errstr(NULL), "no context");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_opt_applies_value(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN,
					  KTLS_TLS_1_3), 0);
	assert_int_equal(ctx->opts.version_min, KTLS_TLS_1_3);
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_RENEGOTIATION, 0), 0);
	assert_string_equal(ktls_ctx_errstr(ctx), "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_opt_refuses_tls_1_0(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;

	(void)state;
	assert_non_null(ctx);
	before = ctx->opts;
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN, 0x0301),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "TLS 1.0");
	assert_int_equal(ktls_ctx_set_opt(ctx, KTLS_OPT_RENEGOTIATION, 1),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "renegotiation");
	assert_int_equal(ktls_ctx_set_opt(ctx, (enum ktls_opt)42, 1), -EINVAL);
	assert_memory_equal(&ctx->opts, &before, sizeof(before));
	assert_int_equal(ktls_ctx_set_opt(NULL, KTLS_OPT_VERSION_MIN,
					  KTLS_TLS_1_3), -EINVAL);
	ktls_ctx_free(ctx);
}

static void test_ctx_set_alpn_stores_list(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2,http/1.1"), 0);
	assert_string_equal(ctx->opts.alpn, "h2,http/1.1");
	assert_int_equal(ktls_ctx_set_alpn(ctx, NULL), 0);
	assert_string_equal(ctx->opts.alpn, "");
	ktls_ctx_free(ctx);
}

static void test_ctx_set_alpn_rejects_empty_name(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2"), 0);
	assert_int_equal(ktls_ctx_set_alpn(ctx, "h2,,x"), -EINVAL);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "empty name");
	assert_string_equal(ctx->opts.alpn, "h2");
	ktls_ctx_free(ctx);
}

static void test_ctx_load_ca_file_rejects_missing_file(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, MISSING_PATH), -ENOENT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), MISSING_PATH);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "No such file or directory");
	assert_false(ctx->trust_loaded);
	/* A directory is not a file. */
	assert_int_equal(ktls_ctx_load_ca_file(ctx, "/"), -EISDIR);
	assert_int_equal(ktls_ctx_load_ca_file(ctx, NULL), -EINVAL);
	assert_int_equal(ktls_ctx_load_ca_file(NULL, MISSING_PATH), -EINVAL);
	assert_false(ctx->trust_loaded);
	ktls_ctx_free(ctx);
}

static void test_ctx_add_identity_rejects_missing_files(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_add_identity(ctx, MISSING_PATH,
					       MISSING_PATH ".key"), -ENOENT);
	TH_ASSERT_CONTAINS(ktls_ctx_errstr(ctx), "certificate " MISSING_PATH);
	assert_int_equal(ctx->n_identities, 0);
	assert_int_equal(ktls_ctx_add_identity(ctx, NULL, NULL), -EINVAL);
	assert_int_equal(ktls_ctx_add_identity(NULL, MISSING_PATH,
					       MISSING_PATH), -EINVAL);
	assert_int_equal(ctx->n_identities, 0);
	ktls_ctx_free(ctx);
}

static void test_conn_new_copies_ctx_options(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_conn *client, *server;
	int fd;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(ktls_ctx_set_ciphers(ctx, "AES-128-CCM"), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	client = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(client);
	server = ktls_conn_new(ctx, fd, KTLS_ROLE_SERVER);
	assert_non_null(server);
	assert_int_equal(ktls_conn_fd(client), fd);
	assert_string_equal(ktls_conn_errstr(client), "");
	assert_memory_equal(&client->opts, &ctx->opts, sizeof(ctx->opts));
	assert_int_equal(client->opts.n_ciphers, 1);
	assert_int_equal(client->opts.ciphers[0], AES128CCM);
	assert_int_equal(ktls_conn_alert(client), -1);
	ktls_conn_free(server);
	ktls_conn_free(client);
	ktls_conn_free(NULL);
	/* libktls never closes the fd. */
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_new_rejects_bad_arguments(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	int fd;

	(void)state;
	assert_non_null(ctx);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_null(ktls_conn_new(ctx, fd, (enum ktls_role)0));
	assert_null(ktls_conn_new(ctx, fd, (enum ktls_role)3));
	assert_null(ktls_conn_new(ctx, -1, KTLS_ROLE_CLIENT));
	assert_null(ktls_conn_new(NULL, fd, KTLS_ROLE_CLIENT));
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_set_opt_overrides_ctx(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts ctx_before;
	struct ktls_conn *conn;
	int fd;

	(void)state;
	assert_non_null(ctx);
	ctx_before = ctx->opts;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(conn);
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), 0);
	assert_int_equal(conn->opts.version_min, KTLS_TLS_1_3);
	assert_int_equal(ktls_conn_set_ciphers(conn, "TLS_AES_256_GCM_SHA384"),
			 0);
	assert_int_equal(conn->opts.n_ciphers, 1);
	assert_int_equal(conn->opts.ciphers[0], AES256GCM);
	assert_int_equal(ktls_conn_set_alpn(conn, "h2"), 0);
	assert_string_equal(conn->opts.alpn, "h2");
	assert_int_equal(ktls_conn_set_peer_name(conn, "unit.example"), 0);
	assert_string_equal(conn->peer_name, "unit.example");
	assert_string_equal(ktls_conn_errstr(conn), "");
	/* The context's defaults stay as they were. */
	assert_memory_equal(&ctx->opts, &ctx_before, sizeof(ctx_before));
	ktls_conn_free(conn);
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

static void test_conn_set_opt_refuses_insecure(void **state)
{
	struct ktls_ctx *ctx = ktls_ctx_new();
	struct ktls_opts before;
	struct ktls_conn *conn;
	int fd;

	(void)state;
	assert_non_null(ctx);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	conn = ktls_conn_new(ctx, fd, KTLS_ROLE_CLIENT);
	assert_non_null(conn);
	before = conn->opts;
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_VERSION_MIN, 0x0302),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(conn), "TLS 1.1");
	assert_int_equal(ktls_conn_set_opt(conn, KTLS_OPT_RENEGOTIATION, 1),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(conn), "renegotiation");
	assert_int_equal(ktls_conn_set_ciphers(conn, "DES-CBC3-SHA"),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(ktls_conn_errstr(conn), "3DES is refused");
	assert_int_equal(ktls_conn_set_alpn(conn, ",h2"), -EINVAL);
	assert_memory_equal(&conn->opts, &before, sizeof(before));
	assert_int_equal(ktls_conn_set_peer_name(conn, ""), -EINVAL);
	assert_int_equal(ktls_conn_set_peer_name(conn, NULL), -EINVAL);
	assert_null(conn->peer_name);
	assert_int_equal(ktls_conn_set_opt(NULL, KTLS_OPT_VERSION_MIN,
					   KTLS_TLS_1_3), -EINVAL);
	assert_string_equal(ktls_conn_errstr(NULL), "no connection");
	ktls_conn_free(conn);
	assert_int_equal(close(fd), 0);
	ktls_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_set_ciphers_applies_list),
		cmocka_unit_test(test_ctx_set_ciphers_refuses_rc4),
		cmocka_unit_test(test_ctx_set_opt_applies_value),
		cmocka_unit_test(test_ctx_set_opt_refuses_tls_1_0),
		cmocka_unit_test(test_ctx_set_alpn_stores_list),
		cmocka_unit_test(test_ctx_set_alpn_rejects_empty_name),
		cmocka_unit_test(test_ctx_load_ca_file_rejects_missing_file),
		cmocka_unit_test(test_ctx_add_identity_rejects_missing_files),
		cmocka_unit_test(test_conn_new_copies_ctx_options),
		cmocka_unit_test(test_conn_new_rejects_bad_arguments),
		cmocka_unit_test(test_conn_set_opt_overrides_ctx),
		cmocka_unit_test(test_conn_set_opt_refuses_insecure),
	};

	return cmocka_run_group_tests_name("policy_setters", tests, NULL, NULL);
}
