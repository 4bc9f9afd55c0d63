/*
 * cfg_int.h: what the cfg_*.c files share (cfg__*); not for use
 * outside the config tree.
 */
#ifndef HYCO_CFG_INT_H
#define HYCO_CFG_INT_H

#include <stdint.h>

#include "cfg_tree.h"

/* Allocation aborts: config loading happens at start-up only. */
void		*cfg__calloc(size_t n, size_t size);
char		*cfg__strdup(const char *s);

struct cfg_node	*cfg__node_new(enum cfg_node_type type, const char *file,
		    int line);
void		 cfg__append(struct cfg_node *parent, struct cfg_node *child);
void		 cfg__unlink(struct cfg_node *n);
/* Replace old by new in old's parent, keeping old's key. Frees old. */
void		 cfg__replace(struct cfg_node *old, struct cfg_node *new);
/*
 * The child of a map by string key, or of a sequence by decimal index;
 * NULL if none.
 */
struct cfg_node	*cfg__child(const struct cfg_node *n, const char *seg,
		    size_t len);
/* The child of a map whose key equals (ktype, key) as Python's do. */
struct cfg_node	*cfg__map_find(const struct cfg_node *map, enum cfg_type ktype,
		    const char *key);
/* Python's == on two dict keys (1 == 1.0 == True; nan never). */
bool		 cfg__key_equal(enum cfg_type ta, const char *a,
		    enum cfg_type tb, const char *b);

/*
 * Walk path (split in place at its dots) from root to the map or list
 * that holds its last part, and point *last at that part. Maps missing
 * on the way are made (named file, line) if make. NULL if the way is
 * blocked: *last is the part missing, or (*scalar true) the part that
 * is a scalar.
 */
struct cfg_node	*cfg__walk(struct cfg_node *root, char *path, bool make,
		    const char *file, int line, char **last, bool *scalar);
/* Set string key of map to val (consumed), as a Python dict does. */
void		 cfg__map_set(struct cfg_node *map, const char *key,
		    struct cfg_node *val);
/* Put val (consumed) under key last of map at, replacing what was there. */
void		 cfg__place(struct cfg_node *at, const char *last,
		    struct cfg_node *val);
/* True for a string scalar that is exactly ???: OmegaConf's MISSING. */
bool		 cfg__missing(const struct cfg_node *n);

/* -- Hydra's defaults lists (cfg_defaults.c) -------------------------- */

#define CFG_MAX_DEFAULTS	256	/* entries in one defaults list */

/* One entry of a defaults list (Hydra's InputDefault). */
struct cfg_dflt {
	bool		 is_group;	/* group: option (else a config path) */
	char		*path;		/* a config's path as written */
	char		*group;		/* a group as written */
	char		*name;		/* its option; NULL for null */
	bool		 is_options;	/* a list of options (multi-select) */
	char		**options;
	size_t		 noptions;
	char		*package;	/* @package ("" for _here_), or NULL */
	char		*header;	/* its config's header, absolute */
	bool		 optional, override, deleted, external;
	char		*pbase, *ppkg;	/* the parent's group and package */
	char		*file;		/* where the entry is written */
	int		 line;
};

/* The defaults list list of file into *out[0..*n); -1 if refused. */
int		 cfg__dflt_parse(const struct cfg_node *list, const char *file,
		    struct cfg_dflt ***out, size_t *n, struct cfg_errors *e);
struct cfg_dflt	*cfg__dflt_copy(const struct cfg_dflt *d);
void		 cfg__dflt_free(struct cfg_dflt *d);
bool		 cfg__dflt_self(const struct cfg_dflt *d);
const char	*cfg__dflt_name(const struct cfg_dflt *d);
/* Hydra's update_parent: the parent's group path and final package. */
void		 cfg__dflt_parent(struct cfg_dflt *d, const char *base,
		    const char *pkg);
/* Hydra's set_package_header: header (NULL: none) made absolute. */
void		 cfg__dflt_header(struct cfg_dflt *d, const char *header);
/* New strings: get_group_path, get_config_path, get_override_key. */
char		*cfg__dflt_group_path(const struct cfg_dflt *d);
char		*cfg__dflt_config_path(const struct cfg_dflt *d);
char		*cfg__dflt_override_key(const struct cfg_dflt *d);
/* get_final_package, with or without the header. */
char		*cfg__dflt_package(const struct cfg_dflt *d, bool header);
/*
 * The "# @package" header of a file's text, as Hydra reads it (*pkg:
 * NULL if none); -1 if a header line is malformed.
 */
