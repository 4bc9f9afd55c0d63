/* hyco.c: libhyco, a blocking msgpack-RPC client over a Unix socket. */
#include "hyco.h"

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

#include "proto.h"

#define HYCO_CONNECT_MS		5000
#define HYCO_REPLY_MAX		(64u << 20)	/* largest reply accepted */
#define HYCO_READ_CHUNK		(64 * 1024)

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
	msgpack_unpacked	reply;		/* the last reply */
	char			err_code[32];
	char			err_msg[512];
};

static int
fail(hyco_client *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(hyco_client *c, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

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
	return c;
}

static void
disconnect(hyco_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->in_off = c->in_len = 0;
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
			return fail(c, HYCO_ECONNECT, "connect", "socket: %s",
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
		return fail(c, HYCO_ECONNECT, "connect", "cannot connect to "
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

/*
 * Read the reply to msgid; its error and result borrow from c->reply
 * and c->in, until the next call.
 */
static int
read_reply(hyco_client *c, uint32_t msgid, int64_t deadline,
    const msgpack_object **err, const msgpack_object **res)
{
	/* The last call's reply is no longer in use: drop its bytes. */
	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	for (;;) {
		size_t off = c->in_off;
		msgpack_unpack_return r = c->in_len == c->in_off ?
		    MSGPACK_UNPACK_CONTINUE : msgpack_unpack_next(&c->reply,
		    c->in, c->in_len, &off);
		if (r == MSGPACK_UNPACK_SUCCESS || r == MSGPACK_UNPACK_EXTRA_BYTES) {
			const msgpack_object *o = &c->reply.data;
			uint32_t id;
			c->in_off = off;
			if (o->type == MSGPACK_OBJECT_ARRAY && o->via.array.size == 3 &&
			    o->via.array.ptr[0].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    o->via.array.ptr[0].via.u64 == RPC_NOTIFY)
				continue;	/* notifications are not ours */
			if (rpc_decode_response(o, &id, err, res) == -1 ||
			    id != msgid) {
				disconnect(c);
				return fail(c, HYCO_EPROTO, "protocol",
				    "unexpected message from hycod");
			}
			return HYCO_OK;
		}
		if (r < 0) {
			disconnect(c);
			return fail(c, HYCO_EPROTO, "protocol",
			    "hycod sent bytes that are not msgpack");
		}
		if (c->in_cap - c->in_len < HYCO_READ_CHUNK) {
			size_t cap = c->in_cap ? c->in_cap * 2 : HYCO_READ_CHUNK * 2;
			char *p;
			if (cap > HYCO_REPLY_MAX + HYCO_READ_CHUNK) {
				disconnect(c);
				return fail(c, HYCO_EPROTO, "protocol",
				    "reply larger than %u bytes", HYCO_REPLY_MAX);
			}
			if ((p = realloc(c->in, cap)) == NULL) {
				disconnect(c);
				return fail(c, HYCO_ENOMEM, "memory", "out of memory");
			}
			c->in = p;
			c->in_cap = cap;
		}
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, left_ms(deadline));
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == 0) {
			disconnect(c);	/* a late reply would desynchronize us */
			return fail(c, HYCO_ETIMEOUT, "timeout", "no reply from "
			    "hycod within %d ms", c->call_ms);
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n == 0 ? 0 : errno;
			disconnect(c);
			return fail(c, HYCO_ECONNECT, "connect", "hycod closed the "
			    "connection before replying%s%s", err ? ": " : "",
			    err ? strerror(err) : "");
		}
		c->in_len += (size_t)n;
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

int
hyco_call(hyco_client *c, const char *method, const struct hyco_arg *args,
    size_t nargs, const msgpack_object **result)
{
	uint32_t msgid = c->next_msgid++;
	size_t sent;
	int rc;

	msgpack_sbuffer_clear(&c->out);
	rpc_pack_request(&c->pk, msgid, method, nargs > 0);
	if (nargs > 0) {
		msgpack_pack_map(&c->pk, nargs);
		for (size_t i = 0; i < nargs; i++)
			pack_arg(&c->pk, &args[i]);
	}
	if (c->fd != -1 && peer_gone(c))
		disconnect(c);	/* the daemon restarted since the last call */
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
		return fail(c, HYCO_ECONNECT, "connect", "send to hycod: %s",
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
			return fail(c, HYCO_EPROTO, "protocol", "malformed error");
		snprintf(c->err_code, sizeof(c->err_code), "%.*s",
		    (int)code->via.str.size, code->via.str.ptr);
		snprintf(c->err_msg, sizeof(c->err_msg), "%.*s",
		    has_msg ? (int)msg->via.str.size : 0,
		    has_msg ? msg->via.str.ptr : "");
		return HYCO_EREFUSED;
	}
	if (result != NULL)
		*result = res;
	c->err_code[0] = c->err_msg[0] = '\0';
	return HYCO_OK;
}

/* -- typed wrappers ------------------------------------------------------ */

static int
get_u64(const msgpack_object *map, const char *key, uint64_t *v)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

static int
get_bool(const msgpack_object *map, const char *key, int *v)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*v = o->via.boolean;
	return 0;
}

static int
get_double(const msgpack_object *map, const char *key, double *v)
{
	const msgpack_object *o = rpc_map_get(map, key);

	return o == NULL ? -1 : rpc_obj_number(o, v);
}

static char *
dup_str(const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return strndup(o->via.str.ptr, o->via.str.size);
}

static int
copy_str(const msgpack_object *o, char *buf, size_t size)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size)
		return -1;
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	return 0;
}

static int
bad_reply(hyco_client *c, const char *method)
{
	return fail(c, HYCO_EPROTO, "protocol", "%s: reply is missing fields",
	    method);
}

int
hyco_ping(hyco_client *c, struct hyco_ping *out)
{
	const msgpack_object *r, *o;
	int64_t pid;
	int rc;

	if ((rc = hyco_call(c, "ping", NULL, 0, &r)) != HYCO_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	if (copy_str(rpc_map_get(r, "version"), out->version,
	    sizeof(out->version)) == -1 || (o = rpc_map_get(r, "pid")) == NULL ||
	    rpc_obj_int(o, &pid) == -1 || (o = rpc_map_get(r, "uptime_s")) == NULL ||
	    rpc_obj_number(o, &out->uptime_s) == -1)
		return bad_reply(c, "ping");
	out->pid = (long)pid;
	return HYCO_OK;
}

int
hyco_get_cycle_dir(hyco_client *c, const char *kind, long cycle,
    const char *dataset, char *path, size_t pathsz, int *created)
{
	struct hyco_arg a[3] = {
		{ .name = "kind", .type = HYCO_ARG_STR, .s = kind },
		{ .name = "cycle", .type = HYCO_ARG_INT, .i = cycle },
		{ .name = "dataset", .type = HYCO_ARG_STR, .s = dataset },
	};
	const msgpack_object *r, *o;
	int rc;

	if (kind == NULL)
		return fail(c, HYCO_EINVAL, "argument", "kind is required");
	if ((rc = hyco_call(c, "get-cycle-dir", a, dataset ? 3 : 2, &r)) != HYCO_OK)
		return rc;
	if (copy_str(rpc_map_get(r, "path"), path, pathsz) == -1 ||
	    (o = rpc_map_get(r, "created")) == NULL ||
	    o->type != MSGPACK_OBJECT_BOOLEAN)
		return bad_reply(c, "get-cycle-dir");
	if (created != NULL)
		*created = o->via.boolean;
	return HYCO_OK;
}

int
hyco_cleanup_cycle(hyco_client *c, long cycle, const char *kind,
    struct hyco_cleanup *out)
{
	struct hyco_arg a[2] = {
		{ .name = "cycle", .type = HYCO_ARG_INT, .i = cycle },
		{ .name = "kind", .type = HYCO_ARG_STR, .s = kind },
	};
	const msgpack_object *r, *list;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = hyco_call(c, "cleanup-cycle", a, kind ? 2 : 1, &r)) != HYCO_OK)
		return rc;
	list = rpc_map_get(r, "removed");
	if (get_u64(r, "freed_bytes", &out->freed_bytes) == -1 || list == NULL ||
	    list->type != MSGPACK_OBJECT_ARRAY)
		return bad_reply(c, "cleanup-cycle");
	if (list->via.array.size > 0 && (out->removed = calloc(
	    list->via.array.size, sizeof(char *))) == NULL)
		return fail(c, HYCO_ENOMEM, "memory", "out of memory");
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		if ((out->removed[i] = dup_str(&list->via.array.ptr[i])) == NULL) {
			hyco_cleanup_free(out);
			return bad_reply(c, "cleanup-cycle");
		}
		out->nremoved++;
	}
	return HYCO_OK;
}

