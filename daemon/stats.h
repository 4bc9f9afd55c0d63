/*
 * stats.h: request statistics, and what get-cycle-dir is asked for.
 *
 * Per method: requests, error replies by code and a latency histogram
 * with fixed log2 buckets (2^0 .. 2^(STATS_BUCKETS-1) microseconds,
 * then one above). Latency runs from the message being framed (the
 * previous reply packed, within one connection's input: rpc.c) to its
 * reply being packed; for methods answered by a pool job (get-cycle-dir
 * when it creates, the removals) to the job's answer, so it includes
 * the wait for a pool thread and, with wait: true, for the trash. A
 * request whose connection closed before its answer counts in
 * requests, not in the histogram.
 *
 * Per dataset (at most max_datasets, first come; the rest in one other
 * bucket): get-cycle-dir hits (the directory existed) and misses (it
 * was created) per kind, and when it was last asked for.
 *
 * The method table is rpc.c's; slot STATS_UNKNOWN counts what names no
 * method (unknown methods, requests too large to read). Loop thread.
 */
#ifndef HYCO_STATS_H
#define HYCO_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "layout.h"
#include "proto.h"
#include "tally.h"

#define STATS_METHODS_MAX	32
#define STATS_BUCKETS		25	/* le 1 us .. 2^24 us (16.8 s) */
#define STATS_UNKNOWN		0	/* the method slot of no method */

struct stats_method {
	const char	*name;		/* static: rpc.c's table */
	uint64_t	 requests;	/* requests and notifications */
	uint64_t	 jobs;		/* of which handed to the thread pool */
	uint64_t	 errors[RPC_ERROR_COUNT];	/* error replies, by code */
	uint64_t	 latency[STATS_BUCKETS + 1];	/* last: above all */
	uint64_t	 latency_count;	/* answers timed */
	double		 latency_sum_s;
};

struct stats_dataset {
	char		 name[HYCO_DATASET_MAX + 1];
	uint64_t	 hits[KIND_COUNT];	/* get-cycle-dir: existed */
	uint64_t	 misses[KIND_COUNT];	/* get-cycle-dir: created */
	double		 last_asked;	/* Unix time, 0: never */
};

struct stats {
	struct stats_method	 methods[STATS_METHODS_MAX];
	int			 nmethods;
	struct stats_dataset	*ds;		/* sorted by name */
	size_t			 nds, capds;
	struct stats_dataset	 other;		/* beyond max_datasets */
	size_t			 max_datasets;	/* metrics.max_datasets */
	double			 since;		/* Unix time of start */
	/* Unix time less uv_hrtime, as read at wall_read (unix_at) */
	double			 wall_offset;
	uint64_t		 wall_read;	/* uv_hrtime; 0: never */
};

/* Slot 0 is "unknown"; methods are added with stats_method_add. */
void	stats_init(struct stats *s, size_t max_datasets);
void	stats_free(struct stats *s);
/* The slot of a method (name must outlive s); -1 if the table is full. */
int	stats_method_add(struct stats *s, const char *name);

void	stats_request(struct stats *s, int method);
/* One request of method handed to the thread pool (job.h). */
void	stats_job(struct stats *s, int method);
void	stats_error(struct stats *s, int method, enum rpc_error code);
void	stats_latency(struct stats *s, int method, uint64_t ns);
/*
 * get-cycle-dir answered for dataset: created (a miss) or not (a hit);
 * answered at uv_hrtime, 0: now.
 */
void	stats_cycle_dir(struct stats *s, int kind, const char *dataset,
	    bool created, uint64_t answered);

/* The bucket of a latency in ns (STATS_BUCKETS: above them all). */
int	stats_bucket(uint64_t ns);
/* Upper bound of bucket i in microseconds. */
uint64_t stats_bucket_us(int i);
/* Sums over every method: requests, errors of code. */
uint64_t stats_requests(const struct stats *s);
uint64_t stats_errors(const struct stats *s, enum rpc_error code);

/*
 * The stats reply's fields, into the open map m (PROTOCOL.md, stats):
 * methods and datasets from s, cycles from t, events from es and the
 * subscriber count.
 */
void	stats_pack(struct rpc_container *m, const struct stats *s,
	    const struct tally *t, const struct events_stats *es,
	    size_t subscribers);

#endif
