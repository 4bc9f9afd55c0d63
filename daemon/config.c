/* config.c: YAML config into a fresh, checked struct hyco_config. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define DEFAULTS	"(built-in defaults)"

/* A key kept in the field f of struct hyco_config; NO_FIELD: checked only. */
#define FIELD(f)	offsetof(struct hyco_config, f), \
			sizeof(((struct hyco_config *)0)->f)
#define NO_FIELD	CONFIG_NO_FIELD, 0

#define MAP		CONFIG_MAP, NULL, 0, 0, NO_FIELD
#define STR		CONFIG_STR, NULL, 0, 0, NO_FIELD
#define PATH(def, f)	CONFIG_PATH, def, 0, 0, FIELD(f)
#define MARK(def, f)	CONFIG_MARK, def, 0, 0, FIELD(f)

/*
 * Every key the daemon knows, in the order they are checked and, for
 * those with a default, printed. A key with a field must be set, so it
 * has a default: a trainer's config without a daemon: section still
 * starts a daemon. Sections come before their keys.
 */
static const struct config_key keys[] = {
	{ "paths", MAP, "where data, caches and results live" },
	{ "paths.cache_root", PATH("cache", layout.cache_root),
	  "root of the caches; other defaults are relative to it" },
	{ "paths.tensor_cache_dir", PATH("${paths.cache_root}/tensors",
	  layout.roots[CAT_TENSORS]), "tensor cache, one directory a dataset" },
	{ "paths.generated_cache_dir", PATH("${paths.cache_root}/generated",
	  layout.roots[CAT_GENERATED]), "predictions generated per cycle" },
	{ "paths.eval_cache_dir", PATH("${paths.cache_root}/evaluation",
	  layout.roots[CAT_EVAL]), "evaluation cache, one directory a dataset" },
	{ "paths.raw_data_root", STR, "raw simulation data (trainers only)" },
	{ "paths.results_root", STR, "permanent results (trainers only)" },
	{ "paths.model_checkpoint_dir", STR, "checkpoints (trainers only)" },
	{ "paths.evaluation_output_dir", STR, "evaluation output (trainers "
	  "only)" },
	{ "paths.log_dir", STR, "trainer logs (trainers only)" },
	{ "data", MAP, "the dataset" },
	{ "data.dset_name", CONFIG_DATASET, "burgers_128", 0, 0,
	  FIELD(layout.default_dataset), "dataset of requests that name none" },
	{ "data.raw_data_dir", STR, "this dataset's raw data (trainers only)" },
	{ "data.cache_dir", STR, "this dataset's tensor cache (trainers only)" },
	{ "trainer", MAP, "hybrid training" },
	{ "trainer.synthetic_pred_cache", PATH("${paths.generated_cache_dir}/"
	  "synthetic_preds", layout.pred_root[KIND_SYNTHETIC]),
	  "synthetic predictions, cycle_NNN/<dataset> below" },
	{ "trainer.physical_pred_cache", PATH("${paths.generated_cache_dir}/"
	  "physical_preds", layout.pred_root[KIND_PHYSICAL]),
	  "physical predictions, cycle_NNN/<dataset> below" },
	{ "trainer.alpha", CONFIG_FLOAT, NULL, 0, 0, NO_FIELD,
	  "hybrid weight (trainers only)" },
	{ "trainer.memory_budget_gb", CONFIG_FLOAT, NULL, 0, 0, NO_FIELD,
	  "trainer memory budget (trainers only)" },
	{ "trainer.num_cycles", CONFIG_INT, NULL, 0, HYCO_CYCLE_MAX + 1,
	  NO_FIELD, "training cycles (trainers only)" },
	{ "trainer.synthetic_epochs_per_cycle", CONFIG_INT, NULL, 0, INT_MAX,
	  NO_FIELD, "epochs a cycle (trainers only)" },
	{ "trainer.physical_epochs_per_cycle", CONFIG_INT, NULL, 0, INT_MAX,
	  NO_FIELD, "epochs a cycle (trainers only)" },
	{ "daemon", MAP, "hycod itself; read by hycod only" },
	{ "daemon.socket", PATH("${paths.cache_root}/hycod.sock", socket),
	  "the Unix socket hycod listens on" },
	{ "daemon.socket_mode", CONFIG_MODE, "0660", 0, 0777,
	  FIELD(socket_mode), "the socket's file mode" },
	{ "daemon.dir_mode", CONFIG_MODE, "2775", 0, 07777, FIELD(dir_mode),
	  "mode of the directories hycod creates below the cache root "
	  "(setgid: what trainers make there stays in the group)" },
	{ "daemon.max_request_bytes", CONFIG_INT, "65536", 1024, 16 << 20,
	  FIELD(max_request_bytes), "largest request; a larger one is "
	  "answered too_large and its connection closed" },
	{ "daemon.max_clients", CONFIG_INT, "1024", 1, 65536,
	  FIELD(max_clients), "connections served at once" },
	{ "daemon.busy_poll_us", CONFIG_INT, "50", 0, 1000000,
	  FIELD(busy_poll_us), "microseconds hycod keeps polling after "
	  "handling requests it waited no longer than this for; 0: never" },
	{ "daemon.log_level", CONFIG_LEVEL, "info", 0, 0, FIELD(log_level),
	  "least severe level logged" },
	{ "daemon.max_watches", CONFIG_INT, "0", 0, INT_MAX, FIELD(max_watches),
	  "inotify watches at most; 0: fs.inotify.max_user_watches" },
	{ "daemon.rescan_interval_s", CONFIG_FLOAT, "30", 0, 86400,
	  FIELD(rescan_interval_s), "seconds between re-scans of directories "
	  "left unwatched" },
	{ "daemon.scan_threads", CONFIG_INT, "2", 1, 2, FIELD(scan_threads),
	  "threads the start-up scan uses" },
	{ "daemon.access", MAP, "who may call each class of method; uid 0 "
	  "always may" },
	{ "daemon.access.read", CONFIG_ACCESS, "socket-group", 0, 0,
	  FIELD(access.class[ACCESS_READ]), "ping, summary, disk-check, "
	  "config, metrics, stats, subscribe, unsubscribe" },
	{ "daemon.access.write", CONFIG_ACCESS, "socket-group", 0, 0,
	  FIELD(access.class[ACCESS_WRITE]), "get-cycle-dir, cleanup-cycle" },
	{ "daemon.access.admin", CONFIG_ACCESS, "daemon-user", 0, 0,
	  FIELD(access.class[ACCESS_ADMIN]), "cleanup-generated, clean, "
	  "prune, reload" },
	{ "daemon.max_jobs_per_client", CONFIG_INT, "16", 1, 65536,
	  FIELD(max_jobs_per_client), "filesystem requests in flight per "
	  "connection; at the limit its requests wait unread" },
	{ "daemon.max_jobs", CONFIG_INT, "256", 1, 1 << 20, FIELD(max_jobs),
	  "filesystem requests in flight in all; at the limit requests wait "
	  "unread" },
	{ "retention", MAP, "what the retention policy removes, and when" },
	{ "retention.trash_dir", PATH("${paths.cache_root}/.trash", trash_dir),
	  "removals are renamed here, then deleted; outside every root" },
	{ "retention.keep_last_cycles", CONFIG_INT, "0", 0, HYCO_CYCLE_MAX + 1,
	  FIELD(retention.keep_last_cycles), "cycles kept per kind and "
	  "dataset; 0: all" },
	{ "retention.protect_recent_s", CONFIG_FLOAT, "600", -1, 1000000000,
	  FIELD(retention.protect_recent_s), "seconds a cycle asked for is "
	  "safe from pruning" },
	{ "retention.prune_below", MARK("5%", retention.prune_below),
	  "prune when free space falls below this" },
	{ "retention.prune_until", MARK("10%", retention.prune_until),
	  "and until free space is back above this" },
	{ "retention.refuse_below", MARK("2%", retention.refuse_below),
	  "refuse get-cycle-dir below this free space" },
	{ "retention.prune_below_inodes", MARK("5%",
	  retention.prune_below_inodes), "the same for free inodes" },
	{ "retention.prune_until_inodes", MARK("10%",
	  retention.prune_until_inodes), "the same for free inodes" },
	{ "retention.refuse_below_inodes", MARK("2%",
	  retention.refuse_below_inodes), "the same for free inodes" },
	{ "retention.prunable", CONFIG_CATS, "generated", 0, 0,
	  FIELD(retention.prunable), "categories the policy may prune, least "
	  "recently used first; generated always" },
	{ "retention.check_interval_s", CONFIG_FLOAT, "5", 0, 86400,
	  FIELD(retention.check_interval_s), "seconds between free-space "
	  "checks" },
	{ "alerts", MAP, "disk-space alerts: a level per filesystem, a hook" },
	{ "alerts.check_interval_s", CONFIG_FLOAT, "10", 0, 86400,
	  FIELD(alerts.check_interval_s), "seconds between samples of each "
	  "filesystem's free space" },
	{ "alerts.warn_below", MARK("10%", alerts.warn_below),
	  "warning when free space falls below this" },
	{ "alerts.critical_below", MARK("5%", alerts.critical_below),
	  "critical when free space falls below this" },
	{ "alerts.warn_below_inodes", MARK("10%", alerts.warn_below_inodes),
	  "the same for free inodes" },
	{ "alerts.critical_below_inodes", MARK("5%",
	  alerts.critical_below_inodes), "the same for free inodes" },
	{ "alerts.hysteresis", MARK("1%", alerts.hysteresis), "a level is "
	  "left only once free space is more than this above its threshold" },
	{ "alerts.hysteresis_inodes", MARK("1%", alerts.hysteresis_inodes),
	  "the same for free inodes" },
	{ "alerts.warn_time_to_full_s", CONFIG_FLOAT, "3600", -1, 1000000000,
	  FIELD(alerts.warn_time_to_full_s), "warning when the filesystem "
	  "fills within this many seconds at its current rate; 0: never" },
	{ "alerts.fill_window_s", CONFIG_FLOAT, "600", 0, 604800,
	  FIELD(alerts.fill_window_s), "seconds of samples the fill rate is "
	  "fitted to" },
	{ "alerts.command", CONFIG_ARGV, "null", 0, 0, FIELD(alerts.command),
	  "run at every level change, an argv list; HYCO_ALERT_* in its "
	  "environment" },
	{ "alerts.command_timeout_s", CONFIG_FLOAT, "30", 0, 3600,
	  FIELD(alerts.command_timeout_s), "seconds before the command is "
	  "killed" },
	{ "events", MAP, "live events sent to subscribers" },
	{ "events.max_queued_bytes", CONFIG_INT, "1048576", 4096, 1 << 30,
	  FIELD(events_max_queued), "bytes queued for a subscriber that does "
	  "not read before it is dropped" },
	{ "metrics", MAP, "statistics and Prometheus metrics" },
	{ "metrics.textfile", CONFIG_OPTPATH, "", 0, 0, FIELD(metrics_textfile),
	  "file rewritten with the metrics for node_exporter's textfile "
	  "collector; empty: none" },
	{ "metrics.interval_s", CONFIG_FLOAT, "15", 0, 86400,
	  FIELD(metrics_interval_s), "seconds between rewrites of "
	  "metrics.textfile" },
	{ "metrics.max_datasets", CONFIG_INT, "256", 1, 100000,
	  FIELD(metrics_max_datasets), "datasets named in stats and metrics; "
	  "the rest are counted together" },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

const struct config_key *
config_keys(size_t *count)
{
	*count = NKEYS;
	return keys;
}

static const char *const type_names[] = {
	[CONFIG_MAP] = "map", [CONFIG_STR] = "string", [CONFIG_PATH] = "path",
	[CONFIG_OPTPATH] = "path or empty",
	[CONFIG_DATASET] = "dataset", [CONFIG_INT] = "int",
	[CONFIG_FLOAT] = "float", [CONFIG_MODE] = "mode",
	[CONFIG_LEVEL] = "level", [CONFIG_MARK] = "mark",
	[CONFIG_CATS] = "categories", [CONFIG_ARGV] = "argv",
	[CONFIG_ACCESS] = "access",
};

const char *
config_type_name(enum config_type type)
{
	return type_names[type];
}

void
config_key_allowed(const struct config_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case CONFIG_INT:
		snprintf(buf, size, "%ld..%ld", k->min, k->max);
		break;
	case CONFIG_FLOAT:
		if (k->min == 0 && k->max == 0)
			snprintf(buf, size, "any number");
		else
			snprintf(buf, size, "(%ld, %ld]", k->min, k->max);
		break;
	case CONFIG_MODE:
		snprintf(buf, size, "octal, 0..0%lo", (unsigned long)k->max);
		break;
	case CONFIG_LEVEL:
		snprintf(buf, size, "debug|info|warn|error");
		break;
	case CONFIG_MARK:
		snprintf(buf, size, "0%%..100%%, or bytes/inodes with k, M, G, "
		    "T or P");
		break;
	case CONFIG_CATS:
		snprintf(buf, size, "%s,%s,%s", layout_category_names[0],
		    layout_category_names[1], layout_category_names[2]);
		break;
	case CONFIG_DATASET:
		snprintf(buf, size, "one path component, no leading '.'");
		break;
	case CONFIG_ARGV:
		snprintf(buf, size, "[PROGRAM, ARG...] (at most %d), or null",
		    CONFIG_ARGV_MAX);
		break;
	case CONFIG_ACCESS:
		snprintf(buf, size, "user:NAME uid:N group:NAME gid:N "
		    "socket-group daemon-user any");
		break;
	case CONFIG_MAP:
	case CONFIG_STR:
	case CONFIG_PATH:
	case CONFIG_OPTPATH:
		snprintf(buf, size, "-");
		break;
	}
}

