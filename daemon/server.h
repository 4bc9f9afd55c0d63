/*
 * server.h: the Unix socket: listen, accept, read, write. It frames
 * msgpack messages and enforces byte limits but knows no methods; each
 * complete message goes to ops->message.
 */
#ifndef HYCO_SERVER_H
#define HYCO_SERVER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct conn;

#define PEER_GROUPS_MAX	4096	/* supplementary groups kept per peer */

/*
 * Who is at the other end, as the kernel said at accept (SO_PEERCRED:
 * the credentials the peer had when it called connect; SO_PEERGROUPS:
 * its supplementary groups). The server only records them; what they
 * may do is access.c's business.
 */
struct peer_cred {
	bool		 known;		/* SO_PEERCRED answered */
	bool		 groups_known;	/* SO_PEERGROUPS answered, all kept */
	pid_t		 pid;		/* 0: not in our pid namespace */
	uid_t		 uid;
	gid_t		 gid;
	uint32_t	 ngroups;
	gid_t		*groups;	/* supplementary, ngroups of them */
};

/* What ops->message returns besides 0 and -1. */
#define SERVER_HOLD	1

struct server_ops {
	/*
	 * One complete message; return -1 to close the connection, or
	 * SERVER_HOLD when it would start work and conn_may_work(c) says
	 * no: the message is kept, the connection is no longer read, and
	 * the same message comes again once work ends.
	 */
	int	(*message)(void *ctx, struct conn *c, const msgpack_object *msg);
	/*
	 * A message over the size limit, or whose declared sizes or
	 * nesting could not fit it (frame.h); the connection closes after.
	 */
	void	(*too_large)(void *ctx, struct conn *c, const char *start,
		    size_t len);
	/* The connection is closing (may be NULL): drop what it held. */
	void	(*closed)(void *ctx, struct conn *c);
	/*
	 * The messages a connection's input held (in a round, or on its
	 * resumption) have been handed to message (may be NULL): the next
	 * are another connection's, or come after a wait.
	 */
	void	(*batch_end)(void *ctx);
};

/*
 * The queues of connections the server keeps (server.c), first in,
 * first out; each holds a reference to every connection in it, so one
 * closed meanwhile is not freed there.
 */
enum server_queue {
	SQ_HELD,	/* a message waits for a work slot (max_work) */
	SQ_READY,	/* to go on, from the resume idle callback */
	SQ_ROUND,	/* read this poll: handled in the round after it */
	SQ_COUNT
};

struct conn_queue {
	struct conn	*head, *tail;
};

/* Counters since start, all reported by summary (PROTOCOL.md). */
struct server_stats {
	uint64_t	accepted;	/* connections accepted */
	uint64_t	active;		/* connections open now */
	uint64_t	messages;	/* complete messages framed */
	uint64_t	refused_max_clients; /* closed at accept: max_clients */
	uint64_t	closed_too_large;    /* closed: request over the limit */
	uint64_t	closed_bad_input;    /* closed: not msgpack-RPC */
	uint64_t	paused_reads;	/* reads paused: peer not reading */
	uint64_t	closed_too_deep;     /* closed: nested over FRAME_DEPTH_MAX */
	uint64_t	frame_steps;	/* request bytes the frame walker examined */
	uint64_t	work;		/* work in flight now (conn_work_begin) */
	uint64_t	paused_work_per_conn; /* reads paused: max_work_per_conn */
	uint64_t	paused_work;	/* reads paused: max_work, all connections */
	uint64_t	busy_poll_ns;	/* polled without sleeping: busy polls ended */
};

