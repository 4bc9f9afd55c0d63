/* test_scan.c: a scan of a real tree into an index, read as the seed lays it out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "scan.h"
#include "tally.h"
#include "testutil.h"

static void
make_layout(struct layout *l, const char *dir, bool preds_outside)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->cache_root, PATH_MAX, "%s", dir);
	snprintf(l->roots[CAT_TENSORS], PATH_MAX, "%s/tensors", dir);
	snprintf(l->roots[CAT_GENERATED], PATH_MAX, "%s/generated", dir);
	snprintf(l->roots[CAT_EVAL], PATH_MAX, "%s/evaluation", dir);
	snprintf(l->pred_root[KIND_SYNTHETIC], PATH_MAX, "%s/%s/synthetic_preds",
	    dir, preds_outside ? "elsewhere" : "generated");
	snprintf(l->pred_root[KIND_PHYSICAL], PATH_MAX, "%s/generated/physical_preds",
	    dir);
	strcpy(l->default_dataset, "burgers_128");
}

/* Scan every top of l, as hycod does at start-up; threads 1 or 2. */
static int
scan_tree(const struct layout *l, struct tally *t, int threads, uint64_t *errors)
{
	const char *paths[CAT_COUNT + KIND_COUNT];
	bool follow[CAT_COUNT + KIND_COUNT] = { true, true, true, true, true };
	struct scan_opts o = { .inotify_fd = -1, .max_watches = -1,
	    .threads = threads };
	struct scan_stats st = { 0 };
	struct index ix;
	int n = tally_tops(l, paths), rc;

	assert_int_equal(index_init(&ix), 0);
	rc = scan_build(&ix, paths, follow, n, &o, &st);
	if (rc == 0)
		rc = tally_read(&ix, l, t);
	*errors = st.errors;
	index_free(&ix);
	return rc;
}

static const struct tally_dataset *
find_ds(const struct tally *t, const char *name)
{
	for (size_t i = 0; i < t->nds; i++)
		if (strcmp(t->ds[i].name, name) == 0)
			return &t->ds[i];
	return NULL;
}

static void
test_scan_attribution(void **state)
{
	char *dir = tu_tmpdir(), path[PATH_MAX];
	struct layout l;
	struct tally t = { 0 };
	uint64_t errors;

	(void)state;
	make_layout(&l, dir, false);
	tu_file(dir, "tensors/burgers_128/sim_000000.pt", 100);
	tu_file(dir, "tensors/burgers_128/deep/a/b/c.pt", 10);
	tu_file(dir, "tensors/smoke_128/sim_000000.pt", 200);
	tu_file(dir, "tensors/loose.pt", 5);		/* no dataset */
	tu_file(dir, "evaluation/burgers_128/eval_tensors/x.pt", 30);
	tu_file(dir, "generated/synthetic_preds/cycle_003/burgers_128/g.pt", 1000);
	tu_file(dir, "generated/synthetic_preds/cycle_003/smoke_128/g.pt", 2000);
	tu_file(dir, "generated/synthetic_preds/cycle_1000/burgers_128/g.pt", 7);
	tu_file(dir, "generated/physical_preds/cycle_000/burgers_128/g.pt", 300);
	tu_file(dir, "generated/physical_preds/cycle_7/burgers_128/g.pt", 11);
	tu_file(dir, "generated/other/x.bin", 13);
	tu_file(dir, "outside.pt", 999);		/* not in any root */
	/* A symlink is neither followed nor counted. */
	snprintf(path, sizeof(path), "%s/tensors/burgers_128/link", dir);
	assert_int_equal(symlink("/usr", path), 0);
	snprintf(path, sizeof(path), "%s/tensors/burgers_128/flink", dir);
	assert_int_equal(symlink("sim_000000.pt", path), 0);

	for (int threads = 1; threads <= 2; threads++) {
	assert_int_equal(scan_tree(&l, &t, threads, &errors), 0);
	assert_int_equal(t.bytes[CAT_TENSORS], 315);
	assert_int_equal(t.files[CAT_TENSORS], 4);
	assert_int_equal(t.bytes[CAT_EVAL], 30);
	assert_int_equal(t.bytes[CAT_GENERATED], 1000 + 2000 + 7 + 300 + 11 + 13);
	assert_int_equal(t.files[CAT_GENERATED], 6);
	assert_int_equal(errors, 0);

	assert_int_equal(t.nds, 2);
	assert_string_equal(t.ds[0].name, "burgers_128");	/* sorted */
	assert_int_equal(find_ds(&t, "burgers_128")->bytes[CAT_TENSORS], 110);
	assert_int_equal(find_ds(&t, "burgers_128")->bytes[CAT_GENERATED],
	    1000 + 7 + 300);
	assert_int_equal(find_ds(&t, "burgers_128")->bytes[CAT_EVAL], 30);
	assert_int_equal(find_ds(&t, "smoke_128")->bytes[CAT_GENERATED], 2000);

	/* Sorted by kind name, then cycle; cycle_7 is not a cycle name. */
	assert_int_equal(t.ncy, 3);
	assert_int_equal(t.cy[0].kind, KIND_PHYSICAL);
	assert_int_equal(t.cy[0].cycle, 0);
	assert_int_equal(t.cy[0].bytes, 300);
	assert_int_equal(t.cy[1].kind, KIND_SYNTHETIC);
	assert_int_equal(t.cy[1].cycle, 3);
	assert_int_equal(t.cy[1].bytes, 3000);
	assert_int_equal(t.cy[1].files, 2);
	assert_int_equal(t.cy[2].cycle, 1000);
	tally_free(&t);
	}
	tu_rmrf(dir);
	free(dir);
}