void
config_keys_print(FILE *out)
{
	char allowed[128];

	for (size_t i = 0; i < NKEYS; i++) {
		config_key_allowed(&keys[i], allowed, sizeof(allowed));
		fprintf(out, "%s\t%s\t%s\t%s\t%s\n", keys[i].key,
		    config_type_name(keys[i].type), keys[i].def ? keys[i].def :
		    "-", allowed, keys[i].doc);
	}
}

/*
 * The built-in defaults, merged beneath every config. Numbers are plain
 * scalars, everything else a string (so "0660" stays a string).
 */
static struct cfg_node *
defaults_tree(void)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *tree = cfg_parse("{}", 2, DEFAULTS, &e);

	for (size_t i = 0; i < NKEYS; i++)
		/* An argv's default is null, no command: YAML's null. */
		if (keys[i].def != NULL && cfg_set(tree, keys[i].key,
		    keys[i].type == CONFIG_ARGV ? NULL : keys[i].def,
		    keys[i].type != CONFIG_INT && keys[i].type != CONFIG_FLOAT,
		    DEFAULTS, 0) == -1)
			abort();	/* the table is wrong */
	return tree;
}

int
config_parse_mark(const char *s, struct mark *m)
{
	static const char units[] = "kMGTP";
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !(v >= 0))
		return -1;
	m->pct = false;
	if (*end == '%') {
		if (v > 100 || end[1] != '\0')
			return -1;
		m->pct = true;
		end++;
	} else if (*end != '\0') {
		const char *u = strchr(units, *end);
		if (u == NULL || end[1] != '\0')
			return -1;
		for (const char *p = units; p <= u; p++)
			v *= 1000;
		end++;
	}
	m->value = v;
	return 0;
}

