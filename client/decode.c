/*
 * decode.c: reply maps into libhyco's result structs, driven by a table
 * of fields per struct (calls.c), so every field's type is checked the
 * same way and a new field is one line. Also the matching free, and
 * the size handshake that lets result structs grow (see hyco.h).
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyco_internal.h"

/* Where a decode is, for the message naming a bad field. */
struct decoder {
	hyco_client	*c;
	const char	*method;
	char		 path[256];	/* field path: "datasets.x.tensors" */
	size_t		 len;
	int		 status;	/* HYCO_EPROTO or HYCO_ENOMEM */
};

static const char *const wants[] = {
	[HYCO__U64] = "an unsigned integer",
	[HYCO__LONG] = "an integer that fits a long",
	[HYCO__DOUBLE] = "a number",
	[HYCO__BOOL] = "a boolean",
	[HYCO__STR] = "a string without NUL bytes",
	[HYCO__STRBUF] = "a short string without NUL bytes",
	[HYCO__KEY] = "a string key without NUL bytes",
	[HYCO__STRS] = "an array of strings",
	[HYCO__U64S] = "an array of unsigned integers",
	[HYCO__LIST] = "an array of maps",
	[HYCO__DICT] = "a map of maps",
	[HYCO__SUB] = "a map",
	[HYCO__OPTDOUBLE] = "a number or nil",
};

/* Append one step to the path; returns the length to come back to. */
static size_t
push(struct decoder *d, const char *sep, const char *name, size_t len)
{
	size_t old = d->len;
	int n = snprintf(d->path + d->len, sizeof(d->path) - d->len, "%s%.*s",
	    d->len > 0 ? sep : "", (int)(len > 64 ? 64 : len), name);

	if (n > 0)
		d->len += (size_t)n < sizeof(d->path) - d->len ? (size_t)n :
		    sizeof(d->path) - d->len - 1;
	/* The path goes into a message: nothing unprintable in it. */
	for (size_t i = old; i < d->len; i++)
		if (!isprint((unsigned char)d->path[i]))
			d->path[i] = '?';
	return old;
}

static void
pop(struct decoder *d, size_t old)
{
	d->len = old;
	d->path[old] = '\0';
}

static int
bad(struct decoder *d, enum hyco__ftype type)
{
	d->status = hyco__fail(d->c, HYCO_EPROTO, "protocol", "%s: reply field "
	    "%s is missing or not %s", d->method, d->len ? d->path : "(result)",
	    wants[type]);
	return -1;
}

static int
nomem(struct decoder *d)
{
	d->status = hyco__fail(d->c, HYCO_ENOMEM, "memory", "out of memory");
	return -1;
}

/* A string with no NUL byte in it, as C code will read it. */
static const char *
c_str(const hyco_value *v, size_t *len)
{
	const char *s = hyco_value_str(v, len);

	return s != NULL && memchr(s, '\0', *len) == NULL ? s : NULL;
}

static int decode_map(struct decoder *d, const struct hyco__shape *sh,
    const hyco_value *map, char *dst);

static int
dup_str(struct decoder *d, const hyco_value *v, char **out,
    enum hyco__ftype type)
{
	size_t len;
	const char *s = c_str(v, &len);

	if (s == NULL)
		return bad(d, type);
	if ((*out = strndup(s, len)) == NULL)
		return nomem(d);
	return 0;
}

/* A pointer array for n elements and its NULL terminator. */
static void **
new_array(struct decoder *d, size_t n)
{
	void **a = calloc(n + 1, sizeof(*a));

	if (a == NULL)
		nomem(d);
	return a;
}

/* One element of a LIST or DICT; key is the DICT's, NULL for a LIST. */
static int
decode_element(struct decoder *d, const struct hyco__field *f,
    const hyco_value *key, const hyco_value *v, void **slot)
{
	const struct hyco__shape *sub = f->sub;
	char *e;

	if (hyco_value_type(v) != HYCO_TYPE_MAP)
		return bad(d, HYCO__SUB);
	if ((e = calloc(1, sub->size)) == NULL)
		return nomem(d);
	*slot = e;
	for (size_t i = 0; i < sub->nfields && key != NULL; i++)
		if (sub->fields[i].type == HYCO__KEY &&
		    dup_str(d, key, (char **)(e + sub->fields[i].off),
		    HYCO__KEY) == -1)
			return -1;
	return decode_map(d, sub, v, e);
}

