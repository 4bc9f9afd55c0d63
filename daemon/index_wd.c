/*
 * index_wd.c: the index's watches, wd -> directory: an open-addressing
 * table with backward-shift deletion, and the rule for a watch that
 * moves to another node (same inode, new name).
 */
#include <stdlib.h>

#include "index.h"

#define WD_EMPTY	(-1)

static uint32_t
wd_slot(const struct index *ix, int32_t wd)
{
	return ((uint32_t)wd * 0x9e3779b1u) & (ix->capwds - 1);
}

uint32_t
index_by_wd(const struct index *ix, int32_t wd)
{
	if (ix->capwds == 0 || wd < 0)
		return IX_NIL;
	for (uint32_t i = wd_slot(ix, wd);; i = (i + 1) & (ix->capwds - 1)) {
		if (ix->wds[i].wd == wd)
			return ix->dirs[ix->wds[i].dir].node;
		if (ix->wds[i].wd == WD_EMPTY)
			return IX_NIL;
	}
}

static void
wd_delete(struct index *ix, int32_t wd)
{
	uint32_t mask = ix->capwds - 1, i = wd_slot(ix, wd), j;

	while (ix->wds[i].wd != wd)
		i = (i + 1) & mask;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (j = (i + 1) & mask; ix->wds[j].wd != WD_EMPTY; j = (j + 1) & mask) {
		uint32_t home = wd_slot(ix, ix->wds[j].wd);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->wds[i] = ix->wds[j];
			i = j;
		}
	}
	ix->wds[i].wd = WD_EMPTY;
	ix->nwds--;
}

static int
wd_insert(struct index *ix, int32_t wd, uint32_t d)
{
	if ((ix->nwds + 1) * 2 > ix->capwds) {
		uint32_t cap = ix->capwds ? ix->capwds * 2 : 256;
		struct ix_wd *old = ix->wds;
		uint32_t oldcap = ix->capwds;
		if ((ix->wds = malloc((size_t)cap * sizeof(*ix->wds))) == NULL) {
			ix->wds = old;
			return -1;
		}
		ix->capwds = cap;
		ix->nwds = 0;
		for (uint32_t i = 0; i < cap; i++)
			ix->wds[i].wd = WD_EMPTY;
		for (uint32_t i = 0; i < oldcap; i++) {
			struct ix_wd *o = &old[i];
			if (o->wd != WD_EMPTY)
				(void)wd_insert(ix, o->wd, o->dir);
		}
		free(old);
	}
	uint32_t i = wd_slot(ix, wd);
	while (ix->wds[i].wd != WD_EMPTY && ix->wds[i].wd != wd)
		i = (i + 1) & (ix->capwds - 1);
	if (ix->wds[i].wd == WD_EMPTY)
		ix->nwds++;
	ix->wds[i].wd = wd;
	ix->wds[i].dir = d;
	return 0;
}

void
index__drop_wd(struct index *ix, uint32_t d, ix_unwatch_fn unwatch, void *arg)
{
	int32_t wd = ix->dirs[d].wd;

	if (wd < 0)
		return;
	ix->dirs[d].wd = -1;
	uint32_t owner = index_by_wd(ix, wd);
	if (owner == IX_NIL || index_node(ix, owner)->size != d)
		return;		/* a newer node holds this watch */
	wd_delete(ix, wd);
	ix->watched--;
	if (unwatch != NULL)
		unwatch(arg, wd);
}

int
index_set_wd(struct index *ix, uint32_t dir, int32_t wd)
{
	uint32_t d = (uint32_t)index_node(ix, dir)->size;
	uint32_t old;

	if (ix->dirs[d].wd == wd)
		return 0;
	index__drop_wd(ix, d, NULL, NULL);
	if (wd < 0)
		return 0;
	if ((old = index_by_wd(ix, wd)) != IX_NIL) {
		/*
		 * The watch moved to this node (same inode, new name). The
		 * other is stale and about to go; should it not be, it must
		 * not pass for watched: flag it, so it is re-scanned.
		 */
		struct ix_dir *od = index_dir(ix, old);
		od->wd = -1;
		ix->watched--;
		if (!(od->flags & IXD_UNWATCHED)) {
			od->flags |= IXD_UNWATCHED;
			ix->unwatched++;
		}
	}
	if (wd_insert(ix, wd, d) == -1) {
		ix->nomem = true;
		return -1;
	}
	ix->dirs[d].wd = wd;
	ix->watched++;
	return 0;
}
