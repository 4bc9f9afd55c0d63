/*
 * cfg_compose.c: a primary config composed as Hydra 1.3.2 composes it.
 *
 * The defaults tree is built as hydra/_internal/defaults_list.py
 * builds it: each config's list in reverse order, overrides gathered
 * from the whole tree (the first seen wins, so the primary's and the
 * command line's win over nested ones) before the entries they change
 * are expanded, multi-select lists into one config each, _self_ last
 * where it is missing, optional entries whose file is missing left
 * out. The tree walked depth first gives the list of configs, each
 * merged at its package in turn (config_loader_impl.py
 * _compose_config_from_defaults_list).
 *
 * What hycod cannot see it leaves out with a warning: Hydra's own
 * groups (hydra/..., and override hydra/... entries: their keys only
 * reach hydra.*, which the job config has not), a group left ??? that
 * the command line does not choose (Hydra's skip_missing), and an
 * entry found in no file (one the app puts in Hydra's ConfigStore).
 * Each config file is read once.
 */
#include "cfg_compose_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* -- the folder --------------------------------------------------------- */

/* The whole file, or NULL; *missing if there is no such file. */
static char *
read_file(const char *path, bool *missing, size_t *len,
    struct cfg_errors *e, const char *from_file, int from_line)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	*missing = f == NULL && errno == ENOENT;
	if (f == NULL) {
		if (!*missing)
			cfg_errorf(e, from_file, from_line, "cannot open %s: %s",
			    path, strerror(errno));
		return NULL;
	}
	buf = cfg__calloc(1, CFG_MAX_FILE_BYTES + 1);
	n = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
	if (ferror(f) || n > CFG_MAX_FILE_BYTES) {
		cfg_errorf(e, from_file, from_line, "cannot read %s: %s", path,
		    ferror(f) ? strerror(errno) : "file larger than 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * The config at path (as Hydra names it, no .yaml) read once: NULL on
 * an error (reported), else an entry that may say it is missing.
 */
static struct loaded *
load(struct comp *c, const char *path, const char *file,
    const char *from_file, int from_line)
{
	struct loaded *l;
	struct cfg_node *defaults;
	char *text, *fp;
	size_t len;
	int errors = c->e->count;

	for (l = c->cache; l != NULL; l = l->next)
		if (strcmp(l->path, path) == 0)
			return l;
	if (file != NULL)
		fp = cfg__strdup(file);
	else {
		size_t pl = strlen(path);
		bool ext = pl >= 5 && strcmp(path + pl - 5, ".yaml") == 0;
		if (asprintf(&fp, "%s/%s%s", c->repo, path, ext ? "" :
		    ".yaml") == -1)
			abort();
	}
	l = cfg__calloc(1, sizeof(*l));
	l->path = cfg__strdup(path);
	l->file = fp;
	if ((text = read_file(fp, &l->missing, &len, c->e, from_file,
	    from_line)) == NULL)
		goto out;
	if (cfg__package_header(text, fp, &l->header, c->e) == 0)
		l->cfg = cfg_parse(text, len, fp, c->e);
	free(text);
	if (l->cfg != NULL && l->cfg->type != CFG_MAP) {
		cfg_errorf(c->e, fp, l->cfg->line, "top level must be a mapping");
		cfg_free(l->cfg);
		l->cfg = NULL;
	}
	if (l->cfg != NULL && (defaults = cfg__map_find(l->cfg, CFG_TYPE_STR,
	    "defaults")) != NULL) {
		cfg__unlink(defaults);
		cfg__dflt_parse(defaults, fp, &l->defaults, &l->ndefaults, c->e);
		cfg_free(defaults);
	}
out:
	l->next = c->cache;
	c->cache = l;
	return c->e->count > errors ? NULL : l;
}

bool
cfg__compose_is_dir(const struct comp *c, const char *group)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", c->repo, group);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* -- the defaults tree (defaults_list.py) -------------------------------- */

static void
tree_free(struct dtree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nkids; i++)
		tree_free(t->kids[i]);
	free(t->kids);
	cfg__dflt_free(t->node);
	free(t);
}

/*
 * _validate_self: at most one _self_; where a list with entries other
 * than overrides has none, it goes last.
 */
static int
validate_self(struct comp *c, const char *file, struct cfg_dflt ***list,
    size_t *n)
{
	bool self = false, non_override = false;

	for (size_t i = 0; i < *n; i++) {
		non_override |= !(*list)[i]->override;
		if (cfg__dflt_self((*list)[i])) {
			if (self) {
				cfg_errorf(c->e, file, (*list)[i]->line,
				    "defaults: _self_ twice");
				return -1;
			}
			self = true;
		}
	}
	if ((!self && non_override) || *n == 0) {
		struct cfg_dflt *d = cfg__calloc(1, sizeof(*d));
		d->path = cfg__strdup("_self_");
		d->file = cfg__strdup(file);
		*list = realloc(*list, (*n + 1) * sizeof(**list));
		if (*list == NULL)
			abort();
		(*list)[(*n)++] = d;
	}
	return 0;
}

/*
 * _update_overrides: overrides come after every other entry, and each
 * is kept where none was (first seen wins).
 */
static int
gather_overrides(struct comp *c, struct cfg_dflt **list, size_t n,
    const struct cfg_dflt *parent, const char *gpath, const char *ppkg,
    bool interpolated)
{
	const struct cfg_dflt *last = NULL;
	char *pcp = cfg__dflt_config_path(parent);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cfg_dflt *d = list[i];
		if (cfg__dflt_self(d))
			continue;
		cfg__dflt_parent(d, gpath, ppkg);
		if (last != NULL && !d->override && !d->external) {
			cfg_errorf(c->e, d->file, d->line, "defaults: override "
			    "'%s' is before '%s': overrides must be at the end "
			    "of the defaults list", last->group, d->is_group ?
			    d->group : d->path);
			rc = -1;
		}
		if (!d->is_group || !d->override)
			continue;
		if (interpolated) {
			cfg_errorf(c->e, d->file, d->line, "defaults: override "
			    "'%s' in a config chosen by an interpolation: not "
			    "allowed", d->group);
			rc = -1;
		}
		last = d;
		char *g = cfg__dflt_group_path(d), *key;
		if (!cfg__hydras(g)) {
			key = cfg__dflt_override_key(d);
			if (cfg__choice_find(c->choices, c->nchoices, key) ==
			    NULL)
				rc = cfg__choice_add(c, c->choices,
				    &c->nchoices, key, d, false, pcp);
			free(key);
		}
		free(g);
	}
	free(pcp);
	return rc;
}

