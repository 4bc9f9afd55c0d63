/*
 * policy.h: what hycod removes without being asked, and when it refuses.
 *
 * Retention: when a cycle directory is asked for, prediction caches of
 * all but the newest retention.keep_last_cycles cycles of that kind go.
 * Free space, in the manner of cachefilesd's brun/bcull/bstop, on each
 * filesystem's own figures (disk.h): where a filesystem has less than
 * prune_below free (bytes or inodes), the generated cycles on it are
 * pruned oldest first until it has prune_until free again; tensor and
 * eval datasets on it only when retention.prunable names them, least
 * recently used first. Below refuse_below on the filesystem of a
 * kind's prediction cache, new cycle directories of that kind are
 * refused (no_space). A cycle a connection leases (the
 * one it last asked for, per kind) or that was asked for within
 * protect_recent_s is never pruned; it is looked at again on the next
 * check once that ends. A pass that frees nothing backs off.
 *
 * Loop thread; removals go through the trash (trash.h).
 */
#ifndef HYCO_POLICY_H
#define HYCO_POLICY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "asked.h"
#include "backoff.h"
#include "config.h"
#include "disk.h"
#include "events.h"
#include "fsutil.h"
#include "trash.h"
#include "watch.h"

struct policy_item {
	char		path[PATH_MAX];
	int		cat;		/* enum category */
	int		kind;		/* enum kind; -1 for a dataset */
	long		cycle;
	uint32_t	node;		/* in the index */
	uint64_t	bytes, files;	/* as the index holds them */
	bool		skipped;	/* protected: why says by what */
	char		why[512];
	bool		keep_last;	/* beyond keep_last_cycles (or space) */
};

struct policy_plan {
	struct policy_item	*v;
	size_t			 n, cap;
	uint32_t		*nodes;		/* index nodes in v, hashed */
	size_t			 nodecap;
};

struct policy_stats {
	uint64_t	pruned_bytes;	/* removed by policy */
	uint64_t	pruned_cycles;
	uint64_t	pruned_datasets;
	uint64_t	passes;		/* passes that removed something */
	uint64_t	idle_passes;	/* below a watermark, nothing to free */
	uint64_t	refused;	/* get-cycle-dir refused: refuse_below */
};

struct lease;

struct policy {
	uv_loop_t		*loop;
	const struct layout	*layout;
	const struct retention	*rt;
	struct watch		*watch;
	struct trash		*trash;
	struct disk		*disk;		/* each filesystem's figures */
	uv_timer_t		 timer;
	uv_timer_t		 soon;		/* a pass asked for (policy_soon) */
	bool			 due;		/* soon is armed */
	struct lease		*leases;
	size_t			 nleases, capleases;
	struct asked_table	 asked;		/* last asked, bounded */
	bool			 running;	/* a removal job in flight */
	bool			 closing;
	bool			 again;		/* run once more after it */
	struct backoff		 backoff;	/* after idle passes */
	struct policy_stats	 stats;
	struct events		*events;	/* set after policy_start */
};

void	policy_start(struct policy *p, uv_loop_t *loop, const struct layout *l,
	    const struct retention *rt, struct watch *w, struct trash *t,
	    struct disk *disk);
void	policy_close(struct policy *p);
/*
 * The retention settings changed in place (reload): check every new
 * retention.check_interval_s, and run a pass now, no backing off.
 */
void	policy_retune(struct policy *p);

/*
 * conn was given kind's cycle for dataset by its request seq (arrival
 * order): its lease, unless a later request of conn holds it, and a
 * use.
 */
void	policy_lease(struct policy *p, const void *conn, uint64_t seq,
	    int kind, long cycle, const char *dataset);
/* conn closed: its leases end. */
void	policy_release(struct policy *p, const void *conn);
/* Whether kind's cycle is leased by any connection. */
bool	policy_leased(const struct policy *p, int kind, long cycle);

/*
 * Is the filesystem of kind's prediction cache below refuse_below
 * (bytes or inodes), sampled now? why says by how much.
 */
bool	policy_refuse(struct policy *p, int kind, char *why, size_t size);

/* What a pass would remove now, and why (also what it must skip). */
int	policy_plan(struct policy *p, struct policy_plan *plan);
void	policy_plan_free(struct policy_plan *plan);

/* Plan and remove now (unless backing off or already running). */
void	policy_run(struct policy *p);
/*
 * A pass within POLICY_SOON_MS (policy_run then): what a request
 * changed (a new cycle, a lease moved) is looked at soon, once for a
 * whole burst of requests rather than once each.
 */
#define POLICY_SOON_MS	20
void	policy_soon(struct policy *p);
/* A pass is due (policy_soon) or removing: summary's pruning. */
bool	policy_busy(const struct policy *p);
/* policy_run, asked for (prune): no backing off this time. */
void	policy_run_now(struct policy *p);

#endif
