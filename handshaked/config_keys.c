// SPDX-License-Identifier: MIT
/*
 * config_keys.c - handshaked.conf(5)'s keys: the table of every key of
 * every kind of section, and the setters that check a value and store
 * it (config.c calls them for each "key = value" line it reads).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "config_int.h"

/* Setters: each checks @v and stores it in @field, or fails. ----------- */

static int store_string(struct parser *p, char **field, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return hsd_cfg_no_memory(p);
	free(*field);
	*field = s;
	return 0;
}

static int set_path(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	if (v[0] != '/')
		return hsd_cfg_fail(p, -EINVAL, "%s: expected an absolute "
				    "path, not '%s'", k->name, v);
	return store_string(p, field, v);
}

static int set_socket(struct parser *p, const struct key *k, void *field,
		      const char *v)
{
	struct sockaddr_un sun;

	if (v[0] != '/' || strlen(v) >= sizeof(sun.sun_path))
		return hsd_cfg_fail(p, -EINVAL, "%s: expected an absolute path "
				    "shorter than %zu bytes, not '%s'", k->name,
				    sizeof(sun.sun_path), v);
	return store_string(p, field, v);
}

static int set_crl(struct parser *p, const struct key *k, void *field,
		   const char *v)
{
	struct hsd_config *cfg = p->cfg;
	int ret;

	(void)field;
	if (cfg->n_crls == HSD_MAX_CRLS)
		return hsd_cfg_fail(p, -EINVAL, "%s: at most %d CRL files may "
				    "be given", k->name, HSD_MAX_CRLS);
	ret = set_path(p, k, &cfg->crl_files[cfg->n_crls], v);
	if (ret < 0)
		return ret;
	cfg->n_crls++;
	return 0;
}

/* A user or group name: one word. */
static int set_word(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (isspace((unsigned char)v[i]) || v[i] == ',')
			break;
	if (!i || v[i])
		return hsd_cfg_fail(p, -EINVAL, "%s: expected one user or "
				    "group name, not '%s'", k->name, v);
	return store_string(p, field, v);
}

/* A decimal number, digits only, at most @max. */
static bool parse_number(const char *v, unsigned long max,
			 unsigned long *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return false;
	*out = n;
	return true;
}

static int set_uint(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	unsigned long n;

	if (!parse_number(v, k->max, &n) || n < k->min)
		return hsd_cfg_fail(p, -EINVAL, "%s: expected a whole number "
				    "from %u to %u, not '%s'", k->name, k->min,
				    k->max, v);
	*(unsigned int *)field = (unsigned int)n;
	return 0;
}

static int set_mode(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(v, &end, 8);
	if (!*v || strspn(v, "01234567") != strlen(v) || errno || *end ||
	    n > 0777)
		return hsd_cfg_fail(p, -EINVAL, "%s: expected an octal "
				    "permission mode from 0 to 0777, such as "
				    "0660, not '%s'", k->name, v);
	*(mode_t *)field = (mode_t)n;
	return 0;
}

static int set_bool(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcmp(v, "1")) {
		*(bool *)field = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcmp(v, "0")) {
		*(bool *)field = false;
		return 0;
	}
	return hsd_cfg_fail(p, -EINVAL, "%s: expected yes or no (true/false, "
			    "1/0), not '%s'", k->name, v);
}

static int set_log_level(struct parser *p, const struct key *k, void *field,
			 const char *v)
{
	static const char *const levels[] = {
		[HSD_LOG_ERROR] = "error",
		[HSD_LOG_NOTICE] = "notice",
		[HSD_LOG_INFO] = "info",
		[HSD_LOG_DEBUG] = "debug",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		if (!strcasecmp(v, levels[i])) {
			*(enum hsd_log_level *)field = (enum hsd_log_level)i;
			return 0;
		}
	}
	return hsd_cfg_fail(p, -EINVAL, "%s: expected error, notice, info or "
			    "debug, not '%s'", k->name, v);
}

