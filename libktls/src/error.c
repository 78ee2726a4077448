// SPDX-License-Identifier: MIT
/*
 * error.c - error strings and the library version.
 */
#include <limits.h>
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
