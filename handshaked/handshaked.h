/* SPDX-License-Identifier: MIT */
/*
 * handshaked.h - internal interfaces of the handshake daemon, grouped by
 * the file that defines them.
 */
#ifndef HANDSHAKED_H
#define HANDSHAKED_H

#define HSD_NAME "handshaked"

/* main.c: nothing exported yet. */

#endif /* HANDSHAKED_H */
