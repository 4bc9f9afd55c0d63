/* index.c: nodes, name arena, (parent, name) hash and subtree totals. */
#include "index.h"

#include <stdlib.h>
#include <string.h>

#define NAMES_MIN	4096
#define WD_EMPTY	(-1)

static uint32_t
hash_name(uint32_t parent, const char *name, size_t len)
{
	uint32_t h = 2166136261u ^ (parent * 0x9e3779b1u);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h ^ (h >> 15);
}

int
index_init(struct index *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->free_node = IX_NIL;
	ix->free_dir = IX_NIL;
	ix->blocks = calloc(IX_MAX_BLOCKS, sizeof(*ix->blocks));
	ix->nbuckets = 1024;
	ix->buckets = malloc(ix->nbuckets * sizeof(*ix->buckets));
	if (ix->blocks == NULL || ix->buckets == NULL) {
		index_free(ix);
		return -1;
	}
	memset(ix->buckets, 0xff, ix->nbuckets * sizeof(*ix->buckets));
	return 0;
}

void
index_free(struct index *ix)
{
	if (ix->blocks != NULL)
		for (uint32_t b = 0; b < IX_MAX_BLOCKS && ix->blocks[b]; b++)
			free(ix->blocks[b]);
	free(ix->blocks);
	free(ix->names);
	free(ix->buckets);
	free(ix->dirs);
	free(ix->wds);
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
	char *n = malloc(ix->names_cap);
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
	free(ix->names);
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
		while (cap < ix->names_len + len + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -1;
		char *p = realloc(ix->names, cap);
		if (p == NULL)
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

/* -- hash --------------------------------------------------------------- */

static void
hash_insert(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);
	uint32_t b = hash_name(x->parent, ix->names + x->name, x->nlen) &
	    (ix->nbuckets - 1);

	x->hnext = ix->buckets[b];
	ix->buckets[b] = id;
}

static void
hash_delete(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);
	uint32_t *p = &ix->buckets[hash_name(x->parent, ix->names + x->name,
	    x->nlen) & (ix->nbuckets - 1)];

	while (*p != id)
		p = &index_node(ix, *p)->hnext;
	*p = x->hnext;
}

/* Keep the load at most one node per bucket; a failed grow is harmless. */
static void
hash_grow(struct index *ix)
{
	uint32_t n = ix->nbuckets * 2;
	uint32_t *b = malloc((size_t)n * sizeof(*b));

	if (b == NULL)
		return;
	memset(b, 0xff, (size_t)n * sizeof(*b));
	free(ix->buckets);
	ix->buckets = b;
	ix->nbuckets = n;
	for (uint32_t id = 0; id < ix->nnodes; id++) {
		struct ix_node *x = index_node(ix, id);
		if (!(x->flags & IX_FREE) && x->parent != IX_NIL)
			hash_insert(ix, id);
	}
}

uint32_t
index_lookup(const struct index *ix, uint32_t dir, const char *name,
    size_t len)
{
	uint32_t id = ix->buckets[hash_name(dir, name, len) &
	    (ix->nbuckets - 1)];

	while (id != IX_NIL) {
		const struct ix_node *x = index_node(ix, id);
		if (x->parent == dir && x->nlen == len &&
		    memcmp(ix->names + x->name, name, len) == 0)
			return id;
		id = x->hnext;
	}
	return IX_NIL;
}

uint32_t
index_find(const struct index *ix, uint32_t node, const char *rel)
{
	while (node != IX_NIL && *rel != '\0') {
		const char *slash = strchr(rel, '/');
		size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
		if (!(index_node(ix, node)->flags & IX_DIR))
			return IX_NIL;
		node = index_lookup(ix, node, rel, len);
		rel += len + (slash != NULL);
	}
	return node;
}

/* -- nodes and directories ---------------------------------------------- */

static uint32_t
node_alloc(struct index *ix)
{
	uint32_t id;

	if ((id = ix->free_node) != IX_NIL) {
		ix->free_node = index_node(ix, id)->hnext;
	} else {
		if (ix->nnodes == IX_NIL)
			return IX_NIL;
		id = ix->nnodes;
		uint32_t b = id >> IX_BLOCK_SHIFT;
		if (ix->blocks[b] == NULL &&
		    (ix->blocks[b] = malloc(IX_BLOCK * sizeof(struct ix_node)))
		    == NULL)
			return IX_NIL;
		ix->nnodes++;
	}
	memset(index_node(ix, id), 0, sizeof(struct ix_node));
	ix->live++;
	return id;
}

