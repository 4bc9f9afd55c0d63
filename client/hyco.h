/*
 * hyco.h: libhyco, the blocking C client of hycod.
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
 *
 * How this header stays compatible. The library exports only hyco_*
 * (lib/libhyco.so, soname libhyco.so.0) and no type of the msgpack-c
 * library it is built on, so that dependency can change freely.
 *
 * Result structs (struct hyco_summary and the others below) are
 * filled by the *_sized functions, which take the caller's sizeof of
 * the struct: a program built against an older header passes a smaller
 * size, and the library writes only that much (and frees what it cannot
 * hand over), so fields can be added at the end of a struct without
 * breaking it. A program built against a newer header than its library
 * gets the fields the library does not know zeroed. This is the
 * extensible-struct pattern of Linux's openat2(2) and clone3(2); it was
 * chosen over opaque handles with one accessor per field because the
 * figures stay plain struct members, as programs already read them.
 * The function-like macros named for each method (hyco_summary(),
 * hyco_ping(), ...) pass sizeof for the caller. Elements of lists in
 * results (datasets, cycles, prune items) are reached through arrays
 * of pointers, so each element struct can grow at its end the same way.
 * Fields are only ever added at the end of a struct; none is removed,
 * reordered or retyped within soname 0.
 *
 * struct hyco_arg and the enums are frozen: their layout and values
 * never change; a new argument type or value type gets a new number.
 */
#ifndef HYCO_H
#define HYCO_H

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

/* -- values: a reply as the daemon sent it --------------------------------- */

/*
 * A value of a reply (msgpack's data model). Every hyco_value a call
 * hands out belongs to the client and stays valid until the next call
 * on it, or hyco_free(). Every accessor takes NULL (a missing value)
 * and then fails or returns NULL, so lookups can be chained:
 *	hyco_value_uint(hyco_map_get(hyco_map_get(r, "disk"), "free_bytes"), &v)
 */
typedef struct hyco_value hyco_value;

enum hyco_type {
	HYCO_TYPE_NONE = 0,	/* no value (NULL) */
	HYCO_TYPE_NIL,
	HYCO_TYPE_BOOL,
	HYCO_TYPE_INT,		/* any integer, -2^63 to 2^64-1 */
	HYCO_TYPE_FLOAT,
	HYCO_TYPE_STR,		/* bytes; the daemon sends UTF-8 except for
				   file names, which are whatever the disk has */
	HYCO_TYPE_BIN,
	HYCO_TYPE_ARRAY,
	HYCO_TYPE_MAP,
	HYCO_TYPE_EXT,		/* msgpack extension: never sent by hycod */
};

enum hyco_type	 hyco_value_type(const hyco_value *v);
/* Each returns 0 and sets *out, or -1 if v is not of that type or range. */
int		 hyco_value_bool(const hyco_value *v, int *out);
int		 hyco_value_int(const hyco_value *v, int64_t *out);
int		 hyco_value_uint(const hyco_value *v, uint64_t *out);
/* A float, or an integer converted to double. */
int		 hyco_value_float(const hyco_value *v, double *out);
/* The bytes of a STR (or BIN) and their count; not NUL-terminated. NULL if
   v is not one. */
const char	*hyco_value_str(const hyco_value *v, size_t *len);
const char	*hyco_value_bin(const hyco_value *v, size_t *len);
/* Arrays: element count (0 for a non-array) and element i (NULL past it). */
size_t		 hyco_array_len(const hyco_value *v);
const hyco_value *hyco_array_at(const hyco_value *v, size_t i);
/* Maps: pair count, key and value of pair i, value of a string key. */
size_t		 hyco_map_len(const hyco_value *v);
const hyco_value *hyco_map_key(const hyco_value *v, size_t i);
const hyco_value *hyco_map_val(const hyco_value *v, size_t i);
const hyco_value *hyco_map_get(const hyco_value *v, const char *key);

