/*
 * test_events.c: events.c against a stand-in server. The conn_* calls
 * events.c makes are defined here: each connection is a buffer of what
 * was written to it, a queue size the test sets, and flags for close
 * and abort. Every event type is packed and read back field by field;
 * subscribers get only their types; one whose queue is full is dropped
 * with a last notification if it fits, closed, and aborted after the
 * grace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "layout.h"
#include "proto.h"

/* -- the stand-in server ------------------------------------------------ */

struct conn {
	msgpack_sbuffer	 written;	/* every notification, in order */
	size_t		 queued;	/* what conn_queued says */
	int		 refs;
	bool		 open, closed, aborted;
	bool		 fail_writes;
};

size_t
conn_queued(const struct conn *c)
{
	return c->queued + c->written.size;
}

int
conn_write(struct conn *c, const char *buf, size_t len)
{
	if (c->fail_writes)
		return -1;
	msgpack_sbuffer_write(&c->written, buf, len);
	return 0;
}

void
conn_close(struct conn *c)
{
	c->open = false;
	c->closed = true;
}

void
conn_abort(struct conn *c)
{
	c->open = false;
	c->aborted = true;
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	c->refs--;
}

bool
conn_is_open(const struct conn *c)
{
	return c->open;
}

static void
conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	msgpack_sbuffer_init(&c->written);
	c->refs = 1;
	c->open = true;
}

/* The notifications written to c, unpacked: their event maps. */
struct got {
	msgpack_unpacked	 msgs[64];
	const msgpack_object	*ev[64];
	size_t			 n;
};

static void
got_read(struct got *g, const struct conn *c)
{
	size_t off = 0;

	memset(g, 0, sizeof(*g));
	while (g->n < 64) {
		msgpack_unpacked_init(&g->msgs[g->n]);
		if (msgpack_unpack_next(&g->msgs[g->n], c->written.data,
		    c->written.size, &off) != MSGPACK_UNPACK_SUCCESS) {
			msgpack_unpacked_destroy(&g->msgs[g->n]);
			break;
		}
		const msgpack_object *o = &g->msgs[g->n].data;
		/* [2, "event", [{...}]] exactly. */
		assert_int_equal(o->type, MSGPACK_OBJECT_ARRAY);
		assert_int_equal(o->via.array.size, 3);
		assert_int_equal(o->via.array.ptr[0].via.u64, 2);
		assert_true(rpc_obj_is_str(&o->via.array.ptr[1], "event"));
		assert_int_equal(o->via.array.ptr[2].type, MSGPACK_OBJECT_ARRAY);
		assert_int_equal(o->via.array.ptr[2].via.array.size, 1);
		g->ev[g->n] = &o->via.array.ptr[2].via.array.ptr[0];
		assert_int_equal(g->ev[g->n]->type, MSGPACK_OBJECT_MAP);
		g->n++;
	}
	assert_int_equal(off, c->written.size);
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		msgpack_unpacked_destroy(&g->msgs[i]);
}

/* The event's fields, as "key=value key=value", in packed order. */
static const char *
fields(const msgpack_object *ev)
{
	static char buf[2048];
	size_t k = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < ev->via.map.size; i++) {
		const msgpack_object *key = &ev->via.map.ptr[i].key;
		const msgpack_object *v = &ev->via.map.ptr[i].val;
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%.*s=",
		    i ? " " : "", (int)key->via.str.size, key->via.str.ptr);
		switch (v->type) {
		case MSGPACK_OBJECT_STR:
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%.*s",
			    (int)v->via.str.size, v->via.str.ptr);
			break;
		case MSGPACK_OBJECT_POSITIVE_INTEGER:
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%llu",
			    (unsigned long long)v->via.u64);
			break;
		case MSGPACK_OBJECT_FLOAT64:
			/* time varies: only say it is a float */
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s",
			    rpc_obj_is_str(key, "time") ? "F" : "");
			if (!rpc_obj_is_str(key, "time"))
				k += (size_t)snprintf(buf + k, sizeof(buf) - k,
				    "%g", v->via.f64);
			break;
		case MSGPACK_OBJECT_BOOLEAN:
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s",
			    v->via.boolean ? "true" : "false");
			break;
		case MSGPACK_OBJECT_NIL:
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "nil");
			break;
		default:
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "?");
		}
	}
	return buf;
}

/* -- tests -------------------------------------------------------------- */