/* An array of unsigned integers into a malloc'd uint64_t[]. */
static int
decode_u64s(struct decoder *d, const struct hyco__field *f,
    const hyco_value *v, char *dst)
{
	size_t n = hyco_array_len(v);
	uint64_t *a;

	if (hyco_value_type(v) != HYCO_TYPE_ARRAY)
		return bad(d, f->type);
	if ((a = calloc(n + 1, sizeof(*a))) == NULL)
		return nomem(d);
	*(uint64_t **)(dst + f->off) = a;
	for (size_t k = 0; k < n; k++) {
		char idx[24];
		size_t old;
		snprintf(idx, sizeof(idx), "[%zu]", k);
		old = push(d, "", idx, strlen(idx));
		if (hyco_value_uint(hyco_array_at(v, k), &a[k]) == -1)
			return bad(d, HYCO__U64);
		pop(d, old);
	}
	*(size_t *)(dst + f->aux) = n;
	return 0;
}

static int
decode_field(struct decoder *d, const struct hyco__field *f,
    const hyco_value *v, char *dst)
{
	void *p = dst + f->off;
	size_t len, n, *count;
	const char *s;
	int64_t i;
	void **a;

	switch (f->type) {
	case HYCO__U64:
		return hyco_value_uint(v, p) == 0 ? 0 : bad(d, f->type);
	case HYCO__LONG:
		if (hyco_value_int(v, &i) == -1 || i < LONG_MIN || i > LONG_MAX)
			return bad(d, f->type);
		*(long *)p = (long)i;
		return 0;
	case HYCO__DOUBLE:
		return hyco_value_float(v, p) == 0 ? 0 : bad(d, f->type);
	case HYCO__OPTDOUBLE:
		if (hyco_value_type(v) == HYCO_TYPE_NIL) {
			*(double *)p = -1;
			return 0;
		}
		return hyco_value_float(v, p) == 0 ? 0 : bad(d, f->type);
	case HYCO__BOOL:
		return hyco_value_bool(v, p) == 0 ? 0 : bad(d, f->type);
	case HYCO__STR:
		return dup_str(d, v, p, f->type);
	case HYCO__STRBUF:
		if ((s = c_str(v, &len)) == NULL || len >= f->aux)
			return bad(d, f->type);
		memcpy(p, s, len);
		((char *)p)[len] = '\0';
		return 0;
	case HYCO__KEY:
		return 0;	/* set by decode_element */
	case HYCO__SUB:
		if (hyco_value_type(v) != HYCO_TYPE_MAP)
			return bad(d, f->type);
		return decode_map(d, f->sub, v, dst);
	case HYCO__U64S:
		return decode_u64s(d, f, v, dst);
	case HYCO__STRS:
	case HYCO__LIST:
	case HYCO__DICT:
		break;
	}
	if (hyco_value_type(v) != (f->type == HYCO__DICT ? HYCO_TYPE_MAP :
	    HYCO_TYPE_ARRAY))
		return bad(d, f->type);
	n = f->type == HYCO__DICT ? hyco_map_len(v) : hyco_array_len(v);
	if ((a = new_array(d, n)) == NULL)
		return -1;
	*(void ***)p = a;
	count = (size_t *)(dst + f->aux);
	for (size_t k = 0; k < n; k++) {
		char idx[24];
		size_t old;
		int rc;
		if (f->type == HYCO__DICT) {
			s = hyco_value_str(hyco_map_key(v, k), &len);
			old = push(d, ".", s ? s : "?", s ? len : 1);
			rc = decode_element(d, f, hyco_map_key(v, k),
			    hyco_map_val(v, k), &a[k]);
		} else {
			snprintf(idx, sizeof(idx), "[%zu]", k);
			old = push(d, "", idx, strlen(idx));
			rc = f->type == HYCO__LIST ? decode_element(d, f, NULL,
			    hyco_array_at(v, k), &a[k]) : dup_str(d,
			    hyco_array_at(v, k), (char **)&a[k], HYCO__STR);
		}
		if (rc == -1)
			return -1;
		pop(d, old);
		(*count)++;
	}
	return 0;
}

