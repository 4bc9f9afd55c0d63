/*
 * cfg_parse.c: YAML text into a config tree, as OmegaConf.load reads it.
 *
 * libyaml reads the YAML 1.1 syntax that PyYAML reads; what PyYAML and
 * OmegaConf then make of each node is repeated here: scalars and keys
 * typed by OmegaConf's loader (cfg_type.c), the tags it constructs
 * (!!str, !!int, !!float, !!bool, !!null; others refused), << merge
 * keys (SafeConstructor.flatten_mapping), keys equal as Python's dict
 * keys are (1, 1.0 and true are one key; the last value wins in the
 * first one's place), a duplicate string key refused as OmegaConf's
 * loader refuses it (_utils.py get_yaml_loader: by source text, before
 * merging), a null key refused as OmegaConf.create refuses it.
 */
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MERGE_TAG	"tag:yaml.org,2002:merge"

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
	n = cfg_copy(a->node);
	free(n->key);		/* the alias's own key is set by its map */
	n->key = NULL;
	n->line = line;
	return n;
}

static struct cfg_node *parse_value(struct pctx *c, yaml_event_t *ev);

/* A key as its map will hold it. */
struct key {
	enum cfg_type	 type;
	char		*text;		/* Python's str() of the key */
	char		*source;	/* as written, for duplicate checks */
	bool		 str_tagged;	/* tagged str when OmegaConf checks */
	bool		 plain;		/* a string written plain */
	bool		 merge;		/* a << merge key */
	int		 line;
};

/* The key of scalar event ev into *k; -1 (reported) if PyYAML refuses it. */
static int
read_key(struct pctx *c, yaml_event_t *ev, struct key *k)
{
	const char *v = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag, *why;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	bool special = false;
	char *canon = NULL;

	memset(k, 0, sizeof(*k));
	k->line = (int)ev->start_mark.line + 1;
	if (plain && tag == NULL) {
		cfg__plain_type(v, &special);
		if (special && strcmp(v, "<<") == 0) {
			k->merge = true;
			return 0;
		}
	}
	if (cfg__construct(tag, v, plain && tag == NULL, &k->type, &canon,
	    &why) == -1) {
		cfg_errorf(c->e, c->name, k->line, "key '%s': %s", v, why);
		return -1;
	}
	/*
	 * PyYAML tags a plain = as a value, which flatten_mapping makes a
	 * string only after OmegaConf's duplicate check has passed it by.
	 */
	k->str_tagged = k->type == CFG_TYPE_STR && !special;
	k->plain = k->type == CFG_TYPE_STR && plain && tag == NULL;
	k->source = cfg__strdup(v);
	if (k->type == CFG_TYPE_NULL) {
		cfg_errorf(c->e, c->name, k->line, "key '%s' is null: OmegaConf "
		    "keys are strings, numbers or bools", v);
		free(canon);
		free(k->source);
		k->source = NULL;
		return -1;
	}
	if (k->type == CFG_TYPE_STR)
		k->text = canon != NULL ? canon : cfg__strdup(v);
	else {
		/* A number or bool key is kept as Python's str() of it. */
		struct cfg_node tmp = { .type = CFG_SCALAR, .vtype = k->type,
		    .value = canon != NULL ? canon : (char *)v };
		k->text = cfg__pystr(&tmp);
		free(canon);
		if (k->text == NULL) {
			cfg_errorf(c->e, c->name, k->line, "key '%s': "
			    "integer with more than %d digits", v,
			    CFG_MAX_INT_DIGITS);
			free(k->source);
			k->source = NULL;
			return -1;
		}
	}
	return 0;
}

struct pair {
	struct key	 key;
	struct cfg_node	*val;
};

static void
free_pairs(struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].key.text);
		free(p[i].key.source);
		cfg_free(p[i].val);
	}
	free(p);
}

/*
 * Insert one value under key into map as a Python dict does: an equal
 * key already there keeps its place and its own key, and takes the
 * value. val is consumed.
 */
static void
dict_set(struct cfg_node *map, enum cfg_type ktype, const char *key,
    bool kplain, struct cfg_node *val)
{
	struct cfg_node *old = cfg__map_find(map, ktype, key);

	if (old != NULL) {
		cfg__replace(old, val);
		return;
	}
	free(val->key);
	val->key = cfg__strdup(key);
	val->ktype = ktype;
	val->kplain = kplain;
	cfg__append(map, val);
}

/* The keys of map src into dst, as flatten_mapping prepends them. */
static void
merge_in(struct cfg_node *dst, const struct cfg_node *src)
{
	for (const struct cfg_node *m = src->child; m != NULL; m = m->next)
		dict_set(dst, m->ktype, m->key, m->kplain, cfg_copy(m));
}

/* A list of maps to merge: the last first, so that the first wins. */
static void
merge_list(struct cfg_node *dst, const struct cfg_node *first)
{
	const struct cfg_node **maps, *m;
	size_t n = 0;

	for (m = first; m != NULL; m = m->next)
		n++;
	maps = cfg__calloc(n, sizeof(*maps));
	n = 0;
	for (m = first; m != NULL; m = m->next)
		maps[n++] = m;
	while (n-- > 0)
		merge_in(dst, maps[n]);
	free(maps);
}

