/*
 * remove.h: deletion that cannot escape its starting directory.
 *
 * Every step goes through an already-open directory descriptor
 * (openat O_NOFOLLOW, unlinkat): a symlink is removed as a link and
 * never followed, a directory swapped for a symlink mid-walk is not
 * entered, and a directory on another filesystem (a mount inside the
 * tree) is left alone and reported.
 */
#ifndef HYCO_REMOVE_H
#define HYCO_REMOVE_H

#include <stdint.h>

/* Directory levels below the target: a descriptor each, held at once. */
#define REMOVE_MAX_DEPTH	512

struct remove_stats {
	uint64_t	bytes;		/* st_size of regular files unlinked */
	uint64_t	files;		/* non-directories unlinked */
	uint64_t	dirs;		/* directories removed */
	uint64_t	skipped_mounts;	/* directories on another device kept */
	int		error;		/* first errno met, 0 if none */
};

/*
 * Remove the entry name of dirfd, recursively if it is a directory.
 * An entry that does not exist is success with nothing removed.
 * Returns 0 when name is gone, -1 otherwise (st->error says why).
 */
int	remove_at(int dirfd, const char *name, struct remove_stats *st);

#endif
