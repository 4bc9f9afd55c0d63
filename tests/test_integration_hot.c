/*
 * test_integration_hot.c: what the real bin/hycod answers on its loop
 * without a thread-pool job, against what the job answers: a cycle
 * directory the index knows (the same bytes, hit, lease), one removed
 * behind the daemon's back (made again, never answered stale),
 * disk-check from the disk monitor's figures (at most 100 ms old, and
 * fresh after a removal), and the policy pass asked for by a burst of
 * get-cycle-dir (keep_last_cycles still prunes).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "hyco.h"
#include "integration.h"
#include "proto.h"
#include "testutil.h"

/* The value of the metric line that starts with series, e.g. name{...}. */
static uint64_t
metric(hyco_client *c, const char *series)
{
	char want[256];
	const char *text, *at;
	size_t len;

	snprintf(want, sizeof(want), "\n%s ", series);
	assert_int_equal(hyco_metrics(c, &text, &len), HYCO_OK);
	at = memmem(text, len, want, strlen(want));
	assert_non_null(at);
	return strtoull(at + strlen(want), NULL, 10);
}

/* Requests of method handed to the thread pool so far. */
static uint64_t
jobs(hyco_client *c, const char *method)
{
	char series[128];

	snprintf(series, sizeof(series),
	    "hyco_request_jobs_total{method=\"%s\"}", method);
	return metric(c, series);
}

