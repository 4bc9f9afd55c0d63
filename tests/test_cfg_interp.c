/*
 * test_cfg_interp.c: OmegaConf interpolation, resolved into a new tree.
 *
 * Every expected value below is what Debian 12's python3-omegaconf
 * 2.2.2 gives for the same YAML through OmegaConf.to_container(cfg,
 * resolve=True) (checked with /usr/bin/python3 when written).
 */
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

/* text resolved (all_strict unless told), the tree; NULL on error. */
static struct cfg_node *
resolved(const char *text, bool strict, struct cfg_errors *e,
    struct cfg_errors *w)
{
	struct cfg_resolve_opts o = { .all_strict = strict };
	struct cfg_node *r = parse(text, e), *out;

	assert_non_null(r);
	out = cfg_resolve(r, &o, e, w);
	cfg_free(r);
	return out;
}

static void
test_cfg_interp_resolves(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_node *r;

	(void)state;
	setenv("HYCO_TEST_ENV", "from-env", 1);
	unsetenv("HYCO_TEST_UNSET");
	r = resolved("paths:\n  root: /r\n  a: ${paths.root}/a\n"
	    "  b: ${paths.a}/b-${data.n}-${data.n}\n"
	    "data:\n  n: 7\n  which: root\n  env: ${oc.env:HYCO_TEST_ENV}\n"
	    "  def: ${oc.env:HYCO_TEST_UNSET,fallback}\n"
	    "  nested: ${paths.${data.which}}\n  rel: x${.n}\n"
	    "  up: ${..paths.root}\n  num: ${data.n}\n"
	    "  esc: \\${not.interp}\n  none: ~\n  withnone: a${data.none}\n",
	    true, &e, &w);
	assert_non_null(r);
	assert_int_equal(e.count + w.count, 0);
	assert_string_equal(val(r, "paths.a"), "/r/a");
	assert_string_equal(val(r, "paths.b"), "/r/a/b-7-7");
	assert_string_equal(val(r, "data.env"), "from-env");
	assert_string_equal(val(r, "data.def"), "fallback");
	assert_string_equal(val(r, "data.nested"), "/r");
	assert_string_equal(val(r, "data.rel"), "x7");
	assert_string_equal(val(r, "data.up"), "/r");
	/* A lone interpolation keeps the target's type. */
	assert_string_equal(val(r, "data.num"), "7");
	assert_int_equal(cfg_get(r, "data.num")->vtype, CFG_TYPE_INT);
	assert_string_equal(val(r, "data.esc"), "${not.interp}");
	assert_string_equal(val(r, "data.withnone"), "aNone");
	cfg_free(r);
}

