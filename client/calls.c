/*
 * calls.c: libhyco's typed calls, one per method of protocol/PROTOCOL.md.
 * Each is its arguments plus a table saying which reply field goes into
 * which struct member with which type; decode.c does the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "hyco_internal.h"

/* Table rows for struct T; most reply keys are the member's own name. */
#define FIELD(type, key, m)	{ key, type, offsetof(T, m), 0, NULL }
#define NAMED(type, m)		FIELD(type, #m, m)
#define STRBUF(m)		{ #m, HYCO__STRBUF, offsetof(T, m), \
				    sizeof(((T *)0)->m), NULL }
#define MANY(type, m, count, sub) \
				{ #m, type, offsetof(T, m), offsetof(T, count), sub }
/* A struct's table; last is its last member as first published. */
#define SHAPE(fields, last)	{ sizeof(T), HYCO__END(T, last), fields, \
				    HYCO__NFIELDS(fields) }
/*
 * Error replies by wire code (protocol/PROTOCOL.md, "Error codes"), as
 * summary counts them and stats per method: the errors_* members of
 * struct T. A new code is one row here.
 */
#define ERROR_FIELDS \
	FIELD(HYCO__U64, "invalid_argument", errors_invalid_argument), \
	FIELD(HYCO__U64, "unknown_method", errors_unknown_method), \
	FIELD(HYCO__U64, "too_large", errors_too_large), \
	FIELD(HYCO__U64, "io_error", errors_io_error), \
	FIELD(HYCO__U64, "no_space", errors_no_space), \
	FIELD(HYCO__U64, "internal", errors_internal), \
	FIELD(HYCO__U64, "permission_denied", errors_permission_denied),

#define T struct hyco_ping
static const struct hyco__field ping_fields[] = {
	STRBUF(version),
	NAMED(HYCO__LONG, pid),
	NAMED(HYCO__DOUBLE, uptime_s),
	NAMED(HYCO__U64, connections),
	NAMED(HYCO__U64, requests),
	STRBUF(cache_root),
};
static const struct hyco__shape ping_shape = SHAPE(ping_fields, requests);
#undef T

/* get-cycle-dir's result, copied into the caller's buffer. */
struct cycle_dir {
	char	*path;
	int	 created;
};

#define T struct cycle_dir
static const struct hyco__field cycle_dir_fields[] = {
	NAMED(HYCO__STR, path),
	NAMED(HYCO__BOOL, created),
};
static const struct hyco__shape cycle_dir_shape =
    SHAPE(cycle_dir_fields, created);
#undef T

#define T struct hyco_cleanup
static const struct hyco__field cleanup_cycle_fields[] = {
	NAMED(HYCO__U64, freed_bytes),
	NAMED(HYCO__BOOL, leased),
	MANY(HYCO__STRS, removed, nremoved, NULL),
};
/* Holds every member that owns memory: also the one free uses. */
static const struct hyco__shape cleanup_cycle_shape =
    SHAPE(cleanup_cycle_fields, leased);
static const struct hyco__field clean_fields[] = {
	NAMED(HYCO__U64, freed_bytes),
	MANY(HYCO__STRS, removed, nremoved, NULL),
};
static const struct hyco__shape clean_shape = SHAPE(clean_fields, leased);
static const struct hyco__field generated_fields[] = {
	NAMED(HYCO__U64, freed_bytes),
};
static const struct hyco__shape generated_shape =
    SHAPE(generated_fields, leased);
#undef T

#define T struct hyco_dataset_usage
static const struct hyco__field dataset_fields[] = {
	FIELD(HYCO__KEY, NULL, name),
	NAMED(HYCO__U64, tensors),
	NAMED(HYCO__U64, generated),
	NAMED(HYCO__U64, eval),
};
static const struct hyco__shape dataset_shape = SHAPE(dataset_fields, eval);
#undef T

#define T struct hyco_cycle_usage
static const struct hyco__field cycle_fields[] = {
	STRBUF(kind),
	NAMED(HYCO__LONG, cycle),
	NAMED(HYCO__U64, bytes),
	NAMED(HYCO__U64, files),
};
static const struct hyco__shape cycle_shape = SHAPE(cycle_fields, files);
#undef T

