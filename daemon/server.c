/*
 * server.c: the connections of the Unix-socket server: read, frame,
 * write, and when input is handled (rounds, busy polling, work slots);
 * bytes and framing, no methods. The listening socket: server_accept.c.
 */
#include "server.h"
#include "server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"

#define CONN_IN_INITIAL	(16 * 1024)	/* first input buffer */
#define CONN_READ_MIN	(4 * 1024)	/* smallest read offered to libuv */
#define CONN_OUT_HIGH	(1024 * 1024)	/* pause reading above this output */
#define CONN_OUT_LOW	(256 * 1024)	/* resume reading below this */


static void on_read(uv_stream_t *, ssize_t, const uv_buf_t *);
static void on_alloc(uv_handle_t *, size_t, uv_buf_t *);
static void process_input(struct conn *);
static void conn_hold(struct conn *);
static void on_resume(uv_idle_t *);
static void on_spin(uv_idle_t *);
static void on_round(uv_check_t *);
static void round_add(struct conn *);

static void
conn_free(struct conn *c)
{
	if (c->zone != NULL)
		msgpack_zone_free(c->zone);
	msgpack_sbuffer_destroy(&c->out);
	free(c->in);
	free(c->wbuf);
	free(c->peer.groups);
	free(c);
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

void
conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		conn_free(c);
}

bool
conn_is_open(const struct conn *c)
{
	return !c->closing && !c->close_after_write;
}

const struct peer_cred *
conn_peer(const struct conn *c)
{
	return &c->peer;
}

msgpack_packer *
conn_packer(struct conn *c)
{
	return &c->pk;
}

/* Reply bytes queued for the peer: collected plus being written. */
static size_t
pending_out(const struct conn *c)
{
	return c->out.size + (c->writing ? c->wlen - c->woff : 0);
}

/* Append c to queue q, which holds a reference to it from now on. */
static void
enqueue(struct server *s, enum server_queue q, struct conn *c)
{
	struct conn_queue *cq = &s->queue[q];

	conn_ref(c);	/* closed meanwhile, it stays until dequeued */
	c->qnext[q] = NULL;
	if (cq->tail != NULL)
		cq->tail->qnext[q] = c;
	else
		cq->head = c;
	cq->tail = c;
}

/*
 * c onto queue q once: not while *in says it is there, nor once it
 * closes or the server does. Whether it went on.
 */
static bool
enqueue_once(struct conn *c, bool *in, enum server_queue q)
{
	if (*in || c->closing || !c->srv->listening)
		return false;
	*in = true;
	enqueue(c->srv, q, c);
	return true;
}

/* The first of queue q, taken off it with the queue's reference; NULL. */
struct conn *
server_dequeue(struct server *s, enum server_queue q)
{
	struct conn_queue *cq = &s->queue[q];
	struct conn *c = cq->head;

	if (c != NULL && (cq->head = c->qnext[q]) == NULL)
		cq->tail = NULL;
	return c;
}

void
conn_on_close(uv_handle_t *h)
{
	conn_unref(h->data);
}

void
conn_close_now(struct conn *c)
{
	struct server *s = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->stats.active--;
	if (s->ops->closed != NULL)
		s->ops->closed(s->ctx, c);
	/* Frees only in conn_on_close, never here (libuv handle.rst). */
	uv_close((uv_handle_t *)&c->pipe, conn_on_close);
}

/* Read from c only while nothing holds it back: output, or work. */
void
conn_update_reading(struct conn *c)
{
	bool want = conn_is_open(c) && !c->paused && c->held == HOLD_NONE;
	int r;

	if (want == c->reading)
		return;
	c->reading = want;
	if (!want)
		uv_read_stop((uv_stream_t *)&c->pipe);
	else if ((r = uv_read_start((uv_stream_t *)&c->pipe, on_alloc,
	    on_read)) < 0) {
		log_warnx("conn_update_reading: uv_read_start: %s", uv_strerror(r));
		conn_close_now(c);
	}
}

