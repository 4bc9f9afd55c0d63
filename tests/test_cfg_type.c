/* test_cfg_type.c: scalars typed as YAML 1.1 (PyYAML) types them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"
#include "test_cfg_util.h"

/* The type of "v: TEXT" once parsed. */
static enum cfg_type
type_of(const char *text)
{
	struct cfg_errors e = { 0 };
	char doc[256];
	struct cfg_node *r;
	enum cfg_type t;

	snprintf(doc, sizeof(doc), "v: %s\n", text);
	r = parse(doc, &e);
	assert_non_null(r);
	t = cfg_scalar_type(cfg_get(r, "v"));
	cfg_free(r);
	return t;
}

/*
 * Each text as OmegaConf's loader types it (checked against it): PyYAML
 * 6.0's safe_load with OmegaConf's float (1e3) and no dates.
 */
static const struct {
	const char	*text;
	enum cfg_type	 type;
} cases[] = {
	{ "~", CFG_TYPE_NULL }, { "null", CFG_TYPE_NULL },
	{ "Null", CFG_TYPE_NULL }, { "NULL", CFG_TYPE_NULL },
	{ "", CFG_TYPE_NULL }, { "nULL", CFG_TYPE_STR },
	{ "yes", CFG_TYPE_BOOL }, { "No", CFG_TYPE_BOOL },
	{ "ON", CFG_TYPE_BOOL }, { "off", CFG_TYPE_BOOL },
	{ "True", CFG_TYPE_BOOL }, { "FALSE", CFG_TYPE_BOOL },
	{ "y", CFG_TYPE_STR }, { "n", CFG_TYPE_STR }, { "yEs", CFG_TYPE_STR },
	{ "0", CFG_TYPE_INT }, { "-17", CFG_TYPE_INT }, { "+3", CFG_TYPE_INT },
	{ "1_000", CFG_TYPE_INT }, { "0660", CFG_TYPE_INT },
	{ "0b1010", CFG_TYPE_INT }, { "0x1F", CFG_TYPE_INT },
	{ "1:30", CFG_TYPE_INT }, { "12:30:00", CFG_TYPE_INT },
	{ "0999", CFG_TYPE_STR }, { "0o17", CFG_TYPE_STR },
	{ "1.5", CFG_TYPE_FLOAT }, { "2.", CFG_TYPE_FLOAT },
	{ ".5", CFG_TYPE_FLOAT }, { "-1.5e+3", CFG_TYPE_FLOAT },
	{ "1:30.5", CFG_TYPE_FLOAT }, { ".inf", CFG_TYPE_FLOAT },
	{ "-.Inf", CFG_TYPE_FLOAT }, { ".NaN", CFG_TYPE_FLOAT },
	{ "1e3", CFG_TYPE_FLOAT }, { "1.5e3", CFG_TYPE_FLOAT },
	{ "inf", CFG_TYPE_STR }, { "-.nan", CFG_TYPE_STR },
	{ "2001-01-01", CFG_TYPE_STR }, { "5%", CFG_TYPE_STR },
	{ "20G", CFG_TYPE_STR }, { "/mnt/ssd", CFG_TYPE_STR },
	{ "\"1\"", CFG_TYPE_STR }, { "'yes'", CFG_TYPE_STR },
	{ "\"\"", CFG_TYPE_STR }, { "!!str 1", CFG_TYPE_STR },
	{ "'~'", CFG_TYPE_STR },
};

static void
test_cfg_type_yaml11(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cfg_type t = type_of(cases[i].text);
		if (t != cases[i].type)
			fail_msg("'%s': type %d, want %d", cases[i].text, t,
			    cases[i].type);
	}
}

static struct cfg_value
value_of(const char *text, int want_rc)
{
	struct cfg_errors e = { 0 };
	struct cfg_value v;
	char doc[256];
	struct cfg_node *r;

	snprintf(doc, sizeof(doc), "v: %s\n", text);
	r = parse(doc, &e);
	assert_non_null(r);
	assert_int_equal(cfg_scalar_value(cfg_get(r, "v"), &v), want_rc);
	v.s = NULL;	/* freed with the tree */
	cfg_free(r);
	return v;
}

static void
test_cfg_type_values(void **state)
{
	(void)state;
	assert_true(value_of("yes", 0).b);
	assert_true(value_of("On", 0).b);
	assert_true(value_of("TRUE", 0).b);
	assert_false(value_of("off", 0).b);
	assert_false(value_of("No", 0).b);
	assert_int_equal(value_of("0660", 0).i, 0660);
	assert_int_equal(value_of("-0b101", 0).i, -5);
	assert_int_equal(value_of("0x1_F", 0).i, 31);
	assert_int_equal(value_of("1_000", 0).i, 1000);
	assert_int_equal(value_of("-1:30", 0).i, -90);
	assert_int_equal(value_of("190:20:30", 0).i, 685230);
	assert_true(value_of("-9223372036854775808", 0).i == LLONG_MIN);
	errno = 0;
	assert_int_equal(value_of("9223372036854775808", -1).type,
	    CFG_TYPE_INT);
	assert_int_equal(errno, ERANGE);
	assert_true(value_of("1.5", 0).f == 1.5);
	assert_true(value_of("-1_0.5e+1", 0).f == -105.0);
	assert_true(value_of("1:30.5", 0).f == 90.5);
	assert_true(isinf(value_of("-.inf", 0).f));
	assert_true(value_of("-.inf", 0).f < 0);
	assert_true(isnan(value_of(".nan", 0).f));
	assert_int_equal(value_of("~", 0).type, CFG_TYPE_NULL);
	assert_int_equal(value_of("'12'", 0).type, CFG_TYPE_STR);

	/* A mapping is no scalar. */
	struct cfg_errors e = { 0 };
	struct cfg_value v;
	struct cfg_node *r = parse("m: {a: 1}\n", &e);
	errno = 0;
	assert_int_equal(cfg_scalar_value(cfg_get(r, "m"), &v), -1);
	assert_int_equal(errno, EINVAL);
	cfg_free(r);
}

