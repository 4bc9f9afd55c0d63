/*
 * hyco.c: libhyco's connection: connect, reconnect, send a request,
 * read its reply within the limits, keep the last reply for the values
 * handed out. Typed calls are in calls.c, values in value.c.
 */
#include "hyco_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "proto.h"

#define HYCO_CONNECT_MS		5000
#define HYCO_REPLY_MAX		(64u << 20)	/* largest reply accepted */
#define HYCO_READ_CHUNK		(64 * 1024)
/* Events that arrive while a subscribed client waits for a reply. */
#define HYCO_EVENTS_KEPT_MAX	(4u << 20)

struct hyco_client {
	char			path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int			fd;		/* -1 when not connected */
	int			connect_ms, call_ms;
	uint32_t		next_msgid;
	msgpack_sbuffer		out;
	msgpack_packer		pk;
	/*
	 * Received bytes: in_off of them parsed. The strings of a parsed
	 * reply point into this buffer (msgpack_unpack_next does not copy
	 * them), so it is compacted only when no reply is in use: at the
	 * start of the next call.
	 */
	char			*in;
	size_t			in_off, in_len, in_cap;
	/*
	 * How far the message at in_off is walked: a reply is unpacked
	 * only once it is whole and within HYCO_REPLY_MAX, its declared
	 * sizes and nesting included (frame.h), and is walked once
	 * however it arrives.
	 */
	struct frame		frame;
	msgpack_unpacked	reply;		/* the last reply */
	const msgpack_object	*result;	/* in reply, if the last call succeeded */
	char			err_code[32];
	char			err_msg[512];
	/*
	 * Subscribed: readable bytes between calls are events, not a sign
	 * of a closed connection; events read during a call are kept (raw,
	 * kept_off of them handed out) for hyco_next_event.
	 */
	int			subscribed;
	char			*kept;
	size_t			kept_off, kept_len, kept_cap;
};

