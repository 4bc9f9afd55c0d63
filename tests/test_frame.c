/*
 * test_frame.c: the bounded, resumable header walk (protocol/frame.c):
 * every value msgpack-c packs ends where msgpack-c says, in one piece
 * or byte by byte; bombs, deep nesting and oversized values are refused
 * at their first header; the work is linear in the bytes received.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <msgpack.h>

#include "frame.h"

#define LIMIT	65536

/* Walk buf whole, then the same bytes one at a time; same answer. */
static enum frame_status
walk_both(const char *buf, size_t len, size_t limit, size_t *pos)
{
	struct frame a, b;
	enum frame_status ra, rb = FRAME_MORE;

	frame_init(&a, limit);
	ra = frame_walk(&a, buf, len);
	frame_init(&b, limit);
	for (size_t i = 1; i <= len && rb == FRAME_MORE; i++)
		rb = frame_walk(&b, buf, i);
	assert_int_equal(ra, rb);
	if (ra == FRAME_DONE)
		assert_int_equal(a.pos, b.pos);
	*pos = a.pos;
	return ra;
}

static unsigned rnd_state = 12345;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* A random value of every msgpack type, nested up to depth. */
static void
pack_random(msgpack_packer *pk, int depth)
{
	static char blob[70000];
	unsigned n;

	switch (rnd(depth > 0 ? 14 : 11)) {
	case 0: msgpack_pack_nil(pk); break;
	case 1: rnd(2) ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
	case 2: msgpack_pack_uint64(pk, (uint64_t)rnd(1u << 30) << rnd(34)); break;
	case 3: msgpack_pack_int64(pk, -(int64_t)((uint64_t)rnd(1u << 30) <<
	    rnd(33))); break;
	case 4: msgpack_pack_float(pk, 1.5f); break;
	case 5: msgpack_pack_double(pk, -2.25); break;
	case 6:
		n = rnd(3) == 0 ? rnd(40000) : rnd(300);
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, blob, n);
		break;
	case 7:
		n = rnd(2) ? rnd(70000) : rnd(40);
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, blob, n);
		break;
	case 8: case 9: case 10: {
		static const unsigned sizes[] = { 1, 2, 4, 8, 16, 0, 3, 200,
		    300, 70000 };
		n = sizes[rnd(10)];
		msgpack_pack_ext(pk, n, (int8_t)rnd(128));
		msgpack_pack_ext_body(pk, blob, n);
		break;
	}
	case 11: case 12:
		n = rnd(4) == 0 ? rnd(20) : rnd(4);
		msgpack_pack_array(pk, n);
		for (unsigned i = 0; i < n; i++)
			pack_random(pk, depth - 1);
		break;
	default:
		n = rnd(5);
		msgpack_pack_map(pk, n);
		for (unsigned i = 0; i < 2 * n; i++)
			pack_random(pk, depth - 1);
		break;
	}
}

