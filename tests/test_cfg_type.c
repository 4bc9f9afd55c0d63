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
 * Each text as PyYAML 6.0's safe_load types it (checked against it),
 * but for the date, a string as OmegaConf has it.
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
	{ "1e3", CFG_TYPE_STR }, { "1.5e3", CFG_TYPE_STR },
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_type_yaml11),
		cmocka_unit_test(test_cfg_type_values),
		cmocka_unit_test(test_cfg_type_ambiguous),
	};
	return cmocka_run_group_tests_name("cfg_type", tests, NULL, NULL);
}
