/*
 * json.h: a reply value as JSON text, for hycoctl --json.
 *
 * The output is always valid JSON (RFC 8259): NaN and infinities are
 * null; strings are UTF-8 with '"', '\\' and control bytes escaped; a
 * byte that is not part of valid UTF-8 (a file name can hold any) is
 * written \u00XX, the code point of the same number, so distinct names
 * stay distinct and the bytes can be recovered (read each such escape
 * as one byte). Map keys that are not strings become strings of their
 * JSON text.
 */
#ifndef HYCO_JSON_H
#define HYCO_JSON_H

#include <stdio.h>

#include "hyco.h"

/* Print v on out; 0, or -1 if out had a write error. */
int	json_print(FILE *out, const hyco_value *v);

#endif
