/*
 * lock.h: one hycod per cache tree.
 *
 * At start-up hycod takes an exclusive lock (an open file description
 * lock, fcntl F_OFD_SETLK) on a lock file for its cache root,
 * <cache_root>/.hycod.lock, and on one for each root that lies outside
 * it (a category root, a prediction cache or the trash configured
 * elsewhere): <parent>/.<name>.hycod.lock, beside the root and never
 * inside it, since everything inside a root is tallied. The kernel
 * drops the locks when the daemon dies however it dies, so a lock left
 * by a killed daemon never blocks a restart; the file stays and its
 * contents are overwritten. Each file says who holds it:
 *	pid 1234
 *	socket /var/cache/hyco/hycod.sock
 *	cache_root /var/cache/hyco
 *	claim paths.tensor_cache_dir /var/cache/hyco/tensors
 *	...
 * (real paths; bytes below 0x20, 0x7f and backslash as \xHH), one claim
 * per root and the trash.
 *
 * Two daemons conflict when they have the same cache root, or when a
 * root or trash of one is, contains or lies inside a root or trash of
 * the other: they would tally, prune and remove the same files. A
 * daemon finds the others that conflict with it through the lock files
 * at and above each of its roots (either placement, every ancestor),
 * before it creates its own and again after it holds them (two that
 * start at once both see each other and both refuse), and through
 * those inside its roots, which its first scan finds (lock_check_file).
 * A lock file is trusted only if root, this daemon's user or the owner
 * of its directory owns it, so nobody can block a daemon by leaving one
 * in /tmp. OFD locks rather than flock: a client (hycoctl) can ask
 * whether a lock is held (F_OFD_GETLK) without taking it, so asking
 * never makes a starting daemon fail.
 */
#ifndef HYCO_LOCK_H
#define HYCO_LOCK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "layout.h"

#define LOCK_NAME	".hycod.lock"	/* in the cache root; suffix beside */
#define LOCK_CLAIMS	(CAT_COUNT + KIND_COUNT + 1)	/* roots, trash */
#define LOCK_MAX	(1 + LOCK_CLAIMS)	/* lock files one daemon holds */
#define LOCK_TEXT_MAX	16384		/* bytes of a lock file read */
#define LOCK_KEY_MAX	40		/* a claim's config key */
#define LOCK_WAIT_MS	1000		/* for a new holder to write its file */

/* What a lock file says about its holder. */
struct lock_info {
	long	pid;
	char	socket[PATH_MAX];
	char	cache_root[PATH_MAX];
	int	nclaims;
	char	claim_key[LOCK_CLAIMS][LOCK_KEY_MAX];
	char	claim[LOCK_CLAIMS][PATH_MAX];
};

/* The locks a daemon holds, and what its files say. */
struct locks {
	int		 n;
	int		 fd[LOCK_MAX];
	dev_t		 dev[LOCK_MAX];
	ino_t		 ino[LOCK_MAX];
	char		 path[LOCK_MAX][PATH_MAX];
	struct lock_info self;
};

/*
 * Lock the tree of layout l (its roots must exist) and trash_dir for
 * this process, which listens on socket. -1 when another hycod holds
 * it or a part of it (logged with that daemon's pid, socket and lock
 * file) or a lock file cannot be used (logged); nothing is held then.
 */
int	lock_acquire(struct locks *lk, const struct layout *l,
	    const char *trash_dir, const char *socket);
/* True if a file name is a lock file's (".hycod.lock", ".x.hycod.lock"). */
bool	lock_is_name(const char *name, size_t len);
/*
 * A lock file found inside this daemon's roots: -1 (logged) if another
 * hycod holds it and claims a part of this daemon's tree.
 */
int	lock_check_file(const struct locks *lk, const char *path);
/* Close the lock files, which drops the locks (the files stay). */
void	lock_release(struct locks *lk);

/*
 * For clients: is the tree at dir (a cache root or a root elsewhere)
 * held? 1 with what its lock file says in *info and the file in
 * lockfile, 0 if not held, -1 if that cannot be told (errno).
 */
int	lock_probe(const char *dir, struct lock_info *info, char *lockfile,
	    size_t size);

#endif
