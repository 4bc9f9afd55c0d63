/*
 * test_integration.c: every method of the real bin/hycod through
 * libhyco's calls, each case with a daemon and tree of its own
 * (integration.h): results, error codes, the size handshake of result
 * structs, summary against an independent walk of the tree.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hyco.h"
#include "integration.h"
#include "testutil.h"

static void
test_integration_ping(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;

	(void)state;
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_string_equal(p.version, "0.1.0");
	assert_int_equal(p.pid, daemon_pid);
	assert_true(p.uptime_s >= 0 && p.uptime_s < 3600);
	assert_string_equal(p.cache_root, cache);
	hyco_free(c);
}

static void
test_integration_cycle_dir(void **state)
{
	hyco_client *c = hyco_new(sock);
	char path[PATH_MAX], want[PATH_MAX * 2];
	struct stat st;
	int created;

	(void)state;
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 3, NULL, path,
	    sizeof(path), &created), HYCO_OK);
	snprintf(want, sizeof(want),
	    "%s/generated/synthetic_preds/cycle_003/burgers_128", cache);
	assert_string_equal(path, want);
	assert_true(created);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 3, NULL, path,
	    sizeof(path), &created), HYCO_OK);
	assert_false(created);
	assert_int_equal(hyco_get_cycle_dir(c, "physical", 1000, "smoke_128",
	    path, sizeof(path), &created), HYCO_OK);
	snprintf(want, sizeof(want),
	    "%s/generated/physical_preds/cycle_1000/smoke_128", cache);
	assert_string_equal(path, want);
	assert_int_equal(stat(path, &st), 0);
	hyco_free(c);
}

#define RACERS 16
static pthread_barrier_t race_barrier;
static int race_created[RACERS];
static long race_cycle;

static void *
racer(void *arg)
{
	int i = (int)(intptr_t)arg;
	hyco_client *c = hyco_new(sock);
	char path[PATH_MAX];

	hyco_connect(c);
	pthread_barrier_wait(&race_barrier);
	if (hyco_get_cycle_dir(c, "physical", race_cycle, "race", path,
	    sizeof(path), &race_created[i]) != HYCO_OK)
		race_created[i] = -1;
	hyco_free(c);
	return NULL;
}

static void
test_integration_cycle_dir_race(void **state)
{
	pthread_t t[RACERS];

	(void)state;
	for (race_cycle = 500; race_cycle < 510; race_cycle++) {
		int created = 0;
		pthread_barrier_init(&race_barrier, NULL, RACERS);
		for (int i = 0; i < RACERS; i++)
			pthread_create(&t[i], NULL, racer, (void *)(intptr_t)i);
		for (int i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
			assert_true(race_created[i] >= 0);
			created += race_created[i];
		}
		pthread_barrier_destroy(&race_barrier);
		assert_int_equal(created, 1);
	}
}

struct bad_case {
	const char	*method;
	struct hyco_arg	 args[3];
	size_t		 nargs;
	const char	*code;
};

#define S(n, v) { .name = n, .type = HYCO_ARG_STR, .s = v }
#define I(n, v) { .name = n, .type = HYCO_ARG_INT, .i = v }
#define F(n, v) { .name = n, .type = HYCO_ARG_FLOAT, .f = v }

static void
test_integration_bad_arguments(void **state)
{
	static char longname[300];
	memset(longname, 'd', 256);
	const struct bad_case cases[] = {
		{ "get-cycle-dir", { I("cycle", 1) }, 1, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "x"), I("cycle", 1) }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { I("kind", 1), I("cycle", 1) }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "all"), I("cycle", 1) }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic") }, 1,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", -1) }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1000000) },
		    2, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"),
		    I("cycle", 1ll << 62) }, 2, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), S("cycle", "3") }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), F("cycle", 3.0) }, 2,
		    "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", "") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", "a/b") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", "..") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", ".") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", ".hidden") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", "a\x01") }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("dataset", longname) }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    I("dataset", 5) }, 3, "invalid_argument" },
		{ "get-cycle-dir", { S("kind", "synthetic"), I("cycle", 1),
		    S("extra", "x") }, 3, "invalid_argument" },
		{ "cleanup-cycle", { S("kind", "all") }, 1, "invalid_argument" },
		{ "cleanup-cycle", { I("cycle", 1), S("kind", "both") }, 2,
		    "invalid_argument" },
		{ "cleanup-generated", { I("x", 1) }, 1, "invalid_argument" },
		{ "summary", { I("verbose", 1) }, 1, "invalid_argument" },
		{ "ping", { I("x", 1) }, 1, "invalid_argument" },
		{ "disk-check", { I("x", 1) }, 1, "invalid_argument" },
		{ "disk-check", { I("required_bytes", -1) }, 1, "invalid_argument" },
		{ "disk-check", { S("required_bytes", "1G") }, 1,
		    "invalid_argument" },
		{ "disk-check", { F("required_gb", -1) }, 1, "invalid_argument" },
		{ "disk-check", { I("required_bytes", 1), F("required_gb", 1) }, 2,
		    "invalid_argument" },
		{ "no-such-method", { I("x", 1) }, 0, "unknown_method" },
		{ "", { I("x", 1) }, 0, "unknown_method" },
	};
	hyco_client *c = hyco_new(sock);
	const hyco_value *res;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = hyco_call(c, cases[i].method, cases[i].args,
		    cases[i].nargs, &res);
		if (rc != HYCO_EREFUSED || strcmp(hyco_error_code(c),
		    cases[i].code) != 0)
			fail_msg("case %zu (%s): rc %d code '%s'", i,
			    cases[i].method, rc, hyco_error_code(c));
		assert_true(strlen(hyco_error_message(c)) > 0);
	}
	/* Nothing was created by any of it. */
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/generated/synthetic_preds/cycle_001",
	    cache);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(hyco_call(c, "ping", NULL, 0, &res), HYCO_OK);
	hyco_free(c);
}

