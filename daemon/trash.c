/* trash.c: rename into trash, delete on the thread pool, resume on start. */
#include "trash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "perm.h"

struct trash_item {
	uv_work_t		 work;
	struct trash		*t;
	struct trash_item	*next;
	int			 which;
	char			 name[TRASH_NAME_MAX];
	uint64_t		 bytes;		/* as the index counted them */
	trash_done_fn		 done;
	void			*arg;
	struct remove_stats	 st;
};

static void run_next(struct trash *t);
static void finish(struct trash *t);

static void
work_delete(uv_work_t *w)
{
	struct trash_item *it = w->data;

	(void)remove_at(it->t->fd[it->which], it->name, &it->st);
}

/* Make the callbacks waiting in t->done; then close if that was all. */
static void
on_idle(uv_idle_t *h)
{
	struct trash *t = h->data;
	struct trash_item *it;

	uv_idle_stop(h);
	while ((it = t->done) != NULL) {
		if ((t->done = it->next) == NULL)
			t->done_tail = NULL;
		if (it->done != NULL)
			it->done(it->arg, &it->st);
		free(it);
	}
	finish(t);
}

/* it's callback, with err, from on_idle: never from its caller. */
static void
defer(struct trash *t, struct trash_item *it, int err)
{
	it->st.error = err;
	it->next = NULL;
	if (t->done_tail != NULL)
		t->done_tail->next = it;
	else
		t->done = it;
	t->done_tail = it;
	uv_idle_start(&t->idle, on_idle);
}

static void
after_delete(uv_work_t *w, int status)
{
	struct trash_item *it = w->data;
	struct trash *t = it->t;

	if (status < 0 && it->st.error == 0)
		it->st.error = ECANCELED;
	t->running = false;
	if (t->closing) {	/* trash_close waited for this one */
		if (it->done != NULL)
			it->done(it->arg, &it->st);
		free(it);
		finish(t);
		return;
	}
	t->bytes -= it->bytes;
	t->bytes_in[it->which] -= it->bytes;
	t->items--;
	t->freed_bytes += it->st.bytes;
	if (it->st.error != 0)
		log_warnx("trash: %s/%s: %s (left for the next start)",
		    t->path[it->which], it->name, strerror(it->st.error));
	else
		log_debug("trash: deleted %s, %llu bytes in %llu files",
		    it->name, (unsigned long long)it->st.bytes,
		    (unsigned long long)it->st.files);
	if (it->done != NULL)
		it->done(it->arg, &it->st);
	if (t->deleted != NULL)
		t->deleted(t->deleted_arg, t->dev[it->which]);
	free(it);
	run_next(t);
}

/* One deletion at a time: a cleanup must not take every pool thread. */
static void
run_next(struct trash *t)
{
	struct trash_item *it;
	int r;

	while (!t->running && (it = t->head) != NULL && !t->closing) {
		if ((t->head = it->next) == NULL)
			t->tail = NULL;
		it->work.data = it;
		t->running = true;
		if ((r = uv_queue_work(t->loop, &it->work, work_delete,
		    after_delete)) == 0)
			break;
		/* Left for the next start; its caller hears of it later. */
		log_warnx("trash: uv_queue_work: %s: %s/%s left for the next "
		    "start", uv_strerror(r), t->path[it->which], it->name);
		t->running = false;
		t->bytes -= it->bytes;
		t->items--;
		defer(t, it, -r);
	}
}

int
trash_put(struct trash *t, int which, const char *out, uint64_t bytes,
    trash_done_fn done, void *arg)
{
	struct trash_item *it;

	if (t->closing && done == NULL)
		return 0;	/* stays for the next start; nobody waits */
	if ((it = calloc(1, sizeof(*it))) == NULL) {
		/* Stays in the trash until the next start empties it. */
		log_warnx("trash_put: out of memory: %s left in %s", out,
		    t->path[which]);
		return -1;
	}
	it->t = t;
	it->which = which;
	snprintf(it->name, sizeof(it->name), "%s", out);
	it->bytes = bytes;
	it->done = done;
	it->arg = arg;
	if (t->closing) {
		defer(t, it, ECANCELED);
		return 0;
	}
	t->bytes += bytes;
	t->bytes_in[which] += bytes;
	t->items++;
	if (t->tail != NULL)
		t->tail->next = it;
	else
		t->head = it;
	t->tail = it;
	run_next(t);
	return 0;
}

void
trash_hold(struct trash *t)
{
	t->users++;
}

void
trash_release(struct trash *t)
{
	t->users--;
	finish(t);
}

uint64_t
trash_reserve(struct trash *t)
{
	uint64_t seq = t->seq;

	t->seq += TRASH_SEQ_RANGE;
	return seq;
}

/*
 * Thread pool: rename dirfd/name into the trash of its filesystem as
 * out (a fresh name made from seq). 0, -1 with errno (ENOENT: nothing
 * there; EXDEV: no trash on that filesystem); *which says which trash.
 */
