/* events.c: subscribers, and the events packed once for all of them. */
#include "events.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "layout.h"
#include "log.h"
#include "proto.h"

const char *const events_type_names[EV_ALL_COUNT] = {
	[EV_ALERT] = "alert",
	[EV_CYCLE_CREATED] = "cycle_created",
	[EV_CYCLE_REMOVED] = "cycle_removed",
	[EV_PRUNE] = "prune",
	[EV_EXACT_LOST] = "exact_lost",
	[EV_EXACT_REGAINED] = "exact_regained",
	[EV_RELOAD] = "reload",
	[EV_SHUTDOWN] = "shutdown",
	[EV_DROPPED] = "dropped",
};

const char *const events_level_names[EVENTS_LEVEL_COUNT] = {
	"ok", "warning", "critical"
};

struct events_sub {
	struct conn	*conn;
	unsigned	 mask;		/* 1 << enum event_type */
};

/* A dropped subscriber, closed by force at deadline if still open. */
struct events_dropping {
	struct conn	*conn;
	uint64_t	 deadline;	/* uv_now */
};

static double
unix_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* -- packing ---------------------------------------------------------- */

/* [2, "event", [{"type": ..., "time": ..., then the caller's fields. */
static void
pack_begin(msgpack_packer *pk, struct rpc_container *m, int type)
{
	msgpack_pack_array(pk, 3);
	msgpack_pack_uint8(pk, RPC_NOTIFY);
	rpc_pack_cstr(pk, "event");
	msgpack_pack_array(pk, 1);
	rpc_map_begin(m, pk);
	rpc_kv_str(m, "type", events_type_names[type]);
	rpc_kv_double(m, "time", unix_now());
}

/*
 * Start packing an event of type into ev->buf; false (and counted
 * only) when no subscriber wants it, so nothing is packed for nobody.
 */
static bool
begin(struct events *ev, struct rpc_container *m, int type)
{
	bool wanted = false;

	ev->stats.emitted[type]++;
	for (size_t i = 0; i < ev->nsubs && !wanted; i++)
		wanted = (ev->subs[i].mask & (1u << type)) != 0;
	if (!wanted || ev->closing)
		return false;
	msgpack_sbuffer_clear(&ev->buf);
	pack_begin(&ev->pk, m, type);
	return true;
}

/* -- dropping --------------------------------------------------------- */

static void
on_grace(uv_timer_t *h)
{
	struct events *ev = h->data;
	uint64_t now = uv_now(ev->loop), next = 0;
	size_t k = 0;

	for (size_t i = 0; i < ev->ndropping; i++) {
		struct events_dropping *d = &ev->dropping[i];
		if (d->deadline > now) {
			if (next == 0 || d->deadline < next)
				next = d->deadline;
			ev->dropping[k++] = *d;
			continue;
		}
		conn_abort(d->conn);	/* a no-op once it closed itself */
		conn_unref(d->conn);	/* taken in drop() */
	}
	ev->ndropping = k;
	if (k > 0)
		uv_timer_start(&ev->grace, on_grace, next - now, 0);
}

/*
 * Subscriber i would queue more than max_queued: tell it, if that
 * still fits, and close it. It leaves subs at once; the close may call
 * events_closed (nothing left to do then).
 */
static void
drop(struct events *ev, size_t i, size_t queued)
{
	struct conn *c = ev->subs[i].conn;
	struct rpc_container m;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	ev->subs[i] = ev->subs[--ev->nsubs];
	ev->stats.dropped++;
	ev->stats.emitted[EV_DROPPED]++;
	log_warnx("events: dropping a subscriber that does not read: %zu "
	    "bytes queued for it, events.max_queued_bytes is %zu", queued,
	    ev->max_queued);
	/* ev->buf holds the event that did not fit: pack this apart. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_begin(&pk, &m, EV_DROPPED);
	rpc_kv_u64(&m, "queued_bytes", queued);
	rpc_kv_u64(&m, "max_queued_bytes", ev->max_queued);
	rpc_map_end(&m);
	if (queued + sb.size <= ev->max_queued &&
	    conn_write(c, sb.data, sb.size) == 0)
		ev->stats.notifications++;
	msgpack_sbuffer_destroy(&sb);
	if (array_grow((void **)&ev->dropping, &ev->capdropping,
	    ev->ndropping + 1, sizeof(*ev->dropping)) == -1) {
		conn_abort(c);
		return;
	}
	/* Held until the grace ends: conn_abort must not see freed memory. */
	conn_ref(c);
	ev->dropping[ev->ndropping++] = (struct events_dropping){ c,
	    uv_now(ev->loop) + EVENTS_DROP_GRACE_MS };
	if (!uv_is_active((uv_handle_t *)&ev->grace))
		uv_timer_start(&ev->grace, on_grace, EVENTS_DROP_GRACE_MS, 0);
	conn_close(c);
}

