// SPDX-License-Identifier: MIT
/*
 * test_http.c - ktls-serve's request parsing (serve/http.c): the
 * request head, Connection lists, Content-Length and Transfer-Encoding,
 * byte ranges, target paths, and escaping for the access log.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse a NUL-terminated head (the NUL is not passed). */
static int parse(const char *s, struct http_req *req)
{
	return http_parse_head(s, strlen(s), req);
}

static void assert_span(const char *p, size_t len, const char *want)
{
	if (!p || len != strlen(want) || memcmp(p, want, len))
		fail_msg("got '%.*s', want '%s'", p ? (int)len : 6,
			 p ? p : "(null)", want);
}

/* http_parse_head(): what is accepted ----------------------------------- */

static void test_head_simple_get(void **state)
{
	static const char h[] = "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(h, &r), (int)strlen(h));
	assert_int_equal(r.method, HTTP_M_GET);
	assert_span(r.target, r.target_len, "/a/b.txt?x=1");
	assert_span(r.line, r.line_len, "GET /a/b.txt?x=1 HTTP/1.1");
	assert_int_equal(r.minor, 1);
	assert_true(r.keep_alive);
	assert_int_equal(r.hosts, 1);
	assert_int_equal(r.content_length, 0);
	assert_null(r.range);
	assert_null(r.ims);
}

/* Referer and User-Agent, for the combined log: the first of each. */
static void test_head_referer_and_agent(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "referer:  https://x/y \r\nUser-Agent: curl/8\r\n"
			  "User-Agent: second\r\n\r\n", &r) > 0);
	assert_span(r.referer, r.referer_len, "https://x/y");
	assert_span(r.agent, r.agent_len, "curl/8");
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r) > 0);
	assert_null(r.referer);
	assert_null(r.agent);
}

static void test_head_methods(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("HEAD / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, HTTP_M_HEAD);
	assert_true(parse("POST / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, HTTP_M_OTHER);
	assert_true(parse("get / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, HTTP_M_OTHER);	/* case-sensitive */
	assert_true(parse("GETX / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.method, HTTP_M_OTHER);
}

/* Only the first head is parsed; what follows is the next request's. */
static void test_head_consumes_exactly_one(void **state)
{
	static const char h[] = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[256];
	struct http_req r;

	(void)state;
	/* the NUL after "garbage\n" is passed too */
	snprintf(buf, sizeof(buf), "%sGET /2 HTTP/1.1\r\nHost: y\r\n\r\n"
		 "garbage\n", h);
	assert_int_equal(http_parse_head(buf, strlen(buf) + 1, &r),
			 (int)strlen(h));
	assert_span(r.target, r.target_len, "/1");
}

static void test_head_incomplete(void **state)
{
	static const char h[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_req r;
	size_t n;

	(void)state;
	for (n = 0; n < strlen(h); n++)
		assert_int_equal(http_parse_head(h, n, &r), 0);
	assert_int_equal(http_parse_head(h, n, &r), (int)n);
	/* The line is there for the log even before the end. */
	assert_int_equal(http_parse_head(h, 10, &r), 0);
	assert_span(r.line, r.line_len, "GET / HTTP");
}

static void test_head_too_big(void **state)
{
	static char big[HTTP_HEAD_MAX + 16];
	struct http_req r;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(http_parse_head(big, HTTP_HEAD_MAX, &r), 0);
	assert_int_equal(http_parse_head(big, sizeof(big), &r), -EMSGSIZE);
	/* exactly HTTP_HEAD_MAX bytes with the end: taken */
	memcpy(big, "GET / HTTP/1.0\r\nX: ", 19);
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_parse_head(big, sizeof(big), &r),
			 HTTP_HEAD_MAX);
}

static void test_head_fields_ows(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nhOsT:x\r\n"
			  "Range: \t bytes=1-2 \t\r\n"
			  "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n"
			  "X-Empty:\r\nX-Obs: caf\xc3\xa9\r\n\r\n", &r) > 0);
	assert_int_equal(r.hosts, 1);
	assert_span(r.range, r.range_len, "bytes=1-2");
	assert_span(r.ims, r.ims_len, "Mon, 01 Jan 2001 00:00:00 GMT");
}

/* http_parse_head(): versions and Host ------------------------------------ */

static void test_head_versions(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", &r), -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTP/1.2\r\n\r\n", &r), -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTP/0.9\r\n\r\n", &r), -EPROTONOSUPPORT);
	assert_int_equal(parse("GET / HTTP/1.10\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / http/1.1\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", &r),
			 -EBADMSG);
	assert_int_equal(parse("GET /\r\n\r\n", &r), -EBADMSG);
}

static void test_head_host(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
			       &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
			       &r), -EBADMSG);
	assert_true(parse("GET / HTTP/1.0\r\nHost: a\r\n\r\n", &r) > 0);
}

/* http_parse_head(): what is refused ---------------------------------------- */

static void test_head_bad_request_lines(void **state)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"HELLO\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /  HTTP/1.1\r\nHost: x\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1 junk\r\nHost: x\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET x HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a\"b HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a\\b HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a%2 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], &r) != -EBADMSG)
			fail_msg("accepted: '%s'", bad[i]);
}

static void test_head_bad_bytes(void **state)
{
	static const char nul[] = "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(http_parse_head(nul, sizeof(nul) - 1, &r), -EBADMSG);
	/* bare LF and bare CR fail as soon as they are seen */
	assert_int_equal(parse("GET / HTTP/1.1\n", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\n\n", &r),
			 -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\rHost", &r), -EBADMSG);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n", &r),
			 -EBADMSG);
	assert_int_equal(parse("\n", &r), -EBADMSG);
	/* a CR at the very end may be half of a CRLF: wait */
	assert_int_equal(parse("GET / HTTP/1.1\r", &r), 0);
}

static void test_head_bad_fields(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\tX: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX(y): a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX\xc3\xa9: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX: \x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\n"
		"Range: bytes=3-4\r\n\r\n",
	};
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], &r) != -EBADMSG)
			fail_msg("accepted: '%s'", bad[i]);
}

