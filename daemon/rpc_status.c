/*
 * rpc_status.c: the methods that say what the daemon knows, answered
 * on the loop: ping, summary (and the packing of its figures), stats,
 * metrics, subscribe and unsubscribe, reload and config.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_rpc.h"
#include "metrics.h"
#include "reload.h"
#include "rpc_int.h"

/* -- results ------------------------------------------------------------ */

#define RESCANNING_MAX	16

/*
 * Entries of summary's map packed once and copied into every reply
 * until what they were read from changes: gen is the index's or the
 * disk monitor's generation then.
 */
struct summary_part {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	struct rpc_container m;		/* counts the entries, no header */
	uint64_t	 gen;
	bool		 valid;
};

/*
 * summary's figures that move with the daemon's own work rather than
 * with each request: the index's health, removals, alerts. Read into
 * this, zeroed first so that two compare whole, and packed from it.
 */
struct summary_state {
	uint64_t	free_bytes, total_bytes;
	uint64_t	watched, unwatched, files, index_bytes;
	double		last_rescan, last_scan_s;
	uint64_t	overflows, rescans, events, reconciled, arrivals;
	uint64_t	scan_errors;
	uint64_t	trash_bytes, trash_items, trash_freed, pruned_bytes;
	uint64_t	pruned_cycles, pruned_datasets, refused, passes;
	uint64_t	idle_passes, asked, asked_forgotten;
	uint64_t	transitions, samples, sample_errors;
	struct alert_stats hooks;
	bool		exact, pruning, scanning;
};

/*
 * What summary keeps between replies (d->summary): the tally as read
 * at the index's generation tally_gen (stats reads it too), and its
 * map in parts packed once and copied into each reply until what they
 * were packed from changes: the figures of the tree (the index's
 * generation), the filesystems (the disk monitor's), and the daemon's
 * state before and after them (state, compared whole). The traffic
 * counters change with every request and are packed fresh.
 */
struct summary_cache {
	struct tally		tally;
	uint64_t		tally_gen;
	bool			tally_valid;
	struct summary_part	tree, filesystems, head, tail;
	struct summary_state	state;
};

/*
 * The tally of the index as it is, read again only if the index
 * changed since; NULL, r answered, without memory.
 */
static const struct tally *
current_tally(struct reply *r)
{
	struct hycod *d = r->d;
	struct summary_cache *sc = d->summary;

	if (sc == NULL && (sc = d->summary = calloc(1, sizeof(*sc))) == NULL) {
		reply_error(r, RPC_EINTERNAL, "out of memory");
		return NULL;
	}
	if (sc->tally_valid && sc->tally_gen == d->watch.ix.gen)
		return &sc->tally;
	sc->tally_valid = false;
	if (watch_tally(&d->watch, &sc->tally) == -1) {
		reply_error(r, RPC_EINTERNAL, "out of memory");
		return NULL;
	}
	sc->tally_gen = d->watch.ix.gen;
	sc->tally_valid = true;
	return &sc->tally;
}

/* Whether p holds gen; if not, it is emptied for packing it anew. */
static bool
part_holds(struct summary_part *p, uint64_t gen)
{
	if (p->valid && p->gen == gen)
		return true;
	if (p->sb.data == NULL) {
		msgpack_sbuffer_init(&p->sb);
		msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
	}
	msgpack_sbuffer_clear(&p->sb);
	p->m = (struct rpc_container){ .pk = &p->pk, .map = true };
	p->valid = false;
	return false;
}

/* p's entries into the map m; counted only if they are there. */
static void
part_put(struct rpc_container *m, const struct summary_part *p)
{
	if (msgpack_sbuffer_write(m->pk->data, p->sb.data, p->sb.size) == 0)
		m->n += p->m.n;
}

static void
part_free(struct summary_part *p)
{
	msgpack_sbuffer_destroy(&p->sb);
}

