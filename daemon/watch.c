/* watch.c: inotify events into index updates; background re-scans. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "array.h"
#include "dirty.h"
#include "fsutil.h"
#include "log.h"
#include "watch_int.h"

#define MOVES_MAX	64	/* unpaired IN_MOVED_FROM kept per wake-up */

/* The first halves of renames read this wake-up, by cookie. */
struct watch_moves {
	struct move {
		uint32_t	cookie, dir, drec, gen;
		uint8_t		nlen;
		char		name[256];
	}		v[MOVES_MAX];
	int		n;
};


double
watch__now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* -- node validity ------------------------------------------------------ */

bool
watch__dir_valid(const struct index *ix, uint32_t node, uint32_t drec, uint32_t gen)
{
	const struct ix_node *x;

	if (node >= ix->nnodes)
		return false;
	x = index_node(ix, node);
	return !(x->flags & IX_FREE) && (x->flags & IX_DIR) && x->size == drec &&
	    ix->dirs[drec].node == node && ix->dirs[drec].gen == gen;
}

int
watch__top_of(const struct watch *w, uint32_t node)
{
	for (int i = 0; i < w->ntops; i++)
		if (w->ix.tops[i].node == node)
			return i;
	return -1;
}

/* -- applying events ---------------------------------------------------- */

void
watch__unwatch(void *arg, int32_t wd)
{
	struct watch *w = arg;

	(void)inotify_rm_watch(w->fd, wd);
}

void
watch__mark_dirty(struct watch *w, struct dirty_set *s, uint32_t dir,
    const char *name, size_t len, uint8_t tries)
{
	if (dirty_add(s, &w->ix, dir, name, len, tries) == -1) {
		log_warnx("watch: out of memory for events; re-scanning");
		w->full_pending = true;
	}
}

/* Look at directory node again: from its parent, or re-scan a top. */
void
watch__look_again(struct watch *w, uint32_t node)
{
	uint32_t parent = index_node(&w->ix, node)->parent;

	if (parent == IX_NIL)
		watch__target(w, node, true);
	else
		watch__mark_dirty(w, w->dirty, parent, index_name(&w->ix, node),
		    index_node(&w->ix, node)->nlen, 0);
}

static void
move_from(struct watch *w, uint32_t dir, uint32_t cookie, const char *name,
    size_t len)
{
	struct watch_moves *mv = w->moves;
	struct move *m;

	if (mv->n == MOVES_MAX) {	/* forget the oldest: it re-stats */
		memmove(&mv->v[0], &mv->v[1], (MOVES_MAX - 1) *
		    sizeof(mv->v[0]));
		mv->n--;
	}
	m = &mv->v[mv->n++];
	m->cookie = cookie;
	m->dir = dir;
	m->drec = (uint32_t)index_node(&w->ix, dir)->size;
	m->gen = w->ix.dirs[m->drec].gen;
	m->nlen = (uint8_t)len;
	memcpy(m->name, name, len + 1);
}

/*
 * The other half of a rename inside the tree: carry the node (and a
 * directory's whole subtree, watches included) over instead of
 * dropping it and scanning it again. Both names are re-stat'ed anyway.
 */
static void
move_to(struct watch *w, uint32_t dir, uint32_t cookie, const char *name,
    size_t len)
{
	struct watch_moves *mv = w->moves;
	struct index *ix = &w->ix;
	uint32_t child;
	int i;

	for (i = 0; i < mv->n && mv->v[i].cookie != cookie; i++)
		;
	if (i == mv->n)
		return;		/* from outside: an arrival */
	struct move m = mv->v[i];
	memmove(&mv->v[i], &mv->v[i + 1], (size_t)(mv->n - i - 1) *
	    sizeof(mv->v[0]));
	mv->n--;
	if (!watch__dir_valid(ix, m.dir, m.drec, m.gen) ||
	    (child = index_lookup(ix, m.dir, m.name, m.nlen)) == IX_NIL)
		return;
	/* Refused when the index is too stale for it: reconciled below. */
	(void)index_rename(ix, child, dir, name, len, watch__unwatch, w);
}

