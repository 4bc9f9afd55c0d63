/*
 * test_disk.c: the disk monitor's arithmetic on its own: levels with
 * hysteresis at and around each threshold, the least-squares fill
 * rate, and finding a filesystem's mount in /proc/self/mountinfo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "disk.h"

/* warn 50, critical 25, hysteresis 5: from each level, free -> level. */
static void
test_disk_levels(void **state)
{
	static const struct {
		enum disk_level	 cur;
		double		 free;
		enum disk_level	 want;
	} cases[] = {
		{ DISK_OK, 60, DISK_OK },
		{ DISK_OK, 50, DISK_OK },		/* at it: not below */
		{ DISK_OK, 49.9, DISK_WARNING },
		{ DISK_OK, 24, DISK_CRITICAL },		/* straight down */
		{ DISK_WARNING, 49, DISK_WARNING },
		{ DISK_WARNING, 54, DISK_WARNING },	/* within hysteresis */
		{ DISK_WARNING, 55, DISK_WARNING },	/* not more than it */
		{ DISK_WARNING, 55.1, DISK_OK },
		{ DISK_WARNING, 24.9, DISK_CRITICAL },
		{ DISK_CRITICAL, 26, DISK_CRITICAL },
		{ DISK_CRITICAL, 30, DISK_CRITICAL },
		{ DISK_CRITICAL, 30.1, DISK_WARNING },
		{ DISK_CRITICAL, 54, DISK_WARNING },	/* past one, not two */
		{ DISK_CRITICAL, 56, DISK_OK },		/* past both */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum disk_level got = disk_level_next(cases[i].cur,
		    cases[i].free, 50, 25, 5);
		if (got != cases[i].want)
			fail_msg("case %zu: from %s at %g: %s, want %s", i,
			    disk_level_names[cases[i].cur], cases[i].free,
			    disk_level_names[got], disk_level_names[cases[i].want]);
	}
	/* No thresholds: never a level; no hysteresis: left at the mark. */
	assert_int_equal(disk_level_next(DISK_OK, 0, 0, 0, 0), DISK_OK);
	assert_int_equal(disk_level_next(DISK_CRITICAL, 0, 0, 0, 0), DISK_OK);
	assert_int_equal(disk_level_next(DISK_WARNING, 50.5, 50, 25, 0),
	    DISK_OK);
	/* Hovering at a threshold: one change, however often sampled. */
	enum disk_level lv = DISK_OK;
	int changes = 0;
	for (int i = 0; i < 100; i++) {
		enum disk_level next = disk_level_next(lv, i % 2 ? 49.5 : 50.5,
		    50, 25, 5);
		changes += next != lv;
		lv = next;
	}
	assert_int_equal(changes, 1);
	assert_int_equal(lv, DISK_WARNING);
}

static void
test_disk_fill_rate(void **state)
{
	struct disk_point p[DISK_HISTORY];
	double rate;

	(void)state;
	/* A steady fall of 10 bytes a second, at uv_hrtime-sized times. */
	for (int i = 0; i < 8; i++)
		p[i] = (struct disk_point){ 123456.0 + i * 0.1, 1e12 - i };
	assert_int_equal(disk_fill_rate(p, 8, &rate), 0);
	assert_true(rate > 9.999999 && rate < 10.000001);
	/* Too few points, or no time between them: no rate. */
	assert_int_equal(disk_fill_rate(p, DISK_RATE_MIN_SAMPLES - 1, &rate),
	    -1);
	for (int i = 0; i < 5; i++)
		p[i] = (struct disk_point){ 5, 100.0 * i };
	assert_int_equal(disk_fill_rate(p, 5, &rate), -1);
	/* Rising free space: a negative rate, not filling. */
	for (int i = 0; i < 5; i++)
		p[i] = (struct disk_point){ i, 100.0 * i };
	assert_int_equal(disk_fill_rate(p, 5, &rate), 0);
	assert_true(rate == -100);
	/* Noise around a fall: the fit, not the last two points. */
	static const double f[] = { 1000, 985, 985, 960, 965, 945 };
	for (int i = 0; i < 6; i++)
		p[i] = (struct disk_point){ i, f[i] };
	assert_int_equal(disk_fill_rate(p, 6, &rate), 0);
	assert_true(rate > 10.28 && rate < 10.29);	/* 180 / 17.5 */
}

static const char mountinfo[] =
    "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
    "30 22 0:40 / /mnt/a\\040b rw,relatime shared:5 - tmpfs none rw\n"
    "31 22 0:40 /sub /bind rw - tmpfs none rw\n"
    "32 30 0:41 / /mnt/a\\040b/in rw master:1 - xfs /dev/sd\\134b rw\n"
    "40 22 0:42 / /srv rw - tmpfs t1 rw\n"
    "41 22 0:42 / /mnt/a rw - tmpfs t2 rw\n"
    "garbage line\n";

static int
find(dev_t dev, const char *path, char *mnt, char *type, char *src)
{
	FILE *f = fmemopen((void *)mountinfo, sizeof(mountinfo) - 1, "r");
	int rc = disk_find_mount(f, dev, path, mnt, PATH_MAX, type, 32, src,
	    256);

	fclose(f);
	return rc;
}

static void
test_disk_find_mount(void **state)
{
	char mnt[PATH_MAX], type[32], src[256];

	(void)state;
	assert_int_equal(find(makedev(0, 40), "/mnt/a b/x", mnt, type, src), 0);
	assert_string_equal(mnt, "/mnt/a b");
	assert_string_equal(type, "tmpfs");
	assert_string_equal(src, "none");
	/* The longest mount point holding the path, escapes decoded. */
	assert_int_equal(find(makedev(0, 41), "/mnt/a b/in/c", mnt, type, src),
	    0);
	assert_string_equal(mnt, "/mnt/a b/in");
	assert_string_equal(src, "/dev/sd\\b");
	/* "/" holds everything. */
	assert_int_equal(find(makedev(0, 21), "/srv/cache", mnt, type, src), 0);
	assert_string_equal(mnt, "/");
	/* A bind mount elsewhere: the first mount of the device. */
	assert_int_equal(find(makedev(0, 40), "/other", mnt, type, src), 0);
	assert_string_equal(mnt, "/mnt/a b");
	assert_int_equal(find(makedev(0, 99), "/x", mnt, type, src), -1);
	/* "/mnt/a" does not hold "/mnt/ab/x": neither does, the first. */
	assert_int_equal(find(makedev(0, 42), "/mnt/ab/x", mnt, type, src), 0);
	assert_string_equal(mnt, "/srv");
	assert_int_equal(find(makedev(0, 42), "/mnt/a/x", mnt, type, src), 0);
	assert_string_equal(mnt, "/mnt/a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_levels),
		cmocka_unit_test(test_disk_fill_rate),
		cmocka_unit_test(test_disk_find_mount),
	};
	return cmocka_run_group_tests_name("disk", tests, NULL, NULL);
}
