/*
 * disk.h: the disk monitor. The free space of every filesystem that
 * holds part of the cache tree, a level for each, and alerts.
 *
 * The filesystems are those of the cache root, the tensor, generated
 * and eval roots, both prediction caches and every trash, grouped by
 * st_dev when the daemon starts (a filesystem mounted over a root later
 * is seen at the next start, as the trash sees it). Each is sampled
 * with statvfs every alerts.check_interval_s, after every removal (a
 * trash item deleted, a request that removed something), and whenever
 * a caller asks for figures fresher than it has (disk_refresh).
 *
 * Levels: ok, warning, critical, on free bytes (alerts.warn_below,
 * alerts.critical_below) and on free inodes (the _inodes keys), each a
 * share of the filesystem or an amount. A level is entered as soon as
 * free space is below its threshold, and left only once free space is
 * above that threshold by more than alerts.hysteresis (a share of the
 * filesystem or an amount; alerts.hysteresis_inodes for inodes), so
 * free space that hovers at a threshold changes the level once.
 *
 * Time to full: the fill rate is the least-squares slope of free bytes
 * over the timer's samples of the last alerts.fill_window_s (at most
 * DISK_HISTORY of them), once there are DISK_RATE_MIN_SAMPLES; a
 * removal (ours, or free space growing by more than DISK_REMOVAL_SHARE
 * of the filesystem between two samples) starts the history afresh,
 * so no fit spans one. time_to_full_s is free bytes over that rate
 * while it is positive, else "not filling" (< 0, null on the wire). A
 * time to full within alerts.warn_time_to_full_s raises warning; that
 * ends when the filesystem stops filling or its time to full is more
 * than DISK_TTF_CLEAR times that.
 *
 * A filesystem's level is the worst of the three. Each change is
 * logged once (warn for warning, crit for critical, info for ok), told
 * to the transition callback, and to alerts.command (alert.h).
 *
 * TODO: statvfs runs on the loop thread. On a local filesystem it takes
 * about a microsecond; on NFS a server that does not answer would block
 * the loop, and every client with it. The cache tree on NFS is not
 * supported anyway (inotify does not see other hosts' changes), so the
 * figures stay synchronous, which keeps summary and the watermarks
 * exact; to lift that, sample on the thread pool with a deadline and
 * serve the last sample marked stale.
 *
 * Loop thread only.
 */
#ifndef HYCO_DISK_H
#define HYCO_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <uv.h>

#include "alert.h"
#include "config.h"
#include "fsutil.h"
#include "layout.h"
#include "trash.h"

#define DISK_PATHS_MAX		(2 + CAT_COUNT + KIND_COUNT + TRASH_MAX)
#define DISK_FS_MAX		DISK_PATHS_MAX	/* at most one each */
#define DISK_HISTORY		64	/* samples kept for the fill rate */
#define DISK_RATE_MIN_SAMPLES	4	/* fewer: the rate is unknown */
#define DISK_REMOVAL_SHARE	0.001	/* free space growing by this much
					   between samples: a removal */
#define DISK_TTF_CLEAR		1.25	/* the time-to-full warning ends
					   above this many times its mark */
/*
 * How old the figures summary, disk-check and metrics report may be:
 * a filesystem older than this when a request comes is sampled for it,
 * one statvfs per filesystem at most every 100 ms however many requests
 * come, and none while none do. Removals sample at once (disk_removed).
 */
#define DISK_SUMMARY_MAX_AGE_MS	100

enum disk_level { DISK_OK, DISK_WARNING, DISK_CRITICAL, DISK_LEVELS };
extern const char *const disk_level_names[DISK_LEVELS];

/* What part of the tree a filesystem holds: bits of disk_fs.roots. */
enum disk_role {
	DISK_ROLE_CACHE_ROOT,
	DISK_ROLE_TENSORS,	/* DISK_ROLE_CAT(CAT_TENSORS), in enum category order */
	DISK_ROLE_GENERATED,
	DISK_ROLE_EVAL,
	DISK_ROLE_SYNTHETIC,	/* DISK_ROLE_KIND(KIND_SYNTHETIC) */
	DISK_ROLE_PHYSICAL,
	DISK_ROLE_TRASH,
	DISK_ROLES,
};
#define DISK_ROLE_CAT(c)	(DISK_ROLE_TENSORS + (c))
#define DISK_ROLE_KIND(k)	(DISK_ROLE_SYNTHETIC + (k))
/* "cache_root", "tensors", ..., "synthetic_preds", "physical_preds", "trash" */
extern const char *const disk_role_names[DISK_ROLES];

/* A timer sample of free bytes, for the fill rate; t in seconds. */
struct disk_point {
	double		t, free;
};

/*
 * One filesystem. Everything above the private part is for readers
 * (rpc.c's summary, policy.c, events and metrics), read-only, valid
 * until disk_close.
 */