static int expand(struct comp *c, struct dtree *root, bool is_root,
    bool interpolated);

/* A new leaf of root for d; expanded now unless deferred. */
static int
add_child(struct comp *c, struct dtree *root, struct dtree ***kids,
    size_t *n, struct cfg_dflt *d, bool deferred, bool interpolated)
{
	struct dtree *t = cfg__calloc(1, sizeof(*t));

	t->node = d;
	t->parent = root;
	t->deferred = deferred;
	*kids = realloc(*kids, (*n + 1) * sizeof(**kids));
	if (*kids == NULL)
		abort();
	(*kids)[(*n)++] = t;
	return deferred ? 0 : expand(c, t, false, interpolated);
}

/*
 * A file that lists itself, directly or through others, is a cycle:
 * an error naming the way round (file -> ... -> file), found at once
 * rather than at the depth limit.
 */
static int
in_chain(struct comp *c, const char *file, const struct cfg_dflt *entry)
{
	char way[1024];
	size_t o = 0;
	int from;

	for (from = 0; from < c->depth - 1; from++)
		if (strcmp(c->chain[from], file) == 0)
			break;
	if (from == c->depth - 1)
		return 0;
	way[0] = '\0';
	for (int i = from; i < c->depth - 1 && o < sizeof(way); i++)
		o += (size_t)snprintf(way + o, sizeof(way) - o, "%s -> ",
		    c->chain[i]);
	cfg_errorf(c->e, entry->file, entry->line, "defaults: a cycle: %s%s",
	    way, file);
	return -1;
}

