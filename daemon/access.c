/* access.c: method classes, daemon.access entries, checks and audit. */
#include "access.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <msgpack.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

#define NSS_BUF_MAX	(1 << 20)	/* getpwnam_r's buffer, at most */
#define ENTRY_MAX	256		/* bytes in one entry, name included */

const char *const access_class_names[ACCESS_CLASSES] = {
	"read", "write", "admin",
};

/*
 * Every method by name, those of later versions too (a method that is
 * not served yet is simply never looked up): a method added to rpc.c
 * gets its row here, or hycod refuses to start.
 */
static const struct {
	const char		*method;
	enum access_class	 class;
} methods[] = {
	{ "ping", ACCESS_READ },
	{ "summary", ACCESS_READ },
	{ "disk-check", ACCESS_READ },
	{ "config", ACCESS_READ },
	{ "metrics", ACCESS_READ },
	{ "stats", ACCESS_READ },
	{ "subscribe", ACCESS_READ },
	{ "unsubscribe", ACCESS_READ },
	{ "get-cycle-dir", ACCESS_WRITE },
	{ "cleanup-cycle", ACCESS_WRITE },
	{ "cleanup-generated", ACCESS_ADMIN },
	{ "clean", ACCESS_ADMIN },
	{ "prune", ACCESS_ADMIN },
	{ "reload", ACCESS_ADMIN },
};

int
access_method_class(const char *method, size_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i].method) == len &&
		    memcmp(methods[i].method, method, len) == 0)
			return (int)methods[i].class;
	return -1;
}

enum access_class
access_class_of(const char *method, size_t len)
{
	int c = access_method_class(method, len);

	return c < 0 ? ACCESS_ADMIN : (enum access_class)c;
}

/* -- parsing ------------------------------------------------------------ */

/* A decimal id, not (uid_t)-1 (which means "none" to the kernel). */
static int
parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* getpwnam_r or getgrnam_r's buffer: grown on ERANGE, to a limit. */
static int
lookup(const char *name, bool group, uint32_t *id)
{
	long hint = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 16384;
	char *buf = NULL;
	int r;

	for (;;) {
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;
		char *p = realloc(buf, size);
		if (p == NULL) {
			r = ENOMEM;
			break;
		}
		buf = p;
		if (group) {
			r = getgrnam_r(name, &gr, buf, size, &grp);
			if (r == 0 && grp != NULL)
				*id = grp->gr_gid;
			else if (r == 0)
				r = ENOENT;
		} else {
			r = getpwnam_r(name, &pw, buf, size, &pwp);
			if (r == 0 && pwp != NULL)
				*id = pwp->pw_uid;
			else if (r == 0)
				r = ENOENT;
		}
		if (r != ERANGE || size >= NSS_BUF_MAX)
			break;
		size *= 2;
	}
	free(buf);
	return r;
}

static const char entries_doc[] = "user:NAME, uid:N, group:NAME, gid:N, "
    "socket-group, daemon-user or any";

static void
add_id(const struct cfg_node *n, const char *key, uint32_t *count,
    uint32_t *ids, uint32_t id, const char *what, struct cfg_errors *e)
{
	for (uint32_t i = 0; i < *count; i++)
		if (ids[i] == id)
			return;
	if (*count == ACCESS_IDS_MAX) {
		cfg_errorf(e, n->file, n->line, "%s: more than %d %ss", key,
		    ACCESS_IDS_MAX, what);
		return;
	}
	ids[(*count)++] = id;
}

static void
parse_entry(const struct cfg_node *n, const char *key, const char *tok,
    struct access_list *out, struct cfg_errors *e)
{
	static const struct {
		const char	*prefix;
		bool		 group, numeric;
	} kinds[] = {
		{ "user:", false, false }, { "uid:", false, true },
		{ "group:", true, false }, { "gid:", true, true },
	};
	uint32_t id;
	int r;

