/*
 * job.c: a request's filesystem work from start to reply. The pool
 * half makes cycle directories through directory descriptors and
 * renames removals into the trash (or deletes them in place where a
 * filesystem has none); the loop half brings the index up to date,
 * queues what was trashed and answers.
 */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "log.h"
#include "measure.h"
#include "remove.h"

/* -- thread pool -------------------------------------------------------- */

/* Record j's first failure as errno err on what path. */
static void
set_error(struct job *j, int err, const char *what, const char *path)
{
	if (j->err != 0)
		return;
	j->err = err;
	snprintf(j->errmsg, sizeof(j->errmsg), "%s %s: %s", what, path,
	    strerror(err));
}

static void
work_cycle_dir(struct job *j, const struct layout *l)
{
	char cname[32];
	const char *comps[2] = { cname, j->dataset };
	int r;

	/* j->path was built (and its length checked) by rpc.c. */
	layout_cycle_name(cname, sizeof(cname), j->cycle);
	if ((r = fsutil_mkdir_under(l->pred_root[j->kind], comps, 2,
	    j->r.d->cfg.dir_mode, &j->created)) < 0)
		set_error(j, -r, "mkdir", j->path);
}

/*
 * Take name out of dirfd (where, as a path, for messages): renamed into
 * the trash (deleted later, off the request), or deleted here when its
 * filesystem has no trash. bytes is what the index counted for it.
 * Whether it was there to take.
 */
static bool
discard(struct job *j, int dirfd, const char *name, uint64_t bytes,
    const char *where)
{
	const struct trash *t = &j->r.d->trash;
	struct remove_stats st = { 0 };
	struct moved *m;
	char path[PATH_MAX + 64];
	int which;

	snprintf(path, sizeof(path), "%s/%s", where, name);
	if (array_grow((void **)&j->moved, &j->capmoved, j->nmoved + 1,
	    sizeof(*j->moved)) == -1) {
		set_error(j, ENOMEM, "remove", path);
		return false;
	}
	m = &j->moved[j->nmoved];
	switch (trash_discard(t, dirfd, name, j->seq++, m->name, &which, &st)) {
	case 1:
		m->which = which;
		m->bytes = bytes;
		if (j->measure) {
			/* In the trash now: nobody adds to it by its path. */
			struct measure ms = { 0 };
			measure_at(t->fd[which], m->name, &ms);
			m->bytes = ms.bytes;
			j->measured += ms.bytes;
		}
		j->nmoved++;
		return true;
	case 0:
		j->measured += st.bytes;
		return true;	/* deleted in place: no trash there */
	default:
		/* Gone already: another request took it first. */
		if (errno != ENOENT)
			set_error(j, errno, "remove", path);
		return false;
	}
}

/* clean says which paths it took, for its reply and the index. */
static void
record_taken(struct job *j, const char *root, const char *name)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (array_grow((void **)&j->taken, &j->captaken, j->ntaken + 1,
	    sizeof(*j->taken)) == -1 ||
	    (j->taken[j->ntaken] = strdup(path)) == NULL) {
		set_error(j, ENOMEM, "remove", path);
		return;
	}
	j->ntaken++;
}

/* Discard dirfd/name (where/name) if it is there; clean records it. */
static bool
take_one(struct job *j, int dirfd, const char *where, const char *name,
    uint64_t bytes)
{
	if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !discard(j, dirfd, name, bytes, where))
		return false;
	if (j->type == JOB_CLEAN)
		record_taken(j, where, name);
	return true;
}

/* root opened as a directory; -1 (recorded unless it is absent) if not. */
static int
open_root(struct job *j, const char *root)
{
	int fd = fsutil_open_dir(root);

	if (fd == -1 && errno != ENOENT)
		set_error(j, errno, "open", root);
	return fd;
}

/* root opened (*fd) and listed; NULL (recorded as open_root) if not. */
static DIR *
list_root(struct job *j, const char *root, int *fd)
{
	DIR *d;

	if ((*fd = open_root(j, root)) == -1)
		return NULL;
	if ((d = fsutil_list(*fd)) == NULL) {
		set_error(j, errno, "list", root);
		close(*fd);
	}
	return d;
}

