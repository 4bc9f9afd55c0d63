/*
 * tally.h: the summary's figures, read off the index.
 *
 * Sizes are the seed's: the sum of st_size of every regular file,
 * found with lstat (symlinks are neither followed nor counted). Each
 * path is counted once, in one category: the prediction caches count
 * as "generated" even when configured outside generated_cache_dir.
 * Reading them costs O(datasets + cycles), whatever the number of files.
 */
#ifndef HYCO_TALLY_H
#define HYCO_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
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
	struct tally_dataset	*ds;	/* sorted by name */
	size_t			 nds, capds;
	struct tally_cycle	*cy;	/* sorted by kind name, then cycle */
	size_t			 ncy, capcy;
};

/*
 * The tops an index of the cache tree has, in this order: the category
 * roots (by enum category), then each prediction root that is not
 * inside generated (by enum kind). Fills paths; returns how many.
 */
int	tally_tops(const struct layout *l, const char **paths);

/*
 * Read t off ix, whose tops are tally_tops(l): t is emptied first and
 * keeps its arrays, so reading into the same t again allocates only
 * for datasets and cycles it did not hold before. 0 or -1.
 */
int	tally_read(const struct index *ix, const struct layout *l,
	    struct tally *t);
void	tally_free(struct tally *t);

#endif
