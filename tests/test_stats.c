/*
 * test_stats.c: the latency buckets at their edges, the per-dataset
 * cap and its other bucket, the sums summary's counters must equal,
 * last_asked off the monotonic clock, and the stats reply read back
 * whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "stats.h"

static void
test_stats_bucket_edges(void **state)
{
	(void)state;
	/* Bucket i holds (2^(i-1), 2^i] microseconds; 0 holds up to 1 us. */
	assert_int_equal(stats_bucket(0), 0);
	assert_int_equal(stats_bucket(1), 0);
	assert_int_equal(stats_bucket(1000), 0);
	assert_int_equal(stats_bucket(1001), 1);
	assert_int_equal(stats_bucket(2000), 1);
	assert_int_equal(stats_bucket(2001), 2);
	assert_int_equal(stats_bucket(4000), 2);
	assert_int_equal(stats_bucket(4001), 3);
	assert_int_equal(stats_bucket(1000ull << 24), 24);
	assert_int_equal(stats_bucket((1000ull << 24) + 1), STATS_BUCKETS);
	assert_int_equal(stats_bucket(UINT64_MAX), STATS_BUCKETS);
	for (int i = 1; i < STATS_BUCKETS; i++) {
		uint64_t edge = stats_bucket_us(i) * 1000;
		assert_int_equal(stats_bucket(edge), i);
		assert_int_equal(stats_bucket(edge + 1), i + 1);
		assert_int_equal(stats_bucket_us(i), 2 * stats_bucket_us(i - 1));
	}
}

static void
test_stats_methods_and_sums(void **state)
{
	struct stats s;
	int ping, dir;

	(void)state;
	stats_init(&s, 10);
	ping = stats_method_add(&s, "ping");
	dir = stats_method_add(&s, "get-cycle-dir");
	assert_int_equal(ping, 1);
	assert_int_equal(dir, 2);
	assert_string_equal(s.methods[STATS_UNKNOWN].name, "unknown");
	stats_request(&s, ping);
	stats_request(&s, ping);
	stats_request(&s, dir);
	stats_request(&s, STATS_UNKNOWN);
	/* A slot out of range counts as unknown, never out of bounds. */
	stats_request(&s, 99);
	stats_request(&s, -1);
	stats_error(&s, dir, RPC_ENOSPC);
	stats_error(&s, STATS_UNKNOWN, RPC_EMETHOD);
	stats_error(&s, ping, RPC_EINVAL);
	assert_int_equal(stats_requests(&s), 6);
	assert_int_equal(s.methods[STATS_UNKNOWN].requests, 3);
	assert_int_equal(stats_errors(&s, RPC_ENOSPC), 1);
	assert_int_equal(stats_errors(&s, RPC_EMETHOD), 1);
	assert_int_equal(stats_errors(&s, RPC_EINVAL), 1);
	stats_latency(&s, ping, 500);
	stats_latency(&s, ping, 3000);
	stats_latency(&s, ping, 100000000000ull);
	assert_int_equal(s.methods[ping].latency_count, 3);
	assert_int_equal(s.methods[ping].latency[0], 1);
	assert_int_equal(s.methods[ping].latency[2], 1);
	assert_int_equal(s.methods[ping].latency[STATS_BUCKETS], 1);
	assert_true(s.methods[ping].latency_sum_s > 100.0 &&
	    s.methods[ping].latency_sum_s < 100.1);
	/* The table is bounded. */
	while (s.nmethods < STATS_METHODS_MAX)
		assert_true(stats_method_add(&s, "m") > 0);
	assert_int_equal(stats_method_add(&s, "one too many"), -1);
	stats_free(&s);
}

