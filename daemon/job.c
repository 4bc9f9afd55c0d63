/*
 * job.c: the thread-pool side of requests: cycle directories made
 * through directory descriptors, removals renamed into the trash (or
 * deleted in place where a filesystem has none), statvfs.
 */
#include "job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "remove.h"

void
job_fail(struct job *j, int err, const char *what, const char *path)
{
	j->err = err;
	snprintf(j->errmsg, sizeof(j->errmsg), "%s %s: %s", what, path,
	    strerror(err));
}

static void
work_cycle_dir(struct job *j, const struct layout *l)
{
	char cname[32];
	const char *comps[2] = { cname, j->dataset };
	int r;

	/* j->path was built (and its length checked) by m_get_cycle_dir. */
	layout_cycle_name(cname, sizeof(cname), j->cycle);
	if ((r = fsutil_mkdir_under(l->pred_root[j->kind], comps, 2,
	    &j->created)) < 0)
		job_fail(j, -r, "mkdir", j->path);
}

/*
 * Take name out of dirfd: renamed into the trash (deleted later, off the
 * request), or deleted here when its filesystem has no trash.
 */
static void
discard(struct job *j, int dirfd, const char *name, uint64_t bytes,
    const char *where)
{
	const struct trash *t = &j->r.d->trash;
	struct remove_stats st = { 0 };
	struct moved *m;
	char path[PATH_MAX + 64];
	int which;

	snprintf(path, sizeof(path), "%s/%s", where, name);
	if (array_grow((void **)&j->moved, &j->capmoved, j->nmoved + 1,
	    sizeof(*j->moved)) == -1) {
		job_fail(j, ENOMEM, "remove", path);
		return;
	}
	m = &j->moved[j->nmoved];
	/* Deleted in place (no trash there): counted from the index. */
	switch (trash_discard(t, dirfd, name, j->seq++, m->name, &which, &st)) {
	case 1:
		m->which = which;
		m->bytes = bytes;
		j->nmoved++;
		break;
	case -1:
		job_fail(j, errno, "remove", path);
		break;
	}
}

static void
record_taken(struct job *j, const char *root, const char *name)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (array_grow((void **)&j->taken, &j->captaken, j->ntaken + 1,
	    sizeof(*j->taken)) == -1 ||
	    (j->taken[j->ntaken] = strdup(path)) == NULL) {
		job_fail(j, ENOMEM, "remove", path);
		return;
	}
	j->ntaken++;
}

/*
 * root/name, or with name NULL everything in root, out of the tree.
 * bytes (the index's figure) go with the first item, for trash_bytes.
 * Returns how many entries were there; clean records their paths.
 */
static int
take(struct job *j, const char *root, const char *name, uint64_t bytes)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	if ((fd = fsutil_open_dir(root)) == -1) {
		if (errno != ENOENT)
			job_fail(j, errno, "open", root);
		return 0;
	}
	if (name != NULL) {
		if (faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (j->type == JOB_CLEAN)
				record_taken(j, root, name);
			discard(j, fd, name, bytes, root);
			n++;
		}
		close(fd);
		return n;
	}
	if ((d = fsutil_list(fd)) == NULL) {
		job_fail(j, errno, "list", root);
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL && j->err == 0) {
		if (fsutil_is_dot(de->d_name))
			continue;
		if (j->type == JOB_CLEAN)
			record_taken(j, root, de->d_name);
		discard(j, fd, de->d_name, bytes, root);
		bytes = 0;
		n++;
	}
	closedir(d);
	close(fd);
	return n;
}

/* clean: tensors and eval datasets, prediction caches, or a dataset's
 * share of each. */
static void
work_clean(struct job *j, const struct layout *l)
{
	const char *ds = j->dataset[0] ? j->dataset : NULL;

	for (int c = 0; c < CAT_COUNT; c++) {
		if (!(j->targets & (1u << c)) || c == CAT_GENERATED)
			continue;
		take(j, l->roots[c], ds, 0);
	}
	if (!(j->targets & (1u << CAT_GENERATED)))
		return;
	for (int k = 0; k < KIND_COUNT && j->err == 0; k++) {
		struct dirent *de;
		DIR *d;
		long n;
		if (ds == NULL) {
			take(j, l->pred_root[k], NULL, 0);
			continue;
		}
		/*
		 * The dataset's directory in every cycle of this kind, each
		 * cycle opened without following a link: a cycle swapped for
		 * a symlink is not entered.
		 */
		int pfd = fsutil_open_dir(l->pred_root[k]);
		if (pfd == -1)
			continue;
		if ((d = fsutil_list(pfd)) == NULL) {
			job_fail(j, errno, "list", l->pred_root[k]);
			close(pfd);
			continue;
		}
		while ((de = readdir(d)) != NULL && j->err == 0) {
			char cyc[PATH_MAX + 256];
			int cfd;
			if (layout_parse_cycle(de->d_name, &n) == -1 ||
			    (cfd = openat(pfd, de->d_name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1)
				continue;
			snprintf(cyc, sizeof(cyc), "%s/%s", l->pred_root[k],
			    de->d_name);
			if (faccessat(cfd, ds, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
				record_taken(j, cyc, ds);
				discard(j, cfd, ds, 0, cyc);
			}
			close(cfd);
		}
		closedir(d);
		close(pfd);
	}
}

void
job_work(uv_work_t *w)
{
	struct job *j = w->data;
	const struct layout *l = &j->r.d->cfg.layout;
	char cname[32];
	int r;

	switch (j->type) {
	case JOB_CYCLE_DIR:
		work_cycle_dir(j, l);
		break;
	case JOB_CLEANUP_CYCLE:
		layout_cycle_name(cname, sizeof(cname), j->cycle);
		for (int k = 0; k < KIND_COUNT; k++)
			if ((j->kind == KIND_ALL || j->kind == k) &&
			    take(j, l->pred_root[k], cname, j->root_bytes[k]) > 0)
				j->removed[k] = true;
		break;
	case JOB_CLEANUP_GENERATED:
		for (int k = 0; k < KIND_COUNT; k++) {
			take(j, l->pred_root[k], NULL, j->root_bytes[k]);
			/* A root removed by hand comes back, as the seed's. */
			if ((r = fsutil_mkdir_p(l->pred_root[k],
			    FSUTIL_DIR_MODE)) < 0 &&
			    j->err == 0)
				job_fail(j, -r, "mkdir", l->pred_root[k]);
		}
		break;
	case JOB_CLEAN:
		work_clean(j, l);
		break;
	case JOB_DISK_CHECK:
		if ((r = fsutil_disk(l->cache_root, &j->du)) < 0 && j->err == 0)
			job_fail(j, -r, "statvfs", l->cache_root);
		break;
	}
}

