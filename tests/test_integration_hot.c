/*
 * test_integration_hot.c: what the real bin/hycod answers on its loop
 * without a thread-pool job, or does once for many requests:
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
	CASE(test_integration_hot_keep_last_burst),
	CASE(test_integration_hot_disk_check),
};
const size_t integration_hot_ncases = sizeof(integration_hot_cases) /
    sizeof(integration_hot_cases[0]);
