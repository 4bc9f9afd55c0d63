/*
 * rpc.h: the msgpack-RPC methods. rpc.c decodes each message the server
 * frames, checks its arguments, answers cheap methods at once and hands
 * filesystem work (mkdir, removal, statvfs) to a job (job.h) on libuv's
 * thread pool, so the loop never blocks; it packs every reply.
 */
#ifndef HYCO_RPC_H
#define HYCO_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hycod.h"

/* Where a reply goes; notify means no reply at all (msgpack-RPC). */
struct reply {
	struct hycod	*d;
	struct conn	*conn;
	uint32_t	 msgid;
	bool		 notify;
	int		 method;	/* its stats slot; 0: no method */
	uint64_t	 t0;		/* uv_hrtime() when framed; 0: untimed */
	uint64_t	 round;		/* conn_round when it came (0: none) */
	uint64_t	 seq;		/* arrival order, for leases */
	bool		 packed;	/* a result was packed (stats) */
	const msgpack_object *msg;	/* the request, to park it (early.h) */
};

extern const struct server_ops rpc_server_ops;	/* ctx is struct hycod */

/* Give each method its statistics slot (before listening). */
void	rpc_start(struct hycod *d);

/* The name of method i of the table; NULL past its end. */
const char *rpc_method_name(size_t i);

/*
 * The start-up scan is in: answer the requests that waited for it
 * (early.h), in the order they came.
 */
void	rpc_scan_ready(struct hycod *d);

/* Free what replies kept between requests (at exit). */
void	rpc_free(struct hycod *d);

#endif