/* -- the generic call ----------------------------------------------------- */

enum hyco_arg_type { HYCO_ARG_INT, HYCO_ARG_STR, HYCO_ARG_BOOL, HYCO_ARG_FLOAT };

struct hyco_arg {
	const char		*name;
	enum hyco_arg_type	 type;
	int64_t			 i;	/* HYCO_ARG_INT, HYCO_ARG_BOOL */
	const char		*s;	/* HYCO_ARG_STR */
	double			 f;	/* HYCO_ARG_FLOAT */
};

/*
 * Call method with nargs named arguments. On HYCO_OK *result (if
 * result is not NULL) is the reply's result, valid until the next call.
 */
int	hyco_call(hyco_client *c, const char *method, const struct hyco_arg *args,
	    size_t nargs, const hyco_value **result);
/*
 * The result of the last call on c that returned HYCO_OK, typed calls
 * included (all of it, fields the typed struct does not hold as well);
 * NULL after a failed call. Valid until the next call.
 */
const hyco_value *hyco_result(const hyco_client *c);

/* -- typed calls ------------------------------------------------------------ */

/*
 * Flags of the typed calls that take them. A flag a method does not
 * take is HYCO_EINVAL.
 */
#define HYCO_WAIT	0x1u	/* removals: reply once the bytes are freed */
#define HYCO_CONFIRM	0x2u	/* clean: required, or the daemon refuses */
#define HYCO_DRY_RUN	0x4u	/* prune: only say what would go */

/*
 * Every typed call checks the type of every field of the reply it
 * reads; a field missing or of another type is HYCO_EPROTO, and
 * hyco_error_message() names it.
 */

struct hyco_ping {
	char		version[32];
	long		pid;
	double		uptime_s;
	uint64_t	connections;	/* open now */
	uint64_t	requests;	/* handled since start */
	char		cache_root[4096]; /* the tree this daemon owns */
};

int	hyco_ping_sized(hyco_client *c, struct hyco_ping *out, size_t size);
#define hyco_ping(c, out)	hyco_ping_sized((c), (out), sizeof *(out))

/*
 * kind "synthetic"/"physical"; dataset NULL for the daemon's default.
 * path receives the directory (HYCO_EPROTO if it does not fit in
 * pathsz); *created, if created is not NULL, whether this call made it.
 */
int	hyco_get_cycle_dir(hyco_client *c, const char *kind, long cycle,
	    const char *dataset, char *path, size_t pathsz, int *created);

/* What a removal took: cleanup-cycle, cleanup-generated and clean. */
struct hyco_cleanup {
	uint64_t	freed_bytes;
	size_t		nremoved;
	char		**removed;	/* absolute paths, NULL-terminated;
					   none for cleanup-generated */
	int		leased;		/* cleanup-cycle: a connection leases
					   the cycle (removed anyway) */
};

/* kind NULL or "all" for both kinds; flags: HYCO_WAIT. */
int	hyco_cleanup_cycle_sized(hyco_client *c, long cycle, const char *kind,
	    unsigned flags, struct hyco_cleanup *out, size_t size);
#define hyco_cleanup_cycle(c, cycle, kind, out) \
	hyco_cleanup_cycle_sized((c), (cycle), (kind), 0, (out), sizeof *(out))
/* flags: HYCO_WAIT. */
int	hyco_cleanup_generated_sized(hyco_client *c, unsigned flags,
	    struct hyco_cleanup *out, size_t size);
/* The freed bytes alone. */
int	hyco_cleanup_generated(hyco_client *c, uint64_t *freed_bytes);
/*
 * target "tensors", "eval", "generated" or "all"; dataset NULL for
 * every dataset. flags: HYCO_CONFIRM (without it the daemon refuses:
 * the tensor cache is expensive to rebuild), HYCO_WAIT.
 */
int	hyco_clean_sized(hyco_client *c, const char *target, const char *dataset,
	    unsigned flags, struct hyco_cleanup *out, size_t size);
