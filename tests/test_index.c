/* test_index.c: the index against a plain model, under random changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "index.h"

/* The model: what each live node is, by node id. */
#define MAXN	20000

struct model {
	bool		live[MAXN];
	bool		isdir[MAXN];
	uint32_t	parent[MAXN];
	uint64_t	size[MAXN];
	char		name[MAXN][16];
};

static struct model m;

static uint64_t
model_bytes(uint32_t dir, uint64_t *files)
{
	uint64_t b = 0;

	for (uint32_t i = 0; i < MAXN; i++) {
		if (!m.live[i] || m.parent[i] != dir)
			continue;
		if (m.isdir[i]) {
			b += model_bytes(i, files);
		} else {
			b += m.size[i];
			(*files)++;
		}
	}
	return b;
}

static void
model_kill(uint32_t id)
{
	for (uint32_t i = 0; i < MAXN; i++)
		if (m.live[i] && m.parent[i] == id && i != id)
			model_kill(i);
	m.live[id] = false;
}

/* Every directory's totals, and every name's lookup, agree with m. */
static void
check(struct index *ix)
{
	uint64_t files_total = 0;

	for (uint32_t i = 0; i < MAXN; i++) {
		if (!m.live[i])
			continue;
		if (m.parent[i] != IX_NIL)
			assert_int_equal(index_lookup(ix, m.parent[i], m.name[i],
			    strlen(m.name[i])), i);
		if (!m.isdir[i]) {
			files_total++;
			continue;
		}
		uint64_t files = 0, bytes = model_bytes(i, &files);
		assert_int_equal(index_dir(ix, i)->bytes, bytes);
		assert_int_equal(index_dir(ix, i)->nfiles, files);
	}
	assert_int_equal(ix->files, files_total);
}

static uint32_t
random_live(bool want_dir)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t i = (uint32_t)rand() % MAXN;
		if (m.live[i] && m.isdir[i] == want_dir)
			return i;
	}
	return IX_NIL;
}

static bool
is_ancestor(uint32_t a, uint32_t node)
{
	for (uint32_t p = node; p != IX_NIL; p = m.parent[p])
		if (p == a)
			return true;
	return false;
}

static void
test_index_random(void **state)
{
	struct index ix;
	uint32_t top;

	(void)state;
	srand(42);
	memset(&m, 0, sizeof(m));
	assert_int_equal(index_init(&ix), 0);
	top = index_add_top(&ix, "/cache/top");
	assert_int_not_equal(top, IX_NIL);
	m.live[top] = m.isdir[top] = true;
	m.parent[top] = IX_NIL;
	for (int step = 0; step < 16000; step++) {
		int op = rand() % 10;
		uint32_t d = random_live(true), f, id;
		char name[16];

		snprintf(name, sizeof(name), "n%d", rand() % 200);
		if (op <= 4 && d != IX_NIL) {		/* create */
			if (index_lookup(&ix, d, name, strlen(name)) != IX_NIL)
				continue;
			bool isdir = op == 0;
			id = index_add(&ix, d, name, strlen(name), isdir, true);
			assert_true(id < MAXN);
			m.live[id] = true;
			m.isdir[id] = isdir;
			m.parent[id] = d;
			m.size[id] = 0;
			strcpy(m.name[id], name);
			if (!isdir) {
				m.size[id] = (uint64_t)(rand() % 1000);
				index_set_file(&ix, id, m.size[id], step);
			}
		} else if (op <= 6) {			/* rewrite */
			if ((f = random_live(false)) == IX_NIL)
				continue;
			m.size[f] = (uint64_t)(rand() % 100000);
			index_set_file(&ix, f, m.size[f], step);
		} else if (op == 7) {			/* remove */
			if ((f = random_live(rand() % 40 == 0)) == IX_NIL ||
			    f == top)
				continue;
			index_remove(&ix, f, NULL, NULL);
			model_kill(f);
		} else {				/* move */
			if ((f = random_live(rand() % 3 == 0)) == IX_NIL ||
			    f == top || d == IX_NIL || is_ancestor(f, d) ||
			    index_lookup(&ix, d, name, strlen(name)) != IX_NIL)
				continue;
			assert_int_equal(index_move(&ix, f, d, name,
			    strlen(name)), 0);
			m.parent[f] = d;
			strcpy(m.name[f], name);
		}
		if (step % 2000 == 0)
			check(&ix);
	}
	check(&ix);
	/* Big enough that the hash table grew several times. */
	assert_true(ix.live > 2 * 1024);
	/* Removals and moves left dead names: compaction bounds them. */
	size_t live_names = 0;
	for (uint32_t i = 0; i < MAXN; i++)
		if (m.live[i])
			live_names += strlen(m.name[i]) + 1;
	assert_true(ix.names_len <= 2 * live_names + 4096 + 256);
	index_free(&ix);
}

