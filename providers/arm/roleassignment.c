/*
 * roleassignment.c - ARM role assignments (RoleAssignment).
 *
 * A principal created seconds ago is not yet known to the authorization
 * service: the PUT answers 400 PrincipalNotFound until replication catches
 * up (azure-notes, "Role assignments"). Setting principalType avoids most of
 * it; what remains is retried a bounded number of times, with the waits
 * doubling, so a principal that really does not exist still fails within a
 * minute or two.
 */
#include "arm/arm.h"

static const char *const principal_not_found[] = {"PrincipalNotFound", NULL};

const arm_kind_ops az_arm_roleassignment_ops = {
	.kind = "RoleAssignment",
	.retry_codes = principal_not_found,
	.retry_max = 6,
};
