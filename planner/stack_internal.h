/*
 * stack_internal.h - what stack.c and graph.c share and nobody else needs.
 */
#ifndef AZAPPLY_STACK_INTERNAL_H
#define AZAPPLY_STACK_INTERNAL_H

#include <azapply/planner.h>

/* Position of `pointer` in a manifest (nearest ancestor that has one). */
const az_pos *az_stack_pos(const az_manifest *m, const char *pointer);

/* Resolves dependsOn, parents, ${ref...} expressions and Synapse artifact
 * references into edges, builds the address index and reports cycles. */
void az_stack_link(az_stack *st, az_diags *d);
void az_stack_index_free(struct az_stack_index *index);

#endif