struct server {
	uv_loop_t		*loop;
	uv_pipe_t		 listener;
	char			 path[108];
	unsigned		 max_clients;
	size_t			 max_request;
	const struct server_ops	*ops;
	void			*ctx;
	struct conn		*conns;		/* all open connections */
	bool			 listening;
	bool			 owned;		/* bound here: unlink at close */
	struct server_stats	 stats;
	/*
	 * Work in flight (jobs) per connection and in all: at either
	 * limit a connection is held, no longer read, until work ends.
	 * 0 means no limit.
	 */
	unsigned		 max_work_per_conn, max_work;
	struct conn_queue	 queue[SQ_COUNT];
	uv_idle_t		 resume;	/* runs SQ_READY, off any callback */
	/*
	 * Rounds (conn_round): what a poll's reads brought is handled
	 * after all of them, by round_check, a connection at a time in
	 * the order read (SQ_ROUND); round counts the times handling
	 * began after a read, fresh says one came since.
	 */
	uv_check_t		 round_check;
	uint64_t		 round;
	bool			 fresh;
	/*
	 * Busy polling (server_busy_poll): while the loop waits at most
	 * busy_poll_ns between the end of a round and the next read,
	 * spin keeps it polling instead of sleeping, until busy_poll_ns
	 * pass after a round with no read.
	 */
	uv_idle_t		 spin;
	uint64_t		 busy_poll_ns;	/* 0: never spin */
	uint64_t		 idle_since;	/* uv_hrtime the last round ended */
	uint64_t		 spin_since;	/* uv_hrtime the spin started */
};

/*
 * Bind path with mode and listen. A stale socket left by a dead daemon
 * is replaced; a live one, or a path that is not a socket, is refused.
 * Returns 0, or -1 after logging why.
 */
int	server_listen(struct server *s, uv_loop_t *loop, const char *path,
	    unsigned mode, unsigned max_clients, size_t max_request,
	    const struct server_ops *ops, void *ctx);
/*
 * Serve fd, a Unix stream socket bound and listening already (passed
 * by systemd, activation.h) at path (for the log; may be ""): used as
 * it is, never unlinked. Returns 0, or -1 after logging why.
 */
int	server_open(struct server *s, uv_loop_t *loop, int fd,
	    const char *path, unsigned max_clients, size_t max_request,
	    const struct server_ops *ops, void *ctx);
/*
 * New limits (reload): max_clients for the connections accepted from
 * now on, max_request for every read from now on, open connections
 * included.
 */
void	server_set_limits(struct server *s, unsigned max_clients,
	    size_t max_request);
/*
 * Stop listening, remove the socket file (only one server_listen
 * bound) and close every connection.
 */
void	server_close(struct server *s);
/*
 * The round c's message is handled in: every message handled in one
 * round was read before the round began, so whatever its client did
 * before sending it was done before then, and a check made once in
 * the round (such as the inotify queue's FIONREAD) holds for all.
 * Never 0.
 */
uint64_t conn_round(const struct conn *c);
/* Work in flight allowed per connection and in all (0: no limit). */
void	server_limit_work(struct server *s, unsigned per_conn, unsigned total);
/*
 * Keep polling, not sleeping, while the loop waits at most us
 * microseconds from the end of a round to the next read (0: always
 * sleep). A client's next request then finds the loop awake: no
 * wake-up, which costs tens of microseconds on a virtual machine. The
 * price is a core kept busy for up to us after the last round.
 */
void	server_busy_poll(struct server *s, unsigned us);
/* Nanoseconds the loop has polled without sleeping, up to now. */
uint64_t server_busy_poll_total(const struct server *s);

/*
 * Replies are packed into the connection's output buffer with
 * conn_packer() and sent by conn_flush(); the server flushes after each
 * batch of reads itself, so only replies made later (from the thread
 * pool) need an explicit flush.
 */
msgpack_packer	*conn_packer(struct conn *c);
void		 conn_flush(struct conn *c);
bool		 conn_is_open(const struct conn *c);
/* The peer's credentials, read once at accept. */
const struct peer_cred *conn_peer(const struct conn *c);
/* Keep the struct alive across asynchronous work (see conn_unref). */
void		 conn_ref(struct conn *c);
void		 conn_unref(struct conn *c);
/*
 * Work for c (a job): whether one more may start now; its start (a
 * reference, and a slot counted against the limits); its end, which
 * drops both and lets a held connection go on (from the loop, later).
 */
bool		 conn_may_work(const struct conn *c);
void		 conn_work_begin(struct conn *c);
void		 conn_work_end(struct conn *c);

/*
 * For messages the daemon sends unasked (events.c): the bytes queued
 * for the peer and not yet taken by it (replies packed, plus the write
 * in flight); len bytes appended to the output and flushed (-1: out of
 * memory, nothing appended); closing once what is queued is written
 * (no more requests are read); closing now, dropping what is queued.
 */
size_t		 conn_queued(const struct conn *c);
int		 conn_write(struct conn *c, const char *buf, size_t len);
void		 conn_close(struct conn *c);
void		 conn_abort(struct conn *c);

#endif
