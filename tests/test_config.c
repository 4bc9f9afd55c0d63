/* test_config.c: typed config loading, defaults and every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "testutil.h"

struct fixture {
	char	*dir;
	char	 path[PATH_MAX];
};

static int
test_config_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/c.yaml", f->dir);
	*state = f;
	return 0;
}

static int
test_config_teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int
load(struct fixture *f, const char *yaml, const char **ov, int nov,
    struct hyco_config *cfg, struct cfg_errors *e)
{
	const char *files[1] = { f->path };

	tu_write(f->dir, "c.yaml", yaml);
	return config_load(cfg, files, 1, ov, nov, e);
}

static void
test_config_seed_defaults(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const char *files[1] = { "conf/config.yaml" };
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	assert_int_equal(config_load(&cfg, files, 1, NULL, 0, &e), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/cache/tensors", cwd);
	assert_string_equal(cfg.layout.roots[CAT_TENSORS], want);
	snprintf(want, sizeof(want), "%s/cache/generated/synthetic_preds", cwd);
	assert_string_equal(cfg.layout.pred_root[KIND_SYNTHETIC], want);
	snprintf(want, sizeof(want), "%s/cache/evaluation", cwd);
	assert_string_equal(cfg.layout.roots[CAT_EVAL], want);
	snprintf(want, sizeof(want), "%s/cache/hycod.sock", cwd);
	assert_string_equal(cfg.socket, want);
	assert_string_equal(cfg.layout.default_dataset, "burgers_128");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_int_equal(cfg.dir_mode, 02775);
	assert_int_equal(cfg.max_request_bytes, 65536);
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	config_free(&cfg);
	(void)f;
}

static void
test_config_trainer_file_without_daemon_section(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const char *ov[] = { "paths.cache_root=/srv/c", "daemon.max_clients=7" };

	assert_int_equal(load(f, "paths:\n  cache_root: x\nmodel:\n  unknown: "
	    "[1, 2]\ntrainer:\n  extra_key: {a: b}\n", ov, 2, &cfg, &e), 0);
	assert_string_equal(cfg.layout.roots[CAT_GENERATED], "/srv/c/generated");
	assert_string_equal(cfg.socket, "/srv/c/hycod.sock");
	assert_int_equal(cfg.max_clients, 7);
	config_free(&cfg);
}

static void
test_config_layering(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	char second[PATH_MAX];
	const char *files[2] = { f->path, second };

	tu_write(f->dir, "c.yaml", "paths:\n  cache_root: /a\ndata:\n"
	    "  dset_name: one\n");
	tu_write(f->dir, "d.yaml", "paths:\n  cache_root: /b\n");
	snprintf(second, sizeof(second), "%s/d.yaml", f->dir);
	assert_int_equal(config_load(&cfg, files, 2, NULL, 0, &e), 0);
	assert_string_equal(cfg.layout.cache_root, "/b");
	assert_string_equal(cfg.layout.default_dataset, "one");
	config_free(&cfg);
}

static void
test_config_wrong_types_all_reported(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };

	assert_int_equal(load(f, "paths:\n  cache_root: [a, b]\n"
	    "daemon:\n  max_request_bytes: lots\n  socket_mode: 999\n"
	    "  log_level: loud\n  max_clients: 0\ndata:\n  dset_name: ../x\n"
	    "trainer:\n  alpha: high\n", NULL, 0, &cfg, &e), -1);
	assert_int_equal(e.count, 7);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "%s:2: paths.cache_root: expected a "
	    "string, got a list", f->path);
	assert_string_equal(e.msg[0], want);
	for (int i = 0; i < e.count; i++)
		assert_non_null(strstr(e.msg[i], f->path));
	cfg_errors_clear(&e);
}

/* True if some message of e holds s. */
static bool
has(const struct cfg_errors *e, const char *s)
{
	for (int i = 0; i < e->count; i++)
		if (strstr(e->msg[i], s) != NULL)
			return true;
	return false;
}

/*
 * Elsewhere a value that cannot be resolved is a warning and stays as
 * written; --print-config (CONFIG_STRICT) refuses what OmegaConf
 * refuses, and still only warns about resolvers hycod does not know.
 */