/* Queue the event in ev->buf (map m) for every subscriber of type. */
static void
deliver(struct events *ev, struct rpc_container *m, int type)
{
	rpc_map_end(m);
	for (size_t i = 0; i < ev->nsubs;) {
		struct conn *c = ev->subs[i].conn;
		size_t queued = conn_queued(c);
		if (!(ev->subs[i].mask & (1u << type)) || !conn_is_open(c)) {
			i++;
			continue;
		}
		if (queued + ev->buf.size > ev->max_queued) {
			drop(ev, i, queued);	/* i now holds another */
			continue;
		}
		if (conn_write(c, ev->buf.data, ev->buf.size) == 0)
			ev->stats.notifications++;
		/* A failed write closes c, which may take it out of subs. */
		if (i < ev->nsubs && ev->subs[i].conn == c)
			i++;
	}
}

/* -- subscribers ------------------------------------------------------ */

void
events_start(struct events *ev, uv_loop_t *loop, size_t max_queued)
{
	memset(ev, 0, sizeof(*ev));
	ev->loop = loop;
	ev->max_queued = max_queued;
	msgpack_sbuffer_init(&ev->buf);
	msgpack_packer_init(&ev->pk, &ev->buf, msgpack_sbuffer_write);
	uv_timer_init(loop, &ev->grace);
	ev->grace.data = ev;
	ev->started = true;
}

void
events_close(struct events *ev)
{
	if (!ev->started || ev->closing)
		return;
	ev->closing = true;
	uv_close((uv_handle_t *)&ev->grace, NULL);
	for (size_t i = 0; i < ev->ndropping; i++)
		conn_unref(ev->dropping[i].conn);	/* taken in drop() */
	free(ev->dropping);
	free(ev->subs);
	ev->dropping = NULL;
	ev->subs = NULL;
	ev->ndropping = ev->nsubs = 0;
	msgpack_sbuffer_destroy(&ev->buf);
}

int
events_parse_types(const msgpack_object *list, unsigned *mask, char *why,
    size_t size)
{
	if (list == NULL) {
		*mask = EVENTS_ALL;
		return 0;
	}
	if (list->type != MSGPACK_OBJECT_ARRAY || list->via.array.size == 0 ||
	    list->via.array.size > EVENTS_TYPES_MAX) {
		snprintf(why, size, "events must be a list of 1 to %d event "
		    "types", EVENTS_TYPES_MAX);
		return -1;
	}
	*mask = 0;
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		const msgpack_object *o = &list->via.array.ptr[i];
		int t;
		for (t = 0; t < EV_COUNT; t++)
			if (rpc_obj_is_str(o, events_type_names[t]))
				break;
		if (t == EV_COUNT) {
			snprintf(why, size, "events[%u] is not an event type "
			    "(alert, cycle_created, cycle_removed, prune, "
			    "exact_lost, exact_regained, reload, shutdown)", i);
			return -1;
		}
		*mask |= 1u << t;
	}
	return 0;
}

int
events_subscribe(struct events *ev, struct conn *c, unsigned mask)
{
	size_t i;

	for (i = 0; i < ev->nsubs; i++)
		if (ev->subs[i].conn == c)
			break;
	if (i == ev->nsubs) {
		if (array_grow((void **)&ev->subs, &ev->capsubs, i + 1,
		    sizeof(*ev->subs)) == -1)
			return -1;
		ev->nsubs++;
	}
	ev->subs[i] = (struct events_sub){ c, mask };
	ev->stats.subscribes++;
	return 0;
}

bool
events_unsubscribe(struct events *ev, struct conn *c)
{
	for (size_t i = 0; i < ev->nsubs; i++)
		if (ev->subs[i].conn == c) {
			ev->subs[i] = ev->subs[--ev->nsubs];
			return true;
		}
	return false;
}

