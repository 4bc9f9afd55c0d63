/*
 * test_integration_obs.c: libhyco's events, stats and metrics calls
 * against a real hycod: events read with hyco_next_event, kept when they
 * arrive during a call, a timeout that keeps the subscription, the end
 * of a subscription (unsubscribe, the daemon stopping); hyco_stats in
 * agreement with hyco_summary; hyco_metrics' text.
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "hyco.h"
#include "integration.h"
#include "testutil.h"

/* The string field key of an event, or "". */
static const char *
field(const hyco_value *ev, const char *key, char *buf, size_t size)
{
	size_t len;
	const char *s = hyco_value_str(hyco_map_get(ev, key), &len);

	snprintf(buf, size, "%.*s", s ? (int)len : 0, s ? s : "");
	return buf;
}

static void
test_integration_events(void **state)
{
	hyco_client *sub = hyco_new(sock), *c = hyco_new(sock);
	const char *types[] = { "cycle_created", "shutdown" };
	const hyco_value *ev, *r;
	char path[4096], buf[4096];
	struct hyco_ping p;
	int64_t cycle;
	double t;

	(void)state;
	/* Not subscribed: nothing to wait for. */
	assert_int_equal(hyco_next_event(sub, 0, &ev), HYCO_ECONNECT);
	const char *bad[] = { "nope" };
	assert_int_equal(hyco_subscribe(sub, bad, 1), HYCO_EREFUSED);
	assert_string_equal(hyco_error_code(sub), "invalid_argument");
	assert_int_equal(hyco_subscribe(sub, types, 2), HYCO_OK);
	assert_int_equal(hyco_array_len(hyco_map_get(hyco_result(sub),
	    "events")), 2);
	/* Nothing yet: a timeout, and the subscription stays. */
	assert_int_equal(hyco_next_event(sub, 50, &ev), HYCO_ETIMEOUT);
	assert_null(ev);
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 4, "ds", path,
	    sizeof(path), NULL), HYCO_OK);
	assert_int_equal(hyco_next_event(sub, 5000, &ev), HYCO_OK);
	assert_string_equal(field(ev, "type", buf, sizeof(buf)),
	    "cycle_created");
	assert_string_equal(field(ev, "path", buf, sizeof(buf)), path);
	assert_string_equal(field(ev, "dataset", buf, sizeof(buf)), "ds");
	assert_int_equal(hyco_value_int(hyco_map_get(ev, "cycle"), &cycle), 0);
	assert_int_equal(cycle, 4);
	assert_int_equal(hyco_value_float(hyco_map_get(ev, "time"), &t), 0);
	assert_true(fabs(t - (double)time(NULL)) < 60);
	/*
	 * An event queued before a call's reply: the call gets its reply,
	 * the event is kept for hyco_next_event.
	 */
	assert_int_equal(hyco_get_cycle_dir(c, "physical", 5, "ds", path,
	    sizeof(path), NULL), HYCO_OK);
	assert_int_equal(hyco_ping(sub, &p), HYCO_OK);
	assert_int_equal(p.pid, daemon_pid);
	assert_int_equal(hyco_next_event(sub, 0, &ev), HYCO_OK);
	assert_string_equal(field(ev, "path", buf, sizeof(buf)), path);
	assert_int_equal(hyco_next_event(sub, 0, &ev), HYCO_ETIMEOUT);
	/* Unsubscribed: no events; a second subscriber sees the end. */
	assert_int_equal(hyco_unsubscribe(sub), HYCO_OK);
	assert_int_equal(hyco_call(sub, "unsubscribe", NULL, 0, &r), HYCO_OK);
	assert_int_equal(hyco_value_type(hyco_map_get(r, "was_subscribed")),
	    HYCO_TYPE_BOOL);
	assert_int_equal(hyco_next_event(sub, 0, &ev), HYCO_ECONNECT);
	hyco_client *last = hyco_new(sock);
	assert_int_equal(hyco_subscribe(last, NULL, 0), HYCO_OK);
	assert_int_equal(stop_daemon(SIGTERM), 0);
	assert_int_equal(hyco_next_event(last, 5000, &ev), HYCO_OK);
	assert_string_equal(field(ev, "type", buf, sizeof(buf)), "shutdown");
	assert_string_equal(field(ev, "signal", buf, sizeof(buf)), "SIGTERM");
	assert_int_equal(hyco_next_event(last, 5000, &ev), HYCO_ECONNECT);
	hyco_free(last);
	hyco_free(sub);
	hyco_free(c);
}

static void
test_integration_stats_metrics(void **state)
{
	hyco_client *c = hyco_new(sock);
	struct hyco_summary s;
	struct hyco_stats st;
	char path[4096];
	const char *text;
	size_t len;
	uint64_t requests = 0, einval = 0;

	(void)state;
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 1, "ds_a", path,
	    sizeof(path), NULL), HYCO_OK);
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", 1, "ds_a", path,
	    sizeof(path), NULL), HYCO_OK);
	assert_int_equal(hyco_get_cycle_dir(c, "synthetic", -1, NULL, path,
	    sizeof(path), NULL), HYCO_EREFUSED);
	assert_int_equal(hyco_summary(c, &s), HYCO_OK);
	assert_int_equal(hyco_stats(c, &st), HYCO_OK);
	/* stats' counters sum to summary's (its own request aside). */
	for (size_t i = 0; i < st.nmethods; i++) {
		requests += st.methods[i]->requests;
		einval += st.methods[i]->errors_invalid_argument;
		assert_int_equal(st.methods[i]->nlatency, st.nbuckets + 1);
		if (strcmp(st.methods[i]->name, "get-cycle-dir") == 0) {
			assert_int_equal(st.methods[i]->requests, 3);
			assert_int_equal(st.methods[i]->errors_invalid_argument, 1);
			assert_int_equal(st.methods[i]->latency_count, 3);
		}
	}
	assert_int_equal(requests, s.requests + 1);
	assert_int_equal(einval, s.errors_invalid_argument);
	assert_int_equal(st.ndatasets, 1);
	assert_string_equal(st.datasets[0]->name, "ds_a");
	assert_int_equal(st.datasets[0]->misses_synthetic, 1);
	assert_int_equal(st.datasets[0]->hits_synthetic, 1);
	assert_true(st.datasets[0]->last_asked > 0);
	assert_int_equal(st.nbuckets, 25);
	assert_int_equal(st.latency_buckets_us[0], 1);
	assert_int_equal(st.ncycles, 1);
	assert_int_equal(st.emitted_cycle_created, 1);
	hyco_stats_free(&st);
	hyco_summary_free(&s);
	assert_int_equal(hyco_metrics(c, &text, &len), HYCO_OK);
	assert_true(len > 1000);
	const char *want = "\nhyco_cycle_dir_misses_total{kind=\"synthetic\","
	    "dataset=\"ds_a\"} 1\n";
	assert_non_null(memmem(text, len, want, strlen(want)));
	hyco_free(c);
}

const struct CMUnitTest integration_obs_cases[] = {
	CASE(test_integration_events),
	CASE(test_integration_stats_metrics),
};
const size_t integration_obs_ncases = sizeof(integration_obs_cases) /
    sizeof(integration_obs_cases[0]);
