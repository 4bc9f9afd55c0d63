/*
 * hycoctl.c: command-line client of hycod, built on libhyco.
 *
 * One table of commands drives everything: each row names the command,
 * its usage and help (which --help prints), the check of its arguments
 * (done before connecting), the typed libhyco call (which checks the
 * type of every reply field) and the text output. --json prints the
 * call's whole result instead (json.c).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "config_yaml.h"
#include "format.h"
#include "hyco.h"
#include "json.h"
#include "log.h"
#include "owner.h"
#include "refresh.h"

#define EXIT_REFUSED	1	/* the daemon said no, or bad usage */
#define EXIT_NOSPACE	2	/* disk-check: not enough free space */
#define EXIT_UNREACHABLE 3	/* the daemon cannot be reached */
#define WATCH_INTERVAL_S 2.0	/* summary --watch, without --interval */
#define MAX_CONFIG_FILES 16
#define HELP_COLUMN	40	/* where the help texts start */

struct opts {
	const char	*files[MAX_CONFIG_FILES];
	int		 nfiles;
	const char	*socket;
	int		 json, verbose;
	const char	*kind, *dataset, *required;
	long		 cycle;
	int		 have_cycle;
	const char	*arg;		/* the command's operand: clean's target */
	int		 yes;		/* clean: confirmed on the command line */
	int		 dry_run;
	uint64_t	 required_bytes;	/* disk-check, from required */
	const char	*warn, *critical;	/* check: 15% or 20G */
	struct check_opts check;		/* check: from those, --inodes */
	int		 watch;			/* summary --watch */
	double		 interval;		/* its seconds, 0: default */
	const char	*events;	/* watch: the types, comma-separated */
};

/* What a command's call returns, for its output. */
union result {
	struct hyco_ping	ping;
	struct {
		char		path[4096];
	}			dir;
	struct hyco_cleanup	cleanup;
	struct hyco_summary	summary;
	struct hyco_disk_check	disk;
	struct hyco_prune	prune;
	struct hyco_reload	reload;
	struct {
		struct hyco_summary s;
		int		 status;	/* EXIT_* of the plugin */
		char		*line;		/* what it prints */
	}			check;
	struct hyco_stats	stats;
	struct {
		const char	*text;
		size_t		 len;
	}			metrics;
	const hyco_value	*value;		/* config: the whole result */
};

struct command {
	const char	*name;
	const char	*usage;		/* after the name */
	const char	*help;
	int		 operand;	/* takes one word after the name */
	/* Check the arguments before connecting: 0, or -1 (said why). */
	int		(*check)(struct opts *o);
	/* The typed call: HYCO_OK or its status. */
	int		(*call)(hyco_client *c, const struct opts *o,
			    union result *r);
	/* Print r as text. */
	void		(*print)(const struct opts *o, const union result *r);
	/* The exit status of a result (NULL: 0). */
	int		(*status)(const union result *r);
	/* Free r (NULL: nothing to free). */
	void		(*done)(union result *r);
};

static void usage(FILE *out);

static int
die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "hycoctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return -1;
}

static int
parse_long_arg(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

/*
 * SIZE is a number with an optional unit: K, M, G, T, P (powers of
 * 1000, as the seed's GB) or KiB, MiB, GiB, TiB (powers of 1024);
 * a trailing B is allowed ("20GB").
 */
static int
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTP";
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0 || !isfinite(v))
		return -1;
	if (*end != '\0') {
		const char *u = strchr(units, toupper((unsigned char)*end));
		if (u == NULL)
			return -1;
		int power = (int)(u - units) + 1;
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "i") == 0)
			mult = pow(1024, power);
		else if (*end == '\0' || strcmp(end, "B") == 0)
			mult = pow(1000, power);
		else
			return -1;
	}
	if (v * mult >= 9.2e18)
		return -1;
	*out = (uint64_t)ceil(v * mult);
	return 0;
}

/*
 * Find the socket: --socket, $HYCO_SOCKET, -c files, default config.
 * root gets the config's cache root when a config was read ("" when
 * the socket was given and no -c), for owner_check.
 */
static int
find_socket(const struct opts *o, char *out, size_t size, char *root,
    size_t rootsz)
{
	struct hyco_config cfg;
	struct cfg_errors errs = { 0 };
	const char *env = getenv("HYCO_SOCKET");
	const char *def = config_default_path();
	const char *const *files = o->files;
	int n = o->nfiles;

	root[0] = '\0';
	if ((o->socket != NULL || (env != NULL && env[0] != '\0')) &&
	    o->nfiles == 0) {
		snprintf(out, size, "%s", o->socket ? o->socket : env);
		return 0;
	}
	/* No config anywhere: the built-in defaults say where hycod is. */
	if (n == 0 && access(def, R_OK) == 0) {
		files = &def;
		n = 1;
	}
	if (config_load(&cfg, files, n, NULL, 0, &errs) == -1) {
		cfg_errors_print(&errs, stderr);
		cfg_errors_clear(&errs);
		fprintf(stderr, "hycoctl: cannot find the socket: config errors\n");
		return -1;
	}
	if (o->socket != NULL || (env != NULL && env[0] != '\0'))
		snprintf(out, size, "%s", o->socket ? o->socket : env);
	else
		snprintf(out, size, "%s", cfg.socket);
	snprintf(root, rootsz, "%s", cfg.layout.cache_root);
	config_free(&cfg);
	return 0;
}

