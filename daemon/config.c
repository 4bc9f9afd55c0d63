/* config.c: YAML config into a fresh, checked struct hyco_config. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/*
 * Built-in defaults, merged beneath every config: the seed's keys the
 * daemon uses, and the daemon's own section. A trainer's config that
 * has no daemon: section therefore still starts a daemon.
 */
static const char config_defaults[] =
	"paths:\n"
	"  cache_root: cache\n"
	"  tensor_cache_dir: ${paths.cache_root}/tensors\n"
	"  generated_cache_dir: ${paths.cache_root}/generated\n"
	"  eval_cache_dir: ${paths.cache_root}/evaluation\n"
	"data:\n"
	"  dset_name: burgers_128\n"
	"trainer:\n"
	"  synthetic_pred_cache: ${paths.generated_cache_dir}/synthetic_preds\n"
	"  physical_pred_cache: ${paths.generated_cache_dir}/physical_preds\n"
	"daemon:\n"
	"  socket: ${paths.cache_root}/hycod.sock\n"
	"  socket_mode: \"0660\"\n"
	"  max_request_bytes: 65536\n"
	"  max_clients: 1024\n"
	"  log_level: info\n"
	"  max_watches: 0\n"
	"  rescan_interval_s: 30\n"
	"  scan_threads: 2\n"
	"retention:\n"
	"  trash_dir: ${paths.cache_root}/.trash\n"
	"  keep_last_cycles: 0\n"
	"  protect_recent_s: 600\n"
	"  prune_below: 5%\n"
	"  prune_until: 10%\n"
	"  refuse_below: 2%\n"
	"  prune_below_inodes: 5%\n"
	"  prune_until_inodes: 10%\n"
	"  refuse_below_inodes: 2%\n"
	"  prunable: generated\n"
	"  check_interval_s: 5\n";

enum ktype { K_MAP, K_STR, K_INT, K_FLOAT, K_MODE, K_LEVEL, K_DATASET,
	K_MARK, K_CATS };

/* Every key the daemon knows: a wrong type here is an error. */
static const struct key_spec {
	const char	*key;
	enum ktype	 type;
	long		 min, max;	/* K_INT range; K_FLOAT (min, max] if max */
} key_specs[] = {
	{ "paths", K_MAP, 0, 0 },
	{ "paths.raw_data_root", K_STR, 0, 0 },
	{ "paths.cache_root", K_STR, 0, 0 },
	{ "paths.tensor_cache_dir", K_STR, 0, 0 },
	{ "paths.generated_cache_dir", K_STR, 0, 0 },
	{ "paths.eval_cache_dir", K_STR, 0, 0 },
	{ "paths.results_root", K_STR, 0, 0 },
	{ "paths.model_checkpoint_dir", K_STR, 0, 0 },
	{ "paths.evaluation_output_dir", K_STR, 0, 0 },
	{ "paths.log_dir", K_STR, 0, 0 },
	{ "data", K_MAP, 0, 0 },
	{ "data.dset_name", K_DATASET, 0, 0 },
	{ "data.raw_data_dir", K_STR, 0, 0 },
	{ "data.cache_dir", K_STR, 0, 0 },
	{ "trainer", K_MAP, 0, 0 },
	{ "trainer.alpha", K_FLOAT, 0, 0 },
	{ "trainer.memory_budget_gb", K_FLOAT, 0, 0 },
	{ "trainer.num_cycles", K_INT, 0, HYCO_CYCLE_MAX + 1 },
	{ "trainer.synthetic_epochs_per_cycle", K_INT, 0, INT_MAX },
	{ "trainer.physical_epochs_per_cycle", K_INT, 0, INT_MAX },
	{ "trainer.synthetic_pred_cache", K_STR, 0, 0 },
	{ "trainer.physical_pred_cache", K_STR, 0, 0 },
	{ "daemon", K_MAP, 0, 0 },
	{ "daemon.socket", K_STR, 0, 0 },
	{ "daemon.socket_mode", K_MODE, 0, 0777 },
	{ "daemon.max_request_bytes", K_INT, 1024, 16 << 20 },
	{ "daemon.max_clients", K_INT, 1, 65536 },
	{ "daemon.log_level", K_LEVEL, 0, 0 },
	{ "daemon.max_watches", K_INT, 0, INT_MAX },
	{ "daemon.rescan_interval_s", K_FLOAT, 0, 86400 },
	{ "daemon.scan_threads", K_INT, 1, 2 },
	{ "retention", K_MAP, 0, 0 },
	{ "retention.trash_dir", K_STR, 0, 0 },
	{ "retention.keep_last_cycles", K_INT, 0, HYCO_CYCLE_MAX + 1 },
	{ "retention.protect_recent_s", K_FLOAT, -1, 1000000000 },
	{ "retention.prune_below", K_MARK, 0, 0 },
	{ "retention.prune_until", K_MARK, 0, 0 },
	{ "retention.refuse_below", K_MARK, 0, 0 },
	{ "retention.prune_below_inodes", K_MARK, 0, 0 },
	{ "retention.prune_until_inodes", K_MARK, 0, 0 },
	{ "retention.refuse_below_inodes", K_MARK, 0, 0 },
	{ "retention.prunable", K_CATS, 0, 0 },
	{ "retention.check_interval_s", K_FLOAT, 0, 86400 },
};

