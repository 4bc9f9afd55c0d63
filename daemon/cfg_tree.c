/* cfg_tree.c: the config tree: errors, nodes, merge, lookup. */
#include "cfg_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
	if (vsnprintf(msg, sizeof(msg), fmt, ap) >= (int)sizeof(msg)) {
		/* Cut whole: no UTF-8 sequence left half at the end. */
		size_t n = strlen(msg), start = n, want;
		while (start > 0 && ((unsigned char)msg[start - 1] & 0xc0) ==
		    0x80)
			start--;
		if (start > 0 && (unsigned char)msg[start - 1] >= 0xc0) {
			unsigned char lead = (unsigned char)msg[--start];
			want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (n - start < want)
				msg[start] = '\0';
		}
	}
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
	n->vtype = CFG_TYPE_NULL;
	n->ktype = CFG_TYPE_STR;
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

struct cfg_node *
cfg_copy(const struct cfg_node *n)
{
	struct cfg_node *c = cfg__node_new(n->type, n->file, n->line);

	c->key = cfg__strdup(n->key);
	c->ktype = n->ktype;
	c->kplain = n->kplain;
	c->value = cfg__strdup(n->value);
	c->vtype = n->vtype;
	c->plain = n->plain;
	c->unresolved = n->unresolved;
	for (const struct cfg_node *ch = n->child; ch != NULL; ch = ch->next)
		cfg__append(c, cfg_copy(ch));
	return c;
}

/* A number key's value as a double, for comparing int, float and bool. */
static double
key_number(enum cfg_type t, const char *k)
{
	if (t == CFG_TYPE_BOOL)
		return strcmp(k, "True") == 0;
	return strtod(k, NULL);		/* "inf", "nan" and digits all read */
}

bool
cfg__key_equal(enum cfg_type ta, const char *a, enum cfg_type tb,
    const char *b)
{
	if (ta == CFG_TYPE_STR || tb == CFG_TYPE_STR || ta == CFG_TYPE_NULL ||
	    tb == CFG_TYPE_NULL)
		return ta == tb && strcmp(a, b) == 0;
	/* ints are kept in decimal, so equal ints have equal text. */
	if (ta == CFG_TYPE_INT && tb == CFG_TYPE_INT)
		return strcmp(a, b) == 0;
	/* A nan key is a new object each time: never equal, as in Python. */
	double x = key_number(ta, a), y = key_number(tb, b);
	return !isnan(x) && x == y;
}

struct cfg_node *
cfg__map_find(const struct cfg_node *map, enum cfg_type ktype,
    const char *key)
{
	for (struct cfg_node *c = map->child; c != NULL; c = c->next)
		if (cfg__key_equal(c->ktype, c->key, ktype, key))
			return c;
	return NULL;
}

static struct cfg_node *
map_find(const struct cfg_node *map, const char *key, size_t len)
{
	for (struct cfg_node *c = map->child; c != NULL; c = c->next)
		if (c->ktype == CFG_TYPE_STR && strlen(c->key) == len &&
		    memcmp(c->key, key, len) == 0)
			return c;
	return NULL;
}

bool
cfg__missing(const struct cfg_node *n)
{
	return n->type == CFG_SCALAR && n->vtype == CFG_TYPE_STR &&
	    strcmp(n->value, "???") == 0;
}

void
cfg__replace(struct cfg_node *old, struct cfg_node *new)
{
	struct cfg_node **pp;

	free(new->key);
	new->key = old->key;
	new->ktype = old->ktype;
	new->kplain = old->kplain;
	old->key = NULL;
	new->parent = old->parent;
	new->next = old->next;
	for (pp = &old->parent->child; *pp != old; pp = &(*pp)->next)
		;
	*pp = new;
	old->next = NULL;
	cfg_free(old);
}

/* -- merge -------------------------------------------------------------- */

void
cfg_merge(struct cfg_node *dst, struct cfg_node *src)
{
	struct cfg_node *c, *next;

	for (c = src->child; c != NULL; c = next) {
		next = c->next;
		struct cfg_node *d = cfg__map_find(dst, c->ktype, c->key);
		cfg__unlink(c);
		if (d == NULL)
			cfg__append(dst, c);
		else if (d->type == CFG_MAP && c->type == CFG_MAP) {
			/* Where the key was last set is what errors should name. */
			free(d->file);
			d->file = cfg__strdup(c->file);
			d->line = c->line;
			cfg_merge(d, c);	/* consumes c */
		} else if (cfg__missing(c))
			cfg_free(c);	/* a ??? leaves what is there */
		else
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
			c->ktype = CFG_TYPE_STR;
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
		free(val->key);
		val->key = cfg__strdup(last);
		val->ktype = CFG_TYPE_STR;
		val->kplain = false;
		cfg__append(at, val);
	}
}

void
cfg__map_set(struct cfg_node *map, const char *key, struct cfg_node *val)
{
	struct cfg_node *old = cfg__map_find(map, CFG_TYPE_STR, key);

	if (old != NULL) {
		cfg__replace(old, val);
		return;
	}
	free(val->key);
	val->key = cfg__strdup(key);
	val->ktype = CFG_TYPE_STR;
	cfg__append(map, val);
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
	n->vtype = value == NULL ? CFG_TYPE_NULL : quoted ? CFG_TYPE_STR :
	    cfg__plain_type(value, NULL);
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