static uint32_t
dir_alloc(struct index *ix, uint32_t node)
{
	uint32_t d;

	if ((d = ix->free_dir) != IX_NIL) {
		ix->free_dir = ix->dirs[d].files;
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
	ix->dirs[d].files = ix->dirs[d].dirs = IX_NIL;
	ix->dirs[d].wd = -1;
	return d;
}

/* Link id first among its parent's children of its sort. */
static void
link_child(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);
	struct ix_dir *p = index_dir(ix, x->parent);
	uint32_t *head = (x->flags & IX_DIR) ? &p->dirs : &p->files;

	x->prev = IX_NIL;
	x->next = *head;
	if (*head != IX_NIL)
		index_node(ix, *head)->prev = id;
	*head = id;
}

static void
unlink_child(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);
	struct ix_dir *p = index_dir(ix, x->parent);

	if (x->prev != IX_NIL)
		index_node(ix, x->prev)->next = x->next;
	else if (x->flags & IX_DIR)
		p->dirs = x->next;
	else
		p->files = x->next;
	if (x->next != IX_NIL)
		index_node(ix, x->next)->prev = x->prev;
}

uint32_t
index_add_top(struct index *ix, const char *path)
{
	void *p = realloc(ix->tops, (ix->ntops + 1) * sizeof(*ix->tops));
	uint32_t id, d;

	if (p == NULL)
		return IX_NIL;
	ix->tops = p;
	if ((id = node_alloc(ix)) == IX_NIL)
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
	(void)names_add(ix, "", 0, &x->name);
	ix->tops[ix->ntops++].node = id;
	return id;
}

/*
 * Add (size, files, mtime) to dir and every directory above it. The
 * counts are unsigned and wrap, so a removal adds 0 - what it takes:
 * a subtree's total can pass INT64_MAX (sparse files), and negating it
 * as a signed number would overflow.
 */
static void
carry(struct index *ix, uint32_t dir, uint64_t bytes, uint64_t files,
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

	/* Grow first: the new node must be hashed once, below. */
	if (ix->live + 1 > ix->nbuckets)
		hash_grow(ix);
	if (len > 255 || names_add(ix, name, len, &off) == -1 ||
	    (id = node_alloc(ix)) == IX_NIL) {
		ix->nomem = true;
		return IX_NIL;
	}
	struct ix_node *x = index_node(ix, id);
	x->parent = dir;
	x->name = off;
	x->nlen = (uint8_t)len;
	if (isdir) {
		uint32_t d = dir_alloc(ix, id);
		x = index_node(ix, id);
		if (d == IX_NIL) {
			x->flags = IX_FREE;
			x->hnext = ix->free_node;
			ix->free_node = id;
			ix->live--;
			ix->nomem = true;
			return IX_NIL;
		}
		x->flags = IX_DIR;
		x->size = d;
	} else {
		ix->files++;
		if (count)
			carry(ix, dir, 0, 1, 0);
	}
	hash_insert(ix, id);
	link_child(ix, id);
	return id;
}

void
index_set_file(struct index *ix, uint32_t node, uint64_t size, int64_t mtime)
{
	struct ix_node *x = index_node(ix, node);
	uint64_t delta = size - x->size;

	x->size = size;
	carry(ix, x->parent, delta, 0, mtime);
}

/* -- watches ------------------------------------------------------------ */

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

/* Forget dir's watch; if it was the owner, hand the wd to unwatch. */
static void
drop_wd(struct index *ix, uint32_t d, ix_unwatch_fn unwatch, void *arg)
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
	drop_wd(ix, d, NULL, NULL);
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

/* -- removal and moves -------------------------------------------------- */

static void
node_free(struct index *ix, uint32_t id)
{
	struct ix_node *x = index_node(ix, id);

	if (x->parent != IX_NIL)
		hash_delete(ix, id);
	ix->names_garbage += x->nlen + 1u;
	if (!(x->flags & IX_DIR))
		ix->files--;
	x->flags = IX_FREE;
	x->hnext = ix->free_node;
	ix->free_node = id;
	ix->live--;
}

