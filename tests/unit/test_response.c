// SPDX-License-Identifier: MIT
/*
 * test_response.c - ktls-get's reading of what a server sends: the
 * response head, and chunked bodies decoded in place, whole and split at
 * every byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include "response.h"

static int head(const char *s, struct resp_head *r)
{
	return resp_parse_head(s, strlen(s), r);
}

static void test_head_plain(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n"
			"Connection: keep-alive, Close\r\n\r\nbody";
	struct resp_head r;

	(void)state;
	assert_int_equal(head(s, &r), (int)strlen(s) - 4);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.reason, "OK");
	assert_int_equal(r.length, 12);
	assert_false(r.chunked);
	assert_true(r.close);
}

static void test_head_404_reason(void **state)
{
	struct resp_head r;

	(void)state;
	assert_true(head("HTTP/1.0 404 Not Found\r\n\r\n", &r) > 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.reason, "Not Found");
	assert_int_equal(r.length, -1);
	assert_true(r.close);
}

static void test_head_incomplete_and_too_long(void **state)
{
	static char big[RESP_HEAD_MAX + 8];
	struct resp_head r;

	(void)state;
	assert_int_equal(head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", &r),
			 0);
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(resp_parse_head(big, sizeof(big) - 1, &r), -EMSGSIZE);
}

static void test_head_chunked(void **state)
{
	struct resp_head r;

	(void)state;
	assert_true(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n"
			 "\r\n", &r) > 0);
	assert_true(r.chunked);
	assert_int_equal(r.length, -1);
}

static void test_head_refused(void **state)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\nX: y\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: y\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		"Content-Length: 6\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	};
	static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	struct resp_head r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = head(bad[i], &r);

		if (ret != -EBADMSG)
			fail_msg("case %zu: %d, not -EBADMSG", i, ret);
	}
	assert_int_equal(resp_parse_head(nul, sizeof(nul) - 1, &r), -EBADMSG);
}

static void test_head_other_codings_unsupported(void **state)
{
	struct resp_head r;

	(void)state;
	assert_int_equal(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
			      "chunked\r\n\r\n", &r), -ENOTSUP);
	assert_int_equal(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			      "\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
			 -ENOTSUP);
}

/* Decode @in fed in pieces of @step bytes; the data is compared. */
static void chunked_case(const char *in, size_t step, const char *want,
			 size_t want_used)
{
	char buf[512], out[512];
	struct resp_chunked d = { 0 };
	size_t len = strlen(in), at = 0, o = 0, used, n;
	ssize_t r;

	assert_true(len < sizeof(buf));
	while (at < len && !d.done) {
		n = len - at < step ? len - at : step;
		memcpy(buf, in + at, n);
		r = resp_chunked_decode(&d, buf, n, &used);
		assert_true(r >= 0);
		assert_true(used <= n);
		memcpy(out + o, buf, (size_t)r);
		o += (size_t)r;
		at += used;
	}
	assert_true(d.done);
	assert_int_equal(at, want_used);
	assert_int_equal(o, strlen(want));
	assert_memory_equal(out, want, o);
}

static void test_chunked_every_split(void **state)
{
	const char *in = "5\r\nhello\r\n7;name=\"v\"\r\n, world\r\n"
			 "000\r\nTrailer: x\r\n\r\nNEXT";
	size_t step;

	(void)state;
	for (step = 1; step <= strlen(in); step++)
		chunked_case(in, step, "hello, world", strlen(in) - 4);
}

static void test_chunked_big_hex(void **state)
{
	struct resp_chunked d = { 0 };
	char buf[] = "1aB\r\n";
	size_t used;

	(void)state;
	assert_int_equal(resp_chunked_decode(&d, buf, 5, &used), 0);
	assert_int_equal(used, 5);
	assert_int_equal(d.left, 0x1ab);
}

static void test_chunked_refused(void **state)
{
	static const char *const bad[] = {
		"\r\n",			/* no size */
		"-1\r\n",
		"+1\r\n",
		"0x10\r\n",
		"1\nx\r\n",		/* bare LF */
		"1\r\nxy\r\n",		/* no CRLF after the data */
		"1\r\nx\n",
		"10000000000000000\r\n",	/* over 2^60 */
		"0\r\n: x\r\n\r\n",	/* trailer without a name */
		"0\r\nX: \001\r\n\r\n",
		"0\r\n\r\r",
	};
	char buf[64];
	struct resp_chunked d;
	size_t i, used;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		memcpy(buf, bad[i], strlen(bad[i]));
		if (resp_chunked_decode(&d, buf, strlen(bad[i]), &used) !=
		    -EBADMSG)
			fail_msg("case %zu (%s) was accepted", i, bad[i]);
	}
}

static void test_chunked_long_line_refused(void **state)
{
	static char buf[5000];
	struct resp_chunked d = { 0 };
	size_t used;

	(void)state;
	buf[0] = '1';
	buf[1] = ';';
	memset(buf + 2, 'x', sizeof(buf) - 2);
	assert_int_equal(resp_chunked_decode(&d, buf, sizeof(buf), &used),
			 -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_plain),
		cmocka_unit_test(test_head_404_reason),
		cmocka_unit_test(test_head_incomplete_and_too_long),
		cmocka_unit_test(test_head_chunked),
		cmocka_unit_test(test_head_refused),
		cmocka_unit_test(test_head_other_codings_unsupported),
		cmocka_unit_test(test_chunked_every_split),
		cmocka_unit_test(test_chunked_big_hex),
		cmocka_unit_test(test_chunked_refused),
		cmocka_unit_test(test_chunked_long_line_refused),
	};

	return cmocka_run_group_tests_name("response", tests, NULL, NULL);
}
