// SPDX-License-Identifier: MIT
/*
 * test_session_cache.c - the session cache (LRU order, expiry, size) and
 * the reference counts of the sessions it holds, without a network.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_int.h"

/* A session with no wolfSSL state: enough for the cache's bookkeeping. */
static struct ktls_session *dummy(void)
{
	struct ktls_session *s = ktls_session_wrap(NULL);

	assert_non_null(s);
	return s;
}

static void put(struct ktls_cache *c, const char *key,
		struct ktls_session *s, uint64_t now)
{
	assert_int_equal(ktls_cache_put(c, key, strlen(key), s, now), 0);
}

static struct ktls_session *get(struct ktls_cache *c, const char *key,
				uint64_t now)
{
	return ktls_cache_get(c, key, strlen(key), now);
}

static void test_cache_get_returns_what_was_put(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy(), *b = dummy(), *got;

	(void)state;
	ktls_cache_init(&c, 4, 100);
	put(&c, "a:443/", a, 1000);
	put(&c, "b:443/", b, 1000);
	got = get(&c, "a:443/", 1050);
	assert_ptr_equal(got, a);
	ktls_session_free(got);
	got = get(&c, "b:443/", 1050);
	assert_ptr_equal(got, b);
	ktls_session_free(got);
	assert_int_equal(ktls_cache_count(&c), 2);
	ktls_session_free(a);
	ktls_session_free(b);
	ktls_cache_destroy(&c);
}

static void test_cache_get_misses_unknown_key(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy();

	(void)state;
	ktls_cache_init(&c, 4, 100);
	put(&c, "a:443/", a, 1000);
	assert_null(get(&c, "a:444/", 1000));
	assert_null(get(&c, "a:443", 1000));	/* a prefix is not a match */
	assert_null(ktls_cache_get(&c, NULL, 0, 1000));
	ktls_session_free(a);
	ktls_cache_destroy(&c);
}

static void test_cache_put_replaces_same_key(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy(), *b = dummy(), *got;

	(void)state;
	ktls_cache_init(&c, 4, 100);
	put(&c, "k", a, 1000);
	put(&c, "k", b, 1000);
	assert_int_equal(ktls_cache_count(&c), 1);
	got = get(&c, "k", 1000);
	assert_ptr_equal(got, b);
	ktls_session_free(got);
	ktls_session_free(a);
	ktls_session_free(b);
	ktls_cache_destroy(&c);
}

/* When full, the least recently used entry goes; a get counts as use. */
static void test_cache_put_evicts_least_recently_used(void **state)
{
	struct ktls_cache c;
	struct ktls_session *s[4], *got;
	int i;

	(void)state;
	ktls_cache_init(&c, 3, 100);
	for (i = 0; i < 4; i++)
		s[i] = dummy();
	put(&c, "0", s[0], 1000);
	put(&c, "1", s[1], 1000);
	put(&c, "2", s[2], 1000);
	got = get(&c, "0", 1001);		/* 0 is now the newest */
	ktls_session_free(got);
	put(&c, "3", s[3], 1002);		/* 1 is the oldest: it goes */
	assert_int_equal(ktls_cache_count(&c), 3);
	assert_null(get(&c, "1", 1003));
	for (i = 0; i < 4; i++) {
		char key[2] = { (char)('0' + i), '\0' };

		if (i == 1)
			continue;
		got = get(&c, key, 1003);
		assert_ptr_equal(got, s[i]);
		ktls_session_free(got);
	}
	for (i = 0; i < 4; i++)
		ktls_session_free(s[i]);
	ktls_cache_destroy(&c);
}

static void test_cache_get_drops_expired(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy(), *got;

	(void)state;
	ktls_cache_init(&c, 4, 100);
	put(&c, "a", a, 1000);
	got = get(&c, "a", 1099);		/* last second of its life */
	assert_ptr_equal(got, a);
	ktls_session_free(got);
	assert_null(get(&c, "a", 1100));	/* expired, and dropped */
	assert_int_equal(ktls_cache_count(&c), 0);
	ktls_session_free(a);
	ktls_cache_destroy(&c);
}

