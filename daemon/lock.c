/* lock.c: lock files for the cache tree; finding daemons that overlap. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The claims of a layout, by config key. */
static const char *const claim_keys[LOCK_CLAIMS] = {
	"paths.tensor_cache_dir", "paths.generated_cache_dir",
	"paths.eval_cache_dir", "trainer.synthetic_pred_cache",
	"trainer.physical_pred_cache", "retention.trash_dir",
};

/* -- paths -------------------------------------------------------------- */

/*
 * The real path of path (links resolved), also when its last parts do
 * not exist yet: the real path of the longest prefix that does, and
 * the rest as written. -1 if it does not fit.
 */
static int
real_path(const char *path, char *out)
{
	char head[PATH_MAX], real[PATH_MAX];
	const char *tail = "";
	char *slash;

	if (realpath(path, out) != NULL)
		return 0;
	if (snprintf(head, sizeof(head), "%s", path) >= (int)sizeof(head))
		return -1;
	while ((slash = strrchr(head, '/')) != NULL && slash != head) {
		*slash = '\0';
		tail = path + (slash - head);
		if (realpath(head, real) != NULL)
			return snprintf(out, PATH_MAX, "%s%s",
			    strcmp(real, "/") == 0 ? "" : real, tail) >=
			    PATH_MAX ? -1 : 0;
	}
	return snprintf(out, PATH_MAX, "%s", path) >= PATH_MAX ? -1 : 0;
}

/* The lock file of dir: in it (the cache root), or beside it. */
static int
lock_path(const char *dir, bool in, char *out, size_t size)
{
	const char *base = strrchr(dir, '/');
	int n;

	if (in)
		n = snprintf(out, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    LOCK_NAME);
	else if (base == NULL || base[1] == '\0')
		return -1;	/* "/" has nothing beside it */
	else
		n = snprintf(out, size, "%.*s/.%s%s", (int)(base - dir), dir,
		    base + 1, LOCK_NAME);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static bool
overlaps(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || layout_is_inside(a, b) ||
	    layout_is_inside(b, a);
}

bool
lock_is_name(const char *name, size_t len)
{
	size_t slen = strlen(LOCK_NAME);

	return len >= slen && name[0] == '.' &&
	    memcmp(name + len - slen, LOCK_NAME, slen) == 0;
}

/* -- the file's text ---------------------------------------------------- */

static void
put_escaped(char *out, size_t size, size_t *at, const char *s)
{
	for (; *s != '\0' && *at + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || c == '\\')
			*at += (size_t)snprintf(out + *at, size - *at, "\\x%02x", c);
		else
			out[(*at)++] = (char)c;
	}
	out[*at] = '\0';
}

static size_t
format_info(const struct lock_info *in, char *out, size_t size)
{
	size_t at = (size_t)snprintf(out, size, "pid %ld\nsocket ", in->pid);

	put_escaped(out, size, &at, in->socket);
	at += (size_t)snprintf(out + at, size - at, "\ncache_root ");
	put_escaped(out, size, &at, in->cache_root);
	for (int i = 0; i < in->nclaims && at + 1 < size; i++) {
		at += (size_t)snprintf(out + at, size - at, "\nclaim %s ",
		    in->claim_key[i]);
		put_escaped(out, size, &at, in->claim[i]);
	}
	if (at + 1 < size)
		out[at++] = '\n';
	out[at] = '\0';
	return at;
}

static int
hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/* s (len bytes) with \xHH decoded, into out (PATH_MAX); -1 if bad. */
static int
unescape(const char *s, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (o + 1 >= PATH_MAX)
			return -1;
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 4 > len || s[i + 1] != 'x' || hex(s[i + 2]) < 0 ||
		    hex(s[i + 3]) < 0 || (hex(s[i + 2]) | hex(s[i + 3])) == 0)
			return -1;
		out[o++] = (char)(hex(s[i + 2]) * 16 + hex(s[i + 3]));
		i += 3;
	}
	out[o] = '\0';
	return 0;
}

