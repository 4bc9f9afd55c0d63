/* cfg_print.c: a config tree printed as YAML that reads back the same. */
#include "cfg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/*
 * Printing goes through libyaml's emitter, which knows YAML's syntax;
 * what it cannot know is which strings another reader would take for
 * a number, a bool or a null. A value that is not a string is printed
 * plain, as the text it was written with or a canonical one (both read
 * back as its type and value); so is a string that was plain in its
 * file, so that every reader reads it as it read the file. Another
 * string, and a string key, is printed plain only where no reader
 * would take it for anything else (cfg__ambiguous); otherwise
 * plain_implicit is false and the emitter quotes it, as PyYAML's dumper
 * does. A key that is a number or a bool
 * is printed so that it reads back as one.
 */
struct printer {
	yaml_emitter_t		 em;
	struct cfg_errors	*e;
};

static int
print_failed(struct printer *p)
{
	if (p->em.error == YAML_WRITER_ERROR)
		cfg_errorf(p->e, NULL, 0, "cfg_print: write: %s",
		    strerror(errno));
	else
		cfg_errorf(p->e, NULL, 0, "cfg_print: %s", p->em.problem ?
		    p->em.problem : strerror(ENOMEM));
	return -1;
}

/* Emit an event made (made != 0) by a yaml_*_event_initialize call. */
static int
emitted(struct printer *p, yaml_event_t *ev, int made)
{
	/* yaml_emitter_emit frees the event, also when it fails. */
	if (made && yaml_emitter_emit(&p->em, ev))
		return 0;
	return print_failed(p);
}

/*
 * A scalar. Text with a line break or control character is printed in
 * double quotes, as escapes on one line rather than folded. libyaml
 * refuses text that is not UTF-8 (a ${oc.env:...} could hold it).
 */
static int
emit_scalar(struct printer *p, const struct cfg_node *n, const char *text,
    bool plain)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;
	char key[256];

	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
	    -1, plain, 1, style)) {
		cfg_keypath(n, key, sizeof(key));
		cfg_errorf(p->e, n->file, n->line, "%s: cannot print: not "
		    "valid UTF-8", key);
		return -1;
	}
	return emitted(p, &ev, 1);
}

/* A key: a string as a string value is, the others in YAML's form. */
static int
emit_key(struct printer *p, const struct cfg_node *n)
{
	const char *k = n->key;

	switch (n->ktype) {
	case CFG_TYPE_STR:
		return emit_scalar(p, n, k, n->kplain || !cfg__ambiguous(k));
	case CFG_TYPE_BOOL:
		return emit_scalar(p, n, strcmp(k, "True") == 0 ? "true" :
		    "false", true);
	case CFG_TYPE_FLOAT:
		/* Python's str() of a float, but inf and nan as YAML has them. */
		if (strcmp(k, "inf") == 0 || strcmp(k, "-inf") == 0 ||
		    strcmp(k, "nan") == 0)
			return emit_scalar(p, n, strcmp(k, "inf") == 0 ? ".inf" :
			    strcmp(k, "nan") == 0 ? ".nan" : "-.inf", true);
		return emit_scalar(p, n, k, true);
	case CFG_TYPE_NULL:
		return emit_scalar(p, n, "null", true);
	case CFG_TYPE_INT:
		break;
	}
	return emit_scalar(p, n, k, true);
}

static int
emit_node(struct printer *p, const struct cfg_node *n)
{
	yaml_event_t ev;
	int made;

	if (n->type == CFG_SCALAR) {
		if (n->value == NULL)
			return emit_scalar(p, n, "null", true);
		return emit_scalar(p, n, n->value, n->vtype != CFG_TYPE_STR ||
		    n->plain || !cfg__ambiguous(n->value));
	}
	if (n->type == CFG_MAP)
		made = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
	else
		made = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE);
	if (emitted(p, &ev, made) == -1)
		return -1;
	for (const struct cfg_node *c = n->child; c != NULL; c = c->next) {
		if (n->type == CFG_MAP && emit_key(p, c) == -1)
			return -1;
		if (emit_node(p, c) == -1)
			return -1;
	}
	if (n->type == CFG_MAP)
		made = yaml_mapping_end_event_initialize(&ev);
	else
		made = yaml_sequence_end_event_initialize(&ev);
	return emitted(p, &ev, made);
}

int
cfg_print(FILE *out, const struct cfg_node *root, struct cfg_errors *e)
{
	struct printer p = { .e = e };
	yaml_event_t ev;
	int rc = -1;

	if (!yaml_emitter_initialize(&p.em))
		abort();
	yaml_emitter_set_output_file(&p.em, out);
	yaml_emitter_set_unicode(&p.em, 1);
	yaml_emitter_set_width(&p.em, -1);	/* never fold a long path */
	if (emitted(&p, &ev, yaml_stream_start_event_initialize(&ev,
	    YAML_UTF8_ENCODING)) == -1 ||
	    emitted(&p, &ev, yaml_document_start_event_initialize(&ev, NULL,
	    NULL, NULL, 1)) == -1 ||
	    emit_node(&p, root) == -1 ||
	    emitted(&p, &ev, yaml_document_end_event_initialize(&ev, 1)) == -1 ||
	    emitted(&p, &ev, yaml_stream_end_event_initialize(&ev)) == -1)
		goto out;
	if (!yaml_emitter_flush(&p.em)) {
		print_failed(&p);
		goto out;
	}
	if (fflush(out) == EOF) {
		cfg_errorf(e, NULL, 0, "cfg_print: write: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	yaml_emitter_delete(&p.em);
	return rc;
}
