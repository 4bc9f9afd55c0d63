/*
 * rpc.c: the method table, argument checks, method handlers and the
 * packing of every reply. Filesystem methods become jobs (job.h),
 * answered here by answer_job when they end.
 */
#include "rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "early.h"
#include "frame.h"
#include "config_rpc.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "tally.h"

/* -- replies ------------------------------------------------------------ */

/* Packer for a result; a notification's is packed, then dropped. */
static msgpack_packer *
reply_result(struct reply *r)
{
	static msgpack_packer notify_pk;	/* loop thread only */
	msgpack_packer *pk;

	r->packed = true;
	if (r->notify) {
		msgpack_sbuffer_clear(&r->d->notify_out);
		msgpack_packer_init(&notify_pk, &r->d->notify_out,
		    msgpack_sbuffer_write);
		return &notify_pk;
	}
	pk = conn_packer(r->conn);
	rpc_pack_result(pk, r->msgid);
	return pk;
}

static void
reply_error(struct reply *r, enum rpc_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply_error(struct reply *r, enum rpc_error code, const char *fmt, ...)
{
	char msg[JOB_ERRMSG_MAX];
	va_list ap;

	r->d->rpc.errors[code]++;
	stats_error(&r->d->stats, r->method, code);
	if (!r->notify) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		rpc_pack_error(conn_packer(r->conn), r->msgid, code, msg);
	}
	if (r->t0 != 0)
		stats_latency(&r->d->stats, r->method, uv_hrtime() - r->t0);
}

/* Out of memory, or work the thread pool refused, is the daemon's own. */
static enum rpc_error
errno_code(int err)
{
	if (err == ENOMEM)
		return RPC_EINTERNAL;
	return err == ENOSPC || err == EDQUOT ? RPC_ENOSPC : RPC_EIO;
}

/* One pair of a map being packed (rpc_map_begin), counted as it goes. */
static void
kv_u64(struct rpc_container *m, const char *key, uint64_t v)
{
	rpc_map_key(m, key);
	msgpack_pack_uint64(m->pk, v);
}

static void
kv_str(struct rpc_container *m, const char *key, const char *v)
{
	rpc_map_key(m, key);
	rpc_pack_cstr(m->pk, v);
}

static void
kv_bool(struct rpc_container *m, const char *key, bool v)
{
	rpc_map_key(m, key);
	v ? msgpack_pack_true(m->pk) : msgpack_pack_false(m->pk);
}

static void
kv_double(struct rpc_container *m, const char *key, double v)
{
	rpc_map_key(m, key);
	msgpack_pack_double(m->pk, v);
}

/* -- arguments ---------------------------------------------------------- */

static int
arg_cycle(struct reply *r, const msgpack_object_map *args, long *cycle)
{
	const msgpack_object *o = rpc_args_get(args, "cycle");
	int64_t v;

	if (o == NULL) {
		reply_error(r, RPC_EINVAL, "cycle is required");
		return -1;
	}
	if (rpc_obj_int(o, &v) == -1 || v < 0 || v > HYCO_CYCLE_MAX) {
		reply_error(r, RPC_EINVAL, "cycle must be an integer from 0 "
		    "to %ld", HYCO_CYCLE_MAX);
		return -1;
	}
	*cycle = (long)v;
	return 0;
}

static int
arg_kind(struct reply *r, const msgpack_object_map *args, bool required,
    bool allow_all, int *kind)
{
	const msgpack_object *o = rpc_args_get(args, "kind");

	if (o == NULL) {
		if (!required)
			return 0;
		reply_error(r, RPC_EINVAL, "kind is required");
		return -1;
	}
	if (o->type != MSGPACK_OBJECT_STR ||
	    (*kind = layout_parse_kind(o->via.str.ptr, o->via.str.size,
	    allow_all)) == -1) {
		reply_error(r, RPC_EINVAL, "kind must be \"synthetic\"%s",
		    allow_all ? ", \"physical\" or \"all\"" : " or \"physical\"");
		return -1;
	}
	return 0;
}

