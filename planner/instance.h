/*
 * instance.h - one stack instance while it is planned and applied
 * (instance.c): for every resource of the stack its Azure id, the body to
 * send and the body read, and what the refresh found beside them.
 *
 * The stages after the stack fill it in turn: identity derives the ids
 * (identity.h), refresh reads the live bodies (refresh.h), desired builds
 * the bodies to send (desired.h); plan_build.c compares them and apply.c
 * continues from the same instance. Private to planner/.
 */
#ifndef AZAPPLY_INSTANCE_H
#define AZAPPLY_INSTANCE_H

#include <azapply/planner.h>

#include "marker.h"

typedef enum az_node_state {
	AZ_NODE_PENDING,  /* not read yet */
	AZ_NODE_ABSENT,   /* read: does not exist */
	AZ_NODE_PRESENT,  /* read: exists (live holds it) */
} az_node_state;

/* One resource of the instance. */
typedef struct az_node {
	const az_resource *res;  /* NULL for an orphan (in Azure, not in the manifests) */
	const az_kind *kind;
	char *id;             /* NULL while it depends on unknown values */
	const char *collection; /* what to list to find it; NULL = read by id;
				 * shared (az_instance_collection) */
	json_t *desired;      /* body to send, refs resolved as far as known */
	json_t *live;         /* as read */
	az_node_state state;
	bool will_change;     /* create or replace: server-filled values unknown */
	az_marker_info marker;
} az_node;

typedef struct az_instance {
	az_stack *stack;
	az_session *session;  /* NULL for offline use (tests) */
	az_node *nodes;       /* parallel to stack->resources */
	size_t len;
	az_instance_name name;
	json_t *lists;        /* collection (lowercased) -> array of live items */
	json_t *list_kinds;   /* collection (lowercased) -> kind name, "*" = by ARM type */
	az_node *orphans;     /* carry this instance's marker, no manifest declares them */
	size_t orphans_len;
	json_t *unmanaged;    /* [{kind, id, live}] in listed collections, unmarked */
	json_t *legacy;       /* ids marked by this stack without an environment,
			       * declared by no manifest: left alone */
	size_t awaited;       /* of those, Resource Manager's wave's, unanswered */
	size_t awaited_by_data_planes; /* of those, the ones the data planes' wave consults */
	/* The data planes' wave while the refresh reads (refresh.c): which
	 * workspace waits on what before its lists go out. */
	struct az_data_plane_wave *wave;
	/* Workspace id (lower case) -> address of the SynapseFirewallRule this
	 * plan creates on it: its data plane may refuse the refresh for now. */
	json_t *unopened;
	/* The same, for those whose data plane did refuse: what lives there
	 * is not read, and is planned on the next run (az_refresh_closed). */
	json_t *closed;
	/* Workspace id (lower case) -> index of its node, for the workspaces
	 * whose data plane holds nothing the plan declares: listed only to
	 * prune, and not pruned when their firewall refuses this address. */
	json_t *prune_only;
	/* Workspace ids (lower case) whose firewall refusal has been reported:
	 * one error says what to fix, not one per collection listed there. */
	json_t *refusals_said;
	/* Collection -> the one copy of its string the nodes listed there
	 * share: a workspace's hundred notebooks have one collection. */
	json_t *collections;
} az_instance;

/* The instance of `stack` (its environment chosen) in the subscription the
 * project sets for it; an error when none is set. */
int az_instance_init(az_instance *inst, az_stack *stack, az_session *s, az_diags *d);
void az_instance_free(az_instance *inst);
/* The instance's copy of `collection`, which it keeps until it is freed;
 * takes `collection`. */
const char *az_instance_collection(az_instance *inst, char *collection);

/* The node `from` names as Kind/name (a parent, an application): inside a
 * component instance the instance's own first, else the stack's. `from`
 * may be NULL. NULL when there is none. */
az_node *az_instance_node(az_instance *inst, const az_node *from, const char *kind,
                          const char *name);
/* The node at `address` exactly, or NULL. */
az_node *az_instance_node_at(az_instance *inst, const char *address);

#endif
