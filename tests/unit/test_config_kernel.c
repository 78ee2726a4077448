// SPDX-License-Identifier: MIT
/*
 * test_config_kernel.c - handshaked.conf(5)'s [kernel] section: the kernel
 * agent's switch, the profiles it uses for each role and the keyrings it
 * links; what the section refuses (unknown or wrongly-roled profiles, an
 * agent with no profile, a second [kernel], a name after it, bad values).
 */
#include <errno.h>

#include "config_fixture.h"

#define IDENT "[identity s]\ncert = /s.pem\nkey = /s.key\n"
#define SERVER "[profile srv]\nidentity = s\nrole = server\n"

static void test_config_kernel_defaults_off(void **state)
{
	struct hsd_config *cfg = load_ok(*state, MINIMAL);

	assert_false(cfg->kernel_enable);
	assert_string_equal(cfg->kernel_client, "");
	assert_string_equal(cfg->kernel_server, "");
	assert_null(cfg->kernel_keyrings);
	hsd_config_free(cfg);
}

static void test_config_kernel_reads_every_key(void **state)
{
	struct hsd_config *cfg = load_ok(*state, MINIMAL IDENT SERVER
					 "[kernel]\n"
					 "enable = yes\n"
					 "client = c\n"
					 "server = srv\n"
					 "keyrings = .nfs, .nvme\n");

	assert_true(cfg->kernel_enable);
	assert_string_equal(cfg->kernel_client, "c");
	assert_string_equal(cfg->kernel_server, "srv");
	assert_string_equal(cfg->kernel_keyrings, ".nfs, .nvme");
	hsd_config_free(cfg);
}

/* One role is enough; the section may come before the profiles. */
static void test_config_kernel_one_role_any_order(void **state)
{
	struct hsd_config *cfg = load_ok(*state, "[kernel]\nenable = yes\n"
					 "client = c\n" MINIMAL);

	assert_true(cfg->kernel_enable);
	assert_string_equal(cfg->kernel_server, "");
	hsd_config_free(cfg);
}

static void test_config_kernel_rejects_enable_without_profile(void **state)
{
	load_fails(*state, MINIMAL "[kernel]\nenable = yes\n", -EINVAL, 0,
		   "[kernel] enable = yes needs client = PROFILE", NULL);
}

static void test_config_kernel_rejects_missing_profile(void **state)
{
	load_fails(*state, MINIMAL "[kernel]\nenable = yes\nclient = nope\n",
		   -EINVAL, 0, "[kernel] client names profile 'nope', but "
		   "there is no [profile nope]", NULL);
	/* Checked even while the agent is off: a typo waits otherwise. */
	load_fails(*state, MINIMAL "[kernel]\nserver = gone\n", -EINVAL, 0,
		   "[kernel] server names profile 'gone'", NULL);
}

static void test_config_kernel_rejects_wrong_role(void **state)
{
	/* A client-only profile cannot serve. */
	load_fails(*state, MINIMAL "[kernel]\nenable = yes\nserver = c\n",
		   -EINVAL, 0, "[kernel] server names profile 'c', which does "
		   "not allow the server role", NULL);
	load_fails(*state, MINIMAL IDENT SERVER
		   "[kernel]\nenable = yes\nclient = srv\n", -EINVAL, 0,
		   "which does not allow the client role", NULL);
}

static void test_config_kernel_rejects_bad_values(void **state)
{
	load_fails(*state, MINIMAL "[kernel]\nenable = maybe\n", -EINVAL, 4,
		   "enable: expected yes or no", NULL);
	load_fails(*state, MINIMAL "[kernel]\nclient = a/b\n", -EINVAL, 4,
		   "client: expected the name of a [profile NAME] section",
		   NULL);
	load_fails(*state, MINIMAL "[kernel]\nkeyrings = a,,b\n", -EINVAL, 0,
		   "[kernel] keyrings: an empty", NULL);
	load_fails(*state, MINIMAL "[kernel]\nkeyrings = a\tb\n", -EINVAL, 4,
		   "keyrings: expected keyring names", NULL);
	load_fails(*state, MINIMAL "[kernel]\nport = 1\n", -EINVAL, 4,
		   "unknown key 'port' in [kernel]",
		   "enable, client, server, keyrings");
}

static void test_config_kernel_rejects_twice_or_named(void **state)
{
	load_fails(*state, MINIMAL "[kernel]\n[kernel]\n", -EINVAL, 4,
		   "duplicate section [kernel]", NULL);
	load_fails(*state, MINIMAL "[kernel nfs]\n", -EINVAL, 3,
		   "[kernel] takes no name, not 'nfs'", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_kernel_defaults_off),
		T(test_config_kernel_reads_every_key),
		T(test_config_kernel_one_role_any_order),
		T(test_config_kernel_rejects_enable_without_profile),
		T(test_config_kernel_rejects_missing_profile),
		T(test_config_kernel_rejects_wrong_role),
		T(test_config_kernel_rejects_bad_values),
		T(test_config_kernel_rejects_twice_or_named),
#undef T
	};

	return cmocka_run_group_tests_name("config_kernel", tests, NULL, NULL);
}
