/* test_cfg_compose.c: Hydra composition and command-line overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_tree.h"
#include "test_cfg_util.h"
#include "testutil.h"

/*
 * fopen is wrapped (-Wl,--wrap=fopen) so that a test can count how
 * often composition opens each file.
 */
FILE	*__real_fopen(const char *path, const char *mode);
FILE	*__wrap_fopen(const char *path, const char *mode);

static struct {
	bool	 on;
	int	 n;
	char	 path[16][PATH_MAX];
} opened;

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (opened.on && opened.n < 16)
		snprintf(opened.path[opened.n++], PATH_MAX, "%s", path);
	return __real_fopen(path, mode);
}

/* How many times path was opened since counting began. */
static int
times_opened(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	int k = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int i = 0; i < opened.n; i++)
		k += strcmp(opened.path[i], path) == 0;
	return k;
}

static int
test_cfg_compose_setup(void **state)
{
	*state = tu_tmpdir();
	return *state == NULL ? -1 : 0;
}

static int
test_cfg_compose_teardown(void **state)
{
	tu_rmrf(*state);
	free(*state);
	return 0;
}

/* Write dir/name (unless text is NULL) and compose it with args. */
static struct cfg_node *
compose_args(const char *dir, const char *name, const char *text,
    const char *const *args, int nargs, struct cfg_errors *e,
    struct cfg_errors *w)
{
	char path[PATH_MAX];

	if (text != NULL)
		tu_write(dir, name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cfg_compose(path, args, nargs, NULL, e, w);
}

/* The same without arguments, its warnings dropped. */
static struct cfg_node *
compose(const char *dir, const char *name, const char *text,
    struct cfg_errors *e)
{
	struct cfg_errors warn = { 0 };
	struct cfg_node *r = compose_args(dir, name, text, NULL, 0, e, &warn);