static void
test_events_every_type_packed(void **state)
{
	struct events ev;
	struct conn a;
	struct got g;
	struct disk_usage du = { 1000, 5000, 10, 50 };

	(void)state;
	conn_init(&a);
	events_start(&ev, uv_default_loop(), 1 << 20);
	assert_int_equal(events_subscribe(&ev, &a, EVENTS_ALL), 0);
	events_cycle_created(&ev, KIND_SYNTHETIC, 3, "burgers_128",
	    "/c/generated/synthetic_preds/cycle_003/burgers_128");
	events_cycle_removed(&ev, KIND_PHYSICAL, 1000, "/c/p/cycle_1000", 42,
	    "keep_last_cycles");
	events_prune(&ev, 3, 700, 2, 1);
	events_exact(&ev, false, "overflow", 0);
	events_exact(&ev, true, "overflow", 1.5);
	events_reload(&ev, false, "x.yaml:3: bad");
	events_alert(&ev, "/c", "8:1", EVENTS_LEVEL_OK,
	    EVENTS_LEVEL_CRITICAL, &du, NAN);
	events_alert(&ev, "/c", "8:1", EVENTS_LEVEL_CRITICAL,
	    EVENTS_LEVEL_WARNING, &du, 3600);
	/* A level out of range is the caller's bug: nothing is sent. */
	events_alert(&ev, "/c", "8:1", 0, 7, &du, NAN);
	events_shutdown(&ev, "SIGTERM");
	got_read(&g, &a);
	assert_int_equal(g.n, 9);
	assert_string_equal(fields(g.ev[0]), "type=cycle_created time=F "
	    "kind=synthetic cycle=3 dataset=burgers_128 "
	    "path=/c/generated/synthetic_preds/cycle_003/burgers_128");
	assert_string_equal(fields(g.ev[1]), "type=cycle_removed time=F "
	    "kind=physical cycle=1000 path=/c/p/cycle_1000 bytes=42 "
	    "why=keep_last_cycles");
	assert_string_equal(fields(g.ev[2]), "type=prune time=F items=3 "
	    "bytes=700 cycles=2 datasets=1");
	assert_string_equal(fields(g.ev[3]), "type=exact_lost time=F "
	    "why=overflow");
	assert_string_equal(fields(g.ev[4]), "type=exact_regained time=F "
	    "why=overflow lost_s=1.5");
	assert_string_equal(fields(g.ev[5]), "type=reload time=F ok=false "
	    "message=x.yaml:3: bad");
	assert_string_equal(fields(g.ev[6]), "type=alert time=F path=/c "
	    "device=8:1 from=ok to=critical free_bytes=1000 total_bytes=5000 "
	    "free_inodes=10 total_inodes=50 time_to_full_s=nil");
	assert_string_equal(fields(g.ev[7]), "type=alert time=F path=/c "
	    "device=8:1 from=critical to=warning free_bytes=1000 "
	    "total_bytes=5000 free_inodes=10 total_inodes=50 "
	    "time_to_full_s=3600");
	assert_string_equal(fields(g.ev[8]), "type=shutdown time=F "
	    "signal=SIGTERM");
	/* Time is Unix time, now. */
	for (uint32_t i = 0; i < g.ev[0]->via.map.size; i++)
		if (rpc_obj_is_str(&g.ev[0]->via.map.ptr[i].key, "time"))
			assert_true(fabs(g.ev[0]->via.map.ptr[i].val.via.f64 -
			    (double)time(NULL)) < 5);
	assert_int_equal(ev.stats.notifications, 9);
	assert_int_equal(ev.stats.emitted[EV_ALERT], 2);
	got_free(&g);
	events_close(&ev);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	msgpack_sbuffer_destroy(&a.written);
}

static void
test_events_types_filter(void **state)
{
	struct events ev;
	struct conn a, b, quiet;
	struct got g;

	(void)state;
	conn_init(&a);
	conn_init(&b);
	conn_init(&quiet);
	events_start(&ev, uv_default_loop(), 1 << 20);
	/* Nobody wants it: counted, not packed. */
	events_prune(&ev, 1, 1, 1, 0);
	assert_int_equal(ev.stats.emitted[EV_PRUNE], 1);
	assert_int_equal(ev.stats.notifications, 0);
	assert_int_equal(events_subscribe(&ev, &a, 1u << EV_PRUNE), 0);
	assert_int_equal(events_subscribe(&ev, &b, EVENTS_ALL), 0);
	assert_int_equal(events_subscribe(&ev, &quiet, EVENTS_ALL), 0);
	assert_true(events_unsubscribe(&ev, &quiet));
	assert_false(events_unsubscribe(&ev, &quiet));
	/* Subscribing again replaces the set. */
	assert_int_equal(events_subscribe(&ev, &b, 1u << EV_CYCLE_CREATED),
	    0);
	assert_int_equal(events_subscribers(&ev), 2);
	events_prune(&ev, 2, 20, 1, 1);
	events_cycle_created(&ev, KIND_PHYSICAL, 7, "d", "/p");
	got_read(&g, &a);
	assert_int_equal(g.n, 1);
	assert_string_equal(fields(g.ev[0]), "type=prune time=F items=2 "
	    "bytes=20 cycles=1 datasets=1");
	got_free(&g);
	got_read(&g, &b);
	assert_int_equal(g.n, 1);
	assert_string_equal(fields(g.ev[0]), "type=cycle_created time=F "
	    "kind=physical cycle=7 dataset=d path=/p");
	got_free(&g);
	assert_int_equal(quiet.written.size, 0);
	/* A closed connection stops being a subscriber. */
	events_closed(&ev, &a);
	assert_int_equal(events_subscribers(&ev), 1);
	events_close(&ev);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	msgpack_sbuffer_destroy(&a.written);
	msgpack_sbuffer_destroy(&b.written);
	msgpack_sbuffer_destroy(&quiet.written);
}

