/* json.c: hyco_value to JSON text; see json.h for the rules. */
#include <math.h>
#include <stdlib.h>

#include "json.h"

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes), or 0 if
 * it is not one: Unicode's table 3-7, so no overlong form, surrogate or
 * code point above U+10FFFF passes.
 */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void
json_str(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	for (size_t i = 0; i < len; ) {
		size_t n = utf8_len(s + i, len - i);
		if (s[i] == '"' || s[i] == '\\')
			fprintf(out, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", out);
		else if (n == 0 || s[i] < 0x20 || s[i] == 0x7f)
			fprintf(out, "\\u%04x", s[i]);
		else
			fwrite(s + i, 1, n, out);
		i += n == 0 ? 1 : n;
	}
	fputc('"', out);
}

/* A key that is not a string: its own JSON text, as a string. */
static void
json_key(FILE *out, const hyco_value *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (hyco_value_type(k) == HYCO_TYPE_STR) {
		const char *s = hyco_value_str(k, &len);
		json_str(out, s, len);
		return;
	}
	if ((mem = open_memstream(&text, &len)) == NULL) {
		json_str(out, "", 0);
		return;
	}
	json_print(mem, k);
	fclose(mem);
	json_str(out, text, len);
	free(text);
}

/*
 * Recursion is bounded: values come from msgpack-c's unpacker, which
 * nests at most MSGPACK_EMBED_STACK_SIZE (32) containers.
 */
int
json_print(FILE *out, const hyco_value *v)
{
	const char *s;
	uint64_t u;
	int64_t i;
	double f;
	size_t len, n;
	int b, map;

	switch (hyco_value_type(v)) {
	case HYCO_TYPE_BOOL:
		hyco_value_bool(v, &b);
		fputs(b ? "true" : "false", out);
		break;
	case HYCO_TYPE_INT:
		if (hyco_value_uint(v, &u) == 0)
			fprintf(out, "%llu", (unsigned long long)u);
		else if (hyco_value_int(v, &i) == 0)
			fprintf(out, "%lld", (long long)i);
		break;
	case HYCO_TYPE_FLOAT:
		hyco_value_float(v, &f);
		/* JSON has no NaN or infinity. */
		if (isfinite(f))
			fprintf(out, "%.17g", f);
		else
			fputs("null", out);
		break;
	case HYCO_TYPE_STR:
	case HYCO_TYPE_BIN:	/* bytes too: a string of them */
		if ((s = hyco_value_str(v, &len)) == NULL)
			s = hyco_value_bin(v, &len);
		json_str(out, s, len);
		break;
	case HYCO_TYPE_ARRAY:
	case HYCO_TYPE_MAP:
		map = hyco_value_type(v) == HYCO_TYPE_MAP;
		n = map ? hyco_map_len(v) : hyco_array_len(v);
		fputc(map ? '{' : '[', out);
		for (size_t k = 0; k < n; k++) {
			if (k > 0)
				fputs(", ", out);
			if (map) {
				json_key(out, hyco_map_key(v, k));
				fputs(": ", out);
			}
			json_print(out, map ? hyco_map_val(v, k) :
			    hyco_array_at(v, k));
		}
		fputc(map ? '}' : ']', out);
		break;
	default:	/* none, nil, ext */
		fputs("null", out);
		break;
	}
	return ferror(out) ? -1 : 0;
}
