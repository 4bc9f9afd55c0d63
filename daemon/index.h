/*
 * index.h: the in-memory image of the cache tree, no I/O.
 *
 * Every directory and regular file under the watched tops is a node of
 * 16 bytes: its parent, where its name is in one arena, and its size.
 * A directory also has a record (struct ix_dir) with the bytes and file
 * count of its whole subtree, so any directory's total is read in O(1)
 * and a change costs O(depth), and a table of its children by name
 * (open addressing, about five bytes a child), which is how a name is
 * found and a directory's children listed. A file thus costs its node,
 * its name and NUL, and its slot: 38 bytes for a 16-byte name, where a
 * node of 32 bytes, sibling links and one (parent, name) hash for the
 * whole tree cost 55. Nodes sit in fixed blocks that never move.
 *
 * Owned by one thread at a time: the loop thread for the live index, a
 * scan's walker for the private index it builds (see scan.h).
 */
#ifndef HYCO_INDEX_H
#define HYCO_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IX_NIL		UINT32_MAX
#define IX_ID_BITS	28		/* a child slot keeps 4 bits of hash */
#define IX_ID_MASK	((1u << IX_ID_BITS) - 1)
#define IX_MAX_NODES	(IX_ID_MASK - 1)	/* ids below this */
#define IX_SLOT_EMPTY	UINT32_MAX		/* a child slot never used */
#define IX_SLOT_TOMB	(UINT32_MAX - 1)	/* a child slot freed */
#define IX_BLOCK_SHIFT	16
#define IX_BLOCK	(1u << IX_BLOCK_SHIFT)	/* nodes per block */
#define IX_MAX_BLOCKS	(((1u << IX_ID_BITS) >> IX_BLOCK_SHIFT))
/* A file size from here up lives in ix->bigs; the node holds its slot. */
#define IX_SIZE_BITS	54
#define IX_SIZE_INLINE	(UINT64_C(1) << (IX_SIZE_BITS - 1))

enum { IX_DIR = 1, IX_FREE = 2 };		/* struct ix_node flags */
/* struct ix_dir flags */
enum {
	IXD_UNWATCHED = 1,	/* no inotify watch: changes go unseen */
	IXD_QUEUED = 2,		/* waiting to be scanned (watch.c) */
	IXD_SCANNING = 4,	/* being scanned: its events are replayed */
};

struct ix_node {
	uint32_t	parent;	/* directory node; IX_NIL for a top; free list */
	uint32_t	name;	/* offset in the name arena */
	/*
	 * File: st_size below IX_SIZE_INLINE, else IX_SIZE_INLINE + its
	 * slot in ix->bigs (read it with index_file_size); directory: its
	 * ix_dir.
	 */
	uint64_t	size:IX_SIZE_BITS;
	uint64_t	flags:2;	/* IX_DIR, IX_FREE */
	uint64_t	nlen:8;	/* name length (NAME_MAX is 255) */
};

struct ix_dir {
	uint32_t	node;	/* its ix_node; IX_NIL when free */
	uint32_t	dirs;	/* first subdirectory (IX_FOREACH) */
	uint32_t	next, prev; /* sibling subdirectories; next: free list */
	uint32_t	gen;	/* bumped when freed: stale job check */
	int32_t		wd;	/* inotify watch, -1 if none */
	uint32_t	flags;	/* IXD_* */
	uint32_t	nkids;	/* children, files and directories */
	uint32_t	used;	/* slots taken, children and tombstones */
	uint32_t	cap;	/* slots */
	uint32_t	*kids;	/* children by name (index_next_child) */
	uint64_t	bytes, nfiles;	/* whole subtree */
	uint64_t	dev, ino;	/* identity, to detect a stale path */
	int64_t		mtime;	/* newest file mtime seen below (s) */
};

struct ix_top {
	char		*path;
	uint32_t	 node;
};

struct ix_wd {
	int32_t		wd;
	uint32_t	dir;	/* its ix_dir */
};

struct index {
	struct ix_node	**blocks;	/* IX_MAX_BLOCKS slots, filled lazily */
	uint32_t	  nnodes;	/* node ids handed out */
	uint32_t	  free_node;	/* free list through parent */
	uint64_t	  live;		/* nodes in use */
	uint64_t	  files;	/* file nodes in use */
	char		 *names;	/* arena, mmap'ed */
	size_t		  names_len, names_cap, names_garbage;
	uint64_t	  kid_slots;	/* every directory's cap, summed */
	struct ix_dir	 *dirs;
	uint32_t	  ndirs, capdirs, free_dir;
	struct ix_wd	 *wds;		/* wd -> dir, open addressing */
	uint32_t	  nwds, capwds;
	uint32_t	  watched;	/* dirs with a watch */
	uint32_t	  unwatched;	/* dirs flagged IXD_UNWATCHED */
	uint64_t	 *bigs;		/* sizes of IX_SIZE_INLINE and up */
	size_t		  nbigs, capbigs;
	uint64_t	  free_big;	/* free list through bigs, or UINT64_MAX */
	struct ix_top	 *tops;
	uint32_t	  ntops;
	bool		  nomem;	/* an allocation failed: not exact */
	/*
	 * Bumped by every call that changes a node, a name or a total:
	 * what was read off the index at one generation holds until the
	 * next (summary keeps its packed figures so).
	 */
	uint64_t	  gen;
};

/* Called for each watch a removal drops: the caller removes it. */
typedef void (*ix_unwatch_fn)(void *arg, int32_t wd);

