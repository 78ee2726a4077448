// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsx_glue: the run file, /sys/kernel/debug/ktlsx_glue/run.
 *
 * Open it, write one command (a single write(2) of at most 511 bytes),
 * read the results, close it.  The command is "key=value" words, one
 * space apart, with one newline at the end or none:
 *
 *   role=both|client|server   required
 *   auth=anon|x509|psk        default x509 (a server end of anon is x509)
 *   count=N                   1..100000 connections, default 1
 *   jobs=N                    1..256 at once, default 1
 *   port=N                    0..65535; client and server need one,
 *                             both listens on it (0: any free port)
 *   bytes=N                   0..2^30 bytes each way, default 0
 *   timeout=MS                100..600000, default 10000: the wait for
 *                             the done callback, and each socket wait
 *   peer=NAME                 ta_peername: letters, digits, . - _ :
 *   cert=SERIAL key=SERIAL    ta_my_cert, ta_my_privkey (both or none)
 *   keyring=SERIAL            ta_keyring
 *   psk=SERIAL                ta_my_peerids[0]; required by auth=psk and
 *                             refused otherwise
 *
 * A key given twice, an unknown key, a number out of range or with
 * anything around it: -EINVAL.  A second command on the same open file:
 * -EBUSY.  A kernel without the handshake upcall: -EOPNOTSUPP.
 *
 * Reading blocks until results come and returns whole lines:
 *   run role=R auth=A count=N jobs=J port=P
 *   hs index=I role=client|server status=ERRNO stage=S peerid=SERIAL
 *      bytes=N usec=N                                  (one line, per end)
 *   end ok=N failed=N usec=N
 * then end of file.  Closing the file early stops the run: waits for a
 * done callback are cancelled, and the close returns once every work
 * item of the run has.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ktlsx.h"

/* The longest line a read returns. */
#define KTLSX_LINE_MAX	192

static const char *const stage_names[KTLSX_ST_NR] = {
	[KTLSX_ST_OK] = "ok",
	[KTLSX_ST_SOCKET] = "socket",
	[KTLSX_ST_CONNECT] = "connect",
	[KTLSX_ST_ACCEPT] = "accept",
	[KTLSX_ST_HELLO] = "hello",
	[KTLSX_ST_HANDSHAKE] = "handshake",
	[KTLSX_ST_TIMEOUT] = "timeout",
	[KTLSX_ST_CANCEL] = "cancel",
	[KTLSX_ST_DATA] = "data",
};

static const char *const role_names[] = {
	[KTLSX_BOTH] = "both",
	[KTLSX_CLIENT] = "client",
	[KTLSX_SERVER] = "server",
};

static const char *const auth_names[] = {
	[KTLSX_ANON] = "anon",
	[KTLSX_X509] = "x509",
	[KTLSX_PSK] = "psk",
};

const char *ktlsx_stage_name(unsigned int stage)
{
	return stage < KTLSX_ST_NR ? stage_names[stage] : "?";
}

const char *ktlsx_role_name(enum ktlsx_role role)
{
	return role_names[role];
}

const char *ktlsx_auth_name(enum ktlsx_auth auth)
{
	return auth_names[auth];
}

enum ktlsx_key {
	K_ROLE, K_AUTH, K_COUNT, K_JOBS, K_PORT, K_BYTES, K_TIMEOUT, K_PEER,
	K_CERT, K_KEY, K_KEYRING, K_PSK, K_NR,
};

static const char *const key_names[K_NR] = {
	[K_ROLE] = "role", [K_AUTH] = "auth", [K_COUNT] = "count",
	[K_JOBS] = "jobs", [K_PORT] = "port", [K_BYTES] = "bytes",
	[K_TIMEOUT] = "timeout", [K_PEER] = "peer", [K_CERT] = "cert",
	[K_KEY] = "key", [K_KEYRING] = "keyring", [K_PSK] = "psk",
};

/* A whole decimal number in [min, max]: digits only, no sign, no space
 * (kstrtou64 alone would take a "+" and a trailing newline). */