static void
test_config_warnings(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 }, w = { 0 };
	const char *files[1] = { f->path };

	tu_write(f->dir, "c.yaml", "a: ${nope}\nb: ${hydra:job.name}\n"
	    "paths:\n  log_dir: ${hydra:runtime.output_dir}/logs\n");
	assert_int_equal(config_load_flags(&cfg, files, 1, NULL, 0, 0, &e, &w),
	    0);
	assert_int_equal(w.count, 3);
	assert_true(has(&w, ":1: a: interpolation key 'nope' not found"));
	assert_true(has(&w, ":2: b: left unresolved"));
	assert_true(has(&w, ":4: paths.log_dir: left unresolved"));
	assert_string_equal(cfg_get(cfg.tree, "b")->value, "${hydra:job.name}");
	config_free(&cfg);
	cfg_errors_clear(&w);

	assert_int_equal(config_load_flags(&cfg, files, 1, NULL, 0,
	    CONFIG_STRICT, &e, &w), -1);
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(e.msg[0], ":1: a: interpolation key 'nope' "
	    "not found"));
	assert_int_equal(w.count, 2);
	cfg_errors_clear(&e);
	cfg_errors_clear(&w);
}

static void
test_config_errors(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const char *bad_ov[] = { "daemon.nosuch=1" };
	const char *files[1] = { "/nonexistent/c.yaml" };

	assert_int_equal(load(f, "paths: 3\n", NULL, 0, &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "paths: expected a mapping"));
	assert_int_equal(e.count, 1);	/* no echo from ${paths.cache_root} */
	cfg_errors_clear(&e);

	/* A key the daemon keeps must resolve. */
	assert_int_equal(load(f, "paths:\n  cache_root: ${nope}\n", NULL, 0,
	    &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "'nope' not found"));
	assert_int_equal(e.count, 1);	/* not again for its dependents */
	cfg_errors_clear(&e);

	assert_int_equal(load(f, "x: 1\n", bad_ov, 1, &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "no such key 'daemon.nosuch'"));
	cfg_errors_clear(&e);

	assert_int_equal(config_load(&cfg, files, 1, NULL, 0, &e), -1);
	assert_non_null(strstr(e.msg[0], "cannot open /nonexistent/c.yaml"));
	cfg_errors_clear(&e);

	/* Overlapping roots would count bytes twice. */
	assert_int_equal(load(f, "paths:\n  eval_cache_dir: "
	    "${paths.tensor_cache_dir}/ev\n", NULL, 0, &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "overlap"));
	cfg_errors_clear(&e);

	assert_int_equal(load(f, "daemon:\n  max_request_bytes: 10\n", NULL, 0,
	    &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "10 is outside 1024..16777216"));
	cfg_errors_clear(&e);

	const char *del[] = { "~daemon.socket" };
	assert_int_equal(load(f, "x: 1\n", del, 1, &cfg, &e), -1);
	assert_string_equal(e.msg[0], "daemon.socket: missing");
	cfg_errors_clear(&e);
}

static void
test_config_experiment(void **state)
{
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const char *files[1] = { "conf/burgers_hybrid_experiment.yaml" };

	(void)state;
	assert_int_equal(config_load(&cfg, files, 1, NULL, 0, &e), 0);
	assert_string_equal(cfg.layout.cache_root, "/mnt/ssd/cache");
	assert_string_equal(cfg_get(cfg.tree, "trainer.alpha")->value, "0.15");
	assert_string_equal(cfg_get(cfg.tree,
	    "trainer.memory_budget_gb")->value, "4.0");
	assert_string_equal(cfg_get(cfg.tree, "model.synthetic.name")->value,
	    "unet");
	config_free(&cfg);
}

