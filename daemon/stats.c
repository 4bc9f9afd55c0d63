/* stats.c: per-method counters and latencies, per-dataset uses. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "array.h"

static double
unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The Unix time of mono (uv_hrtime), without a clock read per
 * request: the offset between the two clocks is read again once mono
 * is a second past the last reading, so a step of the wall clock shows
 * within a second, and one instant gives one time.
 */
static double
unix_at(struct stats *s, uint64_t mono)
{
	if (mono == 0 || s->wall_read == 0 || (mono > s->wall_read &&
	    mono - s->wall_read >= 1000000000u)) {
		uint64_t m = uv_hrtime();
		s->wall_offset = unix_now() - (double)m / 1e9;
		s->wall_read = m;
		if (mono == 0)
			mono = m;
	}
	return s->wall_offset + (double)mono / 1e9;
}

void
stats_init(struct stats *s, size_t max_datasets)
{
	memset(s, 0, sizeof(*s));
	s->methods[STATS_UNKNOWN].name = "unknown";
	s->nmethods = 1;
	s->max_datasets = max_datasets;
	snprintf(s->other.name, sizeof(s->other.name), "other");
	s->since = unix_now();
}

void
stats_free(struct stats *s)
{
	free(s->ds);
	s->ds = NULL;
	s->nds = s->capds = 0;
}

int
stats_method_add(struct stats *s, const char *name)
{
	if (s->nmethods == STATS_METHODS_MAX)
		return -1;
	s->methods[s->nmethods].name = name;
	return s->nmethods++;
}

/* A slot out of range (a reply made without one) counts as unknown. */
static struct stats_method *
slot(struct stats *s, int method)
{
	return &s->methods[method > 0 && method < s->nmethods ? method :
	    STATS_UNKNOWN];
}

void
stats_request(struct stats *s, int method)
{
	slot(s, method)->requests++;
}

void
stats_job(struct stats *s, int method)
{
	slot(s, method)->jobs++;
}

void
stats_error(struct stats *s, int method, enum rpc_error code)
{
	slot(s, method)->errors[code]++;
}

int
stats_bucket(uint64_t ns)
{
	/* The smallest i with ns <= 1000 * 2^i: whole microseconds, up. */
	uint64_t us = ns / 1000 + (ns % 1000 != 0);
	int i;

	if (us <= 1)
		return 0;
	i = 64 - __builtin_clzll(us - 1);
	return i < STATS_BUCKETS ? i : STATS_BUCKETS;
}

uint64_t
stats_bucket_us(int i)
{
	return (uint64_t)1 << i;
}

void
stats_latency(struct stats *s, int method, uint64_t ns)
{
	struct stats_method *m = slot(s, method);

	m->latency[stats_bucket(ns)]++;
	m->latency_count++;
	m->latency_sum_s += (double)ns / 1e9;
}

uint64_t
stats_requests(const struct stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < s->nmethods; i++)
		n += s->methods[i].requests;
	return n;
}

uint64_t
stats_errors(const struct stats *s, enum rpc_error code)
{
	uint64_t n = 0;

	for (int i = 0; i < s->nmethods; i++)
		n += s->methods[i].errors[code];
	return n;
}

/* The dataset's entry, added if there is room; else other. */
static struct stats_dataset *
dataset(struct stats *s, const char *name)
{
	size_t lo = 0, hi = s->nds;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->ds[mid].name, name);
		if (c == 0)
			return &s->ds[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (s->nds >= s->max_datasets || strlen(name) > HYCO_DATASET_MAX ||
	    array_grow((void **)&s->ds, &s->capds, s->nds + 1,
	    sizeof(*s->ds)) == -1)
		return &s->other;
	memmove(&s->ds[lo + 1], &s->ds[lo], (s->nds - lo) * sizeof(*s->ds));
	memset(&s->ds[lo], 0, sizeof(*s->ds));
	strcpy(s->ds[lo].name, name);
	s->nds++;
	return &s->ds[lo];
}

void
stats_cycle_dir(struct stats *s, int kind, const char *name, bool created,
    uint64_t answered)
{
	struct stats_dataset *d = dataset(s, name);

	if (created)
		d->misses[kind]++;
	else
		d->hits[kind]++;
	d->last_asked = unix_at(s, answered);
}

/* -- the stats reply -------------------------------------------------- */

/* {"synthetic": n, "physical": n} */
static void
pack_kinds(struct rpc_container *m, const char *key, const uint64_t *v)
{
	struct rpc_container k;

	rpc_map_key(m, key);
	rpc_map_begin(&k, m->pk);
	for (int i = 0; i < KIND_COUNT; i++)
		rpc_kv_u64(&k, layout_kind_names[i], v[i]);
	rpc_map_end(&k);
}

