/*
 * export.h - a live Synapse workspace's artifacts as Synapse Studio's git
 * folder holds them (export.c), the way a team adopts azapply on a
 * workspace it already has: export, point a SynapseArtifacts manifest at
 * the folder, plan.
 */
#ifndef AZAPPLY_EXPORT_H
#define AZAPPLY_EXPORT_H

#include <azapply/planner.h>

/* Lists every artifact of the kinds azapply manages in `workspace` (an
 * address "SynapseWorkspace/x", the metadata.name or Azure name of a
 * SynapseWorkspace of the stack, or a workspace's Azure id) and returns
 * them in *files_out: relative path ("pipeline/nightly.json") -> the
 * file's JSON ({"name", "properties"}), azapply's markers and the fields
 * Azure fills in left out, strings written so the loader reads them back
 * as they are. Values Azure never returns (a SecureString's) are warnings
 * naming the artifact and the path. The caller frees *files_out. */
int az_export_synapse(json_t **files_out, az_stack *stack, az_session *session,
                      const char *workspace, az_diags *d);

#endif
