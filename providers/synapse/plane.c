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

void az_synapse_list(az_session *s, const az_kind *kind, const char *collection, az_result_fn cb,
		     void *ud)
{
	char *url = az_synapse_url(s, kind, collection, NULL, cb, ud);
	if (url)
		az_session_list(s, url, AZ_SVC_SYNAPSE, cb, ud);
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