#define T struct hyco_filesystem
static const struct hyco__field filesystem_fields[] = {
	NAMED(HYCO__STR, path),
	NAMED(HYCO__STR, mount),
	NAMED(HYCO__STR, fstype),
	NAMED(HYCO__STR, source),
	STRBUF(device),
	MANY(HYCO__STRS, roots, nroots, NULL),
	NAMED(HYCO__U64, free_bytes),
	NAMED(HYCO__U64, total_bytes),
	NAMED(HYCO__U64, free_inodes),
	NAMED(HYCO__U64, total_inodes),
	STRBUF(level),
	NAMED(HYCO__STR, reason),
	NAMED(HYCO__OPTDOUBLE, time_to_full_s),
	NAMED(HYCO__DOUBLE, fill_bytes_per_s),
	NAMED(HYCO__U64, warn_below_bytes),
	NAMED(HYCO__U64, critical_below_bytes),
	NAMED(HYCO__U64, warn_below_inodes),
	NAMED(HYCO__U64, critical_below_inodes),
	NAMED(HYCO__DOUBLE, sampled_at),
	NAMED(HYCO__STR, error),
};
static const struct hyco__shape filesystem_shape =
    SHAPE(filesystem_fields, error);
#undef T

#define T struct hyco_summary
static const struct hyco__field disk_fields[] = {
	FIELD(HYCO__U64, "free_bytes", disk_free_bytes),
	FIELD(HYCO__U64, "total_bytes", disk_total_bytes),
	FIELD(HYCO__STR, "path", disk_path),
};
static const struct hyco__shape disk_shape = { sizeof(T), sizeof(T),
    disk_fields, HYCO__NFIELDS(disk_fields) };
static const struct hyco__field errors_fields[] = {
	ERROR_FIELDS
};
static const struct hyco__shape errors_shape = { sizeof(T), sizeof(T),
    errors_fields, HYCO__NFIELDS(errors_fields) };
/* The disk monitor's counters (alerts in PROTOCOL.md). */
static const struct hyco__field alerts_fields[] = {
	FIELD(HYCO__U64, "transitions", alerts_transitions),
	FIELD(HYCO__U64, "samples", alerts_samples),
	FIELD(HYCO__U64, "sample_errors", alerts_sample_errors),
	FIELD(HYCO__U64, "hook_runs", alerts_hook_runs),
	FIELD(HYCO__U64, "hook_failures", alerts_hook_failures),
	FIELD(HYCO__U64, "hook_timeouts", alerts_hook_timeouts),
	FIELD(HYCO__U64, "hook_coalesced", alerts_hook_coalesced),
};
static const struct hyco__shape alerts_shape = { sizeof(T), sizeof(T),
    alerts_fields, HYCO__NFIELDS(alerts_fields) };
static const struct hyco__field summary_fields[] = {
	NAMED(HYCO__U64, tensors),
	NAMED(HYCO__U64, generated),
	NAMED(HYCO__U64, eval),
	NAMED(HYCO__U64, total),
	NAMED(HYCO__U64, files),
	MANY(HYCO__DICT, datasets, ndatasets, &dataset_shape),
	MANY(HYCO__LIST, cycles, ncycles, &cycle_shape),
	{ "disk", HYCO__SUB, 0, 0, &disk_shape },
	NAMED(HYCO__BOOL, exact),
	NAMED(HYCO__U64, watched_dirs),
	NAMED(HYCO__U64, unwatched_dirs),
	NAMED(HYCO__U64, tracked_files),
	NAMED(HYCO__U64, index_bytes),
	NAMED(HYCO__U64, overflows),
	NAMED(HYCO__U64, rescans),
	NAMED(HYCO__DOUBLE, last_rescan),
	NAMED(HYCO__U64, events),
	NAMED(HYCO__U64, reconciled),
	NAMED(HYCO__U64, arrivals),
	NAMED(HYCO__U64, scan_errors),
	NAMED(HYCO__DOUBLE, last_scan_s),
	MANY(HYCO__STRS, rescanning, nrescanning, NULL),
	NAMED(HYCO__U64, trash_bytes),
	NAMED(HYCO__U64, trash_items),
	NAMED(HYCO__U64, pruned_bytes),
	NAMED(HYCO__U64, pruned_cycles),
	NAMED(HYCO__U64, pruned_datasets),
	NAMED(HYCO__U64, refused),
	NAMED(HYCO__U64, idle_passes),
	NAMED(HYCO__BOOL, pruning),
	NAMED(HYCO__U64, trash_freed_bytes),
	NAMED(HYCO__U64, prune_passes),
	NAMED(HYCO__U64, connections),
	NAMED(HYCO__U64, connections_accepted),
	NAMED(HYCO__U64, refused_max_clients),
	NAMED(HYCO__U64, messages),
	NAMED(HYCO__U64, closed_too_large),
	NAMED(HYCO__U64, closed_bad_input),
	NAMED(HYCO__U64, paused_reads),
	NAMED(HYCO__U64, requests),
	{ "errors", HYCO__SUB, 0, 0, &errors_shape },
	MANY(HYCO__LIST, filesystems, nfilesystems, &filesystem_shape),
	STRBUF(alert_level),
	{ "alerts", HYCO__SUB, 0, 0, &alerts_shape },
	NAMED(HYCO__BOOL, scanning),
	NAMED(HYCO__U64, closed_too_deep),
	NAMED(HYCO__U64, frame_steps),
	NAMED(HYCO__U64, jobs),
	NAMED(HYCO__U64, paused_max_jobs_per_client),
	NAMED(HYCO__U64, paused_max_jobs),
	NAMED(HYCO__U64, asked),
	NAMED(HYCO__U64, asked_forgotten),
	NAMED(HYCO__DOUBLE, busy_poll_seconds),
};
static const struct hyco__shape summary_shape = SHAPE(summary_fields, pruning);
#undef T

