/*
 * cfg_eval.c: the value of a parsed interpolation.
 *
 * What grammar_visitor.py (OmegaConf 2.2.2) does with a parse tree:
 * a config value that is one interpolation alone is that
 * interpolation's value as it is; a longer one joins its literal text
 * and Python's str() of each interpolation; a node interpolation's key
 * is its text with nested interpolations (strings) put in; a
 * resolver's name and arguments are evaluated and handed to it
 * (cfg_resolvers.c), an unquoted argument of one token typed by the
 * grammar (_createPrimitive), a quoted one always a string, [..] and
 * {..} Python lists and dicts.
 */
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

/* The text of a string value, or NULL if the value is no string. */
static const char *
str_of(const struct cfg_val *v)
{
	if (v->n->type == CFG_SCALAR && v->n->vtype == CFG_TYPE_STR)
		return v->n->value;
	return NULL;
}

/*
 * Pieces joined as _unescape joins them: literals as they are, each
 * interpolation as Python's str() of its value. A piece that needs an
 * unknown resolver does not stop the others: an error among them is
 * what OmegaConf would raise.
 */
static int
concat(struct cfg_rctx *c, const struct cfg_ast *a, struct cfg_node *self,
    struct cfg_val *out)
{
	struct cfg_sbuf b = { 0 };
	struct cfg_failure unknown = { 0 };

	for (size_t i = 0; i < a->nkid; i++) {
		struct cfg_val v;
		if (a->kid[i]->type == CFG_AST_LIT) {
			cfg__sbuf_str(&b, a->kid[i]->text);
			continue;
		}
		if (cfg__eval(c, a->kid[i], self, &v) == -1) {
			if (cfg__failed(c) == CFG_FAIL_ERROR) {
				free(b.s);
				return -1;
			}
			if (unknown.fail == 0)
				cfg__failure_save(c, &unknown);
			continue;
		}
		char *s = cfg__pystr(v.n);
		cfg__val_free(&v);
		if (s == NULL) {
			free(b.s);
			return cfg__fail(c, CFG_FAIL_ERROR, "integer too long "
			    "for str() (more than %d digits)",
			    CFG_MAX_INT_DIGITS);
		}
		cfg__sbuf_str(&b, s);
		free(s);
	}
	if (unknown.fail != 0) {
		free(b.s);
		return cfg__failure_restore(c, &unknown);
	}
	out->n = cfg__scalar(CFG_TYPE_STR, b.s != NULL ? b.s : "");
	out->own = true;
	free(b.s);
	return 0;
}

/* ${a.b}: the key's text with its nested interpolations, then selected. */
static int
eval_node(struct cfg_rctx *c, const struct cfg_ast *a, struct cfg_node *self,
    struct cfg_val *out)
{
	struct cfg_sbuf key = { 0 };
	int rc;

	for (size_t i = 0; i < a->nkid; i++) {
		struct cfg_val v;
		const char *s;
		if (a->kid[i]->type == CFG_AST_LIT) {
			cfg__sbuf_str(&key, a->kid[i]->text);
			continue;
		}
		if (cfg__eval(c, a->kid[i], self, &v) == -1) {
			free(key.s);
			return -1;
		}
		if ((s = str_of(&v)) == NULL) {
			char *t = cfg__pystr(v.n);
			cfg__val_free(&v);
			free(key.s);
			cfg__fail(c, CFG_FAIL_ERROR, "a nested interpolation "
			    "names a key, so it must be a string, not %s",
			    t != NULL ? t : "an int");
			free(t);
			return -1;
		}
		cfg__sbuf_str(&key, s);
		cfg__val_free(&v);
	}
	rc = cfg__select(c, self, key.s != NULL ? key.s : "", false, out);
	free(key.s);
	return rc;
}

/* ${name:args}: the name (its parts joined by dots) and each argument. */
static int
eval_resolver(struct cfg_rctx *c, const struct cfg_ast *a,
    struct cfg_node *self, struct cfg_val *out)
{
	struct cfg_sbuf name = { 0 };
	struct cfg_val args[CFG_MAX_RESOLVER_ARGS];
	size_t nargs = a->nkid - a->nname;
	struct cfg_failure unknown = { 0 };
	int rc = -1;

	for (size_t i = 0; i < a->nname; i++) {
		struct cfg_val v;
		const char *s;
		if (i > 0)
			cfg__sbuf_str(&name, ".");
		if (a->kid[i]->type == CFG_AST_LIT) {
			cfg__sbuf_str(&name, a->kid[i]->text);
			continue;
		}
		if (cfg__eval(c, a->kid[i], self, &v) == -1) {
			free(name.s);
			return -1;
		}
		if ((s = str_of(&v)) == NULL) {
			cfg__val_free(&v);
			free(name.s);
			return cfg__fail(c, CFG_FAIL_ERROR, "the name of a "
			    "resolver must be a string");
		}
		cfg__sbuf_str(&name, s);
		cfg__val_free(&v);
	}
	if (nargs > CFG_MAX_RESOLVER_ARGS) {
		free(name.s);
		return cfg__fail(c, CFG_FAIL_ERROR, "more than %d arguments",
		    CFG_MAX_RESOLVER_ARGS);
	}
	memset(args, 0, sizeof(args));
	for (size_t i = 0; i < nargs; i++) {
		if (cfg__eval(c, a->kid[a->nname + i], self, &args[i]) == 0)
			continue;
		if (cfg__failed(c) == CFG_FAIL_ERROR)
			goto out;
		if (unknown.fail == 0)
			cfg__failure_save(c, &unknown);
	}
	if (unknown.fail != 0) {
		cfg__failure_restore(c, &unknown);
		goto out;
	}
	rc = cfg__call_resolver(c, name.s, args, nargs, a, self, out);
out:
	for (size_t i = 0; i < nargs; i++)
		cfg__val_free(&args[i]);
	free(name.s);
	return rc;
}