static void free_children(struct index *, uint32_t, ix_unwatch_fn, void *);

static void
free_subtree(struct index *ix, uint32_t id, ix_unwatch_fn unwatch, void *arg)
{
	struct ix_node *x = index_node(ix, id);

	if (x->flags & IX_DIR) {
		uint32_t d = (uint32_t)x->size;
		free_children(ix, id, unwatch, arg);
		drop_wd(ix, d, unwatch, arg);
		if (ix->dirs[d].flags & IXD_UNWATCHED)
			ix->unwatched--;
		ix->dirs[d].node = IX_NIL;
		ix->dirs[d].gen++;
		ix->dirs[d].files = ix->free_dir;
		ix->free_dir = d;
	}
	node_free(ix, id);
}

static void
free_children(struct index *ix, uint32_t dir, ix_unwatch_fn unwatch,
    void *arg)
{
	struct ix_dir *d = index_dir(ix, dir);
	uint32_t id, next;

	for (id = d->files; id != IX_NIL; id = next) {
		next = index_node(ix, id)->next;
		node_free(ix, id);
	}
	for (id = index_dir(ix, dir)->dirs; id != IX_NIL; id = next) {
		next = index_node(ix, id)->next;
		free_subtree(ix, id, unwatch, arg);
	}
	d = index_dir(ix, dir);
	d->files = d->dirs = IX_NIL;
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
		*bytes = x->size;
		*files = 1;
	}
}

/* Drop every child of dir, keeping dir. */
static void
clear_dir(struct index *ix, uint32_t dir, ix_unwatch_fn unwatch, void *arg)
{
	struct ix_dir *d = index_dir(ix, dir);
	uint64_t b = d->bytes, f = d->nfiles;

	carry(ix, dir, 0 - b, 0 - f, 0);
	free_children(ix, dir, unwatch, arg);
}

void
index_remove(struct index *ix, uint32_t node, ix_unwatch_fn unwatch,
    void *arg)
{
	struct ix_node *x = index_node(ix, node);
	uint64_t b, f;

	if (x->parent == IX_NIL) {
		clear_dir(ix, node, unwatch, arg);
		return;		/* tops stay */
	}
	weight(ix, node, &b, &f);
	carry(ix, x->parent, 0 - b, 0 - f, 0);
	unlink_child(ix, node);
	free_subtree(ix, node, unwatch, arg);
}