static void
test_integration_io_error(void **state)
{
	hyco_client *c = hyco_new(sock);
	char path[PATH_MAX * 3], outside[PATH_MAX], link[PATH_MAX * 2];
	struct stat st;

	(void)state;
	/* cycle_005 is a file, cycle_006 a symlink out of the tree. */
	tu_file(cache, "generated/synthetic_preds/cycle_005", 3);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	mkdir(outside, 0755);
	snprintf(link, sizeof(link), "%s/generated/synthetic_preds/cycle_006",
	    cache);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 5, NULL, path,
	    sizeof(path), NULL), HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(c), "io_error");
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 6, NULL, path,
	    sizeof(path), NULL), HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(c), "io_error");
	snprintf(path, sizeof(path), "%s/burgers_128", outside);
	assert_int_equal(stat(path, &st), -1);	/* nothing made through it */
	unlink(link);
	snprintf(path, sizeof(path), "%s/generated/synthetic_preds/cycle_005",
	    cache);
	unlink(path);
	hyco_free(c);
}

/* A full filesystem answers no_space (needs root to mount a tmpfs). */
static void
test_integration_no_space(void **state)
{
	hyco_client *c = hyco_new(sock);
	char root[PATH_MAX * 2], path[PATH_MAX];
	int rc = HYCO_OK;

	(void)state;
	snprintf(root, sizeof(root), "%s/generated/physical_preds", cache);
	if (geteuid() != 0 || mount("none", root, "tmpfs", 0,
	    "size=64k,nr_inodes=8") == -1) {
		printf("SKIPPED test_integration_no_space: %s\n",
		    geteuid() != 0 ? "needs root to mount a tmpfs" :
		    "mount refused");
		hyco_free(c);
		skip();
	}
	for (long cycle = 0; cycle < 20 && rc == HYCO_OK; cycle++)
		rc = hyco_get_cycle_dir(c, "physical", cycle, NULL, path,
		    sizeof(path), NULL);
	assert_int_equal(rc, HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(c), "no_space");
	assert_int_equal(umount(root), 0);
	hyco_free(c);
}