static void test_cache_size_zero_stores_nothing(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy();

	(void)state;
	ktls_cache_init(&c, 0, 100);
	assert_int_equal(ktls_cache_put(&c, "a", 1, a, 1000), -ENOSPC);
	assert_int_equal(ktls_cache_count(&c), 0);
	ktls_session_free(a);
	ktls_cache_destroy(&c);
}

static void test_cache_put_rejects_bad_key(void **state)
{
	char big[1025];
	struct ktls_cache c;
	struct ktls_session *a = dummy();

	(void)state;
	memset(big, 'x', sizeof(big));
	ktls_cache_init(&c, 4, 100);
	assert_int_equal(ktls_cache_put(&c, NULL, 1, a, 0), -EINVAL);
	assert_int_equal(ktls_cache_put(&c, "a", 0, a, 0), -EINVAL);
	assert_int_equal(ktls_cache_put(&c, big, sizeof(big), a, 0), -EINVAL);
	assert_int_equal(ktls_cache_put(&c, "a", 1, NULL, 0), -EINVAL);
	assert_int_equal(ktls_cache_count(&c), 0);
	ktls_session_free(a);
	ktls_cache_destroy(&c);
}

static void test_cache_configure_shrinks_oldest_first(void **state)
{
	struct ktls_cache c;
	struct ktls_session *s[3], *got;
	int i;

	(void)state;
	ktls_cache_init(&c, 3, 100);
	for (i = 0; i < 3; i++)
		s[i] = dummy();
	put(&c, "0", s[0], 1000);
	put(&c, "1", s[1], 1000);
	put(&c, "2", s[2], 1000);
	ktls_cache_configure(&c, 1, 100);
	assert_int_equal(ktls_cache_count(&c), 1);
	assert_null(get(&c, "0", 1000));
	got = get(&c, "2", 1000);
	assert_ptr_equal(got, s[2]);
	ktls_session_free(got);
	for (i = 0; i < 3; i++)
		ktls_session_free(s[i]);
	ktls_cache_destroy(&c);
}

/*
 * The cache holds its own reference: a session outlives the caller's
 * free while cached, and the cache's free (remove, clear) is the last.
 * Valgrind and ASan runs of this test catch a leak or a double free.
 */
static void test_cache_holds_its_own_reference(void **state)
{
	struct ktls_cache c;
	struct ktls_session *a = dummy(), *got;

	(void)state;
	ktls_cache_init(&c, 4, 100);
	put(&c, "a", a, 1000);
	ktls_session_free(a);			/* the cache's is left */
	got = get(&c, "a", 1000);
	assert_ptr_equal(got, a);		/* still alive */
	ktls_cache_remove(&c, "a", 1);
	assert_int_equal(ktls_cache_count(&c), 0);
	assert_ptr_equal(ktls_session_ref(got), got);
	ktls_session_free(got);
	ktls_session_free(got);			/* the last one */
	a = dummy();
	put(&c, "b", a, 1000);
	ktls_session_free(a);			/* clear below frees it */
	ktls_session_free(get(&c, "b", 1000));
	ktls_cache_clear(&c);
	assert_int_equal(ktls_cache_count(&c), 0);
	ktls_cache_destroy(&c);
}

static void test_session_ref_and_free_accept_null(void **state)
{
	(void)state;
	assert_null(ktls_session_ref(NULL));
	ktls_session_free(NULL);
	assert_false(ktls_session_resumable(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_get_returns_what_was_put),
		cmocka_unit_test(test_cache_get_misses_unknown_key),
		cmocka_unit_test(test_cache_put_replaces_same_key),
		cmocka_unit_test(test_cache_put_evicts_least_recently_used),
		cmocka_unit_test(test_cache_get_drops_expired),
		cmocka_unit_test(test_cache_size_zero_stores_nothing),
		cmocka_unit_test(test_cache_put_rejects_bad_key),
		cmocka_unit_test(test_cache_configure_shrinks_oldest_first),
		cmocka_unit_test(test_cache_holds_its_own_reference),
		cmocka_unit_test(test_session_ref_and_free_accept_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