#define T struct hyco_disk_check
static const struct hyco__field disk_check_fields[] = {
	NAMED(HYCO__BOOL, ok),
	NAMED(HYCO__U64, available_bytes),
	NAMED(HYCO__U64, required_bytes),
	STRBUF(path),
};
static const struct hyco__shape disk_check_shape =
    SHAPE(disk_check_fields, path);
#undef T

#define T struct hyco_prune_item
static const struct hyco__field prune_item_fields[] = {
	NAMED(HYCO__STR, path),
	NAMED(HYCO__U64, bytes),
	NAMED(HYCO__U64, files),
	NAMED(HYCO__BOOL, remove),
	NAMED(HYCO__STR, why),
};
static const struct hyco__shape prune_item_shape =
    SHAPE(prune_item_fields, why);
#undef T

#define T struct hyco_prune
static const struct hyco__field prune_fields[] = {
	NAMED(HYCO__BOOL, dry_run),
	NAMED(HYCO__BOOL, exact),
	MANY(HYCO__LIST, items, nitems, &prune_item_shape),
};
static const struct hyco__shape prune_shape = SHAPE(prune_fields, items);
#undef T

#define T struct hyco_method_stats
static const struct hyco__field method_errors_fields[] = {
	ERROR_FIELDS
};
static const struct hyco__shape method_errors_shape = { sizeof(T), sizeof(T),
    method_errors_fields, HYCO__NFIELDS(method_errors_fields) };
static const struct hyco__field latency_fields[] = {
	FIELD(HYCO__U64, "count", latency_count),
	FIELD(HYCO__DOUBLE, "sum_s", latency_sum_s),
	{ "counts", HYCO__U64S, offsetof(T, latency_counts),
	  offsetof(T, nlatency), NULL },
};
static const struct hyco__shape latency_shape = { sizeof(T), sizeof(T),
    latency_fields, HYCO__NFIELDS(latency_fields) };
static const struct hyco__field method_fields[] = {
	FIELD(HYCO__KEY, NULL, name),
	NAMED(HYCO__U64, requests),
	{ "errors", HYCO__SUB, 0, 0, &method_errors_shape },
	{ "latency", HYCO__SUB, 0, 0, &latency_shape },
};
static const struct hyco__shape method_shape = SHAPE(method_fields,
    latency_counts);
#undef T

#define T struct hyco_dataset_stats
static const struct hyco__field ds_hits_fields[] = {
	FIELD(HYCO__U64, "synthetic", hits_synthetic),
	FIELD(HYCO__U64, "physical", hits_physical),
};
static const struct hyco__shape ds_hits_shape = { sizeof(T), sizeof(T),
    ds_hits_fields, HYCO__NFIELDS(ds_hits_fields) };