static void
test_integration_cleanup_cycle(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_cleanup r;
	char want[PATH_MAX * 2];
	uint64_t bytes;

	(void)state;
	bytes = fill_cycle("synthetic", 2, "burgers_128", 20);
	bytes += fill_cycle("synthetic", 2, "smoke_128", 5);
	bytes += fill_cycle("physical", 2, "burgers_128", 7);
	uint64_t other = fill_cycle("physical", 3, "burgers_128", 4);
	assert_int_equal(hyco_cleanup_cycle(c, 2, NULL, &r), HYCO_OK);
	assert_int_equal(r.freed_bytes, bytes);
	assert_int_equal(r.nremoved, 2);
	snprintf(want, sizeof(want), "%s/generated/synthetic_preds/cycle_002",
	    cache);
	assert_string_equal(r.removed[0], want);
	assert_int_equal(access(want, F_OK), -1);
	hyco_cleanup_free(&r);
	/* A cycle that does not exist is success with nothing freed. */
	assert_int_equal(hyco_cleanup_cycle(c, 2, "all", &r), HYCO_OK);
	assert_int_equal(r.freed_bytes, 0);
	assert_int_equal(r.nremoved, 0);
	hyco_cleanup_free(&r);
	/* One kind only. */
	fill_cycle("synthetic", 3, "burgers_128", 3);
	assert_int_equal(hyco_cleanup_cycle(c, 3, "physical", &r), HYCO_OK);
	assert_int_equal(r.freed_bytes, other);
	assert_int_equal(r.nremoved, 1);
	hyco_cleanup_free(&r);
	snprintf(want, sizeof(want), "%s/generated/synthetic_preds/cycle_003/"
	    "burgers_128/gen_000000.pt", cache);
	assert_int_equal(access(want, F_OK), 0);
	hyco_free(c);
}

static void
test_integration_cleanup_generated(void **state)
{
	hyco_client *c = hyco_new(sock);
	char path[PATH_MAX * 2];
	uint64_t freed, bytes;
	struct hyco_summary s;

	(void)state;
	bytes = fill_cycle("synthetic", 10, "a", 3) +
	    fill_cycle("physical", 11, "b", 4);
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	uint64_t before = s.generated;
	hyco_summary_free(&s);
	assert_true(before >= bytes);
	assert_int_equal(hyco_cleanup_generated(c, &freed), HYCO_OK);
	assert_int_equal(freed, before);
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/generated/%s_preds", cache,
		    k ? "physical" : "synthetic");
		assert_int_equal(access(path, F_OK), 0);
	}
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.generated, 0);
	assert_int_equal(s.ncycles, 0);
	hyco_summary_free(&s);
	hyco_free(c);
}

/* -- summary against an independent walk ---------------------------------- */

struct expect {
	uint64_t	cat[3], files;		/* tensors, generated, eval */
	char		ds[16][64];
	uint64_t	dsb[16][3];
	int		nds;
	char		cy[32][32];		/* "kind/cycle" */
	uint64_t	cyb[32], cyf[32];
	int		ncy;
};
static struct expect ex;

static int
ex_ds(const char *name, size_t len)
{
	for (int i = 0; i < ex.nds; i++)
		if (strlen(ex.ds[i]) == len && strncmp(ex.ds[i], name, len) == 0)
			return i;
	snprintf(ex.ds[ex.nds], sizeof(ex.ds[0]), "%.*s", (int)len, name);
	return ex.nds++;
}

