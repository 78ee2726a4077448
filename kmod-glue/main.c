// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsx_glue - an in-kernel consumer of the kernel's TLS handshake upcall
 * (net/handshake, Linux 6.5 and later): kernel TCP sockets on loopback
 * whose handshakes a user-space agent (handshaked, tlshd) does, then
 * bytes over kTLS, each checked.  It is driven through debugfs:
 *
 *   /sys/kernel/debug/ktlsx_glue/status   what the module can do, counters
 *   /sys/kernel/debug/ktlsx_glue/run      one run per open file (ctl.c)
 *
 * ktls-kglue(1) is its command-line front end.  On a kernel without the
 * upcall the module still loads, says so in status, and refuses runs
 * with EOPNOTSUPP.  Symbols use the ktlsx_ prefix so they cannot collide
 * with the in-tree tls_* ones.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "ktlsx.h"

struct workqueue_struct *ktlsx_wq;
atomic64_t ktlsx_ok_total = ATOMIC64_INIT(0);
atomic64_t ktlsx_failed_total = ATOMIC64_INIT(0);
atomic_t ktlsx_runs_active = ATOMIC_INIT(0);
atomic64_t ktlsx_runs_total = ATOMIC64_INIT(0);

static struct dentry *ktlsx_dir;

static int ktlsx_status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "kernel %s\n", utsname()->release);
	if (KTLSX_UPCALL)
		seq_puts(m, "upcall yes\n");
	else
		seq_puts(m, "upcall no: this kernel has no TLS handshake "
			 "upcall (CONFIG_NET_HANDSHAKE, Linux 6.5 and later)\n");
	seq_printf(m, "runs %lld\nactive %d\nok %lld\nfailed %lld\n",
		   (long long)atomic64_read(&ktlsx_runs_total),
		   atomic_read(&ktlsx_runs_active),
		   (long long)atomic64_read(&ktlsx_ok_total),
		   (long long)atomic64_read(&ktlsx_failed_total));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ktlsx_status);

static int __init ktlsx_init(void)
{
	/* Work items block (on the agent, on sockets): unbound, and room for
	 * both ends of the largest run at once. */
	ktlsx_wq = alloc_workqueue("ktlsx_glue", WQ_UNBOUND,
				   2 * KTLSX_JOBS_MAX);
	if (!ktlsx_wq)
		return -ENOMEM;
	ktlsx_dir = debugfs_create_dir("ktlsx_glue", NULL);
	debugfs_create_file("status", 0400, ktlsx_dir, NULL,
			    &ktlsx_status_fops);
	debugfs_create_file("run", 0600, ktlsx_dir, NULL, &ktlsx_run_fops);
	pr_info("loaded (handshake upcall: %s)\n", KTLSX_UPCALL ? "yes" : "no");
	return 0;
}

static void __exit ktlsx_exit(void)
{
	/* (an open run file holds the module, so no run is left here) */
	debugfs_remove_recursive(ktlsx_dir);
	destroy_workqueue(ktlsx_wq);
	pr_info("unloaded\n");
}

module_init(ktlsx_init);
module_exit(ktlsx_exit);

MODULE_DESCRIPTION("kTLS experiments: in-kernel handshake upcall consumer");
MODULE_LICENSE("GPL");