static int
decode_map(struct decoder *d, const struct hyco__shape *sh,
    const hyco_value *map, char *dst)
{
	for (size_t i = 0; i < sh->nfields; i++) {
		const struct hyco__field *f = &sh->fields[i];
		size_t old;
		if (f->type == HYCO__KEY)
			continue;
		old = push(d, ".", f->key, strlen(f->key));
		if (decode_field(d, f, hyco_map_get(map, f->key), dst) == -1)
			return -1;
		pop(d, old);
	}
	return 0;
}

/*
 * Free what the members of p own whose end lies in (lo, hi]: members
 * wholly within the first lo bytes were handed over to the caller.
 */
static void
free_fields(const struct hyco__shape *sh, char *p, size_t lo, size_t hi)
{
	for (size_t i = 0; i < sh->nfields; i++) {
		const struct hyco__field *f = &sh->fields[i];
		size_t end = f->off + sizeof(void *);
		void **slot = (void **)(p + f->off);
		if (f->type == HYCO__SUB) {
			free_fields(f->sub, p, lo, hi);
			continue;
		}
		if (f->type != HYCO__STR && f->type != HYCO__KEY &&
		    f->type != HYCO__STRS && f->type != HYCO__LIST &&
		    f->type != HYCO__DICT && f->type != HYCO__U64S)
			continue;
		if (end <= lo || end > hi || *slot == NULL)
			continue;
		/* Arrays of pointers: each element first (not U64S). */
		if (f->type != HYCO__STR && f->type != HYCO__KEY &&
		    f->type != HYCO__U64S)
			for (void **e = *slot; *e != NULL; e++) {
				if (f->type != HYCO__STRS)
					free_fields(f->sub, *e, 0, f->sub->size);
				free(*e);
			}
		free(*slot);
		*slot = NULL;
	}
}

void
hyco__free_sized(const struct hyco__shape *sh, void *out, size_t size)
{
	if (out == NULL)
		return;
	free_fields(sh, out, 0, size < sh->size ? size : sh->size);
	memset(out, 0, size);
}

int
hyco__call_sized(hyco_client *c, const char *method, unsigned flags,
    unsigned allowed, const struct hyco_arg *args, size_t nargs,
    const struct hyco__shape *sh, void *out, size_t size)
{
	struct decoder d = { .c = c, .method = method };
	const hyco_value *r;
	size_t n = size < sh->size ? size : sh->size;
	char *tmp;
	int rc;

	if (out == NULL || size < sh->min_size)
		return hyco__fail(c, HYCO_EINVAL, "argument", "%s: no result "
		    "struct, or its size %zu is below %zu", method, size,
		    sh->min_size);
	memset(out, 0, size);
	if ((flags & ~allowed) != 0)
		return hyco__fail(c, HYCO_EINVAL, "argument", "%s: flags 0x%x "
		    "not taken", method, flags & ~allowed);
	if ((rc = hyco_call(c, method, args, nargs, &r)) != HYCO_OK)
		return rc;
	if (hyco_value_type(r) != HYCO_TYPE_MAP)
		return hyco__fail(c, HYCO_EPROTO, "protocol", "%s: the result is "
		    "not a map", method);
	if ((tmp = calloc(1, sh->size)) == NULL)
		return hyco__fail(c, HYCO_ENOMEM, "memory", "out of memory");
	if (decode_map(&d, sh, r, tmp) == -1) {
		free_fields(sh, tmp, 0, sh->size);
		free(tmp);
		return d.status;
	}
	/* The caller's struct may be older and shorter than ours. */
	memcpy(out, tmp, n);
	free_fields(sh, tmp, n, sh->size);
	free(tmp);
	return HYCO_OK;
}
