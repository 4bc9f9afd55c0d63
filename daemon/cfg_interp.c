/*
 * cfg_interp.c: OmegaConf's ${...} resolved into a new tree.
 *
 * The tree as loaded is never changed: each string holding "${" is
 * parsed (cfg_grammar.c) and evaluated (cfg_eval.c) once, its result kept
 * beside it, as OmegaConf 2.2.2 resolves it (base.py
 * _resolve_node_interpolation and _select_impl, omegaconf.py
 * _select_one, grammar_visitor.py): keys relative to the map or list
 * holding the string, dots and brackets alike, through interpolations
 * on the way, list indexes read by int(); a string that is one
 * interpolation alone takes its target as it is (a map or list
 * included), a longer one Python's str() of each. The new tree is then
 * built as OmegaConf.to_container(resolve=True) builds it
 * (basecontainer.py _to_content): a map or list an interpolation names
 * is converted in its own place, its own interpolations resolved there.
 *
 * A failure is an error where OmegaConf raises too (a missing key, a
 * cycle, bad grammar) and the caller asks for errors there; a value
 * that needs a resolver hycod does not know (Hydra's ${hydra:...}, a
 * trainer's own) is kept as its text with a warning. Each names the
 * key it was met at, its file and line, and the chain of keys down to
 * where it began.
 */
#include "cfg_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_MAX_DEPTH	64	/* interpolations resolved within one */
#define CONVERT_MAX_DEPTH	256	/* maps and lists, through ${...} too */

enum { ST_NONE, ST_RESOLVING, ST_DONE, ST_FAILED };

/* What a node's resolution came to, kept beside it (n->rs). */
struct rstate {
	int		 state;
	struct cfg_val	 res;		/* ST_DONE: the value */
	int		 fail;		/* ST_FAILED: CFG_FAIL_* */
	struct cfg_node	*cause;		/* the node it failed through */
	char		*msg;		/* or, where it began, why */
	bool		 reported;	/* its failure is reported, */
	bool		 reported_error; /* as an error */
	bool		 converting;	/* a map or list being converted */
	struct cfg_ast	*ast;
	struct rstate	*next;		/* every state, to free them */
};

struct cfg_rctx {
	struct cfg_node		*root;
	const struct cfg_resolve_opts *o;
	time_t			 now;
	long			 now_usec;
	struct cfg_errors	*e, *warn;
	struct rstate		*states;
	struct cfg_node		*stack[RESOLVE_MAX_DEPTH];
	int			 depth;
	int			 cdepth;	/* maps and lists being converted */
	/* The failure being returned: from the node cause, or from here. */
	int			 fail;
	struct cfg_node		*cause;
	char			 msg[CFG_FAIL_MAX];
};

static struct rstate *
rs(struct cfg_rctx *c, struct cfg_node *n)
{
	if (n->rs == NULL) {
		struct rstate *s = cfg__calloc(1, sizeof(*s));
		s->next = c->states;
		c->states = s;
		n->rs = s;
	}
	return n->rs;
}

int
cfg__fail(struct cfg_rctx *c, int cls, const char *fmt, ...)
{
	va_list ap;

	c->fail = cls;
	c->cause = NULL;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return -1;
}

time_t
cfg__now(struct cfg_rctx *c, long *usec)
{
	*usec = c->now_usec;
	return c->now;
}

void
cfg__val_free(struct cfg_val *v)
{
	if (v->own)
		cfg_free(v->n);
	memset(v, 0, sizeof(*v));
}

struct cfg_node *
cfg__scalar(enum cfg_type type, const char *text)
{
	struct cfg_node *n = cfg__node_new(CFG_SCALAR, NULL, 0);

	/* No text is a null, whatever was asked: value NULL means null. */
	n->vtype = text == NULL ? CFG_TYPE_NULL : type;
	n->value = n->vtype == CFG_TYPE_NULL ? NULL : cfg__strdup(text);
	return n;
}

