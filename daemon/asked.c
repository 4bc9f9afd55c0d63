/* asked.c: last-asked times, hashed and bounded (asked.h). */
#include "asked.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

#define ASKED_BUCKETS	(2 * ASKED_MAX)	/* a power of two */
#define NIL		UINT32_MAX

struct asked_ent {
	int		 kind;
	long		 cycle;
	char		 dataset[HYCO_DATASET_MAX + 1];
	uint64_t	 at;		/* uv_now when last asked */
	uint32_t	 chain;		/* next in its bucket */
	uint32_t	 older, newer;	/* in the order asked */
};

void
asked_init(struct asked_table *t)
{
	memset(t, 0, sizeof(*t));
	t->oldest = t->newest = NIL;
}

void
asked_free(struct asked_table *t)
{
	free(t->v);
	free(t->buckets);
	asked_init(t);
}

/* FNV-1a over the key. */
static uint32_t
hash(int kind, long cycle, const char *ds)
{
	uint32_t h = 2166136261u;
	unsigned char k[sizeof(kind) + sizeof(cycle)];

	memcpy(k, &kind, sizeof(kind));
	memcpy(k + sizeof(kind), &cycle, sizeof(cycle));
	for (size_t i = 0; i < sizeof(k); i++)
		h = (h ^ k[i]) * 16777619u;
	for (; *ds != '\0'; ds++)
		h = (h ^ (unsigned char)*ds) * 16777619u;
	return h & (ASKED_BUCKETS - 1);
}

static bool
same(const struct asked_ent *e, int kind, long cycle, const char *ds)
{
	return e->kind == kind && e->cycle == cycle &&
	    strcmp(e->dataset, ds) == 0;
}

static uint32_t
find(const struct asked_table *t, uint32_t b, int kind, long cycle,
    const char *ds)
{
	if (t->buckets == NULL)
		return NIL;
	for (uint32_t i = t->buckets[b]; i != NIL; i = t->v[i].chain)
		if (same(&t->v[i], kind, cycle, ds))
			return i;
	return NIL;
}

/*
 * The key's entry if it is one of the two asked last, else NIL: a
 * trainer's get-cycle-dir touches its cycle, then its dataset
 * (policy_lease), and the next one the same two, with no hashing.
 */
static uint32_t
recent(const struct asked_table *t, int kind, long cycle, const char *ds)
{
	uint32_t i = t->newest;

	for (int k = 0; k < 2 && i != NIL; k++, i = t->v[i].older)
		if (same(&t->v[i], kind, cycle, ds))
			return i;
	return NIL;
}

/* Take i out of the asking order. */
static void
unlink_order(struct asked_table *t, uint32_t i)
{
	struct asked_ent *e = &t->v[i];

	if (e->older != NIL)
		t->v[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NIL)
		t->v[e->newer].older = e->older;
	else
		t->newest = e->older;
}

/* Make i the most recently asked. */
static void
append_order(struct asked_table *t, uint32_t i)
{
	t->v[i].older = t->newest;
	t->v[i].newer = NIL;
	if (t->newest != NIL)
		t->v[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

/* Forget the least recently asked entry; its slot is returned. */
static uint32_t
evict(struct asked_table *t)
{
	uint32_t i = t->oldest, *p;
	struct asked_ent *e = &t->v[i];

	unlink_order(t, i);
	for (p = &t->buckets[hash(e->kind, e->cycle, e->dataset)]; *p != i;
	    p = &t->v[*p].chain)
		;
	*p = e->chain;
	t->forgotten++;
	return i;
}

int
asked_touch(struct asked_table *t, int kind, long cycle, const char *ds,
    uint64_t now)
{
	uint32_t b = 0, i;

	if ((i = recent(t, kind, cycle, ds)) == NIL)
		i = find(t, b = hash(kind, cycle, ds), kind, cycle, ds);
	if (i != NIL) {
		if (i != t->newest) {
			unlink_order(t, i);
			append_order(t, i);
		}
		t->v[i].at = now;
		return 0;
	}
	if (t->buckets == NULL) {
		if ((t->buckets = malloc(ASKED_BUCKETS * sizeof(*t->buckets)))
		    == NULL)
			return -1;
		memset(t->buckets, 0xff, ASKED_BUCKETS * sizeof(*t->buckets));
	}
	if (t->n == ASKED_MAX)
		i = evict(t);
	else {
		if (array_grow((void **)&t->v, &t->cap, t->n + 1,
		    sizeof(*t->v)) == -1)
			return -1;
		i = t->n++;
	}
	t->v[i].kind = kind;
	t->v[i].cycle = cycle;
	strncpy(t->v[i].dataset, ds, HYCO_DATASET_MAX);
	t->v[i].dataset[HYCO_DATASET_MAX] = '\0';
	t->v[i].at = now;
	t->v[i].chain = t->buckets[b];
	t->buckets[b] = i;
	append_order(t, i);
	return 0;
}

bool
asked_when(const struct asked_table *t, int kind, long cycle, const char *ds,
    uint64_t *at)
{
	uint32_t i = find(t, hash(kind, cycle, ds), kind, cycle, ds);

	if (i == NIL)
		return false;
	*at = t->v[i].at;
	return true;
}
