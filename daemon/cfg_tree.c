/* cfg_tree.c: the config tree: errors, nodes, parse, merge, lookup, print. */
#include "cfg_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* -- errors ------------------------------------------------------------- */

void
cfg_errorf(struct cfg_errors *e, const char *file, int line, const char *fmt,
    ...)
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

void *
cfg__calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (p == NULL)
		abort();
	return p;
}

char *
cfg__strdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		abort();
	return p;
}

struct cfg_node *
cfg__node_new(enum cfg_node_type type, const char *file, int line)
{
	struct cfg_node *n = cfg__calloc(1, sizeof(*n));

	n->type = type;
	n->file = cfg__strdup(file);
	n->line = line;
	return n;
}

void
cfg__append(struct cfg_node *parent, struct cfg_node *child)
{
	struct cfg_node **pp = &parent->child;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = child;
	child->parent = parent;
	child->next = NULL;
}

void
cfg__unlink(struct cfg_node *n)
{
	struct cfg_node **pp;

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
cfg_free(struct cfg_node *n)
{
	while (n != NULL) {
		struct cfg_node *next = n->next;
		cfg_free(n->child);
		free(n->key);
		free(n->value);
		free(n->file);
		free(n);
		n = next;
	}
}

static struct cfg_node *
node_copy(const struct cfg_node *n)
{
	struct cfg_node *c = cfg__node_new(n->type, n->file, n->line);

	c->key = cfg__strdup(n->key);
	c->value = cfg__strdup(n->value);
	c->quoted = n->quoted;
	for (const struct cfg_node *ch = n->child; ch != NULL; ch = ch->next)
		cfg__append(c, node_copy(ch));
	return c;
}

static struct cfg_node *
map_find(const struct cfg_node *map, const char *key, size_t len)
{
	for (struct cfg_node *c = map->child; c != NULL; c = c->next)
		if (strlen(c->key) == len && memcmp(c->key, key, len) == 0)
			return c;
	return NULL;
}

void
cfg__replace(struct cfg_node *old, struct cfg_node *new)
{
	struct cfg_node **pp;

	free(new->key);
	new->key = old->key;
	old->key = NULL;
	new->parent = old->parent;
	new->next = old->next;
	for (pp = &old->parent->child; *pp != old; pp = &(*pp)->next)
		;
	*pp = new;
	old->next = NULL;
	cfg_free(old);
}

/* -- parsing ------------------------------------------------------------ */

/*
 * An anchor names a node of the tree being built; it is not copied
 * until an alias asks for it.
 */
struct anchor {
	char		*name;
	struct cfg_node	*node;
	struct anchor	*next;
};

struct pctx {
	yaml_parser_t		 parser;
	const char		*name;
	struct cfg_errors	*e;
	struct anchor		*anchors;
	int			 depth;		/* collections open */
	size_t			 alias_nodes;	/* copied for aliases */
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
add_anchor(struct pctx *c, const yaml_char_t *name, struct cfg_node *n)
{
	struct anchor *a = cfg__calloc(1, sizeof(*a));

	a->name = cfg__strdup((const char *)name);
	a->node = n;
	a->next = c->anchors;
	c->anchors = a;
}

/* Nodes in n's subtree, counting no further than limit + 1. */
static size_t
count_nodes(const struct cfg_node *n, size_t limit)
{
	size_t k = 1;

	for (const struct cfg_node *ch = n->child; ch != NULL && k <= limit;
	    ch = ch->next)
		k += count_nodes(ch, limit - k);
	return k;
}

/*
 * A copy of the anchored node for an alias at line. Each alias copies
 * a whole subtree, so nested aliases grow exponentially ("billion
 * laughs"): the copies of one file share a budget of nodes.
 */
static struct cfg_node *
expand_alias(struct pctx *c, const struct anchor *a, int line)
{
	size_t left = CFG_MAX_ALIAS_NODES - c->alias_nodes;
	size_t k = count_nodes(a->node, left);
	struct cfg_node *n;

	if (k > left) {
		cfg_errorf(c->e, c->name, line, "aliases expand to more than "
		    "%d nodes", CFG_MAX_ALIAS_NODES);
		return NULL;
	}
	c->alias_nodes += k;
	n = node_copy(a->node);
	free(n->key);		/* the alias's own key is set by its map */
	n->key = NULL;
	n->line = line;
	return n;
}

static struct cfg_node *parse_value(struct pctx *c, yaml_event_t *ev);

static struct cfg_node *
parse_collection(struct pctx *c, yaml_event_t *start)
{
	bool is_map = start->type == YAML_MAPPING_START_EVENT;
	yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT :
	    YAML_SEQUENCE_END_EVENT;
	struct cfg_node *n = cfg__node_new(is_map ? CFG_MAP : CFG_SEQ, c->name,
	    (int)start->start_mark.line + 1);
	yaml_char_t *anchor = is_map ? start->data.mapping_start.anchor :
	    start->data.sequence_start.anchor;
	char *anchor_copy = anchor ? cfg__strdup((char *)anchor) : NULL;
	yaml_event_t ev;

	/* Each level is a recursion here and in every walk of the tree. */
	if (++c->depth > CFG_MAX_DEPTH) {
		cfg_errorf(c->e, c->name, n->line, "nested deeper than %d "
		    "levels", CFG_MAX_DEPTH);
		goto fail;
	}

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
			key = cfg__strdup((char *)ev.data.scalar.value);
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
		struct cfg_node *child = parse_value(c, &ev);
		yaml_event_delete(&ev);
		if (child == NULL) {
			free(key);
			goto fail;
		}
		child->key = key;
		cfg__append(n, child);
	}
	if (anchor_copy != NULL)
		add_anchor(c, (yaml_char_t *)anchor_copy, n);
	free(anchor_copy);
	c->depth--;
	return n;
fail:
	/* Anchors may point into n now; parsing stops, none is used. */
	free(anchor_copy);
	cfg_free(n);
	return NULL;
}

static struct cfg_node *
parse_value(struct pctx *c, yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1;
	struct cfg_node *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *v = (const char *)ev->data.scalar.value;
		const char *tag = (const char *)ev->data.scalar.tag;
		n = cfg__node_new(CFG_SCALAR, c->name, line);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0);
		if (n->quoted || !plain_is_null(v))
			n->value = cfg__strdup(v);
		if (ev->data.scalar.anchor != NULL)
			add_anchor(c, ev->data.scalar.anchor, n);
		return n;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return parse_collection(c, ev);
	case YAML_ALIAS_EVENT:
		for (struct anchor *a = c->anchors; a != NULL; a = a->next)
			if (strcmp(a->name, (char *)ev->data.alias.anchor) == 0)
				return expand_alias(c, a, line);
		cfg_errorf(c->e, c->name, line, "unknown alias '*%s'",
		    ev->data.alias.anchor);
		return NULL;
	default:
		cfg_errorf(c->e, c->name, line, "unexpected YAML event");
		return NULL;
	}
}

