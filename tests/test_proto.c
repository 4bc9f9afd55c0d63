/* test_proto.c: msgpack-RPC codec round trips and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto.h"

struct buf {
	msgpack_sbuffer		sb;
	msgpack_packer		pk;
	msgpack_unpacked	up;
};

static int
test_proto_setup(void **state)
{
	struct buf *b = calloc(1, sizeof(*b));

	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&b->up);
	*state = b;
	return 0;
}

static int
test_proto_teardown(void **state)
{
	struct buf *b = *state;

	msgpack_sbuffer_destroy(&b->sb);
	msgpack_unpacked_destroy(&b->up);
	free(b);
	return 0;
}

static const msgpack_object *
unpack(struct buf *b)
{
	size_t off = 0;

	assert_int_equal(msgpack_unpack_next(&b->up, b->sb.data, b->sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, b->sb.size);
	return &b->up.data;
}

static void
test_proto_request_round_trip(void **state)
{
	struct buf *b = *state;
	struct rpc_request req;
	const char *why;
	int64_t v;

	rpc_pack_request(&b->pk, 4000000000u, "get-cycle-dir", true);
	msgpack_pack_map(&b->pk, 2);
	rpc_pack_cstr(&b->pk, "cycle");
	msgpack_pack_int(&b->pk, 3);
	rpc_pack_cstr(&b->pk, "kind");
	rpc_pack_cstr(&b->pk, "synthetic");
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_OK);
	assert_int_equal(req.type, RPC_REQUEST);
	assert_int_equal(req.msgid, 4000000000u);
	assert_int_equal(req.method_len, 13);
	assert_memory_equal(req.method, "get-cycle-dir", 13);
	assert_non_null(req.args);
	assert_int_equal(rpc_obj_int(rpc_args_get(req.args, "cycle"), &v), 0);
	assert_int_equal(v, 3);
	assert_true(rpc_obj_is_str(rpc_args_get(req.args, "kind"), "synthetic"));
	assert_null(rpc_args_get(req.args, "dataset"));

	const char *allowed[] = { "cycle", "kind", NULL };
	const char *few[] = { "cycle", NULL };
	char msg[128];
	assert_int_equal(rpc_args_check(req.args, allowed, msg, sizeof(msg)), 0);
	assert_int_equal(rpc_args_check(req.args, few, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "unknown argument 'kind'");
}

static void
test_proto_no_args_and_notify(void **state)
{
	struct buf *b = *state;
	struct rpc_request req;
	const char *why;

	rpc_pack_request(&b->pk, 1, "ping", false);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_OK);
	assert_null(req.args);

	msgpack_sbuffer_clear(&b->sb);
	msgpack_pack_array(&b->pk, 3);
	msgpack_pack_int(&b->pk, 2);
	rpc_pack_cstr(&b->pk, "ping");
	msgpack_pack_array(&b->pk, 0);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_OK);
	assert_int_equal(req.type, RPC_NOTIFY);
}

static void
test_proto_response_round_trip(void **state)
{
	struct buf *b = *state;
	const msgpack_object *err, *res;
	uint32_t id;

	rpc_pack_result(&b->pk, 77);
	msgpack_pack_map(&b->pk, 1);
	rpc_pack_cstr(&b->pk, "freed_bytes");
	msgpack_pack_uint64(&b->pk, 1ull << 40);
	assert_int_equal(rpc_decode_response(unpack(b), &id, &err, &res), 0);
	assert_int_equal(id, 77);
	assert_null(err);
	assert_int_equal(rpc_map_get(res, "freed_bytes")->via.u64, 1ull << 40);

	msgpack_sbuffer_clear(&b->sb);
	rpc_pack_error(&b->pk, 78, RPC_ETOOLARGE, "too big");
	assert_int_equal(rpc_decode_response(unpack(b), &id, &err, &res), 0);
	assert_int_equal(id, 78);
	assert_true(rpc_obj_is_str(rpc_map_get(err, "code"), "too_large"));
	assert_true(rpc_obj_is_str(rpc_map_get(err, "message"), "too big"));
	assert_int_equal(res->type, MSGPACK_OBJECT_NIL);
}

/* Malformed messages, each packed by hand: closed, or answered. */
static void
test_proto_malformed(void **state)
{
	struct buf *b = *state;
	struct rpc_request req;
	const char *why;
	/* not an array */
	msgpack_pack_map(&b->pk, 0);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_CLOSE);
	/* too short */
	msgpack_sbuffer_clear(&b->sb);
	msgpack_pack_array(&b->pk, 2);
	msgpack_pack_int(&b->pk, 0);
	msgpack_pack_int(&b->pk, 1);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_CLOSE);
	/* a response is not a request */
	msgpack_sbuffer_clear(&b->sb);
	rpc_pack_result(&b->pk, 1);
	msgpack_pack_nil(&b->pk);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_CLOSE);
	/* request with 5 elements */
	msgpack_sbuffer_clear(&b->sb);
	msgpack_pack_array(&b->pk, 5);
	msgpack_pack_int(&b->pk, 0);
	msgpack_pack_int(&b->pk, 1);
	rpc_pack_cstr(&b->pk, "ping");
	msgpack_pack_array(&b->pk, 0);
	msgpack_pack_nil(&b->pk);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_CLOSE);
	/* negative msgid, msgid over 32 bits, string msgid */
	int64_t ids[] = { -1, 1ll << 33 };
	for (int i = 0; i < 3; i++) {
		msgpack_sbuffer_clear(&b->sb);
		msgpack_pack_array(&b->pk, 4);
		msgpack_pack_int(&b->pk, 0);
		if (i < 2)
			msgpack_pack_int64(&b->pk, ids[i]);
		else
			rpc_pack_cstr(&b->pk, "1");
		rpc_pack_cstr(&b->pk, "ping");
		msgpack_pack_array(&b->pk, 0);
		assert_int_equal(rpc_decode_request(unpack(b), &req, &why),
		    RPC_DECODE_CLOSE);
	}
	/* method not a string */
	msgpack_sbuffer_clear(&b->sb);
	msgpack_pack_array(&b->pk, 4);
	msgpack_pack_int(&b->pk, 0);
	msgpack_pack_int(&b->pk, 1);
	msgpack_pack_int(&b->pk, 5);
	msgpack_pack_array(&b->pk, 0);
	assert_int_equal(rpc_decode_request(unpack(b), &req, &why), RPC_DECODE_CLOSE);
	/* params: not an array, [1], [{}, {}] -> a reply, not a close */
	for (int i = 0; i < 3; i++) {
		msgpack_sbuffer_clear(&b->sb);
		rpc_pack_request(&b->pk, 9, "ping", false);
		b->sb.size--;	/* drop the empty params array just packed */
		if (i == 0)
			msgpack_pack_map(&b->pk, 0);
		else if (i == 1) {
			msgpack_pack_array(&b->pk, 1);
			msgpack_pack_int(&b->pk, 1);
		} else {
			msgpack_pack_array(&b->pk, 2);
			msgpack_pack_map(&b->pk, 0);
			msgpack_pack_map(&b->pk, 0);
		}
		assert_int_equal(rpc_decode_request(unpack(b), &req, &why),
		    RPC_DECODE_BADPARAMS);
		assert_int_equal(req.msgid, 9);
	}
}

