/*
 * rpc_cache.c: the methods on the cache tree. get-cycle-dir,
 * cleanup-cycle, cleanup-generated and clean become jobs (job.h) on
 * the thread pool, answered by answer_job when they end; a cycle
 * directory the index knows is there is answered at once, and so is
 * disk-check, from the disk monitor's figures. prune plans on the loop
 * and lets the policy remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rpc_int.h"

/* get-cycle-dir's result, from its job or from the index. */
static void
pack_cycle_dir(struct reply *r, const char *path, bool created)
{
	struct rpc_container m;

	rpc_map_begin(&m, reply_result(r));
	rpc_kv_str(&m, "path", path);
	rpc_kv_bool(&m, "created", created);
	rpc_map_end(&m);
}

/* The reply to a job that ended: its error, or its result. */
void
answer_job(const struct job *j)
{
	struct reply r = j->r;
	struct rpc_container m, a;
	char path[PATH_MAX];

	if (j->err != 0) {
		reply_error(&r, errno_code(j->err), "%s", j->errmsg);
		return;
	}
	if (j->type == JOB_CYCLE_DIR) {
		pack_cycle_dir(&r, j->path, j->created);
		stats_latency(&r.d->stats, r.method, uv_hrtime() - r.t0);
		return;
	}
	rpc_map_begin(&m, reply_result(&r));
	switch (j->type) {
	case JOB_CYCLE_DIR:		/* packed above; here for -Wswitch */
		break;
	case JOB_CLEANUP_CYCLE:
		rpc_kv_u64(&m, "freed_bytes", j->freed);
		/* A trainer may still write there: it proceeds, says so. */
		rpc_kv_bool(&m, "leased", j->leased);
		rpc_map_key(&m, "removed");
		rpc_array_begin(&a, m.pk);
		for (int k = 0; k < KIND_COUNT; k++)
			if (j->took[k] && layout_cycle_dir(&r.d->cfg.layout, k,
			    j->cycle, NULL, path, sizeof(path)) == 0) {
				rpc_array_next(&a);
				rpc_pack_cstr(m.pk, path);
			}
		rpc_array_end(&a);
		break;
	case JOB_CLEANUP_GENERATED:
		rpc_kv_u64(&m, "freed_bytes", j->freed);
		break;
	case JOB_CLEAN:
		rpc_kv_u64(&m, "freed_bytes", j->freed);
		rpc_map_key(&m, "removed");
		msgpack_pack_array(m.pk, j->ntaken);
		for (size_t i = 0; i < j->ntaken; i++)
			rpc_pack_cstr(m.pk, j->taken[i]);
		break;
	}
	rpc_map_end(&m);
	stats_latency(&r.d->stats, r.method, uv_hrtime() - r.t0);
}

/* -- methods ------------------------------------------------------------ */

/*
 * Whether path is a directory, by an index that holds every change:
 * the kernel's queued events applied first, nothing being scanned, no
 * part of the tree unwatched. The start-up scan knows nothing yet.
 *
 * TODO: a removal job of this daemon's own (cleanup-cycle, prune) may
 * be renaming path into the trash on the pool right now; the index
 * learns it only in the job's after_work. The job path has the same
 * race, in a shorter window (its mkdir finds the directory, then the
 * rename takes it). Closing it means asking the trash whether a
 * removal of path is in flight.
 */
static bool
known_dir(const struct reply *r, const char *path)
{
	struct watch *w = &r->d->watch;
	uint32_t n;

	if (!w->ready || !watch_sync_exact(w, r->round))
		return false;
	n = watch_find(w, path);
	return n != IX_NIL && (index_node(&w->ix, n)->flags & IX_DIR);
}

void
m_get_cycle_dir(struct reply *r, const msgpack_object_map *args)
{
	struct hycod *d = r->d;
	struct job *j;
	int kind;
	long cycle;
	char ds[HYCO_DATASET_MAX + 1], why[PATH_MAX + 128], path[PATH_MAX];

	if (arg_kind(r, args, true, false, &kind) == -1 ||
	    arg_cycle(r, args, &cycle) == -1 || arg_dataset(r, args, ds) == -1)
		return;
	if (layout_cycle_dir(&d->cfg.layout, kind, cycle, ds, path,
	    sizeof(path)) == -1) {
		reply_error(r, RPC_EINVAL, "cycle directory path is too long");
		return;
	}
	/*
	 * There already: what the job would do, without the pool. Its
	 * mkdir would find the directory (EEXIST) and open it without
	 * following a link, which the index says it is not; its loop
	 * half would find the index as it is.
	 */
	if (known_dir(r, path)) {
		/* Answered now: as of its start, microseconds before. */
		job_cycle_dir_given(r, kind, cycle, ds, path, false, r->t0);
		pack_cycle_dir(r, path, false);
		return;
	}
	if ((j = new_job(r, JOB_CYCLE_DIR)) == NULL)
		return;
	j->kind = kind;
	j->cycle = cycle;
	strcpy(j->dataset, ds);
	strcpy(j->path, path);
	/*
	 * A new directory below refuse_below would let a trainer fill it.
	 * Whether it is new: the index says, or during the start-up scan
	 * (the index knows nothing yet) the filesystem.
	 */
	if ((r->d->watch.ready ? watch_find(&r->d->watch, j->path) == IX_NIL :
	    faccessat(AT_FDCWD, j->path, F_OK, AT_SYMLINK_NOFOLLOW) == -1) &&
	    policy_refuse(&r->d->policy, kind, why, sizeof(why))) {
		reply_error(r, RPC_ENOSPC, "not creating %s: %s", j->path, why);
		job_free(j);
		return;
	}
	start_job(j);
}

