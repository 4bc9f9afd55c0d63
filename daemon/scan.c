/* scan.c: getdents64 walk, fstatat split over two threads, into an index. */
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "array.h"
#include "fsutil.h"

#define BATCH_MAX	1024		/* files per stat batch */
#define BATCH_NAMES	(32 * 1024)	/* name bytes per stat batch */
#define QUEUE_HELP	4		/* walker stats too past this backlog */
#define DENTS_BUF	(1024 * 1024)	/* a directory of ~25k files in one read */
#define GONE		UINT64_MAX	/* size of a file that vanished */

/* A directory's descriptor, shared by the walker and its stat batches. */
struct dirref {
	int		 fd;
	int		 refs;		/* under mu */
	uint32_t	 node;
	int64_t		 mtime;		/* newest file mtime seen; under mu */
	struct dirref	*next;		/* every dirref, applied at the end */
};

struct batch {
	struct batch	*next;
	struct dirref	*dir;
	uint32_t	 n;
	uint32_t	 nameslen;
	uint32_t	 ids[BATCH_MAX];
	uint32_t	 off[BATCH_MAX];
	uint64_t	 size[BATCH_MAX];	/* the stat's answer, or GONE */
	char		 names[BATCH_NAMES];
};

/*
 * The walker (the calling thread) alone touches the index: a stat batch
 * fills in its own sizes, and the walker copies them into the nodes
 * when the batch comes back to it (apply).
 */
struct scanner {
	struct index		*ix;
	const struct scan_opts	*o;
	struct scan_stats	*st;
	uv_mutex_t		 mu;
	uv_cond_t		 cv;
	struct batch		*head, *tail;	/* queued, under mu */
	struct batch		*done;		/* stat'ed, to apply; under mu */
	unsigned		 queued, active;/* under mu */
	bool			 finished;	/* under mu: no more batches */
	uint64_t		 errors;	/* stat batches', under mu */
	int			 first_errno;	/* the first of those, under mu */
	struct dirref		*dirs;		/* walker only */
	struct batch		*cur;		/* walker's batch being filled */
	int64_t			 watches;	/* added by this scan */
	char			*dents;		/* getdents64 buffer */
	bool			 nomem;
};

/* Count an entry that could not be read; keep why the first one was. */
static void
scan_error(struct scan_stats *st, const char *op, int err)
{
	if (st->error_errno == 0) {
		st->error_errno = err;
		st->error_op = op;
	}
	st->errors++;
}

/* -- stat batches (either thread) --------------------------------------- */

static void
stat_batch(struct scanner *s, struct batch *b)
{
	struct stat st;
	int64_t mtime = 0;
	uint64_t errors = 0;
	int first = 0;

	for (uint32_t i = 0; i < b->n; i++) {
		int rc = fstatat(b->dir->fd, b->names + b->off[i], &st,
		    AT_SYMLINK_NOFOLLOW);
		if (rc == 0 && S_ISREG(st.st_mode)) {
			b->size[i] = (uint64_t)st.st_size;
			if (st.st_mtime > mtime)
				mtime = st.st_mtime;
			continue;
		}
		/*
		 * Gone, or no longer a file (errno means nothing then): the
		 * walker drops it; events tell what it became.
		 */
		if (rc == -1 && errno != ENOENT && errors++ == 0)
			first = errno;
		b->size[i] = GONE;
	}
	uv_mutex_lock(&s->mu);
	if (mtime > b->dir->mtime)
		b->dir->mtime = mtime;
	if (s->errors == 0)
		s->first_errno = first;
	s->errors += errors;
	if (--b->dir->refs == 0)
		close(b->dir->fd);
	b->next = s->done;
	s->done = b;
	s->active--;
	uv_cond_broadcast(&s->cv);
	uv_mutex_unlock(&s->mu);
}

/* Take the next queued batch (mu held); NULL if none. */
static struct batch *
pop_locked(struct scanner *s)
{
	struct batch *b = s->head;

	if (b == NULL)
		return NULL;
	if ((s->head = b->next) == NULL)
		s->tail = NULL;
	s->queued--;
	s->active++;
	return b;
}

static void
helper(void *arg)
{
	struct scanner *s = arg;
	struct batch *b;

	uv_mutex_lock(&s->mu);
	for (;;) {
		while (s->head == NULL && !s->finished)
			uv_cond_wait(&s->cv, &s->mu);
		if ((b = pop_locked(s)) == NULL)
			break;
		uv_mutex_unlock(&s->mu);
		stat_batch(s, b);
		uv_mutex_lock(&s->mu);
	}
	uv_mutex_unlock(&s->mu);
}

/* -- walker ------------------------------------------------------------- */