int		 cfg__package_header(const char *text, const char *file,
		    char **pkg, struct cfg_errors *e);

/* -- text --------------------------------------------------------------- */

struct cfg_sbuf {
	char	*s;
	size_t	 len, cap;
};

void		 cfg__sbuf_add(struct cfg_sbuf *b, const char *s, size_t len);
void		 cfg__sbuf_str(struct cfg_sbuf *b, const char *s);
/* The text (never NULL), which the caller frees; b is empty again. */
char		*cfg__sbuf_take(struct cfg_sbuf *b);

/* -- typing (cfg_type.c) ------------------------------------------------ */

/*
 * What OmegaConf's YAML loader makes of a plain scalar: PyYAML's
 * implicit resolvers in their order and OmegaConf's own float, no
 * timestamps. CFG_TYPE_STR for a string; *special set (if not NULL) for
 * the two texts PyYAML tags merge and value, "<<" and "=".
 */
enum cfg_type	 cfg__plain_type(const char *text, bool *special);
/*
 * A scalar tagged tag (NULL or "!": untagged) whose text is text and
 * whose style was plain or not: its type and its text as a node keeps
 * it (*canon: NULL to keep text, else a new text), as PyYAML's
 * constructors build it. -1 with *why where PyYAML refuses it (0x_,
 * !!int "abc", an unknown tag).
 */
int		 cfg__construct(const char *tag, const char *text, bool plain,
		    enum cfg_type *type, char **canon, const char **why);
/*
 * True if a plain scalar with this text would not read back as a string
 * in some reader (PyYAML, OmegaConf, YAML 1.2): it must be quoted.
 */
bool		 cfg__ambiguous(const char *text);
/* A float node's value, as PyYAML's construct_yaml_float builds it. */
double		 cfg__float_of(const char *text);
/* YAML text that reads back as x (.inf, .nan, else Python's repr). */
void		 cfg__float_yaml(double x, char *buf, size_t size);
/*
 * Python's str() of a scalar node (None, True, 31 for 0x1f, a float's
 * repr, a string itself); the caller frees it.
 */
char		*cfg__pystr(const struct cfg_node *n);
/*
 * Python's repr() of a node into out: a map or list as repr() of its
 * content ({'a': 1, 'b': '${x}'}), its keys included.
 */
void		 cfg__repr(const struct cfg_node *n, struct cfg_sbuf *out);

/* -- interpolation grammar (cfg_grammar.c) --------------------------- */

enum cfg_ast_type {
	CFG_AST_TEXT,		/* a config value: literals and interpolations */
	CFG_AST_LIT,		/* literal text, escapes undone */
	CFG_AST_NODE,		/* ${a.b[c]}: its key's text, interpolations */
	CFG_AST_RESOLVER,	/* ${name:args}: name parts, then arguments */
	CFG_AST_PRIM,		/* an unquoted argument or dict key */
	CFG_AST_QUOTED,		/* a quoted argument: its text, if any */
	CFG_AST_LIST,		/* [a, b]: elements */
	CFG_AST_DICT,		/* {k: v}: keys and values in turn */
	CFG_AST_EMPTY,		/* a missing argument, "" */
};

struct cfg_ast {
	enum cfg_ast_type type;
	/*
	 * TEXT, PRIM: one interpolation alone, whose value is taken as it
	 * is; PRIM: one token (kid[0] its text) that is a value of vtype,
	 * or (bad) a lone blank, which OmegaConf fails on.
	 */
	bool		 single, typed, bad;
	enum cfg_type	 vtype;
	char		*text;		/* LIT */
	char		*src;		/* an element as written */
	struct cfg_ast	**kid;
	size_t		 nkid;
	size_t		 nname;		/* RESOLVER: kid[0..nname) name parts */
};

/*
 * Parse s as OmegaConf parses a config value holding "${" (or with
 * element, one resolver argument as oc.decode parses it). NULL and the
 * reason in err if OmegaConf raises GrammarParseError.
 */
