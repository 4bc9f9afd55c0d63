/* test_cfg_interp.c: OmegaConf interpolation. */
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
test_cfg_interp_resolves(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r;

	(void)state;
	setenv("HYCO_TEST_ENV", "from-env", 1);
	unsetenv("HYCO_TEST_UNSET");
	r = parse("paths:\n  root: /r\n  a: ${paths.root}/a\n"
	    "  b: ${paths.a}/b-${data.n}-${data.n}\n"
	    "data:\n  n: 7\n  which: root\n  env: ${oc.env:HYCO_TEST_ENV}\n"
	    "  def: ${oc.env:HYCO_TEST_UNSET,fallback}\n"
	    "  nested: ${paths.${data.which}}\n  rel: x${.n}\n"
	    "  up: ${..paths.root}\n  num: ${data.n}\n"
	    "  esc: \\${not.interp}\n  none: ~\n  withnone: a${data.none}\n",
	    &e);
	assert_non_null(r);
	assert_int_equal(cfg_resolve(r, &e), 0);
	assert_string_equal(val(r, "paths.a"), "/r/a");
	assert_string_equal(val(r, "paths.b"), "/r/a/b-7-7");
	assert_string_equal(val(r, "data.env"), "from-env");
	assert_string_equal(val(r, "data.def"), "fallback");
	assert_string_equal(val(r, "data.nested"), "/r");
	assert_string_equal(val(r, "data.rel"), "x7");
	assert_string_equal(val(r, "data.up"), "/r");
	/* A lone interpolation keeps the target's type. */
	assert_string_equal(val(r, "data.num"), "7");
	assert_false(cfg_get(r, "data.num")->quoted);
	assert_string_equal(val(r, "data.esc"), "${not.interp}");
	assert_string_equal(val(r, "data.withnone"), "aNone");
	cfg_free(r);
}

static void
test_cfg_interp_errors(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r;

	(void)state;
	r = parse("a:\n  x: ${a.y}\n  y: ${b.missing}\n", &e);
	assert_int_equal(cfg_resolve(r, &e), -1);
	/* The chain is named: a.x needs a.y which needs b.missing. */
	assert_string_equal(first_error(&e), "t.yaml:3: a.x: interpolation key "
	    "'b.missing' not found (via a.x -> a.y)");
	assert_int_equal(e.count, 1);	/* no cascade for a.y itself */
	cfg_errors_clear(&e);
	cfg_free(r);

	r = parse("a: ${b}\nb: ${c}\nc: ${a}\n", &e);
	assert_int_equal(cfg_resolve(r, &e), -1);
	assert_string_equal(first_error(&e),
	    "t.yaml:1: interpolation cycle: a -> b -> c -> a");
	cfg_errors_clear(&e);
	cfg_free(r);

	unsetenv("HYCO_TEST_UNSET");
	r = parse("a: ${oc.env:HYCO_TEST_UNSET}\nb: ${c}\nc: {k: 1}\n"
	    "d: ${oc.nope:x}\ne: ${unterminated\n", &e);
	assert_int_equal(cfg_resolve(r, &e), -1);
	assert_int_equal(e.count, 4);
	assert_non_null(strstr(e.msg[0], "HYCO_TEST_UNSET is not set"));
	assert_non_null(strstr(e.msg[1], "'c' is a mapping or list"));
	assert_non_null(strstr(e.msg[2], "unknown resolver"));
	assert_non_null(strstr(e.msg[3], "unterminated"));
	cfg_errors_clear(&e);
	cfg_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_interp_resolves),
		cmocka_unit_test(test_cfg_interp_errors),
	};
	return cmocka_run_group_tests_name("cfg_interp", tests, NULL, NULL);
}
