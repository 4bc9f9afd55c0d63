/* scan.c: walk the cache tree with openat/fstatat and tally it. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define SCAN_MAX_DEPTH	512	/* directory levels below a root */

struct skip {
	dev_t	dev;
	ino_t	ino;
	bool	valid;
};

struct walk {
	struct tally	*t;
	struct skip	 skip[KIND_COUNT];	/* prediction roots */
	int		 nomem;
};

struct sum {
	uint64_t	bytes, files;
};

static bool
is_skipped(struct walk *w, const struct stat *st)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (w->skip[k].valid && w->skip[k].dev == st->st_dev &&
		    w->skip[k].ino == st->st_ino)
			return true;
	return false;
}

/* fdopendir that owns fd: closes it and counts the error on failure. */
static DIR *
open_dir(struct walk *w, int fd)
{
	DIR *d = fdopendir(fd);

	if (d == NULL) {
		close(fd);
		w->t->errors++;
	}
	return d;
}

/*
 * The next entry of d other than "." and "..", lstat'ed into st; NULL at
 * the end. An entry gone since readdir is skipped quietly, one that
 * cannot be read is skipped and counted.
 */
static struct dirent *
next_entry(struct walk *w, DIR *d, struct stat *st)
{
	struct dirent *de;

	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (fstatat(dirfd(d), de->d_name, st, AT_SYMLINK_NOFOLLOW) == 0)
			return de;
		if (errno != ENOENT)
			w->t->errors++;
	}
	return NULL;
}

/* Open subdirectory name of d without following a symlink; -1 to skip. */
static int
open_subdir(struct walk *w, DIR *d, const char *name)
{
	int fd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);

	if (fd == -1 && errno != ENOENT)
		w->t->errors++;
	return fd;
}

/* Sum every regular file below dirfd (which this function closes). */
static void
sum_dir(struct walk *w, int dirfd, int depth, struct sum *s)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int fd;

	if ((d = open_dir(w, dirfd)) == NULL)
		return;
	while ((de = next_entry(w, d, &st)) != NULL) {
		if (S_ISREG(st.st_mode)) {
			s->bytes += (uint64_t)st.st_size;
			s->files++;
		} else if (S_ISDIR(st.st_mode) && !is_skipped(w, &st)) {
			if (depth >= SCAN_MAX_DEPTH)
				w->t->errors++;
			else if ((fd = open_subdir(w, d, de->d_name)) != -1)
				sum_dir(w, fd, depth + 1, s);
		}
	}
	closedir(d);
}

static struct tally_dataset *
dataset(struct walk *w, const char *name)
{
	struct tally *t = w->t;

	for (size_t i = 0; i < t->nds; i++)
		if (strcmp(t->ds[i].name, name) == 0)
			return &t->ds[i];
	if (t->nds == t->capds) {
		size_t cap = t->capds ? t->capds * 2 : 16;
		void *p = realloc(t->ds, cap * sizeof(*t->ds));
		if (p == NULL) {
			w->nomem = 1;
			return NULL;
		}
		t->ds = p;
		t->capds = cap;
	}
	memset(&t->ds[t->nds], 0, sizeof(t->ds[0]));
	snprintf(t->ds[t->nds].name, sizeof(t->ds[0].name), "%s", name);
	return &t->ds[t->nds++];
}

static struct tally_cycle *
cycle(struct walk *w, int kind, long n)
{
	struct tally *t = w->t;

	if (t->ncy == t->capcy) {
		size_t cap = t->capcy ? t->capcy * 2 : 16;
		void *p = realloc(t->cy, cap * sizeof(*t->cy));
		if (p == NULL) {
			w->nomem = 1;
			return NULL;
		}
		t->cy = p;
		t->capcy = cap;
	}
	memset(&t->cy[t->ncy], 0, sizeof(t->cy[0]));
	t->cy[t->ncy].kind = kind;
	t->cy[t->ncy].cycle = n;
	return &t->cy[t->ncy++];
}

