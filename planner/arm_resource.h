/*
 * arm_resource.h - the envelope of an ArmResource manifest (any ARM type):
 * checked offline, and turned into the kind made for it.
 */
#ifndef AZAPPLY_PLANNER_ARM_RESOURCE_H
#define AZAPPLY_PLANNER_ARM_RESOURCE_H

#include <azapply/manifest.h>

/* Checks spec.type, spec.apiVersion and where the resource lives
 * (exactly one of resourceGroup, parent, scope, matching the type's
 * depth), each problem at its file:line:col with the fix, and returns the
 * kind made for the manifest (az_kind_arm), or `table_kind` (the table's
 * ArmResource entry) when the envelope is wrong. */
const az_kind *az_arm_resource_kind(const az_manifest *m, const az_kind *table_kind,
				    az_diags *d);

#endif
