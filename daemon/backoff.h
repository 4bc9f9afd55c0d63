/*
 * backoff.h: waiting longer after each fruitless try (header only).
 * The watcher backs off re-scans during an overflow storm, the policy
 * its passes while every candidate is protected; each names its own
 * bounds.
 */
#ifndef HYCO_BACKOFF_H
#define HYCO_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct backoff {
	unsigned	min_ms, max_ms;	/* the first delay, the longest */
	unsigned	delay_ms;	/* the current one; 0: none */
	uint64_t	until;		/* uv_now: no try before this */
};

static inline void
backoff_init(struct backoff *b, unsigned min_ms, unsigned max_ms)
{
	*b = (struct backoff){ .min_ms = min_ms, .max_ms = max_ms };
}

/* A try came to nothing at now: wait min_ms, then twice as long each time. */
static inline unsigned
backoff_step(struct backoff *b, uint64_t now)
{
	b->delay_ms = b->delay_ms == 0 ? b->min_ms :
	    b->delay_ms > b->max_ms / 2 ? b->max_ms : b->delay_ms * 2;
	b->until = now + b->delay_ms;
	return b->delay_ms;
}

/* A try worked (or things calmed down): the next failure starts over. */
static inline void
backoff_reset(struct backoff *b, uint64_t now)
{
	b->delay_ms = 0;
	b->until = now;
}

/* Asked for explicitly: try now, keeping the delay for the next failure. */
static inline void
backoff_waive(struct backoff *b)
{
	b->until = 0;
}

static inline bool
backoff_waiting(const struct backoff *b, uint64_t now)
{
	return now < b->until;
}

#endif
