// SPDX-License-Identifier: MIT
/*
 * config.c - handshaked.conf(5): an INI file read with inih, each key
 * checked as it is read, the whole checked once it is read.
 *
 * inih is driven through ini_parse_stream() with a line reader of ours,
 * which is how the handler knows the line it is called for (Debian's
 * libinih is built without INI_HANDLER_LINENO, and ini_parse() returns
 * only the line of the first error).  The reader also sees section
 * headers, so that empty sections exist and duplicates are caught (inih
 * calls the handler for key lines only, and cuts section names at 49
 * bytes), and it refuses lines longer than inih's buffer, which inih
 * would otherwise split into two lines silently.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <ini.h>

#include "handshaked.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sect_kind {
	SECT_NONE = 0,
	SECT_GLOBAL,
	SECT_TRUST,
	SECT_POLICY,
	SECT_IDENTITY,
	SECT_PROFILE,
	SECT_ACCESS,
};

static const char *const sect_names[] = {
	[SECT_NONE] = "",
	[SECT_GLOBAL] = "global",
	[SECT_TRUST] = "trust",
	[SECT_POLICY] = "policy",
	[SECT_IDENTITY] = "identity",
	[SECT_PROFILE] = "profile",
	[SECT_ACCESS] = "access",
};

struct parser {
	const char *path;
	FILE *f;
	struct hsd_config *cfg;
	unsigned int lineno;		/* of the line inih is working on */
	int read_err;			/* errno of a failed read, or 0 */
	bool continuation;		/* inih takes the line as more value */
	char prev_key[64];		/* as inih's prev_name */

	/* The section being read. */
	enum sect_kind kind;
	char label[HSD_MAX_NAME + 16];	/* "[profile api]" */
	void *obj;			/* its identity, profile or rule */
	uint64_t seen;			/* keys given in it, by table index */
	uint64_t seen_ever;		/* keys given anywhere */
	bool have[SECT_POLICY + 1];	/* singleton sections read */

	struct hsd_identity **id_tail;
	struct hsd_profile **prof_tail;
	struct hsd_access **acc_tail;

	/* A libktls context that only checks values: versions, ciphers
	 * and ALPN lists are refused by the library's own rules, in its
	 * words (made when first needed). */
	struct ktls_ctx *scratch;

	/* The first error. */
	int err;
	unsigned int err_line;		/* 0: about the whole file */
	char msg[512];
};

struct key;
typedef int (*setter)(struct parser *p, const struct key *k, void *field,
		      const char *v);

/* One key of one kind of section; @off locates its field in @obj. */
struct key {
	enum sect_kind kind;
	const char *name;
	setter set;
	size_t off;
	unsigned int min, max;		/* numbers */
	bool repeat;			/* may be given more than once */
};

static void vfail(struct parser *p, int err, unsigned int line,
		  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vfail(struct parser *p, int err, unsigned int line,
		  const char *fmt, va_list ap)
{
	int n;

	if (p->err)
		return;
	p->err = err;
	p->err_line = line;
	if (line)
		n = snprintf(p->msg, sizeof(p->msg), "%s:%u: ", p->path, line);
	else
		n = snprintf(p->msg, sizeof(p->msg), "%s: ", p->path);
	if (n < 0 || (size_t)n >= sizeof(p->msg))
		return;
	vsnprintf(p->msg + n, sizeof(p->msg) - (size_t)n, fmt, ap);
}

/* Record an error at the current line, unless one came first. */
static int fail(struct parser *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, err, p->lineno, fmt, ap);
	va_end(ap);
	return err;
}

/* Record an error about the file as a whole. */
static int fail_file(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail_file(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p, -EINVAL, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int no_memory(struct parser *p)
{
	return fail(p, -ENOMEM, "out of memory");
}

static const char *version_name(uint16_t v)
{
	switch (v) {
	case KTLS_TLS_1_2:
		return "1.2";
	case KTLS_TLS_1_3:
		return "1.3";
	default:
		return "?";
	}
}

/* Names of identities, profiles and rules: they travel in requests and in
 * comma-separated lists, so they are plain words. */
static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= HSD_MAX_NAME)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == len;
}

