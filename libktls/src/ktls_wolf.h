/* SPDX-License-Identifier: MIT */
/*
 * ktls_wolf.h - the one way into wolfSSL: its build options first, then a
 * compile-time check that the build has every option libktls relies on.
 * A wolfSSL without one fails here with the reason, not later with a
 * missing symbol or, worse, a connection that behaves differently.
 */
#ifndef KTLS_WOLF_H
#define KTLS_WOLF_H

#include <wolfssl/options.h>

/* Every build, Debian's libwolfssl-dev (make WOLFSSL=system) included. */
#ifndef ATOMIC_USER
#error "wolfSSL without ATOMIC_USER: no wolfSSL_Get*WriteKey/IV, no key export"
#endif
#ifndef WOLFSSL_TLS13
#error "wolfSSL without TLS 1.3"
#endif
#ifndef HAVE_SESSION_TICKET
#error "wolfSSL without session tickets (HAVE_SESSION_TICKET)"
#endif
#if !defined(HAVE_SNI) || !defined(HAVE_ALPN)
#error "wolfSSL without SNI or ALPN"
#endif
#if !defined(HAVE_CRL) || !defined(HAVE_OCSP)
#error "wolfSSL without CRL or OCSP"
#endif
#if !defined(OPENSSL_EXTRA) || !defined(KEEP_PEER_CERT)
#error "wolfSSL without OPENSSL_EXTRA and KEEP_PEER_CERT: no peer chain"
#endif
#ifndef HAVE_EX_DATA
#error "wolfSSL without HAVE_EX_DATA: no verify callback context"
#endif
/* The recv callback makes wolfSSL answer oversized records with
 * record_overflow; only this option makes wolfSSL send that alert. */
#ifndef HAVE_MAX_FRAGMENT
#error "wolfSSL without HAVE_MAX_FRAGMENT: no record_overflow for oversized records"
#endif
#if !defined(HAVE_AESGCM) || !defined(HAVE_CHACHA) || !defined(HAVE_POLY1305)
#error "wolfSSL without AES-GCM or ChaCha20-Poly1305"
#endif

/* The project's own build (wolfssl/build), the default. */
#ifdef KTLS_WOLFSSL_PROJECT
#ifndef WOLFSSL_TLS13_MIDDLEBOX_COMPAT
#error "wolfSSL without WOLFSSL_TLS13_MIDDLEBOX_COMPAT: no dummy ChangeCipherSpec (RFC 8446 D.4)"
#endif
#ifndef HAVE_SECRET_CALLBACK
#error "wolfSSL without HAVE_SECRET_CALLBACK: no TLS 1.3 traffic secrets"
#endif
#if !defined(WOLFSSL_AESNI) || !defined(USE_INTEL_SPEEDUP)
#error "wolfSSL without AES-NI and the Intel assembly: a slow software record layer"
#endif
#if !defined(WOLFSSL_SP_X86_64_ASM) || !defined(HAVE_CURVE25519)
#error "wolfSSL without SP-math assembly or X25519: slow handshakes"
#endif
#ifndef WOLFSSL_VALIDATE_ECC_IMPORT
#error "wolfSSL without WOLFSSL_VALIDATE_ECC_IMPORT: off-curve key shares pass"
#endif
#if defined(WOLFSSL_ALLOW_TLSV10) || !defined(NO_OLD_TLS)
#error "wolfSSL with TLS 1.0/1.1 compiled in: the project's build leaves them out"
#endif
#endif

#endif /* KTLS_WOLF_H */
