// SPDX-License-Identifier: MIT
/*
 * error.c - error strings and the library version.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ktls_int.h"

#ifndef KTLS_VERSION_STRING
#error "KTLS_VERSION_STRING must be defined by the build"
#endif

const char *ktls_version(void)
{
	return KTLS_VERSION_STRING;
}

/*
 * strerrordesc_np() (glibc 2.32) returns a static, untranslated string and,
 * unlike strerror(), touches no shared buffer, so this is safe from any
 * thread.
 */
const char *ktls_strerror(int err)
{
	const char *desc;

	if (err == INT_MIN)
		return "Unknown error";
	if (err < 0)
		err = -err;
	desc = strerrordesc_np(err);
	return desc ? desc : "Unknown error";
}

/* Write a message into a KTLS_ERRSTR_SIZE buffer of a ctx or conn. */
void ktls_set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, KTLS_ERRSTR_SIZE, fmt, ap);
	va_end(ap);
}

const char *ktls_verify_result_name(enum ktls_verify_result result)
{
	switch (result) {
	case KTLS_VERIFY_OK:
		return "ok";
	case KTLS_VERIFY_UNKNOWN_CA:
		return "certificate signed by an unknown CA";
	case KTLS_VERIFY_EXPIRED:
		return "certificate has expired";
	case KTLS_VERIFY_NOT_YET_VALID:
		return "certificate is not yet valid";
	case KTLS_VERIFY_HOSTNAME_MISMATCH:
		return "certificate does not match the peer name";
	case KTLS_VERIFY_REVOKED:
		return "certificate has been revoked";
	case KTLS_VERIFY_BAD_SIGNATURE:
		return "certificate signature is invalid";
	case KTLS_VERIFY_NO_CERTIFICATE:
		return "peer sent no certificate";
	case KTLS_VERIFY_CRL_MISSING:
		return "no CRL for a certificate of the chain";
	case KTLS_VERIFY_OTHER:
		return "certificate could not be verified";
	default:
		return "unknown verify result";
	}
}

/* RFC 8446 section 6 and RFC 5246 section 7.2. */
const char *ktls_alert_name(int alert)
{
	switch (alert) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return "unknown";
	}
}
