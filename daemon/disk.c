/* disk.c: the disk monitor: filesystems, samples, levels, time to full. */
#include "disk.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "log.h"

const char *const disk_level_names[DISK_LEVELS] = { "ok", "warning",
	"critical" };
const char *const disk_role_names[DISK_ROLES] = { "cache_root", "tensors",
	"generated", "eval", "synthetic_preds", "physical_preds", "trash" };

/* -- the arithmetic ----------------------------------------------------- */

enum disk_level
disk_level_next(enum disk_level cur, double free, double warn, double crit,
    double hyst)
{
	enum disk_level raw = free < crit ? DISK_CRITICAL : free < warn ?
	    DISK_WARNING : DISK_OK;

	/*
	 * Down only past each threshold, and by more than the hysteresis;
	 * a threshold of 0 (none) holds no level.
	 */
	for (;;) {
		double mark = cur == DISK_CRITICAL ? crit : warn;
		if (cur <= raw || (mark > 0 && free <= mark + hyst))
			break;
		cur = cur == DISK_CRITICAL ? DISK_WARNING : DISK_OK;
	}
	return raw > cur ? raw : cur;
}

int
disk_fill_rate(const struct disk_point *p, size_t n, double *rate)
{
	double mt = 0, mf = 0, stt = 0, stf = 0;

	if (n < DISK_RATE_MIN_SAMPLES)
		return -1;
	/* Times relative to the first, so that doubles keep their digits. */
	for (size_t i = 0; i < n; i++) {
		mt += p[i].t - p[0].t;
		mf += p[i].free;
	}
	mt /= (double)n;
	mf /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double dt = p[i].t - p[0].t - mt;
		stt += dt * dt;
		stf += dt * (p[i].free - mf);
	}
	if (!(stt > 0))
		return -1;
	*rate = -stf / stt;
	return 0;
}

/* mountinfo's octal escapes (\040 a space, \134 a backslash), in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static bool
holds(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	return strcmp(mnt, "/") == 0 || (strncmp(mnt, path, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

int
disk_find_mount(FILE *f, dev_t dev, const char *path, char *mount,
    size_t msize, char *fstype, size_t fsize, char *source, size_t ssize)
{
	char *line = NULL, *save;
	size_t cap = 0;
	long best = -1;

	/* id parent major:minor root mount-point options ... - type source */
	while (getline(&line, &cap, f) != -1) {
		unsigned maj, min;
		int pos = 0;
		char *mnt, *end, *dash, *type, *src;
		long score;

		if (sscanf(line, "%*d %*d %u:%u %*s %n", &maj, &min, &pos) != 2 ||
		    pos == 0 || makedev(maj, min) != dev)
			continue;
		mnt = line + pos;
		if ((end = strchr(mnt, ' ')) == NULL ||
		    (dash = strstr(end + 1, " - ")) == NULL)
			continue;
		*end = '\0';
		unescape(mnt);
		/* The longest mount point above path; else the first. */
		score = holds(mnt, path) ? (long)strlen(mnt) + 1 : 0;
		if (score <= best)
			continue;
		if ((type = strtok_r(dash + 3, " \n", &save)) == NULL ||
		    (src = strtok_r(NULL, " \n", &save)) == NULL)
			continue;
		unescape(src);
		best = score;
		snprintf(mount, msize, "%s", mnt);
		snprintf(fstype, fsize, "%s", type);
		snprintf(source, ssize, "%s", src);
	}
	free(line);
	return best < 0 ? -1 : 0;
}

/* -- words for the log and the hook ------------------------------------- */

/* Bytes as people read them, powers of 1000 as hycoctl prints. */
static const char *
human(char *buf, size_t size, double v)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB",
	    "PB" };
	int u = 0;

	while (fabs(v) >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
	return buf;
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

/* Appends to a string being built, cut at its size. */
struct text {
	char	*buf;
	size_t	 size, len;
};

static void
put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len + 1 >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < t->size - t->len ? (size_t)n :
		    t->size - t->len - 1;
}