int
index_move(struct index *ix, uint32_t node, uint32_t dir, const char *name,
    size_t len)
{
	struct ix_node *x = index_node(ix, node);
	uint32_t off;
	uint64_t b, f;

	if (len > 255 || names_add(ix, name, len, &off) == -1) {
		ix->nomem = true;
		return -1;
	}
	x = index_node(ix, node);
	weight(ix, node, &b, &f);
	carry(ix, x->parent, 0 - b, 0 - f, 0);
	unlink_child(ix, node);
	hash_delete(ix, node);
	ix->names_garbage += x->nlen + 1u;
	x->parent = dir;
	x->name = off;
	x->nlen = (uint8_t)len;
	hash_insert(ix, node);
	link_child(ix, node);
	carry(ix, dir, b, f, 0);
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

/* -- whole-index passes ------------------------------------------------- */

/* Post-order: a directory's totals are its files plus its directories'. */
static void
fold(struct index *ix, uint32_t dir)
{
	struct ix_dir *d = index_dir(ix, dir);
	uint64_t bytes = 0, files = 0;
	int64_t mtime = d->mtime;

	IX_FOREACH(ix, d->files, id) {
		bytes += index_node(ix, id)->size;
		files++;
	}
	IX_FOREACH(ix, index_dir(ix, dir)->dirs, id) {
		fold(ix, id);
		const struct ix_dir *c = index_dir(ix, id);
		bytes += c->bytes;
		files += c->nfiles;
		if (c->mtime > mtime)
			mtime = c->mtime;
	}
	d = index_dir(ix, dir);
	d->bytes = bytes;
	d->nfiles = files;
	d->mtime = mtime;
}

void
index_recount(struct index *ix)
{
	for (uint32_t i = 0; i < ix->ntops; i++)
		fold(ix, ix->tops[i].node);
}

/* Copy src's children of sdir under dst's ddir; totals are copied. */
static int
copy_children(struct index *dst, uint32_t ddir, struct index *src,
    uint32_t sdir)
{
	IX_FOREACH(src, index_dir(src, sdir)->files, id) {
		const struct ix_node *s = index_node(src, id);
		uint32_t n = index_add(dst, ddir, src->names + s->name, s->nlen,
		    false, false);
		if (n == IX_NIL)
			return -1;
		index_node(dst, n)->size = s->size;
	}
	IX_FOREACH(src, index_dir(src, sdir)->dirs, id) {
		const struct ix_node *s = index_node(src, id);
		uint32_t n = index_add(dst, ddir, src->names + s->name, s->nlen,
		    true, false);
		if (n == IX_NIL)
			return -1;
		struct ix_dir *sd = index_dir(src, id), *dd = index_dir(dst, n);
		dd->bytes = sd->bytes;
		dd->nfiles = sd->nfiles;
		dd->dev = sd->dev;
		dd->ino = sd->ino;
		dd->mtime = sd->mtime;
		dd->flags = sd->flags;
		if (sd->flags & IXD_UNWATCHED)
			dst->unwatched++;
		/*
		 * A node outside this graft already holds the watch: the
		 * directory moved there while it was scanned, and this copy
		 * is the stale one (the replayed events drop it). It must not
		 * take the watch from the live node.
		 */
		if (sd->wd >= 0 && index_by_wd(dst, sd->wd) != IX_NIL) {
			if (!(dd->flags & IXD_UNWATCHED)) {
				dd->flags |= IXD_UNWATCHED;
				dst->unwatched++;
			}
		} else if (index_set_wd(dst, n, sd->wd) == -1)
			return -1;
		if (copy_children(dst, n, src, id) == -1)
			return -1;
	}
	return 0;
}

int
index_graft(struct index *dst, uint32_t at, struct index *src, uint32_t top)
{
	struct ix_dir *s = index_dir(src, top), *d;
	int rc;

	clear_dir(dst, at, NULL, NULL);
	rc = copy_children(dst, at, src, top);
	d = index_dir(dst, at);
	if (d->flags & IXD_UNWATCHED)
		dst->unwatched--;
	d->flags = s->flags;
	if (d->flags & IXD_UNWATCHED)
		dst->unwatched++;
	d->dev = s->dev;
	d->ino = s->ino;
	if (index_set_wd(dst, at, s->wd) == -1)
		rc = -1;
	/* Copied directories brought their totals: add them above at. */
	carry(dst, at, s->bytes, s->nfiles, s->mtime);
	if (rc == -1)
		dst->nomem = true;
	return rc;
}

int
index_path(const struct index *ix, uint32_t node, char *buf, size_t size)
{
	uint32_t chain[512], n = 0, top;
	size_t len;

	for (top = node; index_node(ix, top)->parent != IX_NIL;
	    top = index_node(ix, top)->parent) {
		if (n == sizeof(chain) / sizeof(chain[0]))
			return -1;
		chain[n++] = top;
	}
	const char *tp = NULL;
	for (uint32_t i = 0; i < ix->ntops; i++)
		if (ix->tops[i].node == top)
			tp = ix->tops[i].path;
	if (tp == NULL || (len = strlen(tp)) >= size)
		return -1;
	memcpy(buf, tp, len + 1);
	while (n-- > 0) {
		const struct ix_node *x = index_node(ix, chain[n]);
		if (len + 1 + x->nlen >= size)
			return -1;
		buf[len++] = '/';
		memcpy(buf + len, ix->names + x->name, x->nlen);
		len += x->nlen;
		buf[len] = '\0';
	}
	return 0;
}

size_t
index_memory(const struct index *ix)
{
	size_t blocks = (ix->nnodes + IX_BLOCK - 1) / IX_BLOCK;

	return blocks * IX_BLOCK * sizeof(struct ix_node) +
	    IX_MAX_BLOCKS * sizeof(*ix->blocks) + ix->names_cap +
	    (size_t)ix->nbuckets * sizeof(*ix->buckets) +
	    (size_t)ix->capdirs * sizeof(*ix->dirs) +
	    (size_t)ix->capwds * sizeof(*ix->wds);
}
