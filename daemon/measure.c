/* measure.c: bytes and files under an entry, through descriptors. */
#include "measure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static void
walk(int fd, dev_t dev, int depth, struct measure *m)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int cfd;

	if ((d = fdopendir(fd)) == NULL) {
		m->errors++;
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (fsutil_is_dot(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)
		    == -1) {
			if (errno != ENOENT)
				m->errors++;
			continue;
		}
		if (S_ISREG(st.st_mode)) {
			m->bytes += (uint64_t)st.st_size;
			m->files++;
			continue;
		}
		/* Another filesystem mounted inside is not ours to count. */
		if (!S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		if (depth >= MEASURE_DEPTH) {
			m->errors++;
			continue;
		}
		if ((cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			if (errno != ENOENT)
				m->errors++;
			continue;
		}
		walk(cfd, dev, depth + 1, m);
	}
	closedir(d);
}

void
measure_at(int dirfd, const char *name, struct measure *m)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			m->errors++;
		return;
	}
	if (S_ISREG(st.st_mode)) {
		m->bytes += (uint64_t)st.st_size;
		m->files++;
		return;
	}
	if (!S_ISDIR(st.st_mode))
		return;
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			m->errors++;
		return;
	}
	walk(fd, st.st_dev, 1, m);
}