static void
pack_dataset(msgpack_packer *pk, const struct stats_dataset *d)
{
	struct rpc_container m;

	rpc_map_begin(&m, pk);
	pack_kinds(&m, "hits", d->hits);
	pack_kinds(&m, "misses", d->misses);
	rpc_kv_double(&m, "last_asked", d->last_asked);
	rpc_map_end(&m);
}

static void
pack_method(msgpack_packer *pk, const struct stats_method *sm)
{
	struct rpc_container m, e, l, a;

	rpc_map_begin(&m, pk);
	rpc_kv_u64(&m, "requests", sm->requests);
	rpc_map_key(&m, "errors");
	rpc_map_begin(&e, pk);
	for (int code = RPC_OK + 1; code < RPC_ERROR_COUNT; code++)
		rpc_kv_u64(&e, rpc_error_codes[code], sm->errors[code]);
	rpc_map_end(&e);
	rpc_map_key(&m, "latency");
	rpc_map_begin(&l, pk);
	rpc_kv_u64(&l, "count", sm->latency_count);
	rpc_kv_double(&l, "sum_s", sm->latency_sum_s);
	rpc_map_key(&l, "counts");
	rpc_array_begin(&a, pk);
	for (int i = 0; i <= STATS_BUCKETS; i++) {
		rpc_array_next(&a);
		msgpack_pack_uint64(pk, sm->latency[i]);
	}
	rpc_array_end(&a);
	rpc_map_end(&l);
	rpc_map_end(&m);
}

void
stats_pack(struct rpc_container *m, const struct stats *s,
    const struct tally *t, const struct events_stats *es,
    size_t subscribers)
{
	struct rpc_container sub, a, c;

	rpc_kv_double(m, "since", s->since);
	rpc_map_key(m, "latency_buckets_us");
	rpc_array_begin(&a, m->pk);
	for (int i = 0; i < STATS_BUCKETS; i++) {
		rpc_array_next(&a);
		msgpack_pack_uint64(m->pk, stats_bucket_us(i));
	}
	rpc_array_end(&a);
	rpc_map_key(m, "methods");
	rpc_map_begin(&sub, m->pk);
	for (int i = 0; i < s->nmethods; i++) {
		rpc_map_key(&sub, s->methods[i].name);
		pack_method(m->pk, &s->methods[i]);
	}
	rpc_map_end(&sub);
	rpc_map_key(m, "cycle_dirs");
	rpc_map_begin(&sub, m->pk);
	rpc_kv_u64(&sub, "max_datasets", s->max_datasets);
	rpc_map_key(&sub, "datasets");
	rpc_map_begin(&c, m->pk);
	for (size_t i = 0; i < s->nds; i++) {
		rpc_map_key(&c, s->ds[i].name);
		pack_dataset(m->pk, &s->ds[i]);
	}
	rpc_map_end(&c);
	rpc_map_key(&sub, "other");
	pack_dataset(m->pk, &s->other);
	rpc_map_end(&sub);
	rpc_map_key(m, "cycles");
	rpc_array_begin(&a, m->pk);
	for (size_t i = 0; i < t->ncy; i++) {
		rpc_array_next(&a);
		rpc_map_begin(&c, m->pk);
		rpc_map_key(&c, "kind");
		rpc_pack_cstr(m->pk, layout_kind_names[t->cy[i].kind]);
		rpc_map_key(&c, "cycle");
		msgpack_pack_long(m->pk, t->cy[i].cycle);
		rpc_kv_u64(&c, "bytes", t->cy[i].bytes);
		rpc_kv_u64(&c, "files", t->cy[i].files);
		rpc_map_end(&c);
	}
	rpc_array_end(&a);
	rpc_map_key(m, "events");
	rpc_map_begin(&sub, m->pk);
	rpc_kv_u64(&sub, "subscribers", subscribers);
	rpc_kv_u64(&sub, "subscribes", es->subscribes);
	rpc_kv_u64(&sub, "notifications", es->notifications);
	rpc_kv_u64(&sub, "dropped", es->dropped);
	rpc_map_key(&sub, "emitted");
	rpc_map_begin(&c, m->pk);
	for (int i = 0; i < EV_ALL_COUNT; i++)
		rpc_kv_u64(&c, events_type_names[i], es->emitted[i]);
	rpc_map_end(&c);
	rpc_map_end(&sub);
}
