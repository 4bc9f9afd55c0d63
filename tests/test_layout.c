/* test_layout.c: names, cycle directories and path normalization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "layout.h"

static void
test_layout_dataset_names(void **state)
{
	const char *why;
	char big[300];

	(void)state;
	assert_true(layout_valid_dataset("burgers_128", 11, &why));
	assert_true(layout_valid_dataset("a.b-c d", 7, &why));
	assert_false(layout_valid_dataset("", 0, &why));
	assert_false(layout_valid_dataset(".", 1, &why));
	assert_false(layout_valid_dataset("..", 2, &why));
	assert_false(layout_valid_dataset(".hidden", 7, &why));
	assert_false(layout_valid_dataset("a/b", 3, &why));
	assert_false(layout_valid_dataset("../x", 4, &why));
	assert_false(layout_valid_dataset("a\0b", 3, &why));
	assert_string_equal(why, "dataset name contains a NUL or control byte");
	assert_false(layout_valid_dataset("a\nb", 3, &why));
	assert_false(layout_valid_dataset("a\x7f", 2, &why));
	memset(big, 'x', sizeof(big));
	assert_true(layout_valid_dataset(big, 255, &why));
	assert_false(layout_valid_dataset(big, 256, &why));
	assert_string_equal(why, "dataset name is longer than 255 bytes");
}

static void
test_layout_cycle_names(void **state)
{
	char buf[32];
	long c;

	(void)state;
	assert_int_equal(layout_cycle_name(buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "cycle_000");
	layout_cycle_name(buf, sizeof(buf), 42);
	assert_string_equal(buf, "cycle_042");
	layout_cycle_name(buf, sizeof(buf), 1000);
	assert_string_equal(buf, "cycle_1000");
	assert_int_equal(layout_cycle_name(buf, sizeof(buf), -1), -1);
	assert_int_equal(layout_cycle_name(buf, sizeof(buf), HYCO_CYCLE_MAX + 1), -1);
	assert_int_equal(layout_cycle_name(buf, 5, 1), -1);
	/* Exactly its length and the NUL fit; a byte less does not. */
	assert_int_equal(layout_cycle_name(buf, 10, 7), 0);
	assert_string_equal(buf, "cycle_007");
	assert_int_equal(layout_cycle_name(buf, 9, 7), -1);
	assert_int_equal(layout_cycle_name(buf, sizeof(buf), HYCO_CYCLE_MAX),
	    0);
	assert_int_equal(layout_parse_cycle(buf, &c), 0);
	assert_int_equal(c, HYCO_CYCLE_MAX);

	assert_int_equal(layout_parse_cycle("cycle_003", &c), 0);
	assert_int_equal(c, 3);
	assert_int_equal(layout_parse_cycle("cycle_1000", &c), 0);
	assert_int_equal(c, 1000);
	assert_int_equal(layout_parse_cycle("cycle_7", &c), -1);
	assert_int_equal(layout_parse_cycle("cycle_0042", &c), -1);
	assert_int_equal(layout_parse_cycle("cycle_", &c), -1);
	assert_int_equal(layout_parse_cycle("cycle_1a3", &c), -1);
	assert_int_equal(layout_parse_cycle("cycle_-01", &c), -1);
	assert_int_equal(layout_parse_cycle("cycle_99999999", &c), -1);
	assert_int_equal(layout_parse_cycle("cyc_003", &c), -1);
}

static void
test_layout_kinds(void **state)
{
	(void)state;
	assert_int_equal(layout_parse_kind("synthetic", 9, false), KIND_SYNTHETIC);
	assert_int_equal(layout_parse_kind("physical", 8, false), KIND_PHYSICAL);
	assert_int_equal(layout_parse_kind("all", 3, false), -1);
	assert_int_equal(layout_parse_kind("all", 3, true), KIND_ALL);
	assert_int_equal(layout_parse_kind("synth", 5, true), -1);
	assert_int_equal(layout_parse_kind("synthetics", 10, true), -1);
}

static void
test_layout_cycle_dir(void **state)
{
	struct layout l;
	char buf[PATH_MAX];

	(void)state;
	memset(&l, 0, sizeof(l));
	strcpy(l.pred_root[KIND_SYNTHETIC], "/c/generated/synthetic_preds");
	strcpy(l.pred_root[KIND_PHYSICAL], "/c/generated/physical_preds");
	assert_int_equal(layout_cycle_dir(&l, KIND_SYNTHETIC, 3, "burgers_128",
	    buf, sizeof(buf)), 0);
	assert_string_equal(buf,
	    "/c/generated/synthetic_preds/cycle_003/burgers_128");
	assert_int_equal(layout_cycle_dir(&l, KIND_PHYSICAL, 1000, NULL, buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "/c/generated/physical_preds/cycle_1000");
	assert_int_equal(layout_cycle_dir(&l, KIND_PHYSICAL, -5, NULL, buf,
	    sizeof(buf)), -1);
	/* 50 bytes and a NUL: a buffer of 51 holds it, 50 does not. */
	assert_int_equal(layout_cycle_dir(&l, KIND_SYNTHETIC, 3, "burgers_128",
	    buf, 51), 0);
	assert_int_equal(strlen(buf), 50);
	assert_int_equal(layout_cycle_dir(&l, KIND_SYNTHETIC, 3, "burgers_128",
	    buf, 50), -1);
	assert_int_equal(layout_cycle_dir(&l, KIND_SYNTHETIC, 3, NULL, buf, 39),
	    0);
	assert_string_equal(buf, "/c/generated/synthetic_preds/cycle_003");
	assert_int_equal(layout_cycle_dir(&l, KIND_SYNTHETIC, 3, NULL, buf, 38),
	    -1);
}

static void
test_layout_absolute(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(layout_absolute("/work", "cache", out, sizeof(out)), 0);
	assert_string_equal(out, "/work/cache");
	layout_absolute("/work", "./cache//tensors/", out, sizeof(out));
	assert_string_equal(out, "/work/cache/tensors");
	layout_absolute("/work/a", "../b/./c/..", out, sizeof(out));
	assert_string_equal(out, "/work/b");
	layout_absolute("/work", "/abs/path", out, sizeof(out));
	assert_string_equal(out, "/abs/path");
	layout_absolute("/", "../../..", out, sizeof(out));
	assert_string_equal(out, "/");
	assert_int_equal(layout_absolute("/work", "x", out, 4), -1);
}

static void
test_layout_is_inside(void **state)
{
	(void)state;
	assert_true(layout_is_inside("/a/b", "/a/b/c"));
	assert_false(layout_is_inside("/a/b", "/a/b"));
	assert_false(layout_is_inside("/a/b", "/a/bc"));
	assert_false(layout_is_inside("/a/b", "/a"));
	assert_true(layout_is_inside("/", "/x"));
	assert_false(layout_is_inside("/", "/"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_dataset_names),
		cmocka_unit_test(test_layout_cycle_names),
		cmocka_unit_test(test_layout_kinds),
		cmocka_unit_test(test_layout_cycle_dir),
		cmocka_unit_test(test_layout_absolute),
		cmocka_unit_test(test_layout_is_inside),
	};
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
