/*
 * test_integration.c: the real bin/hycod on a temporary tree, driven
 * through libhyco and raw sockets. $HYCOD names the binary, $TOP the
 * source tree (for conf/config.yaml).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hyco.h"
#include "proto.h"
#include "testutil.h"

static char	*dir;			/* temporary tree */
static char	 cache[PATH_MAX / 2];	/* dir/cache */
static char	 sock[PATH_MAX];	/* dir/cache/hycod.sock */
static pid_t	 daemon_pid = -1;

/* -- daemon control ----------------------------------------------------- */

static pid_t
spawn(const char *extra)
{
	char root[PATH_MAX + 32], conf[PATH_MAX], log[PATH_MAX + 16];
	const char *argv[8];
	int n = 0;
	pid_t pid;

	snprintf(root, sizeof(root), "paths.cache_root=%s", cache);
	snprintf(conf, sizeof(conf), "%s/conf/config.yaml", getenv("TOP"));
	snprintf(log, sizeof(log), "%s/hycod.log", dir);
	argv[n++] = getenv("HYCOD");
	argv[n++] = "-c";
	argv[n++] = conf;
	argv[n++] = root;
	argv[n++] = "daemon.log_level=debug";
	if (extra != NULL)
		argv[n++] = extra;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* Wait until the daemon answers ping; 0 on success. */
static int
wait_ready(pid_t pid)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;
	int status;

	for (int i = 0; i < 500; i++) {
		if (hyco_ping(c, &p) == HYCO_OK && p.pid == pid) {
			hyco_free(c);
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	hyco_free(c);
	return -1;
}

static void
start_daemon(const char *extra)
{
	daemon_pid = spawn(extra);
	assert_int_equal(wait_ready(daemon_pid), 0);
}

/* Signal the daemon and return its exit status (-1 if killed). */
static int
stop_daemon(int sig)
{
	int status;

	kill(daemon_pid, sig);
	assert_int_equal(waitpid(daemon_pid, &status, 0), daemon_pid);
	daemon_pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	dir = tu_tmpdir();
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(sock, sizeof(sock), "%s/hycod.sock", cache);
	daemon_pid = spawn(NULL);
	return wait_ready(daemon_pid);
}

static int
group_teardown(void **state)
{
	(void)state;
	if (daemon_pid > 0)
		stop_daemon(SIGTERM);
	tu_rmrf(dir);
	free(dir);
	return 0;
}

/* -- raw socket helpers -------------------------------------------------- */

static int
raw_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void
raw_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

/* Read until EOF or timeout; returns bytes read, -1 on timeout. */
static ssize_t
raw_read_until_eof(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t n = read(fd, buf + got, cap - got);
		if (n <= 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == cap)
			return (ssize_t)got;
	}
}

static void
assert_alive(void)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;

	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	hyco_free(c);
}

/* -- methods ------------------------------------------------------------- */

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

