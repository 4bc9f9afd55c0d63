/*
 * test_decode.c: libhyco's reply decoder (client/decode.c) on a struct
 * of every field type, with replies packed here and handed over by a
 * stand-in hyco_call (-Wl,--wrap=hyco_call): each field missing or of
 * the wrong type is refused with its path named and nothing leaked; a
 * caller's struct older (shorter) than the library's gets only its part
 * and the rest is freed; a newer (longer) one gets the rest zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hyco_internal.h"

struct inner {
	char		*name;
	uint64_t	 v;
};

struct outer {
	uint64_t	  u;
	long		  l;
	double		  d;
	int		  b;
	char		 *s;
	char		  buf[8];
	size_t		  nstrs;
	char		**strs;
	size_t		  nlist;
	struct inner	**list;
	size_t		  ndict;
	struct inner	**dict;
	uint64_t	  sub_x;
	/* Added after the struct was first published. */
	char		 *late;
	size_t		  nlate_list;
	struct inner	**late_list;
	double		  od, od_nil;	/* a number or nil (-1) */
};

/* struct outer as first published: what an older program was built with. */
struct outer_v0 {
	uint64_t	  u;
	long		  l;
	double		  d;
	int		  b;
	char		 *s;
	char		  buf[8];
	size_t		  nstrs;
	char		**strs;
	size_t		  nlist;
	struct inner	**list;
	size_t		  ndict;
	struct inner	**dict;
	uint64_t	  sub_x;
};

#define T struct inner
static const struct hyco__field inner_fields[] = {
	{ NULL, HYCO__KEY, offsetof(T, name), 0, NULL },
	{ "v", HYCO__U64, offsetof(T, v), 0, NULL },
};
static const struct hyco__shape inner_shape = { sizeof(T), sizeof(T),
    inner_fields, HYCO__NFIELDS(inner_fields) };
#undef T

#define T struct outer
static const struct hyco__field sub_fields[] = {
	{ "x", HYCO__U64, offsetof(T, sub_x), 0, NULL },
};
static const struct hyco__shape sub_shape = { sizeof(T), sizeof(T),
    sub_fields, HYCO__NFIELDS(sub_fields) };
static const struct hyco__field outer_fields[] = {
	{ "u", HYCO__U64, offsetof(T, u), 0, NULL },
	{ "l", HYCO__LONG, offsetof(T, l), 0, NULL },
	{ "d", HYCO__DOUBLE, offsetof(T, d), 0, NULL },
	{ "b", HYCO__BOOL, offsetof(T, b), 0, NULL },
	{ "s", HYCO__STR, offsetof(T, s), 0, NULL },
	{ "buf", HYCO__STRBUF, offsetof(T, buf), sizeof(((T *)0)->buf), NULL },
	{ "strs", HYCO__STRS, offsetof(T, strs), offsetof(T, nstrs), NULL },
	{ "list", HYCO__LIST, offsetof(T, list), offsetof(T, nlist),
	    &inner_shape },
	{ "dict", HYCO__DICT, offsetof(T, dict), offsetof(T, ndict),
	    &inner_shape },
	{ "sub", HYCO__SUB, 0, 0, &sub_shape },
	{ "late", HYCO__STR, offsetof(T, late), 0, NULL },
	{ "late_list", HYCO__LIST, offsetof(T, late_list),
	    offsetof(T, nlate_list), &inner_shape },
	{ "od", HYCO__OPTDOUBLE, offsetof(T, od), 0, NULL },
	{ "od_nil", HYCO__OPTDOUBLE, offsetof(T, od_nil), 0, NULL },
};
/* As first published: up to sub_x. */
static const struct hyco__shape outer_shape = { sizeof(T),
    HYCO__END(T, sub_x), outer_fields, HYCO__NFIELDS(outer_fields) };
#undef T

/*
 * What the stand-in hyco_call answers: its strings point into sb, as a
 * reply's point into the client's input buffer.
 */
static msgpack_unpacked reply;
static msgpack_sbuffer sb;

