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

typedef struct remove_op {
	az_session *s;
	const az_kind *kind;
	char *id;
	az_result_fn cb;
	void *ud;
} remove_op;

static bool is_attached(const json_t *live)
{
	const json_t *props = json_object_get(live, "properties");
	const char *type = json_string_value(json_object_get(props, "computeType"));
	if (type && strcmp(type, "SynapseSpark") == 0)
		return true;
	return json_is_true(json_object_get(props, "isAttachedCompute"));
}

static void on_read(void *ud, int err, json_t *live, az_diags *d)
{
	remove_op *op = ud;
	if (err || !live) {
		/* Failed, or already gone: either way nothing to delete. */
		op->cb(op->ud, err, NULL, d);
		goto done;
	}
	char *path = az_xasprintf("%s?underlyingResourceAction=%s", op->id,
				  is_attached(live) ? "Detach" : "Delete");
	char *url = az_arm_url(op->s, op->kind, path);
	az_arm_delete(op->s, op->kind, url, op->cb, op->ud);
	free(url);
	free(path);
done:
	json_decref(live);
	free(op->id);
	free(op);
}

static void mlcompute_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			     void *ud)
{
	remove_op *op = az_xcalloc(1, sizeof(*op));
	op->s = s;
	op->kind = kind;
	op->id = az_xstrdup(id);
	op->cb = cb;
	op->ud = ud;
	char *url = az_arm_url(s, kind, id);
	az_session_get(s, url, AZ_SVC_ARM, on_read, op);
	free(url);
}

const arm_kind_ops az_arm_mlcompute_ops = {
	.kind = "MlCompute",
	.remove = mlcompute_remove,
};
