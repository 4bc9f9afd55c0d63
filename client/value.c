/*
 * value.c: libhyco's values, read-only views of the msgpack objects of
 * the client's last reply. Every accessor takes NULL, so lookups chain.
 */
#include <stdint.h>
#include <string.h>

#include "hyco_internal.h"

enum hyco_type
hyco_value_type(const hyco_value *v)
{
	const msgpack_object *o = hyco__object(v);

	if (o == NULL)
		return HYCO_TYPE_NONE;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return HYCO_TYPE_NIL;
	case MSGPACK_OBJECT_BOOLEAN:
		return HYCO_TYPE_BOOL;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return HYCO_TYPE_INT;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return HYCO_TYPE_FLOAT;
	case MSGPACK_OBJECT_STR:
		return HYCO_TYPE_STR;
	case MSGPACK_OBJECT_BIN:
		return HYCO_TYPE_BIN;
	case MSGPACK_OBJECT_ARRAY:
		return HYCO_TYPE_ARRAY;
	case MSGPACK_OBJECT_MAP:
		return HYCO_TYPE_MAP;
	default:
		return HYCO_TYPE_EXT;
	}
}

int
hyco_value_bool(const hyco_value *v, int *out)
{
	const msgpack_object *o = hyco__object(v);

	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*out = o->via.boolean;
	return 0;
}

int
hyco_value_int(const hyco_value *v, int64_t *out)
{
	const msgpack_object *o = hyco__object(v);

	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*out = o->via.i64;
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX)
		*out = (int64_t)o->via.u64;
	else
		return -1;
	return 0;
}

int
hyco_value_uint(const hyco_value *v, uint64_t *out)
{
	const msgpack_object *o = hyco__object(v);

	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*out = o->via.u64;
	return 0;
}

int
hyco_value_float(const hyco_value *v, double *out)
{
	const msgpack_object *o = hyco__object(v);
	uint64_t u;
	int64_t i;

	if (o != NULL && (o->type == MSGPACK_OBJECT_FLOAT32 ||
	    o->type == MSGPACK_OBJECT_FLOAT64))
		*out = o->via.f64;
	else if (hyco_value_uint(v, &u) == 0)
		*out = (double)u;
	else if (hyco_value_int(v, &i) == 0)
		*out = (double)i;
	else
		return -1;
	return 0;
}

/* The bytes of a STR or BIN (msgpack-c keeps both as ptr and size). */
static const char *
bytes(const hyco_value *v, msgpack_object_type type, size_t *len)
{
	const msgpack_object *o = hyco__object(v);

	if (o == NULL || o->type != type)
		return NULL;
	*len = o->via.str.size;
	/* An empty string has no pointer in msgpack-c; ours always has one. */
	return o->via.str.size > 0 ? o->via.str.ptr : "";
}

const char *
hyco_value_str(const hyco_value *v, size_t *len)
{
	return bytes(v, MSGPACK_OBJECT_STR, len);
}

const char *
hyco_value_bin(const hyco_value *v, size_t *len)
{
	return bytes(v, MSGPACK_OBJECT_BIN, len);
}

size_t
hyco_array_len(const hyco_value *v)
{
	const msgpack_object *o = hyco__object(v);

	return o != NULL && o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size : 0;
}

const hyco_value *
hyco_array_at(const hyco_value *v, size_t i)
{
	if (i >= hyco_array_len(v))
		return NULL;
	return hyco__value(&hyco__object(v)->via.array.ptr[i]);
}

size_t
hyco_map_len(const hyco_value *v)
{
	const msgpack_object *o = hyco__object(v);

	return o != NULL && o->type == MSGPACK_OBJECT_MAP ? o->via.map.size : 0;
}

const hyco_value *
hyco_map_key(const hyco_value *v, size_t i)
{
	if (i >= hyco_map_len(v))
		return NULL;
	return hyco__value(&hyco__object(v)->via.map.ptr[i].key);
}

const hyco_value *
hyco_map_val(const hyco_value *v, size_t i)
{
	if (i >= hyco_map_len(v))
		return NULL;
	return hyco__value(&hyco__object(v)->via.map.ptr[i].val);
}

const hyco_value *
hyco_map_get(const hyco_value *v, const char *key)
{
	size_t n = hyco_map_len(v), klen = key != NULL ? strlen(key) : 0;

	for (size_t i = 0; i < n && key != NULL; i++) {
		size_t len;
		const char *k = hyco_value_str(hyco_map_key(v, i), &len);
		if (k != NULL && len == klen && memcmp(k, key, len) == 0)
			return hyco_map_val(v, i);
	}
	return NULL;
}
