// SPDX-License-Identifier: MIT
/*
 * fuzz_kernel.c - the kernel agent's reading of what the kernel sends
 * (handshaked/kernel_nl.c): ACCEPT replies, READY notifications and
 * netlink errors, as bytes from the "handshake" family.
 *
 * Input: the bytes recv() would return on the agent's netlink socket,
 * copied to an aligned buffer (the socket's buffer is aligned).  The
 * family id is 31, as the seeds (fuzz/mkcorpus kernel) use.
 * Oracles: every message hsd_knl_next() walks lies inside the input; a
 * parsed request has a socket, a known message type and auth mode, a
 * NUL-terminated peer name within its bound and at most
 * HSD_KNL_PEERIDS_MAX identities; a refused one has a socket of -1 or the
 * one its (single, well-sized) socket attribute gave; a request is never
 * both parsed and a READY.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_nl.h"

#define FAMILY 31

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t buf[65536 / 4];

static void check_req(int ret, const struct hsd_knl_req *r)
{
	if (memchr(r->peer_name, '\0', sizeof(r->peer_name)) == NULL)
		abort();
	if (r->n_peerids > HSD_KNL_PEERIDS_MAX)
		abort();
	if (ret < 0)
		return;
	if (ret != 0 || r->sockfd < 0 ||
	    (r->msg_type != HSD_HS_MSG_CLIENTHELLO &&
	     r->msg_type != HSD_HS_MSG_SERVERHELLO) ||
	    (r->auth_mode != HSD_HS_AUTH_UNAUTH &&
	     r->auth_mode != HSD_HS_AUTH_PSK &&
	     r->auth_mode != HSD_HS_AUTH_X509))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = (const uint8_t *)buf;
	size_t left;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	left = size;
	while (left) {
		struct hsd_knl_req r;
		const char *why = NULL;
		uint16_t type;
		int n, error, ret;

		n = hsd_knl_next(p, left, &type, &error);
		if (n <= 0)
			break;
		if ((size_t)n > left || error > 0 || error < -4095)
			abort();
		ret = hsd_knl_parse_accept(p, (size_t)n, FAMILY, &r, &why);
		check_req(ret, &r);
		if (!why)
			abort();
		if (ret == 0 && hsd_knl_is_ready(p, (size_t)n, FAMILY))
			abort();
		/* The same bytes as one message, whatever the framing. */
		(void)!hsd_knl_parse_accept(p, left, FAMILY, &r, &why);
		check_req(-1, &r);
		p += n;
		left -= (size_t)n;
	}
	return 0;
}
