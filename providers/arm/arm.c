/*
 * arm.c - the Azure Resource Manager provider (AZ_PROVIDER_ARM).
 *
 * Ids and collections are ARM paths as Azure writes them, so a request is
 * the path under the cloud's resourceManager endpoint with the kind's
 * api-version. Writes follow the long-running operation contract through
 * the HTTP client (201/202, Azure-AsyncOperation, Location or
 * provisioningState) and call back with the final resource as ARM returns
 * it. Kinds with needs of their own are looked up in a small table of
 * arm_kind_ops, each defined in a file named after the kind.
 */
#include "arm/arm.h"

#include <stdlib.h>
#include <string.h>

static const arm_kind_ops *const kind_ops[] = {
	&az_arm_keyvault_ops,
	&az_arm_mlcompute_ops,
	&az_arm_mlworkspace_ops,
	&az_arm_private_endpoint_ops,
	&az_arm_roleassignment_ops,
	&az_arm_spark_pool_ops,
	&az_arm_sql_pool_ops,
	&az_arm_synapse_workspace_ops,
};

static const arm_kind_ops *ops_of(const az_kind *kind)
{
	for (size_t i = 0; i < sizeof(kind_ops) / sizeof(kind_ops[0]); i++)
		if (strcmp(kind_ops[i]->kind, kind->name) == 0)
			return kind_ops[i];
	return NULL;
}

char *az_arm_url(az_session *s, const az_kind *kind, const char *path)
{
	return az_url_api(az_session_cloud(s)->resource_manager, path, kind->api_version);
}

static void arm_list(az_session *s, const az_kind *kind, const char *collection,
		     az_result_fn cb, void *ud)
{
	const arm_kind_ops *ops = ops_of(kind);
	if (ops && ops->list) {
		ops->list(s, kind, collection, cb, ud);
		return;
	}
	char *url = az_arm_url(s, kind, collection);
	az_session_list(s, url, AZ_SVC_ARM, cb, ud);
	free(url);
}

static void arm_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		     void *ud)
{
	const arm_kind_ops *ops = ops_of(kind);
	if (ops && ops->read) {
		ops->read(s, kind, id, cb, ud);
		return;
	}
	char *url = az_arm_url(s, kind, id);
	az_session_get(s, url, AZ_SVC_ARM, cb, ud);
	free(url);
}

/* A PUT whose failure the kind explains further. */
typedef struct explained_put {
	const arm_kind_ops *ops;
	char *id;
	json_t *body;
	az_result_fn cb;
	void *ud;
} explained_put;

static void put_answered(void *ud, int err, json_t *live, az_diags *d)
{
	explained_put *p = ud;
	if (err && d)
		p->ops->explain_put(p->id, p->body, d);
	az_result_fn cb = p->cb;
	void *cb_ud = p->ud;
	free(p->id);
	json_decref(p->body);
	free(p);
	cb(cb_ud, err, live, d);
}

static void arm_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		    const char *etag, az_result_fn cb, void *ud)
{
	const arm_kind_ops *ops = ops_of(kind);
	if (ops && ops->put) {
		ops->put(s, kind, id, body, etag, cb, ud);
		return;
	}
	az_arm_put_plain(s, kind, id, body, etag, cb, ud);
}

void az_arm_put_plain(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		      const char *etag, az_result_fn cb, void *ud)
{
	const arm_kind_ops *ops = ops_of(kind);
	if (ops && ops->explain_put) {
		explained_put *p = az_xmalloc(sizeof(*p));
		*p = (explained_put){ops, az_xstrdup(id), json_deep_copy(body), cb, ud};
		cb = put_answered;
		ud = p;
	}
	char *url = az_arm_url(s, kind, id);
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->create_timeout_s,
		/* A Location poll may end in 200 with no body or an operation
		 * record: then the resource itself is read. */
		.body_key = "id",
		.retry_codes = ops ? ops->retry_codes : NULL,
		.retry_max = ops ? ops->retry_max : 0,
		.retry_base_ms = 2000,
	};
	az_session_write(s, "PUT", url, AZ_SVC_ARM, body, etag, &o, cb, ud);
	free(url);
}

static void arm_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud)
{
	const arm_kind_ops *ops = ops_of(kind);
	if (ops && ops->remove) {
		ops->remove(s, kind, id, cb, ud);
		return;
	}
	char *url = az_arm_url(s, kind, id);
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->delete_timeout_s,
		.missing_ok = true,
		.retry_codes = ops ? ops->retry_codes : NULL,
		.retry_max = ops ? ops->retry_max : 0,
		.retry_base_ms = 2000,
	};
	az_session_send(s, az_session_request("DELETE", url, AZ_SVC_ARM), &o, cb, ud);
	free(url);
}

static void arm_action(az_session *s, const az_kind *kind, const char *id, const char *action,
		       const json_t *body, az_result_fn cb, void *ud)
{
	char *path = az_xasprintf("%s/%s", id, action);
	char *url = az_arm_url(s, kind, path);
	/* A lease answers at once; repeating an Acquire whose answer was lost
	 * would meet our own lease (409), so it is not retried as idempotent. */
	az_send_options o = {.lro = false};
	az_session_write(s, "POST", url, AZ_SVC_ARM, body, NULL, &o, cb, ud);
	free(url);
	free(path);
}

const az_provider az_provider_arm = {
	.abi = AZ_PROVIDER_ABI,
	.id = AZ_PROVIDER_ARM,
	.list = arm_list,
	.read = arm_read,
	.put = arm_put,
	.remove = arm_remove,
	.invoke = az_session_no_invoke,
	.action = arm_action,
};