/* s, resolved next to base: its type and text as hycod keeps them. */
static const struct {
	const char	*base, *s;
	enum cfg_type	 type;
	const char	*want;
} values[] = {
	/* An interpolation in a longer string is Python's str(). */
	{ "a: 0x1f", "x${a}", CFG_TYPE_STR, "x31" },
	{ "a: 017", "x${a}", CFG_TYPE_STR, "x15" },
	{ "a: 0b101", "x${a}", CFG_TYPE_STR, "x5" },
	{ "a: 12:30", "x${a}", CFG_TYPE_STR, "x750" },
	{ "a: 1_000", "x${a}", CFG_TYPE_STR, "x1000" },
	{ "a: -0", "x${a}", CFG_TYPE_STR, "x0" },
	{ "a: +7", "x${a}", CFG_TYPE_STR, "x7" },
	{ "a: 0xffffffffffffffffff", "x${a}", CFG_TYPE_STR,
	  "x4722366482869645213695" },
	{ "a: yes", "x${a}", CFG_TYPE_STR, "xTrue" },
	{ "a: Off", "x${a}", CFG_TYPE_STR, "xFalse" },
	{ "a: ~", "x${a}", CFG_TYPE_STR, "xNone" },
	{ "a: 1e3", "x${a}", CFG_TYPE_STR, "x1000.0" },
	{ "a: 1.5e-4", "x${a}", CFG_TYPE_STR, "x0.00015" },
	{ "a: .5", "x${a}", CFG_TYPE_STR, "x0.5" },
	{ "a: 1.", "x${a}", CFG_TYPE_STR, "x1.0" },
	{ "a: 2.50", "x${a}", CFG_TYPE_STR, "x2.5" },
	{ "a: -.inf", "x${a}", CFG_TYPE_STR, "x-inf" },
	{ "a: .NaN", "x${a}", CFG_TYPE_STR, "xnan" },
	{ "a: 1e16", "x${a}", CFG_TYPE_STR, "x1e+16" },
	{ "a: 1e15", "x${a}", CFG_TYPE_STR, "x1000000000000000.0" },
	{ "a: 12:30.5", "x${a}", CFG_TYPE_STR, "x750.5" },
	{ "a: 1e400", "x${a}", CFG_TYPE_STR, "xinf" },
	{ "a: -0.0", "x${a}", CFG_TYPE_STR, "x-0.0" },
	{ "a: 0.1", "x${a}", CFG_TYPE_STR, "x0.1" },
	/* A map or list: repr() of its content as loaded. */
	{ "x: 9\na: {b: 1, c: '${x}', d: [1, 'q', null, 1.5, \"it's\"], "
	  "1: 2, e: '?\?\?'}", "x${a}", CFG_TYPE_STR,
	  "x{'b': 1, 'c': '${x}', 'd': [1, 'q', None, 1.5, \"it's\"], 1: 2, "
	  "'e': '?\?\?'}" },
	{ "a: []", "x${a}", CFG_TYPE_STR, "x[]" },
	{ "a: {}", "x${a}", CFG_TYPE_STR, "x{}" },
	/* Escapes. */
	{ "a: 1", "\\${a}", CFG_TYPE_STR, "${a}" },
	{ "a: 1", "\\\\${a}", CFG_TYPE_STR, "\\1" },
	{ "a: 1", "\\\\\\${a}", CFG_TYPE_STR, "\\${a}" },
	{ "a: 1", "a\\b${a}", CFG_TYPE_STR, "a\\b1" },
	{ "a: 1", "${a}\\", CFG_TYPE_STR, "1\\" },
	{ "a: 1", "$${a}", CFG_TYPE_STR, "$1" },
	{ "a: 1", "$ {a}", CFG_TYPE_STR, "$ {a}" },
	{ "a: 1", "{${a}}", CFG_TYPE_STR, "{1}" },
	{ "a: 1", "${a}\\\\", CFG_TYPE_STR, "1\\\\" },
	/* Keys: brackets, blanks, list indexes as int() reads them. */
	{ "a: {b: 7}", "${a[b]}", CFG_TYPE_INT, "7" },
	{ "a: {b: 7}", "${ a.b }", CFG_TYPE_INT, "7" },
	{ "a: [5, 6]", "${a.01}", CFG_TYPE_INT, "6" },
	{ "a: [5, 6]", "${a[1]}", CFG_TYPE_INT, "6" },
	{ "a: [5, 6]", "${a.+1}", CFG_TYPE_INT, "6" },
	{ "a: {b: {c: 3}}\nd: ${a.b}", "${d.c}", CFG_TYPE_INT, "3" },
	/* oc.env: its default is str() of a value the grammar typed. */
	{ "a: 1", "${oc.env:HYCO_TEST_ENV}", CFG_TYPE_STR, "from-env" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,1.5e-4}", CFG_TYPE_STR,
	  "0.00015" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,1e3}", CFG_TYPE_STR, "1000.0" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,true}", CFG_TYPE_STR, "True" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,yes}", CFG_TYPE_STR, "yes" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,0x1f}", CFG_TYPE_STR, "0x1f" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,1_000}", CFG_TYPE_STR, "1000" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,'a,b'}", CFG_TYPE_STR, "a,b" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,\\,x}", CFG_TYPE_STR, ",x" },
	{ "a: 1", "x${oc.env:HYCO_TEST_UNSET,null}", CFG_TYPE_STR, "xNone" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,null}", CFG_TYPE_NULL, NULL },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET,[1, 2]}", CFG_TYPE_STR, "[1, 2]" },
	{ "a: 1", "${oc.env:HYCO_TEST_UNSET, a b }", CFG_TYPE_STR, "a b" },
	/* oc.select and oc.decode keep their value's type. */
	{ "a: 1", "${oc.select:a}", CFG_TYPE_INT, "1" },
	{ "a: 1", "${oc.select:zz,5}", CFG_TYPE_INT, "5" },
	{ "a: 1", "${oc.select:zz}", CFG_TYPE_NULL, NULL },
	{ "a: 1", "${oc.decode:'1e3'}", CFG_TYPE_FLOAT, "1000.0" },
	{ "a: 1", "${oc.decode:null}", CFG_TYPE_NULL, NULL },
};

