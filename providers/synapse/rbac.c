/*
 * rbac.c - Synapse RBAC role assignments (AZ_PROVIDER_SYNAPSE_RBAC).
 *
 * Synapse has its own role system on the data plane, separate from ARM's:
 * PUT /roleAssignments/{id} with {roleId, principalId, scope,
 * principalType}, GET and DELETE by id, and a list paged by the
 * x-ms-continuation header rather than a nextLink (azure-notes). The scope
 * of a workspace-wide assignment is "workspaces/{ws}": when the body has no
 * scope, the workspace of the id is the scope.
 */
#include "synapse/synapse.h"

#include <stdlib.h>
#include <string.h>

static void rbac_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		     const char *etag, az_result_fn cb, void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
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
	az_session_write(s, "PUT", url, AZ_SVC_SYNAPSE, sent, etag, &o, cb, ud);
	json_decref(sent);
	free(url);
}

const az_provider az_provider_synapse_rbac = {
	.abi = AZ_PROVIDER_ABI,
	.id = AZ_PROVIDER_SYNAPSE_RBAC,
	.list = az_synapse_list,
	.read = az_synapse_read,
	.put = rbac_put,
	.remove = az_synapse_remove,
	.invoke = az_session_no_invoke,
};
