/* test_cfgtree.c: YAML tree, composition, overrides, interpolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtree.h"
#include "testutil.h"

static struct cnode *
parse(const char *text, struct cfg_errors *e)
{
	return cfgtree_parse(text, strlen(text), "t.yaml", e);
}

static const char *
val(struct cnode *root, const char *key)
{
	struct cnode *n = cfgtree_get(root, key);
	return n != NULL ? n->value : "(missing)";
}

/* The first error message, or "" if none. */
static const char *
first_error(struct cfg_errors *e)
{
	return e->count > 0 ? e->msg[0] : "";
}

static void
test_cfgtree_parse_types(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *r = parse("a:\n  b: 1\n  c: \"2\"\n  d: ~\n  e: [x, y]\n"
	    "f: &anc {k: v}\ng: *anc\n", &e);

	(void)state;
	assert_non_null(r);
	assert_string_equal(val(r, "a.b"), "1");
	assert_false(cfgtree_get(r, "a.b")->quoted);
	assert_true(cfgtree_get(r, "a.c")->quoted);
	assert_null(cfgtree_get(r, "a.d")->value);
	assert_int_equal(cfgtree_get(r, "a.e")->type, CNODE_SEQ);
	assert_string_equal(val(r, "a.e.1"), "y");
	assert_string_equal(val(r, "g.k"), "v");
	assert_int_equal(cfgtree_get(r, "a.b")->line, 2);
	cfgtree_free(r);
}

static void
test_cfgtree_parse_errors(void **state)
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
test_cfgtree_interpolation(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *r;

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
	assert_int_equal(cfgtree_resolve(r, &e), 0);
	assert_string_equal(val(r, "paths.a"), "/r/a");
	assert_string_equal(val(r, "paths.b"), "/r/a/b-7-7");
	assert_string_equal(val(r, "data.env"), "from-env");
	assert_string_equal(val(r, "data.def"), "fallback");
	assert_string_equal(val(r, "data.nested"), "/r");
	assert_string_equal(val(r, "data.rel"), "x7");
	assert_string_equal(val(r, "data.up"), "/r");
	/* A lone interpolation keeps the target's type. */
	assert_string_equal(val(r, "data.num"), "7");
	assert_false(cfgtree_get(r, "data.num")->quoted);
	assert_string_equal(val(r, "data.esc"), "${not.interp}");
	assert_string_equal(val(r, "data.withnone"), "aNone");
	cfgtree_free(r);
}

static void
test_cfgtree_interpolation_errors(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *r;

	(void)state;
	r = parse("a:\n  x: ${a.y}\n  y: ${b.missing}\n", &e);
	assert_int_equal(cfgtree_resolve(r, &e), -1);
	/* The chain is named: a.x needs a.y which needs b.missing. */
	assert_string_equal(first_error(&e), "t.yaml:3: a.x: interpolation key "
	    "'b.missing' not found (via a.x -> a.y)");
	assert_int_equal(e.count, 1);	/* no cascade for a.y itself */
	cfg_errors_clear(&e);
	cfgtree_free(r);

	r = parse("a: ${b}\nb: ${c}\nc: ${a}\n", &e);
	assert_int_equal(cfgtree_resolve(r, &e), -1);
	assert_string_equal(first_error(&e),
	    "t.yaml:1: interpolation cycle: a -> b -> c -> a");
	cfg_errors_clear(&e);
	cfgtree_free(r);

	unsetenv("HYCO_TEST_UNSET");
	r = parse("a: ${oc.env:HYCO_TEST_UNSET}\nb: ${c}\nc: {k: 1}\n"
	    "d: ${oc.nope:x}\ne: ${unterminated\n", &e);
	assert_int_equal(cfgtree_resolve(r, &e), -1);
	assert_int_equal(e.count, 4);
	assert_non_null(strstr(e.msg[0], "HYCO_TEST_UNSET is not set"));
	assert_non_null(strstr(e.msg[1], "'c' is a mapping or list"));
	assert_non_null(strstr(e.msg[2], "unknown resolver"));
	assert_non_null(strstr(e.msg[3], "unterminated"));
	cfg_errors_clear(&e);
	cfgtree_free(r);
}

static void
test_cfgtree_merge(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *a = parse("p:\n  x: 1\n  y: 2\nl: [1, 2]\n", &e);
	struct cnode *b = parse("p:\n  y: 3\n  z: 4\nl: [9]\n", &e);

	(void)state;
	cfgtree_merge(a, b);
	assert_string_equal(val(a, "p.x"), "1");
	assert_string_equal(val(a, "p.y"), "3");
	assert_string_equal(val(a, "p.z"), "4");
	assert_string_equal(val(a, "l.0"), "9");
	assert_null(cfgtree_get(a, "l.1"));
	cfgtree_free(a);
}

