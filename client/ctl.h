/*
 * ctl.h: what hycoctl's files share (hycoctl only, not libhyco): the
 * parsed options, the result a command's call fills in, exit statuses,
 * and each command's functions, which hycoctl.c's table of commands
 * points at.
 *
 * A command NAME has up to five functions, ctl_NAME_ROLE: args checks
 * the options before connecting (0, or -1 said why), call makes the
 * typed libhyco call (HYCO_OK or its status), print shows its result as
 * text, status gives the exit status of a result, done frees it. They
 * live in the file named for what the command shows:
 *
 *   ctl_report.c  figures: summary, disk-check, check, stats, metrics
 *   ctl_tree.c    changes to the cache tree: cycle-dir, cleanup, clean,
 *                 prune
 *   ctl_daemon.c  the daemon itself: ping, reload, config
 *   ctl_watch.c   events as they happen: watch
 */
#ifndef HYCO_CTL_H
#define HYCO_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "hyco.h"

#define EXIT_REFUSED	1	/* the daemon said no, or bad usage */
#define EXIT_NOSPACE	2	/* disk-check: not enough free space */
#define EXIT_UNREACHABLE 3	/* the daemon cannot be reached */
#define MAX_CONFIG_FILES 16

struct opts {
	const char	*files[MAX_CONFIG_FILES];
	int		 nfiles;
	const char	*socket;
	int		 json, verbose;
	const char	*kind, *dataset, *required;
	long		 cycle;
	int		 have_cycle;
	const char	*arg;		/* the command's operand: clean's target */
	int		 yes;		/* clean: confirmed on the command line */
	int		 dry_run;
	uint64_t	 required_bytes;	/* disk-check, from required */
	const char	*warn, *critical;	/* check: 15% or 20G */
	struct check_opts check;		/* check: from those, --inodes */
	int		 watch;			/* summary --watch */
	double		 interval;		/* its seconds, 0: default */
	const char	*events;	/* watch: the types, comma-separated */
};

/* What a command's call returns, for its output. */
union result {
	struct hyco_ping	ping;
	struct {
		char		path[4096];
	}			dir;
	struct hyco_cleanup	cleanup;
	struct hyco_summary	summary;
	struct hyco_disk_check	disk;
	struct hyco_prune	prune;
	struct hyco_reload	reload;
	struct {
		struct hyco_summary s;
		int		 status;	/* EXIT_* of the plugin */
		char		*line;		/* what it prints */
	}			check;
	struct hyco_stats	stats;
	struct {
		const char	*text;
		size_t		 len;
	}			metrics;
	const hyco_value	*value;		/* config: the whole result */
};

/* Bytes as the seed's GB, powers of 1000. */
static inline double
gb(uint64_t bytes)
{
	return (double)bytes / 1e9;
}

/* hycoctl.c */
/* "hycoctl: " fmt (one %s: arg), then the usage, on stderr; -1. */
int	ctl_usage_error(const char *fmt, const char *arg);
/* The exit status of a call's rc; a failure said on stderr. */
int	ctl_status_exit(hyco_client *c, int rc);

/* ctl_report.c */
int	ctl_summary_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_summary_print(const struct opts *o, const union result *r);
void	ctl_summary_done(union result *r);
int	ctl_disk_check_args(struct opts *o);
int	ctl_disk_check_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_disk_check_print(const struct opts *o, const union result *r);
int	ctl_disk_check_status(const union result *r);
/* check's bad arguments exit at once: the plugin's UNKNOWN line. */
int	ctl_check_args(struct opts *o);
int	ctl_check_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_check_print(const struct opts *o, const union result *r);
int	ctl_check_status(const union result *r);
void	ctl_check_done(union result *r);
int	ctl_stats_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_stats_print(const struct opts *o, const union result *r);
void	ctl_stats_done(union result *r);
int	ctl_metrics_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_metrics_print(const struct opts *o, const union result *r);

/* ctl_tree.c */
int	ctl_cycle_dir_args(struct opts *o);
int	ctl_cycle_dir_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_cycle_dir_print(const struct opts *o, const union result *r);
int	ctl_cleanup_args(struct opts *o);
int	ctl_cleanup_call(hyco_client *c, const struct opts *o,
	    union result *r);
/* cleanup's and clean's output: what was freed and removed. */
void	ctl_cleanup_print(const struct opts *o, const union result *r);
void	ctl_cleanup_done(union result *r);
/* clean asks first, unless --yes or plain 'clean generated'. */
int	ctl_clean_args(struct opts *o);
int	ctl_clean_call(hyco_client *c, const struct opts *o,
	    union result *r);
int	ctl_prune_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_prune_print(const struct opts *o, const union result *r);
void	ctl_prune_done(union result *r);

/* ctl_daemon.c */
int	ctl_ping_call(hyco_client *c, const struct opts *o, union result *r);
void	ctl_ping_print(const struct opts *o, const union result *r);
int	ctl_reload_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_reload_print(const struct opts *o, const union result *r);
int	ctl_reload_status(const union result *r);
void	ctl_reload_done(union result *r);
int	ctl_config_call(hyco_client *c, const struct opts *o,
	    union result *r);
void	ctl_config_print(const struct opts *o, const union result *r);

/* ctl_watch.c */
int	ctl_watch_args(struct opts *o);
/*
 * watch has no call: it subscribes, then prints each event as it
 * comes until the daemon stops (0 after its shutdown event), drops us
 * (1) or goes away (3). Its exit status.
 */
int	ctl_watch_stream(hyco_client *c, const struct opts *o);

#endif
