// SPDX-License-Identifier: MIT
/*
 * config_access.c - names and lists, and lookups in a loaded
 * configuration: the plain-word names and comma-separated lists that
 * sections and keys take (config.c and config_keys.c check them with
 * these) and that the [access] rules are matched by; identities and
 * profiles by name; who may run a handshake on a profile in a role, and
 * who may read the counters.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "config_int.h"

/* Names of identities, profiles and rules: they travel in requests and in
 * comma-separated lists, so they are plain words. */
bool hsd_cfg_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len >= HSD_MAX_NAME)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789._-") == len;
}

/*
 * The next item of the comma-separated list at *@s, without the white
 * space around it, copied into @item.  Return its length (0 for an empty
 * item), -1 after the last item, or -ENAMETOOLONG if it does not fit.
 */
int hsd_cfg_list_next(const char **s, char *item, size_t size)
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
bool hsd_cfg_list_has(const char *list, const char *name)
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
		if (a->any_profile || hsd_cfg_list_has(a->profiles, profile))
			return true;
	}
	return false;
}
