/*
 * mlcompute.c - Azure ML computes (MlCompute): delete or detach.
 *
 * DELETE of a compute requires underlyingResourceAction=Delete|Detach
 * (azure-notes: "ML computes: delete needs underlyingResourceAction"). An
 * attached compute, such as a Synapse Spark pool attached with computeType
 * SynapseSpark, must be detached: Delete would ask Azure ML to destroy a
 * resource it does not own. The planner passes only the id, so the compute
 * is read first to learn which one it is.
 */
#include "arm/arm.h"

#include <stdlib.h>
#include <string.h>

static bool is_attached(const json_t *live)
{
	const json_t *props = json_object_get(live, "properties");
	const char *type = json_string_value(json_object_get(props, "computeType"));
	if (type && strcmp(type, "SynapseSpark") == 0)
		return true;
	return json_is_true(json_object_get(props, "isAttachedCompute"));
}

static char *delete_url(az_session *s, const az_kind *kind, const json_t *live, az_diags *d)
{
	const char *id = json_string_value(json_object_get(live, "id"));
	if (!id) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "the compute has no id to delete it by");
		return NULL;
	}
	char *path = az_xasprintf("%s?underlyingResourceAction=%s", id,
				  is_attached(live) ? "Detach" : "Delete");
	char *url = az_arm_url(s, kind, path);
	free(path);
	return url;
}

static void mlcompute_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			     void *ud)
{
	char *url = az_arm_url(s, kind, id);
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->delete_timeout_s,
	};
	az_session_remove_found(s, kind, url, AZ_SVC_ARM, delete_url, &o, cb, ud);
	free(url);
}

const arm_kind_ops az_arm_mlcompute_ops = {
	.kind = "MlCompute",
	.remove = mlcompute_remove,
};