static void
test_proto_args_check(void **state)
{
	struct buf *b = *state;
	const char *allowed[] = { "cycle", NULL };
	char msg[128];

	msgpack_pack_map(&b->pk, 2);
	rpc_pack_cstr(&b->pk, "cycle");
	msgpack_pack_int(&b->pk, 1);
	rpc_pack_cstr(&b->pk, "cycle");
	msgpack_pack_int(&b->pk, 2);
	assert_int_equal(rpc_args_check(&unpack(b)->via.map, allowed, msg,
	    sizeof(msg)), -1);
	assert_string_equal(msg, "argument 'cycle' given twice");

	msgpack_sbuffer_clear(&b->sb);
	msgpack_pack_map(&b->pk, 1);
	msgpack_pack_int(&b->pk, 1);
	msgpack_pack_int(&b->pk, 2);
	assert_int_equal(rpc_args_check(&unpack(b)->via.map, allowed, msg,
	    sizeof(msg)), -1);
	assert_string_equal(msg, "argument names must be strings");
}

static void
test_proto_numbers(void **state)
{
	msgpack_object o;
	int64_t v;
	double d;

	(void)state;
	o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
	o.via.u64 = UINT64_MAX;
	assert_int_equal(rpc_obj_int(&o, &v), -1);
	o.via.u64 = 5;
	assert_int_equal(rpc_obj_int(&o, &v), 0);
	o.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
	o.via.i64 = -5;
	assert_int_equal(rpc_obj_int(&o, &v), 0);
	assert_int_equal(v, -5);
	o.type = MSGPACK_OBJECT_FLOAT64;
	o.via.f64 = 1.5;
	assert_int_equal(rpc_obj_int(&o, &v), -1);
	assert_int_equal(rpc_obj_number(&o, &d), 0);
	assert_true(d == 1.5);
	o.type = MSGPACK_OBJECT_STR;
	assert_int_equal(rpc_obj_number(&o, &d), -1);
}

