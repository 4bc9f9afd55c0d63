/*
 * rpc_int.h: what rpc.c (the table, decoding, checks) shares with the
 * handlers in rpc_cache.c and rpc_status.c; private to the three.
 */
#ifndef HYCO_RPC_INT_H
#define HYCO_RPC_INT_H

#include "job.h"
#include "log.h"
#include "rpc.h"
#include "tally.h"

/* -- replies (rpc.c) ---------------------------------------------------- */

/*
 * The packer for r's result, its header packed; a notification's is
 * packed into a scratch buffer, then dropped. Marks r answered.
 */
msgpack_packer	*reply_result(struct reply *r);

/* Answer r with an error (counted in the statistics, timed). */
void		 reply_error(struct reply *r, enum rpc_error code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The wire code of a failed errno: internal, no_space or io_error. */
enum rpc_error	 errno_code(int err);

/*
 * The cache root's filesystem, its figures (with all: every
 * filesystem's) at most DISK_SUMMARY_MAX_AGE_MS old when r came; NULL,
 * r answered, when its statvfs fails.
 */
const struct disk_fs *root_disk(struct reply *r, bool all);

/*
 * -- arguments (rpc.c) --------------------------------------------------
 * Each reads one argument of args, or its default when absent; -1 when
 * it is wrong, r answered with invalid_params.
 */
int	arg_cycle(struct reply *r, const msgpack_object_map *args, long *cycle);
int	arg_kind(struct reply *r, const msgpack_object_map *args,
	    bool required, bool allow_all, int *kind);
int	arg_dataset(struct reply *r, const msgpack_object_map *args, char *out);
int	arg_wait(struct reply *r, const msgpack_object_map *args, bool *wait);

/* -- jobs --------------------------------------------------------------- */

/* A job for r, answered by answer_job; NULL (r answered) without memory. */
struct job	*new_job(struct reply *r, enum job_type type);

/* Run j; when it cannot run, answer and drop it now (rpc.c). */
void		 start_job(struct job *j);

/* The reply to a job that ended (rpc_cache.c). */
void		 answer_job(const struct job *j);

/*
 * A request whose answer is made of the index, during the start-up
 * scan: answered once the scan is in (rpc_scan_ready); refused now when
 * too many wait already (rpc.c).
 */
void		 park(struct reply *r);

/* -- handlers, one a row of the method table ---------------------------- */

/* rpc_cache.c */
void	m_get_cycle_dir(struct reply *r, const msgpack_object_map *args);
void	m_cleanup_cycle(struct reply *r, const msgpack_object_map *args);
void	m_cleanup_generated(struct reply *r, const msgpack_object_map *args);
void	m_clean(struct reply *r, const msgpack_object_map *args);
void	m_prune(struct reply *r, const msgpack_object_map *args);
void	m_disk_check(struct reply *r, const msgpack_object_map *args);

/* rpc_status.c */
void	rpc_summary_free(struct hycod *d);
void	m_ping(struct reply *r, const msgpack_object_map *args);
void	m_summary(struct reply *r, const msgpack_object_map *args);
void	m_subscribe(struct reply *r, const msgpack_object_map *args);
void	m_unsubscribe(struct reply *r, const msgpack_object_map *args);
void	m_stats(struct reply *r, const msgpack_object_map *args);
void	m_metrics(struct reply *r, const msgpack_object_map *args);
void	m_reload(struct reply *r, const msgpack_object_map *args);
void	m_config(struct reply *r, const msgpack_object_map *args);

#endif