static int
visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + strlen(cache) + 1;
	char first[64], kind[64], cyc[64], ds[64];

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	ex.files++;
	if (sscanf(rel, "%63[^/]/%63[^/]/", first, ds) == 2 &&
	    strchr(rel + strlen(first) + strlen(ds) + 1, '/') &&
	    (strcmp(first, "tensors") == 0 || strcmp(first, "evaluation") == 0)) {
		int c = first[0] == 't' ? 0 : 2;
		ex.cat[c] += (uint64_t)st->st_size;
		ex.dsb[ex_ds(ds, strlen(ds))][c] += (uint64_t)st->st_size;
		return 0;
	}
	if (strncmp(rel, "tensors/", 8) == 0) {
		ex.cat[0] += (uint64_t)st->st_size;
		return 0;
	}
	if (strncmp(rel, "evaluation/", 11) == 0) {
		ex.cat[2] += (uint64_t)st->st_size;
		return 0;
	}
	if (strncmp(rel, "generated/", 10) != 0) {
		ex.files--;	/* outside every root */
		return 0;
	}
	ex.cat[1] += (uint64_t)st->st_size;
	long n;
	char canon[64];
	if (sscanf(rel, "generated/%63[^_]_preds/%63[^/]/", kind, cyc) == 2 &&
	    sscanf(cyc, "cycle_%ld", &n) == 1 &&
	    snprintf(canon, sizeof(canon), "cycle_%03ld", n) > 0 &&
	    strcmp(canon, cyc) == 0) {
		char key[160];
		int i;
		snprintf(key, sizeof(key), "%s/%ld", kind, n);
		for (i = 0; i < ex.ncy && strcmp(ex.cy[i], key) != 0; i++)
			;
		if (i == ex.ncy)
			strcpy(ex.cy[ex.ncy++], key);
		ex.cyb[i] += (uint64_t)st->st_size;
		ex.cyf[i]++;
		const char *after = strstr(rel, cyc) + strlen(cyc) + 1;
		const char *slash = strchr(after, '/');
		if (slash != NULL)
			ex.dsb[ex_ds(after, (size_t)(slash - after))][1] +=
			    (uint64_t)st->st_size;
	}
	return 0;
}

static void
test_integration_summary_exact(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	char name[PATH_MAX], link[PATH_MAX * 2];
	unsigned seed = 12345;
	const char *dsn[] = { "burgers_128", "smoke_128", "heat_64" };

	(void)state;
	for (int i = 0; i < 300; i++) {
		int r = rand_r(&seed) % 5;
		const char *d = dsn[rand_r(&seed) % 3];
		size_t size = (size_t)(rand_r(&seed) % 5000);
		if (r == 0)
			snprintf(name, sizeof(name), "tensors/%s/sim_%06d.pt", d, i);
		else if (r == 1)
			snprintf(name, sizeof(name), "evaluation/%s/eval_tensors/"
			    "e%d.pt", d, i);
		else if (r == 2)
			snprintf(name, sizeof(name), "generated/synthetic_preds/"
			    "cycle_%03d/%s/gen_%d.pt", rand_r(&seed) % 4, d, i);
		else if (r == 3)
			snprintf(name, sizeof(name), "generated/physical_preds/"
			    "cycle_%03d/%s/sub/gen_%d.pt", rand_r(&seed) % 4, d, i);
		else
			snprintf(name, sizeof(name), "generated/loose_%d.bin", i);
		tu_file(cache, name, size);
	}
	snprintf(link, sizeof(link), "%s/tensors/burgers_128/usr", cache);
	symlink("/usr", link);
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(nftw(cache, visit, 32, FTW_PHYS), 0);

	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.tensors, ex.cat[0]);
	assert_int_equal(s.generated, ex.cat[1]);
	assert_int_equal(s.eval, ex.cat[2]);
	assert_int_equal(s.total, ex.cat[0] + ex.cat[1] + ex.cat[2]);
	assert_int_equal(s.files, ex.files);
	/* The files were written just now: seen through events, exactly. */
	assert_int_equal(s.exact, 1);
	assert_int_equal(s.tracked_files, ex.files);
	assert_true(s.watched_dirs > 0);
	assert_int_equal(s.unwatched_dirs, 0);
	assert_true(s.index_bytes > 0);
	for (int i = 0; i < ex.nds; i++) {
		size_t j;
		for (j = 0; j < s.ndatasets; j++)
			if (strcmp(s.datasets[j]->name, ex.ds[i]) == 0)
				break;
		assert_true(j < s.ndatasets);
		assert_int_equal(s.datasets[j]->tensors, ex.dsb[i][0]);
		assert_int_equal(s.datasets[j]->generated, ex.dsb[i][1]);
		assert_int_equal(s.datasets[j]->eval, ex.dsb[i][2]);
	}
	/* Cycles with files all appear, with their exact bytes and files. */
	for (int i = 0; i < ex.ncy; i++) {
		size_t j;
		char key[32];
		for (j = 0; j < s.ncycles; j++) {
			snprintf(key, sizeof(key), "%s/%ld", s.cycles[j]->kind,
			    s.cycles[j]->cycle);
			if (strcmp(key, ex.cy[i]) == 0)
				break;
		}
		assert_true(j < s.ncycles);
		assert_int_equal(s.cycles[j]->bytes, ex.cyb[i]);
		assert_int_equal(s.cycles[j]->files, ex.cyf[i]);
	}
	/* Sorted by kind, then cycle. */
	for (size_t j = 1; j < s.ncycles; j++) {
		int k = strcmp(s.cycles[j - 1]->kind, s.cycles[j]->kind);
		assert_true(k < 0 || (k == 0 &&
		    s.cycles[j - 1]->cycle < s.cycles[j]->cycle));
	}
	assert_string_equal(s.disk_path, cache);
	hyco_summary_free(&s);
	hyco_free(c);
}