double
config_mark_value(const struct mark *m, double total)
{
	return m->pct ? total * m->value / 100 : m->value;
}

/* "generated,tensors": which categories policy may prune. */
static int
parse_cats(const char *s, bool *cats)
{
	char buf[128], *tok, *save;

	memset(cats, 0, CAT_COUNT * sizeof(*cats));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		int c;
		for (c = 0; c < CAT_COUNT; c++)
			if (strcmp(tok, layout_category_names[c]) == 0)
				break;
		if (c == CAT_COUNT)
			return -1;
		cats[c] = true;
	}
	cats[CAT_GENERATED] = true;
	return 0;
}

static const char *
shape_name(const struct cfg_node *n)
{
	if (n->type == CFG_MAP)
		return "a mapping";
	if (n->type == CFG_SEQ)
		return "a list";
	if (n->value == NULL)
		return "null";
	return "a string";
}

static const char *
wanted(const struct config_key *k)
{
	return k->type == CONFIG_STR || k->type == CONFIG_PATH ||
	    k->type == CONFIG_OPTPATH ? "string" :
	    k->type == CONFIG_ARGV ? "list of strings" : "value";
}

/*
 * A command as an argv list, its words pointing into the tree (which
 * the config keeps); null or [] is no command. A plain string is
 * refused: whether it meant a program or a shell line is not guessed.
 */
