// SPDX-License-Identifier: MIT
/*
 * test_cert.c - the certificate helpers (cert.c): subject, issuer, DNS
 * subjectAltNames and SHA-256 fingerprint of a DER certificate.
 *
 * The certificate below is embedded, not generated: a self-signed ECDSA
 * P-256 certificate made once with
 *
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
 *	-subj /CN=unit.example \
 *	-addext subjectAltName=DNS:unit.example,DNS:alt.example -days 36500
 *
 * and its expected fingerprint is what `openssl x509 -outform der |
 * sha256sum` printed for it.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ktls_int.h"
#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

static const uint8_t cert_der[] = {
	0x30, 0x82, 0x01, 0xab, 0x30, 0x82, 0x01, 0x51, 0xa0, 0x03, 0x02, 0x01,
	0x02, 0x02, 0x14, 0x30, 0xcb, 0x11, 0x58, 0x67, 0x88, 0x44, 0x30, 0xe0,
	0xea, 0x11, 0xea, 0xdf, 0x52, 0x92, 0x72, 0xf8, 0xc7, 0xeb, 0xe1, 0x30,
	0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
	0x17, 0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c,
	0x75, 0x6e, 0x69, 0x74, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x30, 0x20, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x34, 0x31, 0x33,
	0x30, 0x33, 0x30, 0x35, 0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32, 0x36, 0x31,
	0x30, 0x33, 0x31, 0x31, 0x33, 0x30, 0x33, 0x30, 0x35, 0x5a, 0x30, 0x17,
	0x31, 0x15, 0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x0c, 0x75,
	0x6e, 0x69, 0x74, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30,
	0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42,
	0x00, 0x04, 0xf1, 0xc5, 0x28, 0xd9, 0x54, 0xc3, 0xf8, 0x7d, 0xd7, 0xb0,
	0xa3, 0x09, 0xdb, 0x2c, 0xaf, 0x74, 0x53, 0x2c, 0x27, 0xd8, 0x49, 0xa7,
	0x3d, 0x1e, 0x7a, 0x2d, 0x6c, 0xf3, 0xd7, 0x6f, 0x42, 0xdf, 0xd5, 0xc7,
	0x60, 0x91, 0x81, 0xd8, 0x49, 0x6a, 0xfb, 0xf6, 0xeb, 0x53, 0x36, 0x0a,
	0x63, 0x41, 0xa2, 0x0c, 0xfa, 0x91, 0x23, 0x8f, 0xc0, 0x0c, 0xad, 0x50,
	0x8b, 0xb7, 0x54, 0xe9, 0x84, 0x72, 0xa3, 0x79, 0x30, 0x77, 0x30, 0x1d,
	0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0x8a, 0x5d, 0x86,
	0x6d, 0xb0, 0x65, 0xab, 0xf0, 0x06, 0xf5, 0x54, 0x7e, 0xf6, 0xb6, 0x74,
	0x3c, 0x6b, 0xbe, 0x27, 0x2a, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
	0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x8a, 0x5d, 0x86, 0x6d, 0xb0, 0x65,
	0xab, 0xf0, 0x06, 0xf5, 0x54, 0x7e, 0xf6, 0xb6, 0x74, 0x3c, 0x6b, 0xbe,
	0x27, 0x2a, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff,
	0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x24, 0x06, 0x03, 0x55,
	0x1d, 0x11, 0x04, 0x1d, 0x30, 0x1b, 0x82, 0x0c, 0x75, 0x6e, 0x69, 0x74,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x82, 0x0b, 0x61, 0x6c,
	0x74, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x30, 0x0a, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x48, 0x00,
	0x30, 0x45, 0x02, 0x20, 0x07, 0xe5, 0x14, 0xa6, 0xb2, 0x3e, 0x52, 0x30,
	0x7c, 0x7b, 0xeb, 0x1c, 0x76, 0xf0, 0x56, 0xda, 0x83, 0x1a, 0x68, 0x26,
	0x09, 0xe5, 0x4e, 0x4c, 0x27, 0x7f, 0xa6, 0x2e, 0x09, 0x37, 0x56, 0xd3,
	0x02, 0x21, 0x00, 0x89, 0xed, 0xd0, 0x13, 0xf8, 0x89, 0xb4, 0xc6, 0x4f,
	0x65, 0xa8, 0x1f, 0x63, 0x41, 0xdc, 0xc6, 0x07, 0xa8, 0x04, 0x8a, 0x0e,
	0x0e, 0x70, 0x30, 0xb1, 0x58, 0x30, 0x97, 0xfc, 0x34, 0x7c, 0x34,
};

#define CERT_FINGERPRINT \
	"59f9f1ab7d0db299ab5bf8b46a291447f9deefd91a836722f2cced9be07b2a51"
#define CERT_NAME "/CN=unit.example"

static const uint8_t garbage[] = "not a certificate";

/* Fills a buffer so that a write into it shows. */
#define FILL 0x5a

