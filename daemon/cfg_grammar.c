/*
 * cfg_grammar.c: OmegaConf's interpolation grammar, lexed and parsed.
 *
 * A string holding "${" is parsed as OmegaConf 2.2.2 parses it with
 * its ANTLR grammar (omegaconf/grammar/OmegaConfGrammarLexer.g4 and
 * OmegaConfGrammarParser.g4 at v2.2.2): the same lexer modes and
 * tokens, each the longest match with ties to the rule written first,
 * the same parser rules. A string that does not parse is an error
 * wherever it is, used or not, as OmegaConf.load makes it one. The
 * escapes are undone here as grammar_visitor.py _unescape undoes them,
 * so that evaluation (cfg_interp.c) sees literal text and
 * interpolations only.
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GRAMMAR_MAX_MODES	64	/* lexer modes pushed, nesting */
#define GRAMMAR_MAX_DEPTH	64	/* parser rules nested */

enum tok {
	T_EOF, T_INTER_OPEN, T_INTER_CLOSE, T_BRACE_OPEN, T_BRACE_CLOSE,
	T_QUOTE_SINGLE, T_QUOTE_DOUBLE, T_QUOTE_CLOSE, T_COMMA, T_BRACKET_OPEN,
	T_BRACKET_CLOSE, T_COLON, T_FLOAT, T_INT, T_BOOL, T_NULL,
	T_UNQUOTED_CHAR, T_ID, T_ESC, T_WS, T_DOT, T_INTER_KEY, T_ANY_STR,
	T_ESC_INTER, T_TOP_ESC, T_QUOTED_ESC,
};

enum mode { M_TOP, M_VALUE, M_INTER, M_QSINGLE, M_QDOUBLE };

struct token {
	enum tok	 type;
	const char	*s;
	size_t		 len;
};

struct gram {
	const char	*in;
	struct token	*t;
	size_t		 n, cap, pos;
	int		 depth;
	char		*err;
	size_t		 errsize;
	bool		 failed;
};

static void
gerr(struct gram *g, const char *fmt, ...)
{
	va_list ap;

	if (g->failed)
		return;
	g->failed = true;
	va_start(ap, fmt);
	vsnprintf(g->err, g->errsize, fmt, ap);
	va_end(ap);
}

/* -- lexer -------------------------------------------------------------- */

static size_t
ws(const char *s)
{
	return strspn(s, " \t");
}

static size_t
backslashes(const char *s)
{
	return strspn(s, "\\");
}

/* DIGIT (('_')? DIGIT)* from s: its length, 0 if s is no digit. */
static size_t
digits(const char *s)
{
	size_t n = 0;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	n = 1;
	for (;;) {
		if (isdigit((unsigned char)s[n]))
			n++;
		else if (s[n] == '_' && isdigit((unsigned char)s[n + 1]))
			n += 2;
		else
			return n;
	}
}

/* INT_UNSIGNED: '0' | [1-9] (('_')? DIGIT)*; its length or 0. */
static size_t
int_unsigned(const char *s)
{
	if (s[0] == '0')
		return 1;
	if (s[0] >= '1' && s[0] <= '9')
		return digits(s);
	return 0;
}

static size_t
lex_int(const char *s)
{
	size_t sign = *s == '+' || *s == '-';
	size_t u = int_unsigned(s + sign);

	return u ? sign + u : 0;
}

/* FLOAT: the longest of its alternatives (POINT, EXPONENT, inf, nan). */
static size_t
lex_float(const char *s)
{
	size_t j = *s == '+' || *s == '-', best = 0, ends[4], ne = 0;
	size_t u = int_unsigned(s + j);
	const char *p = s + j;

	if (strncasecmp(p, "inf", 3) == 0 || strncasecmp(p, "nan", 3) == 0)
		best = j + 3;
	/* POINT_FLOAT: INT_UNSIGNED '.' | INT_UNSIGNED? '.' DIGITS */
	if (u > 0 && p[u] == '.') {
		ends[ne++] = j + u + 1;
		if (digits(p + u + 1))
			ends[ne++] = j + u + 1 + digits(p + u + 1);
	}
	if (p[0] == '.' && digits(p + 1))
		ends[ne++] = j + 1 + digits(p + 1);
	for (size_t i = 0; i < ne; i++)
		if (ends[i] > best)
			best = ends[i];
	/* EXPONENT_FLOAT: (INT_UNSIGNED | POINT_FLOAT) [eE] [+-]? DIGITS */
	if (u > 0)
		ends[ne++] = j + u;
	for (size_t i = 0; i < ne; i++) {
		const char *e = s + ends[i];
		if (*e != 'e' && *e != 'E')
			continue;
		size_t k = 1 + (e[1] == '+' || e[1] == '-');
		if (digits(e + k) && ends[i] + k + digits(e + k) > best)
			best = ends[i] + k + digits(e + k);
	}
	return best;
}

