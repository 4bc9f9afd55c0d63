/*
 * config_rpc.h: the config as the `config` method sends it: the
 * resolved tree, the values the daemon uses, its working directory.
 */
#ifndef HYCO_CONFIG_RPC_H
#define HYCO_CONFIG_RPC_H

#include <msgpack.h>

#include "config.h"

/*
 * {"config": tree, "effective": {...}, "cwd": str} into pk: the tree
 * as --print-config prints it, each scalar typed (nil, bool, int,
 * float, str; an int past 64 bits as its decimal text), keys too.
 */
void	config_pack(msgpack_packer *pk, const struct hyco_config *cfg);

#endif
