/*
 * cfg_pyfmt.c: Python's text of a value, as OmegaConf makes it.
 *
 * An interpolation inside a longer string becomes str() of the value it
 * names (grammar_visitor.py _unescape): an int in decimal whatever its
 * YAML spelling (0x1f is 31), a float as repr() (shortest digits that
 * read back, in Python's layout), True/False, None; a map or list as
 * repr() of its content, strings quoted as repr() quotes them. PyYAML
 * builds ints with Python's unbounded int(), so they are kept as text
 * and converted here digit by digit; the YAML and Python rules followed
 * are PyYAML 6.0 constructor.py construct_yaml_int/float and CPython
 * 3.11 float_repr/unicode_repr.
 */
#include "cfg_int.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -- strings ------------------------------------------------------------ */

void
cfg__sbuf_add(struct cfg_sbuf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			abort();
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
cfg__sbuf_str(struct cfg_sbuf *b, const char *s)
{
	cfg__sbuf_add(b, s, strlen(s));
}

char *
cfg__sbuf_take(struct cfg_sbuf *b)
{
	char *s = b->s != NULL ? b->s : cfg__strdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/*
 * The code point of the UTF-8 sequence at s (of at most len bytes) and
 * its length; a byte that starts no valid sequence is decoded as
 * Python's surrogateescape decodes it (0xDC00 + byte), its length 1.
 */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		goto bad;
	if (k > len)
		goto bad;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*n = k;
	return cp;
bad:
	*n = 1;
	return 0xdc00 + s[0];
}

void
cfg__str_repr(const char *text, struct cfg_sbuf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), n;
	char quote = '\'', esc[16];

	/* Single quotes unless the text has one and no double quote. */
	if (strchr(text, '\'') != NULL && strchr(text, '"') == NULL)
		quote = '"';
	cfg__sbuf_add(out, &quote, 1);
	for (size_t i = 0; i < len; i += n) {
		uint32_t cp = utf8_next(s + i, len - i, &n);
		if (cp == (uint32_t)quote || cp == '\\')
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		else if (cp == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (cp == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (cp == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (cfg__printable(cp)) {
			cfg__sbuf_add(out, (const char *)s + i, n);
			continue;
		} else if (cp <= 0xff)
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned)cp);
		else if (cp <= 0xffff)
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		else
			snprintf(esc, sizeof(esc), "\\U%08x", (unsigned)cp);
		cfg__sbuf_str(out, esc);
	}
	cfg__sbuf_add(out, &quote, 1);
}

/* -- floats ------------------------------------------------------------- */

/*
 * The shortest decimal digits that read back as x (> 0, finite) and
 * the position of the decimal point (x = 0.DIGITS * 10^decpt), as
 * CPython's dtoa mode 0 gives them. For each length the correctly
 * rounded digits are the nearest candidate; at a power of two, where
 * the gap below is half the gap above, the next candidate up may read
 * back when they do not, so it is tried too.
 */
static void
shortest(double x, char *digits, int *decpt)
{
	char s[48], d[24];
	int exp = 0;

	for (int p = 1; p <= 17; p++) {
		snprintf(s, sizeof(s), "%.*e", p - 1, x);
		/* s is "D[.DDD]e[+-]XX": take its digits and exponent. */
		int k = 0;
		for (const char *c = s; *c != 'e'; c++)
			if (isdigit((unsigned char)*c))
				d[k++] = *c;
		d[k] = '\0';
		exp = atoi(strchr(s, 'e') + 1);
		if (strtod(s, NULL) == x)
			goto found;
		if (strtod(s, NULL) > x)
			continue;
		/* One unit up in the last digit, carrying. */
		int i = k - 1;
		while (i >= 0 && d[i] == '9')
			d[i--] = '0';
		if (i < 0) {
			d[0] = '1';
			exp++;
		} else
			d[i]++;
		snprintf(s, sizeof(s), "%c.%se%d", d[0], d + 1, exp);
		if (strtod(s, NULL) == x)
			goto found;
	}
	/* Seventeen significant digits always read back. */
	abort();
found:
	for (size_t k = strlen(d); k > 1 && d[k - 1] == '0'; k--)
		d[k - 1] = '\0';
	strcpy(digits, d);
	*decpt = exp + 1;
}

void
cfg__float_repr(double x, char *buf, size_t size)
{
	char digits[24], out[CFG_FLOAT_REPR_MAX];
	int decpt, nd, o = 0;

	if (isnan(x)) {
		snprintf(buf, size, "nan");
		return;
	}
	if (isinf(x)) {
		snprintf(buf, size, x < 0 ? "-inf" : "inf");
		return;
	}
	if (x == 0) {
		snprintf(buf, size, signbit(x) ? "-0.0" : "0.0");
		return;
	}
	shortest(fabs(x), digits, &decpt);
	nd = (int)strlen(digits);
	if (x < 0)
		out[o++] = '-';
	if (decpt <= -4 || decpt > 16) {
		/* Exponent form: no ".0", a sign and two digits at least. */
		out[o++] = digits[0];
		if (nd > 1)
			o += snprintf(out + o, sizeof(out) - (size_t)o, ".%s",
			    digits + 1);
		snprintf(out + o, sizeof(out) - (size_t)o, "e%+03d", decpt - 1);
	} else if (decpt <= 0) {
		/* 0.000DIGITS: -decpt zeros (at most 3) after the point. */
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -decpt; i++)
			out[o++] = '0';
		snprintf(out + o, sizeof(out) - (size_t)o, "%s", digits);
	} else if (decpt >= nd) {
		/* DIGITS000.0: an integral value, at most 16 digits. */
		o += snprintf(out + o, sizeof(out) - (size_t)o, "%s", digits);
		for (int i = nd; i < decpt; i++)
			out[o++] = '0';
		snprintf(out + o, sizeof(out) - (size_t)o, ".0");
	} else
		snprintf(out + o, sizeof(out) - (size_t)o, "%.*s.%s", decpt,
		    digits, digits + decpt);
	snprintf(buf, size, "%s", out);
}

