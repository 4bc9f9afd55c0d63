/*
 * scan.h: one walk of the cache tree into a tally.
 *
 * Sizes are the seed's: the sum of st_size of every regular file,
 * found with lstat (symlinks are neither followed nor counted). Each
 * path is counted once, in one category: the prediction caches count
 * as "generated" even when configured outside generated_cache_dir.
 */
#ifndef HYCO_SCAN_H
#define HYCO_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

struct tally_dataset {
	char		name[HYCO_DATASET_MAX + 1];
	uint64_t	bytes[CAT_COUNT];
};

struct tally_cycle {
	int		kind;		/* enum kind */
	long		cycle;
	uint64_t	bytes, files;
};

struct tally {
	uint64_t		 bytes[CAT_COUNT], files[CAT_COUNT];
	struct tally_dataset	*ds;	/* sorted by name after scan */
	size_t			 nds, capds;
	struct tally_cycle	*cy;	/* sorted by kind name, then cycle */
	size_t			 ncy, capcy;
	uint64_t		 errors;	/* entries that could not be read */
};

/* Walk every root of l into t (which is reset first). 0, or -1 on ENOMEM. */
int	scan_tree(const struct layout *l, struct tally *t);
void	tally_free(struct tally *t);

#endif
