/* test_remove.c: removal never follows links nor leaves its filesystem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* Stand-in ids: the kernel needs no user database to check them. */
#define DAEMON_UID	64000
#define TRAINER_UID	64001
#define GROUP_GID	64000

/*
 * In a child: become DAEMON_UID:GROUP_GID holding CAP_FOWNER alone
 * (fowner) or no capability at all, as the unit runs hycod, and remove
 * dir/name. The child's remove_stats come back through a pipe.
 */
static int
remove_as_daemon(const char *dir, const char *name, bool fowner,
    struct remove_stats *st)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2] = { { 0 } };
	int p[2], status, rc = -1;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (fowner)
			caps[0].effective = caps[0].permitted = 1u << CAP_FOWNER;
		if (prctl(PR_SET_KEEPCAPS, 1) == -1 || setgroups(0, NULL) == -1 ||
		    setresgid(GROUP_GID, GROUP_GID, GROUP_GID) == -1 ||
		    setresuid(DAEMON_UID, DAEMON_UID, DAEMON_UID) == -1 ||
		    syscall(SYS_capset, &h, caps) == -1)
			_exit(2);
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		rc = fd == -1 ? -1 : remove_at(fd, name, st);
		if (write(p[1], st, sizeof(*st)) != (ssize_t)sizeof(*st))
			_exit(2);
		_exit(rc == 0 ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], st, sizeof(*st)) == (ssize_t)sizeof(*st) &&
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) != 2)
		rc = WEXITSTATUS(status) == 0 ? 0 : -1;
	close(p[0]);
	return rc;
}

/* dir/name, made by the test as root, handed to uid:gid with mode. */
static void
own(const char *dir, const char *name, uid_t uid, mode_t mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(lchown(path, uid, GROUP_GID), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/*
 * What a trainer (umask 022) leaves in a cycle: a directory of its own
 * 0755, files 0644, a nested 0755 directory and one it closed (0700).
 * hycod's user (in the group, not the owner) removes it all with
 * CAP_FOWNER alone, granting itself each directory it needs, and never
 * changes the mode of what a link names; with no capability it is
 * refused, the tree stays. Needs root to hand files to other users.
 */
static void
test_remove_trainer_tree_with_fowner(void **state)
{
	char *dir = tu_tmpdir(), *outside = tu_tmpdir(), path[PATH_MAX];
	static const char *const files[] = { "t/a.pt", "t/nested/b.pt",
	    "t/nested/deeper/c.pt", "t/closed/d.pt" };
	static const char *const dirs[] = { "t", "t/nested",
	    "t/nested/deeper" };
	struct remove_stats st = { 0 };
	struct stat sb;

	(void)state;
	if (geteuid() != 0) {
		tu_rmrf(dir);
		tu_rmrf(outside);
		free(dir);
		free(outside);
		skip();
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		tu_file(dir, files[i], 10);
	tu_file(outside, "theirs", 5);
	own(outside, "theirs", TRAINER_UID, 0600);
	assert_int_equal(chmod(outside, 0755), 0);
	snprintf(path, sizeof(path), "%s/t/nested/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/t/nested/link", dir);
	assert_int_equal(lchown(path, TRAINER_UID, GROUP_GID), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		own(dir, files[i], TRAINER_UID, 0644);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		own(dir, dirs[i], TRAINER_UID, 02755);
	own(dir, "t/closed", TRAINER_UID, 02700);
	/* The parent is hycod's (the trash), as in the daemon. */
	assert_int_equal(chown(dir, DAEMON_UID, GROUP_GID), 0);
	assert_int_equal(chmod(dir, 0700), 0);

	/* No capability: the trainer's directories refuse the group. */
	assert_int_equal(remove_as_daemon(dir, "t", false, &st), -1);
	assert_int_equal(st.error, EACCES);
	assert_true(exists(dir, "t/a.pt"));
	assert_true(exists(dir, "t/nested/deeper/c.pt"));
	assert_true(exists(dir, "t/closed/d.pt"));

	memset(&st, 0, sizeof(st));
	assert_int_equal(remove_as_daemon(dir, "t", true, &st), 0);
	assert_string_equal(strerror(st.error), strerror(0));
	assert_false(exists(dir, "t"));
	assert_int_equal(st.files, 5);	/* four files and the link */
	assert_int_equal(st.dirs, 4);
	assert_int_equal(st.bytes, 40);
	/* What the link named is untouched, its mode included. */
	snprintf(path, sizeof(path), "%s/theirs", outside);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_uid, TRAINER_UID);
	assert_int_equal(stat(outside, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	tu_rmrf(dir);
	tu_rmrf(outside);
	free(dir);
	free(outside);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_tree_counts_bytes),
		cmocka_unit_test(test_remove_symlinks_not_followed),
		cmocka_unit_test(test_remove_keeps_parent_and_siblings),
		cmocka_unit_test(test_remove_skips_other_filesystem),
		cmocka_unit_test(test_remove_trainer_tree_with_fowner),
	};
	return cmocka_run_group_tests_name("remove", tests, NULL, NULL);
}