static double
gb(uint64_t bytes)
{
	return (double)bytes / 1e9;
}

/* "ok", or the level in capitals so that it stands out. */
static const char *
level_text(char *buf, size_t size, const char *level)
{
	size_t i;

	for (i = 0; level[i] != '\0' && i + 1 < size; i++)
		buf[i] = strcmp(level, "ok") == 0 ? level[i] :
		    (char)toupper((unsigned char)level[i]);
	buf[i] = '\0';
	return buf;
}

static int
status_exit(hyco_client *c, int rc)
{
	const char *code = hyco_error_code(c);

	if (rc == HYCO_OK)
		return 0;
	if (rc == HYCO_EREFUSED)
		fprintf(stderr, "hycoctl: %s: %s\n", code, hyco_error_message(c));
	else
		fprintf(stderr, "hycoctl: %s\n", hyco_error_message(c));
	return rc == HYCO_ECONNECT || rc == HYCO_ETIMEOUT ? EXIT_UNREACHABLE :
	    EXIT_REFUSED;
}

/* -- summary ---------------------------------------------------------------- */

static int
call_summary(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_summary(c, &r->summary);
}

/* The alert level, then a line per filesystem (-v: two). */
static void
print_filesystems(const struct opts *o, const struct hyco_summary *s)
{
	char lv[16], fb[24], tb[24], p[16], pi[16], t[32];

	printf("Alert level:     %s\n", level_text(lv, sizeof(lv),
	    s->alert_level));
	for (size_t i = 0; i < s->nfilesystems; i++) {
		const struct hyco_filesystem *f = s->filesystems[i];
		printf("  %-14s %s free of %s (%s), %s, ", f->mount,
		    format_bytes(fb, sizeof(fb), (double)f->free_bytes),
		    format_bytes(tb, sizeof(tb), (double)f->total_bytes),
		    format_percent(p, sizeof(p), f->free_bytes, f->total_bytes),
		    level_text(lv, sizeof(lv), f->level));
		if (f->time_to_full_s >= 0)
			printf("full in %s\n", format_duration(t, sizeof(t),
			    f->time_to_full_s));
		else
			printf("not filling\n");
		if (f->error[0] != '\0')
			printf("  %-14s statvfs failed: %s (figures as last "
			    "read)\n", "", f->error);
		if (!o->verbose)
			continue;
		printf("  %-14s %s %s (%s), %llu of %llu inodes free (%s), "
		    "holds", "", f->fstype, f->source, f->device,
		    (unsigned long long)f->free_inodes,
		    (unsigned long long)f->total_inodes,
		    format_percent(pi, sizeof(pi), f->free_inodes,
		    f->total_inodes));
		for (size_t k = 0; k < f->nroots; k++)
			printf("%s%s", k ? ", " : " ", f->roots[k]);
		printf("\n  %-14s %s\n", "", f->reason);
	}
}

static void
print_summary(const struct opts *o, const union result *r)
{
	const struct hyco_summary *s = &r->summary;
	const char *rule = "============================================================";

	printf("%s\nCACHE USAGE SUMMARY\n%s\n", rule, rule);
	printf("Tensor cache:    %.2f GB\n", gb(s->tensors));
	printf("Generated cache: %.2f GB\n", gb(s->generated));
	printf("Eval cache:      %.2f GB\n", gb(s->eval));
	printf("Total cache:     %.2f GB\n", gb(s->total));
	printf("%s\n", rule);
	print_filesystems(o, s);
	if (!o->verbose)
		return;
	printf("Files:           %llu\n", (unsigned long long)s->files);
	printf("Disk free:       %.2f GB of %.2f GB (%s)\n",
	    gb(s->disk_free_bytes), gb(s->disk_total_bytes), s->disk_path);
	printf("Index:           %s; %llu files in %llu watched directories"
	    "%s, %.1f MB\n", s->exact ? "exact" : "NOT EXACT (re-scanning)",
	    (unsigned long long)s->tracked_files,
	    (unsigned long long)s->watched_dirs,
	    s->unwatched_dirs ? " (some unwatched: see the log)" : "",
	    (double)s->index_bytes / 1e6);
	printf("\n%-32s %12s %12s %12s\n", "Dataset", "Tensors GB",
	    "Generated GB", "Eval GB");
	for (size_t i = 0; i < s->ndatasets; i++)
		printf("%-32s %12.2f %12.2f %12.2f\n", s->datasets[i]->name,
		    gb(s->datasets[i]->tensors), gb(s->datasets[i]->generated),
		    gb(s->datasets[i]->eval));
	printf("\n%-10s %8s %14s %10s\n", "Kind", "Cycle", "Bytes", "Files");
	for (size_t i = 0; i < s->ncycles; i++)
		printf("%-10s %8ld %14llu %10llu\n", s->cycles[i]->kind,
		    s->cycles[i]->cycle, (unsigned long long)s->cycles[i]->bytes,
		    (unsigned long long)s->cycles[i]->files);
}

