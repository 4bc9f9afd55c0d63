/* owner.c: is the daemon hycoctl reached the owner of its config's tree? */
#include "owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lock.h"

/* The same file, by device and inode; by name when one is missing. */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return strcmp(a, b) == 0;
}

/* Who holds cache_root, as one line on stderr; 1 if someone does. */
static int
tell_owner(const char *cache_root, const char *sock)
{
	struct lock_info *info = malloc(sizeof(*info));
	char lockfile[PATH_MAX];
	int held;

	if (info == NULL)
		return 0;
	held = lock_probe(cache_root, info, lockfile, sizeof(lockfile));
	if (held == 1 && info->pid > 0)
		fprintf(stderr, "hycoctl: %s is owned by hycod pid %ld on %s "
		    "(lock file %s)%s%s\n", cache_root, info->pid, info->socket,
		    lockfile, same_file(info->socket, sock) ? "" :
		    ": use --socket ", same_file(info->socket, sock) ? "" :
		    info->socket);
	else if (held == 1)
		fprintf(stderr, "hycoctl: %s is held (lock file %s) by a "
		    "process that does not say who it is\n", cache_root,
		    lockfile);
	else if (held == 0)
		fprintf(stderr, "hycoctl: no hycod owns %s (no lock held "
		    "on it)\n", cache_root);
	free(info);
	return held == 1;
}

int
owner_check(hyco_client *c, const char *sock, const char *cache_root)
{
	const hyco_value *r, *root, *pid;
	char path[PATH_MAX];
	const char *s;
	size_t len;
	int64_t p = 0;
	int rc;

	rc = hyco_call(c, "ping", NULL, 0, &r);
	if (rc == HYCO_ECONNECT || rc == HYCO_ETIMEOUT) {
		fprintf(stderr, "hycoctl: %s\n", hyco_error_message(c));
		tell_owner(cache_root, sock);
		return 3;
	}
	/* Refused (daemon.access) or an odd reply: the command will say. */
	if (rc != HYCO_OK)
		return 0;
	root = hyco_map_get(r, "cache_root");
	pid = hyco_map_get(r, "pid");
	/* An older hycod does not say: nothing to compare. */
	if ((s = hyco_value_str(root, &len)) == NULL || len >= sizeof(path) ||
	    memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(path, s, len);
	path[len] = '\0';
	if (same_file(path, cache_root))
		return 0;
	(void)hyco_value_int(pid, &p);
	fprintf(stderr, "hycoctl: the hycod on %s (pid %lld) serves %s, not "
	    "%s (the config's paths.cache_root)\n", sock, (long long)p, path,
	    cache_root);
	tell_owner(cache_root, sock);
	return 1;
}
