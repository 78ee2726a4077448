// SPDX-License-Identifier: MIT
/*
 * config_kernel.c - handshaked.conf(5)'s [kernel] section: the setters
 * of its profile and keyring keys, and the section checked as a whole
 * once the file is read: the profiles it names exist and allow the role
 * the kernel will ask them for, and the keyring list parses.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* The setters of [kernel]'s keys (the table is config_keys.c's). */
int hsd_cfg_set_profile(struct parser *p, const struct key *k, void *field,
			const char *v)
{
	if (!hsd_cfg_valid_name(v))
		return hsd_cfg_fail(p, -EINVAL, "%s: expected the name of a "
				    "[profile NAME] section (" NAME_RULE "), "
				    "not '%s'", k->name, v);
	strcpy(field, v);
	return 0;
}

/* Keyring names (descriptions), comma-separated: printable, no tabs. */
int hsd_cfg_set_keyrings(struct parser *p, const struct key *k, void *field,
			 const char *v)
{
	const char *s;
	char *copy;

	for (s = v; *s; s++)
		if (!isgraph((unsigned char)*s) && *s != ' ')
			break;
	if (!*v || *s || strlen(v) > 1023)
		return hsd_cfg_fail(p, -EINVAL, "%s: expected keyring names "
				    "separated by commas, not '%s'", k->name,
				    v);
	copy = strdup(v);
	if (!copy)
		return hsd_cfg_no_memory(p);
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

static int check_profile(struct parser *p, const char *key, const char *name,
			 unsigned int role)
{
	const struct hsd_profile *prof;

	if (!name[0])
		return 0;
	prof = hsd_config_profile(p->cfg, name);
	if (!prof)
		return hsd_cfg_fail(p, -EINVAL, "[kernel] %s names profile "
				    "'%s', but there is no [profile %s]", key,
				    name, name);
	if (!(prof->roles & role))
		return hsd_cfg_fail(p, -EINVAL, "[kernel] %s names profile "
				    "'%s', which does not allow the %s role",
				    key, name, key);
	return 0;
}

int hsd_cfg_check_kernel(struct parser *p)
{
	const struct hsd_config *cfg = p->cfg;
	const char *s = cfg->kernel_keyrings;
	char name[256];
	int ret;

	/* (about the whole file: no line to point at) */
	p->lineno = 0;
	ret = check_profile(p, "client", cfg->kernel_client,
			    HSD_ROLE_CLIENT);
	if (ret < 0)
		return ret;
	ret = check_profile(p, "server", cfg->kernel_server,
			    HSD_ROLE_SERVER);
	if (ret < 0)
		return ret;
	while (s) {
		ret = hsd_cfg_list_next(&s, name, sizeof(name));
		if (ret <= 0)
			return hsd_cfg_fail(p, -EINVAL, "[kernel] keyrings: "
					    "an empty or over-long (255) "
					    "keyring name");
	}
	if (cfg->kernel_enable && !cfg->kernel_client[0] &&
	    !cfg->kernel_server[0])
		return hsd_cfg_fail(p, -EINVAL, "[kernel] enable = yes needs "
				    "client = PROFILE, server = PROFILE or "
				    "both: the profiles kernel-requested "
				    "handshakes use");
	return 0;
}
