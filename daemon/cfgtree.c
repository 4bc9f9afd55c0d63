/* cfgtree.c: YAML config tree with Hydra composition and OmegaConf interpolation. */
#include "cfgtree.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define COMPOSE_MAX_DEPTH	16	/* defaults lists nested this deep */
#define RESOLVE_MAX_DEPTH	64	/* interpolations chained this deep */
#define CFG_MAX_FILE_BYTES	(1 << 20)

enum { ST_UNRESOLVED, ST_RESOLVING, ST_DONE, ST_FAILED };

/* -- errors ------------------------------------------------------------- */

void
cfg_errorf(struct cfg_errors *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	char *s;
	va_list ap;

	if (e->count >= CFG_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0) {
		if (asprintf(&s, "%s:%d: %s", file, line, msg) == -1)
			s = NULL;
	} else if (file != NULL) {
		if (asprintf(&s, "%s: %s", file, msg) == -1)
			s = NULL;
	} else
		s = strdup(msg);
	if (s != NULL)
		e->msg[e->count++] = s;
}

void
cfg_errors_print(const struct cfg_errors *e, FILE *out)
{
	for (int i = 0; i < e->count; i++)
		fprintf(out, "%s\n", e->msg[i]);
}

void
cfg_errors_clear(struct cfg_errors *e)
{
	for (int i = 0; i < e->count; i++)
		free(e->msg[i]);
	e->count = 0;
}

/* -- nodes -------------------------------------------------------------- */

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		abort();	/* config loading happens at start-up only */
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

static struct cnode *
node_new(enum cnode_type type, const char *file, int line)
{
	struct cnode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->file = xstrdup(file);
	n->line = line;
	return n;
}

static void
node_append(struct cnode *parent, struct cnode *child)
{
	struct cnode **pp = &parent->child;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = child;
	child->parent = parent;
	child->next = NULL;
}

static void
node_unlink(struct cnode *n)
{
	struct cnode **pp;

	if (n->parent == NULL)
		return;
	for (pp = &n->parent->child; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	n->parent = NULL;
	n->next = NULL;
}

void
cfgtree_free(struct cnode *n)
{
	while (n != NULL) {
		struct cnode *next = n->next;
		cfgtree_free(n->child);
		free(n->key);
		free(n->value);
		free(n->file);
		free(n);
		n = next;
	}
}

static struct cnode *
node_copy(const struct cnode *n)
{
	struct cnode *c = node_new(n->type, n->file, n->line);

	c->key = xstrdup(n->key);
	c->value = xstrdup(n->value);
	c->quoted = n->quoted;
	for (const struct cnode *ch = n->child; ch != NULL; ch = ch->next)
		node_append(c, node_copy(ch));
	return c;
}

static struct cnode *
map_find(const struct cnode *map, const char *key, size_t len)
{
	for (struct cnode *c = map->child; c != NULL; c = c->next)
		if (strlen(c->key) == len && memcmp(c->key, key, len) == 0)
			return c;
	return NULL;
}

/* Replace old by new in old's parent, keeping old's key. Frees old. */
static void
node_replace(struct cnode *old, struct cnode *new)
{
	struct cnode **pp;

	free(new->key);
	new->key = old->key;
	old->key = NULL;
	new->parent = old->parent;
	new->next = old->next;
	for (pp = &old->parent->child; *pp != old; pp = &(*pp)->next)
		;
	*pp = new;
	old->next = NULL;
	cfgtree_free(old);
}

/* -- parsing ------------------------------------------------------------ */

struct anchor {
	char		*name;
	struct cnode	*node;
	struct anchor	*next;
};

struct pctx {
	yaml_parser_t		 parser;
	const char		*name;
	struct cfg_errors	*e;
	struct anchor		*anchors;
	int			 failed;
};

static int
next_event(struct pctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev)) {
		cfg_errorf(c->e, c->name, (int)c->parser.problem_mark.line + 1,
		    "YAML syntax: %s", c->parser.problem ? c->parser.problem :
		    "parse error");
		c->failed = 1;
		return -1;
	}
	return 0;
}