/* _create_defaults_tree_impl for the config at root->node. */
static int
expand(struct comp *c, struct dtree *root, bool is_root, bool interpolated)
{
	struct cfg_dflt *parent = root->node, **list = NULL;
	struct dtree **kids = NULL;
	struct loaded *l = NULL;
	size_t n = 0, nkids = 0;
	char *path, *gpath, *ppkg;
	int rc = -1;

	if (++c->depth > COMPOSE_MAX_DEPTH) {
		cfg_errorf(c->e, parent->file, parent->line, "defaults nested "
		    "deeper than %d (a cycle?)", COMPOSE_MAX_DEPTH);
		c->depth--;
		return -1;
	}
	path = cfg__dflt_config_path(parent);
	const char *name = cfg__dflt_name(parent);
	bool missing_name = name != NULL && strcmp(name, "???") == 0;
	if (name != NULL && !missing_name &&
	    (l = load(c, path, NULL, parent->file, parent->line)) == NULL)
		goto out;
	if (l != NULL && !l->missing) {
		if (in_chain(c, l->file, parent) == -1)
			goto out;
		c->chain[c->depth - 1] = l->file;
		cfg__dflt_header(parent, l->header);
	}
	if (parent->is_group) {
		char *key = cfg__dflt_override_key(parent);
		struct choice *del = cfg__choice_find(c->deletions,
		    c->ndeletions, key);
		free(key);
		if (del != NULL && (del->value->name == NULL || (name != NULL &&
		    strcmp(del->value->name, name) == 0))) {
			del->used = true;
			parent->deleted = true;
			rc = 0;
			goto out;
		}
	}
	if (cfg__choice_known(c, parent) == -1)
		goto out;
	if (name == NULL) {
		rc = 0;
		goto out;
	}
	if (missing_name) {
		/* Hydra's skip_missing: left out, said so. */
		if (parent->is_group) {
			char *key = cfg__dflt_override_key(parent);
			cfg_errorf(c->warn, parent->file, parent->line, "defaults: "
			    "group %s is ??? and no %s=OPTION chose it: left out",
			    key, key);
			free(key);
			rc = 0;
		} else
			cfg_errorf(c->e, parent->file, parent->line, "defaults: "
			    "a config named ??? is not supported");
		goto out;
	}
	if (l->missing) {
		parent->deleted = true;
		rc = 0;
		if (!parent->optional)
			cfg_errorf(c->warn, parent->file, parent->line, "defaults: "
			    "%s is in no file of %s (in Hydra's ConfigStore?): left "
			    "out", path, c->repo);
		goto out;
	}
	list = cfg__calloc(l->ndefaults + 1, sizeof(*list));
	for (size_t i = 0; i < l->ndefaults; i++)
		list[n++] = cfg__dflt_copy(l->defaults[i]);
	if ((n > 0 || (is_root && c->nappends > 0)) &&
	    validate_self(c, l->file, &list, &n) == -1)
		goto out;
	if (is_root && c->nappends > 0) {
		/* +group=option entries go last, after _self_ if added. */
		if ((list = realloc(list, (n + c->nappends) * sizeof(*list))) ==
		    NULL)
			abort();
		for (size_t i = 0; i < c->nappends; i++)
			list[n++] = cfg__dflt_copy(c->appends[i]);
	}
	gpath = cfg__dflt_group_path(parent);
	ppkg = cfg__dflt_package(parent, true);
	if (gather_overrides(c, list, n, parent, gpath, ppkg, interpolated) ==
	    0)
		rc = 0;
	for (size_t i = n; rc == 0 && i-- > 0;) {
		struct cfg_dflt *d = list[i];
		if (cfg__dflt_self(d)) {
			char *own = parent->package ? cfg__strdup(parent->package) :
			    cfg__strdup(parent->header);
			cfg__dflt_parent(d, parent->pbase, own ? own : "");
			free(own);
			list[i] = NULL;
			add_child(c, root, &kids, &nkids, d, true, interpolated);
			kids[nkids - 1]->deferred = false;
			continue;
		}
		if (d->override)
			continue;
		cfg__dflt_parent(d, gpath, ppkg);
		char *g = cfg__dflt_group_path(d);
		bool hydra = cfg__hydras(g);
		free(g);
		if (hydra)
			continue;
		if (d->is_group) {
			char *key = cfg__dflt_override_key(d);
			struct choice *ch = cfg__choice_find(c->choices,
			    c->nchoices, key);
			free(key);
			if (ch != NULL) {
				cfg__choice_take(d, ch->value);
				ch->used = true;
			}
		}
		if (!d->is_options) {
			/* Interpolations wait for every other choice. */
			char *cp = cfg__dflt_config_path(d);
			bool interp = strstr(cp, "${") != NULL;
			free(cp);
			/* The list keeps d: interpolations may name it. */
			rc = add_child(c, root, &kids, &nkids, cfg__dflt_copy(d),
			    interp, interpolated);
			continue;
		}
		/* Multi-select: each option a config of the group, in order. */
		for (size_t j = d->noptions; rc == 0 && j-- > 0;) {
			struct cfg_dflt *o = cfg__calloc(1, sizeof(*o));
			if (strstr(d->options[j], "${") != NULL) {
				cfg_errorf(c->e, d->file, d->line, "defaults: "
				    "interpolation in an options list");
				rc = -1;
			}
			if (asprintf(&o->path, "%s/%s", d->group,
			    d->options[j]) == -1)
				abort();
			o->package = cfg__strdup(d->package);
			o->optional = d->optional;
			o->file = cfg__strdup(d->file);
			o->line = d->line;
			cfg__dflt_parent(o, gpath, ppkg);
			if (rc == 0)
				rc = add_child(c, root, &kids, &nkids, o, false,
				    interpolated);
			else
				cfg__dflt_free(o);
		}
	}
	/* The deferred interpolations, with the choices of all the rest. */
	for (size_t k = 0; rc == 0 && k < nkids; k++) {
		struct dtree *t = kids[k];
		struct cfg_dflt *d = t->node;
		char *v;
		if (!t->deferred)
			continue;
		t->deferred = false;
		if (d->is_group) {
			v = cfg__choice_resolve(c, d, d->name, list, n);
			if (v == NULL) {
				rc = -1;
				break;
			}
			free(d->name);
			d->name = v;
		} else {
			char *cp = cfg__dflt_config_path(d);
			v = cfg__choice_resolve(c, d, cp, list, n);
			free(cp);
			if (v == NULL) {
				rc = -1;
				break;
			}
			free(d->path);
			d->path = v;
		}
		rc = expand(c, t, false, true);
	}
	free(gpath);
	free(ppkg);
	/* Built last to first: put in order. */
	for (size_t i = 0; i < nkids / 2; i++) {
		struct dtree *t = kids[i];
		kids[i] = kids[nkids - 1 - i];
		kids[nkids - 1 - i] = t;
	}
	root->kids = kids;
	root->nkids = nkids;
	kids = NULL;
out:
	for (size_t i = 0; list != NULL && i < n; i++)
		cfg__dflt_free(list[i]);
	free(list);
	free(path);
	c->depth--;
	return rc;
}

