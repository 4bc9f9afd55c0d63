/*
 * rescan.c: the thread-pool side of the watcher. Directories to scan
 * (arrivals too big to read in place, vanished roots, everything after
 * a queue overflow, what the watch limit left unwatched) are queued as
 * targets and scanned by one job at a time into a private index, then
 * grafted in (or, for every root at once, swapped in); the events read
 * meanwhile are logged and replayed on the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "array.h"
#include "dirty.h"
#include "log.h"
#include "watch_int.h"

static void on_delay(uv_timer_t *h);

/* -- targets and jobs --------------------------------------------------- */

void
watch__target(struct watch *w, uint32_t node, bool rescan)
{
	struct ix_dir *d = index_dir(&w->ix, node);

	if (d->flags & IXD_QUEUED)
		return;
	if (array_grow((void **)&w->targets, &w->captargets, w->ntargets + 1,
	    sizeof(*w->targets)) == -1) {
		w->full_pending = true;		/* cannot track it: do all */
		return;
	}
	d->flags |= IXD_QUEUED;
	w->targets[w->ntargets++] = (struct watch_target){
		.node = node, .drec = (uint32_t)index_node(&w->ix, node)->size,
		.gen = d->gen, .top = watch__top_of(w, node) >= 0, .rescan = rescan,
	};
}

static void
targets_clear(struct watch *w)
{
	for (size_t i = 0; i < w->ntargets; i++) {
		struct watch_target *t = &w->targets[i];
		if (watch__dir_valid(&w->ix, t->node, t->drec, t->gen))
			w->ix.dirs[t->drec].flags &= ~IXD_QUEUED;
	}
	w->ntargets = 0;
}

/* Watches already held below dir (they may be re-used by a scan). */
static int64_t
count_watched(const struct index *ix, uint32_t dir)
{
	int64_t n = index_dir(ix, dir)->wd >= 0;

	IX_FOREACH(ix, index_dir(ix, dir)->dirs, id)
		n += count_watched(ix, id);
	return n;
}

static void
rescan_work(uv_work_t *req)
{
	struct scan_job *j = req->data;

	j->rc = scan_build(&j->ix, (const char *const *)j->paths, j->follow,
	    (int)j->n, &j->opts, &j->st);
}

static void
rescan_job_free(struct scan_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	free(j->follow);
	free(j->t);
	index_free(&j->ix);
	free(j);
}

static void
log_clear(struct watch_log *l)
{
	l->n = 0;
	l->nameslen = 0;
	l->overflowed = false;
}

/* Feed the events seen during a scan through again, on the new index. */
static void
replay(struct watch *w)
{
	struct watch_log *l = w->log;
	char buf[sizeof(struct inotify_event) + 256];
	struct inotify_event *ev = (void *)buf;

	for (size_t i = 0; i < l->n; i++) {
		ev->wd = l->e[i].wd;
		ev->mask = l->e[i].mask;
		ev->cookie = 0;		/* pairs were handled the first time */
		ev->len = l->e[i].nlen ? l->e[i].nlen + 1u : 0;
		memcpy(ev->name, l->names + l->e[i].name, l->e[i].nlen + 1u);
		watch__handle_event(w, ev, true);
	}
	log_clear(l);
}

void
watch__warn_unwatched(struct watch *w, const struct scan_stats *st)
{
	if (st->unwatched == 0 || w->warned_limit)
		return;
	w->warned_limit = true;
	if (w->opts.max_watches > 0)
		log_warnx("watch: daemon.max_watches (%lld) reached: %llu "
		    "directories are unwatched and re-scanned every %g s",
		    (long long)w->opts.max_watches,
		    (unsigned long long)st->unwatched, w->opts.rescan_interval_s);
	else
		log_warnx("watch: cannot watch %llu directories: %s; raise the "
		    "sysctl fs.inotify.max_user_watches. They are re-scanned "
		    "every %g s meanwhile",
		    (unsigned long long)st->unwatched,
		    strerror(st->watch_errno), w->opts.rescan_interval_s);
}

/* Whether j scanned every top, in order (a full re-scan or the first). */
static bool
covers_all(const struct watch *w, const struct scan_job *j)
{
	if (!j->full || j->n != (size_t)w->ntops)
		return false;
	for (size_t i = 0; i < j->n; i++)
		if (j->t[i].node != w->ix.tops[i].node)
			return false;
	return true;
}