static bool
plain_is_null(const char *v)
{
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static void
add_anchor(struct pctx *c, const yaml_char_t *name, struct cnode *n)
{
	struct anchor *a = xcalloc(1, sizeof(*a));

	a->name = xstrdup((const char *)name);
	a->node = node_copy(n);
	a->next = c->anchors;
	c->anchors = a;
}

static struct cnode *parse_value(struct pctx *c, yaml_event_t *ev);

static struct cnode *
parse_collection(struct pctx *c, yaml_event_t *start)
{
	bool is_map = start->type == YAML_MAPPING_START_EVENT;
	yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT :
	    YAML_SEQUENCE_END_EVENT;
	struct cnode *n = node_new(is_map ? CNODE_MAP : CNODE_SEQ, c->name,
	    (int)start->start_mark.line + 1);
	yaml_char_t *anchor = start->data.mapping_start.anchor;
	char *anchor_copy = anchor ? xstrdup((char *)anchor) : NULL;
	yaml_event_t ev;

	for (;;) {
		char *key = NULL;
		int line;

		if (next_event(c, &ev) == -1)
			goto fail;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (is_map) {
			line = (int)ev.start_mark.line + 1;
			if (ev.type != YAML_SCALAR_EVENT) {
				cfg_errorf(c->e, c->name, line,
				    "mapping keys must be scalars");
				yaml_event_delete(&ev);
				goto fail;
			}
			key = xstrdup((char *)ev.data.scalar.value);
			yaml_event_delete(&ev);
			if (map_find(n, key, strlen(key)) != NULL) {
				cfg_errorf(c->e, c->name, line,
				    "duplicate key '%s'", key);
				c->failed = 1;
			}
			if (next_event(c, &ev) == -1) {
				free(key);
				goto fail;
			}
		}
		struct cnode *child = parse_value(c, &ev);
		yaml_event_delete(&ev);
		if (child == NULL) {
			free(key);
			goto fail;
		}
		child->key = key;
		node_append(n, child);
	}
	if (anchor_copy != NULL)
		add_anchor(c, (yaml_char_t *)anchor_copy, n);
	free(anchor_copy);
	return n;
fail:
	free(anchor_copy);
	cfgtree_free(n);
	return NULL;
}

static struct cnode *
parse_value(struct pctx *c, yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	struct cnode *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *v = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;
		n = node_new(CNODE_SCALAR, c->name, line);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0);
		if (n->quoted || !plain_is_null(v))
			n->value = xstrdup(v);
		if (ev->data.scalar.anchor != NULL)
			add_anchor(c, ev->data.scalar.anchor, n);
		return n;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return parse_collection(c, ev);
	case YAML_ALIAS_EVENT:
		for (struct anchor *a = c->anchors; a != NULL; a = a->next)
			if (strcmp(a->name, (char *)ev->data.alias.anchor) == 0) {
				n = node_copy(a->node);
				n->line = line;
				return n;
			}
		cfg_errorf(c->e, c->name, line, "unknown alias '*%s'",
		    ev->data.alias.anchor);
		return NULL;
	default:
		cfg_errorf(c->e, c->name, line, "unexpected YAML event");
		return NULL;
	}
}

struct cnode *
cfgtree_parse(const char *text, size_t len, const char *name,
    struct cfg_errors *e)
{
	struct pctx c = { .name = name, .e = e };
	struct cnode *root = NULL;
	yaml_event_t ev;
	bool done = false;

	yaml_parser_initialize(&c.parser);
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
	while (!done) {
		if (next_event(&c, &ev) == -1)
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root != NULL) {
				cfg_errorf(e, name, (int)ev.start_mark.line + 1,
				    "more than one YAML document");
				c.failed = 1;
				done = true;
			}
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_ALIAS_EVENT:
			if ((root = parse_value(&c, &ev)) == NULL) {
				c.failed = 1;
				done = true;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&c.parser);
	while (c.anchors != NULL) {
		struct anchor *a = c.anchors;
		c.anchors = a->next;
		cfgtree_free(a->node);
		free(a->name);
		free(a);
	}
	if (c.failed) {
		cfgtree_free(root);
		return NULL;
	}
	if (root == NULL)	/* an empty document is an empty mapping */
		root = node_new(CNODE_MAP, name, 1);
	return root;
}

/* -- merge -------------------------------------------------------------- */