/* The state of d now; exact as the request found it, du the root's. */
static void
read_state(struct summary_state *st, const struct hycod *d, bool exact,
    const struct disk_usage *du)
{
	const struct watch *w = &d->watch;
	const struct policy *p = &d->policy;

	memset(st, 0, sizeof(*st));
	st->free_bytes = du->avail_bytes;
	st->total_bytes = du->total_bytes;
	st->exact = exact;
	st->watched = w->ix.watched;
	st->unwatched = w->ix.unwatched;
	st->files = w->ix.files;
	st->index_bytes = index_memory(&w->ix);
	st->last_rescan = w->stats.last_rescan;
	st->overflows = w->stats.overflows;
	st->rescans = w->stats.rescans;
	st->events = w->stats.events;
	st->reconciled = w->stats.reconciled;
	st->arrivals = w->stats.arrivals;
	st->scan_errors = w->stats.scan_errors;
	st->last_scan_s = w->stats.last_scan_s;
	st->trash_bytes = d->trash.bytes;
	st->trash_items = d->trash.items;
	st->trash_freed = d->trash.freed_bytes;
	st->pruned_bytes = p->stats.pruned_bytes;
	st->pruned_cycles = p->stats.pruned_cycles;
	st->pruned_datasets = p->stats.pruned_datasets;
	st->refused = p->stats.refused;
	st->passes = p->stats.passes;
	st->idle_passes = p->stats.idle_passes;
	st->pruning = policy_busy(p);
	st->asked = p->asked.n;
	st->asked_forgotten = p->asked.forgotten;
	st->transitions = d->disk.stats.transitions;
	st->samples = d->disk.stats.samples;
	st->sample_errors = d->disk.stats.sample_errors;
	disk_alert_stats(&d->disk, &st->hooks);
	st->scanning = !w->ready;
}

/*
 * The root's disk, the index's health (whether the figures are exact,
 * and why not) and removals (waiting in the trash, freed, what policy
 * took): the entries before the traffic counters. n paths are being
 * re-scanned.
 */
static void
pack_head(struct rpc_container *m, const struct summary_state *st,
    const char *root, const char *const *paths, size_t n)
{
	struct rpc_container sub;

	rpc_map_key(m, "disk");
	rpc_map_begin(&sub, m->pk);
	rpc_kv_u64(&sub, "free_bytes", st->free_bytes);
	rpc_kv_u64(&sub, "total_bytes", st->total_bytes);
	rpc_kv_str(&sub, "path", root);
	rpc_map_end(&sub);
	rpc_kv_bool(m, "exact", st->exact);
	rpc_kv_u64(m, "watched_dirs", st->watched);
	rpc_kv_u64(m, "unwatched_dirs", st->unwatched);
	rpc_kv_u64(m, "tracked_files", st->files);
	rpc_kv_u64(m, "index_bytes", st->index_bytes);
	rpc_kv_double(m, "last_rescan", st->last_rescan);
	rpc_kv_u64(m, "overflows", st->overflows);
	rpc_kv_u64(m, "rescans", st->rescans);
	rpc_kv_u64(m, "events", st->events);
	rpc_kv_u64(m, "reconciled", st->reconciled);
	rpc_kv_u64(m, "arrivals", st->arrivals);
	rpc_kv_u64(m, "scan_errors", st->scan_errors);
	rpc_kv_double(m, "last_scan_s", st->last_scan_s);
	rpc_map_key(m, "rescanning");
	msgpack_pack_array(m->pk, n);
	for (size_t i = 0; i < n; i++)
		rpc_pack_cstr(m->pk, paths[i]);
	rpc_kv_u64(m, "trash_bytes", st->trash_bytes);
	rpc_kv_u64(m, "trash_items", st->trash_items);
	rpc_kv_u64(m, "trash_freed_bytes", st->trash_freed);
	rpc_kv_u64(m, "pruned_bytes", st->pruned_bytes);
	rpc_kv_u64(m, "pruned_cycles", st->pruned_cycles);
	rpc_kv_u64(m, "pruned_datasets", st->pruned_datasets);
	rpc_kv_u64(m, "refused", st->refused);
	rpc_kv_u64(m, "prune_passes", st->passes);
	rpc_kv_u64(m, "idle_passes", st->idle_passes);
	rpc_kv_bool(m, "pruning", st->pruning);
	rpc_kv_u64(m, "asked", st->asked);
	rpc_kv_u64(m, "asked_forgotten", st->asked_forgotten);
}

