/* textfile.c: the metrics file, rewritten atomically on a timer. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hycod.h"
#include "log.h"
#include "metrics.h"

struct textfile_job {
	uv_work_t		 work;
	struct textfile		*tf;
	struct metrics_text	 text;
	char			 path[PATH_MAX];
	char			 tmp[PATH_MAX + 64];
	int			 err;		/* errno, 0: written */
	const char		*what;		/* the call that failed */
};

/* "<dir>/.<name>.<pid>.tmp": beside path, never read as *.prom. */
static int
tmp_name(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 0;
	int n = snprintf(out, size, "%.*s%s.%s.%d.tmp", dirlen, path,
	    slash ? "/" : "", slash ? slash + 1 : path, (int)getpid());

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* On the pool: the whole text into tmp, then tmp over path. */
static void
write_work(uv_work_t *w)
{
	struct textfile_job *j = w->data;
	size_t off = 0;
	int fd;

	if ((fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1) {
		j->err = errno;
		j->what = "open";
		return;
	}
	while (off < j->text.len) {
		ssize_t n = write(fd, j->text.s + off, j->text.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			j->err = errno;
			j->what = "write";
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1 && j->err == 0) {
		j->err = errno;
		j->what = "close";
	}
	if (j->err == 0 && rename(j->tmp, j->path) == -1) {
		j->err = errno;
		j->what = "rename";
	}
	if (j->err != 0)
		(void)unlink(j->tmp);
}

static void
write_done(uv_work_t *w, int status)
{
	struct textfile_job *j = w->data;
	struct textfile *tf = j->tf;

	tf->job = NULL;
	if (status < 0 && j->err == 0) {
		j->err = -status;
		j->what = "queue";
	}
	if (j->err != 0) {
		tf->errors++;
		/* Once per failing spell; the counter says how often. */
		if (!tf->failing)
			log_warnx("metrics: cannot write %s: %s: %s", j->path,
			    j->what, strerror(j->err));
		tf->failing = true;
	} else {
		tf->writes++;
		if (tf->failing)
			log_info("metrics: writing %s again", j->path);
		tf->failing = false;
	}
	metrics_text_free(&j->text);
	free(j);
}

static void
on_tick(uv_timer_t *h)
{
	struct textfile *tf = h->data;
	struct textfile_job *j;
	int rc, r;

	if (tf->job != NULL || tf->closing)
		return;		/* the last one is still being written */
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		tf->errors++;
		return;
	}
	j->tf = tf;
	j->work.data = j;
	snprintf(j->path, sizeof(j->path), "%s", tf->path);
	if (tmp_name(tf->path, j->tmp, sizeof(j->tmp)) == -1)
		rc = -ENAMETOOLONG;
	else {
		watch_sync(&tf->d->watch);
		disk_refresh(&tf->d->disk, DISK_SUMMARY_MAX_AGE_MS);
		rc = metrics_render(&j->text, tf->d);
	}
	if (rc == 0 && (r = uv_queue_work(tf->loop, &j->work, write_work,
	    write_done)) < 0)
		rc = r;
	if (rc < 0) {
		tf->errors++;
		if (!tf->failing)
			log_warnx("metrics: cannot render %s: %s", tf->path,
			    rc == -ENOMEM ? "out of memory" : strerror(-rc));
		tf->failing = true;
		metrics_text_free(&j->text);
		free(j);
		return;
	}
	tf->job = j;
}

void
textfile_start(struct textfile *tf, uv_loop_t *loop, struct hycod *d,
    const char *path, double interval_s)
{
	memset(tf, 0, sizeof(*tf));
	tf->loop = loop;
	tf->d = d;
	tf->path = path;
	if (path == NULL || path[0] == '\0')
		return;
	tf->every_ms = (uint64_t)(interval_s * 1000);
	if (tf->every_ms == 0)
		tf->every_ms = 1;
	uv_timer_init(loop, &tf->timer);
	tf->timer.data = tf;
	uv_timer_start(&tf->timer, on_tick, 0, tf->every_ms);
	tf->started = true;
	log_info("metrics: writing %s every %g s", path, interval_s);
}

void
textfile_close(struct textfile *tf)
{
	if (!tf->started || tf->closing)
		return;
	tf->closing = true;
	uv_close((uv_handle_t *)&tf->timer, NULL);
}