void
events_closed(struct events *ev, struct conn *c)
{
	(void)events_unsubscribe(ev, c);
}

size_t
events_subscribers(const struct events *ev)
{
	return ev->nsubs;
}

/* -- emitters --------------------------------------------------------- */

void
events_cycle_created(struct events *ev, int kind, long cycle,
    const char *dataset, const char *path)
{
	struct rpc_container m;

	if (!begin(ev, &m, EV_CYCLE_CREATED))
		return;
	rpc_kv_str(&m, "kind", layout_kind_names[kind]);
	rpc_map_key(&m, "cycle");
	msgpack_pack_long(m.pk, cycle);
	rpc_kv_str(&m, "dataset", dataset);
	rpc_kv_str(&m, "path", path);
	deliver(ev, &m, EV_CYCLE_CREATED);
}

void
events_cycle_removed(struct events *ev, int kind, long cycle,
    const char *path, uint64_t bytes, const char *why)
{
	struct rpc_container m;

	if (!begin(ev, &m, EV_CYCLE_REMOVED))
		return;
	rpc_kv_str(&m, "kind", layout_kind_names[kind]);
	rpc_map_key(&m, "cycle");
	msgpack_pack_long(m.pk, cycle);
	rpc_kv_str(&m, "path", path);
	rpc_kv_u64(&m, "bytes", bytes);
	rpc_kv_str(&m, "why", why);
	deliver(ev, &m, EV_CYCLE_REMOVED);
}

void
events_prune(struct events *ev, uint64_t items, uint64_t bytes,
    uint64_t cycles, uint64_t datasets)
{
	struct rpc_container m;

	if (!begin(ev, &m, EV_PRUNE))
		return;
	rpc_kv_u64(&m, "items", items);
	rpc_kv_u64(&m, "bytes", bytes);
	rpc_kv_u64(&m, "cycles", cycles);
	rpc_kv_u64(&m, "datasets", datasets);
	deliver(ev, &m, EV_PRUNE);
}

void
events_exact(struct events *ev, bool exact, const char *why, double lost_s)
{
	int type = exact ? EV_EXACT_REGAINED : EV_EXACT_LOST;
	struct rpc_container m;

	if (!begin(ev, &m, type))
		return;
	rpc_kv_str(&m, "why", why);
	if (exact)
		rpc_kv_double(&m, "lost_s", lost_s);
	deliver(ev, &m, type);
}

void
events_reload(struct events *ev, bool ok, const char *message)
{
	struct rpc_container m;

	if (!begin(ev, &m, EV_RELOAD))
		return;
	rpc_map_key(&m, "ok");
	ok ? msgpack_pack_true(m.pk) : msgpack_pack_false(m.pk);
	rpc_kv_str(&m, "message", message != NULL ? message : "");
	deliver(ev, &m, EV_RELOAD);
}

void
events_shutdown(struct events *ev, const char *signal)
{
	struct rpc_container m;

	if (!begin(ev, &m, EV_SHUTDOWN))
		return;
	rpc_kv_str(&m, "signal", signal);
	deliver(ev, &m, EV_SHUTDOWN);
}

void
events_alert(struct events *ev, const char *path, const char *device,
    int from, int to, const struct disk_usage *du, double time_to_full_s)
{
	struct rpc_container m;

	if (from < 0 || from >= EVENTS_LEVEL_COUNT || to < 0 ||
	    to >= EVENTS_LEVEL_COUNT || !begin(ev, &m, EV_ALERT))
		return;
	rpc_kv_str(&m, "path", path);
	rpc_kv_str(&m, "device", device);
	rpc_kv_str(&m, "from", events_level_names[from]);
	rpc_kv_str(&m, "to", events_level_names[to]);
	rpc_kv_u64(&m, "free_bytes", du->avail_bytes);
	rpc_kv_u64(&m, "total_bytes", du->total_bytes);
	rpc_kv_u64(&m, "free_inodes", du->avail_inodes);
	rpc_kv_u64(&m, "total_inodes", du->total_inodes);
	rpc_map_key(&m, "time_to_full_s");
	if (isfinite(time_to_full_s))
		msgpack_pack_double(m.pk, time_to_full_s);
	else
		msgpack_pack_nil(m.pk);
	deliver(ev, &m, EV_ALERT);
}