static const struct hyco__field ds_misses_fields[] = {
	FIELD(HYCO__U64, "synthetic", misses_synthetic),
	FIELD(HYCO__U64, "physical", misses_physical),
};
static const struct hyco__shape ds_misses_shape = { sizeof(T), sizeof(T),
    ds_misses_fields, HYCO__NFIELDS(ds_misses_fields) };
static const struct hyco__field ds_stats_fields[] = {
	FIELD(HYCO__KEY, NULL, name),
	{ "hits", HYCO__SUB, 0, 0, &ds_hits_shape },
	{ "misses", HYCO__SUB, 0, 0, &ds_misses_shape },
	NAMED(HYCO__DOUBLE, last_asked),
};
static const struct hyco__shape ds_stats_shape = SHAPE(ds_stats_fields,
    last_asked);
#undef T

#define T struct hyco_stats
/* A map inside the reply: its fields are members of struct hyco_stats. */
#define INNER(fields)	{ sizeof(T), sizeof(T), fields, HYCO__NFIELDS(fields) }
static const struct hyco__field other_hits_fields[] = {
	FIELD(HYCO__U64, "synthetic", other_hits_synthetic),
	FIELD(HYCO__U64, "physical", other_hits_physical),
};
static const struct hyco__shape other_hits_shape = INNER(other_hits_fields);
static const struct hyco__field other_misses_fields[] = {
	FIELD(HYCO__U64, "synthetic", other_misses_synthetic),
	FIELD(HYCO__U64, "physical", other_misses_physical),
};
static const struct hyco__shape other_misses_shape =
    INNER(other_misses_fields);
static const struct hyco__field other_fields[] = {
	{ "hits", HYCO__SUB, 0, 0, &other_hits_shape },
	{ "misses", HYCO__SUB, 0, 0, &other_misses_shape },
	FIELD(HYCO__DOUBLE, "last_asked", other_last_asked),
};
static const struct hyco__shape other_shape = INNER(other_fields);
static const struct hyco__field cycle_dirs_fields[] = {
	NAMED(HYCO__U64, max_datasets),
	MANY(HYCO__DICT, datasets, ndatasets, &ds_stats_shape),
	{ "other", HYCO__SUB, 0, 0, &other_shape },
};
static const struct hyco__shape cycle_dirs_shape = INNER(cycle_dirs_fields);
static const struct hyco__field emitted_fields[] = {
	FIELD(HYCO__U64, "alert", emitted_alert),
	FIELD(HYCO__U64, "cycle_created", emitted_cycle_created),
	FIELD(HYCO__U64, "cycle_removed", emitted_cycle_removed),
	FIELD(HYCO__U64, "prune", emitted_prune),
	FIELD(HYCO__U64, "exact_lost", emitted_exact_lost),
	FIELD(HYCO__U64, "exact_regained", emitted_exact_regained),
	FIELD(HYCO__U64, "reload", emitted_reload),
	FIELD(HYCO__U64, "shutdown", emitted_shutdown),
	FIELD(HYCO__U64, "dropped", emitted_dropped),
};
static const struct hyco__shape emitted_shape = INNER(emitted_fields);
static const struct hyco__field events_fields[] = {
	NAMED(HYCO__U64, subscribers),
	NAMED(HYCO__U64, subscribes),
	NAMED(HYCO__U64, notifications),
	NAMED(HYCO__U64, dropped),
	{ "emitted", HYCO__SUB, 0, 0, &emitted_shape },
};
static const struct hyco__shape events_shape = INNER(events_fields);
static const struct hyco__field stats_fields[] = {
	NAMED(HYCO__DOUBLE, since),
	{ "latency_buckets_us", HYCO__U64S, offsetof(T, latency_buckets_us),
	  offsetof(T, nbuckets), NULL },
	MANY(HYCO__DICT, methods, nmethods, &method_shape),
	{ "cycle_dirs", HYCO__SUB, 0, 0, &cycle_dirs_shape },
	MANY(HYCO__LIST, cycles, ncycles, &cycle_shape),
	{ "events", HYCO__SUB, 0, 0, &events_shape },
};
static const struct hyco__shape stats_shape = SHAPE(stats_fields,
    emitted_dropped);
#undef INNER
#undef T

#define T struct hyco_reload_change
static const struct hyco__field reload_change_fields[] = {
	NAMED(HYCO__STR, key),
	NAMED(HYCO__STR, from),
	NAMED(HYCO__STR, to),
};
static const struct hyco__shape reload_change_shape =
    SHAPE(reload_change_fields, to);
