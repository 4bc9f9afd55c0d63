/*
 * cfg_defaults.c: Hydra's defaults list entries, their paths and
 * packages.
 *
 * Hydra 1.3.2 reads each item of a defaults list into an InputDefault
 * (hydra/_internal/config_repository.py _create_defaults_list): a
 * string is a config (ConfigDefault: "db/mysql", "/abs", "x@pkg",
 * "_self_"), a one-key map a group's choice (GroupDefault: "[optional
 * |override ]group[@pkg]: option", a list of options, or null). Where
 * the config lives and where its keys land follow from the entry and
 * its parent (hydra/core/default_element.py): a group or path relative
 * to the parent's group, a package relative to the parent's, cut after
 * the last _global_, @_here_ the parent's own, a "# @package" header
 * absolute (plugins/config_source.py _get_header_dict: the first 512
 * characters, blank lines skipped, stopping at the first line that is
 * not "# @key value").
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_BYTES	512	/* of a file, read for its header */

static char *
joined(const char *a, const char *sep, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, sep, b) == -1)
		abort();
	return s;
}

void
cfg__dflt_free(struct cfg_dflt *d)
{
	if (d == NULL)
		return;
	free(d->path);
	free(d->group);
	free(d->name);
	for (size_t i = 0; i < d->noptions; i++)
		free(d->options[i]);
	free(d->options);
	free(d->package);
	free(d->header);
	free(d->pbase);
	free(d->ppkg);
	free(d->file);
	free(d);
}

struct cfg_dflt *
cfg__dflt_copy(const struct cfg_dflt *d)
{
	struct cfg_dflt *c = cfg__calloc(1, sizeof(*c));

	*c = *d;
	c->path = cfg__strdup(d->path);
	c->group = cfg__strdup(d->group);
	c->name = cfg__strdup(d->name);
	c->options = d->noptions ? cfg__calloc(d->noptions, sizeof(char *)) :
	    NULL;
	for (size_t i = 0; i < d->noptions; i++)
		c->options[i] = cfg__strdup(d->options[i]);
	c->package = cfg__strdup(d->package);
	c->header = cfg__strdup(d->header);
	c->pbase = cfg__strdup(d->pbase);
	c->ppkg = cfg__strdup(d->ppkg);
	c->file = cfg__strdup(d->file);
	return c;
}

/* "group@package": the package part into *pkg (NULL if none). */
static char *
split_group(const char *s, char **pkg)
{
	const char *at = strchr(s, '@');

	*pkg = NULL;
	if (at == NULL)
		return cfg__strdup(s);
	/* "@pkg:rename" (Hydra 1.0) keeps pkg; the rename is ignored. */
	*pkg = strndup(at + 1, strcspn(at + 1, ":"));
	if (*pkg == NULL)
		abort();
	/* @_here_ is the containing config's own package. */
	if (strcmp(*pkg, "_here_") == 0)
		(*pkg)[0] = '\0';
	return strndup(s, (size_t)(at - s));
}

/* A string value of a defaults item, or NULL for null; -1 if neither. */
static int
item_string(const struct cfg_node *n, char **out)
{
	*out = NULL;
	if (n->type != CFG_SCALAR)
		return -1;
	if (n->vtype == CFG_TYPE_NULL)
		return 0;
	if (n->vtype != CFG_TYPE_STR)
		return -1;
	*out = cfg__strdup(n->value);
	return 0;
}

