/*
 * test_asked.c: the policy's last-asked table (daemon/asked.c) against
 * a model: every entry found with its time, at most ASKED_MAX kept, the
 * least recently asked forgotten first, and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "asked.h"

static void
test_asked_finds_each(void **state)
{
	struct asked_table t;
	uint64_t at;

	(void)state;
	asked_init(&t);
	assert_false(asked_when(&t, 0, 1, "", &at));
	assert_int_equal(asked_touch(&t, 0, 1, "", 10), 0);
	assert_int_equal(asked_touch(&t, 1, 1, "", 20), 0);
	assert_int_equal(asked_touch(&t, -1, 0, "burgers_128", 30), 0);
	assert_true(asked_when(&t, 0, 1, "", &at));
	assert_int_equal(at, 10);
	assert_true(asked_when(&t, 1, 1, "", &at));
	assert_int_equal(at, 20);
	assert_true(asked_when(&t, -1, 0, "burgers_128", &at));
	assert_int_equal(at, 30);
	assert_false(asked_when(&t, -1, 0, "burgers_12", &at));
	assert_false(asked_when(&t, 0, 2, "", &at));
	/* Asked again: the same entry, a new time. */
	assert_int_equal(asked_touch(&t, 0, 1, "", 40), 0);
	assert_true(asked_when(&t, 0, 1, "", &at));
	assert_int_equal(at, 40);
	assert_int_equal(t.n, 3);
	asked_free(&t);
}

/*
 * Past ASKED_MAX the least recently asked goes, one for each new key:
 * asking again makes an entry recent and so kept.
 */
static void
test_asked_bounded(void **state)
{
	struct asked_table t;
	const uint32_t total = 3 * ASKED_MAX;
	uint64_t at;
	char ds[32];

	(void)state;
	asked_init(&t);
	for (uint32_t i = 0; i < total; i++) {
		/* Cycles and datasets mixed; cycle 0 asked again each time. */
		if (i % 2)
			assert_int_equal(asked_touch(&t, (int)(i % 4 == 1), i, "",
			    i), 0);
		else {
			snprintf(ds, sizeof(ds), "ds_%u", i);
			assert_int_equal(asked_touch(&t, -1, 0, ds, i), 0);
		}
		assert_int_equal(asked_touch(&t, 0, 0, "", i), 0);
		assert_true(t.n <= ASKED_MAX);
	}
	assert_int_equal(t.n, ASKED_MAX);
	/* total + 1 keys, ASKED_MAX kept. */
	assert_int_equal(t.forgotten, total + 1 - ASKED_MAX);
	assert_true(asked_when(&t, 0, 0, "", &at));
	assert_int_equal(at, total - 1);
	/* The newest ASKED_MAX - 1 of the others are all there. */
	for (uint32_t i = total - (ASKED_MAX - 1); i < total; i++) {
		if (i % 2)
			assert_true(asked_when(&t, (int)(i % 4 == 1), i, "", &at));
		else {
			snprintf(ds, sizeof(ds), "ds_%u", i);
			assert_true(asked_when(&t, -1, 0, ds, &at));
		}
		assert_int_equal(at, i);
	}
	/* And the one before them was forgotten. */
	uint32_t old = total - ASKED_MAX;
	snprintf(ds, sizeof(ds), "ds_%u", old);
	assert_false(old % 2 ? asked_when(&t, (int)(old % 4 == 1), old, "",
	    &at) : asked_when(&t, -1, 0, ds, &at));
	asked_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asked_finds_each),
		cmocka_unit_test(test_asked_bounded),
	};
	return cmocka_run_group_tests_name("asked", tests, NULL, NULL);
}