/*
 * Everything handed to the socket so far is written: what waited on
 * that goes on (closing, or reading again below the low mark).
 */
static void
written(struct conn *c)
{
	if (c->out.size == 0 && c->close_after_write) {
		conn_close_now(c);
		return;
	}
	if (c->paused && pending_out(c) < CONN_OUT_LOW) {
		c->paused = false;
		conn_update_reading(c);
	}
}

static void
on_write(uv_write_t *req, int status)
{
	struct conn *c = req->data;

	c->writing = false;
	if (c->closing)
		return;
	if (status < 0) {
		log_debug("on_write: %s", uv_strerror(status));
		conn_close_now(c);
		return;
	}
	if (c->out.size > 0)
		conn_flush(c);
	else
		written(c);
}

void
conn_flush(struct conn *c)
{
	char *tmp;
	size_t cap;
	uv_buf_t buf;
	int r;

	if (c->closing || c->writing || c->out.size == 0)
		return;
	/*
	 * Written at once when the socket takes it all, as it mostly
	 * does: no write request, no callback on the next turn of the
	 * loop, and no epoll_ctl for libuv to undo its POLLOUT after.
	 */
	buf = uv_buf_init(c->out.data, (unsigned)c->out.size);
	r = uv_try_write((uv_stream_t *)&c->pipe, &buf, 1);
	if (r < 0 && r != UV_EAGAIN) {
		log_debug("conn_flush: uv_try_write: %s", uv_strerror(r));
		conn_close_now(c);
		return;
	}
	if (r == (int)c->out.size) {
		c->out.size = 0;
		written(c);
		return;
	}
	/*
	 * The rest waits for the peer: swap buffers, out's memory goes to
	 * the write, the previous write buffer becomes out. No allocation
	 * once both are warm.
	 */
	tmp = c->wbuf;
	cap = c->wcap;
	c->wbuf = c->out.data;
	c->wcap = c->out.alloc;
	c->wlen = c->out.size;
	c->woff = r > 0 ? (size_t)r : 0;
	c->out.data = tmp;
	c->out.alloc = cap;
	c->out.size = 0;
	buf = uv_buf_init(c->wbuf + c->woff, (unsigned)(c->wlen - c->woff));
	c->wreq.data = c;
	if ((r = uv_write(&c->wreq, (uv_stream_t *)&c->pipe, &buf, 1,
	    on_write)) < 0) {
		log_debug("conn_flush: uv_write: %s", uv_strerror(r));
		conn_close_now(c);
		return;
	}
	c->writing = true;
}

/* Mark for closing after pending output is written. */
void
conn_close(struct conn *c)
{
	if (c->closing || c->close_after_write)
		return;
	c->close_after_write = true;
	conn_update_reading(c);
	if (c->writing || c->out.size > 0)
		conn_flush(c);
	else
		conn_close_now(c);
}

size_t
conn_queued(const struct conn *c)
{
	return pending_out(c);
}

int
conn_write(struct conn *c, const char *buf, size_t len)
{
	if (msgpack_sbuffer_write(&c->out, buf, len) != 0)
		return -1;
	conn_flush(c);
	return 0;
}