static int parse_u64(const char *s, u64 min, u64 max, u64 *out)
{
	const char *c;
	u64 v;
	int ret;

	if (!*s || strlen(s) > 20)
		return -EINVAL;
	for (c = s; *c; c++)
		if (!isdigit(*c))
			return -EINVAL;
	ret = kstrtou64(s, 10, &v);
	if (ret)
		return -EINVAL;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_serial(const char *s, s32 *out)
{
	u64 v;
	int ret = parse_u64(s, 1, S32_MAX, &v);

	if (!ret)
		*out = (s32)v;
	return ret;
}

static int parse_name(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

static int parse_peer(const char *s, char *out)
{
	size_t len = strlen(s), i;

	if (!len || len > KTLSX_PEER_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isalnum(s[i]) && !strchr(".-_:", s[i]))
			return -EINVAL;
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_word(struct ktlsx_params *p, enum ktlsx_key k,
		      const char *v)
{
	u64 n;
	int ret;

	switch (k) {
	case K_ROLE:
		ret = parse_name(v, role_names, ARRAY_SIZE(role_names));
		if (ret < 0)
			return ret;
		p->role = ret;
		return 0;
	case K_AUTH:
		ret = parse_name(v, auth_names, ARRAY_SIZE(auth_names));
		if (ret < 0)
			return ret;
		p->auth = ret;
		return 0;
	case K_COUNT:
		ret = parse_u64(v, 1, KTLSX_COUNT_MAX, &n);
		p->count = n;
		return ret;
	case K_JOBS:
		ret = parse_u64(v, 1, KTLSX_JOBS_MAX, &n);
		p->jobs = n;
		return ret;
	case K_PORT:
		ret = parse_u64(v, 0, 65535, &n);
		p->port = n;
		return ret;
	case K_BYTES:
		return parse_u64(v, 0, KTLSX_BYTES_MAX, &p->bytes);
	case K_TIMEOUT:
		ret = parse_u64(v, KTLSX_TIMEOUT_MIN, KTLSX_TIMEOUT_MAX, &n);
		p->timeout_ms = n;
		return ret;
	case K_PEER:
		return parse_peer(v, p->peer);
	case K_CERT:
		return parse_serial(v, &p->cert);
	case K_KEY:
		return parse_serial(v, &p->key);
	case K_KEYRING:
		return parse_serial(v, &p->keyring);
	case K_PSK:
		return parse_serial(v, &p->psk);
	case K_NR:
		break;
	}
	return -EINVAL;
}

/* Parse the command in @s (NUL-terminated, modified) into @p. */
static int ktlsx_parse(char *s, struct ktlsx_params *p)
{
	unsigned long seen = 0;
	size_t len = strlen(s), i;
	char *word;

	memset(p, 0, sizeof(*p));
	p->auth = KTLSX_X509;
	p->count = 1;
	p->jobs = 1;
	p->timeout_ms = KTLSX_TIMEOUT_DEF;

	if (len && s[len - 1] == '\n')
		s[--len] = '\0';
	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -EINVAL;

	while ((word = strsep(&s, " "))) {
		char *v = strchr(word, '=');
		int k, ret;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		k = parse_name(word, key_names, K_NR);
		if (k < 0 || test_and_set_bit(k, &seen))
			return -EINVAL;
		ret = parse_word(p, k, v);
		if (ret)
			return ret;
	}

	if (!test_bit(K_ROLE, &seen))
		return -EINVAL;
	if (p->role != KTLSX_BOTH && !p->port)
		return -EINVAL;
	if ((p->auth == KTLSX_PSK) != !!p->psk)
		return -EINVAL;
	if (!p->cert != !p->key)
		return -EINVAL;
	return 0;
}

/* One open run file. */
struct ktlsx_ctl {
	struct mutex lock;	/* one command, one reader at a time */
	struct ktlsx_run *run;
	u32 n_read;
	bool head_sent;
	bool end_sent;
};

static int ktlsx_ctl_open(struct inode *inode, struct file *file)
{
	struct ktlsx_ctl *ctl = kzalloc(sizeof(*ctl), GFP_KERNEL);

	if (!ctl)
		return -ENOMEM;
	mutex_init(&ctl->lock);
	file->private_data = ctl;
	return nonseekable_open(inode, file);
}

static int ktlsx_ctl_release(struct inode *inode, struct file *file)
{
	struct ktlsx_ctl *ctl = file->private_data;

	if (ctl->run)
		ktlsx_run_stop(ctl->run);
	mutex_destroy(&ctl->lock);
	kfree(ctl);
	return 0;
}

static ssize_t ktlsx_ctl_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct ktlsx_ctl *ctl = file->private_data;
	struct ktlsx_params *p;
	char *buf;
	int ret;

	if (!count || count >= KTLSX_CMD_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	p = kmalloc(sizeof(*p), GFP_KERNEL);
	ret = -ENOMEM;
	if (!p)
		goto out_buf;
	/* (a NUL inside the write is a command cut short) */
	ret = -EINVAL;
	if (strlen(buf) != count)
		goto out_p;
	ret = ktlsx_parse(buf, p);
	if (ret)
		goto out_p;
	if (!KTLSX_UPCALL) {
		ret = -EOPNOTSUPP;
		goto out_p;
	}
	mutex_lock(&ctl->lock);
	if (ctl->run)
		ret = -EBUSY;
	else
		ret = ktlsx_run_start(p, &ctl->run);
	mutex_unlock(&ctl->lock);

out_p:
	kfree(p);
out_buf:
	kfree(buf);
	return ret ? ret : count;
}

static bool ktlsx_readable(struct ktlsx_ctl *ctl)
{
	struct ktlsx_run *run = ctl->run;
	bool ret;

	if (!ctl->head_sent)
		return true;
	spin_lock(&run->lock);
	ret = ctl->n_read < run->n_res || run->finished;
	spin_unlock(&run->lock);
	return ret;
}

/* The next line to read into @line; 0 when there is none (yet). */
static int ktlsx_next_line(struct ktlsx_ctl *ctl, char *line, bool *is_end)
{
	struct ktlsx_run *run = ctl->run;
	const struct ktlsx_params *p = &run->p;
	struct ktlsx_result r;
	u32 ok, failed;
	u64 usec;
	bool have = false, fin;

	*is_end = false;
	if (!ctl->head_sent)
		return scnprintf(line, KTLSX_LINE_MAX,
				 "run role=%s auth=%s count=%u jobs=%u port=%u\n",
				 ktlsx_role_name(p->role),
				 ktlsx_auth_name(p->auth), p->count,
				 min(p->jobs, p->count), run->port);
	spin_lock(&run->lock);
	if (ctl->n_read < run->n_res) {
		r = run->res[ctl->n_read];
		have = true;
	}
	fin = run->finished;
	ok = run->n_ok;
	failed = run->n_failed;
	usec = run->usec;
	spin_unlock(&run->lock);
	if (have)
		return scnprintf(line, KTLSX_LINE_MAX,
				 "hs index=%u role=%s status=%d stage=%s "
				 "peerid=%d bytes=%llu usec=%llu\n",
				 r.index, r.server ? "server" : "client",
				 r.status, ktlsx_stage_name(r.stage), r.peerid,
				 r.bytes, r.usec);
	if (!fin || ctl->end_sent)
		return 0;
	*is_end = true;
	return scnprintf(line, KTLSX_LINE_MAX, "end ok=%u failed=%u usec=%llu\n",
			 ok, failed, usec);
}

static ssize_t ktlsx_ctl_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct ktlsx_ctl *ctl = file->private_data;
	char line[KTLSX_LINE_MAX];
	size_t done = 0;
	ssize_t ret;

	if (count < KTLSX_LINE_MAX)
		return -EINVAL;
	mutex_lock(&ctl->lock);
	ret = -EINVAL;
	if (!ctl->run)
		goto out_unlock;
	ret = 0;
	if (ctl->end_sent)
		goto out_unlock;
	if (!(file->f_flags & O_NONBLOCK)) {
		ret = wait_event_interruptible(ctl->run->wq,
					       ktlsx_readable(ctl));
		if (ret)
			goto out_unlock;
	}
	while (count - done >= KTLSX_LINE_MAX) {
		bool is_end;
		int n = ktlsx_next_line(ctl, line, &is_end);

		if (!n)
			break;
		if (copy_to_user(ubuf + done, line, n)) {
			ret = -EFAULT;
			goto out_unlock;
		}
		done += n;
		if (!ctl->head_sent)
			ctl->head_sent = true;
		else if (is_end)
			ctl->end_sent = true;
		else
			ctl->n_read++;
	}
	ret = done ? (ssize_t)done : -EAGAIN;

out_unlock:
	mutex_unlock(&ctl->lock);
	return ret;
}

const struct file_operations ktlsx_run_fops = {
	.owner = THIS_MODULE,
	.open = ktlsx_ctl_open,
	.release = ktlsx_ctl_release,
	.read = ktlsx_ctl_read,
	.write = ktlsx_ctl_write,
};
