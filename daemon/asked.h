/*
 * asked.h: when each cycle (kind >= 0) or dataset (kind -1) was last
 * asked for through get-cycle-dir, for the retention policy: a cycle
 * asked for within protect_recent_s is kept, and a use counts as an
 * access when prunable datasets are ordered.
 *
 * Hashed on (kind, cycle, dataset), so a lookup costs the same however
 * many there are, and bounded: at most ASKED_MAX entries, past which
 * the least recently asked one is forgotten (counted). A forgotten
 * cycle was asked for longer ago than any other, so it is the least
 * likely to still be within protect_recent_s. Loop thread only.
 */
#ifndef HYCO_ASKED_H
#define HYCO_ASKED_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"

#define ASKED_MAX	4096u		/* entries kept */

struct asked_ent;

struct asked_table {
	struct asked_ent	*v;		/* entries, grown up to ASKED_MAX */
	size_t			 cap;
	uint32_t		*buckets;	/* chain heads, ASKED_BUCKETS */
	uint32_t		 n;		/* entries in use */
	uint32_t		 oldest, newest; /* the order they were asked in */
	uint64_t		 forgotten;	/* dropped for ASKED_MAX */
};

/* An empty table (nothing allocated until the first entry). */
void	asked_init(struct asked_table *t);
void	asked_free(struct asked_table *t);

/*
 * kind's cycle (kind >= 0, ds "") or the dataset ds (kind -1, cycle 0)
 * was asked for at now (uv_now). -1 when out of memory (nothing kept).
 */
int	asked_touch(struct asked_table *t, int kind, long cycle, const char *ds,
	    uint64_t now);

/* When it was last asked for (*at); false if never, or forgotten. */
bool	asked_when(const struct asked_table *t, int kind, long cycle,
	    const char *ds, uint64_t *at);

#endif