/* One figure's level, and why: below its mark, or held by hysteresis. */
static void
describe_one(struct text *t, enum disk_level lv, double free, double warn,
    double crit, double hyst, bool bytes)
{
	const char *what = bytes ? "" : "_inodes";
	double mark = lv == DISK_CRITICAL ? crit : warn;
	char a[24], b[24], c[24];

	if (lv == DISK_OK)
		return;
	if (bytes) {
		human(a, sizeof(a), free);
		human(b, sizeof(b), mark);
		human(c, sizeof(c), hyst);
	} else {
		snprintf(a, sizeof(a), "%.0f inodes", free);
		snprintf(b, sizeof(b), "%.0f", mark);
		snprintf(c, sizeof(c), "%.0f", hyst);
	}
	put(t, "%s%s free, ", t->len ? "; " : "", a);
	if (free < mark)
		put(t, "below alerts.%s%s (%s)", lv == DISK_CRITICAL ?
		    "critical_below" : "warn_below", what, b);
	else
		put(t, "not above alerts.%s%s (%s) by more than "
		    "alerts.hysteresis%s (%s) yet", lv == DISK_CRITICAL ?
		    "critical_below" : "warn_below", what, b, what, c);
}

/* -- sampling and levels ------------------------------------------------ */

static void
roots_text(const struct disk_fs *fs, char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	buf[0] = '\0';
	for (int r = 0; r < DISK_ROLES; r++)
		if (fs->roots & (1u << r))
			put(&t, "%s%s", t.len ? "," : "", disk_role_names[r]);
}

