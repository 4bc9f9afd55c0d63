/* test_cfg_tree.c: YAML parsing, merge, lookup and printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
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
	assert_int_equal(cfg_get(r, "a.b")->vtype, CFG_TYPE_INT);
	assert_int_equal(cfg_get(r, "a.c")->vtype, CFG_TYPE_STR);
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

	/*
	 * As OmegaConf.merge: a ??? replaces nothing (a value nor a map)
	 * but is taken where nothing was; null replaces a map; keys meet
	 * as Python's dict keys (1 and 1.0), a string "1" is another.
	 */
	a = parse("v: 1\nm: {k: 1}\nn: {k: 1}\n1: a\n", &e);
	b = parse("v: ?\?\?\nm: ?\?\?\nn: null\nw: ?\?\?\n1.0: b\n'1': c\n", &e);
	cfg_merge(a, b);
	assert_string_equal(val(a, "v"), "1");
	assert_string_equal(val(a, "m.k"), "1");
	assert_int_equal(cfg_get(a, "n")->vtype, CFG_TYPE_NULL);
	assert_string_equal(val(a, "w"), "?\?\?");
	assert_string_equal(cfg__map_find(a, CFG_TYPE_INT, "1")->value, "b");
	assert_string_equal(val(a, "1"), "c");
	cfg_free(a);
}

static void
test_cfg_tree_set(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: 1\nl: [x]\n", &e);

	(void)state;
	assert_int_equal(cfg_set(r, "a.b", "2", false, "d", 0), 0);
	assert_string_equal(val(r, "a.b"), "2");
	assert_string_equal(cfg_get(r, "a.b")->file, "d");
	assert_int_equal(cfg_set(r, "n.m.k", "0660", true, "d", 7), 0);
	assert_int_equal(cfg_get(r, "n.m.k")->vtype, CFG_TYPE_STR);
	assert_int_equal(cfg_get(r, "n.m")->line, 7);
	assert_int_equal(cfg_set(r, "a.z", NULL, true, "d", 0), 0);
	assert_null(cfg_get(r, "a.z")->value);
	assert_int_equal(cfg_get(r, "a.z")->vtype, CFG_TYPE_NULL);
	/* Order: new keys go last. */
	assert_string_equal(r->child->next->next->key, "n");
	/* No way through a scalar, nor a key in a list. */
	assert_int_equal(cfg_set(r, "a.b.c", "1", false, "d", 0), -1);
	assert_int_equal(cfg_set(r, "l.0", "y", false, "d", 0), -1);
	assert_string_equal(val(r, "l.0"), "x");
	cfg_free(r);
}

static void
test_cfg_tree_aliases(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r;

	(void)state;
	/* Each alias is a copy of its own: changing one leaves the rest. */
	r = parse("base: &b {x: 1, l: [a, b]}\none: *b\ntwo: *b\n"
	    "s: &s text\nt: *s\n", &e);
	assert_non_null(r);
	assert_string_equal(val(r, "two.l.1"), "b");
	assert_string_equal(val(r, "t"), "text");
	assert_int_equal(cfg_get(r, "two")->line, 3);
	cfg_merge(cfg_get(r, "one"), parse("x: 2\n", &e));
	assert_string_equal(val(r, "one.x"), "2");
	assert_string_equal(val(r, "two.x"), "1");
	assert_string_equal(val(r, "base.x"), "1");
	cfg_free(r);
	/* A later anchor of the same name wins from there on. */
	r = parse("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", &e);
	assert_string_equal(val(r, "b"), "1");
	assert_string_equal(val(r, "d"), "2");
	cfg_free(r);
	assert_int_equal(e.count, 0);
}

/* "name: &name [*prev x 10]" levels deep, over an anchor of 10 scalars. */
static char *
laughs(int levels)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);

	fprintf(f, "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (int i = 1; i <= levels; i++) {
		fprintf(f, "l%d: &l%d [", i, i);
		for (int j = 0; j < 10; j++)
			fprintf(f, "%s*l%d", j ? ", " : "", i - 1);
		fprintf(f, "]\n");
	}
	fclose(f);
	return doc;
}

static void
test_cfg_tree_alias_budget(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r;
	char *doc;

	(void)state;
	/* 110 + 1110 nodes copied: within the budget. */
	doc = laughs(2);
	assert_non_null(r = parse(doc, &e));
	assert_string_equal(val(r, "l2.9.9.9"), "a");
	cfg_free(r);
	free(doc);
	/* 10^9 nodes: refused at the first alias over 10000, on line 4. */
	doc = laughs(9);
	assert_null(parse(doc, &e));
	assert_int_equal(e.count, 1);
	assert_string_equal(first_error(&e), "t.yaml:4: aliases expand to "
	    "more than 10000 nodes");
	cfg_errors_clear(&e);
	free(doc);
}

/* A map holding a list nested so that the tree is depth levels deep. */
static char *
nested(int depth, int line)
{
	char *doc = calloc(1, (size_t)(2 * depth + line + 8));
	size_t o = 0;

	for (int i = 1; i < line; i++)
		doc[o++] = '\n';
	o += (size_t)sprintf(doc + o, "k: ");
	for (int i = 1; i < depth; i++)
		doc[o++] = '[';
	for (int i = 1; i < depth; i++)
		doc[o++] = ']';
	doc[o++] = '\n';
	return doc;
}

