/* tally.c: category, dataset and cycle figures from the index. */
#include "tally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

static struct tally_dataset *
dataset(struct tally *t, const char *name)
{
	for (size_t i = 0; i < t->nds; i++)
		if (strcmp(t->ds[i].name, name) == 0)
			return &t->ds[i];
	if (array_grow((void **)&t->ds, &t->capds, t->nds + 1,
	    sizeof(*t->ds)) == -1)
		return NULL;
	memset(&t->ds[t->nds], 0, sizeof(t->ds[0]));
	snprintf(t->ds[t->nds].name, sizeof(t->ds[0].name), "%s", name);
	return &t->ds[t->nds++];
}

static struct tally_cycle *
cycle(struct tally *t, int kind, long n)
{
	if (array_grow((void **)&t->cy, &t->capcy, t->ncy + 1,
	    sizeof(*t->cy)) == -1)
		return NULL;
	memset(&t->cy[t->ncy], 0, sizeof(t->cy[0]));
	t->cy[t->ncy].kind = kind;
	t->cy[t->ncy].cycle = n;
	return &t->cy[t->ncy++];
}

/* Subdirectories of dir not starting with '.' are datasets of cat. */
static int
datasets(const struct index *ix, uint32_t dir, int cat, struct tally *t)
{
	IX_FOREACH(ix, index_dir(ix, dir)->dirs, id) {
		const char *name = index_name(ix, id);
		struct tally_dataset *ds;
		if (name[0] == '.')
			continue;
		if ((ds = dataset(t, name)) == NULL)
			return -1;
		ds->bytes[cat] += index_dir(ix, id)->bytes;
	}
	return 0;
}

/* pred_root/cycle_NNN/<dataset>: only canonical cycle names count. */
static int
cycles(const struct index *ix, uint32_t root, int kind, struct tally *t)
{
	IX_FOREACH(ix, index_dir(ix, root)->dirs, id) {
		const struct ix_dir *d = index_dir(ix, id);
		struct tally_cycle *c;
		long n;
		if (layout_parse_cycle(index_name(ix, id), &n) == -1)
			continue;
		if ((c = cycle(t, kind, n)) == NULL)
			return -1;
		c->bytes = d->bytes;
		c->files = d->nfiles;
		if (datasets(ix, id, CAT_GENERATED, t) == -1)
			return -1;
	}
	return 0;
}

static int
ds_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally_dataset *)a)->name,
	    ((const struct tally_dataset *)b)->name);
}

static int
cy_cmp(const void *a, const void *b)
{
	const struct tally_cycle *x = a, *y = b;
	int c = strcmp(layout_kind_names[x->kind], layout_kind_names[y->kind]);

	if (c != 0)
		return c;
	return x->cycle < y->cycle ? -1 : x->cycle > y->cycle;
}

int
tally_tops(const struct layout *l, const char **paths)
{
	int n = 0;

	for (int c = 0; c < CAT_COUNT; c++)
		paths[n++] = l->roots[c];
	for (int k = 0; k < KIND_COUNT; k++)
		if (!layout_is_inside(l->roots[CAT_GENERATED], l->pred_root[k]))
			paths[n++] = l->pred_root[k];
	return n;
}

int
tally_read(const struct index *ix, const struct layout *l, struct tally *t)
{
	const char *gen = l->roots[CAT_GENERATED];
	int next = CAT_COUNT;

	/* Emptied, its arrays kept: a tally read again allocates nothing. */
	memset(t->bytes, 0, sizeof(t->bytes));
	memset(t->files, 0, sizeof(t->files));
	t->nds = t->ncy = 0;
	for (int c = 0; c < CAT_COUNT; c++) {
		uint32_t top = ix->tops[c].node;
		t->bytes[c] += index_dir(ix, top)->bytes;
		t->files[c] += index_dir(ix, top)->nfiles;
		if (c != CAT_GENERATED && datasets(ix, top, c, t) == -1)
			return -1;
	}
	for (int k = 0; k < KIND_COUNT; k++) {
		uint32_t root;
		if (layout_is_inside(gen, l->pred_root[k])) {
			root = index_find(ix, ix->tops[CAT_GENERATED].node,
			    l->pred_root[k] + strlen(gen) + 1);
			if (root == IX_NIL ||
			    !(index_node(ix, root)->flags & IX_DIR))
				continue;
		} else {
			/* Its own top: its bytes are generated too. */
			root = ix->tops[next++].node;
			t->bytes[CAT_GENERATED] += index_dir(ix, root)->bytes;
			t->files[CAT_GENERATED] += index_dir(ix, root)->nfiles;
		}
		if (cycles(ix, root, k, t) == -1)
			return -1;
	}
	if (t->nds > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(t->ds, t->nds, sizeof(*t->ds), ds_cmp);
	if (t->ncy > 0)
		qsort(t->cy, t->ncy, sizeof(*t->cy), cy_cmp);
	return 0;
}

void
tally_free(struct tally *t)
{
	free(t->ds);
	free(t->cy);
	memset(t, 0, sizeof(*t));
}
