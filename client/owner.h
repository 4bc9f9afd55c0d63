/*
 * owner.h: whether the hycod that hycoctl reaches is the one that owns
 * the cache tree of hycoctl's config (daemon/lock.h).
 */
#ifndef HYCO_OWNER_H
#define HYCO_OWNER_H

#include "hyco.h"

/*
 * Ask the daemon on sock (through c) for its cache root and compare it
 * with cache_root, the config's. 0 when it is the same tree (or the
 * daemon cannot say), else an exit status, with a message on stderr
 * naming the pid and socket of the daemon that owns cache_root: 1 for
 * another daemon's socket, 3 when nothing answers on sock.
 */
int	owner_check(hyco_client *c, const char *sock, const char *cache_root);

#endif
