// SPDX-License-Identifier: MIT
/*
 * test_jail.c - ktls-serve's jail_open() (serve/jail.c), without sockets:
 * what is below the document root opens, nothing leads out of it ("..",
 * ".", symlinks out or absolute), a directory serves its index.html, and
 * only regular files are kept, opened without blocking on a FIFO.
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
#include <unistd.h>

#include <cmocka.h>
#include "helpers.h"
#include "serve.h"

/* A temporary directory holding the document root "root" and a file
 * beside it that must stay out of reach. */
struct tree {
	char dir[64];
	int root;
	int fds_before;
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void link_at(const char *dir, const char *target, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

static void mkdir_at(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[128], fifo[256];

	assert_non_null(t);
	t->fds_before = th_count_fds();
	snprintf(t->dir, sizeof(t->dir), "/tmp/ktls-test-jail.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	put(t->dir, "outside.txt", "secret\n");
	mkdir_at(t->dir, "root");
	snprintf(path, sizeof(path), "%s/root", t->dir);
	put(path, "index.html", "<h1>index</h1>\n");
	mkdir_at(path, "sub");
	mkdir_at(path, "empty");
	put(path, "sub/a.txt", "inside\n");
	link_at(path, "../outside.txt", "escape");
	link_at(path, "/etc/passwd", "abs");
	link_at(path, "sub/a.txt", "inner");
	snprintf(fifo, sizeof(fifo), "%s/fifo", path);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	t->root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->root >= 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	close(t->root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	/* jail_open() left no fd open on any path. */
	assert_int_equal(th_count_fds(), t->fds_before);
	free(t);
	return 0;
}

/* Open @path: the file's text, or the error. */
static int open_text(struct tree *t, const char *path, char *buf,
		     size_t size)
{
	struct stat st;
	ssize_t n;
	int fd = jail_open(t->root, path, &st);

	if (fd < 0)
		return fd;
	assert_true(S_ISREG(st.st_mode));
	/* Kept in blocking mode, for sendfile. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal((off_t)n, st.st_size);
	close(fd);
	return 0;
}

static void test_jail_opens_files_below_the_root(void **state)
{
	struct tree *t = *state;
	char buf[64];

	assert_int_equal(open_text(t, "/sub/a.txt", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "inside\n");
	assert_int_equal(open_text(t, "/inner", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "inside\n");
	assert_int_equal(open_text(t, "/", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "<h1>index</h1>\n");
}

static void test_jail_nothing_leads_out(void **state)
{
	struct tree *t = *state;
	char buf[64];

	assert_int_equal(open_text(t, "/../outside.txt", buf, sizeof(buf)),
			 -EACCES);
	assert_int_equal(open_text(t, "/sub/../../outside.txt", buf,
				   sizeof(buf)), -EACCES);
	/* ".." that would stay inside is refused too, and so is ".". */
	assert_int_equal(open_text(t, "/sub/../index.html", buf, sizeof(buf)),
			 -EACCES);
	assert_int_equal(open_text(t, "/./index.html", buf, sizeof(buf)),
			 -EACCES);
	assert_int_equal(open_text(t, "/escape", buf, sizeof(buf)), -EACCES);
	assert_int_equal(open_text(t, "/abs", buf, sizeof(buf)), -EACCES);
	assert_int_equal(open_text(t, "sub/a.txt", buf, sizeof(buf)), -EINVAL);
}

static void test_jail_refuses_what_is_not_a_file(void **state)
{
	struct tree *t = *state;
	char buf[64];

	/* A FIFO with no writer would block an open(); this returns. */
	assert_int_equal(open_text(t, "/fifo", buf, sizeof(buf)), -EACCES);
	/* A directory without index.html is not listed. */
	assert_int_equal(open_text(t, "/empty", buf, sizeof(buf)), -EACCES);
	assert_int_equal(open_text(t, "/missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(open_text(t, "/index.html/x", buf, sizeof(buf)),
			 -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_jail_opens_files_below_the_root),
		T(test_jail_nothing_leads_out),
		T(test_jail_refuses_what_is_not_a_file),
#undef T
	};

	return cmocka_run_group_tests_name("jail", tests, NULL, NULL);
}