/* -- integers ----------------------------------------------------------- */

#define LIMB	1000000000u	/* a limb holds nine decimal digits */

/* A non-negative integer in base 10^9 limbs, least significant first. */
struct big {
	uint32_t	*d;
	size_t		 n, cap;
};

static void
big_muladd(struct big *b, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;

	for (size_t i = 0; i < b->n; i++) {
		uint64_t v = (uint64_t)b->d[i] * mul + carry;
		b->d[i] = (uint32_t)(v % LIMB);
		carry = v / LIMB;
	}
	while (carry != 0) {
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 4;
			if ((b->d = realloc(b->d, b->cap * sizeof(*b->d))) ==
			    NULL)
				abort();
		}
		b->d[b->n++] = (uint32_t)(carry % LIMB);
		carry /= LIMB;
	}
}

/* Room for n limbs in b, the new ones zero. */
static void
big_grow(struct big *b, size_t n)
{
	if (n > b->cap) {
		b->cap = n * 2;
		if ((b->d = realloc(b->d, b->cap * sizeof(*b->d))) == NULL)
			abort();
	}
	while (b->n < n)
		b->d[b->n++] = 0;
}

/* a += b */
static void
big_add(struct big *a, const struct big *b)
{
	uint64_t carry = 0;

	big_grow(a, (a->n > b->n ? a->n : b->n) + 1);
	for (size_t i = 0; i < a->n; i++) {
		uint64_t v = (uint64_t)a->d[i] + (i < b->n ? b->d[i] : 0) +
		    carry;
		a->d[i] = (uint32_t)(v % LIMB);
		carry = v / LIMB;
	}
}

/* The decimal text of neg ? -b : b ("0" for zero, never "-0"). */
static char *
big_decimal(const struct big *b, bool neg)
{
	struct cfg_sbuf out = { 0 };
	char limb[16];
	size_t top = b->n;

	while (top > 0 && b->d[top - 1] == 0)
		top--;
	if (top == 0)
		return cfg__strdup("0");
	if (neg)
		cfg__sbuf_add(&out, "-", 1);
	snprintf(limb, sizeof(limb), "%u", b->d[top - 1]);
	cfg__sbuf_str(&out, limb);
	for (size_t i = top - 1; i-- > 0;) {
		snprintf(limb, sizeof(limb), "%09u", b->d[i]);
		cfg__sbuf_str(&out, limb);
	}
	return cfg__sbuf_take(&out);
}

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * Python's int(s, base) for base 2, 8, 10 or 16 on s[0..len): blanks
 * around, a sign, for base 2, 8 and 16 an optional 0b/0o/0x prefix of
 * that base, then digits with single '_' between them. The value is
 * added into b (zero on entry) and its sign into *neg; -1 where Python
 * raises ValueError, or past CFG_MAX_INT_DIGITS digits (*why).
 */
