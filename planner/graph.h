/*
 * graph.h - the stack's edges (graph.c): what stack.c asks of the graph
 * once every manifest is a resource. The public half (az_stack_find,
 * az_stack_order) is in azapply/planner.h.
 */
#ifndef AZAPPLY_GRAPH_H
#define AZAPPLY_GRAPH_H

#include <azapply/planner.h>

/* Resolves dependsOn, parents, ${ref...} expressions and Synapse artifact
 * references into edges, builds the address index and reports cycles. */
void az_stack_link(az_stack *st, az_diags *d);
void az_stack_index_free(struct az_stack_index *index);

#endif
