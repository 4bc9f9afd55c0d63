/*
 * metrics.c: the text exposition format, rendered from the same
 * counters and tallies summary and stats report. Each family's HELP and
 * TYPE come before its samples, and its samples are together.
 */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hycod.h"

#define ESC_MAX	(2 * 4096 + 1)	/* an escaped label value, at most */

/* -- text --------------------------------------------------------------- */

static void
put(struct metrics_text *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct metrics_text *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0 || b->nomem)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 64 * 1024;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (p == NULL) {
			b->nomem = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
}

void
metrics_text_free(struct metrics_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

static void
family(struct metrics_text *b, const char *name, const char *type,
    const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of one unlabelled sample. */
static void
one_u64(struct metrics_text *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	family(b, name, type, help);
	put(b, "%s %llu\n", name, (unsigned long long)v);
}

static void
one_double(struct metrics_text *b, const char *name, const char *type,
    const char *help, double v)
{
	family(b, name, type, help);
	put(b, "%s %.17g\n", name, v);
}

/* Whether s is UTF-8, as the exposition format requires of labels. */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		uint32_t cp = n == 0 ? *p : n == 1 ? *p & 0x1f : n == 2 ?
		    *p & 0x0f : *p & 0x07;
		if (n < 0)
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (n == 1 && *p < 0xc2))
			return false;
		p += n + 1;
	}
	return true;
}

/* A label value with \, " and newline escaped, as the format says. */
static const char *
esc(char *dst, size_t size, const char *s)
{
	size_t k = 0;

	for (; *s && k + 2 < size; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			dst[k++] = '\\';
			dst[k++] = *s == '\n' ? 'n' : *s;
		} else
			dst[k++] = *s;
	}
	dst[k] = '\0';
	return dst;
}

/* -- filesystems -------------------------------------------------------- */

int
metrics_filesystems(const struct hycod *d, struct metrics_fs *fs,
    size_t max)
{
	size_t n = disk_count(&d->disk);

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		const struct disk_fs *f = disk_get(&d->disk, i);
		if (f->error != 0)
			return -f->error;
		memset(&fs[i], 0, sizeof(fs[i]));
		snprintf(fs[i].path, sizeof(fs[i].path), "%s", f->path);
		snprintf(fs[i].device, sizeof(fs[i].device), "%s", f->device);
		fs[i].du = f->du;
		/* No sample yet: no level rather than a made-up "ok". */
		fs[i].level = f->sampled_ns != 0 ? (int)f->level : -1;
		fs[i].time_to_full_s = f->time_to_full_s >= 0 ?
		    f->time_to_full_s : NAN;
	}
	return (int)n;
}

static void
render_filesystems(struct metrics_text *b, const struct metrics_fs *fs,
    size_t n)
{
	static const struct {
		const char	*name, *help;
		size_t		 off;
	} figs[] = {
		{ "hyco_filesystem_avail_bytes", "Bytes an unprivileged user "
		  "may write (summary disk.free_bytes).",
		  offsetof(struct disk_usage, avail_bytes) },
		{ "hyco_filesystem_size_bytes", "Size of the filesystem "
		  "(summary disk.total_bytes).",
		  offsetof(struct disk_usage, total_bytes) },
		{ "hyco_filesystem_files_free", "Inodes an unprivileged user "
		  "may use.", offsetof(struct disk_usage, avail_inodes) },
		{ "hyco_filesystem_files", "Inodes of the filesystem.",
		  offsetof(struct disk_usage, total_inodes) },
	};
	char e[ESC_MAX];

	family(b, "hyco_filesystem_info", "gauge", "A filesystem holding a "
	    "cache root, by a root on it, and its device.");
	for (size_t i = 0; i < n; i++)
		put(b, "hyco_filesystem_info{filesystem=\"%s\",device=\"%s\"} "
		    "1\n", esc(e, sizeof(e), fs[i].path), fs[i].device);
	for (size_t f = 0; f < sizeof(figs) / sizeof(figs[0]); f++) {
		family(b, figs[f].name, "gauge", figs[f].help);
		for (size_t i = 0; i < n; i++)
			put(b, "%s{filesystem=\"%s\"} %llu\n", figs[f].name,
			    esc(e, sizeof(e), fs[i].path), (unsigned long long)
			    *(const uint64_t *)((const char *)&fs[i].du +
			    figs[f].off));
	}
	/*
	 * Only what the disk monitor knows: no series rather than a guess,
	 * and no family without a series (node_exporter drops those).
	 */
	for (size_t i = 0, head = 0; i < n; i++)
		if (fs[i].level >= 0) {
			if (!head++)
				family(b, "hyco_filesystem_alert_level", "gauge",
				    "The disk monitor's level: 0 ok, 1 warning, "
				    "2 critical.");
			put(b, "hyco_filesystem_alert_level{filesystem=\"%s\"} "
			    "%d\n", esc(e, sizeof(e), fs[i].path), fs[i].level);
		}
	for (size_t i = 0, head = 0; i < n; i++)
		if (isfinite(fs[i].time_to_full_s)) {
			if (!head++)
				family(b, "hyco_filesystem_time_to_full_seconds",
				    "gauge", "Seconds until full at the recent "
				    "fill rate; absent when not filling.");
			put(b, "hyco_filesystem_time_to_full_seconds{filesystem="
			    "\"%s\"} %.17g\n", esc(e, sizeof(e), fs[i].path),
			    fs[i].time_to_full_s);
		}
}

