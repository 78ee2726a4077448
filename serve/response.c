// SPDX-License-Identifier: MIT
/*
 * response.c - an HTTP/1.1 response head, and chunked bodies decoded in
 * place (RFC 9112 sections 4, 6 and 7.1), for ktls-get.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "response.h"

/* The longest chunk-size or trailer line taken. */
#define LINE_MAX_ 4096

/* The field value of a header line, without surrounding whitespace. */
static void trim(const char **v, const char **end)
{
	while (*v < *end && (**v == ' ' || **v == '\t'))
		(*v)++;
	while (*end > *v && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
		(*end)--;
}

static bool value_is(const char *v, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - v) == n && !strncasecmp(v, word, n);
}

/* Content-Length: 1*DIGIT, up to 2^62. */
static int parse_length(const char *v, const char *end, long long *out)
{
	long long n = 0;

	if (v == end)
		return -EBADMSG;
	for (; v < end; v++) {
		if (*v < '0' || *v > '9' || n > (1LL << 62) / 10)
			return -EBADMSG;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return 0;
}

/* Whether the token list @v..@end holds @word (Connection: a, close). */
static bool list_has(const char *v, const char *end, const char *word)
{
	const char *t, *e;

	while (v < end) {
		t = v;
		while (v < end && *v != ',')
			v++;
		e = v;
		trim(&t, &e);
		if (value_is(t, e, word))
			return true;
		if (v < end)
			v++;
	}
	return false;
}

static int field(const char *line, const char *end, struct resp_head *r,
		 bool *te)
{
	const char *colon = line, *v;
	long long n;

	while (colon < end && http_is_tchar((unsigned char)*colon))
		colon++;
	if (colon == line || colon == end || *colon != ':')
		return -EBADMSG;
	for (v = colon + 1; v < end; v++)
		if (!http_is_value_char((unsigned char)*v))
			return -EBADMSG;
	v = colon + 1;
	trim(&v, &end);
#define NAME_IS(s) ((size_t)(colon - line) == sizeof(s) - 1 && \
		    !strncasecmp(line, s, sizeof(s) - 1))
	if (NAME_IS("Content-Length")) {
		if (parse_length(v, end, &n) < 0 ||
		    (r->length >= 0 && r->length != n))
			return -EBADMSG;
		r->length = n;
	} else if (NAME_IS("Transfer-Encoding")) {
		if (*te || !value_is(v, end, "chunked"))
			return -ENOTSUP;
		*te = true;
	} else if (NAME_IS("Connection")) {
		if (list_has(v, end, "close"))
			r->close = true;
	}
#undef NAME_IS
	return 0;
}

/* "HTTP/1.x SP 3DIGIT SP reason" */
static int status_line(const char *p, const char *end, struct resp_head *r)
{
	size_t n;

	if (end - p < 12 || memcmp(p, "HTTP/1.", 7) || p[7] < '0' ||
	    p[7] > '9' || p[8] != ' ' || p[9] < '1' || p[9] > '9' ||
	    p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
	    (end - p > 12 && p[12] != ' '))
		return -EBADMSG;
	r->close = p[7] == '0';
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	p += end - p > 12 ? 13 : 12;
	for (n = 0; p < end; p++) {
		if (!http_is_value_char((unsigned char)*p))
			return -EBADMSG;
		if (n + 1 < sizeof(r->reason))
			r->reason[n++] = (unsigned char)*p < 0x7f ? *p : '?';
	}
	r->reason[n] = '\0';
	return 0;
}

int resp_parse_head(const char *buf, size_t len, struct resp_head *r)
{
	const char *p = buf, *end = NULL, *eol;
	bool te = false;
	size_t i;
	int ret;

	for (i = 0; i + 3 < len && i + 3 < RESP_HEAD_MAX; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i + 2;	/* after the last line's CRLF */
			break;
		}
	if (!end)
		return len >= RESP_HEAD_MAX ? -EMSGSIZE : 0;
	memset(r, 0, sizeof(*r));
	r->length = -1;
	for (; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (!eol || eol[1] != '\n' || memchr(p, '\n', (size_t)(eol - p)))
			return -EBADMSG;
		if (p == buf)
			ret = status_line(p, eol, r);
		else if (*p == ' ' || *p == '\t')
			ret = -EBADMSG;		/* obs-fold */
		else
			ret = field(p, eol, r, &te);
		if (ret < 0)
			return ret;
	}
	if (te && r->length >= 0)
		return -EBADMSG;
	r->chunked = te;
	return (int)(end - buf) + 2;
}

enum {
	C_SIZE, C_EXT, C_SIZE_LF, C_DATA, C_DATA_CR, C_DATA_LF, C_TRAILER,
	C_TRAILER_LINE, C_TRAILER_LF, C_END_LF,
};

/* One byte of framing. */
static int frame_byte(struct resp_chunked *d, char c)
{
	int h;

	if (++d->line > LINE_MAX_)
		return -EBADMSG;
	switch (d->state) {
	case C_SIZE:
		h = http_hex_value((unsigned char)c);
		if (h >= 0) {
			if (d->left > ((uint64_t)1 << 60) >> 4)
				return -EBADMSG;
			d->left = d->left << 4 | (uint64_t)h;
			d->digits++;
			return 0;
		}
		if (!d->digits)
			return -EBADMSG;
		if (c == '\r')
			d->state = C_SIZE_LF;
		else if (c == ';' || c == ' ' || c == '\t')
			d->state = C_EXT;
		else
			return -EBADMSG;
		return 0;
	case C_EXT:
		if (c == '\r')
			d->state = C_SIZE_LF;
		else if (!http_is_value_char((unsigned char)c))
			return -EBADMSG;
		return 0;
	case C_SIZE_LF:
		if (c != '\n')
			return -EBADMSG;
		d->line = 0;
		d->state = d->left ? C_DATA : C_TRAILER;
		return 0;
	case C_DATA_CR:
		if (c != '\r')
			return -EBADMSG;
		d->state = C_DATA_LF;
		return 0;
	case C_DATA_LF:
		if (c != '\n')
			return -EBADMSG;
		d->state = C_SIZE;
		d->digits = 0;
		d->line = 0;
		return 0;
	case C_TRAILER:
		d->state = c == '\r' ? C_END_LF : C_TRAILER_LINE;
		return c == '\r' || http_is_tchar((unsigned char)c) ? 0 : -EBADMSG;
	case C_TRAILER_LINE:
		if (c == '\r')
			d->state = C_TRAILER_LF;
		else if (!http_is_value_char((unsigned char)c))
			return -EBADMSG;
		return 0;
	case C_TRAILER_LF:
		if (c != '\n')
			return -EBADMSG;
		d->line = 0;
		d->state = C_TRAILER;
		return 0;
	case C_END_LF:
		if (c != '\n')
			return -EBADMSG;
		d->done = true;
		return 0;
	}
	return -EBADMSG;
}

ssize_t resp_chunked_decode(struct resp_chunked *d, char *buf, size_t len,
			    size_t *used)
{
	size_t i = 0, o = 0, n;

	while (i < len && !d->done) {
		if (d->state == C_DATA) {
			n = len - i;
			if (n > d->left)
				n = (size_t)d->left;
			memmove(buf + o, buf + i, n);
			o += n;
			i += n;
			d->left -= n;
			if (!d->left)
				d->state = C_DATA_CR;
			continue;
		}
		if (frame_byte(d, buf[i++]) < 0)
			return -EBADMSG;
	}
	*used = i;
	return (ssize_t)o;
}