void
watch__handle_event(struct watch *w, const struct inotify_event *ev, bool replay)
{
	struct index *ix = &w->ix;
	size_t len = ev->len ? strlen(ev->name) : 0;
	bool parent = false;
	uint32_t dir;

	if (ev->mask & IN_Q_OVERFLOW) {
		watch__overflow(w);
		return;
	}
	for (int i = 0; i < w->ntops; i++) {
		const char *base;
		if (w->parent_wd[i] != ev->wd)
			continue;
		parent = true;
		base = strrchr(w->top_path[i], '/') + 1;
		if (ev->mask & IN_IGNORED)
			w->parent_wd[i] = -1;	/* on_tick watches it again */
		else if (len > 0 && strcmp(ev->name, base) == 0)
			watch__target(w, ix->tops[i].node, true);
	}
	if (parent)
		return;
	dir = index_by_wd(ix, ev->wd);
	if (!replay && w->job != NULL && (dir == IX_NIL || watch__under_scan(ix, dir)))
		watch__log_event(w, ev, len);
	if (dir == IX_NIL) {
		/* A watch left on a directory that went away from the tree. */
		if (w->job == NULL && !(ev->mask & IN_IGNORED))
			(void)inotify_rm_watch(w->fd, ev->wd);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		index_set_wd(ix, dir, -1);
		watch__look_again(w, dir);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* Below a top the parent's event says where it went. */
		if (index_node(ix, dir)->parent != IX_NIL)
			return;
		if (ev->mask & IN_MOVE_SELF) {
			(void)inotify_rm_watch(w->fd, ev->wd);
			index_set_wd(ix, dir, -1);
		}
		watch__target(w, dir, true);
		return;
	}
	if (len == 0)
		return;
	if ((ev->mask & IN_MOVED_FROM) && ev->cookie != 0)
		move_from(w, dir, ev->cookie, ev->name, len);
	else if ((ev->mask & IN_MOVED_TO) && ev->cookie != 0)
		move_to(w, dir, ev->cookie, ev->name, len);
	watch__mark_dirty(w, w->dirty, dir, ev->name, len, 0);
}

void
watch__on_retry(uv_timer_t *h)
{
	struct watch *w = h->data;

	watch__process_dirty(w);
	watch__start_job(w);
	watch__check_exact(w);
}

/* Read and apply what the queue holds, bounded: a storm waits a turn. */
static void
drain(struct watch *w)
{
	ssize_t n;

	w->synced_round = 0;	/* what watch_sync_exact said may change */
	for (int round = 0; round < READ_ROUNDS; round++) {
		if ((n = read(w->fd, w->buf, READ_BUF)) <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("watch: read inotify");
			break;
		}
		for (ssize_t pos = 0; pos < n;) {
			const struct inotify_event *ev = (const void *)
			    (w->buf + pos);
			pos += (ssize_t)(sizeof(*ev) + ev->len);
			w->stats.events++;
			watch__handle_event(w, ev, false);
		}
	}
	w->moves->n = 0;
	watch__process_dirty(w);
	watch__start_job(w);
	watch__check_exact(w);
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	(void)events;
	if (status < 0) {
		log_warnx("watch: poll: %s", uv_strerror(status));
		return;
	}
	drain(h->data);
}

/* Watch the directory a top lives in, to see the top itself come back. */
void
watch__parent_watch(struct watch *w, int i)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", w->top_path[i]);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	w->parent_wd[i] = inotify_add_watch(w->fd, parent, PARENT_MASK);
	if (w->parent_wd[i] == -1 && errno != ENOENT)
		log_warn("watch: inotify_add_watch %s", parent);
}

void
watch__free_all(struct watch *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	index_free(&w->ix);
	dirty_free(w->dirty);
	dirty_free(w->deferred);
	if (w->log != NULL) {
		free(w->log->e);
		free(w->log->names);
		free(w->log);
	}
	for (int i = 0; i < w->ntops; i++)
		free(w->top_path[i]);
	free(w->targets);
	free(w->buf);
	free(w->moves);
	w->dirty = w->deferred = NULL;
	w->log = NULL;
	w->targets = NULL;
	w->buf = NULL;
	w->moves = NULL;
	w->ntops = 0;
}

static void
on_closed(uv_handle_t *h)
{
	struct watch *w = h->data;

	if (--w->handles == 0 && w->job == NULL)
		watch__free_all(w);
}

