// SPDX-License-Identifier: MIT
/*
 * config_kernel.c - handshaked.conf(5)'s [kernel] section checked as a
 * whole, once the file is read: the profiles it names exist and allow
 * the role the kernel will ask them for, and the keyring list parses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"

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
