/* frame.c: a resumable walk over msgpack headers, bounded (frame.h). */
#include "frame.h"

#include <string.h>

/* What a header starts. */
enum token { SCALAR, BLOB, ARRAY, MAP };

static uint64_t
be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The header at p, of which avail bytes are here: its length (*h), what
 * it starts (*tok) and its count or payload length (*n). 1 when whole,
 * 0 when more bytes are needed, -1 for a byte that starts nothing.
 * Fixed-size values (numbers, fixext) are all header.
 */
static int
header(const unsigned char *p, size_t avail, size_t *h, enum token *tok,
    uint64_t *n)
{
	unsigned char b = p[0];
	size_t len;		/* bytes of count or length after b */

	*tok = SCALAR;
	*n = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
		*h = 1;
		return 1;
	}
	if (b <= 0x9f) {
		*tok = b <= 0x8f ? MAP : ARRAY;
		*n = b & 0x0f;
		*h = 1;
		return 1;
	}
	if (b <= 0xbf) {
		*tok = BLOB;
		*n = b & 0x1f;
		*h = 1;
		return 1;
	}
	switch (b) {
	case 0xc4: case 0xd9: *tok = BLOB; len = 1; *h = 2; break;
	case 0xc5: case 0xda: *tok = BLOB; len = 2; *h = 3; break;
	case 0xc6: case 0xdb: *tok = BLOB; len = 4; *h = 5; break;
	/* ext: the length, then a type byte that is payload to us. */
	case 0xc7: *tok = BLOB; len = 1; *h = 2; break;
	case 0xc8: *tok = BLOB; len = 2; *h = 3; break;
	case 0xc9: *tok = BLOB; len = 4; *h = 5; break;
	case 0xca: *h = 5; return avail >= *h;
	case 0xcb: *h = 9; return avail >= *h;
	case 0xcc: case 0xd0: *h = 2; return avail >= *h;
	case 0xcd: case 0xd1: *h = 3; return avail >= *h;
	case 0xce: case 0xd2: *h = 5; return avail >= *h;
	case 0xcf: case 0xd3: *h = 9; return avail >= *h;
	case 0xd4: *h = 3; return avail >= *h;		/* fixext 1 */
	case 0xd5: *h = 4; return avail >= *h;		/* fixext 2 */
	case 0xd6: *h = 6; return avail >= *h;		/* fixext 4 */
	case 0xd7: *h = 10; return avail >= *h;		/* fixext 8 */
	case 0xd8: *h = 18; return avail >= *h;		/* fixext 16 */
	case 0xdc: *tok = ARRAY; len = 2; *h = 3; break;
	case 0xdd: *tok = ARRAY; len = 4; *h = 5; break;
	case 0xde: *tok = MAP; len = 2; *h = 3; break;
	case 0xdf: *tok = MAP; len = 4; *h = 5; break;
	default:
		return -1;	/* 0xc1: never used */
	}
	if (avail < *h)
		return 0;
	*n = be(p + 1, len);
	if (b >= 0xc7 && b <= 0xc9)
		(*n)++;		/* the ext type byte */
	return 1;
}

void
frame_init(struct frame *f, size_t limit)
{
	memset(f, 0, sizeof(*f));
	f->limit = limit;
	frame_next(f);
}

void
frame_next(struct frame *f)
{
	f->pos = 0;
	f->skip = 0;
	f->depth = 0;
	f->left[0] = 1;		/* one value, the message */
	f->need = 1;
}

enum frame_status
frame_walk(struct frame *f, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	enum token tok;
	uint64_t n;
	size_t h;
	int r;

	for (;;) {
		if (f->skip > 0) {
			uint64_t here = len - f->pos;
			uint64_t k = f->skip < here ? f->skip : here;
			f->pos += k;
			f->skip -= k;
			f->steps += k;
			if (f->skip > 0)
				return FRAME_MORE;
		}
		while (f->depth > 0 && f->left[f->depth] == 0)
			f->depth--;
		if (f->depth == 0 && f->left[0] == 0)
			return FRAME_DONE;
		if (f->pos >= len)
			return FRAME_MORE;
		if ((r = header(p + f->pos, len - f->pos, &h, &tok, &n)) <= 0) {
			/* A header cut short is read again when the rest comes. */
			f->steps += r < 0 ? 1 : len - f->pos;
			return r < 0 ? FRAME_BAD : FRAME_MORE;
		}
		f->steps += h;
		f->pos += h;
		f->left[f->depth]--;
		f->need--;
		switch (tok) {
		case SCALAR:
			break;
		case BLOB:
			f->skip = n;
			break;
		case MAP:
			n *= 2;		/* a key and a value a pair */
			/* FALLTHROUGH */
		case ARRAY:
			if (f->depth == FRAME_DEPTH_MAX)
				return FRAME_TOO_DEEP;
			f->left[++f->depth] = n;
			f->need += n;
			break;
		}
		/* The least the message can still take: one byte an element. */
		if (f->pos + f->skip + f->need > f->limit)
			return FRAME_TOO_LARGE;
	}
}
