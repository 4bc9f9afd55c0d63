/*
 * watch_int.h: what watch.c (events, reconciling) and rescan.c (scan
 * jobs, replay, overflow) share; private to the two.
 */
#ifndef HYCO_WATCH_INT_H
#define HYCO_WATCH_INT_H

#include <sys/inotify.h>

#include "scan.h"
#include "watch.h"

/* No IN_OPEN/IN_ACCESS: the daemon's own scans must not feed its queue. */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | \
			 IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define PARENT_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_ONLYDIR)
#define READ_BUF	(64 * 1024)
#define READ_ROUNDS	16	/* reads per wake-up; then clients get a turn */
#define DEFER_TRIES	20	/* stale-path retries before a re-scan */
#define RETRY_MS	5
#define LOG_MAX		(1u << 20)	/* events kept for replay */
#define ADOPT_BUDGET	4096	/* entries read in place per wake-up */
#define OVERFLOW_BACKOFF_MIN_MS	100
#define OVERFLOW_BACKOFF_MAX_MS	5000	/* a storm: a re-scan every 5 s at most */
#define QUIET_MS	10000	/* overflows further apart reset the backoff */
#define JOB_TARGETS	4096	/* directories per scan job */

struct watch_target {
	uint32_t	node, drec, gen;
	bool		top;		/* follow a symlink at its path */
	bool		rescan;		/* not a first look: count it */
};

struct log_ent {
	int32_t		wd;
	uint32_t	mask;
	uint32_t	name;		/* offset in names */
	uint8_t		nlen;
};

struct watch_log {
	struct log_ent	*e;
	size_t		 n, cap;
	char		*names;
	size_t		 nameslen, namescap;
	bool		 overflowed;	/* dropped some: re-scan again */
};

struct scan_job {
	uv_work_t		 work;
	struct watch		*w;
	struct index		 ix;
	struct watch_target	*t;
	size_t			 n;
	char			**paths;
	bool			*follow;
	struct scan_opts	 opts;
	struct scan_stats	 st;
	int			 rc;
	bool			 full;
	bool			 rescan;	/* some target is a re-scan */
	uint64_t		 start;
};

/* watch.c */
bool	watch__dir_valid(const struct index *ix, uint32_t node, uint32_t drec,
	    uint32_t gen);
int	watch__top_of(const struct watch *w, uint32_t node);
void	watch__handle_event(struct watch *w, const struct inotify_event *ev,
	    bool replay);
void	watch__free_all(struct watch *w);
void	watch__mark_dirty(struct watch *w, struct dirty_set *s, uint32_t dir,
	    const char *name, size_t len, uint8_t tries);
void	watch__unwatch(void *arg, int32_t wd);		/* ix_unwatch_fn */
void	watch__on_retry(uv_timer_t *h);	/* w->retry: process dirty again */
double	watch__now(void);
void	watch__parent_watch(struct watch *w, int i);
void	watch__look_again(struct watch *w, uint32_t node);
void	watch__check_exact(struct watch *w);

/* watch_reconcile.c */
void	watch__process_dirty(struct watch *w);

/* rescan.c */
void	watch__target(struct watch *w, uint32_t node, bool rescan);
void	watch__start_job(struct watch *w);
void	watch__overflow(struct watch *w);
void	watch__log_event(struct watch *w, const struct inotify_event *ev,
	    size_t len);
bool	watch__under_scan(const struct index *ix, uint32_t dir);
void	watch__warn_unwatched(struct watch *w, const struct scan_stats *st);
void	watch__on_tick(uv_timer_t *h);

#endif
