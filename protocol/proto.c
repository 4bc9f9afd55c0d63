/* proto.c: msgpack-RPC request/response encode and decode. */
#include "proto.h"

#include <stdio.h>
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

void
rpc_map_begin(struct rpc_container *m, msgpack_packer *pk)
{
	begin(m, pk, true);
}

void
rpc_map_key(struct rpc_container *m, const char *key)
{
	m->n++;
	rpc_pack_cstr(m->pk, key);
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
rpc_kv_u64(struct rpc_container *m, const char *key, uint64_t v)
{
	rpc_map_key(m, key);
	msgpack_pack_uint64(m->pk, v);
}

void
rpc_kv_str(struct rpc_container *m, const char *key, const char *v)
{
	rpc_map_key(m, key);
	rpc_pack_cstr(m->pk, v);
}

void
rpc_kv_bool(struct rpc_container *m, const char *key, bool v)
{
	rpc_map_key(m, key);
	v ? msgpack_pack_true(m->pk) : msgpack_pack_false(m->pk);
}

void
rpc_kv_double(struct rpc_container *m, const char *key, double v)
{
	rpc_map_key(m, key);
	msgpack_pack_double(m->pk, v);
}

void
rpc_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
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
	msgpack_pack_array(pk, 4);
	msgpack_pack_uint8(pk, RPC_RESPONSE);
	msgpack_pack_uint32(pk, msgid);
	msgpack_pack_nil(pk);
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