static void
parse_argv(const struct config_key *k, const struct cfg_node *n,
    struct hyco_config *c, struct cfg_errors *e)
{
	const char *argv[CONFIG_ARGV_MAX + 1] = { NULL };
	int argc = 0;

	if (n->type == CFG_SCALAR && n->value != NULL) {
		cfg_errorf(e, n->file, n->line, "%s: expected a list like "
		    "[/usr/local/bin/notify, --disk], or null; got '%s'",
		    k->key, n->value);
		return;
	}
	for (const struct cfg_node *w = n->type == CFG_SEQ ? n->child : NULL;
	    w != NULL; w = w->next) {
		if (w->type != CFG_SCALAR || w->value == NULL ||
		    (argc == 0 && w->value[0] == '\0')) {
			cfg_errorf(e, w->file, w->line, "%s: item %d: expected "
			    "a string%s", k->key, argc, argc == 0 ?
			    " naming the program" : "");
			return;
		}
		if (argc == CONFIG_ARGV_MAX) {
			cfg_errorf(e, w->file, w->line, "%s: more than %d words",
			    k->key, CONFIG_ARGV_MAX);
			return;
		}
		argv[argc++] = w->value;
	}
	if (k->off != CONFIG_NO_FIELD && k->size == sizeof(argv))
		memcpy((char *)c + k->off, argv, sizeof(argv));
	else if (k->off != CONFIG_NO_FIELD)
		abort();	/* the table is wrong */
}