/* Fill a cycle directory with files; returns the bytes written. */
static uint64_t
fill_cycle(const char *kind, long cycle, const char *ds, int nfiles)
{
	char name[PATH_MAX];
	uint64_t total = 0;

	for (int i = 0; i < nfiles; i++) {
		size_t size = (size_t)(i * 37 + 1);
		snprintf(name, sizeof(name), "generated/%s_preds/cycle_%03ld/%s/"
		    "gen_%06d.pt", kind, cycle, ds, i);
		tu_file(cache, name, size);
		total += size;
	}
	return total;
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

/* -- connection behaviour ------------------------------------------------- */

static void
test_integration_pipelined(void **state)
{
	enum { N = 2000 };
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	static char in[N * 256];
	size_t got = 0, off = 0;
	int fd = raw_connect(), seen = 0;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < N; i++)
		rpc_pack_request(&pk, (uint32_t)i + 1, "ping", false);
	raw_send(fd, sb.data, sb.size);	/* one write, N requests */
	msgpack_unpacked_init(&up);
	while (seen < N) {
		msgpack_unpack_return r = msgpack_unpack_next(&up, in, got, &off);
		if (r == MSGPACK_UNPACK_SUCCESS || r == MSGPACK_UNPACK_EXTRA_BYTES) {
			uint32_t id;
			const msgpack_object *err, *res;
			assert_int_equal(rpc_decode_response(&up.data, &id, &err,
			    &res), 0);
			assert_null(err);
			assert_int_equal(id, (uint32_t)seen + 1);	/* in order */
			seen++;
			continue;
		}
		assert_int_equal(r, MSGPACK_UNPACK_CONTINUE);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_true(poll(&p, 1, 5000) == 1);
		ssize_t n = read(fd, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	close(fd);
}

static void
test_integration_too_large(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	static char big[100 * 1024], in[4096];
	size_t off = 0;
	int fd = raw_connect();

	(void)state;
	memset(big, 'x', sizeof(big));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 4242, "get-cycle-dir", true);
	msgpack_pack_map(&pk, 1);
	rpc_pack_cstr(&pk, "dataset");
	rpc_pack_strn(&pk, big, sizeof(big));
	send(fd, sb.data, sb.size, MSG_NOSIGNAL);	/* may be cut short */
	ssize_t n = raw_read_until_eof(fd, in, sizeof(in), 5000);
	assert_true(n > 0);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, in, (size_t)n, &off),
	    MSGPACK_UNPACK_SUCCESS);
	uint32_t id;
	const msgpack_object *err, *res;
	assert_int_equal(rpc_decode_response(&up.data, &id, &err, &res), 0);
	assert_int_equal(id, 4242);
	assert_true(rpc_obj_is_str(rpc_map_get(err, "code"), "too_large"));
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	close(fd);
	assert_alive();
}

static void
test_integration_garbage_closes(void **state)
{
#define IN(s) { s, sizeof(s) - 1 }
	const struct { const char *bytes; size_t len; } inputs[] = {
		IN("\xc1"),			/* never-used msgpack byte */
		IN("\x93\x05\xa4ping\x90"),	/* array, wrong type */
		IN("\xa5hello"),		/* a string, not an array */
		IN("\x94\x00\xa1x\xa4ping\x90"),	/* msgid is a string */
	};
#undef IN
	char in[256];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		int fd = raw_connect();
		raw_send(fd, inputs[i].bytes, inputs[i].len);
		assert_int_equal(raw_read_until_eof(fd, in, sizeof(in), 5000), 0);
		close(fd);
	}
	assert_alive();
}

static void
test_integration_half_request(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 1, "summary", false);
	/* One sends half and leaves, one sends half and stays. */
	int gone = raw_connect(), stays = raw_connect();
	raw_send(gone, sb.data, sb.size / 2);
	close(gone);
	raw_send(stays, sb.data, sb.size / 2);
	assert_alive();
	/* The rest arrives later: the request completes normally. */
	raw_send(stays, sb.data + sb.size / 2, sb.size - sb.size / 2);
	struct pollfd p = { .fd = stays, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	close(stays);
	msgpack_sbuffer_destroy(&sb);
}

static void
test_integration_non_reader(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int fd = raw_connect();
	struct timespec t0, t1;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < 100000; i++)
		rpc_pack_request(&pk, (uint32_t)i, "ping", false);
	/* Send without ever reading; stop when the daemon stops reading. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t off = 0;
	for (int spins = 0; off < sb.size && spins < 200; spins++) {
		ssize_t n = send(fd, sb.data + off, sb.size - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else
			usleep(2000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_alive();		/* others are still served */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	close(fd);
	msgpack_sbuffer_destroy(&sb);
	assert_alive();
}

#define CLIENTS 200
static int client_ok[CLIENTS];