/* Parse a lock file's text; -1 if it holds no pid (not written yet). */
static int
parse_info(const char *text, size_t len, struct lock_info *info)
{
	const char *p = text, *end = text + len;

	memset(info, 0, sizeof(*info));
	info->pid = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *sp = memchr(p, ' ', (size_t)(e - p));
		if (sp != NULL) {
			size_t klen = (size_t)(sp - p), vlen = (size_t)(e - sp - 1);
			const char *v = sp + 1;
			if (klen == 3 && memcmp(p, "pid", 3) == 0)
				info->pid = strtol(v, NULL, 10);
			else if (klen == 6 && memcmp(p, "socket", 6) == 0)
				(void)unescape(v, vlen, info->socket);
			else if (klen == 10 && memcmp(p, "cache_root", 10) == 0)
				(void)unescape(v, vlen, info->cache_root);
			else if (klen == 5 && memcmp(p, "claim", 5) == 0 &&
			    info->nclaims < LOCK_CLAIMS) {
				const char *sp2 = memchr(v, ' ', vlen);
				int i = info->nclaims;
				if (sp2 != NULL && sp2 - v < LOCK_KEY_MAX &&
				    unescape(sp2 + 1, (size_t)(e - sp2 - 1),
				    info->claim[i]) == 0) {
					memcpy(info->claim_key[i], v,
					    (size_t)(sp2 - v));
					info->nclaims++;
				}
			}
		}
		p = e + 1;
	}
	return info->pid > 0 ? 0 : -1;
}

/*
 * The holder's text, waited for a little: a daemon writes it right
 * after it takes the lock. -1 if it never parses.
 */
