/*
 * arm_resource.h - what kinds.c needs of the ArmResource kinds made in
 * arm_resource.c.
 */
#ifndef AZAPPLY_ARM_RESOURCE_H
#define AZAPPLY_ARM_RESOURCE_H

#include <azapply/provider.h>

/* The ArmResource kind made under `key` (az_kind_key), or NULL. */
const az_kind *az_kind_arm_find_key(const char *key);

#endif
