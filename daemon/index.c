/* index.c: nodes, name arena, children by name and subtree totals. */
#include "index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NAMES_MIN	4096
#define BLOCK_BYTES	((size_t)IX_BLOCK * sizeof(struct ix_node))
/*
 * A directory's table is filled to 4/5 when its size is known (a scan,
 * a graft) and grown past 7/8; a lookup that misses then reads about 13
 * slots in a row, and a slot's 4 bits of hash spare all but one of
 * their names a comparison.
 */
#define KIDS_FULL(used, cap)	((uint64_t)(used) * 8 > (uint64_t)(cap) * 7)
#define KIDS_MIN	4

/* -- memory ------------------------------------------------------------- */

/*
 * Node blocks and the arena are whole mappings: they go back to the
 * system when freed, and resident memory is what was written, whatever
 * malloc's thresholds did before.
 */
static void *
map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static uint32_t
hash_name(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h ^ (h >> 15);
}

/* The home slot of hash h in a table of cap slots (cap > 0). */
static inline uint32_t
home(uint32_t h, uint32_t cap)
{
	return (uint32_t)(((uint64_t)h * cap) >> 32);
}

/* The slot's value for node id: 4 bits of hash above the id. */
static inline uint32_t
tagged(uint32_t h, uint32_t id)
{
	return (h & 0xf) << IX_ID_BITS | id;
}

int
index_init(struct index *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->free_node = IX_NIL;
	ix->free_dir = IX_NIL;
	ix->free_big = UINT64_MAX;
	ix->blocks = calloc(IX_MAX_BLOCKS, sizeof(*ix->blocks));
	if (ix->blocks == NULL) {
		index_free(ix);
		return -1;
	}
	return 0;
}

void
index_free(struct index *ix)
{
	if (ix->blocks != NULL)
		for (uint32_t b = 0; b < IX_MAX_BLOCKS && ix->blocks[b]; b++)
			munmap(ix->blocks[b], BLOCK_BYTES);
	free(ix->blocks);
	if (ix->names != NULL)
		munmap(ix->names, ix->names_cap);
	for (uint32_t d = 0; d < ix->ndirs; d++)
		free(ix->dirs[d].kids);
	free(ix->dirs);
	free(ix->wds);
	free(ix->bigs);
	for (uint32_t i = 0; i < ix->ntops; i++)
		free(ix->tops[i].path);
	free(ix->tops);
	memset(ix, 0, sizeof(*ix));
}

/* -- names -------------------------------------------------------------- */

/* Rewrite the arena with live names only, once it is half garbage. */
static void
names_compact(struct index *ix)
{
	char *n = map(ix->names_cap);
	size_t len = 0;

	if (n == NULL)
		return;		/* keep the garbage: still correct */
	for (uint32_t id = 0; id < ix->nnodes; id++) {
		struct ix_node *x = index_node(ix, id);
		if (x->flags & IX_FREE)
			continue;
		memcpy(n + len, ix->names + x->name, x->nlen + 1u);
		x->name = (uint32_t)len;
		len += x->nlen + 1u;
	}
	munmap(ix->names, ix->names_cap);
	ix->names = n;
	ix->names_len = len;
	ix->names_garbage = 0;
}

static int
names_add(struct index *ix, const char *name, size_t len, uint32_t *off)
{
	if (ix->names_garbage > NAMES_MIN &&
	    ix->names_garbage > ix->names_len / 2)
		names_compact(ix);
	if (ix->names_len + len + 1 > ix->names_cap) {
		size_t cap = ix->names_cap ? ix->names_cap * 2 : NAMES_MIN;
		char *p;
		while (cap < ix->names_len + len + 1)
			cap *= 2;
		if (cap > (size_t)UINT32_MAX + 1)
			return -1;
		/* mremap moves pages, it does not copy them. */
		p = ix->names == NULL ? map(cap) : mremap(ix->names,
		    ix->names_cap, cap, MREMAP_MAYMOVE);
		if (p == NULL || p == MAP_FAILED)
			return -1;
		ix->names = p;
		ix->names_cap = cap;
	}
	memcpy(ix->names + ix->names_len, name, len);
	ix->names[ix->names_len + len] = '\0';
	*off = (uint32_t)ix->names_len;
	ix->names_len += len + 1;
	return 0;
}

