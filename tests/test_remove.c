/* test_remove.c: removal never follows links nor leaves its filesystem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "remove.h"
#include "testutil.h"

static int
exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

static void
test_remove_tree_counts_bytes(void **state)
{
	char *dir = tu_tmpdir();
	struct remove_stats st = { 0 };
	int fd;

	(void)state;
	tu_file(dir, "t/a/1", 10);
	tu_file(dir, "t/a/b/2", 20);
	tu_file(dir, "t/3", 30);
	tu_file(dir, "keep", 1);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(remove_at(fd, "t", &st), 0);
	assert_int_equal(st.bytes, 60);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.dirs, 3);
	assert_false(exists(dir, "t"));
	assert_true(exists(dir, "keep"));
	/* Gone already: success, nothing freed. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(remove_at(fd, "t", &st), 0);
	assert_int_equal(st.bytes, 0);
	/* Names that climb are refused outright. */
	assert_int_equal(remove_at(fd, "..", &st), -1);
	assert_int_equal(remove_at(fd, "a/../..", &st), -1);
	close(fd);
	tu_rmrf(dir);
	free(dir);
}

static void
test_remove_symlinks_not_followed(void **state)
{
	char *dir = tu_tmpdir(), *outside = tu_tmpdir(), path[PATH_MAX];
	struct remove_stats st = { 0 };
	int fd;

	(void)state;
	tu_file(outside, "precious/data.bin", 4096);
	tu_file(dir, "t/own.pt", 5);
	snprintf(path, sizeof(path), "%s/t/dirlink", dir);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/t/filelink", dir);
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/precious/data.bin", outside);
	assert_int_equal(symlink(target, path), 0);
	/* The target itself a symlink: the link goes, not what it names. */
	snprintf(path, sizeof(path), "%s/top", dir);
	assert_int_equal(symlink(outside, path), 0);

	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(remove_at(fd, "t", &st), 0);
	assert_int_equal(st.bytes, 5);	/* links have no bytes of ours */
	assert_int_equal(st.files, 3);
	assert_int_equal(remove_at(fd, "top", &st), 0);
	assert_false(exists(dir, "top"));
	close(fd);
	assert_true(exists(outside, "precious/data.bin"));
	struct stat sb;
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_size, 4096);
	tu_rmrf(dir);
	tu_rmrf(outside);
	free(dir);
	free(outside);
}

/* One entry goes, a file or a whole directory; its parent and siblings stay. */
static void
test_remove_keeps_parent_and_siblings(void **state)
{
	char *dir = tu_tmpdir();
	struct remove_stats st = { 0 };
	int fd;

	(void)state;
	tu_file(dir, "r/x/1", 3);
	tu_file(dir, "r/2", 4);
	tu_file(dir, "r/3", 5);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/r", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	assert_int_equal(remove_at(fd, "x", &st), 0);
	assert_int_equal(st.bytes, 3);
	assert_int_equal(st.dirs, 1);
	assert_int_equal(remove_at(fd, "2", &st), 0);
	close(fd);
	assert_int_equal(st.bytes, 7);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dirs, 1);
	assert_true(exists(dir, "r"));
	assert_false(exists(dir, "r/x"));
	assert_false(exists(dir, "r/2"));
	assert_true(exists(dir, "r/3"));
	tu_rmrf(dir);
	free(dir);
}

/* A filesystem mounted inside the tree is not entered (needs root). */
static void
test_remove_skips_other_filesystem(void **state)
{
	char *dir = tu_tmpdir(), path[PATH_MAX];
	struct remove_stats st = { 0 };
	int fd;

	(void)state;
	tu_file(dir, "t/m/.keep", 0);
	snprintf(path, sizeof(path), "%s/t/m", dir);
	if (geteuid() != 0 || mount("none", path, "tmpfs", 0, "size=1m") == -1) {
		printf("SKIPPED test_remove_skips_other_filesystem: %s\n",
		    geteuid() != 0 ? "needs root to mount a tmpfs" :
		    "mount refused");
		tu_rmrf(dir);
		free(dir);
		skip();
	}
	tu_file(path, "mounted.bin", 100);
	tu_file(dir, "t/own", 1);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(remove_at(fd, "t", &st), -1);
	close(fd);
	assert_int_equal(st.skipped_mounts, 1);
	assert_int_equal(st.error, EXDEV);
	assert_true(exists(dir, "t/m/mounted.bin"));
	assert_false(exists(dir, "t/own"));
	assert_int_equal(umount(path), 0);
	tu_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_tree_counts_bytes),
		cmocka_unit_test(test_remove_symlinks_not_followed),
		cmocka_unit_test(test_remove_keeps_parent_and_siblings),
		cmocka_unit_test(test_remove_skips_other_filesystem),
	};
	return cmocka_run_group_tests_name("remove", tests, NULL, NULL);
}
