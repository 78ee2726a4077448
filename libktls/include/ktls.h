/* SPDX-License-Identifier: MIT */
/*
 * ktls.h - the public interface of libktls.
 *
 * libktls turns a connected TCP socket into a TLS socket whose record layer
 * runs in the Linux kernel (kTLS).  This is the only public header.
 *
 * Conventions, for every function in this file:
 *  - Fallible functions return 0 (or a count) on success and a negative
 *    errno value on failure.  errno is never used as an output.
 *  - Constructors return a pointer or NULL; their only failure is ENOMEM.
 *  - Predicates return bool and never fail.
 *  - Free functions accept NULL and wipe what they free.
 *  - Objects are opaque and owned by the library.
 */
#ifndef KTLS_H
#define KTLS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden; what is declared here is
 * its interface. */
#pragma GCC visibility push(default)

#define KTLS_MUST_CHECK __attribute__((warn_unused_result))

#define KTLS_VERSION_MAJOR 0
#define KTLS_VERSION_MINOR 1
#define KTLS_VERSION_PATCH 0

/* Protocol versions, by their wire value. */
#define KTLS_TLS_1_2 0x0303
#define KTLS_TLS_1_3 0x0304

/*
 * AEAD ciphers the kernel can offload.  Values are libktls's own and are
 * stable; they are not the kernel's TLS_CIPHER_* numbers.
 */
enum ktls_cipher {
	KTLS_CIPHER_AES_128_GCM = 1,
	KTLS_CIPHER_AES_256_GCM = 2,
	KTLS_CIPHER_AES_128_CCM = 3,
	KTLS_CIPHER_CHACHA20_POLY1305 = 4,
};

/* Direction of a record stream: what we send, or what we receive. */
enum ktls_dir {
	KTLS_DIR_TX = 1,
	KTLS_DIR_RX = 2,
};

/**
 * ktls_version() - version of the library that is running
 *
 * Context: any thread.
 * Return: a static string such as "0.1.0".
 */
const char *ktls_version(void);

/**
 * ktls_cipher_name() - the standard name of a cipher
 * @cipher: one of enum ktls_cipher
 *
 * Context: any thread.
 * Return: a static string such as "AES-128-GCM", or NULL for a value that is
 * not a known cipher.
 */
const char *ktls_cipher_name(enum ktls_cipher cipher);

/**
 * ktls_strerror() - describe an error code returned by libktls
 * @err: a negative errno value as returned by a libktls call (a positive
 *	 errno value is accepted too)
 *
 * Context: any thread.
 * Return: a static string; never NULL.
 */
const char *ktls_strerror(int err);

/*
 * Kernel capabilities.
 *
 * The getters below accept NULL for @caps: predicates then return false,
 * the others -EINVAL (ktls_caps_ulp_reason() a string saying so).
 *
 * ktls_caps_probe() finds out what the running kernel offers by trying it:
 * for each TLS version and cipher it builds a loopback TCP pair, attaches
 * the "tls" ULP, installs TX on one end and RX on the other with throw-away
 * keys and passes a record through.  Nothing is guessed from the kernel's
 * version.  The result is an immutable snapshot, safe to read from any
 * number of threads.
 *
 * The probe may load kernel modules on demand (the kernel asks modprobe for
 * "tls" and for the crypto algorithms), so its first run can be slower.
 */
struct ktls_caps;

/**
 * ktls_caps_probe() - probe the running kernel's kTLS support
 * @capsp: on success, set to a new snapshot the caller frees with
 *	   ktls_caps_free()
 *
 * A kernel without kTLS is not a failure: the snapshot records why it is
 * unusable (see ktls_caps_ulp()), and so is every other failed step.  The
 * probe waits at most about a second for each record, so it cannot hang.
 *
 * Context: any thread; blocking (it creates and closes sockets).
 * Return: 0; -ENOMEM if the snapshot cannot be allocated; -EINVAL if
 * @capsp is NULL.
 */
KTLS_MUST_CHECK int ktls_caps_probe(struct ktls_caps **capsp);

/**
 * ktls_caps_free() - free a snapshot from ktls_caps_probe()
 * @caps: the snapshot, or NULL (then nothing happens)
 */
void ktls_caps_free(struct ktls_caps *caps);

/**
 * ktls_caps_usable() - can kTLS be used at all on this kernel
 * @caps: a snapshot
 *
 * Return: true if the TLS ULP attaches and at least one cipher works for
 * both TX and RX in some TLS version.
 */
bool ktls_caps_usable(const struct ktls_caps *caps);

