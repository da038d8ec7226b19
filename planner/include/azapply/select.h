/*
 * select.h - choosing resources by their labels (`--selector key=value`,
 * metadata.labels), as Kubernetes' label selectors do: every selector
 * must match (AND). What is chosen is planned like --target: the chosen
 * resources and what they depend on.
 */
#ifndef AZAPPLY_SELECT_H
#define AZAPPLY_SELECT_H

#include <azapply/planner.h>

/* The addresses (borrowed from the stack) of the resources whose labels
 * match every selector ("key=value"), in stack order; *out is an array
 * the caller frees. AZ_EINVALID, with a diagnostic saying what to write
 * (a malformed selector, a key no resource has with the nearest one, a
 * value no resource has with the values there are, selectors that match
 * nothing together). */
int az_stack_select(const char ***out, size_t *len, const az_stack *stack,
		    const char *const *selectors, size_t selectors_len, az_diags *d);

#endif