static void
done_summary(union result *r)
{
	hyco_summary_free(&r->summary);
}

/* -- cycle-dir -------------------------------------------------------------- */

static int
check_cycle_dir(struct opts *o)
{
	if (o->kind == NULL || !o->have_cycle)
		return die_usage("%s needs --kind and --cycle", "cycle-dir");
	return 0;
}

static int
call_cycle_dir(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_get_cycle_dir(c, o->kind, o->cycle, o->dataset, r->dir.path,
	    sizeof(r->dir.path), NULL);
}

/* The path alone, for dir=$(hycoctl cycle-dir ...). */
static void
print_cycle_dir(const struct opts *o, const union result *r)
{
	(void)o;
	printf("%s\n", r->dir.path);
}

/* -- cleanup, clean --------------------------------------------------------- */

static int
check_cleanup(struct opts *o)
{
	if (!o->have_cycle)
		return die_usage("%s needs --cycle", "cleanup");
	return 0;
}

static int
call_cleanup(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_cleanup_cycle(c, o->cycle, o->kind, &r->cleanup);
}

static void
print_cleanup(const struct opts *o, const union result *r)
{
	const struct hyco_cleanup *cl = &r->cleanup;

	(void)o;
	printf("freed %llu bytes (%.2f GB)\n",
	    (unsigned long long)cl->freed_bytes, gb(cl->freed_bytes));
	for (size_t i = 0; i < cl->nremoved; i++)
		printf("removed %s\n", cl->removed[i]);
}

static void
done_cleanup(union result *r)
{
	hyco_cleanup_free(&r->cleanup);
}

/* The seed's cleanup_all_generated_cache: no question, no dataset. */
static int
clean_is_generated(const struct opts *o)
{
	return strcmp(o->arg, "generated") == 0 && o->dataset == NULL;
}

/*
 * clean asks first: a yes on a terminal, or --yes. Without a terminal
 * and without --yes there is nobody to ask, so it refuses.
 */
static int
confirm(const struct opts *o)
{
	char line[16];

	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "hycoctl: clean %s removes cached data; stdin is "
		    "not a terminal, so pass --yes to confirm\n", o->arg);
		return -1;
	}
	fprintf(stderr, "Remove the %s cache%s%s%s? This cannot be undone. "
	    "[y/N] ", o->arg, o->dataset ? " of dataset '" : "",
	    o->dataset ? o->dataset : "", o->dataset ? "'" : "");
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0)) {
		fprintf(stderr, "hycoctl: not confirmed, nothing removed\n");
		return -1;
	}
	return 0;
}

static int
check_clean(struct opts *o)
{
	static const char *const targets[] = { "tensors", "eval", "generated",
	    "all" };
	size_t i;

	for (i = 0; o->arg != NULL && i < 4; i++)
		if (strcmp(o->arg, targets[i]) == 0)
			break;
	if (o->arg == NULL || i == 4)
		return die_usage("clean takes tensors, eval, generated or all, "
		    "not '%s'", o->arg ? o->arg : "nothing");
	if (clean_is_generated(o) || o->yes)
		return 0;
	return confirm(o);
}

static int
call_clean(hyco_client *c, const struct opts *o, union result *r)
{
	if (clean_is_generated(o))
		return hyco_cleanup_generated_sized(c, 0, &r->cleanup,
		    sizeof(r->cleanup));
	return hyco_clean(c, o->arg, o->dataset, HYCO_CONFIRM, &r->cleanup);
}

/* -- prune ------------------------------------------------------------------ */

static int
call_prune(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_prune(c, o->dry_run ? HYCO_DRY_RUN : 0, &r->prune);
}

static void
print_prune(const struct opts *o, const union result *r)
{
	const struct hyco_prune *p = &r->prune;

	(void)o;
	printf("%s\n", p->dry_run ? "dry run: nothing removed" : "pruning:");
	if (p->nitems == 0)
		printf("nothing to remove: free space above retention."
		    "prune_below, no cycle beyond keep_last_cycles\n");
	for (size_t i = 0; i < p->nitems; i++) {
		const struct hyco_prune_item *it = p->items[i];
		printf("%-6s %s (%.2f GB): %s\n", it->remove ? "remove" : "keep",
		    it->path, gb(it->bytes), it->why);
	}
}

static void
done_prune(union result *r)
{
	hyco_prune_free(&r->prune);
}

/* -- disk-check ------------------------------------------------------------- */

static int
check_disk(struct opts *o)
{
	if (o->required == NULL || parse_size(o->required,
	    &o->required_bytes) == -1)
		return die_usage("disk-check needs --required SIZE (like 500M, "
		    "20G, 1.5T), got '%s'", o->required ? o->required : "");
	return 0;
}

static int
call_disk(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_disk_check(c, o->required_bytes, &r->disk);
}

static void
print_disk(const struct opts *o, const union result *r)
{
	const struct hyco_disk_check *d = &r->disk;

	(void)o;
	printf("%s: %.2f GB available, %.2f GB required (%s)\n",
	    d->ok ? "ok" : "NOT ENOUGH SPACE", gb(d->available_bytes),
	    gb(d->required_bytes), d->path);
}

