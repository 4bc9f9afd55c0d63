/*
 * server_int.h: what the connections (server.c) and the listening
 * socket (server_accept.c) share; no other module includes it.
 */
#ifndef HYCO_SERVER_INT_H
#define HYCO_SERVER_INT_H

#include "frame.h"
#include "server.h"

struct conn {
	uv_pipe_t	 pipe;		/* pipe.data points back here */
	struct server	*srv;
	struct conn	*prev, *next;	/* srv->conns */
	/*
	 * One reference for the open handle (dropped in close_cb), one
	 * per asynchronous request in flight (dropped when it replies) and
	 * one per queue it is in (srv->queue[]), so a reply never lands in
	 * freed memory and a queue never holds a freed connection.
	 */
	int		 refs;
	bool		 closing;	/* uv_close called */
	bool		 close_after_write;
	bool		 paused;	/* reading stopped for backpressure */
	bool		 reading;	/* uv_read_start in effect */
	bool		 writing;	/* wreq in flight with wbuf */
	/*
	 * Held: a message waits for a work slot, its own (HOLD_CONN,
	 * resumed by its own work ending) or any (HOLD_ALL, in SQ_HELD,
	 * resumed in turn). queued: in SQ_READY; in_round: in SQ_ROUND.
	 */
	enum { HOLD_NONE, HOLD_CONN, HOLD_ALL } held;
	bool		 queued, in_round;
	struct conn	*qnext[SQ_COUNT];	/* in srv->queue[] */
	unsigned	 work;		/* work in flight for it */
	char		*in;		/* unparsed input */
	size_t		 in_len, in_cap;
	struct frame	 frame;		/* how far in's first message is walked */
	/*
	 * The message being handled, unpacked into a zone made for the
	 * connection's first message and cleared before each next one: its
	 * first chunk stays, so no allocation per message, and none for a
	 * connection that sends nothing.
	 */
	msgpack_zone	*zone;
	msgpack_object	 msg;
	msgpack_sbuffer	 out;		/* replies not yet handed to libuv */
	msgpack_packer	 pk;		/* packs into out */
	uv_write_t	 wreq;
	char		*wbuf;		/* buffer being written (owned) */
	size_t		 wcap, wlen;
	size_t		 woff;		/* of wbuf, written before wreq */
	struct peer_cred peer;		/* peer.groups owned */
};

/* close_cb of a connection's handle: drops the handle's reference. */
void	conn_on_close(uv_handle_t *h);
/* Close c now, pending output dropped; idempotent. */
void	conn_close_now(struct conn *c);
/* Read from c only while nothing holds it back: output, or work. */
void	conn_update_reading(struct conn *c);
/* The first of queue q, taken off it with the queue's reference; NULL. */
struct conn *server_dequeue(struct server *s, enum server_queue q);

#endif
