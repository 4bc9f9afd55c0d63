/* fsutil.c: directory creation, opening and listing; free space. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "perm.h"

/*
 * A directory this process has just made gets exactly mode, whatever
 * the umask: the setgid bit and group write are the point of
 * daemon.dir_mode, and mkdir(2) honours neither.
 */
static int
set_mode(int fd, mode_t mode)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -errno;
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) == -1)
		return -errno;
	return 0;
}

int
fsutil_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode & 0777) == 0) {
			int fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
			int r = fd == -1 ? -errno : set_mode(fd, mode);
			if (fd != -1)
				close(fd);
			if (r < 0)
				return r;
		} else if (errno != EEXIST)
			return -errno;
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) == -1)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int
fsutil_create_roots(const struct layout *l, mode_t mode)
{
	char path[PATH_MAX];
	const char *dirs[CAT_COUNT + KIND_COUNT + 1];
	int n = 0, r, rc = 0;

	/*
	 * The cache root holds only hycod's own entries (the roots, the
	 * trash, the socket): trainers in the group may not rename them.
	 */
	if ((r = fsutil_mkdir_p(l->cache_root, mode & ~(mode_t)(S_IWGRP |
	    S_IWOTH))) < 0) {
		log_warnx("fsutil_create_roots: mkdir %s: %s", l->cache_root,
		    strerror(-r));
		rc = -1;
	}
	for (int c = 0; c < CAT_COUNT; c++)
		dirs[n++] = l->roots[c];
	for (int k = 0; k < KIND_COUNT; k++)
		dirs[n++] = l->pred_root[k];
	if (snprintf(path, sizeof(path), "%s/%s", l->roots[CAT_TENSORS],
	    l->default_dataset) < (int)sizeof(path))
		dirs[n++] = path;
	for (int i = 0; i < n; i++)
		if ((r = fsutil_mkdir_p(dirs[i], mode)) < 0) {
			log_warnx("fsutil_create_roots: mkdir %s: %s", dirs[i],
			    strerror(-r));
			rc = -1;
		}
	return rc;
}

int
fsutil_open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

DIR *
fsutil_list(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int err = errno;
		close(fd);
		errno = err;
	}
	return d;
}

int
fsutil_mkdir_under(const char *root, const char *const *comps, int n,
    mode_t mode, bool *created)
{
	bool granted = false;
	int fd, next, r = 0;

	*created = false;
	if ((fd = fsutil_open_dir(root)) == -1) {
		if (errno != ENOENT)
			return -errno;
		/* Someone removed a root: it is ours, make it again. */
		if ((r = fsutil_mkdir_p(root, mode)) < 0)
			return r;
		if ((fd = fsutil_open_dir(root)) == -1)
			return -errno;
	}
	for (int i = 0; i < n; i++) {
		bool made = mkdirat(fd, comps[i], mode & 0777) == 0;
		/* A trainer's own directory above: granted once (perm.h). */
		if (!made && errno == EACCES && !granted &&
		    perm_grant(fd) == 0) {
			granted = true;
			made = mkdirat(fd, comps[i], mode & 0777) == 0;
		}
		if (!made && errno != EEXIST) {
			r = -errno;
			break;
		}
		next = openat(fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1) {
			r = errno == ELOOP ? -ENOTDIR : -errno;
			break;
		}
		close(fd);
		fd = next;
		if (made && (r = set_mode(fd, mode)) < 0)
			break;
		if (i == n - 1)
			*created = made;
	}
	close(fd);
	return r;
}

int
fsutil_disk(const char *path, struct disk_usage *du)
{
	struct statvfs sv;

	if (statvfs(path, &sv) == -1)
		return -errno;
	du->avail_bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	du->total_bytes = (uint64_t)sv.f_blocks * sv.f_frsize;
	du->avail_inodes = sv.f_favail;
	du->total_inodes = sv.f_files;
	return 0;
}
