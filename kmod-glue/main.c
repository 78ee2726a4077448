// SPDX-License-Identifier: GPL-2.0
/*
 * ktlsx_glue - kernel-side experiments with kTLS and the handshake upcall.
 *
 * For now the module only loads and unloads, so that the build against the
 * VM kernel's headers, the load and the unload are tested from the start.
 * Its real job, an in-kernel consumer of the "handshake" netlink upcall,
 * comes later.  Symbols use the ktlsx_ prefix so they cannot collide with
 * the in-tree tls_* ones.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

static int __init ktlsx_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit ktlsx_exit(void)
{
	pr_info("unloaded\n");
}

module_init(ktlsx_init);
module_exit(ktlsx_exit);

MODULE_DESCRIPTION("kTLS experiments: in-kernel handshake upcall consumer");
MODULE_LICENSE("GPL");
