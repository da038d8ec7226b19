/*
 * plane.c - from an id under a workspace's ARM id to the Synapse data plane,
 * and the requests the artifact and RBAC providers make alike (list, read,
 * delete).
 *
 * The workspace name is the segment after "/workspaces/" (ARM matches path
 * segment names case-insensitively, and ids come back in varied case); the
 * endpoint comes from the cloud ({workspace}.dev.azuresynapse.net, or the
 * emulator's {workspace}.dev.localhost).
 */
#include "synapse/synapse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WS_SEGMENT "/workspaces/"

int az_synapse_split(char **ws, const char **rest, const char *id, az_diags *d)
{
	size_t n = strlen(WS_SEGMENT);
	const char *at = NULL;
	for (const char *p = id; *p; p++) {
		if (strncasecmp(p, WS_SEGMENT, n) == 0) {
			at = p + n;
			break;
		}
	}
	size_t len = at ? strcspn(at, "/?") : 0;
	if (!len) {
		az_diag *diag = az_diag_add(d, AZ_SEV_ERROR, NULL, NULL,
					    "'%s' is not under a Synapse workspace", id);
		az_diag_set_detail(diag, "expected the workspace's ARM id followed by the "
					 "collection, e.g. .../workspaces/ws1/pipelines/p1");
		return AZ_EINVALID;
	}
	*ws = az_xstrndup(at, len);
	*rest = at + len;
	return 0;
}

char *az_synapse_url(az_session *s, const az_kind *kind, const char *id, const char *suffix,
		     az_result_fn cb, void *ud)
{
	az_diags d = AZ_DIAGS_INIT;
	char *ws = NULL;
	const char *rest = NULL;
	int error = az_synapse_split(&ws, &rest, id, &d);
	if (error) {
		az_session_fail(s, error, &d, cb, ud);
		return NULL;
	}
	char *endpoint = az_cloud_synapse_endpoint(az_session_cloud(s), ws);
	char *path = az_xasprintf("%s%s", rest, suffix ? suffix : "");
	const char *v = kind->api_version ? kind->api_version : AZ_SYNAPSE_API_VERSION;
	char *url = az_url_api(endpoint, path, v);
	free(path);
	free(endpoint);
	free(ws);
	return url;
}

/* A workspace makes two linked services of its own when it is created,
 * {ws}-WorkspaceDefaultSqlServer and {ws}-WorkspaceDefaultStorage (recorded
 * sessions). They belong to the workspace, go with it and cannot be removed
 * on their own, so they are not artifacts anyone manages: a list leaves them
 * out, and deleting a workspace is not refused because of them. */
static bool workspace_default(const json_t *item)
{
	static const char *const suffixes[] = {"-WorkspaceDefaultSqlServer",
					       "-WorkspaceDefaultStorage"};
	const char *name = json_string_value(json_object_get(item, "name"));
	size_t n = name ? strlen(name) : 0;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t m = strlen(suffixes[i]);
		if (n > m && !strcasecmp(name + n - m, suffixes[i]))
			return true;
	}
	return false;
}

typedef struct list_op {
	az_result_fn cb;
	void *ud;
} list_op;

static void on_linked_services(void *ud, int err, json_t *values, az_diags *d)
{
	list_op *op = ud;
	for (size_t i = json_array_size(values); i-- > 0;)
		if (workspace_default(json_array_get(values, i)))
			json_array_remove(values, i);
	op->cb(op->ud, err, values, d);
	free(op);
}

void az_synapse_list(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud)
{
	char *url = az_synapse_url(s, kind, collection, NULL, cb, ud);
	if (url && !strcmp(kind->name, "LinkedService")) {
		list_op *op = az_xcalloc(1, sizeof(*op));
		op->cb = cb;
		op->ud = ud;
		az_session_list(s, url, AZ_SVC_SYNAPSE, on_linked_services, op);
	} else if (url) {
		az_session_list(s, url, AZ_SVC_SYNAPSE, cb, ud);
	}
	free(url);
}

void az_synapse_read(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		     void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (url)
		az_session_get(s, url, AZ_SVC_SYNAPSE, cb, ud);
	free(url);
}

void az_synapse_remove(az_session *s, const az_kind *kind, const char *id, az_result_fn cb,
		       void *ud)
{
	char *url = az_synapse_url(s, kind, id, NULL, cb, ud);
	if (!url)
		return;
	az_send_options o = {
		.lro = true,
		.timeout_s = kind->delete_timeout_s,
		.missing_ok = true,
	};
	az_session_send(s, az_session_request("DELETE", url, AZ_SVC_SYNAPSE), &o, cb, ud);
	free(url);
}

