/*
 * cfg_type.c: what type OmegaConf's YAML loader gives a scalar, and
 * Python's text of the value.
 *
 * The patterns are PyYAML's implicit resolvers (yaml/resolver.py) in
 * their order, then the float resolver OmegaConf adds (_utils.py
 * get_yaml_loader, which also drops timestamps); a quoted, block or
 * !!str-tagged scalar is always a string, and the other tags are built
 * as PyYAML's constructors build them (constructor.py). Two readers
 * disagree with OmegaConf on some plain texts (PyYAML reads 1e3 as a
 * string and 2001-01-01 as a date; YAML 1.2 reads 0o17 and 0999 as
 * integers): cfg__ambiguous() knows them all, so that the printer
 * quotes a string that any of them would read as something else.
 */
#include "cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

enum {
	RE_NULL, RE_BOOL, RE_INT, RE_FLOAT,	/* PyYAML, YAML 1.1 */
	RE_TIMESTAMP,				/* PyYAML; a string to OmegaConf */
	RE_OC_FLOAT,				/* OmegaConf's own float */
	RE_OTHER,		/* merge, value, 1.1 y/n, YAML 1.2 numbers */
	RE_COUNT
};

static const char *const patterns[RE_COUNT] = {
	[RE_NULL] = "^(~|null|Null|NULL|)$",
	[RE_BOOL] = "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
	    "|on|On|ON|off|Off|OFF)$",
	[RE_INT] = "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)"
	    "|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	[RE_FLOAT] = "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?"
	    "|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
	    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
	    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
	[RE_TIMESTAMP] = "^([0-9]{4}-[0-9]{2}-[0-9]{2}"
	    "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}"
	    ":[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
	    "([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
	[RE_OC_FLOAT] = "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+]?[0-9]+)?"
	    "|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
	    "|\\.[0-9_]+([eE][-+][0-9]+)?"
	    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
	    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
	[RE_OTHER] = "^(<<|=|y|Y|n|N|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
	    "|[-+]?\\.(nan|NaN|NAN)"
	    "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?)$",
};

static regex_t		compiled[RE_COUNT];
static pthread_once_t	compiled_once = PTHREAD_ONCE_INIT;

static void
compile(void)
{
	for (int i = 0; i < RE_COUNT; i++)
		if (regcomp(&compiled[i], patterns[i], REG_EXTENDED |
		    REG_NOSUB) != 0)
			abort();	/* the patterns are constants */
}

static bool
matches(int which, const char *text)
{
	pthread_once(&compiled_once, compile);
	return regexec(&compiled[which], text, 0, NULL, 0) == 0;
}

enum cfg_type
cfg__plain_type(const char *text, bool *special)
{
	if (special != NULL)
		*special = strcmp(text, "<<") == 0 || strcmp(text, "=") == 0;
	if (matches(RE_NULL, text))
		return CFG_TYPE_NULL;
	if (matches(RE_BOOL, text))
		return CFG_TYPE_BOOL;
	if (matches(RE_INT, text))
		return CFG_TYPE_INT;
	if (matches(RE_FLOAT, text) || matches(RE_OC_FLOAT, text))
		return CFG_TYPE_FLOAT;
	return CFG_TYPE_STR;
}

enum cfg_type
cfg_scalar_type(const struct cfg_node *n)
{
	return n->vtype;
}

bool
cfg__ambiguous(const char *text)
{
	return cfg__plain_type(text, NULL) != CFG_TYPE_STR ||
	    matches(RE_TIMESTAMP, text) || matches(RE_OTHER, text);
}

/*
 * PyYAML's float() of one part, as Python's float() reads it: blanks
 * around, a sign, digits with a point or an exponent, inf, infinity,
 * nan (lower case by now). -1 where Python raises ValueError.
 */
