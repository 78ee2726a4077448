// SPDX-License-Identifier: MIT
/*
 * test_config_values.c - handshaked's configuration file
 * (handshaked/config*.c): the values of keys refused: a missing or unreadable
 * file, unknown keys and sections, numbers, out of range and bad values,
 * too many ids or CRLs, versions and ciphers libktls refuses, each error
 * with the line and key it names.
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

/* hsd_config_load(): errors ------------------------------------------- */

static void test_config_load_rejects_missing_file(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = SENTINEL;
	char path[256], err[512], want[300];

	snprintf(path, sizeof(path), "%s/missing.conf", fx->dir);
	assert_int_equal(hsd_config_load(path, &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_ptr_equal(cfg, SENTINEL);
	snprintf(want, sizeof(want), "%s: ", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	TH_ASSERT_CONTAINS(err, "No such file");
}

static void test_config_load_rejects_directory(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = SENTINEL;
	char err[512];

	assert_int_equal(hsd_config_load(fx->dir, &cfg, err, sizeof(err)),
			 -EISDIR);
	assert_ptr_equal(cfg, SENTINEL);
	TH_ASSERT_CONTAINS(err, "cannot read");
}

static void test_config_load_rejects_unknown_key(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[global]\n"
		       "workers = 2\n"
		       "wrokers = 3\n"
		       MINIMAL, -EINVAL, 3, "unknown key 'wrokers' in [global]",
		   "workers");
	/* A key of another section is unknown here. */
	load_fails(fx, MINIMAL
		       "cert = /a.pem\n", -EINVAL, 3,
		   "unknown key 'cert' in [profile c]", "identity, role");
}

static void test_config_load_rejects_unknown_section(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, MINIMAL "\n[globl]\nworkers = 1\n", -EINVAL, 4,
		   "unknown section [globl]", "[global]");
	load_fails(fx, "[server web]\n", -EINVAL, 1,
		   "unknown section [server web]", NULL);
}

static void test_config_load_rejects_bad_number(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {
		"two", "2x", "-1", "+2", "0x10", "", "1.5", " ",
		"99999999999999999999999",
	};
	char text[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text),
			 "[global]\nlog_level = info\nworkers = %s\n", bad[i]);
		load_fails(fx, text, -EINVAL, 3, "workers: expected a whole "
			   "number from 1 to 64", NULL);
	}
}

static void test_config_load_rejects_out_of_range(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *line;
		const char *what;
	} bad[] = {
		{ "workers = 0",
		  "workers: expected a whole number from 1 to 64, not '0'" },
		{ "workers = 65",
		  "workers: expected a whole number from 1 to 64, not '65'" },
		{ "handshake_timeout = 0",
		  "handshake_timeout: expected a whole number from 1 to 3600" },
		{ "handshake_timeout = 3601", "handshake_timeout: " },
		{ "max_clients_per_uid = 1000001",
		  "max_clients_per_uid: expected a whole number from 0 to "
		  "1000000" },
		{ "max_clients_per_uid = -1", "max_clients_per_uid: " },
		{ "session_cache_size = 1000001",
		  "session_cache_size: expected a whole number from 0 to "
		  "1000000" },
		{ "session_lifetime = 0",
		  "session_lifetime: expected a whole number from 1 to "
		  "604800" },
		{ "session_lifetime = 604801", "session_lifetime: " },
		{ "ticket_rotation = 59",
		  "ticket_rotation: expected a whole number from 60 to "
		  "604800" },
		{ "ticket_rotation = 604801", "ticket_rotation: " },
		{ "socket_mode = 1777",
		  "socket_mode: expected an octal permission mode from 0 to "
		  "0777" },
		{ "socket_mode = 0668", "socket_mode: " },
		{ "socket_mode = rw", "socket_mode: " },
	};
	char text[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "[profile c]\n\n[global]\n%s\n",
			 bad[i].line);
		load_fails(fx, text, -EINVAL, 4, bad[i].what, NULL);
	}
}

/* Values of other kinds that are not what the key takes. */
static void test_config_load_rejects_bad_values(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *section;
		const char *line;
		const char *what;
	} bad[] = {
		{ "global", "socket = hsd.sock",
		  "socket: expected an absolute path" },
		{ "global", "socket = /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaa.sock",
		  "socket: expected an absolute path shorter than 108" },
		{ "global", "socket_group = tls users",
		  "socket_group: expected one user or group name" },
		{ "global", "user = ", "user: expected one user" },
		{ "global", "log_level = warning",
		  "log_level: expected error, notice, info or debug, not "
		  "'warning'" },
		{ "global", "ticket_key_file = ticket.key",
		  "ticket_key_file: expected an absolute path" },
		{ "trust", "ca_system = maybe",
		  "ca_system: expected yes or no" },
		{ "trust", "crl_check = on", "crl_check: expected yes or no" },
		{ "trust", "ca_file = ca.pem",
		  "ca_file: expected an absolute path" },
		{ "policy", "min_version = 1.4",
		  "min_version: expected 1.2 or 1.3, not '1.4'" },
		{ "policy", "max_version = tls1.3",
		  "max_version: expected 1.2 or 1.3" },
		{ "policy", "ciphers = AES-512-GCM",
		  "ciphers: 'AES-512-GCM' is not a cipher libktls knows" },
		{ "policy", "ciphers = ",
		  "ciphers: the cipher list names no cipher" },
		{ "identity i", "cert = i.pem",
		  "cert: expected an absolute path" },
		{ "profile p", "role = both",
		  "role: expected client, server or any, not 'both'" },
		{ "profile p", "role = client, server",
		  "role: expected client, server or any" },
		{ "profile p", "verify = none",
		  "verify: 'none' is spelled 'none-insecure'" },
		{ "profile p", "verify = strict",
		  "verify: expected default, peer, require or none-insecure" },
		{ "profile p", "identity = web server",
		  "identity: expected the name of an [identity NAME]" },
		{ "profile p", "alpn = h2,,http/1.1",
		  "alpn: expected protocol names separated by commas" },
		{ "profile p", "max_version = 1.1",
		  "max_version: TLS 1.1 is refused by policy" },
		{ "access a", "uid = 0, *",
		  "uid: expected user names or numbers" },
		{ "access a", "uid = no-such-user-hsd-test",
		  "uid: no user named 'no-such-user-hsd-test'" },
		{ "access a", "uid = 4294967295",
		  "uid: '4294967295' is not a user name or a number" },
		{ "access a", "gid = no-such-group-hsd-test",
		  "gid: no group named 'no-such-group-hsd-test'" },
		{ "access a", "gid = *", "gid: '*' is for uid only" },
		{ "access a", "profiles = a b",
		  "profiles: expected profile names" },
		{ "access a", "profiles = ",
		  "profiles: expected profile names" },
		{ "access a", "roles = client, admin",
		  "roles: expected client, server or any" },
	};
	char text[512];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), MINIMAL "[%s]\n%s\n",
			 bad[i].section, bad[i].line);
		load_fails(fx, text, -EINVAL, 4, bad[i].what, NULL);
	}
}