	cfg_errors_clear(&warn);
	return r;
}

static void
test_cfg_compose_overrides(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: 1\n  c: x\n", &e);

	(void)state;
	assert_int_equal(cfg_override(r, "a.b=2", &e), 0);
	assert_string_equal(val(r, "a.b"), "2");
	assert_int_equal(cfg_override(r, "a.c=/mnt/ssd/cache", &e), 0);
	assert_string_equal(val(r, "a.c"), "/mnt/ssd/cache");
	assert_int_equal(cfg_override(r, "a.c=", &e), 0);
	assert_string_equal(val(r, "a.c"), "");
	assert_int_equal(cfg_override(r, "+a.l=[1,2]", &e), 0);
	assert_int_equal(cfg_get(r, "a.l")->type, CFG_SEQ);
	assert_int_equal(cfg_override(r, "+n.m=5", &e), 0);
	assert_string_equal(val(r, "n.m"), "5");
	assert_int_equal(cfg_override(r, "++n.m=6", &e), 0);
	assert_string_equal(val(r, "n.m"), "6");
	assert_int_equal(cfg_override(r, "~a.b", &e), 0);
	assert_null(cfg_get(r, "a.b"));
	assert_int_equal(e.count, 0);

	assert_int_equal(cfg_override(r, "a.typo=1", &e), -1);
	assert_string_equal(first_error(&e), "command line: override 'a.typo=1': "
	    "no such key 'a.typo' (use +KEY=VALUE to add one)");
	assert_int_equal(cfg_override(r, "+n.m=1", &e), -1);
	assert_int_equal(cfg_override(r, "noequals", &e), -1);
	assert_int_equal(cfg_override(r, "a..b=1", &e), -1);
	assert_int_equal(cfg_override(r, "=1", &e), -1);
	assert_int_equal(cfg_override(r, "n.m.x=1", &e), -1);
	assert_int_equal(e.count, 6);
	cfg_errors_clear(&e);
	cfg_free(r);
}

static void
test_cfg_compose_defaults(void **state)
{
	struct cfg_errors e = { 0 };
	const char *dir = *state;
	struct cfg_node *r;

	tu_write(dir, "base.yaml", "a: base\nb: base\ndata:\n  n: 1\n");
	tu_write(dir, "data/d1.yaml", "n: 2\nm: 3\n");
	tu_write(dir, "glob/g.yaml", "# @package _global_\ntop: g\n");
	r = compose(dir, "exp.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - glob: g\n  - optional x: missing\nb: exp\n", &e);
	assert_non_null(r);
	assert_string_equal(val(r, "a"), "base");
	assert_string_equal(val(r, "b"), "exp");	/* own keys last */
	assert_string_equal(val(r, "data.n"), "2");	/* group under its key */
	assert_string_equal(val(r, "data.m"), "3");
	assert_string_equal(val(r, "top"), "g");
	assert_null(cfg_get(r, "defaults"));
	cfg_free(r);

	/* _self_ first: the defaults win over the file's own keys. */
	r = compose(dir, "self.yaml", "defaults:\n  - _self_\n  - base\n"
	    "b: self\n", &e);
	assert_string_equal(val(r, "b"), "base");
	cfg_free(r);

	/* In no file: the app's ConfigStore may have it. Left out, warned. */
	struct cfg_errors w = { 0 };
	r = compose_args(dir, "cs.yaml", "defaults:\n  - data: nope\n  - x\n"
	    "k: 1\n", NULL, 0, &e, &w);
	assert_non_null(r);
	assert_int_equal(e.count, 0);
	assert_int_equal(w.count, 2);
	assert_non_null(strstr(w.msg[0], "cs.yaml:3: defaults: x is in no "
	    "file"));
	assert_non_null(strstr(w.msg[1], "cs.yaml:2: defaults: data/nope is "
	    "in no file"));
	assert_string_equal(val(r, "k"), "1");
	cfg_free(r);
	cfg_errors_clear(&w);

	assert_null(compose(dir, "loop.yaml", "defaults:\n  - loop\n", &e));
	assert_non_null(strstr(first_error(&e), "loop.yaml:2: defaults: a "
	    "cycle: "));
	assert_non_null(strstr(first_error(&e), "/loop.yaml -> "));
	cfg_errors_clear(&e);

	/* A cycle through another file names the way round. */
	tu_write(dir, "ping.yaml", "defaults:\n  - pong\n");
	tu_write(dir, "pong.yaml", "defaults:\n  - ping\n");
	assert_null(compose(dir, "ping.yaml", NULL, &e));
	assert_non_null(strstr(first_error(&e), "pong.yaml:2: defaults: a "
	    "cycle: "));
	assert_non_null(strstr(first_error(&e), "/ping.yaml -> "));
	assert_non_null(strstr(first_error(&e), "/pong.yaml -> "));
	cfg_errors_clear(&e);
}

/*
 * Each file lists the next twice: 2^12 configs in the defaults tree,
 * well within the depth limit. A budget of configs stops it at once
 * (the fuzzer found it as a timeout: a config listing itself twice
 * took minutes).
 */
static void
test_cfg_compose_file_budget(void **state)
{
	struct cfg_errors e = { 0 };
	const char *dir = *state;
	char name[32], text[64];

	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "f%d.yaml", i);
		snprintf(text, sizeof(text), "defaults:\n  - f%d\n  - f%d\n"
		    "k%d: v\n", i + 1, i + 1, i);
		tu_write(dir, name, text);
	}
	tu_write(dir, "f12.yaml", "k12: v\n");
	assert_null(compose(dir, "f0.yaml", NULL, &e));
	assert_non_null(strstr(first_error(&e), "more than 1024 configs in "
	    "one composition"));
	cfg_errors_clear(&e);
}

static void
test_cfg_compose_reads_each_file_once(void **state)
{
	struct cfg_errors e = { 0 };
	const char *dir = *state;
	struct cfg_node *r;

	tu_write(dir, "base.yaml", "a: base\n");
	tu_write(dir, "data/d1.yaml", "# @package paths.sub\nn: 2\n");
	/* Hydra reads no header after a line that is not "# @..." */
	tu_write(dir, "glob/g.yaml", "# a comment first\n\n"
	    "# @package _global_\ntop: g\n");
	tu_write(dir, "grp/x.yaml", "# @package _group_\nk: v\n");
	tu_write(dir, "exp.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - glob: g\n  - grp: x\n  - optional x: missing\nb: exp\n");
	opened.on = true;
	opened.n = 0;
	r = compose(dir, "exp.yaml", NULL, &e);
	opened.on = false;
	assert_non_null(r);
	assert_int_equal(e.count, 0);
	assert_string_equal(val(r, "paths.sub.n"), "2");	/* its package */
	assert_null(cfg_get(r, "data"));
	assert_string_equal(val(r, "glob.top"), "g");
	assert_string_equal(val(r, "grp.k"), "v");
	assert_int_equal(times_opened(dir, "exp.yaml"), 1);
	assert_int_equal(times_opened(dir, "base.yaml"), 1);
	assert_int_equal(times_opened(dir, "data/d1.yaml"), 1);
	assert_int_equal(times_opened(dir, "glob/g.yaml"), 1);
	assert_int_equal(times_opened(dir, "grp/x.yaml"), 1);
	assert_int_equal(times_opened(dir, "x/missing.yaml"), 1);
	assert_int_equal(opened.n, 6);
	cfg_free(r);
}