static void
rescan_done(uv_work_t *req, int status)
{
	struct scan_job *j = req->data;
	struct watch *w = j->w;
	double took = (double)(uv_hrtime() - j->start) / 1e9;
	bool swapped = false;

	w->job = NULL;
	if (w->closing) {
		rescan_job_free(j);
		if (w->handles == 0)
			watch__free_all(w);
		return;
	}
	if (status < 0 || j->rc == -1)
		w->full_pending = true;	/* out of memory: try again later */
	if (status == 0 && j->rc == 0 && covers_all(w, j)) {
		/*
		 * A scan of every top replaces the whole index: take it as
		 * is rather than copy it. What was queued or deferred named
		 * old nodes; the events behind it are in the log, replayed
		 * below.
		 */
		/* Another index: a generation no reader has seen yet. */
		j->ix.gen = w->ix.gen + 1;
		index_free(&w->ix);
		w->ix = j->ix;
		if (index_init(&j->ix) == -1)
			memset(&j->ix, 0, sizeof(j->ix));
		w->ntargets = 0;
		dirty_clear(w->deferred);
		swapped = true;
	}
	for (size_t i = 0; i < j->n && status == 0 && !swapped; i++) {
		struct watch_target *t = &j->t[i];
		if (!watch__dir_valid(&w->ix, t->node, t->drec, t->gen))
			continue;	/* removed meanwhile */
		struct ix_dir *live = &w->ix.dirs[t->drec];
		const struct ix_dir *seen = index_dir(&j->ix,
		    j->ix.tops[i].node);
		live->flags &= ~IXD_SCANNING;
		/*
		 * By the time it was scanned its path named another
		 * directory, or none (it was renamed meanwhile): what was
		 * read is not this one. Look at it again from its parent,
		 * and scan it again where it is now, if it still is.
		 */
		if (!t->top && (seen->dev != live->dev ||
		    seen->ino != live->ino)) {
			watch__look_again(w, t->node);
			watch__target(w, t->node, t->rescan);
			continue;
		}
		index_graft(&w->ix, t->node, &j->ix, j->ix.tops[i].node);
	}
	w->stats.scan_errors += j->st.errors;
	if (j->st.errors > 0)
		log_warnx("scan: %llu entries could not be read (the first: "
		    "%s: %s)", (unsigned long long)j->st.errors,
		    j->st.error_op, strerror(j->st.error_errno));
	watch__warn_unwatched(w, &j->st);
	if (w->ix.unwatched == 0)
		w->warned_limit = false;
	if (j->full || j->rescan) {
		w->stats.last_rescan = watch__now();
		w->stats.last_scan_s = took;
	}
	if (j->full)
		log_info("indexed %llu files in %llu directories in %.3f s, "
		    "%llu watched, index %zu bytes",
		    (unsigned long long)w->ix.files,
		    (unsigned long long)(w->ix.live - w->ix.files),
		    took, (unsigned long long)w->ix.watched,
		    index_memory(&w->ix));
	if (w->log->overflowed) {
		log_warnx("watch: too many events during a scan; scanning again");
		w->full_pending = true;
	}
	replay(w);
	rescan_job_free(j);
	watch__process_dirty(w);
	/*
	 * Serve after the first scan even if events were lost during it (a
	 * storm at start-up): summary says exact false until the re-scan.
	 */
	if (!w->ready) {
		w->ready = true;
		w->on_ready(w->arg);
	}
	watch__start_job(w);
	watch__check_exact(w);
}

/*
 * Queue the topmost unwatched directories. Done as a job starts, so a
 * re-scan that starts after a change covers whatever was unwatched then.
 */
static void
target_unwatched(struct watch *w)
{
	struct index *ix = &w->ix;

	w->unwatched_due = false;
	for (uint32_t d = 0; d < ix->ndirs && ix->unwatched > 0; d++) {
		const struct ix_dir *x = &ix->dirs[d];
		bool topmost = true;
		if (x->node == IX_NIL || !(x->flags & IXD_UNWATCHED))
			continue;
		for (uint32_t p = index_node(ix, x->node)->parent;
		    p != IX_NIL && topmost; p = index_node(ix, p)->parent)
			if (index_dir(ix, p)->flags & IXD_UNWATCHED)
				topmost = false;
		if (topmost)
			watch__target(w, x->node, true);
	}
}

