// SPDX-License-Identifier: MIT
/*
 * test_config_syntax.c - handshaked's configuration file
 * (handshaked/config*.c): the file's shape refused: duplicate sections and
 * keys, lines that are not INI, and the checks of the whole file.
 *
 * Each test writes a small INI file into a directory made by mkdtemp()
 * (config_fixture.h).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "handshaked.h"
#include "helpers.h"
#include "ktls_int.h"

static void test_config_load_rejects_duplicate_section(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, MINIMAL "[profile d]\n[profile c]\nrole = client\n",
		   -EINVAL, 4, "duplicate section [profile c]", NULL);
	load_fails(fx, "[global]\nworkers = 2\n" MINIMAL "[global]\n",
		   -EINVAL, 5, "duplicate section [global]", NULL);
	/* Even empty. */
	load_fails(fx, "[identity i]\n[identity i]\n", -EINVAL, 2,
		   "duplicate section [identity i]", NULL);
	/* The same name in two kinds of section is fine. */
	hsd_config_free(load_ok(fx, "[identity c]\ncert = /c\nkey = /k\n"
				    "[profile c]\nidentity = c\n"
				    "[access c]\nuid = *\nprofiles = c\n"));
}

static void test_config_load_rejects_duplicate_key(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[global]\nworkers = 2\nlog_level = info\n"
		       "workers = 2\n", -EINVAL, 4,
		   "'workers' is given twice in [global]", NULL);
	load_fails(fx, MINIMAL "role = server\n", -EINVAL, 3,
		   "'role' is given twice in [profile c]", NULL);
}

static void test_config_load_rejects_bad_syntax(void **state)
{
	struct fixture *fx = *state;
	char text[512];

	load_fails(fx, "[global]\nworkers 2\n", -EINVAL, 2,
		   "expected 'key = value', a [section] line or a comment",
		   NULL);
	load_fails(fx, "workers = 2\n" MINIMAL, -EINVAL, 1,
		   "'workers' is outside any section", NULL);
	load_fails(fx, MINIMAL "[global\nworkers = 2\n", -EINVAL, 3,
		   "a section header needs a closing ']'", NULL);
	load_fails(fx, MINIMAL "[global] workers = 2\n", -EINVAL, 3,
		   "unexpected text after ']'", NULL);
	load_fails(fx, "[global name]\n", -EINVAL, 1,
		   "[global] takes no name", NULL);
	load_fails(fx, "[profile]\n", -EINVAL, 1,
		   "[profile NAME] needs a name", NULL);
	load_fails(fx, "[profile a b]\n", -EINVAL, 1,
		   "[profile NAME] needs a name", "'a b'");
	load_fails(fx, "[access a,b]\n", -EINVAL, 1,
		   "[access NAME] needs a name", NULL);
	load_fails(fx, "[identity "
		       "a123456789b123456789c123456789d123456789e123456789"
		       "f123456789abcd]\n", -EINVAL, 1,
		   "[identity NAME] needs a name of 1 to 63", NULL);
	/* inih would take an indented line as more of the last value. */
	load_fails(fx, "[global]\nsocket = /run/a\n  /b.sock\n", -EINVAL, 3,
		   "continues the value of 'socket'", NULL);
	/* The first error is the one reported. */
	load_fails(fx, "[global]\nworkers 2\nbogus = 1\n", -EINVAL, 2,
		   "expected 'key = value'", NULL);
	load_fails(fx, "[global]\nbogus = 1\nworkers 2\n", -EINVAL, 2,
		   "unknown key 'bogus'", NULL);

	/* A line longer than inih's buffer is refused (inih would split
	 * it in two). */
	memset(text, 0, sizeof(text));
	strcpy(text, "[global]\nsocket = /");
	memset(text + strlen(text), 'a', 250);
	strcat(text, "\n");
	load_fails(fx, text, -EINVAL, 2, "line longer than 199 bytes", NULL);
	memset(text, 0, sizeof(text));
	strcpy(text, MINIMAL "; ");
	memset(text + strlen(text), 'a', 250);
	strcat(text, "\nbogus = 1\n");
	load_fails(fx, text, -EINVAL, 3, "line longer than 199 bytes", NULL);
	/* 199 bytes is not too long, and the next line is the next. */
	memset(text, 0, sizeof(text));
	strcpy(text, MINIMAL "; ");
	memset(text + strlen(text), 'a', 197);
	strcat(text, "\nbogus = 1\n");
	load_fails(fx, text, -EINVAL, 4, "unknown key 'bogus'", NULL);
}

/* Checks of the whole file, reported as "PATH: ...". */
static void test_config_load_rejects_missing_identity(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[identity web]\ncert = /w.pem\nkey = /w.key\n"
		       "[profile api]\nidentity = webb\n", -EINVAL, 0,
		   "[profile api] names identity 'webb'",
		   "no [identity webb]");
	load_fails(fx, "[identity web]\ncert = /w.pem\n" MINIMAL, -EINVAL, 0,
		   "[identity web] needs both cert and key", NULL);
	load_fails(fx, "[identity web]\nkey = /w.key\n" MINIMAL, -EINVAL, 0,
		   "[identity web] needs both cert and key", NULL);
}

static void test_config_load_rejects_server_without_identity(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[profile srv]\nrole = server\n", -EINVAL, 0,
		   "[profile srv] allows the server role but names no "
		   "identity", NULL);
	load_fails(fx, "[profile srv]\nrole = any\n", -EINVAL, 0,
		   "[profile srv] allows the server role", NULL);
}

static void test_config_load_rejects_access_to_missing_profile(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, MINIMAL "[access a]\nuid = 0\nprofiles = c, api\n",
		   -EINVAL, 0, "[access a] names profile 'api'",
		   "no [profile api]");
	load_fails(fx, MINIMAL "[access a]\nuid = 0\n", -EINVAL, 0,
		   "[access a] allows no profile", NULL);
	load_fails(fx, MINIMAL "[access a]\nprofiles = *\n", -EINVAL, 0,
		   "[access a] matches nobody", NULL);
}

static void test_config_load_rejects_inconsistent_file(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[global]\n", -EINVAL, 0,
		   "no [profile NAME] section", NULL);
	load_fails(fx, "[policy]\nmin_version = 1.3\nmax_version = 1.2\n"
		       MINIMAL, -EINVAL, 0,
		   "[policy] min_version 1.3 is above max_version 1.2", NULL);
	/* A profile's own versions against the [policy] ones. */
	load_fails(fx, "[policy]\nmax_version = 1.2\n" MINIMAL
		       "min_version = 1.3\n", -EINVAL, 0,
		   "[profile c] min_version 1.3 is above max_version 1.2",
		   NULL);
	load_fails(fx, "[trust]\ncrl_check = yes\n" MINIMAL, -EINVAL, 0,
		   "crl_check = yes needs at least one crl_file", NULL);
}

/* hsd_config_allows() ------------------------------------------------- */

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_load_rejects_duplicate_section),
		T(test_config_load_rejects_duplicate_key),
		T(test_config_load_rejects_bad_syntax),
		T(test_config_load_rejects_missing_identity),
		T(test_config_load_rejects_server_without_identity),
		T(test_config_load_rejects_access_to_missing_profile),
		T(test_config_load_rejects_inconsistent_file),
#undef T
	};

	return cmocka_run_group_tests_name("config_syntax", tests, NULL, NULL);
}