static void
test_cfg_tree_depth_limit(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r;
	char *doc, key[256];

	(void)state;
	doc = nested(CFG_MAX_DEPTH, 1);
	assert_non_null(r = parse(doc, &e));
	free(doc);
	/* Key paths have no depth limit of their own. */
	struct cfg_node *n = r;
	while (n->child != NULL)
		n = n->child;
	cfg_keypath(n, key, sizeof(key));
	assert_string_equal(key, "k.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0");
	cfg_keypath(n, key, 8);
	assert_string_equal(key, "k.0.0.0");
	cfg_free(r);

	doc = nested(CFG_MAX_DEPTH + 1, 3);
	assert_null(parse(doc, &e));
	assert_int_equal(e.count, 1);
	assert_string_equal(first_error(&e), "t.yaml:3: nested deeper than 64 "
	    "levels");
	cfg_errors_clear(&e);
	free(doc);

	/* Far deeper than the stack would take, were it recursed. */
	doc = nested(1000000, 1);
	assert_null(parse(doc, &e));
	assert_non_null(strstr(first_error(&e), "nested deeper than 64"));
	cfg_errors_clear(&e);
	free(doc);
}

/* What cfg_print writes for tree, or NULL; e has its errors. */
static char *
printed(const struct cfg_node *tree, struct cfg_errors *e, int want_rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(cfg_print(f, tree, e), want_rc);
	fclose(f);
	return buf;
}

static void
test_cfg_tree_print(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: 1\n  s: \"x: y\"\n  l: [1, {k: v}]\n"
	    "  e: {}\n  n: null\n", &e);
	char *buf;

	(void)state;
	buf = printed(r, &e, 0);
	/* libyaml's block style, as PyYAML and OmegaConf.to_yaml write. */
	assert_string_equal(buf, "a:\n  b: 1\n  s: 'x: y'\n  l:\n  - 1\n"
	    "  - k: v\n  e: {}\n  n: null\n");
	/* What it prints parses back to the same tree. */
	struct cfg_node *again = parse(buf, &e);
	assert_non_null(again);
	assert_string_equal(val(again, "a.s"), "x: y");
	assert_string_equal(val(again, "a.l.1.k"), "v");
	cfg_free(again);
	cfg_free(r);
	free(buf);

	r = parse("{}", &e);
	buf = printed(r, &e, 0);
	assert_string_equal(buf, "{}\n");
	cfg_free(r);
	free(buf);
}

static void
test_cfg_tree_print_quotes_only_what_needs_it(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("q:\n"
	    "  s1: \"yes\"\n  s2: \"0660\"\n  s3: \"1e3\"\n  s4: \"2001-01-01\"\n"
	    "  s5: \"~\"\n  s6: \"\"\n  s7: \"12:30\"\n  s8: \".inf\"\n"
	    "  s9: \"a\\nb\"\n  s10: \"- x\"\n  s11: \"ünï\"\n"
	    "p:\n  yes: yes\n  o: 0660\n  f: 1e3\n  d: 2001-01-01\n"
	    "  s: \"/mnt/ssd cache\"\n  x: \"5%\"\n", &e);
	char *buf;

	(void)state;
	assert_non_null(r);
	buf = printed(r, &e, 0);
	/*
	 * Strings another reader would take for something else are quoted;
	 * plain scalars stay plain, so every reader reads them as it read
	 * the file.
	 */
	assert_string_equal(buf, "q:\n"
	    "  s1: 'yes'\n  s2: '0660'\n  s3: '1e3'\n  s4: '2001-01-01'\n"
	    "  s5: '~'\n  s6: ''\n  s7: '12:30'\n  s8: '.inf'\n"
	    "  s9: \"a\\nb\"\n  s10: '- x'\n  s11: ünï\n"
	    "p:\n  true: yes\n  o: 0660\n  f: 1e3\n  d: 2001-01-01\n"
	    "  s: /mnt/ssd cache\n  x: 5%\n");
	/* Each reads back as the same text and type. */
	struct cfg_node *again = parse(buf, &e);
	static const char *const sections[] = { "q", "p" };
	for (size_t i = 0; i < 2; i++) {
		struct cfg_node *was = cfg_get(r, sections[i]);
		for (const struct cfg_node *c = cfg_get(again,
		    sections[i])->child; c != NULL; c = c->next) {
			struct cfg_node *o = cfg__map_find(was, c->ktype,
			    c->key);
			assert_string_equal(c->value, o->value);
			assert_int_equal(cfg_scalar_type(c), cfg_scalar_type(o));
		}
	}
	assert_int_equal(cfg_scalar_type(cfg_get(again, "q.s2")), CFG_TYPE_STR);
	assert_int_equal(cfg_scalar_type(cfg_get(again, "p.o")), CFG_TYPE_INT);
	cfg_free(again);
	cfg_free(r);
	free(buf);
}

static void
test_cfg_tree_print_refuses_bad_utf8(void **state)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *r = parse("a:\n  b: x\n", &e);
	char *buf;

	(void)state;
	/* As a ${oc.env:...} of a name that is not UTF-8 could leave it. */
	free(cfg_get(r, "a.b")->value);
	cfg_get(r, "a.b")->value = strdup("caf\xe9");
	buf = printed(r, &e, -1);
	assert_int_equal(e.count, 1);
	assert_string_equal(first_error(&e), "t.yaml:2: a.b: cannot print: "
	    "not valid UTF-8");
	cfg_errors_clear(&e);
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
		cmocka_unit_test(test_cfg_tree_set),
		cmocka_unit_test(test_cfg_tree_aliases),
		cmocka_unit_test(test_cfg_tree_alias_budget),
		cmocka_unit_test(test_cfg_tree_depth_limit),
		cmocka_unit_test(test_cfg_tree_print),
		cmocka_unit_test(test_cfg_tree_print_quotes_only_what_needs_it),
		cmocka_unit_test(test_cfg_tree_print_refuses_bad_utf8),
	};
	return cmocka_run_group_tests_name("cfg_tree", tests, NULL, NULL);
}
