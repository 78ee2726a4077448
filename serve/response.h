/* SPDX-License-Identifier: MIT */
/*
 * response.h - the client side of HTTP/1.1 that ktls-get needs: a response
 * head, and a chunked body decoded in place.  Pure functions over bytes
 * from the network: no sockets, no globals, every length checked.
 */
#ifndef KTLS_RESPONSE_H
#define KTLS_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest response head taken, CRLFCRLF included. */
#define RESP_HEAD_MAX 16384

struct resp_head {
	int status;		/* 100-999 */
	char reason[64];	/* the reason phrase, printable ASCII, cut */
	long long length;	/* Content-Length, or -1 */
	bool chunked;		/* Transfer-Encoding: chunked */
	bool close;		/* Connection: close, or HTTP/1.0 */
};

/**
 * resp_parse_head() - parse a response head
 * @buf: the bytes received so far (need not be NUL-terminated)
 * @len: their number
 * @r: filled in on success
 *
 * The head ends at the first CRLFCRLF; the bytes after it are the body's.
 * Transfer-Encoding other than exactly "chunked", Content-Length with
 * anything but digits, two Content-Lengths that differ, or both headers
 * together are errors, as are bare CR or LF, NUL and obs-fold.
 *
 * Return: the head's length (> 0), CRLFCRLF included; 0 if no CRLFCRLF has
 * come yet and @len < RESP_HEAD_MAX; -EMSGSIZE if the head is longer than
 * that; -EBADMSG if it is not an HTTP/1.x response; -ENOTSUP for a
 * transfer coding other than chunked.
 */
int resp_parse_head(const char *buf, size_t len, struct resp_head *r);

/* A chunked body being decoded: zero it before the first call. */
struct resp_chunked {
	int state;
	unsigned int digits;	/* hex digits of the size line so far */
	uint64_t left;		/* data bytes left in this chunk */
	size_t line;		/* bytes of the current framing line */
	bool done;		/* the last chunk and trailers are read */
};

/**
 * resp_chunked_decode() - strip chunked framing, in place
 * @d: the decoder's state, carried from one call to the next
 * @buf: bytes of the body as they came; the data is moved to its start
 * @len: their number
 * @used: set to the number of bytes of @buf read: @len, or fewer once the
 *	body has ended
 *
 * Chunk extensions and trailer fields are read and dropped.  Once @d->done
 * is set, the bytes after the end are not looked at (they are not part of
 * the body); the caller should treat any as an error.
 *
 * Return: the number of data bytes now at the start of @buf (at most
 * @len), or -EBADMSG for framing that is not chunked coding (a size that is
 * not hex, over 2^60, a missing CRLF, a line over 4 KiB).
 */
ssize_t resp_chunked_decode(struct resp_chunked *d, char *buf, size_t len,
			    size_t *used);

#endif