int
watch_start(struct watch *w, uv_loop_t *loop, const struct layout *l,
    const struct watch_opts *o, void (*on_ready)(void *), void *arg)
{
	const char *paths[WATCH_MAX_TOPS];
	int n;

	memset(w, 0, sizeof(*w));
	w->loop = loop;
	w->layout = l;
	w->opts = *o;
	w->on_ready = on_ready;
	w->arg = arg;
	w->fd = -1;
	backoff_init(&w->overflow, OVERFLOW_BACKOFF_MIN_MS,
	    OVERFLOW_BACKOFF_MAX_MS);
	w->buf = malloc(READ_BUF);
	w->moves = calloc(1, sizeof(*w->moves));
	w->dirty = calloc(1, sizeof(*w->dirty));
	w->deferred = calloc(1, sizeof(*w->deferred));
	w->log = calloc(1, sizeof(*w->log));
	if (w->buf == NULL || w->moves == NULL || w->dirty == NULL ||
	    w->deferred == NULL || w->log == NULL || index_init(&w->ix) == -1) {
		log_warnx("watch_start: out of memory");
		watch__free_all(w);
		return -1;
	}
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("watch_start: inotify_init1");
		watch__free_all(w);
		return -1;
	}
	n = tally_tops(l, paths);
	for (int i = 0; i < n; i++) {
		if ((w->top_path[i] = strdup(paths[i])) == NULL ||
		    index_add_top(&w->ix, paths[i]) == IX_NIL) {
			free(w->top_path[i]);
			log_warnx("watch_start: out of memory");
			watch__free_all(w);
			return -1;
		}
		w->top_len[i] = strlen(paths[i]);
		w->ntops++;
		watch__parent_watch(w, i);
	}
	uv_poll_init(loop, &w->poll, w->fd);
	uv_timer_init(loop, &w->delay);
	uv_timer_init(loop, &w->retry);
	uv_timer_init(loop, &w->tick);
	w->poll.data = w->delay.data = w->retry.data = w->tick.data = w;
	w->handles = 4;
	uv_poll_start(&w->poll, UV_READABLE, on_readable);
	uint64_t every = (uint64_t)(w->opts.rescan_interval_s * 1000);
	uv_timer_start(&w->tick, watch__on_tick, every, every);
	w->full_pending = true;
	watch__start_job(w);
	return 0;
}

void
watch_set_opts(struct watch *w, const struct watch_opts *o)
{
	bool retime = o->rescan_interval_s != w->opts.rescan_interval_s;

	w->opts = *o;
	if (retime && !w->closing && w->handles > 0) {
		uint64_t every = (uint64_t)(w->opts.rescan_interval_s * 1000);
		uv_timer_start(&w->tick, watch__on_tick, every, every);
	}
}

void
watch_close(struct watch *w)
{
	if (w->closing || w->handles == 0)
		return;		/* closing already, or never started */
	w->closing = true;
	uv_close((uv_handle_t *)&w->poll, on_closed);
	uv_close((uv_handle_t *)&w->delay, on_closed);
	uv_close((uv_handle_t *)&w->retry, on_closed);
	uv_close((uv_handle_t *)&w->tick, on_closed);
}

/*
 * The top path is, or is above (layout_is_inside), and the rest of
 * path below it; a top's length is known, so one strncmp each. No top
 * is "/" (check_layout refuses it as a root).
 */
static uint32_t
locate(const struct watch *w, const char *path, const char **rel)
{
	for (int i = 0; i < w->ntops; i++) {
		size_t n = w->top_len[i];
		if (strncmp(w->top_path[i], path, n) != 0)
			continue;
		if (path[n] == '\0') {
			*rel = path + n;
			return w->ix.tops[i].node;
		}
		if (path[n] == '/' && path[n + 1] != '\0') {
			*rel = path + n + 1;
			return w->ix.tops[i].node;
		}
	}
	return IX_NIL;
}

void
watch_refresh(struct watch *w, const char *path, bool contents)
{
	struct index *ix = &w->ix;
	const char *rel;
	uint32_t node;

	if (w->closing)
		return;		/* the index may be gone already */
	w->synced_round = 0;
	/*
	 * During the start-up scan the index is about to be replaced by
	 * the scan's: the change is either read by the scan or seen by a
	 * watch it added first, logged and replayed on the new index.
	 */
	if (!w->ready)
		return;
	node = locate(w, path, &rel);
	/* One component at a time, so that the next lookup sees it. */
	while (node != IX_NIL && *rel != '\0') {
		const char *slash = strchr(rel, '/');
		size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
		watch__mark_dirty(w, w->dirty, node, rel, len, 0);
		watch__process_dirty(w);
		node = index_lookup(ix, node, rel, len);
		if (node != IX_NIL && !(index_node(ix, node)->flags & IX_DIR))
			node = IX_NIL;
		rel += len + (slash != NULL);
	}
	/* And what it holds: a directory emptied in place. */
	if (node != IX_NIL && contents) {
		const struct ix_dir *d = index_dir(ix, node);
		uint32_t pos = 0, id;
		/* mark_dirty only queues: d and its table stay as they are. */
		while ((id = index_next_child(d, &pos)) != IX_NIL)
			watch__mark_dirty(w, w->dirty, node, index_name(ix, id),
			    index_node(ix, id)->nlen, 0);
		watch__process_dirty(w);
	}
	watch__start_job(w);
	watch__check_exact(w);
}

