/*
 * layout.h: the seed's cache tree as names and paths, no I/O.
 *
 *   tensor_root/<dataset>/
 *   pred_root[kind]/cycle_NNN/<dataset>/     NNN = f"{cycle:03d}"
 *   eval_root/<dataset>/
 */
#ifndef HYCO_LAYOUT_H
#define HYCO_LAYOUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define HYCO_DATASET_MAX	255	/* bytes in a dataset name (NAME_MAX) */
#define HYCO_CYCLE_MAX		999999L	/* largest cycle number accepted */

enum kind { KIND_SYNTHETIC, KIND_PHYSICAL, KIND_COUNT, KIND_ALL = KIND_COUNT };

enum category { CAT_TENSORS, CAT_GENERATED, CAT_EVAL, CAT_COUNT };

struct layout {
	char	cache_root[PATH_MAX];
	char	roots[CAT_COUNT][PATH_MAX];	/* by enum category */
	char	pred_root[KIND_COUNT][PATH_MAX];/* by enum kind */
	char	default_dataset[HYCO_DATASET_MAX + 1];
};

extern const char *const layout_kind_names[KIND_COUNT];
extern const char *const layout_category_names[CAT_COUNT];

/*
 * Dataset names become one path component: not empty, not "." or "..",
 * no leading '.', no '/', no NUL or control bytes, at most 255 bytes.
 * Returns true if valid; else *why says what is wrong.
 */
bool	layout_valid_dataset(const char *name, size_t len, const char **why);

/* "synthetic", "physical" (and "all" when allow_all); -1 if none. */
int	layout_parse_kind(const char *s, size_t len, bool allow_all);

/* Writes "cycle_%03ld"; returns -1 if cycle is outside 0..HYCO_CYCLE_MAX. */
int	layout_cycle_name(char *buf, size_t size, long cycle);

/* Inverse of layout_cycle_name: only the canonical spelling parses. */
int	layout_parse_cycle(const char *name, long *cycle);

/* pred_root[kind]/cycle_NNN[/dataset] into buf; -1 if it does not fit. */
int	layout_cycle_dir(const struct layout *l, enum kind kind, long cycle,
	    const char *dataset, char *buf, size_t size);

/*
 * Make path absolute against cwd and normalize it lexically (no ".",
 * "..", empty components or trailing '/'). Returns -1 if too long.
 */
int	layout_absolute(const char *cwd, const char *path, char *out, size_t size);

/* True if path is strictly below root (both normalized, absolute). */
bool	layout_is_inside(const char *root, const char *path);

#endif