static void
push(struct scanner *s)
{
	struct batch *b = s->cur, *help = NULL;

	if (b == NULL || b->n == 0)
		return;
	s->cur = NULL;
	uv_mutex_lock(&s->mu);
	b->next = NULL;
	if (s->tail != NULL)
		s->tail->next = b;
	else
		s->head = b;
	s->tail = b;
	s->queued++;
	if (s->o->threads < 2 || s->queued > QUEUE_HELP)
		help = pop_locked(s);
	uv_cond_broadcast(&s->cv);
	uv_mutex_unlock(&s->mu);
	if (help != NULL)
		stat_batch(s, help);
}

/* Copy a stat'ed batch's sizes into the index; drop what vanished. */
static void
apply(struct scanner *s, struct batch *b)
{
	for (uint32_t i = 0; i < b->n; i++) {
		if (b->size[i] != GONE) {
			if (index_set_size(s->ix, b->ids[i], b->size[i]) == -1)
				s->nomem = true;
			continue;
		}
		index_remove(s->ix, b->ids[i], NULL, NULL);
	}
	b->n = 0;
}

static int
add_file(struct scanner *s, struct dirref *r, uint32_t id, const char *name,
    size_t len)
{
	struct batch *b = s->cur;

	if (b != NULL && (b->dir != r || b->n == BATCH_MAX ||
	    b->nameslen + len + 1 > BATCH_NAMES)) {
		push(s);
		b = NULL;
	}
	if (b == NULL) {
		uv_mutex_lock(&s->mu);
		if ((b = s->done) != NULL)
			s->done = b->next;
		uv_mutex_unlock(&s->mu);
		if (b != NULL)
			apply(s, b);
		else if ((b = malloc(sizeof(*b))) == NULL)
			return -1;
		uv_mutex_lock(&s->mu);
		r->refs++;	/* dropped by stat_batch */
		uv_mutex_unlock(&s->mu);
		b->dir = r;
		b->n = 0;
		b->nameslen = 0;
		s->cur = b;
	}
	b->ids[b->n] = id;
	b->off[b->n++] = b->nameslen;
	memcpy(b->names + b->nameslen, name, len + 1);
	b->nameslen += (uint32_t)len + 1;
	return 0;
}

static void
watch_dir(struct scanner *s, uint32_t dir, int fd)
{
	const struct scan_opts *o = s->o;
	char proc[64];
	int wd;

	if (o->inotify_fd < 0)
		return;
	if (o->max_watches >= 0 && s->watches >= o->max_watches) {
		errno = ENOSPC;
		wd = -1;
	} else {
		/* Watch the directory we opened, not whatever the path is now. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		wd = inotify_add_watch(o->inotify_fd, proc, o->mask);
	}
	if (wd == -1) {
		if (s->st->watch_errno == 0)
			s->st->watch_errno = errno;
		s->st->unwatched++;
		index_dir(s->ix, dir)->flags |= IXD_UNWATCHED;
		s->ix->unwatched++;
		return;
	}
	s->watches++;
	if (index_set_wd(s->ix, dir, wd) == -1)
		s->nomem = true;
}

static void walk(struct scanner *, uint32_t, int, int);

/* Entries of a getdents64 read that may be files or directories. */
static uint32_t
count_entries(const char *buf, ssize_t n)
{
	uint32_t count = 0;

	for (ssize_t pos = 0; pos < n;) {
		const struct dirent64 *de = (const void *)(buf + pos);
		pos += de->d_reclen;
		count += (de->d_type == DT_REG || de->d_type == DT_DIR ||
		    de->d_type == DT_UNKNOWN) && !fsutil_is_dot(de->d_name);
	}
	return count;
}

/* List dir (open as fd) into the index, queueing its files for stat. */
static void
list_dir(struct scanner *s, uint32_t dir, struct dirref *r, uint32_t **subs,
    size_t *nsubs)
{
	size_t cap = 0;
	ssize_t n;
	struct stat st;

	while ((n = getdents64(r->fd, s->dents, DENTS_BUF)) > 0) {
		/* Size dir's table once for what this read holds. */
		if (index_reserve(s->ix, dir, count_entries(s->dents, n)) == -1) {
			s->nomem = true;
			return;
		}
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *de = (void *)(s->dents + pos);
			const char *name = de->d_name;
			size_t len = strlen(name);
			unsigned type = de->d_type;
			uint32_t id;

			pos += de->d_reclen;
			if (fsutil_is_dot(name))
				continue;
			if (type == DT_UNKNOWN) {
				if (fstatat(r->fd, name, &st,
				    AT_SYMLINK_NOFOLLOW) == -1)
					continue;
				type = S_ISREG(st.st_mode) ? DT_REG :
				    S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
			}
			if (type != DT_REG && type != DT_DIR)
				continue;
			id = index_add(s->ix, dir, name, len, type == DT_DIR,
			    false);
			if (id == IX_NIL) {
				s->nomem = true;
				return;
			}
			if (type == DT_REG) {
				if (add_file(s, r, id, name, len) == -1) {
					s->nomem = true;
					return;
				}
				continue;
			}
			if (array_grow((void **)subs, &cap, *nsubs + 1,
			    sizeof(**subs)) == -1) {
				s->nomem = true;
				return;
			}
			(*subs)[(*nsubs)++] = id;
		}
	}
	/* ENOENT: removed while being read (a dead directory), not an error. */
	if (n == -1 && errno != ENOENT)
		scan_error(s->st, "getdents64", errno);
}

/* Scan the directory open as fd (which this closes) into node dir. */
static void
walk(struct scanner *s, uint32_t dir, int fd, int depth)
{
	struct dirref *r;
	struct stat st;
	uint32_t *subs = NULL;
	size_t nsubs = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		close(fd);
		s->nomem = true;
		return;
	}
	r->fd = fd;
	r->refs = 1;		/* the walker's, dropped below */
	r->node = dir;
	r->next = s->dirs;
	s->dirs = r;
	watch_dir(s, dir, fd);
	if (fstat(fd, &st) == 0) {
		index_dir(s->ix, dir)->dev = st.st_dev;
		index_dir(s->ix, dir)->ino = st.st_ino;
	}
	list_dir(s, dir, r, &subs, &nsubs);
	push(s);
	for (size_t i = 0; i < nsubs && !s->nomem; i++) {
		int cfd;
		if (depth + 1 > SCAN_MAX_DEPTH) {
			scan_error(s->st, "depth", ELOOP);
			index_remove(s->ix, subs[i], NULL, NULL);
			continue;
		}
		cfd = openat(fd, index_name(s->ix, subs[i]), O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd == -1) {
			/* Gone or replaced since it was listed: events tell. */
			if (errno != ENOENT && errno != ENOTDIR &&
			    errno != ELOOP)
				scan_error(s->st, "openat", errno);
			index_remove(s->ix, subs[i], NULL, NULL);
			continue;
		}
		walk(s, subs[i], cfd, depth + 1);
	}
	free(subs);
	uv_mutex_lock(&s->mu);
	if (--r->refs == 0)
		close(r->fd);
	uv_mutex_unlock(&s->mu);
}