static void
test_integration_disk_check(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_disk_check d;
	struct statvfs sv;
	const hyco_value *res;
	uint64_t required;
	struct hyco_arg gbarg = F("required_gb", 0.5);

	(void)state;
	assert_int_equal(hyco_disk_check(c, 0, &d), HYCO_OK);
	assert_true(d.ok);
	assert_string_equal(d.path, cache);
	assert_int_equal(statvfs(cache, &sv), 0);
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	assert_true(d.available_bytes + (64 << 20) > avail &&
	    d.available_bytes < avail + (64 << 20));
	assert_int_equal(hyco_disk_check(c, 1ull << 62, &d), HYCO_OK);
	assert_false(d.ok);
	assert_int_equal(d.required_bytes, 1ull << 62);
	assert_int_equal(hyco_call(c, "disk-check", &gbarg, 1, &res), HYCO_OK);
	assert_int_equal(hyco_value_uint(hyco_map_get(res, "required_bytes"),
	    &required), 0);
	assert_int_equal(required, 500000000);
	hyco_free(c);
}

/* -- the typed calls added with the lasting API ---------------------------- */

static void
test_integration_clean(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_cleanup r;
	char want[PATH_MAX * 2];
	size_t len;
	const char *str;

	(void)state;
	tu_file(cache, "tensors/ds_a/x.pt", 1000);
	tu_file(cache, "tensors/ds_b/y.pt", 10);
	tu_file(cache, "evaluation/ds_a/e.pt", 5);
	snprintf(want, sizeof(want), "%s/tensors/ds_a", cache);
	/* Without HYCO_CONFIRM the daemon refuses, and nothing goes. */
	assert_int_equal(hyco_clean(c, "tensors", "ds_a", 0, &r), HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(c), "invalid_argument");
	assert_int_equal(r.nremoved, 0);
	assert_null(r.removed);
	assert_null(hyco_result(c));
	assert_int_equal(access(want, F_OK), 0);
	/* Flags a method does not take, and no target: the caller's fault. */
	assert_int_equal(hyco_clean(c, "tensors", NULL, HYCO_DRY_RUN, &r),
	    HYCO_EINVAL);
	assert_string_equal(hyco_error_code(c), "argument");
	assert_int_equal(hyco_clean(c, NULL, NULL, HYCO_CONFIRM, &r),
	    HYCO_EINVAL);
	assert_int_equal(access(want, F_OK), 0);
	assert_int_equal(hyco_clean(c, "tensors", "ds_a", HYCO_CONFIRM |
	    HYCO_WAIT, &r), HYCO_OK);
	assert_int_equal(r.freed_bytes, 1000);
	assert_int_equal(r.nremoved, 1);
	assert_string_equal(r.removed[0], want);
	assert_null(r.removed[1]);
	assert_int_equal(access(want, F_OK), -1);
	/* The raw result of a typed call is there too, until the next call. */
	assert_int_equal(hyco_array_len(hyco_map_get(hyco_result(c),
	    "removed")), 1);
	str = hyco_value_str(hyco_array_at(hyco_map_get(hyco_result(c),
	    "removed"), 0), &len);
	assert_non_null(str);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(str, want, len);
	hyco_cleanup_free(&r);
	assert_null(r.removed);
	snprintf(want, sizeof(want), "%s/tensors/ds_b/y.pt", cache);
	assert_int_equal(access(want, F_OK), 0);
	snprintf(want, sizeof(want), "%s/evaluation/ds_a/e.pt", cache);
	assert_int_equal(access(want, F_OK), 0);
	/* cleanup-generated, with its whole result. */
	fill_cycle("physical", 9, "ds_a", 3);
	assert_int_equal(hyco_cleanup_generated_sized(c, HYCO_WAIT, &r,
	    sizeof(r)), HYCO_OK);
	assert_int_equal(r.freed_bytes, 1 + 38 + 75);
	assert_int_equal(r.nremoved, 0);
	hyco_cleanup_free(&r);
	hyco_free(c);
}