static void
test_cfg_compose_bad_defaults(void **state)
{
	struct cfg_errors e = { 0 };
	const char *dir = *state;

	/* Entries already taken are freed when a later one is wrong. */
	assert_null(compose(dir, "a.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - [1, 2]\n", &e));
	assert_non_null(strstr(first_error(&e), "a.yaml:4: defaults: entries "
	    "are 'name', 'group: option' or '_self_'"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "b.yaml", "defaults:\n  - data: d1\n"
	    "  - override model: m\n", &e));
	assert_non_null(strstr(first_error(&e), "b.yaml:3: defaults: could "
	    "not override 'model': no match in the defaults list"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "o.yaml", "defaults:\n  - override data: d2\n"
	    "  - data: d1\n", &e));
	assert_non_null(strstr(first_error(&e), "o.yaml:3: defaults: override "
	    "'data' is before 'data': overrides must be at the end"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "s.yaml", "defaults:\n  - _self_\n  - _self_\n",
	    &e));
	assert_non_null(strstr(first_error(&e), "s.yaml:3: defaults: _self_ "
	    "twice"));
	cfg_errors_clear(&e);

	tu_write(dir, "h/bad.yaml", "# @package\nk: v\n");
	assert_null(compose(dir, "h.yaml", "defaults:\n  - h: bad\n", &e));
	assert_non_null(strstr(first_error(&e), "h/bad.yaml:1: header: "
	    "expected '# @key value'"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "c.yaml", "defaults: base\n", &e));
	assert_non_null(strstr(first_error(&e), "c.yaml:1: defaults: must be "
	    "a list"));
	cfg_errors_clear(&e);

	/* The file's own keys go in once: a second _self_ has none left. */
	assert_null(compose(dir, "s.yaml", "defaults:\n  - _self_\n  - base\n"
	    "  - _self_\nk: v\n", &e));
	assert_non_null(strstr(first_error(&e), "s.yaml:4: defaults: _self_ "
	    "twice"));
	cfg_errors_clear(&e);

	/* A package is nesting too: capped like the YAML's own. */
	char pkg[256] = "# @package p";
	for (int i = 1; i < CFG_MAX_DEPTH; i++)
		strcat(pkg, ".p");
	tu_write(dir, "g/ok.yaml", strcat(pkg, "\nk: v\n"));
	tu_write(dir, "g/deep.yaml", "# @package p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p"
	    ".p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p"
	    ".p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p.p\nk: v\n");
	struct cfg_node *r = compose(dir, "p.yaml", "defaults:\n  - g: ok\n", &e);
	assert_non_null(r);
	cfg_free(r);
	assert_null(compose(dir, "p.yaml", "defaults:\n  - g: deep\n", &e));
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(first_error(&e), "g/deep.yaml:1: package "
	    "'p.p.p"));
	assert_non_null(strstr(first_error(&e), "nested deeper than 64 "
	    "levels"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "d.yaml", "- 1\n- 2\n", &e));
	assert_non_null(strstr(first_error(&e), "d.yaml:1: top level must be "
	    "a mapping"));
	cfg_errors_clear(&e);
}

