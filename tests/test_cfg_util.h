/* test_cfg_util.h: helpers shared by the config tree's unit tests. */
#ifndef HYCO_TEST_CFG_UTIL_H
#define HYCO_TEST_CFG_UTIL_H

#include <string.h>

#include "cfg_tree.h"

static inline struct cfg_node *
parse(const char *text, struct cfg_errors *e)
{
	return cfg_parse(text, strlen(text), "t.yaml", e);
}

/* A key's scalar text, NULL for a YAML null, "(missing)" if absent. */
static inline const char *
val(struct cfg_node *root, const char *key)
{
	struct cfg_node *n = cfg_get(root, key);
	return n != NULL ? n->value : "(missing)";
}

/* The first error message, or "" if none. */
static inline const char *
first_error(struct cfg_errors *e)
{
	return e->count > 0 ? e->msg[0] : "";
}

#endif
