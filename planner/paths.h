/*
 * paths.h - dotted paths into JSON bodies (paths.c): "properties.identity.
 * principalId", array elements by index ("properties.rules.0").
 *
 * The same notation as the diff's paths and the kinds' read-only and
 * force-new lists, so a path printed in a plan finds its value here.
 * Private to planner/.
 */
#ifndef AZAPPLY_PATHS_H
#define AZAPPLY_PATHS_H

#include <jansson.h>

/* The value at a dotted path; NULL when absent. Borrowed. */
const json_t *az_json_at(const json_t *root, const char *path);
/* Removes the value at a dotted path, if there is one. */
void az_json_remove_at(json_t *root, const char *path);

#endif
