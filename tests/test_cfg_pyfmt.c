/*
 * test_cfg_pyfmt.c: Python's text of values, as OmegaConf's str() gives
 * it: float repr against a table Python wrote, string repr, big ints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

#define FLOAT_TABLE	"tests/config/float_repr.txt"

/* Every line of the table: the bits of a double and Python's repr(). */
static void
test_cfg_pyfmt_float_repr(void **state)
{
	char line[128], want[64], got[CFG_FLOAT_REPR_MAX];
	FILE *f = fopen(FLOAT_TABLE, "r");
	int n = 0, bad = 0;
	uint64_t bits;
	double x;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_int_equal(sscanf(line, "%" SCNx64 " %63s", &bits, want),
		    2);
		memcpy(&x, &bits, sizeof(x));
		cfg__float_repr(x, got, sizeof(got));
		if (strcmp(got, want) != 0 && bad++ < 10)
			print_error("%016" PRIx64 ": got %s, want %s\n", bits,
			    got, want);
		n++;
	}
	fclose(f);
	assert_true(n > 3000);
	assert_int_equal(bad, 0);
}

static void
test_cfg_pyfmt_float_yaml(void **state)
{
	char buf[CFG_FLOAT_REPR_MAX];

	(void)state;
	/* What reads back as the float, in YAML: inf and nan as YAML's. */
	cfg__float_yaml(INFINITY, buf, sizeof(buf));
	assert_string_equal(buf, ".inf");
	cfg__float_yaml(-INFINITY, buf, sizeof(buf));
	assert_string_equal(buf, "-.inf");
	cfg__float_yaml(NAN, buf, sizeof(buf));
	assert_string_equal(buf, ".nan");
	cfg__float_yaml(1e16, buf, sizeof(buf));
	assert_string_equal(buf, "1e+16");
	/* And YAML's floats as PyYAML builds them, base 60 included. */
	assert_true(cfg__float_of("1:30.5") == 90.5);
	assert_true(cfg__float_of("-1_0.5e+1") == -105.0);
	assert_true(cfg__float_of("1e400") == INFINITY);
	assert_true(signbit(cfg__float_of("-0.0")));
	assert_true(isnan(cfg__float_of(".NaN")));
}

static void
test_cfg_pyfmt_str_repr(void **state)
{
	static const struct { const char *s, *want; } cases[] = {
		{ "a", "'a'" },
		{ "it's", "\"it's\"" },
		{ "say \"hi\" it's", "'say \"hi\" it\\'s'" },
		{ "back\\slash", "'back\\\\slash'" },
		{ "t\tn\nr\r", "'t\\tn\\nr\\r'" },
		{ "bell\x07" "del\x7f", "'bell\\x07del\\x7f'" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "'caf\xc3\xa9 \xe2\x82\xac'" },
		{ "nbsp\xc2\xa0", "'nbsp\\xa0'" },		/* Zs */
		{ "zw\xe2\x80\x8b", "'zw\\u200b'" },		/* Cf */
		{ "pua\xf3\xb0\x80\x80", "'pua\\U000f0000'" },	/* Co */
		{ "bad\xff", "'bad\\udcff'" },	/* surrogateescape */
		{ "", "''" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cfg_sbuf b = { 0 };
		cfg__str_repr(cases[i].s, &b);
		assert_string_equal(b.s, cases[i].want);
		free(b.s);
	}
}

static void
test_cfg_pyfmt_ints(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "0x1f", "31" }, { "-0x1f", "-31" }, { "017", "15" },
		{ "0_17", "15" }, { "00", "0" }, { "0_", "0" }, { "-0", "0" },
		{ "+7", "7" }, { "0b1_0", "2" }, { "-0b11", "-3" },
		{ "1:30:00", "5400" }, { "-1:30", "-90" },
		{ "190:20:30", "685230" },
		{ "0xffffffffffffffffff", "4722366482869645213695" },
		{ "123456789012345678901234567890",
		  "123456789012345678901234567890" },
		{ "-9223372036854775809", "-9223372036854775809" },
		{ "1:00000000000000000000:00", "3600" },
	};
	static const char *const refused[] = { "0b_", "0x_", "-0x_", "0x",
	    "-", "", "0o17x", "08" };
	const char *why;
	char *s, big[CFG_MAX_INT_DIGITS + 2];
	long idx;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = cfg__yaml_int(cases[i].text, &why);
		assert_non_null(s);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if ((s = cfg__yaml_int(refused[i], &why)) != NULL)
			fail_msg("%s: read as %s", refused[i], s);
	/* Python's limit on the digits of an int read from text. */
	memset(big, '7', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(cfg__yaml_int(big, &why));
	big[sizeof(big) - 2] = '\0';
	assert_non_null(s = cfg__yaml_int(big, &why));
	free(s);

	/* List indexes as int() reads them. */
	assert_int_equal(cfg__py_index("01", &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(cfg__py_index(" +1_0 ", &idx), 0);
	assert_int_equal(idx, 10);
	assert_int_equal(cfg__py_index("-1", &idx), 0);
	assert_int_equal(idx, -1);
	assert_int_equal(cfg__py_index("1__0", &idx), -1);
	assert_int_equal(cfg__py_index("_1", &idx), -1);
	assert_int_equal(cfg__py_index("1_", &idx), -1);
	assert_int_equal(cfg__py_index("x", &idx), -1);
	assert_int_equal(cfg__py_index("", &idx), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_pyfmt_float_repr),
		cmocka_unit_test(test_cfg_pyfmt_float_yaml),
		cmocka_unit_test(test_cfg_pyfmt_str_repr),
		cmocka_unit_test(test_cfg_pyfmt_ints),
	};
	return cmocka_run_group_tests_name("cfg_pyfmt", tests, NULL, NULL);
}
