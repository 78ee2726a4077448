// SPDX-License-Identifier: MIT
/*
 * http.c - ktls-serve's request parsing (see http.h): a request head, a
 * Connection list, a byte range, a target's path, and escaping for the
 * log.  Nothing here reads a socket or keeps state between calls.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http.h"

bool http_is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch && strchr("!#$%&'*+-.^_`|~", ch);
}

static bool is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

int http_hex_value(unsigned char ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* RFC 3986 pchar, '/' and '?': what an origin-form target may hold
 * ('%' is checked as an escape by the caller). */
static bool is_target_char(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    is_digit(ch))
		return true;
	return ch && strchr("-._~!$&'()*+,;=:@/?%", ch);
}

bool http_is_value_char(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || (ch > 0x20 && ch != 0x7f);
}

/* Digits only, into a value of at most INT64_MAX; -EINVAL otherwise. */
static int parse_u63(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -EINVAL;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * The end of the head (the index just past CRLFCRLF), 0 when it has not
 * arrived, -EBADMSG as soon as a NUL, a bare LF or a bare CR shows,
 * -EMSGSIZE when HTTP_HEAD_MAX bytes hold no end.
 */
static long find_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i == HTTP_HEAD_MAX)
			return -EMSGSIZE;
		char ch = buf[i];

		if (ch == '\0')
			return -EBADMSG;
		if (ch == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return -EBADMSG;
		if (ch == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return -EBADMSG;
		if (ch == '\n' && i >= 3 && buf[i - 2] == '\n')
			return (long)(i + 1);
	}
	return 0;
}

static int parse_version(const char *v, size_t len, int *minor)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) || !is_digit((unsigned char)v[5])
	    || v[6] != '.' || !is_digit((unsigned char)v[7]))
		return -EBADMSG;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return -EPROTONOSUPPORT;
	*minor = v[7] - '0';
	return 0;
}

static int parse_target(const char *t, size_t len)
{
	size_t i;

	if (!len || t[0] != '/')
		return -EBADMSG;
	for (i = 0; i < len; i++) {
		if (!is_target_char((unsigned char)t[i]))
			return -EBADMSG;
		if (t[i] == '%' && (i + 2 >= len ||
				    http_hex_value((unsigned char)t[i + 1]) < 0 ||
				    http_hex_value((unsigned char)t[i + 2]) < 0))
			return -EBADMSG;
	}
	return 0;
}

/* "METHOD SP target SP version", @len bytes without the CRLF. */
static int parse_request_line(const char *l, size_t len, struct http_req *req)
{
	const char *sp1 = memchr(l, ' ', len), *sp2, *end = l + len;
	size_t i, mlen;

	if (!sp1)
		return -EBADMSG;
	mlen = (size_t)(sp1 - l);
	if (!mlen)
		return -EBADMSG;
	for (i = 0; i < mlen; i++)
		if (!http_is_tchar((unsigned char)l[i]))
			return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2)
		return -EBADMSG;
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - sp1 - 1);
	if (parse_target(req->target, req->target_len) < 0)
		return -EBADMSG;
	if (mlen == 3 && !memcmp(l, "GET", 3))
		req->method = HTTP_M_GET;
	else if (mlen == 4 && !memcmp(l, "HEAD", 4))
		req->method = HTTP_M_HEAD;
	else
		req->method = HTTP_M_OTHER;
	return parse_version(sp2 + 1, (size_t)(end - sp2 - 1), &req->minor);
}

int http_parse_connection(const char *v, size_t len, unsigned int *flags)
{
	size_t i = 0;

	while (i < len) {
		size_t start, n;

		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		start = i;
		while (i < len && http_is_tchar((unsigned char)v[i]))
			i++;
		n = i - start;
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < len && v[i] != ',')
			return -EBADMSG;
		i++;			/* the comma */
		if (n == 5 && !strncasecmp(v + start, "close", 5))
			*flags |= HTTP_CONN_CLOSE;
		else if (n == 10 && !strncasecmp(v + start, "keep-alive", 10))
			*flags |= HTTP_CONN_KEEP_ALIVE;
	}
	return 0;
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

/* What the head's fields add up to, as they are read. */
struct fields {
	unsigned int conn;
	unsigned int content_lengths;
	bool te;
};

/* One field line "name: value", @len bytes without the CRLF. */
static int parse_field(const char *l, size_t len, struct http_req *req,
		       struct fields *f)
{
	const char *colon = memchr(l, ':', len), *v;
	size_t nlen, vlen, i;

