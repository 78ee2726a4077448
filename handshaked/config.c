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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config_int.h"

static const char *const sect_names[] = {
	[SECT_NONE] = "",
	[SECT_GLOBAL] = "global",
	[SECT_TRUST] = "trust",
	[SECT_POLICY] = "policy",
	[SECT_KERNEL] = "kernel",
	[SECT_IDENTITY] = "identity",
	[SECT_PROFILE] = "profile",
	[SECT_ACCESS] = "access",
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
int hsd_cfg_fail(struct parser *p, int err, const char *fmt, ...)
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

int hsd_cfg_no_memory(struct parser *p)
{
	return hsd_cfg_fail(p, -ENOMEM, "out of memory");
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
	case SECT_KERNEL:
		if (p->have[kind])
			return hsd_cfg_fail(p, -EINVAL, "duplicate section "
					    "[%s]; each section may appear "
					    "once", sect_names[kind]);
		p->have[kind] = true;
		p->obj = cfg;
		return 0;
	case SECT_IDENTITY: {
		struct hsd_identity *id;

		if (hsd_config_identity(cfg, name))
			break;
		id = calloc(1, sizeof(*id));
		if (!id)
			return hsd_cfg_no_memory(p);
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
			return hsd_cfg_no_memory(p);
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
			return hsd_cfg_no_memory(p);
		strcpy(a->name, name);
		*p->acc_tail = a;
		p->acc_tail = &a->next;
		p->obj = a;
		return 0;
	}
	case SECT_NONE:
	default:
		return hsd_cfg_fail(p, -EINVAL, "internal error: section kind "
				    "%d", kind);
	}
	return hsd_cfg_fail(p, -EINVAL, "duplicate section [%s %s]; each "
			    "section may appear once", sect_names[kind], name);
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
		hsd_cfg_fail(p, -EINVAL, "a section header needs a closing "
			     "']'");
		return;
	}
	*end++ = '\0';
	end += strspn(end, " \t\r\n");
	if (*end && *end != ';' && *end != '#') {
		hsd_cfg_fail(p, -EINVAL, "unexpected text after ']': '%.*s'",
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
		hsd_cfg_fail(p, -EINVAL, "unknown section [%s%s%s]; expected "
			     "[global], [trust], [policy], [kernel], "
			     "[identity NAME], "
			     "[profile NAME] or [access NAME]", s,
			     *name ? " " : "", name);
		return;
	}
	if (kind <= SECT_KERNEL && *name) {
		hsd_cfg_fail(p, -EINVAL, "[%s] takes no name, not '%s'",
			     sect_names[kind], name);
		return;
	}
	if (kind > SECT_KERNEL && !hsd_cfg_valid_name(name)) {
		hsd_cfg_fail(p, -EINVAL, "[%s NAME] needs a name of "
			     NAME_RULE ", not '%s'", sect_names[kind], name);
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
			hsd_cfg_fail(p, -EINVAL, "line longer than %d bytes",
				     size - 1);
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
		ret = hsd_cfg_fail(p, -EINVAL, "this indented line continues "
				   "the value of '%s'; give each key and its "
				   "value on one line", name);
	else if (p->kind == SECT_NONE)
		ret = hsd_cfg_fail(p, -EINVAL, "'%s' is outside any section; "
				   "keys follow a [section] line", name);
	else if (!(k = hsd_cfg_find_key(p->kind, name)))
		ret = hsd_cfg_unknown_key(p, name);
	else if ((p->seen & (1ull << (k - hsd_cfg_keys))) && !k->repeat)
		ret = hsd_cfg_fail(p, -EINVAL, "'%s' is given twice in %s",
				   name, p->label);
	else
		ret = k->set(p, k, (char *)p->obj + k->off, value);
	if (ret < 0)
		return 0;
	p->seen |= 1ull << (k - hsd_cfg_keys);
	p->seen_ever |= 1ull << (k - hsd_cfg_keys);
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
			return hsd_cfg_no_memory(p);
	}
	if (!hsd_cfg_given(p, SECT_TRUST, "ca_system"))
		cfg->ca_system = !cfg->ca_file && !cfg->ca_dir;
	if (!hsd_cfg_given(p, SECT_TRUST, "crl_check"))
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
		while (s && hsd_cfg_list_next(&s, name, sizeof(name)) > 0) {
			if (!hsd_config_profile(cfg, name))
				return fail_file(p, "[access %s] names profile "
						 "'%s', but there is no "
						 "[profile %s]", a->name, name,
						 name);
		}
	}
	return hsd_cfg_check_kernel(p);
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
		hsd_cfg_fail(&p, -EINVAL, "expected 'key = value', a [section] "
			     "line or a comment");
	} else if (ret < 0) {
		hsd_cfg_no_memory(&p);
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
	free(cfg->kernel_keyrings);
	free(cfg);
}