/* -- children by name --------------------------------------------------- */

static int
kids_rehash(struct index *ix, struct ix_dir *d, uint32_t cap)
{
	uint32_t *t = malloc((size_t)cap * sizeof(*t));

	if (t == NULL)
		return -1;
	memset(t, 0xff, (size_t)cap * sizeof(*t));	/* IX_SLOT_EMPTY */
	for (uint32_t i = 0; i < d->cap; i++) {
		uint32_t v = d->kids[i], j;
		if (v >= IX_SLOT_TOMB)
			continue;
		const struct ix_node *x = index_node(ix, v & IX_ID_MASK);
		for (j = home(hash_name(ix->names + x->name, x->nlen), cap);
		    t[j] != IX_SLOT_EMPTY; j = j + 1 == cap ? 0 : j + 1)
			;
		t[j] = v;
	}
	free(d->kids);
	ix->kid_slots += cap;
	ix->kid_slots -= d->cap;
	d->kids = t;
	d->cap = cap;
	d->used = d->nkids;
	return 0;
}

/* Room for n more children: 0, or -1 (the table is as it was). */
static int
kids_reserve(struct index *ix, struct ix_dir *d, uint32_t n)
{
	uint64_t need = (uint64_t)d->nkids + n, cap;

	if (n == 0 || (d->cap > 0 && !KIDS_FULL(d->used + (uint64_t)n,
	    d->cap)))
		return 0;
	/*
	 * Known sizes are filled to 4/5; one at a time, or a listing in
	 * several reads, grows by half again, so that growing costs O(1)
	 * a child.
	 */
	cap = need + need / 4 + 1;
	if (n == 1)
		cap += d->nkids / 2;
	else if (d->nkids > 0 && cap < (uint64_t)d->cap + d->cap / 2)
		cap = (uint64_t)d->cap + d->cap / 2;
	if (cap < KIDS_MIN)
		cap = KIDS_MIN;
	if (cap > UINT32_MAX / 2)
		return -1;
	return kids_rehash(ix, d, (uint32_t)cap);
}

/* Put id (hash h) in the first free slot; room was reserved. */
static void
kids_put(struct ix_dir *d, uint32_t h, uint32_t id)
{
	uint32_t i = home(h, d->cap);

	while (d->kids[i] < IX_SLOT_TOMB)
		i = i + 1 == d->cap ? 0 : i + 1;
	if (d->kids[i] == IX_SLOT_EMPTY)
		d->used++;
	d->kids[i] = tagged(h, id);
	d->nkids++;
}

/* The slot holding name in d, or UINT32_MAX. */
static uint32_t
kids_find(const struct index *ix, const struct ix_dir *d, const char *name,
    size_t len, uint32_t h)
{
	uint32_t want = tagged(h, 0), i, v;

	if (d->cap == 0)
		return UINT32_MAX;
	for (i = home(h, d->cap); (v = d->kids[i]) != IX_SLOT_EMPTY;
	    i = i + 1 == d->cap ? 0 : i + 1) {
		if (v == IX_SLOT_TOMB || (v & ~IX_ID_MASK) != want)
			continue;
		const struct ix_node *x = index_node(ix, v & IX_ID_MASK);
		if (x->nlen == len && memcmp(ix->names + x->name, name, len) == 0)
			return i;
	}
	return UINT32_MAX;
}

/*
 * Take node id out of d's table. A table mostly empty is made smaller
 * (shrink: not while a move holds room reserved in it).
 */