void
hyco_cleanup_free(struct hyco_cleanup *r)
{
	for (size_t i = 0; i < r->nremoved; i++)
		free(r->removed[i]);
	free(r->removed);
	memset(r, 0, sizeof(*r));
}

int
hyco_cleanup_generated(hyco_client *c, uint64_t *freed_bytes)
{
	const msgpack_object *r;
	int rc;

	if ((rc = hyco_call(c, "cleanup-generated", NULL, 0, &r)) != HYCO_OK)
		return rc;
	if (get_u64(r, "freed_bytes", freed_bytes) == -1)
		return bad_reply(c, "cleanup-generated");
	return HYCO_OK;
}

int
hyco_summary(hyco_client *c, struct hyco_summary *s)
{
	const msgpack_object *r, *ds, *cy, *disk;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = hyco_call(c, "summary", NULL, 0, &r)) != HYCO_OK)
		return rc;
	ds = rpc_map_get(r, "datasets");
	cy = rpc_map_get(r, "cycles");
	disk = rpc_map_get(r, "disk");
	if (get_u64(r, "tensors", &s->tensors) == -1 ||
	    get_u64(r, "generated", &s->generated) == -1 ||
	    get_u64(r, "eval", &s->eval) == -1 ||
	    get_u64(r, "total", &s->total) == -1 ||
	    get_u64(r, "files", &s->files) == -1 || ds == NULL ||
	    ds->type != MSGPACK_OBJECT_MAP || cy == NULL ||
	    cy->type != MSGPACK_OBJECT_ARRAY ||
	    get_u64(disk, "free_bytes", &s->disk_free_bytes) == -1 ||
	    get_u64(disk, "total_bytes", &s->disk_total_bytes) == -1 ||
	    (s->disk_path = dup_str(rpc_map_get(disk, "path"))) == NULL ||
	    get_bool(r, "exact", &s->exact) == -1 ||
	    get_u64(r, "watched_dirs", &s->watched_dirs) == -1 ||
	    get_u64(r, "unwatched_dirs", &s->unwatched_dirs) == -1 ||
	    get_u64(r, "tracked_files", &s->tracked_files) == -1 ||
	    get_u64(r, "index_bytes", &s->index_bytes) == -1 ||
	    get_u64(r, "overflows", &s->overflows) == -1 ||
	    get_u64(r, "rescans", &s->rescans) == -1 ||
	    get_double(r, "last_rescan", &s->last_rescan) == -1)
		goto bad;
	s->datasets = calloc(ds->via.map.size + 1, sizeof(*s->datasets));
	s->cycles = calloc(cy->via.array.size + 1, sizeof(*s->cycles));
	if (s->datasets == NULL || s->cycles == NULL) {
		hyco_summary_free(s);
		return fail(c, HYCO_ENOMEM, "memory", "out of memory");
	}
	for (uint32_t i = 0; i < ds->via.map.size; i++) {
		struct hyco_dataset_usage *d = &s->datasets[i];
		const msgpack_object *v = &ds->via.map.ptr[i].val;
		if ((d->name = dup_str(&ds->via.map.ptr[i].key)) == NULL)
			goto bad;
		s->ndatasets++;
		if (get_u64(v, "tensors", &d->tensors) == -1 ||
		    get_u64(v, "generated", &d->generated) == -1 ||
		    get_u64(v, "eval", &d->eval) == -1)
			goto bad;
	}
	for (uint32_t i = 0; i < cy->via.array.size; i++) {
		struct hyco_cycle_usage *u = &s->cycles[i];
		const msgpack_object *v = &cy->via.array.ptr[i], *n;
		int64_t cycle;
		if (copy_str(rpc_map_get(v, "kind"), u->kind, sizeof(u->kind)) == -1 ||
		    (n = rpc_map_get(v, "cycle")) == NULL ||
		    rpc_obj_int(n, &cycle) == -1 ||
		    get_u64(v, "bytes", &u->bytes) == -1 ||
		    get_u64(v, "files", &u->files) == -1)
			goto bad;
		u->cycle = (long)cycle;
		s->ncycles++;
	}
	return HYCO_OK;