/* The line for the log is set even when the head is refused. */
static void test_head_line_on_error(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("BAD\x01LINE\r\n\r\n", &r), -EBADMSG);
	assert_span(r.line, r.line_len, "BAD\x01LINE");
	assert_int_equal(parse("GET /\nx", &r), -EBADMSG);
	assert_span(r.line, r.line_len, "GET /");
}

/* http_parse_head(): Connection ------------------------------------------------ */

static void test_head_connection(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close, foo"
			  "\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo,CLOSE"
			  "\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo\r\n"
			  "Connection: Close\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed"
			  "\r\n\r\n", &r) > 0);
	assert_true(r.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive, te\r\n"
			  "\r\n", &r) > 0);
	assert_true(r.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close"
			  "\r\n\r\n", &r) > 0);
	assert_false(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: cl"
			       "ose x\r\n\r\n", &r), -EBADMSG);
}

static void test_connection_list(void **state)
{
	static const struct {
		const char *v;
		int ret;
		unsigned int flags;
	} cases[] = {
		{ "close", 0, HTTP_CONN_CLOSE },
		{ "close, foo", 0, HTTP_CONN_CLOSE },
		{ " ,, close ,", 0, HTTP_CONN_CLOSE },
		{ "keep-alive", 0, HTTP_CONN_KEEP_ALIVE },
		{ "KEEP-ALIVE,close", 0, HTTP_CONN_CLOSE | HTTP_CONN_KEEP_ALIVE },
		{ "", 0, 0 },
		{ "foo", 0, 0 },
		{ "closer", 0, 0 },
		{ "clos", 0, 0 },
		{ "close;q=1", -EBADMSG, HTTP_CONN_CLOSE },
		{ "a b", -EBADMSG, 0 },
		{ "\"close\"", -EBADMSG, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int flags = 0;
		int ret = http_parse_connection(cases[i].v,
						strlen(cases[i].v), &flags);

		if (ret != cases[i].ret ||
		    (!ret && flags != cases[i].flags))
			fail_msg("'%s': %d flags %u, want %d flags %u",
				 cases[i].v, ret, flags, cases[i].ret,
				 cases[i].flags);
	}
}

/* http_parse_head(): bodies ---------------------------------------------------- */

static void test_head_content_length(void **state)
{
	struct http_req r;

	(void)state;
	assert_true(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 42"
			  "\r\n\r\n", &r) > 0);
	assert_int_equal(r.content_length, 42);
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\ncontent-length:0"
			  "\r\n\r\n", &r) > 0);
	assert_int_equal(r.content_length, 0);
	assert_true(parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: "
			  "9223372036854775807\r\n\r\n", &r) > 0);
	assert_true(r.content_length == INT64_MAX);
}