/*
 * The map of pairs p[0..n): duplicate string keys refused, then the
 * maps of << merge keys first (the first of a list winning), then its
 * own keys, which win over merged ones. The pairs' values are consumed.
 */
static int
build_map(struct pctx *c, struct cfg_node *map, struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; p[i].key.str_tagged && j < i; j++)
			if (p[j].key.str_tagged &&
			    strcmp(p[i].key.source, p[j].key.source) == 0) {
				cfg_errorf(c->e, c->name, p[i].key.line,
				    "duplicate key '%s'", p[i].key.source);
				return -1;
			}
	for (size_t i = 0; i < n; i++) {
		struct cfg_node *v = p[i].val, *m;
		bool ok = v->type == CFG_MAP || (v->type == CFG_SEQ &&
		    v->child != NULL);
		if (!p[i].key.merge)
			continue;
		for (m = v->type == CFG_SEQ ? v->child : NULL; m != NULL;
		    m = m->next)
			ok &= m->type == CFG_MAP;
		if (!ok) {
			cfg_errorf(c->e, c->name, p[i].key.line, "<<: expected "
			    "a mapping or list of mappings for merging");
			return -1;
		}
		if (v->type == CFG_MAP)
			merge_in(map, v);
		else
			merge_list(map, v->child);
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i].key.merge)
			continue;
		dict_set(map, p[i].key.type, p[i].key.text, p[i].key.plain,
		    p[i].val);
		p[i].val = NULL;
	}
	return 0;
}

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
	const char *tag = (const char *)(is_map ? start->data.mapping_start.tag :
	    start->data.sequence_start.tag);
	char *anchor_copy = anchor ? cfg__strdup((char *)anchor) : NULL;
	struct pair *pairs = NULL;
	size_t npairs = 0, cap = 0;
	yaml_event_t ev;

	/* Each level is a recursion here and in every walk of the tree. */
	if (++c->depth > CFG_MAX_DEPTH) {
		cfg_errorf(c->e, c->name, n->line, "nested deeper than %d "
		    "levels", CFG_MAX_DEPTH);
		goto fail;
	}
	if (tag != NULL && strcmp(tag, "!") != 0 && strcmp(tag, is_map ?
	    YAML_MAP_TAG : YAML_SEQ_TAG) != 0) {
		cfg_errorf(c->e, c->name, n->line, "tag %s: not a tag "
		    "OmegaConf's loader constructs a config from", tag);
		goto fail;
	}

	for (;;) {
		struct key k = { 0 };

		if (next_event(c, &ev) == -1)
			goto fail;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (is_map) {
			if (ev.type != YAML_SCALAR_EVENT) {
				cfg_errorf(c->e, c->name,
				    (int)ev.start_mark.line + 1,
				    "mapping keys must be scalars");
				yaml_event_delete(&ev);
				goto fail;
			}
			int rc = read_key(c, &ev, &k);
			yaml_event_delete(&ev);
			if (rc == -1 || next_event(c, &ev) == -1) {
				free(k.text);
				free(k.source);
				goto fail;
			}
		}
		struct cfg_node *child = parse_value(c, &ev);
		yaml_event_delete(&ev);
		if (child == NULL) {
			free(k.text);
			free(k.source);
			goto fail;
		}
		if (!is_map) {
			cfg__append(n, child);
			continue;
		}
		if (npairs == cap) {
			cap = cap ? cap * 2 : 8;
			if ((pairs = realloc(pairs, cap * sizeof(*pairs))) == NULL)
				abort();
		}
		pairs[npairs].key = k;
		pairs[npairs++].val = child;
	}
	if (is_map && build_map(c, n, pairs, npairs) == -1)
		goto fail;
	free_pairs(pairs, npairs);
	if (anchor_copy != NULL)
		add_anchor(c, (yaml_char_t *)anchor_copy, n);
	free(anchor_copy);
	c->depth--;
	return n;
fail:
	/* Anchors may point into n now; parsing stops, none is used. */
	c->failed = 1;
	free_pairs(pairs, npairs);
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
		const char *tag = (const char *)ev->data.scalar.tag, *why;
		bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		bool special = false;
		char *canon = NULL;
		enum cfg_type type;

		if (plain && tag == NULL && cfg__plain_type(v, &special) ==
		    CFG_TYPE_STR && special) {
			cfg_errorf(c->e, c->name, line, "a plain '%s' is not a "
			    "value: PyYAML has no constructor for its tag "
			    "(quote it)", v);
			return NULL;
		}
		if (cfg__construct(tag, v, plain && tag == NULL, &type, &canon,
		    &why) == -1) {
			cfg_errorf(c->e, c->name, line, "'%s': %s", v, why);
			return NULL;
		}
		n = cfg__node_new(CFG_SCALAR, c->name, line);
		n->vtype = type;
		n->plain = plain && tag == NULL && type == CFG_TYPE_STR;
		if (type != CFG_TYPE_NULL)
			n->value = canon != NULL ? canon : cfg__strdup(v);
		else
			free(canon);
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