/*
 * Walk a root whose first levels mean something:
 *   levels == 1: <root>/<dataset>/...              (tensors, eval)
 *   levels == 2: <root>/cycle_NNN/<dataset>/...    (prediction caches)
 *   levels == 0: no structure                      (generated)
 * Every byte goes into category cat; dataset and cycle bytes on top.
 */
static void
walk_level(struct walk *w, int dirfd, int level, int levels, int cat, int kind)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	struct tally *t = w->t;

	if ((d = open_dir(w, dirfd)) == NULL)
		return;
	while ((de = next_entry(w, d, &st)) != NULL) {
		struct sum s = { 0, 0 };
		long n;
		int fd;
		if (S_ISREG(st.st_mode)) {
			s.bytes = (uint64_t)st.st_size;
			s.files = 1;
		} else if (S_ISDIR(st.st_mode) && !is_skipped(w, &st)) {
			if ((fd = open_subdir(w, d, de->d_name)) == -1)
				continue;
			if (levels == 2 && level == 0 &&
			    layout_parse_cycle(de->d_name, &n) == 0) {
				/* The cycle's share is what its walk added. */
				uint64_t b = t->bytes[cat], f = t->files[cat];
				walk_level(w, fd, 1, levels, cat, kind);
				struct tally_cycle *c = cycle(w, kind, n);
				if (c != NULL) {
					c->bytes = t->bytes[cat] - b;
					c->files = t->files[cat] - f;
				}
				continue;
			}
			sum_dir(w, fd, 1, &s);
			if (level == levels - 1 && de->d_name[0] != '.') {
				struct tally_dataset *ds = dataset(w, de->d_name);
				if (ds != NULL)
					ds->bytes[cat] += s.bytes;
			}
		}
		t->bytes[cat] += s.bytes;
		t->files[cat] += s.files;
	}
	closedir(d);
}

static void
walk_root(struct walk *w, const char *path, int levels, int cat, int kind)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1) {
		if (errno != ENOENT)
			w->t->errors++;
		return;
	}
	walk_level(w, fd, 0, levels, cat, kind);
}

static int
ds_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally_dataset *)a)->name,
	    ((const struct tally_dataset *)b)->name);
}

static int
cy_cmp(const void *a, const void *b)
{
	const struct tally_cycle *x = a, *y = b;
	int c = strcmp(layout_kind_names[x->kind], layout_kind_names[y->kind]);

	if (c != 0)
		return c;
	return x->cycle < y->cycle ? -1 : x->cycle > y->cycle;
}

int
scan_tree(const struct layout *l, struct tally *t)
{
	struct walk w = { .t = t };
	struct stat st;

	tally_free(t);
	for (int k = 0; k < KIND_COUNT; k++)
		if (stat(l->pred_root[k], &st) == 0) {
			w.skip[k].dev = st.st_dev;
			w.skip[k].ino = st.st_ino;
			w.skip[k].valid = true;
		}
	walk_root(&w, l->roots[CAT_TENSORS], 1, CAT_TENSORS, -1);
	walk_root(&w, l->roots[CAT_EVAL], 1, CAT_EVAL, -1);
	walk_root(&w, l->roots[CAT_GENERATED], 0, CAT_GENERATED, -1);
	for (int k = 0; k < KIND_COUNT; k++)
		walk_root(&w, l->pred_root[k], 2, CAT_GENERATED, k);
	if (t->nds > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(t->ds, t->nds, sizeof(*t->ds), ds_cmp);
	if (t->ncy > 0)
		qsort(t->cy, t->ncy, sizeof(*t->cy), cy_cmp);
	return w.nomem ? -1 : 0;
}

void
tally_free(struct tally *t)
{
	free(t->ds);
	free(t->cy);
	memset(t, 0, sizeof(*t));
}
