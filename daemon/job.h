/*
 * job.h: filesystem work a request hands to the thread pool. dispatch.c
 * fills in a job's arguments on the loop thread and queues job_work;
 * job_work (pool) fills in its results and touches nothing else; the
 * reply is made back on the loop thread (dispatch.c's after_work).
 */
#ifndef HYCO_JOB_H
#define HYCO_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "fsutil.h"
#include "hycod.h"
#include "trash.h"

#define ERRMSG_MAX	(PATH_MAX * 2 + 256)

/* Where a reply goes; notify means no reply at all (msgpack-RPC). */
struct reply {
	struct hycod	*d;
	struct conn	*conn;
	uint32_t	 msgid;
	bool		 notify;
};

enum job_type {
	JOB_CYCLE_DIR, JOB_CLEANUP_CYCLE, JOB_CLEANUP_GENERATED, JOB_CLEAN,
	JOB_DISK_CHECK
};

/*
 * Work for the thread pool. Arguments are copied in on the loop thread,
 * results copied out by job_work, and only after_work (loop thread
 * again) touches the connection or the daemon.
 */
struct job {
	uv_work_t		 work;
	struct reply		 r;
	enum job_type		 type;
	/* arguments */
	int			 kind;
	long			 cycle;
	char			 dataset[HYCO_DATASET_MAX + 1];
	uint64_t		 required;
	/* results */
	int			 err;		/* errno, 0 on success */
	char			 errmsg[ERRMSG_MAX];
	bool			 created;
	char			 path[PATH_MAX];
	uint64_t		 freed;
	bool			 removed[KIND_COUNT];
	bool			 wait;		/* reply once the bytes are freed */
	bool			 leased;	/* a connection leases the cycle */
	uint64_t		 seq;		/* names in the trash */
	uint64_t		 root_bytes[KIND_COUNT]; /* index, at request */
	struct moved {
		int		 which;		/* trash */
		char		 name[TRASH_NAME_MAX];
		uint64_t	 bytes;		/* index bytes it held */
	}			*moved;		/* renamed into the trash */
	size_t			 nmoved, capmoved;
	int			 pending;	/* trash items to wait for */
	unsigned		 targets;	/* clean: 1 << enum category */
	char			**taken;	/* clean: paths removed */
	size_t			 ntaken, captaken;
	struct disk_usage	 du;
};

/* Thread pool: do j's work (uv_work_cb). */
void	job_work(uv_work_t *w);
/* Record j's first failure as errno err on what path. */
void	job_fail(struct job *j, int err, const char *what, const char *path);

#endif
