// SPDX-License-Identifier: MIT
/*
 * caps.c - CAP_NET_ADMIN kept through the drop to [global] user when the
 * kernel agent is on: the handshake family's ACCEPT and DONE are
 * GENL_ADMIN_PERM operations, checked against the process that sends
 * them (and the one that opened the socket: root, at start).  Every
 * other capability goes; no-new-privs is set before, so nothing can
 * bring them back.  Raw capget/capset: the daemon needs two calls, not a
 * library.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hsd_kernel.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &h, d) < 0 ? -errno : 0;
}

int hsd_caps_keep(bool keep)
{
	if (!keep)
		return 0;
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

int hsd_caps_restrict(bool keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (!keep)
		return 0;
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ? -errno : 0;
}

bool hsd_caps_net_admin(void)
{
	struct __user_cap_data_struct d[2] = { { 0 } };

	return caps_get(d) == 0 &&
	       (d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &
		CAP_TO_MASK(CAP_NET_ADMIN));
}