static int
status_disk(const union result *r)
{
	return r->disk.ok ? 0 : EXIT_NOSPACE;
}

/* -- check: a Monitoring Plugins plugin ------------------------------------ */

/* "15%", or an amount: a SIZE for bytes, a plain count for inodes. */
static int
parse_mark(const char *s, struct check_mark *m)
{
	char *end;
	uint64_t n;
	double v;

	if (s == NULL)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (end != s && errno == 0 && *end == '%' && end[1] == '\0' &&
	    v >= 0 && v <= 100) {
		*m = (struct check_mark){ 1, 1, v };
		return 0;
	}
	if (parse_size(s, &n) == -1)
		return -1;
	*m = (struct check_mark){ 1, 0, (double)n };
	return 0;
}

/* A plugin's bad arguments are UNKNOWN: exit here, before connecting. */
static int
check_check(struct opts *o)
{
	if (parse_mark(o->warn, &o->check.warn) == -1)
		exit(check_unknown("--warn takes a percentage like 15%% or an "
		    "amount like 20G, not '%s'", o->warn));
	if (parse_mark(o->critical, &o->check.crit) == -1)
		exit(check_unknown("--critical takes a percentage like 5%% or "
		    "an amount like 5G, not '%s'", o->critical));
	if (o->json)
		exit(check_unknown("%s", "check prints one plugin line; "
		    "--json is not for it"));
	return 0;
}

/* A daemon it cannot reach is the plugin's UNKNOWN line, not a failure. */
static int
call_check(hyco_client *c, const struct opts *o, union result *r)
{
	r->check.status = check_run(c, &o->check, &r->check.s,
	    &r->check.line);
	return HYCO_OK;
}

static void
print_check(const struct opts *o, const union result *r)
{
	(void)o;
	if (r->check.line != NULL)
		printf("%s\n", r->check.line);
}

static int
status_check(const union result *r)
{
	return r->check.status;
}

static void
done_check(union result *r)
{
	hyco_summary_free(&r->check.s);
	free(r->check.line);
}

/* -- stats, metrics --------------------------------------------------------- */

static int
call_stats(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_stats(c, &r->stats);
}

/* The bound below which a share q of the answers came: "<= 64 us". */
static void
quantile(char *buf, size_t size, const struct hyco_stats *s,
    const struct hyco_method_stats *m, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)m->latency_count), cum = 0;

	if (m->latency_count == 0) {
		snprintf(buf, size, "-");
		return;
	}
	for (size_t i = 0; i < m->nlatency; i++) {
		cum += m->latency_counts[i];
		if (cum < want)
			continue;
		if (i >= s->nbuckets)
			snprintf(buf, size, "> %llu us", (unsigned long long)
			    (s->nbuckets ? s->latency_buckets_us[s->nbuckets - 1] : 0));
		else
			snprintf(buf, size, "<= %llu us",
			    (unsigned long long)s->latency_buckets_us[i]);
		return;
	}
	snprintf(buf, size, "?");
}

static void
print_ago(double t)
{
	if (t <= 0)
		printf("%12s", "never");
	else
		printf("%10.0f s", difftime(time(NULL), (time_t)t));
}

static void
print_stats(const struct opts *o, const union result *r)
{
	const struct hyco_stats *s = &r->stats;
	char p50[32], p99[32];

	(void)o;
	printf("%-18s %10s %8s %12s %14s %14s\n", "Method", "Requests",
	    "Errors", "Mean us", "p50", "p99");
	for (size_t i = 0; i < s->nmethods; i++) {
		const struct hyco_method_stats *m = s->methods[i];
		uint64_t errors = m->errors_invalid_argument +
		    m->errors_unknown_method + m->errors_too_large +
		    m->errors_io_error + m->errors_no_space + m->errors_internal +
		    m->errors_permission_denied;
		quantile(p50, sizeof(p50), s, m, 0.5);
		quantile(p99, sizeof(p99), s, m, 0.99);
		printf("%-18s %10llu %8llu %12.1f %14s %14s\n", m->name,
		    (unsigned long long)m->requests, (unsigned long long)errors,
		    m->latency_count ? m->latency_sum_s * 1e6 /
		    (double)m->latency_count : 0.0, p50, p99);
	}
	printf("\nget-cycle-dir by dataset (hits: existed, misses: created)\n");
	printf("%-32s %10s %10s %10s %10s %12s\n", "Dataset", "syn hits",
	    "syn misses", "phys hits", "phys misses", "asked ago");
	for (size_t i = 0; i <= s->ndatasets; i++) {
		const struct hyco_dataset_stats *d = i < s->ndatasets ?
		    s->datasets[i] : NULL;
		if (d == NULL && s->other_last_asked <= 0)
			continue;
		printf("%-32s %10llu %10llu %10llu %10llu ", d ? d->name :
		    "(other datasets)",
		    (unsigned long long)(d ? d->hits_synthetic :
		    s->other_hits_synthetic),
		    (unsigned long long)(d ? d->misses_synthetic :
		    s->other_misses_synthetic),
		    (unsigned long long)(d ? d->hits_physical :
		    s->other_hits_physical),
		    (unsigned long long)(d ? d->misses_physical :
		    s->other_misses_physical));
		print_ago(d ? d->last_asked : s->other_last_asked);
		printf("\n");
	}
	printf("\n%-10s %8s %14s %10s\n", "Kind", "Cycle", "Bytes", "Files");
	for (size_t i = 0; i < s->ncycles; i++)
		printf("%-10s %8ld %14llu %10llu\n", s->cycles[i]->kind,
		    s->cycles[i]->cycle, (unsigned long long)s->cycles[i]->bytes,
		    (unsigned long long)s->cycles[i]->files);
	printf("\nEvents: %llu subscribers, %llu notifications sent, %llu "
	    "subscribers dropped\n", (unsigned long long)s->subscribers,
	    (unsigned long long)s->notifications,
	    (unsigned long long)s->dropped);
}