static int
py_float(const char *s, double *out)
{
	const char *p;
	char *end;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	char *t = strndup(s, n);
	if (t == NULL)
		abort();
	p = t + (*t == '+' || *t == '-');
	bool ok = strcmp(p, "inf") == 0 || strcmp(p, "infinity") == 0 ||
	    strcmp(p, "nan") == 0;
	if (!ok) {
		/* digits [. digits] | . digits, then e [sign] digits */
		size_t a = strspn(p, "0123456789"), b = 0;
		if (p[a] == '.')
			b = strspn(p + a + 1, "0123456789"), p += a + 1 + b;
		else
			p += a;
		ok = a + b > 0;
		if (ok && (*p == 'e')) {
			p++;
			p += *p == '+' || *p == '-';
			size_t e = strspn(p, "0123456789");
			ok = e > 0;
			p += e;
		}
		ok = ok && *p == '\0';
	}
	if (ok)
		*out = strtod(t, &end);
	free(t);
	return ok ? 0 : -1;
}

/*
 * PyYAML's construct_yaml_float: '_' dropped, lower case, a sign, .inf,
 * .nan, base 60 summed from its last part up, else float(). -1 where
 * it raises.
 */
static int
yaml_float(const char *text, double *out)
{
	char *v = cfg__calloc(1, strlen(text) + 1), *o = v, *p;
	double sign = 1, x = 0;
	int rc = 0;

	for (const char *c = text; *c; c++)
		if (*c != '_')
			*o++ = (char)tolower((unsigned char)*c);
	p = v;
	if (*p == '-')
		sign = -1;
	if (*p == '-' || *p == '+')
		p++;
	if (strcmp(p, ".inf") == 0)
		x = sign * INFINITY;
	else if (strcmp(p, ".nan") == 0)
		x = NAN;
	else if (strchr(p, ':') != NULL) {
		/* digits.reverse(); value += digit * base; base *= 60 */
		double base = 1, d;
		char *colon;
		for (;;) {
			colon = strrchr(p, ':');
			if ((rc = py_float(colon ? colon + 1 : p, &d)) == -1)
				break;
			x += d * base;
			base *= 60;
			if (colon == NULL)
				break;
			*colon = '\0';
		}
		x *= sign;
	} else if ((rc = py_float(p, &x)) == 0)
		x *= sign;
	free(v);
	*out = x;
	return rc;
}

double
cfg__float_of(const char *text)
{
	double x;

	return yaml_float(text, &x) == 0 ? x : NAN;
}

void
cfg__float_yaml(double x, char *buf, size_t size)
{
	if (isnan(x))
		snprintf(buf, size, ".nan");
	else if (isinf(x))
		snprintf(buf, size, x < 0 ? "-.inf" : ".inf");
	else
		cfg__float_repr(x, buf, size);
}

/* The bools that are true; RE_BOOL's others are false. */
static bool
truth(const char *text)
{
	return strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0 ||
	    strcasecmp(text, "on") == 0;
}

int
cfg__construct(const char *tag, const char *text, bool plain,
    enum cfg_type *type, char **canon, const char **why)
{
	static const char yaml_tag[] = "tag:yaml.org,2002:";
	char buf[CFG_FLOAT_REPR_MAX];
	double x;

	*canon = NULL;
	if (tag == NULL || strcmp(tag, "!") == 0)
		*type = plain ? cfg__plain_type(text, NULL) : CFG_TYPE_STR;
	else if (strncmp(tag, yaml_tag, sizeof(yaml_tag) - 1) != 0)
		goto unknown;
	else if (strcmp(tag + sizeof(yaml_tag) - 1, "str") == 0)
		*type = CFG_TYPE_STR;
	else if (strcmp(tag + sizeof(yaml_tag) - 1, "int") == 0)
		*type = CFG_TYPE_INT;
	else if (strcmp(tag + sizeof(yaml_tag) - 1, "float") == 0)
		*type = CFG_TYPE_FLOAT;
	else if (strcmp(tag + sizeof(yaml_tag) - 1, "bool") == 0)
		*type = CFG_TYPE_BOOL;
	else if (strcmp(tag + sizeof(yaml_tag) - 1, "null") == 0)
		*type = CFG_TYPE_NULL;
	else
		goto unknown;