static size_t
lex_id(const char *s)
{
	size_t n;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (n = 1; isalnum((unsigned char)s[n]) || s[n] == '_'; n++)
		;
	return n;
}

/* ESC: backslash pairs \\ \( \) \[ \] \{ \} \: \= \, "\ " "\<tab>". */
static size_t
lex_esc(const char *s)
{
	size_t n = 0;

	while (s[n] == '\\' && s[n + 1] != '\0' &&
	    strchr("\\()[]{}:=, \t", s[n + 1]) != NULL)
		n += 2;
	return n;
}

/*
 * A run of text in the top level or in quotes: no '$' (nor the quote),
 * and not ending in a backslash (ANY_STR: ~[$]* ~[\\$]).
 */
static size_t
lex_str(const char *s, const char *stop)
{
	size_t n = strcspn(s, stop);

	while (n > 0 && s[n - 1] == '\\')
		n--;
	return n;
}

/* An odd run of backslashes then what: ESC_INTER, QSINGLE_ESC_QUOTE. */
static size_t
lex_esc_before(const char *s, const char *what)
{
	size_t b = backslashes(s);

	if (b % 2 == 1 && strncmp(s + b, what, strlen(what)) == 0)
		return b + strlen(what);
	return 0;
}

/* Pick the longest candidate; ties go to the first (rule order). */
struct cand {
	enum tok	 type;
	size_t		 len;
	int		 action;	/* 0, or a mode to push, -1 pop, */
};					/* -2 switch to M_VALUE */

static int
lex(struct gram *g, enum mode start)
{
	enum mode stack[GRAMMAR_MAX_MODES];
	int sp = 0;
	enum mode m = start;
	const char *s = g->in;

	while (*s != '\0') {
		struct cand c[20];
		int nc = 0, best = -1;
		size_t w = ws(s), b = backslashes(s);

#define CAND(T, L, A) do { if ((L) > 0) { c[nc].type = (T); \
	c[nc].len = (L); c[nc++].action = (A); } } while (0)
		bool open = s[0] == '$' && s[1] == '{';
		switch (m) {
		case M_TOP:
			CAND(T_INTER_OPEN, open ? 2 + ws(s + 2) : 0, M_INTER);
			CAND(T_ANY_STR, lex_str(s, "$"), 0);
			CAND(T_ESC_INTER, lex_esc_before(s, "${"), 0);
			CAND(T_TOP_ESC, b / 2 * 2, 0);
			CAND(T_ANY_STR, b, 0);
			CAND(T_ANY_STR, s[0] == '$', 0);
			break;
		case M_QSINGLE:
		case M_QDOUBLE: {
			const char *q = m == M_QSINGLE ? "'" : "\"";
			char stop[3] = { '$', q[0], '\0' };
			CAND(T_INTER_OPEN, open ? 2 + ws(s + 2) : 0, M_INTER);
			CAND(T_QUOTE_CLOSE, s[0] == q[0], -1);
			CAND(T_ANY_STR, lex_str(s, stop), 0);
			CAND(T_ESC_INTER, lex_esc_before(s, "${"), 0);
			CAND(T_ESC, lex_esc_before(s, q), 0);
			CAND(T_QUOTED_ESC, b / 2 * 2, 0);
			CAND(T_ANY_STR, b, 0);
			CAND(T_ANY_STR, s[0] == '$', 0);
			break;
		}
		case M_INTER: {
			size_t key = strcspn(s, "\\{}()[]:. \t'\"");
			CAND(T_INTER_OPEN, open ? 2 + ws(s + 2) : 0, M_INTER);
			CAND(T_COLON, s[w] == ':' ? w + 1 + ws(s + w + 1) : 0, -2);
			CAND(T_INTER_CLOSE, s[w] == '}' ? w + 1 : 0, -1);
			CAND(T_DOT, s[0] == '.', 0);
			CAND(T_BRACKET_OPEN, s[0] == '[', 0);
			CAND(T_BRACKET_CLOSE, s[0] == ']', 0);
			CAND(T_ID, lex_id(s), 0);
			CAND(T_INTER_KEY, key, 0);
			break;
		}
		case M_VALUE:
			CAND(T_INTER_OPEN, open ? 2 + ws(s + 2) : 0, M_INTER);
			CAND(T_BRACE_OPEN, s[0] == '{' ? 1 + ws(s + 1) : 0,
			    M_VALUE);
			CAND(T_BRACE_CLOSE, s[w] == '}' ? w + 1 : 0, -1);
			CAND(T_QUOTE_SINGLE, s[0] == '\'', M_QSINGLE);
			CAND(T_QUOTE_DOUBLE, s[0] == '"', M_QDOUBLE);
			CAND(T_COMMA, s[w] == ',' ? w + 1 + ws(s + w + 1) : 0, 0);
			CAND(T_BRACKET_OPEN, s[0] == '[' ? 1 + ws(s + 1) : 0, 0);
			CAND(T_BRACKET_CLOSE, s[w] == ']' ? w + 1 : 0, 0);
			CAND(T_COLON, s[w] == ':' ? w + 1 + ws(s + w + 1) : 0, 0);
			CAND(T_FLOAT, lex_float(s), 0);
			CAND(T_INT, lex_int(s), 0);
			CAND(T_BOOL, strncasecmp(s, "true", 4) == 0 ? 4 :
			    strncasecmp(s, "false", 5) == 0 ? 5 : 0, 0);
			CAND(T_NULL, strncasecmp(s, "null", 4) == 0 ? 4 : 0, 0);
			CAND(T_UNQUOTED_CHAR, s[0] != '\0' &&
			    strchr("/-\\+.$%*@?|", s[0]) != NULL, 0);
			CAND(T_ID, lex_id(s), 0);
			CAND(T_ESC, lex_esc(s), 0);
			CAND(T_WS, w, 0);
			break;
		}