static int
read_info(int fd, struct lock_info *info)
{
	char *buf = malloc(LOCK_TEXT_MAX + 1);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int rc = -1;

	if (buf == NULL)
		return -1;
	for (int tries = 0; tries <= LOCK_WAIT_MS / 10; tries++) {
		ssize_t n = pread(fd, buf, LOCK_TEXT_MAX, 0);
		if (n > 0)
			buf[n] = '\0';	/* strtol stops there */
		if (n > 0 && parse_info(buf, (size_t)n, info) == 0) {
			rc = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	free(buf);
	return rc;
}

/* -- probing ------------------------------------------------------------ */

/* Whether another open file description holds a lock on fd's file. */
static bool
held(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/*
 * Owned by root, by us, or by the owner of the directory it is in.
 * TODO: two unprivileged users' daemons meeting in a third user's
 * shared directory do not see each other's lock files there.
 */
static bool
trusted(const char *path, const struct stat *st)
{
	char dir[PATH_MAX];
	struct stat ds;
	char *slash;

	if (st->st_uid == 0 || st->st_uid == geteuid())
		return true;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return false;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return stat(dir, &ds) == 0 && ds.st_uid == st->st_uid;
}

static bool
ours(const struct locks *lk, const struct stat *st)
{
	for (int i = 0; i < lk->n; i++)
		if (lk->dev[i] == st->st_dev && lk->ino[i] == st->st_ino)
			return true;
	return false;
}

/*
 * A lock file that may be another daemon's: 1 with its text in *info
 * if someone else holds it (and it is trusted), else 0. An unreadable
 * text leaves info->pid -1.
 */
static int
probe_file(const struct locks *lk, const char *path, struct lock_info *info)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;	/* none, or not ours to read */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (lk == NULL || !ours(lk, &st)) && held(fd)) {
		if (!trusted(path, &st))
			log_debug("lock: %s is held but owned by uid %u: "
			    "ignored", path, (unsigned)st.st_uid);
		else {
			if (read_info(fd, info) == -1)
				info->pid = -1;
			rc = 1;
		}
	}
	close(fd);
	return rc;
}

/*
 * Does the holder of lock file path, which says info, claim a part of
 * self? -1 (logged) if so.
 */
static int
conflict(const struct lock_info *self, const char *path,
    const struct lock_info *info)
{
	if (info->pid <= 0) {
		log_warnx("lock: %s is held, but what it says cannot be read: "
		    "another hycod may own this tree", path);
		return -1;
	}
	if (strcmp(self->cache_root, info->cache_root) == 0) {
		log_warnx("lock: the cache root %s is held by hycod pid %ld "
		    "(socket %s; lock file %s)", self->cache_root, info->pid,
		    info->socket, path);
		return -1;
	}
	for (int i = 0; i < self->nclaims; i++)
		for (int j = 0; j < info->nclaims; j++) {
			if (!overlaps(self->claim[i], info->claim[j]))
				continue;
			log_warnx("lock: %s (%s) overlaps %s (%s) of hycod pid "
			    "%ld (socket %s, cache root %s; lock file %s)",
			    self->claim_key[i], self->claim[i],
			    info->claim_key[j], info->claim[j], info->pid,
			    info->socket, info->cache_root, path);
			return -1;
		}
	return 0;
}

/* Probe the lock files at dir and beside it; -1 on a conflict. */
static int
probe_dir(const struct locks *lk, const char *dir, struct lock_info *info)
{
	char path[PATH_MAX];

	for (int in = 1; in >= 0; in--)
		if (lock_path(dir, in, path, sizeof(path)) == 0 &&
		    probe_file(lk, path, info) == 1 &&
		    conflict(&lk->self, path, info) == -1)
			return -1;
	return 0;
}

/*
 * Every lock file at and above the cache root and each claim: the
 * daemons whose trees hold ours. -1 on a conflict.
 */
static int
probe_above(const struct locks *lk)
{
	struct lock_info *info = malloc(sizeof(*info));
	char dir[PATH_MAX];
	int rc = 0;

	if (info == NULL) {
		log_warn("lock: malloc");
		return -1;
	}
	for (int i = -1; i < lk->self.nclaims && rc == 0; i++) {
		snprintf(dir, sizeof(dir), "%s", i < 0 ? lk->self.cache_root :
		    lk->self.claim[i]);
		for (;;) {
			char *slash = strrchr(dir, '/');
			if ((rc = probe_dir(lk, dir, info)) == -1 ||
			    slash == NULL || slash == dir)
				break;
			*slash = '\0';
		}
		if (rc == 0 && strcmp(dir, "/") != 0)
			rc = probe_dir(lk, "/", info);
	}
	free(info);
	return rc;
}

int
lock_check_file(const struct locks *lk, const char *path)
{
	struct lock_info *info = malloc(sizeof(*info));
	int rc = 0;

	if (info == NULL) {
		log_warn("lock: malloc");
		return -1;
	}
	if (probe_file(lk, path, info) == 1)
		rc = conflict(&lk->self, path, info);
	free(info);
	return rc;
}

int
lock_probe(const char *dir, struct lock_info *info, char *lockfile,
    size_t size)
{
	char real[PATH_MAX];

	if (real_path(dir, real) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int in = 1; in >= 0; in--)
		if (lock_path(real, in, lockfile, size) == 0 &&
		    probe_file(NULL, lockfile, info) == 1)
			return 1;
	return 0;
}

/* -- taking ------------------------------------------------------------- */

/* Open, check and lock one file; -1 (logged) if it cannot be ours. */
static int
take(struct locks *lk, const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct lock_info *info;
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		log_warn("lock: open %s", path);
		return -1;
	}
	/* Never write through a link or into a file someone else made. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		log_warnx("lock: %s is not a regular file of this user or root "
		    "with one link: remove it", path);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		lk->fd[lk->n] = fd;
		lk->dev[lk->n] = st.st_dev;
		lk->ino[lk->n] = st.st_ino;
		snprintf(lk->path[lk->n], PATH_MAX, "%s", path);
		lk->n++;
		return 0;
	}
	if (errno != EAGAIN && errno != EACCES) {
		log_warn("lock: fcntl F_OFD_SETLK %s", path);
		close(fd);
		return -1;
	}
	if ((info = malloc(sizeof(*info))) != NULL &&
	    read_info(fd, info) == 0)
		log_warnx("lock: %s is held by hycod pid %ld (socket %s, cache "
		    "root %s)", path, info->pid, info->socket, info->cache_root);
	else
		log_warnx("lock: %s is held by another process", path);
	free(info);
	close(fd);
	return -1;
}

/* Fill lk->self: who we are and what we claim, as real paths. */
static int
describe(struct locks *lk, const struct layout *l, const char *trash_dir,
    const char *socket)
{
	struct lock_info *s = &lk->self;
	const char *paths[LOCK_CLAIMS] = {
		l->roots[CAT_TENSORS], l->roots[CAT_GENERATED],
		l->roots[CAT_EVAL], l->pred_root[KIND_SYNTHETIC],
		l->pred_root[KIND_PHYSICAL], trash_dir,
	};

	s->pid = (long)getpid();
	snprintf(s->socket, sizeof(s->socket), "%s", socket);
	if (real_path(l->cache_root, s->cache_root) == -1)
		return -1;
	for (int i = 0; i < LOCK_CLAIMS; i++) {
		snprintf(s->claim_key[i], LOCK_KEY_MAX, "%s", claim_keys[i]);
		if (real_path(paths[i], s->claim[i]) == -1)
			return -1;
	}
	s->nclaims = LOCK_CLAIMS;
	return 0;
}

/* Claims outside the cache root and outside every other such claim. */
static bool
lies_elsewhere(const struct lock_info *s, int i)
{
	if (strcmp(s->claim[i], s->cache_root) == 0 ||
	    layout_is_inside(s->cache_root, s->claim[i]))
		return false;
	for (int j = 0; j < s->nclaims; j++) {
		if (j == i || strcmp(s->claim[j], s->cache_root) == 0 ||
		    layout_is_inside(s->cache_root, s->claim[j]))
			continue;
		/* Of two equal ones, the first stands for both. */
		if (layout_is_inside(s->claim[j], s->claim[i]) ||
		    (strcmp(s->claim[j], s->claim[i]) == 0 && j < i))
			return false;
	}
	return true;
}

int
lock_acquire(struct locks *lk, const struct layout *l, const char *trash_dir,
    const char *socket)
{
	struct lock_info *s = &lk->self;
	char *text = NULL, path[PATH_MAX];
	bool in_claim = false;
	size_t len;

	memset(lk, 0, sizeof(*lk));
	if (describe(lk, l, trash_dir, socket) == -1) {
		log_warnx("lock: a path of the tree is too long");
		return -1;
	}
	/* Someone else's first: then we create nothing. */
	if (probe_above(lk) == -1)
		return -1;
	/* In the cache root, unless that lies in a root (it would count). */
	for (int i = 0; i < s->nclaims; i++)
		in_claim |= strcmp(s->claim[i], s->cache_root) == 0 ||
		    layout_is_inside(s->claim[i], s->cache_root);
	if (lock_path(s->cache_root, !in_claim, path, sizeof(path)) == -1 ||
	    take(lk, path) == -1)
		goto fail;
	for (int i = 0; i < s->nclaims; i++) {
		if (!lies_elsewhere(s, i))
			continue;
		if (lock_path(s->claim[i], false, path, sizeof(path)) == -1) {
			log_warnx("lock: %s (%s): no place for a lock file "
			    "beside it", s->claim_key[i], s->claim[i]);
			goto fail;
		}
		if (take(lk, path) == -1)
			goto fail;
	}
	if ((text = malloc(LOCK_TEXT_MAX)) == NULL) {
		log_warn("lock: malloc");
		goto fail;
	}
	len = format_info(s, text, LOCK_TEXT_MAX);
	for (int i = 0; i < lk->n; i++)
		if (ftruncate(lk->fd[i], 0) == -1 ||
		    pwrite(lk->fd[i], text, len, 0) != (ssize_t)len) {
			log_warn("lock: write %s", lk->path[i]);
			goto fail;
		}
	free(text);
	text = NULL;
	/* Again, now that ours are visible: two starting at once both stop. */
	if (probe_above(lk) == -1)
		goto fail;
	for (int i = 0; i < lk->n; i++)
		log_debug("lock: holding %s", lk->path[i]);
	return 0;
fail:
	free(text);
	lock_release(lk);
	return -1;
}

void
lock_release(struct locks *lk)
{
	for (int i = 0; i < lk->n; i++)
		close(lk->fd[i]);
	lk->n = 0;
}