#undef T

#define T struct hyco_reload
static const struct hyco__field reload_fields[] = {
	NAMED(HYCO__BOOL, ok),
	MANY(HYCO__LIST, changed, nchanged, &reload_change_shape),
	MANY(HYCO__LIST, refused, nrefused, &reload_change_shape),
	MANY(HYCO__STRS, errors, nerrors, NULL),
};
static const struct hyco__shape reload_shape = SHAPE(reload_fields, errors);
#undef T

/* Argument list builders: each appends one named argument. */
static void
arg_str(struct hyco_arg *a, size_t *n, const char *name, const char *s)
{
	a[(*n)++] = (struct hyco_arg){ .name = name, .type = HYCO_ARG_STR,
	    .s = s };
}

static void
arg_int(struct hyco_arg *a, size_t *n, const char *name, int64_t i,
    enum hyco_arg_type type)
{
	a[(*n)++] = (struct hyco_arg){ .name = name, .type = type, .i = i };
}

int
hyco_ping_sized(hyco_client *c, struct hyco_ping *out, size_t size)
{
	return hyco__call_sized(c, "ping", 0, 0, NULL, 0, &ping_shape, out,
	    size);
}

int
hyco_get_cycle_dir(hyco_client *c, const char *kind, long cycle,
    const char *dataset, char *path, size_t pathsz, int *created)
{
	struct hyco_arg a[3];
	struct cycle_dir r;
	size_t n = 0;
	int rc;

	if (kind == NULL || path == NULL || pathsz == 0)
		return hyco__fail(c, HYCO_EINVAL, "argument", "get-cycle-dir: "
		    "kind and a path buffer are required");
	arg_str(a, &n, "kind", kind);
	arg_int(a, &n, "cycle", cycle, HYCO_ARG_INT);
	if (dataset != NULL)
		arg_str(a, &n, "dataset", dataset);
	if ((rc = hyco__call_sized(c, "get-cycle-dir", 0, 0, a, n,
	    &cycle_dir_shape, &r, sizeof(r))) != HYCO_OK)
		return rc;
	if (strlen(r.path) >= pathsz)
		rc = hyco__fail(c, HYCO_EPROTO, "protocol", "get-cycle-dir: "
		    "path of %zu bytes does not fit in %zu", strlen(r.path),
		    pathsz);
	else {
		strcpy(path, r.path);
		if (created != NULL)
			*created = r.created;
	}
	hyco__free_sized(&cycle_dir_shape, &r, sizeof(r));
	return rc;
}

int
hyco_cleanup_cycle_sized(hyco_client *c, long cycle, const char *kind,
    unsigned flags, struct hyco_cleanup *out, size_t size)
{
	struct hyco_arg a[3];
	size_t n = 0;

	arg_int(a, &n, "cycle", cycle, HYCO_ARG_INT);
	if (kind != NULL)
		arg_str(a, &n, "kind", kind);
	if (flags & HYCO_WAIT)
		arg_int(a, &n, "wait", 1, HYCO_ARG_BOOL);
	return hyco__call_sized(c, "cleanup-cycle", flags, HYCO_WAIT, a, n,
	    &cleanup_cycle_shape, out, size);
}

int
hyco_cleanup_generated_sized(hyco_client *c, unsigned flags,
    struct hyco_cleanup *out, size_t size)
{
	struct hyco_arg a[1];
	size_t n = 0;

	if (flags & HYCO_WAIT)
		arg_int(a, &n, "wait", 1, HYCO_ARG_BOOL);
	return hyco__call_sized(c, "cleanup-generated", flags, HYCO_WAIT, a, n,
	    &generated_shape, out, size);
}

int
hyco_cleanup_generated(hyco_client *c, uint64_t *freed_bytes)
{
	struct hyco_cleanup r;
	int rc = hyco_cleanup_generated_sized(c, 0, &r, sizeof(r));

	if (rc == HYCO_OK && freed_bytes != NULL)
		*freed_bytes = r.freed_bytes;
	hyco_cleanup_free(&r);
	return rc;
}