int
hyco__fail(hyco_client *c, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	c->result = NULL;	/* a failed call has no result, typed ones too */
	snprintf(c->err_code, sizeof(c->err_code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
	va_end(ap);
	return status;
}

hyco_client *
hyco_new(const char *socket_path)
{
	hyco_client *c;

	if (socket_path == NULL && (socket_path = getenv("HYCO_SOCKET")) == NULL)
		socket_path = HYCO_DEFAULT_SOCKET;
	if (strlen(socket_path) >= sizeof(c->path))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	strcpy(c->path, socket_path);
	c->fd = -1;
	c->connect_ms = HYCO_CONNECT_MS;
	c->call_ms = -1;
	c->next_msgid = 1;
	msgpack_sbuffer_init(&c->out);
	msgpack_packer_init(&c->pk, &c->out, msgpack_sbuffer_write);
	msgpack_unpacked_init(&c->reply);
	frame_init(&c->frame, HYCO_REPLY_MAX);
	return c;
}

static void
disconnect(hyco_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->in_off = c->in_len = 0;
	frame_next(&c->frame);
	/* A subscription lives and dies with its connection. */
	c->subscribed = 0;
	c->kept_off = c->kept_len = 0;
}

void
hyco_free(hyco_client *c)
{
	if (c == NULL)
		return;
	disconnect(c);
	msgpack_sbuffer_destroy(&c->out);
	msgpack_unpacked_destroy(&c->reply);
	free(c->in);
	free(c->kept);
	free(c);
}

void
hyco_set_timeouts(hyco_client *c, int connect_ms, int call_ms)
{
	c->connect_ms = connect_ms;
	c->call_ms = call_ms;
}

const char *
hyco_socket_path(const hyco_client *c)
{
	return c->path;
}

const char *
hyco_error_code(const hyco_client *c)
{
	return c->err_code;
}

const char *
hyco_error_message(const hyco_client *c)
{
	return c->err_msg;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline for poll(); -1 means forever. */
static int
left_ms(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

int
hyco_connect(hyco_client *c)
{
	struct sockaddr_un sun;
	int64_t deadline = c->connect_ms < 0 ? -1 : now_ms() + c->connect_ms;

	disconnect(c);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, c->path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return hyco__fail(c, HYCO_ECONNECT, "connect", "socket: %s",
			    strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			c->fd = fd;
			return HYCO_OK;
		}
		int err = errno;
		close(fd);
		/* A full backlog answers EAGAIN: the daemon is there, wait. */
		if ((err == EAGAIN || err == EINTR) && left_ms(deadline) != 0) {
			poll(NULL, 0, 10);
			continue;
		}
		return hyco__fail(c, HYCO_ECONNECT, "connect", "cannot connect to "
		    "hycod at %s: %s", c->path, strerror(err));
	}
}

/* True if the daemon closed the connection since the last call. */
static int
peer_gone(hyco_client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	/*
	 * Readable between calls means EOF, an error or stray bytes: in
	 * every case this connection is not one we can use.
	 */
	return poll(&p, 1, 0) > 0;
}

static int
send_all(hyco_client *c, const char *buf, size_t len, size_t *sent)
{
	*sent = 0;
	while (*sent < len) {
		ssize_t n = send(c->fd, buf + *sent, len - *sent, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*sent += (size_t)n;
	}
	return 0;
}

/* Drop the bytes of messages already handed out: none is in use now. */
static void
compact(hyco_client *c)
{
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->kept_off > 0) {
		memmove(c->kept, c->kept + c->kept_off, c->kept_len - c->kept_off);
		c->kept_len -= c->kept_off;
		c->kept_off = 0;
	}
}

static int
is_notification(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3 &&
	    o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.array.ptr[0].via.u64 == RPC_NOTIFY;
}

/*
 * A subscribed client keeps an event that came during a call. Beyond
 * HYCO_EVENTS_KEPT_MAX (or memory) it is lost: hyco.h says so.
 */
static void
keep(hyco_client *c, const char *bytes, size_t len)
{
	if (c->kept_len + len > HYCO_EVENTS_KEPT_MAX)
		return;
	if (c->kept_cap - c->kept_len < len) {
		size_t cap = c->kept_cap ? c->kept_cap : 4096;
		char *p;
		while (cap - c->kept_len < len)
			cap *= 2;
		if ((p = realloc(c->kept, cap)) == NULL)
			return;
		c->kept = p;
		c->kept_cap = cap;
	}
	memcpy(c->kept + c->kept_len, bytes, len);
	c->kept_len += len;
}

/*
 * The next message into c->reply, reading until deadline. On a timeout
 * the connection is closed if drop_on_timeout (a late reply would
 * desynchronize a call) and kept otherwise (waiting for events).
 */
static int
next_message(hyco_client *c, int64_t deadline, int drop_on_timeout)
{
	for (;;) {
		enum frame_status fs = c->in_len == c->in_off ? FRAME_MORE :
		    frame_walk(&c->frame, c->in + c->in_off, c->in_len - c->in_off);
		size_t len = c->frame.pos, used = 0;
		if (fs == FRAME_TOO_LARGE || fs == FRAME_TOO_DEEP) {
			disconnect(c);
			return hyco__fail(c, HYCO_EPROTO, "protocol", "reply "
			    "larger than %u bytes (declared sizes included) or "
			    "nested over %d levels", HYCO_REPLY_MAX,
			    FRAME_DEPTH_MAX);
		}
		/* Whole and within bounds: only now may msgpack-c allocate. */
		if (fs == FRAME_DONE && msgpack_unpack_next(&c->reply,
		    c->in + c->in_off, len, &used) == MSGPACK_UNPACK_SUCCESS &&
		    used == len) {
			c->in_off += len;
			frame_next(&c->frame);
			return HYCO_OK;
		}
		if (fs != FRAME_MORE) {
			disconnect(c);
			return hyco__fail(c, HYCO_EPROTO, "protocol",
			    "hycod sent bytes that are not msgpack");
		}
		if (c->in_cap - c->in_len < HYCO_READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : HYCO_READ_CHUNK * 2;
			char *p;
			if (cap > HYCO_REPLY_MAX + HYCO_READ_CHUNK) {
				disconnect(c);
				return hyco__fail(c, HYCO_EPROTO, "protocol",
				    "reply larger than %u bytes", HYCO_REPLY_MAX);
			}
			if ((p = realloc(c->in, cap)) == NULL) {
				disconnect(c);
				return hyco__fail(c, HYCO_ENOMEM, "memory", "out of memory");
			}
			c->in = p;
			c->in_cap = cap;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, left_ms(deadline));
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == 0) {
			if (drop_on_timeout)
				disconnect(c);
			return hyco__fail(c, HYCO_ETIMEOUT, "timeout", "nothing from "
			    "hycod within %d ms", drop_on_timeout ? c->call_ms :
			    (int)(deadline < 0 ? -1 : deadline - now_ms()));
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n == 0 ? 0 : errno;
			disconnect(c);
			return hyco__fail(c, HYCO_ECONNECT, "connect", "hycod closed the "
			    "connection%s%s", err ? ": " : "", err ? strerror(err) : "");
		}
		c->in_len += (size_t)n;
	}
}

/*
 * Read the reply to msgid; its error and result borrow from c->reply
 * and c->in, until the next call. Notifications before it are skipped,
 * or kept for hyco_next_event by a subscribed client.
 */
static int
read_reply(hyco_client *c, uint32_t msgid, int64_t deadline,
    const msgpack_object **err, const msgpack_object **res)
{
	/* The last call's reply is no longer in use: drop its bytes. */
	compact(c);
	for (;;) {
		size_t start = c->in_off;
		uint32_t id;
		int rc;
		if ((rc = next_message(c, deadline, 1)) != HYCO_OK) {
			if (rc == HYCO_ECONNECT)
				hyco__fail(c, rc, "connect", "hycod closed the "
				    "connection before replying");
			return rc;
		}
		const msgpack_object *o = &c->reply.data;
		if (is_notification(o)) {
			if (c->subscribed)
				keep(c, c->in + start, c->in_off - start);
			continue;	/* notifications are not replies */
		}
		if (rpc_decode_response(o, &id, err, res) == -1 || id != msgid) {
			disconnect(c);
			return hyco__fail(c, HYCO_EPROTO, "protocol",
			    "unexpected message from hycod");
		}
		return HYCO_OK;
	}
}

static void
pack_arg(msgpack_packer *pk, const struct hyco_arg *a)
{
	rpc_pack_cstr(pk, a->name);
	switch (a->type) {
	case HYCO_ARG_INT:
		msgpack_pack_int64(pk, a->i);
		break;
	case HYCO_ARG_STR:
		rpc_pack_cstr(pk, a->s);
		break;
	case HYCO_ARG_BOOL:
		a->i ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		break;
	case HYCO_ARG_FLOAT:
		msgpack_pack_double(pk, a->f);
		break;
	}
}

/* Check what pack_arg would otherwise trip over. */
static int
args_check(hyco_client *c, const char *method, const struct hyco_arg *args,
    size_t nargs)
{
	if (method == NULL || (nargs > 0 && args == NULL))
		return hyco__fail(c, HYCO_EINVAL, "argument", "no method or "
		    "no arguments given");
	for (size_t i = 0; i < nargs; i++)
		if (args[i].name == NULL || args[i].type > HYCO_ARG_FLOAT ||
		    (args[i].type == HYCO_ARG_STR && args[i].s == NULL))
			return hyco__fail(c, HYCO_EINVAL, "argument", "%s: "
			    "argument %zu has no name, no value or an unknown "
			    "type", method, i);
	return HYCO_OK;
}

/* Packs the params of a request (its one map), if it has any. */
typedef void (*params_fn)(msgpack_packer *pk, const void *ctx);

/* Send method with params packed by pack (NULL: none), read its reply. */
static int
call_packed(hyco_client *c, const char *method, params_fn pack,
    const void *ctx, const hyco_value **result)
{
	uint32_t msgid = c->next_msgid++;
	size_t sent;
	int rc;

	c->result = NULL;
	msgpack_sbuffer_clear(&c->out);
	rpc_pack_request(&c->pk, msgid, method, pack != NULL);
	if (pack != NULL)
		pack(&c->pk, ctx);
	/*
	 * The daemon restarted since the last call? (A subscriber's
	 * connection is readable with events: its breaks show at send.)
	 */
	if (c->fd != -1 && !c->subscribed && peer_gone(c))
		disconnect(c);
	for (int attempt = 0; ; attempt++) {
		if (c->fd == -1 && (rc = hyco_connect(c)) != HYCO_OK)
			return rc;
		if (send_all(c, c->out.data, c->out.size, &sent) == 0)
			break;
		int err = errno;
		disconnect(c);
		/* Nothing of it reached the daemon: safe to send again. */
		if (attempt == 0 && sent == 0 && (err == EPIPE ||
		    err == ECONNRESET))
			continue;
		return hyco__fail(c, HYCO_ECONNECT, "connect", "send to hycod: %s",
		    strerror(err));
	}
	int64_t deadline = c->call_ms < 0 ? -1 : now_ms() + c->call_ms;
	const msgpack_object *err, *res;
	if ((rc = read_reply(c, msgid, deadline, &err, &res)) != HYCO_OK)
		return rc;
	if (err != NULL) {
		const msgpack_object *code = rpc_map_get(err, "code");
		const msgpack_object *msg = rpc_map_get(err, "message");
		int has_msg = msg != NULL && msg->type == MSGPACK_OBJECT_STR;
		if (code == NULL || code->type != MSGPACK_OBJECT_STR)
			return hyco__fail(c, HYCO_EPROTO, "protocol", "malformed error");
		snprintf(c->err_code, sizeof(c->err_code), "%.*s",
		    (int)code->via.str.size, code->via.str.ptr);
		snprintf(c->err_msg, sizeof(c->err_msg), "%.*s",
		    has_msg ? (int)msg->via.str.size : 0,
		    has_msg ? msg->via.str.ptr : "");
		return HYCO_EREFUSED;
	}
	c->result = res;
	if (result != NULL)
		*result = hyco__value(res);
	c->err_code[0] = c->err_msg[0] = '\0';
	return HYCO_OK;
}

struct named_args {
	const struct hyco_arg	*args;
	size_t			 n;
};

static void
pack_args(msgpack_packer *pk, const void *ctx)
{
	const struct named_args *a = ctx;

	msgpack_pack_map(pk, a->n);
	for (size_t i = 0; i < a->n; i++)
		pack_arg(pk, &a->args[i]);
}

int
hyco_call(hyco_client *c, const char *method, const struct hyco_arg *args,
    size_t nargs, const hyco_value **result)
{
	struct named_args a = { args, nargs };
	int rc;

	c->result = NULL;
	if ((rc = args_check(c, method, args, nargs)) != HYCO_OK)
		return rc;
	return call_packed(c, method, nargs > 0 ? pack_args : NULL, &a, result);
}

/* -- events --------------------------------------------------------------- */

struct type_list {
	const char *const	*types;
	size_t			 n;
};

static void
pack_types(msgpack_packer *pk, const void *ctx)
{
	const struct type_list *t = ctx;

	msgpack_pack_map(pk, 1);
	rpc_pack_cstr(pk, "events");
	msgpack_pack_array(pk, t->n);
	for (size_t i = 0; i < t->n; i++)
		rpc_pack_cstr(pk, t->types[i]);
}

int
hyco_subscribe(hyco_client *c, const char *const *types, size_t ntypes)
{
	struct type_list t = { types, ntypes };
	const hyco_value *r;
	uint64_t max;
	int rc;

	for (size_t i = 0; i < ntypes; i++)
		if (types == NULL || types[i] == NULL)
			return hyco__fail(c, HYCO_EINVAL, "argument", "subscribe: "
			    "event type %zu is NULL", i);
	if ((rc = call_packed(c, "subscribe", ntypes > 0 ? pack_types : NULL,
	    &t, &r)) != HYCO_OK)
		return rc;
	if (hyco_value_type(hyco_map_get(r, "events")) != HYCO_TYPE_ARRAY ||
	    hyco_value_uint(hyco_map_get(r, "max_queued_bytes"), &max) == -1)
		return hyco__fail(c, HYCO_EPROTO, "protocol", "subscribe: reply "
		    "field events or max_queued_bytes is missing or mistyped");
	c->subscribed = 1;
	return HYCO_OK;
}

int
hyco_unsubscribe(hyco_client *c)
{
	int rc = call_packed(c, "unsubscribe", NULL, NULL, NULL);

	if (rc == HYCO_OK) {
		c->subscribed = 0;
		c->kept_off = c->kept_len = 0;
	}
	return rc;
}

int
hyco_next_event(hyco_client *c, int timeout_ms, const hyco_value **event)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	const msgpack_object *o, *params;
	size_t off;
	int rc;

	c->result = NULL;
	if (event == NULL)
		return hyco__fail(c, HYCO_EINVAL, "argument", "next_event: no "
		    "place for the event");
	*event = NULL;
	if (!c->subscribed || c->fd == -1)
		return hyco__fail(c, HYCO_ECONNECT, "connect", "not subscribed: "
		    "call hyco_subscribe first (a subscription ends with its "
		    "connection)");
	compact(c);
	for (;;) {
		if (c->kept_off < c->kept_len) {
			/* Kept during a call: whole messages, in order. */
			off = c->kept_off;
			if (msgpack_unpack_next(&c->reply, c->kept, c->kept_len,
			    &off) < MSGPACK_UNPACK_SUCCESS) {
				c->kept_off = c->kept_len = 0;
				continue;
			}
			c->kept_off = off;
		} else if ((rc = next_message(c, deadline, 0)) != HYCO_OK)
			return rc;
		o = &c->reply.data;
		if (!is_notification(o)) {
			disconnect(c);
			return hyco__fail(c, HYCO_EPROTO, "protocol", "a reply "
			    "with no call waiting for it");
		}
		params = &o->via.array.ptr[2];
		if (!rpc_obj_is_str(&o->via.array.ptr[1], "event") ||
		    params->type != MSGPACK_OBJECT_ARRAY ||
		    params->via.array.size != 1 ||
		    params->via.array.ptr[0].type != MSGPACK_OBJECT_MAP)
			continue;	/* not an event: not ours to read */
		*event = hyco__value(&params->via.array.ptr[0]);
		c->err_code[0] = c->err_msg[0] = '\0';
		return HYCO_OK;
	}
}

const hyco_value *
hyco_result(const hyco_client *c)
{
	return hyco__value(c->result);
}