/* Send get-cycle-dir over a raw connection, msgid 7; no reading. */
static void
raw_cycle_dir_send(int fd, const char *kind, long cycle, const char *ds)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct rpc_container m;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_request(&pk, 7, "get-cycle-dir", true);
	rpc_map_begin(&m, &pk);
	rpc_kv_str(&m, "kind", kind);
	rpc_map_key(&m, "cycle");
	msgpack_pack_long(&pk, cycle);
	rpc_kv_str(&m, "dataset", ds);
	rpc_map_end(&m);
	raw_send(fd, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The one reply due on a raw connection: its bytes into buf (so that
 * two answers compare byte for byte); their number.
 */
static size_t
raw_reply(int fd, char *buf, size_t cap)
{
	msgpack_unpacked up;
	size_t got = 0, off = 0;

	msgpack_unpacked_init(&up);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		off = 0;
		if (got > 0 && msgpack_unpack_next(&up, buf, got, &off) ==
		    MSGPACK_UNPACK_SUCCESS)
			break;
		assert_true(poll(&p, 1, 10000) == 1);
		n = read(fd, buf + got, cap - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
	msgpack_unpacked_destroy(&up);
	assert_int_equal(off, got);	/* one reply, nothing after it */
	return got;
}

/* get-cycle-dir over a raw connection: the reply's bytes, their number. */
static size_t
raw_cycle_dir(int fd, const char *kind, long cycle, const char *ds,
    char *buf, size_t cap)
{
	raw_cycle_dir_send(fd, kind, cycle, ds);
	return raw_reply(fd, buf, cap);
}

/* The "created" field of a raw get-cycle-dir reply; -1: an error. */
static int
raw_created(const char *buf, size_t len)
{
	msgpack_unpacked up;
	const msgpack_object *err, *res, *v;
	uint32_t id;
	int created = -1;

	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, buf, len, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(rpc_decode_response(&up.data, &id, &err, &res), 0);
	if (err == NULL) {
		assert_int_equal(res->type, MSGPACK_OBJECT_MAP);
		assert_int_equal(res->via.map.size, 2);
		v = rpc_map_get(res, "created");
		assert_non_null(v);
		assert_int_equal(v->type, MSGPACK_OBJECT_BOOLEAN);
		created = v->via.boolean;
	}
	msgpack_unpacked_destroy(&up);
	return created;
}

/*
 * A directory the index knows is answered on the loop: no job, the
 * same bytes a job answers with (the job's reply is had from a daemon
 * whose index is not exact: too few watches), a hit counted, the cycle
 * leased to the connection that asked.
 */
static void
test_integration_hot_cycle_dir(void **state)
{
	hyco_client *a = hyco_new(sock), *c = hyco_new(sock);
	static char loop[4096], pool[4096];
	size_t nloop, npool;
	struct hyco_cleanup cl;
	struct hyco_summary s;
	struct hyco_stats st;
	char path[PATH_MAX];
	int created, fd;

	(void)state;
	/* a makes cycles 3 and 4 through the pool; its lease is on 4. */
	assert_int_equal(hyco_get_cycle_dir(a, "synthetic", 3, "ds", path,
	    sizeof(path), &created), HYCO_OK);
	assert_true(created);
	assert_int_equal(hyco_get_cycle_dir(a, "synthetic", 4, "ds", path,
	    sizeof(path), &created), HYCO_OK);
	assert_int_equal(jobs(c, "get-cycle-dir"), 2);
	/* Cycle 3 again, on another connection: on the loop. */
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.exact, 1);
	hyco_summary_free(&s);
	fd = raw_connect();
	nloop = raw_cycle_dir(fd, "synthetic", 3, "ds", loop, sizeof(loop));
	assert_int_equal(raw_created(loop, nloop), 0);
	assert_int_equal(jobs(c, "get-cycle-dir"), 2);
	assert_int_equal(hyco_stats(c, &st), HYCO_OK);
	assert_int_equal(st.ndatasets, 1);
	assert_int_equal(st.datasets[0]->misses_synthetic, 2);
	assert_int_equal(st.datasets[0]->hits_synthetic, 1);
	assert_true(st.datasets[0]->last_asked > 0);
	for (size_t i = 0; i < st.nmethods; i++)
		if (strcmp(st.methods[i]->name, "get-cycle-dir") == 0)
			assert_int_equal(st.methods[i]->latency_count, 3);
	hyco_stats_free(&st);
	/* a has moved on to cycle 4: only fd's lease holds cycle 3 now. */
	hyco_free(a);
	assert_int_equal(hyco_cleanup_cycle_sized(c, 3, "synthetic", HYCO_WAIT,
	    &cl, sizeof(cl)), HYCO_OK);
	assert_int_equal(cl.leased, 1);
	hyco_cleanup_free(&cl);
	nloop = raw_cycle_dir(fd, "synthetic", 3, "ds", loop, sizeof(loop));
	assert_int_equal(raw_created(loop, nloop), 1);	/* made again */
	nloop = raw_cycle_dir(fd, "synthetic", 3, "ds", loop, sizeof(loop));
	assert_int_equal(raw_created(loop, nloop), 0);
	close(fd);
	hyco_free(c);

	/* The same tree, an index that is not exact: the pool answers. */
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon("daemon.max_watches=2");
	c = hyco_new(sock);
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.exact, 0);
	assert_true(s.unwatched_dirs > 0);
	hyco_summary_free(&s);
	fd = raw_connect();
	npool = raw_cycle_dir(fd, "synthetic", 3, "ds", pool, sizeof(pool));
	assert_int_equal(jobs(c, "get-cycle-dir"), 1);
	assert_int_equal(npool, nloop);
	assert_memory_equal(pool, loop, nloop);
	close(fd);
	hyco_free(c);
}

/*
 * A cycle directory removed (or replaced) behind the daemon's back,
 * asked for at once: its events are applied first, so it is made
 * again (or refused as the job refuses it), never answered as there.
 */
