/* testutil.h: small helpers shared by the unit tests (header only). */
#ifndef HYCO_TESTUTIL_H
#define HYCO_TESTUTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A fresh directory under /dev/shm (tmpfs: fast), else /tmp. */
static inline char *
tu_tmpdir(void)
{
	char tmpl[] = "/dev/shm/hyco-test-XXXXXX";
	char tmpl2[] = "/tmp/hyco-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (d == NULL)
		d = mkdtemp(tmpl2);
	return d ? strdup(d) : NULL;
}

/* Write text to dir/name, creating parent directories. */
static inline void
tu_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2], cmd[PATH_MAX * 2 + 32];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		abort();
	char *slash = strrchr(path, '/');
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd) != 0)
		abort();
	*slash = '/';
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

/* A file of exactly size bytes. */
static inline void
tu_file(const char *dir, const char *name, size_t size)
{
	char *buf = calloc(1, size + 1);

	memset(buf, 'x', size);
	tu_write(dir, name, buf);
	free(buf);
}

static inline void
tu_rmrf(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

#endif
