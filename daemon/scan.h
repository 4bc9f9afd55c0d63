/*
 * scan.h: build a private index of directories from the filesystem.
 *
 * Runs off the loop thread (a uv work item). Each directory is opened
 * relative to its parent's descriptor without following symlinks,
 * watched before it is read, so that nothing made after the read is
 * missed (it shows up as an event), read with getdents64 and its files
 * stat'ed. With two threads each takes whole directories, listing and
 * stat'ing them itself: the dentries getdents64 just went through are
 * still in that CPU's cache for fstatat, which costs a tenth less than
 * stat'ing them from the other CPU. A directory of 2048 entries or more
 * is shared in chunks of 1024 when the other thread has nothing else.
 * The calling thread alone builds the index, from what each directory
 * held; the getdents64 and fstatat calls are the whole cost.
 *
 * Counted: regular files, by st_size. Symlinks, sockets and the like
 * are neither followed nor counted.
 */
#ifndef HYCO_SCAN_H
#define HYCO_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "index.h"

#define SCAN_MAX_DEPTH	512	/* directory levels below a top */

struct scan_opts {
	int		inotify_fd;	/* -1: do not watch */
	uint32_t	mask;		/* inotify events to ask for */
	int64_t		max_watches;	/* watches it may add; < 0: any */
	int		threads;	/* 1 or 2 */
};

struct scan_stats {
	uint64_t	errors;		/* entries that could not be read */
	uint64_t	unwatched;	/* directories left without a watch */
	int		watch_errno;	/* why the first one was, or 0 */
	int		error_errno;	/* why the first error was, or 0 */
	const char	*error_op;	/* and in which call */
};

/*
 * Scan each path into a new top of ix (initialized by the caller), in
 * order. A path that is missing leaves an empty top with ino 0. A path
 * that is a symlink is followed only where follow[i] is true (a root
 * may be a link to another disk); nothing below a path ever is. 0, or
 * -1 on ENOMEM.
 */
int	scan_build(struct index *ix, const char *const *paths,
	    const bool *follow, int npaths, const struct scan_opts *o,
	    struct scan_stats *st);

#endif