static void
test_cfgtree_overrides(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *r = parse("a:\n  b: 1\n  c: x\n", &e);

	(void)state;
	assert_int_equal(cfgtree_override(r, "a.b=2", &e), 0);
	assert_string_equal(val(r, "a.b"), "2");
	assert_int_equal(cfgtree_override(r, "a.c=/mnt/ssd/cache", &e), 0);
	assert_string_equal(val(r, "a.c"), "/mnt/ssd/cache");
	assert_int_equal(cfgtree_override(r, "a.c=", &e), 0);
	assert_string_equal(val(r, "a.c"), "");
	assert_int_equal(cfgtree_override(r, "+a.l=[1,2]", &e), 0);
	assert_int_equal(cfgtree_get(r, "a.l")->type, CNODE_SEQ);
	assert_int_equal(cfgtree_override(r, "+n.m=5", &e), 0);
	assert_string_equal(val(r, "n.m"), "5");
	assert_int_equal(cfgtree_override(r, "++n.m=6", &e), 0);
	assert_string_equal(val(r, "n.m"), "6");
	assert_int_equal(cfgtree_override(r, "~a.b", &e), 0);
	assert_null(cfgtree_get(r, "a.b"));
	assert_int_equal(e.count, 0);

	assert_int_equal(cfgtree_override(r, "a.typo=1", &e), -1);
	assert_string_equal(first_error(&e), "command line: override 'a.typo=1': "
	    "no such key 'a.typo' (use +KEY=VALUE to add one)");
	assert_int_equal(cfgtree_override(r, "+n.m=1", &e), -1);
	assert_int_equal(cfgtree_override(r, "noequals", &e), -1);
	assert_int_equal(cfgtree_override(r, "a..b=1", &e), -1);
	assert_int_equal(cfgtree_override(r, "=1", &e), -1);
	assert_int_equal(cfgtree_override(r, "n.m.x=1", &e), -1);
	assert_int_equal(e.count, 6);
	cfg_errors_clear(&e);
	cfgtree_free(r);
}

static void
test_cfgtree_compose(void **state)
{
	struct cfg_errors e = { 0 };
	char *dir = tu_tmpdir(), path[PATH_MAX];
	struct cnode *r;

	(void)state;
	tu_write(dir, "base.yaml", "a: base\nb: base\ndata:\n  n: 1\n");
	tu_write(dir, "data/d1.yaml", "n: 2\nm: 3\n");
	tu_write(dir, "glob/g.yaml", "# @package _global_\ntop: g\n");
	tu_write(dir, "exp.yaml", "defaults:\n  - base\n  - data: d1\n"
	    "  - glob: g\n  - optional x: missing\nb: exp\n");
	snprintf(path, sizeof(path), "%s/exp.yaml", dir);
	r = cfgtree_compose(path, &e);
	assert_non_null(r);
	assert_string_equal(val(r, "a"), "base");
	assert_string_equal(val(r, "b"), "exp");	/* own keys last */
	assert_string_equal(val(r, "data.n"), "2");	/* group under its key */
	assert_string_equal(val(r, "data.m"), "3");
	assert_string_equal(val(r, "top"), "g");
	assert_null(cfgtree_get(r, "defaults"));
	cfgtree_free(r);

	/* _self_ first: the defaults win over the file's own keys. */
	tu_write(dir, "self.yaml", "defaults:\n  - _self_\n  - base\nb: self\n");
	snprintf(path, sizeof(path), "%s/self.yaml", dir);
	r = cfgtree_compose(path, &e);
	assert_string_equal(val(r, "b"), "base");
	cfgtree_free(r);

	tu_write(dir, "bad.yaml", "defaults:\n  - data: nope\n");
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	assert_null(cfgtree_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "bad.yaml:2: cannot open"));
	assert_non_null(strstr(first_error(&e), "data/nope.yaml"));
	cfg_errors_clear(&e);

	tu_write(dir, "loop.yaml", "defaults:\n  - loop\n");
	snprintf(path, sizeof(path), "%s/loop.yaml", dir);
	assert_null(cfgtree_compose(path, &e));
	assert_non_null(strstr(first_error(&e), "a cycle?"));
	cfg_errors_clear(&e);
	tu_rmrf(dir);
	free(dir);
}

static void
test_cfgtree_print(void **state)
{
	struct cfg_errors e = { 0 };
	struct cnode *r = parse("a:\n  b: 1\n  s: \"x: y\"\n  l: [1, {k: v}]\n"
	    "  e: {}\n  n: null\n", &e);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	cfgtree_print(f, r);
	fclose(f);
	assert_string_equal(buf, "a:\n  b: 1\n  s: \"x: y\"\n  l:\n    - 1\n"
	    "    -\n      k: v\n  e: {}\n  n: null\n");
	/* What it prints parses back to the same tree. */
	struct cnode *again = parse(buf, &e);
	assert_non_null(again);
	assert_string_equal(val(again, "a.s"), "x: y");
	assert_string_equal(val(again, "a.l.1.k"), "v");
	cfgtree_free(again);
	cfgtree_free(r);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfgtree_parse_types),
		cmocka_unit_test(test_cfgtree_parse_errors),
		cmocka_unit_test(test_cfgtree_interpolation),
		cmocka_unit_test(test_cfgtree_interpolation_errors),
		cmocka_unit_test(test_cfgtree_merge),
		cmocka_unit_test(test_cfgtree_overrides),
		cmocka_unit_test(test_cfgtree_compose),
		cmocka_unit_test(test_cfgtree_print),
	};
	return cmocka_run_group_tests_name("cfgtree", tests, NULL, NULL);
}