static struct ktls_ctx *scratch_ctx(struct parser *p)
{
	if (!p->scratch)
		p->scratch = ktls_ctx_new();
	return p->scratch;
}

/*
 * "1.2" or "1.3".  Older versions are named so that the refusal can give
 * libktls's reason, from the same check the library applies.
 */
static int set_version(struct parser *p, const struct key *k, void *field,
		       const char *v)
{
	static const struct {
		const char *name;
		long version;
	} names[] = {
		{ "1.2", KTLS_TLS_1_2 },
		{ "1.3", KTLS_TLS_1_3 },
		{ "1.1", 0x0302 },
		{ "1.0", 0x0301 },
		{ "ssl3", 0x0300 },
		{ "sslv3", 0x0300 },
		{ "ssl2", 0x0002 },
		{ "sslv2", 0x0002 },
	};
	struct ktls_ctx *ctx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(v, names[i].name))
			break;
	if (i == ARRAY_SIZE(names))
		return hsd_cfg_fail(p, -EINVAL, "%s: expected 1.2 or 1.3, not "
				    "'%s'", k->name, v);
	ctx = scratch_ctx(p);
	if (!ctx)
		return hsd_cfg_no_memory(p);
	if (ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN, names[i].version) < 0)
		return hsd_cfg_fail(p, -EINVAL, "%s: %s; use 1.2 or 1.3",
				    k->name, ktls_ctx_errstr(ctx));
	*(uint16_t *)field = (uint16_t)names[i].version;
	return 0;
}

static int set_ciphers(struct parser *p, const struct key *k, void *field,
		       const char *v)
{
	struct ktls_ctx *ctx = scratch_ctx(p);

	if (!ctx)
		return hsd_cfg_no_memory(p);
	if (ktls_ctx_set_ciphers(ctx, v) < 0)
		return hsd_cfg_fail(p, -EINVAL, "%s: %s", k->name,
				    ktls_ctx_errstr(ctx));
	return store_string(p, field, v);
}

/* Stored without the spaces around names: "h2,http/1.1". */
static int set_alpn(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	struct ktls_ctx *ctx;
	char list[256], item[256];
	const char *s = v;
	size_t used = 0;
	int len;

	while ((len = hsd_cfg_list_next(&s, item, sizeof(item))) >= 0) {
		if (len == 0 || used + (size_t)len + 2 > sizeof(list))
			return hsd_cfg_fail(p, -EINVAL, "%s: expected protocol "
					    "names separated by commas (255 "
					    "bytes in all), such as 'h2, "
					    "http/1.1', not '%s'", k->name, v);
		if (used)
			list[used++] = ',';
		memcpy(list + used, item, (size_t)len);
		used += (size_t)len;
	}
	if (len != -1)
		return hsd_cfg_fail(p, -EINVAL, "%s: the list is longer than "
				    "255 bytes", k->name);
	list[used] = '\0';
	ctx = scratch_ctx(p);
	if (!ctx)
		return hsd_cfg_no_memory(p);
	if (ktls_ctx_set_alpn(ctx, list) < 0)
		return hsd_cfg_fail(p, -EINVAL, "%s: %s", k->name,
				    ktls_ctx_errstr(ctx));
	return store_string(p, field, list);
}

/* [profile] identity = NAME, checked to exist once the file is read. */
static int set_name(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	if (!hsd_cfg_valid_name(v))
		return hsd_cfg_fail(p, -EINVAL, "%s: expected the name of an "
				    "[identity NAME] section (" NAME_RULE "), "
				    "not '%s'", k->name, v);
	strcpy(field, v);
	return 0;
}

static int parse_role(const char *v, unsigned int *roles)
{
	if (!strcasecmp(v, "client"))
		*roles |= HSD_ROLE_CLIENT;
	else if (!strcasecmp(v, "server"))
		*roles |= HSD_ROLE_SERVER;
	else if (!strcasecmp(v, "any"))
		*roles |= HSD_ROLE_ANY;
	else
		return -EINVAL;
	return 0;
}