static int unwatched[64], nunwatched;

static void
on_unwatch(void *arg, int32_t wd)
{
	(void)arg;
	unwatched[nunwatched++] = wd;
}

static void
test_index_watches(void **state)
{
	struct index ix;
	uint32_t top, a, b;

	(void)state;
	assert_int_equal(index_init(&ix), 0);
	top = index_add_top(&ix, "/t");
	a = index_add(&ix, top, "a", 1, true, true);
	b = index_add(&ix, a, "b", 1, true, true);
	assert_int_equal(index_set_wd(&ix, top, 1), 0);
	assert_int_equal(index_set_wd(&ix, a, 2), 0);
	assert_int_equal(index_set_wd(&ix, b, 3), 0);
	assert_int_equal(ix.watched, 3);
	assert_int_equal(index_by_wd(&ix, 2), a);
	assert_int_equal(index_by_wd(&ix, 9), IX_NIL);
	/* Many watches: the table grows and still finds each. */
	for (int i = 0; i < 1000; i++) {
		char n[16];
		snprintf(n, sizeof(n), "d%d", i);
		uint32_t d = index_add(&ix, top, n, strlen(n), true, true);
		assert_int_equal(index_set_wd(&ix, d, 100 + i), 0);
	}
	for (int i = 0; i < 1000; i++)
		assert_int_not_equal(index_by_wd(&ix, 100 + i), IX_NIL);
	/* Removing a subtree hands back the watches it held. */
	nunwatched = 0;
	index_remove(&ix, a, on_unwatch, NULL);
	assert_int_equal(nunwatched, 2);
	assert_int_equal(index_by_wd(&ix, 2), IX_NIL);
	assert_int_equal(index_by_wd(&ix, 3), IX_NIL);
	assert_int_equal(ix.watched, 1001);
	/* A watch taken over by a newer node is not handed back twice. */
	a = index_add(&ix, top, "x", 1, true, true);
	b = index_add(&ix, top, "y", 1, true, true);
	assert_int_equal(index_set_wd(&ix, a, 7), 0);
	assert_int_equal(index_set_wd(&ix, b, 7), 0);
	assert_int_equal(index_by_wd(&ix, 7), b);
	/* The node that lost it is not taken for watched. */
	assert_int_equal(index_dir(&ix, a)->wd, -1);
	assert_true(index_dir(&ix, a)->flags & IXD_UNWATCHED);
	assert_int_equal(ix.unwatched, 1);
	nunwatched = 0;
	index_remove(&ix, a, on_unwatch, NULL);
	assert_int_equal(nunwatched, 0);
	assert_int_equal(index_by_wd(&ix, 7), b);
	assert_int_equal(ix.unwatched, 0);	/* went with a */
	index_free(&ix);
}

static void
test_index_graft_and_path(void **state)
{
	struct index dst, src;
	uint32_t top, sub, old, stop, s1, f;
	char path[256];

	(void)state;
	assert_int_equal(index_init(&dst), 0);
	assert_int_equal(index_init(&src), 0);
	top = index_add_top(&dst, "/cache/tensors");
	sub = index_add(&dst, top, "ds", 2, true, true);
	old = index_add(&dst, sub, "old.pt", 6, false, true);
	index_set_file(&dst, old, 500, 1);
	assert_int_equal(index_dir(&dst, top)->bytes, 500);

	/* A scan of /cache/tensors/ds: new contents, no counting yet. */
	stop = index_add_top(&src, "/cache/tensors/ds");
	s1 = index_add(&src, stop, "deep", 4, true, false);
	f = index_add(&src, s1, "a.pt", 4, false, false);
	index_node(&src, f)->size = 70;
	f = index_add(&src, stop, "b.pt", 4, false, false);
	index_node(&src, f)->size = 30;
	index_recount(&src);
	assert_int_equal(index_dir(&src, stop)->bytes, 100);
	assert_int_equal(index_set_wd(&src, s1, 5), 0);

	assert_int_equal(index_graft(&dst, sub, &src, stop), 0);
	assert_int_equal(index_dir(&dst, top)->bytes, 100);
	assert_int_equal(index_dir(&dst, top)->nfiles, 2);
	assert_int_equal(index_lookup(&dst, sub, "old.pt", 6), IX_NIL);
	s1 = index_lookup(&dst, sub, "deep", 4);
	assert_int_not_equal(s1, IX_NIL);
	assert_int_equal(index_by_wd(&dst, 5), s1);
	f = index_lookup(&dst, s1, "a.pt", 4);
	assert_int_equal(index_path(&dst, f, path, sizeof(path)), 0);
	assert_string_equal(path, "/cache/tensors/ds/deep/a.pt");
	assert_int_equal(index_path(&dst, f, path, 10), -1);
	index_free(&src);
	index_free(&dst);
}

