/*
 * proto.h: msgpack-RPC framing shared by hycod and libhyco.
 *
 * Standard msgpack-RPC (see protocol/PROTOCOL.md):
 *   request       [0, msgid, method, params]
 *   response      [1, msgid, error, result]
 *   notification  [2, method, params]
 * params is [] or [{name: value, ...}]; error is nil or
 * {"code": str, "message": str}.
 */
#ifndef HYCO_PROTO_H
#define HYCO_PROTO_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPC_REQUEST	0
#define RPC_RESPONSE	1
#define RPC_NOTIFY	2

/* Error codes on the wire, by index into rpc_error_codes. */
enum rpc_error {
	RPC_OK = 0,
	RPC_EINVAL,		/* "invalid_argument" */
	RPC_EMETHOD,		/* "unknown_method" */
	RPC_ETOOLARGE,		/* "too_large" */
	RPC_EIO,		/* "io_error" */
	RPC_ENOSPC,		/* "no_space" */
	RPC_EINTERNAL,		/* "internal" */
	RPC_EPERM,		/* "permission_denied" */
	RPC_ERROR_COUNT
};

extern const char *const rpc_error_codes[RPC_ERROR_COUNT];

/* A decoded request; pointers borrow from the msgpack_object. */
struct rpc_request {
	int				 type;		/* RPC_REQUEST/NOTIFY */
	uint32_t			 msgid;		/* 0 for a notification */
	const char			*method;
	uint32_t			 method_len;
	const msgpack_object_map	*args;		/* NULL: no arguments */
};

/* Results of rpc_decode_request. */
#define RPC_DECODE_OK		0
#define RPC_DECODE_CLOSE	(-1)	/* not a request: drop the peer */
#define RPC_DECODE_BADPARAMS	(-2)	/* a request, but params malformed */

int	rpc_decode_request(const msgpack_object *o, struct rpc_request *req,
	    const char **why);

/*
 * Check that args has only string keys from allowed (NULL-terminated),
 * each at most once. On failure *why names the offender (static buffer
 * in buf of size bufsz).
 */
int	rpc_args_check(const msgpack_object_map *args,
	    const char *const *allowed, char *buf, size_t bufsz);
/* Value of key in a map object or map, or NULL. */
const msgpack_object *rpc_map_get(const msgpack_object *map, const char *key);
const msgpack_object *rpc_args_get(const msgpack_object_map *args,
	    const char *key);

/* Integer value of o into *v; -1 if o is not an integer in int64 range. */
int	rpc_obj_int(const msgpack_object *o, int64_t *v);
/* Number (integer or float) as double; -1 if not a number. */
int	rpc_obj_number(const msgpack_object *o, double *v);
bool	rpc_obj_is_str(const msgpack_object *o, const char *s);

/*
 * A map or array whose size is counted as it is packed, so that the
 * header cannot disagree with what follows it: begin writes a header
 * to be patched, each rpc_map_key (or rpc_array_next) counts one
 * element, and end writes the count into the header, in the smallest
 * form (the bytes msgpack_pack_map or _array would have written). pk
 * must pack into a msgpack_sbuffer (msgpack_packer_init(pk, sbuf,
 * msgpack_sbuffer_write)). Nested ones end before the one around them.
 */
struct rpc_container {
	msgpack_packer	*pk;
	size_t		 at;	/* offset of the header in the sbuffer */
	uint32_t	 n;	/* elements so far */
	bool		 map;
};

void	rpc_map_begin(struct rpc_container *m, msgpack_packer *pk);
/* Pack key and count the pair; the caller packs its value next. */
void	rpc_map_key(struct rpc_container *m, const char *key);
void	rpc_map_end(struct rpc_container *m);
void	rpc_array_begin(struct rpc_container *a, msgpack_packer *pk);
/* Count one element; the caller packs it next. */
void	rpc_array_next(struct rpc_container *a);
void	rpc_array_end(struct rpc_container *a);

/* One pair of a map being packed: rpc_map_key, then the value. */
void	rpc_kv_u64(struct rpc_container *m, const char *key, uint64_t v);
void	rpc_kv_str(struct rpc_container *m, const char *key, const char *v);
void	rpc_kv_bool(struct rpc_container *m, const char *key, bool v);
void	rpc_kv_double(struct rpc_container *m, const char *key, double v);

/* Packing helpers. */
void	rpc_pack_cstr(msgpack_packer *pk, const char *s);
void	rpc_pack_strn(msgpack_packer *pk, const char *s, size_t len);
/* [0, msgid, method, [ ... : caller packs one map if has_args. */
void	rpc_pack_request(msgpack_packer *pk, uint32_t msgid, const char *method,
	    bool has_args);
/* [1, msgid, nil, ... : caller packs exactly one result object. */
void	rpc_pack_result(msgpack_packer *pk, uint32_t msgid);
/* [1, msgid, {"code": ..., "message": ...}, nil]; pk as rpc_map_begin's. */
void	rpc_pack_error(msgpack_packer *pk, uint32_t msgid, enum rpc_error code,
	    const char *message);

/* Split a response; -1 if o is not [1, uint32, error, result]. */
int	rpc_decode_response(const msgpack_object *o, uint32_t *msgid,
	    const msgpack_object **error, const msgpack_object **result);

/*
 * Best effort: the msgid of a request whose start is in buf, read
 * without parsing the rest (used to answer a request that is too large
 * to buffer). Returns -1 if the prefix is not a request's.
 */
int	rpc_peek_msgid(const char *buf, size_t len, uint32_t *msgid);

#endif