/* Appends NAME=value\0 to t, for alert_notify. */
static void
var(struct text *t, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
var(struct text *t, const char *name, const char *fmt, ...)
{
	char value[ALERT_VARS_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	n = snprintf(t->buf + t->len, t->size - t->len, "HYCO_ALERT_%s=%s",
	    name, value);
	if (n < 0 || (size_t)n + 2 > t->size - t->len)
		return;		/* does not fit: left out */
	t->len += (size_t)n + 1;
}

static void
tell_hook(struct disk_fs *fs)
{
	char buf[ALERT_VARS_MAX], roots[160], cause[48] = "";
	struct text t = { buf, sizeof(buf), 0 };
	struct text c = { cause, sizeof(cause), 0 };

	if (fs->level_bytes > DISK_OK)
		put(&c, "bytes");
	if (fs->level_inodes > DISK_OK)
		put(&c, "%sinodes", c.len ? "," : "");
	if (fs->filling_fast)
		put(&c, "%stime_to_full", c.len ? "," : "");
	roots_text(fs, roots, sizeof(roots));
	var(&t, "FILESYSTEM", "%s", fs->mount);
	var(&t, "PATH", "%s", fs->path);
	var(&t, "DEVICE", "%s", fs->device);
	var(&t, "SOURCE", "%s", fs->source);
	var(&t, "FSTYPE", "%s", fs->fstype);
	var(&t, "ROOTS", "%s", roots);
	var(&t, "FREE_BYTES", "%llu", (unsigned long long)fs->du.avail_bytes);
	var(&t, "TOTAL_BYTES", "%llu", (unsigned long long)fs->du.total_bytes);
	var(&t, "FREE_INODES", "%llu", (unsigned long long)fs->du.avail_inodes);
	var(&t, "TOTAL_INODES", "%llu",
	    (unsigned long long)fs->du.total_inodes);
	if (fs->time_to_full_s >= 0)
		var(&t, "TIME_TO_FULL", "%.0f", ceil(fs->time_to_full_s));
	else
		var(&t, "TIME_TO_FULL", "%s", "");
	var(&t, "FILL_RATE", "%.0f", fs->fill_rate);
	var(&t, "CAUSE", "%s", cause);
	var(&t, "REASON", "%s", fs->reason);
	var(&t, "TIME", "%.3f", fs->sampled_at);
	buf[t.len++] = '\0';
	alert_notify(&fs->hook, disk_level_names[fs->level], buf, t.len);
}

static void
log_transition(const struct disk_fs *fs, enum disk_level from)
{
	char fb[24], tb[24], rate[24], roots[160], ttf[64];

	roots_text(fs, roots, sizeof(roots));
	if (fs->time_to_full_s >= 0)
		snprintf(ttf, sizeof(ttf), "filling at %s/s, full in %.0f s",
		    human(rate, sizeof(rate), fs->fill_rate),
		    fs->time_to_full_s);
	else
		snprintf(ttf, sizeof(ttf), "not filling");
#define TRANSITION_FMT	"disk: %s on %s (was %s; %s, %s, holds %s): %s of %s " \
			"free (%.1f%%), %llu of %llu inodes (%.1f%%), %s: %s"
#define TRANSITION_ARGS	disk_level_names[fs->level], fs->mount, \
	disk_level_names[from], fs->device, fs->fstype[0] ? fs->fstype : "?", \
	roots, human(fb, sizeof(fb), (double)fs->du.avail_bytes), \
	human(tb, sizeof(tb), (double)fs->du.total_bytes), \
	pct(fs->du.avail_bytes, fs->du.total_bytes), \
	(unsigned long long)fs->du.avail_inodes, \
	(unsigned long long)fs->du.total_inodes, \
	pct(fs->du.avail_inodes, fs->du.total_inodes), ttf, fs->reason
	switch (fs->level) {
	case DISK_CRITICAL:
		log_crit(TRANSITION_FMT, TRANSITION_ARGS);
		break;
	case DISK_WARNING:
		log_warnx(TRANSITION_FMT, TRANSITION_ARGS);
		break;
	default:
		log_info(TRANSITION_FMT, TRANSITION_ARGS);
		break;
	}
#undef TRANSITION_FMT
#undef TRANSITION_ARGS
}

/* fs's levels from its latest sample; a change is logged and told. */
static void
evaluate(struct disk *d, struct disk_fs *fs)
{
	const struct alerts *a = d->cfg;
	double tb = (double)fs->du.total_bytes, ti = (double)fs->du.total_inodes;
	double fb = (double)fs->du.avail_bytes, fi = (double)fs->du.avail_inodes;
	double wb = config_mark_value(&a->warn_below, tb);
	double cb = config_mark_value(&a->critical_below, tb);
	double hb = config_mark_value(&a->hysteresis, tb);
	double wi = config_mark_value(&a->warn_below_inodes, ti);
	double ci = config_mark_value(&a->critical_below_inodes, ti);
	double hi = config_mark_value(&a->hysteresis_inodes, ti);
	double W = a->warn_time_to_full_s, ttf = fs->time_to_full_s;
	enum disk_level from = fs->level, to;
	struct text t = { fs->reason, sizeof(fs->reason), 0 };
	char r[24];

	/* Free below a fractional mark is free below its ceiling. */
	fs->warn_bytes = (uint64_t)ceil(wb);
	fs->critical_bytes = (uint64_t)ceil(cb);
	fs->warn_inodes = (uint64_t)ceil(wi);
	fs->critical_inodes = (uint64_t)ceil(ci);
	fs->level_bytes = disk_level_next(fs->level_bytes, fb, wb, cb, hb);
	/* Some filesystems (btrfs) have no inode count at all. */
	fs->level_inodes = ti > 0 ? disk_level_next(fs->level_inodes, fi, wi,
	    ci, hi) : DISK_OK;
	if (W <= 0 || ttf < 0 || ttf > W * DISK_TTF_CLEAR)
		fs->filling_fast = false;
	else if (ttf <= W)
		fs->filling_fast = true;
	to = fs->level_bytes > fs->level_inodes ? fs->level_bytes :
	    fs->level_inodes;
	if (fs->filling_fast && to < DISK_WARNING)
		to = DISK_WARNING;

	fs->reason[0] = '\0';
	describe_one(&t, fs->level_bytes, fb, wb, cb, hb, true);
	describe_one(&t, fs->level_inodes, fi, wi, ci, hi, false);
	if (fs->filling_fast)
		put(&t, "%sfull in %.0f s at %s/s, within alerts."
		    "warn_time_to_full_s (%g)", t.len ? "; " : "", ttf,
		    human(r, sizeof(r), fs->fill_rate), W);
	if (t.len == 0)
		put(&t, "free space and inodes above their thresholds%s",
		    W > 0 ? ", not filling within alerts.warn_time_to_full_s" :
		    "");
	if (to == from)
		return;
	fs->level = to;
	fs->transitions++;
	d->stats.transitions++;
	log_transition(fs, from);
	if (d->on_transition != NULL)
		d->on_transition(d->on_transition_arg, fs, from, to);
	tell_hook(fs);
}

/* The fill rate over the timer's samples within the window, ending at now. */
static void
update_rate(struct disk *d, struct disk_fs *fs, double now)
{
	struct disk_point p[DISK_HISTORY];
	size_t n = 0;
	double rate;

	for (int i = 0; i < fs->hn; i++) {
		const struct disk_point *q = &fs->hist[(fs->hhead - fs->hn + i +
		    DISK_HISTORY) % DISK_HISTORY];
		if (q->t >= now - d->cfg->fill_window_s)
			p[n++] = *q;
	}
	if (disk_fill_rate(p, n, &rate) == -1)
		rate = 0;
	fs->fill_rate = rate;
	fs->time_to_full_s = rate > 0 ? (double)fs->du.avail_bytes / rate : -1;
}

/* statvfs of fs (through any of its roots), then its levels. */
static void
sample(struct disk *d, struct disk_fs *fs, bool timer)
{
	struct disk_usage du;
	struct timespec ts;
	double now;
	int r = -ENOENT;

	for (int i = 0; i < fs->npaths && r < 0; i++)
		r = fsutil_disk(fs->paths[i], &du);
	fs->sampled_ns = uv_hrtime();
	d->stats.samples++;
	d->gen++;
	if (r < 0) {
		d->stats.sample_errors++;
		if (fs->error != -r)
			log_warnx("disk: statvfs %s: %s (its last figures stay)",
			    fs->path, strerror(-r));
		fs->error = -r;
		return;
	}
	if (fs->error != 0)
		log_info("disk: statvfs %s works again", fs->path);
	fs->error = 0;
	now = (double)fs->sampled_ns / 1e9;
	clock_gettime(CLOCK_REALTIME, &ts);
	fs->sampled_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	/* Much more free than the last sample said: something was removed. */
	if ((double)du.avail_bytes > (double)fs->du.avail_bytes +
	    DISK_REMOVAL_SHARE * (double)du.total_bytes)
		fs->hn = 0;
	fs->du = du;
	if (timer) {
		fs->hist[fs->hhead] = (struct disk_point){ now,
		    (double)du.avail_bytes };
		fs->hhead = (fs->hhead + 1) % DISK_HISTORY;
		if (fs->hn < DISK_HISTORY)
			fs->hn++;
	}
	update_rate(d, fs, now);
	evaluate(d, fs);
}

static void
on_timer(uv_timer_t *t)
{
	struct disk *d = t->data;

	for (size_t i = 0; i < d->n; i++)
		sample(d, &d->fs[i], true);
}

void
disk_refresh(struct disk *d, uint64_t max_age_ms)
{
	disk_refresh_at(d, uv_hrtime(), max_age_ms);
}

void
disk_refresh_at(struct disk *d, uint64_t now_ns, uint64_t max_age_ms)
{
	for (size_t i = 0; i < d->n; i++)
		(void)disk_refresh_one_at(d, i, now_ns, max_age_ms);
}

const struct disk_fs *
disk_refresh_one(struct disk *d, size_t i, uint64_t max_age_ms)
{
	return disk_refresh_one_at(d, i, uv_hrtime(), max_age_ms);
}

const struct disk_fs *
disk_refresh_one_at(struct disk *d, size_t i, uint64_t now_ns,
    uint64_t max_age_ms)
{
	struct disk_fs *fs = &d->fs[i];

	/*
	 * A sample taken since now_ns was read is fresh; one that failed
	 * is tried again each time, so it is not answered for max_age_ms
	 * after statvfs works again.
	 */
	if (fs->sampled_ns == 0 || max_age_ms == 0 || fs->error != 0 ||
	    (now_ns > fs->sampled_ns &&
	    now_ns - fs->sampled_ns > max_age_ms * 1000000))
		sample(d, fs, false);
	return fs;
}

void
disk_removed(struct disk *d, dev_t dev)
{
	for (size_t i = 0; i < d->n && !d->closing; i++)
		if (dev == 0 || d->fs[i].dev == dev) {
			/* No fit may span a removal: start afresh. */
			d->fs[i].hn = 0;
			sample(d, &d->fs[i], true);
		}
}

/* -- the set of filesystems --------------------------------------------- */

/* path (of role) into the filesystem it is on, new or known. */
static void
add_path(struct disk *d, const char *path, int role)
{
	struct disk_fs *fs = NULL;
	struct stat sb;

	if (stat(path, &sb) == -1) {
		log_debug("disk: stat %s: %s (not watched)", path,
		    strerror(errno));
		return;
	}
	for (size_t i = 0; i < d->n && fs == NULL; i++)
		if (d->fs[i].dev == sb.st_dev)
			fs = &d->fs[i];
	if (fs == NULL) {
		fs = &d->fs[d->n++];
		fs->dev = sb.st_dev;
		snprintf(fs->device, sizeof(fs->device), "%u:%u",
		    major(sb.st_dev), minor(sb.st_dev));
		fs->path = path;
		fs->time_to_full_s = -1;
	}
	fs->roots |= 1u << role;
	for (int i = 0; i < fs->npaths; i++)
		if (strcmp(fs->paths[i], path) == 0)
			return;
	fs->paths[fs->npaths++] = path;
}

/* Mount point, type and source from mountinfo: names for people. */
static void
name_filesystems(struct disk *d)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char real[PATH_MAX];

	for (size_t i = 0; i < d->n; i++) {
		struct disk_fs *fs = &d->fs[i];
		if (f != NULL && realpath(fs->path, real) != NULL) {
			rewind(f);
			if (disk_find_mount(f, fs->dev, real, fs->mount,
			    sizeof(fs->mount), fs->fstype, sizeof(fs->fstype),
			    fs->source, sizeof(fs->source)) == 0)
				continue;
		}
		snprintf(fs->mount, sizeof(fs->mount), "%s", fs->path);
	}
	if (f != NULL)
		fclose(f);
}

int
disk_start(struct disk *d, uv_loop_t *loop, const struct alerts *cfg,
    const struct layout *l, const struct trash *t)
{
	uint64_t every = (uint64_t)(cfg->check_interval_s * 1000);
	char roots[160];

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->cfg = cfg;
	add_path(d, l->cache_root, DISK_ROLE_CACHE_ROOT);
	for (int c = 0; c < CAT_COUNT; c++)
		add_path(d, l->roots[c], DISK_ROLE_CAT(c));
	for (int k = 0; k < KIND_COUNT; k++)
		add_path(d, l->pred_root[k], DISK_ROLE_KIND(k));
	for (int i = 0; i < t->n; i++)
		add_path(d, t->path[i], DISK_ROLE_TRASH);
	if (d->n == 0) {
		log_warnx("disk_start: no root of the cache tree can be found");
		return -1;
	}
	name_filesystems(d);
	for (size_t i = 0; i < d->n; i++) {
		struct disk_fs *fs = &d->fs[i];
		alert_init(&fs->hook, loop, cfg, fs->mount,
		    disk_level_names[DISK_OK]);
		roots_text(fs, roots, sizeof(roots));
		log_info("disk: watching %s (%s, %s %s) for %s", fs->mount,
		    fs->device, fs->fstype[0] ? fs->fstype : "?",
		    fs->source[0] ? fs->source : "?", roots);
	}
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	uv_timer_start(&d->timer, on_timer, 0, every > 0 ? every : 1);
	return 0;
}

void
disk_retune(struct disk *d)
{
	uint64_t every = (uint64_t)(d->cfg->check_interval_s * 1000);

	if (d->closing)
		return;
	uv_timer_start(&d->timer, on_timer, every > 0 ? every : 1,
	    every > 0 ? every : 1);
	disk_refresh(d, 0);
}

void
disk_close(struct disk *d)
{
	if (d->closing)
		return;
	d->closing = true;
	uv_close((uv_handle_t *)&d->timer, NULL);
	for (size_t i = 0; i < d->n; i++)
		alert_close(&d->fs[i].hook);
}

void
disk_on_transition(struct disk *d, disk_transition_fn fn, void *arg)
{
	d->on_transition = fn;
	d->on_transition_arg = arg;
}

size_t
disk_count(const struct disk *d)
{
	return d->n;
}

const struct disk_fs *
disk_get(const struct disk *d, size_t i)
{
	return i < d->n ? &d->fs[i] : NULL;
}

int
disk_of_role(const struct disk *d, int role)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->fs[i].roots & (1u << role))
			return (int)i;
	return -1;
}

enum disk_level
disk_worst(const struct disk *d)
{
	enum disk_level w = DISK_OK;

	for (size_t i = 0; i < d->n; i++)
		if (d->fs[i].level > w)
			w = d->fs[i].level;
	return w;
}

void
disk_alert_stats(const struct disk *d, struct alert_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < d->n; i++) {
		const struct alert_stats *s = &d->fs[i].hook.stats;
		out->runs += s->runs;
		out->failures += s->failures;
		out->timeouts += s->timeouts;
		out->coalesced += s->coalesced;
	}
}
