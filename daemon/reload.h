/*
 * reload.h: reading the config again while running (SIGHUP, systemd's
 * ExecReload=, the reload method), OpenBGPD's reconfigure(): the same
 * files and overrides given at start are loaded into a fresh struct;
 * only when that is valid is it swapped in, key by key through the
 * table of config.c. Keys a running daemon cannot change (where the
 * tree, the socket and the trash are: reload_restart_only) keep their
 * old value and are reported as refused; every other key takes its new
 * value in place, in the same struct hyco_config, so the modules that
 * hold pointers into it (policy: retention, disk and its hooks: alerts,
 * watch, trash: layout) read the new values from then on, and each is
 * told to apply them now (timers, limits, a policy pass). An invalid
 * config changes nothing and every error is reported.
 *
 * Loop thread only.
 */
#ifndef HYCO_RELOAD_H
#define HYCO_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct hycod;

/* What the daemon was started with: read again at each reload. */
struct reload_source {
	const char *const	*files;
	int			 nfiles;
	const char *const	*overrides;
	int			 noverrides;
	const char		*socket;	/* --socket, or NULL */
};

/* One key whose value differs: as --print-config would show them. */
struct reload_change {
	const char	*key;		/* the table's, static */
	char		*from, *to;
};

struct reload_list {
	struct reload_change	*v;
	size_t			 n, cap;
};

struct reload_report {
	bool			ok;	/* valid: swapped in */
	struct reload_list	changed; /* applied */
	struct reload_list	refused; /* need a restart: old value kept */
	struct cfg_errors	errors;	/* "file:line: key: message" */
};

/*
 * Load src into cfg: the files and overrides, then --socket; flags as
 * config_load_flags (CONFIG_STRICT for --print-config), what is left
 * unresolved outside the daemon's keys warned about in warn. -1 with
 * every error in e; cfg is untouched then.
 */
int	reload_read(const struct reload_source *src, struct hyco_config *cfg,
	    int flags, struct cfg_errors *e, struct cfg_errors *warn);

/*
 * Read the config again and apply what may change live; why names the
 * cause in the log ("SIGHUP"). rep says what happened (free it with
 * reload_report_free). Tells systemd RELOADING=1, then READY=1.
 */
void	reload_run(struct hycod *d, const char *why, struct reload_report *rep);
void	reload_report_free(struct reload_report *rep);

/* Whether changing key needs a restart. */
bool	reload_restart_only(const char *key);

#endif