static void test_head_bad_content_length(void **state)
{
	static const char *const bad[] = {
		"Content-Length: 1\r\nContent-Length: 1",
		"Content-Length: 1\r\nContent-Length: 2",
		"Content-Length: 1, 1",
		"Content-Length: +1",
		"Content-Length: -1",
		"Content-Length: 0x10",
		"Content-Length: 1 2",
		"Content-Length:",
		"Content-Length: 9223372036854775808",
		"Content-Length: 99999999999999999999999",
	};
	char h[256];
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(h, sizeof(h), "POST / HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n",
			 bad[i]);
		if (parse(h, &r) != -EBADMSG)
			fail_msg("accepted: '%s'", bad[i]);
	}
}

static void test_head_transfer_encoding(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n", &r),
			 -ENOSYS);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n"
			       "transfer-encoding: identity\r\n\r\n", &r),
			 -ENOSYS);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\n"
			       "Content-Length: 3\r\n"
			       "Transfer-Encoding: chunked\r\n\r\n", &r),
			 -ENOSYS);
	/* a malformed head is a 400 first */
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
			       "\r\n\r\n", &r), -EBADMSG);
}

/* http_parse_range() ----------------------------------------------------------- */

static void test_range(void **state)
{
	static const struct {
		const char *v;
		uint64_t size;
		int ret;
		uint64_t from, count;
	} cases[] = {
		{ "bytes=0-0", 100, 0, 0, 1 },
		{ "bytes=10-19", 100, 0, 10, 10 },
		{ "bytes=10-", 100, 0, 10, 90 },
		{ "bytes=10-1000", 100, 0, 10, 90 },
		{ "bytes=99-", 100, 0, 99, 1 },
		{ "bytes=-10", 100, 0, 90, 10 },
		{ "bytes=-1000", 100, 0, 0, 100 },
		{ "BYTES=1-2", 100, 0, 1, 2 },
		{ "bytes=0-18446744073709551615", 100, -EINVAL, 0, 0 },
		{ "bytes=0-9223372036854775807", 100, 0, 0, 100 },
		{ "bytes=100-", 100, -ERANGE, 0, 0 },
		{ "bytes=100-200", 100, -ERANGE, 0, 0 },
		{ "bytes=-0", 100, -ERANGE, 0, 0 },
		{ "bytes=0-", 0, -ERANGE, 0, 0 },
		{ "bytes=-5", 0, -ERANGE, 0, 0 },
		{ "bytes=+1-+3", 100, -EINVAL, 0, 0 },
		{ "bytes=1-+3", 100, -EINVAL, 0, 0 },
		{ "bytes=-+3", 100, -EINVAL, 0, 0 },
		{ "bytes=--3", 100, -EINVAL, 0, 0 },
		{ "bytes= 1-3", 100, -EINVAL, 0, 0 },
		{ "bytes=1 -3", 100, -EINVAL, 0, 0 },
		{ "bytes=1-3 ", 100, -EINVAL, 0, 0 },
		{ "bytes=3-1", 100, -EINVAL, 0, 0 },
		{ "bytes=1-2-3", 100, -EINVAL, 0, 0 },
		{ "bytes=0x1-2", 100, -EINVAL, 0, 0 },
		{ "bytes=", 100, -EINVAL, 0, 0 },
		{ "bytes=-", 100, -EINVAL, 0, 0 },
		{ "bytes=5", 100, -EINVAL, 0, 0 },
		{ "bytes=99999999999999999999-", 100, -EINVAL, 0, 0 },
		{ "bytes=1-2,5-6", 100, 1, 0, 0 },
		{ "items=1-2", 100, 1, 0, 0 },
		{ "bytes", 100, 1, 0, 0 },
		{ "", 100, 1, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t from = 7777, count = 7777;
		int ret = http_parse_range(cases[i].v, strlen(cases[i].v),
					   cases[i].size, &from, &count);

		if (ret != cases[i].ret)
			fail_msg("'%s' of %llu: %d, want %d", cases[i].v,
				 (unsigned long long)cases[i].size, ret,
				 cases[i].ret);
		if (ret == 0 && (from != cases[i].from ||
				 count != cases[i].count))
			fail_msg("'%s': %llu+%llu, want %llu+%llu",
				 cases[i].v, (unsigned long long)from,
				 (unsigned long long)count,
				 (unsigned long long)cases[i].from,
				 (unsigned long long)cases[i].count);
		if (ret != 0 && (from != 7777 || count != 7777))
			fail_msg("'%s': outputs changed on failure",
				 cases[i].v);
	}
}

/* The value is taken by length: bytes after it do not count. */
static void test_range_by_length(void **state)
{
	uint64_t from = 0, count = 0;

	(void)state;
	assert_int_equal(http_parse_range("bytes=1-2junk", 9, 100, &from,
					  &count), 0);
	assert_true(from == 1 && count == 2);
}

/* http_decode_path() ----------------------------------------------------------- */

static void test_decode_path(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(http_decode_path("/a%20b?q=%00", 12, out,
					  sizeof(out)), 4);
	assert_string_equal(out, "/a b");
	assert_int_equal(http_decode_path("/%2e%2E/x", 9, out, sizeof(out)),
			 5);
	assert_string_equal(out, "/../x");
	assert_int_equal(http_decode_path("/a%00b", 6, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(http_decode_path("/a%0", 4, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(http_decode_path("/a%g0", 5, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(http_decode_path("a", 1, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(http_decode_path("", 0, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(http_decode_path("/0123456789abcde", 16, out,
					  sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(http_decode_path("/0123456789abcd", 15, out,
					  sizeof(out)), 15);
	assert_int_equal(http_decode_path("/", 1, out, 0), -ENAMETOOLONG);
}

/* http_log_escape() ------------------------------------------------------------ */

static void test_log_escape(void **state)
{
	static const char in[] = "GET /\x1b[31m\"\\\x7f\xff\r\n ok";
	char out[128];

	(void)state;
	assert_int_equal(http_log_escape(out, sizeof(out), in,
					 sizeof(in) - 1), 40);
	assert_string_equal(out, "GET /\\x1b[31m\\x22\\x5c\\x7f\\xff\\x0d"
			    "\\x0a ok");
	assert_int_equal(http_log_escape(out, sizeof(out), "a\0b", 3), 6);
	assert_string_equal(out, "a\\x00b");
	assert_int_equal(http_log_escape(out, sizeof(out), "", 0), 0);
	assert_string_equal(out, "");
}

static void test_log_escape_truncates_whole(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'z', sizeof(out));
	/* "ab\x01" needs 6 + NUL: fits in 8 */
	assert_int_equal(http_log_escape(out, sizeof(out), "ab\x01", 3), 6);
	assert_string_equal(out, "ab\\x01");
	/* "abcd\x01" would cut the escape: it is left out whole */
	assert_int_equal(http_log_escape(out, sizeof(out), "abcd\x01", 5), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(http_log_escape(out, sizeof(out), "abcdefghij", 10),
			 7);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(http_log_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	out[0] = 'q';
	assert_int_equal(http_log_escape(out, 0, "abc", 3), 0);
	assert_int_equal(out[0], 'q');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_simple_get),
		cmocka_unit_test(test_head_methods),
		cmocka_unit_test(test_head_referer_and_agent),
		cmocka_unit_test(test_head_consumes_exactly_one),
		cmocka_unit_test(test_head_incomplete),
		cmocka_unit_test(test_head_too_big),
		cmocka_unit_test(test_head_fields_ows),
		cmocka_unit_test(test_head_versions),
		cmocka_unit_test(test_head_host),
		cmocka_unit_test(test_head_bad_request_lines),
		cmocka_unit_test(test_head_bad_bytes),
		cmocka_unit_test(test_head_bad_fields),
		cmocka_unit_test(test_head_line_on_error),
		cmocka_unit_test(test_head_connection),
		cmocka_unit_test(test_connection_list),
		cmocka_unit_test(test_head_content_length),
		cmocka_unit_test(test_head_bad_content_length),
		cmocka_unit_test(test_head_transfer_encoding),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_range_by_length),
		cmocka_unit_test(test_decode_path),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_log_escape_truncates_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
