/*
 * graph.c - Microsoft Graph objects (AZ_PROVIDER_GRAPH): applications,
 * service principals and applications' federated identity credentials.
 *
 * azapply names Graph objects by their alternate key, the one a manifest
 * can know before the object exists: /applications(uniqueName='u') and
 * /servicePrincipals(appId='a'). Graph upserts by that key: PATCH with
 * `Prefer: create-if-missing` answers 201 with the new object or 204 when
 * it updated one (then the object is read, to call back with it). Deletes
 * only take the object id, so the object is read first to learn it.
 *
 * A federated identity credential is named in its application's URL by its
 * name: read and deleted at .../federatedIdentityCredentials/{name} (Graph
 * takes the name in place of the id) and upserted the same way at
 * .../federatedIdentityCredentials(name='{name}').
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

/* Right after an application is created (azure-notes). */
static const char *const no_backing_application[] = {"NoBackingApplicationObject", NULL};

static bool is_credential(const az_kind *kind)
{
	return strcmp(kind->type, "federatedIdentityCredentials") == 0;
}

/* ".../federatedIdentityCredentials/n" -> ".../federatedIdentityCredentials(name='n')":
 * the upsert only takes the name as a key, not as a path segment. */
static char *credential_upsert_path(const char *id)
{
	const char *slash = strrchr(id, '/');
	if (!slash)
		return az_xstrdup(id);
	return az_xasprintf("%.*s(name='%s')", (int)(slash - id), id, slash + 1);
}

static void graph_put(az_session *s, const az_kind *kind, const char *id, const json_t *body,
		      const char *etag, az_result_fn cb, void *ud)
{
	bool sp = strcmp(kind->type, "servicePrincipals") == 0;
	char *path = is_credential(kind) ? credential_upsert_path(id) : az_xstrdup(id);
	char *url = graph_url(s, kind, path);
	free(path);
	/* After a 204, read back where the documented GET is: by name. */
	char *read_url = is_credential(kind) ? graph_url(s, kind, id) : NULL;
	az_send_options o = {
		.body_key = "id",
		.prefer = "create-if-missing",
		/* An upsert of the full desired state by alternate key: sending
		 * it twice leaves the same object, so a lost answer may be
		 * retried. */
		.idempotent = true,
		.retry_codes = sp ? no_backing_application : NULL,
		.retry_max = sp ? SP_RETRY_MAX : 0,
		.retry_base_ms = SP_RETRY_BASE_MS,
		.read_url = read_url,
	};
	az_session_write(s, "PATCH", url, AZ_SVC_GRAPH, body, etag, &o, cb, ud);
	free(read_url);
	free(url);
}

static char *delete_url(az_session *s, const az_kind *kind, const json_t *live, az_diags *d)
{
	const char *object_id = json_string_value(json_object_get(live, "id"));
	if (!object_id) {
		az_diag_add(d, AZ_SEV_ERROR, NULL, NULL, "the %s object has no id to delete it by",
			    kind->type);
		return NULL;
	}
	char *path = az_xasprintf("/%s/%s", kind->type, object_id);
	char *url = graph_url(s, kind, path);
	free(path);
	return url;
}

static void graph_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
			 void *ud)
{
	char *url = graph_url(s, kind, id);
	if (is_credential(kind)) {
		/* Its name is a key DELETE takes: no read for an object id. */
		az_send_options o = {.missing_ok = true};
		az_session_send(s, az_session_request("DELETE", url, AZ_SVC_GRAPH), &o, cb, ud);
		free(url);
		return;
	}
	az_send_options o = {0};
	az_session_remove_found(s, kind, url, AZ_SVC_GRAPH, delete_url, &o, cb, ud);
	free(url);
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