/* What msgpack-c unpacks whole, the walker ends at the same byte. */
static void
test_frame_agrees_with_msgpack(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
	for (int i = 0; i < 400; i++) {
		size_t pos, off = 0;
		enum frame_status r;
		msgpack_sbuffer_clear(&sb);
		pack_random(&pk, 1 + i % 6);
		/* Something after it: the walker stops at the value's end. */
		msgpack_pack_array(&pk, 1);
		r = walk_both(sb.data, sb.size, 1 << 24, &pos);
		assert_int_equal(r, FRAME_DONE);
		assert_int_not_equal(msgpack_unpack_next(&up, sb.data, sb.size,
		    &off), MSGPACK_UNPACK_CONTINUE);
		assert_int_equal(pos, off);
		/* One byte short of its end: more is wanted, nothing else. */
		assert_int_equal(walk_both(sb.data, pos - 1, 1 << 24, &off),
		    FRAME_MORE);
		/* Its own size is within a limit of exactly that. */
		assert_int_equal(walk_both(sb.data, sb.size, pos, &off),
		    FRAME_DONE);
		if (pos > 1)
			assert_int_equal(walk_both(sb.data, sb.size, pos - 1,
			    &off), FRAME_TOO_LARGE);
	}
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * The bombs: 15 nested array32 headers claiming 134M elements
 * each (76 bytes), and one array32 header claiming 0x9401032c (10
 * bytes). Both refused at their first header, after 5 bytes.
 */
static void
test_frame_bombs(void **state)
{
	char nested[76], flat[10] = { (char)0xdd, (char)0x94, 0x01, 0x03,
	    0x2c, 0x00, 0x01, 0x02, 0x03, 0x04 };
	struct frame f;

	(void)state;
	for (int i = 0; i < 15; i++)
		memcpy(nested + 5 * i, "\xdd\x08\x00\x00\x00", 5);
	nested[75] = 0x01;
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, nested, sizeof(nested)), FRAME_TOO_LARGE);
	assert_int_equal(f.steps, 5);
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, flat, sizeof(flat)), FRAME_TOO_LARGE);
	assert_int_equal(f.steps, 5);
	/* What is left of the limit, not the limit: nested claims add up. */
	char two[16];
	memcpy(two, "\xdc\x80\x00", 3);		/* 32768 elements */
	memcpy(two + 3, "\xdc\x80\x00", 3);	/* and 32768 in the first */
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, two, 3), FRAME_MORE);
	assert_int_equal(frame_walk(&f, two, 6), FRAME_TOO_LARGE);
	/* A map's pairs take two elements each. */
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, "\xde\x80\x00", 3), FRAME_TOO_LARGE);
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, "\xde\x7f\xfe", 3), FRAME_MORE);
	/* A string longer than what is left, before its bytes come. */
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, "\x94\x00\x01\xdb\x00\x01\x00\x00",
	    8), FRAME_TOO_LARGE);
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, "\xc6\xff\xff\xff\xff", 5),
	    FRAME_TOO_LARGE);
	frame_init(&f, LIMIT);
	/* ext32: 5 header bytes, a type byte and 65530 bytes: just fits. */
	assert_int_equal(frame_walk(&f, "\xc9\x00\x00\xff\xfa\x01", 6),
	    FRAME_MORE);
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, "\xc9\x00\x00\xff\xfb\x01", 6),
	    FRAME_TOO_LARGE);
}

static void
test_frame_depth(void **state)
{
	char buf[FRAME_DEPTH_MAX + 2];
	struct frame f;
	size_t pos;

	(void)state;
	memset(buf, 0x91, sizeof(buf));		/* [[[...]]] */
	buf[FRAME_DEPTH_MAX] = 0x01;
	assert_int_equal(walk_both(buf, FRAME_DEPTH_MAX + 1, LIMIT, &pos),
	    FRAME_DONE);
	assert_int_equal(pos, FRAME_DEPTH_MAX + 1);
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, buf, FRAME_DEPTH_MAX), FRAME_MORE);
	buf[FRAME_DEPTH_MAX] = (char)0x90;	/* one more level, empty */
	assert_int_equal(walk_both(buf, FRAME_DEPTH_MAX + 1, LIMIT, &pos),
	    FRAME_TOO_DEEP);
	memset(buf, 0x81, sizeof(buf));		/* {{{...: maps too */
	assert_int_equal(walk_both(buf, sizeof(buf), LIMIT, &pos),
	    FRAME_TOO_DEEP);
}

static void
test_frame_bad_byte(void **state)
{
	size_t pos;

	(void)state;
	assert_int_equal(walk_both("\xc1", 1, LIMIT, &pos), FRAME_BAD);
	assert_int_equal(walk_both("\x93\x01\xc1", 3, LIMIT, &pos), FRAME_BAD);
}