static void
test_events_parse_types(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	unsigned mask = 0;
	char why[256];
	const char *lists[][3] = {
		{ "prune", "exact_lost", NULL },	/* fine */
		{ "prune", "nope", NULL },		/* unknown */
		{ "dropped", NULL, NULL },		/* sent unasked only */
		{ NULL, NULL, NULL },			/* empty */
	};

	(void)state;
	assert_int_equal(events_parse_types(NULL, &mask, why, sizeof(why)), 0);
	assert_int_equal(mask, EVENTS_ALL);
	for (size_t l = 0; l < 4; l++) {
		size_t n = 0;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		while (n < 3 && lists[l][n] != NULL)
			n++;
		msgpack_pack_array(&pk, n);
		for (size_t i = 0; i < n; i++)
			rpc_pack_cstr(&pk, lists[l][i]);
		msgpack_unpacked_init(&u);
		msgpack_unpack_next(&u, sb.data, sb.size, NULL);
		assert_int_equal(events_parse_types(&u.data, &mask, why,
		    sizeof(why)), l == 0 ? 0 : -1);
		if (l == 0)
			assert_int_equal(mask, (1u << EV_PRUNE) |
			    (1u << EV_EXACT_LOST));
		else if (l == 1)
			assert_non_null(strstr(why, "events[1]"));
		msgpack_unpacked_destroy(&u);
		msgpack_sbuffer_destroy(&sb);
	}
	/* Not a list at all. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_cstr(&pk, "prune");
	msgpack_unpacked_init(&u);
	msgpack_unpack_next(&u, sb.data, sb.size, NULL);
	assert_int_equal(events_parse_types(&u.data, &mask, why, sizeof(why)),
	    -1);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * A subscriber over the cap: dropped (counted, out of the list), told
 * so when that fits, closed after its queue, aborted after the grace;
 * the others go on receiving.
 */
static void
test_events_slow_subscriber_dropped(void **state)
{
	struct events ev;
	struct conn slow, full, ok;
	struct got g;
	const size_t cap = 4096;

	(void)state;
	conn_init(&slow);
	conn_init(&full);
	conn_init(&ok);
	events_start(&ev, uv_default_loop(), cap);
	events_subscribe(&ev, &slow, EVENTS_ALL);
	events_subscribe(&ev, &full, EVENTS_ALL);
	events_subscribe(&ev, &ok, EVENTS_ALL);
	/* slow: room for the dropped notice, not the event; full: none. */
	slow.queued = cap - 150;
	full.queued = cap;
	events_cycle_created(&ev, KIND_SYNTHETIC, 1, "d", "/a/path/that/is/"
	    "long/enough/to/be/over/one/hundred/and/fifty/bytes/once/it/is/"
	    "packed/with/the/other/fields/of/the/event/xxxxxxxxxxxxxxxx");
	assert_int_equal(ev.stats.dropped, 2);
	assert_int_equal(events_subscribers(&ev), 1);
	assert_true(slow.closed && full.closed);
	assert_false(slow.aborted || full.aborted);
	/* Held until the grace ends. */
	assert_int_equal(slow.refs, 2);
	got_read(&g, &slow);
	assert_int_equal(g.n, 1);
	assert_string_equal(fields(g.ev[0]), "type=dropped time=F "
	    "queued_bytes=3946 max_queued_bytes=4096");
	got_free(&g);
	assert_int_equal(full.written.size, 0);
	got_read(&g, &ok);
	assert_int_equal(g.n, 1);
	got_free(&g);
	/* Dropped ones hear nothing more; the others do. */
	events_prune(&ev, 1, 2, 1, 0);
	got_read(&g, &ok);
	assert_int_equal(g.n, 2);
	got_free(&g);
	got_read(&g, &slow);
	assert_int_equal(g.n, 1);
	got_free(&g);
	/* The grace: both aborted, their references given back. */
	uv_run(uv_default_loop(), UV_RUN_ONCE);
	assert_true(slow.aborted && full.aborted);
	assert_int_equal(slow.refs, 1);
	assert_int_equal(full.refs, 1);
	/* A write that fails (the server closes it) is not counted. */
	ok.fail_writes = true;
	uint64_t before = ev.stats.notifications;
	events_prune(&ev, 1, 2, 1, 0);
	assert_int_equal(ev.stats.notifications, before);
	events_close(&ev);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	msgpack_sbuffer_destroy(&slow.written);
	msgpack_sbuffer_destroy(&full.written);
	msgpack_sbuffer_destroy(&ok.written);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_every_type_packed),
		cmocka_unit_test(test_events_types_filter),
		cmocka_unit_test(test_events_parse_types),
		cmocka_unit_test(test_events_slow_subscriber_dropped),
	};
	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