#define hyco_clean(c, target, dataset, flags, out) \
	hyco_clean_sized((c), (target), (dataset), (flags), (out), sizeof *(out))
void	hyco_cleanup_free_sized(struct hyco_cleanup *r, size_t size);
#define hyco_cleanup_free(r)	hyco_cleanup_free_sized((r), sizeof *(r))

struct hyco_dataset_usage {
	char		*name;
	uint64_t	tensors, generated, eval;	/* bytes */
};

struct hyco_cycle_usage {
	char		kind[16];	/* "synthetic" or "physical" */
	long		cycle;
	uint64_t	bytes, files;
};

/*
 * One filesystem holding part of the cache tree, as hycod's disk
 * monitor last sampled it (protocol/PROTOCOL.md, summary's filesystems).
 */
struct hyco_filesystem {
	char		 *path;		/* the root it is sampled through */
	char		 *mount;	/* mount point (path if unknown) */
	char		 *fstype, *source;	/* "" if unknown */
	char		  device[32];	/* "major:minor" */
	size_t		  nroots;
	char		**roots;	/* "tensors", ...; NULL-terminated */
	uint64_t	  free_bytes, total_bytes;	/* free: what users may use */
	uint64_t	  free_inodes, total_inodes;
	char		  level[16];	/* "ok", "warning" or "critical" */
	char		 *reason;	/* why, in words */
	double		  time_to_full_s;	/* < 0: not filling (null) */
	double		  fill_bytes_per_s;
	uint64_t	  warn_below_bytes, critical_below_bytes;
	uint64_t	  warn_below_inodes, critical_below_inodes;
	double		  sampled_at;	/* Unix time */
	char		 *error;	/* "" if the last statvfs worked */
};

/* Every field is described in protocol/PROTOCOL.md under `summary`. */
struct hyco_summary {
	uint64_t			  tensors, generated, eval, total, files;
	size_t				  ndatasets;
	struct hyco_dataset_usage	**datasets;	/* NULL-terminated */
	size_t				  ncycles;
	struct hyco_cycle_usage		**cycles;	/* NULL-terminated */
	uint64_t			  disk_free_bytes, disk_total_bytes;
	char				 *disk_path;
	/* The daemon's index: whether the figures above are exact. */
	int				  exact;
	uint64_t			  watched_dirs, unwatched_dirs;
	uint64_t			  tracked_files, index_bytes;
	uint64_t			  overflows, rescans;
	double				  last_rescan;	/* Unix time */
	uint64_t			  events, reconciled, arrivals;
	uint64_t			  scan_errors;
	double				  last_scan_s;
	size_t				  nrescanning;
	char				**rescanning;	/* roots; NULL-terminated */
	/* Removals and the retention policy. */
	uint64_t			  trash_bytes, trash_items;
	uint64_t			  pruned_bytes, pruned_cycles;
	uint64_t			  pruned_datasets, refused, idle_passes;
	int				  pruning;
	/* Fields below were added after the first release of the struct. */
	uint64_t			  trash_freed_bytes, prune_passes;
	/* The socket: connections, messages, and why some were closed. */
	uint64_t			  connections, connections_accepted;
	uint64_t			  refused_max_clients, messages;
	uint64_t			  closed_too_large, closed_bad_input;
	uint64_t			  paused_reads;
	/* Requests handled, and error replies by wire code. */
	uint64_t			  requests;
	uint64_t			  errors_invalid_argument;
	uint64_t			  errors_unknown_method;
	uint64_t			  errors_too_large, errors_io_error;
	uint64_t			  errors_no_space, errors_internal;
	/* Disk-space alerts: each filesystem, the worst level, counters. */
	size_t				  nfilesystems;
	struct hyco_filesystem		**filesystems;	/* NULL-terminated */
	char				  alert_level[16];
	uint64_t			  alerts_transitions, alerts_samples;
	uint64_t			  alerts_sample_errors, alerts_hook_runs;
	uint64_t			  alerts_hook_failures;
	uint64_t			  alerts_hook_timeouts;
	uint64_t			  alerts_hook_coalesced;
	/* Calls refused by daemon.access. */
	uint64_t			  errors_permission_denied;
	/*
	 * The start-up scan still runs: the figures are what is known so
	 * far (only with the wait: false argument; plain summary waits).
	 */
	int				  scanning;
	/* Bounded input, work and policy state. */
	uint64_t			  closed_too_deep, frame_steps;
	uint64_t			  jobs, paused_max_jobs_per_client;
	uint64_t			  paused_max_jobs;
	uint64_t			  asked, asked_forgotten;
	/* Seconds the loop polled without sleeping (daemon.busy_poll_us). */
	double				  busy_poll_seconds;
};

