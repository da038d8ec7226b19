/*
 * roles.h - the built-in roles a `role:` name may stand for (private to
 * planner/).
 *
 * A RoleAssignment names an Azure (ARM) role definition and a
 * SynapseRoleAssignment a Synapse RBAC role, by name ("Contributor",
 * "Synapse Administrator") or by id. The names are data, generated into
 * roles_builtin.c from planner/roles/builtin-roles.json, so validate can
 * resolve them offline and say "did you mean" for a typo.
 */
#ifndef AZAPPLY_ROLES_H
#define AZAPPLY_ROLES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct az_role {
	const char *name;
	const char *id; /* NULL: a built-in role whose id azapply does not know */
} az_role;

typedef struct az_role_table {
	const char *what;     /* "Azure" or "Synapse", for messages */
	const az_role *roles; /* sorted by name, byte order */
	size_t len;
} az_role_table;

/* roles_builtin.c (generated). */
extern const az_role_table az_arm_roles, az_synapse_roles;

/* The role called `name`: the exact name first, then ignoring case (Azure
 * itself matches role names case-insensitively). NULL when there is none. */
const az_role *az_role_find(const az_role_table *t, const char *name);

/* The closest role name of `t` to a misspelt `name`, or NULL. */
const char *az_role_suggest(const az_role_table *t, const char *name);

/* True when `role` is a name to look up: not a GUID, not (for ARM) a full
 * roleDefinitionId, not a ${...} expression. */
bool az_role_is_name(const char *role, bool arm);

/* NULL when `role`, a name, resolves in `t`; otherwise the error to report
 * and in *fix what to do about it, both owned by the caller. `other` is the
 * other table, for a role given to the wrong kind of assignment. */
char *az_role_problem(const az_role_table *t, const az_role_table *other, const char *role,
		      char **fix);

/* Role names users write ("Contributor", "Synapse Administrator") to ids. */
const char *az_arm_role_id(const char *name);
const char *az_synapse_role_id(const char *name);

/* A `role:` of a RoleAssignment (a name, a GUID or a full
 * roleDefinitionId) as the roleDefinitionId ARM takes, in `subscription`;
 * NULL for an unknown name. */
char *az_arm_role_definition(const char *role, const char *subscription);
/* The GUID at the end of a roleDefinitionId (the id itself when it is one). */
const char *az_role_definition_guid(const char *role_definition_id);
/* A `role:` of a SynapseRoleAssignment (a name or a GUID) as the role id
 * the Synapse data plane takes; NULL for an unknown name or no role. */
const char *az_synapse_role_guid(const char *role);

#endif
