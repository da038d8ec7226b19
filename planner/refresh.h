/*
 * refresh.h - reading the live state of a stack instance (refresh.c).
 *
 * As few requests as Azure allows: each collection once (all Spark pools of
 * a workspace, all role assignments at a scope), every page, all at once on
 * the session's loop; Synapse collections in a second wave, once it is
 * known which workspaces exist (their data-plane host only answers for a
 * workspace that does). A list that could not be read completely fails the
 * refresh: it never reads as an empty collection. Private to planner/.
 */
#ifndef AZAPPLY_REFRESH_H
#define AZAPPLY_REFRESH_H

#include <azapply/plan.h>

#include "instance.h"

/* Reads the live state of every node; with `prune`, also the collections
 * where this instance's orphans can be. AZ_EUPSTREAM when a read failed. */
int az_refresh(az_instance *inst, bool prune, az_diags *d);
/* Finds a node's live item in its listed collection. */
void az_refresh_match(az_instance *inst, az_node *n);
/* Collects the orphans (this instance's marker, no manifest) and what is
 * unmanaged or legacy from everything the refresh listed. */
void az_refresh_find_orphans(az_instance *inst);
/* Appends a node for a listed item no manifest declares, taking `marker`;
 * returns its index among the orphans (a plan item's resource is
 * inst->len + that index). */
size_t az_refresh_add_orphan(az_instance *inst, const az_kind *kind, const char *id,
			     const json_t *live, az_marker_info *marker);
/* The node of a plan item that deletes an orphan. */
az_node *az_refresh_orphan(az_instance *inst, const az_plan_item *it);

#endif