static void
test_cfg_interp_values(void **state)
{
	(void)state;
	setenv("HYCO_TEST_ENV", "from-env", 1);
	unsetenv("HYCO_TEST_UNSET");
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct cfg_errors e = { 0 }, w = { 0 };
		struct cfg_sbuf doc = { 0 }, q = { 0 };
		struct cfg_node *r, *s;
		/* The string double-quoted, as YAML reads it back. */
		for (const char *c = values[i].s; *c; c++)
			cfg__sbuf_add(&q, *c == '\\' ? "\\\\" : c,
			    *c == '\\' ? 2 : 1);
		cfg__sbuf_str(&doc, values[i].base);
		cfg__sbuf_str(&doc, "\ns: \"");
		cfg__sbuf_str(&doc, q.s);
		cfg__sbuf_str(&doc, "\"\n");
		r = resolved(doc.s, true, &e, &w);
		if (r == NULL)
			fail_msg("%s: %s", doc.s, first_error(&e));
		s = cfg_get(r, "s");
		if (s->vtype != values[i].type || (values[i].want == NULL ?
		    s->value != NULL : s->value == NULL ||
		    strcmp(s->value, values[i].want) != 0))
			fail_msg("%s: got %d '%s', want %d '%s'", doc.s, s->vtype,
			    s->value ? s->value : "(null)", values[i].type,
			    values[i].want ? values[i].want : "(null)");
		cfg_free(r);
		free(doc.s);
		free(q.s);
	}
}

/* A map named whole is converted in its own place. */
static void
test_cfg_interp_containers(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_node *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	r = resolved("m:\n  x: 1\n  y: ${.x}\n  l: [a, '${..x}']\n"
	    "c: ${m}\nd: \"${oc.decode:'[1, {k: true}]'}\"\n", true, &e, &w);
	assert_non_null(r);
	f = open_memstream(&buf, &len);
	assert_int_equal(cfg_print(f, r, &e), 0);
	fclose(f);
	assert_string_equal(buf, "m:\n  x: 1\n  y: 1\n  l:\n  - a\n  - 1\n"
	    "c:\n  x: 1\n  y: 1\n  l:\n  - a\n  - 1\n"
	    "d:\n- 1\n- k: true\n");
	free(buf);
	cfg_free(r);
}