#undef CAND
		for (int i = 0; i < nc; i++)
			if (best == -1 || c[i].len > c[best].len)
				best = i;
		if (best == -1) {
			/* The whole character, UTF-8 sequence and all. */
			int n = 1;
			while (((unsigned char)s[n] & 0xc0) == 0x80 && n < 4)
				n++;
			gerr(g, "token recognition error at: '%.*s'", n, s);
			return -1;
		}
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 16;
			if ((g->t = realloc(g->t, g->cap * sizeof(*g->t))) == NULL)
				abort();
		}
		g->t[g->n].type = c[best].type;
		g->t[g->n].s = s;
		g->t[g->n++].len = c[best].len;
		s += c[best].len;
		switch (c[best].action) {
		case 0:
			break;
		case -1:
			if (sp == 0) {
				gerr(g, "Empty Stack");
				return -1;
			}
			m = stack[--sp];
			break;
		case -2:
			m = M_VALUE;
			break;
		default:
			if (sp == GRAMMAR_MAX_MODES) {
				gerr(g, "nested deeper than %d", GRAMMAR_MAX_MODES);
				return -1;
			}
			stack[sp++] = m;
			m = (enum mode)c[best].action;
			break;
		}
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		if ((g->t = realloc(g->t, g->cap * sizeof(*g->t))) == NULL)
			abort();
	}
	g->t[g->n].type = T_EOF;
	g->t[g->n].s = s;
	g->t[g->n++].len = 0;
	return 0;
}

/* -- AST ---------------------------------------------------------------- */

static struct cfg_ast *
ast_new(enum cfg_ast_type type)
{
	struct cfg_ast *a = cfg__calloc(1, sizeof(*a));

	a->type = type;
	a->vtype = CFG_TYPE_STR;
	return a;
}

static void
ast_add(struct cfg_ast *a, struct cfg_ast *kid)
{
	if ((a->nkid & (a->nkid - 1)) == 0 || a->nkid == 0)
		if ((a->kid = realloc(a->kid, (a->nkid ? a->nkid * 2 : 1) *
		    sizeof(*a->kid))) == NULL)
			abort();
	a->kid[a->nkid++] = kid;
}

