/*
 * alloc_count.c: an LD_PRELOAD library that counts the calls to
 * malloc, calloc and realloc of a whole process, its libraries' too,
 * into the file $HYCO_ALLOC_COUNT names (three native-endian uint64,
 * in that order), which a test maps and reads while the process runs
 * (tests/allocs.py). The memory itself comes from glibc as always.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	*realloc(void *, size_t);

static uint64_t *counts;
static int state;	/* 0 not yet, 1 mapping, 2 mapped, 3 no file */

/* The counters, mapped by the first call (nothing here allocates). */
static void
count(int which)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE), zero = 0;

	if (s == 0 && __atomic_compare_exchange_n(&state, &zero, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		const char *path = getenv("HYCO_ALLOC_COUNT");
		void *p = MAP_FAILED;
		int fd;

		if (path != NULL && (fd = open(path, O_RDWR | O_CLOEXEC)) != -1) {
			p = mmap(NULL, 3 * sizeof(uint64_t), PROT_READ |
			    PROT_WRITE, MAP_SHARED, fd, 0);
			close(fd);
		}
		counts = p == MAP_FAILED ? NULL : p;
		__atomic_store_n(&state, counts != NULL ? 2 : 3,
		    __ATOMIC_RELEASE);
		s = counts != NULL ? 2 : 3;
	}
	if (s == 2)
		__atomic_add_fetch(&counts[which], 1, __ATOMIC_RELAXED);
}

void *
malloc(size_t n)
{
	count(0);
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	count(1);
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	count(2);
	return __libc_realloc(p, n);
}
