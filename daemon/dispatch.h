/*
 * dispatch.h: msgpack-RPC methods. Decodes each message the server
 * frames, validates arguments, answers cheap methods at once and runs
 * filesystem work (mkdir, removal, walks, statvfs) on libuv's thread
 * pool so the loop never blocks.
 */
#ifndef HYCO_DISPATCH_H
#define HYCO_DISPATCH_H

#include "hycod.h"

extern const struct server_ops dispatch_ops;	/* ctx is struct hycod */

#endif
