/*
 * perm.h: taking back the access hycod's user needs to a directory a
 * trainer left in the cache tree.
 *
 * Trainers run as their own users in hycod's group; what they create
 * with umask 022 (a nested directory 0755, say) lets the group read it
 * but not write in it, so hycod could neither empty it nor move it
 * into the trash. Rather than override every permission check
 * (CAP_DAC_OVERRIDE, which would also let it read any file on the
 * system), hycod adds rwx for the class it falls in (owner, group or
 * other) to that one directory with chmod, which a non-owner may do
 * only with CAP_FOWNER: under the unit's ProtectSystem=strict that
 * reaches no further than the writable cache tree. Callers try first
 * and grant only after EACCES, so a daemon that has access (root, or
 * the owner) changes no mode.
 */
#ifndef HYCO_PERM_H
#define HYCO_PERM_H

/*
 * Add rwx for this process's class to the directory open as fd (not
 * O_PATH). 0, or -1 when it cannot (without CAP_FOWNER, or the bits
 * were set already, so the refusal came from elsewhere) with errno as
 * it was at the call: the EACCES the caller is answering.
 */
int	perm_grant(int fd);
/*
 * The same for the directory name in dirfd, which this process may not
 * be able to open: reached through an O_PATH descriptor (never
 * following a link) and changed through /proc/self/fd.
 */
int	perm_grant_at(int dirfd, const char *name);

#endif
