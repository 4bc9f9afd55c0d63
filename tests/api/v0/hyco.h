/*
 * hyco.h: libhyco, the blocking C client of hycod. (tests/api/v0: the
 * header as first released, before the API notes of README.md; kept to
 * prove that tests/api/old.c is a program written against it.)
 *
 * One hyco_client is one connection, used by one thread at a time; there
 * is no global state, so a program may hold as many as it likes. Every
 * call connects on first use and reconnects by itself when the daemon
 * was restarted between two calls. A call whose connection breaks after
 * the request was sent is not retried (it may have run): it returns
 * HYCO_ECONNECT and the next call reconnects.
 *
 * Every call returns HYCO_OK (0) or a negative enum hyco_status; then
 * hyco_error_code() gives the daemon's code ("invalid_argument", ...)
 * or a local one ("connect", "timeout", "protocol", "argument",
 * "memory"), and hyco_error_message() the text.
 */
#ifndef HYCO_H
#define HYCO_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Socket used when none is given and $HYCO_SOCKET is unset. */
#define HYCO_DEFAULT_SOCKET	"cache/hycod.sock"

typedef struct hyco_client hyco_client;

enum hyco_status {
	HYCO_OK = 0,
	HYCO_EREFUSED = -1,	/* the daemon answered with an error */
	HYCO_ECONNECT = -2,	/* cannot reach the daemon, or it went away */
	HYCO_ETIMEOUT = -3,	/* no answer in time */
	HYCO_EPROTO = -4,	/* the answer was not what the protocol says */
	HYCO_EINVAL = -5,	/* bad argument to a library call */
	HYCO_ENOMEM = -6,
};

/*
 * A client for socket_path; NULL means $HYCO_SOCKET, else
 * HYCO_DEFAULT_SOCKET. Does not connect yet. NULL only if out of memory
 * or the path is longer than a Unix socket allows.
 */
hyco_client	*hyco_new(const char *socket_path);
void		 hyco_free(hyco_client *c);
/* Milliseconds; call_ms < 0 waits forever (the default: removals can be long). */
void		 hyco_set_timeouts(hyco_client *c, int connect_ms, int call_ms);
/* Connect now (calls do it themselves when needed). */
int		 hyco_connect(hyco_client *c);
const char	*hyco_socket_path(const hyco_client *c);
const char	*hyco_error_code(const hyco_client *c);
const char	*hyco_error_message(const hyco_client *c);

struct hyco_ping {
	char		version[32];
	long		pid;
	double		uptime_s;
};

struct hyco_cleanup {
	uint64_t	freed_bytes;
	size_t		nremoved;
	char		**removed;	/* absolute paths; hyco_cleanup_free */
};

struct hyco_dataset_usage {
	char		*name;
	uint64_t	tensors, generated, eval;
};

struct hyco_cycle_usage {
	char		kind[16];	/* "synthetic" or "physical" */
	long		cycle;
	uint64_t	bytes, files;
};

struct hyco_summary {
	uint64_t			 tensors, generated, eval, total, files;
	size_t				 ndatasets;
	struct hyco_dataset_usage	*datasets;
	size_t				 ncycles;
	struct hyco_cycle_usage		*cycles;
	uint64_t			 disk_free_bytes, disk_total_bytes;
	char				*disk_path;
	/* The daemon's index: whether the figures above are exact. */
	int				 exact;
	uint64_t			 watched_dirs, unwatched_dirs;
	uint64_t			 tracked_files, index_bytes;
	uint64_t			 overflows, rescans;
	double				 last_rescan;	/* Unix time */
};

struct hyco_disk_check {
	int		ok;		/* 1 if available >= required */
	uint64_t	available_bytes, required_bytes;
	char		path[4096];
};

int	hyco_ping(hyco_client *c, struct hyco_ping *out);
/* kind "synthetic"/"physical"; dataset NULL for the daemon's default. */
int	hyco_get_cycle_dir(hyco_client *c, const char *kind, long cycle,
	    const char *dataset, char *path, size_t pathsz, int *created);
/* kind NULL or "all" for both kinds. */
int	hyco_cleanup_cycle(hyco_client *c, long cycle, const char *kind,
	    struct hyco_cleanup *out);
void	hyco_cleanup_free(struct hyco_cleanup *r);
int	hyco_cleanup_generated(hyco_client *c, uint64_t *freed_bytes);
int	hyco_summary(hyco_client *c, struct hyco_summary *out);
void	hyco_summary_free(struct hyco_summary *s);
int	hyco_disk_check(hyco_client *c, uint64_t required_bytes,
	    struct hyco_disk_check *out);

/* Generic call, for methods without a typed wrapper. */
enum hyco_arg_type { HYCO_ARG_INT, HYCO_ARG_STR, HYCO_ARG_BOOL, HYCO_ARG_FLOAT };

struct hyco_arg {
	const char		*name;
	enum hyco_arg_type	 type;
	int64_t			 i;	/* HYCO_ARG_INT, HYCO_ARG_BOOL */
	const char		*s;	/* HYCO_ARG_STR */
	double			 f;	/* HYCO_ARG_FLOAT */
};

/*
 * Call method with nargs named arguments. On HYCO_OK *result points to
 * the reply's result, valid until the next call on c.
 */
int	hyco_call(hyco_client *c, const char *method, const struct hyco_arg *args,
	    size_t nargs, const msgpack_object **result);
/* Print a result as JSON (maps, lists, strings, numbers, bools, null). */
void	hyco_print_json(FILE *out, const msgpack_object *o);

#ifdef __cplusplus
}
#endif

#endif
