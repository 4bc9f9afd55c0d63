/* perm.c: rwx on a trainer's directory for hycod's user, by chmod. */
#include "perm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define PERM_MAX_GROUPS	64	/* supplementary groups looked through */

/* The permission bits the kernel checks for this process on sb. */
static mode_t
class_bits(const struct stat *sb)
{
	gid_t groups[PERM_MAX_GROUPS];
	int n;

	if (sb->st_uid == geteuid())
		return S_IRWXU;
	if (sb->st_gid == getegid())
		return S_IRWXG;
	n = getgroups(PERM_MAX_GROUPS, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == sb->st_gid)
			return S_IRWXG;
	return S_IRWXO;
}

/* The mode sb needs for this process to have rwx; -1 if it has them. */
static int
wanted_mode(const struct stat *sb, mode_t *mode)
{
	mode_t bits = class_bits(sb);

	if (!S_ISDIR(sb->st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((sb->st_mode & bits) == bits) {
		errno = EACCES;
		return -1;
	}
	*mode = (sb->st_mode & 07777) | bits;
	return 0;
}

int
perm_grant(int fd)
{
	struct stat sb;
	mode_t mode;
	int err = errno;

	if (fstat(fd, &sb) == 0 && wanted_mode(&sb, &mode) == 0 &&
	    fchmod(fd, mode) == 0)
		return 0;
	errno = err;
	return -1;
}

int
perm_grant_at(int dirfd, const char *name)
{
	char proc[64];
	struct stat sb;
	mode_t mode;
	int fd, rc = -1, err = errno;

	/* O_PATH needs no access to name itself, only search on dirfd. */
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		errno = err;
		return -1;
	}
	if (fstat(fd, &sb) == 0 && wanted_mode(&sb, &mode) == 0) {
		/* fchmod refuses O_PATH descriptors; the /proc link does not. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = chmod(proc, mode);
	}
	close(fd);
	errno = err;
	return rc;
}