int	hyco_summary_sized(hyco_client *c, struct hyco_summary *out, size_t size);
#define hyco_summary(c, out)	hyco_summary_sized((c), (out), sizeof *(out))
void	hyco_summary_free_sized(struct hyco_summary *s, size_t size);
#define hyco_summary_free(s)	hyco_summary_free_sized((s), sizeof *(s))

struct hyco_disk_check {
	int		ok;		/* 1 if available >= required */
	uint64_t	available_bytes, required_bytes;
	char		path[4096];
};

int	hyco_disk_check_sized(hyco_client *c, uint64_t required_bytes,
	    struct hyco_disk_check *out, size_t size);
#define hyco_disk_check(c, required, out) \
	hyco_disk_check_sized((c), (required), (out), sizeof *(out))

/* One candidate of the retention policy. */
struct hyco_prune_item {
	char		*path;
	uint64_t	bytes, files;
	int		remove;		/* 0: kept, and why says why */
	char		*why;
};

struct hyco_prune {
	int			  dry_run;
	int			  exact;
	size_t			  nitems;
	struct hyco_prune_item	**items;	/* NULL-terminated */
};

/* flags: HYCO_DRY_RUN. */
int	hyco_prune_sized(hyco_client *c, unsigned flags, struct hyco_prune *out,
	    size_t size);
#define hyco_prune(c, flags, out) \
	hyco_prune_sized((c), (flags), (out), sizeof *(out))
void	hyco_prune_free_sized(struct hyco_prune *p, size_t size);
#define hyco_prune_free(p)	hyco_prune_free_sized((p), sizeof *(p))

/* -- statistics and metrics ---------------------------------------------- */

/*
 * One method's requests since start. latency_counts holds one count per
 * bucket of struct hyco_stats' latency_buckets_us (not cumulative: the
 * requests answered within that bound and above the one before), then
 * one for those above every bound.
 */
struct hyco_method_stats {
	char		*name;		/* "unknown": no method named */
	uint64_t	 requests;
	uint64_t	 errors_invalid_argument, errors_unknown_method;
	uint64_t	 errors_too_large, errors_io_error;
	uint64_t	 errors_no_space, errors_internal;
	uint64_t	 latency_count;
	double		 latency_sum_s;
	size_t		 nlatency;
	uint64_t	*latency_counts;
	uint64_t	 errors_permission_denied;
};

/* get-cycle-dir for one dataset: hits existed, misses were created. */
struct hyco_dataset_stats {
	char		*name;
	uint64_t	 hits_synthetic, hits_physical;
	uint64_t	 misses_synthetic, misses_physical;
	double		 last_asked;	/* Unix time, 0: never */
};