static void
kids_del(struct index *ix, struct ix_dir *d, uint32_t id, bool shrink)
{
	const struct ix_node *x = index_node(ix, id);
	uint32_t h = hash_name(ix->names + x->name, x->nlen), i;

	/* By id, not by name: the slot must be this node's whatever else. */
	for (i = home(h, d->cap); d->kids[i] != tagged(h, id);
	    i = i + 1 == d->cap ? 0 : i + 1)
		;
	d->kids[i] = IX_SLOT_TOMB;
	d->nkids--;
	if (!shrink)
		return;
	if (d->nkids == 0) {
		free(d->kids);
		ix->kid_slots -= d->cap;
		d->kids = NULL;
		d->cap = d->used = 0;
	} else if (d->cap > 64 && (uint64_t)d->nkids * 8 < d->cap)
		(void)kids_rehash(ix, d, d->nkids + d->nkids * 3 / 4 + 1);
}

uint32_t
index_lookup(const struct index *ix, uint32_t dir, const char *name,
    size_t len)
{
	const struct ix_dir *d;
	uint32_t i;

	if (!(index_node(ix, dir)->flags & IX_DIR))
		return IX_NIL;
	d = index_dir(ix, dir);
	if ((i = kids_find(ix, d, name, len, hash_name(name, len))) ==
	    UINT32_MAX)
		return IX_NIL;
	return d->kids[i] & IX_ID_MASK;
}

uint32_t
index_find(const struct index *ix, uint32_t node, const char *rel)
{
	while (node != IX_NIL && *rel != '\0') {
		const char *slash = strchr(rel, '/');
		size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
		node = index_lookup(ix, node, rel, len);
		rel += len + (slash != NULL);
	}
	return node;
}

int
index_reserve(struct index *ix, uint32_t dir, uint32_t n)
{
	if (kids_reserve(ix, index_dir(ix, dir), n) == -1) {
		ix->nomem = true;
		return -1;
	}
	return 0;
}

/* -- file sizes --------------------------------------------------------- */

static void
big_release(struct index *ix, struct ix_node *x)
{
	uint64_t slot = x->size - IX_SIZE_INLINE;

	ix->bigs[slot] = ix->free_big;
	ix->free_big = slot;
	ix->nbigs--;
}

int
index_set_size(struct index *ix, uint32_t node, uint64_t size)
{
	struct ix_node *x = index_node(ix, node);
	uint64_t slot;

	ix->gen++;
	if (x->size >= IX_SIZE_INLINE) {
		if (size >= IX_SIZE_INLINE) {
			ix->bigs[x->size - IX_SIZE_INLINE] = size;
			return 0;
		}
		big_release(ix, x);
	} else if (size >= IX_SIZE_INLINE) {
		if ((slot = ix->free_big) != UINT64_MAX) {
			ix->free_big = ix->bigs[slot];
		} else {
			size_t cap = ix->capbigs ? ix->capbigs * 2 : 16;
			uint64_t *p = realloc(ix->bigs, cap * sizeof(*p));
			if (p == NULL) {
				ix->nomem = true;
				return -1;
			}
			for (size_t i = cap; i-- > ix->capbigs;) {
				p[i] = ix->free_big;
				ix->free_big = i;
			}
			ix->bigs = p;
			ix->capbigs = cap;
			slot = ix->free_big;
			ix->free_big = ix->bigs[slot];
		}
		ix->bigs[slot] = size;
		ix->nbigs++;
		x->size = IX_SIZE_INLINE + slot;
		return 0;
	}
	x->size = size;
	return 0;
}

/* -- nodes and directories ---------------------------------------------- */

static uint32_t
node_alloc(struct index *ix)
{
	uint32_t id;

	if ((id = ix->free_node) != IX_NIL) {
		ix->free_node = index_node(ix, id)->parent;
	} else {
		if (ix->nnodes >= IX_MAX_NODES)
			return IX_NIL;
		id = ix->nnodes;
		uint32_t b = id >> IX_BLOCK_SHIFT;
		if (ix->blocks[b] == NULL &&
		    (ix->blocks[b] = map(BLOCK_BYTES)) == NULL)
			return IX_NIL;
		ix->nnodes++;
	}
	memset(index_node(ix, id), 0, sizeof(struct ix_node));
	ix->live++;
	return id;
}

