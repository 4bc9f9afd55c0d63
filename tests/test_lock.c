/*
 * test_lock.c: one daemon per tree. Open file description locks
 * conflict between two opens in one process, so each struct locks here
 * stands for a daemon of its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "testutil.h"

#define P	1024	/* test paths are shorter than this */

static void
mkdir_p(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s != '\0'; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

/* A layout under cache with the default roots, all made; its trash. */
static void
layout_at(struct layout *l, char *trash, const char *cache)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->cache_root, PATH_MAX, "%s", cache);
	snprintf(l->roots[CAT_TENSORS], PATH_MAX, "%s/tensors", cache);
	snprintf(l->roots[CAT_GENERATED], PATH_MAX, "%s/generated", cache);
	snprintf(l->roots[CAT_EVAL], PATH_MAX, "%s/evaluation", cache);
	snprintf(l->pred_root[KIND_SYNTHETIC], PATH_MAX,
	    "%s/generated/synthetic_preds", cache);
	snprintf(l->pred_root[KIND_PHYSICAL], PATH_MAX,
	    "%s/generated/physical_preds", cache);
	snprintf(trash, P, "%s/.trash", cache);
	mkdir_p(l->roots[CAT_TENSORS]);
	mkdir_p(l->roots[CAT_EVAL]);
	mkdir_p(l->pred_root[KIND_SYNTHETIC]);
	mkdir_p(l->pred_root[KIND_PHYSICAL]);
}

static int
acquire(struct locks *lk, const struct layout *l, const char *trash,
    const char *sock)
{
	return lock_acquire(lk, l, trash, sock);
}

static char *
slurp(const char *path)
{
	static char buf[LOCK_TEXT_MAX];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_lock_file_says_who(void **state)
{
	char *dir = tu_tmpdir(), cache[P], trash[P];
	char path[P + 32], want[P * 3], lockfile[PATH_MAX];
	struct locks *a = calloc(1, sizeof(*a));
	struct lock_info *info = calloc(1, sizeof(*info));
	struct layout l;
	char *text;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	layout_at(&l, trash, cache);
	assert_int_equal(acquire(a, &l, trash, "/run/x.sock"), 0);
	assert_int_equal(a->n, 1);	/* every root is inside the cache root */
	snprintf(path, sizeof(path), "%s/.hycod.lock", cache);
	assert_string_equal(a->path[0], path);
	assert_non_null(text = slurp(path));
	snprintf(want, sizeof(want), "pid %d\nsocket /run/x.sock\ncache_root "
	    "%s\nclaim paths.tensor_cache_dir %s/tensors\n", (int)getpid(),
	    cache, cache);
	assert_true(strncmp(text, want, strlen(want)) == 0);
	snprintf(want, sizeof(want), "claim retention.trash_dir %s/.trash\n",
	    cache);
	assert_non_null(strstr(text, want));
	/* A client sees it held, and by whom. */
	assert_int_equal(lock_probe(cache, info, lockfile, sizeof(lockfile)), 1);
	assert_int_equal(info->pid, (long)getpid());
	assert_string_equal(info->socket, "/run/x.sock");
	assert_string_equal(info->cache_root, cache);
	assert_string_equal(lockfile, path);
	assert_int_equal(info->nclaims, LOCK_CLAIMS);
	lock_release(a);
	/* Released: the file stays, nobody holds it. */
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(lock_probe(cache, info, lockfile, sizeof(lockfile)), 0);
	free(a);
	free(info);
	tu_rmrf(dir);
	free(dir);
}

/* The same tree twice, by any path: refused; a stale file: overwritten. */
static void
test_lock_second_refused(void **state)
{
	char *dir = tu_tmpdir(), cache[P], trash[P];
	char link[P + 8], path[P + 32], stale[8192];
	struct locks *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct layout l, l2;
	char *text;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	layout_at(&l, trash, cache);
	/* What a killed daemon left: longer than what comes next. */
	memset(stale, 'z', sizeof(stale) - 1);
	stale[sizeof(stale) - 1] = '\0';
	memcpy(stale, "pid 999999\n", 11);
	tu_write(cache, ".hycod.lock", stale);
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), 0);
	snprintf(path, sizeof(path), "%s/.hycod.lock", cache);
	assert_non_null(text = slurp(path));
	assert_null(strstr(text, "zzz"));
	assert_null(strstr(text, "999999"));
	assert_int_equal(acquire(b, &l, trash, "/run/b.sock"), -1);
	assert_int_equal(b->n, 0);
	/* Through a symlink to the same directory: the same tree. */
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(cache, link), 0);
	layout_at(&l2, trash, link);
	assert_int_equal(acquire(b, &l2, trash, "/run/b.sock"), -1);
	/* The holder's text is intact. */
	assert_non_null(text = slurp(path));
	assert_non_null(strstr(text, "socket /run/a.sock\n"));
	lock_release(a);
	/* Once the holder is gone (as after SIGKILL), the next one starts. */
	assert_int_equal(acquire(b, &l2, trash, "/run/b.sock"), 0);
	assert_non_null(text = slurp(path));
	assert_non_null(strstr(text, "socket /run/b.sock\n"));
	lock_release(b);
	free(a);
	free(b);
	tu_rmrf(dir);
	free(dir);
}

