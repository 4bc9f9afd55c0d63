/*
 * watch_reconcile.c: the (directory, name) pairs events marked, looked
 * at again with one fstatat each against the directory, opened by its
 * path and checked by inode; small arrivals adopted in place, bigger
 * ones handed to a re-scan (rescan.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "dirty.h"
#include "fsutil.h"
#include "log.h"
#include "watch_int.h"

static void
watch_fd(struct watch *w, uint32_t dir, int fd)
{
	struct ix_dir *d;
	char proc[64];
	int wd = -1;

	/* A running scan holds what is left under the cap until it ends. */
	if (w->opts.max_watches > 0 && (w->ix.watched >= w->opts.max_watches ||
	    w->job != NULL))
		errno = ENOSPC;
	else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		wd = inotify_add_watch(w->fd, proc, WATCH_MASK);
	}
	d = index_dir(&w->ix, dir);
	if (wd == -1) {
		struct scan_stats st = { .unwatched = 1, .watch_errno = errno };
		if (!(d->flags & IXD_UNWATCHED)) {
			d->flags |= IXD_UNWATCHED;
			w->ix.unwatched++;
		}
		watch__warn_unwatched(w, &st);
		return;
	}
	if (d->flags & IXD_UNWATCHED) {
		d->flags &= ~IXD_UNWATCHED;
		w->ix.unwatched--;
	}
	index_set_wd(&w->ix, dir, wd);
}


/*
 * A directory that just appeared (node id, empty so far): watch it,
 * then read it in place while the budget lasts, so that a mkdir -p with
 * a few files is exact at once; past the budget the thread pool scans
 * it whole.
 */
static void
adopt(struct watch *w, uint32_t id, int pfd, const char *name, int *budget,
    int depth)
{
	struct index *ix = &w->ix;
	char buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	/*
	 * TODO: past the budget an arrival is counted only once its scan
	 * job ends (milliseconds per 10k files), and summary is not exact
	 * until then; reading it in place in slices, a budget per
	 * wake-up, would count it sooner without starving clients.
	 */
	if (depth >= WATCH_ADOPT_DEPTH || *budget <= 0) {
		watch__target(w, id, false);
		return;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			index_remove(ix, id, watch__unwatch, w);
		else
			watch__target(w, id, false);
		return;
	}
	if (fstat(fd, &st) == 0) {
		index_dir(ix, id)->dev = st.st_dev;
		index_dir(ix, id)->ino = st.st_ino;
	}
	watch_fd(w, id, fd);
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *de = (void *)(buf + pos);
			const char *cn = de->d_name;
			size_t len = strlen(cn);
			uint32_t c;

			pos += de->d_reclen;
			if (fsutil_is_dot(cn))
				continue;
			if (--*budget < 0) {
				watch__target(w, id, false);
				close(fd);
				return;
			}
			if (fstatat(fd, cn, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
			    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
				continue;
			c = index_add(ix, id, cn, len, S_ISDIR(st.st_mode), true);
			if (c == IX_NIL)
				continue;	/* ix->nomem: not exact */
			if (S_ISREG(st.st_mode)) {
				index_set_file(ix, c, (uint64_t)st.st_size,
				    st.st_mtime);
				continue;
			}
			index_dir(ix, c)->dev = st.st_dev;
			index_dir(ix, c)->ino = st.st_ino;
			adopt(w, c, fd, cn, budget, depth + 1);
		}
	}
	if (n == -1 && errno != ENOENT)	/* ENOENT: removed meanwhile */
		watch__target(w, id, false);
	close(fd);
}

