/* policy.c: retention, free-space watermarks, leases, pruning passes. */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "log.h"

#define PRUNE_BACKOFF_MIN_MS	1000	/* all candidates protected: wait */
#define PRUNE_BACKOFF_MAX_MS	60000

struct lease {
	const void	*conn;
	int		 kind;
	long		 cycle;
	uint64_t	 seq;	/* of the request that gave it */
};

struct prune_job {
	uv_work_t		 work;
	struct policy		*p;
	struct policy_plan	 plan;
	uint64_t		 seq;
	struct done {
		int		 rc;	/* 1 trashed, 0 gone/deleted, -1 */
		int		 err, which;
		char		 out[TRASH_NAME_MAX];
	}			*done;
};

/* -- leases and uses ---------------------------------------------------- */

void
policy_lease(struct policy *p, const void *conn, uint64_t seq, int kind,
    long cycle, const char *dataset)
{
	bool fresh = false;
	size_t i;

	for (i = 0; i < p->nleases; i++)
		if (p->leases[i].conn == conn && p->leases[i].kind == kind)
			break;
	if (i == p->nleases) {
		if (array_grow((void **)&p->leases, &p->capleases, i + 1,
		    sizeof(*p->leases)) == -1)
			return;
		p->nleases++;
		fresh = true;
	}
	/* Jobs end in any order: the lease is the latest request's. */
	if (fresh || p->leases[i].seq <= seq)
		p->leases[i] = (struct lease){ conn, kind, cycle, seq };
	/* The cycle, then the dataset: both were just used. */
	if (asked_touch(&p->asked, kind, cycle, "", uv_now(p->loop)) == -1 ||
	    asked_touch(&p->asked, -1, 0, dataset, uv_now(p->loop)) == -1)
		log_warnx("policy_lease: out of memory: cycle %ld or dataset "
		    "%s not protected as recently asked", cycle, dataset);
}

void
policy_release(struct policy *p, const void *conn)
{
	size_t k = 0;

	for (size_t i = 0; i < p->nleases; i++)
		if (p->leases[i].conn != conn)
			p->leases[k++] = p->leases[i];
	p->nleases = k;
}

bool
policy_leased(const struct policy *p, int kind, long cycle)
{
	for (size_t i = 0; i < p->nleases; i++)
		if (p->leases[i].kind == kind && p->leases[i].cycle == cycle)
			return true;
	return false;
}

/* Seconds since it was asked for, or -1 if never (or forgotten). */
static double
asked_ago(const struct policy *p, int kind, long cycle, const char *ds)
{
	uint64_t at;

	if (!asked_when(&p->asked, kind, cycle, ds, &at))
		return -1;
	return (double)(uv_now(p->loop) - at) / 1e3;
}

/* -- refusing ----------------------------------------------------------- */

bool
policy_refuse(struct policy *p, int kind, char *why, size_t size)
{
	const struct retention *rt = p->rt;
	const struct disk_fs *fs;
	const struct disk_usage *du;
	int f = disk_of_role(p->disk, DISK_ROLE_KIND(kind));
	double b, i;

	if (f < 0)
		return false;	/* not found at start: nothing to go by */
	fs = disk_refresh_one(p->disk, (size_t)f, 0);
	if (fs->error != 0)
		return false;	/* logged by disk.c */
	du = &fs->du;
	b = config_mark_value(&rt->refuse_below, (double)du->total_bytes);
	i = config_mark_value(&rt->refuse_below_inodes, (double)du->total_inodes);
	if ((double)du->avail_bytes < b) {
		snprintf(why, size, "%llu bytes free on %s, below retention."
		    "refuse_below (%.0f)", (unsigned long long)du->avail_bytes,
		    fs->mount, b);
	} else if (du->total_inodes > 0 && (double)du->avail_inodes < i) {
		snprintf(why, size, "%llu inodes free on %s, below retention."
		    "refuse_below_inodes (%.0f)",
		    (unsigned long long)du->avail_inodes, fs->mount, i);
	} else
		return false;
	p->stats.refused++;
	policy_soon(p);		/* and make room, if policy may */
	return true;
}

/* -- planning ----------------------------------------------------------- */

/*
 * Put node in the plan's set of nodes: 1 if it was there already, 0 if
 * added, -1 when out of memory. Open addressing, at most half full, so
 * the plan costs O(items), not a string compare against each item.
 */
