/*
 * config_yaml.h: the `config` method's tree printed as YAML, for
 * hycoctl config.
 */
#ifndef HYCO_CONFIG_YAML_H
#define HYCO_CONFIG_YAML_H

#include <stdio.h>

#include "hyco.h"

/*
 * The map v (the "config" of a `config` reply) as YAML on out, printed
 * as hycod --print-config prints a tree: each value and key reads back
 * (OmegaConf's loader, PyYAML) as the type it came with. 0, or -1 with
 * a message on stderr.
 */
int	config_yaml_print(FILE *out, const hyco_value *v);

#endif