static int
arg_dataset(struct reply *r, const msgpack_object_map *args, char *out)
{
	const msgpack_object *o = rpc_args_get(args, "dataset");
	const char *why;

	if (o == NULL) {
		strcpy(out, r->d->cfg.layout.default_dataset);
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_STR) {
		reply_error(r, RPC_EINVAL, "dataset must be a string");
		return -1;
	}
	if (!layout_valid_dataset(o->via.str.ptr, o->via.str.size, &why)) {
		reply_error(r, RPC_EINVAL, "%s", why);
		return -1;
	}
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

static int
arg_wait(struct reply *r, const msgpack_object_map *args, bool *wait)
{
	const msgpack_object *o = rpc_args_get(args, "wait");

	*wait = false;
	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_BOOLEAN) {
		reply_error(r, RPC_EINVAL, "wait must be true or false");
		return -1;
	}
	*wait = o->via.boolean;
	return 0;
}

/* -- jobs --------------------------------------------------------------- */

static void answer_job(const struct job *j);

static struct job *
new_job(struct reply *r, enum job_type type)
{
	struct job *j = job_new(r, type, answer_job);

	if (j == NULL)
		reply_error(r, RPC_EINTERNAL, "out of memory");
	return j;
}

/* Run j; when it cannot run, answer and drop it now. */
static void
start_job(struct job *j)
{
	if (job_start(j) == -1) {
		reply_error(&j->r, RPC_EINTERNAL, "cannot queue work");
		job_free(j);
	}
}

/*
 * A request whose answer is made of the index, during the start-up
 * scan: answered once the scan is in (rpc_scan_ready); refused now when
 * too many wait already.
 */
static void
park(struct reply *r)
{
	if (early_park(&r->d->early, r->conn, r->msg) == -1)
		reply_error(r, RPC_EINTERNAL, "too many requests wait for the "
		    "start-up scan (at most %d); ask again", EARLY_MAX);
}

/* -- results ------------------------------------------------------------ */

#define RESCANNING_MAX	16

/* Index health: whether the figures are exact, and why not. */
static void
pack_index(struct rpc_container *m, const struct watch *w)
{
	const char *paths[RESCANNING_MAX];
	size_t n = watch_rescanning(w, paths, RESCANNING_MAX);

	kv_bool(m, "exact", watch_exact(w));
	kv_u64(m, "watched_dirs", w->ix.watched);
	kv_u64(m, "unwatched_dirs", w->ix.unwatched);
	kv_u64(m, "tracked_files", w->ix.files);
	kv_u64(m, "index_bytes", index_memory(&w->ix));
	kv_double(m, "last_rescan", w->stats.last_rescan);
	kv_u64(m, "overflows", w->stats.overflows);
	kv_u64(m, "rescans", w->stats.rescans);
	kv_u64(m, "events", w->stats.events);
	kv_u64(m, "reconciled", w->stats.reconciled);
	kv_u64(m, "arrivals", w->stats.arrivals);
	kv_u64(m, "scan_errors", w->stats.scan_errors);
	kv_double(m, "last_scan_s", w->stats.last_scan_s);
	rpc_map_key(m, "rescanning");
	msgpack_pack_array(m->pk, n);
	for (size_t i = 0; i < n; i++)
		rpc_pack_cstr(m->pk, paths[i]);
}

/* Removals: waiting in the trash, freed, and what policy took. */
static void
pack_removals(struct rpc_container *m, const struct trash *t,
    const struct policy *p)
{
	kv_u64(m, "trash_bytes", t->bytes);
	kv_u64(m, "trash_items", t->items);
	kv_u64(m, "trash_freed_bytes", t->freed_bytes);
	kv_u64(m, "pruned_bytes", p->stats.pruned_bytes);
	kv_u64(m, "pruned_cycles", p->stats.pruned_cycles);
	kv_u64(m, "pruned_datasets", p->stats.pruned_datasets);
	kv_u64(m, "refused", p->stats.refused);
	kv_u64(m, "prune_passes", p->stats.passes);
	kv_u64(m, "idle_passes", p->stats.idle_passes);
	kv_bool(m, "pruning", p->running);
	kv_u64(m, "asked", p->asked.n);
	kv_u64(m, "asked_forgotten", p->asked.forgotten);
}

