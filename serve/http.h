/* SPDX-License-Identifier: MIT */
/*
 * http.h - ktls-serve's HTTP/1.1 request parsing, apart from the sockets:
 * pure functions over a buffer (no I/O, no globals, no allocation), so
 * that unit tests and fuzz targets can call them.
 *
 * Every function is strict: what RFC 9110/9112 do not allow is refused,
 * not guessed at.  Pointers the parser hands back point into the caller's
 * buffer, which must outlive them.
 */
#ifndef KTLS_HTTP_H
#define KTLS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request head ktls-serve takes (431 beyond it). */
#define HTTP_HEAD_MAX 8192
/* Longest request body it reads and throws away (413 beyond it). */
#define HTTP_BODY_MAX 65536

enum http_method {
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_OTHER,			/* a valid token, not served: 405 */
};

/* What http_parse_connection() finds in a Connection field. */
#define HTTP_CONN_CLOSE		0x1
#define HTTP_CONN_KEEP_ALIVE	0x2

/**
 * struct http_req - a parsed request head
 * @line: the request line (without CRLF), for the log; set even when
 *	http_parse_head() fails, as far as the first CR or LF
 * @line_len: its length
 * @method: GET, HEAD or another method
 * @target: the request target (origin-form: "/" path ["?" query])
 * @target_len: its length
 * @minor: the HTTP/1.x minor version, 0 or 1
 * @keep_alive: whether the connection stays open after the answer
 *	(HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive")
 * @hosts: how many Host fields there were
 * @content_length: the Content-Length value (0 when absent)
 * @range: the Range value, or NULL
 * @range_len: its length
 * @ims: the If-Modified-Since value, or NULL
 * @ims_len: its length
 * @referer: the (first) Referer value, or NULL, for the log
 * @referer_len: its length
 * @agent: the (first) User-Agent value, or NULL, for the log
 * @agent_len: its length
 */
struct http_req {
	const char *line;
	size_t line_len;
	enum http_method method;
	const char *target;
	size_t target_len;
	int minor;
	bool keep_alive;
	unsigned int hosts;
	uint64_t content_length;
	const char *range;
	size_t range_len;
	const char *ims;
	size_t ims_len;
	const char *referer;
	size_t referer_len;
	const char *agent;
	size_t agent_len;
};

/* Character classes and hex digits, for this parser and ktls-get's
 * (response.c): tchar (RFC 9110 5.6.2); a field value's byte (VCHAR,
 * obs-text, SP, HTAB: RFC 9110 5.5); a hex digit's value, or -1. */
bool http_is_tchar(unsigned char ch);
bool http_is_value_char(unsigned char ch);
int http_hex_value(unsigned char ch);

/**
 * http_parse_head() - parse one request head
 * @buf: the bytes received so far
 * @len: how many
 * @req: filled in
 *
 * Parses the bytes up to and including the first CRLFCRLF; what follows
 * belongs to the request's body or to the next pipelined request and is
 * not looked at.  Accepted: "METHOD SP origin-form SP HTTP/1.0|HTTP/1.1
 * CRLF", then fields "token ':' OWS value OWS CRLF".  Refused: a bare CR
 * or LF, NUL or another control byte, obs-fold, whitespace before a
 * colon, a field name that is not a token, a Content-Length that is not
 * all digits, overflows, or appears twice, Range twice, Host twice, no
 * Host in HTTP/1.1, a Connection element that is not a token.
 *
 * Return: the number of bytes the head took (> 0); 0 when no whole head
 * is in @buf yet and nothing seen so far is wrong; -EBADMSG for a
 * malformed head (400); -EMSGSIZE when the first HTTP_HEAD_MAX bytes hold
 * no end (431); -EPROTONOSUPPORT for an HTTP version other than
 * 1.0 and 1.1 (505); -ENOSYS when a Transfer-Encoding field is present
 * (501): the head is otherwise valid, but its body cannot be framed.
 */
int http_parse_head(const char *buf, size_t len, struct http_req *req);

/**
 * http_parse_connection() - read a Connection field as a token list
 * @v: the field value (OWS trimmed or not)
 * @len: its length
 * @flags: HTTP_CONN_CLOSE and HTTP_CONN_KEEP_ALIVE are or-ed in for the
 *	elements that name them, compared without case
 *
 * Elements are separated by commas with optional whitespace; empty
 * elements are allowed ("close, , foo").
 *
 * Return: 0, or -EBADMSG when an element is not a token.
 */
int http_parse_connection(const char *v, size_t len, unsigned int *flags);

/**
 * http_parse_range() - one byte range against a representation's size
 * @v: the Range value
 * @len: its length
 * @size: the file's size
 * @from: the first byte, on success
 * @count: how many bytes, on success (at least 1)
 *
 * "bytes=N-M", "bytes=N-" and "bytes=-N" (the unit without case);
 * positions are digits only, with no sign or whitespace, and must fit in
 * 63 bits.  The last position is clamped to the end of the file.
 *
 * Return: 0 with the range; 1 when the header is to be ignored because it
 * names another unit or several ranges (the whole file is served);
 * -EINVAL when it is malformed (ignored too); -ERANGE when it cannot be
 * satisfied (416): the first position at or past the end, a suffix of 0,
 * an empty file.
 */
int http_parse_range(const char *v, size_t len, uint64_t size,
		     uint64_t *from, uint64_t *count);

/**
 * http_decode_path() - percent-decode the path of a request target
 * @target: the target (starts with '/')
 * @len: its length
 * @out: the decoded path, NUL-terminated
 * @size: the size of @out
 *
 * The query ("?...") is cut off.  A bad escape and %00 are refused.
 *
 * Return: the decoded length, -EBADMSG for a bad escape, %00 or a target
 * that does not start with '/', -ENAMETOOLONG when @out is too small.
 */
int http_decode_path(const char *target, size_t len, char *out,
		     size_t size);

/**
 * http_log_escape() - make bytes safe for a one-line access log
 * @out: the escaped text, always NUL-terminated (when @size > 0)
 * @size: the size of @out
 * @in: the bytes
 * @len: how many
 *
 * Control bytes, DEL, bytes over 0x7f, '"' and '\\' become "\xHH"; the
 * rest is copied.  Output that does not fit is cut at a whole byte's
 * escape, never in the middle of one.
 *
 * Return: the length written to @out, without the NUL.
 */
size_t http_log_escape(char *out, size_t size, const char *in, size_t len);

#endif /* KTLS_HTTP_H */
