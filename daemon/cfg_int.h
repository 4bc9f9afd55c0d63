/*
 * cfg_int.h: node helpers shared by cfg_tree.c, cfg_compose.c and
 * cfg_interp.c; not for use outside the config tree.
 */
#ifndef HYCO_CFG_INT_H
#define HYCO_CFG_INT_H

#include "cfg_tree.h"

/* Allocation aborts: config loading happens at start-up only. */
void		*cfg__calloc(size_t n, size_t size);
char		*cfg__strdup(const char *s);

struct cfg_node	*cfg__node_new(enum cfg_node_type type, const char *file,
		    int line);
void		 cfg__append(struct cfg_node *parent, struct cfg_node *child);
void		 cfg__unlink(struct cfg_node *n);
/* Replace old by new in old's parent, keeping old's key. Frees old. */
void		 cfg__replace(struct cfg_node *old, struct cfg_node *new);
/* The child of a map by key, or of a sequence by index; NULL if none. */
struct cfg_node	*cfg__child(const struct cfg_node *n, const char *seg,
		    size_t len);

/*
 * Walk path (split in place at its dots) from root to the map or list
 * that holds its last part, and point *last at that part. Maps missing
 * on the way are made (named file, line) if make. NULL if the way is
 * blocked: *last is the part missing, or (*scalar true) the part that
 * is a scalar.
 */
struct cfg_node	*cfg__walk(struct cfg_node *root, char *path, bool make,
		    const char *file, int line, char **last, bool *scalar);
/* Put val (consumed) under key last of map at, replacing what was there. */
void		 cfg__place(struct cfg_node *at, const char *last,
		    struct cfg_node *val);

/*
 * True if a plain scalar with this text would not read back as a string
 * in some reader (PyYAML, OmegaConf, YAML 1.2): it must be quoted.
 */
bool		 cfg__ambiguous(const char *text);

#endif