/* The socket and the requests on it, since start. */
static void
pack_traffic(struct rpc_container *m, const struct server_stats *ss,
    const struct rpc_stats *rs)
{
	struct rpc_container e;

	kv_u64(m, "connections", ss->active);
	kv_u64(m, "connections_accepted", ss->accepted);
	kv_u64(m, "refused_max_clients", ss->refused_max_clients);
	kv_u64(m, "messages", ss->messages);
	kv_u64(m, "closed_too_large", ss->closed_too_large);
	kv_u64(m, "closed_bad_input", ss->closed_bad_input);
	kv_u64(m, "paused_reads", ss->paused_reads);
	kv_u64(m, "closed_too_deep", ss->closed_too_deep);
	kv_u64(m, "frame_steps", ss->frame_steps);
	kv_u64(m, "jobs", ss->work);
	kv_u64(m, "paused_max_jobs_per_client", ss->paused_work_per_conn);
	kv_u64(m, "paused_max_jobs", ss->paused_work);
	kv_u64(m, "requests", rs->requests);
	rpc_map_key(m, "errors");
	rpc_map_begin(&e, m->pk);
	for (int code = RPC_OK + 1; code < RPC_ERROR_COUNT; code++)
		kv_u64(&e, rpc_error_codes[code], rs->errors[code]);
	rpc_map_end(&e);
}

/* Each filesystem of the tree, its level, and the alerts' counters. */
static void
pack_filesystems(struct rpc_container *m, const struct disk *dk)
{
	struct rpc_container fs, roots, a;
	struct alert_stats as;

	rpc_map_key(m, "filesystems");
	msgpack_pack_array(m->pk, disk_count(dk));
	for (size_t i = 0; i < disk_count(dk); i++) {
		const struct disk_fs *f = disk_get(dk, i);
		rpc_map_begin(&fs, m->pk);
		kv_str(&fs, "path", f->path);
		kv_str(&fs, "mount", f->mount);
		kv_str(&fs, "fstype", f->fstype);
		kv_str(&fs, "source", f->source);
		kv_str(&fs, "device", f->device);
		rpc_map_key(&fs, "roots");
		rpc_array_begin(&roots, m->pk);
		for (int r = 0; r < DISK_ROLES; r++)
			if (f->roots & (1u << r)) {
				rpc_array_next(&roots);
				rpc_pack_cstr(m->pk, disk_role_names[r]);
			}
		rpc_array_end(&roots);
		kv_u64(&fs, "free_bytes", f->du.avail_bytes);
		kv_u64(&fs, "total_bytes", f->du.total_bytes);
		kv_u64(&fs, "free_inodes", f->du.avail_inodes);
		kv_u64(&fs, "total_inodes", f->du.total_inodes);
		kv_str(&fs, "level", disk_level_names[f->level]);
		kv_str(&fs, "reason", f->reason);
		rpc_map_key(&fs, "time_to_full_s");
		if (f->time_to_full_s >= 0)
			msgpack_pack_double(m->pk, f->time_to_full_s);
		else
			msgpack_pack_nil(m->pk);
		kv_double(&fs, "fill_bytes_per_s", f->fill_rate);
		kv_u64(&fs, "warn_below_bytes", f->warn_bytes);
		kv_u64(&fs, "critical_below_bytes", f->critical_bytes);
		kv_u64(&fs, "warn_below_inodes", f->warn_inodes);
		kv_u64(&fs, "critical_below_inodes", f->critical_inodes);
		kv_double(&fs, "sampled_at", f->sampled_at);
		kv_str(&fs, "error", f->error ? strerror(f->error) : "");
		rpc_map_end(&fs);
	}
	kv_str(m, "alert_level", disk_level_names[disk_worst(dk)]);
	disk_alert_stats(dk, &as);
	rpc_map_key(m, "alerts");
	rpc_map_begin(&a, m->pk);
	kv_u64(&a, "transitions", dk->stats.transitions);
	kv_u64(&a, "samples", dk->stats.samples);
	kv_u64(&a, "sample_errors", dk->stats.sample_errors);
	kv_u64(&a, "hook_runs", as.runs);
	kv_u64(&a, "hook_failures", as.failures);
	kv_u64(&a, "hook_timeouts", as.timeouts);
	kv_u64(&a, "hook_coalesced", as.coalesced);
	rpc_map_end(&a);
}

