// SPDX-License-Identifier: MIT
/*
 * test_log.c - handshaked's log (handshaked/log.c): the rate limit of a
 * call site, a burst and then a line a second, and the count of the lines
 * it left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "handshaked.h"

/* A burst of HSD_LOG_BURST lines, then nothing until time passes. */
static void test_log_allow_burst_then_nothing(void **state)
{
	struct hsd_log_limit rl = { 0 };
	unsigned long sup = 99;
	int i;

	(void)state;
	for (i = 0; i < HSD_LOG_BURST; i++) {
		assert_true(hsd_log_allow(&rl, 5000, &sup));
		assert_int_equal(sup, 0);
	}
	for (i = 0; i < 1000; i++)
		assert_false(hsd_log_allow(&rl, 5000 + (uint64_t)i / 10, &sup));
	assert_int_equal(rl.suppressed, 1000);
}

/* After the burst, one line a second, which counts the ones left out. */
static void test_log_allow_one_a_second_with_count(void **state)
{
	struct hsd_log_limit rl = { 0 };
	unsigned long sup = 0;
	uint64_t t = 1000;
	int i, passed = 0;

	(void)state;
	for (i = 0; i < HSD_LOG_BURST; i++)
		assert_true(hsd_log_allow(&rl, t, &sup));
	assert_false(hsd_log_allow(&rl, t + 10, &sup));
	assert_false(hsd_log_allow(&rl, t + 500, &sup));
	assert_true(hsd_log_allow(&rl, t + 1000, &sup));
	assert_int_equal(sup, 2);
	/* 100 lines a second for 20 s: about 20 pass. */
	for (i = 0; i < 2000; i++) {
		t += 10;
		if (hsd_log_allow(&rl, 2000 + t, &sup))
			passed++;
	}
	assert_in_range(passed, 19, 22);
	assert_in_range(sup, 90, 110);
}

/* A quiet site refills to a burst, no more. */
static void test_log_allow_refills_to_burst(void **state)
{
	struct hsd_log_limit rl = { 0 };
	unsigned long sup;
	int i;

	(void)state;
	for (i = 0; i < HSD_LOG_BURST; i++)
		assert_true(hsd_log_allow(&rl, 0, &sup));
	assert_false(hsd_log_allow(&rl, 0, &sup));
	for (i = 0; i < HSD_LOG_BURST; i++)
		assert_true(hsd_log_allow(&rl, 3600 * 1000, &sup));
	assert_false(hsd_log_allow(&rl, 3600 * 1000, &sup));
	/* a clock that seems to go back gives nothing */
	assert_false(hsd_log_allow(&rl, 1000, &sup));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_log_allow_burst_then_nothing),
		T(test_log_allow_one_a_second_with_count),
		T(test_log_allow_refills_to_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
