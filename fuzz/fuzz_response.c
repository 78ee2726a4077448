// SPDX-License-Identifier: MIT
/*
 * fuzz_response.c - ktls-get's reading of a server's bytes
 * (serve/response.c): the response head, then a chunked body.
 *
 * Input: one byte that picks the piece size (1-256) the body is fed in,
 * then the bytes as a server would send them.
 * Oracles: a head that parses has a status of 100-999, a printable reason,
 * a length of -1 or more, and never both a length and chunked; a chunked
 * body decoded in pieces gives the same bytes and the same verdict as
 * decoded whole, never more data than went in, and never reads past the
 * end once done.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode @len bytes in pieces of @step: the data goes to @out. */
static ssize_t decode(const char *in, size_t len, size_t step, char *out,
		      size_t *used_all)
{
	struct resp_chunked d = { 0 };
	size_t at = 0, o = 0, n, used;
	char *piece = malloc(step);
	ssize_t r = 0;

	if (!piece)
		abort();
	while (at < len && !d.done) {
		n = len - at < step ? len - at : step;
		memcpy(piece, in + at, n);
		r = resp_chunked_decode(&d, piece, n, &used);
		if (r < 0)
			break;
		if ((size_t)r > n || used > n || (used < n && !d.done))
			abort();
		memcpy(out + o, piece, (size_t)r);
		o += (size_t)r;
		at += used;
	}
	free(piece);
	*used_all = at;
	return r < 0 ? r : (ssize_t)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_head h;
	const char *in = (const char *)data + 1;
	size_t len, step, used1, used2, i;
	char *out1, *out2;
	ssize_t r1, r2;
	int ret;

	if (size < 1)
		return 0;
	step = (size_t)data[0] + 1;
	len = size - 1;
	ret = resp_parse_head(in, len, &h);
	if (ret > 0) {
		if ((size_t)ret > len || h.status < 100 || h.status > 999 ||
		    h.length < -1 || (h.chunked && h.length >= 0))
			abort();
		for (i = 0; h.reason[i]; i++)
			if ((unsigned char)h.reason[i] < 0x20 ||
			    (unsigned char)h.reason[i] >= 0x7f)
				if (h.reason[i] != '\t')
					abort();
	} else if (ret != 0 && ret != -EBADMSG && ret != -EMSGSIZE &&
		   ret != -ENOTSUP) {
		abort();
	}
	/* The body: all the bytes, as if the head had said chunked. */
	out1 = malloc(len + 1);
	out2 = malloc(len + 1);
	if (!out1 || !out2)
		abort();
	r1 = decode(in, len, len ? len : 1, out1, &used1);
	r2 = decode(in, len, step, out2, &used2);
	if ((r1 < 0) != (r2 < 0))
		abort();
	if (r1 >= 0 && (r1 != r2 || used1 != used2 ||
			memcmp(out1, out2, (size_t)r1)))
		abort();
	free(out1);
	free(out2);
	return 0;
}