static void
test_scan_pred_root_outside_generated(void **state)
{
	char *dir = tu_tmpdir();
	struct layout l;
	struct tally t = { 0 };
	uint64_t errors;

	(void)state;
	make_layout(&l, dir, true);
	tu_file(dir, "elsewhere/synthetic_preds/cycle_001/d/g.pt", 40);
	tu_file(dir, "generated/physical_preds/cycle_001/d/g.pt", 2);
	assert_int_equal(scan_tree(&l, &t, 2, &errors), 0);
	assert_int_equal(t.bytes[CAT_GENERATED], 42);
	assert_int_equal(t.ncy, 2);
	tally_free(&t);
	tu_rmrf(dir);
	free(dir);
}

static void
test_scan_missing_roots(void **state)
{
	struct layout l;
	struct tally t = { 0 };
	uint64_t errors;

	(void)state;
	make_layout(&l, "/nonexistent/hyco", false);
	assert_int_equal(scan_tree(&l, &t, 2, &errors), 0);
	assert_int_equal(t.bytes[CAT_TENSORS] + t.bytes[CAT_GENERATED] +
	    t.bytes[CAT_EVAL], 0);
	assert_int_equal(errors, 0);
	tally_free(&t);
}

/* Thousands of files in one directory cross batch boundaries. */
static void
test_scan_big_directory(void **state)
{
	char *dir = tu_tmpdir(), name[128];
	struct layout l;
	struct tally t = { 0 };
	uint64_t errors, want = 0;

	(void)state;
	make_layout(&l, dir, false);
	tu_file(dir, "tensors/big/first", 1);
	want = 1;
	for (int i = 0; i < 5000; i++) {
		char path[PATH_MAX];
		snprintf(name, sizeof(name), "f%05d_%s", i,
		    "a-rather-long-name-to-fill-the-batch-name-buffer");
		snprintf(path, sizeof(path), "%s/tensors/big/%s", dir, name);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		for (int k = 0; k < i % 97 + 1; k++)
			fputc('x', f);
		fclose(f);
		want += (uint64_t)(i % 97 + 1);
	}
	for (int threads = 1; threads <= 2; threads++) {
		assert_int_equal(scan_tree(&l, &t, threads, &errors), 0);
		assert_int_equal(t.files[CAT_TENSORS], 5001);
		assert_int_equal(t.bytes[CAT_TENSORS], want);
		tally_free(&t);
	}
	tu_rmrf(dir);
	free(dir);
}

/* Sparse files past what a node holds inline are counted exactly. */
static void
test_scan_huge_sparse_files(void **state)
{
	char *dir = tu_tmpdir(), path[PATH_MAX];
	const off_t sizes[] = { (off_t)1 << 60, INT64_MAX, 3 };
	struct layout l;
	struct tally t = { 0 };
	uint64_t errors, want = 0;

	(void)state;
	make_layout(&l, dir, false);
	tu_file(dir, "tensors/ds/seed", 0);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/tensors/ds/f%d", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(ftruncate(fileno(f), sizes[i]), 0);
		fclose(f);
	}
	/* 2^60 + (2^63 - 1) + 3 does not wrap 64 bits. */
	want = ((uint64_t)1 << 60) + (uint64_t)INT64_MAX + 3;
	for (int threads = 1; threads <= 2; threads++) {
		assert_int_equal(scan_tree(&l, &t, threads, &errors), 0);
		assert_int_equal(t.files[CAT_TENSORS], 4);
		assert_int_equal(t.bytes[CAT_TENSORS], want);
		assert_int_equal(find_ds(&t, "ds")->bytes[CAT_TENSORS], want);
		tally_free(&t);
	}
	tu_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_attribution),
		cmocka_unit_test(test_scan_pred_root_outside_generated),
		cmocka_unit_test(test_scan_missing_roots),
		cmocka_unit_test(test_scan_big_directory),
		cmocka_unit_test(test_scan_huge_sparse_files),
	};
	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
