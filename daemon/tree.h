/* tree.h: creating the cache tree's directories and reading its disk. */
#ifndef HYCO_TREE_H
#define HYCO_TREE_H

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

/* Create every root, as CacheManager._create_directories() does. */
int	tree_create_all(const struct layout *l);
/* mkdir -p of a configured path; -errno on failure. */
int	tree_mkdir_p(const char *path, mode_t mode);
/*
 * Open root (creating it first if missing), then create comps[0..n-1]
 * one below the other through directory descriptors, never following a
 * symlink. *created says whether the last one was made by this call.
 * Returns 0 or -errno (-ENOTDIR when a component is not a directory).
 */
int	tree_mkdir_under(const char *root, const char *const *comps, int n,
	    bool *created);
/* Open root as a directory for removals; -1 with errno if absent. */
int	tree_open_root(const char *root);
int	tree_disk(const char *path, struct disk_usage *du);

#endif
