/*
 * resolve.h - ${ref.Kind.name.path} replaced by what is known of the
 * resource it names (resolve.c).
 *
 * An id and a name are known from the manifests; anything else comes from
 * the live body read by the refresh, unless the resource is about to be
 * (re)created, then from what its manifest sets. What is not known yet
 * stays a ${ref...}: plan shows it as "(known after apply)" and apply
 * resolves again once the resource it names exists. Private to planner/.
 */
#ifndef AZAPPLY_RESOLVE_H
#define AZAPPLY_RESOLVE_H

#include "instance.h"

/* `v` resolved: ${ref...} replaced where the value is known, left as is
 * where it is not; "$${" unescaped in what is fully known. What holds no
 * reference is shared with `v`, not copied (a 10,001-resource plan
 * resolves every spec three times): read it, or copy before changing it,
 * as everything that marks a body does. */
json_t *az_resolve(az_instance *inst, const json_t *v);
/* True when `v` still holds a ${ref...}. */
bool az_json_has_refs(const json_t *v);
/* The string at `key` of a resolved object; NULL when absent, not a
 * string, or still waiting on a ${ref...}. Borrowed. */
const char *az_resolved_str(const json_t *o, const char *key);

#endif
