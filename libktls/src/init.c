// SPDX-License-Identifier: MIT
/*
 * init.c - ktls_init(): wolfSSL's one-time set-up, which every constructor
 * (contexts, sessions, certificates) calls first.  On its own so that the
 * files that need it do not depend on each other.
 */
#include <errno.h>
#include <pthread.h>

#include "ktls_wolf.h"
#include <wolfssl/ssl.h>

#include "ktls_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ret;

static void do_init(void)
{
	init_ret = wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -EIO;
}

int ktls_init(void)
{
	(void)pthread_once(&init_once, do_init);
	return init_ret;
}