static void
pack_summary(msgpack_packer *pk, const struct tally *t,
    const struct disk_usage *du, const struct hycod *d)
{
	struct rpc_container m, sub;
	uint64_t total = 0, files = 0;

	for (int c = 0; c < CAT_COUNT; c++) {
		total += t->bytes[c];
		files += t->files[c];
	}
	rpc_map_begin(&m, pk);
	for (int c = 0; c < CAT_COUNT; c++)
		kv_u64(&m, layout_category_names[c], t->bytes[c]);
	kv_u64(&m, "total", total);
	kv_u64(&m, "files", files);
	rpc_map_key(&m, "datasets");
	msgpack_pack_map(pk, t->nds);
	for (size_t i = 0; i < t->nds; i++) {
		rpc_pack_cstr(pk, t->ds[i].name);
		rpc_map_begin(&sub, pk);
		for (int c = 0; c < CAT_COUNT; c++)
			kv_u64(&sub, layout_category_names[c],
			    t->ds[i].bytes[c]);
		rpc_map_end(&sub);
	}
	rpc_map_key(&m, "cycles");
	msgpack_pack_array(pk, t->ncy);
	for (size_t i = 0; i < t->ncy; i++) {
		rpc_map_begin(&sub, pk);
		kv_str(&sub, "kind", layout_kind_names[t->cy[i].kind]);
		rpc_map_key(&sub, "cycle");
		msgpack_pack_long(pk, t->cy[i].cycle);
		kv_u64(&sub, "bytes", t->cy[i].bytes);
		kv_u64(&sub, "files", t->cy[i].files);
		rpc_map_end(&sub);
	}
	rpc_map_key(&m, "disk");
	rpc_map_begin(&sub, pk);
	kv_u64(&sub, "free_bytes", du->avail_bytes);
	kv_u64(&sub, "total_bytes", du->total_bytes);
	kv_str(&sub, "path", d->cfg.layout.cache_root);
	rpc_map_end(&sub);
	pack_index(&m, &d->watch);
	pack_removals(&m, &d->trash, &d->policy);
	pack_traffic(&m, &d->server.stats, &d->rpc);
	pack_filesystems(&m, &d->disk);
	/* The start-up scan runs: the figures above are partial. */
	kv_bool(&m, "scanning", !d->watch.ready);
	rpc_map_end(&m);
}

/* The reply to a job that ended: its error, or its result. */
static void
answer_job(const struct job *j)
{
	struct reply r = j->r;
	struct rpc_container m, a;
	char path[PATH_MAX];

	if (j->err != 0) {
		reply_error(&r, errno_code(j->err), "%s", j->errmsg);
		return;
	}
	rpc_map_begin(&m, reply_result(&r));
	switch (j->type) {
	case JOB_CYCLE_DIR:
		kv_str(&m, "path", j->path);
		kv_bool(&m, "created", j->created);
		break;
	case JOB_CLEANUP_CYCLE:
		kv_u64(&m, "freed_bytes", j->freed);
		/* A trainer may still write there: it proceeds, says so. */
		kv_bool(&m, "leased", j->leased);
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
		kv_u64(&m, "freed_bytes", j->freed);
		break;
	case JOB_CLEAN:
		kv_u64(&m, "freed_bytes", j->freed);
		rpc_map_key(&m, "removed");
		msgpack_pack_array(m.pk, j->ntaken);
		for (size_t i = 0; i < j->ntaken; i++)
			rpc_pack_cstr(m.pk, j->taken[i]);
		break;
	case JOB_DISK_CHECK:
		kv_bool(&m, "ok", j->du.avail_bytes >= j->required);
		kv_u64(&m, "available_bytes", j->du.avail_bytes);
		kv_u64(&m, "required_bytes", j->required);
		kv_str(&m, "path", r.d->cfg.layout.cache_root);
		break;
	}
	rpc_map_end(&m);
	stats_latency(&r.d->stats, r.method, uv_hrtime() - r.t0);
}

/* -- methods ------------------------------------------------------------ */

static void
m_ping(struct reply *r, const msgpack_object_map *args)
{
	struct hycod *d = r->d;
	struct rpc_container m;

	(void)args;
	rpc_map_begin(&m, reply_result(r));
	kv_str(&m, "version", HYCO_VERSION);
	rpc_map_key(&m, "pid");
	msgpack_pack_int(m.pk, (int)getpid());
	kv_double(&m, "uptime_s", (double)(uv_hrtime() - d->start_ns) / 1e9);
	kv_u64(&m, "connections", d->server.stats.active);
	kv_u64(&m, "requests", d->rpc.requests);
	kv_str(&m, "cache_root", d->cfg.layout.cache_root);
	rpc_map_end(&m);
}