/* The socket and the requests on it, since start. */
static void
pack_traffic(struct rpc_container *m, const struct server *srv,
    const struct rpc_stats *rs)
{
	const struct server_stats *ss = &srv->stats;
	struct rpc_container e;

	rpc_kv_u64(m, "connections", ss->active);
	rpc_kv_u64(m, "connections_accepted", ss->accepted);
	rpc_kv_u64(m, "refused_max_clients", ss->refused_max_clients);
	rpc_kv_u64(m, "messages", ss->messages);
	rpc_kv_u64(m, "closed_too_large", ss->closed_too_large);
	rpc_kv_u64(m, "closed_bad_input", ss->closed_bad_input);
	rpc_kv_u64(m, "paused_reads", ss->paused_reads);
	rpc_kv_u64(m, "closed_too_deep", ss->closed_too_deep);
	rpc_kv_u64(m, "frame_steps", ss->frame_steps);
	rpc_kv_u64(m, "jobs", ss->work);
	rpc_kv_u64(m, "paused_max_jobs_per_client", ss->paused_work_per_conn);
	rpc_kv_u64(m, "paused_max_jobs", ss->paused_work);
	rpc_kv_double(m, "busy_poll_seconds",
	    (double)server_busy_poll_total(srv) / 1e9);
	rpc_kv_u64(m, "requests", rs->requests);
	rpc_map_key(m, "errors");
	rpc_map_begin(&e, m->pk);
	for (int code = RPC_OK + 1; code < RPC_ERROR_COUNT; code++)
		rpc_kv_u64(&e, rpc_error_codes[code], rs->errors[code]);
	rpc_map_end(&e);
}

/* Each filesystem of the tree, and the worst level. */
static void
pack_filesystems(struct rpc_container *m, const struct disk *dk)
{
	struct rpc_container fs, roots;

	rpc_map_key(m, "filesystems");
	msgpack_pack_array(m->pk, disk_count(dk));
	for (size_t i = 0; i < disk_count(dk); i++) {
		const struct disk_fs *f = disk_get(dk, i);
		rpc_map_begin(&fs, m->pk);
		rpc_kv_str(&fs, "path", f->path);
		rpc_kv_str(&fs, "mount", f->mount);
		rpc_kv_str(&fs, "fstype", f->fstype);
		rpc_kv_str(&fs, "source", f->source);
		rpc_kv_str(&fs, "device", f->device);
		rpc_map_key(&fs, "roots");
		rpc_array_begin(&roots, m->pk);
		for (int r = 0; r < DISK_ROLES; r++)
			if (f->roots & (1u << r)) {
				rpc_array_next(&roots);
				rpc_pack_cstr(m->pk, disk_role_names[r]);
			}
		rpc_array_end(&roots);
		rpc_kv_u64(&fs, "free_bytes", f->du.avail_bytes);
		rpc_kv_u64(&fs, "total_bytes", f->du.total_bytes);
		rpc_kv_u64(&fs, "free_inodes", f->du.avail_inodes);
		rpc_kv_u64(&fs, "total_inodes", f->du.total_inodes);
		rpc_kv_str(&fs, "level", disk_level_names[f->level]);
		rpc_kv_str(&fs, "reason", f->reason);
		rpc_map_key(&fs, "time_to_full_s");
		if (f->time_to_full_s >= 0)
			msgpack_pack_double(m->pk, f->time_to_full_s);
		else
			msgpack_pack_nil(m->pk);
		rpc_kv_double(&fs, "fill_bytes_per_s", f->fill_rate);
		rpc_kv_u64(&fs, "warn_below_bytes", f->warn_bytes);
		rpc_kv_u64(&fs, "critical_below_bytes", f->critical_bytes);
		rpc_kv_u64(&fs, "warn_below_inodes", f->warn_inodes);
		rpc_kv_u64(&fs, "critical_below_inodes", f->critical_inodes);
		rpc_kv_double(&fs, "sampled_at", f->sampled_at);
		rpc_kv_str(&fs, "error", f->error ? strerror(f->error) : "");
		rpc_map_end(&fs);
	}
	rpc_kv_str(m, "alert_level", disk_level_names[disk_worst(dk)]);
}

/*
 * The alerts' counters (the hook's change without a sample) and the
 * start-up scan: the entries after the filesystems.
 */
static void
pack_tail(struct rpc_container *m, const struct summary_state *st)
{
	struct rpc_container a;

	rpc_map_key(m, "alerts");
	rpc_map_begin(&a, m->pk);
	rpc_kv_u64(&a, "transitions", st->transitions);
	rpc_kv_u64(&a, "samples", st->samples);
	rpc_kv_u64(&a, "sample_errors", st->sample_errors);
	rpc_kv_u64(&a, "hook_runs", st->hooks.runs);
	rpc_kv_u64(&a, "hook_failures", st->hooks.failures);
	rpc_kv_u64(&a, "hook_timeouts", st->hooks.timeouts);
	rpc_kv_u64(&a, "hook_coalesced", st->hooks.coalesced);
	rpc_map_end(&a);
	/* The start-up scan runs: the figures above are partial. */
	rpc_kv_bool(m, "scanning", st->scanning);
}

