/*
 * graph.c - Microsoft Graph objects (AZ_PROVIDER_GRAPH): applications and
 * service principals.
 *
 * azapply names Graph objects by their alternate key, the one a manifest
 * can know before the object exists: /applications(uniqueName='u') and
 * /servicePrincipals(appId='a'). Graph upserts by that key: PATCH with
 * `Prefer: create-if-missing` answers 201 with the new object or 204 when
 * it updated one (then the object is read, to call back with it). Deletes
 * only take the object id, so the object is read first to learn it.
 *
 * Right after an application is created, creating its service principal can
 * fail with 400 NoBackingApplicationObject until Entra has replicated the
 * application (azure-notes): that PATCH is retried a bounded number of times.
 */
#include "session/session.h"

#include <stdlib.h>
#include <string.h>

/* Tries of a service principal PATCH while its application replicates:
 * waits of 1, 2, 4, 8, 16 s and then 30 s, a little over a minute. */
#define SP_RETRY_MAX 6
#define SP_RETRY_BASE_MS 1000

/* "{microsoftGraph}/{version}{path}": Graph carries its version in the path. */
static char *graph_url(az_session *s, const az_kind *kind, const char *path)
{
	char *base = az_xasprintf("%s/%s", az_session_cloud(s)->microsoft_graph, kind->api_version);
	char *url = az_url_api(base, path, NULL);
	free(base);
	return url;
}

static void graph_list(az_session *s, const az_kind *kind, const char *collection,
		       az_result_fn cb, void *ud)
{
	char *url = graph_url(s, kind, collection);
	az_session_list(s, url, AZ_SVC_GRAPH, cb, ud);
	free(url);
}

static void graph_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud)
{
	char *url = graph_url(s, kind, id);
	az_session_get(s, url, AZ_SVC_GRAPH, cb, ud);
	free(url);
}

static void graph_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		      const char *etag, az_result_fn cb, void *ud)
{
	bool sp = strcmp(kind->type, "servicePrincipals") == 0;
	char *url = graph_url(s, kind, id);
	az_http_request *r = az_session_request("PATCH", url, AZ_SVC_GRAPH);
	az_http_request_json(r, body);
	az_http_request_header(r, "Prefer", "create-if-missing");
	if (etag)
		az_http_request_header(r, "If-Match", etag);
	/* An upsert of the full desired state by alternate key: sending it
	 * twice leaves the same object, so a lost answer may be retried. */
	r->idempotent = true;
	az_send_options o = {
		.want_body = true,
		.body_key = "id",
		.read_url = url,
		.retry_code = sp ? "NoBackingApplicationObject" : NULL,
		.retry_max = sp ? SP_RETRY_MAX : 0,
		.retry_base_ms = SP_RETRY_BASE_MS,
	};
	az_session_send(s, r, &o, cb, ud);
	free(url);
}

typedef struct remove_op {
	az_session *s;
	const az_kind *kind;
	az_result_fn cb;
	void *ud;
} remove_op;

static void on_read_for_remove(void *ud, int err, json_t *live, az_diags *d)
{
	remove_op *op = ud;
	const char *object_id = json_string_value(json_object_get(live, "id"));
	if (err || !live) {
		op->cb(op->ud, err, NULL, d);
	} else if (!object_id) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "the %s object has no id to delete it by",
			    op->kind->type);
		op->cb(op->ud, AZ_EUPSTREAM, NULL, d);
	} else {
		char *path = az_xasprintf("/%s/%s", op->kind->type, object_id);
		char *url = graph_url(op->s, op->kind, path);
		az_send_options o = {.missing_ok = true};
		az_session_send(op->s, az_session_request("DELETE", url, AZ_SVC_GRAPH), &o, op->cb,
				op->ud);
		free(url);
		free(path);
	}
	json_decref(live);
	free(op);
}

static void graph_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			 void *ud)
{
	remove_op *op = az_xcalloc(1, sizeof(*op));
	op->s = s;
	op->kind = kind;
	op->cb = cb;
	op->ud = ud;
	graph_read(s, kind, id, on_read_for_remove, op);
}

const az_provider az_provider_graph = {
	.abi = AZ_PROVIDER_ABI,
	.id = AZ_PROVIDER_GRAPH,
	.list = graph_list,
	.read = graph_read,
	.put = graph_put,
	.remove = graph_remove,
	.invoke = az_session_no_invoke,
};
