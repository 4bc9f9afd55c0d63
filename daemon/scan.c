/* scan.c: getdents64 walk over two threads, a directory each, into an index. */
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

#define CHUNK		1024		/* entries stat'ed per claim */
#define SHARE_MIN	(2 * CHUNK)	/* a directory shared past this size */
#define DENTS_BUF	(1024 * 1024)	/* a directory of ~25k files in one read */
#define GONE		UINT64_MAX	/* size of a file that vanished */
#define STATTED		0x80		/* entry type flag: size known already */
#define SPARES		4		/* listing buffers kept for reuse */

struct entry {
	uint64_t	size;		/* file: st_size, or GONE */
	uint32_t	name;		/* offset in the task's names */
	uint8_t		nlen;
	uint8_t		type;		/* DT_REG or DT_DIR, | STATTED */
};

/*
 * A directory to read. One worker opens, watches, lists and stats it;
 * a big one's stat calls are shared with the other thread in chunks.
 * The walker then adds what it holds to the index (apply) and queues
 * its subdirectories, which open against its descriptor: it stays
 * open, and the task with it, until the last of them is opened.
 */
struct task {
	struct task	*next;		/* in todo, active or ready */
	struct task	*parent;	/* NULL for a top */
	uint32_t	 node;
	int		 depth;
	bool		 follow;	/* a top that may be a symlink */
	char		*name;		/* under parent; a top: its path */
	int		 fd;		/* -1 until opened */
	unsigned	 children;	/* not opened yet; under mu */
	/* Filled in by the worker that lists it: */
	bool		 gone;		/* it could not be opened */
	bool		 nomem;		/* it could not be held */
	int32_t		 wd;		/* -1: none (watch_errno says why) */
	int		 watch_errno;
	bool		 have_id;
	uint64_t	 dev, ino;
	struct entry	*e;
	size_t		 n, cap;
	char		*names;
	size_t		 nameslen, namescap;
	/* Under mu once it is listed: */
	bool		 listing;	/* its worker still claims chunks */
	size_t		 claimed, statted;
	int64_t		 mtime;		/* newest file mtime */
	uint64_t	 errors;	/* entries that could not be read */
	int		 error_errno;
	const char	*error_op;
};

/* A task's listing buffers, kept between tasks. */
struct spare {
	struct entry	*e;
	size_t		 cap;
	char		*names;
	size_t		 namescap;
};

/*
 * The walker (the calling thread) alone touches the index; tasks pass
 * between the threads under mu.
 */
struct scanner {
	struct index		*ix;
	const struct scan_opts	*o;
	struct scan_stats	*st;
	uv_mutex_t		 mu;
	uv_cond_t		 cv;
	struct task		*todo;		/* to open, newest first (depth first) */
	struct task		*active;	/* listed, with entries to claim */
	struct task		*ready;		/* stat'ed, for the walker */
	unsigned		 busy;		/* threads working outside mu */
	bool			 finished;	/* no more work: the helper leaves */
	int64_t			 watches;	/* added by this scan; under mu */
	struct spare		 spare[SPARES];	/* under mu */
	int			 nspare;
	bool			 nomem;		/* walker only */
};

/* Count an entry that could not be read; keep why the first one was. */
static void
task_error(struct task *t, const char *op, int err)
{
	if (t->errors++ == 0) {
		t->error_errno = err;
		t->error_op = op;
	}
}

static void
scan_error(struct scan_stats *st, const char *op, int err, uint64_t n)
{
	if (n > 0 && st->error_errno == 0) {
		st->error_errno = err;
		st->error_op = op;
	}
	st->errors += n;
}

static void
task_free(struct task *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->e);
	free(t->names);
	free(t->name);
	free(t);
}

/* -- workers: either thread --------------------------------------------- */

