/*
 * desired.c - the body azapply sends for a resource, built from its
 * resolved spec (desired.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "desired.h"
#include "resolve.h"
#include "roles.h"

/* Fields of `spec` that say where a resource lives, not what it is. */
static bool is_scope_field(const az_kind *k, const char *key)
{
	return strcmp(key, "resourceGroup") == 0 || strcmp(key, "subscription") == 0 ||
	       strcmp(key, "name") == 0 || strcmp(key, "specFile") == 0 ||
	       (k->parent_field && strcmp(key, k->parent_field) == 0) ||
	       /* An ArmResource's type, api-version and scope choose its kind. */
	       (k->generic && (strcmp(key, "type") == 0 || strcmp(key, "apiVersion") == 0 ||
			       strcmp(key, "scope") == 0));
}

json_t *az_desired(az_instance *inst, size_t i, az_diags *d)
{
	az_node *n = &inst->nodes[i];
	const az_kind *k = n->res->kind;
	json_t *spec = az_resolve(inst, json_object_get(n->res->manifest->body, "spec"));
	json_t *body = json_object();
	if (strcmp(k->name, "RoleAssignment") == 0) {
		json_t *props = json_object();
		const char *sub = az_resolved_str(spec, "subscription") ? az_resolved_str(spec, "subscription") : inst->name.subscription;
		char *role = az_arm_role_definition(json_string_value(json_object_get(spec, "role")), sub);
		if (role)
			json_object_set_new(props, "roleDefinitionId", json_string(role));
		free(role);
		const char *copy[] = {"principalId", "principalType", "description", "condition",
				      "conditionVersion"};
		for (size_t j = 0; j < sizeof(copy) / sizeof(copy[0]); j++) {
			json_t *v = json_object_get(spec, copy[j]);
			if (v)
				json_object_set(props, copy[j], v);
		}
		json_object_set_new(body, "properties", props);
	} else if (strcmp(k->name, "SynapseRoleAssignment") == 0) {
		const char *role = json_string_value(json_object_get(spec, "role"));
		const char *role_id = az_synapse_role_guid(role);
		if (role_id)
			json_object_set_new(body, "roleId", json_string(role_id));
		json_object_set(body, "principalId", json_object_get(spec, "principalId"));
		if (json_object_get(spec, "principalType"))
			json_object_set(body, "principalType", json_object_get(spec, "principalType"));
		const char *ws = NULL;
		az_node *pn = az_instance_node(inst, n, "SynapseWorkspace", az_resolved_str(spec, "workspace") ? az_resolved_str(spec, "workspace") : "");
		ws = pn ? pn->res->azure_name : NULL;
		if (ws) {
			char *scope = az_xasprintf("workspaces/%s", ws);
			json_object_set_new(body, "scope", json_string(scope));
			free(scope);
		}
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(spec, key, v) {
			if (!is_scope_field(k, key) && !(strcmp(k->name, "ServicePrincipal") == 0 &&
							 strcmp(key, "application") == 0))
				json_object_set(body, key, v);
		}
		if (strcmp(k->name, "EntraApplication") == 0 && n->res->azure_name &&
		    !json_object_get(body, "uniqueName"))
			json_object_set_new(body, "uniqueName", json_string(n->res->azure_name));
		if (strcmp(k->name, "ServicePrincipal") == 0 && !json_object_get(body, "appId")) {
			const char *app_ref = az_resolved_str(spec, "application");
			az_node *an = app_ref ? az_instance_node(inst, n, "EntraApplication", app_ref) : NULL;
			if (an && an->live && !an->will_change && json_object_get(an->live, "appId"))
				json_object_set(body, "appId", json_object_get(an->live, "appId"));
			else if (app_ref)
				json_object_set_new(body, "appId",
						    json_sprintf("${ref.EntraApplication.%s.appId}", app_ref));
		}
	}
	(void)d;
	json_decref(spec);
	return body;
}

