/* SPDX-License-Identifier: MIT */
/*
 * config_fixture.h - what the tests of handshaked's configuration file
 * (tests/unit/test_config_*.c) share: a scratch directory per test
 * (setup/teardown, with mkdtemp()), write_conf(), load_ok() and
 * load_fails(), and MINIMAL, the smallest valid file.
 */
#ifndef KTLS_TESTS_CONFIG_FIXTURE_H
#define KTLS_TESTS_CONFIG_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "handshaked.h"
#include "helpers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What hsd_config_load() must leave alone when it fails. */
#define SENTINEL ((struct hsd_config *)0x5a5a5a5a)

struct fixture {
	char dir[64];
	char path[128];
};

static inline int setup(void **state)
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

static inline int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static inline void write_conf(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Load @text, which must be valid. */
static inline struct hsd_config *load_ok(struct fixture *fx, const char *text)
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
static inline void load_fails(struct fixture *fx, const char *text,
			      int want_ret, unsigned int line,
			      const char *what, const char *more)
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
	TH_ASSERT_CONTAINS(err + strlen(prefix), what);
	if (more)
		TH_ASSERT_CONTAINS(err + strlen(prefix), more);
}


/* The smallest valid file: one client profile. */
#define MINIMAL "[profile c]\nrole = client\n"

#endif /* KTLS_TESTS_CONFIG_FIXTURE_H */