/* Every kept key lands in its field, parsed as its type says. */
static void
test_config_parses_every_key(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };

	assert_int_equal(load(f, "paths:\n  cache_root: /c\n"
	    "  tensor_cache_dir: /t\n  generated_cache_dir: /g\n"
	    "  eval_cache_dir: /c/e/../ev\ndata:\n  dset_name: navier\n"
	    "trainer:\n  synthetic_pred_cache: /g/s\n"
	    "  physical_pred_cache: /g/p\ndaemon:\n  socket: /run/h.sock\n"
	    "  socket_mode: 0600\n  max_request_bytes: 2048\n"
	    "  max_clients: 9\n  log_level: warn\n  max_watches: 77\n"
	    "  rescan_interval_s: 2.5\n  scan_threads: 1\nretention:\n"
	    "  trash_dir: /c/.t\n  keep_last_cycles: 4\n"
	    "  protect_recent_s: -0.5\n  prune_below: 20G\n  prune_until: 30%\n"
	    "  refuse_below: 1k\n  prune_below_inodes: 7%\n"
	    "  prune_until_inodes: 8%\n  refuse_below_inodes: 100\n"
	    "  prunable: tensors, eval\n  check_interval_s: 0.25\n",
	    NULL, 0, &cfg, &e), 0);
	assert_int_equal(e.count, 0);
	assert_string_equal(cfg.layout.cache_root, "/c");
	assert_string_equal(cfg.layout.roots[CAT_TENSORS], "/t");
	assert_string_equal(cfg.layout.roots[CAT_GENERATED], "/g");
	assert_string_equal(cfg.layout.roots[CAT_EVAL], "/c/ev");
	assert_string_equal(cfg.layout.pred_root[KIND_SYNTHETIC], "/g/s");
	assert_string_equal(cfg.layout.pred_root[KIND_PHYSICAL], "/g/p");
	assert_string_equal(cfg.layout.default_dataset, "navier");
	assert_string_equal(cfg.socket, "/run/h.sock");
	assert_int_equal(cfg.socket_mode, 0600);
	assert_int_equal(cfg.max_request_bytes, 2048);
	assert_int_equal(cfg.max_clients, 9);
	assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
	assert_int_equal(cfg.max_watches, 77);
	assert_true(cfg.rescan_interval_s == 2.5);
	assert_int_equal(cfg.scan_threads, 1);
	assert_string_equal(cfg.trash_dir, "/c/.t");
	const struct retention *r = &cfg.retention;
	assert_int_equal(r->keep_last_cycles, 4);
	assert_true(r->protect_recent_s == -0.5);
	assert_false(r->prune_below.pct);
	assert_true(r->prune_below.value == 20e9);
	assert_true(r->prune_until.pct && r->prune_until.value == 30);
	assert_true(!r->refuse_below.pct && r->refuse_below.value == 1000);
	assert_true(r->prune_below_inodes.pct &&
	    r->prune_below_inodes.value == 7);
	assert_true(r->prune_until_inodes.pct &&
	    r->prune_until_inodes.value == 8);
	assert_true(!r->refuse_below_inodes.pct &&
	    r->refuse_below_inodes.value == 100);
	assert_true(r->prunable[CAT_TENSORS] && r->prunable[CAT_EVAL] &&
	    r->prunable[CAT_GENERATED]);
	assert_true(r->check_interval_s == 0.25);
	config_free(&cfg);

	/* And the built-in defaults, typed. */
	assert_int_equal(load(f, "x: 1\n", NULL, 0, &cfg, &e), 0);
	assert_int_equal(cfg.max_clients, 1024);
	assert_int_equal(cfg.max_watches, 0);
	assert_true(cfg.rescan_interval_s == 30);
	assert_int_equal(cfg.scan_threads, 2);
	assert_int_equal(cfg.retention.keep_last_cycles, 0);
	assert_true(cfg.retention.protect_recent_s == 600);
	assert_true(cfg.retention.prune_below.pct &&
	    cfg.retention.prune_below.value == 5);
	assert_true(cfg.retention.refuse_below_inodes.pct &&
	    cfg.retention.refuse_below_inodes.value == 2);
	assert_true(cfg.retention.prunable[CAT_GENERATED]);
	assert_false(cfg.retention.prunable[CAT_TENSORS]);
	assert_true(cfg.retention.check_interval_s == 5);
	/* "0660" stays a string in the printed tree, 1024 a number. */
	assert_int_equal(cfg_get(cfg.tree, "daemon.socket_mode")->vtype,
	    CFG_TYPE_STR);
	assert_int_equal(cfg_get(cfg.tree, "daemon.max_clients")->vtype,
	    CFG_TYPE_INT);
	config_free(&cfg);
}

