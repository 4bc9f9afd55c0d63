/*
 * fault.c: fault injection for a test build of hycod (hycod-fault),
 * linked with -Wl,--wrap=statvfs,--wrap=uv_queue_work,--wrap=calloc so
 * that the daemon's own calls come here. Nothing fails until a test
 * says so, through a small file named by $HYCO_FAULT that it maps and
 * writes (struct fault_ctl, native endian): for each call, skip the
 * next `skip` calls, then fail the next `fail`. calloc counts only
 * requests of at least calloc_min bytes, so a test can aim at one
 * allocation (a job is the only one above 8 KB on a request's path).
 * hits counts the faults made, for the test to check it hit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <uv.h>

struct fault {
	int32_t		skip, fail;
	int32_t		hits;
};

struct fault_ctl {
	struct fault	statvfs, queue_work, calloc;
	int32_t		calloc_min;
};

int	__real_statvfs(const char *, struct statvfs *);
int	__real_uv_queue_work(uv_loop_t *, uv_work_t *, uv_work_cb,
	    uv_after_work_cb);
void	*__real_calloc(size_t, size_t);

int	__wrap_statvfs(const char *, struct statvfs *);
int	__wrap_uv_queue_work(uv_loop_t *, uv_work_t *, uv_work_cb,
	    uv_after_work_cb);
void	*__wrap_calloc(size_t, size_t);

static struct fault_ctl *ctl;
static int mapped;	/* 0 not yet, 1 mapped, -1 no file */

/* The control file, mapped on first use (calloc may be first). */
static struct fault_ctl *
control(void)
{
	if (__atomic_load_n(&mapped, __ATOMIC_ACQUIRE) == 0) {
		const char *path = getenv("HYCO_FAULT");
		void *p = MAP_FAILED;
		int fd;

		if (path != NULL && (fd = open(path, O_RDWR | O_CLOEXEC)) != -1) {
			p = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, 0);
			close(fd);
		}
		ctl = p == MAP_FAILED ? NULL : p;
		__atomic_store_n(&mapped, ctl ? 1 : -1, __ATOMIC_RELEASE);
	}
	return ctl;
}

/* Whether this call of f fails. */
static int
hit(struct fault *f)
{
	if (__atomic_load_n(&f->fail, __ATOMIC_ACQUIRE) <= 0)
		return 0;
	if (__atomic_load_n(&f->skip, __ATOMIC_ACQUIRE) > 0) {
		__atomic_sub_fetch(&f->skip, 1, __ATOMIC_ACQ_REL);
		return 0;
	}
	__atomic_sub_fetch(&f->fail, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&f->hits, 1, __ATOMIC_ACQ_REL);
	return 1;
}

int
__wrap_statvfs(const char *path, struct statvfs *st)
{
	struct fault_ctl *c = control();

	if (c != NULL && hit(&c->statvfs)) {
		errno = EIO;
		return -1;
	}
	return __real_statvfs(path, st);
}

int
__wrap_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work,
    uv_after_work_cb after)
{
	struct fault_ctl *c = control();

	if (c != NULL && hit(&c->queue_work))
		return UV_ENOMEM;
	return __real_uv_queue_work(loop, req, work, after);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	struct fault_ctl *c;

	/* Not mapped yet: getenv and mmap do not call our calloc. */
	if ((c = control()) != NULL && n * size >= (size_t)c->calloc_min &&
	    hit(&c->calloc)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}