	if (strcmp(tok, "any") == 0) {
		out->any = true;
		return;
	}
	if (strcmp(tok, "socket-group") == 0) {
		out->socket_group = true;
		return;
	}
	if (strcmp(tok, "daemon-user") == 0) {
		out->daemon_user = true;
		return;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t plen = strlen(kinds[i].prefix);
		const char *v = tok + plen;
		const char *what = kinds[i].group ? "group" : "user";
		if (strncmp(tok, kinds[i].prefix, plen) != 0)
			continue;
		if (kinds[i].numeric && parse_id(v, &id) == -1) {
			cfg_errorf(e, n->file, n->line, "%s: '%s': %s must be a "
			    "number from 0 to %u", key, tok, kinds[i].prefix,
			    UINT32_MAX - 1);
			return;
		}
		if (!kinds[i].numeric && v[0] == '\0') {
			cfg_errorf(e, n->file, n->line, "%s: '%s': a %s name "
			    "is missing", key, tok, what);
			return;
		}
		if (!kinds[i].numeric &&
		    (r = lookup(v, kinds[i].group, &id)) != 0) {
			if (r == ENOENT)
				cfg_errorf(e, n->file, n->line, "%s: unknown %s "
				    "'%s'", key, what, v);
			else
				cfg_errorf(e, n->file, n->line, "%s: cannot look "
				    "up %s '%s': %s", key, what, v, strerror(r));
			return;
		}
		if (kinds[i].group)
			add_id(n, key, &out->ngids, out->gids, id, what, e);
		else
			add_id(n, key, &out->nuids, out->uids, id, what, e);
		return;
	}
	cfg_errorf(e, n->file, n->line, "%s: '%s': expected %s", key, tok,
	    entries_doc);
}

/* One scalar: entries separated by commas or blanks. */
static void
parse_scalar(const struct cfg_node *n, const char *key,
    struct access_list *out, struct cfg_errors *e)
{
	const char *p = n->value;

	if (p == NULL) {
		cfg_errorf(e, n->file, n->line, "%s: expected %s, got null",
		    key, entries_doc);
		return;
	}
	while (*p != '\0') {
		char tok[ENTRY_MAX];
		size_t len = strcspn(p, ", \t\n");
		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(tok)) {
			cfg_errorf(e, n->file, n->line, "%s: an entry of %zu "
			    "bytes; the limit is %zu", key, len,
			    sizeof(tok) - 1);
			return;
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		parse_entry(n, key, tok, out, e);
		p += len;
	}
}

int
access_parse(const struct cfg_node *n, const char *key,
    struct access_list *out, struct cfg_errors *e)
{
	int errors = e->count;

	memset(out, 0, sizeof(*out));
	if (n->type == CFG_SCALAR)
		parse_scalar(n, key, out, e);
	else if (n->type == CFG_SEQ)
		for (const struct cfg_node *i = n->child; i != NULL;
		    i = i->next) {
			if (i->type != CFG_SCALAR)
				cfg_errorf(e, i->file, i->line, "%s: expected "
				    "%s, got a %s", key, entries_doc,
				    i->type == CFG_MAP ? "mapping" : "list");
			else
				parse_scalar(i, key, out, e);
		}
	else
		cfg_errorf(e, n->file, n->line, "%s: expected a list of %s, "
		    "got a mapping", key, entries_doc);
	return e->count > errors ? -1 : 0;
}

/* -- checks ------------------------------------------------------------- */

void
access_init(struct access *a, const struct access_rules *rules)
{
	memset(a, 0, sizeof(*a));
	a->euid = geteuid();
	a->rules = *rules;
}

void
access_replace(struct access *a, const struct access_rules *rules)
{
	a->rules = *rules;
}

void
access_set_socket_gid(struct access *a, gid_t gid)
{
	a->socket_gid = gid;
	a->socket_known = true;
}

static bool
in_group(const struct peer_cred *p, gid_t g)
{
	if (p->gid == g)
		return true;
	for (uint32_t i = 0; i < p->ngroups; i++)
		if (p->groups[i] == g)
			return true;
	return false;
}

/* Whether the list of one class names peer p. */
static bool
listed(const struct access *a, const struct access_list *l,
    const struct peer_cred *p)
{
	if (l->any)
		return true;
	if (!p->known)
		return false;
	if (p->uid == 0 || (l->daemon_user && p->uid == a->euid))
		return true;
	for (uint32_t i = 0; i < l->nuids; i++)
		if (l->uids[i] == p->uid)
			return true;
	for (uint32_t i = 0; i < l->ngids; i++)
		if (in_group(p, l->gids[i]))
			return true;
	return l->socket_group && a->socket_known && in_group(p, a->socket_gid);
}

bool
access_allowed(const struct access *a, enum access_class c,
    const struct peer_cred *p)
{
	/* A class includes those below it: admin may write, write read. */
	for (int k = c; k < ACCESS_CLASSES; k++)
		if (listed(a, &a->rules.class[k], p))
			return true;
	return false;
}