/**
 * ktls_caps_ulp() - whether the kernel's "tls" ULP can be attached
 * @caps: a snapshot
 *
 * Return: 0 if it attaches; otherwise the negative errno that
 * setsockopt(TCP_ULP, "tls") (or the socket calls before it) returned:
 * -ENOENT means the kernel has no TLS ULP (CONFIG_TLS off, or the tls module
 * is missing and could not be loaded).
 */
int ktls_caps_ulp(const struct ktls_caps *caps);

/**
 * ktls_caps_ulp_reason() - the reason for ktls_caps_ulp(), in words
 * @caps: a snapshot
 *
 * Return: a static string that an operator can act on, such as
 * "the kernel has no TLS ULP (CONFIG_TLS is off, or the tls module is not
 * available)"; "available" when the ULP attaches.  Only processes with
 * CAP_NET_ADMIN make the kernel load the tls module on demand; others see
 * -ENOENT until it is loaded ("modprobe tls").
 */
const char *ktls_caps_ulp_reason(const struct ktls_caps *caps);

/**
 * ktls_caps_cipher() - whether one direction of one cipher is offloaded
 * @caps: a snapshot
 * @version: KTLS_TLS_1_2 or KTLS_TLS_1_3
 * @cipher: one of enum ktls_cipher
 * @dir: KTLS_DIR_TX or KTLS_DIR_RX
 *
 * The probe installs TX on one end of a pair and RX on the other.  If the
 * kernel refuses the keys of one direction, that direction gets the error
 * and the other counts as working once its keys are accepted; if both are
 * accepted, the record sent through them decides for both.
 *
 * Return: 0 if the kernel accepted the keys and a record passed through it;
 * -EINVAL for an unknown @version, @cipher or @dir; otherwise the negative
 * errno of the step that failed (-ENOENT: no TLS ULP, -ENOPKG or -ENOENT
 * from TLS_TX/TLS_RX: the cipher's crypto module is missing, -EBADMSG: the
 * record did not decrypt, -EIO: the record did not arrive intact).
 */
int ktls_caps_cipher(const struct ktls_caps *caps, uint16_t version,
		     enum ktls_cipher cipher, enum ktls_dir dir);

/**
 * ktls_caps_rx_no_pad() - whether TLS_RX_EXPECT_NO_PAD is accepted
 * @caps: a snapshot
 *
 * Return: true if the kernel accepts TLS_RX_EXPECT_NO_PAD on a TLS 1.3 RX
 * socket (Linux 6.0 and later).
 */
bool ktls_caps_rx_no_pad(const struct ktls_caps *caps);

/**
 * ktls_caps_rekey() - whether TLS 1.3 keys can be replaced (KeyUpdate)
 * @caps: a snapshot
 *
 * Tried by installing TLS 1.3 TX keys a second time on one socket, which
 * kernels with KeyUpdate support (Linux 6.14 and later) accept.
 *
 * Return: 0 if rekeying is supported; -EBUSY if the kernel refuses a second
 * key (no rekey support); another negative errno if it could not be tried
 * (the ULP error when there is no TLS ULP, or the error of the first
 * TLS 1.3 AES-128-GCM TX install).
 */
int ktls_caps_rekey(const struct ktls_caps *caps);

/**
 * ktls_caps_handshake_netlink() - whether the "handshake" netlink family
 *	exists (in-kernel consumers asking userspace for a handshake)
 * @caps: a snapshot
 *
 * Return: 0 if the generic netlink family "handshake" resolves (Linux 6.5
 * and later with CONFIG_NET_HANDSHAKE); -ENOENT if it does not; another
 * negative errno if generic netlink could not be asked (-EPERM, -EACCES,
 * -ENOMEM, -EAFNOSUPPORT, -EPROTONOSUPPORT, -EOPNOTSUPP, -EBADF, or -EIO
 * for any other libnl error).
 */
int ktls_caps_handshake_netlink(const struct ktls_caps *caps);

/**
 * ktls_caps_io_uring() - whether io_uring can be used
 * @caps: a snapshot
 *
 * Return: 0 if an io_uring instance could be set up; otherwise the negative
 * errno of io_uring_setup() (-ENOSYS: not built in; -EPERM: disabled by
 * the io_uring_disabled sysctl or a seccomp policy).
 */
int ktls_caps_io_uring(const struct ktls_caps *caps);

/**
 * ktls_caps_io_uring_op() - whether the kernel reports an io_uring opcode
 * @caps: a snapshot
 * @opcode: an IORING_OP_* value from <liburing.h>
 *
 * Return: true if io_uring is usable and the kernel's probe lists @opcode
 * as supported; false for an @opcode of 256 or more, and for every opcode
 * on kernels without IORING_REGISTER_PROBE (before Linux 5.6).
 */
bool ktls_caps_io_uring_op(const struct ktls_caps *caps, unsigned int opcode);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* KTLS_H */
