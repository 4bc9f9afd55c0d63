/* test_cfg_tree.c: YAML parsing, merge, lookup and printing. */
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
test_cfg_tree_parse_types(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: 1\n  c: \"2\"\n  d: ~\n  e: [x, y]\n"
	    "f: &anc {k: v}\ng: *anc\n", &e);

	(void)state;
	assert_non_null(r);
	assert_string_equal(val(r, "a.b"), "1");
	assert_false(cfg_get(r, "a.b")->quoted);
	assert_true(cfg_get(r, "a.c")->quoted);
	assert_null(cfg_get(r, "a.d")->value);
	assert_int_equal(cfg_get(r, "a.e")->type, CFG_SEQ);
	assert_string_equal(val(r, "a.e.1"), "y");
	assert_string_equal(val(r, "g.k"), "v");
	assert_int_equal(cfg_get(r, "a.b")->line, 2);
	cfg_free(r);
}

static void
test_cfg_tree_parse_errors(void **state)
{
	struct cfg_errors e = { 0 };

	(void)state;
	assert_null(parse("a: [1, 2\nb: 3\n", &e));
	assert_non_null(strstr(first_error(&e), "t.yaml:"));
	assert_non_null(strstr(first_error(&e), "YAML syntax"));
	cfg_errors_clear(&e);
	assert_null(parse("a: 1\na: 2\n", &e));
	assert_string_equal(first_error(&e), "t.yaml:2: duplicate key 'a'");
	cfg_errors_clear(&e);
	assert_null(parse("a: *nope\n", &e));
	cfg_errors_clear(&e);
}

static void
test_cfg_tree_merge(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *a = parse("p:\n  x: 1\n  y: 2\nl: [1, 2]\n", &e);
	struct cfg_node *b = parse("p:\n  y: 3\n  z: 4\nl: [9]\n", &e);

	(void)state;
	cfg_merge(a, b);
	assert_string_equal(val(a, "p.x"), "1");
	assert_string_equal(val(a, "p.y"), "3");
	assert_string_equal(val(a, "p.z"), "4");
	assert_string_equal(val(a, "l.0"), "9");
	assert_null(cfg_get(a, "l.1"));
	cfg_free(a);
}

static void
test_cfg_tree_print(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: 1\n  s: \"x: y\"\n  l: [1, {k: v}]\n"
	    "  e: {}\n  n: null\n", &e);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	cfg_print(f, r);
	fclose(f);
	assert_string_equal(buf, "a:\n  b: 1\n  s: \"x: y\"\n  l:\n    - 1\n"
	    "    -\n      k: v\n  e: {}\n  n: null\n");
	/* What it prints parses back to the same tree. */
	struct cfg_node *again = parse(buf, &e);
	assert_non_null(again);
	assert_string_equal(val(again, "a.s"), "x: y");
	assert_string_equal(val(again, "a.l.1.k"), "v");
	cfg_free(again);
	cfg_free(r);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_tree_parse_types),
		cmocka_unit_test(test_cfg_tree_parse_errors),
		cmocka_unit_test(test_cfg_tree_merge),
		cmocka_unit_test(test_cfg_tree_print),
	};
	return cmocka_run_group_tests_name("cfg_tree", tests, NULL, NULL);
}