int		 index_init(struct index *ix);
void		 index_free(struct index *ix);

static inline struct ix_node *
index_node(const struct index *ix, uint32_t id)
{
	return &ix->blocks[id >> IX_BLOCK_SHIFT][id & (IX_BLOCK - 1)];
}

static inline struct ix_dir *
index_dir(const struct index *ix, uint32_t node)
{
	return &ix->dirs[index_node(ix, node)->size];
}

static inline const char *
index_name(const struct index *ix, uint32_t node)
{
	return ix->names + index_node(ix, node)->name;
}

/* A file's size (st_size). */
static inline uint64_t
index_file_size(const struct index *ix, uint32_t node)
{
	uint64_t v = index_node(ix, node)->size;

	return v < IX_SIZE_INLINE ? v : ix->bigs[v - IX_SIZE_INLINE];
}

/*
 * The next child of d (files and directories, in no order) from *pos,
 * which starts at 0; IX_NIL after the last. Adding or removing a child
 * of d invalidates *pos.
 */
static inline uint32_t
index_next_child(const struct ix_dir *d, uint32_t *pos)
{
	while (*pos < d->cap) {
		uint32_t v = d->kids[(*pos)++];
		if (v < IX_SLOT_TOMB)
			return v & IX_ID_MASK;
	}
	return IX_NIL;
}

/* A top directory (a root of the tree) by absolute path; its node. */
uint32_t	 index_add_top(struct index *ix, const char *path);

uint32_t	 index_lookup(const struct index *ix, uint32_t dir,
		    const char *name, size_t len);

/* The node at rel ("a/b/c", "" for node itself) below node, or IX_NIL. */
uint32_t	 index_find(const struct index *ix, uint32_t node,
		    const char *rel);

/*
 * A new child of dir: a directory, or a file of size 0 (then set it
 * with index_set_file). With count false the ancestors' totals are not
 * touched: a scan fills them in at the end with index_recount. IX_NIL
 * when out of memory. The name must not be in dir already.
 */
uint32_t	 index_add(struct index *ix, uint32_t dir, const char *name,
		    size_t len, bool isdir, bool count);

/*
 * Make room for n more children of dir, so that adding them does not
 * grow its table again (a scan knows how many a listing holds). 0, or
 * -1 when out of memory.
 */
int		 index_reserve(struct index *ix, uint32_t dir, uint32_t n);

/* Set a file's size and mtime, carrying the difference up. */
void		 index_set_file(struct index *ix, uint32_t node, uint64_t size,
		    int64_t mtime);

/* Set a file's size alone, totals untouched (then index_recount). */
int		 index_set_size(struct index *ix, uint32_t node, uint64_t size);

/*
 * Drop node and its subtree (a top: only what it holds); unwatch (may
 * be NULL) gets their watches.
 */
void		 index_remove(struct index *ix, uint32_t node,
		    ix_unwatch_fn unwatch, void *arg);

/* Move node under dir as name (which must be free there). */
int		 index_move(struct index *ix, uint32_t node, uint32_t dir,
		    const char *name, size_t len);

/*
 * A rename seen by inotify: node becomes dir/name, replacing what the
 * index holds there (unwatch gets its watches). The index may be stale
 * (events not read yet, a scan's view), so the rename is refused (-1,
 * nothing changed) when it would make a directory its own ancestor or
 * when what name holds is node or above it: removing that would free
 * node. -1 also when out of memory.
 */
int		 index_rename(struct index *ix, uint32_t node, uint32_t dir,
		    const char *name, size_t len, ix_unwatch_fn unwatch,
		    void *arg);

/* Watches: wd -> directory node. */
int		 index_set_wd(struct index *ix, uint32_t dir, int32_t wd);
uint32_t	 index_by_wd(const struct index *ix, int32_t wd);

/*
 * Add (bytes, files, mtime) to dir and every directory above it, the
 * counts wrapping (a removal adds 0 - what it takes); drop every child
 * of dir, keeping dir (index.c, for index_pass.c).
 */
void		 index__carry(struct index *ix, uint32_t dir, uint64_t bytes,
		    uint64_t files, int64_t mtime);
void		 index__clear_dir(struct index *ix, uint32_t dir,
		    ix_unwatch_fn unwatch, void *arg);

/*
 * Forget the watch of directory record d; if d owned it, hand the wd to
 * unwatch (may be NULL). For index.c's removals (index_wd.c).
 */
void		 index__drop_wd(struct index *ix, uint32_t d,
		    ix_unwatch_fn unwatch, void *arg);

/* Fill in every directory's totals from the file sizes, in O(nodes). */
void		 index_recount(struct index *ix);

/*
 * Replace the children of dst's directory at with the children of
 * src's top (src is left empty-ish and must be freed). The watches src
 * recorded become dst's; at's own watch and identity come from src's
 * top too.
 */
int		 index_graft(struct index *dst, uint32_t at, struct index *src,
		    uint32_t top);

/* Absolute path of node into buf; -1 if it does not fit. */
int		 index_path(const struct index *ix, uint32_t node, char *buf,
		    size_t size);

/* Bytes of memory the index holds. */
size_t		 index_memory(const struct index *ix);

/* The subdirectories of d, from head = index_dir(ix, d)->dirs. */
#define IX_FOREACH(ix, head, id) \
	for (uint32_t id = (head); id != IX_NIL; id = index_dir(ix, id)->next)

#endif
