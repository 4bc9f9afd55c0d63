/*
 * early.h: requests that wait for the start-up scan.
 *
 * hycod serves its socket from the moment its config is loaded, while
 * the first scan of the tree still runs on the thread pool. Methods
 * that need no index figures answer at once (rpc.c says which); a
 * request whose answer is made of the index (summary, unless it says
 * wait: false; prune; clean; cleanup-generated) is parked here, a copy
 * of its message and a reference to its connection, and handled in
 * arrival order once the scan is in. Bounded: at most EARLY_MAX
 * requests and EARLY_BYTES_MAX bytes wait; past that the request is
 * refused at once (rpc.c answers internal).
 *
 * Loop thread only.
 */
#ifndef HYCO_EARLY_H
#define HYCO_EARLY_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "server.h"

#define EARLY_MAX	4096		/* requests waiting at most */
#define EARLY_BYTES_MAX	(8u << 20)	/* bytes of their messages */

struct early_req {
	struct conn	*conn;		/* referenced while it waits */
	char		*buf;		/* the message, packed again */
	size_t		 len;
};

struct early {
	struct early_req *v;
	size_t		  n, cap;
	size_t		  bytes;	/* of the messages waiting */
	uint64_t	  parked;	/* requests that waited, since start */
	uint64_t	  refused;	/* refused: too many waiting */
};

/*
 * Keep a copy of msg, a request on c, for early_release. -1 when the
 * limits are reached or memory is out: nothing is kept.
 */
int	early_park(struct early *e, struct conn *c, const msgpack_object *msg);

typedef void (*early_fn)(void *arg, struct conn *c, const msgpack_object *msg);

/*
 * The scan is in: hand each request that waited to fn, in arrival
 * order, unless its connection closed meanwhile; then drop them.
 */
void	early_release(struct early *e, early_fn fn, void *arg);

/* Shut down: drop the requests still waiting, unanswered. */
void	early_free(struct early *e);

#endif
