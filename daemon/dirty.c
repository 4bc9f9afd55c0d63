/* dirty.c: a set of (directory, name) pairs, hashed, each kept once. */
#include "dirty.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

static uint32_t
hash_pair(uint32_t dir, const char *name, size_t len)
{
	uint32_t h = 2166136261u ^ dir;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

void
dirty_clear(struct dirty_set *s)
{
	s->n = 0;
	s->nameslen = 0;
	if (s->hash != NULL)
		memset(s->hash, 0, s->hcap * sizeof(*s->hash));
}

static int
rehash(struct dirty_set *s, size_t hcap)
{
	uint32_t *h = calloc(hcap, sizeof(*h));

	if (h == NULL)
		return -1;
	free(s->hash);
	s->hash = h;
	s->hcap = hcap;
	for (size_t i = 0; i < s->n; i++) {
		struct dirty_ent *e = &s->e[i];
		size_t j = hash_pair(e->dir, s->names + e->name, e->nlen) &
		    (hcap - 1);
		while (h[j] != 0)
			j = (j + 1) & (hcap - 1);
		h[j] = (uint32_t)i + 1;
	}
	return 0;
}

int
dirty_add(struct dirty_set *s, const struct index *ix, uint32_t dir,
    const char *name, size_t len, uint8_t tries)
{
	size_t j;

	if ((s->n + 1) * 2 > s->hcap &&
	    rehash(s, s->hcap ? s->hcap * 2 : 1024) == -1)
		return -1;
	j = hash_pair(dir, name, len) & (s->hcap - 1);
	for (; s->hash[j] != 0; j = (j + 1) & (s->hcap - 1)) {
		struct dirty_ent *e = &s->e[s->hash[j] - 1];
		if (e->dir == dir && e->nlen == len &&
		    memcmp(s->names + e->name, name, len) == 0)
			return 0;
	}
	if (array_grow((void **)&s->e, &s->cap, s->n + 1, sizeof(*s->e)) == -1)
		return -1;
	struct dirty_ent *e = &s->e[s->n];
	if (array_put_name(&s->names, &s->nameslen, &s->namescap, name, len,
	    &e->name) == -1)
		return -1;
	e->dir = dir;
	e->drec = (uint32_t)index_node(ix, dir)->size;
	e->gen = ix->dirs[e->drec].gen;
	e->nlen = (uint8_t)len;
	e->tries = tries;
	s->hash[j] = (uint32_t)++s->n;
	return 0;
}

void
dirty_free(struct dirty_set *s)
{
	if (s == NULL)
		return;
	free(s->e);
	free(s->names);
	free(s->hash);
	free(s);
}
