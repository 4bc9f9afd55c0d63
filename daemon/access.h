/*
 * access.h: who may call which method (daemon.access), and the audit
 * trail of admin calls.
 *
 * Every method belongs to one class: read (looks), write (a trainer's
 * own cycle directories) or admin (removes what others made, or
 * changes the daemon). Each class lists the users and groups allowed,
 * written as entries:
 *	user:NAME  uid:N  group:NAME  gid:N
 *	socket-group	the group that owns the socket file
 *	daemon-user	the user hycod runs as
 *	any		every peer
 * in a YAML list or one string separated by commas or spaces. Names
 * are resolved when the config is loaded (an unknown one is an error
 * naming file:line), so a class is a list of numbers at run time.
 * A peer passes when its uid is listed, or its primary or a
 * supplementary group is, in the class of the method or a class above
 * it (admin may also write and read, write may read); uid 0 always
 * passes (root can read and remove the tree without asking hycod, so
 * refusing it would only break its scripts).
 *
 * Loop thread only, apart from access_parse (config loading).
 */
#ifndef HYCO_ACCESS_H
#define HYCO_ACCESS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg_tree.h"

#define ACCESS_IDS_MAX		32	/* users, and groups, one class lists */
#define ACCESS_CMDLINE_READ	4096	/* bytes of /proc/PID/cmdline read */
#define ACCESS_CMDLINE_SHOW	256	/* bytes of it an audit line shows */
#define ACCESS_ARGS_SHOW	256	/* bytes of arguments it shows */

enum access_class { ACCESS_READ, ACCESS_WRITE, ACCESS_ADMIN, ACCESS_CLASSES };

/* One class's entries, resolved to numbers. */
struct access_list {
	bool		any;		/* "any" */
	bool		socket_group;	/* "socket-group" */
	bool		daemon_user;	/* "daemon-user" */
	uint32_t	nuids, ngids;
	uid_t		uids[ACCESS_IDS_MAX];
	gid_t		gids[ACCESS_IDS_MAX];
};

/* What daemon.access says, by class: part of struct hyco_config. */
struct access_rules {
	struct access_list	class[ACCESS_CLASSES];
};

/* The daemon's live view: the rules and what their keywords mean. */
struct access {
	struct access_rules	rules;
	uid_t			euid;		/* daemon-user */
	gid_t			socket_gid;	/* socket-group, once known */
	bool			socket_known;
};

struct peer_cred;

/*
 * Parse the entries of n (a scalar or a list of scalars) into out;
 * key names the config key in errors, which go to e as file:line.
 * -1 if any entry is wrong.
 */
int	access_parse(const struct cfg_node *n, const char *key,
	    struct access_list *out, struct cfg_errors *e);

extern const char *const access_class_names[ACCESS_CLASSES];

/*
 * The class of a method by name; -1 for a name the table does not
 * have. Every method of rpc.c's table must have one: hycod refuses to
 * start otherwise (main.c).
 */
int	access_method_class(const char *method, size_t len);
/* The same, but a name without a class is admin: fail closed. */
enum access_class access_class_of(const char *method, size_t len);

/* Start with rules; the socket's group is not known yet. */
void	access_init(struct access *a, const struct access_rules *rules);
/*
 * Replace the rules in one call (a reload re-resolves the names into a
 * fresh struct hyco_config and hands its rules here).
 */
void	access_replace(struct access *a, const struct access_rules *rules);
/* The group that owns the socket file, for socket-group. */
void	access_set_socket_gid(struct access *a, gid_t gid);
/* Whether peer p may call a method of class c (or of a class above). */
bool	access_allowed(const struct access *a, enum access_class c,
	    const struct peer_cred *p);

/*
 * /proc/PID/cmdline as one line: NULs as spaces, bytes outside
 * printable ASCII (and backslash) as \xHH, at most
 * ACCESS_CMDLINE_SHOW bytes of it ("..." when cut); "?" when it cannot
 * be read. out must hold ACCESS_CMDLINE_SHOW * 4 + 8 bytes.
 */
void	access_cmdline(pid_t pid, char *out, size_t size);

/*
 * The audit trail: one info line for an admin call, allowed or not,
 * with the peer's pid, uid, gid, command line and the call's scalar
 * arguments (args may be NULL).
 */
void	access_audit(const char *method, bool allowed,
	    const struct peer_cred *p, const msgpack_object_map *args);

#endif