/* What a new row must respect, so that one line is all a key needs. */
static void
test_config_key_table(void **state)
{
	size_t n, kept = 0;
	const struct config_key *k = config_keys(&n);

	(void)state;
	assert_true(n > 40);
	for (size_t i = 0; i < n; i++) {
		const char *dot = strrchr(k[i].key, '.');
		assert_non_null(k[i].doc);
		assert_true(k[i].doc[0] != '\0');
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(k[i].key, k[j].key);
		if (dot != NULL) {
			/* Its section comes first, in the table. */
			size_t j;
			for (j = 0; j < i; j++)
				if (strncmp(k[j].key, k[i].key, (size_t)(dot -
				    k[i].key)) == 0 && k[j].key[dot - k[i].key] ==
				    '\0')
					break;
			assert_true(j < i);
			assert_int_equal(k[j].type, CONFIG_MAP);
		}
		if (k[i].off == CONFIG_NO_FIELD)
			continue;
		/* A kept key must be set, so it has a default. */
		assert_non_null(k[i].def);
		assert_true(k[i].off + k[i].size <= sizeof(struct hyco_config));
		if (k[i].type == CONFIG_INT || k[i].type == CONFIG_MODE ||
		    k[i].type == CONFIG_LEVEL)
			assert_true(k[i].size == sizeof(int) ||
			    k[i].size == sizeof(long));
		/* No two keys share a byte of the struct. */
		for (size_t j = 0; j < i; j++)
			if (k[j].off != CONFIG_NO_FIELD)
				assert_true(k[j].off + k[j].size <= k[i].off ||
				    k[i].off + k[i].size <= k[j].off);
		kept++;
	}
	assert_int_equal(kept, 48);	/* every field but tree */
}