	/* A text that a plain scalar of the same type has is kept. */
	bool same = cfg__plain_type(text, NULL) == *type;
	switch (*type) {
	case CFG_TYPE_INT:
		if ((*canon = cfg__yaml_int(text, why)) == NULL)
			return -1;
		if (same) {
			free(*canon);
			*canon = NULL;
		}
		return 0;
	case CFG_TYPE_FLOAT:
		if (yaml_float(text, &x) == -1 || text[0] == '\0') {
			*why = "could not convert string to float";
			return -1;
		}
		if (!same) {
			cfg__float_yaml(x, buf, sizeof(buf));
			*canon = cfg__strdup(buf);
		}
		return 0;
	case CFG_TYPE_BOOL:
		if (!same && !truth(text) && strcasecmp(text, "no") != 0 &&
		    strcasecmp(text, "false") != 0 && strcasecmp(text, "off") !=
		    0) {
			*why = "not a bool (yes, no, true, false, on, off)";
			return -1;
		}
		if (!same)
			*canon = cfg__strdup(truth(text) ? "true" : "false");
		return 0;
	case CFG_TYPE_NULL:
	case CFG_TYPE_STR:
		return 0;
	}
	return 0;
unknown:
	*why = "a tag OmegaConf's loader does not build a config value from";
	return -1;
}

char *
cfg__pystr(const struct cfg_node *n)
{
	char buf[CFG_FLOAT_REPR_MAX];
	const char *why;

	if (n->type != CFG_SCALAR) {
		struct cfg_sbuf b = { 0 };
		cfg__repr(n, &b);
		return cfg__sbuf_take(&b);
	}
	switch (n->vtype) {
	case CFG_TYPE_NULL:
		return cfg__strdup("None");
	case CFG_TYPE_BOOL:
		return cfg__strdup(truth(n->value) ? "True" : "False");
	case CFG_TYPE_INT:
		return cfg__yaml_int(n->value, &why);
	case CFG_TYPE_FLOAT:
		cfg__float_repr(cfg__float_of(n->value), buf, sizeof(buf));
		return cfg__strdup(buf);
	case CFG_TYPE_STR:
		break;
	}
	return cfg__strdup(n->value);
}

/* Python's repr() of a key: a string quoted, the others as str(). */
static void
key_repr(const struct cfg_node *n, struct cfg_sbuf *out)
{
	if (n->ktype == CFG_TYPE_STR)
		cfg__str_repr(n->key, out);
	else
		cfg__sbuf_str(out, n->key);
}

void
cfg__repr(const struct cfg_node *n, struct cfg_sbuf *out)
{
	if (n->type == CFG_SCALAR) {
		if (n->vtype == CFG_TYPE_STR) {
			cfg__str_repr(n->value, out);
			return;
		}
		char *s = cfg__pystr(n);
		/* An int past CFG_MAX_INT_DIGITS cannot be made; say so. */
		cfg__sbuf_str(out, s != NULL ? s : "<int>");
		free(s);
		return;
	}
	cfg__sbuf_str(out, n->type == CFG_MAP ? "{" : "[");
	for (const struct cfg_node *c = n->child; c != NULL; c = c->next) {
		if (c != n->child)
			cfg__sbuf_str(out, ", ");
		if (n->type == CFG_MAP) {
			key_repr(c, out);
			cfg__sbuf_str(out, ": ");
		}
		cfg__repr(c, out);
	}
	cfg__sbuf_str(out, n->type == CFG_MAP ? "}" : "]");
}

int
cfg_scalar_value(const struct cfg_node *n, struct cfg_value *v)
{
	const char *why;
	char *dec, *end;

	memset(v, 0, sizeof(*v));
	if (n->type != CFG_SCALAR) {
		errno = EINVAL;
		return -1;
	}
	v->type = n->vtype;
	v->s = n->value;
	switch (v->type) {
	case CFG_TYPE_BOOL:
		v->b = truth(n->value);
		return 0;
	case CFG_TYPE_INT:
		if ((dec = cfg__yaml_int(n->value, &why)) == NULL) {
			errno = ERANGE;
			return -1;
		}
		errno = 0;
		v->i = strtoll(dec, &end, 10);
		free(dec);
		return errno == 0 ? 0 : -1;
	case CFG_TYPE_FLOAT:
		v->f = cfg__float_of(n->value);
		return 0;
	case CFG_TYPE_NULL:
	case CFG_TYPE_STR:
		break;
	}
	return 0;
}