void
cfg__ast_free(struct cfg_ast *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nkid; i++)
		cfg__ast_free(a->kid[i]);
	free(a->kid);
	free(a->text);
	free(a->src);
	free(a);
}

/* A literal piece; joined to the piece before it if that is one too. */
static void
add_lit(struct cfg_ast *a, const char *s, size_t len)
{
	struct cfg_ast *last = a->nkid ? a->kid[a->nkid - 1] : NULL;

	if (last != NULL && last->type == CFG_AST_LIT) {
		size_t old = strlen(last->text);
		if ((last->text = realloc(last->text, old + len + 1)) == NULL)
			abort();
		memcpy(last->text + old, s, len);
		last->text[old + len] = '\0';
		return;
	}
	last = ast_new(CFG_AST_LIT);
	last->text = strndup(s, len);
	if (last->text == NULL)
		abort();
	ast_add(a, last);
}

/* Every other character from the second: text[1::2] undoes a \x. */
static void
add_unescaped(struct cfg_ast *a, const struct token *t)
{
	char buf[t->len / 2 + 1];
	size_t k = 0;

	for (size_t i = 1; i < t->len; i += 2)
		buf[k++] = t->s[i];
	add_lit(a, buf, k);
}

/* -- parser ------------------------------------------------------------- */

static const struct token *
peek(struct gram *g)
{
	return &g->t[g->pos];
}

static bool
accept(struct gram *g, enum tok type)
{
	if (g->t[g->pos].type != type)
		return false;
	g->pos++;
	return true;
}

static void
expect(struct gram *g, enum tok type, const char *what)
{
	if (!accept(g, type))
		gerr(g, "expected %s at '%s'", what, peek(g)->s);
}

static struct cfg_ast *interpolation(struct gram *g);
static struct cfg_ast *element(struct gram *g);

static bool
is_text_token(enum tok t)
{
	return t == T_ANY_STR || t == T_ESC || t == T_ESC_INTER ||
	    t == T_TOP_ESC || t == T_QUOTED_ESC || t == T_INTER_OPEN;
}

/* An interpolation where one starts, added to a; false if none does. */
static bool
take_interpolation(struct gram *g, struct cfg_ast *a)
{
	struct cfg_ast *i;

	if (peek(g)->type != T_INTER_OPEN)
		return false;
	if ((i = interpolation(g)) != NULL)
		ast_add(a, i);
	return true;
}

/*
 * text: (interpolation | ANY_STR | ESC | ESC_INTER | TOP_ESC |
 * QUOTED_ESC)+, unescaped as _unescape does: ESC_INTER keeps its last
 * len / 2 + 1 characters; ESC, TOP_ESC before an interpolation and
 * QUOTED_ESC before one or at the end are halved; the rest stays.
 */
static struct cfg_ast *
text(struct gram *g)
{
	struct cfg_ast *a = ast_new(CFG_AST_TEXT);
	size_t items = 0;

	while (!g->failed && is_text_token(peek(g)->type)) {
		const struct token *t = peek(g);
		items++;
		if (take_interpolation(g, a))
			continue;
		g->pos++;
		bool before_inter = peek(g)->type == T_INTER_OPEN;
		bool at_end = !is_text_token(peek(g)->type);
		if (t->type == T_ESC_INTER)
			add_lit(a, t->s + t->len - (t->len / 2 + 1),
			    t->len / 2 + 1);
		else if (t->type == T_ESC ||
		    (t->type == T_TOP_ESC && before_inter) ||
		    (t->type == T_QUOTED_ESC && (before_inter || at_end)))
			add_unescaped(a, t);
		else
			add_lit(a, t->s, t->len);
	}
	if (items == 0)
		gerr(g, "expected text at '%s'", peek(g)->s);
	/* One interpolation alone gives its value as it is. */
	a->single = items == 1 && a->nkid == 1 && a->kid[0]->type !=
	    CFG_AST_LIT;
	return a;
}

/* configKey: interpolation | ID | INTER_KEY */
static void
config_key(struct gram *g, struct cfg_ast *a)
{
	const struct token *t = peek(g);

	if (t->type == T_INTER_OPEN) {
		struct cfg_ast *i = interpolation(g);
		if (i != NULL)
			ast_add(a, i);
	} else if (t->type == T_ID || t->type == T_INTER_KEY) {
		g->pos++;
		add_lit(a, t->s, t->len);
	} else
		gerr(g, "expected a key at '%s'", t->s);
}