static int
plan_node(struct policy_plan *plan, uint32_t node)
{
	size_t mask, i;

	if ((plan->n + 1) * 2 > plan->nodecap) {
		size_t cap = plan->nodecap ? plan->nodecap * 2 : 64;
		uint32_t *v = malloc(cap * sizeof(*v));
		if (v == NULL)
			return -1;
		memset(v, 0xff, cap * sizeof(*v));	/* IX_NIL: empty */
		for (size_t k = 0; k < plan->n; k++) {
			for (i = (plan->v[k].node * 2654435761u) & (cap - 1);
			    v[i] != IX_NIL; i = (i + 1) & (cap - 1))
				;
			v[i] = plan->v[k].node;
		}
		free(plan->nodes);
		plan->nodes = v;
		plan->nodecap = cap;
	}
	mask = plan->nodecap - 1;
	for (i = (node * 2654435761u) & mask; plan->nodes[i] != IX_NIL;
	    i = (i + 1) & mask)
		if (plan->nodes[i] == node)
			return 1;
	plan->nodes[i] = node;
	return 0;
}

static struct policy_item *
plan_add(struct policy_plan *plan, const struct index *ix, uint32_t node,
    const char *path, int cat, int kind, long cycle)
{
	struct policy_item *it;

	/* Already in, for another reason (a node has one path). */
	if (array_grow((void **)&plan->v, &plan->cap, plan->n + 1,
	    sizeof(*plan->v)) == -1 || plan_node(plan, node) != 0)
		return NULL;
	it = &plan->v[plan->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->path, sizeof(it->path), "%s", path);
	it->cat = cat;
	it->kind = kind;
	it->cycle = cycle;
	it->node = node;
	it->bytes = index_dir(ix, node)->bytes;
	it->files = index_dir(ix, node)->nfiles;
	return it;
}

/* Leased, or asked for too recently: say so and keep it. */
static bool
protect(const struct policy *p, struct policy_item *it, const char *ds)
{
	double ago = it->kind >= 0 ? asked_ago(p, it->kind, it->cycle, "") :
	    asked_ago(p, -1, 0, ds);

	if (it->kind >= 0 && policy_leased(p, it->kind, it->cycle)) {
		snprintf(it->why, sizeof(it->why), "kept: leased by a "
		    "connection (its latest get-cycle-dir)");
		return it->skipped = true;
	}
	if (ago >= 0 && ago < p->rt->protect_recent_s) {
		snprintf(it->why, sizeof(it->why), "kept: asked for %.0f s ago, "
		    "within retention.protect_recent_s (%g)", ago,
		    p->rt->protect_recent_s);
		return it->skipped = true;
	}
	return false;
}

/* What a pass must free on one filesystem (disk.h's order). */
struct need {
	double		b, i;		/* bytes, inodes; <= 0: nothing */
};

/* The filesystem a candidate is on: that of its root. */
static int
item_fs(const struct policy *p, int cat, int kind)
{
	return disk_of_role(p->disk, kind >= 0 ? DISK_ROLE_KIND(kind) :
	    DISK_ROLE_CAT(cat));
}

/* Bytes in the trash(es) on filesystem dev, soon free there. */
static uint64_t
trash_waiting(const struct trash *t, dev_t dev)
{
	uint64_t n = 0;

	for (int w = 0; w < t->n; w++)
		if (t->dev[w] == dev)
			n += t->bytes_in[w];
	return n;
}

/*
 * Each filesystem below prune_below (bytes or inodes) needs up to
 * prune_until freed, on figures sampled now. -errno when the cache
 * root's filesystem cannot be read; others that cannot are skipped.
 */
static int
needs(struct policy *p, struct need *need)
{
	const struct retention *rt = p->rt;
	int root = disk_of_role(p->disk, DISK_ROLE_CACHE_ROOT);

	disk_refresh(p->disk, 0);
	for (size_t f = 0; f < disk_count(p->disk); f++) {
		const struct disk_fs *fs = disk_get(p->disk, f);
		const struct disk_usage *du = &fs->du;
		double free_b = (double)(du->avail_bytes +
		    trash_waiting(p->trash, fs->dev));
		double free_i = (double)du->avail_inodes;

		need[f] = (struct need){ 0, 0 };
		if (fs->error != 0) {
			if ((int)f == root)
				return -fs->error;
			continue;	/* logged by disk.c */
		}
		if (free_b < config_mark_value(&rt->prune_below,
		    (double)du->total_bytes))
			need[f].b = config_mark_value(&rt->prune_until,
			    (double)du->total_bytes) - free_b;
		if (du->total_inodes > 0 && free_i < config_mark_value(
		    &rt->prune_below_inodes, (double)du->total_inodes))
			need[f].i = config_mark_value(&rt->prune_until_inodes,
			    (double)du->total_inodes) - free_i;
	}
	return 0;
}

