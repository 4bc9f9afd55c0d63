/* array.h: arrays grown by doubling, and name arenas (header only). */
#ifndef HYCO_ARRAY_H
#define HYCO_ARRAY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Append the n bytes of s and a NUL to the character array *names (*len
 * used of *cap); *off is where they start. 0, or -1 when out of memory.
 */
static inline int
array_put_name(char **names, size_t *len, size_t *cap, const char *s,
    size_t n, uint32_t *off)
{
	if (array_grow((void **)names, cap, *len + n + 1, 1) == -1)
		return -1;
	memcpy(*names + *len, s, n);
	(*names)[*len + n] = '\0';
	*off = (uint32_t)*len;
	*len += n + 1;
	return 0;
}

#endif
