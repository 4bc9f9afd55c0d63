/*
 * cfg_resolvers.c: the ${name:args} resolvers a trainer's OmegaConf has.
 *
 * OmegaConf 2.2.2 registers oc.env, oc.select, oc.decode, oc.create,
 * oc.deprecated, oc.dict.keys and oc.dict.values (omegaconf.py
 * register_default_resolvers, resolvers/oc/__init__.py); Hydra 1.3.2
 * adds now, hydra and python_version (hydra/core/utils.py
 * setup_globals). The first three and now are computed here as they
 * compute them. hydra needs Hydra's runtime config and python_version
 * the trainer's interpreter; those, the four OmegaConf ones hycod does
 * not compute and any resolver a trainer registers itself leave the
 * value unresolved (CFG_FAIL_UNKNOWN): a warning, not an error, since
 * the trainer may well resolve it.
 */
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW_MAX_BYTES	4096	/* the text ${now:...} makes, at most */

/* The argument of a resolver that must be a string (TypeError else). */
static const char *
str_arg(struct cfg_rctx *c, const char *resolver, const struct cfg_val *v)
{
	if (v->n->type == CFG_SCALAR && v->n->vtype == CFG_TYPE_STR)
		return v->n->value;
	cfg__fail(c, CFG_FAIL_ERROR, "%s: TypeError: expected a string "
	    "argument", resolver);
	return NULL;
}

static int
arity(struct cfg_rctx *c, const char *resolver, size_t nargs, size_t min,
    size_t max)
{
	if (nargs >= min && nargs <= max)
		return 0;
	return cfg__fail(c, CFG_FAIL_ERROR, "%s: TypeError: takes %zu to %zu "
	    "arguments, %zu given", resolver, min, max, nargs);
}

/* A value handed on as the resolver's own: moved, or copied if borrowed. */
static void
give(struct cfg_val *from, struct cfg_val *to)
{
	*to = *from;
	memset(from, 0, sizeof(*from));
}

/*
 * oc.env:NAME[,DEFAULT]: the variable's text, never typed nor resolved
 * again; unset, str() of the default (a grammar value: 1e3 is 1000.0)
 * or None for null.
 */
static int
oc_env(struct cfg_rctx *c, struct cfg_val *args, size_t nargs,
    struct cfg_val *out)
{
	const char *name, *v;
	char *s;

	if (arity(c, "oc.env", nargs, 1, 2) == -1 ||
	    (name = str_arg(c, "oc.env", &args[0])) == NULL)
		return -1;
	if ((v = getenv(name)) != NULL) {
		out->n = cfg__scalar(CFG_TYPE_STR, v);
		out->own = true;
		return 0;
	}
	if (nargs == 1)
		return cfg__fail(c, CFG_FAIL_ERROR, "environment variable '%s' "
		    "not found (and no default)", name);
	if (args[1].n->type == CFG_SCALAR &&
	    args[1].n->vtype == CFG_TYPE_NULL) {
		out->n = cfg__scalar(CFG_TYPE_NULL, NULL);
		out->own = true;
		return 0;
	}
	if ((s = cfg__pystr(args[1].n)) == NULL)
		return cfg__fail(c, CFG_FAIL_ERROR, "oc.env: default too long "
		    "for str()");
	out->n = cfg__scalar(CFG_TYPE_STR, s);
	out->own = true;
	free(s);
	return 0;
}

/*
 * oc.select:KEY[,DEFAULT]: the value at KEY (absolute, or relative to
 * the string's map) with its type; the default (None without one) if
 * nothing is there or a ???.
 */
static int
oc_select(struct cfg_rctx *c, struct cfg_val *args, size_t nargs,
    struct cfg_node *self, struct cfg_val *out)
{
	const char *key;

	if (arity(c, "oc.select", nargs, 1, 2) == -1 ||
	    (key = str_arg(c, "oc.select", &args[0])) == NULL)
		return -1;
	if (cfg__select(c, self, key, true, out) == -1)
		return -1;
	if (out->n != NULL)
		return 0;
	if (nargs == 2)
		give(&args[1], out);
	else {
		out->n = cfg__scalar(CFG_TYPE_NULL, NULL);
		out->own = true;
	}
	return 0;
}

/*
 * oc.decode:STRING: the string parsed as one resolver argument is (a
 * number, a bool, null, a list, a dict), its interpolations resolved
 * for the same map; None stays None.
 */