/* Scan the queued targets (or every top) on the thread pool. */
void
watch__start_job(struct watch *w)
{
	struct scan_job *j;
	uint64_t now = uv_now(w->loop);
	int64_t have;
	size_t i, k, n;
	int r;

	if (w->job != NULL || w->closing)
		return;
	if (w->full_pending) {
		if (backoff_waiting(&w->overflow, now)) {
			/* Backing off after overflows: on_delay comes back. */
			if (!uv_is_active((uv_handle_t *)&w->delay))
				uv_timer_start(&w->delay, on_delay,
				    w->overflow.until - now, 0);
			return;
		}
		targets_clear(w);
		for (int t = 0; t < w->ntops; t++)
			watch__target(w, w->ix.tops[t].node, true);
	}
	if (w->unwatched_due && !w->full_pending)
		target_unwatched(w);
	if (w->ntargets == 0)
		return;
	n = w->ntargets < JOB_TARGETS ? w->ntargets : JOB_TARGETS;
	if ((j = calloc(1, sizeof(*j))) == NULL || index_init(&j->ix) == -1) {
		free(j);
		j = NULL;
		goto nomem;
	}
	j->w = w;
	j->full = w->full_pending;
	j->t = malloc(n * sizeof(*j->t));
	j->paths = calloc(n, sizeof(*j->paths));
	j->follow = calloc(n, sizeof(*j->follow));
	if (j->t == NULL || j->paths == NULL || j->follow == NULL)
		goto nomem;
	have = w->ix.watched;
	for (i = 0; i < w->ntargets && j->n < n; i++) {
		struct watch_target *t = &w->targets[i];
		char path[PATH_MAX];
		if (!watch__dir_valid(&w->ix, t->node, t->drec, t->gen))
			continue;
		struct ix_dir *d = &w->ix.dirs[t->drec];
		d->flags &= ~IXD_QUEUED;
		if (index_path(&w->ix, t->node, path, sizeof(path)) == -1 ||
		    (j->paths[j->n] = strdup(path)) == NULL)
			continue;
		d->flags |= IXD_SCANNING;
		have -= count_watched(&w->ix, t->node);
		j->follow[j->n] = t->top;
		j->t[j->n++] = *t;
	}
	/* What did not fit waits for the next job, in order. */
	for (k = 0; i < w->ntargets; i++)
		w->targets[k++] = w->targets[i];
	w->ntargets = k;
	w->full_pending = false;
	if (j->n == 0) {
		rescan_job_free(j);
		return;
	}
	j->opts.inotify_fd = w->fd;
	j->opts.mask = WATCH_MASK;
	j->opts.max_watches = w->opts.max_watches > 0 ?
	    (w->opts.max_watches > have ? w->opts.max_watches - have : 0) : -1;
	j->opts.threads = w->opts.scan_threads;
	j->start = uv_hrtime();
	j->work.data = j;
	/* A job is a re-scan if any target is one, not only arrivals. */
	for (i = 0; i < j->n; i++)
		j->rescan |= j->t[i].rescan;
	if (j->rescan)
		w->stats.rescans++;
	else
		w->stats.arrivals++;
	if ((r = uv_queue_work(w->loop, &j->work, rescan_work,
	    rescan_done)) < 0) {
		log_warnx("watch: uv_queue_work: %s", uv_strerror(r));
		for (i = 0; i < j->n; i++)
			if (watch__dir_valid(&w->ix, j->t[i].node, j->t[i].drec,
			    j->t[i].gen))
				w->ix.dirs[j->t[i].drec].flags &= ~IXD_SCANNING;
		rescan_job_free(j);
		w->full_pending = true;
		return;
	}
	w->job = j;
	return;
nomem:
	log_warnx("watch: out of memory for a scan");
	if (j != NULL)
		rescan_job_free(j);
	w->full_pending = true;
}

static void
on_delay(uv_timer_t *h)
{
	watch__start_job(h->data);
	watch__check_exact(h->data);
}

/* -- overflow ----------------------------------------------------------- */

void
watch__overflow(struct watch *w)
{
	uint64_t now = uv_now(w->loop);

	w->stats.overflows++;
	if (w->last_overflow != 0 && now - w->last_overflow < QUIET_MS)
		backoff_step(&w->overflow, now);
	else
		backoff_reset(&w->overflow, now);
	w->last_overflow = now;
	/* Once per storm: later ones within QUIET_MS only back off. */
	if (w->overflow.delay_ms == 0)
		log_warnx("watch: inotify queue overflowed (%llu overflows so "
		    "far): events were lost, re-scanning every root in the "
		    "background", (unsigned long long)w->stats.overflows);
	else
		log_debug("watch: overflow %llu, next re-scan in %u ms",
		    (unsigned long long)w->stats.overflows, w->overflow.delay_ms);
	w->full_pending = true;
}

bool
watch__under_scan(const struct index *ix, uint32_t dir)
{
	for (uint32_t p = dir; p != IX_NIL; p = index_node(ix, p)->parent)
		if (index_dir(ix, p)->flags & IXD_SCANNING)
			return true;
	return false;
}

void
watch__log_event(struct watch *w, const struct inotify_event *ev, size_t len)
{
	struct watch_log *l = w->log;
	struct log_ent *e;

	if (l->n >= LOG_MAX ||
	    array_grow((void **)&l->e, &l->cap, l->n + 1, sizeof(*l->e)) == -1) {
		l->overflowed = true;
		return;
	}
	e = &l->e[l->n];
	if (array_put_name(&l->names, &l->nameslen, &l->namescap,
	    len ? ev->name : "", len, &e->name) == -1) {
		l->overflowed = true;
		return;
	}
	e->wd = ev->wd;
	e->mask = ev->mask;
	e->nlen = (uint8_t)len;
	l->n++;
}

/* Periodic: unwatched parts, vanished roots and their parents' watches. */
void
watch__on_tick(uv_timer_t *h)
{
	struct watch *w = h->data;
	struct index *ix = &w->ix;
	struct stat st;

	for (int i = 0; i < w->ntops; i++) {
		if (w->parent_wd[i] == -1)
			watch__parent_watch(w, i);
		if (index_dir(ix, ix->tops[i].node)->ino == 0 &&
		    stat(w->top_path[i], &st) == 0)
			watch__target(w, ix->tops[i].node, true);
	}
	/* Which directories: chosen when the job starts, not now. */
	if (ix->unwatched > 0)
		w->unwatched_due = true;
	watch__start_job(w);
	watch__check_exact(w);
}
