/* proto.c: msgpack-RPC request/response encode and decode. */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rpc_error_codes[RPC_ERROR_COUNT] = {
	"ok",
	"invalid_argument",
	"unknown_method",
	"too_large",
	"io_error",
	"no_space",
	"internal",
	"permission_denied",
};

int
rpc_decode_request(const msgpack_object *o, struct rpc_request *req,
    const char **why)
{
	const msgpack_object *a, *params;

	memset(req, 0, sizeof(*req));
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < 3) {
		*why = "message is not a msgpack-RPC array";
		return RPC_DECODE_CLOSE;
	}
	a = o->via.array.ptr;
	if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    (a[0].via.u64 != RPC_REQUEST && a[0].via.u64 != RPC_NOTIFY)) {
		*why = "message type is not request (0) or notification (2)";
		return RPC_DECODE_CLOSE;
	}
	req->type = (int)a[0].via.u64;
	if (req->type == RPC_REQUEST) {
		if (o->via.array.size != 4) {
			*why = "request is not a 4-element array";
			return RPC_DECODE_CLOSE;
		}
		if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    a[1].via.u64 > UINT32_MAX) {
			*why = "msgid is not a 32-bit unsigned integer";
			return RPC_DECODE_CLOSE;
		}
		req->msgid = (uint32_t)a[1].via.u64;
		a += 2;
	} else {
		if (o->via.array.size != 3) {
			*why = "notification is not a 3-element array";
			return RPC_DECODE_CLOSE;
		}
		a += 1;
	}
	if (a[0].type != MSGPACK_OBJECT_STR) {
		*why = "method is not a string";
		return RPC_DECODE_CLOSE;
	}
	req->method = a[0].via.str.ptr;
	req->method_len = a[0].via.str.size;
	params = &a[1];
	if (params->type != MSGPACK_OBJECT_ARRAY || params->via.array.size > 1) {
		*why = "params must be [] or [{name: value, ...}]";
		return RPC_DECODE_BADPARAMS;
	}
	if (params->via.array.size == 1) {
		if (params->via.array.ptr[0].type != MSGPACK_OBJECT_MAP) {
			*why = "params must be [] or [{name: value, ...}]";
			return RPC_DECODE_BADPARAMS;
		}
		req->args = &params->via.array.ptr[0].via.map;
	}
	return RPC_DECODE_OK;
}

static bool
str_is(const msgpack_object *o, const char *s, size_t len)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
	    memcmp(o->via.str.ptr, s, len) == 0;
}

bool
rpc_obj_is_str(const msgpack_object *o, const char *s)
{
	return str_is(o, s, strlen(s));
}

int
rpc_args_check(const msgpack_object_map *args, const char *const *allowed,
    char *buf, size_t bufsz)
{
	if (args == NULL)
		return 0;
	for (uint32_t i = 0; i < args->size; i++) {
		const msgpack_object *k = &args->ptr[i].key;
		size_t j;
		if (k->type != MSGPACK_OBJECT_STR) {
			snprintf(buf, bufsz, "argument names must be strings");
			return -1;
		}
		for (j = 0; allowed[j] != NULL; j++)
			if (str_is(k, allowed[j], strlen(allowed[j])))
				break;
		if (allowed[j] == NULL) {
			snprintf(buf, bufsz, "unknown argument '%.*s'",
			    (int)(k->via.str.size > 64 ? 64 : k->via.str.size),
			    k->via.str.ptr);
			return -1;
		}
		for (uint32_t m = 0; m < i; m++)
			if (str_is(&args->ptr[m].key, k->via.str.ptr,
			    k->via.str.size)) {
				snprintf(buf, bufsz, "argument '%s' given twice",
				    allowed[j]);
				return -1;
			}
	}
	return 0;
}

const msgpack_object *
rpc_args_get(const msgpack_object_map *args, const char *key)
{
	size_t len = strlen(key);

	if (args == NULL)
		return NULL;
	for (uint32_t i = 0; i < args->size; i++)
		if (str_is(&args->ptr[i].key, key, len))
			return &args->ptr[i].val;
	return NULL;
}

const msgpack_object *
rpc_map_get(const msgpack_object *map, const char *key)
{
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	return rpc_args_get(&map->via.map, key);
}

int
rpc_obj_int(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return -1;
		*v = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 0;
	}
	return -1;
}

int
rpc_obj_number(const msgpack_object *o, double *v)
{
	int64_t i;

	if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64) {
		*v = o->via.f64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*v = (double)o->via.u64;
		return 0;
	}
	if (rpc_obj_int(o, &i) == 0) {
		*v = (double)i;
		return 0;
	}
	return -1;
}

#define HEADER_MAX	5	/* map32 or array32: a byte and a uint32 */

