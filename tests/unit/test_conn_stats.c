// SPDX-License-Identifier: MIT
/*
 * test_conn_stats.c - ktls_conn_stats() (record.c, bridge.c): exact byte
 * and record counts after a known transfer with the record layer forced
 * into software, in both versions; the kernel's records flagged as not
 * counted; misuse refused.
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "ktls_int.h"

/* Three sends: one record, two records (16384 + 3616), one record. */
static const size_t sizes[] = { 1000, 20000, 5 };
#define TOTAL (1000 + 20000 + 5)
#define RECORDS 4

static void stats(const struct ktls_conn *conn, struct ktls_conn_stats *st)
{
	memset(st, 0xee, sizeof(*st));
	st->size = sizeof(*st);
	assert_int_equal(ktls_conn_stats(conn, st), 0);
	assert_int_equal(st->size, sizeof(*st));
	assert_int_equal(st->reserved, 0);
}

static void send_all(struct ktls_conn *conn, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = ktls_send(conn, buf + done, len - done);
		if (n == -EAGAIN) {
			th_wait_for(conn, "send");
			continue;
		}
		assert_true(n > 0);
		done += (size_t)n;
	}
}

/*
 * The client sends RECORDS records of TOTAL bytes; both ends count them
 * exactly, and the server's sends and the client's receipts stay 0.
 */
static void test_conn_stats_counts_software_transfer(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	static uint8_t out[20000], in[20000];
	struct ktls_conn_stats c0, s0, c1, s1;
	struct th_link l;
	size_t i, got;
	ssize_t n;
	int v;

	(void)state;
	memset(out, 0x3c, sizeof(out));
	for (v = 0; v < 2; v++) {
		th_link_open(&l, cctx, sctx);
		th_link_pin(&l, versions[v], NULL);
		assert_int_equal(ktls_conn_set_opt(l.c,
				KTLS_OPT_FORCE_SOFTWARE, 1), 0);
		assert_int_equal(ktls_conn_set_opt(l.s,
				KTLS_OPT_FORCE_SOFTWARE, 1), 0);
		th_handshake(&l);
		stats(l.c, &c0);
		stats(l.s, &s0);
		assert_int_equal(c0.tx_bytes, 0);
		assert_int_equal(s0.rx_bytes, 0);
		assert_int_equal(c0.tx_path, KTLS_PATH_SOFTWARE);
		assert_int_equal(c0.rx_path, KTLS_PATH_SOFTWARE);
		assert_int_equal(s0.flags, KTLS_STATS_TX_RECORDS |
				 KTLS_STATS_RX_RECORDS);

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			send_all(l.c, out, sizes[i]);
			for (got = 0; got < sizes[i]; got += (size_t)n) {
				n = th_recv_wait(l.s, in, sizes[i] - got);
				assert_true(n > 0);
			}
		}
		stats(l.c, &c1);
		stats(l.s, &s1);
		assert_int_equal(c1.tx_bytes, TOTAL);
		assert_int_equal(s1.rx_bytes, TOTAL);
		assert_int_equal(c1.tx_records - c0.tx_records, RECORDS);
		assert_int_equal(s1.rx_records - s0.rx_records, RECORDS);
		assert_int_equal(s1.tx_bytes, 0);
		assert_int_equal(c1.rx_bytes, 0);
		assert_int_equal(c1.key_updates, 0);

		/* A KeyUpdate (TLS 1.3) is one more record, and counted. */
		if (versions[v] == KTLS_TLS_1_3) {
			assert_int_equal(ktls_conn_key_update(l.c), 0);
			stats(l.c, &c1);
			assert_int_equal(c1.key_updates, 1);
			assert_int_equal(c1.tx_records - c0.tx_records,
					 RECORDS + 1);
		}
		th_close_both(&l);
		th_link_close(&l);
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/*
 * Where the kernel holds a direction, its record count is flagged as not
 * known; bytes still count.  Runs only where kTLS is there (the VM).
 */
static void test_conn_stats_flags_kernel_records(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	static uint8_t buf[3000], in[4096];
	struct ktls_conn_stats st;
	struct th_link l;
	size_t got;
	ssize_t n;

	(void)state;
	th_link_open(&l, cctx, sctx);
	th_handshake(&l);
	if (!ktls_conn_offloaded(l.c, KTLS_DIR_TX)) {
		th_close_both(&l);
		th_link_close(&l);
		ktls_ctx_free(cctx);
		ktls_ctx_free(sctx);
		skip();
	}
	send_all(l.c, buf, sizeof(buf));
	stats(l.c, &st);
	assert_int_equal(st.tx_bytes, sizeof(buf));
	assert_int_equal(st.tx_path, KTLS_PATH_KERNEL);
	assert_false(st.flags & KTLS_STATS_TX_RECORDS);
	/* The server reads them all (else its close_notify check would
	 * read data), and counts them as received. */
	for (got = 0; got < sizeof(buf); got += (size_t)n) {
		n = th_recv_wait(l.s, in, sizeof(in));
		assert_true(n > 0);
	}
	assert_int_equal(got, sizeof(buf));
	stats(l.s, &st);
	assert_int_equal(st.rx_bytes, sizeof(buf));
	if (st.rx_path == KTLS_PATH_KERNEL)
		assert_false(st.flags & KTLS_STATS_RX_RECORDS);
	th_close_both(&l);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* No connection, no struct, a short struct: refused.  Before the
 * handshake everything is 0 and no direction has a path. */
static void test_conn_stats_rejects_misuse(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct ktls_conn_stats st = { .size = sizeof(st) };
	struct th_link l;

	(void)state;
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_stats(NULL, &st), -EINVAL);
	assert_int_equal(ktls_conn_stats(l.c, NULL), -EINVAL);
	st.size = sizeof(st) - 1;
	assert_int_equal(ktls_conn_stats(l.c, &st), -EINVAL);
	st.size = 0;
	assert_int_equal(ktls_conn_stats(l.c, &st), -EINVAL);
	stats(l.c, &st);
	assert_int_equal(st.tx_path, KTLS_PATH_NONE);
	assert_int_equal(st.rx_path, KTLS_PATH_NONE);
	assert_int_equal(st.tx_bytes + st.rx_bytes, 0);
	assert_int_equal(st.tx_records + st.rx_records, 0);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* A caller built against a larger struct gets the tail zeroed. */
static void test_conn_stats_zeroes_newer_tail(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct {
		struct ktls_conn_stats st;
		uint64_t newer[2];
	} big;
	struct th_link l;

	(void)state;
	memset(&big, 0xee, sizeof(big));
	big.st.size = sizeof(big);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_stats(l.c, &big.st), 0);
	assert_int_equal(big.st.size, sizeof(big));
	assert_int_equal(big.newer[0], 0);
	assert_int_equal(big.newer[1], 0);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_stats_counts_software_transfer),
		T(test_conn_stats_flags_kernel_records),
		T(test_conn_stats_rejects_misuse),
		T(test_conn_stats_zeroes_newer_tail),
	};
	return cmocka_run_group_tests_name("conn-stats", tests,
					   th_conn_setup, th_conn_teardown);
}
