/*
 * index.h: the in-memory image of the cache tree, no I/O.
 *
 * Every directory and regular file under the watched tops is a node of
 * 32 bytes; names live in one arena and are found through a hash keyed
 * by (parent, name). Each directory keeps the bytes and file count of
 * its whole subtree, so any directory's total is read in O(1) and a
 * change costs O(depth). Nodes sit in fixed blocks that never move, so
 * a scan thread may fill in sizes while another adds nodes.
 *
 * Owned by one thread at a time: the loop thread for the live index, a
 * scan's threads for the private index it builds (see scan.h).
 */
#ifndef HYCO_INDEX_H
#define HYCO_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IX_NIL		UINT32_MAX
#define IX_BLOCK_SHIFT	16
#define IX_BLOCK	(1u << IX_BLOCK_SHIFT)	/* nodes per block */
#define IX_MAX_BLOCKS	(1u << (32 - IX_BLOCK_SHIFT))

enum { IX_DIR = 1, IX_FREE = 0x80 };		/* struct ix_node flags */
/* struct ix_dir flags */
enum {
	IXD_UNWATCHED = 1,	/* no inotify watch: changes go unseen */
	IXD_QUEUED = 2,		/* waiting to be scanned (watch.c) */
	IXD_SCANNING = 4,	/* being scanned: its events are replayed */
};

struct ix_node {
	uint64_t	size;	/* file: st_size; directory: its ix_dir */
	uint32_t	parent;	/* directory node; IX_NIL for a top */
	uint32_t	hnext;	/* hash chain, or free list */
	uint32_t	next, prev; /* siblings (files and dirs kept apart) */
	uint32_t	name;	/* offset in the name arena */
	uint8_t		nlen;	/* name length (NAME_MAX is 255) */
	uint8_t		flags;	/* IX_DIR, IX_FREE */
	uint16_t	pad;
};

struct ix_dir {
	uint32_t	node;	/* its ix_node; IX_NIL when free */
	uint32_t	files, dirs; /* first child of each sort */
	uint32_t	gen;	/* bumped when freed: stale job check */
	int32_t		wd;	/* inotify watch, -1 if none */
	uint32_t	flags;	/* IXD_* */
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
	uint32_t	  free_node;	/* free list through hnext */
	uint64_t	  live;		/* nodes in use */
	uint64_t	  files;	/* file nodes in use */
	char		 *names;	/* arena */
	size_t		  names_len, names_cap, names_garbage;
	uint32_t	 *buckets;	/* (parent, name) hash */
	uint32_t	  nbuckets;	/* power of two */
	struct ix_dir	 *dirs;
	uint32_t	  ndirs, capdirs, free_dir;
	struct ix_wd	 *wds;		/* wd -> dir, open addressing */
	uint32_t	  nwds, capwds;
	uint32_t	  watched;	/* dirs with a watch */
	uint32_t	  unwatched;	/* dirs flagged IXD_UNWATCHED */
	struct ix_top	 *tops;
	uint32_t	  ntops;
	bool		  nomem;	/* an allocation failed: not exact */
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
 * when out of memory.
 */
uint32_t	 index_add(struct index *ix, uint32_t dir, const char *name,
		    size_t len, bool isdir, bool count);

/* Set a file's size and mtime, carrying the difference up. */
void		 index_set_file(struct index *ix, uint32_t node, uint64_t size,
		    int64_t mtime);

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

#define IX_FOREACH(ix, head, id) \
	for (uint32_t id = (head); id != IX_NIL; id = index_node(ix, id)->next)

#endif