/*
 * root/name, or with name NULL everything in root, out of the tree.
 * bytes (the index's figure) go with the first item taken, for
 * trash_bytes. Whether anything was taken.
 */
static bool
take(struct job *j, const char *root, const char *name, uint64_t bytes)
{
	struct dirent *de;
	bool took = false;
	DIR *d;
	int fd;

	if (name != NULL) {
		if ((fd = open_root(j, root)) == -1)
			return false;
		took = take_one(j, fd, root, name, bytes);
		close(fd);
		return took;
	}
	if ((d = list_root(j, root, &fd)) == NULL)
		return false;
	while ((de = readdir(d)) != NULL && j->err == 0) {
		if (fsutil_is_dot(de->d_name) ||
		    !take_one(j, fd, root, de->d_name, took ? 0 : bytes))
			continue;
		took = true;
	}
	closedir(d);
	close(fd);
	return took;
}

/*
 * The dataset's directory in every cycle of pred_root, each cycle
 * opened without following a link: a cycle swapped for a symlink is
 * not entered.
 */
static bool
take_in_cycles(struct job *j, const char *pred_root, const char *ds)
{
	struct dirent *de;
	bool took = false;
	DIR *d;
	int pfd, cfd;
	long n;

	if ((d = list_root(j, pred_root, &pfd)) == NULL)
		return false;
	while ((de = readdir(d)) != NULL && j->err == 0) {
		char cyc[PATH_MAX + 256];
		if (layout_parse_cycle(de->d_name, &n) == -1 ||
		    (cfd = openat(pfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		snprintf(cyc, sizeof(cyc), "%s/%s", pred_root, de->d_name);
		took |= take_one(j, cfd, cyc, ds, 0);
		close(cfd);
	}
	closedir(d);
	close(pfd);
	return took;
}

/* clean: tensors and eval datasets, prediction caches, or a dataset's
 * share of each. */
static void
work_clean(struct job *j, const struct layout *l)
{
	const char *ds = j->dataset[0] ? j->dataset : NULL;

	for (int c = 0; c < CAT_COUNT; c++)
		if ((j->targets & (1u << c)) && c != CAT_GENERATED)
			j->took[JOB_PART_CAT(c)] = take(j, l->roots[c], ds, 0);
	if (!(j->targets & (1u << CAT_GENERATED)))
		return;
	for (int k = 0; k < KIND_COUNT && j->err == 0; k++)
		j->took[k] = ds == NULL ? take(j, l->pred_root[k], NULL, 0) :
		    take_in_cycles(j, l->pred_root[k], ds);
}

/* uv_work_cb: j's filesystem work; it touches nothing but j. */
static void
on_work(uv_work_t *w)
{
	struct job *j = w->data;
	const struct layout *l = &j->r.d->cfg.layout;
	char cname[32];
	int r;

	switch (j->type) {
	case JOB_CYCLE_DIR:
		work_cycle_dir(j, l);
		break;
	case JOB_CLEANUP_CYCLE:
		layout_cycle_name(cname, sizeof(cname), j->cycle);
		for (int k = 0; k < KIND_COUNT; k++)
			if (j->kind == KIND_ALL || j->kind == k)
				j->took[k] = take(j, l->pred_root[k], cname,
				    j->held[k]);
		break;
	case JOB_CLEANUP_GENERATED:
		for (int k = 0; k < KIND_COUNT; k++) {
			j->took[k] = take(j, l->pred_root[k], NULL, j->held[k]);
			/* A root removed by hand comes back, as the seed's. */
			if ((r = fsutil_mkdir_p(l->pred_root[k],
			    j->r.d->cfg.dir_mode)) < 0)
				set_error(j, -r, "mkdir", l->pred_root[k]);
		}
		break;
	case JOB_CLEAN:
		work_clean(j, l);
		break;
	}
	/*
	 * What this request took, as the index held it when it came: a
	 * second request for the same cycle finds nothing, and frees 0.
	 */
	for (int i = 0; i < JOB_PARTS; i++)
		if (j->took[i])
			j->freed += j->held[i];
	if (j->measure)
		j->freed = j->measured;
}

/* -- loop thread -------------------------------------------------------- */

void
job_cycle_dir_given(const struct reply *r, int kind, long cycle,
    const char *dataset, const char *path, bool created, uint64_t answered)
{
	struct hycod *d = r->d;

	stats_cycle_dir(&d->stats, kind, dataset, created, answered);
	if (created)
		events_cycle_created(&d->events, kind, cycle, dataset, path);
	/* Where its trainer writes now: leased until it asks again. */
	if (conn_is_open(r->conn))
		policy_lease(&d->policy, r->conn, r->seq, kind, cycle, dataset);
	policy_soon(&d->policy);
}

struct job *
job_new(const struct reply *r, enum job_type type, job_answer_fn answer)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->r = *r;
	j->type = type;
	j->answer = answer;
	return j;
}

void
job_free(struct job *j)
{
	free(j->cycles);
	for (size_t i = 0; i < j->ntaken; i++)
		free(j->taken[i]);
	free(j->taken);
	free(j->moved);
	free(j);
}

/* Answer j and release its connection reference. */
static void
answer(struct job *j)
{
	struct conn *c = j->r.conn;

	if (conn_is_open(c)) {
		j->answer(j);
		conn_flush(c);
	}
	conn_work_end(c);	/* begun in job_start */
}

/* The daemon's own changes go into the index before the reply does. */
static void
refresh_index(struct job *j)
{
	struct watch *w = &j->r.d->watch;
	const struct layout *l = &j->r.d->cfg.layout;
	char path[PATH_MAX];

	switch (j->type) {
	case JOB_CYCLE_DIR:
		watch_refresh(w, j->path, false);
		break;
	case JOB_CLEANUP_CYCLE:
		for (int k = 0; k < KIND_COUNT; k++)
			if (j->took[k] && layout_cycle_dir(l, k, j->cycle, NULL,
			    path, sizeof(path)) == 0)
				watch_refresh(w, path, false);
		break;
	case JOB_CLEANUP_GENERATED:
		for (int k = 0; k < KIND_COUNT; k++)
			watch_refresh(w, l->pred_root[k], true);
		break;
	case JOB_CLEAN:
		for (size_t i = 0; i < j->ntaken; i++)
			watch_refresh(w, j->taken[i], false);
		break;
	}
}

/* One trash item of j freed (or, for the guard, none left to queue). */
static void
on_freed(void *arg, const struct remove_stats *st)
{
	struct job *j = arg;

	if (st != NULL && st->error != 0)
		set_error(j, st->error, "delete", "trash item");
	if (--j->pending > 0)
		return;
	answer(j);
	job_free(j);
}

static void
log_done(const struct job *j)
{
	if (j->err != 0)
		return;
	switch (j->type) {
	case JOB_CYCLE_DIR:
		if (j->created)
			log_debug("get-cycle-dir: created %s", j->path);
		break;
	case JOB_CLEANUP_CYCLE:
		if (j->took[KIND_SYNTHETIC] || j->took[KIND_PHYSICAL])
			log_info("cleanup-cycle: removed cycle %ld (%s), %llu "
			    "bytes", j->cycle, j->kind == KIND_ALL ? "all" :
			    layout_kind_names[j->kind], (unsigned long long)j->freed);
		break;
	case JOB_CLEANUP_GENERATED:
		log_info("cleanup-generated: %zu items, %llu bytes", j->nmoved,
		    (unsigned long long)j->freed);
		break;
	case JOB_CLEAN:
		for (size_t i = 0; i < j->ntaken; i++)
			log_info("clean: removed %s (asked for, confirmed)",
			    j->taken[i]);
		break;
	}
}

/*
 * Subscribers hear of every cycle directory the request took: the ones
 * it named (cleanup-cycle), or those listed when it started (emptying a
 * root), announced once the index no longer has them.
 */
static void
refresh_and_announce(struct job *j)
{
	struct hycod *d = j->r.d;
	char path[PATH_MAX];

	refresh_index(j);
	if (j->type == JOB_CLEANUP_CYCLE)
		for (int k = 0; k < KIND_COUNT; k++)
			if (j->took[k] && layout_cycle_dir(&d->cfg.layout, k,
			    j->cycle, NULL, path, sizeof(path)) == 0)
				events_cycle_removed(&d->events, k, j->cycle, path,
				    j->held[k], "request");
	for (size_t i = 0; i < j->ncycles; i++)
		if (j->took[j->cycles[i].kind] &&
		    layout_cycle_dir(&d->cfg.layout, j->cycles[i].kind,
		    j->cycles[i].cycle, NULL, path, sizeof(path)) == 0 &&
		    watch_find(&d->watch, path) == IX_NIL)
			events_cycle_removed(&d->events, j->cycles[i].kind,
			    j->cycles[i].cycle, path, j->cycles[i].bytes,
			    "request");
}

/* uv_after_work_cb: back on the loop thread with j's results. */
static void
after_work(uv_work_t *w, int status)
{
	struct job *j = w->data;
	struct trash *t = &j->r.d->trash;

	if (status < 0)
		set_error(j, ECANCELED, "job", "cancelled");
	/* The paths are gone: out of the index, watches and all, first. */
	refresh_and_announce(j);
	log_done(j);
	/*
	 * A removal on a root's filesystem: no fill rate spans it, and one
	 * deleted in place (no trash there) freed its space already.
	 */
	for (int i = 0; i < JOB_PARTS; i++) {
		struct disk *dk = &j->r.d->disk;
		int f = disk_of_role(dk, i < KIND_COUNT ? DISK_ROLE_KIND(i) :
		    DISK_ROLE_CAT(i - KIND_COUNT));
		if (j->took[i] && f >= 0)
			disk_removed(dk, disk_get(dk, (size_t)f)->dev);
	}
	if (j->type == JOB_CYCLE_DIR && j->err == 0)
		job_cycle_dir_given(&j->r, j->kind, j->cycle,
		    j->dataset, j->path, j->created, 0);
	/* pending starts at one, for this function: no early reply. */
	j->pending = 1;
	for (size_t i = 0; i < j->nmoved; i++) {
		/* on_freed comes later, from the loop (trash.h). */
		if (trash_put(t, j->moved[i].which, j->moved[i].name,
		    j->moved[i].bytes, j->wait ? on_freed : NULL, j) == 0)
			j->pending += j->wait;
		else if (j->wait)
			set_error(j, ENOMEM, "queue for deletion",
			    j->moved[i].name);
	}
	trash_release(t);	/* held since job_start */
	on_freed(j, NULL);
}

/*
 * The cycle directories under kind's prediction root, as the index
 * holds them now: inotify may take them out before the job's loop half
 * runs. Without memory the list is short, and so are the events.
 */
static void
list_cycles(struct job *j, int kind)
{
	const struct watch *w = &j->r.d->watch;
	const struct index *ix = &w->ix;
	uint32_t root = watch_find(w, j->r.d->cfg.layout.pred_root[kind]);
	long c;

	if (root == IX_NIL || !(index_node(ix, root)->flags & IX_DIR))
		return;
	IX_FOREACH(ix, index_dir(ix, root)->dirs, id) {
		if (layout_parse_cycle(index_name(ix, id), &c) == -1 ||
		    array_grow((void **)&j->cycles, &j->capcycles,
		    j->ncycles + 1, sizeof(*j->cycles)) == -1)
			continue;
		j->cycles[j->ncycles++] = (struct job_cycle){ kind, c,
		    index_dir(ix, id)->bytes };
	}
}

int
job_start(struct job *j)
{
	int r;

	/* Emptying a prediction root takes every cycle in it. */
	if (j->type == JOB_CLEANUP_GENERATED || (j->type == JOB_CLEAN &&
	    j->dataset[0] == '\0' && (j->targets & (1u << CAT_GENERATED))))
		for (int k = 0; k < KIND_COUNT; k++)
			list_cycles(j, k);
	j->work.data = j;
	/* on_work may use the trash's descriptors: they stay open. */
	trash_hold(&j->r.d->trash);
	if ((r = uv_queue_work(j->r.d->loop, &j->work, on_work,
	    after_work)) < 0) {
		log_warnx("job_start: uv_queue_work: %s", uv_strerror(r));
		trash_release(&j->r.d->trash);
		return -1;
	}
	conn_work_begin(j->r.conn);	/* a slot, and a reference */
	stats_job(&j->r.d->stats, j->r.method);
	return 0;
}