void
cfg__failure_save(struct cfg_rctx *c, struct cfg_failure *f)
{
	f->fail = c->fail;
	f->cause = c->cause;
	memcpy(f->msg, c->msg, sizeof(f->msg));
}

int
cfg__failure_restore(struct cfg_rctx *c, const struct cfg_failure *f)
{
	c->fail = f->fail;
	c->cause = f->cause;
	memcpy(c->msg, f->msg, sizeof(c->msg));
	return -1;
}

int
cfg__failed(const struct cfg_rctx *c)
{
	return c->fail;
}

static bool
is_interp(const struct cfg_node *n)
{
	return n->type == CFG_SCALAR && n->vtype == CFG_TYPE_STR &&
	    strstr(n->value, "${") != NULL;
}

static int resolve(struct cfg_rctx *c, struct cfg_node *n,
    struct cfg_val *out);

/* -- selecting a key ---------------------------------------------------- */

/*
 * OmegaConf's split_key of k: the head up to the first '.' or '[' split
 * at its dots, then each ".key" or "[key]" after it (re.findall, which
 * skips what matches neither). The parts are written one after the
 * other into buf (twice k's size) and pointed to from part.
 */
static size_t
split_key(const char *k, char *buf, char **part, size_t max)
{
	size_t n = 0, head = strcspn(k, ".[");
	const char *rest = k + head;

#define PART(s, len) do { part[n++] = buf; memcpy(buf, (s), (len)); \
	buf += (len); *buf++ = '\0'; } while (0)
	for (const char *p = k; n < max;) {
		const char *dot = memchr(p, '.', (size_t)(rest - p));
		if (dot == NULL) {
			PART(p, (size_t)(rest - p));
			break;
		}
		PART(p, (size_t)(dot - p));
		p = dot + 1;
	}
	if (*rest == '\0')
		return n;
	if (*rest == '[' && part[n - 1][0] == '\0')
		n--;
	while (*rest != '\0' && n < max) {
		const char *close;
		if (*rest == '.') {
			size_t len = strcspn(rest + 1, ".[");
			PART(rest + 1, len);
			rest += 1 + len;
		} else if (*rest == '[' && (close = strchr(rest + 1, ']')) !=
		    NULL) {
			PART(rest + 1, (size_t)(close - rest - 1));
			rest = close + 1;
		} else
			rest++;
	}
#undef PART
	return n;
}

enum how { SEL_INTERP, SEL_OC_SELECT };

/*
 * _select_one: the child key of a map or list, NULL if none. A ??? is
 * an error when the interpolation needs its value.
 */
static int
select_one(struct cfg_rctx *c, struct cfg_node *at, const char *key,
    enum how how, struct cfg_node **out)
{
	long idx;

	*out = NULL;
	if (at->type == CFG_MAP)
		*out = cfg__map_find(at, CFG_TYPE_STR, key);
	else if (at->type == CFG_SEQ) {
		if (cfg__py_index(key, &idx) == -1)
			return cfg__fail(c, CFG_FAIL_ERROR, "list index '%s' "
			    "is not an int", key);
		if (idx >= 0)
			for (struct cfg_node *ch = at->child; ch != NULL;
			    ch = ch->next)
				if (idx-- == 0) {
					*out = ch;
					break;
				}
	}
	if (*out != NULL && how == SEL_INTERP && cfg__missing(*out)) {
		char k[256];
		cfg_keypath(*out, k, sizeof(k));
		return cfg__fail(c, CFG_FAIL_ERROR, "interpolation to a missing "
		    "value (\?\?\?): %s", k);
	}
	return 0;
}

/* A map or list a key may go into (not a value, nor Python's dict). */
static bool
walkable(const struct cfg_val *v)
{
	return v->n->type != CFG_SCALAR && !v->py;
}