static void
test_stats_datasets_capped(void **state)
{
	struct stats s;
	const char *names[] = { "c", "a", "b", "d", "a", "e" };

	(void)state;
	stats_init(&s, 3);
	for (size_t i = 0; i < 6; i++)
		stats_cycle_dir(&s, i % 2 ? KIND_PHYSICAL : KIND_SYNTHETIC,
		    names[i], i < 3, 0);
	/* The first three names, sorted; d and e together in other. */
	assert_int_equal(s.nds, 3);
	assert_string_equal(s.ds[0].name, "a");
	assert_string_equal(s.ds[1].name, "b");
	assert_string_equal(s.ds[2].name, "c");
	assert_int_equal(s.ds[0].misses[KIND_PHYSICAL], 1);	/* a, created */
	assert_int_equal(s.ds[0].hits[KIND_SYNTHETIC], 1);	/* a, again */
	assert_int_equal(s.ds[1].misses[KIND_SYNTHETIC], 1);
	assert_int_equal(s.ds[2].misses[KIND_SYNTHETIC], 1);
	assert_int_equal(s.other.hits[KIND_PHYSICAL], 2);	/* d, e */
	assert_int_equal(s.other.misses[KIND_PHYSICAL], 0);
	assert_true(s.other.last_asked > 0 && s.ds[0].last_asked > 0);
	stats_free(&s);
}

/* Within two seconds either side of a time(NULL) reading. */
static bool
near(double t, double want)
{
	return t > want - 2 && t < want + 2;
}

/*
 * last_asked is the Unix time of the answer, given as uv_hrtime: 0 is
 * now, 5 s ago is 5 s before now, and one instant gives
 * one time however often it is given.
 */
static void
test_stats_last_asked(void **state)
{
	struct stats s;
	uint64_t ago = uv_hrtime() - 5000000000u;
	double now = (double)time(NULL);

	(void)state;
	stats_init(&s, 4);
	stats_cycle_dir(&s, KIND_SYNTHETIC, "a", true, 0);
	assert_true(near(s.ds[0].last_asked, now));
	stats_cycle_dir(&s, KIND_SYNTHETIC, "b", true, ago);
	assert_true(near(s.ds[1].last_asked, now - 5));
	stats_cycle_dir(&s, KIND_SYNTHETIC, "a", false, ago);
	assert_true(s.ds[0].last_asked == s.ds[1].last_asked);
	stats_free(&s);
}

/* The reply's fields are exactly PROTOCOL.md's, counted right. */
static void
test_stats_pack(void **state)
{
	struct stats s;
	struct tally t = { 0 };
	struct tally_cycle cy = { KIND_SYNTHETIC, 4, 100, 2 };
	struct events_stats es = { .notifications = 5, .dropped = 1 };
	struct rpc_container m;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	const msgpack_object *o;

	(void)state;
	stats_init(&s, 4);
	stats_method_add(&s, "ping");
	stats_cycle_dir(&s, KIND_SYNTHETIC, "burgers_128", true, 0);
	t.cy = &cy;
	t.ncy = 1;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_map_begin(&m, &pk);
	stats_pack(&m, &s, &t, &es, 2);
	rpc_map_end(&m);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	o = &u.data;
	assert_int_equal(o->via.map.size, 6);
	assert_int_equal(rpc_map_get(o, "latency_buckets_us")->via.array.size,
	    STATS_BUCKETS);
	o = rpc_map_get(rpc_map_get(&u.data, "methods"), "ping");
	assert_non_null(o);
	assert_int_equal(rpc_map_get(rpc_map_get(o, "latency"),
	    "counts")->via.array.size, STATS_BUCKETS + 1);
	assert_int_equal(rpc_map_get(o, "errors")->via.map.size,
	    RPC_ERROR_COUNT - 1);
	o = rpc_map_get(rpc_map_get(rpc_map_get(&u.data, "cycle_dirs"),
	    "datasets"), "burgers_128");
	assert_int_equal(rpc_map_get(rpc_map_get(o, "misses"),
	    "synthetic")->via.u64, 1);
	o = rpc_map_get(&u.data, "cycles");
	assert_int_equal(o->via.array.size, 1);
	assert_int_equal(rpc_map_get(&o->via.array.ptr[0], "bytes")->via.u64,
	    100);
	o = rpc_map_get(&u.data, "events");
	assert_int_equal(rpc_map_get(o, "subscribers")->via.u64, 2);
	assert_int_equal(rpc_map_get(o, "dropped")->via.u64, 1);
	assert_int_equal(rpc_map_get(o, "emitted")->via.map.size,
	    EV_ALL_COUNT);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	stats_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_bucket_edges),
		cmocka_unit_test(test_stats_methods_and_sums),
		cmocka_unit_test(test_stats_datasets_capped),
		cmocka_unit_test(test_stats_last_asked),
		cmocka_unit_test(test_stats_pack),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