int __wrap_hyco_call(hyco_client *c, const char *method,
    const struct hyco_arg *args, size_t nargs, const hyco_value **result);

int
__wrap_hyco_call(hyco_client *c, const char *method,
    const struct hyco_arg *args, size_t nargs, const hyco_value **result)
{
	(void)c;
	(void)method;
	(void)args;
	(void)nargs;
	*result = hyco__value(&reply.data);
	return HYCO_OK;
}

/* Where a reply goes wrong: BAD_NONE for a valid one. */
enum bad {
	BAD_NONE, BAD_U, BAD_U_NEG, BAD_L, BAD_L_RANGE, BAD_D, BAD_B, BAD_S,
	BAD_S_NUL, BAD_BUF, BAD_BUF_LONG, BAD_STRS, BAD_STRS_1, BAD_LIST,
	BAD_LIST_1, BAD_LIST_1_V, BAD_DICT, BAD_DICT_KEY, BAD_DICT_V, BAD_SUB,
	BAD_SUB_X, BAD_LATE, BAD_LATE_LIST_0_V, BAD_OD, BAD_COUNT
};

/* The path each names in its message. */
static const char *const bad_paths[BAD_COUNT] = {
	[BAD_U] = "u", [BAD_U_NEG] = "u", [BAD_L] = "l", [BAD_L_RANGE] = "l",
	[BAD_D] = "d", [BAD_B] = "b", [BAD_S] = "s", [BAD_S_NUL] = "s",
	[BAD_BUF] = "buf", [BAD_BUF_LONG] = "buf", [BAD_STRS] = "strs",
	[BAD_STRS_1] = "strs[1]", [BAD_LIST] = "list",
	[BAD_LIST_1] = "list[1]", [BAD_LIST_1_V] = "list[1].v",
	[BAD_DICT] = "dict", [BAD_DICT_KEY] = "dict.?",
	[BAD_DICT_V] = "dict.k??.v", [BAD_SUB] = "sub",
	[BAD_SUB_X] = "sub.x", [BAD_LATE] = "late",
	[BAD_LATE_LIST_0_V] = "late_list[0].v", [BAD_OD] = "od",
};

/* Packers return int, so that they mix in ?: with msgpack-c's. */
static int
str(msgpack_packer *pk, const char *s, size_t len)
{
	msgpack_pack_str(pk, len);
	return msgpack_pack_str_body(pk, s, len);
}

#define STR(pk, lit)	str(pk, lit, sizeof(lit) - 1)

static int
inner(msgpack_packer *pk, uint64_t v, int bad_v)
{
	msgpack_pack_map(pk, 1);
	STR(pk, "v");
	return bad_v ? msgpack_pack_int64(pk, -1) : msgpack_pack_uint64(pk, v);
}

