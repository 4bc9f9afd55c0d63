/*
 * fuzz_config.c: the config loader as hycod runs it (config_load: parse,
 * Hydra composition, layering, overrides, interpolation, checks), then
 * --print-config's cfg_print, whose output must read back as the same
 * tree: same shape, keys, values and types (cfg_scalar_type).
 *
 * Input: text in sections. The first is the primary config,
 * /fuzz/main.yaml. A line "#@ NAME" starts the file /fuzz/NAME (for
 * defaults lists: "#@ data/burgers_128.yaml"); "#@c NAME" loads
 * /fuzz/NAME after the primary, as a further -c; "#@= ARG" is a
 * command-line override (KEY=VALUE, +KEY=VALUE, ~KEY). Such lines are
 * YAML comments, so a mutated input stays YAML. Files live in memory:
 * fopen is wrapped (-Wl,--wrap=fopen) and answers paths under /fuzz/
 * from the input, any other from the disk (libFuzzer's own).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define VROOT		"/fuzz/"
#define PRIMARY		VROOT "main.yaml"
#define MAX_FILES	16	/* as hycod's MAX_CONFIG_FILES */
#define MAX_OVERRIDES	64	/* as hycod's MAX_OVERRIDES */
#define MAX_VFILES	32

struct vfile {
	char		 path[256];
	const char	*text;
	size_t		 len;
};

static struct vfile vfiles[MAX_VFILES];
static int nvfiles;

FILE	*__real_fopen(const char *path, const char *mode);
FILE	*__wrap_fopen(const char *path, const char *mode);

FILE *
__wrap_fopen(const char *path, const char *mode)
{
	if (strncmp(path, VROOT, strlen(VROOT)) != 0)
		return __real_fopen(path, mode);
	for (int i = 0; i < nvfiles; i++) {
		if (strcmp(vfiles[i].path, path) != 0)
			continue;
		/* fmemopen refuses an empty buffer: an empty file is /dev/null. */
		if (vfiles[i].len == 0)
			return __real_fopen("/dev/null", mode);
		return fmemopen((void *)vfiles[i].text, vfiles[i].len, mode);
	}
	errno = ENOENT;
	return NULL;
}

#define CHECK(cond, what) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_config: %s: %s\n", what, #cond);	\
		abort();						\
	}								\
} while (0)

/*
 * a and b are the same tree: printing must not change a value, its
 * type as a YAML reader sees it, a key or the shape.
 */
static void
same_tree(const struct cfg_node *a, const struct cfg_node *b)
{
	char key[256];

	cfg_keypath(a, key, sizeof(key));
	if (a->type != b->type || (a->key == NULL) != (b->key == NULL) ||
	    (a->key != NULL && strcmp(a->key, b->key) != 0)) {
		fprintf(stderr, "fuzz_config: %s: printed as another node\n",
		    key);
		abort();
	}
	if (a->type == CFG_SCALAR) {
		if ((a->value == NULL) != (b->value == NULL) ||
		    (a->value != NULL && strcmp(a->value, b->value) != 0) ||
		    cfg_scalar_type(a) != cfg_scalar_type(b)) {
			fprintf(stderr, "fuzz_config: %s: '%s' (type %d) read "
			    "back as '%s' (type %d)\n", key, a->value ?
			    a->value : "(null)", cfg_scalar_type(a), b->value ?
			    b->value : "(null)", cfg_scalar_type(b));
			abort();
		}
		return;
	}
	for (a = a->child, b = b->child; a != NULL || b != NULL;
	    a = a->next, b = b->next) {
		CHECK(a != NULL && b != NULL, key);
		same_tree(a, b);
	}
}

