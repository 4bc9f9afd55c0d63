/* cfg_compose.c: Hydra composition (defaults lists, packages) and overrides. */
#include "cfg_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define COMPOSE_MAX_DEPTH	16	/* defaults lists nested this deep */
#define COMPOSE_MAX_ENTRIES	64	/* in one defaults list */

/* -- composition -------------------------------------------------------- */

/* The whole file, or NULL; a missing optional file is no error. */
static char *
read_file(const char *path, bool optional, size_t *len, struct cfg_errors *e,
    const char *from_file, int from_line)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL && optional && errno == ENOENT)
		return NULL;
	if (f == NULL) {
		cfg_errorf(e, from_file, from_line, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	buf = cfg__calloc(1, CFG_MAX_FILE_BYTES + 1);
	n = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
	if (ferror(f) || n > CFG_MAX_FILE_BYTES) {
		cfg_errorf(e, from_file, from_line, "cannot read %s: %s", path,
		    ferror(f) ? strerror(errno) : "file larger than 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The "# @package X" header of a Hydra config file, or NULL. */
static char *
package_header(const char *text)
{
	const char *p = text;

	while (*p == '#' || *p == '\n' || *p == ' ') {
		if (strncmp(p, "# @package ", 11) == 0) {
			const char *s = p + 11, *end = strchr(s, '\n');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
				len--;
			return strndup(s, len);
		}
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return NULL;
}

/*
 * Wrap n under the dotted (or slash-separated) package key; NULL if it
 * has more than CFG_MAX_DEPTH parts (n is freed then).
 */
static struct cfg_node *
wrap_package(struct cfg_node *n, const char *package, struct cfg_errors *e,
    const char *file, int line)
{
	char *copy = cfg__strdup(package), *save = NULL, *seg;
	struct cfg_node *root = cfg__node_new(CFG_MAP, n->file, n->line), *at = root;
	int depth = 0;

	for (char *p = copy; *p; p++)
		if (*p == '/')
			*p = '.';
	for (seg = strtok_r(copy, ".", &save); seg != NULL;
	    seg = strtok_r(NULL, ".", &save)) {
		if (++depth > CFG_MAX_DEPTH) {
			cfg_errorf(e, file, line, "package '%.64s...' nested "
			    "deeper than %d levels", package, CFG_MAX_DEPTH);
			cfg_free(root);
			cfg_free(n);
			free(copy);
			return NULL;
		}
		struct cfg_node *m = cfg__node_new(CFG_MAP, n->file, n->line);
		m->key = cfg__strdup(seg);
		cfg__append(at, m);
		at = m;
	}
	free(copy);
	/* at is the innermost map: move n's children into it. */
	cfg_merge(at, n);
	return root;
}

struct default_entry {
	char	*group;		/* NULL for a plain config name or _self_ */
	char	*option;	/* NULL: skip this group */
	bool	 self;
	bool	 optional;
	int	 line;
};


static void
free_defaults(struct default_entry *ent, int n)
{
	for (int i = 0; i < n; i++) {
		free(ent[i].group);
		free(ent[i].option);
	}
}

/* The entries of a defaults list into ent: their count, or -1. */
static int
parse_defaults(struct cfg_node *list, const char *path,
    struct default_entry *ent, int max, struct cfg_errors *e)
{
	int n = 0;

	if (list->type != CFG_SEQ) {
		cfg_errorf(e, path, list->line, "defaults: must be a list");
		return -1;
	}
	for (struct cfg_node *it = list->child; it != NULL; it = it->next) {
		struct default_entry d = { .line = it->line };
		if (n == max) {
			cfg_errorf(e, path, it->line, "defaults: too many entries");
			goto fail;
		}
		if (it->type == CFG_SCALAR && it->value != NULL) {
			if (strcmp(it->value, "_self_") == 0)
				d.self = true;
			else
				d.option = cfg__strdup(it->value);
		} else if (it->type == CFG_MAP && it->child != NULL &&
		    it->child->next == NULL && it->child->type == CFG_SCALAR) {
			const char *g = it->child->key;
			bool override = false;
			if (strncmp(g, "override ", 9) == 0) {
				override = true;
				g += 9;
			} else if (strncmp(g, "optional ", 9) == 0) {
				d.optional = true;
				g += 9;
			}
			d.option = cfg__strdup(it->child->value);
			if (override) {
				int j;
				for (j = 0; j < n; j++)
					if (ent[j].group && strcmp(ent[j].group, g) == 0)
						break;
				if (j == n) {
					cfg_errorf(e, path, it->line, "defaults: "
					    "override of group '%s' that is not "
					    "in the list", g);
					free(d.option);
					goto fail;
				}
				free(ent[j].option);
				ent[j].option = d.option;
				continue;
			}
			d.group = cfg__strdup(g);
		} else {
			cfg_errorf(e, path, it->line, "defaults: entries are "
			    "'name', 'group: option' or '_self_'");
			goto fail;
		}
		ent[n++] = d;
	}
	return n;
fail:
	free_defaults(ent, n);
	return -1;
}

/*
 * Read and parse one file, once: its "# @package" header, a comment
 * libyaml does not report, is taken from the same text (*pkg, NULL if
 * none). A missing optional file is NULL and no error; other errors
 * name the defaults entry that asked for the file.
 */
static struct cfg_node *
load(const char *path, bool optional, char **pkg, struct cfg_errors *e,
    const char *from_file, int from_line)
{
	struct cfg_node *root;
	size_t len;
	char *text;

	*pkg = NULL;
	if ((text = read_file(path, optional, &len, e, from_file,
	    from_line)) == NULL)
		return NULL;
	root = cfg_parse(text, len, path, e);
	if (root != NULL && root->type != CFG_MAP) {
		cfg_errorf(e, path, root->line, "top level must be a mapping");
		cfg_free(root);
		root = NULL;
	}
	if (root != NULL)
		*pkg = package_header(text);
	free(text);
	return root;
}

/*
 * Compose path: its defaults list in order, its own keys where _self_
 * stands (last if nowhere). *pkg is the file's package header.
 */
static struct cfg_node *
compose(const char *path, bool optional, int depth, char **pkg,
    struct cfg_errors *e, const char *from_file, int from_line)
{
	struct default_entry ent[COMPOSE_MAX_ENTRIES];
	char dir[PATH_MAX], sub[PATH_MAX * 2];
	struct cfg_node *root, *defaults, *result;
	int n = 0, i, errors = e->count;
	bool self_done = false;

	*pkg = NULL;
	if (depth > COMPOSE_MAX_DEPTH) {
		cfg_errorf(e, from_file, from_line, "defaults nested deeper "
		    "than %d (a cycle?) at %s", COMPOSE_MAX_DEPTH, path);
		return NULL;
	}
	if ((root = load(path, optional, pkg, e, from_file, from_line)) == NULL)
		return NULL;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");

	if ((defaults = cfg__child(root, "defaults", 8)) != NULL) {
		cfg__unlink(defaults);
		n = parse_defaults(defaults, path, ent, COMPOSE_MAX_ENTRIES, e);
		cfg_free(defaults);
		if (n == -1) {
			cfg_free(root);
			free(*pkg);
			*pkg = NULL;
			return NULL;
		}
	}
	result = cfg__node_new(CFG_MAP, path, 1);
	for (i = 0; i < n; i++) {
		struct cfg_node *c;
		char *sub_pkg;
		if (ent[i].self) {
			cfg_merge(result, root);
			root = NULL;
			self_done = true;
			continue;
		}
		if (ent[i].option == NULL)
			continue;
		const char *ext = strstr(ent[i].option, ".yaml") ? "" : ".yaml";
		if (ent[i].group != NULL)
			snprintf(sub, sizeof(sub), "%s/%s/%s%s", dir,
			    ent[i].group, ent[i].option, ext);
		else
			snprintf(sub, sizeof(sub), "%s/%s%s", dir,
			    ent[i].option, ext);
		c = compose(sub, ent[i].optional, depth + 1, &sub_pkg, e, path,
		    ent[i].line);
		if (c == NULL)
			continue;
		if (sub_pkg != NULL && strcmp(sub_pkg, "_group_") == 0) {
			free(sub_pkg);
			sub_pkg = NULL;
		}
		if (sub_pkg != NULL && strcmp(sub_pkg, "_global_") != 0)
			c = wrap_package(c, sub_pkg, e, sub, 1);
		else if (sub_pkg == NULL && ent[i].group != NULL)
			c = wrap_package(c, ent[i].group, e, path, ent[i].line);
		if (c != NULL)
			cfg_merge(result, c);
		free(sub_pkg);
	}
	if (!self_done)
		cfg_merge(result, root);
	free_defaults(ent, n);
	if (e->count > errors) {
		cfg_free(result);
		free(*pkg);
		*pkg = NULL;
		return NULL;
	}
	return result;
}

struct cfg_node *
cfg_compose(const char *path, const char **args, int *nargs,
    struct cfg_errors *e, struct cfg_errors *warn)
{
	(void)args;
	(void)nargs;
	(void)warn;
	struct cfg_node *root;
	char *pkg;

	/* The primary config's own package header is ignored, as in Hydra. */
	root = compose(path, false, 0, &pkg, e, NULL, 0);
	free(pkg);
	return root;
}

/* -- overrides ---------------------------------------------------------- */

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