/* -- the list of configs, merged ---------------------------------------- */

/* _create_result_default: node's config, or (_self_) its tree's. */
static int
collect(struct comp *c, struct dtree *tree, struct cfg_dflt *node)
{
	const struct cfg_dflt *owner = node;
	struct result *r;
	const char *name = cfg__dflt_name(node);

	if (node->deleted || name == NULL || strcmp(name, "???") == 0)
		return 0;
	if (cfg__dflt_self(node))
		owner = tree->node;
	if (c->nresults == COMPOSE_MAX_CONFIGS) {
		cfg_errorf(c->e, node->file, node->line, "more than %d configs "
		    "in one composition", COMPOSE_MAX_CONFIGS);
		return -1;
	}
	r = &c->results[c->nresults++];
	r->path = cfg__dflt_config_path(owner);
	r->package = cfg__dflt_package(owner, true);
	r->key = !cfg__dflt_self(node) && node->is_group ?
	    cfg__dflt_override_key(node) : NULL;
	/* ensure_no_duplicates_in_list */
	for (size_t i = 0; r->key != NULL && i + 1 < c->nresults; i++)
		if (c->results[i].key != NULL &&
		    strcmp(c->results[i].key, r->key) == 0) {
			cfg_errorf(c->e, node->file, node->line, "defaults: %s "
			    "appears more than once in the final defaults list",
			    r->key);
			return -1;
		}
	return 0;
}

/* _dfs_walk */
static int
walk(struct comp *c, struct dtree *t)
{
	if (t->nkids == 0)
		return collect(c, t->parent, t->node);
	for (size_t i = 0; i < t->nkids; i++) {
		struct dtree *k = t->kids[i];
		if ((k->nkids == 0 ? collect(c, t, k->node) : walk(c, k)) == -1)
			return -1;
	}
	return 0;
}

/*
 * Wrap n under the dotted package key; NULL if it has more than
 * CFG_MAX_DEPTH parts (n is freed then).
 */