/* Roots elsewhere: locked beside, never inside; shared ones refused. */
static void
test_lock_roots_elsewhere(void **state)
{
	char *dir = tu_tmpdir(), ca[P], cb[P], cc[P];
	char trash[P], shared[P], beside[P + 32];
	char inner[P + 32], cmd[P * 3];
	struct locks *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct layout la, lb;
	struct stat st;

	(void)state;
	snprintf(ca, sizeof(ca), "%s/a", dir);
	snprintf(cb, sizeof(cb), "%s/b", dir);
	snprintf(cc, sizeof(cc), "%s/c", dir);
	snprintf(shared, sizeof(shared), "%s/shared/t", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", shared);
	assert_int_equal(system(cmd), 0);
	layout_at(&la, trash, ca);
	snprintf(la.roots[CAT_TENSORS], PATH_MAX, "%s", shared);
	assert_int_equal(acquire(a, &la, trash, "/run/a.sock"), 0);
	assert_int_equal(a->n, 2);
	snprintf(beside, sizeof(beside), "%s/shared/.t.hycod.lock", dir);
	assert_string_equal(a->path[1], beside);
	snprintf(inner, sizeof(inner), "%s/.hycod.lock", shared);
	assert_int_equal(lstat(inner, &st), -1);	/* nothing inside */
	/* Another cache root, the same tensor root: refused. */
	layout_at(&lb, trash, cb);
	snprintf(lb.roots[CAT_TENSORS], PATH_MAX, "%s", shared);
	assert_int_equal(acquire(b, &lb, trash, "/run/b.sock"), -1);
	/* A tensor root inside a's: refused, and no file made for it. */
	snprintf(lb.roots[CAT_TENSORS], PATH_MAX, "%s/sub", shared);
	assert_int_equal(acquire(b, &lb, trash, "/run/b.sock"), -1);
	snprintf(beside, sizeof(beside), "%s/.sub.hycod.lock", shared);
	assert_int_equal(lstat(beside, &st), -1);
	/* A cache root inside a's eval root: its roots are in there too. */
	snprintf(cmd, sizeof(cmd), "%s/evaluation/x", ca);
	layout_at(&lb, trash, cmd);
	assert_int_equal(acquire(b, &lb, trash, "/run/b.sock"), -1);
	/* a's tensor root (in a's cache root) used by b from elsewhere. */
	layout_at(&lb, trash, cb);
	snprintf(lb.roots[CAT_EVAL], PATH_MAX, "%s/evaluation", ca);
	assert_int_equal(acquire(b, &lb, trash, "/run/b.sock"), -1);
	/* A cache root inside a's, roots apart: no file shared, allowed. */
	snprintf(cmd, sizeof(cmd), "%s/other", ca);
	layout_at(&lb, trash, cmd);
	assert_int_equal(acquire(b, &lb, trash, "/run/b.sock"), 0);
	lock_release(b);
	/* A separate tree beside it: allowed. */
	layout_at(&lb, trash, cc);
	assert_int_equal(acquire(b, &lb, trash, "/run/c.sock"), 0);
	lock_release(b);
	lock_release(a);
	free(a);
	free(b);
	tu_rmrf(dir);
	free(dir);
}

/*
 * The inner tree first, the outer second: only a lock file inside the
 * outer's roots shows it (its first scan finds that file).
 */
static void
test_lock_inner_found_by_file(void **state)
{
	char *dir = tu_tmpdir(), ca[P], cb[P], trash[P];
	char trash_b[P], path[P + 32];
	struct locks *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct layout la, lb;

	(void)state;
	snprintf(ca, sizeof(ca), "%s/a", dir);
	snprintf(cb, sizeof(cb), "%s/a/tensors/b", dir);
	layout_at(&lb, trash_b, cb);
	assert_int_equal(acquire(b, &lb, trash_b, "/run/b.sock"), 0);
	layout_at(&la, trash, ca);
	assert_int_equal(acquire(a, &la, trash, "/run/a.sock"), 0);
	snprintf(path, sizeof(path), "%s/.hycod.lock", cb);
	assert_int_equal(lock_check_file(a, path), -1);
	/* Its own files are not a conflict; released ones neither. */
	assert_int_equal(lock_check_file(a, a->path[0]), 0);
	lock_release(b);
	assert_int_equal(lock_check_file(a, path), 0);
	lock_release(a);
	free(a);
	free(b);
	tu_rmrf(dir);
	free(dir);
}

/* Links, hard links and files of other users are never written. */
static void
test_lock_refuses_odd_files(void **state)
{
	char *dir = tu_tmpdir(), cache[P], trash[P];
	char path[P + 32], other[P + 32];
	struct locks *a = calloc(1, sizeof(*a));
	struct layout l;
	char *text;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	layout_at(&l, trash, cache);
	snprintf(path, sizeof(path), "%s/.hycod.lock", cache);
	snprintf(other, sizeof(other), "%s/precious", dir);
	tu_write(dir, "precious", "keep me\n");
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), -1);
	assert_string_equal(slurp(other), "keep me\n");
	unlink(path);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), -1);
	assert_string_equal(slurp(other), "keep me\n");
	unlink(path);
	if (geteuid() != 0) {
		print_message("SKIPPED: lock files of other users (needs "
		    "root)\n");
	} else {
		/* Another user's file: not written to. */
		tu_write(cache, ".hycod.lock", "theirs\n");
		assert_int_equal(chown(path, 4321, 4321), 0);
		assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), -1);
		assert_string_equal(slurp(path), "theirs\n");
		unlink(path);
	}
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), 0);
	assert_non_null(text = slurp(path));
	assert_non_null(strstr(text, "socket /run/a.sock"));
	lock_release(a);
	free(a);
	tu_rmrf(dir);
	free(dir);
}