bad:
	hyco_summary_free(s);
	return bad_reply(c, "summary");
}

void
hyco_summary_free(struct hyco_summary *s)
{
	for (size_t i = 0; i < s->ndatasets; i++)
		free(s->datasets[i].name);
	free(s->datasets);
	free(s->cycles);
	free(s->disk_path);
	memset(s, 0, sizeof(*s));
}

int
hyco_disk_check(hyco_client *c, uint64_t required_bytes,
    struct hyco_disk_check *out)
{
	struct hyco_arg a = { .name = "required_bytes", .type = HYCO_ARG_INT,
	    .i = (int64_t)required_bytes };
	const msgpack_object *r, *ok;
	int rc;

	if (required_bytes > INT64_MAX)
		return fail(c, HYCO_EINVAL, "argument", "required_bytes too large");
	if ((rc = hyco_call(c, "disk-check", &a, 1, &r)) != HYCO_OK)
		return rc;
	memset(out, 0, sizeof(*out));
	ok = rpc_map_get(r, "ok");
	if (ok == NULL || ok->type != MSGPACK_OBJECT_BOOLEAN ||
	    get_u64(r, "available_bytes", &out->available_bytes) == -1 ||
	    get_u64(r, "required_bytes", &out->required_bytes) == -1 ||
	    copy_str(rpc_map_get(r, "path"), out->path, sizeof(out->path)) == -1)
		return bad_reply(c, "disk-check");
	out->ok = ok->via.boolean;
	return HYCO_OK;
}

/* -- JSON ---------------------------------------------------------------- */

static void
json_str(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void
hyco_print_json(FILE *out, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		fputs("null", out);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		fputs(o->via.boolean ? "true" : "false", out);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		fprintf(out, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		fprintf(out, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		fprintf(out, "%.17g", o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		json_str(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		json_str(out, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		fputc('[', out);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				fputs(", ", out);
			hyco_print_json(out, &o->via.array.ptr[i]);
		}
		fputc(']', out);
		break;
	case MSGPACK_OBJECT_MAP:
		fputc('{', out);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (i > 0)
				fputs(", ", out);
			const msgpack_object *k = &o->via.map.ptr[i].key;
			if (k->type == MSGPACK_OBJECT_STR)
				hyco_print_json(out, k);
			else {
				fputc('"', out);
				hyco_print_json(out, k);
				fputc('"', out);
			}
			fputs(": ", out);
			hyco_print_json(out, &o->via.map.ptr[i].val);
		}
		fputc('}', out);
		break;
	default:
		fputs("null", out);
		break;
	}
}