static int set_role(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	unsigned int roles = 0;

	if (parse_role(v, &roles) < 0)
		return hsd_cfg_fail(p, -EINVAL, "%s: expected client, server "
				    "or any, not '%s'", k->name, v);
	*(unsigned int *)field = roles;
	return 0;
}

static int set_roles(struct parser *p, const struct key *k, void *field,
		     const char *v)
{
	unsigned int roles = 0;
	const char *s = v;
	char item[16];
	int len;

	while ((len = hsd_cfg_list_next(&s, item, sizeof(item))) != -1) {
		if (len <= 0 || parse_role(item, &roles) < 0)
			return hsd_cfg_fail(p, -EINVAL, "%s: expected client, "
					    "server or any, or a "
					    "comma-separated list of them, not "
					    "'%s'", k->name, v);
	}
	*(unsigned int *)field = roles;
	return 0;
}

static int set_verify(struct parser *p, const struct key *k, void *field,
		      const char *v)
{
	static const char *const modes[] = {
		[KTLS_VERIFY_DEFAULT] = "default",
		[KTLS_VERIFY_PEER] = "peer",
		[KTLS_VERIFY_REQUIRE] = "require",
		[KTLS_VERIFY_NONE_INSECURE] = "none-insecure",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcasecmp(v, modes[i])) {
			*(int *)field = (int)i;
			return 0;
		}
	}
	if (!strcasecmp(v, "none"))
		return hsd_cfg_fail(p, -EINVAL, "%s: 'none' is spelled "
				    "'none-insecure': it accepts any "
				    "certificate", k->name);
	return hsd_cfg_fail(p, -EINVAL, "%s: expected default, peer, require "
			    "or none-insecure, not '%s'", k->name, v);
}

/*
 * uid = and gid =: numbers or names, comma-separated; uid = * alone
 * matches every client.  Names are resolved now, once.
 */
static int set_ids(struct parser *p, const struct key *k, bool is_uid,
		   unsigned int *n_ids, uint32_t *ids, const char *v)
{
	struct hsd_access *a = p->obj;
	const char *what = is_uid ? "user" : "group";
	const char *s = v;
	unsigned int n = 0;
	char item[256];
	int len;

	if (!strcmp(v, "*")) {
		if (!is_uid)
			return hsd_cfg_fail(p, -EINVAL, "%s: '*' is for uid "
					    "only (uid = * matches every "
					    "client)", k->name);
		a->any_uid = true;
		return 0;
	}
	while ((len = hsd_cfg_list_next(&s, item, sizeof(item))) != -1) {
		unsigned long id;

		if (len <= 0 || !strcmp(item, "*"))
			return hsd_cfg_fail(p, -EINVAL, "%s: expected %s names "
					    "or numbers separated by commas%s, "
					    "not '%s'", k->name, what,
					    is_uid ? ", or *" : "", v);
		if (n == HSD_MAX_IDS)
			return hsd_cfg_fail(p, -EINVAL, "%s: at most %d %ss in "
					    "one rule", k->name, HSD_MAX_IDS,
					    what);
		if (isdigit((unsigned char)item[0])) {
			/* (uid_t)-1 is nobody's: chown(2) reads it as
			 * "leave as is". */
			if (!parse_number(item, UINT32_MAX - 1, &id))
				return hsd_cfg_fail(p, -EINVAL, "%s: '%s' is "
						    "not a %s name or a number "
						    "below 4294967295", k->name,
						    item, what);
		} else if (is_uid) {
			struct passwd *pw;

			errno = 0;
			pw = getpwnam(item);
			if (!pw)
				return hsd_cfg_fail(p, -EINVAL,
						    "%s: %s '%s'%s%s", k->name,
						    errno ?
						    "cannot look up user" :
						    "no user named", item,
						    errno ? ": " : "",
						    errno ? strerror(errno) :
						    "");
			id = pw->pw_uid;
		} else {
			struct group *gr;

			errno = 0;
			gr = getgrnam(item);
			if (!gr)
				return hsd_cfg_fail(p, -EINVAL,
						    "%s: %s '%s'%s%s", k->name,
						    errno ?
						    "cannot look up group" :
						    "no group named", item,
						    errno ? ": " : "",
						    errno ? strerror(errno) :
						    "");
			id = gr->gr_gid;
		}
		ids[n++] = (uint32_t)id;
	}
	*n_ids = n;
	return 0;
}

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is 32 bits");
_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");