static void
test_integration_cleanup_wait_leased(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_cleanup r;
	struct hyco_summary s;
	char path[PATH_MAX];
	uint64_t bytes;

	(void)state;
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 4, "ds", path,
	    sizeof(path), NULL), HYCO_OK);
	bytes = fill_cycle("synthetic", 4, "ds", 10);
	/* This connection leases cycle 4: removed anyway, and said so. */
	assert_int_equal(hyco_cleanup_cycle_sized(c, 4, "synthetic", HYCO_WAIT,
	    &r, sizeof(r)), HYCO_OK);
	assert_int_equal(r.freed_bytes, bytes);
	assert_int_equal(r.leased, 1);
	assert_int_equal(r.nremoved, 1);
	hyco_cleanup_free(&r);
	/* wait: the bytes were freed before the reply. */
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.trash_bytes, 0);
	assert_int_equal(s.trash_items, 0);
	assert_int_equal(s.generated, 0);
	hyco_summary_free(&s);
	assert_int_equal(hyco_cleanup_cycle_sized(c, 4, NULL, HYCO_CONFIRM, &r,
	    sizeof(r)), HYCO_EINVAL);
	hyco_free(c);
}

static void
test_integration_prune(void **state)
{
	hyco_client *c;
	struct hyco_prune p;
	char path[PATH_MAX], want[PATH_MAX * 2];
	int seen[3] = { 0 };

	(void)state;
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon("retention.keep_last_cycles=1");
	c = hyco_new(sock);
	for (long cycle = 1; cycle <= 3; cycle++) {
		assert_int_equal(hyco_get_cycle_dir(c, "synthetic", cycle, "ds",
		    path, sizeof(path), NULL), HYCO_OK);
		fill_cycle("synthetic", cycle, "ds", 2);
	}
	/* Cycles 1 and 2 are beyond keep_last_cycles, but were just asked for. */
	assert_int_equal(hyco_prune(c, HYCO_DRY_RUN, &p), HYCO_OK);
	assert_int_equal(p.dry_run, 1);
	assert_int_equal(p.nitems, 2);
	assert_null(p.items[2]);
	for (size_t i = 0; i < p.nitems; i++) {
		const struct hyco_prune_item *it = p.items[i];
		long cycle = it->path[strlen(it->path) - 1] - '0';
		assert_true(cycle == 1 || cycle == 2);
		seen[cycle]++;
		snprintf(want, sizeof(want), "%s/generated/synthetic_preds/"
		    "cycle_%03ld", cache, cycle);
		assert_string_equal(it->path, want);
		assert_int_equal(it->bytes, 1 + 38);
		assert_int_equal(it->files, 2);
		assert_int_equal(it->remove, 0);
		assert_true(strncmp(it->why, "kept: ", 6) == 0);
		assert_int_equal(access(it->path, F_OK), 0);
	}
	assert_int_equal(seen[1] + seen[2], 2);
	assert_int_equal(hyco_array_len(hyco_map_get(hyco_result(c), "items")),
	    2);
	hyco_prune_free(&p);
	assert_null(p.items);
	/* A real pass keeps them too. */
	assert_int_equal(hyco_prune(c, 0, &p), HYCO_OK);
	assert_int_equal(p.dry_run, 0);
	assert_int_equal(p.nitems, 2);
	hyco_prune_free(&p);
	snprintf(want, sizeof(want), "%s/generated/synthetic_preds/cycle_001",
	    cache);
	assert_int_equal(access(want, F_OK), 0);
	assert_int_equal(hyco_prune(c, HYCO_WAIT, &p), HYCO_EINVAL);
	hyco_free(c);
}