void
cfgtree_merge(struct cnode *dst, struct cnode *src)
{
	struct cnode *c, *next;

	for (c = src->child; c != NULL; c = next) {
		next = c->next;
		struct cnode *d = map_find(dst, c->key, strlen(c->key));
		node_unlink(c);
		if (d == NULL)
			node_append(dst, c);
		else if (d->type == CNODE_MAP && c->type == CNODE_MAP) {
			/* Where the key was last set is what errors should name. */
			free(d->file);
			d->file = xstrdup(c->file);
			d->line = c->line;
			cfgtree_merge(d, c);	/* consumes c */
		} else
			node_replace(d, c);
	}
	cfgtree_free(src);
}

/* -- composition -------------------------------------------------------- */

static char *
read_file(const char *path, size_t *len, struct cfg_errors *e,
    const char *from_file, int from_line)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		cfg_errorf(e, from_file, from_line, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf = xcalloc(1, CFG_MAX_FILE_BYTES + 1);
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

/* The "# @package X" header of a Hydra config file, or NULL. */
static char *
package_header(const char *text)
{
	const char *p = text;

	while (*p == '#' || *p == '\n' || *p == ' ') {
		if (strncmp(p, "# @package ", 11) == 0) {
			const char *s = p + 11, *end = strchr(s, '\n');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
				len--;
			return strndup(s, len);
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return NULL;
}

/* Wrap n under the dotted (or slash-separated) package key. */
static struct cnode *
wrap_package(struct cnode *n, const char *package)
{
	char *copy = xstrdup(package), *save = NULL, *seg;
	struct cnode *root = node_new(CNODE_MAP, n->file, n->line), *at = root;

	for (char *p = copy; *p; p++)
		if (*p == '/')
			*p = '.';
	for (seg = strtok_r(copy, ".", &save); seg != NULL;
	    seg = strtok_r(NULL, ".", &save)) {
		struct cnode *m = node_new(CNODE_MAP, n->file, n->line);
		m->key = xstrdup(seg);
		node_append(at, m);
		at = m;
	}
	free(copy);
	/* at is the innermost map: move n's children into it. */
	cfgtree_merge(at, n);
	return root;
}

struct default_entry {
	char	*group;		/* NULL for a plain config name or _self_ */
	char	*option;	/* NULL: skip this group */
	bool	 self;
	bool	 optional;
	int	 line;
};

static struct cnode *compose(const char *path, int depth, struct cfg_errors *e,
    const char *from_file, int from_line);

static int
parse_defaults(struct cnode *list, const char *path, struct default_entry *ent,
    int max, struct cfg_errors *e)
{
	int n = 0;

	if (list->type != CNODE_SEQ) {
		cfg_errorf(e, path, list->line, "defaults: must be a list");
		return -1;
	}
	for (struct cnode *it = list->child; it != NULL; it = it->next) {
		struct default_entry d = { .line = it->line };
		if (n == max) {
			cfg_errorf(e, path, it->line, "defaults: too many entries");
			return -1;
		}
		if (it->type == CNODE_SCALAR && it->value != NULL) {
			if (strcmp(it->value, "_self_") == 0)
				d.self = true;
			else
				d.option = xstrdup(it->value);
		} else if (it->type == CNODE_MAP && it->child != NULL &&
		    it->child->next == NULL && it->child->type == CNODE_SCALAR) {
			const char *g = it->child->key;
			bool override = false;
			if (strncmp(g, "override ", 9) == 0) {
				override = true;
				g += 9;
			} else if (strncmp(g, "optional ", 9) == 0) {
				d.optional = true;
				g += 9;
			}
			d.option = xstrdup(it->child->value);
			if (override) {
				int j;
				for (j = 0; j < n; j++)
					if (ent[j].group && strcmp(ent[j].group, g) == 0)
						break;
				if (j == n) {
					cfg_errorf(e, path, it->line, "defaults: "
					    "override of group '%s' that is not "
					    "in the list", g);
					free(d.option);
					return -1;
				}
				free(ent[j].option);
				ent[j].option = d.option;
				continue;
			}
			d.group = xstrdup(g);
		} else {
			cfg_errorf(e, path, it->line, "defaults: entries are "
			    "'name', 'group: option' or '_self_'");
			return -1;
		}
		ent[n++] = d;
	}
	return n;
}

static struct cnode *
compose(const char *path, int depth, struct cfg_errors *e,
    const char *from_file, int from_line)
{
	struct default_entry ent[64];
	char dir[PATH_MAX], sub[PATH_MAX * 2];
	struct cnode *root, *defaults, *result;
	size_t len;
	char *text;
	int n = 0, i, errors = e->count;
	bool self_done = false;

	if (depth > COMPOSE_MAX_DEPTH) {
		cfg_errorf(e, from_file, from_line, "defaults nested deeper "
		    "than %d (a cycle?) at %s", COMPOSE_MAX_DEPTH, path);
		return NULL;
	}
	if ((text = read_file(path, &len, e, from_file, from_line)) == NULL)
		return NULL;
	root = cfgtree_parse(text, len, path, e);
	free(text);
	if (root == NULL)
		return NULL;
	if (root->type != CNODE_MAP) {
		cfg_errorf(e, path, root->line, "top level must be a mapping");
		cfgtree_free(root);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");

	if ((defaults = map_find(root, "defaults", 8)) != NULL) {
		node_unlink(defaults);
		n = parse_defaults(defaults, path, ent, 64, e);
		cfgtree_free(defaults);
		if (n == -1) {
			cfgtree_free(root);
			return NULL;
		}
	}
	result = node_new(CNODE_MAP, path, 1);
	for (i = 0; i < n; i++) {
		struct cnode *c;
		char *pkg = NULL;
		if (ent[i].self) {
			cfgtree_merge(result, root);
			root = NULL;
			self_done = true;
			continue;
		}
		if (ent[i].option == NULL)
			continue;
		const char *ext = strstr(ent[i].option, ".yaml") ? "" : ".yaml";
		if (ent[i].group != NULL)
			snprintf(sub, sizeof(sub), "%s/%s/%s%s", dir,
			    ent[i].group, ent[i].option, ext);
		else
			snprintf(sub, sizeof(sub), "%s/%s%s", dir,
			    ent[i].option, ext);
		if (ent[i].optional && access(sub, R_OK) == -1)
			continue;
		if ((c = compose(sub, depth + 1, e, path, ent[i].line)) == NULL)
			continue;
		if ((text = read_file(sub, &len, e, path, ent[i].line)) != NULL) {
			pkg = package_header(text);
			free(text);
		}
		if (pkg != NULL && strcmp(pkg, "_global_") == 0)
			cfgtree_merge(result, c);
		else if (pkg != NULL && strcmp(pkg, "_group_") != 0)
			cfgtree_merge(result, wrap_package(c, pkg));
		else if (ent[i].group != NULL)
			cfgtree_merge(result, wrap_package(c, ent[i].group));
		else
			cfgtree_merge(result, c);
		free(pkg);
	}
	if (!self_done)
		cfgtree_merge(result, root);
	for (i = 0; i < n; i++) {
		free(ent[i].group);
		free(ent[i].option);
	}
	if (e->count > errors) {
		cfgtree_free(result);
		return NULL;
	}
	return result;
}

struct cnode *
cfgtree_compose(const char *path, struct cfg_errors *e)
{
	return compose(path, 0, e, NULL, 0);
}

/* -- lookup ------------------------------------------------------------- */

static struct cnode *
child_by_segment(struct cnode *n, const char *seg, size_t len)
{
	if (n->type == CNODE_MAP)
		return map_find(n, seg, len);
	if (n->type == CNODE_SEQ) {
		char *end;
		char num[24];
		if (len == 0 || len >= sizeof(num))
			return NULL;
		memcpy(num, seg, len);
		num[len] = '\0';
		long idx = strtol(num, &end, 10);
		if (*end != '\0' || idx < 0)
			return NULL;
		for (struct cnode *c = n->child; c != NULL; c = c->next)
			if (idx-- == 0)
				return c;
	}
	return NULL;
}

static struct cnode *
lookup_from(struct cnode *at, const char *dotted)
{
	const char *p = dotted;

	while (at != NULL && *p) {
		const char *s = p;
		while (*p && *p != '.')
			p++;
		at = child_by_segment(at, s, (size_t)(p - s));
		if (*p == '.')
			p++;
	}
	return at;
}

struct cnode *
cfgtree_get(struct cnode *root, const char *dotted)
{
	return lookup_from(root, dotted);
}

void
cfgtree_keypath(const struct cnode *n, char *buf, size_t size)
{
	const struct cnode *chain[64];
	int depth = 0;
	size_t o = 0;

	for (; n != NULL && n->parent != NULL && depth < 64; n = n->parent)
		chain[depth++] = n;
	buf[0] = '\0';
	while (depth-- > 0 && o < size) {
		const struct cnode *c = chain[depth];
		int k;
		if (c->key != NULL)
			k = snprintf(buf + o, size - o, "%s%s", o ? "." : "", c->key);
		else {
			int idx = 0;
			for (const struct cnode *s = c->parent->child; s != c; s = s->next)
				idx++;
			k = snprintf(buf + o, size - o, "%s%d", o ? "." : "", idx);
		}
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* -- overrides ---------------------------------------------------------- */

int
cfgtree_override(struct cnode *root, const char *arg, struct cfg_errors *e)
{
	const char *src = "command line";
	const char *eq = strchr(arg, '=');
	const char *key = arg;
	int mode = 0;	/* 0 change, 1 add, 2 set, 3 delete */
	char path[512];
	size_t klen;

	if (strncmp(key, "++", 2) == 0) {
		mode = 2;
		key += 2;
	} else if (key[0] == '+') {
		mode = 1;
		key++;
	} else if (key[0] == '~') {
		mode = 3;
		key++;
	}
	klen = eq ? (size_t)(eq - key) : strlen(key);
	if ((eq == NULL && mode != 3) || klen == 0 || klen >= sizeof(path) ||
	    key[0] == '.' || key[klen - 1] == '.' ||
	    memmem(key, klen, "..", 2) != NULL) {
		cfg_errorf(e, src, 0, "override '%s': expected KEY=VALUE "
		    "with a dotted KEY", arg);
		return -1;
	}
	memcpy(path, key, klen);
	path[klen] = '\0';

	/* Walk to the parent, creating maps where adding is allowed. */
	struct cnode *at = root;
	char *seg = path, *dot;
	while ((dot = strchr(seg, '.')) != NULL) {
		*dot = '\0';
		struct cnode *c = at->type == CNODE_MAP || at->type == CNODE_SEQ ?
		    child_by_segment(at, seg, strlen(seg)) : NULL;
		if (c == NULL) {
			if (mode == 0 || mode == 3 || at->type != CNODE_MAP)
				goto missing;
			c = node_new(CNODE_MAP, src, 0);
			c->key = xstrdup(seg);
			node_append(at, c);
		}
		if (c->type == CNODE_SCALAR) {
			cfg_errorf(e, src, 0, "override '%s': '%s' is not a "
			    "mapping", arg, seg);
			return -1;
		}
		at = c;
		seg = dot + 1;
	}
	struct cnode *old = child_by_segment(at, seg, strlen(seg));
	if (mode == 3) {
		if (old == NULL)
			goto missing;
		node_unlink(old);
		cfgtree_free(old);
		return 0;
	}
	if (old == NULL && mode == 0)
		goto missing;
	if (old != NULL && mode == 1) {
		cfg_errorf(e, src, 0, "override '%s': key '%.*s' already exists "
		    "(use ++%.*s=VALUE to set it anyway)", arg, (int)klen, key,
		    (int)klen, key);
		return -1;
	}
	if (old == NULL && at->type != CNODE_MAP) {
		cfg_errorf(e, src, 0, "override '%s': cannot add to a sequence",
		    arg);
		return -1;
	}

	struct cnode *val;
	const char *v = eq + 1;
	if (*v == '\0') {
		val = node_new(CNODE_SCALAR, src, 0);
		val->value = xstrdup("");
		val->quoted = true;
	} else if ((val = cfgtree_parse(v, strlen(v), src, e)) == NULL)
		return -1;
	free(val->file);
	val->file = xstrdup(src);
	val->line = 0;
	if (old != NULL)
		node_replace(old, val);
	else {
		val->key = xstrdup(seg);
		node_append(at, val);
	}
	return 0;
missing:
	cfg_errorf(e, src, 0, "override '%s': no such key '%.*s'%s", arg,
	    (int)klen, key, mode == 0 ? " (use +KEY=VALUE to add one)" : "");
	return -1;
}

/* -- interpolation ------------------------------------------------------ */

struct sbuf {
	char	*s;
	size_t	 len, cap;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			abort();
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

struct rctx {
	struct cnode		*root;
	struct cfg_errors	*e;
	struct cnode		*stack[RESOLVE_MAX_DEPTH];
	int			 depth;
};

static void
chain_str(struct rctx *c, int from, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = from; i < c->depth && o < size; i++) {
		char k[256];
		cfgtree_keypath(c->stack[i], k, sizeof(k));
		int n = snprintf(buf + o, size - o, "%s%s", i > from ? " -> " : "", k);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static void
interp_error(struct rctx *c, const char *fmt, const char *arg)
{
	struct cnode *at = c->stack[c->depth - 1];
	struct cnode *first = c->stack[0];
	char key[256], chain[1024], msg[512];

	cfgtree_keypath(first, key, sizeof(key));
	snprintf(msg, sizeof(msg), fmt, arg);
	if (c->depth > 1) {
		chain_str(c, 0, chain, sizeof(chain));
		cfg_errorf(c->e, at->file, at->line, "%s: %s (via %s)", key, msg,
		    chain);
	} else
		cfg_errorf(c->e, at->file, at->line, "%s: %s", key, msg);
}

static int resolve_scalar(struct rctx *c, struct cnode *n);

/* Find the '}' matching the "${" at s[0..1]; NULL if unterminated. */
static const char *
match_close(const char *s)
{
	int depth = 0;

	for (const char *p = s; *p; p++) {
		if (p[0] == '$' && p[1] == '{') {
			depth++;
			p++;
		} else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

static int interp(struct rctx *c, struct cnode *at, const char *s, size_t len,
    struct sbuf *out, struct cnode **whole);

static int
interp_one(struct rctx *c, struct cnode *at, const char *expr_raw, size_t len,
    struct sbuf *out, struct cnode **target_out)
{
	struct sbuf expr = { 0 };
	struct cnode *t;
	int rc = -1;

	*target_out = NULL;
	/* Nested interpolations inside the expression resolve first. */
	if (interp(c, at, expr_raw, len, &expr, NULL) == -1)
		goto out;
	if (expr.s == NULL)
		sbuf_add(&expr, "", 0);
	if (strncmp(expr.s, "oc.env:", 7) == 0) {
		char *name = expr.s + 7, *def = strchr(name, ',');
		const char *v;
		if (def != NULL) {
			*def++ = '\0';
			while (*def == ' ')
				def++;
			/* A quoted default loses its quotes, as in OmegaConf. */
			size_t dl = strlen(def);
			if (dl >= 2 && (def[0] == '\'' || def[0] == '"') &&
			    def[dl - 1] == def[0]) {
				def[dl - 1] = '\0';
				def++;
			}
		}
		if ((v = getenv(name)) == NULL && (v = def) == NULL) {
			interp_error(c, "environment variable %s is not set "
			    "and has no default", name);
			goto out;
		}
		sbuf_add(out, v, strlen(v));
		rc = 0;
		goto out;
	}
	if (strchr(expr.s, ':') != NULL) {
		interp_error(c, "unknown resolver in ${%s}", expr.s);
		goto out;
	}
	if (expr.s[0] == '.') {
		/* Relative: one dot is the node's own map, each more goes up. */
		const char *p = expr.s + 1;
		t = at->parent;
		while (*p == '.' && t != NULL) {
			t = t->parent;
			p++;
		}
		t = t ? lookup_from(t, p) : NULL;
	} else
		t = lookup_from(c->root, expr.s);
	if (t == NULL) {
		interp_error(c, "interpolation key '%s' not found", expr.s);
		goto out;
	}
	if (t->type != CNODE_SCALAR) {
		interp_error(c, "'%s' is a mapping or list, not a value",
		    expr.s);
		goto out;
	}
	if (resolve_scalar(c, t) == -1)
		goto out;
	if (t->value == NULL)
		sbuf_add(out, "None", 4);
	else
		sbuf_add(out, t->value, strlen(t->value));
	*target_out = t;
	rc = 0;
out:
	free(expr.s);
	return rc;
}

static int
interp(struct rctx *c, struct cnode *at, const char *s, size_t len,
    struct sbuf *out, struct cnode **whole)
{
	const char *p = s, *end = s + len;

	if (whole != NULL)
		*whole = NULL;
	while (p < end) {
		if (p[0] == '\\' && p + 2 < end && p[1] == '$' && p[2] == '{') {
			sbuf_add(out, "${", 2);
			p += 3;
			continue;
		}
		if (p[0] == '$' && p + 1 < end && p[1] == '{') {
			const char *close = match_close(p);
			struct cnode *t;
			if (close == NULL || close >= end) {
				interp_error(c, "unterminated interpolation "
				    "in '%s'", s);
				return -1;
			}
			if (interp_one(c, at, p + 2, (size_t)(close - p - 2), out,
			    &t) == -1)
				return -1;
			/* "${x}" alone takes x's type (number, null, ...). */
			if (whole != NULL && p == s && close + 1 == end)
				*whole = t;
			p = close + 1;
			continue;
		}
		sbuf_add(out, p, 1);
		p++;
	}
	return 0;
}

static int
resolve_scalar(struct rctx *c, struct cnode *n)
{
	struct sbuf out = { 0 };
	struct cnode *whole;

	if (n->state == ST_DONE)
		return 0;
	if (n->state == ST_FAILED)
		return -1;
	if (n->value == NULL || strchr(n->value, '$') == NULL) {
		n->state = ST_DONE;
		return 0;
	}
	if (n->state == ST_RESOLVING) {
		char chain[1024], key[256];
		int from = 0;
		while (from < c->depth && c->stack[from] != n)
			from++;
		chain_str(c, from, chain, sizeof(chain));
		cfgtree_keypath(n, key, sizeof(key));
		cfg_errorf(c->e, n->file, n->line,
		    "interpolation cycle: %s -> %s", chain, key);
		return -1;
	}
	if (c->depth == RESOLVE_MAX_DEPTH) {
		interp_error(c, "interpolation chain deeper than %s", "64");
		return -1;
	}
	n->state = ST_RESOLVING;
	c->stack[c->depth++] = n;
	int rc = interp(c, n, n->value, strlen(n->value), &out, &whole);
	c->depth--;
	if (rc == -1) {
		free(out.s);
		n->state = ST_FAILED;
		return -1;
	}
	free(n->value);
	if (whole != NULL) {
		free(out.s);
		n->value = xstrdup(whole->value);
		n->quoted = whole->quoted;
	} else {
		n->value = out.s ? out.s : xstrdup("");
		n->quoted = true;
	}
	n->state = ST_DONE;
	return 0;
}

static void
resolve_all(struct rctx *c, struct cnode *n, int *failed)
{
	for (; n != NULL; n = n->next) {
		if (n->type == CNODE_SCALAR) {
			if (n->state != ST_FAILED && resolve_scalar(c, n) == -1)
				*failed = 1;
			else if (n->state == ST_FAILED)
				*failed = 1;
		} else
			resolve_all(c, n->child, failed);
	}
}

int
cfgtree_resolve(struct cnode *root, struct cfg_errors *e)
{
	struct rctx c = { .root = root, .e = e };
	int failed = 0;

	resolve_all(&c, root->child, &failed);
	return failed ? -1 : 0;
}

/* -- printing ----------------------------------------------------------- */

static bool
plain_ok(const char *s)
{
	if (*s == '\0' || plain_is_null(s))
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) != NULL)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch < 0x20 || ch == 0x7f || (ch == ':' && (p[1] == ' ' ||
		    p[1] == '\0')) || (ch == ' ' && p[1] == '#') ||
		    (ch == ' ' && p[1] == '\0'))
			return false;
	}
	return true;
}

static void
print_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
print_scalar(FILE *out, const struct cnode *n)
{
	if (n->value == NULL)
		fputs("null", out);
	else if (!n->quoted && plain_ok(n->value))
		fputs(n->value, out);
	else
		print_quoted(out, n->value);
}

static void
print_node(FILE *out, const struct cnode *n, int indent)
{
	for (const struct cnode *c = n->child; c != NULL; c = c->next) {
		fprintf(out, "%*s", indent, "");
		if (n->type == CNODE_MAP) {
			if (plain_ok(c->key))
				fputs(c->key, out);
			else
				print_quoted(out, c->key);
			fputc(':', out);
		} else
			fputc('-', out);
		if (c->type == CNODE_SCALAR) {
			fputc(' ', out);
			print_scalar(out, c);
			fputc('\n', out);
		} else if (c->child == NULL)
			fputs(c->type == CNODE_MAP ? " {}\n" : " []\n", out);
		else {
			fputc('\n', out);
			print_node(out, c, indent + 2);
		}
	}
}

void
cfgtree_print(FILE *out, const struct cnode *root)
{
	if (root->child == NULL)
		fputs("{}\n", out);
	else
		print_node(out, root, 0);
}
