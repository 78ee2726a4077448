// SPDX-License-Identifier: MIT
/*
 * test_config.c - handshaked's configuration file (handshaked/config.c):
 * every key of a full file, the defaults, each kind of error with the
 * line and key it names, and the access rules of hsd_config_allows().
 *
 * Each test writes a small INI file into a directory made by mkdtemp().
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

#include "handshaked.h"
#include "helpers.h"
#include "ktls_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What hsd_config_load() must leave alone when it fails. */
#define SENTINEL ((struct hsd_config *)0x5a5a5a5a)

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_config.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof(fx->path), "%s/handshaked.conf", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Assert that @s contains @sub, printing both when it does not. */
static void assert_contains(const char *s, const char *sub)
{
	if (!strstr(s, sub))
		fail_msg("'%s' does not contain '%s'", s, sub);
}

static void write_conf(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Load @text, which must be valid. */
static struct hsd_config *load_ok(struct fixture *fx, const char *text)
{
	struct hsd_config *cfg = NULL;
	char err[512] = "unchanged";
	int ret;

	write_conf(fx, text);
	ret = hsd_config_load(fx->path, &cfg, err, sizeof(err));
	if (ret != 0)
		fail_msg("load failed (%d): %s", ret, err);
	assert_non_null(cfg);
	assert_string_equal(err, "");
	return cfg;
}

/*
 * Load @text, which must fail with @want_ret, leave the result alone and
 * say "PATH:LINE: " (or "PATH: " for line 0) and then @what, then @more
 * somewhere after it when not NULL.
 */
static void load_fails(struct fixture *fx, const char *text, int want_ret,
		       unsigned int line, const char *what, const char *more)
{
	struct hsd_config *cfg = SENTINEL;
	char err[512] = "";
	char prefix[256];
	int ret;

	write_conf(fx, text);
	ret = hsd_config_load(fx->path, &cfg, err, sizeof(err));
	if (ret != want_ret)
		fail_msg("load returned %d, want %d: '%s'\n--- file:\n%s", ret,
			 want_ret, err, text);
	assert_ptr_equal(cfg, SENTINEL);
	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", fx->path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", fx->path);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", err, prefix);
	assert_contains(err + strlen(prefix), what);
	if (more)
		assert_contains(err + strlen(prefix), more);
}

/* The smallest valid file: one client profile. */
#define MINIMAL "[profile c]\nrole = client\n"

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
	assert_contains(err, "No such file");
}

static void test_config_load_rejects_directory(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = SENTINEL;
	char err[512];

	assert_int_equal(hsd_config_load(fx->dir, &cfg, err, sizeof(err)),
			 -EISDIR);
	assert_ptr_equal(cfg, SENTINEL);
	assert_contains(err, "cannot read");
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
	assert_contains(why, "RC4 is refused by policy");
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
		T(test_config_load_reads_every_key),
		T(test_config_load_applies_defaults),
		T(test_config_load_derives_defaults),
		T(test_config_load_accepts_ini_syntax),
		T(test_config_load_accepts_range_edges),
		T(test_config_load_tolerates_null_err),
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
		T(test_config_load_rejects_duplicate_section),
		T(test_config_load_rejects_duplicate_key),
		T(test_config_load_rejects_bad_syntax),
		T(test_config_load_rejects_missing_identity),
		T(test_config_load_rejects_server_without_identity),
		T(test_config_load_rejects_access_to_missing_profile),
		T(test_config_load_rejects_inconsistent_file),
		T(test_config_allows_matching_uid),
		T(test_config_allows_matching_gid),
		T(test_config_allows_wildcards),
		T(test_config_allows_refuses_wrong_role),
		T(test_config_allows_refuses_wrong_profile),
		T(test_config_may_read_counters_only_with_a_rule),
		T(test_config_lookups_find_by_name),
#undef T
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
