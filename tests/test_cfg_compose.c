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

/* Write dir/name (unless text is NULL) and compose it. */
static struct cfg_node *
compose(const char *dir, const char *name, const char *text,
    struct cfg_errors *e)
{
	char path[PATH_MAX];

	struct cfg_errors warn = { 0 };
	struct cfg_node *r;
	int nargs = 0;

	if (text != NULL)
		tu_write(dir, name, text);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = cfg_compose(path, NULL, &nargs, e, &warn);
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

	assert_null(compose(dir, "bad.yaml", "defaults:\n  - data: nope\n", &e));
	assert_non_null(strstr(first_error(&e), "bad.yaml:2: cannot open"));
	assert_non_null(strstr(first_error(&e), "data/nope.yaml"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "loop.yaml", "defaults:\n  - loop\n", &e));
	assert_non_null(strstr(first_error(&e), "a cycle?"));
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
	assert_string_equal(val(r, "top"), "g");
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
	assert_non_null(strstr(first_error(&e), "b.yaml:3: defaults: override "
	    "of group 'model' that is not in the list"));
	cfg_errors_clear(&e);

	assert_null(compose(dir, "c.yaml", "defaults: base\n", &e));
	assert_non_null(strstr(first_error(&e), "c.yaml:1: defaults: must be "
	    "a list"));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_compose_overrides),
		cmocka_unit_test_setup_teardown(test_cfg_compose_defaults,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_reads_each_file_once,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
		cmocka_unit_test_setup_teardown(test_cfg_compose_bad_defaults,
		    test_cfg_compose_setup, test_cfg_compose_teardown),
	};
	return cmocka_run_group_tests_name("cfg_compose", tests, NULL, NULL);
}