static void
test_cfg_interp_errors(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };

	(void)state;
	assert_null(resolved("a:\n  x: ${a.y}\n  y: ${b.missing}\n", true, &e,
	    &w));
	/* The chain is named: a.x needs a.y which needs b.missing. */
	assert_string_equal(first_error(&e), "t.yaml:2: a.x: interpolation key "
	    "'b.missing' not found (via a.x -> a.y, t.yaml:3)");
	assert_int_equal(e.count, 1);	/* no cascade for a.y itself */
	cfg_errors_clear(&e);

	/* A character the grammar refuses is named whole, not a byte. */
	assert_null(resolved("a: '${oc.env:NOPE,\xc3\xa9}'\n", true, &e, &w));
	assert_non_null(strstr(first_error(&e), "token recognition error at: "
	    "'\xc3\xa9'"));
	cfg_errors_clear(&e);

	assert_null(resolved("a: ${b}\nb: ${c}\nc: ${a}\n", true, &e, &w));
	assert_string_equal(first_error(&e),
	    "t.yaml:1: a: interpolation cycle: a -> b -> c -> a");
	assert_int_equal(e.count, 1);
	cfg_errors_clear(&e);

	/* What OmegaConf refuses too, each an error of its own. */
	static const char *const refused[] = {
		"a: ${oc.env:HYCO_TEST_UNSET}",	/* unset, no default */
		"a: ${zz}",			/* missing key */
		"a: 5\nb: ${a.c}",		/* through a value */
		"a: ?\?\?\nb: ${a}",		/* to a ??? */
		"a: [1]\nb: ${a.x}",		/* index not an int */
		"a: {b: '${a}'}",		/* to its own map */
		"a:\n  b: x${a}",
		"a: ${unterminated",		/* grammar, used or not */
		"a: ${}", "a: ${t a}", "a: ${.}", "a: x${", "a: ${oc.env:}",
		"a: {b: 1}\nc: ${a.${a}}",	/* nested key not a string */
		"a: ${oc.decode:'{x}'}",
		"a: ${now:5}",
		"m: {x: '${n}'}\nn: {y: '${m}'}",	/* infinite */
	};
	unsetenv("HYCO_TEST_UNSET");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (resolved(refused[i], true, &e, &w) != NULL)
			fail_msg("accepted: %s", refused[i]);
		if (e.count < 1)
			fail_msg("no error: %s", refused[i]);
		cfg_errors_clear(&e);
		cfg_errors_clear(&w);
	}
}

/* Maps copied through ${...} nest no deeper than the C stack allows. */
static void
test_cfg_interp_deep(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_sbuf doc = { 0 };
	char line[64];

	(void)state;
	for (int i = 0; i < 400; i++) {
		snprintf(line, sizeof(line), "m%d: {n: '${m%d}'}\n", i, i + 1);
		cfg__sbuf_str(&doc, line);
	}
	cfg__sbuf_str(&doc, "m400: 1\n");
	assert_null(resolved(doc.s, true, &e, &w));
	assert_non_null(strstr(first_error(&e), "maps and lists nested too "
	    "deep through interpolations"));
	cfg_errors_clear(&e);
	free(doc.s);
}

/*
 * Keys named by interpolations nested 60 deep: each level is read once
 * (the grammar read a nested ${ once as a resolver's name and again as
 * a key: 2^60 steps), and the value is the one OmegaConf gives.
 */
static void
test_cfg_interp_nested_keys(void **state)
{
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_sbuf doc = { 0 };
	struct cfg_node *r;
	char line[64];

	(void)state;
	for (int i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "k%d: k%d\n", i, i + 1);
		cfg__sbuf_str(&doc, line);
	}
	cfg__sbuf_str(&doc, "k60: end\nv: ");
	for (int i = 0; i < 60; i++)
		cfg__sbuf_str(&doc, "${");
	cfg__sbuf_str(&doc, "k0");
	for (int i = 0; i < 60; i++)
		cfg__sbuf_str(&doc, "}");
	cfg__sbuf_str(&doc, "\nbad: ");
	for (int i = 0; i < 60; i++)
		cfg__sbuf_str(&doc, "${k0.");
	cfg__sbuf_str(&doc, "\n");
	r = resolved(doc.s, false, &e, &w);
	assert_non_null(r);
	assert_string_equal(val(r, "v"), "k60");
	/* Unclosed: a warning (not a strict key), its text kept. */
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.msg[0], "bad"));
	cfg_free(r);
	cfg_errors_clear(&e);
	cfg_errors_clear(&w);
	free(doc.s);
}

/*
 * Only the strict keys must resolve; elsewhere a failure is a warning
 * and the value stays as written, as does one that needs a resolver
 * hycod does not know.
 */