struct cfg_node *
cfg_parse(const char *text, size_t len, const char *name,
    struct cfg_errors *e)
{
	struct pctx c = { .name = name, .e = e };
	struct cfg_node *root = NULL;
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
		free(a->name);
		free(a);
	}
	if (c.failed) {
		cfg_free(root);
		return NULL;
	}
	if (root == NULL)	/* an empty document is an empty mapping */
		root = cfg__node_new(CFG_MAP, name, 1);
	return root;
}

/* -- merge -------------------------------------------------------------- */

void
cfg_merge(struct cfg_node *dst, struct cfg_node *src)
{
	struct cfg_node *c, *next;

	for (c = src->child; c != NULL; c = next) {
		next = c->next;
		struct cfg_node *d = map_find(dst, c->key, strlen(c->key));
		cfg__unlink(c);
		if (d == NULL)
			cfg__append(dst, c);
		else if (d->type == CFG_MAP && c->type == CFG_MAP) {
			/* Where the key was last set is what errors should name. */
			free(d->file);
			d->file = cfg__strdup(c->file);
			d->line = c->line;
			cfg_merge(d, c);	/* consumes c */
		} else
			cfg__replace(d, c);
	}
	cfg_free(src);
}

/* -- lookup ------------------------------------------------------------- */

struct cfg_node *
cfg__child(const struct cfg_node *n, const char *seg, size_t len)
{
	if (n->type == CFG_MAP)
		return map_find(n, seg, len);
	if (n->type == CFG_SEQ) {
		char *end;
		char num[24];
		if (len == 0 || len >= sizeof(num))
			return NULL;
		memcpy(num, seg, len);
		num[len] = '\0';
		long idx = strtol(num, &end, 10);
		if (*end != '\0' || idx < 0)
			return NULL;
		for (struct cfg_node *c = n->child; c != NULL; c = c->next)
			if (idx-- == 0)
				return c;
	}
	return NULL;
}