/* The figures of the tree: categories, datasets, cycles. */
static void
pack_tree(struct rpc_container *m, const struct tally *t)
{
	msgpack_packer *pk = m->pk;
	struct rpc_container sub;
	uint64_t total = 0, files = 0;

	for (int c = 0; c < CAT_COUNT; c++) {
		total += t->bytes[c];
		files += t->files[c];
	}
	for (int c = 0; c < CAT_COUNT; c++)
		rpc_kv_u64(m, layout_category_names[c], t->bytes[c]);
	rpc_kv_u64(m, "total", total);
	rpc_kv_u64(m, "files", files);
	rpc_map_key(m, "datasets");
	msgpack_pack_map(pk, t->nds);
	for (size_t i = 0; i < t->nds; i++) {
		rpc_pack_cstr(pk, t->ds[i].name);
		rpc_map_begin(&sub, pk);
		for (int c = 0; c < CAT_COUNT; c++)
			rpc_kv_u64(&sub, layout_category_names[c],
			    t->ds[i].bytes[c]);
		rpc_map_end(&sub);
	}
	rpc_map_key(m, "cycles");
	msgpack_pack_array(pk, t->ncy);
	for (size_t i = 0; i < t->ncy; i++) {
		rpc_map_begin(&sub, pk);
		rpc_kv_str(&sub, "kind", layout_kind_names[t->cy[i].kind]);
		rpc_map_key(&sub, "cycle");
		msgpack_pack_long(pk, t->cy[i].cycle);
		rpc_kv_u64(&sub, "bytes", t->cy[i].bytes);
		rpc_kv_u64(&sub, "files", t->cy[i].files);
		rpc_map_end(&sub);
	}
}

/*
 * The tree's figures and the filesystems packed again if the index or
 * a disk sample changed since they last were. -1, r answered, when
 * the tally runs out of memory.
 */
static int
summary_parts(struct reply *r, bool exact, const struct disk_usage *du)
{
	const struct hycod *d = r->d;
	struct summary_cache *sc = d->summary;
	const char *paths[RESCANNING_MAX];
	struct summary_state st;
	const struct tally *t;
	size_t n;

	if (!part_holds(&sc->tree, d->watch.ix.gen)) {
		if ((t = current_tally(r)) == NULL)
			return -1;
		pack_tree(&sc->tree.m, t);
		sc->tree.gen = d->watch.ix.gen;
		sc->tree.valid = true;
	}
	if (!part_holds(&sc->filesystems, d->disk.gen)) {
		pack_filesystems(&sc->filesystems.m, &d->disk);
		sc->filesystems.gen = d->disk.gen;
		sc->filesystems.valid = true;
	}
	/* Paths re-scanned are not compared: packed each time, as rare. */
	read_state(&st, d, exact, du);
	n = watch_rescanning(&d->watch, paths, RESCANNING_MAX);
	if (n > 0 || memcmp(&st, &sc->state, sizeof(st)) != 0)
		sc->head.valid = sc->tail.valid = false;
	if (!part_holds(&sc->head, 0)) {
		pack_head(&sc->head.m, &st, d->cfg.layout.cache_root, paths, n);
		sc->head.valid = n == 0;
	}
	if (!part_holds(&sc->tail, 0)) {
		pack_tail(&sc->tail.m, &st);
		sc->tail.valid = true;
	}
	sc->state = st;
	return 0;
}

/* summary's result into pk, its parts current (summary_parts). */
static void
pack_summary(msgpack_packer *pk, const struct summary_cache *sc,
    const struct hycod *d)
{
	struct rpc_container m;

	rpc_map_begin(&m, pk);
	part_put(&m, &sc->tree);
	part_put(&m, &sc->head);
	pack_traffic(&m, &d->server, &d->rpc);
	part_put(&m, &sc->filesystems);
	part_put(&m, &sc->tail);
	rpc_map_end(&m);
}

