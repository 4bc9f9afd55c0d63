/*
 * metrics.h: the daemon's figures in Prometheus's text exposition
 * format (version 0.0.4): the metrics method's reply and the textfile
 * node_exporter reads (textfile.h).
 *
 * Names follow Prometheus's practice: the hyco_ prefix, base units in
 * the name (_bytes, _seconds), _total on counters, hyco_build_info for
 * the version. Labels take bounded values only (category, kind,
 * method, code, filesystem, and dataset up to metrics.max_datasets);
 * there is never a series per cycle, path or user. Every figure is one
 * that summary or stats reports too (PROTOCOL.md names the pairs).
 */
#ifndef HYCO_METRICS_H
#define HYCO_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "fsutil.h"

#define METRICS_FS_MAX		8	/* filesystems reported */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
/* The label of what metrics.max_datasets leaves out: no dataset's name. */
#define METRICS_OTHER_DATASET	".other"

struct hycod;

/*
 * One filesystem holding a root, as the disk monitor sees it: the rows
 * of the hyco_filesystem_* series.
 */
struct metrics_fs {
	char			path[4096];	/* a root on it: the label */
	char			device[32];	/* "major:minor" */
	struct disk_usage	du;
	int			level;		/* EVENTS_LEVEL_*, -1: none */
	double			time_to_full_s;	/* NAN: not filling, unknown */
};

/* A growing text buffer; nomem once a write could not grow it. */
struct metrics_text {
	char	*s;
	size_t	 len, cap;
	bool	 nomem;
};

/*
 * The filesystems to report into fs (at most max); their number, or
 * -errno when one cannot be read. Today only the cache root's, with no
 * level: the disk monitor, once it runs, fills these rows instead.
 */
int	metrics_filesystems(const struct hycod *d, struct metrics_fs *fs,
	    size_t max);

/*
 * Render every metric into out (cleared first). 0, -ENOMEM, or -errno
 * of a statvfs that failed. The index is read as it is: sync it first.
 */
int	metrics_render(struct metrics_text *out, const struct hycod *d);
void	metrics_text_free(struct metrics_text *t);

#endif
