/*
 * refresh.h - reading the live state of a stack instance (refresh.c).
 *
 * As few requests as Azure allows: each collection once (all Spark pools of
 * a workspace, all role assignments at a scope), every page, all at once on
 * the session's loop; Synapse collections in a second wave, once it is
 * known which workspaces exist (their data-plane host only answers for a
 * workspace that does). A list that could not be read completely fails the
 * refresh: it never reads as an empty collection. The one refusal that is
 * not a failure: a workspace's data plane refusing this address while the
 * firewall rule that admits it is still to be created by this very plan
 * (a run stopped between the two). What lives there is then "not read",
 * which is neither present nor absent. Private to planner/.
 */
#ifndef AZAPPLY_REFRESH_H
#define AZAPPLY_REFRESH_H

#include <azapply/plan.h>

#include "instance.h"

typedef struct az_refresh_options {
	bool prune;         /* also list where this instance's orphans can be */
	/* The plan creates what is missing (neither refresh-only nor destroy):
	 * a workspace whose declared firewall rule it creates may refuse its
	 * data plane until then, and that is not an error (az_refresh_closed). */
	bool creates;
	const bool *wanted; /* --target: the resources planned; NULL = all */
} az_refresh_options;

/* Reads the live state of every node. AZ_EUPSTREAM when a read failed. */
int az_refresh(az_instance *inst, const az_refresh_options *o, az_diags *d);
/* Whether node `n` lives in a workspace whose data plane refused the
 * refresh until the firewall rule this plan creates lets it in; `rule`
 * gets that rule's address. Such a node was not read: neither present
 * nor absent. */
bool az_refresh_closed(const az_instance *inst, const az_node *n, const char **rule);
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
