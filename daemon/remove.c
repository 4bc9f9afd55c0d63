/* remove.c: recursive removal through directory descriptors only. */
#include "remove.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "perm.h"

#define REMOVE_RETRIES		4	/* entry changed under us: try again */

static int
rm_fail(struct remove_stats *st, int err)
{
	if (st->error == 0)
		st->error = err;
	return -1;
}

static int rm_entry(int dirfd, const char *name, dev_t dev, int depth,
    struct remove_stats *st);

/* Remove the contents of fd, which this function closes. */
static int
rm_contents(int fd, dev_t dev, int depth, struct remove_stats *st)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return rm_fail(st, errno);
	}
	while ((de = readdir(d)) != NULL) {
		if (fsutil_is_dot(de->d_name))
			continue;
		if (rm_entry(fd, de->d_name, dev, depth, st) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

static int
rm_entry(int dirfd, const char *name, dev_t dev, int depth,
    struct remove_stats *st)
{
	struct stat sb, fsb;
	bool granted = false, granted_name = false;
	int fd, rc;

	/*
	 * EACCES: a trainer's directory (dirfd, or name) that this user
	 * may not write in or open; each granted once, then tried again.
	 */
	for (int tries = 0; tries < REMOVE_RETRIES; tries++) {
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			return errno == ENOENT ? 0 : rm_fail(st, errno);
		if (!S_ISDIR(sb.st_mode)) {
			if (unlinkat(dirfd, name, 0) == 0) {
				if (S_ISREG(sb.st_mode))
					st->bytes += (uint64_t)sb.st_size;
				st->files++;
				return 0;
			}
			if (errno == ENOENT)
				return 0;
			if (errno == EISDIR)	/* swapped for a directory */
				continue;
			if (errno == EACCES && !granted &&
			    perm_grant(dirfd) == 0) {
				granted = true;
				continue;
			}
			return rm_fail(st, errno);
		}
		/*
		 * TODO: st_dev cannot tell a bind mount of the same
		 * filesystem, which this enters; statx STATX_MNT_ID would.
		 */
		if (sb.st_dev != dev) {
			st->skipped_mounts++;
			return rm_fail(st, EXDEV);
		}
		if (depth >= REMOVE_MAX_DEPTH)
			return rm_fail(st, ELOOP);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1) {
			if (errno == ENOENT)
				return 0;
			if (errno == ELOOP || errno == ENOTDIR)
				continue;	/* swapped for a link or file */
			if (errno == EACCES && !granted_name &&
			    perm_grant_at(dirfd, name) == 0) {
				granted_name = true;
				continue;
			}
			return rm_fail(st, errno);
		}
		/* What we opened must be what we looked at. */
		if (fstat(fd, &fsb) == -1 || fsb.st_dev != sb.st_dev ||
		    fsb.st_ino != sb.st_ino) {
			close(fd);
			continue;
		}
		rc = rm_contents(fd, dev, depth + 1, st);
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0) {
			st->dirs++;
			return rc;
		}
		if (errno == ENOENT)
			return rc;
		if (errno == ENOTEMPTY && rc == 0)
			continue;	/* a writer added entries meanwhile */
		if (errno == EACCES && !granted && perm_grant(dirfd) == 0) {
			granted = true;
			continue;
		}
		return rm_fail(st, errno);
	}
	return rm_fail(st, EBUSY);
}

int
remove_at(int dirfd, const char *name, struct remove_stats *st)
{
	struct stat sb;

	if (fstat(dirfd, &sb) == -1)
		return rm_fail(st, errno);
	if (strchr(name, '/') != NULL || fsutil_is_dot(name) ||
	    name[0] == '\0')
		return rm_fail(st, EINVAL);
	return rm_entry(dirfd, name, sb.st_dev, 0, st);
}
