/*
 * activation.h: the listening socket systemd passes (socket activation,
 * sd_listen_fds(3)), so that trainers that connect before hycod is up
 * wait in the kernel's backlog instead of being refused.
 */
#ifndef HYCO_ACTIVATION_H
#define HYCO_ACTIVATION_H

#include <stddef.h>

/*
 * The socket passed in $LISTEN_FDS (for this process: $LISTEN_PID),
 * checked with sd_is_socket_unix(3) to be a Unix stream socket in the
 * listening state; its bound path into path (empty if unnamed). The
 * variables are taken out of the environment so children do not see
 * them. Returns the descriptor, 0 when none was passed (bind as usual),
 * -1 when what was passed cannot be used: not exactly one descriptor,
 * or not a listening Unix stream socket (logged).
 */
int	activation_socket(char *path, size_t size);

#endif