/* -- audit -------------------------------------------------------------- */

/*
 * Append s (len bytes) to out at at, escaped: NUL as space when
 * nul_space, bytes outside printable ASCII, backslash and quote as
 * \xHH. Stops at limit bytes of output with "..." (out has room for
 * limit + 8). Returns the new length.
 */
static size_t
escape(char *out, size_t at, size_t limit, const char *s, size_t len,
    bool nul_space)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char piece[5];
		size_t n;
		if (ch == '\0' && nul_space)
			ch = ' ';
		if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '\'') {
			piece[0] = (char)ch;
			n = 1;
		} else
			n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", ch);
		if (at + n + 3 > limit) {
			if (at + 3 <= limit) {
				memcpy(out + at, "...", 3);
				at += 3;
			}
			break;
		}
		memcpy(out + at, piece, n);
		at += n;
	}
	out[at] = '\0';
	return at;
}

void
access_cmdline(pid_t pid, char *out, size_t size)
{
	char path[64], buf[ACCESS_CMDLINE_READ];
	size_t limit = size - 1 < ACCESS_CMDLINE_SHOW ? size - 1 :
	    ACCESS_CMDLINE_SHOW;
	ssize_t n = -1;
	int fd;

	snprintf(out, size, "?");
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return;
	/* The arguments end with a NUL each: no trailing space. */
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	escape(out, 0, limit, buf, (size_t)n, true);
}

/* The call's scalar arguments, as name=value, for the audit line. */
static void
format_args(const msgpack_object_map *args, char *out, size_t size)
{
	size_t at = 0, limit = size - 1 < ACCESS_ARGS_SHOW ? size - 1 :
	    ACCESS_ARGS_SHOW;

	out[0] = '\0';
	for (uint32_t i = 0; args != NULL && i < args->size; i++) {
		const msgpack_object *k = &args->ptr[i].key;
		const msgpack_object *v = &args->ptr[i].val;
		char num[64];
		if (at + 8 > limit)
			break;
		if (at > 0)
			out[at++] = ' ';
		if (k->type == MSGPACK_OBJECT_STR)
			at = escape(out, at, limit, k->via.str.ptr,
			    k->via.str.size, false);
		out[at++] = '=';
		switch (v->type) {
		case MSGPACK_OBJECT_STR:
			out[at++] = '\'';
			at = escape(out, at, limit - 1, v->via.str.ptr,
			    v->via.str.size, false);
			out[at++] = '\'';
			out[at] = '\0';
			continue;
		case MSGPACK_OBJECT_BOOLEAN:
			snprintf(num, sizeof(num), "%s",
			    v->via.boolean ? "true" : "false");
			break;
		case MSGPACK_OBJECT_POSITIVE_INTEGER:
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)v->via.u64);
			break;
		case MSGPACK_OBJECT_NEGATIVE_INTEGER:
			snprintf(num, sizeof(num), "%lld",
			    (long long)v->via.i64);
			break;
		case MSGPACK_OBJECT_FLOAT32:
		case MSGPACK_OBJECT_FLOAT64:
			snprintf(num, sizeof(num), "%g", v->via.f64);
			break;
		case MSGPACK_OBJECT_NIL:
			snprintf(num, sizeof(num), "nil");
			break;
		default:
			snprintf(num, sizeof(num), "(%s)",
			    v->type == MSGPACK_OBJECT_ARRAY ? "list" :
			    v->type == MSGPACK_OBJECT_MAP ? "map" : "bytes");
			break;
		}
		at = escape(out, at, limit, num, strlen(num), false);
	}
}

void
access_audit(const char *method, bool allowed, const struct peer_cred *p,
    const msgpack_object_map *args)
{
	char cmd[ACCESS_CMDLINE_SHOW + 8], a[ACCESS_ARGS_SHOW + 8];

	if (!p->known) {
		log_info("audit: %s %s: peer unknown (no SO_PEERCRED)", method,
		    allowed ? "allowed" : "refused");
		return;
	}
	access_cmdline(p->pid, cmd, sizeof(cmd));
	format_args(args, a, sizeof(a));
	log_info("audit: %s %s: pid %d uid %u gid %u cmd '%s'%s%s", method,
	    allowed ? "allowed" : "refused", (int)p->pid, (unsigned)p->uid,
	    (unsigned)p->gid, cmd, a[0] ? " args " : "", a);
}
