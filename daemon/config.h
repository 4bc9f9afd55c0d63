/*
 * config.h: the daemon's typed view of the trainers' YAML config.
 *
 * Files are composed and merged over built-in defaults, KEY=VALUE
 * overrides applied, interpolations resolved, then the keys the daemon
 * knows are type-checked and parsed into a fresh struct hyco_config.
 * Keys it does not know are ignored, so a trainer's config loads as is.
 *
 * Every key the daemon knows is one row of a table (config.c): its
 * type, built-in default, range, the offset of its field in struct
 * hyco_config and a line of documentation. The table drives checking,
 * parsing, the defaults --print-config shows, and config_keys_print()
 * (the hyco.yaml(5) page's source).
 */
#ifndef HYCO_CONFIG_H
#define HYCO_CONFIG_H

#include <stddef.h>

#include <stdio.h>

#include "access.h"
#include "cfg_tree.h"
#include "layout.h"

#define CONFIG_SYSTEM_PATH	"/etc/hyco/config.yaml"

/* A free-space watermark: a share of the filesystem, or an amount. */
struct mark {
	bool		pct;		/* value is a percentage */
	double		value;		/* percent, or bytes / inodes */
};

struct retention {
	long		keep_last_cycles;	/* 0: keep every cycle */
	double		protect_recent_s;	/* asked for this recently */
	struct mark	prune_below, prune_until, refuse_below;	/* bytes */
	struct mark	prune_below_inodes, prune_until_inodes,
			refuse_below_inodes;
	bool		prunable[CAT_COUNT];	/* generated always */
	double		check_interval_s;
};

#define CONFIG_ARGV_MAX	32	/* words in a command (alerts.command) */

/* Disk-space alerts (disk.h): levels per filesystem, and the hook. */
struct alerts {
	double		check_interval_s;	/* between samples */
	struct mark	warn_below, critical_below;		/* bytes */
	struct mark	warn_below_inodes, critical_below_inodes;
	struct mark	hysteresis, hysteresis_inodes;
	double		warn_time_to_full_s;	/* <= 0: never */
	double		fill_window_s;		/* samples the rate is fitted to */
	/* argv, NULL-terminated, pointing into the tree; [0] NULL: none. */
	const char	*command[CONFIG_ARGV_MAX + 1];
	double		command_timeout_s;
};

struct hyco_config {
	struct layout	 layout;		/* absolute, normalized paths */
	char		 socket[PATH_MAX];	/* absolute */
	unsigned	 socket_mode;		/* daemon.socket_mode */
	unsigned	 dir_mode;		/* daemon.dir_mode */
	size_t		 max_request_bytes;	/* daemon.max_request_bytes */
	unsigned	 max_clients;		/* daemon.max_clients */
	int		 log_level;		/* enum log_level */
	long		 busy_poll_us;		/* daemon.busy_poll_us */
	long		 max_watches;		/* daemon.max_watches, 0: any */
	double		 rescan_interval_s;	/* daemon.rescan_interval_s */
	int		 scan_threads;		/* daemon.scan_threads */
	unsigned	 max_jobs_per_client;	/* daemon.max_jobs_per_client */
	unsigned	 max_jobs;		/* daemon.max_jobs */
	char		 trash_dir[PATH_MAX];	/* retention.trash_dir */
	struct retention retention;		/* retention.* */
	struct alerts	 alerts;		/* alerts.* */
	size_t		 events_max_queued;	/* events.max_queued_bytes */
	char		 metrics_textfile[PATH_MAX]; /* "": none */
	double		 metrics_interval_s;	/* metrics.interval_s */
	size_t		 metrics_max_datasets;	/* metrics.max_datasets */
	struct access_rules access;		/* daemon.access.* */
	struct cfg_node	*tree;			/* resolved tree (print-config) */
	char		 cwd[PATH_MAX];		/* relative paths' base */
};

enum config_type {
	CONFIG_MAP,	/* a section: must be a mapping */
	CONFIG_STR,	/* a non-empty string */
	CONFIG_PATH,	/* a string, made absolute against the cwd */
	CONFIG_OPTPATH,	/* a path as CONFIG_PATH, or "" (or null): none */
	CONFIG_DATASET,	/* a dataset name (layout_valid_dataset) */
	CONFIG_INT,	/* decimal, min..max; into an int or a long */
	CONFIG_FLOAT,	/* a number in (min, max], unless both are 0 */
	CONFIG_MODE,	/* octal file mode, 0..max */
	CONFIG_LEVEL,	/* debug, info, warn or error */
	CONFIG_MARK,	/* 5% of the filesystem, or an amount like 20G */
	CONFIG_CATS,	/* categories, comma-separated */
	CONFIG_ARGV,	/* a list of strings (a command), or null: none */
	CONFIG_ACCESS,	/* users and groups, a list or a string (access.h) */
};

#define CONFIG_NO_FIELD	((size_t)-1)	/* checked, not kept */

struct config_key {
	const char	*key;		/* dotted, "daemon.max_clients" */
	enum config_type type;
	const char	*def;		/* built-in default; NULL: none */
	long		 min, max;	/* range, by type (above) */
	size_t		 off;		/* of the field in struct hyco_config */
	size_t		 size;		/* of that field */
	const char	*doc;		/* one line */
};

#define CONFIG_MAX_OVERRIDES	64	/* KEY=VALUE arguments */

/*
 * --print-config: a failure OmegaConf would raise (a missing key, a
 * cycle, bad grammar) is an error in any key, as a trainer's
 * OmegaConf.to_container(resolve=True) would fail on it; without it
 * only the keys the daemon keeps must resolve, and the rest is warned
 * about.
 */
#define CONFIG_STRICT	0x1

/*
 * Load files in order (later wins; each composed as Hydra composes a
 * primary config, overrides that choose a group consumed there), apply
 * the other overrides, resolve and check. Relative paths resolve
 * against the current directory. On error returns -1 with every
 * problem found collected in e; cfg is untouched. What is left
 * unresolved (a resolver hycod does not know, a ??? group) is warned
 * about in warn either way.
 */
int	config_load_flags(struct hyco_config *cfg, const char *const *files,
	    int nfiles, const char *const *overrides, int noverrides,
	    int flags, struct cfg_errors *e, struct cfg_errors *warn);
/* config_load_flags without flags, its warnings dropped. */
int	config_load(struct hyco_config *cfg, const char *const *files,
	    int nfiles, const char *const *overrides, int noverrides,
	    struct cfg_errors *e);
void	config_free(struct hyco_config *cfg);

/* The table of keys, in the order they are checked and printed. */
const struct config_key *config_keys(size_t *count);
/* "int", "path", ...: the name of a key's type. */
const char	*config_type_name(enum config_type type);
/* What a key accepts, "1..65536" or "debug|info|warn|error", into buf. */
void	config_key_allowed(const struct config_key *k, char *buf,
	    size_t size);
/* Each key as "key<TAB>type<TAB>default<TAB>allowed<TAB>doc". */
void	config_keys_print(FILE *out);

/* "10%", "5G", "500M", "123": 0 or -1. Suffixes are powers of 1000. */
int	config_parse_mark(const char *s, struct mark *m);
/* The mark's threshold on a filesystem of total (bytes or inodes). */
double	config_mark_value(const struct mark *m, double total);

/* $HYCO_CONFIG, else ./conf/config.yaml if present, else /etc/hyco. */
const char *config_default_path(void);

#endif
