/*
 * trash.h: removal that does not block.
 *
 * A target is renamed into a trash directory on its own filesystem
 * (the path is gone at once, and a re-used cycle number gets a fresh
 * directory), then deleted on the thread pool, one item at a time,
 * through remove.c. The main trash is retention.trash_dir; a root on
 * another filesystem gets ".hyco-trash" beside it. Trash left by a
 * daemon that was killed is found and emptied at the next start.
 *
 * trash_discard runs on the thread pool (it only reads what trash_open
 * set); everything else is loop-thread only.
 *
 * Shutdown: the trash's directory descriptors are shared with every job
 * that may call trash_discard, so each such job holds the trash
 * (trash_hold) from before it is queued until it is back on the loop
 * (trash_release). trash_close closes the descriptors only once no
 * job holds it and no deletion runs; a number reused meanwhile could
 * otherwise make a rename land in some other directory.
 */
#ifndef HYCO_TRASH_H
#define HYCO_TRASH_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "layout.h"
#include "remove.h"

#define TRASH_MAX	(1 + CAT_COUNT + KIND_COUNT)
#define TRASH_NAME_MAX	(NAME_MAX + 1)
#define TRASH_SEQ_RANGE	(1u << 20)	/* trash names per job */

struct trash_item;

/* Called on the loop thread once an item's bytes are freed. */
typedef void (*trash_done_fn)(void *arg, const struct remove_stats *st);
/* Called on the loop thread after each deletion, with its st_dev. */
typedef void (*trash_deleted_fn)(void *arg, dev_t dev);

struct trash {
	uv_loop_t		*loop;
	int			 n;		/* trash directories */
	char			 path[TRASH_MAX][PATH_MAX];
	int			 fd[TRASH_MAX];
	dev_t			 dev[TRASH_MAX];
	struct trash_item	*head, *tail;	/* waiting to be deleted */
	struct trash_item	*done, *done_tail; /* callbacks to make */
	uv_idle_t		 idle;		/* makes them, off any call */
	bool			 running;	/* an item is being deleted */
	bool			 closing;
	bool			 closed;	/* descriptors and idle closed */
	unsigned		 users;		/* jobs holding it (trash_hold) */
	uint64_t		 seq;		/* names items uniquely */
	uint64_t		 bytes;		/* known bytes waiting */
	uint64_t		 items;		/* items waiting or running */
	uint64_t		 freed_bytes;	/* deleted since start */
	uint64_t		 bytes_in[TRASH_MAX]; /* bytes waiting, by trash */
	trash_deleted_fn	 deleted;	/* may be NULL (disk.h samples) */
	void			*deleted_arg;
};

/*
 * Open (creating) the main trash at path, and one beside every root of
 * l that lives on another filesystem; queue whatever an earlier run
 * left in them. -1 if the main trash cannot be used (logged).
 */
int	trash_open(struct trash *t, uv_loop_t *loop, const char *path,
	    const struct layout *l);

/*
 * Loop thread: the first of TRASH_SEQ_RANGE sequence numbers no other
 * caller gets, for the trash names of one job (seq, seq + 1, ...).
 */
uint64_t trash_reserve(struct trash *t);

/*
 * Thread pool: take dirfd/name out of the tree: renamed into the trash
 * (1, *which and out say where; queue it with trash_put on the loop),
 * or, on a filesystem without a trash, deleted here (0). -1 with errno
 * on failure: ENOENT when nothing is there (st->error for a deletion).
 */
int	trash_discard(const struct trash *t, int dirfd, const char *name,
	    uint64_t seq, char *out, int *which, struct remove_stats *st);

/*
 * Queue out (in trash which) for deletion; bytes is what the index
 * counted for it. done (may be NULL) runs when it is gone, always from
 * the loop later, never from inside this call: with st->error
 * ECANCELED once the trash is closing (the item stays for the next
 * start). -1 when out of memory (logged; the item stays in the trash
 * and done is never called).
 */
int	trash_put(struct trash *t, int which, const char *out, uint64_t bytes,
	    trash_done_fn done, void *arg);

/* A job that may call trash_discard is queued (hold) or back (release). */
void	trash_hold(struct trash *t);
void	trash_release(struct trash *t);

/*
 * Stop starting deletions; what is queued stays for the next run, its
 * callbacks made with ECANCELED. The descriptors close once no job
 * holds the trash and the deletion running (if any) has ended.
 */
void	trash_close(struct trash *t);

#endif
