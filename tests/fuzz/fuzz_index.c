/*
 * fuzz_index.c: the index (daemon/index.c) against a model, under the
 * changes watch.c, scan.c and rescan.c make to it, decoded from the
 * input as a sequence of operations (tests/test_index.c does the same
 * with rand()). After every operation each live node is compared with
 * the model: its place, name lookup, size, subtree totals, watch and
 * flags; so are the counters, every watch's owner, the watches a
 * removal hands back, and the name arena's garbage account. A mismatch
 * aborts.
 *
 * Input: a byte string read front to back; each operation is one byte
 * (op % OP_COUNT) followed by its operands, a missing byte reading 0.
 * Names come from a small set, so that they collide: short ones, and
 * long ones that fill the arena and make it compact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

#define MAXN		4096	/* node ids the model follows */
#define MAX_LIVE	3000	/* adds stop here: ids stay below MAXN */
#define NWD		64	/* watch descriptors 0..NWD-1 */
#define GRAFT_MAX	32	/* nodes of one grafted scan */
#define BULK_MAX	200	/* files one bulk operation adds */

enum op {
	OP_RECONCILE,	/* watch.c reconcile: make dir/name what "disk" says */
	OP_MOVE,	/* index_rename, as watch.c move_to: a rename */
	OP_REMOVE,	/* a removal (a top: its contents) */
	OP_SET_FILE,	/* a write: new size and mtime */
	OP_SET_WD,	/* a watch added, moved or dropped */
	OP_WATCH_FD,	/* watch.c watch_fd: a watch that failed or worked */
	OP_GRAFT,	/* rescan.c: a scan's private index grafted in */
	OP_BULK,	/* many files at once: the hash table grows */
	OP_COUNT
};

struct mnode {
	bool		live, isdir, unwatched;
	uint32_t	parent;
	uint64_t	size;		/* a file's */
	int32_t		wd;		/* a directory's, -1 if none */
	uint64_t	ino;		/* a directory's identity */
	uint8_t		nlen;
	char		name[256];
};

static struct {
	struct mnode	n[MAXN];
	uint32_t	ids[MAXN];	/* live ids, in no order */
	uint32_t	pos[MAXN];	/* of each live id in ids */
	uint32_t	nlive;
	uint32_t	owner[NWD];	/* node holding each wd, or IX_NIL */
	uint32_t	top[2];
	/* Watches a removal must hand back, and those it did. */
	int32_t		want[MAXN], got[MAXN];
	uint32_t	nwant, ngot;
	/* Totals recomputed from scratch, by node id. */
	uint64_t	bytes[MAXN], files[MAXN];
} m;

struct input {
	const uint8_t	*p;
	size_t		 n;
};