/* One item of a defaults list; NULL (reported) if Hydra refuses it. */
static struct cfg_dflt *
parse_item(const struct cfg_node *it, const char *file, struct cfg_errors *e)
{
	struct cfg_dflt *d = cfg__calloc(1, sizeof(*d));
	const struct cfg_node *v;

	d->file = cfg__strdup(file);
	d->line = it->line;
	if (it->type == CFG_SCALAR && it->vtype == CFG_TYPE_STR) {
		d->path = split_group(it->value, &d->package);
		if (strcmp(d->path, "_self_") == 0 && d->package != NULL) {
			cfg_errorf(e, file, it->line, "defaults: _self_@PACKAGE "
			    "is not supported");
			goto fail;
		}
		return d;
	}
	if (it->type != CFG_MAP || it->child == NULL ||
	    it->child->next != NULL || it->child->ktype != CFG_TYPE_STR) {
		cfg_errorf(e, file, it->line, "defaults: entries are 'name', "
		    "'group: option' or '_self_'");
		goto fail;
	}
	/*
	 * "optional override group@pkg": the words (split at each blank)
	 * before the last are keywords, up to one that is none.
	 */
	const char *key = it->child->key, *last = strrchr(key, ' ');
	for (const char *w = key; last != NULL && w <= last;) {
		size_t len = strcspn(w, " ");
		if (len == 8 && strncmp(w, "optional", 8) == 0)
			d->optional = true;
		else if (len == 8 && strncmp(w, "override", 8) == 0)
			d->override = true;
		else
			break;
		w += len + 1;
	}
	d->is_group = true;
	d->group = split_group(last ? last + 1 : key, &d->package);
	v = it->child;
	if (v->type == CFG_SEQ) {
		d->is_options = true;
		for (const struct cfg_node *o = v->child; o != NULL; o = o->next)
			d->noptions++;
		d->options = cfg__calloc(d->noptions + 1, sizeof(char *));
		d->noptions = 0;
		for (const struct cfg_node *o = v->child; o != NULL;
		    o = o->next) {
			if (o->type != CFG_SCALAR || o->vtype != CFG_TYPE_STR) {
				cfg_errorf(e, file, o->line, "defaults: options "
				    "of '%s' must be strings", d->group);
				goto fail;
			}
			d->options[d->noptions++] = cfg__strdup(o->value);
		}
	} else if (item_string(v, &d->name) == -1) {
		cfg_errorf(e, file, it->line, "defaults: the option of '%s' must "
		    "be a string, a list or null", d->group);
		goto fail;
	}
	if (d->group[0] == '\0' || strcmp(d->group, "/") == 0) {
		cfg_errorf(e, file, it->line, "defaults: missing group name");
		goto fail;
	}
	return d;
fail:
	cfg__dflt_free(d);
	return NULL;
}

