// SPDX-License-Identifier: MIT
/*
 * test_config_load.c - handshaked's configuration file
 * (handshaked/config*.c): reading valid files: every key of a full file, the
 * defaults and what is derived from them, the INI syntax taken, the edges
 * of ranges.
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

/* hsd_config_load(): valid files -------------------------------------- */

static const char full_conf[] =
	"; handshaked.conf with every key\n"
	"[global]\n"
	"socket = /run/hsd/test.sock\n"
	"socket_mode = 0600\n"
	"socket_group = tls\n"
	"user = hsd\n"
	"workers = 4\n"
	"handshake_timeout = 30\n"
	"max_clients_per_uid = 0\n"
	"log_level = debug\n"
	"session_cache_size = 0\n"
	"session_lifetime = 600\n"
	"ticket_key_file = /etc/hsd/ticket.key\n"
	"ticket_rotation = 60\n"
	"\n"
	"[trust]\n"
	"ca_file = /etc/hsd/ca.pem\n"
	"ca_dir = /etc/hsd/ca.d\n"
	"ca_system = yes\n"
	"crl_file = /etc/hsd/a.crl\n"
	"crl_file = /etc/hsd/b.crl\n"
	"crl_check = no\n"
	"\n"
	"[policy]\n"
	"min_version = 1.3\n"
	"max_version = 1.3\n"
	"ciphers = AES-256-GCM:CHACHA20-POLY1305\n"
	"\n"
	"[identity web]\n"
	"cert = /etc/hsd/web.pem\n"
	"key = /etc/hsd/web.key\n"
	"passphrase_file = /etc/hsd/web.pass\n"
	"\n"
	"[identity mtls]\n"
	"cert = /etc/hsd/client.pem\n"
	"key = /etc/hsd/client.key\n"
	"\n"
	"[profile api]\n"
	"identity = web\n"
	"role = server\n"
	"alpn = h2 , http/1.1\n"
	"verify = require\n"
	"min_version = 1.3\n"
	"max_version = 1.3\n"
	"ciphers = AES-128-GCM\n"
	"\n"
	"[profile out]\n"
	"identity = mtls\n"
	"role = client\n"
	"verify = none-insecure\n"
	"\n"
	"[profile both]\n"
	"identity = web\n"
	"role = any\n"
	"verify = peer\n"
	"\n"
	"[access admins]\n"
	"uid = 0, root, 1000\n"
	"gid = 50, root\n"
	"profiles = api, out\n"
	"roles = server, client\n"
	"\n"
	"[access everyone]\n"
	"uid = *\n"
	"profiles = *\n"
	"roles = client\n";