static void
test_cfg_type_ambiguous(void **state)
{
	static const char *const quote[] = {
		"", "~", "null", "yes", "Off", "y", "N", "0", "0660", "0999",
		"-1", "1_000", "0x1F", "0o17", "1:30", "1.5", ".5", "1e3",
		"-1E-3", ".inf", "-.nan", ".NaN", "2001-01-01",
		"2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10",
		"<<", "=",
	};
	static const char *const plain[] = {
		"cache", "5%", "20G", "/mnt/ssd/cache", "burgers_128", "1.2.3",
		"v1", "0x", "e3", "inf", "nan", "2001-1-1", "info", "a b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(quote) / sizeof(quote[0]); i++)
		if (!cfg__ambiguous(quote[i]))
			fail_msg("'%s' should need quotes", quote[i]);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (cfg__ambiguous(plain[i]))
			fail_msg("'%s' should not need quotes", plain[i]);
}

/* text parsed, then printed: what OmegaConf's loader makes of it. */
static char *
loaded(const char *text, struct cfg_errors *e)
{
	struct cfg_node *r = parse(text, e);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (r == NULL)
		return NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(cfg_print(f, r, e), 0);
	fclose(f);
	cfg_free(r);
	return buf;
}

/*
 * Tags, merge keys and keys as OmegaConf.load has them; each printed
 * tree reads back (OmegaConf's loader) as what OmegaConf.to_container
 * gives for the text, and each refused text is one OmegaConf refuses.
 */
static void
test_cfg_type_loader(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a: !!int \"7\"", "a: 7\n" },
		{ "a: !!float \"1\"", "a: 1.0\n" },
		{ "a: !!bool \"yes\"", "a: yes\n" },
		{ "a: !!null ''", "a: null\n" },
		{ "a: !!str 5", "a: '5'\n" },
		{ "a: !!int 0x1f", "a: 0x1f\n" },
		{ "a: !!float 1e3", "a: 1e3\n" },
		{ "a: !!int '0o17'", "a: 15\n" },
		{ "a: ! x", "a: x\n" },
		{ "a: !!str", "a: ''\n" },
		{ "a: !!bool 'True'", "a: True\n" },
		/* Keys typed as values are; equal ones as Python's dict has. */
		{ "1: a\n'1': b\n2.5: c\ntrue: d\n0x10: e",
		  "1: d\n'1': b\n2.5: c\n16: e\n" },
		{ "1: a\n1.0: b", "1: b\n" },
		{ "true: a\n1: b", "true: b\n" },
		{ ".inf: a\n-.inf: b\n.nan: c\n.nan: d",
		  ".inf: a\n-.inf: b\n.nan: c\n.nan: d\n" },
		/* << merge keys: own keys win; the first of a list wins. */
		{ "x: &A {b: 1, e: 0}\ny: &B {b: 5, g: 6}\n"
		  "c: {<<: [*A, *B], d: 3}",
		  "x:\n  b: 1\n  e: 0\ny:\n  b: 5\n  g: 6\n"
		  "c:\n  b: 1\n  g: 6\n  e: 0\n  d: 3\n" },
		{ "x: &A {b: 1}\nc: {b: 2, <<: *A, d: 3}",
		  "x:\n  b: 1\nc:\n  b: 2\n  d: 3\n" },
		{ "'=': 1\n=: 2", "'=': 2\n" },
		{ "'<<': 1", "'<<': 1\n" },
	};
	static const char *const refused[] = {
		"a: 0b_", "a: 0x_", "a: -0x_", "a: ._", "a: ._e+1", "a: =",
		"a: <<", "<<: 1", "a: 1\n'a': 2", "!!str 1: a\n'1': b", "~: 1",
		"a: !!binary aGVsbG8=", "a: !foo x", "a: !!set {a}",
		"a: !!timestamp 2001-01-01", "a: !!int abc", "a: !!bool maybe",
		"a: !!str {b: 1}", "a: !!omap [a: 1]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_errors e = { 0 };
		char *out = loaded(cases[i].in, &e);
		if (out == NULL)
			fail_msg("'%s': %s", cases[i].in, first_error(&e));
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("'%s': got\n%s", cases[i].in, out);
		free(out);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct cfg_errors e = { 0 };
		char *out = loaded(refused[i], &e);
		if (out != NULL)
			fail_msg("'%s': accepted as\n%s", refused[i], out);
		/* Each names the file and line. */
		assert_non_null(strstr(first_error(&e), "t.yaml:"));
		cfg_errors_clear(&e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_type_yaml11),
		cmocka_unit_test(test_cfg_type_values),
		cmocka_unit_test(test_cfg_type_ambiguous),
		cmocka_unit_test(test_cfg_type_loader),
	};
	return cmocka_run_group_tests_name("cfg_type", tests, NULL, NULL);
}
