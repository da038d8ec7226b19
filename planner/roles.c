/*
 * roles.c - from the role names users write to role ids, and what to say
 * when a name is not a built-in role.
 *
 * The tables are data (roles_builtin.c, generated from
 * planner/roles/builtin-roles.json); this file only searches them.
 * identity.c, desired.c and refresh.c resolve names into the ids Azure
 * takes and lists; stack.c asks
 * az_role_problem at validate, so `role: Contributer` fails offline at its
 * own line with a hint instead of at plan.
 */
#include <azapply/planner.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "roles.h"

static int by_name(const void *key, const void *entry)
{
	return strcmp(key, ((const az_role *)entry)->name);
}

const az_role *az_role_find(const az_role_table *t, const char *name)
{
	const az_role *r = bsearch(name, t->roles, t->len, sizeof(*t->roles), by_name);
	if (r)
		return r;
	for (size_t i = 0; i < t->len; i++)
		if (strcasecmp(t->roles[i].name, name) == 0)
			return &t->roles[i];
	return NULL;
}

const char *az_role_suggest(const az_role_table *t, const char *name)
{
	const char **names = az_xcalloc(t->len, sizeof(*names));
	for (size_t i = 0; i < t->len; i++)
		names[i] = t->roles[i].name;
	const char *hint = az_suggest(name, names, t->len);
	free(names);
	return hint;
}

/* 8-4-4-4-12 hex digits, either case, as uuid_parse takes them. */
static bool is_guid(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

bool az_role_is_name(const char *role, bool arm)
{
	if (strstr(role, "${"))
		return false;
	/* ARM takes a full roleDefinitionId (a custom role's among them); the
	 * Synapse data plane takes only the GUID. */
	if (arm && role[0] == '/')
		return false;
	return !is_guid(role);
}

char *az_role_problem(const az_role_table *t, const az_role_table *other, const char *role,
		      char **fix)
{
	bool arm = t == &az_arm_roles;
	*fix = NULL;
	const az_role *r = az_role_find(t, role);
	if (r && r->id)
		return NULL;
	if (r) {
		*fix = az_xasprintf("give its id instead (a GUID): `%s` shows it",
				    arm ? "az role definition list" : "az synapse role definition list");
		return az_xasprintf("%s role '%s' has no id azapply knows", t->what, r->name);
	}
	const az_role *elsewhere = az_role_find(other, role);
	if (elsewhere) {
		*fix = az_xasprintf("grant it with a %s instead", arm ? "SynapseRoleAssignment"
								      : "RoleAssignment");
		return az_xasprintf("'%s' is %s %s role, not %s %s role", role,
				    arm ? "a" : "an", other->what, arm ? "an" : "a", t->what);
	}
	const char *hint = az_role_suggest(t, role);
	az_buf b = AZ_BUF_INIT;
	if (hint)
		az_buf_printf(&b, "did you mean '%s'?", hint);
	if (arm) {
		az_buf_printf(&b, "%sa custom role is given by its id: "
				  "/subscriptions/.../roleDefinitions/GUID or the GUID", hint ? "\n" : "");
	} else if (!hint) {
		/* Synapse RBAC has no custom roles: the list is short and complete. */
		az_buf_puts(&b, "Synapse roles:");
		for (size_t i = 0; i < t->len; i++)
			az_buf_printf(&b, "%s %s", i ? "," : "", t->roles[i].name);
	}
	*fix = b.data;
	return az_xasprintf("unknown %srole '%s'", arm ? "" : "Synapse ", role);
}

const char *az_arm_role_id(const char *name)
{
	const az_role *r = az_role_find(&az_arm_roles, name);
	return r ? r->id : NULL;
}

const char *az_synapse_role_id(const char *name)
{
	const az_role *r = az_role_find(&az_synapse_roles, name);
	return r ? r->id : NULL;
}

char *az_arm_role_definition(const char *role, const char *subscription)
{
	if (!role)
		return NULL;
	if (role[0] == '/')
		return az_xstrdup(role);
	const char *guid = is_guid(role) ? role : az_arm_role_id(role);
	if (!guid)
		return NULL;
	return az_xasprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s",
			    subscription, guid);
}

const char *az_role_definition_guid(const char *role_definition_id)
{
	const char *slash = strrchr(role_definition_id, '/');
	return slash ? slash + 1 : role_definition_id;
}

const char *az_synapse_role_guid(const char *role)
{
	if (!role)
		return NULL;
	return is_guid(role) ? role : az_synapse_role_id(role);
}