static void test_config_load_reads_every_key(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, full_conf);
	const struct hsd_identity *id;
	const struct hsd_profile *prof;
	const struct hsd_access *a;

	assert_string_equal(cfg->path, fx->path);
	assert_string_equal(cfg->socket_path, "/run/hsd/test.sock");
	assert_int_equal(cfg->socket_mode, 0600);
	assert_string_equal(cfg->socket_group, "tls");
	assert_string_equal(cfg->user, "hsd");
	assert_int_equal(cfg->workers, 4);
	assert_int_equal(cfg->handshake_timeout, 30);
	assert_int_equal(cfg->max_clients_per_uid, 0);
	assert_int_equal(cfg->log_level, HSD_LOG_DEBUG);
	assert_int_equal(cfg->session_cache_size, 0);
	assert_int_equal(cfg->session_lifetime, 600);
	assert_string_equal(cfg->ticket_key_file, "/etc/hsd/ticket.key");
	assert_int_equal(cfg->ticket_rotation, 60);

	assert_string_equal(cfg->ca_file, "/etc/hsd/ca.pem");
	assert_string_equal(cfg->ca_dir, "/etc/hsd/ca.d");
	assert_true(cfg->ca_system);
	assert_int_equal(cfg->n_crls, 2);
	assert_string_equal(cfg->crl_files[0], "/etc/hsd/a.crl");
	assert_string_equal(cfg->crl_files[1], "/etc/hsd/b.crl");
	assert_false(cfg->crl_check);

	assert_int_equal(cfg->min_version, KTLS_TLS_1_3);
	assert_int_equal(cfg->max_version, KTLS_TLS_1_3);
	assert_string_equal(cfg->ciphers, "AES-256-GCM:CHACHA20-POLY1305");

	/* Identities, in file order. */
	id = cfg->identities;
	assert_non_null(id);
	assert_string_equal(id->name, "web");
	assert_string_equal(id->cert, "/etc/hsd/web.pem");
	assert_string_equal(id->key, "/etc/hsd/web.key");
	assert_string_equal(id->passphrase_file, "/etc/hsd/web.pass");
	id = id->next;
	assert_non_null(id);
	assert_string_equal(id->name, "mtls");
	assert_null(id->passphrase_file);
	assert_null(id->next);
	assert_ptr_equal(hsd_config_identity(cfg, "mtls"), id);

	/* Profiles. */
	prof = cfg->profiles;
	assert_non_null(prof);
	assert_string_equal(prof->name, "api");
	assert_string_equal(prof->identity, "web");
	assert_int_equal(prof->roles, HSD_ROLE_SERVER);
	assert_string_equal(prof->alpn, "h2,http/1.1");
	assert_int_equal(prof->verify, KTLS_VERIFY_REQUIRE);
	assert_int_equal(prof->min_version, KTLS_TLS_1_3);
	assert_int_equal(prof->max_version, KTLS_TLS_1_3);
	assert_string_equal(prof->ciphers, "AES-128-GCM");
	prof = prof->next;
	assert_non_null(prof);
	assert_string_equal(prof->name, "out");
	assert_string_equal(prof->identity, "mtls");
	assert_int_equal(prof->roles, HSD_ROLE_CLIENT);
	assert_null(prof->alpn);
	assert_int_equal(prof->verify, KTLS_VERIFY_NONE_INSECURE);
	assert_int_equal(prof->min_version, 0);
	assert_int_equal(prof->max_version, 0);
	assert_null(prof->ciphers);
	prof = prof->next;
	assert_non_null(prof);
	assert_string_equal(prof->name, "both");
	assert_int_equal(prof->roles, HSD_ROLE_ANY);
	assert_int_equal(prof->verify, KTLS_VERIFY_PEER);
	assert_null(prof->next);
	assert_ptr_equal(hsd_config_profile(cfg, "both"), prof);

	/* Access rules. */
	a = cfg->access;
	assert_non_null(a);
	assert_string_equal(a->name, "admins");
	assert_false(a->any_uid);
	assert_int_equal(a->n_uids, 3);
	assert_int_equal(a->uids[0], 0);
	assert_int_equal(a->uids[1], 0);	/* root, by name */
	assert_int_equal(a->uids[2], 1000);
	assert_int_equal(a->n_gids, 2);
	assert_int_equal(a->gids[0], 50);
	assert_int_equal(a->gids[1], 0);
	assert_false(a->any_profile);
	assert_string_equal(a->profiles, "api,out");
	assert_int_equal(a->roles, HSD_ROLE_ANY);
	a = a->next;
	assert_non_null(a);
	assert_string_equal(a->name, "everyone");
	assert_true(a->any_uid);
	assert_int_equal(a->n_uids, 0);
	assert_int_equal(a->n_gids, 0);
	assert_true(a->any_profile);
	assert_null(a->profiles);
	assert_int_equal(a->roles, HSD_ROLE_CLIENT);
	assert_null(a->next);

	hsd_config_free(cfg);
}

static void test_config_load_applies_defaults(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = load_ok(fx, "[profile c]\n");
	const struct hsd_profile *prof;

	assert_string_equal(cfg->socket_path, HSD_DEFAULT_SOCKET);
	assert_int_equal(cfg->socket_mode, 0660);
	assert_null(cfg->socket_group);
	assert_null(cfg->user);
	assert_int_equal(cfg->workers, 1);
	assert_int_equal(cfg->handshake_timeout, 10);
	assert_int_equal(cfg->max_clients_per_uid, 64);
	assert_int_equal(cfg->log_level, HSD_LOG_NOTICE);
	assert_int_equal(cfg->session_cache_size, 1024);
	assert_int_equal(cfg->session_lifetime, 7200);
	assert_null(cfg->ticket_key_file);
	assert_int_equal(cfg->ticket_rotation, 3600);
	assert_null(cfg->ca_file);
	assert_null(cfg->ca_dir);
	assert_true(cfg->ca_system);		/* neither file nor dir */
	assert_int_equal(cfg->n_crls, 0);
	assert_false(cfg->crl_check);		/* no CRLs */
	assert_int_equal(cfg->min_version, KTLS_TLS_1_2);
	assert_int_equal(cfg->max_version, KTLS_TLS_1_3);
	assert_null(cfg->ciphers);
	assert_null(cfg->identities);
	assert_null(cfg->access);

	/* An empty [profile] section exists, as a client profile. */
	prof = cfg->profiles;
	assert_non_null(prof);
	assert_string_equal(prof->name, "c");
	assert_string_equal(prof->identity, "");
	assert_int_equal(prof->roles, HSD_ROLE_CLIENT);
	assert_null(prof->alpn);
	assert_int_equal(prof->verify, -1);
	assert_int_equal(prof->min_version, 0);
	assert_int_equal(prof->max_version, 0);
	assert_null(prof->ciphers);
	assert_null(prof->next);
	hsd_config_free(cfg);
}