struct cfg_ast	*cfg__grammar_parse(const char *s, bool element, char *err,
		    size_t errsize);
void		 cfg__ast_free(struct cfg_ast *a);

/* -- evaluation (cfg_interp.c, cfg_resolvers.c) ----------------------- */

#define CFG_MAX_RESOLVER_ARGS	16	/* arguments of one ${name:...} */

/* A value met while evaluating an interpolation. */
struct cfg_val {
	struct cfg_node	*n;	/* a scalar, map or list */
	bool		 own;	/* n is new, and the value's to free */
	bool		 py;	/* a Python dict or list: no config, no walking in */
};

enum { CFG_FAIL_ERROR = 1, CFG_FAIL_UNKNOWN = 2 };
#define CFG_FAIL_MAX	512	/* bytes of a failure's reason */

struct cfg_rctx;

/* A failure kept aside while the next parts are tried. */
struct cfg_failure {
	int		 fail;
	struct cfg_node	*cause;
	char		 msg[CFG_FAIL_MAX];
};

void		 cfg__failure_save(struct cfg_rctx *c, struct cfg_failure *f);
/* Make f the failure being returned again: -1. */
int		 cfg__failure_restore(struct cfg_rctx *c,
		    const struct cfg_failure *f);
/* The class of the failure being returned (CFG_FAIL_*). */
int		 cfg__failed(const struct cfg_rctx *c);

/* Fail with a reason: an error OmegaConf raises too, or an unknown. -1. */
int		 cfg__fail(struct cfg_rctx *c, int cls, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/*
 * The value at key for a string held by the map or list self: as
 * ${key} finds it, or (oc_select) as oc.select does (a value, a ??? or
 * nothing there: out->n NULL, the default).
 */
int		 cfg__select(struct cfg_rctx *c, struct cfg_node *self,
		    const char *key, bool oc_select, struct cfg_val *out);
/* The value of a parsed piece, for a string held by self. */
int		 cfg__eval(struct cfg_rctx *c, const struct cfg_ast *a,
		    struct cfg_node *self, struct cfg_val *out);
/* The instant ${now:...} shows, and its microseconds. */
time_t		 cfg__now(struct cfg_rctx *c, long *usec);
void		 cfg__val_free(struct cfg_val *v);
/* A new scalar of type and text (NULL for null), detached. */
struct cfg_node	*cfg__scalar(enum cfg_type type, const char *text);
/*
 * Call resolver name on args (call is the ${name:...} parsed, for the
 * arguments' text): 0 and its value, or -1 (unknown to hycod: a
 * CFG_FAIL_UNKNOWN).
 */
int		 cfg__call_resolver(struct cfg_rctx *c, const char *name,
		    struct cfg_val *args, size_t nargs,
		    const struct cfg_ast *call, struct cfg_node *self,
		    struct cfg_val *out);

/* -- Python's text of values (cfg_pyfmt.c, cfg_unicode.c) ------------- */

#define CFG_FLOAT_REPR_MAX	32	/* "-1.2345678901234567e-308" fits */
/*
 * Digits an integer may have: CPython 3.11 refuses to convert a longer
 * decimal text (sys.int_info.default_max_str_digits), and hycod keeps
 * every int within it, in any base.
 */
#define CFG_MAX_INT_DIGITS	4300
#define CFG_MAX_INT_DIGITS_S	"4300"

void		 cfg__float_repr(double x, char *buf, size_t size);
void		 cfg__str_repr(const char *s, struct cfg_sbuf *out);
/*
 * PyYAML's construct_yaml_int of text ('_' dropped, a sign, 0b, 0x, 0
 * octal, base 60 like 1:30, else decimal) as decimal digits, exact at
 * any size; NULL and *why where PyYAML raises.
 */
char		*cfg__yaml_int(const char *text, const char **why);
/*
 * Python's int() of a list index in an interpolation key ("01", "+1",
 * "1_0" all read): -1 if it is not an int, else 0 and the value.
 */
int		 cfg__py_index(const char *s, long *out);
/* Python's str.isprintable() of one code point (repr() escapes others). */
bool		 cfg__printable(uint32_t cp);

#endif