/*
 * resolverName COLON, tried after INTER_OPEN: (interpolation | ID)
 * (DOT (interpolation | ID))* then COLON. The name's parts into a;
 * false (and g as it was) if this is no resolver.
 */
static bool
resolver_name(struct gram *g, struct cfg_ast *a)
{
	size_t start = g->pos;

	for (;;) {
		const struct token *t = peek(g);
		if (t->type == T_ID) {
			g->pos++;
			struct cfg_ast *l = ast_new(CFG_AST_LIT);
			if ((l->text = strndup(t->s, t->len)) == NULL)
				abort();
			ast_add(a, l);
		} else if (t->type == T_INTER_OPEN) {
			struct cfg_ast *i = interpolation(g);
			if (i == NULL || g->failed)
				break;
			ast_add(a, i);
		} else
			break;
		if (accept(g, T_COLON))
			return true;
		if (!accept(g, T_DOT))
			break;
	}
	/* Not a resolver: forget what was built, and any error. */
	for (size_t i = 0; i < a->nkid; i++)
		cfg__ast_free(a->kid[i]);
	a->nkid = 0;
	g->pos = start;
	g->failed = false;
	return false;
}

/*
 * sequence: (element (COMMA element?)*) | (COMMA element?)+; a missing
 * element is "" (visitSequence).
 */
static void
sequence(struct gram *g, struct cfg_ast *a, enum tok close)
{
	bool prev_comma = true, any = false;

	while (!g->failed && peek(g)->type != close) {
		any = true;
		if (accept(g, T_COMMA)) {
			if (prev_comma)
				ast_add(a, ast_new(CFG_AST_EMPTY));
			prev_comma = true;
			continue;
		}
		if (!prev_comma) {
			gerr(g, "expected ',' at '%s'", peek(g)->s);
			return;
		}
		struct cfg_ast *e = element(g);
		if (e == NULL)
			return;
		ast_add(a, e);
		prev_comma = false;
	}
	if (prev_comma && any)
		ast_add(a, ast_new(CFG_AST_EMPTY));
}

/*
 * interpolation: INTER_OPEN then a resolver (resolverName COLON
 * sequence? BRACE_CLOSE) or a node (DOT* (configKey | [configKey])
 * (DOT configKey | [configKey])* INTER_CLOSE). A node keeps its key's
 * text (dots and brackets as written) with nested interpolations.
 */
static struct cfg_ast *
interpolation(struct gram *g)
{
	struct cfg_ast *a;

	if (++g->depth > GRAMMAR_MAX_DEPTH) {
		gerr(g, "nested deeper than %d", GRAMMAR_MAX_DEPTH);
		g->depth--;
		return NULL;
	}
	expect(g, T_INTER_OPEN, "'${'");
	a = ast_new(CFG_AST_RESOLVER);
	if (resolver_name(g, a)) {
		a->nname = a->nkid;
		sequence(g, a, T_BRACE_CLOSE);
		expect(g, T_BRACE_CLOSE, "'}'");
		goto out;
	}
	a->type = CFG_AST_NODE;
	while (accept(g, T_DOT))
		add_lit(a, ".", 1);
	for (bool first = true; !g->failed; first = false) {
		if (accept(g, T_BRACKET_OPEN)) {
			add_lit(a, "[", 1);
			config_key(g, a);
			expect(g, T_BRACKET_CLOSE, "']'");
			add_lit(a, "]", 1);
		} else if (first)
			config_key(g, a);
		else if (accept(g, T_DOT)) {
			add_lit(a, ".", 1);
			config_key(g, a);
		} else
			break;
	}
	expect(g, T_INTER_CLOSE, "'}'");
out:
	g->depth--;
	if (g->failed) {
		cfg__ast_free(a);
		return NULL;
	}
	return a;
}

static bool
is_prim_token(enum tok t, bool key)
{
	return t == T_ID || t == T_NULL || t == T_INT || t == T_FLOAT ||
	    t == T_BOOL || t == T_UNQUOTED_CHAR || t == T_ESC || t == T_WS ||
	    (!key && (t == T_COLON || t == T_INTER_OPEN));
}

/*
 * primitive (or dictKey: no COLON, no interpolation): one token is a
 * typed value as _createPrimitive makes it, more are a string.
 */