static void
done_stats(union result *r)
{
	hyco_stats_free(&r->stats);
}

static int
call_metrics(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_metrics(c, &r->metrics.text, &r->metrics.len);
}

/* The exposition exactly as the daemon wrote it: pipe it anywhere. */
static void
print_metrics(const struct opts *o, const union result *r)
{
	(void)o;
	fwrite(r->metrics.text, 1, r->metrics.len, stdout);
}

/* -- watch ------------------------------------------------------------------ */

#define WATCH_TYPES_MAX	32	/* names in --events */

static int
check_watch(struct opts *o)
{
	if (o->events != NULL && (o->events[0] == '\0' ||
	    strlen(o->events) > 1024))
		return die_usage("--events takes event types separated by "
		    "commas, not '%s'", o->events);
	return 0;
}

/* A string value that reads back as one word, or NULL to quote it. */
static int
plain(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\\' ||
		    s[i] == '=' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* One event as a line: time, type, then key=value in the daemon's order. */
static void
print_event(const hyco_value *ev)
{
	const char *type = "?";
	size_t len = 1;
	double t = 0;
	char when[64] = "?";

	type = hyco_value_str(hyco_map_get(ev, "type"), &len);
	if (type == NULL) {
		type = "?";
		len = 1;
	}
	if (hyco_value_float(hyco_map_get(ev, "time"), &t) == 0) {
		time_t secs = (time_t)t;
		struct tm tm;
		if (gmtime_r(&secs, &tm) != NULL) {
			size_t n = strftime(when, sizeof(when),
			    "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(when + n, sizeof(when) - n, ".%03dZ",
			    (int)((t - (double)secs) * 1000));
		}
	}
	printf("%s %.*s", when, (int)len, type);
	for (size_t i = 0; i < hyco_map_len(ev); i++) {
		const hyco_value *k = hyco_map_key(ev, i), *v = hyco_map_val(ev, i);
		const char *ks = hyco_value_str(k, &len), *vs;
		size_t vlen;
		int64_t iv;
		uint64_t uv;
		double dv;
		int b;
		if (ks == NULL || (len == 4 && (memcmp(ks, "type", 4) == 0 ||
		    memcmp(ks, "time", 4) == 0)))
			continue;
		printf(" %.*s=", (int)len, ks);
		if (hyco_value_uint(v, &uv) == 0)
			printf("%llu", (unsigned long long)uv);
		else if (hyco_value_int(v, &iv) == 0)
			printf("%lld", (long long)iv);
		else if (hyco_value_type(v) == HYCO_TYPE_FLOAT &&
		    hyco_value_float(v, &dv) == 0)
			printf("%.3f", dv);
		else if (hyco_value_bool(v, &b) == 0)
			printf("%s", b ? "true" : "false");
		else if ((vs = hyco_value_str(v, &vlen)) != NULL &&
		    plain(vs, vlen))
			printf("%.*s", (int)vlen, vs);
		else
			json_print(stdout, v);	/* quoted, escaped: one line */
	}
	putchar('\n');
}

/*
 * Subscribe, then print each event as it comes, flushed at once, until
 * the daemon stops (exit 0 after its shutdown event), drops us (1) or
 * goes away (3).
 */
static int
stream_watch(hyco_client *c, const struct opts *o)
{
	const char *types[WATCH_TYPES_MAX + 1];
	char buf[1025], *save, *tok;
	const hyco_value *ev;
	size_t n = 0;
	int rc, show_shutdown = 1;

	if (o->events != NULL) {
		snprintf(buf, sizeof(buf), "%s", o->events);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (n == WATCH_TYPES_MAX) {
				fprintf(stderr, "hycoctl: --events: at most %d "
				    "types\n", WATCH_TYPES_MAX);
				return EXIT_REFUSED;
			}
			types[n++] = tok;
		}
		/* Asked for or not, shutdown says the end is no failure. */
		show_shutdown = 0;
		for (size_t i = 0; i < n; i++)
			show_shutdown |= strcmp(types[i], "shutdown") == 0;
		if (!show_shutdown)
			types[n++] = "shutdown";
	}
	if ((rc = hyco_subscribe(c, types, n)) != HYCO_OK)
		return status_exit(c, rc);
	for (;;) {
		const char *type;
		size_t len;
		int shutdown;
		if ((rc = hyco_next_event(c, -1, &ev)) != HYCO_OK)
			return status_exit(c, rc);
		type = hyco_value_str(hyco_map_get(ev, "type"), &len);
		shutdown = type != NULL && len == 8 &&
		    memcmp(type, "shutdown", 8) == 0;
		if (shutdown && !show_shutdown)
			return 0;
		if (o->json) {
			json_print(stdout, ev);
			putchar('\n');
		} else
			print_event(ev);
		if (fflush(stdout) == EOF)
			return EXIT_REFUSED;	/* main says why */
		if (shutdown)
			return 0;
		if (type != NULL && len == 7 && memcmp(type, "dropped", 7) == 0) {
			fprintf(stderr, "hycoctl: hycod dropped this watch: it "
			    "read too slowly\n");
			return EXIT_REFUSED;
		}
	}
}

