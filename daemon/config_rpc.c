/*
 * config_rpc.c: the config as the `config` method sends it.
 *
 * The tree is the one --print-config prints (config_load's resolved
 * tree), packed with msgpack's own types so that a Python client gets
 * what OmegaConf's loader gives for the printed YAML: nil, bool, int,
 * float, str, arrays and maps whose keys are typed as well. Only an
 * int that fits no msgpack int (past -2^63..2^64-1) differs: it goes
 * as its decimal digits, a str. "effective" are the absolute,
 * normalized values the daemon acts on, so that a client can check
 * its own reading of the same config against them.
 */
#include "config_rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_int.h"

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* A value of type t whose text is s (YAML's, or Python's str() for keys). */
static void
pack_typed(msgpack_packer *pk, enum cfg_type t, const char *s, bool key)
{
	const char *why;
	char *dec, *end;

	switch (t) {
	case CFG_TYPE_NULL:
		msgpack_pack_nil(pk);
		return;
	case CFG_TYPE_BOOL:
		if (key ? strcmp(s, "True") == 0 : strcasecmp(s, "yes") == 0 ||
		    strcasecmp(s, "true") == 0 || strcasecmp(s, "on") == 0)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return;
	case CFG_TYPE_INT:
		if ((dec = cfg__yaml_int(s, &why)) == NULL) {
			pack_str(pk, s);	/* kept within limits at load */
			return;
		}
		errno = 0;
		if (dec[0] == '-') {
			long long v = strtoll(dec, &end, 10);
			if (errno == 0)
				msgpack_pack_int64(pk, v);
			else
				pack_str(pk, dec);
		} else {
			unsigned long long v = strtoull(dec, &end, 10);
			if (errno == 0)
				msgpack_pack_uint64(pk, v);
			else
				pack_str(pk, dec);
		}
		free(dec);
		return;
	case CFG_TYPE_FLOAT:
		/* A key is kept as Python's str(): "inf", "nan" read too. */
		msgpack_pack_double(pk, key ? strtod(s, NULL) :
		    cfg__float_of(s));
		return;
	case CFG_TYPE_STR:
		break;
	}
	pack_str(pk, s);
}

static void
pack_node(msgpack_packer *pk, const struct cfg_node *n)
{
	size_t k = 0;

	if (n->type == CFG_SCALAR) {
		pack_typed(pk, n->vtype, n->value, false);
		return;
	}
	for (const struct cfg_node *c = n->child; c != NULL; c = c->next)
		k++;
	if (n->type == CFG_MAP)
		msgpack_pack_map(pk, k);
	else
		msgpack_pack_array(pk, k);
	for (const struct cfg_node *c = n->child; c != NULL; c = c->next) {
		if (n->type == CFG_MAP)
			pack_typed(pk, c->ktype, c->key, true);
		pack_node(pk, c);
	}
}

void
config_pack(msgpack_packer *pk, const struct hyco_config *cfg)
{
	const struct layout *l = &cfg->layout;
	const struct { const char *key, *value; } eff[] = {
		{ "cache_root", l->cache_root },
		{ "tensor_cache_dir", l->roots[CAT_TENSORS] },
		{ "generated_cache_dir", l->roots[CAT_GENERATED] },
		{ "eval_cache_dir", l->roots[CAT_EVAL] },
		{ "synthetic_pred_cache", l->pred_root[KIND_SYNTHETIC] },
		{ "physical_pred_cache", l->pred_root[KIND_PHYSICAL] },
		{ "dset_name", l->default_dataset },
		{ "socket", cfg->socket },
		{ "trash_dir", cfg->trash_dir },
	};
	size_t n = sizeof(eff) / sizeof(eff[0]);

	msgpack_pack_map(pk, 3);
	pack_str(pk, "config");
	pack_node(pk, cfg->tree);
	pack_str(pk, "effective");
	msgpack_pack_map(pk, n);
	for (size_t i = 0; i < n; i++) {
		pack_str(pk, eff[i].key);
		pack_str(pk, eff[i].value);
	}
	pack_str(pk, "cwd");
	pack_str(pk, cfg->cwd);
}
