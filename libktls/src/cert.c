// SPDX-License-Identifier: MIT
/*
 * cert.c - small helpers on DER certificates: names, subjectAltNames and
 * the SHA-256 fingerprint, as an application shows or logs them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "ktls_int.h"

static int copy_out(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);

	if (!buf || len >= size)
		return -ENOSPC;
	memcpy(buf, s, len + 1);
	return (int)len;
}

static WOLFSSL_X509 *parse(const uint8_t *der, size_t len)
{
	if (!der || len == 0 || len > INT32_MAX || ktls_init() < 0)
		return NULL;
	return wolfSSL_X509_d2i(NULL, der, (int)len);
}

static int name_of(const uint8_t *der, size_t len, char *buf, size_t size,
		   bool issuer)
{
	WOLFSSL_X509 *x = parse(der, len);
	WOLFSSL_X509_NAME *name;
	char tmp[512];
	int ret;

	if (!x)
		return -EBADMSG;
	name = issuer ? wolfSSL_X509_get_issuer_name(x) :
			wolfSSL_X509_get_subject_name(x);
	if (!name || !wolfSSL_X509_NAME_oneline(name, tmp, sizeof(tmp)))
		ret = -EBADMSG;
	else
		ret = copy_out(tmp, buf, size);
	wolfSSL_X509_free(x);
	return ret;
}

int ktls_cert_subject(const uint8_t *der, size_t len, char *buf, size_t size)
{
	return name_of(der, len, buf, size, false);
}

int ktls_cert_issuer(const uint8_t *der, size_t len, char *buf, size_t size)
{
	return name_of(der, len, buf, size, true);
}

/*
 * wolfSSL_X509_get_next_altname() walks every kind of name (e-mail, IP,
 * URI) in its own order, so the DNS names are picked from the decoded
 * certificate's list, which keeps the certificate's order.
 */
int ktls_cert_san(const uint8_t *der, size_t len, unsigned int idx, char *buf,
		  size_t size)
{
	struct DecodedCert cert;
	const DNS_entry *e;
	unsigned int n = 0;
	int ret = -ENOENT;

	if (!der || len == 0 || len > INT32_MAX || ktls_init() < 0)
		return -EBADMSG;
	wc_InitDecodedCert(&cert, der, (word32)len, NULL);
	if (wc_ParseCert(&cert, CERT_TYPE, NO_VERIFY, NULL) != 0) {
		wc_FreeDecodedCert(&cert);
		return -EBADMSG;
	}
	for (e = cert.altNames; e; e = e->next) {
		if (e->type != ASN_DNS_TYPE || n++ != idx)
			continue;
		if (!buf || e->len < 0 || (size_t)e->len >= size) {
			ret = -ENOSPC;
		} else {
			memcpy(buf, e->name, (size_t)e->len);
			buf[e->len] = '\0';
			ret = e->len;
		}
		break;
	}
	wc_FreeDecodedCert(&cert);
	return ret;
}

/*
 * Whether the certificate names the address @ip (IPv4 or IPv6 text) in an
 * iPAddress SAN.  The octets are compared, not text: wolfSSL's own check
 * compares its rendering of the SAN ("0000:...:0001") with the text given,
 * so an IPv6 peer written "::1" never matched.
 */
bool ktls_cert_has_ip(const uint8_t *der, size_t len, const char *ip)
{
	unsigned char addr[sizeof(struct in6_addr)];
	struct DecodedCert cert;
	const DNS_entry *e;
	int alen;
	bool found = false;

	if (inet_pton(AF_INET, ip, addr) == 1)
		alen = 4;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		alen = 16;
	else
		return false;
	if (!der || len == 0 || len > INT32_MAX)
		return false;
	wc_InitDecodedCert(&cert, der, (word32)len, NULL);
	if (wc_ParseCert(&cert, CERT_TYPE, NO_VERIFY, NULL) == 0)
		for (e = cert.altNames; e && !found; e = e->next)
			found = e->type == ASN_IP_TYPE && e->len == alen &&
				!memcmp(e->name, addr, (size_t)alen);
	wc_FreeDecodedCert(&cert);
	return found;
}

int ktls_cert_fingerprint(const uint8_t *der, size_t len, char *buf,
			  size_t size)
{
	uint8_t digest[WC_SHA256_DIGEST_SIZE];
	WOLFSSL_X509 *x = parse(der, len);
	size_t i;

	if (!x)
		return -EBADMSG;
	wolfSSL_X509_free(x);
	if (!buf || size < 2 * sizeof(digest) + 1)
		return -ENOSPC;
	if (wc_Sha256Hash(der, (word32)len, digest) != 0)
		return -EIO;
	for (i = 0; i < sizeof(digest); i++)
		snprintf(buf + 2 * i, 3, "%02x", digest[i]);
	return (int)(2 * sizeof(digest));
}