/* Hydra's choices from the command line, packages and its own groups. */
static void
test_cfg_compose_hydra(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };
	const char *dir = *state;
	struct cfg_node *r;

	tu_write(dir, "db/mysql.yaml", "driver: mysql\n");
	tu_write(dir, "db/pg.yaml", "driver: pg\n");
	tu_write(dir, "srv/a.yaml", "defaults:\n  - /db@_here_: pg\n"
	    "  - /db@backup: mysql\n  - x@_global_.top: y\nname: a\n");
	tu_write(dir, "srv/x/y.yaml", "k: y\n");
	tu_write(dir, "hydra/help/mine.yaml", "template: x\n");
	tu_write(dir, "main.yaml", "defaults:\n  - db: ???\n  - srv: a\n"
	    "  - optional extra: none\n  - null_group: null\n"
	    "  - override hydra/help: mine\n  - override hydra/launcher: b\n"
	    "  - _self_\nhydra:\n  run:\n    dir: out\n");

	/* ??? left out with a warning; packages relative, _global_ cut. */
	opened.on = true;
	opened.n = 0;
	r = compose_args(dir, "main.yaml", NULL, NULL, 0, &e, &w);
	opened.on = false;
	assert_non_null(r);
	assert_int_equal(e.count, 0);
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.msg[0], "main.yaml:2: defaults: group db is "
	    "??? and no db=OPTION chose it: left out"));
	assert_null(cfg_get(r, "db"));
	assert_string_equal(val(r, "srv.driver"), "pg");	/* _here_ */
	assert_string_equal(val(r, "srv.backup.driver"), "mysql");
	assert_string_equal(val(r, "top.k"), "y");		/* _global_ */
	assert_string_equal(val(r, "srv.name"), "a");
	assert_string_equal(val(r, "hydra.run.dir"), "out");	/* kept */
	assert_null(cfg_get(r, "hydra.help"));
	/* Hydra's own groups are never opened, even from this folder. */
	assert_int_equal(times_opened(dir, "hydra/help/mine.yaml"), 0);
	cfg_free(r);
	cfg_errors_clear(&w);

	/* The command line chooses, deletes, appends; Hydra's own skipped. */
	const char *args[] = { "db=mysql", "~srv", "+extra2=mysql",
	    "hydra/launcher=joblib", "hydra.run.dir=x", "paths.x=1" };
	bool used[6] = { false };
	char path[PATH_MAX];
	tu_write(dir, "extra2/mysql.yaml", "e: 2\n");
	snprintf(path, sizeof(path), "%s/main.yaml", dir);
	r = cfg_compose(path, args, 6, used, &e, &w);
	assert_non_null(r);
	assert_int_equal(e.count + w.count, 0);
	assert_string_equal(val(r, "db.driver"), "mysql");
	assert_null(cfg_get(r, "srv"));
	assert_string_equal(val(r, "extra2.e"), "2");
	for (int i = 0; i < 5; i++)
		assert_true(used[i]);
	assert_false(used[5]);		/* a config override: not a group */
	cfg_free(r);

	/* Appended after the _self_ a list without one gets. */
	const char *app[] = { "+extra2=mysql", "+db=pg" };
	r = compose_args(dir, "noself.yaml", "defaults:\n  - srv: a\n"
	    "e: own\n", app, 2, &e, &w);
	assert_non_null(r);
	assert_string_equal(val(r, "extra2.e"), "2");
	assert_string_equal(val(r, "db.driver"), "pg");
	assert_string_equal(val(r, "e"), "own");
	cfg_free(r);

	/* A choice that matches nothing is Hydra's error. */
	const char *bad[] = { "db@nowhere=mysql" };
	assert_null(compose_args(dir, "main.yaml", NULL, bad, 1, &e, &w));
	assert_string_equal(first_error(&e), "command line: could not "
	    "override 'db@nowhere': no match in the defaults list (to append "
	    "to it use +db@nowhere=...)");
	cfg_errors_clear(&e);
	cfg_errors_clear(&w);

	/* One group at one package takes one option. */
	assert_null(compose(dir, "two.yaml", "defaults:\n  - db: mysql\n"
	    "  - db: pg\n", &e));
	/* The later entry is met first, as Hydra walks a list backwards. */
	assert_non_null(strstr(first_error(&e), "two.yaml:2: defaults: "
	    "multiple values for db; to override a value use 'override db: "
	    "pg'"));
	cfg_errors_clear(&e);

	/*
	 * An interpolation in a defaults list names the other choices
	 * (resolved last, as Hydra resolves it); _name_ is the config's.
	 */
	tu_write(dir, "env/prod.yaml", "e: prod\n");
	tu_write(dir, "db_env/mysql_prod.yaml", "x: 1\n");
	tu_write(dir, "n/cfg.yaml", "k: 1\n");
	r = compose(dir, "ip.yaml", "defaults:\n  - db_env: ${db}_${env}\n"
	    "  - db: mysql\n  - env: prod\n  - n@p_name_: cfg\n", &e);
	assert_non_null(r);
	assert_string_equal(val(r, "db_env.x"), "1");
	assert_string_equal(val(r, "pcfg.k"), "1");
	cfg_free(r);
	assert_null(compose(dir, "ip2.yaml", "defaults:\n  - db_env: ${nope}\n",
	    &e));
	assert_non_null(strstr(first_error(&e), "ip2.yaml:2: defaults: error "
	    "resolving interpolation '${nope}'"));
	cfg_errors_clear(&e);

	/* A header in the first 512 bytes only. */
	char late[700];
	memset(late, '\n', 600);
	strcpy(late + 600, "# @package far\nk: 1\n");
	tu_write(dir, "g/late.yaml", late);
	r = compose(dir, "late.yaml", "defaults:\n  - g: late\n", &e);
	assert_string_equal(val(r, "g.k"), "1");
	cfg_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_compose_overrides),
		cmocka_unit_test_setup_teardown(test_cfg_compose_defaults,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_reads_each_file_once,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_file_budget,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_hydra,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_bad_defaults,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
	};
	return cmocka_run_group_tests_name("cfg_compose", tests, NULL, NULL);
}