int
cfg__dflt_parse(const struct cfg_node *list, const char *file,
    struct cfg_dflt ***out, size_t *n, struct cfg_errors *e)
{
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (list->type != CFG_SEQ) {
		cfg_errorf(e, file, list->line, "defaults: must be a list");
		return -1;
	}
	for (const struct cfg_node *it = list->child; it != NULL; it = it->next)
		k++;
	if (k > CFG_MAX_DEFAULTS) {
		cfg_errorf(e, file, list->line, "defaults: more than %d entries",
		    CFG_MAX_DEFAULTS);
		return -1;
	}
	*out = cfg__calloc(k + 1, sizeof(**out));
	for (const struct cfg_node *it = list->child; it != NULL; it = it->next) {
		struct cfg_dflt *d = parse_item(it, file, e);
		if (d == NULL) {
			for (size_t i = 0; i < *n; i++)
				cfg__dflt_free((*out)[i]);
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		(*out)[(*n)++] = d;
	}
	return 0;
}

/* -- paths and packages (default_element.py) --------------------------- */

bool
cfg__dflt_self(const struct cfg_dflt *d)
{
	return !d->is_group && strcmp(d->path, "_self_") == 0;
}

/* The config's name: the option, or the path's last part. */
const char *
cfg__dflt_name(const struct cfg_dflt *d)
{
	const char *slash;

	if (d->is_group)
		return d->name;
	slash = strrchr(d->path, '/');
	return slash ? slash + 1 : d->path;
}

/* The directory part of a path as written (no leading '/'): "" if none. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strndup(path, slash ? (size_t)(slash - path) : 0);
}

char *
cfg__dflt_group_path(const struct cfg_dflt *d)
{
	const char *p = d->is_group ? d->group : d->path;
	bool absolute = *p == '/';
	char *g = d->is_group ? cfg__strdup(p + absolute) : dir_of(p + absolute);
	char *r;

	if (g == NULL)
		abort();
	if (absolute || d->pbase[0] == '\0')
		return g;
	if (!d->is_group && g[0] == '\0') {
		free(g);
		return cfg__strdup(d->pbase);
	}
	r = joined(d->pbase, "/", g);
	free(g);
	return r;
}

char *
cfg__dflt_config_path(const struct cfg_dflt *d)
{
	char *g, *r;

	if (d->is_group) {
		g = cfg__dflt_group_path(d);
		r = joined(g, "/", d->name ? d->name : "None");
		free(g);
		return r;
	}
	if (d->path[0] == '/')
		return cfg__strdup(d->path + 1);
	if (d->pbase[0] == '\0')
		return cfg__strdup(d->path);
	return joined(d->pbase, "/", d->path);
}

/* get_default_package: the group path with dots. */
static char *
default_package(const struct cfg_dflt *d)
{
	char *g = cfg__dflt_group_path(d);

	for (char *p = g; *p; p++)
		if (*p == '/')
			*p = '.';
	return g;
}

void
cfg__dflt_parent(struct cfg_dflt *d, const char *base, const char *pkg)
{
	free(d->pbase);
	free(d->ppkg);
	d->pbase = cfg__strdup(base);
	d->ppkg = cfg__strdup(pkg);
	/* _group_ in a package is its default one, absolute. */
	char *g = d->package ? strstr(d->package, "_group_") : NULL;
	if (g != NULL) {
		char *def = default_package(d), *np;
		if (asprintf(&np, "_global_.%.*s%s%s", (int)(g - d->package),
		    d->package, def, g + 7) == -1)
			abort();
		free(def);
		free(d->package);
		d->package = np;
	}
}

void
cfg__dflt_header(struct cfg_dflt *d, const char *header)
{
	free(d->header);
	d->header = NULL;
	/* Hydra 1.0's _group_ header is the default package (1.1). */
	if (header == NULL || strcmp(header, "_group_") == 0)
		return;
	if (strcmp(header, "_global_") == 0 ||
	    strncmp(header, "_global_.", 9) == 0)
		d->header = cfg__strdup(header);
	else if (header[0] == '\0')
		d->header = cfg__strdup("_global_");
	else
		d->header = joined("_global_", ".", header);
}

char *
cfg__dflt_package(const struct cfg_dflt *d, bool header)
{
	const char *pkg = d->package ? d->package : header ? d->header : NULL;
	char *own, *ret, *g;

	if (pkg != NULL && strstr(pkg, "_name_") != NULL &&
	    cfg__dflt_name(d) != NULL) {
		/* Hydra 1.0's _name_: the config's name (version_base < 1.2). */
		struct cfg_sbuf b = { 0 };
		for (const char *p = pkg, *m; *p != '\0'; p = m + 6) {
			if ((m = strstr(p, "_name_")) == NULL) {
				cfg__sbuf_str(&b, p);
				break;
			}
			cfg__sbuf_add(&b, p, (size_t)(m - p));
			cfg__sbuf_str(&b, cfg__dflt_name(d));
		}
		own = cfg__sbuf_take(&b);
	} else if (pkg == NULL) {
		const char *p = d->is_group ? d->group : d->path;
		own = d->is_group ? cfg__strdup(p + (*p == '/')) :
		    dir_of(p + (*p == '/'));
		if (own == NULL)
			abort();
		for (char *c = own; *c; c++)
			if (*c == '/')
				*c = '.';
	} else
		own = cfg__strdup(pkg);
	if (d->ppkg[0] == '\0')
		ret = own;
	else if (own[0] == '\0') {
		free(own);
		ret = cfg__strdup(d->ppkg);
	} else {
		ret = joined(d->ppkg, ".", own);
		free(own);
	}
	/* Everything up to the last _global_ (and its dot) is cut. */
	char *last = NULL;
	for (char *p = ret; (p = strstr(p, "_global_")) != NULL; p++)
		last = p;
	if (last == NULL)
		return ret;
	g = cfg__strdup(last[8] == '.' ? last + 9 : last + 8);
	free(ret);
	return g;
}

char *
cfg__dflt_override_key(const struct cfg_dflt *d)
{
	char *def = default_package(d), *fin = cfg__dflt_package(d, false);
	char *key = cfg__dflt_group_path(d), *r;

	if (strcmp(def, fin) == 0)
		r = key;
	else {
		r = joined(key, "@", fin[0] ? fin : "_global_");
		free(key);
	}
	free(def);
	free(fin);
	return r;
}

/* -- the package header ------------------------------------------------ */

int
cfg__package_header(const char *text, const char *file, char **pkg,
    struct cfg_errors *e)
{
	char head[HEADER_BYTES + 1];
	int line = 0;

	*pkg = NULL;
	snprintf(head, sizeof(head), "%s", text);
	for (char *l = head, *next; l != NULL; l = next) {
		line++;
		if ((next = strchr(l, '\n')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*l))
			l++;
		if (*l == '\0')
			continue;	/* blank lines may come first */
		/* ^\s*#\s*@ */
		char *p = l;
		if (*p++ != '#')
			break;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '@')
			break;
		/* "@key value": exactly two words. */
		char *w[3] = { NULL }, *save = NULL;
		int nw = 0;
		for (char *t = strtok_r(p, " ", &save); t != NULL && nw < 3;
		    t = strtok_r(NULL, " ", &save))
			w[nw++] = t;
		if (nw != 2) {
			cfg_errorf(e, file, line, "header: expected '# @key "
			    "value', got '%s'", l);
			free(*pkg);
			*pkg = NULL;
			return -1;
		}
		size_t vl = strlen(w[1]);
		while (vl > 0 && isspace((unsigned char)w[1][vl - 1]))
			w[1][--vl] = '\0';
		if (strcmp(w[0], "@package") == 0) {
			free(*pkg);
			*pkg = cfg__strdup(w[1]);
		}
	}
	return 0;
}