void
rpc_summary_free(struct hycod *d)
{
	struct summary_cache *sc = d->summary;

	if (sc == NULL)
		return;
	tally_free(&sc->tally);
	part_free(&sc->tree);
	part_free(&sc->filesystems);
	part_free(&sc->head);
	part_free(&sc->tail);
	free(sc);
	d->summary = NULL;
}

/* -- methods ------------------------------------------------------------ */

void
m_ping(struct reply *r, const msgpack_object_map *args)
{
	/* getpid(2) is a system call each time; hycod never forks. */
	static pid_t pid;
	struct hycod *d = r->d;
	struct rpc_container m;

	(void)args;
	if (pid == 0)
		pid = getpid();
	rpc_map_begin(&m, reply_result(r));
	rpc_kv_str(&m, "version", HYCO_VERSION);
	rpc_map_key(&m, "pid");
	msgpack_pack_int(m.pk, (int)pid);
	/* As of when the request was framed: no clock read of its own. */
	rpc_kv_double(&m, "uptime_s", (double)((r->t0 != 0 ? r->t0 :
	    uv_hrtime()) - d->start_ns) / 1e9);
	rpc_kv_u64(&m, "connections", d->server.stats.active);
	rpc_kv_u64(&m, "requests", d->rpc.requests);
	rpc_kv_str(&m, "cache_root", d->cfg.layout.cache_root);
	rpc_map_end(&m);
}

/*
 * O(datasets + cycles) off the index, answered at once; during the
 * start-up scan once it is in, or with wait: false at once with what
 * is known (exact false, scanning true).
 */
void
m_summary(struct reply *r, const msgpack_object_map *args)
{
	const msgpack_object *o = rpc_args_get(args, "wait");
	struct hycod *d = r->d;
	const struct disk_fs *fs;
	bool exact;

	if (o != NULL && o->type != MSGPACK_OBJECT_BOOLEAN) {
		reply_error(r, RPC_EINVAL, "wait must be true or false");
		return;
	}
	if (!d->watch.ready && (o == NULL || o->via.boolean)) {
		park(r);
		return;
	}
	/* What the kernel has queued is applied: the figures are current. */
	exact = watch_sync_exact(&d->watch, r->round);
	if ((fs = root_disk(r, true)) == NULL || current_tally(r) == NULL ||
	    summary_parts(r, exact, &fs->du) == -1)
		return;
	pack_summary(reply_result(r), d->summary, d);
}

/* This connection receives events from now on (events.h). */
void
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
	rpc_kv_u64(&m, "max_queued_bytes", ev->max_queued);
	rpc_map_end(&m);
}

void
m_unsubscribe(struct reply *r, const msgpack_object_map *args)
{
	struct rpc_container m;
	bool was = events_unsubscribe(&r->d->events, r->conn);

	(void)args;
	rpc_map_begin(&m, reply_result(r));
	rpc_kv_bool(&m, "was_subscribed", was);
	rpc_map_end(&m);
}

/* Per method and per dataset, since start (stats.h). */
void
m_stats(struct reply *r, const msgpack_object_map *args)
{
	struct hycod *d = r->d;
	const struct tally *t;
	struct rpc_container m;

	(void)args;
	(void)watch_sync_exact(&d->watch, r->round);
	if ((t = current_tally(r)) == NULL)
		return;
	rpc_map_begin(&m, reply_result(r));
	stats_pack(&m, &d->stats, t, &d->events.stats,
	    events_subscribers(&d->events));
	rpc_map_end(&m);
}

/* Prometheus's text exposition format (metrics.h). */
void
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
	rpc_kv_str(&m, "content_type", METRICS_CONTENT_TYPE);
	rpc_map_end(&m);
	metrics_text_free(&text);
}

/* Read the config files again; what changed, what was refused, errors. */
void
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
	rpc_kv_bool(&m, "ok", rep.ok);
	for (int l = 0; l < 2; l++) {
		rpc_map_key(&m, l == 0 ? "changed" : "refused");
		msgpack_pack_array(m.pk, lists[l]->n);
		for (size_t i = 0; i < lists[l]->n; i++) {
			rpc_map_begin(&c, m.pk);
			rpc_kv_str(&c, "key", lists[l]->v[i].key);
			rpc_kv_str(&c, "from", lists[l]->v[i].from);
			rpc_kv_str(&c, "to", lists[l]->v[i].to);
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
void
m_config(struct reply *r, const msgpack_object_map *args)
{
	(void)args;
	config_pack(reply_result(r), &r->d->cfg);
}
