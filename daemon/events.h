/*
 * events.h: live events for subscribers.
 *
 * A connection that calls subscribe receives msgpack-RPC notifications
 * [2, "event", [{"type": str, "time": float, ...}]] for the event types
 * it chose, in the order they happen, interleaved with the replies to
 * any calls it still makes. Each event is packed once and its bytes
 * appended to every subscriber's output queue.
 *
 * A subscriber that stops reading must not cost memory or delay anyone:
 * when an event would take its queued bytes (replies and events not yet
 * read by the peer) over events.max_queued_bytes it is dropped: a last
 * "dropped" notification is queued if it still fits, no more requests
 * are read from it, and it is closed once that is written, or after
 * EVENTS_DROP_GRACE_MS if its peer never reads. Nothing is ever waited
 * for: an event costs each subscriber one copy into its queue.
 *
 * The emitters are small calls made where things happen (job.c,
 * policy.c, watch.c, main.c, the disk monitor). Loop thread only.
 */
#ifndef HYCO_EVENTS_H
#define HYCO_EVENTS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "fsutil.h"
#include "server.h"

#define EVENTS_DROP_GRACE_MS	2000	/* a dropped peer that never reads */
#define EVENTS_TYPES_MAX	32	/* names in one subscribe */

/* What a subscriber may ask for; dropped is sent unasked. */
enum event_type {
	EV_ALERT,		/* a filesystem's level changed */
	EV_CYCLE_CREATED,	/* get-cycle-dir made a directory */
	EV_CYCLE_REMOVED,	/* a cycle directory went (request, policy) */
	EV_PRUNE,		/* a policy pass removed something */
	EV_EXACT_LOST,		/* the index's figures are no longer exact */
	EV_EXACT_REGAINED,	/* and are again */
	EV_RELOAD,		/* the config was reloaded (or refused) */
	EV_SHUTDOWN,		/* the daemon is stopping */
	EV_COUNT,
	EV_DROPPED = EV_COUNT,	/* this subscriber is being dropped */
	EV_ALL_COUNT
};

#define EVENTS_ALL	((1u << EV_COUNT) - 1)

/* Alert levels, as the disk monitor numbers them. */
enum { EVENTS_LEVEL_OK, EVENTS_LEVEL_WARNING, EVENTS_LEVEL_CRITICAL,
	EVENTS_LEVEL_COUNT };

extern const char *const events_type_names[EV_ALL_COUNT];
extern const char *const events_level_names[EVENTS_LEVEL_COUNT];

/* Counted since start; reported by stats and metrics. */
struct events_stats {
	uint64_t	emitted[EV_ALL_COUNT];	/* events, by type */
	uint64_t	notifications;	/* queued to subscribers, all types */
	uint64_t	subscribes;	/* subscribe calls that succeeded */
	uint64_t	dropped;	/* subscribers dropped: not reading */
};

struct events_sub;
struct events_dropping;

struct events {
	uv_loop_t		*loop;
	size_t			 max_queued;	/* events.max_queued_bytes */
	struct events_sub	*subs;
	size_t			 nsubs, capsubs;
	struct events_dropping	*dropping;	/* closing, until the grace */
	size_t			 ndropping, capdropping;
	uv_timer_t		 grace;
	bool			 started, closing;
	msgpack_sbuffer		 buf;		/* the event being sent */
	msgpack_packer		 pk;
	struct events_stats	 stats;
};

void	events_start(struct events *ev, uv_loop_t *loop, size_t max_queued);
/* Stop: subscribers are left to the server's own close. */
void	events_close(struct events *ev);

/*
 * The event types a list of names (msgpack strings) asks for, as a
 * mask; NULL asks for all. -1 with why filled for a list that is not
 * one, is empty or too long, or names an unknown type.
 */
int	events_parse_types(const msgpack_object *list, unsigned *mask,
	    char *why, size_t size);
/* c receives the types in mask from now on (replacing any earlier set). */
int	events_subscribe(struct events *ev, struct conn *c, unsigned mask);
/* c receives no more events; whether it was a subscriber. */
bool	events_unsubscribe(struct events *ev, struct conn *c);
/* The connection c is closing (the server's closed hook). */
void	events_closed(struct events *ev, struct conn *c);
size_t	events_subscribers(const struct events *ev);

/* -- emitters --------------------------------------------------------- */

void	events_cycle_created(struct events *ev, int kind, long cycle,
	    const char *dataset, const char *path);
/* why: "request", "policy" or "keep_last_cycles". */
void	events_cycle_removed(struct events *ev, int kind, long cycle,
	    const char *path, uint64_t bytes, const char *why);
void	events_prune(struct events *ev, uint64_t items, uint64_t bytes,
	    uint64_t cycles, uint64_t datasets);
/*
 * The index's exactness changed; why names what made it inexact
 * (overflow, unwatched, rescan, arrival, pending, out_of_memory), and
 * for a regain lost_s says for how long it was.
 */
void	events_exact(struct events *ev, bool exact, const char *why,
	    double lost_s);
/* A reload: ok, and the reason when it was refused (message). */
void	events_reload(struct events *ev, bool ok, const char *message);
/*
 * Stopping (signal: "SIGTERM", ...). Each subscriber's queue is handed
 * to the kernel now, before the server closes the connections.
 */
void	events_shutdown(struct events *ev, const char *signal);
/*
 * A filesystem's alert level went from one EVENTS_LEVEL_* to another.
 * path: a root on it; device: "major:minor"; du: its figures then;
 * time_to_full_s: seconds until full at the current rate, NAN when not
 * filling (sent as nil).
 */
void	events_alert(struct events *ev, const char *path, const char *device,
	    int from, int to, const struct disk_usage *du,
	    double time_to_full_s);

#endif
