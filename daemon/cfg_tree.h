/*
 * cfg_tree.h: an OmegaConf/Hydra-compatible configuration tree.
 *
 * YAML files are parsed into a tree of maps, sequences and scalars that
 * remember file and line (cfg_tree.c). Files are composed through Hydra
 * `defaults:` lists and overridden by KEY=VALUE arguments
 * (cfg_compose.c), merged in order (maps deeply, everything else
 * replaced), and finally `${...}` interpolations are resolved against
 * the whole tree (cfg_interp.c). Every error is collected as
 * "file:line: message" so that all of them can be reported at once.
 */
#ifndef HYCO_CFG_TREE_H
#define HYCO_CFG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cfg_node_type { CFG_MAP, CFG_SEQ, CFG_SCALAR };

struct cfg_node {
	enum cfg_node_type type;
	char		*key;		/* key within the parent map, or NULL */
	char		*value;		/* scalar text; NULL for a YAML null */
	bool		 quoted;	/* quoted scalar: a string, never a number */
	int		 state;		/* interpolation state (cfg_interp.c) */
	char		*file;
	int		 line;
	struct cfg_node	*parent;
	struct cfg_node	*child;		/* first child */
	struct cfg_node	*next;		/* next sibling */
};

#define CFG_MAX_ERRORS		64
#define CFG_MAX_DEPTH		64	/* maps and lists nested in a file */
#define CFG_MAX_ALIAS_NODES	10000	/* nodes aliases copy, per file */
#define CFG_MAX_FILE_BYTES	(1 << 20)	/* in one config file */

struct cfg_errors {
	int	 count;
	char	*msg[CFG_MAX_ERRORS];
};

void	cfg_errorf(struct cfg_errors *e, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	cfg_errors_print(const struct cfg_errors *e, FILE *out);
void	cfg_errors_clear(struct cfg_errors *e);

/* cfg_tree.c */
/* Parse YAML text; name is used in messages. NULL on error. */
struct cfg_node	*cfg_parse(const char *text, size_t len, const char *name,
		    struct cfg_errors *e);
/* Merge src into dst (src is consumed). */
void		 cfg_merge(struct cfg_node *dst, struct cfg_node *src);
/* Look up a dotted key ("paths.cache_root"); NULL if absent. */
struct cfg_node	*cfg_get(struct cfg_node *root, const char *dotted);
/*
 * Set the scalar at a dotted key to value (NULL: a YAML null), making
 * the maps on the way; the node names file and line. -1 if a part of
 * the way is not a map.
 */
int		 cfg_set(struct cfg_node *root, const char *dotted,
		    const char *value, bool quoted, const char *file, int line);
/* Dotted key of a node into buf. */
void		 cfg_keypath(const struct cfg_node *n, char *buf, size_t size);
/*
 * Print a tree as YAML that PyYAML and OmegaConf read back as the same
 * values. -1 with the reason in e (text that is not UTF-8, a write
 * error); out may then hold part of the tree.
 */
int		 cfg_print(FILE *out, const struct cfg_node *root,
		    struct cfg_errors *e);
void		 cfg_free(struct cfg_node *n);

/* cfg_type.c */
/* The types a YAML 1.1 reader (PyYAML, OmegaConf) gives a scalar. */
enum cfg_type {
	CFG_TYPE_NULL, CFG_TYPE_BOOL, CFG_TYPE_INT, CFG_TYPE_FLOAT, CFG_TYPE_STR
};

struct cfg_value {
	enum cfg_type	 type;
	bool		 b;	/* CFG_TYPE_BOOL */
	long long	 i;	/* CFG_TYPE_INT */
	double		 f;	/* CFG_TYPE_FLOAT */
	const char	*s;	/* the node's text (NULL for null), any type */
};

/*
 * A scalar's type from its text and whether it was quoted (or tagged
 * !!str), by YAML 1.1's implicit rules as PyYAML applies them: null
 * (~, null, empty), bool (yes/no, true/false, on/off in three cases),
 * int (0b, 0 octal, decimal, 0x, base 60 like 1:30, '_' separators),
 * float (1.5, 1.5e+3, .5, 1:30.5, .inf, .nan), else string. A date is
 * a string, as OmegaConf has it; so are y and n, as in PyYAML.
 */
enum cfg_type	 cfg_scalar_type(const struct cfg_node *n);
/*
 * The scalar n typed and converted into *v. -1 with errno EINVAL if n
 * is not a scalar, ERANGE if an integer does not fit a long long
 * (v->type is still CFG_TYPE_INT), ENOMEM.
 */
int		 cfg_scalar_value(const struct cfg_node *n, struct cfg_value *v);

/* cfg_compose.c */
/* Load one file and compose its `defaults:` list, as Hydra does. */
struct cfg_node	*cfg_compose(const char *path, struct cfg_errors *e);
/*
 * Apply one Hydra-style override: KEY=VALUE changes an existing key,
 * +KEY=VALUE adds a new one, ++KEY=VALUE sets either way, ~KEY deletes.
 */
int		 cfg_override(struct cfg_node *root, const char *arg,
		    struct cfg_errors *e);

/* cfg_interp.c */
/* Resolve every ${...} in place. Returns -1 (and errors) on failure. */
int		 cfg_resolve(struct cfg_node *root, struct cfg_errors *e);

#endif
