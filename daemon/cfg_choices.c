/*
 * cfg_choices.c: the choices of Hydra's groups, from the command line
 * and from override entries (hydra/_internal/defaults_list.py
 * Overrides): group=option, group@package=option, group=[a,b], +group=
 * option appended, ~group deleted; the first seen wins, an unused one
 * is an error; set_known_choice's one option per group and package;
 * and the interpolations of a defaults list, resolved against the
 * choices made (_create_interpolation_map).
 */
#include "cfg_compose_int.h"

#include <stdlib.h>
#include <string.h>

/* -- overrides (defaults_list.py Overrides) ----------------------------- */

struct choice *
cfg__choice_find(struct choice *list, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].key, key) == 0)
			return &list[i];
	return NULL;
}

int
cfg__choice_add(struct comp *c, struct choice *list, size_t *n, const char *key,
    const struct cfg_dflt *value, bool external, const char *where)
{
	if (*n == COMPOSE_MAX_CHOICES) {
		cfg_errorf(c->e, value->file, value->line, "more than %d "
		    "overrides", COMPOSE_MAX_CHOICES);
		return -1;
	}
	list[*n].key = cfg__strdup(key);
	list[*n].value = cfg__dflt_copy(value);
	list[*n].used = false;
	list[*n].external = external;
	list[*n].where = cfg__strdup(where);
	(*n)++;
	return 0;
}

/* The option of a choice into d (a name, a list, or null). */
void
cfg__choice_take(struct cfg_dflt *d, const struct cfg_dflt *v)
{
	free(d->name);
	for (size_t i = 0; i < d->noptions; i++)
		free(d->options[i]);
	free(d->options);
	d->name = cfg__strdup(v->name);
	d->is_options = v->is_options;
	d->noptions = v->noptions;
	d->options = v->noptions ? cfg__calloc(v->noptions, sizeof(char *)) :
	    NULL;
	for (size_t i = 0; i < v->noptions; i++)
		d->options[i] = cfg__strdup(v->options[i]);
}

/*
 * One command-line argument: a group's choice (db=mysql, db@src=x,
 * site=[a,b]), +group=opt, ~group; 1 if it was one (or Hydra's own),
 * 0 if it is a config override, -1 on error.
 */
int
cfg__choice_external(struct comp *c, const char *arg)
{
	const char *src = "command line", *eq = strchr(arg, '='), *k = arg;
	int mode = 0;	/* 0 choose, 1 append, 2 force, 3 delete */
	char *key, *group, *pkg;
	struct cfg_dflt d = { .file = (char *)src, .is_group = true };
	int rc = 1;

	if (strncmp(k, "++", 2) == 0)
		mode = 2, k += 2;
	else if (k[0] == '+')
		mode = 1, k++;
	else if (k[0] == '~')
		mode = 3, k++;
	key = eq ? strndup(k, (size_t)(eq - k)) : cfg__strdup(k);
	if (key == NULL)
		abort();
	group = strndup(key, strcspn(key, "@"));
	if (group == NULL)
		abort();
	/* Hydra's own settings, hydra.run.dir=... or hydra/launcher=x. */
	if (strncmp(key, "hydra.", 6) == 0 || cfg__hydras(group))
		goto out;
	if (group[0] == '\0' || strchr(group, '.') != NULL ||
	    !cfg__compose_is_dir(c, group) || (eq == NULL && mode != 3) ||
	    (eq && eq[1] == '{')) {
		rc = 0;
		goto out;
	}
	pkg = key[strlen(group)] == '@' ? key + strlen(group) + 1 : NULL;
	if (mode == 2) {
		cfg_errorf(c->e, src, 0, "force-add of config groups is not "
		    "supported: '%s'", arg);
		rc = -1;
		goto out;
	}
	/* The option: a name, null, or [a,b] for a multi-select. */
	const char *v = eq ? eq + 1 : NULL;
	size_t vl = v ? strlen(v) : 0;
	if (v != NULL && vl >= 2 && v[0] == '[' && v[vl - 1] == ']') {
		d.is_options = true;
		d.options = cfg__calloc(vl, sizeof(char *));
		for (const char *p = v + 1; p < v + vl - 1;) {
			size_t n = strcspn(p, ",]");
			char *o = strndup(p, n);
			if (o == NULL)
				abort();
			/* Blanks around an option are not part of it. */
			char *s = o + strspn(o, " ");
			size_t sl = strlen(s);
			while (sl > 0 && s[sl - 1] == ' ')
				s[--sl] = '\0';
			if (*s != '\0')
				d.options[d.noptions++] = cfg__strdup(s);
			free(o);
			p += n + 1;
		}
	} else if (v != NULL && strcmp(v, "null") != 0)
		d.name = cfg__strdup(v);
	if (mode == 3)
		rc = cfg__choice_add(c, c->deletions, &c->ndeletions, key, &d,
		    true, src) == 0 ? 1 : -1;
	else if (mode == 1) {
		struct cfg_dflt *a = cfg__dflt_copy(&d);
		free(a->group);
		a->group = cfg__strdup(group);
		a->package = cfg__strdup(pkg);
		a->external = true;
		if (c->nappends == COMPOSE_MAX_CHOICES) {
			cfg__dflt_free(a);
			cfg_errorf(c->e, src, 0, "too many +group=option");
			rc = -1;
		} else
			c->appends[c->nappends++] = a;
	} else
		rc = cfg__choice_add(c, c->choices, &c->nchoices, key, &d, true,
		    src) == 0 ? 1 : -1;
	for (size_t i = 0; i < d.noptions; i++)
		free(d.options[i]);
	free(d.options);
	free(d.name);
out:
	free(key);
	free(group);
	return rc;
}

