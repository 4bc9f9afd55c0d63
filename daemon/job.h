/*
 * job.h: the filesystem work of a request, its whole life.
 *
 * rpc.c makes a job on the loop thread (job_new), fills in its
 * arguments and starts it (job_start). On the thread pool the job makes
 * a cycle directory or renames removals into the trash, writing only
 * its own results. Back on the loop thread the daemon's
 * own changes go into the index, removals are queued in the trash, and
 * the job's answer callback packs the reply: at once, or with wait once
 * every byte is freed. Then the job frees itself.
 */
#ifndef HYCO_JOB_H
#define HYCO_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "fsutil.h"
#include "rpc.h"
#include "trash.h"

#define JOB_ERRMSG_MAX	(PATH_MAX * 2 + 256)
/*
 * The parts of the tree a removal takes from: the prediction caches by
 * kind, then (clean) the tensor and eval caches by category.
 */
#define JOB_PARTS	(KIND_COUNT + CAT_COUNT)
#define JOB_PART_CAT(c)	(KIND_COUNT + (c))

enum job_type {
	JOB_CYCLE_DIR, JOB_CLEANUP_CYCLE, JOB_CLEANUP_GENERATED, JOB_CLEAN
};

struct job;

/* A cycle directory a removal may take, as the index held it then. */
struct job_cycle {
	int		kind;
	long		cycle;
	uint64_t	bytes;
};

/*
 * Loop thread: pack the reply to j (err, errmsg and the results are
 * set). Called only while j's connection is open.
 */
typedef void (*job_answer_fn)(const struct job *j);

/*
 * Arguments are copied in on the loop thread, results filled in on the
 * thread pool, and only the loop half touches the connection or the
 * daemon.
 */
struct job {
	uv_work_t		 work;
	struct reply		 r;
	enum job_type		 type;
	job_answer_fn		 answer;
	/* arguments */
	int			 kind;
	long			 cycle;
	char			 dataset[HYCO_DATASET_MAX + 1];
	unsigned		 targets;	/* clean: 1 << enum category */
	bool			 wait;		/* reply once freed */
	bool			 leased;	/* a connection leases it */
	bool			 measure;	/* no index yet (start-up scan):
						   count what is taken */
	uint64_t		 seq;		/* names in the trash */
	uint64_t		 held[JOB_PARTS]; /* index bytes, at request */
	struct job_cycle	*cycles;	/* emptying a root: its cycles */
	size_t			 ncycles, capcycles;
	/* results */
	int			 err;		/* errno, 0 on success */
	char			 errmsg[JOB_ERRMSG_MAX];
	bool			 created;
	char			 path[PATH_MAX];
	bool			 took[JOB_PARTS]; /* found something there */
	uint64_t		 freed;		/* held, of the parts it took */
	uint64_t		 measured;	/* counted, with measure */
	struct moved {
		int		 which;		/* trash */
		char		 name[TRASH_NAME_MAX];
		uint64_t	 bytes;		/* index bytes it held */
	}			*moved;		/* renamed into the trash */
	size_t			 nmoved, capmoved;
	char			**taken;	/* clean: paths removed */
	size_t			 ntaken, captaken;
	int			 pending;	/* trash items to wait for */
};

/* A job of type for the request r, answered by answer; NULL: no memory. */
struct job *job_new(const struct reply *r, enum job_type type,
	    job_answer_fn answer);
/*
 * Run j on the thread pool; its connection stays alive until it is
 * answered. -1 (logged) when it cannot be queued: then nothing runs,
 * and the caller answers and frees j.
 */
int	job_start(struct job *j);
void	job_free(struct job *j);

/*
 * The cycle directory path was given to c, created by the request or
 * there already: counted (a miss or a hit), announced when created,
 * leased to r's connection while it is open (unless a request it sent
 * later holds the lease already: jobs end in any order), and a policy
 * pass asked for. The loop half of a get-cycle-dir job, and all of one
 * the index answers. answered: when (uv_hrtime), 0 for now.
 */
void	job_cycle_dir_given(const struct reply *r, int kind, long cycle,
	    const char *dataset, const char *path, bool created,
	    uint64_t answered);

#endif