int
cfg__select(struct cfg_rctx *c, struct cfg_node *self, const char *key,
    bool oc_select, struct cfg_val *out)
{
	enum how how = oc_select ? SEL_OC_SELECT : SEL_INTERP;
	struct cfg_val at = { .n = c->root };
	const char *p = key;
	char *buf = cfg__calloc(2, strlen(key) + 1), *part[CFG_MAX_DEPTH * 2];
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* One leading dot: the map or list holding the string; more: up. */
	if (*p == '.') {
		at.n = self;
		for (p++; *p == '.'; p++)
			if ((at.n = at.n->parent) == NULL) {
				cfg__fail(c, CFG_FAIL_ERROR, "error resolving "
				    "key '%s': more dots than parents", key);
				goto out;
			}
	}
	if (*p == '\0') {
		*out = at;
		goto check;
	}
	n = split_key(p, buf, part, sizeof(part) / sizeof(part[0]));
	if (at.n == c->root && strcmp(part[0], "hydra") == 0 &&
	    cfg__map_find(c->root, CFG_TYPE_STR, "hydra") != NULL) {
		cfg__fail(c, CFG_FAIL_UNKNOWN, "'%s' is in Hydra's own config, "
		    "which only a running Hydra app has", key);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct cfg_node *next;
		if (select_one(c, at.n, part[i], how, &next) == -1)
			goto out;
		if (next == NULL)
			break;
		at.n = next;
		at.py = false;
		if (how == SEL_OC_SELECT && cfg__missing(next))
			break;		/* the default, as select_value has it */
		if (is_interp(next) && resolve(c, next, &at) == -1)
			goto out;
		if (i + 1 < n && !walkable(&at)) {
			if (how == SEL_OC_SELECT) {
				rc = 0;		/* ConfigTypeError: the default */
				goto out;
			}
			cfg__fail(c, CFG_FAIL_ERROR, "cannot look up '%s' in "
			    "'%s': it is a value, not a map or list", part[i + 1],
			    part[i]);
			goto out;
		}
		if (i + 1 == n) {
			*out = at;
			goto check;
		}
	}
	if (how == SEL_OC_SELECT)
		rc = 0;			/* not found: the default */
	else
		cfg__fail(c, CFG_FAIL_ERROR, "interpolation key '%s' not found",
		    key);
	goto out;
check:
	if (how == SEL_OC_SELECT) {
		if (out->n->type == CFG_SCALAR && cfg__missing(out->n))
			memset(out, 0, sizeof(*out));
		rc = 0;
		goto out;
	}
	/* _validate_not_dereferencing_to_parent */
	for (struct cfg_node *a = self; a != NULL; a = a->parent)
		if (a == out->n) {
			memset(out, 0, sizeof(*out));
			cfg__fail(c, CFG_FAIL_ERROR, "interpolation to a map or "
			    "list holding it: '%s'", key);
			goto out;
		}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* -- resolving a node --------------------------------------------------- */

/* "a -> b -> c" for the nodes being resolved from stack[from]. */
static void
chain_text(struct cfg_rctx *c, int from, struct cfg_node *last, char *buf,
    size_t size)
{
	size_t o = 0;
	char k[256];

	buf[0] = '\0';
	for (int i = from; i < c->depth && o < size; i++) {
		cfg_keypath(c->stack[i], k, sizeof(k));
		o += (size_t)snprintf(buf + o, size - o, "%s -> ", k);
	}
	if (o < size) {
		cfg_keypath(last, k, sizeof(k));
		snprintf(buf + o, size - o, "%s", k);
	}
}

/*
 * The value of the interpolation n (a string holding "${"), resolved
 * once; *out borrows it. On failure, c says why and names n.
 */
static int
resolve(struct cfg_rctx *c, struct cfg_node *n, struct cfg_val *out)
{
	struct rstate *s = rs(c, n);
	char err[256];
	int rc;

	memset(out, 0, sizeof(*out));
	switch (s->state) {
	case ST_DONE:
		*out = s->res;
		out->own = false;
		return 0;
	case ST_FAILED:
		c->fail = s->fail;
		c->cause = n;
		return -1;
	case ST_RESOLVING: {
		char chain[1024];
		int from = 0;
		while (from < c->depth && c->stack[from] != n)
			from++;
		chain_text(c, from, n, chain, sizeof(chain));
		return cfg__fail(c, CFG_FAIL_ERROR, "interpolation cycle: %s",
		    chain);
	}
	}
	if (c->depth == RESOLVE_MAX_DEPTH)
		return cfg__fail(c, CFG_FAIL_ERROR, "interpolations nested "
		    "deeper than %d", RESOLVE_MAX_DEPTH);
	if (s->ast == NULL &&
	    (s->ast = cfg__grammar_parse(n->value, false, err, sizeof(err))) ==
	    NULL)
		rc = cfg__fail(c, CFG_FAIL_ERROR, "grammar: %s in '%s'", err,
		    n->value);
	else {
		s->state = ST_RESOLVING;
		c->stack[c->depth++] = n;
		rc = cfg__eval(c, s->ast, n->parent, &s->res);
		c->depth--;
	}
	if (rc == 0) {
		s->state = ST_DONE;
		*out = s->res;
		out->own = false;
		return 0;
	}
	s->state = ST_FAILED;
	s->fail = c->fail;
	s->cause = c->cause;
	if (c->cause == NULL)
		s->msg = cfg__strdup(c->msg);
	c->cause = n;
	return -1;
}

/* -- the new tree ------------------------------------------------------- */

static bool
is_strict(struct cfg_rctx *c, const char *path)
{
	for (size_t i = 0; i < c->o->nstrict; i++) {
		const char *k = c->o->strict[i];
		size_t kl = strlen(k), pl = strlen(path);
		size_t m = kl < pl ? kl : pl;
		/* The key itself, a map above it, or a part below it. */
		if (strncmp(k, path, m) == 0 && (kl == pl ||
		    (kl > pl ? k[pl] == '.' : path[kl] == '.')))
			return true;
	}
	return false;
}

/*
 * Report that the value of n at path could not be resolved: an error
 * or a warning, naming n's file, line and path, and the chain to where
 * the failure began. One failure is reported once, unless it leaves
 * another value unresolved (a warning each) or now stops the daemon.
 */
static void
report(struct cfg_rctx *c, struct cfg_node *n, const char *path)
{
	struct rstate *s = rs(c, n), *os;
	struct cfg_node *origin = n;
	char chain[1024], k[256];
	size_t o = 0;

	while (rs(c, origin)->cause != NULL)
		origin = rs(c, origin)->cause;
	os = rs(c, origin);
	bool error = is_strict(c, path) || (s->fail == CFG_FAIL_ERROR &&
	    c->o->all_strict);
	if (error ? os->reported_error : os->reported &&
	    s->fail != CFG_FAIL_UNKNOWN)
		return;
	os->reported = true;
	os->reported_error |= error;

	chain[0] = '\0';
	if (origin != n && strncmp(os->msg, "interpolation cycle", 19) != 0) {
		o += (size_t)snprintf(chain, sizeof(chain), " (via %s", path);
		for (struct cfg_node *m = rs(c, n)->cause; m != NULL && o <
		    sizeof(chain); m = rs(c, m)->cause) {
			cfg_keypath(m, k, sizeof(k));
			o += (size_t)snprintf(chain + o, sizeof(chain) - o,
			    " -> %s", k);
		}
		if (o < sizeof(chain))
			snprintf(chain + o, sizeof(chain) - o, ", %s:%d)",
			    origin->file, origin->line);
	}
	if (s->fail == CFG_FAIL_UNKNOWN)
		cfg_errorf(error ? c->e : c->warn, n->file, n->line,
		    "%s: %s%s%s", path, error ? "cannot resolve: " :
		    "left unresolved: ", os->msg, chain);
	else
		cfg_errorf(error ? c->e : c->warn, n->file, n->line, "%s: %s%s",
		    path, os->msg, chain);
}

static struct cfg_node *convert(struct cfg_rctx *c, struct cfg_node *n,
    const char *path);

/* The child path of path: "a.b", "a.0". */
static void
child_path(const char *path, const struct cfg_node *ch, size_t idx,
    char *buf, size_t size)
{
	if (ch->parent->type == CFG_MAP)
		snprintf(buf, size, "%s%s%s", path, *path ? "." : "", ch->key);
	else
		snprintf(buf, size, "%s%s%zu", path, *path ? "." : "", idx);
}

/* A map or list of the tree, converted: its interpolations resolved. */
static struct cfg_node *
convert_container(struct cfg_rctx *c, struct cfg_node *n, const char *path)
{
	struct rstate *s = rs(c, n);
	struct cfg_node *out;
	char sub[1024];
	size_t idx = 0;

	if (s->converting || c->cdepth == CONVERT_MAX_DEPTH)
		return NULL;
	s->converting = true;
	c->cdepth++;
	out = cfg__node_new(n->type, n->file, n->line);
	for (struct cfg_node *ch = n->child; ch != NULL; ch = ch->next) {
		struct cfg_node *o;
		child_path(path, ch, idx++, sub, sizeof(sub));
		/* Hydra's own settings need Hydra's schema: left as they are. */
		if (n == c->root && ch->ktype == CFG_TYPE_STR &&
		    strcmp(ch->key, "hydra") == 0)
			o = cfg_copy(ch);
		else if ((o = convert(c, ch, sub)) == NULL) {
			/* Python's to_container recurses until RecursionError. */
			cfg_errorf(c->o->all_strict || is_strict(c, sub) ? c->e :
			    c->warn, ch->file, ch->line, "%s: %s", sub,
			    c->cdepth == CONVERT_MAX_DEPTH ? "maps and lists "
			    "nested too deep through interpolations" : "infinite "
			    "recursion: a map or list that contains itself "
			    "through interpolations");
			o = cfg_copy(ch);
			o->unresolved = true;
		}
		free(o->key);
		o->key = cfg__strdup(ch->key);
		o->ktype = ch->ktype;
		o->kplain = ch->kplain;
		cfg__append(out, o);
	}
	s->converting = false;
	c->cdepth--;
	return out;
}

/*
 * The output of node n at path; NULL if n is a map or list already
 * being converted (an interpolation made it contain itself).
 */
static struct cfg_node *
convert(struct cfg_rctx *c, struct cfg_node *n, const char *path)
{
	struct cfg_val v;

	if (n->type != CFG_SCALAR)
		return convert_container(c, n, path);
	if (!is_interp(n))
		return cfg_copy(n);
	if (resolve(c, n, &v) == -1) {
		struct cfg_node *o = cfg_copy(n);
		report(c, n, path);
		o->unresolved = true;
		return o;
	}
	/* A value, or a Python list or dict: final already. */
	if (v.n->type == CFG_SCALAR || v.py) {
		struct cfg_node *o = cfg_copy(v.n);
		free(o->file);
		o->file = cfg__strdup(n->file);
		o->line = n->line;
		return o;
	}
	return convert_container(c, v.n, path);
}

static void
free_states(struct cfg_rctx *c, struct cfg_node *n)
{
	for (; n != NULL; n = n->next) {
		n->rs = NULL;
		free_states(c, n->child);
	}
}

struct cfg_node *
cfg_resolve(struct cfg_node *root, const struct cfg_resolve_opts *opts,
    struct cfg_errors *e, struct cfg_errors *warn)
{
	struct cfg_rctx c = { .root = root, .o = opts, .e = e, .warn = warn };
	int errors = e->count;
	struct cfg_node *out;

	if (opts->now != 0)
		c.now = opts->now;
	else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		c.now = ts.tv_sec;
		c.now_usec = ts.tv_nsec / 1000;
	}
	out = convert(&c, root, "");
	free_states(&c, root);
	while (c.states != NULL) {
		struct rstate *s = c.states;
		c.states = s->next;
		if (s->state == ST_DONE && s->res.own)
			cfg_free(s->res.n);
		cfg__ast_free(s->ast);
		free(s->msg);
		free(s);
	}
	if (e->count > errors) {
		cfg_free(out);
		return NULL;
	}
	return out;
}