/* alerts.*: marks, numbers, and the command as an argv list. */
static void
test_config_alerts(void **state)
{
	struct fixture *f = *state;
	struct hyco_config cfg;
	struct cfg_errors e = { 0 };
	const char *ov[] = { "alerts.command=[/bin/echo, '${alerts.warn_below}']" };

	assert_int_equal(load(f, "alerts:\n  check_interval_s: 0.5\n"
	    "  warn_below: 20G\n  critical_below: 3%\n"
	    "  warn_below_inodes: 1000\n  critical_below_inodes: 1%\n"
	    "  hysteresis: 1M\n  hysteresis_inodes: 2%\n"
	    "  warn_time_to_full_s: 0\n  fill_window_s: 60\n"
	    "  command: [/usr/local/bin/page, --disk, 5]\n"
	    "  command_timeout_s: 2.5\n", NULL, 0, &cfg, &e), 0);
	const struct alerts *a = &cfg.alerts;
	assert_true(a->check_interval_s == 0.5);
	assert_true(!a->warn_below.pct && a->warn_below.value == 20e9);
	assert_true(a->critical_below.pct && a->critical_below.value == 3);
	assert_true(!a->warn_below_inodes.pct &&
	    a->warn_below_inodes.value == 1000);
	assert_true(a->critical_below_inodes.pct);
	assert_true(!a->hysteresis.pct && a->hysteresis.value == 1e6);
	assert_true(a->hysteresis_inodes.pct &&
	    a->hysteresis_inodes.value == 2);
	assert_true(a->warn_time_to_full_s == 0 && a->fill_window_s == 60);
	assert_string_equal(a->command[0], "/usr/local/bin/page");
	assert_string_equal(a->command[1], "--disk");
	assert_string_equal(a->command[2], "5");
	assert_null(a->command[3]);
	assert_true(a->command_timeout_s == 2.5);
	config_free(&cfg);

	/* Defaults: no command; a list from an override, interpolated. */
	assert_int_equal(load(f, "x: 1\n", NULL, 0, &cfg, &e), 0);
	assert_null(cfg.alerts.command[0]);
	assert_true(cfg.alerts.warn_below.pct &&
	    cfg.alerts.warn_below.value == 10);
	assert_true(cfg.alerts.check_interval_s == 10);
	assert_true(cfg.alerts.warn_time_to_full_s == 3600);
	assert_null(cfg_get(cfg.tree, "alerts.command")->value);
	config_free(&cfg);
	assert_int_equal(load(f, "x: 1\n", ov, 1, &cfg, &e), 0);
	assert_string_equal(cfg.alerts.command[0], "/bin/echo");
	assert_string_equal(cfg.alerts.command[1], "10%");
	config_free(&cfg);
	assert_int_equal(load(f, "alerts:\n  command: []\n", NULL, 0, &cfg,
	    &e), 0);
	assert_null(cfg.alerts.command[0]);
	config_free(&cfg);

	/* A shell line, a nested list, an empty program: each reported. */
	assert_int_equal(load(f, "alerts:\n  command: notify-send low\n"
	    "  warn_below: lots\n", NULL, 0, &cfg, &e), -1);
	assert_int_equal(e.count, 2);
	assert_non_null(strstr(e.msg[0], "alerts.warn_below: expected"));
	assert_non_null(strstr(e.msg[1], "alerts.command: expected a list"));
	cfg_errors_clear(&e);
	assert_int_equal(load(f, "alerts:\n  command: [a, [b]]\n", NULL, 0,
	    &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "alerts.command: item 1: expected a "
	    "string"));
	cfg_errors_clear(&e);
	assert_int_equal(load(f, "alerts:\n  command: ['', b]\n", NULL, 0,
	    &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "naming the program"));
	cfg_errors_clear(&e);
	assert_int_equal(load(f, "alerts:\n  command: {a: b}\n", NULL, 0,
	    &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "alerts.command: expected a list of "
	    "strings, got a mapping"));
	cfg_errors_clear(&e);
	/* At most CONFIG_ARGV_MAX words. */
	char many[CONFIG_ARGV_MAX * 4 + 64] = "alerts:\n  command: [p";
	for (int i = 0; i < CONFIG_ARGV_MAX; i++)
		strcat(many, ", a");
	strcat(many, "]\n");
	assert_int_equal(load(f, many, NULL, 0, &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "more than 32 words"));
	cfg_errors_clear(&e);
}

static void
test_config_keys_print(void **state)
{
	char *buf = NULL, allowed[128];
	size_t len = 0, n, lines = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct config_key *k = config_keys(&n);

	(void)state;
	config_keys_print(f);
	fclose(f);
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, n);
	assert_non_null(strstr(buf, "\ndaemon.max_clients\tint\t1024\t1..65536\t"
	    "connections served at once\n"));
	assert_non_null(strstr(buf, "\ndaemon.log_level\tlevel\tinfo\t"
	    "debug|info|warn|error\t"));
	assert_non_null(strstr(buf, "\ndaemon.socket_mode\tmode\t0660\t"
	    "octal, 0..0777\t"));
	assert_non_null(strstr(buf, "\nretention.prunable\tcategories\t"
	    "generated\ttensors,generated,eval\t"));
	assert_true(strncmp(buf, "paths\tmap\t-\t-\t", 13) == 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].key, "retention.protect_recent_s") == 0) {
			config_key_allowed(&k[i], allowed, sizeof(allowed));
			assert_string_equal(allowed, "(-1, 1000000000]");
		}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_seed_defaults,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test_setup_teardown(
		    test_config_trainer_file_without_daemon_section,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test_setup_teardown(test_config_layering,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test_setup_teardown(
		    test_config_wrong_types_all_reported,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test_setup_teardown(test_config_warnings,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test_setup_teardown(test_config_errors,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test(test_config_experiment),
		cmocka_unit_test_setup_teardown(test_config_parses_every_key,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test(test_config_key_table),
		cmocka_unit_test_setup_teardown(test_config_alerts,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test(test_config_keys_print),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