static struct cfg_node *
wrap_package(struct cfg_node *n, const char *package, struct cfg_errors *e,
    const char *file)
{
	char *copy = cfg__strdup(package), *save = NULL, *seg;
	struct cfg_node *root = cfg__node_new(CFG_MAP, n->file, n->line), *at;
	int depth = 0;

	at = root;
	for (seg = strtok_r(copy, ".", &save); seg != NULL;
	    seg = strtok_r(NULL, ".", &save)) {
		if (++depth > CFG_MAX_DEPTH) {
			cfg_errorf(e, file, 1, "package '%.64s...' nested "
			    "deeper than %d levels", package, CFG_MAX_DEPTH);
			cfg_free(root);
			cfg_free(n);
			free(copy);
			return NULL;
		}
		struct cfg_node *m = cfg__node_new(CFG_MAP, n->file, n->line);
		m->key = cfg__strdup(seg);
		cfg__append(at, m);
		at = m;
	}
	free(copy);
	/* at is the innermost map: n's keys go into it. */
	cfg_merge(at, n);
	return root;
}

static void
comp_free(struct comp *c)
{
	while (c->cache != NULL) {
		struct loaded *l = c->cache;
		c->cache = l->next;
		for (size_t i = 0; i < l->ndefaults; i++)
			cfg__dflt_free(l->defaults[i]);
		free(l->defaults);
		cfg_free(l->cfg);
		free(l->path);
		free(l->file);
		free(l->header);
		free(l);
	}
	struct choice *lists[] = { c->choices, c->deletions, c->known };
	size_t counts[] = { c->nchoices, c->ndeletions, c->nknown };
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			free(lists[k][i].key);
			free(lists[k][i].where);
			cfg__dflt_free(lists[k][i].value);
		}
	for (size_t i = 0; i < c->nappends; i++)
		cfg__dflt_free(c->appends[i]);
	for (size_t i = 0; i < c->nresults; i++) {
		free(c->results[i].path);
		free(c->results[i].package);
		free(c->results[i].key);
	}
}

struct cfg_node *
cfg_compose(const char *path, const char *const *args, int nargs, bool *used,
    struct cfg_errors *e, struct cfg_errors *warn)
{
	struct comp *c = cfg__calloc(1, sizeof(*c));
	struct cfg_node *out = NULL;
	struct dtree *root = NULL;
	struct loaded *l;
	char name[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int errors = e->count;

	c->e = e;
	c->warn = warn;
	/* The primary's folder is where Hydra looks for everything. */
	snprintf(c->repo, sizeof(c->repo), "%.*s", slash ? (int)(slash - path) :
	    1, slash ? path : ".");
	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : path);
	size_t nl = strlen(name);
	if (nl > 5 && strcmp(name + nl - 5, ".yaml") == 0)
		name[nl - 5] = '\0';
	for (int i = 0; i < nargs; i++) {
		int rc = cfg__choice_external(c, args[i]);
		if (rc == -1)
			goto out;
		if (used != NULL && rc == 1)
			used[i] = true;
	}
	if ((l = load(c, name, path, NULL, 0)) == NULL)
		goto out;
	if (l->missing) {
		cfg_errorf(e, path, 0, "cannot open %s: %s", path,
		    strerror(ENOENT));
		goto out;
	}
	root = cfg__calloc(1, sizeof(*root));
	root->node = cfg__calloc(1, sizeof(*root->node));
	root->node->path = cfg__strdup(name);
	root->node->file = cfg__strdup(path);
	cfg__dflt_parent(root->node, "", "");
	if (expand(c, root, true, false) == -1 || walk(c, root) == -1 ||
	    cfg__choices_used(c) == -1)
		goto out;
	out = cfg__node_new(CFG_MAP, path, 1);
	for (size_t i = 0; i < c->nresults; i++) {
		struct result *r = &c->results[i];
		struct cfg_node *n;
		if ((l = load(c, r->path, NULL, path, 0)) == NULL ||
		    l->cfg == NULL)
			continue;
		n = cfg_copy(l->cfg);
		if (r->package[0] != '\0' &&
		    (n = wrap_package(n, r->package, e, l->file)) == NULL)
			continue;
		cfg_merge(out, n);
	}
out:
	tree_free(root);
	comp_free(c);
	free(c);
	if (e->count > errors) {
		cfg_free(out);
		return NULL;
	}
	return out;
}
