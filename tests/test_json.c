/*
 * test_json.c: hycoctl's JSON printer (client/json.c) on values packed
 * here: numbers at their limits, NaN and infinities, escapes, valid and
 * invalid UTF-8, keys that are not strings. Links json.o and value.o.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyco_internal.h"
#include "json.h"

struct packed {
	msgpack_sbuffer		sb;
	msgpack_packer		pk;
	msgpack_unpacked	up;
};

static int
test_json_setup(void **state)
{
	struct packed *p = calloc(1, sizeof(*p));

	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&p->pk, &p->sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&p->up);
	*state = p;
	return 0;
}

static int
test_json_teardown(void **state)
{
	struct packed *p = *state;

	msgpack_unpacked_destroy(&p->up);
	msgpack_sbuffer_destroy(&p->sb);
	free(p);
	return 0;
}

/* Print what was packed into p as JSON; the caller frees the text. */
static char *
printed(struct packed *p)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(msgpack_unpack_next(&p->up, p->sb.data, p->sb.size,
	    &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(json_print(f, hyco__value(&p->up.data)), 0);
	fclose(f);
	msgpack_sbuffer_clear(&p->sb);
	return text;
}

static void
expect(struct packed *p, const char *want)
{
	char *got = printed(p);

	assert_string_equal(got, want);
	free(got);
}

static void
str(struct packed *p, const char *s, size_t len)
{
	msgpack_pack_str(&p->pk, len);
	msgpack_pack_str_body(&p->pk, s, len);
}

#define STR(p, lit)	str(p, lit, sizeof(lit) - 1)

static void
test_json_scalars(void **state)
{
	struct packed *p = *state;

	msgpack_pack_nil(&p->pk);
	expect(p, "null");
	msgpack_pack_true(&p->pk);
	expect(p, "true");
	msgpack_pack_false(&p->pk);
	expect(p, "false");
	msgpack_pack_uint64(&p->pk, UINT64_MAX);
	expect(p, "18446744073709551615");
	msgpack_pack_int64(&p->pk, INT64_MIN);
	expect(p, "-9223372036854775808");
	msgpack_pack_int64(&p->pk, 0);
	expect(p, "0");
	msgpack_pack_double(&p->pk, 1.5);
	expect(p, "1.5");
	msgpack_pack_double(&p->pk, -1e300);
	expect(p, "-1.0000000000000001e+300");
	msgpack_pack_float(&p->pk, 0.25f);
	expect(p, "0.25");
}

/* JSON has no NaN or infinity: they are null, as JavaScript prints them. */
static void
test_json_nan_inf(void **state)
{
	struct packed *p = *state;

	msgpack_pack_double(&p->pk, NAN);
	expect(p, "null");
	msgpack_pack_double(&p->pk, INFINITY);
	expect(p, "null");
	msgpack_pack_double(&p->pk, -INFINITY);
	expect(p, "null");
	msgpack_pack_float(&p->pk, NAN);
	expect(p, "null");
	msgpack_pack_array(&p->pk, 3);
	msgpack_pack_double(&p->pk, NAN);
	msgpack_pack_double(&p->pk, 2);
	msgpack_pack_float(&p->pk, -INFINITY);
	expect(p, "[null, 2, null]");
}

static void
test_json_escapes(void **state)
{
	struct packed *p = *state;

	STR(p, "a\"b\\c\nd\te\x01\x1f\x7f/");
	expect(p, "\"a\\\"b\\\\c\\nd\\u0009e\\u0001\\u001f\\u007f/\"");
	str(p, "nul\0byte", 8);
	expect(p, "\"nul\\u0000byte\"");
	STR(p, "");
	expect(p, "\"\"");
}

static void
test_json_utf8_valid(void **state)
{
	struct packed *p = *state;

	/* 2, 3 and 4 bytes, and the edges of each range. */
	STR(p, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 \xed\x9f\xbf "
	    "\xee\x80\x80 \xf4\x8f\xbf\xbf");
	expect(p, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 "
	    "\xed\x9f\xbf \xee\x80\x80 \xf4\x8f\xbf\xbf\"");
}

/* Every byte outside valid UTF-8 is \u00XX, so the bytes are recoverable. */
static void
test_json_utf8_invalid(void **state)
{
	struct packed *p = *state;
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "\xff", "\"\\u00ff\"" },
		{ "a\x80z", "\"a\\u0080z\"" },		/* lone continuation */
		{ "\xc3", "\"\\u00c3\"" },		/* cut short at the end */
		{ "\xc3(", "\"\\u00c3(\"" },		/* cut short inside */
		{ "\xc0\xaf", "\"\\u00c0\\u00af\"" },	/* overlong '/' */
		{ "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"" },	/* overlong */
		{ "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"" },
		{ "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\"" },
		{ "\xe2\x82", "\"\\u00e2\\u0082\"" },
		{ "ds_\xff\xfe_128", "\"ds_\\u00ff\\u00fe_128\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		str(p, cases[i].in, strlen(cases[i].in));
		expect(p, cases[i].out);
	}
}

static void
test_json_containers(void **state)
{
	struct packed *p = *state;
	static const char bin[] = { 'b', '\0', (char)0xff };

	msgpack_pack_map(&p->pk, 5);
	STR(p, "k");
	msgpack_pack_nil(&p->pk);
	msgpack_pack_int64(&p->pk, -1);		/* keys that are not strings */
	STR(p, "minus one");
	msgpack_pack_array(&p->pk, 2);
	STR(p, "a\"");
	msgpack_pack_double(&p->pk, NAN);
	msgpack_pack_true(&p->pk);
	STR(p, "\xff");
	msgpack_pack_array(&p->pk, 0);
	STR(p, "bin");
	msgpack_pack_bin(&p->pk, sizeof(bin));
	msgpack_pack_bin_body(&p->pk, bin, sizeof(bin));
	expect(p, "{\"k\": null, \"-1\": \"minus one\", "
	    "\"[\\\"a\\\\\\\"\\\", null]\": true, \"\\u00ff\": [], "
	    "\"bin\": \"b\\u0000\\u00ff\"}");
	msgpack_pack_map(&p->pk, 0);
	expect(p, "{}");
}

/* A write error on the stream is reported. */
static void
test_json_write_error(void **state)
{
	struct packed *p = *state;
	size_t off = 0;
	FILE *full = fopen("/dev/full", "w");

	if (full == NULL)
		skip();
	setvbuf(full, NULL, _IONBF, 0);
	STR(p, "lost");
	assert_int_equal(msgpack_unpack_next(&p->up, p->sb.data, p->sb.size,
	    &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(json_print(full, hyco__value(&p->up.data)), -1);
	fclose(full);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, test_json_setup, \
	    test_json_teardown)
	const struct CMUnitTest tests[] = {
		T(test_json_scalars),
		T(test_json_nan_inf),
		T(test_json_escapes),
		T(test_json_utf8_valid),
		T(test_json_utf8_invalid),
		T(test_json_containers),
		T(test_json_write_error),
	};
#undef T
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
