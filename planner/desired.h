/*
 * desired.h - the body azapply sends for a resource (desired.c): the
 * manifest's spec resolved, without the fields that only say where it
 * lives, in the shape its API takes (a role assignment's
 * roleDefinitionId, a service principal's appId).
 * Private to planner/.
 */
#ifndef AZAPPLY_DESIRED_H
#define AZAPPLY_DESIRED_H

#include "instance.h"

/* The body to send for node `i`, resolved as far as known, without marker
 * (plan_build.c writes it). */
json_t *az_desired(az_instance *inst, size_t i, az_diags *d);

#endif