int
hyco_clean_sized(hyco_client *c, const char *target, const char *dataset,
    unsigned flags, struct hyco_cleanup *out, size_t size)
{
	struct hyco_arg a[4];
	size_t n = 0;

	/* A NULL target is refused by hyco_call, once out is zeroed. */
	arg_str(a, &n, "target", target);
	arg_int(a, &n, "confirm", (flags & HYCO_CONFIRM) != 0, HYCO_ARG_BOOL);
	if (dataset != NULL)
		arg_str(a, &n, "dataset", dataset);
	if (flags & HYCO_WAIT)
		arg_int(a, &n, "wait", 1, HYCO_ARG_BOOL);
	return hyco__call_sized(c, "clean", flags, HYCO_WAIT | HYCO_CONFIRM, a,
	    n, &clean_shape, out, size);
}

void
hyco_cleanup_free_sized(struct hyco_cleanup *r, size_t size)
{
	hyco__free_sized(&cleanup_cycle_shape, r, size);
}

int
hyco_summary_sized(hyco_client *c, struct hyco_summary *out, size_t size)
{
	return hyco__call_sized(c, "summary", 0, 0, NULL, 0, &summary_shape,
	    out, size);
}

void
hyco_summary_free_sized(struct hyco_summary *s, size_t size)
{
	hyco__free_sized(&summary_shape, s, size);
}

int
hyco_disk_check_sized(hyco_client *c, uint64_t required_bytes,
    struct hyco_disk_check *out, size_t size)
{
	struct hyco_arg a = { .name = "required_bytes", .type = HYCO_ARG_INT,
	    .i = (int64_t)required_bytes };

	/* Above INT64_MAX it would wrap: the daemon would see it negative. */
	if (required_bytes > INT64_MAX) {
		if (out != NULL && size >= disk_check_shape.min_size)
			memset(out, 0, size);
		return hyco__fail(c, HYCO_EINVAL, "argument", "disk-check: "
		    "required_bytes above 2^63-1");
	}
	return hyco__call_sized(c, "disk-check", 0, 0, &a, 1, &disk_check_shape,
	    out, size);
}

int
hyco_prune_sized(hyco_client *c, unsigned flags, struct hyco_prune *out,
    size_t size)
{
	struct hyco_arg a[1];
	size_t n = 0;

	arg_int(a, &n, "dry_run", (flags & HYCO_DRY_RUN) != 0, HYCO_ARG_BOOL);
	return hyco__call_sized(c, "prune", flags, HYCO_DRY_RUN, a, n,
	    &prune_shape, out, size);
}

void
hyco_prune_free_sized(struct hyco_prune *p, size_t size)
{
	hyco__free_sized(&prune_shape, p, size);
}

int
hyco_stats_sized(hyco_client *c, struct hyco_stats *out, size_t size)
{
	return hyco__call_sized(c, "stats", 0, 0, NULL, 0, &stats_shape, out,
	    size);
}

int
hyco_reload_sized(hyco_client *c, struct hyco_reload *out, size_t size)
{
	return hyco__call_sized(c, "reload", 0, 0, NULL, 0, &reload_shape, out,
	    size);
}

void
hyco_stats_free_sized(struct hyco_stats *s, size_t size)
{
	hyco__free_sized(&stats_shape, s, size);
}

int
hyco_metrics(hyco_client *c, const char **text, size_t *len)
{
	const hyco_value *r;
	const char *s;
	size_t n;
	int rc;

	if (text == NULL || len == NULL)
		return hyco__fail(c, HYCO_EINVAL, "argument", "metrics: no "
		    "place for the text");
	*text = NULL;
	*len = 0;
	if ((rc = hyco_call(c, "metrics", NULL, 0, &r)) != HYCO_OK)
		return rc;
	if (hyco_value_type(r) != HYCO_TYPE_MAP)
		return hyco__fail(c, HYCO_EPROTO, "protocol", "metrics: the "
		    "result is not a map");
	if ((s = hyco_value_str(hyco_map_get(r, "text"), &n)) == NULL)
		return hyco__fail(c, HYCO_EPROTO, "protocol", "metrics: reply "
		    "field text is missing or not a string");
	if (hyco_value_str(hyco_map_get(r, "content_type"), &(size_t){ 0 })
	    == NULL)
		return hyco__fail(c, HYCO_EPROTO, "protocol", "metrics: reply "
		    "field content_type is missing or not a string");
	*text = s;
	*len = n;
	return HYCO_OK;
}

void
hyco_reload_free_sized(struct hyco_reload *r, size_t size)
{
	hyco__free_sized(&reload_shape, r, size);
}
