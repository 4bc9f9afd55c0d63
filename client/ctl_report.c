/*
 * ctl_report.c: hycoctl's commands that report figures: summary,
 * disk-check, check (a Monitoring Plugins plugin, check.c), stats and
 * metrics.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ctl.h"
#include "format.h"
#include "hyco.h"

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

/* -- summary -------------------------------------------------------------- */

/* The bytes of each cycle, as summary -v and stats show them. */
static void
print_cycles(struct hyco_cycle_usage *const *cycles, size_t n)
{
	printf("\n%-10s %8s %14s %10s\n", "Kind", "Cycle", "Bytes", "Files");
	for (size_t i = 0; i < n; i++)
		printf("%-10s %8ld %14llu %10llu\n", cycles[i]->kind,
		    cycles[i]->cycle, (unsigned long long)cycles[i]->bytes,
		    (unsigned long long)cycles[i]->files);
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

int
ctl_summary_call(hyco_client *c, const struct opts *o, union result *r)
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

void
ctl_summary_print(const struct opts *o, const union result *r)
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
	print_cycles(s->cycles, s->ncycles);
}

void
ctl_summary_done(union result *r)
{
	hyco_summary_free(&r->summary);
}

/* -- disk-check ----------------------------------------------------------- */

int
ctl_disk_check_args(struct opts *o)
{
	if (o->required == NULL || parse_size(o->required,
	    &o->required_bytes) == -1)
		return ctl_usage_error("disk-check needs --required SIZE (like "
		    "500M, 20G, 1.5T), got '%s'", o->required ? o->required :
		    "");
	return 0;
}

int
ctl_disk_check_call(hyco_client *c, const struct opts *o, union result *r)
{
	return hyco_disk_check(c, o->required_bytes, &r->disk);
}

void
ctl_disk_check_print(const struct opts *o, const union result *r)
{
	const struct hyco_disk_check *d = &r->disk;

	(void)o;
	printf("%s: %.2f GB available, %.2f GB required (%s)\n",
	    d->ok ? "ok" : "NOT ENOUGH SPACE", gb(d->available_bytes),
	    gb(d->required_bytes), d->path);
}

int
ctl_disk_check_status(const union result *r)
{
	return r->disk.ok ? 0 : EXIT_NOSPACE;
}

/* -- check: a Monitoring Plugins plugin ----------------------------------- */

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
int
ctl_check_args(struct opts *o)
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
int
ctl_check_call(hyco_client *c, const struct opts *o, union result *r)
{
	r->check.status = check_run(c, &o->check, &r->check.s,
	    &r->check.line);
	return HYCO_OK;
}

void
ctl_check_print(const struct opts *o, const union result *r)
{
	(void)o;
	if (r->check.line != NULL)
		printf("%s\n", r->check.line);
}

int
ctl_check_status(const union result *r)
{
	return r->check.status;
}

void
ctl_check_done(union result *r)
{
	hyco_summary_free(&r->check.s);
	free(r->check.line);
}

/* -- stats, metrics ------------------------------------------------------- */

int
ctl_stats_call(hyco_client *c, const struct opts *o, union result *r)
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

void
ctl_stats_print(const struct opts *o, const union result *r)
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
	print_cycles(s->cycles, s->ncycles);
	printf("\nEvents: %llu subscribers, %llu notifications sent, %llu "
	    "subscribers dropped\n", (unsigned long long)s->subscribers,
	    (unsigned long long)s->notifications,
	    (unsigned long long)s->dropped);
}

void
ctl_stats_done(union result *r)
{
	hyco_stats_free(&r->stats);
}

int
ctl_metrics_call(hyco_client *c, const struct opts *o, union result *r)
{
	(void)o;
	return hyco_metrics(c, &r->metrics.text, &r->metrics.len);
}

/* The exposition exactly as the daemon wrote it: pipe it anywhere. */
void
ctl_metrics_print(const struct opts *o, const union result *r)
{
	(void)o;
	fwrite(r->metrics.text, 1, r->metrics.len, stdout);
}