/* Give back a node that was never linked in. */
static void
node_unalloc(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);

	x->flags = IX_FREE;
	x->parent = ix->free_node;
	ix->free_node = id;
	ix->live--;
}

static uint32_t
dir_alloc(struct index *ix, uint32_t node)
{
	uint32_t d;

	if ((d = ix->free_dir) != IX_NIL) {
		ix->free_dir = ix->dirs[d].next;
	} else {
		if (ix->ndirs == ix->capdirs) {
			uint32_t cap = ix->capdirs ? ix->capdirs * 2 : 64;
			void *p = realloc(ix->dirs, (size_t)cap *
			    sizeof(*ix->dirs));
			if (p == NULL)
				return IX_NIL;
			ix->dirs = p;
			ix->capdirs = cap;
		}
		d = ix->ndirs++;
		ix->dirs[d].gen = 0;
	}
	uint32_t gen = ix->dirs[d].gen;
	memset(&ix->dirs[d], 0, sizeof(ix->dirs[d]));
	ix->dirs[d].gen = gen;
	ix->dirs[d].node = node;
	ix->dirs[d].dirs = ix->dirs[d].next = ix->dirs[d].prev = IX_NIL;
	ix->dirs[d].wd = -1;
	return d;
}

/* Link directory node id first among its parent's subdirectories. */
static void
link_subdir(struct index *ix, uint32_t id)
{
	struct ix_dir *p = index_dir(ix, index_node(ix, id)->parent);
	struct ix_dir *x = index_dir(ix, id);

	x->prev = IX_NIL;
	x->next = p->dirs;
	if (p->dirs != IX_NIL)
		index_dir(ix, p->dirs)->prev = id;
	p->dirs = id;
}

static void
unlink_subdir(struct index *ix, uint32_t id)
{
	struct ix_dir *p = index_dir(ix, index_node(ix, id)->parent);
	struct ix_dir *x = index_dir(ix, id);

	if (x->prev != IX_NIL)
		index_dir(ix, x->prev)->next = x->next;
	else
		p->dirs = x->next;
	if (x->next != IX_NIL)
		index_dir(ix, x->next)->prev = x->prev;
}

/* Enter node id (its parent and name set) in its parent; room reserved. */
static void
attach(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);

	kids_put(index_dir(ix, x->parent), hash_name(ix->names + x->name,
	    x->nlen), id);
	if (x->flags & IX_DIR)
		link_subdir(ix, id);
}

static void
detach(struct index *ix, uint32_t id, bool shrink)
{
	struct ix_node *x = index_node(ix, id);

	if (x->flags & IX_DIR)
		unlink_subdir(ix, id);
	kids_del(ix, index_dir(ix, x->parent), id, shrink);
}

uint32_t
index_add_top(struct index *ix, const char *path)
{
	void *p = realloc(ix->tops, (ix->ntops + 1) * sizeof(*ix->tops));
	uint32_t id, d, off;

	ix->gen++;
	if (p == NULL)
		return IX_NIL;
	ix->tops = p;
	if (names_add(ix, "", 0, &off) == -1 ||
	    (id = node_alloc(ix)) == IX_NIL)
		return IX_NIL;
	if ((d = dir_alloc(ix, id)) == IX_NIL ||
	    (ix->tops[ix->ntops].path = strdup(path)) == NULL) {
		ix->nomem = true;
		return IX_NIL;
	}
	struct ix_node *x = index_node(ix, id);
	x->parent = IX_NIL;
	x->flags = IX_DIR;
	x->size = d;
	x->name = off;
	ix->tops[ix->ntops++].node = id;
	return id;
}

