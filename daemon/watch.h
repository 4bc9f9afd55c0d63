/*
 * watch.h: keep the index equal to the tree, with inotify.
 *
 * Loop thread only. The inotify descriptor is read directly (uv_poll),
 * in bounded rounds so a storm cannot starve socket clients. Every
 * event names a (directory, name) to look at again; those are collected
 * per round, deduplicated and reconciled with one fstatat each, so what
 * the index records is what the filesystem says now, not what an event
 * claimed. Directories that arrive with content, roots that vanish and
 * reappear, queue overflows and directories left unwatched (watch
 * limit) are re-scanned on the thread pool (scan.h) and grafted in;
 * events seen meanwhile are replayed afterwards.
 */
#ifndef HYCO_WATCH_H
#define HYCO_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "backoff.h"
#include "index.h"
#include "layout.h"
#include "tally.h"

#define WATCH_MAX_TOPS	(CAT_COUNT + KIND_COUNT)
/* Levels of a new directory read in place, a descriptor each, at once. */
#define WATCH_ADOPT_DEPTH	32

struct watch_opts {
	int64_t		max_watches;	/* 0: as many as the kernel allows */
	double		rescan_interval_s; /* for unwatched directories */
	int		scan_threads;	/* 1 or 2 */
};

struct watch_stats {
	uint64_t	events;		/* inotify events read */
	uint64_t	reconciled;	/* (directory, name) pairs looked at */
	uint64_t	overflows;	/* IN_Q_OVERFLOW seen */
	uint64_t	rescans;	/* scans run after overflow or for
					   unwatched or vanished parts */
	uint64_t	arrivals;	/* directories scanned on arrival */
	uint64_t	scan_errors;	/* entries a scan could not read */
	double		last_rescan;	/* wall time the last scan ended */
	double		last_scan_s;	/* how long it took */
	uint64_t	exact_lost;	/* times the index stopped being exact */
};

/*
 * The index stopped (exact false) or started again being exact once
 * the first scan is in. why names what made it inexact: "overflow",
 * "full_rescan", "unwatched", "arrival", "rescan", "pending" or
 * "out_of_memory"; lost_s how long that lasted. Events still queued in
 * the kernel are not looked at: they are applied within milliseconds.
 */
typedef void (*watch_exact_fn)(void *arg, bool exact, const char *why,
	    double lost_s);

struct watch_target;
struct watch_log;
struct dirty_set;
struct watch_moves;

struct watch {
	uv_loop_t		*loop;
	const struct layout	*layout;
	struct watch_opts	 opts;
	struct index		 ix;
	int			 fd;		/* inotify */
	uv_poll_t		 poll;
	uv_timer_t		 delay;		/* a backed-off full re-scan */
	uv_timer_t		 retry;		/* stale paths */
	uv_timer_t		 tick;		/* unwatched parts, lost roots */
	int			 handles;	/* open, for watch_close */
	int			 ntops;
	char			*top_path[WATCH_MAX_TOPS];
	size_t			 top_len[WATCH_MAX_TOPS]; /* strlen, for locate */
	int32_t			 parent_wd[WATCH_MAX_TOPS]; /* tops' parents */
	struct dirty_set	*dirty;		/* to reconcile this round */
	struct dirty_set	*deferred;	/* path was stale: retry */
	struct watch_target	*targets;	/* to scan, in order */
	size_t			 ntargets, captargets;
	struct watch_log	*log;		/* events during a scan */
	struct watch_moves	*moves;		/* renames' first halves */
	void			*job;		/* the scan running, if any */
	bool			 full_pending;	/* rescan everything next */
	bool			 unwatched_due;	/* tick: rescan unwatched parts */
	bool			 warned_limit;	/* the watch limit is logged */
	bool			 ready;		/* first scan grafted */
	bool			 closing;
	struct backoff		 overflow;	/* full rescans in a storm */
	uint64_t		 last_overflow;	/* uv_now of the last one */
	char			*buf;		/* inotify read buffer */
	void			(*on_ready)(void *);
	void			*arg;
	struct watch_stats	 stats;
	watch_exact_fn		 on_exact;	/* set after watch_start */
	void			*exact_arg;
	bool			 exact_known;	/* settled is set */
	bool			 settled;	/* exact, when last looked */
	uint64_t		 lost_at;	/* uv_now when it stopped */
	const char		*lost_why;
	uint64_t		 overflows_seen; /* stats.overflows then */
	uint64_t		 synced_round;	/* watch_sync_exact's round, 0 */
	bool			 synced_exact;	/* and its answer */
};

/*
 * Open inotify, then scan every root of l on the thread pool; on_ready
 * runs once the index is exact for the first time. -1 if inotify or
 * memory is missing (logged).
 */
int	watch_start(struct watch *w, uv_loop_t *loop, const struct layout *l,
	    const struct watch_opts *o, void (*on_ready)(void *), void *arg);

/*
 * New options (reload): max_watches for every watch added from now on,
 * scan_threads for the next scan job, rescan_interval_s restarts the
 * timer of unwatched parts.
 */
void	watch_set_opts(struct watch *w, const struct watch_opts *o);

/* Close the handles (the loop finishes a running scan first). */
void	watch_close(struct watch *w);

/*
 * Look at path (absolute, a root or inside one), the directories on the
 * way to it and, with contents, what it holds again, now: the daemon's
 * own mkdir and removals are in the index before their reply goes out.
 * Nothing to do before the first scan is in: it brings the change.
 */
void	watch_refresh(struct watch *w, const char *path, bool contents);

/*
 * Apply the events queued so far, now: a summary asked for after a
 * change sees it. Bounded like any read; a storm may leave some queued.
 */
void	watch_sync(struct watch *w);

/* The index node at path, or IX_NIL. */
uint32_t watch_find(const struct watch *w, const char *path);

/* Bytes the index holds at path (a file or a whole directory). */
uint64_t watch_bytes(const struct watch *w, const char *path);

/* True when every figure is known to the byte. */
bool	watch_exact(const struct watch *w);

/*
 * watch_sync, then watch_exact, for a request that reads the index:
 * one FIONREAD when the kernel has queued nothing, which is the rule.
 * round is the server's round the request is handled in (conn_round;
 * 0: none): the requests of one round were all read, so sent, before
 * it began, so whatever their clients did before sending them was
 * queued before it too, and the first answer in the round holds for
 * the rest, unless the watch changed meanwhile.
 */
bool	watch_sync_exact(struct watch *w, uint64_t round);

/* Paths being (or about to be) re-scanned, at most n; their number. */
size_t	watch_rescanning(const struct watch *w, const char **paths, size_t n);

int	watch_tally(const struct watch *w, struct tally *t);

#endif