static bool
any_need(const struct need *need, size_t n)
{
	for (size_t f = 0; f < n; f++)
		if (need[f].b > 0 || need[f].i > 0)
			return true;
	return false;
}

struct cand {
	uint32_t	node;
	int		cat, kind;
	long		cycle;
	int64_t		when;		/* newest modify, or latest use */
};

static int
by_cycle_desc(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->cycle < y->cycle ? 1 : x->cycle > y->cycle ? -1 : 0;
}

static int
by_age(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->when != y->when)
		return x->when < y->when ? -1 : 1;
	return x->cycle < y->cycle ? -1 : x->cycle > y->cycle;
}

/* Every canonical cycle directory of kind (k < 0: of both). */
static size_t
list_cycles(const struct policy *p, int k, struct cand **out, size_t *cap)
{
	const struct index *ix = &p->watch->ix;
	size_t n = 0;

	for (int kind = 0; kind < KIND_COUNT; kind++) {
		uint32_t root = watch_find(p->watch, p->layout->pred_root[kind]);
		if ((k >= 0 && kind != k) || root == IX_NIL ||
		    !(index_node(ix, root)->flags & IX_DIR))
			continue;
		IX_FOREACH(ix, index_dir(ix, root)->dirs, id) {
			long c;
			if (layout_parse_cycle(index_name(ix, id), &c) == -1 ||
			    array_grow((void **)out, cap, n + 1, sizeof(**out)) == -1)
				continue;
			(*out)[n++] = (struct cand){ id, CAT_GENERATED, kind, c,
			    index_dir(ix, id)->mtime };
		}
	}
	return n;
}

static void
item_path(const struct policy *p, const struct cand *c, char *path,
    size_t size)
{
	if (c->kind >= 0)
		layout_cycle_dir(p->layout, c->kind, c->cycle, NULL, path, size);
	else
		snprintf(path, size, "%s/%s", p->layout->roots[c->cat],
		    index_name(&p->watch->ix, c->node));
}

int
policy_plan(struct policy *p, struct policy_plan *plan)
{
	const struct retention *rt = p->rt;
	const struct index *ix = &p->watch->ix;
	struct need need[DISK_FS_MAX];
	size_t nfs = disk_count(p->disk);
	struct cand *v = NULL;
	size_t n, cap = 0;
	char path[PATH_MAX];
	int r, f;

	plan->n = 0;
	if (plan->nodes != NULL)
		memset(plan->nodes, 0xff, plan->nodecap * sizeof(*plan->nodes));
	/* Retention: the newest keep_last_cycles of each kind stay. */
	for (int k = 0; k < KIND_COUNT && rt->keep_last_cycles > 0; k++) {
		n = list_cycles(p, k, &v, &cap);
		if (n > 0)
			qsort(v, n, sizeof(*v), by_cycle_desc);
		for (size_t i = (size_t)rt->keep_last_cycles; i < n; i++) {
			struct policy_item *it;
			item_path(p, &v[i], path, sizeof(path));
			it = plan_add(plan, ix, v[i].node, path, CAT_GENERATED, k,
			    v[i].cycle);
			if (it != NULL)
				it->keep_last = true;
			if (it != NULL && !protect(p, it, NULL))
				snprintf(it->why, sizeof(it->why), "retention."
				    "keep_last_cycles=%ld: %ld newer %s cycles",
				    rt->keep_last_cycles, rt->keep_last_cycles,
				    layout_kind_names[k]);
		}
	}
	/*
	 * Free space, per filesystem: what is below prune_below on each,
	 * and how much to free there. A candidate counts only for the
	 * filesystem it is on.
	 */
	if ((r = needs(p, need)) < 0) {
		free(v);
		return r;
	}
	/* What retention already removes counts. */
	for (size_t i = 0; i < plan->n; i++)
		if (!plan->v[i].skipped &&
		    (f = item_fs(p, plan->v[i].cat, plan->v[i].kind)) >= 0) {
			need[f].b -= (double)plan->v[i].bytes;
			need[f].i -= (double)plan->v[i].files;
		}
	for (int pass = 0; pass < 2 && any_need(need, nfs); pass++) {
		/* Generated cycles oldest first, then prunable datasets LRU. */
		n = 0;
		if (pass == 0)
			n = list_cycles(p, -1, &v, &cap);
		for (int c = 0; pass == 1 && c < CAT_COUNT; c++) {
			uint32_t root = ix->tops[c].node;
			if (c == CAT_GENERATED || !rt->prunable[c])
				continue;
			IX_FOREACH(ix, index_dir(ix, root)->dirs, id) {
				const char *ds = index_name(ix, id);
				double ago = asked_ago(p, -1, 0, ds);
				int64_t when = index_dir(ix, id)->mtime;
				if (ds[0] == '.' || array_grow((void **)&v, &cap, n + 1,
				    sizeof(*v)) == -1)
					continue;
				/* A use through hycod counts as an access. */
				if (ago >= 0 && (int64_t)(time(NULL) - ago) > when)
					when = (int64_t)(time(NULL) - ago);
				v[n++] = (struct cand){ id, c, -1, 0, when };
			}
		}
		if (n > 0)
			qsort(v, n, sizeof(*v), by_age);
		for (size_t i = 0; i < n && any_need(need, nfs); i++) {
			struct policy_item *it;
			const struct ix_dir *d = index_dir(ix, v[i].node);
			const struct disk_fs *fs;
			f = item_fs(p, v[i].cat, v[i].kind);
			if (f < 0 || (need[f].b <= 0 && need[f].i <= 0))
				continue;	/* its filesystem has room */
			if (d->bytes == 0 && d->nfiles == 0)
				continue;	/* nothing to gain from it */
			item_path(p, &v[i], path, sizeof(path));
			it = plan_add(plan, ix, v[i].node, path, v[i].cat,
			    v[i].kind, v[i].cycle);
			if (it == NULL || protect(p, it, index_name(ix,
			    v[i].node)))
				continue;
			fs = disk_get(p->disk, (size_t)f);
			snprintf(it->why, sizeof(it->why), "%llu bytes and %llu "
			    "inodes free on %.256s, below retention.prune_below: %s "
			    "first", (unsigned long long)fs->du.avail_bytes,
			    (unsigned long long)fs->du.avail_inodes, fs->mount,
			    pass == 0 ? "oldest generated cycles" :
			    "least recently used prunable datasets");
			need[f].b -= (double)it->bytes;
			need[f].i -= (double)it->files;
		}
	}
	free(v);
	return 0;
}