/*
 * Add (size, files, mtime) to dir and every directory above it. The
 * counts are unsigned and wrap, so a removal adds 0 - what it takes:
 * a subtree's total can pass INT64_MAX (sparse files), and negating it
 * as a signed number would overflow.
 */
void
index__carry(struct index *ix, uint32_t dir, uint64_t bytes, uint64_t files,
    int64_t mtime)
{
	for (uint32_t p = dir; p != IX_NIL; p = index_node(ix, p)->parent) {
		struct ix_dir *d = index_dir(ix, p);
		d->bytes += bytes;
		d->nfiles += files;
		if (mtime > d->mtime)
			d->mtime = mtime;
	}
}

uint32_t
index_add(struct index *ix, uint32_t dir, const char *name, size_t len,
    bool isdir, bool count)
{
	uint32_t id, off;

	ix->gen++;
	if (len > 255 || kids_reserve(ix, index_dir(ix, dir), 1) == -1 ||
	    names_add(ix, name, len, &off) == -1) {
		ix->nomem = true;
		return IX_NIL;
	}
	if ((id = node_alloc(ix)) == IX_NIL) {
		ix->names_garbage += len + 1;
		ix->nomem = true;
		return IX_NIL;
	}
	struct ix_node *x = index_node(ix, id);
	x->parent = dir;
	x->name = off;
	x->nlen = len & 0xff;
	if (isdir) {
		uint32_t d = dir_alloc(ix, id);
		if (d == IX_NIL) {
			node_unalloc(ix, id);
			ix->names_garbage += len + 1;
			ix->nomem = true;
			return IX_NIL;
		}
		x->flags = IX_DIR;
		x->size = d;
	} else {
		ix->files++;
		if (count)
			index__carry(ix, dir, 0, 1, 0);
	}
	attach(ix, id);
	return id;
}

void
index_set_file(struct index *ix, uint32_t node, uint64_t size, int64_t mtime)
{
	uint64_t old = index_file_size(ix, node);

	ix->gen++;
	if (index_set_size(ix, node, size) == -1)
		return;		/* ix->nomem: not exact */
	index__carry(ix, index_node(ix, node)->parent, size - old, 0,
	    mtime);
}

/* -- removal and moves -------------------------------------------------- */

/* Free node id, already out of its parent's table (or a top's child). */
static void
node_free(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);

	ix->names_garbage += x->nlen + 1u;
	if (!(x->flags & IX_DIR)) {
		if (x->size >= IX_SIZE_INLINE)
			big_release(ix, x);
		ix->files--;
	}
	node_unalloc(ix, id);
}

static void free_children(struct index *, uint32_t, ix_unwatch_fn, void *);

static void
free_subtree(struct index *ix, uint32_t id, ix_unwatch_fn unwatch, void *arg)
{
	struct ix_node *x = index_node(ix, id);

	if (x->flags & IX_DIR) {
		uint32_t d = (uint32_t)x->size;
		free_children(ix, id, unwatch, arg);
		index__drop_wd(ix, d, unwatch, arg);
		if (ix->dirs[d].flags & IXD_UNWATCHED)
			ix->unwatched--;
		ix->dirs[d].node = IX_NIL;
		ix->dirs[d].gen++;
		ix->dirs[d].next = ix->free_dir;
		ix->free_dir = d;
	}
	node_free(ix, id);
}

/* Free every child of dir and its table, keeping dir. */
static void
free_children(struct index *ix, uint32_t dir, ix_unwatch_fn unwatch,
    void *arg)
{
	uint32_t d = (uint32_t)index_node(ix, dir)->size, pos = 0, id;
	uint32_t *kids;

	/* ix->dirs does not move: nothing here allocates. */
	while ((id = index_next_child(&ix->dirs[d], &pos)) != IX_NIL)
		free_subtree(ix, id, unwatch, arg);
	kids = ix->dirs[d].kids;
	free(kids);
	ix->kid_slots -= ix->dirs[d].cap;
	ix->dirs[d].kids = NULL;
	ix->dirs[d].cap = ix->dirs[d].used = ix->dirs[d].nkids = 0;
	ix->dirs[d].dirs = IX_NIL;
}