static void
test_proto_peek_msgid(void **state)
{
	struct buf *b = *state;
	uint32_t id;
	uint32_t ids[] = { 0, 127, 128, 255, 256, 65535, 65536, 4000000000u };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		msgpack_sbuffer_clear(&b->sb);
		rpc_pack_request(&b->pk, ids[i], "x", false);
		assert_int_equal(rpc_peek_msgid(b->sb.data, 8, &id), 0);
		assert_int_equal(id, ids[i]);
	}
	assert_int_equal(rpc_peek_msgid("\x93\x00\x01", 3, &id), -1);
	assert_int_equal(rpc_peek_msgid("\x94\x01\x01", 3, &id), -1);
	assert_int_equal(rpc_peek_msgid("\x94\x00\xce\x00", 4, &id), -1);
	assert_int_equal(rpc_peek_msgid("\x94", 1, &id), -1);
}

/*
 * A counted map or array, nested in another, comes out byte for byte as
 * msgpack_pack_map/_array with the right count would have packed it, in
 * each header size (fix, 16-bit, 32-bit).
 */
static void
test_proto_counted_sizes(void **state)
{
	struct buf *b = *state;
	msgpack_sbuffer want;
	msgpack_packer wpk;
	uint32_t sizes[] = { 0, 1, 15, 16, 65535, 65536 };

	msgpack_sbuffer_init(&want);
	msgpack_packer_init(&wpk, &want, msgpack_sbuffer_write);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct rpc_container outer, inner;
		msgpack_sbuffer_clear(&b->sb);
		msgpack_sbuffer_clear(&want);
		rpc_map_begin(&outer, &b->pk);
		msgpack_pack_map(&wpk, 2);
		rpc_map_key(&outer, "n");
		rpc_pack_cstr(&wpk, "n");
		rpc_array_begin(&inner, &b->pk);
		msgpack_pack_array(&wpk, sizes[i]);
		for (uint32_t k = 0; k < sizes[i]; k++) {
			rpc_array_next(&inner);
			msgpack_pack_uint32(&b->pk, k);
			msgpack_pack_uint32(&wpk, k);
		}
		rpc_array_end(&inner);
		rpc_map_key(&outer, "last");
		rpc_pack_cstr(&wpk, "last");
		msgpack_pack_true(&b->pk);
		msgpack_pack_true(&wpk);
		rpc_map_end(&outer);
		assert_int_equal(b->sb.size, want.size);
		assert_memory_equal(b->sb.data, want.data, want.size);
		assert_int_equal(unpack(b)->via.map.size, 2);
	}
	msgpack_sbuffer_destroy(&want);
}