static void
m_get_cycle_dir(struct reply *r, const msgpack_object_map *args)
{
	struct job *j;
	int kind;
	long cycle;
	char ds[HYCO_DATASET_MAX + 1], why[PATH_MAX + 128];

	if (arg_kind(r, args, true, false, &kind) == -1 ||
	    arg_cycle(r, args, &cycle) == -1 || arg_dataset(r, args, ds) == -1)
		return;
	if ((j = new_job(r, JOB_CYCLE_DIR)) == NULL)
		return;
	j->kind = kind;
	j->cycle = cycle;
	strcpy(j->dataset, ds);
	if (layout_cycle_dir(&r->d->cfg.layout, kind, cycle, ds, j->path,
	    sizeof(j->path)) == -1) {
		reply_error(r, RPC_EINVAL, "cycle directory path is too long");
		job_free(j);
		return;
	}
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

static void
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

static void
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
static void
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
static void
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
	kv_bool(&m, "dry_run", dry);
	kv_bool(&m, "exact", watch_exact(&r->d->watch));
	rpc_map_key(&m, "items");
	msgpack_pack_array(m.pk, plan.n);
	for (size_t i = 0; i < plan.n; i++) {
		const struct policy_item *it = &plan.v[i];
		rpc_map_begin(&item, m.pk);
		kv_str(&item, "path", it->path);
		kv_u64(&item, "bytes", it->bytes);
		kv_u64(&item, "files", it->files);
		kv_bool(&item, "remove", !it->skipped);
		kv_str(&item, "why", it->why);
		rpc_map_end(&item);
	}
	rpc_map_end(&m);
	policy_plan_free(&plan);
	if (!dry)
		policy_run_now(p);
}

/*
 * O(datasets + cycles) off the index, answered at once; during the
 * start-up scan once it is in, or with wait: false at once with what
 * is known (exact false, scanning true).
 */
static void
m_summary(struct reply *r, const msgpack_object_map *args)
{
	const msgpack_object *o = rpc_args_get(args, "wait");
	struct hycod *d = r->d;
	struct tally t = { 0 };
	const struct disk_fs *fs;
	int f;

	if (o != NULL && o->type != MSGPACK_OBJECT_BOOLEAN) {
		reply_error(r, RPC_EINVAL, "wait must be true or false");
		return;
	}
	if (!d->watch.ready && (o == NULL || o->via.boolean)) {
		park(r);
		return;
	}
	watch_sync(&d->watch);
	if (watch_tally(&d->watch, &t) == -1) {
		reply_error(r, RPC_EINTERNAL, "out of memory");
		tally_free(&t);
		return;
	}
	/* Figures at most DISK_SUMMARY_MAX_AGE_MS old (disk.h). */
	disk_refresh(&d->disk, DISK_SUMMARY_MAX_AGE_MS);
	f = disk_of_role(&d->disk, DISK_ROLE_CACHE_ROOT);
	fs = f < 0 ? NULL : disk_get(&d->disk, (size_t)f);
	if (fs == NULL || fs->error != 0) {
		int err = fs == NULL ? ENOENT : fs->error;
		reply_error(r, errno_code(err), "statvfs %s: %s",
		    d->cfg.layout.cache_root, strerror(err));
		tally_free(&t);
		return;
	}
	pack_summary(reply_result(r), &t, &fs->du, d);
	tally_free(&t);
}

static void
m_disk_check(struct reply *r, const msgpack_object_map *args)
{
	const msgpack_object *b = rpc_args_get(args, "required_bytes");
	const msgpack_object *g = rpc_args_get(args, "required_gb");
	struct job *j;
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
	if ((j = new_job(r, JOB_DISK_CHECK)) == NULL)
		return;
	j->required = (uint64_t)v;
	start_job(j);
}

