/*
 * registry.c - which provider serves which az_provider_id.
 *
 * The planner knows providers only through this lookup and the vtables it
 * returns; each vtable lives with its provider (arm/, synapse/, graph/).
 */
#include "session/session.h"

#include <stddef.h>

const az_provider *az_provider_get(az_provider_id id)
{
	switch (id) {
	case AZ_PROVIDER_ARM: return &az_provider_arm;
	case AZ_PROVIDER_SYNAPSE: return &az_provider_synapse;
	case AZ_PROVIDER_SYNAPSE_RBAC: return &az_provider_synapse_rbac;
	case AZ_PROVIDER_GRAPH: return &az_provider_graph;
	}
	return NULL;
}
