/*
 * frame.h: where one msgpack message ends, and whether it may be
 * unpacked, checked before msgpack-c sees it. Shared by hycod (requests)
 * and libhyco (replies).
 *
 * msgpack-c reserves room for every element a container header claims
 * before it reads one of them, so a 5-byte array32 header can ask for
 * gigabytes. The walker reads only headers and lengths, and refuses a
 * message as soon as what it declares could not fit in the bytes the
 * limit leaves: every element takes at least one byte (a map pair two),
 * a string, binary or extension its whole length. Containers nest at
 * most FRAME_DEPTH_MAX deep. Only a message walked to its end, and so
 * known to be within the limit, is handed to msgpack_unpack_next, which
 * then allocates in proportion to bytes really received.
 *
 * The walk is resumable: a message that arrives in pieces is walked
 * once, piece by piece, never again from its start (a header cut in two
 * is read again, at most 9 bytes). steps counts the bytes examined, so
 * that tests can see the work is linear in what was received.
 */
#ifndef HYCO_FRAME_H
#define HYCO_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Containers open at once, at most. A request needs 3 ([ [ { } ] ]),
 * the deepest reply (summary's datasets) 4; msgpack-c itself stops at
 * 32.
 */
#define FRAME_DEPTH_MAX	16

enum frame_status {
	FRAME_MORE,		/* fine so far: wait for more bytes */
	FRAME_DONE,		/* one whole message of pos bytes */
	FRAME_TOO_LARGE,	/* it could not fit within limit */
	FRAME_TOO_DEEP,		/* containers nest over FRAME_DEPTH_MAX */
	FRAME_BAD,		/* a byte that starts no msgpack value */
};

struct frame {
	size_t		 limit;		/* largest message, in bytes */
	size_t		 pos;		/* bytes of this message walked */
	uint64_t	 skip;		/* payload bytes still to pass over */
	uint64_t	 need;		/* elements not yet begun, all levels */
	int		 depth;		/* containers open */
	uint64_t	 left[FRAME_DEPTH_MAX + 1]; /* elements to begin, by level */
	uint64_t	 steps;		/* bytes examined since frame_init */
};

/* A walker for messages of at most limit bytes. */
void	frame_init(struct frame *f, size_t limit);

/*
 * Walk on through the message that starts at buf, of which len bytes
 * have arrived (the same buf, grown, on every call; it may have moved).
 * FRAME_DONE leaves the message's length in f->pos and the walker
 * stopped there: call frame_next before walking the next message.
 * Every other answer but FRAME_MORE is final for this stream.
 */
enum frame_status frame_walk(struct frame *f, const char *buf, size_t len);

/* After FRAME_DONE: ready for the message that follows. */
void	frame_next(struct frame *f);

#endif