/* This connection receives events from now on (events.h). */
static void
m_subscribe(struct reply *r, const msgpack_object_map *args)
{
	struct events *ev = &r->d->events;
	struct rpc_container m, a;
	unsigned mask;
	char why[256];

	if (events_parse_types(rpc_args_get(args, "events"), &mask, why,
	    sizeof(why)) == -1) {
		reply_error(r, RPC_EINVAL, "%s", why);
		return;
	}
	if (events_subscribe(ev, r->conn, mask) == -1) {
		reply_error(r, RPC_EINTERNAL, "out of memory");
		return;
	}
	/* The reply is queued before any event: events come after it. */
	rpc_map_begin(&m, reply_result(r));
	rpc_map_key(&m, "events");
	rpc_array_begin(&a, m.pk);
	for (int t = 0; t < EV_COUNT; t++)
		if (mask & (1u << t)) {
			rpc_array_next(&a);
			rpc_pack_cstr(m.pk, events_type_names[t]);
		}
	rpc_array_end(&a);
	kv_u64(&m, "max_queued_bytes", ev->max_queued);
	rpc_map_end(&m);
}

static void
m_unsubscribe(struct reply *r, const msgpack_object_map *args)
{
	struct rpc_container m;
	bool was = events_unsubscribe(&r->d->events, r->conn);

	(void)args;
	rpc_map_begin(&m, reply_result(r));
	kv_bool(&m, "was_subscribed", was);
	rpc_map_end(&m);
}

/* Per method and per dataset, since start (stats.h). */
static void
m_stats(struct reply *r, const msgpack_object_map *args)
{
	struct hycod *d = r->d;
	struct tally t = { 0 };
	struct rpc_container m;

	(void)args;
	watch_sync(&d->watch);
	if (watch_tally(&d->watch, &t) == -1) {
		reply_error(r, RPC_EINTERNAL, "out of memory");
		tally_free(&t);
		return;
	}
	rpc_map_begin(&m, reply_result(r));
	stats_pack(&m, &d->stats, &t, &d->events.stats,
	    events_subscribers(&d->events));
	rpc_map_end(&m);
	tally_free(&t);
}

/* Prometheus's text exposition format (metrics.h). */
static void
m_metrics(struct reply *r, const msgpack_object_map *args)
{
	struct metrics_text text = { 0 };
	struct rpc_container m;
	int rc;

	(void)args;
	watch_sync(&r->d->watch);
	/* The same figures as summary's: as fresh (disk.h). */
	disk_refresh(&r->d->disk, DISK_SUMMARY_MAX_AGE_MS);
	if ((rc = metrics_render(&text, r->d)) < 0) {
		if (rc == -ENOMEM)
			reply_error(r, RPC_EINTERNAL, "out of memory");
		else
			reply_error(r, errno_code(-rc), "statvfs %s: %s",
			    r->d->cfg.layout.cache_root, strerror(-rc));
		metrics_text_free(&text);
		return;
	}
	rpc_map_begin(&m, reply_result(r));
	rpc_map_key(&m, "text");
	rpc_pack_strn(m.pk, text.s, text.len);
	kv_str(&m, "content_type", METRICS_CONTENT_TYPE);
	rpc_map_end(&m);
	metrics_text_free(&text);
}

/* Read the config files again; what changed, what was refused, errors. */
static void
m_reload(struct reply *r, const msgpack_object_map *args)
{
	struct reload_report rep;
	struct rpc_container m, a, c;
	const struct reload_list *lists[2];

	(void)args;
	reload_run(r->d, "reload request", &rep);
	lists[0] = &rep.changed;
	lists[1] = &rep.refused;
	rpc_map_begin(&m, reply_result(r));
	kv_bool(&m, "ok", rep.ok);
	for (int l = 0; l < 2; l++) {
		rpc_map_key(&m, l == 0 ? "changed" : "refused");
		msgpack_pack_array(m.pk, lists[l]->n);
		for (size_t i = 0; i < lists[l]->n; i++) {
			rpc_map_begin(&c, m.pk);
			kv_str(&c, "key", lists[l]->v[i].key);
			kv_str(&c, "from", lists[l]->v[i].from);
			kv_str(&c, "to", lists[l]->v[i].to);
			rpc_map_end(&c);
		}
	}
	rpc_map_key(&m, "errors");
	rpc_array_begin(&a, m.pk);
	for (int i = 0; i < rep.errors.count; i++) {
		rpc_array_next(&a);
		rpc_pack_cstr(m.pk, rep.errors.msg[i]);
	}
	rpc_array_end(&a);
	rpc_map_end(&m);
	reload_report_free(&rep);
}