static int
parse_long(const char *s, int base, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, base);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* An integer into its field, an int or a long (or unsigned, size_t). */
static void
store_int(void *field, size_t size, long v)
{
	int i = (int)v;

	if (size == sizeof(long))
		memcpy(field, &v, size);
	else if (size == sizeof(int))
		memcpy(field, &i, size);
	else
		abort();	/* the table is wrong */
}

/* What a value of each type must look like, as its error says. */
static const char *const expected[] = {
	[CONFIG_INT] = "an integer",
	[CONFIG_FLOAT] = "a number",
	[CONFIG_MODE] = "an octal file mode like 0660",
	[CONFIG_LEVEL] = "debug, info, warn or error",
	[CONFIG_MARK] = "a percentage like 5% or an amount like 20G",
	[CONFIG_CATS] = "categories from generated, tensors, eval, "
	    "comma-separated",
};

/*
 * Check one value of a number-like type and parse it into its field of
 * c (if it has one); errors name file, line and key.
 */
static void
parse_typed(const struct config_key *k, const struct cfg_node *n,
    void *field, struct cfg_errors *e)
{
	const char *v = n->value;
	union {
		long		l;
		double		d;
		struct mark	mk;
		bool		cats[CAT_COUNT];
	} u;
	struct cfg_value cv = { 0 };
	bool ok = false;

	switch (k->type) {
	case CONFIG_INT:
		/* Any YAML int (0x400, 1_024) as OmegaConf reads it. */
		ok = n->vtype == CFG_TYPE_INT && cfg_scalar_value(n, &cv) == 0 &&
		    cv.i >= LONG_MIN && cv.i <= LONG_MAX;
		u.l = ok ? (long)cv.i : 0;
		if (ok && (u.l < k->min || u.l > k->max)) {
			cfg_errorf(e, n->file, n->line, "%s: %ld is outside "
			    "%ld..%ld", k->key, u.l, k->min, k->max);
			return;
		}
		break;
	case CONFIG_FLOAT:
		ok = (n->vtype == CFG_TYPE_INT || n->vtype == CFG_TYPE_FLOAT) &&
		    cfg_scalar_value(n, &cv) == 0;
		u.d = n->vtype == CFG_TYPE_INT ? (double)cv.i : cv.f;
		if (ok && k->max != 0 && !(u.d > k->min && u.d <= k->max)) {
			cfg_errorf(e, n->file, n->line, "%s: %s is outside "
			    "(%ld, %ld]", k->key, v, k->min, k->max);
			return;
		}
		break;
	case CONFIG_MODE:
		/* Octal whether written 0660 (YAML 1.1) or "0660". */
		ok = parse_long(v, 8, &u.l) == 0 && u.l >= 0 && u.l <= k->max;
		break;
	case CONFIG_LEVEL:
		ok = (u.l = log_parse_level(v)) != -1;
		break;
	case CONFIG_MARK:
		ok = config_parse_mark(v, &u.mk) == 0;
		break;
	case CONFIG_CATS:
		ok = parse_cats(v, u.cats) == 0;
		break;
	default:
		abort();
	}
	if (!ok)
		cfg_errorf(e, n->file, n->line, "%s: expected %s, got '%s'",
		    k->key, expected[k->type], v);
	else if (field != NULL && (k->type == CONFIG_INT || k->type ==
	    CONFIG_MODE || k->type == CONFIG_LEVEL))
		store_int(field, k->size, u.l);
	else if (field != NULL && k->size <= sizeof(u))
		memcpy(field, &u, k->size);
	else if (field != NULL)
		abort();	/* the table is wrong */
}

