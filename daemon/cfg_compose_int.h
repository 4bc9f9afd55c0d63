/*
 * cfg_compose_int.h: what cfg_compose.c and cfg_choices.c share, the
 * state of one composition; private to the two.
 */
#ifndef HYCO_CFG_COMPOSE_INT_H
#define HYCO_CFG_COMPOSE_INT_H

#include <limits.h>
#include <string.h>

#include "cfg_int.h"

#define COMPOSE_MAX_DEPTH	16	/* defaults lists nested this deep */
#define COMPOSE_MAX_CONFIGS	1024	/* configs in one composition */
#define COMPOSE_MAX_CHOICES	256	/* group choices and overrides */

/* A config read from the folder (Hydra's repository), kept once. */
struct loaded {
	char		*path;		/* config path: "db/mysql" */
	char		*file;		/* the file: "conf/db/mysql.yaml" */
	bool		 missing;	/* no such file */
	struct cfg_node	*cfg;		/* its keys, defaults taken out */
	struct cfg_dflt	**defaults;	/* its defaults list */
	size_t		 ndefaults;
	char		*header;	/* its "# @package", or NULL */
	struct loaded	*next;
};

/* A group's choice: from the command line or an override entry. */
struct choice {
	char		*key;		/* group[@package] */
	struct cfg_dflt	*value;		/* name or options to take */
	bool		 used, external;
	char		*where;		/* the config holding the override */
};

/* A node of the defaults tree; no kids: a leaf. */
struct dtree {
	struct cfg_dflt	*node;
	struct dtree	*parent;
	struct dtree	**kids;
	size_t		 nkids;
	bool		 deferred;	/* an interpolation, resolved last */
};

/* One config of the final list, and where its keys go. */
struct result {
	char		*path;
	char		*package;
	char		*key;		/* its override key, or NULL */
};

struct comp {
	char		 repo[PATH_MAX];	/* the primary's folder */
	struct loaded	*cache;
	struct choice	 choices[COMPOSE_MAX_CHOICES];
	size_t		 nchoices;
	struct choice	 deletions[COMPOSE_MAX_CHOICES];
	size_t		 ndeletions;
	struct cfg_dflt	*appends[COMPOSE_MAX_CHOICES];
	size_t		 nappends;
	struct choice	 known[COMPOSE_MAX_CONFIGS];
	size_t		 nknown;
	struct result	 results[COMPOSE_MAX_CONFIGS];
	size_t		 nresults;
	int		 depth;
	/* The files being expanded, outermost first: a cycle is named. */
	const char	*chain[COMPOSE_MAX_DEPTH + 1];
	struct cfg_errors *e, *warn;
};

/* A group of Hydra's own: skipped, its keys would only reach hydra.*. */
static inline bool
cfg__hydras(const char *group_path)
{
	return strcmp(group_path, "hydra") == 0 ||
	    strncmp(group_path, "hydra/", 6) == 0;
}

/* cfg_compose.c */
/* True if group is a folder of the config folder: a group of configs. */
bool		 cfg__compose_is_dir(const struct comp *c, const char *group);

/* cfg_choices.c */
struct choice	*cfg__choice_find(struct choice *list, size_t n,
		    const char *key);
/* A copy of value as the choice for key in list[*n]. -1 if full. */
int		 cfg__choice_add(struct comp *c, struct choice *list, size_t *n,
		    const char *key, const struct cfg_dflt *value, bool external,
		    const char *where);
/* The option of a choice into d (a name, a list, or null). */
void		 cfg__choice_take(struct cfg_dflt *d, const struct cfg_dflt *v);
/*
 * One command-line argument: 1 if it chose, appended or deleted a
 * group (or was Hydra's own), 0 if it is a config override, -1 on
 * error.
 */
int		 cfg__choice_external(struct comp *c, const char *arg);
/* set_known_choice: -1 (reported) if d's group takes a second option. */
int		 cfg__choice_known(struct comp *c, struct cfg_dflt *d);
/* The interpolation val of entry d, resolved; NULL (reported) if none. */
char		*cfg__choice_resolve(struct comp *c, const struct cfg_dflt *d,
		    const char *val, struct cfg_dflt *const *list, size_t n);
/* ensure_overrides_used, ensure_deletions_used: -1 (reported) if not. */
int		 cfg__choices_used(struct comp *c);

#endif