static int set_uids(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	struct hsd_access *a = p->obj;

	(void)field;
	return set_ids(p, k, true, &a->n_uids, (uint32_t *)a->uids, v);
}

static int set_gids(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	struct hsd_access *a = p->obj;

	(void)field;
	return set_ids(p, k, false, &a->n_gids, (uint32_t *)a->gids, v);
}

/* profiles = * or names; stored without spaces, checked at the end. */
static int set_profiles(struct parser *p, const struct key *k, void *field,
			const char *v)
{
	struct hsd_access *a = p->obj;
	char item[HSD_MAX_NAME];
	const char *s = v;
	char *list;
	size_t used = 0;
	int len;

	(void)field;
	if (!strcmp(v, "*")) {
		a->any_profile = true;
		return 0;
	}
	list = malloc(strlen(v) + 1);
	if (!list)
		return hsd_cfg_no_memory(p);
	while ((len = hsd_cfg_list_next(&s, item, sizeof(item))) != -1) {
		if (len < 0 || !hsd_cfg_valid_name(item)) {
			free(list);
			return hsd_cfg_fail(p, -EINVAL, "%s: expected profile "
					    "names (" NAME_RULE ") separated "
					    "by commas, or *, not '%s'",
					    k->name, v);
		}
		if (hsd_cfg_list_has(used ? list : "", item))
			continue;
		if (used)
			list[used++] = ',';
		memcpy(list + used, item, (size_t)len);
		used += (size_t)len;
		list[used] = '\0';
	}
	free(a->profiles);
	a->profiles = list;
	return 0;
}

#define G(f) offsetof(struct hsd_config, f)
#define I(f) offsetof(struct hsd_identity, f)
#define P(f) offsetof(struct hsd_profile, f)