/* Messages one after another: frame_next starts the next one. */
static void
test_frame_stream(void **state)
{
	const char two[] = "\x92\x01\xa1x" "\x81\xa1k\xc0";
	struct frame f;

	(void)state;
	frame_init(&f, LIMIT);
	assert_int_equal(frame_walk(&f, two, 2), FRAME_MORE);
	assert_int_equal(frame_walk(&f, two, 8), FRAME_DONE);
	assert_int_equal(f.pos, 4);
	/* Asked again, it stays done: a held message is not walked twice. */
	uint64_t steps = f.steps;
	assert_int_equal(frame_walk(&f, two, 8), FRAME_DONE);
	assert_int_equal(f.steps, steps);
	frame_next(&f);
	assert_int_equal(frame_walk(&f, two + 4, 4), FRAME_DONE);
	assert_int_equal(f.pos, 4);
}

/*
 * A 64 KiB request arriving a byte at a time costs O(n): the steps are
 * bounded by a small multiple of the bytes (each header cut short is
 * read again, 1 + 2 + ... + 5 for a 5-byte one), where parsing from the
 * start on every read would take n^2 / 2 = 2e9.
 */
static void
test_frame_linear(void **state)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	static char body[LIMIT];
	struct frame f;
	enum frame_status r = FRAME_MORE;

	(void)state;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	/* One big string. */
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, 0);
	msgpack_pack_uint32(&pk, 7);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "ping", 4);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "pad", 3);
	msgpack_pack_str(&pk, LIMIT - 100);
	msgpack_pack_str_body(&pk, body, LIMIT - 100);
	frame_init(&f, LIMIT);
	for (size_t i = 1; i <= sb.size && r == FRAME_MORE; i++)
		r = frame_walk(&f, sb.data, i);
	assert_int_equal(r, FRAME_DONE);
	assert_int_equal(f.pos, sb.size);
	assert_true(f.steps <= 2 * sb.size);
	/* The worst shape: nothing but 5-byte headers (uint32). */
	msgpack_sbuffer_clear(&sb);
	msgpack_pack_array(&pk, 13000);
	for (int i = 0; i < 13000; i++)
		msgpack_pack_uint32(&pk, 0x10000000u + (uint32_t)i);
	assert_true(sb.size <= LIMIT);
	frame_init(&f, LIMIT);
	r = FRAME_MORE;
	for (size_t i = 1; i <= sb.size && r == FRAME_MORE; i++)
		r = frame_walk(&f, sb.data, i);
	assert_int_equal(r, FRAME_DONE);
	assert_true(f.steps <= 3 * sb.size);
	msgpack_sbuffer_destroy(&sb);
}

/* Random bytes: whatever the walker completes, msgpack-c agrees with. */
static void
test_frame_random_bytes(void **state)
{
	msgpack_unpacked up;
	char buf[64];

	(void)state;
	msgpack_unpacked_init(&up);
	for (int i = 0; i < 200000; i++) {
		struct frame f;
		size_t len = 1 + rnd(sizeof(buf)), off = 0;
		for (size_t k = 0; k < len; k++)
			buf[k] = (char)rnd(256);
		frame_init(&f, 48);
		enum frame_status r = frame_walk(&f, buf, len);
		/* What the walker refuses could make msgpack-c reserve
		 * gigabytes: the point of it. Everything else is small. */
		if (r == FRAME_TOO_LARGE || r == FRAME_TOO_DEEP)
			continue;
		msgpack_unpack_return u = msgpack_unpack_next(&up, buf, len,
		    &off);
		if (r == FRAME_DONE) {
			assert_true(u == MSGPACK_UNPACK_SUCCESS ||
			    u == MSGPACK_UNPACK_EXTRA_BYTES);
			assert_int_equal(off, f.pos);
		} else if (r == FRAME_MORE)
			assert_int_equal(u, MSGPACK_UNPACK_CONTINUE);
		else if (r == FRAME_BAD)
			assert_int_equal(u, MSGPACK_UNPACK_PARSE_ERROR);
	}
	msgpack_unpacked_destroy(&up);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_agrees_with_msgpack),
		cmocka_unit_test(test_frame_bombs),
		cmocka_unit_test(test_frame_depth),
		cmocka_unit_test(test_frame_bad_byte),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_linear),
		cmocka_unit_test(test_frame_random_bytes),
	};
	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