/* Make the index say what the filesystem says of dir/name now. */
static void
reconcile(struct watch *w, uint32_t dir, int fd, const char *name,
    size_t len, int *budget)
{
	struct index *ix = &w->ix;
	uint32_t node = index_lookup(ix, dir, name, len), id;
	struct stat st;
	bool isreg, isdir;

	w->stats.reconciled++;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT && errno != ENOTDIR) {
			w->stats.scan_errors++;
			return;		/* unknown: leave it as it was */
		}
		memset(&st, 0, sizeof(st));
	}
	isreg = S_ISREG(st.st_mode);
	isdir = S_ISDIR(st.st_mode);
	if (node != IX_NIL) {
		if (index_node(ix, node)->flags & IX_DIR) {
			struct ix_dir *d = index_dir(ix, node);
			if (isdir && d->dev == st.st_dev && d->ino == st.st_ino) {
				/* Same directory; if its watch was lost, re-scan. */
				if (d->wd < 0 && !(d->flags & (IXD_UNWATCHED |
				    IXD_QUEUED | IXD_SCANNING)))
					watch__target(w, node, true);
				return;
			}
		} else if (isreg) {
			index_set_file(ix, node, (uint64_t)st.st_size,
			    st.st_mtime);
			return;
		}
		index_remove(ix, node, watch__unwatch, w);
	}
	if (isreg) {
		if ((id = index_add(ix, dir, name, len, false, true)) != IX_NIL)
			index_set_file(ix, id, (uint64_t)st.st_size,
			    st.st_mtime);
	} else if (isdir) {
		if ((id = index_add(ix, dir, name, len, true, true)) != IX_NIL) {
			index_dir(ix, id)->dev = st.st_dev;
			index_dir(ix, id)->ino = st.st_ino;
			adopt(w, id, fd, name, budget, 0);
		}
	}
}

static uint32_t
top_node(const struct index *ix, uint32_t node)
{
	while (index_node(ix, node)->parent != IX_NIL)
		node = index_node(ix, node)->parent;
	return node;
}

/*
 * Open dir by its path and check it is still the directory the index
 * means: an ancestor renamed in events not read yet leaves the path
 * stale. -1: stale, retry later; -2: a top changed, it is re-scanned.
 */
static int
open_checked(struct watch *w, uint32_t dir)
{
	struct ix_dir *d = index_dir(&w->ix, dir);
	bool top = index_node(&w->ix, dir)->parent == IX_NIL;
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (index_path(&w->ix, dir, path, sizeof(path)) == -1)
		return -1;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC |
	    (top ? 0 : O_NOFOLLOW));
	if (fd != -1 && fstat(fd, &st) == 0 && st.st_dev == d->dev &&
	    st.st_ino == d->ino)
		return fd;
	if (fd != -1)
		close(fd);
	if (!top)
		return -1;
	watch__target(w, dir, true);
	return -2;
}

static int
by_dir(const void *a, const void *b)
{
	const struct dirty_ent *x = a, *y = b;

	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

/* Reconcile every (directory, name) collected, one open per directory. */
void
watch__process_dirty(struct watch *w)
{
	struct dirty_set *s = w->dirty, *def = w->deferred;
	struct index *ix = &w->ix;
	int budget = ADOPT_BUDGET;
	size_t i, end;

	for (i = 0; i < def->n; i++) {
		struct dirty_ent *e = &def->e[i];
		if (watch__dir_valid(ix, e->dir, e->drec, e->gen))
			watch__mark_dirty(w, s, e->dir, def->names + e->name, e->nlen,
			    e->tries);
	}
	dirty_clear(def);
	if (s->n == 0)
		return;
	qsort(s->e, s->n, sizeof(*s->e), by_dir);
	for (i = 0; i < s->n; i = end) {
		struct dirty_ent *e = &s->e[i];
		int fd;
		for (end = i + 1; end < s->n && s->e[end].dir == e->dir; end++)
			;
		if (!watch__dir_valid(ix, e->dir, e->drec, e->gen))
			continue;
		if ((fd = open_checked(w, e->dir)) == -2)
			continue;
		if (fd == -1) {
			for (size_t k = i; k < end; k++) {
				struct dirty_ent *f = &s->e[k];
				if (f->tries + 1 < DEFER_TRIES)
					watch__mark_dirty(w, def, f->dir, s->names +
					    f->name, f->nlen, f->tries + 1);
				else
					watch__target(w, top_node(ix, f->dir),
					    true);
			}
			continue;
		}
		for (size_t k = i; k < end; k++) {
			struct dirty_ent *f = &s->e[k];
			if (watch__dir_valid(ix, f->dir, f->drec, f->gen))
				reconcile(w, f->dir, fd, s->names + f->name,
				    f->nlen, &budget);
		}
		close(fd);
	}
	dirty_clear(s);
	if (def->n > 0 && !uv_is_active((uv_handle_t *)&w->retry))
		uv_timer_start(&w->retry, watch__on_retry, RETRY_MS, 0);
}
