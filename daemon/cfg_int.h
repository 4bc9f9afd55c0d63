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
 * True if a plain scalar with this text would not read back as a string
 * in some reader (PyYAML, OmegaConf, YAML 1.2): it must be quoted.
 */
bool		 cfg__ambiguous(const char *text);

#endif