/* Defaults that follow from other keys. */
static void test_config_load_derives_defaults(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg;

	cfg = load_ok(fx, "[trust]\n"
			  "ca_file = /ca.pem\n"
			  "crl_file = /a.crl\n"
			  "[identity w]\n"
			  "cert = /w.pem\n"
			  "key = /w.key\n"
			  "[profile s]\n"
			  "identity = w\n"
			  "[access r]\n"
			  "gid = 7\n"
			  "profiles = s\n");
	assert_false(cfg->ca_system);	/* a CA file is given */
	assert_true(cfg->crl_check);	/* CRLs are given */
	/* A profile with an identity may serve and be a client. */
	assert_int_equal(cfg->profiles->roles, HSD_ROLE_ANY);
	/* A rule without roles allows both. */
	assert_int_equal(cfg->access->roles, HSD_ROLE_ANY);
	hsd_config_free(cfg);

	/* Explicit values win over derived ones. */
	cfg = load_ok(fx, "[trust]\n"
			  "ca_dir = /ca.d\n"
			  "ca_system = true\n"
			  "crl_file = /a.crl\n"
			  "crl_check = 0\n"
			  MINIMAL);
	assert_true(cfg->ca_system);
	assert_false(cfg->crl_check);
	hsd_config_free(cfg);

	/* Even the system store can be turned off: no trust at all. */
	cfg = load_ok(fx, "[trust]\nca_system = No\n" MINIMAL);
	assert_false(cfg->ca_system);
	hsd_config_free(cfg);
}

/* Comments, blank lines, spacing, CRLF, ':' for '=', a BOM, case. */
static void test_config_load_accepts_ini_syntax(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg;

	cfg = load_ok(fx, "\xEF\xBB\xBF; comment\n"
			  "# another comment\n"
			  "\n"
			  "[ global ]   ; a comment after the header\r\n"
			  "   workers=2\r\n"
			  "handshake_timeout : 5 ; inline comment\n"
			  "log_level = INFO\n"
			  "[  profile   p.1_x-y  ]\n"
			  "role = CLIENT\n"
			  "\n");
	assert_int_equal(cfg->workers, 2);
	assert_int_equal(cfg->handshake_timeout, 5);
	assert_int_equal(cfg->log_level, HSD_LOG_INFO);
	assert_non_null(hsd_config_profile(cfg, "p.1_x-y"));
	hsd_config_free(cfg);
}

/* The edges of every range are accepted. */
static void test_config_load_accepts_range_edges(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg;

	cfg = load_ok(fx, "[global]\n"
			  "workers = 64\n"
			  "handshake_timeout = 3600\n"
			  "max_clients_per_uid = 1000000\n"
			  "session_cache_size = 1000000\n"
			  "session_lifetime = 604800\n"
			  "ticket_rotation = 604800\n"
			  "socket_mode = 0\n"
			  MINIMAL);
	assert_int_equal(cfg->workers, 64);
	assert_int_equal(cfg->handshake_timeout, 3600);
	assert_int_equal(cfg->max_clients_per_uid, 1000000);
	assert_int_equal(cfg->session_cache_size, 1000000);
	assert_int_equal(cfg->session_lifetime, 604800);
	assert_int_equal(cfg->ticket_rotation, 604800);
	assert_int_equal(cfg->socket_mode, 0);
	hsd_config_free(cfg);

	cfg = load_ok(fx, "[global]\n"
			  "workers = 1\n"
			  "handshake_timeout = 1\n"
			  "session_lifetime = 1\n"
			  "socket_mode = 777\n"
			  "[trust]\n"
			  "crl_file = /1\ncrl_file = /2\ncrl_file = /3\n"
			  "crl_file = /4\ncrl_file = /5\ncrl_file = /6\n"
			  "crl_file = /7\ncrl_file = /8\n"
			  "[policy]\n"
			  "min_version = 1.2\n"
			  "max_version = 1.2\n"
			  MINIMAL);
	assert_int_equal(cfg->workers, 1);
	assert_int_equal(cfg->socket_mode, 0777);
	assert_int_equal(cfg->n_crls, HSD_MAX_CRLS);
	assert_string_equal(cfg->crl_files[7], "/8");
	assert_int_equal(cfg->min_version, KTLS_TLS_1_2);
	assert_int_equal(cfg->max_version, KTLS_TLS_1_2);
	hsd_config_free(cfg);
}

static void test_config_load_tolerates_null_err(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = SENTINEL;
	char err[8];

	write_conf(fx, MINIMAL);
	assert_int_equal(hsd_config_load(fx->path, &cfg, NULL, 0), 0);
	hsd_config_free(cfg);

	/* A failure with no room for the message, or a small room. */
	write_conf(fx, "[bogus]\n");
	cfg = SENTINEL;
	assert_int_equal(hsd_config_load(fx->path, &cfg, NULL, 0), -EINVAL);
	assert_ptr_equal(cfg, SENTINEL);
	memset(err, 'z', sizeof(err));
	assert_int_equal(hsd_config_load(fx->path, &cfg, err, 4), -EINVAL);
	assert_int_equal(strlen(err), 3);
	assert_int_equal(err[4], 'z');
	assert_ptr_equal(cfg, SENTINEL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_config_load_reads_every_key),
		T(test_config_load_applies_defaults),
		T(test_config_load_derives_defaults),
		T(test_config_load_accepts_ini_syntax),
		T(test_config_load_accepts_range_edges),
		T(test_config_load_tolerates_null_err),
#undef T
	};

	return cmocka_run_group_tests_name("config_load", tests, NULL, NULL);
}
