/* check.c: hycoctl check's plugin line, state and perfdata. */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

static const char *const states[] = { "OK", "WARNING", "CRITICAL",
	"UNKNOWN" };
/* hycod's level names, by state. */
static const char *const levels[] = { "ok", "warning", "critical" };

/* The worse of two states: OK, UNKNOWN, WARNING, CRITICAL. */
static int
worse(int a, int b)
{
	static const int rank[] = { 0, 2, 3, 1 };

	return rank[b] > rank[a] ? b : a;
}

int
check_unknown(const char *fmt, const char *arg)
{
	printf("HYCO UNKNOWN - ");
	printf(fmt, arg);
	printf("\n");
	return CHECK_UNKNOWN;
}

static double
mark_value(const struct check_mark *m, uint64_t total)
{
	return m->pct ? (double)total * m->value / 100 : m->value;
}

static int
below(const struct check_mark *m, uint64_t free, uint64_t total)
{
	return m->set && (double)free < mark_value(m, total);
}

/* By the marks: critical below crit, warning below warn. */
static int
marked(const struct check_opts *o, uint64_t free, uint64_t total)
{
	return below(&o->crit, free, total) ? CHECK_CRITICAL :
	    below(&o->warn, free, total) ? CHECK_WARNING : CHECK_OK;
}

/* One filesystem's state: by the marks given, else hycod's level. */
static int
fs_state(const struct check_opts *o, const struct hyco_filesystem *f)
{
	int st;

	if (f->error[0] != '\0')
		return CHECK_UNKNOWN;
	if (o->warn.set || o->crit.set) {
		st = marked(o, f->free_bytes, f->total_bytes);
		if (o->inodes && f->total_inodes > 0)
			st = worse(st, marked(o, f->free_inodes,
			    f->total_inodes));
		return st;
	}
	for (st = CHECK_OK; st <= CHECK_CRITICAL; st++)
		if (strcmp(f->level, levels[st]) == 0)
			return st;
	return CHECK_UNKNOWN;
}

void
check_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(*s == '|' ? '/' : *s == '\n' ? ' ' : *s, out);
}

/* label=value[UOM];warn;crit;min;max, the label quoted if need be. */
static void
perfdata(FILE *out, const char *mount, const char *what, uint64_t v,
    const char *uom, uint64_t warn, uint64_t crit, uint64_t total)
{
	char label[600];

	if (mount != NULL)
		snprintf(label, sizeof(label), "%s:%s", mount, what);
	else
		snprintf(label, sizeof(label), "%s", what);
	/* '=' and "'" may not be in a label; a space needs quotes. */
	for (char *p = label; *p != '\0'; p++)
		if (*p == '=' || *p == '\'' || *p == '\n' || *p == '|')
			*p = '_';
	fprintf(out, strpbrk(label, " \t") ? " '%s'=" : " %s=", label);
	fprintf(out, "%llu%s;", (unsigned long long)v, uom);
	/* Ranges: "W:" alerts below W; none for no threshold. */
	if (warn > 0)
		fprintf(out, "%llu:", (unsigned long long)warn);
	fputc(';', out);
	if (crit > 0)
		fprintf(out, "%llu:", (unsigned long long)crit);
	fprintf(out, ";0;%llu", (unsigned long long)total);
}

/* The threshold a mark sets for one figure, or else hycod's own. */
static uint64_t
threshold(const struct check_opts *o, const struct check_mark *m,
    uint64_t total, uint64_t hycods)
{
	if (!o->warn.set && !o->crit.set)
		return hycods;
	return m->set ? (uint64_t)ceil(mark_value(m, total)) : 0;
}

int
check_line(FILE *out, const struct check_opts *o,
    const struct hyco_summary *s)
{
	int several = s->nfilesystems > 1, worst = CHECK_OK;
	char b[24], p[16], t[32];

	if (s->nfilesystems == 0) {
		fprintf(out, "HYCO UNKNOWN - hycod reports no filesystem");
		return CHECK_UNKNOWN;
	}
	for (size_t i = 0; i < s->nfilesystems; i++)
		worst = worse(worst, fs_state(o, s->filesystems[i]));
	fprintf(out, "HYCO %s - ", states[worst]);
	for (size_t i = 0; i < s->nfilesystems; i++) {
		const struct hyco_filesystem *f = s->filesystems[i];
		int st = fs_state(o, f);
		if (several) {
			fprintf(out, "%s", i ? "; " : "");
			check_text(out, f->mount);
			fprintf(out, ": ");
		}
		fprintf(out, "%s free (%s)", format_bytes(b, sizeof(b),
		    (double)f->free_bytes), format_percent(p, sizeof(p),
		    f->free_bytes, f->total_bytes));
		if (o->inodes)
			fprintf(out, ", %llu inodes free (%s)",
			    (unsigned long long)f->free_inodes, format_percent(p,
			    sizeof(p), f->free_inodes, f->total_inodes));
		if (f->time_to_full_s >= 0)
			fprintf(out, ", full in %s", format_duration(t,
			    sizeof(t), f->time_to_full_s));
		if (f->error[0] != '\0') {
			fprintf(out, ", statvfs: ");
			check_text(out, f->error);
		}
		if (several && st != CHECK_OK)
			fprintf(out, " %s", states[st]);
	}
	fprintf(out, " |");
	for (size_t i = 0; i < s->nfilesystems; i++) {
		const struct hyco_filesystem *f = s->filesystems[i];
		const char *m = several ? f->mount : NULL;
		perfdata(out, m, "free_bytes", f->free_bytes, "B",
		    threshold(o, &o->warn, f->total_bytes, f->warn_below_bytes),
		    threshold(o, &o->crit, f->total_bytes,
		    f->critical_below_bytes), f->total_bytes);
		if (o->inodes)
			perfdata(out, m, "free_inodes", f->free_inodes, "",
			    threshold(o, &o->warn, f->total_inodes,
			    f->warn_below_inodes), threshold(o, &o->crit,
			    f->total_inodes, f->critical_below_inodes),
			    f->total_inodes);
	}
	return worst;
}

int
check_run(hyco_client *c, const struct check_opts *o, struct hyco_summary *s,
    char **line)
{
	size_t len = 0;
	FILE *out = open_memstream(line, &len);
	int rc, st;

	memset(s, 0, sizeof(*s));
	if (out == NULL) {
		*line = NULL;
		return check_unknown("%s", "out of memory");
	}
	if ((rc = hyco_summary(c, s)) == HYCO_OK)
		st = check_line(out, o, s);
	else {
		fprintf(out, "HYCO UNKNOWN - %s: ", rc == HYCO_ECONNECT ||
		    rc == HYCO_ETIMEOUT ? "cannot reach hycod" :
		    hyco_error_code(c));
		check_text(out, hyco_error_message(c));
		st = CHECK_UNKNOWN;
	}
	fclose(out);
	return st;
}
