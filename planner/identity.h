/*
 * identity.h - where each resource lives in Azure (identity.c): its id and
 * the collection to list to find it.
 *
 * Ids are derived, never stored: the kind's id template filled with the
 * subscription, the resource group, the parent's id, the scope, or for role
 * assignments a name-based UUID of what they grant, so a re-run finds the
 * same one. Private to planner/.
 */
#ifndef AZAPPLY_IDENTITY_H
#define AZAPPLY_IDENTITY_H

#include "instance.h"

/* Computes ids and collections for every node whose scope is known, in
 * dependency order (a child's id needs its parent's). */
void az_identity_compute_all(az_instance *inst, az_diags *d);
/* Computes one node's id again (its references may be known by now). */
void az_identity_compute(az_instance *inst, size_t i, az_diags *d);
/* The collection of `kind` under the resource `parent_id` (the Spark pools
 * of a workspace, the containers of an account). */
char *az_identity_collection_under(const az_kind *kind, const char *parent_id);
/* The workspace part of a Synapse resource's id (".../workspaces/NAME"),
 * lower case; NULL when the id names no workspace. */
char *az_identity_workspace_of(const char *id);

#endif