void
conn_abort(struct conn *c)
{
	conn_close_now(c);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	/* Room for one maximal request plus a read's worth after it. */
	size_t limit = c->srv->max_request + CONN_READ_MIN;

	(void)suggested;
	if (c->in_cap - c->in_len < CONN_READ_MIN && c->in_cap < limit) {
		size_t cap = c->in_cap ? c->in_cap * 2 : CONN_IN_INITIAL;
		char *p;
		if (cap > limit)
			cap = limit;
		if ((p = realloc(c->in, cap)) != NULL) {
			c->in = p;
			c->in_cap = cap;
		}
	}
	*buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

/* Hand each complete message in c->in on, until one is held. */
static void
process_input(struct conn *c)
{
	struct server *s = c->srv;
	size_t off = 0;

	if (s->fresh) {
		s->round++;
		s->fresh = false;
	}
	while (off < c->in_len && conn_is_open(c)) {
		uint64_t steps = c->frame.steps;
		enum frame_status fs = frame_walk(&c->frame, c->in + off,
		    c->in_len - off);
		size_t len = c->frame.pos, used = 0;
		int rc;

		s->stats.frame_steps += c->frame.steps - steps;
		if (fs == FRAME_MORE)
			break;
		if (fs == FRAME_TOO_LARGE || fs == FRAME_TOO_DEEP) {
			if (fs == FRAME_TOO_LARGE)
				s->stats.closed_too_large++;
			else
				s->stats.closed_too_deep++;
			s->ops->too_large(s->ctx, c, c->in + off, c->in_len - off);
			conn_close(c);
			break;
		}
		/* Walked whole, so within every limit: unpack it. */
		if (fs != FRAME_BAD && c->zone == NULL &&
		    (c->zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE)) ==
		    NULL) {
			log_warn("process_input: msgpack_zone_new");
			conn_close_now(c);
			break;
		}
		if (fs != FRAME_BAD)
			msgpack_zone_clear(c->zone);
		if (fs == FRAME_BAD || msgpack_unpack(c->in + off, len, &used,
		    c->zone, &c->msg) != MSGPACK_UNPACK_SUCCESS ||
		    used != len) {
			s->stats.closed_bad_input++;
			log_debug("process_input: input is not msgpack, closing");
			conn_close_now(c);
			break;
		}
		if ((rc = s->ops->message(s->ctx, c, &c->msg)) ==
		    SERVER_HOLD) {
			/* It stays walked (frame_walk answers DONE again). */
			conn_hold(c);
			break;
		}
		s->stats.messages++;
		off += len;
		frame_next(&c->frame);
		if (rc == -1) {
			s->stats.closed_bad_input++;
			conn_close(c);
		}
	}
	if (s->ops->batch_end != NULL)
		s->ops->batch_end(s->ctx);
	if (c->closing)
		return;
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	conn_flush(c);
	if (c->closing)
		return;
	if (conn_is_open(c) && !c->paused && pending_out(c) > CONN_OUT_HIGH) {
		/* The peer is not reading its replies: stop reading its requests. */
		c->paused = true;
		s->stats.paused_reads++;
	}
	conn_update_reading(c);
}

/*
 * A read: if the loop waited at most busy_poll_ns for it since it
 * last handled input (round_over), keep it polling (an active idle
 * handle makes libuv poll without waiting) until busy_poll_ns pass
 * after a round with no read; on_spin checks the time. The wait, not
 * the time from read to read: the handling between two reads is not
 * idle, and a pipelined batch's may be longer than the window.
 */
static void
note_read(struct server *s)
{
	uint64_t now;

	if (uv_is_active((uv_handle_t *)&s->spin))
		return;
	now = uv_hrtime();
	if (now - s->idle_since <= s->busy_poll_ns) {
		s->spin_since = now;
		uv_idle_start(&s->spin, on_spin);
	}
}

/* The loop sleeps again; the time it spun counts (busy_poll_ns). */
static void
spin_stop(struct server *s, uint64_t now)
{
	if (!uv_is_active((uv_handle_t *)&s->spin))
		return;
	uv_idle_stop(&s->spin);
	s->stats.busy_poll_ns += now - s->spin_since;
}

static void
on_spin(uv_idle_t *h)
{
	struct server *s = h->data;
	uint64_t now = uv_hrtime();

	if (now - s->idle_since > s->busy_poll_ns)
		spin_stop(s, now);
}

void
server_busy_poll(struct server *s, unsigned us)
{
	s->busy_poll_ns = (uint64_t)us * 1000;
	if (s->busy_poll_ns == 0)
		spin_stop(s, uv_hrtime());
}