/* The resolved config and what the daemon made of it: answered at once. */
static void
m_config(struct reply *r, const msgpack_object_map *args)
{
	(void)args;
	config_pack(reply_result(r), &r->d->cfg);
}

static const char *const no_args[] = { NULL };
static const char *const summary_args[] = { "wait", NULL };
static const char *const cycle_dir_args[] = { "kind", "cycle", "dataset", NULL };
static const char *const cleanup_cycle_args[] = { "cycle", "kind", "wait",
	NULL };
static const char *const cleanup_generated_args[] = { "wait", NULL };
static const char *const prune_args[] = { "dry_run", NULL };
static const char *const clean_args[] = { "target", "dataset", "confirm",
	"wait", NULL };
static const char *const disk_check_args[] = { "required_bytes",
	"required_gb", NULL };
static const char *const subscribe_args[] = { "events", NULL };

static const struct method {
	const char		*name;
	void			(*fn)(struct reply *, const msgpack_object_map *);
	const char *const	*args;
} methods[] = {
	{ "ping", m_ping, no_args },
	{ "get-cycle-dir", m_get_cycle_dir, cycle_dir_args },
	{ "cleanup-cycle", m_cleanup_cycle, cleanup_cycle_args },
	{ "cleanup-generated", m_cleanup_generated, cleanup_generated_args },
	{ "summary", m_summary, summary_args },
	{ "disk-check", m_disk_check, disk_check_args },
	{ "prune", m_prune, prune_args },
	{ "clean", m_clean, clean_args },
	{ "subscribe", m_subscribe, subscribe_args },
	{ "unsubscribe", m_unsubscribe, no_args },
	{ "stats", m_stats, no_args },
	{ "metrics", m_metrics, no_args },
	{ "reload", m_reload, no_args },
	{ "config", m_config, no_args },
};

#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))
/* Stats slots: methods[i] is 1 + i, so a zeroed reply counts as none. */
#define SLOT(i)		((int)(i) + 1)

const char *
rpc_method_name(size_t i)
{
	return i < NMETHODS ? methods[i].name :
	    NULL;
}

/* -- server callbacks --------------------------------------------------- */

/*
 * daemon.access: whether this peer may call m (access.h). Admin calls
 * are audited, allowed or not; a refusal is answered permission_denied.
 */
static bool
permitted(struct reply *r, const struct method *m,
    const msgpack_object_map *args)
{
	enum access_class class = access_class_of(m->name, strlen(m->name));
	const struct peer_cred *p = conn_peer(r->conn);
	bool ok = access_allowed(&r->d->access, class, p);

	if (class == ACCESS_ADMIN)
		access_audit(m->name, ok, p, args);
	if (ok)
		return true;
	log_debug("rpc: %s refused to uid %u: not in daemon.access.%s",
	    m->name, (unsigned)p->uid, access_class_names[class]);
	reply_error(r, RPC_EPERM, "%s needs %s access (daemon.access.%s); "
	    "uid %lld gid %lld is not allowed", m->name,
	    access_class_names[class], access_class_names[class],
	    p->known ? (long long)p->uid : -1LL,
	    p->known ? (long long)p->gid : -1LL);
	return false;
}

static const struct method *
find_method(const char *name, size_t len)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (strlen(methods[i].name) == len &&
		    memcmp(methods[i].name, name, len) == 0)
			return &methods[i];
	return NULL;
}

/* Methods whose handler starts a job (job.h): they take a work slot. */
static bool
makes_job(const struct method *m)
{
	return m->fn == m_get_cycle_dir || m->fn == m_cleanup_cycle ||
	    m->fn == m_cleanup_generated || m->fn == m_clean ||
	    m->fn == m_disk_check;
}

