// SPDX-License-Identifier: MIT
/*
 * test_config_access.c - handshaked's configuration file
 * (handshaked/config*.c): the access rules of hsd_config_allows() and
 * hsd_config_may_read_counters(), and the lookups by name.
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

/* hsd_config_allows() ------------------------------------------------- */

static const char rules_conf[] =
	"[identity w]\n"
	"cert = /w.pem\n"
	"key = /w.key\n"
	"[profile web]\n"
	"identity = w\n"
	"role = server\n"
	"[profile out]\n"
	"role = client\n"
	"[profile dual]\n"
	"identity = w\n"
	"[profile unused]\n"
	"role = client\n"
	"[access by-uid]\n"
	"uid = 1000, 1001\n"
	"profiles = web, out\n"
	"roles = server\n"
	"[access by-gid]\n"
	"gid = 2000\n"
	"profiles = out\n"
	"roles = client\n"
	"[access anyone]\n"
	"uid = *\n"
	"profiles = dual\n"
	"roles = client\n"
	"[access root]\n"
	"uid = 0\n"
	"profiles = *\n";

static void test_config_allows_matching_uid(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	assert_true(hsd_config_allows(cfg, 1000, 5, "web", KTLS_ROLE_SERVER));
	assert_true(hsd_config_allows(cfg, 1001, 5, "web", KTLS_ROLE_SERVER));
	/* Failure sibling: another uid, no rule. */
	assert_false(hsd_config_allows(cfg, 1002, 5, "web",
				       KTLS_ROLE_SERVER));
	/* The uid of a rule matches, not its gid. */
	assert_false(hsd_config_allows(cfg, 5, 1000, "web",
				       KTLS_ROLE_SERVER));
	hsd_config_free(cfg);
}

static void test_config_allows_matching_gid(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	assert_true(hsd_config_allows(cfg, 4242, 2000, "out",
				      KTLS_ROLE_CLIENT));
	assert_false(hsd_config_allows(cfg, 4242, 2001, "out",
				       KTLS_ROLE_CLIENT));
	/* The gid of a rule is not a uid. */
	assert_false(hsd_config_allows(cfg, 2000, 4242, "out",
				       KTLS_ROLE_CLIENT));
	hsd_config_free(cfg);
}

static void test_config_allows_wildcards(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	/* uid = *: anybody, for what the rule lists. */
	assert_true(hsd_config_allows(cfg, 31337, 31337, "dual",
				      KTLS_ROLE_CLIENT));
	assert_false(hsd_config_allows(cfg, 31337, 31337, "out",
				       KTLS_ROLE_CLIENT));
	/* profiles = *: every profile, in every role it allows. */
	assert_true(hsd_config_allows(cfg, 0, 0, "web", KTLS_ROLE_SERVER));
	assert_true(hsd_config_allows(cfg, 0, 0, "unused", KTLS_ROLE_CLIENT));
	assert_true(hsd_config_allows(cfg, 0, 0, "dual", KTLS_ROLE_SERVER));
	assert_true(hsd_config_allows(cfg, 0, 0, "dual", KTLS_ROLE_CLIENT));
	hsd_config_free(cfg);
}

static void test_config_allows_refuses_wrong_role(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	/* The rule allows server only. */
	assert_false(hsd_config_allows(cfg, 1000, 5, "out",
				       KTLS_ROLE_CLIENT));
	/* The rule allows client only. */
	assert_false(hsd_config_allows(cfg, 31337, 5, "dual",
				       KTLS_ROLE_SERVER));
	/* The profile itself allows client only, whatever the rule says. */
	assert_false(hsd_config_allows(cfg, 0, 0, "out", KTLS_ROLE_SERVER));
	assert_false(hsd_config_allows(cfg, 0, 0, "web", KTLS_ROLE_CLIENT));
	/* Not a role. */
	assert_false(hsd_config_allows(cfg, 0, 0, "dual", (enum ktls_role)0));
	assert_false(hsd_config_allows(cfg, 0, 0, "dual", (enum ktls_role)3));
	hsd_config_free(cfg);
}

/* Counters: root, and every uid or gid some access rule names; nobody
 * else learns how busy the daemon is or why handshakes fail. */
static void test_config_may_read_counters_only_with_a_rule(void **state)
{
	static const char conf[] =
		"[identity w]\n"
		"cert = /w.pem\n"
		"key = /w.key\n"
		"[profile web]\n"
		"identity = w\n"
		"role = server\n"
		"[access by-uid]\n"
		"uid = 1000\n"
		"profiles = web\n"
		"[access by-gid]\n"
		"gid = 2000\n"
		"profiles = web\n";
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, conf);

	assert_true(hsd_config_may_read_counters(cfg, 0, 0));
	assert_true(hsd_config_may_read_counters(cfg, 1000, 5));
	assert_true(hsd_config_may_read_counters(cfg, 4242, 2000));
	assert_false(hsd_config_may_read_counters(cfg, 1002, 5));
	assert_false(hsd_config_may_read_counters(cfg, 65534, 65534));
	assert_false(hsd_config_may_read_counters(NULL, 0, 0));
	hsd_config_free(cfg);
}

static void test_config_allows_refuses_wrong_profile(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	/* A profile the rule does not list. */
	assert_false(hsd_config_allows(cfg, 1000, 5, "dual",
				       KTLS_ROLE_SERVER));
	/* A profile that does not exist, even for profiles = *. */
	assert_false(hsd_config_allows(cfg, 0, 0, "nope", KTLS_ROLE_CLIENT));
	assert_false(hsd_config_allows(cfg, 0, 0, "", KTLS_ROLE_CLIENT));
	assert_false(hsd_config_allows(cfg, 0, 0, NULL, KTLS_ROLE_CLIENT));
	/* A prefix or a list of names is not a name. */
	assert_false(hsd_config_allows(cfg, 1000, 5, "we", KTLS_ROLE_SERVER));
	assert_false(hsd_config_allows(cfg, 1000, 5, "web,out",
				       KTLS_ROLE_SERVER));
	assert_false(hsd_config_allows(NULL, 0, 0, "web", KTLS_ROLE_SERVER));
	hsd_config_free(cfg);
}

/* Lookups and free ---------------------------------------------------- */

static void test_config_lookups_find_by_name(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, rules_conf);

	assert_non_null(hsd_config_identity(cfg, "w"));
	assert_null(hsd_config_identity(cfg, "web"));
	assert_null(hsd_config_identity(cfg, NULL));
	assert_null(hsd_config_identity(NULL, "w"));
	assert_string_equal(hsd_config_profile(cfg, "out")->name, "out");
	assert_null(hsd_config_profile(cfg, "w"));
	assert_null(hsd_config_profile(NULL, "out"));
	hsd_config_free(cfg);
	hsd_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_allows_matching_uid),
		T(test_config_allows_matching_gid),
		T(test_config_allows_wildcards),
		T(test_config_allows_refuses_wrong_role),
		T(test_config_may_read_counters_only_with_a_rule),
		T(test_config_allows_refuses_wrong_profile),
		T(test_config_lookups_find_by_name),
#undef T
	};

	return cmocka_run_group_tests_name("config_access", tests, NULL, NULL);
}
