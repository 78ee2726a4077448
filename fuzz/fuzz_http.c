// SPDX-License-Identifier: MIT
/*
 * fuzz_http.c - ktls-serve's request parsing (serve/http.c): what
 * any client on the network sends it.
 *
 * Input: the bytes of a request head (and whatever follows it).
 * Oracles: a head that parses took no more bytes than it was given, ends
 * in CRLFCRLF, and everything it points to lies inside the input; the
 * same head parses the same way when more bytes follow it; a head that
 * is incomplete stays so on a shorter prefix; the Range, Connection and
 * path helpers, run on the fields found, stay inside their buffers and
 * give ranges inside the file; the log escape writes only printable
 * ASCII.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, size_t n, const char *buf, size_t len)
{
	if (n && (p < buf || p + n > buf + len))
		abort();
}

static void check_range(const struct http_req *r)
{
	static const uint64_t sizes[] = { 0, 1, 100, (uint64_t)1 << 40 };
	uint64_t from, count;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ret = http_parse_range(r->range, r->range_len, sizes[i], &from,
				       &count);
		if (ret == 0 && (count == 0 || from >= sizes[i] ||
				 count > sizes[i] - from))
			abort();
		if (ret != 0 && ret != 1 && ret != -EINVAL && ret != -ERANGE)
			abort();
	}
}

static void check_escape(const char *in, size_t len)
{
	char out[256];
	size_t n = http_log_escape(out, sizeof(out), in, len), i;

	if (n >= sizeof(out) || out[n] != '\0')
		abort();
	for (i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e || out[i] == '"')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_req r, r2;
	char path[512];
	unsigned int flags = 0;
	int ret, ret2;

	memset(&r, 0, sizeof(r));
	ret = http_parse_head(buf, size, &r);
	inside(r.line, r.line_len, buf, size);
	check_escape(r.line ? r.line : "", r.line ? r.line_len : 0);
	if (ret == 0) {
		/* Incomplete: a shorter prefix is incomplete or wrong too. */
		if (size > 0 && http_parse_head(buf, size - 1, &r2) > 0)
			abort();
		return 0;
	}
	if (ret < 0) {
		if (ret != -EBADMSG && ret != -EMSGSIZE &&
		    ret != -EPROTONOSUPPORT && ret != -ENOSYS)
			abort();
		return 0;
	}
	if ((size_t)ret > size || ret < 4 || memcmp(buf + ret - 4,
						      "\r\n\r\n", 4))
		abort();
	inside(r.target, r.target_len, buf, size);
	inside(r.range, r.range_len, buf, size);
	inside(r.ims, r.ims_len, buf, size);
	if (r.minor != 0 && r.minor != 1)
		abort();
	/* The head alone parses the same. */
	ret2 = http_parse_head(buf, (size_t)ret, &r2);
	if (ret2 != ret || r2.method != r.method ||
	    r2.target_len != r.target_len || r2.keep_alive != r.keep_alive ||
	    r2.content_length != r.content_length)
		abort();
	if (r.range)
		check_range(&r);
	ret2 = http_decode_path(r.target, r.target_len, path, sizeof(path));
	if (ret2 >= 0 && ((size_t)ret2 >= sizeof(path) || path[ret2] ||
			  memchr(path, '\0', (size_t)ret2)))
		abort();
	(void)http_parse_connection(r.target, r.target_len, &flags);
	return 0;
}
