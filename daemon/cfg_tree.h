/*
 * cfg_tree.h: an OmegaConf/Hydra-compatible configuration tree.
 *
 * YAML files are parsed into a tree of maps, sequences and scalars that
 * remember file and line and type each scalar and key as OmegaConf's
 * loader does (cfg_parse.c, cfg_type.c). Files are composed through
 * Hydra `defaults:` lists and overridden by KEY=VALUE arguments
 * (cfg_compose.c, cfg_defaults.c), merged in order as OmegaConf.merge
 * does, and finally `${...}` interpolations are resolved against the
 * whole tree into a new one, as OmegaConf.to_container(resolve=True)
 * does (cfg_interp.c, cfg_grammar.c, cfg_resolvers.c). Every error is
 * collected as "file:line: message" so that all of them can be
 * reported at once. The reference is Debian 12's python3-omegaconf
 * 2.2.2 with PyYAML 6.0, and Hydra 1.3.2 for composition.
 */
#ifndef HYCO_CFG_TREE_H
#define HYCO_CFG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

enum cfg_node_type { CFG_MAP, CFG_SEQ, CFG_SCALAR };

/* The types OmegaConf's YAML loader gives a scalar (and a key). */
enum cfg_type {
	CFG_TYPE_NULL, CFG_TYPE_BOOL, CFG_TYPE_INT, CFG_TYPE_FLOAT, CFG_TYPE_STR
};

struct cfg_node {
	enum cfg_node_type type;
	/*
	 * A scalar's type. value is its text: for a string the string, for
	 * the others YAML that reads back as the same value (the text of
	 * the file where it was plain, else a canonical form); NULL for
	 * null.
	 */
	enum cfg_type	 vtype;
	char		*value;
	bool		 plain;		/* a string written plain in its file */
	/*
	 * The key within the parent map (NULL in a list and at the root)
	 * and its type: a key is typed like a value (1: is the int 1), and
	 * a key that is not a string is kept as Python's str() of it
	 * ("1", "2.5", "True").
	 */
	enum cfg_type	 ktype;
	char		*key;
	bool		 kplain;	/* a string key written plain */
	bool		 unresolved;	/* an interpolation left as its text */
	void		*rs;		/* resolution state (cfg_interp.c) */
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

/* cfg_parse.c */
/*
 * Parse YAML text as OmegaConf.load does (its loader's types, tags,
 * << merge keys, duplicate and null keys refused); name is used in
 * messages. NULL on error.
 */
struct cfg_node	*cfg_parse(const char *text, size_t len, const char *name,
		    struct cfg_errors *e);

/* cfg_tree.c */
/*
 * Merge src into dst (src is consumed) as OmegaConf.merge does: maps
 * deeply, anything else replaced, except that a ??? never replaces a
 * value.
 */
void		 cfg_merge(struct cfg_node *dst, struct cfg_node *src);
/* Look up a dotted key ("paths.cache_root"); NULL if absent. */
struct cfg_node	*cfg_get(struct cfg_node *root, const char *dotted);
/*
 * Set the scalar at a dotted key to value (NULL: a YAML null; typed as
 * a plain YAML scalar unless quoted), making the maps on the way; the
 * node names file and line. -1 if a part of the way is not a map.
 */
int		 cfg_set(struct cfg_node *root, const char *dotted,
		    const char *value, bool quoted, const char *file, int line);
/* Dotted key of a node into buf. */
void		 cfg_keypath(const struct cfg_node *n, char *buf, size_t size);
/* A deep copy of n, detached (no parent, no sibling). */
struct cfg_node	*cfg_copy(const struct cfg_node *n);
void		 cfg_free(struct cfg_node *n);

/* cfg_print.c */
/*
 * Print a tree as YAML that PyYAML and OmegaConf read back as the same
 * values and keys. -1 with the reason in e (text that is not UTF-8, a
 * write error); out may then hold part of the tree.
 */
int		 cfg_print(FILE *out, const struct cfg_node *root,
		    struct cfg_errors *e);

/* cfg_type.c */
struct cfg_value {
	enum cfg_type	 type;
	bool		 b;	/* CFG_TYPE_BOOL */
	long long	 i;	/* CFG_TYPE_INT */
	double		 f;	/* CFG_TYPE_FLOAT */
	const char	*s;	/* the node's text (NULL for null), any type */
};

/* A scalar's type (n->vtype). */
enum cfg_type	 cfg_scalar_type(const struct cfg_node *n);
/*
 * The scalar n typed and converted into *v. -1 with errno EINVAL if n
 * is not a scalar, ERANGE if an integer does not fit a long long
 * (v->type is still CFG_TYPE_INT), ENOMEM.
 */
int		 cfg_scalar_value(const struct cfg_node *n, struct cfg_value *v);

/* cfg_compose.c */
/*
 * Compose path as Hydra composes a primary config: its defaults list
 * and its groups', Hydra's own groups skipped. Of args (KEY=VALUE as
 * Hydra's command line takes them), those that choose, add or delete a
 * group of path's folder (db=mysql, server/site=[a,b], db@src=x, +g=o,
 * ~g) are taken here and marked in used[] (if not NULL), as are
 * Hydra's own (hydra.run.dir=..., hydra/launcher=...); the rest are
 * for cfg_override. A group left ??? and an entry found in no file (a
 * ConfigStore's) are warnings in warn. NULL on error.
 */
struct cfg_node	*cfg_compose(const char *path, const char *const *args,
		    int nargs, bool *used, struct cfg_errors *e,
		    struct cfg_errors *warn);

/* cfg_override.c */
/*
 * Apply one Hydra-style override: KEY=VALUE changes an existing key,
 * +KEY=VALUE adds a new one, ++KEY=VALUE sets either way, ~KEY deletes.
 */
int		 cfg_override(struct cfg_node *root, const char *arg,
		    struct cfg_errors *e);

/* cfg_interp.c */
struct cfg_resolve_opts {
	/*
	 * Dotted keys whose value must resolve: any failure there, or in a
	 * map or list above them, is an error naming the chain.
	 */
	const char *const *strict;
	size_t		 nstrict;
	/*
	 * A failure OmegaConf would raise (a missing key, a cycle, bad
	 * grammar) is an error anywhere, not a warning; a value that needs
	 * a resolver hycod does not know is a warning still.
	 */
	bool		 all_strict;
	time_t		 now;	/* Hydra's ${now:...}; 0: the current time */
};

/*
 * The tree with every ${...} resolved, as OmegaConf.to_container(cfg,
 * resolve=True) makes it; a new tree. A value that cannot be resolved
 * is kept as its text (unresolved set) with a warning in warn, unless
 * opts make it an error (in e). NULL if there was any error.
 */
struct cfg_node	*cfg_resolve(struct cfg_node *root,
		    const struct cfg_resolve_opts *opts, struct cfg_errors *e,
		    struct cfg_errors *warn);

#endif