uint32_t
watch_find(const struct watch *w, const char *path)
{
	const char *rel;
	uint32_t node = locate(w, path, &rel);

	return w->closing ? IX_NIL : index_find(&w->ix, node, rel);
}

uint64_t
watch_bytes(const struct watch *w, const char *path)
{
	const char *rel;
	uint32_t node = locate(w, path, &rel);

	if (w->closing || (node = index_find(&w->ix, node, rel)) == IX_NIL)
		return 0;
	if (index_node(&w->ix, node)->flags & IX_DIR)
		return index_dir(&w->ix, node)->bytes;
	return index_file_size(&w->ix, node);
}

void
watch_sync(struct watch *w)
{
	if (!w->closing)
		drain(w);
}

/* What keeps the index from being exact, or NULL (kernel queue aside). */
static const char *
unsettled(const struct watch *w)
{
	const struct scan_job *j = w->job;

	if (w->ix.nomem)
		return "out_of_memory";
	if (w->full_pending || (j != NULL && j->full))
		return w->stats.overflows > w->overflows_seen ? "overflow" :
		    "full_rescan";
	if (w->ix.unwatched > 0)
		return "unwatched";
	if (j != NULL && !j->rescan)
		return "arrival";
	if (j != NULL || w->ntargets > 0)
		return "rescan";
	if (w->deferred->n > 0)
		return "pending";
	return NULL;
}

/* Called wherever the state above changes: tell on_exact of a change. */
void
watch__check_exact(struct watch *w)
{
	const char *why;
	uint64_t now;

	w->synced_round = 0;
	if (!w->ready || w->closing)
		return;
	why = unsettled(w);
	now = uv_now(w->loop);
	if (!w->exact_known || (why == NULL) != w->settled) {
		bool first = !w->exact_known;
		w->exact_known = true;
		w->settled = why == NULL;
		if (why != NULL) {
			w->lost_at = now;
			w->lost_why = why;
			if (first)
				return;
			w->stats.exact_lost++;
			log_debug("watch: not exact: %s", why);
			if (w->on_exact != NULL)
				w->on_exact(w->exact_arg, false, why, 0);
		} else {
			w->overflows_seen = w->stats.overflows;
			if (first)
				return;
			log_debug("watch: exact again after %.3f s (%s)",
			    (double)(now - w->lost_at) / 1e3, w->lost_why);
			if (w->on_exact != NULL)
				w->on_exact(w->exact_arg, true, w->lost_why,
				    (double)(now - w->lost_at) / 1e3);
		}
	}
}

/* Exact, as far as the events read so far go. */
static bool
exact_so_far(const struct watch *w)
{
	return w->ready && w->job == NULL && w->ntargets == 0 &&
	    !w->full_pending && w->ix.unwatched == 0 && !w->ix.nomem &&
	    w->deferred->n == 0;
}

bool
watch_exact(const struct watch *w)
{
	int queued = 0;

	/* Events still in the kernel's queue are changes not counted yet. */
	if (ioctl(w->fd, FIONREAD, &queued) == -1 || queued > 0)
		return false;
	return exact_so_far(w);
}

bool
watch_sync_exact(struct watch *w, uint64_t round)
{
	int queued = 0;
	bool exact;

	if (round != 0 && round == w->synced_round)
		return w->synced_exact;
	if (w->closing || ioctl(w->fd, FIONREAD, &queued) == -1)
		return false;
	if (queued == 0)
		exact = exact_so_far(w);
	else {
		drain(w);
		exact = watch_exact(w);
	}
	w->synced_round = round;
	w->synced_exact = exact;
	return exact;
}

size_t
watch_rescanning(const struct watch *w, const char **paths, size_t n)
{
	const struct scan_job *j = w->job;
	size_t k = 0;

	if (w->full_pending) {
		for (int i = 0; i < w->ntops && k < n; i++)
			paths[k++] = w->top_path[i];
		return k;
	}
	for (size_t i = 0; j != NULL && i < j->n && k < n; i++)
		if (j->t[i].rescan)
			paths[k++] = j->paths[i];
	return k;
}

int
watch_tally(const struct watch *w, struct tally *t)
{
	return tally_read(&w->ix, w->layout, t);
}