/* What node adds to its ancestors' totals. */
static void
weight(const struct index *ix, uint32_t id, uint64_t *bytes, uint64_t *files)
{
	const struct ix_node *x = index_node(ix, id);

	if (x->flags & IX_DIR) {
		const struct ix_dir *d = index_dir(ix, id);
		*bytes = d->bytes;
		*files = d->nfiles;
	} else {
		*bytes = index_file_size(ix, id);
		*files = 1;
	}
}

/* Drop every child of dir, keeping dir. */
void
index__clear_dir(struct index *ix, uint32_t dir, ix_unwatch_fn unwatch,
    void *arg)
{
	struct ix_dir *d = index_dir(ix, dir);
	uint64_t b = d->bytes, f = d->nfiles;

	index__carry(ix, dir, 0 - b, 0 - f, 0);
	free_children(ix, dir, unwatch, arg);
}

void
index_remove(struct index *ix, uint32_t node, ix_unwatch_fn unwatch,
    void *arg)
{
	struct ix_node *x = index_node(ix, node);
	uint64_t b, f;

	ix->gen++;
	if (x->parent == IX_NIL) {
		index__clear_dir(ix, node, unwatch, arg);
		return;		/* tops stay */
	}
	weight(ix, node, &b, &f);
	index__carry(ix, x->parent, 0 - b, 0 - f, 0);
	detach(ix, node, true);
	free_subtree(ix, node, unwatch, arg);
}

int
index_move(struct index *ix, uint32_t node, uint32_t dir, const char *name,
    size_t len)
{
	struct ix_node *x;
	uint32_t off;
	uint64_t b, f;

	ix->gen++;
	if (len > 255 || kids_reserve(ix, index_dir(ix, dir), 1) == -1 ||
	    names_add(ix, name, len, &off) == -1) {
		ix->nomem = true;
		return -1;
	}
	x = index_node(ix, node);
	weight(ix, node, &b, &f);
	index__carry(ix, x->parent, 0 - b, 0 - f, 0);
	detach(ix, node, false);	/* keeps the room reserved in dir */
	ix->names_garbage += x->nlen + 1u;
	x->parent = dir;
	x->name = off;
	x->nlen = len & 0xff;
	attach(ix, node);
	index__carry(ix, dir, b, f, 0);
	return 0;
}

/* True if a is node or one of its ancestors. */
static bool
holds(const struct index *ix, uint32_t a, uint32_t node)
{
	for (uint32_t p = node; p != IX_NIL; p = index_node(ix, p)->parent)
		if (p == a)
			return true;
	return false;
}

int
index_rename(struct index *ix, uint32_t node, uint32_t dir, const char *name,
    size_t len, ix_unwatch_fn unwatch, void *arg)
{
	uint32_t old = index_lookup(ix, dir, name, len);

	if (holds(ix, node, dir) || (old != IX_NIL && holds(ix, old, node)))
		return -1;
	if (old != IX_NIL)
		index_remove(ix, old, unwatch, arg);
	return index_move(ix, node, dir, name, len);
}

/* -- memory held ------------------------------------------------------- */

size_t
index_memory(const struct index *ix)
{
	size_t blocks = (ix->nnodes + IX_BLOCK - 1) / IX_BLOCK;

	return blocks * BLOCK_BYTES + IX_MAX_BLOCKS * sizeof(*ix->blocks) +
	    ix->names_cap + ix->kid_slots * sizeof(uint32_t) +
	    (size_t)ix->capdirs * sizeof(*ix->dirs) +
	    (size_t)ix->capwds * sizeof(*ix->wds) +
	    ix->capbigs * sizeof(*ix->bigs);
}