struct disk_fs {
	/* Which filesystem: fixed at disk_start. */
	dev_t		 dev;
	char		 device[24];	/* "major:minor" */
	const char	*path;		/* its first root: what is sampled */
	char		 mount[PATH_MAX];	/* mount point; path if unknown */
	char		 fstype[32];	/* from /proc/self/mountinfo; "" */
	char		 source[256];	/* the mounted device, "tmpfs"; "" */
	unsigned	 roots;		/* 1 << enum disk_role */
	/* The latest sample. */
	struct disk_usage du;		/* avail_* are what users may use */
	uint64_t	 sampled_ns;	/* uv_hrtime() then; 0: none yet */
	double		 sampled_at;	/* Unix time then */
	int		 error;		/* errno of the last statvfs; 0 */
	/* The thresholds on this filesystem, from its totals. */
	uint64_t	 warn_bytes, critical_bytes;
	uint64_t	 warn_inodes, critical_inodes;
	/* Levels and the fill rate. */
	enum disk_level	 level;		/* the worst of the three */
	enum disk_level	 level_bytes, level_inodes;
	bool		 filling_fast;	/* time_to_full_s within the mark */
	double		 fill_rate;	/* bytes/s the free space falls by */
	double		 time_to_full_s; /* < 0: not filling */
	char		 reason[320];	/* why level, in words */
	uint64_t	 transitions;	/* level changes since start */
	/* Private to disk.c. */
	const char	*paths[DISK_PATHS_MAX];	/* every root on it */
	int		 npaths;
	struct disk_point hist[DISK_HISTORY];	/* a ring */
	int		 hhead, hn;
	struct alert_hook hook;
};

/* Counted since start, reported by summary. */
struct disk_stats {
	uint64_t	samples;	/* statvfs calls */
	uint64_t	sample_errors;	/* of which failed */
	uint64_t	transitions;	/* level changes, all filesystems */
};

/*
 * Called on every level change of fs, after it is logged and before
 * alerts.command is started; fs holds the figures that caused it.
 */
typedef void (*disk_transition_fn)(void *arg, const struct disk_fs *fs,
    enum disk_level from, enum disk_level to);

struct disk {
	uv_loop_t		*loop;
	const struct alerts	*cfg;
	size_t			 n;
	struct disk_fs		 fs[DISK_FS_MAX];
	uv_timer_t		 timer;
	bool			 closing;
	disk_transition_fn	 on_transition;
	void			*on_transition_arg;
	struct disk_stats	 stats;
	uint64_t		 gen;		/* bumped by every sample */
};

/*
 * Find the filesystems of l's roots and t's trashes; the first sample
 * is taken on the loop's first turn, then every check_interval_s.
 * -1 (logged) if no root can be found at all.
 */
int	disk_start(struct disk *d, uv_loop_t *loop, const struct alerts *cfg,
	    const struct layout *l, const struct trash *t);
/*
 * The alerts settings changed in place (reload): sample every
 * alerts.check_interval_s from now on, and each filesystem now, so its
 * level follows the new thresholds at once.
 */
void	disk_retune(struct disk *d);
/* Stop sampling; a running alert command gets SIGTERM (alert_close). */
void	disk_close(struct disk *d);
/* Where level changes go (main.c; fn NULL: nowhere). */
void	disk_on_transition(struct disk *d, disk_transition_fn fn, void *arg);

/* The filesystems, 0 .. disk_count() - 1, in the order found. */
size_t	disk_count(const struct disk *d);
const struct disk_fs *disk_get(const struct disk *d, size_t i);
/* The one holding role (enum disk_role), or -1. */
int	disk_of_role(const struct disk *d, int role);
/* The worst level of all. */
enum disk_level disk_worst(const struct disk *d);
/* Counters of the alert hooks, all filesystems added up. */
void	disk_alert_stats(const struct disk *d, struct alert_stats *out);

/*
 * Sample every filesystem whose figures are older than max_age_ms (0:
 * all of them, now), or just filesystem i; levels follow at once. The
 * _at forms take now (uv_hrtime()) from the caller, who has read it
 * already: a request's arrival, so no clock read while fresh.
 */
void	disk_refresh(struct disk *d, uint64_t max_age_ms);
void	disk_refresh_at(struct disk *d, uint64_t now_ns, uint64_t max_age_ms);
const struct disk_fs *disk_refresh_one(struct disk *d, size_t i,
	    uint64_t max_age_ms);
const struct disk_fs *disk_refresh_one_at(struct disk *d, size_t i,
	    uint64_t now_ns, uint64_t max_age_ms);
/*
 * Something on filesystem dev ((dev_t)0: on any) was removed: its
 * fill history starts afresh and it is sampled now.
 */
void	disk_removed(struct disk *d, dev_t dev);

/* -- the arithmetic, on its own for tests ------------------------------- */

/*
 * The level of one figure after cur, free space now free against the
 * thresholds warn and crit (0: none) with hysteresis hyst.
 */
enum disk_level disk_level_next(enum disk_level cur, double free, double warn,
	    double crit, double hyst);
/*
 * The rate at which free space falls over p[0..n-1] (bytes/s, least
 * squares; > 0: filling). -1 if n < DISK_RATE_MIN_SAMPLES or the
 * points span no time.
 */
int	disk_fill_rate(const struct disk_point *p, size_t n, double *rate);
/*
 * From a /proc/self/mountinfo stream: the mount of device dev that
 * holds path (absolute, links resolved), the longest such mount point.
 * "\040" and the other escapes are decoded. -1 if none.
 */
int	disk_find_mount(FILE *mountinfo, dev_t dev, const char *path,
	    char *mount, size_t msize, char *fstype, size_t fsize,
	    char *source, size_t ssize);

#endif
