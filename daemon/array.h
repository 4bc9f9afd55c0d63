/* array.h: growing an array by doubling (header only). */
#ifndef HYCO_ARRAY_H
#define HYCO_ARRAY_H

#include <stdlib.h>

/*
 * Make *p (of *cap elements of size bytes) hold at least need; 0, or -1
 * with *p and *cap untouched when out of memory.
 */
static inline int
array_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((q = realloc(*p, c * size)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

#endif