#define NKEYS	(sizeof(key_specs) / sizeof(key_specs[0]))

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
type_name(const struct cfg_node *n)
{
	if (n->type == CFG_MAP)
		return "a mapping";
	if (n->type == CFG_SEQ)
		return "a list";
	if (n->value == NULL)
		return "null";
	return "a string";
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

/*
 * Check one known key; errors name file, line and key. The shape (map
 * or value) is checked before interpolation, so that a list where a
 * path belongs is reported as such and not as a failed ${...}; values
 * are checked after.
 */
static void
check_key(const struct key_spec *k, const struct cfg_node *n, bool values,
    struct cfg_errors *e)
{
	const char *why;
	long v = 0;
	char *end;
	double d;
	struct mark mk;
	bool cats[CAT_COUNT];

	if (!values) {
		if (k->type == K_MAP && n->type != CFG_MAP)
			cfg_errorf(e, n->file, n->line, "%s: expected a mapping, "
			    "got %s", k->key, type_name(n));
		else if (k->type != K_MAP && n->type != CFG_SCALAR)
			cfg_errorf(e, n->file, n->line, "%s: expected a %s, got "
			    "%s", k->key, k->type == K_STR ? "string" : "value",
			    type_name(n));
		return;
	}
	if (k->type == K_MAP || n->type != CFG_SCALAR)
		return;		/* shape: reported before interpolation */
	if (n->value == NULL) {
		cfg_errorf(e, n->file, n->line, "%s: expected a %s, got null",
		    k->key, k->type == K_STR ? "string" : "value");
		return;
	}
	switch (k->type) {
	case K_STR:
		if (n->value[0] == '\0')
			cfg_errorf(e, n->file, n->line, "%s: must not be empty",
			    k->key);
		break;
	case K_DATASET:
		if (!layout_valid_dataset(n->value, strlen(n->value), &why))
			cfg_errorf(e, n->file, n->line, "%s: %s", k->key, why);
		break;
	case K_INT:
		if (n->quoted || parse_long(n->value, 10, &v) == -1)
			cfg_errorf(e, n->file, n->line, "%s: expected an integer, "
			    "got '%s'", k->key, n->value);
		else if (v < k->min || v > k->max)
			cfg_errorf(e, n->file, n->line, "%s: %ld is outside "
			    "%ld..%ld", k->key, v, k->min, k->max);
		break;
	case K_FLOAT:
		errno = 0;
		d = strtod(n->value, &end);
		if (n->quoted || errno != 0 || end == n->value || *end != '\0')
			cfg_errorf(e, n->file, n->line, "%s: expected a number, "
			    "got '%s'", k->key, n->value);
		else if (k->max != 0 && !(d > k->min && d <= k->max))
			cfg_errorf(e, n->file, n->line, "%s: %s is outside "
			    "(%ld, %ld]", k->key, n->value, k->min, k->max);
		break;
	case K_MODE:
		/* Octal whether written 0660 (YAML 1.1) or "0660". */
		if (parse_long(n->value, 8, &v) == -1 || v < 0 || v > k->max)
			cfg_errorf(e, n->file, n->line, "%s: expected an octal "
			    "file mode like 0660, got '%s'", k->key, n->value);
		break;
	case K_LEVEL:
		if (log_parse_level(n->value) == -1)
			cfg_errorf(e, n->file, n->line, "%s: expected debug, info, "
			    "warn or error, got '%s'", k->key, n->value);
		break;
	case K_MARK:
		if (config_parse_mark(n->value, &mk) == -1)
			cfg_errorf(e, n->file, n->line, "%s: expected a percentage "
			    "like 5%% or an amount like 20G, got '%s'", k->key,
			    n->value);
		break;
	case K_CATS:
		if (parse_cats(n->value, cats) == -1)
			cfg_errorf(e, n->file, n->line, "%s: expected categories "
			    "from generated, tensors, eval, comma-separated, got "
			    "'%s'", k->key, n->value);
		break;
	case K_MAP:
		break;
	}
}

/*
 * Check every known key present in tree: shapes (values false) or
 * values. literal_only skips values that still hold a ${...} because
 * interpolation failed; a missing daemon key is reported only once
 * interpolation has succeeded.
 */
static void
check_keys(struct cfg_node *tree, bool values, bool literal_only,
    struct cfg_errors *e)
{
	for (size_t i = 0; i < NKEYS; i++) {
		struct cfg_node *n = cfg_get(tree, key_specs[i].key);
		if (n == NULL) {
			if (values && !literal_only &&
			    (strncmp(key_specs[i].key, "daemon.", 7) == 0 ||
			    strncmp(key_specs[i].key, "retention.", 10) == 0))
				cfg_errorf(e, NULL, 0, "%s: missing",
				    key_specs[i].key);
			continue;
		}
		if (literal_only && (n->type != CFG_SCALAR ||
		    n->value == NULL || strstr(n->value, "${") != NULL))
			continue;
		check_key(&key_specs[i], n, values, e);
	}
}

static const char *
get_str(struct cfg_node *tree, const char *key)
{
	struct cfg_node *n = cfg_get(tree, key);
	return n != NULL && n->type == CFG_SCALAR ? n->value : NULL;
}

static int
set_path(struct cfg_node *tree, const char *key, const char *cwd, char *out,
    struct cfg_errors *e)
{
	struct cfg_node *n = cfg_get(tree, key);

	if (n == NULL || n->value == NULL) {
		cfg_errorf(e, NULL, 0, "%s: missing", key);
		return -1;
	}
	if (layout_absolute(cwd, n->value, out, PATH_MAX) == -1) {
		cfg_errorf(e, n->file, n->line, "%s: path too long", key);
		return -1;
	}
	return 0;
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

int
config_load(struct hyco_config *cfg, const char *const *files, int nfiles,
    const char *const *overrides, int noverrides, struct cfg_errors *e)
{
	struct hyco_config c;
	struct cfg_node *tree;
	char cwd[PATH_MAX];
	int errors = e->count;
	long v = 0;

	memset(&c, 0, sizeof(c));
	tree = cfg_parse(config_defaults, sizeof(config_defaults) - 1,
	    "(built-in defaults)", e);
	if (tree == NULL)
		return -1;
	for (int i = 0; i < nfiles; i++) {
		struct cfg_node *f = cfg_compose(files[i], e);
		if (f != NULL)
			cfg_merge(tree, f);
	}
	if (e->count > errors)
		goto fail;
	for (int i = 0; i < noverrides; i++)
		(void)cfg_override(tree, overrides[i], e);
	if (e->count > errors)
		goto fail;
	check_keys(tree, false, false, e);
	if (e->count > errors || cfg_resolve(tree, e) == -1) {
		/* Unresolved: still report the values that need no ${...}. */
		check_keys(tree, true, true, e);
		goto fail;
	}
	check_keys(tree, true, false, e);
	if (e->count > errors)
		goto fail;

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		cfg_errorf(e, NULL, 0, "getcwd: %s", strerror(errno));
		goto fail;
	}
	struct layout *l = &c.layout;
	set_path(tree, "paths.cache_root", cwd, l->cache_root, e);
	set_path(tree, "paths.tensor_cache_dir", cwd, l->roots[CAT_TENSORS], e);
	set_path(tree, "paths.generated_cache_dir", cwd,
	    l->roots[CAT_GENERATED], e);
	set_path(tree, "paths.eval_cache_dir", cwd, l->roots[CAT_EVAL], e);
	set_path(tree, "trainer.synthetic_pred_cache", cwd,
	    l->pred_root[KIND_SYNTHETIC], e);
	set_path(tree, "trainer.physical_pred_cache", cwd,
	    l->pred_root[KIND_PHYSICAL], e);
	set_path(tree, "daemon.socket", cwd, c.socket, e);
	set_path(tree, "retention.trash_dir", cwd, c.trash_dir, e);
	if (get_str(tree, "data.dset_name") == NULL)
		cfg_errorf(e, NULL, 0, "data.dset_name: missing");
	else
		snprintf(l->default_dataset, sizeof(l->default_dataset), "%s",
		    get_str(tree, "data.dset_name"));
	if (e->count > errors)
		goto fail;
	check_layout(l, e);
	check_trash(l, c.trash_dir, e);
	if (e->count > errors)
		goto fail;

	parse_long(get_str(tree, "daemon.socket_mode"), 8, &v);
	c.socket_mode = (unsigned)v;
	parse_long(get_str(tree, "daemon.max_request_bytes"), 10, &v);
	c.max_request_bytes = (size_t)v;
	parse_long(get_str(tree, "daemon.max_clients"), 10, &v);
	c.max_clients = (unsigned)v;
	c.log_level = log_parse_level(get_str(tree, "daemon.log_level"));
	parse_long(get_str(tree, "daemon.max_watches"), 10, &v);
	c.max_watches = v;
	c.rescan_interval_s = strtod(get_str(tree, "daemon.rescan_interval_s"),
	    NULL);
	parse_long(get_str(tree, "daemon.scan_threads"), 10, &v);
	c.scan_threads = (int)v;
	struct retention *rt = &c.retention;
	parse_long(get_str(tree, "retention.keep_last_cycles"), 10, &v);
	rt->keep_last_cycles = v;
	rt->protect_recent_s = strtod(get_str(tree,
	    "retention.protect_recent_s"), NULL);
	rt->check_interval_s = strtod(get_str(tree,
	    "retention.check_interval_s"), NULL);
	config_parse_mark(get_str(tree, "retention.prune_below"),
	    &rt->prune_below);
	config_parse_mark(get_str(tree, "retention.prune_until"),
	    &rt->prune_until);
	config_parse_mark(get_str(tree, "retention.refuse_below"),
	    &rt->refuse_below);
	config_parse_mark(get_str(tree, "retention.prune_below_inodes"),
	    &rt->prune_below_inodes);
	config_parse_mark(get_str(tree, "retention.prune_until_inodes"),
	    &rt->prune_until_inodes);
	config_parse_mark(get_str(tree, "retention.refuse_below_inodes"),
	    &rt->refuse_below_inodes);
	parse_cats(get_str(tree, "retention.prunable"), rt->prunable);
	c.tree = tree;
	*cfg = c;
	return 0;
fail:
	cfg_free(tree);
	return -1;
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