static struct cfg_ast *
primitive(struct gram *g, bool key)
{
	struct cfg_ast *a = ast_new(CFG_AST_PRIM);
	const struct token *first = peek(g);
	size_t items = 0;

	while (!g->failed && is_prim_token(peek(g)->type, key)) {
		const struct token *t = peek(g);
		items++;
		if (take_interpolation(g, a))
			continue;
		g->pos++;
		if (t->type == T_ESC)
			add_unescaped(a, t);
		else
			add_lit(a, t->s, t->len);
	}
	if (items == 0)
		gerr(g, "expected a value at '%s'", first->s);
	if (items == 1 && first->type != T_INTER_OPEN) {
		a->typed = true;
		switch (first->type) {
		case T_NULL:
			a->vtype = CFG_TYPE_NULL;
			break;
		case T_INT:
			a->vtype = CFG_TYPE_INT;
			break;
		case T_FLOAT:
			a->vtype = CFG_TYPE_FLOAT;
			break;
		case T_BOOL:
			a->vtype = CFG_TYPE_BOOL;
			break;
		case T_WS:
			/* A lone WS: _createPrimitive's AssertionError. */
			a->vtype = CFG_TYPE_NULL;
			a->typed = false;
			a->bad = true;
			break;
		default:
			break;
		}
	}
	a->single = items == 1 && a->nkid == 1 && a->kid[0]->type !=
	    CFG_AST_LIT;
	return a;
}

/* quotedValue: a quote, text?, the same quote: always a string. */
static struct cfg_ast *
quoted(struct gram *g)
{
	struct cfg_ast *a = ast_new(CFG_AST_QUOTED);

	g->pos++;
	if (!accept(g, T_QUOTE_CLOSE)) {
		ast_add(a, text(g));
		expect(g, T_QUOTE_CLOSE, "a closing quote");
	}
	return a;
}

/* element: primitive | quotedValue | listContainer | dictContainer */
static struct cfg_ast *
element(struct gram *g)
{
	const struct token *t = peek(g);
	struct cfg_ast *a;

	if (++g->depth > GRAMMAR_MAX_DEPTH) {
		gerr(g, "nested deeper than %d", GRAMMAR_MAX_DEPTH);
		g->depth--;
		return NULL;
	}
	if (t->type == T_QUOTE_SINGLE || t->type == T_QUOTE_DOUBLE)
		a = quoted(g);
	else if (accept(g, T_BRACKET_OPEN)) {
		a = ast_new(CFG_AST_LIST);
		sequence(g, a, T_BRACKET_CLOSE);
		expect(g, T_BRACKET_CLOSE, "']'");
	} else if (accept(g, T_BRACE_OPEN)) {
		a = ast_new(CFG_AST_DICT);
		while (!g->failed && peek(g)->type != T_BRACE_CLOSE) {
			if (a->nkid > 0)
				expect(g, T_COMMA, "','");
			ast_add(a, primitive(g, true));
			expect(g, T_COLON, "':'");
			if (!g->failed) {
				struct cfg_ast *v = element(g);
				if (v != NULL)
					ast_add(a, v);
			}
		}
		expect(g, T_BRACE_CLOSE, "'}'");
	} else
		a = primitive(g, false);
	g->depth--;
	/* The element's own text: what a resolver's cache is keyed by. */
	if (!g->failed) {
		const char *end = peek(g)->s;
		a->src = strndup(t->s, (size_t)(end - t->s));
		if (a->src == NULL)
			abort();
	}
	if (g->failed) {
		cfg__ast_free(a);
		return NULL;
	}
	return a;
}

struct cfg_ast *
cfg__grammar_parse(const char *s, bool element_only, char *err,
    size_t errsize)
{
	struct gram g = { .in = s, .err = err, .errsize = errsize };
	struct cfg_ast *a = NULL;

	err[0] = '\0';
	if (lex(&g, element_only ? M_VALUE : M_TOP) == 0) {
		a = element_only ? element(&g) : text(&g);
		if (!g.failed && peek(&g)->type != T_EOF)
			gerr(&g, "extraneous input '%s' expecting <EOF>",
			    peek(&g)->s);
	}
	free(g.t);
	if (g.failed) {
		cfg__ast_free(a);
		return NULL;
	}
	return a;
}