static void fill(char *buf, size_t size)
{
	memset(buf, FILL, size);
}

static void assert_untouched(const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		assert_int_equal((unsigned char)buf[i], FILL);
}

static void test_cert_der_is_the_embedded_certificate(void **state)
{
	(void)state;
	/* A DER SEQUENCE with a two-byte length that spans the array. */
	assert_int_equal(sizeof(cert_der), 431);
	assert_int_equal(cert_der[0], 0x30);
	assert_int_equal(cert_der[1], 0x82);
	assert_int_equal(((size_t)cert_der[2] << 8 | cert_der[3]) + 4,
			 sizeof(cert_der));
}

static void test_cert_subject_returns_oneline_name(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), buf,
					   sizeof(buf)),
			 strlen(CERT_NAME));
	assert_string_equal(buf, CERT_NAME);
	/* Exactly the room for the name and its NUL is enough. */
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), buf,
					   strlen(CERT_NAME) + 1),
			 strlen(CERT_NAME));
	assert_string_equal(buf, CERT_NAME);
	assert_int_equal((unsigned char)buf[strlen(CERT_NAME) + 1], FILL);
}

static void test_cert_subject_rejects_small_buffer(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	/* No room for the NUL. */
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), buf,
					   strlen(CERT_NAME)), -ENOSPC);
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), buf, 1),
			 -ENOSPC);
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), buf, 0),
			 -ENOSPC);
	assert_untouched(buf, sizeof(buf));
	assert_int_equal(ktls_cert_subject(cert_der, sizeof(cert_der), NULL,
					   sizeof(buf)), -ENOSPC);
}

static void test_cert_subject_rejects_garbage(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_subject(garbage, sizeof(garbage) - 1, buf,
					   sizeof(buf)), -EBADMSG);
	/* Cut short: the outer SEQUENCE claims more than there is. */
	assert_int_equal(ktls_cert_subject(cert_der, 100, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_subject(cert_der, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_subject(NULL, sizeof(cert_der), buf,
					   sizeof(buf)), -EBADMSG);
	assert_untouched(buf, sizeof(buf));
}

/* Every prefix of the certificate is refused, none read out of bounds. */
static void test_cert_subject_rejects_every_truncation(void **state)
{
	char buf[128];
	size_t len;

	(void)state;
	fill(buf, sizeof(buf));
	for (len = 1; len < sizeof(cert_der); len++)
		assert_int_equal(ktls_cert_subject(cert_der, len, buf,
						   sizeof(buf)), -EBADMSG);
	assert_untouched(buf, sizeof(buf));
}

static void test_cert_issuer_returns_oneline_name(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	/* Self-signed: the issuer is the subject. */
	assert_int_equal(ktls_cert_issuer(cert_der, sizeof(cert_der), buf,
					  sizeof(buf)),
			 strlen(CERT_NAME));
	assert_string_equal(buf, CERT_NAME);
}

static void test_cert_issuer_rejects_bad_input(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_issuer(garbage, sizeof(garbage) - 1, buf,
					  sizeof(buf)), -EBADMSG);
	assert_int_equal(ktls_cert_issuer(cert_der, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_issuer(cert_der, sizeof(cert_der), buf,
					  strlen(CERT_NAME)), -ENOSPC);
	assert_untouched(buf, sizeof(buf));
}

static void test_cert_san_returns_dns_names_in_order(void **state)
{
	char buf[64];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 0, buf,
				       sizeof(buf)), 12);
	assert_string_equal(buf, "unit.example");
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 1, buf,
				       sizeof(buf)), 11);
	assert_string_equal(buf, "alt.example");
	/* Each call starts from the first name again. */
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 0, buf,
				       sizeof(buf)), 12);
	assert_string_equal(buf, "unit.example");
}

static void test_cert_san_rejects_index_past_end(void **state)
{
	static const unsigned int idx[] = { 2, 3, 1000, UINT_MAX };
	char buf[64];
	size_t i;

	(void)state;
	fill(buf, sizeof(buf));
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der),
					       idx[i], buf, sizeof(buf)),
				 -ENOENT);
	assert_untouched(buf, sizeof(buf));
}

static void test_cert_san_rejects_small_buffer(void **state)
{
	char buf[64];

	(void)state;
	fill(buf, sizeof(buf));
	/* "unit.example" is 12 bytes: 12 leaves no room for the NUL. */
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 0, buf, 12),
			 -ENOSPC);
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 1, buf, 11),
			 -ENOSPC);
	assert_untouched(buf, sizeof(buf));
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 0, NULL,
				       sizeof(buf)), -ENOSPC);
	assert_int_equal(ktls_cert_san(cert_der, sizeof(cert_der), 0, buf, 13),
			 12);
	assert_string_equal(buf, "unit.example");
}

