/*
 * config_yaml.c: the `config` method's tree printed as YAML.
 *
 * The reply's typed values are made a config tree again (daemon/
 * cfg_tree.h, linked into hycoctl as config.c is) and printed by the
 * same printer as hycod --print-config: a string another reader would
 * take for a number is quoted, a number or bool key reads back as one.
 */
#include "config_yaml.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

/* The scalar text (YAML) and type of a reply value; -1 if no scalar. */
static int
scalar(const hyco_value *v, enum cfg_type *t, char *buf, size_t size,
    bool key)
{
	int64_t i;
	uint64_t u;
	double f;
	int b;
	size_t len;
	const char *s;

	switch (hyco_value_type(v)) {
	case HYCO_TYPE_NIL:
		*t = CFG_TYPE_NULL;
		snprintf(buf, size, key ? "None" : "null");
		return 0;
	case HYCO_TYPE_BOOL:
		hyco_value_bool(v, &b);
		*t = CFG_TYPE_BOOL;
		/* A key is kept as Python's str(), a value as YAML. */
		snprintf(buf, size, "%s", key ? (b ? "True" : "False") :
		    (b ? "true" : "false"));
		return 0;
	case HYCO_TYPE_INT:
		*t = CFG_TYPE_INT;
		if (hyco_value_int(v, &i) == 0)
			snprintf(buf, size, "%" PRId64, i);
		else {
			hyco_value_uint(v, &u);
			snprintf(buf, size, "%" PRIu64, u);
		}
		return 0;
	case HYCO_TYPE_FLOAT:
		hyco_value_float(v, &f);
		*t = CFG_TYPE_FLOAT;
		if (key)
			cfg__float_repr(f, buf, size);
		else
			cfg__float_yaml(f, buf, size);
		return 0;
	case HYCO_TYPE_STR:
		s = hyco_value_str(v, &len);
		*t = CFG_TYPE_STR;
		snprintf(buf, size, "%.*s", (int)len, s);
		return 0;
	default:
		return -1;
	}
}

static struct cfg_node *
node_of(const hyco_value *v, int depth)
{
	enum hyco_type ht = hyco_value_type(v);
	struct cfg_node *n;
	char *buf;
	enum cfg_type t;

	if (depth > CFG_MAX_DEPTH)
		return NULL;
	if (ht == HYCO_TYPE_MAP || ht == HYCO_TYPE_ARRAY) {
		bool map = ht == HYCO_TYPE_MAP;
		size_t len = map ? hyco_map_len(v) : hyco_array_len(v);
		n = cfg__node_new(map ? CFG_MAP : CFG_SEQ, "config", 0);
		for (size_t i = 0; i < len; i++) {
			struct cfg_node *c = node_of(map ? hyco_map_val(v, i) :
			    hyco_array_at(v, i), depth + 1);
			if (c == NULL) {
				cfg_free(n);
				return NULL;
			}
			if (map) {
				size_t klen = 0;
				const hyco_value *k = hyco_map_key(v, i);
				if (hyco_value_type(k) == HYCO_TYPE_STR)
					hyco_value_str(k, &klen);
				buf = cfg__calloc(1, klen + 64);
				if (scalar(k, &c->ktype, buf, klen + 64, true)
				    == -1) {
					free(buf);
					cfg_free(c);
					cfg_free(n);
					return NULL;
				}
				c->key = buf;
			}
			cfg__append(n, c);
		}
		return n;
	}
	size_t slen = 0;
	if (ht == HYCO_TYPE_STR)
		hyco_value_str(v, &slen);
	buf = cfg__calloc(1, slen + 64);
	if (scalar(v, &t, buf, slen + 64, false) == -1) {
		free(buf);
		return NULL;
	}
	n = cfg__node_new(CFG_SCALAR, "config", 0);
	n->vtype = t;
	if (t == CFG_TYPE_NULL)
		free(buf);
	else
		n->value = buf;
	return n;
}

int
config_yaml_print(FILE *out, const hyco_value *v)
{
	struct cfg_errors e = { 0 };
	struct cfg_node *n;
	int rc;

	if (hyco_value_type(v) != HYCO_TYPE_MAP ||
	    (n = node_of(v, 0)) == NULL) {
		fprintf(stderr, "hycoctl: config: not a config tree\n");
		return -1;
	}
	rc = cfg_print(out, n, &e);
	cfg_errors_print(&e, stderr);
	cfg_errors_clear(&e);
	cfg_free(n);
	return rc;
}