const struct key hsd_cfg_keys[] = {
	{ SECT_GLOBAL, "socket", set_socket, G(socket_path), 0, 0, false },
	{ SECT_GLOBAL, "socket_mode", set_mode, G(socket_mode), 0, 0, false },
	{ SECT_GLOBAL, "socket_group", set_word, G(socket_group), 0, 0,
	  false },
	{ SECT_GLOBAL, "user", set_word, G(user), 0, 0, false },
	{ SECT_GLOBAL, "workers", set_uint, G(workers), 1, 64, false },
	{ SECT_GLOBAL, "handshake_timeout", set_uint, G(handshake_timeout),
	  1, 3600, false },
	{ SECT_GLOBAL, "max_clients_per_uid", set_uint,
	  G(max_clients_per_uid), 0, 1000000, false },
	{ SECT_GLOBAL, "log_level", set_log_level, G(log_level), 0, 0,
	  false },
	{ SECT_GLOBAL, "session_cache_size", set_uint,
	  G(session_cache_size), 0, 1000000, false },
	{ SECT_GLOBAL, "session_lifetime", set_uint, G(session_lifetime),
	  1, 604800, false },
	{ SECT_GLOBAL, "ticket_key_file", set_path, G(ticket_key_file), 0, 0,
	  false },
	{ SECT_GLOBAL, "ticket_rotation", set_uint, G(ticket_rotation),
	  60, 604800, false },

	{ SECT_TRUST, "ca_file", set_path, G(ca_file), 0, 0, false },
	{ SECT_TRUST, "ca_dir", set_path, G(ca_dir), 0, 0, false },
	{ SECT_TRUST, "ca_system", set_bool, G(ca_system), 0, 0, false },
	{ SECT_TRUST, "crl_file", set_crl, 0, 0, 0, true },
	{ SECT_TRUST, "crl_check", set_bool, G(crl_check), 0, 0, false },

	{ SECT_POLICY, "min_version", set_version, G(min_version), 0, 0,
	  false },
	{ SECT_POLICY, "max_version", set_version, G(max_version), 0, 0,
	  false },
	{ SECT_POLICY, "ciphers", set_ciphers, G(ciphers), 0, 0, false },

	{ SECT_KERNEL, "enable", set_bool, G(kernel_enable), 0, 0, false },
	{ SECT_KERNEL, "client", hsd_cfg_set_profile, G(kernel_client), 0, 0,
	  false },
	{ SECT_KERNEL, "server", hsd_cfg_set_profile, G(kernel_server), 0, 0,
	  false },
	{ SECT_KERNEL, "keyrings", hsd_cfg_set_keyrings, G(kernel_keyrings),
	  0, 0, false },

	{ SECT_IDENTITY, "cert", set_path, I(cert), 0, 0, false },
	{ SECT_IDENTITY, "key", set_path, I(key), 0, 0, false },
	{ SECT_IDENTITY, "passphrase_file", set_path, I(passphrase_file), 0,
	  0, false },

	{ SECT_PROFILE, "identity", set_name, P(identity), 0, 0, false },
	{ SECT_PROFILE, "role", set_role, P(roles), 0, 0, false },
	{ SECT_PROFILE, "alpn", set_alpn, P(alpn), 0, 0, false },
	{ SECT_PROFILE, "verify", set_verify, P(verify), 0, 0, false },
	{ SECT_PROFILE, "min_version", set_version, P(min_version), 0, 0,
	  false },
	{ SECT_PROFILE, "max_version", set_version, P(max_version), 0, 0,
	  false },
	{ SECT_PROFILE, "ciphers", set_ciphers, P(ciphers), 0, 0, false },

	{ SECT_ACCESS, "uid", set_uids, 0, 0, 0, false },
	{ SECT_ACCESS, "gid", set_gids, 0, 0, 0, false },
	{ SECT_ACCESS, "profiles", set_profiles, 0, 0, 0, false },
	{ SECT_ACCESS, "roles", set_roles, offsetof(struct hsd_access, roles),
	  0, 0, false },
};

#undef G
#undef I
#undef P

_Static_assert(ARRAY_SIZE(hsd_cfg_keys) <= 64,
	       "a key is a bit of a uint64_t");

const struct key *hsd_cfg_find_key(enum sect_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hsd_cfg_keys); i++)
		if (hsd_cfg_keys[i].kind == kind &&
		    !strcmp(hsd_cfg_keys[i].name, name))
			return &hsd_cfg_keys[i];
	return NULL;
}

/* Whether @name of a @kind section was given anywhere in the file. */
bool hsd_cfg_given(const struct parser *p, enum sect_kind kind,
		   const char *name)
{
	const struct key *k = hsd_cfg_find_key(kind, name);

	return k && (p->seen_ever & (1ull << (k - hsd_cfg_keys)));
}

int hsd_cfg_unknown_key(struct parser *p, const char *name)
{
	char list[512];
	size_t used = 0, i;

	list[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(hsd_cfg_keys); i++) {
		int n;

		if (hsd_cfg_keys[i].kind != p->kind)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
			     used ? ", " : "", hsd_cfg_keys[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	return hsd_cfg_fail(p, -EINVAL, "unknown key '%s' in %s; expected one "
			    "of: %s", name, p->label, list);
}