/*
 * rpc_kv_*, rpc_map_key, rpc_pack_strn and rpc_pack_result write into
 * the sbuffer directly: the bytes msgpack_pack_* would have written, at
 * every size boundary of each form, into a buffer grown from nothing.
 */
static void
test_proto_direct_bytes(void **state)
{
	struct buf *b = *state;
	msgpack_sbuffer want;
	msgpack_packer wpk;
	static char text[70000];
	const uint64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535, 65536,
	    UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX };
	const size_t lens[] = { 0, 1, 31, 32, 255, 256, 65535, 65536 };
	const double dbls[] = { 0, -1.5, 1e300, 0.1 };
	enum { NI = sizeof(ints) / sizeof(ints[0]) };
	enum { NL = sizeof(lens) / sizeof(lens[0]) };
	enum { ND = sizeof(dbls) / sizeof(dbls[0]) };
	struct rpc_container m;

	memset(text, 'k', sizeof(text) - 1);
	msgpack_sbuffer_init(&want);
	msgpack_packer_init(&wpk, &want, msgpack_sbuffer_write);
	msgpack_sbuffer_destroy(&b->sb);
	msgpack_sbuffer_init(&b->sb);
	for (size_t i = 0; i < NI; i++) {
		rpc_pack_result(&b->pk, (uint32_t)ints[i]);
		msgpack_pack_array(&wpk, 4);
		msgpack_pack_uint8(&wpk, RPC_RESPONSE);
		msgpack_pack_uint32(&wpk, (uint32_t)ints[i]);
		msgpack_pack_nil(&wpk);
	}
	rpc_map_begin(&m, &b->pk);
	msgpack_pack_map(&wpk, 2 * NL + NI + ND + 2);
	for (size_t i = 0; i < NL; i++) {
		size_t vlen = lens[i] > 3 ? lens[i] - 3 : lens[i];
		text[lens[i]] = '\0';
		rpc_kv_str(&m, text, text + (lens[i] - vlen));
		msgpack_pack_str(&wpk, lens[i]);
		msgpack_pack_str_body(&wpk, text, lens[i]);
		msgpack_pack_str(&wpk, vlen);
		msgpack_pack_str_body(&wpk, text, vlen);
		rpc_map_key(&m, text);
		rpc_pack_strn(&b->pk, text, lens[i]);
		for (int k = 0; k < 2; k++) {
			msgpack_pack_str(&wpk, lens[i]);
			msgpack_pack_str_body(&wpk, text, lens[i]);
		}
		text[lens[i]] = 'k';
	}
	for (size_t i = 0; i < NI; i++) {
		rpc_kv_u64(&m, "u", ints[i]);
		rpc_pack_cstr(&wpk, "u");
		msgpack_pack_uint64(&wpk, ints[i]);
	}
	for (size_t i = 0; i < ND; i++) {
		rpc_kv_double(&m, "d", dbls[i]);
		rpc_pack_cstr(&wpk, "d");
		msgpack_pack_double(&wpk, dbls[i]);
	}
	rpc_kv_bool(&m, "t", true);
	rpc_kv_bool(&m, "f", false);
	rpc_pack_cstr(&wpk, "t");
	msgpack_pack_true(&wpk);
	rpc_pack_cstr(&wpk, "f");
	msgpack_pack_false(&wpk);
	rpc_map_end(&m);
	assert_int_equal(m.n, 2 * NL + NI + ND + 2);
	assert_int_equal(b->sb.size, want.size);
	assert_memory_equal(b->sb.data, want.data, want.size);
	msgpack_sbuffer_destroy(&want);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_proto_setup, \
	test_proto_teardown)
	const struct CMUnitTest tests[] = {
		T(test_proto_request_round_trip),
		T(test_proto_no_args_and_notify),
		T(test_proto_response_round_trip),
		T(test_proto_malformed),
		T(test_proto_args_check),
		T(test_proto_numbers),
		T(test_proto_peek_msgid),
		T(test_proto_counted_sizes),
		T(test_proto_direct_bytes),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