static void
test_integration_hot_cycle_dir_removed(void **state)
{
	hyco_client *c = hyco_new(sock);
	static char buf[4096];
	char path[PATH_MAX], cyc[PATH_MAX];
	struct stat sb;
	size_t n;
	int fd = raw_connect(), created;

	(void)state;
	assert_int_equal(hyco_get_cycle_dir(c, "physical", 8, "ds", path,
	    sizeof(path), &created), HYCO_OK);
	snprintf(cyc, sizeof(cyc), "%s/generated/physical_preds/cycle_008",
	    cache);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(rmdir(path), 0);
		if (i % 2 == 1)
			assert_int_equal(rmdir(cyc), 0);
		n = raw_cycle_dir(fd, "physical", 8, "ds", buf, sizeof(buf));
		assert_int_equal(raw_created(buf, n), 1);
		assert_int_equal(stat(path, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		/* And there now: from the index, not made again. */
		n = raw_cycle_dir(fd, "physical", 8, "ds", buf, sizeof(buf));
		assert_int_equal(raw_created(buf, n), 0);
	}
	/*
	 * Each made again by a job; the index may still be settling the
	 * removal of a whole cycle (a stale path retried), then the pool
	 * answers the second as well, as it must while not exact.
	 */
	uint64_t nj = jobs(c, "get-cycle-dir");
	assert_true(nj >= 51 && nj <= 101);
	/* A file where the directory was: the job's io_error, not a path. */
	assert_int_equal(rmdir(path), 0);
	tu_file(cyc, "ds", 10);
	n = raw_cycle_dir(fd, "physical", 8, "ds", buf, sizeof(buf));
	assert_int_equal(raw_created(buf, n), -1);
	assert_int_equal(hyco_get_cycle_dir(c, "physical", 8, "ds", path,
	    sizeof(path), &created), HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(c), "io_error");
	close(fd);
	hyco_free(c);
}

/*
 * Clients each remove their own cycle directory by hand and ask for it
 * at once, one after another, while the requests of the clients before
 * them are being read and answered: what one poll reads is handled in
 * one round, with one look at the inotify queue, and still every
 * answer follows the removal its client made before asking (made
 * again), whichever request of its round looked.
 */
static void
test_integration_hot_cycle_dir_rounds(void **state)
{
	enum { NCONN = 8, NROUNDS = 40 };
	hyco_client *c = hyco_new(sock);
	static char buf[4096];
	char path[NCONN][PATH_MAX], ds[32];
	struct stat sb;
	int fd[NCONN];
	size_t n;

	(void)state;
	for (int i = 0; i < NCONN; i++) {
		snprintf(ds, sizeof(ds), "rounds_%d", i);
		assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 9, ds,
		    path[i], sizeof(path[i]), NULL), HYCO_OK);
		fd[i] = raw_connect();
	}
	for (int r = 0; r < NROUNDS; r++) {
		for (int i = 0; i < NCONN; i++) {
			snprintf(ds, sizeof(ds), "rounds_%d", i);
			assert_int_equal(rmdir(path[i]), 0);
			raw_cycle_dir_send(fd[i], "synthetic", 9, ds);
		}
		for (int i = 0; i < NCONN; i++) {
			n = raw_reply(fd[i], buf, sizeof(buf));
			assert_int_equal(raw_created(buf, n), 1);
			assert_int_equal(stat(path[i], &sb), 0);
			assert_true(S_ISDIR(sb.st_mode));
		}
	}
	for (int i = 0; i < NCONN; i++)
		close(fd[i]);
	hyco_free(c);
}

/*
 * The policy pass a burst of get-cycle-dir asks for (one, within
 * POLICY_SOON_MS) still prunes beyond keep_last_cycles; the periodic
 * check is an hour away, so it is not what prunes.
 */
