/* SPDX-License-Identifier: MIT */
/*
 * config_int.h - what the files of handshaked.conf(5)'s reader share:
 * the parser's state (config.c reads the file, its sections and lines,
 * and checks the whole), the key table and its value setters
 * (config_keys.c), and the names, lists and lookups (config_access.c).
 * Only these three include it; what the daemon uses is in handshaked.h.
 */
#ifndef HSD_CONFIG_INT_H
#define HSD_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "handshaked.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum sect_kind {
	SECT_NONE = 0,
	SECT_GLOBAL,
	SECT_TRUST,
	SECT_POLICY,
	SECT_KERNEL,		/* the last section without a name */
	SECT_IDENTITY,
	SECT_PROFILE,
	SECT_ACCESS,
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
	bool have[SECT_KERNEL + 1];	/* singleton sections read */

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

/* The keys, by kind of section (config_keys.c). */
extern const struct key hsd_cfg_keys[];

#define NAME_RULE "1 to 63 letters, digits, '.', '_' or '-'"

/* config.c: the first error, at the current line. */
int hsd_cfg_fail(struct parser *p, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hsd_cfg_no_memory(struct parser *p);

/* config_access.c */
bool hsd_cfg_valid_name(const char *s);
int hsd_cfg_list_next(const char **s, char *item, size_t size);
bool hsd_cfg_list_has(const char *list, const char *name);

/* config_kernel.c: [kernel]'s setters, and the section as a whole. */
int hsd_cfg_set_profile(struct parser *p, const struct key *k, void *field,
			const char *v);
int hsd_cfg_set_keyrings(struct parser *p, const struct key *k, void *field,
			 const char *v);
int hsd_cfg_check_kernel(struct parser *p);

/* config_keys.c */
const struct key *hsd_cfg_find_key(enum sect_kind kind, const char *name);
bool hsd_cfg_given(const struct parser *p, enum sect_kind kind,
		   const char *name);
int hsd_cfg_unknown_key(struct parser *p, const char *name);

#endif