void
policy_plan_free(struct policy_plan *plan)
{
	free(plan->nodes);
	free(plan->v);
	memset(plan, 0, sizeof(*plan));
}

/* -- running ------------------------------------------------------------ */

static void
prune_work(uv_work_t *w)
{
	struct prune_job *j = w->data;

	for (size_t i = 0; i < j->plan.n; i++) {
		struct policy_item *it = &j->plan.v[i];
		struct done *d = &j->done[i];
		struct remove_stats st = { 0 };
		char parent[PATH_MAX];
		char *slash;
		int fd;

		if (it->skipped)
			continue;
		snprintf(parent, sizeof(parent), "%s", it->path);
		slash = strrchr(parent, '/');
		*slash = '\0';
		if ((fd = fsutil_open_dir(parent)) == -1) {
			d->rc = -1;
			d->err = errno;
			continue;
		}
		d->rc = trash_discard(j->p->trash, fd, slash + 1, j->seq + i,
		    d->out, &d->which, &st);
		d->err = errno;
		/* Gone already: nothing to keep, counted as pruned. */
		if (d->rc == -1 && d->err == ENOENT)
			d->rc = 0;
		close(fd);
	}
}

static void
prune_done(uv_work_t *w, int status)
{
	struct prune_job *j = w->data;
	struct policy *p = j->p;
	uint64_t freed = 0, items = 0, cycles = 0;
	int f;

	p->running = false;
	for (size_t i = 0; i < j->plan.n && !p->closing; i++) {
		struct policy_item *it = &j->plan.v[i];
		struct done *d = &j->done[i];
		if (it->skipped)
			continue;
		if (status < 0 || d->rc == -1) {
			log_warnx("prune: %s: %s", it->path, strerror(status < 0 ?
			    -status : d->err));
			continue;
		}
		watch_refresh(p->watch, it->path, false);
		if (d->rc == 1)
			trash_put(p->trash, d->which, d->out, it->bytes, NULL, NULL);
		log_info("prune: removed %s, %llu bytes in %llu files (%s)",
		    it->path, (unsigned long long)it->bytes,
		    (unsigned long long)it->files, it->why);
		freed += it->bytes;
		/* No fill rate spans a removal; in place, space is free now. */
		if ((f = item_fs(p, it->cat, it->kind)) >= 0)
			disk_removed(p->disk, disk_get(p->disk, (size_t)f)->dev);
		p->stats.pruned_bytes += it->bytes;
		items++;
		if (it->kind >= 0) {
			p->stats.pruned_cycles++;
			cycles++;
			if (p->events != NULL)
				events_cycle_removed(p->events, it->kind,
				    it->cycle, it->path, it->bytes, it->keep_last ?
				    "keep_last_cycles" : "policy");
		} else
			p->stats.pruned_datasets++;
	}
	if (freed > 0)
		log_info("prune: pass done, %llu bytes now in the trash",
		    (unsigned long long)freed);
	if (items > 0 && p->events != NULL)
		events_prune(p->events, items, freed, cycles, items - cycles);
	trash_release(p->trash);	/* held since policy_run */
	policy_plan_free(&j->plan);
	free(j->done);
	free(j);
	if (p->again && !p->closing) {
		p->again = false;
		policy_run(p);
	}
}

