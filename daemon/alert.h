/*
 * alert.h: the alert hook, alerts.command, run for one filesystem.
 *
 * disk.c tells a hook each level change with the variables that
 * describe it; the hook runs the command with them in its environment
 * (and HYCO_ALERT_LEVEL, HYCO_ALERT_PREVIOUS of its own), started with
 * uv_spawn so the loop never waits for it. At most one command runs per
 * hook: changes that come while it runs are kept, the latest only, and
 * told once it ends, if the level then differs from the one last told.
 * A command that outlives alerts.command_timeout_s gets SIGTERM, and
 * SIGKILL ALERT_KILL_GRACE_MS later, as its whole process group (it
 * runs in a session of its own). Its exit status and the first
 * ALERT_STDERR_MAX bytes of its stderr are logged.
 *
 * Loop thread only.
 */
#ifndef HYCO_ALERT_H
#define HYCO_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

#define ALERT_VARS_MAX		4096	/* bytes of a change's variables */
#define ALERT_STDERR_MAX	512	/* bytes of its stderr logged */
#define ALERT_KILL_GRACE_MS	1000	/* from SIGTERM to SIGKILL */
#define ALERT_EOF_GRACE_MS	200	/* stderr after the exit, at most */

/* Counted per hook; disk.c adds them up for summary. */
struct alert_stats {
	uint64_t	runs;		/* commands started */
	uint64_t	failures;	/* not started, or did not exit 0 */
	uint64_t	timeouts;	/* killed after command_timeout_s */
	uint64_t	coalesced;	/* changes never told on their own */
};

/* One change: its level and the variables that describe it. */
struct alert_change {
	const char	*level;			/* a level name */
	char		 vars[ALERT_VARS_MAX];	/* "NAME=value\0...\0\0" */
	size_t		 len;			/* of vars, both NULs in */
};

struct alert_hook {
	uv_loop_t		*loop;
	const struct alerts	*cfg;
	const char		*name;		/* for the log: a mount point */
	uv_process_t		 proc;
	uv_pipe_t		 err;		/* the command's stderr */
	uv_timer_t		 timer;		/* timeout, kill grace, EOF grace */
	int			 open;		/* of proc and err, not closed yet */
	bool			 running;	/* proc and err in use */
	bool			 exited, eof, timed_out, closing;
	int64_t			 status;
	int			 signal;
	const char		*told;		/* level the command last got */
	const char		*told_before;	/* the one before: its PREVIOUS */
	bool			 pending;	/* next holds a change not told */
	unsigned		 skipped;	/* changes since the last run */
	struct alert_change	 next;		/* the latest change */
	struct alert_change	 now;		/* the one running */
	char			 errbuf[ALERT_STDERR_MAX];
	size_t			 errlen;
	struct alert_stats	 stats;
};

/*
 * name (kept, not copied) says which filesystem in the log; initial is
 * the level the command is taken to know at start ("ok").
 */
void	alert_init(struct alert_hook *h, uv_loop_t *loop,
	    const struct alerts *cfg, const char *name, const char *initial);
/*
 * The level changed to level (a name that stays valid): tell the
 * command, now or once the running one ends; its HYCO_ALERT_PREVIOUS
 * is the level it was last told. vars is "NAME=value\0...\0\0", len
 * bytes; copied. Nothing runs without alerts.command.
 */
void	alert_notify(struct alert_hook *h, const char *level,
	    const char *vars, size_t len);
/* Shut down: a running command gets SIGTERM now, SIGKILL after grace. */
void	alert_close(struct alert_hook *h);

#endif