/*
 * A directory moved out of a subtree while that subtree was scanned:
 * the scan's copy is stale and must not take the live node's watch.
 */
static void
test_index_graft_keeps_outside_watch(void **state)
{
	struct index dst, src;
	uint32_t top, sub, moved, stop, copy;

	(void)state;
	assert_int_equal(index_init(&dst), 0);
	assert_int_equal(index_init(&src), 0);
	top = index_add_top(&dst, "/c/t");
	sub = index_add(&dst, top, "sub", 3, true, true);
	moved = index_add(&dst, top, "moved", 5, true, true);
	assert_int_equal(index_set_wd(&dst, moved, 9), 0);
	stop = index_add_top(&src, "/c/t/sub");
	copy = index_add(&src, stop, "old", 3, true, false);
	assert_int_equal(index_set_wd(&src, copy, 9), 0);
	index_recount(&src);
	assert_int_equal(index_graft(&dst, sub, &src, stop), 0);
	assert_int_equal(index_by_wd(&dst, 9), moved);
	copy = index_lookup(&dst, sub, "old", 3);
	assert_int_equal(index_dir(&dst, copy)->wd, -1);
	assert_true(index_dir(&dst, copy)->flags & IXD_UNWATCHED);
	/* Dropping the stale copy leaves the live watch alone. */
	nunwatched = 0;
	index_remove(&dst, copy, on_unwatch, NULL);
	assert_int_equal(nunwatched, 0);
	assert_int_equal(index_by_wd(&dst, 9), moved);
	assert_int_equal(dst.unwatched, 0);
	index_free(&src);
	index_free(&dst);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every child index_next_child lists, as a sorted array of ids. */
static size_t
children(const struct index *ix, uint32_t dir, uint32_t *out, size_t max)
{
	uint32_t pos = 0, id;
	size_t n = 0;

	while ((id = index_next_child(index_dir(ix, dir), &pos)) != IX_NIL) {
		assert_true(n < max);
		out[n++] = id;
	}
	qsort(out, n, sizeof(*out), cmp_u32);
	for (size_t i = 1; i < n; i++)
		assert_true(out[i - 1] < out[i]);	/* each once */
	return n;
}

/*
 * One directory's table grown one child at a time and in bulk, then
 * emptied down to a few (it shrinks): every name is found, every child
 * listed once, a removed one nowhere.
 */
static void
test_index_big_directory(void **state)
{
	enum { N = 12000 };
	static uint32_t ids[N], seen[N];
	struct index ix;
	uint32_t top, a, b;
	char name[32];
	size_t n;

	(void)state;
	assert_int_equal(index_init(&ix), 0);
	top = index_add_top(&ix, "/t");
	a = index_add(&ix, top, "a", 1, true, true);
	b = index_add(&ix, top, "b", 1, true, true);
	for (int i = 0; i < N / 2; i++) {	/* one at a time */
		snprintf(name, sizeof(name), "sample_%06d.pt", i);
		ids[i] = index_add(&ix, a, name, strlen(name), false, true);
		assert_int_not_equal(ids[i], IX_NIL);
		index_set_file(&ix, ids[i], (uint64_t)i, 0);
	}
	assert_int_equal(index_reserve(&ix, a, N / 2), 0);
	uint32_t cap = index_dir(&ix, a)->cap;
	for (int i = N / 2; i < N; i++) {	/* reserved: no growth */
		snprintf(name, sizeof(name), "sample_%06d.pt", i);
		ids[i] = index_add(&ix, a, name, strlen(name), i % 1000 == 0,
		    true);
		assert_int_not_equal(ids[i], IX_NIL);
		if (i % 1000 != 0)
			index_set_file(&ix, ids[i], (uint64_t)i, 0);
	}
	assert_int_equal(index_dir(&ix, a)->cap, cap);
	assert_int_equal(index_dir(&ix, a)->nkids, N);
	n = children(&ix, a, seen, N);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "sample_%06d.pt", i);
		assert_int_equal(index_lookup(&ix, a, name, strlen(name)),
		    ids[i]);
	}
	assert_int_equal(index_lookup(&ix, a, "sample_x", 8), IX_NIL);
	assert_int_equal(index_lookup(&ix, ids[1], "x", 1), IX_NIL);
	/* Moved to b and back, removed but for every 1000th. */
	for (int i = 1; i < N; i++) {
		if (i % 1000 == 0)
			continue;
		snprintf(name, sizeof(name), "sample_%06d.pt", i);
		if (i % 3 == 0) {
			assert_int_equal(index_move(&ix, ids[i], b, "moved", 5),
			    0);
			assert_int_equal(index_lookup(&ix, b, "moved", 5),
			    ids[i]);
			assert_int_equal(index_lookup(&ix, a, name,
			    strlen(name)), IX_NIL);
			assert_int_equal(index_move(&ix, ids[i], a, name,
			    strlen(name)), 0);
		}
		index_remove(&ix, ids[i], NULL, NULL);
		assert_int_equal(index_lookup(&ix, a, name, strlen(name)),
		    IX_NIL);
	}
	/* Left: 0, 1000, ... 11000; files below N / 2, directories above. */
	assert_int_equal(index_dir(&ix, a)->nkids, N / 1000);
	assert_true(index_dir(&ix, a)->cap < 64);
	assert_int_equal(index_dir(&ix, b)->nkids, 0);
	assert_int_equal(index_dir(&ix, top)->nfiles, N / 2000);
	assert_int_equal(index_dir(&ix, top)->bytes, 15000);
	for (int i = 0; i < N; i += 1000) {
		snprintf(name, sizeof(name), "sample_%06d.pt", i);
		assert_int_equal(index_lookup(&ix, a, name, strlen(name)),
		    ids[i]);
	}
	n = children(&ix, a, seen, N);
	assert_int_equal(n, N / 1000);
	/* The directories among them are listed for IX_FOREACH too. */
	n = 0;
	IX_FOREACH(&ix, index_dir(&ix, a)->dirs, id)
		n++;
	assert_int_equal(n, N / 2000);
	index_remove(&ix, a, NULL, NULL);
	assert_int_equal(ix.files, 0);
	assert_int_equal(ix.live, 2);	/* top and b */
	index_free(&ix);
}