static void
test_cfg_interp_strictness(void **state)
{
	static const char *const strict[] = { "d.k" };
	struct cfg_resolve_opts o = { .strict = strict, .nstrict = 1 };
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_node *r, *out;

	(void)state;
	r = parse("t:\n  a: ${zz}\n  h: ${hydra:runtime.cwd}/x\n"
	    "  u: ${t.h}\nd:\n  k: ok\n", &e);
	out = cfg_resolve(r, &o, &e, &w);
	assert_non_null(out);
	assert_int_equal(e.count, 0);
	assert_int_equal(w.count, 3);
	assert_string_equal(w.msg[0], "t.yaml:2: t.a: interpolation key 'zz' "
	    "not found");
	assert_string_equal(w.msg[1], "t.yaml:3: t.h: left unresolved: "
	    "resolver hydra is Hydra's: known only inside a running Hydra app");
	assert_string_equal(w.msg[2], "t.yaml:4: t.u: left unresolved: "
	    "resolver hydra is Hydra's: known only inside a running Hydra app "
	    "(via t.u -> t.h, t.yaml:3)");
	assert_string_equal(val(out, "t.u"), "${t.h}");
	assert_true(cfg_get(out, "t.u")->unresolved);
	assert_false(cfg_get(out, "d.k")->unresolved);
	cfg_free(out);
	cfg_errors_clear(&w);

	/* With all_strict the missing key is an error, the rest warnings. */
	o.all_strict = true;
	assert_null(cfg_resolve(r, &o, &e, &w));
	assert_int_equal(e.count, 1);
	assert_int_equal(w.count, 2);
	cfg_errors_clear(&e);
	cfg_errors_clear(&w);
	cfg_free(r);

	/* In a strict key, or the map above it, the unknown is an error. */
	o.all_strict = false;
	r = parse("d:\n  k: ${hydra:x}\n", &e);
	assert_null(cfg_resolve(r, &o, &e, &w));
	assert_string_equal(first_error(&e), "t.yaml:2: d.k: cannot resolve: "
	    "resolver hydra is Hydra's: known only inside a running Hydra app");
	cfg_errors_clear(&e);
	cfg_free(r);
	r = parse("x: {k: 1}\nd: ${x}\ny: ${oc.nope:1}\n", &e);
	assert_non_null(out = cfg_resolve(r, &o, &e, &w));
	assert_string_equal(val(out, "d.k"), "1");
	assert_string_equal(w.msg[0], "t.yaml:3: y: left unresolved: resolver "
	    "oc.nope is neither OmegaConf's nor Hydra's (one the trainer "
	    "registers?)");
	cfg_errors_clear(&w);
	cfg_free(out);
	cfg_free(r);
}

/* Hydra's now: strftime of one instant, %f, %z and %Z as Python's. */
static void
test_cfg_interp_now(void **state)
{
	struct cfg_resolve_opts o = { .now = 86400 * 365 };
	struct cfg_errors e = { 0 }, w = { 0 };
	struct cfg_node *r, *out;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	r = parse("a: ${now:%Y-%m-%d %H:%M:%S}\nb: x_${now:%Y}\n"
	    "c: '${now:%f|%z|%Z|%%}'\n", &e);
	assert_non_null(out = cfg_resolve(r, &o, &e, &w));
	assert_string_equal(val(out, "a"), "1971-01-01 00:00:00");
	assert_string_equal(val(out, "b"), "x_1971");
	assert_string_equal(val(out, "c"), "000000|||%");
	cfg_free(out);
	cfg_free(r);
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_interp_resolves),
		cmocka_unit_test(test_cfg_interp_values),
		cmocka_unit_test(test_cfg_interp_containers),
		cmocka_unit_test(test_cfg_interp_errors),
		cmocka_unit_test(test_cfg_interp_deep),
		cmocka_unit_test(test_cfg_interp_nested_keys),
		cmocka_unit_test(test_cfg_interp_strictness),
		cmocka_unit_test(test_cfg_interp_now),
	};
	return cmocka_run_group_tests_name("cfg_interp", tests, NULL, NULL);
}
