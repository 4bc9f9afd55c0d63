/*
 * cfg_override.c: KEY=VALUE arguments that change the composed tree.
 *
 * Hydra applies what is left of the command line once the config is
 * composed, in struct mode (config_loader_impl.py
 * _apply_overrides_to_config): KEY=VALUE changes an existing key,
 * +KEY=VALUE adds one, ++KEY=VALUE sets either way, ~KEY deletes.
 * VALUE is YAML here, read as OmegaConf's loader reads it.
 */
#include "cfg_int.h"

#include <stdlib.h>
#include <string.h>

int
cfg_override(struct cfg_node *root, const char *arg, struct cfg_errors *e)
{
	const char *src = "command line";
	const char *eq = strchr(arg, '=');
	const char *key = arg;
	int mode = 0;	/* 0 change, 1 add, 2 set, 3 delete */
	char path[512];
	size_t klen;

	if (strncmp(key, "++", 2) == 0) {
		mode = 2;
		key += 2;
	} else if (key[0] == '+') {
		mode = 1;
		key++;
	} else if (key[0] == '~') {
		mode = 3;
		key++;
	}
	klen = eq ? (size_t)(eq - key) : strlen(key);
	if ((eq == NULL && mode != 3) || klen == 0 || klen >= sizeof(path) ||
	    key[0] == '.' || key[klen - 1] == '.' ||
	    memmem(key, klen, "..", 2) != NULL) {
		cfg_errorf(e, src, 0, "override '%s': expected KEY=VALUE "
		    "with a dotted KEY", arg);
		return -1;
	}
	memcpy(path, key, klen);
	path[klen] = '\0';

	/* Walk to the parent, making maps where adding is allowed. */
	struct cfg_node *at, *old, *val;
	char *seg;
	bool scalar;
	at = cfg__walk(root, path, mode == 1 || mode == 2, src, 0, &seg,
	    &scalar);
	if (at == NULL && scalar) {
		cfg_errorf(e, src, 0, "override '%s': '%s' is not a mapping",
		    arg, seg);
		return -1;
	}
	if (at == NULL)
		goto missing;
	old = cfg__child(at, seg, strlen(seg));
	if (mode == 3) {
		if (old == NULL)
			goto missing;
		cfg__unlink(old);
		cfg_free(old);
		return 0;
	}
	if (old == NULL && mode == 0)
		goto missing;
	if (old != NULL && mode == 1) {
		cfg_errorf(e, src, 0, "override '%s': key '%.*s' already exists "
		    "(use ++%.*s=VALUE to set it anyway)", arg, (int)klen, key,
		    (int)klen, key);
		return -1;
	}
	if (old == NULL && at->type != CFG_MAP) {
		cfg_errorf(e, src, 0, "override '%s': cannot add to a sequence",
		    arg);
		return -1;
	}

	const char *v = eq + 1;
	if (*v == '\0') {
		val = cfg__node_new(CFG_SCALAR, src, 0);
		val->value = cfg__strdup("");
		val->vtype = CFG_TYPE_STR;
	} else if ((val = cfg_parse(v, strlen(v), src, e)) == NULL)
		return -1;
	free(val->file);
	val->file = cfg__strdup(src);
	val->line = 0;
	cfg__place(at, seg, val);
	return 0;
missing:
	cfg_errorf(e, src, 0, "override '%s': no such key '%.*s'%s", arg,
	    (int)klen, key, mode == 0 ? " (use +KEY=VALUE to add one)" : "");
	return -1;
}
