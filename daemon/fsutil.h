/*
 * fsutil.h: the filesystem calls the cache tree's owners share:
 * directories created without following links, opened and listed
 * through descriptors, and the free space of a filesystem.
 */
#ifndef HYCO_FSUTIL_H
#define HYCO_FSUTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layout.h"

struct disk_usage {
	uint64_t	avail_bytes;	/* f_bavail * f_frsize: what users may write */
	uint64_t	total_bytes;	/* f_blocks * f_frsize */
	uint64_t	avail_inodes;	/* f_favail */
	uint64_t	total_inodes;	/* f_files */
};

/*
 * Create every root, as CacheManager._create_directories() does, with
 * mode (daemon.dir_mode); the cache root itself without group or other
 * write.
 */
int	fsutil_create_roots(const struct layout *l, mode_t mode);
/*
 * mkdir -p of a configured path; each directory it makes gets exactly
 * mode (setgid included, umask aside). -errno on failure.
 */
int	fsutil_mkdir_p(const char *path, mode_t mode);
/*
 * Open root (creating it first if missing), then create comps[0..n-1]
 * one below the other through directory descriptors, never following a
 * symlink, each new one with exactly mode. A directory on the way that
 * this user may not write in (a trainer's) is granted access once
 * (perm.h). *created says whether the last one was made by this call.
 * Returns 0 or -errno (-ENOTDIR when a component is not a directory).
 */
int	fsutil_mkdir_under(const char *root, const char *const *comps, int n,
	    mode_t mode, bool *created);
/*
 * Open path as a directory, following a link at path itself (a root may
 * be a link to another disk). -1 with errno (ENOENT: absent).
 */
int	fsutil_open_dir(const char *path);
/*
 * List the directory dirfd through a descriptor of its own, so dirfd
 * stays the caller's and usable for *at() calls while it is read.
 * closedir() when done; NULL with errno.
 */
DIR	*fsutil_list(int dirfd);
/* statvfs of path into du; -errno on failure. */
int	fsutil_disk(const char *path, struct disk_usage *du);

/* "." or "..": the entries a listing skips. */
static inline bool
fsutil_is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

#endif
