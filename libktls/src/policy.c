// SPDX-License-Identifier: MIT
/*
 * policy.c - what libktls allows: TLS 1.2 and 1.3 with the AEAD ciphers the
 * kernel offloads, nothing else.  Every refusal says why, in words a user
 * can act on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ktls_int.h"

/* The table's default order: each cipher's default_rank, 1 first. */
void ktls_opts_default(struct ktls_opts *o)
{
	const struct ktls_cipher_desc *d;
	unsigned int rank;
	enum ktls_cipher c;

	memset(o, 0, sizeof(*o));
	o->version_min = KTLS_TLS_1_2;
	o->version_max = KTLS_TLS_1_3;
	o->verify = KTLS_VERIFY_DEFAULT;
	o->verify_depth = 9;
	o->tickets = true;
	o->post_handshake = true;
	for (rank = 1; rank <= KTLS_CIPHER_MAX; rank++) {
		for (c = 1; c <= KTLS_CIPHER_MAX; c++) {
			d = ktls_cipher_desc(c);
			if (d && d->default_rank == rank)
				o->ciphers[o->n_ciphers++] = c;
		}
	}
}

/*
 * Names that are refused, matched as substrings of the upper-cased token,
 * first match wins.  3DES comes before DES so the reason names the right
 * one.
 */
