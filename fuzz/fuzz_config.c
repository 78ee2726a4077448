// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - handshaked's configuration parser (handshaked/config*.c):
 * the input is a handshaked.conf, read through a memfd under its
 * /proc/self/fd path (hsd_config_load() takes a path).
 *
 * User and group names are not looked up: the Makefile links this target
 * with -Wl,--wrap=getpwnam,--wrap=getgrnam, and the fakes below know
 * "root" and "nobody" (a fuzzer must not ask NSS, which may ask the
 * network).  A configuration that loads is queried as the daemon queries
 * it, then freed.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "handshaked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
struct passwd *__wrap_getpwnam(const char *name);
struct group *__wrap_getgrnam(const char *name);

struct passwd *__wrap_getpwnam(const char *name)
{
	static struct passwd pw;

	memset(&pw, 0, sizeof(pw));
	pw.pw_name = (char *)name;
	if (!strcmp(name, "root"))
		pw.pw_uid = 0;
	else if (!strcmp(name, "nobody"))
		pw.pw_uid = 65534;
	else
		return NULL;
	pw.pw_gid = pw.pw_uid;
	return &pw;
}

struct group *__wrap_getgrnam(const char *name)
{
	static struct group gr;

	memset(&gr, 0, sizeof(gr));
	gr.gr_name = (char *)name;
	if (!strcmp(name, "root"))
		gr.gr_gid = 0;
	else if (!strcmp(name, "nogroup"))
		gr.gr_gid = 65534;
	else
		return NULL;
	return &gr;
}

static void query(const struct hsd_config *cfg)
{
	static const uid_t ids[] = { 0, 1000, 65534 };
	const struct hsd_profile *p;
	const struct hsd_identity *id;
	size_t i;

	if (!cfg->socket_path || !cfg->profiles)
		abort();
	for (p = cfg->profiles; p; p = p->next) {
		if (hsd_config_profile(cfg, p->name) == NULL)
			abort();
		if (p->identity[0] && !hsd_config_identity(cfg, p->identity))
			abort();
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			(void)hsd_config_allows(cfg, ids[i], ids[i], p->name,
						KTLS_ROLE_CLIENT);
			(void)hsd_config_allows(cfg, ids[i], ids[i], p->name,
						KTLS_ROLE_SERVER);
		}
	}
	for (id = cfg->identities; id; id = id->next)
		if (!id->cert || !id->key)
			abort();
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		(void)hsd_config_may_read_counters(cfg, ids[i], ids[i]);
	(void)hsd_config_profile(cfg, "");
	(void)hsd_config_identity(cfg, "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct hsd_config *cfg = NULL;
	char err[512];
	int ret;

	if (fd < 0) {
		fd = memfd_create("handshaked.conf", MFD_CLOEXEC);
		if (fd < 0) {
			perror("fuzz_config: memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	ret = hsd_config_load(path, &cfg, err, sizeof(err));
	if (ret == 0) {
		if (!cfg || err[0])
			abort();
		query(cfg);
		hsd_config_free(cfg);
	} else if (cfg || !err[0] || ret > 0) {
		fprintf(stderr, "fuzz_config: %d, '%s'\n", ret, err);
		abort();
	}
	return 0;
}