#define NAME_RULE "1 to 63 letters, digits, '.', '_' or '-'"

/*
 * The next item of the comma-separated list at *@s, without the white
 * space around it, copied into @item.  Return its length (0 for an empty
 * item), -1 after the last item, or -ENAMETOOLONG if it does not fit.
 */
static int list_next(const char **s, char *item, size_t size)
{
	const char *p = *s, *comma;
	size_t len;

	if (!p)
		return -1;
	comma = strchr(p, ',');
	len = comma ? (size_t)(comma - p) : strlen(p);
	*s = comma ? comma + 1 : NULL;
	while (len && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(item, p, len);
	item[len] = '\0';
	return (int)len;
}

/* Whether @name is an item of the comma-separated @list (no spaces). */
static bool list_has(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, name, len))
			return true;
		p = p[n] ? p + n + 1 : NULL;
	}
	return false;
}

/* Setters: each checks @v and stores it in @field, or fails. ----------- */

static int store_string(struct parser *p, char **field, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return no_memory(p);
	free(*field);
	*field = s;
	return 0;
}

static int set_path(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	if (v[0] != '/')
		return fail(p, -EINVAL, "%s: expected an absolute path, not "
			    "'%s'", k->name, v);
	return store_string(p, field, v);
}

static int set_socket(struct parser *p, const struct key *k, void *field,
		      const char *v)
{
	struct sockaddr_un sun;

	if (v[0] != '/' || strlen(v) >= sizeof(sun.sun_path))
		return fail(p, -EINVAL, "%s: expected an absolute path "
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
		return fail(p, -EINVAL, "%s: at most %d CRL files may be "
			    "given", k->name, HSD_MAX_CRLS);
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
		return fail(p, -EINVAL, "%s: expected one user or group "
			    "name, not '%s'", k->name, v);
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
		return fail(p, -EINVAL, "%s: expected a whole number from %u "
			    "to %u, not '%s'", k->name, k->min, k->max, v);
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
		return fail(p, -EINVAL, "%s: expected an octal permission "
			    "mode from 0 to 0777, such as 0660, not '%s'",
			    k->name, v);
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
	return fail(p, -EINVAL, "%s: expected yes or no (true/false, 1/0), "
		    "not '%s'", k->name, v);
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
	return fail(p, -EINVAL, "%s: expected error, notice, info or debug, "
		    "not '%s'", k->name, v);
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
		return fail(p, -EINVAL, "%s: expected 1.2 or 1.3, not '%s'",
			    k->name, v);
	ctx = scratch_ctx(p);
	if (!ctx)
		return no_memory(p);
	if (ktls_ctx_set_opt(ctx, KTLS_OPT_VERSION_MIN, names[i].version) < 0)
		return fail(p, -EINVAL, "%s: %s; use 1.2 or 1.3", k->name,
			    ktls_ctx_errstr(ctx));
	*(uint16_t *)field = (uint16_t)names[i].version;
	return 0;
}

static int set_ciphers(struct parser *p, const struct key *k, void *field,
		       const char *v)
{
	struct ktls_ctx *ctx = scratch_ctx(p);

	if (!ctx)
		return no_memory(p);
	if (ktls_ctx_set_ciphers(ctx, v) < 0)
		return fail(p, -EINVAL, "%s: %s", k->name,
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

	while ((len = list_next(&s, item, sizeof(item))) >= 0) {
		if (len == 0 || used + (size_t)len + 2 > sizeof(list))
			return fail(p, -EINVAL, "%s: expected protocol names "
				    "separated by commas (255 bytes in all), "
				    "such as 'h2, http/1.1', not '%s'",
				    k->name, v);
		if (used)
			list[used++] = ',';
		memcpy(list + used, item, (size_t)len);
		used += (size_t)len;
	}
	if (len != -1)
		return fail(p, -EINVAL, "%s: the list is longer than 255 "
			    "bytes", k->name);
	list[used] = '\0';
	ctx = scratch_ctx(p);
	if (!ctx)
		return no_memory(p);
	if (ktls_ctx_set_alpn(ctx, list) < 0)
		return fail(p, -EINVAL, "%s: %s", k->name,
			    ktls_ctx_errstr(ctx));
	return store_string(p, field, list);
}

/* [profile] identity = NAME, checked to exist once the file is read. */
static int set_name(struct parser *p, const struct key *k, void *field,
		    const char *v)
{
	if (!valid_name(v))
		return fail(p, -EINVAL, "%s: expected the name of an "
			    "[identity NAME] section (" NAME_RULE "), not "
			    "'%s'", k->name, v);
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
		return fail(p, -EINVAL, "%s: expected client, server or any, "
			    "not '%s'", k->name, v);
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

	while ((len = list_next(&s, item, sizeof(item))) != -1) {
		if (len <= 0 || parse_role(item, &roles) < 0)
			return fail(p, -EINVAL, "%s: expected client, server "
				    "or any, or a comma-separated list of "
				    "them, not '%s'", k->name, v);
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
		return fail(p, -EINVAL, "%s: 'none' is spelled "
			    "'none-insecure': it accepts any certificate",
			    k->name);
	return fail(p, -EINVAL, "%s: expected default, peer, require or "
		    "none-insecure, not '%s'", k->name, v);
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
			return fail(p, -EINVAL, "%s: '*' is for uid only "
				    "(uid = * matches every client)",
				    k->name);
		a->any_uid = true;
		return 0;
	}
	while ((len = list_next(&s, item, sizeof(item))) != -1) {
		unsigned long id;

		if (len <= 0 || !strcmp(item, "*"))
			return fail(p, -EINVAL, "%s: expected %s names or "
				    "numbers separated by commas%s, not '%s'",
				    k->name, what, is_uid ? ", or *" : "", v);
		if (n == HSD_MAX_IDS)
			return fail(p, -EINVAL, "%s: at most %d %ss in one "
				    "rule", k->name, HSD_MAX_IDS, what);
		if (isdigit((unsigned char)item[0])) {
			/* (uid_t)-1 is nobody's: chown(2) reads it as
			 * "leave as is". */
			if (!parse_number(item, UINT32_MAX - 1, &id))
				return fail(p, -EINVAL, "%s: '%s' is not a %s "
					    "name or a number below "
					    "4294967295", k->name, item, what);
		} else if (is_uid) {
			struct passwd *pw;

			errno = 0;
			pw = getpwnam(item);
			if (!pw)
				return fail(p, -EINVAL, "%s: %s '%s'%s%s",
					    k->name, errno ?
					    "cannot look up user" :
					    "no user named", item,
					    errno ? ": " : "",
					    errno ? strerror(errno) : "");
			id = pw->pw_uid;
		} else {
			struct group *gr;

			errno = 0;
			gr = getgrnam(item);
			if (!gr)
				return fail(p, -EINVAL, "%s: %s '%s'%s%s",
					    k->name, errno ?
					    "cannot look up group" :
					    "no group named", item,
					    errno ? ": " : "",
					    errno ? strerror(errno) : "");
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
		return no_memory(p);
	while ((len = list_next(&s, item, sizeof(item))) != -1) {
		if (len < 0 || !valid_name(item)) {
			free(list);
			return fail(p, -EINVAL, "%s: expected profile names "
				    "(" NAME_RULE ") separated by commas, or "
				    "*, not '%s'", k->name, v);
		}
		if (list_has(used ? list : "", item))
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

static const struct key keys[] = {
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

_Static_assert(ARRAY_SIZE(keys) <= 64, "a key is a bit of a uint64_t");

static const struct key *find_key(enum sect_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].kind == kind && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Whether @name of a @kind section was given anywhere in the file. */
static bool given(const struct parser *p, enum sect_kind kind,
		  const char *name)
{
	const struct key *k = find_key(kind, name);

	return k && (p->seen_ever & (1ull << (k - keys)));
}

static int unknown_key(struct parser *p, const char *name)
{
	char list[512];
	size_t used = 0, i;

	list[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		int n;

		if (keys[i].kind != p->kind)
			continue;
		n = snprintf(list + used, sizeof(list) - used, "%s%s",
			     used ? ", " : "", keys[i].name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	return fail(p, -EINVAL, "unknown key '%s' in %s; expected one of: %s",
		    name, p->label, list);
}

/* Sections ------------------------------------------------------------ */

static int new_section(struct parser *p, enum sect_kind kind,
		       const char *name)
{
	struct hsd_config *cfg = p->cfg;

	p->obj = NULL;
	switch (kind) {
	case SECT_GLOBAL:
	case SECT_TRUST:
	case SECT_POLICY:
		if (p->have[kind])
			return fail(p, -EINVAL, "duplicate section [%s]; "
				    "each section may appear once",
				    sect_names[kind]);
		p->have[kind] = true;
		p->obj = cfg;
		return 0;
	case SECT_IDENTITY: {
		struct hsd_identity *id;

		if (hsd_config_identity(cfg, name))
			break;
		id = calloc(1, sizeof(*id));
		if (!id)
			return no_memory(p);
		strcpy(id->name, name);
		*p->id_tail = id;
		p->id_tail = &id->next;
		p->obj = id;
		return 0;
	}
	case SECT_PROFILE: {
		struct hsd_profile *prof;

		if (hsd_config_profile(cfg, name))
			break;
		prof = calloc(1, sizeof(*prof));
		if (!prof)
			return no_memory(p);
		strcpy(prof->name, name);
		prof->verify = -1;
		*p->prof_tail = prof;
		p->prof_tail = &prof->next;
		p->obj = prof;
		return 0;
	}
	case SECT_ACCESS: {
		struct hsd_access *a;

		for (a = cfg->access; a; a = a->next)
			if (!strcmp(a->name, name))
				break;
		if (a)
			break;
		a = calloc(1, sizeof(*a));
		if (!a)
			return no_memory(p);
		strcpy(a->name, name);
		*p->acc_tail = a;
		p->acc_tail = &a->next;
		p->obj = a;
		return 0;
	}
	case SECT_NONE:
	default:
		return fail(p, -EINVAL, "internal error: section kind %d",
			    kind);
	}
	return fail(p, -EINVAL, "duplicate section [%s %s]; each section may "
		    "appear once", sect_names[kind], name);
}

/*
 * A "[...]" line, as inih reads it (up to the first ']', or an inline
 * comment), but stricter: a known kind, a name exactly when the kind
 * takes one, and nothing but a comment after the ']'.
 */
static void section_line(struct parser *p, const char *start)
{
	char buf[INI_MAX_LINE + 1];
	enum sect_kind kind;
	char *s, *end, *name;
	size_t i;

	p->kind = SECT_NONE;
	p->obj = NULL;
	p->seen = 0;
	p->prev_key[0] = '\0';
	snprintf(buf, sizeof(buf), "%s", start + 1);
	for (end = buf; *end && *end != ']'; end++)
		if (*end == ';' && end > buf && isspace((unsigned char)end[-1]))
			break;
	if (*end != ']') {
		fail(p, -EINVAL, "a section header needs a closing ']'");
		return;
	}
	*end++ = '\0';
	end += strspn(end, " \t\r\n");
	if (*end && *end != ';' && *end != '#') {
		fail(p, -EINVAL, "unexpected text after ']': '%.*s'",
		     (int)strcspn(end, "\r\n"), end);
		return;
	}
	s = buf + strspn(buf, " \t");
	name = s + strcspn(s, " \t");
	if (*name) {
		*name++ = '\0';
		name += strspn(name, " \t");
		for (i = strlen(name); i && isspace((unsigned char)name[i - 1]);
		     i--)
			name[i - 1] = '\0';
	}
	for (kind = SECT_GLOBAL; kind <= SECT_ACCESS; kind++)
		if (!strcmp(s, sect_names[kind]))
			break;
	if (kind > SECT_ACCESS) {
		fail(p, -EINVAL, "unknown section [%s%s%s]; expected [global], "
		     "[trust], [policy], [identity NAME], [profile NAME] or "
		     "[access NAME]", s, *name ? " " : "", name);
		return;
	}
	if (kind <= SECT_POLICY && *name) {
		fail(p, -EINVAL, "[%s] takes no name, not '%s'",
		     sect_names[kind], name);
		return;
	}
	if (kind > SECT_POLICY && !valid_name(name)) {
		fail(p, -EINVAL, "[%s NAME] needs a name of " NAME_RULE
		     ", not '%s'", sect_names[kind], name);
		return;
	}
	if (new_section(p, kind, name) < 0)
		return;
	p->kind = kind;
	snprintf(p->label, sizeof(p->label), "[%s%s%s]", sect_names[kind],
		 *name ? " " : "", name);
}

/*
 * inih's reader: one line per call, as fgets().  Each line is looked at
 * here before inih parses it, mirroring inih's own order of tests.
 */
static char *read_line(char *buf, int size, void *stream)
{
	struct parser *p = stream;
	size_t len;
	char *s;
	int c;

	p->continuation = false;
	errno = 0;
	if (!fgets(buf, size, p->f)) {
		if (ferror(p->f))
			p->read_err = errno ? errno : EIO;
		return NULL;
	}
	p->lineno++;
	len = strlen(buf);
	if (len && buf[len - 1] != '\n') {
		c = getc(p->f);
		if (c != EOF && c != '\n') {
			/* Longer than inih's buffer: inih would take the
			 * rest as another line. */
			while (c != EOF && c != '\n')
				c = getc(p->f);
			fail(p, -EINVAL, "line longer than %d bytes", size - 1);
		}
	}
	if (p->err)
		return buf;
	s = buf;
	if (p->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	/* inih: comment (or blank), continuation, section, key = value. */
	if (!*s || strchr(INI_START_COMMENT_PREFIXES, *s))
		return buf;
	if (s > buf && p->prev_key[0])
		p->continuation = true;
	else if (*s == '[')
		section_line(p, s);
	return buf;
}

/* inih's handler: one "key = value" line.  Nonzero means success. */
static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parser *p = user;
	const struct key *k = NULL;
	int ret;

	(void)section;
	snprintf(p->prev_key, sizeof(p->prev_key), "%s", name);
	if (p->err)
		return 1;
	if (p->continuation)
		ret = fail(p, -EINVAL, "this indented line continues the "
			   "value of '%s'; give each key and its value on "
			   "one line", name);
	else if (p->kind == SECT_NONE)
		ret = fail(p, -EINVAL, "'%s' is outside any section; keys "
			   "follow a [section] line", name);
	else if (!(k = find_key(p->kind, name)))
		ret = unknown_key(p, name);
	else if ((p->seen & (1ull << (k - keys))) && !k->repeat)
		ret = fail(p, -EINVAL, "'%s' is given twice in %s", name,
			   p->label);
	else
		ret = k->set(p, k, (char *)p->obj + k->off, value);
	if (ret < 0)
		return 0;
	p->seen |= 1ull << (k - keys);
	p->seen_ever |= 1ull << (k - keys);
	return 1;
}

/* The whole file ------------------------------------------------------ */

static int check_versions(struct parser *p, const char *label, uint16_t min,
			  uint16_t max)
{
	if (min <= max)
		return 0;
	return fail_file(p, "%s min_version %s is above max_version %s", label,
			 version_name(min), version_name(max));
}

static int check_whole(struct parser *p)
{
	struct hsd_config *cfg = p->cfg;
	const struct hsd_identity *id;
	struct hsd_profile *prof;
	struct hsd_access *a;
	char name[HSD_MAX_NAME];
	char label[HSD_MAX_NAME + 16];

	if (!cfg->socket_path) {
		cfg->socket_path = strdup(HSD_DEFAULT_SOCKET);
		if (!cfg->socket_path)
			return no_memory(p);
	}
	if (!given(p, SECT_TRUST, "ca_system"))
		cfg->ca_system = !cfg->ca_file && !cfg->ca_dir;
	if (!given(p, SECT_TRUST, "crl_check"))
		cfg->crl_check = cfg->n_crls > 0;
	else if (cfg->crl_check && !cfg->n_crls)
		return fail_file(p, "[trust] crl_check = yes needs at least "
				 "one crl_file");
	if (check_versions(p, "[policy]", cfg->min_version,
			   cfg->max_version) < 0)
		return p->err;

	for (id = cfg->identities; id; id = id->next) {
		if (!id->cert || !id->key)
			return fail_file(p, "[identity %s] needs both cert and "
					 "key", id->name);
	}

	if (!cfg->profiles)
		return fail_file(p, "no [profile NAME] section: requests name "
				 "a profile, so at least one is needed");
	for (prof = cfg->profiles; prof; prof = prof->next) {
		if (!prof->roles)
			prof->roles = prof->identity[0] ? HSD_ROLE_ANY :
					HSD_ROLE_CLIENT;
		if (prof->identity[0] &&
		    !hsd_config_identity(cfg, prof->identity))
			return fail_file(p, "[profile %s] names identity '%s', "
					 "but there is no [identity %s]",
					 prof->name, prof->identity,
					 prof->identity);
		if ((prof->roles & HSD_ROLE_SERVER) && !prof->identity[0])
			return fail_file(p, "[profile %s] allows the server "
					 "role but names no identity (a "
					 "server needs a certificate); set "
					 "identity = NAME or role = client",
					 prof->name);
		snprintf(label, sizeof(label), "[profile %s]", prof->name);
		if (check_versions(p, label, prof->min_version ?
				   prof->min_version : cfg->min_version,
				   prof->max_version ? prof->max_version :
				   cfg->max_version) < 0)
			return p->err;
	}

	for (a = cfg->access; a; a = a->next) {
		const char *s = a->profiles;

		if (!a->roles)
			a->roles = HSD_ROLE_ANY;
		if (!a->any_uid && !a->n_uids && !a->n_gids)
			return fail_file(p, "[access %s] matches nobody: give "
					 "uid or gid (uid = * for everyone)",
					 a->name);
		if (!a->any_profile && !a->profiles)
			return fail_file(p, "[access %s] allows no profile: "
					 "give profiles = NAME, ... (or *)",
					 a->name);
		while (s && list_next(&s, name, sizeof(name)) > 0) {
			if (!hsd_config_profile(cfg, name))
				return fail_file(p, "[access %s] names profile "
						 "'%s', but there is no "
						 "[profile %s]", a->name, name,
						 name);
		}
	}
	return 0;
}

static struct hsd_config *config_new(const char *path)
{
	struct hsd_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->path = strdup(path);
	if (!cfg->path) {
		free(cfg);
		return NULL;
	}
	cfg->socket_mode = 0660;
	cfg->workers = 1;
	cfg->handshake_timeout = 10;
	cfg->max_clients_per_uid = 64;
	cfg->log_level = HSD_LOG_NOTICE;
	cfg->session_cache_size = 1024;
	cfg->session_lifetime = 7200;
	cfg->ticket_rotation = 3600;
	cfg->min_version = KTLS_TLS_1_2;
	cfg->max_version = KTLS_TLS_1_3;
	return cfg;
}

static void set_err(char *err, size_t err_size, const char *msg)
{
	if (err && err_size)
		snprintf(err, err_size, "%s", msg);
}

int hsd_config_load(const char *path, struct hsd_config **out, char *err,
		    size_t err_size)
{
	struct parser p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.path = path ? path : "(null)";
	if (!path || !out) {
		fail_file(&p, "no configuration file given");
		goto err_report;
	}
	p.f = fopen(path, "re");
	if (!p.f) {
		ret = -errno;
		fail_file(&p, "cannot open: %s", strerror(-ret));
		p.err = ret;
		goto err_report;
	}
	p.cfg = config_new(path);
	if (!p.cfg) {
		fail_file(&p, "out of memory");
		p.err = -ENOMEM;
		goto err_close;
	}
	p.id_tail = &p.cfg->identities;
	p.prof_tail = &p.cfg->profiles;
	p.acc_tail = &p.cfg->access;

	ret = ini_parse_stream(read_line, &p, on_key, &p);
	if (ret > 0 && (!p.err || (unsigned int)ret < p.err_line)) {
		/* inih's own finding came first: a line with no '='. */
		p.err = 0;
		p.lineno = (unsigned int)ret;
		fail(&p, -EINVAL, "expected 'key = value', a [section] line "
		     "or a comment");
	} else if (ret < 0) {
		no_memory(&p);
	}
	if (p.read_err) {
		/* Whatever was found in the part read, the file is bad. */
		p.err = 0;
		fail_file(&p, "cannot read: %s", strerror(p.read_err));
		p.err = -p.read_err;
	}
	if (p.err || check_whole(&p) < 0)
		goto err_free;
	fclose(p.f);
	ktls_ctx_free(p.scratch);
	*out = p.cfg;
	set_err(err, err_size, "");
	return 0;

err_free:
	hsd_config_free(p.cfg);
err_close:
	ktls_ctx_free(p.scratch);
	fclose(p.f);
err_report:
	set_err(err, err_size, p.msg);
	return p.err;
}

void hsd_config_free(struct hsd_config *cfg)
{
	unsigned int i;

	if (!cfg)
		return;
	while (cfg->identities) {
		struct hsd_identity *id = cfg->identities;

		cfg->identities = id->next;
		free(id->cert);
		free(id->key);
		free(id->passphrase_file);
		free(id);
	}
	while (cfg->profiles) {
		struct hsd_profile *prof = cfg->profiles;

		cfg->profiles = prof->next;
		free(prof->alpn);
		free(prof->ciphers);
		free(prof);
	}
	while (cfg->access) {
		struct hsd_access *a = cfg->access;

		cfg->access = a->next;
		free(a->profiles);
		free(a);
	}
	for (i = 0; i < cfg->n_crls; i++)
		free(cfg->crl_files[i]);
	free(cfg->path);
	free(cfg->socket_path);
	free(cfg->socket_group);
	free(cfg->user);
	free(cfg->ticket_key_file);
	free(cfg->ca_file);
	free(cfg->ca_dir);
	free(cfg->ciphers);
	free(cfg);
}

const struct hsd_identity *hsd_config_identity(const struct hsd_config *cfg,
					       const char *name)
{
	const struct hsd_identity *id;

	if (!cfg || !name)
		return NULL;
	for (id = cfg->identities; id; id = id->next)
		if (!strcmp(id->name, name))
			return id;
	return NULL;
}

const struct hsd_profile *hsd_config_profile(const struct hsd_config *cfg,
					     const char *name)
{
	const struct hsd_profile *prof;

	if (!cfg || !name)
		return NULL;
	for (prof = cfg->profiles; prof; prof = prof->next)
		if (!strcmp(prof->name, name))
			return prof;
	return NULL;
}

static bool access_matches(const struct hsd_access *a, uid_t uid, gid_t gid)
{
	unsigned int i;

	if (a->any_uid)
		return true;
	for (i = 0; i < a->n_uids; i++)
		if (a->uids[i] == uid)
			return true;
	for (i = 0; i < a->n_gids; i++)
		if (a->gids[i] == gid)
			return true;
	return false;
}

/* Root, and whoever some access rule names, may read the counters. */
bool hsd_config_may_read_counters(const struct hsd_config *cfg, uid_t uid,
				  gid_t gid)
{
	const struct hsd_access *a;

	if (!cfg)
		return false;
	if (uid == 0)
		return true;
	for (a = cfg->access; a; a = a->next)
		if (access_matches(a, uid, gid))
			return true;
	return false;
}

/*
 * Beyond the rules, the profile must exist and allow @role itself, so
 * that "profiles = *" cannot reach past what a profile is for.
 */
bool hsd_config_allows(const struct hsd_config *cfg, uid_t uid, gid_t gid,
		       const char *profile, enum ktls_role role)
{
	const struct hsd_profile *prof = hsd_config_profile(cfg, profile);
	const struct hsd_access *a;
	unsigned int bit;

	switch (role) {
	case KTLS_ROLE_CLIENT:
		bit = HSD_ROLE_CLIENT;
		break;
	case KTLS_ROLE_SERVER:
		bit = HSD_ROLE_SERVER;
		break;
	default:
		return false;
	}
	if (!prof || !(prof->roles & bit))
		return false;
	for (a = cfg->access; a; a = a->next) {
		if (!(a->roles & bit) || !access_matches(a, uid, gid))
			continue;
		if (a->any_profile || list_has(a->profiles, profile))
			return true;
	}
	return false;
}
