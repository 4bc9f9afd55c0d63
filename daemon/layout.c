/* layout.c: cache tree names and paths (no I/O). */
#include "layout.h"

#include <stdio.h>
#include <string.h>

const char *const layout_kind_names[KIND_COUNT] = { "synthetic", "physical" };
const char *const layout_category_names[CAT_COUNT] = {
	"tensors", "generated", "eval"
};

bool
layout_valid_dataset(const char *name, size_t len, const char **why)
{
	if (len == 0) {
		*why = "dataset name is empty";
		return false;
	}
	if (len > HYCO_DATASET_MAX) {
		*why = "dataset name is longer than 255 bytes";
		return false;
	}
	if (name[0] == '.') {
		/* Also covers "." and "..". */
		*why = "dataset name starts with '.'";
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '/') {
			*why = "dataset name contains '/'";
			return false;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "dataset name contains a NUL or control byte";
			return false;
		}
	}
	return true;
}

int
layout_parse_kind(const char *s, size_t len, bool allow_all)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (strlen(layout_kind_names[k]) == len &&
		    memcmp(s, layout_kind_names[k], len) == 0)
			return k;
	if (allow_all && len == 3 && memcmp(s, "all", 3) == 0)
		return KIND_ALL;
	return -1;
}

int
layout_cycle_name(char *buf, size_t size, long cycle)
{
	char digits[24];
	size_t n = 0;

	if (cycle < 0 || cycle > HYCO_CYCLE_MAX)
		return -1;
	/* "cycle_%03ld" by hand: get-cycle-dir formats it per request. */
	do {
		digits[n++] = (char)('0' + cycle % 10);
		cycle /= 10;
	} while (cycle > 0);
	while (n < 3)
		digits[n++] = '0';
	if (6 + n >= size)
		return -1;
	memcpy(buf, "cycle_", 6);
	for (size_t i = 0; i < n; i++)
		buf[6 + i] = digits[n - 1 - i];
	buf[6 + n] = '\0';
	return 0;
}

int
layout_parse_cycle(const char *name, long *cycle)
{
	char canon[32];
	long v = 0;
	const char *p;

	if (strncmp(name, "cycle_", 6) != 0)
		return -1;
	p = name + 6;
	if (*p == '\0' || strlen(p) > 6)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	/* cycle_7 and cycle_0042 are not names the daemon would make. */
	if (layout_cycle_name(canon, sizeof(canon), v) == -1 ||
	    strcmp(canon, name) != 0)
		return -1;
	*cycle = v;
	return 0;
}

int
layout_cycle_dir(const struct layout *l, enum kind kind, long cycle,
    const char *dataset, char *buf, size_t size)
{
	const char *parts[3] = { l->pred_root[kind], NULL, dataset };
	char cname[32];
	size_t n = 0;

	if (layout_cycle_name(cname, sizeof(cname), cycle) == -1)
		return -1;
	parts[1] = cname;
	/* "%s/%s/%s" by hand, as the name above. */
	for (int i = 0; i < 3 && parts[i] != NULL; i++) {
		size_t len = strlen(parts[i]);
		if (n + (i > 0) + len >= size)
			return -1;
		if (i > 0)
			buf[n++] = '/';
		memcpy(buf + n, parts[i], len);
		n += len;
	}
	buf[n] = '\0';
	return 0;
}

int
layout_absolute(const char *cwd, const char *path, char *out, size_t size)
{
	char tmp[PATH_MAX * 2];
	size_t o = 0;
	int n;

	if (path[0] == '/')
		n = snprintf(tmp, sizeof(tmp), "%s", path);
	else
		n = snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= sizeof(tmp) || size < 2)
		return -1;

	/* Walk components, keeping a stack in out itself. */
	const char *p = tmp;
	out[0] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
			continue;
		}
		if (o + 1 + len + 1 > size)
			return -1;
		out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
		out[o] = '\0';
	}
	if (o == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
}

bool
layout_is_inside(const char *root, const char *path)
{
	size_t rl = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(root, path, rl) == 0 && path[rl] == '/' &&
	    path[rl + 1] != '\0';
}