static void
scan_top(struct scanner *s, const char *path, bool follow)
{
	uint32_t top = index_add_top(s->ix, path);
	int fd;

	if (top == IX_NIL) {
		s->nomem = true;
		return;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW));
	if (fd == -1) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
			scan_error(s->st, "open", errno);
		return;
	}
	walk(s, top, fd, 0);
}

/* Wait for every batch to be stat'ed. */
static void
wait_batches(struct scanner *s)
{
	struct batch *b;

	uv_mutex_lock(&s->mu);
	while ((b = pop_locked(s)) != NULL) {
		uv_mutex_unlock(&s->mu);
		stat_batch(s, b);
		uv_mutex_lock(&s->mu);
	}
	s->finished = true;
	uv_cond_broadcast(&s->cv);
	while (s->active > 0)
		uv_cond_wait(&s->cv, &s->mu);
	if (s->errors > 0) {	/* the batches' errors, counted last */
		scan_error(s->st, "fstatat", s->first_errno);
		s->st->errors += s->errors - 1;
	}
	uv_mutex_unlock(&s->mu);
}

/* Apply the last batches, then fill in mtimes and totals. */
static void
settle(struct scanner *s)
{
	struct index *ix = s->ix;

	while (s->done != NULL) {
		struct batch *b = s->done;
		s->done = b->next;
		apply(s, b);
		free(b);
	}
	for (struct dirref *r = s->dirs, *next; r != NULL; r = next) {
		next = r->next;
		index_dir(ix, r->node)->mtime = r->mtime;
		free(r);
	}
	s->dirs = NULL;
	index_recount(ix);
}

int
scan_build(struct index *ix, const char *const *paths, const bool *follow,
    int npaths, const struct scan_opts *o, struct scan_stats *st)
{
	struct scanner s = { .ix = ix, .o = o, .st = st };
	uv_thread_t tid;
	bool threaded = false;

	if ((s.dents = malloc(DENTS_BUF)) == NULL)
		return -1;
	if (uv_mutex_init(&s.mu) != 0 || uv_cond_init(&s.cv) != 0)
		abort();
	if (o->threads >= 2 && uv_thread_create(&tid, helper, &s) == 0)
		threaded = true;
	for (int i = 0; i < npaths && !s.nomem; i++)
		scan_top(&s, paths[i], follow[i]);
	push(&s);
	wait_batches(&s);
	if (threaded)
		uv_thread_join(&tid);
	if (s.cur != NULL) {	/* only when an allocation failed mid-way */
		if (--s.cur->dir->refs == 0)
			close(s.cur->dir->fd);
		free(s.cur);
	}
	settle(&s);
	uv_cond_destroy(&s.cv);
	uv_mutex_destroy(&s.mu);
	free(s.dents);
	if (s.nomem || ix->nomem) {
		ix->nomem = true;
		return -1;
	}
	return 0;
}