void
m_cleanup_cycle(struct reply *r, const msgpack_object_map *args)
{
	struct job *j;
	int kind = KIND_ALL;
	long cycle;
	bool wait;

	if (arg_cycle(r, args, &cycle) == -1 ||
	    arg_kind(r, args, false, true, &kind) == -1)
		return;
	if (arg_wait(r, args, &wait) == -1 ||
	    (j = new_job(r, JOB_CLEANUP_CYCLE)) == NULL)
		return;
	j->kind = kind;
	j->cycle = cycle;
	j->wait = wait;
	/* During the start-up scan the index holds no bytes: count them. */
	j->measure = !r->d->watch.ready;
	for (int k = 0; k < KIND_COUNT; k++) {
		char path[PATH_MAX];
		if (kind != KIND_ALL && kind != k)
			continue;
		j->leased |= policy_leased(&r->d->policy, k, cycle);
		if (layout_cycle_dir(&r->d->cfg.layout, k, cycle, NULL, path,
		    sizeof(path)) == 0)
			j->held[k] = watch_bytes(&r->d->watch, path);
	}
	j->seq = trash_reserve(&r->d->trash);
	start_job(j);
}

void
m_cleanup_generated(struct reply *r, const msgpack_object_map *args)
{
	struct job *j;
	bool wait;

	if (arg_wait(r, args, &wait) == -1)
		return;
	if (!r->d->watch.ready) {
		park(r);
		return;
	}
	if ((j = new_job(r, JOB_CLEANUP_GENERATED)) == NULL)
		return;
	j->wait = wait;
	for (int k = 0; k < KIND_COUNT; k++)
		j->held[k] = watch_bytes(&r->d->watch,
		    r->d->cfg.layout.pred_root[k]);
	j->seq = trash_reserve(&r->d->trash);
	start_job(j);
}

/* Bytes the index holds for what clean will take, by part (job.h). */
static void
clean_held(struct job *j, const struct hycod *d, const char *ds)
{
	const struct layout *l = &d->cfg.layout;
	const struct index *ix = &d->watch.ix;
	char path[PATH_MAX * 2];

	for (int c = 0; c < CAT_COUNT; c++) {
		if (!(j->targets & (1u << c)) || c == CAT_GENERATED)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", l->roots[c],
		    ds ? "/" : "", ds ? ds : "");
		j->held[JOB_PART_CAT(c)] = watch_bytes(&d->watch, path);
	}
	for (int k = 0; k < KIND_COUNT && (j->targets & (1u << CAT_GENERATED));
	    k++) {
		uint32_t root = watch_find(&d->watch, l->pred_root[k]);
		if (ds == NULL) {
			j->held[k] = watch_bytes(&d->watch, l->pred_root[k]);
			continue;
		}
		if (root == IX_NIL || !(index_node(ix, root)->flags & IX_DIR))
			continue;
		IX_FOREACH(ix, index_dir(ix, root)->dirs, id) {
			uint32_t n = index_lookup(ix, id, ds, strlen(ds));
			if (n != IX_NIL && (index_node(ix, n)->flags & IX_DIR))
				j->held[k] += index_dir(ix, n)->bytes;
		}
	}
}

/*
 * clean: the tensor and eval caches are expensive to rebuild, so their
 * removal (like any clean) needs confirm: true.
 */