/* -- ping ------------------------------------------------------------------- */

static int
call_ping(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_ping(c, &r->ping);
}

static void
print_ping(const struct opts *o, const union result *r)
{
	(void)o;
	printf("hycod %s pid %ld up %.1f s\n", r->ping.version, r->ping.pid,
	    r->ping.uptime_s);
}

/* -- reload ----------------------------------------------------------------- */

static int
call_reload(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_reload(c, &r->reload);
}

/* What changed, what waits for a restart; or why nothing did (stderr). */
static void
print_reload(const struct opts *o, const union result *r)
{
	const struct hyco_reload *rl = &r->reload;

	(void)o;
	if (!rl->ok) {
		for (size_t i = 0; i < rl->nerrors; i++)
			fprintf(stderr, "%s\n", rl->errors[i]);
		fprintf(stderr, "hycoctl: reload refused: %zu error%s in the "
		    "config; the one in force is unchanged\n", rl->nerrors,
		    rl->nerrors == 1 ? "" : "s");
		return;
	}
	printf("reloaded: %zu changed, %zu need a restart\n", rl->nchanged,
	    rl->nrefused);
	for (size_t i = 0; i < rl->nchanged; i++)
		printf("  %s: %s -> %s\n", rl->changed[i]->key,
		    rl->changed[i]->from, rl->changed[i]->to);
	for (size_t i = 0; i < rl->nrefused; i++)
		printf("  %s: %s -> %s (needs a restart; %s until then)\n",
		    rl->refused[i]->key, rl->refused[i]->from,
		    rl->refused[i]->to, rl->refused[i]->from);
}

static int
status_reload(const union result *r)
{
	return r->reload.ok ? 0 : 1;
}

static void
done_reload(union result *r)
{
	hyco_reload_free(&r->reload);
}

/* -- config ------------------------------------------------------------------ */

static int
call_config(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_call(c, "config", NULL, 0, &r->value);
}

static void
print_config(const struct opts *o, const union result *r)
{
	(void)o;
	(void)config_yaml_print(stdout, hyco_map_get(r->value, "config"));
}

