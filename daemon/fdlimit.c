/* fdlimit.c: the descriptors hycod needs, against RLIMIT_NOFILE. */
#include "fdlimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "remove.h"
#include "scan.h"
#include "trash.h"
#include "watch.h"

#define POOL_DEFAULT	4	/* libuv's threads without UV_THREADPOOL_SIZE */
#define POOL_MAX	1024	/* libuv's cap on it */
/*
 * Standard streams, the loop's epoll and signal pipe, libuv's async
 * and spare accept descriptors, the listener, inotify, and a margin
 * for short-lived ones (the socket check, /proc reads).
 */
#define FIXED_FDS	32
/* A scan's stat batches each hold their directory, at most this many. */
#define SCAN_BATCH_FDS	16
/* A removal job's own: a root, its listing, a cycle, remove_at's start. */
#define JOB_FDS		4

void
fdlimit_budget(const struct hyco_config *cfg, struct fd_budget *b)
{
	const char *env = getenv("UV_THREADPOOL_SIZE");
	unsigned long scan = SCAN_MAX_DEPTH + 1 + SCAN_BATCH_FDS;
	unsigned long removal = REMOVE_MAX_DEPTH + 1 + JOB_FDS;

	/* As libuv reads it (threadpool.c init_threads). */
	b->pool_threads = POOL_DEFAULT;
	if (env != NULL && atoi(env) > 0)
		b->pool_threads = (unsigned long)atoi(env);
	if (b->pool_threads > POOL_MAX)
		b->pool_threads = POOL_MAX;
	b->clients = cfg->max_clients;
	b->per_thread = scan > removal ? scan : removal;
	b->fixed = FIXED_FDS + TRASH_MAX + WATCH_ADOPT_DEPTH + 1;
	b->total = b->clients + b->pool_threads * b->per_thread + b->fixed;
}

int
fdlimit_check(const struct hyco_config *cfg)
{
	struct fd_budget b;
	struct rlimit rl;
	rlim_t was;

	fdlimit_budget(cfg, &b);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("fdlimit_check: getrlimit");
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= b.total)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < b.total) {
		log_warnx("RLIMIT_NOFILE: this config needs up to %lu file "
		    "descriptors (daemon.max_clients=%lu connections, %lu "
		    "thread-pool threads (UV_THREADPOOL_SIZE) x %lu for a scan "
		    "or removal, %lu for the loop, inotify and the trash), but "
		    "the hard limit is %llu: lower daemon.max_clients or "
		    "UV_THREADPOOL_SIZE, or raise the limit (ulimit -Hn, "
		    "LimitNOFILE= in the unit)", b.total, b.clients,
		    b.pool_threads, b.per_thread, b.fixed,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	was = rl.rlim_cur;
	rl.rlim_cur = b.total;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("fdlimit_check: setrlimit RLIMIT_NOFILE to %lu",
		    b.total);
		return -1;
	}
	log_info("RLIMIT_NOFILE: soft limit raised from %llu to %lu, what "
	    "daemon.max_clients=%lu and %lu thread-pool threads need",
	    (unsigned long long)was, b.total, b.clients, b.pool_threads);
	return 0;
}
