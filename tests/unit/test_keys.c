// SPDX-License-Identifier: MIT
/*
 * test_keys.c - handshaked's keys (handshaked/keys.c): the ticket key
 * file's checks, the derivation of each profile's ticket keys, their
 * rotation, and which secret a reload keeps.
 *
 * Files go in a directory made by mkdtemp(); certificates come from
 * build/pki (tests/pki/mkpki).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "handshaked.h"
#include "helpers.h"

struct fixture {
	char dir[64];
	char key[128];
	char conf[128];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test_keys.XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->key, sizeof(fx->key), "%s/ticket.key", fx->dir);
	snprintf(fx->conf, sizeof(fx->conf), "%s/handshaked.conf", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->key);
	unlink(fx->conf);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int read_secret(struct fixture *fx, size_t *len, char *err,
		       size_t err_size)
{
	uint8_t buf[HSD_TICKET_SECRET_MAX];

	err[0] = '\0';
	return hsd_ticket_secret_read(fx->key, (uid_t)-1, buf, len, err,
				      err_size);
}

static void test_ticket_secret_read_accepts_32_to_1024_bytes(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[HSD_TICKET_SECRET_MAX];
	char err[256];
	size_t len = 0;

	memset(data, 0xa5, sizeof(data));
	write_file(fx->key, data, 32, 0600);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 32);
	write_file(fx->key, data, sizeof(data), 0640);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), 0);
	assert_int_equal(len, sizeof(data));
}

static void test_ticket_secret_read_refuses_bad_files(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[HSD_TICKET_SECRET_MAX + 1] = { 0 };
	char err[256];
	size_t len = 0;

	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, fx->key));

	write_file(fx->key, data, 31, 0600);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "holds 31 bytes"));

	write_file(fx->key, data, sizeof(data), 0600);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "32 to 1024"));

	write_file(fx->key, data, 32, 0644);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0644): make it 0600"));
	assert_int_equal(len, 0);

	/* Whoever can write it chooses everyone's ticket keys. */
	write_file(fx->key, data, 32, 0620);
	assert_int_equal(read_secret(fx, &len, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0620): make it 0600"));
	assert_int_equal(len, 0);

	unlink(fx->key);
	assert_int_equal(mkdir(fx->key, 0700), 0);
	assert_true(read_secret(fx, &len, err, sizeof(err)) < 0);
	assert_int_equal(rmdir(fx->key), 0);
}

/*
 * The file must belong to root, the daemon's own uid or its configured
 * user: any other owner can rewrite it.  (Run as root, as the tests are,
 * the owner can be set; otherwise the case is skipped with the reason.)
 */