static const struct command commands[] = {
	{ "summary", "[--watch [--interval S]]",
	    "cache usage, alert level (-v: per dataset and cycle)\n"
	    "--watch: again every S seconds (2), until Ctrl-C",
	    0, NULL, call_summary, print_summary, NULL, done_summary },
	{ "cycle-dir", "--kind K --cycle N [--dataset D]",
	    "create and print a cycle directory",
	    0, check_cycle_dir, call_cycle_dir, print_cycle_dir, NULL, NULL },
	{ "cleanup", "--cycle N [--kind K]",
	    "remove a cycle's predictions (K: synthetic, physical, all)",
	    0, check_cleanup, call_cleanup, print_cleanup, NULL, done_cleanup },
	{ "clean", "tensors|eval|generated|all [--dataset D] [--yes]",
	    "remove cached data (asks first unless --yes)\n"
	    "plain 'clean generated' empties both prediction caches, unasked",
	    1, check_clean, call_clean, print_cleanup, NULL, done_cleanup },
	{ "prune", "[--dry-run]",
	    "run the retention policy now (--dry-run: only show)",
	    0, NULL, call_prune, print_prune, NULL, done_prune },
	{ "disk-check", "--required SIZE",
	    "exit 0 if SIZE (500M, 20G, 1.5T) is free, else 2",
	    0, check_disk, call_disk, print_disk, status_disk, NULL },
	{ "ping", "", "daemon version, pid, uptime",
	    0, NULL, call_ping, print_ping, NULL, NULL },
	{ "reload", "", "read the config files again (as SIGHUP);\n"
	    "exit 1 if they have errors (the old config stays)",
	    0, NULL, call_reload, print_reload, status_reload, done_reload },
	{ "check", "[--warn 15%] [--critical 5%] [--inodes]",
	    "Nagios plugin: free space of each filesystem; exit 0 OK,\n"
	    "1 WARNING, 2 CRITICAL, 3 UNKNOWN (default: hycod's levels)",
	    0, check_check, call_check, print_check, status_check, done_check },
	{ "stats", "", "requests per method (latency), get-cycle-dir per "
	    "dataset, bytes per cycle",
	    0, NULL, call_stats, print_stats, NULL, done_stats },
	{ "metrics", "", "the metrics in Prometheus's text format",
	    0, NULL, call_metrics, print_metrics, NULL, NULL },
	{ "watch", "[--events TYPE,...]", "print events as they happen, one "
	    "a line\n(alert, cycle_created, cycle_removed, prune, exact_lost,\n"
	    "exact_regained, reload, shutdown; default all)",
	    0, check_watch, NULL, NULL, NULL, NULL },
	{ "config", "", "the daemon's resolved config, as YAML (--json: "
	    "with\nthe paths it uses and its working directory)",
	    0, NULL, call_config, print_config, NULL, NULL },
};
static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static void
usage(FILE *out)
{
	fprintf(out, "usage: hycoctl [-c FILE] [--socket PATH] [--json] [-v] "
	    "COMMAND\ncommands:\n");
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *cmd = &commands[i];
		int n = fprintf(out, "  %s%s%s", cmd->name, cmd->usage[0] ?
		    " " : "", cmd->usage);
		/* Each help line at its column; after a long usage, below it. */
		for (const char *help = cmd->help; ; n = 0) {
			const char *nl = strchr(help, '\n');
			int len = nl ? (int)(nl - help) : (int)strlen(help);
			if (n > HELP_COLUMN + 1) {
				fputc('\n', out);
				n = 0;
			}
			fprintf(out, "%*s %.*s\n", HELP_COLUMN + 2 - n, "", len,
			    help);
			if (nl == NULL)
				break;
			help = nl + 1;
		}
	}
	fprintf(out, "options, before or after the command:\n"
	    "  -c, --config FILE   the config naming the socket (repeat to "
	    "layer)\n"
	    "  --socket PATH       the socket; else $HYCO_SOCKET, else "
	    "daemon.socket of -c FILE\n"
	    "                      or of the default config\n"
	    "  --json              print the whole result as JSON\n"
	    "  -v, --verbose       summary: per dataset and cycle\n"
	    "  -y, --yes           clean: do not ask\n"
	    "  -n, --dry-run       prune: only show\n"
	    "  --warn X, --critical X  check: levels below X free, 15%% or 20G\n"
	    "  --inodes            check: free inodes too\n"
	    "  --watch, --interval S   summary: refresh every S seconds\n"
	    "  --events TYPE,...   watch: only these event types\n"
	    "  -h, --help          this text\n"
	    "Exit: 0 ok, 1 refused, 2 not enough space, 3 daemon unreachable;\n"
	    "check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN;\n"
	    "watch: 0 after the daemon's shutdown, 3 if it went away.\n");
}

enum { OPT_SOCKET = 256, OPT_JSON, OPT_KIND, OPT_DATASET, OPT_REQUIRED,
    OPT_CYCLE, OPT_WARN, OPT_CRITICAL, OPT_INODES, OPT_WATCH, OPT_INTERVAL,
    OPT_EVENTS };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, 'v' },
	{ "yes", no_argument, NULL, 'y' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "dataset", required_argument, NULL, OPT_DATASET },
	{ "required", required_argument, NULL, OPT_REQUIRED },
	{ "cycle", required_argument, NULL, OPT_CYCLE },
	{ "warn", required_argument, NULL, OPT_WARN },
	{ "critical", required_argument, NULL, OPT_CRITICAL },
	{ "inodes", no_argument, NULL, OPT_INODES },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options may stand before or after the command: getopt_long permutes
 * the operands to the end. Returns the command, or NULL (said why).
 */
static const struct command *
parse_args(int argc, char **argv, struct opts *o)
{
	const struct command *cmd = NULL;
	int ch;

	opterr = 0;	/* our messages, then the usage */
	while ((ch = getopt_long(argc, argv, ":c:vynh", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (o->nfiles == MAX_CONFIG_FILES) {
				die_usage("too many %s", "-c");
				return NULL;
			}
			o->files[o->nfiles++] = optarg;
			break;
		case OPT_SOCKET:
			o->socket = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'y':
			o->yes = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_KIND:
			o->kind = optarg;
			break;
		case OPT_DATASET:
			o->dataset = optarg;
			break;
		case OPT_REQUIRED:
			o->required = optarg;
			break;
		case OPT_EVENTS:
			o->events = optarg;
			break;
		case OPT_CYCLE:
			if (parse_long_arg(optarg, &o->cycle) == -1) {
				die_usage("--cycle takes an integer, not '%s'",
				    optarg);
				return NULL;
			}
			o->have_cycle = 1;
			break;
		case OPT_WARN:
			o->warn = optarg;
			break;
		case OPT_CRITICAL:
			o->critical = optarg;
			break;
		case OPT_INODES:
			o->check.inodes = 1;
			break;
		case OPT_WATCH:
			o->watch = 1;
			break;
		case OPT_INTERVAL: {
			char *end;
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->interval >= 0.1 && o->interval <= 86400)) {
				die_usage("--interval takes seconds from 0.1 to "
				    "86400, not '%s'", optarg);
				return NULL;
			}
			break;
		}
		case ':':
			die_usage("%s needs a value", argv[optind - 1]);
			return NULL;
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) ==
			    0 && strchr(argv[optind - 1], '=') != NULL)
				die_usage("%s: the option takes no value",
				    argv[optind - 1]);
			else if (optopt > 0 && optopt < OPT_SOCKET) {
				char opt[3] = { '-', (char)optopt, '\0' };
				die_usage("unknown option %s", opt);
			} else
				die_usage("unknown option %s", argv[optind - 1]);
			return NULL;
		}
	}
	if (optind == argc) {
		die_usage("%s", "no command given");
		return NULL;
	}
	for (size_t i = 0; i < ncommands && cmd == NULL; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		die_usage("unknown command '%s'", argv[optind]);
		return NULL;
	}
	if ((o->watch || o->interval > 0) && strcmp(cmd->name, "summary") != 0) {
		die_usage("--watch and --interval are for summary, not %s",
		    cmd->name);
		return NULL;
	}
	if (o->interval > 0 && !o->watch) {
		die_usage("%s needs --watch", "--interval");
		return NULL;
	}
	if (cmd->operand && optind + 1 < argc)
		o->arg = argv[optind + 1];
	if (optind + 1 + cmd->operand < argc) {
		die_usage("unexpected argument '%s'", argv[optind + 1 +
		    cmd->operand]);
		return NULL;
	}
	return cmd;
}