/*
 * Result structs grow: a caller's struct from a newer header (larger)
 * gets the rest zeroed; one below the first published size is refused.
 */
static void
test_integration_sized_results(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct {
		struct hyco_summary	s;
		unsigned char		future[64];
	} big;
	struct {
		struct hyco_ping	p;
		unsigned char		future[16];
	} ping;
	struct hyco_summary s;
	unsigned char zero[64] = { 0 };
	size_t first = offsetof(struct hyco_summary, pruning) + sizeof(int);

	(void)state;
	fill_cycle("physical", 2, "ds", 3);
	memset(&big, 0xa5, sizeof(big));
	assert_int_equal(hyco_summary_sized(c, &big.s, sizeof(big)), HYCO_OK);
	assert_memory_equal(big.future, zero, sizeof(big.future));
	assert_int_equal(big.s.generated, 1 + 38 + 75);
	assert_int_equal(big.s.ncycles, 1);
	assert_int_equal(big.s.cycles[0]->files, 3);
	assert_null(big.s.cycles[1]);
	assert_int_equal(big.s.nrescanning, 0);
	assert_null(big.s.rescanning[0]);
	assert_true(big.s.events > 0);
	assert_int_equal(big.s.pruning, 0);
	hyco_summary_free_sized(&big.s, sizeof(big));
	assert_null(big.s.cycles);
	assert_memory_equal(big.future, zero, sizeof(big.future));
	/* The struct as first published is enough. */
	assert_int_equal(hyco_summary_sized(c, &s, first), HYCO_OK);
	assert_int_equal(s.files, 3);
	hyco_summary_free_sized(&s, first);
	assert_int_equal(hyco_summary_sized(c, &s, first - 1), HYCO_EINVAL);
	assert_string_equal(hyco_error_code(c), "argument");
	assert_int_equal(hyco_summary_sized(c, NULL, sizeof(s)), HYCO_EINVAL);
	memset(&ping, 0xa5, sizeof(ping));
	assert_int_equal(hyco_ping_sized(c, &ping.p, sizeof(ping)), HYCO_OK);
	assert_int_equal(ping.p.pid, daemon_pid);
	assert_true(ping.p.connections >= 1 && ping.p.requests >= 3);
	assert_memory_equal(ping.future, zero, sizeof(ping.future));
	hyco_free(c);
}