/*
 * Check one value and parse it into its field of c (if it has one);
 * errors name file, line and key. Values only: the shape (scalar or
 * map) was checked before interpolation.
 */
static void
parse_value(const struct config_key *k, const struct cfg_node *n,
    const char *cwd, struct hyco_config *c, struct cfg_errors *e)
{
	void *field = k->off == CONFIG_NO_FIELD ? NULL : (char *)c + k->off;
	const char *v = n->value, *why;

	if (k->type == CONFIG_ACCESS) {
		struct access_list l;
		if (access_parse(n, k->key, &l, e) == 0 && field != NULL)
			memcpy(field, &l, sizeof(l));
		return;
	}
	/* An optional path left empty or null is none: the field stays "". */
	if (k->type == CONFIG_OPTPATH && (v == NULL || v[0] == '\0'))
		return;
	if (v == NULL) {
		cfg_errorf(e, n->file, n->line, "%s: expected a %s, got null",
		    k->key, wanted(k));
		return;
	}
	switch (k->type) {
	case CONFIG_STR:
	case CONFIG_PATH:
	case CONFIG_OPTPATH:
		if (v[0] == '\0')
			cfg_errorf(e, n->file, n->line, "%s: must not be empty",
			    k->key);
		else if (field == NULL)
			break;
		else if (k->type != CONFIG_STR ? layout_absolute(cwd, v,
		    field, k->size) == -1 : (size_t)snprintf(field, k->size,
		    "%s", v) >= k->size)
			cfg_errorf(e, n->file, n->line, "%s: path too long",
			    k->key);
		break;
	case CONFIG_DATASET:
		if (!layout_valid_dataset(v, strlen(v), &why))
			cfg_errorf(e, n->file, n->line, "%s: %s", k->key, why);
		else if (field != NULL)
			snprintf(field, k->size, "%s", v);
		break;
	case CONFIG_MAP:
		break;
	default:
		parse_typed(k, n, field, e);
		break;
	}
}

