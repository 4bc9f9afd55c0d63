/*
 * check.h: hycoctl check, a Monitoring Plugins (Nagios) plugin made of
 * a summary: one line "HYCO STATE - text | perfdata" and its state.
 *
 * States are exit statuses: OK 0, WARNING 1, CRITICAL 2, UNKNOWN 3. A
 * filesystem's state is hycod's own level, or with marks given, its
 * free bytes (and with inodes, free inodes) held against them. Of
 * several filesystems the worst decides, in the order OK, UNKNOWN,
 * WARNING, CRITICAL: a figure that cannot be read does not hide a disk
 * known to be full. Perfdata follow the guidelines' syntax,
 * label=value[UOM];warn;crit;min;max, thresholds as ranges ("W:"
 * alerts below W), one label per filesystem when there are several
 * ("/mnt/b:free_bytes").
 */
#ifndef HYCO_CHECK_H
#define HYCO_CHECK_H

#include <stdio.h>

#include "hyco.h"

enum { CHECK_OK, CHECK_WARNING, CHECK_CRITICAL, CHECK_UNKNOWN };

/* --warn or --critical: a share of the filesystem, or an amount. */
struct check_mark {
	int	 set, pct;
	double	 value;		/* percent, or bytes (a count for inodes) */
};

struct check_opts {
	struct check_mark	 warn, crit;	/* neither set: hycod's levels */
	int			 inodes;	/* inodes too */
};

/*
 * Ask c for a summary into s (free it with hyco_summary_free) and make
 * the plugin's line of it, malloc'd into *line (NULL if out of memory,
 * said on stdout); the state. A daemon it cannot reach, or a reply it
 * cannot read, is an UNKNOWN line.
 */
int	check_run(hyco_client *c, const struct check_opts *o,
	    struct hyco_summary *s, char **line);
/* The plugin's line for s, without its newline, into out; its state. */
int	check_line(FILE *out, const struct check_opts *o,
	    const struct hyco_summary *s);
/* The status text as the line may hold it: no '|', no newline. */
void	check_text(FILE *out, const char *s);
/* "HYCO UNKNOWN - " fmt (one %s: arg) on stdout; CHECK_UNKNOWN. */
int	check_unknown(const char *fmt, const char *arg);

#endif