void
m_clean(struct reply *r, const msgpack_object_map *args)
{
	static const char *const names[] = { "tensors", "eval", "generated",
	    "all" };
	const msgpack_object *t = rpc_args_get(args, "target");
	const msgpack_object *cf = rpc_args_get(args, "confirm");
	unsigned targets = 0;
	char ds[HYCO_DATASET_MAX + 1] = "";
	struct job *j;
	bool wait;

	for (int i = 0; t != NULL && t->type == MSGPACK_OBJECT_STR && i < 4;
	    i++)
		if (strlen(names[i]) == t->via.str.size &&
		    memcmp(names[i], t->via.str.ptr, t->via.str.size) == 0)
			targets = i == 3 ? (1u << CAT_COUNT) - 1 :
			    1u << (i == 0 ? CAT_TENSORS : i == 1 ? CAT_EVAL :
			    CAT_GENERATED);
	if (targets == 0) {
		reply_error(r, RPC_EINVAL, "target must be \"tensors\", "
		    "\"eval\", \"generated\" or \"all\"");
		return;
	}
	if (rpc_args_get(args, "dataset") != NULL &&
	    arg_dataset(r, args, ds) == -1)
		return;
	if (cf == NULL || cf->type != MSGPACK_OBJECT_BOOLEAN ||
	    !cf->via.boolean) {
		reply_error(r, RPC_EINVAL, "clean removes cached data that may "
		    "take long to rebuild: send confirm: true");
		return;
	}
	if (arg_wait(r, args, &wait) == -1)
		return;
	if (!r->d->watch.ready) {
		park(r);
		return;
	}
	if ((j = new_job(r, JOB_CLEAN)) == NULL)
		return;
	j->targets = targets;
	j->wait = wait;
	strcpy(j->dataset, ds);
	clean_held(j, r->d, ds[0] ? ds : NULL);
	j->seq = trash_reserve(&r->d->trash);
	start_job(j);
}

/* What policy removes now and why; with dry_run only says so. */
void
m_prune(struct reply *r, const msgpack_object_map *args)
{
	const msgpack_object *o = rpc_args_get(args, "dry_run");
	struct policy *p = &r->d->policy;
	struct policy_plan plan = { 0 };
	struct rpc_container m, item;
	bool dry = false;
	int rc;

	if (o != NULL && o->type != MSGPACK_OBJECT_BOOLEAN) {
		reply_error(r, RPC_EINVAL, "dry_run must be true or false");
		return;
	}
	dry = o != NULL && o->via.boolean;
	if (!r->d->watch.ready) {
		park(r);
		return;
	}
	watch_sync(&r->d->watch);
	if ((rc = policy_plan(p, &plan)) < 0) {
		reply_error(r, errno_code(-rc), "statvfs %s: %s",
		    r->d->cfg.layout.cache_root, strerror(-rc));
		return;
	}
	rpc_map_begin(&m, reply_result(r));
	rpc_kv_bool(&m, "dry_run", dry);
	rpc_kv_bool(&m, "exact", watch_exact(&r->d->watch));
	rpc_map_key(&m, "items");
	msgpack_pack_array(m.pk, plan.n);
	for (size_t i = 0; i < plan.n; i++) {
		const struct policy_item *it = &plan.v[i];
		rpc_map_begin(&item, m.pk);
		rpc_kv_str(&item, "path", it->path);
		rpc_kv_u64(&item, "bytes", it->bytes);
		rpc_kv_u64(&item, "files", it->files);
		rpc_kv_bool(&item, "remove", !it->skipped);
		rpc_kv_str(&item, "why", it->why);
		rpc_map_end(&item);
	}
	rpc_map_end(&m);
	policy_plan_free(&plan);
	if (!dry)
		policy_run_now(p);
}

/* From the disk monitor: figures at most DISK_SUMMARY_MAX_AGE_MS old. */
void
m_disk_check(struct reply *r, const msgpack_object_map *args)
{
	const msgpack_object *b = rpc_args_get(args, "required_bytes");
	const msgpack_object *g = rpc_args_get(args, "required_gb");
	const struct disk_fs *fs;
	struct rpc_container m;
	int64_t v;
	double gb;

	if ((b == NULL) == (g == NULL)) {
		reply_error(r, RPC_EINVAL, "give exactly one of required_bytes "
		    "and required_gb");
		return;
	}
	if (b != NULL && (rpc_obj_int(b, &v) == -1 || v < 0)) {
		reply_error(r, RPC_EINVAL, "required_bytes must be an integer "
		    ">= 0");
		return;
	}
	if (g != NULL) {
		if (rpc_obj_number(g, &gb) == -1 || !isfinite(gb) || gb < 0 ||
		    gb * 1e9 >= 9.2e18) {
			reply_error(r, RPC_EINVAL, "required_gb must be a "
			    "number from 0 to 9.2e9");
			return;
		}
		/* 1 GB = 1e9 bytes, as the seed's check_disk_space(). */
		v = (int64_t)ceil(gb * 1e9);
	}
	if ((fs = root_disk(r, false)) == NULL)
		return;
	rpc_map_begin(&m, reply_result(r));
	rpc_kv_bool(&m, "ok", fs->du.avail_bytes >= (uint64_t)v);
	rpc_kv_u64(&m, "available_bytes", fs->du.avail_bytes);
	rpc_kv_u64(&m, "required_bytes", (uint64_t)v);
	rpc_kv_str(&m, "path", r->d->cfg.layout.cache_root);
	rpc_map_end(&m);
}