enum phase {
	SHAPES,		/* before interpolation: maps and scalars */
	LITERALS,	/* interpolation failed: values without ${...} */
	VALUES,		/* every value, parsed into c; a kept key must be set */
};

/*
 * Check every known key present in tree, in one phase. The shape is
 * checked before interpolation, so that a list where a path belongs is
 * reported as such and not as a failed ${...}. When interpolation
 * fails, the literal values are still checked, so that every problem
 * is reported at once.
 */
static void
check_keys(struct cfg_node *tree, enum phase phase, const char *cwd,
    struct hyco_config *c, struct cfg_errors *e)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];
		struct cfg_node *n = cfg_get(tree, k->key);
		if (n == NULL) {
			if (phase == VALUES && k->off != CONFIG_NO_FIELD)
				cfg_errorf(e, NULL, 0, "%s: missing", k->key);
			continue;
		}
		if (phase == SHAPES) {
			if (k->type == CONFIG_MAP && n->type != CFG_MAP)
				cfg_errorf(e, n->file, n->line, "%s: expected a "
				    "mapping, got %s", k->key, shape_name(n));
			else if (k->type != CONFIG_MAP && n->type != CFG_SCALAR &&
			    !((k->type == CONFIG_ARGV || k->type == CONFIG_ACCESS) &&
			    n->type == CFG_SEQ))
				cfg_errorf(e, n->file, n->line, "%s: expected a "
				    "%s, got %s", k->key, wanted(k),
				    shape_name(n));
			continue;
		}
		if (k->type == CONFIG_ARGV) {
			if (phase == VALUES)
				parse_argv(k, n, c, e);
			continue;
		}
		if (k->type == CONFIG_MAP || (n->type != CFG_SCALAR &&
		    k->type != CONFIG_ACCESS))
			continue;	/* shape: reported before */
		if (phase == LITERALS && (n->value == NULL ||
		    strstr(n->value, "${") != NULL))
			continue;
		/* Left as its text for a trainer to resolve: not checked. */
		if (n->unresolved)
			continue;
		parse_value(k, n, cwd, c, e);
	}
}

static bool
overlaps(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || layout_is_inside(a, b) ||
	    layout_is_inside(b, a);
}

/* Category roots must not overlap, or a path would count twice. */
static void
check_layout(const struct layout *l, struct cfg_errors *e)
{
	struct { const char *name, *path; } r[] = {
		{ "paths.tensor_cache_dir", l->roots[CAT_TENSORS] },
		{ "paths.eval_cache_dir", l->roots[CAT_EVAL] },
		{ "paths.generated_cache_dir", l->roots[CAT_GENERATED] },
		{ "trainer.synthetic_pred_cache", l->pred_root[KIND_SYNTHETIC] },
		{ "trainer.physical_pred_cache", l->pred_root[KIND_PHYSICAL] },
	};

	for (size_t i = 0; i < 5; i++) {
		if (strcmp(r[i].path, "/") == 0)
			cfg_errorf(e, NULL, 0, "%s: must not be /", r[i].name);
		for (size_t j = i + 1; j < 5; j++) {
			/* Prediction caches are meant to live in generated. */
			if (i == 2 && layout_is_inside(r[i].path, r[j].path))
				continue;
			if (overlaps(r[i].path, r[j].path))
				cfg_errorf(e, NULL, 0, "%s (%s) and %s (%s) overlap",
				    r[i].name, r[i].path, r[j].name, r[j].path);
		}
	}
}

/* The trash must be outside every root, and no root inside it. */
static void
check_trash(const struct layout *l, const char *trash, struct cfg_errors *e)
{
	for (int c = 0; c < CAT_COUNT; c++)
		if (overlaps(l->roots[c], trash))
			cfg_errorf(e, NULL, 0, "retention.trash_dir (%s) overlaps "
			    "the %s cache (%s)", trash, layout_category_names[c],
			    l->roots[c]);
	for (int k = 0; k < KIND_COUNT; k++)
		if (overlaps(l->pred_root[k], trash))
			cfg_errorf(e, NULL, 0, "retention.trash_dir (%s) overlaps "
			    "%s (%s)", trash, k ? "trainer.physical_pred_cache" :
			    "trainer.synthetic_pred_cache", l->pred_root[k]);
}