/* set_known_choice: one group at one package takes one option. */
int
cfg__choice_known(struct comp *c, struct cfg_dflt *d)
{
	char *key;
	struct choice *k;
	const char *name = cfg__dflt_name(d);

	if (!d->is_group)
		return 0;
	key = cfg__dflt_override_key(d);
	if ((k = cfg__choice_find(c->known, c->nknown, key)) == NULL) {
		if (c->nknown < COMPOSE_MAX_CONFIGS)
			cfg__choice_add(c, c->known, &c->nknown, key, d, false, "");
	} else if ((k->value->name == NULL) != (name == NULL) ||
	    (name != NULL && strcmp(k->value->name, name) != 0)) {
		cfg_errorf(c->e, d->file, d->line, "defaults: multiple values "
		    "for %s; to override a value use 'override %s: %s'", key,
		    key, k->value->name ? k->value->name : "null");
		free(key);
		return -1;
	}
	free(key);
	return 0;
}

/*
 * An interpolation in a defaults list (- db: ${env}_db) resolved as
 * Hydra resolves it (_create_interpolation_map): against the choices
 * made so far, group (or group@package) to option, and "defaults",
 * the containing list. NULL (reported) if it does not give a string.
 */
char *
cfg__choice_resolve(struct comp *c, const struct cfg_dflt *d, const char *val,
    struct cfg_dflt *const *list, size_t n)
{
	struct cfg_node *root = cfg__node_new(CFG_MAP, d->file, d->line);
	struct cfg_node *seq = cfg__node_new(CFG_SEQ, d->file, d->line), *out;
	struct cfg_resolve_opts o = { .all_strict = true };
	struct cfg_errors e = { 0 }, w = { 0 };
	const struct cfg_node *r;
	char *res = NULL;

	for (size_t i = 0; i < c->nknown; i++)
		cfg__map_set(root, c->known[i].key, cfg__scalar(
		    c->known[i].value->name ? CFG_TYPE_STR : CFG_TYPE_NULL,
		    c->known[i].value->name));
	for (size_t i = 0; i < n; i++) {
		if (list[i] == NULL || cfg__dflt_self(list[i]))
			continue;
		if (!list[i]->is_group) {
			char *cp = cfg__dflt_config_path(list[i]);
			cfg__append(seq, cfg__scalar(CFG_TYPE_STR, cp));
			free(cp);
			continue;
		}
		struct cfg_node *m = cfg__node_new(CFG_MAP, d->file, d->line);
		char *key = cfg__dflt_override_key(list[i]);
		cfg__map_set(m, key, cfg__scalar(list[i]->name ? CFG_TYPE_STR :
		    CFG_TYPE_NULL, list[i]->name));
		free(key);
		cfg__append(seq, m);
	}
	cfg__map_set(root, "defaults", seq);
	cfg__map_set(root, "_dummy_", cfg__scalar(CFG_TYPE_STR, val));
	if ((out = cfg_resolve(root, &o, &e, &w)) != NULL &&
	    (r = cfg__map_find(out, CFG_TYPE_STR, "_dummy_")) != NULL &&
	    r->type == CFG_SCALAR && r->vtype == CFG_TYPE_STR && !r->unresolved)
		res = cfg__strdup(r->value);
	else
		cfg_errorf(c->e, d->file, d->line, "defaults: error resolving "
		    "interpolation '%s'%s%s", val, e.count ? ": " : "",
		    e.count ? strchr(e.msg[0], ' ') + 1 : "");
	cfg_free(out);
	cfg_free(root);
	cfg_errors_clear(&e);
	cfg_errors_clear(&w);
	return res;
}

/* ensure_overrides_used, ensure_deletions_used */
int
cfg__choices_used(struct comp *c)
{
	int errors = c->e->count;

	for (size_t i = 0; i < c->nchoices; i++) {
		struct choice *ch = &c->choices[i];
		if (ch->used)
			continue;
		if (ch->external)
			cfg_errorf(c->e, "command line", 0, "could not override "
			    "'%s': no match in the defaults list (to append to "
			    "it use +%s=...)", ch->key, ch->key);
		else
			cfg_errorf(c->e, ch->value->file, ch->value->line,
			    "defaults: could not override '%s': no match in the "
			    "defaults list", ch->key);
	}
	for (size_t i = 0; i < c->ndeletions; i++)
		if (!c->deletions[i].used)
			cfg_errorf(c->e, "command line", 0, "could not delete "
			    "'%s': no match in the defaults list",
			    c->deletions[i].key);
	return c->e->count > errors ? -1 : 0;
}
