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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_compose_overrides),
		cmocka_unit_test(test_cfg_compose_defaults),
	};
	return cmocka_run_group_tests_name("cfg_compose", tests, NULL, NULL);
}