/* The keys the daemon keeps: they must resolve, or it cannot start. */
static const char *const *
strict_keys(size_t *n)
{
	static const char *strict[NKEYS];
	static size_t count;

	if (count == 0)
		for (size_t i = 0; i < NKEYS; i++)
			if (keys[i].off != CONFIG_NO_FIELD)
				strict[count++] = keys[i].key;
	*n = count;
	return strict;
}

int
config_load_flags(struct hyco_config *cfg, const char *const *files,
    int nfiles, const char *const *overrides, int noverrides, int flags,
    struct cfg_errors *e, struct cfg_errors *warn)
{
	struct hyco_config c;
	struct cfg_node *tree, *out;
	struct cfg_resolve_opts ro = { .all_strict = flags & CONFIG_STRICT };
	bool used[CONFIG_MAX_OVERRIDES] = { false };
	int errors = e->count;

	memset(&c, 0, sizeof(c));
	if (getcwd(c.cwd, sizeof(c.cwd)) == NULL) {
		cfg_errorf(e, NULL, 0, "getcwd: %s", strerror(errno));
		return -1;
	}
	if (noverrides > CONFIG_MAX_OVERRIDES) {
		cfg_errorf(e, NULL, 0, "more than %d overrides",
		    CONFIG_MAX_OVERRIDES);
		return -1;
	}
	tree = defaults_tree();
	/*
	 * Each file is composed as Hydra composes a primary config; the
	 * overrides that choose a group of one are taken there.
	 */
	for (int i = 0; i < nfiles; i++) {
		struct cfg_node *f = cfg_compose(files[i], overrides, noverrides,
		    used, e, warn);
		if (f != NULL)
			cfg_merge(tree, f);
	}
	if (e->count > errors)
		goto fail;
	for (int i = 0; i < noverrides; i++)
		if (!used[i])
			(void)cfg_override(tree, overrides[i], e);
	if (e->count > errors)
		goto fail;
	ro.strict = strict_keys(&ro.nstrict);
	check_keys(tree, SHAPES, c.cwd, &c, e);
	if (e->count > errors ||
	    (out = cfg_resolve(tree, &ro, e, warn)) == NULL) {
		/* Still report every literal value that is wrong. */
		check_keys(tree, LITERALS, c.cwd, &c, e);
		goto fail;
	}
	cfg_free(tree);
	tree = out;
	/* ${x} may have put a map or list where a value belongs. */
	check_keys(tree, SHAPES, c.cwd, &c, e);
	if (e->count > errors)
		goto fail;
	check_keys(tree, VALUES, c.cwd, &c, e);
	if (e->count > errors)
		goto fail;
	check_layout(&c.layout, e);
	check_trash(&c.layout, c.trash_dir, e);
	if (e->count > errors)
		goto fail;
	c.tree = tree;
	*cfg = c;
	return 0;
fail:
	cfg_free(tree);
	return -1;
}

int
config_load(struct hyco_config *cfg, const char *const *files, int nfiles,
    const char *const *overrides, int noverrides, struct cfg_errors *e)
{
	struct cfg_errors warn = { 0 };
	int rc = config_load_flags(cfg, files, nfiles, overrides, noverrides,
	    0, e, &warn);

	cfg_errors_clear(&warn);
	return rc;
}

void
config_free(struct hyco_config *cfg)
{
	cfg_free(cfg->tree);
	cfg->tree = NULL;
}

const char *
config_default_path(void)
{
	const char *env = getenv("HYCO_CONFIG");

	if (env != NULL && env[0] != '\0')
		return env;
	if (access("conf/config.yaml", R_OK) == 0)
		return "conf/config.yaml";
	return CONFIG_SYSTEM_PATH;
}