static void test_ticket_secret_read_refuses_foreign_owner(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[32] = { 0 }, buf[HSD_TICKET_SECRET_MAX];
	char err[256] = "";
	size_t len = 0;

	write_file(fx->key, data, sizeof(data), 0600);
	if (chown(fx->key, 4242, (gid_t)-1) < 0) {
		print_message("skip: cannot give the file away (not root)\n");
		skip();
	}
	assert_int_equal(hsd_ticket_secret_read(fx->key, (uid_t)-1, buf, &len,
						err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owned by uid 4242"));
	assert_int_equal(len, 0);
	/* ... unless that is the user the daemon runs as. */
	assert_int_equal(hsd_ticket_secret_read(fx->key, 4242, buf, &len, err,
						sizeof(err)), 0);
	assert_int_equal(len, sizeof(data));
}

static void test_ticket_key_depends_on_secret_profile_and_period(void **state)
{
	uint8_t secret[32], other[32], want[48];
	struct ktls_ticket_key a, b, zero;

	(void)state;
	memset(secret, 1, sizeof(secret));
	memset(other, 2, sizeof(other));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(hsd_ticket_key(secret, 32, "web", 7, &a), 0);
	assert_int_equal(hsd_ticket_key(secret, 32, "web", 7, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(&a, &zero, sizeof(a));
	assert_memory_not_equal(a.name, a.secret, sizeof(a.name));
	/* The keys stay what they were (HKDF-SHA256, salt "handshaked
	 * ticket key v1", info "web\0" and the period in 8 bytes), so that
	 * daemons sharing a secret across an upgrade resume each other's
	 * tickets. */
	assert_int_equal(th_hex_decode("9abb3bc1ce0b0845413e7c4772e4cc98"
				       "8590528ec430724fada5c9a2b62c5d65"
				       "37651a63aae2ca3f3e75d560874523c6",
				       want, sizeof(want)), 48);
	assert_memory_equal(a.name, want, sizeof(a.name));
	assert_memory_equal(a.secret, want + 16, sizeof(a.secret));

	assert_int_equal(hsd_ticket_key(secret, 32, "mail", 7, &b), 0);
	assert_memory_not_equal(a.name, b.name, sizeof(a.name));
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
	assert_int_equal(hsd_ticket_key(secret, 32, "web", 8, &b), 0);
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
	assert_int_equal(hsd_ticket_key(other, 32, "web", 7, &b), 0);
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
	/* "we" + "b..." must not collide with "web" + "...". */
	assert_int_equal(hsd_ticket_key(secret, 32, "we", 7, &b), 0);
	assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
}

static struct hsd_config *config(struct fixture *fx, bool with_file,
				 unsigned int rotation)
{
	struct hsd_config *cfg = NULL;
	char text[2048], err[512], pki[512];
	FILE *f = fopen(fx->conf, "w");

	assert_non_null(f);
	/* The file wants absolute paths. */
	assert_non_null(getcwd(pki, sizeof(pki) - 16));
	strcat(pki, "/build/pki");
	snprintf(text, sizeof(text),
		 "[global]\nticket_rotation = %u\n%s%s\n"
		 "[trust]\nca_file = %s/ca.pem\n"
		 "[identity web]\ncert = %s/server-ec-chain.pem\n"
		 "key = %s/server-ec.key\n"
		 "[profile web]\nrole = server\nidentity = web\n"
		 "[profile out]\nrole = client\n", rotation,
		 with_file ? "ticket_key_file = " : "",
		 with_file ? fx->key : "", pki, pki, pki);
	fputs(text, f);
	fclose(f);
	assert_int_equal(hsd_config_load(fx->conf, &cfg, err, sizeof(err)),
			 0);
	return cfg;
}

/*
 * Two daemons (two loads) with the same file derive the same keys; without
 * a file each start makes its own secret, and a reload keeps it.
 */
static void test_keys_load_ticket_secret_from_file_or_random(void **state)
{
	struct fixture *fx = *state;
	uint8_t data[48];
	struct hsd_config *cfg;
	struct hsd_keys *a, *b, *c;
	char err[512];

	memset(data, 0x3c, sizeof(data));
	write_file(fx->key, data, sizeof(data), 0600);
	cfg = config(fx, true, 3600);
	assert_int_equal(hsd_keys_load(cfg, NULL, &a, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(hsd_keys_load(cfg, NULL, &b, err, sizeof(err)), 0);
	assert_true(a->from_file);
	assert_int_equal(a->secret_len, sizeof(data));
	assert_memory_equal(a->secret, data, sizeof(data));
	assert_int_equal(a->period, (uint64_t)time(NULL) / 3600);
	assert_non_null(hsd_keys_find(a, "web"));
	assert_non_null(hsd_keys_find(a, "out"));
	assert_null(hsd_keys_find(a, "nope"));
	hsd_keys_free(b);
	hsd_config_free(cfg);

	cfg = config(fx, false, 3600);
	assert_int_equal(hsd_keys_load(cfg, NULL, &b, err, sizeof(err)), 0);
	assert_false(b->from_file);
	assert_int_equal(b->secret_len, HSD_TICKET_SECRET_MIN);
	assert_memory_not_equal(b->secret, a->secret, HSD_TICKET_SECRET_MIN);
	/* A reload keeps the random secret... */
	assert_int_equal(hsd_keys_load(cfg, b, &c, err, sizeof(err)), 0);
	assert_memory_equal(c->secret, b->secret, HSD_TICKET_SECRET_MIN);
	hsd_keys_free(c);
	/* ... but not the file's, once the file is gone from the config. */
	assert_int_equal(hsd_keys_load(cfg, a, &c, err, sizeof(err)), 0);
	assert_memory_not_equal(c->secret, a->secret, HSD_TICKET_SECRET_MIN);
	hsd_keys_free(c);
	hsd_keys_free(b);
	hsd_keys_free(a);
	hsd_config_free(cfg);
}

static void test_keys_load_fails_on_bad_ticket_file(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg;
	struct hsd_keys *k = NULL;
	char err[512];

	write_file(fx->key, "short", 5, 0600);
	cfg = config(fx, true, 3600);
	assert_int_equal(hsd_keys_load(cfg, NULL, &k, err, sizeof(err)),
			 -EINVAL);
	assert_null(k);
	/* The reason comes back (the caller logs it, or replies it). */
	assert_non_null(strstr(err, "holds 5 bytes"));
	hsd_config_free(cfg);
}

static void test_keys_rotate_follows_the_clock(void **state)
{
	struct fixture *fx = *state;
	struct hsd_config *cfg = config(fx, false, 60);
	struct hsd_keys *k;
	char err[512];

	assert_int_equal(hsd_keys_load(cfg, NULL, &k, err, sizeof(err)), 0);
	assert_int_equal(hsd_keys_rotate(k, 6000), 0);
	assert_int_equal(k->period, 100);
	assert_int_equal(hsd_keys_next_rotation(k, 6000), 60);
	assert_int_equal(hsd_keys_next_rotation(k, 6059), 1);
	assert_int_equal(hsd_keys_rotate(k, 6059), 0);
	assert_int_equal(k->period, 100);
	assert_int_equal(hsd_keys_rotate(k, 6060), 0);
	assert_int_equal(k->period, 101);
	hsd_keys_free(k);
	hsd_config_free(cfg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ticket_secret_read_accepts_32_to_1024_bytes),
		T(test_ticket_secret_read_refuses_bad_files),
		T(test_ticket_secret_read_refuses_foreign_owner),
		T(test_ticket_key_depends_on_secret_profile_and_period),
		T(test_keys_load_ticket_secret_from_file_or_random),
		T(test_keys_load_fails_on_bad_ticket_file),
		T(test_keys_rotate_follows_the_clock),
	};

	hsd_log_init(true, HSD_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