void
policy_run(struct policy *p)
{
	struct prune_job *j;
	size_t todo = 0;
	int r;

	if (p->closing)
		return;
	if (p->running) {
		p->again = true;
		return;
	}
	if (backoff_waiting(&p->backoff, uv_now(p->loop)))
		return;
	/*
	 * The watermarks come from statvfs; the index only picks and sizes
	 * candidates, so a lagging index (unwatched parts, a re-scan) makes
	 * a pass less precise, never wrong: a candidate already gone is
	 * skipped. Waiting for exact would stop pruning under a watch limit.
	 */
	if (!p->watch->ready)
		return;
	watch_sync(p->watch);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	if (policy_plan(p, &j->plan) < 0 || (j->done = calloc(j->plan.n + 1,
	    sizeof(*j->done))) == NULL) {
		policy_plan_free(&j->plan);
		free(j);
		return;
	}
	for (size_t i = 0; i < j->plan.n; i++)
		todo += !j->plan.v[i].skipped;
	if (todo == 0) {
		/* Below a watermark with nothing it may remove: back off. */
		if (j->plan.n > 0) {
			p->stats.idle_passes++;
			log_debug("prune: %zu candidates, all protected; next "
			    "look in %u ms", j->plan.n,
			    backoff_step(&p->backoff, uv_now(p->loop)));
		}
		policy_plan_free(&j->plan);
		free(j->done);
		free(j);
		return;
	}
	backoff_reset(&p->backoff, uv_now(p->loop));
	p->stats.passes++;
	j->p = p;
	j->seq = trash_reserve(p->trash);
	j->work.data = j;
	/* prune_work may use the trash's descriptors: they stay open. */
	trash_hold(p->trash);
	if ((r = uv_queue_work(p->loop, &j->work, prune_work, prune_done)) < 0) {
		log_warnx("prune: uv_queue_work: %s", uv_strerror(r));
		trash_release(p->trash);
		policy_plan_free(&j->plan);
		free(j->done);
		free(j);
		return;
	}
	p->running = true;
}

void
policy_run_now(struct policy *p)
{
	backoff_waive(&p->backoff);
	policy_run(p);
}

static void
on_timer(uv_timer_t *h)
{
	policy_run(h->data);
}

static void
on_soon(uv_timer_t *h)
{
	struct policy *p = h->data;

	p->due = false;
	policy_run(p);
}

void
policy_soon(struct policy *p)
{
	/*
	 * Armed once, not pushed back by each request: under a steady
	 * stream of them a pass still runs every POLICY_SOON_MS.
	 */
	if (p->closing || p->due)
		return;
	p->due = true;
	uv_timer_start(&p->soon, on_soon, POLICY_SOON_MS, 0);
}

bool
policy_busy(const struct policy *p)
{
	return p->running || p->due;
}

void
policy_start(struct policy *p, uv_loop_t *loop, const struct layout *l,
    const struct retention *rt, struct watch *w, struct trash *t,
    struct disk *disk)
{
	uint64_t every = (uint64_t)(rt->check_interval_s * 1000);

	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->layout = l;
	p->rt = rt;
	p->watch = w;
	p->trash = t;
	p->disk = disk;
	asked_init(&p->asked);
	backoff_init(&p->backoff, PRUNE_BACKOFF_MIN_MS, PRUNE_BACKOFF_MAX_MS);
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_timer, every, every);
	uv_timer_init(loop, &p->soon);
	p->soon.data = p;
}

void
policy_retune(struct policy *p)
{
	uint64_t every = (uint64_t)(p->rt->check_interval_s * 1000);

	if (p->closing)
		return;
	uv_timer_start(&p->timer, on_timer, every, every);
	policy_run_now(p);
}

void
policy_close(struct policy *p)
{
	if (p->closing)
		return;
	p->closing = true;
	p->due = false;
	uv_close((uv_handle_t *)&p->timer, NULL);
	uv_close((uv_handle_t *)&p->soon, NULL);
	free(p->leases);
	asked_free(&p->asked);
	p->leases = NULL;
	p->nleases = 0;
}
