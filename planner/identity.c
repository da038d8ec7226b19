/*
 * identity.c - each resource's Azure id and the collection that lists it,
 * derived from the manifests (identity.h says why ids are never stored).
 *
 * A role assignment's name must be a GUID (azure-notes.md); azapply
 * derives it as a name-based UUID of scope, role and principal, so a
 * re-run finds the same one and two stacks granting the same role to the
 * same principal meet in one assignment instead of a 409.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "identity.h"
#include "resolve.h"
#include "roles.h"

/* UUID v5 namespace of role assignment names azapply derives. */
static const char ROLE_ASSIGNMENT_NAMESPACE[] = "5c7e1d2a-9b3f-5e4d-8a6c-0f1e2d3c4b5a";

/* Fills {placeholders} of a kind template. NULL when one is unknown. */
static char *fill_template(const char *tmpl, const char *const *keys, const char *const *values,
			   size_t n)
{
	az_buf b = AZ_BUF_INIT;
	for (const char *p = tmpl; *p;) {
		if (*p != '{') {
			az_buf_putc(&b, *p++);
			continue;
		}
		const char *end = strchr(p, '}');
		size_t klen = (size_t)(end - p - 1);
		const char *value = NULL;
		for (size_t i = 0; i < n; i++)
			if (strlen(keys[i]) == klen && strncmp(keys[i], p + 1, klen) == 0)
				value = values[i];
		if (!value || strstr(value, "${")) {
			az_buf_free(&b);
			return NULL;
		}
		az_buf_puts(&b, value);
		p = end + 1;
	}
	return az_buf_detach(&b);
}

/* The name-based UUID of what an assignment grants. */
static char *assignment_guid(const char *scope, const char *role, const char *principal)
{
	uuid_t ns, out;
	uuid_parse(ROLE_ASSIGNMENT_NAMESPACE, ns);
	char *name = az_xasprintf("%s|%s|%s", scope, role, principal);
	char *lower = az_lowercase(name);
	uuid_generate_sha1(out, ns, lower, strlen(lower));
	free(name);
	free(lower);
	char text[37];
	uuid_unparse_lower(out, text);
	return az_xstrdup(text);
}

static void compute_node(az_instance *inst, az_node *n, az_diags *d)
{
	const az_kind *k = n->res->kind;
	json_t *spec = az_resolve(inst, json_object_get(n->res->manifest->body, "spec"));
	const char *sub = az_resolved_str(spec, "subscription") ? az_resolved_str(spec, "subscription") : inst->name.subscription;
	const char *rg = az_resolved_str(spec, "resourceGroup");
	const char *parent = NULL, *scope = NULL, *app = NULL;
	char *guid = NULL;
	if (k->scope == AZ_SCOPE_PARENT) {
		const char *p = az_resolved_str(spec, k->parent_field);
		if (p && p[0] == '/') {
			parent = p;
		} else if (p && k->parent_kind) {
			az_node *pn = az_instance_node(inst, n, k->parent_kind, p);
			parent = pn ? pn->id : NULL;
		}
	}
	if (k->generic && k->scope == AZ_SCOPE_ANY) {
		scope = az_resolved_str(spec, "scope");
	} else if (strcmp(k->name, "RoleAssignment") == 0) {
		scope = az_resolved_str(spec, "scope");
		char *role = az_arm_role_definition(az_resolved_str(spec, "role"), sub ? sub : "");
		const char *principal = az_resolved_str(spec, "principalId");
		if (!role && az_resolved_str(spec, "role"))
			az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(n->res->manifest->map, "/spec/role"),
				    n->res->address, "unknown role '%s'", az_resolved_str(spec, "role"));
		if (scope && role && principal)
			guid = assignment_guid(scope, az_role_definition_guid(role), principal);
		free(role);
	} else if (strcmp(k->name, "SynapseRoleAssignment") == 0) {
		const char *role = az_resolved_str(spec, "role");
		const char *role_id = az_synapse_role_guid(role);
		const char *principal = az_resolved_str(spec, "principalId");
		if (!role_id && role)
			az_diag_add(d, AZ_SEV_ERROR, az_srcmap_get(n->res->manifest->map, "/spec/role"),
				    n->res->address, "unknown Synapse role '%s'", role);
		if (parent && role_id && principal)
			guid = assignment_guid(parent, role_id, principal);
	} else if (strcmp(k->name, "ServicePrincipal") == 0) {
		app = az_resolved_str(spec, "appId");
		const char *app_ref = az_resolved_str(spec, "application");
		if (!app && app_ref) {
			az_node *an = az_instance_node(inst, n, "EntraApplication", app_ref);
			if (an && an->live && !an->will_change)
				app = json_string_value(json_object_get(an->live, "appId"));
		}
	}
	/* An application is upserted by its uniqueName (azure-notes): the
	 * manifest's own when it sets one, else its name. */
	const char *name = n->res->azure_name;
	if (strcmp(k->name, "EntraApplication") == 0 && az_resolved_str(spec, "uniqueName"))
		name = az_resolved_str(spec, "uniqueName");
	const char *keys[] = {"subscription", "resourceGroup", "name", "parent", "scope", "guid", "appId"};
	const char *values[] = {sub, rg, name, parent, scope, guid, app};
	free(n->id);
	n->id = fill_template(k->id_template, keys, values, 7);
	/* A type without a list operation (ArmResource singletons) is read by id. */
	if (!n->collection && k->provider != AZ_PROVIDER_GRAPH && k->list_path) {
		char *c = fill_template(k->list_path, keys, values, 7);
		if (c && strcmp(k->name, "RoleAssignment") == 0) {
			/* Only the assignments at this scope, not those inherited. */
			char *with = az_xasprintf("%s?$filter=atScope()", c);
			free(c);
			c = with;
		}
		n->collection = c ? az_instance_collection(inst, c) : NULL;
	}
	free(guid);
	json_decref(spec);
}

void az_identity_compute(az_instance *inst, size_t i, az_diags *d)
{
	az_node *n = &inst->nodes[i];
	if (n->res->kind && n->res->address)
		compute_node(inst, n, d);
}

void az_identity_compute_all(az_instance *inst, az_diags *d)
{
	size_t *order = NULL;
	if (az_stack_order(inst->stack, &order) != 0)
		return;
	for (size_t i = 0; i < inst->len; i++) {
		az_node *n = &inst->nodes[order[i]];
		if (n->res->kind && n->res->address)
			compute_node(inst, n, d);
	}
	free(order);
}

char *az_identity_collection_under(const az_kind *kind, const char *parent_id)
{
	const char *keys[] = {"parent"};
	const char *values[] = {parent_id};
	return fill_template(kind->list_path, keys, values, 1);
}

char *az_identity_workspace_of(const char *id)
{
	static const char segment[] = "/providers/microsoft.synapse/workspaces/";
	char *lower = az_lowercase(id);
	char *at = strstr(lower, segment);
	char *end = at ? strchr(at + sizeof(segment) - 1, '/') : NULL;
	if (!end) {
		free(lower);
		return NULL;
	}
	*end = '\0';
	return lower;
}