/* Run cmd on the daemon: its output and exit status. */
static int
run(const struct command *cmd, hyco_client *c, const struct opts *o)
{
	union result r;
	int rc;

	/* No call: watch, which runs on and prints as events come. */
	if (cmd->call == NULL)
		return stream_watch(c, o);
	if ((rc = cmd->call(c, o, &r)) != HYCO_OK)
		return status_exit(c, rc);
	if (o->json) {
		/* The whole result: fields the typed call does not hold too. */
		json_print(stdout, hyco_result(c));
		putchar('\n');
	} else
		cmd->print(o, &r);
	rc = cmd->status != NULL ? cmd->status(&r) : 0;
	if (cmd->done != NULL)
		cmd->done(&r);
	return rc;
}

/*
 * check's bad arguments are UNKNOWN (3), not the usual 1. Whether the
 * command is check is read before getopt permutes argv, since what is
 * wrong may be its options: the first word that is no option's value.
 */
static int
is_check(int argc, char **argv)
{
	static const char *const valued[] = { "-c", "--config", "--socket",
	    "--kind", "--dataset", "--required", "--cycle", "--warn",
	    "--critical", "--interval", NULL };

	for (int i = 1; i < argc; i++) {
		const char *const *v;
		if (argv[i][0] != '-')
			return strcmp(argv[i], "check") == 0;
		for (v = valued; *v != NULL && strcmp(argv[i], *v) != 0; v++)
			;
		if (*v != NULL)
			i++;	/* its value */
	}
	return 0;
}

/* summary --watch: one round is one run of the command. */
struct watch_round {
	const struct command	*cmd;
	hyco_client		*c;
	const struct opts	*o;
};

static void
watch_round(void *arg)
{
	struct watch_round *w = arg;

	(void)run(w->cmd, w->c, w->o);
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct opts o = { 0 };
	char sock[4096], root[4096];
	hyco_client *c;
	int rc, plugin;

	log_init("hycoctl", LOG_LEVEL_WARN);
	plugin = is_check(argc, argv);
	if ((cmd = parse_args(argc, argv, &o)) == NULL)
		return plugin ? check_unknown("%s", "bad arguments (hycoctl "
		    "--help)") : EXIT_REFUSED;
	/* Check the command's arguments before connecting. */
	if (cmd->check != NULL && cmd->check(&o) == -1)
		return EXIT_REFUSED;
	if (find_socket(&o, sock, sizeof(sock), root, sizeof(root)) == -1)
		return cmd->call == call_check ? check_unknown("%s", "cannot "
		    "find the socket: config errors") : EXIT_REFUSED;
	if ((c = hyco_new(sock)) == NULL) {
		fprintf(stderr, "hycoctl: socket path too long: %s\n", sock);
		return cmd->call == call_check ? check_unknown("socket path "
		    "too long: %s", sock) : EXIT_REFUSED;
	}
	/* A daemon on another tree would answer for the wrong one. */
	if (root[0] != '\0' && (rc = owner_check(c, sock, root)) != 0) {
		hyco_free(c);
		return cmd->call != call_check ? rc : check_unknown("%s",
		    rc == EXIT_UNREACHABLE ? "cannot reach hycod (see stderr)" :
		    "hycod at the socket does not own this cache tree (see "
		    "stderr)");
	}
	if (o.watch) {
		struct watch_round w = { cmd, c, &o };
		rc = refresh_loop(o.interval > 0 ? o.interval : WATCH_INTERVAL_S,
		    "hycoctl summary", !o.json, watch_round, &w) == 0 ? 0 :
		    EXIT_REFUSED;
	} else
		rc = run(cmd, c, &o);
	hyco_free(c);
	/* Output that did not arrive is a failure (a full disk, a closed pipe). */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "hycoctl: stdout: %s\n", strerror(errno));
		return EXIT_REFUSED;
	}
	return rc;
}