/* Pack the reply, wrong at bad, into reply. */
static void
make_reply(enum bad bad)
{
	msgpack_packer pk;
	size_t off = 0;

	msgpack_sbuffer_clear(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 14);
	STR(&pk, "u");
	bad == BAD_U ? STR(&pk, "7") : bad == BAD_U_NEG ?
	    msgpack_pack_int64(&pk, -7) : msgpack_pack_uint64(&pk, 7);
	STR(&pk, "l");
	bad == BAD_L ? msgpack_pack_double(&pk, -3) : bad == BAD_L_RANGE ?
	    msgpack_pack_uint64(&pk, UINT64_MAX) : msgpack_pack_int64(&pk, -3);
	STR(&pk, "d");
	bad == BAD_D ? msgpack_pack_true(&pk) : msgpack_pack_double(&pk, 1.5);
	STR(&pk, "b");
	bad == BAD_B ? msgpack_pack_int64(&pk, 1) : msgpack_pack_true(&pk);
	str(&pk, bad == BAD_S ? "S" : "s", 1);
	bad == BAD_S_NUL ? str(&pk, "a\0b", 3) : STR(&pk, "str");
	STR(&pk, "buf");
	bad == BAD_BUF ? msgpack_pack_nil(&pk) : bad == BAD_BUF_LONG ?
	    STR(&pk, "12345678") : STR(&pk, "1234567");
	STR(&pk, "strs");
	if (bad == BAD_STRS)
		STR(&pk, "a");
	else {
		msgpack_pack_array(&pk, 2);
		STR(&pk, "a");
		bad == BAD_STRS_1 ? msgpack_pack_array(&pk, 0) : STR(&pk, "b");
	}
	STR(&pk, "list");
	if (bad == BAD_LIST)
		msgpack_pack_map(&pk, 0);
	else {
		msgpack_pack_array(&pk, 2);
		inner(&pk, 1, 0);
		bad == BAD_LIST_1 ? STR(&pk, "x") : inner(&pk, 2,
		    bad == BAD_LIST_1_V);
	}
	STR(&pk, "dict");
	if (bad == BAD_DICT)
		msgpack_pack_array(&pk, 0);
	else {
		msgpack_pack_map(&pk, 1);
		bad == BAD_DICT_KEY ? msgpack_pack_int64(&pk, 1) :
		    STR(&pk, "k\x01\xff");
		inner(&pk, 3, bad == BAD_DICT_V);
	}
	STR(&pk, "sub");
	if (bad == BAD_SUB)
		msgpack_pack_nil(&pk);
	else {
		msgpack_pack_map(&pk, 1);
		STR(&pk, "x");
		bad == BAD_SUB_X ? STR(&pk, "9") : msgpack_pack_uint64(&pk, 9);
	}
	STR(&pk, "late");
	bad == BAD_LATE ? msgpack_pack_uint64(&pk, 1) : STR(&pk, "later");
	STR(&pk, "late_list");
	msgpack_pack_array(&pk, 1);
	inner(&pk, 4, bad == BAD_LATE_LIST_0_V);
	STR(&pk, "od");
	bad == BAD_OD ? STR(&pk, "2.5") : msgpack_pack_double(&pk, 2.5);
	STR(&pk, "od_nil");
	msgpack_pack_nil(&pk);
	assert_int_equal(msgpack_unpack_next(&reply, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
}

static int
test_decode_setup(void **state)
{
	msgpack_unpacked_init(&reply);
	msgpack_sbuffer_init(&sb);
	*state = hyco_new("/nonexistent/hycod.sock");
	return *state == NULL ? -1 : 0;
}

static int
test_decode_teardown(void **state)
{
	hyco_free(*state);
	msgpack_unpacked_destroy(&reply);
	msgpack_sbuffer_destroy(&sb);
	return 0;
}

static void
test_decode_every_type(void **state)
{
	struct outer o;

	make_reply(BAD_NONE);
	assert_int_equal(hyco__call_sized(*state, "t", 0, 0, NULL, 0,
	    &outer_shape, &o, sizeof(o)), HYCO_OK);
	assert_int_equal(o.u, 7);
	assert_int_equal(o.l, -3);
	assert_true(o.d == 1.5);
	assert_int_equal(o.b, 1);
	assert_string_equal(o.s, "str");
	assert_string_equal(o.buf, "1234567");
	assert_int_equal(o.nstrs, 2);
	assert_string_equal(o.strs[1], "b");
	assert_null(o.strs[2]);
	assert_int_equal(o.nlist, 2);
	assert_null(o.list[0]->name);	/* a list's elements have no key */
	assert_int_equal(o.list[1]->v, 2);
	assert_null(o.list[2]);
	assert_int_equal(o.ndict, 1);
	assert_string_equal(o.dict[0]->name, "k\x01\xff");
	assert_int_equal(o.dict[0]->v, 3);
	assert_int_equal(o.sub_x, 9);
	assert_string_equal(o.late, "later");
	assert_int_equal(o.late_list[0]->v, 4);
	assert_true(o.od == 2.5 && o.od_nil == -1);
	hyco__free_sized(&outer_shape, &o, sizeof(o));
	assert_null(o.strs);
	assert_null(o.late_list);
}

/* Every field refused when missing or wrong, its path named, no leak. */
static void
test_decode_every_mistake(void **state)
{
	struct outer o;
	char want[64];

	for (int bad = BAD_NONE + 1; bad < BAD_COUNT; bad++) {
		make_reply(bad);
		memset(&o, 0xa5, sizeof(o));
		if (hyco__call_sized(*state, "t", 0, 0, NULL, 0, &outer_shape, &o,
		    sizeof(o)) != HYCO_EPROTO)
			fail_msg("mistake %d accepted", bad);
		snprintf(want, sizeof(want), "t: reply field %s is ",
		    bad_paths[bad]);
		if (strncmp(hyco_error_message(*state), want, strlen(want)) != 0)
			fail_msg("mistake %d: message '%s', want '%s...'", bad,
			    hyco_error_message(*state), want);
		assert_string_equal(hyco_error_code(*state), "protocol");
		assert_null(o.s);	/* zeroed, nothing handed over */
		assert_null(o.list);
		assert_null(hyco_result(*state));
	}
	reply.data.type = MSGPACK_OBJECT_ARRAY;
	reply.data.via.array.size = 0;
	assert_int_equal(hyco__call_sized(*state, "t", 0, 0, NULL, 0,
	    &outer_shape, &o, sizeof(o)), HYCO_EPROTO);
	assert_string_equal(hyco_error_message(*state), "t: the result is not "
	    "a map");
}

/*
 * A program built before late was added passes the old size: it gets
 * exactly that many bytes, and what late owns is freed by the library
 * (the sanitizer build finds a leak or an overrun otherwise).
 */
static void
test_decode_older_caller(void **state)
{
	struct outer_v0 *o = malloc(sizeof(*o));

	assert_int_equal(sizeof(*o), outer_shape.min_size);
	make_reply(BAD_NONE);
	assert_int_equal(hyco__call_sized(*state, "t", 0, 0, NULL, 0,
	    &outer_shape, o, sizeof(*o)), HYCO_OK);
	assert_int_equal(o->sub_x, 9);
	assert_string_equal(o->dict[0]->name, "k\x01\xff");
	hyco__free_sized(&outer_shape, o, sizeof(*o));
	assert_null(o->dict);
	/* Below the first published size is the caller's mistake. */
	assert_int_equal(hyco__call_sized(*state, "t", 0, 0, NULL, 0,
	    &outer_shape, o, sizeof(*o) - 1), HYCO_EINVAL);
	free(o);
}

/* A program built against a newer header gets what it knows zeroed. */
static void
test_decode_newer_caller(void **state)
{
	unsigned char *p = malloc(sizeof(struct outer) + 32);

	make_reply(BAD_NONE);
	memset(p, 0xa5, sizeof(struct outer) + 32);
	assert_int_equal(hyco__call_sized(*state, "t", 0, 0, NULL, 0,
	    &outer_shape, p, sizeof(struct outer) + 32), HYCO_OK);
	for (size_t i = sizeof(struct outer); i < sizeof(struct outer) + 32; i++)
		assert_int_equal(p[i], 0);
	hyco__free_sized(&outer_shape, p, sizeof(struct outer) + 32);
	for (size_t i = 0; i < sizeof(struct outer) + 32; i++)
		assert_int_equal(p[i], 0);
	free(p);
}

static void
test_decode_flags(void **state)
{
	struct outer o;

	make_reply(BAD_NONE);
	assert_int_equal(hyco__call_sized(*state, "t", HYCO_WAIT | HYCO_DRY_RUN,
	    HYCO_WAIT, NULL, 0, &outer_shape, &o, sizeof(o)), HYCO_EINVAL);
	assert_string_equal(hyco_error_message(*state), "t: flags 0x4 not taken");
	assert_null(o.s);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, test_decode_setup, \
	    test_decode_teardown)
	const struct CMUnitTest tests[] = {
		T(test_decode_every_type),
		T(test_decode_every_mistake),
		T(test_decode_older_caller),
		T(test_decode_newer_caller),
		T(test_decode_flags),
	};
#undef T
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