static const struct {
	const char *pattern;
	const char *why;
} refused[] = {
	{ "SSLV2", "SSL 2.0 is refused by policy (broken: RFC 6176)" },
	{ "SSLV3", "SSL 3.0 is refused by policy (broken: RFC 7568)" },
	{ "PSK", "TLS 1.2 PSK suites are refused by policy (RFC 4279: the "
		 "identity in clear, no forward secrecy with plain PSK); for "
		 "a TLS 1.3 PSK see ktls_conn_set_psk()" },
	{ "ANULL", "anonymous suites are refused by policy (no authentication)" },
	{ "RC4", "RC4 is refused by policy (broken: RFC 7465)" },
	{ "3DES", "3DES is refused by policy (64-bit blocks: Sweet32)" },
	{ "DES-CBC3", "3DES is refused by policy (64-bit blocks: Sweet32)" },
	{ "DES", "DES is refused by policy (56-bit keys)" },
	{ "EXP", "export suites are refused by policy (deliberately weak)" },
	{ "NULL", "NULL suites are refused by policy (no encryption)" },
	{ "FORTEZZA", "FORTEZZA suites are refused by policy (obsolete)" },
	{ "FZA", "FORTEZZA suites are refused by policy (obsolete)" },
	{ "ANON", "anonymous suites are refused by policy (no authentication)" },
	{ "ADH", "anonymous suites are refused by policy (no authentication)" },
	{ "AECDH", "anonymous suites are refused by policy (no authentication)" },
	{ "MD5", "MD5 suites are refused by policy (broken hash)" },
	{ "IDEA", "IDEA is refused by policy (64-bit blocks)" },
	{ "CBC", "CBC suites are refused by policy: only AEAD ciphers are "
		 "allowed (and only they can be offloaded to the kernel)" },
	{ "CAMELLIA", "Camellia suites are refused by policy: only AEAD "
		      "ciphers the kernel can offload are allowed" },
	{ "ARIA", "ARIA suites are refused by policy: only AEAD ciphers "
		  "the kernel can offload are allowed" },
	{ "SEED", "SEED suites are refused by policy: only AEAD ciphers "
		  "the kernel can offload are allowed" },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "use A, B, C or D": the names of the table, for a refusal. */
static void known_ciphers(char *buf, size_t size)
{
	const struct ktls_cipher_desc *d;
	enum ktls_cipher c;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (c = 1; c <= KTLS_CIPHER_MAX && used < size; c++) {
		d = ktls_cipher_desc(c);
		if (!d)
			continue;
		n = snprintf(buf + used, size - used, "%s%s",
			     c == 1 ? "" : c == KTLS_CIPHER_MAX ? " or " : ", ",
			     d->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/*
 * OpenSSL names CBC suites without saying so: "AES128-SHA",
 * "ECDHE-RSA-AES256-SHA384".  A name with a block cipher and a -SHA* MAC
 * but no AEAD mode is one of them.
 */
static bool is_cbc_name(const char *upper)
{
	const char *sha = strstr(upper, "-SHA");

	if (!sha || (!strstr(upper, "AES") && !strstr(upper, "CAMELLIA")))
		return false;
	return !strstr(upper, "GCM") && !strstr(upper, "CCM") &&
	       !strstr(upper, "POLY1305");
}

static void set_why(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!why || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/*
 * Parse a cipher list (names separated by ':' or ',') into @out, in order,
 * duplicates dropped.  On failure @out is untouched and @why says which
 * name and why.
 *
 * Return: 0; -EPROTONOSUPPORT for an insecure name; -EINVAL for an unknown
 * name, a name longer than 63 bytes, or a list with no name.
 */
int ktls_policy_parse_ciphers(const char *list, enum ktls_cipher *out,
			      uint8_t *n_out, char *why, size_t why_size)
{
	enum ktls_cipher got[KTLS_CIPHER_MAX];
	uint8_t n = 0;
	const char *p = list;

	if (!list) {
		set_why(why, why_size, "no cipher list given");
		return -EINVAL;
	}
	while (*p) {
		char tok[64], upper[64], known[128];
		const struct ktls_cipher_desc *d;
		enum ktls_cipher c;
		size_t len = strcspn(p, ":,");
		size_t i;
		bool dup = false;

		if (len == 0) {
			p++;
			continue;
		}
		/* OpenSSL-style exclusions ("!RC4", "-MD5") name what policy
		 * already excludes: nothing to do. */
		if (*p == '!' || *p == '-') {
			p += len;
			continue;
		}
		if (len >= sizeof(tok)) {
			set_why(why, why_size, "cipher name too long: '%.*s...'",
				20, p);
			return -EINVAL;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		p += len;

		d = ktls_cipher_by_name(tok);
		if (d) {
			c = d->cipher;
			for (i = 0; i < n; i++)
				dup |= got[i] == c;
			if (!dup)
				got[n++] = c;
			continue;
		}
		for (i = 0; i <= len; i++)
			upper[i] = (char)toupper((unsigned char)tok[i]);
		for (i = 0; i < ARRAY_SIZE(refused); i++) {
			if (strstr(upper, refused[i].pattern)) {
				set_why(why, why_size, "'%s': %s", tok,
					refused[i].why);
				return -EPROTONOSUPPORT;
			}
		}
		if (is_cbc_name(upper)) {
			set_why(why, why_size, "'%s': CBC suites are refused by "
				"policy: only AEAD ciphers are allowed (and only "
				"they can be offloaded to the kernel)", tok);
			return -EPROTONOSUPPORT;
		}
		known_ciphers(known, sizeof(known));
		set_why(why, why_size,
			"'%s' is not a cipher libktls knows; use %s", tok,
			known);
		return -EINVAL;
	}
	if (n == 0) {
		set_why(why, why_size, "the cipher list names no cipher");
		return -EINVAL;
	}
	memcpy(out, got, n * sizeof(got[0]));
	*n_out = n;
	return 0;
}

static int check_version(long v, char *why, size_t why_size)
{
	switch (v) {
	case KTLS_TLS_1_2:
	case KTLS_TLS_1_3:
		return 0;
	case 0x0002:
		set_why(why, why_size,
			"SSL 2.0 is refused by policy (broken: RFC 6176)");
		return -EPROTONOSUPPORT;
	case 0x0300:
		set_why(why, why_size,
			"SSL 3.0 is refused by policy (broken: RFC 7568)");
		return -EPROTONOSUPPORT;
	case 0x0301:
	case 0x0302:
		set_why(why, why_size,
			"TLS 1.%ld is refused by policy (deprecated: RFC 8996)",
			v - 0x0301);
		return -EPROTONOSUPPORT;
	default:
		set_why(why, why_size,
			"%#lx is not a TLS version; use KTLS_TLS_1_2 or "
			"KTLS_TLS_1_3", (unsigned long)v);
		return -EINVAL;
	}
}

static int check_bool(long value, char *why, size_t why_size)
{
	if (value == 0 || value == 1)
		return 0;
	set_why(why, why_size, "a yes/no option takes 0 or 1, not %ld", value);
	return -EINVAL;
}

/*
 * Apply one option to @o.  @o is unchanged on failure, with @why saying
 * what was wrong.
 */
int ktls_policy_set_opt(struct ktls_opts *o, enum ktls_opt opt, long value,
			char *why, size_t why_size)
{
	int ret;

	switch (opt) {
	case KTLS_OPT_VERSION_MIN:
	case KTLS_OPT_VERSION_MAX:
		ret = check_version(value, why, why_size);
		if (ret < 0)
			return ret;
		if (opt == KTLS_OPT_VERSION_MIN)
			o->version_min = (uint16_t)value;
		else
			o->version_max = (uint16_t)value;
		return 0;
	case KTLS_OPT_VERIFY:
		if (value < KTLS_VERIFY_DEFAULT ||
		    value > KTLS_VERIFY_NONE_INSECURE) {
			set_why(why, why_size, "%ld is not a verify mode",
				value);
			return -EINVAL;
		}
		o->verify = (uint8_t)value;
		return 0;
	case KTLS_OPT_VERIFY_DEPTH:
		if (value < 1 || value > 16) {
			set_why(why, why_size,
				"verify depth must be 1 to 16, not %ld", value);
			return -EINVAL;
		}
		o->verify_depth = (uint8_t)value;
		return 0;
	case KTLS_OPT_CRL_CHECK:
	case KTLS_OPT_SESSION_TICKETS:
	case KTLS_OPT_FORCE_SOFTWARE:
	case KTLS_OPT_REQUIRE_OFFLOAD:
	case KTLS_OPT_POST_HANDSHAKE:
		ret = check_bool(value, why, why_size);
		if (ret < 0)
			return ret;
		if (opt == KTLS_OPT_CRL_CHECK)
			o->crl_check = value;
		else if (opt == KTLS_OPT_SESSION_TICKETS)
			o->tickets = value;
		else if (opt == KTLS_OPT_FORCE_SOFTWARE)
			o->force_software = value;
		else if (opt == KTLS_OPT_REQUIRE_OFFLOAD)
			o->require_offload = value;
		else
			o->post_handshake = value;
		return 0;
	case KTLS_OPT_RECORD_LIMIT:
		if (value != 0 && value < 16) {
			set_why(why, why_size, "a record limit is 0 (the "
				"cipher's own) or at least 16, not %ld", value);
			return -EINVAL;
		}
		o->record_limit = (uint64_t)value;
		return 0;
	case KTLS_OPT_RENEGOTIATION:
		ret = check_bool(value, why, why_size);
		if (ret < 0)
			return ret;
		if (value) {
			set_why(why, why_size,
				"TLS 1.2 renegotiation is refused by policy "
				"(attacks on it: RFC 5746; kTLS cannot carry "
				"it; TLS 1.3 removed it)");
			return -EPROTONOSUPPORT;
		}
		return 0;
	default:
		set_why(why, why_size, "%d is not an option", (int)opt);
		return -EINVAL;
	}
}

/*
 * Check a comma-separated ALPN list: names of 1 to 255 bytes, and the
 * whole list short enough for struct ktls_opts.
 */
int ktls_policy_check_alpn(const char *list, char *why, size_t why_size)
{
	const char *p = list;

	if (!list || !*list)
		return 0;
	if (strlen(list) >= sizeof(((struct ktls_opts *)NULL)->alpn)) {
		set_why(why, why_size, "ALPN list longer than 255 bytes");
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0) {
			set_why(why, why_size,
				"ALPN list '%s' has an empty name", list);
			return -EINVAL;
		}
		p += len;
		if (!*p)
			return 0;
		p++;
	}
}

/*
 * The cipher suites for @o as wire bytes, for
 * wolfSSL_set_cipher_list_bytes(): each allowed cipher's TLS 1.3 suite,
 * then its TLS 1.2 ECDHE-ECDSA and ECDHE-RSA suites, in preference order.
 * (wolfSSL's name-list parser, in 5.5.4, decides from the first name
 * whether a list is TLS 1.3-only and then merges in the context's other
 * suites, so names cannot restrict a connection; bytes can.)
 *
 * Return: 0 with *@len set, or -ENOSPC if @size is too small.
 */
int ktls_policy_suites(const struct ktls_opts *o, uint8_t *buf, size_t size,
		       size_t *len)
{
	size_t used = 0;
	unsigned int i, j;

	for (i = 0; i < o->n_ciphers; i++) {
		const struct ktls_cipher_desc *d = ktls_cipher_desc(o->ciphers[i]);
		uint16_t ids[3];

		if (!d)
			continue;
		ids[0] = d->tls13_suite;
		ids[1] = d->tls12_ecdhe_ecdsa_suite;
		ids[2] = d->tls12_ecdhe_rsa_suite;
		for (j = 0; j < 3; j++) {
			if (!ids[j])
				continue;
			if (used + 2 > size)
				return -ENOSPC;
			buf[used++] = (uint8_t)(ids[j] >> 8);
			buf[used++] = (uint8_t)ids[j];
		}
	}
	*len = used;
	return 0;
}