static int
oc_decode(struct cfg_rctx *c, struct cfg_val *args, size_t nargs,
    struct cfg_node *self, struct cfg_val *out)
{
	struct cfg_ast *a;
	const char *expr;
	char err[256];
	int rc;

	if (arity(c, "oc.decode", nargs, 1, 1) == -1)
		return -1;
	if (args[0].n->type == CFG_SCALAR &&
	    args[0].n->vtype == CFG_TYPE_NULL) {
		give(&args[0], out);
		return 0;
	}
	if ((expr = str_arg(c, "oc.decode", &args[0])) == NULL)
		return -1;
	if ((a = cfg__grammar_parse(expr, true, err, sizeof(err))) == NULL)
		return cfg__fail(c, CFG_FAIL_ERROR, "oc.decode: grammar: %s in "
		    "'%s'", err, expr);
	rc = cfg__eval(c, a, self, out);
	cfg__ast_free(a);
	return rc;
}

/*
 * Hydra's now:PATTERN, datetime.now().strftime(PATTERN): local time,
 * %f the microseconds, %z and %Z empty (a naive datetime); the others
 * are C's strftime, as Python's are. One instant for the whole load,
 * as Hydra's cache makes it one per pattern.
 */
static int
now(struct cfg_rctx *c, struct cfg_val *args, size_t nargs,
    struct cfg_val *out)
{
	struct cfg_sbuf fmt = { 0 };
	const char *pat;
	char usec[8], buf[NOW_MAX_BYTES + 2];
	long us;
	time_t t = cfg__now(c, &us);
	struct tm tm;
	size_t n;

	if (arity(c, "now", nargs, 1, 1) == -1 ||
	    (pat = str_arg(c, "now", &args[0])) == NULL)
		return -1;
	snprintf(usec, sizeof(usec), "%06ld", us);
	for (const char *p = pat; *p != '\0'; p++) {
		if (p[0] != '%' || p[1] == '\0') {
			cfg__sbuf_add(&fmt, p, 1);
			continue;
		}
		p++;
		if (*p == 'f')
			cfg__sbuf_str(&fmt, usec);
		else if (*p != 'z' && *p != 'Z') {
			cfg__sbuf_add(&fmt, p - 1, 2);
		}
	}
	/* A last character, so that an empty result is told from none. */
	cfg__sbuf_str(&fmt, "|");
	localtime_r(&t, &tm);
	n = strftime(buf, sizeof(buf), fmt.s, &tm);
	free(fmt.s);
	if (n == 0)
		return cfg__fail(c, CFG_FAIL_ERROR, "now: more than %d bytes",
		    NOW_MAX_BYTES);
	buf[n - 1] = '\0';
	out->n = cfg__scalar(CFG_TYPE_STR, buf);
	out->own = true;
	return 0;
}

int
cfg__call_resolver(struct cfg_rctx *c, const char *name, struct cfg_val *args,
    size_t nargs, const struct cfg_ast *call, struct cfg_node *self,
    struct cfg_val *out)
{
	static const char *const not_here[] = {
		"oc.create", "oc.deprecated", "oc.dict.keys", "oc.dict.values",
	};
	static const char *const hydras[] = { "hydra", "python_version" };

	(void)call;
	if (strcmp(name, "oc.env") == 0)
		return oc_env(c, args, nargs, out);
	if (strcmp(name, "oc.select") == 0)
		return oc_select(c, args, nargs, self, out);
	if (strcmp(name, "oc.decode") == 0)
		return oc_decode(c, args, nargs, self, out);
	if (strcmp(name, "now") == 0)
		return now(c, args, nargs, out);
	for (size_t i = 0; i < sizeof(not_here) / sizeof(not_here[0]); i++)
		if (strcmp(name, not_here[i]) == 0)
			return cfg__fail(c, CFG_FAIL_UNKNOWN, "resolver %s is "
			    "OmegaConf's, but hycod does not compute it", name);
	for (size_t i = 0; i < sizeof(hydras) / sizeof(hydras[0]); i++)
		if (strcmp(name, hydras[i]) == 0)
			return cfg__fail(c, CFG_FAIL_UNKNOWN, "resolver %s is "
			    "Hydra's: known only inside a running Hydra app",
			    name);
	return cfg__fail(c, CFG_FAIL_UNKNOWN, "resolver %s is neither "
	    "OmegaConf's nor Hydra's (one the trainer registers?)", name);
}