/* Sizes past what a node holds (sparse files) stay exact. */
static void
test_index_huge_sizes(void **state)
{
	const uint64_t big = IX_SIZE_INLINE, max = INT64_MAX;
	struct index ix, src;
	uint32_t top, d, f[4], stop, s;

	(void)state;
	assert_int_equal(index_init(&ix), 0);
	top = index_add_top(&ix, "/t");
	d = index_add(&ix, top, "d", 1, true, true);
	for (int i = 0; i < 4; i++) {
		char name[2] = { (char)('a' + i), '\0' };
		f[i] = index_add(&ix, d, name, 1, false, true);
	}
	index_set_file(&ix, f[0], big - 1, 0);
	index_set_file(&ix, f[1], big, 0);
	index_set_file(&ix, f[2], max, 0);
	index_set_file(&ix, f[3], 7, 0);
	assert_int_equal(ix.nbigs, 2);
	assert_int_equal(index_file_size(&ix, f[0]), big - 1);
	assert_int_equal(index_file_size(&ix, f[1]), big);
	assert_int_equal(index_file_size(&ix, f[2]), max);
	assert_int_equal(index_dir(&ix, top)->bytes, big - 1 + big + max + 7);
	/* Down, up, across. */
	index_set_file(&ix, f[2], 5, 0);
	assert_int_equal(ix.nbigs, 1);
	index_set_file(&ix, f[3], max - 1, 0);
	index_set_file(&ix, f[1], big + 1, 0);
	assert_int_equal(ix.nbigs, 2);
	assert_int_equal(index_file_size(&ix, f[3]), max - 1);
	assert_int_equal(index_dir(&ix, top)->bytes,
	    big - 1 + big + 1 + 5 + max - 1);
	assert_int_equal(index_move(&ix, f[3], top, "z", 1), 0);
	assert_int_equal(index_file_size(&ix, f[3]), max - 1);
	assert_int_equal(index_dir(&ix, d)->bytes, big - 1 + big + 1 + 5);
	index_remove(&ix, f[1], NULL, NULL);
	assert_int_equal(ix.nbigs, 1);
	assert_int_equal(index_dir(&ix, top)->bytes, big - 1 + 5 + max - 1);

	/* A scan's index (sizes alone, then recount) grafted in. */
	assert_int_equal(index_init(&src), 0);
	stop = index_add_top(&src, "/t/d");
	s = index_add(&src, stop, "huge", 4, false, false);
	assert_int_equal(index_set_size(&src, s, max), 0);
	index_recount(&src);
	assert_int_equal(index_dir(&src, stop)->bytes, max);
	assert_int_equal(index_graft(&ix, d, &src, stop), 0);
	s = index_lookup(&ix, d, "huge", 4);
	assert_int_equal(index_file_size(&ix, s), max);
	assert_int_equal(index_dir(&ix, top)->bytes, max + max - 1);
	assert_int_equal(ix.nbigs, 2);
	index_free(&src);
	index_free(&ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_random),
		cmocka_unit_test(test_index_watches),
		cmocka_unit_test(test_index_graft_and_path),
		cmocka_unit_test(test_index_graft_keeps_outside_watch),
		cmocka_unit_test(test_index_big_directory),
		cmocka_unit_test(test_index_huge_sizes),
	};
	return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