static uint8_t
get(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t
get16(struct input *in)
{
	uint32_t lo = get(in);

	return lo | (uint32_t)get(in) << 8;
}

/*
 * The model and the checks are not the code under test: their branches
 * would only slow the fuzzer and mislead it about what is new.
 */
#ifdef __clang__
#define NO_COVERAGE	__attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_index: %s:%d: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/* -- the model ---------------------------------------------------------- */

static NO_COVERAGE void
model_add(uint32_t id, uint32_t parent, bool isdir, const char *name,
    size_t len)
{
	struct mnode *x;

	CHECK(id < MAXN && !m.n[id].live);
	x = &m.n[id];
	memset(x, 0, sizeof(*x));
	x->live = true;
	x->isdir = isdir;
	x->parent = parent;
	x->wd = -1;
	x->nlen = (uint8_t)len;
	memcpy(x->name, name, len);
	x->name[len] = '\0';
	m.pos[id] = m.nlive;
	m.ids[m.nlive++] = id;
}

static NO_COVERAGE void
model_kill_one(uint32_t id)
{
	uint32_t last = m.ids[--m.nlive];

	m.ids[m.pos[id]] = last;
	m.pos[last] = m.pos[id];
	m.n[id].live = false;
}

static NO_COVERAGE bool
model_is_ancestor(uint32_t a, uint32_t node)
{
	for (uint32_t p = node; p != IX_NIL; p = m.n[p].parent)
		if (p == a)
			return true;
	return false;
}

/* Forget dir's watch, as index.c's drop_wd; said if want. */
static NO_COVERAGE void
model_drop_wd(uint32_t dir, bool want)
{
	int32_t wd = m.n[dir].wd;

	if (wd < 0)
		return;
	m.n[dir].wd = -1;
	if (m.owner[wd] != dir)
		return;
	m.owner[wd] = IX_NIL;
	if (want)
		m.want[m.nwant++] = wd;
}

/* The subtree of id (itself unless keep_self) goes; want: unwatch. */
static NO_COVERAGE void
model_kill(uint32_t id, bool keep_self, bool want)
{
	static uint32_t doomed[MAXN];
	uint32_t n = 0;

	for (uint32_t i = 0; i < m.nlive; i++) {
		uint32_t c = m.ids[i];
		if ((c != id || !keep_self) && model_is_ancestor(id, c))
			doomed[n++] = c;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (m.n[doomed[i]].isdir)
			model_drop_wd(doomed[i], want);
		model_kill_one(doomed[i]);
	}
}

/* index_set_wd's meaning: the wd moves to dir, its holder is stale. */
static NO_COVERAGE void
model_set_wd(uint32_t dir, int32_t wd)
{
	if (m.n[dir].wd == wd)
		return;
	model_drop_wd(dir, false);
	if (wd < 0)
		return;
	if (m.owner[wd] != IX_NIL) {
		uint32_t o = m.owner[wd];
		m.n[o].wd = -1;
		m.n[o].unwatched = true;
	}
	m.owner[wd] = dir;
	m.n[dir].wd = wd;
}

/* The k-th live node (of a sort: 0 files, 1 dirs, 2 any), or IX_NIL. */
static NO_COVERAGE uint32_t
model_pick(uint32_t k, int sort, bool tops)
{
	uint32_t count = 0, id;

	for (uint32_t i = 0; i < m.nlive; i++) {
		id = m.ids[i];
		if ((sort == 2 || m.n[id].isdir == (sort == 1)) &&
		    (tops || m.n[id].parent != IX_NIL))
			count++;
	}
	if (count == 0)
		return IX_NIL;
	k %= count;
	for (uint32_t i = 0; i < m.nlive; i++) {
		id = m.ids[i];
		if ((sort == 2 || m.n[id].isdir == (sort == 1)) &&
		    (tops || m.n[id].parent != IX_NIL) && k-- == 0)
			return id;
	}
	return IX_NIL;
}

/* -- checking ----------------------------------------------------------- */

static void
on_unwatch(void *arg, int32_t wd)
{
	(void)arg;
	CHECK(m.ngot < MAXN);
	m.got[m.ngot++] = wd;
}

static NO_COVERAGE int
by_wd(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

/* The watches handed back are the ones the model said, once each. */
static NO_COVERAGE void
check_unwatched(void)
{
	CHECK(m.ngot == m.nwant);
	qsort(m.want, m.nwant, sizeof(m.want[0]), by_wd);
	qsort(m.got, m.ngot, sizeof(m.got[0]), by_wd);
	CHECK(memcmp(m.want, m.got, m.ngot * sizeof(m.got[0])) == 0);
	m.nwant = m.ngot = 0;
}

/*
 * index_path and index_find agree with the model on id. index_path
 * refuses a path of 512 levels or more, or longer than its buffer.
 */
static NO_COVERAGE void
check_path(const struct index *ix, uint32_t id)
{
	static uint32_t chain[MAXN];
	char want[4096], got[4096];
	uint32_t n = 0, top;
	size_t len;

	if (id == IX_NIL || !m.n[id].live)
		return;
	for (top = id; m.n[top].parent != IX_NIL; top = m.n[top].parent)
		chain[n++] = top;
	len = 8;	/* "/cache/a" */
	for (uint32_t i = 0; i < n; i++)
		len += 1 + m.n[chain[i]].nlen;
	if (n >= 512 || len >= sizeof(got)) {
		CHECK(index_path(ix, id, got, sizeof(got)) == -1);
		return;
	}
	snprintf(want, sizeof(want), "%s", top == m.top[0] ? "/cache/a" :
	    "/cache/b");
	while (n-- > 0) {
		len = strlen(want);
		snprintf(want + len, sizeof(want) - len, "/%s",
		    m.n[chain[n]].name);
	}
	CHECK(index_path(ix, id, got, sizeof(got)) == 0);
	CHECK(strcmp(want, got) == 0);
	CHECK(index_find(ix, top, want[8] ? want + 9 : "") == id);
}

/*
 * Everything but the name lookups after every operation; those (a hash
 * probe per node, most of the time spent) when lookups says so.
 */
static NO_COVERAGE void
check(const struct index *ix, bool lookups)
{
	uint64_t nfiles = 0, watched = 0, unwatched = 0, names = 0;

	/* Totals from scratch: each file adds to every ancestor. */
	for (uint32_t i = 0; i < m.nlive; i++) {
		uint32_t id = m.ids[i];
		m.bytes[id] = m.files[id] = 0;
	}
	for (uint32_t i = 0; i < m.nlive; i++) {
		uint32_t id = m.ids[i];
		if (m.n[id].isdir)
			continue;
		nfiles++;
		for (uint32_t p = m.n[id].parent; p != IX_NIL;
		    p = m.n[p].parent) {
			m.bytes[p] += m.n[id].size;
			m.files[p]++;
		}
	}
	for (uint32_t i = 0; i < m.nlive; i++) {
		uint32_t id = m.ids[i];
		const struct mnode *x = &m.n[id];
		const struct ix_node *n;

		CHECK(id < ix->nnodes);
		n = index_node(ix, id);
		CHECK(!(n->flags & IX_FREE));
		CHECK(!!(n->flags & IX_DIR) == x->isdir);
		CHECK(n->parent == x->parent);
		CHECK(n->nlen == x->nlen);
		CHECK(memcmp(index_name(ix, id), x->name, x->nlen) == 0);
		names += x->nlen + 1u;
		if (lookups && x->parent != IX_NIL)
			CHECK(index_lookup(ix, x->parent, x->name, x->nlen) ==
			    id);
		if (!x->isdir) {
			CHECK(index_file_size(ix, id) == x->size);
			continue;
		}
		const struct ix_dir *d = index_dir(ix, id);
		uint32_t children = 0;
		CHECK(d->node == id);
		CHECK(d->bytes == m.bytes[id]);
		CHECK(d->nfiles == m.files[id]);
		CHECK(d->wd == x->wd);
		CHECK(!!(d->flags & IXD_UNWATCHED) == x->unwatched);
		CHECK(d->ino == x->ino);
		watched += x->wd >= 0;
		unwatched += x->unwatched;
		/* The table of children holds exactly the live children. */
		uint32_t pos = 0, c;
		while ((c = index_next_child(d, &pos)) != IX_NIL) {
			CHECK(c < MAXN && m.n[c].live && m.n[c].parent == id);
			children++;
		}
		CHECK(children == d->nkids);
		/* The directories among them are listed for IX_FOREACH. */
		IX_FOREACH(ix, d->dirs, c2)
			CHECK(c2 < MAXN && m.n[c2].live && m.n[c2].isdir &&
			    m.n[c2].parent == id);
		m.bytes[id] = children;	/* counted again below */
	}
	/* Every live child was on its parent's lists. */
	for (uint32_t i = 0; i < m.nlive; i++) {
		uint32_t p = m.n[m.ids[i]].parent;
		if (p != IX_NIL)
			m.bytes[p]--;
	}
	for (uint32_t i = 0; i < m.nlive; i++)
		if (m.n[m.ids[i]].isdir)
			CHECK(m.bytes[m.ids[i]] == 0);
	CHECK(ix->live == m.nlive);
	CHECK(ix->files == nfiles);
	CHECK(ix->watched == watched);
	CHECK(ix->unwatched == unwatched);
	CHECK(!ix->nomem);
	/* The arena holds live names and the garbage it accounts for. */
	CHECK(ix->names_len == names + ix->names_garbage);
	for (int32_t wd = 0; wd < NWD; wd++) {
		uint32_t o = m.owner[wd];
		CHECK(o == IX_NIL || (m.n[o].live && m.n[o].wd == wd));
		CHECK(index_by_wd(ix, wd) == o);
	}
	check_unwatched();
}

/* -- operands ----------------------------------------------------------- */

/*
 * A name: mostly one of 24 short ones; else one of 8 long ones, up to
 * NAME_MAX, which fill the arena quickly.
 */
static size_t
get_name(struct input *in, char *buf)
{
	uint8_t b = get(in);
	size_t len;

	if (b % 32 < 24)
		return (size_t)snprintf(buf, 256, "n%u", b % 32);
	len = 248 + b % 8;
	memset(buf, 'L', len);
	buf[0] = (char)('a' + b % 8);
	buf[len] = '\0';
	return len;
}

/*
 * A file size: st_size, so at most INT64_MAX; sparse files make sums
 * past it (two of 2^62 are 2^63).
 */
static uint64_t
get_size(struct input *in)
{
	static const uint64_t big[] = { 0, 1, 4095, 1u << 20, 1ull << 40,
	    1ull << 62, INT64_MAX - 1, INT64_MAX };
	uint8_t b = get(in);

	return b < 0xf8 ? (uint64_t)b * 1000 + get(in) : big[b - 0xf8];
}

static int64_t
get_mtime(struct input *in)
{
	return (int64_t)get(in) * 100000 - 1000;
}

static int32_t
get_wd(struct input *in)
{
	uint8_t b = get(in);

	return b >= 0xf0 ? -1 : b % NWD;
}

/* -- operations, as the daemon applies them ----------------------------- */

static void
set_file(struct index *ix, uint32_t id, uint64_t size, int64_t mtime)
{
	index_set_file(ix, id, size, mtime);
	m.n[id].size = size;
	/* Every directory above has seen this mtime. */
	for (uint32_t p = m.n[id].parent; p != IX_NIL; p = m.n[p].parent)
		CHECK(index_dir(ix, p)->mtime >= mtime);
}

static void
remove_node(struct index *ix, uint32_t id)
{
	index_remove(ix, id, on_unwatch, NULL);
	model_kill(id, m.n[id].parent == IX_NIL, true);
}

static uint32_t
add(struct index *ix, uint32_t dir, const char *name, size_t len, bool isdir)
{
	uint32_t id = index_add(ix, dir, name, len, isdir, true);

	CHECK(id != IX_NIL);
	model_add(id, dir, isdir, name, len);
	return id;
}

/* watch.c watch_fd: a watch that failed flags the directory. */
static void
watch_fd(struct index *ix, uint32_t dir, int32_t wd)
{
	struct ix_dir *d = index_dir(ix, dir);

	if (wd < 0) {
		if (!(d->flags & IXD_UNWATCHED)) {
			d->flags |= IXD_UNWATCHED;
			ix->unwatched++;
		}
		m.n[dir].unwatched = true;
		return;
	}
	if (d->flags & IXD_UNWATCHED) {
		d->flags &= ~IXD_UNWATCHED;
		ix->unwatched--;
	}
	m.n[dir].unwatched = false;
	CHECK(index_set_wd(ix, dir, wd) == 0);
	model_set_wd(dir, wd);
}

/* watch.c adopt: a new directory read in place, a few levels deep. */
static void
adopt(struct index *ix, struct input *in, uint32_t dir, int depth)
{
	uint8_t b = get(in);
	char name[256];

	watch_fd(ix, dir, get_wd(in));
	for (int k = 0; k < b % 4 && depth < 3 && m.nlive < MAX_LIVE; k++) {
		size_t len = get_name(in, name);
		bool isdir = get(in) % 3 == 0;
		if (index_lookup(ix, dir, name, len) != IX_NIL)
			continue;
		uint32_t c = add(ix, dir, name, len, isdir);
		if (isdir)
			adopt(ix, in, c, depth + 1);
		else
			set_file(ix, c, get_size(in), get_mtime(in));
	}
}

/* watch.c reconcile: dir/name is now nothing, a file or a directory. */
static uint32_t
reconcile(struct index *ix, struct input *in)
{
	uint32_t dir = model_pick(get16(in), 1, true), node, id;
	uint8_t what = get(in) % 3;	/* 0 gone, 1 file, 2 directory */
	uint64_t ino = get(in) % 4;
	char name[256];
	size_t len = get_name(in, name);

	if (dir == IX_NIL)
		return IX_NIL;
	node = index_lookup(ix, dir, name, len);
	if (node != IX_NIL) {
		if (index_node(ix, node)->flags & IX_DIR) {
			if (what == 2 && index_dir(ix, node)->ino == ino)
				return node;	/* the same directory */
		} else if (what == 1) {
			set_file(ix, node, get_size(in), get_mtime(in));
			return node;
		}
		remove_node(ix, node);
	}
	if (what == 0 || m.nlive >= MAX_LIVE)
		return IX_NIL;
	id = add(ix, dir, name, len, what == 2);
	if (what == 1)
		set_file(ix, id, get_size(in), get_mtime(in));
	else {
		index_dir(ix, id)->ino = ino;
		m.n[id].ino = ino;
		adopt(ix, in, id, 0);
	}
	return id;
}

/* The live node named name in dir, by the model; IX_NIL if none. */
static NO_COVERAGE uint32_t
model_lookup(uint32_t dir, const char *name, size_t len)
{
	for (uint32_t i = 0; i < m.nlive; i++) {
		const struct mnode *x = &m.n[m.ids[i]];
		if (x->parent == dir && x->nlen == len &&
		    memcmp(x->name, name, len) == 0)
			return m.ids[i];
	}
	return IX_NIL;
}

/*
 * watch.c move_to: child renamed to dir/name, replacing what was there,
 * unless the (possibly stale) index cannot take it.
 */
static uint32_t
move(struct index *ix, struct input *in)
{
	uint32_t child = model_pick(get16(in), 2, false);
	uint32_t dir = model_pick(get16(in), 1, true), old;
	char name[256];
	size_t len = get_name(in, name);
	bool refused;
	int rc;

	if (child == IX_NIL || dir == IX_NIL)
		return IX_NIL;
	old = model_lookup(dir, name, len);
	refused = model_is_ancestor(child, dir) || (old != IX_NIL &&
	    model_is_ancestor(old, child));
	rc = index_rename(ix, child, dir, name, len, on_unwatch, NULL);
	CHECK(rc == (refused ? -1 : 0));
	if (refused)
		return child;
	if (old != IX_NIL)
		model_kill(old, false, true);
	m.n[child].parent = dir;
	m.n[child].nlen = (uint8_t)len;
	memcpy(m.n[child].name, name, len + 1);
	return child;
}

/*
 * rescan.c: a scan of dir built a private index (scan.c: no counting,
 * sizes set directly, then index_recount) that replaces dir's contents.
 */
static uint32_t
graft(struct index *ix, struct input *in)
{
	uint32_t at = model_pick(get16(in), 1, true);
	uint32_t sid[GRAFT_MAX], spar[GRAFT_MAX], top;
	int32_t swd[GRAFT_MAX];
	bool sdir[GRAFT_MAX], sflag[GRAFT_MAX];
	uint64_t ssize[GRAFT_MAX];
	char sname[GRAFT_MAX][256];
	size_t slen[GRAFT_MAX];
	int n = 0, want = get(in) % GRAFT_MAX;
	struct index src;

	if (at == IX_NIL)
		return IX_NIL;
	CHECK(index_init(&src) == 0);
	top = index_add_top(&src, "/scan");
	CHECK(top != IX_NIL);
	/* Entry 0 is the scan's top: at itself. */
	sid[0] = top;
	sdir[0] = true;
	spar[0] = 0;
	n = 1;
	for (int tries = 0; n < want && tries < 2 * GRAFT_MAX; tries++) {
		int p = get(in) % n;
		if (!sdir[p])
			p = 0;
		slen[n] = get_name(in, sname[n]);
		sdir[n] = get(in) % 3 == 0;
		if (index_lookup(&src, sid[p], sname[n], slen[n]) != IX_NIL)
			continue;
		sid[n] = index_add(&src, sid[p], sname[n], slen[n], sdir[n],
		    false);
		CHECK(sid[n] != IX_NIL);
		spar[n] = (uint32_t)p;
		ssize[n] = sdir[n] ? 0 : get_size(in);
		if (!sdir[n])
			CHECK(index_set_size(&src, sid[n], ssize[n]) == 0);
		n++;
	}
	/* Watches as scan.c sets them: a wd, or flagged when it failed. */
	for (int i = 0; i < n; i++) {
		int32_t wd = sdir[i] ? get_wd(in) : -1;
		swd[i] = -1;
		sflag[i] = false;
		if (!sdir[i])
			continue;
		if (wd < 0 && get(in) % 2) {
			index_dir(&src, sid[i])->flags |= IXD_UNWATCHED;
			src.unwatched++;
		} else if (wd >= 0)
			CHECK(index_set_wd(&src, sid[i], wd) == 0);
	}
	/* A wd set twice in the scan stays with the last; read them back. */
	for (int i = 0; i < n; i++)
		if (sdir[i]) {
			swd[i] = index_dir(&src, sid[i])->wd;
			sflag[i] = index_dir(&src, sid[i])->flags & IXD_UNWATCHED;
		}
	index_recount(&src);
	if (m.nlive + (uint32_t)n >= MAX_LIVE) {
		index_free(&src);
		return IX_NIL;
	}

	CHECK(index_graft(ix, at, &src, top) == 0);
	index_free(&src);
	/* The model: at's contents go, unwatched quietly (clear_dir). */
	model_kill(at, true, false);
	uint32_t dst[GRAFT_MAX];
	dst[0] = at;
	for (int i = 1; i < n; i++) {
		dst[i] = index_lookup(ix, dst[spar[i]], sname[i], slen[i]);
		CHECK(dst[i] != IX_NIL);
		model_add(dst[i], dst[spar[i]], sdir[i], sname[i], slen[i]);
		m.n[dst[i]].size = ssize[i];
	}
	/* A wd held outside the graft stays there; the copy is stale. */
	for (int i = 1; i < n; i++) {
		if (!sdir[i])
			continue;
		m.n[dst[i]].unwatched = sflag[i];
		if (swd[i] >= 0 && m.owner[swd[i]] != IX_NIL)
			m.n[dst[i]].unwatched = true;
		else if (swd[i] >= 0) {
			m.owner[swd[i]] = dst[i];
			m.n[dst[i]].wd = swd[i];
		}
	}
	m.n[at].unwatched = sflag[0];
	model_set_wd(at, swd[0]);
	/* at's identity is the scan's top's: zero here. */
	m.n[at].ino = 0;
	return n > 1 ? dst[n - 1] : at;
}

static uint32_t
bulk(struct index *ix, struct input *in)
{
	uint32_t dir = model_pick(get16(in), 1, true), id = IX_NIL;
	int count = get(in) % BULK_MAX + 1;
	char name[32];

	if (dir == IX_NIL)
		return IX_NIL;
	for (int i = 0; i < count && m.nlive < MAX_LIVE; i++) {
		size_t len = (size_t)snprintf(name, sizeof(name), "b%d", i);
		if (index_lookup(ix, dir, name, len) != IX_NIL)
			continue;
		id = add(ix, dir, name, len, false);
		set_file(ix, id, (uint64_t)i, i);
	}
	return id;
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct index ix;
	uint32_t id;

	while (m.nlive > 0)
		m.n[m.ids[--m.nlive]].live = false;
	m.nwant = m.ngot = 0;
	for (int i = 0; i < NWD; i++)
		m.owner[i] = IX_NIL;
	CHECK(index_init(&ix) == 0);
	m.top[0] = index_add_top(&ix, "/cache/a");
	m.top[1] = index_add_top(&ix, "/cache/b");
	CHECK(m.top[0] != IX_NIL && m.top[1] != IX_NIL);
	model_add(m.top[0], IX_NIL, true, "", 0);
	model_add(m.top[1], IX_NIL, true, "", 0);
	check(&ix, true);
	for (int op = 1; in.n > 0; op++) {
		switch (get(&in) % OP_COUNT) {
		case OP_RECONCILE:
			id = reconcile(&ix, &in);
			break;
		case OP_MOVE:
			id = move(&ix, &in);
			break;
		case OP_REMOVE:
			id = model_pick(get16(&in), 2, true);
			if (id != IX_NIL)
				remove_node(&ix, id);
			id = IX_NIL;
			break;
		case OP_SET_FILE:
			id = model_pick(get16(&in), 0, false);
			if (id != IX_NIL)
				set_file(&ix, id, get_size(&in),
				    get_mtime(&in));
			break;
		case OP_SET_WD:
			id = model_pick(get16(&in), 1, true);
			if (id != IX_NIL) {
				int32_t wd = get_wd(&in);
				CHECK(index_set_wd(&ix, id, wd) == 0);
				model_set_wd(id, wd);
			}
			break;
		case OP_WATCH_FD:
			id = model_pick(get16(&in), 1, true);
			if (id != IX_NIL)
				watch_fd(&ix, id, get_wd(&in));
			break;
		case OP_GRAFT:
			id = graft(&ix, &in);
			break;
		default:
			id = bulk(&ix, &in);
			break;
		}
		check(&ix, op % 8 == 0 || in.n == 0);
		check_path(&ix, id);
	}
	index_free(&ix);
	return 0;
}
