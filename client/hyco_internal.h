/*
 * hyco_internal.h: what the files of libhyco share and programs never
 * see. Everything here is hyco__* and hidden from lib/libhyco.so by
 * client/libhyco.map (and localized in lib/libhyco.a).
 */
#ifndef HYCO_INTERNAL_H
#define HYCO_INTERNAL_H

#include <msgpack.h>

#include "hyco.h"

/*
 * A hyco_value is a msgpack_object of the client's last reply: the type
 * is never defined, only these two casts cross between them.
 */
static inline const hyco_value *
hyco__value(const msgpack_object *o)
{
	return (const hyco_value *)o;
}

static inline const msgpack_object *
hyco__object(const hyco_value *v)
{
	return (const msgpack_object *)v;
}

/* Record an error on c and return status. */
int	hyco__fail(hyco_client *c, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* -- reply decoding (decode.c) --------------------------------------------- */

/* How a reply field is stored in its result struct. */
enum hyco__ftype {
	HYCO__U64,	/* uint64_t: an integer >= 0 */
	HYCO__LONG,	/* long: an integer in its range */
	HYCO__DOUBLE,	/* double: any number */
	HYCO__BOOL,	/* int 0/1: a boolean */
	HYCO__STR,	/* char *, malloc'd: a string with no NUL byte */
	HYCO__STRBUF,	/* char[aux]: a string shorter than aux */
	HYCO__KEY,	/* char *: the key under which a DICT holds this element */
	HYCO__STRS,	/* char **, NULL-terminated; count at aux: array of strings */
	HYCO__U64S,	/* uint64_t *, malloc'd; count at aux: array of HYCO__U64 */
	HYCO__LIST,	/* struct sub **, count at aux: array of maps */
	HYCO__DICT,	/* struct sub **, count at aux: map of name to map */
	HYCO__SUB,	/* the fields of sub, in this same struct: a nested map */
	HYCO__OPTDOUBLE, /* double: any number, or nil stored as -1 */
};

struct hyco__shape;

struct hyco__field {
	const char			*key;	/* NULL for HYCO__KEY */
	enum hyco__ftype		 type;
	size_t				 off;	/* of the member */
	size_t				 aux;	/* STRBUF: size; STRS, U64S, LIST, DICT: count's offset */
	const struct hyco__shape	*sub;	/* LIST, DICT, SUB */
};

/* A result struct: its fields, as one reply map fills them. */
struct hyco__shape {
	size_t				 size;	/* sizeof the struct */
	/*
	 * The smallest size a caller may pass: the struct as first
	 * published (the end of its last field then). Never changes.
	 */
	size_t				 min_size;
	const struct hyco__field	*fields;
	size_t				 nfields;
};

/* End of member m of struct type t: a min_size. */
#define HYCO__END(t, m)		(offsetof(t, m) + sizeof(((t *)0)->m))
#define HYCO__NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Call method and decode its result into out, of which the caller's
 * struct has size bytes. flags outside allowed are HYCO_EINVAL. On an
 * error nothing is left allocated and out (if big enough) is zeroed.
 */
int	hyco__call_sized(hyco_client *c, const char *method, unsigned flags,
	    unsigned allowed, const struct hyco_arg *args, size_t nargs,
	    const struct hyco__shape *sh, void *out, size_t size);
/* Free what the fields of out within its first size bytes own; zero it. */
void	hyco__free_sized(const struct hyco__shape *sh, void *out, size_t size);

#endif
