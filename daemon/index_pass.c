/*
 * index_pass.c: passes over a whole index or subtree: totals recounted
 * from the file sizes, a scan's private index grafted into the live
 * one, a node's path.
 */
#include <stdbool.h>
#include <string.h>

#include "index.h"

/* Post-order: a directory's totals are its files plus its directories'. */
static void
fold(struct index *ix, uint32_t dir)
{
	uint32_t d = (uint32_t)index_node(ix, dir)->size, pos = 0, id;
	uint64_t bytes = 0, files = 0;
	int64_t mtime = ix->dirs[d].mtime;

	/* ix->dirs does not move: nothing here allocates. */
	while ((id = index_next_child(&ix->dirs[d], &pos)) != IX_NIL) {
		const struct ix_node *x = index_node(ix, id);
		if (!(x->flags & IX_DIR)) {
			bytes += index_file_size(ix, id);
			files++;
			continue;
		}
		fold(ix, id);
		const struct ix_dir *c = index_dir(ix, id);
		bytes += c->bytes;
		files += c->nfiles;
		if (c->mtime > mtime)
			mtime = c->mtime;
	}
	ix->dirs[d].bytes = bytes;
	ix->dirs[d].nfiles = files;
	ix->dirs[d].mtime = mtime;
}

void
index_recount(struct index *ix)
{
	ix->gen++;
	for (uint32_t i = 0; i < ix->ntops; i++)
		fold(ix, ix->tops[i].node);
}

/* Copy src's children of sdir under dst's ddir; totals are copied. */
static int
copy_children(struct index *dst, uint32_t ddir, struct index *src,
    uint32_t sdir)
{
	const struct ix_dir *sd = index_dir(src, sdir);
	uint32_t pos = 0, id;

	if (index_reserve(dst, ddir, sd->nkids) == -1)
		return -1;
	while ((id = index_next_child(sd, &pos)) != IX_NIL) {
		const struct ix_node *s = index_node(src, id);
		bool isdir = s->flags & IX_DIR;
		uint32_t n = index_add(dst, ddir, src->names + s->name, s->nlen,
		    isdir, false);
		if (n == IX_NIL)
			return -1;
		if (!isdir) {
			if (index_set_size(dst, n, index_file_size(src, id)) == -1)
				return -1;
			continue;
		}
		const struct ix_dir *sc = index_dir(src, id);
		struct ix_dir *dc = index_dir(dst, n);
		dc->bytes = sc->bytes;
		dc->nfiles = sc->nfiles;
		dc->dev = sc->dev;
		dc->ino = sc->ino;
		dc->mtime = sc->mtime;
		dc->flags = sc->flags;
		if (sc->flags & IXD_UNWATCHED)
			dst->unwatched++;
		/*
		 * A node outside this graft already holds the watch: the
		 * directory moved there while it was scanned, and this copy
		 * is the stale one (the replayed events drop it). It must not
		 * take the watch from the live node.
		 */
		if (sc->wd >= 0 && index_by_wd(dst, sc->wd) != IX_NIL) {
			if (!(dc->flags & IXD_UNWATCHED)) {
				dc->flags |= IXD_UNWATCHED;
				dst->unwatched++;
			}
		} else if (index_set_wd(dst, n, sc->wd) == -1)
			return -1;
		if (copy_children(dst, n, src, id) == -1)
			return -1;
	}
	return 0;
}

int
index_graft(struct index *dst, uint32_t at, struct index *src, uint32_t top)
{
	struct ix_dir *s = index_dir(src, top), *d;
	int rc;

	dst->gen++;
	index__clear_dir(dst, at, NULL, NULL);
	rc = copy_children(dst, at, src, top);
	d = index_dir(dst, at);
	if (d->flags & IXD_UNWATCHED)
		dst->unwatched--;
	d->flags = s->flags;
	if (d->flags & IXD_UNWATCHED)
		dst->unwatched++;
	d->dev = s->dev;
	d->ino = s->ino;
	if (index_set_wd(dst, at, s->wd) == -1)
		rc = -1;
	/* Copied directories brought their totals: add them above at. */
	index__carry(dst, at, s->bytes, s->nfiles, s->mtime);
	if (rc == -1)
		dst->nomem = true;
	return rc;
}

int
index_path(const struct index *ix, uint32_t node, char *buf, size_t size)
{
	uint32_t chain[512], n = 0, top;
	size_t len;

	for (top = node; index_node(ix, top)->parent != IX_NIL;
	    top = index_node(ix, top)->parent) {
		if (n == sizeof(chain) / sizeof(chain[0]))
			return -1;
		chain[n++] = top;
	}
	const char *tp = NULL;
	for (uint32_t i = 0; i < ix->ntops; i++)
		if (ix->tops[i].node == top)
			tp = ix->tops[i].path;
	if (tp == NULL || (len = strlen(tp)) >= size)
		return -1;
	memcpy(buf, tp, len + 1);
	while (n-- > 0) {
		const struct ix_node *x = index_node(ix, chain[n]);
		if (len + 1 + x->nlen >= size)
			return -1;
		buf[len++] = '/';
		memcpy(buf + len, ix->names + x->name, x->nlen);
		len += x->nlen;
		buf[len] = '\0';
	}
	return 0;
}