static void test_config_load_rejects_too_many_ids(void **state)
{
	struct fixture *fx = *state;
	char text[1024];
	size_t used;
	int i;

	used = (size_t)snprintf(text, sizeof(text),
				MINIMAL "[access a]\nprofiles = *\nuid = 0");
	for (i = 1; i <= HSD_MAX_IDS; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 ",%d", i);
	snprintf(text + used, sizeof(text) - used, "\n");
	/* The line is within inih's 200 bytes. */
	assert_true(strlen(strrchr(text, 'u')) < 200);
	load_fails(fx, text, -EINVAL, 5, "uid: at most 32 users", NULL);
}

static void test_config_load_rejects_too_many_crls(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, MINIMAL "[trust]\n"
		       "crl_file = /1\ncrl_file = /2\ncrl_file = /3\n"
		       "crl_file = /4\ncrl_file = /5\ncrl_file = /6\n"
		       "crl_file = /7\ncrl_file = /8\ncrl_file = /9\n",
		   -EINVAL, 12, "crl_file: at most 8 CRL files", NULL);
}

/* TLS 1.0, 1.1 and SSL 3.0 are refused with libktls's reason. */
static void test_config_load_refuses_old_versions(void **state)
{
	struct fixture *fx = *state;

	load_fails(fx, "[policy]\n"
		       "max_version = 1.3\n"
		       "min_version = 1.0\n"
		       MINIMAL, -EINVAL, 3,
		   "min_version: TLS 1.0 is refused by policy (deprecated: "
		   "RFC 8996)", NULL);
	load_fails(fx, MINIMAL "min_version = 1.1\n", -EINVAL, 3,
		   "min_version: TLS 1.1 is refused by policy (deprecated: "
		   "RFC 8996)", NULL);
	load_fails(fx, "[policy]\nmin_version = ssl3\n" MINIMAL, -EINVAL, 2,
		   "min_version: SSL 3.0 is refused by policy (broken: "
		   "RFC 7568)", NULL);
	load_fails(fx, "[policy]\nmin_version = SSLv2\n" MINIMAL, -EINVAL, 2,
		   "min_version: SSL 2.0 is refused by policy", NULL);
}

/* RC4 is refused with the reason libktls gives. */
static void test_config_load_refuses_rc4(void **state)
{
	struct fixture *fx = *state;
	enum ktls_cipher out[KTLS_CIPHER_MAX];
	char why[KTLS_ERRSTR_SIZE] = "";
	char want[KTLS_ERRSTR_SIZE + 16];
	uint8_t n;

	assert_int_equal(ktls_policy_parse_ciphers("RC4-SHA", out, &n, why,
						   sizeof(why)),
			 -EPROTONOSUPPORT);
	TH_ASSERT_CONTAINS(why, "RC4 is refused by policy");
	snprintf(want, sizeof(want), "ciphers: %s", why);
	load_fails(fx, "[policy]\n"
		       "ciphers = RC4-SHA\n"
		       MINIMAL, -EINVAL, 2, want, NULL);
	/* In a profile, after a good name. */
	snprintf(want, sizeof(want), "ciphers: %s", why);
	load_fails(fx, MINIMAL "ciphers = AES-128-GCM:RC4-SHA\n", -EINVAL, 3,
		   want, NULL);
	load_fails(fx, MINIMAL "ciphers = DES-CBC3-SHA\n", -EINVAL, 3,
		   "ciphers: 'DES-CBC3-SHA': 3DES is refused by policy", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_load_rejects_missing_file),
		T(test_config_load_rejects_directory),
		T(test_config_load_rejects_unknown_key),
		T(test_config_load_rejects_unknown_section),
		T(test_config_load_rejects_bad_number),
		T(test_config_load_rejects_out_of_range),
		T(test_config_load_rejects_bad_values),
		T(test_config_load_rejects_too_many_ids),
		T(test_config_load_rejects_too_many_crls),
		T(test_config_load_refuses_old_versions),
		T(test_config_load_refuses_rc4),
#undef T
	};

	return cmocka_run_group_tests_name("config_values", tests, NULL, NULL);
}
