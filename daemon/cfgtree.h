/*
 * cfgtree.h: an OmegaConf/Hydra-compatible configuration tree.
 *
 * YAML files are parsed into a tree of maps, sequences and scalars that
 * remember file and line. Files are composed through Hydra `defaults:`
 * lists, merged in order (maps deeply, everything else replaced),
 * overridden by KEY=VALUE arguments, and finally `${...}` interpolations
 * are resolved against the whole tree. Every error is collected with
 * "file:line: message" so that all of them can be reported at once.
 */
#ifndef HYCO_CFGTREE_H
#define HYCO_CFGTREE_H

#include <stdbool.h>
#include <stdio.h>

enum cnode_type { CNODE_MAP, CNODE_SEQ, CNODE_SCALAR };

struct cnode {
	enum cnode_type	 type;
	char		*key;		/* key within the parent map, or NULL */
	char		*value;		/* scalar text; NULL for a YAML null */
	bool		 quoted;	/* quoted scalar: a string, never a number */
	int		 state;		/* interpolation state (cfgtree.c) */
	char		*file;
	int		 line;
	struct cnode	*parent;
	struct cnode	*child;		/* first child */
	struct cnode	*next;		/* next sibling */
};

#define CFG_MAX_ERRORS	64

struct cfg_errors {
	int	 count;
	char	*msg[CFG_MAX_ERRORS];
};

void	cfg_errorf(struct cfg_errors *e, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	cfg_errors_print(const struct cfg_errors *e, FILE *out);
void	cfg_errors_clear(struct cfg_errors *e);

/* Parse YAML text; name is used in messages. NULL on error. */
struct cnode	*cfgtree_parse(const char *text, size_t len, const char *name,
		    struct cfg_errors *e);
/* Load one file and compose its `defaults:` list, as Hydra does. */
struct cnode	*cfgtree_compose(const char *path, struct cfg_errors *e);
/* Merge src into dst (src is consumed). */
void		 cfgtree_merge(struct cnode *dst, struct cnode *src);
/*
 * Apply one Hydra-style override: KEY=VALUE changes an existing key,
 * +KEY=VALUE adds a new one, ++KEY=VALUE sets either way, ~KEY deletes.
 */
int		 cfgtree_override(struct cnode *root, const char *arg,
		    struct cfg_errors *e);
/* Resolve every ${...} in place. Returns -1 (and errors) on failure. */
int		 cfgtree_resolve(struct cnode *root, struct cfg_errors *e);
/* Look up a dotted key ("paths.cache_root"); NULL if absent. */
struct cnode	*cfgtree_get(struct cnode *root, const char *dotted);
/* Dotted key of a node into buf. */
void		 cfgtree_keypath(const struct cnode *n, char *buf, size_t size);
void		 cfgtree_print(FILE *out, const struct cnode *root);
void		 cfgtree_free(struct cnode *n);

#endif