/* Watch the directory open as t->fd, before it is read. */
static void
watch(struct scanner *s, struct task *t)
{
	const struct scan_opts *o = s->o;
	char proc[64];
	bool allowed;

	t->wd = -1;
	if (o->inotify_fd < 0)
		return;
	uv_mutex_lock(&s->mu);
	allowed = o->max_watches < 0 || s->watches < o->max_watches;
	s->watches += allowed;
	uv_mutex_unlock(&s->mu);
	if (!allowed) {
		t->watch_errno = ENOSPC;
		return;
	}
	/* Watch the directory we opened, not whatever the path is now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	if ((t->wd = inotify_add_watch(o->inotify_fd, proc, o->mask)) == -1) {
		t->watch_errno = errno;
		uv_mutex_lock(&s->mu);
		s->watches--;
		uv_mutex_unlock(&s->mu);
	}
}

static int
add_entry(struct task *t, const char *name, size_t len, unsigned type,
    uint64_t size)
{
	struct entry *e;
	uint32_t off;

	if (array_grow((void **)&t->e, &t->cap, t->n + 1, sizeof(*t->e)) == -1 ||
	    array_put_name(&t->names, &t->nameslen, &t->namescap, name, len,
	    &off) == -1)
		return -1;
	e = &t->e[t->n++];
	e->size = size;
	e->name = off;
	e->nlen = (uint8_t)len;
	e->type = (uint8_t)type;
	return 0;
}

/* Open, watch and read t; 0, or -1 when out of memory. */
static int
list(struct scanner *s, struct task *t, char *dents)
{
	struct stat st;
	ssize_t n;

	if (t->parent == NULL)
		t->fd = open(t->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    (t->follow ? 0 : O_NOFOLLOW));
	else
		t->fd = openat(t->parent->fd, t->name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (t->fd == -1) {
		/* Gone or replaced since it was listed: events tell. */
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
			task_error(t, t->parent ? "openat" : "open", errno);
		t->gone = true;
		return 0;
	}
	watch(s, t);
	if (fstat(t->fd, &st) == 0) {
		t->have_id = true;
		t->dev = st.st_dev;
		t->ino = st.st_ino;
	}
	while ((n = getdents64(t->fd, dents, DENTS_BUF)) > 0) {
		for (ssize_t pos = 0; pos < n;) {
			struct dirent64 *de = (void *)(dents + pos);
			const char *name = de->d_name;
			unsigned type = de->d_type;
			uint64_t size = 0;

			pos += de->d_reclen;
			if (fsutil_is_dot(name))
				continue;
			if (type == DT_UNKNOWN) {
				if (fstatat(t->fd, name, &st,
				    AT_SYMLINK_NOFOLLOW) == -1)
					continue;
				type = S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
				if (S_ISREG(st.st_mode)) {
					type = DT_REG | STATTED;
					size = (uint64_t)st.st_size;
					if (st.st_mtime > t->mtime)
						t->mtime = st.st_mtime;
				}
			}
			if ((type & ~STATTED) != DT_REG && type != DT_DIR)
				continue;
			if (add_entry(t, name, strlen(name), type, size) == -1)
				return -1;
		}
	}
	/* ENOENT: removed while being read (a dead directory), not an error. */
	if (n == -1 && errno != ENOENT)
		task_error(t, "getdents64", errno);
	return 0;
}

/*
 * Every entry of t stat'ed, its worker done with it: off the active
 * list, over to the walker, which frees it (mu held).
 */
static void
finish_locked(struct scanner *s, struct task *t)
{
	for (struct task **p = &s->active; *p != NULL; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	t->next = s->ready;
	s->ready = t;
	uv_cond_broadcast(&s->cv);
}

/* Stat entries [a, b) of t, which is listed; then account for them. */
static void
stat_range(struct scanner *s, struct task *t, size_t a, size_t b)
{
	struct stat st;
	int64_t mtime = 0;
	uint64_t errors = 0;
	int first = 0;

	for (size_t i = a; i < b; i++) {
		struct entry *e = &t->e[i];
		if (e->type != DT_REG)
			continue;	/* a directory, or stat'ed already */
		int rc = fstatat(t->fd, t->names + e->name, &st,
		    AT_SYMLINK_NOFOLLOW);
		if (rc == 0 && S_ISREG(st.st_mode)) {
			e->size = (uint64_t)st.st_size;
			if (st.st_mtime > mtime)
				mtime = st.st_mtime;
			continue;
		}
		/*
		 * Gone, or no longer a file (errno means nothing then): left
		 * out; events tell what it became.
		 */
		if (rc == -1 && errno != ENOENT && errors++ == 0)
			first = errno;
		e->size = GONE;
	}
	uv_mutex_lock(&s->mu);
	if (mtime > t->mtime)
		t->mtime = mtime;
	if (errors > 0) {
		task_error(t, "fstatat", first);
		t->errors += errors - 1;
	}
	t->statted += b - a;
	if (t->statted == t->n && !t->listing)
		finish_locked(s, t);
	uv_mutex_unlock(&s->mu);
}

/* Claim the next chunk of an active task (mu held); NULL if none. */
static struct task *
claim_locked(struct scanner *s, struct task *t, size_t *a, size_t *b)
{
	if (t == NULL)
		for (t = s->active; t != NULL && t->claimed == t->n; t = t->next)
			;
	if (t == NULL || t->claimed == t->n)
		return NULL;
	*a = t->claimed;
	*b = t->n - *a > CHUNK ? *a + CHUNK : t->n;
	t->claimed = *b;
	return t;
}

/*
 * Read a task taken from todo, then stat its files, sharing a big one
 * with the other thread, which stats it when it has nothing else to do.
 * Called without mu.
 */
static void
work(struct scanner *s, struct task *t, char *dents)
{
	struct task *p = t->parent;
	size_t a, b;
	int rc;

	/* Listing buffers of a task the walker is done with, grown already. */
	uv_mutex_lock(&s->mu);
	if (s->nspare > 0) {
		struct spare *sp = &s->spare[--s->nspare];
		t->e = sp->e;
		t->cap = sp->cap;
		t->names = sp->names;
		t->namescap = sp->namescap;
	}
	uv_mutex_unlock(&s->mu);
	rc = list(s, t, dents);
	uv_mutex_lock(&s->mu);
	/* Its descriptor is ours: the parent's may close. */
	if (p != NULL && --p->children == 0)
		task_free(p);
	t->parent = NULL;
	if (rc == -1)
		t->nomem = t->gone = true;
	if (t->gone)
		t->n = 0;
	t->claimed = t->statted = 0;
	/*
	 * listing keeps t ours until we stop claiming: whoever stats its
	 * last entry hands it over only once we are done with it.
	 */
	t->listing = true;
	if (t->n >= SHARE_MIN) {
		t->next = s->active;
		s->active = t;
		uv_cond_broadcast(&s->cv);
	}
	while (claim_locked(s, t, &a, &b) != NULL) {
		uv_mutex_unlock(&s->mu);
		stat_range(s, t, a, b);
		uv_mutex_lock(&s->mu);
	}
	t->listing = false;
	if (t->statted == t->n)
		finish_locked(s, t);
	uv_mutex_unlock(&s->mu);
}

/*
 * One unit of work outside mu (held on entry and on return): a task to
 * read, or a chunk of another's. false when there was none.
 */
static bool
work_locked(struct scanner *s, char *dents)
{
	struct task *t;
	size_t a, b;

	if ((t = s->todo) != NULL) {
		s->todo = t->next;
		s->busy++;
		uv_mutex_unlock(&s->mu);
		work(s, t, dents);
	} else if ((t = claim_locked(s, NULL, &a, &b)) != NULL) {
		s->busy++;
		uv_mutex_unlock(&s->mu);
		stat_range(s, t, a, b);
	} else
		return false;
	uv_mutex_lock(&s->mu);
	s->busy--;
	uv_cond_broadcast(&s->cv);
	return true;
}

static void
helper(void *arg)
{
	struct scanner *s = arg;
	char *dents = malloc(DENTS_BUF);

	uv_mutex_lock(&s->mu);
	while (dents != NULL && !s->finished)
		if (!work_locked(s, dents))
			uv_cond_wait(&s->cv, &s->mu);
	uv_mutex_unlock(&s->mu);
	free(dents);
}

/* -- walker: the index -------------------------------------------------- */

static void
set_watch(struct scanner *s, struct task *t)
{
	struct scan_stats *st = s->st;

	if (t->wd >= 0) {
		if (index_set_wd(s->ix, t->node, t->wd) == -1)
			s->nomem = true;
		return;
	}
	if (s->o->inotify_fd < 0)
		return;
	if (st->watch_errno == 0)
		st->watch_errno = t->watch_errno;
	st->unwatched++;
	index_dir(s->ix, t->node)->flags |= IXD_UNWATCHED;
	s->ix->unwatched++;
}

/* A subdirectory of t to read, or NULL when out of memory. */
static struct task *
child(struct task *t, uint32_t node, const char *name)
{
	struct task *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->name = strdup(name)) == NULL) {
		free(c);
		return NULL;
	}
	c->parent = t;
	c->node = node;
	c->depth = t->depth + 1;
	c->fd = -1;
	return c;
}

/* Put what t holds in the index and queue its subdirectories. */
static void
apply(struct scanner *s, struct task *t)
{
	struct index *ix = s->ix;
	bool top = index_node(ix, t->node)->parent == IX_NIL;
	struct task *kids = NULL, *last = NULL;

	if (t->nomem)
		s->nomem = true;
	scan_error(s->st, t->error_op, t->error_errno, t->errors);
	if (t->gone) {
		/* A top that is missing stays, empty, with ino 0. */
		if (!top)
			index_remove(ix, t->node, NULL, NULL);
		task_free(t);
		return;
	}
	set_watch(s, t);
	if (t->have_id) {
		index_dir(ix, t->node)->dev = t->dev;
		index_dir(ix, t->node)->ino = t->ino;
	}
	index_dir(ix, t->node)->mtime = t->mtime;
	if (index_reserve(ix, t->node, (uint32_t)t->n) == -1)
		s->nomem = true;
	for (size_t i = 0; i < t->n && !s->nomem; i++) {
		const struct entry *e = &t->e[i];
		const char *name = t->names + e->name;
		bool isdir = e->type == DT_DIR;
		uint32_t id;

		if (e->size == GONE)
			continue;
		if (isdir && t->depth + 1 > SCAN_MAX_DEPTH) {
			scan_error(s->st, "depth", ELOOP, 1);
			continue;
		}
		if ((id = index_add(ix, t->node, name, e->nlen, isdir,
		    false)) == IX_NIL) {
			s->nomem = true;
			break;
		}
		if (!isdir) {
			if (index_set_size(ix, id, e->size) == -1)
				s->nomem = true;
			continue;
		}
		struct task *c = child(t, id, name);
		if (c == NULL) {
			s->nomem = true;
			break;
		}
		if (last == NULL)
			last = c;
		c->next = kids;
		kids = c;
		t->children++;	/* unseen by the workers until queued */
	}
	uv_mutex_lock(&s->mu);
	if (s->nspare < SPARES && t->e != NULL && t->names != NULL) {
		s->spare[s->nspare++] = (struct spare){ t->e, t->cap,
		    t->names, t->namescap };
		t->e = NULL;
		t->names = NULL;
	}
	if (kids != NULL) {
		/* Queued at once; the last of them to open frees t. */
		last->next = s->todo;
		s->todo = kids;
		uv_cond_broadcast(&s->cv);
		t = NULL;
	}
	uv_mutex_unlock(&s->mu);
	if (t != NULL)
		task_free(t);
}

/* Out of memory: drop what is queued, closing as work() would have. */
static void
drop_todo_locked(struct scanner *s)
{
	struct task *t;

	while ((t = s->todo) != NULL) {
		s->todo = t->next;
		if (t->parent != NULL && --t->parent->children == 0)
			task_free(t->parent);
		t->parent = NULL;
		task_free(t);
	}
}

/* Work and apply until nothing is left anywhere. */
static void
walk(struct scanner *s, char *dents)
{
	struct task *t;

	uv_mutex_lock(&s->mu);
	for (;;) {
		if (s->nomem)
			drop_todo_locked(s);
		if ((t = s->ready) != NULL) {
			s->ready = t->next;
			uv_mutex_unlock(&s->mu);
			apply(s, t);
			uv_mutex_lock(&s->mu);
			continue;
		}
		if (work_locked(s, dents))
			continue;
		if (s->busy == 0 && s->todo == NULL && s->active == NULL)
			break;
		uv_cond_wait(&s->cv, &s->mu);
	}
	s->finished = true;
	uv_cond_broadcast(&s->cv);
	uv_mutex_unlock(&s->mu);
}

int
scan_build(struct index *ix, const char *const *paths, const bool *follow,
    int npaths, const struct scan_opts *o, struct scan_stats *st)
{
	struct scanner s = { .ix = ix, .o = o, .st = st };
	char *dents = malloc(DENTS_BUF);
	uv_thread_t tid;
	bool threaded = false;

	if (dents == NULL)
		return -1;
	if (uv_mutex_init(&s.mu) != 0 || uv_cond_init(&s.cv) != 0)
		abort();
	/* Every top first, in order; then read, the first one first. */
	for (int i = npaths - 1; i >= 0; i--) {
		struct task *t = calloc(1, sizeof(*t));
		if (t == NULL || (t->name = strdup(paths[i])) == NULL) {
			free(t);
			s.nomem = true;
			continue;
		}
		t->fd = -1;
		t->follow = follow[i];
		t->next = s.todo;
		s.todo = t;
	}
	for (struct task *t = s.todo; t != NULL; t = t->next)
		if ((t->node = index_add_top(ix, t->name)) == IX_NIL)
			s.nomem = true;
	if (o->threads >= 2 && uv_thread_create(&tid, helper, &s) == 0)
		threaded = true;
	walk(&s, dents);
	if (threaded)
		uv_thread_join(&tid);
	index_recount(ix);
	while (s.nspare > 0) {
		free(s.spare[--s.nspare].e);
		free(s.spare[s.nspare].names);
	}
	uv_cond_destroy(&s.cv);
	uv_mutex_destroy(&s.mu);
	free(dents);
	if (s.nomem || ix->nomem) {
		ix->nomem = true;
		return -1;
	}
	return 0;
}