static void *
client_thread(void *arg)
{
	int i = (int)(intptr_t)arg;
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	struct hyco_ping p;
	char path[PATH_MAX];
	int ok = 1;

	for (int r = 0; r < 10 && ok; r++) {
		ok &= hyco_ping(c, &p) == HYCO_OK;
		ok &= hyco_get_cycle_dir(c, "synthetic", 100 + i % 7, "many", path,
		    sizeof(path), NULL) == HYCO_OK;
		if (r == 0) {
			ok &= hyco_summary(c, &s) == HYCO_OK;
			hyco_summary_free(&s);
		}
	}
	client_ok[i] = ok;
	hyco_free(c);
	return NULL;
}

static void
test_integration_200_clients(void **state)
{
	pthread_t t[CLIENTS];

	(void)state;
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, client_thread,
		    (void *)(intptr_t)i), 0);
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(t[i], NULL);
		assert_true(client_ok[i]);
	}
}

/* -- lifecycle ------------------------------------------------------------ */

static void
test_integration_restart_stale_socket(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_ping p;
	struct stat st;

	(void)state;
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(stop_daemon(SIGKILL), -1);
	assert_int_equal(lstat(sock, &st), 0);		/* left behind */
	assert_true(S_ISSOCK(st.st_mode));
	start_daemon(NULL);				/* replaces it */
	/* The same client object reconnects by itself. */
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	/* A second daemon on a live socket is refused. */
	pid_t second = spawn(NULL);
	int status;
	assert_int_equal(waitpid(second, &status, 0), second);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_int_equal(hyco_ping(c, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	hyco_free(c);
}

static void
test_integration_max_clients(void **state)
{
	int fds[3];
	char in[16];

	(void)state;
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon("daemon.max_clients=3");
	for (int i = 0; i < 3; i++)
		fds[i] = raw_connect();
	usleep(100000);
	int extra = raw_connect();
	assert_int_equal(raw_read_until_eof(extra, in, sizeof(in), 5000), 0);
	close(extra);
	close(fds[0]);
	usleep(100000);
	assert_alive();
	close(fds[1]);
	close(fds[2]);
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon(NULL);
}

static void
test_integration_sigterm_with_clients(void **state)
{
	hyco_client *c[20];
	struct hyco_ping p;
	struct stat st;
	int half = raw_connect();

	(void)state;
	raw_send(half, "\x94\x00", 2);
	for (int i = 0; i < 20; i++) {
		c[i] = hyco_new(sock);
		assert_int_equal(hyco_ping(c[i], &p), HYCO_OK);
	}
	assert_int_equal(stop_daemon(SIGTERM), 0);
	assert_int_equal(lstat(sock, &st), -1);		/* socket removed */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(hyco_ping(c[i], &p), HYCO_ECONNECT);
		hyco_free(c[i]);
	}
	close(half);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integration_ping),
		cmocka_unit_test(test_integration_cycle_dir),
		cmocka_unit_test(test_integration_cycle_dir_race),
		cmocka_unit_test(test_integration_bad_arguments),
		cmocka_unit_test(test_integration_io_error),
		cmocka_unit_test(test_integration_no_space),
		cmocka_unit_test(test_integration_cleanup_cycle),
		cmocka_unit_test(test_integration_cleanup_generated),
		cmocka_unit_test(test_integration_summary_exact),
		cmocka_unit_test(test_integration_disk_check),
		cmocka_unit_test(test_integration_pipelined),
		cmocka_unit_test(test_integration_too_large),
		cmocka_unit_test(test_integration_garbage_closes),
		cmocka_unit_test(test_integration_half_request),
		cmocka_unit_test(test_integration_non_reader),
		cmocka_unit_test(test_integration_200_clients),
		cmocka_unit_test(test_integration_restart_stale_socket),
		cmocka_unit_test(test_integration_max_clients),
		cmocka_unit_test(test_integration_sigterm_with_clients),
	};
	return cmocka_run_group_tests_name("integration", tests, group_setup,
	    group_teardown);
}
