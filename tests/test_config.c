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

	assert_int_equal(load(f, "a: ${nope}\n", NULL, 0, &cfg, &e), -1);
	assert_non_null(strstr(e.msg[0], "'nope' not found"));
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
		cmocka_unit_test_setup_teardown(test_config_errors,
		    test_config_setup, test_config_teardown),
		cmocka_unit_test(test_config_experiment),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
