/*
 * textfile.h: metrics.textfile, for node_exporter's textfile collector.
 *
 * Every metrics.interval_s (and once when the daemon is ready) the
 * metrics are rendered on the loop and written on the thread pool to a
 * temporary file in the same directory (".<name>.<pid>.tmp": the
 * collector reads only *.prom), then renamed over the path, so the
 * collector, which reads whatever is there at scrape time, never sees
 * half a file. One write at a time; a tick that finds one running is
 * skipped. The file is left in place at exit: its age is what the
 * staleness alert (conf/prometheus/hyco-rules.yml) looks at.
 */
#ifndef HYCO_TEXTFILE_H
#define HYCO_TEXTFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct hycod;
struct textfile_job;

struct textfile {
	uv_loop_t		*loop;
	struct hycod		*d;
	const char		*path;		/* metrics.textfile; "" off */
	uint64_t		 every_ms;
	uv_timer_t		 timer;
	struct textfile_job	*job;		/* the write in flight */
	bool			 started, closing;
	bool			 failing;	/* the last write failed (logged) */
	uint64_t		 writes;	/* files written */
	uint64_t		 errors;	/* writes that failed */
};

/* Start writing path every interval_s; nothing when path is "". */
void	textfile_start(struct textfile *tf, uv_loop_t *loop,
	    struct hycod *d, const char *path, double interval_s);
/* Stop the timer; a write in flight finishes on the pool. */
void	textfile_close(struct textfile *tf);

#endif