/* --print-config, read back. */
static void
print_and_read_back(const struct cfg_node *tree)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *back;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	CHECK(out != NULL, "open_memstream");
	rc = cfg_print(out, tree, &e);
	fclose(out);
	/* Refused (text that is not UTF-8): said, and nothing to read. */
	if (rc == -1) {
		CHECK(e.count > 0, "cfg_print failed silently");
		cfg_errors_clear(&e);
		free(text);
		return;
	}
	back = cfg_parse(text, len, "printed", &e);
	if (back == NULL) {
		fprintf(stderr, "fuzz_config: the printed config does not "
		    "parse: %s\n---\n%s---\n", e.count ? e.msg[0] : "?", text);
		abort();
	}
	same_tree(tree, back);
	cfg_free(back);
	free(text);
}

/* A section header's name: "#@ NAME" and "#@c NAME" into buf. */
static int
vpath(const char *name, size_t len, char *buf, size_t size)
{
	while (len > 0 && (name[0] == ' ' || name[0] == '\t')) {
		name++;
		len--;
	}
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(name, '\0', len) != NULL ||
	    (size_t)snprintf(buf, size, VROOT "%.*s", (int)len, name) >= size)
		return -1;
	return 0;
}

static void
add_vfile(const char *path, const char *text, size_t len)
{
	if (nvfiles == MAX_VFILES)
		return;
	snprintf(vfiles[nvfiles].path, sizeof(vfiles[0].path), "%s", path);
	vfiles[nvfiles].text = text;
	vfiles[nvfiles].len = len;
	nvfiles++;
}

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* What ${oc.env:...} finds: the same on every run. */
	setenv("HYCO_FUZZ_ROOT", "/srv/hyco", 1);
	setenv("HYCO_FUZZ_EMPTY", "", 1);
	unsetenv("HYCO_FUZZ_UNSET");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *files[MAX_FILES], *overrides[MAX_OVERRIDES];
	static char paths[MAX_FILES][256];
	struct cfg_errors e = { 0 };
	struct hyco_config cfg;
	int nfiles = 1, noverrides = 0;
	char *text, *args, *arg, *p, *end, *start, path[256];

	/* The files' text, and a copy the overrides are cut from. */
	text = malloc(size + 1);
	arg = args = malloc(size + 1);
	if (text == NULL || args == NULL) {
		free(text);
		free(args);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	end = text + size;
	nvfiles = 0;
	files[0] = PRIMARY;

	/* Split into sections at "#@" lines. */
	snprintf(path, sizeof(path), "%s", PRIMARY);
	start = text;
	for (p = text; p < end; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *next = nl ? nl + 1 : end;
		size_t llen = (size_t)((nl ? nl : end) - p);
		if (llen < 2 || p[0] != '#' || p[1] != '@') {
			p = next;
			continue;
		}
		if (llen >= 3 && p[2] == '=') {
			/* An override: the rest of the line. */
			if (noverrides < MAX_OVERRIDES) {
				size_t skip = 3;
				while (skip < llen && p[skip] == ' ')
					skip++;
				memcpy(arg, p + skip, llen - skip);
				arg[llen - skip] = '\0';
				overrides[noverrides++] = arg;
				arg += llen - skip + 1;
			}
			p = next;
			continue;
		}
		if (llen >= 3 && p[2] == 'c') {
			if (nfiles < MAX_FILES && vpath(p + 3, llen - 3,
			    paths[nfiles], sizeof(paths[0])) == 0) {
				files[nfiles] = paths[nfiles];
				nfiles++;
			}
			p = next;
			continue;
		}
		/* A new file: the one before ends here. */
		add_vfile(path, start, (size_t)(p - start));
		if (vpath(p + 2, llen - 2, path, sizeof(path)) == -1)
			snprintf(path, sizeof(path), VROOT ".ignored");
		start = p = next;
	}
	add_vfile(path, start, (size_t)(end - start));

	if (config_load(&cfg, files, nfiles, overrides, noverrides, &e) == 0) {
		CHECK(e.count == 0, "config loaded with errors");
		print_and_read_back(cfg.tree);
		config_free(&cfg);
	} else {
		FILE *null = __real_fopen("/dev/null", "w");
		CHECK(e.count > 0, "config refused without an error");
		cfg_errors_print(&e, null);
		fclose(null);
	}
	cfg_errors_clear(&e);
	free(args);
	free(text);
	return 0;
}