static void
begin(struct rpc_container *c, msgpack_packer *pk, bool map)
{
	const msgpack_sbuffer *sb = pk->data;

	c->pk = pk;
	c->at = sb->size;
	c->n = 0;
	c->map = map;
	/* The largest header, so that end only ever shrinks it. */
	if (map)
		msgpack_pack_map(pk, UINT32_MAX);
	else
		msgpack_pack_array(pk, UINT32_MAX);
}

static void
end(struct rpc_container *c)
{
	msgpack_sbuffer *sb = c->pk->data;
	unsigned char *h = (unsigned char *)sb->data + c->at;
	size_t len;

	if (sb->size < c->at + HEADER_MAX)
		return;		/* the buffer could not grow: nothing to patch */
	if (c->n < 16) {
		h[0] = (unsigned char)((c->map ? 0x80 : 0x90) | c->n);
		len = 1;
	} else if (c->n <= UINT16_MAX) {
		h[0] = c->map ? 0xde : 0xdc;
		h[1] = (unsigned char)(c->n >> 8);
		h[2] = (unsigned char)c->n;
		len = 3;
	} else {
		h[1] = (unsigned char)(c->n >> 24);
		h[2] = (unsigned char)(c->n >> 16);
		h[3] = (unsigned char)(c->n >> 8);
		h[4] = (unsigned char)c->n;
		return;
	}
	memmove(h + len, h + HEADER_MAX, sb->size - c->at - HEADER_MAX);
	sb->size -= HEADER_MAX - len;
}

/*
 * Room for n more bytes at the end of pk's sbuffer (what every packer
 * here packs into, as rpc_container says), grown as msgpack_sbuffer_write
 * grows it; NULL, nothing changed, without memory. The helpers below
 * write a key and its value through it at once, where msgpack_pack_*
 * calls the packer's callback, a copy of a few bytes, for each piece:
 * most of what packing a small reply cost.
 */
static unsigned char *
room(msgpack_packer *pk, size_t n)
{
	msgpack_sbuffer *sb = pk->data;
	size_t cap;
	char *p;

	if (sb->alloc - sb->size >= n)
		return (unsigned char *)sb->data + sb->size;
	cap = sb->alloc ? sb->alloc * 2 : MSGPACK_SBUFFER_INIT_SIZE;
	while (cap < sb->size + n) {
		if (cap * 2 <= cap) {
			cap = sb->size + n;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(sb->data, cap)) == NULL)
		return NULL;
	sb->data = p;
	sb->alloc = cap;
	return (unsigned char *)p + sb->size;
}

/* The bytes written at p, to be counted into the sbuffer. */
static void
wrote(msgpack_packer *pk, const unsigned char *p, const unsigned char *end)
{
	((msgpack_sbuffer *)pk->data)->size += (size_t)(end - p);
}

#define STR_HEAD_MAX	5
#define UINT_MAX_LEN	9

/* A str header for len bytes, as msgpack_pack_str writes it. */
static unsigned char *
put_str(unsigned char *p, const char *s, size_t len)
{
	if (len < 32)
		*p++ = (unsigned char)(0xa0 | len);
	else if (len < 256) {
		*p++ = 0xd9;
		*p++ = (unsigned char)len;
	} else if (len < 65536) {
		*p++ = 0xda;
		*p++ = (unsigned char)(len >> 8);
		*p++ = (unsigned char)len;
	} else {
		*p++ = 0xdb;
		for (int i = 3; i >= 0; i--)
			*p++ = (unsigned char)(len >> (8 * i));
	}
	memcpy(p, s, len);
	return p + len;
}