uint64_t
server_busy_poll_total(const struct server *s)
{
	return s->stats.busy_poll_ns +
	    (uv_is_active((const uv_handle_t *)&s->spin) ?
	    uv_hrtime() - s->spin_since : 0);
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	struct server *s = c->srv;

	(void)buf;
	if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("on_read: %s", uv_strerror((int)nread));
		/* Requests read with the end (send, then close): theirs. */
		if (c->in_round && c->held == HOLD_NONE)
			process_input(c);
		conn_close_now(c);
		return;
	}
	if (nread == 0)
		return;		/* EAGAIN after a read that filled the buffer */
	c->in_len += (size_t)nread;
	s->fresh = true;
	if (s->busy_poll_ns > 0)
		note_read(s);
	/*
	 * Handled after this poll's other reads, in one round, unless
	 * the read filled the buffer: libuv then reads again at once,
	 * into room that handling the messages may free.
	 */
	if (c->in_len == c->in_cap)
		process_input(c);
	else
		round_add(c);
}

/* c's input waits for on_round, after the poll that read it. */
static void
round_add(struct conn *c)
{
	if (enqueue_once(c, &c->in_round, SQ_ROUND))
		uv_check_start(&c->srv->round_check, on_round);
}

/* The loop handled what it had read: busy polling's window opens. */
static void
round_over(struct server *s)
{
	if (s->busy_poll_ns > 0)
		s->idle_since = uv_hrtime();
}

static void
on_round(uv_check_t *h)
{
	struct server *s = h->data;
	struct conn *c;

	uv_check_stop(h);
	while ((c = server_dequeue(s, SQ_ROUND)) != NULL) {
		c->in_round = false;
		if (!c->closing && c->held == HOLD_NONE)
			process_input(c);
		conn_unref(c);	/* the queue's */
	}
	round_over(s);
}

uint64_t
conn_round(const struct conn *c)
{
	return c->srv->round;
}

/* -- work slots ----------------------------------------------------------- */

bool
conn_may_work(const struct conn *c)
{
	const struct server *s = c->srv;

	return (s->max_work_per_conn == 0 || c->work < s->max_work_per_conn) &&
	    (s->max_work == 0 || s->stats.work < s->max_work);
}

void
conn_work_begin(struct conn *c)
{
	conn_ref(c);	/* a reply must not land in freed memory */
	c->work++;
	c->srv->stats.work++;
}

/* Let held c go on from the resume idle callback, not from here. */
static void
schedule(struct conn *c)
{
	if (enqueue_once(c, &c->queued, SQ_READY))
		uv_idle_start(&c->srv->resume, on_resume);
}

void
conn_work_end(struct conn *c)
{
	struct server *s = c->srv;
	struct conn *h;

	c->work--;
	s->stats.work--;
	if (c->held == HOLD_CONN)
		schedule(c);
	/* A slot is free: the connection that waited longest for one. */
	while ((h = server_dequeue(s, SQ_HELD)) != NULL) {
		if (!h->closing) {
			schedule(h);
			conn_unref(h);	/* the queue's */
			break;
		}
		conn_unref(h);
	}
	conn_unref(c);	/* taken in conn_work_begin */
}

/* c's next message waits for a work slot: stop reading until then. */
static void
conn_hold(struct conn *c)
{
	struct server *s = c->srv;

	if (s->max_work_per_conn != 0 && c->work >= s->max_work_per_conn) {
		c->held = HOLD_CONN;
		s->stats.paused_work_per_conn++;
		return;
	}
	c->held = HOLD_ALL;
	s->stats.paused_work++;
	enqueue(s, SQ_HELD, c);		/* until a slot frees */
}

static void
on_resume(uv_idle_t *h)
{
	struct server *s = h->data;
	struct conn *c;

	uv_idle_stop(h);
	while ((c = server_dequeue(s, SQ_READY)) != NULL) {
		c->queued = false;
		if (!c->closing && c->held != HOLD_NONE) {
			c->held = HOLD_NONE;
			process_input(c);
		}
		conn_unref(c);	/* the queue's */
	}
	round_over(s);
}

void
server_limit_work(struct server *s, unsigned per_conn, unsigned total)
{
	s->max_work_per_conn = per_conn;
	s->max_work = total;
}