struct cfg_node *
cfg_get(struct cfg_node *at, const char *dotted)
{
	const char *p = dotted;

	while (at != NULL && *p) {
		const char *s = p;
		while (*p && *p != '.')
			p++;
		at = cfg__child(at, s, (size_t)(p - s));
		if (*p == '.')
			p++;
	}
	return at;
}

struct cfg_node *
cfg__walk(struct cfg_node *root, char *path, bool make, const char *file,
    int line, char **last, bool *scalar)
{
	struct cfg_node *at = root, *c;
	char *dot;

	*last = path;
	if (scalar != NULL)
		*scalar = false;
	while ((dot = strchr(*last, '.')) != NULL) {
		*dot = '\0';
		if ((c = cfg__child(at, *last, strlen(*last))) == NULL) {
			if (!make || at->type != CFG_MAP)
				return NULL;
			c = cfg__node_new(CFG_MAP, file, line);
			c->key = cfg__strdup(*last);
			cfg__append(at, c);
		}
		if (c->type == CFG_SCALAR) {
			if (scalar != NULL)
				*scalar = true;
			return NULL;
		}
		at = c;
		*last = dot + 1;
	}
	return at;
}

void
cfg__place(struct cfg_node *at, const char *last, struct cfg_node *val)
{
	struct cfg_node *old = cfg__child(at, last, strlen(last));

	if (old != NULL)
		cfg__replace(old, val);
	else {
		val->key = cfg__strdup(last);
		cfg__append(at, val);
	}
}

int
cfg_set(struct cfg_node *root, const char *dotted, const char *value,
    bool quoted, const char *file, int line)
{
	struct cfg_node *at, *n;
	char *path = cfg__strdup(dotted), *last;

	at = cfg__walk(root, path, true, file, line, &last, NULL);
	if (at == NULL || at->type != CFG_MAP) {
		free(path);
		return -1;
	}
	n = cfg__node_new(CFG_SCALAR, file, line);
	n->value = cfg__strdup(value);
	n->quoted = value != NULL && quoted;
	cfg__place(at, last, n);
	free(path);
	return 0;
}

/* Append n's dotted key to buf[0..o); the new length, size if full. */
static size_t
keypath(const struct cfg_node *n, char *buf, size_t size)
{
	size_t o;
	int k, idx = 0;

	if (n == NULL || n->parent == NULL)
		return 0;
	if ((o = keypath(n->parent, buf, size)) >= size)
		return size;
	if (n->key != NULL)
		k = snprintf(buf + o, size - o, "%s%s", o ? "." : "", n->key);
	else {
		for (const struct cfg_node *s = n->parent->child; s != n;
		    s = s->next)
			idx++;
		k = snprintf(buf + o, size - o, "%s%d", o ? "." : "", idx);
	}
	return k < 0 || (size_t)k >= size - o ? size : o + (size_t)k;
}

void
cfg_keypath(const struct cfg_node *n, char *buf, size_t size)
{
	buf[0] = '\0';
	keypath(n, buf, size);
}

/* -- printing ----------------------------------------------------------- */

