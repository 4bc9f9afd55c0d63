/*
 * cfg_type.c: what type a YAML 1.1 reader gives a scalar.
 *
 * The patterns are PyYAML's implicit resolvers (yaml/resolver.py), the
 * reference for YAML 1.1 and what OmegaConf loads with; a quoted or
 * !!str-tagged scalar is always a string. Two readers disagree with
 * PyYAML on some plain texts (OmegaConf reads 1e3 as a float and
 * 2001-01-01 as a string; YAML 1.2 reads 0o17 and 0999 as integers):
 * cfg__ambiguous() knows them all, so that the printer quotes a string
 * that any of them would read as something else.
 */
#include "cfg_int.h"

#include <errno.h>
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

static enum cfg_type
plain_type(const char *text)
{
	if (matches(RE_NULL, text))
		return CFG_TYPE_NULL;
	if (matches(RE_BOOL, text))
		return CFG_TYPE_BOOL;
	if (matches(RE_INT, text))
		return CFG_TYPE_INT;
	if (matches(RE_FLOAT, text))
		return CFG_TYPE_FLOAT;
	return CFG_TYPE_STR;
}

enum cfg_type
cfg_scalar_type(const struct cfg_node *n)
{
	if (n->value == NULL)
		return CFG_TYPE_NULL;
	if (n->quoted)
		return CFG_TYPE_STR;
	return plain_type(n->value);
}

bool
cfg__ambiguous(const char *text)
{
	return plain_type(text) != CFG_TYPE_STR ||
	    matches(RE_TIMESTAMP, text) || matches(RE_OC_FLOAT, text) ||
	    matches(RE_OTHER, text);
}

/* text without its '_' digit separators, or NULL (ENOMEM). */
static char *
digits(const char *text)
{
	char *s = malloc(strlen(text) + 1), *o = s;

	if (s == NULL)
		return NULL;
	for (const char *p = text; *p; p++)
		if (*p != '_')
			*o++ = *p;
	*o = '\0';
	return s;
}

/* As PyYAML's construct_yaml_int: 0b, 0x, 0 (octal), base 60, base 10. */
static int
int_value(const char *text, long long *out)
{
	char *s = digits(text), *p, *end;
	long long sign = 1, v = 0;
	int rc = -1;

	if (s == NULL)
		return -1;
	p = s;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	errno = 0;
	if (strspn(p, "0123456789") == strlen(p) && (p[0] != '0' ||
	    p[1] == '\0')) {
		/* Decimal with its sign, so that the most negative fits. */
		v = strtoll(s, NULL, 10);
		sign = 1;
	} else if (strchr(p, ':') != NULL) {
		for (char *part = strtok_r(p, ":", &end); part != NULL;
		    part = strtok_r(NULL, ":", &end)) {
			if (__builtin_mul_overflow(v, 60, &v) ||
			    __builtin_add_overflow(v, strtoll(part, NULL, 10),
			    &v)) {
				errno = ERANGE;
				break;
			}
		}
	} else if (strncmp(p, "0b", 2) == 0)
		v = strtoll(p + 2, NULL, 2);
	else if (strncmp(p, "0x", 2) == 0)
		v = strtoll(p + 2, NULL, 16);
	else
		v = strtoll(p, NULL, 8);
	if (errno == 0) {
		*out = sign * v;
		rc = 0;
	}
	free(s);
	return rc;
}

/* As PyYAML's construct_yaml_float: .inf, .nan, base 60, strtod. */
static int
float_value(const char *text, double *out)
{
	char *s = digits(text), *p, *end;
	double sign = 1, v = 0;

	if (s == NULL)
		return -1;
	p = s;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	if (strcasecmp(p, ".inf") == 0)
		v = INFINITY;
	else if (strcasecmp(p, ".nan") == 0)
		v = NAN;
	else if (strchr(p, ':') != NULL) {
		for (char *part = strtok_r(p, ":", &end); part != NULL;
		    part = strtok_r(NULL, ":", &end))
			v = v * 60 + strtod(part, NULL);
	} else
		v = strtod(p, NULL);
	free(s);
	*out = sign * v;
	return 0;
}

/* The bools that are true; RE_BOOL's others are false. */
static const char *const truths[] = {
	"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
};

int
cfg_scalar_value(const struct cfg_node *n, struct cfg_value *v)
{
	memset(v, 0, sizeof(*v));
	if (n->type != CFG_SCALAR) {
		errno = EINVAL;
		return -1;
	}
	v->type = cfg_scalar_type(n);
	v->s = n->value;
	switch (v->type) {
	case CFG_TYPE_BOOL:
		for (size_t i = 0; i < sizeof(truths) / sizeof(truths[0]); i++)
			v->b |= strcmp(n->value, truths[i]) == 0;
		return 0;
	case CFG_TYPE_INT:
		return int_value(n->value, &v->i);
	case CFG_TYPE_FLOAT:
		return float_value(n->value, &v->f);
	case CFG_TYPE_NULL:
	case CFG_TYPE_STR:
		break;
	}
	return 0;
}
