/*
 * fdlimit.h: the file descriptors hycod may hold at once, against
 * RLIMIT_NOFILE, checked at start-up.
 *
 * What holds them: one per connection (daemon.max_clients); on each
 * thread-pool thread (UV_THREADPOOL_SIZE, libuv's default 4) one scan
 * (a descriptor per directory level, SCAN_MAX_DEPTH, and its stat
 * batches') or one removal (REMOVE_MAX_DEPTH levels, and the job's own
 * few); and a fixed part: standard streams, the loop's own, the
 * listener, inotify, the trash directories, a new directory read in
 * place (WATCH_ADOPT_DEPTH levels). A soft limit below that is raised
 * to it; a hard limit below it refuses the start, naming the numbers
 * and the keys that set them, rather than failing accept or a removal
 * half-way later.
 */
#ifndef HYCO_FDLIMIT_H
#define HYCO_FDLIMIT_H

#include <sys/resource.h>

#include "config.h"

struct fd_budget {
	unsigned long	clients;	/* daemon.max_clients */
	unsigned long	pool_threads;	/* UV_THREADPOOL_SIZE */
	unsigned long	per_thread;	/* a scan or a removal at most */
	unsigned long	fixed;		/* everything else */
	unsigned long	total;
};

/* What cfg (and the environment's UV_THREADPOOL_SIZE) needs. */
void	fdlimit_budget(const struct hyco_config *cfg, struct fd_budget *b);

/*
 * Raise the soft RLIMIT_NOFILE to what cfg needs, up to the hard
 * limit: 0 (logged at info when raised); -1 when the hard limit is
 * below it, or setrlimit fails (logged, with the figures).
 */
int	fdlimit_check(const struct hyco_config *cfg);

#endif