/* The generic call's values, read without msgpack-c. */
static void
test_integration_values(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_arg a = { .name = "required_bytes", .type = HYCO_ARG_INT,
	    .i = 1 };
	const hyco_value *r, *v;
	size_t len, keys = 0;
	const char *str;
	int64_t pid;
	uint64_t u;
	double up;
	int b;

	(void)state;
	assert_int_equal(hyco_call(c, "ping", NULL, 0, &r), HYCO_OK);
	assert_ptr_equal(r, hyco_result(c));
	assert_int_equal(hyco_value_type(r), HYCO_TYPE_MAP);
	assert_int_equal(hyco_map_len(r), 6);
	for (size_t i = 0; i < hyco_map_len(r); i++)
		keys += hyco_value_type(hyco_map_key(r, i)) == HYCO_TYPE_STR;
	assert_int_equal(keys, 6);
	str = hyco_value_str(hyco_map_get(r, "version"), &len);
	assert_int_equal(len, 5);
	assert_memory_equal(str, "0.1.0", 5);
	assert_int_equal(hyco_value_int(hyco_map_get(r, "pid"), &pid), 0);
	assert_int_equal(pid, daemon_pid);
	assert_int_equal(hyco_value_uint(hyco_map_get(r, "pid"), &u), 0);
	assert_int_equal(hyco_value_float(hyco_map_get(r, "uptime_s"), &up), 0);
	assert_int_equal(hyco_value_type(hyco_map_get(r, "uptime_s")),
	    HYCO_TYPE_FLOAT);
	/* Wrong types and absent values fail, never crash. */
	assert_int_equal(hyco_value_bool(hyco_map_get(r, "pid"), &b), -1);
	assert_null(hyco_value_str(hyco_map_get(r, "pid"), &len));
	assert_null(hyco_value_bin(hyco_map_get(r, "version"), &len));
	assert_int_equal(hyco_value_uint(hyco_map_get(r, "nope"), &u), -1);
	assert_int_equal(hyco_value_type(NULL), HYCO_TYPE_NONE);
	assert_null(hyco_map_get(NULL, "x"));
	assert_null(hyco_map_get(r, NULL));
	assert_null(hyco_map_key(r, 6));
	assert_null(hyco_map_val(r, 6));
	assert_null(hyco_array_at(r, 0));
	assert_int_equal(hyco_array_len(r), 0);
	assert_int_equal(hyco_map_len(hyco_map_get(r, "pid")), 0);
	/* Arrays, booleans, nested maps. */
	assert_int_equal(hyco_call(c, "summary", NULL, 0, &r), HYCO_OK);
	assert_int_equal(hyco_value_bool(hyco_map_get(r, "exact"), &b), 0);
	assert_int_equal(hyco_value_type(hyco_map_get(r, "cycles")),
	    HYCO_TYPE_ARRAY);
	v = hyco_map_get(hyco_map_get(r, "disk"), "path");
	str = hyco_value_str(v, &len);
	assert_int_equal(len, strlen(cache));
	assert_memory_equal(str, cache, len);
	assert_int_equal(hyco_call(c, "disk-check", &a, 1, NULL), HYCO_OK);
	assert_int_equal(hyco_value_bool(hyco_map_get(hyco_result(c), "ok"),
	    &b), 0);
	assert_true(b);
	/* A refused call has no result. */
	assert_int_equal(hyco_call(c, "nope", NULL, 0, &r), HYCO_EREFUSED);
	assert_null(hyco_result(c));
	assert_int_equal(hyco_call(c, NULL, NULL, 0, &r), HYCO_EINVAL);
	a.s = NULL;
	a.type = HYCO_ARG_STR;
	assert_int_equal(hyco_call(c, "disk-check", &a, 1, &r), HYCO_EINVAL);
	hyco_free(c);
}


const struct CMUnitTest integration_method_cases[] = {
	CASE(test_integration_ping),
	CASE(test_integration_cycle_dir),
	CASE(test_integration_cycle_dir_race),
	CASE(test_integration_bad_arguments),
	CASE(test_integration_io_error),
	CASE(test_integration_no_space),
	CASE(test_integration_cleanup_cycle),
	CASE(test_integration_cleanup_generated),
	CASE(test_integration_summary_exact),
	CASE(test_integration_disk_check),
	CASE(test_integration_clean),
	CASE(test_integration_cleanup_wait_leased),
	CASE(test_integration_prune),
	CASE(test_integration_sized_results),
	CASE(test_integration_values),
};
const size_t integration_method_ncases = sizeof(integration_method_cases) / sizeof(integration_method_cases[0]);
