/*
 * replay.c: a fuzz target's main() without libFuzzer. Each argument is
 * an input file, or a directory whose files are inputs; every input is
 * handed to LLVMFuzzerTestOneInput once, in name order, so a run is the
 * same on every machine. Built with the normal compiler and flags (and
 * ASan/UBSan under SANITIZE=1), so that make check replays the seed
 * corpora and every reproducer in tests/fuzz/regress/ on each run: a
 * target aborts on what it finds, and so does this.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_BYTES	(16u << 20)	/* one input, at most */

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as in libFuzzer. */
int	LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char *prog = "replay";

/*
 * Under ASan (SANITIZE=1), one allocation over the fuzzer's limit
 * (make fuzz's FUZZ_RSS_MB, which libFuzzer applies to each malloc)
 * fails a replay as it failed the fuzzer: an allocation bomb must not
 * pass here only because the machine lends the address space. Unused
 * without ASan.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "max_allocation_size_mb=2048";
}

/* Read path whole and run it; -1 (said on stderr) if it cannot be read. */
static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t n;

	if (f == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((uint64_t)st.st_size > REPLAY_MAX_BYTES) {
		fprintf(stderr, "%s: %s: larger than 16 MiB\n", prog, path);
		fclose(f);
		return -1;
	}
	/* libFuzzer hands over a buffer of exactly size bytes: so do we. */
	n = (size_t)st.st_size;
	if ((data = malloc(n ? n : 1)) == NULL || fread(data, 1, n, f) != n) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, data == NULL ?
		    "out of memory" : "short read");
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Run every regular file of dir (not below); the count, or -1. */
static int
run_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	struct stat st;
	int n, count = 0, rc = 0;

	if ((n = scandir(dir, &ents, NULL, by_name)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && rc == 0 &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name) < sizeof(path) && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (run_file(path) == -1)
				rc = -1;
			else
				count++;
		}
		free(ents[i]);
	}
	free(ents);
	return rc == -1 ? -1 : count;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int total = 0, n;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');
		prog = slash ? slash + 1 : argv[0];
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", prog);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[i],
			    strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) :
		    run_file(argv[i]) == 0 ? 1 : -1;
		if (n == -1)
			return 1;
		total += n;
	}
	/* Nothing replayed is a broken corpus, not a pass. */
	if (total == 0) {
		fprintf(stderr, "%s: no inputs in", prog);
		for (int i = 1; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		return 1;
	}
	printf("%s: %d inputs replayed\n", prog, total);
	return 0;
}