/* Every field is described in protocol/PROTOCOL.md under `stats`. */
struct hyco_stats {
	double				  since;	/* Unix time */
	size_t				  nbuckets;
	uint64_t			 *latency_buckets_us;
	size_t				  nmethods;
	struct hyco_method_stats	**methods;	/* NULL-terminated */
	uint64_t			  max_datasets;
	size_t				  ndatasets;
	struct hyco_dataset_stats	**datasets;	/* NULL-terminated */
	/* Datasets beyond max_datasets, together. */
	uint64_t			  other_hits_synthetic, other_hits_physical;
	uint64_t			  other_misses_synthetic;
	uint64_t			  other_misses_physical;
	double				  other_last_asked;
	size_t				  ncycles;
	struct hyco_cycle_usage		**cycles;	/* bytes per cycle */
	/* Live events. */
	uint64_t			  subscribers, subscribes;
	uint64_t			  notifications, dropped;
	uint64_t			  emitted_alert, emitted_cycle_created;
	uint64_t			  emitted_cycle_removed, emitted_prune;
	uint64_t			  emitted_exact_lost, emitted_exact_regained;
	uint64_t			  emitted_reload, emitted_shutdown;
	uint64_t			  emitted_dropped;
};

int	hyco_stats_sized(hyco_client *c, struct hyco_stats *out, size_t size);
#define hyco_stats(c, out)	hyco_stats_sized((c), (out), sizeof *(out))
void	hyco_stats_free_sized(struct hyco_stats *s, size_t size);
#define hyco_stats_free(s)	hyco_stats_free_sized((s), sizeof *(s))

/*
 * The metrics in Prometheus's text exposition format: *text (len
 * bytes, not NUL-terminated) borrows from the reply, valid until the
 * next call on c.
 */
int	hyco_metrics(hyco_client *c, const char **text, size_t *len);

/* -- live events ------------------------------------------------------------ */

/*
 * Make c's connection a subscriber of the event types named (ntypes 0:
 * every type; an unknown one is refused, invalid_argument). Events then
 * arrive on it until hyco_unsubscribe(), or until the connection ends:
 * a subscription is not carried over a reconnect (hyco_next_event
 * says HYCO_ECONNECT; subscribe again). c may still make calls; events
 * that arrive while a call waits (up to 4 MiB of them) are kept for
 * hyco_next_event, in order.
 */
int	hyco_subscribe(hyco_client *c, const char *const *types, size_t ntypes);
int	hyco_unsubscribe(hyco_client *c);
/*
 * Wait up to timeout_ms (< 0: forever; 0: only what has arrived) for the
 * next event: *event is its map ({"type": str, "time": float, ...}, the
 * fields protocol/PROTOCOL.md lists per type), valid until the next
 * call on c. HYCO_ETIMEOUT when none came (the subscription stays),
 * HYCO_ECONNECT when the daemon closed the connection (after a
 * "shutdown" or "dropped" event, or on a crash).
 */
int	hyco_next_event(hyco_client *c, int timeout_ms, const hyco_value **event);

/* A config key a reload changed, or refused to change: values as text. */
struct hyco_reload_change {
	char		*key;		/* "retention.keep_last_cycles" */
	char		*from, *to;
};

/*
 * What a reload did. ok: the config was valid and is in force, but for
 * the keys in refused (they need a restart: the old value stays). Not
 * ok: nothing changed, errors says why ("file:line: key: message").
 */
struct hyco_reload {
	int				  ok;
	size_t				  nchanged;
	struct hyco_reload_change	**changed;	/* NULL-terminated */
	size_t				  nrefused;
	struct hyco_reload_change	**refused;	/* NULL-terminated */
	size_t				  nerrors;
	char				**errors;	/* NULL-terminated */
};

/* Have hycod read its config files again (as SIGHUP does). */
int	hyco_reload_sized(hyco_client *c, struct hyco_reload *out, size_t size);
#define hyco_reload(c, out)	hyco_reload_sized((c), (out), sizeof *(out))
void	hyco_reload_free_sized(struct hyco_reload *r, size_t size);
#define hyco_reload_free(r)	hyco_reload_free_sized((r), sizeof *(r))

#ifdef __cplusplus
}
#endif

#endif