/*
 * A lock held above the tree by a user that owns neither that file's
 * directory nor is root or us: ignored, so a file left in /tmp cannot
 * stop a daemon.
 */
static void
test_lock_untrusted_ignored(void **state)
{
	char *dir = tu_tmpdir(), cache[P], trash[P];
	char path[P + 32], text[P * 2];
	struct locks *a = calloc(1, sizeof(*a));
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct layout l;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIPPED: lock files of other users (needs "
		    "root)\n");
		free(a);
		tu_rmrf(dir);
		free(dir);
		return;
	}
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	layout_at(&l, trash, cache);
	/* Claims "/" from dir's own .hycod.lock. */
	snprintf(path, sizeof(path), "%s/.hycod.lock", dir);
	snprintf(text, sizeof(text), "pid 1\nsocket /x\ncache_root /\n"
	    "claim paths.tensor_cache_dir %s\n", dir);
	tu_write(dir, ".hycod.lock", text);
	fd = open(path, O_RDWR);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	/* Trusted while root owns it: it claims our tree, so refused. */
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), -1);
	assert_int_equal(fchown(fd, 4321, 4321), 0);
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), 0);
	lock_release(a);
	/* The directory's owner may: then it counts again. */
	assert_int_equal(chown(dir, 4321, 4321), 0);
	assert_int_equal(acquire(a, &l, trash, "/run/a.sock"), -1);
	assert_int_equal(chown(dir, 0, 0), 0);
	close(fd);
	free(a);
	tu_rmrf(dir);
	free(dir);
}

/* Paths with newlines and backslashes survive the file's text. */
static void
test_lock_escapes(void **state)
{
	char *dir = tu_tmpdir(), cache[P], trash[P];
	char lockfile[PATH_MAX];
	struct locks *a = calloc(1, sizeof(*a));
	struct lock_info *info = calloc(1, sizeof(*info));
	struct layout l;

	(void)state;
	snprintf(cache, sizeof(cache), "%s/ca\nche\\x41", dir);
	layout_at(&l, trash, cache);
	assert_int_equal(acquire(a, &l, trash, "/run/so\ncket"), 0);
	assert_int_equal(lock_probe(cache, info, lockfile, sizeof(lockfile)), 1);
	assert_string_equal(info->cache_root, cache);
	assert_string_equal(info->socket, "/run/so\ncket");
	lock_release(a);
	free(a);
	free(info);
	tu_rmrf(dir);
	free(dir);
}

static void
test_lock_names(void **state)
{
	(void)state;
	assert_true(lock_is_name(".hycod.lock", 11));
	assert_true(lock_is_name(".tensors.hycod.lock", 19));
	assert_false(lock_is_name("hycod.lock", 10));
	assert_false(lock_is_name(".hycod.lock.x", 13));
	assert_false(lock_is_name(".lock", 5));
	assert_false(lock_is_name("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_file_says_who),
		cmocka_unit_test(test_lock_second_refused),
		cmocka_unit_test(test_lock_roots_elsewhere),
		cmocka_unit_test(test_lock_inner_found_by_file),
		cmocka_unit_test(test_lock_refuses_odd_files),
		cmocka_unit_test(test_lock_untrusted_ignored),
		cmocka_unit_test(test_lock_escapes),
		cmocka_unit_test(test_lock_names),
	};

	/* The refusals log why; the tests check what they return. */
	log_init("test_lock", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