static int
handle_message(void *ctx, struct conn *c, const msgpack_object *msg)
{
	struct hycod *d = ctx;
	struct rpc_request req;
	struct reply r = { .d = d, .conn = c, .t0 = uv_hrtime(),
	    .msg = msg };
	const struct method *m;
	const char *why;
	char buf[160];
	int rc;

	if ((rc = rpc_decode_request(msg, &req, &why)) == RPC_DECODE_CLOSE) {
		log_debug("rpc: %s, closing connection", why);
		return -1;
	}
	/*
	 * At daemon.max_jobs_per_client or daemon.max_jobs: not failed,
	 * kept; the server reads this connection no further until a job
	 * ends, then hands this request again.
	 */
	m = find_method(req.method, req.method_len);
	if (rc == RPC_DECODE_OK && m != NULL && makes_job(m) &&
	    !conn_may_work(c))
		return SERVER_HOLD;
	r.msgid = req.msgid;
	r.notify = req.type == RPC_NOTIFY;
	r.method = m != NULL ? SLOT(m - methods) : 0;
	d->rpc.requests++;
	stats_request(&d->stats, r.method);
	if (rc == RPC_DECODE_BADPARAMS) {
		reply_error(&r, RPC_EINVAL, "%s", why);
		return 0;
	}
	if (m == NULL) {
		reply_error(&r, RPC_EMETHOD, "unknown method '%.*s'",
		    (int)(req.method_len > 64 ? 64 : req.method_len),
		    req.method);
		return 0;
	}
	if (!permitted(&r, m, req.args))
		return 0;
	if (rpc_args_check(req.args, m->args, buf, sizeof(buf)) == -1)
		reply_error(&r, RPC_EINVAL, "%s: %s", m->name, buf);
	else
		m->fn(&r, req.args);
	/* Answered now (errors time themselves); a job times its answer. */
	if (r.packed)
		stats_latency(&d->stats, r.method, uv_hrtime() - r.t0);
	return 0;
}

static void
handle_too_large(void *ctx, struct conn *c, const char *start, size_t len)
{
	struct hycod *d = ctx;
	struct reply r = { .d = d, .conn = c };
	uint32_t msgid;

	log_debug("rpc: request of %zu+ bytes over the %zu limit, or nested "
	    "over %d levels", len, d->cfg.max_request_bytes, FRAME_DEPTH_MAX);
	if (rpc_peek_msgid(start, len, &msgid) == -1) {
		d->rpc.errors[RPC_ETOOLARGE]++;
		stats_error(&d->stats, STATS_UNKNOWN, RPC_ETOOLARGE);
		return;
	}
	r.msgid = msgid;
	reply_error(&r, RPC_ETOOLARGE, "request is larger than "
	    "daemon.max_request_bytes (%zu), counting the sizes it declares, "
	    "or nests deeper than %d levels", d->cfg.max_request_bytes,
	    FRAME_DEPTH_MAX);
}

/* Its leases end with the connection, and its subscription. */
static void
handle_closed(void *ctx, struct conn *c)
{
	struct hycod *d = ctx;

	policy_release(&d->policy, c);
	events_closed(&d->events, c);
}

/*
 * A request that waited for the start-up scan, now: counted when it
 * came, its arguments checked then too.
 */
static void
run_parked(void *ctx, struct conn *c, const msgpack_object *msg)
{
	struct hycod *d = ctx;
	struct rpc_request req;
	struct reply r = { .d = d, .conn = c, .msg = msg, .t0 = uv_hrtime() };
	const char *why;

	if (rpc_decode_request(msg, &req, &why) != RPC_DECODE_OK)
		return;
	r.msgid = req.msgid;
	r.notify = req.type == RPC_NOTIFY;
	for (size_t i = 0; i < NMETHODS; i++)
		if (strlen(methods[i].name) == req.method_len &&
		    memcmp(methods[i].name, req.method, req.method_len) == 0) {
			r.method = SLOT(i);
			methods[i].fn(&r, req.args);
			/* Timed from now: its wait for the scan is not its cost. */
			if (r.packed)
				stats_latency(&d->stats, r.method,
				    uv_hrtime() - r.t0);
			return;
		}
}

void
rpc_scan_ready(struct hycod *d)
{
	early_release(&d->early, run_parked, d);
}

const struct server_ops rpc_server_ops = {
	.message = handle_message,
	.too_large = handle_too_large,
	.closed = handle_closed,
};

void
rpc_start(struct hycod *d)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (stats_method_add(&d->stats, methods[i].name) != SLOT(i))
			fatalx("rpc_start: more methods than STATS_METHODS_MAX");
}

void
rpc_free(struct hycod *d)
{
	msgpack_sbuffer_destroy(&d->notify_out);
}
