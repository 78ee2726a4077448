// SPDX-License-Identifier: MIT
/*
 * keyring.c - the kernel keyring, as the kernel agent (kernel.c) uses it:
 * the certificate and private key a kernel consumer passes by serial,
 * handed to libktls as files that exist only in this process (memfds);
 * the peer's certificate made a key whose serial DONE returns (tlshd's
 * "TLS x509 PEER" asymmetric key); the keyrings [kernel] keyrings names,
 * linked into our session keyring at start; and PSK identities and keys.
 *
 * Reading a key needs the "read" permission on it for the daemon's uid
 * (or possession): keys a root consumer made are readable by a root
 * daemon, which is how tlshd runs.  handshaked(8) says what a [global]
 * user means for that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <keyutils.h>

#include "hsd_kernel.h"

/* Seconds a peer-certificate key lives: consumers take the serial when
 * DONE arrives; an expiring key keeps the daemon's quota from filling. */
#define PEER_KEY_TIMEOUT 600

int hsd_keyring_read(int32_t serial, uint8_t **data, size_t *len)
{
	void *buf = NULL;
	long n = keyctl_read_alloc(serial, &buf);

	if (n < 0)
		return -errno;
	*data = buf;
	*len = (size_t)n;
	return 0;
}

void hsd_keyring_free(uint8_t *data, size_t len)
{
	if (!data)
		return;
	explicit_bzero(data, len);
	free(data);
}

int hsd_keyring_memfd(int32_t serial, int *fdp, char *path, size_t size)
{
	uint8_t *data = NULL;
	size_t len = 0, off = 0;
	int fd, ret;

	ret = hsd_keyring_read(serial, &data, &len);
	if (ret < 0)
		return ret;
	fd = memfd_create("handshaked-key", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_wipe;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			close(fd);
			goto out_wipe;
		}
		off += (size_t)n;
	}
	*fdp = fd;
	snprintf(path, size, "/proc/self/fd/%d", fd);
out_wipe:
	hsd_keyring_free(data, len);
	return ret;
}

int32_t hsd_keyring_add_peer_cert(const uint8_t *der, size_t len,
				  const char *peer, int *err)
{
	char desc[HSD_KNL_PEERNAME_MAX + 16];
	key_serial_t serial;

	snprintf(desc, sizeof(desc), "TLS x509 %s", peer);
	serial = add_key("asymmetric", desc, der, len, KEY_SPEC_USER_KEYRING);
	if (serial < 0) {
		*err = -errno;
		return 0;
	}
	(void)keyctl_set_timeout(serial, PEER_KEY_TIMEOUT);	/* (best effort) */
	*err = 0;
	return serial;
}

int hsd_keyring_link(const char *names, char *err, size_t err_size)
{
	const char *s = names;

	while (s && *s) {
		size_t n = strcspn(s, ",");
		char name[256];
		key_serial_t k;

		while (n && *s == ' ') {
			s++;
			n--;
		}
		snprintf(name, sizeof(name), "%.*s", (int)n, s);
		s = s[n] ? s + n + 1 : NULL;
		k = find_key_by_type_and_desc("keyring", name, 0);
		if (k < 0 || keyctl_link(k, KEY_SPEC_SESSION_KEYRING) < 0) {
			int ret = -errno;

			snprintf(err, err_size, "[kernel] keyrings: keyring "
				 "'%s': %s: %s", name, k < 0 ? "not found "
				 "from this process's keyrings" : "cannot link "
				 "it into the session keyring",
				 ktls_strerror(ret));
			return ret;
		}
	}
	return 0;
}

int hsd_keyring_psk_identity(int32_t serial, char *id, size_t size)
{
	char *desc = NULL, *p;
	int ret = 0;

	if (keyctl_describe_alloc(serial, &desc) < 0)
		return -errno;
	/* "type;uid;gid;perm;description": the identity is the last part */
	p = strrchr(desc, ';');
	p = p ? p + 1 : desc;
	if (!*p || strlen(p) >= size)
		ret = -EINVAL;
	else
		snprintf(id, size, "%s", p);
	free(desc);
	return ret;
}

int hsd_keyring_psk_find(int32_t keyring, const char *identity,
			 int32_t *serial)
{
	/* NVMe's "psk" keys (nvme-keyring), or "user" keys where the kernel
	 * has no such type, as tlshd looks for them. */
	static const char *const types[] = { "psk", "user" };
	const key_serial_t rings[] = { keyring, KEY_SPEC_SESSION_KEYRING };
	unsigned int i, t;
	int err = -ENOKEY;

	for (i = 0; i < 2; i++) {
		for (t = 0; t < 2; t++) {
			long k;

			if (rings[i] == 0)
				continue;
			k = keyctl_search(rings[i], types[t], identity, 0);
			if (k >= 0) {
				*serial = (int32_t)k;
				return 0;
			}
			if (errno != ENOKEY && errno != EINVAL)
				err = -errno;
		}
	}
	return err;
}

enum ktls_psk_hash hsd_keyring_psk_hash(const char *identity, size_t len)
{
	/* NVMe/TCP's identities say their hash: "NVMe<v><R|G><01|02> ..."
	 * (TP 8011), 02 for SHA-384; else a 48-byte key is SHA-384's. */
	if (!strncmp(identity, "NVMe", 4) && strlen(identity) > 7)
		return !strncmp(identity + 6, "02", 2) ? KTLS_PSK_SHA384 :
		       KTLS_PSK_SHA256;
	return len == 48 ? KTLS_PSK_SHA384 : KTLS_PSK_SHA256;
}