/* A typed token: Python's value of its text, as _createPrimitive makes it. */
static struct cfg_node *
typed(const struct cfg_ast *a)
{
	const char *t = a->kid[0]->text, *why;
	char buf[CFG_FLOAT_REPR_MAX], *s;
	struct cfg_node *n;

	switch (a->vtype) {
	case CFG_TYPE_INT:
		/* A grammar INT is [+-]?(0|[1-9](_?[0-9])*): int() reads it. */
		s = cfg__yaml_int(t, &why);
		n = cfg__scalar(CFG_TYPE_INT, s != NULL ? s : t);
		free(s);
		return n;
	case CFG_TYPE_FLOAT: {
		char digits[256];
		size_t k = 0;
		for (; *t != '\0' && k + 1 < sizeof(digits); t++)
			if (*t != '_')
				digits[k++] = *t;
		digits[k] = '\0';
		cfg__float_yaml(strtod(digits, NULL), buf, sizeof(buf));
		return cfg__scalar(CFG_TYPE_FLOAT, buf);
	}
	case CFG_TYPE_BOOL:
		return cfg__scalar(CFG_TYPE_BOOL, strcasecmp(t, "true") == 0 ?
		    "true" : "false");
	case CFG_TYPE_NULL:
		return cfg__scalar(CFG_TYPE_NULL, NULL);
	case CFG_TYPE_STR:
		break;
	}
	return cfg__scalar(CFG_TYPE_STR, t);
}

/*
 * A Python value out of an element's value (_get_value): a config map
 * or list in a Python list or dict is copied as it was loaded.
 */
static struct cfg_node *
py_member(struct cfg_val *v)
{
	struct cfg_node *n = v->own ? v->n : cfg_copy(v->n);

	v->own = false;
	v->n = NULL;
	free(n->key);
	n->key = NULL;
	n->rs = NULL;
	return n;
}

int
cfg__eval(struct cfg_rctx *c, const struct cfg_ast *a, struct cfg_node *self,
    struct cfg_val *out)
{
	struct cfg_val v;

	memset(out, 0, sizeof(*out));
	switch (a->type) {
	case CFG_AST_TEXT:
		if (a->single)
			return cfg__eval(c, a->kid[0], self, out);
		return concat(c, a, self, out);
	case CFG_AST_NODE:
		return eval_node(c, a, self, out);
	case CFG_AST_RESOLVER:
		return eval_resolver(c, a, self, out);
	case CFG_AST_PRIM:
		if (a->bad)
			return cfg__fail(c, CFG_FAIL_ERROR, "a blank alone is "
			    "no argument");
		if (a->typed) {
			out->n = typed(a);
			out->own = true;
			return 0;
		}
		if (a->single)
			return cfg__eval(c, a->kid[0], self, out);
		return concat(c, a, self, out);
	case CFG_AST_QUOTED:
		if (a->nkid == 0) {
			out->n = cfg__scalar(CFG_TYPE_STR, "");
			out->own = true;
			return 0;
		}
		if (cfg__eval(c, a->kid[0], self, &v) == -1)
			return -1;
		if (str_of(&v) != NULL) {
			*out = v;
			return 0;
		}
		char *s = cfg__pystr(v.n);
		cfg__val_free(&v);
		out->n = cfg__scalar(CFG_TYPE_STR, s != NULL ? s : "");
		out->own = true;
		free(s);
		return 0;
	case CFG_AST_EMPTY:
		out->n = cfg__scalar(CFG_TYPE_STR, "");
		out->own = true;
		return 0;
	case CFG_AST_LIST:
	case CFG_AST_DICT: {
		bool dict = a->type == CFG_AST_DICT;
		struct cfg_node *n = cfg__node_new(dict ? CFG_MAP : CFG_SEQ,
		    NULL, 0);
		for (size_t i = 0; i < a->nkid; i += dict ? 2 : 1) {
			struct cfg_val k = { 0 };
			if (dict && cfg__eval(c, a->kid[i], self, &k) == -1)
				goto fail;
			if (cfg__eval(c, a->kid[i + dict], self, &v) == -1) {
				cfg__val_free(&k);
				goto fail;
			}
			struct cfg_node *m = py_member(&v);
			if (!dict) {
				cfg__append(n, m);
				continue;
			}
			/* dict(): an equal key keeps its place, takes the value. */
			char *kt = cfg__pystr(k.n);
			enum cfg_type kty = k.n->vtype;
			struct cfg_node *old = cfg__map_find(n, kty, kt);
			cfg__val_free(&k);
			if (old != NULL) {
				cfg__replace(old, m);
				free(kt);
			} else {
				m->key = kt;
				m->ktype = kty;
				cfg__append(n, m);
			}
			continue;
		fail:
			cfg_free(n);
			return -1;
		}
		out->n = n;
		out->own = out->py = true;
		return 0;
	}
	case CFG_AST_LIT:
		break;
	}
	out->n = cfg__scalar(CFG_TYPE_STR, a->text);
	out->own = true;
	return 0;
}