/* v in the smallest form, as msgpack_pack_uint64 writes it. */
static unsigned char *
put_uint(unsigned char *p, uint64_t v)
{
	int width;

	if (v < 128) {
		*p++ = (unsigned char)v;
		return p;
	}
	if (v < 256) {
		*p++ = 0xcc;
		width = 1;
	} else if (v < 65536) {
		*p++ = 0xcd;
		width = 2;
	} else if (v <= UINT32_MAX) {
		*p++ = 0xce;
		width = 4;
	} else {
		*p++ = 0xcf;
		width = 8;
	}
	for (int i = width - 1; i >= 0; i--)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

/*
 * m's next key at the end of its sbuffer, with room for a value of up
 * to extra bytes after it: where the value goes (*start: where the key
 * began), or NULL without memory.
 */
static unsigned char *
key(struct rpc_container *m, const char *k, size_t extra,
    unsigned char **start)
{
	size_t klen = strlen(k);
	unsigned char *p = room(m->pk, STR_HEAD_MAX + klen + extra);

	if (p == NULL)
		return NULL;
	m->n++;
	*start = p;
	return put_str(p, k, klen);
}

void
rpc_map_begin(struct rpc_container *m, msgpack_packer *pk)
{
	begin(m, pk, true);
}

void
rpc_map_key(struct rpc_container *m, const char *k)
{
	unsigned char *p, *e;

	if ((e = key(m, k, 0, &p)) != NULL)
		wrote(m->pk, p, e);
}

void
rpc_map_end(struct rpc_container *m)
{
	end(m);
}

void
rpc_array_begin(struct rpc_container *a, msgpack_packer *pk)
{
	begin(a, pk, false);
}

void
rpc_array_next(struct rpc_container *a)
{
	a->n++;
}

void
rpc_array_end(struct rpc_container *a)
{
	end(a);
}

void
rpc_kv_u64(struct rpc_container *m, const char *k, uint64_t v)
{
	unsigned char *p, *e;

	if ((e = key(m, k, UINT_MAX_LEN, &p)) != NULL)
		wrote(m->pk, p, put_uint(e, v));
}

void
rpc_kv_str(struct rpc_container *m, const char *k, const char *v)
{
	size_t vlen = strlen(v);
	unsigned char *p, *e;

	if ((e = key(m, k, STR_HEAD_MAX + vlen, &p)) != NULL)
		wrote(m->pk, p, put_str(e, v, vlen));
}

void
rpc_kv_bool(struct rpc_container *m, const char *k, bool v)
{
	unsigned char *p, *e;

	if ((e = key(m, k, 1, &p)) == NULL)
		return;
	*e++ = v ? 0xc3 : 0xc2;
	wrote(m->pk, p, e);
}

void
rpc_kv_double(struct rpc_container *m, const char *k, double v)
{
	unsigned char *p, *e;
	uint64_t bits;

	if ((e = key(m, k, 9, &p)) == NULL)
		return;
	memcpy(&bits, &v, sizeof(bits));
	*e++ = 0xcb;
	for (int i = 7; i >= 0; i--)
		*e++ = (unsigned char)(bits >> (8 * i));
	wrote(m->pk, p, e);
}

void
rpc_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
	unsigned char *p = room(pk, STR_HEAD_MAX + len);

	if (p != NULL)
		wrote(pk, p, put_str(p, s, len));
}

void
rpc_pack_cstr(msgpack_packer *pk, const char *s)
{
	rpc_pack_strn(pk, s, strlen(s));
}

void
rpc_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method,
    bool has_args)
{
	msgpack_pack_array(pk, 4);
	msgpack_pack_uint8(pk, RPC_REQUEST);
	msgpack_pack_uint32(pk, msgid);
	rpc_pack_cstr(pk, method);
	msgpack_pack_array(pk, has_args ? 1 : 0);
}

void
rpc_pack_result(msgpack_packer *pk, uint32_t msgid)
{
	unsigned char *p = room(pk, 3 + UINT_MAX_LEN), *e;

	if (p == NULL)
		return;
	p[0] = 0x94;		/* msgpack_pack_array(pk, 4) */
	p[1] = RPC_RESPONSE;
	e = put_uint(p + 2, msgid);
	*e++ = 0xc0;		/* nil: no error */
	wrote(pk, p, e);
}

void
rpc_pack_error(msgpack_packer *pk, uint32_t msgid, enum rpc_error code,
    const char *message)
{
	struct rpc_container m;

	msgpack_pack_array(pk, 4);
	msgpack_pack_uint8(pk, RPC_RESPONSE);
	msgpack_pack_uint32(pk, msgid);
	rpc_map_begin(&m, pk);
	rpc_map_key(&m, "code");
	rpc_pack_cstr(pk, rpc_error_codes[code]);
	rpc_map_key(&m, "message");
	rpc_pack_cstr(pk, message);
	rpc_map_end(&m);
	msgpack_pack_nil(pk);
}

int
rpc_decode_response(const msgpack_object *o, uint32_t *msgid,
    const msgpack_object **error, const msgpack_object **result)
{
	const msgpack_object *a;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 4)
		return -1;
	a = o->via.array.ptr;
	if (a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 != RPC_RESPONSE ||
	    a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].via.u64 > UINT32_MAX)
		return -1;
	*msgid = (uint32_t)a[1].via.u64;
	*error = a[2].type == MSGPACK_OBJECT_NIL ? NULL : &a[2];
	*result = &a[3];
	return 0;
}

int
rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t need;

	/* fixarray of 4, then positive fixint 0 (request). */
	if (len < 3 || p[0] != 0x94 || p[1] != 0x00)
		return -1;
	if (p[2] <= 0x7f) {
		*msgid = p[2];
		return 0;
	}
	switch (p[2]) {
	case 0xcc: need = 1; break;
	case 0xcd: need = 2; break;
	case 0xce: need = 4; break;
	default: return -1;
	}
	if (len < 3 + need)
		return -1;
	*msgid = 0;
	for (size_t i = 0; i < need; i++)
		*msgid = (*msgid << 8) | p[3 + i];
	return 0;
}
