// SPDX-License-Identifier: MIT
/*
 * test_conn_pending.c - ktls_conn_pending() (record.c): the decrypted
 * bytes libktls holds after a ktls_recv() that took part of a record,
 * with the record layer where the kernel puts it and forced into
 * software, in both versions.
 *
 * Whole TLS connections in one process over a loopback TCP pair (the
 * fixtures in tests/helpers.h).  Without kTLS both rounds run in
 * software; in the VM (the kTLS tier) the first one reads through the
 * kernel.
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

#define RECORD 1000
#define FIRST 100

/*
 * One record of RECORD bytes, read FIRST bytes at a time: the rest is
 * pending, goes down as it is read, and is 0 when the record is gone.
 */
static void test_conn_pending_counts_rest_of_record(void **state)
{
	static const uint16_t versions[] = { KTLS_TLS_1_2, KTLS_TLS_1_3 };
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	uint8_t out[RECORD], in[RECORD];
	struct th_link l;
	size_t got;
	int i, soft;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (soft = 0; soft < 2; soft++) {
			th_link_open(&l, cctx, sctx);
			th_link_pin(&l, versions[i], NULL);
			assert_int_equal(ktls_conn_set_opt(l.c,
					KTLS_OPT_FORCE_SOFTWARE, soft), 0);
			th_handshake(&l);
			if (soft)
				assert_false(ktls_conn_offloaded(l.c,
							KTLS_DIR_RX));
			assert_int_equal(ktls_conn_pending(l.c), 0);

			memset(out, 0x5a + soft, sizeof(out));
			assert_int_equal(ktls_send(l.s, out, sizeof(out)),
					 RECORD);
			assert_int_equal(th_recv_wait(l.c, in, FIRST), FIRST);
			assert_int_equal(ktls_conn_pending(l.c),
					 RECORD - FIRST);
			for (got = FIRST; got < RECORD; got += FIRST) {
				/* Served from what is pending: no wait. */
				assert_int_equal(ktls_recv(l.c, in + got,
							   FIRST), FIRST);
				assert_int_equal(ktls_conn_pending(l.c),
						 RECORD - got - FIRST);
			}
			assert_memory_equal(in, out, sizeof(out));
			assert_int_equal(ktls_conn_pending(l.s), 0);
			th_close_both(&l);
			th_link_close(&l);
		}
	}
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

/* Nothing is counted before the handshake, nor for no connection. */
static void test_conn_pending_rejects_misuse(void **state)
{
	struct ktls_ctx *sctx = th_ec_server_ctx(), *cctx = th_client_ctx();
	struct th_link l;

	(void)state;
	assert_int_equal(ktls_conn_pending(NULL), -EINVAL);
	th_link_open(&l, cctx, sctx);
	assert_int_equal(ktls_conn_pending(l.c), -EINVAL);
	assert_int_equal(ktls_conn_pending(l.s), -EINVAL);
	th_link_close(&l);
	ktls_ctx_free(cctx);
	ktls_ctx_free(sctx);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	struct CMUnitTest tests[] = {
		T(test_conn_pending_counts_rest_of_record),
		T(test_conn_pending_rejects_misuse),
	};
	return cmocka_run_group_tests_name("conn-pending", tests,
					   th_conn_setup, th_conn_teardown);
}
