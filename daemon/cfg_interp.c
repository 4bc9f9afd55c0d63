/* cfg_interp.c: OmegaConf ${...} interpolation, resolved in place. */
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

#define RESOLVE_MAX_DEPTH	64	/* interpolations chained this deep */

enum { ST_UNRESOLVED, ST_RESOLVING, ST_DONE, ST_FAILED };

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
	struct cfg_node		*root;
	struct cfg_errors	*e;
	struct cfg_node		*stack[RESOLVE_MAX_DEPTH];
	int			 depth;
};

static void
chain_str(struct rctx *c, int from, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = from; i < c->depth && o < size; i++) {
		char k[256];
		cfg_keypath(c->stack[i], k, sizeof(k));
		int n = snprintf(buf + o, size - o, "%s%s", i > from ? " -> " : "", k);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static void
interp_error(struct rctx *c, const char *fmt, const char *arg)
{
	struct cfg_node *at = c->stack[c->depth - 1];
	struct cfg_node *first = c->stack[0];
	char key[256], chain[1024], msg[512];

	cfg_keypath(first, key, sizeof(key));
	snprintf(msg, sizeof(msg), fmt, arg);
	if (c->depth > 1) {
		chain_str(c, 0, chain, sizeof(chain));
		cfg_errorf(c->e, at->file, at->line, "%s: %s (via %s)", key, msg,
		    chain);
	} else
		cfg_errorf(c->e, at->file, at->line, "%s: %s", key, msg);
}

static int resolve_scalar(struct rctx *c, struct cfg_node *n);

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

static int interp(struct rctx *c, struct cfg_node *at, const char *s,
    size_t len, struct sbuf *out, struct cfg_node **whole);

static int
interp_one(struct rctx *c, struct cfg_node *at, const char *expr_raw,
    size_t len, struct sbuf *out, struct cfg_node **target_out)
{
	struct sbuf expr = { 0 };
	struct cfg_node *t;
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
		t = t ? cfg_get(t, p) : NULL;
	} else
		t = cfg_get(c->root, expr.s);
	if (t == NULL) {
		interp_error(c, "interpolation key '%s' not found", expr.s);
		goto out;
	}
	if (t->type != CFG_SCALAR) {
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
interp(struct rctx *c, struct cfg_node *at, const char *s, size_t len,
    struct sbuf *out, struct cfg_node **whole)
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
			struct cfg_node *t;
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
resolve_scalar(struct rctx *c, struct cfg_node *n)
{
	struct sbuf out = { 0 };
	struct cfg_node *whole;

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
		cfg_keypath(n, key, sizeof(key));
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
		n->value = cfg__strdup(whole->value);
		n->quoted = whole->quoted;
	} else {
		n->value = out.s ? out.s : cfg__strdup("");
		n->quoted = true;
	}
	n->state = ST_DONE;
	return 0;
}

static void
resolve_all(struct rctx *c, struct cfg_node *n, int *failed)
{
	for (; n != NULL; n = n->next) {
		if (n->type == CFG_SCALAR) {
			if (n->state != ST_FAILED && resolve_scalar(c, n) == -1)
				*failed = 1;
			else if (n->state == ST_FAILED)
				*failed = 1;
		} else
			resolve_all(c, n->child, failed);
	}
}

int
cfg_resolve(struct cfg_node *root, struct cfg_errors *e)
{
	struct rctx c = { .root = root, .e = e };
	int failed = 0;

	resolve_all(&c, root->child, &failed);
	return failed ? -1 : 0;
}