static int
move_into(const struct trash *t, int dirfd, const char *name, uint64_t seq,
    char *out, int *which)
{
	struct stat sb;
	bool granted = false;

	if (fstat(dirfd, &sb) == -1)
		return -1;
	for (*which = 0; *which < t->n && t->dev[*which] != sb.st_dev;
	    (*which)++)
		;
	if (*which == t->n) {
		errno = EXDEV;
		return -1;
	}
	/* RENAME_NOREPLACE: a name left by an earlier run is never hit. */
	for (int tries = 0; tries < 16; tries++) {
		snprintf(out, TRASH_NAME_MAX, "%llu.%d.%d.%.200s",
		    (unsigned long long)seq, (int)getpid(), tries, name);
		if (renameat2(dirfd, name, t->fd[*which], out,
		    RENAME_NOREPLACE) == 0)
			return 0;
		/*
		 * A directory changing parent needs write access to itself
		 * (its ".."): a trainer's own cycle or dataset directory
		 * is granted it once (perm.h).
		 */
		if (errno == EACCES && !granted &&
		    perm_grant_at(dirfd, name) == 0) {
			granted = true;
			continue;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

int
trash_discard(const struct trash *t, int dirfd, const char *name,
    uint64_t seq, char *out, int *which, struct remove_stats *st)
{
	if (move_into(t, dirfd, name, seq, out, which) == 0)
		return 1;
	if (errno != EXDEV)
		return -1;
	if (remove_at(dirfd, name, st) == -1) {
		errno = st->error;
		return -1;
	}
	return 0;
}

/* Queue every entry an earlier run left in trash which. */
static void
resume(struct trash *t, int which)
{
	DIR *d = fsutil_list(t->fd[which]);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		log_warn("trash: cannot list %s", t->path[which]);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (fsutil_is_dot(de->d_name))
			continue;
		trash_put(t, which, de->d_name, 0, NULL, NULL);
		n++;
	}
	closedir(d);
	if (n > 0)
		log_info("trash: finishing %d items an earlier run left in %s",
		    n, t->path[which]);
}

static int
add_trash(struct trash *t, const char *path)
{
	struct stat sb;
	int r, fd;

	if ((r = fsutil_mkdir_p(path, 0700)) < 0) {
		log_warnx("trash: mkdir %s: %s", path, strerror(-r));
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		log_warn("trash: open %s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	snprintf(t->path[t->n], PATH_MAX, "%s", path);
	t->fd[t->n] = fd;
	t->dev[t->n] = sb.st_dev;
	t->n++;
	return 0;
}

static bool
has_dev(const struct trash *t, dev_t dev)
{
	for (int i = 0; i < t->n; i++)
		if (t->dev[i] == dev)
			return true;
	return false;
}

int
trash_open(struct trash *t, uv_loop_t *loop, const char *path,
    const struct layout *l)
{
	const char *roots[CAT_COUNT + KIND_COUNT];
	struct stat sb;

	memset(t, 0, sizeof(*t));
	t->loop = loop;
	if (add_trash(t, path) == -1)
		return -1;
	uv_idle_init(loop, &t->idle);
	t->idle.data = t;
	for (int c = 0; c < CAT_COUNT; c++)
		roots[c] = l->roots[c];
	for (int k = 0; k < KIND_COUNT; k++)
		roots[CAT_COUNT + k] = l->pred_root[k];
	for (int i = 0; i < CAT_COUNT + KIND_COUNT; i++) {
		char beside[PATH_MAX];
		bool inside = false;
		if (stat(roots[i], &sb) == -1 || has_dev(t, sb.st_dev))
			continue;
		/* Beside the root, and so outside every category root. */
		snprintf(beside, sizeof(beside), "%s", roots[i]);
		*strrchr(beside, '/') = '\0';
		strncat(beside, "/.hyco-trash", sizeof(beside) - strlen(beside) - 1);
		for (int c = 0; c < CAT_COUNT; c++)
			inside |= layout_is_inside(l->roots[c], beside);
		if (inside) {
			log_warnx("trash: %s is on another filesystem and its "
			    "parent is a cache root: it is deleted in place",
			    roots[i]);
			continue;
		}
		if (add_trash(t, beside) == 0 && t->dev[t->n - 1] != sb.st_dev) {
			close(t->fd[--t->n]);
			log_warnx("trash: %s is not on the filesystem of %s",
			    beside, roots[i]);
		}
	}
	for (int i = 0; i < t->n; i++)
		resume(t, i);
	return 0;
}

/*
 * Closing, and nothing left that may use the descriptors (no job
 * holding the trash, no deletion running) or callbacks to make: close.
 */
static void
finish(struct trash *t)
{
	if (!t->closing || t->closed || t->users > 0 || t->running ||
	    t->done != NULL)
		return;
	t->closed = true;
	for (int i = 0; i < t->n; i++)
		close(t->fd[i]);
	t->n = 0;
	uv_close((uv_handle_t *)&t->idle, NULL);
}

void
trash_close(struct trash *t)
{
	struct trash_item *it;

	if (t->closing)
		return;
	t->closing = true;
	/* Queued, not started: left for the next start, callers told so. */
	while ((it = t->head) != NULL) {
		t->head = it->next;
		if (it->done != NULL)
			defer(t, it, ECANCELED);
		else
			free(it);
	}
	t->tail = NULL;
	finish(t);
}