/* -- the cache ---------------------------------------------------------- */

/* Datasets named as labels: by total bytes, the largest first. */
static int
by_bytes(const void *a, const void *b)
{
	const struct tally_dataset *x = *(const struct tally_dataset *const *)a;
	const struct tally_dataset *y = *(const struct tally_dataset *const *)b;
	uint64_t sx = 0, sy = 0;

	for (int c = 0; c < CAT_COUNT; c++) {
		sx += x->bytes[c];
		sy += y->bytes[c];
	}
	if (sx != sy)
		return sx > sy ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Bytes per dataset and category: at most max datasets by name, the
 * largest; the rest, and names that are not UTF-8 (a label must be),
 * summed under METRICS_OTHER_DATASET, which no dataset can be named.
 */
static int
render_datasets(struct metrics_text *b, const struct tally *t, size_t max)
{
	const struct tally_dataset **v = NULL;
	uint64_t other[CAT_COUNT] = { 0 };
	size_t n = 0;
	bool any_other = false;
	char e[ESC_MAX];

	if (t->nds > 0 && (v = calloc(t->nds, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < t->nds; i++)
		if (utf8_valid(t->ds[i].name))
			v[n++] = &t->ds[i];
		else {
			any_other = true;
			for (int c = 0; c < CAT_COUNT; c++)
				other[c] += t->ds[i].bytes[c];
		}
	if (n > max) {
		qsort(v, n, sizeof(*v), by_bytes);
		for (size_t i = max; i < n; i++)
			for (int c = 0; c < CAT_COUNT; c++)
				other[c] += v[i]->bytes[c];
		any_other = true;
		n = max;
	}
	if (n > 0 || any_other)
		family(b, "hyco_dataset_bytes", "gauge", "Bytes of a dataset in "
		    "a category (summary datasets).");
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < CAT_COUNT; c++)
			put(b, "hyco_dataset_bytes{dataset=\"%s\",category=\"%s\"} "
			    "%llu\n", esc(e, sizeof(e), v[i]->name),
			    layout_category_names[c],
			    (unsigned long long)v[i]->bytes[c]);
	for (int c = 0; c < CAT_COUNT && any_other; c++)
		put(b, "hyco_dataset_bytes{dataset=\"%s\",category=\"%s\"} %llu\n",
		    METRICS_OTHER_DATASET, layout_category_names[c],
		    (unsigned long long)other[c]);
	free(v);
	return 0;
}

static void
render_cache(struct metrics_text *b, const struct tally *t)
{
	uint64_t count[KIND_COUNT] = { 0 }, bytes[KIND_COUNT] = { 0 };
	const struct tally_cycle *latest[KIND_COUNT] = { NULL };

	family(b, "hyco_cache_bytes", "gauge", "Bytes cached, by category "
	    "(summary tensors, generated, eval).");
	for (int c = 0; c < CAT_COUNT; c++)
		put(b, "hyco_cache_bytes{category=\"%s\"} %llu\n",
		    layout_category_names[c], (unsigned long long)t->bytes[c]);
	family(b, "hyco_cache_files", "gauge", "Regular files cached, by "
	    "category (their sum: summary files).");
	for (int c = 0; c < CAT_COUNT; c++)
		put(b, "hyco_cache_files{category=\"%s\"} %llu\n",
		    layout_category_names[c], (unsigned long long)t->files[c]);
	for (size_t i = 0; i < t->ncy; i++) {
		const struct tally_cycle *cy = &t->cy[i];
		count[cy->kind]++;
		bytes[cy->kind] += cy->bytes;
		if (latest[cy->kind] == NULL || cy->cycle >
		    latest[cy->kind]->cycle)
			latest[cy->kind] = cy;
	}
	family(b, "hyco_cycles", "gauge", "Cycle directories, by kind "
	    "(summary cycles).");
	for (int k = 0; k < KIND_COUNT; k++)
		put(b, "hyco_cycles{kind=\"%s\"} %llu\n", layout_kind_names[k],
		    (unsigned long long)count[k]);
	family(b, "hyco_cycles_bytes", "gauge", "Bytes in cycle directories, "
	    "by kind (the sum of summary cycles[].bytes).");
	for (int k = 0; k < KIND_COUNT; k++)
		put(b, "hyco_cycles_bytes{kind=\"%s\"} %llu\n",
		    layout_kind_names[k], (unsigned long long)bytes[k]);
	if (t->ncy == 0)
		return;		/* no family without a series */
	family(b, "hyco_cycle_latest", "gauge", "The newest cycle number, by "
	    "kind; absent without cycles.");
	for (int k = 0; k < KIND_COUNT; k++)
		if (latest[k] != NULL)
			put(b, "hyco_cycle_latest{kind=\"%s\"} %ld\n",
			    layout_kind_names[k], latest[k]->cycle);
	family(b, "hyco_cycle_latest_bytes", "gauge", "Bytes written into the "
	    "newest cycle, by kind.");
	for (int k = 0; k < KIND_COUNT; k++)
		if (latest[k] != NULL)
			put(b, "hyco_cycle_latest_bytes{kind=\"%s\"} %llu\n",
			    layout_kind_names[k],
			    (unsigned long long)latest[k]->bytes);
}

/* -- the daemon --------------------------------------------------------- */

static void
render_index(struct metrics_text *b, const struct watch *w)
{
	const struct watch_stats *s = &w->stats;

	one_u64(b, "hyco_index_exact", "gauge", "1 when every figure is "
	    "known to the byte (summary exact).", watch_exact(w));
	one_u64(b, "hyco_index_exact_lost_total", "counter", "Times the "
	    "figures stopped being exact.", s->exact_lost);
	one_u64(b, "hyco_index_watched_dirs", "gauge", "Directories with an "
	    "inotify watch.", w->ix.watched);
	one_u64(b, "hyco_index_unwatched_dirs", "gauge", "Directories left "
	    "without a watch (the watch limit).", w->ix.unwatched);
	one_u64(b, "hyco_index_files", "gauge", "Files the index tracks.",
	    w->ix.files);
	one_u64(b, "hyco_index_memory_bytes", "gauge", "Memory the index "
	    "holds.", index_memory(&w->ix));
	one_u64(b, "hyco_index_overflows_total", "counter", "inotify queue "
	    "overflows.", s->overflows);
	one_u64(b, "hyco_index_rescans_total", "counter", "Re-scans run.",
	    s->rescans);
	one_u64(b, "hyco_index_inotify_events_total", "counter", "inotify "
	    "events read.", s->events);
	one_u64(b, "hyco_index_reconciled_total", "counter", "(directory, "
	    "name) pairs looked at again.", s->reconciled);
	one_u64(b, "hyco_index_arrivals_total", "counter", "Directories "
	    "scanned on arrival.", s->arrivals);
	one_u64(b, "hyco_index_scan_errors_total", "counter", "Entries a scan "
	    "could not read.", s->scan_errors);
	one_double(b, "hyco_index_last_rescan_timestamp_seconds", "gauge",
	    "When the last re-scan ended (0: none yet).", s->last_rescan);
	one_double(b, "hyco_index_last_rescan_duration_seconds", "gauge",
	    "How long the last re-scan took.", s->last_scan_s);
}

static void
render_removals(struct metrics_text *b, const struct trash *t,
    const struct policy *p)
{
	one_u64(b, "hyco_trash_bytes", "gauge", "Bytes renamed into the trash "
	    "and not yet deleted.", t->bytes);
	one_u64(b, "hyco_trash_items", "gauge", "Items in the trash.",
	    t->items);
	one_u64(b, "hyco_trash_freed_bytes_total", "counter", "Bytes the "
	    "trash has deleted.", t->freed_bytes);
	one_u64(b, "hyco_pruned_bytes_total", "counter", "Bytes the retention "
	    "policy removed.", p->stats.pruned_bytes);
	one_u64(b, "hyco_pruned_cycles_total", "counter", "Cycle directories "
	    "the retention policy removed.", p->stats.pruned_cycles);
	one_u64(b, "hyco_pruned_datasets_total", "counter", "Datasets the "
	    "retention policy removed.", p->stats.pruned_datasets);
	one_u64(b, "hyco_prune_passes_total", "counter", "Policy passes that "
	    "removed something.", p->stats.passes);
	one_u64(b, "hyco_prune_idle_passes_total", "counter", "Policy passes "
	    "below a watermark that found only protected candidates.",
	    p->stats.idle_passes);
	one_u64(b, "hyco_pruning", "gauge", "1 while a policy pass is due or "
	    "removes.", policy_busy(p));
	one_u64(b, "hyco_cycle_dir_refused_total", "counter", "get-cycle-dir "
	    "requests refused below retention.refuse_below.", p->stats.refused);
}

static void
render_server(struct metrics_text *b, const struct server *srv)
{
	const struct server_stats *s = &srv->stats;

	one_u64(b, "hyco_connections", "gauge", "Connections open.",
	    s->active);
	one_u64(b, "hyco_connections_accepted_total", "counter", "Connections "
	    "accepted.", s->accepted);
	one_u64(b, "hyco_connections_refused_total", "counter", "Connections "
	    "closed at accept: daemon.max_clients were open.",
	    s->refused_max_clients);
	one_u64(b, "hyco_connections_closed_too_large_total", "counter",
	    "Connections closed for a request over daemon.max_request_bytes.",
	    s->closed_too_large);
	one_u64(b, "hyco_connections_closed_bad_input_total", "counter",
	    "Connections closed for input that is not msgpack-RPC.",
	    s->closed_bad_input);
	one_u64(b, "hyco_messages_total", "counter", "msgpack messages framed.",
	    s->messages);
	one_u64(b, "hyco_reads_paused_total", "counter", "Times a "
	    "connection's requests stopped being read: its replies waited.",
	    s->paused_reads);
	one_double(b, "hyco_busy_poll_seconds_total", "counter", "Time the "
	    "loop polled without sleeping (daemon.busy_poll_us).",
	    (double)server_busy_poll_total(srv) / 1e9);
}

static void
render_requests(struct metrics_text *b, const struct stats *s)
{
	family(b, "hyco_requests_total", "counter", "Requests and "
	    "notifications handled, by method (stats methods).");
	for (int i = 0; i < s->nmethods; i++)
		put(b, "hyco_requests_total{method=\"%s\"} %llu\n",
		    s->methods[i].name,
		    (unsigned long long)s->methods[i].requests);
	family(b, "hyco_request_jobs_total", "counter", "Requests handed to "
	    "the thread pool, by method; the rest were answered on the loop.");
	for (int i = 0; i < s->nmethods; i++)
		put(b, "hyco_request_jobs_total{method=\"%s\"} %llu\n",
		    s->methods[i].name,
		    (unsigned long long)s->methods[i].jobs);
	family(b, "hyco_request_errors_total", "counter", "Error replies, by "
	    "method and code.");
	for (int i = 0; i < s->nmethods; i++)
		for (int c = RPC_OK + 1; c < RPC_ERROR_COUNT; c++)
			put(b, "hyco_request_errors_total{method=\"%s\",code="
			    "\"%s\"} %llu\n", s->methods[i].name,
			    rpc_error_codes[c],
			    (unsigned long long)s->methods[i].errors[c]);
	family(b, "hyco_request_duration_seconds", "histogram", "From the "
	    "request framed to its reply packed (pool jobs: to their answer).");
	for (int i = 0; i < s->nmethods; i++) {
		const struct stats_method *m = &s->methods[i];
		uint64_t cum = 0;
		for (int k = 0; k < STATS_BUCKETS; k++) {
			cum += m->latency[k];
			put(b, "hyco_request_duration_seconds_bucket{method=\"%s\","
			    "le=\"%.9g\"} %llu\n", m->name,
			    (double)stats_bucket_us(k) / 1e6,
			    (unsigned long long)cum);
		}
		put(b, "hyco_request_duration_seconds_bucket{method=\"%s\","
		    "le=\"+Inf\"} %llu\n", m->name,
		    (unsigned long long)m->latency_count);
		put(b, "hyco_request_duration_seconds_sum{method=\"%s\"} %.17g\n",
		    m->name, m->latency_sum_s);
		put(b, "hyco_request_duration_seconds_count{method=\"%s\"} %llu\n",
		    m->name, (unsigned long long)m->latency_count);
	}
}

/* get-cycle-dir per kind and dataset: tracked names, then the rest. */
static void
render_cycle_dirs(struct metrics_text *b, const struct stats *s)
{
	struct stats_dataset other = s->other;
	bool any_other = other.last_asked > 0;
	char e[ESC_MAX];

	/* Names that are not UTF-8 join the rest: a label must be. */
	for (size_t i = 0; i < s->nds; i++)
		if (!utf8_valid(s->ds[i].name)) {
			for (int k = 0; k < KIND_COUNT; k++) {
				other.hits[k] += s->ds[i].hits[k];
				other.misses[k] += s->ds[i].misses[k];
			}
			if (s->ds[i].last_asked > other.last_asked)
				other.last_asked = s->ds[i].last_asked;
			any_other = true;
		}
	if (s->nds == 0 && !any_other)
		return;		/* no family without a series */
	for (int f = 0; f < 2; f++) {
		const char *name = f == 0 ? "hyco_cycle_dir_hits_total" :
		    "hyco_cycle_dir_misses_total";
		family(b, name, "counter", f == 0 ? "get-cycle-dir answers for "
		    "a directory that existed." : "get-cycle-dir answers that "
		    "created the directory.");
		for (size_t i = 0; i <= s->nds; i++) {
			const struct stats_dataset *d = i < s->nds ? &s->ds[i] :
			    &other;
			if (i < s->nds ? !utf8_valid(d->name) : !any_other)
				continue;
			for (int k = 0; k < KIND_COUNT; k++)
				put(b, "%s{kind=\"%s\",dataset=\"%s\"} %llu\n", name,
				    layout_kind_names[k], i < s->nds ?
				    esc(e, sizeof(e), d->name) :
				    METRICS_OTHER_DATASET, (unsigned long long)
				    (f == 0 ? d->hits[k] : d->misses[k]));
		}
	}
	family(b, "hyco_dataset_last_asked_timestamp_seconds", "gauge", "When "
	    "get-cycle-dir last answered for the dataset.");
	for (size_t i = 0; i < s->nds; i++)
		if (utf8_valid(s->ds[i].name))
			put(b, "hyco_dataset_last_asked_timestamp_seconds{dataset="
			    "\"%s\"} %.17g\n", esc(e, sizeof(e), s->ds[i].name),
			    s->ds[i].last_asked);
	if (any_other)
		put(b, "hyco_dataset_last_asked_timestamp_seconds{dataset="
		    "\"%s\"} %.17g\n", METRICS_OTHER_DATASET, other.last_asked);
}

static void
render_events(struct metrics_text *b, const struct events *ev,
    const struct textfile *tf)
{
	one_u64(b, "hyco_event_subscribers", "gauge", "Connections subscribed "
	    "to events.", events_subscribers(ev));
	one_u64(b, "hyco_event_notifications_total", "counter", "Event "
	    "notifications queued to subscribers.", ev->stats.notifications);
	one_u64(b, "hyco_event_subscribers_dropped_total", "counter",
	    "Subscribers dropped for not reading (events.max_queued_bytes).",
	    ev->stats.dropped);
	one_u64(b, "hyco_metrics_textfile_writes_total", "counter", "Times "
	    "metrics.textfile was rewritten.", tf->writes);
	one_u64(b, "hyco_metrics_textfile_errors_total", "counter", "Times "
	    "metrics.textfile could not be rewritten (see the log).",
	    tf->errors);
}

int
metrics_render(struct metrics_text *out, const struct hycod *d)
{
	struct metrics_fs fs[METRICS_FS_MAX];
	struct tally t = { 0 };
	int nfs, rc;

	out->len = 0;
	out->nomem = false;
	if ((nfs = metrics_filesystems(d, fs, METRICS_FS_MAX)) < 0)
		return nfs;
	if (watch_tally(&d->watch, &t) == -1) {
		tally_free(&t);
		return -ENOMEM;
	}
	family(out, "hyco_build_info", "gauge", "The daemon's version.");
	put(out, "hyco_build_info{version=\"%s\"} 1\n", HYCO_VERSION);
	one_double(out, "hyco_start_time_seconds", "gauge", "When the daemon "
	    "started, Unix time.", d->stats.since);
	render_cache(out, &t);
	rc = render_datasets(out, &t, d->stats.max_datasets);
	tally_free(&t);
	if (rc < 0)
		return rc;
	render_filesystems(out, fs, (size_t)nfs);
	render_index(out, &d->watch);
	render_removals(out, &d->trash, &d->policy);
	render_server(out, &d->server);
	render_requests(out, &d->stats);
	render_cycle_dirs(out, &d->stats);
	render_events(out, &d->events, &d->textfile);
	return out->nomem ? -ENOMEM : 0;
}
