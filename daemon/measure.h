/*
 * measure.h: what an entry holds, walked through directory
 * descriptors, for removals during the start-up scan, when the index
 * cannot say yet (job.c). Counted as the index counts: st_size of each
 * regular file, lstat (a symlink is neither followed nor counted),
 * never into another filesystem. Thread pool safe: touches only its
 * arguments.
 */
#ifndef HYCO_MEASURE_H
#define HYCO_MEASURE_H

#include <stdint.h>

#define MEASURE_DEPTH	128	/* directories deep at most; below: not
				   counted (a descriptor each) */

struct measure {
	uint64_t	bytes;		/* st_size of regular files */
	uint64_t	files;		/* regular files */
	uint64_t	errors;		/* entries that could not be read */
};

/* Add what dirfd/name holds (a file, or a directory's whole subtree). */
void	measure_at(int dirfd, const char *name, struct measure *m);

#endif