static void
test_integration_hot_keep_last_burst(void **state)
{
	enum { N = 20 };
	hyco_client *c;
	struct hyco_summary s;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	static char in[N * 512];
	char path[PATH_MAX];
	size_t got = 0;
	int fd, seen = 0;

	(void)state;
	assert_int_equal(stop_daemon(SIGTERM), 0);
	start_daemon("retention.keep_last_cycles=2 "
	    "retention.protect_recent_s=0 retention.check_interval_s=3600");
	c = hyco_new(sock);
	/* One write, N requests: cycles 0 .. N-1, new, each a job. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (int i = 0; i < N; i++) {
		struct rpc_container m;
		rpc_pack_request(&pk, (uint32_t)i, "get-cycle-dir", true);
		rpc_map_begin(&m, &pk);
		rpc_kv_str(&m, "kind", "synthetic");
		rpc_map_key(&m, "cycle");
		msgpack_pack_int(&pk, i);
		rpc_map_end(&m);
	}
	fd = raw_connect();
	raw_send(fd, sb.data, sb.size);
	msgpack_sbuffer_destroy(&sb);
	while (seen < N) {
		msgpack_unpacked up;
		size_t off = 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		assert_true(poll(&p, 1, 10000) == 1);
		ssize_t n = read(fd, in + got, sizeof(in) - got);
		assert_true(n > 0);
		got += (size_t)n;
		msgpack_unpacked_init(&up);
		for (seen = 0; msgpack_unpack_next(&up, in, got, &off) ==
		    MSGPACK_UNPACK_SUCCESS; seen++) {
			uint32_t id;
			const msgpack_object *err, *res;
			assert_int_equal(rpc_decode_response(&up.data, &id,
			    &err, &res), 0);
			assert_null(err);
		}
		msgpack_unpacked_destroy(&up);
	}
	/* Settled: the pass was due, ran, and its removals are done. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(hyco_summary(c, &s), HYCO_OK);
		int busy = s.pruning || s.trash_items > 0 || !s.exact;
		hyco_summary_free(&s);
		if (!busy)
			break;
		usleep(10000);
	}
	for (int i = 0; i < N; i++) {
		struct stat st;
		snprintf(path, sizeof(path),
		    "%s/generated/synthetic_preds/cycle_%03d", cache, i);
		assert_int_equal(stat(path, &st) == 0, i >= N - 2);
	}
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.pruned_cycles, N - 2);
	assert_true(s.prune_passes >= 1);
	hyco_summary_free(&s);
	close(fd);
	hyco_free(c);
}

/* Free bytes as disk-check reports them: what statvfs says users get. */
static uint64_t
avail(const char *path)
{
	struct statvfs sv;

	assert_int_equal(statvfs(path, &sv), 0);
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

/*
 * disk-check answers from the disk monitor (no job), with figures at
 * most DISK_SUMMARY_MAX_AGE_MS old: a change in free space is in the
 * answer once that long has passed, and at once after a removal. On a
 * tmpfs of its own, which nothing else writes to.
 */
static void
test_integration_hot_disk_check(void **state)
{
	hyco_client *c;
	struct hyco_disk_check dc;
	struct hyco_cleanup cl;
	struct hyco_summary s;
	char path[PATH_MAX];
	const struct timespec due = { 0, 150 * 1000000 };

	(void)state;
	if (geteuid() != 0) {
		printf("SKIPPED test_integration_hot_disk_check: needs root "
		    "to mount a tmpfs\n");
		skip();
	}
	assert_int_equal(stop_daemon(SIGTERM), 0);
	if (mount("none", cache, "tmpfs", 0, "size=32m") == -1) {
		printf("SKIPPED test_integration_hot_disk_check: mount "
		    "refused: %s\n", strerror(errno));
		start_daemon(NULL);
		skip();
	}
	start_daemon(NULL);
	c = hyco_new(sock);
	assert_int_equal(hyco_disk_check(c, 1, &dc), HYCO_OK);
	assert_int_equal(dc.available_bytes, avail(cache));
	/* 8 MB written: seen once the figures are due. */
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 1, "ds", path,
	    sizeof(path), NULL), HYCO_OK);
	tu_file(path, "big.pt", 8 << 20);
	nanosleep(&due, NULL);
	assert_int_equal(hyco_disk_check(c, 1, &dc), HYCO_OK);
	assert_int_equal(dc.available_bytes, avail(cache));
	assert_true(dc.available_bytes < (24u << 20));
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(s.disk_free_bytes, avail(cache));
	hyco_summary_free(&s);
	/* Removed, waited for: the next answer has the space back. */
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 2, "ds", path,
	    sizeof(path), NULL), HYCO_OK);
	assert_int_equal(hyco_cleanup_cycle_sized(c, 1, "synthetic", HYCO_WAIT,
	    &cl, sizeof(cl)), HYCO_OK);
	assert_int_equal(cl.freed_bytes, 8 << 20);
	hyco_cleanup_free(&cl);
	assert_int_equal(hyco_disk_check(c, 1, &dc), HYCO_OK);
	assert_int_equal(dc.available_bytes, avail(cache));
	assert_true(dc.available_bytes > (24u << 20));
	assert_int_equal(jobs(c, "disk-check"), 0);
	hyco_free(c);
}

const struct CMUnitTest integration_hot_cases[] = {
	CASE(test_integration_hot_cycle_dir),
	CASE(test_integration_hot_cycle_dir_removed),
	CASE(test_integration_hot_cycle_dir_rounds),
	CASE(test_integration_hot_keep_last_burst),
	CASE(test_integration_hot_disk_check),
};
const size_t integration_hot_ncases = sizeof(integration_hot_cases) /
    sizeof(integration_hot_cases[0]);
