/*
 * dirty.h: the (directory, name) pairs the watcher must look at again,
 * each kept once. An inotify event only names a pair; a round then
 * reconciles every pair with one fstatat (watch.c). Each entry keeps
 * its directory's record and generation, so that a pair whose directory
 * went meanwhile is passed over. No I/O.
 */
#ifndef HYCO_DIRTY_H
#define HYCO_DIRTY_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

struct dirty_ent {
	uint32_t	dir, drec, gen;
	uint32_t	name;		/* offset in names */
	uint8_t		nlen;
	uint8_t		tries;		/* stale-path retries so far */
};

struct dirty_set {
	struct dirty_ent	*e;
	size_t			 n, cap;
	char			*names;
	size_t			 nameslen, namescap;
	uint32_t		*hash;	/* entry + 1; 0 is empty */
	size_t			 hcap;
};

/* Add (dir, name) of ix once; -1 on ENOMEM (the caller re-scans). */
int	dirty_add(struct dirty_set *s, const struct index *ix, uint32_t dir,
	    const char *name, size_t len, uint8_t tries);
/* Empty s, keeping its memory for the next round. */
void	dirty_clear(struct dirty_set *s);
/* Free s and what it holds (NULL is fine). */
void	dirty_free(struct dirty_set *s);

#endif