	if (!colon || colon == l)
		return -EBADMSG;	/* also obs-fold: no name */
	nlen = (size_t)(colon - l);
	for (i = 0; i < nlen; i++)
		if (!http_is_tchar((unsigned char)l[i]))
			return -EBADMSG;	/* whitespace before ':' too */
	v = colon + 1;
	vlen = len - nlen - 1;
	for (i = 0; i < vlen; i++)
		if (!http_is_value_char((unsigned char)v[i]))
			return -EBADMSG;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(l, nlen, "Host")) {
		req->hosts++;
	} else if (name_is(l, nlen, "Connection")) {
		return http_parse_connection(v, vlen, &f->conn);
	} else if (name_is(l, nlen, "Content-Length")) {
		if (f->content_lengths++)
			return -EBADMSG;
		return parse_u63(v, vlen, &req->content_length) < 0 ?
		       -EBADMSG : 0;
	} else if (name_is(l, nlen, "Transfer-Encoding")) {
		f->te = true;
	} else if (name_is(l, nlen, "Range")) {
		if (req->range)
			return -EBADMSG;
		req->range = v;
		req->range_len = vlen;
	} else if (name_is(l, nlen, "If-Modified-Since") && !req->ims) {
		req->ims = v;
		req->ims_len = vlen;
	} else if (name_is(l, nlen, "Referer") && !req->referer) {
		req->referer = v;
		req->referer_len = vlen;
	} else if (name_is(l, nlen, "User-Agent") && !req->agent) {
		req->agent = v;
		req->agent_len = vlen;
	}
	return 0;
}

/* The first line, for the log: as far as the first CR or LF. */
static void set_line(const char *buf, size_t len, struct http_req *req)
{
	size_t n = 0;

	while (n < len && buf[n] != '\r' && buf[n] != '\n')
		n++;
	req->line = buf;
	req->line_len = n;
}

int http_parse_head(const char *buf, size_t len, struct http_req *req)
{
	struct fields f = { 0 };
	const char *p, *end, *eol;
	long hlen;
	int ret;

	memset(req, 0, sizeof(*req));
	set_line(buf, len, req);
	hlen = find_end(buf, len);
	if (hlen <= 0)
		return (int)hlen;
	end = buf + hlen - 2;		/* the last CRLF */
	eol = memchr(buf, '\r', (size_t)(end - buf));
	ret = parse_request_line(buf, (size_t)(eol - buf), req);
	if (ret < 0)
		return ret;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p));
		ret = parse_field(p, (size_t)(eol - p), req, &f);
		if (ret < 0)
			return ret;
	}
	if (req->hosts > 1 || (req->minor == 1 && !req->hosts))
		return -EBADMSG;
	if (f.te)
		return -ENOSYS;
	req->keep_alive = !(f.conn & HTTP_CONN_CLOSE) &&
			  (req->minor == 1 || (f.conn & HTTP_CONN_KEEP_ALIVE));
	return (int)hlen;
}

int http_parse_range(const char *v, size_t len, uint64_t size,
		     uint64_t *from, uint64_t *count)
{
	const char *dash;
	uint64_t a, b;

	if (len < 6 || strncasecmp(v, "bytes=", 6))
		return 1;
	v += 6;
	len -= 6;
	if (memchr(v, ',', len))
		return 1;
	dash = memchr(v, '-', len);
	if (!dash)
		return -EINVAL;
	if (dash == v) {		/* a suffix: the last N bytes */
		if (parse_u63(v + 1, len - 1, &b) < 0)
			return -EINVAL;
		if (!b || !size)
			return -ERANGE;
		*count = b < size ? b : size;
		*from = size - *count;
		return 0;
	}
	if (parse_u63(v, (size_t)(dash - v), &a) < 0)
		return -EINVAL;
	b = UINT64_MAX;
	if (dash + 1 < v + len &&
	    (parse_u63(dash + 1, (size_t)(v + len - dash - 1), &b) < 0 ||
	     b < a))
		return -EINVAL;
	if (a >= size)
		return -ERANGE;
	if (b >= size)
		b = size - 1;
	*from = a;
	*count = b - a + 1;
	return 0;
}

int http_decode_path(const char *target, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	if (!len || target[0] != '/')
		return -EBADMSG;
	if (!size)
		return -ENAMETOOLONG;
	for (i = 0; i < len && target[i] != '?'; i++) {
		int ch = (unsigned char)target[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EBADMSG;
			hi = http_hex_value((unsigned char)target[i + 1]);
			lo = http_hex_value((unsigned char)target[i + 2]);
			if (hi < 0 || lo < 0 || (!hi && !lo))
				return -EBADMSG;
			ch = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (int)o;
}

size_t http_log_escape(char *out, size_t size, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (!size)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			if (o + 1 >= size)
				break;
			out[o++] = (char)ch;
			continue;
		}
		if (o + 4 >= size)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 0xf];
	}
	out[o] = '\0';
	return o;
}