/*
 * Printing goes through libyaml's emitter, which knows YAML's syntax;
 * what it cannot know is which strings another reader would take for
 * a number, a bool or a null. A scalar that was plain in its file is
 * printed plain, so that every reader reads it as it read the file. A
 * string is printed plain only where no reader would take it for
 * anything else (cfg__ambiguous); otherwise plain_implicit is false
 * and the emitter quotes it, as PyYAML's dumper does.
 */
struct printer {
	yaml_emitter_t		 em;
	struct cfg_errors	*e;
};

static int
print_failed(struct printer *p)
{
	if (p->em.error == YAML_WRITER_ERROR)
		cfg_errorf(p->e, NULL, 0, "cfg_print: write: %s",
		    strerror(errno));
	else
		cfg_errorf(p->e, NULL, 0, "cfg_print: %s", p->em.problem ?
		    p->em.problem : strerror(ENOMEM));
	return -1;
}

/* Emit an event made (made != 0) by a yaml_*_event_initialize call. */
static int
emitted(struct printer *p, yaml_event_t *ev, int made)
{
	/* yaml_emitter_emit frees the event, also when it fails. */
	if (made && yaml_emitter_emit(&p->em, ev))
		return 0;
	return print_failed(p);
}

/*
 * A scalar. Text with a line break or control character is printed in
 * double quotes, as escapes on one line rather than folded. libyaml
 * refuses text that is not UTF-8 (a ${oc.env:...} could hold it).
 */
static int
emit_scalar(struct printer *p, const struct cfg_node *n, const char *text,
    bool plain)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;
	char key[256];

	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
	    -1, plain, 1, style)) {
		cfg_keypath(n, key, sizeof(key));
		cfg_errorf(p->e, n->file, n->line, "%s: cannot print: not "
		    "valid UTF-8", key);
		return -1;
	}
	return emitted(p, &ev, 1);
}

static int
emit_node(struct printer *p, const struct cfg_node *n)
{
	yaml_event_t ev;
	int made;

	if (n->type == CFG_SCALAR) {
		if (n->value == NULL)
			return emit_scalar(p, n, "null", true);
		return emit_scalar(p, n, n->value, !n->quoted ||
		    !cfg__ambiguous(n->value));
	}
	if (n->type == CFG_MAP)
		made = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		made = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
	if (emitted(p, &ev, made) == -1)
		return -1;
	for (const struct cfg_node *c = n->child; c != NULL; c = c->next) {
		/* Keys are printed plain where YAML allows, as written. */
		if (n->type == CFG_MAP && emit_scalar(p, c, c->key, true) == -1)
			return -1;
		if (emit_node(p, c) == -1)
			return -1;
	}
	if (n->type == CFG_MAP)
		made = yaml_mapping_end_event_initialize(&ev);
	else
		made = yaml_sequence_end_event_initialize(&ev);
	return emitted(p, &ev, made);
}

int
cfg_print(FILE *out, const struct cfg_node *root, struct cfg_errors *e)
{
	struct printer p = { .e = e };
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&p.em))
		abort();
	yaml_emitter_set_output_file(&p.em, out);
	yaml_emitter_set_unicode(&p.em, 1);
	yaml_emitter_set_width(&p.em, -1);	/* never fold a long path */
	if (emitted(&p, &ev, yaml_stream_start_event_initialize(&ev,
	    YAML_UTF8_ENCODING)) == -1 ||
	    emitted(&p, &ev, yaml_document_start_event_initialize(&ev, NULL,
	    NULL, NULL, 1)) == -1 ||
	    emit_node(&p, root) == -1 ||
	    emitted(&p, &ev, yaml_document_end_event_initialize(&ev, 1)) == -1 ||
	    emitted(&p, &ev, yaml_stream_end_event_initialize(&ev)) == -1)
		goto out;
	if (!yaml_emitter_flush(&p.em)) {
		print_failed(&p);
		goto out;
	}
	if (fflush(out) == EOF) {
		cfg_errorf(e, NULL, 0, "cfg_print: write: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	yaml_emitter_delete(&p.em);
	return rc;
}