static void test_cert_san_rejects_garbage(void **state)
{
	char buf[64];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_san(garbage, sizeof(garbage) - 1, 0, buf,
				       sizeof(buf)), -EBADMSG);
	assert_int_equal(ktls_cert_san(cert_der, 100, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_san(cert_der, 0, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_san(NULL, 0, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_untouched(buf, sizeof(buf));
}

static void test_cert_fingerprint_is_sha256_of_der(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(cert_der, sizeof(cert_der), buf,
					       sizeof(buf)), 64);
	assert_string_equal(buf, CERT_FINGERPRINT);
	/* 65 bytes are enough, and nothing is written past them. */
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(cert_der, sizeof(cert_der), buf,
					       65), 64);
	assert_string_equal(buf, CERT_FINGERPRINT);
	assert_int_equal((unsigned char)buf[65], FILL);
}

static void test_cert_fingerprint_rejects_small_buffer(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(cert_der, sizeof(cert_der), buf,
					       64), -ENOSPC);
	assert_int_equal(ktls_cert_fingerprint(cert_der, sizeof(cert_der), buf,
					       0), -ENOSPC);
	assert_untouched(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(cert_der, sizeof(cert_der),
					       NULL, 65), -ENOSPC);
}

static void test_cert_fingerprint_rejects_empty_input(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(cert_der, 0, buf, sizeof(buf)),
			 -EBADMSG);
	assert_int_equal(ktls_cert_fingerprint(NULL, sizeof(cert_der), buf,
					       sizeof(buf)), -EBADMSG);
	assert_untouched(buf, sizeof(buf));
}

/* Bytes that are not a certificate have no fingerprint. */
static void test_cert_fingerprint_rejects_garbage(void **state)
{
	char buf[128];

	(void)state;
	fill(buf, sizeof(buf));
	assert_int_equal(ktls_cert_fingerprint(garbage, sizeof(garbage) - 1,
					       buf, sizeof(buf)), -EBADMSG);
	assert_untouched(buf, sizeof(buf));
}

/* The test PKI's server certificate names DNS:localhost, IP:127.0.0.1 and
 * IP:::1 (tests/pki/mkpki).  IPv6 peers never matched before: wolfSSL's
 * text comparison renders the SAN as "0000:...:0001". */
static void test_cert_has_ip_compares_octets(void **state)
{
	WOLFSSL_X509 *x;
	const unsigned char *der;
	int len;

	(void)state;
	assert_int_equal(ktls_init(), 0);
	x = wolfSSL_X509_load_certificate_file("build/pki/server-ec.pem",
					       WOLFSSL_FILETYPE_PEM);
	if (!x)
		fail_msg("no build/pki/server-ec.pem: run tests/pki/mkpki "
			 "build/pki first");
	der = wolfSSL_X509_get_der(x, &len);
	assert_non_null(der);
	assert_true(ktls_cert_has_ip(der, (size_t)len, "127.0.0.1"));
	assert_true(ktls_cert_has_ip(der, (size_t)len, "::1"));
	assert_true(ktls_cert_has_ip(der, (size_t)len, "0:0:0:0:0:0:0:1"));
	assert_false(ktls_cert_has_ip(der, (size_t)len, "127.0.0.2"));
	assert_false(ktls_cert_has_ip(der, (size_t)len, "::2"));
	assert_false(ktls_cert_has_ip(der, (size_t)len, "::ffff:127.0.0.1"));
	assert_false(ktls_cert_has_ip(der, (size_t)len, "localhost"));
	assert_false(ktls_cert_has_ip(der, 10, "127.0.0.1"));
	wolfSSL_X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_der_is_the_embedded_certificate),
		cmocka_unit_test(test_cert_subject_returns_oneline_name),
		cmocka_unit_test(test_cert_subject_rejects_small_buffer),
		cmocka_unit_test(test_cert_subject_rejects_garbage),
		cmocka_unit_test(test_cert_subject_rejects_every_truncation),
		cmocka_unit_test(test_cert_issuer_returns_oneline_name),
		cmocka_unit_test(test_cert_issuer_rejects_bad_input),
		cmocka_unit_test(test_cert_san_returns_dns_names_in_order),
		cmocka_unit_test(test_cert_san_rejects_index_past_end),
		cmocka_unit_test(test_cert_san_rejects_small_buffer),
		cmocka_unit_test(test_cert_san_rejects_garbage),
		cmocka_unit_test(test_cert_fingerprint_is_sha256_of_der),
		cmocka_unit_test(test_cert_fingerprint_rejects_small_buffer),
		cmocka_unit_test(test_cert_fingerprint_rejects_empty_input),
		cmocka_unit_test(test_cert_fingerprint_rejects_garbage),
		cmocka_unit_test(test_cert_has_ip_compares_octets),
	};

	return cmocka_run_group_tests_name("cert", tests, NULL, NULL);
}
