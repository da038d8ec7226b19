/*
 * arm_resource.c - an ArmResource manifest's envelope: the type, its
 * api-version and where the resource lives, checked before anything is
 * asked of Azure, and the kind made for them (providers/kinds).
 *
 * Where it lives decides the id: a resource group for a top-level type
 * (Namespace/type), a parent resource's id for a child type
 * (Namespace/type/child), any resource's id for an extension resource
 * (diagnostic settings, locks): {scope}/providers/Namespace/type/name.
 */
#include <stdlib.h>
#include <string.h>

#include "arm_resource.h"

static const char *spec_string(const json_t *spec, const char *key)
{
	return json_string_value(json_object_get(spec, key));
}

/* A value the planner can only know later cannot choose a kind. */
static bool known_now(const az_manifest *m, const char *pointer, const char *value, az_diags *d)
{
	if (!strstr(value, "${"))
		return true;
	az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, pointer), m->address,
				 "%s must be known before plan; '%s' is known only later",
				 pointer + 6, value);
	az_diag_set_detail(x, "write the value itself, or a ${var...} of this environment");
	return false;
}

const az_kind *az_arm_resource_kind(const az_manifest *m, const az_kind *table_kind,
				    az_diags *d)
{
	const json_t *spec = json_object_get(m->body, "spec");
	const char *type = spec_string(spec, "type");
	const char *version = spec_string(spec, "apiVersion");
	if (!type || !version)
		return table_kind; /* the schema said which is missing */
	bool ok = known_now(m, "/spec/type", type, d) && known_now(m, "/spec/apiVersion", version, d);
	if (!ok)
		return table_kind;
	int depth = az_arm_type_depth(type);
	if (!depth) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/type"), m->address,
					 "'%s' is not an ARM resource type", type);
		az_diag_set_detail(x, "write Namespace/type, or Namespace/type/child for a child "
				      "type, e.g. Microsoft.Network/privateDnsZones or "
				      "Microsoft.Synapse/workspaces/administrators");
		ok = false;
	}
	if (!az_arm_api_version_valid(version)) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec/apiVersion"),
					 m->address, "'%s' is not an api-version", version);
		az_diag_set_detail(x, "write a date the type's REST spec lists, YYYY-MM-DD with an "
				      "optional suffix, e.g. 2023-01-31 or 2021-05-01-preview");
		ok = false;
	}
	static const char *const places[] = {"resourceGroup", "parent", "scope"};
	const char *place = NULL;
	for (size_t i = 0; i < sizeof(places) / sizeof(*places); i++) {
		if (!json_object_get(spec, places[i]))
			continue;
		if (place) {
			az_diag *x = az_diag_add(d, AZ_SEV_ERROR,
						 az_manifest_pos(m, i == 2 ? "/spec/scope" : "/spec/parent"),
						 m->address, "both spec.%s and spec.%s say where it lives",
						 place, places[i]);
			az_diag_set_detail(x, "keep one: resourceGroup for a top-level type, parent "
					      "(an id or ${ref...}) for a child type, scope for an "
					      "extension resource");
			return table_kind;
		}
		place = places[i];
	}
	if (!place) {
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, "/spec"), m->address,
					 "where '%s' lives is not given", type);
		az_diag_set_detail(x, depth > 1 ? "add spec.parent: the parent's id or "
						  "${ref.Kind.name.id}"
						: "add spec.resourceGroup, or spec.scope (an id or "
						  "${ref.Kind.name.id}) for an extension resource");
		return table_kind;
	}
	if (!ok)
		return table_kind;
	bool child = strcmp(place, "parent") == 0;
	if (child != (depth > 1)) {
		char *pointer = az_xasprintf("/spec/%s", place);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, pointer), m->address,
					 child ? "'%s' is a top-level type; it has no parent"
					       : "'%s' is a child type; it lives under a parent",
					 type);
		if (child)
			az_diag_set_detail(x, "replace spec.parent by spec.resourceGroup, or by "
					      "spec.scope for an extension resource");
		else
			az_diag_set_detail(x, "replace spec.%s by spec.parent: the id of its "
					      "parent (e.g. ${ref.SynapseWorkspace.synapse.id})", place);
		free(pointer);
		return table_kind;
	}
	const char *parent = spec_string(spec, place);
	if (strcmp(place, "resourceGroup") != 0 && parent && parent[0] != '/' &&
	    !strstr(parent, "${")) {
		char *pointer = az_xasprintf("/spec/%s", place);
		az_diag *x = az_diag_add(d, AZ_SEV_ERROR, az_manifest_pos(m, pointer), m->address,
					 "spec.%s '%s' is not an Azure id", place, parent);
		az_diag_set_detail(x, "write the id (/subscriptions/...) or ${ref.Kind.name.id}");
		free(pointer);
		return table_kind;
	}
	az_scope scope = child ? AZ_SCOPE_PARENT
			 : strcmp(place, "scope") == 0 ? AZ_SCOPE_ANY
						       : AZ_SCOPE_RESOURCE_GROUP;
	return az_kind_arm(type, version, scope, json_object_get(spec, "location") != NULL);
}
