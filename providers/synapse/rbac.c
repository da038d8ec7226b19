/*
 * rbac.c - Synapse RBAC role assignments (AZ_PROVIDER_SYNAPSE_RBAC).
 *
 * Synapse has its own role system on the data plane, separate from ARM's:
 * PUT /roleAssignments/{id} with {roleId, principalId, scope,
 * principalType}, GET and DELETE by id, and a list paged by the
 * x-ms-continuation header rather than a nextLink (azure-notes). The scope
 * of a workspace-wide assignment is "workspaces/{ws}": when the body has no
 * scope, the workspace of the id is the scope.
 *
 * Answers name the role differently from requests: a RoleAssignmentDetails
 * carries `roleDefinitionId` where the request had `roleId`
 * (roleAssignments.json). Every answer gets `roleId` as well, so what was
 * read compares with what a manifest sends instead of planning a
 * replacement after every apply.
 */
#include "synapse/synapse.h"

#include <stdlib.h>
#include <string.h>

typedef struct rbac_call {
	az_result_fn cb;
	void *ud;
} rbac_call;

static void add_role_id(json_t *assignment)
{
	json_t *role = json_object_get(assignment, "roleDefinitionId");
	if (json_is_object(assignment) && role && !json_object_get(assignment, "roleId"))
		json_object_set(assignment, "roleId", role);
}

static void answered(void *ud, int err, json_t *live, az_diags *d)
{
	rbac_call c = *(rbac_call *)ud;
	free(ud);
	size_t i;
	json_t *item;
	if (json_is_array(live))
		json_array_foreach(live, i, item) add_role_id(item);
	else
		add_role_id(live);
	c.cb(c.ud, err, live, d);
}

static rbac_call *wrap(az_result_fn cb, void *ud)
{
	rbac_call *c = az_xmalloc(sizeof(*c));
	*c = (rbac_call){cb, ud};
	return c;
}

static void rbac_list(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		      void *ud)
{
	az_synapse_list(s, kind, collection, answered, wrap(cb, ud));
}

static void rbac_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		      void *ud)
{
	az_synapse_read(s, kind, id, answered, wrap(cb, ud));
}

static void rbac_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		     const char *etag, az_result_fn cb, void *ud)
{
	rbac_call *c = wrap(cb, ud);
	char *url = az_synapse_url(s, kind, id, NULL, answered, c);
	if (!url)
		return;
	json_t *sent = json_deep_copy(body);
	if (!json_object_get(sent, "scope")) {
		char *ws = NULL;
		const char *rest;
		az_diags ignored = AZ_DIAGS_INIT;
		/* az_synapse_url accepted the id, so it splits. */
		if (az_synapse_split(&ws, &rest, id, &ignored) == 0) {
			char *scope = az_xasprintf("workspaces/%s", ws);
			json_object_set_new(sent, "scope", json_string(scope));
			free(scope);
		}
		free(ws);
		az_diags_clear(&ignored);
	}
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->create_timeout_s,
		.body_key = "principalId",
	};
	az_synapse_send(s, kind, id, az_session_request("PUT", url, AZ_SVC_SYNAPSE), &o, sent, etag,
			answered, c);
	json_decref(sent);
	free(url);
}

const az_provider az_provider_synapse_rbac = {
	.abi = AZ_PROVIDER_ABI,
	.id = AZ_PROVIDER_SYNAPSE_RBAC,
	.list = rbac_list,
	.read = rbac_read,
	.put = rbac_put,
	.remove = az_synapse_remove,
	.invoke = az_session_no_invoke,
};
