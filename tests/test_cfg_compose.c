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
	char *dir = tu_tmpdir(), path[PATH_MAX];
	struct cfg_node *r;

	(void)state;
	tu_write(dir, "base.yaml", "a: base\nb: base\ndata:\n  n: 1\n");
	tu_write(dir, "data/d1.yaml", "n: 2\nm: 3\n");
	tu_write(dir, "glob/g.yaml", "# @package _global_\ntop: g\n");
	tu_write(dir, "exp.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - glob: g\n  - optional x: missing\nb: exp\n");
	snprintf(path, sizeof(path), "%s/exp.yaml", dir);
	r = cfg_compose(path, &e);
	assert_non_null(r);
	assert_string_equal(val(r, "a"), "base");
	assert_string_equal(val(r, "b"), "exp");	/* own keys last */
	assert_string_equal(val(r, "data.n"), "2");	/* group under its key */
	assert_string_equal(val(r, "data.m"), "3");
	assert_string_equal(val(r, "top"), "g");
	assert_null(cfg_get(r, "defaults"));
	cfg_free(r);

	/* _self_ first: the defaults win over the file's own keys. */
	tu_write(dir, "self.yaml", "defaults:\n  - _self_\n  - base\nb: self\n");
	snprintf(path, sizeof(path), "%s/self.yaml", dir);
	r = cfg_compose(path, &e);
	assert_string_equal(val(r, "b"), "base");
	cfg_free(r);

	tu_write(dir, "bad.yaml", "defaults:\n  - data: nope\n");
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	assert_null(cfg_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "bad.yaml:2: cannot open"));
	assert_non_null(strstr(first_error(&e), "data/nope.yaml"));
	cfg_errors_clear(&e);

	tu_write(dir, "loop.yaml", "defaults:\n  - loop\n");
	snprintf(path, sizeof(path), "%s/loop.yaml", dir);
	assert_null(cfg_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "a cycle?"));
	cfg_errors_clear(&e);
	tu_rmrf(dir);
	free(dir);
}

static void
test_cfg_compose_reads_each_file_once(void **state)
{
	struct cfg_errors e = { 0 };
	char *dir = tu_tmpdir(), path[PATH_MAX];
	struct cfg_node *r;

	(void)state;
	tu_write(dir, "base.yaml", "a: base\n");
	tu_write(dir, "data/d1.yaml", "# @package paths.sub\nn: 2\n");
	tu_write(dir, "glob/g.yaml", "# a comment first\n\n"
	    "# @package _global_\ntop: g\n");
	tu_write(dir, "grp/x.yaml", "# @package _group_\nk: v\n");
	tu_write(dir, "exp.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - glob: g\n  - grp: x\n  - optional x: missing\nb: exp\n");
	snprintf(path, sizeof(path), "%s/exp.yaml", dir);
	opened.on = true;
	opened.n = 0;
	r = cfg_compose(path, &e);
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
	tu_rmrf(dir);
	free(dir);
}

static void
test_cfg_compose_bad_defaults(void **state)
{
	struct cfg_errors e = { 0 };
	char *dir = tu_tmpdir(), path[PATH_MAX];

	(void)state;
	/* Entries already taken are freed when a later one is wrong. */
	tu_write(dir, "a.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - [1, 2]\n");
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	assert_null(cfg_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "a.yaml:4: defaults: entries "
	    "are 'name', 'group: option' or '_self_'"));
	cfg_errors_clear(&e);

	tu_write(dir, "b.yaml", "defaults:\n  - data: d1\n"
	    "  - override model: m\n");
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	assert_null(cfg_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "b.yaml:3: defaults: override "
	    "of group 'model' that is not in the list"));
	cfg_errors_clear(&e);

	tu_write(dir, "c.yaml", "defaults: base\n");
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	assert_null(cfg_compose(path, &e));
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
	tu_write(dir, "p.yaml", "defaults:\n  - g: ok\n");
	snprintf(path, sizeof(path), "%s/p.yaml", dir);
	struct cfg_node *r = cfg_compose(path, &e);
	assert_non_null(r);
	cfg_free(r);
	tu_write(dir, "p.yaml", "defaults:\n  - g: deep\n");
	assert_null(cfg_compose(path, &e));
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(first_error(&e), "g/deep.yaml:1: package "
	    "'p.p.p"));
	assert_non_null(strstr(first_error(&e), "nested deeper than 64 "
	    "levels"));
	cfg_errors_clear(&e);

	tu_write(dir, "d.yaml", "- 1\n- 2\n");
	snprintf(path, sizeof(path), "%s/d.yaml", dir);
	assert_null(cfg_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "d.yaml:1: top level must be "
	    "a mapping"));
	cfg_errors_clear(&e);
	tu_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_compose_overrides),
		cmocka_unit_test(test_cfg_compose_defaults),
		cmocka_unit_test(test_cfg_compose_reads_each_file_once),
		cmocka_unit_test(test_cfg_compose_bad_defaults),
	};
	return cmocka_run_group_tests_name("cfg_compose", tests, NULL, NULL);
}