static int
py_int(const char *s, size_t len, int base, struct big *b, bool *neg,
    const char **why)
{
	const char *end = s + len;
	size_t ndig = 0;
	bool under = false;

	*why = "invalid literal for int()";
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*neg = false;
	if (s < end && (*s == '+' || *s == '-'))
		*neg = *s++ == '-';
	if (end - s >= 2 && s[0] == '0' && base != 10 &&
	    tolower((unsigned char)s[1]) == (base == 2 ? 'b' : base == 8 ?
	    'o' : 'x')) {
		s += 2;
		under = true;	/* "0x_1f": a '_' may follow the prefix */
	}
	for (; s < end; s++) {
		if (*s == '_') {
			if (!under || s + 1 == end || s[1] == '_')
				return -1;
			continue;
		}
		if (digit_value(*s) >= base)
			return -1;
		if (++ndig > CFG_MAX_INT_DIGITS) {
			*why = "integer with more than " CFG_MAX_INT_DIGITS_S
			    " digits";
			return -1;
		}
		big_muladd(b, (uint32_t)base, (uint32_t)digit_value(*s));
		under = true;
	}
	return ndig > 0 ? 0 : -1;
}

char *
cfg__yaml_int(const char *text, const char **why)
{
	struct big b = { 0 };
	char *v = cfg__strdup(text), *o = v, *p, *res = NULL;
	bool neg = false, pneg;

	/* construct_yaml_int: drop '_', take the sign, pick the base. */
	for (const char *c = text; *c; c++)
		if (*c != '_')
			*o++ = *c;
	*o = '\0';
	p = v;
	*why = "invalid literal for int()";
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p == '\0')
		goto out;
	if (strcmp(p, "0") == 0)
		res = cfg__strdup("0");
	else if (strncmp(p, "0b", 2) == 0 || strncmp(p, "0x", 2) == 0) {
		if (py_int(p + 2, strlen(p + 2), p[1] == 'b' ? 2 : 16, &b,
		    &pneg, why) == 0)
			res = big_decimal(&b, neg != pneg);
	} else if (p[0] == '0') {
		if (py_int(p, strlen(p), 8, &b, &pneg, why) == 0)
			res = big_decimal(&b, neg != pneg);
	} else if (strchr(p, ':') != NULL) {
		/* Base 60, most significant part first. */
		for (char *part = p, *colon; part != NULL; part = colon) {
			struct big d = { 0 };
			if ((colon = strchr(part, ':')) != NULL)
				*colon++ = '\0';
			int rc = py_int(part, strlen(part), 10, &d, &pneg, why);
			if (rc == 0 && pneg) {
				*why = "a signed part in a base 60 integer";
				rc = -1;
			}
			if (rc == 0) {
				big_muladd(&b, 60, 0);
				big_add(&b, &d);
			}
			free(d.d);
			if (rc == -1)
				goto out;
		}
		res = big_decimal(&b, neg);
	} else if (py_int(p, strlen(p), 10, &b, &pneg, why) == 0)
		res = big_decimal(&b, neg != pneg);
out:
	free(b.d);
	free(v);
	return res;
}

int
cfg__py_index(const char *s, long *out)
{
	struct big b = { 0 };
	const char *why;
	bool neg;
	int rc = py_int(s, strlen(s), 10, &b, &neg, &why);

	if (rc == 0) {
		/* Past LONG_MAX no list is that long anyway. */
		size_t top = b.n;
		while (top > 0 && b.d[top - 1] == 0)
			top--;
		long v = top > 2 ? LONG_MAX : (long)(top > 1 ?
		    (uint64_t)b.d[1] * LIMB : 0) + (long)(top > 0 ? b.d[0] : 0);
		*out = neg ? -v : v;
	}
	free(b.d);
	return rc;
}
